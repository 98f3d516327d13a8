//! Drops the copies that redundant connections deliver of the same message. Memory is
//! bounded: the oldest keys are forgotten first. This only saves double work; the durable
//! dedupe is the store's unique key on (store, biz_type, msg_id).
//!
//! The redundant sockets usually carry byte-identical frames, so the most recent frames whose
//! key was taken are also kept whole: an identical frame is then known to be a copy without
//! being read again (percent-decoding and JSON). The comparison is exact, and the frame
//! window is smaller than the key window, so it drops exactly what the key check would.

use std::collections::{HashSet, VecDeque};
use std::sync::Arc;

use crate::quarantine::DedupeKey;

/// Whole frames remembered: copies arrive within milliseconds of each other, and 1,024
/// frames of ~1 KiB bound the memory to about a megabyte.
const RECENT_FRAMES: usize = 1024;

/// The most recent `capacity` message keys, in arrival order, and the most recent frames
/// that carried them.
#[derive(Debug)]
pub(crate) struct RecentKeys {
    capacity: usize,
    seen: HashSet<DedupeKey>,
    order: VecDeque<DedupeKey>,
    frames: HashSet<Arc<str>>,
    frame_order: VecDeque<Arc<str>>,
}

impl RecentKeys {
    pub(crate) fn new(capacity: usize) -> Self {
        let capacity = capacity.max(1);
        Self {
            capacity,
            seen: HashSet::with_capacity(capacity),
            order: VecDeque::new(),
            frames: HashSet::new(),
            frame_order: VecDeque::new(),
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

    /// Like [`RecentKeys::first_sighting`], and on a first sighting also remembers `raw`,
    /// the frame that carried the key, for [`RecentKeys::is_known_copy`].
    pub(crate) fn first_sighting_of_frame(&mut self, key: &DedupeKey, raw: &str) -> bool {
        if !self.first_sighting(key) {
            return false;
        }
        let window = RECENT_FRAMES.min(self.capacity);
        if self.frame_order.len() == window {
            if let Some(oldest) = self.frame_order.pop_front() {
                self.frames.remove(&oldest);
            }
        }
        let raw: Arc<str> = Arc::from(raw);
        if self.frames.insert(raw.clone()) {
            self.frame_order.push_back(raw);
        }
        true
    }

    /// True when `raw` is identical to a recent frame whose key was taken: a copy.
    pub(crate) fn is_known_copy(&self, raw: &str) -> bool {
        self.frames.contains(raw)
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
    fn identical_frames_are_known_copies_only_after_their_key_was_taken() {
        let mut r = RecentKeys::new(2);
        assert!(!r.is_known_copy("frame-1"));
        assert!(r.first_sighting_of_frame(&key("s", BizType::TwoParty, 1), "frame-1"));
        assert!(r.is_known_copy("frame-1"));
        assert!(!r.is_known_copy("frame-1 "), "exact comparison");
        // A different frame with a taken key is refused but not remembered.
        assert!(!r.first_sighting_of_frame(&key("s", BizType::TwoParty, 1), "frame-1b"));
        assert!(!r.is_known_copy("frame-1b"));
        // The frame window never outlives the key window.
        assert!(r.first_sighting_of_frame(&key("s", BizType::TwoParty, 2), "frame-2"));
        assert!(r.first_sighting_of_frame(&key("s", BizType::TwoParty, 3), "frame-3"));
        assert!(!r.is_known_copy("frame-1"), "evicted with its key");
        assert!(r.first_sighting(&key("s", BizType::TwoParty, 1)));
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
