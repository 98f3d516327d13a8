#![allow(clippy::unwrap_used)]

use super::*;

fn env(pairs: &[(&str, &str)]) -> HashMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

const FILE: &str = r#"
gateway_url = "http://127.0.0.1:9000"
developer_id = 100001
sign_key = "file-key"
some_other_setting = true
push_connections = 4
push_scope = "store"
[[stores]]
epoi_id = "mt-1001"
name = "望京店"
business_id = 16
app_auth_token = "file-token"
[[stores]]
epoi_id = "mt-1002"
business_id = 2
"#;

#[test]
fn nothing_given_is_production_defaults_in_demo_mode() {
    let c = DeskConfig::from_sources(None, &HashMap::new()).unwrap();
    assert_eq!(c, DeskConfig::default());
    assert_eq!(c.gateway_url, "https://api-open-cater.meituan.com");
    assert_eq!(c.push_url, "wss://wpush.meituan.com");
    assert!(!c.has_credentials() && c.is_demo());
}

#[test]
fn the_file_is_read_and_the_environment_wins() {
    let from_file = DeskConfig::from_sources(Some(FILE), &HashMap::new()).unwrap();
    assert!(from_file.has_credentials());
    assert_eq!(from_file.gateway_url, "http://127.0.0.1:9000");
    assert_eq!(from_file.stores.len(), 2);
    assert!(from_file.stores[1].app_auth_token.is_blank());
    assert_eq!(from_file.push_connections, Some(4));
    assert_eq!(from_file.push_scope, PushScope::Store);

    let vars = env(&[
        ("IMDESK_GATEWAY_URL", "http://127.0.0.1:9100"),
        ("IMDESK_PUSH_URL", "ws://127.0.0.1:9101"),
        ("IMDESK_SIGN_KEY", "env-key"),
        ("IMDESK_DB", "/tmp/x.sqlite3"),
        ("IMDESK_DEVELOPER_ID", " 7 "),
        ("IMDESK_PUSH_CONNECTIONS", "2"),
        ("IMDESK_PUSH_SCOPE", "Developer"),
        (
            "IMDESK_STORES",
            r#"[{"epoi_id":"mt-9","name":"n","business_id":2,"app_auth_token":"env-token"}]"#,
        ),
    ]);
    let c = DeskConfig::from_sources(Some(FILE), &vars).unwrap();
    assert_eq!(c.gateway_url, "http://127.0.0.1:9100");
    assert_eq!(c.push_url, "ws://127.0.0.1:9101");
    assert_eq!(c.developer_id, Some(7));
    assert_eq!(c.sign_key.as_ref().map(Secret::expose), Some("env-key"));
    assert_eq!(c.db_path, PathBuf::from("/tmp/x.sqlite3"));
    assert_eq!(c.push_connections, Some(2));
    assert_eq!(c.push_scope, PushScope::Developer, "the environment wins");
    assert_eq!(c.stores.len(), 1);
    assert_eq!(
        c.stores[0].key().unwrap(),
        StoreKey::new("mt-9", BusinessId::Waimai)
    );
}

#[test]
fn push_scope_is_developer_unless_set_and_refuses_other_words() {
    let c = DeskConfig::from_sources(None, &HashMap::new()).unwrap();
    assert_eq!(c.push_scope, PushScope::Developer);
    let c = DeskConfig::from_sources(None, &env(&[("IMDESK_PUSH_SCOPE", " store ")])).unwrap();
    assert_eq!(c.push_scope, PushScope::Store);
    let e = DeskConfig::from_sources(None, &env(&[("IMDESK_PUSH_SCOPE", "poi")])).unwrap_err();
    assert!(e.to_string().contains("IMDESK_PUSH_SCOPE"), "{e}");
    assert!(DeskConfig::from_sources(Some("push_scope = \"poi\""), &HashMap::new()).is_err());
}

#[test]
fn push_connections_must_be_one_to_five() {
    for bad in ["0", "6", "three", "-1"] {
        let e = DeskConfig::from_sources(None, &env(&[("IMDESK_PUSH_CONNECTIONS", bad)]));
        assert!(e.is_err(), "{bad} accepted");
    }
    let e = DeskConfig::from_sources(Some("push_connections = 9"), &HashMap::new()).unwrap_err();
    assert!(e.to_string().contains("1 to 5"), "{e}");
    for good in 1..=5u8 {
        let c = DeskConfig::from_sources(
            None,
            &env(&[("IMDESK_PUSH_CONNECTIONS", &good.to_string())]),
        )
        .unwrap();
        assert_eq!(c.push_connections, Some(good));
    }
}

#[test]
fn empty_variables_do_not_override() {
    let c = DeskConfig::from_sources(Some(FILE), &env(&[("IMDESK_SIGN_KEY", "  ")])).unwrap();
    assert_eq!(c.sign_key.as_ref().map(Secret::expose), Some("file-key"));
}

