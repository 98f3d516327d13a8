//! A desk in team mode: the stream mirrored into the local cache through the engine's own
//! ingest (the last applied stream sequence committed in the same transaction), and replies
//! delivered by publishing them for the relays, with the last sequence the desk saw on the
//! conversation (no blind replies), then waiting for a relay's word on each.

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use async_nats::jetstream::{self, consumer, context::PublishErrorKind};
use async_nats::HeaderMap;
use futures_util::StreamExt;
use imdesk_store::{FailureKind, SendFailure, Store};
use meituan_api::StoreKey;
use meituan_push::{ConnectionHealth, ConnectionState, PushEvent};
use meituan_wire::MsgSource;
use tokio::sync::{mpsc, oneshot, watch};
use tokio_util::sync::CancellationToken;

use super::wire::{SendOutcome, WireMessage, WireReply, WireState};
use super::{
    conversation_filter, reply_id_header, reply_subject, subject_kind, SubjectKind, TeamConfig,
    CURSOR_KEY, STREAM, UNSEEN_COLLEAGUE, UNSEEN_CUSTOMER,
};
use crate::error::DeskResult;
use crate::port::{
    local_failure, BoxFuture, Delivery, Inbound, InboundEvents, Outgoing, PlatformPort,
};
use crate::registry::StoreRegistry;
use crate::view::TeamStatus;

/// How long a desk waits for a relay's word on a published reply before the attempt counts
/// as a network failure (the outbox retries it with the same msg_id, which JetStream and the
/// relays take as the same reply).
const STATE_WAIT: Duration = Duration::from_secs(30);
/// Final states kept for sends whose waiter came after them (a desk restarted mid-send).
const FINALS_KEPT: usize = 10_000;
/// How long a desk waits for a relay to answer one snapshot page.
const SNAPSHOT_WAIT: Duration = Duration::from_secs(15);
/// How often the team status line is refreshed.
const STATUS_EVERY: Duration = Duration::from_secs(2);
/// A relay heard from within this is online.
const RELAY_ALIVE_MS: i64 = 15_000;
/// How long the stream may be quiet before the desk checks its consumer still follows it.
const QUIET_CHECK: Duration = Duration::from_secs(2);
/// Room for mirrored records between the consumer and ingest.
const EVENTS: usize = 4096;

/// A stream record on its way into the ingest: a message (if it is one) and the stream
/// sequence up to which everything is applied once it is committed.
#[derive(Debug)]
pub(crate) struct Mirrored {
    pub event: Option<PushEvent>,
    /// The stream position this record is; `None` for a snapshot's messages.
    pub seq: Option<u64>,
    /// Answered once everything before it is committed (see [`crate::ingest::Arrival`]).
    pub barrier: Option<crate::ingest::Barrier>,
}

/// Who last wrote in a conversation, as the desk has seen it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Writer {
    Customer,
    Team,
}

#[derive(Debug, Default)]
struct Shared {
    /// Waiting deliveries by msg_id.
    waiters: Mutex<HashMap<i64, oneshot::Sender<WireState>>>,
    /// Final states seen, newest last (bounded).
    finals: Mutex<(HashMap<i64, WireState>, VecDeque<i64>)>,
    /// Per conversation filter: the last sequence seen and who wrote it.
    seen: Mutex<HashMap<String, (u64, Writer)>>,
    /// Per reply (msg_id): what the desk had seen of its conversation when the agent sent it.
    sent_against: Mutex<HashMap<i64, Option<(u64, Writer)>>>,
    /// Records that did not decode (kept in quarantine).
    quarantined: AtomicU64,
}

impl Shared {
    fn note_final(&self, state: WireState) {
        let waiter = self
            .waiters
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(&state.msg_id);
        let mut finals = self.finals.lock().unwrap_or_else(PoisonError::into_inner);
        let (map, order) = &mut *finals;
        if map.insert(state.msg_id, state.clone()).is_none() {
            order.push_back(state.msg_id);
        }
        while order.len() > FINALS_KEPT {
            if let Some(old) = order.pop_front() {
                map.remove(&old);
            }
        }
        drop(finals);
        if let Some(w) = waiter {
            let _ = w.send(state);
        }
    }

