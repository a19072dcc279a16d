"""The value lexicon: classes told apart by the value itself.

Some of the 200k schema's look-alikes are decided by *which list the value comes from*, not by its
context: a middle name is drawn from a pool of unisex given names and a first name from another
list, a job area ("Solutions") and a job type ("Supervisor") from two short lists, a county and a
state from theirs. Others by the value's *format*: a password has lower- and upper-case letters
and digits, a BIC upper-case letters only, a username digits or a dot where no name has one. The
generator follows those conventions (``piimask.core.values``), but a small uncased model cannot
remember which of 7,000 names belongs to which pool, nor see a letter's case: on the real 200k
rows "Dr. Rowan" comes out LASTNAME, "Hi Victoria" MIDDLENAME and a 12-character password BIC.

``build_lexicon`` samples the run's own value factories (never any reference row) and keeps

- **values**, per look-alike group: the values that one class of the group draws almost always;
- **formats** of values written without spaces that hold a digit or one of ``._@:/-`` (length and
  kinds of characters: ``12:9Aa`` is 12 characters of digits, capitals and small letters): the
  classes that ever draw the format, and the one that draws it most.

At inference ``ValueLexicon.label`` gives an entity the class its value belongs to in its group;
then, when the class drawn is one that never takes the value's format, the format's own class.
Only the label changes, never a span or the PII decision. Values that several classes share
(currency names, dates, IP addresses) stay the model's call.

The lexicon also names the shapes some classes' values always have, which the *argmax* tags (what
the model's labels are scored on) check:

- **cased**: classes whose drawn values, when they hold a letter, (almost) always hold a capital
  (names, places, companies, job words, account names). The uncased model reads "account" and
  "Account" alike; the 200k rows write the ordinary word in lower case and the value ("Savings
  Account") capitalised. In a text that uses capitals, such an entity written without one is
  not of its class;
- **marked**: classes whose values always hold a digit or a joiner between letters or digits
  (dates, amounts, URLs, usernames): "ASAP" is no date, "unresponsive" no URL;
- **spaceless**: classes whose values never hold a space (URLs, e-mail and crypto addresses): an
  entity of one ends at its first space ("https://example.net site");
- **titled**: classes whose values begin and end with a word that carries a capital or a digit
  (names, places, companies, user agents): in a text that uses capitals, an entity of one sheds
  the lower-case words at its edges ("Northamptonshire county", "... Safari/538.2 system."), and a
  word of signs alone at its edge ("- Smith, Jones and Lee"), unless a tagged word stands beyond
  the sign (one of its own class: the two are one value, "Smith -" + "Jones");
- **signless**: classes whose values never hold a currency sign: a sign at the edge of an entity
  of one is a currency symbol of its own ("Australian Dollar$");
- **closed**: classes whose values come from a short list, each value capitalised (job areas and
  job types, account names, sexes, prefixes), with their values: in a text that uses capitals, such
  a value the model left untagged ("our Operations team", "your Checking Account") is found when
  the model's best non-O class for it is the value's class, and one it tagged in part ("Home Loan"
  of "Home Loan Account") is tagged whole. Unlike the shape checks, this one reads values, not
  shapes, and the Masker's PII-ness decision takes it too: such a value is masked whatever the
  threshold when the model names its class. With several factories (a multilingual run), a class
  is closed when some of them draw it from a short list, with those lists: the English titles and
  sexes stay lists where the French ones are open, and the open factories' values are left to the
  model (so are composed classes);
- **composed**: classes whose values are a fixed number of words, each position's word from a short
  list and capitalised (job titles: a descriptor, an area and a type, "Regional Creative Officer"),
  with the lists per position: a value written so is read as one value of its class, found and
  joined as the closed lists' values are (a job title the model cut into job words, or left
  untagged while its best class for one of the title's words is JOBTITLE, is one job title);
- **suffixed**: classes many of whose values are a capitalised word and a fixed ending from a short
  list (companies: "Varga Group", "Reyes LLC", "Lindqvist and Sons"), with the endings: a word the model
  tagged, followed by such an ending it left out, is a value of the class whole (a surname tagged
  as one, "Varga" + "Group");
- **symbolic**: spaceless classes whose values hold signs of every kind (passwords outside English:
  "?k4Tw!q8"): an entity of one is the whole run without spaces it stands in, when its class holds
  most of the run's tagged characters (the model tags letters and digits and leaves signs out);
  the Masker's PII-ness decision takes it too.

An entity that fails its class's shape takes the most probable class its value fits, or O
(``TaggedText._shape_checked``, ``TaggedText._spaceless_cut``, ``TaggedText._edges_fixed``,
which also closes a bracket the value opened and joins two entities of one class glued together;
``TaggedText._closed_found`` finds the closed lists' values). The Masker's PII-ness threshold never
reads these shapes: a name typed in lower case in a user's prompt is still masked. Training writes
the lexicon beside the model (``value_lexicon.json``); ``TokenTagger`` reads it.
"""

