//! Store settings, groups, fans and coupons, context cards, load mode, simulated customers and
//! the `/_sandbox/…` control routes.

#![allow(clippy::unwrap_used, clippy::expect_used)] // helpers outside #[test] fns panic on purpose

mod common;

use common::*;
use meituan_sandbox::{ChatKind, CustomerMessage, Sandbox, SandboxConfig};
use serde_json::{json, Value};
use std::collections::HashSet;
use std::time::Duration;

const WAIT: Duration = Duration::from_secs(5);

#[tokio::test]
async fn auto_reply_robot_switches_and_texts() {
    let sb = start(SandboxConfig::default()).await;
    let c = Client::new(&sb);
    for s in sb.stores().into_iter().take(2) {
        let list = c
            .im(&s, "autosend/getAutoSendConfigInfo", None)
            .await
            .data();
        let list = list.as_array().unwrap();
        assert!(list
            .iter()
            .any(|a| a["type"] == 9 && a["sceneName"].is_string() && a["content"].is_string()));
        let off_all = json!({"allStatus": [{"type": 0, "switchStatus": 0}]}).to_string();
        assert_eq!(
            c.im(&s, "autosend/setAutoSendConfigInfo", Some(&off_all))
                .await
                .code(),
            "OP_SUCCESS"
        );
        let list = c
            .im(&s, "autosend/getAutoSendConfigInfo", None)
            .await
            .data();
        assert!(list.as_array().unwrap().iter().all(|a| a["status"] == 0));
        let one_on = json!({"allStatus": [{"type": 9, "switchStatus": 1}]}).to_string();
        assert_eq!(
            c.im(&s, "autosend/setAutoSendConfigInfo", Some(&one_on))
                .await
                .code(),
            "OP_SUCCESS"
        );
        let list = c
            .im(&s, "autosend/getAutoSendConfigInfo", None)
            .await
            .data();
        assert_eq!(
            list.as_array()
                .unwrap()
                .iter()
                .filter(|a| a["status"] == 1)
                .count(),
            1
        );
        for bad in [
            json!({"allStatus": [{"type": 999, "switchStatus": 1}]}),
            json!({"allStatus": [{"type": 9, "switchStatus": 5}]}),
        ] {
            assert_eq!(
                c.im(&s, "autosend/setAutoSendConfigInfo", Some(&bad.to_string()))
                    .await
                    .code(),
                "OP_PARAM_INVALID"
            );
        }
        let ok = [
            json!({"auto_send_type": 18, "op_type": 0, "status": 1}),
            json!({"auto_send_type": 18, "op_type": 2, "content": "给个好评吧"}),
        ];
        for b in ok {
            assert_eq!(
                c.im(&s, "setAutoSendConfig", Some(&b.to_string()))
                    .await
                    .code(),
                "OP_SUCCESS"
            );
        }
        let bad = [
            json!({"auto_send_type": 9, "op_type": 0, "status": 1}),
            json!({"auto_send_type": 18, "op_type": 3, "status": 1}),
            json!({"auto_send_type": 18, "op_type": 0}),
            json!({"auto_send_type": 18, "op_type": 1, "status": 1}),
        ];
        for b in bad {
            assert_eq!(
                c.im(&s, "setAutoSendConfig", Some(&b.to_string()))
                    .await
                    .code(),
                "OP_PARAM_INVALID",
                "{b}"
            );
        }
    }
}