    fn final_of(&self, msg_id: i64) -> Option<WireState> {
        self.finals
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .0
            .get(&msg_id)
            .cloned()
    }

    fn seen(&self, filter: &str) -> Option<(u64, Writer)> {
        self.seen
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(filter)
            .copied()
    }
}

/// The desk's link to its team's relays.
#[derive(Debug, Clone)]
pub(crate) struct TeamLink {
    js: jetstream::Context,
    client: async_nats::Client,
    store: Store,
    desk_id: String,
    agent: String,
    shared: Arc<Shared>,
    applied: Arc<watch::Sender<u64>>,
    /// The last msg_id this desk gave a reply (see [`TeamLink::next_msg_id`]).
    last_msg_id: Arc<AtomicI64>,
    /// Consumers made so far (each one's name is unique).
    follows: Arc<AtomicU64>,
    /// Fired by the ingest when a batch did not commit: follow again from the committed
    /// position.
    rewind: Arc<tokio::sync::Notify>,
    /// Batches of this mirror that did not commit (counted by the ingest).
    failures: Arc<AtomicU64>,
    clock: Arc<dyn meituan_wire::Clock>,
    /// Owners, agents, presence: who answers where.
    pub(crate) roster: super::roster::Roster,
    /// Stops the roster's watches and heartbeat.
    roster_stop: CancellationToken,
}

impl TeamLink {
    pub(crate) async fn connect(
        config: &TeamConfig,
        store: Store,
        clock: Arc<dyn meituan_wire::Clock>,
        presence: bool,
    ) -> DeskResult<Self> {
        let client = super::connect(config, &format!("imdesk desk {}", config.agent)).await?;
        let desk_id = desk_id(&store, clock.now().0).await?;
        let applied = cursor(&store).await?;
        let js = jetstream::new(client.clone());
        let roster_stop = CancellationToken::new();
        let roster = super::roster::Roster::start(
            js.clone(),
            Some(config.profile()),
            presence,
            clock.clone(),
            roster_stop.clone(),
        );
        Ok(Self {
            js,
            client,
            store,
            desk_id,
            agent: config.agent.clone(),
            shared: Arc::default(),
            applied: Arc::new(watch::channel(applied).0),
            last_msg_id: Arc::new(AtomicI64::new(0)),
            follows: Arc::new(AtomicU64::new(0)),
            rewind: Arc::new(tokio::sync::Notify::new()),
            failures: Arc::new(AtomicU64::new(0)),
            clock,
            roster,
            roster_stop,
        })
    }

    /// A supervisor blocks a customer through a relay: the evidence into `PICTURES`, then the
    /// call ([`super::blocks`]).
    pub(crate) async fn block(
        &self,
        block: &crate::pictures::Block,
        evidence: Vec<Vec<u8>>,
    ) -> DeskResult<()> {
        let mut names = Vec::with_capacity(evidence.len());
        for bytes in &evidence {
            let name = self.object_name();
            super::pictures::put_object(&self.js, &name, bytes)
                .await
                .map_err(crate::DeskError::Team)?;
            names.push(name);
        }
        let action = super::blocks::BlockAction::Block(block.clone());
        super::blocks::ask(&self.client, &self.block_call(action, names)).await
    }

    /// A supervisor lifts a block through a relay.
    pub(crate) async fn unblock(&self, store: &str, user: i64) -> DeskResult<()> {
        let action = super::blocks::BlockAction::Lift {
            store: store.to_owned(),
            user,
        };
        super::blocks::ask(&self.client, &self.block_call(action, Vec::new())).await
    }

    fn block_call(
        &self,
        action: super::blocks::BlockAction,
        evidence: Vec<String>,
    ) -> super::blocks::BlockCall {
        super::blocks::BlockCall {
            v: 1,
            action,
            evidence,
            agent: self.agent.clone(),
            desk: self.desk_id.clone(),
        }
    }

    /// A name in `PICTURES` for one picture of this desk, unique per desk and attempt: an
    /// attempt never reads another's bytes.
    fn object_name(&self) -> String {
        format!("{}-{:016x}", self.desk_id, rand_u64(self.now_ms()))
    }

    /// The team server's JetStream context (for the desk's followers).
    pub(crate) fn jetstream(&self) -> jetstream::Context {
        self.js.clone()
    }

