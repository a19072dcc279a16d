"""Progress that reads well wherever a stage runs.

In a terminal a stage draws a tqdm bar. In a notebook kernel (JupyterLab, or papermill under
``make all``) a bar is noise: papermill records every redraw as stderr, and a report used to open
with hundreds of lines of bar text. There a stage prints a few plain lines to stdout instead (one
per tenth of the work), which the HTML report keeps short and ``make all`` streams to the terminal
as they come.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from typing import TextIO


def in_kernel() -> bool:
    """Whether this process is a Jupyter kernel (a notebook, or papermill running one)."""
    ipython = sys.modules.get("IPython")
    shell = ipython.get_ipython() if ipython is not None else None
    return type(shell).__name__ == "ZMQInteractiveShell"


class Lines:
    """A tqdm stand-in that prints one line per ``every`` of the total (and one at the end).

    Supports what piimask's stages use of tqdm: ``update``, setting ``n`` then ``refresh``,
    ``set_postfix_str`` and ``close``.
    """

    def __init__(
        self,
        total: int,
        desc: str,
        unit: str = "it",
        every: float = 0.1,
        stream: TextIO | None = None,
        clock: Callable[[], float] = time.monotonic,
    ):
        self.total, self.desc, self.unit, self.every = int(total or 0), desc, unit, every
        self.stream, self.clock = stream, clock
        self.n, self.postfix, self.closed = 0, "", False
        self._printed = 0  # n at the last line printed
        self._t0 = clock()
        self._next = self._step()

    def _step(self) -> int:
        return max(1, round(self.total * self.every))

    def _line(self) -> str:
        elapsed = self.clock() - self._t0
        pct = f" {100 * self.n / self.total:3.0f}%" if self.total else ""
        left = ""
        if self.total and 0 < self.n < self.total and elapsed > 0:
            left = f", about {_duration(elapsed * (self.total - self.n) / self.n)} left"
        post = f" [{self.postfix}]" if self.postfix else ""
        return f"{self.desc}:{pct} ({self.n}/{self.total} {self.unit}), {_duration(elapsed)}{left}{post}"

    def _print(self) -> None:
        print(self._line(), file=self.stream or sys.stdout, flush=True)
        self._printed = self.n

    def refresh(self) -> None:
        if self.total and self.n >= self._next and not self.closed:
            self._print()
            while self._next <= self.n:
                self._next += self._step()

    def update(self, n: int = 1) -> None:
        self.n += n
        self.refresh()

    def set_postfix_str(self, s: str = "", refresh: bool = True) -> None:
        self.postfix = s

    def close(self) -> None:
        if not self.closed and self.n != self._printed:
            self._print()  # the last state, unless the last line already showed it
        self.closed = True

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def _duration(seconds: float) -> str:
    seconds = int(round(seconds))
    if seconds < 60:
        return f"{seconds} s"
    if seconds < 3600:
        return f"{seconds // 60} min {seconds % 60:02d} s"
    return f"{seconds // 3600} h {seconds % 3600 // 60:02d} min"


def bar(total: int, desc: str, unit: str = "it", enabled: bool = True):
    """A progress bar for a terminal, plain lines in a notebook kernel, nothing when not ``enabled``."""
    from tqdm.std import tqdm

    if not enabled:
        return tqdm(total=total, desc=desc, unit=unit, disable=True)
    if in_kernel():
        return Lines(total, desc, unit)
    return tqdm(total=total, desc=desc, unit=unit)


def ignore_ipywidgets_hint() -> None:
    """Ignore tqdm's "IProgress not found" warning, and only it.

    transformers and datasets import ``tqdm.auto``, which warns in every Jupyter kernel without
    ipywidgets before falling back to text bars. In notebooks piimask turns those bars off
    (``quiet_libraries``) and prints plain lines, so the hint is only noise in a report. Run when
    piimask is imported: a notebook that imports piimask before transformers never shows it.
    """
    import warnings

    warnings.filterwarnings("ignore", message="IProgress not found", module="tqdm")


def quiet_libraries() -> None:
    """Turn off the progress bars transformers, datasets and huggingface_hub draw for loading
    weights, writing shards and saving datasets (a notebook shows piimask's own lines instead).

    Libraries not imported yet read the environment when they are; those already imported are
    told directly. An explicit ``HF_HUB_DISABLE_PROGRESS_BARS=0`` (or the datasets one) wins.
    """
    import os

    hub = os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1") == "1"
    data = os.environ.setdefault("HF_DATASETS_DISABLE_PROGRESS_BARS", "1") == "1"
    if hub and "huggingface_hub" in sys.modules:
        from huggingface_hub.utils import disable_progress_bars

        disable_progress_bars()
    if hub and "transformers" in sys.modules:  # transformers follows the hub's setting, read at its import
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()
    if data and "datasets" in sys.modules:
        from datasets.utils import disable_progress_bars as disable_datasets_bars

        disable_datasets_bars()
