//! The real app in a real window, driven through tauri-driver + WebKitWebDriver.
//!
//! ```no_run
//! # async fn demo() -> anyhow::Result<()> {
//! use imdesk_tests::window::{run, Launch};
//! run("shows_version", Launch::default(), |w| async move {
//!     let version = w.wait_text("app-version", |t| !t.is_empty()).await?;
//!     assert!(version.contains('.'));
//!     Ok(())
//! })
//! .await
//! # }
//! ```

use std::future::Future;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use fantoccini::{elements::Element, Client, ClientBuilder, Locator};

use crate::process::{free_port, wait_for_port, Display, GroupChild, SessionBus};

/// How to launch the app for one test.
#[derive(Debug, Clone, Default)]
pub struct Launch {
    /// Extra environment for the app (for example the sandbox's `IMDESK_*` coordinates).
    pub env: Vec<(String, String)>,
}

impl Launch {
    /// Adds one environment variable for the app.
    pub fn env(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.env.push((key.into(), value.into()));
        self
    }
}

/// The window under test. Cheap to clone; every query is by `data-testid`.
#[derive(Debug, Clone)]
pub struct AppWindow {
    client: Client,
    out_dir: PathBuf,
    data_dir: PathBuf,
    bus_address: String,
}

/// How long `wait_*` helpers poll before failing.
pub const WAIT: Duration = Duration::from_secs(15);

/// Session requests tried before giving up (tauri-driver may answer before its WebKitWebDriver).
const SESSION_ATTEMPTS: u32 = 10;

fn testid(id: &str) -> String {
    format!("[data-testid=\"{id}\"]")
}

impl AppWindow {
    /// The WebDriver client, for anything the helpers do not cover.
    pub fn client(&self) -> &Client {
        &self.client
    }

    /// The app's private data directory (its SQLite file and logs live here).
    pub fn data_dir(&self) -> &Path {
        &self.data_dir
    }

    /// The address of the app's private D-Bus session (tests serve a notification daemon there).
    pub fn bus_address(&self) -> &str {
        &self.bus_address
    }

    /// Calls one of the app's Tauri commands from inside the page, as the UI would, and
    /// returns its JSON result (errors come back as `Err` with the IPC error text).
    pub async fn invoke(
        &self,
        command: &str,
        args: serde_json::Value,
    ) -> anyhow::Result<serde_json::Value> {
        let result = self
            .client
            .execute_async(
                "const [cmd, args, done] = arguments;\
                 window.__TAURI_INTERNALS__.invoke(cmd, args)\
                   .then(v => done({ ok: v === undefined ? null : v }), e => done({ err: e }));",
                vec![serde_json::Value::String(command.to_owned()), args],
            )
            .await?;
        match result.get("ok") {
            Some(v) => Ok(v.clone()),
            None => bail!(
                "{command} failed: {}",
                result.get("err").cloned().unwrap_or_default()
            ),
        }
    }

    /// Reads the alert settings through the app, lets `edit` change them, and saves them.
    pub async fn edit_alert_settings(
        &self,
        edit: impl FnOnce(&mut serde_json::Value),
    ) -> anyhow::Result<()> {
        let mut settings = self
            .invoke("get_alert_settings", serde_json::json!({}))
            .await?;
        edit(&mut settings);
        self.invoke(
            "set_alert_settings",
            serde_json::json!({ "settings": settings }),
        )
        .await?;
        Ok(())
    }

    /// Waits until an element with this `data-testid` exists and returns it.
    pub async fn find(&self, id: &str) -> anyhow::Result<Element> {
        let sel = testid(id);
        self.client
            .wait()
            .at_most(WAIT)
            .for_element(Locator::Css(&sel))
            .await
            .with_context(|| format!("no element {sel} within {WAIT:?}"))
    }

    /// All elements currently matching this `data-testid` (possibly none).
    pub async fn find_all(&self, id: &str) -> anyhow::Result<Vec<Element>> {
        Ok(self.client.find_all(Locator::Css(&testid(id))).await?)
    }

    /// The visible text of the element.
    pub async fn text(&self, id: &str) -> anyhow::Result<String> {
        Ok(self.find(id).await?.text().await?)
    }

