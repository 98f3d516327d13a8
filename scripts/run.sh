#!/usr/bin/env bash
# Sets up what is missing, builds the UI and the app, and opens the imdesk window.
# With no credentials configured (IMDESK_* or the config file) it starts in demo mode.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
(cd ui && npm run --silent build)
if [ "$(uname -s)" = Linux ] && [ -z "${DISPLAY:-}" ] && [ -z "${WAYLAND_DISPLAY:-}" ]; then
  echo "[run] no display found; on a headless machine run: xvfb-run -a scripts/run.sh" >&2
fi
exec cargo run --quiet -p imdesk -- "$@"
