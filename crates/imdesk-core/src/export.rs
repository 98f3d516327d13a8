//! Exports from the window: one conversation, or a store's messages over a range of local
//! days, as CSV or JSON lines; and a day's report (per store: customers, replies, the two reply
//! rates) as CSV. Files go into a directory the shell names (`<data dir>/exports`); the rows
//! stream from one reader connection straight to the file, so memory stays flat.
//!
//! CSV files start with a UTF-8 byte-order mark (Excel on a Chinese Windows otherwise reads
//! them as GBK), and a text cell that starts like a formula (`=`, `+`, `-`, `@`) is prefixed
//! with `'` so a spreadsheet shows it instead of running it.

use std::io::Write as _;
use std::path::{Path, PathBuf};

use chrono::{Datelike as _, NaiveDate};
use imdesk_store::{ExportFilter, MessageRow, Store};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::convert::conversation_id;
use crate::desk::Desk;
use crate::error::{DeskError, DeskResult};

/// The shape of a message export.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub enum ExportFormat {
    /// Comma-separated, one header line, UTF-8 with a byte-order mark.
    Csv,
    /// One JSON object per line.
    JsonLines,
}

impl ExportFormat {
    fn extension(self) -> &'static str {
        match self {
            ExportFormat::Csv => "csv",
            ExportFormat::JsonLines => "jsonl",
        }
    }
}

/// A file an export wrote.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ExportInfo {
    /// Where it is; `None` when there was nothing to export (no file is written then).
    pub path: Option<String>,
    /// How many data rows it holds (messages, or stores plus the brand line).
    pub rows: u32,
}

/// The columns of a message export, in order (CSV header and JSON keys alike).
const MESSAGE_COLUMNS: [&str; 13] = [
    "time",
    "cts",
    "store",
    "store_name",
    "biz_type",
    "from",
    "msg_type",
    "text",
    "msg_id",
    "order_id",
    "open_user_id",
    "group_id",
    "scene_tag",
];

/// The columns of the day report.
const REPORT_COLUMNS: [&str; 12] = [
    "date",
    "store",
    "store_name",
    "customers",
    "customer_messages",
    "replies",
    "five_min_on_time",
    "five_min_counted",
    "five_min_rate",
    "urgent_one_min_on_time",
    "urgent_one_min_counted",
    "urgent_one_min_rate",
];

/// Parses a local day `YYYY-MM-DD`; `field` names it in the message.
pub(crate) fn parse_day(field: &str, text: &str) -> DeskResult<NaiveDate> {
    let text = text.trim();
    if text.is_empty() {
        return Err(DeskError::Invalid(format!("{field} is empty")));
    }
    NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .map_err(|_| DeskError::Invalid(format!("{field} '{text}' is not a date (YYYY-MM-DD)")))
}

/// UTC ms of the local midnight that starts `day`.
pub(crate) fn day_start_ms(day: NaiveDate, utc_offset_secs: i32) -> i64 {
    // 719 163 days from 0001-01-01 (day 1 of the common era) to 1970-01-01.
    let days = i64::from(day.num_days_from_ce()) - 719_163;
    days * 86_400_000 - i64::from(utc_offset_secs) * 1000
}

/// Keeps a file name to letters, digits, `-` and `_`.
fn file_safe(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

/// One CSV cell: quoted when it must be, formula-looking text defused.
fn csv_cell(value: &str, text: bool) -> String {
    let defused;
    let value = if text && value.starts_with(['=', '+', '-', '@']) {
        defused = format!("'{value}");
        defused.as_str()
    } else {
        value
    };
    if value.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", value.replace('"', "\"\""))
    } else {
        value.to_owned()
    }
}

fn csv_line(cells: &[(String, bool)]) -> String {
    let mut line = cells
        .iter()
        .map(|(v, text)| csv_cell(v, *text))
        .collect::<Vec<_>>()
        .join(",");
    line.push_str("\r\n");
    line
}

/// Local time `YYYY-MM-DD HH:MM:SS` of a UTC ms instant.
fn local_time(ms: i64, utc_offset_secs: i32) -> String {
    let local = ms + i64::from(utc_offset_secs) * 1000;
    chrono::DateTime::from_timestamp_millis(local)
        .map(|t| t.naive_utc().format("%Y-%m-%d %H:%M:%S").to_string())
        .unwrap_or_default()
}

fn opt(v: Option<i64>) -> String {
    v.map(|v| v.to_string()).unwrap_or_default()
}

fn rate_text(r: Option<f64>) -> String {
    r.map(|r| format!("{:.4}", r)).unwrap_or_default()
}

/// What a message export needs besides the filter.
struct MessageExport {
    filter: ExportFilter,
    format: ExportFormat,
    path: PathBuf,
    utc_offset_secs: i32,
    names: std::collections::BTreeMap<String, String>,
}

