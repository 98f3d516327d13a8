//! msg/send validation, blocking, the 48-hour rule, idempotence, read times and reply rates.

#![allow(clippy::unwrap_used, clippy::expect_used)] // helpers outside #[test] fns panic on purpose

mod common;

use common::*;
use meituan_sandbox::{ChatKind, CustomerMessage, SandboxConfig, SandboxError};
use serde_json::{json, Value};

/// A merchant's two-party text reply with every field §4.3 requires for biz_type 1.
fn text_pc(msg_id: i64, user: i64, order: i64) -> Value {
    json!({"msg_id": msg_id, "msg_type": 1, "msg_source": 1, "cts": now_secs(), "open_user_id": user, "order_id": order,
           "scene_tag": -1, "scene_name": "", "has_reply": 0})
}

#[tokio::test]
async fn a_reply_is_accepted_recorded_decrypted_and_stops_the_clock() {
    let sb = start(SandboxConfig::default()).await;
    let c = Client::new(&sb);
    for store in sb.stores() {
        let p = sb
            .customer_says(CustomerMessage::text(
                &store.epoi_id,
                ChatKind::InProgress,
                "我的餐到哪了？",
            ))
            .unwrap();
        let (user, order) = (p.open_user_id.unwrap(), p.order_id.unwrap());
        assert_eq!(sb.order(&store.epoi_id, order).unwrap().status, 4);
        let a = c
            .send(
                &store,
                1,
                text_pc(p.msg_id + 1, user, order),
                &sb.im_secret(),
                "马上就到，请稍等",
            )
            .await;
        assert_eq!(a.code(), "OP_SUCCESS", "{}", a.body);
        let sent = sb.merchant_messages(&store.epoi_id).unwrap();
        assert_eq!(sent.len(), 1);
        assert_eq!(
            (
                sent[0].text.as_str(),
                sent[0].open_user_id,
                sent[0].order_id
            ),
            ("马上就到，请稍等", Some(user), Some(order))
        );
        let t = sb.reply_timings(&store.epoi_id).unwrap();
        assert_eq!(t.len(), 1);
        assert!(t[0].replied_at_ms.is_some() && !t[0].urgent && t[0].msg_id == p.msg_id);
    }
}

/// A message that names no customer comes from one who has not written yet, while there is
/// one: a script's messages start separate conversations, never one another's by chance. Once
/// every customer has written, the store's regulars write again.
#[tokio::test]
async fn an_unnamed_customer_is_a_new_voice_until_everyone_has_written() {
    let sb = start(SandboxConfig::default()).await;
    let s = sb.stores()[0].epoi_id.clone();
    let customers = sb.customers(&s).unwrap().len();
    let mut seen = std::collections::BTreeSet::new();
    for i in 0..customers {
        let p = sb
            .customer_says(CustomerMessage::text(
                &s,
                ChatKind::PreOrder,
                format!("在吗 {i}"),
            ))
            .unwrap();
        assert!(
            seen.insert(p.open_user_id.unwrap()),
            "message {i} reused a customer"
        );
    }
    let again = sb
        .customer_says(CustomerMessage::text(&s, ChatKind::PreOrder, "还在吗"))
        .unwrap();
    assert!(seen.contains(&again.open_user_id.unwrap()));
}

#[tokio::test]
async fn an_added_customer_is_new_and_can_write() {
    let sb = start(SandboxConfig::default()).await;
    let s = sb.stores()[1].epoi_id.clone();
    let before = sb.customers(&s).unwrap();
    let added = sb.add_customer(&s).unwrap();
    assert!(!before.contains(&added), "a customer who was not there");
    assert!(sb.customers(&s).unwrap().contains(&added));
    let p = sb
        .customer_says(
            CustomerMessage::text(&s, ChatKind::PreOrder, "第一次来").from_customer(added),
        )
        .unwrap();
    assert_eq!(p.open_user_id, Some(added));
    assert!(sb.add_customer("no-such-store").is_err());
}

