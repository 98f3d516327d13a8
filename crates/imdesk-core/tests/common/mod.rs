//! Shared by the Desk tests: a sandbox platform on loopback, a desk configured for it on a
//! temporary SQLite file, a sink that records what the desk emits, and polling helpers.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::future::Future;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use imdesk_core::alerts::Alert;
use imdesk_core::view::{ConversationId, DeskEvent, PictureFile};
pub use imdesk_core::PushScope;
use imdesk_core::{Desk, DeskConfig, DeskOptions, DeskSink, StoreCredentials};
use imdesk_store::{ExportFilter, MessageRow};
use meituan_sandbox::{Faults, Sandbox, SandboxConfig};

pub mod team_rig;

/// A picture the platform accepts (a PNG by its signature, all it checks), `len` bytes long
/// (at least the signature's 16), the rest `fill`.
pub fn png_of(len: usize, fill: u8) -> Vec<u8> {
    let mut bytes = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".to_vec();
    bytes.resize(len.max(bytes.len()), fill);
    bytes
}

/// A picture as the window hands it over: its file name and its bytes in base64.
pub fn picture(name: &str, bytes: &[u8]) -> PictureFile {
    use base64::Engine as _;
    PictureFile {
        name: name.into(),
        data_base64: base64::engine::general_purpose::STANDARD.encode(bytes),
    }
}

/// Records events and alerts.
#[derive(Debug, Default)]
pub struct RecordingSink {
    pub events: Mutex<Vec<DeskEvent>>,
    pub alerts: Mutex<Vec<Alert<ConversationId>>>,
}

impl DeskSink for RecordingSink {
    fn event(&self, event: DeskEvent) {
        self.events.lock().unwrap().push(event);
    }
    fn alert(&self, alert: Alert<ConversationId>) {
        self.alerts.lock().unwrap().push(alert);
    }
}

impl RecordingSink {
    pub fn alerts(&self) -> Vec<Alert<ConversationId>> {
        self.alerts.lock().unwrap().clone()
    }
    pub fn changed(&self, id: &str) -> bool {
        self.events.lock().unwrap().iter().any(
            |e| matches!(e, DeskEvent::ConversationsChanged { ids } if ids.iter().any(|i| i == id)),
        )
    }
}

/// A sandbox with `faults` and three stores (businessIds 16, 2, 16), developer-scoped.
pub async fn sandbox(faults: Faults) -> Sandbox {
    sandbox_in(PushScope::Developer, faults).await
}

/// A sandbox with `faults` and three stores (businessIds 16, 2, 16) whose long connections
/// are scoped as `scope` says; [`config`] gives the desk the same scope.
pub async fn sandbox_in(scope: PushScope, faults: Faults) -> Sandbox {
    sandbox_with(scope, faults, 3).await
}

/// As [`sandbox_in`], with `stores` stores (businessIds alternate 16, 2, 16, …).
pub async fn sandbox_with(scope: PushScope, faults: Faults, stores: usize) -> Sandbox {
    Sandbox::start(SandboxConfig {
        faults,
        stores,
        push_scope: match scope {
            PushScope::Developer => meituan_sandbox::PushScope::Developer,
            PushScope::Store => meituan_sandbox::PushScope::Store,
        },
        ..SandboxConfig::default()
    })
    .await
    .unwrap()
}

/// The desk's push scope for a sandbox: the one it plays.
pub fn scope_of(sandbox: &Sandbox) -> PushScope {
    match sandbox.push_scope() {
        meituan_sandbox::PushScope::Developer => PushScope::Developer,
        meituan_sandbox::PushScope::Store => PushScope::Store,
    }
}

/// How many sockets a desk with `per_unit` connections per scope unit opens on `sandbox`:
/// `per_unit` for the developer, `per_unit` for each store when store-scoped.
pub fn sockets(sandbox: &Sandbox, per_unit: usize) -> usize {
    match scope_of(sandbox) {
        PushScope::Developer => per_unit,
        PushScope::Store => per_unit * sandbox.stores().len(),
    }
}

/// Declares `#[tokio::test]`s `<name>::developer` and `<name>::store`, each running the async
/// function `name(scope)` under that push scope.
#[macro_export]
macro_rules! in_both_scopes {
    ($($name:ident),+ $(,)?) => {$(
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn developer() {
                super::$name(super::PushScope::Developer).await;
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn store() {
                super::$name(super::PushScope::Store).await;
            }
        }
    )+};
}