/// Streams the messages into the file; removes it again when nothing matched.
fn write_messages(store: &Store, job: MessageExport) -> DeskResult<ExportInfo> {
    let io = |e: std::io::Error| DeskError::Export(format!("{}: {e}", job.path.display()));
    if let Some(parent) = job.path.parent() {
        std::fs::create_dir_all(parent).map_err(io)?;
    }
    let file = std::fs::File::create(&job.path).map_err(io)?;
    let mut out = std::io::BufWriter::new(file);
    let mut failed: Option<std::io::Error> = None;
    let mut rows: u32 = 0;
    if job.format == ExportFormat::Csv {
        let header: Vec<(String, bool)> = MESSAGE_COLUMNS
            .iter()
            .map(|c| ((*c).to_owned(), false))
            .collect();
        let mut head = "\u{feff}".to_owned();
        head.push_str(&csv_line(&header));
        out.write_all(head.as_bytes()).map_err(io)?;
    }
    store.export_messages(&job.filter, |m: MessageRow| {
        let name = job.names.get(&m.store).cloned().unwrap_or_default();
        let from = if m.msg_source == imdesk_store::SOURCE_CUSTOMER {
            "customer"
        } else {
            "merchant"
        };
        let line = match job.format {
            ExportFormat::Csv => csv_line(&[
                (local_time(m.cts_ms, job.utc_offset_secs), false),
                (m.cts_ms.div_euclid(1000).to_string(), false),
                (m.store.clone(), true),
                (name, true),
                (m.biz_type.to_string(), false),
                (from.to_owned(), false),
                (m.msg_type.to_string(), false),
                (m.text.clone().unwrap_or_default(), true),
                (m.msg_id.to_string(), false),
                (opt(m.order_id), false),
                (opt(m.open_user_id), false),
                (opt(m.group_id), false),
                (m.scene_tag.to_string(), false),
            ]),
            ExportFormat::JsonLines => {
                let mut line = serde_json::json!({
                    "time": local_time(m.cts_ms, job.utc_offset_secs),
                    "cts": m.cts_ms.div_euclid(1000),
                    "store": m.store,
                    "store_name": name,
                    "biz_type": m.biz_type,
                    "from": from,
                    "msg_type": m.msg_type,
                    "text": m.text,
                    "msg_id": m.msg_id,
                    "order_id": m.order_id,
                    "open_user_id": m.open_user_id,
                    "group_id": m.group_id,
                    "scene_tag": m.scene_tag,
                })
                .to_string();
                line.push('\n');
                line
            }
        };
        match out.write_all(line.as_bytes()) {
            Ok(()) => {
                rows = rows.saturating_add(1);
                true
            }
            Err(e) => {
                failed = Some(e);
                false
            }
        }
    })?;
    if let Some(e) = failed {
        return Err(io(e));
    }
    out.flush().map_err(io)?;
    drop(out);
    if rows == 0 {
        std::fs::remove_file(&job.path).map_err(io)?;
        return Ok(ExportInfo { path: None, rows });
    }
    tracing::info!(path = %job.path.display(), rows, "messages exported");
    Ok(ExportInfo {
        path: Some(job.path.display().to_string()),
        rows,
    })
}

impl Desk {
    fn store_names(&self) -> std::collections::BTreeMap<String, String> {
        self.stores
            .entries()
            .into_iter()
            .map(|(id, e)| (id, e.name))
            .collect()
    }

    async fn run_export(&self, job: MessageExport) -> DeskResult<ExportInfo> {
        let store = self.store.clone();
        tokio::task::spawn_blocking(move || write_messages(&store, job))
            .await
            .map_err(|_| DeskError::Stopped)?
    }

    /// Writes one conversation's messages into `dir`.
    pub async fn export_conversation(
        &self,
        dir: &Path,
        conversation: &str,
        format: ExportFormat,
    ) -> DeskResult<ExportInfo> {
        let conv = self.conversation_by_id(conversation).await?;
        let name = format!(
            "imdesk-{}-conversation-{}-{}.{}",
            file_safe(&conv.key.store),
            file_safe(&conversation_id(&conv.key).to_string()),
            self.now(),
            format.extension()
        );
        self.run_export(MessageExport {
            filter: ExportFilter {
                conversation: Some(conv.id),
                ..ExportFilter::default()
            },
            format,
            path: dir.join(name),
            utc_offset_secs: self.opts.utc_offset_secs,
            names: self.store_names(),
        })
        .await
    }

    /// Writes a store's messages sent from the local day `from` to the local day `to`, both
    /// included, into `dir`. `from` after `to` is refused (the range would be empty).
    pub async fn export_store_range(
        &self,
        dir: &Path,
        store: &str,
        from: &str,
        to: &str,
        format: ExportFormat,
    ) -> DeskResult<ExportInfo> {
        if !self.stores.contains(store) {
            return Err(DeskError::not_found("store", store));
        }
        let (first, last) = (parse_day("from", from)?, parse_day("to", to)?);
        if first > last {
            return Err(DeskError::Invalid(format!(
                "the range is empty: from {first} is after to {last}"
            )));
        }
        let offset = self.opts.utc_offset_secs;
        let since = day_start_ms(first, offset);
        let until = day_start_ms(last, offset) + 86_400_000;
        let name = format!(
            "imdesk-{}-{first}_{last}-{}.{}",
            file_safe(store),
            self.now(),
            format.extension()
        );
        self.run_export(MessageExport {
            filter: ExportFilter {
                store: Some(store.to_owned()),
                since_ms: Some(since),
                until_ms: Some(until),
                conversation: None,
            },
            format,
            path: dir.join(name),
            utc_offset_secs: offset,
            names: self.store_names(),
        })
        .await
    }

