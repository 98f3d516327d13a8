//! Which of our notifications are on the desktop, and what to do to them when an alert comes
//! or a conversation is done. Pure bookkeeping (no D-Bus): one notification per conversation,
//! replaced by its next alert; at most [`MAX_ON_SCREEN`] at once, the oldest folded into one
//! summary; a conversation's notification withdrawn when it is answered or opened.

use imdesk_core::view::ConversationId;

/// At most this many of our notifications are on screen at once, the summary included.
/// Desktops stack popups in one corner, and urgent ones never expire: issue 20 saw fifteen of
/// them cover the window's own controls. Three popups fit beside a 1080p window and can be
/// read at a glance; the inbox lists everyone, and the summary says how many it folded.
pub const MAX_ON_SCREEN: usize = 3;

// The summary takes a place of its own: at least one place must be left for an alert.
const _: () = assert!(MAX_ON_SCREEN >= 2);

/// What one notification of ours stands for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Slot {
    /// The latest alert about one conversation.
    Conversation(ConversationId),
    /// The latest alert that names no conversation.
    Brand,
    /// "N more customers waiting": the conversations folded away.
    Summary,
}

/// What to show in a slot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Content<N> {
    /// An alert as the core raised it.
    Alert(N),
    /// How many customers were folded away, and whether one of them is urgent.
    Summary { waiting: usize, urgent: bool },
}

/// One step for the desktop, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Op<N> {
    /// Show `content`, replacing notification `replaces` in place when it is `Some`. Report the
    /// id the desktop gives with [`Screen::shown`], or the failure with [`Screen::failed`].
    Show {
        slot: Slot,
        replaces: Option<u32>,
        content: Content<N>,
    },
    /// Close this notification.
    Close(u32),
}

#[derive(Debug)]
struct Entry {
    slot: Slot,
    /// `None` until the desktop answered the `Show`.
    id: Option<u32>,
    urgent: bool,
    /// When it was last shown or replaced: the smallest is the oldest news.
    seq: u64,
}

/// The notifications on screen, as far as we know (the desktop reports the ones the user
/// dismissed or that expired through [`Screen::closed`]).
#[derive(Debug, Default)]
pub struct Screen {
    entries: Vec<Entry>,
    summary: Option<u32>,
    /// Conversations counted in the summary, with whether each is urgent.
    folded: Vec<(ConversationId, bool)>,
    seq: u64,
}

impl Screen {
    /// An alert about `conversation` (or about none): replaces that conversation's notification,
    /// or adds one and folds the oldest beyond the bound.
    pub fn alert<N>(
        &mut self,
        conversation: Option<ConversationId>,
        urgent: bool,
        alert: N,
    ) -> Vec<Op<N>> {
        let slot = conversation.map_or(Slot::Brand, Slot::Conversation);
        let mut summary_changed = self.unfold(&slot);
        self.seq += 1;
        let seq = self.seq;
        if let Some(entry) = self.entries.iter_mut().find(|e| e.slot == slot) {
            entry.urgent = urgent;
            entry.seq = seq;
        } else {
            self.entries.push(Entry {
                slot: slot.clone(),
                id: None,
                urgent,
                seq,
            });
        }
        let mut ops = Vec::new();
        while self.entries.len() + usize::from(!self.folded.is_empty()) > MAX_ON_SCREEN {
            let Some(victim) = self.oldest() else { break };
            let entry = self.entries.remove(victim);
            if let Some(id) = entry.id {
                ops.push(Op::Close(id));
            }
            if let Slot::Conversation(c) = entry.slot {
                self.folded.push((c, entry.urgent));
                summary_changed = true;
            }
        }
        if let Some(entry) = self.entries.iter().find(|e| e.slot == slot) {
            ops.push(Op::Show {
                slot,
                replaces: entry.id,
                content: Content::Alert(alert),
            });
        }
        if summary_changed {
            ops.extend(self.summary_op());
        }
        ops
    }

    /// The conversation was answered or opened: close its notification, uncount it.
    pub fn withdraw<N>(&mut self, conversation: &ConversationId) -> Vec<Op<N>> {
        let slot = Slot::Conversation(conversation.clone());
        let mut ops = Vec::new();
        if let Some(i) = self.entries.iter().position(|e| e.slot == slot) {
            if let Some(id) = self.entries.remove(i).id {
                ops.push(Op::Close(id));
            }
        }
        if self.unfold(&slot) {
            ops.extend(self.summary_op());
        }
        ops
    }

    /// The desktop showed `slot` as notification `id`.
    pub fn shown(&mut self, slot: &Slot, id: u32) {
        match slot {
            Slot::Summary => self.summary = Some(id),
            _ => {
                if let Some(entry) = self.entries.iter_mut().find(|e| &e.slot == slot) {
                    entry.id = Some(id);
                }
            }
        }
    }

    /// The desktop refused to show `slot`: it is not on screen.
    pub fn failed(&mut self, slot: &Slot) {
        match slot {
            Slot::Summary => self.summary = None,
            _ => self.entries.retain(|e| &e.slot != slot),
        }
    }

    /// The desktop closed notification `id` (dismissed, expired or clicked). A dismissed
    /// summary takes its count with it.
    pub fn closed(&mut self, id: u32) {
        if self.summary == Some(id) {
            self.summary = None;
            self.folded.clear();
        }
        self.entries.retain(|e| e.id != Some(id));
    }

    /// What notification `id` stands for.
    pub fn slot_of(&self, id: u32) -> Option<Slot> {
        if self.summary == Some(id) {
            return Some(Slot::Summary);
        }
        let entry = self.entries.iter().find(|e| e.id == Some(id))?;
        Some(entry.slot.clone())
    }

    /// The next to fold: the oldest non-urgent one, or the oldest urgent one when all are.
    fn oldest(&self) -> Option<usize> {
        let by_age = |urgent: bool| {
            (0..self.entries.len())
                .filter(|&i| self.entries[i].urgent == urgent)
                .min_by_key(|&i| self.entries[i].seq)
        };
        by_age(false).or_else(|| by_age(true))
    }

    /// Takes `slot`'s conversation out of the summary; whether it was there.
    fn unfold(&mut self, slot: &Slot) -> bool {
        let Slot::Conversation(c) = slot else {
            return false;
        };
        let before = self.folded.len();
        self.folded.retain(|(f, _)| f != c);
        self.folded.len() != before
    }

    /// Shows the summary's new count, or closes it when it counts no one.
    fn summary_op<N>(&mut self) -> Option<Op<N>> {
        if self.folded.is_empty() {
            return self.summary.take().map(Op::Close);
        }
        Some(Op::Show {
            slot: Slot::Summary,
            replaces: self.summary,
            content: Content::Summary {
                waiting: self.folded.len(),
                urgent: self.folded.iter().any(|(_, urgent)| *urgent),
            },
        })
    }
}

#[cfg(test)]
#[path = "screen_tests.rs"]
mod tests;
