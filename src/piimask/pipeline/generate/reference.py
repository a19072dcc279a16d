"""The reference dataset whose rows serve as few-shot examples (and as the labeller's check).

``spec`` is ``"package"`` (piimask's own seed examples, offline), a local file (jsonl / json /
parquet / csv in the 200k schema), a local folder, or a hub id such as
``ai4privacy/pii-masking-200k`` loaded with ``datasets.load_dataset`` where the hub is reachable.
"""

from __future__ import annotations

import re
from importlib import resources
from pathlib import Path

from ...core.io import read_jsonl, read_table

_PLACEHOLDER_IN_TARGET = re.compile(r"\[([A-Z0-9]+)\]")


def seed_examples_path() -> Path:
    return Path(str(resources.files("piimask") / "data" / "seed_examples.jsonl"))


def load_reference(spec: str = "package", language: str | None = "en", split: str = "train") -> list[dict]:
    """Rows in the 200k schema, filtered by ``language`` when the rows carry one."""
    if spec == "package":
        rows = read_jsonl(seed_examples_path(), quarantine=False)  # package data: never rewritten
    elif Path(spec).expanduser().is_file():
        rows = read_table(Path(spec).expanduser())
    else:
        rows = _load_with_datasets(spec, split)
        from ..realdata import HUB_ID, held_out

        if spec == HUB_ID:  # never a few-shot example from the rows the evaluation scores
            rows = [r for r in rows if not held_out(r)]
    if language:
        rows = [r for r in rows if r.get("language", language) == language]
    if not rows:
        raise ValueError(f"reference dataset {spec!r} has no rows for language {language!r}")
    return rows


def _load_with_datasets(spec: str, split: str) -> list[dict]:
    import datasets

    try:
        ds = datasets.load_dataset(spec, split=split)
    except Exception as exc:  # offline, a typo, or no access: say what to do
        raise RuntimeError(
            f"could not load the reference dataset {spec!r} ({type(exc).__name__}: {exc}). "
            "Offline, set reference_dataset to 'package' or to a local jsonl/parquet/csv file."
        ) from exc
    return [dict(r) for r in ds]


def example_classes(row: dict) -> list[str]:
    """The classes a reference row uses, from its privacy_mask or its target_text."""
    if row.get("privacy_mask"):
        return sorted({e["label"] for e in row["privacy_mask"]})
    return sorted(set(_PLACEHOLDER_IN_TARGET.findall(row.get("target_text", ""))))
