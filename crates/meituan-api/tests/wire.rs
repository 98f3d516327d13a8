//! What travels besides the form, over real loopback HTTP to a tiny axum handler: the SDK's
//! headers, the response charset named in `Content-Type`, replies of a shape we do not know,
//! and which calls may go without a store token.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic on bad fixtures

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use meituan_api::im::{GetConnectionToken, GetConnectionTokenWithCount, GetPoiImStatus};
use meituan_api::{
    ApiError, ClientConfig, DeveloperCredentials, MeituanClient, RetryPolicy, Secret, StoreKey,
    StoreToken, TransportError,
};
use meituan_wire::*;

/// One canned answer: status, `Content-Type` (none when `None`) and raw body bytes.
#[derive(Clone)]
struct Canned {
    status: u16,
    content_type: Option<&'static str>,
    body: Vec<u8>,
}

#[derive(Default)]
struct Seen {
    headers: Vec<HeaderMap>,
    bodies: Vec<String>,
}

struct Shared {
    answer: Canned,
    seen: Mutex<Seen>,
}

async fn handle(State(shared): State<Arc<Shared>>, request: Request) -> Response {
    let headers = request.headers().clone();
    let body = axum::body::to_bytes(request.into_body(), 1 << 20)
        .await
        .unwrap();
    {
        let mut seen = shared.seen.lock().unwrap();
        seen.headers.push(headers);
        seen.bodies.push(String::from_utf8(body.to_vec()).unwrap());
    }
    let a = &shared.answer;
    let mut response = (StatusCode::from_u16(a.status).unwrap(), a.body.clone()).into_response();
    match a.content_type {
        Some(ct) => {
            response
                .headers_mut()
                .insert(header::CONTENT_TYPE, ct.parse().unwrap());
        }
        None => {
            response.headers_mut().remove(header::CONTENT_TYPE);
        }
    }
    response
}

