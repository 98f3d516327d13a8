//! Team mode: relays hold the platform link and publish into NATS JetStream; desks mirror it.
//! (`../shared/docs/team-mode.md`, README "Team mode").
//!
//! One stream per brand account, `IM`, holds everything a desk needs, in one order:
//!
//! - `im.m.<store>.<conv>.in`: every message of a relay's archive (customers' messages, and
//!   our replies once the platform accepted them), `Nats-Msg-Id` `in:<store>:<biz>:<msg_id>`;
//! - `im.m.<store>.<conv>.out`: a desk's reply, `Nats-Msg-Id` `out:<msg_id>`, published with
//!   the last sequence the desk saw on `im.m.<store>.<conv>.*` (no blind replies);
//! - `im.s.<store>.<conv>`: a relay's word on a reply (sent, failed with the reason, uncertain).
//!
//! Conversation subjects have five tokens and state subjects four, so `im.m.<store>.<conv>.*`
//! covers what a customer or a colleague wrote and nothing else. KV buckets: `STORES` (names
//! and businessId, never tokens), `SENDS` (which relay took which send, and how it ended),
//! `RELAYS` (each relay's heartbeat: sockets and archive position); and for the agents
//! ([`roster`]) `ASSIGN`, `AGENTS`, `PRESENCE`, `SETTINGS`, `QUICK` and `LEASE`.
//!
//! Pictures go through the object store `PICTURES` ([`pictures`]): NATS carries 1 MB a
//! message, a picture up to 2 MiB.
//!
//! [`relay`] is the relay's side (beside a solo engine), `mirror` the desk's (the engine's
//! platform port over NATS), [`roster`] who works which conversation, [`assigner`] the lease
//! holder's hand-outs.

pub mod assigner;
pub(crate) mod blocks;
pub(crate) mod mirror;
pub mod pictures;
pub mod relay;
pub mod roster;
mod wire;

use std::path::PathBuf;
use std::time::Duration;

use async_nats::jetstream;
use backon::BackoffBuilder;

use crate::error::{DeskError, DeskResult};
use crate::view::Unseen;

pub use relay::{Relay, RelayStats};
pub use roster::{
    AgentProfile, AgentStatus, AssignMode, AssignmentSettings, Board, ClaimOutcome, Role, Roster,
};
pub use wire::{WireMessage, WireReply, WireState, WireStore};

/// The stream every brand account holds.
pub const STREAM: &str = "IM";
/// The relays' durable work queue of replies.
pub const SENDS_CONSUMER: &str = "relay-sends";
/// The KV buckets.
pub const STORES_BUCKET: &str = "STORES";
/// Which relay took which send (see [`relay`]).
pub const SENDS_BUCKET: &str = "SENDS";
/// Relay heartbeats.
pub const RELAYS_BUCKET: &str = "RELAYS";
/// The desk's setting holding the last stream sequence it applied.
pub const CURSOR_KEY: &str = "team.stream_seq";

/// How a process reaches the team's NATS server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TeamConfig {
    /// `IMDESK_NATS_URL`: `nats://[user:password@]host:port`, `tls://…`, or several,
    /// comma-separated.
    pub url: String,
    /// `IMDESK_NATS_CREDS`: a NATS credentials file (JWT and nkey seed).
    pub creds: Option<PathBuf>,
    /// `IMDESK_AGENT`: who this desk or CLI call is (shown beside their replies).
    pub agent: String,
    /// `IMDESK_AGENT_ROLE`: `agent` (default) or `supervisor`.
    pub role: Role,
    /// `IMDESK_AGENT_CAPACITY`: open conversations at once (default 8).
    pub capacity: u32,
    /// `IMDESK_AGENT_STORES`: the stores served, comma-separated `epoiId`s (default all).
    pub serves: Vec<String>,
}

/// An agent's default capacity.
pub const DEFAULT_CAPACITY: u32 = 8;

impl TeamConfig {
    /// A config for `url` as `agent`, with the default role, capacity and stores.
    pub fn new(url: impl Into<String>, agent: impl Into<String>) -> Self {
        Self {
            url: url.into(),
            creds: None,
            agent: agent.into(),
            role: Role::Agent,
            capacity: DEFAULT_CAPACITY,
            serves: Vec::new(),
        }
    }

