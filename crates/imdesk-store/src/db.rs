//! Connections: one writer connection owned by a dedicated thread that commits in adaptive
//! batches, and a small pool of reader connections. Work reaches them as closures
//! (`store.read(|conn| …)`, `store.write(|conn| …)`), as in Mozilla application-services.

use std::fmt;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, PoisonError, RwLock};
use std::thread::JoinHandle;

use crossbeam_channel::{Receiver, Sender};
use rusqlite::{Connection, OpenFlags, TransactionBehavior};

use crate::checkpoint;
use crate::desk_tables;
use crate::error::{Result, StoreError};
use crate::ingest::{self, IngestOutcome, SummaryCache};
use crate::messages::NewMessage;
use crate::options::{ClockPolicy, StoreOptions};
use crate::schema;

/// A handle to the message cache. Cheap to clone; the writer thread stops when the last clone
/// is dropped (after finishing the jobs already queued).
#[derive(Clone)]
pub struct Store {
    pub(crate) inner: Arc<Inner>,
}

pub(crate) struct Inner {
    jobs: Option<Sender<Job>>,
    writer: Option<JoinHandle<()>>,
    checkpointer: Option<JoinHandle<()>>,
    readers: Arc<ReaderPool>,
    options: SharedOptions,
    /// Write transactions committed so far (see [`Store::commits`]).
    commits: Arc<AtomicU64>,
    pub(crate) path: PathBuf,
    /// Released after the threads above are joined (fields drop after `Drop::drop`), so no
    /// second desk can open the file while this one still commits its last batch.
    _lock: Option<crate::lock::DbLock>,
}

/// The reader connections, lent one at a time. The writer thread also takes the idle ones
/// when it gives the caches back (see [`StoreOptions::release_after`]).
struct ReaderPool {
    give_back: Sender<Connection>,
    lend: Receiver<Connection>,
    /// Whether a read ran since the caches were last given back.
    used: AtomicBool,
}

/// The options as they are now: shared with the writer thread, which reads the clock policy
/// at each ingest, and replaced whole (never changed in place) when the policy changes, so
/// that an operation works with one consistent snapshot.
#[derive(Clone)]
struct SharedOptions(Arc<RwLock<Arc<StoreOptions>>>);

impl SharedOptions {
    fn now(&self) -> Arc<StoreOptions> {
        Arc::clone(&self.0.read().unwrap_or_else(PoisonError::into_inner))
    }
}

impl fmt::Debug for Store {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Store")
            .field("path", &self.inner.path)
            .field("options", &self.options())
            .finish_non_exhaustive()
    }
}

impl Drop for Inner {
    fn drop(&mut self) {
        // Closing the queue lets the writer drain what is queued, commit and exit.
        drop(self.jobs.take());
        if let Some(handle) = self.writer.take() {
            if handle.join().is_err() {
                tracing::error!("store writer thread panicked");
            }
        }
        // The writer's connection held the checkpoint thread's only request sender.
        if let Some(handle) = self.checkpointer.take() {
            if handle.join().is_err() {
                tracing::error!("store checkpoint thread panicked");
            }
        }
    }
}

/// How long a connection waits for another's lock before reporting SQLITE_BUSY.
const BUSY_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(5);

/// Pragmas shared by every connection, each with its reason.
fn common_pragmas(conn: &Connection, cache_kib: i64) -> Result<()> {
    // Another process (imdesk-cli export beside the app) may hold a lock briefly: wait for it
    // instead of failing with SQLITE_BUSY.
    conn.busy_timeout(BUSY_TIMEOUT)?;
    // A bounded page cache: enough for the hot index pages, small enough for the RSS budget.
    conn.pragma_update(None, "cache_size", -cache_kib)?;
    // Sorts and temporary indexes are small; keep them off the disk.
    conn.pragma_update(None, "temp_store", "MEMORY")?;
    Ok(())
}

