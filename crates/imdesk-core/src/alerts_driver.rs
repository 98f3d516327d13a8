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
    Settings(AlertSettings),
    Pause(Option<TimeMs>),
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
        // A burst is fed whole, then the loop ticks once: a tick passes over every clock.
        apply(&mut scheduler, clock.now(), first, sink.as_ref());
        for _ in 0..BURST {
            match rx.try_recv() {
                Ok(cmd) => apply(&mut scheduler, clock.now(), cmd, sink.as_ref()),
                Err(_) => break,
            }
        }
    }
}

/// Most commands fed between two ticks.
const BURST: usize = 1024;

fn apply(
    scheduler: &mut AlertScheduler<ConversationId>,
    now: meituan_wire::TimeMs,
    cmd: AlertCmd,
    sink: &dyn DeskSink,
) {
    match cmd {
        AlertCmd::Input(input) => {
            for alert in scheduler.input(now, input) {
                sink.alert(alert);
            }
        }
        AlertCmd::Settings(s) => scheduler.set_settings(s),
        AlertCmd::Pause(Some(until)) => scheduler.pause_until(until),
        AlertCmd::Pause(None) => scheduler.resume(),
    }
}
