//! The long connection: tokens, keep-alive, idle close, frames, holding pushes, and push faults.

#![allow(clippy::unwrap_used, clippy::expect_used)] // helpers outside #[test] fns panic on purpose

mod common;

use common::*;
use futures_util::StreamExt;
use meituan_sandbox::{ChatKind, CustomerMessage, DropMode, Faults, SandboxConfig};
use serde_json::{json, Value};
use std::time::Duration;
use tokio_tungstenite::tungstenite::{self, Message};

const WAIT: Duration = Duration::from_secs(3);

fn quick() -> SandboxConfig {
    SandboxConfig {
        idle_timeout: Duration::from_millis(600),
        ..SandboxConfig::default()
    }
}

async fn open(sb: &meituan_sandbox::Sandbox, c: &Client) -> (Ws, String) {
    let (id, token, secret) = c.connection_token(&sb.stores()[0]).await;
    let ws = connect(sb.push_url(), &id, &token).await;
    assert!(eventually(WAIT, || sb.open_connections() >= 1).await);
    (ws, secret)
}

fn msg_id(frame: &Value) -> i64 {
    frame["push_content"]["msg_id"].as_i64().unwrap()
}

#[tokio::test]
async fn pushes_reach_every_connection_as_encoded_encrypted_frames() {
    let sb = start(quick()).await;
    let c = Client::new(&sb);
    let (mut a, secret) = open(&sb, &c).await;
    let (mut b, _) = open(&sb, &c).await;
    assert!(eventually(WAIT, || sb.open_connections() == 2).await);
    let s = sb.stores()[1].clone();
    let p = sb
        .customer_says(
            CustomerMessage::text(&s.epoi_id, ChatKind::Completed, "面里有头发！+%&").scene(9003),
        )
        .unwrap();
    for ws in [&mut a, &mut b] {
        let f = next_push(ws, WAIT).await;
        assert_eq!(
            (
                f["app_id"].as_i64(),
                f["epoiId"].as_str(),
                f["biz_type"].as_i64()
            ),
            (Some(718), Some(s.epoi_id.as_str()), Some(1))
        );
        let pc = &f["push_content"];
        assert_eq!(pc["msg_id"].as_i64(), Some(p.msg_id));
        assert_eq!(
            decrypt(&secret, pc["msg_content"].as_str().unwrap()).as_deref(),
            Some("面里有头发！+%&")
        );
        assert_eq!(
            (pc["msg_type"].as_i64(), pc["msg_source"].as_i64()),
            (Some(1), Some(2))
        );
        assert_eq!(
            (pc["scene_tag"].as_i64(), pc["scene_name"].as_str()),
            (Some(9003), Some("顾客投诉商家"))
        );
        assert_eq!(
            (pc["has_reply"].as_i64(), pc["open_user_id"].as_i64()),
            (Some(1), p.open_user_id)
        );
        assert_eq!(pc["order_id"].as_i64(), p.order_id);
        assert!(
            pc["cts"].as_i64().unwrap() < 10_000_000_000,
            "cts is seconds"
        );
    }
    // The order named in the push exists, completed, in the context endpoint.
    let path = if s.business_id == 2 {
        "/waimai/order/queryById"
    } else {
        "/wmoper/ng/order/queryDetail"
    };
    let biz = json!({"orderId": p.order_id.unwrap()}).to_string();
    let d = c
        .call(path, s.business_id, Some(&s.app_auth_token), Some(&biz))
        .await
        .data();
    assert_eq!(d["status"], 8);
}

