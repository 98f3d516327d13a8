//! The task that drives the pure [`AlertScheduler`]: it feeds customer messages and replies
//! once they are durable, sleeps until the policy's next wakeup (looking at the injected clock
//! at least every `alert_poll`), and hands the alerts to the sink. Clocks are restored from
//! the store once its start gate opens (the window's first page).

use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use imdesk_store::{ClockPolicy, Store};
use meituan_wire::{Clock, StoreId, TimeMs};
use tokio::sync::{mpsc, oneshot};
use tokio_util::sync::CancellationToken;

use crate::alerts::{AlertInput, AlertScheduler, AlertSettings, AwaitingRow, ReplyDeadline};
use crate::convert::{conversation_id, title};
use crate::error::DeskResult;
use crate::events::{DeskSink, Notices};
use crate::view::ConversationId;

/// What the driver is told.
#[derive(Debug)]
pub(crate) enum AlertCmd {
    Input(AlertInput<ConversationId>),
    /// The inputs of one committed ingest batch, in order: one command per batch rather than
    /// per message (a burst commits about a thousand messages at a time).
    Inputs(Vec<AlertInput<ConversationId>>),
    Settings(AlertSettings),
    Pause(Option<TimeMs>),
    /// Answered once every earlier command is applied and the policy has ticked at the
    /// clock's current time: what is due by now has been handed to the sink.
    Settle(oneshot::Sender<()>),
    /// The agent opened the conversation: withdraw its notifications (in order with alerts).
    Opened(ConversationId),
}

/// The front door's side of the alert policy: inputs, settings and the pause. The pause the
/// UI shows lives here, beside the command that tells the scheduler, in one place.
#[derive(Debug, Clone)]
pub(crate) struct AlertsHandle {
    tx: mpsc::UnboundedSender<AlertCmd>,
    paused_until: Arc<Mutex<Option<i64>>>,
    clock: Arc<dyn Clock>,
}

impl AlertsHandle {
    pub(crate) fn new(clock: Arc<dyn Clock>) -> (Self, mpsc::UnboundedReceiver<AlertCmd>) {
        let (tx, rx) = mpsc::unbounded_channel();
        let handle = Self {
            tx,
            paused_until: Arc::default(),
            clock,
        };
        (handle, rx)
    }

    /// A driver that stopped has nothing left to alert about: sends to it are dropped.
    fn send(&self, cmd: AlertCmd) {
        let _ = self.tx.send(cmd);
    }

    pub(crate) fn input(&self, input: AlertInput<ConversationId>) {
        self.send(AlertCmd::Input(input));
    }

    /// The inputs gathered so far, as one command; `inputs` is left empty.
    pub(crate) fn inputs(&self, inputs: &mut Vec<AlertInput<ConversationId>>) {
        if !inputs.is_empty() {
            self.send(AlertCmd::Inputs(std::mem::take(inputs)));
        }
    }

    pub(crate) fn settings(&self, settings: AlertSettings) {
        self.send(AlertCmd::Settings(settings));
    }

    /// The agent opened a conversation: its notifications are withdrawn, in order with alerts.
    pub(crate) fn opened(&self, conversation: ConversationId) {
        self.send(AlertCmd::Opened(conversation));
    }

    /// Pauses non-urgent alerts until `until` (UTC ms; `None` or a past time resumes). The
    /// scheduler and the UI hear of it in the order the calls were made.
    pub(crate) fn pause(&self, until: Option<i64>, notices: &Notices) {
        let until = until.filter(|u| *u > self.clock.now().0);
        let mut current = self
            .paused_until
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        *current = until;
        // Both sends only queue; holding the lock orders them with a concurrent call.
        self.send(AlertCmd::Pause(until.map(TimeMs)));
        notices.paused(until);
    }

    /// The end of the pause in force, if alerts are paused now.
    pub(crate) fn paused_until(&self) -> Option<i64> {
        let now = self.clock.now().0;
        self.paused_until
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .filter(|u| *u > now)
    }

    /// Waits until every command sent before this call is applied and the policy has ticked
    /// at the clock's time now.
    pub(crate) async fn settle(&self) {
        let (tx, rx) = oneshot::channel();
        self.send(AlertCmd::Settle(tx));
        let _ = rx.await;
    }
}

/// What the driver task uses.
pub(crate) struct AlertDriver {
    pub rx: mpsc::UnboundedReceiver<AlertCmd>,
    pub settings: AlertSettings,
    /// The clocks to restore are read from here once `restore_after` opens, not before the
    /// desk is ready: on a 1M-message cache the read takes 115-137 ms of CPU, which the
    /// window's first inbox page waited for. Inputs sent meanwhile wait in `rx` and are applied
    /// after the restore, in order, so each clock ends as its last input says.
    pub store: Store,
    /// The restore waits for this gate (the window's first page), see [`crate::StartGate`].
    pub restore_after: crate::StartGate,
    /// When the desk started: clock stages reached by then count as alerted (a restart does
    /// not replay them); those crossed while the restore waited alert on the first tick.
    pub started: TimeMs,
    pub sink: Arc<dyn DeskSink>,
    pub clock: Arc<dyn Clock>,
    /// Looks at the clock at least this often (a manual clock moves without waking it).
    pub poll: Duration,
    pub utc_offset_secs: i32,
    pub cancel: CancellationToken,
}

