//! The task that drives the pure [`AlertScheduler`]: it feeds customer messages and replies
//! once they are durable, sleeps until the policy's next wakeup (looking at the injected clock
//! at least every `alert_poll`), and hands the alerts to the sink. Clocks are restored from
//! the store at start.

use std::sync::Arc;

use meituan_wire::{StoreId, TimeMs};
use tokio::sync::mpsc;

use crate::alerts::{AlertInput, AlertScheduler, AlertSettings, AwaitingRow};
use crate::convert::{conversation_id, title};
use crate::desk::Inner;
use crate::error::DeskResult;
use crate::events::DeskSink;
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
    /// The agent opened the conversation: withdraw its notifications (in order with alerts).
    Opened(ConversationId),
}

/// Awaiting rows of every conversation whose clock runs.
pub(crate) async fn restore_rows(inner: &Inner) -> DeskResult<Vec<AwaitingRow<ConversationId>>> {
    let store = inner.store.clone();
    let rows = tokio::task::spawn_blocking(move || {
        let ids: Vec<i64> = store.read(|conn| {
            let mut stmt =
                conn.prepare("SELECT id FROM conversations WHERE deadline_ms IS NOT NULL")?;
            let ids = stmt
                .query_map([], |r| r.get(0))?
                .collect::<rusqlite::Result<Vec<i64>>>()?;
            Ok(ids)
        })?;
        let mut rows = Vec::new();
        for id in ids {
            if let Some(c) = store.conversation(id)? {
                if let Some(clock) = c.clock {
                    rows.push(AwaitingRow {
                        conversation: conversation_id(&c.key),
                        store: StoreId::new(c.key.store.clone()),
                        customer: title(&c),
                        awaiting_since: TimeMs(clock.awaiting_since_ms),
                        deadline: TimeMs(clock.deadline_ms),
                        urgent: clock.urgent,
                    });
                }
            }
        }
        Ok::<_, imdesk_store::StoreError>(rows)
    })
    .await
    .map_err(|_| crate::error::DeskError::Stopped)??;
    Ok(rows)
}

pub(crate) async fn run(
    inner: Arc<Inner>,
    mut rx: mpsc::UnboundedReceiver<AlertCmd>,
    settings: AlertSettings,
    restored: Vec<AwaitingRow<ConversationId>>,
    sink: Arc<dyn DeskSink>,
) {
    let clock = inner.opts.clock.clone();
    let mut scheduler = AlertScheduler::new(settings, inner.opts.utc_offset_secs);
    scheduler.restore(restored, clock.now());
    let poll = inner.opts.alert_poll;
    loop {
        let now = clock.now();
        for alert in scheduler.tick(now) {
            sink.alert(alert);
        }
        let wait = scheduler
            .next_wakeup(now)
            .map(|at| u64::try_from((at.0 - now.0).max(0)).unwrap_or(0))
            .map_or(poll, |ms| poll.min(std::time::Duration::from_millis(ms)));
        let cmd = tokio::select! {
            () = inner.cancel.cancelled() => return,
            cmd = rx.recv() => cmd,
            () = tokio::time::sleep(wait) => continue,
        };
        let Some(first) = cmd else { return };
        // A burst is fed whole, then the loop ticks once: a tick passes over every clock. It
        // is bounded in inputs, not commands (one command may carry an ingest batch's).
        let mut fed = weight(&first);
        apply(&mut scheduler, clock.now(), first, sink.as_ref());
        while fed < BURST {
            match rx.try_recv() {
                Ok(cmd) => {
                    fed += weight(&cmd);
                    apply(&mut scheduler, clock.now(), cmd, sink.as_ref());
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
        let customer = |store: &str, conversation: &str, scene_tag: i32, at: i64| {
            AlertInput::CustomerMessage(IncomingMessage {
                store: StoreId::from(store),
                conversation: conversation.to_owned(),
                customer: format!("顾客*{at}"),
                preview: format!("在吗 {at}"),
                scene_tag,
                sent_at: TimeMs(T0 + at),
            })
        };
        vec![
            customer("s1", "s1|1|7", -1, 1),
            customer("s1", "s1|1|8", -1, 2),
            customer("s2", "s2|1|9", 9003, 3),
            AlertInput::Replied {
                conversation: "s1|1|8".to_owned(),
            },
            customer("s2", "s2|1|10", -1, 4),
        ]
    }

    #[test]
    fn a_batch_of_inputs_alerts_exactly_as_the_same_inputs_one_by_one() {
        let now = TimeMs(T0 + 10);
        let (one_by_one, batched) = (Recorded::default(), Recorded::default());
        let mut a = AlertScheduler::new(AlertSettings::default(), 8 * 3600);
        for input in batch() {
            apply(&mut a, now, AlertCmd::Input(input), &one_by_one);
        }
        let mut b = AlertScheduler::new(AlertSettings::default(), 8 * 3600);
        apply(&mut b, now, AlertCmd::Inputs(batch()), &batched);
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
        apply(&mut scheduler, TimeMs(T0), AlertCmd::Inputs(batch()), &sink);
        let opened = AlertCmd::Opened("s2|1|9".to_owned());
        apply(&mut scheduler, TimeMs(T0), opened, &sink);
        assert_eq!(*sink.1.lock().unwrap(), ["s1|1|8", "s2|1|9"]);
    }
}
