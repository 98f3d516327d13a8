//! The writer's batches, run directly (`run_batch`) so that which jobs share a transaction is
//! fixed by the test rather than by the timing of a queue.

use std::sync::mpsc;

use super::*;
use crate::messages::SOURCE_CUSTOMER;

/// A customer message of one two-party chat; msg_id 99 is refused by the test's trigger.
fn customer(msg_id: i64) -> NewMessage {
    NewMessage {
        store: "store-1".into(),
        biz_type: 1,
        msg_id,
        msg_source: SOURCE_CUSTOMER,
        msg_type: 1,
        text: Some(format!("第{msg_id}条消息")),
        cts_ms: 1_000 + msg_id,
        open_user_id: Some(7),
        scene_tag: -1,
        received_at_ms: 2_000 + msg_id,
        ..NewMessage::default()
    }
}

/// What a job answered, by the job's tag: `Ok(outcomes)` or the error's text.
type Answered = (
    &'static str,
    std::result::Result<Vec<IngestOutcome>, String>,
);
type Answer = mpsc::Sender<Answered>;

fn ingest(tag: &'static str, ids: &[i64], answer: &Answer) -> Job {
    let answer = answer.clone();
    Job::Ingest(IngestJob {
        messages: ids.iter().map(|&id| customer(id)).collect(),
        mark: None,
        reply: Box::new(move |r| {
            let _ = answer.send((tag, r.map_err(|e| e.to_string())));
        }),
    })
}

fn generic(tag: &'static str, sql: &'static str, answer: &Answer) -> Job {
    let answer = answer.clone();
    Job::Generic(Box::new(TypedJob {
        f: move |conn: &Connection| Ok(conn.execute_batch(sql)?),
        reply: Box::new(move |r: Result<()>| {
            let _ = answer.send((tag, r.map(|()| Vec::new()).map_err(|e| e.to_string())));
        }),
    }))
}

struct Writer {
    _dir: tempfile::TempDir,
    conn: Connection,
    state: WriterState,
    clock: ClockPolicy,
}

impl Writer {
    fn open() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let conn = open_writer(&dir.path().join("t.sqlite3"), &StoreOptions::default()).unwrap();
        // A message the cache refuses, to make one ingest fail on demand.
        conn.execute_batch(
            "CREATE TEMP TRIGGER refuse_99 BEFORE INSERT ON messages WHEN NEW.msg_id = 99
             BEGIN SELECT RAISE(ABORT, 'refused by the test'); END;",
        )
        .unwrap();
        Self {
            _dir: dir,
            conn,
            state: WriterState::default(),
            clock: ClockPolicy::default(),
        }
    }

    /// Runs `jobs` as one batch and returns the answers in the order they came.
    fn run(&mut self, jobs: impl FnOnce(&Answer) -> Vec<Job>) -> Vec<Answered> {
        let (tx, rx) = mpsc::channel();
        let batch = jobs(&tx);
        let commits = AtomicU64::new(0);
        run_batch(
            &mut self.conn,
            batch,
            &self.clock,
            &mut self.state,
            &commits,
        );
        assert!(
            self.state.messages.is_empty(),
            "the kept vector is left empty"
        );
        drop(tx);
        rx.into_iter().collect()
    }

    fn stored(&self) -> Vec<i64> {
        let mut stmt = self
            .conn
            .prepare("SELECT msg_id FROM messages ORDER BY msg_id")
            .unwrap();
        let ids = stmt.query_map([], |r| r.get(0)).unwrap();
        ids.map(|id| id.unwrap()).collect()
    }
}

fn inserted(outcomes: &[IngestOutcome]) -> usize {
    outcomes
        .iter()
        .filter(|o| matches!(o, IngestOutcome::Inserted { .. }))
        .count()
}

