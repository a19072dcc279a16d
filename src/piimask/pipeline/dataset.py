"""Labelled records, leak-free splits, the DatasetDict, and the check against the original dataset."""

from __future__ import annotations

import json
import random
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from pathlib import Path

from ..core.label import bio_for_given_tokens, span_labels, tokenize_and_label
from ..core.record import Record
from ..core.taxonomy import BIO_LABELS, ID2LABEL, LABEL2ID

SPLITS = ("train", "validation", "test")


def split_group(rec: Record) -> str:
    """The unit that must stay in one split: the offline fragment family (``fNN`` of
    ``fNN/<fragments>``), otherwise the few-shot example of an LLM prompt, otherwise the id."""
    tid = rec.template_id or ""
    if "/" in tid:
        return tid.split("/", 1)[0]
    return tid or (f"example/{rec.example_id}" if rec.example_id else f"record/{rec.id}")


def split_records(
    records: Sequence[Record], validation_fraction: float, test_fraction: float, seed: int
) -> dict[str, list[Record]]:
    """Seeded split by group: every group lands whole in one split, sizes close to the fractions."""
    if not records:
        raise ValueError(
            "no accepted records to split: see the generate stage's generation.json and "
            "request_errors.jsonl, and the reasons in rejected.jsonl"
        )
    groups: dict[str, list[Record]] = defaultdict(list)
    for r in records:
        groups[split_group(r)].append(r)
    names = sorted(groups)
    random.Random(seed).shuffle(names)
    n = len(records)
    targets = {"test": test_fraction * n, "validation": validation_fraction * n}
    out: dict[str, list[Record]] = {s: [] for s in SPLITS}
    for name in names:
        members = groups[name]
        # fill test, then validation, up to their targets; the rest is train
        for split in ("test", "validation"):
            if len(out[split]) < targets[split] and (
                len(out[split]) + len(members) <= targets[split] * 1.5 or not out[split]
            ):
                out[split].extend(members)
                break
        else:
            out["train"].extend(members)
    for split, recs in out.items():
        for r in recs:
            r.set = split
    return out


def assert_no_leak(splits: dict[str, Sequence[Record]]) -> dict[str, set[str]]:
    """Raise if any group, record id or source text appears in two splits; return the groups."""
    groups = {s: {split_group(r) for r in recs} for s, recs in splits.items()}
    for key, fn in (("group", split_group), ("id", lambda r: r.id), ("text", lambda r: r.source_text)):
        seen: dict[str, str] = {}
        for s, recs in splits.items():
            for r in recs:
                k = fn(r)
                if k in seen and seen[k] != s:
                    raise AssertionError(f"{key} {k!r} is in both {seen[k]} and {s}: the splits leak")
                seen[k] = s
    return groups


def label_records(records: list[Record], tokenizer, tokenizer_name: str = "") -> list[Record]:
    """Fill span_labels, tokens and BIO labels of every record (one batched tokenizer call)."""
    labelled = tokenize_and_label([r.source_text for r in records], [r.privacy_mask for r in records], tokenizer)
    for r, (tokens, labels, _) in zip(records, labelled):
        r.span_labels = span_labels(r.source_text, r.privacy_mask)
        r.mbert_text_tokens, r.mbert_bio_labels = tokens, labels
        r.tokenizer = tokenizer_name
    return records


COLUMNS = (
    "id",
    "source_text",
    "target_text",
    "privacy_mask",
    "span_labels",
    "mbert_text_tokens",
    "mbert_bio_labels",
    "language",
    "set",
    "field",
    "style",
    "backend",
    "model_id",
    "template_id",
    "example_id",
    "tokenizer",
)


def to_dataset_dict(splits: dict[str, list[Record]]):
    """A ``datasets.DatasetDict`` with the 200k columns plus metadata and ``ner_tags``: the BIO
    labels as a ``Sequence(ClassLabel)`` whose names are the label ids' (``label2id.json``)."""
    import datasets

    dd = {}
    for split, recs in splits.items():
        rows = {c: [] for c in COLUMNS}
        rows["ner_tags"] = []
        for r in recs:
            d = r.to_dict()
            for c in COLUMNS:
                rows[c].append(d[c] if c != "privacy_mask" else [dict(e) for e in d[c]])
            rows["ner_tags"].append([LABEL2ID[lab] for lab in r.mbert_bio_labels])
        ds = datasets.Dataset.from_dict(rows)
        features = ds.features.copy()
        features["ner_tags"] = datasets.Sequence(datasets.ClassLabel(names=list(BIO_LABELS)))
        dd[split] = ds.cast(features)
    return datasets.DatasetDict(dd)


