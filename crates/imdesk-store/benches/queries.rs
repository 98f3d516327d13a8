//! Reads on a generated cache, each beside a raw baseline measured in the same run:
//! inbox page (top 200 by deadline) vs GROUP BY over messages; last 50 messages vs the bare
//! SQL on the same index; two-character Chinese search vs LIKE and a trigram table; cold open
//! to the first inbox page (in a child process, file cache dropped) vs a bare rusqlite open;
//! RSS of a child process holding the cache and serving queries.
//!
//! `cargo bench -p imdesk-store --bench queries`
//! Sizes: IMDESK_BENCH_MESSAGES (1000000), IMDESK_BENCH_STORES (200),
//! IMDESK_BENCH_CONVERSATIONS (50000). The generated file is kept (IMDESK_BENCH_DB, default in
//! the temp dir) and reused by later runs of the same size. IMDESK_BENCH_TRIGRAM=0 skips the
//! trigram baseline table.
#![allow(clippy::unwrap_used, clippy::expect_used)] // benchmarks abort on failure

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use common::{report, stats, time_n, Cache, Rng};
use imdesk_store::{InboxQuery, SearchFilter, Store, StoreOptions};

/// "Now" of the inbox queries: after every generated message, so clocks are overdue.
const NOW: i64 = i64::MAX / 4;
use rusqlite::Connection;

const SEARCHES: &[(&str, &str)] = &[
    ("退款", "common (~5 %)"),
    ("少送", "medium (~1.5 %)"),
    ("催单", "medium (~1.5 %)"),
    ("发票", "rare (~0.2 %)"),
    ("鳄鱼", "absent"),
];

fn raw(path: &Path) -> Connection {
    let conn = Connection::open(path).unwrap();
    conn.pragma_update(None, "cache_size", -8 * 1024).unwrap();
    conn
}

const RAW_INBOX: &str = "SELECT id, store, biz_type, peer_id, last_msg_at_ms, deadline_ms, \
     last_msg_preview, unread_count FROM conversations ORDER BY inbox_key, id LIMIT 200";

/// Child process: open, first inbox page, print milliseconds. `ours` or `raw`.
fn child_cold(path: &Path, mode: &str) {
    let start = Instant::now();
    let rows = if mode == "ours" {
        let store = Store::open(path, StoreOptions::default()).unwrap();
        store.inbox(InboxQuery::default(), NOW).unwrap().rows.len()
    } else {
        let conn = raw(path);
        let mut stmt = conn.prepare(RAW_INBOX).unwrap();
        stmt.query_map([], |r| r.get::<_, i64>(0)).unwrap().count()
    };
    println!("{:.3} {rows}", start.elapsed().as_secs_f64() * 1000.0);
}

/// Child process: hold the cache and serve a query mix; print peak and current RSS (kB).
fn child_rss(path: &Path, mode: &str) {
    let mut rng = Rng::new(7);
    if mode == "ours" {
        let store = Store::open(path, StoreOptions::default()).unwrap();
        let page = store.inbox(InboxQuery::default(), NOW).unwrap().rows;
        for i in 0..200 {
            store.inbox(InboxQuery::default(), NOW).unwrap();
            store
                .history(page[i % page.len()].conversation.id, None, 50)
                .unwrap();
        }
        for (q, _) in SEARCHES {
            for _ in 0..20 {
                store.search((*q).into(), SearchFilter::default()).unwrap();
            }
        }
        for _ in 0..200 {
            let s = format!("epoi{:04}", rng.below(200));
            store
                .inbox(
                    InboxQuery {
                        store: Some(s),
                        ..Default::default()
                    },
                    NOW,
                )
                .unwrap();
        }
    } else {
        let conn = raw(path);
        for _ in 0..200 {
            let mut stmt = conn.prepare_cached(RAW_INBOX).unwrap();
            let _ = stmt.query_map([], |r| r.get::<_, i64>(0)).unwrap().count();
        }
    }
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find(|l| l.starts_with(name))
            .and_then(|l| l.split_whitespace().nth(1))
            .unwrap_or("0")
            .to_owned()
    };
    println!("{} {}", field("VmHWM:"), field("VmRSS:"));
}

/// Drops the file's pages from the OS cache (GNU dd's nocache), so an open is really cold.
fn drop_file_cache(path: &Path) -> bool {
    let mut ok = true;
    for suffix in ["", "-wal", "-shm"] {
        let file = format!("{}{suffix}", path.display());
        if Path::new(&file).exists() {
            ok &= Command::new("dd")
                .args([
                    format!("if={file}"),
                    "iflag=nocache".into(),
                    "count=0".into(),
                    "status=none".into(),
                ])
                .status()
                .is_ok_and(|s| s.success());
        }
    }
    ok
}

