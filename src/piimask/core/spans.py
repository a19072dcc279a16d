"""One span type for every floor: a labelled character range of a text, end exclusive.

The recognizers, the Masker and the evaluation all speak ``Span``; records keep their spans as
dicts (the 200k schema's ``privacy_mask``), read with ``Span.from_dict``. ``STYLES`` are the ways a
masked span can be written back into the text.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import NamedTuple

STYLES = ("[MASKED]", "[LABEL]", "[LABEL_n]", "fake")


class Span(NamedTuple):
    start: int
    end: int
    label: str
    score: float = 1.0
    source: str = "rule"  # "rule", "model", "repeat", "gold"

    def overlaps(self, other: Span | tuple[int, int]) -> bool:
        """Whether the two ranges share a character (labels aside)."""
        return self.start < other[1] and other[0] < self.end

    def iou(self, other: Span | tuple[int, int]) -> float:
        """Characters shared over characters covered by either (0 when disjoint)."""
        inter = min(self.end, other[1]) - max(self.start, other[0])
        if inter <= 0:
            return 0.0
        return inter / (max(self.end, other[1]) - min(self.start, other[0]))

    def to_dict(self) -> dict:
        return {"start": self.start, "end": self.end, "label": self.label, "score": self.score, "source": self.source}

    @classmethod
    def from_dict(cls, d: dict, source: str = "gold") -> Span:
        return cls(int(d["start"]), int(d["end"]), str(d["label"]), float(d.get("score", 1.0)), d.get("source", source))


def spans_of(entities: Iterable[dict], source: str = "gold") -> list[Span]:
    """Spans of a ``privacy_mask``-style list of dicts."""
    return [Span.from_dict(e, source) for e in entities]
