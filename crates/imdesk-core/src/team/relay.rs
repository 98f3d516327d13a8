//! The relay: a solo engine (platform link, ingest, archive, outbox, pollers) with NATS on
//! its other side. It publishes its archive to the brand's stream in storage order (durable
//! before published; the position is kept in its own cache, and JetStream's
//! de-duplication absorbs what a restart or a second relay publishes again), lists the stores
//! in `STORES`, takes replies from the relays' one durable work queue into its outbox, and
//! says what became of each on `im.s.<store>.<conv>`.
//!
//! Exactly one relay sends a reply: the work queue hands a reply to one relay at a time, and
//! before its outbox takes it the relay creates the reply's key in `SENDS` (first create
//! wins). A reply redelivered after its relay died, whose key names that relay and no
//! outcome, is **uncertain**: the platform may have accepted it, so it is never resent.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use async_nats::jetstream::{self, consumer, AckKind};
use async_nats::HeaderMap;
use futures_util::stream::FuturesOrdered;
use futures_util::StreamExt;
use imdesk_store::{ConversationKey, FailureKind, NewOutboxMessage, OutboxState, SendFailure};
use serde::{Deserialize, Serialize};
use tokio::sync::{Notify, Semaphore};
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

use super::pictures::PICTURE_SUBJECT;
use super::wire::{SendOutcome, WireMessage, WireRelay, WireReply, WireState, WireStore};
use super::{
    ensure_bucket, ensure_stream, message_id_header, message_subject, state_subject, TeamConfig,
    RELAYS_BUCKET, SENDS_BUCKET, SENDS_CONSUMER, STORES_BUCKET,
};
use crate::desk::Desk;
use crate::error::{DeskError, DeskResult};
use crate::options::CommitObserver;

/// The relay's setting: the last archive row published.
const PUBLISHED_KEY: &str = "team.published_id";
/// Archive rows read per round.
const PUBLISH_BATCH: u32 = 512;
/// Publishes awaiting JetStream's acknowledgement at most.
const PUBLISH_WINDOW: usize = 4096;
/// How often the published position is stored while publishing.
const POSITION_EVERY: Duration = Duration::from_millis(250);
/// How long a reply may stay with a relay between signs of life before the work queue
/// hands it to another (the relay says "in progress" well within it).
const ACK_WAIT: Duration = Duration::from_secs(30);
const PROGRESS_EVERY: Duration = Duration::from_secs(10);
/// Replies handled at once.
const SENDS_AT_ONCE: usize = 64;
/// How long a send may take before the relay stops waiting for its outcome.
const SEND_WAIT: Duration = Duration::from_secs(300);
const HEARTBEAT: Duration = Duration::from_secs(5);

/// What a relay has done, for logs, tests and benchmarks.
#[derive(Debug, Default)]
pub struct RelayStats {
    /// Archive rows published (acknowledged by JetStream).
    pub published: AtomicU64,
    /// Replies taken from the work queue into the outbox.
    pub taken: AtomicU64,
    /// Replies whose outcome was published.
    pub settled: AtomicU64,
    /// Records that did not decode (kept in the relay's quarantine).
    pub quarantined: AtomicU64,
    /// Replies found uncertain (taken by a relay that went away).
    pub uncertain: AtomicU64,
}

/// `SENDS`' record of a reply: the relay that took it and, once known, its outcome.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct SendRecord {
    relay: String,
    state: Option<WireState>,
}

/// A running relay.
#[derive(Debug)]
pub struct Relay {
    stats: Arc<RelayStats>,
    stop_sends: CancellationToken,
    stop_all: CancellationToken,
    tasks: Vec<tokio::task::JoinHandle<()>>,
    sends: tokio::task::JoinHandle<()>,
}