#[tokio::test]
async fn invite_review_text_is_scene_18_and_has_a_length_limit() {
    let sb = start(SandboxConfig::default()).await;
    let c = Client::new(&sb);
    let s = sb.stores()[0].clone();
    let scene18 = |sb: &Sandbox| {
        sb.auto_replies(&s.epoi_id)
            .unwrap()
            .into_iter()
            .find(|a| a.scene == 18)
            .unwrap()
    };
    let before = scene18(&sb);
    let set = |b: Value| {
        let c = &c;
        let s = &s;
        async move {
            c.im(s, "setAutoSendConfig", Some(&b.to_string()))
                .await
                .code()
        }
    };
    // One over the limit, and blank: refused, nothing changes.
    let long = "好".repeat(meituan_sandbox::ROBOT_REPLY_MAX_CHARS + 1);
    for bad in [long.as_str(), "  "] {
        assert_eq!(
            set(json!({"auto_send_type": 18, "op_type": 1, "status": 1, "content": bad})).await,
            "OP_PARAM_INVALID"
        );
    }
    assert_eq!(scene18(&sb), before);
    // Exactly at the limit, with the switch: both land in the robot's list.
    let max = "好".repeat(meituan_sandbox::ROBOT_REPLY_MAX_CHARS);
    assert_eq!(
        set(json!({"auto_send_type": 18, "op_type": 1, "status": i32::from(!before.on), "content": max})).await,
        "OP_SUCCESS"
    );
    let after = scene18(&sb);
    assert_eq!(
        (after.content.as_str(), after.on),
        (max.as_str(), !before.on)
    );
    let listed = c
        .im(&s, "autosend/getAutoSendConfigInfo", None)
        .await
        .data();
    let listed = listed
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["type"] == 18)
        .unwrap()
        .clone();
    assert_eq!(listed["content"], max.as_str());
    // The control route tells the same.
    let route: Value = reqwest::get(format!(
        "{}/_sandbox/auto_replies?epoi_id={}",
        sb.gateway_url(),
        s.epoi_id
    ))
    .await
    .unwrap()
    .json()
    .await
    .unwrap();
    assert!(route
        .as_array()
        .unwrap()
        .iter()
        .any(|a| a["scene"] == 18 && a["content"] == max.as_str()));
}

