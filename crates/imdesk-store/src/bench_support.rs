//! The ingest benchmarks' baseline, in one place for every benchmark that needs it (feature
//! `bench-support`; not part of the application).
//!
//! Issue 5 asks for the ingest rate "beside a bare rusqlite batched insert of the same rows
//! into the same schema". [`bare_insert`] is that baseline, defined once:
//!
//! - the same rows: each message row as [`crate::Store::ingest`] would write it, plus its
//!   derived full-text row (skipped when the derived text is empty, as ingest does), plus the
//!   conversation row it references the first time a key appears (key columns only; an
//!   existing row is looked up). That is the least a writer must do for the message rows to
//!   exist in this schema, with its foreign key;
//! - the same schema and pragmas: a file already migrated by `Store::open`, and the writer
//!   connection's own pragmas (WAL, synchronous=NORMAL, foreign keys, page cache);
//! - bare: one connection on the calling thread ([`BareWriter`]), prepared statements, plain
//!   `INSERT`s in transactions of `batch` rows, SQLite's own automatic checkpoints. No
//!   conversation summaries, reply clocks, reply log or duplicate handling.

use std::collections::HashMap;
use std::path::Path;
use std::time::Instant;

use rusqlite::{params, Connection, OptionalExtension};

use crate::conversations::ConversationKey;
use crate::db::writer_pragmas;
use crate::error::Result;
use crate::messages::NewMessage;
use crate::options::StoreOptions;
use crate::search_text::index_text;

/// A throughput: messages per wall-clock second and per CPU second of this process. On a
/// busy machine the CPU figure is the steadier one; both are reported.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Rate {
    /// Messages per wall-clock second.
    pub wall: f64,
    /// Messages per CPU second (user + system, every thread of the process).
    pub cpu: f64,
}

impl Rate {
    /// The rate of `messages` over `wall_secs` and `cpu_secs`.
    pub fn of(messages: usize, wall_secs: f64, cpu_secs: f64) -> Self {
        Self {
            wall: messages as f64 / wall_secs.max(1e-9),
            cpu: messages as f64 / cpu_secs.max(1e-9),
        }
    }

    /// The mean of two runs.
    pub fn mean(a: Self, b: Self) -> Self {
        Self {
            wall: (a.wall + b.wall) / 2.0,
            cpu: (a.cpu + b.cpu) / 2.0,
        }
    }
}

/// CPU seconds used by this process so far (user + system), from `/proc/self/stat`; 0 where
/// that file does not exist.
pub fn cpu_seconds() -> f64 {
    cpu_seconds_in(Path::new("/proc/self/stat"))
}

/// CPU seconds used so far by this process's live threads whose name starts with `prefix`
/// (Linux names are cut to 15 bytes), from `/proc/self/task/*/stat`. Lets a benchmark leave
/// out an in-process stand-in's own work, such as the sandbox platform's threads.
pub fn cpu_seconds_of_threads(prefix: &str) -> f64 {
    threads_named(prefix)
        .map(|task| cpu_seconds_in(&task.join("stat")))
        .sum()
}

/// User + system CPU seconds from a process's or a thread's `stat` file; 0 where it cannot
/// be read.
fn cpu_seconds_in(stat: &Path) -> f64 {
    let stat = std::fs::read_to_string(stat).unwrap_or_default();
    // Fields after the name, which is in parentheses and may hold spaces.
    let rest = stat.rsplit_once(')').map_or("", |(_, rest)| rest);
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|v| v.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    // utime and stime, in clock ticks of 1/100 s on Linux.
    (ticks(11) + ticks(12)) / 100.0
}

/// Seconds that this process's live threads named `prefix…` have run, and have waited,
/// runnable, for a core, from `/proc/self/task/*/schedstat` (nanosecond counters); zeros where
/// the kernel does not keep them. The wait says how long a thread was held back by the other
/// threads on the machine's cores rather than by its own work. Only live threads count: take
/// both readings of a difference while the threads of interest run. Names are cut to 15
/// bytes, so a longer prefix matches nothing.
pub fn run_and_wait_seconds_of_threads(prefix: &str) -> (f64, f64) {
    threads_named(prefix).fold((0.0, 0.0), |(run, wait), task| {
        let stat = std::fs::read_to_string(task.join("schedstat")).unwrap_or_default();
        let mut ns = stat
            .split_whitespace()
            .map(|v| v.parse::<f64>().unwrap_or(0.0) / 1e9);
        (
            run + ns.next().unwrap_or(0.0),
            wait + ns.next().unwrap_or(0.0),
        )
    })
}

