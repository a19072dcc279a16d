"""Texts beyond English: the offline grammar over French, German, Italian and Dutch fragment banks,
and plans that share a run's records out among its ``languages``.

Each language has its own bank (package data ``data/fragments/<code>/``: openings, bodies,
closings and field vocabulary, written in that language, with the same placeholders and the
same headers as the English bank). ``LanguageGrammar`` composes texts from it exactly as the
English ``Grammar`` does (families, values per text), with the language's own class shares,
connectives and punctuation: French puts a space, often a non-breaking one, before ``: ; ! ?``;
German and Dutch connectives end in a colon, so that no inversion is needed and the next word
keeps its capital.

English records are not made here: an English text of a mixed run comes from ``OfflineBackend``
exactly as in an English-only run, and an English-only run does not use this module at all.
``template_id`` of a text in another language is ``<code>-fNN/<fragment ids>``, so its split
group (``<code>-fNN``) is one family of one language.
"""

from __future__ import annotations

import dataclasses
import hashlib
import random
import re
import time
from functools import lru_cache
from importlib import resources

import yaml

from ...core.languages import LANGUAGES, apportion, language_weights
from ...core.locale_values import LocaleValueFactory
from .backends import Request, Result
from .offline import (
    DIGEST_SEED,
    DIGEST_TEXTS,
    DIGEST_VALUES,
    ENTITY_COUNTS,
    MAX_ENTITIES,
    MAX_TEXT_CHARS,
    N_FAMILIES,
    NAME_SHARES,
    OPENING_RATE,
    Grammar,
    OfflineBackend,
    _parse_bank,
    bank_digest,
    bank_stats,
    class_shares,
)

BANK_FILES = {"opening": "openings.txt", "body": "bodies.txt", "closing": "closings.txt"}

# (connective, whether the next word keeps its case)
CONNECTIVES: dict[str, list[tuple[str, bool]]] = {
    "fr": [
        ("Par ailleurs, ", False),
        ("De plus, ", False),
        ("À noter : ", False),
        ("Pour info : ", False),
        ("Autre point : ", False),
        ("Au passage, ", False),
        ("P.-S. : ", False),
        ("En outre, ", False),
        ("Petite précision : ", False),
        ("Mise à jour : ", False),
        ("Rappel : ", False),
        ("Enfin, ", False),
        ("Pour rappel, ", False),
        ("Sinon, ", False),
    ],
    "de": [
        ("Übrigens: ", True),
        ("Zur Info: ", True),
        ("Hinweis: ", True),
        ("Nachtrag: ", True),
        ("Wichtig: ", True),
        ("Kurzer Hinweis: ", True),
        ("Noch etwas: ", True),
        ("PS: ", True),
        ("Ergänzend: ", True),
        ("Zur Erinnerung: ", True),
        ("Update: ", True),
        ("Außerdem gilt: ", True),
        ("Nebenbei: ", True),
    ],
    "it": [
        ("Inoltre, ", False),
        ("Tra l'altro, ", False),
        ("Nota: ", False),
        ("Per info: ", False),
        ("Ricordo che ", False),
        ("P.S. ", True),
        ("A proposito, ", False),
        ("Aggiornamento: ", False),
        ("Infine, ", False),
        ("Da segnalare: ", False),
        ("Ah, e ", False),
        ("Un'ultima cosa: ", False),
    ],
    "nl": [
        ("Overigens: ", False),
        ("Let op: ", False),
        ("Ter info: ", False),
        ("Nog iets: ", False),
        ("PS: ", False),
        ("Update: ", False),
        ("Ter herinnering: ", False),
        ("Tussen haakjes: ", False),
        ("Belangrijk: ", False),
        ("Aanvulling: ", False),
        ("Verder nog: ", False),
        ("Trouwens: ", False),
    ],
}


