//! The gateway's envelope checks, OAuth and gateway faults, through a minimal independent client.

#![allow(clippy::unwrap_used, clippy::expect_used)] // helpers outside #[test] fns panic on purpose

mod common;

use common::*;
use meituan_sandbox::{Faults, SandboxConfig};
use serde_json::json;
use std::time::Duration;

#[test]
fn the_test_client_signs_the_document_examples() {
    let f = |p: &[(&str, &str)]| {
        p.iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect::<Vec<_>>()
    };
    let fields = f(&[
        ("biz", "{\"biz_type\":1}"),
        ("timestamp", "1700000000"),
        ("businessId", "2"),
        ("developerId", "100001"),
        ("charset", "UTF-8"),
        ("version", "2"),
        ("appAuthToken", "tok-abc"),
    ]);
    assert_eq!(
        sign("testSignKey", &fields),
        "92daa8c2bf7931dc9ea73105cb74150a243cdde0"
    );
    assert_eq!(
        form_body(&fields[..1]),
        "biz=%7B%22biz_type%22%3A1%7D",
        "§1.5 body encoding"
    );
    assert_eq!(
        encrypt("abcdef0123456789ZZZZ", "你好，订单已出餐"),
        "OKXpdENpyQ8DIRwteLtzeM5ZPeu8CRdjR99aAXN2YLo="
    );
}

#[tokio::test]
async fn a_correct_call_succeeds_with_a_trace_id() {
    let sb = start(SandboxConfig::default()).await;
    let c = Client::new(&sb);
    for store in sb.stores() {
        let a = c.im(&store, "getPoiIMStatus", None).await;
        assert_eq!(a.status, 200);
        let j = a.json();
        assert_eq!(j["code"], "OP_SUCCESS");
        assert!(j["traceId"].as_str().is_some_and(|t| !t.is_empty()));
        assert_eq!(j["data"]["epoiId"], store.epoi_id.as_str());
        assert_eq!(j["data"]["im_status"], 1);
        assert_eq!(j["data"]["app_id"], 718);
    }
    let s = &sb.stores()[0];
    let t1 = c.im(s, "getPoiIMStatus", None).await.json()["traceId"].clone();
    let t2 = c.im(s, "getPoiIMStatus", None).await.json()["traceId"].clone();
    assert_ne!(t1, t2);
    // Both families exist: the stores alternate businessIds 16 and 2.
    let ids: Vec<u8> = sb.stores().iter().map(|s| s.business_id).collect();
    assert_eq!(ids, vec![16, 2, 16]);
}