#[test]
fn each_ingest_job_of_a_batch_gets_its_own_outcomes_around_a_generic_job() {
    let mut w = Writer::open();
    let answers = w.run(|a| {
        vec![
            ingest("first", &[1, 2], a),
            generic(
                "setting",
                "INSERT INTO settings (key, value) VALUES ('k', 'v')",
                a,
            ),
            ingest("second", &[3], a),
            ingest("third", &[2, 4], a),
        ]
    });
    let tags: Vec<&str> = answers.iter().map(|(tag, _)| *tag).collect();
    assert_eq!(tags, ["first", "setting", "second", "third"]);
    let outcomes: Vec<&Vec<IngestOutcome>> =
        answers.iter().map(|(_, r)| r.as_ref().unwrap()).collect();
    assert_eq!(outcomes[0].len(), 2);
    assert_eq!(inserted(outcomes[0]), 2);
    assert!(outcomes[1].is_empty());
    assert_eq!(inserted(outcomes[2]), 1);
    assert_eq!(outcomes[3].len(), 2);
    assert!(
        matches!(outcomes[3][0], IngestOutcome::Duplicate { .. }),
        "msg 2 was stored by the first job of the same batch"
    );
    assert!(matches!(outcomes[3][1], IngestOutcome::Inserted { .. }));
    assert_eq!(w.stored(), [1, 2, 3, 4]);
}

#[test]
fn a_failed_ingest_fails_its_transaction_alone_and_the_next_batch_is_written() {
    let mut w = Writer::open();
    // Ingests alone share the transaction: one refused message fails every job of it.
    let answers = w.run(|a| vec![ingest("a", &[1], a), ingest("b", &[99], a)]);
    assert_eq!(answers.len(), 2);
    assert!(answers.iter().all(|(_, r)| r.is_err()), "{answers:?}");
    assert!(w.stored().is_empty(), "rolled back whole");
    // Beside a generic job, each ingest has its own savepoint: only the refused one fails.
    let answers = w.run(|a| {
        vec![
            ingest("c", &[5], a),
            generic(
                "setting",
                "INSERT INTO settings (key, value) VALUES ('k', 'v')",
                a,
            ),
            ingest("d", &[99, 6], a),
        ]
    });
    let failed: Vec<&str> = answers
        .iter()
        .filter(|(_, r)| r.is_err())
        .map(|(tag, _)| *tag)
        .collect();
    assert_eq!(failed, ["d"]);
    assert_eq!(w.stored(), [5]);
    // The kept vector is reused by the next batch, which is written in full.
    let answers = w.run(|a| vec![ingest("e", &[7, 8, 9], a)]);
    assert_eq!(inserted(answers[0].1.as_ref().unwrap()), 3);
    assert_eq!(w.stored(), [5, 7, 8, 9]);
}

#[test]
fn the_writer_runs_in_wal_with_synchronous_normal_and_readers_only_read() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("pragmas.sqlite3");
    let options = StoreOptions::default();
    let writer = open_writer(&path, &options).unwrap();
    let pragma = |conn: &Connection, name: &str| -> String {
        conn.query_row(&format!("PRAGMA {name}"), [], |r| {
            r.get::<_, rusqlite::types::Value>(0)
        })
        .map(|v| match v {
            rusqlite::types::Value::Integer(i) => i.to_string(),
            rusqlite::types::Value::Text(t) => t,
            other => format!("{other:?}"),
        })
        .unwrap()
    };
    assert_eq!(pragma(&writer, "journal_mode"), "wal");
    assert_eq!(pragma(&writer, "synchronous"), "1", "NORMAL");
    assert_eq!(pragma(&writer, "foreign_keys"), "1");
    let reader = open_reader(&path, &options).unwrap();
    assert_eq!(pragma(&reader, "journal_mode"), "wal", "WAL is the file's");
    assert_eq!(pragma(&reader, "query_only"), "1");
    assert!(reader.execute("DELETE FROM messages", []).is_err());
}

