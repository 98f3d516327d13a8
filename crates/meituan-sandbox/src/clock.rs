//! The sandbox's one reading of the wall clock.
//!
//! Timestamp-skew checks, `cts`, read times and reply timings all come from here, so the
//! platform's notion of "now" lives in one function.

/// Current Unix time in milliseconds.
#[allow(clippy::disallowed_methods)] // The sandbox plays the platform: it must read real time, and this is the one place it does.
pub fn now_ms() -> i64 {
    match std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH) {
        Ok(d) => i64::try_from(d.as_millis()).unwrap_or(i64::MAX),
        Err(_) => 0,
    }
}
