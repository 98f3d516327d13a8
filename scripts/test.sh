#!/usr/bin/env bash
# Sets up what is missing and runs every test: UI type check and unit tests, the Rust
# workspace's unit and integration tests (sandbox on loopback), the real-window end-to-end tests
# (built app under Xvfb through tauri-driver), the .deb built from that app, installed and
# driven, and a bounded fuzz run of the push frame decoder.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh --test
export PATH="$PWD/tools/bin:$PATH"
step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

step "ui: type check, unit tests, build"
(cd ui && npm run --silent check && npm test --silent && npm run --silent build)

step "rust: build the app for the end-to-end tests"
cargo build -p imdesk

step "rust: unit and integration tests"
# A private session bus for the notification tests; the window tests start their own.
dbus-run-session -- cargo test --workspace --exclude imdesk-tests

step "end-to-end: real window"
# --nocapture: the burst test prints its input-to-paint figures into the log.
cargo test -p imdesk-tests -- --test-threads=1 --nocapture

step "installer: build the .deb, install it, drive the installed app, remove it"
bash scripts/test-deb.sh

if [ -d crates/meituan-push/fuzz ]; then
  step "fuzz: push frame decoder (${IMDESK_FUZZ_SECONDS:-60} s)"
  # Stable toolchain only: RUSTC_BOOTSTRAP lets cargo-fuzz pass its sanitizer flags.
  (cd crates/meituan-push/fuzz && mkdir -p corpus/frame_decoder && \
    RUSTC_BOOTSTRAP=1 cargo fuzz run frame_decoder corpus/frame_decoder seeds/frame_decoder -- \
      -max_total_time="${IMDESK_FUZZ_SECONDS:-60}" -dict=frame_decoder.dict -rss_limit_mb=2048)
fi
step "all tests passed"
