//! Exports through the engine against the sandbox: a conversation as CSV, a store's days as
//! JSON lines (other stores and other days left out), the day report per store, and bad input
//! (a range whose start is after its end, a date that is not one, an unknown store) refused
//! with a message naming the field and no file written.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use imdesk_core::export::ExportFormat;
use imdesk_core::view::{ErrorCode, IpcError};
use imdesk_core::Desk;
use meituan_sandbox::{ChatKind, CustomerMessage, Faults, Sandbox};

/// A customer writes `text` in `epoi_id`; returns the conversation's id once stored.
async fn customer_says(sb: &Sandbox, desk: &Desk, epoi_id: &str, text: &str) -> String {
    let p = sb
        .customer_says(CustomerMessage::text(
            epoi_id.to_owned(),
            ChatKind::PreOrder,
            text,
        ))
        .unwrap();
    let id = format!("{epoi_id}|1|{}", p.open_user_id.unwrap());
    eventually(10, "the message stored", || async {
        stored_async(desk)
            .await
            .iter()
            .any(|m| m.text.as_deref() == Some(text))
    })
    .await;
    id
}

fn files_in(dir: &std::path::Path) -> usize {
    std::fs::read_dir(dir).map(|d| d.count()).unwrap_or(0)
}

/// The local day (UTC+8, the desk's default) of a UTC ms instant.
fn local_day(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms + 8 * 3_600_000)
        .unwrap()
        .format("%Y-%m-%d")
        .to_string()
}