#[tokio::test]
async fn review_contact_fans_and_rider_chats() {
    let sb = start(SandboxConfig::default()).await;
    let c = Client::new(&sb);
    let secret = sb.im_secret();
    let s = sb.stores()[1].clone();
    let comment = sb.comment_ids(&s.epoi_id).unwrap()[0];
    let g = c
        .im(
            &s,
            "createGroup",
            Some(&json!({"group_type": 1, "comment_id": comment}).to_string()),
        )
        .await
        .data();
    let group = g["group_id"].as_i64().unwrap();
    assert_eq!(g["new_group"], "true");
    let again = c
        .im(
            &s,
            "createGroup",
            Some(&json!({"group_type": 1, "comment_id": comment}).to_string()),
        )
        .await
        .data();
    assert_eq!(
        (again["group_id"].as_i64(), again["new_group"].as_str()),
        (Some(group), Some("false"))
    );
    for bad in [
        json!({"group_type": 2, "comment_id": comment}),
        json!({"group_type": 1}),
        json!({"group_type": 1, "comment_id": 5}),
    ] {
        assert_eq!(
            c.im(&s, "createGroup", Some(&bad.to_string())).await.code(),
            "OP_PARAM_INVALID"
        );
    }
    let pc = json!({"msg_id": 1, "msg_type": 0, "msg_source": 1, "cts": now_secs(), "comment_id": comment, "group_id": group});
    assert_eq!(
        c.send(&s, 4, pc.clone(), &secret, "您好，关于您的评价")
            .await
            .code(),
        "OP_SUCCESS"
    );
    let mut wrong = pc.clone();
    wrong["msg_id"] = json!(2);
    wrong["msg_type"] = json!(1);
    assert_eq!(
        c.send(&s, 4, wrong, &secret, "x").await.code(),
        "OP_PARAM_INVALID",
        "text is 0 in groups"
    );
    let p = sb
        .customer_says(CustomerMessage::text(&s.epoi_id, ChatKind::Review, "好吧").in_group(group))
        .unwrap();
    assert_eq!(p.comment_id, Some(comment));

    // fans group and its coupons
    assert_eq!(
        c.im(&s, "queryStoreHaveBuild", None).await.data()["status"],
        true
    );
    let created = c
        .im(
            &s,
            "createFansGroup",
            Some(&json!({"groupIntro": "进群领券", "groupWelcomeMsg": "欢迎"}).to_string()),
        )
        .await
        .data();
    let (fid, fname) = (
        created["groupId"].as_i64().unwrap(),
        created["groupName"].as_str().unwrap().to_string(),
    );
    assert_eq!(
        c.im(
            &s,
            "createFansGroup",
            Some(&json!({"groupIntro": "x"}).to_string())
        )
        .await
        .code(),
        "OP_PARAM_INVALID"
    );
    let q = c
        .im(
            &s,
            "queryStoreFansGroup",
            Some(&json!({"page": 1, "pageSize": 10}).to_string()),
        )
        .await
        .data();
    assert_eq!(q["groupId"].as_i64(), Some(fid));
    let p = sb
        .customer_says(CustomerMessage::text(&s.epoi_id, ChatKind::Fans, "有券吗").in_group(fid))
        .unwrap();
    assert_eq!(p.group_id, Some(fid));
    let pc = json!({"msg_id": 3, "msg_type": 0, "msg_source": 1, "cts": now_secs(), "group_id": fid, "group_name": fname});
    assert_eq!(
        c.send(&s, 5, pc.clone(), &secret, "马上发").await.code(),
        "OP_SUCCESS"
    );
    let mut wrong = pc;
    wrong["msg_id"] = json!(4);
    wrong["group_name"] = json!("别的群");
    assert_eq!(
        c.send(&s, 5, wrong, &secret, "x").await.code(),
        "OP_PARAM_INVALID"
    );
    let remain = |v: Value| v["remainCouponNum"].as_i64().unwrap();
    let before = remain(
        c.im(
            &s,
            "remainCoupon",
            Some(&json!({"groupId": fid}).to_string()),
        )
        .await
        .data(),
    );
    let coupon = json!({"groupId": fid, "validTime": 86400, "count": 10, "actType": 1, "activityValidTime": 3600, "limitPrice": 30, "price": 5});
    let sent = c
        .im(&s, "sendFansGroupCoupon", Some(&coupon.to_string()))
        .await
        .data();
    let config_id = sent["couponConfigId"].as_str().unwrap().to_string();
    assert_eq!(
        remain(
            c.im(
                &s,
                "remainCoupon",
                Some(&json!({"groupId": fid}).to_string())
            )
            .await
            .data()
        ),
        before - 1
    );
    for (k, v) in [
        ("price", json!(20)),
        ("count", json!(0)),
        ("actType", json!(3)),
        ("groupId", json!(1)),
    ] {
        let mut bad = coupon.clone();
        bad[k] = v;
        assert_eq!(
            c.im(&s, "sendFansGroupCoupon", Some(&bad.to_string()))
                .await
                .code(),
            "OP_PARAM_INVALID",
            "{k}"
        );
    }
    let q = c
        .im(
            &s,
            "queryCoupon",
            Some(&json!({"page": 1, "pageSize": 5}).to_string()),
        )
        .await
        .data();
    assert_eq!(
        (q["total"].as_i64(), q["couponConfigId"].as_str()),
        (Some(1), Some(config_id.as_str()))
    );
    let d = c
        .im(
            &s,
            "queryReceiveCouponDetail",
            Some(&json!({"couponConfigId": config_id}).to_string()),
        )
        .await
        .data();
    assert_eq!(
        d["sendNum"].as_i64().unwrap(),
        d["useNum"].as_i64().unwrap() + d["unUseNum"].as_i64().unwrap()
    );
    let act = json!({"groupId": fid, "price": 3, "limitPrice": 20, "validity": 7});
    assert_eq!(
        c.im(&s, "createEnterCouponActivity", Some(&act.to_string()))
            .await
            .code(),
        "OP_SUCCESS"
    );
    assert_eq!(
        c.im(&s, "createEnterCouponActivity", Some(&act.to_string()))
            .await
            .code(),
        "OP_PARAM_INVALID",
        "one running"
    );
    let q = c
        .im(
            &s,
            "queryEnterCouponActivity",
            Some(&json!({"index": 0, "size": 10, "status": "1"}).to_string()),
        )
        .await
        .data();
    let activity = q["activityId"].as_i64().unwrap();
    assert_eq!(q["valid"], 1);
    let revoke = json!({"groupId": fid, "activityId": activity}).to_string();
    assert_eq!(
        c.im(&s, "revokeEnterCouponActivity", Some(&revoke))
            .await
            .code(),
        "OP_SUCCESS"
    );
    assert_eq!(
        c.im(&s, "revokeEnterCouponActivity", Some(&revoke))
            .await
            .code(),
        "OP_PARAM_INVALID"
    );

    // rider chat
    let p = sb
        .customer_says(CustomerMessage::text(
            &s.epoi_id,
            ChatKind::Rider,
            "师傅到哪了",
        ))
        .unwrap();
    let pc = json!({"msg_id": 5, "msg_type": 0, "msg_source": 1, "cts": now_secs(), "group_id": p.group_id,
                    "open_user_id": p.open_user_id, "rider_id": p.rider_id});
    assert_eq!(
        c.send(&s, 6, pc.clone(), &secret, "马上到").await.code(),
        "OP_SUCCESS"
    );
    let mut wrong = pc;
    wrong["msg_id"] = json!(6);
    wrong["rider_id"] = json!(1);
    assert_eq!(
        c.send(&s, 6, wrong, &secret, "x").await.code(),
        "OP_PARAM_INVALID"
    );
    assert_eq!(
        sb.merchant_messages(&s.epoi_id)
            .unwrap()
            .iter()
            .map(|m| m.biz_type)
            .collect::<Vec<_>>(),
        vec![4, 5, 6]
    );
}

