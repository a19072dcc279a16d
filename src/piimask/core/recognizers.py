"""Deterministic recognizers for structured PII and secrets.

Used twice: the validate stage looks for PII an LLM wrote without a placeholder (text labelled
``O`` that is clearly an e-mail or a card number), and the masker adds these spans to the
model's, because a model can miss a structured secret that a rule never misses.

Each recognizer returns ``Span``s with a taxonomy label where one fits (EMAIL, IPV4, IPV6, MAC,
URL, CREDITCARDNUMBER, IBAN, PHONENUMBER, PASSWORD, USERNAME) or ``SECRET`` for tokens and API
keys, which have no class in the 200k taxonomy.

Every pattern runs in time linear in the text: a quantifier that is not bounded only starts
where the run it scans starts (a look-behind on the same characters), so no position is scanned
from many starts. Digits are matched in any script (full-width ``４１１１``) and normalised to
ASCII before a checksum.
"""

from __future__ import annotations

import bisect
import ipaddress
import re
import unicodedata

from .spans import Span
from .values import iban_valid, luhn_valid


def ascii_digits(s: str) -> str:
    """The decimal digits of ``s`` in ASCII, whatever their script (``４２`` -> ``42``)."""
    return "".join(str(unicodedata.decimal(c)) for c in s if unicodedata.decimal(c, None) is not None)


