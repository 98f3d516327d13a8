//! The outbox against the sandbox: a storm of 5xx with a lost response, local refusals with
//! their error codes, items queued before a shutdown sent once after the restart, and a send
//! after the imSecret rotated. The sends run under both push scopes (`in_both_scopes!`), in a
//! store of each businessId: each reply must be encrypted with its scope's imSecret. The paths
//! that depend on the platform's error codes (secret re-fetch, rate limiting, the agent's words
//! for a refusal) run under both of the sandbox's vocabularies: the one the built-in code
//! table knows, and one it does not.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::sync::Arc;
use std::time::Duration;

use common::*;
use imdesk_core::convert::conversation_id;
use imdesk_core::view::{ErrorCode, IpcError, SendState};
use imdesk_core::Desk;
use imdesk_core::PlatformCodesConfig;
use imdesk_store::{ConversationKey, OutboxState};
use meituan_api::{CodeMeaning, CodeTable};
use meituan_sandbox::{ChatKind, CustomerMessage, Faults, Pushed, Sandbox, Vocabulary};

/// A customer of the first store writes; returns the conversation's view id once stored.
async fn conversation(sb: &Sandbox, desk: &Desk, kind: ChatKind) -> (String, Pushed) {
    conversation_in(sb, desk, 0, kind).await
}

/// A customer of store `index` writes; returns the conversation's view id once stored.
async fn conversation_in(
    sb: &Sandbox,
    desk: &Desk,
    index: usize,
    kind: ChatKind,
) -> (String, Pushed) {
    let store = sb.stores()[index].epoi_id.clone();
    let p = sb
        .customer_says(CustomerMessage::text(&store, kind, "请问还有吗"))
        .unwrap();
    let id = conversation_id(&ConversationKey {
        store,
        biz_type: 1,
        peer_id: p.open_user_id.unwrap(),
    });
    eventually(10, "conversation stored", || async {
        desk.detail(&id).await.is_ok()
    })
    .await;
    (id, p)
}

fn outbox_id(key: &str) -> i64 {
    key.strip_prefix('o').unwrap().parse().unwrap()
}

in_both_scopes!(
    a_send_through_a_5xx_storm_and_a_lost_response_is_delivered_once,
    items_queued_before_a_shutdown_are_sent_once_after_the_restart,
);

