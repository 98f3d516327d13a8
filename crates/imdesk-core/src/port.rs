//! The port through which the engine reaches the platform ([`PlatformPort`]): an inbound
//! stream of customer messages and the delivery of outbox items. [`MeituanLink`] is the solo
//! desk's implementation (signed HTTP calls and the push sockets); team mode's link to a relay
//! stands behind the same three methods, so ingest and the outbox worker do not change.
//!
//! What only a direct Meituan link can do (read receipts, order details, reply-rate polls,
//! blocking) goes through [`MeituanLink`]'s client itself.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use imdesk_store::{Conversation, FailureKind, OutboxItem, SendFailure};
use meituan_api::im::{fill_two_party_reply, SendMessage};
use meituan_api::image::{self, UploadImage};
use meituan_api::{ApiError, CodeMeaning, MeituanClient, StoreKey, TransportError};
use meituan_push::{ConnectionHealth, KnownStores, PushClient, PushConfig, PushEvent};
use meituan_wire::{
    BizType, CommentId, GroupId, MsgId, MsgSource, MsgType, OpenUserId, OrderId, PushContent,
    RiderId, StoreId, UnixSeconds,
};
use tokio::sync::{mpsc, watch};

use crate::error::DeskResult;
use crate::registry::StoreRegistry;
use crate::tokens::{PlatformTokens, ScopeUnits};

/// A boxed future, for the port's object-safe methods.
pub(crate) type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// A failure of our own making: nothing to send with, or a picture that cannot go.
pub(crate) fn local_failure(message: impl Into<String>) -> SendFailure {
    SendFailure {
        kind: FailureKind::Local,
        platform_code: None,
        trace_id: None,
        message: message.into(),
    }
}

/// What an inbound stream carries: the push sockets' events, or a team desk's mirrored
/// stream records (each with the stream sequence committed beside it).
pub(crate) enum InboundEvents {
    Push(mpsc::Receiver<PushEvent>),
    Mirror(mpsc::Receiver<crate::team::mirror::Mirrored>),
}

/// The inbound side of a link: events in arrival order, the link's health, and how to stop.
pub(crate) struct Inbound {
    pub events: InboundEvents,
    pub health: watch::Receiver<Vec<ConnectionHealth>>,
    pub stop: Box<dyn FnOnce() -> BoxFuture<'static, ()> + Send>,
}

impl fmt::Debug for Inbound {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Inbound")
    }
}

/// One delivery attempt of an outbox item.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Outgoing<'a> {
    pub store: &'a StoreKey,
    pub item: &'a OutboxItem,
    pub conversation: &'a Conversation,
    pub now_ms: i64,
}

/// What became of a delivery attempt.
#[derive(Debug)]
pub(crate) enum Delivery {
    /// The platform accepted the message.
    Accepted,
    /// It failed in a way another attempt may fix (network, rate limit).
    Retry(SendFailure),
    /// It failed for good.
    Refused(SendFailure),
}

/// How the engine reaches the platform.
pub(crate) trait PlatformPort: Send + Sync + fmt::Debug + 'static {
    /// Starts the inbound stream on the current runtime, keeping only frames of `stores`.
    fn open_inbound(&self, stores: StoreRegistry) -> DeskResult<Inbound>;
    /// One attempt to deliver an outbox item whose content is final (pictures uploaded).
    fn deliver<'a>(&'a self, out: Outgoing<'a>) -> BoxFuture<'a, Delivery>;
    /// Uploads a picture for `store`; returns the `msg_content` that names it.
    fn upload_picture<'a>(
        &'a self,
        store: &'a StoreKey,
        bytes: Vec<u8>,
    ) -> BoxFuture<'a, Result<String, Delivery>>;
}

/// The solo desk's link: the signed client, the connection scope units (each with its
/// tokens and imSecret) and the push settings.
#[derive(Debug, Clone)]
pub(crate) struct MeituanLink {
    pub client: Arc<MeituanClient>,
    pub units: ScopeUnits,
    pub push: PushConfig,
}

impl MeituanLink {
    /// Whether another attempt may succeed. A code the table does not know may be the live
    /// platform's rate limiting or a passing fault, so it is retried with the outbox's backoff
    /// (a send is idempotent by its msg_id); the platform's own words are kept for the agent
    /// if the attempts run out.
    fn transient(&self, e: &ApiError) -> bool {
        match e {
            ApiError::Transport { kind, .. } => {
                !matches!(kind, TransportError::UnreadableJson { .. })
            }
            ApiError::Platform { meaning, .. } => {
                matches!(meaning, None | Some(CodeMeaning::RateLimited))
            }
            _ => false,
        }
    }

    fn verdict(&self, e: &ApiError) -> Delivery {
        if self.transient(e) {
            Delivery::Retry(failure(e))
        } else {
            Delivery::Refused(failure(e))
        }
    }

