//! Ingest throughput: `Store::ingest` (message + bigram search row + conversation summary +
//! reply clock + reply log, through the writer thread) beside a bare rusqlite batched insert
//! of the same rows into the same schema (`imdesk_store::bench_support::bare_insert`, the
//! definition the pipeline benchmark shares), measured in the same run.
//!
//! `cargo bench -p imdesk-store --bench ingest`
//! Sizes: IMDESK_BENCH_INGEST (messages, default 200000), IMDESK_BENCH_STORES (200),
//! IMDESK_BENCH_CONVERSATIONS (50000), IMDESK_BENCH_BATCH (1000), IMDESK_BENCH_SEED (100000
//! messages already cached). For profiling one side: IMDESK_BENCH_SIDE=ours|base (default both)
//! and IMDESK_BENCH_SEED_FILE=path (reuse a seeded cache between runs; made when missing).
#![allow(clippy::unwrap_used, clippy::expect_used)] // benchmarks abort on failure

mod common;

use common::{env_usize, Generator};
use imdesk_store::bench_support::{bare_insert, Rate, Stopwatch};
use imdesk_store::{NewMessage, Store, StoreOptions};

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
    let watch = Stopwatch::start();
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
    let rate = watch.rate(msgs.len());
    drop(store);
    rate
}

/// The baseline (`imdesk_store::bench_support::bare_insert`, the one definition shared with
/// the pipeline benchmark) on a copy of the same seeded cache.
fn baseline(dir: &tempfile::TempDir, name: &str, msgs: &[NewMessage], batch: usize) -> Rate {
    let path = dir.path().join(name);
    std::fs::copy(dir.path().join(SEED), &path).unwrap();
    bare_insert(&path, msgs, batch).unwrap()
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
            // A kept seed may predate a migration: both sides start from the current schema.
            drop(Store::open(dir.path().join(SEED), StoreOptions::default()).unwrap());
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
    let base = Rate::mean(base1, base2);
    let ours1 = Rate::mean(ours_a, ours_b);
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
