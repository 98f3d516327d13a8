//! The push side of the platform: which connections are open, what each must receive, and
//! what waits while none is open.
//!
//! Every customer message goes to every open connection that carries its store: every
//! connection of the developer when connections are developer-scoped \[INF\], only the store's
//! own when they are store-scoped ([`crate::PushScope`]). With none open for it, a push waits
//! in order (up to the configured capacity) and goes to the next such connection that opens. Faults can delay, duplicate or reorder
//! a push; frames are encrypted when written, so a rotated imSecret applies to what is still
//! waiting.

pub mod frame;
pub(crate) mod ws;

use axum::extract::ws::Utf8Bytes;
use serde_json::{Map, Value};
use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::mpsc;

use crate::faults::PushFaults;
use crate::model::DropMode;

/// One customer message to push, with its content still in plain text.
#[derive(Debug, Clone)]
pub(crate) struct PushItem {
    pub epoi_id: String,
    pub biz_type: i32,
    pub plain: String,
    /// `push_content` without `msg_content`.
    pub fields: Map<String, Value>,
    pub open_user_id: i64,
    /// The wire text, made once per imSecret and shared by every connection that sends it.
    pub frame: Arc<Mutex<Option<FrameCache>>>,
}

/// A push's wire text and the imSecret it was encrypted with. The text is a shared buffer:
/// each socket's frame references it instead of copying it.
type FrameCache = (String, Utf8Bytes);

impl PushItem {
    /// The frame for `im_secret` (encrypted and percent-encoded once, not once per socket).
    pub(crate) fn frame_text(&self, app_id: i64, im_secret: &str) -> Utf8Bytes {
        let mut cached = self
            .frame
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some((secret, text)) = cached.as_ref() {
            if secret == im_secret {
                return text.clone();
            }
        }
        let text = Utf8Bytes::from(frame::frame_text(app_id, im_secret, self));
        *cached = Some((im_secret.to_owned(), text.clone()));
        text
    }
}

/// What a connection task is told.
#[derive(Debug)]
pub(crate) enum Outgoing {
    Push(Arc<PushItem>),
    /// A text frame sent exactly as given (malformed-frame tests); not queued when no
    /// connection is open.
    Raw(Utf8Bytes),
    Drop(DropMode),
}

/// An open connection: where its frames go, and whose pushes it carries.
#[derive(Debug)]
struct Conn {
    tx: mpsc::UnboundedSender<Outgoing>,
    /// The store (ePoiId) of a store-scoped connection; `None` carries every store's.
    store: Option<String>,
}

impl Conn {
    fn carries(&self, epoi_id: &str) -> bool {
        self.store.as_deref().is_none_or(|s| s == epoi_id)
    }
}

#[derive(Debug, Default)]
struct HubState {
    conns: HashMap<u64, Conn>,
    next_conn: u64,
    pending: VecDeque<Arc<PushItem>>,
    held: Option<Arc<PushItem>>,
    overflowed: u64,
    /// Pushes held back by [`Hub::hold`], in order, until [`Hub::release`].
    gate: Option<VecDeque<Arc<PushItem>>>,
}

/// Open connections and waiting pushes.
#[derive(Debug)]
pub(crate) struct Hub {
    state: Mutex<HubState>,
    capacity: usize,
    runtime: tokio::runtime::Handle,
    /// Push frames handed to open connections' writers (every copy).
    queued: std::sync::atomic::AtomicU64,
}

/// How long a push held back by the reorder fault waits for a successor.
const REORDER_WINDOW: Duration = Duration::from_millis(100);

