//! Redaction for the connection doctor: what of a quarantined frame or a log line may leave
//! the machine in a diagnostic bundle. A frame keeps its shape, its ids and the lengths of its
//! texts; a log line keeps its ASCII words with secret-named fields and non-ASCII runs masked
//! (logs never carry customer text by rule; this is the second line).

use serde_json::Value;

/// Fields whose string value is an id or a code, kept when it looks like one.
const ID_FIELDS: [&str; 22] = [
    "epoiId",
    "ePoiId",
    "epoi_id",
    "app_poi_code",
    "appId",
    "app_id",
    "businessId",
    "business_id",
    "biz_type",
    "msg_type",
    "msg_source",
    "msg_id",
    "order_id",
    "open_user_id",
    "group_id",
    "comment_id",
    "rider_id",
    "cts",
    "scene_tag",
    "has_reply",
    "type",
    "code",
];

/// Field names whose values are secrets or text, masked in log lines.
const SECRET_FIELDS: [&str; 16] = [
    "sign",
    "signKey",
    "sign_key",
    "appAuthToken",
    "app_auth_token",
    "accessToken",
    "access_token",
    "refreshToken",
    "refresh_token",
    "imSecret",
    "im_secret",
    "connectionToken",
    "connection_token",
    "token",
    "msg_content",
    "text",
];

/// A quarantined frame as the doctor shows it: JSON (after percent-decoding, when it was
/// encoded) with every string that is not an id replaced by `<n chars>`; anything else as a
/// skeleton in which letters, digits and non-ASCII characters are masked.
pub(crate) fn redact_frame(raw: &str) -> String {
    let decoded = percent_decode(raw);
    let text = decoded.as_deref().unwrap_or(raw);
    match serde_json::from_str::<Value>(text.trim()) {
        Ok(value) => redact_value(&value, None).to_string(),
        Err(_) => format!("<{} of {} bytes> {}", kind(text), raw.len(), skeleton(text)),
    }
}

fn redact_value(value: &Value, key: Option<&str>) -> Value {
    match value {
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| (k.clone(), redact_value(v, Some(k))))
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.iter().map(|v| redact_value(v, key)).collect()),
        Value::String(s) => {
            let trimmed = s.trim_start();
            if trimmed.starts_with('{') || trimmed.starts_with('[') {
                if let Ok(inner) = serde_json::from_str::<Value>(s) {
                    return Value::String(redact_value(&inner, key).to_string());
                }
            }
            if key.is_some_and(|k| ID_FIELDS.contains(&k)) && id_like(s) {
                value.clone()
            } else {
                Value::String(format!("<{} chars>", s.chars().count()))
            }
        }
        other => other.clone(),
    }
}

fn id_like(s: &str) -> bool {
    s.len() <= 64
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"_-.:".contains(&b))
}

fn kind(text: &str) -> &'static str {
    let head = text.trim_start().to_ascii_lowercase();
    if head.starts_with("<!doctype html") || head.starts_with("<html") {
        "html"
    } else if head.starts_with('<') {
        "markup"
    } else {
        "text"
    }
}

/// The first 160 characters with letters as `x`, digits as `9` and non-ASCII as `·`, except
/// tag names right after `<` or `</` (an error page's `<html>`, `<title>` stay readable).
fn skeleton(text: &str) -> String {
    let mut out = String::new();
    let mut in_tag_name = false;
    for c in text.chars().take(160) {
        let shown = match c {
            '<' => {
                in_tag_name = true;
                '<'
            }
            '/' | '!' if in_tag_name => c,
            c if in_tag_name && c.is_ascii_alphanumeric() => c,
            c => {
                in_tag_name = false;
                if c.is_ascii_alphabetic() {
                    'x'
                } else if c.is_ascii_digit() {
                    '9'
                } else if c.is_ascii() {
                    if c.is_ascii_control() {
                        ' '
                    } else {
                        c
                    }
                } else {
                    '·'
                }
            }
        };
        out.push(shown);
    }
    out
}

/// Percent-decodes `raw` when it holds a valid escape and decodes to UTF-8; `None` otherwise.
fn percent_decode(raw: &str) -> Option<String> {
    if !raw.contains('%') {
        return None;
    }
    unescape_hex(raw, b'%')
}

