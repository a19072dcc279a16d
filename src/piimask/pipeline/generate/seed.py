"""Build the package's seed examples from the hand-written masked texts in seed_masked.txt.

Run ``python -m piimask.pipeline.generate.seed [TOKENIZER_DIR]`` after editing seed_masked.txt; the output,
seed_examples.jsonl, is package data in the 200k schema (tokens from the given WordPiece tokenizer).
"""
from __future__ import annotations

import sys
from importlib import resources
from pathlib import Path

from ...core.fill import fill
from ...core.io import write_jsonl
from ...core.label import span_labels, tokenize_and_label
from ...core.values import ValueFactory


def build_seed_examples(tokenizer=None, seed: int = 2024) -> list[dict]:
    text = (resources.files("piimask") / "data" / "seed_masked.txt").read_text()
    masked = [ln.strip() for ln in text.splitlines() if ln.strip() and not ln.startswith("#")]
    factory = ValueFactory(seed=seed, locales=("en_US", "en_GB"))
    rows = []
    for i, m in enumerate(masked):
        f = fill(m, factory)
        rows.append({"id": f"seed-{i:03d}", "source_text": f.source_text, "target_text": f.target_text,
                     "privacy_mask": f.privacy_mask, "span_labels": span_labels(f.source_text, f.privacy_mask),
                     "language": "en", "set": "seed"})
    if tokenizer is not None:
        labelled = tokenize_and_label([r["source_text"] for r in rows], [r["privacy_mask"] for r in rows], tokenizer)
        for r, (tokens, labels, _) in zip(rows, labelled):
            r["mbert_text_tokens"], r["mbert_bio_labels"] = tokens, labels
    import json

    for r in rows:  # the dataset stores span_labels as a JSON string
        r["span_labels"] = json.dumps(r["span_labels"])
    return rows


def main() -> None:
    from transformers import AutoTokenizer

    tok = AutoTokenizer.from_pretrained(sys.argv[1] if len(sys.argv) > 1 else "outputs/base-model")
    out = Path(str(resources.files("piimask") / "data" / "seed_examples.jsonl"))
    write_jsonl(out, build_seed_examples(tok))
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
