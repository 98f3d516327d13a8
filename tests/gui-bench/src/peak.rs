//! The compressed dinner peak: the demo's own in-process sandbox is asked, over its loopback
//! control route `POST /_sandbox/load {count, rate}`, to have customers send `count` messages at
//! `rate` a second; it answers once all are pushed, with the list of what it pushed.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use anyhow::{bail, Context};

/// The gateway URL the demo logged (`sandbox serving gateway=http://127.0.0.1:PORT`).
pub fn sandbox_url(lines: &[String]) -> Option<String> {
    lines
        .iter()
        .filter(|l| l.contains("sandbox serving"))
        .find_map(|l| {
            l.split_whitespace()
                .find_map(|w| w.strip_prefix("gateway="))
        })
        .map(|u| u.trim_matches('"').to_owned())
}

/// Runs the load and returns how many messages the sandbox pushed.
pub fn run_load(gateway_url: &str, count: u64, rate: f64) -> anyhow::Result<usize> {
    let addr = gateway_url
        .strip_prefix("http://")
        .context("the sandbox URL is not http://")?;
    let body = serde_json::json!({ "count": count, "rate": rate }).to_string();
    let mut stream = TcpStream::connect(addr).with_context(|| format!("connect {addr}"))?;
    let expected = Duration::from_secs_f64(count as f64 / rate.max(1e-3));
    stream.set_read_timeout(Some(expected + Duration::from_secs(300)))?;
    write!(
        stream,
        "POST /_sandbox/load HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )?;
    let mut response = Vec::new();
    stream.read_to_end(&mut response)?;
    let split = response
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .context("the sandbox's answer has no header end")?;
    let head = String::from_utf8_lossy(&response[..split]).to_ascii_lowercase();
    let rest = &response[split + 4..];
    if !head.starts_with("http/1.1 200") {
        bail!(
            "the sandbox refused the load: {}",
            head.lines().next().unwrap_or("")
        );
    }
    let body = if head.contains("transfer-encoding: chunked") {
        dechunk(rest)?
    } else {
        rest.to_vec()
    };
    let pushed: Vec<serde_json::Value> =
        serde_json::from_slice(&body).context("the sandbox's answer is not a list of pushes")?;
    Ok(pushed.len())
}

/// The body of a chunked HTTP/1.1 answer.
fn dechunk(mut rest: &[u8]) -> anyhow::Result<Vec<u8>> {
    let mut out = Vec::new();
    loop {
        let line_end = rest
            .windows(2)
            .position(|w| w == b"\r\n")
            .context("a chunk has no size line")?;
        let size = std::str::from_utf8(&rest[..line_end])?;
        let size = usize::from_str_radix(size.trim(), 16).context("a chunk size")?;
        if size == 0 {
            return Ok(out);
        }
        let data = &rest[line_end + 2..];
        out.extend_from_slice(data.get(..size).context("a chunk is cut short")?);
        rest = data
            .get(size..)
            .and_then(|r| r.strip_prefix(b"\r\n"))
            .context("a chunk does not end in CRLF")?;
    }
}
