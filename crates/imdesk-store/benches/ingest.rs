//! Ingest throughput: `Store::ingest` (message + bigram search row + conversation summary +
//! reply clock + reply log, through the writer thread) beside a bare rusqlite batched insert
//! of the same message and search rows into the same schema, measured in the same run.
//!
//! `cargo bench -p imdesk-store --bench ingest`
//! Sizes: IMDESK_BENCH_INGEST (messages, default 200000), IMDESK_BENCH_STORES (200),
//! IMDESK_BENCH_CONVERSATIONS (50000), IMDESK_BENCH_BATCH (1000), IMDESK_BENCH_SEED (100000
//! messages already cached). For profiling one side: IMDESK_BENCH_SIDE=ours|base (default both)
//! and IMDESK_BENCH_SEED_FILE=path (reuse a seeded cache between runs; made when missing).
#![allow(clippy::unwrap_used, clippy::expect_used)] // benchmarks abort on failure

mod common;

use std::time::Instant;

use common::{env_usize, Generator};
use imdesk_store::search_text::index_text;
use imdesk_store::{NewMessage, Store, StoreOptions};
use rusqlite::{params, Connection};

/// CPU seconds used by this process so far (user + system), from /proc/self/stat. Under a
/// busy machine, CPU per message is steadier than wall time, so both are reported.
fn cpu_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let after_name = stat.rsplit_once(')').map_or("", |(_, rest)| rest);
    let fields: Vec<&str> = after_name.split_whitespace().collect();
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|v| v.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    (ticks(11) + ticks(12)) / 100.0
}

/// Throughput of one run: messages per wall second and per CPU second.
#[derive(Debug, Clone, Copy)]
struct Rate {
    wall: f64,
    cpu: f64,
}

fn rows(n: usize, stores: usize, conversations: usize) -> Vec<NewMessage> {
    let mut generator = Generator::new(stores, conversations);
    (0..n).map(|i| generator.message(i)).collect()
}

/// Ours, with batches of `batch` messages per `ingest_async` call and up to `in_flight` calls
/// queued at once (the writer thread merges queued calls into one transaction).
fn ours(
    dir: &tempfile::TempDir,
    name: &str,
    msgs: &[NewMessage],
    batch: usize,
    in_flight: usize,
) -> Rate {
    let path = dir.path().join(name);
    std::fs::copy(dir.path().join(SEED), &path).unwrap();
    let store = Store::open(&path, StoreOptions::default()).unwrap();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .build()
        .unwrap();
    let start = Instant::now();
    let cpu = cpu_seconds();
    runtime.block_on(async {
        let mut calls = tokio::task::JoinSet::new();
        for chunk in msgs.chunks(batch) {
            let store = store.clone();
            let chunk = chunk.to_vec();
            calls.spawn(async move { store.ingest_async(chunk).await });
            while calls.len() >= in_flight {
                calls.join_next().await.unwrap().unwrap().unwrap();
            }
        }
        while let Some(done) = calls.join_next().await {
            done.unwrap().unwrap();
        }
    });
    let secs = start.elapsed().as_secs_f64();
    let cpu = cpu_seconds() - cpu;
    drop(store);
    Rate {
        wall: msgs.len() as f64 / secs,
        cpu: msgs.len() as f64 / cpu,
    }
}

/// The baseline: the same message rows and derived search rows, inserted with prepared
/// statements in transactions of `batch`, into the same schema, same pragmas.
fn baseline(dir: &tempfile::TempDir, name: &str, msgs: &[NewMessage], batch: usize) -> Rate {
    let path = dir.path().join(name);
    std::fs::copy(dir.path().join(SEED), &path).unwrap();
    let mut conn = Connection::open(&path).unwrap();
    conn.pragma_update(None, "journal_mode", "WAL").unwrap();
    conn.pragma_update(None, "synchronous", "NORMAL").unwrap();
    conn.pragma_update(None, "foreign_keys", "ON").unwrap();
    conn.pragma_update(None, "cache_size", -32 * 1024).unwrap();
    // Conversations exist beforehand (untimed): the baseline only writes messages.
    let mut conv_ids = std::collections::HashMap::new();
    {
        let tx = conn.transaction().unwrap();
        for m in msgs {
            let peer = m.open_user_id.or(m.group_id).unwrap();
            let key = (m.store.clone(), m.biz_type, peer);
            if let std::collections::hash_map::Entry::Vacant(slot) = conv_ids.entry(key) {
                let (store, biz_type, peer) = slot.key();
                tx.execute(
                    "INSERT INTO conversations (store, biz_type, peer_id) VALUES (?1, ?2, ?3)
                     ON CONFLICT DO NOTHING",
                    params![store, biz_type, peer],
                )
                .unwrap();
                let id: i64 = tx
                    .query_row(
                        "SELECT id FROM conversations WHERE store = ?1 AND biz_type = ?2 AND peer_id = ?3",
                        params![store, biz_type, peer],
                        |r| r.get(0),
                    )
                    .unwrap();
                slot.insert(id);
            }
        }
        tx.commit().unwrap();
    }
    let start = Instant::now();
    let cpu = cpu_seconds();
    for chunk in msgs.chunks(batch) {
        let tx = conn.transaction().unwrap();
        {
            let mut insert = tx
                .prepare_cached(
                    "INSERT INTO messages (conversation_id, store, biz_type, msg_id, msg_source,
                         msg_type, text, raw_content, decrypt_failed, cts_ms, order_id,
                         open_user_id, group_id, comment_id, rider_id, scene_tag, scene_name,
                         has_reply, group_name, received_at_ms)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, NULL, 0, ?8, ?9, ?10, ?11, NULL, NULL,
                         ?12, ?13, ?14, ?15, ?16)",
                )
                .unwrap();
            let mut search = tx
                .prepare_cached("INSERT INTO message_search (rowid, body) VALUES (?1, ?2)")
                .unwrap();
            for m in chunk {
                let peer = m.open_user_id.or(m.group_id).unwrap();
                let conv = conv_ids[&(m.store.clone(), m.biz_type, peer)];
                insert
                    .execute(params![
                        conv,
                        m.store,
                        m.biz_type,
                        m.msg_id,
                        m.msg_source,
                        m.msg_type,
                        m.text,
                        m.cts_ms,
                        m.order_id,
                        m.open_user_id,
                        m.group_id,
                        m.scene_tag,
                        m.scene_name,
                        m.has_reply,
                        m.group_name,
                        m.received_at_ms
                    ])
                    .unwrap();
                let id = tx.last_insert_rowid();
                search
                    .execute(params![id, index_text(m.text.as_deref().unwrap_or(""))])
                    .unwrap();
            }
        }
        tx.commit().unwrap();
    }
    Rate {
        wall: msgs.len() as f64 / start.elapsed().as_secs_f64(),
        cpu: msgs.len() as f64 / (cpu_seconds() - cpu),
    }
}

