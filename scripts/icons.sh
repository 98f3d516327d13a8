#!/usr/bin/env bash
# Regenerates every icon size from icons/imdesk.svg with the Tauri CLI's icon generator.
set -euo pipefail
cd "$(dirname "$0")/.."
npx --yes @tauri-apps/cli@2.12.5 icon icons/imdesk.svg -o icons
rm -rf icons/android icons/ios   # mobile targets are not built
