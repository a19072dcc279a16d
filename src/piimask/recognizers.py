"""Deterministic recognizers for structured PII and secrets.

Used twice: the validate stage looks for PII an LLM wrote without a placeholder (text labelled
``O`` that is clearly an e-mail or a card number), and the masker adds these spans to the
model's, because a model can miss a structured secret that a rule never misses.

Each recognizer returns ``Span``s with a taxonomy label where one fits (EMAIL, IPV4, IPV6, MAC,
URL, CREDITCARDNUMBER, IBAN, PHONENUMBER, PASSWORD, USERNAME) or ``SECRET`` for tokens and API
keys, which have no class in the 200k taxonomy.
"""
from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass

from .values import iban_valid, luhn_valid


@dataclass(frozen=True)
class Span:
    start: int
    end: int
    label: str
    score: float = 1.0
    source: str = "rule"

    def to_dict(self) -> dict:
        return {"start": self.start, "end": self.end, "label": self.label, "score": self.score, "source": self.source}


EMAIL = re.compile(r"(?<![\w.+-])[A-Za-z0-9][A-Za-z0-9._%+-]{0,63}@[A-Za-z0-9](?:[A-Za-z0-9-]{0,62}[A-Za-z0-9])?"
                   r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,62}[A-Za-z0-9])?)*\.[A-Za-z]{2,24}\b")
IPV4 = re.compile(r"(?<![\d.])(?:\d{1,3}\.){3}\d{1,3}(?![\d.]*\d)")
IPV6 = re.compile(r"(?<![0-9A-Fa-f:])(?:[0-9A-Fa-f]{1,4}:){2,7}(?::|[0-9A-Fa-f]{1,4})(?::[0-9A-Fa-f]{1,4})*"
                  r"(?![0-9A-Fa-f:])")
MAC = re.compile(r"(?<![0-9A-Fa-f:-])(?:[0-9A-Fa-f]{2}([:-]))(?:[0-9A-Fa-f]{2}\1){4}[0-9A-Fa-f]{2}(?![0-9A-Fa-f:-])")
URL = re.compile(r"\b(?:https?://|www\.)[^\s<>\"'()\[\]{}]+[^\s<>\"'()\[\]{}.,;:!?]")
CARD = re.compile(r"(?<![\d-])(?:\d[ -]?){12,18}\d(?![\d-])")
IBAN = re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,4})?\b")
PHONE = re.compile(r"(?<![\w+])(?:\+\d{1,3}[ .-]?)?(?:\(\d{1,4}\)[ .-]?)?\d{2,4}(?:[ .-]\d{2,4}){1,4}(?:\s?x\d{1,5})?(?![\w])")
JWT = re.compile(r"\beyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\b")
API_KEY = re.compile(
    r"\b(?:sk-[A-Za-z0-9_-]{16,}|sk_(?:live|test)_[A-Za-z0-9]{16,}|AKIA[0-9A-Z]{16}|ASIA[0-9A-Z]{16}|"
    r"ghp_[A-Za-z0-9]{30,}|gho_[A-Za-z0-9]{30,}|github_pat_[A-Za-z0-9_]{30,}|xox[abpr]-[A-Za-z0-9-]{10,}|"
    r"AIza[0-9A-Za-z_-]{35}|glpat-[A-Za-z0-9_-]{20,})\b")
# credentials in code and configuration: password='...', "pwd": "...", PASSWORD=...
_CRED_KEYS = r"(?:password|passwd|pwd|pass|secret|api[_-]?key|access[_-]?token|auth[_-]?token|token)"
_USER_KEYS = r"(?:user(?:name)?|login|uid|db_?user)"
_QUOTED = r"""(?:"(?P<dq>[^"\n]{1,200})"|'(?P<sq>[^'\n]{1,200})'|(?P<bare>[^\s'",;)\]}&]{1,200}))"""
CRED = re.compile(rf"""(?i)(?<![A-Za-z0-9_])["']?{_CRED_KEYS}["']?\s*(?:=|:|=>)\s*{_QUOTED}""")
USER = re.compile(rf"""(?i)(?<![A-Za-z0-9_])["']?{_USER_KEYS}["']?\s*(?:=|:|=>)\s*{_QUOTED}""")
# scheme://user:password@host
CONN = re.compile(r"\b[a-z][a-z0-9+.-]{1,20}://(?P<user>[^\s:/@]{1,64}):(?P<pw>[^\s@/]{1,128})@(?P<host>[^\s/:?#]+)")


def _value_span(m: re.Match) -> tuple[int, int]:
    for g in ("dq", "sq", "bare"):
        if m.group(g) is not None:
            return m.start(g), m.end(g)
    raise ValueError("no value group matched")


