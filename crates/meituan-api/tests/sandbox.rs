//! The client against `meituan-sandbox`, an independent reading of the protocol that checks
//! signatures, timestamps, tokens and the businessId-2 opaque form: a misreading on our side
//! shows up here as a refusal.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic on bad fixtures

mod common;

use std::sync::{Arc, Mutex};

use meituan_api::context::{CommentList, OrderDetail, StoreInfo};
use meituan_api::im::*;
use meituan_api::image::UploadImage;
use meituan_api::{
    ApiError, ClientConfig, DeveloperCredentials, Endpoint, MeituanClient, RetryPolicy, StoreKey,
    StoreToken, TokenSink, TransportError,
};
use meituan_sandbox::{ChatKind, CustomerMessage, Faults, Pushed};
use meituan_wire::*;

use common::{reply_of, world};

fn reply(cipher: &AesEcbCipher, to: &Pushed, msg_id: i64, plain: &str) -> SendMessage {
    reply_of(
        cipher,
        to,
        msg_id,
        MsgType::text_for(BizType::TwoParty),
        plain,
    )
}

#[tokio::test]
async fn im_status_round_trips_in_both_integrations() {
    let w = world().await;
    for key in [&w.on16, &w.on2] {
        let status = w.client.call(key, &GetPoiImStatus).await.unwrap();
        assert_eq!(status.im_status, ImStatus::On, "{key}");
        // businessId 2 takes the opaque data form here.
        w.client
            .call(
                key,
                &SetPoiImStatus {
                    im_status: ImStatus::Off,
                },
            )
            .await
            .unwrap();
        assert!(!w.sandbox.im_status(key.store.as_str()).unwrap(), "{key}");
        let raw = w
            .client
            .call_raw(key, "getPoiIMStatus", None)
            .await
            .unwrap();
        assert_eq!(raw["im_status"], 0);
    }
    w.sandbox.shutdown().await;
}

#[tokio::test]
async fn a_reply_is_sent_read_and_timed_in_both_integrations() {
    let w = world().await;
    let cipher = AesEcbCipher::from_im_secret(&w.sandbox.im_secret()).unwrap();
    for (i, key) in [&w.on16, &w.on2].into_iter().enumerate() {
        let epoi = key.store.as_str();
        let asked = w
            .sandbox
            .customer_says(CustomerMessage::text(epoi, ChatKind::InProgress, "到哪了"))
            .unwrap();
        let customer = OpenUserId(asked.open_user_id.unwrap());
        let msg_id = 9_000_000_000_000 + i64::try_from(i).unwrap();
        w.client
            .call(key, &reply(&cipher, &asked, msg_id, "马上就到"))
            .await
            .unwrap();
        let sent = w.sandbox.merchant_messages(epoi).unwrap();
        assert_eq!(sent.len(), 1, "{key}");
        assert_eq!(
            (sent[0].msg_id, sent[0].text.as_str()),
            (msg_id, "马上就到")
        );

        let read = MsgRead {
            open_user_id: customer,
            msg_id: MsgId(asked.msg_id),
        };
        w.client.call(key, &read).await.unwrap();
        let at = w.sandbox.customer_reads(epoi, customer.get()).unwrap();
        let seen = w
            .client
            .call(
                key,
                &UserReadTime {
                    open_user_id: customer,
                },
            )
            .await
            .unwrap();
        assert_eq!(seen.last_read_time, TimeMs(at), "{key}");

        let order = w
            .client
            .call(
                key,
                &OrderDetail {
                    order_id: OrderId(asked.order_id.unwrap()),
                },
            )
            .await
            .unwrap();
        assert!(order.status.is_some(), "{key}: {order:?}");
    }
    w.sandbox.shutdown().await;
}

