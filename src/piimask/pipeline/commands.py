"""Command-line subcommands of the lab: run a stage without Jupyter, write a stage's params stamp.

piimask run evaluate --profile default [--set max_eval_rows=100]
piimask stamp train --profile default --out outputs/default/.stamps/train.json   (the Makefile's)
"""

from __future__ import annotations

import argparse

import yaml

STAGE_NAMES = ("generate", "label", "validate", "train", "evaluate", "mask")


def _overrides(pairs: list[str]) -> dict:
    out = {}
    for pair in pairs or []:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise ValueError(f"--set takes key=value, not {pair!r}")
        out[key] = yaml.safe_load(value)  # YAML: numbers, lists, null as in params files
    return out


def cmd_run(args) -> int:
    from ..core.config import load_params
    from . import stages

    params = load_params(args.profile, _overrides(args.set))
    result = stages.run(args.stage, params)
    print(
        f"{args.stage}: done -> {params.run_dir}"
        + (f" ({result.summary.to_dict()})" if args.stage == "generate" else "")
    )
    return 0


def cmd_stamp(args) -> int:
    from ..core.config import load_params
    from . import stages

    stages.write_stamp(load_params(args.profile, _overrides(args.set)), args.stage, args.out)
    return 0


def add_commands(sub: argparse._SubParsersAction) -> None:
    r = sub.add_parser("run", help="run one pipeline stage without Jupyter (the notebooks call the same function)")
    r.add_argument("stage", choices=STAGE_NAMES)
    r.add_argument("--profile", default="default", help="params/<profile>.yaml over params/base.yaml")
    r.add_argument("--set", action="append", metavar="KEY=VALUE", help="override one params key (repeatable)")
    r.set_defaults(func=cmd_run)
    s = sub.add_parser("stamp", help="write a stage's params stamp when the keys it reads changed (for make)")
    s.add_argument("stage", choices=STAGE_NAMES)
    s.add_argument("--profile", default="default")
    s.add_argument("--set", action="append", metavar="KEY=VALUE")
    s.add_argument("--out", required=True)
    s.set_defaults(func=cmd_stamp)


def main(argv: list[str] | None = None) -> int:
    """``python -m piimask.pipeline.commands ...``: these commands without loading the runtime (make's stamps)."""
    import sys

    p = argparse.ArgumentParser(prog="python -m piimask.pipeline.commands")
    add_commands(p.add_subparsers(dest="command", required=True))
    args = p.parse_args(argv)
    try:
        return args.func(args)
    except ValueError as exc:
        print(f"piimask: error: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    raise SystemExit(main())