#[tokio::test]
async fn every_envelope_rule_is_enforced() {
    let sb = start(SandboxConfig::default()).await;
    let c = Client::new(&sb);
    let s16 = sb.stores()[0].clone();
    let s2 = sb.stores()[1].clone();
    let path = "/wmoper/ng/im/getPoiIMStatus";
    let key = sb.sign_key();
    let base = || c.fields(16, Some(&s16.app_auth_token), None);
    let code = |a: Answer| a.code().as_str().unwrap().to_string();

    // wrong key → sign invalid; tampered after signing → sign invalid
    assert_eq!(
        code(c.post_signed(path, base(), "wrong-key").await),
        "OP_SIGN_INVALID"
    );
    let mut f = base();
    let sig = sign(&key, &f);
    f.push(("sign".into(), sig));
    f[0].1 = (now_secs() - 1).to_string();
    assert_eq!(
        code(c.post_raw(path, form_body(&f)).await.unwrap()),
        "OP_SIGN_INVALID"
    );

    // unknown developer
    let mut f = base();
    f[2].1 = "42".into();
    assert_eq!(
        code(c.post_signed(path, f, &key).await),
        "OP_DEVELOPER_INVALID"
    );

    // timestamps: 11 minutes off, milliseconds, not a number → invalid; 9 minutes → fine
    for ts in [
        (now_secs() - 660).to_string(),
        (now_secs() + 660).to_string(),
        (now_secs() * 1000).to_string(),
        "abc".into(),
    ] {
        let mut f = base();
        f[0].1 = ts;
        assert_eq!(
            code(c.post_signed(path, f, &key).await),
            "OP_TIMESTAMP_INVALID"
        );
    }
    let mut f = base();
    f[0].1 = (now_secs() - 540).to_string();
    assert_eq!(code(c.post_signed(path, f, &key).await), "OP_SUCCESS");

    // businessId must match the path family
    let f = c.fields(2, Some(&s16.app_auth_token), None);
    assert_eq!(
        code(c.post_signed(path, f, &key).await),
        "OP_BUSINESS_ID_MISMATCH"
    );
    let f = c.fields(16, Some(&s2.app_auth_token), None);
    assert_eq!(
        code(c.post_signed("/waimai/ng/im/getPoiIMStatus", f, &key).await),
        "OP_BUSINESS_ID_MISMATCH"
    );
    let f = c.fields(7, Some(&s16.app_auth_token), None);
    assert_eq!(
        code(c.post_signed(path, f, &key).await),
        "OP_BUSINESS_ID_MISMATCH"
    );

    // tokens: missing, unknown, authorised for the other businessId
    assert_eq!(
        code(c.post_signed(path, c.fields(16, None, None), &key).await),
        "OP_AUTH_TOKEN_INVALID"
    );
    assert_eq!(
        code(
            c.post_signed(path, c.fields(16, Some("nope"), None), &key)
                .await
        ),
        "OP_AUTH_TOKEN_INVALID"
    );
    let f = c.fields(16, Some(&s2.app_auth_token), None);
    assert_eq!(
        code(c.post_signed(path, f, &key).await),
        "OP_AUTH_TOKEN_INVALID"
    );

    // charset, version, missing fields, repeated fields, wrong content type
    let mut f = base();
    f[3].1 = "GBK".into();
    assert_eq!(code(c.post_signed(path, f, &key).await), "OP_PARAM_INVALID");
    let mut f = base();
    f[4].1 = "3".into();
    assert_eq!(code(c.post_signed(path, f, &key).await), "OP_PARAM_INVALID");
    let mut f = base();
    f.remove(0);
    assert_eq!(code(c.post_signed(path, f, &key).await), "OP_PARAM_INVALID");
    let mut f = base();
    f.push(("charset".into(), "UTF-8".into()));
    assert_eq!(code(c.post_signed(path, f, &key).await), "OP_PARAM_INVALID");
    let mut f = base();
    let sig = sign(&key, &f);
    f.push(("sign".into(), sig));
    let r = c
        .http
        .post(format!("{}{path}", c.base))
        .header("Content-Type", "application/json")
        .body(form_body(&f))
        .send()
        .await
        .unwrap();
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(&r.text().await.unwrap()).unwrap()["code"],
        "OP_PARAM_INVALID"
    );

    // an endpoint without parameters takes no biz; paths are case-sensitive
    let f = c.fields(16, Some(&s16.app_auth_token), Some("{\"x\":1}"));
    assert_eq!(code(c.post_signed(path, f, &key).await), "OP_PARAM_INVALID");
    let f = c.fields(16, Some(&s16.app_auth_token), None);
    assert_eq!(
        c.post_signed("/wmoper/ng/im/getPoiImStatus", f, &key)
            .await
            .status,
        404
    );
}

