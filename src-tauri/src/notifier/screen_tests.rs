// Test code: a missing entry is a test failure, and should panic.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;

use super::*;

/// A desktop that does what the ops say and hands out ids as a notification server does.
#[derive(Default)]
struct Desktop {
    screen: Screen,
    open: BTreeMap<u32, (Slot, Content<&'static str>)>,
    next_id: u32,
    replaced: usize,
}

impl Desktop {
    fn apply(&mut self, ops: Vec<Op<&'static str>>) {
        for op in ops {
            match op {
                Op::Close(id) => {
                    assert!(self.open.remove(&id).is_some(), "closed {id} twice");
                }
                Op::Show {
                    slot,
                    replaces,
                    content,
                } => {
                    let id = match replaces {
                        Some(id) => {
                            assert!(self.open.contains_key(&id), "replaced a closed {id}");
                            self.replaced += 1;
                            id
                        }
                        None => {
                            self.next_id += 1;
                            self.next_id
                        }
                    };
                    self.screen.shown(&slot, id);
                    self.open.insert(id, (slot, content));
                }
            }
        }
    }

    fn alert(&mut self, conversation: &str, urgent: bool, text: &'static str) {
        let ops = self
            .screen
            .alert(Some(conversation.to_owned()), urgent, text);
        self.apply(ops);
    }

    fn withdraw(&mut self, conversation: &str) {
        let ops = self.screen.withdraw(&conversation.to_owned());
        self.apply(ops);
    }

    /// The conversations with a notification of their own on screen.
    fn conversations(&self) -> Vec<String> {
        self.open
            .values()
            .filter_map(|(slot, _)| match slot {
                Slot::Conversation(c) => Some(c.clone()),
                _ => None,
            })
            .collect()
    }

    fn summary(&self) -> Option<(usize, bool)> {
        self.open.values().find_map(|(_, content)| match content {
            Content::Summary { waiting, urgent } => Some((*waiting, *urgent)),
            Content::Alert(_) => None,
        })
    }
}

#[test]
fn a_re_alert_replaces_the_conversations_notification() {
    let mut d = Desktop::default();
    d.alert("c1", true, "urgent");
    d.alert("c1", true, "urgent, still unanswered");
    d.alert("c1", true, "overdue");
    assert_eq!(d.open.len(), 1);
    assert_eq!(d.replaced, 2);
    assert_eq!(d.open[&1].1, Content::Alert("overdue"));
}

#[test]
fn beyond_the_bound_the_oldest_fold_into_one_summary() {
    let mut d = Desktop::default();
    for c in ["c1", "c2", "c3"] {
        d.alert(c, false, "new message");
    }
    assert_eq!(d.open.len(), MAX_ON_SCREEN);
    assert_eq!(d.summary(), None);
    d.alert("c4", false, "new message");
    assert_eq!(d.open.len(), MAX_ON_SCREEN);
    assert_eq!(d.conversations(), ["c3", "c4"]);
    assert_eq!(d.summary(), Some((2, false)));
    d.alert("c5", false, "new message");
    assert_eq!(d.conversations(), ["c4", "c5"]);
    assert_eq!(d.summary(), Some((3, false)), "the summary is replaced");
    assert_eq!(d.next_id, 6, "one summary, shown once and then replaced");
}

#[test]
fn urgent_ones_stay_on_screen_while_others_fold_but_stay_bounded() {
    let mut d = Desktop::default();
    d.alert("u1", true, "urgent");
    d.alert("u2", true, "urgent");
    for c in ["n1", "n2", "n3"] {
        d.alert(c, false, "new message");
    }
    assert_eq!(d.conversations(), ["u1", "u2"]);
    assert_eq!(d.summary(), Some((3, false)));
    for c in ["u3", "u4"] {
        d.alert(c, true, "urgent");
    }
    assert_eq!(d.open.len(), MAX_ON_SCREEN);
    assert_eq!(d.conversations(), ["u3", "u4"]);
    assert_eq!(d.summary(), Some((5, true)));
}

#[test]
fn a_later_alert_of_a_folded_conversation_comes_back_out() {
    let mut d = Desktop::default();
    for c in ["c1", "c2", "c3", "c4"] {
        d.alert(c, false, "new message");
    }
    d.alert("c1", true, "urgent");
    assert!(d.conversations().contains(&"c1".to_owned()));
    assert_eq!(d.open.len(), MAX_ON_SCREEN);
    assert_eq!(d.summary(), Some((2, false)));
}

#[test]
fn withdrawing_closes_the_conversations_notification_and_uncounts_it() {
    let mut d = Desktop::default();
    for c in ["c1", "c2", "c3", "c4"] {
        d.alert(c, false, "new message");
    }
    d.withdraw("c4");
    assert_eq!(d.conversations(), ["c3"]);
    d.withdraw("c1");
    assert_eq!(d.summary(), Some((1, false)));
    d.withdraw("c2");
    assert_eq!(d.summary(), None, "an empty summary is closed");
    d.withdraw("c3");
    assert!(d.open.is_empty());
    d.withdraw("c3");
    assert!(d.open.is_empty(), "withdrawing twice is harmless");
}

#[test]
fn what_the_desktop_closed_frees_its_place() {
    let mut d = Desktop::default();
    for c in ["c1", "c2", "c3"] {
        d.alert(c, false, "new message");
    }
    d.open.remove(&1);
    d.screen.closed(1);
    d.alert("c4", false, "new message");
    assert_eq!(d.conversations(), ["c2", "c3", "c4"]);
    assert_eq!(d.summary(), None);
    assert_eq!(d.screen.slot_of(4), Some(Slot::Conversation("c4".into())));
}

#[test]
fn an_alert_about_no_conversation_replaces_the_previous_one() {
    let mut d = Desktop::default();
    let ops = d.screen.alert(None, false, "3 stores");
    d.apply(ops);
    let ops = d.screen.alert(None, false, "4 stores");
    d.apply(ops);
    assert_eq!(d.open.len(), 1);
    assert_eq!(d.open[&1], (Slot::Brand, Content::Alert("4 stores")));
}
