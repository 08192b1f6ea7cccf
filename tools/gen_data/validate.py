#!/usr/bin/env python3
"""Checks the shipped data files: python3 tools/gen_data/validate.py (exit 1 on any problem).

Memories: every line parses; only the import fields; types and ranges as the engine accepts;
kind from the fixed set; RFC 3339 UTC 'Z' times in range; sorted by created_at; content unique
per user (so exact dedup on import cannot shift ids). Queries: exact fields, known type, gold
ids in range, ascending, unique, and owned by the query's user. Graph: fields and ranges,
valid_to after valid_from, tickets a subject 'reported' exist in that user's memories.
README: every id in the demo question table is a line of the sample.
"""

import json
import os
import re
import sys

sys.dont_write_bytecode = True  # keep the tree clean: no __pycache__ next to the scripts
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import KINDS, MEMORY_FIELDS, parse_time  # noqa: E402

ROOT = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
TIME_RE = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$")
QUERY_TYPES = ("paraphrase", "keyword", "changed_fact", "multi_hop", "temporal")
problems = []


def bad(where, msg):
    problems.append(f"{where}: {msg}")


def load(rel):
    out = []
    with open(os.path.join(ROOT, rel), encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            if not line.endswith("\n") or line.endswith("\r\n"):
                bad(f"{rel}:{n}", "line must end with a bare \\n")
            try:
                out.append(json.loads(line))
            except json.JSONDecodeError as e:
                bad(f"{rel}:{n}", f"not JSON: {e}")
                out.append(None)
    return out


def check_time(where, v, lo, hi):
    if not isinstance(v, str) or not TIME_RE.match(v):
        bad(where, f"time {v!r} is not RFC 3339 UTC with Z")
        return False
    if not (lo <= v[:10] <= hi):
        bad(where, f"time {v} outside {lo}..{hi}")
    return True


def check_memories(rel, lo, hi, n_range):
    rows = load(rel)
    if not (n_range[0] <= len(rows) <= n_range[1]):
        bad(rel, f"{len(rows)} memories, expected {n_range[0]}..{n_range[1]}")
    seen, prev = {}, ""
    for n, m in enumerate(rows, 1):
        w = f"{rel}:{n}"
        if not isinstance(m, dict):
            continue
        extra = [k for k in m if k not in MEMORY_FIELDS]
        if extra:
            bad(w, f"unknown fields {extra}")
        if list(m) != [k for k in MEMORY_FIELDS if k in m]:
            bad(w, "fields out of the canonical order")
        c = m.get("content")
        if not isinstance(c, str) or not c.strip():
            bad(w, "content must be a non-empty string")
        if m.get("kind") not in KINDS:
            bad(w, f"kind {m.get('kind')!r}")
        tags = m.get("tags", [])
        if not isinstance(tags, list) or not all(isinstance(t, str) and t and len(t) <= 256 for t in tags):
            bad(w, "tags must be non-empty strings")
        elif tags != sorted(set(tags)) or len(tags) > 64:
            bad(w, "tags must be sorted, unique, at most 64")
        if "metadata" in m and (not isinstance(m["metadata"], dict) or not m["metadata"]):
            bad(w, "metadata must be a non-empty object when present")
        for k in ("user", "session", "agent"):
            if k in m and (not isinstance(m[k], str) or not m[k]):
                bad(w, f"{k} must be a non-empty string")
        if "user" not in m or "agent" not in m:
            bad(w, "user and agent are required in the shipped data")
        if "session" in m and f"session:{m['session']}" not in tags:
            bad(w, "session tag missing")
        imp = m.get("importance")
        if not isinstance(imp, (int, float)) or isinstance(imp, bool) or not 0 <= imp <= 1:
            bad(w, f"importance {imp!r}")
        if "pinned" in m and m["pinned"] is not True:
            bad(w, "pinned must be omitted or true")
        t = m.get("created_at")
        if check_time(w, t, lo, hi):
            if t < prev:
                bad(w, f"not sorted: {t} < {prev}")
            prev = t
        key = (m.get("user"), c)
        if key in seen:
            bad(w, f"same content as line {seen[key]} for the same user")
        seen[key] = n
    return rows


def check_queries(rel, memories, n_range):
    rows = load(rel)
    if not (n_range[0] <= len(rows) <= n_range[1]):
        bad(rel, f"{len(rows)} queries, expected {n_range[0]}..{n_range[1]}")
    texts = {}
    for n, q in enumerate(rows, 1):
        w = f"{rel}:{n}"
        if not isinstance(q, dict):
            continue
        if list(q) != ["query", "user", "gold", "type"]:
            bad(w, f"fields must be query, user, gold, type; got {list(q)}")
            continue
        if not isinstance(q["query"], str) or not q["query"].strip():
            bad(w, "empty query")
        if q["type"] not in QUERY_TYPES:
            bad(w, f"type {q['type']!r}")
        g = q["gold"]
        if not isinstance(g, list) or not g or not all(isinstance(x, int) and not isinstance(x, bool) for x in g):
            bad(w, "gold must be a non-empty list of ints")
            continue
        if g != sorted(set(g)):
            bad(w, "gold must be ascending and unique")
        for x in g:
            if not 1 <= x <= len(memories):
                bad(w, f"gold id {x} out of range 1..{len(memories)}")
            elif memories[x - 1] and memories[x - 1].get("user") != q["user"]:
                bad(w, f"gold id {x} belongs to {memories[x - 1].get('user')}, not {q['user']}")
        key = (q["user"], q["query"])
        if key in texts:
            bad(w, f"duplicate question of line {texts[key]}")
        texts[key] = n
    return rows


def check_graph(rel, memories, n_range):
    rows = load(rel)
    if not (n_range[0] <= len(rows) <= n_range[1]):
        bad(rel, f"{len(rows)} triples, expected {n_range[0]}..{n_range[1]}")
    tickets = {}
    for m in memories:
        if m and "ticket" in m.get("metadata", {}):
            tickets.setdefault(m["user"], {})[m["metadata"]["ticket"]] = True
    allowed = ["subject", "predicate", "object", "confidence", "valid_from", "valid_to", "source"]
    for n, t in enumerate(rows, 1):
        w = f"{rel}:{n}"
        if not isinstance(t, dict):
            continue
        if [k for k in t if k not in allowed] or list(t) != [k for k in allowed if k in t]:
            bad(w, f"fields {list(t)}")
        for k in ("subject", "predicate", "object", "source"):
            if not isinstance(t.get(k), str) or not t.get(k):
                bad(w, f"{k} must be a non-empty string")
        c = t.get("confidence")
        if not isinstance(c, (int, float)) or not 0 <= c <= 1:
            bad(w, f"confidence {c!r}")
        if check_time(w, t.get("valid_from"), "2026-09-01", "2026-11-30") and "valid_to" in t:
            if check_time(w, t["valid_to"], "2026-09-01", "2026-11-30"):
                if parse_time(t["valid_to"]) <= parse_time(t["valid_from"]):
                    bad(w, "valid_to must be after valid_from")
        if t.get("predicate") == "reported":
            user = t["subject"].lower()
            if t["object"] not in tickets.get(user, {}):
                bad(w, f"{t['subject']} reported {t['object']}, but no memory of {user} has that ticket")
    return rows


def check_demo_readme(rel, n):
    text = open(os.path.join(ROOT, rel), encoding="utf-8").read()
    for line in text.splitlines():
        if line.startswith("| ") and "?" in line:
            for cell in line.split("|")[2:4]:
                for x in re.findall(r"\d+", cell):
                    if not 1 <= int(x) <= n:
                        bad(rel, f"id {x} out of range in: {line[:60]}")


def main():
    demo = check_memories("engine/data/support_demo.jsonl", "2026-09-01", "2026-11-30", (120, 200))
    check_graph("engine/data/support_demo_graph.jsonl", demo, (30, 60))
    check_demo_readme("engine/data/README.md", len(demo))
    mems = check_memories("benches/data/eval/memories.jsonl", "2026-01-01", "2026-12-31", (1500, 3000))
    queries = check_queries("benches/data/eval/queries.jsonl", mems, (300, 500))
    for p in problems[:50]:
        print(p)
    if problems:
        print(f"{len(problems)} problems")
        return 1
    users = len({m["user"]: 1 for m in mems})
    print(f"ok: demo {len(demo)} memories; eval {len(mems)} memories of {users} users, {len(queries)} queries")
    return 0


if __name__ == "__main__":
    sys.exit(main())
