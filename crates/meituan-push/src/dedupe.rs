//! Drops the copies that redundant connections deliver of the same message. Memory is
//! bounded: the oldest keys are forgotten first. This only saves double work; the durable
//! dedupe is the store's unique key on (store, biz_type, msg_id).
//!
//! The redundant sockets carry byte-identical frames, usually within microseconds of each
//! other (the platform writes the same batch to every socket). So a frame is claimed whole
//! the moment it arrives, before it is read: an identical frame arriving on another socket
//! while the first copy is still being decoded is already known to be a copy, and each
//! message is percent-decoded, parsed and decrypted once. Identical bytes decode
//! identically, so a copy carries nothing its first sighting did not, a malformed one
//! included (kept once, its copies counted as duplicates). Frames with different bytes but
//! the same message key (re-encrypted after an imSecret change) are caught by the key check.

use std::hash::BuildHasher as _;
use std::sync::Arc;

use foldhash::fast::RandomState;
use hashlink::linked_hash_map::RawEntryMut;
use hashlink::{LinkedHashMap, LinkedHashSet};

use crate::quarantine::DedupeKey;

/// Whole frames remembered: copies arrive within milliseconds of each other, and 1,024
/// frames of ~1 KiB bound the memory to about a megabyte.
const RECENT_FRAMES: usize = 1024;

/// The most recent `capacity` message keys and the most recent frames, each in arrival order
/// (one copy of each, in insertion-ordered collections).
#[derive(Debug)]
pub(crate) struct RecentKeys {
    capacity: usize,
    seen: LinkedHashSet<DedupeKey, RandomState>,
    /// The frames, looked up and inserted through one hash of the arriving bytes (a set's
    /// `contains` and `insert` hashed a new frame twice).
    frames: LinkedHashMap<Arc<str>, (), RandomState>,
}

impl RecentKeys {
    pub(crate) fn new(capacity: usize) -> Self {
        let capacity = capacity.max(1);
        Self {
            capacity,
            seen: LinkedHashSet::with_capacity_and_hasher(capacity, RandomState::default()),
            frames: LinkedHashMap::with_hasher(RandomState::default()),
        }
    }

    /// True the first time `key` is seen (within the window), false for a copy.
    pub(crate) fn first_sighting(&mut self, key: DedupeKey) -> bool {
        if self.seen.contains(&key) {
            return false;
        }
        if self.seen.len() >= self.capacity {
            self.seen.pop_front();
        }
        self.seen.insert(key);
        true
    }

    /// The frame, now remembered, the first time these exact bytes arrive (within the frame
    /// window); `None` for a byte-identical copy of a recent frame.
    pub(crate) fn claim_frame(&mut self, raw: &str) -> Option<Arc<str>> {
        // `Arc<str>` hashes as its `str`, so this is the hash the map keeps for the frame.
        let hash = self.frames.hasher().hash_one(raw);
        let claimed: Arc<str> = match self
            .frames
            .raw_entry_mut()
            .from_hash(hash, |known| **known == *raw)
        {
            RawEntryMut::Occupied(_) => return None,
            RawEntryMut::Vacant(slot) => {
                let claimed: Arc<str> = Arc::from(raw);
                slot.insert_hashed_nocheck(hash, Arc::clone(&claimed), ());
                claimed
            }
        };
        // The new frame is at the back: only older ones are forgotten.
        if self.frames.len() > RECENT_FRAMES.min(self.capacity) {
            self.frames.pop_front();
        }
        Some(claimed)
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
        assert!(r.first_sighting(key("s", BizType::TwoParty, 1)));
        assert!(!r.first_sighting(key("s", BizType::TwoParty, 1)));
        assert!(r.first_sighting(key("t", BizType::TwoParty, 1)));
        assert!(r.first_sighting(key("s", BizType::FansGroup, 1)));
        assert!(r.first_sighting(key("s", BizType::TwoParty, 2)));
    }

    #[test]
    fn identical_frames_are_claimed_once_and_the_window_is_bounded() {
        let mut r = RecentKeys::new(2);
        assert_eq!(r.claim_frame("frame-1").as_deref(), Some("frame-1"));
        assert!(r.claim_frame("frame-1").is_none(), "a byte-identical copy");
        assert!(r.claim_frame("frame-1 ").is_some(), "exact comparison");
        assert!(r.claim_frame("frame-2").is_some());
        assert_eq!(
            r.frames.len(),
            2,
            "the frame window never outgrows the key window"
        );
        assert!(
            r.claim_frame("frame-1").is_some(),
            "the oldest frame was forgotten"
        );
        // Claims and keys are separate: a claimed frame still takes its key once.
        assert!(r.first_sighting(key("s", BizType::TwoParty, 1)));
        assert!(!r.first_sighting(key("s", BizType::TwoParty, 1)));
    }

    #[test]
    fn memory_is_bounded_and_oldest_forgotten_first() {
        let mut r = RecentKeys::new(3);
        for id in 1..=4 {
            assert!(r.first_sighting(key("s", BizType::TwoParty, id)));
        }
        assert_eq!(r.seen.len(), 3);
        assert!(!r.first_sighting(key("s", BizType::TwoParty, 4)));
        assert!(
            r.first_sighting(key("s", BizType::TwoParty, 1)),
            "1 was evicted"
        );
    }
}
