//! A store's IM switch (`getPoiIMStatus` / `setPoiIMStatus`, protocol §4.6–4.7): what the
//! engine knows of it, learned from the platform at start, on a schedule, whenever the store
//! page asks, after every change the desk makes and after a send the platform refused. The
//! knowledge lives in memory (`ImSwitchBook`); the rail, the store page and the composer's
//! block read it.

use std::collections::BTreeMap;
use std::sync::{Arc, PoisonError, RwLock};
use std::time::Duration;

use imdesk_store::{FailureKind, OutboxItem, OutboxState};
use meituan_api::im::{GetPoiImStatus, ImStatus, SetPoiImStatus};
use meituan_api::ApiError;
use serde::{Deserialize, Serialize};
use tokio::sync::broadcast;
use tokio_util::sync::CancellationToken;
use ts_rs::TS;

use crate::desk::Desk;
use crate::error::{DeskError, DeskResult};
use crate::events::Notices;
use crate::port::MeituanLink;
use crate::registry::{StoreEntry, StoreRegistry};
use crate::view::IpcError;

/// A store's IM switch as the store page shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct StoreIm {
    /// The ePoiId.
    pub epoi_id: String,
    /// Display name.
    pub name: String,
    /// The switch as last read from the platform: customers can chat with the store (`true`)
    /// or not; `None` while it has not been read (or could never be read).
    pub open: Option<bool>,
    /// When it was last read or set (UTC ms).
    pub checked_at: Option<i64>,
    /// Why the last read failed (the switch shown is then the one known before).
    pub error: Option<IpcError>,
}

/// What the engine last learned of one store's switch.
#[derive(Debug, Clone, Default)]
struct Known {
    open: Option<bool>,
    checked_at: Option<i64>,
    error: Option<IpcError>,
}

/// Every store's IM switch as last learned. Cheap to clone; owns its lock.
#[derive(Debug, Clone, Default)]
pub(crate) struct ImSwitchBook(Arc<RwLock<BTreeMap<String, Known>>>);

impl ImSwitchBook {
    /// The switch of `epoi_id`, when known.
    pub(crate) fn open(&self, epoi_id: &str) -> Option<bool> {
        self.0
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .get(epoi_id)
            .and_then(|k| k.open)
    }

    fn known(&self, epoi_id: &str) -> Known {
        self.0
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .get(epoi_id)
            .cloned()
            .unwrap_or_default()
    }

    /// Records a read (or a failed one, which keeps the switch known before); returns whether
    /// the switch changed.
    fn record(&self, epoi_id: &str, result: Result<bool, IpcError>, now: i64) -> bool {
        let mut map = self.0.write().unwrap_or_else(PoisonError::into_inner);
        let known = map.entry(epoi_id.to_owned()).or_default();
        let before = known.open;
        match result {
            Ok(open) => {
                known.open = Some(open);
                known.error = None;
            }
            Err(e) => known.error = Some(e),
        }
        known.checked_at = Some(now);
        known.open != before
    }
}

/// "望京店 (mt-1001)": how errors name a store.
pub(crate) fn store_label(epoi_id: &str, entry: &StoreEntry) -> String {
    if entry.name == epoi_id {
        epoi_id.to_owned()
    } else {
        format!("{} ({epoi_id})", entry.name)
    }
}

/// A platform failure for one store, naming it.
pub(crate) fn at_store(epoi_id: &str, entry: &StoreEntry, source: ApiError) -> DeskError {
    DeskError::AtStore {
        store: store_label(epoi_id, entry),
        source: Box::new(source),
    }
}

/// Reads one store's switch from the platform and records it; returns whether the switch
/// changed and whether the read succeeded.
async fn learn_one(
    link: &MeituanLink,
    book: &ImSwitchBook,
    epoi_id: &str,
    entry: &StoreEntry,
    now: i64,
) -> (bool, bool) {
    let read = link
        .client
        .call(&entry.key, &GetPoiImStatus)
        .await
        .map(|s| s.im_status == ImStatus::On)
        .map_err(|e| IpcError::from(at_store(epoi_id, entry, e)));
    if let Err(e) = &read {
        tracing::info!(store = %epoi_id, "IM switch not readable: {}", e.message);
    }
    let ok = read.is_ok();
    (book.record(epoi_id, read, now), ok)
}

/// What the background learner uses.
pub(crate) struct ImLearner {
    pub link: MeituanLink,
    pub stores: StoreRegistry,
    pub book: ImSwitchBook,
    pub notices: Notices,
    pub clock: Arc<dyn meituan_wire::Clock>,
    pub every: Duration,
    /// The outbox's state changes: a send the platform refused may mean the switch went off
    /// elsewhere (the merchant's own app), so that store is read again at once.
    pub outbox: Option<broadcast::Receiver<OutboxItem>>,
    pub cancel: CancellationToken,
}

