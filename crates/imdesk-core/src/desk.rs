//! [`Desk`]: start, the handles the engine's parts own, and shutdown. The query and command
//! methods live in `queries` and `commands`.
//!
//! Each part owns its state and is reached through a handle: the store registry
//! ([`StoreRegistry`]), the alert policy ([`AlertsHandle`], which also holds the pause), the
//! outbox ([`OutboxHandle`]: wake-ups and durable state changes), the link status (a `watch`),
//! the platform's reply rates (a `watch`) and UI notices. Each task is handed only the handles
//! it uses; none of them knows the `Desk`. The platform is reached through the
//! [`PlatformPort`](crate::port::PlatformPort).

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, PoisonError};

use imdesk_store::{Store, StoreRow};
use meituan_api::im::ReversionRate;
use meituan_api::{
    ClientConfig, DeveloperCredentials, ErrorBurst, MeituanClient, RetryPolicy, StoreKey,
    StoreToken,
};
use meituan_push::{BackoffConfig, PushConfig};
use meituan_wire::BusinessId;
use tokio::sync::{mpsc, watch};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use crate::alerts_driver::{self, AlertDriver, AlertsHandle};
use crate::attachments::Attachments;
use crate::config::DeskConfig;
use crate::detail::ContextFetcher;
use crate::doctor_log::{Coordinates, PlatformLog};
use crate::error::{DeskError, DeskResult};
use crate::events::{self, DeskSink, Notices};
use crate::ingest::{Ingest, SettleRequest};
use crate::options::DeskOptions;
use crate::outbox::{OutboxHandle, OutboxWorker};
use crate::pollers::Pollers;
use crate::port::{BoxFuture, InboundEvents, MeituanLink, PlatformPort};
use crate::registry::{StoreEntry, StoreRegistry};
use crate::store_admin::{ImLearner, ImSwitchBook};
use crate::tokens::ScopeUnits;
use crate::view::ConnectionStatus;
use crate::{ingest, link, settings};

/// How the inbound stream is stopped.
type StopInbound = Box<dyn FnOnce() -> BoxFuture<'static, ()> + Send>;

/// The imdesk engine: ingest, outbox, reply clocks and alerts behind one API for both front
/// doors. Methods are async and never run SQLite on the executor.
pub struct Desk {
    pub(crate) store: Store,
    pub(crate) stores: StoreRegistry,
    /// The direct Meituan link (solo mode), for what only it can do.
    pub(crate) meituan: Option<MeituanLink>,
    /// A team desk's link to its relays (team mode without platform credentials).
    pub(crate) team: Option<crate::team::mirror::TeamLink>,
    pub(crate) context: ContextFetcher,
    pub(crate) alerts: AlertsHandle,
    pub(crate) outbox: OutboxHandle,
    pub(crate) notices: Notices,
    pub(crate) attachments: Attachments,
    pub(crate) opts: DeskOptions,
    /// The last retention run, for the settings page.
    pub(crate) retention: crate::retention::LastRun,
    link: watch::Receiver<ConnectionStatus>,
    pub(crate) health: Option<watch::Receiver<Vec<meituan_push::ConnectionHealth>>>,
    /// What the platform answered, for the connection doctor.
    pub(crate) platform_log: Arc<PlatformLog>,
    pub(crate) platform_rates: watch::Receiver<BTreeMap<String, ReversionRate>>,
    /// Why a store's token renewal last failed.
    pub(crate) renewal_failures: crate::token_vault::RenewalFailures,
    /// Each store's IM switch as last learned from the platform.
    pub(crate) im_switches: ImSwitchBook,
    /// The store rail's last counts ([`crate::store_counts`]).
    pub(crate) store_counts: crate::store_counts::StoreCountsCache,
    ingest_settle: Option<mpsc::UnboundedSender<SettleRequest>>,
    cancel: CancellationToken,
    tasks: Mutex<Vec<JoinHandle<()>>>,
    ingest: Mutex<Option<JoinHandle<()>>>,
    stop_inbound: Mutex<Option<StopInbound>>,
    engine: Engine,
}