#[tokio::test]
async fn push_content_is_validated_per_biz_type() {
    let sb = start(SandboxConfig::default()).await;
    let c = Client::new(&sb);
    let s = sb.stores()[0].clone();
    let secret = sb.im_secret();
    let p = sb
        .customer_says(
            CustomerMessage::text(&s.epoi_id, ChatKind::Completed, "少送了一个卤蛋").scene(3001),
        )
        .unwrap();
    let (user, order) = (p.open_user_id.unwrap(), p.order_id.unwrap());
    let other = sb
        .customers(&s.epoi_id)
        .unwrap()
        .into_iter()
        .find(|u| *u != user)
        .unwrap();
    let good = text_pc(1, user, order);
    let with = |k: &str, v: Value| {
        let mut pc = good.clone();
        pc[k] = v;
        pc
    };
    let without = |k: &str| {
        let mut pc = good.clone();
        pc.as_object_mut().unwrap().remove(k);
        pc
    };
    let cases: Vec<(i64, Value, &str)> = vec![
        (3, good.clone(), "biz_type 3"),
        (1, with("msg_type", json!(0)), "msg_type 0 on biz_type 1"),
        (1, with("msg_type", json!(4)), "msg_type 4"),
        (1, with("msg_source", json!(2)), "msg_source 2"),
        (1, with("cts", json!(now_secs() * 1000)), "cts in ms"),
        (1, with("msg_id", json!(-5)), "negative msg_id"),
        (1, with("msg_id", json!("12")), "msg_id as a string"),
        (1, without("msg_id"), "no msg_id"),
        (1, without("open_user_id"), "no open_user_id"),
        (1, without("order_id"), "no order_id"),
        (1, without("scene_tag"), "no scene_tag"),
        (1, without("scene_name"), "no scene_name"),
        (1, without("has_reply"), "no has_reply"),
        (1, with("scene_tag", json!(0)), "scene_tag 0"),
        (1, with("scene_tag", json!("-1")), "scene_tag as a string"),
        (
            1,
            with("scene_name", json!("紧急消息")),
            "a scene name on a normal message",
        ),
        (1, with("scene_name", json!(null)), "scene_name null"),
        (1, with("has_reply", json!(3)), "has_reply 3"),
        (1, with("open_user_id", json!(12345)), "unknown customer"),
        (
            1,
            with("open_user_id", json!(other)),
            "order of another customer",
        ),
        (1, with("order_id", json!(99)), "unknown order"),
        (4, with("msg_type", json!(0)), "review chat without ids"),
        (5, with("msg_type", json!(0)), "fans chat without ids"),
        (6, with("msg_type", json!(0)), "rider chat without ids"),
    ];
    for (biz_type, pc, why) in cases {
        let a = c.send(&s, biz_type, pc, &secret, "你好").await;
        assert_eq!(a.code(), "OP_PARAM_INVALID", "{why}: {}", a.body);
    }
    // Each missing scene field is named, so the refusal is for that field and nothing else.
    for field in ["scene_tag", "scene_name", "has_reply"] {
        let a = c.send(&s, 1, without(field), &secret, "你好").await;
        assert!(a.msg().contains(field), "{field}: {}", a.body);
    }
    // A scene message names its scene.
    let scene = with("scene_tag", json!(3001));
    let mut scene = scene;
    scene["scene_name"] = json!("餐品错送/少送");
    scene["msg_id"] = json!(3);
    assert_eq!(
        c.send(&s, 1, scene, &secret, "马上补送").await.code(),
        "OP_SUCCESS"
    );
    // content: wrong key, not base64, empty text, image that is not a URL
    let a = c
        .send(&s, 1, good.clone(), "0000000000000000", "你好")
        .await;
    assert_eq!(a.code(), "OP_PARAM_INVALID");
    let mut pc = good.clone();
    pc["msg_content"] = json!("%%%");
    let biz = json!({"biz_type": 1, "push_content": pc}).to_string();
    assert_eq!(
        c.im(&s, "msg/send", Some(&biz)).await.code(),
        "OP_PARAM_INVALID"
    );
    assert_eq!(
        c.send(&s, 1, good.clone(), &secret, "  ").await.code(),
        "OP_PARAM_INVALID"
    );
    assert_eq!(
        c.send(&s, 1, with("msg_type", json!(2)), &secret, "not a url")
            .await
            .code(),
        "OP_PARAM_INVALID"
    );
    let img = format!("{}/img/1.png", sb.gateway_url());
    assert_eq!(
        c.send(&s, 1, with("msg_type", json!(2)), &secret, &img)
            .await
            .code(),
        "OP_SUCCESS"
    );
    // push_content as a string, not an object
    let biz = json!({"biz_type": 1, "push_content": good.to_string()}).to_string();
    assert_eq!(
        c.im(&s, "msg/send", Some(&biz)).await.code(),
        "OP_PARAM_INVALID"
    );
    // a pre-order reply uses order_id 0
    let pre = sb
        .customer_says(CustomerMessage::text(
            &s.epoi_id,
            ChatKind::PreOrder,
            "还营业吗？",
        ))
        .unwrap();
    assert_eq!(pre.order_id, Some(0));
    let a = c
        .send(
            &s,
            1,
            text_pc(2, pre.open_user_id.unwrap(), 0),
            &secret,
            "营业的",
        )
        .await;
    assert_eq!(a.code(), "OP_SUCCESS");
    // The image, the scene message and the pre-order reply.
    assert_eq!(
        sb.merchant_messages(&s.epoi_id).unwrap().len(),
        3,
        "only valid sends were recorded"
    );
}

