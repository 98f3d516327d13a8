//! WAL checkpoints off the writer thread.
//!
//! SQLite's automatic checkpoint runs inside the commit that crosses 1,000 WAL frames: the
//! writer then copies every frame into the database file and waits for two fsyncs before it
//! can answer the batch or start the next one. During an ingest burst that was about a third
//! of the writer's time. Instead, the writer's WAL hook asks a checkpoint thread with its own
//! connection to run a passive checkpoint, which SQLite lets proceed while the writer keeps
//! appending. The WAL restarts from its beginning only when a checkpoint has caught up at the
//! moment of a commit, so past [`WRITER_CHECKPOINT_FRAMES`] the writer checkpoints itself, as
//! the automatic checkpoint would, but copying only what the thread has not yet copied.

use std::ffi::c_int;
use std::path::Path;
use std::thread::JoinHandle;

use crossbeam_channel::{Receiver, Sender};
use rusqlite::hooks::Wal;
use rusqlite::Connection;

use crate::error::{Result, StoreError};

/// WAL frames after which a checkpoint is asked for (SQLite's automatic checkpoint default).
const CHECKPOINT_AFTER_FRAMES: c_int = 1000;

/// WAL frames (≈32 MiB of 4 KiB pages) after which the writer checkpoints itself, right
/// after its commit. While the writer keeps committing, the thread's passive checkpoints
/// rarely catch up at the moment of a commit, which is when the WAL could restart; the
/// writer's own checkpoint then copies only what the thread has not, and the WAL restarts.
const WRITER_CHECKPOINT_FRAMES: c_int = 8 * 1024;

/// The checkpoint thread. It stops when the writer connection (which holds the only sender,
/// in its WAL hook) is closed.
pub(crate) fn start(
    path: &Path,
    busy_timeout: std::time::Duration,
) -> Result<(Sender<()>, JoinHandle<()>)> {
    let conn = Connection::open(path)?;
    // Waits for the writer's brief WAL-index locks instead of failing.
    conn.busy_timeout(busy_timeout)?;
    // One pending request is enough: a checkpoint covers every frame committed before it.
    let (tx, rx) = crossbeam_channel::bounded::<()>(1);
    let handle = std::thread::Builder::new()
        .name("imdesk-store-checkpoint".into())
        .spawn(move || run(&conn, &rx))
        .map_err(StoreError::WriterStart)?;
    Ok((tx, handle))
}

fn run(conn: &Connection, requests: &Receiver<()>) {
    while requests.recv().is_ok() {
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

/// Installs the writer's WAL hook: it replaces SQLite's automatic checkpoint.
pub(crate) fn install_hook(writer: &mut Connection, requests: Sender<()>) -> Result<()> {
    writer.wal_hook(Some(move |wal: &mut Wal, frames: c_int| {
        if frames >= WRITER_CHECKPOINT_FRAMES {
            // An error here would make SQLite report the (already durable) commit as
            // failed, so it is only logged; the next commit tries again.
            if let Err(e) = wal.checkpoint() {
                tracing::warn!(error = %e, frames, "writer WAL checkpoint failed");
            }
        } else if frames >= CHECKPOINT_AFTER_FRAMES {
            // Full means a request is already pending: nothing to add.
            let _ = requests.try_send(());
        }
        Ok(())
    }))?;
    Ok(())
}
