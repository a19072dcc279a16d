"""The offline backend: masked texts composed from piimask's own grammar of fragments.

The bank (package data ``data/fragments/``) has openings and closings per interaction style and
body sentences per PII class, written in the register of the 200k dataset, with ``{slot}``s for
field vocabulary (``{topic}``, ``{event}``, ``{org}``, ``{doc}``) and ``{a|b|c}`` alternations.

Every fragment belongs to one of ``N_FAMILIES`` families (the fragments under each header are
dealt to the families in turn, so each family has every class), and one text is composed from a
single family. ``template_id`` is ``fNN/<fragment ids>``: the splits group by
family, so no fragment of a test text was ever seen in training.
"""
from __future__ import annotations

import hashlib
import random
import re
import time
from collections import defaultdict
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

import yaml

from ..fill import find_placeholders
from .backends import Backend, Request, Result

N_FAMILIES = 20
_ALT = re.compile(r"\{([^{}]*\|[^{}]*)\}")
_SLOT = re.compile(r"\{(topic|event|org|doc|person)\}")
OPENING_RATE = {"email": 0.85, "notification": 0.45, "casual conversation": 0.55, "formal document": 0.4,
                "social media post": 0.35, "review": 0.2, "blog post": 0.25, "academic paper": 0.1,
                "presentation": 0.3}
CONNECTIVES = ["Also, ", "In addition, ", "By the way, ", "Note: ", "Please note: ", "Meanwhile, ",
               "As a reminder, ", "FYI: ", "One more thing: ", "Separately, ", "P.S. ", "Update: ",
               "Additionally, ", "On another note, ", "Just so you know, "]
CLOSING_RATE = {"email": 0.6, "notification": 0.35, "casual conversation": 0.3, "formal document": 0.35,
                "social media post": 0.35, "review": 0.25, "blog post": 0.3, "academic paper": 0.15,
                "presentation": 0.3}


@dataclass(frozen=True)
class Fragment:
    fid: str
    kind: str  # opening, body, closing
    key: str  # style for openings/closings, main class for bodies
    text: str
    classes: tuple[str, ...]
    family: int  # the split unit: fragments of a key are dealt to families in turn


def _parse_bank(text: str, kind: str) -> list[Fragment]:
    frags, key = [], None
    dealt: dict[str, int] = defaultdict(int)  # per key: how many fragments were dealt so far
    for line in text.splitlines():
        line = line.rstrip()
        if not line or line.startswith("#") and not line.startswith("## "):
            continue
        if line.startswith("## "):
            key = line[3:].strip()
            continue
        if key is None:
            raise ValueError(f"fragment before any '## ' header in the {kind} bank: {line!r}")
        digest = hashlib.sha1(f"{kind}:{line}".encode()).hexdigest()[:6]
        classes = tuple(h.label for h in find_placeholders(line) if h.known)
        unknown = [h.raw for h in find_placeholders(line) if not h.known]
        if unknown:
            raise ValueError(f"fragment uses unknown placeholder(s) {unknown}: {line!r}")
        # dealing each key's fragments round the families puts every class (with at least
        # N_FAMILIES fragments) in every family, so every split holds every class
        offset = int(hashlib.sha1(f"{kind}:{key}".encode()).hexdigest()[:6], 16)
        family = (offset + dealt[key]) % N_FAMILIES
        dealt[key] += 1
        frags.append(Fragment(kind[0] + digest, kind, key, line, classes, family))
    return frags


@lru_cache(maxsize=1)
def bank() -> dict:
    """The fragment bank: lists of fragments by kind, and the field vocabulary."""
    base = resources.files("piimask") / "data" / "fragments"
    files = {"opening": "openings.txt", "body": "bodies.txt", "closing": "closings.txt"}
    out = {kind: _parse_bank((base / name).read_text(), kind) for kind, name in files.items()}
    out["vocab"] = yaml.safe_load((base / "fields.yaml").read_text())
    return out


@lru_cache(maxsize=1)
def bank_digest() -> str:
    """A short hash of the fragment bank: texts change when it changes, and so do request ids."""
    base = resources.files("piimask") / "data" / "fragments"
    h = hashlib.sha256()
    for name in ("openings.txt", "bodies.txt", "closings.txt", "fields.yaml"):
        h.update((base / name).read_bytes())
    return h.hexdigest()[:10]


def bank_stats() -> dict:
    b = bank()
    per_class = defaultdict(int)
    for f in b["body"]:
        for c in set(f.classes):
            per_class[c] += 1
    return {"openings": len(b["opening"]), "bodies": len(b["body"]), "closings": len(b["closing"]),
            "bodies_per_class": dict(sorted(per_class.items()))}