#[tokio::test]
async fn store_and_review_context_in_both_families() {
    let sb = start(SandboxConfig::default()).await;
    let c = Client::new(&sb);
    let (s16, s2) = (sb.stores()[0].clone(), sb.stores()[1].clone());
    let d = c
        .call(
            "/wmoper/ng/poi/mget",
            16,
            None,
            Some(&json!({"epoiIds": s16.epoi_id}).to_string()),
        )
        .await
        .data();
    assert_eq!(
        (d[0]["epoiId"].as_str(), d[0]["name"].as_str()),
        (Some(s16.epoi_id.as_str()), Some(s16.name.as_str()))
    );
    let d = c
        .call(
            "/waimai/poi/queryPoiInfo",
            2,
            Some(&s2.app_auth_token),
            Some(&json!({"ePoiIds": format!("{},{}", s2.epoi_id, s16.epoi_id)}).to_string()),
        )
        .await
        .data();
    assert_eq!(d.as_array().unwrap().len(), 2);
    let a = c
        .call(
            "/wmoper/ng/poi/mget",
            16,
            None,
            Some(&json!({"epoiIds": "mt-9999"}).to_string()),
        )
        .await;
    assert_eq!(a.code(), "OP_STORE_UNKNOWN");
    let q = json!({"startTime": "0", "endTime": "9999999999", "offset": 0, "limit": 10});
    let d = c
        .call(
            "/wmoper/ng/comment/queryCommentList",
            16,
            Some(&s16.app_auth_token),
            Some(&q.to_string()),
        )
        .await
        .data();
    assert_eq!(d.as_array().unwrap().len(), 3);
    assert!(d[0]["user_id"].is_i64() && d[0]["comment_order_detail"].is_array());
    let d = c
        .call(
            "/waimai/ng/comment/queryCommentList",
            2,
            Some(&s2.app_auth_token),
            Some(&opaque(q.clone())),
        )
        .await
        .data();
    assert_eq!(
        d[0]["comment_id"].as_i64(),
        Some(sb.comment_ids(&s2.epoi_id).unwrap()[0])
    );
    let order = sb
        .customer_says(CustomerMessage::text(
            &s2.epoi_id,
            ChatKind::InProgress,
            "到哪了",
        ))
        .unwrap()
        .order_id
        .unwrap();
    let d = c
        .call(
            "/waimai/order/queryById",
            2,
            Some(&s2.app_auth_token),
            Some(&json!({"orderId": order}).to_string()),
        )
        .await
        .data();
    assert_eq!(
        (
            d["orderId"].as_i64(),
            d["ePoiId"].as_str(),
            d["status"].as_i64()
        ),
        (Some(order), Some(s2.epoi_id.as_str()), Some(4))
    );
    let items: Value = serde_json::from_str(d["detail"].as_str().unwrap()).unwrap();
    assert!(!items.as_array().unwrap().is_empty());
    let a = c
        .call(
            "/waimai/order/queryById",
            2,
            Some(&s2.app_auth_token),
            Some(&json!({"orderId": 1}).to_string()),
        )
        .await;
    assert_eq!(a.code(), "OP_PARAM_INVALID");
}

