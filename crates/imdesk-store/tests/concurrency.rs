//! One writer, many readers: readers never block or see partial batches; async callers are
//! batched by the writer thread; a panicking job does not take the writer down.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic on failure

mod common;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use common::*;
use imdesk_store::{InboxQuery, SearchFilter, StoreError};

#[test]
fn readers_run_while_the_writer_commits() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    let done = Arc::new(AtomicBool::new(false));
    let readers: Vec<_> = (0..4)
        .map(|_| {
            let store = store.clone();
            let done = Arc::clone(&done);
            std::thread::spawn(move || {
                let mut last_seen = 0;
                let mut reads = 0;
                while !done.load(Ordering::Relaxed) || reads == 0 {
                    // Each batch holds one message per user of 10: a reader sees whole batches.
                    let total: i64 = store
                        .raw_read(|c| {
                            Ok(c.query_row("SELECT count(*) FROM messages", [], |r| r.get(0))?)
                        })
                        .unwrap();
                    assert_eq!(total % 10, 0, "partial batch visible");
                    assert!(total >= last_seen, "count went backwards");
                    last_seen = total;
                    store.inbox(InboxQuery::default(), T0).unwrap();
                    store
                        .search("退款".into(), SearchFilter::default())
                        .unwrap();
                    reads += 1;
                }
                reads
            })
        })
        .collect();
    for batch in 0..50 {
        let msgs = (0..10)
            .map(|u| customer("s1", u, batch * 10 + u, T0 + batch * 1000, "申请退款"))
            .collect();
        store.ingest(msgs).unwrap();
    }
    done.store(true, Ordering::Relaxed);
    for r in readers {
        assert!(r.join().unwrap() > 0);
    }
    assert_eq!(
        store
            .search(
                "退款".into(),
                SearchFilter {
                    limit: 1000,
                    ..Default::default()
                }
            )
            .unwrap()
            .len(),
        500
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn async_writes_from_many_tasks_all_commit() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    let tasks: Vec<_> = (0..200)
        .map(|i| {
            let store = store.clone();
            tokio::spawn(async move {
                store
                    .ingest_async(vec![customer("s1", i % 7, i, T0 + i, "催单")])
                    .await
            })
        })
        .collect();
    for t in tasks {
        t.await.unwrap().unwrap();
    }
    let page = store.inbox_async(InboxQuery::default(), T0).await.unwrap();
    assert_eq!((page.rows.len(), page.total), (7, 7));
    let unread: i64 = page.rows.iter().map(|r| r.conversation.unread_count).sum();
    assert_eq!(unread, 200);
}

#[test]
fn a_failing_or_panicking_job_rolls_back_only_itself() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    let err = store
        .raw_write(|c| -> imdesk_store::Result<()> {
            c.execute("INSERT INTO settings (key, value) VALUES ('a', '1')", [])?;
            Err(StoreError::OutboxNotFound(1))
        })
        .unwrap_err();
    assert!(matches!(err, StoreError::OutboxNotFound(1)));
    let panicked = store.raw_write(|c| -> imdesk_store::Result<()> {
        c.execute("INSERT INTO settings (key, value) VALUES ('b', '1')", [])?;
        panic!("bug in a job")
    });
    assert!(matches!(panicked, Err(StoreError::JobPanicked)));
    store.set_setting("c".into(), "1".into()).unwrap();
    assert_eq!(store.setting("a".into()).unwrap(), None);
    assert_eq!(store.setting("b".into()).unwrap(), None);
    assert_eq!(store.setting("c".into()).unwrap().as_deref(), Some("1"));
}

#[test]
fn an_ingest_failing_midway_leaves_nothing_behind_and_the_writer_goes_on() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    // A trigger on the writer's connection refuses one message, after the batch's first
    // message and its new conversation were written.
    store
        .raw_write(|c| {
            c.execute_batch(
                "CREATE TEMP TRIGGER refuse BEFORE INSERT ON messages WHEN NEW.text = 'refuse'
                 BEGIN SELECT RAISE(ABORT, 'refused'); END;",
            )?;
            Ok(())
        })
        .unwrap();
    let err = store
        .ingest(vec![
            customer("s1", 7, 1, 1_000, "first"),
            customer("s1", 8, 2, 2_000, "refuse"),
        ])
        .unwrap_err();
    assert!(matches!(err, StoreError::IngestFailed(_)), "{err:?}");
    let count = |sql: &'static str| -> i64 {
        store
            .raw_read(move |c| Ok(c.query_row(sql, [], |r| r.get(0))?))
            .unwrap()
    };
    assert_eq!(count("SELECT count(*) FROM messages"), 0);
    assert_eq!(count("SELECT count(*) FROM message_search"), 0);
    assert_eq!(count("SELECT count(*) FROM conversations"), 0);
    assert_eq!(count("SELECT count(*) FROM reply_events"), 0);
    let stored = store
        .ingest(vec![customer("s1", 7, 3, 3_000, "again")])
        .unwrap();
    assert_eq!(stored.len(), 1);
    assert_eq!(count("SELECT count(*) FROM messages"), 1);
    assert_eq!(count("SELECT count(*) FROM conversations"), 1);
}
