"""The training process: ``python -m piimask.pipeline.train_entry``, one per process.

The same ``piimask.pipeline.train.train`` runs here whoever starts it: ``accelerate launch`` on this
machine (``piimask train --nproc N``, ``make finetune LAUNCH=accelerate``), ``torchrun`` or the
SageMaker training toolkit inside a SageMaker job (``--sagemaker``), or plain ``python`` for one
process. No notebook runs in a job: the run's params and splits arrive as files.

    python -m piimask.pipeline.train_entry --profile smoke [--set max_steps=4]
    python -m piimask.pipeline.train_entry --params outputs/run/params-train.yaml
    python -m piimask.pipeline.train_entry --sagemaker          (inside a SageMaker training job)

Inside a job the ``train`` channel (``SM_CHANNEL_TRAIN``, default ``/opt/ml/input/data/train``)
holds ``params.yaml``, ``splits/`` and, when params name a local base model, ``base-model/``; the
model goes to ``SM_MODEL_DIR`` (``/opt/ml/model``), which SageMaker uploads as ``model.tar.gz``,
and checkpoints to ``/opt/ml/checkpoints`` when the job syncs them to S3 (spot), so an
interrupted job resumes where it stopped.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

import yaml

SM_CHANNEL = "/opt/ml/input/data/train"
SM_MODEL_DIR = "/opt/ml/model"
SM_CHECKPOINTS = "/opt/ml/checkpoints"


def parse_overrides(items: list[str]) -> dict:
    """``KEY=VALUE`` pairs, each value read as YAML (``4`` is a number, ``true`` a boolean)."""
    out = {}
    for item in items or []:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise ValueError(f"--set {item!r}: write KEY=VALUE, e.g. --set max_steps=100")
        out[key.strip()] = yaml.safe_load(value) if value.strip() else ""
    return out


def is_main_process() -> bool:
    """Rank 0 of a launched group (``RANK`` is set by accelerate launch and torchrun), or a lone process."""
    return int(os.environ.get("RANK", "0")) == 0


def sagemaker_paths(env=os.environ) -> dict:
    """Where a SageMaker training job puts the inputs and takes the model and checkpoints from."""
    channel = Path(env.get("SM_CHANNEL_TRAIN", SM_CHANNEL))
    if not (channel / "params.yaml").exists():
        raise FileNotFoundError(
            f"no params.yaml in the train channel {channel}; the job's input is packaged by `piimask sagemaker-train`"
        )
    ckpt = Path(env.get("PIIMASK_CHECKPOINT_DIR", SM_CHECKPOINTS))
    return {
        "params": channel / "params.yaml",
        "splits": channel / "splits",
        "base_model": channel / "base-model" if (channel / "base-model" / "config.json").exists() else None,
        "output_dir": Path(env.get("SM_MODEL_DIR", SM_MODEL_DIR)),
        # the checkpoint folder exists when the job syncs it to S3 (CheckpointConfig); resume from it
        "checkpoint_dir": ckpt if ckpt.is_dir() else None,
    }


def load_run_params(args):
    from ..core.config import from_mapping, load_params, read_yaml

    overrides = parse_overrides(args.set)
    if args.params:
        raw = read_yaml(args.params)
        raw.update(overrides)
        return from_mapping(raw)
    return load_params(args.profile, overrides)


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m piimask.pipeline.train_entry",
        description="Fine-tune the PII tagger in this process (one of N under a launcher).",
    )
    src = p.add_mutually_exclusive_group()
    src.add_argument(
        "--profile", default="default", help="params/<profile>.yaml on params/base.yaml (default: default)"
    )
    src.add_argument("--params", help="a resolved params file (what a run saved), instead of --profile")
    p.add_argument(
        "--set", action="append", default=[], metavar="KEY=VALUE", help="override one parameter (repeatable)"
    )
    p.add_argument("--splits", help="folder with the split parquet files (default: the run's data/splits)")
    p.add_argument("--output-dir", help="where the model goes (default: the run's model/)")
    p.add_argument("--checkpoint-dir", help="where checkpoints go (default: beside the model)")
    p.add_argument("--resume", action="store_true", help="continue from the newest checkpoint in --checkpoint-dir")
    p.add_argument(
        "--sagemaker", action="store_true", help="inside a SageMaker training job: paths from SM_* variables"
    )
    return p


def main(argv: list[str] | None = None) -> int:
    from . import dataset
    from .train import train

    args, unknown = build_parser().parse_known_args(argv)
    if unknown and not args.sagemaker:  # the SageMaker toolkit may pass hyperparameters as arguments
        raise SystemExit(f"unknown arguments: {' '.join(unknown)}")
    if args.sagemaker:
        where = sagemaker_paths()
        args.params = str(where["params"])
        args.splits = args.splits or str(where["splits"])
        args.output_dir = args.output_dir or str(where["output_dir"])
        if where["checkpoint_dir"] and not args.checkpoint_dir:
            args.checkpoint_dir, args.resume = str(where["checkpoint_dir"]), True
        if where["base_model"]:
            args.set = [*args.set, f"base_model={where['base_model']}"]
    params = load_run_params(args)
    splits_dir = Path(args.splits) if args.splits else params.data_dir / "splits"
    splits = dataset.load_splits(splits_dir)
    if not splits.get("train"):
        raise FileNotFoundError(f"no train split in {splits_dir}; run the label stage (02) first")
    result = train(
        params,
        splits,
        output_dir=args.output_dir,
        progress=is_main_process(),  # plain lines, fine in logs
        checkpoint_dir=args.checkpoint_dir,
        resume=args.resume,
    )
    if is_main_process():
        summary = {k: result.metrics.get(k) for k in ("processes", "steps", "train_seconds", "device")}
        print(f"piimask: model saved to {result.model_dir} {json.dumps(summary)}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
