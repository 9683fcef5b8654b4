#!/usr/bin/env bash
# Bounded fuzzing of the QR verifier and scanner (no crash expected).
# Usage: scripts/fuzz-smoke.sh [seconds per target, default 60]
# cargo-fuzz needs nightly features; on stable, RUSTC_BOOTSTRAP=1 enables them.
set -euo pipefail
SECS="${1:-60}"
cd "$(dirname "$0")/../core"
if ! cargo fuzz --version >/dev/null 2>&1; then
  cargo install cargo-fuzz --locked
fi
export RUSTC_BOOTSTRAP=1
for target in verify scan; do
  echo "== fuzz $target for ${SECS}s"
  cargo fuzz run "$target" -- -max_total_time="$SECS" -max_len=4096 -rss_limit_mb=2048
done
echo "fuzz smoke: no crash"
