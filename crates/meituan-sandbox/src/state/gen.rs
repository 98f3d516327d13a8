//! The world generated from the seed: developer, stores, customers, orders, reviews.

use rand::{rngs::StdRng, Rng, SeedableRng};
use std::collections::{BTreeMap, HashMap, HashSet};

use super::store::{status, AutoSendScene, Comment, Customer, FansBook, Line, Order, Store};
use super::World;
use crate::config::SandboxConfig;
use crate::customers::lexicon::{self, pick};

/// Customers generated per store.
const CUSTOMERS_PER_STORE: usize = 24;
/// Id bases; every kind of id draws from one counter and adds its base.
pub(crate) const CUSTOMER_BASE: i64 = 8_000_000_000;
pub(crate) const ORDER_BASE: i64 = 3_000_000_000_000;
pub(crate) const MSG_BASE: i64 = 6_000_000_000_000;
pub(crate) const GROUP_BASE: i64 = 50_000_000_000;
pub(crate) const COMMENT_BASE: i64 = 7_000_000_000;
const RIDER_BASE: i64 = 2_000_000;

/// A fresh imSecret: 20 letters and digits.
pub(crate) fn random_secret(rng: &mut StdRng) -> String {
    const ALNUM: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    (0..20)
        .map(|_| char::from(ALNUM[rng.random_range(0..ALNUM.len())]))
        .collect()
}

/// Builds the world for `cfg` at `now_ms`.
pub(crate) fn world(cfg: &SandboxConfig, now_ms: i64) -> World {
    let mut rng = StdRng::seed_from_u64(cfg.seed);
    let developer_id = rng.random_range(100_000..1_000_000);
    let sign_key = hex::encode(rng.random::<[u8; 16]>());
    let im_secret = random_secret(&mut rng);
    let mut w = World {
        seed: cfg.seed,
        push_scope: cfg.push_scope,
        developer_id,
        sign_key,
        app_id: 718,
        im_secret,
        stores: Vec::new(),
        by_epoi: HashMap::new(),
        tokens: HashMap::new(),
        refresh_tokens: HashMap::new(),
        auth_codes: HashMap::new(),
        conn_tokens: HashMap::new(),
        sent_msg_ids: HashMap::new(),
        customer_msgs: HashMap::new(),
        rng,
        token_ttl_ms: i64::try_from(cfg.token_ttl.as_millis()).unwrap_or(i64::MAX),
        conn_token_ttl_ms: i64::try_from(cfg.connection_token_ttl.as_millis()).unwrap_or(i64::MAX),
        next_id: 0,
    };
    for i in 0..cfg.stores {
        let store = new_store(&mut w, i);
        w.by_epoi.insert(store.epoi_id.clone(), i);
        w.stores.push(store);
        w.issue_access_token(i, now_ms);
        populate(&mut w, i, now_ms);
    }
    w
}

fn new_store(w: &mut World, i: usize) -> Store {
    let branch = lexicon::BRANCHES
        .get(i)
        .map_or_else(|| format!("{}号店", i + 1), |b| (*b).to_string());
    let autosend = lexicon::AUTOSEND_SCENES
        .iter()
        .enumerate()
        .map(|(k, (scene, name, content))| AutoSendScene {
            scene: *scene,
            name: (*name).to_string(),
            content: (*content).to_string(),
            status: i32::from(k % 3 != 2),
        })
        .collect();
    // From a generator of its own, so that adding per-store secrets left every other
    // seeded value as it was.
    let mut secrets = StdRng::seed_from_u64(w.seed ^ 0x5EC2E7 ^ i as u64);
    Store {
        im_secret: random_secret(&mut secrets),
        epoi_id: format!("mt-{}", 1001 + i),
        name: format!("{}·{}", lexicon::BRAND, branch),
        business_id: if i.is_multiple_of(2) { 16 } else { 2 },
        address: format!("北京市{}", pick(&mut w.rng, lexicon::STREETS)),
        phone: format!("010-6{:07}", w.rng.random_range(0..10_000_000)),
        current_token: String::new(),
        im_status: 1,
        autosend,
        blocked: BTreeMap::new(),
        customers: BTreeMap::new(),
        orders: BTreeMap::new(),
        comments: Vec::new(),
        groups: BTreeMap::new(),
        fans: FansBook {
            remain: 30,
            ..FansBook::default()
        },
        merchant_msgs: Vec::new(),
        replies: Default::default(),
        merchant_read: HashSet::new(),
        uploads: crate::images::Uploads::default(),
        day_seq: 0,
    }
}

