"""Fill an LLM-written masked text with PII values and record exact offsets.

Placeholders look like ``[FIRSTNAME]`` or ``[FIRSTNAME_1]``; the variants LLMs produce are
accepted too: ``[[FIRSTNAME]]``, ``{FIRSTNAME}``, ``{{FIRSTNAME}}``, ``<FIRSTNAME>``, lower case,
inner spaces and underscores (``[ first_name ]``). Square brackets always mark a placeholder;
curly and angle brackets only when the name is a known class or written in capitals, so HTML tags
or ``{name}`` in code pass through.

Offsets are taken in the *filled* text at the moment each value is written, end exclusive, so
``source_text[start:end] == value`` holds by construction.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from .taxonomy import CLASSES

_PLACEHOLDER = re.compile(
    r"\[\[\s*(?P<d>[A-Za-z][A-Za-z0-9_ ]{0,40}?)\s*\]\]"
    r"|\{\{\s*(?P<c2>[A-Za-z][A-Za-z0-9_ ]{0,40}?)\s*\}\}"
    r"|\[\s*(?P<s>[A-Za-z][A-Za-z0-9_ ]{0,40}?)\s*\]"
    r"|\{\s*(?P<c>[A-Za-z][A-Za-z0-9_ ]{0,40}?)\s*\}"
    r"|<\s*(?P<a>[A-Za-z][A-Za-z0-9_ ]{0,40}?)\s*>"
)


class PlaceholderError(ValueError):
    """The masked text names labels outside the taxonomy; ``unknown`` lists them."""

    def __init__(self, unknown: list[str]):
        self.unknown = sorted(set(unknown))
        super().__init__(
            f"placeholder label(s) outside the 56 classes: {', '.join(self.unknown)}; "
            "they are not guessed, ask the model again or map them explicitly"
        )


@dataclass(frozen=True)
class Placeholder:
    start: int  # in the masked text
    end: int
    label: str | None  # canonical class, or None when unknown
    index: int | None  # the _n of [LABEL_n], if any
    raw: str  # the name as written

    @property
    def known(self) -> bool:
        return self.label is not None


@dataclass
class Filled:
    source_text: str
    target_text: str
    privacy_mask: list[dict] = field(default_factory=list)


def canonical_label(name: str) -> tuple[str | None, int | None]:
    """``' first_name_2 '`` -> (``'FIRSTNAME'``, 2); unknown names give (None, index)."""
    squashed = re.sub(r"[\s]+", "", name).upper()
    plain = squashed.replace("_", "")
    if plain in CLASSES:  # IPV4 ends in a digit: the whole name wins over an index
        return plain, None
    m = re.fullmatch(r"(.*?)_?(\d+)", squashed)
    if m and m.group(1).replace("_", "") in CLASSES:
        return m.group(1).replace("_", ""), int(m.group(2))
    return None, (int(m.group(2)) if m else None)


def find_placeholders(masked: str) -> list[Placeholder]:
    """Every placeholder in ``masked``, in order, known or not."""
    out = []
    for m in _PLACEHOLDER.finditer(masked):
        kind = m.lastgroup
        raw = m.group(kind)
        label, index = canonical_label(raw)
        if label is None and kind in ("c", "c2", "a"):
            # braces and angle brackets are common in code and HTML: only capitals count
            if not re.fullmatch(r"[A-Z][A-Z0-9_ ]*", raw.strip()):
                continue
        out.append(Placeholder(m.start(), m.end(), label, index, raw.strip()))
    return out


def fill(
    masked: str,
    value_for: Callable[[str], str],
    settle: Callable[[str, str], str] | None = None,
    brackets: tuple[str, str] = ("", ""),
) -> Filled:
    """Replace every placeholder with ``value_for(label)``.

    Indexed repeats (``[FIRSTNAME_1]`` twice) get one value; unindexed repeats get fresh values.
    ``settle(label, value)``, when given, names the class the value is recorded under (in the
    privacy mask and the target text): ``taxonomy.settle_label`` settles look-alikes the dataset
    labels two ways onto one. Raises ``PlaceholderError`` if any placeholder names a label outside
    the taxonomy.

    ``brackets`` (``("[", "]")``, ``("<", ">")``) are written around every value, outside its span,
    as some texts keep them ("[Brunel]-[Okafor]"); a value that the brackets would make read as a
    placeholder (``[SSN]``, ``<M>``) is written bare.
    """
    holders = find_placeholders(masked)
    unknown = [h.raw for h in holders if not h.known]
    if unknown:
        raise PlaceholderError(unknown)
    src: list[str] = []
    tgt: list[str] = []
    src_len = 0
    mask: list[dict] = []
    chosen: dict[tuple[str, int], str] = {}
    cursor = 0
    for h in holders:
        gap = masked[cursor : h.start]
        src.append(gap)
        tgt.append(gap)
        src_len += len(gap)
        if h.index is not None:
            key = (h.label, h.index)
            if key not in chosen:
                chosen[key] = value_for(h.label)
            value = chosen[key]
        else:
            value = value_for(h.label)
        if not value:
            raise ValueError(f"empty value generated for {h.label}")
        label = settle(h.label, value) if settle is not None else h.label
        mask.append({"value": value, "start": src_len, "end": src_len + len(value), "label": label})
        src.append(value)
        tgt.append(f"[{label}]")
        src_len += len(value)
        cursor = h.end
    src.append(masked[cursor:])
    tgt.append(masked[cursor:])
    if brackets[0]:
        source, mask = bracketed("".join(src), mask, brackets)
        return Filled(source, target_from_source(source, mask), mask)
    return Filled("".join(src), "".join(tgt), mask)


def bracketed(source_text: str, privacy_mask: list[dict], brackets: tuple[str, str]) -> tuple[str, list[dict]]:
    """(source_text, privacy_mask) of a filled text with ``brackets`` around every value (``fill``
    writes its texts so; a record filled without brackets can be bracketed after the fact, for a
    paired comparison)."""
    left, right = brackets
    out, mask, cursor, shift = [], [], 0, 0
    for ent in sorted(privacy_mask, key=lambda e: e["start"]):
        value = source_text[ent["start"] : ent["end"]]
        lo, hi = (left, right) if left and not placeholder_reasons(left + value + right) else ("", "")
        out += [source_text[cursor : ent["start"]], lo, value, hi]
        mask.append({**ent, "start": ent["start"] + shift + len(lo), "end": ent["end"] + shift + len(lo)})
        shift += len(lo) + len(hi)
        cursor = ent["end"]
    out.append(source_text[cursor:])
    return "".join(out), mask


def placeholder_reasons(text: str, privacy_mask: Sequence[dict] = ()) -> list[str]:
    """What a filled text must not hold: ``placeholder_left`` for a placeholder of a known class or
    a ``[NAME]`` in capitals, ``unknown_label`` for a placeholder-like name in capitals outside the
    classes (``[M]``, ``<FOO>``); the validation gate rejects a record for either. A value of
    ``privacy_mask`` is a value, not a placeholder, whatever brackets it stands in (a currency code
    as ``<JOD>``, a line of markup)."""
    for e in privacy_mask:  # a malformed span is the gate's span checks' to report
        a, b = (e.get("start"), e.get("end")) if isinstance(e, dict) else (None, None)
        if isinstance(a, int) and isinstance(b, int) and 0 <= a < b <= len(text):
            text = text[:a] + "x" * (b - a) + text[b:]
    holders = find_placeholders(text)
    reasons = []
    if any(h.known for h in holders) or re.search(r"\[[A-Z][A-Z0-9_]{2,}\]", text):
        reasons.append("placeholder_left")
    if any(not h.known and re.fullmatch(r"[A-Z][A-Z0-9_ ]*", h.raw) for h in holders):
        reasons.append("unknown_label")
    return reasons


def target_from_source(source_text: str, privacy_mask: list[dict]) -> str:
    """Put ``[LABEL]`` back over every span: the dataset's target_text."""
    out, cursor = [], 0
    for ent in sorted(privacy_mask, key=lambda e: e["start"]):
        out.append(source_text[cursor : ent["start"]])
        out.append(f"[{ent['label']}]")
        cursor = ent["end"]
    out.append(source_text[cursor:])
    return "".join(out)
