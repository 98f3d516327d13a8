//! [`MeituanClient`]: signs, sends and decodes calls for many stores of one developer, and
//! keeps their tokens fresh.

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Mutex, PoisonError};

use governor::{DefaultDirectRateLimiter, Quota, RateLimiter};
use meituan_wire::{BusinessId, Clock, SystemClock, TimeMs};
use serde::de::DeserializeOwned;

use crate::codes::CodeMeaning;
use crate::config::ClientConfig;
use crate::credentials::{DeveloperCredentials, StoreKey, StoreToken, TokenSink};
use crate::endpoint::{path_for_name, Endpoint};
use crate::envelope::{api_form, oauth_refresh_form, oauth_token_form, Biz};
use crate::error::ApiError;
use crate::oauth::{parse_token_response, TokenGrant, REFRESH_PATH, TOKEN_PATH};
use crate::observe::ReplyObserver;
use crate::opaque;
use crate::transport::{BurstState, Reply};

/// A client of the Meituan open platform for one developer.
///
/// It holds each store's token keyed by [`StoreKey`], refreshes it before expiry and after
/// an auth error (handing the new token to the [`TokenSink`]), rate-limits all requests of
/// the developer, and retries transient failures. Cheap to share behind an `Arc`.
pub struct MeituanClient {
    pub(crate) http: reqwest::Client,
    pub(crate) base_url: String,
    pub(crate) developer: DeveloperCredentials,
    pub(crate) config: ClientConfig,
    pub(crate) clock: Arc<dyn Clock>,
    pub(crate) limiter: DefaultDirectRateLimiter,
    pub(crate) burst: BurstState,
    tokens: Mutex<HashMap<StoreKey, StoreToken>>,
    refresh_gates: Mutex<HashMap<StoreKey, Arc<tokio::sync::Mutex<()>>>>,
    sink: Option<Arc<dyn TokenSink>>,
    pub(crate) observer: Option<Arc<dyn ReplyObserver>>,
}

impl fmt::Debug for MeituanClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MeituanClient")
            .field("base_url", &self.base_url)
            .field("developer_id", &self.developer.developer_id)
            .finish_non_exhaustive()
    }
}

/// TLS for the gateway: rustls with the `ring` provider handed to this client alone, and the
/// platform's certificate verifier (what reqwest picks when it builds the config itself). A
/// library must not choose the process-wide default provider for the application, and with
/// reqwest's `rustls-no-provider` a client built without one would panic.
fn tls_config() -> Result<rustls::ClientConfig, ApiError> {
    use rustls_platform_verifier::BuilderVerifierExt;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut tls = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .and_then(|builder| builder.with_platform_verifier())
        .map_err(|e| ApiError::Config {
            reason: format!("TLS: {e}"),
        })?
        .with_no_client_auth();
    // reqwest offers HTTP/2 through ALPN only in configs it builds; a given one keeps its own.
    tls.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(tls)
}

impl MeituanClient {
    /// Builds a client (rustls with the `ring` provider, the configured timeouts).
    pub fn new(developer: DeveloperCredentials, config: ClientConfig) -> Result<Self, ApiError> {
        let http = reqwest::Client::builder()
            .tls_backend_preconfigured(tls_config()?)
            .connect_timeout(config.connect_timeout)
            .read_timeout(config.read_timeout)
            .build()
            .map_err(|e| ApiError::Config {
                reason: format!("HTTP client: {e}"),
            })?;
        let base_url = url::Url::parse(&config.base_url)
            .map_err(|e| ApiError::Config {
                reason: format!("base URL: {e}"),
            })?
            .as_str()
            .trim_end_matches('/')
            .to_owned();
        let quota =
            Quota::per_second(config.rate_limit.per_second).allow_burst(config.rate_limit.burst);
        Ok(Self {
            http,
            base_url,
            developer,
            limiter: RateLimiter::direct(quota),
            burst: BurstState::default(),
            config,
            clock: Arc::new(SystemClock),
            tokens: Mutex::default(),
            refresh_gates: Mutex::default(),
            sink: None,
            observer: None,
        })
    }

    /// Uses `clock` for `timestamp` and token expiry (tests inject a fixed clock).
    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// Hands every newly obtained token to `sink` so the caller can persist it.
    pub fn with_token_sink(mut self, sink: Arc<dyn TokenSink>) -> Self {
        self.sink = Some(sink);
        self
    }

    /// Tells `observer` how each attempt ended (diagnostics; see [`crate::observe`]).
    pub fn with_observer(mut self, observer: Arc<dyn ReplyObserver>) -> Self {
        self.observer = Some(observer);
        self
    }

    /// The settings in use.
    pub fn config(&self) -> &ClientConfig {
        &self.config
    }

