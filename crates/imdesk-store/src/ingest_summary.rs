//! The conversation summary as ingest keeps it in memory during one batch: loaded once per
//! conversation, changed by each of the batch's messages in input order, written back once.
//! The rules here are the ones a message-by-message ingest applied row by row.

use crate::conversations::{OrderState, ReplyClock};
use crate::messages::{NewMessage, SOURCE_CUSTOMER, SOURCE_MERCHANT};
use crate::options::ClockPolicy;

/// Characters of a message kept as the conversation's preview.
pub(crate) const PREVIEW_CHARS: usize = 60;

/// An order context: order id, state, completion time.
pub(crate) type OrderContext = (Option<i64>, OrderState, Option<i64>);

/// The parts of a conversation row that ingest reads and rewrites, plus what the batch
/// changed since it was loaded.
#[derive(Debug, Clone)]
pub(crate) struct Summary {
    pub id: i64,
    pub order_id: Option<i64>,
    pub order_state: OrderState,
    pub order_completed_at_ms: Option<i64>,
    pub last_msg_at_ms: i64,
    /// The conversation's latest message is ours: a customer message older than it that
    /// arrives late (reordered pushes, a retried batch) was answered already.
    pub last_from_merchant: bool,
    pub unread_count: i64,
    pub awaiting_since_ms: Option<i64>,
    pub deadline_ms: Option<i64>,
    pub clock_urgent: bool,
    /// Reply-log row of the running clock's first message.
    pub clock_event_id: Option<i64>,
    /// Reply-log row of the urgent message that tightened the running clock.
    pub urgent_event_id: Option<i64>,
    /// What the batch changed and must write back.
    pub pending: Pending,
}

/// Changes of one batch not yet written to the conversation row.
#[derive(Debug, Clone, Default)]
pub(crate) struct Pending {
    /// A message of the batch was stored in this conversation.
    pub touched: bool,
    /// The order context as the row holds it, kept at the batch's first change of it: the
    /// order columns (and the order index) are written only if the batch ends elsewhere.
    pub order_before: Option<OrderContext>,
    /// The newest message of the batch that became the conversation's last message:
    /// (its row id, its index in the batch).
    pub last: Option<(i64, usize)>,
    /// Batch index of the last message carrying a group name.
    pub group_name: Option<usize>,
    /// Last review id / rider id carried by a message of the batch.
    pub comment_id: Option<i64>,
    pub rider_id: Option<i64>,
}

impl Summary {
    /// A conversation row just created.
    pub fn fresh(id: i64) -> Self {
        Self {
            id,
            order_id: None,
            order_state: OrderState::PreOrder,
            order_completed_at_ms: None,
            last_msg_at_ms: 0,
            last_from_merchant: false,
            unread_count: 0,
            awaiting_since_ms: None,
            deadline_ms: None,
            clock_urgent: false,
            clock_event_id: None,
            urgent_event_id: None,
            pending: Pending::default(),
        }
    }

    /// The running reply clock, if any.
    pub fn clock(&self) -> Option<ReplyClock> {
        Some(ReplyClock {
            awaiting_since_ms: self.awaiting_since_ms?,
            deadline_ms: self.deadline_ms?,
            urgent: self.clock_urgent,
        })
    }

    /// True when `m` is (or ties) the newest message of the conversation so far.
    pub fn is_latest(&self, m: &NewMessage) -> bool {
        m.cts_ms >= self.last_msg_at_ms
    }

    /// The order context: order id, state and completion time.
    pub fn order(&self) -> OrderContext {
        (self.order_id, self.order_state, self.order_completed_at_ms)
    }

    /// Whether the batch left the order context other than the row holds it.
    pub fn order_changed(&self) -> bool {
        self.pending
            .order_before
            .is_some_and(|before| before != self.order())
    }

