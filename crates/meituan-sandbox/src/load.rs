//! Load mode: customer messages at a fixed rate spread over the stores, either forever (the
//! `rate` of the config) or a bounded run whose pushes are all returned (exactly-once checks).

use rand::{rngs::StdRng, Rng, SeedableRng};
use std::sync::Arc;
use std::time::Duration;
use tokio::time::Instant;

use crate::app::Shared;
use crate::customers::lexicon;
use crate::model::{ChatKind, CustomerMessage, Pushed};

/// Pacing granularity.
const SLICE: Duration = Duration::from_millis(10);

/// Sends `count` messages (or forever when `None`) at `rate` per second; returns what was pushed.
pub(crate) async fn run(app: Arc<Shared>, count: Option<u64>, rate: f64, seed: u64) -> Vec<Pushed> {
    let mut rng = StdRng::seed_from_u64(seed);
    let stores: Vec<String> = app.store_infos().into_iter().map(|s| s.epoi_id).collect();
    let mut pushed = Vec::new();
    if stores.is_empty() || rate <= 0.0 {
        return pushed;
    }
    let started = Instant::now();
    let mut sent: u64 = 0;
    let mut slice = tokio::time::interval(SLICE);
    slice.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    while count.is_none_or(|c| sent < c) {
        tokio::select! {
            () = app.cancel.cancelled() => break,
            _ = slice.tick() => {}
        }
        let due = (started.elapsed().as_secs_f64() * rate) as u64 + 1;
        let due = count.map_or(due, |c| due.min(c));
        while sent < due {
            let store = &stores[(sent as usize) % stores.len()];
            let (kind, scripts) = if rng.random_bool(0.5) {
                (ChatKind::PreOrder, lexicon::PRE_ORDER)
            } else {
                (ChatKind::InProgress, lexicon::IN_PROGRESS)
            };
            let script = lexicon::pick(&mut rng, scripts);
            let text = lexicon::pick(&mut rng, script.lines);
            match app.customer_says(&CustomerMessage::text(store.clone(), kind, *text)) {
                Ok(p) if count.is_some() => pushed.push(p),
                Ok(_) => {}
                Err(e) => tracing::debug!(store, error = %e, "load message refused"),
            }
            sent += 1;
        }
    }
    pushed
}