#[tokio::test]
async fn a_repeated_msg_id_is_the_same_message() {
    let sb = start(SandboxConfig::default()).await;
    let c = Client::new(&sb);
    let s = sb.stores()[1].clone();
    let p = sb
        .customer_says(CustomerMessage::text(
            &s.epoi_id,
            ChatKind::PreOrder,
            "有发票吗",
        ))
        .unwrap();
    let pc = text_pc(777, p.open_user_id.unwrap(), 0);
    for _ in 0..3 {
        assert_eq!(
            c.send(&s, 1, pc.clone(), &sb.im_secret(), "有的")
                .await
                .code(),
            "OP_SUCCESS"
        );
    }
    assert_eq!(sb.merchant_messages(&s.epoi_id).unwrap().len(), 1);
    assert_eq!(sb.counters().2, 1);
}

#[tokio::test]
async fn blocked_customers_cannot_be_reached_nor_reach_the_store() {
    let sb = start(SandboxConfig::default()).await;
    let c = Client::new(&sb);
    // Evidence must be the store's own uploads, which only businessId 16 has (tests/images.rs
    // covers the refusals on businessId 2).
    for s in sb.stores().into_iter().filter(|s| s.business_id == 16) {
        let p = sb
            .customer_says(CustomerMessage::text(
                &s.epoi_id,
                ChatKind::PreOrder,
                "加个微信吧",
            ))
            .unwrap();
        let ((pic1, _), (pic2, _)) = (c.upload_png(&s, 1).await, c.upload_png(&s, 2).await);
        let user = p.open_user_id.unwrap();
        let block = |v: Value| v.to_string();
        for bad in [
            json!({"open_user_id": user.to_string(), "block_code": 4, "voucher_pic_ids": pic1}),
            json!({"open_user_id": user.to_string(), "block_code": 3, "voucher_pic_ids": pic1}),
            json!({"open_user_id": user.to_string(), "block_code": 1, "voucher_pic_ids": ""}),
            json!({"open_user_id": user.to_string(), "block_code": 1, "voucher_pic_ids": "1,2,3,4,5,6,7,8,9,10"}),
            json!({"open_user_id": user, "block_code": 1, "voucher_pic_ids": pic1}),
            json!({"open_user_id": "123", "block_code": 1, "voucher_pic_ids": pic1}),
        ] {
            assert_eq!(
                c.im(&s, "blockUser", Some(&block(bad))).await.code(),
                "OP_PARAM_INVALID"
            );
        }
        let ok = json!({"open_user_id": user.to_string(), "block_code": 2, "voucher_pic_ids": format!("{pic1},{pic2}")});
        let a = c.im(&s, "blockUser", Some(&block(ok))).await;
        assert_eq!(a.code(), "OP_SUCCESS");
        assert!(a.json().get("data").is_none(), "none on 16");
        let rec = &sb.blocked(&s.epoi_id).unwrap()[0];
        assert_eq!((rec.block_code, rec.voucher_pic_ids.len()), (2, 2));
        let a = c
            .send(&s, 1, text_pc(p.msg_id, user, 0), &sb.im_secret(), "你好")
            .await;
        assert_eq!(a.code(), "OP_USER_BLOCKED");
        let again = sb.customer_says(
            CustomerMessage::text(&s.epoi_id, ChatKind::PreOrder, "在吗").from_customer(user),
        );
        assert!(matches!(again, Err(SandboxError::CustomerBlocked { .. })));
        // businessId 16 unblocks one id per call
        let other = sb.customers(&s.epoi_id).unwrap()[5];
        let both = json!({"open_user_id": format!("{user},{other}")}).to_string();
        assert_eq!(
            c.im(&s, "cancelBlockUser", Some(&both)).await.code(),
            "OP_PARAM_INVALID"
        );
        let one = json!({"open_user_id": user.to_string()}).to_string();
        assert_eq!(
            c.im(&s, "cancelBlockUser", Some(&one)).await.code(),
            "OP_SUCCESS"
        );
        assert_eq!(
            c.im(&s, "cancelBlockUser", Some(&one)).await.code(),
            "OP_PARAM_INVALID",
            "not blocked any more"
        );
        assert_eq!(
            c.send(&s, 1, text_pc(p.msg_id, user, 0), &sb.im_secret(), "你好")
                .await
                .code(),
            "OP_SUCCESS"
        );
    }
}

