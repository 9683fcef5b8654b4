#!/usr/bin/env bash
# Runs the whole system on this machine: builds the apps (web frontend) and
# the server (release), then starts the server on embedded SQLite with a
# demo region, serving the API and both apps at http://127.0.0.1:8080/.
# Data lives in ./data/demo (delete it to start afresh).
# Options are passed to the server, e.g. scripts/run-demo.sh --bind 0.0.0.0:8080
set -euo pipefail
cd "$(dirname "$0")/.."
if command -v npm >/dev/null 2>&1; then
  (cd mobile && npm ci --no-audit --no-fund && npm run build)
else
  echo "npm introuvable : les applications web ne seront pas construites" >&2
fi
cargo build --release -p passregion-server
exec target/release/passregion-server --data-dir data/demo --demo --web-dir mobile/dist "$@"
