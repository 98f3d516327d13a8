//! Every earlier schema upgrades to one equal to a fresh database.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic on failure

use imdesk_store::schema::{latest_version, migrate_to, version};
use imdesk_store::{Store, StoreOptions};
use rusqlite::Connection;

fn schema_of(path: &std::path::Path) -> Vec<(String, String, String, Option<String>)> {
    let conn = Connection::open(path).unwrap();
    let mut stmt = conn
        .prepare("SELECT type, name, tbl_name, sql FROM sqlite_master ORDER BY type, name")
        .unwrap();
    stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap()
}

#[test]
fn every_earlier_version_upgrades_to_the_fresh_schema() {
    let dir = tempfile::tempdir().unwrap();
    let fresh = dir.path().join("fresh.sqlite3");
    drop(Store::open(&fresh, StoreOptions::default()).unwrap());
    let expected = schema_of(&fresh);
    assert!(expected
        .iter()
        .any(|(_, name, _, _)| name == "reply_events"));
    assert_eq!(
        version(&Connection::open(&fresh).unwrap()).unwrap(),
        latest_version()
    );

    for old in 0..latest_version() {
        let path = dir.path().join(format!("v{old}.sqlite3"));
        {
            let mut conn = Connection::open(&path).unwrap();
            migrate_to(&mut conn, old).unwrap();
            assert_eq!(version(&conn).unwrap(), old);
            if old >= 1 {
                conn.execute(
                    "INSERT INTO stores (epoi_id, name) VALUES ('s1', '望京店')",
                    [],
                )
                .unwrap();
            }
        }
        let store = Store::open(&path, StoreOptions::default()).unwrap();
        if old >= 1 {
            assert_eq!(
                store.stores().unwrap()[0].name,
                "望京店",
                "data kept from v{old}"
            );
        }
        drop(store);
        assert_eq!(schema_of(&path), expected, "upgrade from v{old}");
        assert_eq!(
            version(&Connection::open(&path).unwrap()).unwrap(),
            latest_version()
        );
    }
}

#[test]
fn a_newer_schema_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("future.sqlite3");
    Connection::open(&path)
        .unwrap()
        .pragma_update(None, "user_version", latest_version() + 1)
        .unwrap();
    let err = Store::open(&path, StoreOptions::default()).unwrap_err();
    assert!(
        matches!(err, imdesk_store::StoreError::SchemaTooNew { .. }),
        "{err}"
    );
}