#[tokio::test]
async fn connection_token_is_developer_scoped() {
    let sb = start(SandboxConfig::default()).await;
    let c = Client::new(&sb);
    let d = c
        .call("/wmoper/ng/im/getConnectionToken", 16, None, None)
        .await
        .data();
    assert_eq!(d["connectionId"], "718_WMOPEN");
    assert_eq!(d["imSecret"].as_str().unwrap(), sb.im_secret());
    assert_eq!(d["userCount"], 0);
    let s2 = &sb.stores()[1];
    assert_eq!(
        c.im(s2, "getConnectionToken", None).await.code(),
        "OP_SUCCESS"
    );
    let bad = c
        .call("/waimai/ng/im/getConnectionToken", 2, Some("forged"), None)
        .await;
    assert_eq!(bad.code(), "OP_AUTH_TOKEN_INVALID");
    // getConnectionTokenWithCount: 1 to 5 tokens, appkey instead of connectionId
    let d = c
        .im(
            s2,
            "getConnectionTokenWithCount",
            Some(&json!({"required_token_count": 5}).to_string()),
        )
        .await
        .data();
    assert_eq!(d["token_infos"].as_array().unwrap().len(), 5);
    assert_eq!(d["appkey"], 718);
    assert!(d.get("connectionId").is_none());
    for n in [0, 6] {
        let a = c
            .im(
                s2,
                "getConnectionTokenWithCount",
                Some(&json!({"required_token_count": n}).to_string()),
            )
            .await;
        assert_eq!(a.code(), "OP_PARAM_INVALID");
    }
    let a = c
        .call(
            "/waimai/ng/im/getConnectionTokenWithCount",
            2,
            None,
            Some("{\"required_token_count\":3}"),
        )
        .await;
    assert_eq!(a.code(), "OP_AUTH_TOKEN_INVALID", "needAuth Y");
}

async fn oauth(
    c: &Client,
    path: &str,
    business_id: u8,
    extra: &[(&str, &str)],
) -> serde_json::Value {
    let mut f = vec![
        ("timestamp".to_string(), now_secs().to_string()),
        ("businessId".to_string(), business_id.to_string()),
        ("developerId".to_string(), c.developer_id.to_string()),
        ("charset".to_string(), "UTF-8".to_string()),
    ];
    f.extend(extra.iter().map(|(k, v)| (k.to_string(), v.to_string())));
    c.post_signed(path, f, &c.sign_key.clone()).await.json()
}

#[tokio::test]
async fn oauth_codes_exchange_once_and_refresh_tokens_rotate() {
    let sb = start(SandboxConfig::default()).await;
    let c = Client::new(&sb);
    let mut store = sb.stores()[1].clone();
    let code = sb.mint_auth_code(&store.epoi_id).unwrap();
    let wrong = oauth(
        &c,
        "/oauth/token",
        2,
        &[("code", &code), ("grantType", "refresh_token")],
    )
    .await;
    assert_ne!(wrong["code"], 0);
    let other_family = oauth(
        &c,
        "/oauth/token",
        16,
        &[("code", &code), ("grantType", "authorization_code")],
    )
    .await;
    assert_ne!(other_family["code"], 0);
    let ok = oauth(
        &c,
        "/oauth/token",
        2,
        &[("code", &code), ("grantType", "authorization_code")],
    )
    .await;
    assert_eq!(ok["code"], 0, "{ok}");
    assert_eq!(ok["data"]["opBizCode"], store.epoi_id.as_str());
    assert!(ok["data"]["expireIn"].as_i64().unwrap() > 0);
    let again = oauth(
        &c,
        "/oauth/token",
        2,
        &[("code", &code), ("grantType", "authorization_code")],
    )
    .await;
    assert_ne!(again["code"], 0, "codes are single-use");

    // The new access token works; expiring the store's tokens makes calls fail until refreshed.
    store.app_auth_token = ok["data"]["accessToken"].as_str().unwrap().to_string();
    assert_eq!(
        c.im(&store, "getPoiIMStatus", None).await.code(),
        "OP_SUCCESS"
    );
    sb.expire_store_tokens(&store.epoi_id).unwrap();
    assert_eq!(
        c.im(&store, "getPoiIMStatus", None).await.code(),
        "OP_AUTH_TOKEN_EXPIRED"
    );
    let rt = ok["data"]["refreshToken"].as_str().unwrap().to_string();
    let no_scope = oauth(
        &c,
        "/oauth/refresh",
        2,
        &[("refreshToken", &rt), ("grantType", "refresh_token")],
    )
    .await;
    assert_ne!(no_scope["code"], 0);
    let r = oauth(
        &c,
        "/oauth/refresh",
        2,
        &[
            ("refreshToken", &rt),
            ("grantType", "refresh_token"),
            ("scope", "all"),
        ],
    )
    .await;
    assert_eq!(r["code"], 0, "{r}");
    assert_ne!(
        r["data"]["refreshToken"],
        rt.as_str(),
        "refresh tokens rotate"
    );
    let reuse = oauth(
        &c,
        "/oauth/refresh",
        2,
        &[
            ("refreshToken", &rt),
            ("grantType", "refresh_token"),
            ("scope", "all"),
        ],
    )
    .await;
    assert_ne!(reuse["code"], 0, "the old refresh token stops working");
    store.app_auth_token = r["data"]["accessToken"].as_str().unwrap().to_string();
    assert_eq!(
        c.im(&store, "getPoiIMStatus", None).await.code(),
        "OP_SUCCESS"
    );
    assert_eq!(
        sb.stores()[1].app_auth_token,
        store.app_auth_token,
        "coordinates show the latest token"
    );
    // OAuth checks the sign too
    let mut f = vec![
        ("timestamp".to_string(), now_secs().to_string()),
        ("businessId".into(), "2".into()),
        ("developerId".into(), c.developer_id.to_string()),
        ("charset".into(), "UTF-8".into()),
    ];
    f.push(("code".into(), sb.mint_auth_code(&store.epoi_id).unwrap()));
    f.push(("grantType".into(), "authorization_code".into()));
    assert_ne!(
        c.post_signed("/oauth/token", f, "bad").await.json()["code"],
        0
    );
}

