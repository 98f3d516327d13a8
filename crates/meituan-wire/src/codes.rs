//! The platform's small integer vocabularies: the integration (`businessId`), `biz_type`,
//! `msg_source`, `msg_type`, `scene_tag` and `has_reply`.
//!
//! Codes that arrive from the network keep unknown values (`Unknown(n)` or the raw newtype)
//! instead of failing, so a new value from the platform never drops a customer's message.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::lenient::{i32_from_number_or_string, i64_from_number_or_string};

/// The integration a store is authorised under (§0). It picks the IM path family and the
/// `businessId` envelope field, which must agree.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BusinessId {
    /// `2`, 接单: the developer's system takes orders. IM paths under `/waimai/ng/im/`.
    Waimai,
    /// `16`, 非接单: no order taking (operations, service). IM paths under `/wmoper/ng/im/`.
    Wmoper,
}

/// A `businessId` other than 2 or 16.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("unknown businessId {0} (expected 2 or 16)")]
pub struct UnknownBusinessId(pub i64);

impl BusinessId {
    /// The numeric code sent in the envelope: 2 or 16.
    pub const fn code(self) -> i32 {
        match self {
            Self::Waimai => 2,
            Self::Wmoper => 16,
        }
    }

    /// The IM path prefix, with leading and trailing slash: `/waimai/ng/im/` or
    /// `/wmoper/ng/im/`.
    pub const fn im_prefix(self) -> &'static str {
        match self {
            Self::Waimai => "/waimai/ng/im/",
            Self::Wmoper => "/wmoper/ng/im/",
        }
    }

    /// Parses the numeric code.
    pub fn from_code(code: i64) -> Result<Self, UnknownBusinessId> {
        match code {
            2 => Ok(Self::Waimai),
            16 => Ok(Self::Wmoper),
            other => Err(UnknownBusinessId(other)),
        }
    }
}

impl fmt::Display for BusinessId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.code())
    }
}

impl TryFrom<i64> for BusinessId {
    type Error = UnknownBusinessId;
    fn try_from(code: i64) -> Result<Self, Self::Error> {
        Self::from_code(code)
    }
}

impl Serialize for BusinessId {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_i32(self.code())
    }
}

impl<'de> Deserialize<'de> for BusinessId {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let code = i64_from_number_or_string(deserializer)?;
        Self::from_code(code).map_err(serde::de::Error::custom)
    }
}

/// Declares an `i32` code enum with an `Unknown(i32)` catch-all and lenient serde.
macro_rules! int_code {
    ($(#[$doc:meta])* $name:ident { $($(#[$vdoc:meta])* $variant:ident = $value:literal,)+ }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum $name {
            $($(#[$vdoc])* $variant,)+
            /// A value this crate does not know; kept as received.
            Unknown(i32),
        }

        impl $name {
            /// The wire value.
            pub const fn code(self) -> i32 {
                match self {
                    $(Self::$variant => $value,)+
                    Self::Unknown(v) => v,
                }
            }
        }

        impl From<i32> for $name {
            fn from(v: i32) -> Self {
                match v {
                    $($value => Self::$variant,)+
                    other => Self::Unknown(other),
                }
            }
        }

        impl From<$name> for i32 {
            fn from(v: $name) -> i32 {
                v.code()
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_i32(self.code())
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                i32_from_number_or_string(deserializer).map(Self::from)
            }
        }
    };
}

int_code!(
    /// The kind of conversation (`biz_type`, §4.3).
    BizType {
        /// `1`: two-party chat between merchant and customer (两方会话).
        TwoParty = 1,
        /// `4`: anonymous review-contact group (评价匿名群聊).
        ReviewContact = 4,
        /// `5`: fans group (粉丝群聊).
        FansGroup = 5,
        /// `6`: three-party group with the rider (三方群聊).
        RiderGroup = 6,
    }
);

int_code!(
    /// Who sent a message (`msg_source`).
    MsgSource {
        /// `1`: the merchant (us).
        Merchant = 1,
        /// `2`: the customer.
        Customer = 2,
    }
);

int_code!(
    /// Whether a customer message awaits a reply (`has_reply`, biz_type 1).
    HasReply {
        /// `0`: default / not applicable.
        Default = 0,
        /// `1`: not replied yet; starts a reply clock.
        NotReplied = 1,
        /// `2`: replied.
        Replied = 2,
    }
);

/// What a message's content is, resolved from `msg_type` and `biz_type` together.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MsgKind {
    /// Text.
    Text,
    /// Image.
    Image,
    /// Other (two-party chats only).
    Other,
    /// A `msg_type` not defined for this `biz_type`.
    Unknown,
}

/// The content type code (`msg_type`). Its meaning depends on `biz_type` (§4.3): text is `1`
/// in two-party chats but `0` in groups, so it stays a raw code with helpers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(transparent)]
pub struct MsgType(pub i32);

impl MsgType {
    /// Image, in every biz_type.
    pub const IMAGE: Self = Self(2);

    /// The text code for a conversation kind: `1` for two-party chats, `0` for groups.
    pub fn text_for(biz_type: BizType) -> Self {
        match biz_type {
            BizType::TwoParty => Self(1),
            _ => Self(0),
        }
    }

    /// What this code means in a conversation of `biz_type`.
    pub fn kind(self, biz_type: BizType) -> MsgKind {
        match (biz_type, self.0) {
            (BizType::TwoParty, 1) => MsgKind::Text,
            (BizType::TwoParty, 3) => MsgKind::Other,
            (BizType::TwoParty, 2) => MsgKind::Image,
            (BizType::TwoParty, _) => MsgKind::Unknown,
            (_, 0) => MsgKind::Text,
            (_, 2) => MsgKind::Image,
            _ => MsgKind::Unknown,
        }
    }
}

impl<'de> Deserialize<'de> for MsgType {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        i32_from_number_or_string(deserializer).map(Self)
    }
}