/// The observer a relay's engine is started with, so that each commit wakes the publisher,
/// and the wake-up it fires.
pub fn commit_waker() -> (CommitObserver, Arc<Notify>) {
    let wake = Arc::new(Notify::new());
    let fire = wake.clone();
    (Arc::new(move |_: &[i64]| fire.notify_one()), wake)
}

#[derive(Clone)]
struct Shared {
    id: String,
    desk: Arc<Desk>,
    js: jetstream::Context,
    sends: jetstream::kv::Store,
    stats: Arc<RelayStats>,
    wake: Arc<Notify>,
    /// Owners and agents, for the rule that only a conversation's owner (or a supervisor)
    /// answers in it.
    roster: super::roster::Roster,
}

impl Relay {
    /// Starts relaying `desk` (an engine with the platform link) to the team's server.
    /// `wake` is the one [`commit_waker`] gave the engine.
    pub async fn start(
        desk: Arc<Desk>,
        config: &TeamConfig,
        id: &str,
        wake: Arc<Notify>,
    ) -> DeskResult<Relay> {
        if desk.meituan.is_none() {
            return Err(DeskError::NoCredentials);
        }
        let client = super::connect(config, &format!("imdesk relay {id}")).await?;
        let js = jetstream::new(client.clone());
        let stream = ensure_stream(&js).await?;
        let stores = ensure_bucket(&js, STORES_BUCKET).await?;
        let sends = ensure_bucket(&js, SENDS_BUCKET).await?;
        let relays = ensure_bucket(&js, RELAYS_BUCKET).await?;
        super::roster::ensure_buckets(&js).await?;
        // Pictures are one feature among many: a server that refuses the bucket (an account's
        // storage limit, an older brand.conf) leaves pictures failing with the reason on the
        // desks, and the relay relays everything else.
        if let Err(e) = super::pictures::ensure_bucket(&js).await {
            tracing::warn!("team: pictures cannot go through this relay: {e}");
        }
        for (epoi_id, entry) in desk.stores.entries() {
            let record = WireStore {
                v: 1,
                epoi_id: epoi_id.clone(),
                name: entry.name.clone(),
                business_id: u8::try_from(entry.key.business_id.code()).unwrap_or(0),
            };
            let bytes = serde_json::to_vec(&record).map_err(|e| DeskError::Team(e.to_string()))?;
            stores
                .put(super::store_token(&epoi_id), bytes.into())
                .await
                .map_err(|e| DeskError::Team(format!("STORES: {e}")))?;
        }
        let consumer: consumer::PullConsumer = stream
            .get_or_create_consumer(
                SENDS_CONSUMER,
                consumer::pull::Config {
                    durable_name: Some(SENDS_CONSUMER.to_owned()),
                    filter_subject: "im.m.*.*.out".to_owned(),
                    ack_policy: consumer::AckPolicy::Explicit,
                    ack_wait: ACK_WAIT,
                    max_ack_pending: 10_000,
                    ..Default::default()
                },
            )
            .await
            .map_err(|e| DeskError::Team(format!("consumer {SENDS_CONSUMER}: {e}")))?;
        let stats = Arc::new(RelayStats::default());
        let stop_all = CancellationToken::new();
        let roster = super::roster::Roster::start(
            js.clone(),
            None,
            false,
            desk.opts.clock.clone(),
            stop_all.clone(),
        );
        let shared = Shared {
            id: id.to_owned(),
            desk,
            js,
            sends,
            stats: stats.clone(),
            wake: wake.clone(),
            roster,
        };
        let stop_sends = CancellationToken::new();
        let snapshots = relays_queue(&client, SNAPSHOT_SUBJECT).await?;
        let pictures = relays_queue(&client, PICTURE_SUBJECT).await?;
        let block_calls = relays_queue(&client, super::blocks::BLOCK_SUBJECT).await?;
        let mut tasks = vec![
            tokio::spawn(super::pictures::serve(
                shared.desk.clone(),
                shared.id.clone(),
                client.clone(),
                shared.js.clone(),
                pictures,
                stop_all.clone(),
            )),
            tokio::spawn(super::assigner::run(
                shared.desk.clone(),
                shared.js.clone(),
                shared.roster.clone(),
                shared.id.clone(),
                stop_all.clone(),
            )),
            tokio::spawn(publish(shared.clone(), stop_all.clone())),
            tokio::spawn(heartbeat(shared.clone(), relays, stop_all.clone())),
            tokio::spawn(serve_snapshots(
                shared.clone(),
                client.clone(),
                snapshots,
                stop_all.clone(),
            )),
        ];
        match ensure_bucket(&shared.js, super::blocks::BLOCKS_BUCKET).await {
            Ok(blocks) => tasks.push(tokio::spawn(super::blocks::serve(
                shared.desk.clone(),
                shared.roster.clone(),
                client.clone(),
                shared.js.clone(),
                blocks,
                block_calls,
                stop_all.clone(),
            ))),
            // Like pictures: the rest of the relay does not depend on it.
            Err(e) => tracing::warn!("team: blocking cannot go through this relay: {e}"),
        }
        let sends = tokio::spawn(take_sends(shared, consumer, stop_sends.clone()));
        Ok(Relay {
            stats,
            stop_sends,
            stop_all,
            tasks,
            sends,
        })
    }

