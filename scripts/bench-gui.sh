#!/usr/bin/env bash
# The GUI's own cost (issue 25, item 6): builds the release app and the empty window
# (tests/gui-baseline) in one cargo invocation, so both link the same compiled tauri, packages
# both as .deb with the Tauri CLI (no second build), then runs bench-gui (tests/gui-bench), which
# starts a private Xvfb and D-Bus session and measures idle PSS of each whole process tree,
# start to first page, imdesk's PSS over a compressed dinner peak, and the sizes. It prints our
# figure beside the empty window's, the ratio and PASS/MISS per target. Takes ~13 minutes
# after the build (the first run also generates the 1M-message cache, kept under the target
# directory). Not part of scripts/test.sh: too slow. Sizes and rates: see
# tests/gui-bench/src/main.rs (IMDESK_GUI_BENCH_*).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
TARGET=${CARGO_TARGET_DIR:-$ROOT/target}
say() { printf '\033[1m[bench-gui]\033[0m %s\n' "$*"; }

if [ ! -d ui/node_modules ]; then (cd ui && npm ci --no-audit --no-fund); fi
(cd ui && npm run --silent build)
say "release build: imdesk, the empty window and the runner"
cargo build --release -p imdesk -p imdesk-gui-baseline -p imdesk-gui-bench \
  --features imdesk/custom-protocol,imdesk-gui-baseline/custom-protocol

# The packages an IT person would install, from the binaries just built. imdesk's bundle also
# makes updater artifacts, which need a signing key: a throwaway one (as scripts/test-deb.sh).
TAURI_CLI="$ROOT/ui/node_modules/.bin/tauri"
keys=$(mktemp -d)
trap 'rm -rf "$keys"' EXIT
"$TAURI_CLI" signer generate --ci -p "" -w "$keys/bench.key" >/dev/null
rm -rf "$TARGET/release/bundle/deb"
(cd src-tauri && TAURI_SIGNING_PRIVATE_KEY="$keys/bench.key" TAURI_SIGNING_PRIVATE_KEY_PASSWORD="" \
  "$TAURI_CLI" bundle --bundles deb --ci \
  --config "{\"plugins\":{\"updater\":{\"pubkey\":\"$(cat "$keys/bench.key.pub")\"}}}" >/dev/null)
(cd tests/gui-baseline && "$TAURI_CLI" bundle --bundles deb --ci >/dev/null)
imdesk_deb=$(ls "$TARGET"/release/bundle/deb/imdesk_*.deb)
baseline_deb=$(ls "$TARGET"/release/bundle/deb/imdesk-gui-baseline_*.deb)

say "measuring (a private Xvfb and D-Bus session; the caller's DISPLAY is not used)"
IMDESK_E2E_OWN_DISPLAY=1 "$TARGET/release/bench-gui" \
  --imdesk "$TARGET/release/imdesk" --baseline "$TARGET/release/imdesk-gui-baseline" \
  --imdesk-deb "$imdesk_deb" --baseline-deb "$baseline_deb" \
  --work "$TARGET/gui-bench"