    /// Sets (or replaces) the token of a store, for example one loaded from the keyring.
    pub fn set_token(&self, key: StoreKey, token: StoreToken) {
        self.tokens
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(key, token);
    }

    /// The current token of a store, if any.
    pub fn token(&self, key: &StoreKey) -> Option<StoreToken> {
        self.tokens
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(key)
            .cloned()
    }

    pub(crate) fn all_tokens(&self) -> Vec<StoreToken> {
        self.tokens
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .values()
            .cloned()
            .collect()
    }

    /// Calls a typed endpoint for a store, in the store's integration, and decodes `data`.
    pub async fn call<E: Endpoint>(
        &self,
        key: &StoreKey,
        request: &E,
    ) -> Result<E::Response, ApiError> {
        request.validate(key.business_id)?;
        let biz = request.biz(key.business_id)?;
        let path = E::path(key.business_id);
        let reply = self
            .run(
                Some(key),
                key.business_id,
                E::NAME,
                &path,
                &biz,
                E::IDEMPOTENT,
            )
            .await?;
        decode(E::NAME, reply).inspect_err(|e| self.observe_undecodable(E::NAME, e))
    }

    /// Calls a typed endpoint without a store token (for example `getConnectionToken` if it
    /// turns out to be developer-scoped, open question 3). An endpoint that needs a store
    /// token ([`Endpoint::needs_store_token`]) is refused before anything is sent, as the SDK
    /// refuses it.
    pub async fn call_as_developer<E: Endpoint>(
        &self,
        business_id: BusinessId,
        request: &E,
    ) -> Result<E::Response, ApiError> {
        if E::needs_store_token(business_id) {
            return Err(ApiError::validation(
                E::NAME,
                format!("needs a store's appAuthToken on businessId {business_id} (SDK needAuth); call it for a store"),
            ));
        }
        request.validate(business_id)?;
        let biz = request.biz(business_id)?;
        let path = E::path(business_id);
        let reply = self
            .run(None, business_id, E::NAME, &path, &biz, E::IDEMPOTENT)
            .await?;
        decode(E::NAME, reply).inspect_err(|e| self.observe_undecodable(E::NAME, e))
    }

    /// Calls an endpoint named at run time (an IM suffix of §4.0 such as `msg/send`, or
    /// `order/detail`, `poi/info`, `comment/queryCommentList`, `image/uploadNoWater`;
    /// see [`crate::endpoint::OTHER_ENDPOINTS`]) with `biz` given as JSON in
    /// the businessId-16 shape; the opaque businessId-2 form is applied as for typed calls.
    /// Returns `data` (JSON `null` when absent). Treated as idempotent.
    pub async fn call_raw(
        &self,
        key: &StoreKey,
        name: &str,
        biz: Option<&serde_json::Value>,
    ) -> Result<serde_json::Value, ApiError> {
        if name == crate::image::IMAGE_UPLOAD && !crate::image::can_upload(key.business_id) {
            return Err(crate::image::unsupported(key.business_id));
        }
        let path = path_for_name(key.business_id, name)
            .ok_or_else(|| ApiError::validation(name, "unknown endpoint name"))?;
        let biz = match biz {
            None => Biz::NONE,
            Some(value) => opaque::biz_for(key.business_id, name, value)
                .map_err(|_| ApiError::validation(name, "biz cannot be serialized"))?,
        };
        let reply = self
            .run(Some(key), key.business_id, name, &path, &biz, true)
            .await?;
        Ok(reply.data.unwrap_or(serde_json::Value::Null))
    }

    /// Exchanges an OAuth authorization code for the store's tokens (§3), keeps them and
    /// hands them to the sink.
    pub async fn exchange_code(&self, key: &StoreKey, code: &str) -> Result<TokenGrant, ApiError> {
        let endpoint = "oauth/token";
        let form = |ts| oauth_token_form(&self.developer, key.business_id, code, ts);
        let body = self.oauth_exchange(endpoint, TOKEN_PATH, &form).await?;
        let grant = parse_token_response(endpoint, &body, self.clock.now(), None)?;
        self.adopt(key, &grant.token);
        Ok(grant)
    }

    /// Refreshes the store's token now (§3), keeps it and hands it to the sink.
    pub async fn refresh(&self, key: &StoreKey) -> Result<StoreToken, ApiError> {
        let current = self.token(key);
        self.refresh_from(key, current.as_ref(), "oauth/refresh")
            .await
    }

