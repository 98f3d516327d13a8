use std::collections::HashMap;
use std::sync::Mutex;

use super::*;

#[derive(Default)]
struct MemoryKeyring(Mutex<HashMap<String, String>>);

impl TeamKeyring for MemoryKeyring {
    fn get(&self, entry: &str) -> Option<Secret> {
        self.0.lock().unwrap().get(entry).map(Secret::new)
    }
    fn set(&self, entry: &str, value: &Secret) -> Result<(), String> {
        self.0
            .lock()
            .unwrap()
            .insert(entry.to_owned(), value.expose().to_owned());
        Ok(())
    }
    fn delete(&self, entry: &str) -> Result<(), String> {
        self.0.lock().unwrap().remove(entry);
        Ok(())
    }
}

const CREDS: &str = "-----BEGIN NATS USER JWT-----\neyJ0eXAi\n------END NATS USER JWT------\n\n\
                     -----BEGIN USER NKEY SEED-----\nSUAM-seed-secret\n------END USER NKEY SEED------\n";

fn form() -> TeamSettingsForm {
    TeamSettingsForm {
        url: " nats://alice:s3cret@10.0.0.5:4222 ".into(),
        creds_path: None,
        creds_text: Some(CREDS.into()),
        agent: " 小王 ".into(),
        role: Some("supervisor".into()),
        capacity: Some(5),
        stores: Some(vec![" mt1001 ".into(), "".into(), "mt1002".into()]),
    }
}

#[test]
fn masks_passwords_and_tokens_of_every_url() {
    assert_eq!(
        mask_url("nats://alice:s3cret@host:4222"),
        "nats://alice:****@host:4222"
    );
    assert_eq!(mask_url("tls://tok3n@host"), "tls://****@host");
    assert_eq!(mask_url("nats://host:4222"), "nats://host:4222");
    assert_eq!(
        mask_url("nats://a:b@h1:4222, nats://h2:4222"),
        "nats://a:****@h1:4222,nats://h2:4222"
    );
    assert!(!format!("{:?}", form()).contains("s3cret"));
    assert!(!format!("{:?}", form()).contains("seed-secret"));
}

#[test]
fn a_bad_role_capacity_or_store_is_refused_naming_the_field() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("config.toml");
    let keyring = MemoryKeyring::default();
    for (bad, field) in [
        (
            TeamSettingsForm {
                role: Some("boss".into()),
                ..form()
            },
            "role",
        ),
        (
            TeamSettingsForm {
                capacity: Some(0),
                ..form()
            },
            "capacity",
        ),
        (
            TeamSettingsForm {
                stores: Some(vec!["a,b".into()]),
                ..form()
            },
            "store",
        ),
    ] {
        let e = save_team_settings(&bad, &path, &keyring).unwrap_err();
        assert!(e.to_string().contains(field), "{e}");
        assert!(!path.exists(), "nothing half-saved");
    }
}

#[test]
fn urls_are_checked_without_quoting_them() {
    assert!(check_url("nats://h:4222,tls://h2:4443").is_ok());
    for bad in [
        "",
        "http://h",
        "nats://",
        "h:4222",
        "nats://s3cret@h:4222,ftp://x",
    ] {
        let err = check_url(bad).unwrap_err();
        assert!(!err.to_string().contains("s3cret"), "{err}");
    }
}