fn open_writer(path: &Path, options: &StoreOptions) -> Result<Connection> {
    let mut conn = Connection::open(path)?;
    writer_pragmas(&conn, options)?;
    schema::migrate(&mut conn)?;
    Ok(conn)
}

/// The writer connection's pragmas (also applied by the benchmarks' bare baseline, so that
/// both sides write under the same settings).
pub(crate) fn writer_pragmas(conn: &Connection, options: &StoreOptions) -> Result<()> {
    // WAL: readers never block the writer nor the writer them, and a commit is one append.
    conn.pragma_update(None, "journal_mode", "WAL")?;
    // NORMAL is durable against application crashes in WAL mode; a power cut may lose the
    // last commits but never corrupts. It is ~10x faster than FULL on these machines.
    conn.pragma_update(None, "synchronous", "NORMAL")?;
    // Messages, outbox rows and drafts must point at a real conversation.
    conn.pragma_update(None, "foreign_keys", "ON")?;
    // Deleted and overwritten cells are zeroed in their page (no extra I/O, a memset), so
    // that customer text pruned or forgotten does not linger in a live page's free space.
    // Free pages are scrubbed by the deleting jobs themselves (retention.rs).
    conn.pragma_update(None, "secure_delete", "FAST")?;
    // Truncate the WAL after checkpoints so a long ingest burst does not leave a huge file.
    conn.pragma_update(None, "journal_size_limit", 64 * 1024 * 1024)?;
    common_pragmas(conn, options.writer_cache_kib)
}

fn open_reader(path: &Path, options: &StoreOptions) -> Result<Connection> {
    let flags = OpenFlags::SQLITE_OPEN_READ_WRITE
        | OpenFlags::SQLITE_OPEN_URI
        | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let conn = Connection::open_with_flags(path, flags)?;
    // A reader must never write: all writes go through the one writer thread.
    conn.pragma_update(None, "query_only", "ON")?;
    common_pragmas(&conn, options.reader_cache_kib)?;
    Ok(conn)
}

impl Store {
    /// Opens (creating if needed) the cache at `path`, applies pragmas and migrations, starts
    /// the writer thread and the reader pool. Unless [`StoreOptions::exclusive`] is off, first
    /// takes the file's writer lock and fails with [`StoreError::Locked`] if another store holds
    /// it; the lock lives as long as the store.
    pub fn open(path: impl AsRef<Path>, options: StoreOptions) -> Result<Self> {
        let path = path.as_ref().to_path_buf();
        // Before SQLite touches the file: a refused opener must not have written anything.
        let lock = options
            .exclusive
            .then(|| crate::lock::acquire(&path))
            .transpose()?;
        let mut writer = open_writer(&path, &options)?;
        let (checkpoints, checkpointer) =
            checkpoint::start(&path, BUSY_TIMEOUT, options.checkpoint)?;
        checkpoint::install_hook(&mut writer, checkpoints, &options.checkpoint)?;
        let (give_back, lend) = crossbeam_channel::bounded(options.readers.max(1));
        for _ in 0..options.readers.max(1) {
            let conn = open_reader(&path, &options)?;
            // The channel has room for exactly these connections.
            let _ = give_back.send(conn);
        }
        let readers = Arc::new(ReaderPool {
            give_back,
            lend,
            used: AtomicBool::new(false),
        });
        options.clock.validate()?;
        let (jobs_tx, jobs_rx) = crossbeam_channel::unbounded::<Job>();
        let max_batch = options.max_batch_jobs.max(1);
        let shared = SharedOptions(Arc::new(RwLock::new(Arc::new(options))));
        let commits = Arc::new(AtomicU64::new(0));
        let handle = std::thread::Builder::new()
            .name("imdesk-store-writer".into())
            .spawn({
                let options = shared.clone();
                let readers = readers.clone();
                let commits = commits.clone();
                move || writer_loop(writer, jobs_rx, max_batch, &options, &readers, &commits)
            })
            .map_err(StoreError::WriterStart)?;
        Ok(Self {
            inner: Arc::new(Inner {
                jobs: Some(jobs_tx),
                writer: Some(handle),
                checkpointer: Some(checkpointer),
                readers,
                options: shared,
                commits,
                path,
                _lock: lock,
            }),
        })
    }

