//! Helpers shared by the store's integration tests.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)] // shared by tests that use parts of it

use imdesk_store::{
    NewMessage, OrderRecord, Store, StoreOptions, SOURCE_CUSTOMER, SOURCE_MERCHANT,
};

/// Base time of the tests: 2023-11-14 22:13:20 UTC.
pub const T0: i64 = 1_700_000_000_000;
pub const MINUTE: i64 = 60_000;
pub const HOUR: i64 = 60 * MINUTE;

pub fn open(dir: &tempfile::TempDir) -> Store {
    Store::open(dir.path().join("cache.sqlite3"), StoreOptions::default()).unwrap()
}

/// A customer text message in a two-party chat that asks for a reply.
pub fn customer(store: &str, user: i64, msg_id: i64, cts_ms: i64, text: &str) -> NewMessage {
    NewMessage {
        store: store.into(),
        biz_type: 1,
        msg_id,
        msg_source: SOURCE_CUSTOMER,
        msg_type: 1,
        text: Some(text.into()),
        msg_content: "ZW5jcnlwdGVk".into(),
        cts_ms,
        open_user_id: Some(user),
        scene_tag: -1,
        has_reply: 1,
        received_at_ms: cts_ms + 5,
        ..NewMessage::default()
    }
}

/// A merchant reply in the same two-party chat.
pub fn merchant(store: &str, user: i64, msg_id: i64, cts_ms: i64, text: &str) -> NewMessage {
    NewMessage {
        msg_source: SOURCE_MERCHANT,
        has_reply: 0,
        ..customer(store, user, msg_id, cts_ms, text)
    }
}

/// An urgent (scene 9003) customer message.
pub fn urgent(store: &str, user: i64, msg_id: i64, cts_ms: i64, text: &str) -> NewMessage {
    NewMessage {
        scene_tag: 9003,
        scene_name: "顾客投诉".into(),
        ..customer(store, user, msg_id, cts_ms, text)
    }
}

/// A customer message in a two-party chat about `order_id`.
pub fn about_order(
    store: &str,
    user: i64,
    msg_id: i64,
    cts_ms: i64,
    order_id: i64,
    text: &str,
) -> NewMessage {
    NewMessage {
        order_id: Some(order_id),
        ..customer(store, user, msg_id, cts_ms, text)
    }
}

/// An order of `store` completed at `at` (status 8), as the order poller records it.
pub fn completed_order(order_id: i64, store: &str, at: i64) -> OrderRecord {
    OrderRecord {
        order_id,
        store: store.into(),
        status: 8,
        completed_at_ms: Some(at),
        json: "{}".into(),
        fetched_at_ms: at,
    }
}
