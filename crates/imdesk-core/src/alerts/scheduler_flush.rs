//! How the scheduler turns due work into alerts: the urgent backlog, urgent clock stages and
//! re-alerts under the urgent cap; coalesced new-message notices under the per-store gap and
//! the brand cap; reminders for normal clocks. A child of `scheduler`, so it sees its state.

use meituan_wire::{StoreId, TimeMs};

use super::super::alert::{Alert, AlertKind, Sound};
use super::super::pending::PendingMessages;
use super::super::reply_clock::{ClockStage, StageCrossing};
use super::{secs_ms, AlertScheduler, KEEP_LOG_MS};

impl<C: Ord + Clone> AlertScheduler<C> {
    fn urgent_budget(&self, now: i64) -> bool {
        let s = &self.settings.storm;
        self.urgent_window
            .remaining(now, secs_ms(s.window_secs), s.urgent_max_per_window.max(1))
            > 0
    }

    fn brand_budget(&self, now: i64) -> u32 {
        let s = &self.settings.storm;
        self.brand_window
            .remaining(now, secs_ms(s.window_secs), s.brand_max_per_window.max(1))
    }

    fn emit_urgent(&mut self, now: i64, alert: Alert<C>, out: &mut Vec<Alert<C>>) {
        self.urgent_window.record(now, KEEP_LOG_MS);
        self.last_urgent_alert = Some(now);
        out.push(alert);
    }

    pub(super) fn flush_urgent_backlog(&mut self, now: i64, out: &mut Vec<Alert<C>>) {
        let clocks = &self.clocks;
        self.urgent_backlog
            .retain(|p| clocks.get(&p.conversation).is_some());
        if self.urgent_backlog.is_empty() || !self.urgent_budget(now) {
            return;
        }
        let batch = std::mem::take(&mut self.urgent_backlog);
        let mut alert = self.batch_alert(
            now,
            AlertKind::Urgent,
            batch.iter().map(|p| (&p.conversation, &p.store, 1)),
            true,
        );
        if let [one] = batch.as_slice() {
            alert.customer = Some(one.customer.clone());
            alert.preview = self.preview(&one.preview);
        }
        self.emit_urgent(now, alert, out);
    }

    pub(super) fn urgent_crossings(
        &mut self,
        now: i64,
        crossings: Vec<StageCrossing<C>>,
        out: &mut Vec<Alert<C>>,
    ) {
        // Without budget the crossing is dropped: the re-alert below still comes round.
        if crossings.is_empty() || !self.urgent_budget(now) {
            return;
        }
        let kind = if crossings.iter().any(|c| c.stage == ClockStage::Overdue) {
            AlertKind::Overdue
        } else {
            AlertKind::PreAlert
        };
        let alert = self.batch_alert(
            now,
            kind,
            crossings.iter().map(|c| (&c.conversation, &c.store, 1)),
            true,
        );
        self.emit_urgent(now, alert, out);
    }

    pub(super) fn urgent_repeat(&mut self, now: i64, out: &mut Vec<Alert<C>>) {
        let due = self
            .last_urgent_alert
            .is_none_or(|t| now >= t + secs_ms(self.settings.urgent_realert_secs));
        if !due || !self.urgent_budget(now) {
            return;
        }
        let open: Vec<(C, StoreId)> = self
            .clocks
            .urgent_by_deadline()
            .into_iter()
            .map(|c| (c.conversation.clone(), c.store.clone()))
            .collect();
        if open.is_empty() {
            return;
        }
        let alert = self.batch_alert(
            now,
            AlertKind::UrgentRepeat,
            open.iter().map(|(c, s)| (c, s, 1)),
            true,
        );
        self.emit_urgent(now, alert, out);
    }

    pub(super) fn flush_new_messages(&mut self, now: i64, out: &mut Vec<Alert<C>>) {
        // Called at every tick and when a message's store is due: only stores with something
        // pending are looked at (a brand has hundreds of stores, most with nothing waiting).
        let mut due: Vec<StoreId> = Vec::new();
        let mut silenced: Vec<StoreId> = Vec::new();
        for (store, st) in &self.stores {
            if st.pending.is_empty() {
                continue;
            }
            if self.suppressed(now, store) {
                silenced.push(store.clone());
            } else if st
                .last_popup
                .is_none_or(|t| now >= t + self.store_gap_ms(now, store))
            {
                due.push(store.clone());
            }
        }
        for store in &silenced {
            if let Some(st) = self.stores.get_mut(store) {
                st.pending.clear();
            }
        }
        let budget = usize::try_from(self.brand_budget(now)).unwrap_or(usize::MAX);
        if due.is_empty() || budget == 0 {
            return;
        }
        let mut batches: Vec<(StoreId, PendingMessages<C>)> = Vec::new();
        for store in due {
            if let Some(st) = self.stores.get_mut(&store) {
                st.last_popup = Some(now);
                let pending = std::mem::take(&mut st.pending);
                batches.push((store, pending));
            }
        }
        let window_keep = KEEP_LOG_MS;
        if batches.len() > budget {
            // More stores due than the brand may show: one brand-wide summary instead.
            let alert = self.batch_alert(
                now,
                AlertKind::Summary,
                batches.iter().flat_map(|(store, pending)| {
                    pending
                        .iter()
                        .map(move |p| (&p.conversation, store, p.messages))
                }),
                false,
            );
            self.brand_window.record(now, window_keep);
            out.push(alert);
            return;
        }
        for (store, pending) in &batches {
            let mut alert = self.batch_alert(
                now,
                AlertKind::Summary,
                pending.iter().map(|p| (&p.conversation, store, p.messages)),
                false,
            );
            if let Some(one) = pending.single() {
                alert.kind = AlertKind::Normal;
                alert.customer = Some(one.customer.clone());
                alert.preview = self.preview(&one.preview);
            }
            self.brand_window.record(now, window_keep);
            out.push(alert);
        }
    }

