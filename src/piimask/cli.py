"""The ``piimask`` command line.

    piimask mask [FILE|-] --model PATH [--style STYLE] [--json]
    piimask unmask ANSWER_FILE --mapping MAPPING.json
    piimask base-model [OUT_DIR]

Exit codes: 0 success, 1 bad input (missing file, empty text, unreadable model), 2 bad usage.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from .mask import STYLES


def _read_input(src: str) -> str:
    if src == "-":
        if sys.stdin.isatty():
            raise ValueError("no input: pass a FILE or pipe text on standard input")
        return sys.stdin.read()
    path = Path(src)
    if not path.is_file():
        raise ValueError(f"no such file: {src}")
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise ValueError(f"{src} is not UTF-8 text") from None


def _default_model() -> str:
    return os.environ.get("PIIMASK_MODEL", "outputs/default/model")


def cmd_mask(args) -> int:
    from .mask import Masker

    text = _read_input(args.input)
    model = args.model or _default_model()
    if not (Path(model).exists() or args.allow_hub):
        raise ValueError(f"model {model!r} not found: run `make finetune` first, or pass --model PATH "
                         "(add --allow-hub to load a hub id)")
    masker = Masker.from_pretrained(model, score_threshold=args.threshold)
    res = masker.mask(text, args.style)
    if args.json:
        json.dump(res.to_dict(with_mapping=not args.no_mapping), sys.stdout, ensure_ascii=False, indent=1)
        sys.stdout.write("\n")
    else:
        sys.stdout.write(res.masked_text if res.masked_text.endswith("\n") else res.masked_text + "\n")
        if args.mapping_out:
            Path(args.mapping_out).write_text(json.dumps(res.mapping, ensure_ascii=False, indent=1))
    return 0


def cmd_unmask(args) -> int:
    from .mask import unmask

    answer = _read_input(args.input)
    try:
        mapping = json.loads(Path(args.mapping).read_text())
    except (OSError, json.JSONDecodeError) as exc:
        raise ValueError(f"cannot read the mapping {args.mapping}: {exc}") from None
    if isinstance(mapping, dict):
        mapping = mapping.get("mapping", [])
    sys.stdout.write(unmask(answer, mapping))
    return 0


def cmd_base_model(args) -> int:
    from .basemodel import build_base_model

    print(f"base model written to {build_base_model(args.out)}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="piimask", description="Mask PII in text before it reaches an LLM.")
    sub = p.add_subparsers(dest="command", required=True)
    m = sub.add_parser("mask", help="mask PII in a file or standard input")
    m.add_argument("input", nargs="?", default="-", help="a text file, or - for standard input (default)")
    m.add_argument("--model", help="model folder or hub id (default: $PIIMASK_MODEL or outputs/default/model)")
    m.add_argument("--style", default="[LABEL_n]", choices=STYLES, help="how values are replaced")
    m.add_argument("--json", action="store_true", help="print JSON with the masked text, entities and mapping")
    m.add_argument("--no-mapping", action="store_true", help="leave the mapping (original values) out of --json")
    m.add_argument("--mapping-out", help="write the mapping to this file (to unmask an answer later)")
    m.add_argument("--threshold", type=float, default=0.3, help="minimum model score of a span (default 0.3)")
    m.add_argument("--allow-hub", action="store_true", help="allow --model to be a hub id")
    m.set_defaults(func=cmd_mask)
    u = sub.add_parser("unmask", help="restore values in an LLM answer")
    u.add_argument("input", nargs="?", default="-", help="the answer, a file or - for standard input")
    u.add_argument("--mapping", required=True, help="mapping JSON written by `mask --mapping-out` or `--json`")
    u.set_defaults(func=cmd_unmask)
    b = sub.add_parser("base-model", help="build the offline DistilBERT base model")
    b.add_argument("out", nargs="?", default="outputs/base-model")
    b.set_defaults(func=cmd_base_model)
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except ValueError as exc:
        print(f"piimask: error: {exc}", file=sys.stderr)
        return 1
    except OSError as exc:
        print(f"piimask: error: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