    /// How many write transactions this store has committed since it opened. Every change to
    /// the database goes through the writer, which counts a transaction once it is committed:
    /// a read that starts after seeing `n` sees at least those `n` transactions, and a count
    /// still at `n` after the read means nothing changed since it started (a cache of a
    /// read's result is current while the count has not moved).
    pub fn commits(&self) -> u64 {
        self.inner.commits.load(Ordering::Acquire)
    }

    /// The options as they are now: those of the open, with the current clock policy.
    pub fn options(&self) -> Arc<StoreOptions> {
        self.inner.options.now()
    }

    /// The reply-clock policy in force.
    pub fn clock_policy(&self) -> ClockPolicy {
        self.options().clock.clone()
    }

    /// Replaces the reply-clock policy (after [`ClockPolicy::validate`]). Every message the
    /// writer ingests after this call returns gets its deadline from the new policy, and
    /// [`Store::reply_rates`] judges by its windows; clocks already running keep their stored
    /// deadlines, which the inbox and alerts read as they are. Not persisted: the engine owns
    /// the setting and sets it again at each start.
    pub fn set_clock_policy(&self, policy: ClockPolicy) -> Result<()> {
        policy.validate()?;
        let mut current = self
            .inner
            .options
            .0
            .write()
            .unwrap_or_else(PoisonError::into_inner);
        let mut next = StoreOptions::clone(&current);
        next.clock = policy;
        *current = Arc::new(next);
        Ok(())
    }

    /// Runs `f` on a reader connection of the pool, blocking the calling thread (do not call
    /// from an async executor thread; use [`Store::read_async`] there).
    pub(crate) fn read<T>(&self, f: impl FnOnce(&Connection) -> Result<T>) -> Result<T> {
        let pool = &self.inner.readers;
        let conn = pool.lend.recv().map_err(|_| StoreError::WriterGone)?;
        pool.used.store(true, Ordering::Relaxed);
        let lease = Lease {
            conn: Some(conn),
            give_back: &pool.give_back,
        };
        match &lease.conn {
            Some(conn) => f(conn),
            None => Err(StoreError::WriterGone),
        }
    }