    pub(super) fn flush_reminders(&mut self, now: i64, out: &mut Vec<Alert<C>>) {
        let gap = secs_ms(self.settings.storm.reminder_min_gap_secs);
        if self.reminders.is_empty() || self.last_reminder.is_some_and(|t| now < t + gap) {
            return;
        }
        let all = std::mem::take(&mut self.reminders);
        let (overdue, pre): (Vec<_>, Vec<_>) = all
            .into_values()
            .filter(|r| self.clocks.get(&r.conversation).is_some())
            .partition(|r| r.stage == ClockStage::Overdue);
        if overdue.is_empty() && pre.is_empty() {
            return;
        }
        for (kind, group) in [(AlertKind::Overdue, overdue), (AlertKind::PreAlert, pre)] {
            if !group.is_empty() {
                let alert = self.batch_alert(
                    now,
                    kind,
                    group.iter().map(|r| (&r.conversation, &r.store, 1)),
                    false,
                );
                out.push(alert);
            }
        }
        self.last_reminder = Some(now);
    }

    /// After a pause or do-not-disturb ends: one alert listing the customers of non-muted
    /// stores still waiting, so nothing that arrived in the quiet is forgotten.
    pub(super) fn catch_up(&mut self, now: i64, out: &mut Vec<Alert<C>>) {
        let open: Vec<(C, StoreId)> = self
            .clocks
            .by_deadline()
            .into_iter()
            .filter(|c| !self.settings.is_muted(c.store))
            .map(|c| (c.conversation.clone(), c.store.clone()))
            .collect();
        if open.is_empty() {
            return;
        }
        let mut alert = self.batch_alert(
            now,
            AlertKind::CatchUp,
            open.iter().map(|(c, s)| (c, s, 1)),
            false,
        );
        alert.attention = true;
        // The catch-up replaces the reminders that piled up for the same customers.
        self.reminders.clear();
        self.last_reminder = Some(now);
        out.push(alert);
    }

    fn preview(&self, text: &str) -> Option<String> {
        (!self.settings.hide_preview).then(|| text.to_owned())
    }

    /// An alert about the conversations in `items`, each with how many messages (or
    /// customers) it stands for: counts, scope, and the earliest-deadline conversation as
    /// focus.
    fn batch_alert<'a>(
        &self,
        now: i64,
        kind: AlertKind,
        items: impl Iterator<Item = (&'a C, &'a StoreId, u32)>,
        urgent: bool,
    ) -> Alert<C>
    where
        C: 'a,
    {
        let items: Vec<(&C, &StoreId, u32)> = items.collect();
        let mut stores: Vec<&StoreId> = items.iter().map(|(_, s, _)| *s).collect();
        stores.sort();
        stores.dedup();
        let clocks = || {
            items
                .iter()
                .filter_map(|(c, _, n)| self.clocks.get(c).map(|clock| (clock, *n)))
        };
        let focus = clocks().map(|(c, _)| c).min_by_key(|c| c.clock.deadline);
        let overdue_count: u64 = clocks()
            .filter(|(c, _)| c.clock.remaining_ms(TimeMs(now)) < 0)
            .map(|(_, n)| u64::from(n))
            .sum();
        let count: u64 = items.iter().map(|(_, _, n)| u64::from(*n)).sum();
        let scope = match stores.as_slice() {
            [one] => Some((*one).clone()),
            _ => None,
        };
        let waiting_count = if urgent {
            // Urgent clocks, plus customers whose urgent message met an earlier deadline that
            // stayed in force (their clock is not an urgent one, but they wait all the same).
            let beside = clocks().filter(|(c, _)| !c.clock.urgent).count();
            u32::try_from(self.clocks.urgent_by_deadline().len() + beside).unwrap_or(u32::MAX)
        } else {
            self.clocks.waiting(scope.as_ref())
        };
        let sound = match urgent {
            true if self.settings.urgent_sound => Sound::Urgent,
            false if self.settings.sound => Sound::Normal,
            _ => Sound::None,
        };
        Alert {
            kind,
            at: TimeMs(now),
            store: scope,
            conversation: focus.map(|c| c.conversation.clone()),
            customer: focus
                .and_then(|c| self.clocks.customer(c.conversation))
                .map(str::to_owned),
            preview: None,
            count: u32::try_from(count).unwrap_or(u32::MAX),
            store_count: u32::try_from(stores.len()).unwrap_or(u32::MAX),
            waiting_count,
            overdue_count: u32::try_from(overdue_count).unwrap_or(u32::MAX),
            remaining_secs: focus.map(|c| c.clock.remaining_ms(TimeMs(now)).div_euclid(1000)),
            sound,
            attention: urgent || kind == AlertKind::Overdue,
            urgent,
        }
    }
}
