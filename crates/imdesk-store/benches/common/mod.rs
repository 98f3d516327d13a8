//! Shared by the query benchmarks (this crate's and `imdesk-core`'s, which includes this file):
//! sizes from the environment, the generated cache file they both read, a deterministic
//! generator of realistic Chinese service messages, timing and percentiles.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)] // benchmarks abort on failure

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use imdesk_store::{NewMessage, Store, StoreOptions, SOURCE_CUSTOMER, SOURCE_MERCHANT};
use rusqlite::Connection;

/// Reads a size from the environment, with a default.
pub fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.replace('_', "").parse().ok())
        .unwrap_or(default)
}

/// A small deterministic PRNG (xorshift64*), so every run generates the same data.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Self(seed.max(1))
    }
    pub fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    pub fn chance(&mut self, per_mille: u64) -> bool {
        self.next() % 1000 < per_mille
    }
}

/// Everyday phrases of a takeaway chat. The searched terms appear with set frequencies:
/// 退款 common, 少送 and 催单 medium, 发票 rare; 鳄鱼 never.
const PHRASES: &[&str] = &[
    "你好在吗",
    "请问什么时候能送到",
    "外卖到哪里了",
    "骑手电话打不通",
    "饭菜有点凉了",
    "麻烦多放点辣椒",
    "不要香菜谢谢",
    "可以放在门口吗",
    "地址写错了能改吗",
    "我是楼下那个单",
    "汤洒了一半",
    "味道很好下次还来",
    "包装破损了",
    "能不能快一点",
    "今天怎么这么慢",
    "好的谢谢",
    "收到了",
    "米饭有点硬",
    "分量比上次少",
    "餐具没有给",
    "帮忙备注一下",
    "我在公司前台",
    "小区进不去放门卫",
    "已经等了一个小时",
    "订单显示已送达但没收到",
    "您好亲亲",
    "马上为您处理",
    "非常抱歉给您带来不便",
    "已经联系骑手了",
    "请您稍等片刻",
];
const REFUND: &[&str] = &[
    "我要申请退款",
    "退款什么时候到账",
    "能退款吗",
    "部分退款可以吗",
];
const MISSING: &[&str] = &["少送了一杯饮料", "饮料少送了", "少送了米饭"];
const HURRY: &[&str] = &["帮我催单一下", "催单了还没到"];
const INVOICE: &[&str] = &["需要开发票", "发票抬头写公司"];
/// Filler characters so texts are varied, like real chat.
const FILLER: &str = "的一是不了人我在有他这中大来上个国到说们为子和你地出道也时年得就那要下以生会自着去之过家学对可她里后小么心多天而能好都然没日于起还发成事只作当想看文无开手十用主行方又如前所本见经头面公同三已老从动两长知民样现分将外但身些与高意进把法此实回二理美点月明其种声全工己话儿者向情部正名定女问力机给等几很业最间新什打便位因重被走电四第门相次东政海口使教西再平真听世气信北少关并内加化由却代军产入先山五太水万市眼体别处总才场师书比住员九笑性通目华报立马命张活难神数件安表原车白应路期叫死常提感金何更反合放做系计或司利受光王果亲界及今京务制解各任至清物台象记边共风战干接它许八特觉望直服毛林题建南度统色字请交爱让认算论百吃义科怎元社术结六功指思非流每青管夫连远资队跟带花快条院变联言权往展该领传近留红治决周保达办运武半候七必城父强步完革深区即求品士转量空甚众技轻程告江语英基派满式李息写呢识极令黑故具";

/// One generated message (a customer or a merchant line).
#[derive(Debug, Clone)]
pub struct Generator {
    rng: Rng,
    filler: Vec<char>,
    pub stores: usize,
    pub conversations: usize,
    pub base_ms: i64,
}

