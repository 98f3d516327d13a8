//! A signed, typed client for the IM endpoints of the Meituan open platform
//! (美团技术服务合作中心), for both integrations: businessId 2 (接单, `/waimai/ng/im/`) and
//! businessId 16 (非接单, `/wmoper/ng/im/`), plus the order, store and review endpoints that
//! give a chat its context. It owns the gateway envelope and its SHA-1 signature (a pure
//! function, [`sign::sign`]), the form body, OAuth code exchange and refresh, retries with
//! backoff, client-side rate limiting and the error taxonomy. It knows nothing of storage,
//! push connections or UI.
//!
//! ```no_run
//! # async fn demo() -> Result<(), meituan_api::ApiError> {
//! use meituan_api::{im, ClientConfig, DeveloperCredentials, MeituanClient, StoreKey, StoreToken};
//! use meituan_wire::BusinessId;
//!
//! let client = MeituanClient::new(
//!     DeveloperCredentials::new(100_001, "signKey"),
//!     ClientConfig::default(),
//! )?;
//! let store = StoreKey::new("epoi-1", BusinessId::Wmoper);
//! client.set_token(store.clone(), StoreToken::static_token("appAuthToken"));
//! let status = client.call(&store, &im::GetPoiImStatus).await?;
//! println!("IM is {:?}", status.im_status);
//! # Ok(()) }
//! ```
//!
//! The protocol's inferred parts each live in one place: the businessId-2 opaque `data`
//! keys in [`opaque`] (the connectionId derivation is `meituan_push::endpoint`'s alone), the
//! meaning of the platform's error codes in [`codes`] (a data file, overridable), the image
//! upload (businessId 16 only), the image message content and the evidence ids in [`image`],
//! and the two-party reply's `order_id` before an order, its `has_reply` value and the
//! customer's read rule in [`im::messages`]. Each is marked \[INF\] with the protocol section
//! it reads. Which endpoints need a store token is the SDK's table in
//! [`endpoint::needs_store_token`]; the SDK's own headers are sent (see `transport.rs`), and
//! the response charset is read from `Content-Type`.

#![warn(missing_docs)]

pub mod client;
pub mod codes;
pub mod config;
pub mod context;
pub mod credentials;
pub mod endpoint;
pub mod envelope;
pub mod error;
pub mod im;
pub mod image;
pub mod oauth;
pub mod observe;
pub mod opaque;
pub mod sign;
mod transport;
pub mod types;

pub use client::MeituanClient;
pub use codes::{CodeMeaning, CodeTable, PlatformCodes};
pub use config::{ClientConfig, ErrorBurst, RateLimit, RetryPolicy, DEFAULT_BASE_URL};
pub use credentials::{DeveloperCredentials, Secret, StoreKey, StoreToken, TokenSink};
pub use endpoint::Endpoint;
pub use envelope::{Biz, SignedForm};
pub use error::{ApiError, TransportError};
pub use oauth::TokenGrant;
pub use observe::{BodyKind, ClockSample, ObservedReply, ReplyObserver};
pub use types::{Ack, OneOrMany, OpResult};
