//! Ingest benchmark (issue 5, part 7): sandbox load → three push sockets → decode, decrypt,
//! dedupe → SQLite (FTS + conversation summaries), in messages per second, beside a bare
//! rusqlite batched insert of the same rows into the same schema measured in the same run; then
//! push-to-commit latency at 1,000 messages per second, beside a bare store's at the same rate.
//!
//! The baseline is `imdesk_store::bench_support::bare_insert`, the same definition as the
//! store benchmark's, applied to the rows the pipeline stored (the sandbox's load lines: ~12
//! characters each, into a fresh file). Such rows are cheap to insert (~10 µs each), so the
//! ratio measures the pipeline's fixed cost per message.
//!
//! The sandbox makes the load first and holds it back (frames encrypted and encoded), then
//! releases it when the clock starts, as a platform backlog after a blip: in the timed window
//! the platform only writes every push on each socket, and the desk reads each copy, on the
//! same two cores. The real platform's own work runs on its servers, not on the desk's
//! machine; one more round with the load made during the run is printed for reference.
//! Beside the wall ratio the bench prints ours per CPU second without the sandbox's threads
//! (it runs on its own runtime), CPU per message by thread group, how much of the wall time
//! the store's writer ran and how much it waited, runnable, for a core (whether the writer
//! sets the pace, and how much the other threads on the two cores slow it), and
//! `Store::ingest` alone on the same rows (the median of three pairs with the baseline).
//!
//! Each round runs the pipeline, then at once the baseline on the rows it stored: a pair. The
//! figure compared with the target is the median of the pairs' ratios (21 pairs by default:
//! the median of more pairs moves less). A shared VM's speed drifts by up to 2x from one
//! second to the next, and not alike for both sides: in its fast phases the single-threaded
//! baseline's CPU per message halves while the pipeline's, on both cores, does not. So each
//! run prints the quartiles of its ratios, each side's fastest run, and in how many rounds the
//! baseline ran in a fast phase (relative to the run's own median baseline, so it undercounts
//! a run most of whose rounds were fast): one run shows its spread rather than one number.
//! More rounds make the figure steadier; they do not make the pipeline faster. The figures of
//! past runs are in the commit log.
//!
//! WAL checkpoints: the baseline, a bare insert, runs SQLite's automatic checkpoint inside
//! the commits that cross 1,000 WAL frames. The desk's store copies the WAL in the writer's
//! pauses instead (`imdesk_store::CheckpointPolicy`): while a burst stays below the 4,096 WAL
//! frames that force a checkpoint during it, the pipeline's copy happens after its clock
//! stops, so the figure leaves out our copy and includes the baseline's. (Smaller commits on
//! a slower machine write more frames; past 4,096 the copy runs during the burst and is in
//! the figure.)
//!
//! Latency: from just before the sandbox sends a push to the desk's commit observer, at 1,000
//! messages per second for `IMDESK_BENCH_LATENCY_SECS`. Its baseline, run right after on the
//! rows the desk stored, is the floor of a bare rusqlite store at the same rate: a task on the
//! same runtime and timer hands the rows, stamped, over a channel at the same pace to one
//! thread that, each time it wakes, inserts whatever has arrived in one transaction
//! (`bench_support::BareWriter`, the statements of `bare_insert`) into a fresh file of the
//! same schema and commits; a row's latency runs from its stamp to that commit. No sockets,
//! decoding or decryption, summaries or clocks: the ratio is what the desk adds to a bare write.
//!
//! `cargo bench -p imdesk-core --bench ingest`; sizes: `IMDESK_BENCH_N` (default 20000),
//! `IMDESK_BENCH_ROUNDS` (default 21),
//! `IMDESK_BENCH_LATENCY_SECS` (default 5), `IMDESK_BENCH_CONNECTIONS` (push sockets, default 3);
//! `IMDESK_BENCH_PIPELINE_ONLY=1` runs the pipeline alone (for a profiler).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stdout)] // a benchmark aborts on failure