    /// Stops the roster (the desk shuts down); its presence expires by itself.
    pub(crate) fn stop_roster(&self) {
        self.roster_stop.cancel();
    }

    fn now_ms(&self) -> i64 {
        self.clock.now().0
    }

    /// A msg_id for a reply of this desk: the time in µs-sized steps of 1000 plus the
    /// desk's own salt below 1000, so that two desks sending in the same millisecond (or a
    /// desk sending twice in one) never pick the same id.
    pub(crate) fn next_msg_id(&self, now_ms: i64) -> i64 {
        let salt = i64::from(
            u16::from_str_radix(&self.desk_id[..4.min(self.desk_id.len())], 16).unwrap_or(0) % 1000,
        );
        let base = now_ms.saturating_mul(1000);
        let mut last = self.last_msg_id.load(Ordering::Relaxed);
        loop {
            let next = base.max(last - last.rem_euclid(1000) + 1000) + salt;
            match self.last_msg_id.compare_exchange(
                last,
                next,
                Ordering::Relaxed,
                Ordering::Relaxed,
            ) {
                Ok(_) => return next,
                Err(now) => last = now,
            }
        }
    }

    /// The brand's stores as the relays list them in the `STORES` bucket.
    pub(crate) async fn stores(&self) -> DeskResult<Vec<super::WireStore>> {
        super::relay::read_stores(&self.js).await
    }

    /// The stream sequence applied so far (committed with the messages up to it).
    pub(crate) fn applied(&self) -> watch::Receiver<u64> {
        self.applied.subscribe()
    }

    /// Remembers what the desk has seen of `key`'s conversation now, for reply `msg_id`:
    /// the reply is published against it, however long it waits in the outbox.
    pub(crate) fn remember_seen(&self, msg_id: i64, key: &imdesk_store::ConversationKey) {
        let seen = self
            .shared
            .seen(&conversation_filter(&key.store, key.biz_type, key.peer_id));
        self.shared
            .sent_against
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(msg_id, seen);
    }

    /// The platform's reply rates per store, from the most recent relay heartbeat.
    pub(crate) async fn platform_rates(
        &self,
    ) -> std::collections::BTreeMap<String, super::wire::PlatformRates> {
        super::relay::read_relays(&self.js)
            .await
            .into_iter()
            .filter(|r| !r.platform_rates.is_empty())
            .max_by_key(|r| r.at_ms)
            .map(|r| r.platform_rates)
            .unwrap_or_default()
    }

    /// A reply refused before it was written: nothing to send against.
    pub(crate) fn forget_seen(&self, msg_id: i64) {
        self.shared
            .sent_against
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(&msg_id);
    }

    /// What the ingest tells the mirror: the committed position, and a batch that failed.
    pub(crate) fn hooks(&self) -> crate::ingest::MirrorHooks {
        crate::ingest::MirrorHooks {
            applied: self.applied.clone(),
            rewind: self.rewind.clone(),
            failures: self.failures.clone(),
        }
    }

    /// Keeps the desk's team status line (`ConnectionStatus::team`) current until
    /// cancelled: the server connection, the relays' heartbeats and their sockets, and how
    /// far behind the stream this desk is.
    pub(crate) async fn status(
        self,
        tx: watch::Sender<Option<TeamStatus>>,
        cancel: CancellationToken,
    ) {
        loop {
            let status = self.status_now().await;
            tx.send_if_modified(|old| {
                let changed = old.as_ref() != Some(&status);
                *old = Some(status);
                changed
            });
            tokio::select! {
                () = cancel.cancelled() => return,
                () = tokio::time::sleep(STATUS_EVERY) => {}
            }
        }
    }

