//! `imdesk-cli export`: prints stored messages as JSON lines (`store`, `biz_type`, `msg_id`,
//! `msg_source`, `msg_type`, `text` decrypted, `cts` in Unix seconds, `order_id`,
//! `open_user_id`, `group_id`, `scene_tag`), in arrival order, streaming from the SQLite file
//! named by `IMDESK_DB` (or `--db`).

use std::io::Write as _;
use std::path::PathBuf;

use anyhow::Context as _;
use imdesk_core::DeskConfig;
use imdesk_store::{ExportFilter, Store, StoreOptions};

/// Arguments of `imdesk-cli export`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// TOML configuration file; `IMDESK_*` variables override it.
    #[arg(long)]
    config: Option<PathBuf>,
    /// The SQLite file (overrides `IMDESK_DB`).
    #[arg(long)]
    db: Option<PathBuf>,
    /// Only this store (epoi_id).
    #[arg(long)]
    store: Option<String>,
    /// Only messages sent at or after this time: Unix seconds, Unix ms, or YYYY-MM-DD (UTC).
    #[arg(long)]
    since: Option<String>,
}

/// Days from 1970-01-01 to a civil date (Howard Hinnant's algorithm).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Parses `--since` into UTC ms.
fn since_ms(s: &str) -> anyhow::Result<i64> {
    let s = s.trim();
    if let Ok(n) = s.parse::<i64>() {
        // 10-digit values are seconds (the platform's cts), longer ones milliseconds.
        return Ok(if n.abs() < 100_000_000_000 {
            n * 1000
        } else {
            n
        });
    }
    let parts: Vec<&str> = s.split('-').collect();
    if let [y, m, d] = parts.as_slice() {
        if let (Ok(y), Ok(m), Ok(d)) = (y.parse(), m.parse(), d.parse::<i64>()) {
            if (1..=12).contains(&m) && (1..=31).contains(&d) {
                return Ok(days_from_civil(y, m, d) * 86_400_000);
            }
        }
    }
    anyhow::bail!("--since 应为秒、毫秒或 YYYY-MM-DD / --since must be seconds, ms or YYYY-MM-DD")
}

/// Runs the subcommand.
pub async fn run(args: Args) -> anyhow::Result<()> {
    let mut config =
        DeskConfig::load(args.config.as_deref()).context("配置无效 / invalid configuration")?;
    if let Some(db) = args.db {
        config.db_path = db;
    }
    let filter = ExportFilter {
        store: args.store,
        since_ms: args.since.as_deref().map(since_ms).transpose()?,
        ..ExportFilter::default()
    };
    let path = config.db_path;
    tokio::task::spawn_blocking(move || export(path, &filter))
        .await
        .context("export task failed")?
}

fn export(path: PathBuf, filter: &ExportFilter) -> anyhow::Result<()> {
    if !path.exists() {
        anyhow::bail!("数据库不存在 / database {} does not exist", path.display());
    }
    // Export reads beside a live desk (the app or `headless`), so it does not ask for the
    // writer lock that would refuse it.
    let options = StoreOptions {
        exclusive: false,
        ..StoreOptions::default()
    };
    let store = Store::open(&path, options)
        .with_context(|| format!("无法打开 / cannot open {}", path.display()))?;
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    let mut failed = None;
    store.export_messages(filter, |m| {
        let line = serde_json::json!({
            "store": m.store,
            "biz_type": m.biz_type,
            "msg_id": m.msg_id,
            "msg_source": m.msg_source,
            "msg_type": m.msg_type,
            "text": m.text,
            "cts": m.cts_ms.div_euclid(1000),
            "order_id": m.order_id,
            "open_user_id": m.open_user_id,
            "group_id": m.group_id,
            "scene_tag": m.scene_tag,
        });
        match writeln!(out, "{line}") {
            Ok(()) => true,
            Err(e) => {
                failed = Some(e);
                false
            }
        }
    })?;
    if let Some(e) = failed {
        // A closed pipe (`| head`) ends the export quietly.
        if e.kind() != std::io::ErrorKind::BrokenPipe {
            return Err(e.into());
        }
        return Ok(());
    }
    out.flush()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn since_accepts_seconds_ms_and_dates() {
        assert_eq!(since_ms("1700000000").unwrap(), 1_700_000_000_000);
        assert_eq!(since_ms("1700000000123").unwrap(), 1_700_000_000_123);
        assert_eq!(since_ms("2023-11-14").unwrap(), 1_699_920_000_000);
        assert_eq!(since_ms("1970-01-01").unwrap(), 0);
        assert!(since_ms("yesterday").is_err());
    }
}
