"""How close the generated corpus is to real rows: profiles, distances, and a guard against copying.

``profile`` reduces rows in the 200k schema (``source_text`` + ``privacy_mask``; plain dicts or
``Record`` objects) to aggregate statistics; ``compare`` measures two profiles item by item, one
distance in 0..1 per item:

- numeric distributions (text length, sentences, entities per text, value lengths): the
  two-sample Kolmogorov-Smirnov statistic;
- categorical distributions (class shares, co-occurring and touching class pairs, value shapes,
  the character classes of values, context words): the Jensen-Shannon divergence, base 2
  (0 identical, 1 disjoint);
- span-edge conventions (is the currency symbol inside AMOUNT, the number inside STREET, ...):
  the absolute difference of the two rates;
- the ordinary words around the values (``vocabulary_gap``): the share of the reference's
  word tokens outside values whose word the generated corpus never writes outside a value. A
  model that has never seen "oncology" as an ordinary word is tempted to mask it.

Small samples inflate every distance (a class seen 20 times cannot match any distribution
closely), so ``noise_floor`` compares random halves of the reference with each other: a distance
near its floor is sampling noise, not a finding.

The real rows are for evaluation only. What leaves this module for a file (``summary``) is
aggregate: counts, quantiles and rates; value shapes only when seen at least twice and at most the
top ten per class (the shape of a unique password is nearly the password); context words only when
seen at least twice. ``copied_ngrams`` is the guard that proves no real wording reached the package.
"""

from __future__ import annotations

import math
import random
import re
import unicodedata
from bisect import bisect_right
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import product
from pathlib import Path

import pandas as pd

from ..core.fill import target_from_source

# -- reading rows ------------------------------------------------------------------------------


def text_and_mask(row) -> tuple[str, list[dict]]:
    """``(source_text, privacy_mask)`` of a dict row or a ``Record``; spans sorted, overlaps dropped."""
    if isinstance(row, Mapping):
        text, mask = row.get("source_text") or "", row.get("privacy_mask") or []
    else:
        text, mask = row.source_text, row.privacy_mask
    spans, cursor = [], 0
    for e in sorted(mask, key=lambda e: (e["start"], e["end"])):
        if e["start"] >= cursor and e["end"] <= len(text):
            spans.append(e)
            cursor = e["end"]
    return text, spans


# -- the pieces of a profile -------------------------------------------------------------------


def _char_class(ch: str) -> str:
    if ch.isupper():
        return "A"
    if ch.islower():
        return "a"
    if ch.isdigit():
        return "9"
    return " " if ch.isspace() else ch


def _collapse(classes: Sequence[str]) -> list[str]:
    out, i = [], 0
    while i < len(classes):
        j = i
        while j < len(classes) and classes[j] == classes[i]:
            j += 1
        out.append(classes[i] + ("+" if j - i > 1 else ""))
        i = j
    return out


def value_shape(value: str) -> str:
    """Character classes with runs collapsed: ``Kuphal`` -> ``Aa+``, ``764,336.48`` -> ``9+,9+.9+``.

    Upper ``A``, lower ``a``, digit ``9``, any space `` ``; other characters stand for themselves;
    a run of two or more of one class is written once with ``+``. A word (letters and digits)
    that alternates classes more than three times is random-looking (``x7Rq2Lm``): it becomes the
    set of its classes, ``Aa9+``, so that two passwords of one kind share a shape.
    """
    out = []
    for word in re.findall(r"[^\W_]+|[\W_]+", value):
        runs = _collapse([_char_class(ch) for ch in word])
        if len(runs) > 3 and word[0].isalnum():
            present = {r[0] for r in runs}
            runs = ["".join(c for c in "Aa9" if c in present) + "+"]
        out += runs
    return "".join(out)


def value_composition(value: str) -> Counter:
    """Characters of a value counted by class (``A``, ``a``, ``9``, space, each other character):
    pooled over a class, it describes random-looking values whose shapes are all distinct."""
    return Counter(_char_class(ch) for ch in value)


_SENTENCE_END = re.compile(r"[.!?]+(?=\s|$)|\n\s*\n")


def sentence_count(masked: str) -> int:
    """Sentences in a masked text: ends of ``.``, ``!``, ``?`` before a space or the end, and blank
    lines. Counted on the masked text, so the dot of ``Dr.`` or of an e-mail never counts."""
    ends = len(_SENTENCE_END.findall(masked.strip()))
    last_open = bool(re.search(r"[^.!?\s]\s*$", masked.strip()))
    return max(1, ends + last_open)


_TOKEN = re.compile(r"\[[A-Z0-9_]+\]|[^\W\d_]+|[.!?\n]")
_BARRIER = {".", "!", "?", "\n"}


