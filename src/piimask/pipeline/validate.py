"""The quality gate: every record checked, each failure a reason code on the record.

Reason codes (a record may carry several):

- ``refusal`` / ``preamble``: the LLM declined, or talked about the text instead of writing it;
- ``placeholder_left``: a ``[LABEL]``-like placeholder is still in source_text; ``unknown_label``;
- ``no_pii``: nothing to learn from;
- ``span_mismatch``: ``source_text[start:end] != value``; ``span_overlap``; ``span_out_of_bounds``;
- ``too_short`` / ``too_long``: outside the length bounds;
- ``duplicate`` (same source_text) and ``near_duplicate`` (same normalised text);
- ``unlabelled_pii``: text labelled O that a deterministic recognizer says is PII;
- ``format_mismatch:<LABEL>``: a value that cannot be of its class (an EMAIL without "@", ...).

Generation already rejects refusals and unknown labels; the gate checks again, because records
may also come from files.
"""

from __future__ import annotations

import ipaddress
import re
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterable

from ..core import recognizers
from ..core.fill import placeholder_reasons
from ..core.label import offsets_from_wordpieces, span_problems
from ..core.record import Record
from ..core.values import iban_valid
from .answers import introduced, refused


def _ip(v: str, version: int | None = None) -> bool:
    """True when ``v`` parses as an IP address (of ``version`` 4 or 6, if given)."""
    try:
        parsed = ipaddress.ip_address(v)
    except ValueError:
        return False
    return version is None or parsed.version == version


CODICE_FISCALE = re.compile(r"[A-Z]{6}[0-9LMNPQRSTUV]{2}[A-EHLMPR-T][0-9LMNPQRSTUV]{2}[A-Z][0-9LMNPQRSTUV]{3}[A-Z]")

FORMAT_CHECKS: dict[str, Callable[[str], bool]] = {
    "EMAIL": lambda v: re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", v) is not None,
    "IPV4": lambda v: _ip(v, 4),
    "IPV6": lambda v: _ip(v, 6),
    "IP": _ip,
    "MAC": lambda v: re.fullmatch(r"([0-9A-Fa-f]{2}[:-]){5}[0-9A-Fa-f]{2}", v) is not None,
    "URL": lambda v: re.match(r"(https?://|www\.)\S+\.\S+", v) is not None,
    "CREDITCARDNUMBER": lambda v: 12 <= sum(c.isdigit() for c in v) <= 19 and re.fullmatch(r"[\d -]+", v) is not None,
    "IBAN": lambda v: iban_valid(v),
    "BIC": lambda v: re.fullmatch(r"[A-Z0-9]{8}([A-Z0-9]{3})?", v) is not None,
    "ETHEREUMADDRESS": lambda v: re.fullmatch(r"0x[0-9a-fA-F]{40}", v) is not None,
    "BITCOINADDRESS": lambda v: re.fullmatch(r"[13bc][1-9A-HJ-NP-Za-km-z]{20,60}", v) is not None,
    "PIN": lambda v: re.fullmatch(r"\d{3,8}", v) is not None,
    "CREDITCARDCVV": lambda v: re.fullmatch(r"\d{3,4}", v) is not None,
    "ACCOUNTNUMBER": lambda v: sum(c.isdigit() for c in v) >= 4,
    "ZIPCODE": lambda v: any(c.isdigit() for c in v),
    "PHONENUMBER": lambda v: sum(c.isdigit() for c in v) >= 6,
    "PHONEIMEI": lambda v: sum(c.isdigit() for c in v) >= 14,
    "VEHICLEVIN": lambda v: re.fullmatch(r"[A-HJ-NPR-Z0-9]{17}", v) is not None,
    "BUILDINGNUMBER": lambda v: any(c.isdigit() for c in v),
    # nine digits or more (SSN, INSEE, Steuer-ID, BSN...), or an Italian codice fiscale
    "SSN": lambda v: sum(c.isdigit() for c in v) >= 9 or CODICE_FISCALE.fullmatch(v) is not None,
}


def normalise(text: str) -> str:
    """Text for near-duplicate detection: case, accents, digits, punctuation and spacing folded
    away. Letters of every script count as letters (``réservation``, ``Straße``), so accented texts
    are compared word for word; ``Straße`` and ``STRASSE``, ``Qualité`` and ``Qualite``, a
    non-breaking and a plain space fold together."""
    t = unicodedata.normalize("NFKD", text.casefold())
    t = unicodedata.normalize("NFKC", "".join(c for c in t if not unicodedata.combining(c)))
    t = re.sub(r"\d", "0", t)
    t = re.sub(r"[^\w\s]", " ", t)
    return re.sub(r"\s+", " ", t).strip()


def _o_regions(text: str, mask: list[dict]) -> list[tuple[int, int]]:
    regions, cursor = [], 0
    for e in sorted(mask, key=lambda e: e["start"]):
        if e["start"] > cursor:
            regions.append((cursor, e["start"]))
        cursor = max(cursor, e["end"])
    if cursor < len(text):
        regions.append((cursor, len(text)))
    return regions


def unlabelled_pii(rec: Record) -> list[recognizers.Span]:
    """Recognizer hits that lie wholly in the record's O regions."""
    hits = recognizers.detect(rec.source_text, kinds=("email", "ip", "mac", "url", "card", "iban", "phone"))
    regions = _o_regions(rec.source_text, rec.privacy_mask)
    return [h for h in hits if any(a <= h.start and h.end <= b for a, b in regions)]


