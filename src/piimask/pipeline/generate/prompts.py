"""System and user prompts from the templates in package data (data/prompts.yaml)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

import yaml

from ...core.languages import LANGUAGES


@lru_cache(maxsize=1)
def templates() -> dict:
    return yaml.safe_load((resources.files("piimask") / "data" / "prompts.yaml").read_text())


@dataclass(frozen=True)
class Prompt:
    system: str
    user: str

    @property
    def hash(self) -> str:
        return hashlib.sha256((self.system + "\x00" + self.user).encode()).hexdigest()[:16]


def build_prompt(
    field: str,
    style: str,
    example_target: str,
    classes: list[str],
    min_chars: int = 50,
    max_chars: int = 420,
    language: str = "en",
) -> Prompt:
    """The prompt for one request: topic, style, the class list and one few-shot example; a text
    in another language than English is asked for in that language (the example is in it too)."""
    t = templates()
    values = {
        "field": field,
        "style": style,
        "style_article": "an" if style[:1].lower() in "aeiou" else "a",
        "classes": ", ".join(f"[{c}]" for c in classes),
        "example": example_target.strip(),
        "min_chars": min_chars,
        "max_chars": max_chars,
        "language_rule": "",
        "language_hint": "",
    }
    if language != "en":
        if language not in LANGUAGES:
            raise ValueError(f"no prompt for language {language!r}; piimask writes {', '.join(LANGUAGES)}")
        names = {"language": LANGUAGES[language].name, "native": LANGUAGES[language].native}
        values["language_rule"] = t["language_rule"].format(**names)
        values["language_hint"] = t["language_hint"].format(**names)
    return Prompt(t["system"].format(**values).strip(), t["user"].format(**values).strip())