    /// Runs `f` on a reader connection inside `tokio::task::spawn_blocking`.
    pub(crate) async fn read_async<T: Send + 'static>(
        &self,
        f: impl FnOnce(&Connection) -> Result<T> + Send + 'static,
    ) -> Result<T> {
        let store = self.clone();
        tokio::task::spawn_blocking(move || store.read(f))
            .await
            .map_err(|e| StoreError::ReaderTask(e.to_string()))?
    }

    /// Queues `f` for the writer thread and blocks until its batch is committed. `f` runs
    /// inside a savepoint of the batch transaction: an error rolls back only its own writes.
    pub(crate) fn write<T: Send + 'static>(
        &self,
        f: impl FnOnce(&Connection) -> Result<T> + Send + 'static,
    ) -> Result<T> {
        let (tx, rx) = crossbeam_channel::bounded(1);
        self.submit(f, move |r| {
            let _ = tx.send(r);
        })?;
        rx.recv().map_err(|_| StoreError::WriterGone)?
    }

    /// Queues `f` for the writer thread; resolves once its batch is committed.
    pub(crate) async fn write_async<T: Send + 'static>(
        &self,
        f: impl FnOnce(&Connection) -> Result<T> + Send + 'static,
    ) -> Result<T> {
        let (tx, rx) = tokio::sync::oneshot::channel();
        self.submit(f, move |r| {
            let _ = tx.send(r);
        })?;
        rx.await.map_err(|_| StoreError::WriterGone)?
    }

    fn submit<T: Send + 'static>(
        &self,
        f: impl FnOnce(&Connection) -> Result<T> + Send + 'static,
        reply: impl FnOnce(Result<T>) + Send + 'static,
    ) -> Result<()> {
        let job: Box<dyn WriteJob> = Box::new(TypedJob {
            f,
            reply: Box::new(reply),
        });
        self.send(Job::Generic(job))
    }

    fn send(&self, job: Job) -> Result<()> {
        match &self.inner.jobs {
            Some(jobs) => jobs.send(job).map_err(|_| StoreError::WriterGone),
            None => Err(StoreError::WriterGone),
        }
    }

    /// Stores a batch of messages in one transaction (see [`IngestOutcome`]) and blocks until
    /// it is committed, so that no event about them leaves the core before they are durable.
    pub fn ingest(&self, messages: Vec<NewMessage>) -> Result<Vec<IngestOutcome>> {
        let (tx, rx) = crossbeam_channel::bounded(1);
        self.send(Job::Ingest(IngestJob {
            messages,
            mark: None,
            reply: Box::new(move |r| {
                let _ = tx.send(r);
            }),
        }))?;
        rx.recv().map_err(|_| StoreError::WriterGone)?
    }

    /// Async form of [`Store::ingest`]: resolves after the commit, never blocks the executor.
    /// Calls queued together are merged into one write of one transaction (FTS5 flushes its
    /// pending index at every savepoint, so one per call would cost a third of the rate): a
    /// savepoint when the transaction holds other jobs too, the transaction itself when not.
    /// If that merged write fails, every call in it gets the error.
    pub async fn ingest_async(&self, messages: Vec<NewMessage>) -> Result<Vec<IngestOutcome>> {
        self.ingest_queued(messages)?.committed().await
    }

    /// Puts a batch on the writer's queue now, behind every batch queued before it, and
    /// returns a handle that resolves once it is committed. A caller can queue the next batch
    /// while this one commits (the writer merges what is queued), yet still learn of each
    /// commit in order and announce nothing before it.
    pub fn ingest_queued(&self, messages: Vec<NewMessage>) -> Result<QueuedIngest> {
        self.ingest_queued_at(messages, None)
    }

    /// [`Store::ingest_queued`] that also sets a setting in the same transaction: a team
    /// desk's mirror commits the last stream sequence it applied with the messages up to it,
    /// so that a crash can neither skip nor lose a message. `messages` may be empty.
    pub fn ingest_queued_at(
        &self,
        messages: Vec<NewMessage>,
        mark: Option<Mark>,
    ) -> Result<QueuedIngest> {
        let (tx, rx) = tokio::sync::oneshot::channel();
        self.send(Job::Ingest(IngestJob {
            messages,
            mark,
            reply: Box::new(move |r| {
                let _ = tx.send(r);
            }),
        }))?;
        Ok(QueuedIngest { committed: rx })
    }
}

/// A batch on the writer's queue (see [`Store::ingest_queued`]).
#[derive(Debug)]
#[must_use = "a queued batch is only known durable once `committed` resolves"]
pub struct QueuedIngest {
    committed: tokio::sync::oneshot::Receiver<Result<Vec<IngestOutcome>>>,
}

impl QueuedIngest {
    /// Resolves after the batch's transaction is committed, with one outcome per message.
    pub async fn committed(self) -> Result<Vec<IngestOutcome>> {
        self.committed.await.map_err(|_| StoreError::WriterGone)?
    }
}

/// Returns a reader connection to the pool even if the closure panicked.
struct Lease<'a> {
    conn: Option<Connection>,
    give_back: &'a Sender<Connection>,
}

impl Drop for Lease<'_> {
    fn drop(&mut self) {
        if let Some(conn) = self.conn.take() {
            let _ = self.give_back.send(conn);
        }
    }
}

/// What the writer thread receives.
enum Job {
    /// Any closure, run in its own savepoint.
    Generic(Box<dyn WriteJob>),
    /// Messages to ingest; consecutive ingest jobs share one savepoint (or the transaction
    /// itself, when it holds nothing else).
    Ingest(IngestJob),
}

