//! The HTTPS gateway as the sandbox plays it: one handler for every business path, plus OAuth.
//!
//! Order of events for a call: the gateway faults roll first (HTTP 500/503, rate limit), then
//! the envelope is verified ([`verify`]), the store token resolved, the endpoint run under the
//! state lock, and a timeout fault, if rolled, holds the answer after the call took effect.

pub(crate) mod biz;
pub(crate) mod oauth;
pub mod sign;
pub(crate) mod verify;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use std::sync::atomic::Ordering;
use std::sync::Arc;

use crate::app::Shared;
use crate::clock;
use crate::endpoints::{self, Endpoint, Scope};
use crate::envelope::{self, ApiCode, ApiError, ApiResult};
use crate::faults::GatewayFault;

/// What an endpoint gets besides the state.
#[derive(Debug)]
pub(crate) struct Call<'a> {
    pub app: &'a Shared,
    pub business_id: u8,
    /// The store the token names (always set for store-scoped endpoints).
    pub store: Option<usize>,
    pub biz: Option<&'a str>,
    pub now_ms: i64,
}

impl Call<'_> {
    /// The store of a store-scoped call.
    pub fn store(&self) -> Result<usize, ApiError> {
        self.store
            .ok_or_else(|| ApiError::new(ApiCode::AuthTokenInvalid, "appAuthToken is required"))
    }
}

/// Handler for every business and OAuth path.
pub(crate) async fn handle(
    State(app): State<Arc<Shared>>,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    app.counters.gateway_calls.fetch_add(1, Ordering::Relaxed);
    let trace = app.trace_id();
    let vocabulary = app.vocabulary();
    match app.faults.roll_gateway() {
        Some(GatewayFault::Http500) => return envelope::http_500(),
        Some(GatewayFault::Http503) => return envelope::http_503(&trace, vocabulary),
        Some(GatewayFault::RateLimited) => {
            return envelope::business(
                &trace,
                Err(ApiError::new(
                    ApiCode::RateLimited,
                    "too many requests, slow down",
                )),
                vocabulary,
            )
        }
        None => {}
    }
    let path = uri.path();
    let faults = app.faults.roll_request(path);
    let response = if path.starts_with("/oauth/") {
        oauth::handle(&app, path, &headers, &body, &trace)
    } else {
        // An API the faults take away answers as an unknown path.
        let route = endpoints::route(path);
        let missing = route.is_some() && faults.api_missing;
        if missing {
            app.counters
                .missing_api_calls
                .fetch_add(1, Ordering::Relaxed);
        }
        match route.filter(|_| !missing) {
            Some((family, endpoint)) => {
                let result = business(
                    &app,
                    family,
                    endpoint,
                    &headers,
                    &body,
                    faults.token_expired,
                );
                if let Err(e) = &result {
                    tracing::debug!(trace = %trace, path, code = e.code.as_str(), "gateway refused a call");
                }
                envelope::business(&trace, result, vocabulary)
            }
            None => (StatusCode::NOT_FOUND, "no such API").into_response(),
        }
    };
    if let Some(hold) = faults.hold {
        tokio::select! {
            () = tokio::time::sleep(hold) => {}
            () = app.cancel.cancelled() => {}
        }
    }
    response
}

fn business(
    app: &Shared,
    family: u8,
    endpoint: Endpoint,
    headers: &HeaderMap,
    body: &[u8],
    forced_expired: bool,
) -> ApiResult {
    let fields = verify::parse_form(headers, body)?;
    let now_ms = clock::now_ms();
    let skew = i64::try_from(app.config.timestamp_skew.as_secs()).unwrap_or(i64::MAX);
    let mut w = app.world();
    let business_id = verify::check_envelope(&w, &fields, &["version"], now_ms / 1000, skew)?;
    if business_id != family {
        return Err(ApiError::new(
            ApiCode::BusinessIdMismatch,
            "businessId does not match the API path",
        ));
    }
    let token = fields
        .get("appAuthToken")
        .map(String::as_str)
        .filter(|t| !t.is_empty());
    let store = match endpoint.scope(business_id, w.push_scope) {
        Scope::Store => Some(verify::check_token(
            &w,
            token,
            business_id,
            now_ms,
            forced_expired,
        )?),
        Scope::Optional if token.is_some() => Some(verify::check_token(
            &w,
            token,
            business_id,
            now_ms,
            forced_expired,
        )?),
        Scope::Optional => None,
    };
    let call = Call {
        app,
        business_id,
        store,
        biz: fields.get("biz").map(String::as_str),
        now_ms,
    };
    endpoints::dispatch(&call, &mut w, endpoint)
}