EMAIL = re.compile(
    r"(?<![\w.+-])[A-Za-z0-9][A-Za-z0-9._%+-]{0,63}@[A-Za-z0-9](?:[A-Za-z0-9-]{0,62}[A-Za-z0-9])?"
    r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,62}[A-Za-z0-9])?){0,8}\.[A-Za-z]{2,24}\b"
)
# an e-mail written with spaces between its characters ("j o h n @ e x . c o m") or with words
# for @ and . ("john at example dot com", "john [at] example [dot] com")
SPACED_EMAIL = re.compile(
    r"(?<![\w.@])(?:[A-Za-z0-9._%+-][ \t]{1,2}){1,64}@(?:[ \t]{1,2}[A-Za-z0-9.-]){3,255}(?![\w.])"
)
_AT = r"(?:[ \t]*[\[({][ \t]*at[ \t]*[\])}][ \t]*|[ \t]+at[ \t]+)"
_DOT = r"(?:[ \t]*[\[({][ \t]*dot[ \t]*[\])}][ \t]*|[ \t]+dot[ \t]+)"
WORDY_EMAIL = re.compile(
    rf"(?i)(?<![\w.+-])[A-Za-z0-9][A-Za-z0-9._%+-]{{0,63}}(?:{_DOT}[A-Za-z0-9._%+-]{{1,63}}){{0,3}}{_AT}[A-Za-z0-9][A-Za-z0-9-]{{0,62}}"
    rf"(?:(?:{_DOT}|\.)[A-Za-z0-9][A-Za-z0-9-]{{0,62}}){{0,6}}{_DOT}[A-Za-z]{{2,24}}\b"
)
IPV4 = re.compile(r"(?<![\d.])(?:\d{1,3}\.){3}\d{1,3}(?![\d.]*\d)")
# IPv6 in any form (full, compressed "fe80::1", "2001:db8::", IPv4-mapped): a run of hex digits,
# colons and dots holding two colons, checked by the ipaddress module
IPV6 = re.compile(r"(?<![\w:.])(?=[0-9A-Fa-f:.]{0,45}:[0-9A-Fa-f.]{0,45}:)[0-9A-Fa-f:][0-9A-Fa-f:.]{1,44}(?![\w:])")
MAC = re.compile(r"(?<![0-9A-Fa-f:-])(?:[0-9A-Fa-f]{2}([:-]))(?:[0-9A-Fa-f]{2}\1){4}[0-9A-Fa-f]{2}(?![0-9A-Fa-f:-])")
URL = re.compile(r"\b(?:https?://|www\.)[^\s<>\"'()\[\]{}]+[^\s<>\"'()\[\]{}.,;:!?]")
CARD = re.compile(r"(?<![\d-])(?:\d[ -]?){12,18}\d(?![\d-])")
IBAN = re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,4})?\b")
PHONE = re.compile(
    r"(?<![\w+])(?:\+\d{1,3}[ .-]?)?(?:\(\d{1,4}\)[ .-]?)?\d{2,4}(?:[ .-]\d{2,4}){1,4}(?:\s?x\d{1,5})?(?![\w])"
)
# national formats of the languages piimask writes, which PHONE's 2-4-digit groups miss: a trunk
# prefix 0 with area codes and subscriber numbers of up to ten digits ("030 12345678",
# "0171/1234567", "(089) 123456", "020-1234567", "024 - 5421247"), "+33 (0)1 23 45 67 89", numbers
# written without separators after + or 0 ("+31612345678", "0612345678"), Italian mobiles
# ("333 123 4567"); bounded quantifiers only
_NAT_HEAD = r"(?:\+\d{2,3}[ .-]?(?:\(0\)[ .-]?)?\d{1,4}|\(0\d{1,4}\)|0\d{1,4})"
NATIONAL_PHONE = re.compile(
    rf"(?<![\w+(.]){_NAT_HEAD}(?:(?:[ ./-]| - )\d{{2,10}}){{1,4}}(?![\w])"
    r"|(?<![\w+(.])(?:\+\d{9,14}|0\d{8,12})(?![\w])"
    r"|(?<![\w+(.])3\d{2}(?:[ .-]\d{3}[ .-]\d{3,4}|[ .-]\d{6,7})(?![\w])"
)
_DIGIT_WORDS = {
    "zero": "0",
    "oh": "0",
    "one": "1",
    "two": "2",
    "three": "3",
    "four": "4",
    "five": "5",
    "six": "6",
    "seven": "7",
    "eight": "8",
    "nine": "9",
}
_DW = r"(?:zero|oh|one|two|three|four|five|six|seven|eight|nine|\d{1,4})"
# a phone number spelled out ("five five five, zero one nine eight ...") or spaced out digit by digit
SPELLED_PHONE = re.compile(
    rf"(?i)(?<![\w+])(?:(?:plus|\+)[ \t]*)?{_DW}(?:[ \t]*[,.-]?[ \t]+{_DW}|[ \t]*-[ \t]*{_DW}){{6,15}}(?![\w])"
)
JWT = re.compile(r"(?<![A-Za-z0-9_-])eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}(?![A-Za-z0-9_-])")
API_KEY = re.compile(
    r"(?<![A-Za-z0-9_-])(?:sk-[A-Za-z0-9_-]{16,}|sk_(?:live|test)_[A-Za-z0-9]{16,}|AKIA[0-9A-Z]{16}|ASIA[0-9A-Z]{16}|"
    r"ghp_[A-Za-z0-9]{30,}|gho_[A-Za-z0-9]{30,}|github_pat_[A-Za-z0-9_]{30,}|xox[abpr]-[A-Za-z0-9-]{10,}|"
    r"AIza[0-9A-Za-z_-]{35}|glpat-[A-Za-z0-9_-]{20,})(?![A-Za-z0-9_-])"
)
# key = value in code and configuration: the key is any identifier, the kind is read from its last
# words (DB_PASSWORD, AWS_SECRET_ACCESS_KEY, GITHUB_TOKEN, db_user, "pwd"), the value taken whole
_QUOTED = r"""(?:"(?P<dq>[^"\n]{1,200})"|'(?P<sq>[^'\n]{1,200})'|(?P<bare>[^\s'",;)\]}&]{1,200}))"""
# the key and its separator only: a value is read after it, so a key inside another key's value
# (``config: password=x``) is still seen
ASSIGN_KEY = re.compile(r"""(?<![\w.-])["']?(?P<key>[A-Za-z][\w.-]{0,63})["']?[ \t]{0,8}(?:=>|=|:)[ \t]{0,8}""")
VALUE = re.compile(_QUOTED)
_CRED_KEY = re.compile(
    r"(?i)(?:^|[_.-])(?:password|passwd|pwd|pass|passphrase|secret|secret[_-]?key|"
    r"(?:secret[_-]?)?access[_-]?key|private[_-]?key|api[_-]?key|apikey|client[_-]?secret|"
    r"(?:access|auth|refresh|api|bearer)?[_-]?token|credentials?)$"
)
_USER_KEY = re.compile(r"(?i)(?:^|[_.-])(?:user(?:name)?|login|uid|usr|db_?user)$")
_NOT_A_VALUE = re.compile(
    r"\[[A-Za-z_0-9]+\]|\*+|None|null|nil|true|false|getenv\(?|os\.environ.*|process\.env.*|\$\{?\w*\}?"
)
# scheme://user:password@host
CONN = re.compile(r"\b[a-z][a-z0-9+.-]{1,20}://(?P<user>[^\s:/@]{1,64}):(?P<pw>[^\s@/]{1,128})@(?P<host>[^\s/:?#]+)")
# curl -u user:password, --user 'user:password'
CURL_USER = re.compile(
    r"""(?<![\w-])(?:-u|--user)(?:[ \t]+|=)(?P<q>["']?)(?P<user>[^\s:'"]{1,64})(?::(?P<pw>[^\s'"]{1,128}))?(?P=q)(?![^\s])"""
)