    /// The agent profile this config signs in with.
    pub fn profile(&self) -> AgentProfile {
        AgentProfile {
            v: 1,
            name: self.agent.clone(),
            role: self.role,
            capacity: self.capacity,
            stores: self.serves.clone(),
        }
    }
}

/// The stream's retention: how long a desk may be away and still catch up from the stream.
pub const RETENTION: Duration = Duration::from_secs(14 * 24 * 3600);
/// JetStream's de-duplication window: a relay's re-publish after a restart, a second relay's
/// copy and a desk's retried reply fall inside it.
pub const DUPLICATE_WINDOW: Duration = Duration::from_secs(10 * 60);

/// Connects, retrying the first connection too (a desk may start before the server).
pub async fn connect(config: &TeamConfig, name: &str) -> DeskResult<async_nats::Client> {
    let mut options = async_nats::ConnectOptions::new()
        .name(name)
        .retry_on_initial_connect()
        .connection_timeout(Duration::from_secs(5))
        .max_reconnects(None);
    if let Some(path) = &config.creds {
        options = options.credentials_file(path).await.map_err(|e| {
            DeskError::Team(format!("NATS credentials file {}: {e}", path.display()))
        })?;
    }
    let (servers, login) = split_login(&config.url)?;
    if let Some((user, password)) = login {
        options = options.user_and_password(user, password);
    }
    options
        .connect(servers.as_slice())
        .await
        .map_err(|e| DeskError::Team(format!("cannot connect to NATS: {e}")))
}

/// A user and password.
type Login = (String, String);

/// The server addresses of `IMDESK_NATS_URL` (comma-separated) without their user and
/// password, and the first user and password given (`nats://user:password@host:port`).
/// Errors name the address without its password.
fn split_login(urls: &str) -> DeskResult<(Vec<async_nats::ServerAddr>, Option<Login>)> {
    let mut servers = Vec::new();
    let mut login = None;
    for raw in urls.split(',').map(str::trim).filter(|u| !u.is_empty()) {
        let mut url = url::Url::parse(raw)
            .map_err(|e| DeskError::Team(format!("IMDESK_NATS_URL is not a URL: {e}")))?;
        if !url.username().is_empty() && login.is_none() {
            let user = percent_decode(url.username());
            let password = url.password().map(percent_decode).unwrap_or_default();
            login = Some((user, password));
        }
        let _ = url.set_username("");
        let _ = url.set_password(None);
        let shown = url.to_string();
        servers.push(
            shown
                .parse::<async_nats::ServerAddr>()
                .map_err(|e| DeskError::Team(format!("NATS address {shown}: {e}")))?,
        );
    }
    if servers.is_empty() {
        return Err(DeskError::Team("IMDESK_NATS_URL names no server".into()));
    }
    Ok((servers, login))
}

fn percent_decode(s: &str) -> String {
    url::form_urlencoded::parse(format!("x={s}").as_bytes())
        .next()
        .map(|(_, v)| v.into_owned())
        .unwrap_or_default()
}

/// The stream a relay keeps (created if missing; an existing one is used as it is).
pub async fn ensure_stream(js: &jetstream::Context) -> DeskResult<jetstream::stream::Stream> {
    js.get_or_create_stream(stream_config())
        .await
        .map_err(|e| DeskError::Team(format!("stream {STREAM}: {e}")))
}

/// The stream's configuration, as a relay creates it.
pub fn stream_config() -> jetstream::stream::Config {
    jetstream::stream::Config {
        name: STREAM.to_owned(),
        subjects: vec!["im.>".to_owned()],
        max_age: RETENTION,
        duplicate_window: DUPLICATE_WINDOW,
        allow_direct: true,
        storage: jetstream::stream::StorageType::File,
        // Subject permissions cannot see headers: with rollups allowed, an agent's reply
        // carrying `Nats-Rollup: all` would wipe the stream. Nor may anyone delete or purge.
        allow_rollup: false,
        deny_delete: true,
        deny_purge: true,
        ..Default::default()
    }
}

