//! [`Desk`]: start, the shared state of the engine's tasks, and shutdown. The query and
//! command methods live in `queries` and `commands`.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, PoisonError, RwLock};

use imdesk_store::{Store, StoreRow};
use meituan_api::im::ReversionRate;
use meituan_api::{
    ClientConfig, DeveloperCredentials, MeituanClient, RetryPolicy, StoreKey, StoreToken,
};
use meituan_push::{BackoffConfig, KnownStores, PushClient, PushConfig, PushHandle};
use meituan_wire::{BusinessId, StoreId};
use tokio::sync::{mpsc, Notify};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use crate::alerts::AlertSettings;
use crate::alerts_driver::{self, AlertCmd};
use crate::attachments::Attachments;
use crate::config::DeskConfig;
use crate::error::{DeskError, DeskResult};
use crate::events::{self, DeskSink, Notices};
use crate::options::DeskOptions;
use crate::tokens::{PlatformTokens, SecretSlot};
use crate::view::{ConnectionStatus, LinkState};
use crate::{ingest, link, outbox, pollers, settings};

/// A configured store as the engine keeps it.
#[derive(Debug, Clone)]
pub(crate) struct StoreEntry {
    pub name: String,
    pub key: StoreKey,
}

/// The platform side: the signed client and the token source.
#[derive(Debug, Clone)]
pub(crate) struct Platform {
    pub client: Arc<MeituanClient>,
    pub tokens: PlatformTokens,
}

/// What the engine's tasks share.
#[derive(Debug)]
pub(crate) struct Inner {
    pub store: Store,
    pub platform: Option<Platform>,
    pub stores: RwLock<BTreeMap<String, StoreEntry>>,
    pub opts: DeskOptions,
    pub notices: Notices,
    pub alerts: mpsc::UnboundedSender<AlertCmd>,
    pub outbox_wake: Notify,
    pub link: Mutex<ConnectionStatus>,
    pub platform_rates: Mutex<BTreeMap<String, ReversionRate>>,
    pub attachments: Attachments,
    /// The end of the pause the agent asked for (what the UI shows).
    pub paused_until: Mutex<Option<i64>>,
    pub cancel: CancellationToken,
}

impl Inner {
    pub(crate) fn now(&self) -> i64 {
        self.opts.clock.now().0
    }

    pub(crate) fn store_entry(&self, epoi_id: &str) -> Option<StoreEntry> {
        self.stores
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .get(epoi_id)
            .cloned()
    }

    /// Whether `epoi_id` is one of the configured stores (asked for every pushed frame).
    pub(crate) fn has_store(&self, epoi_id: &str) -> bool {
        self.stores
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .contains_key(epoi_id)
    }

    pub(crate) fn store_name(&self, epoi_id: &str) -> String {
        self.store_entry(epoi_id)
            .map_or_else(|| epoi_id.to_owned(), |e| e.name)
    }

    pub(crate) fn store_keys(&self) -> Vec<StoreKey> {
        self.stores
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .values()
            .map(|e| e.key.clone())
            .collect()
    }
}

/// The imdesk engine: ingest, outbox, reply clocks and alerts behind one API for both front
/// doors. Cheap to share (`Arc` inside); methods are async and never run SQLite on the
/// executor.
#[derive(Debug)]
pub struct Desk {
    pub(crate) inner: Arc<Inner>,
    tasks: Mutex<Vec<JoinHandle<()>>>,
    ingest: Mutex<Option<JoinHandle<()>>>,
    push: Mutex<Option<PushHandle>>,
    engine: Engine,
}

/// Name of the engine's threads: its worker, and the blocking threads its tasks start.
pub const ENGINE_THREAD: &str = "imdesk-engine";

/// The runtime the engine's own tasks run on (push sockets, ingest, alerts, outbox, pollers):
/// one worker thread, apart from the caller's runtime, which serves the front door's calls.
///
/// Why one thread: in a burst the pipeline is a chain (sockets, decode, the writer thread,
/// announcements) whose hops are channel sends. On a second worker every hop wakes another
/// thread, and the engine's two threads and the store's writer contend for the cores of a
/// typical desk PC; with one engine thread and the writer beside it, the ingest benchmark
/// ran ~7 points nearer the bare insert (`cargo bench -p imdesk-core --bench ingest`). The
/// front door's queries keep the caller's runtime (SQLite reads on its blocking threads).
/// Platform calls share one HTTP client, whose pooled connections are driven by the runtime
/// that opened them, often this one: a front-door call to the platform may wait for the
/// engine thread in a burst, as it would on a shared runtime.
#[derive(Debug)]
struct Engine(Mutex<Option<tokio::runtime::Runtime>>);