    async fn status_now(&self) -> TeamStatus {
        let connected = self.client.connection_state() == async_nats::connection::State::Connected;
        let applied = *self.applied.borrow();
        let mut status = TeamStatus {
            agent: self.agent.clone(),
            supervisor: Some(
                self.roster
                    .me()
                    .is_some_and(|m| m.role == super::roster::Role::Supervisor),
            ),
            server_connected: connected,
            relays_online: 0,
            sockets_open: 0,
            sockets: 0,
            lag_messages: 0,
            lag_seconds: 0,
            quarantined: self.shared.quarantined.load(Ordering::Relaxed),
        };
        if !connected {
            return status;
        }
        if let Ok(mut stream) = self.js.get_stream(STREAM).await {
            if let Ok(info) = stream.info().await {
                status.lag_messages = info.state.last_sequence.saturating_sub(applied);
            }
            if status.lag_messages > 0 {
                if let Ok(oldest) = stream.get_raw_message(applied + 1).await {
                    let at = oldest.time.unix_timestamp();
                    let now = self.now_ms() / 1000;
                    status.lag_seconds = u64::try_from(now - at).unwrap_or(0);
                }
            }
        }
        for relay in super::relay::read_relays(&self.js).await {
            if self.now_ms() - relay.at_ms <= RELAY_ALIVE_MS {
                status.relays_online += 1;
                status.sockets_open += relay.sockets_open;
                status.sockets += relay.sockets;
            }
        }
        status
    }

    /// Waits until everything the stream held when this was called is applied (committed).
    pub(crate) async fn caught_up(&self, timeout: Duration) -> DeskResult<u64> {
        let target = last_sequence(&self.js).await?;
        let mut applied = self.applied.subscribe();
        let ok = tokio::time::timeout(timeout, applied.wait_for(|a| *a >= target))
            .await
            .is_ok_and(|r| r.is_ok());
        let at = *applied.borrow();
        if ok {
            Ok(target)
        } else {
            Err(crate::DeskError::Team(format!(
                "not caught up with the stream in {timeout:?} (at {at} of {target})"
            )))
        }
    }

    /// Whether this desk's reply in `key` is a supervisor's in someone else's conversation.
    pub(crate) fn answers_as_supervisor(&self, key: &imdesk_store::ConversationKey) -> bool {
        let board = self.roster.board();
        let me = self.roster.me();
        me.is_some_and(|m| m.role == super::roster::Role::Supervisor)
            && board
                .owner(key)
                .is_some_and(|o| o.assignment.agent != self.agent)
    }

    async fn deliver_reply(&self, out: Outgoing<'_>) -> Delivery {
        let item = out.item;
        let key = &out.conversation.key;
        let store = &key.store;
        let filter = conversation_filter(store, key.biz_type, key.peer_id);
        // Registered before anything is published, so the state cannot pass unseen.
        let (tx, rx) = oneshot::channel();
        self.shared
            .waiters
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(item.msg_id, tx);
        let result = self.publish_and_wait(out, &filter, rx).await;
        self.shared
            .waiters
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(&item.msg_id);
        if !matches!(result, Delivery::Retry(_)) {
            self.shared
                .sent_against
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .remove(&item.msg_id);
        }
        result
    }