def context_words(text: str, spans: Sequence[dict], window: int = 3) -> list[tuple[str, list[str], list[str]]]:
    """``(label, left words, right words)`` per span: up to ``window`` tokens on each side within
    the sentence, lower-cased, letters only. Other spans count as tokens but are never words, so
    no neighbouring value leaks into the statistics."""
    tokens: list[tuple[str, int]] = []  # (token, span index or -1)
    cursor = 0
    for i, e in enumerate(spans):
        tokens += [(t.lower(), -1) for t in _TOKEN.findall(text[cursor : e["start"]])]
        tokens.append((e["label"], i))
        cursor = e["end"]
    tokens += [(t.lower(), -1) for t in _TOKEN.findall(text[cursor:])]
    where = {idx: pos for pos, (_, idx) in enumerate(tokens) if idx >= 0}
    out = []
    for i, e in enumerate(spans):
        pos = where[i]
        sides = []
        for step in (-1, 1):
            words, p = [], pos + step
            while 0 <= p < len(tokens) and abs(p - pos) <= window and tokens[p][0] not in _BARRIER:
                if tokens[p][1] < 0 and not tokens[p][0].startswith("["):
                    words.append(tokens[p][0])
                p += step
            sides.append(words)
        out.append((e["label"], sides[0], sides[1]))
    return out


_TITLE = re.compile(r"^(?:mr|mrs|ms|miss|mx|dr|prof|sir|madam|dame|lord|lady)\b\.?\s*(?=\w)", re.I)
_OPENERS = set("([{\"'“‘«")
_CLOSERS = set(".,;:!?)]}\"'”’»")
EDGE_CONVENTIONS = {
    "glued_left": "the character before the value is neither a space nor an opening bracket or quote",
    "glued_right": "the character after the value is neither a space nor ordinary punctuation",
    "touches_span": "another span ends where this one starts, or starts where it ends",
    "currency_inside": "the value holds a currency symbol (AMOUNT: is the symbol in the span?)",
    "digits_inside": "the value holds a digit (STREET: is the house number in the span?)",
    "title_inside": "the value starts with a title such as Mr. or Dr. followed by more",
    "trailing_punct": "the value ends with . , ; : ! or ?",
    "brackets_inside": "the value holds a bracket",
    "space_edge": "the value starts or ends with whitespace",
}


def edge_conventions(text: str, spans: Sequence[dict], i: int) -> set[str]:
    """The conventions (keys of ``EDGE_CONVENTIONS``) that span ``i`` of a text shows."""
    e = spans[i]
    value, start, end = text[e["start"] : e["end"]], e["start"], e["end"]
    before, after = text[start - 1 : start], text[end : end + 1]
    found = set()
    if before and not before.isspace() and before not in _OPENERS:
        found.add("glued_left")
    if after and not after.isspace() and after not in _CLOSERS:
        found.add("glued_right")
    if (i > 0 and spans[i - 1]["end"] == start) or (i + 1 < len(spans) and spans[i + 1]["start"] == end):
        found.add("touches_span")
    if any(unicodedata.category(ch) == "Sc" for ch in value):
        found.add("currency_inside")
    if any(ch.isdigit() for ch in value):
        found.add("digits_inside")
    if _TITLE.match(value):
        found.add("title_inside")
    if value[-1:] in set(".,;:!?"):
        found.add("trailing_punct")
    if any(ch in "()[]{}" for ch in value):
        found.add("brackets_inside")
    if value != value.strip():
        found.add("space_edge")
    return found


# -- profile -----------------------------------------------------------------------------------


@dataclass
class Profile:
    """Aggregate statistics of a set of rows (see ``profile``)."""

    n_texts: int = 0
    text_chars: list[int] = field(default_factory=list)
    sentences: list[int] = field(default_factory=list)
    entities: list[int] = field(default_factory=list)
    classes: Counter = field(default_factory=Counter)
    pairs: Counter = field(default_factory=Counter)  # "A+B": classes that share a text (once per text)
    touching: Counter = field(default_factory=Counter)  # "A+B": A ends exactly where B starts
    shapes: dict = field(default_factory=lambda: defaultdict(Counter))
    composition: dict = field(default_factory=lambda: defaultdict(Counter))  # characters by class
    value_chars: dict = field(default_factory=lambda: defaultdict(list))
    left: dict = field(default_factory=lambda: defaultdict(Counter))
    right: dict = field(default_factory=lambda: defaultdict(Counter))
    edges: dict = field(default_factory=lambda: defaultdict(Counter))
    words: Counter = field(default_factory=Counter)  # lower-cased words outside every value

    def edge_rate(self, label: str, convention: str) -> float:
        n = self.classes.get(label, 0)
        return self.edges[label][convention] / n if n else math.nan


