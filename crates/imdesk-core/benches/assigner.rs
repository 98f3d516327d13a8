//! Team mode II benchmark (issue 23), each figure beside a baseline from the same run:
//!
//! 1. The assigner's decision: the agents who take work and the balanced plan for 500 waiting
//!    conversations over 2,000 stores and 50 agents (each serving a share of the stores, 300
//!    conversations already owned, a third of the customers with a last agent), beside a
//!    plain sort of the same queue by deadline.
//! 2. A claim's round trip through a real `nats-server` (`Roster::claim`: KV create, and on a
//!    lost race the owner read back), beside the bare async-nats `kv.create` on the same
//!    server.
//!
//! `cargo bench -p imdesk-core --bench assigner`; `IMDESK_BENCH_ROUNDS` (default 2,000).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stdout)] // a benchmark aborts on failure

use std::sync::Arc;
use std::time::{Duration, Instant};

use imdesk_core::team::assigner::{available_agents, plan, Waiting};
use imdesk_core::team::roster::{
    conversation_key, ensure_buckets, AgentProfile, AgentStatus, AssignHow, Assignment, Board,
    Owned, Presence, Roster, ASSIGN_BUCKET,
};
use imdesk_core::team::{AssignMode, Role};
use imdesk_store::bench_support::p50_p99_ms;
use imdesk_store::ConversationKey;
use nats_harness::NatsServer;

const STORES: usize = 2_000;
const AGENTS: usize = 50;
const WAITING: usize = 500;
const OWNED: usize = 300;

/// A small deterministic generator (no rand dependency for a benchmark's inputs).
struct Lcg(u64);
impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        self.0 >> 33
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

fn store(i: usize) -> String {
    format!("mt{:05}", i)
}

fn board(now: i64, rng: &mut Lcg) -> Board {
    let mut b = Board::default();
    for a in 0..AGENTS {
        let name = format!("agent{a:02}");
        // Every fifth agent serves all stores; the others a block of 200.
        let stores = if a % 5 == 0 {
            Vec::new()
        } else {
            let from = rng.below(STORES);
            (0..200).map(|k| store((from + k) % STORES)).collect()
        };
        b.serves
            .insert(name.clone(), Arc::new(stores.iter().cloned().collect()));
        b.agents.insert(
            name.clone(),
            AgentProfile {
                v: 1,
                name: name.clone(),
                role: Role::Agent,
                capacity: 20,
                stores,
            },
        );
        b.presence.insert(
            name.clone(),
            Presence {
                v: 1,
                agent: name,
                status: if a % 10 == 9 {
                    AgentStatus::Busy
                } else {
                    AgentStatus::Online
                },
                viewing: None,
                typing: None,
                typing_at_ms: 0,
                at_ms: now,
                left: false,
            },
        );
    }
    for i in 0..OWNED {
        let key = ConversationKey {
            store: store(rng.below(STORES)),
            biz_type: 1,
            peer_id: 1_000_000 + i as i64,
        };
        b.owners.insert(
            conversation_key(&key),
            Owned {
                assignment: Assignment {
                    v: 1,
                    agent: format!("agent{:02}", rng.below(AGENTS)),
                    by: "assigner".into(),
                    how: AssignHow::Auto,
                    at_ms: now,
                },
                revision: i as u64 + 1,
            },
        );
    }
    b.loaded = 0b11111;
    b
}

fn queue(now: i64, rng: &mut Lcg) -> Vec<Waiting> {
    (0..WAITING)
        .map(|i| Waiting {
            key: ConversationKey {
                store: store(rng.below(STORES)),
                biz_type: 1,
                peer_id: i as i64,
            },
            deadline_ms: now + rng.below(300_000) as i64,
            last_agent: (i % 3 == 0).then(|| format!("agent{:02}", rng.below(AGENTS))),
        })
        .collect()
}

fn main() {
    let rounds: usize = std::env::var("IMDESK_BENCH_ROUNDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(2_000);
    let now = 1_800_000_000_000;
    let mut rng = Lcg(7);
    let b = board(now, &mut rng);
    let q = queue(now, &mut rng);

    // 1. The decision, beside a plain sort of the same queue.
    let mut decide = Vec::with_capacity(rounds);
    let mut sort = Vec::with_capacity(rounds);
    let mut assigned = 0;
    for _ in 0..rounds {
        let t = Instant::now();
        let mut agents = available_agents(&b, now);
        let decisions = plan(AssignMode::Balanced, &q, &mut agents, &mut 0);
        decide.push(t.elapsed());
        assigned = decisions.len();
        let t = Instant::now();
        let mut plain: Vec<&Waiting> = q.iter().collect();
        plain.sort_by_key(|w| w.deadline_ms);
        std::hint::black_box(&plain);
        sort.push(t.elapsed());
    }
    let (d50, d99, n) = p50_p99_ms(decide);
    let (s50, s99, _) = p50_p99_ms(sort);
    println!(
        "assigner decision ({STORES} stores, {AGENTS} agents, {WAITING} waiting, {assigned} assigned): \
         p50 {d50:.3} ms, p99 {d99:.3} ms over {n} rounds; plain sort of the queue p50 {s50:.3} ms, \
         p99 {s99:.3} ms ({:.1}x)",
        d50 / s50.max(1e-9)
    );

    // 2. A claim's round trip through the real server.
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let nats = NatsServer::start().expect("nats-server (bash scripts/setup.sh --test)");
        let client = async_nats::connect(nats.url()).await.unwrap();
        let js = async_nats::jetstream::new(client);
        ensure_buckets(&js).await.unwrap();
        let stop = tokio_util::sync::CancellationToken::new();
        let roster = Roster::start(
            js.clone(),
            Some(AgentProfile::new("bench", Role::Agent)),
            false,
            Arc::new(meituan_wire::SystemClock),
            stop.clone(),
        );
        roster.loaded(Duration::from_secs(10)).await.unwrap();
        let kv = js.get_key_value(ASSIGN_BUCKET).await.unwrap();
        let mut claims = Vec::with_capacity(rounds);
        let mut bare = Vec::with_capacity(rounds);
        for i in 0..rounds {
            let key = ConversationKey {
                store: "mt00001".into(),
                biz_type: 1,
                peer_id: i as i64,
            };
            let t = Instant::now();
            let out = roster.claim(&key, "bench").await.unwrap();
            claims.push(t.elapsed());
            assert!(out.claimed);
            let t = Instant::now();
            kv.create(format!("bare.1-{i}"), "x".into()).await.unwrap();
            bare.push(t.elapsed());
        }
        stop.cancel();
        let (c50, c99, n) = p50_p99_ms(claims);
        let (b50, b99, _) = p50_p99_ms(bare);
        println!(
            "claim round trip through nats-server: p50 {c50:.2} ms, p99 {c99:.2} ms over {n} claims; \
             bare kv.create p50 {b50:.2} ms, p99 {b99:.2} ms"
        );
    });
}