/// Splits one CSV line (quotes honoured; no newline inside the cells used here).
fn cells(line: &str) -> Vec<String> {
    let mut out = vec![String::new()];
    let mut quoted = false;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' if quoted && chars.peek() == Some(&'"') => {
                chars.next();
                out.last_mut().unwrap().push('"');
            }
            '"' => quoted = !quoted,
            ',' if !quoted => out.push(String::new()),
            c => out.last_mut().unwrap().push(c),
        }
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_conversation_a_store_range_and_a_day_report_are_written() {
    let sb = sandbox(Faults::default()).await;
    let stores = sb.stores();
    let (a, b) = (&stores[0].epoi_id, &stores[1].epoi_id);
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("exports");
    let desk = quiet_desk(&sb, &dir).await;

    let first = customer_says(&sb, &desk, a, "在吗").await;
    desk.send_text(&first, "在的, 您说\"加急\"吗")
        .await
        .unwrap();
    eventually(10, "the reply stored", || async {
        stored_async(&desk)
            .await
            .iter()
            .any(|m| m.msg_source == 1 && m.store == *a)
    })
    .await;
    customer_says(&sb, &desk, a, "=1+1 是什么").await;
    customer_says(&sb, &desk, b, "别的店").await;

    // One conversation as CSV: its two messages, in order, text quoted and intact.
    let conv = desk
        .export_conversation(&out, &first, ExportFormat::Csv)
        .await
        .unwrap();
    assert_eq!(conv.rows, 2);
    let path = conv.path.unwrap();
    assert!(path.ends_with(".csv") && path.starts_with(out.to_str().unwrap()));
    let text = std::fs::read_to_string(&path).unwrap();
    let text = text
        .strip_prefix('\u{feff}')
        .expect("a byte-order mark for Excel");
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 3, "{text}");
    let header = cells(lines[0]);
    let col = |name: &str| header.iter().position(|h| h == name).unwrap();
    let (customer, reply) = (cells(lines[1]), cells(lines[2]));
    assert_eq!(customer[col("text")], "在吗");
    assert_eq!(customer[col("from")], "customer");
    assert_eq!(reply[col("text")], "在的, 您说\"加急\"吗");
    assert_eq!(reply[col("from")], "merchant");
    assert_eq!(reply[col("store")], *a);

    // Store a over its day as JSON lines: its three messages, not store b's.
    let cts = stored_async(&desk).await[0].cts_ms;
    let today = local_day(cts);
    let range = desk
        .export_store_range(&out, a, &today, &today, ExportFormat::JsonLines)
        .await
        .unwrap();
    assert_eq!(range.rows, 3);
    let body = std::fs::read_to_string(range.path.unwrap()).unwrap();
    let rows: Vec<serde_json::Value> = body
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(rows.len(), 3);
    assert!(rows.iter().all(|r| r["store"] == a.as_str()));
    assert_eq!(
        rows[2]["text"], "=1+1 是什么",
        "JSON keeps the text as it is"
    );
    assert!(!body.contains("别的店"));

    // The day before holds nothing: no file, zero rows.
    let before = files_in(&out);
    let yesterday = local_day(cts - 86_400_000);
    let empty = desk
        .export_store_range(&out, a, &yesterday, &yesterday, ExportFormat::Csv)
        .await
        .unwrap();
    assert_eq!((empty.path, empty.rows), (None, 0));
    assert_eq!(files_in(&out), before);

    // Bad input: named, refused, nothing written.
    let err = |e: imdesk_core::DeskError| IpcError::from(e);
    let e = err(desk
        .export_store_range(&out, a, &today, &yesterday, ExportFormat::Csv)
        .await
        .unwrap_err());
    assert_eq!(e.code, ErrorCode::Invalid);
    assert!(e.message.contains("after"), "{}", e.message);
    let e = err(desk
        .export_store_range(&out, a, "2026-02-30", &today, ExportFormat::Csv)
        .await
        .unwrap_err());
    assert_eq!(e.code, ErrorCode::Invalid);
    assert!(e.message.contains("from"), "{}", e.message);
    let e = err(desk
        .export_store_range(&out, a, "", &today, ExportFormat::Csv)
        .await
        .unwrap_err());
    assert!(e.message.contains("from is empty"), "{}", e.message);
    let e = err(desk
        .export_store_range(&out, "mt-404", &today, &today, ExportFormat::Csv)
        .await
        .unwrap_err());
    assert_eq!(e.code, ErrorCode::NotFound);
    let e = err(desk.export_day_report(&out, "not a day").await.unwrap_err());
    assert!(e.message.contains("day"), "{}", e.message);
    assert_eq!(files_in(&out), before);

    // The day report: the brand, then every configured store; a's two customers and reply.
    let report = desk.export_day_report(&out, &today).await.unwrap();
    assert_eq!(report.rows as usize, 1 + stores.len());
    let text = std::fs::read_to_string(report.path.unwrap()).unwrap();
    let lines: Vec<Vec<String>> = text
        .trim_start_matches('\u{feff}')
        .lines()
        .map(cells)
        .collect();
    let header = &lines[0];
    let col = |name: &str| header.iter().position(|h| h == name).unwrap();
    let row_of = |store: &str| lines.iter().find(|l| l[col("store")] == store).unwrap();
    let brand = row_of("");
    assert_eq!(brand[col("date")], today);
    assert_eq!(brand[col("customers")], "3");
    assert_eq!(brand[col("replies")], "1");
    let ra = row_of(a);
    assert_eq!(ra[col("store_name")], stores[0].name);
    assert_eq!(ra[col("customers")], "2");
    assert_eq!(ra[col("customer_messages")], "2");
    assert_eq!(ra[col("replies")], "1");
    // The first customer was answered within seconds; the second is still pending.
    assert_eq!(ra[col("five_min_on_time")], "1");
    assert_eq!(ra[col("five_min_counted")], "1");
    assert_eq!(ra[col("five_min_rate")], "1.0000");
    let rb = row_of(b);
    assert_eq!(
        (rb[col("customers")].as_str(), rb[col("replies")].as_str()),
        ("1", "0")
    );
    assert_eq!(rb[col("five_min_rate")], "", "nothing decided yet: no rate");
    let quiet = row_of(&stores[2].epoi_id);
    assert_eq!(quiet[col("customers")], "0");
    desk.shutdown().await;
}