fn populate(w: &mut World, store: usize, now_ms: i64) {
    for _ in 0..CUSTOMERS_PER_STORE {
        new_customer(w, store);
    }
    let ids: Vec<i64> = w.stores[store].customers.keys().copied().collect();
    // Two in progress, three completed within the window, one whose window has closed.
    for (k, status) in [status::ACCEPTED, status::DELIVERING]
        .into_iter()
        .enumerate()
    {
        make_order(w, store, ids[k], status, now_ms);
    }
    for k in 0..4 {
        let hours_ago = if k == 3 { 72 } else { 1 + 5 * k as i64 };
        let id = make_order(
            w,
            store,
            ids[2 + k],
            status::COMPLETED,
            now_ms - hours_ago * 3_600_000,
        );
        if k < 3 {
            let (text, score) = lexicon::REVIEWS[(store + k) % lexicon::REVIEWS.len()];
            let comment_id = COMMENT_BASE + w.next_id();
            w.stores[store].comments.push(Comment {
                comment_id,
                open_user_id: ids[2 + k],
                order_id: id,
                text: text.to_string(),
                score,
                time: now_ms / 1000 - (hours_ago - 1).max(0) * 3600,
            });
        }
    }
}

/// Adds a customer to `store` and returns its open_user_id.
pub(crate) fn new_customer(w: &mut World, store: usize) -> i64 {
    let open_user_id = CUSTOMER_BASE + w.next_id();
    let name = format!("{}**", pick(&mut w.rng, lexicon::SURNAMES));
    let phone = format!("1xxxxxxxxxx_{:04}", w.rng.random_range(0..10_000));
    let address = format!(
        "北京市{}{}号楼",
        pick(&mut w.rng, lexicon::STREETS),
        w.rng.random_range(1..20)
    );
    let c = Customer {
        name,
        phone,
        address,
        last_read_time_ms: 0,
        has_written: false,
    };
    w.stores[store].customers.insert(open_user_id, c);
    open_user_id
}

/// Creates an order of `open_user_id` at `store` in `status`. For a completed order `at_ms`
/// is the completion time; otherwise it is the creation time.
pub(crate) fn make_order(
    w: &mut World,
    store: usize,
    open_user_id: i64,
    status: i32,
    at_ms: i64,
) -> i64 {
    let order_id = ORDER_BASE + w.next_id();
    let n_lines = w.rng.random_range(1..=3);
    let lines = (0..n_lines)
        .map(|_| Line {
            item: w.rng.random_range(0..lexicon::MENU.len()),
            quantity: w.rng.random_range(1..=2),
        })
        .collect();
    let rider = w.rng.random_range(0..lexicon::RIDERS.len());
    let caution = pick(&mut w.rng, lexicon::CAUTIONS).to_string();
    let completed = status == status::COMPLETED;
    let created = at_ms / 1000 - if completed { 45 * 60 } else { 10 * 60 };
    let s = &mut w.stores[store];
    s.day_seq += 1;
    let order = Order {
        order_id,
        order_id_view: order_id + 1_000_000_000_000_000,
        day_seq: s.day_seq,
        open_user_id,
        status,
        created_at: created,
        confirmed_at: created + 60,
        completed_at_ms: completed.then_some(at_ms),
        estimate_arrival: created + 40 * 60,
        lines,
        shipping_fee_fen: 300,
        caution,
        rider_id: RIDER_BASE + rider as i64,
        rider_name: lexicon::RIDERS[rider].to_string(),
    };
    s.orders.insert(order_id, order);
    order_id
}
