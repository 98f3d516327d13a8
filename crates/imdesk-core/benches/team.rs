//! Team mode benchmark (issue 22): what a team desk waits for, each figure beside a baseline
//! from the same run, with a real `nats-server` (tools/bin, see `nats-harness`).
//!
//! 1. Fan-out: sandbox → relay (solo engine + publisher) → NATS → `IMDESK_BENCH_DESKS` team
//!    desks (default 5), each with its own SQLite file; per desk, messages per second from
//!    the released burst to its commit, beside a solo desk's rate on the same burst size in
//!    the same run (target ≥ 70 %). Here the relay, the server and all five desks share two
//!    cores, so two more figures say what the cores cost: as many solo desks sharing the
//!    machine the same way, and one team desk alone with its relay (a real desk has its own
//!    machine).
//! 2. Push → visible on a team desk (its commit, after which the inbox shows the message) at
//!    1,000 messages per second, p50 and p99 over every desk, beside a solo desk's push →
//!    commit at the same rate (target: team p99 ≤ 50 ms).
//! 3. Catch-up: a desk away for `IMDESK_BENCH_CATCHUP` records (default 100,000) starts on a
//!    fresh file and is current; beside a bare JetStream ordered consumer that only reads the
//!    same records (target ≤ 2×).
//!
//! Everything shares the machine's two cores: the sandbox (the platform), the relay, the
//! server and every desk. A real brand's desks each have their own machine, so the fan-out
//! figure is a floor.
//!
//! `cargo bench -p imdesk-core --bench team`; sizes: `IMDESK_BENCH_N` (burst, default
//! 5,000), `IMDESK_BENCH_DESKS`, `IMDESK_BENCH_LATENCY_SECS` (default 5),
//! `IMDESK_BENCH_CATCHUP`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stdout)] // a benchmark aborts on failure

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;
// The product's allocator settings too (imdesk_core::memory).
imdesk_core::tune_allocators_at_start!();

use std::collections::HashMap;
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

#[path = "../tests/common/mod.rs"]
mod common;

use common::config;
use futures_util::StreamExt;
use imdesk_core::team::relay::{commit_waker, Relay};
use imdesk_core::team::{TeamConfig, WireMessage};
use imdesk_core::{CommitObserver, Desk, DeskConfig, DeskOptions, NullSink};
use imdesk_store::bench_support::p50_p99_ms;
use meituan_sandbox::{ChatKind, CustomerMessage, Sandbox, SandboxConfig};
use nats_harness::NatsServer;

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

const LINES: [&str; 4] = [
    "你好，请问我的外卖什么时候能送到？已经等了四十分钟了",
    "饭菜收到了，但是少送了一杯饮料，能不能补送或者退款呢",
    "可以开发票吗？抬头是公司名称，税号我稍后发给你",
    "骑手说找不到地址，我在小区东门，麻烦再联系一下",
];

fn team(nats: &NatsServer, agent: &str) -> TeamConfig {
    TeamConfig::new(nats.url(), agent)
}

fn options(observer: CommitObserver) -> DeskOptions {
    DeskOptions {
        run_pollers: false,
        commit_observer: Some(observer),
        ..DeskOptions::default()
    }
}

async fn sandbox() -> Arc<Sandbox> {
    Arc::new(
        Sandbox::start(SandboxConfig {
            stores: 12,
            ..SandboxConfig::default()
        })
        .await
        .unwrap(),
    )
}

/// Messages the last relay started here has committed (its archive).
static RELAY_COMMITTED: AtomicUsize = AtomicUsize::new(0);

async fn relay(sb: &Sandbox, nats: &NatsServer, dir: &Path) -> (Arc<Desk>, Relay) {
    let (wake_on_commit, wake) = commit_waker();
    RELAY_COMMITTED.store(0, Ordering::Relaxed);
    let observer: CommitObserver = Arc::new(move |ids: &[i64]| {
        RELAY_COMMITTED.fetch_add(ids.len(), Ordering::Relaxed);
        wake_on_commit(ids);
    });
    let config = DeskConfig {
        team: Some(team(nats, "relay")),
        ..config(sb, &dir.join("relay.sqlite3"))
    };
    let desk = Arc::new(
        Desk::start_with(config, options(observer), Arc::new(NullSink))
            .await
            .unwrap(),
    );
    common::connected(sb, 3).await;
    let relay = Relay::start(desk.clone(), &team(nats, "relay"), "relay", wake)
        .await
        .unwrap();
    (desk, relay)
}