/// The desk's configuration for a sandbox and a database file.
pub fn config(sandbox: &Sandbox, db: &Path) -> DeskConfig {
    DeskConfig {
        gateway_url: sandbox.gateway_url().to_owned(),
        push_url: sandbox.push_url().to_owned(),
        developer_id: Some(sandbox.developer_id()),
        sign_key: Some(sandbox.sign_key().into()),
        db_path: db.to_owned(),
        stores: sandbox
            .stores()
            .into_iter()
            .map(|s| StoreCredentials {
                epoi_id: s.epoi_id,
                name: s.name,
                business_id: s.business_id,
                app_auth_token: s.app_auth_token.into(),
                refresh_token: None,
            })
            .collect(),
        push_connections: None,
        push_scope: scope_of(sandbox),
        platform_codes: Default::default(),
        team: None,
    }
}

/// A desk with fast intervals on `db`.
pub async fn desk(sandbox: &Sandbox, db: &Path, sink: Arc<dyn DeskSink>) -> Desk {
    desk_with(sandbox, db, sink, DeskOptions::fast()).await
}

pub async fn desk_with(
    sandbox: &Sandbox,
    db: &Path,
    sink: Arc<dyn DeskSink>,
    opts: DeskOptions,
) -> Desk {
    Desk::start_with(config(sandbox, db), opts, sink)
        .await
        .unwrap()
}

/// A desk whose `[platform_codes]` section is `codes`.
pub async fn desk_with_codes(
    sandbox: &Sandbox,
    db: &Path,
    codes: imdesk_core::PlatformCodesConfig,
    opts: DeskOptions,
) -> Desk {
    let config = DeskConfig {
        platform_codes: codes,
        ..config(sandbox, db)
    };
    Desk::start_with(config, opts, Arc::new(RecordingSink::default()))
        .await
        .unwrap()
}

pub fn db_path(dir: &tempfile::TempDir) -> PathBuf {
    dir.path().join("desk.sqlite3")
}

/// Waits until the desk has read every push frame the sandbox wrote (copies included), then
/// until it has handled them: nothing it was sent is still on the way.
pub async fn every_frame_read(sandbox: &Sandbox, desk: &Desk) {
    eventually(10, "every frame read", || async {
        let written = sandbox.push_frames_written();
        written >= sandbox.push_frames_queued() && desk.push_frames_received() >= written
    })
    .await;
    desk.settle().await;
}

/// Polls `check` every 10 ms until it returns true or `secs` pass.
pub async fn eventually<F, Fut>(secs: u64, what: &str, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = bool>,
{
    let deadline = tokio::time::Instant::now() + Duration::from_secs(secs);
    while tokio::time::Instant::now() < deadline {
        if check().await {
            return;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("timed out waiting for: {what}");
}

/// Every stored message, in arrival order.
pub fn stored(desk: &Desk) -> Vec<MessageRow> {
    let mut out = Vec::new();
    desk.store()
        .export_messages(&ExportFilter::default(), |m| {
            out.push(m);
            true
        })
        .unwrap();
    out
}

/// Stored messages from the executor (off-thread).
pub async fn stored_async(desk: &Desk) -> Vec<MessageRow> {
    let store = desk.store().clone();
    tokio::task::spawn_blocking(move || {
        let mut out = Vec::new();
        store
            .export_messages(&ExportFilter::default(), |m| {
                out.push(m);
                true
            })
            .unwrap();
        out
    })
    .await
    .unwrap()
}

/// Waits until the desk's push sockets are open on the sandbox.
pub async fn connected(sandbox: &Sandbox, n: usize) {
    eventually(10, "push connections open", || async {
        sandbox.open_connections() >= n
    })
    .await;
}

/// A desk without background polls on the sandbox: every platform call is the test's.
pub async fn quiet_desk(sb: &Sandbox, dir: &tempfile::TempDir) -> Desk {
    let opts = DeskOptions {
        run_pollers: false,
        ..DeskOptions::fast()
    };
    desk_with(sb, &db_path(dir), Arc::new(RecordingSink::default()), opts).await
}
