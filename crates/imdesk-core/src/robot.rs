//! The auto-reply robot (智能回复机器人, protocol §4.11): each store's scenes with their
//! switches and reply texts, read with `getAutoSendConfigInfo`, switched with
//! `setAutoSendConfigInfo`, the one writable text (scene 18) set with `setAutoSendConfig`.
//! What is inferred about editing (which texts are writable, how long they may be) lives in
//! `meituan_api::im::robot_rules` alone.
//!
//! An edit is checked whole before anything is sent: a text too long or for a scene whose text
//! cannot be written refuses the edit for every store. Then each store is saved on its own and
//! reports its own result; a store that fails part-way is put back as it was, so that no store
//! is left half-saved.

use std::collections::BTreeSet;

use meituan_api::im::robot_rules::{self, ROBOT_REPLY_MAX_CHARS};
use meituan_api::im::{
    AutoSendConfig, AutoSendSwitch, GetAutoSendConfigInfo, SetAutoSendConfigInfo,
};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::desk::Desk;
use crate::error::{DeskError, DeskResult};
use crate::port::MeituanLink;
use crate::registry::StoreEntry;
use crate::store_admin::{at_store, store_label};
use crate::view::IpcError;

/// One scene of a store's robot.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct RobotScene {
    /// Scene id (1 after-sales, 9 chasing the order, 18 invite a review, …).
    pub scene: i32,
    /// The platform's name for it.
    pub name: String,
    /// The robot answers in this scene.
    pub on: bool,
    /// What it answers.
    pub text: String,
    /// Whether the platform lets the desk change the text (only some scenes).
    pub text_editable: bool,
}

/// A store's robot as the store page shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct RobotSettings {
    /// The ePoiId.
    pub epoi_id: String,
    /// Display name.
    pub store_name: String,
    /// Every scene, in the platform's order.
    pub scenes: Vec<RobotScene>,
    /// The longest reply text the platform takes, in characters.
    pub max_text_chars: u32,
}

/// A scene's switch in an edit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct RobotSwitch {
    /// Scene id.
    pub scene: i32,
    /// On or off.
    pub on: bool,
}

/// A scene's reply text in an edit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct RobotText {
    /// Scene id (its text must be editable).
    pub scene: i32,
    /// The reply text.
    pub text: String,
}

/// What a save makes true on each store it is applied to: these switches and texts (scenes
/// not named keep theirs).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct RobotEdit {
    /// Switches to set.
    pub switches: Vec<RobotSwitch>,
    /// Texts to set.
    pub texts: Vec<RobotText>,
}

/// How the save went for one store.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct RobotSaveResult {
    /// The ePoiId.
    pub epoi_id: String,
    /// Display name.
    pub store_name: String,
    /// The store now holds the edit.
    pub saved: bool,
    /// Why not (the store holds what it held before).
    pub error: Option<IpcError>,
    /// The store's robot after the save, when it could be read.
    pub settings: Option<RobotSettings>,
}

fn settings_of(epoi_id: &str, entry: &StoreEntry, list: Vec<AutoSendConfig>) -> RobotSettings {
    RobotSettings {
        epoi_id: epoi_id.to_owned(),
        store_name: entry.name.clone(),
        scenes: list
            .into_iter()
            .map(|c| RobotScene {
                scene: c.scene,
                name: c.scene_name.unwrap_or_default(),
                on: c.status == Some(1),
                text: c.content.unwrap_or_default(),
                text_editable: robot_rules::text_writable(c.scene),
            })
            .collect(),
        max_text_chars: u32::try_from(ROBOT_REPLY_MAX_CHARS).unwrap_or(u32::MAX),
    }
}

/// Refuses a scene named twice in one part of an edit.
fn once_each(scenes: impl Iterator<Item = i32>, what: &str) -> DeskResult<()> {
    let mut seen = BTreeSet::new();
    for scene in scenes {
        if !seen.insert(scene) {
            return Err(DeskError::Invalid(format!(
                "scene {scene} has two {what} in one edit"
            )));
        }
    }
    Ok(())
}

/// Refuses an edit no store could take, naming the scene.
fn check_edit(edit: &RobotEdit) -> DeskResult<()> {
    once_each(edit.switches.iter().map(|s| s.scene), "switches")?;
    once_each(edit.texts.iter().map(|t| t.scene), "texts")?;
    for t in &edit.texts {
        if !robot_rules::text_writable(t.scene) {
            return Err(DeskError::Invalid(format!(
                "the reply text of scene {} cannot be changed on the platform",
                t.scene
            )));
        }
        if t.text.trim().is_empty() {
            return Err(DeskError::Invalid(format!(
                "the reply text of scene {} is empty",
                t.scene
            )));
        }
        let chars = t.text.chars().count();
        if chars > ROBOT_REPLY_MAX_CHARS {
            return Err(DeskError::TooLong {
                field: format!("the reply text of scene {}", t.scene),
                chars,
                max: ROBOT_REPLY_MAX_CHARS,
            });
        }
    }
    Ok(())
}

