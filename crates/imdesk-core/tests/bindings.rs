//! The committed TypeScript types and UI defaults must be exactly what the Rust side generates.

use std::collections::BTreeSet;

use imdesk_core::bindings::{generated_dir, render_all};

#[test]
fn committed_typescript_matches_the_rust_types() {
    let dir = generated_dir();
    let files = render_all().expect("every IPC type renders");
    if std::env::var_os("IMDESK_UPDATE_BINDINGS").is_some() {
        std::fs::create_dir_all(&dir).unwrap();
        for old in std::fs::read_dir(&dir).unwrap() {
            let old = old.unwrap().path();
            if old.extension().is_some_and(|e| e == "ts" || e == "json") {
                std::fs::remove_file(old).unwrap();
            }
        }
        for (name, text) in &files {
            std::fs::write(dir.join(name), text).unwrap();
        }
    }
    let mut stale = Vec::new();
    for (name, text) in &files {
        if std::fs::read_to_string(dir.join(name)).ok().as_deref() != Some(text.as_str()) {
            stale.push(name.clone());
        }
    }
    assert!(
        stale.is_empty(),
        "generated files are out of date: {stale:?}; \
         run IMDESK_UPDATE_BINDINGS=1 cargo test -p imdesk-core --test bindings"
    );

    // Every type a generated file imports is generated too, and nothing else lies there.
    let names: BTreeSet<String> = files.iter().map(|(n, _)| n.clone()).collect();
    for (name, text) in &files {
        for line in text.lines().filter(|l| l.starts_with("import type")) {
            let target = line
                .rsplit('"')
                .nth(1)
                .unwrap_or_default()
                .trim_start_matches("./");
            let file = format!("{target}.ts");
            assert!(
                names.contains(&file),
                "{name} imports {file}, which is not generated"
            );
        }
    }
    let on_disk: BTreeSet<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".ts") || n.ends_with(".json"))
        .collect();
    assert_eq!(
        on_disk,
        names,
        "stray or missing files in {}",
        dir.display()
    );
}