#[tokio::test]
async fn bounded_load_pushes_exactly_what_it_reports() {
    let sb = start(SandboxConfig {
        stores: 4,
        ..SandboxConfig::default()
    })
    .await;
    let c = Client::new(&sb);
    let (id, token, _) = c.connection_token(&sb.stores()[0]).await;
    let mut ws = connect(sb.push_url(), &id, &token).await;
    assert!(eventually(WAIT, || sb.open_connections() == 1).await);
    let pushed = sb.run_load(400, 4_000.0).await;
    assert_eq!(pushed.len(), 400);
    let stores: HashSet<&str> = pushed.iter().map(|p| p.epoi_id.as_str()).collect();
    assert_eq!(stores.len(), 4, "spread over the stores");
    let mut got = HashSet::new();
    while got.len() < 400 {
        got.insert(
            next_push(&mut ws, WAIT).await["push_content"]["msg_id"]
                .as_i64()
                .unwrap(),
        );
    }
    let sent: HashSet<i64> = pushed.iter().map(|p| p.msg_id).collect();
    assert_eq!(got, sent);
}

#[tokio::test]
async fn the_same_seed_makes_the_same_world_and_conversations() {
    let config = || SandboxConfig {
        seed: 42,
        chatter: true,
        chatter_per_minute: 6_000.0,
        chatter_tick: Duration::from_millis(20),
        ..SandboxConfig::default()
    };
    let mut runs = Vec::new();
    for _ in 0..2 {
        let sb = start(config()).await;
        let c = Client::new(&sb);
        let (id, token, secret) = c.connection_token(&sb.stores()[0]).await;
        let mut ws = connect(sb.push_url(), &id, &token).await;
        let mut texts = Vec::new();
        while texts.len() < 4 {
            let f = next_push(&mut ws, WAIT).await;
            let t = decrypt(&secret, f["push_content"]["msg_content"].as_str().unwrap()).unwrap();
            texts.push((
                f["epoiId"].as_str().unwrap().to_string(),
                f["biz_type"].as_i64().unwrap(),
                t,
            ));
        }
        runs.push((sb.coordinates(), texts));
        sb.shutdown().await;
    }
    let strip = |v: &Value| {
        let mut v = v.clone();
        v.as_object_mut().unwrap().remove("gateway_url");
        v.as_object_mut().unwrap().remove("push_url");
        v
    };
    assert_eq!(strip(&runs[0].0), strip(&runs[1].0));
    assert_eq!(runs[0].1, runs[1].1);
    let other = start(SandboxConfig {
        seed: 43,
        ..SandboxConfig::default()
    })
    .await;
    assert_ne!(strip(&other.coordinates()), strip(&runs[0].0));
}

