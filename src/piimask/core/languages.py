"""The languages piimask writes texts in, and the ``languages`` parameter that mixes them.

English texts follow the 200k dataset's English rows (``piimask.values``, the grammar in
``data/fragments/``); French, German, Italian and Dutch texts come from fragment banks written in
each language (``data/fragments/<code>/``) and values in each locale's formats
(``piimask.core.locale_values``).

``languages`` is a list whose entries are a code (``fr``, weight 1) or a one-key mapping from a
code to a weight (``{fr: 0.15}``); weights are relative shares of the records.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Language:
    code: str  # ISO 639-1, as records carry it
    name: str  # in English, as LLM prompts name it
    native: str  # the language's own name for itself
    locale: str  # the Faker locale its values come from


LANGUAGES: dict[str, Language] = {
    "en": Language("en", "English", "English", "en_US"),
    "fr": Language("fr", "French", "français", "fr_FR"),
    "de": Language("de", "German", "Deutsch", "de_DE"),
    "it": Language("it", "Italian", "italiano", "it_IT"),
    "nl": Language("nl", "Dutch", "Nederlands", "nl_NL"),
}

# names that datasets write in their ``language`` field, mapped to codes
_ALIASES = {name.lower(): code for code, lang in LANGUAGES.items() for name in (code, lang.name, lang.native)}
_ALIASES.update(
    {
        "eng": "en",
        "fra": "fr",
        "fre": "fr",
        "deu": "de",
        "ger": "de",
        "ita": "it",
        "nld": "nl",
        "dut": "nl",
        "francais": "fr",
    }
)


def language_code(name: Any) -> str | None:
    """``'Dutch'``, ``'nl'``, ``'nl-NL'``, ``'nl_NL'`` -> ``'nl'``; None when not a known language."""
    if not isinstance(name, str) or not name.strip():
        return None
    key = name.strip().lower()
    return _ALIASES.get(key) or _ALIASES.get(key.replace("_", "-").split("-")[0])


def language_problems(entries: Any) -> list[str]:
    """What is wrong with a ``languages`` value (empty: nothing), one message per problem."""
    if not isinstance(entries, list) or not entries:
        return ["must list at least one language: a code such as 'fr', or 'fr: 0.2' for a weight"]
    problems, seen = [], set()
    for entry in entries:
        if isinstance(entry, Mapping) and len(entry) == 1:
            code, weight = next(iter(entry.items()))
        else:
            code, weight = entry, 1
        if not isinstance(code, str):
            problems.append(f"has {entry!r}; an entry is a code such as 'fr' or a mapping such as {{fr: 0.2}}")
        elif code not in LANGUAGES:
            problems.append(
                f"names {code!r}; piimask writes {', '.join(LANGUAGES)}"
                + (f" (did you mean {language_code(code)!r}?)" if language_code(code) else "")
            )
        elif code in seen:
            problems.append(f"names {code!r} twice")
        elif isinstance(weight, bool) or not isinstance(weight, (int, float)) or not weight > 0:
            problems.append(f"gives {code!r} the weight {weight!r}; a weight must be a positive number")
        if isinstance(code, str):
            seen.add(code)
    return problems


def language_weights(entries: Iterable) -> dict[str, float]:
    """``languages`` as ``{code: share}``, shares summing to 1, in the order given."""
    entries = list(entries)
    problems = language_problems(entries)
    if problems:
        raise ValueError(f"languages={entries!r} " + "; ".join(problems))
    raw = {}
    for entry in entries:
        code, weight = next(iter(entry.items())) if isinstance(entry, Mapping) else (entry, 1)
        raw[code] = float(weight)
    total = sum(raw.values())
    return {code: w / total for code, w in raw.items()}


def english_only(entries: Iterable) -> bool:
    """True when ``languages`` asks for English texts only: the run is today's English run."""
    return list(language_weights(entries)) == ["en"]


def apportion(n: int, weights: Mapping[str, float]) -> dict[str, int]:
    """``n`` records shared out by weight (largest remainder; ties in the order given)."""
    exact = {code: n * w for code, w in weights.items()}
    counts = {code: int(x) for code, x in exact.items()}
    order = sorted(weights, key=lambda c: -(exact[c] - counts[c]))
    for code in order[: n - sum(counts.values())]:
        counts[code] += 1
    return counts
