"""Which field, style, few-shot example and classes each request asks for."""

from __future__ import annotations

import hashlib
import itertools
import random
from collections import Counter
from dataclasses import dataclass, field

from ...core.taxonomy import LABELS
from .reference import example_classes


@dataclass(frozen=True)
class Plan:
    """One planned request; ``request_id`` is stable for the same run params and index."""

    request_id: str
    index: int
    field: str
    style: str
    example_id: str
    example_target: str
    classes: tuple[str, ...]
    temperature: float
    seed: int
    extra: dict = field(default_factory=dict, hash=False, compare=False)


def _request_id(salt: str, index: int) -> str:
    return hashlib.sha256(f"{salt}:{index}".encode()).hexdigest()[:16]


def plan_requests(
    strategy: str,
    n: int,
    fields: list[str],
    styles: list[str],
    reference: list[dict],
    seed: int,
    salt: str,
    temperature_range: tuple[float, float] = (0.7, 1.0),
    min_class_count: int = 30,
    extra_classes: int = 2,
    expected: dict[str, float] | None = None,
) -> list[Plan]:
    """Plan ``n`` requests.

    - ``random``: a random field x style per request;
    - ``iterate``: every combination in turn, spread evenly (each at least once when n allows);
    - ``balanced``: like random, but each request also asks for the classes furthest below
      ``min_class_count`` so far, so every class reaches the minimum in the run.

    ``expected``: for a backend that writes its own mix of classes (the offline grammar), the
    values of each class one text carries on average; ``balanced`` then counts those instead of
    the few-shot example's classes, and imposes only the classes that fall short.
    """
    if strategy not in ("random", "iterate", "balanced"):
        raise ValueError(f"unknown strategy {strategy!r}: use random, iterate or balanced")
    rng = random.Random(seed)
    combos = list(itertools.product(fields, styles))
    if strategy == "iterate":
        rng.shuffle(combos)
        pairs = [combos[i % len(combos)] for i in range(n)]
    else:
        pairs = [(rng.choice(fields), rng.choice(styles)) for _ in range(n)]
    counts: Counter = Counter()  # float counts where ``expected`` is given
    plans = []
    for i, (f, s) in enumerate(pairs):
        ex = rng.choice(reference)
        classes = example_classes(ex)
        rng.shuffle(classes)
        required: list[str] = []
        if strategy == "balanced":
            below = sorted(
                (c for c in LABELS if counts[c] < min_class_count and c not in classes),
                key=lambda c: (counts[c], rng.random()),
            )
            required = below[:extra_classes]
            classes = required + classes  # first, so short texts still carry them
        if expected is None:
            counts.update(classes)
        else:
            counts.update(required)
            for c, share in expected.items():
                counts[c] += share
        plans.append(
            Plan(
                request_id=_request_id(salt, i),
                index=i,
                field=f,
                style=s,
                example_id=str(ex.get("id", "")),
                example_target=ex.get("target_text", ""),
                classes=tuple(classes),
                temperature=round(rng.uniform(*temperature_range), 3),
                seed=rng.randrange(2**31),
                extra={"required": tuple(required)},
            )
        )
    return plans


def class_counts(plans: list[Plan]) -> Counter:
    return Counter(c for p in plans for c in p.classes)
