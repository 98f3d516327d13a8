//! Team mode II: who works the brand's conversations. Agents, their presence, who owns which
//! conversation, the brand's assignment settings and shared quick replies, each in a KV
//! bucket every desk and relay watches (`../shared/docs/team-mode.md`, "Claims are
//! compare-and-set"):
//!
//! - `ASSIGN` — conversation → owner. Claim = `create` (first wins); transfer = `update` with
//!   the revision read; release = delete with the revision read. An entry is an open
//!   conversation of its agent (the assigner closes it once answered and quiet).
//! - `AGENTS` — each agent's profile (role, capacity, stores served), written by their desk.
//! - `PRESENCE` — each desk's heartbeat: status, the conversation viewed and typed in.
//! - `SETTINGS` — the brand's assignment mode and grace period (supervisors only).
//! - `QUICK` — the brand's shared quick replies (supervisors only).
//! - `LEASE` — which relay runs the assigner (entries expire: a dead holder loses it).
//!
//! [`Roster`] keeps a live [`Board`] of all of them; every write goes to the server and comes
//! back through the watch, so each desk shows the same thing.

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use async_nats::jetstream::{self, kv};
use futures_util::StreamExt;
use imdesk_store::ConversationKey;
use serde::{Deserialize, Serialize};
use tokio::sync::watch;
use tokio_util::sync::CancellationToken;

use super::{store_token, Pause};
use crate::error::{DeskError, DeskResult};
use meituan_wire::Clock;

/// Conversation → owner.
pub const ASSIGN_BUCKET: &str = "ASSIGN";
/// Agents' profiles.
pub const AGENTS_BUCKET: &str = "AGENTS";
/// Desks' heartbeats.
pub const PRESENCE_BUCKET: &str = "PRESENCE";
/// The brand's assignment settings.
pub const SETTINGS_BUCKET: &str = "SETTINGS";
/// The brand's shared quick replies.
pub const QUICK_BUCKET: &str = "QUICK";
/// The assigner's lease.
pub const LEASE_BUCKET: &str = "LEASE";
/// The key of the assignment settings in `SETTINGS`.
pub const ASSIGNMENT_KEY: &str = "assignment";

/// An agent unseen for this long is offline.
pub const OFFLINE_AFTER: Duration = Duration::from_secs(30);
/// How often a desk says it is there.
pub const HEARTBEAT_EVERY: Duration = Duration::from_secs(10);
/// How long typing shows after the last keystroke.
pub const TYPING_SHOWS: Duration = Duration::from_secs(6);

/// A KV key for a conversation: `<store>.<biz_type>-<peer>`, the store escaped as a subject
/// token with `=` for `~` (KV keys allow letters, digits, `-`, `_`, `=`, `/` and `.`).
pub fn conversation_key(key: &ConversationKey) -> String {
    format!(
        "{}.{}",
        store_token(&key.store).replace('~', "="),
        super::conversation_token(key.biz_type, key.peer_id)
    )
}

/// The conversation of an `ASSIGN` key, if it is one.
pub fn parse_conversation_key(kv_key: &str) -> Option<ConversationKey> {
    let (store, conv) = kv_key.split_once('.')?;
    let (biz, peer) = conv.split_once('-')?;
    Some(ConversationKey {
        store: unescape(store)?,
        biz_type: biz.parse().ok()?,
        peer_id: peer.parse().ok()?,
    })
}

fn unescape(token: &str) -> Option<String> {
    if token == "=" {
        return Some(String::new()); // the empty store id
    }
    crate::doctor_redact::unescape_hex(token, b'=')
}

/// A KV key for an agent's name (names may be Chinese).
pub fn agent_key(name: &str) -> String {
    store_token(name).replace('~', "=")
}

/// An agent's role.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Answers customers.
    #[default]
    Agent,
    /// 客服主管: may answer in anyone's conversation, sets the mode, edits shared replies.
    Supervisor,
}

/// What an agent says about themself.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum AgentStatus {
    /// Takes new conversations.
    #[default]
    Online,
    /// Works their open conversations; no new assignments.
    Busy,
    /// Away from the desk.
    Away,
}

/// An agent's profile (`AGENTS`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AgentProfile {
    pub v: u32,
    pub name: String,
    #[serde(default)]
    pub role: Role,
    /// Open conversations at once.
    pub capacity: u32,
    /// The stores served (`epoiId`s); empty for all.
    #[serde(default)]
    pub stores: Vec<String>,
}

impl AgentProfile {
    /// A profile with the default capacity, serving every store.
    pub fn new(name: &str, role: Role) -> Self {
        Self {
            v: 1,
            name: name.to_owned(),
            role,
            capacity: 8,
            stores: Vec::new(),
        }
    }

    /// Whether the agent serves a store.
    pub fn serves(&self, store: &str) -> bool {
        self.stores.is_empty() || self.stores.iter().any(|s| s == store)
    }
}

