//! Ingest: the push stream into the cache. Events are taken in adaptive batches (whatever
//! queued since the previous batch was queued), queued on the store's writer while the
//! previous batch commits, and announced in order only once committed: alert inputs (one
//! command per batch), the commit observer, UI notices. Frames the push client could not
//! read, and messages that name no conversation, land in the quarantine table.

use std::time::Duration;

use imdesk_store::{ConversationKey, IngestOutcome, NewMessage, QueuedIngest, SearchBody, Store};
use meituan_push::{PushEvent, PushedMessage, QuarantinedFrame};
use meituan_wire::{MsgSource, TimeMs};
use tokio::sync::{mpsc, oneshot};

use crate::alerts::{AlertInput, IncomingMessage, ReplyDeadline};
use crate::alerts_driver::{deadline_of, AlertsHandle};
use crate::convert::{conversation_id_of, customer_label};
use crate::events::Notices;
use crate::options::CommitObserver;
use crate::view::ConversationId;

/// What the ingest task uses.
#[derive(Clone)]
pub(crate) struct Ingest {
    pub store: Store,
    pub alerts: AlertsHandle,
    pub notices: Notices,
    pub observer: Option<CommitObserver>,
    /// Largest batch.
    pub batch: usize,
    /// A team desk's mirror: where its committed position is told, and how it is asked to
    /// apply again from there after a batch failed to commit.
    pub mirror: Option<MirrorHooks>,
}

/// The ingest's side of a team desk's mirror.
#[derive(Debug, Clone)]
pub(crate) struct MirrorHooks {
    /// The stream sequence committed so far (records before it all applied).
    pub applied: std::sync::Arc<tokio::sync::watch::Sender<u64>>,
    /// Fired when a batch of stream records did not commit (a full disk): the mirror follows
    /// the stream again from the committed position.
    pub rewind: std::sync::Arc<tokio::sync::Notify>,
    /// Batches of the mirror that did not commit, so far.
    pub failures: std::sync::Arc<std::sync::atomic::AtomicU64>,
}

/// Asks the ingest task to answer once everything it has received so far is committed and
/// announced.
pub(crate) type SettleRequest = oneshot::Sender<()>;

/// Converts a pushed message into the store's input row.
pub fn new_message(m: &PushedMessage) -> NewMessage {
    let c = &m.content;
    NewMessage {
        store: m.store.as_str().to_owned(),
        biz_type: m.biz_type.code(),
        msg_id: c.msg_id.0,
        msg_source: c.msg_source.code(),
        msg_type: c.msg_type.0,
        text: Some(m.text.clone()),
        msg_content: String::new(),
        decrypt_failed: false,
        cts_ms: c.cts_ms().0,
        // A pre-order chat's push names order 0 (the inference lives in meituan-api).
        order_id: meituan_api::im::chat_order(c.order_id).map(|o| o.0),
        open_user_id: c.open_user_id.map(|u| u.0),
        group_id: c.group_id.map(|g| g.0),
        comment_id: c.comment_id.map(|x| x.0),
        rider_id: c.rider_id.map(|r| r.0),
        scene_tag: c.scene_tag.map_or(-1, |s| s.0),
        scene_name: c.scene_name.clone().unwrap_or_default(),
        has_reply: c.has_reply.map_or(0, |h| h.code()),
        group_name: c.group_name.clone(),
        received_at_ms: m.received_at.0,
        // Made here, on the engine thread, rather than by the store's writer.
        search_body: Some(SearchBody::of(&m.text)),
    }
}

/// Batches queued on the store's writer and not yet announced. Two: one committing and the
/// next waiting, so the writer never idles between batches; more would only lengthen the
/// queue (the writer merges whatever is queued into one transaction).
const IN_FLIGHT: usize = 2;

/// A batch on the writer's queue, waiting for its commit before anything is announced. Its
/// rows went to the writer; what is announced is read from the pushed messages.
struct Queued {
    pushed: Vec<PushedMessage>,
    commit: Option<QueuedIngest>,
    /// The stream sequences the batch covers (a team desk's mirror).
    covers: Option<(u64, u64)>,
    /// Barriers to answer once the batch is announced.
    barriers: Vec<Barrier>,
}