def _check_language(language: str) -> None:
    if language not in CONNECTIVES:
        raise ValueError(
            f"no fragment bank for language {language!r}; piimask has banks for en (the default "
            f"grammar) and {', '.join(CONNECTIVES)}"
        )


def _bank_dir(language: str):
    return resources.files("piimask") / "data" / "fragments" / language


@lru_cache(maxsize=8)
def language_bank(language: str) -> dict:
    """The fragment bank of ``language``: lists of fragments by kind, and the field vocabulary."""
    _check_language(language)
    base = _bank_dir(language)
    out = {kind: _parse_bank((base / name).read_text(encoding="utf-8"), kind) for kind, name in BANK_FILES.items()}
    out["vocab"] = yaml.safe_load((base / "fields.yaml").read_text(encoding="utf-8"))
    return out


@lru_cache(maxsize=8)
def language_digest(language: str) -> str:
    """A short hash of what a language's grammar writes and its values fill in (its bank, then a
    fixed sample of texts and values), as ``bank_digest`` hashes the English ones: texts change
    when either changes, and so do request ids; a refactor that writes the same texts keeps it."""
    from ...core.taxonomy import CLASSES

    _check_language(language)
    h = hashlib.sha256()
    for name in (*BANK_FILES.values(), "fields.yaml"):
        h.update((_bank_dir(language) / name).read_bytes())
    grammar, rng = LanguageGrammar(language), random.Random(DIGEST_SEED)
    fields = sorted(k for k in language_bank(language)["vocab"] if not k.startswith("_")) + [""]
    styles, classes = sorted(OPENING_RATE), sorted(CLASSES)
    for i in range(DIGEST_TEXTS):
        required = [classes[(7 * i + k) % len(classes)] for k in range(i % 3)]
        text, template = grammar.compose(fields[i % len(fields)], styles[i % len(styles)], required, rng)
        h.update(f"{template}\x00{text}\x00".encode())
    make = LocaleValueFactory(language, seed=DIGEST_SEED)
    for _ in range(DIGEST_VALUES):
        for c in classes:
            h.update(f"{c}={make(c)}\x00".encode())
    return h.hexdigest()[:10]


def language_bank_stats(language: str) -> dict:
    return bank_stats(language_bank(language))


_FIRST_LAST = re.compile(r"\[FIRSTNAME\] \[LASTNAME\]")
_PREFIX_NAME = re.compile(r"\[PREFIX\] \[FIRSTNAME\]( \[LASTNAME\])?")


TITLE_SURNAME_ONLY, TITLE_THEN_SURNAME, FULL_NAME_WITH_MIDDLE = 0.4, 0.55, 0.15
NBSP_RATE = 0.4  # French texts whose spaces before : ; ! ? are non-breaking


def language_name_habits(text: str, rng: random.Random) -> str:
    """The English grammar's name habits that hold in every language: a title is followed by a
    surname more often than by a given name, and a full name now and then has a middle name. (A
    given name standing alone stays a given name: middle names here are the locale's given names,
    so the value cannot tell them apart.)"""

    def title(m: re.Match) -> str:
        r = rng.random()
        if m.group(1):
            return "[PREFIX] [LASTNAME]" if r < TITLE_SURNAME_ONLY else m.group(0)
        return "[PREFIX] [LASTNAME]" if r < TITLE_THEN_SURNAME else m.group(0)

    text = _PREFIX_NAME.sub(title, text)
    return _FIRST_LAST.sub(
        lambda m: "[FIRSTNAME] [MIDDLENAME] [LASTNAME]" if rng.random() < FULL_NAME_WITH_MIDDLE else m.group(0), text
    )


_PLAIN_WORD = re.compile(r"[^\W\d_][^\W\d_A-Z]*\b(?![.'’-])")  # a capitalised word, not an abbreviation
_FR_SPACED = re.compile(r" ([:;!?])")