#[test]
fn invalid_input_is_an_error_that_never_shows_secrets() {
    let bad_id = DeskConfig::from_sources(None, &env(&[("IMDESK_DEVELOPER_ID", "x")]));
    assert!(bad_id.is_err());
    let bad_stores = env(&[(
        "IMDESK_STORES",
        r#"[{"epoi_id":"a","app_auth_token":"tok-SECRET"}]"#,
    )]);
    let shown = DeskConfig::from_sources(None, &bad_stores)
        .unwrap_err()
        .to_string();
    assert!(
        shown.contains("IMDESK_STORES") && !shown.contains("tok-SECRET"),
        "{shown}"
    );
    let bad_business = env(&[("IMDESK_STORES", r#"[{"epoi_id":"a","business_id":3}]"#)]);
    assert!(DeskConfig::from_sources(None, &bad_business).is_err());
    let twice = r#"[{"epoi_id":"a","business_id":2},{"epoi_id":"a","business_id":2}]"#;
    assert!(DeskConfig::from_sources(None, &env(&[("IMDESK_STORES", twice)])).is_err());
    let bad_toml = DeskConfig::from_sources(Some("sign_key = "), &HashMap::new());
    assert!(matches!(bad_toml, Err(ConfigError::Invalid { .. })));
    let bad_url = env(&[("IMDESK_GATEWAY_URL", "not a url")]);
    assert!(DeskConfig::from_sources(None, &bad_url).is_err());
}

#[test]
fn debug_redacts_secrets() {
    let c = DeskConfig::from_sources(Some(FILE), &HashMap::new()).unwrap();
    let shown = format!("{c:?}");
    assert!(
        !shown.contains("file-key") && !shown.contains("file-token"),
        "{shown}"
    );
    assert!(shown.contains("mt-1001"));
}

struct Keyring;

impl SecretStore for Keyring {
    fn sign_key(&self, developer_id: i64) -> Option<Secret> {
        (developer_id == 5).then(|| Secret::new("ring-key"))
    }
    fn store_token(&self, epoi_id: &str, business_id: u8) -> Option<Secret> {
        (epoi_id == "mt-1002" && business_id == 2).then(|| Secret::new("ring-token"))
    }
}

#[test]
fn the_keyring_fills_only_blank_secrets() {
    let mut c =
        DeskConfig::from_sources(Some(FILE), &env(&[("IMDESK_DEVELOPER_ID", "5")])).unwrap();
    c.fill_secrets(&Keyring);
    assert_eq!(
        c.sign_key.as_ref().map(Secret::expose),
        Some("file-key"),
        "given wins"
    );
    assert_eq!(c.stores[0].app_auth_token.expose(), "file-token");
    assert_eq!(c.stores[1].app_auth_token.expose(), "ring-token");
    let mut no_key = DeskConfig::from_sources(None, &env(&[("IMDESK_DEVELOPER_ID", "5")])).unwrap();
    assert!(!no_key.has_credentials());
    no_key.fill_secrets(&Keyring);
    assert!(no_key.has_credentials());
}

#[test]
fn the_platform_path_is_under_an_imdesk_directory() {
    if let Some(path) = DeskConfig::default_path() {
        assert!(path.ends_with(CONFIG_FILE));
        assert!(path.to_string_lossy().to_lowercase().contains("imdesk"));
    }
}

#[test]
fn the_platform_codes_section_corrects_the_built_in_table() {
    use meituan_api::CodeMeaning;
    let text = r#"
        developer_id = 1
        [platform_codes]
        secret_refetch_after_secs = 60
        error_burst_after = 0
        [platform_codes.codes]
        "1101" = "token_expired"
        OP_PARAM_INVALID = "unknown"
        [[platform_codes.by_message]]
        code = "1401"
        msg_contains = "解密"
        meaning = "stale_secret"
    "#;
    let c = DeskConfig::from_sources(Some(text), &env(&[])).unwrap();
    let codes = &c.platform_codes;
    assert_eq!(
        codes.secret_refetch_after,
        std::time::Duration::from_secs(60)
    );
    assert_eq!(codes.error_burst_after, 0);
    let m = |code, msg| codes.table.meaning(code, msg);
    assert_eq!(m("1101", ""), Some(CodeMeaning::TokenExpired));
    assert_eq!(m("1401", "消息解密失败"), Some(CodeMeaning::StaleSecret));
    assert_eq!(m("OP_PARAM_INVALID", "x"), None, "forgotten");
    assert_eq!(
        m("OP_USER_BLOCKED", ""),
        Some(CodeMeaning::CustomerBlocked),
        "inherited"
    );

    // Without the section: the built-in table and the default fallbacks.
    let plain = DeskConfig::from_sources(Some("developer_id = 1"), &env(&[])).unwrap();
    assert_eq!(plain.platform_codes, super::PlatformCodesConfig::default());

    // A meaning that does not exist is a clear error naming the code.
    let bad = "[platform_codes.codes]\n\"1501\" = \"blocked\"\n";
    let e = DeskConfig::from_sources(Some(bad), &env(&[])).unwrap_err();
    let shown = e.to_string();
    assert!(
        shown.contains("platform_codes") && shown.contains("1501"),
        "{shown}"
    );
}
