//! [`Sandbox`]: start, coordinates, scripting, shutdown.

use axum::extract::{DefaultBodyLimit, Path, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio::task::JoinHandle;

use crate::app::Shared;
use crate::config::SandboxConfig;
use crate::envelope::Vocabulary;
use crate::error::Result;
use crate::faults::Faults;
use crate::model::{
    AutoReplyScene, BlockRecord, CustomerMessage, DropMode, FansState, MerchantMessage, OrderInfo,
    Pushed, ReplyTiming, StoreInfo, UploadInfo,
};
use crate::{clock, control, customers, gateway, images, load, push, state};

/// A running sandbox platform on `127.0.0.1`. Dropping it shuts it down.
#[derive(Debug)]
pub struct Sandbox {
    app: Arc<Shared>,
    server: Option<JoinHandle<()>>,
    load_seq: AtomicU64,
}

/// Largest request body: a 2 MiB upload is about 3 MB once base64- and form-encoded.
const GATEWAY_BODY_LIMIT: usize = 8 * 1024 * 1024;

/// How often the fault clock looks at timed faults (drops, secret rotation).
const FAULT_CLOCK: Duration = Duration::from_millis(50);

impl Sandbox {
    /// Binds the port, generates the world from the seed, and starts serving (plus the
    /// simulated customers when `chatter` is on and the load loop when `rate` > 0).
    pub async fn start(config: SandboxConfig) -> Result<Sandbox> {
        let listener = tokio::net::TcpListener::bind(std::net::SocketAddr::from((
            [127, 0, 0, 1],
            config.port,
        )))
        .await?;
        let addr = listener.local_addr()?;
        let world = state::gen::world(&config, clock::now_ms());
        let app = Arc::new(Shared::new(
            world,
            config,
            format!("http://{addr}"),
            format!("ws://{addr}"),
        ));
        let router = Router::new()
            .route("/waimai/{*rest}", post(gateway::handle))
            .route("/wmoper/{*rest}", post(gateway::handle))
            .route("/oauth/{*rest}", post(gateway::handle))
            .route("/websocket/{connection_id}/{token}", get(push::ws::upgrade))
            .route("/img/{file}", get(image))
            .route("/img/up/{file}", get(uploaded_image))
            .nest("/_sandbox", control::router())
            .layer(DefaultBodyLimit::max(GATEWAY_BODY_LIMIT))
            .with_state(Arc::clone(&app));
        let cancel = app.cancel.clone();
        let server = tokio::spawn(async move {
            let serve =
                axum::serve(listener, router).with_graceful_shutdown(cancel.cancelled_owned());
            if let Err(e) = serve.await {
                tracing::warn!(error = %e, "sandbox server ended with an error");
            }
        });
        tokio::spawn(fault_clock(Arc::clone(&app)));
        if app.config.chatter {
            tokio::spawn(customers::chatter::run(Arc::clone(&app)));
        }
        if app.config.rate > 0.0 {
            let (a, rate, seed) = (Arc::clone(&app), app.config.rate, app.config.seed);
            tokio::spawn(async move {
                load::run(a, None, rate, seed).await;
            });
        }
        tracing::info!(gateway = %app.gateway_url, "sandbox serving");
        Ok(Sandbox {
            app,
            server: Some(server),
            load_seq: AtomicU64::new(0),
        })
    }

    /// `http://127.0.0.1:PORT`: the gateway (and the image server).
    pub fn gateway_url(&self) -> &str {
        &self.app.gateway_url
    }
    /// `ws://127.0.0.1:PORT`: the long-connection base (`{push_url}/websocket/{id}/{token}`).
    pub fn push_url(&self) -> &str {
        &self.app.push_url
    }
    /// The developerId.
    pub fn developer_id(&self) -> i64 {
        self.app.world().developer_id
    }
    /// The developer's signKey.
    pub fn sign_key(&self) -> String {
        self.app.world().sign_key.clone()
    }
    /// The `app_id` / `appkey` pushes and responses carry (718).
    pub fn app_id(&self) -> i64 {
        self.app.world().app_id
    }
    /// The developer's current imSecret (every store's, unless connections are
    /// store-scoped).
    pub fn im_secret(&self) -> String {
        self.app.im_secret()
    }
    /// The imSecret `epoi_id`'s pushes are encrypted with and its replies must be: its own
    /// when connections are store-scoped, the developer's otherwise.
    pub fn store_im_secret(&self, epoi_id: &str) -> Result<String> {
        self.app.store_im_secret(epoi_id)
    }
    /// Whose pushes one long connection carries.
    pub fn push_scope(&self) -> crate::PushScope {
        self.app.config.push_scope
    }
    /// The stores with their current tokens.
    pub fn stores(&self) -> Vec<StoreInfo> {
        self.app.store_infos()
    }
    /// The front door's JSON: `{gateway_url, push_url, developer_id, sign_key, stores}`.
    pub fn coordinates(&self) -> serde_json::Value {
        self.app.coordinates()
    }

    /// A customer sends `msg`; returns what was pushed (or queued for the next connection).
    pub fn customer_says(&self, msg: CustomerMessage) -> Result<Pushed> {
        self.app.customer_says(&msg)
    }
    /// The customer reads everything so far: their read time becomes now; returns it (ms).
    pub fn customer_reads(&self, epoi_id: &str, open_user_id: i64) -> Result<i64> {
        self.app.customer_reads(epoi_id, open_user_id)
    }
    /// Customer ids of a store.
    pub fn customers(&self, epoi_id: &str) -> Result<Vec<i64>> {
        self.app.customers(epoi_id)
    }
    /// Adds a customer to a store, who has not written yet, and returns its open_user_id
    /// (a conversation that does not exist until it writes).
    pub fn add_customer(&self, epoi_id: &str) -> Result<i64> {
        self.app.add_customer(epoi_id)
    }
    /// Review ids of a store (for `createGroup`).
    pub fn comment_ids(&self, epoi_id: &str) -> Result<Vec<i64>> {
        self.app.comment_ids(epoi_id)
    }
    /// An order of a store.
    pub fn order(&self, epoi_id: &str, order_id: i64) -> Result<OrderInfo> {
        self.app.order(epoi_id, order_id)
    }
    /// Completes an order at `completed_at_ms` (in the past to test the 48-hour rule).
    pub fn complete_order(
        &self,
        epoi_id: &str,
        order_id: i64,
        completed_at_ms: i64,
    ) -> Result<OrderInfo> {
        self.app.complete_order(epoi_id, order_id, completed_at_ms)
    }
    /// Customers the store blocked, with reason and evidence.
    pub fn blocked(&self, epoi_id: &str) -> Result<Vec<BlockRecord>> {
        self.app.blocked(epoi_id)
    }
    /// The store's IM switch.
    pub fn im_status(&self, epoi_id: &str) -> Result<bool> {
        self.app.im_status(epoi_id)
    }
    /// Scripts the store's reply rates as `getReversionRateAndRightsList` reports them
    /// (5-minute and urgent percent; the rights follow from them), or `None` to report the
    /// rates observed from its reply clocks again.
    pub fn script_reply_rates(&self, epoi_id: &str, percents: Option<(f64, f64)>) -> Result<()> {
        self.app.script_reply_rates(epoi_id, percents)
    }
    /// The store's fans groups, coupons and coupon quota.
    pub fn fans(&self, epoi_id: &str) -> Result<FansState> {
        self.app.fans(epoi_id)
    }
    /// Lets the store build fans groups or not (`queryStoreHaveBuild`; a store the platform
    /// does not allow is refused by `createFansGroup`).
    pub fn set_fans_groups_allowed(&self, epoi_id: &str, allowed: bool) -> Result<()> {
        self.app.set_fans_groups_allowed(epoi_id, allowed)
    }
    /// Sets the coupon sends left this month (`remainCoupon`).
    pub fn set_coupon_quota(&self, epoi_id: &str, remain: i64) -> Result<()> {
        self.app.set_coupon_quota(epoi_id, remain)
    }
    /// Sets the store's IM switch.
    pub fn set_im_status(&self, epoi_id: &str, on: bool) -> Result<()> {
        self.app.set_im_status(epoi_id, on)
    }
    /// The store's auto-reply robot: each scene's switch and text.
    pub fn auto_replies(&self, epoi_id: &str) -> Result<Vec<AutoReplyScene>> {
        self.app.auto_replies(epoi_id)
    }
    /// What the store's merchant sent, decrypted, in arrival order.
    pub fn merchant_messages(&self, epoi_id: &str) -> Result<Vec<MerchantMessage>> {
        self.app.merchant_messages(epoi_id)
    }
    /// The pictures a store uploaded (`image/uploadNoWater`), by `pic_code`.
    pub fn uploads(&self, epoi_id: &str) -> Result<Vec<UploadInfo>> {
        self.app.uploads(epoi_id)
    }
    /// The reply clocks the sandbox observed for a store.
    pub fn reply_timings(&self, epoi_id: &str) -> Result<Vec<ReplyTiming>> {
        self.app.reply_timings(epoi_id)
    }

    /// The faults in force.
    pub fn faults(&self) -> Faults {
        self.app.faults.get()
    }
    /// Replaces the faults in force.
    pub fn set_faults(&self, faults: Faults) {
        self.app.faults.set(faults);
    }
    /// Back to a healthy platform.
    pub fn clear_faults(&self) {
        self.app.faults.set(Faults::default());
    }
    /// The vocabulary refusals are spelled in.
    pub fn vocabulary(&self) -> Vocabulary {
        self.app.vocabulary()
    }
    /// Spells the refusals that follow in `vocabulary` (tests of a platform whose error codes
    /// the client's table does not know).
    pub fn set_vocabulary(&self, vocabulary: Vocabulary) {
        self.app.set_vocabulary(vocabulary);
    }
    /// Open long connections.
    pub fn open_connections(&self) -> usize {
        self.app.hub.open()
    }
    /// Pushes waiting for a connection.
    pub fn pending_pushes(&self) -> usize {
        self.app.hub.pending()
    }
    /// Ends every open long connection as `mode` says; returns how many.
    pub fn drop_connections(&self, mode: DropMode) -> usize {
        self.app.hub.drop_all(mode)
    }
    /// Ends the `count` longest-open long connections as `mode` says, leaving the others to
    /// carry every push; returns how many it ended.
    pub fn drop_oldest_connections(&self, count: usize, mode: DropMode) -> usize {
        self.app.hub.drop_oldest(count, mode)
    }
    /// Sends `text` verbatim as a text frame on every open long connection (malformed-frame
    /// tests: the client must quarantine it); returns how many connections got it.
    pub fn push_raw_frame(&self, text: &str) -> usize {
        self.app.hub.publish_raw(None, text)
    }
    /// As [`Sandbox::push_raw_frame`], on the connections that carry `epoi_id`'s pushes only
    /// (every connection when they are developer-scoped).
    pub fn push_raw_frame_for(&self, epoi_id: &str, text: &str) -> usize {
        self.app.hub.publish_raw(Some(epoi_id), text)
    }
    /// Open long connections that carry `epoi_id`'s pushes (its own and the developer's).
    pub fn open_connections_for(&self, epoi_id: &str) -> usize {
        self.app.hub.open_for(epoi_id)
    }
    /// Rotates imSecret: connection tokens stop working and open connections are reset.
    pub fn rotate_im_secret(&self) -> String {
        self.app.rotate_im_secret()
    }
    /// Expires every access token of the store (`OP_AUTH_TOKEN_EXPIRED` until refreshed).
    pub fn expire_store_tokens(&self, epoi_id: &str) -> Result<()> {
        self.app.expire_store_tokens(epoi_id)
    }
    /// Expires every issued long-connection token (new upgrades with them get HTTP 403).
    pub fn expire_connection_tokens(&self) {
        self.app.expire_connection_tokens();
    }
    /// A single-use OAuth authorization code for the store.
    pub fn mint_auth_code(&self, epoi_id: &str) -> Result<String> {
        self.app.mint_auth_code(epoi_id)
    }
    /// Gateway calls, customer messages and merchant messages seen so far.
    pub fn counters(&self) -> (u64, u64, u64) {
        let c = &self.app.counters;
        (
            c.gateway_calls.load(Ordering::Relaxed),
            c.customer_messages.load(Ordering::Relaxed),
            c.merchant_messages.load(Ordering::Relaxed),
        )
    }

    /// Push frames flushed to long connections so far, every copy counted: a client that has
    /// read this many has read everything sent (tests wait for it instead of sleeping).
    pub fn push_frames_written(&self) -> u64 {
        self.app.counters.push_frames.load(Ordering::Relaxed)
    }

    /// Push frames handed to open connections so far, every copy counted, written or not yet:
    /// once [`Sandbox::push_frames_written`] reaches it, nothing is left in the writers.
    pub fn push_frames_queued(&self) -> u64 {
        self.app.hub.queued_frames()
    }

    /// Calls answered 404 so far because the faults take their API away
    /// ([`Faults::missing`]).
    pub fn missing_api_calls(&self) -> u64 {
        self.app.counters.missing_api_calls.load(Ordering::Relaxed)
    }

    /// WebSocket upgrades refused so far because the faults refuse their token's API
    /// ([`Faults::refuse_upgrade`]).
    pub fn refused_upgrades(&self) -> u64 {
        self.app.counters.refused_upgrades.load(Ordering::Relaxed)
    }

    /// Holds every push back, as a platform backlog does, until [`Sandbox::release_pushes`].
    /// Their frames are made (encrypted and encoded) as they are held, so the released burst
    /// costs the platform only its socket writes: a load benchmark can make its load first
    /// and time only its delivery, on machines where the platform shares the client's cores.
    pub fn hold_pushes(&self) {
        self.app.hub.hold();
    }

    /// Sends every held push, in order, to every open connection (or, with none open, keeps
    /// it for the next, as any push), and stops holding. Returns how many were held.
    pub fn release_pushes(&self) -> usize {
        self.app.hub.release()
    }

    /// Load: `count` customer messages at `rate` per second, round-robin over the stores;
    /// returns exactly the messages that were pushed.
    pub async fn run_load(&self, count: u64, rate: f64) -> Vec<Pushed> {
        let n = self.load_seq.fetch_add(1, Ordering::Relaxed);
        load::run(
            Arc::clone(&self.app),
            Some(count),
            rate,
            self.app.config.seed ^ (n + 1),
        )
        .await
    }

    /// Stops serving and waits (briefly) for the server task.
    pub async fn shutdown(mut self) {
        self.app.cancel.cancel();
        if let Some(server) = self.server.take() {
            let _ = tokio::time::timeout(Duration::from_secs(5), server).await;
        }
    }
}

impl Drop for Sandbox {
    fn drop(&mut self) {
        self.app.cancel.cancel();
    }
}

async fn image(Path(file): Path<String>) -> Response {
    let png = file
        .strip_suffix(".png")
        .and_then(|n| n.parse::<u32>().ok())
        .and_then(images::png);
    match png {
        Some(bytes) => ([(header::CONTENT_TYPE, "image/png")], bytes).into_response(),
        None => StatusCode::NOT_FOUND.into_response(),
    }
}

async fn uploaded_image(State(app): State<Arc<Shared>>, Path(file): Path<String>) -> Response {
    match app.uploaded_picture(&file) {
        Some((content_type, bytes)) => {
            ([(header::CONTENT_TYPE, content_type)], bytes).into_response()
        }
        None => StatusCode::NOT_FOUND.into_response(),
    }
}

/// Applies the timed faults: periodic silent drops and imSecret rotation.
async fn fault_clock(app: Arc<Shared>) {
    let (mut last_drop, mut last_rotate) = (clock::now_ms(), clock::now_ms());
    loop {
        tokio::select! {
            () = app.cancel.cancelled() => return,
            () = tokio::time::sleep(FAULT_CLOCK) => {}
        }
        let f = app.faults.get();
        let now = clock::now_ms();
        match f.drop_every_ms {
            Some(every) if now - last_drop >= every as i64 => {
                last_drop = now;
                app.hub.drop_all(DropMode::Reset);
            }
            Some(_) => {}
            None => last_drop = now,
        }
        match f.rotate_secret_every_ms {
            Some(every) if now - last_rotate >= every as i64 => {
                last_rotate = now;
                app.rotate_im_secret();
            }
            Some(_) => {}
            None => last_rotate = now,
        }
    }
}
