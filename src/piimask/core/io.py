"""Reading and writing at the edges: JSON lines, records, reference and external datasets.

A JSON-lines file is read line by line and a damaged line never stops a run: a line that is not
UTF-8, holds NUL bytes, is not a JSON object (or not a valid row) is quarantined into
``<file>.damaged`` with its line number and the reason, one warning names the file, and the
other rows are read. Files the pipeline does not own (package data, downloaded datasets) are
never rewritten: their damaged lines are skipped with the same warning.
"""

from __future__ import annotations

import json
import os
import warnings
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from .record import Record


class DamagedLineWarning(UserWarning):
    """A JSON-lines file held damaged lines; they were quarantined (or skipped) and the read went on."""


@dataclass
class DamagedLine:
    line: int  # 1-based, in the file as it was read
    reason: str
    raw: bytes


@dataclass
class JsonlRead:
    """The rows of a JSON-lines file and the lines that could not be read."""

    rows: list = field(default_factory=list)
    damaged: list[DamagedLine] = field(default_factory=list)


def damaged_path(path: str | Path) -> Path:
    """Where the damaged lines of ``path`` go: ``<file>.damaged`` beside it."""
    path = Path(path)
    return path.with_name(path.name + ".damaged")


def _line_damage(raw: bytes, convert: Callable[[dict], Any] | None) -> tuple[Any, str | None]:
    """(row, None) for a good line, (None, reason) for a damaged one."""
    if b"\x00" in raw:
        return None, "NUL bytes"
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        return None, f"invalid UTF-8 at byte {exc.start}"
    try:
        obj = json.loads(text)
    except json.JSONDecodeError as exc:
        return None, f"not valid JSON (column {exc.colno}: {exc.msg})"
    if not isinstance(obj, dict):
        return None, f"not a JSON object (a {type(obj).__name__})"
    if convert is None:
        return obj, None
    try:
        return convert(obj), None
    except (KeyError, TypeError, ValueError) as exc:
        return None, f"not a valid row ({type(exc).__name__}: {exc})"


def scan_jsonl(path: str | Path, convert: Callable[[dict], Any] | None = None, quarantine: bool = True) -> JsonlRead:
    """Read a JSON-lines file, setting damaged lines aside instead of failing.

    ``convert`` turns each object into a row (``Record.from_dict``); an object it refuses counts
    as damaged. With ``quarantine`` the damaged lines are appended to ``<file>.damaged`` (line
    number, reason, the raw line) and the file is rewritten without them, so the next read and
    the next append start clean. Either way one ``DamagedLineWarning`` names the file.
    """
    path = Path(path)
    out = JsonlRead()
    if not path.exists():
        return out
    data = path.read_bytes()
    lines = data.split(b"\n")
    if lines and lines[-1] == b"":  # the file ends with a newline: nothing after it
        lines.pop()
    good: list[bytes] = []
    for n, raw in enumerate(lines, 1):
        if not raw.strip():
            continue
        row, reason = _line_damage(raw, convert)
        if reason is None:
            out.rows.append(row)
            good.append(raw)
            continue
        if n == len(lines) and not data.endswith(b"\n"):
            reason += "; the last line, without a newline: cut short by a crash?"
        out.damaged.append(DamagedLine(n, reason, raw))
    if not out.damaged:
        return out
    where = "; ".join(f"line {d.line}: {d.reason}" for d in out.damaged[:3])
    more = f" and {len(out.damaged) - 3} more" if len(out.damaged) > 3 else ""
    if quarantine:
        _quarantine(path, out.damaged, good)
        fate = f"moved to {damaged_path(path)}"
    else:
        fate = "skipped (the file is not piimask's to rewrite)"
    warnings.warn(
        f"{path}: {len(out.damaged)} damaged line(s) {fate}; {len(out.rows)} row(s) read. {where}{more}",
        DamagedLineWarning,
        stacklevel=3,
    )
    return out


def _quarantine(path: Path, damaged: list[DamagedLine], good: list[bytes]) -> None:
    at = datetime.now(timezone.utc).isoformat(timespec="seconds")
    with damaged_path(path).open("a", encoding="utf-8") as fh:
        for d in damaged:
            # surrogateescape + ASCII JSON keeps the raw bytes recoverable, even when not UTF-8
            fh.write(
                json.dumps(
                    {
                        "line": d.line,
                        "reason": d.reason,
                        "quarantined_at": at,
                        "raw": d.raw.decode("utf-8", "surrogateescape"),
                    }
                )
                + "\n"
            )
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_bytes(b"".join(raw + b"\n" for raw in good))
    os.replace(tmp, path)


def read_jsonl(path: str | Path, quarantine: bool = True) -> list[dict]:
    """Rows of a JSON-lines file; damaged lines are quarantined (see ``scan_jsonl``)."""
    return scan_jsonl(path, quarantine=quarantine).rows


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
    """Append rows one at a time, flushed to disk, so a crash loses at most the row in flight.

    Opening quarantines the file's damaged lines first (a crash mid-write leaves a partial last
    line), so every appended row starts on a clean line; ``quarantined`` says how many.
    """

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.quarantined = len(scan_jsonl(self.path).damaged)
        self._fh = self.path.open("a", encoding="utf-8")
        if self.path.stat().st_size:  # a good last row written without its newline
            with self.path.open("rb") as fh:
                fh.seek(-1, os.SEEK_END)
                if fh.read(1) != b"\n":
                    self._fh.write("\n")

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
    """Records of a JSON-lines file; a line that is no record is quarantined like any damage."""
    return scan_jsonl(path, convert=Record.from_dict).rows


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
        return read_jsonl(path, quarantine=False)  # someone else's file: skip damage, never rewrite
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
