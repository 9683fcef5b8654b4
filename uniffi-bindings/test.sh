#!/usr/bin/env bash
# Tests the bindings from foreign languages:
#   1. installs what it needs, idempotently (fast when present): pytest and
#      cryptography (pip), kotlin-compiler (npm, into target/uniffi-tools),
#      libjna-java (apt);
#   2. builds the server binary (debug) and the bindings library, generates
#      the Kotlin, Swift and Python bindings (generate.sh);
#   3. runs the Python suite (tests/python, pytest) against the real server;
#   4. compiles the generated Kotlin bindings with a smoke program and runs it
#      on the JDK (skip with KOTLIN=0).
# Swift is generated only: there is no Swift compiler on Debian 12.
#
#   uniffi-bindings/test.sh              # all
#   KOTLIN=0 uniffi-bindings/test.sh     # without Kotlin
#   PYTEST_ARGS="-k journey" uniffi-bindings/test.sh
#
# Exits non-zero on any failure.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/.." && pwd)"
CARGO="${CARGO:-cargo}"
PYTHON="${PYTHON:-python3}"
KOTLIN="${KOTLIN:-1}"
TOOLS="${UNIFFI_TOOLS_DIR:-$ROOT/target/uniffi-tools}"
step() { printf '\n== %s\n' "$*" >&2; }

# --- 1. Tools -------------------------------------------------------------
step "tools"
if ! "$PYTHON" -c 'import pytest, cryptography' 2>/dev/null; then
  "$PYTHON" -m pip install --quiet --disable-pip-version-check pytest cryptography
fi
if [ "$KOTLIN" != 0 ]; then
  KOTLINC="$TOOLS/node_modules/kotlin-compiler/bin/kotlinc-jvm"
  if [ ! -x "$KOTLINC" ]; then
    mkdir -p "$TOOLS"
    npm install --prefix "$TOOLS" --no-audit --no-fund --silent kotlin-compiler
  fi
  JNA_JAR=/usr/share/java/jna.jar
  if [ ! -f "$JNA_JAR" ]; then
    export DEBIAN_FRONTEND=noninteractive
    apt-get install -y --no-install-recommends libjna-java >/dev/null \
      || { apt-get update >/dev/null && apt-get install -y --no-install-recommends libjna-java >/dev/null; }
  fi
  command -v java >/dev/null || { echo "java (JDK 17) is required for the Kotlin test; KOTLIN=0 skips it" >&2; exit 1; }
fi

# --- 2. Build and generate ------------------------------------------------
step "build the server and generate the bindings"
if [ -z "${PASSREGION_SERVER:-}" ]; then
  (cd "$ROOT" && "$CARGO" build -p passregion-server --bin passregion-server >&2)
fi
LIB="$("$HERE/generate.sh" | tail -n 1)"
LIB_DIR="$(dirname "$LIB")"
export PASSREGION_SERVER="${PASSREGION_SERVER:-$LIB_DIR/passregion-server}"

# --- 3. Python ------------------------------------------------------------
step "Python: tests/python against the real server"
# shellcheck disable=SC2086
(cd "$HERE/tests/python" && "$PYTHON" -m pytest -ra -p no:cacheprovider ${PYTEST_ARGS:-})

# --- 4. Kotlin ------------------------------------------------------------
if [ "$KOTLIN" != 0 ]; then
  step "Kotlin: compile the generated bindings and run the smoke program"
  KT="$HERE/generated/kotlin/uniffi/passregion_uniffi/passregion_uniffi.kt"
  SMOKE="$HERE/tests/kotlin/Smoke.kt"
  OUT="$ROOT/target/uniffi-kotlin"
  mkdir -p "$OUT"
  # Recompile only when the bindings or the smoke program changed (≈ 1 min).
  SUM="$(cat "$KT" "$SMOKE" | sha256sum | cut -d' ' -f1)"
  if [ ! -f "$OUT/smoke.jar" ] || [ "$(cat "$OUT/smoke.sum" 2>/dev/null)" != "$SUM" ]; then
    rm -f "$OUT/smoke.sum"
    "$KOTLINC" "$KT" "$SMOKE" -cp "$JNA_JAR" -include-runtime -nowarn -d "$OUT/smoke.jar"
    echo "$SUM" > "$OUT/smoke.sum"
  fi
  java -Djna.library.path="$LIB_DIR" -cp "$OUT/smoke.jar:$JNA_JAR" SmokeKt
else
  step "Kotlin: skipped (KOTLIN=0)"
fi

step "Swift: generated only (no Swift compiler here): $HERE/generated/swift"
echo "uniffi-bindings: all tests passed" >&2
