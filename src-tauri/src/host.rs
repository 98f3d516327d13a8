//! Starts the engine for the window: real credentials when configured, otherwise demo mode
//! (an in-process sandbox with a fictional brand whose customers chat). Commands wait for the
//! engine through [`DeskHost::desk`], so the window opens at once and never blocks on it.
//!
//! `IMDESK_DEMO_TEAM=nats://127.0.0.1:<port>` (a running nats-server with JetStream) makes the
//! demo a team: the sandbox, an in-process relay (a solo engine on the sandbox plus
//! [`Relay`]) publishing to that server, and the window's engine a desk of that team. Without
//! it the demo stays solo.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, RwLock};
use std::time::Duration;

use imdesk_core::team::relay::{commit_waker, Relay};
use imdesk_core::team::TeamConfig;
use imdesk_core::view::{ErrorCode, IpcError};
use imdesk_core::{Desk, DeskConfig, DeskOptions, NullSink, StartGate, StartGateOpener};
use meituan_sandbox::{ChatKind, CustomerMessage, Sandbox, SandboxConfig};
use tokio::sync::watch;

use crate::paths::AppPaths;
use crate::sink::ShellSink;

/// The engine once started, or why it could not start.
#[derive(Debug, Clone)]
enum Slot {
    Starting,
    Ready(Arc<Desk>),
    Failed(IpcError),
}

/// Owns the engine (and the demo sandbox) for the life of the window. The engine can be
/// replaced in place ([`DeskHost::reload`]) when the agent saves new credentials.
#[derive(Debug)]
pub struct DeskHost {
    slot: watch::Receiver<Slot>,
    sender: watch::Sender<Slot>,
    demo: AtomicBool,
    /// The team this window is a desk of, if any.
    team: RwLock<Option<TeamConfig>>,
    sandbox: tokio::sync::Mutex<Option<Sandbox>>,
    /// The demo team's relay and its engine (`IMDESK_DEMO_TEAM`).
    relay: tokio::sync::Mutex<Option<(Relay, Arc<Desk>)>>,
    /// Where the engine was started from, for a reload.
    started: std::sync::OnceLock<(AppPaths, Arc<ShellSink>)>,
    /// One reload at a time.
    reloading: tokio::sync::Mutex<()>,
    /// Holds the engine's deferred start-up work (the alert clocks' restore) until the window
    /// has drawn its first inbox page ([`DeskHost::first_page_shown`]), so that it does not
    /// take the CPU from that page. An engine started after the window reported its page (a
    /// reload) finds it open.
    first_page: (StartGateOpener, StartGate),
}

/// The longest the deferred start-up work waits for the window's first page (a window started
/// hidden does not paint).
const FIRST_PAGE_CAP: Duration = Duration::from_secs(3);

fn team_of(config: &DeskConfig) -> Option<TeamConfig> {
    config.team.clone().filter(|_| config.is_team_desk())
}

impl DeskHost {
    /// Decides the mode from the configuration (file, keyring, `IMDESK_*`).
    pub fn new(config: &DeskConfig) -> Self {
        let (sender, slot) = watch::channel(Slot::Starting);
        Self {
            slot,
            sender,
            demo: AtomicBool::new(config.is_demo()),
            team: RwLock::new(team_of(config)),
            sandbox: tokio::sync::Mutex::new(None),
            relay: tokio::sync::Mutex::new(None),
            started: std::sync::OnceLock::new(),
            reloading: tokio::sync::Mutex::new(()),
            first_page: StartGate::until_opened(FIRST_PAGE_CAP),
        }
    }

    /// The window painted its first inbox page: the engine's deferred start-up work may run.
    pub fn first_page_shown(&self) {
        self.first_page.0.open();
    }

    /// Whether this window runs on the demo platform.
    pub fn is_demo(&self) -> bool {
        self.demo.load(Ordering::Relaxed)
    }

    /// The team this window is a desk of (its URL may hold a password: never send it as is).
    pub fn team(&self) -> Option<TeamConfig> {
        self.team
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }

    /// Starts the engine (and the demo sandbox first, in demo mode).
    /// Returns the failure, if any, so the shell can also show it in a native dialog.
    pub async fn start(
        &self,
        mut config: DeskConfig,
        paths: &AppPaths,
        sink: Arc<ShellSink>,
    ) -> Option<IpcError> {
        let _ = self.started.set((paths.clone(), sink.clone()));
        sink.set_store_names(
            config
                .stores
                .iter()
                .map(|s| (s.epoi_id.clone(), s.name.clone())),
        );
        let result = async {
            if self.is_demo() {
                let sandbox = Sandbox::start(SandboxConfig {
                    seed: 2026,
                    stores: 12,
                    chatter: true,
                    chatter_per_minute: 30.0,
                    ..SandboxConfig::default()
                })
                .await
                .map_err(|e| internal(format!("demo platform: {e}")))?;
                config = demo_config(&sandbox, paths)?;
                demo_warmup(&sandbox);
                *self.sandbox.lock().await = Some(sandbox);
                if let Some(url) = std::env::var("IMDESK_DEMO_TEAM")
                    .ok()
                    .filter(|u| !u.trim().is_empty())
                {
                    config = self.start_demo_relay(config, url.trim(), paths).await?;
                }
            } else if std::env::var_os("IMDESK_DB").is_none() {
                config.db_path = paths.data_dir.join("imdesk.db");
            }
            // Renewed store tokens go to the OS keyring, where the next start finds them.
            let options = DeskOptions {
                token_vault: Some(imdesk_core::token_vault::TokenVault::new(Arc::new(
                    crate::keyring_store::OsKeyring,
                ))),
                deferred_start: self.first_page.1.clone(),
                ..DeskOptions::default()
            };
            Desk::start_with(config, options, sink.clone())
                .await
                .map_err(IpcError::from)
        }
        .await;
        match result {
            Ok(desk) => {
                tracing::info!(demo = self.is_demo(), "engine started");
                let desk = Arc::new(desk);
                let _ = self.sender.send(Slot::Ready(desk.clone()));
                // Notifications name stores as the engine knows them (the demo's included);
                // read after the window may already ask for its first page.
                if let Ok(stores) = desk.stores().await {
                    sink.set_store_names(stores.into_iter().map(|s| (s.epoi_id, s.name)));
                }
                None
            }
            Err(e) => {
                tracing::error!(code = ?e.code, message = %e.message, "engine failed to start");
                let _ = self.sender.send(Slot::Failed(e.clone()));
                Some(e)
            }
        }
    }

    /// Starts the demo team's relay on the sandbox's configuration; returns the window's
    /// configuration as a desk of that team.
    async fn start_demo_relay(
        &self,
        sandbox_config: DeskConfig,
        url: &str,
        paths: &AppPaths,
    ) -> Result<DeskConfig, IpcError> {
        // The demo's agent is the brand's supervisor, so that the wall and every control show.
        let team = TeamConfig {
            role: imdesk_core::team::Role::Supervisor,
            ..TeamConfig::new(
                url,
                std::env::var("IMDESK_AGENT")
                    .ok()
                    .filter(|a| !a.trim().is_empty())
                    .unwrap_or_else(|| "演示坐席".to_owned()),
            )
        };
        let (observer, wake) = commit_waker();
        let relay_config = DeskConfig {
            db_path: paths.data_dir.join("demo-relay.db"),
            team: Some(team.clone()),
            ..sandbox_config
        };
        let options = DeskOptions {
            commit_observer: Some(observer),
            ..DeskOptions::default()
        };
        let engine = Arc::new(
            Desk::start_with(relay_config, options, Arc::new(NullSink))
                .await
                .map_err(|e| internal(format!("demo relay engine: {e}")))?,
        );
        let relay = Relay::start(engine.clone(), &team, "demo-relay", wake)
            .await
            .map_err(|e| internal(format!("demo relay on the team server: {e}")))?;
        *self.relay.lock().await = Some((relay, engine));
        tracing::info!("demo team: relay started; the window is a desk of the team");
        *self
            .team
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = Some(team.clone());
        Ok(DeskConfig {
            db_path: paths.data_dir.join("demo-team.db"),
            team: Some(team),
            ..DeskConfig::default()
        })
    }

    /// The engine, waiting up to 20 s for it to start.
    pub async fn desk(&self) -> Result<Arc<Desk>, IpcError> {
        let mut slot = self.slot.clone();
        let waited = tokio::time::timeout(Duration::from_secs(20), async {
            loop {
                match &*slot.borrow_and_update() {
                    Slot::Ready(desk) => return Ok(desk.clone()),
                    Slot::Failed(e) => return Err(e.clone()),
                    Slot::Starting => {}
                }
                if slot.changed().await.is_err() {
                    return Err(internal("engine host dropped".into()));
                }
            }
        })
        .await;
        waited.unwrap_or_else(|_| Err(internal("the engine is still starting".into())))
    }

