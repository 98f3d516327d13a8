//! Lenient integer decoding for fields whose JSON type the platform is inconsistent about.
//!
//! The protocol document (§4) sends the same id as a number in one response and as a string
//! in another (`open_user_id`, `epoiId`, `commentSendFailCount`). These helpers accept both
//! forms and never go through `f64`, so 64-bit ids keep every digit.

use std::fmt;

use serde::de::{self, Deserializer, Visitor};

/// Deserializes an `i64` from a JSON integer or from a string holding one (surrounding
/// whitespace allowed). Floats, booleans and out-of-range values are errors.
pub fn i64_from_number_or_string<'de, D>(deserializer: D) -> Result<i64, D::Error>
where
    D: Deserializer<'de>,
{
    deserializer.deserialize_any(LenientI64)
}

/// Like [`i64_from_number_or_string`] but for `i32` codes.
pub fn i32_from_number_or_string<'de, D>(deserializer: D) -> Result<i32, D::Error>
where
    D: Deserializer<'de>,
{
    let wide = deserializer.deserialize_any(LenientI64)?;
    i32::try_from(wide).map_err(|_| de::Error::custom(format!("{wide} does not fit in 32 bits")))
}

/// Optional form of [`i64_from_number_or_string`]: `null` (or an empty string) is `None`.
/// Use with `#[serde(default, deserialize_with = "...")]` so an absent field is `None` too.
pub fn opt_i64_from_number_or_string<'de, D>(deserializer: D) -> Result<Option<i64>, D::Error>
where
    D: Deserializer<'de>,
{
    deserializer.deserialize_any(OptionalLenientI64)
}

/// Optional form of [`i32_from_number_or_string`].
pub fn opt_i32_from_number_or_string<'de, D>(deserializer: D) -> Result<Option<i32>, D::Error>
where
    D: Deserializer<'de>,
{
    match deserializer.deserialize_any(OptionalLenientI64)? {
        None => Ok(None),
        Some(wide) => i32::try_from(wide)
            .map(Some)
            .map_err(|_| de::Error::custom(format!("{wide} does not fit in 32 bits"))),
    }
}

/// Reads a string from a JSON string, number or boolean, for fields the platform types
/// differently per integration (for example a rights `code`, str on 2 and int64 on 16).
/// `null` is `None`.
pub fn opt_string_from_scalar<'de, D>(deserializer: D) -> Result<Option<String>, D::Error>
where
    D: Deserializer<'de>,
{
    deserializer.deserialize_any(ScalarText)
}

struct OptionalLenientI64;

impl<'de> Visitor<'de> for OptionalLenientI64 {
    type Value = Option<i64>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("null, an integer or a string holding an integer")
    }

    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(self)
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
        Ok(Some(v))
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
        LenientI64.visit_u64(v).map(Some)
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        if v.trim().is_empty() {
            return Ok(None);
        }
        LenientI64.visit_str(v).map(Some)
    }
}

struct ScalarText;

impl<'de> Visitor<'de> for ScalarText {
    type Value = Option<String>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("null, a string, a number or a boolean")
    }

    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(self)
    }

    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Self::Value, E> {
        Ok(Some(v.to_string()))
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
        Ok(Some(v.to_string()))
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
        Ok(Some(v.to_string()))
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
        Ok(Some(v.to_string()))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        Ok(Some(v.to_owned()))
    }
}

struct LenientI64;

impl Visitor<'_> for LenientI64 {
    type Value = i64;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an integer or a string holding an integer")
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<i64, E> {
        Ok(v)
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<i64, E> {
        i64::try_from(v).map_err(|_| E::custom(format!("{v} does not fit in i64")))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<i64, E> {
        v.trim()
            .parse::<i64>()
            .map_err(|_| E::custom("string is not a decimal integer"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(serde::Deserialize)]
    struct Wide(#[serde(deserialize_with = "i64_from_number_or_string")] i64);

    #[derive(serde::Deserialize)]
    struct Narrow(#[serde(deserialize_with = "i32_from_number_or_string")] i32);

    #[test]
    fn accepts_numbers_and_strings_without_losing_digits() {
        let big = "9007199254740993"; // 2^53 + 1: would round through f64
        let n: Wide = serde_json::from_str(big).unwrap();
        let s: Wide = serde_json::from_str(&format!("\"{big}\"")).unwrap();
        assert_eq!(n.0, 9_007_199_254_740_993);
        assert_eq!(s.0, 9_007_199_254_740_993);
        let neg: Narrow = serde_json::from_str("\"-1\"").unwrap();
        assert_eq!(neg.0, -1);
    }

    #[derive(serde::Deserialize)]
    struct Maybe {
        #[serde(default, deserialize_with = "opt_i64_from_number_or_string")]
        n: Option<i64>,
        #[serde(default, deserialize_with = "opt_string_from_scalar")]
        code: Option<String>,
    }

    #[test]
    fn optional_forms_accept_absent_null_and_mixed_types() {
        let a: Maybe = serde_json::from_str("{}").unwrap();
        assert_eq!((a.n, a.code), (None, None));
        let b: Maybe = serde_json::from_str(r#"{"n":null,"code":null}"#).unwrap();
        assert_eq!((b.n, b.code), (None, None));
        let c: Maybe = serde_json::from_str(r#"{"n":"12","code":7}"#).unwrap();
        assert_eq!((c.n, c.code.as_deref()), (Some(12), Some("7")));
        assert!(serde_json::from_str::<Maybe>(r#"{"n":1.5}"#).is_err());
    }

    #[test]
    fn rejects_floats_garbage_and_overflow() {
        assert!(serde_json::from_str::<Wide>("1.5").is_err());
        assert!(serde_json::from_str::<Wide>("\"12a\"").is_err());
        assert!(serde_json::from_str::<Wide>("true").is_err());
        assert!(serde_json::from_str::<Wide>("18446744073709551615").is_err());
        assert!(serde_json::from_str::<Narrow>("4294967296").is_err());
    }
}
