//! The state every route and background task shares.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use tokio_util::sync::CancellationToken;

use crate::config::SandboxConfig;
use crate::envelope::Vocabulary;
use crate::faults::FaultDice;
use crate::push::{Hub, PushItem};
use crate::state::World;

/// Counters for diagnostics and load runs.
#[derive(Debug, Default)]
pub(crate) struct Counters {
    pub gateway_calls: AtomicU64,
    pub customer_messages: AtomicU64,
    pub merchant_messages: AtomicU64,
    /// Calls answered 404 because the faults take their API away (`missing`).
    pub missing_api_calls: AtomicU64,
    /// WebSocket upgrades answered 403 because the faults refuse their API's tokens.
    pub refused_upgrades: AtomicU64,
    /// Push frames flushed to a long connection (copies included).
    pub push_frames: AtomicU64,
}

/// Shared by the routes, the connection tasks and the background loops.
#[derive(Debug)]
pub(crate) struct Shared {
    world: Mutex<World>,
    pub hub: Arc<Hub>,
    pub faults: FaultDice,
    pub config: SandboxConfig,
    pub gateway_url: String,
    pub push_url: String,
    pub cancel: CancellationToken,
    pub counters: Counters,
    trace: AtomicU64,
    /// Whether refusals are spelled in the alternate [`Vocabulary`] (switchable at runtime).
    alternate: AtomicBool,
}

impl Shared {
    pub fn new(world: World, config: SandboxConfig, gateway_url: String, push_url: String) -> Self {
        let runtime = tokio::runtime::Handle::current();
        let alternate = AtomicBool::new(config.vocabulary == Vocabulary::Alternate);
        Self {
            world: Mutex::new(world),
            hub: Arc::new(Hub::new(config.pending_capacity, runtime)),
            faults: FaultDice::new(config.faults.clone(), config.seed),
            config,
            gateway_url,
            push_url,
            cancel: CancellationToken::new(),
            counters: Counters::default(),
            trace: AtomicU64::new(0),
            alternate,
        }
    }

    /// The vocabulary refusals are spelled in now.
    pub fn vocabulary(&self) -> Vocabulary {
        if self.alternate.load(Ordering::Relaxed) {
            Vocabulary::Alternate
        } else {
            Vocabulary::Standard
        }
    }

    /// Switches the vocabulary of the refusals that follow.
    pub fn set_vocabulary(&self, vocabulary: Vocabulary) {
        self.alternate
            .store(vocabulary == Vocabulary::Alternate, Ordering::Relaxed);
    }

    /// Locks the platform state (never held across an await).
    pub fn world(&self) -> MutexGuard<'_, World> {
        self.world.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// A fresh traceId.
    pub fn trace_id(&self) -> String {
        let n = self.trace.fetch_add(1, Ordering::Relaxed) + 1;
        format!("sbx{:08x}{:08x}", self.config.seed as u32, n)
    }

    /// What a push frame for a connection of `store` (`None`: the developer's) is made with
    /// now: the app id and the current imSecret of that scope.
    pub fn frame_keys(&self, store: Option<usize>) -> (i64, String) {
        let w = self.world();
        (w.app_id, w.secret_for(store).to_owned())
    }

    /// Pushes a customer message to the developer's connections, with the push faults.
    pub fn publish(&self, item: PushItem) {
        if self.hub.holding() {
            // A held-back burst leaves as fast as the sockets take it: make its frame now.
            let store = self.world().store_index(&item.epoi_id);
            let (app_id, secret) = self.frame_keys(store);
            let _ = item.frame_text(app_id, &secret);
        }
        self.counters
            .customer_messages
            .fetch_add(1, Ordering::Relaxed);
        self.hub.publish(item, self.faults.roll_push());
    }
}