    /// Writes the report of the local day `day` into `dir` as CSV: the brand, then every
    /// configured store (a quiet store gets zeros): customers who wrote, their messages, our
    /// replies, and the 5-minute and urgent 1-minute rates of the clocks started that day.
    pub async fn export_day_report(&self, dir: &Path, day: &str) -> DeskResult<ExportInfo> {
        let date = parse_day("day", day)?;
        let offset = self.opts.utc_offset_secs;
        let since = day_start_ms(date, offset);
        let until = since + 86_400_000;
        let now = self.now();
        if since > now {
            return Err(DeskError::Invalid(format!("day {date} has not begun yet")));
        }
        let activity = self.store.store_activity_async(since, until).await?;
        let rates = self
            .store
            .reply_rates_async(None, since, until, now)
            .await?;
        let mut lines = vec![REPORT_COLUMNS.join(",") + "\r\n"];
        let mut brand = imdesk_store::StoreActivity::default();
        for a in &activity {
            brand.customers += a.customers;
            brand.customer_messages += a.customer_messages;
            brand.replies += a.replies;
        }
        let row = |id: Option<&str>, name: &str, a: &imdesk_store::StoreActivity| {
            let r = rates
                .iter()
                .find(|r| r.store.as_deref() == id)
                .cloned()
                .unwrap_or_default();
            csv_line(&[
                (date.to_string(), false),
                (id.unwrap_or("").to_owned(), true),
                (name.to_owned(), true),
                (a.customers.to_string(), false),
                (a.customer_messages.to_string(), false),
                (a.replies.to_string(), false),
                (r.five_min.on_time.to_string(), false),
                ((r.five_min.on_time + r.five_min.missed).to_string(), false),
                (rate_text(r.five_min.ratio()), false),
                (r.urgent_one_min.on_time.to_string(), false),
                (
                    (r.urgent_one_min.on_time + r.urgent_one_min.missed).to_string(),
                    false,
                ),
                (rate_text(r.urgent_one_min.ratio()), false),
            ])
        };
        lines.push(row(None, "", &brand));
        for (id, entry) in self.stores.entries() {
            let a = activity
                .iter()
                .find(|a| a.store == id)
                .cloned()
                .unwrap_or_default();
            lines.push(row(Some(&id), &entry.name, &a));
        }
        let rows = u32::try_from(lines.len() - 1).unwrap_or(u32::MAX);
        let path = dir.join(format!("imdesk-report-{date}-{now}.csv"));
        let written = path.clone();
        tokio::task::spawn_blocking(move || {
            let io = |e: std::io::Error| DeskError::Export(format!("{}: {e}", written.display()));
            std::fs::create_dir_all(dir_of(&written)).map_err(io)?;
            let mut text = "\u{feff}".to_owned();
            text.extend(lines);
            std::fs::write(&written, text).map_err(io)
        })
        .await
        .map_err(|_| DeskError::Stopped)??;
        tracing::info!(path = %path.display(), rows, "day report exported");
        Ok(ExportInfo {
            path: Some(path.display().to_string()),
            rows,
        })
    }
}

fn dir_of(path: &Path) -> &Path {
    path.parent().unwrap_or(Path::new("."))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_cells_are_quoted_and_defused() {
        assert_eq!(csv_cell("plain", true), "plain");
        assert_eq!(csv_cell("a,b", true), "\"a,b\"");
        assert_eq!(csv_cell("say \"hi\"\nbye", true), "\"say \"\"hi\"\"\nbye\"");
        assert_eq!(csv_cell("=1+1", true), "'=1+1");
        assert_eq!(csv_cell("-5", false), "-5");
    }

    #[test]
    fn days_start_at_local_midnight() {
        let day = NaiveDate::from_ymd_opt(2023, 11, 14).unwrap();
        assert_eq!(day_start_ms(day, 0), 1_699_920_000_000);
        assert_eq!(
            day_start_ms(day, 8 * 3600),
            1_699_920_000_000 - 8 * 3_600_000
        );
        assert_eq!(
            local_time(1_699_920_000_000, 8 * 3600),
            "2023-11-14 08:00:00"
        );
    }

    #[test]
    fn bad_days_name_their_field() {
        let e = parse_day("from", "2023-13-01").unwrap_err().to_string();
        assert!(e.contains("from"), "{e}");
        assert!(parse_day("to", " ")
            .unwrap_err()
            .to_string()
            .contains("to is empty"));
    }
}