def profile(rows: Iterable, window: int = 3) -> Profile:
    """Statistics of ``rows`` (dicts or Records): lengths, classes, value shapes, context words
    (``window`` tokens each side) and span-edge conventions."""
    p = Profile()
    for row in rows:
        text, spans = text_and_mask(row)
        p.n_texts += 1
        p.text_chars.append(len(text))
        p.sentences.append(sentence_count(target_from_source(text, spans)))
        p.entities.append(len(spans))
        labels = sorted({e["label"] for e in spans})
        p.pairs.update(f"{a}+{b}" for k, a in enumerate(labels) for b in labels[k + 1 :])
        for i, e in enumerate(spans):
            value = text[e["start"] : e["end"]]
            p.classes[e["label"]] += 1
            p.shapes[e["label"]][value_shape(value)] += 1
            p.composition[e["label"]].update(value_composition(value))
            p.value_chars[e["label"]].append(len(value))
            p.edges[e["label"]].update(edge_conventions(text, spans, i))
            if i > 0 and spans[i - 1]["end"] == e["start"]:
                p.touching[f"{spans[i - 1]['label']}+{e['label']}"] += 1
        for label, left, right in context_words(text, spans, window):
            p.left[label].update(left)
            p.right[label].update(right)
        p.words.update(plain_words(text, spans))
    return p


_WORD = re.compile(r"[^\W\d_]+")


def plain_words(text: str, spans: Sequence[dict]) -> list[str]:
    """The lower-cased words (letters only) of ``text`` outside its ``spans`` (sorted, disjoint)."""
    out, cursor = [], 0
    for e in [*spans, {"start": len(text), "end": len(text)}]:
        out += [w.lower() for w in _WORD.findall(text[cursor : e["start"]])]
        cursor = e["end"]
    return out


def vocabulary_gap(ref: Counter, gen: Counter) -> float:
    """Share of the word tokens of ``ref`` whose word ``gen`` never holds (0 = all covered);
    NaN when ``ref`` is empty."""
    total = sum(ref.values())
    return sum(n for w, n in ref.items() if w not in gen) / total if total else math.nan


# -- distances ---------------------------------------------------------------------------------


def ks_statistic(a: Sequence[float], b: Sequence[float]) -> float:
    """Two-sample Kolmogorov-Smirnov statistic: the largest gap between the two empirical CDFs.
    NaN when either sample is empty."""
    if not len(a) or not len(b):
        return math.nan
    a, b = sorted(a), sorted(b)
    return max(abs(bisect_right(a, x) / len(a) - bisect_right(b, x) / len(b)) for x in set(a) | set(b))


def js_divergence(p: Mapping[str, float], q: Mapping[str, float]) -> float:
    """Jensen-Shannon divergence of two count (or weight) mappings, base 2: 0 for identical
    distributions, 1 for disjoint ones. NaN when either is empty."""
    sp, sq = sum(p.values()), sum(q.values())
    if sp <= 0 or sq <= 0:
        return math.nan
    total = 0.0
    for k in set(p) | set(q):
        a, b = p.get(k, 0) / sp, q.get(k, 0) / sq
        m = (a + b) / 2
        total += (a * math.log2(a / m) if a else 0) + (b * math.log2(b / m) if b else 0)
    return min(1.0, max(0.0, total / 2))


# -- summaries (what may leave the module: aggregates only) ------------------------------------

MIN_COUNT = 2  # a shape or context word seen once could be a fingerprint of one real value
TOP_SHAPES = 10


def frequent(counts: Counter, top: int, min_count: int = MIN_COUNT) -> dict[str, int]:
    """The ``top`` most common keys seen at least ``min_count`` times."""
    return dict([(k, n) for k, n in counts.most_common() if n >= min_count][:top])


def _numeric_summary(values: Sequence[float]) -> str:
    if not len(values):
        return "none"
    s = pd.Series(values)
    return f"median {s.median():g} (IQR {s.quantile(0.25):g}-{s.quantile(0.75):g}), n={len(s)}"


def _categorical_summary(counts: Counter, top: int = 3) -> str:
    total = sum(counts.values())
    if not total:
        return "none"
    shown = frequent(counts, top)
    if not shown:
        return f"all seen once (n={total})"
    return ", ".join(f"{_clip(k)} {n / total:.0%}" for k, n in shown.items()) + f" (n={total})"


def _clip(key: str, width: int = 32) -> str:
    key = key.replace("\n", "⏎")
    return key if len(key) <= width else key[: width - 1] + "…"


def _words_per_text(p: Profile) -> float:
    return sum(p.words.values()) / max(p.n_texts, 1)


def _vocabulary_summary(p: Profile) -> str:
    return f"{len(p.words):,} words, {_words_per_text(p):.1f} per text" if p.words else "none"


def _rate_summary(hits: int, n: int) -> str:
    return f"{hits / n:.2f} ({hits}/{n})" if n else "none"


# -- compare -----------------------------------------------------------------------------------

COLUMNS = ["group", "item", "metric", "reference", "generated", "distance"]


