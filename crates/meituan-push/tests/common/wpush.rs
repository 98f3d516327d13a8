//! A loopback WebSocket server that plays Meituan's push service: it records each
//! connection's path (so tests see which token was used), answers every client text frame
//! with `HB` (unless told to stay silent), sends frames on command, and can drop a
//! connection without a close frame, as a dying network does.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use futures_util::{SinkExt, StreamExt};
use tokio::net::TcpListener;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tokio_tungstenite::tungstenite::handshake::server::{Request, Response};
use tokio_tungstenite::tungstenite::Message;

enum Command {
    Send(String),
    Drop,
}

struct Conn {
    path: String,
    commands: mpsc::UnboundedSender<Command>,
    open: Arc<AtomicBool>,
}

#[derive(Default)]
struct State {
    conns: Mutex<Vec<Conn>>,
    keepalives: AtomicUsize,
    silent: AtomicBool,
}

/// The fake push service.
pub struct FakeWpush {
    /// Base URL to give the client, `ws://127.0.0.1:<port>`.
    pub url: String,
    state: Arc<State>,
    accept: JoinHandle<()>,
}

impl FakeWpush {
    /// Listens on an ephemeral loopback port.
    pub async fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("ws://{}", listener.local_addr().unwrap());
        let state = Arc::new(State::default());
        let accept = tokio::spawn(accept_loop(listener, state.clone()));
        Self { url, state, accept }
    }

    /// Server-side ids of the connections that are open now, oldest first.
    pub fn open(&self) -> Vec<usize> {
        let conns = self.state.conns.lock().unwrap();
        (0..conns.len())
            .filter(|&i| conns[i].open.load(Ordering::SeqCst))
            .collect()
    }

    /// Connections accepted so far (open or not).
    pub fn accepted(&self) -> usize {
        self.state.conns.lock().unwrap().len()
    }

    /// The request path of every connection accepted so far.
    pub fn paths(&self) -> Vec<String> {
        self.state
            .conns
            .lock()
            .unwrap()
            .iter()
            .map(|c| c.path.clone())
            .collect()
    }

    /// Client keep-alives received over all connections.
    pub fn keepalives(&self) -> usize {
        self.state.keepalives.load(Ordering::SeqCst)
    }

    /// Stop (or resume) answering keep-alives.
    pub fn set_silent(&self, silent: bool) {
        self.state.silent.store(silent, Ordering::SeqCst);
    }

    /// Sends `frame` on connection `id`.
    pub fn send_to(&self, id: usize, frame: &str) {
        let conns = self.state.conns.lock().unwrap();
        let _ = conns[id].commands.send(Command::Send(frame.to_owned()));
    }

    /// Sends `frame` on every open connection.
    pub fn broadcast(&self, frame: &str) {
        for id in self.open() {
            self.send_to(id, frame);
        }
    }

    /// Drops connection `id` without a close frame.
    pub fn drop_conn(&self, id: usize) {
        let conns = self.state.conns.lock().unwrap();
        conns[id].open.store(false, Ordering::SeqCst);
        let _ = conns[id].commands.send(Command::Drop);
    }
}

impl Drop for FakeWpush {
    fn drop(&mut self) {
        self.accept.abort();
        for conn in self.state.conns.lock().unwrap().iter() {
            let _ = conn.commands.send(Command::Drop);
        }
    }
}

async fn accept_loop(listener: TcpListener, state: Arc<State>) {
    while let Ok((tcp, _)) = listener.accept().await {
        let path = Arc::new(Mutex::new(String::new()));
        let seen = path.clone();
        // The handshake callback's signature is tungstenite's; its error type is not ours.
        #[allow(clippy::result_large_err)]
        let callback = move |req: &Request, resp: Response| {
            *seen.lock().unwrap() = req.uri().path().to_owned();
            Ok(resp)
        };
        let Ok(ws) = tokio_tungstenite::accept_hdr_async(tcp, callback).await else {
            continue;
        };
        let (tx, rx) = mpsc::unbounded_channel();
        let open = Arc::new(AtomicBool::new(true));
        let path = path.lock().unwrap().clone();
        state.conns.lock().unwrap().push(Conn {
            path,
            commands: tx,
            open: open.clone(),
        });
        tokio::spawn(serve(ws, rx, open, state.clone()));
    }
}

async fn serve(
    ws: tokio_tungstenite::WebSocketStream<tokio::net::TcpStream>,
    mut commands: mpsc::UnboundedReceiver<Command>,
    open: Arc<AtomicBool>,
    state: Arc<State>,
) {
    let (mut sink, mut stream) = ws.split();
    loop {
        tokio::select! {
            message = stream.next() => match message {
                Some(Ok(Message::Text(_))) => {
                    state.keepalives.fetch_add(1, Ordering::SeqCst);
                    if !state.silent.load(Ordering::SeqCst)
                        && sink.send(Message::text("HB")).await.is_err()
                    {
                        break;
                    }
                }
                Some(Ok(_)) => {}
                Some(Err(_)) | None => break,
            },
            command = commands.recv() => match command {
                Some(Command::Send(frame)) => {
                    if sink.send(Message::text(frame)).await.is_err() {
                        break;
                    }
                }
                // Returning drops the TCP stream: FIN without a WebSocket close frame.
                Some(Command::Drop) | None => break,
            },
        }
    }
    open.store(false, Ordering::SeqCst);
}
