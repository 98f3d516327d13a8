//! Typed reading of untyped JSON fields, with a precise reason for each refusal. Ids are
//! accepted as JSON integers or decimal strings and never pass through `f64` (§4.3).

use serde_json::{Map, Value};

use crate::quarantine::QuarantineReason;

/// Fields `push_content` must have (§4.3, req `Y`).
const REQUIRED: [&str; 5] = ["msg_id", "msg_content", "msg_type", "msg_source", "cts"];
/// Optional id fields that must be non-negative 64-bit integers when present.
const OPTIONAL_IDS: [&str; 5] = [
    "order_id",
    "open_user_id",
    "comment_id",
    "group_id",
    "rider_id",
];
/// Optional 32-bit codes.
const OPTIONAL_CODES: [&str; 2] = ["scene_tag", "has_reply"];

/// Reads a 64-bit integer id. Numbers outside `i64`, fractions and digit strings that
/// overflow are out of range; other types are bad fields.
pub(crate) fn id_i64(v: &Value, field: &'static str) -> Result<i64, QuarantineReason> {
    let out_of_range = QuarantineReason::IdOutOfRange { field };
    match v {
        Value::Number(n) => n.as_i64().ok_or(out_of_range),
        Value::String(s) => {
            let s = s.trim();
            let digits = s.strip_prefix('-').unwrap_or(s);
            if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
                return Err(QuarantineReason::BadField { field });
            }
            s.parse::<i64>().map_err(|_| out_of_range)
        }
        _ => Err(QuarantineReason::BadField { field }),
    }
}

/// Reads a 32-bit code (biz_type, msg_type, …) from a number or a decimal string.
pub(crate) fn code_i32(v: &Value, field: &'static str) -> Result<i32, QuarantineReason> {
    let wide = id_i64(v, field).map_err(|_| QuarantineReason::BadField { field })?;
    i32::try_from(wide).map_err(|_| QuarantineReason::BadField { field })
}

/// Checks `push_content` field by field so a refusal names the field; the typed decode that
/// follows then cannot fail on these.
pub(crate) fn check_content(content: &Map<String, Value>) -> Result<(), QuarantineReason> {
    let present = |name: &str| content.get(name).filter(|v| !v.is_null());
    for field in REQUIRED {
        if present(field).is_none() {
            return Err(QuarantineReason::MissingField { field });
        }
    }
    if let Some(v) = present("msg_id") {
        if id_i64(v, "msg_id")? <= 0 {
            return Err(QuarantineReason::IdOutOfRange { field: "msg_id" });
        }
    }
    if !present("msg_content").is_some_and(Value::is_string) {
        return Err(QuarantineReason::BadField {
            field: "msg_content",
        });
    }
    if let Some(v) = present("cts") {
        id_i64(v, "cts").map_err(|_| QuarantineReason::BadField { field: "cts" })?;
    }
    for field in ["msg_type", "msg_source"].into_iter().chain(OPTIONAL_CODES) {
        if let Some(v) = present(field) {
            code_i32(v, field)?;
        }
    }
    for field in OPTIONAL_IDS {
        if let Some(v) = present(field) {
            if id_i64(v, field)? < 0 {
                return Err(QuarantineReason::IdOutOfRange { field });
            }
        }
    }
    if present("scene_name").is_some_and(|v| !v.is_string()) {
        return Err(QuarantineReason::BadField {
            field: "scene_name",
        });
    }
    if present("group_name").is_some_and(|v| !v.is_string()) {
        return Err(QuarantineReason::BadField {
            field: "group_name",
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn ids_keep_every_digit_in_both_forms() {
        assert_eq!(
            id_i64(&json!(9_007_199_254_740_993_i64), "x"),
            Ok(9_007_199_254_740_993)
        );
        assert_eq!(
            id_i64(&json!(" 9007199254740993 "), "x"),
            Ok(9_007_199_254_740_993)
        );
        assert_eq!(id_i64(&json!("-1"), "x"), Ok(-1));
    }

    #[test]
    fn ids_out_of_range_or_of_wrong_type() {
        let oor = QuarantineReason::IdOutOfRange { field: "x" };
        let bad = QuarantineReason::BadField { field: "x" };
        assert_eq!(id_i64(&json!(u64::MAX), "x"), Err(oor.clone()));
        assert_eq!(id_i64(&json!(1.5), "x"), Err(oor.clone()));
        assert_eq!(id_i64(&json!("99999999999999999999"), "x"), Err(oor));
        assert_eq!(id_i64(&json!("12a"), "x"), Err(bad.clone()));
        assert_eq!(id_i64(&json!(""), "x"), Err(bad.clone()));
        assert_eq!(id_i64(&json!(true), "x"), Err(bad));
        assert_eq!(
            code_i32(&json!(1_i64 << 40), "x"),
            Err(QuarantineReason::BadField { field: "x" })
        );
    }

    #[test]
    fn content_checks_name_the_field() {
        let ok = json!({"msg_id": 1, "msg_content": "x", "msg_type": 1, "msg_source": 2, "cts": 1});
        let Value::Object(ok) = ok else {
            unreachable!()
        };
        assert_eq!(check_content(&ok), Ok(()));
        let mut m = ok.clone();
        m.insert("msg_id".into(), json!(0));
        assert_eq!(
            check_content(&m),
            Err(QuarantineReason::IdOutOfRange { field: "msg_id" })
        );
        let mut m = ok.clone();
        m.insert("cts".into(), Value::Null);
        assert_eq!(
            check_content(&m),
            Err(QuarantineReason::MissingField { field: "cts" })
        );
        let mut m = ok.clone();
        m.insert("open_user_id".into(), json!(-5));
        assert_eq!(
            check_content(&m),
            Err(QuarantineReason::IdOutOfRange {
                field: "open_user_id"
            })
        );
        let mut m = ok;
        m.insert("msg_content".into(), json!(5));
        assert_eq!(
            check_content(&m),
            Err(QuarantineReason::BadField {
                field: "msg_content"
            })
        );
    }
}