from __future__ import annotations

import json
import re
import string
import unicodedata
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

import numpy as np

LEXICON_FILE = "value_lexicon.json"
# classes whose values the generator draws from separate lists (names, jobs, sex and gender, places)
LOOKALIKE_GROUPS: tuple[tuple[str, ...], ...] = (
    ("FIRSTNAME", "MIDDLENAME", "LASTNAME"),
    ("JOBAREA", "JOBTYPE", "JOBTITLE"),
    ("GENDER", "SEX"),
    ("CITY", "COUNTY", "STATE", "STREET"),
)
DRAWS = 30_000  # values drawn per class of a group and factory
MIN_COUNT = 2  # a value drawn fewer times says too little about its pool
MIN_SHARE = 0.95  # the share of a value's draws (within its group) that one class must hold
FORMAT_DRAWS = 5_000  # values drawn per class (all classes) and factory, for the formats
FORMAT_MIN_COUNT = 20  # a format drawn fewer times says too little
FORMAT_MIN_SHARE = 0.5  # the share of a format's draws its most frequent class must hold
CASED_MIN_COUNT = 200  # letter-bearing draws a class needs before its case says anything
CASED_MAX_LOWER = 0.005  # the share of those draws, at most, written without a capital
CLOSED_MAX_VALUES = 50  # a class whose draws (per factory) take at most this many values draws from a short list
# (a composed class: at most this many words in each position of its values)
SUFFIX_MIN_SHARE = 0.03  # the share of a class's draws that one ending after a capitalised first word must hold
SYMBOLIC_MIN_SIGNS = 12  # different ASCII signs (of _PUNCTUATION) a spaceless class's draws must hold
_PUNCTUATION = frozenset(string.punctuation)
_MARK = re.compile(r"\d|[^\W_][._@:/-][^\W_]")  # a digit, or a joiner between letters or digits
_SENTENCE_START = re.compile(r"(?:^|[.!?]\s+|\n\s*)[^\w\n]*([^\W\d_])")
_WORDS = re.compile(r"[^\W\d_]+(?:['-][^\W\d_]+)*[.,]?(?:\s+[^\W\d_]+(?:['-][^\W\d_]+)*[.,]?)*")
_OPAQUE = re.compile(r"\S*[\d_.@:/-]\S*")  # no space; a digit or a joiner


def value_format(value: str) -> str | None:
    """``<length>:<kinds>`` of a value written without spaces that holds a digit or one of
    ``._@:/-`` (kinds: ``9`` digits, ``A`` capitals, ``a`` small letters, other characters as they
    are); None for other values (words and phrases: their format says little)."""
    v = value.strip()
    if not v or not _OPAQUE.fullmatch(v):
        return None
    kinds = {"9" if ch.isdigit() else "A" if ch.isupper() else "a" if ch.isalpha() else ch for ch in v}
    return f"{len(v) if len(v) <= 40 else '41+'}:{''.join(sorted(kinds))}"


def writes_case(text: str) -> bool:
    """True when ``text`` uses capitals as prose does: at least half of its sentences start with one
    (a text typed all in lower case gives the case of its words no meaning)."""
    starts = [m.group(1) for m in _SENTENCE_START.finditer(text)]
    return bool(starts) and 2 * sum(ch.isupper() for ch in starts) >= len(starts)


def lower_case(value: str) -> bool:
    """True when ``value`` has a letter that has a case, and no capital."""
    return any(ch.islower() for ch in value) and not any(ch.isupper() for ch in value)


def plain_word(word: str) -> bool:
    """True when ``word`` is written in lower case and holds no digit (an ordinary word)."""
    return lower_case(word) and not any(ch.isdigit() for ch in word)


def signs_only(word: str) -> bool:
    """True when ``word`` holds no letter and no digit ("-", ",", "&")."""
    return not any(ch.isalnum() for ch in word)