/// A mirror's marks move only over contiguous positions: after a batch that did not commit,
/// the batches behind it store their messages but cannot carry the position past the gap.
#[test]
fn marks_never_pass_a_batch_that_did_not_commit() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path().join("m.sqlite3"), StoreOptions::default()).unwrap();
    let mark = |from, to| {
        Some(Mark {
            key: "pos".into(),
            from,
            to,
        })
    };
    let at = |store: &Store| store.setting("pos".into()).unwrap();
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let commit = |msgs: Vec<NewMessage>, m| {
        rt.block_on(store.ingest_queued_at(msgs, m).unwrap().committed())
    };
    commit(vec![customer(1)], mark(1, 1)).unwrap();
    assert_eq!(at(&store).as_deref(), Some("1"));
    // Positions 2..=3 never committed; 4..=5 arrive: stored, position unmoved.
    commit(vec![customer(4), customer(5)], mark(4, 5)).unwrap();
    assert_eq!(at(&store).as_deref(), Some("1"));
    // Applied again from 2: the position moves over everything.
    commit(vec![customer(2), customer(3)], mark(2, 3)).unwrap();
    commit(vec![customer(4), customer(5)], mark(4, 5)).unwrap();
    assert_eq!(at(&store).as_deref(), Some("5"));
    // Never backwards.
    commit(Vec::new(), mark(2, 3)).unwrap();
    assert_eq!(at(&store).as_deref(), Some("5"));
}

/// A store with one reader that gives its caches back after 300 ms of quiet, holding a
/// 2 MB table to fill a cache with; and that period.
fn store_with_filler() -> (tempfile::TempDir, Store, std::time::Duration) {
    let dir = tempfile::tempdir().unwrap();
    let quiet = std::time::Duration::from_millis(300);
    let store = Store::open(
        dir.path().join("cache.db"),
        StoreOptions {
            readers: 1,
            release_after: Some(quiet),
            ..StoreOptions::default()
        },
    )
    .unwrap();
    store
        .write(|c| {
            c.execute_batch(
                "CREATE TABLE filler(x);
                 WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 5000)
                 INSERT INTO filler SELECT randomblob(400) FROM n;",
            )?;
            Ok(())
        })
        .unwrap();
    (dir, store, quiet)
}

#[test]
fn an_idle_store_gives_the_page_caches_back_after_writes_or_reads() {
    let (_dir, store, quiet) = store_with_filler();
    let scan = |c: &Connection| -> Result<i64> {
        c.query_row("SELECT sum(length(x)) FROM filler", [], |r| {
            r.get::<_, i64>(0)
        })?;
        Ok(cache_used(c))
    };
    // A write (the writer has worked), then a scan that fills the reader's cache.
    store
        .write(|c| Ok(c.execute("DELETE FROM filler WHERE rowid = 1", [])?))
        .unwrap();
    let filled = store.read(scan).unwrap();
    assert!(
        filled > 1_000_000,
        "the scan cached the table: {filled} bytes"
    );
    // The reader's cache once the writer has been quiet for longer than `release_after`.
    // (Looked at until a deadline far beyond `quiet`, so that a slow machine does not fail it;
    // a look is a read, which does not keep the writer from counting the quiet.)
    let reader_cache_after_quiet = || {
        let deadline = std::time::Instant::now() + quiet * 30;
        loop {
            #[allow(clippy::disallowed_methods)] // a plain test thread, no executor
            std::thread::sleep(quiet / 3);
            let now = store.read(|c| Ok(cache_used(c))).unwrap();
            if now < filled / 10 || std::time::Instant::now() >= deadline {
                return now;
            }
        }
    };
    let reader_after = reader_cache_after_quiet();
    assert!(
        reader_after < filled / 10,
        "the idle reader gave its cache back: {reader_after} of {filled} bytes"
    );
    let writer_after = store.write(|c| Ok(cache_used(c))).unwrap();
    assert!(
        writer_after < 200_000,
        "the idle writer gave its cache back: {writer_after} bytes"
    );
    // Reads alone, with nothing written: their cache is given back too. (First a quiet period
    // in which the writer gives back what its last job held.)
    #[allow(clippy::disallowed_methods)] // a plain test thread, no executor
    std::thread::sleep(quiet * 3);
    assert!(store.read(scan).unwrap() > 1_000_000, "scanned again");
    let reader_after = reader_cache_after_quiet();
    assert!(
        reader_after < filled / 10,
        "a cache filled by reads alone was given back: {reader_after} of {filled} bytes"
    );
}

