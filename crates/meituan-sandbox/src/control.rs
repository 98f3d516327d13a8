//! `/_sandbox/…`: the scripting API over HTTP (JSON), for tests that run out of process.
//! Errors come back as HTTP 400/404 with `{"error": "..."}`.
//! The routes are listed in the crate documentation.

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use serde_json::json;
use std::sync::Arc;

use crate::app::Shared;
use crate::envelope::Vocabulary;
use crate::error::{Result, SandboxError};
use crate::faults::Faults;
use crate::model::{CustomerMessage, DropMode};

type App = State<Arc<Shared>>;

#[derive(serde::Deserialize)]
struct VocabularyQ {
    vocabulary: Vocabulary,
}

fn reply<T: Serialize>(r: Result<T>) -> Response {
    match r {
        Ok(v) => Json(v).into_response(),
        Err(e) => {
            let status = match e {
                SandboxError::UnknownStore(_)
                | SandboxError::UnknownCustomer { .. }
                | SandboxError::UnknownOrder { .. } => StatusCode::NOT_FOUND,
                _ => StatusCode::BAD_REQUEST,
            };
            (status, Json(json!({"error": e.to_string()}))).into_response()
        }
    }
}

#[derive(Debug, Deserialize)]
struct StoreQ {
    epoi_id: String,
}

#[derive(Debug, Deserialize)]
struct OrderQ {
    epoi_id: String,
    order_id: i64,
}

#[derive(Debug, Deserialize)]
struct ReadReq {
    epoi_id: String,
    open_user_id: i64,
}

#[derive(Debug, Deserialize)]
struct CompleteReq {
    epoi_id: String,
    order_id: i64,
    completed_at_ms: i64,
}

#[derive(Debug, Deserialize)]
struct ImStatusReq {
    epoi_id: String,
    on: bool,
}

#[derive(Debug, Deserialize)]
struct DropReq {
    mode: DropMode,
    /// How many connections, the longest-open first; all when absent.
    #[serde(default)]
    count: Option<usize>,
}

#[derive(Debug, Deserialize)]
struct LoadReq {
    count: u64,
    rate: f64,
}

/// The control routes.
pub(crate) fn router() -> Router<Arc<Shared>> {
    Router::new()
        .route("/coordinates", get(|State(a): App| async move { Json(a.coordinates()) }))
        .route("/customer/says", post(|State(a): App, Json(m): Json<CustomerMessage>| async move { reply(a.customer_says(&m)) }))
        .route(
            "/customer/read",
            post(|State(a): App, Json(r): Json<ReadReq>| async move {
                reply(a.customer_reads(&r.epoi_id, r.open_user_id).map(|t| json!({"last_read_time": t})))
            }),
        )
        .route("/customers", get(|State(a): App, Query(q): Query<StoreQ>| async move { reply(a.customers(&q.epoi_id)) }))
        .route("/comments", get(|State(a): App, Query(q): Query<StoreQ>| async move { reply(a.comment_ids(&q.epoi_id)) }))
        .route("/order", get(|State(a): App, Query(q): Query<OrderQ>| async move { reply(a.order(&q.epoi_id, q.order_id)) }))
        .route(
            "/order/complete",
            post(|State(a): App, Json(r): Json<CompleteReq>| async move {
                reply(a.complete_order(&r.epoi_id, r.order_id, r.completed_at_ms))
            }),
        )
        .route("/blocked", get(|State(a): App, Query(q): Query<StoreQ>| async move { reply(a.blocked(&q.epoi_id)) }))
        .route(
            "/im_status",
            post(|State(a): App, Json(r): Json<ImStatusReq>| async move { reply(a.set_im_status(&r.epoi_id, r.on).map(|()| json!({}))) }),
        )
        .route(
            "/auto_replies",
            get(|State(a): App, Query(q): Query<StoreQ>| async move { reply(a.auto_replies(&q.epoi_id)) }),
        )
        .route(
            "/merchant_messages",
            get(|State(a): App, Query(q): Query<StoreQ>| async move { reply(a.merchant_messages(&q.epoi_id)) }),
        )
        .route("/uploads", get(|State(a): App, Query(q): Query<StoreQ>| async move { reply(a.uploads(&q.epoi_id)) }))
        .route("/reply_timings", get(|State(a): App, Query(q): Query<StoreQ>| async move { reply(a.reply_timings(&q.epoi_id)) }))
        .route(
            "/faults",
            get(|State(a): App| async move { Json(a.faults.get()) }).put(|State(a): App, Json(f): Json<Faults>| async move {
                a.faults.set(f.clone());
                Json(f)
            }),
        )
        .route(
            "/vocabulary",
            get(|State(a): App| async move { Json(json!({"vocabulary": a.vocabulary()})) }).put(
                |State(a): App, Json(v): Json<VocabularyQ>| async move {
                    a.set_vocabulary(v.vocabulary);
                    Json(json!({"vocabulary": v.vocabulary}))
                },
            ),
        )
        .route(
            "/connections",
            get(|State(a): App| async move { Json(json!({"open": a.hub.open(), "pending": a.hub.pending()})) }),
        )
        .route(
            "/connections/drop",
            post(|State(a): App, Json(r): Json<DropReq>| async move { Json(json!({"dropped": a.hub.drop_oldest(r.count.unwrap_or(usize::MAX), r.mode)})) }),
        )
        .route(
            "/connections/expire_tokens",
            post(|State(a): App| async move {
                a.expire_connection_tokens();
                Json(json!({}))
            }),
        )
        .route(
            "/secret/rotate",
            post(|State(a): App| async move {
                a.rotate_im_secret();
                Json(json!({}))
            }),
        )
        .route(
            "/tokens/expire",
            post(|State(a): App, Json(r): Json<StoreQ>| async move { reply(a.expire_store_tokens(&r.epoi_id).map(|()| json!({}))) }),
        )
        .route(
            "/oauth/code",
            post(|State(a): App, Json(r): Json<StoreQ>| async move { reply(a.mint_auth_code(&r.epoi_id).map(|c| json!({"code": c}))) }),
        )
        .route(
            "/load",
            post(|State(a): App, Json(r): Json<LoadReq>| async move {
                let seed = a.config.seed;
                Json(crate::load::run(a, Some(r.count), r.rate, seed).await)
            }),
        )
}