#[tokio::test]
async fn every_chat_kind_and_images_are_pushed_with_their_ids() {
    let sb = start(quick()).await;
    let c = Client::new(&sb);
    let (mut ws, secret) = open(&sb, &c).await;
    let s = sb.stores()[0].epoi_id.clone();
    let kinds = [
        (
            ChatKind::PreOrder,
            1,
            vec!["open_user_id", "order_id", "scene_tag", "has_reply"],
        ),
        (ChatKind::InProgress, 1, vec!["open_user_id", "order_id"]),
        (ChatKind::Review, 4, vec!["comment_id", "group_id"]),
        (ChatKind::Fans, 5, vec!["group_id", "group_name"]),
        (
            ChatKind::Rider,
            6,
            vec!["group_id", "open_user_id", "rider_id", "order_id"],
        ),
    ];
    for (kind, biz_type, ids) in kinds {
        let p = sb
            .customer_says(CustomerMessage::text(&s, kind, "你好"))
            .unwrap();
        let f = next_push(&mut ws, WAIT).await;
        assert_eq!(f["biz_type"].as_i64(), Some(biz_type));
        for id in ids {
            assert!(!f["push_content"][id].is_null(), "{kind:?} push lacks {id}");
        }
        assert_eq!(
            f["push_content"]["msg_type"].as_i64(),
            Some(if biz_type == 1 { 1 } else { 0 })
        );
        assert_eq!(msg_id(&f), p.msg_id);
        if kind == ChatKind::Review {
            assert!(
                f["push_content"]["open_user_id"].is_null(),
                "review contact is anonymous"
            );
        }
    }
    let p = sb
        .customer_says(CustomerMessage::image(&s, ChatKind::Completed, 3))
        .unwrap();
    let f = next_push(&mut ws, WAIT).await;
    assert_eq!(
        (msg_id(&f), f["push_content"]["msg_type"].as_i64()),
        (p.msg_id, Some(2))
    );
    let url = decrypt(&secret, f["push_content"]["msg_content"].as_str().unwrap()).unwrap();
    let png = c
        .http
        .get(&url)
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    assert_eq!(&png[1..4], b"PNG");
}

#[tokio::test]
async fn tokens_are_checked_and_used_once_at_a_time() {
    let sb = start(quick()).await;
    let c = Client::new(&sb);
    let (id, token, _) = c.connection_token(&sb.stores()[0]).await;
    let status = |r: Result<_, tungstenite::Error>| match r {
        Err(tungstenite::Error::Http(resp)) => resp.status().as_u16(),
        Err(e) => panic!("unexpected error {e}"),
        Ok(_) => 101,
    };
    let url = |i: &str, t: &str| format!("{}/websocket/{i}/{t}", sb.push_url());
    assert_eq!(
        status(tokio_tungstenite::connect_async(url(&id, "forged")).await),
        403
    );
    assert_eq!(
        status(tokio_tungstenite::connect_async(url("1_WMOPEN", &token)).await),
        403
    );
    let first = tokio_tungstenite::connect_async(url(&id, &token))
        .await
        .unwrap()
        .0;
    assert_eq!(
        status(tokio_tungstenite::connect_async(url(&id, &token)).await),
        409
    );
    drop(first);
    // getConnectionTokenWithCount tokens connect under {appkey}_WMOPEN
    let d = c
        .im(
            &sb.stores()[1],
            "getConnectionTokenWithCount",
            Some("{\"required_token_count\":3}"),
        )
        .await
        .data();
    let appkey = d["appkey"].as_i64().unwrap();
    let mut socks = Vec::new();
    for t in d["token_infos"].as_array().unwrap() {
        socks.push(
            connect(
                sb.push_url(),
                &format!("{appkey}_WMOPEN"),
                t["connectionToken"].as_str().unwrap(),
            )
            .await,
        );
    }
    assert!(eventually(WAIT, || sb.open_connections() == 3).await);
    // expired tokens are refused
    let (id, token, _) = c.connection_token(&sb.stores()[0]).await;
    sb.expire_connection_tokens();
    assert_eq!(
        status(tokio_tungstenite::connect_async(url(&id, &token)).await),
        403
    );
}