#[tokio::test]
async fn simulated_customers_read_answer_and_escalate() {
    let sb = start(SandboxConfig {
        seed: 7,
        stores: 1,
        chatter: true,
        chatter_per_minute: 600.0,
        chatter_tick: Duration::from_millis(50),
        escalate_after: Duration::from_millis(400),
        ..SandboxConfig::default()
    })
    .await;
    let c = Client::new(&sb);
    let s = sb.stores()[0].clone();
    let (id, token, secret) = c.connection_token(&s).await;
    let mut ws = connect(sb.push_url(), &id, &token).await;
    // Wait for a two-party chat, answer it, and expect a read and a follow-up from that customer.
    let (user, order) = loop {
        let f = next_push(&mut ws, WAIT).await;
        if f["biz_type"] == 1 && f["push_content"]["msg_type"] == 1 {
            break (
                f["push_content"]["open_user_id"].as_i64().unwrap(),
                f["push_content"]["order_id"].as_i64().unwrap(),
            );
        }
    };
    let pc = json!({"msg_id": 1, "msg_type": 1, "msg_source": 1, "cts": now_secs(), "open_user_id": user, "order_id": order,
                    "scene_tag": -1, "scene_name": "", "has_reply": 0});
    assert_eq!(
        c.send(&s, 1, pc, &secret, "您好，马上处理").await.code(),
        "OP_SUCCESS"
    );
    let q = opaque_for(&s, json!({"openUserId": user}));
    let mut read = 0;
    for _ in 0..100 {
        read = c.im(&s, "userReadTime", Some(&q)).await.data()["last_read_time"]
            .as_i64()
            .unwrap();
        if read > 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(read > 0, "the customer read the reply");
    // Ignored customers press, then complain with the urgent tag.
    let mut saw_urgent = false;
    for _ in 0..200 {
        let f = next_push(&mut ws, WAIT).await;
        if f["push_content"]["scene_tag"] == 9003 {
            let t = decrypt(&secret, f["push_content"]["msg_content"].as_str().unwrap()).unwrap();
            if t.contains("投诉") {
                saw_urgent = true;
                break;
            }
        }
    }
    assert!(saw_urgent, "an ignored customer escalated");
}

#[tokio::test]
async fn control_routes_script_the_platform_over_http() {
    let sb = start(SandboxConfig::default()).await;
    let c = Client::new(&sb);
    let http = &c.http;
    let url = |p: &str| format!("{}/_sandbox{p}", sb.gateway_url());
    let get = |p: String| async move {
        http.get(p)
            .send()
            .await
            .unwrap()
            .json::<Value>()
            .await
            .unwrap()
    };
    let post = |p: String, b: Value| async move { http.post(p).json(&b).send().await.unwrap() };
    let coords = get(url("/coordinates")).await;
    assert_eq!(coords, sb.coordinates());
    let s = sb.stores()[1].clone();
    let r = post(url("/customer/says"), json!({"epoi_id": s.epoi_id, "chat": "in_progress", "content": {"text": "到哪了"}, "scene_tag": -1})).await;
    let p: Value = r.json().await.unwrap();
    let (user, order) = (
        p["open_user_id"].as_i64().unwrap(),
        p["order_id"].as_i64().unwrap(),
    );
    let r: Value = post(
        url("/customer/read"),
        json!({"epoi_id": s.epoi_id, "open_user_id": user}),
    )
    .await
    .json()
    .await
    .unwrap();
    assert!(r["last_read_time"].as_i64().unwrap() > 0);
    let o = get(url(&format!(
        "/order?epoi_id={}&order_id={order}",
        s.epoi_id
    )))
    .await;
    assert_eq!(o["status"], 4);
    let done = now_ms() - 50 * 3_600_000;
    let o: Value = post(
        url("/order/complete"),
        json!({"epoi_id": s.epoi_id, "order_id": order, "completed_at_ms": done}),
    )
    .await
    .json()
    .await
    .unwrap();
    assert_eq!(
        (o["status"].as_i64(), o["completed_at_ms"].as_i64()),
        (Some(8), Some(done))
    );
    let pc = json!({"msg_id": 1, "msg_type": 1, "msg_source": 1, "cts": now_secs(), "open_user_id": user, "order_id": order,
                    "scene_tag": -1, "scene_name": "", "has_reply": 0});
    assert_eq!(
        c.send(&s, 1, pc, &sb.im_secret(), "抱歉").await.code(),
        "OP_CHAT_EXPIRED"
    );
    assert_eq!(
        post(
            url("/customer/says"),
            json!({"epoi_id": "mt-0", "chat": "fans", "content": {"text": "x"}})
        )
        .await
        .status(),
        404
    );
    assert_eq!(
        get(url(&format!("/customers?epoi_id={}", s.epoi_id)))
            .await
            .as_array()
            .unwrap()
            .len(),
        24
    );
    assert_eq!(
        get(url(&format!("/comments?epoi_id={}", s.epoi_id)))
            .await
            .as_array()
            .unwrap()
            .len(),
        3
    );
    assert!(
        get(url(&format!("/merchant_messages?epoi_id={}", s.epoi_id)))
            .await
            .as_array()
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        get(url(&format!("/reply_timings?epoi_id={}", s.epoi_id)))
            .await
            .as_array()
            .unwrap()
            .len(),
        1
    );
    assert!(get(url(&format!("/blocked?epoi_id={}", s.epoi_id)))
        .await
        .as_array()
        .unwrap()
        .is_empty());
    post(
        url("/im_status"),
        json!({"epoi_id": s.epoi_id, "on": false}),
    )
    .await;
    assert!(!sb.im_status(&s.epoi_id).unwrap());
    let f = http
        .put(url("/faults"))
        .json(&json!({"duplicate": 1.0}))
        .send()
        .await
        .unwrap()
        .json::<Value>()
        .await
        .unwrap();
    assert_eq!(f["duplicate"], 1.0);
    assert_eq!(sb.faults().duplicate, 1.0);
    assert_eq!(get(url("/faults")).await["duplicate"], 1.0);
    http.put(url("/faults"))
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(
        get(url("/connections")).await,
        json!({"open": 0, "pending": 1})
    );
    let (id, token, _) = c.connection_token(&s).await;
    let _ws = connect(sb.push_url(), &id, &token).await;
    assert!(eventually(WAIT, || sb.open_connections() == 1).await);
    let d: Value = post(url("/connections/drop"), json!({"mode": "reset"}))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(d["dropped"], 1);
    let old = sb.im_secret();
    post(url("/secret/rotate"), json!({})).await;
    assert_ne!(sb.im_secret(), old);
    post(url("/tokens/expire"), json!({"epoi_id": s.epoi_id})).await;
    assert_eq!(
        c.im(&s, "getPoiIMStatus", None).await.code(),
        "OP_AUTH_TOKEN_EXPIRED"
    );
    let code: Value = post(url("/oauth/code"), json!({"epoi_id": s.epoi_id}))
        .await
        .json()
        .await
        .unwrap();
    assert!(code["code"].as_str().unwrap().starts_with("code-"));
    let (cid, ctoken, _) = c.connection_token(&sb.stores()[0]).await;
    let _ws = connect(sb.push_url(), &cid, &ctoken).await;
    post(url("/connections/expire_tokens"), json!({})).await;
    assert!(tokio_tungstenite::connect_async(format!(
        "{}/websocket/{cid}/{ctoken}",
        sb.push_url()
    ))
    .await
    .is_err());
    let pushed: Value = post(url("/load"), json!({"count": 5, "rate": 1000.0}))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(pushed.as_array().unwrap().len(), 5);
}

#[tokio::test]
async fn drop_shuts_the_sandbox_down() {
    let sb = Sandbox::start(SandboxConfig::default()).await.unwrap();
    let url = format!("{}/_sandbox/coordinates", sb.gateway_url());
    let c = Client::new(&sb);
    assert!(c.http.get(&url).send().await.is_ok());
    drop(sb);
    let mut refused = false;
    for _ in 0..50 {
        if c.http.get(&url).send().await.is_err() {
            refused = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(refused, "nothing listens after drop");
}