    /// What it has done so far.
    pub fn stats(&self) -> Arc<RelayStats> {
        self.stats.clone()
    }

    /// Stops taking replies, lets the ones it holds finish (their outcome published), and
    /// publishes what the archive still holds; the engine is shut down by the caller after.
    pub async fn drain(self) {
        self.stop_sends.cancel();
        let _ = tokio::time::timeout(SEND_WAIT, self.sends).await;
        // The publisher reads the archive to its end and waits for every acknowledgement
        // before it returns.
        self.stop_all.cancel();
        for t in self.tasks {
            let _ = tokio::time::timeout(Duration::from_secs(10), t).await;
        }
    }
}

/// Publishes the archive in storage order from the stored position, each row with its
/// `Nats-Msg-Id`, keeping up to [`PUBLISH_WINDOW`] publishes in flight: acknowledgements are
/// taken in order, the position follows the last acknowledged row and is stored every
/// [`POSITION_EVERY`] (a restart publishes again from there; JetStream drops the copies). A
/// failed publish or acknowledgement starts again from the last acknowledged row.
async fn publish(shared: Shared, stop: CancellationToken) {
    let store = shared.desk.store.clone();
    let mut acked: i64 = match store.setting_async(PUBLISHED_KEY.to_owned()).await {
        Ok(v) => v.and_then(|v| v.parse().ok()).unwrap_or(0),
        Err(e) => {
            tracing::error!("relay cannot read its archive position: {e}");
            return;
        }
    };
    let mut saved = acked;
    let mut read = acked;
    let mut pending = FuturesOrdered::new();
    let mut last_save = tokio::time::Instant::now();
    let mut pause = super::Pause::new();
    // Whether the archive may hold rows not read yet: after a wake-up (a commit), and while
    // reads come back full.
    let mut more = true;
    // Asked to stop: publish what the archive holds, then return.
    let mut stopping = false;
    loop {
        if more && pending.len() < PUBLISH_WINDOW {
            let rows = match store.messages_after_async(read, PUBLISH_BATCH).await {
                Ok(rows) => rows,
                Err(e) => {
                    tracing::error!("relay cannot read its archive: {e}");
                    Vec::new()
                }
            };
            more = rows.len() == PUBLISH_BATCH as usize;
            let mut failed = false;
            for row in &rows {
                match publish_row(&shared.js, row).await {
                    Ok(ack) => pending.push_back(ack),
                    Err(e) => {
                        tracing::warn!("relay publish failed, will retry: {e}");
                        failed = true;
                        break;
                    }
                }
                read = row.id;
            }
            if failed {
                // Again from the last acknowledged row, after a pause.
                pending.clear();
                read = acked;
                more = true;
                if !pause.wait(&stop).await {
                    return;
                }
            }
            continue;
        }
        if pending.is_empty() {
            if acked != saved {
                save_position(&store, acked, &mut saved).await;
                last_save = tokio::time::Instant::now();
            }
            if stopping {
                // Drained: everything the archive held is published and acknowledged.
                return;
            }
            tokio::select! {
                () = stop.cancelled() => stopping = true,
                () = shared.wake.notified() => {}
                () = tokio::time::sleep(Duration::from_secs(1)) => {}
            }
            more = true;
            continue;
        }
        tokio::select! {
            biased;
            () = shared.wake.notified(), if !more => more = true,
            next = pending.next() => match next {
                Some((id, Ok(()))) => {
                    pause.reset();
                    acked = id;
                    shared.stats.published.fetch_add(1, Ordering::Relaxed);
                }
                Some((_, Err(e))) => {
                    tracing::warn!("relay publish not acknowledged, will retry: {e}");
                    pending.clear();
                    read = acked;
                    more = true;
                    if !pause.wait(&stop).await {
                        return;
                    }
                }
                None => {}
            },
        }
        if acked != saved && last_save.elapsed() >= POSITION_EVERY {
            save_position(&store, acked, &mut saved).await;
            last_save = tokio::time::Instant::now();
        }
    }
}