/// A KV bucket a relay keeps (created if missing, with history 1; an existing one is used as
/// it is).
pub async fn ensure_bucket(
    js: &jetstream::Context,
    bucket: &str,
) -> DeskResult<jetstream::kv::Store> {
    open_or_create_bucket(js, bucket_config(bucket)).await
}

/// How a relay makes a team bucket: history 1, on file.
fn bucket_config(bucket: &str) -> jetstream::kv::Config {
    jetstream::kv::Config {
        bucket: bucket.to_owned(),
        history: 1,
        storage: jetstream::stream::StorageType::File,
        ..Default::default()
    }
}

/// The bucket `config` names: the existing one as it is, or a new one made with `config`.
pub(crate) async fn open_or_create_bucket(
    js: &jetstream::Context,
    config: jetstream::kv::Config,
) -> DeskResult<jetstream::kv::Store> {
    match js.get_key_value(&config.bucket).await {
        Ok(kv) => Ok(kv),
        Err(_) => create_bucket(js, config).await,
    }
}

/// Creates the bucket `config` names, after a look found none. Two relays start together:
/// between this relay's look and its create, the other may have created the bucket and
/// already changed it (`roster::ensure_buckets` turns rollups off), and the server refuses a
/// create that differs from the stream it holds ("stream name already in use with a
/// different configuration", 10058). So a failed create looks again, and a bucket that exists
/// by then is used as it is, as if the first look had found it; only when there is still
/// none is the create's error returned. (Before this, the relay that lost the race exited at
/// start, and the brand ran on one relay without knowing it.)
pub(crate) async fn create_bucket(
    js: &jetstream::Context,
    config: jetstream::kv::Config,
) -> DeskResult<jetstream::kv::Store> {
    let bucket = config.bucket.clone();
    match js.create_key_value(config).await {
        Ok(kv) => Ok(kv),
        Err(create) => js
            .get_key_value(&bucket)
            .await
            .map_err(|_| DeskError::Team(format!("KV bucket {bucket}: {create}"))),
    }
}

/// Why a request to the relays brought no answer to read ([`ask`]).
#[derive(Debug)]
pub(crate) enum AskError {
    /// The request did not encode.
    Encode(String),
    /// Nothing answered within the wait.
    Timeout,
    /// The server refused or dropped the request (no relay subscribed, the connection gone).
    Request(String),
    /// The answer did not decode.
    Decode(String),
}

/// Asks the relays on `subject` (their queue group) and decodes the answer, waiting `wait`
/// at most: the desk's side of [`answer_each`].
pub(crate) async fn ask<Q, A>(
    client: &async_nats::Client,
    subject: &'static str,
    wait: Duration,
    question: &Q,
) -> Result<A, AskError>
where
    Q: serde::Serialize,
    A: serde::de::DeserializeOwned,
{
    let body = serde_json::to_vec(question).map_err(|e| AskError::Encode(e.to_string()))?;
    let answer = tokio::time::timeout(wait, client.request(subject, body.into()))
        .await
        .map_err(|_| AskError::Timeout)?
        .map_err(|e| AskError::Request(e.to_string()))?;
    serde_json::from_slice(&answer.payload).map_err(|e| AskError::Decode(e.to_string()))
}

/// Answers each request on `requests` (a relay's queue subscription) with what `answer` makes
/// of its payload, one at a time, until stopped; requests without a reply subject are skipped.
pub(crate) async fn answer_each<F, Fut>(
    client: async_nats::Client,
    mut requests: async_nats::Subscriber,
    stop: tokio_util::sync::CancellationToken,
    what: &str,
    mut answer: F,
) where
    F: FnMut(bytes::Bytes) -> Fut,
    Fut: std::future::Future<Output = Vec<u8>>,
{
    use futures_util::StreamExt;
    loop {
        let request = tokio::select! {
            () = stop.cancelled() => return,
            r = requests.next() => match r { Some(r) => r, None => return },
        };
        let Some(reply) = request.reply.clone() else {
            continue;
        };
        let body = answer(request.payload).await;
        if let Err(e) = client.publish(reply, body.into()).await {
            tracing::warn!("relay cannot answer a {what} request: {e}");
        }
    }
}