async fn a_send_through_a_5xx_storm_and_a_lost_response_is_delivered_once(scope: PushScope) {
    let sb = sandbox_in(scope, Faults::default()).await;
    let dir = tempfile::tempdir().unwrap();
    let desk = desk(&sb, &db_path(&dir), Arc::new(RecordingSink::default())).await;
    connected(&sb, sockets(&sb, 3)).await;
    // A store of businessId 2 (the first is 16).
    let (id, p) = conversation_in(&sb, &desk, 1, ChatKind::InProgress).await;
    // First the platform keeps the message but its answer never arrives in time.
    sb.set_faults(Faults {
        timeout: 1.0,
        timeout_hold_ms: Some(1_000),
        ..Faults::default()
    });
    let queued = desk.send_text(&id, "正在为您加急配送").await.unwrap();
    assert_eq!(queued.send_state, Some(SendState::Queued));
    eventually(10, "the platform kept it", || async {
        sb.merchant_messages(&p.epoi_id).unwrap().len() == 1
    })
    .await;
    // Then a storm of 500s and 503s while the outbox retries with the same msg_id.
    sb.set_faults(Faults {
        http_500: 0.45,
        http_503: 0.45,
        ..Faults::default()
    });
    let calls = sb.counters().0;
    eventually(10, "attempts under the storm", || async {
        sb.counters().0 >= calls + 5
    })
    .await;
    sb.set_faults(Faults {
        http_500: 0.3,
        http_503: 0.3,
        ..Faults::default()
    });
    let sent = desk
        .wait_sent(&queued.key, Duration::from_secs(20))
        .await
        .unwrap();
    assert_eq!(sent.send_state, Some(SendState::Sent));
    sb.clear_faults();
    let kept = sb.merchant_messages(&p.epoi_id).unwrap();
    assert_eq!(kept.len(), 1, "delivered exactly once");
    assert_eq!(kept[0].text, "正在为您加急配送");
    assert_eq!(kept[0].msg_id.to_string(), sent.msg_id);
    let item = desk
        .store()
        .outbox_item_async(outbox_id(&queued.key))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(item.state, OutboxState::Sent);
    // The sent message is in the history once, and the reply clock stopped.
    let h = desk.history(&id, None, 50).await.unwrap();
    assert_eq!(
        h.messages
            .iter()
            .filter(|m| m.msg_id == sent.msg_id)
            .count(),
        1
    );
    assert_eq!(desk.detail(&id).await.unwrap().row.deadline_at, None);
    desk.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn local_refusals_carry_their_error_codes() {
    let sb = sandbox(Faults::default()).await;
    let dir = tempfile::tempdir().unwrap();
    let desk = desk(&sb, &db_path(&dir), Arc::new(RecordingSink::default())).await;
    connected(&sb, 3).await;
    let (id, p) = conversation(&sb, &desk, ChatKind::InProgress).await;
    let code = |r: Result<imdesk_core::view::ChatMessage, imdesk_core::DeskError>| {
        IpcError::from(r.unwrap_err()).code
    };
    assert_eq!(code(desk.send_text(&id, "   ").await), ErrorCode::EmptyText);
    assert_eq!(
        code(desk.send_text(&id, &"好".repeat(501)).await),
        ErrorCode::TextTooLong
    );
    assert_eq!(
        code(desk.send_text("mt-1|1|nope", "x").await),
        ErrorCode::Invalid
    );
    assert_eq!(
        code(desk.send_text("mt-404|1|5", "x").await),
        ErrorCode::NotFound
    );
    // The order completed three days ago: the 48-hour window has closed.
    let order = p.order_id.unwrap();
    let now = meituan_wire::Clock::now(&meituan_wire::SystemClock).0;
    sb.complete_order(&p.epoi_id, order, now - 72 * 3600 * 1000)
        .unwrap();
    let refused = desk.send_text(&id, "您好").await.unwrap_err();
    let ipc = IpcError::from(refused);
    assert_eq!(ipc.code, ErrorCode::WindowClosed);
    assert!(!ipc.message.contains("您好"), "no message text in errors");
    let detail = desk.detail(&id).await.unwrap();
    assert_eq!(
        detail.compose_block,
        Some(imdesk_core::view::ComposeBlock::WindowClosed)
    );
    // A blocked customer (another conversation).
    let (id2, p2) = conversation(&sb, &desk, ChatKind::PreOrder).await;
    desk.store()
        .block_customer_async(
            p2.epoi_id.clone(),
            p2.open_user_id.unwrap(),
            "harassment".into(),
            now,
        )
        .await
        .unwrap();
    assert_eq!(
        code(desk.send_text(&id2, "您好").await),
        ErrorCode::CustomerBlocked
    );
    assert!(
        sb.merchant_messages(&p.epoi_id).unwrap().is_empty(),
        "nothing was sent"
    );
    desk.shutdown().await;
}

async fn items_queued_before_a_shutdown_are_sent_once_after_the_restart(scope: PushScope) {
    let sb = sandbox_in(scope, Faults::default()).await;
    let dir = tempfile::tempdir().unwrap();
    let db = db_path(&dir);
    let desk1 = desk(&sb, &db, Arc::new(RecordingSink::default())).await;
    connected(&sb, sockets(&sb, 3)).await;
    let (id, p) = conversation(&sb, &desk1, ChatKind::PreOrder).await;
    // The gateway is down: the sends stay queued/sending.
    sb.set_faults(Faults {
        http_503: 1.0,
        ..Faults::default()
    });
    let a = desk1.send_text(&id, "第一条").await.unwrap();
    let calls = sb.counters().0;
    let b = desk1.send_text(&id, "第二条").await.unwrap();
    eventually(10, "attempts against the down gateway", || async {
        sb.counters().0 >= calls + 2
    })
    .await;
    desk1.shutdown().await;
    drop(desk1);
    assert!(sb.merchant_messages(&p.epoi_id).unwrap().is_empty());
    sb.clear_faults();
    let desk2 = desk(&sb, &db, Arc::new(RecordingSink::default())).await;
    // Generous: in store scope the restart asks every store's tokens at once, which on a
    // loaded two-core runner took longer than 10 s; this test is about "once", not speed.
    for key in [&a.key, &b.key] {
        desk2.wait_sent(key, Duration::from_secs(30)).await.unwrap();
    }
    let kept = sb.merchant_messages(&p.epoi_id).unwrap();
    let texts: Vec<_> = kept.iter().map(|m| m.text.as_str()).collect();
    assert_eq!(texts, vec!["第一条", "第二条"], "each sent once, in order");
    assert_eq!(
        kept[0].msg_id.to_string(),
        a.msg_id,
        "the msg_id written before the first attempt"
    );
    desk2.shutdown().await;
}

/// How the platform speaks, and what the desk is told about it.
fn codes_for(vocabulary: Vocabulary) -> PlatformCodesConfig {
    match vocabulary {
        // The built-in table knows every code: the table is what works.
        Vocabulary::Standard => PlatformCodesConfig::default(),
        // It knows none: only the code-free fallbacks can work. A secret of any age counts
        // as possibly stale, since this test's secret is only seconds old.
        Vocabulary::Alternate => PlatformCodesConfig {
            secret_refetch_after: Duration::ZERO,
            ..PlatformCodesConfig::default()
        },
    }
}

async fn a_send_after_the_im_secret_rotated_fetches_the_new_one_and_is_delivered_once(
    scope: PushScope,
    vocabulary: Vocabulary,
) {
    let sb = sandbox_in(scope, Faults::default()).await;
    sb.set_vocabulary(vocabulary);
    let dir = tempfile::tempdir().unwrap();
    // Sockets that lose their connection wait long before they reconnect, so no fresh token
    // grant brings the new imSecret before the send needs it.
    let opts = imdesk_core::DeskOptions {
        push_backoff: (Duration::from_secs(30), Duration::from_secs(30)),
        ..imdesk_core::DeskOptions::fast()
    };
    let desk = desk_with_codes(&sb, &db_path(&dir), codes_for(vocabulary), opts).await;
    connected(&sb, sockets(&sb, 3)).await;
    let (id, p) = conversation(&sb, &desk, ChatKind::InProgress).await;
    let old = sb.store_im_secret(&p.epoi_id).unwrap();
    // Rotation ends the sockets and their tokens; the desk still holds the old secret.
    sb.rotate_im_secret();
    assert_ne!(sb.store_im_secret(&p.epoi_id).unwrap(), old);
    eventually(5, "the sockets closed", || async {
        sb.open_connections() == 0
    })
    .await;
    let queued = desk.send_text(&id, "换了密钥也能送达").await.unwrap();
    let sent = desk
        .wait_sent(&queued.key, Duration::from_secs(10))
        .await
        .unwrap();
    assert_eq!(sent.send_state, Some(SendState::Sent));
    assert_eq!(sb.open_connections(), 0, "no socket reconnected meanwhile");
    let kept = sb.merchant_messages(&p.epoi_id).unwrap();
    assert_eq!(kept.len(), 1, "delivered exactly once");
    assert_eq!(
        kept[0].text, "换了密钥也能送达",
        "encrypted with the new secret"
    );
    desk.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn secret_rotation_standard_codes() {
    use a_send_after_the_im_secret_rotated_fetches_the_new_one_and_is_delivered_once as rotated;
    rotated(PushScope::Developer, Vocabulary::Standard).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn secret_rotation_unknown_codes() {
    use a_send_after_the_im_secret_rotated_fetches_the_new_one_and_is_delivered_once as rotated;
    rotated(PushScope::Developer, Vocabulary::Alternate).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn secret_rotation_standard_codes_store_scope() {
    use a_send_after_the_im_secret_rotated_fetches_the_new_one_and_is_delivered_once as rotated;
    rotated(PushScope::Store, Vocabulary::Standard).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn secret_rotation_unknown_codes_store_scope() {
    use a_send_after_the_im_secret_rotated_fetches_the_new_one_and_is_delivered_once as rotated;
    rotated(PushScope::Store, Vocabulary::Alternate).await;
}

/// The platform rate-limits every call for a while: the send waits it out and is delivered
/// once, whether or not the table knows the rate-limit code.
async fn a_send_through_rate_limiting_is_delivered_once(vocabulary: Vocabulary) {
    let sb = sandbox(Faults::default()).await;
    sb.set_vocabulary(vocabulary);
    let dir = tempfile::tempdir().unwrap();
    let opts = imdesk_core::DeskOptions::fast();
    // The default settings: a re-fetch of the secret on every refusal would hide whether the
    // outbox itself waits out an unknown code.
    let codes = PlatformCodesConfig::default();
    let desk = desk_with_codes(&sb, &db_path(&dir), codes, opts).await;
    connected(&sb, 3).await;
    let (id, p) = conversation(&sb, &desk, ChatKind::InProgress).await;
    sb.set_faults(Faults {
        rate_limit: 1.0,
        ..Faults::default()
    });
    let calls = sb.counters().0;
    let queued = desk.send_text(&id, "稍等，马上回复您").await.unwrap();
    eventually(10, "attempts while rate limited", || async {
        sb.counters().0 >= calls + 8
    })
    .await;
    sb.clear_faults();
    let sent = desk
        .wait_sent(&queued.key, Duration::from_secs(20))
        .await
        .unwrap();
    assert_eq!(sent.send_state, Some(SendState::Sent));
    let kept = sb.merchant_messages(&p.epoi_id).unwrap();
    assert_eq!(kept.len(), 1, "delivered exactly once");
    desk.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rate_limiting_standard_codes() {
    a_send_through_rate_limiting_is_delivered_once(Vocabulary::Standard).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rate_limiting_unknown_codes() {
    a_send_through_rate_limiting_is_delivered_once(Vocabulary::Alternate).await;
}

/// What the agent is told when the platform refuses a send: the UI case when the table knows
/// the code, and always the platform's own words.
struct Told {
    blocked: IpcError,
    im_closed: IpcError,
}

async fn the_agent_is_told_why_the_platform_refused(
    vocabulary: Vocabulary,
    codes: PlatformCodesConfig,
) -> Told {
    let sb = sandbox(Faults::default()).await;
    sb.set_vocabulary(vocabulary);
    let dir = tempfile::tempdir().unwrap();
    let desk = desk_with_codes(&sb, &db_path(&dir), codes, imdesk_core::DeskOptions::fast()).await;
    connected(&sb, 3).await;
    let refused = |key: String| {
        let desk = &desk;
        async move {
            let e = desk
                .wait_sent(&key, Duration::from_secs(20))
                .await
                .unwrap_err();
            IpcError::from(e)
        }
    };
    // The platform (not the desk) blocks the customer: blocked on another device.
    let (id, p) = conversation(&sb, &desk, ChatKind::PreOrder).await;
    block_on_the_platform(&sb, &p).await;
    let queued = desk.send_text(&id, "您好").await.unwrap();
    let blocked = refused(queued.key).await;
    // The store's IM switch goes off on the platform.
    let (id, p) = conversation(&sb, &desk, ChatKind::InProgress).await;
    sb.set_im_status(&p.epoi_id, false).unwrap();
    let queued = desk.send_text(&id, "您好").await.unwrap();
    let im_closed = refused(queued.key).await;
    for e in [&blocked, &im_closed] {
        assert!(!e.message.contains("您好"), "no message text in errors");
    }
    desk.shutdown().await;
    Told { blocked, im_closed }
}

/// Blocks the customer of `p` through the platform's own API, as another device would.
async fn block_on_the_platform(sb: &Sandbox, p: &Pushed) {
    use meituan_api::im::{BlockCode, BlockUser};
    use meituan_api::image::UploadImage;
    use meituan_api::{ClientConfig, DeveloperCredentials, MeituanClient, StoreKey, StoreToken};
    let info = sb
        .stores()
        .into_iter()
        .find(|s| s.epoi_id == p.epoi_id)
        .unwrap();
    let client = MeituanClient::new(
        DeveloperCredentials::new(sb.developer_id(), sb.sign_key()),
        ClientConfig::with_base_url(sb.gateway_url()),
    )
    .unwrap();
    let business = meituan_wire::BusinessId::from_code(i64::from(info.business_id)).unwrap();
    let key = StoreKey::new(info.epoi_id.as_str(), business);
    client.set_token(key.clone(), StoreToken::static_token(info.app_auth_token));
    let evidence = meituan_sandbox::images::png(1).unwrap();
    let upload = UploadImage::from_bytes(&evidence).unwrap();
    let uploaded = client.call(&key, &upload).await.unwrap();
    let block = BlockUser {
        open_user_id: meituan_wire::OpenUserId(p.open_user_id.unwrap()),
        block_code: BlockCode::Harassment,
        block_reason_desc: None,
        voucher_pic_ids: vec![uploaded.pic_code],
    };
    client.call(&key, &block).await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refusals_standard_codes() {
    let told = the_agent_is_told_why_the_platform_refused(
        Vocabulary::Standard,
        codes_for(Vocabulary::Standard),
    )
    .await;
    assert_eq!(told.blocked.code, ErrorCode::CustomerBlocked);
    assert_eq!(told.im_closed.code, ErrorCode::ImClosed);
    assert!(
        told.im_closed.platform_msg.is_some(),
        "{:?}",
        told.im_closed
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refusals_unknown_codes_show_the_platforms_words() {
    let told = the_agent_is_told_why_the_platform_refused(
        Vocabulary::Alternate,
        codes_for(Vocabulary::Alternate),
    )
    .await;
    // No table entry: a plain platform refusal, in the platform's own words.
    assert_eq!(told.blocked.code, ErrorCode::Platform);
    assert_eq!(
        told.blocked.platform_msg.as_deref(),
        Some(meituan_sandbox::ApiCode::UserBlocked.alternate().1)
    );
    assert_eq!(told.im_closed.code, ErrorCode::Platform);
    assert_eq!(
        told.im_closed.platform_msg.as_deref(),
        Some(meituan_sandbox::ApiCode::ImClosed.alternate().1)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refusals_unknown_codes_taught_by_the_config_file() {
    // A support engineer adds the brand's codes to the config file: the UI cases come back.
    let section = |code: meituan_sandbox::ApiCode, meaning: CodeMeaning| {
        (code.alternate().0.to_string(), meaning.as_str().to_owned())
    };
    let overlay = CodeTable {
        codes: [
            section(
                meituan_sandbox::ApiCode::UserBlocked,
                CodeMeaning::CustomerBlocked,
            ),
            section(meituan_sandbox::ApiCode::ImClosed, CodeMeaning::ImClosed),
        ]
        .into(),
        ..CodeTable::default()
    };
    let codes = PlatformCodesConfig {
        table: meituan_api::PlatformCodes::built_in()
            .overlaid(&overlay)
            .unwrap(),
        ..codes_for(Vocabulary::Alternate)
    };
    let told = the_agent_is_told_why_the_platform_refused(Vocabulary::Alternate, codes).await;
    assert_eq!(told.blocked.code, ErrorCode::CustomerBlocked);
    assert_eq!(told.im_closed.code, ErrorCode::ImClosed);
}