def save_splits(splits: dict[str, list[Record]], out_dir: str | Path, card: str | None = None) -> Path:
    """Parquet per split, ``save_to_disk``, and ``label2id.json`` beside them; ``card`` (the
    dataset card, ``cards.dataset_card``) as ``README.md`` in the folder and in ``hf/``."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    dd = to_dataset_dict(splits)
    for split, ds in dd.items():
        ds.to_parquet(str(out / f"{split}.parquet"))
    dd.save_to_disk(str(out / "hf"))
    (out / "label2id.json").write_text(json.dumps(LABEL2ID, indent=1))
    if card is not None:
        for folder in (out, out / "hf"):
            (folder / "README.md").write_text(card, encoding="utf-8")
    return out


def load_splits(out_dir: str | Path) -> dict[str, list[Record]]:
    import pandas as pd

    out = {}
    for split in SPLITS:
        p = Path(out_dir) / f"{split}.parquet"
        if p.exists():
            out[split] = [Record.from_dict(r) for r in pd.read_parquet(p).to_dict("records")]
    return out


# -- the check against the original dataset ----------------------------------------------------


def check_reference(rows: Iterable[dict]) -> dict:
    """Recompute span_labels from privacy_mask and BIO labels from the stored tokens; compare.

    Returns agreement percentages and the disagreeing rows (id, what differs).
    """
    n_span = n_span_ok = n_bio = n_bio_ok = n_tok = n_tok_ok = 0
    disagreements = []
    for row in rows:
        text, mask = row["source_text"], list(row.get("privacy_mask") or [])
        if "span_labels" in row and row["span_labels"] is not None:
            stored = json.loads(row["span_labels"]) if isinstance(row["span_labels"], str) else row["span_labels"]
            ours = span_labels(text, mask)
            n_span += 1
            same = [list(x) for x in stored] == ours
            n_span_ok += same
            if not same:
                disagreements.append({"id": row.get("id"), "what": "span_labels", "stored": stored, "ours": ours})
        tokens, stored_bio = row.get("mbert_text_tokens"), row.get("mbert_bio_labels")
        if tokens is not None and stored_bio is not None and len(tokens):
            tokens, stored_bio = list(tokens), list(stored_bio)
            n_bio += 1
            try:
                ours = bio_for_given_tokens(text, tokens, mask)
            except ValueError as exc:
                disagreements.append({"id": row.get("id"), "what": "tokens", "error": str(exc)})
                continue
            same = ours == stored_bio
            n_bio_ok += same
            n_tok += len(tokens)
            n_tok_ok += sum(a == b for a, b in zip(ours, stored_bio))
            if not same:
                diff = [(i, t, s, o) for i, (t, s, o) in enumerate(zip(tokens, stored_bio, ours)) if s != o]
                disagreements.append({"id": row.get("id"), "what": "bio", "diff": diff[:10]})
    pct = lambda a, b: round(100 * a / b, 2) if b else None  # noqa: E731
    return {
        "rows_with_span_labels": n_span,
        "span_labels_agree_pct": pct(n_span_ok, n_span),
        "rows_with_tokens": n_bio,
        "bio_rows_agree_pct": pct(n_bio_ok, n_bio),
        "bio_tokens_agree_pct": pct(n_tok_ok, n_tok),
        "disagreements": disagreements,
    }


def split_summary(splits: dict[str, list[Record]]) -> dict:
    return {
        s: {
            "records": len(r),
            "groups": len({split_group(x) for x in r}),
            "entities": sum(len(x.privacy_mask) for x in r),
        }
        for s, r in splits.items()
    }


def class_counts(records: Iterable[Record]) -> Counter:
    return Counter(e["label"] for r in records for e in r.privacy_mask)


__all__ = [
    "SPLITS",
    "split_group",
    "split_records",
    "assert_no_leak",
    "label_records",
    "to_dataset_dict",
    "save_splits",
    "load_splits",
    "check_reference",
    "split_summary",
    "class_counts",
    "ID2LABEL",
]