    async fn refresh_from(
        &self,
        key: &StoreKey,
        current: Option<&StoreToken>,
        endpoint: &str,
    ) -> Result<StoreToken, ApiError> {
        let refresh_token = current
            .and_then(|t| t.refresh_token.clone())
            .ok_or_else(|| self.missing_token(key, endpoint))?;
        let form =
            |ts| oauth_refresh_form(&self.developer, key.business_id, refresh_token.expose(), ts);
        // Not repeated after a lost answer: the platform may already have rotated
        // `refresh_token`, and a second try with it would fail with a misleading OAuth error.
        let body = self
            .oauth_exchange("oauth/refresh", REFRESH_PATH, &form)
            .await?;
        let grant = parse_token_response(
            "oauth/refresh",
            &body,
            self.clock.now(),
            Some(&refresh_token),
        )?;
        self.adopt(key, &grant.token);
        tracing::info!(store = %key.store, business_id = %key.business_id, "store token refreshed");
        Ok(grant.token)
    }

    fn adopt(&self, key: &StoreKey, token: &StoreToken) {
        self.set_token(key.clone(), token.clone());
        if let Some(sink) = &self.sink {
            sink.token_changed(key, token);
        }
    }

    fn missing_token(&self, key: &StoreKey, endpoint: &str) -> ApiError {
        ApiError::MissingToken {
            endpoint: endpoint.to_owned(),
            store: key.store.clone(),
            business_id: key.business_id,
        }
    }

    fn gate(&self, key: &StoreKey) -> Arc<tokio::sync::Mutex<()>> {
        self.refresh_gates
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .entry(key.clone())
            .or_default()
            .clone()
    }

    /// Refreshes unless another task already replaced `stale` while we waited: one refresh
    /// per store at a time.
    async fn refresh_if_still(
        &self,
        key: &StoreKey,
        stale: &StoreToken,
        endpoint: &str,
    ) -> Result<StoreToken, ApiError> {
        let gate = self.gate(key);
        let _held = gate.lock().await;
        match self.token(key) {
            Some(now) if now.access_token != stale.access_token => Ok(now),
            current => self.refresh_from(key, current.as_ref(), endpoint).await,
        }
    }

    /// The token to use now, refreshed first when it is about to expire.
    async fn usable_token(&self, key: &StoreKey, endpoint: &str) -> Result<StoreToken, ApiError> {
        let token = self
            .token(key)
            .ok_or_else(|| self.missing_token(key, endpoint))?;
        let now = self.clock.now();
        let margin = i64::try_from(self.config.refresh_margin.as_millis()).unwrap_or(i64::MAX);
        if !token.needs_refresh(now, margin) {
            return Ok(token);
        }
        match self.refresh_if_still(key, &token, endpoint).await {
            Ok(fresh) => Ok(fresh),
            // Still valid for a while: use it and try again next call.
            Err(e) if token.expires_at.is_some_and(|at| at > now) => {
                tracing::warn!(store = %key.store, "early token refresh failed: {e}");
                Ok(token)
            }
            Err(e) => Err(e),
        }
    }

    async fn run(
        &self,
        key: Option<&StoreKey>,
        business_id: BusinessId,
        endpoint: &str,
        path: &str,
        biz: &Biz,
        idempotent: bool,
    ) -> Result<Reply, ApiError> {
        let mut token = match key {
            Some(key) => Some(self.usable_token(key, endpoint).await?),
            None => None,
        };
        let mut refreshed = false;
        loop {
            let access = token.as_ref().map(|t| t.access_token.expose().to_owned());
            let form = |ts| api_form(&self.developer, business_id, access.as_deref(), biz, ts);
            let result = self
                .api_with_retries(endpoint, path, idempotent, &form)
                .await;
            // Only a code the table knows as "token expired" refreshes here; with a table that
            // does not know the platform's code, the refresh before `expireIn` runs out
            // (`usable_token`) is what keeps the token fresh.
            let (Some(key), Some(used), Err(ApiError::Platform { meaning, .. })) =
                (key, &token, &result)
            else {
                return result;
            };
            let expired = *meaning == Some(CodeMeaning::TokenExpired);
            if refreshed || !expired || used.refresh_token.is_none() {
                return result;
            }
            tracing::info!(endpoint, store = %key.store, "auth error: refreshing the store token");
            token = Some(self.refresh_if_still(key, used, endpoint).await?);
            refreshed = true;
        }
    }

    /// The current time of the client's clock.
    pub fn now(&self) -> TimeMs {
        self.clock.now()
    }
}

fn decode<T: DeserializeOwned>(endpoint: &str, reply: Reply) -> Result<T, ApiError> {
    serde_json::from_value(reply.data.unwrap_or(serde_json::Value::Null))
        .map_err(|e| ApiError::unreadable(endpoint, reply.trace_id, &e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builds_without_installing_a_process_default_provider() {
        let client = MeituanClient::new(
            DeveloperCredentials::new(1, "key"),
            ClientConfig::with_base_url("https://example.invalid"),
        );
        assert!(client.is_ok(), "{client:?}");
        assert!(rustls::crypto::CryptoProvider::get_default().is_none());
    }
}