fn run_child(args: &[&str]) -> String {
    let out = Command::new(std::env::current_exe().unwrap())
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "child failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if let Some(pos) = args.iter().position(|a| a == "--child") {
        let path = PathBuf::from(&args[pos + 2]);
        match args[pos + 1].as_str() {
            "cold" => child_cold(&path, &args[pos + 3]),
            _ => child_rss(&path, &args[pos + 3]),
        }
        return;
    }
    let Cache {
        path,
        stores,
        conversations,
        ..
    } = Cache::from_env();
    let size: u64 = ["", "-wal"]
        .iter()
        .filter_map(|s| std::fs::metadata(format!("{}{s}", path.display())).ok())
        .map(|m| m.len())
        .sum();
    println!("database file: {:.0} MB", size as f64 / 1e6);

    let store = Store::open(&path, StoreOptions::default()).unwrap();
    let conn = raw(&path);
    let mut rng = Rng::new(42);

    // Inbox.
    let ours = time_n(1000, |_| {
        assert_eq!(
            store.inbox(InboxQuery::default(), NOW).unwrap().rows.len(),
            200.min(conversations)
        );
    });
    let group_by = time_n(5, |_| {
        let mut stmt = conn
            .prepare_cached(
                "SELECT conversation_id, max(cts_ms) AS last FROM messages
                 GROUP BY conversation_id ORDER BY last DESC LIMIT 200",
            )
            .unwrap();
        let _ = stmt.query_map([], |r| r.get::<_, i64>(0)).unwrap().count();
    });
    report(
        "inbox top 200 by deadline",
        ours,
        "GROUP BY over messages",
        group_by,
    );
    let ours_store = time_n(1000, |_| {
        let s = format!("epoi{:04}", rng.below(stores));
        store
            .inbox(
                InboxQuery {
                    store: Some(s),
                    ..Default::default()
                },
                NOW,
            )
            .unwrap();
    });
    let raw_store_inbox = time_n(1000, |_| {
        let mut stmt = conn
            .prepare_cached(
                "SELECT id, store, biz_type, peer_id, last_msg_at_ms, deadline_ms,
                     last_msg_preview, unread_count FROM conversations WHERE store = ?1
                 ORDER BY inbox_key, id LIMIT 200",
            )
            .unwrap();
        let s = format!("epoi{:04}", rng.below(stores));
        let _ = stmt.query_map([s], |r| r.get::<_, i64>(0)).unwrap().count();
    });
    report(
        "inbox top 200 of one store",
        ours_store,
        "bare SQL, same filter",
        raw_store_inbox,
    );

    // History.
    let conv_ids: Vec<i64> = {
        let mut stmt = conn.prepare("SELECT id FROM conversations").unwrap();
        stmt.query_map([], |r| r.get(0))
            .unwrap()
            .map(Result::unwrap)
            .collect()
    };
    let picks: Vec<i64> = (0..2000)
        .map(|_| conv_ids[rng.below(conv_ids.len())])
        .collect();
    let bare_history = |conversation: i64| {
        let mut stmt = conn
            .prepare_cached(
                "SELECT id, text, cts_ms FROM messages WHERE conversation_id = ?1
                 ORDER BY cts_ms DESC, id DESC LIMIT 50",
            )
            .unwrap();
        let _ = stmt
            .query_map([conversation], |r| r.get::<_, i64>(0))
            .unwrap()
            .count();
    };
    // One untimed pass of both first: the OS file cache (dropped by the previous run's cold
    // open test) and each connection's page cache start alike, instead of the first side
    // warming the pages the second side then reads. Then the two alternate per sample (which
    // one goes first alternates too), so machine noise hits both alike.
    for &conversation in &picks {
        store.history(conversation, None, 50).unwrap();
        bare_history(conversation);
    }
    let (mut ours, mut base) = (Vec::new(), Vec::new());
    for (i, &conversation) in picks.iter().enumerate() {
        let time_ours = || {
            let start = Instant::now();
            store.history(conversation, None, 50).unwrap();
            start.elapsed()
        };
        let time_base = || {
            let start = Instant::now();
            bare_history(conversation);
            start.elapsed()
        };
        if i % 2 == 0 {
            ours.push(time_ours());
            base.push(time_base());
        } else {
            base.push(time_base());
            ours.push(time_ours());
        }
    }
    report(
        "last 50 messages of a conversation (warm)",
        stats(ours),
        "bare SQL, same index",
        stats(base),
    );

    // Search.
    let has_trigram: bool = conn
        .query_row(
            "SELECT count(*) FROM sqlite_master WHERE name = 'bench_trigram'",
            [],
            |r| r.get::<_, i64>(0),
        )
        .unwrap()
        > 0;
    let mut all_ours = Vec::new();
    for (q, what) in SEARCHES {
        let mut hits = 0;
        let mut samples = Vec::new();
        for _ in 0..300 {
            let start = Instant::now();
            hits = store
                .search((*q).into(), SearchFilter::default())
                .unwrap()
                .len();
            samples.push(start.elapsed());
        }
        all_ours.extend(samples.iter().copied());
        let ours = stats(samples);
        let like = time_n(10, |_| {
            let mut stmt = conn
                .prepare_cached(
                    "SELECT id FROM messages WHERE text LIKE ?1 ORDER BY id DESC LIMIT 50",
                )
                .unwrap();
            let _ = stmt
                .query_map([format!("%{q}%")], |r| r.get::<_, i64>(0))
                .unwrap()
                .count();
        });
        report(
            &format!("search {q} {what}, {hits} hits"),
            ours,
            "LIKE '%..%' on messages",
            like,
        );
        if has_trigram {
            let tri = time_n(10, |_| {
                let mut stmt = conn
                    .prepare_cached(
                        "SELECT rowid FROM bench_trigram WHERE text LIKE ?1 ORDER BY rowid DESC LIMIT 50",
                    )
                    .unwrap();
                let _ = stmt
                    .query_map([format!("%{q}%")], |r| r.get::<_, i64>(0))
                    .unwrap()
                    .count();
            });
            report(&format!("search {q}"), ours, "trigram table LIKE", tri);
        }
    }
    let all = stats(all_ours);
    println!(
        "search, all two-character queries together: p50 {:.3} ms p99 {:.3} ms (n={})",
        all.p50, all.p99, all.n
    );
    if has_trigram {
        let ours = time_n(300, |_| {
            store
                .search("申请退款".into(), SearchFilter::default())
                .unwrap();
        });
        let tri = time_n(300, |_| {
            let mut stmt = conn
                .prepare_cached(
                    "SELECT rowid FROM bench_trigram WHERE bench_trigram MATCH '\"申请退款\"' ORDER BY rowid DESC LIMIT 50",
                )
                .unwrap();
            let _ = stmt.query_map([], |r| r.get::<_, i64>(0)).unwrap().count();
        });
        report("search 申请退款 (4 chars)", ours, "trigram MATCH", tri);
    }
    for q in ["退款", "发票"] {
        let ours = time_n(200, |i| {
            let s = format!("epoi{:04}", i % stores);
            store
                .search(
                    q.into(),
                    SearchFilter {
                        store: Some(s),
                        ..Default::default()
                    },
                )
                .unwrap();
        });
        let like = time_n(5, |i| {
            let mut stmt = conn
                .prepare_cached(
                    "SELECT id FROM messages WHERE store = ?2 AND text LIKE ?1 ORDER BY id DESC LIMIT 50",
                )
                .unwrap();
            let _ = stmt
                .query_map(
                    rusqlite::params![format!("%{q}%"), format!("epoi{:04}", i % stores)],
                    |r| r.get::<_, i64>(0),
                )
                .unwrap()
                .count();
        });
        report(
            &format!("search {q} in one store"),
            ours,
            "LIKE + store",
            like,
        );
    }
    drop(store);
    drop(conn);

    // Cold open to the first inbox page, in fresh processes with the file cache dropped.
    let p = path.display().to_string();
    let cold = |mode: &str| {
        let mut samples = Vec::new();
        let mut dropped = true;
        for _ in 0..5 {
            dropped &= drop_file_cache(&path);
            let out = run_child(&["--child", "cold", &p, mode]);
            let ms: f64 = out.split_whitespace().next().unwrap().parse().unwrap();
            samples.push(std::time::Duration::from_secs_f64(ms / 1000.0));
        }
        (stats(samples), dropped)
    };
    let (ours, dropped) = cold("ours");
    let (base, _) = cold("raw");
    report(
        &format!(
            "cold open -> first inbox page{}",
            if dropped { "" } else { " (cache NOT dropped)" }
        ),
        ours,
        "bare rusqlite open + SQL",
        base,
    );
    let rss = |mode: &str| run_child(&["--child", "rss", &p, mode]);
    let (ours, base) = (rss("ours"), rss("raw"));
    let kb = |s: &str, i: usize| {
        s.split_whitespace()
            .nth(i)
            .unwrap_or("0")
            .parse::<f64>()
            .unwrap_or(0.0)
            / 1024.0
    };
    println!(
        "RSS holding the cache after a query mix: ours peak {:.1} MB now {:.1} MB | bare rusqlite inbox-only process peak {:.1} MB now {:.1} MB | peak ratio base/ours {:.2}x, now {:.2}x",
        kb(&ours, 0), kb(&ours, 1), kb(&base, 0), kb(&base, 1),
        kb(&base, 0) / kb(&ours, 0).max(1e-6), kb(&base, 1) / kb(&ours, 1).max(1e-6)
    );
}