    async fn publish_and_wait(
        &self,
        out: Outgoing<'_>,
        filter: &str,
        rx: oneshot::Receiver<WireState>,
    ) -> Delivery {
        let item = out.item;
        if let Some(done) = self.shared.final_of(item.msg_id) {
            return verdict(&done);
        }
        let key = &out.conversation.key;
        let reply = WireReply {
            v: 1,
            msg_id: item.msg_id,
            store: key.store.clone(),
            biz_type: key.biz_type,
            open_user_id: out.conversation.open_user_id,
            group_id: out.conversation.group_id,
            msg_type: item.msg_type,
            text: item.text.clone(),
            agent: self.agent.clone(),
            desk: self.desk_id.clone(),
            at_ms: out.now_ms,
            supervisor: self.answers_as_supervisor(key),
        };
        let payload = match serde_json::to_vec(&reply) {
            Ok(p) => p,
            Err(e) => return Delivery::Refused(local_failure(format!("cannot encode: {e}"))),
        };
        // What the agent had seen when they sent it; after a restart, what the desk has seen.
        let remembered = self
            .shared
            .sent_against
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(&item.msg_id)
            .copied();
        let seen = match remembered.unwrap_or_else(|| self.shared.seen(filter)) {
            Some(seen) => Some(seen),
            // Nothing written in it since this desk started: what it applied before.
            None => self.seen_before_start(filter).await,
        };
        let mut headers = HeaderMap::new();
        headers.insert("Nats-Msg-Id", reply_id_header(item.msg_id).as_str());
        headers.insert(
            "Nats-Expected-Last-Subject-Sequence",
            seen.map_or(0, |(seq, _)| seq).to_string().as_str(),
        );
        headers.insert("Nats-Expected-Last-Subject-Sequence-Subject", filter);
        let subject = reply_subject(&key.store, key.biz_type, key.peer_id);
        let ack = match self
            .js
            .publish_with_headers(subject, headers, payload.into())
            .await
        {
            Ok(ack) => ack.await,
            Err(e) => Err(e),
        };
        match ack {
            Ok(_) => {}
            Err(e) if e.kind() == PublishErrorKind::WrongLastSequence => {
                // Our own earlier publish of this reply (servers ≥ 2.11 answer a repeat
                // with this error rather than "duplicate") is a success; anything else is
                // news the agent has not seen.
                // The relay's archive copy of our reply, once sent, is ours too.
                let archived = super::message_id_header(&key.store, key.biz_type, item.msg_id);
                match self.last_on(filter).await {
                    Some((_, Some(id))) if id == reply_id_header(item.msg_id) || id == archived => {
                    }
                    other => {
                        let writer = match other {
                            Some((writer, _)) => writer,
                            None => seen.map_or(Writer::Customer, |(_, w)| w),
                        };
                        return Delivery::Refused(held(writer));
                    }
                }
            }
            Err(e) => {
                return Delivery::Retry(SendFailure {
                    kind: FailureKind::Network,
                    platform_code: None,
                    trace_id: None,
                    message: format!("team server: {e}"),
                })
            }
        }
        match tokio::time::timeout(STATE_WAIT, rx).await {
            Ok(Ok(state)) => verdict(&state),
            _ => match self.shared.final_of(item.msg_id) {
                Some(state) => verdict(&state),
                None => Delivery::Retry(SendFailure {
                    kind: FailureKind::Network,
                    platform_code: None,
                    trace_id: None,
                    message: "no relay answered".into(),
                }),
            },
        }
    }

    /// The last record on a conversation filter: who wrote it and its `Nats-Msg-Id`.
    async fn last_on(&self, filter: &str) -> Option<(Writer, Option<String>)> {
        self.last_record(filter)
            .await
            .map(|(_, writer, id)| (writer, id))
    }

    /// The last record on a conversation filter: its sequence, who wrote it (a reply, or a
    /// merchant message of the archive, is the team's) and its `Nats-Msg-Id`.
    async fn last_record(&self, filter: &str) -> Option<(u64, Writer, Option<String>)> {
        let stream = self.js.get_stream(STREAM).await.ok()?;
        let m = stream.get_last_raw_message_by_subject(filter).await.ok()?;
        let id = m.headers.get("Nats-Msg-Id").map(|v| v.as_str().to_owned());
        let customer = !m.subject.ends_with(".out")
            && serde_json::from_slice::<WireMessage>(&m.payload)
                .is_ok_and(|w| MsgSource::from(w.msg_source) == MsgSource::Customer);
        let writer = if customer {
            Writer::Customer
        } else {
            Writer::Team
        };
        Some((m.sequence, writer, id))
    }

    /// What the desk saw of a conversation before it started (the seen map only holds what
    /// it applied since): the conversation's last record, if the desk has applied it.
    async fn seen_before_start(&self, filter: &str) -> Option<(u64, Writer)> {
        let (seq, writer, _) = self.last_record(filter).await?;
        if seq > *self.applied.borrow() {
            return None; // not applied here: the reply would be blind
        }
        Some((seq, writer))
    }
}

/// A held reply's failure: it names what the desk had not seen.
fn held(writer: Writer) -> SendFailure {
    SendFailure {
        kind: FailureKind::Conflict,
        platform_code: None,
        trace_id: None,
        message: match writer {
            Writer::Team => UNSEEN_COLLEAGUE,
            Writer::Customer => UNSEEN_CUSTOMER,
        }
        .to_owned(),
    }
}

fn verdict(state: &WireState) -> Delivery {
    match state.outcome {
        SendOutcome::Sent => Delivery::Accepted,
        _ => Delivery::Refused(state.failure().unwrap_or_else(|| local_failure("refused"))),
    }
}

/// The desk's id on the stream: random, made once per database.
async fn desk_id(store: &Store, now_ms: i64) -> DeskResult<String> {
    const KEY: &str = "team.desk_id";
    if let Some(id) = store.setting_async(KEY.to_owned()).await? {
        return Ok(id);
    }
    let id = format!("{:016x}", rand_u64(now_ms));
    store.set_setting_async(KEY.to_owned(), id.clone()).await?;
    Ok(id)
}