/// The alert policy follows the clocks the store decides.
/// The alert policy's view of a clock the store decided: the window the deadline closes starts
/// at the urgent message that tightened it, or else at the first unanswered message. Read
/// with the store's one policy, never a second copy of its windows.
pub(crate) fn deadline_of(c: imdesk_store::ReplyClock, policy: &ClockPolicy) -> ReplyDeadline {
    let window_start = c.deadline_ms.saturating_sub(policy.window_ms(c.urgent));
    ReplyDeadline {
        awaiting_since: TimeMs(c.awaiting_since_ms.max(window_start)),
        deadline: TimeMs(c.deadline_ms),
        urgent: c.urgent,
    }
}

/// Awaiting rows of every conversation whose clock runs.
pub(crate) async fn restore_rows(store: &Store) -> DeskResult<Vec<AwaitingRow<ConversationId>>> {
    let policy = store.clock_policy();
    let rows = store
        .running_clocks_async()
        .await?
        .into_iter()
        .filter_map(|c| {
            let clock = c.clock?;
            Some(AwaitingRow {
                conversation: conversation_id(&c.key),
                store: StoreId::new(c.key.store.clone()),
                customer: title(&c),
                clock: deadline_of(clock, &policy),
            })
        })
        .collect();
    Ok(rows)
}

pub(crate) async fn run(driver: AlertDriver) {
    let AlertDriver {
        mut rx,
        settings,
        store,
        restore_after,
        started,
        sink,
        clock,
        poll,
        utc_offset_secs,
        cancel,
    } = driver;
    tokio::select! {
        () = cancel.cancelled() => return,
        () = restore_after.wait() => {}
    }
    let restored = match restore_rows(&store).await {
        Ok(rows) => rows,
        Err(e) => {
            // The desk goes on: new messages start their clocks and alerts as usual.
            tracing::error!(error = %e, "reply clocks could not be restored for alerts");
            Vec::new()
        }
    };
    drop(store);
    let mut scheduler = AlertScheduler::new(settings, utc_offset_secs);
    scheduler.restore(restored, started);
    // Commands sent while the restore waited are applied before the first tick: the store had
    // committed their messages before it was read, so a customer who first wrote meanwhile is
    // restored too, and a tick in between would alert a new urgent complaint as "still
    // unanswered" before its input alerted it as new (two notifications for one message).
    let mut settled = Vec::new();
    while let Ok(cmd) = rx.try_recv() {
        apply(
            &mut scheduler,
            clock.now(),
            cmd,
            sink.as_ref(),
            &mut settled,
        );
    }
    loop {
        let now = clock.now();
        for alert in scheduler.tick(now) {
            sink.alert(alert);
        }
        for waiting in settled.drain(..) {
            let _: Result<(), ()> = oneshot::Sender::send(waiting, ());
        }
        let wait = scheduler
            .next_wakeup(now)
            .map(|at| u64::try_from((at.0 - now.0).max(0)).unwrap_or(0))
            .map_or(poll, |ms| poll.min(std::time::Duration::from_millis(ms)));
        let cmd = tokio::select! {
            () = cancel.cancelled() => return,
            cmd = rx.recv() => cmd,
            () = tokio::time::sleep(wait) => continue,
        };
        let Some(first) = cmd else { return };
        // A burst is fed whole, then the loop ticks once: a tick passes over every clock. It
        // is bounded in inputs, not commands (one command may carry an ingest batch's).
        let mut fed = weight(&first);
        apply(
            &mut scheduler,
            clock.now(),
            first,
            sink.as_ref(),
            &mut settled,
        );
        while fed < BURST {
            match rx.try_recv() {
                Ok(cmd) => {
                    fed += weight(&cmd);
                    apply(
                        &mut scheduler,
                        clock.now(),
                        cmd,
                        sink.as_ref(),
                        &mut settled,
                    );
                }
                Err(_) => break,
            }
        }
    }
}

/// Most inputs fed between two ticks (a command's last ones may go past it).
const BURST: usize = 1024;

/// How many inputs a command carries, for [`BURST`] (a setting or a pause counts as one).
fn weight(cmd: &AlertCmd) -> usize {
    match cmd {
        AlertCmd::Inputs(inputs) => inputs.len().max(1),
        _ => 1,
    }
}

