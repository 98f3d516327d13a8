//! Test helpers: a loopback server that plays Meituan's push service, a counting token
//! source, and frame builders.

#![allow(dead_code)] // each test file uses a different part

pub mod frames;
pub mod wpush;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::Duration;

use meituan_push::endpoint::with_count_connection_id;
use meituan_push::{ConnectionGrant, ConnectionSlot, TokenError, TokenSource};

/// The imSecret every test grant carries (the protocol document's cipher vector).
pub const SECRET: &str = "abcdef0123456789ZZZZ";

/// Grants unique tokens `tok-1`, `tok-2`, … and records every request's count.
#[derive(Debug, Default)]
pub struct CountingTokens {
    requests: Mutex<Vec<u8>>,
    issued: AtomicUsize,
    fail_next: AtomicUsize,
}

impl CountingTokens {
    /// The next `n` requests fail.
    pub fn fail_next(&self, n: usize) {
        self.fail_next.store(n, Ordering::SeqCst);
    }

    /// The `count` of every request so far, in order.
    pub fn requests(&self) -> Vec<u8> {
        self.requests.lock().unwrap().clone()
    }
}

impl TokenSource for CountingTokens {
    async fn fetch(&self, count: u8) -> Result<ConnectionGrant, TokenError> {
        self.requests.lock().unwrap().push(count);
        let failing = self.fail_next.load(Ordering::SeqCst);
        if failing > 0 {
            self.fail_next.store(failing - 1, Ordering::SeqCst);
            return Err(TokenError::Request("test says no".into()));
        }
        let connections = (0..count)
            .map(|_| ConnectionSlot {
                connection_id: with_count_connection_id(718),
                connection_token: format!("tok-{}", self.issued.fetch_add(1, Ordering::SeqCst) + 1),
            })
            .collect();
        Ok(ConnectionGrant {
            connections,
            im_secret: SECRET.into(),
            user_send_fail_count: Some(0),
        })
    }
}

/// Polls `check` every 10 ms until it holds; panics with `what` after 10 s.
pub async fn eventually(what: &str, mut check: impl FnMut() -> bool) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while !check() {
        assert!(
            tokio::time::Instant::now() < deadline,
            "timed out waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}
