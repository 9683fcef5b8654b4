#!/usr/bin/env bash
# End-to-end tests of the web app (mobile/) against the demo server, in
# headless Debian Chromium. Expects target/debug/passregion-server (run
# `cargo build -p passregion-server` first) and the offline partner helper
# (`cargo build -p passregion-tests --bin passregion-offline-partner`, for
# region-desk.test.js); builds the frontend itself.
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"

if [ ! -x "${CHROMIUM:-/usr/bin/chromium}" ]; then
  echo "Chromium manquant : apt-get update && apt-get install -y chromium" >&2
  exit 2
fi
if [ ! -x "${PASSREGION_SERVER:-$ROOT/target/debug/passregion-server}" ]; then
  echo "Serveur manquant : cargo build -p passregion-server" >&2
  exit 2
fi
if [ ! -x "${PASSREGION_OFFLINE_PARTNER:-$ROOT/target/debug/passregion-offline-partner}" ]; then
  echo "Appareil partenaire hors ligne manquant : cargo build -p passregion-tests --bin passregion-offline-partner" >&2
  exit 2
fi

# E2E_SKIP_BUILD=1: the frontend and the test packages are already built (a
# second pass, e.g. on two instances: PASSREGION_SERVER=…/passregion-cluster).
if [ "${E2E_SKIP_BUILD:-0}" != 1 ]; then
  (cd "$ROOT/mobile" && npm ci --no-audit --no-fund && npm run build)
  (cd "$HERE" && npm ci --no-audit --no-fund)
fi
cd "$HERE"
# node's spec reporter prints each test and the summary (tests/pass/fail);
# the exit status is non-zero when a test fails.
node --test --test-concurrency=1 --test-reporter=spec --test-reporter-destination=stdout