/// A position written in the same transaction as an ingest (see [`Store::ingest_queued_at`]):
/// the setting `key` moves to `to` only when it already stands at `from - 1` or beyond, and
/// below `to`. A team desk's mirror marks each batch with the stream sequences it covers, so
/// that a batch that failed to commit (a full disk) is never skipped by the batches after it:
/// their marks do not move until the mirror has applied the failed records again.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mark {
    /// The setting's key.
    pub key: String,
    /// The first position the batch covers.
    pub from: u64,
    /// The last position the batch covers.
    pub to: u64,
}

struct IngestJob {
    messages: Vec<NewMessage>,
    mark: Option<Mark>,
    reply: Box<dyn FnOnce(Result<Vec<IngestOutcome>>) + Send>,
}

/// What the writer calls after the batch commit: `None` when it succeeded.
type Ack = Box<dyn FnOnce(Option<&Arc<rusqlite::Error>>) + Send>;

trait WriteJob: Send {
    /// Runs the job on the open transaction and returns how to answer once committed.
    fn run(self: Box<Self>, conn: &mut rusqlite::Transaction<'_>) -> Ack;
    /// Answers without running (the batch could not start).
    fn fail(self: Box<Self>, error: Arc<rusqlite::Error>);
}

struct TypedJob<F, T> {
    f: F,
    reply: Box<dyn FnOnce(Result<T>) + Send>,
}

impl<F, T> WriteJob for TypedJob<F, T>
where
    F: FnOnce(&Connection) -> Result<T> + Send + 'static,
    T: Send + 'static,
{
    fn run(self: Box<Self>, tx: &mut rusqlite::Transaction<'_>) -> Ack {
        let TypedJob { f, reply } = *self;
        let result = run_in_savepoint(tx, f);
        // A job that failed answers with its own error even when the commit fails after it:
        // SQLite rolls the whole transaction back on some errors (SQLITE_FULL), and "no
        // transaction is active" would hide the cause.
        Box::new(move |commit_error| match (commit_error, result) {
            (_, Err(own)) => reply(Err(own)),
            (None, ok) => reply(ok),
            (Some(e), Ok(_)) => reply(Err(StoreError::CommitFailed(Arc::clone(e)))),
        })
    }

    fn fail(self: Box<Self>, error: Arc<rusqlite::Error>) {
        (self.reply)(Err(StoreError::CommitFailed(error)));
    }
}

/// Where an ingest's writes are undone if it fails, and whether it may use the summary cache.
enum Scope<'a> {
    /// Its own savepoint: the rest of the transaction stands. No cache.
    Savepoint,
    /// The whole transaction, which holds nothing else: the caller rolls it back.
    Transaction(&'a mut SummaryCache),
}

/// Runs `f` on the transaction itself; on failure the caller must roll the transaction back.
fn run_guarded<T>(
    tx: &mut rusqlite::Transaction<'_>,
    f: impl FnOnce(&Connection) -> Result<T>,
) -> Result<T> {
    // A panicking job must not take the writer (and every later write) down with it.
    catch_unwind(AssertUnwindSafe(|| f(tx))).unwrap_or_else(|_| {
        tracing::error!("store write job panicked; its transaction is rolled back");
        Err(StoreError::JobPanicked)
    })
}

fn run_in_savepoint<T>(
    tx: &mut rusqlite::Transaction<'_>,
    f: impl FnOnce(&Connection) -> Result<T>,
) -> Result<T> {
    let savepoint = tx.savepoint()?;
    // A panicking job must not take the writer (and every later write) down with it.
    let outcome = catch_unwind(AssertUnwindSafe(|| f(&savepoint)));
    match outcome {
        Ok(Ok(value)) => {
            savepoint.commit()?;
            Ok(value)
        }
        // Dropping the savepoint rolls back this job's writes only.
        Ok(Err(e)) => Err(e),
        Err(_) => {
            tracing::error!("store write job panicked; its writes were rolled back");
            Err(StoreError::JobPanicked)
        }
    }
}

/// What the writer thread keeps from one batch to the next.
#[derive(Default)]
struct WriterState {
    /// Conversation summaries as the last ingest left them.
    cache: SummaryCache,
    /// The messages of a transaction's ingest jobs, gathered into one slice. Emptied after
    /// each ingest but kept allocated: with a fresh vector of a thousand messages for every
    /// batch, the allocator mapping and zeroing new pages was about 5 % of the writer's time
    /// in one profile of the pipeline bench.
    messages: Vec<NewMessage>,
}

/// Messages whose room the writer keeps between batches (about a megabyte); a larger
/// transaction's vector is given back once it has been used.
const KEPT_MESSAGE_ROOM: usize = 4096;

fn writer_loop(
    mut conn: Connection,
    jobs: Receiver<Job>,
    max_batch: usize,
    options: &SharedOptions,
    readers: &ReaderPool,
    commits: &AtomicU64,
) {
    let mut state = WriterState::default();
    let release_after = options.now().release_after;
    // Whether the writer wrote, or a reader kept its cache, since the caches were last given
    // back (reads are told by the pool's `used`).
    let mut held = false;
    // When the caches were last given back, or found with nothing to give.
    let mut released_at = std::time::Instant::now();
    // Adaptive batching: block for the first job, then take whatever else is already queued,
    // and commit once. Under load batches grow by themselves; when idle, latency stays low.
    loop {
        let first = match release_after {
            // Idle, the writer wakes once per `quiet` to see whether there is a cache to give back.
            Some(quiet) => match jobs.recv_timeout(quiet) {
                Ok(job) => job,
                Err(crossbeam_channel::RecvTimeoutError::Timeout) => {
                    held = give_back_if_held(&conn, readers, held);
                    released_at = std::time::Instant::now();
                    continue;
                }
                Err(crossbeam_channel::RecvTimeoutError::Disconnected) => break,
            },
            None => match jobs.recv() {
                Ok(job) => job,
                Err(_) => break,
            },
        };
        held = true;
        let mut batch = vec![first];
        while batch.len() < max_batch {
            match jobs.try_recv() {
                Ok(job) => batch.push(job),
                Err(_) => break,
            }
        }
        run_batch(&mut conn, batch, &options.now().clock, &mut state, commits);
        // A trickle of writes (a quiet desk's few messages a minute) never leaves the writer
        // quiet for `release_after`: the caches are given back at the latest this long after
        // the last time.
        if let Some(quiet) = release_after {
            if released_at.elapsed() >= quiet * LONGEST_HOLD_PERIODS {
                held = give_back_if_held(&conn, readers, held);
                released_at = std::time::Instant::now();
            }
        }
    }
    // Keep the planner's statistics fresh for the next start.
    if let Err(e) = conn.execute_batch("PRAGMA optimize") {
        tracing::warn!(error = %e, "PRAGMA optimize failed on close");
    }
}

/// Under a steady trickle of writes, the caches are given back at the latest after this many
/// `release_after` periods (see [`StoreOptions::release_after`]).
const LONGEST_HOLD_PERIODS: u32 = 5;

/// Gives the caches back when something may hold them: `held` (the writer wrote, or a reader
/// in use kept its cache, since the last time) or a read since then (the pool's `used`).
/// Returns whether a cache is still held (a reader was in use).
fn give_back_if_held(writer: &Connection, readers: &ReaderPool, held: bool) -> bool {
    let read = readers.used.swap(false, Ordering::Relaxed);
    if held || read {
        !release_memory(writer, readers)
    } else {
        false
    }
}

/// Gives the page caches of every reader not in use and of the writer back to the allocator,
/// then glibc's free pages back to the system (see [`StoreOptions::release_after`]). Returns
/// whether every reader was idle: one in use keeps its cache until the next call. The idle
/// readers go back to the pool before the writer's cache is released, so a read that wants
/// one meanwhile waits for the readers' release only.
fn release_memory(writer: &Connection, readers: &ReaderPool) -> bool {
    let idle: Vec<Connection> = readers.lend.try_iter().collect();
    let all = idle.len() == readers.lend.capacity().unwrap_or(0);
    if tracing::enabled!(tracing::Level::DEBUG) {
        let readers_kib: Vec<i64> = idle.iter().map(|c| cache_used(c) / 1024).collect();
        tracing::debug!(
            writer_kib = cache_used(writer) / 1024,
            ?readers_kib,
            "store: giving the page caches back"
        );
    }
    for conn in idle {
        if let Err(e) = conn.release_memory() {
            tracing::debug!(error = %e, "sqlite3_db_release_memory failed on a reader");
        }
        // The pool has room for every connection it lent.
        let _ = readers.give_back.send(conn);
    }
    if let Err(e) = writer.release_memory() {
        tracing::debug!(error = %e, "sqlite3_db_release_memory failed on the writer");
    }
    trim_heap();
    all
}

/// The bytes a connection's page cache holds (`SQLITE_DBSTATUS_CACHE_USED`); 0 when SQLite
/// cannot tell.
#[allow(unsafe_code)] // one status query on a live connection's handle
pub(crate) fn cache_used(conn: &Connection) -> i64 {
    let (mut current, mut highwater) = (0, 0);
    // SAFETY: the handle belongs to `conn`, which outlives the call; the two out-pointers
    // are valid for writes, and resetting the high-water mark (the last argument) is off.
    let rc = unsafe {
        rusqlite::ffi::sqlite3_db_status(
            conn.handle(),
            rusqlite::ffi::SQLITE_DBSTATUS_CACHE_USED,
            &mut current,
            &mut highwater,
            0,
        )
    };
    if rc == rusqlite::ffi::SQLITE_OK {
        i64::from(current)
    } else {
        0
    }
}

/// Returns the C heap's free pages to the system: SQLite's pages are freed one by one, all
/// over glibc's arenas, and `free` alone gives back only a heap's top.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
#[allow(unsafe_code)] // one libc call without arguments that point anywhere
fn trim_heap() {
    // SAFETY: malloc_trim only walks glibc's own arenas.
    unsafe {
        libc::malloc_trim(0);
    }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn trim_heap() {}

fn run_batch(
    conn: &mut Connection,
    batch: Vec<Job>,
    clock: &ClockPolicy,
    state: &mut WriterState,
    commits: &AtomicU64,
) {
    let WriterState { cache, messages } = state;
    let mut tx = match conn.transaction_with_behavior(TransactionBehavior::Immediate) {
        Ok(tx) => tx,
        Err(e) => {
            let e = Arc::new(e);
            for job in batch {
                match job {
                    Job::Generic(job) => job.fail(Arc::clone(&e)),
                    Job::Ingest(job) => {
                        (job.reply)(Err(StoreError::CommitFailed(Arc::clone(&e))));
                    }
                }
            }
            return;
        }
    };
    // A transaction of ingests alone needs no savepoint: if they fail, rolling the whole
    // transaction back undoes exactly their writes. The savepoint's statement journal (a copy
    // of every page the ingest changes) was a few percent of the writer's time in a burst.
    let alone = batch.iter().all(|job| matches!(job, Job::Ingest(_)));
    if alone {
        cache.check_other_writers(&tx);
    } else {
        // Another job may change conversations behind the cached summaries.
        cache.clear();
    }
    let mut acks: Vec<Ack> = Vec::with_capacity(batch.len());
    let mut ingests: Vec<IngestJob> = Vec::new();
    for job in batch {
        match job {
            Job::Ingest(job) => ingests.push(job),
            Job::Generic(job) => {
                // Keep queue order: ingests queued before this job are written first.
                if !ingests.is_empty() {
                    let jobs = std::mem::take(&mut ingests);
                    acks.extend(run_ingests(&mut tx, jobs, clock, Scope::Savepoint, messages).0);
                }
                acks.push(job.run(&mut tx));
            }
        }
    }
    if alone {
        let (ingest_acks, written) =
            run_ingests(&mut tx, ingests, clock, Scope::Transaction(cache), messages);
        if !written {
            cache.clear();
            // Each job already carries its error; dropping the transaction rolls it back.
            drop(tx);
            ingest_acks.into_iter().for_each(|ack| ack(None));
            return;
        }
        acks.extend(ingest_acks);
    } else if !ingests.is_empty() {
        acks.extend(run_ingests(&mut tx, ingests, clock, Scope::Savepoint, messages).0);
    }
    match tx.commit() {
        Ok(()) => {
            // Counted before the jobs hear of it: whoever learns of a write sees the count move.
            commits.fetch_add(1, Ordering::Release);
            acks.into_iter().for_each(|ack| ack(None));
        }
        Err(e) => {
            cache.clear();
            tracing::error!(error = %e, jobs = acks.len(), "store batch commit failed");
            let e = Arc::new(e);
            acks.into_iter().for_each(|ack| ack(Some(&e)));
        }
    }
}

/// Runs consecutive ingest jobs as one write (see [`Scope`]) and splits the outcomes back per
/// job; also says whether the write succeeded. `all` is the writer's kept vector for the
/// jobs' messages (see [`WriterState::messages`]); it is left empty.
fn run_ingests(
    tx: &mut rusqlite::Transaction<'_>,
    jobs: Vec<IngestJob>,
    clock: &ClockPolicy,
    scope: Scope<'_>,
    all: &mut Vec<NewMessage>,
) -> (Vec<Ack>, bool) {
    let sizes: Vec<usize> = jobs.iter().map(|j| j.messages.len()).collect();
    debug_assert!(
        all.is_empty(),
        "the kept vector is left empty after each ingest"
    );
    all.reserve(sizes.iter().sum());
    let mut replies = Vec::with_capacity(jobs.len());
    // Applied in queue order, each against the position the previous one left.
    let mut marks: Vec<Mark> = Vec::new();
    for job in jobs {
        all.extend(job.messages);
        replies.push(job.reply);
        marks.extend(job.mark);
    }
    let all_ref: &[NewMessage] = all;
    let write_marks = |conn: &Connection| -> Result<()> {
        for m in &marks {
            desk_tables::advance_mark(conn, m)?;
        }
        Ok(())
    };
    let result = match scope {
        // Beside other jobs, which may change conversations: no cached summaries.
        Scope::Savepoint => run_in_savepoint(tx, |conn| {
            let outcomes = ingest::ingest_batch(conn, clock, all_ref, None)?;
            write_marks(conn)?;
            Ok(outcomes)
        }),
        Scope::Transaction(cache) => run_guarded(tx, |conn| {
            let outcomes = ingest::ingest_batch(conn, clock, all_ref, Some(cache))?;
            write_marks(conn)?;
            Ok(outcomes)
        }),
    };
    let written = result.is_ok();
    all.clear();
    if all.capacity() > KEPT_MESSAGE_ROOM {
        all.shrink_to(KEPT_MESSAGE_ROOM);
    }
    let shared_error = match &result {
        Err(e) => Some(Arc::new(e.to_string())),
        Ok(_) => None,
    };
    let mut outcomes = result.unwrap_or_default().into_iter();
    let acks = sizes
        .into_iter()
        .zip(replies)
        .map(|(size, reply)| {
            let mine: Vec<IngestOutcome> = outcomes.by_ref().take(size).collect();
            let shared_error = shared_error.clone();
            let ack: Ack = Box::new(move |commit_error| match (commit_error, shared_error) {
                (Some(e), _) => reply(Err(StoreError::CommitFailed(Arc::clone(e)))),
                (None, Some(message)) => reply(Err(StoreError::IngestFailed(message))),
                (None, None) => reply(Ok(mine)),
            });
            ack
        })
        .collect();
    (acks, written)
}

#[cfg(test)]
#[path = "db_tests.rs"]
mod tests;
