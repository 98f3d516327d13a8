//! The benchmarks' bare baseline writes the rows ingest would: messages, their search rows
//! and the conversations they reference, readable through the store's own queries.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic on failure

mod common;

use common::{customer, merchant, T0};
use imdesk_store::bench_support::{
    bare_insert, cpu_seconds_of_threads, run_and_wait_seconds_of_threads,
};
use imdesk_store::{NewMessage, SearchFilter, Store, StoreOptions};

#[test]
fn bare_insert_writes_messages_search_rows_and_conversations() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bare.sqlite3");
    drop(Store::open(&path, StoreOptions::default()).unwrap());
    let rows = vec![
        customer("s1", 7, 1, T0, "我要申请退款"),
        merchant("s1", 7, 2, T0 + 1, "好的马上处理"),
        customer("s2", 8, 3, T0 + 2, "发票抬头"),
        NewMessage {
            open_user_id: None,
            ..customer("s1", 9, 4, T0 + 3, "no conversation key")
        },
    ];
    let rate = bare_insert(&path, &rows, 2).unwrap();
    assert!(rate.wall > 0.0);

    let store = Store::open(&path, StoreOptions::default()).unwrap();
    let hits = store
        .search("退款".into(), SearchFilter::default())
        .unwrap();
    assert_eq!(hits.len(), 1);
    let history = store.history(hits[0].conversation_id, None, 50).unwrap();
    let ids: Vec<i64> = history.iter().map(|m| m.msg_id).collect();
    assert_eq!(ids, [1, 2], "both messages of (s1, 7) in one conversation");
    assert_eq!(
        store
            .search("发票".into(), SearchFilter::default())
            .unwrap()[0]
            .store,
        "s2"
    );
    let all = store
        .export_messages(&Default::default(), |_| true)
        .unwrap();
    assert_eq!(all, 3, "the row without a conversation key is skipped");
}

/// The per-thread readings find a live thread by its name's prefix and nothing else.
#[test]
fn per_thread_readings_count_the_named_threads_only() {
    let (spun, spun_rx) = std::sync::mpsc::channel();
    let (done, done_rx) = std::sync::mpsc::channel::<()>();
    let spinner = std::thread::Builder::new()
        .name("bench-spinner".into())
        .spawn(move || {
            let start = std::time::Instant::now();
            let mut x = 0u64;
            while start.elapsed() < std::time::Duration::from_millis(300) {
                x = std::hint::black_box(x.wrapping_mul(31).wrapping_add(7));
            }
            spun.send(()).unwrap();
            // Alive until read: /proc lists live threads only.
            let _ = done_rx.recv();
            x
        })
        .unwrap();
    spun_rx.recv().unwrap();
    let cpu = cpu_seconds_of_threads("bench-spin");
    let (ran, waited) = run_and_wait_seconds_of_threads("bench-spin");
    let none = run_and_wait_seconds_of_threads("no-such-thread");
    done.send(()).unwrap();
    spinner.join().unwrap();

    assert!(cpu >= 0.1, "the spinner used {cpu} s of CPU");
    assert_eq!(cpu_seconds_of_threads("no-such-thread"), 0.0);
    assert_eq!(none, (0.0, 0.0));
    if std::path::Path::new("/proc/self/schedstat").exists() {
        // Up to 300 ms of spinning, run or waiting for a core, and no more than that wall.
        assert!(
            ran >= 0.1 && ran + waited <= 1.0,
            "ran {ran} s, waited {waited} s"
        );
    } else {
        assert_eq!((ran, waited), (0.0, 0.0), "no scheduler statistics here");
    }
}