/// A desk's heartbeat (`PRESENCE`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Presence {
    pub v: u32,
    pub agent: String,
    pub status: AgentStatus,
    /// The conversation on screen (its `ASSIGN` key).
    pub viewing: Option<String>,
    /// The conversation typed in, until [`TYPING_SHOWS`] after `typing_at_ms`.
    pub typing: Option<String>,
    #[serde(default)]
    pub typing_at_ms: i64,
    /// When the desk wrote this, UTC ms (its clock).
    pub at_ms: i64,
    /// The desk closed at `at_ms` (offline from then on, not 30 s later).
    #[serde(default)]
    pub left: bool,
}

/// How an owner came to own a conversation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AssignHow {
    /// The agent claimed it (认领), or replied in an unowned conversation.
    Claim,
    /// Someone handed it over.
    Transfer,
    /// The assigner gave it.
    Auto,
}

/// An owner (`ASSIGN`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Assignment {
    pub v: u32,
    pub agent: String,
    /// Who made it so (the agent, a colleague, a supervisor or `assigner`).
    pub by: String,
    pub how: AssignHow,
    pub at_ms: i64,
}

/// The brand's assignment modes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum AssignMode {
    /// Agents claim from the queue.
    #[default]
    Manual,
    /// In turn, to online agents under capacity.
    RoundRobin,
    /// Nearest deadline to the least loaded online agent, the last one who served the
    /// customer first (上次接待客服优先).
    Balanced,
}

/// The brand's assignment settings (`SETTINGS`, key `assignment`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AssignmentSettings {
    pub v: u32,
    pub mode: AssignMode,
    /// A waiting customer's conversation whose owner is offline returns to the queue after
    /// this many seconds.
    pub grace_s: u32,
    /// An answered conversation quiet for this many seconds is no longer open (its owner's
    /// capacity is free again).
    pub close_after_s: u32,
}

impl Default for AssignmentSettings {
    fn default() -> Self {
        Self {
            v: 1,
            mode: AssignMode::Manual,
            grace_s: 60,
            close_after_s: 30 * 60,
        }
    }
}

/// A brand-wide quick reply (`QUICK`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SharedQuickReply {
    pub v: u32,
    pub id: String,
    #[serde(default)]
    pub title: String,
    pub text: String,
    pub by: String,
    pub at_ms: i64,
}

/// An owner as the board holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Owned {
    pub assignment: Assignment,
    pub revision: u64,
}

/// Everything the team's buckets say, live.
#[derive(Debug, Clone, Default)]
pub struct Board {
    /// By `ASSIGN` key.
    pub owners: HashMap<String, Owned>,
    /// By name.
    pub agents: BTreeMap<String, AgentProfile>,
    /// Each agent's stores as a set (empty: all), kept with `agents` for the assigner.
    pub serves: HashMap<String, Arc<std::collections::HashSet<String>>>,
    /// By agent name.
    pub presence: BTreeMap<String, Presence>,
    pub settings: AssignmentSettings,
    /// The settings' revision (0: never written).
    pub settings_revision: u64,
    /// By id.
    pub quick: BTreeMap<String, SharedQuickReply>,
    /// Which buckets have delivered their current state.
    pub loaded: u8,
}

impl Board {
    /// Whether an agent's desk was heard from within [`OFFLINE_AFTER`] of `now_ms`.
    pub fn online(&self, agent: &str, now_ms: i64) -> bool {
        self.presence
            .get(agent)
            .is_some_and(|p| !p.left && now_ms - p.at_ms <= OFFLINE_AFTER.as_millis() as i64)
    }

    /// An agent's status at `now_ms`: `None` when offline.
    pub fn status(&self, agent: &str, now_ms: i64) -> Option<AgentStatus> {
        self.online(agent, now_ms)
            .then(|| self.presence.get(agent).map(|p| p.status))
            .flatten()
    }

    /// When an agent went offline (last heard + [`OFFLINE_AFTER`]), or `None` while online.
    pub fn offline_since(&self, agent: &str, now_ms: i64) -> Option<i64> {
        let since = match self.presence.get(agent) {
            Some(p) if p.left => p.at_ms,
            Some(p) => p.at_ms + OFFLINE_AFTER.as_millis() as i64,
            None => 0,
        };
        (now_ms > since || self.presence.get(agent).is_some_and(|p| p.left)).then_some(since)
    }

    /// Open conversations per agent.
    pub fn open_counts(&self) -> HashMap<&str, u32> {
        let mut counts = HashMap::new();
        for o in self.owners.values() {
            *counts.entry(o.assignment.agent.as_str()).or_insert(0) += 1;
        }
        counts
    }

    /// The owner of a conversation.
    pub fn owner(&self, key: &ConversationKey) -> Option<&Owned> {
        self.owners.get(&conversation_key(key))
    }

