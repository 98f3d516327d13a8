//! The demo's cache with a brand's history in it: the query benchmarks' generator (realistic
//! chat, 1M messages over 50k conversations by default) written through `Store::ingest`, the
//! store's own bulk path, for the twelve demo stores (`mt-1001` ... `mt-1012`, the sandbox's
//! ids for the demo's seed). The messages end an hour before the run and go back ~30 days
//! (2.6 s apart), inside the retention default of 180 days, so nothing is pruned under the
//! benchmark. The file is kept and reused while it is less than a week old.

use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::Context;
use imdesk_store::{Store, StoreOptions};

use crate::common::Generator;

/// Stores of the demo brand (host.rs starts the sandbox with 12).
pub const DEMO_STORES: usize = 12;
/// A kept cache older than this is generated again (its messages would drift towards the
/// retention horizon and away from "the brand's last month").
const KEEP: Duration = Duration::from_secs(7 * 24 * 3600);
const READY_KEY: &str = "gui_bench_ready";

/// Now, in UTC milliseconds (the store's unit).
#[allow(clippy::disallowed_methods)] // a benchmark's wall clock, not the app's injected one
pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

/// Makes sure `path` holds `messages` generated messages for the demo stores.
pub fn ensure(path: &Path, messages: usize, conversations: usize) -> anyhow::Result<()> {
    let want = format!("{messages}/{DEMO_STORES}/{conversations}");
    if path.exists() {
        let store = Store::open(path, StoreOptions::default())?;
        let ready = store.setting(READY_KEY.into())?;
        drop(store);
        if let Some((spec, at)) = ready.as_deref().and_then(|r| r.split_once('@')) {
            let age_ms = now_ms() - at.parse::<i64>().unwrap_or(0);
            if spec == want && age_ms < KEEP.as_millis() as i64 {
                println!("reusing the {messages}-message cache {}", path.display());
                return Ok(());
            }
        }
    }
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
    }
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let start = Instant::now();
    let store = Store::open(path, StoreOptions::default())?;
    let mut generator = Generator::new(DEMO_STORES, conversations);
    let generated_at = now_ms();
    generator.base_ms = generated_at - 3_600_000 - messages as i64 * 2_600;
    let batch = 5_000;
    for first in (0..messages).step_by(batch) {
        let mut rows = Vec::with_capacity(batch);
        for i in first..(first + batch).min(messages) {
            let mut m = generator.message(i);
            let n: usize = m
                .store
                .strip_prefix("epoi")
                .and_then(|n| n.parse().ok())
                .context("the generator's store id")?;
            m.store = format!("mt-{}", 1001 + n);
            rows.push(m);
        }
        store.ingest(rows)?;
        if (first + batch) % 100_000 == 0 {
            println!(
                "  cache: {} messages, {:.0} s",
                first + batch,
                start.elapsed().as_secs_f64()
            );
        }
    }
    store.set_setting(READY_KEY.into(), format!("{want}@{generated_at}"))?;
    drop(store);
    let conn = rusqlite::Connection::open(path)?;
    conn.execute_batch("PRAGMA wal_checkpoint(TRUNCATE);")?;
    println!(
        "generated the {messages}-message cache through Store::ingest in {:.0} s",
        start.elapsed().as_secs_f64()
    );
    Ok(())
}
