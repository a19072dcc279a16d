"""Token tagging with a fine-tuned model: batched, in overlapping windows, nothing truncated,
time and memory linear in the input.

A text is tokenized once (in pieces cut at whitespace, so a 10 MB text never makes one giant
encoding), then cut into windows of ``window`` tokens (special tokens included) that overlap by
``stride`` tokens. Windows are run in batches in text order; each token's class probabilities
are averaged over the windows that contain it and reduced at once to four numbers, so memory per
token is a few bytes whatever the number of classes:

- the argmax label and its probability (the raw tagger, scored by the evaluate stage);
- PII-ness, ``1 - P(O)``, and the best non-O class (what the Masker decides on: "is this PII?";
  a token split between DATE and DOB is still surely PII).

``TaggedText.entities()`` decodes either view into character spans; sub-words of one word continue
the entity their first tagged piece starts (``word_consistent``).
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import re
import tempfile
import warnings
from collections.abc import Iterator, Sequence
from pathlib import Path

import numpy as np

from ..core.config import DEFAULTS, resolve_path
from .lexicon import ValueLexicon, has_sign, lower_case, plain_word, signs_only, writes_case

# characters a Rust tokenizer cannot take (lone surrogates): each becomes U+FFFD for the model
# only, one code point for one, so offsets still point into the original text
_SURROGATE = re.compile("[\ud800-\udfff]")
_PIECE_CHARS = 50_000  # longer texts are tokenized in pieces of about this size


def tokenizer_safe(text: str) -> str:
    """``text`` with every character a tokenizer cannot encode replaced by U+FFFD (same length)."""
    if text.isascii():
        return text
    try:
        text.encode("utf-8")
        return text
    except UnicodeEncodeError:
        return _SURROGATE.sub("\ufffd", text)


_SIGN_SPLIT = r"\p{Sc}"


def split_currency_signs(tokenizer):
    """Make a fast tokenizer cut every currency sign (Unicode category Sc) out of the word around it,
    before its own pre-tokenizer runs; returns the tokenizer (changed in place; a second call changes
    nothing). A BERT WordPiece vocabulary that lacks a sign reads "₺270629" as one [UNK], so no model
    can put the edge the dataset draws between the sign and the amount. Offsets stay those of the text."""
    from tokenizers import Regex, pre_tokenizers

    backend = tokenizer.backend_tokenizer
    if _SIGN_SPLIT in json.dumps(json.loads(backend.to_str()).get("pre_tokenizer")):
        return tokenizer
    split = pre_tokenizers.Split(Regex(_SIGN_SPLIT), behavior="isolated")
    old = backend.pre_tokenizer
    backend.pre_tokenizer = pre_tokenizers.Sequence([split, old] if old is not None else [split])
    return tokenizer


# Case markers: an uncased vocabulary reads "Rue", "rue" and "RUE" alike, and capitals are how
# many texts show a name, a street or a code. A model trained with ``case_markers`` reads an unused
# vocabulary token before each word that begins with a capital (the first) or is written in
# capitals (the second, two letters or more); the markers cover no character, so they carry no
# tag and the decisions stay those of the text's own tokens. The model's config keeps their ids.
CASE_MARKERS = ("[unused1]", "[unused2]")
_CASED_WORD = re.compile(r"[^\W_]+")


def case_marker_ids(tokenizer) -> list[int]:
    """The ids of ``CASE_MARKERS`` in ``tokenizer``'s vocabulary (a clear error when it lacks them)."""
    vocab = tokenizer.get_vocab()
    missing = [m for m in CASE_MARKERS if m not in vocab]
    if missing:
        raise ValueError(
            f"case_markers needs the tokens {', '.join(missing)} in the tokenizer's vocabulary (a BERT "
            "WordPiece vocabulary has them); set case_markers: false for this base model"
        )
    return [vocab[m] for m in CASE_MARKERS]


def word_cases(text: str) -> dict[int, int]:
    """Start offset of each word (a run of letters and digits) that begins with a capital: 0, or 1
    when the word is written in capitals (two letters or more)."""
    out = {}
    for m in _CASED_WORD.finditer(text):
        w = m.group()
        if w[0].isupper():
            out[m.start()] = int(w.isupper() and sum(c.isalpha() for c in w) > 1)
    return out


def mark_case(text: str, ids: np.ndarray, offs: np.ndarray, markers: Sequence[int]) -> tuple[np.ndarray, np.ndarray]:
    """``ids`` and ``offs`` (a text's tokens, no special tokens) with a case marker before the first
    token of each word that begins with a capital; a marker's offsets are empty (``(s, s)``)."""
    cases = word_cases(text)
    if not cases or not len(ids):
        return ids, offs
    first = np.ones(len(ids), dtype=bool)  # the first token of those starting at one offset
    first[1:] = offs[1:, 0] != offs[:-1, 0]
    at = np.flatnonzero((offs[:, 1] > offs[:, 0]) & first & np.isin(offs[:, 0], np.fromiter(cases, dtype=np.int64)))
    if not len(at):
        return ids, offs
    starts = offs[at, 0]
    ids = np.insert(ids, at, [markers[cases[int(s)]] for s in starts])
    offs = np.insert(offs, at, np.stack([starts, starts], axis=1), axis=0)
    return ids, offs


def load_tokenizer(name: str):
    """``AutoTokenizer.from_pretrained(name)``, cutting currency signs out of words when the folder's
    ``tokenizer.json`` says its model was trained so (``split_currency_signs``: transformers rebuilds
    a BERT tokenizer's pre-tokenizer from its class, so the saved one is read here)."""
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(name)
    saved = Path(name) / "tokenizer.json"
    if saved.is_file() and _SIGN_SPLIT in json.dumps(json.loads(saved.read_text()).get("pre_tokenizer")):
        split_currency_signs(tokenizer)
    return tokenizer