/// The `/proc/self/task/<tid>` directories of the live threads whose name starts with `prefix`.
fn threads_named(prefix: &str) -> impl Iterator<Item = std::path::PathBuf> + '_ {
    std::fs::read_dir("/proc/self/task")
        .into_iter()
        .flatten()
        .flatten()
        .map(|task| task.path())
        .filter(move |task| {
            std::fs::read_to_string(task.join("comm"))
                .is_ok_and(|name| name.trim_end().starts_with(prefix))
        })
}

/// A stopwatch of wall and CPU time.
#[derive(Debug, Clone, Copy)]
pub struct Stopwatch {
    wall: Instant,
    cpu: f64,
}

impl Stopwatch {
    /// Starts now.
    pub fn start() -> Self {
        Self {
            wall: Instant::now(),
            cpu: cpu_seconds(),
        }
    }

    /// Wall-clock seconds since the start.
    pub fn seconds(&self) -> f64 {
        self.wall.elapsed().as_secs_f64()
    }

    /// The rate of `messages` since the start.
    pub fn rate(&self, messages: usize) -> Rate {
        Rate::of(
            messages,
            self.wall.elapsed().as_secs_f64(),
            cpu_seconds() - self.cpu,
        )
    }
}

const INSERT_MESSAGE: &str = "INSERT INTO messages (conversation_id, store, biz_type, msg_id,
     msg_source, msg_type, text, raw_content, decrypt_failed, cts_ms, order_id, open_user_id,
     group_id, comment_id, rider_id, scene_tag, scene_name, has_reply, group_name,
     received_at_ms)
 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18,
     ?19, ?20)";

/// Inserts `rows` into the cache file at `path` (already created by `Store::open`, which must
/// be closed) in transactions of `batch` messages, and returns the rate. See the module doc
/// for what exactly is written. Rows that name no conversation are skipped, as ingest skips
/// them; every other row must be new to the file.
pub fn bare_insert(path: &Path, rows: &[NewMessage], batch: usize) -> Result<Rate> {
    let mut writer = BareWriter::open(path)?;
    let watch = Stopwatch::start();
    for chunk in rows.chunks(batch.max(1)) {
        writer.insert(chunk)?;
    }
    Ok(watch.rate(rows.len()))
}

/// The baseline's writer: one connection with the writer's pragmas, and the ids of the
/// conversations it has looked up or created. [`bare_insert`] is this writer fed in batches;
/// a benchmark can also feed it rows as they arrive, one transaction per [`BareWriter::insert`].
#[derive(Debug)]
pub struct BareWriter {
    conn: Connection,
    conversations: HashMap<ConversationKey, i64>,
}

impl BareWriter {
    /// Opens the cache file at `path` (already created by `Store::open`, which must be
    /// closed) with the writer connection's pragmas.
    pub fn open(path: &Path) -> Result<Self> {
        let conn = Connection::open(path)?;
        writer_pragmas(&conn, &StoreOptions::default())?;
        Ok(Self {
            conn,
            conversations: HashMap::new(),
        })
    }