/// A random number: the standard library's per-process random hash keys, the time and the
/// process id.
fn rand_u64(now_ms: i64) -> u64 {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_i64(now_ms);
    h.write_u32(std::process::id());
    h.finish()
}

async fn cursor(store: &Store) -> DeskResult<u64> {
    Ok(store
        .setting_async(CURSOR_KEY.to_owned())
        .await?
        .and_then(|v| v.parse().ok())
        .unwrap_or(0))
}

async fn last_sequence(js: &jetstream::Context) -> DeskResult<u64> {
    let mut stream = js
        .get_stream(STREAM)
        .await
        .map_err(|e| crate::DeskError::Team(format!("stream {STREAM}: {e}")))?;
    let info = stream
        .info()
        .await
        .map_err(|e| crate::DeskError::Team(format!("stream {STREAM}: {e}")))?;
    Ok(info.state.last_sequence)
}

impl PlatformPort for TeamLink {
    /// Every store of the brand's stream is mirrored: the registry filters nothing here.
    fn open_inbound(&self, _stores: StoreRegistry) -> DeskResult<Inbound> {
        let (tx, rx) = mpsc::channel(EVENTS);
        let (health_tx, health_rx) = watch::channel(vec![ConnectionHealth::new(0, None)]);
        let link = self.clone();
        let cancel = CancellationToken::new();
        let task = tokio::spawn({
            let cancel = cancel.clone();
            async move { link.mirror(tx, health_tx, cancel).await }
        });
        Ok(Inbound {
            events: InboundEvents::Mirror(rx),
            health: health_rx,
            stop: Box::new(move || {
                Box::pin(async move {
                    cancel.cancel();
                    let _ = task.await;
                })
            }),
        })
    }

    fn deliver<'a>(&'a self, out: Outgoing<'a>) -> BoxFuture<'a, Delivery> {
        Box::pin(self.deliver_reply(out))
    }

    /// Through a relay, which holds the store's credentials ([`super::pictures`]).
    fn upload_picture<'a>(
        &'a self,
        store: &'a StoreKey,
        bytes: Vec<u8>,
    ) -> BoxFuture<'a, Result<String, Delivery>> {
        Box::pin(async move {
            let request = super::pictures::PictureRequest {
                v: 1,
                store: store.store.as_str().to_owned(),
                object: self.object_name(),
                agent: self.agent.clone(),
                desk: self.desk_id.clone(),
            };
            super::pictures::upload(&self.client, &self.js, request, bytes).await
        })
    }
}

impl TeamLink {
    /// Follows the stream from the stored sequence + 1 until cancelled, recreating the
    /// consumer after a failure (the client reconnects by itself).
    async fn mirror(
        self,
        tx: mpsc::Sender<Mirrored>,
        health: watch::Sender<Vec<ConnectionHealth>>,
        cancel: CancellationToken,
    ) {
        let mut pause = super::Pause::new();
        loop {
            set_state(&health, ConnectionState::Connecting);
            let start = *self.applied.borrow() + 1;
            let outcome = tokio::select! {
                () = cancel.cancelled() => break,
                r = self.follow(start, &tx, &health) => r,
            };
            if let Err(e) = outcome {
                tracing::warn!("team stream: {e}; following again");
            }
            if *self.applied.borrow() >= start {
                pause.reset(); // it got somewhere before it stopped
            }
            set_state(
                &health,
                ConnectionState::Backoff {
                    until_ms: 0,
                    attempt: 0,
                },
            );
            if !pause.wait(&cancel).await {
                break;
            }
        }
        set_state(&health, ConnectionState::Stopped);
    }

