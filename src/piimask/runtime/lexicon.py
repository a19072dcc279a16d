"""The value lexicon: look-alike classes told apart by the value itself.

Some of the 200k schema's look-alikes are decided by *which list the value comes from*, not by its
context: a middle name is drawn from a pool of unisex given names and a first name from another
list, a job area ("Solutions") and a job type ("Supervisor") from two short lists, a county and a
state from theirs. The generator follows those conventions (``piimask.core.values``), but a small
uncased model cannot remember which of 7,000 names belongs to which pool: on the real 200k rows
"Dr. Rowan" comes out LASTNAME and "Hi Victoria" MIDDLENAME.

``build_lexicon`` samples the run's own value factories (never any reference row) and keeps, per
look-alike group, the values that one class of the group draws almost always; at inference
``ValueLexicon.relabel`` gives an entity the model labelled with one class of a group the class its
value belongs to. Only the label changes, never a span or the PII decision, and only within a group.
Values that several classes share (currency names, dates, IP addresses) stay the model's call.
Training writes the lexicon beside the model (``value_lexicon.json``); ``TokenTagger`` reads it.
"""

from __future__ import annotations

import json
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
DRAWS = 30_000  # values drawn per class and factory
MIN_COUNT = 2  # a value drawn fewer times says too little about its pool
MIN_SHARE = 0.95  # the share of a value's draws (within its group) that one class must hold


class ValueLexicon:
    """Per look-alike group, the class each known value belongs to."""

    def __init__(self, groups: Sequence[Sequence[str]], values: Sequence[Mapping[str, str]], info: dict | None = None):
        if len(groups) != len(values):
            raise ValueError(f"value lexicon: {len(groups)} groups but {len(values)} value tables")
        self.groups = [tuple(g) for g in groups]
        self.values = [dict(v) for v in values]
        self.info = dict(info or {})
        self._group_of = {c: i for i, g in enumerate(self.groups) for c in g}

    def __len__(self) -> int:
        return sum(len(v) for v in self.values)

    def label(self, value: str, label: str) -> str:
        """The class ``value`` belongs to if ``label`` is in a look-alike group and the lexicon
        knows the value in that group; otherwise ``label`` itself."""
        g = self._group_of.get(label)
        if g is None:
            return label
        return self.values[g].get(value.strip(), label)

    def relabel(
        self,
        text: str,
        starts: np.ndarray,
        ends: np.ndarray,
        cls: np.ndarray,
        begin: np.ndarray,
        classes: Sequence[str],
    ):
        """Token arrays with each entity relabelled by its value (spans unchanged: the first token
        of every entity is marked as a beginning, so two neighbours never merge)."""
        index = {name: k for k, name in enumerate(classes)}
        grouped = np.zeros(len(classes), dtype=bool)
        for k, name in enumerate(classes):
            grouped[k] = name in self._group_of
        if not len(cls) or not grouped[cls].any():
            return cls, begin
        prev = np.concatenate([[0], cls[:-1]])
        first = np.flatnonzero((cls != 0) & (begin | (prev != cls)))
        bounds = np.append(first, len(cls))
        cls, begin = cls.copy(), begin.copy()
        begin[first] = True
        for a, b in zip(bounds[:-1].tolist(), bounds[1:].tolist()):
            k = int(cls[a])
            if not grouped[k]:
                continue
            last = a
            while last + 1 < b and cls[last + 1] == k:
                last += 1
            new = self.label(text[int(starts[a]) : int(ends[last])], classes[k])
            if new != classes[k] and new in index:
                cls[a : last + 1] = index[new]
        return cls, begin

    # -- files ----------------------------------------------------------------------------------
    def to_dict(self) -> dict:
        return {"groups": [list(g) for g in self.groups], "values": self.values, "info": self.info}

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
            return cls(d["groups"], d["values"], d.get("info"))
        except (ValueError, KeyError, TypeError) as e:
            raise ValueError(f"{path} is not a piimask value lexicon ({e}); delete it or train again") from e


def build_lexicon(
    factories: Iterable,
    groups: Sequence[Sequence[str]] = LOOKALIKE_GROUPS,
    draws: int = DRAWS,
    min_count: int = MIN_COUNT,
    min_share: float = MIN_SHARE,
) -> ValueLexicon:
    """Sample each factory ``draws`` times per class of each group; keep a value for a group when
    it was drawn at least ``min_count`` times and one class holds ``min_share`` of those draws."""
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
    info = {"draws": draws, "min_count": min_count, "min_share": min_share, "factories": len(factories)}
    return ValueLexicon(groups, tables, info)


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
    """Build the lexicon of a run's value factories and save it in ``model_dir``."""
    return build_lexicon(run_factories(params)).save(Path(model_dir) / LEXICON_FILE)
