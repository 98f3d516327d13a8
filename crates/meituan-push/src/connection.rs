//! One redundant push connection: a task that leases a fresh token, opens the socket, sends
//! keep-alives, treats silence as death, decodes frames and reconnects with backoff, until
//! the client shuts down or the event receiver is dropped.

use std::sync::{Arc, Mutex, PoisonError};

use backon::BackoffBuilder;
use futures_util::{SinkExt, StreamExt};
use meituan_wire::MsgCipher;
use tokio::sync::mpsc;
use tokio::time::{Instant, MissedTickBehavior};
use tokio_tungstenite::tungstenite::error::{CapacityError, Error as WsError, ProtocolError};
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::Connector;
use tokio_util::sync::CancellationToken;

use crate::config::PushConfig;
use crate::dedupe::RecentKeys;
use crate::endpoint;
use crate::event::{PushEvent, PushedMessage, QuarantinedFrame};
use crate::frame::{read_frame, FrameRules, SealedFrame};
use crate::health::{ConnectionState, Disconnect, HealthBoard};
use crate::keepalive::{is_server_keepalive, CLIENT_KEEPALIVE};
use crate::quarantine::{Quarantine, QuarantineReason};
use crate::token::{CipherSlot, TokenBroker, TokenSource};

/// Socket-level message limit, as a multiple of `max_frame_bytes`: frames between the two are
/// still read and quarantined as oversized; only larger ones break the connection.
const SOCKET_LIMIT_FACTOR: usize = 16;
/// Smallest socket-level message limit.
const SOCKET_LIMIT_FLOOR: usize = 1 << 20;
/// Socket read chunk. tungstenite zero-fills this much of its buffer before every read
/// (snapview/tungstenite-rs#547); at its 128 KiB default that memset was a tenth of the
/// pipeline's CPU for pushes of under 1 KiB. Larger frames still arrive, over several reads.
const READ_BUFFER_BYTES: usize = 8 * 1024;

/// State shared by all connections of one client.
pub(crate) struct Shared<S> {
    pub config: PushConfig,
    /// The scope units; each connection belongs to one.
    pub units: Vec<Unit<S>>,
    pub health: HealthBoard,
    pub events: mpsc::Sender<PushEvent>,
    pub connector: Connector,
    pub cancel: CancellationToken,
}

/// State shared by the connections of one scope unit (one credential set).
pub(crate) struct Unit<S> {
    pub rules: FrameRules,
    pub broker: TokenBroker<S>,
    pub cipher: Arc<CipherSlot>,
    pub dedupe: Mutex<RecentKeys>,
}

/// How a session ended.
enum SessionEnd {
    /// The socket is gone; `proven` if it carried at least one frame (the token worked).
    Lost { cause: Disconnect, proven: bool },
    /// Nobody listens to events any more: stop for good.
    ReceiverGone,
}

/// The event receiver was dropped.
struct ReceiverGone;

/// What one frame changes in its connection's health counters. The session applies it with
/// its one monotonic reading for the frame, taken once the frame is handled (so a pushed
/// message is counted after it was handed on), which also feeds the silence check.
#[derive(Debug, Clone, Copy)]
enum Seen {
    /// A control frame (ping, pong): only the last-frame time moves.
    Activity,
    /// A push read for the first time.
    Frame,
    /// A copy another connection delivered first.
    Duplicate,
    /// The server's keep-alive answer.
    KeepAlive,
    /// Counted, with its time, as it was emitted (a frame kept in quarantine).
    Counted,
}

impl Seen {
    fn count(self, h: &mut crate::health::ConnectionHealth) {
        match self {
            Self::Activity | Self::Counted => {}
            Self::Frame => h.frames += 1,
            Self::Duplicate => {
                h.frames += 1;
                h.duplicates += 1;
            }
            Self::KeepAlive => h.keepalives += 1,
        }
    }
}

/// A reading of both clocks, taken when the session opens and again at every keep-alive: a
/// frame's wall time (the health board's last-frame stamp) is derived from its monotonic
/// reading, so that a frame's bookkeeping reads the clock once, and a step of the wall clock
/// shows in the stamps by the next keep-alive. (A pushed message's `received_at` is still
/// read from the configured clock.)
#[derive(Debug, Clone, Copy)]
struct Anchor {
    at: Instant,
    wall_ms: i64,
}

impl Anchor {
    fn now(clock: &dyn meituan_wire::Clock) -> Self {
        Self {
            at: Instant::now(),
            wall_ms: clock.now().get(),
        }
    }