def compare(ref: Profile, gen: Profile, floor: pd.DataFrame | None = None) -> pd.DataFrame:
    """One row per measured item, worst first: ``group``, ``item``, ``metric`` (ks, jsd, abs diff),
    a summary of each side and the ``distance`` (0..1). A class the reference has and the
    generated corpus lacks gets distance 1 for its items. With ``floor`` (see ``noise_floor``),
    ``floor`` holds the item's distance between halves of the reference and ``excess`` the
    distance beyond it: the items to look at first are those with the largest excess."""
    rows = []

    def num(group, item, a, b):
        rows.append((group, item, "ks", _numeric_summary(a), _numeric_summary(b), ks_statistic(a, b)))

    def cat(group, item, a, b):
        rows.append((group, item, "jsd", _categorical_summary(a), _categorical_summary(b), js_divergence(a, b)))

    num("text", "characters per text", ref.text_chars, gen.text_chars)
    num("text", "sentences per text", ref.sentences, gen.sentences)
    num("text", "entities per text", ref.entities, gen.entities)
    rows.append(
        (
            "text",
            "words outside values: reference tokens the corpus never writes",
            "uncovered share",
            _vocabulary_summary(ref),
            _vocabulary_summary(gen),
            vocabulary_gap(ref.words, gen.words),
        )
    )
    cat("classes", "class shares", ref.classes, gen.classes)
    cat("classes", "co-occurring class pairs", ref.pairs, gen.pairs)
    cat("classes", "touching class pairs", ref.touching, gen.touching)
    for label in sorted(ref.classes):
        cat("value shape", label, ref.shapes[label], gen.shapes[label])
        cat("value characters", label, ref.composition[label], gen.composition[label])
        num("value length", label, ref.value_chars[label], gen.value_chars[label])
        cat("context left", label, ref.left[label], gen.left[label])
        cat("context right", label, ref.right[label], gen.right[label])
        for conv in EDGE_CONVENTIONS:
            r_hits, g_hits = ref.edges[label][conv], gen.edges[label][conv]
            if r_hits or g_hits:
                n_r, n_g = ref.classes[label], gen.classes.get(label, 0)
                rows.append(
                    (
                        "edge",
                        f"{label}: {conv}",
                        "abs diff",
                        _rate_summary(r_hits, n_r),
                        _rate_summary(g_hits, n_g),
                        abs(r_hits / n_r - g_hits / n_g) if n_g else math.nan,
                    )
                )
    df = pd.DataFrame(rows, columns=COLUMNS)
    absent = df["generated"].eq("none") & ~df["reference"].eq("none")
    df.loc[absent, "distance"] = 1.0  # nothing generated where the reference has something
    if floor is not None:
        df = df.merge(
            floor[["group", "item", "distance"]].rename(columns={"distance": "floor"}), on=["group", "item"], how="left"
        )
        df.loc[df["group"].eq("edge") & df["floor"].isna(), "floor"] = 0.0  # no half showed it
        df["excess"] = df["distance"] - df["floor"]
    return df.sort_values("distance", ascending=False, na_position="last", kind="stable").reset_index(drop=True)


def noise_floor(rows: Sequence, window: int = 3, repeats: int = 5, seed: int = 0) -> pd.DataFrame:
    """Per item, the mean distance between two random halves of ``rows`` (``repeats`` seeded
    draws): what sampling alone gives. A pessimistic guide, since each half holds half the rows."""
    import random

    rows, rng, tables = list(rows), random.Random(seed), []
    for _ in range(repeats):
        order = rng.sample(range(len(rows)), len(rows))
        half = len(rows) // 2
        tables.append(
            compare(profile([rows[i] for i in order[:half]], window), profile([rows[i] for i in order[half:]], window))
        )
    both, keys = pd.concat(tables), ["group", "item"]
    edge = both["group"] == "edge"
    floor = pd.concat(
        [
            both[~edge].groupby(keys, sort=False)["distance"].mean(),  # NaN (not measurable) skipped
            # an edge convention neither half shows is left out of that draw's table: there it is 0
            both[edge].groupby(keys, sort=False)["distance"].sum() / repeats,
        ]
    )
    return floor.rename("distance").reset_index()


GRID_COLUMNS = [
    "shape_jsd",
    "characters_jsd",
    "length_ks",
    "context_left_jsd",
    "context_right_jsd",
    "worst_edge_diff",
    "score",
]  # the distances of ``class_table``, for a grid chart
CLASS_COLUMNS = [
    "class",
    "ref_n",
    "gen_n",
    "ref_share",
    "gen_share",
    "shape_jsd",
    "characters_jsd",
    "length_ks",
    "context_left_jsd",
    "context_right_jsd",
    "worst_edge",
    "worst_edge_diff",
    "score",
]