    /// Who is viewing and who is typing in a conversation at `now_ms`, except `me`.
    pub fn others_in(&self, kv_key: &str, me: &str, now_ms: i64) -> (Vec<String>, Vec<String>) {
        let mut viewing = Vec::new();
        let mut typing = Vec::new();
        for p in self.presence.values() {
            if p.agent == me || !self.online(&p.agent, now_ms) {
                continue;
            }
            if p.viewing.as_deref() == Some(kv_key) {
                viewing.push(p.agent.clone());
            }
            if p.typing.as_deref() == Some(kv_key)
                && now_ms - p.typing_at_ms <= TYPING_SHOWS.as_millis() as i64
            {
                typing.push(p.agent.clone());
            }
        }
        (viewing, typing)
    }

    /// Whether every bucket has delivered its current state.
    pub fn is_loaded(&self) -> bool {
        self.loaded == ALL_LOADED
    }
}

const ALL_LOADED: u8 = 0b11111;

/// What a claim ended as: `{"owner": …, "claimed": …}` (the CLI prints it as it is).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClaimOutcome {
    /// The owner after the call (`None`: in the queue).
    pub owner: Option<String>,
    /// Whether this call's claim or transfer took effect.
    pub claimed: bool,
}

/// The team's buckets as a relay creates them. History 1: a bucket holds the current state;
/// rollups stay off (an agent's write must not be able to wipe a bucket; `stream_config`).
pub async fn ensure_buckets(js: &jetstream::Context) -> DeskResult<()> {
    for bucket in TEAM_BUCKETS {
        super::ensure_bucket(js, bucket).await?;
        forbid_rollups(js, bucket).await?;
    }
    ensure_lease_bucket(js).await?;
    Ok(())
}

/// The team's KV buckets with history 1 that [`ensure_buckets`] makes (the lease bucket aside).
pub(crate) const TEAM_BUCKETS: [&str; 5] = [
    ASSIGN_BUCKET,
    AGENTS_BUCKET,
    PRESENCE_BUCKET,
    SETTINGS_BUCKET,
    QUICK_BUCKET,
];

/// Agents and supervisors write these buckets, and subject permissions cannot see headers: a
/// write carrying `Nats-Rollup: all` would wipe every owner. KV creates its streams with
/// rollups allowed (for purge); the team only deletes, so the relay turns them off.
async fn forbid_rollups(js: &jetstream::Context, bucket: &str) -> DeskResult<()> {
    let name = format!("KV_{bucket}");
    let team = |e: String| DeskError::Team(format!("KV bucket {bucket}: {e}"));
    let mut stream = js
        .get_stream(&name)
        .await
        .map_err(|e| team(e.to_string()))?;
    let mut config = stream
        .info()
        .await
        .map_err(|e| team(e.to_string()))?
        .config
        .clone();
    if config.allow_rollup {
        config.allow_rollup = false;
        js.update_stream(config)
            .await
            .map_err(|e| team(e.to_string()))?;
    }
    Ok(())
}

/// How long a relay's hold on the assigner lasts without renewal.
pub const LEASE_TTL: Duration = Duration::from_secs(10);

async fn ensure_lease_bucket(js: &jetstream::Context) -> DeskResult<kv::Store> {
    super::open_or_create_bucket(
        js,
        kv::Config {
            bucket: LEASE_BUCKET.to_owned(),
            history: 1,
            max_age: LEASE_TTL,
            storage: jetstream::stream::StorageType::File,
            ..Default::default()
        },
    )
    .await
}

/// The buckets a roster reads and writes.
#[derive(Clone, Debug)]
struct Buckets {
    assign: kv::Store,
    agents: kv::Store,
    presence: kv::Store,
    settings: kv::Store,
    quick: kv::Store,
}

impl Buckets {
    async fn open(js: &jetstream::Context) -> DeskResult<Self> {
        let get = |name: &'static str| async move {
            js.get_key_value(name).await.map_err(|e| {
                DeskError::Team(format!(
                    "KV bucket {name} is missing (no relay has started yet?): {e}"
                ))
            })
        };
        Ok(Self {
            assign: get(ASSIGN_BUCKET).await?,
            agents: get(AGENTS_BUCKET).await?,
            presence: get(PRESENCE_BUCKET).await?,
            settings: get(SETTINGS_BUCKET).await?,
            quick: get(QUICK_BUCKET).await?,
        })
    }
}

/// This desk's own part: who it is, and what it is doing.
#[derive(Debug, Clone)]
struct Me {
    profile: AgentProfile,
    status: AgentStatus,
    viewing: Option<String>,
    typing: Option<String>,
    typing_at_ms: i64,
}