def _value_span(m: re.Match) -> tuple[int, int]:
    for g in ("dq", "sq", "bare"):
        if m.group(g) is not None:
            return m.start(g), m.end(g)
    raise ValueError("no value group matched")


def find_emails(text: str) -> list[Span]:
    out = [Span(m.start(), m.end(), "EMAIL") for m in EMAIL.finditer(text)]
    for m in SPACED_EMAIL.finditer(text):
        s = m.group()
        if EMAIL.fullmatch(re.sub(r"[ \t]", "", s)):
            out.append(Span(m.start(), m.end(), "EMAIL", score=0.9))
    for m in WORDY_EMAIL.finditer(text):
        local, _, domain = re.split(r"(?i)([\[({ \t]+at[\])} \t]+)", m.group(), maxsplit=1)
        if local.lower() in _PROSE or re.split(r"\W+", domain.strip().lower())[0] in _PROSE:  # "look at the dot com"
            continue
        out.append(Span(m.start(), m.end(), "EMAIL", score=0.9))
    return out


_PROSE = {
    "the",
    "a",
    "an",
    "this",
    "that",
    "my",
    "our",
    "your",
    "their",
    "his",
    "her",
    "its",
    "look",
    "me",
    "us",
    "home",
    "work",
    "least",
    "all",
    "once",
    "last",
    "first",
    "it",
}


def _ipv6(s: str) -> bool:
    s = s.rstrip(".")
    if s.count(":") < 2 or MAC.fullmatch(s):
        return False
    try:
        ipaddress.IPv6Address(s)
    except ValueError:
        return False
    # "10:30:45"-style times and slices like "1::2" are not addresses: ask for a group of 3+ hex
    # digits, or a full 8-group address
    groups = [g for g in re.split(r"[:.]", s) if g]
    return any(len(g) >= 3 for g in groups) or s.count(":") == 7


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
        if _ipv6(s):
            out.append(Span(m.start(), m.start() + len(s.rstrip(".")), "IPV6"))
    return out


def find_macs(text: str) -> list[Span]:
    return [Span(m.start(), m.end(), "MAC") for m in MAC.finditer(text)]


def find_urls(text: str) -> list[Span]:
    return [Span(m.start(), m.end(), "URL") for m in URL.finditer(text)]


def find_cards(text: str) -> list[Span]:
    """13-19 digit numbers (spaces or dashes allowed, digits of any script) that pass the Luhn check."""
    out = []
    for m in CARD.finditer(text):
        digits = ascii_digits(m.group())
        if 13 <= len(digits) <= 19 and luhn_valid(digits) and len(set(digits)) > 1:
            out.append(Span(m.start(), m.end(), "CREDITCARDNUMBER"))
    return out


def find_ibans(text: str) -> list[Span]:
    out = []
    for m in IBAN.finditer(text):
        s = m.group()
        if iban_valid(s):  # int(c, 36) reads digits of any script
            out.append(Span(m.start(), m.end(), "IBAN"))
    return out