impl std::fmt::Debug for Desk {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Desk")
            .field("store", &self.store)
            .field("stores", &self.stores)
            .field("opts", &self.opts)
            .finish_non_exhaustive()
    }
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
/// A runtime the caller hands over in [`DeskOptions::runtime`] (tests on controlled time, a
/// process that already has one) is used instead, and not stopped by the engine.
#[derive(Debug)]
struct Engine(Mutex<Option<tokio::runtime::Runtime>>);

impl Engine {
    /// The given runtime, or a thread of the engine's own.
    fn start_or(
        given: Option<tokio::runtime::Handle>,
    ) -> DeskResult<(Self, tokio::runtime::Handle)> {
        if let Some(handle) = given {
            return Ok((Self(Mutex::new(None)), handle));
        }
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
    /// Stops the thread and waits (up to 5 s) until its tasks are dropped, so that what they
    /// held (the cache's clones, and with them its writer lock) is released on return.
    async fn stop_and_wait(&self) {
        let runtime = self.0.lock().unwrap_or_else(PoisonError::into_inner).take();
        if let Some(runtime) = runtime {
            let wait = std::time::Duration::from_secs(5);
            let _ = tokio::task::spawn_blocking(move || runtime.shutdown_timeout(wait)).await;
        }
    }

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

fn client(
    config: &DeskConfig,
    opts: &DeskOptions,
    observer: Arc<PlatformLog>,
) -> DeskResult<Option<Arc<MeituanClient>>> {
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
        codes: config.platform_codes.table.clone(),
        // The burst backoff reuses the retry delays: both pace requests the platform refused.
        burst: ErrorBurst {
            after: config.platform_codes.error_burst_after,
            min_delay: opts.api_retry_delay.0,
            max_delay: opts.api_retry_delay.1,
            jitter: true,
        },
        refresh_margin: opts.token_refresh_margin,
        ..ClientConfig::with_base_url(config.gateway_url.clone())
    };
    let mut client = MeituanClient::new(
        DeveloperCredentials::new(developer_id, sign_key),
        client_config,
    )?
    .with_observer(observer);
    if let Some(vault) = &opts.token_vault {
        client = client.with_token_sink(vault.sink());
    }
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
        mut config: DeskConfig,
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
        let platform_log = Arc::new(PlatformLog::new(
            opts.clock.clone(),
            Coordinates {
                gateway_url: config.gateway_url.clone(),
                push_url: config.push_url.clone(),
                developer_id: config.developer_id,
            },
        ));
        let client = client(&config, &opts, platform_log.clone())?;
        let team = match (&config.team, &client) {
            (Some(team), None) => {
                let link = crate::team::mirror::TeamLink::connect(
                    team,
                    store.clone(),
                    opts.clock.clone(),
                    opts.team_presence,
                )
                .await?;
                // The brand's stores as the relay lists them (never a token).
                for s in link.stores().await? {
                    if !config.stores.iter().any(|c| c.epoi_id == s.epoi_id) {
                        config.stores.push(crate::config::StoreCredentials {
                            epoi_id: s.epoi_id,
                            name: s.name,
                            business_id: s.business_id,
                            app_auth_token: meituan_api::Secret::default(),
                            refresh_token: None,
                        });
                    }
                }
                Some(link)
            }
            _ => None,
        };
        let (stores, keys) = register_stores(&config, &store, client.as_deref(), &opts).await?;
        settings::seed_quick_replies(&store).await?;
        settings::apply_urgent_tags(&store).await?;
        let meituan = client.as_ref().and_then(|client| {
            let units = ScopeUnits::new(
                config.push_scope,
                client,
                &keys,
                config.platform_codes.secret_refetch_after,
            )?;
            Some(MeituanLink {
                client: client.clone(),
                units,
                push: push_config(&config, &opts),
            })
        });
        let port: Option<Arc<dyn PlatformPort>> = match (&meituan, &team) {
            (Some(m), _) => Some(Arc::new(m.clone()) as Arc<dyn PlatformPort>),
            (None, Some(t)) => Some(Arc::new(t.clone()) as Arc<dyn PlatformPort>),
            (None, None) => None,
        };
        let cancel = CancellationToken::new();
        let (engine, runtime) = Engine::start_or(opts.runtime.clone())?;
        let mut tasks = Vec::new();
        let (notices, task) =
            events::start(&runtime, sink.clone(), opts.event_window, cancel.clone());
        tasks.push(task);
        let (alerts, alerts_rx) = AlertsHandle::new(opts.clock.clone());
        let attachments = Attachments::beside(&config.db_path);
        clean_attachments(&store, &attachments).await?;
        tasks.push(runtime.spawn(alerts_driver::run(AlertDriver {
            rx: alerts_rx,
            settings: settings::load_alert_settings(&store).await?,
            store: store.clone(),
            restore_after: opts.deferred_start.clone(),
            started: opts.clock.now(),
            sink,
            clock: opts.clock.clone(),
            poll: opts.alert_poll,
            utc_offset_secs: opts.utc_offset_secs,
            cancel: cancel.clone(),
        })));
        // A team desk mirrors the brand's blocked customers ([`crate::team::blocks`]).
        if let Some(link) = &team {
            tasks.push(runtime.spawn(crate::team::blocks::follow(
                link.jetstream(),
                store.clone(),
                notices.clone(),
                cancel.clone(),
            )));
        }
        let outbox = OutboxHandle::new();
        tasks.push(
            runtime.spawn(
                OutboxWorker {
                    store: store.clone(),
                    port: port.clone(),
                    stores: stores.clone(),
                    handle: outbox.clone(),
                    alerts: alerts.clone(),
                    notices: notices.clone(),
                    attachments: attachments.clone(),
                    clock: opts.clock.clone(),
                    attempts: opts.send_attempts,
                    backoff: opts.send_backoff,
                    cancel: cancel.clone(),
                }
                .run(),
            ),
        );
        let context = ContextFetcher {
            store: store.clone(),
            meituan: meituan.clone(),
            stores: stores.clone(),
            notices: notices.clone(),
            clock: opts.clock.clone(),
        };
        let (link_tx, link_rx) = watch::channel(link::stopped());
        let mut ingest_task = None;
        let mut ingest_settle = None;
        let mut stop_inbound = None;
        let mut health = None;
        if let (true, Some(port)) = (opts.run_push, &port) {
            // The link spawns its sockets on the runtime it is opened in.
            let inbound = {
                let _engine = runtime.enter();
                port.open_inbound(stores.clone())?
            };
            health = Some(inbound.health.clone());
            let team_status = team.as_ref().map(|t| {
                let (tx, rx) = watch::channel(None);
                tasks.push(runtime.spawn(t.clone().status(tx, cancel.clone())));
                rx
            });
            tasks.push(runtime.spawn(link::watch(
                link_tx,
                notices.clone(),
                inbound.health,
                team_status,
                cancel.clone(),
            )));
            let (settle_tx, settle_rx) = mpsc::unbounded_channel();
            let ingest = Ingest {
                store: store.clone(),
                alerts: alerts.clone(),
                notices: notices.clone(),
                observer: opts.commit_observer.clone(),
                batch: opts.ingest_batch,
                mirror: team.as_ref().map(|t| t.hooks()),
            };
            ingest_task = Some(match inbound.events {
                InboundEvents::Push(rx) => runtime.spawn(ingest::run(ingest, rx, settle_rx)),
                InboundEvents::Mirror(rx) => runtime.spawn(ingest::run(ingest, rx, settle_rx)),
            });
            ingest_settle = Some(settle_tx);
            stop_inbound = Some(inbound.stop);
        }
        if let Some(t) = &team {
            tasks.push(runtime.spawn(crate::team_commands::announce_board(
                t.roster.subscribe(),
                notices.clone(),
                cancel.clone(),
            )));
        }
        let retention = crate::retention::LastRun::default();
        tasks.push(runtime.spawn(crate::retention::run_daily(
            store.clone(),
            opts.clock.clone(),
            opts.retention_first_delay,
            opts.retention_interval,
            retention.clone(),
            notices.clone(),
            cancel.clone(),
        )));
        let (rates_tx, rates_rx) = watch::channel(BTreeMap::new());
        let im_switches = ImSwitchBook::default();
        let renewal_failures = crate::token_vault::RenewalFailures::default();
        if let Some(m) = &meituan {
            // Every renewable store token is renewed before it expires, busy or idle.
            tasks.push(
                runtime.spawn(crate::token_vault::run_refresher(
                    m.client.clone(),
                    keys.clone(),
                    opts.token_refresh_margin,
                    opts.token_refresh_margin
                        .min(std::time::Duration::from_secs(60)),
                    renewal_failures.clone(),
                    cancel.clone(),
                )),
            );
        }
        if let (true, Some(meituan)) = (opts.run_pollers, &meituan) {
            // The store-level settings are read on the cadence of the platform's figures.
            tasks.push(
                runtime.spawn(
                    ImLearner {
                        link: meituan.clone(),
                        stores: stores.clone(),
                        book: im_switches.clone(),
                        notices: notices.clone(),
                        clock: opts.clock.clone(),
                        every: opts.platform_rates_interval,
                        outbox: Some(outbox.subscribe()),
                        cancel: cancel.clone(),
                    }
                    .run(),
                ),
            );
            let pollers = Pollers {
                store: store.clone(),
                meituan: meituan.clone(),
                stores: stores.clone(),
                context: context.clone(),
                notices: notices.clone(),
                opts: opts.clone(),
                cancel: cancel.clone(),
            };
            tasks.push(runtime.spawn(pollers.clone().read_receipts()));
            tasks.push(runtime.spawn(pollers.clone().platform_rates(rates_tx)));
            tasks.push(runtime.spawn(pollers.orders()));
        }
        Ok(Desk {
            store,
            stores,
            meituan,
            team,
            context,
            alerts,
            outbox,
            notices,
            attachments,
            opts,
            retention,
            link: link_rx,
            health,
            platform_log,
            platform_rates: rates_rx,
            renewal_failures,
            im_switches,
            store_counts: crate::store_counts::StoreCountsCache::default(),
            ingest_settle,
            cancel,
            tasks: Mutex::new(tasks),
            ingest: Mutex::new(ingest_task),
            stop_inbound: Mutex::new(stop_inbound),
            engine,
        })
    }