#[tokio::test]
async fn keep_alives_are_answered_and_silent_connections_closed() {
    let sb = start(quick()).await;
    let c = Client::new(&sb);
    let (mut ws, _) = open(&sb, &c).await;
    // Heartbeats every 200 ms keep it open well past the 600 ms idle timeout.
    for _ in 0..6 {
        heartbeat(&mut ws).await;
        let m = tokio::time::timeout(WAIT, ws.next())
            .await
            .unwrap()
            .unwrap()
            .unwrap();
        assert_eq!(m, Message::Text("HB".into()));
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert_eq!(sb.open_connections(), 1);
    // Then silence: the sandbox closes it.
    let end = tokio::time::timeout(WAIT, async {
        loop {
            match ws.next().await {
                Some(Ok(Message::Close(_))) | None | Some(Err(_)) => return,
                Some(Ok(_)) => {}
            }
        }
    })
    .await;
    assert!(end.is_ok(), "a silent connection is closed");
    assert!(eventually(WAIT, || sb.open_connections() == 0).await);
}

#[tokio::test]
async fn pushes_wait_for_a_connection_and_arrive_in_order() {
    let sb = start(quick()).await;
    let c = Client::new(&sb);
    let s = sb.stores()[0].epoi_id.clone();
    let mut ids = Vec::new();
    for text in ["一", "二", "三"] {
        ids.push(
            sb.customer_says(CustomerMessage::text(&s, ChatKind::PreOrder, text))
                .unwrap()
                .msg_id,
        );
    }
    assert_eq!(sb.pending_pushes(), 3);
    let d = c
        .im(&sb.stores()[0], "getConnectionToken", None)
        .await
        .data();
    assert!(
        d["userCount"].as_i64().unwrap() >= 1,
        "undelivered customers are counted"
    );
    let (mut ws, _) = open(&sb, &c).await;
    let mut got = vec![0i64; 3];
    for g in &mut got {
        *g = msg_id(&next_push(&mut ws, WAIT).await);
    }
    assert_eq!(got, ids);
    assert_eq!(sb.pending_pushes(), 0);
}

async fn ends_without_close_frame(ws: &mut Ws) -> bool {
    let r = tokio::time::timeout(WAIT, async {
        loop {
            match ws.next().await {
                Some(Ok(Message::Close(_))) => return false,
                None | Some(Err(_)) => return true,
                Some(Ok(_)) => {}
            }
        }
    })
    .await;
    r.unwrap_or(false)
}

#[tokio::test]
async fn dropped_connections_lose_nothing() {
    let sb = start(quick()).await;
    let c = Client::new(&sb);
    let (mut ws, _) = open(&sb, &c).await;
    assert_eq!(sb.drop_connections(DropMode::Reset), 1);
    assert!(
        ends_without_close_frame(&mut ws).await,
        "reset ends without a close frame"
    );
    let s = sb.stores()[2].epoi_id.clone();
    let p = sb
        .customer_says(CustomerMessage::text(&s, ChatKind::InProgress, "还没到"))
        .unwrap();
    let (mut ws, _) = open(&sb, &c).await;
    assert_eq!(msg_id(&next_push(&mut ws, WAIT).await), p.msg_id);

    // Silent: the socket stays open but nothing answers; pushes wait for a healthy connection.
    assert_eq!(sb.drop_connections(DropMode::Silent), 1);
    assert!(eventually(WAIT, || sb.open_connections() == 0).await);
    heartbeat(&mut ws).await;
    assert!(
        tokio::time::timeout(Duration::from_millis(300), ws.next())
            .await
            .is_err(),
        "no HB from a half-dead link"
    );
    let p = sb
        .customer_says(CustomerMessage::text(&s, ChatKind::PreOrder, "在吗"))
        .unwrap();
    assert_eq!(sb.pending_pushes(), 1);
    let (mut fresh, _) = open(&sb, &c).await;
    assert_eq!(msg_id(&next_push(&mut fresh, WAIT).await), p.msg_id);
}

#[tokio::test]
async fn dropping_the_oldest_connections_leaves_the_newest_receiving() {
    let sb = start(SandboxConfig::default()).await;
    let c = Client::new(&sb);
    // One at a time, so that the sandbox registers them in this order.
    let (mut first, _) = open(&sb, &c).await;
    let (mut second, _) = open(&sb, &c).await;
    assert!(eventually(WAIT, || sb.open_connections() == 2).await);
    let (mut newest, _) = open(&sb, &c).await;
    assert!(eventually(WAIT, || sb.open_connections() == 3).await);

    assert_eq!(sb.drop_oldest_connections(2, DropMode::Reset), 2);
    assert!(ends_without_close_frame(&mut first).await);
    assert!(ends_without_close_frame(&mut second).await);
    assert_eq!(sb.open_connections(), 1);
    let s = sb.stores()[0].epoi_id.clone();
    let p = sb
        .customer_says(CustomerMessage::text(&s, ChatKind::PreOrder, "还在吗"))
        .unwrap();
    assert_eq!(msg_id(&next_push(&mut newest, WAIT).await), p.msg_id);
    assert_eq!(sb.pending_pushes(), 0, "the open connection took it");

    // More than are open: every one, and no more.
    assert_eq!(sb.drop_oldest_connections(5, DropMode::Reset), 1);
    assert!(ends_without_close_frame(&mut newest).await);
    assert_eq!(sb.drop_oldest_connections(1, DropMode::Reset), 0);
}

/// Every push frame the socket yields until it ends, as msg_ids.
async fn drain_pushes(ws: &mut Ws) -> Vec<i64> {
    let mut ids = Vec::new();
    while let Ok(Some(Ok(m))) = tokio::time::timeout(WAIT, ws.next()).await {
        if let Message::Text(t) = m {
            if t.as_str() != "HB" {
                let v: Value = serde_json::from_str(&decode_uri_component(t.as_str())).unwrap();
                ids.push(msg_id(&v));
            }
        }
    }
    ids
}

#[tokio::test]
async fn a_burst_is_written_in_batches_in_order_and_a_drop_after_it_loses_nothing() {
    let sb = start(quick()).await;
    let c = Client::new(&sb);
    let s = sb.stores()[0].epoi_id.clone();
    let say = |i: usize| {
        sb.customer_says(CustomerMessage::text(
            &s,
            ChatKind::PreOrder,
            format!("第{i}条"),
        ))
        .unwrap()
        .msg_id
    };
    // 200 waiting pushes reach the next connection at once: more than one batch, in order.
    let waiting: Vec<i64> = (0..200).map(say).collect();
    let (mut ws, _) = open(&sb, &c).await;
    let mut got = Vec::new();
    for _ in 0..waiting.len() {
        got.push(msg_id(&next_push(&mut ws, WAIT).await));
    }
    assert_eq!(got, waiting);

    // A burst queued on an open socket, then a reset: what this socket did not deliver
    // waits for the next one.
    let burst: Vec<i64> = (200..400).map(say).collect();
    assert_eq!(sb.drop_connections(DropMode::Reset), 1);
    let mut seen = drain_pushes(&mut ws).await;
    assert!(eventually(WAIT, || sb.open_connections() == 0).await);
    let pending = sb.pending_pushes();
    if pending > 0 {
        let (mut next, _) = open(&sb, &c).await;
        for _ in 0..pending {
            seen.push(msg_id(&next_push(&mut next, WAIT).await));
        }
    }
    for id in &burst {
        assert!(seen.contains(id), "push {id} was lost across the drop");
    }
}

#[tokio::test]
async fn push_faults_duplicate_reorder_and_delay() {
    let sb = start(quick()).await;
    let c = Client::new(&sb);
    let (mut ws, _) = open(&sb, &c).await;
    let s = sb.stores()[0].epoi_id.clone();
    let say = |t: &str| {
        sb.customer_says(CustomerMessage::text(&s, ChatKind::PreOrder, t))
            .unwrap()
            .msg_id
    };

    sb.set_faults(Faults {
        duplicate: 1.0,
        ..Faults::default()
    });
    let id = say("重复");
    assert_eq!(
        (
            msg_id(&next_push(&mut ws, WAIT).await),
            msg_id(&next_push(&mut ws, WAIT).await)
        ),
        (id, id)
    );

    sb.set_faults(Faults {
        reorder: 1.0,
        ..Faults::default()
    });
    let (first, second) = (say("先"), say("后"));
    assert_eq!(
        (
            msg_id(&next_push(&mut ws, WAIT).await),
            msg_id(&next_push(&mut ws, WAIT).await)
        ),
        (second, first)
    );
    // A held push with no successor still goes out.
    let lone = say("单独");
    assert_eq!(msg_id(&next_push(&mut ws, WAIT).await), lone);

    sb.set_faults(Faults {
        push_delay_ms: 300,
        ..Faults::default()
    });
    let started = tokio::time::Instant::now();
    let id = say("慢");
    assert_eq!(msg_id(&next_push(&mut ws, WAIT).await), id);
    assert!(started.elapsed() >= Duration::from_millis(300));
}

#[tokio::test]
async fn timed_drops_and_secret_rotation() {
    let sb = start(quick()).await;
    let c = Client::new(&sb);
    let (mut ws, old_secret) = open(&sb, &c).await;
    sb.set_faults(Faults {
        drop_every_ms: Some(200),
        ..Faults::default()
    });
    assert!(
        ends_without_close_frame(&mut ws).await,
        "the drop fault resets connections"
    );
    sb.clear_faults();

    let (mut ws, _) = open(&sb, &c).await;
    let (old_id, old_token, _) = c.connection_token(&sb.stores()[0]).await;
    sb.set_faults(Faults {
        rotate_secret_every_ms: Some(100),
        ..Faults::default()
    });
    assert!(
        ends_without_close_frame(&mut ws).await,
        "rotation resets connections"
    );
    sb.clear_faults();
    let new_secret = sb.im_secret();
    assert_ne!(new_secret, old_secret);
    let r = tokio_tungstenite::connect_async(format!(
        "{}/websocket/{old_id}/{old_token}",
        sb.push_url()
    ))
    .await;
    assert!(r.is_err(), "tokens from before the rotation stop working");
    let (mut ws, secret) = open(&sb, &c).await;
    assert_eq!(
        secret,
        sb.im_secret(),
        "a fresh token carries the new secret"
    );
    let s = sb.stores()[0].clone();
    let p = sb
        .customer_says(CustomerMessage::text(
            &s.epoi_id,
            ChatKind::PreOrder,
            "新密钥",
        ))
        .unwrap();
    let f = next_push(&mut ws, WAIT).await;
    assert_eq!(
        decrypt(&secret, f["push_content"]["msg_content"].as_str().unwrap()).as_deref(),
        Some("新密钥")
    );
    // msg/send under the old secret is refused; under the new one accepted.
    let pc = json!({"msg_id": 9, "msg_type": 1, "msg_source": 1, "cts": now_secs(), "open_user_id": p.open_user_id, "order_id": 0,
                    "scene_tag": -1, "scene_name": "", "has_reply": 0});
    assert_eq!(
        c.send(&s, 1, pc.clone(), &old_secret, "好的").await.code(),
        "OP_PARAM_INVALID"
    );
    assert_eq!(
        c.send(&s, 1, pc, &secret, "好的").await.code(),
        "OP_SUCCESS"
    );
}

#[tokio::test]
async fn held_pushes_wait_and_are_released_in_order_to_every_connection() {
    // The client stays silent while waiting, longer than `quick()` lets a socket idle.
    let sb = start(SandboxConfig::default()).await;
    let c = Client::new(&sb);
    let (mut first, _) = open(&sb, &c).await;
    let (mut second, _) = open(&sb, &c).await;
    assert!(eventually(WAIT, || sb.open_connections() == 2).await);
    let s = sb.stores()[0].epoi_id.clone();
    sb.hold_pushes();
    let held: Vec<i64> = (0..5)
        .map(|i| {
            sb.customer_says(CustomerMessage::text(
                &s,
                ChatKind::PreOrder,
                format!("积压{i}"),
            ))
            .unwrap()
            .msg_id
        })
        .collect();
    assert!(
        tokio::time::timeout(Duration::from_millis(300), first.next())
            .await
            .is_err(),
        "nothing leaves while held"
    );
    assert_eq!(sb.release_pushes(), 5);
    for ws in [&mut first, &mut second] {
        let mut got = Vec::new();
        for _ in 0..held.len() {
            got.push(msg_id(&next_push(ws, WAIT).await));
        }
        assert_eq!(got, held, "each connection gets the burst, in order");
    }
    // Released, pushes flow again at once.
    let next = sb
        .customer_says(CustomerMessage::text(&s, ChatKind::PreOrder, "之后"))
        .unwrap();
    assert_eq!(msg_id(&next_push(&mut first, WAIT).await), next.msg_id);
    assert_eq!(sb.release_pushes(), 0, "nothing is held any more");
}
