#!/usr/bin/env bash
# Runs every check and test of the project (what CI runs):
#   formatting, clippy (warnings are errors), the Rust tests of the whole
#   workspace (unit, property, conformance vectors, the real server binary
#   over HTTP, the offline clients against it), a bounded fuzz run, the check
#   that mobile/src/api-schema/ matches the server's OpenAPI document, and
#   the browser end-to-end tests of the apps in headless Chromium; then the
#   API suite, the spawned-binary tests, the browser and the Python journeys
#   again on PostgreSQL, the last three on two instances (ADR 0036).
# Needs: the Rust toolchain, Node.js/npm, Debian's chromium and postgresql-15 (see .ci/run).
# PASSREGION_TEST_DATABASE_URL set: the PostgreSQL tests use that cluster instead of a
# throwaway one (scripts/pg-cluster.sh).
# FUZZ_SECONDS=0 skips fuzzing; E2E=0, UNIFFI=0, TAURI=0 skip those parts.
set -euo pipefail
cd "$(dirname "$0")/.."

echo "== cargo fmt --check"
cargo fmt --all -- --check
echo "== server shape (no import cycle, files under 600 lines)"
python3 scripts/server-deps.py
echo "== cargo clippy"
cargo clippy --workspace --all-targets --all-features -- -D warnings
if [ -z "${PASSREGION_TEST_DATABASE_URL:-}" ]; then
  echo "== throwaway PostgreSQL cluster for the PostgreSQL engine's tests (ADR 0036)"
  PG_DIR=$(mktemp -d)
  trap 'scripts/pg-cluster.sh stop "$PG_DIR" || true; rm -rf "$PG_DIR"' EXIT
  PASSREGION_TEST_DATABASE_URL=$(scripts/pg-cluster.sh start "$PG_DIR")
  export PASSREGION_TEST_DATABASE_URL
fi
echo "== cargo test"
cargo test --workspace --all-features
echo "== the server's tests again on PostgreSQL (ADR 0036, test matrix)"
# The in-process API suite, each TestApp on a database of its own; then the
# spawned-binary tests against passregion-cluster: two instances on one
# database behind a round-robin balancer (the tests that choose their engine
# themselves, postgres*.rs and demo_postgres.rs, ran in the pass above).
PASSREGION_TEST_ENGINE=postgres cargo test --all-features -p passregion-server --test api
PASSREGION_TEST_ENGINE=postgres cargo test --all-features -p passregion-tests \
  --test backup --test credentials --test imports --test limits --test operator_journey \
  --test privacy --test server_api --test setup --test sync --test sync_props
if [ "${FUZZ_SECONDS:-30}" != "0" ]; then
  echo "== fuzz smoke"
  scripts/fuzz-smoke.sh "${FUZZ_SECONDS:-30}"
fi
if [ "${E2E:-1}" != "0" ]; then
  echo "== browser end-to-end tests"
  cargo build -p passregion-server
  cargo build -p passregion-tests --bin passregion-offline-partner
  echo "== web app API types up to date with the server's OpenAPI document"
  mobile/scripts/gen-api-types.sh --check
  tests/e2e/run.sh
  echo "== browser end-to-end tests on two instances on PostgreSQL (passregion-cluster)"
  cargo build -p passregion-tests --bin passregion-cluster
  PASSREGION_SERVER="$PWD/target/debug/passregion-cluster" E2E_SKIP_BUILD=1 tests/e2e/run.sh
fi
if [ "${UNIFFI:-1}" != "0" ]; then
  echo "== uniffi bindings (Python journey, Kotlin smoke)"
  uniffi-bindings/test.sh
  echo "== Python journey on two instances on PostgreSQL (passregion-cluster)"
  cargo build -p passregion-tests --bin passregion-cluster
  PASSREGION_SERVER="$PWD/target/debug/passregion-cluster" KOTLIN=0 uniffi-bindings/test.sh
fi
if [ "${TAURI:-1}" != "0" ]; then
  echo "== Tauri desktop app (build, command tests, window under Xvfb)"
  mobile/build-tauri.sh test
  mobile/build-tauri.sh desktop
  tests/e2e/run-tauri.sh
fi
echo "== all checks passed"