#[test]
fn saves_secrets_to_the_keyring_and_the_agent_to_the_file_then_fills_the_next_start() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("config.toml");
    std::fs::write(
        &path,
        "push_connections = 2\nnats_url = \"nats://old:4222\"\n",
    )
    .unwrap();
    let keyring = MemoryKeyring::default();
    save_team_settings(&form(), &path, &keyring).unwrap();

    let text = std::fs::read_to_string(&path).unwrap();
    assert!(
        !text.contains("s3cret") && !text.contains("seed-secret"),
        "{text}"
    );
    assert!(!text.contains("nats_url"), "{text}");
    assert!(text.contains("push_connections = 2"), "{text}");
    assert_eq!(file_agent(&path).as_deref(), Some("小王"));

    let shown = view(&keyring, Some(&path), None);
    assert_eq!(
        shown.url.as_deref(),
        Some("nats://alice:****@10.0.0.5:4222")
    );
    assert!(shown.creds_stored);
    assert_eq!(shown.agent.as_deref(), Some("小王"));
    assert_eq!(
        (shown.role.as_str(), shown.capacity, shown.stores.clone()),
        (
            "supervisor",
            5,
            vec!["mt1001".to_owned(), "mt1002".to_owned()]
        )
    );

    // The next start: the file has no team, the keyring does.
    let mut config = DeskConfig::from_toml(&text, "config").unwrap();
    assert!(config.team.is_none());
    let data = dir.path().join("data");
    fill_team(
        &mut config,
        &keyring,
        file_agent(&path),
        file_setup(&path),
        &data,
    )
    .unwrap();
    let team = config.team.clone().unwrap();
    assert_eq!(team.url, "nats://alice:s3cret@10.0.0.5:4222");
    assert_eq!(team.agent, "小王");
    assert_eq!(team.role, crate::team::Role::Supervisor);
    assert_eq!(team.capacity, 5);
    assert_eq!(team.serves, ["mt1001", "mt1002"]);
    let creds = team.creds.unwrap();
    assert_eq!(std::fs::read_to_string(&creds).unwrap(), CREDS);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&creds).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    assert!(config.is_team_desk());

    // Leaving team mode forgets all of it.
    clear_team_settings(&path, &keyring, &creds).unwrap();
    assert!(keyring.0.lock().unwrap().is_empty());
    assert!(!creds.exists());
    assert!(file_agent(&path).is_none());
    let mut config = DeskConfig::from_toml(&std::fs::read_to_string(&path).unwrap(), "c").unwrap();
    fill_team(&mut config, &keyring, None, AgentSetup::default(), &data).unwrap();
    assert!(config.is_demo());
}

#[test]
fn the_environment_wins_and_gets_no_stored_credentials_for_another_server() {
    let dir = tempfile::tempdir().unwrap();
    let keyring = MemoryKeyring::default();
    save_team_settings(&form(), &dir.path().join("c.toml"), &keyring).unwrap();
    let mut env = HashMap::new();
    env.insert("IMDESK_NATS_URL".to_owned(), "nats://other:4222".to_owned());
    let mut config = DeskConfig::from_sources(None, &env).unwrap();
    fill_team(
        &mut config,
        &keyring,
        None,
        AgentSetup::default(),
        dir.path(),
    )
    .unwrap();
    let team = config.team.unwrap();
    assert_eq!(team.url, "nats://other:4222");
    assert!(team.creds.is_none());
}

#[test]
fn bad_forms_leave_the_keyring_alone() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("c.toml");
    let keyring = MemoryKeyring::default();
    let mut f = form();
    f.creds_text = Some("not a creds file".into());
    assert!(matches!(
        save_team_settings(&f, &path, &keyring),
        Err(CredentialsError::Invalid(_))
    ));
    let mut f = form();
    f.creds_text = None;
    f.creds_path = Some(dir.path().join("missing.creds").display().to_string());
    assert!(save_team_settings(&f, &path, &keyring).is_err());
    assert!(keyring.0.lock().unwrap().is_empty());
    assert!(!path.exists());

    // Credentials from a path, and a URL alone keeps what is stored.
    let file = dir.path().join("agent.creds");
    std::fs::write(&file, CREDS).unwrap();
    f.creds_path = Some(file.display().to_string());
    save_team_settings(&f, &path, &keyring).unwrap();
    f.creds_path = None;
    f.url = "tls://h:4443".into();
    save_team_settings(&f, &path, &keyring).unwrap();
    let shown = view(&keyring, Some(&path), None);
    assert_eq!(shown.url.as_deref(), Some("tls://h:4443"));
    assert!(shown.creds_stored);
}
