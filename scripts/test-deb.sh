#!/usr/bin/env bash
# The installer as an IT person uses it: packages the already-built debug app as a .deb with the
# Tauri CLI (no second build), checks the dependencies it declares, installs it with apt, drives
# the installed /usr/bin/imdesk through the shell window test under Xvfb, and removes it again.
# Needs root or sudo (apt). Run by scripts/test.sh after `cargo build -p imdesk`.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
TARGET=${CARGO_TARGET_DIR:-$ROOT/target}
SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
say() { printf '\033[1m[deb]\033[0m %s\n' "$*"; }
fail() { say "FAILED: $*"; exit 1; }

[ -x "$TARGET/debug/imdesk" ] || fail "$TARGET/debug/imdesk is missing: run cargo build -p imdesk first"
# Installing and removing a package named imdesk would clobber a real installation.
if dpkg-query -W -f='${Status}' imdesk 2>/dev/null | grep -q "install ok installed"; then
  fail "imdesk is already installed on this machine; remove it first (apt-get remove imdesk)"
fi

# 1. Bundle: `tauri bundle` packages the existing binary; `--debug` picks target/debug. The
#    configuration asks for updater artifacts, which need a signing key: a throwaway one here
#    (releases pass the real one in TAURI_SIGNING_PRIVATE_KEY, see README).
start=$SECONDS
keys=$(mktemp -d)
trap 'rm -rf "$keys"' EXIT
rm -rf "$TARGET/debug/bundle/deb"
"$ROOT/ui/node_modules/.bin/tauri" signer generate --ci -p "" -w "$keys/ci.key" >/dev/null
# (its public half replaces the configured one for this bundle only, so the CLI does not warn)
(cd src-tauri && TAURI_SIGNING_PRIVATE_KEY="$keys/ci.key" TAURI_SIGNING_PRIVATE_KEY_PASSWORD="" \
  "$ROOT/ui/node_modules/.bin/tauri" bundle --debug --bundles deb --ci \
  --config "{\"plugins\":{\"updater\":{\"pubkey\":\"$(cat "$keys/ci.key.pub")\"}}}")
rm -rf "$keys"
debs=("$TARGET"/debug/bundle/deb/imdesk_*.deb)
[ "${#debs[@]}" -eq 1 ] && [ -f "${debs[0]}" ] || fail "expected one .deb, found: ${debs[*]}"
deb=${debs[0]}
[ -s "$deb.sig" ] || fail "no updater signature $(basename "$deb").sig beside the package"
say "bundled $(basename "$deb"): $(stat -c %s "$deb") bytes in $((SECONDS - start)) s, with its updater signature"

# 2. What it declares: the WebKitGTK/GTK runtime, the tray, ALSA, D-Bus, and a CJK font so
#    Chinese never renders as boxes; what it ships: the binary, a launcher and icons.
depends=$(dpkg-deb -f "$deb" Depends)
say "Depends: $depends"
for want in libwebkit2gtk-4.1-0 libgtk-3-0 libayatana-appindicator3-1 libasound2 fonts-noto-cjk; do
  grep -qw -- "$want" <<<"$depends" || fail "Depends lacks $want"
done
contents=$(dpkg-deb -c "$deb")
for want in usr/bin/imdesk usr/share/applications/imdesk.desktop usr/share/icons/hicolor/128x128/apps/imdesk.png; do
  grep -qE -- " (\./)?$want$" <<<"$contents" || fail "the package lacks $want"
done

# 3. Install it the documented way; remove it whatever happens next.
remove() {
  say "removing the package"
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get remove -y -qq --purge imdesk >/dev/null || true
}
trap remove EXIT
start=$SECONDS
$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$deb" >/dev/null
say "installed in $((SECONDS - start)) s"
[ "$(dpkg -S /usr/bin/imdesk | cut -d: -f1)" = imdesk ] || fail "/usr/bin/imdesk is not the package's"
grep -q '^Exec=imdesk' /usr/share/applications/imdesk.desktop || fail "the launcher does not start imdesk"
fc-list :lang=zh-cn family | grep -q . || fail "no Chinese font after installing the package"

# 4. The installed binary in a real window: version from Rust, Chinese demo badge, language switch.
IMDESK_APP=/usr/bin/imdesk cargo test -p imdesk-tests --test window_shell -- --test-threads=1

# 5. Removal leaves no binary or launcher behind.
trap - EXIT
remove
[ ! -e /usr/bin/imdesk ] || fail "/usr/bin/imdesk is still there after removal"
[ ! -e /usr/share/applications/imdesk.desktop ] || fail "the launcher is still there after removal"
say "installed, driven and removed"