/// The allocator the application binaries use (`imdesk-cli`, the Tauri shell).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;
// The product's allocator settings too (imdesk_core::memory).
imdesk_core::tune_allocators_at_start!();

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

#[path = "../tests/common/mod.rs"]
mod common;

use common::config;
use imdesk_core::{Desk, DeskOptions, NullSink};
use imdesk_store::bench_support::{
    as_new_message, bare_insert, cpu_seconds, cpu_seconds_of_threads, p50_p99_ms, quantile,
    run_and_wait_seconds_of_threads, BareWriter, Rate, Stopwatch,
};
use imdesk_store::{ExportFilter, MessageRow, NewMessage, Store, StoreOptions};
use meituan_sandbox::{ChatKind, CustomerMessage, Sandbox, SandboxConfig};

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn options(observer: imdesk_core::CommitObserver) -> DeskOptions {
    DeskOptions {
        run_pollers: false,
        connections: env_usize("IMDESK_BENCH_CONNECTIONS", 3) as u8,
        commit_observer: Some(observer),
        ..DeskOptions::default()
    }
}

async fn connected(sb: &Sandbox) {
    common::connected(sb, env_usize("IMDESK_BENCH_CONNECTIONS", 3)).await;
}

/// Thread name of the runtime the sandbox runs on: its CPU is the platform's, not ours.
const SANDBOX_THREADS: &str = "sandbox-rt";