/// A scene tag on a two-party message (`scene_tag`, §4.3). Which tags are urgent is policy
/// that lives in the core, not here; these constants only name the documented values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct SceneTag(pub i32);

impl SceneTag {
    /// `-1`: a normal message.
    pub const NORMAL: Self = Self(-1);
    /// `9003`: customer complaint against the merchant; urgent (紧急消息).
    pub const MERCHANT_COMPLAINT: Self = Self(9003);
    /// `3002`: food-quality complaint (餐品质量投诉).
    pub const FOOD_QUALITY_COMPLAINT: Self = Self(3002);
    /// `3001`: wrong or missing items (餐品错送/少送).
    pub const WRONG_OR_MISSING_ITEMS: Self = Self(3001);
    /// `9001`: the customer has already tried to reach customer service.
    pub const CONTACTED_SERVICE: Self = Self(9001);
    /// `2203`: supplementary order remark (补充备注).
    pub const REMARK_SUPPLEMENT: Self = Self(2203);

    /// Whether this marks a scene message (a value above 0).
    pub const fn is_scene(self) -> bool {
        self.0 > 0
    }
}

impl<'de> Deserialize<'de> for SceneTag {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        i32_from_number_or_string(deserializer).map(Self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn business_id_picks_prefix_and_rejects_unknown_codes() {
        assert_eq!(BusinessId::Waimai.im_prefix(), "/waimai/ng/im/");
        assert_eq!(BusinessId::Wmoper.im_prefix(), "/wmoper/ng/im/");
        assert_eq!(BusinessId::from_code(16), Ok(BusinessId::Wmoper));
        assert_eq!(BusinessId::from_code(3), Err(UnknownBusinessId(3)));
        let b: BusinessId = serde_json::from_str("\"2\"").unwrap();
        assert_eq!(b, BusinessId::Waimai);
        assert!(serde_json::from_str::<BusinessId>("7").is_err());
    }

    #[test]
    fn unknown_codes_are_kept_not_rejected() {
        let b: BizType = serde_json::from_str("9").unwrap();
        assert_eq!(b, BizType::Unknown(9));
        assert_eq!(serde_json::to_string(&b).unwrap(), "9");
        let s: MsgSource = serde_json::from_str("\"2\"").unwrap();
        assert_eq!(s, MsgSource::Customer);
        assert_eq!(HasReply::from(1), HasReply::NotReplied);
    }

    #[test]
    fn msg_type_depends_on_biz_type() {
        assert_eq!(MsgType::text_for(BizType::TwoParty), MsgType(1));
        assert_eq!(MsgType::text_for(BizType::FansGroup), MsgType(0));
        assert_eq!(MsgType(0).kind(BizType::TwoParty), MsgKind::Unknown);
        assert_eq!(MsgType(0).kind(BizType::ReviewContact), MsgKind::Text);
        assert_eq!(MsgType(3).kind(BizType::RiderGroup), MsgKind::Unknown);
        assert_eq!(MsgType::IMAGE.kind(BizType::TwoParty), MsgKind::Image);
        assert!(SceneTag::MERCHANT_COMPLAINT.is_scene());
        assert!(!SceneTag::NORMAL.is_scene());
    }
}
