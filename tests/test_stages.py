"""Stage contracts: every params key belongs to a stage (or places the run), stamps change only
with the keys a stage reads, and ``piimask run`` fails clearly on a bad stage or override."""

import json

import pytest

from piimask.core.config import PARAM_KEYS, load_params
from piimask.pipeline import commands, stages


def test_every_params_key_is_read_by_a_stage_or_places_the_run():
    used = {k for keys in stages.STAGE_KEYS.values() for k in keys} | set(stages.PLACE_KEYS)
    assert set(PARAM_KEYS) - used == set()  # a new key must say which stage it rebuilds
    assert used - set(PARAM_KEYS) == set()  # and a stage names only keys that exist
    assert set(stages.STAGE_KEYS) == set(stages.STAGES) == set(stages.OUTPUTS) == set(stages.RUNNERS)


def test_a_stamp_is_rewritten_only_when_a_key_of_its_stage_changes(tmp_path):
    p = load_params("smoke")
    path = tmp_path / "train.json"
    assert stages.write_stamp(p, "train", path)
    assert not stages.write_stamp(p, "train", path)  # same values: file untouched
    assert not stages.write_stamp(load_params("smoke", {"score_threshold": 0.8}), "train", path)
    assert stages.write_stamp(load_params("smoke", {"learning_rate": 1e-4}), "train", path)
    assert json.loads(path.read_text())["learning_rate"] == 1e-4


def test_the_run_command_names_what_is_wrong(capsys):
    with pytest.raises(SystemExit):
        commands.main(["run", "nonsense"])
    assert commands.main(["stamp", "train", "--profile", "smoke", "--set", "learning_rate", "--out", "x"]) == 1
    assert "key=value" in capsys.readouterr().err
    assert commands.main(["stamp", "train", "--profile", "smoke", "--set", "learning_rat=0.1", "--out", "x"]) == 1
    assert "did you mean 'learning_rate'" in capsys.readouterr().err