/// Saves `edit` on one store: reads it, writes what differs, puts the text back if the
/// switches are then refused, and reads it again.
async fn save_one(
    link: &MeituanLink,
    epoi_id: &str,
    entry: &StoreEntry,
    edit: &RobotEdit,
) -> DeskResult<RobotSettings> {
    let client = &link.client;
    let fail = |e| at_store(epoi_id, entry, e);
    let before = client
        .call(&entry.key, &GetAutoSendConfigInfo)
        .await
        .map_err(fail)?;
    let scene = |id: i32| before.iter().find(|c| c.scene == id);
    let named = edit
        .switches
        .iter()
        .map(|s| s.scene)
        .chain(edit.texts.iter().map(|t| t.scene));
    for id in named {
        if scene(id).is_none() {
            return Err(DeskError::Invalid(format!(
                "store {} has no auto-reply scene {id}",
                store_label(epoi_id, entry)
            )));
        }
    }
    let texts: Vec<(&RobotText, String)> = edit
        .texts
        .iter()
        .filter_map(|t| {
            let old = scene(t.scene)
                .and_then(|c| c.content.clone())
                .unwrap_or_default();
            (old != t.text).then_some((t, old))
        })
        .collect();
    let switches: Vec<AutoSendSwitch> = edit
        .switches
        .iter()
        .filter(|s| scene(s.scene).is_some_and(|c| (c.status == Some(1)) != s.on))
        .map(|s| AutoSendSwitch {
            scene: s.scene,
            switch_status: i32::from(s.on),
        })
        .collect();
    let mut written: Vec<(&RobotText, String)> = Vec::new();
    for (t, old) in texts {
        if let Err(e) = client
            .call(&entry.key, &robot_rules::set_text(&t.text))
            .await
        {
            put_back(link, epoi_id, entry, &written).await;
            return Err(fail(e));
        }
        written.push((t, old));
    }
    if !switches.is_empty() {
        let request = SetAutoSendConfigInfo {
            all_status: switches,
        };
        if let Err(e) = client.call(&entry.key, &request).await {
            put_back(link, epoi_id, entry, &written).await;
            return Err(fail(e));
        }
    }
    let after = client
        .call(&entry.key, &GetAutoSendConfigInfo)
        .await
        .map_err(fail)?;
    Ok(settings_of(epoi_id, entry, after))
}

/// Restores texts written before a later call of the same save failed; says whether all were.
async fn put_back(
    link: &MeituanLink,
    epoi_id: &str,
    entry: &StoreEntry,
    written: &[(&RobotText, String)],
) -> bool {
    let mut restored = true;
    for (t, old) in written.iter().rev() {
        // A blank text was never the platform's (it refuses them): nothing to write back.
        if old.trim().is_empty() {
            continue;
        }
        if let Err(e) = link
            .client
            .call(&entry.key, &robot_rules::set_text(old))
            .await
        {
            tracing::warn!(store = %epoi_id, scene = t.scene, "robot text not put back: {e}");
            restored = false;
        }
    }
    restored
}

impl Desk {
    /// A store's robot as the platform holds it now.
    pub async fn robot_settings(&self, epoi_id: &str) -> DeskResult<RobotSettings> {
        let (link, entry) = self.admin_target(epoi_id)?;
        let list = link
            .client
            .call(&entry.key, &GetAutoSendConfigInfo)
            .await
            .map_err(|e| at_store(epoi_id, &entry, e))?;
        Ok(settings_of(epoi_id, &entry, list))
    }

    /// Saves one edit of the robot on each of `stores` (one store, or the same edit copied to
    /// many) and says per store how it went. An edit no store could take (a text too long,
    /// a text for a scene whose text cannot be written) or an unknown store refuses the whole
    /// call before anything is sent.
    pub async fn save_robot_settings(
        &self,
        stores: Vec<String>,
        edit: RobotEdit,
    ) -> DeskResult<Vec<RobotSaveResult>> {
        if stores.is_empty() {
            return Err(DeskError::Invalid("no store chosen".into()));
        }
        check_edit(&edit)?;
        let mut targets = Vec::with_capacity(stores.len());
        let mut seen = BTreeSet::new();
        for epoi_id in stores {
            if seen.insert(epoi_id.clone()) {
                let (link, entry) = self.admin_target(&epoi_id)?;
                targets.push((link, epoi_id, entry));
            }
        }
        let mut out = Vec::with_capacity(targets.len());
        for (link, epoi_id, entry) in targets {
            let result = save_one(link, &epoi_id, &entry, &edit).await;
            if let Err(e) = &result {
                tracing::info!(store = %epoi_id, "robot settings not saved: {e}");
            }
            out.push(match result {
                Ok(settings) => RobotSaveResult {
                    epoi_id,
                    store_name: entry.name,
                    saved: true,
                    error: None,
                    settings: Some(settings),
                },
                Err(e) => {
                    // What the store holds after the failed attempt (as before, unless a
                    // text could not be put back), when it can be read at all.
                    let now = link.client.call(&entry.key, &GetAutoSendConfigInfo).await;
                    let settings = now.ok().map(|l| settings_of(&epoi_id, &entry, l));
                    RobotSaveResult {
                        epoi_id,
                        store_name: entry.name,
                        saved: false,
                        error: Some(e.into()),
                        settings,
                    }
                }
            });
        }
        Ok(out)
    }
}
