//! The client's code-dependent behaviours against the sandbox speaking each of its two error
//! vocabularies: the one the built-in code table knows and one it does not. What must work
//! under both: a token refreshed before `expireIn` runs out, a backoff after a burst of
//! failures, and the platform's own words kept for a code nobody told us about.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic on bad fixtures

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use meituan_api::im::GetPoiImStatus;
use meituan_api::{
    ClientConfig, CodeMeaning, CodeTable, DeveloperCredentials, ErrorBurst, MeituanClient,
    PlatformCodes, RetryPolicy, StoreKey, StoreToken, TokenSink,
};
use meituan_sandbox::{ApiCode, Faults, Sandbox, SandboxConfig, Vocabulary};
use meituan_wire::BusinessId;

const BOTH: [Vocabulary; 2] = [Vocabulary::Standard, Vocabulary::Alternate];

#[derive(Debug, Default)]
struct Kept(Mutex<Vec<StoreToken>>);

impl TokenSink for Kept {
    fn token_changed(&self, _: &StoreKey, token: &StoreToken) {
        self.0.lock().unwrap().push(token.clone());
    }
}

async fn sandbox(vocabulary: Vocabulary, token_ttl: Duration) -> Sandbox {
    Sandbox::start(SandboxConfig {
        vocabulary,
        token_ttl,
        ..SandboxConfig::default()
    })
    .await
    .unwrap()
}

fn client(sb: &Sandbox, config: ClientConfig) -> MeituanClient {
    MeituanClient::new(
        DeveloperCredentials::new(sb.developer_id(), sb.sign_key()),
        config,
    )
    .unwrap()
}

fn first_store(sb: &Sandbox) -> (StoreKey, String) {
    let s = &sb.stores()[0];
    let business = BusinessId::from_code(i64::from(s.business_id)).unwrap();
    (
        StoreKey::new(s.epoi_id.as_str(), business),
        s.app_auth_token.clone(),
    )
}

/// The sandbox's tokens live one second; the client refreshes 400 ms before expiry. After the
/// token has expired on the platform, the next call is preceded by a refresh and never
/// refused, so it works even where the "token expired" code is unknown.
#[tokio::test]
async fn a_token_is_refreshed_before_expire_in_runs_out_in_both_vocabularies() {
    // Both at once: each waits for its token to expire.
    tokio::join!(
        refreshed_before_expiry(Vocabulary::Standard),
        refreshed_before_expiry(Vocabulary::Alternate)
    );
}

async fn refreshed_before_expiry(vocabulary: Vocabulary) {
    let sb = sandbox(vocabulary, Duration::from_secs(1)).await;
    let kept = Arc::new(Kept::default());
    let config = ClientConfig {
        refresh_margin: Duration::from_millis(400),
        ..ClientConfig::with_base_url(sb.gateway_url())
    };
    let client = client(&sb, config).with_token_sink(kept.clone());
    let (key, _) = first_store(&sb);
    let code = sb.mint_auth_code(key.store.as_str()).unwrap();
    client.exchange_code(&key, &code).await.unwrap();
    client.call(&key, &GetPoiImStatus).await.unwrap();
    tokio::time::sleep(Duration::from_millis(1_100)).await;
    let calls = sb.counters().0;
    client.call(&key, &GetPoiImStatus).await.unwrap();
    assert_eq!(
        sb.counters().0 - calls,
        2,
        "{vocabulary:?}: one refresh, one call, no refusal"
    );
    assert_eq!(kept.0.lock().unwrap().len(), 2, "{vocabulary:?}");
    sb.shutdown().await;
}

/// A token the platform expires early (no `expireIn` warning): only a code the table knows
/// refreshes it. The alternate code is unknown to the built-in table (the call fails with the
/// platform's words) until the config teaches it.
#[tokio::test]
async fn an_early_expiry_refreshes_when_the_table_knows_the_code() {
    let taught = PlatformCodes::built_in()
        .overlaid(&CodeTable {
            codes: [(
                ApiCode::AuthTokenExpired.alternate().0.to_string(),
                CodeMeaning::TokenExpired.as_str().to_owned(),
            )]
            .into(),
            ..CodeTable::default()
        })
        .unwrap();
    let cases = [
        (Vocabulary::Standard, PlatformCodes::built_in(), true),
        (Vocabulary::Alternate, PlatformCodes::built_in(), false),
        (Vocabulary::Alternate, taught, true),
    ];
    for (vocabulary, codes, refreshes) in cases {
        let sb = sandbox(vocabulary, Duration::from_secs(3600)).await;
        let client = client(
            &sb,
            ClientConfig {
                codes,
                ..ClientConfig::with_base_url(sb.gateway_url())
            },
        );
        let (key, _) = first_store(&sb);
        let code = sb.mint_auth_code(key.store.as_str()).unwrap();
        client.exchange_code(&key, &code).await.unwrap();
        sb.expire_store_tokens(key.store.as_str()).unwrap();
        let result = client.call(&key, &GetPoiImStatus).await;
        if refreshes {
            result.unwrap();
        } else {
            let e = result.unwrap_err();
            assert_eq!(e.meaning(), None, "{e}");
            assert_eq!(
                e.platform_msg(),
                Some(ApiCode::AuthTokenExpired.alternate().1)
            );
        }
        sb.shutdown().await;
    }
}

/// Every call is rate-limited for a while: after two failures in a row each request waits
/// first (100 ms, then 200 ms), whatever the code, and one success ends the backoff.
#[tokio::test]
async fn a_burst_of_failures_backs_off_in_both_vocabularies() {
    for vocabulary in BOTH {
        let sb = sandbox(vocabulary, Duration::from_secs(3600)).await;
        let config = ClientConfig {
            retry: RetryPolicy {
                max_retries: 0,
                ..RetryPolicy::default()
            },
            burst: ErrorBurst {
                after: 2,
                min_delay: Duration::from_millis(100),
                max_delay: Duration::from_millis(200),
                jitter: false,
            },
            ..ClientConfig::with_base_url(sb.gateway_url())
        };
        let client = client(&sb, config);
        let (key, token) = first_store(&sb);
        client.set_token(key.clone(), StoreToken::static_token(token));
        sb.set_faults(Faults {
            rate_limit: 1.0,
            ..Faults::default()
        });
        let started = Instant::now();
        for _ in 0..4 {
            let e = client.call(&key, &GetPoiImStatus).await.unwrap_err();
            assert!(e.platform_msg().is_some(), "{vocabulary:?}: {e}");
        }
        // Two at once, then 100 ms and 200 ms waits.
        assert!(
            started.elapsed() >= Duration::from_millis(300),
            "{vocabulary:?}: {:?}",
            started.elapsed()
        );
        sb.clear_faults();
        let calls = sb.counters().0;
        let started = Instant::now();
        client.call(&key, &GetPoiImStatus).await.unwrap();
        assert!(
            started.elapsed() >= Duration::from_millis(200),
            "still backing off"
        );
        client.call(&key, &GetPoiImStatus).await.unwrap();
        assert_eq!(
            sb.counters().0 - calls,
            2,
            "{vocabulary:?}: no extra attempts"
        );
        sb.shutdown().await;
    }
}
