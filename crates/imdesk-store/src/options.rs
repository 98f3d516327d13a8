//! Settings of the store: the reply-clock policy (changeable while it runs, see
//! [`crate::Store::set_clock_policy`]), and outbox limits and connection sizes, fixed at open.

use std::collections::BTreeSet;
use std::time::Duration;

use crate::error::StoreError;

/// Meituan's reply window for a normal customer message: 5 minutes. The platform's rule, not
/// a preference; only tests use another.
pub const NORMAL_WINDOW_MS: i64 = 5 * 60 * 1000;
/// Meituan's reply window for an urgent customer message: 1 minute.
pub const URGENT_WINDOW_MS: i64 = 60 * 1000;

/// How long a customer may wait, and which scene tags are urgent: the one reply-clock policy.
/// The store computes every deadline from it at ingest, and the inbox, counts, alerts and
/// reply rates read those deadlines. The urgent tags are data, not code (architecture.md,
/// "Conversation model").
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClockPolicy {
    /// Reply window for a normal message ([`NORMAL_WINDOW_MS`]).
    pub normal_window_ms: i64,
    /// Reply window for an urgent message ([`URGENT_WINDOW_MS`]).
    pub urgent_window_ms: i64,
    /// Scene tags that make a message urgent (default {9003}, customer complaint).
    pub urgent_scene_tags: BTreeSet<i32>,
}

impl Default for ClockPolicy {
    fn default() -> Self {
        Self {
            normal_window_ms: NORMAL_WINDOW_MS,
            urgent_window_ms: URGENT_WINDOW_MS,
            urgent_scene_tags: BTreeSet::from([9003]),
        }
    }
}

impl ClockPolicy {
    /// Refuses windows that are not positive: a clock due when it starts would be overdue
    /// before anyone could see it.
    pub fn validate(&self) -> Result<(), StoreError> {
        if self.normal_window_ms > 0 && self.urgent_window_ms > 0 {
            Ok(())
        } else {
            Err(StoreError::InvalidClockPolicy)
        }
    }

    /// True when this scene tag is urgent.
    pub fn is_urgent(&self, scene_tag: i32) -> bool {
        self.urgent_scene_tags.contains(&scene_tag)
    }

    /// The reply window for a message of this urgency.
    pub fn window_ms(&self, urgent: bool) -> i64 {
        if urgent {
            self.urgent_window_ms
        } else {
            self.normal_window_ms
        }
    }
}

/// When the WAL is copied into the database file (checkpointed). A checkpoint thread does it
/// in the writer's pauses, so that a burst's CPU goes to the burst; a WAL that grows past
/// `busy_frames` is checkpointed without waiting, and past twice that the writer checkpoints
/// it itself, as SQLite's automatic checkpoint would. Expected: `after_frames` ≤
/// `busy_frames` (otherwise the thread never waits for a pause); `busy_frames` = 0 makes the
/// writer checkpoint after every commit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CheckpointPolicy {
    /// WAL frames (pages) after which a checkpoint is wanted: 1,000, SQLite's own default.
    pub after_frames: u32,
    /// How long the writer must have been quiet before the thread checkpoints (100 ms).
    pub quiet: Duration,
    /// WAL frames after which the thread checkpoints without waiting for a pause: 4,096,
    /// 16 MiB of 4 KiB pages, which readers still search quickly.
    pub busy_frames: u32,
}

impl Default for CheckpointPolicy {
    fn default() -> Self {
        Self {
            after_frames: 1000,
            quiet: Duration::from_millis(100),
            busy_frames: 4096,
        }
    }
}

/// Options for [`crate::Store::open`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoreOptions {
    /// The reply-clock policy at open; [`crate::Store::set_clock_policy`] replaces it later.
    pub clock: ClockPolicy,
    /// Longest merchant text the outbox accepts, in characters. 500 by default: the platform
    /// does not document a limit, and longer replies are rare and better split.
    pub max_outbox_chars: usize,
    /// After-sale window after an order completes (48 hours). \[INF\] Neither the SDK nor
    /// `meituan-im-protocol.md` states a window; 48 h is the product's reading (`product.md`,
    /// 售后（48 小时内）) and the sandbox's, unverified on the live platform. This default is
    /// the one place the client keeps it.
    pub after_sale_window_ms: i64,
    /// Reader connections in the pool (2: the machines have two cores).
    pub readers: usize,
    /// Page cache of the writer connection in KiB. 32 MiB keeps FTS merges on a 1 M-message
    /// cache mostly in memory while staying inside the 80 MB RSS budget.
    pub writer_cache_kib: i64,
    /// Page cache of each reader connection in KiB.
    pub reader_cache_kib: i64,
    /// Most jobs the writer runs in one transaction before committing.
    pub max_batch_jobs: usize,
    /// When the WAL is checkpointed.
    pub checkpoint: CheckpointPolicy,
    /// How long the writer must have had nothing to write before the connections give their
    /// page caches back (`sqlite3_db_release_memory` on every idle reader and on the writer,
    /// then glibc's free pages to the system), when it wrote or a reader read since the last
    /// time; a reader in use then keeps its cache until the next quiet period. A desk idles
    /// most of the day: without this, the caches stayed as full as the start's scans or the
    /// last burst left them (tens of MiB on a 1M-message cache). A trickle of writes (a few
    /// messages a minute, as on a quiet desk or in the demo) would keep the writer from ever
    /// being quiet that long: then the caches are given back after a write at the latest five
    /// periods after the last time (the start's scans filled the readers' caches, 16 MiB on
    /// the 1M-message demo cache, and they stayed full). What it costs: the first statements
    /// after a release read their pages from the OS page cache again (a few microseconds
    /// each), and the writer wakes once per period while idle. Two seconds: a peak's messages
    /// come faster and keep the caches between releases. `None` keeps the caches.
    pub release_after: Option<std::time::Duration>,
    /// Take the database's writer lock (`<database>.lock`), so that a second desk on the
    /// same file is refused. On by default; off only for a short-lived reader beside a live
    /// desk (`imdesk-cli export`), which must not be refused for the desk's sake.
    pub exclusive: bool,
}

impl Default for StoreOptions {
    fn default() -> Self {
        Self {
            clock: ClockPolicy::default(),
            max_outbox_chars: 500,
            after_sale_window_ms: 48 * 3600 * 1000,
            readers: 2,
            writer_cache_kib: 32 * 1024,
            reader_cache_kib: 8 * 1024,
            max_batch_jobs: 512,
            checkpoint: CheckpointPolicy::default(),
            release_after: Some(std::time::Duration::from_secs(2)),
            exclusive: true,
        }
    }
}