async fn save_position(store: &imdesk_store::Store, acked: i64, saved: &mut i64) {
    match store
        .set_setting_async(PUBLISHED_KEY.to_owned(), acked.to_string())
        .await
    {
        Ok(()) => *saved = acked,
        Err(e) => tracing::error!("relay cannot record its archive position: {e}"),
    }
}

/// A publish in flight: the archive row's id and, once it comes, JetStream's answer.
type InFlight =
    std::pin::Pin<Box<dyn std::future::Future<Output = (i64, Result<(), String>)> + Send>>;

/// Publishes one archive row; a row that names no conversation is passed over (it was never
/// stored as one: ingest quarantines such frames).
async fn publish_row(
    js: &jetstream::Context,
    row: &imdesk_store::MessageRow,
) -> Result<InFlight, String> {
    let id = row.id;
    let Some(peer) = ConversationKey::peer_of(row.biz_type, row.open_user_id, row.group_id) else {
        return Ok(Box::pin(async move { (id, Ok(())) }));
    };
    let payload = serde_json::to_vec(&WireMessage::of(row)).map_err(|e| e.to_string())?;
    let mut headers = HeaderMap::new();
    headers.insert(
        "Nats-Msg-Id",
        message_id_header(&row.store, row.biz_type, row.msg_id).as_str(),
    );
    let subject = message_subject(&row.store, row.biz_type, peer);
    let ack = js
        .publish_with_headers(subject, headers, payload.into())
        .await
        .map_err(|e| e.to_string())?;
    Ok(Box::pin(async move {
        (id, ack.await.map(|_| ()).map_err(|e| e.to_string()))
    }))
}

/// Heartbeats into `RELAYS`: the sockets it holds, for the desks' status line.
async fn heartbeat(shared: Shared, relays: jetstream::kv::Store, stop: CancellationToken) {
    loop {
        let (open, all) = shared.desk.health.as_ref().map_or((0, 0), |h| {
            let h = h.borrow();
            let open = h
                .iter()
                .filter(|c| c.state == meituan_push::ConnectionState::Open)
                .count();
            (open, h.len())
        });
        let beat = WireRelay {
            v: 1,
            relay: shared.id.clone(),
            sockets_open: u32::try_from(open).unwrap_or(u32::MAX),
            sockets: u32::try_from(all).unwrap_or(u32::MAX),
            at_ms: shared.desk.now(),
            platform_rates: shared
                .desk
                .platform_rates
                .borrow()
                .iter()
                .map(|(store, r)| {
                    let rates = super::wire::PlatformRates {
                        five_min: r.reversion_rate.clone(),
                        urgent: r.urgent_reversion_rate.clone(),
                    };
                    (store.clone(), rates)
                })
                .collect(),
        };
        if let Ok(bytes) = serde_json::to_vec(&beat) {
            if let Err(e) = relays
                .put(super::store_token(&shared.id), bytes.into())
                .await
            {
                tracing::debug!("relay heartbeat: {e}");
            }
        }
        tokio::select! {
            () = stop.cancelled() => return,
            () = tokio::time::sleep(HEARTBEAT) => {}
        }
    }
}