def record_reasons(rec: Record, min_chars: int = 30, max_chars: int = 700) -> list[str]:
    """Reason codes for one record on its own (duplicates need the whole set: see ``gate``)."""
    text = rec.source_text
    reasons: list[str] = []
    if refused(text):
        reasons.append("refusal")
    elif introduced(text):
        reasons.append("preamble")
    mask = rec.privacy_mask
    reasons += placeholder_reasons(text, mask or ())
    if not mask:
        reasons.append("no_pii")
    reasons += [code for code, _ in span_problems(text, mask)]
    if len(text) < min_chars:
        reasons.append("too_short")
    if len(text) > max_chars:
        reasons.append("too_long")
    if not {"span_out_of_bounds", "span_mismatch"} & set(reasons) and unlabelled_pii(rec):
        reasons.append("unlabelled_pii")
    bad_formats = sorted(
        {e["label"] for e in mask if e["label"] in FORMAT_CHECKS and not FORMAT_CHECKS[e["label"]](e["value"])}
    )
    reasons += [f"format_mismatch:{lab}" for lab in bad_formats]
    return reasons


def gate(records: Iterable[Record], min_chars: int = 30, max_chars: int = 700) -> tuple[list[Record], list[Record]]:
    """(accepted, rejected): every record checked, reasons kept; nothing dropped silently.

    Records already rejected upstream (generation) keep their reasons and stay rejected.
    """
    accepted, rejected = [], []
    seen_exact: set[str] = set()
    seen_near: set[str] = set()
    for rec in records:
        reasons = list(rec.reject_reasons) or record_reasons(rec, min_chars, max_chars)
        if not reasons:
            if rec.source_text in seen_exact:
                reasons.append("duplicate")
            elif normalise(rec.target_text or rec.source_text) in seen_near:
                reasons.append("near_duplicate")
        rec.reject_reasons = reasons
        if reasons:
            rejected.append(rec)
        else:
            seen_exact.add(rec.source_text)
            seen_near.add(normalise(rec.target_text or rec.source_text))
            accepted.append(rec)
    return accepted, rejected


def reason_counts(rejected: Iterable[Record]) -> Counter:
    return Counter(r.split(":")[0] for rec in rejected for r in rec.reject_reasons)


def distinct_n(texts: Iterable[str], n: int) -> float:
    """Share of distinct word n-grams among all n-grams (lexical diversity)."""
    total, seen = 0, set()
    for t in texts:
        words = t.lower().split()
        grams = list(zip(*(words[i:] for i in range(n))))
        total += len(grams)
        seen.update(grams)
    return round(len(seen) / total, 4) if total else 0.0


def dataset_stats(records: list[Record]) -> dict:
    """The numbers of the dataset report (lengths, entities, diversity, templates)."""
    import statistics

    lengths = [len(r.source_text) for r in records]
    ents = [len(r.privacy_mask) for r in records]
    targets = [r.target_text for r in records]
    return {
        "records": len(records),
        "median_chars": statistics.median(lengths) if lengths else 0,
        "median_entities": statistics.median(ents) if ents else 0,
        "distinct_1": distinct_n(targets, 1),
        "distinct_2": distinct_n(targets, 2),
        "distinct_templates": len({r.template_id for r in records}),
        "distinct_target_texts": len(set(targets)),
        "duplicate_rate": round(1 - len(set(targets)) / len(targets), 4) if targets else 0.0,
    }


def b_count_causes(records: Iterable[Record]) -> Counter:
    """Records whose BIO labels begin a different number of entities than they hold, by cause.

    - ``shared_token``: one token covers two entities and begins only the one it overlaps most,
      so the other has no token to begin with. An uncased WordPiece vocabulary reads a currency
      sign it does not know glued to an amount (``₪1234``) as one ``[UNK]``: AMOUNT gets the
      ``B-``, CURRENCYSYMBOL none. A limit of the tokenizer, not a labelling error; the
      character spans stay exact.
    - ``no_token``: an entity no token overlaps (made only of characters the tokenizer drops).
    - ``other``: anything else, including tokens that cannot be aligned with the text: a bug.
    """
    causes: Counter = Counter()
    for r in records:
        if sum(lab.startswith("B-") for lab in r.mbert_bio_labels) == len(r.privacy_mask):
            continue
        try:
            offsets = offsets_from_wordpieces(r.source_text, r.mbert_text_tokens)
        except ValueError:
            causes["other"] += 1
            continue
        ents = sorted(r.privacy_mask, key=lambda e: (e["start"], e["end"]))
        owned, overlapped = set(), set()
        for s, e in offsets:
            hits = [
                (min(e, x["end"]) - max(s, x["start"]), -i)
                for i, x in enumerate(ents)
                if s < x["end"] and x["start"] < e
            ]
            if e > s and hits:
                overlapped.update(-i for _, i in hits)
                owned.add(-max(hits)[1])  # the entity it overlaps most, the earlier on a tie (as bio_from_offsets)
        orphans = set(range(len(ents))) - owned
        if not orphans:
            causes["other"] += 1
        elif orphans <= overlapped:
            causes["shared_token"] += 1
        elif not orphans & overlapped:
            causes["no_token"] += 1
        else:
            causes["other"] += 1
    return causes
