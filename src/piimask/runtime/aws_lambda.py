"""AWS Lambda handler for an API Gateway proxy event: ``{"text": ..., "style": ...}`` in,
``{"masked_text", "entities", "mapping"?}`` out.

Every bad request gets a 4xx with a message saying what to send instead (an event that is not
an object, a body that is not JSON, too deep or too large, a missing or non-string text, a bad
style); a 5xx means a fault on our side (the model could not load), never the caller's input.
The mapping (the original values) is returned only when the body asks for it with
``"include_mapping": true``. Put the function behind an API Gateway authorizer or IAM auth (see
the README): it does not check who calls it.

Environment: ``PIIMASK_MODEL`` (a local model folder; a hub id only with ``PIIMASK_ALLOW_HUB=1``),
``PIIMASK_MAX_CHARS`` (default 20,000), ``PIIMASK_THRESHOLD`` (default: the model's masking.json),
``PIIMASK_FAST=1`` (ONNX Runtime with int8 weights; the export goes to ``PIIMASK_CACHE`` or /tmp
when the model folder is read-only).
The model is loaded once per container. Raw text is never logged: only sizes, counts and timings.
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
import os
import time

from .mask import STYLES, InputError, Masker

log = logging.getLogger("piimask.lambda")
log.setLevel(logging.INFO)
_MASKER: Masker | None = None


def max_chars() -> int:
    return int(os.environ.get("PIIMASK_MAX_CHARS", "20000"))


def get_masker() -> Masker:
    global _MASKER
    if _MASKER is None:
        t0 = time.perf_counter()
        threshold = os.environ.get("PIIMASK_THRESHOLD")
        _MASKER = Masker.from_pretrained(
            os.environ.get("PIIMASK_MODEL", "/opt/ml/model"),
            allow_hub=os.environ.get("PIIMASK_ALLOW_HUB", "") == "1",
            score_threshold=float(threshold) if threshold else None,
            fast=os.environ.get("PIIMASK_FAST", "") == "1",
        )
        log.info("model loaded in %.2f s", time.perf_counter() - t0)
    return _MASKER


def _response(status: int, body: dict) -> dict:
    # ASCII JSON: a lone surrogate in the text stays an escape, never an encoding error downstream
    return {"statusCode": status, "headers": {"Content-Type": "application/json"}, "body": json.dumps(body)}


def _error(status: int, message: str) -> dict:
    log.info("rejected request (%d): %s", status, message)
    return _response(status, {"error": message})


class BadRequest(Exception):
    """A request piimask cannot take: ``status`` (400, 413) and a message saying what to send."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status


def parse_body(event, limit: int | None = None, what: str = "body") -> dict:
    """The request's JSON object, or BadRequest with a 4xx. ``what`` names the raw part in messages
    ("body" for an HTTP request, "line" for a JSONL line)."""
    limit = max_chars() if limit is None else limit
    if not isinstance(event, dict):
        raise BadRequest(
            400, f"the event must be an API Gateway proxy object with a 'body', not {type(event).__name__}"
        )
    raw = event.get("body")
    if raw is None:
        raise BadRequest(400, f'missing {what}: send JSON like {{"text": "...", "style": "[LABEL_n]"}}')
    cap = raw_limit(limit)  # a JSON-escaped text takes at most 6 characters per character
    if isinstance(raw, (str, bytes)) and len(raw) > (4 * cap // 3 + 4 if event.get("isBase64Encoded") else cap):
        raise BadRequest(413, f"{what} is {len(raw):,} characters; the text limit is {limit:,} characters")
    if event.get("isBase64Encoded"):
        if not isinstance(raw, (str, bytes)):
            raise BadRequest(400, f"isBase64Encoded is set but the {what} is not a string")
        try:
            raw = base64.b64decode(raw, validate=True).decode("utf-8")
        except (binascii.Error, ValueError):
            raise BadRequest(400, f"{what} is not valid base64-encoded UTF-8") from None
    if isinstance(raw, bytes):
        try:
            raw = raw.decode("utf-8")
        except UnicodeDecodeError:
            raise BadRequest(400, f"{what} is not UTF-8") from None
    if isinstance(raw, str):
        try:
            body = json.loads(raw)
        except json.JSONDecodeError as exc:
            raise BadRequest(400, f"{what} is not valid JSON ({exc.msg} at position {exc.pos})") from None
        except RecursionError:
            raise BadRequest(400, f"{what} is nested too deeply: send a flat JSON object") from None
        except ValueError as exc:  # e.g. an integer with too many digits
            raise BadRequest(400, f"{what} is not acceptable JSON ({exc})") from None
    else:
        body = raw
    if not isinstance(body, dict):
        raise BadRequest(400, f'{what} must be a JSON object like {{"text": "..."}}')
    return body


def raw_limit(limit: int) -> int:
    """The most characters a request body may have for a text of ``limit`` characters."""
    return 6 * limit + 4096


def parse_request(body: dict, limit: int | None = None, include_mapping: bool = False) -> tuple[str, str, bool]:
    """``(text, style, include_mapping)`` of a request object, or BadRequest with a 4xx."""
    limit = max_chars() if limit is None else limit
    text = body.get("text")
    if text is None:
        raise BadRequest(400, "missing field 'text'")
    if not isinstance(text, str):
        raise BadRequest(400, f"'text' must be a string, not {type(text).__name__}")
    if len(text) > limit:
        raise BadRequest(413, f"'text' is {len(text):,} characters; the limit is {limit:,}")
    style = body.get("style", "[LABEL_n]")
    if not isinstance(style, str) or style not in STYLES:
        raise BadRequest(400, f"'style' must be one of {list(STYLES)}")
    include_mapping = body.get("include_mapping", include_mapping)
    if not isinstance(include_mapping, bool):
        raise BadRequest(400, "'include_mapping' must be true or false")
    return text, style, include_mapping


def handler(event, context=None, masker: Masker | None = None, limit: int | None = None) -> dict:
    """Mask the text of one API Gateway proxy event; ``limit``: characters (default PIIMASK_MAX_CHARS)."""
    try:
        text, style, include_mapping = parse_request(parse_body(event, limit), limit)
    except BadRequest as exc:
        return _error(exc.status, str(exc))
    try:
        m = masker or get_masker()
    except Exception as exc:  # configuration, not input: say so without the details of the text
        log.error("model could not be loaded: %s", type(exc).__name__)
        return _error(500, "the masking model could not be loaded; check PIIMASK_MODEL")
    t0 = time.perf_counter()
    try:
        res = m.mask(text, style)
    except InputError as exc:
        return _error(400, str(exc))
    except Exception as exc:  # never echo the text: the type only
        log.error("masking failed: %s", type(exc).__name__)
        return _error(500, "internal error while masking")
    log.info("masked %d chars, %d entities, %.1f ms", len(text), len(res.entities), 1000 * (time.perf_counter() - t0))
    return _response(200, res.to_dict(with_mapping=include_mapping))
