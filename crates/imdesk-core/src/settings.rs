//! Persisted per-desk settings (the store's settings table) and the first-run quick replies.

use imdesk_store::{QuickReply, Store};

use crate::alerts::AlertSettings;
use crate::error::DeskResult;

/// Settings key of the alert settings (JSON).
pub(crate) const ALERT_SETTINGS_KEY: &str = "alerts.settings";
/// Settings key of the urgent scene tags of the reply-clock policy (JSON list).
pub(crate) const URGENT_TAGS_KEY: &str = "clock.urgent_scene_tags";

/// Applies the saved urgent scene tags to the store's reply-clock policy (the store keeps the
/// one policy; the platform's windows stay as the store was opened with). A value that does
/// not read is reported and the defaults stay in force.
pub(crate) async fn apply_urgent_tags(store: &Store) -> DeskResult<()> {
    let Some(json) = store.setting_async(URGENT_TAGS_KEY.into()).await? else {
        return Ok(());
    };
    match serde_json::from_str::<std::collections::BTreeSet<i32>>(&json) {
        Ok(tags) => {
            let mut policy = store.clock_policy();
            policy.urgent_scene_tags = tags;
            store.set_clock_policy(policy)?;
        }
        Err(e) => tracing::warn!("saved urgent scene tags unreadable, defaults kept: {e}"),
    }
    Ok(())
}
const SEEDED_KEY: &str = "quick_replies.seeded";

/// The brand quick replies a new desk starts with (variables: {顾客} {门店} {订单号} {预计送达}).
pub const SEED_QUICK_REPLIES: [(&str, &str); 6] = [
    (
        "催单",
        "您好{顾客}，您的订单{订单号}正在配送中，预计{预计送达}送达，请耐心等待～",
    ),
    ("问候", "您好，欢迎光临{门店}，请问有什么可以帮您？"),
    (
        "致歉",
        "非常抱歉给您带来不好的体验，我们马上为您核实处理，请您稍等～",
    ),
    (
        "少送",
        "您好{顾客}，很抱歉漏送了您的餐品，我们已为您安排补送/退款，请您留意～",
    ),
    (
        "发票",
        "您好，发票请在订单页提交开票信息，我们会尽快为您开具～",
    ),
    ("感谢", "感谢您的支持，期待您再次光临{门店}，祝您用餐愉快！"),
];

/// Seeds the brand quick replies once (a user who deletes them all does not get them back).
pub(crate) async fn seed_quick_replies(store: &Store) -> DeskResult<()> {
    if store.setting_async(SEEDED_KEY.into()).await?.is_some() {
        return Ok(());
    }
    for (i, (title, text)) in SEED_QUICK_REPLIES.iter().enumerate() {
        store
            .save_quick_reply_async(QuickReply {
                id: None,
                store: None,
                title: (*title).to_owned(),
                text: (*text).to_owned(),
                sort: i64::try_from(i).unwrap_or(0),
            })
            .await?;
    }
    store
        .set_setting_async(SEEDED_KEY.into(), "1".into())
        .await?;
    Ok(())
}

/// The saved alert settings, or the defaults (also when the saved JSON no longer parses).
pub(crate) async fn load_alert_settings(store: &Store) -> DeskResult<AlertSettings> {
    let saved = store.setting_async(ALERT_SETTINGS_KEY.into()).await?;
    Ok(saved
        .and_then(|json| match serde_json::from_str(&json) {
            Ok(s) => Some(s),
            Err(e) => {
                tracing::warn!("saved alert settings unreadable, using defaults: {e}");
                None
            }
        })
        .unwrap_or_default())
}