#[tokio::test]
async fn store_and_review_context_in_both_integrations() {
    let w = world().await;
    for key in [&w.on16, &w.on2] {
        w.sandbox
            .customer_says(CustomerMessage::text(
                key.store.as_str(),
                ChatKind::Review,
                "太咸了",
            ))
            .unwrap();
        let stores = w
            .client
            .call(
                key,
                &StoreInfo {
                    epoi_ids: vec![key.store.clone()],
                },
            )
            .await
            .unwrap();
        assert_eq!(stores[0].epoi_id.as_ref(), Some(&key.store));
        let comments = CommentList {
            start_time: "2020-01-01".into(),
            end_time: "2030-01-01".into(),
            offset: 0,
            limit: 20,
            reply_status: Some(-1),
            biz_key: None,
        };
        let listed = w.client.call(key, &comments).await.unwrap();
        let known = w.sandbox.comment_ids(key.store.as_str()).unwrap();
        assert_eq!(
            listed
                .iter()
                .map(|c| c.comment_id.get())
                .collect::<Vec<_>>(),
            known,
            "{key}"
        );
        let first = listed.first().expect("the review just made");
        let group = w
            .client
            .call(key, &CreateGroup::review_contact(first.comment_id))
            .await
            .unwrap();
        assert!(group.group_id.get() > 0);
    }
    w.sandbox.shutdown().await;
}

#[tokio::test]
async fn connection_tokens_for_the_push_crate() {
    let w = world().await;
    let one = w.client.call(&w.on16, &GetConnectionToken).await.unwrap();
    assert_eq!(one.im_secret.expose(), w.sandbox.im_secret());
    let many = w
        .client
        .call(
            &w.on2,
            &GetConnectionTokenWithCount {
                required_token_count: 3,
            },
        )
        .await
        .unwrap();
    assert_eq!(many.token_infos.len(), 3);
    assert_eq!(many.appkey.0, w.sandbox.app_id());
    w.sandbox.shutdown().await;
}

#[derive(Debug, Default)]
struct Kept(Mutex<Vec<StoreToken>>);

impl TokenSink for Kept {
    fn token_changed(&self, _: &StoreKey, token: &StoreToken) {
        self.0.lock().unwrap().push(token.clone());
    }
}

#[tokio::test]
async fn oauth_code_then_refresh_after_the_platform_expires_the_token() {
    let w = world().await;
    let kept = Arc::new(Kept::default());
    let client = w.client.with_token_sink(kept.clone());
    let key = w.on2.clone();
    let code = w.sandbox.mint_auth_code(key.store.as_str()).unwrap();
    let grant = client.exchange_code(&key, &code).await.unwrap();
    assert!(grant.token.refresh_token.is_some() && grant.token.expires_at.is_some());
    client.call(&key, &GetPoiImStatus).await.unwrap();

    w.sandbox.expire_store_tokens(key.store.as_str()).unwrap();
    client.call(&key, &GetPoiImStatus).await.unwrap();
    let kept = kept.0.lock().unwrap();
    assert_eq!(kept.len(), 2, "the exchanged and the refreshed token");
    assert_ne!(kept[0].access_token, kept[1].access_token);
    assert_eq!(client.token(&key).as_ref(), kept.last());
}

#[tokio::test]
async fn a_refresh_whose_answer_is_lost_is_not_repeated_with_a_possibly_rotated_token() {
    let w = world().await;
    let key = w.on16.clone();
    let config = ClientConfig {
        read_timeout: std::time::Duration::from_millis(300),
        retry: RetryPolicy {
            max_retries: 3,
            min_delay: std::time::Duration::from_millis(5),
            max_delay: std::time::Duration::from_millis(20),
            jitter: false,
        },
        ..ClientConfig::with_base_url(w.sandbox.gateway_url())
    };
    let client = MeituanClient::new(
        DeveloperCredentials::new(w.sandbox.developer_id(), w.sandbox.sign_key()),
        config,
    )
    .unwrap();
    let code = w.sandbox.mint_auth_code(key.store.as_str()).unwrap();
    client.exchange_code(&key, &code).await.unwrap();
    let before = client.token(&key).unwrap();

    // The platform rotates the refresh token, then the answer is held past the read timeout.
    w.sandbox.set_faults(Faults {
        timeout: 1.0,
        timeout_hold_ms: Some(1_000),
        ..Faults::default()
    });
    let (calls, _, _) = w.sandbox.counters();
    let err = client.refresh(&key).await.unwrap_err();
    let (after, _, _) = w.sandbox.counters();
    assert!(
        matches!(&err, ApiError::Transport { endpoint, kind: TransportError::OutcomeUnknown(cause), .. }
            if endpoint == "oauth/refresh" && **cause == TransportError::Timeout),
        "{err:?}"
    );
    assert!(err.to_string().contains("not repeated"), "{err}");
    assert_eq!(after - calls, 1, "the refresh went out once");
    assert_eq!(
        client.token(&key),
        Some(before),
        "the token in hand is kept"
    );

    // Why: the lost answer had rotated it, so a blind retry would have been refused too.
    w.sandbox.clear_faults();
    let again = client.refresh(&key).await.unwrap_err();
    assert!(matches!(again, ApiError::OAuth { .. }), "{again:?}");
    w.sandbox.shutdown().await;
}