/// What the announcer is handed, in order.
enum Step {
    Batch(Queued),
    Settled(SettleRequest),
}

/// What the ingest takes from a link: an event; for a team desk's mirror, the stream
/// sequence applied with it (committed in the same transaction as the batch it ends), or a
/// barrier answered once everything before it is committed, with how many mirror batches
/// had failed by then.
pub(crate) trait Arrival: Send + 'static {
    fn split(self) -> (Option<PushEvent>, Option<u64>, Option<Barrier>);
}

/// See [`Arrival`].
pub(crate) type Barrier = oneshot::Sender<u64>;

impl Arrival for PushEvent {
    fn split(self) -> (Option<PushEvent>, Option<u64>, Option<Barrier>) {
        (Some(self), None, None)
    }
}

impl Arrival for crate::team::mirror::Mirrored {
    fn split(self) -> (Option<PushEvent>, Option<u64>, Option<Barrier>) {
        (self.event, self.seq, self.barrier)
    }
}

pub(crate) async fn run<A: Arrival>(
    ingest: Ingest,
    mut rx: mpsc::Receiver<A>,
    mut settle: mpsc::UnboundedReceiver<SettleRequest>,
) {
    let inner = &ingest;
    let max = inner.batch.max(1);
    // Batches are queued here in arrival order and announced, in that order, by a second
    // task once each is committed: the next batch is gathered and queued while the previous
    // one commits (pipelined commits), and nothing about a message leaves before its commit.
    let (queued_tx, queued_rx) = mpsc::channel::<Step>(IN_FLIGHT);
    let announcer = tokio::spawn(announce_committed(ingest.clone(), queued_rx));
    // One buffer for every batch: growing a fresh vector to a thousand events for each batch
    // showed in profiles as page faults (the allocator handing out new pages).
    let mut batch = Vec::with_capacity(max.min(1024));
    loop {
        let first = tokio::select! {
            biased;
            ev = rx.recv() => ev,
            // Biased: a settle request is taken only when no event is waiting, so everything
            // received before it is already queued ahead of it.
            Some(done) = settle.recv() => {
                let _ = queued_tx.send(Step::Settled(done)).await;
                continue;
            }
        };
        let Some(first) = first else { break };
        batch.push(first);
        while batch.len() < max {
            match rx.try_recv() {
                Ok(ev) => batch.push(ev),
                Err(_) => break,
            }
        }
        let Some(queued) = queue_batch(inner, &mut batch).await else {
            continue;
        };
        if queued_tx.send(Step::Batch(queued)).await.is_err() {
            break;
        }
    }
    drop(queued_tx);
    if let Err(e) = announcer.await {
        tracing::error!("ingest announcer failed: {e}");
    }
}

/// Keeps a batch's unreadable frames and queues its messages on the writer (with the
/// stream sequence the batch reaches, for a team desk's mirror).
async fn queue_batch<A: Arrival>(inner: &Ingest, batch: &mut Vec<A>) -> Option<Queued> {
    let mut pushed = Vec::with_capacity(batch.len());
    let mut quarantined = Vec::new();
    let mut covers: Option<(u64, u64)> = None;
    let mut barriers = Vec::new();
    for arrival in batch.drain(..) {
        let (ev, seq, barrier) = arrival.split();
        barriers.extend(barrier);
        match ev {
            Some(PushEvent::Message(m)) => pushed.push(m),
            Some(PushEvent::Quarantined(q)) => quarantined.push(q),
            None => {}
        }
        if let Some(seq) = seq {
            covers = Some(extend_run(covers, seq));
        }
    }
    for q in quarantined {
        keep(inner, q.raw.clone(), reason_text(&q), q.at).await;
    }
    if pushed.is_empty() && covers.is_none() && barriers.is_empty() {
        return None;
    }
    let rows: Vec<NewMessage> = pushed.iter().map(new_message).collect();
    let mark = covers.map(|(from, to)| imdesk_store::Mark {
        key: crate::team::CURSOR_KEY.to_owned(),
        from,
        to,
    });
    let commit = match inner.store.ingest_queued_at(rows, mark) {
        Ok(commit) => Some(commit),
        Err(e) => {
            tracing::error!(messages = pushed.len(), "ingest queue refused a batch: {e}");
            None
        }
    };
    Some(Queued {
        pushed,
        commit,
        covers,
        barriers,
    })
}

