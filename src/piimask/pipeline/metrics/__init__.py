"""Metric modules loadable with ``evaluate.load(path)`` offline."""

from importlib import resources
from pathlib import Path


def seqeval_path() -> str:
    """Path of piimask's seqeval metric module for ``evaluate.load`` (no hub access needed)."""
    return str(Path(str(resources.files("piimask") / "pipeline" / "metrics" / "seqeval_entities.py")))