#[tokio::test]
async fn gateway_faults_answer_as_configured() {
    let sb = start(SandboxConfig::default()).await;
    let c = Client::new(&sb);
    let s = sb.stores()[0].clone();

    sb.set_faults(Faults {
        http_500: 1.0,
        ..Faults::default()
    });
    let a = c.im(&s, "getPoiIMStatus", None).await;
    assert_eq!(a.status, 500);
    assert!(
        serde_json::from_str::<serde_json::Value>(&a.body).is_err(),
        "500 body is not JSON"
    );

    sb.set_faults(Faults {
        http_503: 1.0,
        ..Faults::default()
    });
    let a = c.im(&s, "getPoiIMStatus", None).await;
    assert_eq!(a.status, 503);
    assert!(a.json()["traceId"].is_string());

    sb.set_faults(Faults {
        rate_limit: 1.0,
        ..Faults::default()
    });
    let a = c.im(&s, "getPoiIMStatus", None).await;
    assert_eq!((a.status, a.code()), (200, json!("OP_RATE_LIMITED")));

    sb.set_faults(Faults {
        token_expired: 1.0,
        ..Faults::default()
    });
    assert_eq!(
        c.im(&s, "getPoiIMStatus", None).await.code(),
        "OP_AUTH_TOKEN_EXPIRED"
    );

    // Timeout: the call takes effect, the answer comes after the client gave up.
    sb.set_faults(Faults {
        timeout: 1.0,
        timeout_hold_ms: Some(1_500),
        ..Faults::default()
    });
    let impatient = Client::with_timeout(&sb, Duration::from_millis(300));
    let mut f = impatient.fields(16, Some(&s.app_auth_token), Some("{\"imStatus\":0}"));
    let sig = sign(&impatient.sign_key, &f);
    f.push(("sign".into(), sig));
    let r = impatient
        .post_raw("/wmoper/ng/im/setPoiIMStatus", form_body(&f))
        .await;
    assert!(r.is_err_and(|e| e.is_timeout()));
    assert!(
        !sb.im_status(&s.epoi_id).unwrap(),
        "the timed-out call took effect"
    );

    sb.clear_faults();
    assert_eq!(
        c.im(&s, "getPoiIMStatus", None).await.data()["im_status"],
        0
    );
    assert!(sb.counters().0 >= 6);
}