/// The live board and the team's compare-and-set writes. Cheap to clone.
#[derive(Clone)]
pub struct Roster {
    js: jetstream::Context,
    buckets: Arc<tokio::sync::OnceCell<Buckets>>,
    board: watch::Sender<Arc<Board>>,
    me: Option<Arc<Mutex<Me>>>,
    /// Poked when this desk's presence changed (the heartbeat writes it at once).
    presence_changed: Arc<tokio::sync::Notify>,
    clock: Arc<dyn Clock>,
    /// Records in the buckets that did not decode.
    undecodable: Arc<AtomicU64>,
    /// The roster's own task (watches, heartbeat, the goodbye).
    task: Arc<Mutex<Option<tokio::task::JoinHandle<()>>>>,
    /// Someone already waited for the board to load (see [`Roster::loaded_once`]).
    waited: Arc<std::sync::atomic::AtomicBool>,
}

impl std::fmt::Debug for Roster {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Roster").finish_non_exhaustive()
    }
}

impl Roster {
    /// A roster for `me` (a desk or CLI call; `None` for a relay), following the buckets
    /// until `stop`. With `presence`, `me`'s profile and heartbeat are written too.
    pub fn start(
        js: jetstream::Context,
        me: Option<AgentProfile>,
        presence: bool,
        clock: Arc<dyn Clock>,
        stop: CancellationToken,
    ) -> Self {
        let (board, _) = watch::channel(Arc::new(Board::default()));
        let roster = Self {
            js,
            buckets: Arc::new(tokio::sync::OnceCell::new()),
            board,
            me: me.map(|profile| {
                Arc::new(Mutex::new(Me {
                    profile,
                    status: AgentStatus::Online,
                    viewing: None,
                    typing: None,
                    typing_at_ms: 0,
                }))
            }),
            presence_changed: Arc::new(tokio::sync::Notify::new()),
            clock,
            undecodable: Arc::new(AtomicU64::new(0)),
            task: Arc::default(),
            waited: Arc::default(),
        };
        let task = tokio::spawn(roster.clone().follow(presence, stop));
        *lock(&roster.task) = Some(task);
        roster
    }

    /// Once stopped: waits (up to 3 s) until the desk has said it left.
    pub async fn finished(&self) {
        let task = lock(&self.task).take();
        if let Some(task) = task {
            let _ = tokio::time::timeout(Duration::from_secs(3), task).await;
        }
    }

    fn now_ms(&self) -> i64 {
        self.clock.now().0
    }

    /// The board now.
    pub fn board(&self) -> Arc<Board> {
        self.board.borrow().clone()
    }

    /// Follows the board's changes.
    pub fn subscribe(&self) -> watch::Receiver<Arc<Board>> {
        self.board.subscribe()
    }

    /// Records in the buckets that did not decode (ignored, and counted).
    pub fn undecodable(&self) -> u64 {
        self.undecodable.load(Ordering::Relaxed)
    }

    /// Who this roster speaks for.
    pub fn me(&self) -> Option<AgentProfile> {
        self.me.as_ref().map(|m| lock(m).profile.clone())
    }

    /// Waits until every bucket has delivered its current state.
    pub async fn loaded(&self, timeout: Duration) -> DeskResult<Arc<Board>> {
        let mut rx = self.board.subscribe();
        let loaded = tokio::time::timeout(timeout, async {
            rx.wait_for(|b| b.is_loaded()).await.map(|b| b.clone())
        })
        .await;
        match loaded {
            Ok(Ok(b)) => Ok(b),
            _ => Err(DeskError::Team(
                "the team's assignment buckets did not load (is a relay running?)".into(),
            )),
        }
    }

    /// Whether the board is loaded, waiting up to `timeout` the first time only: a team
    /// whose buckets cannot be read delays one send, not every send.
    pub async fn loaded_once(&self, timeout: Duration) -> bool {
        if self.board.borrow().is_loaded() {
            return true;
        }
        if self.waited.swap(true, Ordering::Relaxed) {
            return false;
        }
        self.loaded(timeout).await.is_ok()
    }

    async fn buckets(&self) -> DeskResult<&Buckets> {
        self.buckets
            .get_or_try_init(|| Buckets::open(&self.js))
            .await
    }

    /// Opens the buckets (retrying until a relay has made them), then watches each and, for a
    /// desk, heartbeats.
    async fn follow(self, presence: bool, stop: CancellationToken) {
        let mut pause = Pause::new();
        let buckets = loop {
            match self.buckets().await {
                Ok(b) => break b.clone(),
                Err(e) => {
                    tracing::debug!("team roster: {e}");
                    if !pause.wait(&stop).await {
                        return;
                    }
                }
            }
        };
        let watches = [
            (buckets.assign.clone(), Kind::Assign),
            (buckets.agents.clone(), Kind::Agents),
            (buckets.presence.clone(), Kind::Presence),
            (buckets.settings.clone(), Kind::Settings),
            (buckets.quick.clone(), Kind::Quick),
        ];
        for (bucket, kind) in watches {
            tokio::spawn(self.clone().watch(bucket, kind, stop.clone()));
        }
        if presence && self.me.is_some() {
            self.heartbeat(buckets, stop).await;
        }
    }