/// Takes replies from the work queue until stopped, each handled in its own task.
async fn take_sends(shared: Shared, consumer: consumer::PullConsumer, stop: CancellationToken) {
    let limit = Arc::new(Semaphore::new(SENDS_AT_ONCE));
    let mut running = JoinSet::new();
    let mut pause = super::Pause::new();
    'outer: loop {
        let mut messages = match consumer.messages().await {
            Ok(m) => m,
            Err(e) => {
                tracing::warn!("relay work queue: {e}");
                if !pause.wait(&stop).await {
                    break;
                }
                continue;
            }
        };
        loop {
            let permit = tokio::select! {
                () = stop.cancelled() => break 'outer,
                p = limit.clone().acquire_owned() => match p { Ok(p) => p, Err(_) => break 'outer },
            };
            let next = tokio::select! {
                () = stop.cancelled() => break 'outer,
                n = messages.next() => n,
            };
            match next {
                Some(Ok(msg)) => {
                    pause.reset();
                    let shared = shared.clone();
                    running.spawn(async move {
                        handle_send(&shared, msg).await;
                        drop(permit);
                    });
                }
                Some(Err(e)) => {
                    tracing::warn!("relay work queue: {e}");
                    break;
                }
                None => break,
            }
            while running.try_join_next().is_some() {}
        }
    }
    // Replies already taken finish; the rest stay in the queue for the other relay.
    while running.join_next().await.is_some() {}
}

async fn handle_send(shared: &Shared, msg: jetstream::Message) {
    let reply: WireReply = match serde_json::from_slice(&msg.payload) {
        Ok(r) => r,
        Err(e) => {
            shared.stats.quarantined.fetch_add(1, Ordering::Relaxed);
            let raw = format!("{} {}", msg.subject, String::from_utf8_lossy(&msg.payload));
            let reason = serde_json::json!({ "team_reply": e.to_string() }).to_string();
            if let Err(e) = shared
                .desk
                .store
                .quarantine_async(raw, reason, shared.desk.now())
                .await
            {
                tracing::error!("relay cannot quarantine a reply: {e}");
            }
            let _ = msg.ack_with(AckKind::Term).await;
            return;
        }
    };
    let key = reply.msg_id.to_string();
    // Who took it before, if anyone.
    match shared.sends.entry(key.clone()).await {
        Ok(Some(entry)) if entry.operation == jetstream::kv::Operation::Put => {
            let record: Option<SendRecord> = serde_json::from_slice(&entry.value).ok();
            match record {
                Some(SendRecord {
                    state: Some(state), ..
                }) => {
                    // Already settled: say it again for whoever missed it.
                    let _ = publish_state(shared, &reply, &state).await;
                    let _ = msg.ack().await;
                    return;
                }
                Some(SendRecord { relay, state: None }) if relay != shared.id => {
                    shared.stats.uncertain.fetch_add(1, Ordering::Relaxed);
                    let f = SendFailure {
                        kind: FailureKind::Uncertain,
                        platform_code: None,
                        trace_id: None,
                        message: format!("relay {relay} took it and stopped before it knew"),
                    };
                    settle(
                        shared,
                        &reply,
                        WireState::failed(reply.msg_id, &f, &shared.id, shared.desk.now()),
                        &msg,
                    )
                    .await;
                    return;
                }
                // Ours (a restart): follow our own outbox below.
                _ => {}
            }
        }
        Ok(_) => {
            let record = SendRecord {
                relay: shared.id.clone(),
                state: None,
            };
            let bytes = serde_json::to_vec(&record).unwrap_or_default();
            if shared
                .sends
                .create(key.clone(), bytes.into())
                .await
                .is_err()
            {
                // Another relay created it first: it sends; this copy is done.
                let _ = msg.ack().await;
                return;
            }
        }
        Err(e) => {
            tracing::warn!("relay SENDS read failed: {e}");
            let _ = msg
                .ack_with(AckKind::Nak(Some(Duration::from_secs(1))))
                .await;
            return;
        }
    }
    shared.stats.taken.fetch_add(1, Ordering::Relaxed);
    let state = send(shared, &reply, &msg).await;
    settle(shared, &reply, state, &msg).await;
}

