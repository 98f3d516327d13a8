//! WAL checkpoints off the writer thread, in the writer's pauses.
//!
//! SQLite's automatic checkpoint runs inside the commit that crosses 1,000 WAL frames: the
//! writer then copies every frame into the database file and waits for two fsyncs before it
//! can answer the batch or start the next one. During an ingest burst that was about a third
//! of the writer's time. Instead, the writer's WAL hook asks a checkpoint thread with its own
//! connection to run a passive checkpoint, which SQLite lets proceed while the writer keeps
//! appending.
//!
//! The thread waits for a pause first ([`CheckpointPolicy::quiet`]): copying pages into the
//! database while a burst is still arriving took a sixth of the writer's CPU again, on the
//! same two cores the burst needs, and the copy is as good a second later. Past
//! [`CheckpointPolicy::busy_frames`] it checkpoints without waiting, as before. The WAL
//! restarts from its beginning only when the writer's next transaction finds it wholly
//! copied and no reader still using it; under a steady load that moment rarely comes, so
//! past twice `busy_frames` the writer checkpoints itself, as the automatic checkpoint
//! would, but copying only what the thread has not yet copied.
//!
//! A checkpoint that could not copy everything (a reader still held older frames, or the
//! writer committed meanwhile) is tried again after another pause, a few times at most;
//! after that, the next commit asks again.

use std::ffi::c_int;
use std::path::Path;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;

use crossbeam_channel::{Receiver, RecvTimeoutError, Sender};
use rusqlite::hooks::Wal;
use rusqlite::Connection;

use crate::error::{Result, StoreError};
use crate::options::CheckpointPolicy;

/// The checkpoint thread's side: requests from the writer's WAL hook, and the WAL's size
/// at the latest of them.
struct Requests {
    wake: Receiver<()>,
    wal_frames: Arc<AtomicU32>,
}

/// The writer's side, moved into its WAL hook (see [`install_hook`]).
pub(crate) struct Requester {
    wake: Sender<()>,
    wal_frames: Arc<AtomicU32>,
}

/// Starts the checkpoint thread. It stops when the writer connection (which holds the only
/// [`Requester`], in its WAL hook) is closed.
pub(crate) fn start(
    path: &Path,
    busy_timeout: std::time::Duration,
    policy: CheckpointPolicy,
) -> Result<(Requester, JoinHandle<()>)> {
    let conn = Connection::open(path)?;
    // Waits for the writer's brief WAL-index locks instead of failing.
    conn.busy_timeout(busy_timeout)?;
    // One pending request is enough: a checkpoint covers every frame committed before it.
    let (wake_tx, wake_rx) = crossbeam_channel::bounded::<()>(1);
    let wal_frames = Arc::new(AtomicU32::new(0));
    let requests = Requests {
        wake: wake_rx,
        wal_frames: Arc::clone(&wal_frames),
    };
    let handle = std::thread::Builder::new()
        .name("imdesk-store-checkpoint".into())
        .spawn(move || run(&conn, &requests, &policy))
        .map_err(StoreError::WriterStart)?;
    Ok((
        Requester {
            wake: wake_tx,
            wal_frames,
        },
        handle,
    ))
}

/// Checkpoints tried again after one that left frames uncopied, before waiting for the
/// next commit's request.
const RETRIES: usize = 3;

fn run(conn: &Connection, requests: &Requests, policy: &CheckpointPolicy) {
    while requests.wake.recv().is_ok() {
        wait_for_pause(requests, policy);
        for _ in 0..RETRIES {
            if checkpoint(conn) {
                break;
            }
            // Another pause first: the reader holding older frames may have finished. A
            // commit meanwhile means the writer has not paused: wait for its pause.
            match requests.wake.recv_timeout(policy.quiet) {
                Err(RecvTimeoutError::Disconnected) => break,
                Ok(()) => wait_for_pause(requests, policy),
                Err(RecvTimeoutError::Timeout) => {}
            }
        }
    }
}

/// One passive checkpoint; true when it copied the whole WAL.
fn checkpoint(conn: &Connection) -> bool {
    let result: rusqlite::Result<(i64, i64, i64)> =
        conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?))
        });
    match result {
        Ok((_, log, done)) => {
            tracing::trace!(log, done, "store WAL checkpoint");
            done >= log
        }
        Err(e) => {
            tracing::warn!(error = %e, "store WAL checkpoint failed");
            false
        }
    }
}

/// Returns once no commit has asked for a checkpoint for `policy.quiet`, once the WAL has
/// reached `policy.busy_frames`, or once the writer has closed. Every commit past
/// `after_frames` asks again, so a burst keeps the thread waiting until it pauses.
fn wait_for_pause(requests: &Requests, policy: &CheckpointPolicy) {
    loop {
        if requests.wal_frames.load(Ordering::Relaxed) >= policy.busy_frames {
            return;
        }
        match requests.wake.recv_timeout(policy.quiet) {
            Ok(()) => {}
            Err(RecvTimeoutError::Timeout | RecvTimeoutError::Disconnected) => return,
        }
    }
}

/// Installs the writer's WAL hook: it replaces SQLite's automatic checkpoint.
pub(crate) fn install_hook(
    writer: &mut Connection,
    requester: Requester,
    policy: &CheckpointPolicy,
) -> Result<()> {
    let after_frames = policy.after_frames;
    let writer_frames = policy.busy_frames.saturating_mul(2);
    writer.wal_hook(Some(move |wal: &mut Wal, frames: c_int| {
        let frames = u32::try_from(frames).unwrap_or(0);
        // Every commit: a wake-up left from before a WAL restart must not see the old size.
        requester.wal_frames.store(frames, Ordering::Relaxed);
        let ask_thread = if frames >= writer_frames {
            // An error here would make SQLite report the (already durable) commit as
            // failed, so it is only logged, and the thread copies what is left. SQLite runs
            // one checkpoint at a time: busy means the thread's is running now.
            match wal.checkpoint() {
                Ok(()) => false,
                Err(e) => {
                    if e.sqlite_error_code() == Some(rusqlite::ErrorCode::DatabaseBusy) {
                        tracing::debug!(frames, "writer WAL checkpoint waits for the thread's");
                    } else {
                        tracing::warn!(error = %e, frames, "writer WAL checkpoint failed");
                    }
                    true
                }
            }
        } else {
            frames >= after_frames
        };
        if ask_thread {
            // Full means a request is already pending: it wakes the thread all the same.
            let _ = requester.wake.try_send(());
        }
        Ok(())
    }))?;
    Ok(())
}