    /// Follows one bucket into the board, watching again after a failure.
    async fn watch(self, bucket: kv::Store, kind: Kind, stop: CancellationToken) {
        let mut pause = Pause::new();
        loop {
            let outcome = tokio::select! {
                () = stop.cancelled() => return,
                r = self.watch_once(&bucket, kind) => r,
            };
            if let Err(e) = outcome {
                tracing::warn!("team bucket {kind:?}: {e}; watching again");
            }
            if !pause.wait(&stop).await {
                return;
            }
        }
    }

    async fn watch_once(&self, bucket: &kv::Store, kind: Kind) -> Result<(), String> {
        let mut entries = bucket
            .watch_with_history(">")
            .await
            .map_err(|e| e.to_string())?;
        // A fresh watch replays the current state: start from an empty part.
        let mut current: Vec<kv::Entry> = Vec::new();
        let mut live = false;
        // An empty bucket delivers nothing: it is loaded once the watch is set up and the
        // first read times out quickly.
        loop {
            let next = if live {
                entries.next().await
            } else {
                match tokio::time::timeout(Duration::from_millis(300), entries.next()).await {
                    Ok(n) => n,
                    Err(_) => {
                        self.replace(kind, std::mem::take(&mut current));
                        live = true;
                        continue;
                    }
                }
            };
            let entry = match next {
                Some(Ok(e)) => e,
                Some(Err(e)) => return Err(e.to_string()),
                None => return Err("the watch ended".into()),
            };
            if live {
                self.apply(kind, &entry);
            } else {
                let done = entry.delta == 0;
                current.push(entry);
                if done {
                    self.replace(kind, std::mem::take(&mut current));
                    live = true;
                }
            }
        }
    }

    /// A bucket's whole state, after a (re)watch.
    fn replace(&self, kind: Kind, entries: Vec<kv::Entry>) {
        self.board.send_modify(|board| {
            let b = Arc::make_mut(board);
            match kind {
                Kind::Assign => b.owners.clear(),
                Kind::Agents => {
                    b.agents.clear();
                    b.serves.clear();
                }
                Kind::Presence => b.presence.clear(),
                Kind::Settings => {
                    b.settings = AssignmentSettings::default();
                    b.settings_revision = 0;
                }
                Kind::Quick => b.quick.clear(),
            }
            for e in &entries {
                self.apply_to(b, kind, e);
            }
            b.loaded |= kind.bit();
        });
    }

    fn apply(&self, kind: Kind, entry: &kv::Entry) {
        self.board.send_modify(|board| {
            self.apply_to(Arc::make_mut(board), kind, entry);
        });
    }

    fn apply_to(&self, b: &mut Board, kind: Kind, e: &kv::Entry) {
        let gone = !matches!(e.operation, kv::Operation::Put);
        let bad = |what: &str, err: serde_json::Error| {
            self.undecodable.fetch_add(1, Ordering::Relaxed);
            tracing::warn!(key = %e.key, "team {what} record does not decode: {err}");
        };
        match kind {
            Kind::Assign => {
                if gone {
                    b.owners.remove(&e.key);
                    return;
                }
                match serde_json::from_slice::<Assignment>(&e.value) {
                    Ok(a) => {
                        b.owners.insert(
                            e.key.clone(),
                            Owned {
                                assignment: a,
                                revision: e.revision,
                            },
                        );
                    }
                    Err(err) => bad("assignment", err),
                }
            }
            Kind::Agents => {
                if gone {
                    b.agents.retain(|name, _| agent_key(name) != e.key);
                    b.serves.retain(|name, _| agent_key(name) != e.key);
                    return;
                }
                match serde_json::from_slice::<AgentProfile>(&e.value) {
                    Ok(a) => {
                        b.serves
                            .insert(a.name.clone(), Arc::new(a.stores.iter().cloned().collect()));
                        b.agents.insert(a.name.clone(), a);
                    }
                    Err(err) => bad("agent", err),
                }
            }
            Kind::Presence => {
                if gone {
                    b.presence.retain(|name, _| agent_key(name) != e.key);
                    return;
                }
                match serde_json::from_slice::<Presence>(&e.value) {
                    Ok(p) => {
                        b.presence.insert(p.agent.clone(), p);
                    }
                    Err(err) => bad("presence", err),
                }
            }
            Kind::Settings => {
                if e.key != ASSIGNMENT_KEY {
                    return;
                }
                if gone {
                    b.settings = AssignmentSettings::default();
                    b.settings_revision = 0;
                    return;
                }
                match serde_json::from_slice::<AssignmentSettings>(&e.value) {
                    Ok(s) => {
                        b.settings = s;
                        b.settings_revision = e.revision;
                    }
                    Err(err) => bad("settings", err),
                }
            }
            Kind::Quick => {
                if gone {
                    b.quick.retain(|id, _| agent_key(id) != e.key);
                    return;
                }
                match serde_json::from_slice::<SharedQuickReply>(&e.value) {
                    Ok(q) => {
                        b.quick.insert(q.id.clone(), q);
                    }
                    Err(err) => bad("quick reply", err),
                }
            }
        }
    }

