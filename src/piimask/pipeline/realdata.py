"""Real rows for evaluation: a held-out English slice of ai4privacy/pii-masking-200k from the hub.

``piimask fetch-realdata`` (``make realdata``) loads the dataset with ``datasets.load_dataset``
(its only split is ``train``), keeps the English rows whose id falls in a fixed, seeded hash slice
(:func:`held_out`: about 2 % of the ids, the same slice on every machine and in every dataset
order), checks every span's offsets, and writes them as JSONL where params'
``external_datasets`` look for the 200k rows (``../shared/realdata/ai4privacy_200k_en_dev.jsonl``
by default), so notebooks 03, 05 and 06 score on them without another change.

The slice is for evaluation only: piimask never trains on real rows, and a reference dataset
loaded from the same hub id (the LLM backends' few-shot examples) leaves the slice out.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path

HUB_ID = "ai4privacy/pii-masking-200k"
SPLIT = "train"  # the dataset has no other split
HELD_OUT_FRACTION = 0.02
_SALT = "piimask-realdata-v1"  # changing it changes the slice: never, once results are published
FIELDS = (
    "id",
    "language",
    "source_text",
    "target_text",
    "privacy_mask",
    "span_labels",
    "mbert_text_tokens",
    "mbert_bio_labels",
)


def _key(row: dict) -> str:
    return str(row["id"]) if row.get("id") is not None else row.get("source_text", "")


def slice_position(row: dict) -> float:
    """Where a row falls in [0, 1), from a seeded hash of its id (its text when it has none)."""
    digest = hashlib.sha256(f"{_SALT}:{_key(row)}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


def held_out(row: dict, fraction: float = HELD_OUT_FRACTION) -> bool:
    """Whether a row belongs to the held-out evaluation slice."""
    return slice_position(row) < fraction


def _mask(value) -> list[dict] | None:
    """``privacy_mask`` as a list of spans (some exports store it as JSON text); None if unreadable."""
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except json.JSONDecodeError:
            return None
    if not isinstance(value, list) or not all(isinstance(e, dict) for e in value):
        return None
    return [dict(e) for e in value]


def _spans_ok(text: str, mask: list[dict]) -> bool:
    try:
        return all(
            0 <= e["start"] < e["end"] <= len(text)
            and text[e["start"] : e["end"]] == e["value"]
            and isinstance(e["label"], str)
            for e in mask
        )
    except (KeyError, TypeError):
        return False


def select_rows(
    rows: Iterable[dict], language: str | None = "en", fraction: float = HELD_OUT_FRACTION, max_rows: int = 0
) -> tuple[list[dict], Counter]:
    """The held-out rows of ``language`` (None: every language), spans checked, ordered by their
    place in the slice (so ``max_rows`` takes the same rows whatever the dataset's order);
    also the counts of what was left out and why."""
    kept, counts = [], Counter()
    for row in rows:
        row = dict(row)
        if language and row.get("language") != language:
            counts["other language"] += 1
            continue
        if not held_out(row, fraction):
            counts["outside the held-out slice"] += 1
            continue
        mask = _mask(row.get("privacy_mask"))
        if not isinstance(row.get("source_text"), str) or mask is None or not _spans_ok(row["source_text"], mask):
            counts["spans that do not match the text"] += 1
            continue
        row["privacy_mask"] = mask
        kept.append({k: row[k] for k in FIELDS if k in row})
    kept.sort(key=slice_position)
    if max_rows and len(kept) > max_rows:
        counts["beyond max_rows"] += len(kept) - max_rows
        kept = kept[:max_rows]
    return kept, counts


def load_hub_rows(dataset: str = HUB_ID, split: str = SPLIT, load: Callable | None = None) -> Iterable[dict]:
    """The rows of a hub dataset (or a local dataset folder) through ``datasets.load_dataset``."""
    if load is None:
        import datasets

        load = datasets.load_dataset
    try:
        return load(dataset, split=split)
    except Exception as exc:  # offline, no such split, no access: say what to do
        hint = (
            f"the dataset's only split is '{SPLIT}'"
            if dataset == HUB_ID and split != SPLIT
            else "the hub must be reachable (HF_HUB_OFFLINE unset, a network), or pass a local copy with --dataset DIR"
        )
        raise RuntimeError(f"could not load {dataset!r} split {split!r} ({type(exc).__name__}: {exc}); {hint}") from exc


def default_out(profile: str = "default") -> Path:
    """Where params' external_datasets expect the 200k rows (the entry with no label map)."""
    from ..core.config import load_params, resolve_path

    return resolve_path(real_dataset_spec(load_params(profile).external_datasets)["path"])


def fetch_realdata(
    out: str | Path,
    dataset: str = HUB_ID,
    split: str = SPLIT,
    language: str = "en",
    max_rows: int = 0,
    force: bool = False,
    load: Callable | None = None,
) -> dict:
    """Write the held-out slice to ``out`` (JSONL); return a summary. An existing file is kept
    unless ``force`` (it may be the copy other runs were scored on)."""
    from ..core.io import write_jsonl

    out = Path(out)
    if out.exists() and not force:
        raise FileExistsError(
            f"{out} exists; it is kept (results may have been scored on it). "
            "Pass --force to replace it, or --out to write elsewhere"
        )
    rows, left_out = select_rows(load_hub_rows(dataset, split, load), language, max_rows=max_rows)
    if not rows:
        raise ValueError(
            f"no {language} rows of {dataset!r} ({split}) fall in the held-out slice (left out: {dict(left_out)})"
        )
    out.parent.mkdir(parents=True, exist_ok=True)
    write_jsonl(out, rows)
    return {
        "out": str(out),
        "dataset": dataset,
        "split": split,
        "language": language,
        "rows": len(rows),
        "spans": sum(len(r["privacy_mask"]) for r in rows),
        "held_out_fraction": HELD_OUT_FRACTION,
        "left_out": dict(left_out),
    }


def real_dataset_spec(external_datasets: Sequence[Mapping]) -> dict:
    """The first external dataset in the 200k scheme (no label map): the real reference rows."""
    for spec in external_datasets:
        if not spec.get("label_map"):
            return dict(spec)
    raise ValueError(
        "params: external_datasets has no entry with an empty label_map; add the "
        "ai4privacy 200k rows (label_map: '') to measure realism"
    )