impl Generator {
    pub fn new(stores: usize, conversations: usize) -> Self {
        Self {
            rng: Rng::new(0x1d35_7a11),
            filler: FILLER.chars().collect(),
            stores,
            conversations,
            base_ms: 1_700_000_000_000,
        }
    }

    /// About 60 characters of chat text.
    pub fn text(&mut self) -> String {
        let mut t = String::new();
        let roll = self.rng.below(1000);
        let special = if roll < 50 {
            REFUND[self.rng.below(REFUND.len())]
        } else if roll < 65 {
            MISSING[self.rng.below(MISSING.len())]
        } else if roll < 80 {
            HURRY[self.rng.below(HURRY.len())]
        } else if roll < 82 {
            INVOICE[self.rng.below(INVOICE.len())]
        } else {
            ""
        };
        while t.chars().count() < 50 {
            match self.rng.below(3) {
                0 => t.push_str(PHRASES[self.rng.below(PHRASES.len())]),
                _ => {
                    for _ in 0..self.rng.below(8) + 2 {
                        t.push(self.filler[self.rng.below(self.filler.len())]);
                    }
                }
            }
            t.push(if self.rng.chance(300) { '，' } else { ' ' });
        }
        if !special.is_empty() {
            t.push_str(special);
        }
        t
    }

    /// Message number `i` (arrival order). Conversations are spread over the stores; a few
    /// messages are urgent complaints; some are group chats.
    pub fn message(&mut self, i: usize) -> NewMessage {
        let conv = self.rng.below(self.conversations);
        let store = conv % self.stores;
        let customer = self.rng.chance(600);
        let biz_type = if conv.is_multiple_of(20) { 5 } else { 1 };
        let cts_ms = self.base_ms + i as i64 * 2_600;
        NewMessage {
            store: format!("epoi{store:04}"),
            biz_type,
            msg_id: 10_000_000 + i as i64,
            msg_source: if customer {
                SOURCE_CUSTOMER
            } else {
                SOURCE_MERCHANT
            },
            msg_type: if biz_type == 1 { 1 } else { 0 },
            text: Some(self.text()),
            msg_content: String::new(),
            decrypt_failed: false,
            cts_ms,
            order_id: (biz_type == 1 && self.rng.chance(700)).then_some(900_000 + conv as i64),
            open_user_id: (biz_type == 1).then_some(5_000_000 + conv as i64),
            group_id: (biz_type == 5).then_some(7_000_000 + conv as i64),
            comment_id: None,
            rider_id: None,
            scene_tag: if customer && self.rng.chance(10) {
                9003
            } else {
                -1
            },
            scene_name: String::new(),
            has_reply: i32::from(customer),
            group_name: (biz_type == 5).then(|| "粉丝群".to_owned()),
            received_at_ms: cts_ms + 30,
            search_body: None,
        }
    }
}

/// Percentiles of a set of durations, in milliseconds.
#[derive(Debug, Clone, Copy)]
pub struct Stats {
    pub p50: f64,
    pub p99: f64,
    pub n: usize,
}

pub fn stats(mut samples: Vec<Duration>) -> Stats {
    samples.sort();
    let at = |q: f64| {
        let idx = ((samples.len() as f64 - 1.0) * q).round() as usize;
        samples[idx].as_secs_f64() * 1000.0
    };
    Stats {
        p50: at(0.50),
        p99: at(0.99),
        n: samples.len(),
    }
}

/// Runs `f` `n` times and returns the percentiles.
pub fn time_n(n: usize, mut f: impl FnMut(usize)) -> Stats {
    let samples = (0..n)
        .map(|i| {
            let start = Instant::now();
            f(i);
            start.elapsed()
        })
        .collect();
    stats(samples)
}

/// Prints one line: our figure, the baseline, and the ratio of the p99s (and p50s).
pub fn report(name: &str, ours: Stats, base_name: &str, base: Stats) {
    println!(
        "{name:<44} ours p50 {:>9.3} ms p99 {:>9.3} ms (n={:<5}) | {base_name:<28} p50 {:>9.3} ms p99 {:>9.3} ms (n={:<4}) | p50 ratio base/ours {:>8.1}x",
        ours.p50, ours.p99, ours.n, base.p50, base.p99, base.n, base.p50 / ours.p50.max(1e-6)
    );
}

