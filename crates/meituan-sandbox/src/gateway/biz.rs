//! Reading the `biz` field: a JSON object, nothing, or (businessId 2's opaque endpoints) a JSON
//! string literal whose text is the object (§1.2). Types are strict: integers must be JSON
//! integers and strings JSON strings, as the SDK sends them.

use serde_json::{Map, Value};

use crate::envelope::ApiError;

/// The parsed business parameters.
#[derive(Debug, Default)]
pub(crate) struct Biz(pub Map<String, Value>);

impl Biz {
    /// `biz` must be a JSON object.
    pub fn object(raw: Option<&str>) -> Result<Biz, ApiError> {
        let raw = raw.ok_or_else(|| ApiError::param("biz is required"))?;
        match serde_json::from_str::<Value>(raw) {
            Ok(Value::Object(m)) => Ok(Biz(m)),
            _ => Err(ApiError::param("biz must be a JSON object")),
        }
    }

    /// An endpoint without parameters: `biz` left out (an empty object is tolerated).
    pub fn nothing(raw: Option<&str>) -> Result<(), ApiError> {
        match raw {
            None => Ok(()),
            Some(r)
                if serde_json::from_str::<Value>(r)
                    .is_ok_and(|v| v.as_object().is_some_and(Map::is_empty)) =>
            {
                Ok(())
            }
            Some(_) => Err(ApiError::param(
                "this endpoint takes no biz; leave the field out",
            )),
        }
    }

    /// businessId 2's opaque `data`: `biz` is a JSON string literal holding a JSON object.
    /// On businessId 16 the same endpoints take the object directly.
    pub fn opaque(raw: Option<&str>, business_id: u8) -> Result<Biz, ApiError> {
        if business_id == 16 {
            return Self::object(raw);
        }
        let raw = raw.ok_or_else(|| ApiError::param("biz is required"))?;
        let inner = match serde_json::from_str::<Value>(raw) {
            Ok(Value::String(s)) => s,
            _ => {
                return Err(ApiError::param(
                    "biz must be a JSON string literal on businessId 2",
                ))
            }
        };
        match serde_json::from_str::<Value>(&inner) {
            Ok(Value::Object(m)) => Ok(Biz(m)),
            _ => Err(ApiError::param("the data string must hold a JSON object")),
        }
    }

    /// An optional integer field.
    pub fn int(&self, key: &str) -> Result<Option<i64>, ApiError> {
        match self.0.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(v) => v
                .as_i64()
                .map(Some)
                .ok_or_else(|| ApiError::param(format!("{key} must be an integer"))),
        }
    }

    /// A required integer field.
    pub fn req_int(&self, key: &str) -> Result<i64, ApiError> {
        self.int(key)?
            .ok_or_else(|| ApiError::param(format!("{key} is required")))
    }

    /// An optional string field.
    pub fn str(&self, key: &str) -> Result<Option<&str>, ApiError> {
        match self.0.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => Ok(Some(s)),
            Some(_) => Err(ApiError::param(format!("{key} must be a string"))),
        }
    }

    /// A required, non-blank string field.
    pub fn req_str(&self, key: &str) -> Result<&str, ApiError> {
        self.str(key)?
            .filter(|s| !s.trim().is_empty())
            .ok_or_else(|| ApiError::param(format!("{key} is required")))
    }

    /// An optional object field.
    pub fn obj(&self, key: &str) -> Result<Option<Biz>, ApiError> {
        match self.0.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Object(m)) => Ok(Some(Biz(m.clone()))),
            Some(_) => Err(ApiError::param(format!("{key} must be an object"))),
        }
    }

    /// An optional list-of-objects field.
    pub fn list(&self, key: &str) -> Result<Vec<Biz>, ApiError> {
        match self.0.get(key) {
            None | Some(Value::Null) => Ok(Vec::new()),
            Some(Value::Array(items)) => items
                .iter()
                .map(|v| {
                    v.as_object()
                        .map(|m| Biz(m.clone()))
                        .ok_or_else(|| ApiError::param(format!("{key} must list objects")))
                })
                .collect(),
            Some(_) => Err(ApiError::param(format!("{key} must be a list"))),
        }
    }
}