def class_table(ref: Profile, gen: Profile) -> pd.DataFrame:
    """One row per reference class, worst first: count shares, value-shape and character-class
    JSD, value-length KS, context JSD each side, the edge convention that differs most, and
    ``score``, the mean of those distances (1 where the generated corpus lacks the class)."""
    total_r, total_g = max(sum(ref.classes.values()), 1), max(sum(gen.classes.values()), 1)
    out = []
    for label in sorted(ref.classes):
        diffs = {c: abs(ref.edge_rate(label, c) - gen.edge_rate(label, c)) for c in EDGE_CONVENTIONS}
        diffs = {c: d for c, d in diffs.items() if not math.isnan(d)}
        worst = max(diffs, key=diffs.get) if diffs and max(diffs.values()) > 0 else ""
        row = {
            "class": label,
            "ref_n": ref.classes[label],
            "gen_n": gen.classes.get(label, 0),
            "ref_share": ref.classes[label] / total_r,
            "gen_share": gen.classes.get(label, 0) / total_g,
            "shape_jsd": js_divergence(ref.shapes[label], gen.shapes[label]),
            "characters_jsd": js_divergence(ref.composition[label], gen.composition[label]),
            "length_ks": ks_statistic(ref.value_chars[label], gen.value_chars[label]),
            "context_left_jsd": js_divergence(ref.left[label], gen.left[label]),
            "context_right_jsd": js_divergence(ref.right[label], gen.right[label]),
            "worst_edge": worst,
            "worst_edge_diff": diffs.get(worst, 0.0) if diffs else math.nan,
        }
        parts = [
            row[k]
            for k in (
                "shape_jsd",
                "characters_jsd",
                "length_ks",
                "context_left_jsd",
                "context_right_jsd",
                "worst_edge_diff",
            )
            if not math.isnan(row[k])
        ]
        row["score"] = 1.0 if not row["gen_n"] else (sum(parts) / len(parts) if parts else math.nan)
        out.append(row)
    df = pd.DataFrame(out, columns=CLASS_COLUMNS)
    return df.sort_values("score", ascending=False, na_position="last", kind="stable").reset_index(drop=True)


def edge_rates(ref: Profile, gen: Profile, top: int = 20) -> dict[str, dict[str, float]]:
    """``{"generated": {item: rate}, "real": {...}}`` for the ``top`` class/convention pairs whose
    rates differ most (pairs neither side shows are left out, and classes the generated corpus
    has no span of: a settled look-alike has no convention to compare), for a side-by-side chart."""
    items = []
    for label in ref.classes:
        if not gen.classes.get(label):
            continue
        for conv in EDGE_CONVENTIONS:
            r, g = ref.edge_rate(label, conv), gen.edge_rate(label, conv)
            g = 0.0 if math.isnan(g) else g
            if r or g:
                items.append((abs(r - g), f"{label}: {conv}", r, g))
    items = sorted(items, reverse=True)[:top]
    return {"generated": {k: g for _, k, _, g in items}, "real": {k: r for _, k, r, _ in items}}


def length_panels(ref: Profile, gen: Profile) -> dict[str, dict[str, list]]:
    """The numeric distributions of both profiles, one panel per measure, for overlaid histograms."""
    return {
        title: {"real": getattr(ref, key), "generated": getattr(gen, key)}
        for title, key in (
            ("characters per text", "text_chars"),
            ("sentences per text", "sentences"),
            ("entities per text", "entities"),
        )
    }


def class_shares(p: Profile) -> dict[str, float]:
    """Share (%) of all spans per class."""
    total = max(sum(p.classes.values()), 1)
    return {k: 100 * n / total for k, n in p.classes.items()}


def settled_table(ref: Profile, gen: Profile) -> pd.DataFrame:
    """The look-alikes the generator settles onto one class (``taxonomy.SETTLED``): per class,
    spans in the reference rows and in the generated corpus; IP-like classes split by address
    family (a shape with ``:`` is IPv6). Where the reference writes one value shape under two
    classes, the settled class is the one it uses more often."""

    def family(p: Profile, label: str, v6: bool) -> int:
        return sum(n for shape, n in p.shapes.get(label, {}).items() if (":" in shape) == v6)

    rows = [("currency name", c, ref.classes.get(c, 0), gen.classes.get(c, 0)) for c in ("CURRENCY", "CURRENCYNAME")]
    for v6, kind in ((False, "IPv4 address"), (True, "IPv6 address")):
        for c in ("IP", "IPV6" if v6 else "IPV4"):
            rows.append((kind, c, family(ref, c, v6), family(gen, c, v6)))
    return pd.DataFrame(rows, columns=["value", "class", "reference spans", "generated spans"])


def profile_summary(p: Profile) -> dict:
    """A JSON-able digest of a profile that carries no value and no sentence (see module doc)."""

    def quantiles(values):
        if not len(values):
            return {}
        s = pd.Series(values)
        return {
            "n": len(s),
            "min": float(s.min()),
            "q25": float(s.quantile(0.25)),
            "median": float(s.median()),
            "q75": float(s.quantile(0.75)),
            "max": float(s.max()),
        }

    return {
        "texts": p.n_texts,
        "characters_per_text": quantiles(p.text_chars),
        "sentences_per_text": dict(sorted(Counter(p.sentences).items())),
        "entities_per_text": dict(sorted(Counter(p.entities).items())),
        "distinct_plain_words": len(p.words),
        "plain_words_per_text": round(_words_per_text(p), 2),
        "classes": dict(p.classes.most_common()),
        "co_occurring_pairs": frequent(p.pairs, 50),
        "touching_pairs": frequent(p.touching, 50),
        "per_class": {
            label: {
                "n": p.classes[label],
                "shapes": frequent(p.shapes[label], TOP_SHAPES),
                "characters": dict(p.composition[label].most_common()),
                "value_chars": quantiles(p.value_chars[label]),
                "context_left": frequent(p.left[label], 15),
                "context_right": frequent(p.right[label], 15),
                "edge_rates": {c: round(p.edge_rate(label, c), 4) for c in EDGE_CONVENTIONS if p.edges[label][c]},
            }
            for label in sorted(p.classes)
        },
    }