def find_emails(text: str) -> list[Span]:
    return [Span(m.start(), m.end(), "EMAIL") for m in EMAIL.finditer(text)]


def find_ips(text: str) -> list[Span]:
    out = []
    for m in IPV4.finditer(text):
        try:
            ipaddress.IPv4Address(m.group())
        except ValueError:
            continue
        out.append(Span(m.start(), m.end(), "IPV4"))
    for m in IPV6.finditer(text):
        s = m.group()
        if s.count(":") < 2 or MAC.fullmatch(s):
            continue
        try:
            ipaddress.IPv6Address(s)
        except ValueError:
            continue
        if s.count(":") == 2 and len(s) < 8:  # "10:30:45" style times are not addresses
            continue
        out.append(Span(m.start(), m.end(), "IPV6"))
    return out


def find_macs(text: str) -> list[Span]:
    return [Span(m.start(), m.end(), "MAC") for m in MAC.finditer(text)]


def find_urls(text: str) -> list[Span]:
    return [Span(m.start(), m.end(), "URL") for m in URL.finditer(text)]


def find_cards(text: str) -> list[Span]:
    """13-19 digit numbers (spaces or dashes allowed) that pass the Luhn check."""
    out = []
    for m in CARD.finditer(text):
        digits = re.sub(r"\D", "", m.group())
        if 13 <= len(digits) <= 19 and luhn_valid(digits) and len(set(digits)) > 1:
            out.append(Span(m.start(), m.end(), "CREDITCARDNUMBER"))
    return out


def find_ibans(text: str) -> list[Span]:
    return [Span(m.start(), m.end(), "IBAN") for m in IBAN.finditer(text) if iban_valid(m.group())]


def find_phones(text: str, min_digits: int = 9) -> list[Span]:
    """Phone-like digit runs with separators or a leading +: at least ``min_digits`` digits."""
    out = []
    for m in PHONE.finditer(text):
        s = m.group()
        digits = sum(c.isdigit() for c in s)
        if digits < min_digits or digits > 15:
            continue
        if not (s.startswith("+") or "(" in s or re.search(r"\d[ .-]\d", s)):
            continue
        if re.fullmatch(r"\d{1,4}[./-]\d{1,2}[./-]\d{2,4}", s):  # a date
            continue
        out.append(Span(m.start(), m.end(), "PHONENUMBER", score=0.8))
    return out


def find_secrets(text: str) -> list[Span]:
    """JWTs, API keys, ``password=...``-style credentials, ``user=...`` and ``scheme://user:pw@host``."""
    out = [Span(m.start(), m.end(), "SECRET") for m in JWT.finditer(text)]
    out += [Span(m.start(), m.end(), "SECRET") for m in API_KEY.finditer(text)]
    for m in CRED.finditer(text):
        s, e = _value_span(m)
        if text[s:e].strip() and not re.fullmatch(r"\[[A-Z_0-9]+\]|\*+|None|null|getenv\(?", text[s:e]):
            out.append(Span(s, e, "PASSWORD"))
    for m in USER.finditer(text):
        s, e = _value_span(m)
        if text[s:e].strip() and not re.fullmatch(r"\[[A-Z_0-9]+\]", text[s:e]):
            out.append(Span(s, e, "USERNAME", score=0.9))
    for m in CONN.finditer(text):
        out.append(Span(m.start("user"), m.end("user"), "USERNAME"))
        out.append(Span(m.start("pw"), m.end("pw"), "PASSWORD"))
    return out


RECOGNIZERS = {
    "email": find_emails, "ip": find_ips, "mac": find_macs, "url": find_urls, "card": find_cards,
    "iban": find_ibans, "phone": find_phones, "secret": find_secrets,
}


def resolve_overlaps(spans: list[Span]) -> list[Span]:
    """One rule for overlapping spans: the longer span wins; on equal length the higher score,
    then a rule span over a model span. Returns non-overlapping spans sorted by start."""
    ranked = sorted(spans, key=lambda s: (-(s.end - s.start), -s.score, s.source != "rule", s.start))
    kept: list[Span] = []
    for s in ranked:
        if all(s.end <= k.start or s.start >= k.end for k in kept):
            kept.append(s)
    return sorted(kept, key=lambda s: s.start)


def detect(text: str, kinds: tuple[str, ...] | None = None) -> list[Span]:
    """All recognizer spans in ``text`` (``kinds`` limits which run), overlaps resolved."""
    spans: list[Span] = []
    for name, fn in RECOGNIZERS.items():
        if kinds is None or name in kinds:
            spans += fn(text)
    # an e-mail's or URL's host may also look like something else: the longer span wins anyway
    return resolve_overlaps(spans)
