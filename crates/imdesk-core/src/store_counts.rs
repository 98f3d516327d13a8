//! The per-store counts of the store rail, read once per change.
//!
//! Counting is a pass over every conversation (tens of milliseconds on a 50,000-conversation
//! brand), and it is asked for in bursts: each change the engine announces makes the window's
//! rail and the tray ask at once, and the start adds the notifier's store names. The counts
//! change only when the store commits a write or a running clock passes its deadline, so a
//! result is kept with the store's commit count and the last instant it holds through
//! ([`imdesk_store::StoreCountsAt`]), and handed out again while both still hold: the
//! numbers are always those a fresh count would give. One count runs at a time; who asks
//! meanwhile waits for it and takes its result when nothing changed since it began.

use std::sync::Arc;

use imdesk_store::{Store, StoreCounts};
use tokio::sync::Mutex;

/// A count kept with what it depends on.
#[derive(Debug)]
struct Kept {
    /// The store's commit count before the read began.
    commits: u64,
    /// The instant counted at.
    at: i64,
    /// The last instant the counts hold through without a write.
    through: Option<i64>,
    counts: Arc<Vec<StoreCounts>>,
}

impl Kept {
    fn holds(&self, commits: u64, now_ms: i64) -> bool {
        self.commits == commits
            && self.at <= now_ms
            && self.through.is_none_or(|through| now_ms <= through)
    }
}

/// The last count, behind the lock that makes counts run one at a time.
#[derive(Debug, Default)]
pub(crate) struct StoreCountsCache {
    kept: Mutex<Option<Kept>>,
}

impl StoreCountsCache {
    /// The counts at `now_ms`: the kept ones while they hold, else a fresh count.
    pub(crate) async fn get(
        &self,
        store: &Store,
        now_ms: i64,
    ) -> imdesk_store::Result<Arc<Vec<StoreCounts>>> {
        let mut kept = self.kept.lock().await;
        // Read before the count: a commit after this makes the next caller count again.
        let commits = store.commits();
        if let Some(k) = kept.as_ref().filter(|k| k.holds(commits, now_ms)) {
            return Ok(k.counts.clone());
        }
        let fresh = store.store_counts_at_async(now_ms).await?;
        let counts = Arc::new(fresh.counts);
        *kept = Some(Kept {
            commits,
            at: now_ms,
            through: fresh.holds_through,
            counts: counts.clone(),
        });
        Ok(counts)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kept(through: Option<i64>) -> Kept {
        Kept {
            commits: 7,
            at: 1_000,
            through,
            counts: Arc::new(Vec::new()),
        }
    }

    #[test]
    fn a_count_holds_until_a_commit_or_past_the_next_deadline() {
        let k = kept(Some(5_000));
        assert!(k.holds(7, 1_000));
        assert!(
            k.holds(7, 5_000),
            "at the deadline the clock is not overdue yet"
        );
        assert!(!k.holds(7, 5_001), "a millisecond later it is");
        assert!(!k.holds(8, 2_000), "a commit since the count");
        assert!(!k.holds(7, 999), "an earlier instant is counted again");
        assert!(kept(None).holds(7, i64::MAX), "no clock left to fall due");
    }

    const T0: i64 = 1_700_000_000_000;

    /// A customer's message that starts (or keeps) the reply clock of their chat with store s1.
    fn customer(user: i64, msg_id: i64, cts_ms: i64) -> imdesk_store::NewMessage {
        imdesk_store::NewMessage {
            store: "s1".into(),
            biz_type: 1,
            msg_id,
            msg_source: imdesk_store::SOURCE_CUSTOMER,
            msg_type: 1,
            cts_ms,
            received_at_ms: cts_ms,
            open_user_id: Some(user),
            has_reply: 1,
            ..imdesk_store::NewMessage::default()
        }
    }

    #[tokio::test]
    async fn the_store_is_counted_again_only_after_a_write_or_past_a_deadline() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(
            dir.path().join("cache.sqlite3"),
            imdesk_store::StoreOptions::default(),
        )
        .unwrap();
        let cache = StoreCountsCache::default();
        store.ingest(vec![customer(1, 1, T0)]).unwrap();
        let first = cache.get(&store, T0 + 1_000).await.unwrap();
        assert_eq!((first[0].waiting, first[0].overdue), (1, 0));
        let again = cache.get(&store, T0 + 2_000).await.unwrap();
        assert!(
            Arc::ptr_eq(&first, &again),
            "nothing changed: the kept count"
        );

        store.ingest(vec![customer(2, 2, T0 + 3_000)]).unwrap();
        let written = cache.get(&store, T0 + 3_000).await.unwrap();
        assert_eq!(written[0].waiting, 2, "a write is counted");

        let deadline = store
            .store_counts_at(T0 + 3_000)
            .unwrap()
            .holds_through
            .unwrap();
        let at_deadline = cache.get(&store, deadline).await.unwrap();
        assert!(Arc::ptr_eq(&written, &at_deadline));
        let past = cache.get(&store, deadline + 1).await.unwrap();
        assert_eq!(
            (past[0].waiting, past[0].overdue),
            (2, 1),
            "the first clock fell due"
        );
    }
}
