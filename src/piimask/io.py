"""Reading and writing at the edges: JSON lines, records, reference and external datasets."""
from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Iterable, Iterator

from .record import Record


def read_jsonl(path: str | Path, skip_bad: bool = False) -> list[dict]:
    """Rows of a JSON-lines file. A truncated last line (a crash mid-write) is skipped."""
    rows = []
    path = Path(path)
    if not path.exists():
        return rows
    lines = path.read_text(encoding="utf-8").splitlines()
    for i, line in enumerate(lines):
        if not line.strip():
            continue
        try:
            rows.append(json.loads(line))
        except json.JSONDecodeError:
            if skip_bad or i == len(lines) - 1:
                continue
            raise ValueError(f"{path}:{i + 1}: not valid JSON") from None
    return rows


def write_jsonl(path: str | Path, rows: Iterable[dict]) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    with tmp.open("w", encoding="utf-8") as fh:
        for row in rows:
            fh.write(json.dumps(row, ensure_ascii=False) + "\n")
    os.replace(tmp, path)  # never leave a half-written file under the final name
    return path


class JsonlAppender:
    """Append rows one at a time, flushed to disk, so a crash loses at most the row in flight."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        # a crash can leave a partial last line: cut it so the next row starts clean
        if self.path.exists() and self.path.stat().st_size:
            data = self.path.read_bytes()
            if not data.endswith(b"\n"):
                self.path.write_bytes(data[: data.rfind(b"\n") + 1])
        self._fh = self.path.open("a", encoding="utf-8")

    def write(self, row: dict) -> None:
        self._fh.write(json.dumps(row, ensure_ascii=False) + "\n")
        self._fh.flush()

    def close(self) -> None:
        self._fh.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def read_records(path: str | Path) -> list[Record]:
    return [Record.from_dict(r) for r in read_jsonl(path)]


def write_records(path: str | Path, records: Iterable[Record]) -> Path:
    return write_jsonl(path, (r.to_dict() for r in records))


def read_table(path: str | Path) -> list[dict]:
    """Rows of a local jsonl / json / parquet / csv file in the 200k schema."""
    import pandas as pd

    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"{path} does not exist")
    suffix = path.suffix.lower()
    if suffix in (".jsonl", ".ndjson"):
        return read_jsonl(path)
    if suffix == ".json":
        data = json.loads(path.read_text())
        return data if isinstance(data, list) else data.get("rows", [])
    if suffix == ".parquet":
        df = pd.read_parquet(path)
    elif suffix == ".csv":
        df = pd.read_csv(path)
    else:
        raise ValueError(f"{path}: unsupported file type {suffix!r}; use jsonl, json, parquet or csv")
    rows = df.to_dict("records")
    for r in rows:  # list columns stored as JSON text in CSV: decode, never eval
        for key in ("privacy_mask", "mbert_text_tokens", "mbert_bio_labels"):
            if isinstance(r.get(key), str):
                r[key] = json.loads(r[key])
            elif r.get(key) is not None and not isinstance(r[key], list):
                r[key] = [dict(x) if hasattr(x, "keys") else x for x in r[key]]
    return rows


def iter_chunks(seq: list, size: int) -> Iterator[list]:
    for i in range(0, len(seq), size):
        yield seq[i:i + size]