    fn wall_ms(&self, now: Instant) -> i64 {
        let since = now.saturating_duration_since(self.at).as_millis();
        self.wall_ms
            .saturating_add(i64::try_from(since).unwrap_or(i64::MAX))
    }
}

/// Sorts socket errors: the peer going away (close frame, FIN, reset) versus anything else.
fn disconnect_cause(error: &WsError) -> Disconnect {
    use std::io::ErrorKind;
    match error {
        WsError::ConnectionClosed
        | WsError::AlreadyClosed
        | WsError::Protocol(ProtocolError::ResetWithoutClosingHandshake) => Disconnect::Closed,
        WsError::Io(io)
            if matches!(
                io.kind(),
                ErrorKind::ConnectionReset
                    | ErrorKind::ConnectionAborted
                    | ErrorKind::BrokenPipe
                    | ErrorKind::UnexpectedEof
            ) =>
        {
            Disconnect::Closed
        }
        _ => Disconnect::SocketError,
    }
}

/// One connection task.
pub(crate) struct PushConnection<S> {
    index: usize,
    unit: usize,
    shared: Arc<Shared<S>>,
}

impl<S: TokenSource> PushConnection<S> {
    /// Connection `index` (across the client) of scope unit `unit`.
    pub(crate) fn new(index: usize, unit: usize, shared: Arc<Shared<S>>) -> Self {
        Self {
            index,
            unit,
            shared,
        }
    }

    fn unit(&self) -> &Unit<S> {
        // The client builds every connection from an index into `units`.
        &self.shared.units[self.unit]
    }

    /// Runs sessions until cancelled, backing off between them.
    pub(crate) async fn run(self) {
        let cancel = self.shared.cancel.clone();
        let backoff_config = self.shared.config.backoff;
        let mut backoff = backoff_config.builder().build();
        let mut attempt: u32 = 0;
        let mut first = true;
        loop {
            self.shared.health.update(self.index, |h| {
                h.state = ConnectionState::Connecting;
                if !first {
                    h.reconnects += 1;
                }
            });
            first = false;
            let end = tokio::select! {
                () = cancel.cancelled() => break,
                end = self.session() => end,
            };
            match end {
                SessionEnd::ReceiverGone => break,
                SessionEnd::Lost { cause, proven } => {
                    tracing::info!(connection = self.index, %cause, "push connection lost");
                    if proven {
                        backoff = backoff_config.builder().build();
                        attempt = 0;
                    }
                    self.shared
                        .health
                        .update(self.index, |h| h.last_disconnect = Some(cause));
                }
            }
            attempt = attempt.saturating_add(1);
            let delay = backoff.next().unwrap_or(backoff_config.max);
            let until_ms = self
                .now_ms()
                .saturating_add(delay.as_millis().try_into().unwrap_or(0));
            self.shared.health.update(self.index, |h| {
                h.state = ConnectionState::Backoff { attempt, until_ms };
            });
            tokio::select! {
                () = cancel.cancelled() => break,
                () = tokio::time::sleep(delay) => {}
            }
        }
        self.shared
            .health
            .update(self.index, |h| h.state = ConnectionState::Stopped);
    }

