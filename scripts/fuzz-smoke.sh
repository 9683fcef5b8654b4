#!/usr/bin/env bash
# Bounded fuzzing of the QR verifier and scanner (no crash expected).
# Usage: scripts/fuzz-smoke.sh [seconds per target, default 60]
# cargo-fuzz needs nightly features; on stable, RUSTC_BOOTSTRAP=1 enables them.
# libFuzzer's progress goes to target/fuzz-smoke-<target>.log; the last lines
# are printed, and the whole log when a target fails.
set -euo pipefail
SECS="${1:-60}"
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT/core"
if ! cargo fuzz --version >/dev/null 2>&1; then
  cargo install cargo-fuzz --locked
fi
export RUSTC_BOOTSTRAP=1
mkdir -p "$ROOT/target"
for target in verify scan; do
  log="$ROOT/target/fuzz-smoke-$target.log"
  echo "== fuzz $target for ${SECS}s (log: $log)"
  if ! cargo fuzz run "$target" -- -max_total_time="$SECS" -max_len=4096 -rss_limit_mb=2048 >"$log" 2>&1; then
    cat "$log"
    echo "fuzz smoke: $target FAILED"
    exit 1
  fi
  tail -n 3 "$log"
done
echo "fuzz smoke: no crash"