def titled(value: str) -> bool:
    """True when the first and the last word of ``value`` (split at spaces) are neither plain words
    nor signs alone."""
    words = value.split()
    return not words or not any(plain_word(w) or signs_only(w) for w in (words[0], words[-1]))


def has_sign(value: str) -> bool:
    """True when ``value`` holds a currency sign (Unicode category Sc)."""
    return any(unicodedata.category(ch) == "Sc" for ch in value)


def marked(value: str) -> bool:
    """True when ``value`` holds a digit or a joiner (``._@:/-``) between letters or digits."""
    return _MARK.search(value) is not None


def _alternation(words) -> str:
    """A regex group matching any of ``words`` as written, the longest first (so a value is not
    cut at a shorter value it starts with)."""
    return "(?:" + "|".join(map(re.escape, sorted(words, key=len, reverse=True))) + ")"


class ValueLexicon:
    """Per look-alike group, the class each known value belongs to; per value format, the classes
    that take it and the one that takes it most (``formats``: ``{format: {"top": class,
    "classes": [...]}}``)."""

    def __init__(
        self,
        groups: Sequence[Sequence[str]],
        values: Sequence[Mapping[str, str]],
        info: dict | None = None,
        formats: Mapping[str, Mapping] | None = None,
        cased: Iterable[str] = (),
        spaceless: Iterable[str] = (),
        marked: Iterable[str] = (),
        titled: Iterable[str] = (),
        signless: Iterable[str] = (),
        closed: Mapping[str, Iterable[str]] | None = None,
        composed: Mapping[str, Sequence[Iterable[str]]] | None = None,
        suffixed: Mapping[str, Iterable[str]] | None = None,
        symbolic: Iterable[str] = (),
    ):
        if len(groups) != len(values):
            raise ValueError(f"value lexicon: {len(groups)} groups but {len(values)} value tables")
        self.groups = [tuple(g) for g in groups]
        self.values = [dict(v) for v in values]
        self.formats = {f: {"top": e["top"], "classes": list(e["classes"])} for f, e in (formats or {}).items()}
        self.info = dict(info or {})
        self.cased = frozenset(cased)
        self.spaceless = frozenset(spaceless)
        self.marked = frozenset(marked)
        self.titled = frozenset(titled)
        self.signless = frozenset(signless)
        self.symbolic = frozenset(symbolic)
        self.closed = {c: sorted(set(v)) for c, v in (closed or {}).items()}
        self._closed_of: dict[str, frozenset] = {}
        for c, vs in self.closed.items():
            for v in vs:
                self._closed_of[v] = self._closed_of.get(v, frozenset()) | {c}
        self._closed_re = re.compile(rf"(?<!\w){_alternation(self._closed_of)}(?!\w)") if self._closed_of else None
        self.composed = {c: [sorted(set(p)) for p in positions] for c, positions in (composed or {}).items()}
        self._composed_re = {
            c: re.compile(r"(?<!\w)" + " ".join(map(_alternation, ps)) + r"(?!\w)")
            for c, ps in self.composed.items()
            if ps and all(ps)
        }
        self.suffixed = {c: sorted(set(v)) for c, v in (suffixed or {}).items() if v}
        self._suffixed_re = {
            c: re.compile(r"(?<!\w)[^\W\d_][\w'-]* " + _alternation(vs) + r"(?!\w)") for c, vs in self.suffixed.items()
        }
        self._group_of = {c: i for i, g in enumerate(self.groups) for c in g}
        self._takes = {f: frozenset(e["classes"]) for f, e in self.formats.items()}

    def closed_values(self, text: str) -> list[tuple[int, int, frozenset]]:
        """``(start, end, classes)`` of each value of a ``closed`` or ``composed`` class written in
        ``text`` as a whole word or phrase (case-sensitive: "Operations", not "operations"), in
        text order. A composed value is read whole: the list values among its words are not
        listed again ("Regional Operations Officer", not "Operations")."""
        found = []
        for c, rx in self._composed_re.items():
            found += [(m.start(), m.end(), frozenset({c})) for m in rx.finditer(text)]
        if self._closed_re is not None:
            whole = list(found)
            for m in self._closed_re.finditer(text):
                if not any(s < m.end() and m.start() < e for s, e, _ in whole):
                    found.append((m.start(), m.end(), self._closed_of[m.group(0)]))
        return sorted(found, key=lambda f: (f[0], -f[1]))

    def suffixed_values(self, text: str) -> list[tuple[int, int, int, str]]:
        """``(start, end of the first word, end, class)`` of each capitalised word followed by one of
        a ``suffixed`` class's endings ("Varga Group"), in text order."""
        found = []
        for c, rx in self._suffixed_re.items():
            for m in rx.finditer(text):
                if text[m.start()].isupper():
                    found.append((m.start(), text.index(" ", m.start()), m.end(), c))
        return sorted(found)

    def group(self, label: str) -> tuple[str, ...]:
        """The look-alike group ``label`` belongs to (``(label,)`` when none)."""
        g = self._group_of.get(label)
        return self.groups[g] if g is not None else (label,)

    def __len__(self) -> int:
        return sum(len(v) for v in self.values) + len(self.formats)

    def label(self, value: str, label: str) -> str:
        """The class of ``value`` in ``label``'s look-alike group, if the lexicon knows it; then,
        if that class never takes the value's format, the format's own class."""
        g = self._group_of.get(label)
        if g is not None:
            label = self.values[g].get(value.strip(), label)
        if self.formats:
            f = value_format(value)
            if f in self._takes and label not in self._takes[f]:
                return self.formats[f]["top"]
        return label

    def uncased(self, value: str, label: str) -> bool:
        """True when ``label`` is a class whose values always carry a capital and ``value``, an
        ordinary word or phrase (no digit, no joiner), has none. A value with a digit or a joiner
        is no ordinary word whatever its case: the 200k rows capitalise usernames and e-mail
        addresses, other texts write them in lower case ("maria.rossi62@example.com")."""
        return label in self.cased and lower_case(value) and not marked(value)

    def unmarked(self, value: str, label: str) -> bool:
        """True when ``label`` is a class whose values always hold a digit or a joiner between letters
        or digits (dates, amounts, URLs, addresses, usernames...) and ``value`` is made of words
        alone (letters, spaces, an apostrophe or a hyphen, a full stop or a comma after a word):
        "ASAP" is no date. A value with other signs ("[Anna]", "**Anna**") is left as the model
        tagged it: the sign, not the word, may be what it read."""
        return label in self.marked and _WORDS.fullmatch(value.strip()) is not None

    def takes(self, value: str, label: str) -> bool:
        """True when the formats say ``label`` takes ``value``'s format (a value written without
        spaces that holds a digit or a joiner, drawn for ``label`` often enough to be listed)."""
        f = value_format(value)
        return f in self._takes and label in self._takes[f]

    def format_class(self, value: str) -> str | None:
        """The class that takes ``value``'s format most often, or None when the format is not listed."""
        entry = self.formats.get(value_format(value))
        return entry["top"] if entry else None

    def relabel(
        self, text: str, starts: np.ndarray, ends: np.ndarray, labels: np.ndarray, classes: Sequence[str]
    ) -> np.ndarray | None:
        """Class numbers for entities given by their character ``starts``/``ends`` and class numbers
        ``labels`` (``classes[k]`` names class k), each relabelled by its value; None when no
        entity's class is one the lexicon checks."""
        index = {name: k for k, name in enumerate(classes)}
        checked = np.array([bool(self.formats) or name in self._group_of for name in classes], dtype=bool)
        checked[0] = False
        if not len(labels) or not checked[labels].any():
            return None
        out = labels.copy()
        for i, (s, e, k) in enumerate(zip(starts.tolist(), ends.tolist(), labels.tolist())):
            if checked[k]:
                out[i] = index.get(self.label(text[s:e], classes[k]), k)
        return out

    # -- files ----------------------------------------------------------------------------------
    def to_dict(self) -> dict:
        return {
            "groups": [list(g) for g in self.groups],
            "values": self.values,
            "formats": self.formats,
            "cased": sorted(self.cased),
            "spaceless": sorted(self.spaceless),
            "marked": sorted(self.marked),
            "titled": sorted(self.titled),
            "signless": sorted(self.signless),
            "closed": self.closed,
            "composed": self.composed,
            "suffixed": self.suffixed,
            "symbolic": sorted(self.symbolic),
            "info": self.info,
        }

    def save(self, path: str | Path) -> Path:
        path = Path(path)
        path.write_text(json.dumps(self.to_dict(), ensure_ascii=False, sort_keys=True))
        return path

    @classmethod
    def load(cls, model_dir: str | Path) -> ValueLexicon | None:
        """The lexicon saved beside a model, or None when the folder has none."""
        path = Path(model_dir) / LEXICON_FILE
        if not path.is_file():
            return None
        try:
            d = json.loads(path.read_text())
            return cls(
                d["groups"],
                d["values"],
                d.get("info"),
                d.get("formats"),
                d.get("cased", ()),
                d.get("spaceless", ()),
                d.get("marked", ()),
                d.get("titled", ()),
                d.get("signless", ()),
                d.get("closed"),
                d.get("composed"),
                d.get("suffixed"),
                d.get("symbolic", ()),
            )
        except (ValueError, KeyError, TypeError) as e:
            raise ValueError(f"{path} is not a piimask value lexicon ({e}); delete it or train again") from e


