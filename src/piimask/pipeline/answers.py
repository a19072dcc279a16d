"""From an LLM answer to a record: clean it, detect refusals and preambles, fill it."""
from __future__ import annotations

import re

from ..core.fill import PlaceholderError, fill, find_placeholders

REFUSAL = re.compile(
    r"^\s*(i('m| am)? (sorry|unable|not able)|i can(no|')t|i cannot|i won't|as an ai|as a language model|"
    r"unfortunately,? i|i must (decline|refuse)|i do not feel comfortable|i'm not comfortable)", re.I)
REFUSAL_ANYWHERE = re.compile(r"\b(as an ai( language model)?|i cannot (generate|create|provide|help)|"
                              r"i can't (generate|create|provide|help)|against my (guidelines|policy))\b", re.I)
PREAMBLE = re.compile(
    r"^\s*(here('s| is| are)\b|sure[,!.]|certainly[,!.]|of course[,!.]|okay[,!.]|below is|the following is|"
    r"this (text|example|email|message) (is|uses))", re.I)
_FENCE = re.compile(r"^```[a-z]*\s*\n?|\n?```\s*$")


def clean_answer(text: str) -> str:
    """Strip whitespace, code fences and one pair of wrapping quotes."""
    t = _FENCE.sub("", text.strip()).strip()
    if len(t) >= 2 and t[0] == t[-1] and t[0] in "\"'“”":
        t = t[1:-1].strip()
    if t.startswith("“") and t.endswith("”"):
        t = t[1:-1].strip()
    return t


def answer_problems(text: str) -> list[str]:
    """Reason codes for an answer that must not become a record (empty list: usable)."""
    if not text.strip():
        return ["empty_answer"]
    reasons = []
    if REFUSAL.search(text) or REFUSAL_ANYWHERE.search(text):
        reasons.append("refusal")
    elif PREAMBLE.search(text):
        reasons.append("preamble")
    holders = find_placeholders(text)
    if not holders:
        reasons.append("no_placeholders")
    unknown = sorted({h.raw for h in holders if not h.known})
    if unknown:
        reasons.append("unknown_label:" + ",".join(unknown))
    return reasons


def fill_answer(text: str, values) -> tuple[dict | None, list[str]]:
    """(filled fields, reasons): fields are source_text, target_text, privacy_mask."""
    reasons = answer_problems(text)
    if reasons:
        return None, reasons
    try:
        f = fill(text, values)
    except PlaceholderError as exc:  # answer_problems found these already; kept for safety
        return None, ["unknown_label:" + ",".join(exc.unknown)]
    return {"source_text": f.source_text, "target_text": f.target_text, "privacy_mask": f.privacy_mask}, []
