use std::collections::HashMap;
use std::sync::Mutex;

use super::*;
use crate::config::SecretStore;

/// An in-memory keyring: what the shell's OS keyring does, for the round trip.
#[derive(Default)]
struct MemoryKeyring {
    entries: Mutex<HashMap<String, String>>,
    refuse: bool,
}

impl TeamKeyring for MemoryKeyring {
    fn get(&self, entry: &str) -> Option<Secret> {
        self.entries.lock().unwrap().get(entry).map(Secret::new)
    }
    fn set(&self, entry: &str, value: &Secret) -> Result<(), String> {
        if self.refuse {
            return Err("locked".into());
        }
        self.entries
            .lock()
            .unwrap()
            .insert(entry.to_owned(), value.expose().to_owned());
        Ok(())
    }
    fn delete(&self, entry: &str) -> Result<(), String> {
        self.entries.lock().unwrap().remove(entry);
        Ok(())
    }
}

/// A change that makes the form invalid.
type Spoil = Box<dyn Fn(&mut CredentialsForm)>;

fn form() -> CredentialsForm {
    CredentialsForm {
        developer_id: " 106158 ".into(),
        sign_key: "s3cr3t-sign-key".into(),
        stores: vec![
            StoreEntryForm {
                epoi_id: "mt-1001".into(),
                name: "望京店".into(),
                business_id: 16,
                app_auth_token: "token-one".into(),
                auth_code: String::new(),
            },
            StoreEntryForm {
                epoi_id: "mt-1002".into(),
                name: "国贸店".into(),
                business_id: 2,
                app_auth_token: "token-two".into(),
                auth_code: String::new(),
            },
        ],
    }
}

#[test]
fn secrets_go_to_the_keyring_the_rest_to_the_file_and_the_next_start_has_everything() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("imdesk").join("config.toml");
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(
        &path,
        "db_path = \"/data/desk.sqlite3\"\nsign_key = \"old-plain-key\"\n",
    )
    .unwrap();
    let keyring = MemoryKeyring::default();
    save_credentials(&form(), &path, &keyring).unwrap();

    let text = std::fs::read_to_string(&path).unwrap();
    for secret in ["s3cr3t-sign-key", "token-one", "token-two", "old-plain-key"] {
        assert!(
            !text.contains(secret),
            "{secret} must not be in the file:\n{text}"
        );
    }
    assert!(
        text.contains("/data/desk.sqlite3"),
        "other keys kept:\n{text}"
    );

    // What the next start does: load the file, fill the blanks from the keyring.
    let mut config = DeskConfig::from_toml_file(&path).unwrap();
    assert!(config.is_demo(), "no secret in the file alone");
    config.fill_secrets(&keyring);
    assert!(config.has_credentials());
    assert_eq!(config.developer_id, Some(106158));
    assert_eq!(
        config.db_path,
        std::path::PathBuf::from("/data/desk.sqlite3")
    );
    let stores: Vec<_> = config
        .stores
        .iter()
        .map(|s| {
            (
                s.epoi_id.as_str(),
                s.name.as_str(),
                s.business_id,
                s.app_auth_token.expose(),
            )
        })
        .collect();
    assert_eq!(
        stores,
        vec![
            ("mt-1001", "望京店", 16, "token-one"),
            ("mt-1002", "国贸店", 2, "token-two"),
        ]
    );
}