def build_lexicon(
    factories: Iterable,
    groups: Sequence[Sequence[str]] = LOOKALIKE_GROUPS,
    draws: int = DRAWS,
    min_count: int = MIN_COUNT,
    min_share: float = MIN_SHARE,
    format_classes: Sequence[str] | None = None,
    format_draws: int = FORMAT_DRAWS,
    settle=None,
) -> ValueLexicon:
    """Sample each factory ``draws`` times per class of each group; keep a value for a group when
    it was drawn at least ``min_count`` times and one class holds ``min_share`` of those draws.
    Then ``format_draws`` times per class of ``format_classes`` (default: all 56): keep a format
    drawn at least ``FORMAT_MIN_COUNT`` times whose most frequent class holds ``FORMAT_MIN_SHARE``.
    ``settle(label, value)``: the class the corpus records a drawn value under
    (``taxonomy.settle_label`` when the run settles look-alikes), so the formats name the classes
    the model was taught."""
    factories = list(factories)
    tables = []
    for group in groups:
        counts: dict[str, Counter] = {}
        for make in factories:
            for label in group:
                for _ in range(draws):
                    counts.setdefault(make(label).strip(), Counter())[label] += 1
        table = {}
        for value, c in counts.items():
            top, n = c.most_common(1)[0]
            total = sum(c.values())
            if value and total >= min_count and n / total >= min_share:
                table[value] = top
        tables.append(table)
    if format_classes is None:
        from ..core.taxonomy import CLASSES

        format_classes = CLASSES
    seen: dict[str, Counter] = {}
    lettered, lower, drawn, spaced, plain = Counter(), Counter(), Counter(), Counter(), Counter()
    untitled, signed = Counter(), Counter()
    signs: dict[str, set] = {}  # per class, the signs its values hold
    short: dict[str, set] = {}  # per class, the values of the factories that draw it from a short list
    # per class, the words in each position of the factories that draw its values with one number of
    # words, each from a short list
    parts: dict[str, list | None] = {}
    # per class and ending after a first word: how often drawn, and the first words drawn before it
    endings: dict[str, Counter] = {}
    leads: dict[tuple[str, str], set] = {}
    uncapped: dict[tuple[str, str], int] = Counter()
    for make in factories:
        taken: dict[str, set | None] = {}
        its_parts: dict[str, list | None] = {}
        for label in format_classes:
            for _ in range(format_draws):
                value = make(label)
                name = settle(label, value) if settle else label
                f = value_format(value)
                if f is not None:
                    seen.setdefault(f, Counter())[name] += 1
                if any(ch.isalpha() for ch in value):
                    lettered[name] += 1
                    lower[name] += lower_case(value)
                    untitled[name] += not titled(value)
                drawn[name] += 1
                spaced[name] += any(ch.isspace() for ch in value.strip())
                plain[name] += not marked(value)
                signed[name] += has_sign(value)
                signs.setdefault(name, set()).update(ch for ch in value if ch in _PUNCTUATION)
                v = value.strip()
                vs = taken.setdefault(name, set())
                if v and vs is not None:
                    vs.add(v)
                    if len(vs) > CLOSED_MAX_VALUES or not any(ch.isupper() for ch in v):
                        taken[name] = None
                head, _, tail = v.partition(" ")
                if tail:
                    endings.setdefault(name, Counter())[tail] += 1
                    lead = leads.setdefault((name, tail), set())
                    if len(lead) <= CLOSED_MAX_VALUES:
                        lead.add(head)
                    uncapped[name, tail] += not head[:1].isupper()
                words = v.split(" ")
                ps = its_parts.setdefault(name, [set() for _ in words])
                if ps is not None:
                    if len(words) != len(ps) or len(words) < 2 or not all(any(ch.isupper() for ch in w) for w in words):
                        its_parts[name] = None
                    else:
                        for p, w in zip(ps, words):
                            p.add(w)
                        if any(len(p) > CLOSED_MAX_VALUES for p in ps):
                            its_parts[name] = None
        # A class is short (or composed) when some factory draws it so: the lists of those factories
        # (an English title list holds in a multilingual run whose French titles are open). A list's
        # value is found only where it is written, so another factory's open values are left to the
        # model. Factories composing one class from different numbers of words disagree: not composed.
        for name, vs in taken.items():
            if vs is not None:
                short[name] = short.get(name, set()) | vs
        for name, ps in its_parts.items():
            if ps is None:
                continue
            before = parts.get(name, [set() for _ in ps])
            if before is not None:
                parts[name] = [b | p for b, p in zip(before, ps)] if len(before) == len(ps) else None
    formats = {}
    for f, c in sorted(seen.items()):
        top, n = c.most_common(1)[0]
        total = sum(c.values())
        if total >= FORMAT_MIN_COUNT and n / total >= FORMAT_MIN_SHARE:
            formats[f] = {"top": top, "classes": sorted(c)}
    cased = sorted(c for c, n in lettered.items() if n >= CASED_MIN_COUNT and lower[c] <= CASED_MAX_LOWER * n)
    spaceless = sorted(c for c, n in drawn.items() if n >= CASED_MIN_COUNT and not spaced[c])
    marks = sorted(c for c, n in drawn.items() if n >= CASED_MIN_COUNT and not plain[c])
    titles = sorted(c for c, n in lettered.items() if n >= CASED_MIN_COUNT and untitled[c] <= CASED_MAX_LOWER * n)
    signless = sorted(c for c, n in drawn.items() if n >= CASED_MIN_COUNT and not signed[c])
    symbolic = sorted(c for c in spaceless if len(signs.get(c, ())) >= SYMBOLIC_MIN_SIGNS)
    closed = {c: sorted(vs) for c, vs in short.items() if vs and drawn[c] >= CASED_MIN_COUNT}
    composed = {
        c: [sorted(p) for p in ps] for c, ps in parts.items() if ps and drawn[c] >= CASED_MIN_COUNT and c not in closed
    }
    suffixed = {}  # an ending many values share after an open list of capitalised words
    for c, tails in endings.items():
        ends = [
            t
            for t, k in tails.items()
            if k >= SUFFIX_MIN_SHARE * drawn[c]
            and len(leads[c, t]) > CLOSED_MAX_VALUES
            and uncapped[c, t] <= CASED_MAX_LOWER * k
            and any(ch.isupper() for ch in t.split()[-1])
        ]
        if ends and drawn[c] >= CASED_MIN_COUNT:
            suffixed[c] = sorted(ends)
    info = {
        "draws": draws,
        "min_count": min_count,
        "min_share": min_share,
        "format_draws": format_draws,
        "format_min_count": FORMAT_MIN_COUNT,
        "format_min_share": FORMAT_MIN_SHARE,
        "factories": len(factories),
        "settled": settle is not None,
        "cased_min_count": CASED_MIN_COUNT,
        "cased_max_lower": CASED_MAX_LOWER,
        "closed_max_values": CLOSED_MAX_VALUES,
        "suffix_min_share": SUFFIX_MIN_SHARE,
        "symbolic_min_signs": SYMBOLIC_MIN_SIGNS,
    }
    return ValueLexicon(
        groups, tables, info, formats, cased, spaceless, marks, titles, signless, closed, composed, suffixed, symbolic
    )


def run_factories(params) -> list:
    """The value factories a run's texts are filled from: ``locales`` for English texts, each other
    language's own locale."""
    from ..core.languages import language_weights
    from ..core.locale_values import LocaleValueFactory
    from ..core.values import ValueFactory

    out = []
    for code in language_weights(params.languages):
        out.append(
            ValueFactory(seed=0, locales=tuple(params.locales)) if code == "en" else LocaleValueFactory(code, seed=0)
        )
    return out


def write_lexicon(params, model_dir: str | Path) -> Path:
    """Build the lexicon of a run's value factories (look-alikes settled as the run's corpus
    settles them) and save it in ``model_dir``."""
    from ..core.taxonomy import settler

    return build_lexicon(run_factories(params), settle=settler(params)).save(Path(model_dir) / LEXICON_FILE)