    /// Stops push first (what was received is still committed), then the workers. Outbox items
    /// not yet sent stay queued in the cache and are sent after the next start.
    pub async fn shutdown(&self) {
        if let Some(team) = &self.team {
            team.stop_roster();
            team.roster.finished().await;
        }
        let stop = self
            .stop_inbound
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
        if let Some(stop) = stop {
            stop().await;
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
        self.cancel.cancel();
        let tasks = std::mem::take(&mut *self.tasks.lock().unwrap_or_else(PoisonError::into_inner));
        for t in tasks {
            let _ = tokio::time::timeout(std::time::Duration::from_secs(5), t).await;
        }
        self.engine.stop_and_wait().await;
    }

    /// Waits until everything the engine has received so far is handled: pushed messages
    /// committed and announced, the alert policy fed and ticked at the clock's current time,
    /// and the resulting UI notices handed to the sink. What a test asserts did not happen
    /// after this has not happened, with no sleeping.
    pub async fn settle(&self) {
        if let Some(ingest) = &self.ingest_settle {
            let (tx, rx) = tokio::sync::oneshot::channel();
            if ingest.send(tx).is_ok() {
                let _ = rx.await;
            }
        }
        self.alerts.settle().await;
        self.notices.flush().await;
    }

    /// The underlying cache (for the CLI's export and for diagnostics).
    pub fn store(&self) -> &Store {
        &self.store
    }

    pub(crate) fn now(&self) -> i64 {
        self.opts.clock.now().0
    }

    /// Health of the push connection.
    pub fn connection_status(&self) -> ConnectionStatus {
        self.link.borrow().clone()
    }

    /// Push frames the link has read since start, duplicates and unreadable ones included
    /// (diagnostics; tests compare it with what the platform wrote).
    /// Team mode: waits until this desk has applied (committed) everything the team's
    /// stream held when called, for at most `timeout`; returns that stream sequence. A solo
    /// desk has nothing to wait for.
    pub async fn team_sync(&self, timeout: std::time::Duration) -> DeskResult<u64> {
        match &self.team {
            Some(team) => team.caught_up(timeout).await,
            None => Ok(0),
        }
    }

    /// Team mode: the stream sequence this desk has applied (0 for a solo desk).
    pub fn team_applied(&self) -> u64 {
        self.team.as_ref().map_or(0, |t| *t.applied().borrow())
    }

    /// Whether this desk is a team desk (mirrors a relay rather than the platform).
    pub fn is_team_desk(&self) -> bool {
        self.team.is_some()
    }

    pub fn push_frames_received(&self) -> u64 {
        self.health
            .as_ref()
            .map_or(0, |h| h.borrow().iter().map(|c| c.frames).sum())
    }
}

/// Registers the configured stores in the cache (keeping what the cache knows of each) and
/// hands their tokens to the client; returns them, and their keys in configuration order.
async fn register_stores(
    config: &DeskConfig,
    store: &Store,
    client: Option<&MeituanClient>,
    opts: &DeskOptions,
) -> DeskResult<(StoreRegistry, Vec<StoreKey>)> {
    let existing = store.stores_async().await?;
    let mut entries = BTreeMap::new();
    let mut keys = Vec::with_capacity(config.stores.len());
    for s in &config.stores {
        let key = StoreKey::new(s.epoi_id.as_str(), business_id(s.business_id, &s.epoi_id)?);
        if let Some(c) = client {
            let token = match &opts.token_vault {
                Some(vault) => vault.token_for(&key, &s.app_auth_token, s.refresh_token.as_ref()),
                None => StoreToken {
                    refresh_token: s.refresh_token.clone(),
                    ..StoreToken::static_token(s.app_auth_token.clone())
                },
            };
            c.set_token(key.clone(), token);
        }
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
        keys.push(key.clone());
        entries.insert(s.epoi_id.clone(), StoreEntry { name, key });
    }
    Ok((StoreRegistry::new(entries), keys))
}

/// Removes staged pictures no unsent outbox item refers to (left by a crash after their send,
/// or half-written). Failed items keep theirs: the agent may retry them.
async fn clean_attachments(store: &Store, attachments: &Attachments) -> DeskResult<()> {
    let texts = store.staged_picture_texts_async().await?;
    let keep: std::collections::BTreeSet<String> = texts
        .iter()
        .filter_map(|t| crate::attachments::staged_name(t))
        .map(str::to_owned)
        .collect();
    let attachments = attachments.clone();
    let removed = tokio::task::spawn_blocking(move || attachments.remove_all_but(&keep))
        .await
        .map_err(|_| DeskError::Stopped)?;
    if removed > 0 {
        tracing::info!(removed, "stale staged pictures removed");
    }
    Ok(())
}

fn push_config(config: &DeskConfig, o: &DeskOptions) -> PushConfig {
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
    c
}