    /// Polls the element's text until `pred` accepts it; returns that text.
    pub async fn wait_text(&self, id: &str, pred: impl Fn(&str) -> bool) -> anyhow::Result<String> {
        let deadline = Instant::now() + WAIT;
        let mut last = String::new();
        while Instant::now() < deadline {
            if let Ok(el) = self.client.find(Locator::Css(&testid(id))).await {
                if let Ok(text) = el.text().await {
                    if pred(&text) {
                        return Ok(text);
                    }
                    last = text;
                }
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        bail!("[data-testid={id}] never matched within {WAIT:?}; last text: {last:?}")
    }

    /// Clicks the element.
    pub async fn click(&self, id: &str) -> anyhow::Result<()> {
        self.find(id).await?.click().await?;
        Ok(())
    }

    /// Clicks the inbox row of a conversation (its view id), once it is listed.
    pub async fn open_conversation(&self, conversation_id: &str) -> anyhow::Result<()> {
        let sel = format!("[data-testid=inbox-row][data-conversation-id=\"{conversation_id}\"]");
        self.client
            .wait()
            .at_most(WAIT)
            .for_element(Locator::Css(&sel))
            .await
            .with_context(|| format!("no inbox row {conversation_id} within {WAIT:?}"))?
            .click()
            .await?;
        Ok(())
    }

    /// Clicks the element matching a CSS selector (not only a `data-testid`), once it exists.
    pub async fn click_css(&self, css: &str) -> anyhow::Result<()> {
        self.client
            .wait()
            .at_most(WAIT)
            .for_element(Locator::Css(css))
            .await
            .with_context(|| format!("no element {css} within {WAIT:?}"))?
            .click()
            .await?;
        Ok(())
    }

    /// Polls a JavaScript condition (a script that `return`s a boolean) until it holds.
    pub async fn eventually_js(&self, what: &str, js: &str) -> anyhow::Result<()> {
        let deadline = Instant::now() + WAIT;
        while Instant::now() < deadline {
            if self.eval(js).await? == true {
                return Ok(());
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        bail!("the window never showed {what} within {WAIT:?}")
    }

    /// Types into the element (which gets focus first).
    pub async fn type_into(&self, id: &str, text: &str) -> anyhow::Result<()> {
        self.find(id).await?.send_keys(text).await?;
        Ok(())
    }

    /// Runs JavaScript in the page and returns its JSON result.
    pub async fn eval(&self, js: &str) -> anyhow::Result<serde_json::Value> {
        Ok(self.client.execute(js, vec![]).await?)
    }

    /// Saves a PNG of the window, after two animation frames so the picture is current
    /// (toolchain-notes pitfall 9).
    pub async fn screenshot(&self, path: &Path) -> anyhow::Result<()> {
        self.client
            .execute_async(
                "const done = arguments[arguments.length - 1];\
                 requestAnimationFrame(() => requestAnimationFrame(() => done(true)));",
                vec![],
            )
            .await?;
        let png = self.client.screenshot().await?;
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)?;
        }
        std::fs::write(path, png)?;
        Ok(())
    }

    /// Saves a screenshot for the README under `docs/` when `IMDESK_UPDATE_SCREENSHOTS` is set,
    /// and always into this test's output folder.
    pub async fn document(&self, name: &str) -> anyhow::Result<()> {
        self.screenshot(&self.out_dir.join(format!("{name}.png")))
            .await?;
        if std::env::var_os("IMDESK_UPDATE_SCREENSHOTS").is_some() {
            let docs = crate::workspace_root()
                .join("docs")
                .join(format!("{name}.png"));
            self.screenshot(&docs).await?;
        }
        Ok(())
    }
}

/// The built app binary: `IMDESK_APP`, else `<target>/debug/imdesk`.
pub fn app_binary() -> anyhow::Result<PathBuf> {
    if let Some(p) = std::env::var_os("IMDESK_APP") {
        return Ok(PathBuf::from(p));
    }
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| crate::workspace_root().join("target"));
    let path = target.join("debug").join("imdesk");
    if !path.exists() {
        bail!(
            "{} is missing: build the app first (cargo build -p imdesk)",
            path.display()
        );
    }
    Ok(path)
}

fn tauri_driver() -> PathBuf {
    if let Some(p) = std::env::var_os("TAURI_DRIVER") {
        return PathBuf::from(p);
    }
    let local = crate::workspace_root()
        .join("tools")
        .join("bin")
        .join("tauri-driver");
    if local.exists() {
        local
    } else {
        PathBuf::from("tauri-driver")
    }
}

/// Everything one test owns; dropped in reverse order of start.
struct Rig {
    _driver: GroupChild,
    _bus: SessionBus,
    _display: Display,
    _data: tempfile::TempDir,
}

/// What a test may reach before the app starts: the app's X display and private D-Bus session.
#[derive(Debug, Clone)]
pub struct Session {
    /// The app's `DISPLAY`.
    pub display: String,
    /// The app's `DBUS_SESSION_BUS_ADDRESS`.
    pub bus_address: String,
}

/// Launches the app, runs `body` against its window, and always tears everything down.
/// On failure (error or panic) the screenshot and logs are kept in `tests/output/<name>/`.
pub async fn run<F, Fut>(name: &str, launch: Launch, body: F) -> anyhow::Result<()>
where
    F: FnOnce(AppWindow) -> Fut,
    Fut: Future<Output = anyhow::Result<()>> + Send + 'static,
{
    run_with(name, launch, |_| async { Ok(()) }, |w, ()| body(w)).await
}

/// Like [`run`], but first runs `setup` on the test's display and session bus, before the app
/// starts (for desktop services the app looks for at startup, such as a status-notifier
/// watcher); what `setup` returns is handed to `body` and lives as long as it does.
pub async fn run_with<S, SFut, T, F, Fut>(
    name: &str,
    launch: Launch,
    setup: S,
    body: F,
) -> anyhow::Result<()>
where
    S: FnOnce(Session) -> SFut,
    SFut: Future<Output = anyhow::Result<T>>,
    F: FnOnce(AppWindow, T) -> Fut,
    Fut: Future<Output = anyhow::Result<()>> + Send + 'static,
{
    // This crate links two rustls providers (the WebDriver client's ring, and aws-lc-rs
    // through the engine a team test runs beside the window): name the process's one.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let out_dir = crate::output_dir(name);
    let _ = std::fs::remove_dir_all(&out_dir);
    std::fs::create_dir_all(&out_dir)?;
    let app = app_binary()?;

    let display = Display::start()?;
    let bus = SessionBus::start()?;
    let data = tempfile::Builder::new().prefix("imdesk-e2e-").tempdir()?;
    let services = setup(Session {
        display: display.name.clone(),
        bus_address: bus.address.clone(),
    })
    .await
    .context("setting up the desktop services before launch")?;
    let port = free_port()?;
    let native_port = free_port()?;
    let driver_log = std::fs::File::create(out_dir.join("tauri-driver.log"))?;
    let mut cmd = Command::new(tauri_driver());
    cmd.args([
        "--port",
        &port.to_string(),
        "--native-port",
        &native_port.to_string(),
    ])
    .env("DISPLAY", &display.name)
    .env("DBUS_SESSION_BUS_ADDRESS", &bus.address)
    .env("IMDESK_DATA_DIR", data.path())
    // WebKit keeps localStorage and caches under the XDG directories: give each test its
    // own so no state (such as the chosen language) leaks from one run into the next.
    .env("XDG_DATA_HOME", data.path().join("xdg-data"))
    .env("XDG_CONFIG_HOME", data.path().join("xdg-config"))
    .env("XDG_CACHE_HOME", data.path().join("xdg-cache"))
    .env("IMDESK_LOG", "info,imdesk=debug")
    // The app chooses how WebKit paints (its `painting` module); a caller's switch would hide that.
    .env_remove("WEBKIT_SKIA_GPU_PAINTING_THREADS")
    // A start-up failure goes to the log, not to a message box nobody will click.
    .env("IMDESK_NO_DIALOGS", "1")
    .env("NO_AT_BRIDGE", "1")
    .stdout(Stdio::from(driver_log.try_clone()?))
    .stderr(Stdio::from(driver_log));
    for (k, v) in &launch.env {
        cmd.env(k, v);
    }
    let driver = GroupChild::spawn("tauri-driver", &mut cmd)?;
    let rig = Rig {
        _driver: driver,
        _bus: bus,
        _display: display,
        _data: data,
    };
    wait_for_port(port, Duration::from_secs(20))?;

    let caps = serde_json::json!({ "tauri:options": { "application": app } });
    let caps = match caps {
        serde_json::Value::Object(map) => map,
        _ => bail!("capabilities must be an object"),
    };
    // tauri-driver listens before the WebKitWebDriver it starts does: on a busy machine the
    // first session request can reach it too early ("connection refused" behind the proxy).
    let mut attempt = 0;
    let client = loop {
        attempt += 1;
        match ClientBuilder::rustls()?
            .capabilities(caps.clone())
            .connect(&format!("http://127.0.0.1:{port}"))
            .await
        {
            Ok(client) => break client,
            Err(e) if attempt < SESSION_ATTEMPTS => {
                tracing::debug!(attempt, "WebDriver session not ready yet: {e}");
                tokio::time::sleep(Duration::from_millis(500)).await;
            }
            Err(e) => {
                return Err(anyhow::Error::new(e)
                    .context("WebDriver session did not start (is WebKitWebDriver installed?)"))
            }
        }
    };
    let window = AppWindow {
        client: client.clone(),
        out_dir: out_dir.clone(),
        data_dir: rig._data.path().to_path_buf(),
        bus_address: rig._bus.address.clone(),
    };

    // Run the body on its own task so a panic is caught and teardown still happens.
    let outcome = tokio::spawn(body(window.clone(), services)).await;
    let failure = match &outcome {
        Ok(Ok(())) => None,
        Ok(Err(e)) => Some(format!("{e:#}")),
        Err(join) => Some(format!("panicked: {join}")),
    };
    if let Some(reason) = &failure {
        let _ = window.screenshot(&out_dir.join("failure.png")).await;
        let _ = std::fs::write(out_dir.join("failure.txt"), reason);
        // The app writes daily files (imdesk.YYYY-MM-DD.log); a run spanning midnight has two.
        if let Ok(logs) = std::fs::read_dir(rig._data.path().join("logs")) {
            for log in logs.flatten() {
                let _ = std::fs::copy(log.path(), out_dir.join(log.file_name()));
            }
        }
        eprintln!(
            "[harness] {name} failed; screenshot and logs in {}",
            out_dir.display()
        );
    }
    let _ = client.close().await;
    drop(rig);
    match outcome {
        Ok(result) => result,
        Err(join) if join.is_panic() => std::panic::resume_unwind(join.into_panic()),
        Err(join) => Err(join.into()),
    }
}