/// A send the platform itself refused (not the network, not us).
fn refused_by_platform(item: &OutboxItem) -> bool {
    item.state == OutboxState::Failed
        && item
            .last_error
            .as_ref()
            .is_some_and(|f| f.kind == FailureKind::Platform)
}

impl ImLearner {
    /// Reads every store's switch now, then again every `every` and after each send the
    /// platform refuses, until cancelled. A store whose read fails keeps what was known and
    /// says why on its store page.
    pub(crate) async fn run(mut self) {
        let mut next = tokio::time::Instant::now();
        let mut outbox = self.outbox.take();
        loop {
            let refused = async {
                match outbox.as_mut() {
                    Some(rx) => rx.recv().await,
                    None => std::future::pending().await,
                }
            };
            tokio::select! {
                () = self.cancel.cancelled() => return,
                () = tokio::time::sleep_until(next) => {
                    self.round().await;
                    next = tokio::time::Instant::now() + self.every;
                }
                update = refused => match update {
                    Ok(item) if refused_by_platform(&item) => self.learn(&item.store).await,
                    Ok(_) | Err(broadcast::error::RecvError::Lagged(_)) => {}
                    Err(broadcast::error::RecvError::Closed) => outbox = None,
                },
            }
        }
    }

    async fn round(&self) {
        let mut changed = false;
        for (epoi_id, entry) in self.stores.entries() {
            if self.cancel.is_cancelled() {
                return;
            }
            let now = self.clock.now().0;
            changed |= learn_one(&self.link, &self.book, &epoi_id, &entry, now)
                .await
                .0;
        }
        if changed {
            self.notices.stores();
        }
    }

    async fn learn(&self, epoi_id: &str) {
        let Some(entry) = self.stores.entry(epoi_id) else {
            return;
        };
        let now = self.clock.now().0;
        if learn_one(&self.link, &self.book, epoi_id, &entry, now)
            .await
            .0
        {
            self.notices.stores();
        }
    }
}

impl Desk {
    /// The platform link and the store's entry, for a store-administration call.
    pub(crate) fn admin_target(&self, epoi_id: &str) -> DeskResult<(&MeituanLink, StoreEntry)> {
        let entry = self
            .stores
            .entry(epoi_id)
            .ok_or_else(|| DeskError::not_found("store", epoi_id))?;
        let link = self
            .meituan
            .as_ref()
            .ok_or_else(|| DeskError::Unsupported {
                store: epoi_id.to_owned(),
                what: "store settings need this desk's own platform credentials".into(),
            })?;
        Ok((link, entry))
    }

    fn store_im_view(&self, epoi_id: &str, entry: &StoreEntry) -> StoreIm {
        let known = self.im_switches.known(epoi_id);
        StoreIm {
            epoi_id: epoi_id.to_owned(),
            name: entry.name.clone(),
            open: known.open,
            checked_at: known.checked_at,
            error: known.error,
        }
    }

    /// Reads a store's IM switch from the platform now (the store page). A failed read is
    /// returned as the view's `error`, beside the switch known before.
    pub async fn store_im(&self, epoi_id: &str) -> DeskResult<StoreIm> {
        let (link, entry) = self.admin_target(epoi_id)?;
        let (changed, _) = learn_one(link, &self.im_switches, epoi_id, &entry, self.now()).await;
        if changed {
            self.notices.stores();
        }
        Ok(self.store_im_view(epoi_id, &entry))
    }

    /// Turns a store's IM on or off on the platform, then reads the switch back so that what
    /// the desk shows is what the platform holds. A refusal names the store; nothing is
    /// recorded then.
    pub async fn set_store_im(&self, epoi_id: &str, open: bool) -> DeskResult<StoreIm> {
        let (link, entry) = self.admin_target(epoi_id)?;
        let im_status = if open { ImStatus::On } else { ImStatus::Off };
        link.client
            .call(&entry.key, &SetPoiImStatus { im_status })
            .await
            .map_err(|e| at_store(epoi_id, &entry, e))?;
        let now = self.now();
        let (_, read) = learn_one(link, &self.im_switches, epoi_id, &entry, now).await;
        if !read {
            // The platform took the change; until a read succeeds, that is what it holds.
            self.im_switches.record(epoi_id, Ok(open), now);
        }
        tracing::info!(store = %epoi_id, open, "IM switch set");
        self.notices.stores();
        Ok(self.store_im_view(epoi_id, &entry))
    }
}
