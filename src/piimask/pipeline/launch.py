"""Where 04 trains: in this process, or in several started by ``accelerate launch``.

``params.train_processes`` above 1 runs ``python -m accelerate.commands.launch`` with that many
processes of ``piimask.pipeline.train_entry``, each running ``piimask.pipeline.train.train`` on its share of every
batch: one process per GPU (``--multi_gpu``, mixed precision fp16, or bf16 where the GPU has it),
or, without a GPU, CPU processes that talk over gloo. For those, accelerate's ``--cpu`` starts a
single process unless MPI is set up (``--mpirun_hostfile``), so its multi-process launcher
(torchrun underneath) starts them and ``ACCELERATE_USE_CPU=true`` tells each process's Trainer to
stay on the CPU, which then joins the group with gloo. The processes read the run's splits from
``data/splits`` and the main one writes ``model/``, which is read back here.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

from ..core.config import Params
from .train import TrainResult, load_result, train


def gpu_count() -> int:
    import torch

    return torch.cuda.device_count() if torch.cuda.is_available() else 0


def mixed_precision() -> str:
    """bf16 where the GPU supports it (A10G, A100, H100), else fp16 (T4, V100); the Trainer chooses alike."""
    import torch

    return "bf16" if torch.cuda.is_available() and torch.cuda.is_bf16_supported() else "fp16"


def accelerate_command(
    processes: int,
    entry_args: list[str],
    gpus: int | None = None,
    precision: str | None = None,
    port: int | None = None,
    module: str = "piimask.pipeline.train_entry",
) -> list[str]:
    """The ``accelerate launch`` command line for ``processes`` processes of ``module`` on this machine."""
    gpus = gpu_count() if gpus is None else gpus
    if processes < 2:
        raise ValueError(f"accelerate launch is for 2 or more processes, not {processes}; one trains in this process")
    if gpus and processes > gpus:
        raise ValueError(
            f"{processes} processes need {processes} GPUs; this machine has {gpus} "
            "(set train_processes to the number of GPUs)"
        )
    cmd = [
        sys.executable,
        "-m",
        "accelerate.commands.launch",
        "--num_processes",
        str(processes),
        "--num_machines",
        "1",
        "--dynamo_backend",
        "no",
        "--multi_gpu",
        # on CPU processes, no mixed precision; child_env(gpus=0) sets ACCELERATE_USE_CPU
        "--mixed_precision",
        (precision or mixed_precision()) if gpus else "no",
    ]
    if port:
        cmd += ["--main_process_port", str(port)]
    return cmd + ["-m", module, *entry_args]


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def child_env(gpus: int) -> dict:
    """This environment, with this piimask first on the path (every process runs the same code)
    and, without a GPU, ``ACCELERATE_USE_CPU`` (the Trainer then groups CPU processes over gloo)."""
    env = dict(os.environ)
    if not gpus:
        env["ACCELERATE_USE_CPU"] = "true"
    src = str(Path(__file__).resolve().parents[1])
    env["PYTHONPATH"] = os.pathsep.join([src, *filter(None, [env.get("PYTHONPATH")])])
    return env


def train_processes(
    params: Params, processes: int | None = None, module: str = "piimask.pipeline.train_entry"
) -> TrainResult:
    """Train with ``processes`` (default ``params.train_processes``) processes under ``accelerate launch``."""
    n = processes or params.train_processes
    with tempfile.TemporaryDirectory(prefix="piimask-train-") as tmp:
        pfile = params.save(Path(tmp) / "params.yaml")  # the resolved params, exactly as this process has them
        cmd = accelerate_command(n, ["--params", str(pfile)], port=free_port(), module=module)
        print(f"piimask: {' '.join(cmd[1:])}", flush=True)
        # the processes' output is passed on line by line, so a notebook shows it too
        with subprocess.Popen(
            cmd,
            env=child_env(gpu_count()),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            errors="replace",
        ) as proc:
            for line in proc.stdout:
                print(line, end="", flush=True)
        code = proc.returncode
    if code != 0:
        raise RuntimeError(
            f"training under accelerate launch with {n} processes failed (exit {code}); "
            "the processes' output above says why"
        )
    return load_result(params.model_dir)


def run_training(params: Params, splits: dict) -> TrainResult:
    """Train where params say: in this process (``train_processes: 1``) or under ``accelerate launch``."""
    if params.train_on != "local":
        raise ValueError(f"train_on={params.train_on!r}: submit with piimask.sagemaker_job.train_on_sagemaker")
    if params.train_processes > 1:
        return train_processes(params)
    return train(params, splits)
