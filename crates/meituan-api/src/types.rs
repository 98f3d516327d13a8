//! Small response shapes shared by many endpoints, and lenient decoders for numbers the
//! platform types inconsistently.

use serde::de::{DeserializeOwned, IgnoredAny};
use serde::{Deserialize, Deserializer, Serialize};

/// The response of an endpoint whose `data` is "none": anything the platform sends is
/// accepted and ignored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub struct Ack;

impl<'de> Deserialize<'de> for Ack {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        IgnoredAny::deserialize(deserializer).map(|_| Ack)
    }
}

/// The response of an endpoint whose `data` is a string holding an operation result, or
/// nothing (for example `blockUser`: str on businessId 2, none on 16). Non-string data is
/// kept as its JSON text.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct OpResult(pub Option<String>);

impl<'de> Deserialize<'de> for OpResult {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Ok(Self(match serde_json::Value::deserialize(deserializer)? {
            serde_json::Value::Null => None,
            serde_json::Value::String(s) => Some(s),
            other => Some(other.to_string()),
        }))
    }
}

/// A response the SDK models as one object but which may really be a list or a page
/// wrapper \[INF\] (§4.13). Decodes a single object or a list into a `Vec`.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
pub struct OneOrMany<T>(pub Vec<T>);

impl<'de, T: DeserializeOwned> Deserialize<'de> for OneOrMany<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        match serde_json::Value::deserialize(deserializer)? {
            serde_json::Value::Null => Ok(Self(Vec::new())),
            serde_json::Value::Array(items) => items
                .into_iter()
                .map(serde_json::from_value)
                .collect::<Result<Vec<T>, _>>()
                .map(Self)
                .map_err(serde::de::Error::custom),
            one => serde_json::from_value(one)
                .map(|v| Self(vec![v]))
                .map_err(serde::de::Error::custom),
        }
    }
}

/// Reads an optional decimal amount from a number or a numeric string (money, scores).
pub fn opt_f64_from_number_or_string<'de, D>(deserializer: D) -> Result<Option<f64>, D::Error>
where
    D: Deserializer<'de>,
{
    match serde_json::Value::deserialize(deserializer)? {
        serde_json::Value::Null => Ok(None),
        serde_json::Value::Number(n) => Ok(n.as_f64()),
        serde_json::Value::String(s) if s.trim().is_empty() => Ok(None),
        serde_json::Value::String(s) => s
            .trim()
            .parse::<f64>()
            .map(Some)
            .map_err(|_| serde::de::Error::custom("amount is not a number")),
        _ => Err(serde::de::Error::custom("amount is not a number")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ack_and_op_result_accept_what_the_platform_sends() {
        assert_eq!(serde_json::from_str::<Ack>(r#"{"x":[1]}"#).unwrap(), Ack);
        assert_eq!(
            serde_json::from_str::<OpResult>("null").unwrap(),
            OpResult(None)
        );
        assert_eq!(
            serde_json::from_str::<OpResult>(r#""ok""#).unwrap(),
            OpResult(Some("ok".into()))
        );
    }

    #[test]
    fn one_or_many_takes_both_shapes() {
        let one: OneOrMany<i32> = serde_json::from_str("3").unwrap();
        let many: OneOrMany<i32> = serde_json::from_str("[1,2]").unwrap();
        assert_eq!((one.0, many.0), (vec![3], vec![1, 2]));
    }
}