/// The reason a relay gives for a reply from someone who does not own the conversation.
pub(crate) const NOT_OWNER: &str = "not_owner";

/// Puts the reply into the engine's outbox and follows it to its outcome.
async fn send(shared: &Shared, reply: &WireReply, msg: &jetstream::Message) -> WireState {
    let desk = &shared.desk;
    let now = desk.now();
    let failed = |message: String| {
        WireState::failed(
            reply.msg_id,
            &SendFailure {
                kind: FailureKind::Local,
                platform_code: None,
                trace_id: None,
                message,
            },
            &shared.id,
            now,
        )
    };
    if reply.agent.trim().is_empty() || reply.desk.trim().is_empty() {
        return failed("a reply without its agent and desk is not sent".into());
    }
    if desk.stores.entry(&reply.store).is_none() {
        return failed(format!("store {} is not one of this relay's", reply.store));
    }
    let Some(peer) = reply.peer_id() else {
        return failed("the reply names no conversation".into());
    };
    // A desk's picture arrives uploaded (crate::team::pictures); a `local:` reference would
    // name a file of this relay's own attachments folder.
    if reply.msg_type == 2 && crate::attachments::staged_name(&reply.text).is_some() {
        return failed("a picture reaches the relay uploaded, not as a desk's local file".into());
    }
    let conv = match desk
        .store
        .find_conversation_async(ConversationKey {
            store: reply.store.clone(),
            biz_type: reply.biz_type,
            peer_id: peer,
        })
        .await
    {
        Ok(Some(c)) => c,
        Ok(None) => return failed("the relay knows no such conversation".into()),
        Err(e) => return failed(format!("the relay's archive: {e}")),
    };
    // Only the owner answers; a supervisor may, and is marked.
    let board = shared.roster.board();
    let owner = board.owner(&conv.key).map(|o| o.assignment.agent.clone());
    let supervisor = board
        .agents
        .get(&reply.agent)
        .is_some_and(|a| a.role == super::roster::Role::Supervisor);
    if let Some(owner) = owner.as_ref().filter(|o| **o != reply.agent) {
        if !supervisor {
            return failed(format!(
                "{NOT_OWNER}: {owner} owns this conversation; only they or a supervisor answer in it"
            ));
        }
    }
    let author = imdesk_store::ReplyAuthor {
        key: conv.key.clone(),
        msg_id: reply.msg_id,
        agent: reply.agent.clone(),
        supervisor: supervisor && owner.as_ref().is_some_and(|o| *o != reply.agent),
        at_ms: reply.at_ms,
    };
    if let Err(e) = desk.store.record_author_async(author).await {
        return failed(format!("the relay's archive: {e}"));
    }
    // Subscribed before the item exists, so no state change falls between.
    let mut updates = desk.outbox.subscribe();
    let item = match desk
        .store
        .enqueue_outbox_async(NewOutboxMessage {
            conversation_id: conv.id,
            msg_id: Some(reply.msg_id),
            msg_type: reply.msg_type,
            text: reply.text.clone(),
            now_ms: now,
        })
        .await
    {
        Ok(item) => item,
        Err(e) => return failed(e.to_string()),
    };
    desk.outbox.wake();
    let mut item = item;
    let deadline = tokio::time::Instant::now() + SEND_WAIT;
    let mut progress = tokio::time::interval(PROGRESS_EVERY);
    loop {
        match item.state {
            OutboxState::Sent => {
                return WireState::plain(reply.msg_id, SendOutcome::Sent, &shared.id, desk.now())
            }
            OutboxState::Failed => {
                let f = item.last_error.clone().unwrap_or(SendFailure {
                    kind: FailureKind::Local,
                    platform_code: None,
                    trace_id: None,
                    message: "failed".into(),
                });
                return WireState::failed(reply.msg_id, &f, &shared.id, desk.now());
            }
            _ => {}
        }
        tokio::select! {
            u = updates.recv() => match u {
                Ok(u) if u.id == item.id => item = u,
                Ok(_) => {}
                Err(_) => {
                    // Fell behind: read the item again.
                    if let Ok(Some(fresh)) = desk.store.outbox_item_async(item.id).await {
                        item = fresh;
                    }
                }
            },
            _ = progress.tick() => {
                let _ = msg.ack_with(AckKind::Progress).await;
            }
            () = tokio::time::sleep_until(deadline) => {
                let f = SendFailure {
                    kind: FailureKind::Uncertain,
                    platform_code: None,
                    trace_id: None,
                    message: "the relay's outbox gave no outcome in time".into(),
                };
                return WireState::failed(reply.msg_id, &f, &shared.id, desk.now());
            }
        }
    }
}

