//! The writer lock: a second store on the same file is refused with a clear error and writes
//! nothing, the first goes on working, and the lock goes with the store that held it.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{customer, T0};
use imdesk_store::{lock_path, ExportFilter, Store, StoreError, StoreOptions};

fn count(store: &Store) -> u64 {
    store
        .export_messages(&ExportFilter::default(), |_| true)
        .unwrap()
}

#[test]
fn a_second_store_on_the_same_file_is_refused_and_the_first_still_works() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("cache.sqlite3");
    let first = Store::open(&db, StoreOptions::default()).unwrap();
    first
        .ingest(vec![customer("s1", 1, 1, T0, "在吗")])
        .unwrap();
    let wal = db.with_file_name("cache.sqlite3-wal");
    let before = (
        std::fs::metadata(&db).unwrap(),
        std::fs::metadata(&wal).ok(),
    );

    let err = Store::open(&db, StoreOptions::default()).unwrap_err();
    match &err {
        StoreError::Locked {
            db: named,
            lock_file,
            holder,
        } => {
            assert_eq!(named, &db);
            assert_eq!(lock_file, &lock_path(&db));
            assert_eq!(*holder, Some(std::process::id()));
        }
        other => panic!("expected Locked, got {other:?}"),
    }
    let text = err.to_string();
    assert!(text.contains(&db.display().to_string()), "{text}");
    assert!(text.contains("cache.sqlite3.lock"), "{text}");
    assert!(text.contains("imdesk-cli headless"), "{text}");
    // Nothing written by the refused opener: the files are as they were.
    let after = (
        std::fs::metadata(&db).unwrap(),
        std::fs::metadata(&wal).ok(),
    );
    assert_eq!(before.0.len(), after.0.len());
    assert_eq!(before.0.modified().unwrap(), after.0.modified().unwrap());
    assert_eq!(
        before.1.map(|m| m.len()),
        after.1.map(|m| m.len()),
        "the WAL is untouched"
    );

    // The first store still reads and writes.
    first
        .ingest(vec![customer("s1", 1, 2, T0 + 1, "有人吗")])
        .unwrap();
    assert_eq!(count(&first), 2);

    // Once the first is gone (every clone dropped), the file opens again, with its rows.
    let clone = first.clone();
    drop(first);
    assert!(matches!(
        Store::open(&db, StoreOptions::default()),
        Err(StoreError::Locked { .. })
    ));
    drop(clone);
    let reopened = Store::open(&db, StoreOptions::default()).unwrap();
    assert_eq!(count(&reopened), 2);
}

#[test]
fn a_reader_that_asks_for_no_lock_opens_beside_the_writer() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("cache.sqlite3");
    let writer = Store::open(&db, StoreOptions::default()).unwrap();
    writer
        .ingest(vec![customer("s1", 1, 1, T0, "在吗")])
        .unwrap();
    let reader = Store::open(
        &db,
        StoreOptions {
            exclusive: false,
            ..StoreOptions::default()
        },
    )
    .unwrap();
    assert_eq!(count(&reader), 1);
}

#[test]
fn a_lock_file_that_cannot_be_made_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("missing-dir").join("cache.sqlite3");
    let err = Store::open(&db, StoreOptions::default()).unwrap_err();
    assert!(matches!(err, StoreError::LockFile { .. }), "{err:?}");
    assert!(err.to_string().contains("cache.sqlite3.lock"), "{err}");
}

/// An engine restarted in place: the previous store of this process lets go a moment after
/// the new one asks (its last reader finishing), and the new one opens rather than failing.
#[test]
fn a_store_released_a_moment_later_by_this_process_opens() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("cache.sqlite3");
    let first = Store::open(&db, StoreOptions::default()).unwrap();
    let letting_go = std::thread::spawn(move || {
        // A plain thread standing for the previous engine's last reader.
        #[allow(clippy::disallowed_methods)]
        std::thread::sleep(std::time::Duration::from_millis(300));
        drop(first);
    });
    let second = Store::open(&db, StoreOptions::default());
    letting_go.join().unwrap();
    assert!(second.is_ok(), "{:?}", second.err());
}