#[tokio::test]
async fn after_sale_chats_close_48_hours_after_completion() {
    let sb = start(SandboxConfig::default()).await;
    let c = Client::new(&sb);
    let s = sb.stores()[1].clone();
    let p = sb
        .customer_says(CustomerMessage::text(
            &s.epoi_id,
            ChatKind::InProgress,
            "能快点吗",
        ))
        .unwrap();
    let (user, order) = (p.open_user_id.unwrap(), p.order_id.unwrap());
    sb.complete_order(&s.epoi_id, order, now_ms() - 47 * 3_600_000)
        .unwrap();
    assert_eq!(
        c.send(&s, 1, text_pc(10, user, order), &sb.im_secret(), "抱歉")
            .await
            .code(),
        "OP_SUCCESS"
    );
    sb.complete_order(&s.epoi_id, order, now_ms() - 49 * 3_600_000)
        .unwrap();
    assert_eq!(
        c.send(&s, 1, text_pc(11, user, order), &sb.im_secret(), "抱歉")
            .await
            .code(),
        "OP_CHAT_EXPIRED"
    );
    let late = sb.customer_says(
        CustomerMessage::text(&s.epoi_id, ChatKind::Completed, "还在吗").about_order(order),
    );
    assert!(matches!(late, Err(SandboxError::ChatExpired { .. })));
}

#[tokio::test]
async fn the_im_switch_closes_sending() {
    let sb = start(SandboxConfig::default()).await;
    let c = Client::new(&sb);
    for s in sb.stores().into_iter().take(2) {
        let p = sb
            .customer_says(CustomerMessage::text(
                &s.epoi_id,
                ChatKind::PreOrder,
                "你好",
            ))
            .unwrap();
        // businessId 2 wants a JSON string literal; a raw object is refused there
        if s.business_id == 2 {
            let raw = json!({"imStatus": 0}).to_string();
            assert_eq!(
                c.im(&s, "setPoiIMStatus", Some(&raw)).await.code(),
                "OP_PARAM_INVALID"
            );
        }
        let bad = opaque_for(&s, json!({"imStatus": 2}));
        assert_eq!(
            c.im(&s, "setPoiIMStatus", Some(&bad)).await.code(),
            "OP_PARAM_INVALID"
        );
        let off = opaque_for(&s, json!({"imStatus": 0}));
        assert_eq!(
            c.im(&s, "setPoiIMStatus", Some(&off)).await.code(),
            "OP_SUCCESS"
        );
        assert_eq!(
            c.im(&s, "getPoiIMStatus", None).await.data()["im_status"],
            0
        );
        let a = c
            .send(
                &s,
                1,
                text_pc(p.msg_id, p.open_user_id.unwrap(), 0),
                &sb.im_secret(),
                "在的",
            )
            .await;
        assert_eq!(a.code(), "OP_IM_CLOSED");
        sb.set_im_status(&s.epoi_id, true).unwrap();
        let a = c
            .send(
                &s,
                1,
                text_pc(p.msg_id, p.open_user_id.unwrap(), 0),
                &sb.im_secret(),
                "在的",
            )
            .await;
        assert_eq!(a.code(), "OP_SUCCESS");
    }
}

