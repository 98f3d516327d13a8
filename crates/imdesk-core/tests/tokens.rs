//! A store authorised by OAuth keeps working past its token's life: the engine renews the
//! token before each expiry (idle or busy), the push link reconnects with a live token after
//! a drop, and the newest pair is kept (here in the headless owner-only file) so that a
//! restart with the original, since rotated, configuration still works.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::sync::Arc;
use std::time::Duration;

use common::*;
use imdesk_core::token_vault::{file_vault, FileEntries};
use imdesk_core::view::TokenHealth;
use imdesk_core::{Desk, DeskOptions};
use meituan_api::{ClientConfig, DeveloperCredentials, MeituanClient, StoreKey};
use meituan_sandbox::{ChatKind, CustomerMessage, DropMode, Sandbox, SandboxConfig};
use meituan_wire::BusinessId;

const TTL: Duration = Duration::from_secs(3);

fn sb_now_ms() -> i64 {
    use meituan_wire::Clock;
    meituan_wire::SystemClock.now().0
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_oauth_store_outlives_its_token_and_a_restart() {
    let sb = Sandbox::start(SandboxConfig {
        stores: 1,
        token_ttl: TTL,
        ..SandboxConfig::default()
    })
    .await
    .unwrap();
    let info = sb.stores()[0].clone();
    let key = StoreKey::new(
        info.epoi_id.as_str(),
        BusinessId::from_code(i64::from(info.business_id)).unwrap(),
    );
    // The store is authorised: a code for the pair the configuration starts from.
    let oauth = MeituanClient::new(
        DeveloperCredentials::new(sb.developer_id(), sb.sign_key()),
        ClientConfig::with_base_url(sb.gateway_url()),
    )
    .unwrap();
    let code = sb.mint_auth_code(&info.epoi_id).unwrap();
    let grant = oauth.exchange_code(&key, &code).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("desk.sqlite3");
    let mut cfg = config(&sb, &db);
    cfg.stores[0].app_auth_token = grant.token.access_token.clone();
    cfg.stores[0].refresh_token = grant.token.refresh_token.clone();
    // No pollers: while idle nothing calls the platform, so only the refresher renews.
    let options = || DeskOptions {
        token_vault: Some(file_vault(&db)),
        token_refresh_margin: Duration::from_secs(1),
        run_pollers: false,
        ..DeskOptions::fast()
    };
    let kept = || {
        let file = std::fs::read_to_string(FileEntries::default_path(&db)).unwrap();
        let entries: std::collections::BTreeMap<String, String> =
            serde_json::from_str(&file).unwrap();
        serde_json::from_str::<serde_json::Value>(entries.values().next().unwrap()).unwrap()
    };
    let start = || async {
        Desk::start_with(cfg.clone(), options(), Arc::new(RecordingSink::default()))
            .await
            .unwrap()
    };
    let desk = start().await;
    // The rail: renewable, with its expiry learnt at start.
    eventually(10, "the rail shows the token renewing", || async {
        desk.stores().await.unwrap()[0]
            .token
            .as_ref()
            .is_some_and(|t| matches!(t, TokenHealth::Renewing { .. }))
    })
    .await;
    let says = |text: &str| {
        sb.customer_says(CustomerMessage::text(
            &info.epoi_id,
            ChatKind::PreOrder,
            text,
        ))
        .unwrap()
    };

    // Idle through three lifetimes of the token: renewed all the same (learnt at start,
    // then before each expiry), then the link drops and reconnects.
    tokio::time::sleep(TTL * 3).await;
    let idle = kept();
    assert_ne!(idle["access_token"], grant.token.access_token.expose());
    assert!(idle["expires_at_ms"].as_i64().unwrap() > sb_now_ms());
    sb.drop_connections(DropMode::Reset);
    let pushed = says("过了三个有效期还在吗");
    eventually(15, "the push after the drop arrives", || async {
        stored_async(&desk)
            .await
            .iter()
            .any(|m| m.msg_id == pushed.msg_id)
    })
    .await;
    let conv = imdesk_core::convert::conversation_id(&imdesk_store::ConversationKey {
        store: info.epoi_id.clone(),
        biz_type: 1,
        peer_id: pushed.open_user_id.unwrap(),
    });
    let queued = desk.send_text(&conv, "在的").await.unwrap();
    desk.wait_sent(&queued.key, Duration::from_secs(15))
        .await
        .unwrap();
    // The newest pair is in the owner-only file, not the one the configuration gave.
    let kept = kept();
    assert_ne!(kept["access_token"], grant.token.access_token.expose());
    assert_ne!(
        kept["refresh_token"],
        grant.token.refresh_token.as_ref().unwrap().expose()
    );
    assert!(kept["expires_at_ms"].as_i64().is_some());
    desk.shutdown().await;
    drop(desk);

    // The next start, same configuration (its refresh token long rotated away): the kept
    // pair carries on.
    tokio::time::sleep(TTL).await;
    let desk = start().await;
    let queued = desk.send_text(&conv, "重启之后也在").await.unwrap();
    desk.wait_sent(&queued.key, Duration::from_secs(15))
        .await
        .unwrap();
    desk.shutdown().await;

    // A desk that never kept the pair starts from the stale configuration: the renewal
    // fails, and the rail says why instead of the store going quiet.
    let stale = Desk::start_with(
        imdesk_core::DeskConfig {
            db_path: dir.path().join("stale.sqlite3"),
            ..cfg.clone()
        },
        DeskOptions {
            token_vault: None,
            ..options()
        },
        Arc::new(RecordingSink::default()),
    )
    .await
    .unwrap();
    eventually(10, "the rail says the renewal fails", || async {
        stale.stores().await.unwrap()[0].token.as_ref().is_some_and(|t| {
            matches!(t, TokenHealth::RenewalFailing { reason, .. } | TokenHealth::Expired { reason: Some(reason) } if !reason.is_empty())
        })
    })
    .await;
    stale.shutdown().await;
}