    async fn follow(
        &self,
        start: u64,
        tx: &mpsc::Sender<Mirrored>,
        health: &watch::Sender<Vec<ConnectionHealth>>,
    ) -> Result<(), String> {
        let mut stream = self
            .js
            .get_stream(STREAM)
            .await
            .map_err(|e| e.to_string())?;
        let first = stream
            .info()
            .await
            .map_err(|e| e.to_string())?
            .state
            .first_sequence;
        let start = if start < first && start > 1 {
            // Away past the stream's retention: what the stream no longer holds comes from a
            // relay's archive first (absorbed as duplicates where the desk has it already).
            // The cursor stays where it was until the stream's records follow, so a crash
            // in between fetches the snapshot again.
            tracing::warn!(
                from = start,
                first,
                "the desk was away past the stream's retention; fetching a snapshot from a relay"
            );
            self.fetch_snapshot(start - 1, first, tx).await?;
            first
        } else {
            start.max(1)
        };
        let consumer = stream
            .create_consumer(consumer::pull::OrderedConfig {
                // Named: agents may only use the named create subject (the nameless one lets a
                // client rewrite the relays' work queue; deploy/nats/brand.conf).
                name: Some(format!(
                    "desk-{}-{}",
                    self.desk_id,
                    self.follows.fetch_add(1, Ordering::Relaxed)
                )),
                filter_subject: "im.>".to_owned(),
                deliver_policy: consumer::DeliverPolicy::ByStartSequence {
                    start_sequence: start,
                },
                ..Default::default()
            })
            .await
            .map_err(|e| e.to_string())?;
        let mut messages = consumer.messages().await.map_err(|e| e.to_string())?;
        set_state(health, ConnectionState::Open);
        let mut last = start.saturating_sub(1);
        loop {
            // A consumer can outlive the server it was made on (a restart of the server
            // loses it) without a word: when the stream is quiet, ask whether it moved on.
            let next = tokio::select! {
                () = self.rewind.notified() => {
                    return Err("records did not commit here (disk full?)".into());
                }
                n = tokio::time::timeout(QUIET_CHECK, messages.next()) => n,
            };
            let next = match next {
                Ok(Some(next)) => next,
                Ok(None) => break,
                Err(_) => {
                    let at = stream
                        .info()
                        .await
                        .map_err(|e| e.to_string())?
                        .state
                        .last_sequence;
                    if at > last {
                        return Err(format!("the consumer stalled at {last} of {at}"));
                    }
                    continue;
                }
            };
            let m = next.map_err(|e| e.to_string())?;
            let seq = m.info().map_err(|e| e.to_string())?.stream_sequence;
            last = seq;
            let event = self.apply(&m.subject, &m.payload, seq).await;
            health.send_modify(|h| {
                if let Some(c) = h.first_mut() {
                    c.frames += 1;
                    c.last_frame_at_ms = Some(self.now_ms());
                }
            });
            let record = Mirrored {
                event,
                seq: Some(seq),
                barrier: None,
            };
            if tx.send(record).await.is_err() {
                return Ok(());
            }
        }
        Err("the stream's consumer ended".into())
    }

    /// Feeds a relay's whole archive, page by page, into the ingest (duplicates are no-ops),
    /// each message with the unchanged cursor `at`.
    async fn fetch_snapshot(
        &self,
        at: u64,
        first: u64,
        tx: &mpsc::Sender<Mirrored>,
    ) -> Result<(), String> {
        use super::relay::{SnapshotPage, SnapshotRequest, SNAPSHOT_SUBJECT};
        let failures_before = self.failures.load(Ordering::Relaxed);
        let mut after_id = 0;
        loop {
            let question = SnapshotRequest {
                after_id,
                since_ms: 0,
            };
            let page: SnapshotPage =
                super::ask(&self.client, SNAPSHOT_SUBJECT, SNAPSHOT_WAIT, &question)
                    .await
                    .map_err(|e| match e {
                        super::AskError::Encode(e) => e,
                        super::AskError::Timeout => {
                            "no relay answered the snapshot request".to_owned()
                        }
                        super::AskError::Request(e) => format!("snapshot request: {e}"),
                        super::AskError::Decode(e) => format!("snapshot page: {e}"),
                    })?;
            for m in page.messages {
                let raw: Arc<str> = serde_json::to_string(&m).unwrap_or_default().into();
                let event = Some(PushEvent::Message(m.into_pushed(raw)));
                let record = Mirrored {
                    event,
                    seq: None,
                    barrier: None,
                };
                if tx.send(record).await.is_err() {
                    return Ok(());
                }
            }
            match page.next_after_id {
                Some(next) => after_id = next,
                None => break,
            }
        }
        // Every page committed, and nothing failed meanwhile: the gap is covered.
        let (done, committed) = oneshot::channel();
        let barrier = Mirrored {
            event: None,
            seq: None,
            barrier: Some(done),
        };
        if tx.send(barrier).await.is_err() {
            return Ok(());
        }
        let failures = committed
            .await
            .map_err(|_| "the ingest stopped".to_owned())?;
        if failures != failures_before {
            return Err("the snapshot did not commit here (disk full?)".into());
        }
        let mark = imdesk_store::Mark {
            key: CURSOR_KEY.to_owned(),
            from: at + 1,
            to: first - 1,
        };
        self.store
            .ingest_queued_at(Vec::new(), Some(mark))
            .map_err(|e| e.to_string())?
            .committed()
            .await
            .map_err(|e| e.to_string())?;
        self.applied.send_if_modified(|a| {
            let moved = *a == at && first - 1 > at;
            if moved {
                *a = first - 1;
            }
            moved
        });
        Ok(())
    }