def _number(x) -> float | None:
    """A JSON-safe float: None for NaN or a missing value."""
    return None if x is None or (isinstance(x, float) and math.isnan(x)) else round(float(x), 4)


def headline(table: pd.DataFrame, ref: Profile, gen: Profile, top: int = 5) -> dict:
    """The few realism numbers for the reports index; ``worst_items`` ranks by ``excess`` over the
    noise floor when the table has one, else by distance."""

    def mean(mask):
        return _number(table.loc[mask, "distance"].mean()) if mask.any() else None

    def median(values):
        return _number(pd.Series(values).median()) if len(values) else None

    share = table.loc[table["item"].eq("class shares"), "distance"]
    rank = "excess" if "excess" in table else "distance"
    worst = table.dropna(subset=[rank]).sort_values(rank, ascending=False, kind="stable").head(top)
    return {
        "class_share_jsd": _number(share.iloc[0]) if len(share) else None,
        "mean_shape_jsd": mean(table["group"].eq("value shape")),
        "mean_context_jsd": mean(table["group"].str.startswith("context")),
        "mean_edge_diff": mean(table["group"].eq("edge")),
        "median_chars_real": median(ref.text_chars),
        "median_chars_generated": median(gen.text_chars),
        "median_entities_real": median(ref.entities),
        "median_entities_generated": median(gen.entities),
        "vocabulary_gap": _number(vocabulary_gap(ref.words, gen.words)),
        "worst_items": [
            f"{r['group']} / {r['item']}: {r['distance']:.2f}"
            + (f" (noise floor {r['floor']:.2f})" if rank == "excess" else "")
            for _, r in worst.iterrows()
        ],
    }


def summary(ref: Profile, gen: Profile, table: pd.DataFrame, reference_name: str = "") -> dict:
    """Everything ``realism.json`` holds: the headline, the distance table and both profiles'
    digests. Aggregates only: see the module docstring."""
    return {
        "reference": reference_name,
        "headline": headline(table, ref, gen),
        "distances": table.round(4).astype(object).where(table.notna(), None).to_dict("records"),
        "profiles": {"reference": profile_summary(ref), "generated": profile_summary(gen)},
    }


# -- the real rows -----------------------------------------------------------------------------


def load_real_rows(external_datasets: Sequence[Mapping]) -> tuple[str, list[dict]]:
    """``(name, rows)`` of the real reference rows, loaded as every external dataset is (paths
    relative to the project root); ``(name, [])`` when the file is absent (the report says so)."""
    from .evaluate import load_external
    from .realdata import real_dataset_spec

    spec = real_dataset_spec(external_datasets)
    loaded = load_external(spec, {})
    return spec.get("name", spec["path"]), (loaded[0] if loaded else [])


# -- the guard against copying -----------------------------------------------------------------

_WORD = re.compile(r"[^\W_]+")


def words(text: str) -> list[str]:
    """Lower-cased letter/digit runs: case, whitespace and punctuation do not matter."""
    return _WORD.findall(unicodedata.normalize("NFKC", text).lower())


def word_ngrams(text: str, n: int = 8) -> set[tuple[str, ...]]:
    w = words(text)
    return {tuple(w[i : i + n]) for i in range(len(w) - n + 1)}


def real_ngrams(rows: Iterable, n: int = 8) -> set[tuple[str, ...]]:
    """The word ``n``-grams of real rows that a copy would carry: every ``n``-gram of the text
    with at least one word outside the values (a gram wholly inside one value is that value's
    format, e.g. the fixed head of a user-agent string, not the row's wording), and every
    ``n``-gram of each stretch between values (so a sentence copied with its values swapped for
    placeholders is caught too)."""
    grams: set[tuple[str, ...]] = set()
    for row in rows:
        text, spans = text_and_mask(row)
        norm = unicodedata.normalize("NFKC", text)
        if len(norm) != len(text):  # offsets would shift: judge the text as if it had no values
            norm, spans = text, []
        found = [(m.group().lower(), m.start(), m.end()) for m in _WORD.finditer(norm)]
        inside = [any(e["start"] < end and start < e["end"] for e in spans) for _, start, end in found]
        for i in range(len(found) - n + 1):
            if not all(inside[i : i + n]):
                grams.add(tuple(w for w, _, _ in found[i : i + n]))
        cursor = 0
        for e in spans + [{"start": len(text), "end": len(text)}]:
            grams |= word_ngrams(text[cursor : e["start"]], n)
            cursor = e["end"]
    return grams