/// The generated cache of the query benchmarks. Sizes: IMDESK_BENCH_MESSAGES (1000000),
/// IMDESK_BENCH_STORES (200), IMDESK_BENCH_CONVERSATIONS (50000). The file is kept
/// (IMDESK_BENCH_DB, default in the temp dir) and reused by later runs of the same size, by
/// either benchmark. IMDESK_BENCH_TRIGRAM=0 leaves out the trigram baseline table.
#[derive(Debug, Clone)]
pub struct Cache {
    pub path: PathBuf,
    pub messages: usize,
    pub stores: usize,
    pub conversations: usize,
}

impl Cache {
    /// The sizes from the environment; generates the file unless a ready one of those sizes
    /// is there.
    pub fn from_env() -> Self {
        let messages = env_usize("IMDESK_BENCH_MESSAGES", 1_000_000);
        let stores = env_usize("IMDESK_BENCH_STORES", 200);
        let conversations = env_usize("IMDESK_BENCH_CONVERSATIONS", 50_000);
        let trigram = env_usize("IMDESK_BENCH_TRIGRAM", 1) == 1;
        let path = std::env::var("IMDESK_BENCH_DB")
            .map(PathBuf::from)
            .unwrap_or_else(|_| {
                std::env::temp_dir().join(format!(
                    "imdesk-bench-{messages}-{stores}-{conversations}.sqlite3"
                ))
            });
        println!("queries: {messages} messages, {stores} stores, {conversations} conversations");
        generate(&path, messages, stores, conversations, trigram);
        Self {
            path,
            messages,
            stores,
            conversations,
        }
    }
}

fn generate(path: &Path, messages: usize, stores: usize, conversations: usize, trigram: bool) {
    let ready = path.exists()
        && Store::open(path, StoreOptions::default())
            .and_then(|s| s.setting("bench_ready".into()))
            .ok()
            .flatten()
            .is_some_and(|v| v == format!("{messages}/{stores}/{conversations}/{trigram}"));
    if ready {
        println!("reusing {}", path.display());
        return;
    }
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
    }
    let start = Instant::now();
    let store = Store::open(path, StoreOptions::default()).unwrap();
    let mut generator = Generator::new(stores, conversations);
    let batch = 5_000;
    for first in (0..messages).step_by(batch) {
        let msgs = (first..(first + batch).min(messages))
            .map(|i| generator.message(i))
            .collect();
        store.ingest(msgs).unwrap();
        if (first + batch) % 100_000 == 0 {
            println!(
                "  generated {} messages, {:.0} s",
                first + batch,
                start.elapsed().as_secs_f64()
            );
        }
    }
    drop(store);
    println!(
        "generated through Store::ingest in {:.1} s",
        start.elapsed().as_secs_f64()
    );
    let conn = Connection::open(path).unwrap();
    if trigram {
        let t = Instant::now();
        conn.execute_batch(
            "CREATE VIRTUAL TABLE bench_trigram USING fts5 (text, content = 'messages',
                 content_rowid = 'id', tokenize = 'trigram');
             INSERT INTO bench_trigram (bench_trigram) VALUES ('rebuild');",
        )
        .unwrap();
        println!(
            "trigram baseline table built in {:.1} s",
            t.elapsed().as_secs_f64()
        );
    }
    conn.execute_batch("PRAGMA wal_checkpoint(TRUNCATE); ANALYZE;")
        .unwrap();
    drop(conn);
    let store = Store::open(path, StoreOptions::default()).unwrap();
    store
        .set_setting(
            "bench_ready".into(),
            format!("{messages}/{stores}/{conversations}/{trigram}"),
        )
        .unwrap();
}