def punctuation_habits(language: str, text: str, rng: random.Random) -> str:
    """French sets a space before ``: ; ! ?``: in many texts a non-breaking one (U+00A0 before a
    colon, the narrow U+202F before the others), as word processors and careful writers do."""
    if language == "fr" and rng.random() < NBSP_RATE:
        return _FR_SPACED.sub(lambda m: ("\u00a0" if m.group(1) == ":" else "\u202f") + m.group(1), text)
    return text


# The classes the real Dutch, French and German rows hold besides names: times, user names,
# e-mails, ID numbers, addresses, phone numbers, dates, sexes, passwords and IP addresses make up
# four in five of their values (statistics over ../shared/realdata: class shares, no value or
# sentence; README, "Beyond English"), where the English grammar gives each of its 52 other classes
# an even share. A text in another language leans towards them: LEAN times the even share, taken
# from the classes those rows never hold (payment, crypto, vehicle and job fields keep a share).
LEANING_CLASSES = frozenset(
    "TIME USERNAME EMAIL SSN PHONENUMBER DATE DOB SEX PASSWORD IPV4 IPV6 "
    "STREET BUILDINGNUMBER SECONDARYADDRESS ZIPCODE CITY STATE".split()
)
LEAN = 3.0


def language_class_shares() -> dict[str, float]:
    """The share of all values each class should have in a corpus of another language than
    English: names as in English, ``LEANING_CLASSES`` ``LEAN`` times the even share of the rest."""
    base = class_shares()
    weight = {c: s * (LEAN if c in LEANING_CLASSES else 1.0) for c, s in base.items() if c not in NAME_SHARES}
    scale = (1.0 - sum(NAME_SHARES.values())) / sum(weight.values())
    return {c: base[c] if c in NAME_SHARES else weight[c] * scale for c in base}


@lru_cache(maxsize=16)
def _language_calibration(language: str, max_chars: int, max_entities: int) -> tuple[tuple[float, ...], tuple]:
    g = LanguageGrammar(language, max_chars, max_entities, calibrate=False)
    g._calibrate()
    return tuple(g.lead_weights), tuple(g.damping.items())


class LanguageGrammar(Grammar):
    """``Grammar`` over the bank of ``language`` (fr, de, it, nl): the same composition, calibrated
    towards the class shares of another language (``language_class_shares``), with the language's
    own connectives and punctuation."""

    def __init__(
        self, language: str, max_chars: int = MAX_TEXT_CHARS, max_entities: int = MAX_ENTITIES, calibrate: bool = True
    ):
        _check_language(language)
        self.language = language
        self._index(language_bank(language), max_chars, max_entities)
        self.targets = language_class_shares()
        self.lead_weights = [self.targets[c] for c in self.classes]
        if calibrate:
            weights, damping = _language_calibration(language, max_chars, max_entities)
            self.lead_weights, self.damping = list(weights), dict(damping)

    # ``Grammar.compose`` with the language's choices of family, connective, habits and template id
    def _families(self, wanted: list[str]) -> list[int]:
        """A bank of a few hundred sentences has a class in a few families only: the families
        that lead with most of the wanted classes (English: the first one's)."""
        if not wanted:
            return []
        score = [sum(bool(self.by_family[f]["lead"].get(c)) for c in wanted) for f in range(N_FAMILIES)]
        return [f for f in range(N_FAMILIES) if score[f] and score[f] == max(score)]

    def _connect(self, sentence: str, rng: random.Random) -> str:
        word, keep_case = rng.choice(CONNECTIVES[self.language])
        if not keep_case and _PLAIN_WORD.match(sentence):  # not "[EMAIL]", "C.F.:", "BIC:", "IBAN"
            sentence = sentence[0].lower() + sentence[1:]
        return word + sentence

    def _finish(self, text: str, rng: random.Random) -> str:
        return punctuation_habits(self.language, language_name_habits(text, rng), rng)

    def _template_id(self, family: int, parts: list) -> str:
        return f"{self.language}-f{family:02d}/" + "+".join(p.fid for p in parts)