class TaggedText:
    """One text's tokens and what the model says about each.

    Built either from per-token BIO ``labels`` and ``scores`` (a stand-in tagger in tests) or, by
    ``TokenTagger``, from arrays: argmax class and probability, PII-ness and best non-O class.
    Classes are numbered from 1 (0 is O); ``classes[k]`` names class k. With a ``lexicon``
    (``piimask.runtime.lexicon``), decoded entities of look-alike classes take their value's class,
    and the argmax tags drop (or relabel) an entity whose value lacks its class's shape
    (``_shape_checked``), draw its edges as the class's values are drawn (``_edges_fixed``) and
    end an entity of a class without spaces at its first space (``_spaceless_cut``); both the
    argmax tags and the PII-ness decision find the values of short lists the model leaned to but
    left out (``_closed_found``) and take a password's whole run without spaces (``_symbolic_whole``).
    """

    def __init__(
        self,
        text: str,
        offsets,
        labels: Sequence[str] | None = None,
        scores: Sequence[float] | None = None,
        pii: Sequence[float] | None = None,
        pii_labels: Sequence[str] | None = None,
        *,
        arrays: dict | None = None,
        lexicon: ValueLexicon | None = None,
    ):
        self.text = text
        if arrays is not None:
            self._a = arrays
            return
        classes = ["O"]
        index = {"O": 0}

        def parse(labs):
            cls = np.zeros(len(labs), dtype=np.int16)
            begin = np.zeros(len(labs), dtype=bool)
            for j, lab in enumerate(labs):
                if lab == "O":
                    continue
                name = lab[2:] if lab[:2] in ("B-", "I-") else lab
                if name not in index:
                    index[name] = len(classes)
                    classes.append(name)
                cls[j] = index[name]
                begin[j] = not lab.startswith("I-")
            return cls, begin

        labels = list(labels or [])
        scores = np.asarray(scores if scores is not None else [1.0] * len(labels), dtype=np.float32)
        arg_cls, arg_begin = parse(labels)
        if pii is None:  # without P(O), PII-ness is the chosen label's probability (or 1 - P(O) on O)
            pii = np.where(arg_cls > 0, scores, 1.0 - scores)
        best_cls, best_begin = parse(pii_labels) if pii_labels is not None else (arg_cls, arg_begin)
        offs = np.asarray(offsets, dtype=np.int64).reshape(-1, 2)
        self._a = {
            "starts": offs[:, 0],
            "ends": offs[:, 1],
            "arg_cls": arg_cls,
            "arg_begin": arg_begin,
            "arg_p": scores,
            "pii": np.asarray(pii, dtype=np.float32),
            "best_cls": best_cls,
            "best_begin": best_begin,
            "classes": classes,
            "lexicon": lexicon,
        }
        if lexicon is not None and (lexicon.cased or lexicon.marked):  # labels alone: no alternative but O
            self._a.update(
                alt_cls=np.zeros((len(offs), 1), dtype=np.int16), alt_p=np.zeros((len(offs), 1), dtype=np.float32)
            )

    # -- views ----------------------------------------------------------------------------------
    @property
    def classes(self) -> list[str]:
        return self._a["classes"]

    @property
    def offsets(self) -> list[tuple[int, int]]:
        return list(zip(self._a["starts"].tolist(), self._a["ends"].tolist()))

    @property
    def scores(self) -> list[float]:
        """Probability of the argmax label, per token."""
        return self._a["arg_p"].tolist()

    @property
    def pii(self) -> np.ndarray:
        """PII-ness per token: 1 - P(O)."""
        return self._a["pii"]

    @property
    def labels(self) -> list[str]:
        """Argmax BIO label per token, word-consistent and repaired (an orphan I-X starts an entity)."""
        cls, begin = self._decode(None, None)
        starts = _entity_starts(cls, begin)
        names = self.classes
        return ["O" if c == 0 else ("B-" if s else "I-") + names[c] for c, s in zip(cls.tolist(), starts.tolist())]

    @functools.cached_property
    def _writes_case(self) -> bool:
        """Whether the text uses capitals as prose does (read by the checks that judge case)."""
        return writes_case(self.text)

    def without_lexicon(self) -> TaggedText:
        """The same tokens and scores decoded without the value lexicon (the model's own labels)."""
        return TaggedText(self.text, None, arrays={**self._a, "lexicon": None})

    # -- decoding -------------------------------------------------------------------------------
    def _decode(self, threshold: float | None, class_thresholds: dict | None) -> tuple[np.ndarray, np.ndarray]:
        a = self._a
        if threshold is None:  # argmax: the raw tagger
            cls, begin = a["arg_cls"].copy(), a["arg_begin"].copy()
        else:
            thr = np.full(len(a["classes"]), float(threshold), dtype=np.float32)
            for k, name in enumerate(a["classes"]):
                if class_thresholds and name in class_thresholds:
                    thr[k] = float(class_thresholds[name])
            keep = (a["best_cls"] > 0) & (a["pii"] >= thr[a["best_cls"]])
            cls = np.where(keep, a["best_cls"], 0).astype(np.int16)
            begin = a["best_begin"] & keep
        currency = np.array([name in _GLUED_TO_AMOUNTS for name in a["classes"]], dtype=bool)
        cls, begin = _word_consistent(self.text, a["starts"], a["ends"], cls, begin, currency)
        lexicon = a.get("lexicon")
        if lexicon is not None and len(cls):
            first, last = _entity_bounds(cls, begin)
            new = lexicon.relabel(self.text, a["starts"][first], a["ends"][last], cls[first], a["classes"])
            if new is not None:  # labels only: each entity keeps its tokens and starts with a B-
                cls, begin = cls.copy(), begin.copy()
                begin[first] = True
                cls[np.flatnonzero(cls)] = np.repeat(new, last - first + 1)
            if threshold is None and "alt_cls" in a:
                cls, begin = self._shape_checked(cls, begin, lexicon)
            if threshold is None:
                cls, begin = self._edges_fixed(cls, begin, lexicon)
            if threshold is None and lexicon.spaceless:
                cls, begin = self._spaceless_cut(cls, begin, lexicon)
            if lexicon.symbolic:  # the argmax tags and the Masker's PII-ness alike
                cls, begin = self._symbolic_whole(cls, begin, lexicon)
            if lexicon.closed or lexicon.composed:  # the argmax tags and the Masker's PII-ness alike
                cls, begin = self._closed_found(cls, begin, lexicon, frozenset(class_thresholds or ()))
            if lexicon.suffixed:
                cls, begin = self._suffixed_found(cls, begin, lexicon, frozenset(class_thresholds or ()))
        return cls, begin

    def _suffixed_found(
        self, cls: np.ndarray, begin: np.ndarray, lexicon: ValueLexicon, own_threshold: frozenset = frozenset()
    ) -> tuple[np.ndarray, np.ndarray]:
        """The argmax tags and the PII-ness decision alike: in a text that uses capitals, a
        capitalised word the model tagged (as one entity of its own, of any class), followed by an
        ending of a ``lexicon.suffixed`` class that the model left out ("Varga" + "Group", a
        surname for the company's first word), is one value of that class, ending included. A
        class given its own PII-ness threshold follows it alone."""
        if not self._writes_case:
            return cls, begin
        a = self._a
        starts, ends, names = a["starts"], a["ends"], a["classes"]
        n = len(cls)
        found = [f for f in lexicon.suffixed_values(self.text) if f[3] not in own_threshold and f[3] in names]
        if found:
            cls, begin = cls.copy(), begin.copy()
        for s, m, e, name in found:
            i0 = int(np.searchsorted(starts, s))
            im = int(np.searchsorted(ends, m, side="right"))
            i1 = int(np.searchsorted(ends, e, side="right"))
            if not i0 < im < i1 or starts[i0] != s or ends[im - 1] != m or ends[i1 - 1] != e:
                continue
            head, tail = cls[i0:im], cls[im:i1]
            if not head.all() or len(set(head.tolist())) != 1 or begin[i0 + 1 : im].any() or tail.any():
                continue  # the first word: one whole entity; the ending: left out
            if i0 > 0 and cls[i0 - 1] == cls[i0] and not begin[i0]:
                continue  # the entity runs on before the word ("Lindqvist, Varga" + "Group")
            cls[i0:i1], begin[i0:i1] = names.index(name), False
            begin[i0] = True
            if i1 < n and cls[i1]:
                begin[i1] = True
        return cls, begin

    def _closed_found(
        self, cls: np.ndarray, begin: np.ndarray, lexicon: ValueLexicon, own_threshold: frozenset = frozenset()
    ) -> tuple[np.ndarray, np.ndarray]:
        """The argmax tags and the PII-ness decision alike: in a text that uses capitals, a value of a
        class drawn from a short list (``lexicon.closed``: job areas and types, account names...)
        that the model left untagged (or below the PII-ness threshold) and that is not one word
        starting a sentence ("Research shows", where any word takes a capital) becomes an entity of
        its class when the model's best non-O class for one of its tokens is that class ("our
        Operations team", "your Checking Account": the uncased model reads them as the ordinary
        words). Glued by one space to an entity of the class's look-alike group (a job title the
        model cut short, "Regional Creative" + "Officer"), it continues that entity instead, when
        the model's best class for it is in the group. A value of such a list that the tags cover
        in part, with entities of its group that lie within it ("Home Loan" of "Home Loan Account",
        "Male" of "Male to female"), becomes one entity of the value's class. A value of a composed
        class (``lexicon.composed``: a job title of a descriptor, an area and a type) is read the same
        way, whole, and the tags that cover all of it but not as one entity ("Regional" + "Creative
        Officer", or job words: JOBTITLE, JOBAREA, JOBTYPE) make one entity of its class too. A class
        given its own PII-ness threshold (``own_threshold``, the Masker's ``class_thresholds``)
        follows it alone."""
        text = self.text
        if not self._writes_case:
            return cls, begin
        a = self._a
        starts, ends, names, best_cls = a["starts"], a["ends"], a["classes"], a["best_cls"]
        index = {name: k for k, name in enumerate(names)}
        n = len(cls)
        found = list(lexicon.closed_values(text))
        if found:
            cls, begin = cls.copy(), begin.copy()
        for s, e, classes in found:
            i0 = int(np.searchsorted(starts, s))
            i1 = int(np.searchsorted(ends, e, side="right"))
            classes = classes - own_threshold
            if not classes or i0 >= i1 or starts[i0] != s or ends[i1 - 1] != e:
                continue
            group = {c for name in classes for c in lexicon.group(name)}
            tagged = cls[i0:i1] != 0
            if tagged.any():  # tagged in part ("Home Loan" of "Home Loan Account"): the whole value
                own = {names[k] for k in cls[i0:i1][tagged].tolist()}
                before = i0 > 0 and cls[i0] != 0 and cls[i0 - 1] == cls[i0] and not begin[i0]
                after = i1 < n and cls[i1 - 1] != 0 and cls[i1] == cls[i1 - 1] and not begin[i1]
                whole = tagged.all() and len(own) == 1 and not begin[i0 + 1 : i1].any()
                if whole or before or after or not own <= group:  # already one entity, or more than the value
                    continue
                fits = sorted(classes & own) or sorted(classes)
            else:
                if _sentence_start(text, s) and " " not in text[s:e]:  # "Checking Account" may start one
                    continue
                best = {names[k] for k in best_cls[i0:i1].tolist() if k}
                left = cls[i0 - 1] if i0 > 0 and text[ends[i0 - 1] : s] in ("", " ") else 0
                right = cls[i1] if i1 < n and text[e : starts[i1]] in ("", " ") else 0
                joined = [k for k in (left, right) if k and names[k] in group]
                if joined and best & group:  # a job title cut short: the value continues it
                    k = joined[0]
                    cls[i0:i1], begin[i0:i1] = k, False
                    begin[i0] = left != k
                    if right == k:
                        begin[i1] = False
                    continue
                fits = sorted(classes & best)
            if len(fits) != 1 or fits[0] not in index:
                continue
            cls[i0:i1], begin[i0:i1] = index[fits[0]], False
            begin[i0] = True
            if i1 < n and cls[i1]:  # what follows, tagged, is an entity of its own
                begin[i1] = True
        return cls, begin

    def _edges_fixed(self, cls: np.ndarray, begin: np.ndarray, lexicon: ValueLexicon) -> tuple[np.ndarray, np.ndarray]:
        """Argmax tags only: an entity's edges as the values draw them. Two entities of one class
        glued together (no character between them: "NT" and "$") are one. A currency sign at the
        edge of an entity of a class whose values never hold one (``lexicon.signless``) is a
        currency symbol of its own ("Australian Dollar$"). In a text that uses capitals, an entity
        of a class whose values begin and end with a capitalised word or one with a digit
        (``lexicon.titled``) sheds the plain lower-case words at its edges ("Northamptonshire
        county", "... Safari/538.2 system.") and a word of signs alone at its edge ("- Smith, Jones
        and Lee") when no tagged word stands beyond it; beyond it, an entity of its own class is
        the same value ("Smith -" + "Jones"). Then a bracket the value leaves open or unopened is cut
        off where it stands at the value's edge ("(20th May", "Krone ("), else the value takes its
        partner glued to its edge ("(87)-8781", "... Version/12.00)")."""
        a = self._a
        text, starts, ends, names = self.text, a["starts"], a["ends"], a["classes"]
        n = len(cls)
        cls, begin = cls.copy(), begin.copy()
        first, _ = _entity_bounds(cls, begin)
        for f in first.tolist():
            if f > 0 and cls[f - 1] == cls[f] and ends[f - 1] == starts[f]:
                begin[f] = False

        def tok(t: int) -> str:
            return text[starts[t] : ends[t]]

        symbol = names.index("CURRENCYSYMBOL") if "CURRENCYSYMBOL" in names else 0
        titled_text = bool(lexicon.titled) and self._writes_case
        first, last = _entity_bounds(cls, begin)
        for f, z in zip(first.tolist(), last.tolist()):
            name = names[cls[f]]
            k = cls[f]
            if name in lexicon.signless:
                if f < z and len(tok(f)) == 1 and has_sign(tok(f)):
                    cls[f], begin[f] = symbol, symbol > 0
                    f += 1
                    begin[f] = True
                if f < z and len(tok(z)) == 1 and has_sign(tok(z)):
                    cls[z], begin[z] = symbol, symbol > 0
                    z -= 1
            if titled_text and name in lexicon.titled and f < z:
                f0 = f
                cuts = [t for t in range(f + 1, z + 1) if text[ends[t - 1] : starts[t]].isspace()]
                parts = list(zip([f, *cuts], [*cuts, z + 1]))
                while len(parts) > 1 and plain_word(text[starts[parts[0][0]] : ends[parts[0][1] - 1]]):
                    lo, hi = parts.pop(0)
                    cls[lo:hi] = 0
                while len(parts) > 1 and plain_word(text[starts[parts[-1][0]] : ends[parts[-1][1] - 1]]):
                    lo, hi = parts.pop()
                    cls[lo:hi] = 0
                joined_before = False
                if len(parts) > 1 and signs_only(text[starts[parts[0][0]] : ends[parts[0][1] - 1]]):
                    lo, hi = parts[0]  # "- Smith, Jones and Lee": the sign is no part of the value
                    if lo == 0 or cls[lo - 1] == 0:
                        cls[lo:hi] = 0
                        parts.pop(0)
                    joined_before = lo > 0 and cls[lo - 1] == k  # "Smith" + "- Jones": one value
                if len(parts) > 1 and signs_only(text[starts[parts[-1][0]] : ends[parts[-1][1] - 1]]):
                    lo, hi = parts[-1]
                    if hi == n or cls[hi] == 0:
                        cls[lo:hi] = 0
                        parts.pop()
                    elif cls[hi] == k:
                        begin[hi] = False
                f, z = parts[0][0], parts[-1][1] - 1
                if joined_before or f != f0:  # (an entity joined to the one before keeps no B-)
                    begin[f] = not joined_before
            for opening, closing in ("()", "[]"):
                value = text[starts[f] : ends[z]]
                depth = value.count(opening) - value.count(closing)
                lone = opening if depth > 0 else closing
                edge = [t for t in ((f, z) if depth > 0 else (z, f)) if tok(t) == lone]
                if depth and f < z and edge:  # a lone bracket at an edge: "(20th May", "Krone ("
                    cls[edge[0]] = 0
                    f, z = (f + 1, z) if edge[0] == f else (f, z - 1)
                    begin[f] = True
                elif depth > 0 and z + 1 < n and cls[z + 1] == 0 and starts[z + 1] == ends[z] and tok(z + 1) == closing:
                    cls[z + 1], begin[z + 1] = k, False
                    z += 1
                elif depth < 0 and f > 0 and cls[f - 1] == 0 and ends[f - 1] == starts[f] and tok(f - 1) == opening:
                    cls[f - 1], begin[f - 1], begin[f] = k, True, False
                    f -= 1
        return cls, begin

    def _symbolic_whole(
        self, cls: np.ndarray, begin: np.ndarray, lexicon: ValueLexicon
    ) -> tuple[np.ndarray, np.ndarray]:
        """An entity of a class whose values hold signs of every kind (``lexicon.symbolic``:
        passwords such as "?k4Tw!q8" or "3(Xa,.P{m^rt", where the model tags the letters and
        digits and leaves the signs, or tags parts as other classes) is the whole run of
        characters without a space it stands in, when its class holds most of the run's tagged
        characters. A bracket or quote pair around the run stays outside, and so does a comma or
        semicolon at its end, and a final ``. : ! ?`` unless the run was enclosed."""
        a = self._a
        text, starts, ends = self.text, a["starts"], a["ends"]
        n = len(cls)
        symbolic = np.array([name in lexicon.symbolic for name in a["classes"]], dtype=bool)
        hits = np.flatnonzero((cls > 0) & symbolic[cls])
        if not len(hits):
            return cls, begin
        glued = _touching(starts, ends)
        run_start = np.maximum.accumulate(np.where(~glued, np.arange(n), 0))
        cls, begin = cls.copy(), begin.copy()

        def tok(u: int) -> str:
            return text[starts[u] : ends[u]]

        done = set()
        for t in hits.tolist():
            lo = int(run_start[t])
            if lo in done:
                continue
            done.add(lo)
            hi = t
            while hi + 1 < n and glued[hi + 1]:
                hi += 1
            chars: dict[int, int] = {}
            for u in range(lo, hi + 1):
                if cls[u]:
                    chars[int(cls[u])] = chars.get(int(cls[u]), 0) + int(ends[u] - starts[u])
            k = max(chars, key=chars.get)
            if not symbolic[k] or 2 * chars[k] <= sum(chars.values()):
                continue
            run = lo, hi
            enclosed = hi > lo and tok(lo) + tok(hi) in _ENCLOSING
            if enclosed:
                lo, hi = lo + 1, hi - 1
            while hi > lo and (tok(hi) in (",", ";") or (not enclosed and tok(hi) in (".", ":", "!", "?"))):
                hi -= 1
            if hi < lo:
                continue
            cls[run[0] : run[1] + 1], begin[run[0] : run[1] + 1] = 0, False  # the signs left outside: O
            cls[lo : hi + 1] = k
            begin[lo] = True
        return cls, begin

    def _spaceless_cut(
        self, cls: np.ndarray, begin: np.ndarray, lexicon: ValueLexicon
    ) -> tuple[np.ndarray, np.ndarray]:
        """Argmax tags only: an entity of a class whose values never hold a space (``lexicon.spaceless``:
        URLs, e-mail and crypto addresses, IBANs...) ends at its first space. Each later part is an
        entity of its own: of the same class when the class takes the part's format (two addresses
        joined by "or": the "or" is dropped), of the format's class when another class takes it, O
        when it is an ordinary word in lower case ("https://example.net site") or holds no letter or
        digit, else of the same class (a capitalised name the model ran on into stays covered)."""
        a = self._a
        starts, ends = a["starts"], a["ends"]
        first, last = _entity_bounds(cls, begin)
        index = {name: k for k, name in enumerate(a["classes"])}
        out = None
        for f, z in zip(first.tolist(), last.tolist()):
            name = a["classes"][cls[f]]
            if f == z or name not in lexicon.spaceless:
                continue
            cuts = [t for t in range(f + 1, z + 1) if self.text[ends[t - 1] : starts[t]].isspace()]
            if not cuts:
                continue
            if out is None:
                out = cls.copy(), begin.copy()
            for lo, hi in zip(cuts, cuts[1:] + [z + 1]):
                part = self.text[starts[lo] : ends[hi - 1]]
                label = lexicon.format_class(part) if not lexicon.takes(part, name) else name
                if label is None and not (lower_case(part) and not any(ch.isdigit() for ch in part)):
                    label = name if any(ch.isalnum() for ch in part) else None
                k = index.get(label, 0) if label is not None else 0
                out[0][lo:hi] = k
                out[1][lo:hi] = False
                out[1][lo] = k > 0
        return (cls, begin) if out is None else out

    def _shape_checked(
        self, cls: np.ndarray, begin: np.ndarray, lexicon: ValueLexicon
    ) -> tuple[np.ndarray, np.ndarray]:
        """Argmax tags only: an entity whose value cannot be of its class takes the most probable
        class its value can be of (probability summed over its tokens, among each token's
        ``ALTERNATIVES`` best classes), when that class's sum beats O's; else O. A value cannot be of
        a class whose values always carry a capital (``lexicon.cased``) when it has none in a text
        that uses capitals: the uncased model cannot see a letter's case, and the 200k rows write
        "account" or "team" in lower case as ordinary words, "Savings Account" or "Marketing"
        capitalised as values. Nor of a class whose values always hold a digit or a joiner
        (``lexicon.marked``: dates, amounts, URLs, usernames) when it holds neither: "ASAP" is no
        date, "unresponsive" no URL, "Ivah" no URL but may be a first name."""
        a = self._a
        first, last = _entity_bounds(cls, begin)
        cased_text = bool(lexicon.cased) and self._writes_case
        names = a["classes"]

        def fits(value: str, name: str) -> bool:
            return not ((cased_text and lexicon.uncased(value, name)) or lexicon.unmarked(value, name))

        out = None
        for f, z in zip(first.tolist(), last.tolist()):
            value = self.text[a["starts"][f] : a["ends"][z]]
            if fits(value, names[cls[f]]):
                continue
            if out is None:
                out = cls.copy(), begin.copy()
            sums = np.bincount(a["alt_cls"][f : z + 1].ravel(), weights=a["alt_p"][f : z + 1].ravel())
            o_sum = float(np.sum(1.0 - a["pii"][f : z + 1]))
            best = 0
            for k in np.argsort(-sums).tolist():
                if sums[k] <= o_sum or k == 0:
                    break
                if k != cls[f] and fits(value, names[k]):
                    best = k
                    break
            out[0][f : z + 1] = best
            out[1][f : z + 1] = False
            out[1][f] = best > 0
        return (cls, begin) if out is None else out

    def entities(self, threshold: float | None = None, class_thresholds: dict | None = None) -> list[dict]:
        """Character spans {start, end, label, score, source}.

        ``threshold=None``: the argmax labels (score: mean probability of the chosen labels).
        Otherwise a token is PII when its PII-ness reaches ``threshold`` (or its best class's entry
        in ``class_thresholds``), labelled with its best non-O class (score: mean PII-ness).
        """
        cls, begin = self._decode(threshold, class_thresholds)
        if not len(cls):
            return []
        first, last = _entity_bounds(cls, begin)
        score = self._a["arg_p"] if threshold is None else self._a["pii"]
        csum = np.concatenate([[0.0], np.cumsum(score, dtype=np.float64)])
        means = (csum[last + 1] - csum[first]) / (last + 1 - first)
        names = self.classes
        s_chars, e_chars = self._a["starts"][first].tolist(), self._a["ends"][last].tolist()
        return [
            {"start": s, "end": e, "label": names[c], "score": float(m), "source": "model"}
            for s, e, c, m in zip(s_chars, e_chars, cls[first].tolist(), means.tolist())
        ]