impl Engine {
    fn start() -> DeskResult<(Self, tokio::runtime::Handle)> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .thread_name(ENGINE_THREAD)
            .enable_all()
            .build()
            .map_err(DeskError::Thread)?;
        let handle = runtime.handle().clone();
        Ok((Self(Mutex::new(Some(runtime))), handle))
    }

    /// Stops the thread; tasks still on it are dropped. Safe from async code.
    fn stop(&self) {
        let runtime = self.0.lock().unwrap_or_else(PoisonError::into_inner).take();
        if let Some(runtime) = runtime {
            runtime.shutdown_background();
        }
    }
}

impl Drop for Engine {
    fn drop(&mut self) {
        self.stop();
    }
}

fn business_id(code: u8, epoi_id: &str) -> DeskResult<BusinessId> {
    BusinessId::from_code(i64::from(code)).map_err(|_| {
        DeskError::Invalid(format!("store {epoi_id}: businessId {code} is not 2 or 16"))
    })
}

fn client(config: &DeskConfig, opts: &DeskOptions) -> DeskResult<Option<Arc<MeituanClient>>> {
    let (Some(developer_id), Some(sign_key)) = (config.developer_id, config.sign_key.clone())
    else {
        return Ok(None);
    };
    let client_config = ClientConfig {
        read_timeout: opts.api_read_timeout,
        retry: RetryPolicy {
            max_retries: opts.api_retries,
            min_delay: opts.api_retry_delay.0,
            max_delay: opts.api_retry_delay.1,
            jitter: true,
        },
        ..ClientConfig::with_base_url(config.gateway_url.clone())
    };
    let client = MeituanClient::new(
        DeveloperCredentials::new(developer_id, sign_key),
        client_config,
    )?;
    Ok(Some(Arc::new(client)))
}

impl Desk {
    /// Starts the engine with default options.
    pub async fn start(config: DeskConfig, sink: Arc<dyn DeskSink>) -> DeskResult<Desk> {
        Self::start_with(config, DeskOptions::default(), sink).await
    }

    /// Opens the cache, registers the configured stores, resumes the outbox and restores the
    /// reply clocks, then starts ingest (push), the outbox worker, the alert driver and the
    /// pollers.
    pub async fn start_with(
        config: DeskConfig,
        mut opts: DeskOptions,
        sink: Arc<dyn DeskSink>,
    ) -> DeskResult<Desk> {
        if let Some(n) = config.push_connections {
            opts.connections = n;
        }
        let path = config.db_path.clone();
        let store_opts = opts.store.clone();
        let store = tokio::task::spawn_blocking(move || Store::open(path, store_opts))
            .await
            .map_err(|_| DeskError::Stopped)??;
        let client = client(&config, &opts)?;
        let mut entries = BTreeMap::new();
        for s in &config.stores {
            let key = StoreKey::new(s.epoi_id.as_str(), business_id(s.business_id, &s.epoi_id)?);
            if let Some(c) = &client {
                c.set_token(
                    key.clone(),
                    StoreToken::static_token(s.app_auth_token.clone()),
                );
            }
            let existing = store.stores_async().await?;
            let previous = existing.iter().find(|r| r.epoi_id == s.epoi_id);
            let name = if s.name.is_empty() {
                s.epoi_id.clone()
            } else {
                s.name.clone()
            };
            store
                .upsert_store_async(StoreRow {
                    epoi_id: s.epoi_id.clone(),
                    name: name.clone(),
                    business_id: i32::from(s.business_id),
                    im_status: previous.and_then(|p| p.im_status),
                    muted: previous.is_some_and(|p| p.muted),
                    updated_at_ms: opts.clock.now().0,
                })
                .await?;
            entries.insert(s.epoi_id.clone(), StoreEntry { name, key });
        }
        settings::seed_quick_replies(&store).await?;
        let platform = match (&client, entries.values().next()) {
            (Some(client), Some(first)) => Some(Platform {
                client: client.clone(),
                tokens: PlatformTokens {
                    client: client.clone(),
                    store: first.key.clone(),
                    secret: Arc::new(SecretSlot::default()),
                },
            }),
            _ => None,
        };
        let cancel = CancellationToken::new();
        let (engine, runtime) = Engine::start()?;
        let mut tasks = Vec::new();
        let (notices, task) =
            events::start(&runtime, sink.clone(), opts.event_window, cancel.clone());
        tasks.push(task);
        let (alerts_tx, alerts_rx) = mpsc::unbounded_channel();
        let alert_settings: AlertSettings = settings::load_alert_settings(&store).await?;
        let inner = Arc::new(Inner {
            store,
            platform,
            stores: RwLock::new(entries),
            opts,
            notices,
            alerts: alerts_tx,
            outbox_wake: Notify::new(),
            link: Mutex::new(ConnectionStatus {
                state: LinkState::Stopped,
                sockets: Vec::new(),
                quarantined_total: 0,
            }),
            platform_rates: Mutex::new(BTreeMap::new()),
            attachments: Attachments::beside(&config.db_path),
            paused_until: Mutex::new(None),
            cancel: cancel.clone(),
        });
        clean_attachments(&inner).await?;
        let restored = alerts_driver::restore_rows(&inner).await?;
        tasks.push(runtime.spawn(alerts_driver::run(
            inner.clone(),
            alerts_rx,
            alert_settings,
            restored,
            sink,
        )));
        tasks.push(runtime.spawn(outbox::run(inner.clone())));
        let mut push = None;
        let mut ingest_task = None;
        if let (true, Some(p)) = (inner.opts.run_push, &inner.platform) {
            let (handle, events) = {
                // The push client spawns its sockets on the runtime it is started in.
                let _engine = runtime.enter();
                PushClient::start(push_config(&config, &inner), p.tokens.clone())?
            };
            tasks.push(runtime.spawn(link::watch(inner.clone(), handle.health())));
            ingest_task = Some(runtime.spawn(ingest::run(inner.clone(), events)));
            push = Some(handle);
        }
        if inner.opts.run_pollers && inner.platform.is_some() {
            tasks.push(runtime.spawn(pollers::read_receipts(inner.clone())));
            tasks.push(runtime.spawn(pollers::platform_rates(inner.clone())));
            tasks.push(runtime.spawn(pollers::orders(inner.clone())));
        }
        Ok(Desk {
            inner,
            tasks: Mutex::new(tasks),
            ingest: Mutex::new(ingest_task),
            push: Mutex::new(push),
            engine,
        })
    }

