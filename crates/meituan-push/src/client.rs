//! Starting and stopping the push client.

use std::sync::{Arc, Mutex};

use tokio::sync::{mpsc, watch};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use crate::config::{ConnectionScope, PushConfig};
use crate::connection::{PushConnection, Shared, Unit};
use crate::dedupe::RecentKeys;
use crate::error::PushError;
use crate::event::PushEvent;
use crate::frame::FrameRules;
use crate::health::{ConnectionHealth, HealthBoard};
use crate::tls;
use crate::token::{CipherSlot, TokenBroker, TokenSource};

/// Entry point of the push long connection.
#[derive(Debug)]
pub struct PushClient;

/// One scope unit \[INF\] (§6.3, open question 3): the redundant sockets of one credential
/// set, with their own tokens, imSecret and store rule. A developer-scoped desk runs one unit
/// whose connections carry every store's pushes; a store-scoped desk runs one per store token.
#[derive(Debug, Clone)]
pub struct PushUnit<S> {
    /// Whose pushes the unit's connections carry.
    pub scope: ConnectionScope,
    /// Where the unit's tokens (and its imSecret) come from.
    pub tokens: S,
}

/// Fewest message keys (and frames) one unit's dedupe window remembers. Copies of a frame
/// arrive within milliseconds, so a few dozen recent frames per store are plenty; the floor
/// keeps a brand with hundreds of store units from holding hundreds of full windows.
const MIN_UNIT_DEDUPE: usize = 64;

impl PushClient {
    /// Validates `config` and spawns one task per connection on the current tokio runtime:
    /// one unit of `config.connections` sockets scoped by `config.scope`. Events arrive on
    /// the returned receiver (see [`crate::event`] for the order); dropping the receiver
    /// stops the connections, as does [`PushHandle::shutdown`] or dropping the handle.
    pub fn start<S: TokenSource>(
        config: PushConfig,
        tokens: S,
    ) -> Result<(PushHandle, mpsc::Receiver<PushEvent>), PushError> {
        let scope = config.scope.clone();
        Self::start_units(config, vec![PushUnit { scope, tokens }])
    }

    /// As [`PushClient::start`], for several scope units: `config.connections` sockets for
    /// each unit (`config.scope` is not used), all feeding one event stream and one health
    /// board (unit by unit, in the order given). Each unit leases its own tokens, keeps its
    /// own imSecret and drops its own copies: a frame one unit refuses (for a store not its
    /// own) does not hide the same frame from the unit it belongs to.
    pub fn start_units<S: TokenSource>(
        config: PushConfig,
        units: Vec<PushUnit<S>>,
    ) -> Result<(PushHandle, mpsc::Receiver<PushEvent>), PushError> {
        config.validate()?;
        if units.is_empty() {
            return Err(PushError::Config("no push unit to start".into()));
        }
        let runtime = tokio::runtime::Handle::try_current()
            .map_err(|_| PushError::Config("PushClient::start needs a tokio runtime".into()))?;
        let connector = tls::connector().map_err(|e| PushError::Config(e.to_string()))?;
        let (events, receiver) = mpsc::channel(config.event_buffer);
        let per_unit = usize::from(config.connections);
        let dedupe_capacity =
            (config.dedupe_capacity / units.len()).max(config.dedupe_capacity.min(MIN_UNIT_DEDUPE));
        let mut stores = Vec::with_capacity(units.len() * per_unit);
        let units: Vec<Unit<S>> = units
            .into_iter()
            .map(|unit| {
                let store = match &unit.scope {
                    ConnectionScope::Developer => None,
                    ConnectionScope::Store(s) => Some(s.clone()),
                };
                stores.extend(std::iter::repeat_n(store, per_unit));
                let cipher = Arc::new(CipherSlot::default());
                Unit {
                    rules: FrameRules {
                        scope: unit.scope,
                        ..FrameRules::from_config(&config)
                    },
                    broker: TokenBroker::new(
                        unit.tokens,
                        config.connections,
                        config.cipher_factory.clone(),
                        cipher.clone(),
                    ),
                    cipher,
                    dedupe: Mutex::new(RecentKeys::new(dedupe_capacity)),
                }
            })
            .collect();
        let health = HealthBoard::new(stores);
        let cancel = CancellationToken::new();
        let unit_count = units.len();
        let shared = Arc::new(Shared {
            units,
            health: health.clone(),
            events,
            connector,
            cancel: cancel.clone(),
            config,
        });
        let tasks = (0..unit_count)
            .flat_map(|unit| (0..per_unit).map(move |k| (unit, unit * per_unit + k)))
            .map(|(unit, index)| {
                runtime.spawn(PushConnection::new(index, unit, shared.clone()).run())
            })
            .collect();
        let handle = PushHandle {
            health: health.subscribe(),
            cancel,
            tasks,
        };
        Ok((handle, receiver))
    }
}

/// Controls a running client. Dropping it stops the connections.
#[derive(Debug)]
pub struct PushHandle {
    health: watch::Receiver<Vec<ConnectionHealth>>,
    cancel: CancellationToken,
    tasks: Vec<JoinHandle<()>>,
}

impl PushHandle {
    /// Health of every connection, indexed by connection number; changes on every state
    /// change and frame.
    pub fn health(&self) -> watch::Receiver<Vec<ConnectionHealth>> {
        self.health.clone()
    }

    /// Stops every connection and waits until their tasks have ended. The event receiver
    /// then yields what was already queued and ends.
    pub async fn shutdown(mut self) {
        self.cancel.cancel();
        for task in std::mem::take(&mut self.tasks) {
            if let Err(error) = task.await {
                tracing::error!(%error, "push connection task failed");
            }
        }
    }
}

impl Drop for PushHandle {
    fn drop(&mut self) {
        self.cancel.cancel();
    }
}