def find_phones(text: str, min_digits: int = 9) -> list[Span]:
    """Phone-like digit runs with separators or a leading +: at least ``min_digits`` digits; the
    national formats of France, Germany, Italy and the Netherlands (``NATIONAL_PHONE``); also
    numbers spelled out in words or spaced out digit by digit (seven or more digits)."""
    out = []
    for m in PHONE.finditer(text):
        s = m.group()
        digits = len(ascii_digits(s))
        if digits < min_digits or digits > 15:
            continue
        if not (s.startswith("+") or "(" in s or re.search(r"\d[ .-]\d", s)):
            continue
        if re.fullmatch(r"\d{1,4}[./-]\d{1,2}[./-]\d{2,4}", s):  # a date
            continue
        out.append(Span(m.start(), m.end(), "PHONENUMBER", score=0.8))
    for m in NATIONAL_PHONE.finditer(text):
        s = m.group()
        digits = len(ascii_digits(s))
        if digits < min_digits or digits > 15 or re.fullmatch(r"\d{1,4}[./-]\d{1,2}[./-]\d{2,4}", s):
            continue
        if any(p.start <= m.start() and m.end() <= p.end for p in out):  # PHONE has it already
            continue
        out = [p for p in out if not (m.start() <= p.start and p.end <= m.end())]  # the longer span wins
        out.append(Span(m.start(), m.end(), "PHONENUMBER", score=0.8))
    for m in SPELLED_PHONE.finditer(text):
        words = re.findall(r"(?i)[a-z]+|\d+", m.group())
        spelled = sum(w.lower() in _DIGIT_WORDS for w in words)
        digits = sum(len(w) if w.isdigit() else 1 for w in words if w.isdigit() or w.lower() in _DIGIT_WORDS)
        singles = sum(1 for w in words if w.isdigit() and len(w) == 1)
        # words for digits, or digits one by one ("5 5 5 0 1 9 ..."), not a list ("1, 2, 3") or years
        if 7 <= digits <= 15 and (spelled >= 4 or (singles >= 7 and "," not in m.group())):
            out.append(Span(m.start(), m.end(), "PHONENUMBER", score=0.8))
    return out


def find_secrets(text: str) -> list[Span]:
    """JWTs, API keys, credentials assigned in code and configuration (``password=...``,
    ``DB_PASSWORD=...``, ``AWS_SECRET_ACCESS_KEY=...``, ``"user": "..."``), ``scheme://user:pw@host``
    and ``curl -u user:pw``."""
    out = [Span(m.start(), m.end(), "SECRET") for m in JWT.finditer(text)]
    out += [Span(m.start(), m.end(), "SECRET") for m in API_KEY.finditer(text)]
    for k in ASSIGN_KEY.finditer(text):
        key = k.group("key")
        label = "PASSWORD" if _CRED_KEY.search(key) else "USERNAME" if _USER_KEY.search(key) else None
        m = VALUE.match(text, k.end()) if label else None
        if m is None:
            continue
        s, e = _value_span(m)
        value = text[s:e]
        if not any(c.isalnum() for c in value) or _NOT_A_VALUE.fullmatch(value):
            continue
        if label == "USERNAME" and ("(" in value or value.endswith(":")):
            continue
        out.append(Span(s, e, label, score=1.0 if label == "PASSWORD" else 0.9))
    for m in CONN.finditer(text):
        out.append(Span(m.start("user"), m.end("user"), "USERNAME"))
        out.append(Span(m.start("pw"), m.end("pw"), "PASSWORD"))
    for m in CURL_USER.finditer(text):
        out.append(Span(m.start("user"), m.end("user"), "USERNAME"))
        if m.group("pw"):
            out.append(Span(m.start("pw"), m.end("pw"), "PASSWORD"))
    return out


RECOGNIZERS = {
    "email": find_emails,
    "ip": find_ips,
    "mac": find_macs,
    "url": find_urls,
    "card": find_cards,
    "iban": find_ibans,
    "phone": find_phones,
    "secret": find_secrets,
}