    /// One socket's life: lease a fresh token, connect, then read, keep alive and watch for
    /// silence until something ends it.
    async fn session(&self) -> SessionEnd {
        let shared = &self.shared;
        let lease = match self.unit().broker.lease().await {
            Ok(lease) => lease,
            Err(error) => {
                tracing::warn!(connection = self.index, %error, "no push token");
                return SessionEnd::Lost {
                    cause: Disconnect::TokenUnavailable,
                    proven: false,
                };
            }
        };
        self.shared.health.update(self.index, |h| {
            h.user_send_fail_count = lease.user_send_fail_count;
        });
        let Ok(url) = endpoint::connection_url(&shared.config.push_url, &lease.slot) else {
            return SessionEnd::Lost {
                cause: Disconnect::BadUrl,
                proven: false,
            };
        };
        let socket_limit = shared
            .config
            .max_frame_bytes
            .saturating_mul(SOCKET_LIMIT_FACTOR)
            .max(SOCKET_LIMIT_FLOOR);
        let ws_config = WebSocketConfig::default()
            .read_buffer_size(READ_BUFFER_BYTES)
            .max_message_size(Some(socket_limit))
            .max_frame_size(Some(socket_limit));
        let connect = tokio_tungstenite::connect_async_tls_with_config(
            url.as_str(),
            Some(ws_config),
            true,
            Some(shared.connector.clone()),
        );
        let socket = match tokio::time::timeout(shared.config.connect_timeout, connect).await {
            Err(_) => {
                return SessionEnd::Lost {
                    cause: Disconnect::ConnectTimeout,
                    proven: false,
                }
            }
            Ok(Err(error)) => {
                let status = match &error {
                    WsError::Http(response) => Some(response.status().as_u16()),
                    _ => None,
                };
                if let Some(status) = status {
                    // The platform answered and refused this token: its source may have
                    // another way to get one (see `TokenSource::refused`).
                    tracing::info!(connection = self.index, status, "push socket refused");
                    self.unit().broker.refused(&lease.slot, status).await;
                }
                return SessionEnd::Lost {
                    cause: Disconnect::ConnectFailed { status },
                    proven: false,
                };
            }
            Ok(Ok((socket, _response))) => socket,
        };
        self.shared
            .health
            .update(self.index, |h| h.state = ConnectionState::Open);
        tracing::debug!(connection = self.index, "push connection open");

        let (mut sink, mut stream) = socket.split();
        let dead_after = shared.config.dead_after;
        let mut anchor = Anchor::now(shared.config.clock.as_ref());
        // When the last frame was handled. The silence timer is not moved at every frame: when
        // it fires it is moved to the last frame's deadline, or ends the session if that passed.
        // (`dead_after` is at most a day, so these deadlines cannot overflow.)
        let mut last_frame = anchor.at;
        let silence = tokio::time::sleep_until(last_frame + dead_after);
        tokio::pin!(silence);
        let mut keepalive = tokio::time::interval(shared.config.keepalive);
        keepalive.set_missed_tick_behavior(MissedTickBehavior::Delay);
        let mut proven = false;
        loop {
            tokio::select! {
                biased;
                message = stream.next() => {
                    let seen = match self.on_message(message, &lease.cipher, &mut proven).await {
                        Ok(seen) => seen,
                        Err(end) => return end,
                    };
                    // Read once the frame is handled, so a slow event consumer (backpressure)
                    // is not mistaken for a silent server.
                    last_frame = Instant::now();
                    self.mark_activity(&anchor, last_frame, seen);
                }
                _ = keepalive.tick() => {
                    anchor = Anchor::now(shared.config.clock.as_ref());
                    if let Err(error) = sink.send(Message::text(CLIENT_KEEPALIVE)).await {
                        return SessionEnd::Lost { cause: disconnect_cause(&error), proven };
                    }
                }
                () = &mut silence => {
                    let deadline = last_frame + dead_after;
                    if deadline <= Instant::now() {
                        return SessionEnd::Lost { cause: Disconnect::Silent, proven };
                    }
                    silence.as_mut().reset(deadline);
                }
            }
        }
    }

    /// Handles what the socket yielded and says what to count; `Err` ends the session.
    async fn on_message(
        &self,
        message: Option<Result<Message, WsError>>,
        lease_cipher: &Arc<dyn MsgCipher>,
        proven: &mut bool,
    ) -> Result<Seen, SessionEnd> {
        let lost = |cause, proven: &mut bool| SessionEnd::Lost {
            cause,
            proven: *proven,
        };
        let message = match message {
            None => return Err(lost(Disconnect::Closed, proven)),
            Some(Err(WsError::Capacity(CapacityError::MessageTooLong { size, max_size }))) => {
                // Too big even to read: quarantined by length alone, and the socket is gone.
                let reason = QuarantineReason::Oversized {
                    len: size,
                    limit: max_size,
                };
                // No key (nothing was read), so no copy to look for: emitted as it is.
                if self
                    .emit_quarantine(Quarantine::new(reason, ""), size)
                    .await
                    .is_err()
                {
                    return Err(SessionEnd::ReceiverGone);
                }
                return Err(lost(Disconnect::SocketError, proven));
            }
            Some(Err(error)) => return Err(lost(disconnect_cause(&error), proven)),
            Some(Ok(message)) => message,
        };
        *proven = true;
        let delivered = match message {
            Message::Text(text) => self.deliver(text.as_str(), lease_cipher).await,
            Message::Binary(bytes) => match std::str::from_utf8(&bytes) {
                Ok(text) => self.deliver(text, lease_cipher).await,
                Err(_) => {
                    let raw = String::from_utf8_lossy(&bytes);
                    let q = Quarantine::new(QuarantineReason::BadUtf8, &raw);
                    self.quarantine(q, bytes.len()).await
                }
            },
            Message::Close(_) => return Err(lost(Disconnect::Closed, proven)),
            Message::Ping(_) | Message::Pong(_) | Message::Frame(_) => Ok(Seen::Activity),
        };
        delivered.map_err(|ReceiverGone| SessionEnd::ReceiverGone)
    }

