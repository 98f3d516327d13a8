//! In-app updates through the Tauri updater plugin: a check at start and then daily, the
//! download in the background (the plugin verifies its minisign signature against the public
//! key in `tauri.conf.json` before handing the bytes over), and the install only when the agent
//! asks and `imdesk_core::updates::install_gate` allows it. The UI hears every change as an
//! [`UPDATE_EVENT`].
//!
//! `IMDESK_UPDATE_URL` replaces the configured endpoint (an internal mirror, or a test's loopback
//! server). Debug builds check only when it is set, and only they accept a public key from
//! `IMDESK_UPDATE_PUBKEY` (the end-to-end test signs with a key it makes at run time).

use std::sync::Mutex;
use std::time::Duration;

use imdesk_core::updates::{InstallGate, UpdateRefusal, UpdateStatus};
use tauri::{AppHandle, Emitter, Runtime};
use tauri_plugin_updater::{Error as UpdaterError, Update, UpdaterExt};

/// The Tauri event that carries each new [`UpdateStatus`].
pub const UPDATE_EVENT: &str = "update-status";
/// How often a running desk looks for a newer version.
const CHECK_EVERY: Duration = Duration::from_secs(24 * 3600);
const ENDPOINT_ENV: &str = "IMDESK_UPDATE_URL";

/// The updater's state for the life of the window.
pub struct Updates {
    inner: Mutex<Inner>,
}

struct Inner {
    status: UpdateStatus,
    /// The verified package of the `Ready` status.
    ready: Option<(Update, Vec<u8>)>,
}

impl Default for Updates {
    fn default() -> Self {
        Self {
            inner: Mutex::new(Inner {
                status: UpdateStatus::Idle,
                ready: None,
            }),
        }
    }
}

/// Why an install did not happen.
#[derive(Debug)]
pub struct InstallFailed(pub String);

impl Updates {
    /// The current status.
    pub fn status(&self) -> UpdateStatus {
        self.lock().status.clone()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        // A panic while holding the lock leaves plain data behind: keep using it.
        self.inner
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn set<R: Runtime>(&self, app: &AppHandle<R>, status: UpdateStatus) {
        self.lock().status = status.clone();
        if let Err(e) = app.emit(UPDATE_EVENT, status) {
            tracing::warn!(error = %e, "update status not delivered to the window");
        }
    }

    /// Installs the verified package when `gate` (the core's rule, asked by the caller) says
    /// now; the app then restarts into the new version. Otherwise returns why not.
    pub fn install_if<R: Runtime>(
        &self,
        app: &AppHandle<R>,
        gate: InstallGate,
    ) -> Result<InstallGate, InstallFailed> {
        if gate != InstallGate::Now {
            return Ok(gate);
        }
        let Some((update, bytes)) = self.lock().ready.take() else {
            return Ok(InstallGate::NothingReady);
        };
        tracing::info!(version = %update.version, "installing the update");
        // `install` verifies the bytes again before it writes anything.
        if let Err(e) = update.install(&bytes) {
            tracing::error!(error = %e, version = %update.version, "the update could not be installed");
            self.lock().ready = Some((update, bytes));
            return Err(InstallFailed(e.to_string()));
        }
        // Replies in flight are in the outbox on disk and go out after the restart.
        app.restart()
    }
}

/// Whether this build looks for updates at all.
fn checks_enabled() -> bool {
    std::env::var_os(ENDPOINT_ENV).is_some() || !cfg!(debug_assertions)
}

/// Starts the check at start and then every day, when this build checks.
pub fn spawn<R: Runtime>(app: AppHandle<R>, updates: std::sync::Arc<Updates>) {
    if !checks_enabled() {
        tracing::info!("update checks are off in a debug build without {ENDPOINT_ENV}");
        return;
    }
    tauri::async_runtime::spawn(async move {
        loop {
            if let Err(e) = check_once(&app, &updates).await {
                // The desk keeps running on what it has; the next check may succeed.
                tracing::warn!(error = %e, "update check failed");
            }
            tokio::time::sleep(CHECK_EVERY).await;
        }
    });
}

async fn check_once<R: Runtime>(app: &AppHandle<R>, updates: &Updates) -> Result<(), UpdaterError> {
    let mut builder = app.updater_builder();
    if let Some(url) = std::env::var(ENDPOINT_ENV).ok().filter(|u| !u.is_empty()) {
        builder = builder.endpoints(vec![url.parse()?])?;
    }
    #[cfg(debug_assertions)]
    if let Ok(key) = std::env::var("IMDESK_UPDATE_PUBKEY") {
        builder = builder.pubkey(key);
    }
    let update = match builder.build()?.check().await {
        Ok(Some(update)) => update,
        Ok(None) => return Ok(()),
        Err(UpdaterError::TargetNotFound(_) | UpdaterError::TargetsNotFound(_)) => {
            tracing::warn!("the update manifest offers nothing for this platform");
            updates.set(
                app,
                UpdateStatus::Refused {
                    version: String::new(),
                    reason: UpdateRefusal::WrongPlatform,
                },
            );
            return Ok(());
        }
        Err(e) => return Err(e),
    };
    let version = update.version.clone();
    if matches!(updates.status(), UpdateStatus::Ready { version: ref v, .. } if *v == version) {
        return Ok(());
    }
    tracing::info!(%version, "a newer version is available; downloading it");
    updates.set(
        app,
        UpdateStatus::Downloading {
            version: version.clone(),
        },
    );
    match update.download(|_, _| {}, || {}).await {
        Ok(bytes) => {
            tracing::info!(%version, bytes = bytes.len(), "update downloaded and its signature verified");
            let notes = update.body.clone();
            updates.lock().ready = Some((update, bytes));
            updates.set(app, UpdateStatus::Ready { version, notes });
            Ok(())
        }
        Err(
            e @ (UpdaterError::Minisign(_)
            | UpdaterError::Base64(_)
            | UpdaterError::SignatureUtf8(_)
            | UpdaterError::SignedVersionMismatch { .. }
            | UpdaterError::MissingSignedVersion),
        ) => {
            tracing::error!(error = %e, %version, "the update's signature is not valid; refused");
            updates.set(
                app,
                UpdateStatus::Refused {
                    version,
                    reason: UpdateRefusal::BadSignature,
                },
            );
            Ok(())
        }
        Err(e) => {
            updates.set(app, UpdateStatus::Idle);
            Err(e)
        }
    }
}