/// The stream sequences a batch covers once `seq` is in it. A sequence below the start of
/// what is covered so far starts again from it: after a batch fails to commit, the mirror
/// follows the stream again from the committed position while records it had already passed
/// on are still queued here, so one batch may hold those (111..150) and then the first records
/// read again (100..120). Only the second part can move the committed position (the store's
/// `Mark` and `applied` move only when a batch starts at or below stored + 1); covering both
/// as (111, 120) never could, and the position stayed where it was from then on.
fn extend_run(covers: Option<(u64, u64)>, seq: u64) -> (u64, u64) {
    match covers {
        Some((from, to)) if seq >= from => (from, to.max(seq)),
        _ => (seq, seq),
    }
}

/// Waits for each queued batch's commit, in queue order, then announces it.
async fn announce_committed(inner: Ingest, mut queued: mpsc::Receiver<Step>) {
    while let Some(step) = queued.recv().await {
        let mut batch = match step {
            Step::Batch(batch) => batch,
            Step::Settled(done) => {
                let _ = done.send(());
                continue;
            }
        };
        let first_try = match batch.commit {
            Some(commit) => commit.committed().await,
            None => Err(imdesk_store::StoreError::WriterGone),
        };
        let barriers = std::mem::take(&mut batch.barriers);
        let answer = |failures: u64| {
            for b in barriers {
                let _ = b.send(failures);
            }
        };
        let failed = |mirror: &MirrorHooks| {
            mirror
                .failures
                .fetch_add(1, std::sync::atomic::Ordering::Relaxed)
                + 1
        };
        if let (Some(mirror), Some((from, to))) = (&inner.mirror, batch.covers) {
            // Stream records stay in the stream: a batch that did not commit is applied again
            // from the committed position rather than retried or quarantined here.
            match first_try {
                Ok(outcomes) => {
                    announce_batch(&inner, &batch.pushed, Some(outcomes)).await;
                    mirror.applied.send_if_modified(|a| {
                        let moved = from <= a.saturating_add(1) && to > *a;
                        if moved {
                            *a = to;
                        }
                        moved
                    });
                }
                Err(e) => {
                    tracing::error!(
                        from,
                        to,
                        "stream records did not commit ({e}); the mirror applies them again"
                    );
                    failed(mirror);
                    mirror.rewind.notify_one();
                }
            }
            answer(mirror.failures.load(std::sync::atomic::Ordering::Relaxed));
            continue;
        }
        let outcomes = match first_try {
            Ok(o) => Some(o),
            Err(e) => {
                tracing::error!(messages = batch.pushed.len(), "ingest commit failed: {e}");
                retry_commit(&inner, &batch.pushed).await
            }
        };
        if let (None, Some(mirror)) = (&outcomes, &inner.mirror) {
            failed(mirror);
        }
        announce_batch(&inner, &batch.pushed, outcomes).await;
        answer(
            inner
                .mirror
                .as_ref()
                .map_or(0, |m| m.failures.load(std::sync::atomic::Ordering::Relaxed)),
        );
    }
}