#[tokio::test]
async fn the_sandbox_refuses_a_two_party_reply_without_the_scene_fields() {
    let w = world().await;
    let cipher = AesEcbCipher::from_im_secret(&w.sandbox.im_secret()).unwrap();
    let asked = w
        .sandbox
        .customer_says(CustomerMessage::text(
            w.on2.store.as_str(),
            ChatKind::PreOrder,
            "还营业吗",
        ))
        .unwrap();
    let full = reply(&cipher, &asked, 9_100_000_000_001, "营业的");
    // Past our own validate(): what the platform's reading says of the same message.
    for field in ["scene_tag", "scene_name", "has_reply"] {
        let mut biz: serde_json::Value =
            serde_json::from_str(full.biz(BusinessId::Waimai).unwrap().as_str().unwrap()).unwrap();
        biz["push_content"].as_object_mut().unwrap().remove(field);
        let err = w
            .client
            .call_raw(&w.on2, "msg/send", Some(&biz))
            .await
            .unwrap_err();
        assert!(
            matches!(&err, ApiError::Platform { msg, .. } if msg.contains(field)),
            "{field}: {err:?}"
        );
    }
    w.client.call(&w.on2, &full).await.unwrap();
    assert_eq!(
        w.sandbox
            .merchant_messages(w.on2.store.as_str())
            .unwrap()
            .len(),
        1
    );
    w.sandbox.shutdown().await;
}

#[tokio::test]
async fn platform_refusals_keep_their_code_and_trace_id() {
    let w = world().await;
    let cipher = AesEcbCipher::from_im_secret(&w.sandbox.im_secret()).unwrap();
    let key = &w.on16;
    let asked = w
        .sandbox
        .customer_says(CustomerMessage::text(
            key.store.as_str(),
            ChatKind::PreOrder,
            "在吗",
        ))
        .unwrap();
    let evidence = meituan_sandbox::images::png(1).unwrap();
    let uploaded = w
        .client
        .call(key, &UploadImage::from_bytes(&evidence).unwrap())
        .await
        .unwrap();
    let block = BlockUser {
        open_user_id: OpenUserId(asked.open_user_id.unwrap()),
        block_code: BlockCode::Harassment,
        block_reason_desc: None,
        voucher_pic_ids: vec![uploaded.pic_code],
    };
    w.client.call(key, &block).await.unwrap();
    let err = w
        .client
        .call(key, &reply(&cipher, &asked, 77, "hi"))
        .await
        .unwrap_err();
    assert_eq!(err.platform_code(), Some("OP_USER_BLOCKED"), "{err}");
    assert!(err.trace_id().is_some_and(|t| !t.is_empty()));

    let wrong_key = MeituanClient::new(
        DeveloperCredentials::new(w.sandbox.developer_id(), "not-the-key"),
        ClientConfig::with_base_url(w.sandbox.gateway_url()),
    )
    .unwrap();
    wrong_key.set_token(key.clone(), w.client.token(key).unwrap());
    let err = wrong_key.call(key, &GetPoiImStatus).await.unwrap_err();
    assert_eq!(err.platform_code(), Some("OP_SIGN_INVALID"));
    w.sandbox.shutdown().await;
}