impl Hub {
    pub fn new(capacity: usize, runtime: tokio::runtime::Handle) -> Self {
        Self {
            state: Mutex::new(HubState::default()),
            queued: std::sync::atomic::AtomicU64::new(0),
            capacity,
            runtime,
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HubState> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Publishes `item` with the faults rolled for it.
    pub fn publish(self: &Arc<Self>, item: PushItem, faults: PushFaults) {
        let item = Arc::new(item);
        if let Some(delay) = faults.delay {
            let hub = Arc::clone(self);
            self.runtime.spawn(async move {
                tokio::time::sleep(delay).await;
                hub.route(item, faults);
            });
        } else {
            self.route(item, faults);
        }
    }

    fn route(self: &Arc<Self>, item: Arc<PushItem>, faults: PushFaults) {
        let mut st = self.lock();
        let copies = if faults.duplicate { 2 } else { 1 };
        if faults.reorder && st.held.is_none() {
            st.held = Some(item);
            let hub = Arc::clone(self);
            self.runtime.spawn(async move {
                tokio::time::sleep(REORDER_WINDOW).await;
                let mut st = hub.lock();
                if let Some(held) = st.held.take() {
                    hub.deliver(&mut st, held);
                }
            });
            return;
        }
        for _ in 0..copies {
            self.deliver(&mut st, Arc::clone(&item));
        }
        if let Some(held) = st.held.take() {
            self.deliver(&mut st, held);
        }
    }

    fn deliver(&self, st: &mut HubState, item: Arc<PushItem>) {
        if let Some(gate) = st.gate.as_mut() {
            gate.push_back(item);
            return;
        }
        let mut sent = 0u64;
        st.conns.retain(|_, c| {
            if !c.carries(&item.epoi_id) {
                return true;
            }
            let open = c.tx.send(Outgoing::Push(Arc::clone(&item))).is_ok();
            sent += u64::from(open);
            open
        });
        self.queued
            .fetch_add(sent, std::sync::atomic::Ordering::Relaxed);
        if sent == 0 {
            if st.pending.len() >= self.capacity {
                st.pending.pop_front();
                st.overflowed += 1;
            }
            st.pending.push_back(item);
        }
    }

    /// Holds every push back from now on, as a platform backlog (until [`Hub::release`]).
    /// Held pushes are neither "waiting for a connection" ([`Hub::pending`]) nor undelivered
    /// (`userCount`): nothing has failed to reach anyone yet.
    pub fn hold(&self) {
        self.lock().gate.get_or_insert_with(VecDeque::new);
    }

    /// True while pushes are held back.
    pub fn holding(&self) -> bool {
        self.lock().gate.is_some()
    }

    /// Sends what was held back, in order, to every open connection (or queues it for the
    /// next one, as any push), and stops holding. Returns how many pushes were held.
    pub fn release(&self) -> usize {
        let mut st = self.lock();
        let held = st.gate.take().unwrap_or_default();
        let n = held.len();
        for item in held {
            self.deliver(&mut st, item);
        }
        n
    }

    /// Registers a new connection carrying `store`'s pushes (`None`: every store's); what
    /// waited for it is queued to it first.
    pub fn register(&self, store: Option<String>) -> (u64, mpsc::UnboundedReceiver<Outgoing>) {
        let (tx, rx) = mpsc::unbounded_channel();
        let conn = Conn { tx, store };
        let mut st = self.lock();
        let waiting = std::mem::take(&mut st.pending);
        for item in waiting {
            if conn.carries(&item.epoi_id) {
                let _ = conn.tx.send(Outgoing::Push(item));
            } else {
                st.pending.push_back(item);
            }
        }
        st.next_conn += 1;
        let id = st.next_conn;
        st.conns.insert(id, conn);
        (id, rx)
    }

    /// Removes a connection. Pushes it had not written wait again (in order) when no connection
    /// for their store is open, or go to the open ones; one of those may then see a push
    /// twice, as a client of the real platform must expect, but none is lost. While pushes
    /// are held, they rejoin the held ones, ahead of them (they were published first).
    pub fn unregister(&self, id: u64, unsent: Vec<Arc<PushItem>>) {
        let mut guard = self.lock();
        let st = &mut *guard;
        st.conns.remove(&id);
        if let Some(gate) = st.gate.as_mut() {
            for item in unsent.into_iter().rev() {
                gate.push_front(item);
            }
            return;
        }
        let (carried, orphaned): (Vec<_>, Vec<_>) = unsent
            .into_iter()
            .partition(|item| st.conns.values().any(|c| c.carries(&item.epoi_id)));
        for item in orphaned.into_iter().rev() {
            st.pending.push_front(item);
        }
        for item in carried {
            self.deliver(st, item);
        }
    }

    /// Sends `text` as it is to every open connection that carries `store`'s pushes (every
    /// open connection for `None`), held pushes or not; returns how many.
    pub fn publish_raw(&self, store: Option<&str>, text: &str) -> usize {
        let text = Utf8Bytes::from(text);
        let mut st = self.lock();
        let mut sent = 0;
        st.conns.retain(|_, c| {
            if store.is_some_and(|s| !c.carries(s)) {
                return true;
            }
            let open = c.tx.send(Outgoing::Raw(text.clone())).is_ok();
            sent += usize::from(open);
            open
        });
        sent
    }

    /// Open connections that carry `epoi_id`'s pushes.
    pub fn open_for(&self, epoi_id: &str) -> usize {
        self.lock()
            .conns
            .values()
            .filter(|c| c.carries(epoi_id))
            .count()
    }

    /// Number of open connections.
    /// Push frames handed to open connections' writers so far (every copy).
    pub fn queued_frames(&self) -> u64 {
        self.queued.load(std::sync::atomic::Ordering::Relaxed)
    }

    pub fn open(&self) -> usize {
        self.lock().conns.len()
    }

    /// Pushes waiting for a connection.
    pub fn pending(&self) -> usize {
        self.lock().pending.len()
    }

    /// Customers with undelivered messages (`userCount`), of `store` only when given, plus
    /// pushes lost to overflow.
    pub fn undelivered_users(&self, store: Option<&str>) -> u64 {
        let st = self.lock();
        let users: std::collections::HashSet<i64> = st
            .pending
            .iter()
            .filter(|p| store.is_none_or(|s| s == p.epoi_id))
            .map(|p| p.open_user_id)
            .collect();
        users.len() as u64 + st.overflowed
    }

    /// Tells every open connection to end as `mode` says; returns how many were told.
    pub fn drop_all(&self, mode: DropMode) -> usize {
        self.drop_oldest(usize::MAX, mode)
    }

    /// Tells the `count` longest-open connections (or every one, when fewer are open) to end
    /// as `mode` says; returns how many were told. The others go on receiving every push.
    pub fn drop_oldest(&self, count: usize, mode: DropMode) -> usize {
        let mut st = self.lock();
        // Connection ids grow with each upgrade, so the smallest are the oldest.
        let mut ids: Vec<u64> = st.conns.keys().copied().collect();
        ids.sort_unstable();
        ids.truncate(count);
        let conns: Vec<_> = ids
            .into_iter()
            .filter_map(|id| st.conns.remove(&id).map(|c| (id, c.tx)))
            .collect();
        let n = conns.len();
        drop(st);
        for (id, tx) in conns {
            // A connection that already ended has nothing to drop.
            let _ = tx.send(Outgoing::Drop(mode));
            tracing::debug!(conn = id, ?mode, "dropping long connection");
        }
        n
    }
}
