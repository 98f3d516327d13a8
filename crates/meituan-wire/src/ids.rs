//! Id newtypes. Numeric ids serialize as JSON numbers and deserialize from numbers or
//! strings (the platform uses both, §4.5 and §4.8); [`StoreId`] is the developer's ERP store
//! id (`epoiId`), a string.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

macro_rules! numeric_id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub struct $name(pub i64);

        impl $name {
            /// The raw 64-bit value.
            pub const fn get(self) -> i64 {
                self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                fmt::Display::fmt(&self.0, f)
            }
        }

        impl From<i64> for $name {
            fn from(v: i64) -> Self {
                Self(v)
            }
        }

        impl From<$name> for i64 {
            fn from(v: $name) -> i64 {
                v.0
            }
        }

        impl std::str::FromStr for $name {
            type Err = std::num::ParseIntError;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                s.trim().parse::<i64>().map(Self)
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_i64(self.0)
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                crate::lenient::i64_from_number_or_string(deserializer).map(Self)
            }
        }
    };
}

numeric_id!(
    /// A message id (`msg_id`): Meituan's id on received messages, our own unique id on sent
    /// ones (reused across retries, which makes sends idempotent).
    MsgId
);
numeric_id!(
    /// A customer id as seen by this developer (`open_user_id` / `openUserId`).
    OpenUserId
);
numeric_id!(
    /// An order id (`order_id` / `orderId`).
    OrderId
);
numeric_id!(
    /// A group chat id (`group_id`), for review-contact, fans and rider groups.
    GroupId
);
numeric_id!(
    /// A review id (`comment_id`).
    CommentId
);
numeric_id!(
    /// A rider id (`rider_id`), in three-party groups.
    RiderId
);
numeric_id!(
    /// The developer application id (`app_id`, also `appkey`).
    AppId
);

/// The developer's ERP store id (`epoiId` / `ePoiId`), which names a store everywhere in
/// imdesk. Deserializes from a string, or from a number written out in decimal.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(transparent)]
pub struct StoreId(pub String);

impl StoreId {
    /// Wraps an epoiId.
    pub fn new(epoi_id: impl Into<String>) -> Self {
        Self(epoi_id.into())
    }

    /// The epoiId text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for StoreId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl From<&str> for StoreId {
    fn from(v: &str) -> Self {
        Self(v.to_owned())
    }
}

impl From<String> for StoreId {
    fn from(v: String) -> Self {
        Self(v)
    }
}

impl<'de> Deserialize<'de> for StoreId {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Form {
            Text(String),
            Signed(i64),
            Unsigned(u64),
        }
        Ok(match Form::deserialize(deserializer)? {
            Form::Text(s) => Self(s),
            Form::Signed(n) => Self(n.to_string()),
            Form::Unsigned(n) => Self(n.to_string()),
        })
    }
}

/// Serde helpers for the places where a numeric id travels as a JSON string
/// (`blockUser.open_user_id`, §4.8). Use as `#[serde(with = "meituan_wire::ids::as_string")]`.
pub mod as_string {
    use serde::{Deserializer, Serializer};

    /// Writes the id as a decimal string.
    pub fn serialize<T, S>(id: &T, serializer: S) -> Result<S::Ok, S::Error>
    where
        T: Copy + Into<i64>,
        S: Serializer,
    {
        serializer.collect_str(&(*id).into())
    }

    /// Reads the id from a string or a number.
    pub fn deserialize<'de, T, D>(deserializer: D) -> Result<T, D::Error>
    where
        T: From<i64>,
        D: Deserializer<'de>,
    {
        crate::lenient::i64_from_number_or_string(deserializer).map(T::from)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numeric_ids_read_both_forms_and_write_numbers() {
        let a: OpenUserId = serde_json::from_str("\"123456789012345678\"").unwrap();
        let b: OpenUserId = serde_json::from_str("123456789012345678").unwrap();
        assert_eq!(a, b);
        assert_eq!(serde_json::to_string(&a).unwrap(), "123456789012345678");
        assert!(serde_json::from_str::<MsgId>("1.0").is_err());
    }

    #[test]
    fn store_id_reads_strings_and_numbers() {
        let a: StoreId = serde_json::from_str("\"poi-1\"").unwrap();
        let b: StoreId = serde_json::from_str("42").unwrap();
        assert_eq!(a.as_str(), "poi-1");
        assert_eq!(b, StoreId::new("42"));
        assert_eq!(serde_json::to_string(&a).unwrap(), "\"poi-1\"");
    }

    #[test]
    fn as_string_round_trips() {
        #[derive(Serialize, Deserialize, PartialEq, Debug)]
        struct Block {
            #[serde(with = "as_string")]
            open_user_id: OpenUserId,
        }
        let v = Block {
            open_user_id: OpenUserId(9_007_199_254_740_993),
        };
        let text = serde_json::to_string(&v).unwrap();
        assert_eq!(text, r#"{"open_user_id":"9007199254740993"}"#);
        assert_eq!(serde_json::from_str::<Block>(&text).unwrap(), v);
    }
}
