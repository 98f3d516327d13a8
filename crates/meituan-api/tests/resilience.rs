//! The client over real loopback HTTP against a small scripted server: retries, rate
//! limiting, token refresh, and every kind of failure it must report.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic on bad fixtures

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use meituan_api::im::{
    CreateFansGroup, GetPoiImStatus, SendMessage, REPLY_HAS_REPLY, REPLY_SCENE_NAME,
    REPLY_SCENE_TAG,
};
use meituan_api::{
    ApiError, ClientConfig, DeveloperCredentials, MeituanClient, RateLimit, RetryPolicy, Secret,
    StoreKey, StoreToken, TokenSink, TransportError,
};
use meituan_wire::*;

/// One scripted answer.
#[derive(Clone)]
struct Answer {
    status: u16,
    body: String,
    delay: Duration,
}

fn ok(data: &str) -> Answer {
    Answer {
        status: 200,
        body: format!(r#"{{"code":"OP_SUCCESS","msg":"ok","traceId":"tr-ok","data":{data}}}"#),
        delay: Duration::ZERO,
    }
}

fn platform(code: &str, trace: &str) -> Answer {
    Answer {
        status: 200,
        body: format!(r#"{{"code":"{code}","msg":"refused","traceId":"{trace}"}}"#),
        delay: Duration::ZERO,
    }
}

fn status(code: u16) -> Answer {
    Answer {
        status: code,
        body: "<html>busy</html>".into(),
        delay: Duration::ZERO,
    }
}

/// A request as the server saw it.
#[derive(Clone, Debug)]
struct Seen {
    path: String,
    fields: Vec<(String, String)>,
}

impl Seen {
    fn get(&self, name: &str) -> Option<&str> {
        self.fields
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

#[derive(Default)]
struct Script {
    answers: Mutex<VecDeque<Answer>>,
    seen: Mutex<Vec<Seen>>,
}

async fn handle(State(script): State<Arc<Script>>, request: Request) -> Response {
    let path = request.uri().path().to_owned();
    let body = axum::body::to_bytes(request.into_body(), 1 << 20)
        .await
        .unwrap();
    let fields = url::form_urlencoded::parse(&body)
        .map(|(n, v)| (n.into_owned(), v.into_owned()))
        .collect();
    script.seen.lock().unwrap().push(Seen { path, fields });
    let answer = script
        .answers
        .lock()
        .unwrap()
        .pop_front()
        .unwrap_or_else(|| ok("null"));
    tokio::time::sleep(answer.delay).await;
    (StatusCode::from_u16(answer.status).unwrap(), answer.body).into_response()
}

struct Server {
    url: String,
    script: Arc<Script>,
}

impl Server {
    async fn start(answers: Vec<Answer>) -> Server {
        let script = Arc::new(Script::default());
        script.answers.lock().unwrap().extend(answers);
        let app = axum::Router::new()
            .fallback(handle)
            .with_state(script.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        Server { url, script }
    }

    fn seen(&self) -> Vec<Seen> {
        self.script.seen.lock().unwrap().clone()
    }
}

fn fast_config(url: &str) -> ClientConfig {
    ClientConfig {
        retry: RetryPolicy {
            max_retries: 3,
            min_delay: Duration::from_millis(5),
            max_delay: Duration::from_millis(20),
            jitter: true,
        },
        read_timeout: Duration::from_millis(300),
        ..ClientConfig::with_base_url(url)
    }
}

fn store() -> StoreKey {
    StoreKey::new("mt-1001", BusinessId::Wmoper)
}

fn client(config: ClientConfig) -> MeituanClient {
    let client = MeituanClient::new(DeveloperCredentials::new(100_001, "testSignKey"), config)
        .unwrap()
        .with_clock(Arc::new(FixedClock::new(TimeMs(1_700_000_000_000))));
    client.set_token(store(), StoreToken::static_token("tok-abc"));
    client
}

fn send_request(msg_id: i64) -> SendMessage {
    SendMessage {
        biz_type: BizType::TwoParty,
        push_content: PushContent {
            msg_id: MsgId(msg_id),
            msg_content: "c2VjcmV0".into(),
            msg_type: MsgType(1),
            msg_source: MsgSource::Merchant,
            cts: UnixSeconds(1_700_000_000),
            order_id: Some(OrderId(1)),
            open_user_id: Some(OpenUserId(2)),
            scene_tag: Some(REPLY_SCENE_TAG),
            scene_name: Some(REPLY_SCENE_NAME.into()),
            has_reply: Some(REPLY_HAS_REPLY),
            comment_id: None,
            group_id: None,
            group_name: None,
            rider_id: None,
        },
        extended_field: None,
    }
}

#[tokio::test]
async fn a_5xx_then_success_send_reaches_the_platform_once() {
    let server = Server::start(vec![status(502), status(503), ok("null")]).await;
    client(fast_config(&server.url))
        .call(&store(), &send_request(42))
        .await
        .unwrap();
    let seen = server.seen();
    assert_eq!(seen.len(), 3, "two failures, one success");
    assert_eq!(seen[2].path, "/wmoper/ng/im/msg/send");
    // Every attempt carries the same msg_id, so the platform processes it once.
    for s in &seen {
        assert!(s.get("biz").unwrap().contains(r#""msg_id":42"#));
        assert_eq!(s.get("timestamp"), Some("1700000000"), "the injected clock");
        assert_eq!(s.get("appAuthToken"), Some("tok-abc"));
    }
}

#[tokio::test]
async fn non_idempotent_calls_are_not_repeated_after_a_5xx() {
    let server = Server::start(vec![status(500)]).await;
    let request = CreateFansGroup {
        group_intro: "hi".into(),
        group_welcome_msg: "hi".into(),
        group_enter_coupon: None,
    };
    let err = client(fast_config(&server.url))
        .call(&store(), &request)
        .await
        .unwrap_err();
    assert!(matches!(
        err,
        ApiError::Transport {
            kind: TransportError::Status(500),
            ..
        }
    ));
    assert_eq!(server.seen().len(), 1);
}

#[tokio::test]
async fn a_rate_limited_answer_is_retried() {
    let server = Server::start(vec![
        platform("OP_RATE_LIMITED", "tr-1"),
        ok(r#"{"im_status":1}"#),
    ])
    .await;
    let status = client(fast_config(&server.url))
        .call(&store(), &GetPoiImStatus)
        .await
        .unwrap();
    assert_eq!(status.im_status, meituan_api::im::ImStatus::On);
    assert_eq!(server.seen().len(), 2);
    assert_eq!(
        server.seen()[0].get("biz"),
        None,
        "no parameters: no biz field"
    );
}

#[tokio::test]
async fn the_client_side_rate_limiter_spaces_requests() {
    let server = Server::start(vec![]).await;
    let config = ClientConfig {
        rate_limit: RateLimit {
            per_second: 5.try_into().unwrap(),
            burst: 1.try_into().unwrap(),
        },
        ..fast_config(&server.url)
    };
    let client = client(config);
    let started = Instant::now();
    for _ in 0..4 {
        client
            .call_raw(&store(), "getPoiIMStatus", None)
            .await
            .unwrap();
    }
    // One at once, then one every 200 ms: at least 600 ms for four (a lower bound only).
    assert!(
        started.elapsed() >= Duration::from_millis(590),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(server.seen().len(), 4);
}

#[derive(Debug, Default)]
struct Kept(Mutex<Vec<(StoreKey, StoreToken)>>);

impl TokenSink for Kept {
    fn token_changed(&self, key: &StoreKey, token: &StoreToken) {
        self.0.lock().unwrap().push((key.clone(), token.clone()));
    }
}

#[tokio::test]
async fn an_auth_error_refreshes_the_token_and_retries_once() {
    let refreshed = r#"{"code":0,"msg":"ok","data":{"accessToken":"tok-new","expireIn":3600,"refreshToken":"ref-2","scope":"all"}}"#;
    let server = Server::start(vec![
        platform("OP_AUTH_TOKEN_EXPIRED", "tr-auth"),
        Answer {
            status: 200,
            body: refreshed.into(),
            delay: Duration::ZERO,
        },
        ok(r#"{"im_status":0}"#),
    ])
    .await;
    let kept = Arc::new(Kept::default());
    let client = client(fast_config(&server.url)).with_token_sink(kept.clone());
    client.set_token(
        store(),
        StoreToken {
            access_token: Secret::new("tok-old"),
            refresh_token: Some(Secret::new("ref-1")),
            expires_at: Some(TimeMs(1_800_000_000_000)),
        },
    );
    let status = client.call(&store(), &GetPoiImStatus).await.unwrap();
    assert_eq!(status.im_status, meituan_api::im::ImStatus::Off);
    let seen = server.seen();
    assert_eq!(seen.len(), 3);
    assert_eq!(seen[0].get("appAuthToken"), Some("tok-old"));
    assert_eq!(seen[1].path, "/oauth/refresh");
    assert_eq!(seen[1].get("refreshToken"), Some("ref-1"));
    assert_eq!(seen[1].get("grantType"), Some("refresh_token"));
    assert_eq!(seen[1].get("scope"), Some("all"));
    assert_eq!(seen[1].get("businessId"), Some("16"));
    assert_eq!(seen[2].get("appAuthToken"), Some("tok-new"));
    let kept = kept.0.lock().unwrap();
    assert_eq!(kept.len(), 1);
    assert_eq!(kept[0].1.access_token.expose(), "tok-new");
    assert_eq!(kept[0].1.expires_at, Some(TimeMs(1_700_003_600_000)));
    assert_eq!(
        client.token(&store()).unwrap().refresh_token,
        Some(Secret::new("ref-2"))
    );
}

#[tokio::test]
async fn a_token_near_expiry_is_refreshed_before_the_call() {
    let refreshed = r#"{"code":0,"data":{"accessToken":"tok-new","expireIn":86400}}"#;
    let server = Server::start(vec![
        Answer {
            status: 200,
            body: refreshed.into(),
            delay: Duration::ZERO,
        },
        ok(r#"{"im_status":1}"#),
    ])
    .await;
    let client = client(fast_config(&server.url));
    client.set_token(
        store(),
        StoreToken {
            access_token: Secret::new("tok-old"),
            refresh_token: Some(Secret::new("ref-1")),
            expires_at: Some(TimeMs(1_700_000_060_000)), // one minute left, margin 30 min
        },
    );
    client.call(&store(), &GetPoiImStatus).await.unwrap();
    let seen = server.seen();
    assert_eq!(seen[0].path, "/oauth/refresh");
    assert_eq!(seen[1].get("appAuthToken"), Some("tok-new"));
    // The refresh token is kept when the response does not rotate it.
    assert_eq!(
        client.token(&store()).unwrap().refresh_token,
        Some(Secret::new("ref-1"))
    );
}

#[tokio::test]
async fn an_auth_error_without_a_refresh_token_is_reported_as_is() {
    let server = Server::start(vec![platform("OP_AUTH_TOKEN_INVALID", "tr-7")]).await;
    let err = client(fast_config(&server.url))
        .call(&store(), &GetPoiImStatus)
        .await
        .unwrap_err();
    assert_eq!(err.platform_code(), Some("OP_AUTH_TOKEN_INVALID"));
    assert_eq!(server.seen().len(), 1);
}

#[tokio::test]
async fn unreadable_json_is_a_transport_error_and_not_retried() {
    let server = Server::start(vec![Answer {
        status: 200,
        body: "<html>tok-abc</html>".into(),
        delay: Duration::ZERO,
    }])
    .await;
    let err = client(fast_config(&server.url))
        .call(&store(), &GetPoiImStatus)
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            ApiError::Transport {
                kind: TransportError::UnreadableJson { .. },
                ..
            }
        ),
        "{err}"
    );
    assert!(!err.to_string().contains("tok-abc"));
    assert_eq!(server.seen().len(), 1);
}

#[tokio::test]
async fn data_of_the_wrong_shape_names_endpoint_and_trace_but_not_the_value() {
    let server = Server::start(vec![ok(r#"{"im_status":"顾客的秘密"}"#)]).await;
    let err = client(fast_config(&server.url))
        .call(&store(), &GetPoiImStatus)
        .await
        .unwrap_err();
    let shown = err.to_string();
    assert!(
        shown.contains("getPoiIMStatus") && shown.contains("tr-ok"),
        "{shown}"
    );
    assert!(!shown.contains("顾客的秘密"), "{shown}");
}

#[tokio::test]
async fn a_closed_port_is_a_connect_error() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    drop(listener);
    let err = client(fast_config(&url))
        .call(&store(), &GetPoiImStatus)
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            ApiError::Transport {
                kind: TransportError::Connect,
                ..
            }
        ),
        "{err}"
    );
    assert_eq!(err.endpoint(), "getPoiIMStatus");
}

#[tokio::test]
async fn a_slow_answer_times_out_after_retries() {
    let slow = Answer {
        delay: Duration::from_secs(2),
        ..ok("null")
    };
    let server = Server::start(vec![slow.clone(), slow]).await;
    let config = ClientConfig {
        retry: RetryPolicy {
            max_retries: 1,
            ..fast_config(&server.url).retry
        },
        ..fast_config(&server.url)
    };
    let err = client(config)
        .call(&store(), &GetPoiImStatus)
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            ApiError::Transport {
                kind: TransportError::Timeout,
                ..
            }
        ),
        "{err}"
    );
    assert_eq!(server.seen().len(), 2);
}

#[tokio::test]
async fn a_platform_error_shows_its_code_and_trace_id_and_no_secret() {
    let server = Server::start(vec![platform("OP_SIGN_INVALID", "tr-9")]).await;
    let err = client(fast_config(&server.url))
        .call(&store(), &send_request(1))
        .await
        .unwrap_err();
    let shown = err.to_string();
    assert_eq!(
        shown,
        "msg/send: platform error OP_SIGN_INVALID: refused (traceId tr-9)"
    );
    let debug = format!("{err:?}");
    for secret in ["testSignKey", "tok-abc", "c2VjcmV0"] {
        assert!(!shown.contains(secret) && !debug.contains(secret));
    }
    assert_eq!(server.seen().len(), 1, "permanent errors are not retried");
}

#[tokio::test]
async fn no_token_means_no_request() {
    let server = Server::start(vec![]).await;
    let other = StoreKey::new("mt-9", BusinessId::Waimai);
    let err = client(fast_config(&server.url))
        .call(&other, &GetPoiImStatus)
        .await
        .unwrap_err();
    assert!(matches!(err, ApiError::MissingToken { .. }));
    assert!(server.seen().is_empty());
}