/// Waits between attempts after failures (the server away, a consumer lost): from 100 ms,
/// doubling with jitter, to 5 s at most, for as long as it takes (backon's exponential
/// backoff); `reset` after a success.
pub(crate) struct Pause {
    next: backon::ExponentialBackoff,
}

impl Pause {
    pub(crate) fn new() -> Self {
        Self {
            next: Self::builder().build(),
        }
    }

    fn builder() -> backon::ExponentialBuilder {
        backon::ExponentialBuilder::default()
            .with_min_delay(Duration::from_millis(100))
            .with_max_delay(Duration::from_secs(5))
            .without_max_times()
            .with_jitter()
    }

    /// After a success: the next failure waits the shortest time again.
    pub(crate) fn reset(&mut self) {
        self.next = Self::builder().build();
    }

    /// Waits the next delay; false when `stop` fired first.
    pub(crate) async fn wait(&mut self, stop: &tokio_util::sync::CancellationToken) -> bool {
        let delay = self.next.next().unwrap_or(Duration::from_secs(5));
        tokio::select! {
            () = stop.cancelled() => false,
            () = tokio::time::sleep(delay) => true,
        }
    }
}

/// A subject token for a store's epoiId: letters, digits, `_` and `-` as they are, any other
/// byte as `~` and two hex digits (`.`, `*`, `>` and spaces cannot appear in a token).
pub fn store_token(epoi_id: &str) -> String {
    let mut out = String::with_capacity(epoi_id.len());
    for b in epoi_id.bytes() {
        if b.is_ascii_alphanumeric() || b == b'_' || b == b'-' {
            out.push(char::from(b));
        } else {
            out.push('~');
            out.push_str(&format!("{b:02X}"));
        }
    }
    if out.is_empty() {
        out.push('~');
    }
    out
}

/// A subject token for a conversation of a store: `<biz_type>-<peer id>`.
pub fn conversation_token(biz_type: i32, peer_id: i64) -> String {
    format!("{biz_type}-{peer_id}")
}

/// `im.m.<store>.<conv>.in`.
pub fn message_subject(epoi_id: &str, biz_type: i32, peer_id: i64) -> String {
    format!(
        "im.m.{}.{}.in",
        store_token(epoi_id),
        conversation_token(biz_type, peer_id)
    )
}

/// `im.m.<store>.<conv>.out`.
pub fn reply_subject(epoi_id: &str, biz_type: i32, peer_id: i64) -> String {
    format!(
        "im.m.{}.{}.out",
        store_token(epoi_id),
        conversation_token(biz_type, peer_id)
    )
}

/// `im.m.<store>.<conv>.*`: what the customer and the team wrote in a conversation.
pub fn conversation_filter(epoi_id: &str, biz_type: i32, peer_id: i64) -> String {
    format!(
        "im.m.{}.{}.*",
        store_token(epoi_id),
        conversation_token(biz_type, peer_id)
    )
}

/// `im.s.<store>.<conv>`.
pub fn state_subject(epoi_id: &str, biz_type: i32, peer_id: i64) -> String {
    format!(
        "im.s.{}.{}",
        store_token(epoi_id),
        conversation_token(biz_type, peer_id)
    )
}

/// What a stream subject carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SubjectKind {
    Message,
    Reply,
    State,
    Other,
}

pub(crate) fn subject_kind(subject: &str) -> SubjectKind {
    let tokens: Vec<&str> = subject.split('.').collect();
    match tokens.as_slice() {
        ["im", "m", _, _, "in"] => SubjectKind::Message,
        ["im", "m", _, _, "out"] => SubjectKind::Reply,
        ["im", "s", _, _] => SubjectKind::State,
        _ => SubjectKind::Other,
    }
}

/// The `Nats-Msg-Id` of an archived message.
pub fn message_id_header(epoi_id: &str, biz_type: i32, msg_id: i64) -> String {
    format!("in:{}:{biz_type}:{msg_id}", store_token(epoi_id))
}