async fn announce_batch(
    inner: &Ingest,
    pushed: &[PushedMessage],
    outcomes: Option<Vec<IngestOutcome>>,
) {
    let Some(outcomes) = outcomes else {
        // The cache refused the batch after retries: keep every frame rather than lose it.
        for m in pushed {
            keep(
                inner,
                m.raw_frame.to_string(),
                "store_error".into(),
                m.received_at,
            )
            .await;
        }
        return;
    };
    // Sized for the batch: grown one push at a time, these were reallocated (and copied)
    // about ten times for a batch of a burst.
    let mut changed = Vec::with_capacity(pushed.len());
    let mut committed = Vec::with_capacity(pushed.len());
    // One alert command per batch rather than per message (plus one before each frame kept
    // in quarantine, below).
    let mut alert_inputs = Vec::with_capacity(pushed.len());
    // The policy the writer used for this batch (it changes only between batches).
    let policy = inner.store.clock_policy();
    for (outcome, m) in outcomes.iter().zip(pushed) {
        match outcome {
            IngestOutcome::Inserted {
                awaits_reply,
                clock,
                urgent,
                ..
            } => {
                let c = &m.content;
                committed.push(c.msg_id.0);
                let biz_type = m.biz_type.code();
                let peer = ConversationKey::peer_of(
                    biz_type,
                    c.open_user_id.map(|u| u.0),
                    c.group_id.map(|g| g.0),
                );
                if let Some(peer) = peer {
                    let id = conversation_id_of(m.store.as_str(), biz_type, peer);
                    // The clock the store decided in the same commit; never recomputed here.
                    let clock = clock
                        .filter(|_| *awaits_reply)
                        .map(|c| deadline_of(c, &policy));
                    alert_inputs.extend(alert_input(m, clock, *urgent, &id));
                    changed.push(id);
                }
            }
            IngestOutcome::Duplicate { .. } => {}
            IngestOutcome::NoConversationKey => {
                // Keeping the frame waits for the store's writer: the inputs gathered so far
                // go first rather than wait behind it.
                inner.alerts.inputs(&mut alert_inputs);
                keep(
                    inner,
                    m.raw_frame.to_string(),
                    "no_conversation_key".into(),
                    m.received_at,
                )
                .await;
            }
        }
    }
    inner.alerts.inputs(&mut alert_inputs);
    if let Some(observer) = &inner.observer {
        observer(&committed);
    }
    if !changed.is_empty() {
        inner.notices.conversations(changed);
        inner.notices.stores();
    }
}

/// Commits again after a failed commit, with a few retries (a busy disk); `None` when the
/// cache keeps refusing. Copies already stored by then are absorbed as duplicates.
async fn retry_commit(inner: &Ingest, pushed: &[PushedMessage]) -> Option<Vec<IngestOutcome>> {
    for attempt in 0..3u64 {
        tokio::time::sleep(Duration::from_millis(50 * (attempt + 1))).await;
        let rows = pushed.iter().map(new_message).collect();
        match inner.store.ingest_async(rows).await {
            Ok(o) => return Some(o),
            Err(e) => {
                tracing::error!(
                    attempt,
                    messages = pushed.len(),
                    "ingest commit failed: {e}"
                );
            }
        }
    }
    None
}

/// What the alert policy learns from a durable message: a customer message the conversation
/// now awaits a reply to, with the clock the cache decided in the same commit, or our reply.
fn alert_input(
    m: &PushedMessage,
    clock: Option<ReplyDeadline>,
    urgent: bool,
    conversation: &str,
) -> Option<AlertInput<ConversationId>> {
    let c = &m.content;
    let input = match (c.msg_source, clock) {
        (MsgSource::Customer, Some(clock)) => AlertInput::CustomerMessage(IncomingMessage {
            store: m.store.clone(),
            conversation: conversation.to_owned(),
            customer: match c.open_user_id {
                Some(u) => customer_label(u.0),
                None => "匿名顾客".to_owned(),
            },
            preview: m.text.clone(),
            clock,
            urgent,
        }),
        (MsgSource::Merchant, _) => AlertInput::Replied {
            conversation: conversation.to_owned(),
        },
        _ => return None,
    };
    Some(input)
}

fn reason_text(q: &QuarantinedFrame) -> String {
    // The reason's serde form carries field names and codes, never content.
    serde_json::to_string(&q.reason).unwrap_or_else(|_| q.reason.code().to_owned())
}

