"""Shared helpers for the data generators: times, JSONL lines, and a crude lexical-overlap measure.

Everything here is deterministic: no sets are iterated, no hashing is relied upon, and
JSON is written with a fixed key order so a rerun is byte-identical.
"""

import datetime as _dt
import json
import re

UTC = _dt.timezone.utc

# Field order of one memory line; matches the engine's JSONL import/export struct.
MEMORY_FIELDS = (
    "content", "kind", "tags", "metadata", "user", "session", "agent",
    "importance", "pinned", "created_at",
)
KINDS = ("user_query", "assistant_response", "fact", "preference", "interaction")


def parse_time(s):
    """'2026-10-12T09:30:00Z' -> aware datetime (UTC)."""
    return _dt.datetime.strptime(s, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)


def fmt_time(t):
    """Aware datetime -> RFC 3339 UTC with 'Z' and whole seconds."""
    return t.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def memory_line(m):
    """One memory as a JSON line: fixed field order, unset fields omitted, tags and metadata keys sorted."""
    out = {}
    for k in MEMORY_FIELDS:
        v = m.get(k)
        if v is None or v is False or v == [] or v == {}:
            continue
        if k == "tags":
            v = sorted(dict.fromkeys(v))
        elif k == "metadata":
            v = {key: v[key] for key in sorted(v)}
        elif k == "importance":
            v = round(float(v), 2)
        out[k] = v
    return json.dumps(out, ensure_ascii=False, separators=(",", ":"))


def json_line(obj):
    """Any object as a compact JSON line, keys in insertion order."""
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":"))


def write_lines(path, lines):
    """Writes lines with '\\n' endings (never CRLF) as UTF-8."""
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        for line in lines:
            f.write(line)
            f.write("\n")


def write_text(path, text):
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        f.write(text)


# --- lexical overlap ------------------------------------------------------------------------
# Used to label queries: a "paraphrase" query shares no content word with any of its gold
# memories; a "keyword" query shares at least one. The stemmer is deliberately crude (it only
# has to make 'live', 'lives' and 'living' collide), and the stopword list is a standard one.

STOPWORDS = tuple(sorted("""
a about above after again against all am an and any are as at be been before being below
between both but by can could did do does doing don down during each else ever few for from
further had has have having he her here hers herself him himself his how i if in into is it
its itself just me more most my myself no nor not now of off on once only or other our ours
ourselves out over own same she should so some such than that the their theirs them
themselves then there these they this those through to too under until up very was we were
what when where which while who whom why will with would you your yours yourself
yourselves also get got still really one let tell remind again back know right ll ve re
""".split()))
_STOP_INDEX = {w: True for w in STOPWORDS}
_WORD = re.compile(r"[a-z0-9]+")


def stem(w):
    """Crude suffix stripping: living/lives/live -> liv, cats -> cat, moved -> mov."""
    for suf in ("ing", "ed", "es", "s"):
        if len(w) > len(suf) + 2 and w.endswith(suf):
            w = w[: -len(suf)]
            break
    if len(w) > 3 and w.endswith("e"):
        w = w[:-1]
    return w


def content_words(text):
    """Stemmed content words of a text, in first-seen order, without repeats."""
    out = {}
    for w in _WORD.findall(text.lower()):
        if len(w) < 2 or w in _STOP_INDEX:
            continue
        out[stem(w)] = True
    return list(out)


def overlap(a, b):
    """Content words shared by two texts (stemmed), in a's order."""
    bw = {w: True for w in content_words(b)}
    return [w for w in content_words(a) if w in bw]