/// One pipeline run: wall rate, and CPU rate of the whole process and of ours alone (the
/// process minus the sandbox runtime's threads).
struct PipelineRun {
    rate: Rate,
    ours_cpu: f64,
    /// CPU microseconds per message of each group of threads (name prefix, µs).
    per_message: Vec<(&'static str, f64)>,
    /// Shares of the wall time the store's writer ran, and waited, runnable, for a core.
    writer_ran: f64,
    writer_waited: f64,
}

/// The store's writer thread: it sets the pipeline's pace.
const WRITER_THREAD: &str = "imdesk-store-wr";

/// Thread groups whose CPU the bench attributes: the platform, the desk's engine thread
/// (sockets, decoding, dedupe, ingest, alerts), the bench's own runtime and the store's
/// writer thread.
const THREAD_GROUPS: [&str; 4] = [
    SANDBOX_THREADS,
    imdesk_core::ENGINE_THREAD,
    "tokio-rt-worker",
    WRITER_THREAD,
];

/// How the sandbox's load meets the timed run.
#[derive(Clone, Copy, PartialEq)]
enum Load {
    /// Made first and held back (frames encrypted and encoded), then released at once when
    /// the clock starts: in the timed window the platform only writes its sockets. The
    /// figure compared with the target, since the real platform's work runs on its servers.
    Burst,
    /// Made while the clock runs, as fast as the sandbox can, on the same two cores.
    Flood,
}

/// Throughput of the whole pipeline for `n` messages, released as one burst or made as fast as
/// the sandbox can (`load`). The sandbox runs on its own runtime (`sandbox`), the desk on the
/// caller's.
async fn pipeline(
    dir: &tempfile::TempDir,
    sandbox: &tokio::runtime::Runtime,
    n: usize,
    load: Load,
) -> (PipelineRun, Vec<MessageRow>) {
    let sb = sandbox
        .spawn(Sandbox::start(SandboxConfig {
            stores: 12,
            ..SandboxConfig::default()
        }))
        .await
        .unwrap()
        .unwrap();
    let sb = Arc::new(sb);
    let committed = Arc::new(AtomicUsize::new(0));
    let seen = committed.clone();
    let observer: imdesk_core::CommitObserver = Arc::new(move |ids: &[i64]| {
        seen.fetch_add(ids.len(), Ordering::Relaxed);
    });
    let db = dir.path().join("pipeline.sqlite3");
    let desk = Desk::start_with(config(&sb, &db), options(observer), Arc::new(NullSink))
        .await
        .unwrap();
    connected(&sb).await;
    let make_load = || {
        let sb = sb.clone();
        sandbox.spawn(async move { sb.run_load(n as u64, 1_000_000.0).await })
    };
    let held = if load == Load::Burst {
        sb.hold_pushes();
        Some(make_load().await.unwrap())
    } else {
        None
    };
    // CPU readings first (they scan /proc), then the clock, then the load goes.
    let (cpu_before, sandbox_before) = (cpu_seconds(), cpu_seconds_of_threads(SANDBOX_THREADS));
    let groups_before = THREAD_GROUPS.map(cpu_seconds_of_threads);
    let writer_before = run_and_wait_seconds_of_threads(WRITER_THREAD);
    let watch = Stopwatch::start();
    let pushed = match held {
        Some(pushed) => {
            // Released on the sandbox's runtime: the fan-out to the sockets is the platform's
            // work. (Every load push is held: the bench's sandbox runs without faults.)
            let release = {
                let sb = sb.clone();
                sandbox.spawn(async move { sb.release_pushes() })
            };
            assert_eq!(release.await.unwrap(), pushed.len());
            pushed
        }
        None => make_load().await.unwrap(),
    };
    while committed.load(Ordering::Relaxed) < pushed.len() {
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    let (rate, wall) = (watch.rate(pushed.len()), watch.seconds());
    // The desk's one writer thread lives through the window, so both readings see it.
    let writer_after = run_and_wait_seconds_of_threads(WRITER_THREAD);
    let sandbox_cpu = cpu_seconds_of_threads(SANDBOX_THREADS) - sandbox_before;
    let ours_cpu = pushed.len() as f64 / (cpu_seconds() - cpu_before - sandbox_cpu).max(1e-9);
    let per_message = THREAD_GROUPS
        .iter()
        .zip(groups_before)
        .map(|(group, before)| {
            let spent = cpu_seconds_of_threads(group) - before;
            (*group, spent * 1e6 / pushed.len().max(1) as f64)
        })
        .collect();
    desk.shutdown().await;
    let mut rows = Vec::new();
    desk.store()
        .export_messages(&ExportFilter::default(), |m| {
            rows.push(m);
            true
        })
        .unwrap();
    (
        PipelineRun {
            rate,
            ours_cpu,
            per_message,
            writer_ran: (writer_after.0 - writer_before.0) / wall,
            writer_waited: (writer_after.1 - writer_before.1) / wall,
        },
        rows,
    )
}

/// The baseline (`imdesk_store::bench_support::bare_insert`, the one definition shared with
/// the store benchmark): the same rows, in transactions of 1,000, into a fresh file of the same
/// schema, as the pipeline's file was fresh.
fn baseline(dir: &tempfile::TempDir, name: &str, rows: &[NewMessage]) -> Rate {
    let path = dir.path().join(name);
    drop(Store::open(&path, StoreOptions::default()).unwrap()); // the schema, migrated
    bare_insert(&path, rows, 1000).unwrap()
}

/// The store alone: the same rows through `Store::ingest` in batches of 1,000 (FTS, summaries,
/// clocks) into a fresh file `name`, to attribute the pipeline's cost.
fn store_only(dir: &tempfile::TempDir, name: &str, rows: &[NewMessage]) -> Rate {
    let store = Store::open(dir.path().join(name), StoreOptions::default()).unwrap();
    let watch = Stopwatch::start();
    for chunk in rows.chunks(1000) {
        store.ingest(chunk.to_vec()).unwrap();
    }
    watch.rate(rows.len())
}

/// The sandbox alone: generating, encrypting and queueing `n` pushes with no client connected.
async fn sandbox_only(n: usize) -> f64 {
    let sb = Sandbox::start(SandboxConfig {
        stores: 12,
        ..SandboxConfig::default()
    })
    .await
    .unwrap();
    let start = Instant::now();
    let pushed = sb.run_load(n as u64, 1_000_000.0).await;
    pushed.len() as f64 / start.elapsed().as_secs_f64()
}

const LINES: [&str; 8] = [
    "你好，请问我的外卖什么时候能送到？已经等了四十分钟了，麻烦帮忙催一下骑手谢谢",
    "饭菜收到了，但是少送了一杯饮料，订单备注里写了要冰的，能不能补送或者退款呢",
    "可以开发票吗？抬头是公司名称，税号我稍后发给你，麻烦尽快处理一下谢谢啦",
    "地址写错了，应该是三号楼二单元，不是一单元，麻烦通知骑手改一下送餐地址",
    "米饭有点硬，汤也洒了一半，包装破损了，希望以后能注意一下打包，谢谢理解",
    "请问今天还有满减活动吗？我想多点两份，能不能帮我备注不要香菜多放辣椒",
    "订单显示已送达但是我没有收到，骑手电话也打不通，请尽快帮我核实一下情况",
    "味道很好，下次还会再来，就是配送有点慢，希望高峰期能多安排几个骑手配送",
];

/// p50 and p99 (ms) of push → commit at `rate` messages per second for `secs` seconds, how
/// many were measured, and the rows the desk stored (the baseline's input).
async fn latency(
    dir: &tempfile::TempDir,
    rate: u64,
    secs: u64,
) -> (f64, f64, usize, Vec<NewMessage>) {
    let sb = Arc::new(
        Sandbox::start(SandboxConfig {
            stores: 12,
            ..SandboxConfig::default()
        })
        .await
        .unwrap(),
    );
    let pushed_at: Arc<Mutex<HashMap<i64, Instant>>> = Arc::default();
    let samples: Arc<Mutex<Vec<Duration>>> = Arc::default();
    let (p, s) = (pushed_at.clone(), samples.clone());
    let observer: imdesk_core::CommitObserver = Arc::new(move |ids: &[i64]| {
        let now = Instant::now();
        let p = p.lock().unwrap();
        let mut s = s.lock().unwrap();
        s.extend(ids.iter().filter_map(|id| p.get(id).map(|t| now - *t)));
    });
    let db = dir.path().join("latency.sqlite3");
    let desk = Desk::start_with(config(&sb, &db), options(observer), Arc::new(NullSink))
        .await
        .unwrap();
    connected(&sb).await;
    let stores: Vec<String> = sb.stores().into_iter().map(|s| s.epoi_id).collect();
    let total = rate * secs;
    let start = tokio::time::Instant::now();
    for i in 0..total {
        tokio::time::sleep_until(start + Duration::from_micros(i * 1_000_000 / rate)).await;
        let store = &stores[i as usize % stores.len()];
        let text = LINES[i as usize % LINES.len()];
        let msg = CustomerMessage::text(store, ChatKind::PreOrder, text);
        // Stamp before the push leaves, under the lock the observer also takes.
        let mut p = pushed_at.lock().unwrap();
        let before = Instant::now();
        let pushed = sb.customer_says(msg).unwrap();
        p.insert(pushed.msg_id, before);
    }
    while samples.lock().unwrap().len() < total as usize {
        tokio::time::sleep(Duration::from_millis(5)).await;
        if start.elapsed() > Duration::from_secs(secs + 20) {
            break;
        }
    }
    desk.shutdown().await;
    let mut rows = Vec::new();
    desk.store()
        .export_messages(&ExportFilter::default(), |m| {
            rows.push(as_new_message(&m));
            true
        })
        .unwrap();
    let (p50, p99, got) = p50_p99_ms(samples.lock().unwrap().clone());
    (p50, p99, got, rows)
}

/// The latency baseline: `rows`, each stamped as it leaves, handed over a channel at `rate`
/// rows per second (the same timer as `latency`'s pushes) to one thread that, each time it
/// wakes, inserts what has arrived in one transaction into a fresh file `name` of the same
/// schema and commits. p50 and p99 (ms) of stamp → commit, and how many were measured.
fn bare_latency(
    runtime: &tokio::runtime::Runtime,
    dir: &tempfile::TempDir,
    name: &str,
    rows: Vec<NewMessage>,
    rate: u64,
) -> (f64, f64, usize) {
    let path = dir.path().join(name);
    drop(Store::open(&path, StoreOptions::default()).unwrap()); // the schema, migrated
    let mut writer = BareWriter::open(&path).unwrap();
    let (sender, arrivals) = std::sync::mpsc::channel::<(Instant, NewMessage)>();
    let thread = std::thread::spawn(move || {
        let mut samples = Vec::new();
        // Blocks until a row arrives, then takes whatever else has come meanwhile.
        while let Ok(first) = arrivals.recv() {
            let (stamps, batch): (Vec<Instant>, Vec<NewMessage>) =
                std::iter::once(first).chain(arrivals.try_iter()).unzip();
            writer.insert(&batch).unwrap();
            let now = Instant::now();
            samples.extend(stamps.iter().map(|t| now - *t));
        }
        samples
    });
    runtime.block_on(async move {
        let start = tokio::time::Instant::now();
        for (i, row) in (0u64..).zip(rows) {
            tokio::time::sleep_until(start + Duration::from_micros(i * 1_000_000 / rate)).await;
            sender.send((Instant::now(), row)).unwrap();
        }
        // `sender` dropped here: the thread drains the rest and ends.
    });
    p50_p99_ms(thread.join().unwrap())
}

/// One round: the pipeline on a fresh sandbox, desk and file, then the baseline on the rows
/// it stored. Returns (the pipeline run, the baseline, rows stored).
fn round(
    runtime: &tokio::runtime::Runtime,
    sandbox: &tokio::runtime::Runtime,
    n: usize,
    load: Load,
) -> (PipelineRun, Rate, Vec<NewMessage>) {
    let dir = tempfile::tempdir().unwrap();
    let (ours, exported) = runtime.block_on(pipeline(&dir, sandbox, n, load));
    let rows: Vec<NewMessage> = exported.iter().map(as_new_message).collect();
    let base = baseline(&dir, "base.sqlite3", &rows);
    (ours, base, rows)
}

fn main() {
    let n = env_usize("IMDESK_BENCH_N", 20_000);
    let rounds = env_usize("IMDESK_BENCH_ROUNDS", 21).max(1);
    let secs = env_usize("IMDESK_BENCH_LATENCY_SECS", 5) as u64;
    let connections = env_usize("IMDESK_BENCH_CONNECTIONS", 3);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let sandbox = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .thread_name(SANDBOX_THREADS)
        .enable_all()
        .build()
        .unwrap();
    if std::env::var_os("IMDESK_BENCH_PIPELINE_ONLY").is_some() {
        let dir = tempfile::tempdir().unwrap();
        let (ours, _) = runtime.block_on(pipeline(&dir, &sandbox, n, Load::Burst));
        println!("pipeline alone: {:.0} msg/s wall", ours.rate.wall);
        return;
    }
    // Rounds, each pipeline followed at once by its baseline: on a shared two-core VM the
    // same code's speed swings by half from one second to the next, so one run says little.
    // The figure is the median of the pairs' ratios (see the top of the file).
    println!(
        "ingest {n} msgs via sandbox → {connections} sockets → decode/decrypt/dedupe → SQLite \
         (FTS + summaries), beside a bare rusqlite batched insert of the same rows into the same \
         schema; the load made first and released at once; {rounds} rounds:"
    );
    let mut ratios = Vec::new();
    let mut base_cpu_us = Vec::new();
    let (mut best_ours, mut best_base) = (0.0f64, 0.0f64);
    let mut last_rows = Vec::new();
    for r in 1..=rounds {
        let (ours, base, rows) = round(&runtime, &sandbox, n, Load::Burst);
        let ratio = ours.rate.wall / base.wall;
        let groups: Vec<String> = ours
            .per_message
            .iter()
            .map(|(group, us)| format!("{group} {us:.1}"))
            .collect();
        println!(
            "  round {r}: ours {:.0} msg/s wall | bare {:.0} msg/s wall ({} rows) | ours/base \
             {:.1} % wall, {:.1} % CPU without the sandbox's threads | CPU µs/msg: {}, bare {:.1} \
             | writer ran {:.0} %, waited for a core {:.0} % of the wall",
            ours.rate.wall,
            base.wall,
            rows.len(),
            100.0 * ratio,
            100.0 * ours.ours_cpu / base.cpu,
            groups.join(", "),
            1e6 / base.cpu,
            100.0 * ours.writer_ran,
            100.0 * ours.writer_waited,
        );
        ratios.push(ratio);
        base_cpu_us.push(1e6 / base.cpu);
        best_ours = best_ours.max(ours.rate.wall);
        best_base = best_base.max(base.wall);
        last_rows = rows;
    }
    ratios.sort_by(f64::total_cmp);
    let at = |q: f64| 100.0 * quantile(&ratios, q);
    let below = ratios.iter().filter(|&&r| r < 0.70).count();
    base_cpu_us.sort_by(f64::total_cmp);
    let usual = quantile(&base_cpu_us, 0.5);
    // A baseline that needed under three quarters of this run's median CPU per message ran in
    // a fast phase of the VM (one busy thread; see the top of the file).
    let fast = base_cpu_us.iter().filter(|&&us| us < 0.75 * usual).count();
    println!(
        "ingest: median of {rounds} paired rounds: ours/base {:.1} % (target ≥ 70 %); quartiles \
         {:.1} / {:.1} %, range {:.1}–{:.1} %; {below} of {rounds} rounds below 70 %; the \
         baseline ran in a fast phase (under 3/4 of the run's median CPU per message) in {fast}; each \
         side's fastest run: ours {best_ours:.0} | bare {best_base:.0} msg/s wall = {:.1} %",
        at(0.5),
        at(0.25),
        at(0.75),
        at(0.0),
        at(1.0),
        100.0 * best_ours / best_base,
    );
    let (ours, base, _) = round(&runtime, &sandbox, n, Load::Flood);
    println!(
        "  for reference, the load made during the run (the platform's own work on the same two \
         cores): ours {:.0} msg/s wall | bare {:.0} msg/s wall | ours/base {:.1} % wall",
        ours.rate.wall,
        base.wall,
        100.0 * ours.rate.wall / base.wall,
    );
    // Three pairs (the baseline, then Store::ingest), and the pair with the median ratio is
    // printed, with that pair's CPU ratio. With a single pair the ratio ranged from 82 % to
    // 157 % across runs of this bench on our VM.
    let dir = tempfile::tempdir().unwrap();
    let mut pairs: Vec<(Rate, Rate)> = (0..3)
        .map(|i| {
            let base = baseline(&dir, &format!("base-{i}.sqlite3"), &last_rows);
            let store = store_only(&dir, &format!("store-only-{i}.sqlite3"), &last_rows);
            (store, base)
        })
        .collect();
    pairs.sort_by(|a, b| (a.0.wall / a.1.wall).total_cmp(&(b.0.wall / b.1.wall)));
    let (store, base) = quantile(&pairs, 0.5);
    let source = runtime.block_on(sandbox_only(n));
    println!(
        "attribution: Store::ingest alone {:.0} msg/s ({:.1} % of a baseline run beside it, the \
         median of 3 pairs), {:.0} msg/CPU-s ({:.1} % in that pair); the in-process sandbox \
         alone generates {source:.0} msg/s (no socket connected)",
        store.wall,
        100.0 * store.wall / base.wall,
        store.cpu,
        100.0 * store.cpu / base.cpu,
    );
    let (p50, p99, got, latency_rows) = runtime.block_on(latency(&dir, 1000, secs));
    let (base_p50, base_p99, base_got) =
        bare_latency(&runtime, &dir, "latency-base.sqlite3", latency_rows, 1000);
    println!(
        "push→commit at 1000 msg/s for {secs} s: ours p50 {p50:.2} ms, p99 {p99:.2} ms ({got} msgs) \
         | bare rusqlite, one transaction per wake, same rows and rate: p50 {base_p50:.2} ms, \
         p99 {base_p99:.2} ms ({base_got} rows) | ours/base p99 {:.0} % (target p99 ≤ 50 ms)",
        100.0 * p99 / base_p99,
    );
}