    /// What a record means for the desk; a message goes on to ingest.
    async fn apply(&self, subject: &str, payload: &[u8], seq: u64) -> Option<PushEvent> {
        match subject_kind(subject) {
            SubjectKind::Message => match serde_json::from_slice::<WireMessage>(payload) {
                Ok(m) => {
                    let writer = if MsgSource::from(m.msg_source) == MsgSource::Customer {
                        Writer::Customer
                    } else {
                        Writer::Team
                    };
                    if let Some(peer) = m.peer_id() {
                        self.note_seen(&m.store, m.biz_type, peer, seq, writer);
                    }
                    let raw: Arc<str> = String::from_utf8_lossy(payload).into();
                    Some(PushEvent::Message(m.into_pushed(raw)))
                }
                Err(e) => self.keep(subject, payload, &e.to_string()).await,
            },
            SubjectKind::Reply => match serde_json::from_slice::<WireReply>(payload) {
                Ok(r) => {
                    if let Some(peer) = r.peer_id() {
                        self.note_seen(&r.store, r.biz_type, peer, seq, Writer::Team);
                        let author = imdesk_store::ReplyAuthor {
                            key: imdesk_store::ConversationKey {
                                store: r.store.clone(),
                                biz_type: r.biz_type,
                                peer_id: peer,
                            },
                            msg_id: r.msg_id,
                            agent: r.agent.clone(),
                            supervisor: r.supervisor,
                            at_ms: r.at_ms,
                        };
                        if let Err(e) = self.store.record_author_async(author).await {
                            tracing::warn!("cannot record a reply's author: {e}");
                        }
                    }
                    None
                }
                Err(e) => self.keep(subject, payload, &e.to_string()).await,
            },
            SubjectKind::State => match serde_json::from_slice::<WireState>(payload) {
                Ok(s) if s.outcome.is_final() => {
                    self.shared.note_final(s);
                    None
                }
                Ok(_) => None,
                Err(e) => self.keep(subject, payload, &e.to_string()).await,
            },
            SubjectKind::Other => None,
        }
    }

    fn note_seen(&self, store: &str, biz_type: i32, peer: i64, seq: u64, writer: Writer) {
        let filter = conversation_filter(store, biz_type, peer);
        self.shared
            .seen
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(filter, (seq, writer));
    }

    /// Keeps a record that does not decode, with its subject, in quarantine.
    async fn keep(&self, subject: &str, payload: &[u8], why: &str) -> Option<PushEvent> {
        self.shared.quarantined.fetch_add(1, Ordering::Relaxed);
        let raw = format!("{subject} {}", String::from_utf8_lossy(payload));
        let reason = serde_json::json!({ "team_record": why }).to_string();
        if let Err(e) = self
            .store
            .quarantine_async(raw, reason, self.now_ms())
            .await
        {
            tracing::error!("cannot quarantine a team record: {e}");
        }
        None
    }
}

fn set_state(health: &watch::Sender<Vec<ConnectionHealth>>, state: ConnectionState) {
    health.send_modify(|h| {
        if let Some(c) = h.first_mut() {
            if c.state != state {
                if state == ConnectionState::Open && c.last_frame_at_ms.is_some() {
                    c.reconnects += 1;
                }
                c.state = state;
            }
        }
    });
}
