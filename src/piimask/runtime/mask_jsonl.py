"""Mask many prompts in one call: JSONL in, JSONL out (``piimask mask-jsonl``), the model loaded once.

Each input line is a request object as the Lambda handler and ``piimask serve`` take it,
``{"text": ..., "style": ..., "include_mapping": ..., "id": ...}`` (only ``text`` is required;
``id``, any JSON value, is echoed back). Each output line answers the input line of the same
number, in order: ``{"line": N, "id"?, "masked_text", "entities", "style", "mapping"?}``, or
``{"line": N, "id"?, "status": 400|413, "error": ...}`` for a line that is not a valid request
(not UTF-8, not JSON, no text, text over the limit, a bad style). A bad line never stops the run.
Blank lines are skipped. Lines are masked in batches of ``batch_size`` (one model pass each).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import BinaryIO

from .aws_lambda import BadRequest, parse_body, parse_request, raw_limit
from .mask import InputError, Masker

DEFAULT_MAX_CHARS = 20_000


def read_lines(stream: BinaryIO, cap: int) -> Iterator[tuple[int, bytes | None]]:
    """``(line number, bytes)`` for each non-blank line; ``None`` for a line longer than ``cap``
    bytes, which is skipped without being held in memory."""
    n = 0
    while True:
        line = stream.readline(cap + 1)
        if not line:
            return
        n += 1
        if len(line) > cap and not line.endswith(b"\n"):
            while line and not line.endswith(b"\n"):  # drop the rest of the long line
                line = stream.readline(1 << 20)
            yield n, None
            continue
        if line.strip():
            yield n, line.rstrip(b"\r\n")


def _answer(n: int, body: dict | None, result: dict) -> dict:
    head = {"line": n}
    if body is not None and "id" in body:
        head["id"] = body["id"]
    return {**head, **result}


def mask_jsonl(
    masker: Masker,
    stream: BinaryIO,
    write: Callable[[str], None],
    limit: int = DEFAULT_MAX_CHARS,
    include_mapping: bool = False,
    batch_size: int = 32,
) -> dict:
    """Answer every request line of ``stream`` with one JSON line through ``write``; return counts
    ``{"lines", "masked", "errors"}``. ``include_mapping`` is the default for lines that do not say."""
    counts = {"lines": 0, "masked": 0, "errors": 0}
    pending: list[tuple[int, dict | None, dict | str]] = []  # (line, body, error | [text, style, mapping?])

    def flush() -> None:
        todo = [(i, req) for i, (_, _, req) in enumerate(pending) if isinstance(req, tuple)]
        results: dict[int, dict] = {}
        for style in {req[1] for _, req in todo}:  # one batched model pass per style
            group = [(i, req) for i, req in todo if req[1] == style]
            try:
                masked = masker.mask_many([req[0] for _, req in group], style)
            except InputError:  # not expected after validation; answer line by line then
                masked = []
                for _, req in group:
                    try:
                        masked.append(masker.mask(req[0], style))
                    except InputError as exc:
                        masked.append(exc)
            for (i, req), res in zip(group, masked):
                results[i] = (
                    {"status": 400, "error": str(res)}
                    if isinstance(res, Exception)
                    else res.to_dict(with_mapping=req[2])
                )
        for i, (n, body, req) in enumerate(pending):
            out = results[i] if isinstance(req, tuple) else req
            counts["errors" if "error" in out else "masked"] += 1
            write(json.dumps(_answer(n, body, out), ensure_ascii=False) + "\n")
        pending.clear()

    for n, raw in read_lines(stream, raw_limit(limit)):
        counts["lines"] += 1
        body = None
        try:
            if raw is None:
                raise BadRequest(
                    413, f"line is longer than {raw_limit(limit):,} bytes; the text limit is {limit:,} characters"
                )
            body = parse_body({"body": raw}, limit, what="line")
            pending.append((n, body, parse_request(body, limit, include_mapping)))
        except BadRequest as exc:
            pending.append((n, body, {"status": exc.status, "error": str(exc)}))
        if len(pending) >= batch_size:
            flush()
    flush()
    return counts
