#!/usr/bin/env bash
# Generates mobile/src/api-schema/ (the TypeScript types of the server's
# API, one file per topic: split-api-types.py) from the server's OpenAPI
# document, with openapi-typescript.
#
#   mobile/scripts/gen-api-types.sh           regenerate src/api-schema/
#   mobile/scripts/gen-api-types.sh --check   fail if src/api-schema/ is
#                                             not what the server generates
#
# The document comes from `passregion-server openapi` (the same document as
# GET /api/openapi.json). Binary: $PASSREGION_SERVER, else
# target/debug/passregion-server at the repository root (or under
# $CARGO_TARGET_DIR), built with `cargo build -p passregion-server` when
# missing. It is not rebuilt when present: build it first after changing the
# server. openapi-typescript is installed by `npm ci` in mobile/ (it lives in
# tools/api-gen, next to the TypeScript 5 it needs); run here when missing.
set -euo pipefail
MOBILE="$(cd "$(dirname "$0")/.." && pwd)"
ROOT="$(cd "$MOBILE/.." && pwd)"
OUT="$MOBILE/src/api-schema"
GEN="$MOBILE/tools/api-gen/node_modules/openapi-typescript/bin/cli.js"

check=0
case "${1:-}" in
  "") ;;
  --check) check=1 ;;
  -h | --help) sed -n '2,15p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
  *) echo "usage: $0 [--check]" >&2; exit 2 ;;
esac

server="${PASSREGION_SERVER:-}"
if [ -z "$server" ]; then
  target="${CARGO_TARGET_DIR:-target}"
  case "$target" in /*) ;; *) target="$ROOT/$target" ;; esac
  server="$target/debug/passregion-server"
  if [ ! -x "$server" ]; then
    echo "== $server missing: cargo build -p passregion-server" >&2
    (cd "$ROOT" && cargo build -p passregion-server)
  fi
fi
if [ ! -x "$server" ]; then
  echo "server binary not found or not executable: $server" >&2
  exit 2
fi
if [ ! -f "$GEN" ]; then
  echo "== openapi-typescript missing: npm ci in mobile/" >&2
  (cd "$MOBILE" && npm ci --no-audit --no-fund >&2)
fi

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
"$server" openapi >"$tmp/openapi.json"
# The app names the JSON bodies through components["schemas"], never through
# paths: the types are generated from the schemas alone.
python3 -c 'import json, sys; d = json.load(open(sys.argv[1])); d["paths"] = {}; json.dump(d, open(sys.argv[2], "w"))' \
  "$tmp/openapi.json" "$tmp/schemas.json"
# Run from the empty temp dir so no stray redocly.yaml is picked up; its
# progress lines are shown only when it fails.
if ! (cd "$tmp" && node "$GEN" schemas.json --output types.ts >"$tmp/gen.log" 2>&1); then
  cat "$tmp/gen.log" >&2
  echo "FAIL: openapi-typescript could not convert the server's OpenAPI document." >&2
  exit 1
fi
python3 "$MOBILE/scripts/split-api-types.py" "$tmp/types.ts" "$tmp/openapi.json" "$tmp/api-schema"

if [ "$check" = 1 ]; then
  if [ ! -d "$OUT" ]; then
    echo "FAIL: mobile/src/api-schema/ is missing; run mobile/scripts/gen-api-types.sh and commit it." >&2
    exit 1
  fi
  if ! diff -ru "$OUT" "$tmp/api-schema" >"$tmp/diff"; then
    head -n 200 "$tmp/diff" >&2
    lines=$(wc -l <"$tmp/diff")
    [ "$lines" -le 200 ] || echo "... ($lines diff lines in all)" >&2
    echo >&2
    echo "FAIL: mobile/src/api-schema/ is out of date with the server's OpenAPI document ($server)." >&2
    echo "      Run mobile/scripts/gen-api-types.sh (after cargo build -p passregion-server)" >&2
    echo "      and commit the result; never edit the generated files by hand." >&2
    exit 1
  fi
  echo "mobile/src/api-schema/ is up to date with the server's OpenAPI document."
else
  rm -rf "$OUT"
  cp -r "$tmp/api-schema" "$OUT"
  echo "wrote mobile/src/api-schema/"
fi
