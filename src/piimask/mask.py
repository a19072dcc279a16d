"""Mask PII in a prompt before it reaches an LLM, and restore the values in the answer.

``Masker.detect`` merges the fine-tuned model's entities (sliding windows: long texts are never
truncated) with deterministic recognizers for structured secrets. Overlaps are resolved by one
rule (``recognizers.resolve_overlaps``): the longer span wins; on equal length the higher score;
then a rule span over a model span.

Styles of ``mask``:

- ``"[MASKED]"``: every value becomes ``[MASKED]`` (restored in order of appearance);
- ``"[LABEL]"``: ``[EMAIL]``, ``[FIRSTNAME]``... (restored in order, per label);
- ``"[LABEL_n]"``: ``[EMAIL_1]``; the same value gets the same tag everywhere in the text;
- ``"fake"``: a format-preserving fake value of the same class (same value, same fake).

``unmask(answer, mapping)`` puts the original values back, also where the LLM repeated a tag,
re-quoted it, changed its case or escaped its brackets.
"""
from __future__ import annotations

import random
import re
import string
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Sequence

from . import recognizers
from .recognizers import Span, resolve_overlaps
from .taxonomy import CLASSES
from .values import ValueFactory

STYLES = ("[MASKED]", "[LABEL]", "[LABEL_n]", "fake")


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


class Masker:
    """Detect and mask PII with a token-classification model plus deterministic recognizers."""

    def __init__(self, tagger=None, score_threshold: float = 0.3, class_thresholds: dict | None = None,
                 use_recognizers: bool = True, seed: int = 0):
        self.tagger = tagger
        self.score_threshold = score_threshold
        self.class_thresholds = dict(class_thresholds or {})
        self.use_recognizers = use_recognizers
        self.seed = seed

    @classmethod
    def from_pretrained(cls, model: str | Path, window: int = 256, stride: int = 64, batch_size: int = 32,
                        int8: bool = False, **kw) -> "Masker":
        """A Masker over a saved model folder or a hub id (``int8``: the quantized CPU path)."""
        from .predict import TokenTagger

        return cls(TokenTagger(model, window=window, stride=stride, batch_size=batch_size, int8=int8), **kw)

    @classmethod
    def from_params(cls, params, model: str | Path | None = None) -> "Masker":
        return cls.from_pretrained(model or params.model_dir, window=params.window_tokens, stride=params.window_stride,
                                   score_threshold=params.score_threshold, class_thresholds=params.class_thresholds)

    # -- detection ------------------------------------------------------------------------------
    def threshold(self, label: str) -> float:
        return float(self.class_thresholds.get(label, self.score_threshold))

    def _merge(self, text: str, model_entities: list[dict]) -> list[dict]:
        spans = [Span(e["start"], e["end"], e["label"], e["score"], "model") for e in model_entities
                 if e["score"] >= self.threshold(e["label"])]
        if self.use_recognizers:
            spans += recognizers.detect(text)
        spans = [_trim(text, s) for s in spans]
        # a span with no letter or digit ("*", "-") is noise, not a value
        spans = [s for s in spans if any(c.isalnum() for c in text[s.start:s.end])]
        return [s.to_dict() for s in resolve_overlaps(spans)]

    def detect_many(self, texts: Sequence[str]) -> list[list[dict]]:
        """Entities {start, end, label, score, source} for many texts (one batched model pass)."""
        texts = list(texts)
        tagged = self.tagger.tag([t for t in texts if t]) if self.tagger else []
        it = iter(tagged)
        out = []
        for t in texts:
            model_entities = next(it).entities() if (t and self.tagger) else []
            out.append(self._merge(t, model_entities) if t else [])
        return out

    def detect(self, text: str) -> list[dict]:
        return self.detect_many([text])[0]

    # -- masking --------------------------------------------------------------------------------
    def mask(self, text: str, style: str = "[LABEL_n]", entities: list[dict] | None = None) -> MaskResult:
        if style not in STYLES:
            raise ValueError(f"unknown style {style!r}; choose one of {', '.join(STYLES)}")
        entities = self.detect(text) if entities is None else entities
        return mask_with(text, entities, style, seed=self.seed)

    def mask_many(self, texts: Sequence[str], style: str = "[LABEL_n]") -> list[MaskResult]:
        return [mask_with(t, ents, style, seed=self.seed) for t, ents in zip(texts, self.detect_many(texts))]


_EDGE = " \t\r\n'\"`()[]{}<>"


def _trim(text: str, s: Span) -> Span:
    """Drop whitespace, quotes and brackets from a span's edges, and trailing sentence punctuation
    (a quote the model took into an e-mail must stay in the prompt)."""
    a, b = s.start, s.end
    while a < b and text[a] in _EDGE:
        a += 1
    while b > a and (text[b - 1] in _EDGE or (text[b - 1] in ",;:!?" and s.label not in ("PASSWORD", "SECRET"))):
        b -= 1
    return Span(a, b, s.label, s.score, s.source)