#[tokio::test]
async fn read_marks_and_customer_read_times() {
    let sb = start(SandboxConfig::default()).await;
    let c = Client::new(&sb);
    for s in sb.stores().into_iter().take(2) {
        let p = sb
            .customer_says(CustomerMessage::text(
                &s.epoi_id,
                ChatKind::PreOrder,
                "你好",
            ))
            .unwrap();
        let user = p.open_user_id.unwrap();
        let read = opaque_for(&s, json!({"openUserId": user, "msgId": p.msg_id}));
        assert_eq!(
            c.im(&s, "msgRead", Some(&read)).await.data(),
            json!("success")
        );
        let wrong = opaque_for(&s, json!({"openUserId": user, "msgId": p.msg_id + 1000}));
        assert_eq!(
            c.im(&s, "msgRead", Some(&wrong)).await.code(),
            "OP_PARAM_INVALID"
        );
        let q = opaque_for(&s, json!({"openUserId": user}));
        let d = c.im(&s, "userReadTime", Some(&q)).await.data();
        assert_eq!(
            (d["last_read_time"].as_i64(), d["open_user_id"].as_str()),
            (Some(0), Some(user.to_string().as_str()))
        );
        let t = sb.customer_reads(&s.epoi_id, user).unwrap();
        let d = c.im(&s, "userReadTime", Some(&q)).await.data();
        assert_eq!(d["last_read_time"].as_i64(), Some(t));
        assert!(
            t >= now_ms() - 60_000 && t > 1_000_000_000_000,
            "milliseconds"
        );
        assert_eq!(d["epoiId"], s.epoi_id.as_str());
    }
}

#[tokio::test]
async fn reply_rates_come_from_observed_timings() {
    let sb = start(SandboxConfig::default()).await;
    let c = Client::new(&sb);
    for (k, s) in sb.stores().into_iter().take(2).enumerate() {
        let d = c.im(&s, "getReversionRateAndRightsList", None).await.data();
        assert_eq!(
            (d["reversionRate"].as_str(), d["benefitStatus"].as_i64()),
            (Some("100.00%"), Some(1))
        );
        let users = sb.customers(&s.epoi_id).unwrap();
        // One late answer (asked 6 minutes ago), one prompt; one urgent answered in time.
        let late = CustomerMessage::text(&s.epoi_id, ChatKind::PreOrder, "在吗")
            .from_customer(users[10])
            .at(now_ms() - 360_000);
        sb.customer_says(late).unwrap();
        sb.customer_says(
            CustomerMessage::text(&s.epoi_id, ChatKind::PreOrder, "你好").from_customer(users[11]),
        )
        .unwrap();
        let urgent = CustomerMessage::text(&s.epoi_id, ChatKind::Completed, "有异物！").scene(9003);
        let u = sb.customer_says(urgent).unwrap();
        for (i, (user, order)) in [
            (users[10], 0),
            (users[11], 0),
            (u.open_user_id.unwrap(), u.order_id.unwrap()),
        ]
        .into_iter()
        .enumerate()
        {
            let a = c
                .send(
                    &s,
                    1,
                    text_pc(100 * (k as i64 + 1) + i as i64, user, order),
                    &sb.im_secret(),
                    "您好",
                )
                .await;
            assert_eq!(a.code(), "OP_SUCCESS");
        }
        let d = c.im(&s, "getReversionRateAndRightsList", None).await.data();
        assert_eq!(d["reversionRate"], "66.67%");
        assert_eq!(d["benefitStatus"], 0);
        assert_eq!(d["urgentReversionRate"], "100.00%");
        assert_eq!(d["urgentBenefitStatus"], 1);
        let codes: Vec<Value> = d["rightsList"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["code"].clone())
            .collect();
        if s.business_id == 2 {
            assert_eq!(codes, vec![json!("6"), json!("3")]);
            assert_eq!(d["targetReversionRate"], 95);
        } else {
            assert_eq!(codes, vec![json!(6), json!(3)]);
            assert_eq!(d["targetReversionRate"], "95");
        }
        let timings = sb.reply_timings(&s.epoi_id).unwrap();
        assert_eq!(timings.iter().filter(|t| t.urgent).count(), 1);
        assert_eq!(timings.len(), 4);
    }
}
