//! A store's customer messages since its last new-message alert, as the scheduler keeps them:
//! one entry per conversation, in the order the conversations first wrote, with how many
//! messages each sent and the latest one's customer label and preview. A burst grows it by
//! conversations, not by messages (it was a list of every message, grown and copied message
//! by message, and searched message by message for each reply).

use std::collections::BTreeMap;

/// One conversation's messages awaiting the store's next alert.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct PendingConversation<C> {
    pub conversation: C,
    /// How many of its messages arrived since the store's last alert.
    pub messages: u32,
    /// The latest message's customer label.
    pub customer: String,
    /// The latest message's preview.
    pub preview: String,
}

/// See the module docs.
#[derive(Debug, Clone)]
pub(super) struct PendingMessages<C> {
    /// In the order of each conversation's first message; `None` once it was answered.
    slots: Vec<Option<PendingConversation<C>>>,
    /// Where each conversation's slot is: exactly the conversations with messages pending.
    index: BTreeMap<C, usize>,
}

impl<C> Default for PendingMessages<C> {
    fn default() -> Self {
        Self {
            slots: Vec::new(),
            index: BTreeMap::new(),
        }
    }
}

impl<C: Ord + Clone> PendingMessages<C> {
    pub(super) fn is_empty(&self) -> bool {
        self.index.is_empty()
    }

    /// Counts a message of `conversation`; its customer and preview become the latest.
    pub(super) fn add(&mut self, conversation: C, customer: String, preview: String) {
        let slot = self
            .index
            .get(&conversation)
            .and_then(|&i| self.slots.get_mut(i))
            .and_then(Option::as_mut);
        match slot {
            Some(p) => {
                p.messages = p.messages.saturating_add(1);
                p.customer = customer;
                p.preview = preview;
            }
            None => {
                self.index.insert(conversation.clone(), self.slots.len());
                self.slots.push(Some(PendingConversation {
                    conversation,
                    messages: 1,
                    customer,
                    preview,
                }));
            }
        }
    }

    /// Drops `conversation`'s messages (it was answered).
    pub(super) fn forget(&mut self, conversation: &C) {
        let Some(i) = self.index.remove(conversation) else {
            return;
        };
        if let Some(slot) = self.slots.get_mut(i) {
            *slot = None;
        }
        if self.index.is_empty() {
            self.clear();
        }
    }

    pub(super) fn clear(&mut self) {
        self.slots.clear();
        self.index.clear();
    }

    /// The conversations, in the order of their first message.
    pub(super) fn iter(&self) -> impl Iterator<Item = &PendingConversation<C>> {
        self.slots.iter().flatten()
    }

    /// The one conversation, when exactly one message is pending.
    pub(super) fn single(&self) -> Option<&PendingConversation<C>> {
        (self.index.len() == 1)
            .then(|| self.iter().next())
            .flatten()
            .filter(|p| p.messages == 1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Messages pending in all conversations.
    fn total(p: &PendingMessages<&'static str>) -> u32 {
        p.iter().map(|c| c.messages).sum()
    }

    fn conversations(p: &PendingMessages<&'static str>) -> Vec<(&'static str, u32, String)> {
        p.iter()
            .map(|c| (c.conversation, c.messages, c.preview.clone()))
            .collect()
    }

    #[test]
    fn conversations_keep_their_first_place_and_their_latest_message() {
        let mut p = PendingMessages::default();
        assert!(p.is_empty() && p.single().is_none());
        p.add("a", "顾客*1".into(), "在吗".into());
        assert_eq!(p.single().map(|c| c.preview.as_str()), Some("在吗"));
        p.add("b", "顾客*2".into(), "你好".into());
        p.add("a", "顾客*1".into(), "到哪了".into());
        assert_eq!(total(&p), 3);
        assert!(p.single().is_none(), "three messages are not one");
        let mut twice = PendingMessages::default();
        twice.add("a", String::new(), "1".into());
        twice.add("a", String::new(), "2".into());
        assert!(
            twice.single().is_none(),
            "two messages of one conversation are not one"
        );
        assert_eq!(
            conversations(&p),
            vec![("a", 2, "到哪了".into()), ("b", 1, "你好".into())]
        );
    }

    #[test]
    fn an_answered_conversation_takes_its_messages_with_it() {
        let mut p = PendingMessages::default();
        p.add("a", String::new(), "1".into());
        p.add("b", String::new(), "2".into());
        p.add("a", String::new(), "3".into());
        p.forget(&"a");
        assert_eq!(total(&p), 1);
        assert_eq!(conversations(&p), vec![("b", 1, "2".into())]);
        assert_eq!(p.single().map(|c| c.conversation), Some("b"));
        p.forget(&"zzz");
        assert_eq!(total(&p), 1, "an unknown conversation changes nothing");
        // A conversation answered and then writing again starts a new entry, at the back.
        p.add("a", String::new(), "4".into());
        assert_eq!(
            conversations(&p),
            vec![("b", 1, "2".into()), ("a", 1, "4".into())]
        );
        p.forget(&"b");
        p.forget(&"a");
        assert!(p.is_empty());
        assert_eq!(p.slots.len(), 0, "nothing is kept once all are answered");
    }
}
