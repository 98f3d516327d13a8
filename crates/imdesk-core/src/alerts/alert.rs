//! What the notification policy decides: a list of [`Alert`]s, each one OS notification.
//! Alerts carry data (store, customer label, counts), not final text; [`super::render`]
//! turns one into zh-CN or English title and body.

use std::fmt;

use meituan_wire::{StoreId, TimeMs};

/// Why an alert was raised.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AlertKind {
    /// One new customer message.
    Normal,
    /// Several new customer messages coalesced: one store, or the brand when `store` is `None`.
    Summary,
    /// A new urgent message (`count` 1), or several that waited for the urgent rate limit.
    Urgent,
    /// Urgent customers still unanswered: the re-alert, repeated until they are handled.
    UrgentRepeat,
    /// Reply clocks passed a pre-alert fraction.
    PreAlert,
    /// Reply clocks passed their deadline.
    Overdue,
    /// A pause or do-not-disturb period ended: who waited meanwhile (non-muted stores).
    CatchUp,
}

/// Which sound to play with the notification.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Sound {
    /// Silent.
    None,
    /// The ordinary new-message sound.
    Normal,
    /// The distinct urgent sound.
    Urgent,
}

/// One notification to show.
#[derive(Clone, PartialEq, Eq)]
pub struct Alert<C> {
    /// Why.
    pub kind: AlertKind,
    /// When the policy raised it.
    pub at: TimeMs,
    /// The store it is about; `None` when it spans several stores.
    pub store: Option<StoreId>,
    /// The conversation to focus when the notification is clicked: the only one, or the
    /// most pressing one (earliest deadline) of a batch.
    pub conversation: Option<C>,
    /// Masked label of that conversation's customer.
    pub customer: Option<String>,
    /// Message text; `None` for batches and when privacy hides it.
    pub preview: Option<String>,
    /// How many messages (new-message kinds) or customers (the others) the alert stands for.
    pub count: u32,
    /// How many stores those span.
    pub store_count: u32,
    /// Customers awaiting a reply: urgent ones brand-wide for the urgent kinds; otherwise
    /// all of them in `store`, or brand-wide when `store` is `None`.
    pub waiting_count: u32,
    /// How many of the messages (new-message kinds) or customers (the others) the alert
    /// stands for are past their deadline: a new-message summary counts every message of an
    /// overdue conversation.
    pub overdue_count: u32,
    /// Seconds left on the focused conversation's clock (negative once overdue).
    pub remaining_secs: Option<i64>,
    /// Sound to play.
    pub sound: Sound,
    /// Ask for attention beyond a popup (flash the taskbar, keep the notification up).
    pub attention: bool,
    /// Whether it is about urgent customers (urgent kinds, and stages of urgent clocks); these
    /// pass mute, do-not-disturb and pause.
    pub urgent: bool,
}

impl<C> Alert<C> {
    /// Whether the alert announces new messages (the kinds that storm control caps per store
    /// and brand-wide).
    pub fn is_new_message(&self) -> bool {
        matches!(self.kind, AlertKind::Normal | AlertKind::Summary)
    }
}

// Customer text must never reach logs: Debug shows only the preview's length.
impl<C: fmt::Debug> fmt::Debug for Alert<C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Alert")
            .field("kind", &self.kind)
            .field("at", &self.at)
            .field("store", &self.store)
            .field("conversation", &self.conversation)
            .field(
                "preview_chars",
                &self.preview.as_ref().map(|p| p.chars().count()),
            )
            .field("count", &self.count)
            .field("store_count", &self.store_count)
            .field("waiting_count", &self.waiting_count)
            .field("overdue_count", &self.overdue_count)
            .field("remaining_secs", &self.remaining_secs)
            .field("sound", &self.sound)
            .field("attention", &self.attention)
            .field("urgent", &self.urgent)
            .finish_non_exhaustive()
    }
}
