"""AWS Lambda handler for an API Gateway proxy event: ``{"text": ..., "style": ...}`` in,
``{"masked_text", "entities", "mapping"?}`` out.

The model is loaded once per container (on the first request) from ``$PIIMASK_MODEL``. Raw text
is never logged: only sizes, counts and timings.
"""
from __future__ import annotations

import base64
import json
import logging
import os
import time

from .mask import STYLES, Masker

log = logging.getLogger("piimask.lambda")
log.setLevel(logging.INFO)
MAX_CHARS = int(os.environ.get("PIIMASK_MAX_CHARS", "20000"))
_MASKER: Masker | None = None


def get_masker() -> Masker:
    global _MASKER
    if _MASKER is None:
        t0 = time.perf_counter()
        _MASKER = Masker.from_pretrained(os.environ.get("PIIMASK_MODEL", "/opt/ml/model"),
                                         score_threshold=float(os.environ.get("PIIMASK_THRESHOLD", "0.3")))
        log.info("model loaded in %.2f s", time.perf_counter() - t0)
    return _MASKER


def _response(status: int, body: dict) -> dict:
    return {"statusCode": status, "headers": {"Content-Type": "application/json"},
            "body": json.dumps(body, ensure_ascii=False)}


def _error(status: int, message: str) -> dict:
    log.info("rejected request: %s", message)
    return _response(status, {"error": message})


def handler(event, context=None, masker: Masker | None = None) -> dict:
    raw = (event or {}).get("body")
    if raw is None:
        return _error(400, "missing body: send JSON like {\"text\": \"...\", \"style\": \"[LABEL_n]\"}")
    if (event or {}).get("isBase64Encoded"):
        try:
            raw = base64.b64decode(raw).decode("utf-8")
        except (ValueError, UnicodeDecodeError):
            return _error(400, "body is not valid base64-encoded UTF-8")
    try:
        body = json.loads(raw) if isinstance(raw, str) else raw
    except json.JSONDecodeError as exc:
        return _error(400, f"body is not valid JSON ({exc.msg} at position {exc.pos})")
    if not isinstance(body, dict):
        return _error(400, "body must be a JSON object")
    text = body.get("text")
    if text is None:
        return _error(400, "missing field 'text'")
    if not isinstance(text, str):
        return _error(400, f"'text' must be a string, not {type(text).__name__}")
    if len(text) > MAX_CHARS:
        return _error(400, f"'text' is {len(text)} characters; the limit is {MAX_CHARS}")
    style = body.get("style", "[LABEL_n]")
    if style not in STYLES:
        return _error(400, f"'style' must be one of {list(STYLES)}")
    include_mapping = body.get("include_mapping", True)
    if not isinstance(include_mapping, bool):
        return _error(400, "'include_mapping' must be true or false")
    t0 = time.perf_counter()
    res = (masker or get_masker()).mask(text, style)
    log.info("masked %d chars, %d entities, %.1f ms", len(text), len(res.entities), 1000 * (time.perf_counter() - t0))
    return _response(200, res.to_dict(with_mapping=include_mapping))