/// Decodes `marker` followed by two hex digits into that byte, the rest as it is; `None` when
/// an escape is broken or the result is not UTF-8 (percent-encoding, and the team's KV keys,
/// which escape with `=`).
pub(crate) fn unescape_hex(raw: &str, marker: u8) -> Option<String> {
    let bytes = raw.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == marker {
            let hex = bytes.get(i + 1..i + 3)?;
            let hex = std::str::from_utf8(hex).ok()?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

/// A log text with secret-named fields' values and every non-ASCII run masked.
pub(crate) fn redact_log(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for line in text.split_inclusive('\n') {
        out.push_str(&mask_non_ascii(&mask_fields(line)));
    }
    out
}

/// `key=value`, `key: value`, `"key":"value"` with a secret-named key: the value masked.
fn mask_fields(line: &str) -> String {
    let mut out = line.to_owned();
    for key in SECRET_FIELDS {
        let mut from = 0;
        while let Some(found) = out[from..].find(key) {
            let start = from + found;
            let after = start + key.len();
            // The key must end a word: `token` inside `tokens_total` is not it.
            let rest = &out[after..];
            let sep = rest
                .char_indices()
                .take_while(|(_, c)| matches!(c, '"' | '\'' | ':' | '=' | ' '))
                .last()
                .map_or(0, |(i, c)| i + c.len_utf8());
            let is_field = sep > 0 && rest[..sep].contains([':', '=']);
            if !is_field {
                from = after;
                continue;
            }
            let value_start = after + sep;
            let value_len = out[value_start..]
                .find(|c: char| {
                    c.is_whitespace() || matches!(c, '"' | '\'' | ',' | '&' | '}' | ')')
                })
                .unwrap_or(out.len() - value_start);
            if value_len == 0 {
                from = value_start;
                continue;
            }
            out.replace_range(value_start..value_start + value_len, "<redacted>");
            from = value_start + "<redacted>".len();
        }
    }
    out
}

fn mask_non_ascii(line: &str) -> String {
    let mut out = String::with_capacity(line.len());
    let mut run = 0usize;
    for c in line.chars() {
        if c.is_ascii() {
            if run > 0 {
                out.push_str(&format!("<{run} chars>"));
                run = 0;
            }
            out.push(c);
        } else {
            run += 1;
        }
    }
    if run > 0 {
        out.push_str(&format!("<{run} chars>"));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_frames_keep_shape_and_ids_only() {
        let frame = r#"{"epoiId":"mt-1","push_content":"{\"msg_id\":5,\"msg_content\":\"你好 secret\",\"open_user_id\":7}"}"#;
        let shown = redact_frame(frame);
        assert!(
            shown.contains("mt-1") && shown.contains("msg_id"),
            "{shown}"
        );
        assert!(
            !shown.contains("你好") && !shown.contains("secret"),
            "{shown}"
        );
        assert!(shown.contains("<9 chars>"), "{shown}");
    }

    #[test]
    fn percent_encoded_frames_are_decoded_first() {
        let frame = "%7B%22epoiId%22%3A%22mt-9%22%2C%22msg_content%22%3A%22%E4%BD%A0%22%7D";
        let shown = redact_frame(frame);
        assert!(
            shown.contains("mt-9") && shown.contains("<1 chars>"),
            "{shown}"
        );
    }

    #[test]
    fn other_frames_become_a_skeleton() {
        let shown = redact_frame("<html><title>502 Bad Gateway 你好</title></html>");
        assert!(shown.starts_with("<html of "), "{shown}");
        assert!(
            shown.contains("<title>999 xxx xxxxxxx ··</title>"),
            "{shown}"
        );
        let shown = redact_frame("hello 你好 token-abc");
        assert!(
            !shown.contains("hello") && !shown.contains("abc"),
            "{shown}"
        );
        assert!(redact_frame("%zz").contains("text of 3 bytes"));
    }

    #[test]
    fn log_lines_mask_secret_fields_and_non_ascii() {
        let line = "INFO appAuthToken=tok-1 sign: abc \"imSecret\":\"s3\" tokens_total=4 顾客说\n";
        let shown = redact_log(line);
        for secret in ["tok-1", "abc", "s3", "顾客"] {
            assert!(!shown.contains(secret), "{secret} in {shown}");
        }
        assert!(
            shown.contains("tokens_total=4") && shown.contains("<3 chars>"),
            "{shown}"
        );
    }
}