#[test]
fn bad_forms_are_refused_before_anything_is_written() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("config.toml");
    let keyring = MemoryKeyring::default();
    let cases: Vec<(&str, Spoil)> = vec![
        ("developerId", Box::new(|f| f.developer_id = "abc".into())),
        ("developerId", Box::new(|f| f.developer_id = "-5".into())),
        ("signKey", Box::new(|f| f.sign_key = "  ".into())),
        ("at least one store", Box::new(|f| f.stores.clear())),
        ("businessId", Box::new(|f| f.stores[0].business_id = 3)),
        (
            "appAuthToken",
            Box::new(|f| f.stores[1].app_auth_token = String::new()),
        ),
        ("ePoiId", Box::new(|f| f.stores[0].epoi_id = "mt 1".into())),
        ("twice", Box::new(|f| f.stores[1] = f.stores[0].clone())),
    ];
    for (word, spoil) in cases {
        let mut f = form();
        spoil(&mut f);
        let err = save_credentials(&f, &path, &keyring).unwrap_err();
        assert!(
            matches!(&err, CredentialsError::Invalid(m) if m.contains(word)),
            "{word}: {err}"
        );
        assert!(!err.to_string().contains("s3cr3t"), "no secret in errors");
    }
    assert!(keyring.entries.lock().unwrap().is_empty());
    assert!(!path.exists());
}

#[test]
fn a_refusing_keyring_leaves_the_file_alone_and_debug_hides_secrets() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("config.toml");
    let keyring = MemoryKeyring {
        refuse: true,
        ..MemoryKeyring::default()
    };
    let err = save_credentials(&form(), &path, &keyring).unwrap_err();
    assert!(matches!(err, CredentialsError::Keyring { .. }), "{err}");
    assert!(!path.exists());
    let shown = format!("{:?}", form());
    assert!(
        !shown.contains("s3cr3t") && !shown.contains("token-one"),
        "{shown}"
    );
}

#[test]
fn a_store_list_is_read_from_csv_with_or_without_a_header() {
    let with_header =
        "\u{feff}name,epoiId,business_id\n望京店,mt1001,16\n\"国贸店, 二楼\",mt1002,2\n\n";
    let stores = parse_store_csv(with_header).unwrap();
    assert_eq!(
        stores
            .iter()
            .map(|s| (s.epoi_id.as_str(), s.name.as_str(), s.business_id))
            .collect::<Vec<_>>(),
        [("mt1001", "望京店", 16), ("mt1002", "国贸店, 二楼", 2)]
    );
    assert!(stores.iter().all(|s| s.app_auth_token.is_empty()));
    let bare = parse_store_csv("mt2001, 三里屯店 ,16").unwrap();
    assert_eq!(
        (bare[0].epoi_id.as_str(), bare[0].name.as_str()),
        ("mt2001", "三里屯店")
    );
}

#[test]
fn a_bad_csv_is_refused_naming_the_row_or_column() {
    for (text, says) in [
        ("epoi_id,name\nmt1,a", "businessId"),
        ("mt1,a,16\nmt2,b", "row 2"),
        ("mt1,a,16\nmt2,b,3", "row 2: businessId 3"),
        (
            "mt1,a,16\nmt2,b,2\nmt1,c,16",
            "row 3: store mt1 is listed twice (first in row 1)",
        ),
        ("", "no store"),
        ("mt 1,a,16", "row 1: the epoi_id has spaces"),
    ] {
        let e = parse_store_csv(text).unwrap_err().to_string();
        assert!(e.contains(says), "{text:?}: {e}");
    }
}