    async fn deliver_once(&self, out: Outgoing<'_>) -> Delivery {
        // Encrypted with the secret of the scope unit the store belongs to: the developer's,
        // or (store scope) the store's own.
        let Some(tokens) = self.units.for_store(out.store) else {
            return Delivery::Refused(local_failure(format!(
                "store {} has no push connection scope",
                out.store
            )));
        };
        let mut refreshed = false;
        loop {
            let cipher = match tokens.cipher(refreshed).await {
                Ok(c) => c,
                Err(e) => {
                    return Delivery::Retry(SendFailure {
                        kind: FailureKind::Network,
                        platform_code: None,
                        trace_id: None,
                        message: format!("no imSecret: {e}"),
                    })
                }
            };
            let req = request(out, cipher.encrypt(&out.item.text));
            match self.client.call(out.store, &req).await {
                Ok(_) => return Delivery::Accepted,
                // Once per attempt: the secret may have rotated since it was fetched.
                Err(e) if !refreshed && stale_secret(tokens, &e) => refreshed = true,
                Err(e) => return self.verdict(&e),
            }
        }
    }
}

/// Whether a refused send may have been encrypted with a rotated imSecret of `tokens`' scope:
/// the code table says so, or (for a platform whose code for it we do not know) the platform
/// refused with anything but a known unrelated reason while the secret is older than the
/// `secret_refetch_after` setting.
fn stale_secret(tokens: &PlatformTokens, e: &ApiError) -> bool {
    let ApiError::Platform { meaning, .. } = e else {
        return false; // no answer, nothing learnt about the content
    };
    match meaning {
        Some(CodeMeaning::StaleSecret) => true,
        // The table may lack the message rule that tells a stale secret from other bad
        // fields, so a bad field counts as unknown here.
        None | Some(CodeMeaning::InvalidParam) => tokens.secret_may_be_stale(),
        Some(_) => false,
    }
}

impl PlatformPort for MeituanLink {
    fn open_inbound(&self, stores: StoreRegistry) -> DeskResult<Inbound> {
        let mut config = self.push.clone();
        config.known_stores = Some(KnownStores::from_fn(move |s: &StoreId| {
            stores.contains(s.as_str())
        }));
        // One unit for the developer, or one per store token, each with its own sockets
        // (`connections` of them), tokens and imSecret.
        let (handle, events) = PushClient::start_units(config, self.units.push_units())?;
        let health = handle.health();
        Ok(Inbound {
            events: InboundEvents::Push(events),
            health,
            stop: Box::new(move || Box::pin(async move { handle.shutdown().await })),
        })
    }

    fn deliver<'a>(&'a self, out: Outgoing<'a>) -> BoxFuture<'a, Delivery> {
        Box::pin(self.deliver_once(out))
    }

    fn upload_picture<'a>(
        &'a self,
        store: &'a StoreKey,
        bytes: Vec<u8>,
    ) -> BoxFuture<'a, Result<String, Delivery>> {
        Box::pin(async move {
            let upload = UploadImage::from_bytes(&bytes)
                .map_err(|e| Delivery::Refused(local_failure(e.to_string())))?;
            match self.client.call(store, &upload).await {
                Ok(uploaded) => Ok(image::image_msg_content(&uploaded)),
                Err(e) => Err(self.verdict(&e)),
            }
        })
    }
}

/// A failed call in typed fields: the platform's own code, traceId and text are kept as they
/// came, so the agent sees the platform's words for a code we do not know.
fn failure(e: &ApiError) -> SendFailure {
    match e {
        ApiError::Platform {
            code,
            msg,
            trace_id,
            ..
        } => SendFailure {
            kind: FailureKind::Platform,
            platform_code: Some(code.clone()),
            trace_id: trace_id.clone(),
            message: msg.clone(),
        },
        ApiError::Transport { kind, .. } => SendFailure {
            kind: FailureKind::Network,
            platform_code: None,
            trace_id: None,
            message: kind.to_string(),
        },
        other => local_failure(other.to_string()),
    }
}

fn request(out: Outgoing<'_>, content: String) -> SendMessage {
    let (item, conv) = (out.item, out.conversation);
    let biz_type = BizType::from(item.biz_type);
    let mut push_content = PushContent {
        msg_id: MsgId(item.msg_id),
        msg_content: content,
        msg_type: MsgType(item.msg_type),
        msg_source: MsgSource::Merchant,
        cts: UnixSeconds(out.now_ms.div_euclid(1000)),
        order_id: None,
        open_user_id: conv.open_user_id.map(OpenUserId),
        scene_tag: None,
        scene_name: None,
        has_reply: None,
        comment_id: conv.comment_id.map(CommentId),
        group_id: conv.group_id.map(GroupId),
        group_name: (biz_type == BizType::FansGroup)
            .then(|| conv.group_name.clone())
            .flatten(),
        rider_id: conv.rider_id.map(RiderId),
    };
    if biz_type == BizType::TwoParty {
        // The order (0 before one exists) and the scene fields of a normal reply, all of
        // which §4.3 requires on a two-party message: meituan-api owns their values.
        fill_two_party_reply(&mut push_content, conv.order_id.map(OrderId));
    }
    SendMessage {
        biz_type,
        push_content,
        extended_field: None,
    }
}
