//! The platform's state: the developer, its stores and everything they hold, behind one mutex.
//!
//! Nothing here awaits; callers lock, change, unlock. Generation from the seed lives in
//! [`gen`], the per-store records in [`store`], conversations in [`chat`], reply clocks in
//! [`reply`].

pub(crate) mod chat;
pub(crate) mod gen;
pub(crate) mod reply;
pub(crate) mod store;

use rand::{rngs::StdRng, Rng};

use crate::config::PushScope;
use std::collections::HashMap;

pub(crate) use store::Store;

/// An access token (`appAuthToken`) for one (store, businessId).
#[derive(Debug, Clone)]
pub(crate) struct AccessToken {
    pub store: usize,
    pub business_id: u8,
    pub expires_at_ms: i64,
}

/// The API that granted a long-connection token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TokenApi {
    Single,
    Batch,
}

impl TokenApi {
    pub fn name(self) -> &'static str {
        match self {
            Self::Single => "getConnectionToken",
            Self::Batch => "getConnectionTokenWithCount",
        }
    }
}

/// A long-connection token handed out by `getConnectionToken*`.
#[derive(Debug, Clone)]
pub(crate) struct ConnToken {
    pub connection_id: String,
    pub expires_at_ms: i64,
    pub in_use: bool,
    /// The store whose pushes its connection carries; `None`: every store's (developer scope).
    pub store: Option<usize>,
    pub api: TokenApi,
}

/// Where a customer message went (for `msgRead` checks).
#[derive(Debug, Clone, Copy)]
pub(crate) struct CustomerMsgRef {
    pub store: usize,
    pub open_user_id: i64,
}

/// Everything the sandbox platform knows.
#[derive(Debug)]
pub(crate) struct World {
    pub seed: u64,
    pub push_scope: PushScope,
    pub developer_id: i64,
    pub sign_key: String,
    pub app_id: i64,
    pub im_secret: String,
    pub stores: Vec<Store>,
    pub by_epoi: HashMap<String, usize>,
    pub tokens: HashMap<String, AccessToken>,
    /// refresh token → store
    pub refresh_tokens: HashMap<String, usize>,
    /// authorization code → store (removed when exchanged)
    pub auth_codes: HashMap<String, usize>,
    pub conn_tokens: HashMap<String, ConnToken>,
    /// msg_ids the developer already sent → store (msg_id uniqueness is developer-scoped).
    pub sent_msg_ids: HashMap<i64, usize>,
    pub customer_msgs: HashMap<i64, CustomerMsgRef>,
    pub rng: StdRng,
    pub token_ttl_ms: i64,
    pub conn_token_ttl_ms: i64,
    next_id: i64,
}

impl World {
    /// Index of the store with this ePoiId.
    pub fn store_index(&self, epoi_id: &str) -> Option<usize> {
        self.by_epoi.get(epoi_id).copied()
    }

    /// A fresh random token (32 lowercase hex characters) from the seeded RNG.
    pub fn random_token(&mut self) -> String {
        let bytes: [u8; 16] = self.rng.random();
        hex::encode(bytes)
    }

    /// A fresh unique id; every id space adds its own base, so kinds never collide.
    pub fn next_id(&mut self) -> i64 {
        self.next_id += 1;
        self.next_id
    }

    /// Issues an access token for `store` valid for `token_ttl_ms` from `now_ms`.
    pub fn issue_access_token(&mut self, store: usize, now_ms: i64) -> String {
        let token = self.random_token();
        let business_id = self.stores[store].business_id;
        let expires_at_ms = now_ms.saturating_add(self.token_ttl_ms);
        self.tokens.insert(
            token.clone(),
            AccessToken {
                store,
                business_id,
                expires_at_ms,
            },
        );
        self.stores[store].current_token = token.clone();
        token
    }

    /// Issues a refresh token for `store`.
    pub fn issue_refresh_token(&mut self, store: usize) -> String {
        let token = self.random_token();
        self.refresh_tokens.insert(token.clone(), store);
        token
    }

    /// The sandbox's one reading of the connectionId (§6.2, \[INF\]): `{appkey}_WMOPEN` for
    /// the developer's connections and for every `getConnectionTokenWithCount` token (whose
    /// response names none); a store-scoped `getConnectionToken` names one per store.
    pub fn connection_id(&self, api: TokenApi, store: Option<usize>) -> String {
        match (api, store.and_then(|s| self.stores.get(s))) {
            (TokenApi::Single, Some(s)) => format!("{}_WMOPEN_{}", self.app_id, s.epoi_id),
            _ => format!("{}_WMOPEN", self.app_id),
        }
    }

    /// Issues a long-connection token for `store`'s connection (`None`: the developer's).
    pub fn issue_conn_token(&mut self, now_ms: i64, api: TokenApi, store: Option<usize>) -> String {
        let token = self.random_token();
        let connection_id = self.connection_id(api, store);
        let expires_at_ms = now_ms.saturating_add(self.conn_token_ttl_ms);
        self.conn_tokens.insert(
            token.clone(),
            ConnToken {
                connection_id,
                expires_at_ms,
                in_use: false,
                store,
                api,
            },
        );
        token
    }

    /// The imSecret of `store`'s pushes and replies: its own when connections are
    /// store-scoped, the developer's otherwise.
    pub fn secret_for(&self, store: Option<usize>) -> &str {
        match (self.push_scope, store.and_then(|s| self.stores.get(s))) {
            (PushScope::Store, Some(s)) => &s.im_secret,
            _ => &self.im_secret,
        }
    }

    /// Rotates imSecret (the developer's, and every store's); every connection token issued
    /// under an old secret stops working.
    pub fn rotate_secret(&mut self) {
        self.im_secret = gen::random_secret(&mut self.rng);
        for i in 0..self.stores.len() {
            let secret = gen::random_secret(&mut self.rng);
            self.stores[i].im_secret = secret;
        }
        self.conn_tokens.clear();
    }

    /// Marks every access token of `store` as expired at `now_ms`.
    pub fn expire_tokens_of(&mut self, store: usize, now_ms: i64) {
        for t in self.tokens.values_mut().filter(|t| t.store == store) {
            t.expires_at_ms = t.expires_at_ms.min(now_ms - 1);
        }
    }
}