    /// Stops push first (what was received is still committed), then the workers. Outbox items
    /// not yet sent stay queued in the cache and are sent after the next start.
    pub async fn shutdown(&self) {
        let push = self
            .push
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
        if let Some(handle) = push {
            handle.shutdown().await;
        }
        // Ingest ends by itself once the push stream is drained; give it that chance.
        let ingest = self
            .ingest
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
        if let Some(t) = ingest {
            let _ = tokio::time::timeout(std::time::Duration::from_secs(5), t).await;
        }
        self.inner.cancel.cancel();
        let tasks = std::mem::take(&mut *self.tasks.lock().unwrap_or_else(PoisonError::into_inner));
        for t in tasks {
            let _ = tokio::time::timeout(std::time::Duration::from_secs(5), t).await;
        }
        self.engine.stop();
    }

    /// The underlying cache (for the CLI's export and for diagnostics).
    pub fn store(&self) -> &Store {
        &self.inner.store
    }
}

/// Removes staged pictures no unsent outbox item refers to (left by a crash after their send,
/// or half-written). Failed items keep theirs: the agent may retry them.
async fn clean_attachments(inner: &Arc<Inner>) -> DeskResult<()> {
    let texts = inner
        .store
        .read_async(|conn| {
            let mut stmt =
                conn.prepare("SELECT text FROM outbox WHERE state != 2 AND msg_type = 2")?;
            let rows = stmt
                .query_map([], |r| r.get::<_, String>(0))?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            Ok(rows)
        })
        .await?;
    let keep: std::collections::BTreeSet<String> = texts
        .iter()
        .filter_map(|t| crate::attachments::staged_name(t))
        .map(str::to_owned)
        .collect();
    let attachments = inner.attachments.clone();
    let removed = tokio::task::spawn_blocking(move || attachments.remove_all_but(&keep))
        .await
        .map_err(|_| DeskError::Stopped)?;
    if removed > 0 {
        tracing::info!(removed, "stale staged pictures removed");
    }
    Ok(())
}

fn push_config(config: &DeskConfig, inner: &Arc<Inner>) -> PushConfig {
    let o = &inner.opts;
    let mut c = PushConfig::new(config.push_url.clone());
    c.connections = o.connections;
    c.keepalive = o.push_keepalive;
    c.dead_after = o.push_dead_after;
    c.connect_timeout = o.push_dead_after.max(std::time::Duration::from_secs(1));
    c.backoff = BackoffConfig {
        initial: o.push_backoff.0,
        max: o.push_backoff.1,
        ..BackoffConfig::default()
    };
    c.clock = o.clock.clone();
    let weak = Arc::downgrade(inner);
    c.known_stores = Some(KnownStores::from_fn(move |s: &StoreId| {
        weak.upgrade().is_some_and(|i| i.has_store(s.as_str()))
    }));
    c
}
