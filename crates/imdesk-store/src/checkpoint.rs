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
//! restarts from its beginning only when a checkpoint has caught up at the moment of a
//! commit, so past twice that the writer checkpoints itself, as the automatic checkpoint
//! would, but copying only what the thread has not yet copied.

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

fn run(conn: &Connection, requests: &Requests, policy: &CheckpointPolicy) {
    while requests.wake.recv().is_ok() {
        wait_for_pause(requests, policy);
        let result: rusqlite::Result<(i64, i64, i64)> =
            conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?))
            });
        match result {
            Ok((_, log, done)) => tracing::trace!(log, done, "store WAL checkpoint"),
            Err(e) => tracing::warn!(error = %e, "store WAL checkpoint failed"),
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
        if frames >= writer_frames {
            // An error here would make SQLite report the (already durable) commit as
            // failed, so it is only logged; the next commit tries again.
            if let Err(e) = wal.checkpoint() {
                tracing::warn!(error = %e, frames, "writer WAL checkpoint failed");
            }
        } else if frames >= after_frames {
            requester.wal_frames.store(frames, Ordering::Relaxed);
            // Full means a request is already pending: it wakes the thread all the same.
            let _ = requester.wake.try_send(());
        }
        Ok(())
    }))?;
    Ok(())
}
