"""Progress as plain lines in a notebook kernel, bars in a terminal, and quiet libraries."""

import io
import warnings

import pytest

from piimask.core import progress


class Clock:
    def __init__(self):
        self.t = 0.0

    def __call__(self):
        return self.t


def test_lines_print_one_line_per_tenth_and_none_twice():
    out, clock = io.StringIO(), Clock()
    bar = progress.Lines(160, "generate (offline)", "req", stream=out, clock=clock)
    for _ in range(160):
        clock.t += 0.5
        bar.update()
    bar.close()
    lines = out.getvalue().splitlines()
    assert len(lines) == 10
    assert lines[0] == "generate (offline):  10% (16/160 req), 8 s, about 1 min 12 s left"
    assert lines[-1] == "generate (offline): 100% (160/160 req), 1 min 20 s"


def test_lines_follow_a_count_that_jumps_and_show_the_status():
    out = io.StringIO()
    bar = progress.Lines(1000, "batch job", "rec", stream=out, clock=Clock())
    bar.set_postfix_str("InProgress")
    bar.n = 550  # what a batch job's status reports
    bar.refresh()
    bar.refresh()
    bar.n = 560
    bar.set_postfix_str("Completed")
    bar.close()
    lines = out.getvalue().splitlines()
    assert [ln.split(":")[1].split("(")[1].split()[0] for ln in lines] == ["550/1000", "560/1000"]
    assert lines[0].endswith("[InProgress]") and lines[1].endswith("[Completed]")


def test_bar_is_lines_in_a_kernel_and_tqdm_elsewhere(monkeypatch):
    from tqdm.std import tqdm

    assert isinstance(progress.bar(10, "x"), tqdm) and not progress.in_kernel()
    assert progress.bar(10, "x", enabled=False).disable
    monkeypatch.setattr(progress, "in_kernel", lambda: True)
    assert isinstance(progress.bar(10, "x"), progress.Lines)


def test_quiet_libraries_turns_off_the_library_bars(monkeypatch):
    import datasets
    from transformers.utils import logging as hf_logging

    monkeypatch.delenv("HF_HUB_DISABLE_PROGRESS_BARS", raising=False)
    monkeypatch.delenv("HF_DATASETS_DISABLE_PROGRESS_BARS", raising=False)
    try:
        progress.quiet_libraries()
        assert not hf_logging.is_progress_bar_enabled()
        assert not datasets.is_progress_bar_enabled()
    finally:  # as the other tests found them (an environment variable read at import may keep them off)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            hf_logging.enable_progress_bar()
            datasets.enable_progress_bars()


def test_the_ipywidgets_hint_of_tqdm_is_filtered_and_nothing_else():
    from tqdm import TqdmWarning

    with warnings.catch_warnings(record=True) as caught:
        progress.ignore_ipywidgets_hint()  # what importing piimask does
        warnings.warn_explicit(
            "IProgress not found. Please update jupyter and ipywidgets.",
            TqdmWarning,
            "auto.py",
            21,
            module="tqdm.auto",
            registry={},
        )
        warnings.warn_explicit("something else", TqdmWarning, "auto.py", 22, module="tqdm.auto", registry={})
    assert [str(w.message) for w in caught] == ["something else"]


@pytest.mark.parametrize("seconds,text", [(0.4, "0 s"), (59, "59 s"), (61, "1 min 01 s"), (3720, "1 h 02 min")])
def test_durations_read_as_a_person_says_them(seconds, text):
    assert progress._duration(seconds) == text
