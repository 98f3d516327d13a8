//! Team mode's test rig: a real `nats-server`, the sandbox, a relay engine and team desks.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;

use imdesk_core::convert::conversation_id;
use imdesk_core::team::relay::{commit_waker, Relay};
use imdesk_core::team::TeamConfig;
use imdesk_core::{Desk, DeskConfig, DeskOptions};
use imdesk_store::ConversationKey;
use meituan_sandbox::{ChatKind, CustomerMessage, Faults, Sandbox};
use nats_harness::NatsServer;

use super::*;

pub fn team(nats: &NatsServer, agent: &str) -> TeamConfig {
    TeamConfig::new(nats.url(), agent)
}

/// The relay: the solo engine on the sandbox plus the relay on the server.
pub async fn relay(
    sb: &Sandbox,
    nats: &NatsServer,
    db: &std::path::Path,
    id: &str,
) -> (Arc<Desk>, Relay) {
    relay_as(sb, team(nats, id), db, id).await
}

/// A server, the sandbox, a directory and relay "relay-a" on them: what every test starts with.
pub async fn team_up() -> (NatsServer, Sandbox, tempfile::TempDir, Arc<Desk>, Relay) {
    let nats = NatsServer::start().unwrap();
    let sb = sandbox(Faults::default()).await;
    let dir = tempfile::tempdir().unwrap();
    let (relay_desk, relay) = relay(&sb, &nats, &dir.path().join("relay.sqlite3"), "relay-a").await;
    (nats, sb, dir, relay_desk, relay)
}

/// The relay drains, then its engine stops.
pub async fn stand_down(relay: Relay, relay_desk: &Desk) {
    relay.drain().await;
    relay_desk.shutdown().await;
}

/// [`relay`] connecting as `cfg` says.
pub async fn relay_as(
    sb: &Sandbox,
    cfg: TeamConfig,
    db: &std::path::Path,
    id: &str,
) -> (Arc<Desk>, Relay) {
    relay_with_sockets(sb, cfg, db, id, None).await
}

/// [`relay_as`] with its share of the push socket budget.
pub async fn relay_with_sockets(
    sb: &Sandbox,
    cfg: TeamConfig,
    db: &std::path::Path,
    id: &str,
    sockets: Option<u8>,
) -> (Arc<Desk>, Relay) {
    let (observer, wake) = commit_waker();
    let opts = DeskOptions {
        commit_observer: Some(observer),
        ..DeskOptions::fast()
    };
    let config = DeskConfig {
        team: Some(cfg.clone()),
        push_connections: sockets,
        ..config(sb, db)
    };
    let desk = Arc::new(
        Desk::start_with(config, opts, Arc::new(RecordingSink::default()))
            .await
            .unwrap(),
    );
    let relay = Relay::start(desk.clone(), &cfg, id, wake).await.unwrap();
    (desk, relay)
}

/// A desk of the team: NATS only, no platform credentials.
pub async fn team_desk(
    nats: &NatsServer,
    db: &std::path::Path,
    agent: &str,
    opts: DeskOptions,
) -> Desk {
    desk_as(team(nats, agent), db, opts).await
}

/// [`team_desk`] connecting as `cfg` says.
pub async fn desk_as(cfg: TeamConfig, db: &std::path::Path, opts: DeskOptions) -> Desk {
    let config = DeskConfig {
        db_path: db.to_owned(),
        team: Some(cfg),
        ..DeskConfig::default()
    };
    assert!(config.is_team_desk());
    Desk::start_with(config, opts, Arc::new(RecordingSink::default()))
        .await
        .unwrap()
}

pub fn cursor(desk: &Desk) -> u64 {
    desk.store()
        .setting(imdesk_core::team::CURSOR_KEY.to_owned())
        .unwrap()
        .map_or(0, |v| v.parse().unwrap())
}

pub async fn says(sb: &Sandbox, text: &str) -> String {
    let store = sb.stores()[0].epoi_id.clone();
    let p = sb
        .customer_says(CustomerMessage::text(&store, ChatKind::PreOrder, text))
        .unwrap();
    conversation_id(&ConversationKey {
        store,
        biz_type: 1,
        peer_id: p.open_user_id.unwrap(),
    })
}

/// The brand configuration of the README (deploy/nats/brand.conf), with its users.
pub fn brand_server() -> NatsServer {
    let conf = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../deploy/nats/brand.conf"),
    )
    .unwrap();
    NatsServer::start_with_config(&conf).unwrap()
}

pub fn as_user(nats: &NatsServer, user: &str, password: &str, agent: &str) -> TeamConfig {
    TeamConfig::new(
        nats.url()
            .replacen("nats://", &format!("nats://{user}:{password}@"), 1),
        agent,
    )
}
