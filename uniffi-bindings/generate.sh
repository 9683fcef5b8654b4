#!/usr/bin/env bash
# Generates the Kotlin, Swift and Python bindings of passregion-uniffi.
#
#   uniffi-bindings/generate.sh            # → uniffi-bindings/generated/{kotlin,swift,python}
#
# 1. Builds, in ONE cargo invocation (so that features are not toggled
#    between two builds), the library (debug, unstripped) and the
#    `uniffi-bindgen` tool of this crate (feature `bindgen`, never in
#    release builds: it is slow to compile).
# 2. Runs uniffi-bindgen in library mode on that UNSTRIPPED library: the
#    bindings are read from metadata symbols that `strip` removes. Ship the
#    stripped `release-mobile` library, generate from an unstripped one.
# 3. Links the library next to the Python module (uniffi's Python loader looks
#    in the module's directory).
#
# Environment: CARGO (default cargo). Prints the library path on the last line.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/.." && pwd)"
CARGO="${CARGO:-cargo}"
OUT="$HERE/generated"

cd "$ROOT"
"$CARGO" build -p passregion-uniffi --features bindgen --lib --bin uniffi-bindgen >&2

TARGET_DIR="$("$CARGO" metadata --format-version 1 --no-deps \
  | python3 -c 'import json, sys; print(json.load(sys.stdin)["target_directory"])')"
case "$(uname -s)" in
  Darwin) LIB_FILE=libpassregion_uniffi.dylib ;;
  *) LIB_FILE=libpassregion_uniffi.so ;;
esac
LIB="$TARGET_DIR/debug/$LIB_FILE"
BINDGEN="$TARGET_DIR/debug/uniffi-bindgen"
[ -f "$LIB" ] || { echo "missing $LIB" >&2; exit 1; }

rm -rf "$OUT"
for lang in kotlin swift python; do
  mkdir -p "$OUT/$lang"
  # --no-format: ktlint and swift-format are not installed here.
  "$BINDGEN" generate --library "$LIB" --language "$lang" --out-dir "$OUT/$lang" --no-format >&2
done
ln -sf "$LIB" "$OUT/python/$LIB_FILE"

echo "generated: $(cd "$OUT" && find . -type f -o -type l | sort | tr '\n' ' ')" >&2
echo "$LIB"
