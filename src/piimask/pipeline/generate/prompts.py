"""System and user prompts from the templates in package data (data/prompts.yaml)."""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

import yaml


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


def build_prompt(field: str, style: str, example_target: str, classes: list[str],
                 min_chars: int = 50, max_chars: int = 420) -> Prompt:
    """The prompt for one request: topic, style, the class list and one few-shot example."""
    t = templates()
    values = {
        "field": field, "style": style, "style_article": "an" if style[:1].lower() in "aeiou" else "a",
        "classes": ", ".join(f"[{c}]" for c in classes), "example": example_target.strip(),
        "min_chars": min_chars, "max_chars": max_chars,
    }
    return Prompt(t["system"].format(**values).strip(), t["user"].format(**values).strip())
