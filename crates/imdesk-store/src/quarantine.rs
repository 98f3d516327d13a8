//! The `quarantine` table: frames that could not be understood, kept raw with the reason,
//! so that nothing a customer sent is dropped silently (architecture rule 4).

use rusqlite::{params, Connection};

use crate::error::Result;
use crate::options::StoreOptions;

/// A quarantined frame.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QuarantinedFrame {
    /// Local id; grows with arrival.
    pub id: i64,
    /// The frame exactly as received.
    pub raw: String,
    /// Why it was quarantined (a decode error, "unknown store", …; no customer text).
    pub reason: String,
    /// When it arrived, UTC ms.
    pub received_at_ms: i64,
}

/// Keeps a frame; returns its id.
pub fn quarantine(
    conn: &Connection,
    _opts: &StoreOptions,
    raw: String,
    reason: String,
    received_at_ms: i64,
) -> Result<i64> {
    conn.prepare_cached(
        "INSERT INTO quarantine (raw, reason, received_at_ms) VALUES (?1, ?2, ?3)",
    )?
    .execute(params![raw, reason, received_at_ms])?;
    Ok(conn.last_insert_rowid())
}

/// The newest frames, before id `before` when given (for paging), newest first.
pub fn quarantined(
    conn: &Connection,
    _opts: &StoreOptions,
    before: Option<i64>,
    limit: u32,
) -> Result<Vec<QuarantinedFrame>> {
    let rows = conn
        .prepare_cached(
            "SELECT id, raw, reason, received_at_ms FROM quarantine
             WHERE id < ?1 ORDER BY id DESC LIMIT ?2",
        )?
        .query_map(params![before.unwrap_or(i64::MAX), limit], |r| {
            Ok(QuarantinedFrame {
                id: r.get(0)?,
                raw: r.get(1)?,
                reason: r.get(2)?,
                received_at_ms: r.get(3)?,
            })
        })?
        .collect::<rusqlite::Result<_>>()?;
    Ok(rows)
}

/// How many frames are quarantined.
pub fn quarantine_count(conn: &Connection, _opts: &StoreOptions) -> Result<i64> {
    Ok(conn.query_row("SELECT count(*) FROM quarantine", [], |r| r.get(0))?)
}
