//! Smart auto-reply switches and the reply-rate rights (§4.11, §4.12).

use meituan_wire::lenient::{
    opt_i32_from_number_or_string, opt_i64_from_number_or_string, opt_string_from_scalar,
};
use meituan_wire::BusinessId;
use serde::{Deserialize, Serialize};

use crate::endpoint::Endpoint;
use crate::error::ApiError;
use crate::types::OpResult;

/// `autosend/getAutoSendConfigInfo`: every auto-reply scene and its switch. No parameters.
#[derive(Debug, Clone, Copy, Default, Serialize)]
pub struct GetAutoSendConfigInfo;

impl Endpoint for GetAutoSendConfigInfo {
    const NAME: &'static str = "autosend/getAutoSendConfigInfo";
    const HAS_PARAMS: bool = false;
    type Response = Vec<AutoSendConfig>;
}

/// One auto-reply scene.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct AutoSendConfig {
    /// Scene id (1 after-sales, 7 busy, 9 chasing the order, …; more may be added).
    #[serde(
        rename = "type",
        deserialize_with = "meituan_wire::lenient::i32_from_number_or_string"
    )]
    pub scene: i32,
    /// `0` off, `1` on.
    #[serde(default, deserialize_with = "opt_i32_from_number_or_string")]
    pub status: Option<i32>,
    /// Scene name.
    #[serde(rename = "sceneName", default)]
    pub scene_name: Option<String>,
    /// Reply text.
    #[serde(default)]
    pub content: Option<String>,
}

/// `autosend/setAutoSendConfigInfo`: switches auto-reply scenes on or off.
#[derive(Debug, Clone, Serialize)]
pub struct SetAutoSendConfigInfo {
    /// The switches to change.
    #[serde(rename = "allStatus")]
    pub all_status: Vec<AutoSendSwitch>,
}

/// One switch of [`SetAutoSendConfigInfo`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct AutoSendSwitch {
    /// Scene id; `0` means all switches.
    #[serde(rename = "type")]
    pub scene: i32,
    /// `0` off, `1` on.
    #[serde(rename = "switchStatus")]
    pub switch_status: i32,
}

impl Endpoint for SetAutoSendConfigInfo {
    const NAME: &'static str = "autosend/setAutoSendConfigInfo";
    type Response = OpResult;
}

/// What this project infers about editing robot replies, in one place (\[INF\]; the document
/// states neither):
///
/// * Only the invite-a-review scene's text can be written: `setAutoSendConfig` supports
///   `auto_send_type` 18 alone, and no other endpoint takes a text. The scene's text and switch
///   are taken to be scene 18 of `getAutoSendConfigInfo`'s list.
/// * A reply text is at most [`ROBOT_REPLY_MAX_CHARS`] characters.
///
/// A correction from the live platform changes this module only.
pub mod robot_rules {
    /// The longest robot reply text, in characters (\[INF\]).
    pub const ROBOT_REPLY_MAX_CHARS: usize = 100;

    /// The scene whose text `setAutoSendConfig` writes (18, invite a review).
    pub const TEXT_SCENE: i32 = 18;

    /// Whether the platform lets us write this scene's reply text.
    pub fn text_writable(scene: i32) -> bool {
        scene == TEXT_SCENE
    }

    /// The request that writes `text` as scene 18's reply, leaving its switch alone
    /// (`op_type` 2).
    pub fn set_text(text: &str) -> super::SetAutoSendConfig {
        super::SetAutoSendConfig {
            auto_send_type: TEXT_SCENE,
            op_type: 2,
            status: None,
            content: Some(text.to_owned()),
        }
    }
}

pub use robot_rules::ROBOT_REPLY_MAX_CHARS;

/// `setAutoSendConfig`: the invite-a-review auto reply (`auto_send_type` 18 only).
#[derive(Debug, Clone, Serialize)]
pub struct SetAutoSendConfig {
    /// Only `18` (invite a review) is supported.
    pub auto_send_type: i32,
    /// `0` switch, `1` content and switch, `2` content only.
    pub op_type: i32,
    /// `0` off, `1` on; required when `op_type` is 0 or 1.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<i32>,
    /// Reply text; required when `op_type` is 1 or 2.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub content: Option<String>,
}

