"""The Kaggle / SageMaker Studio quick start (notebooks/00_setup.ipynb, piimask.setup_env): the
platform from its environment variables, output_root for it, and the install step against a venv
(--system-site-packages) that already has torch: piimask is installed, torch is not replaced."""

import ast
import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import nbformat
import pytest

from piimask import __version__, setup_env
from piimask.core.config import load_params
from piimask.pipeline.report import NOTEBOOKS

ROOT = Path(__file__).resolve().parents[1]
MAIN_SITE = Path(
    subprocess.run(
        [sys.executable, "-c", "import torch, pathlib; print(pathlib.Path(torch.__file__).parents[1])"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
)


@pytest.mark.parametrize(
    "env,platform",
    [
        ({"KAGGLE_KERNEL_RUN_TYPE": "Interactive", "HOME": "/root"}, "kaggle"),
        ({"KAGGLE_URL_BASE": "https://www.kaggle.com"}, "kaggle"),
        ({"SAGEMAKER_SPACE_NAME": "my-space", "SAGEMAKER_APP_TYPE_LOWERCASE": "jupyterlab"}, "sagemaker"),
        ({"COLAB_RELEASE_TAG": "release-colab_20260101"}, "colab"),
        ({"HOME": "/home/me", "PATH": "/usr/bin"}, "local"),
    ],
)
def test_the_platform_comes_from_its_environment_variables(env, platform, tmp_path):
    assert setup_env.detect_platform(env, studio_metadata=tmp_path / "absent.json") == platform


def test_studio_is_also_told_by_its_metadata_file(tmp_path):
    meta = tmp_path / "resource-metadata.json"
    meta.write_text("{}")
    assert setup_env.detect_platform({}, studio_metadata=meta) == "sagemaker"


def test_output_root_per_platform_is_a_valid_param(tmp_path):
    roots = {p: setup_env.default_output_root(p, environ={}, home="/home/sagemaker-user") for p in setup_env.PLATFORMS}
    assert roots == {
        "kaggle": "/kaggle/working/outputs",
        "sagemaker": "/home/sagemaker-user/piimask-outputs",
        "colab": "outputs",
        "local": "outputs",
    }
    assert setup_env.default_output_root("kaggle", environ={"PIIMASK_OUTPUT_ROOT": str(tmp_path)}) == str(tmp_path)
    assert setup_env.default_output_root(environ={"KAGGLE_KERNEL_RUN_TYPE": "Batch"}) == "/kaggle/working/outputs"
    for root in roots.values():
        p = load_params("smoke", {"output_root": root})
        assert p.run_dir == (Path(root) if Path(root).is_absolute() else ROOT / root) / "smoke"
    with pytest.raises(ValueError, match="unknown platform"):
        setup_env.default_output_root("azure", environ={})


# -- the install step --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def image_venv(tmp_path_factory):
    """A venv made with --system-site-packages whose environment already holds torch, as a Kaggle
    or SageMaker image does: the packages of the project's own environment (torch, transformers,
    ...) are on its path through a .pth file, the way a platform's site-packages are."""
    venv = tmp_path_factory.mktemp("image") / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--system-site-packages", "--without-pip", str(venv)], check=True)
    py = venv / "bin" / "python"
    site = Path(
        subprocess.run(
            [str(py), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    )
    (site / "image-packages.pth").write_text(str(MAIN_SITE) + "\n")
    return py


@pytest.fixture
def offline_pip(monkeypatch):
    """pip with no config file (no index, no machine-wide constraint): only what is installed."""
    monkeypatch.setenv("PIP_CONFIG_FILE", os.devnull)
    monkeypatch.delenv("PIP_FIND_LINKS", raising=False)
    return ["--no-index", "--no-build-isolation"]


def torch_state(py):
    code = "import torch, os; print(torch.__version__, torch.__file__, os.stat(torch.__file__).st_mtime_ns)"
    return subprocess.run([str(py), "-c", code], capture_output=True, text=True, check=True).stdout.split()


def test_install_into_an_environment_with_torch_keeps_torch(image_venv, offline_pip):
    before = torch_state(image_venv)
    assert before[1].startswith(str(MAIN_SITE))  # the image's torch
    pins = []

    def run(cmd, **kw):  # pip as the notebook runs it; the constraints file read while it exists
        if "-c" in cmd:
            pins.append(Path(cmd[cmd.index("-c") + 1]).read_text())
        return subprocess.run(cmd, **kw)

    done = setup_env.install(ROOT, python=str(image_venv), extra_args=offline_pip, run=run)
    assert len(done["commands"]) == 1 and "torch==2.13.0" not in done["commands"][0]  # torch not installed again
    assert pins == [f"torch=={before[0]}\n"] and done["kept"]["torch"] == before[0]
    assert torch_state(image_venv) == before  # same version, same file, same mtime
    r = subprocess.run(
        [str(image_venv), "-c", "import piimask, torch; print(piimask.__file__, torch.__file__)"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert r.stdout.split() == [str(ROOT / "src" / "piimask" / "__init__.py"), before[1]]
    r = subprocess.run([str(image_venv), "-m", "piimask.cli", "--version"], capture_output=True, text=True)
    assert r.stdout.strip() == f"piimask {__version__}"


def fake_torch_wheel(folder: Path, version="9.9.0") -> Path:
    """A wheel named torch 9.9.0 (no code): what pip would take if anything asked for a newer torch."""
    name = f"torch-{version}.dist-info"
    whl = folder / f"torch-{version}-py3-none-any.whl"
    with zipfile.ZipFile(whl, "w") as z:
        z.writestr(f"{name}/METADATA", f"Metadata-Version: 2.1\nName: torch\nVersion: {version}\n")
        z.writestr(f"{name}/WHEEL", "Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\nTag: py3-none-any\n")
        z.writestr(f"{name}/RECORD", "")
    return whl


def test_the_pin_is_what_keeps_torch_when_something_asks_for_another(image_venv, offline_pip, tmp_path):
    fake_torch_wheel(tmp_path)
    asks = ["--find-links", str(tmp_path), "torch>=9"]  # a requirement that wants another torch
    report = tmp_path / "report.json"
    subprocess.run(
        [str(image_venv), "-m", "pip", "install", "-q", "--dry-run", "--report", str(report), *offline_pip, *asks],
        check=True,
    )  # without the pin pip would replace the image's torch
    assert [i["metadata"]["version"] for i in json.loads(report.read_text())["install"]] == ["9.9.0"]
    before = torch_state(image_venv)
    with pytest.raises(subprocess.CalledProcessError):  # with it, pip refuses instead
        setup_env.install(
            ROOT,
            python=str(image_venv),
            extra_args=[*offline_pip, *asks],
            run=lambda cmd, **kw: subprocess.run(cmd, capture_output=True, **kw),
        )
    assert torch_state(image_venv) == before


def test_a_bare_environment_gets_the_pinned_torch_from_the_named_index(tmp_path):
    bare = tmp_path / "bare"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(bare)], check=True)
    calls = []
    setup_env.install(
        ROOT,
        python=str(bare / "bin" / "python"),
        torch_index=setup_env.CPU_INDEX,
        run=lambda cmd, **kw: calls.append(cmd),
    )
    assert calls[0][-3:] == ["torch==2.13.0", "--index-url", "https://download.pytorch.org/whl/cpu"]
    assert calls[1][-2:] == ["-e", str(ROOT)]


# -- the notebook ------------------------------------------------------------------------------


def test_the_setup_notebook_installs_first_and_calls_only_what_setup_env_has():
    nb = nbformat.read(str(ROOT / "notebooks" / "00_setup.ipynb"), as_version=4)
    assert nb.cells[0].cell_type == "markdown" and "KAGGLE_KERNEL_RUN_TYPE" in nb.cells[0].source
    code = [c.source for c in nb.cells if c.cell_type == "code"]
    assert "parameters" in [c for c in nb.cells if c.cell_type == "code"][0].metadata.get("tags", [])
    assert "setup_env.install(REPO)" in code[1] and "import torch" not in code[1]  # before anything else
    called = {
        n.attr
        for src in code
        for n in ast.walk(ast.parse(src))
        if isinstance(n, ast.Attribute) and isinstance(n.value, ast.Name) and n.value.id == "setup_env"
    }
    assert called == {"install", "detect_platform", "default_output_root", "prepare", "run_pipeline"}
    assert all(hasattr(setup_env, name) for name in called)
    assert not any(line.lstrip().startswith(("def ", "class ")) for src in code for line in src.splitlines())
    assert not any(c.get("outputs") for c in nb.cells if c.cell_type == "code")
    assert "00_setup" not in NOTEBOOKS and "00_setup" not in (ROOT / "Makefile").read_text()
    assert setup_env.PIPELINE == NOTEBOOKS
