#!/usr/bin/env python3
"""Splits openapi-typescript's output into one file per topic of the API.

    split-api-types.py TYPES_TS OPENAPI_JSON OUT_DIR

TYPES_TS is openapi-typescript's output for the server's document without its
paths (the app names the JSON bodies through `components["schemas"]`, never
through `paths`). Each schema goes to the topic of the operations that use it
(directly or through other schemas), taken from the path: /api/youth/…,
/api/partner/…, /api/establishment/…, /api/region/…; a schema of several
topics, or of the other paths (/api/auth, /api/me, the public pages), goes to
`common`. A topic longer than MAX_LINES is cut into numbered parts. OUT_DIR
gets `index.ts` (the `components` interface, the intersection of the parts)
and one file per part; it is emptied first. Same input, same files.
"""

import json
import re
import sys
from pathlib import Path

MAX_LINES = 600
TOPICS = ("youth", "partner", "establishment", "region")
HEADER = """// GENERATED FILE, DO NOT EDIT. The types of the server's API, generated
// from its OpenAPI document (`passregion-server openapi`) by openapi-typescript
// and split by topic: mobile/scripts/gen-api-types.sh
// CI fails when it is out of date (mobile/scripts/gen-api-types.sh --check).
// Name the types through the aliases of src/api.ts.
"""
REF = re.compile(r'"\$ref":\s*"#/components/schemas/([^"]+)"')


def topic_of(path: str) -> str:
    parts = path.split("/")
    return parts[2] if len(parts) > 2 and parts[2] in TOPICS else "common"


def schema_topics(doc: dict) -> dict:
    """Schema name -> topic: the one topic of the operations using it, else common."""
    schemas = doc.get("components", {}).get("schemas", {})
    refs = {name: set(REF.findall(json.dumps(s))) for name, s in schemas.items()}
    used: dict = {name: set() for name in schemas}
    for path, item in doc.get("paths", {}).items():
        todo = list(REF.findall(json.dumps(item)))
        seen = set()
        while todo:
            name = todo.pop()
            if name in seen or name not in used:
                continue
            seen.add(name)
            used[name].add(topic_of(path))
            todo.extend(refs[name])
    return {n: (next(iter(t)) if len(t) == 1 else "common") for n, t in used.items()}


def entries(lines: list) -> list:
    """The schemas' entries (name, lines) of the `schemas: {` block's body."""
    out: list = []
    name = None
    block: list = []
    key = re.compile(r"^ {8}\"?([A-Za-z0-9_$.-]+)\"?\??: ")
    for line in lines:
        starts_doc = line.startswith("        /**")
        m = key.match(line)
        if (starts_doc or m) and name is not None:
            out.append((name, block))
            name, block = None, []
        block.append(line)
        if m and name is None:
            name = m.group(1)
    if name is not None:
        out.append((name, block))
    return out


def main() -> int:
    types_ts, openapi_json, out_dir = sys.argv[1:4]
    text = Path(types_ts).read_text().splitlines()
    doc = json.loads(Path(openapi_json).read_text())
    start = text.index("    schemas: {")
    end = text.index("    };", start)
    topics = schema_topics(doc)

    groups: dict = {}
    for name, block in entries(text[start + 1 : end]):
        groups.setdefault(topics.get(name, "common"), []).append(block)

    parts = []  # (file stem, interface name, lines)
    for topic in ("common",) + TOPICS:
        chunks: list = [[]]
        for block in groups.get(topic, []):
            if chunks[-1] and len(chunks[-1]) + len(block) > MAX_LINES - 10:
                chunks.append([])
            chunks[-1].extend(line[4:] for line in block)
        for i, chunk in enumerate(c for c in chunks if c):
            stem = topic if i == 0 else f"{topic}-{i + 1}"
            iface = "".join(w.capitalize() for w in stem.split("-")) + "Schemas"
            parts.append((stem, iface, chunk))

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    for old in out.glob("*.ts"):
        old.unlink()
    for stem, iface, chunk in parts:
        body = [
            HEADER,
            "import type { components } from './index';",
            "",
            f"/** The schemas of the {stem} part of the API. */",
            f"export interface {iface} {{",
            *chunk,
            "}",
            "",
        ]
        (out / f"{stem}.ts").write_text("\n".join(body))
    index = [HEADER]
    index += [f"import type {{ {iface} }} from './{stem}';" for stem, iface, _ in parts]
    index += [""]
    index += text[:start]
    index.append("    schemas: " + " & ".join(iface for _, iface, _ in parts) + ";")
    index += text[end + 1 :]
    index.append("")
    (out / "index.ts").write_text("\n".join(index))
    return 0


if __name__ == "__main__":
    sys.exit(main())