class Grammar:
    """Composes masked texts; ``compose`` is a pure function of its arguments and ``rng``."""

    def __init__(self, max_chars: int = 420, max_entities: int = 10):
        b = bank()
        self.vocab = b["vocab"]
        self.max_chars, self.max_entities = max_chars, max_entities
        self.by_family: dict[int, dict] = defaultdict(lambda: {"opening": defaultdict(list), "closing": defaultdict(list),
                                                               "body": defaultdict(list), "all_bodies": []})
        for kind in ("opening", "closing"):
            for f in b[kind]:
                self.by_family[f.family][kind][f.key].append(f)
        for f in b["body"]:
            fam = self.by_family[f.family]
            fam["all_bodies"].append(f)
            for c in dict.fromkeys(f.classes):  # not set(): its order varies with PYTHONHASHSEED
                fam["body"][c].append(f)

    def _realise(self, text: str, field: str, rng: random.Random) -> str:
        vocab = self.vocab.get(field) or self.vocab["_default"]
        text = _ALT.sub(lambda m: rng.choice(m.group(1).split("|")), text)
        return _SLOT.sub(lambda m: rng.choice(vocab.get(m.group(1)) or self.vocab["_default"][m.group(1)]), text)

    def _pick_frame(self, fam: dict, kind: str, style: str, rng: random.Random):
        pool = fam[kind].get(style, []) + fam[kind].get("*", [])
        return rng.choice(pool) if pool else None

    def compose(self, field: str, style: str, classes: list[str], rng: random.Random) -> tuple[str, str]:
        """(masked text, template_id) for a text on ``field`` in ``style`` that uses ``classes`` first."""
        wanted = list(classes)  # in the plan's order: under-represented classes come first
        having = [f for f in range(N_FAMILIES) if wanted and self.by_family[f]["body"].get(wanted[0])]
        family = rng.choice(having) if having else rng.randrange(N_FAMILIES)
        fam = self.by_family[family]
        n_bodies = rng.choice((1, 2, 2, 2, 2, 3, 3))
        chosen: list[Fragment] = []
        for k in range(n_bodies):
            pool = []
            while wanted and not pool:
                pool = [f for f in fam["body"].get(wanted.pop(0), []) if f not in chosen]
            if not pool:  # a class at random (uniform over classes), then one of its fragments
                present = [c for c, fs in fam["body"].items() if fs]
                pool = [f for f in fam["body"][rng.choice(present)] if f not in chosen] or fam["all_bodies"]
            chosen.append(rng.choice(pool))
        # the dataset's texts carry 2-10 values: grow short texts with another sentence
        while (sum(len(f.classes) for f in chosen) < 2 or sum(len(f.text) for f in chosen) < 60) and len(chosen) < 4:
            extra = [f for f in fam["all_bodies"] if f not in chosen]
            if not extra:
                break
            chosen.append(rng.choice(extra))
        n_bodies = len(chosen)
        # a lone body sentence is often repeated across a large run: give it a frame
        frame_boost = 0.5 if n_bodies == 1 else 0.0
        opening = (self._pick_frame(fam, "opening", style, rng)
                   if rng.random() < OPENING_RATE.get(style, 0.4) + frame_boost else None)
        closing = (self._pick_frame(fam, "closing", style, rng)
                   if rng.random() < CLOSING_RATE.get(style, 0.3) + frame_boost else None)
        parts = [f for f in (opening, *chosen, closing) if f is not None]

        def estimate(ps):  # placeholders grow when filled: count each as ~12 characters
            text = " ".join(p.text for p in ps)
            return len(text) + 4 * sum(len(p.classes) for p in ps), sum(len(p.classes) for p in ps)

        while len(parts) > 1 and (estimate(parts)[0] > self.max_chars or estimate(parts)[1] > self.max_entities):
            drop = closing if closing in parts else (opening if opening in parts and len(chosen) else parts[-1])
            parts.remove(drop)
        sep_after_opening = "\n" if style in ("email", "formal document") and rng.random() < 0.3 else " "
        pieces = []
        for i, p in enumerate(parts):
            sentence = self._realise(p.text, field, rng)
            if p in chosen and i > 0 and parts[i - 1] in chosen and rng.random() < 0.3:
                sentence = rng.choice(CONNECTIVES) + sentence[0].lower() + sentence[1:] \
                    if not sentence.startswith("[") else rng.choice(CONNECTIVES) + sentence
            pieces.append(sentence)
            pieces.append(sep_after_opening if p is opening else " ")
        text = "".join(pieces).strip()
        return text, f"f{family:02d}/" + "+".join(p.fid for p in parts)


class OfflineBackend(Backend):
    """No network, no cost: answers each request from the grammar, seeded by the request."""

    name = "offline"
    concurrency = 1

    def __init__(self, max_chars: int = 420, max_tries: int = 8):
        self.grammar = Grammar(max_chars=max_chars)
        self.model_id = f"piimask-grammar-{bank_digest()}"
        self.max_tries = max_tries
        self._seen: set[str] = set()

    def prime(self, texts) -> None:
        """Masked texts already produced in this run (on resume), so they are not produced again."""
        self._seen.update(texts)

    def complete(self, request: Request) -> Result:
        t0 = time.perf_counter()
        md = request.metadata
        rng = random.Random(md.get("seed", 0))
        for _ in range(self.max_tries):  # same seed, same sequence of tries: still reproducible
            text, template_id = self.grammar.compose(md.get("field", ""), md.get("style", ""),
                                                     list(md.get("classes", ())), rng)
            if text not in self._seen:
                break
        self._seen.add(text)
        return Result(request.request_id, text=text, latency_s=time.perf_counter() - t0,
                      metadata={"template_id": template_id})