#[test]
fn one_store_is_added_without_retyping_the_others_secrets() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("config.toml");
    let keyring = MemoryKeyring::default();
    assert_eq!(stored_credentials(&path, &keyring).stores.len(), 0);
    save_credentials(&form(), &path, &keyring).unwrap();
    let stored = stored_credentials(&path, &keyring);
    assert_eq!(stored.developer_id.as_deref(), Some("106158"));
    assert!(stored.sign_key_stored);
    assert_eq!(
        stored
            .stores
            .iter()
            .map(|s| (s.epoi_id.as_str(), s.business_id, s.token_stored))
            .collect::<Vec<_>>(),
        [("mt-1001", 16, true), ("mt-1002", 2, true)]
    );
    assert!(!format!("{stored:?}").contains("token-one"));

    // The stored stores as the form shows them (blank secrets), plus a new one with its token.
    let mut next = form();
    next.sign_key = String::new();
    for s in &mut next.stores {
        s.app_auth_token = String::new();
    }
    next.stores.push(StoreEntryForm {
        epoi_id: "mt-1003".into(),
        name: "三里屯店".into(),
        business_id: 16,
        app_auth_token: "token-three".into(),
        auth_code: String::new(),
    });
    save_credentials(&next, &path, &keyring).unwrap();
    assert_eq!(
        keyring.sign_key(106158).unwrap().expose(),
        "s3cr3t-sign-key",
        "kept"
    );
    assert_eq!(
        keyring.store_token("mt-1001", 16).unwrap().expose(),
        "token-one",
        "kept"
    );
    assert_eq!(
        keyring.store_token("mt-1003", 16).unwrap().expose(),
        "token-three"
    );
    assert_eq!(stored_credentials(&path, &keyring).stores.len(), 3);

    // A new store without a token is refused, naming it, and nothing changes.
    let before = std::fs::read_to_string(&path).unwrap();
    next.stores.push(StoreEntryForm {
        epoi_id: "mt-1004".into(),
        name: String::new(),
        business_id: 2,
        app_auth_token: String::new(),
        auth_code: String::new(),
    });
    let e = save_credentials(&next, &path, &keyring).unwrap_err();
    assert!(e.to_string().contains("mt-1004"), "{e}");
    assert_eq!(std::fs::read_to_string(&path).unwrap(), before);
}

#[test]
fn a_desk_configuration_travels_without_its_secrets() {
    let dir = tempfile::tempdir().unwrap();
    let here = dir.path().join("here.toml");
    std::fs::write(
        &here,
        "developer_id = 106158\nsign_key = \"sk-secret\"\ndb_path = \"/home/a/desk.db\"\n\
         nats_url = \"nats://agent1:pw-secret@10.0.0.5:4222\"\nnats_creds = \"/home/a/x.creds\"\n\
         agent_role = \"agent\"\n\n[[stores]]\nepoi_id = \"mt-1001\"\nname = \"望京店\"\n\
         business_id = 16\napp_auth_token = \"tok-secret\"\nrefresh_token = \"rt-secret\"\n",
    )
    .unwrap();
    let exported = export_desk_config(&here).unwrap();
    for secret in [
        "sk-secret",
        "pw-secret",
        "tok-secret",
        "rt-secret",
        "x.creds",
        "/home/a/desk.db",
    ] {
        assert!(
            !exported.contains(secret),
            "{secret} travelled:\n{exported}"
        );
    }
    assert!(
        exported.contains("nats://agent1@10.0.0.5:4222"),
        "{exported}"
    );
    assert!(exported.contains("mt-1001") && exported.contains("望京店"));

    // The next desk keeps its own database path and takes the rest.
    let there = dir.path().join("there.toml");
    std::fs::write(&there, "db_path = \"/home/b/desk.db\"\n").unwrap();
    let config = import_desk_config(&exported, &there).unwrap();
    assert_eq!(config.developer_id, Some(106158));
    assert_eq!(config.stores.len(), 1);
    assert_eq!(config.db_path, std::path::PathBuf::from("/home/b/desk.db"));

    // A file with a secret, or one that does not load, is refused and nothing is written.
    let before = std::fs::read_to_string(&there).unwrap();
    for (bad, says) in [
        ("sign_key = \"x\"\n", "sign_key"),
        (
            "[[stores]]\nepoi_id = \"a\"\nbusiness_id = 16\napp_auth_token = \"t\"\n",
            "token",
        ),
        ("[[stores]]\nepoi_id = \"a\"\nbusiness_id = 3\n", "business"),
        ("not toml =", "configuration file"),
    ] {
        let e = import_desk_config(bad, &there).unwrap_err().to_string();
        assert!(e.contains(says), "{bad:?}: {e}");
        assert_eq!(std::fs::read_to_string(&there).unwrap(), before);
    }
}
