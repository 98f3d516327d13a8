//! `imdesk-cli sandbox`: prints one JSON line of coordinates that plug into the `IMDESK_*`
//! environment of the other front doors, serves them, and stops on SIGTERM.
#![cfg(unix)]

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

#[test]
#[allow(clippy::disallowed_methods)] // a plain (non-async) test polling a child process
fn sandbox_prints_coordinates_that_the_api_front_door_can_use_and_stops_on_sigterm() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_imdesk-cli"))
        .args(["sandbox", "--seed", "7", "--stores", "3", "--no-chatter"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("imdesk-cli starts");
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let coords: serde_json::Value = serde_json::from_str(&line).expect("one JSON line");
    for field in [
        "gateway_url",
        "push_url",
        "developer_id",
        "sign_key",
        "stores",
    ] {
        assert!(coords.get(field).is_some(), "missing {field}: {coords}");
    }
    let stores = coords["stores"].as_array().unwrap();
    assert_eq!(stores.len(), 3);
    for s in stores {
        for field in ["epoi_id", "name", "business_id", "app_auth_token"] {
            assert!(s.get(field).is_some(), "store lacks {field}: {s}");
        }
    }
    assert!(coords["push_url"]
        .as_str()
        .unwrap()
        .starts_with("ws://127.0.0.1:"));

    // The coordinates plug straight into the other front door.
    let store = stores[0]["epoi_id"].as_str().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_imdesk-cli"))
        .args(["api", "getPoiIMStatus", "--store", store])
        .env(
            "IMDESK_GATEWAY_URL",
            coords["gateway_url"].as_str().unwrap(),
        )
        .env("IMDESK_DEVELOPER_ID", coords["developer_id"].to_string())
        .env("IMDESK_SIGN_KEY", coords["sign_key"].as_str().unwrap())
        .env("IMDESK_STORES", coords["stores"].to_string())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let data: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(data["im_status"], 1, "{data}");

    // SIGTERM ends it promptly and cleanly.
    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            assert!(status.success(), "exit status after SIGTERM: {status}");
            break;
        }
        assert!(Instant::now() < deadline, "sandbox did not stop on SIGTERM");
        std::thread::sleep(Duration::from_millis(50));
    }
}
