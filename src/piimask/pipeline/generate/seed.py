"""Build the package's seed examples from the hand-written masked texts in seed_masked*.txt.

Run ``python -m piimask.pipeline.generate.seed [TOKENIZER_DIR]`` after editing a seed_masked file;
the output, seed_examples.jsonl, is package data in the 200k schema (tokens from the given
WordPiece tokenizer): the English examples (seed_masked.txt) first, then those of every other
language (seed_masked_<code>.txt, filled with that language's locale values).
"""

from __future__ import annotations

import json
import sys
from importlib import resources
from pathlib import Path

from ...core.fill import fill
from ...core.io import write_jsonl
from ...core.label import span_labels, tokenize_and_label
from ...core.locale_values import FORMATS, LocaleValueFactory
from ...core.values import ValueFactory


def masked_seed_texts(language: str = "en") -> list[str]:
    """The hand-written masked texts of ``language`` (English: seed_masked.txt)."""
    name = "seed_masked.txt" if language == "en" else f"seed_masked_{language}.txt"
    text = (resources.files("piimask") / "data" / name).read_text(encoding="utf-8")
    return [ln.strip() for ln in text.splitlines() if ln.strip() and not ln.startswith("#")]


def build_seed_examples(tokenizer=None, seed: int = 2024) -> list[dict]:
    rows = []
    factories = {"en": ValueFactory(seed=seed, locales=("en_US", "en_GB"))}
    factories.update({code: LocaleValueFactory(code, seed=seed) for code in FORMATS})
    for language, factory in factories.items():
        prefix = "seed-" if language == "en" else f"seed-{language}-"
        for i, m in enumerate(masked_seed_texts(language)):
            f = fill(m, factory)
            rows.append(
                {
                    "id": f"{prefix}{i:03d}",
                    "source_text": f.source_text,
                    "target_text": f.target_text,
                    "privacy_mask": f.privacy_mask,
                    "span_labels": span_labels(f.source_text, f.privacy_mask),
                    "language": language,
                    "set": "seed",
                }
            )
    if tokenizer is not None:
        labelled = tokenize_and_label([r["source_text"] for r in rows], [r["privacy_mask"] for r in rows], tokenizer)
        for r, (tokens, labels, _) in zip(rows, labelled):
            r["mbert_text_tokens"], r["mbert_bio_labels"] = tokens, labels
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