/// Publishes the outcome, records it in `SENDS`, then acknowledges the work item.
async fn settle(shared: &Shared, reply: &WireReply, state: WireState, msg: &jetstream::Message) {
    if let Err(e) = publish_state(shared, reply, &state).await {
        // Not acknowledged: the queue hands it out again and the record answers then.
        tracing::warn!(
            msg_id = reply.msg_id,
            "relay cannot publish a send's state: {e}"
        );
    }
    let record = SendRecord {
        relay: shared.id.clone(),
        state: Some(state),
    };
    if let Ok(bytes) = serde_json::to_vec(&record) {
        if let Err(e) = shared
            .sends
            .put(reply.msg_id.to_string(), bytes.into())
            .await
        {
            tracing::warn!(msg_id = reply.msg_id, "relay cannot record a send: {e}");
        }
    }
    shared.stats.settled.fetch_add(1, Ordering::Relaxed);
    // The sent reply is in the archive now: publish it.
    shared.wake.notify_one();
    let _ = msg.ack().await;
}

async fn publish_state(
    shared: &Shared,
    reply: &WireReply,
    state: &WireState,
) -> Result<(), String> {
    let Some(peer) = reply.peer_id() else {
        return Err("no conversation".into());
    };
    let payload = serde_json::to_vec(state).map_err(|e| e.to_string())?;
    let mut headers = HeaderMap::new();
    let outcome = serde_json::to_string(&state.outcome).unwrap_or_default();
    headers.insert(
        "Nats-Msg-Id",
        format!("st:{}:{}", reply.msg_id, outcome.trim_matches('"')).as_str(),
    );
    shared
        .js
        .publish_with_headers(
            state_subject(&reply.store, reply.biz_type, peer),
            headers,
            payload.into(),
        )
        .await
        .map_err(|e| e.to_string())?
        .await
        .map_err(|e| e.to_string())?;
    Ok(())
}

/// Where a desk back from past the stream's retention asks a relay for its archive.
pub const SNAPSHOT_SUBJECT: &str = "imdesk.snapshot";
/// Archive rows per snapshot page (well under NATS's 1 MB message limit).
pub const SNAPSHOT_PAGE: u32 = 200;