    /// Reads one text frame and, unless another connection delivered it first, decrypts and
    /// emits it. A byte-identical copy is dropped on arrival, before it is read; a copy with
    /// other bytes (re-encrypted), once its key is known. Each message is decrypted once.
    async fn deliver(
        &self,
        raw: &str,
        lease_cipher: &Arc<dyn MsgCipher>,
    ) -> Result<Seen, ReceiverGone> {
        let shared = &self.shared;
        let unit = self.unit();
        let claimable = raw.len() <= unit.rules.max_frame_bytes && !is_server_keepalive(raw);
        let claimed = if claimable {
            let Some(claimed) = self.dedupe().claim_frame(raw) else {
                return Ok(Seen::Duplicate);
            };
            Some(claimed)
        } else {
            None
        };
        let sealed = match read_frame(raw, &unit.rules) {
            Ok(SealedFrame::KeepAlive) => return Ok(Seen::KeepAlive),
            Ok(SealedFrame::Push(sealed)) => *sealed,
            Err(q) => return self.quarantine(q, raw.len()).await,
        };
        if !self.first_sighting(sealed.key()) {
            return Ok(Seen::Duplicate);
        }
        // The newest imSecret first (it may have changed since this connection's token);
        // a frame the platform sent before the change still opens with the lease's key.
        let newest = unit
            .cipher
            .current()
            .unwrap_or_else(|| lease_cipher.clone());
        let opened = if Arc::ptr_eq(&newest, lease_cipher) {
            sealed.open(newest.as_ref(), raw)
        } else {
            sealed.open_with(&[newest.as_ref(), lease_cipher.as_ref()], raw)
        };
        let push = match opened {
            Ok(push) => push,
            // Its key is already taken by this sighting: emitted as the first, not re-checked.
            Err(q) => return self.emit_quarantine(q, raw.len()).await,
        };
        let message = PushedMessage {
            store: push.store,
            app_id: push.app_id,
            biz_type: push.biz_type,
            content: push.content,
            text: push.text,
            received_at: shared.config.clock.now(),
            connection: self.index,
            raw_frame: claimed.unwrap_or_else(|| Arc::from(raw)),
        };
        shared
            .events
            .send(PushEvent::Message(message))
            .await
            .map_err(|_| ReceiverGone)?;
        Ok(Seen::Frame)
    }

    /// Counts and emits a quarantined frame (once across connections when it has a key).
    async fn quarantine(&self, q: Quarantine, raw_len: usize) -> Result<Seen, ReceiverGone> {
        let first = q
            .key
            .as_ref()
            .is_none_or(|key| self.first_sighting(key.clone()));
        if !first {
            return Ok(Seen::Duplicate);
        }
        self.emit_quarantine(q, raw_len).await
    }

    /// Counts and emits a quarantined frame seen first on this connection.
    async fn emit_quarantine(&self, q: Quarantine, raw_len: usize) -> Result<Seen, ReceiverGone> {
        // Rare and shown in the status bar: watchers are woken at once.
        let now = self.now_ms();
        self.shared.health.update(self.index, |h| {
            h.last_frame_at_ms = Some(now);
            h.frames += 1;
            h.quarantined += 1;
        });
        tracing::warn!(
            connection = self.index,
            reason = q.reason.code(),
            raw_len,
            "push frame quarantined"
        );
        let frame = QuarantinedFrame {
            reason: q.reason,
            raw: q.raw,
            raw_len: q.raw_len.max(raw_len),
            key: q.key,
            connection: self.index,
            at: self.shared.config.clock.now(),
        };
        self.shared
            .events
            .send(PushEvent::Quarantined(frame))
            .await
            .map_err(|_| ReceiverGone)?;
        Ok(Seen::Counted)
    }

    fn first_sighting(&self, key: crate::quarantine::DedupeKey) -> bool {
        self.dedupe().first_sighting(key)
    }

    fn dedupe(&self) -> std::sync::MutexGuard<'_, RecentKeys> {
        self.unit()
            .dedupe
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    /// Stamps the last-frame time and counts the frame in this connection's health (watchers
    /// are woken at most every few tens of milliseconds for these); a frame counted as it
    /// was emitted (`Seen::Counted`) is left as it is.
    fn mark_activity(&self, anchor: &Anchor, now: Instant, seen: Seen) {
        if let Seen::Counted = seen {
            return;
        }
        let wall_ms = anchor.wall_ms(now);
        self.shared.health.count(self.index, now, |h| {
            h.last_frame_at_ms = Some(wall_ms);
            seen.count(h);
        });
    }

    fn now_ms(&self) -> i64 {
        self.shared.config.clock.now().get()
    }
}