def copied_ngrams(paths: Iterable[str | Path], grams: set[tuple[str, ...]], n: int = 8) -> dict[str, list[str]]:
    """``{path: [copied 8-word sequence, ...]}`` for the files that hold any of ``grams``."""
    found = {}
    for path in paths:
        w = words(Path(path).read_text(encoding="utf-8", errors="ignore"))
        hits = [" ".join(w[i : i + n]) for i in range(len(w) - n + 1) if tuple(w[i : i + n]) in grams]
        if hits:
            found[str(path)] = hits
    return found


# -- tokenizer reality -------------------------------------------------------------------------

_TEXT_WORD = re.compile(r"[^\W_]+")


def tokenizer_stats(texts: Iterable[str], tokenizer) -> dict:
    """How a tokenizer takes a set of texts, on their words (runs of letters and digits; no special
    tokens, no punctuation): tokens per word, the share of ``[UNK]`` tokens and the share of words
    that hold one (an uncased English WordPiece reads accented letters without their accents, so
    its ``[UNK]`` are rarer than its splits)."""
    texts = list(texts)
    words = [w for t in texts for w in _TEXT_WORD.findall(t)]
    out = {
        "texts": len(texts),
        "words": len(words),
        "tokens": 0,
        "tokens_per_word": None,
        "unk_rate": None,
        "words_with_unk": None,
    }
    if not words:
        return out
    unk = tokenizer.unk_token_id
    ids = tokenizer(words, add_special_tokens=False)["input_ids"]
    tokens = sum(len(x) for x in ids)
    out.update(
        tokens=tokens,
        tokens_per_word=round(tokens / len(words), 3),
        unk_rate=round(sum(i == unk for x in ids for i in x) / max(tokens, 1), 4),
        words_with_unk=round(sum(unk in x for x in ids) / len(words), 4),
    )
    return out


def texts_by_language(rows: Iterable, name: str) -> dict[str, list[str]]:
    """``{"<name> / <code>": [source_text, ...]}`` for rows (dicts or Records) grouped by language."""
    from ..core.languages import language_code

    out: dict[str, list[str]] = {}
    for row in rows:
        raw = row.get("language") if isinstance(row, Mapping) else getattr(row, "language", None)
        text, _ = text_and_mask(row)
        out.setdefault(f"{name} / {language_code(raw) or raw or 'unknown'}", []).append(text)
    return dict(sorted(out.items()))


def real_texts_by_language(external_datasets: Sequence[Mapping]) -> dict[str, list[str]]:
    """The texts of every external dataset in params that is present, grouped by language (for
    statistics only: nothing of them is kept)."""
    from ..core.config import resolve_path
    from ..core.io import read_table

    out: dict[str, list[str]] = {}
    for spec in external_datasets:
        path = resolve_path(spec["path"])
        if path.exists():
            out.update(texts_by_language(read_table(path), spec["name"]))
    return out


def tokenizer_table(groups: Mapping[str, Sequence[str]], tokenizer) -> pd.DataFrame:
    """``tokenizer_stats`` for each group of texts, one row per group."""
    return pd.DataFrame([{"group": name, **tokenizer_stats(texts, tokenizer)} for name, texts in groups.items()])


# -- what a text can decide --------------------------------------------------------------------


def _address_form(value: str) -> str:
    return "IPv6" if ":" in value else "IPv4"


def _coarse_shape(value: str) -> str:
    """A value's form with every run of digits written ``9`` and of letters ``a``: ``12/03/1990``
    -> ``9/9/9``, ``March 3, 1990`` -> ``a 9, 9``; the length of a number is no form."""
    return re.sub(r"[^\W\d_]+", "a", re.sub(r"\d+", "9", value))


# Look-alike classes of the 200k scheme: (classes, the form of a value, the words before a value
# that could name its class). A span's family is its form and the nearest such word among the
# three words on its left ("-" when there is none).
LOOKALIKES: dict[str, tuple[tuple[str, ...], object, frozenset[str]]] = {
    "addresses": (("IP", "IPV4", "IPV6"), _address_form, frozenset({"ip", "ipv4", "ipv6", "address", "addresses"})),
    "dates": (("DATE", "DOB"), _coarse_shape, frozenset({"born", "birth", "birthday", "dob", "birthdate"})),
    "currency names": (("CURRENCY", "CURRENCYNAME"), _coarse_shape, frozenset({"currency", "currencies"})),
    "card numbers": (
        ("CREDITCARDNUMBER", "MASKEDNUMBER"),
        _coarse_shape,
        frozenset({"masked", "hidden", "partial", "redacted", "card", "credit"}),
    ),
}


def _rules(classes: Sequence[str], table: Mapping[tuple, Counter], min_support: int):
    """Every way of giving each family one class, scored on ``table`` (family -> class -> spans):
    ``(best F1 per class, the rule whose weakest class with min_support spans scores highest)``."""
    families = list(table)
    support = {c: sum(t[c] for t in table.values()) for c in classes}
    judged = [c for c in classes if support[c] >= min_support]
    best, balanced, balanced_floor = dict.fromkeys(classes, 0.0), {}, -1.0
    for rule in product(classes, repeat=len(families)):
        f1 = _score(classes, table, dict(zip(families, rule, strict=True)))
        for c in classes:
            best[c] = max(best[c], f1[c])
        floor = min((f1[c] for c in judged), default=0.0)
        if floor > balanced_floor:
            balanced, balanced_floor = dict(zip(families, rule, strict=True)), floor
    return best, balanced