    /// Inserts `rows` in one transaction and commits it. See the module doc for what exactly
    /// is written. Rows that name no conversation are skipped, as ingest skips them; every
    /// other row must be new to the file.
    pub fn insert(&mut self, rows: &[NewMessage]) -> Result<()> {
        let conversations = &mut self.conversations;
        let tx = self.conn.transaction()?;
        {
            let mut select = tx.prepare_cached(
                "SELECT id FROM conversations WHERE store = ?1 AND biz_type = ?2 AND peer_id = ?3",
            )?;
            let mut create = tx.prepare_cached(
                "INSERT INTO conversations (store, biz_type, peer_id, open_user_id, group_id)
                 VALUES (?1, ?2, ?3, ?4, ?5)",
            )?;
            let mut insert = tx.prepare_cached(INSERT_MESSAGE)?;
            let mut search =
                tx.prepare_cached("INSERT INTO message_search (rowid, body) VALUES (?1, ?2)")?;
            for m in rows {
                let Some(key) =
                    ConversationKey::of(&m.store, m.biz_type, m.open_user_id, m.group_id)
                else {
                    continue;
                };
                let conversation = match conversations.get(&key) {
                    Some(&id) => id,
                    None => {
                        let found: Option<i64> = select
                            .query_row(params![key.store, key.biz_type, key.peer_id], |r| r.get(0))
                            .optional()?;
                        let id = match found {
                            Some(id) => id,
                            None => {
                                create.execute(params![
                                    key.store,
                                    key.biz_type,
                                    key.peer_id,
                                    m.open_user_id,
                                    m.group_id
                                ])?;
                                tx.last_insert_rowid()
                            }
                        };
                        conversations.insert(key, id);
                        id
                    }
                };
                let raw = m.text.is_none().then_some(m.msg_content.as_str());
                insert.execute(params![
                    conversation,
                    m.store,
                    m.biz_type,
                    m.msg_id,
                    m.msg_source,
                    m.msg_type,
                    m.text,
                    raw,
                    m.decrypt_failed,
                    m.cts_ms,
                    m.order_id,
                    m.open_user_id,
                    m.group_id,
                    m.comment_id,
                    m.rider_id,
                    m.scene_tag,
                    m.scene_name,
                    m.has_reply,
                    m.group_name,
                    m.received_at_ms
                ])?;
                let message_id = tx.last_insert_rowid();
                if let Some(text) = &m.text {
                    let body = index_text(text);
                    if !body.is_empty() {
                        search.execute(params![message_id, body])?;
                    }
                }
            }
        }
        tx.commit()?;
        Ok(())
    }
}

/// A stored row as ingest input again (for re-inserting exported rows elsewhere).
pub fn as_new_message(m: &crate::messages::MessageRow) -> NewMessage {
    NewMessage {
        store: m.store.clone(),
        biz_type: m.biz_type,
        msg_id: m.msg_id,
        msg_source: m.msg_source,
        msg_type: m.msg_type,
        text: m.text.clone(),
        msg_content: m.raw_content.clone().unwrap_or_default(),
        decrypt_failed: m.decrypt_failed,
        cts_ms: m.cts_ms,
        order_id: m.order_id,
        open_user_id: m.open_user_id,
        group_id: m.group_id,
        comment_id: m.comment_id,
        rider_id: m.rider_id,
        scene_tag: m.scene_tag,
        scene_name: m.scene_name.clone(),
        has_reply: m.has_reply,
        group_name: m.group_name.clone(),
        received_at_ms: m.received_at_ms,
        search_body: None,
    }
}

/// Raw SQL on the store's own connections, for this crate's tests and benchmarks only (the
/// feature is off in the application, which reads and writes through named operations).
impl crate::Store {
    /// Runs `f` on a reader connection (see the private `Store::read`).
    pub fn raw_read<T>(
        &self,
        f: impl FnOnce(&rusqlite::Connection) -> crate::Result<T>,
    ) -> crate::Result<T> {
        self.read(f)
    }

    /// Runs `f` on the writer thread in its own savepoint; returns after the commit.
    pub fn raw_write<T: Send + 'static>(
        &self,
        f: impl FnOnce(&rusqlite::Connection) -> crate::Result<T> + Send + 'static,
    ) -> crate::Result<T> {
        self.write(f)
    }
}

/// p50 and p99 of latency samples in milliseconds (NaN without samples), and how many
/// there were.
pub fn p50_p99_ms(mut v: Vec<std::time::Duration>) -> (f64, f64, usize) {
    if v.is_empty() {
        return (f64::NAN, f64::NAN, 0);
    }
    v.sort();
    let at = |q: f64| quantile(&v, q).as_secs_f64() * 1000.0;
    (at(0.5), at(0.99), v.len())
}

/// The `q` quantile of sorted values, by nearest rank: for an even count the median is the
/// upper middle one.
pub fn quantile<T: Copy>(sorted: &[T], q: f64) -> T {
    sorted[(sorted.len().saturating_sub(1) as f64 * q).round() as usize]
}
