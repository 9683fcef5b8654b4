#!/usr/bin/env bash
# The Tauri desktop window under Xvfb with WebKitWebDriver: the smoke test,
# and the offline partner journey on the core (tauri/offline.test.js).
# Needs: target/debug/passregion-server, mobile/src-tauri/target/debug/passregion-app
# (mobile/build-tauri.sh desktop) and `apt-get install -y xvfb xauth webkit2gtk-driver`.
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
cd "$HERE"
[ -d node_modules ] || npm ci --no-audit --no-fund
exec xvfb-run -a -s '-screen 0 1280x1024x24' node --test --test-concurrency=1 --test-reporter=spec --test-reporter-destination=stdout tauri/smoke.test.js tauri/offline.test.js tauri/youth.test.js
