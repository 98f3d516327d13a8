//! Issue 6 item 8: a burst of 1,000 customer messages in one second leaves the window
//! responsive. Measures input-to-paint latency (keydown to the second animation frame after
//! it) for keystrokes typed through WebDriver during the burst, and prints the figures beside
//! the same measurement taken while idle in the same run (after a discarded warm-up).
#![cfg(target_os = "linux")]

use std::time::Duration;

use imdesk_tests::sandbox_app::{launch_against, quiet_sandbox, until};
use imdesk_tests::window::{run, AppWindow};

/// Records, per keydown, the phase it was typed in and its keydown-to-second-frame time, so
/// a slow frame that lands after its phase ended is still counted where it belongs.
const PROBE: &str = "window.__lat = []; window.__phase = 'none'; document.addEventListener('keydown', (e) => {\
    const t = e.timeStamp; const phase = window.__phase;\
    requestAnimationFrame(() => requestAnimationFrame(() => window.__lat.push([phase, performance.now() - t])));\
  }, true); return true;";

async fn type_keys(w: &AppWindow, phase: &str, n: usize) -> anyhow::Result<Vec<f64>> {
    w.eval(&format!(
        "window.__phase = '{phase}'; return window.__phase;"
    ))
    .await?;
    for i in 0..n {
        let key = if i % 2 == 0 { "退" } else { "\u{E003}" }; // a character, then Backspace
        w.type_into("search-input", key).await?;
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    let v = w
        .eval(&format!(
            "return window.__lat.filter((x) => x[0] === '{phase}').map((x) => x[1]);"
        ))
        .await?;
    Ok(v.as_array()
        .map(|a| a.iter().filter_map(|x| x.as_f64()).collect())
        .unwrap_or_default())
}

fn summary(mut v: Vec<f64>) -> (f64, f64, f64) {
    v.sort_by(|a, b| a.total_cmp(b));
    let at = |q: f64| v[((v.len() as f64 - 1.0) * q).round() as usize];
    (at(0.5), at(0.95), at(1.0))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn typing_stays_responsive_during_a_burst_of_1000_messages() -> anyhow::Result<()> {
    let sandbox = quiet_sandbox(10).await?;
    let launch = launch_against(&sandbox)?;
    let sb = sandbox.clone();
    run("burst_responsiveness", launch, move |w| async move {
        until("a push connection", Duration::from_secs(20), || {
            sb.open_connections() > 0
        })
        .await?;
        w.find("search-input").await?;
        w.eval(PROBE).await?;

        // Warm-up, discarded: the first keystrokes open the search panel and run its first
        // queries, which is not what a quiet desk feels like while typing.
        type_keys(&w, "warm-up", 20).await?;
        let idle = type_keys(&w, "idle", 20).await?;
        assert_eq!(idle.len(), 20, "every idle keystroke painted");

        let load = {
            let sb = sb.clone();
            tokio::spawn(async move { sb.run_load(1000, 1000.0).await })
        };
        let burst = type_keys(&w, "burst", 40).await?;
        let pushed = load.await?;
        assert_eq!(pushed.len(), 1000);
        assert_eq!(burst.len(), 40, "every keystroke during the burst painted");

        // The burst really reached the window: the rail's total counts every waiting customer.
        let total = w
            .wait_text("store-rail", |t| t.contains("1000") || t.contains("1,000"))
            .await?;
        assert!(!total.is_empty());

        let (i50, i95, imax) = summary(idle);
        let (b50, b95, bmax) = summary(burst);
        println!(
            "input-to-paint (ms): idle p50 {i50:.1} p95 {i95:.1} max {imax:.1} | \
             1,000-message burst p50 {b50:.1} p95 {b95:.1} max {bmax:.1} | p95 ratio {:.2}",
            b95 / i95.max(0.1)
        );
        Ok(())
    })
    .await
}
