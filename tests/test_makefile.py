"""The Makefile rebuilds exactly what changed: a stage re-runs when the params keys it reads, its
code or its inputs change, and not otherwise. Run on a copy of the project with a stand-in for
papermill that writes each stage's target and logs which notebook ran."""

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
FAKE = """import sys, os
from pathlib import Path
nb, out = Path(sys.argv[1]).stem, Path(sys.argv[2])
run = Path(os.environ["FAKE_RUN"])
targets = {"01_generate": ["generation.json"], "02_label": ["data/splits/label2id.json"],
           "03_validate": ["validation.json"], "04_finetune": ["model/config.json"],
           "05_evaluate": ["metrics.json"], "06_mask": []}
for p in [run / t for t in targets[nb]] + [out]:  # out: the executed notebook, relative to make's folder
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_text(nb)
with open(os.environ["FAKE_LOG"], "a") as f:
    f.write(nb + "\\n")
"""


@pytest.fixture()
def project(tmp_path):
    proj = tmp_path / "proj"
    proj.mkdir()
    shutil.copy(ROOT / "Makefile", proj / "Makefile")
    shutil.copytree(ROOT / "src", proj / "src", ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
    shutil.copytree(ROOT / "params", proj / "params", symlinks=True)
    shutil.copytree(ROOT / "notebooks", proj / "notebooks")
    (proj / "pyproject.toml").write_text((ROOT / "pyproject.toml").read_text())
    time.sleep(0.01)
    (proj / ".venv").mkdir()
    (proj / ".venv" / ".installed").touch()
    (proj / "outputs" / "base-model").mkdir(parents=True)
    (proj / "outputs" / "base-model" / "config.json").write_text("{}")
    (tmp_path / "fake_papermill.py").write_text(FAKE)
    return proj


def make(proj: Path, *targets: str) -> list[str]:
    """Run make on the copy; the notebooks that ran, in order."""
    log = proj.parent / "ran.log"
    log.unlink(missing_ok=True)
    run = proj / "outputs" / "smoke"
    env = {**os.environ, "PYTHONPATH": str(proj / "src"), "FAKE_RUN": str(run), "FAKE_LOG": str(log)}
    nbout = run / "notebooks"
    cmd = [
        "make",
        "-C",
        str(proj),
        "PROFILE=smoke",
        f"PY={sys.executable}",
        f"PAPERMILL={sys.executable} {proj.parent / 'fake_papermill.py'}",
        f'REPORT={sys.executable} -c \'import sys, pathlib; p = pathlib.Path(sys.argv[1]) / "reports"; '
        f'p.mkdir(exist_ok=True); (p / "index.html").write_text("x")\'',
        *targets,
    ]
    nbout.mkdir(parents=True, exist_ok=True)
    done = subprocess.run(cmd, env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    time.sleep(1.1)  # the next change must be newer than these outputs at make's resolution
    return log.read_text().split() if log.exists() else []


def set_key(proj: Path, key: str, value) -> None:
    path = proj / "params" / "smoke.yaml"
    data = yaml.safe_load(path.read_text()) or {}
    data[key] = value
    path.write_text(yaml.safe_dump(data, sort_keys=False))


ALL = ["01_generate", "02_label", "03_validate", "04_finetune", "05_evaluate", "06_mask"]


def test_make_rebuilds_exactly_what_changed(project):
    assert make(project, "all") == ALL
    assert make(project, "all") == []  # nothing changed: nothing runs
    set_key(project, "score_threshold", 0.8)  # a masking setting: 06 only
    assert make(project, "all") == ["06_mask"]
    set_key(project, "learning_rate", 0.0001)  # a training setting: 04-06
    assert make(project, "all") == ["04_finetune", "05_evaluate", "06_mask"]
    set_key(project, "n_records", 33)  # a generation setting: everything
    assert make(project, "all") == ALL
    # a key no stage reads for its results (the run's folder aside), touching the profile file
    # without changing a value: nothing
    (project / "params" / "smoke.yaml").touch()
    assert make(project, "all") == []


def test_code_of_one_stage_rebuilds_that_stage_and_what_follows(project):
    make(project, "all")
    (project / "src" / "piimask" / "pipeline" / "evaluate.py").touch()
    assert make(project, "all") == ["05_evaluate", "06_mask"]
    (project / "src" / "piimask" / "runtime" / "mask.py").touch()
    assert make(project, "all") == ["06_mask"]
    (project / "src" / "piimask" / "pipeline" / "train.py").touch()
    assert make(project, "all") == ["04_finetune", "05_evaluate", "06_mask"]