/// A desk's request for a page of the archive: rows after local id `after_id` received at
/// or after `since_ms`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SnapshotRequest {
    pub after_id: i64,
    pub since_ms: i64,
}

/// A page of the archive; `next_after_id` is `None` on the last page.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SnapshotPage {
    pub messages: Vec<WireMessage>,
    pub next_after_id: Option<i64>,
}

/// The relays' queue group on `subject`: one relay answers each request.
async fn relays_queue(
    client: &async_nats::Client,
    subject: &'static str,
) -> DeskResult<async_nats::Subscriber> {
    client
        .queue_subscribe(subject, "relays".to_owned())
        .await
        .map_err(|e| DeskError::Team(format!("{subject}: {e}")))
}

/// Answers snapshot requests from the relay's archive until stopped.
async fn serve_snapshots(
    shared: Shared,
    client: async_nats::Client,
    requests: async_nats::Subscriber,
    stop: CancellationToken,
) {
    super::answer_each(client, requests, stop, "snapshot", |payload| {
        let shared = shared.clone();
        async move {
            let page = match serde_json::from_slice::<SnapshotRequest>(&payload) {
                Ok(q) => snapshot_page(&shared, &q).await,
                Err(e) => Err(format!("unreadable snapshot request: {e}")),
            };
            match page {
                Ok(page) => serde_json::to_vec(&page).unwrap_or_default(),
                Err(e) => {
                    serde_json::to_vec(&serde_json::json!({ "error": e })).unwrap_or_default()
                }
            }
        }
    })
    .await;
}

async fn snapshot_page(shared: &Shared, q: &SnapshotRequest) -> Result<SnapshotPage, String> {
    let mut after = q.after_id;
    let mut messages = Vec::new();
    // Rows before `since_ms` are skipped, a page's worth of scanning at a time.
    loop {
        let rows = shared
            .desk
            .store
            .messages_after_async(after, SNAPSHOT_PAGE)
            .await
            .map_err(|e| e.to_string())?;
        let Some(last) = rows.last().map(|r| r.id) else {
            return Ok(SnapshotPage {
                messages,
                next_after_id: None,
            });
        };
        after = last;
        messages.extend(
            rows.iter()
                .filter(|r| r.received_at_ms >= q.since_ms)
                .map(WireMessage::of),
        );
        if !messages.is_empty() {
            return Ok(SnapshotPage {
                messages,
                next_after_id: Some(after),
            });
        }
    }
}

/// The relays' last heartbeats (`RELAYS`), for a team desk's status line.
pub(crate) async fn read_relays(js: &jetstream::Context) -> Vec<WireRelay> {
    read_bucket(js, RELAYS_BUCKET).await.unwrap_or_default()
}

/// The stores the relays list (`STORES`), for a team desk.
pub(crate) async fn read_stores(js: &jetstream::Context) -> DeskResult<Vec<WireStore>> {
    read_bucket(js, STORES_BUCKET).await
}

/// Every record of a KV bucket the relays keep; none when no relay has made it yet. A record
/// that does not decode is left out, with a warning.
async fn read_bucket<T: serde::de::DeserializeOwned>(
    js: &jetstream::Context,
    bucket: &str,
) -> DeskResult<Vec<T>> {
    let Ok(kv) = js.get_key_value(bucket).await else {
        return Ok(Vec::new());
    };
    let mut keys = kv
        .keys()
        .await
        .map_err(|e| DeskError::Team(format!("{bucket}: {e}")))?;
    let mut out = Vec::new();
    while let Some(key) = keys.next().await {
        let Ok(key) = key else { continue };
        if let Ok(Some(bytes)) = kv.get(key).await {
            match serde_json::from_slice::<T>(&bytes) {
                Ok(record) => out.push(record),
                Err(e) => tracing::warn!("{bucket} holds a record that does not decode: {e}"),
            }
        }
    }
    Ok(out)
}