    /// Sets the order context a newest message implies.
    pub fn set_order(&mut self, (order_id, state, completed): OrderContext) {
        let current = self.order();
        if (order_id, state, completed) != current && self.pending.order_before.is_none() {
            self.pending.order_before = Some(current);
        }
        self.order_id = order_id;
        self.order_state = state;
        self.order_completed_at_ms = completed;
    }

    /// Applies a stored message (batch index `index`, row id `message_id`) to the summary,
    /// except the order context (see [`Summary::set_order`]). Returns the reply-log work it
    /// implies, which the caller performs before the next message.
    pub fn apply(
        &mut self,
        policy: &ClockPolicy,
        m: &NewMessage,
        index: usize,
        message_id: i64,
    ) -> ClockEffect {
        let is_latest = self.is_latest(m);
        let mut effect = ClockEffect::None;
        if m.msg_source == SOURCE_CUSTOMER {
            self.unread_count += 1;
            let answered = !is_latest && self.last_from_merchant;
            if (m.has_reply == 1 || matches!(m.biz_type, 4..=6)) && !answered {
                effect = self.start_or_tighten(policy, m);
            }
        } else if m.msg_source == SOURCE_MERCHANT {
            if is_latest {
                self.unread_count = 0;
            }
            if self
                .awaiting_since_ms
                .is_some_and(|since| m.cts_ms >= since)
            {
                effect = ClockEffect::Stop {
                    clock_event_id: self.clock_event_id.take(),
                    urgent_event_id: self.urgent_event_id.take(),
                };
                self.awaiting_since_ms = None;
                self.deadline_ms = None;
                self.clock_urgent = false;
            }
        }
        let p = &mut self.pending;
        p.touched = true;
        if m.group_name.is_some() {
            p.group_name = Some(index);
        }
        p.comment_id = m.comment_id.or(p.comment_id);
        p.rider_id = m.rider_id.or(p.rider_id);
        if is_latest {
            p.last = Some((message_id, index));
            self.last_msg_at_ms = m.cts_ms;
            self.last_from_merchant = m.msg_source == SOURCE_MERCHANT;
        }
        effect
    }

    /// A customer message that needs an answer starts the clock, or tightens a running one
    /// when it is urgent and due earlier. Each start and each tightening is logged.
    fn start_or_tighten(&mut self, policy: &ClockPolicy, m: &NewMessage) -> ClockEffect {
        let urgent = policy.is_urgent(m.scene_tag);
        let deadline = m.cts_ms + policy.window_ms(urgent);
        match (self.awaiting_since_ms, self.deadline_ms) {
            (Some(since), Some(current)) => {
                self.awaiting_since_ms = Some(since.min(m.cts_ms));
                if deadline < current {
                    self.deadline_ms = Some(deadline);
                    self.clock_urgent |= urgent;
                    if urgent {
                        return ClockEffect::Log {
                            urgent,
                            started: false,
                        };
                    }
                }
                ClockEffect::None
            }
            _ => {
                self.awaiting_since_ms = Some(m.cts_ms);
                self.deadline_ms = Some(deadline);
                self.clock_urgent = urgent;
                ClockEffect::Log {
                    urgent,
                    started: true,
                }
            }
        }
    }

    /// Records the reply-log row written for a [`ClockEffect::Log`].
    pub fn logged(&mut self, started: bool, event_id: i64) {
        if started {
            self.clock_event_id = Some(event_id);
        } else {
            self.urgent_event_id = Some(event_id);
        }
    }
}

/// Reply-log work implied by one message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ClockEffect {
    None,
    /// Insert a reply-log row: the message started the clock, or (urgent) tightened it.
    Log {
        urgent: bool,
        started: bool,
    },
    /// A reply stopped the clock: close these reply-log rows.
    Stop {
        clock_event_id: Option<i64>,
        urgent_event_id: Option<i64>,
    },
}

/// The preview kept for a last message.
pub(crate) fn preview(m: &NewMessage) -> Option<String> {
    m.text
        .as_ref()
        .map(|t| t.chars().take(PREVIEW_CHARS).collect())
}