    /// Replaces the running engine with one started from `config` (the credentials the agent
    /// just saved), without restarting the app: commands wait for the new engine meanwhile.
    /// The old engine is shut down first (its outbox is durable and resumes in the new one),
    /// and the demo platform with it when real credentials take over.
    pub async fn reload(&self, config: DeskConfig) -> Option<IpcError> {
        let _one = self.reloading.lock().await;
        let Some((paths, sink)) = self.started.get().cloned() else {
            return Some(internal("the engine has not started yet".into()));
        };
        let old = match &*self.slot.borrow() {
            Slot::Ready(desk) => Some(desk.clone()),
            _ => None,
        };
        let _ = self.sender.send(Slot::Starting);
        if let Some(desk) = old {
            desk.shutdown().await;
            // The database's lock goes with the last handle: let in-flight commands finish
            // with the old engine before the new one opens the file.
            let deadline = tokio::time::Instant::now() + Duration::from_secs(3);
            while Arc::strong_count(&desk) > 1 && tokio::time::Instant::now() < deadline {
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        }
        self.stop_demo().await;
        self.demo.store(config.is_demo(), Ordering::Relaxed);
        *self
            .team
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = team_of(&config);
        tracing::info!(
            demo = config.is_demo(),
            "reloading the engine with the saved configuration"
        );
        self.start(config, &paths, sink).await
    }

    async fn stop_demo(&self) {
        if let Some((relay, engine)) = self.relay.lock().await.take() {
            relay.drain().await;
            engine.shutdown().await;
        }
        if let Some(sandbox) = self.sandbox.lock().await.take() {
            sandbox.shutdown().await;
        }
    }

    /// Stops the engine and the demo platform.
    pub async fn shutdown(&self) {
        // The borrow ends before the await: a held `watch::Ref` would make this future !Send.
        let ready = match &*self.slot.borrow() {
            Slot::Ready(desk) => Some(desk.clone()),
            _ => None,
        };
        if let Some(desk) = ready {
            desk.shutdown().await;
        }
        self.stop_demo().await;
    }
}

/// An internal failure with its reason, for the window.
pub(crate) fn internal(message: String) -> IpcError {
    IpcError {
        code: ErrorCode::Internal,
        message,
        platform_msg: None,
    }
}

/// The engine configuration pointing at the demo sandbox; the demo keeps its own cache file so
/// it never mixes with a real brand's history.
fn demo_config(sandbox: &Sandbox, paths: &AppPaths) -> Result<DeskConfig, IpcError> {
    let stores: Vec<serde_json::Value> = sandbox
        .stores()
        .into_iter()
        .map(|s| {
            serde_json::json!({
                "epoi_id": s.epoi_id, "name": s.name,
                "business_id": s.business_id, "app_auth_token": s.app_auth_token,
            })
        })
        .collect();
    let env: std::collections::HashMap<String, String> = [
        ("IMDESK_GATEWAY_URL", sandbox.gateway_url().to_owned()),
        ("IMDESK_PUSH_URL", sandbox.push_url().to_owned()),
        ("IMDESK_DEVELOPER_ID", sandbox.developer_id().to_string()),
        ("IMDESK_SIGN_KEY", sandbox.sign_key()),
        (
            "IMDESK_STORES",
            serde_json::Value::Array(stores).to_string(),
        ),
        (
            "IMDESK_DB",
            paths.data_dir.join("demo.db").display().to_string(),
        ),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect();
    DeskConfig::from_sources(None, &env).map_err(|e| internal(format!("demo config: {e}")))
}

/// A first screen that is alive: every demo store has customers waiting in each kind of chat,
/// and two have urgent complaints (the sandbox holds the pushes until the engine connects).
fn demo_warmup(sandbox: &Sandbox) {
    const LINES: [(ChatKind, &str, i32); 6] = [
        (
            ChatKind::PreOrder,
            "你好，请问现在还能送到望京 SOHO 吗？大概多久？",
            -1,
        ),
        (
            ChatKind::InProgress,
            "我的外卖怎么还没到，已经超过预计时间 20 分钟了",
            -1,
        ),
        (
            ChatKind::Completed,
            "少送了一份米饭，麻烦处理一下退款",
            3001,
        ),
        (
            ChatKind::Completed,
            "菜里有头发，太恶心了，我要投诉！",
            9003,
        ),
        (ChatKind::Review, "看到你们的回复了，下次注意包装就好", -1),
        (ChatKind::Rider, "骑手说店里还没出餐，能快点吗？", -1),
    ];
    for (i, store) in sandbox.stores().iter().enumerate() {
        for (j, (kind, text, scene)) in LINES.iter().enumerate() {
            // Urgent complaints at two stores only, so they stand out as they would.
            if *scene == 9003 && i % 6 != 0 || (i + j) % 3 == 2 {
                continue;
            }
            let mut msg = CustomerMessage::text(store.epoi_id.clone(), *kind, *text);
            if *scene > 0 {
                msg = msg.scene(*scene);
            }
            if let Err(e) = sandbox.customer_says(msg) {
                tracing::debug!(error = %e, "demo warm-up message skipped");
            }
        }
    }
}
