//! Exports in the real window against the sandbox: the open conversation from the chat header
//! as CSV (the file in `<data dir>/exports` holds its messages, quoted), a store's day as JSON
//! lines and the day report from 设置 → 导出, and a reversed range refused with its reason
//! before anything is written.
#![cfg(target_os = "linux")]

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{ensure, Context};
use imdesk_tests::sandbox_app::{launch_against, now_ms, quiet_sandbox, until};
use imdesk_tests::window::{run, AppWindow};
use meituan_sandbox::{ChatKind, CustomerMessage};

fn exports(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir.join("exports"))
        .map(|d| d.filter_map(Result::ok).map(|e| e.path()).collect())
        .unwrap_or_default();
    files.sort();
    files
}

/// The file the page names in `id`, read.
async fn named_file(w: &AppWindow, id: &str, ext: &str) -> anyhow::Result<String> {
    let shown = w.wait_text(id, |t| t.trim().ends_with(ext)).await?;
    let path = PathBuf::from(shown.trim());
    ensure!(
        path.starts_with(w.data_dir().join("exports")),
        "written outside the exports folder: {}",
        path.display()
    );
    std::fs::read_to_string(&path).with_context(|| format!("reading {}", path.display()))
}

/// Sets a date input the way typing does (Svelte listens for `input`).
async fn set_date(w: &AppWindow, id: &str, value: &str) -> anyhow::Result<()> {
    w.eval(&format!(
        "const el = document.querySelector('[data-testid={id}]');\
         el.value = '{value}'; el.dispatchEvent(new Event('input', {{ bubbles: true }}));"
    ))
    .await?;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_conversation_a_store_day_and_the_day_report_are_exported() -> anyhow::Result<()> {
    let sandbox = quiet_sandbox(2).await?;
    let stores = sandbox.stores();
    let launch = launch_against(&sandbox)?;
    let sb = sandbox.clone();
    run("export", launch, move |w| async move {
        let a = &stores[0];
        until("a push connection", Duration::from_secs(20), || {
            sb.open_connections() > 0
        })
        .await?;
        let asked = sb.customer_says(CustomerMessage::text(
            a.epoi_id.clone(),
            ChatKind::InProgress,
            "还要多久, 到\"哪\"了",
        ))?;
        let conv = format!("{}|1|{}", a.epoi_id, asked.open_user_id.unwrap_or_default());
        w.open_conversation(&conv).await?;
        w.wait_text("chat-pane", |t| t.contains("还要多久")).await?;

        // The chat header: this conversation as CSV.
        w.click("export-conversation-csv").await?;
        let csv = named_file(&w, "export-conversation-path", ".csv").await?;
        ensure!(csv.starts_with('\u{feff}'), "no byte-order mark");
        let lines: Vec<&str> = csv.trim_start_matches('\u{feff}').lines().collect();
        ensure!(lines.len() == 2, "header and one message: {csv}");
        ensure!(
            lines[0].starts_with("time,cts,store,"),
            "header: {}",
            lines[0]
        );
        ensure!(
            lines[1].contains("\"还要多久, 到\"\"哪\"\"了\"") && lines[1].contains(&a.epoi_id),
            "the message, quoted: {}",
            lines[1]
        );
        let shown = w.text("export-conversation-result").await?;
        ensure!(shown.contains("已导出 1 行"), "result: {shown}");

        // 设置 → 导出: a reversed range is refused with its reason, nothing written.
        w.click("settings-button").await?;
        w.wait_text("export", |t| t.contains("导出消息")).await?;
        w.eval("document.querySelector('[data-testid=export]').scrollIntoView()")
            .await?;
        let before = exports(w.data_dir()).len();
        set_date(&w, "export-from", "2030-01-02").await?;
        set_date(&w, "export-to", "2030-01-01").await?;
        w.click("export-messages").await?;
        w.wait_text("export-problem", |t| t.contains("开始日期晚于结束日期"))
            .await?;
        ensure!(exports(w.data_dir()).len() == before, "a file was written");

        // The store's day (the message's local day) as JSON lines.
        // The desk's days are UTC+8 (its default offset); sandbox and app use the real clock.
        let day = chrono::DateTime::from_timestamp_millis(now_ms() + 8 * 3_600_000)
            .context("a time")?
            .format("%Y-%m-%d")
            .to_string();
        set_date(&w, "export-from", &day).await?;
        set_date(&w, "export-to", &day).await?;
        w.eval(&format!(
            "const s = document.querySelector('[data-testid=export-store]');\
             s.value = '{}'; s.dispatchEvent(new Event('change', {{ bubbles: true }}));\
             const f = document.querySelector('[data-testid=export-format]');\
             f.value = 'jsonLines'; f.dispatchEvent(new Event('change', {{ bubbles: true }}));",
            a.epoi_id
        ))
        .await?;
        w.click("export-messages").await?;
        let jsonl = named_file(&w, "export-path", ".jsonl").await?;
        let rows: Vec<serde_json::Value> = jsonl
            .lines()
            .map(serde_json::from_str)
            .collect::<Result<_, _>>()?;
        ensure!(rows.len() == 1, "one message that day: {jsonl}");
        ensure!(rows[0]["text"] == "还要多久, 到\"哪\"了", "{jsonl}");
        ensure!(rows[0]["store"] == a.epoi_id.as_str(), "{jsonl}");

        // The day report: the brand and both stores, a's customer counted.
        set_date(&w, "export-day", &day).await?;
        w.click("export-report").await?;
        w.wait_text("export-path", |t| t.contains("imdesk-report-"))
            .await?;
        let report = named_file(&w, "export-path", ".csv").await?;
        let lines: Vec<&str> = report.trim_start_matches('\u{feff}').lines().collect();
        ensure!(lines.len() == 1 + 1 + stores.len(), "report: {report}");
        ensure!(
            lines[0].starts_with("date,store,store_name,customers,"),
            "{report}"
        );
        let row_a = lines
            .iter()
            .find(|l| l.contains(&a.epoi_id))
            .context("store a in the report")?;
        ensure!(
            row_a.starts_with(&format!("{day},{},{},1,1,0,", a.epoi_id, a.name)),
            "a: one customer, one message, no reply: {row_a}"
        );
        w.document("settings-export").await?;
        Ok(())
    })
    .await
}
