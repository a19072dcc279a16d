"""The ``piimask`` command line.

    piimask mask [FILE|-] --model PATH [--style STYLE] [--json] [--mapping-out FILE]
    piimask mask-jsonl [FILE|-] --model PATH [--out FILE] [--include-mapping]
    piimask serve --model PATH [--host 127.0.0.1] [--port 8080]
    piimask unmask ANSWER_FILE --mapping MAPPING.json
    piimask fetch-realdata [--out FILE]
    piimask base-model [OUT_DIR]
    piimask train [--profile P] [--set KEY=VALUE ...] [--nproc N]
    piimask sagemaker-train [--profile P] [--set KEY=VALUE ...] [--overlay FILE] [--no-wait | --attach JOB]
    piimask run STAGE [--profile P] [--set KEY=VALUE ...]
    piimask --version

Text is read and written as UTF-8 bytes, exactly: line endings (``\\r\\n``) are kept, so ``--json``
offsets index the file as it is. Mapping files hold the original values and are written with
mode 0600.

Exit codes: 0 success, 1 bad input (missing file, empty or non-UTF-8 text, text over --max-chars,
unreadable model or mapping, bad params) or a training run that failed (a process under
accelerate launch, a SageMaker job: its FailureReason is printed), 2 bad usage. ``mask-jsonl``
answers a bad line with an error object for that line and goes on (exit 0; the counts go to
standard error).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from . import __version__
from .runtime.mask import STYLES
from .runtime.predict import FAST_HELP

DEFAULT_MAX_CHARS = 10_000_000


def _read_input(src: str, what: str = "input") -> str:
    if src == "-":
        if sys.stdin.isatty():
            raise ValueError(f"no {what}: pass a FILE or pipe text on standard input")
        data = sys.stdin.buffer.read()
        name = "standard input"
    else:
        path = Path(src)
        if not path.is_file():
            raise ValueError(f"no such file: {src}")
        data = path.read_bytes()
        name = src
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ValueError(f"{name} is not UTF-8 text (byte {exc.start}); convert it, e.g. with iconv") from None
    if text.startswith("\ufeff"):  # a byte-order mark is not part of the text
        text = text[1:]
    if not text.strip():
        raise ValueError(f"{what} is empty: nothing to {'mask' if what == 'input' else 'restore'}")
    return text


def _write(text: str) -> None:
    """Write UTF-8 bytes whatever the locale (a C locale would refuse non-ASCII)."""
    sys.stdout.flush()
    sys.stdout.buffer.write(text.encode("utf-8", "surrogatepass"))
    sys.stdout.buffer.flush()


def _write_private(path: str, text: str) -> None:
    """Write a file only its owner can read (it holds the original values)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.fchmod(fd, 0o600)  # an existing file keeps its old mode otherwise
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(text)


def _default_model() -> str:
    return os.environ.get("PIIMASK_MODEL", "outputs/default/model")


def _threshold(value: str) -> float:
    t = float(value)
    if not 0 < t <= 1:
        raise argparse.ArgumentTypeError(f"must lie in (0, 1], not {value}")
    return t


def _positive(value: str) -> int:
    try:
        n = int(value)
    except ValueError:
        n = 0
    if n < 1:
        raise argparse.ArgumentTypeError(f"must be a whole number of at least 1, not {value}")
    return n


def cmd_mask(args) -> int:
    from .runtime.mask import check_text

    text = check_text(_read_input(args.input), args.max_chars)
    res = _load_masker(args, args.max_chars).mask(text, args.style)
    if args.json:
        _write(json.dumps(res.to_dict(with_mapping=not args.no_mapping), ensure_ascii=False, indent=1) + "\n")
    else:
        _write(res.masked_text if res.masked_text.endswith("\n") else res.masked_text + "\n")
    if args.mapping_out:
        _write_private(args.mapping_out, json.dumps(res.mapping, ensure_ascii=False, indent=1))
    return 0


def _load_masker(args, max_chars: int):
    from .runtime.mask import Masker

    return Masker.from_pretrained(
        args.model or _default_model(),
        allow_hub=args.allow_hub,
        score_threshold=args.threshold,
        max_chars=max_chars,
        fast=args.fast,
    )


