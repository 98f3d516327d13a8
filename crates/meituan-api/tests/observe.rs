//! The reply observer over real loopback HTTP: what a diagnostics tool hears of each attempt
//! (never a body or a token), the gateway's `Date`, and `redact` of every secret the client
//! holds.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic on bad fixtures

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use meituan_api::im::GetPoiImStatus;
use meituan_api::{
    BodyKind, ClientConfig, ClockSample, DeveloperCredentials, MeituanClient, ObservedReply,
    ReplyObserver, RetryPolicy, Secret, StoreKey, StoreToken,
};
use meituan_wire::{BusinessId, TimeMs};

#[derive(Debug, Default)]
struct Heard {
    replies: Mutex<Vec<String>>,
    clocks: Mutex<Vec<ClockSample>>,
}

impl ReplyObserver for Heard {
    fn reply(&self, endpoint: &str, reply: ObservedReply<'_>) {
        let line = match reply {
            ObservedReply::Success => format!("{endpoint} success"),
            ObservedReply::Failed(e) => format!("{endpoint} failed {e}"),
            ObservedReply::Undecodable(e) => format!("{endpoint} undecodable {e}"),
            ObservedReply::Unreadable { error, body } => {
                format!("{endpoint} unreadable {} {error}", body.as_str())
            }
        };
        self.replies.lock().unwrap().push(line);
    }
    fn clock(&self, _endpoint: &str, sample: ClockSample) {
        self.clocks.lock().unwrap().push(sample);
    }
}

/// Scripted answers: HTTP status and body.
type Answers = Arc<Mutex<VecDeque<(u16, &'static str)>>>;

async fn serve(answers: Vec<(u16, &'static str)>) -> String {
    let answers = Arc::new(Mutex::new(VecDeque::from(answers)));
    let app = axum::Router::new()
        .fallback(|State(a): State<Answers>| async move {
            let (status, body) = a.lock().unwrap().pop_front().unwrap_or((200, "{}"));
            (StatusCode::from_u16(status).unwrap(), body).into_response() as Response
        })
        .with_state(answers);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    url
}

fn client(url: &str, heard: Arc<Heard>) -> (MeituanClient, StoreKey) {
    let config = ClientConfig {
        retry: RetryPolicy {
            max_retries: 0,
            min_delay: Duration::from_millis(1),
            max_delay: Duration::from_millis(1),
            jitter: false,
        },
        ..ClientConfig::with_base_url(url)
    };
    let client = MeituanClient::new(DeveloperCredentials::new(1, "sign-key-SECRET"), config)
        .unwrap()
        .with_observer(heard);
    let key = StoreKey::new("mt-1", BusinessId::Wmoper);
    client.set_token(
        key.clone(),
        StoreToken {
            access_token: Secret::new("access-SECRET"),
            refresh_token: Some(Secret::new("refresh-SECRET")),
            expires_at: Some(TimeMs(i64::MAX)),
        },
    );
    (client, key)
}

#[tokio::test]
async fn each_attempt_is_heard_by_kind_without_its_body() {
    let url = serve(vec![
        (200, "<!DOCTYPE html><p>access-SECRET 顾客</p>"),
        (200, r#"{"code":"OP_WHATEVER","msg":"no","traceId":"t-1"}"#),
        (
            200,
            r#"{"code":"OP_SUCCESS","traceId":"t-2","data":{"im_status":"顾客"}}"#,
        ),
        (502, "<html>bad gateway</html>"),
        (200, r#"{"code":"OP_SUCCESS","data":{"im_status":1}}"#),
    ])
    .await;
    let heard = Arc::new(Heard::default());
    let (client, key) = client(&url, heard.clone());
    for _ in 0..5 {
        let _ = client.call(&key, &GetPoiImStatus).await;
    }
    let replies = heard.replies.lock().unwrap().clone();
    // Data of an unknown shape comes after its envelope's success: one reply, two notes.
    assert_eq!(replies.len(), 6, "{replies:#?}");
    assert!(
        replies[0].starts_with("getPoiIMStatus unreadable html"),
        "{replies:#?}"
    );
    assert!(replies[1].contains("failed") && replies[1].contains("OP_WHATEVER"));
    assert!(replies[1].contains("t-1"));
    assert_eq!(replies[2], "getPoiIMStatus success");
    assert!(replies[3].contains("undecodable") && replies[3].contains("t-2"));
    assert!(replies[4].contains("failed") && replies[4].contains("502"));
    assert_eq!(replies[5], "getPoiIMStatus success");
    for r in &replies {
        assert!(!r.contains("SECRET") && !r.contains("顾客"), "{r}");
    }
    let clocks = heard.clocks.lock().unwrap().clone();
    assert_eq!(clocks.len(), 5, "every reply carried a Date");
    for c in clocks {
        assert!(c.sent_at <= c.received_at);
        assert!((c.server_at.0 - c.received_at.0).abs() < 5_000, "{c:?}");
    }
}

#[tokio::test]
async fn redact_scrubs_the_sign_key_and_every_token() {
    let (client, _) = client("http://127.0.0.1:9", Arc::new(Heard::default()));
    let text = "k=sign-key-SECRET a=access-SECRET r=refresh-SECRET ok";
    assert_eq!(
        client.redact(text),
        "k=<redacted> a=<redacted> r=<redacted> ok"
    );
    assert_eq!(BodyKind::sniff(b"<html>"), BodyKind::Html);
}
