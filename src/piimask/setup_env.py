"""Set piimask up inside a running Jupyter kernel: Kaggle, SageMaker Studio, Colab or a local box.

``notebooks/00_setup.ipynb`` is the quick start; this module is its logic. It imports nothing
but the standard library at module level, so the notebook can load it from ``src/`` before
piimask is installed.

- :func:`install` runs ``pip install -e <repo>`` with the interpreter of the running kernel, so
  the kernel and the kernels papermill starts see piimask. The platform's PyTorch (a CUDA build
  on Kaggle and SageMaker) is kept: torch is not a dependency of piimask, and the packages of
  the torch family that are installed are pinned to their installed versions with a pip
  constraints file, so no dependency can pull another torch in; install checks afterwards that
  torch is the same. Only where no torch is installed at all is ``torch==2.13.0`` installed
  (from ``torch_index`` when given, e.g. PyTorch's CPU index).
- :func:`detect_platform` tells the platform from its environment variables:
  ``KAGGLE_KERNEL_RUN_TYPE`` (set in every Kaggle notebook, "Interactive" or "Batch") or
  another ``KAGGLE_*`` variable; ``SAGEMAKER_*`` variables (Studio sets ``SAGEMAKER_SPACE_NAME``,
  ``SAGEMAKER_APP_TYPE_LOWERCASE``, ``SAGEMAKER_INTERNAL_IMAGE_URI``) or Studio's metadata file
  ``/opt/ml/metadata/resource-metadata.json``; ``COLAB_RELEASE_TAG`` / ``COLAB_GPU`` on Colab.
- :func:`default_output_root` is where a run's outputs go: ``/kaggle/working/outputs`` on Kaggle
  (the folder Kaggle keeps as the notebook's output), ``~/piimask-outputs`` in the Studio home
  on SageMaker (the home volume persists between sessions), ``outputs`` (in the clone)
  elsewhere; ``PIIMASK_OUTPUT_ROOT`` overrides it everywhere.
- :func:`prepare` builds the offline base model and, where the hub is reachable, fetches the
  real evaluation rows; :func:`run_pipeline` runs notebooks 01-06 in place with papermill and
  renders the reports.
"""

from __future__ import annotations

import importlib
import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

PLATFORMS = ("kaggle", "sagemaker", "colab", "local")
TORCH_FAMILY = ("torch", "torchvision", "torchaudio", "triton")  # pinned as installed: one build, one CUDA
TORCH_PIN = "torch==2.13.0"  # only where no torch is installed
CPU_INDEX = "https://download.pytorch.org/whl/cpu"
STUDIO_METADATA = "/opt/ml/metadata/resource-metadata.json"
PIPELINE = ["01_generate", "02_label", "03_validate", "04_finetune", "05_evaluate", "06_mask"]


def repo_root(start: str | Path | None = None) -> Path:
    """The piimask clone: the folder holding pyproject.toml and params/, searched upward."""
    here = Path(start or Path.cwd()).resolve()
    for p in (here, *here.parents):
        if (p / "pyproject.toml").exists() and (p / "params" / "base.yaml").exists():
            return p
    raise FileNotFoundError(f"no piimask clone at or above {here}: open the notebook from <clone>/notebooks")


# -- where am I --------------------------------------------------------------------------------


def detect_platform(environ: Mapping[str, str] | None = None, studio_metadata: str | Path = STUDIO_METADATA) -> str:
    """'kaggle', 'sagemaker', 'colab' or 'local', from environment variables (see the module doc)."""
    env = os.environ if environ is None else environ
    if "KAGGLE_KERNEL_RUN_TYPE" in env or any(k.startswith("KAGGLE_") for k in env):
        return "kaggle"
    if any(k.startswith("SAGEMAKER_") for k in env) or Path(studio_metadata).exists():
        return "sagemaker"
    if "COLAB_RELEASE_TAG" in env or "COLAB_GPU" in env:
        return "colab"
    return "local"


def default_output_root(
    platform: str | None = None, environ: Mapping[str, str] | None = None, home: str | Path | None = None
) -> str:
    """The ``output_root`` param for the platform (``PIIMASK_OUTPUT_ROOT`` wins)."""
    env = os.environ if environ is None else environ
    if env.get("PIIMASK_OUTPUT_ROOT"):
        return env["PIIMASK_OUTPUT_ROOT"]
    platform = platform or detect_platform(env)
    if platform not in PLATFORMS:
        raise ValueError(f"unknown platform {platform!r}; one of {', '.join(PLATFORMS)}")
    if platform == "kaggle":
        return "/kaggle/working/outputs"
    if platform == "sagemaker":
        return str(Path(home or Path.home()) / "piimask-outputs")
    return "outputs"


# -- installing into the running kernel --------------------------------------------------------

_VERSIONS = (
    "import json, importlib.metadata as m\n"
    "out = {}\n"
    "for name in %r:\n"
    "    try:\n"
    "        d = m.distribution(name)\n"
    "        out[name] = [d.version, str(d.locate_file(''))]\n"
    "    except m.PackageNotFoundError:\n"
    "        pass\n"
    "print(json.dumps(out))\n"
)