#[test]
fn a_trickle_of_writes_does_not_keep_the_page_caches_forever() {
    let (_dir, store, quiet) = store_with_filler();
    let filled = store
        .read(|c| {
            c.query_row("SELECT sum(length(x)) FROM filler", [], |r| {
                r.get::<_, i64>(0)
            })?;
            Ok(cache_used(c))
        })
        .unwrap();
    assert!(
        filled > 1_000_000,
        "the scan cached the table: {filled} bytes"
    );
    // A write every third of `quiet`: the writer is never quiet for `quiet`. The reader's
    // cache is looked at between writes, until a deadline far beyond the longest hold.
    let deadline = std::time::Instant::now() + quiet * 40;
    let mut reader_now = filled;
    while std::time::Instant::now() < deadline {
        #[allow(clippy::disallowed_methods)] // a plain test thread, no executor
        std::thread::sleep(quiet / 3);
        store
            .write(|c| Ok(c.execute("UPDATE filler SET x = x WHERE rowid = 1", [])?))
            .unwrap();
        reader_now = store.read(|c| Ok(cache_used(c))).unwrap();
        if reader_now < filled / 10 {
            break;
        }
    }
    assert!(
        reader_now < filled / 10,
        "under a trickle of writes the reader's cache was given back: {reader_now} of {filled} bytes"
    );
}

#[test]
fn the_idle_desks_repeated_questions_are_read_from_their_indexes_not_a_scan() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path().join("cache.db"), StoreOptions::default()).unwrap();
    let plan = |sql: &str| -> String {
        store
            .read(|c| {
                // Parameters left unbound (NULL): the plan does not depend on them.
                let mut stmt = c.prepare(&format!("EXPLAIN QUERY PLAN {sql}"))?;
                let mut rows = stmt.raw_query();
                let mut details = Vec::new();
                while let Some(row) = rows.next()? {
                    details.push(row.get::<_, String>(3)?);
                }
                Ok(details.join(" | "))
            })
            .unwrap()
    };
    let receipts = plan(&crate::conversations::unread_receipts_sql());
    assert!(
        receipts.contains("USING INDEX conversations_receipts_pending"),
        "read receipts: {receipts}"
    );
    let orders = plan(crate::desk_tables::ORDERS_TO_FETCH_SQL);
    assert!(
        orders.contains("USING COVERING INDEX conversations_order_activity"),
        "orders: {orders}"
    );
    // The scene an inbox row shows: from the partial index of scene messages, not from every
    // message since the clock started.
    let scenes = plan(&format!(
        "SELECT c.id, s.scene_tag FROM (SELECT id, awaiting_since_ms FROM conversations) c {}",
        crate::inbox::SCENE_JOIN
    ));
    assert!(
        scenes.contains("USING INDEX messages_scenes"),
        "scenes: {scenes}"
    );
    let counts = plan(crate::inbox::STORE_COUNTS_SQL);
    assert!(
        counts.contains("USING COVERING INDEX conversations_counts"),
        "store counts: {counts}"
    );
    // The counts read every store's entries, from the index alone; the pollers read a range.
    for p in [&receipts, &orders] {
        assert!(!p.contains("SCAN"), "no scan: {p}");
    }
    for p in [&receipts, &orders, &counts] {
        assert!(!p.contains("TEMP B-TREE"), "no sort: {p}");
    }
}
