//! Starting and stopping the push client.

use std::sync::{Arc, Mutex};

use tokio::sync::{mpsc, watch};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use crate::config::PushConfig;
use crate::connection::{PushConnection, Shared};
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

impl PushClient {
    /// Validates `config` and spawns one task per connection on the current tokio runtime.
    /// Events arrive on the returned receiver (see [`crate::event`] for the order); dropping
    /// the receiver stops the connections, as does [`PushHandle::shutdown`] or dropping the
    /// handle.
    pub fn start<S: TokenSource>(
        config: PushConfig,
        tokens: S,
    ) -> Result<(PushHandle, mpsc::Receiver<PushEvent>), PushError> {
        config.validate()?;
        let runtime = tokio::runtime::Handle::try_current()
            .map_err(|_| PushError::Config("PushClient::start needs a tokio runtime".into()))?;
        let connector = tls::connector().map_err(|e| PushError::Config(e.to_string()))?;
        let (events, receiver) = mpsc::channel(config.event_buffer);
        let count = usize::from(config.connections);
        let health = HealthBoard::new(count);
        let cancel = CancellationToken::new();
        let cipher = Arc::new(CipherSlot::default());
        let shared = Arc::new(Shared {
            rules: FrameRules::from_config(&config),
            broker: TokenBroker::new(
                tokens,
                config.connections,
                config.cipher_factory.clone(),
                cipher.clone(),
            ),
            cipher,
            dedupe: Mutex::new(RecentKeys::new(config.dedupe_capacity)),
            health: health.clone(),
            events,
            connector,
            cancel: cancel.clone(),
            config,
        });
        let tasks = (0..count)
            .map(|index| runtime.spawn(PushConnection::new(index, shared.clone()).run()))
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
