//! The long connection at `/websocket/{connectionId}/{connectionToken}` (§6).
//!
//! Accepts tokens the sandbox issued (one open connection per token), answers every client
//! text frame with `HB`, counts pings and pongs as activity, closes a connection silent for the
//! idle timeout, and writes pushes as percent-encoded JSON text frames.

use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use futures_util::SinkExt;
use std::sync::Arc;
use tokio::time::Instant;

use super::{Outgoing, PushItem};
use crate::app::Shared;
use crate::clock;
use crate::model::DropMode;

/// Upgrade handler.
pub(crate) async fn upgrade(
    State(app): State<Arc<Shared>>,
    Path((connection_id, token)): Path<(String, String)>,
    ws: WebSocketUpgrade,
) -> Response {
    let store = {
        let mut w = app.world();
        let now = clock::now_ms();
        let Some(t) = w.conn_tokens.get_mut(&token) else {
            return (StatusCode::FORBIDDEN, "unknown connection token").into_response();
        };
        if t.expires_at_ms <= now {
            return (StatusCode::FORBIDDEN, "connection token expired").into_response();
        }
        if t.connection_id != connection_id {
            return (
                StatusCode::FORBIDDEN,
                "connectionId does not match the token",
            )
                .into_response();
        }
        if t.in_use {
            return (StatusCode::CONFLICT, "connection token already in use").into_response();
        }
        if app.faults.refuses_upgrade(t.api.name()) {
            app.counters
                .refused_upgrades
                .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            return (StatusCode::FORBIDDEN, "connection token refused").into_response();
        }
        t.in_use = true;
        let store = t.store;
        store.map(|s| (s, w.stores[s].epoi_id.clone()))
    };
    let failed_app = Arc::clone(&app);
    let failed_token = token.clone();
    // 8 KiB reads: tungstenite zero-fills its whole read buffer (128 KiB by default) before
    // every read, which dominated the sandbox's CPU under load.
    ws.read_buffer_size(8 * 1024)
        .on_failed_upgrade(move |_| release(&failed_app, &failed_token))
        .on_upgrade(move |socket| serve(app, token, store, socket))
}

/// At most this many queued frames are written before one flush.
const MAX_BATCH: usize = 64;

/// How a batch of queued frames ended.
enum Batch {
    Sent,
    /// The socket failed; these pushes may not have reached the client.
    Failed(Vec<Arc<PushItem>>),
    /// The frames before the drop were flushed; now drop the connection.
    Drop(DropMode),
}

/// Writes `first` and whatever else is already queued (up to [`MAX_BATCH`]) with one flush,
/// as a server under load does: one write for many frames instead of one each.
async fn send_batch(
    app: &Shared,
    socket: &mut WebSocket,
    rx: &mut tokio::sync::mpsc::UnboundedReceiver<Outgoing>,
    first: Outgoing,
    store: Option<usize>,
) -> Batch {
    // One connection carries one scope: every frame of the batch uses its secret.
    let (app_id, secret) = app.frame_keys(store);
    let mut pushes: Vec<Arc<PushItem>> = Vec::new();
    let mut next = Some(first);
    let mut drop = None;
    let (mut failed, mut fed) = (false, 0);
    while let Some(out) = next.take() {
        let text = match out {
            Outgoing::Push(item) => {
                let text = item.frame_text(app_id, &secret);
                pushes.push(item);
                text
            }
            Outgoing::Raw(text) => text,
            Outgoing::Drop(mode) => {
                drop = Some(mode);
                break;
            }
        };
        if socket.feed(Message::Text(text)).await.is_err() {
            failed = true;
            break;
        }
        fed += 1;
        if fed < MAX_BATCH {
            next = rx.try_recv().ok();
        }
    }
    if failed || socket.flush().await.is_err() {
        return Batch::Failed(pushes);
    }
    let flushed = u64::try_from(pushes.len()).unwrap_or(u64::MAX);
    app.counters
        .push_frames
        .fetch_add(flushed, std::sync::atomic::Ordering::Relaxed);
    drop.map_or(Batch::Sent, Batch::Drop)
}

fn release(app: &Shared, token: &str) {
    if let Some(t) = app.world().conn_tokens.get_mut(token) {
        t.in_use = false;
    }
}

/// Serves one connection; `store` is the store (index, ePoiId) of a store-scoped one.
async fn serve(
    app: Arc<Shared>,
    token: String,
    store: Option<(usize, String)>,
    mut socket: WebSocket,
) {
    let (index, epoi) = store.unzip();
    let (id, mut rx) = app.hub.register(epoi);
    let idle = app.config.idle_timeout;
    let mut last_activity = Instant::now();
    let mut unsent: Vec<Arc<PushItem>> = Vec::new();
    let mut silent = false;
    loop {
        tokio::select! {
            () = app.cancel.cancelled() => break,
            () = tokio::time::sleep_until(last_activity + idle) => {
                tracing::debug!(conn = id, "closing a silent long connection");
                let _ = socket.send(Message::Close(None)).await;
                break;
            }
            incoming = socket.recv() => match incoming {
                Some(Ok(Message::Text(_))) => {
                    last_activity = Instant::now();
                    if socket.send(Message::Text("HB".into())).await.is_err() {
                        break;
                    }
                }
                Some(Ok(Message::Close(_))) | None | Some(Err(_)) => break,
                Some(Ok(_)) => last_activity = Instant::now(),
            },
            out = rx.recv() => {
                let Some(first) = out else { break };
                match send_batch(&app, &mut socket, &mut rx, first, index).await {
                    Batch::Sent => {}
                    Batch::Failed(batch) => {
                        unsent.extend(batch);
                        break;
                    }
                    Batch::Drop(DropMode::Reset) => break,
                    Batch::Drop(DropMode::Silent) => {
                        silent = true;
                        break;
                    }
                }
            }
        }
    }
    rx.close();
    while let Ok(out) = rx.try_recv() {
        if let Outgoing::Push(item) = out {
            unsent.push(item);
        }
    }
    app.hub.unregister(id, unsent);
    release(&app, &token);
    if silent {
        // A half-dead link: keep the TCP connection, read and ignore, answer nothing.
        loop {
            tokio::select! {
                () = app.cancel.cancelled() => break,
                m = socket.recv() => if matches!(m, None | Some(Err(_)) | Some(Ok(Message::Close(_)))) { break },
            }
        }
    }
    // Dropping the socket here closes TCP without a close frame (the reset fault).
}
