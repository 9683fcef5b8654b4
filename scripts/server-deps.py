#!/usr/bin/env python3
"""Checks the shape of the server's code: no import cycle between its files,
no domain file that reaches the composition root (app, router, background,
server, demo), and no file over the size limit.

Each `.rs` file under server/src is a node; `crate::a::b::Name` is an edge to
the file that defines module `a::b` (a/b.rs or a/b/mod.rs). Test modules
(`#[cfg(test)]` to the end of a file) are left out.

Run from the repository root: `python3 scripts/server-deps.py [--graph]`."""
import os, re, sys

ROOT = 'server/src'
LIMIT = 600
TOP = {'app.rs', 'router.rs', 'background.rs', 'main.rs', 'lib.rs', 'setup.rs', 'demo/mod.rs', 'demo/data.rs', 'demo/desk_class.rs', 'demo/class.rs', 'demo/region_staff.rs'}
# The shared handler state: only the HTTP ring (each domain's http.rs, the
# extractors) and the composition root may use it.
STATE = 'state.rs'
HTTP_RING = {'accounts/session.rs'}

files = {}
for dirpath, _, names in os.walk(ROOT):
    for f in names:
        if f.endswith('.rs'):
            path = os.path.join(dirpath, f)
            files[os.path.relpath(path, ROOT)] = open(path, encoding='utf-8').read()

def module_file(segments):
    """The file defining the longest prefix of `segments` that is a module."""
    for n in range(len(segments), 0, -1):
        base = '/'.join(segments[:n])
        for cand in (base + '.rs', base + '/mod.rs'):
            if cand in files:
                return cand
    return None

edges = {}
too_big = []
for rel, text in files.items():
    code = text.split('\n#[cfg(test)]')[0]
    code = '\n'.join(l for l in code.split('\n') if not l.lstrip().startswith('//'))
    lines = code.count('\n')
    if lines > LIMIT:
        too_big.append((rel, lines))
    deps = set()
    for m in re.finditer(r'crate::((?:\w+::)*\w+)(::\{([^}]*)\})?', code):
        segs = m.group(1).split('::')
        targets = [segs]
        if m.group(3):
            targets = [segs + [p.strip().split('::')[0]] for p in m.group(3).split(',') if p.strip()]
        for t in targets:
            f = module_file(t)
            if f and f != rel:
                deps.add(f)
    edges[rel] = deps

problems = []
for rel, deps in edges.items():
    if rel not in TOP:
        for d in deps:
            if d in TOP:
                problems.append(f'upward edge: {rel} -> {d}')
            http = rel.endswith('/http.rs') or rel in HTTP_RING
            if d == STATE and not http:
                problems.append(f'state used below the HTTP ring: {rel} -> {d}')

state = {}
def visit(n, stack):
    state[n] = 1
    for d in sorted(edges.get(n, ())):
        if state.get(d) == 1:
            problems.append('cycle: ' + ' -> '.join(stack[stack.index(d):] + [d]))
        elif d not in state:
            visit(d, stack + [d])
    state[n] = 2
for n in sorted(edges):
    if n not in state:
        visit(n, [n])

if '--graph' in sys.argv:
    for rel in sorted(edges):
        print(f"{rel:34} -> {', '.join(sorted(edges[rel]))}")
for p in problems:
    print(p)
for rel, n in too_big:
    print(f'too long: {rel} ({n} lines, limit {LIMIT})')
print(f'{len(files)} files, {sum(len(d) for d in edges.values())} edges, '
      f'{len(problems)} problems, {len(too_big)} files over {LIMIT} lines')
sys.exit(1 if problems or too_big else 0)