    /// Writes this desk's profile, then its presence every [`HEARTBEAT_EVERY`] and at once
    /// when it changes.
    async fn heartbeat(&self, buckets: Buckets, stop: CancellationToken) {
        let Some(me) = &self.me else { return };
        let profile = lock(me).profile.clone();
        if let Err(e) = put_json(&buckets.agents, &agent_key(&profile.name), &profile).await {
            tracing::warn!("team: cannot write this agent's profile: {e}");
        }
        let presence_now = |left: bool| {
            let m = lock(me);
            Presence {
                v: 1,
                agent: m.profile.name.clone(),
                status: m.status,
                viewing: if left { None } else { m.viewing.clone() },
                typing: if left { None } else { m.typing.clone() },
                typing_at_ms: m.typing_at_ms,
                at_ms: self.now_ms(),
                left,
            }
        };
        loop {
            let presence = presence_now(false);
            if let Err(e) =
                put_json(&buckets.presence, &agent_key(&presence.agent), &presence).await
            {
                tracing::warn!("team: heartbeat failed: {e}");
            }
            tokio::select! {
                () = stop.cancelled() => break,
                () = self.presence_changed.notified() => {}
                () = tokio::time::sleep(HEARTBEAT_EVERY) => {}
            }
        }
        // Closing: offline now, not when the heartbeat is missed (best effort).
        let presence = presence_now(true);
        let _ = tokio::time::timeout(
            Duration::from_secs(2),
            put_json(&buckets.presence, &agent_key(&presence.agent), &presence),
        )
        .await;
    }

    fn change_me(&self, f: impl FnOnce(&mut Me) -> bool) {
        if let Some(me) = &self.me {
            let changed = f(&mut lock(me));
            if changed {
                self.presence_changed.notify_one();
            }
        }
    }

    /// Sets this agent's status.
    pub fn set_status(&self, status: AgentStatus) {
        self.change_me(|m| std::mem::replace(&mut m.status, status) != status);
    }

    /// The conversation this desk shows (`None`: none).
    pub fn set_viewing(&self, key: Option<&ConversationKey>) {
        let k = key.map(conversation_key);
        self.change_me(|m| {
            let changed = m.viewing != k;
            m.viewing = k;
            if m.typing.is_some() && m.typing != m.viewing {
                m.typing = None;
            }
            changed
        });
    }

    /// The agent typed in a conversation (`None`: stopped, or sent). Repeated keystrokes
    /// write at most once per [`TYPING_SHOWS`] / 2.
    pub fn set_typing(&self, key: Option<&ConversationKey>) {
        let k = key.map(conversation_key);
        let now = self.now_ms();
        self.change_me(|m| {
            let fresh = now - m.typing_at_ms < TYPING_SHOWS.as_millis() as i64 / 2;
            if m.typing == k && (k.is_none() || fresh) {
                return false;
            }
            m.typing = k;
            m.typing_at_ms = now;
            true
        });
    }

    /// Claims a conversation for `agent` (first claim wins): the owner afterwards, and
    /// whether it is `agent` by this call or before it.
    pub async fn claim(&self, key: &ConversationKey, agent: &str) -> DeskResult<ClaimOutcome> {
        self.claim_as(key, agent, agent, AssignHow::Claim).await
    }

    pub(crate) async fn claim_as(
        &self,
        key: &ConversationKey,
        agent: &str,
        by: &str,
        how: AssignHow,
    ) -> DeskResult<ClaimOutcome> {
        let b = self.buckets().await?;
        let k = conversation_key(key);
        let value = to_json(&Assignment {
            v: 1,
            agent: agent.to_owned(),
            by: by.to_owned(),
            how,
            at_ms: self.now_ms(),
        })?;
        match b.assign.create(&k, value).await {
            Ok(_) => Ok(ClaimOutcome {
                owner: Some(agent.to_owned()),
                claimed: true,
            }),
            Err(e) if e.kind() == kv::CreateErrorKind::AlreadyExists => {
                let owner = current(&b.assign, &k).await?.map(|(a, _)| a.agent);
                let claimed = owner.as_deref() == Some(agent);
                Ok(ClaimOutcome { owner, claimed })
            }
            Err(e) => Err(DeskError::Team(format!("claim: {e}"))),
        }
    }