impl Endpoint for SetAutoSendConfig {
    const NAME: &'static str = "setAutoSendConfig";
    type Response = OpResult;

    fn validate(&self, _: BusinessId) -> Result<(), ApiError> {
        let needs_status = matches!(self.op_type, 0 | 1);
        let needs_content = matches!(self.op_type, 1 | 2);
        if !(0..=2).contains(&self.op_type) {
            Err(ApiError::validation(
                Self::NAME,
                "op_type must be 0, 1 or 2",
            ))
        } else if needs_status && self.status.is_none() {
            Err(ApiError::validation(
                Self::NAME,
                "status is required for this op_type",
            ))
        } else if needs_content && self.content.as_deref().is_none_or(|c| c.trim().is_empty()) {
            Err(ApiError::validation(
                Self::NAME,
                "content is required (not blank) for this op_type",
            ))
        } else if self
            .content
            .as_deref()
            .is_some_and(|c| c.chars().count() > ROBOT_REPLY_MAX_CHARS)
        {
            Err(ApiError::validation(
                Self::NAME,
                "content is longer than the platform takes",
            ))
        } else {
            Ok(())
        }
    }
}

/// `getReversionRateAndRightsList`: reply rates and store rights. No parameters.
#[derive(Debug, Clone, Copy, Default, Serialize)]
pub struct GetReversionRateAndRightsList;

impl Endpoint for GetReversionRateAndRightsList {
    const NAME: &'static str = "getReversionRateAndRightsList";
    const HAS_PARAMS: bool = false;
    type Response = ReversionRate;
}

/// Response of [`GetReversionRateAndRightsList`]. The two integrations type these fields
/// differently (§4.14); numbers and strings are both accepted.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct ReversionRate {
    /// 5-minute reply-rate right: `0` not reached, `1` reached.
    #[serde(
        rename = "benefitStatus",
        default,
        deserialize_with = "opt_i64_from_number_or_string"
    )]
    pub benefit_status: Option<i64>,
    /// IM reply rate within 5 minutes.
    #[serde(
        rename = "reversionRate",
        default,
        deserialize_with = "opt_string_from_scalar"
    )]
    pub reversion_rate: Option<String>,
    /// Target for the 5-minute reply rate.
    #[serde(
        rename = "targetReversionRate",
        default,
        deserialize_with = "opt_string_from_scalar"
    )]
    pub target_reversion_rate: Option<String>,
    /// 1-minute urgent reply right: `0` not reached, `1` reached.
    #[serde(
        rename = "urgentBenefitStatus",
        default,
        deserialize_with = "opt_i64_from_number_or_string"
    )]
    pub urgent_benefit_status: Option<i64>,
    /// Urgent-message reply rate.
    #[serde(
        rename = "urgentReversionRate",
        default,
        deserialize_with = "opt_string_from_scalar"
    )]
    pub urgent_reversion_rate: Option<String>,
    /// Urgent-message target.
    #[serde(
        rename = "urgentTargetReversionRate",
        default,
        deserialize_with = "opt_string_from_scalar"
    )]
    pub urgent_target_reversion_rate: Option<String>,
    /// Store rights.
    #[serde(rename = "rightsList", default)]
    pub rights_list: Vec<Right>,
    /// Temporary rights.
    #[serde(rename = "tempRightsList", default)]
    pub temp_rights_list: Vec<Right>,
}

/// A store right (`code` is a string on businessId 2 and a number on 16; kept as text).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Right {
    /// Rights code: 1 review contact, 3 live review updates, 5 invite reviews, 6 block, …
    #[serde(default, deserialize_with = "opt_string_from_scalar")]
    pub code: Option<String>,
    /// Rights name.
    #[serde(default)]
    pub name: Option<String>,
}