fn apply(
    scheduler: &mut AlertScheduler<ConversationId>,
    now: meituan_wire::TimeMs,
    cmd: AlertCmd,
    sink: &dyn DeskSink,
    settled: &mut Vec<oneshot::Sender<()>>,
) {
    match cmd {
        AlertCmd::Input(input) => feed(scheduler, now, input, sink),
        AlertCmd::Inputs(inputs) => {
            for input in inputs {
                feed(scheduler, now, input, sink);
            }
        }
        AlertCmd::Settings(s) => scheduler.set_settings(s),
        AlertCmd::Pause(Some(until)) => scheduler.pause_until(until),
        AlertCmd::Pause(None) => scheduler.resume(),
        // Answered after the next tick, which follows this burst at once.
        AlertCmd::Settle(done) => settled.push(done),
        AlertCmd::Opened(conversation) => sink.withdraw(&conversation),
    }
}

fn feed(
    scheduler: &mut AlertScheduler<ConversationId>,
    now: meituan_wire::TimeMs,
    input: AlertInput<ConversationId>,
    sink: &dyn DeskSink,
) {
    if let AlertInput::Replied { conversation } = &input {
        sink.withdraw(conversation);
    }
    for alert in scheduler.input(now, input) {
        sink.alert(alert);
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use super::*;
    use crate::alerts::{Alert, IncomingMessage};
    use crate::view::DeskEvent;

    /// Records the alerts it is handed, and the conversations withdrawn.
    #[derive(Default)]
    struct Recorded(
        Mutex<Vec<Alert<ConversationId>>>,
        Mutex<Vec<ConversationId>>,
    );

    impl DeskSink for Recorded {
        fn event(&self, _: DeskEvent) {}
        fn alert(&self, alert: Alert<ConversationId>) {
            self.0.lock().unwrap().push(alert);
        }
        fn withdraw(&self, conversation: &ConversationId) {
            self.1.lock().unwrap().push(conversation.clone());
        }
    }

    impl Recorded {
        fn taken(&self) -> Vec<Alert<ConversationId>> {
            std::mem::take(&mut *self.0.lock().unwrap())
        }
    }

    const T0: i64 = 1_790_000_000_000;

    /// A committed batch as ingest hands it over: messages in two stores, one of them urgent,
    /// and a reply that answers one of the conversations.
    fn batch() -> Vec<AlertInput<ConversationId>> {
        // Each conversation's first message: the store's clock runs 5 minutes, 1 if urgent.
        let customer = |store: &str, conversation: &str, urgent: bool, at: i64| {
            AlertInput::CustomerMessage(IncomingMessage {
                store: StoreId::from(store),
                conversation: conversation.to_owned(),
                customer: format!("顾客*{at}"),
                preview: format!("在吗 {at}"),
                clock: ReplyDeadline {
                    awaiting_since: TimeMs(T0 + at),
                    deadline: TimeMs(T0 + at + if urgent { 60_000 } else { 300_000 }),
                    urgent,
                },
                urgent,
            })
        };
        vec![
            customer("s1", "s1|1|7", false, 1),
            customer("s1", "s1|1|8", false, 2),
            customer("s2", "s2|1|9", true, 3),
            AlertInput::Replied {
                conversation: "s1|1|8".to_owned(),
            },
            customer("s2", "s2|1|10", false, 4),
        ]
    }

    #[test]
    fn a_batch_of_inputs_alerts_exactly_as_the_same_inputs_one_by_one() {
        let now = TimeMs(T0 + 10);
        let (one_by_one, batched) = (Recorded::default(), Recorded::default());
        let mut a = AlertScheduler::new(AlertSettings::default(), 8 * 3600);
        for input in batch() {
            apply(
                &mut a,
                now,
                AlertCmd::Input(input),
                &one_by_one,
                &mut Vec::new(),
            );
        }
        let mut b = AlertScheduler::new(AlertSettings::default(), 8 * 3600);
        apply(
            &mut b,
            now,
            AlertCmd::Inputs(batch()),
            &batched,
            &mut Vec::new(),
        );
        let first = one_by_one.taken();
        assert!(!first.is_empty(), "the batch alerts at once");
        assert_eq!(batched.taken(), first);
        // The schedulers were left alike: the same next wakeup, and the same alerts as time
        // passes (a lost reply would leave its conversation's clock to alert at 400 s).
        assert_eq!(a.next_wakeup(now), b.next_wakeup(now));
        for later in [T0 + 40_000, T0 + 70_000, T0 + 400_000] {
            assert_eq!(a.tick(TimeMs(later)), b.tick(TimeMs(later)), "at {later}");
        }
    }

    #[test]
    fn a_reply_or_an_opening_withdraws_the_conversations_notifications() {
        let sink = Recorded::default();
        let mut scheduler = AlertScheduler::new(AlertSettings::default(), 8 * 3600);
        apply(
            &mut scheduler,
            TimeMs(T0),
            AlertCmd::Inputs(batch()),
            &sink,
            &mut Vec::new(),
        );
        let opened = AlertCmd::Opened("s2|1|9".to_owned());
        apply(&mut scheduler, TimeMs(T0), opened, &sink, &mut Vec::new());
        assert_eq!(*sink.1.lock().unwrap(), ["s1|1|8", "s2|1|9"]);
    }
}