const SEED: &str = "seed.sqlite3";

fn main() {
    let n = env_usize("IMDESK_BENCH_INGEST", 200_000);
    let seed = env_usize("IMDESK_BENCH_SEED", 100_000);
    let stores = env_usize("IMDESK_BENCH_STORES", 200);
    let conversations = env_usize("IMDESK_BENCH_CONVERSATIONS", 50_000);
    let batch = env_usize("IMDESK_BENCH_BATCH", 1000);
    let dir = tempfile::tempdir().unwrap();
    let all = rows(seed + n, stores, conversations);
    let (seed_msgs, msgs) = all.split_at(seed);
    println!(
        "ingest: {n} messages appended to a cache of {seed}, {stores} stores, {conversations} conversations, batch {batch}"
    );
    // Both sides append to the same seeded cache (conversations mostly exist, as in a shift).
    let seed_file = std::env::var_os("IMDESK_BENCH_SEED_FILE").map(std::path::PathBuf::from);
    match &seed_file {
        Some(kept) if kept.exists() => {
            std::fs::copy(kept, dir.path().join(SEED)).unwrap();
        }
        _ => {
            let store = Store::open(dir.path().join(SEED), StoreOptions::default()).unwrap();
            for chunk in seed_msgs.chunks(5000) {
                store.ingest(chunk.to_vec()).unwrap();
            }
            drop(store);
            if let Some(kept) = &seed_file {
                std::fs::copy(dir.path().join(SEED), kept).unwrap();
            }
        }
    }
    let side = std::env::var("IMDESK_BENCH_SIDE").unwrap_or_default();
    if side == "ours" || side == "base" {
        let rate = if side == "ours" {
            ours(&dir, "ours1.sqlite3", msgs, batch, 1)
        } else {
            baseline(&dir, "base1.sqlite3", msgs, batch)
        };
        println!(
            "{side} only: {:.0} msg/s wall, {:.0} msg/CPU-s",
            rate.wall, rate.cpu
        );
        return;
    }
    // Alternate runs so that machine noise hits both sides alike.
    let base1 = baseline(&dir, "base1.sqlite3", msgs, batch);
    let ours_a = ours(&dir, "ours1.sqlite3", msgs, batch, 1);
    let base2 = baseline(&dir, "base2.sqlite3", msgs, batch);
    let ours_b = ours(&dir, "ours2.sqlite3", msgs, batch, 1);
    let ours_small = ours(&dir, "ours3.sqlite3", msgs, 50, 20);
    let mean = |a: Rate, b: Rate| Rate {
        wall: (a.wall + b.wall) / 2.0,
        cpu: (a.cpu + b.cpu) / 2.0,
    };
    let base = mean(base1, base2);
    let ours1 = mean(ours_a, ours_b);
    let line = |name: &str, ours: Rate| {
        println!(
            "{name:<42} ours {:>7.0} msg/s wall, {:>7.0} msg/CPU-s | bare rusqlite batched insert {:>7.0} msg/s wall, {:>7.0} msg/CPU-s | ours/base {:>5.1} % wall, {:>5.1} % CPU",
            ours.wall, ours.cpu, base.wall, base.cpu, 100.0 * ours.wall / base.wall, 100.0 * ours.cpu / base.cpu
        );
    };
    line(&format!("ingest, calls of {batch} (1 in flight)"), ours1);
    line("ingest, calls of 50 (20 in flight, merged)", ours_small);
    println!(
        "single runs (wall msg/s): baseline {:.0}, {:.0}; ours {:.0}, {:.0}",
        base1.wall, base2.wall, ours_a.wall, ours_b.wall
    );
}