def resolve_overlaps(spans: list[Span]) -> list[Span]:
    """One rule for overlapping spans: the longer span wins; on equal length the higher score,
    then a rule span over a model span. Returns non-overlapping spans sorted by start.

    Spans are taken in that order and each is kept when none of its characters is taken yet:
    one sort, then time proportional to the total length of the spans.
    """
    if not spans:
        return []
    ranked = sorted(spans, key=lambda s: (-(s.end - s.start), -s.score, s.source != "rule", s.start))
    lo = min(s.start for s in spans)
    taken = bytearray(max(s.end for s in spans) - lo)
    kept: list[Span] = []
    for s in ranked:
        a, b = s.start - lo, s.end - lo
        if b > a and taken.find(1, a, b) == -1:
            taken[a:b] = b"\x01" * (b - a)
            kept.append(s)
    return sorted(kept, key=lambda s: s.start)


def detect(text: str, kinds: tuple[str, ...] | None = None, resolve: bool = True) -> list[Span]:
    """All recognizer spans in ``text`` (``kinds`` limits which run), overlaps resolved."""
    spans: list[Span] = []
    for name, fn in RECOGNIZERS.items():
        if kinds is None or name in kinds:
            spans += fn(text)
    # an e-mail's or URL's host may also look like something else: the longer span wins anyway
    return resolve_overlaps(spans) if resolve else spans


# -- identifiers in code ------------------------------------------------------------------------
IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_IMPORT_LINE = re.compile(
    r"(?m)^[ \t]*(?:from[ \t]+[\w.]+[ \t]+)?import[ \t]+[\w., \t]+$|^[ \t]*from[ \t]+[\w.]+[ \t]+import\b"
)
_ASSIGNED = re.compile(r"(?m)^[ \t]*(?P<name>[A-Za-z_]\w{0,63})[ \t]*(?:=(?!=)|\+=|-=|:[ \t]*[A-Za-z_]\w*[ \t]*=)")
_METHOD_CALL = re.compile(r"\.[A-Za-z_]\w{0,63}\(")
_DOTTED = re.compile(r"[A-Za-z_]\w{0,63}(?:\.[A-Za-z_]\w{0,63}){1,8}")


class CodeContext:
    """Where a text reads as code: import lines and assignment targets, found once, so that asking
    about any span is cheap. A model span that is a code identifier (``psycopg2``, ``conn``,
    ``cursorr``) is left readable; values in code (strings, ``password=...``) are not affected."""

    def __init__(self, text: str):
        self.text = text
        spans = [(m.start(), m.end()) for m in _IMPORT_LINE.finditer(text)]
        self._imports = spans
        self._import_starts = [a for a, _ in spans]
        self._assigned = {m.start("name") for m in _ASSIGNED.finditer(text)}

    def _in_import(self, s: int, e: int) -> bool:
        i = bisect.bisect_right(self._import_starts, s) - 1
        return i >= 0 and self._imports[i][1] >= e

    def is_identifier(self, s: int, e: int) -> bool:
        text = self.text
        if not IDENTIFIER.fullmatch(text, s, e):
            # a dotted name read as one span: a call (psycopg2.connect(, conn.cursor().execute() or an import
            return bool(_DOTTED.fullmatch(text, s, e)) and (
                text[e : e + 1] == "(" or bool(_METHOD_CALL.match(text, e)) or self._in_import(s, e)
            )
        before = text[s - 1] if s > 0 else ""
        after = text[e] if e < len(text) else ""
        if after == "(":  # a call: connect(, cursorr(
            return True
        if _METHOD_CALL.match(text, e):  # a module or object whose method is called: psycopg2.connect(
            return True
        if s in self._assigned:  # an assignment target at the start of a line: conn = ...
            return True
        if after == "=" and text[e : e + 2] != "==" and before in ("(", ","):  # keyword argument: f(host=...
            return True
        if (
            re.match(r"[ \t]*=(?!=)", text[e : e + 9])
            and before in ("(", ",", " ")
            and re.search(r"[(,][ \t]*$", text[max(0, s - 8) : s])
        ):
            return True
        return self._in_import(s, e)