def cmd_mask_jsonl(args) -> int:
    from .runtime.mask_jsonl import mask_jsonl

    if args.input == "-" and sys.stdin.isatty():
        raise ValueError("no input: pass a JSONL FILE or pipe JSON lines on standard input")
    if args.input != "-" and not Path(args.input).is_file():
        raise ValueError(f"no such file: {args.input}")
    masker = _load_masker(args, args.max_chars)  # once, before the first line
    stream = sys.stdin.buffer if args.input == "-" else open(args.input, "rb")
    out = None
    try:
        if args.out:  # the answers may hold the original values (mappings): owner-only
            fd = os.open(args.out, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            os.fchmod(fd, 0o600)
            out = os.fdopen(fd, "wb")
            write = lambda s: (out.write(s.encode("utf-8", "surrogatepass")), out.flush())  # noqa: E731
        else:
            write = _write
        counts = mask_jsonl(
            masker,
            stream,
            write,
            limit=args.max_chars,
            include_mapping=args.include_mapping,
            batch_size=args.batch_size,
        )
    finally:
        if out is not None:
            out.close()
        if stream is not sys.stdin.buffer:
            stream.close()
    print(f"piimask: {counts['lines']} lines, {counts['masked']} masked, {counts['errors']} errors", file=sys.stderr)
    return 0


def cmd_serve(args) -> int:
    from .runtime.serve import serve

    masker = _load_masker(args, args.max_chars)  # once, before the socket opens

    def ready(server) -> None:
        host, port = server.server_address[:2]
        print(
            f"piimask: serving POST http://{host}:{port}/mask (GET /health); Ctrl-C stops", file=sys.stderr, flush=True
        )

    if args.host not in ("127.0.0.1", "localhost", "::1"):
        print(
            f"piimask: warning: listening on {args.host}: anyone who can reach it can mask text and read "
            "mappings; there is no authentication",
            file=sys.stderr,
        )
    serve(masker, args.host, args.port, args.max_chars, ready=ready)
    return 0


def cmd_unmask(args) -> int:
    from .runtime.mask import unmask, validate_mapping

    answer = _read_input(args.input, "answer")
    try:
        mapping = json.loads(Path(args.mapping).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:
        raise ValueError(f"cannot read the mapping {args.mapping}: {exc}") from None
    _write(unmask(answer, validate_mapping(mapping), restore_in_links=args.restore_in_links))
    return 0


def cmd_fetch_realdata(args) -> int:
    from .pipeline.realdata import default_out, fetch_realdata

    out = args.out or default_out(args.profile)
    try:
        summary = fetch_realdata(
            out,
            dataset=args.dataset,
            split=args.split,
            language=args.language,
            max_rows=args.max_rows,
            force=args.force,
        )
    except RuntimeError as exc:  # the hub unreachable, a split that does not exist: one line, no traceback
        raise ValueError(str(exc)) from None
    print(
        f"{summary['rows']} held-out {summary['language']} rows ({summary['spans']} spans) of "
        f"{summary['dataset']} [{summary['split']}] written to {summary['out']}; left out: {summary['left_out']}"
    )
    return 0


def cmd_base_model(args) -> int:
    from .pipeline.basemodel import build_base_model

    print(f"base model written to {build_base_model(args.out)}")
    return 0


def cmd_lexicon(args) -> int:
    from .core.config import from_mapping, read_yaml
    from .runtime.lexicon import write_lexicon

    model = Path(args.model)
    saved = model / "params.yaml"
    if not saved.is_file():
        raise ValueError(f"{saved} is missing: `piimask lexicon` takes a folder piimask trained a model in")
    values = read_yaml(saved)
    values.setdefault("settle_lookalikes", False)  # a model from before settling was taught both labels
    values.setdefault("settle_dates", False)  # nor were its full calendar dates DOB
    path = write_lexicon(from_mapping(values, strict=False), model)
    print(f"value lexicon written to {path}")
    return 0


def _run_params(args, overlay: str | None = None):
    from .core.config import load_params, project_root, read_yaml
    from .pipeline.train_entry import parse_overrides

    overrides = {}
    if overlay:
        path = Path(overlay)
        path = path if path.is_absolute() or path.exists() else project_root() / path
        if not path.exists():
            raise ValueError(f"no overlay {overlay}: the SageMaker settings live in params/overlays/sagemaker.yaml")
        overrides.update(read_yaml(path))
    overrides.update(parse_overrides(args.set))
    return load_params(args.profile, overrides)


def cmd_train(args) -> int:
    from .pipeline import dataset
    from .pipeline.launch import run_training

    overrides = [*args.set, *([f"train_processes={args.nproc}"] if args.nproc else [])]
    args.set = overrides
    params = _run_params(args)
    splits = dataset.load_splits(params.data_dir / "splits")
    if not splits.get("train"):
        raise ValueError(
            f"no train split in {params.data_dir / 'splits'}; run the label stage first "
            f"(make label PROFILE={args.profile})"
        )
    try:
        result = run_training(params, splits)
    except RuntimeError as exc:  # a process under accelerate launch failed; its output is above
        print(f"piimask: error: {exc}", file=sys.stderr)
        return 1
    v = result.metrics.get("validation", {})
    print(
        f"model: {result.model_dir} (processes {result.metrics.get('processes')}, steps {result.metrics.get('steps')}, "
        f"validation F1 {v.get('f1')})"
    )
    return 0


def cmd_sagemaker_train(args) -> int:
    from .pipeline import sagemaker_job

    params = _run_params(args, args.overlay)
    if params.train_on != "sagemaker":
        raise ValueError(
            "train_on must be 'sagemaker' for sagemaker-train (the overlay "
            "params/overlays/sagemaker.yaml sets it, with the image, role and bucket)"
        )
    job = sagemaker_job.SageMakerJob(params)
    try:
        if args.attach:
            state = job.attach(args.attach)
        else:
            state = job.submit()
            print(f"submitted {state['job_name']}: inputs in {state['input_uri']}")
            if args.no_wait:
                print(f"later: piimask sagemaker-train --profile {args.profile} --attach {state['job_name']}")
                return 0
        result = job.finish(state)
    except (sagemaker_job.TrainingJobFailed, sagemaker_job.AWSError) as exc:
        print(f"piimask: error: {exc}", file=sys.stderr)
        return 1
    print(
        f"model: {result.model_dir} (job {state['job_name']}, validation F1 {result.metrics.get('validation', {}).get('f1')})"
    )
    return 0


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="piimask", description="Mask PII in text before it reaches an LLM.")
    p.add_argument("--version", action="version", version=f"piimask {__version__}")
    sub = p.add_subparsers(dest="command", required=True)
    m = sub.add_parser("mask", help="mask PII in a file or standard input")
    m.add_argument("input", nargs="?", default="-", help="a text file, or - for standard input (default)")
    m.add_argument("--model", help="local model folder (default: $PIIMASK_MODEL or outputs/default/model)")
    m.add_argument("--style", default="[LABEL_n]", choices=STYLES, help="how values are replaced")
    m.add_argument("--json", action="store_true", help="print JSON with the masked text, entities and mapping")
    m.add_argument("--no-mapping", action="store_true", help="leave the mapping (original values) out of --json")
    m.add_argument("--mapping-out", help="write the mapping to this file, mode 0600 (to unmask an answer later)")
    m.add_argument(
        "--threshold",
        type=_threshold,
        default=None,
        help="PII-ness a token needs to be masked (default: the model's masking.json, else 0.5)",
    )
    m.add_argument(
        "--max-chars", type=int, default=DEFAULT_MAX_CHARS, help=f"refuse longer input (default {DEFAULT_MAX_CHARS:,})"
    )
    m.add_argument("--allow-hub", action="store_true", help="allow --model to be a hub id")
    m.add_argument(
        "--fast",
        action="store_true",
        help=FAST_HELP,
    )
    m.set_defaults(func=cmd_mask)
    j = sub.add_parser("mask-jsonl", help="mask many prompts: JSON lines in, JSON lines out, the model loaded once")
    j.add_argument(
        "input",
        nargs="?",
        default="-",
        help='JSONL file of {"text", "style"?, "include_mapping"?, "id"?} objects, or - (default)',
    )
    j.add_argument("--out", help="write the answers here, mode 0600 (default: standard output)")
    j.add_argument(
        "--include-mapping",
        action="store_true",
        help="add each line's mapping (original values) unless the line says include_mapping: false",
    )
    j.add_argument("--batch-size", type=_positive, default=32, help="lines per model pass (default 32)")
    s_ = sub.add_parser("serve", help="a local HTTP endpoint: POST /mask, the Lambda handler's contract")
    s_.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1: this machine only)")
    s_.add_argument("--port", type=int, default=8080, help="port (default 8080; 0 picks a free one)")
    for sp, limit in ((j, 20_000), (s_, 20_000)):
        sp.add_argument("--model", help="local model folder (default: $PIIMASK_MODEL or outputs/default/model)")
        sp.add_argument(
            "--threshold",
            type=_threshold,
            default=None,
            help="PII-ness a token needs to be masked (default: the model's masking.json, else 0.5)",
        )
        sp.add_argument("--max-chars", type=_positive, default=limit, help=f"refuse longer texts (default {limit:,})")
        sp.add_argument("--allow-hub", action="store_true", help="allow --model to be a hub id")
        sp.add_argument(
            "--fast",
            action="store_true",
            help=FAST_HELP,
        )
    j.set_defaults(func=cmd_mask_jsonl)
    s_.set_defaults(func=cmd_serve)
    u = sub.add_parser("unmask", help="restore values in an LLM answer")
    u.add_argument("input", nargs="?", default="-", help="the answer, a file or - for standard input")
    u.add_argument("--mapping", required=True, help="mapping JSON written by `mask --mapping-out` or `--json`")
    u.add_argument(
        "--restore-in-links",
        action="store_true",
        help="also restore values inside URLs and link targets the answer wrote (off: a link could send them out)",
    )
    u.set_defaults(func=cmd_unmask)
    r = sub.add_parser(
        "fetch-realdata",
        help="write a held-out English slice of ai4privacy/pii-masking-200k "
        "(from the hub) where the evaluation reads it",
    )
    r.add_argument("--out", help="JSONL file to write (default: the 200k entry of the profile's external_datasets)")
    r.add_argument("--profile", default="default", help="params profile whose external_datasets name the file")
    r.add_argument("--dataset", default="ai4privacy/pii-masking-200k", help="hub id or a local dataset folder")
    r.add_argument("--split", default="train", help="split to read (the 200k dataset has only 'train')")
    r.add_argument("--language", default="en", help="keep rows of this language (default en)")
    r.add_argument("--max-rows", type=int, default=0, help="at most this many rows (default 0: the whole slice)")
    r.add_argument("--force", action="store_true", help="replace an existing file")
    r.set_defaults(func=cmd_fetch_realdata)
    b = sub.add_parser("base-model", help="build the offline DistilBERT base model")
    b.add_argument("out", nargs="?", default="outputs/base-model")
    b.set_defaults(func=cmd_base_model)
    lx = sub.add_parser(
        "lexicon", help="write the value lexicon beside a trained model (models trained before it was saved)"
    )
    lx.add_argument("model", help="a model folder piimask trained (it holds params.yaml)")
    lx.set_defaults(func=cmd_lexicon)
    t = sub.add_parser("train", help="fine-tune on the run's splits here: one process, or N under accelerate launch")
    t.add_argument("--profile", default="default", help="params/<profile>.yaml (default: default)")
    t.add_argument(
        "--set", action="append", default=[], metavar="KEY=VALUE", help="override one parameter (repeatable)"
    )
    t.add_argument(
        "--nproc",
        type=int,
        default=0,
        help="processes (default: train_processes in params); above 1: accelerate launch, one per GPU or "
        "CPU processes over gloo",
    )
    t.set_defaults(func=cmd_train)
    sm = sub.add_parser(
        "sagemaker-train", help="fine-tune the run on a SageMaker training job; the model lands in outputs/<run>/model/"
    )
    sm.add_argument("--profile", default="default", help="params/<profile>.yaml: the run whose splits are trained on")
    sm.add_argument(
        "--overlay",
        default="params/overlays/sagemaker.yaml",
        help="SageMaker settings stacked on the profile (default: params/overlays/sagemaker.yaml)",
    )
    sm.add_argument(
        "--set", action="append", default=[], metavar="KEY=VALUE", help="override one parameter (repeatable)"
    )
    w = sm.add_mutually_exclusive_group()
    w.add_argument("--no-wait", action="store_true", help="submit and return; --attach the job later")
    w.add_argument("--attach", metavar="JOB", help="wait for a submitted job and download its model")
    sm.set_defaults(func=cmd_sagemaker_train)
    from .pipeline.commands import add_commands  # run <stage>, stamp: the lab's commands

    add_commands(sub)
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except (ValueError, OSError) as exc:  # InputError is a ValueError; a missing model an OSError
        print(f"piimask: error: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
