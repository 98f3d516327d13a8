//! Drops the copies that redundant connections deliver of the same message. Memory is
//! bounded: the oldest keys are forgotten first. This only saves double work; the durable
//! dedupe is the store's unique key on (store, biz_type, msg_id).

use std::collections::{HashSet, VecDeque};

use crate::quarantine::DedupeKey;

/// The most recent `capacity` message keys, in arrival order.
#[derive(Debug)]
pub(crate) struct RecentKeys {
    capacity: usize,
    seen: HashSet<DedupeKey>,
    order: VecDeque<DedupeKey>,
}

impl RecentKeys {
    pub(crate) fn new(capacity: usize) -> Self {
        let capacity = capacity.max(1);
        Self {
            capacity,
            seen: HashSet::with_capacity(capacity),
            order: VecDeque::new(),
        }
    }

    /// True the first time `key` is seen (within the window), false for a copy.
    pub(crate) fn first_sighting(&mut self, key: &DedupeKey) -> bool {
        if self.seen.contains(key) {
            return false;
        }
        if self.order.len() == self.capacity {
            if let Some(oldest) = self.order.pop_front() {
                self.seen.remove(&oldest);
            }
        }
        self.seen.insert(key.clone());
        self.order.push_back(key.clone());
        true
    }
}

#[cfg(test)]
mod tests {
    use meituan_wire::{BizType, MsgId, StoreId};

    use super::*;

    fn key(store: &str, biz: BizType, id: i64) -> DedupeKey {
        DedupeKey {
            store: StoreId::from(store),
            biz_type: biz,
            msg_id: MsgId(id),
        }
    }

    #[test]
    fn copies_are_refused_and_every_key_part_matters() {
        let mut r = RecentKeys::new(10);
        assert!(r.first_sighting(&key("s", BizType::TwoParty, 1)));
        assert!(!r.first_sighting(&key("s", BizType::TwoParty, 1)));
        assert!(r.first_sighting(&key("t", BizType::TwoParty, 1)));
        assert!(r.first_sighting(&key("s", BizType::FansGroup, 1)));
        assert!(r.first_sighting(&key("s", BizType::TwoParty, 2)));
    }

    #[test]
    fn memory_is_bounded_and_oldest_forgotten_first() {
        let mut r = RecentKeys::new(3);
        for id in 1..=4 {
            assert!(r.first_sighting(&key("s", BizType::TwoParty, id)));
        }
        assert_eq!(r.seen.len(), 3);
        assert!(!r.first_sighting(&key("s", BizType::TwoParty, 4)));
        assert!(
            r.first_sighting(&key("s", BizType::TwoParty, 1)),
            "1 was evicted"
        );
    }
}