    /// Hands a conversation to `to` (`None`: back to the queue), against the revision the
    /// caller saw (`None`: the current one). A stale revision is refused: someone changed the
    /// owner since. Only the owner hands it on, unless `any_owner` (a supervisor).
    pub async fn transfer(
        &self,
        key: &ConversationKey,
        to: Option<&str>,
        by: &str,
        seen_revision: Option<u64>,
        any_owner: bool,
    ) -> DeskResult<ClaimOutcome> {
        let b = self.buckets().await?;
        let k = conversation_key(key);
        if let Some(to) = to {
            if !self.board().agents.contains_key(to) {
                return Err(DeskError::Invalid(format!("no agent is named {to}")));
            }
        }
        let Some((owner, revision)) = current(&b.assign, &k).await? else {
            return match to {
                // Unowned: a transfer is a claim made for someone.
                Some(to) => self.claim_as(key, to, by, AssignHow::Transfer).await,
                None => Ok(ClaimOutcome {
                    owner: None,
                    claimed: true,
                }),
            };
        };
        if seen_revision.is_some_and(|r| r != revision) {
            return Err(stale(&owner.agent));
        }
        if owner.agent != by && !any_owner {
            return Err(DeskError::NotOwner { owner: owner.agent });
        }
        let outcome = match to {
            Some(to) => {
                let value = to_json(&Assignment {
                    v: 1,
                    agent: to.to_owned(),
                    by: by.to_owned(),
                    how: AssignHow::Transfer,
                    at_ms: self.now_ms(),
                })?;
                b.assign
                    .update(&k, value, revision)
                    .await
                    .map(|_| ())
                    .map_err(|e| e.to_string())
            }
            None => b
                .assign
                .delete_expect_revision(&k, Some(revision))
                .await
                .map_err(|e| e.to_string()),
        };
        match outcome {
            Ok(()) => Ok(ClaimOutcome {
                owner: to.map(str::to_owned),
                claimed: true,
            }),
            Err(e) if e.contains("wrong last sequence") || e.contains("10071") => {
                Err(stale(&owner.agent))
            }
            Err(e) => Err(DeskError::Team(format!("transfer: {e}"))),
        }
    }

    /// Returns a conversation to the queue if it is still owned at `revision` (the
    /// assigner's grace rule and closing of quiet conversations). False when it changed.
    pub(crate) async fn release_at(&self, kv_key: &str, revision: u64) -> DeskResult<bool> {
        let b = self.buckets().await?;
        match b
            .assign
            .delete_expect_revision(kv_key, Some(revision))
            .await
        {
            Ok(()) => Ok(true),
            Err(e) => {
                let text = e.to_string();
                if text.contains("wrong last sequence") || text.contains("10071") {
                    Ok(false)
                } else {
                    Err(DeskError::Team(format!("release: {text}")))
                }
            }
        }
    }

    /// Sets the brand's assignment settings against the revision the supervisor saw: two
    /// supervisors changing it at once, the second is refused.
    pub async fn set_settings(
        &self,
        settings: &AssignmentSettings,
        seen_revision: u64,
    ) -> DeskResult<u64> {
        if settings.grace_s == 0 || settings.close_after_s == 0 {
            return Err(DeskError::Invalid(
                "the grace period and the quiet time must be at least one second".into(),
            ));
        }
        let b = self.buckets().await?;
        let value = to_json(settings)?;
        let written = if seen_revision == 0 {
            b.settings
                .create(ASSIGNMENT_KEY, value)
                .await
                .map_err(|e| e.to_string())
        } else {
            b.settings
                .update(ASSIGNMENT_KEY, value, seen_revision)
                .await
                .map_err(|e| e.to_string())
        };
        written.map_err(|e| {
            if e.contains("wrong last sequence") || e.contains("exists") || e.contains("10071") {
                DeskError::Conflict(
                    "another supervisor changed the assignment settings just now; look at them again"
                        .into(),
                )
            } else if denied(&e) {
                DeskError::Invalid(format!(
                    "only a supervisor may change the assignment settings ({NOT_ACCEPTED})"
                ))
            } else {
                DeskError::Team(format!("assignment settings: {e}"))
            }
        })
    }

    /// Saves a shared quick reply (supervisors).
    pub async fn save_quick(&self, id: &str, title: &str, text: &str, by: &str) -> DeskResult<()> {
        let text = text.trim();
        if text.is_empty() {
            return Err(DeskError::Invalid("a quick reply needs text".into()));
        }
        let b = self.buckets().await?;
        let reply = SharedQuickReply {
            v: 1,
            id: id.to_owned(),
            title: title.trim().to_owned(),
            text: text.to_owned(),
            by: by.to_owned(),
            at_ms: self.now_ms(),
        };
        put_json(&b.quick, &agent_key(id), &reply)
            .await
            .map_err(permission("edit the brand's quick replies"))
    }

    /// Deletes a shared quick reply (supervisors).
    pub async fn delete_quick(&self, id: &str) -> DeskResult<()> {
        let b = self.buckets().await?;
        b.quick
            .delete(agent_key(id))
            .await
            .map_err(|e| e.to_string())
            .map_err(permission("edit the brand's quick replies"))
    }
}

