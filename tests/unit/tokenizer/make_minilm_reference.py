#!/usr/bin/env python3
"""Writes data/all-MiniLM-L6-v2.jsonl: the Hugging Face tokenizer's ids for every text of the
llama.cpp reference corpus, so test_tokenizer_models can check WordPiece parity.

Needs the `tokenizers` package (PyPI) and the default models (packaging/setup.sh).
Usage: python3 make_minilm_reference.py [models_dir]
"""
import json
import os
import sys
from pathlib import Path

from tokenizers import Tokenizer

HERE = Path(__file__).resolve().parent
CORPUS = HERE.parents[1] / "data" / "reference" / "SmolLM2-135M-Instruct.Q4_1" / "tokenizer.jsonl"


def main():
    default_dir = Path(os.environ.get("PARLEY_MODELS_DIR",
                                      Path.home() / ".local" / "share" / "parley" / "models"))
    models = Path(sys.argv[1]) if len(sys.argv) > 1 else default_dir
    tokenizer = Tokenizer.from_file(str(models / "all-MiniLM-L6-v2" / "tokenizer.json"))
    tokenizer.no_truncation()
    tokenizer.no_padding()
    seen = set()
    out_path = HERE / "data" / "all-MiniLM-L6-v2.jsonl"
    with open(CORPUS, encoding="utf-8") as corpus, open(out_path, "w", encoding="utf-8") as out:
        for line in corpus:
            text = json.loads(line)["text"]
            if text in seen:
                continue
            seen.add(text)
            ids = tokenizer.encode(text).ids
            out.write(json.dumps({"text": text, "ids": ids}, ensure_ascii=False) + "\n")
    print(f"{len(seen)} lines -> {out_path}")


if __name__ == "__main__":
    main()