async fn keep(inner: &Ingest, raw: String, reason: String, at: TimeMs) {
    if let Err(e) = inner
        .store
        .quarantine_async(raw, reason.clone(), at.0)
        .await
    {
        tracing::error!(reason, "cannot quarantine a frame: {e}");
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::time::Duration;

    use tokio::sync::{mpsc, oneshot, watch, Notify};
    use tokio_util::sync::CancellationToken;

    use super::{extend_run, run, Ingest, MirrorHooks};
    use crate::team::mirror::Mirrored;
    use crate::team::CURSOR_KEY;

    fn covered(seqs: &[u64]) -> Option<(u64, u64)> {
        seqs.iter().fold(None, |c, &s| Some(extend_run(c, s)))
    }

    #[test]
    fn a_batch_covers_its_records_and_restarts_where_the_stream_was_read_again() {
        assert_eq!(covered(&[]), None);
        assert_eq!(covered(&[7]), Some((7, 7)));
        assert_eq!(covered(&[100, 101, 102]), Some((100, 102)));
        // Records passed on before a rewind (111..=113), then the stream again from 100.
        assert_eq!(covered(&[111, 112, 113, 100, 101]), Some((100, 101)));
        // A record delivered twice does not cut the run short.
        assert_eq!(covered(&[100, 101, 101, 102]), Some((100, 102)));
    }

    /// A stream record without a message (what the mirror hands over for other subjects).
    fn record(seq: u64) -> Mirrored {
        Mirrored {
            event: None,
            seq: Some(seq),
            barrier: None,
        }
    }

    /// After a batch failed to commit at 100, the mirror reads the stream again from 100 while
    /// 111..=150 are still queued: one batch gets both. The committed position must move on
    /// (to 120 with that batch, then to 150), in the store and in `applied`.
    #[tokio::test]
    async fn records_passed_on_before_a_rewind_do_not_stop_the_committed_position() {
        let dir = tempfile::tempdir().unwrap();
        let store = imdesk_store::Store::open(
            dir.path().join("desk.db"),
            imdesk_store::StoreOptions::default(),
        )
        .unwrap();
        store
            .set_setting_async(CURSOR_KEY.to_owned(), "99".to_owned())
            .await
            .unwrap();
        let (alerts, _alerts_rx) =
            crate::alerts_driver::AlertsHandle::new(Arc::new(meituan_wire::SystemClock));
        let cancel = CancellationToken::new();
        let (notices, _events) = crate::events::start(
            &tokio::runtime::Handle::current(),
            Arc::new(crate::events::NullSink),
            Duration::from_millis(10),
            cancel.clone(),
        );
        let applied = Arc::new(watch::channel(99).0);
        let ingest = Ingest {
            store: store.clone(),
            alerts,
            notices,
            observer: None,
            batch: 1_000,
            mirror: Some(MirrorHooks {
                applied: applied.clone(),
                rewind: Arc::new(Notify::new()),
                failures: Arc::default(),
            }),
        };
        let (tx, rx) = mpsc::channel(100);
        for seq in (111..=150).chain(100..=120) {
            tx.send(record(seq)).await.unwrap();
        }
        let (settle, settle_rx) = mpsc::unbounded_channel();
        let task = tokio::spawn(run(ingest, rx, settle_rx));
        let settled = || async {
            let (done, wait) = oneshot::channel();
            settle.send(done).unwrap();
            wait.await.unwrap();
        };
        let cursor = || async {
            store
                .setting_async(CURSOR_KEY.to_owned())
                .await
                .unwrap()
                .unwrap_or_default()
        };
        settled().await;
        assert_eq!(*applied.borrow(), 120, "the records read again moved it");
        assert_eq!(cursor().await, "120");
        for seq in 121..=150 {
            tx.send(record(seq)).await.unwrap();
        }
        settled().await;
        assert_eq!(*applied.borrow(), 150);
        assert_eq!(cursor().await, "150");
        drop(tx);
        task.await.unwrap();
        cancel.cancel();
    }
}