async fn team_desk(nats: &NatsServer, db: &Path, observer: CommitObserver) -> Desk {
    let config = DeskConfig {
        db_path: db.to_owned(),
        team: Some(team(nats, "bench")),
        ..DeskConfig::default()
    };
    Desk::start_with(config, options(observer), Arc::new(NullSink))
        .await
        .unwrap()
}

fn counter() -> (CommitObserver, Arc<AtomicUsize>) {
    let n = Arc::new(AtomicUsize::new(0));
    let seen = n.clone();
    (
        Arc::new(move |ids: &[i64]| {
            seen.fetch_add(ids.len(), Ordering::Relaxed);
        }),
        n,
    )
}

/// Holds a burst of `n` on the sandbox, releases it, and returns when it was released.
async fn burst(sb: &Arc<Sandbox>, n: usize) -> Instant {
    sb.hold_pushes();
    let pushed = sb.run_load(n as u64, 1_000_000.0).await;
    assert_eq!(pushed.len(), n);
    let start = Instant::now();
    assert_eq!(sb.release_pushes(), n);
    start
}

async fn until(count: &AtomicUsize, n: usize, limit: Duration) -> Duration {
    let start = Instant::now();
    while count.load(Ordering::Relaxed) < n {
        assert!(
            start.elapsed() < limit,
            "stuck at {} of {n}",
            count.load(Ordering::Relaxed)
        );
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    start.elapsed()
}

/// Solo: messages per second from release to commit on one desk.
async fn solo_rate(n: usize) -> f64 {
    let dir = tempfile::tempdir().unwrap();
    let sb = sandbox().await;
    let (observer, count) = counter();
    let desk = Desk::start_with(
        config(&sb, &dir.path().join("solo.sqlite3")),
        options(observer),
        Arc::new(NullSink),
    )
    .await
    .unwrap();
    common::connected(&sb, 3).await;
    let start = burst(&sb, n).await;
    until(&count, n, Duration::from_secs(120)).await;
    let rate = n as f64 / start.elapsed().as_secs_f64();
    desk.shutdown().await;
    rate
}

/// Solo desks sharing the machine as the team run's engines do (`engines` of them, one push
/// socket each, on one sandbox): per desk, messages per second from the release to its commit.
async fn solo_contended(n: usize, engines: usize) -> Vec<f64> {
    let dir = tempfile::tempdir().unwrap();
    let sb = sandbox().await;
    let mut all = Vec::new();
    for i in 0..engines {
        let (observer, count) = counter();
        let opts = DeskOptions {
            connections: 1,
            ..options(observer)
        };
        let desk = Desk::start_with(
            config(&sb, &dir.path().join(format!("solo{i}.sqlite3"))),
            opts,
            Arc::new(NullSink),
        )
        .await
        .unwrap();
        all.push((desk, count));
    }
    common::connected(&sb, engines).await;
    let start = burst(&sb, n).await;
    let rates = finish_times(&all, n, start).await;
    for (desk, _) in all {
        desk.shutdown().await;
    }
    rates
}

/// Polls every desk's count together until each has `n`: per desk, `n` / its time.
async fn finish_times(all: &[(Desk, Arc<AtomicUsize>)], n: usize, start: Instant) -> Vec<f64> {
    let mut done: Vec<Option<Duration>> = vec![None; all.len()];
    while done.iter().any(Option::is_none) {
        for (i, (_, count)) in all.iter().enumerate() {
            if done[i].is_none() && count.load(Ordering::Relaxed) >= n {
                done[i] = Some(start.elapsed());
            }
        }
        assert!(
            start.elapsed() < Duration::from_secs(300),
            "a desk is stuck"
        );
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    done.into_iter()
        .map(|d| n as f64 / d.unwrap_or_default().as_secs_f64().max(1e-9))
        .collect()
}

/// Team: the burst's release to each desk's commit, polled together so no desk waits for
/// another's check.
async fn team_fanout(n: usize, desks: usize) -> Vec<f64> {
    let dir = tempfile::tempdir().unwrap();
    let nats = NatsServer::start().unwrap();
    let sb = sandbox().await;
    let (relay_desk, relay) = relay(&sb, &nats, dir.path()).await;
    let mut all = Vec::new();
    for i in 0..desks {
        let (observer, count) = counter();
        let desk = team_desk(
            &nats,
            &dir.path().join(format!("desk{i}.sqlite3")),
            observer,
        )
        .await;
        all.push((desk, count));
    }
    let start = burst(&sb, n).await;
    let published = {
        let stats = relay.stats();
        tokio::spawn(async move {
            let mut committed = None;
            while stats.published.load(Ordering::Relaxed) < n as u64 {
                if committed.is_none() && RELAY_COMMITTED.load(Ordering::Relaxed) >= n {
                    committed = Some(start.elapsed());
                }
                tokio::time::sleep(Duration::from_millis(1)).await;
            }
            (
                committed.unwrap_or_else(|| start.elapsed()),
                start.elapsed(),
            )
        })
    };
    let rates = finish_times(&all, n, start).await;
    let published = published.await.ok();
    for (desk, _) in all {
        desk.shutdown().await;
    }
    relay.drain().await;
    relay_desk.shutdown().await;
    if let Some((c, p)) = published {
        println!(
            "  (the relay had committed the burst to its archive after {:.0} ms and published \
             it after {:.0} ms: {:.0} msg/s)",
            c.as_secs_f64() * 1000.0,
            p.as_secs_f64() * 1000.0,
            n as f64 / p.as_secs_f64()
        );
    }
    rates
}

type Stamps = Arc<Mutex<HashMap<i64, Instant>>>;

fn stamped_observer(stamps: &Stamps, samples: &Arc<Mutex<Vec<Duration>>>) -> CommitObserver {
    let (p, s) = (stamps.clone(), samples.clone());
    Arc::new(move |ids: &[i64]| {
        let now = Instant::now();
        let p = p.lock().unwrap();
        let mut s = s.lock().unwrap();
        s.extend(ids.iter().filter_map(|id| p.get(id).map(|t| now - *t)));
    })
}

/// Pushes `rate` messages per second for `secs`, stamping each just before it leaves.
async fn paced(sb: &Sandbox, stamps: &Stamps, rate: u64, secs: u64) -> usize {
    let stores: Vec<String> = sb.stores().into_iter().map(|s| s.epoi_id).collect();
    let total = rate * secs;
    let start = tokio::time::Instant::now();
    for i in 0..total {
        tokio::time::sleep_until(start + Duration::from_micros(i * 1_000_000 / rate)).await;
        let store = &stores[i as usize % stores.len()];
        let msg = CustomerMessage::text(store, ChatKind::PreOrder, LINES[i as usize % LINES.len()]);
        let mut p = stamps.lock().unwrap();
        let before = Instant::now();
        let pushed = sb.customer_says(msg).unwrap();
        p.insert(pushed.msg_id, before);
    }
    total as usize
}

async fn wait_samples(samples: &Arc<Mutex<Vec<Duration>>>, want: usize) {
    let start = Instant::now();
    while samples.lock().unwrap().len() < want && start.elapsed() < Duration::from_secs(60) {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

async fn solo_latency(rate: u64, secs: u64) -> (f64, f64, usize) {
    let dir = tempfile::tempdir().unwrap();
    let sb = sandbox().await;
    let stamps: Stamps = Arc::default();
    let samples: Arc<Mutex<Vec<Duration>>> = Arc::default();
    let desk = Desk::start_with(
        config(&sb, &dir.path().join("solo.sqlite3")),
        options(stamped_observer(&stamps, &samples)),
        Arc::new(NullSink),
    )
    .await
    .unwrap();
    common::connected(&sb, 3).await;
    let total = paced(&sb, &stamps, rate, secs).await;
    wait_samples(&samples, total).await;
    desk.shutdown().await;
    let v = samples.lock().unwrap().clone();
    p50_p99_ms(v)
}

async fn team_latency(rate: u64, secs: u64, desks: usize) -> (f64, f64, usize) {
    let dir = tempfile::tempdir().unwrap();
    let nats = NatsServer::start().unwrap();
    let sb = sandbox().await;
    let (relay_desk, relay) = relay(&sb, &nats, dir.path()).await;
    let stamps: Stamps = Arc::default();
    let samples: Arc<Mutex<Vec<Duration>>> = Arc::default();
    let mut all = Vec::new();
    for i in 0..desks {
        let desk = team_desk(
            &nats,
            &dir.path().join(format!("desk{i}.sqlite3")),
            stamped_observer(&stamps, &samples),
        )
        .await;
        all.push(desk);
    }
    let total = paced(&sb, &stamps, rate, secs).await;
    wait_samples(&samples, total * desks).await;
    for desk in all {
        desk.shutdown().await;
    }
    relay.drain().await;
    relay_desk.shutdown().await;
    let v = samples.lock().unwrap().clone();
    p50_p99_ms(v)
}

/// Catch-up: `n` archive records on the stream; a bare ordered consumer reads them all, then
/// a team desk on a fresh file applies them all. Seconds of each.
async fn catch_up(n: usize) -> (f64, f64) {
    let dir = tempfile::tempdir().unwrap();
    let nats = NatsServer::start().unwrap();
    let client = async_nats::connect(nats.url()).await.unwrap();
    let js = async_nats::jetstream::new(client);
    let stream = imdesk_core::team::ensure_stream(&js).await.unwrap();
    let published = Instant::now();
    let mut acks = Vec::new();
    for i in 0..n {
        let user = 10_000 + (i % 5_000) as i64;
        let m = WireMessage {
            v: 1,
            store: format!("bench{}", i % 12),
            biz_type: 1,
            msg_id: 1_000_000 + i as i64,
            msg_source: 2,
            msg_type: 1,
            text: Some(LINES[i % LINES.len()].to_owned()),
            cts_ms: 1_764_900_000_000 + i as i64,
            order_id: None,
            open_user_id: Some(user),
            group_id: None,
            comment_id: None,
            rider_id: None,
            scene_tag: -1,
            scene_name: String::new(),
            has_reply: 0,
            group_name: None,
            received_at_ms: 1_764_900_000_000 + i as i64,
        };
        let subject = imdesk_core::team::message_subject(&m.store, 1, user);
        acks.push(
            js.publish(subject, serde_json::to_vec(&m).unwrap().into())
                .await
                .unwrap(),
        );
        if acks.len() >= 2_000 {
            for a in acks.drain(..) {
                a.await.unwrap();
            }
        }
    }
    for a in acks {
        a.await.unwrap();
    }
    println!(
        "  (a bare JetStream publisher stored the {n} records at {:.0} msg/s, 2,000 in flight)",
        n as f64 / published.elapsed().as_secs_f64()
    );
    // Baseline: a bare ordered consumer reads every record.
    let start = Instant::now();
    let consumer = stream
        .create_consumer(async_nats::jetstream::consumer::pull::OrderedConfig {
            filter_subject: "im.>".to_owned(),
            ..Default::default()
        })
        .await
        .unwrap();
    let mut messages = consumer.messages().await.unwrap();
    let mut read = 0;
    while read < n {
        let m = messages.next().await.unwrap().unwrap();
        std::hint::black_box(&m.payload);
        read += 1;
    }
    let bare = start.elapsed().as_secs_f64();
    drop(messages);
    // Ours: a desk that was away for all of them.
    let start = Instant::now();
    let (observer, _) = counter();
    let desk = team_desk(&nats, &dir.path().join("away.sqlite3"), observer).await;
    desk.team_sync(Duration::from_secs(600)).await.unwrap();
    let ours = start.elapsed().as_secs_f64();
    assert_eq!(desk.store().quarantine_count().unwrap(), 0);
    desk.shutdown().await;
    // The floor of any desk that keeps the records: a bare rusqlite batched insert of the same
    // rows into the same schema (imdesk_store::bench_support::bare_insert).
    let mut rows = Vec::new();
    desk.store()
        .export_messages(&imdesk_store::ExportFilter::default(), |m| {
            rows.push(imdesk_store::bench_support::as_new_message(&m));
            true
        })
        .unwrap();
    assert_eq!(rows.len(), n);
    let path = dir.path().join("bare.sqlite3");
    drop(imdesk_store::Store::open(&path, imdesk_store::StoreOptions::default()).unwrap());
    let insert = imdesk_store::bench_support::bare_insert(&path, &rows, 1000).unwrap();
    println!(
        "  (a bare rusqlite insert of the same {n} rows into the same schema, batches of 1,000: \
         {:.2} s, {:.0} rows/s)",
        n as f64 / insert.wall,
        insert.wall
    );
    (ours, bare)
}

fn main() {
    let n = env_usize("IMDESK_BENCH_N", 5_000);
    let desks = env_usize("IMDESK_BENCH_DESKS", 5);
    if std::env::var_os("IMDESK_BENCH_FANOUT_ONLY").is_some() {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let r = rt.block_on(team_fanout(n, desks));
        println!("fan-out only: {r:?}");
        return;
    }
    let secs = env_usize("IMDESK_BENCH_LATENCY_SECS", 5) as u64;
    let away = env_usize("IMDESK_BENCH_CATCHUP", 100_000);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let solo = solo_rate(n).await;
        let rates = team_fanout(n, desks).await;
        let contended = solo_contended(n, desks + 1).await;
        let sorted = |v: &[f64]| {
            let mut v = v.to_vec();
            v.sort_by(f64::total_cmp);
            v
        };
        let (team_sorted, solo_sorted) = (sorted(&rates), sorted(&contended));
        let (slowest, median) = (team_sorted[0], team_sorted[team_sorted.len() / 2]);
        let solo_median = solo_sorted[solo_sorted.len() / 2];
        let list = |v: &[f64]| {
            v.iter()
                .map(|r| format!("{r:.0}"))
                .collect::<Vec<_>>()
                .join(" / ")
        };
        println!(
            "fan-out {n} msgs: sandbox → relay → NATS → {desks} team desks: per desk {} msg/s \
             (slowest {slowest:.0}, median {median:.0})",
            list(&rates)
        );
        println!(
            "  beside: a solo desk alone on the machine, same burst: {solo:.0} msg/s → slowest \
             team desk {:.1} % of it (target ≥ 70 %); {} solo desks sharing the machine as the \
             team's {} engines do: per desk {} msg/s (median {solo_median:.0}) → median team desk \
             {:.1} % of the median solo desk under the same contention",
            100.0 * slowest / solo,
            desks + 1,
            desks + 1,
            list(&contended),
            100.0 * median / solo_median
        );
        let one = team_fanout(n, 1).await[0];
        println!(
            "  one team desk (as each desk of a real team, on its own machine, sees the relay): \
             {one:.0} msg/s → {:.1} % of the solo desk alone (target ≥ 70 %)",
            100.0 * one / solo
        );
        let (sp50, sp99, sn) = solo_latency(1_000, secs).await;
        let (tp50, tp99, tn) = team_latency(1_000, secs, desks).await;
        println!(
            "push → visible at 1,000 msg/s for {secs} s: team desks p50 {tp50:.1} ms p99 \
             {tp99:.1} ms ({tn} samples over {desks} desks; target p99 ≤ 50 ms) | solo desk \
             p50 {sp50:.1} ms p99 {sp99:.1} ms ({sn} samples)"
        );
        let (ours, bare) = catch_up(away).await;
        println!(
            "catch-up of {away} records: team desk current in {ours:.2} s ({:.0} records/s) | \
             bare JetStream ordered consumer read them in {bare:.2} s | ours/bare {:.2}× \
             (target ≤ 2×)",
            away as f64 / ours,
            ours / bare
        );
    });
}
