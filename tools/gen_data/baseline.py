"""Reference numbers for the eval README: a lexical baseline (BM25) and a recency baseline.

Both search only the asking user's memories (the intended protocol). They show what the set
rewards without any semantic model; they are not the engine's numbers.
"""

import math

from common import content_words

K1, B = 1.2, 0.75


def bm25_rank(query, docs):
    """docs: list of (line_id, text). Returns line ids, best first; ties keep file order."""
    toks = [content_words(t) for _, t in docs]
    n = len(docs)
    avg = sum(len(t) for t in toks) / max(n, 1)
    df = {}
    for t in toks:
        for w in t:
            df[w] = df.get(w, 0) + 1
    q = content_words(query)
    scored = []
    for pos, ((line, _), t) in enumerate(zip(docs, toks)):
        tf = {}
        for w in t:
            tf[w] = tf.get(w, 0) + 1
        s = 0.0
        for w in q:
            if w in tf:
                idf = math.log(1 + (n - df[w] + 0.5) / (df[w] + 0.5))
                s += idf * tf[w] * (K1 + 1) / (tf[w] + K1 * (1 - B + B * len(t) / avg))
        scored.append((-s, pos, line))
    scored.sort()
    return [line for _, _, line in scored]


def metrics(ranked, gold):
    g = {x: True for x in gold}
    first = next((i for i, x in enumerate(ranked, 1) if x in g), None)
    out = {"mrr": 1.0 / first if first else 0.0}
    for k in (5, 10):
        top = ranked[:k]
        hit = sum(1 for x in top if x in g)
        out[f"recall@{k}"] = hit / len(gold)
        out[f"complete@{k}"] = 1.0 if hit == len(gold) else 0.0
    return out


def evaluate(memories, queries, types):
    """Returns {baseline: {type or 'all': {metric: mean}}}."""
    by_user = {}
    for i, m in enumerate(memories, start=1):
        by_user.setdefault(m["user"], []).append((i, m["content"]))
    rankers = {
        "BM25": lambda q: bm25_rank(q["query"], by_user[q["user"]]),
        "newest first": lambda q: [i for i, _ in reversed(by_user[q["user"]])],
    }
    result = {}
    for name, rank in rankers.items():
        sums = {}
        for q in queries:
            m = metrics(rank(q), q["gold"])
            for key in (q["type"], "all"):
                acc = sums.setdefault(key, {"n": 0})
                acc["n"] += 1
                for k, v in m.items():
                    acc[k] = acc.get(k, 0.0) + v
        result[name] = {t: {k: v / s["n"] for k, v in s.items() if k != "n"}
                        for t in (*types, "all") for s in [sums.get(t, {"n": 1})]}
    return result