def _counts(classes, table, rule, default) -> tuple[Counter, Counter, Counter]:
    tp, predicted, support = Counter(), Counter(), Counter()
    for fam, counts in table.items():
        c = rule.get(fam, default)
        tp[c] += counts[c]
        predicted[c] += sum(counts.values())
        for k in classes:
            support[k] += counts[k]
    return tp, predicted, support


def _f1(classes, tp, predicted, support) -> dict[str, float]:
    return {c: 2 * tp[c] / (predicted[c] + support[c]) if predicted[c] + support[c] else 0.0 for c in classes}


def _score(classes, table, rule) -> dict[str, float]:
    return _f1(classes, *_counts(classes, table, rule, classes[0]))


def _families(spans: Counter, kept: set) -> dict[tuple, Counter]:
    """``(form, cue, label) -> n`` as family -> label -> n; families outside ``kept`` pooled."""
    out: dict[tuple, Counter] = defaultdict(Counter)
    for (form, cue, label), n in spans.items():
        out[(form, cue) if (form, cue) in kept else ("other", "-")][label] += n
    return out


def lookalike_ceiling(rows: Iterable, min_support: int = 10, max_families: int = 9, folds: int = 5) -> pd.DataFrame:
    """How far the text can tell look-alike classes apart (``LOOKALIKES``): every span of a group
    falls into a family (the value's form and the cue word before it), and every way of giving each
    family one class of the group is scored on ``rows`` as a labelling would be (spans of the
    family's other classes are misses). Per class:

    - ``best F1``: the highest F1 any such rule reaches for that class;
    - ``balanced F1``: its F1 under the rule whose weakest class with at least ``min_support``
      spans scores highest. Both are fitted to these very rows, so they are ceilings: a labelling
      that reads only form and cue word cannot do better on them;
    - ``held-out F1``: the balanced rule chosen on the other ``folds - 1`` folds of the rows and
      applied to the remaining one (rows shuffled into folds, seed 0), pooled over the folds (a
      family the other folds never show gets the group's most frequent class): what such a rule
      is worth on rows it has not seen.

    A class whose ceiling is low is one the dataset's labels decide, not the text. Families beyond
    the ``max_families`` most frequent of a group are pooled."""
    rows = list(rows)
    per_row = []  # one {group: Counter((form, cue, label))} per row
    for row in rows:
        text, mask = text_and_mask(row)
        found = {name: Counter() for name in LOOKALIKES}
        for e, (_, left, _) in zip(mask, context_words(text, mask), strict=True):
            for name, (classes, form, cues) in LOOKALIKES.items():
                if e["label"] in classes:
                    cue = next((w for w in reversed(left) if w in cues), "-")
                    found[name][(form(text[e["start"] : e["end"]]), cue, e["label"])] += 1
        per_row.append(found)
    order = list(range(len(per_row)))
    random.Random(0).shuffle(order)  # folds of rows in no particular order
    fold = {i: rank % folds for rank, i in enumerate(order)}
    out = []
    for name, (classes, _, _) in LOOKALIKES.items():
        sizes = Counter()
        for found in per_row:
            for (form, cue, _), n in found[name].items():
                sizes[(form, cue)] += n
        if not sizes:
            continue
        kept = {f for f, _ in sizes.most_common(max_families)}
        families = [_families(found[name], kept) for found in per_row]

        def table_of(chosen: Iterable[int], families=families) -> dict[tuple, Counter]:
            table: dict[tuple, Counter] = defaultdict(Counter)
            for i in chosen:
                for fam, counts in families[i].items():
                    table[fam].update(counts)
            return table

        whole = table_of(range(len(per_row)))
        best, balanced = _rules(classes, whole, min_support)
        fitted = _score(classes, whole, balanced)
        tp, predicted, support = Counter(), Counter(), Counter()
        for k in range(folds):
            train = table_of(i for i in range(len(per_row)) if fold[i] != k)
            _, rule = _rules(classes, train, min_support * (folds - 1) / folds)
            common = max(classes, key=lambda c: sum(t[c] for t in train.values()))
            counts = _counts(classes, table_of(i for i in range(len(per_row)) if fold[i] == k), rule, common)
            for total, part in zip((tp, predicted, support), counts, strict=True):
                total.update(part)
        held = _f1(classes, tp, predicted, support)
        out += [(name, c, sum(t[c] for t in whole.values()), len(whole), best[c], fitted[c], held[c]) for c in classes]
    return pd.DataFrame(
        out, columns=["look-alikes", "class", "spans", "families", "best F1", "balanced F1", "held-out F1"]
    )
