//! WAL checkpoints: the checkpoint thread copies the WAL into the database once the writer
//! pauses, not while a burst is still arriving; a WAL that keeps growing is checkpointed
//! without a pause.
//!
//! What has been copied is read from the WAL index (the `-shm` file), as SQLite lays it out
//! (<https://www.sqlite.org/walformat.html>, "The WAL-Index Header"): `mxFrame`, the last
//! frame committed, at byte 16, and `nBackfill`, the frames already copied into the
//! database, at byte 96, both native-endian `u32`.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic on failure

mod common;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use common::*;
use imdesk_store::{CheckpointPolicy, Store, StoreOptions};

/// (`mxFrame`, `nBackfill`) of the database at `db`.
fn wal_index(db: &Path) -> (u32, u32) {
    let mut shm = db.as_os_str().to_owned();
    shm.push("-shm");
    let bytes = std::fs::read(shm).unwrap();
    let word = |at: usize| u32::from_ne_bytes(bytes[at..at + 4].try_into().unwrap());
    (word(16), word(96))
}

/// Opens the cache with `checkpoint` and an empty WAL (the schema is made by an earlier
/// open, whose close copied and removed its WAL); returns it with its file's path.
fn open_with(dir: &tempfile::TempDir, checkpoint: CheckpointPolicy) -> (Store, PathBuf) {
    drop(open(dir));
    let db = dir.path().join("cache.sqlite3");
    let options = StoreOptions {
        checkpoint,
        ..StoreOptions::default()
    };
    let store = Store::open(&db, options).unwrap();
    assert_eq!(wal_index(&db), (0, 0), "an empty WAL");
    (store, db)
}

/// Commits one batch of ten messages (a few WAL frames).
fn commit_batch(store: &Store, batch: i64) {
    let messages = (0..10)
        .map(|i| {
            let id = batch * 10 + i;
            customer("s1", id % 7, id, T0 + id, "请问什么时候送到")
        })
        .collect();
    store.ingest(messages).unwrap();
}

/// Waits up to `limit` for `done` to hold of the WAL index; returns it last read.
fn wait_for(db: &Path, limit: Duration, done: impl Fn((u32, u32)) -> bool) -> (u32, u32) {
    let start = Instant::now();
    loop {
        let index = wal_index(db);
        if done(index) || start.elapsed() > limit {
            return index;
        }
        #[allow(clippy::disallowed_methods)] // a plain test thread, no executor
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn the_wal_is_copied_once_the_writer_pauses() {
    let dir = tempfile::tempdir().unwrap();
    let quiet = Duration::from_secs(1);
    let (store, db) = open_with(
        &dir,
        CheckpointPolicy {
            after_frames: 8,
            quiet,
            busy_frames: 1_000_000,
        },
    );
    // A trickle longer than `quiet`, a commit every 100 ms: every commit past 8 frames asks
    // for a checkpoint again, so the thread keeps waiting.
    let trickle = Instant::now();
    let mut batch = 0;
    let mut last_start = Instant::now();
    // The longest time between two commits' requests can have been (from the start of one
    // commit to the end of the next): a machine stalled that long made a real pause.
    let mut longest_gap = Duration::ZERO;
    while trickle.elapsed() < quiet * 5 / 2 || wal_index(&db).0 < 40 {
        let start = Instant::now();
        commit_batch(&store, batch);
        if batch > 0 {
            longest_gap = longest_gap.max(last_start.elapsed());
        }
        last_start = start;
        batch += 1;
        let (frames, copied) = wal_index(&db);
        assert!(
            copied == 0 || longest_gap >= quiet,
            "{copied} of {frames} frames copied while commits kept coming"
        );
        #[allow(clippy::disallowed_methods)] // a plain test thread, no executor
        std::thread::sleep(Duration::from_millis(100));
    }
    let (frames, copied) = wait_for(&db, quiet * 10, |(f, c)| c > 0 && c == f);
    assert!(
        copied > 0 && copied == frames,
        "the pause is used to copy the whole WAL: {copied} of {frames} frames"
    );
    // The last request came after the last commit started.
    assert!(
        last_start.elapsed() >= quiet,
        "the copy waited for the pause"
    );
    // What was copied is intact: a fresh store reads every message back.
    drop(store);
    let (store, _) = open_with(&dir, CheckpointPolicy::default());
    let count: i64 = store
        .raw_read(|c| Ok(c.query_row("SELECT count(*) FROM messages", [], |r| r.get(0))?))
        .unwrap();
    assert_eq!(count, batch * 10);
}

#[test]
fn a_wal_that_keeps_growing_is_copied_without_a_pause() {
    let dir = tempfile::tempdir().unwrap();
    let busy_frames = 40;
    let (store, db) = open_with(
        &dir,
        CheckpointPolicy {
            after_frames: 8,
            // Longer than the test: only the WAL's size can start this checkpoint.
            quiet: Duration::from_secs(600),
            busy_frames,
        },
    );
    let mut batch = 0;
    while wal_index(&db).0 < busy_frames {
        commit_batch(&store, batch);
        batch += 1;
    }
    let (frames, _) = wal_index(&db);
    // Below twice `busy_frames` the writer leaves the copy to the thread.
    assert!(frames < 2 * busy_frames, "{frames} frames");
    let (frames, copied) = wait_for(&db, Duration::from_secs(20), |(_, c)| c > 0);
    assert!(
        copied > 0,
        "the thread copies a WAL past busy_frames without waiting for a pause: {copied} of \
         {frames} frames"
    );
}
