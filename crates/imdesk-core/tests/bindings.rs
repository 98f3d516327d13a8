//! The committed TypeScript types and UI defaults must be exactly what the Rust side
//! generates, and the command table exactly the commands the shell registers.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeSet;
use std::path::Path;

use imdesk_core::bindings::{generated_dir, render_all};

#[test]
fn committed_typescript_matches_the_rust_types() {
    let dir = generated_dir();
    let mut files = render_all().expect("every IPC type renders");
    files.push(("commands.ts".to_owned(), command_table()));
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

/// `commands.ts`: each command `src-tauri` registers, in its order, with the argument names the
/// webview passes (camelCase, without the `State` the shell injects). Read from the source
/// because the shell's crate is not a dependency here; panics when the `*commands.rs` files
/// and the `generate_handler!` list in `lib.rs` disagree.
fn command_table() -> String {
    let shell = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../src-tauri/src");
    let read = |file: &str| std::fs::read_to_string(shell.join(file)).unwrap();
    // `commands.rs` and the feature files beside it (`review_commands.rs`, …), in name order.
    let mut files: Vec<String> = std::fs::read_dir(&shell)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with("commands.rs"))
        .collect();
    files.sort();
    let commands: String = files.iter().map(|f| read(f)).collect::<Vec<_>>().join("\n");
    let lib = read("lib.rs");
    // `State<…>` and the file's aliases of it (`type Host<'a> = State<…>`) are injected, and so
    // are the handles Tauri passes itself (`AppHandle`, `Window`, `Webview`).
    let mut injected = vec![
        "State<".to_owned(),
        "AppHandle".to_owned(),
        "tauri::AppHandle".to_owned(),
        "Window".to_owned(),
        "Webview".to_owned(),
    ];
    for line in commands.lines() {
        if let Some((alias, ty)) = line.strip_prefix("type ").and_then(|l| l.split_once('=')) {
            if ty.trim().starts_with("State<") {
                injected.push(format!("{}<", alias.split('<').next().unwrap().trim()));
            }
        }
    }
    let mut defined = Vec::new();
    for item in commands.split("#[tauri::command]").skip(1) {
        let (_, signature) = item.split_once("fn ").unwrap();
        let (name, rest) = signature.split_once('(').unwrap();
        let args: Vec<String> = split_top_level(params(rest))
            .iter()
            .filter_map(|p| p.split_once(':'))
            .filter(|(_, ty)| !injected.iter().any(|i| ty.trim().starts_with(i.as_str())))
            .map(|(arg, _)| camel_case(arg.trim()))
            .collect();
        defined.push((name.trim().to_owned(), args));
    }
    let handler = lib.split("generate_handler![").nth(1).unwrap();
    let registered: Vec<&str> = handler[..handler.find(']').unwrap()]
        .split(',')
        .map(|c| c.trim().rsplit("::").next().unwrap_or_default())
        .filter(|c| !c.is_empty())
        .collect();
    let names: BTreeSet<&str> = defined.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(
        names,
        registered.iter().copied().collect(),
        "every #[tauri::command] in src-tauri/src/commands.rs is registered in lib.rs, and only those"
    );
    let mut out = String::from(
        "// Generated from src-tauri/src/commands.rs by crates/imdesk-core/tests/bindings.rs. Do not edit.\n\n\
         /** Each command the shell registers, with the argument names the webview passes. */\n\
         export const COMMANDS = {\n",
    );
    for name in registered {
        let args = &defined.iter().find(|(n, _)| n == name).unwrap().1;
        let quoted: Vec<String> = args.iter().map(|a| format!("\"{a}\"")).collect();
        out.push_str(&format!("  {name}: [{}],\n", quoted.join(", ")));
    }
    out.push_str("} as const;\n");
    out
}

/// The text between a signature's `(` (already consumed) and its matching `)`.
fn params(rest: &str) -> &str {
    let mut depth = 1;
    for (i, c) in rest.char_indices() {
        depth += match c {
            '(' => 1,
            ')' => -1,
            _ => 0,
        };
        if depth == 0 {
            return &rest[..i];
        }
    }
    panic!("unclosed parameter list: {rest}")
}

/// Splits on commas outside `<…>` and `(…)`.
fn split_top_level(s: &str) -> Vec<&str> {
    let (mut depth, mut start, mut out) = (0, 0, Vec::new());
    for (i, c) in s.char_indices() {
        match c {
            '<' | '(' => depth += 1,
            '>' | ')' => depth -= 1,
            ',' if depth == 0 => {
                out.push(&s[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    out.push(&s[start..]);
    out
}

/// Tauri's default renaming of command arguments: `conversation_id` → `conversationId`.
fn camel_case(snake: &str) -> String {
    let mut parts = snake.split('_');
    let mut out = parts.next().unwrap_or_default().to_owned();
    for part in parts {
        let mut chars = part.chars();
        out.extend(chars.next().map(|c| c.to_ascii_uppercase()));
        out.push_str(chars.as_str());
    }
    out
}