class MultilingualOfflineBackend(OfflineBackend):
    """The offline backend of a run in several languages: a request's ``language`` (metadata)
    picks the grammar; English requests are answered exactly as ``OfflineBackend`` answers them."""

    def __init__(
        self, languages: list[str], max_chars: int = MAX_TEXT_CHARS, max_tries: int = 8, record_share: float = 0.0
    ):
        super().__init__(max_chars=max_chars, max_tries=max_tries, record_share=record_share)
        self.grammars = {code: LanguageGrammar(code, max_chars=max_chars) for code in languages if code != "en"}
        self.model_id = (
            "piimask-grammar-"
            + "-".join(bank_digest() if code == "en" else f"{code}{language_digest(code)}" for code in languages)
            + self._records_id()
        )

    def complete(self, request: Request) -> Result:
        language = request.metadata.get("language", "en")
        if language == "en":
            return super().complete(request)
        if language not in self.grammars:
            raise ValueError(
                f"request {request.request_id} asks for language {language!r}, which this backend "
                f"was not built for ({', '.join(self.grammars) or 'English only'})"
            )
        t0 = time.perf_counter()
        md = request.metadata
        rng = random.Random(md.get("seed", 0))
        compose = self._composer(language, self.grammars[language], md, rng)
        for _ in range(self.max_tries):
            text, template_id = compose()
            if text not in self._seen:
                break
        self._seen.add(text)
        return Result(
            request.request_id, text=text, latency_s=time.perf_counter() - t0, metadata={"template_id": template_id}
        )


# -- plans --------------------------------------------------------------------------------------


def reference_for(params, language: str) -> list[dict]:
    """Few-shot examples in ``language``: the configured reference dataset's rows in it, else the
    package's seed examples in it (the 200k dataset has no Dutch rows, for instance)."""
    from .reference import load_reference

    try:
        return load_reference(params.reference_dataset, language, params.reference_split)
    except ValueError:
        if params.reference_dataset == "package":
            raise
        return load_reference("package", language)


def language_seed(seed: int, language: str) -> int:
    """The planning seed of one language's share of a run (string seeding: independent of the hash seed)."""
    return random.Random(f"{seed}:{language}").randrange(2**31)


def plan_languages(params, salt: str) -> list:
    """Plans for a run in several languages: ``n_records`` shared out by weight, each language
    planned on its own (its own few-shot examples, seed and request-id salt ``<salt>:<code>``, so
    changing one language's share keeps the other languages' records), language by language in
    the order given."""
    from .strategies import plan_requests

    per_text = sum(k * w for k, w in ENTITY_COUNTS.items())
    plans = []
    for code, n in apportion(params.n_records, language_weights(params.languages)).items():
        if not n:
            continue
        expected = None  # the offline grammar writes its language's class mix by itself
        if params.backend == "offline":
            shares = class_shares() if code == "en" else language_class_shares()
            expected = {c: share * per_text for c, share in shares.items()}
        for p in plan_requests(
            params.strategy,
            n,
            params.fields,
            params.styles,
            reference_for(params, code),
            seed=language_seed(params.seed, code),
            salt=f"{salt}:{code}",
            temperature_range=(params.temperature_min, params.temperature_max),
            min_class_count=params.min_class_count,
            extra_classes=params.extra_classes,
            expected=expected,
        ):
            plans.append(dataclasses.replace(p, extra={**p.extra, "language": code}))
    return plans


def language_of(plan) -> str | None:
    """The language a plan asks for; None for the plans of an English-only run."""
    return plan.extra.get("language")


__all__ = [
    "LANGUAGES",
    "LanguageGrammar",
    "MultilingualOfflineBackend",
    "language_bank",
    "language_bank_stats",
    "language_digest",
    "language_name_habits",
    "plan_languages",
    "punctuation_habits",
    "reference_for",
]