def installed(python: str = sys.executable, names: Sequence[str] = TORCH_FAMILY) -> dict[str, tuple[str, str]]:
    """``{name: (version, location)}`` of the packages among ``names`` that ``python`` sees."""
    r = subprocess.run([python, "-c", _VERSIONS % (tuple(names),)], capture_output=True, text=True, check=True)
    return {k: tuple(v) for k, v in json.loads(r.stdout).items()}


def constraints(kept: Mapping[str, tuple[str, str]]) -> str:
    """pip constraints that pin every kept package to its installed version."""
    return "".join(f"{name}=={version}\n" for name, (version, _) in sorted(kept.items()))


def install_command(
    repo: str | Path,
    python: str = sys.executable,
    constraints_file: str | Path | None = None,
    extras: Sequence[str] = (),
    extra_args: Sequence[str] = (),
) -> list[str]:
    """The pip command that installs the clone at ``repo`` (editable) for ``python``."""
    target = str(Path(repo).resolve()) + (f"[{','.join(extras)}]" if extras else "")
    cmd = [python, "-m", "pip", "install", "-q"]
    if constraints_file:
        cmd += ["-c", str(constraints_file)]
    return cmd + [*extra_args, "-e", target]


def install(
    repo: str | Path | None = None,
    python: str = sys.executable,
    extras: Sequence[str] = (),
    extra_args: Sequence[str] = (),
    torch_index: str | None = None,
    run: Callable = subprocess.run,
) -> dict:
    """Install the clone into ``python``'s environment (the running kernel's by default), keeping
    its torch; return what was done. Raises if pip fails or torch changed."""
    repo = repo_root(repo)
    before = installed(python)
    steps = []
    if "torch" not in before:  # a bare environment: the pinned torch, from torch_index when given
        cmd = [python, "-m", "pip", "install", "-q", TORCH_PIN] + (["--index-url", torch_index] if torch_index else [])
        steps.append(cmd)
        run(cmd, check=True)
        before = installed(python)
    with tempfile.TemporaryDirectory() as tmp:
        pins = Path(tmp) / "keep-torch.txt"
        pins.write_text(constraints(before))
        cmd = install_command(repo, python, pins, extras, extra_args)
        steps.append(cmd)
        run(cmd, check=True)
    after = installed(python)
    changed = {k: (before[k][0], after.get(k, ("gone",))[0]) for k in before if after.get(k, ("",))[0] != before[k][0]}
    if changed:
        raise RuntimeError(f"the install changed the platform's torch packages: {changed}")
    if Path(python).resolve() == Path(sys.executable).resolve():  # this kernel: see the new packages now
        importlib.invalidate_caches()
        if str(repo / "src") not in sys.path:
            sys.path.insert(0, str(repo / "src"))
    return {"python": python, "repo": str(repo), "kept": {k: v[0] for k, v in after.items()}, "commands": steps}


# -- before the first run and the run itself ---------------------------------------------------


def prepare(
    repo: str | Path | None = None, profile: str = "default", fetch_realdata: bool = True, python: str = sys.executable
) -> dict:
    """Build the offline base model (once) and fetch the real evaluation rows if they are missing
    and the hub answers; a failed fetch is reported, not raised (05 then skips real data)."""
    repo = repo_root(repo)
    out = {"base_model": str(repo / "outputs" / "base-model")}
    if not (repo / "outputs" / "base-model" / "config.json").exists():
        subprocess.run(
            [python, "-m", "piimask.pipeline.basemodel", str(repo / "outputs" / "base-model")], cwd=repo, check=True
        )
    if fetch_realdata:
        r = subprocess.run(
            [python, "-m", "piimask.cli", "fetch-realdata", "--profile", profile],
            cwd=repo,
            capture_output=True,
            text=True,
        )
        out["realdata"] = (r.stdout or r.stderr).strip().splitlines()[-1] if (r.stdout or r.stderr) else ""
    return out


def run_pipeline(
    profile: str = "default",
    output_root: str | None = None,
    repo: str | Path | None = None,
    notebooks: Sequence[str] = PIPELINE,
    kernel_name: str = "python3",
    log_output: bool = True,
) -> Path:
    """Run the pipeline notebooks in place with papermill (each executed copy under
    ``<output_root>/<run>/notebooks/``), render the reports, and return the index's path."""
    import papermill as pm

    from .core.config import load_params
    from .pipeline.report import build_reports

    repo = repo_root(repo)
    output_root = output_root or default_output_root()
    params = {"profile": profile, "overrides": {"output_root": output_root}}
    run_dir = (
        Path(output_root if Path(output_root).is_absolute() else repo / output_root)
        / load_params(profile, params_dir=repo / "params").run_name
    )
    for name in notebooks:
        out = run_dir / "notebooks" / f"{name}.ipynb"
        out.parent.mkdir(parents=True, exist_ok=True)
        pm.execute_notebook(
            str(repo / "notebooks" / f"{name}.ipynb"),
            str(out),
            parameters=params,
            kernel_name=kernel_name,
            cwd=str(repo / "notebooks"),
            log_output=log_output,
            progress_bar=False,
        )
    return build_reports(run_dir)
