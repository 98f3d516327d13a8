//! The database's writer lock: an exclusive advisory lock on `<database>.lock` beside the
//! SQLite file, held for as long as the [`crate::Store`] lives.
//!
//! SQLite's own locking lets two processes write one file in turn, which is exactly what must
//! not happen here: two desks on one cache would each open their own push sockets, ingest the
//! same frames and send each other's outbox rows. The lock makes the second opener fail before
//! it opens (let alone writes) the database. It is the OS's advisory lock on an open file
//! (`flock` on Unix, `LockFileEx` on Windows, through `std::fs::File::try_lock`), so it is
//! released by the kernel when the holder exits, even by `kill -9`: no stale lock to clean up.

use std::fs::{File, OpenOptions, TryLockError};
use std::io::{Read as _, Seek as _, SeekFrom, Write as _};
use std::path::{Path, PathBuf};

use crate::error::{Result, StoreError};

/// A held lock; dropping it releases the lock (the file is closed).
#[derive(Debug)]
pub(crate) struct DbLock {
    _file: File,
}

/// The lock file of the database at `db`: the file name with `.lock` appended.
pub fn lock_path(db: &Path) -> PathBuf {
    let mut name = db.file_name().unwrap_or_default().to_os_string();
    name.push(".lock");
    db.with_file_name(name)
}

/// How long a lock held by this same process is waited for.
const SAME_PROCESS_PATIENCE: std::time::Duration = std::time::Duration::from_secs(3);

/// Takes the lock of the database at `db`, or says who holds it. Blocks only while this same
/// process holds it, for at most [`SAME_PROCESS_PATIENCE`].
pub(crate) fn acquire(db: &Path) -> Result<DbLock> {
    let path = lock_path(db);
    let io_error = |source| StoreError::LockFile {
        path: path.clone(),
        source,
    };
    // Not truncated at open: the holder's pid in it is what the refusal reports.
    let mut file = OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(&path)
        .map_err(io_error)?;
    // Held by this very process: an engine that just shut down here (a restart in place) is
    // still letting go of its last handles (a reader finishing on the blocking pool). It gets
    // a moment; another process's hold is refused at once.
    let patience = std::time::Instant::now() + SAME_PROCESS_PATIENCE;
    loop {
        match file.try_lock() {
            Ok(()) => break,
            Err(TryLockError::WouldBlock) => {
                let holder = holder_pid(&mut file);
                if holder == Some(std::process::id()) && std::time::Instant::now() < patience {
                    // Store::open runs off the async executor (the engine opens the store
                    // in spawn_blocking).
                    #[allow(clippy::disallowed_methods)]
                    std::thread::sleep(std::time::Duration::from_millis(20));
                    continue;
                }
                return Err(StoreError::Locked {
                    db: db.to_path_buf(),
                    lock_file: path.clone(),
                    holder,
                });
            }
            Err(TryLockError::Error(e)) => return Err(io_error(e)),
        }
    }
    // The pid is only a hint for the person reading the refusal; the lock itself is the truth,
    // so failing to write it is not an error.
    let _ = file
        .set_len(0)
        .and_then(|()| file.seek(SeekFrom::Start(0)))
        .and_then(|_| writeln!(file, "{}", std::process::id()))
        .and_then(|()| file.flush());
    // The file is left in place on drop: deleting it would let a third process lock a fresh
    // file while a second still waits on the unlinked one.
    Ok(DbLock { _file: file })
}

/// The pid the holder wrote, when it can be read (Windows' locks are mandatory: it cannot).
fn holder_pid(file: &mut File) -> Option<u32> {
    let mut text = String::new();
    file.seek(SeekFrom::Start(0)).ok()?;
    file.read_to_string(&mut text).ok()?;
    text.trim().parse().ok()
}
