//! One instance per data directory: a second launch of the app, on the same data directory
//! and D-Bus session, hands `--conversation <id>` to the running window and exits promptly,
//! without starting a second engine; the first window opens that conversation.
#![cfg(target_os = "linux")]

use std::fs::{File, TryLockError};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use imdesk_tests::window::{app_binary, run_with, Launch, Session};

/// Whether some process holds the demo database's writer lock (we cannot take it).
fn lock_is_held(lock_file: &std::path::Path) -> anyhow::Result<bool> {
    let file = File::open(lock_file).with_context(|| format!("{}", lock_file.display()))?;
    match file.try_lock_shared() {
        Ok(()) => Ok(false),
        Err(TryLockError::WouldBlock) => Ok(true),
        Err(TryLockError::Error(e)) => Err(e.into()),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_launch_hands_over_its_conversation_and_exits() -> anyhow::Result<()> {
    run_with(
        "single_instance",
        Launch::default(),
        |session: Session| async move { Ok(session) },
        |w, session| async move {
            // The demo inbox is listed; pick a conversation that is not open.
            w.find("inbox-row").await?;
            let rows = w.find_all("inbox-row").await?;
            let Some(row) = rows.last() else {
                bail!("no inbox rows")
            };
            let target = row
                .attr("data-conversation-id")
                .await?
                .context("inbox row without id")?;
            let open_before = w
                .find("chat-pane")
                .await?
                .attr("data-conversation-id")
                .await?;
            assert_ne!(open_before.as_deref(), Some(target.as_str()));

            let data_dir = w.data_dir().to_path_buf();
            let lock_file = data_dir.join("demo.db.lock");
            assert!(
                lock_is_held(&lock_file)?,
                "the first engine holds its database"
            );
            let holder = std::fs::read_to_string(&lock_file)?;

            // The same binary, data directory and session bus, as a desktop launcher would.
            let started = Instant::now();
            let mut second = Command::new(app_binary()?)
                .args(["--conversation", &target])
                .env("DISPLAY", &session.display)
                .env("DBUS_SESSION_BUS_ADDRESS", &session.bus_address)
                .env("IMDESK_DATA_DIR", &data_dir)
                .env("XDG_DATA_HOME", data_dir.join("xdg-data"))
                .env("XDG_CONFIG_HOME", data_dir.join("xdg-config"))
                .env("XDG_CACHE_HOME", data_dir.join("xdg-cache"))
                .env("IMDESK_LOG", "info,imdesk=debug")
                .env("NO_AT_BRIDGE", "1")
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()?;
            let status = loop {
                if let Some(status) = second.try_wait()? {
                    break status;
                }
                if started.elapsed() > Duration::from_secs(15) {
                    let _ = second.kill();
                    let _ = second.wait();
                    bail!("the second launch still runs after 15 s");
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
            };
            assert!(status.success(), "second launch: {status:?}");

            // The first window opened the linked conversation.
            let deadline = Instant::now() + Duration::from_secs(15);
            loop {
                let open = w
                    .find("chat-pane")
                    .await?
                    .attr("data-conversation-id")
                    .await?;
                if open.as_deref() == Some(target.as_str()) {
                    break;
                }
                if Instant::now() > deadline {
                    bail!("chat pane shows {open:?}, not {target}");
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
            }

            // One engine: the lock is still the first's, and the shared log shows two starts
            // of the process but one start of an engine.
            assert!(lock_is_held(&lock_file)?);
            assert_eq!(std::fs::read_to_string(&lock_file)?, holder);
            let mut log = String::new();
            for entry in std::fs::read_dir(data_dir.join("logs"))? {
                log.push_str(&std::fs::read_to_string(entry?.path()).unwrap_or_default());
            }
            assert_eq!(log.matches("imdesk starting").count(), 2, "two launches");
            assert_eq!(log.matches("engine started").count(), 1, "one engine");
            w.document("single-instance").await?;
            Ok(())
        },
    )
    .await
}
