//! Adding a store from the settings: a token is checked with a harmless read before it is
//! saved, an authorisation code is exchanged for the store's token pair, a bad token or a
//! wrong or reused code is refused naming the store (and nothing is written), and the engine
//! started from what was saved runs the new store and renews its token before it expires.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::sync::Arc;
use std::time::Duration;

use common::*;
use imdesk_core::config::SecretStore;
use imdesk_core::credentials::{CredentialsForm, StoreEntryForm};
use imdesk_core::onboarding::{authorise, save_authorised};
use imdesk_core::token_vault::{FileEntries, TokenVault};
use imdesk_core::view::TokenHealth;
use imdesk_core::{Desk, DeskConfig, DeskOptions};
use meituan_sandbox::{ChatKind, CustomerMessage, Sandbox, SandboxConfig, StoreInfo};

fn entry(s: &StoreInfo, token: &str, code: &str) -> StoreEntryForm {
    StoreEntryForm {
        epoi_id: s.epoi_id.clone(),
        name: s.name.clone(),
        business_id: s.business_id,
        app_auth_token: token.to_owned(),
        auth_code: code.to_owned(),
    }
}

fn message(e: imdesk_core::credentials::CredentialsError) -> String {
    e.to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_store_is_authorised_checked_saved_and_runs_without_retyping_the_others() {
    let sb = Sandbox::start(SandboxConfig {
        stores: 2,
        ..SandboxConfig::default()
    })
    .await
    .unwrap();
    let (a, b) = (sb.stores()[0].clone(), sb.stores()[1].clone());
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("imdesk.toml");
    // The keyring of a process without an OS keyring: an owner-only JSON file of entries.
    let ring = dir.path().join("keyring.json");
    let keyring = Arc::new(FileEntries::new(&ring));
    let entries = || std::fs::read_to_string(&ring).unwrap_or_default();
    let gateway = DeskConfig {
        gateway_url: sb.gateway_url().to_owned(),
        ..DeskConfig::default()
    };
    let form = |stores: Vec<StoreEntryForm>, sign_key: &str| CredentialsForm {
        developer_id: sb.developer_id().to_string(),
        sign_key: sign_key.to_owned(),
        stores,
    };

    // The first store, by its token: checked, then saved.
    let first = form(vec![entry(&a, &a.app_auth_token, "")], &sb.sign_key());
    let ok = authorise(&first, &gateway, keyring.as_ref()).await.unwrap();
    assert_eq!(ok.len(), 1);
    save_authorised(&first, &ok, &file, keyring.clone()).unwrap();

    // A token that does not work is refused naming the store; nothing changes.
    let before = (std::fs::read_to_string(&file).unwrap(), entries());
    let wrong = form(vec![entry(&a, "", ""), entry(&b, "not-a-token", "")], "");
    let e = message(
        authorise(&wrong, &gateway, keyring.as_ref())
            .await
            .unwrap_err(),
    );
    assert!(
        e.contains(&format!("store {}: the token does not work", b.epoi_id)),
        "{e}"
    );
    // A code that is wrong is refused the same way.
    let bad_code = form(vec![entry(&a, "", ""), entry(&b, "", "no-such-code")], "");
    let e = message(
        authorise(&bad_code, &gateway, keyring.as_ref())
            .await
            .unwrap_err(),
    );
    assert!(
        e.contains(&format!(
            "store {}: the authorisation code was refused",
            b.epoi_id
        )),
        "{e}"
    );
    // A new signKey for the kept store is checked with its kept token: a wrong one is refused
    // as the developer's, not the store's.
    let wrong_key = form(vec![entry(&a, "", "")], "not-the-sign-key");
    let e = message(
        authorise(&wrong_key, &gateway, keyring.as_ref())
            .await
            .unwrap_err(),
    );
    assert!(e.contains("the developerId or signKey was refused"), "{e}");
    // Both at once is a mistake of the form.
    let both = form(vec![entry(&b, "t", "c")], "");
    let e = message(
        authorise(&both, &gateway, keyring.as_ref())
            .await
            .unwrap_err(),
    );
    assert!(e.contains("not both"), "{e}");
    assert_eq!((std::fs::read_to_string(&file).unwrap(), entries()), before);

    // The second store by an authorisation code, the first left blank (kept, not retyped,
    // not re-checked); the signKey blank too (kept in the keyring).
    let code = sb.mint_auth_code(&b.epoi_id).unwrap();
    let second = form(vec![entry(&a, "", ""), entry(&b, "", &code)], "");
    let ok = authorise(&second, &gateway, keyring.as_ref())
        .await
        .unwrap();
    assert_eq!(ok.len(), 1, "only the store whose code was entered");
    save_authorised(&second, &ok, &file, keyring.clone()).unwrap();
    // Used twice: refused.
    let again = authorise(&second, &gateway, keyring.as_ref())
        .await
        .unwrap_err();
    assert!(message(again).contains("authorisation code was refused"));
    // The code is never written; the file holds no secret; the pair is in the keyring.
    let text = std::fs::read_to_string(&file).unwrap();
    assert!(!text.contains(&code) && !text.contains(&sb.sign_key()));
    let kept: std::collections::BTreeMap<String, String> =
        serde_json::from_str(&entries()).unwrap();
    assert!(kept
        .keys()
        .any(|k| k.starts_with("store-token-pair:") && k.contains(&b.epoi_id)));
    assert!(!entries().contains(&code));
    assert!(keyring.store_token(&b.epoi_id, b.business_id).is_some());

    // The engine started from what was saved runs both stores, and renews the code's store
    // from the kept pair (its expiry learnt at start), where the first has a plain token.
    let mut config = DeskConfig::from_toml(&text, "imdesk.toml").unwrap();
    config.fill_secrets(keyring.as_ref());
    config.gateway_url = sb.gateway_url().to_owned();
    config.push_url = sb.push_url().to_owned();
    config.db_path = dir.path().join("desk.sqlite3");
    assert_eq!(config.stores.len(), 2);
    let options = DeskOptions {
        token_vault: Some(TokenVault::new(keyring.clone())),
        ..DeskOptions::fast()
    };
    let desk = Desk::start_with(config, options, Arc::new(RecordingSink::default()))
        .await
        .unwrap();
    eventually(10, "the code's store shows its token renewing", || async {
        let stores = desk.stores().await.unwrap();
        let health = |id: &str| {
            stores
                .iter()
                .find(|s| s.epoi_id == id)
                .and_then(|s| s.token.clone())
        };
        matches!(health(&b.epoi_id), Some(TokenHealth::Renewing { .. }))
            && !matches!(health(&a.epoi_id), Some(TokenHealth::Renewing { .. }))
    })
    .await;
    for store in [&a, &b] {
        let pushed = sb
            .customer_says(CustomerMessage::text(
                &store.epoi_id,
                ChatKind::PreOrder,
                "新开的店能回复吗",
            ))
            .unwrap();
        let conv = imdesk_core::convert::conversation_id(&imdesk_store::ConversationKey {
            store: store.epoi_id.clone(),
            biz_type: 1,
            peer_id: pushed.open_user_id.unwrap(),
        });
        eventually(15, "the customer's message arrives", || async {
            stored_async(&desk)
                .await
                .iter()
                .any(|m| m.msg_id == pushed.msg_id)
        })
        .await;
        if store.epoi_id == b.epoi_id {
            let queued = desk.send_text(&conv, "能的").await.unwrap();
            desk.wait_sent(&queued.key, Duration::from_secs(15))
                .await
                .unwrap();
        }
    }
    desk.shutdown().await;

    // The first store taken off the list: its token leaves the keyring with it.
    let only_b = form(vec![entry(&b, "", "")], "");
    let ok = authorise(&only_b, &gateway, keyring.as_ref())
        .await
        .unwrap();
    let saved = save_authorised(&only_b, &ok, &file, keyring.clone()).unwrap();
    assert_eq!(saved.stores.len(), 1);
    assert!(keyring.store_token(&a.epoi_id, a.business_id).is_none());
    assert!(keyring.store_token(&b.epoi_id, b.business_id).is_some());
}