/// How a write the user's NATS permissions forbid ends: the server drops it (the violation
/// goes to the connection, not to the request), so the request times out.
fn denied(error: &str) -> bool {
    error.contains("ermission") || error.contains("timed out")
}

/// Said beside a refused supervisor's write: a timeout is also what a lost server gives.
const NOT_ACCEPTED: &str =
    "the team server did not accept the change: this desk's NATS user is not a supervisor's, \
     or the server is out of reach";

fn permission(what: &'static str) -> impl Fn(String) -> DeskError {
    move |e| {
        if denied(&e) {
            DeskError::Invalid(format!("only a supervisor may {what} ({NOT_ACCEPTED})"))
        } else {
            DeskError::Team(format!("cannot {what}: {e}"))
        }
    }
}

fn stale(owner: &str) -> DeskError {
    DeskError::Conflict(format!(
        "the owner changed since you looked (now {owner}); look again before you hand it over"
    ))
}

/// The current owner and revision of an `ASSIGN` key.
async fn current(bucket: &kv::Store, key: &str) -> DeskResult<Option<(Assignment, u64)>> {
    let entry = bucket
        .entry(key)
        .await
        .map_err(|e| DeskError::Team(format!("read owner: {e}")))?;
    let Some(entry) = entry.filter(|e| matches!(e.operation, kv::Operation::Put)) else {
        return Ok(None);
    };
    let a = serde_json::from_slice::<Assignment>(&entry.value)
        .map_err(|e| DeskError::Team(format!("the owner record of {key} does not decode: {e}")))?;
    Ok(Some((a, entry.revision)))
}

fn to_json<T: Serialize>(value: &T) -> DeskResult<bytes::Bytes> {
    serde_json::to_vec(value)
        .map(Into::into)
        .map_err(|e| DeskError::Team(format!("encode: {e}")))
}

async fn put_json<T: Serialize>(bucket: &kv::Store, key: &str, value: &T) -> Result<(), String> {
    let bytes = serde_json::to_vec(value).map_err(|e| e.to_string())?;
    bucket
        .put(key, bytes.into())
        .await
        .map(|_| ())
        .map_err(|e| e.to_string())
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

#[derive(Debug, Clone, Copy)]
enum Kind {
    Assign,
    Agents,
    Presence,
    Settings,
    Quick,
}

impl Kind {
    fn bit(self) -> u8 {
        match self {
            Kind::Assign => 1,
            Kind::Agents => 2,
            Kind::Presence => 4,
            Kind::Settings => 8,
            Kind::Quick => 16,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn conversation_keys_round_trip_and_are_valid_kv_keys() {
        for store in ["mt1001", "店.1 *", "a=b", ""] {
            let key = ConversationKey {
                store: store.to_owned(),
                biz_type: 1,
                peer_id: -42,
            };
            let k = conversation_key(&key);
            assert!(
                k.chars()
                    .all(|c| c.is_ascii_alphanumeric() || "-_=./".contains(c)),
                "{k}"
            );
            assert_eq!(k.matches('.').count(), 1, "{k}");
            assert_eq!(parse_conversation_key(&k), Some(key));
        }
        assert_eq!(parse_conversation_key("nodot"), None);
        assert_eq!(parse_conversation_key("s.x-1"), None);
    }

    #[test]
    fn presence_expires_and_typing_fades() {
        let mut b = Board::default();
        b.presence.insert(
            "a".into(),
            Presence {
                v: 1,
                agent: "a".into(),
                status: AgentStatus::Busy,
                viewing: Some("s.1-1".into()),
                typing: Some("s.1-1".into()),
                typing_at_ms: 1_000,
                at_ms: 1_000,
                left: false,
            },
        );
        assert_eq!(b.status("a", 31_000), Some(AgentStatus::Busy));
        assert_eq!(b.status("a", 31_001), None);
        assert_eq!(b.offline_since("a", 40_000), Some(31_000));
        assert_eq!(b.offline_since("a", 2_000), None);
        let (viewing, typing) = b.others_in("s.1-1", "me", 2_000);
        assert_eq!((viewing.len(), typing.len()), (1, 1));
        let (viewing, typing) = b.others_in("s.1-1", "me", 8_000);
        assert_eq!((viewing.len(), typing.len()), (1, 0));
        assert_eq!(b.others_in("s.1-1", "a", 2_000).0.len(), 0);
    }

    #[test]
    fn records_from_a_newer_desk_keep_decoding() {
        let p: AgentProfile =
            serde_json::from_str(r#"{"v":2,"name":"小王","capacity":3,"shift":"night"}"#).unwrap();
        assert_eq!(p.role, Role::Agent);
        assert!(p.serves("any"));
        assert!(serde_json::from_str::<Assignment>(r#"{"v":1}"#).is_err());
    }
}