def mask_with(text: str, entities: list[dict], style: str = "[LABEL_n]", seed: int = 0) -> MaskResult:
    """Replace each entity span of ``text`` according to ``style``; return the mapping to undo it."""
    ents = sorted(entities, key=lambda e: e["start"])
    out, mapping, cursor = [], [], 0
    numbers: dict[tuple[str, str], str] = {}
    per_label: dict[str, int] = {}
    fakes: dict[str, str] = {}
    faker = _Faker(seed)
    for e in ents:
        value = text[e["start"]:e["end"]]
        label = e["label"]
        if style == "[MASKED]":
            tag = "[MASKED]"
        elif style == "[LABEL]":
            tag = f"[{label}]"
        elif style == "[LABEL_n]":
            key = (label, value)
            if key not in numbers:
                per_label[label] = per_label.get(label, 0) + 1
                numbers[key] = f"[{label}_{per_label[label]}]"
            tag = numbers[key]
        else:
            if value not in fakes:
                fakes[value] = faker.fake_like(value, label, taken=set(fakes.values()) | {value}, text=text)
            tag = fakes[value]
        out.append(text[cursor:e["start"]])
        out.append(tag)
        cursor = e["end"]
        if style in ("[MASKED]", "[LABEL]") or not any(m["tag"] == tag for m in mapping):
            mapping.append({"tag": tag, "value": value, "label": label})
    out.append(text[cursor:])
    return MaskResult("".join(out), ents, mapping, style)


def _tag_pattern(tag: str) -> re.Pattern:
    """A tag as an LLM may echo it: any case, inner spaces, doubled or escaped brackets, or braces."""
    m = re.fullmatch(r"\[([A-Z]+)(?:_(\d+))?\]", tag)
    if not m:
        return re.compile(re.escape(tag))
    name, n = m.group(1), m.group(2)
    inner = re.escape(name) + (rf"[\s_-]*{n}" if n else "")
    return re.compile(rf"(?:\\?\[){{1,2}}\s*{inner}\s*(?:\\?\]){{1,2}}|\{{\{{?\s*{inner}\s*\}}?\}}|<\s*{inner}\s*>", re.I)


def unmask(answer: str, mapping: Sequence[dict]) -> str:
    """Restore original values in an LLM answer.

    Unique tags (``[LABEL_n]``, fake values) are replaced wherever they occur. Shared tags
    (``[MASKED]``, ``[LABEL]``) are replaced in order of appearance; occurrences beyond the
    number of masked values are left as they are.
    """
    by_tag: dict[str, list[str]] = {}
    for m in mapping:
        by_tag.setdefault(m["tag"], []).append(m["value"])
    result = answer
    # longest tags first so "[EMAIL_12]" is not eaten by "[EMAIL_1]"'s pattern and fakes nest safely
    for tag in sorted(by_tag, key=len, reverse=True):
        values = by_tag[tag]
        if tag.startswith("[") and tag.endswith("]"):
            pat = _tag_pattern(tag)
        else:  # a fake value: match it literally
            pat = re.compile(re.escape(tag))
        if len(values) == 1 or len(set(values)) == 1:
            result = pat.sub(lambda _m, v=values[0]: v, result)
        else:
            it = iter(values)
            result = pat.sub(lambda m: next(it, m.group(0)), result)
    return result


class _Faker:
    """Format-preserving fake values: same class, and same shape where the class has no generator."""

    _generated = {"EMAIL", "IPV4", "IPV6", "IP", "MAC", "URL", "FIRSTNAME", "LASTNAME", "MIDDLENAME", "CITY",
                  "STREET", "STATE", "COUNTY", "COMPANYNAME", "JOBTITLE", "JOBAREA", "JOBTYPE", "PREFIX", "IBAN",
                  "CREDITCARDNUMBER", "VEHICLEVIN", "ETHEREUMADDRESS", "BITCOINADDRESS", "LITECOINADDRESS",
                  "USERAGENT", "GENDER", "SEX", "EYECOLOR", "CURRENCY", "CURRENCYNAME", "CURRENCYCODE",
                  "ACCOUNTNAME", "CREDITCARDISSUER", "ORDINALDIRECTION", "USERNAME"}

    def __init__(self, seed: int = 0):
        self.rng = random.Random(seed)
        self.values = ValueFactory(seed=seed)

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

    def fake_like(self, value: str, label: str, taken: set[str], text: str = "") -> str:
        for _ in range(20):
            if label in self._generated and label in CLASSES:
                fake = self.values(label)
                if label == "CREDITCARDNUMBER":
                    fake = fake.replace(" ", "")
            else:
                fake = self._shape(value)
            # a fake must be new, and must not already occur in the text (unmask could not tell them apart)
            if fake not in taken and fake not in text and value not in fake:
                return fake
        return f"[{label}_{len(taken)}]"


# -- the LLM round trip ------------------------------------------------------------------------

def bedrock_llm(model_id: str, region: str = "us-east-1", client=None, max_tokens: int = 800,
                temperature: float = 0.2) -> Callable[[str], str]:
    """A prompt -> answer function over the Bedrock Converse API."""
    if client is None:
        import boto3

        client = boto3.client("bedrock-runtime", region_name=region)

    def call(prompt: str) -> str:
        resp = client.converse(modelId=model_id, messages=[{"role": "user", "content": [{"text": prompt}]}],
                               inferenceConfig={"maxTokens": max_tokens, "temperature": temperature})
        return "".join(p.get("text", "") for p in resp["output"]["message"]["content"])

    return call


def roundtrip(masker: Masker, prompt: str, llm: Callable[[str], str], style: str = "[LABEL_n]") -> dict:
    """Mask the prompt, ask the LLM, restore the values in its answer."""
    masked = masker.mask(prompt, style)
    answer = llm(masked.masked_text)
    return {"prompt": prompt, "masked_prompt": masked.masked_text, "entities": masked.entities,
            "answer": answer, "restored_answer": unmask(answer, masked.mapping), "mapping": masked.mapping}


def echo_llm(prompt: str) -> str:
    """An offline stand-in for an LLM: answers by quoting the prompt back (tags included)."""
    return "Here is your text with the typo fixed:\n" + prompt.replace("cursorr()", "cursor()")