async fn serve(answer: Canned) -> (String, Arc<Shared>) {
    let shared = Arc::new(Shared {
        answer,
        seen: Mutex::default(),
    });
    let app = axum::Router::new()
        .fallback(handle)
        .with_state(shared.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (url, shared)
}

fn store() -> StoreKey {
    StoreKey::new("mt-1001", BusinessId::Wmoper)
}

fn client(url: &str) -> MeituanClient {
    let config = ClientConfig {
        retry: RetryPolicy {
            max_retries: 1,
            min_delay: Duration::from_millis(5),
            max_delay: Duration::from_millis(10),
            jitter: false,
        },
        ..ClientConfig::with_base_url(url)
    };
    let client = MeituanClient::new(DeveloperCredentials::new(100_001, "testSignKey"), config)
        .unwrap()
        .with_clock(Arc::new(FixedClock::new(TimeMs(1_700_000_000_000))));
    client.set_token(
        store(),
        StoreToken {
            access_token: Secret::new("tok-abc"),
            refresh_token: Some(Secret::new("ref-1")),
            expires_at: None,
        },
    );
    client
}

const IM_ON: &str = r#"{"code":"OP_SUCCESS","msg":"成功","traceId":"tr-1","data":{"app_id":718,"epoiId":"mt-1001","im_status":1}}"#;

fn json_answer(content_type: Option<&'static str>, body: Vec<u8>) -> Canned {
    Canned {
        status: 200,
        content_type,
        body,
    }
}

/// The error detail of an unreadable reply, or a panic naming what came instead.
fn unreadable(err: &ApiError) -> &str {
    match err {
        ApiError::Transport {
            kind: TransportError::UnreadableJson { detail },
            ..
        } => detail,
        other => panic!("expected an unreadable reply, got {other:?}"),
    }
}

#[tokio::test]
async fn business_and_oauth_calls_carry_the_sdk_headers() {
    let (url, shared) = serve(json_answer(
        Some("application/json;charset=UTF-8"),
        IM_ON.into(),
    ))
    .await;
    let client = client(&url);
    client.call(&store(), &GetPoiImStatus).await.unwrap();
    // The refresh answer is the business envelope, not a token: the call still went out.
    let _ = client.refresh(&store()).await;
    let seen = shared.seen.lock().unwrap();
    assert_eq!(seen.headers.len(), 2);
    for headers in &seen.headers {
        let h = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
        assert_eq!(h("user-agent"), Some("mt-sdk-java"));
        assert_eq!(h("sdk-info"), Some("java-1.0.1"));
        assert_eq!(h("developerid"), Some("100001"));
        assert_eq!(h("accept"), Some("application/json"));
        assert_eq!(
            h("content-type"),
            Some("application/x-www-form-urlencoded;charset=UTF-8")
        );
    }
}

#[tokio::test]
async fn a_gbk_reply_is_decoded_by_its_content_type() {
    // A platform refusal whose Chinese msg is GBK bytes.
    let (gbk, _, bad) =
        encoding_rs::GBK.encode(r#"{"code":"OP_IM_CLOSED","msg":"门店已关闭","traceId":"tr-g"}"#);
    assert!(!bad);
    let (url, _) = serve(json_answer(
        Some("application/json; charset=GBK"),
        gbk.into_owned(),
    ))
    .await;
    let err = client(&url)
        .call(&store(), &GetPoiImStatus)
        .await
        .unwrap_err();
    assert!(
        matches!(&err, ApiError::Platform { msg, trace_id, .. }
            if msg == "门店已关闭" && trace_id.as_deref() == Some("tr-g")),
        "{err:?}"
    );

    let (gbk_ok, _, _) = encoding_rs::GBK.encode(IM_ON);
    let (url, _) = serve(json_answer(
        Some("application/json;charset=\"gbk\""),
        gbk_ok.into_owned(),
    ))
    .await;
    let status = client(&url).call(&store(), &GetPoiImStatus).await.unwrap();
    assert_eq!(status.epoi_id, Some(StoreId::new("mt-1001")));
}

#[tokio::test]
async fn a_missing_charset_is_utf8_and_an_unknown_one_is_a_clear_error() {
    for content_type in [None, Some("application/json"), Some("text/plain")] {
        let (url, _) = serve(json_answer(content_type, IM_ON.into())).await;
        client(&url)
            .call(&store(), &GetPoiImStatus)
            .await
            .unwrap_or_else(|e| panic!("{content_type:?}: {e}"));
    }
    let (url, _) = serve(json_answer(
        Some("application/json;charset=x-klingon-<script>"),
        IM_ON.into(),
    ))
    .await;
    let err = client(&url)
        .call(&store(), &GetPoiImStatus)
        .await
        .unwrap_err();
    let detail = unreadable(&err);
    assert!(detail.contains("unknown response charset"), "{detail}");
    assert!(
        !detail.contains('<'),
        "the label is shown only in a plain form: {detail}"
    );
    // Bytes that are not GBK where GBK is announced: unreadable, not a panic or mojibake.
    let (url, _) = serve(json_answer(
        Some("application/json;charset=GBK"),
        b"{\"code\":\"X\",\"msg\":\"\x81\"}".to_vec(),
    ))
    .await;
    let err = client(&url)
        .call(&store(), &GetPoiImStatus)
        .await
        .unwrap_err();
    assert!(unreadable(&err).contains("not valid GBK"), "{err}");
}

#[tokio::test]
async fn a_proxy_html_page_or_an_unknown_shape_is_a_clear_error_not_a_platform_verdict() {
    let page = b"<!DOCTYPE html><html><body>502 Bad Gateway tok-abc</body></html>".to_vec();
    let (url, shared) = serve(json_answer(Some("text/html; charset=utf-8"), page)).await;
    let err = client(&url)
        .call(&store(), &GetPoiImStatus)
        .await
        .unwrap_err();
    assert!(unreadable(&err).contains("HTML page"), "{err}");
    assert!(!err.to_string().contains("tok-abc"));
    assert_eq!(shared.seen.lock().unwrap().bodies.len(), 1, "not retried");

    // JSON, but not the envelope: no `code` is not "platform error with an empty code".
    for body in [
        r#"{"status":"ok","result":{"im_status":1}}"#,
        r#"{"error":{"code":500}}"#,
    ] {
        let (url, _) = serve(json_answer(Some("application/json"), body.into())).await;
        let err = client(&url)
            .call(&store(), &GetPoiImStatus)
            .await
            .unwrap_err();
        assert!(unreadable(&err).contains("without `code`"), "{body}: {err}");
    }
    // A JSON array or a bare string: unreadable, never a panic.
    for body in ["[1,2,3]", "\"OP_SUCCESS\"", "null", "{\"code\":"] {
        let (url, _) = serve(json_answer(Some("application/json"), body.into())).await;
        let err = client(&url)
            .call(&store(), &GetPoiImStatus)
            .await
            .unwrap_err();
        unreadable(&err);
    }
    // The OAuth envelope too: an HTML page or a reply without `code` is not an OAuth error.
    let (url, _) = serve(json_answer(
        Some("text/html"),
        b"<html>busy</html>".to_vec(),
    ))
    .await;
    let err = client(&url).refresh(&store()).await.unwrap_err();
    assert!(unreadable(&err).contains("HTML page"), "{err}");
    let (url, _) = serve(json_answer(
        Some("application/json"),
        br#"{"ok":true}"#.to_vec(),
    ))
    .await;
    let err = client(&url).refresh(&store()).await.unwrap_err();
    assert!(unreadable(&err).contains("without `code`"), "{err}");
}

#[tokio::test]
async fn a_developer_call_goes_without_a_token_only_where_the_sdk_allows_it() {
    let (url, shared) = serve(json_answer(
        Some("application/json"),
        br#"{"code":"OP_SUCCESS","data":{"connectionToken":"ct","connectionId":"718_WMOPEN","imSecret":"s","userCount":0}}"#.to_vec(),
    ))
    .await;
    let client = client(&url);
    let t = client
        .call_as_developer(BusinessId::Wmoper, &GetConnectionToken)
        .await
        .unwrap();
    assert_eq!(t.connection_id, "718_WMOPEN");
    assert!(!shared.seen.lock().unwrap().bodies[0].contains("appAuthToken"));
    // needAuth endpoints are refused before anything is sent.
    let err = client
        .call_as_developer(
            BusinessId::Waimai,
            &GetConnectionTokenWithCount {
                required_token_count: 3,
            },
        )
        .await
        .unwrap_err();
    assert!(
        matches!(&err, ApiError::Validation { reason, .. } if reason.contains("appAuthToken")),
        "{err}"
    );
    assert_eq!(shared.seen.lock().unwrap().bodies.len(), 1);
}
