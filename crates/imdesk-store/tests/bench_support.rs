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

/// CPU seconds (user + system) and scheduler run seconds of the calling thread, as the kernel
/// reports them for it alone.
fn own_readings() -> (f64, f64) {
    let stat = std::fs::read_to_string("/proc/thread-self/stat").unwrap();
    let fields: Vec<f64> = stat
        .rsplit_once(')')
        .unwrap()
        .1
        .split_whitespace()
        .map(|v| v.parse().unwrap_or(0.0))
        .collect();
    let cpu = (fields[11] + fields[12]) / 100.0;
    let run = std::fs::read_to_string("/proc/thread-self/schedstat")
        .ok()
        .and_then(|s| s.split_whitespace().next()?.parse::<f64>().ok())
        .map_or(0.0, |ns| ns / 1e9);
    (cpu, run)
}

/// Spins until the calling thread has used `seconds` of CPU (or 20 s of wall time passed).
fn spin_for_cpu(seconds: f64) {
    let start = std::time::Instant::now();
    let mut x = 0u64;
    while own_readings().0 < seconds && start.elapsed() < std::time::Duration::from_secs(20) {
        for _ in 0..100_000 {
            x = std::hint::black_box(x.wrapping_mul(31).wrapping_add(7));
        }
    }
}

/// The per-thread readings count the live threads whose name has the prefix, and no other:
/// each reading equals what the named thread reports for itself, while a thread of another
/// name burns CPU beside it.
#[test]
fn per_thread_readings_count_the_named_threads_only() {
    use std::sync::mpsc::channel;
    let (spun, spun_rx) = channel();
    let (done, done_rx) = channel::<()>();
    let busy = |name: &str,
                spun: std::sync::mpsc::Sender<(f64, f64)>,
                done: std::sync::mpsc::Receiver<()>| {
        std::thread::Builder::new()
            .name(name.into())
            .spawn(move || {
                spin_for_cpu(0.2);
                spun.send(own_readings()).unwrap();
                // Alive, and idle, until read: /proc lists live threads only.
                let _ = done.recv();
            })
            .unwrap()
    };
    let (other_done, other_done_rx) = channel::<()>();
    let (other_spun, other_spun_rx) = channel();
    let named = busy("bench-spinner", spun, done_rx);
    let other = busy("other-spinner", other_spun, other_done_rx);
    let (own_cpu, own_run) = spun_rx.recv().unwrap();
    other_spun_rx.recv().unwrap();

    let cpu = cpu_seconds_of_threads("bench-spin");
    let (ran, waited) = run_and_wait_seconds_of_threads("bench-spin");
    let none = run_and_wait_seconds_of_threads("no-such-thread");
    for tx in [done, other_done] {
        tx.send(()).unwrap();
    }
    named.join().unwrap();
    other.join().unwrap();

    assert!(own_cpu >= 0.2, "the spinner used {own_cpu} s of CPU");
    // The spinner is idle between its own reading and ours: one clock tick at most apart.
    assert!(
        (cpu - own_cpu).abs() <= 0.011,
        "read {cpu} s, the thread says {own_cpu} s"
    );
    assert_eq!(cpu_seconds_of_threads("no-such-thread"), 0.0);
    assert_eq!(none, (0.0, 0.0));
    if std::path::Path::new("/proc/thread-self/schedstat").exists() {
        assert!(
            (ran - own_run).abs() <= 0.005,
            "read {ran} s, the thread says {own_run} s"
        );
        assert!(waited >= 0.0);
    } else {
        assert_eq!((ran, waited), (0.0, 0.0), "no scheduler statistics here");
    }
}