def _sentence_start(text: str, i: int) -> bool:
    """True when the word at ``i`` starts ``text``, a line or a sentence (after ``.!?:`` and a space;
    quotes and brackets between them do not count)."""
    j = i
    while j > 0 and i - j < 20 and text[j - 1] != "\n" and not (text[j - 1].isalnum() or text[j - 1] == "_"):
        j -= 1
    if j == 0 or text[j - 1] == "\n":
        return True
    return re.search(r"[.!?:]\s", text[j:i]) is not None


def _entity_starts(cls: np.ndarray, begin: np.ndarray) -> np.ndarray:
    """True where a token starts an entity: tagged, and B- or a different class than the previous."""
    prev = np.concatenate([[0], cls[:-1]]) if len(cls) else cls
    return (cls != 0) & (begin | (prev != cls))


def _entity_bounds(cls: np.ndarray, begin: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """First and last token of every entity (an entity's tokens are consecutive and tagged)."""
    starts = _entity_starts(cls, begin)
    cont_next = np.zeros(len(cls), dtype=bool)
    cont_next[:-1] = (cls[1:] != 0) & ~starts[1:]
    return np.flatnonzero(starts), np.flatnonzero((cls != 0) & ~cont_next)


def _touching(starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
    """Per token: whether it touches the token before it (no character between them, neither of
    them empty), i.e. the two are pieces of one run without spaces."""
    glued = np.zeros(len(starts), dtype=bool)
    glued[1:] = (starts[1:] == ends[:-1]) & (ends[:-1] > starts[:-1]) & (ends[1:] > starts[1:])
    return glued


def _word_consistent(
    text: str,
    starts: np.ndarray,
    ends: np.ndarray,
    cls: np.ndarray,
    begin: np.ndarray,
    currency: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Within a word, every piece after the first tagged one continues its entity (vectorised).
    ``currency``: per class number, whether it is a currency sign or code (``_GLUED_TO_AMOUNTS``)."""
    n = len(cls)
    if n < 2:
        return cls, begin
    glued = _touching(starts, ends)
    idx = np.flatnonzero(glued)
    if len(idx):
        glued[idx] = [
            _joined(text, int(s0), int(e0), int(s1), int(e1))
            for s0, e0, s1, e1 in zip(starts[idx - 1], ends[idx - 1], starts[idx], ends[idx])
        ]
    tagged = cls != 0
    # a currency sign or code glued to an amount at a change of kind ("лв|62459.57", "RM|900",
    # "0.0b|kr"): where the model begins an entity of another class across a letter-digit edge and one
    # side is a sign or a code, it is a new word (usernames and passwords mix letters and digits too)
    new = np.flatnonzero(glued[1:] & tagged[1:] & tagged[:-1] & begin[1:] & (cls[1:] != cls[:-1])) + 1
    if len(new) and currency is not None:
        new = new[currency[cls[new]] | currency[cls[new - 1]]]
    else:
        new = new[:0]
    for p in new.tolist():
        left, right = text[int(ends[p - 1]) - 1], text[int(starts[p])]
        if left.isdigit() != right.isdigit():
            glued[p] = False
    word_start = np.maximum.accumulate(np.where(~glued, np.arange(n), 0))
    # a value does not begin inside a run of letters or of digits: where the first tagged piece of
    # a word continues its O neighbour's run ("Del|a.Wintheiser88", "Administra|tor"), the value
    # takes the word from its start; a change of kind is a real edge ("card|4111...")
    mid = np.flatnonzero(tagged[1:] & ~tagged[:-1] & glued[1:]) + 1
    if len(mid):
        cls, begin = cls.copy(), begin.copy()
    for p in mid.tolist():
        left, right = text[int(ends[p - 1]) - 1], text[int(starts[p])]
        if (left.isalpha() and right.isalpha()) or (left.isdigit() and right.isdigit()):
            w = int(word_start[p])
            if not tagged[w:p].any():
                cls[w:p], begin[w], begin[p] = cls[p], True, False
                tagged[w:p] = True
    nxt = np.where(tagged, np.arange(n), n)
    nxt = np.minimum.accumulate(nxt[::-1])[::-1]  # first tagged token at or after each position
    first_tagged = nxt[word_start]
    follow = first_tagged < np.arange(n)  # a tagged piece came earlier in this word
    cls = np.where(follow, cls[np.minimum(first_tagged, n - 1)], cls).astype(np.int16)
    begin = begin & ~follow
    return cls, begin


# characters that join the parts of one value written without spaces: "Harley.Mertz51",
# "Lilly_McCullough29", "jo@x.com", "10:18", "20/03/1930" (the dataset marks each as one entity;
# a currency sign is no joiner, so "$706993" stays a sign and an amount, and neither is an
# apostrophe, so "756.1526.7359's" ends before the "'s"). Measured on the real 200k rows: +0.01
# entity F1 and +0.04 label-agnostic span F1 for two models of different corpora.
_JOINERS = frozenset("._-@:/")
# a pair of brackets or quotes around a run of characters without a space, outside the value it encloses
_ENCLOSING = frozenset({"()", "[]", "{}", '""', "''", "<>", "``"})
# classes the dataset writes glued to an amount ("лв62459.57", "RM900", "0.0bkr"), each its own entity
_GLUED_TO_AMOUNTS = frozenset({"CURRENCYSYMBOL", "CURRENCYCODE"})
# classes per token the shape check may choose from when an entity's value cannot be of its class
ALTERNATIVES = 4


def _joined(text: str, s0: int, e0: int, s1: int, e1: int) -> bool:
    """Whether token (s1, e1), starting where token (s0, e0) ends, continues the same value:
    letters or digits on both sides of the join, or a lone joiner between letters or digits."""
    left, right = text[e0 - 1], text[s1]
    if left.isalnum() and right.isalnum():
        return True
    if e1 - s1 == 1 and right in _JOINERS:  # the joiner itself: glued only if a value follows
        return left.isalnum() and e1 < len(text) and text[e1].isalnum()
    return e0 - s0 == 1 and left in _JOINERS and s0 > 0 and text[s0 - 1].isalnum() and right.isalnum()


def word_consistent(text: str, offsets: list[tuple[int, int]], labels: list[str]) -> list[str]:
    """Sub-words of one word continue the entity its first tagged piece starts.

    Two tokens belong to one word when the second starts where the first ends and the characters
    on both sides of the join are letters or digits, or one of them is a lone joiner (``._-@:/``)
    between letters or digits: a value written without spaces is one entity. A word whose first piece is O keeps its
    predictions (a value glued to a word, such as "card4111...", is still found), unless the first
    tagged piece splits a run of letters or of digits ("Del|a.Wintheiser88"): then the value takes
    the whole word. A currency sign or code glued to an amount across a letter-digit edge
    ("лв62459.57") stays its own entity when the amount's first piece begins another class.
    """
    t = TaggedText(text, offsets, labels)
    currency = np.array([name in _GLUED_TO_AMOUNTS for name in t.classes], dtype=bool)
    cls, begin = _word_consistent(text, t._a["starts"], t._a["ends"], t._a["arg_cls"], t._a["arg_begin"], currency)
    names = t.classes
    return ["O" if c == 0 else ("B-" if b else "I-") + names[c] for c, b in zip(cls.tolist(), begin.tolist())]


def window_starts(n: int, size: int, overlap: int) -> list[int]:
    """First token of each window of ``size`` tokens over ``n`` tokens, consecutive windows
    sharing ``overlap`` tokens; the last window ends at ``n``."""
    if n <= size:
        return [0]
    step = max(1, size - overlap)
    starts = list(range(0, n - size, step))
    return starts + [n - size]


class TokenTagger:
    def __init__(
        self,
        model_dir: str | Path,
        window: int = DEFAULTS["window_tokens"],
        stride: int = DEFAULTS["window_stride"],
        batch_size: int = 32,
        device: str | None = None,
        model=None,
        tokenizer=None,
        int8: bool = False,
        runtime: str = "torch",
        allow_hub: bool = False,
        lexicon: bool = True,
    ):
        """``lexicon``: relabel look-alikes by their value with the model folder's value lexicon,
        when it has one (``piimask.runtime.lexicon``)."""
        import torch
        from transformers import AutoModelForTokenClassification

        name = local_model(model_dir, allow_hub) if (model is None or tokenizer is None) else str(model_dir)
        self.tokenizer = tokenizer or load_tokenizer(name)
        self.model = model or AutoModelForTokenClassification.from_pretrained(name)
        self.device = device or ("cuda" if torch.cuda.is_available() else "cpu")
        self.model.to(self.device).eval()
        if runtime not in ("torch", "onnx"):
            raise ValueError(f"runtime must be 'torch' or 'onnx', not {runtime!r}")
        if int8 and self.device != "cpu":
            raise ValueError("int8 dynamic quantization runs on the CPU; use device='cpu'")
        if int8 and runtime == "torch":  # dynamic int8 quantization of the Linear layers
            self.model = quantize_int8(self.model)
        self.id2label = {int(k): v for k, v in self.model.config.id2label.items()}
        self.case_markers = list(getattr(self.model.config, "case_markers", None) or [])
        limit = getattr(self.model.config, "max_position_embeddings", 512)
        self.window = min(window, limit)
        self.stride = min(stride, self.window // 2)
        self.batch_size = batch_size
        self.runtime = runtime
        self._session = None
        if runtime == "onnx":  # int8: weights quantized per output channel, activations on the fly
            path = export_onnx(self.model, name)
            self._session = onnx_session(quantize_onnx(path) if int8 else path)
        self._prefix, self._suffix = _special_tokens(self.tokenizer)
        self._content = self.window - len(self._prefix) - len(self._suffix)
        self._setup_labels()
        local = Path(str(name))
        self.lexicon = ValueLexicon.load(local) if lexicon and local.is_dir() else None

    def _setup_labels(self) -> None:
        n = len(self.id2label)
        classes = ["O"]
        index = {}
        self._cls_of = np.zeros(n, dtype=np.int16)
        self._begin_of = np.zeros(n, dtype=bool)
        self._o_id = None
        for i in range(n):
            lab = self.id2label[i]
            if lab == "O":
                self._o_id = i
                continue
            name = lab[2:] if lab[:2] in ("B-", "I-") else lab
            if name not in index:
                index[name] = len(classes)
                classes.append(name)
            self._cls_of[i] = index[name]
            self._begin_of[i] = not lab.startswith("I-")
        self.classes = classes
        # probabilities of a class: its B- and I- label summed
        self._class_matrix = np.zeros((n, len(classes)), dtype=np.float32)
        self._class_matrix[np.arange(n), self._cls_of] = 1.0
        self._class_matrix[:, 0] = 0.0
        self._b_id = np.full(len(classes), -1)
        self._i_id = np.full(len(classes), -1)
        for i in range(n):
            if self._cls_of[i]:
                (self._b_id if self._begin_of[i] else self._i_id)[self._cls_of[i]] = i

    def _forward(self, batch: dict) -> np.ndarray:
        import torch

        if self._session is not None:
            feeds = {k: np.asarray(v, dtype=np.int64) for k, v in batch.items()}
            logits = self._session.run(["logits"], feeds)[0]
            e = np.exp(logits - logits.max(axis=-1, keepdims=True))
            return e / e.sum(axis=-1, keepdims=True)

        with torch.inference_mode():
            inputs = {k: torch.as_tensor(v).to(self.device) for k, v in batch.items()}
            logits = self.model(**inputs).logits.float()
            return torch.softmax(logits, dim=-1).cpu().numpy()

    # -- tokenization ---------------------------------------------------------------------------
    def _encode(self, texts: Sequence[str]) -> list[tuple[np.ndarray, np.ndarray]]:
        """(ids, offsets) per text, no special tokens; long texts in pieces cut at whitespace."""
        out: list = [None] * len(texts)
        short = [i for i, t in enumerate(texts) if len(t) <= _PIECE_CHARS]
        for b in range(0, len(short), 256):
            idx = short[b : b + 256]
            enc = self.tokenizer(
                [tokenizer_safe(texts[i]) for i in idx],
                add_special_tokens=False,
                return_offsets_mapping=True,
                verbose=False,
            )  # windows come later
            for k, i in enumerate(idx):
                out[i] = self._marked(
                    texts[i],
                    np.asarray(enc["input_ids"][k], dtype=np.int64),
                    np.asarray(enc["offset_mapping"][k], dtype=np.int64).reshape(-1, 2),
                )
        for i, t in enumerate(texts):
            if out[i] is None:
                out[i] = self._encode_long(t)
        return out

    def _marked(self, text: str, ids: np.ndarray, offs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The case markers put in, for a model trained with them (``mark_case``)."""
        return mark_case(text, ids, offs, self.case_markers) if self.case_markers else (ids, offs)

    def _encode_long(self, text: str) -> tuple[np.ndarray, np.ndarray]:
        ids, offs = [], []
        for a, b in _pieces(text, _PIECE_CHARS):
            enc = self.tokenizer(
                tokenizer_safe(text[a:b]), add_special_tokens=False, return_offsets_mapping=True, verbose=False
            )
            piece_ids, piece_offs = self._marked(
                text[a:b],
                np.asarray(enc["input_ids"], dtype=np.int64),
                np.asarray(enc["offset_mapping"], dtype=np.int64).reshape(-1, 2),
            )
            ids.append(piece_ids)
            offs.append(piece_offs + a)
        return np.concatenate(ids), np.concatenate(offs)

    # -- tagging --------------------------------------------------------------------------------
    def tag(self, texts: Sequence[str]) -> list[TaggedText]:
        """Tag many texts. Short texts (one window each) are batched together, sorted by length;
        a long text's windows run in order and each token is reduced as soon as no later window
        can cover it, so memory stays bounded whatever the text's length."""
        texts = list(texts)
        out: list = [None] * len(texts)
        encoded = self._encode(texts)
        pool = []
        for i, (ids, offs) in enumerate(encoded):
            if len(ids) <= self._content:
                pool.append(i)
            else:
                out[i] = self._tag_long(texts[i], ids, offs)
        pool.sort(key=lambda i: len(encoded[i][0]))
        for b in range(0, len(pool), self.batch_size):
            idx = pool[b : b + self.batch_size]
            probs = self._run([encoded[i][0] for i in idx])
            for row, i in enumerate(idx):
                ids, offs = encoded[i]
                p = probs[row, len(self._prefix) : len(self._prefix) + len(ids)]
                out[i] = self._tagged(texts[i], offs, p)
        return out

    def _run(self, windows: list[np.ndarray]) -> np.ndarray:
        """Class probabilities for windows of content ids (special tokens added, padded)."""
        width = max(len(w) for w in windows) + len(self._prefix) + len(self._suffix)
        pad = self.tokenizer.pad_token_id or 0
        ids = np.full((len(windows), width), pad, dtype=np.int64)
        mask = np.zeros((len(windows), width), dtype=np.int64)
        for r, w in enumerate(windows):
            row = np.concatenate([self._prefix, w, self._suffix])
            ids[r, : len(row)] = row
            mask[r, : len(row)] = 1
        return self._forward({"input_ids": ids, "attention_mask": mask})

    def _tag_long(self, text: str, ids: np.ndarray, offs: np.ndarray) -> TaggedText:
        n, size = len(ids), self._content
        starts = window_starts(n, size, self.stride)
        red = _Reduced(n)
        carry, carry_at = None, 0
        for b in range(0, len(starts), self.batch_size):
            batch = starts[b : b + self.batch_size]
            lo, hi = batch[0], batch[-1] + size
            acc = np.zeros((hi - lo, len(self.id2label)), dtype=np.float32)
            cnt = np.zeros(hi - lo, dtype=np.int32)
            if carry is not None:
                acc[carry_at - lo : carry_at - lo + len(carry[0])] += carry[0]
                cnt[carry_at - lo : carry_at - lo + len(carry[1])] += carry[1]
            probs = self._run([ids[s : s + size] for s in batch])
            for r, s in enumerate(batch):
                acc[s - lo : s - lo + size] += probs[r, len(self._prefix) : len(self._prefix) + size]
                cnt[s - lo : s - lo + size] += 1
            done = starts[b + self.batch_size] if b + self.batch_size < len(starts) else hi
            red.put(lo, acc[: done - lo] / cnt[: done - lo, None], self)
            carry, carry_at = (acc[done - lo :], cnt[done - lo :]), done
        return TaggedText(text, None, arrays=red.arrays(offs, self.classes, self.lexicon))

    def _tagged(self, text: str, offs: np.ndarray, probs: np.ndarray) -> TaggedText:
        red = _Reduced(len(offs))
        red.put(0, probs, self)
        return TaggedText(text, None, arrays=red.arrays(offs, self.classes, self.lexicon))

    def reduce(self, probs: np.ndarray) -> dict:
        """Per token: argmax class and begin flag and probability; PII-ness; best non-O class."""
        arg = probs.argmax(axis=1)
        o = probs[:, self._o_id] if self._o_id is not None else np.zeros(len(probs), dtype=np.float32)
        per_class = probs @ self._class_matrix
        best = per_class[:, 1:].argmax(axis=1) + 1 if per_class.shape[1] > 1 else np.zeros(len(probs), dtype=np.int64)
        b_p = np.where(self._b_id[best] >= 0, probs[np.arange(len(probs)), np.maximum(self._b_id[best], 0)], 0)
        i_p = np.where(self._i_id[best] >= 0, probs[np.arange(len(probs)), np.maximum(self._i_id[best], 0)], 0)
        return {
            "arg_cls": self._cls_of[arg],
            "arg_begin": self._begin_of[arg],
            "arg_p": probs[np.arange(len(probs)), arg],
            "pii": 1.0 - o,
            "best_cls": best.astype(np.int16),
            "best_begin": b_p >= i_p,
            **self._alternatives(per_class),
        }

    def _alternatives(self, per_class: np.ndarray) -> dict:
        """Per token, what the shape check chooses from: the ``ALTERNATIVES`` most probable classes
        (never O) and their probabilities; nothing when the lexicon names no cased or marked classes."""
        lex = self.lexicon
        if lex is None or not (lex.cased or lex.marked) or per_class.shape[1] < 2:
            return {}
        k = min(ALTERNATIVES, per_class.shape[1] - 1)
        top = np.argsort(-per_class[:, 1:], axis=1)[:, :k] + 1
        return {"alt_cls": top.astype(np.int16), "alt_p": np.take_along_axis(per_class, top, axis=1).astype(np.float32)}


class _Reduced:
    """Per-token results of one text, filled window batch by window batch."""

    def __init__(self, n: int):
        self.a = {
            "arg_cls": np.zeros(n, dtype=np.int16),
            "arg_begin": np.zeros(n, dtype=bool),
            "arg_p": np.zeros(n, dtype=np.float32),
            "pii": np.zeros(n, dtype=np.float32),
            "best_cls": np.zeros(n, dtype=np.int16),
            "best_begin": np.zeros(n, dtype=bool),
        }

    def put(self, at: int, probs: np.ndarray, tagger: TokenTagger) -> None:
        n = len(self.a["arg_cls"])
        for k, v in tagger.reduce(probs).items():
            if k not in self.a:  # the shape check's alternatives, when the tagger has them
                self.a[k] = np.zeros((n, *v.shape[1:]), dtype=v.dtype)
            self.a[k][at : at + len(v)] = v

    def arrays(self, offs: np.ndarray, classes: list[str], lexicon: ValueLexicon | None = None) -> dict:
        keep = offs[:, 1] > offs[:, 0]  # tokens that cover no character carry no decision
        out = {k: v[keep] for k, v in self.a.items()}
        out.update(starts=offs[keep, 0].copy(), ends=offs[keep, 1].copy(), classes=classes, lexicon=lexicon)
        return out


def _pieces(text: str, size: int) -> Iterator[tuple[int, int]]:
    """Cut ``text`` into pieces of about ``size`` characters at whitespace (else punctuation,
    else anywhere), where a BERT-style pre-tokenizer splits anyway."""
    a, n = 0, len(text)
    while a < n:
        b = min(n, a + size)
        if b < n:
            cut = max(text.rfind(c, a + size // 2, b) for c in " \n\t")
            if cut <= a:
                marks = list(re.finditer(r"[^\w\s]", text[a + size // 2 : b]))
                cut = a + size // 2 + marks[-1].start() if marks else b
            b = cut + (1 if cut < b else 0)
        yield a, b
        a = b


def _special_tokens(tokenizer) -> tuple[np.ndarray, np.ndarray]:
    """The ids a tokenizer puts before and after a sequence ([CLS] and [SEP] for BERT)."""
    plain = tokenizer("a", add_special_tokens=False)["input_ids"]
    full = tokenizer("a", add_special_tokens=True)["input_ids"]
    for k in range(len(full) - len(plain) + 1):
        if full[k : k + len(plain)] == plain:
            return np.asarray(full[:k], dtype=np.int64), np.asarray(full[k + len(plain) :], dtype=np.int64)
    return np.asarray([], dtype=np.int64), np.asarray([], dtype=np.int64)


def local_model(model_dir: str | Path, allow_hub: bool = False) -> str:
    """A local model folder (relative to the project root), or the name as a hub id when allowed."""

    local = resolve_path(str(model_dir))
    if local.exists():
        return str(local)
    if allow_hub:
        return str(model_dir)
    raise FileNotFoundError(
        f"no model folder at {local}: train one (`make finetune`), point to a local folder, "
        "or allow a hub id explicitly (allow_hub=True, --allow-hub, PIIMASK_ALLOW_HUB=1)"
    )


def quantize_int8(model):
    """Dynamic int8 quantization of the encoder's Linear layers, weights per output channel
    (activations quantized on the fly); the classifier stays fp32."""
    import torch

    try:
        from torch.ao.quantization import per_channel_dynamic_qconfig, quantize_dynamic
    except ImportError:  # older torch
        from torch.quantization import per_channel_dynamic_qconfig, quantize_dynamic
    layers = {
        name: per_channel_dynamic_qconfig
        for name, mod in model.named_modules()
        if isinstance(mod, torch.nn.Linear) and not name.startswith("classifier")
    }
    return quantize_dynamic(model, layers, dtype=torch.qint8).eval()


FAST_HELP = "ONNX Runtime with int8 weights: about 1.8x faster on CPU (needs piimask[fast])"
_GRAPH = "eager-attention-1"  # bump when the exported graph changes: old exports are made again


def _fingerprint(model_dir: str | Path) -> dict:
    """What an exported file was made from: the weight files' names, sizes and times."""
    files = sorted(Path(model_dir).glob("*.safetensors")) + sorted(Path(model_dir).glob("*.bin"))
    return {f.name: [f.stat().st_size, int(f.stat().st_mtime)] for f in files}


def _export_dir(model_dir: str | Path) -> Path:
    """``<model>/onnx``, or a per-user cache folder when the model folder is read-only (a Lambda's
    /opt/ml/model, a mounted volume)."""
    here = Path(model_dir) / "onnx"
    try:
        here.mkdir(parents=True, exist_ok=True)
        probe = here / ".write-test"
        probe.write_text("")
        probe.unlink()
        return here
    except OSError:
        key = hashlib.sha256(str(Path(model_dir).resolve()).encode()).hexdigest()[:16]
        base = Path(os.environ.get("PIIMASK_CACHE") or Path(tempfile.gettempdir()) / "piimask-onnx")
        out = base / key
        out.mkdir(parents=True, exist_ok=True)
        return out


def _fresh(path: Path, made_from: dict) -> bool:
    """The file exists and its stamp (``<name>.source.json``) says it was made from ``made_from``."""
    stamp = path.with_suffix(".source.json")
    if not (path.exists() and stamp.exists()):
        return False
    try:
        return json.loads(stamp.read_text()) == made_from
    except ValueError:
        return False


def _stamp(path: Path, made_from: dict) -> None:
    path.with_suffix(".source.json").write_text(json.dumps(made_from))


def export_onnx(model, model_dir: str | Path, path: str | Path | None = None) -> Path:
    """Export the token classifier to ONNX (dynamic batch and length); returns the file. Made once
    per set of weights: a model retrained into the same folder is exported again."""
    import torch

    path = Path(path) if path else _export_dir(model_dir) / "model.onnx"
    weights = {**_fingerprint(model_dir), "graph": _GRAPH}
    if _fresh(path, weights):
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    dummy = {"input_ids": torch.ones(2, 16, dtype=torch.long), "attention_mask": torch.ones(2, 16, dtype=torch.long)}
    model = model.float().eval()
    part = path.with_name(f"{path.stem}.{os.getpid()}.part")  # two processes never read a half-written file
    # eager attention: the SDPA graph adds a NaN guard (IsNaN + Where) per layer that costs ~15 % of
    # the int8 run on a CPU; both give the same logits
    before = getattr(model.config, "_attn_implementation", None)
    swap = before not in (None, "eager") and hasattr(model, "set_attn_implementation")
    if swap:
        model.set_attn_implementation("eager")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # tracer notes on shape checks the dynamic axes cover
            torch.onnx.export(
                model,
                (),
                str(part),
                kwargs=dummy,
                input_names=["input_ids", "attention_mask"],
                output_names=["logits"],
                opset_version=17,
                dynamo=False,
                dynamic_axes={
                    "input_ids": {0: "batch", 1: "seq"},
                    "attention_mask": {0: "batch", 1: "seq"},
                    "logits": {0: "batch", 1: "seq"},
                },
            )
    finally:
        if swap:
            model.set_attn_implementation(before)
    os.replace(part, path)
    _stamp(path, weights)
    return path


def quantize_onnx(path: str | Path) -> Path:
    """An int8 copy of an exported model (``model.int8.onnx`` beside it): weights int8 per output
    channel, activations quantized on the fly. Made once per export."""
    try:
        from onnxruntime.quantization import QuantType, quantize_dynamic
    except ImportError as exc:
        raise ImportError("the ONNX path needs onnxruntime: pip install 'piimask[fast]'") from exc
    src = Path(path)
    out = src.with_name(src.stem + ".int8.onnx")
    # the weights the export was made from (its own stamp), else the exported file itself
    src_stamp = src.with_suffix(".source.json")
    made_from = {
        "source": src.name,
        "weights": json.loads(src_stamp.read_text()) if src_stamp.exists() else None,
        "bytes": src.stat().st_size,
    }
    if _fresh(out, made_from):
        return out
    part = out.with_name(f"{out.stem}.{os.getpid()}.part")
    quantize_dynamic(
        str(src),
        str(part),
        weight_type=QuantType.QInt8,
        per_channel=True,
        extra_options={"DefaultTensorType": 1},  # float, where shape inference leaves a type open
    )
    os.replace(part, out)
    _stamp(out, made_from)
    return out


def onnx_session(path: str | Path):
    try:
        import onnxruntime as ort
    except ImportError as exc:
        raise ImportError("the ONNX path needs onnxruntime: pip install 'piimask[fast]'") from exc
    opts = ort.SessionOptions()
    opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    return ort.InferenceSession(str(path), opts, providers=["CPUExecutionProvider"])