/// The `Nats-Msg-Id` of a reply.
pub fn reply_id_header(msg_id: i64) -> String {
    format!("out:{msg_id}")
}

/// The reason text of a held reply names what it had not seen with one of these words.
pub(crate) const UNSEEN_COLLEAGUE: &str = "colleague_replied";
pub(crate) const UNSEEN_CUSTOMER: &str = "customer_wrote";

/// What a held reply's recorded reason says it had not seen.
pub(crate) fn unseen_of(reason: &str) -> Unseen {
    if reason.starts_with(UNSEEN_COLLEAGUE) {
        Unseen::ColleagueReplied
    } else {
        Unseen::CustomerWrote
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_safe_subject_tokens() {
        assert_eq!(store_token("mt1001"), "mt1001");
        assert_eq!(store_token("a.b*c>d e"), "a~2Eb~2Ac~3Ed~20e");
        assert_eq!(store_token(""), "~");
        assert_eq!(store_token("店"), "~E5~BA~97");
        let s = message_subject("a.b", 1, 42);
        assert_eq!(s, "im.m.a~2Eb.1-42.in");
        assert_eq!(subject_kind(&s), SubjectKind::Message);
        assert_eq!(subject_kind(&reply_subject("x", 4, 9)), SubjectKind::Reply);
        assert_eq!(subject_kind(&state_subject("x", 4, 9)), SubjectKind::State);
        assert_eq!(subject_kind("im.m.x"), SubjectKind::Other);
        assert_eq!(conversation_filter("x", 1, -3), "im.m.x.1--3.*");
    }

    #[test]
    fn logins_come_out_of_the_url_and_never_into_the_address() {
        let (servers, login) =
            split_login("nats://agent1:p%40ss@10.0.0.1:4222, tls://10.0.0.2:4222").unwrap();
        assert_eq!(servers.len(), 2);
        assert_eq!(login, Some(("agent1".into(), "p@ss".into())));
        assert!(!format!("{servers:?}").contains("p@ss"));
        let (_, none) = split_login("nats://127.0.0.1:4222").unwrap();
        assert_eq!(none, None);
        assert!(split_login(" , ").is_err());
        assert!(split_login("not a url").is_err());
    }

    #[test]
    fn unseen_is_read_back_from_the_reason() {
        assert_eq!(unseen_of(UNSEEN_COLLEAGUE), Unseen::ColleagueReplied);
        assert_eq!(unseen_of("customer_wrote: 2"), Unseen::CustomerWrote);
    }

    /// Two relays start together. Relay B looks for the team's buckets and finds none; relay A
    /// then creates them and turns their rollups off; only then does B's create reach the
    /// server, which refuses it (its configuration still allows rollups). B must take A's
    /// buckets rather than stop: a relay that failed here exited at start, and a brand
    /// meant to run on two relays ran on one (the team_relays failover test lost every
    /// message after relay A's SIGKILL).
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_relay_whose_create_lost_the_race_takes_the_bucket_the_other_made() {
        let nats = nats_harness::NatsServer::start().unwrap();
        let js = jetstream::new(
            connect(&TeamConfig::new(nats.url(), "test"), "test")
                .await
                .unwrap(),
        );
        // Relay A, all the way through.
        roster::ensure_buckets(&js).await.unwrap();
        // Relay B, after a look that found nothing.
        for bucket in roster::TEAM_BUCKETS {
            let kv = create_bucket(&js, bucket_config(bucket))
                .await
                .unwrap_or_else(|e| panic!("{bucket}: {e}"));
            kv.put("k", "v".into()).await.unwrap();
            // Still A's bucket as A left it: no rollups.
            let mut stream = js.get_stream(format!("KV_{bucket}")).await.unwrap();
            assert!(
                !stream.info().await.unwrap().config.allow_rollup,
                "{bucket}"
            );
        }
        // A create that fails for another reason, with no bucket behind it, still fails.
        let bad = jetstream::kv::Config {
            bucket: "NO SUCH BUCKET".to_owned(),
            ..Default::default()
        };
        assert!(create_bucket(&js, bad).await.is_err());
    }
}
