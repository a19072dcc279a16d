"""Typed run parameters: stacked YAML profiles in, one frozen, self-checking dataclass out.

``params/base.yaml`` holds every key with its default; a profile (``default.yaml``,
``smoke.yaml``, ``bedrock.yaml``, ...) overrides some of them. Keys are flat because papermill
merges parameter files shallowly. Every key is checked when params are made, before any stage
runs: an unknown key or a bad value fails with one line per problem, naming the key, the value
and what is allowed.
"""

from __future__ import annotations

import copy
import dataclasses
import difflib
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from .languages import language_problems
from .spans import STYLES as MASK_STYLES
from .taxonomy import CLASSES
from .values import LOCALES

# Every key's default lives once, in base.yaml (packaged here; params/base.yaml links to it).
DEFAULTS: dict[str, Any] = yaml.safe_load((resources.files("piimask.core") / "base.yaml").read_text())


def _default_factory(key: str):
    return field(default_factory=lambda: copy.deepcopy(DEFAULTS[key]))


BACKENDS = ("offline", "bedrock", "bedrock-batch")
TRAIN_ON = ("local", "sagemaker")
TRAIN_SAMPLING = ("random", "group_by_length")
DISTRIBUTIONS = ("none", "torchrun")  # SageMaker: one process per instance, or one per GPU (torchrun)
# report_to -> the package it needs (transformers' integration does the logging)
TRACKERS = {"none": None, "tensorboard": "tensorboard", "mlflow": "mlflow"}
STRATEGIES = ("random", "iterate", "balanced")
MAX_RECORDS = 200_000  # a sanity bound: planning alone holds every request in memory


@dataclass(frozen=True)
class Params:
    # -- run
    run_name: str = DEFAULTS["run_name"]
    output_root: str = DEFAULTS["output_root"]
    seed: int = DEFAULTS["seed"]
    language: str = DEFAULTS["language"]
    locales: list = _default_factory("locales")  # values of English texts
    languages: list = _default_factory("languages")  # codes, or {code: weight}
    # -- generate
    record_share: float = DEFAULTS["record_share"]  # offline: share of texts written as records
    bracket_share: float = DEFAULTS["bracket_share"]  # share of texts whose values keep brackets
    backend: str = DEFAULTS["backend"]
    strategy: str = DEFAULTS["strategy"]
    n_records: int = DEFAULTS["n_records"]
    fields: list = _default_factory("fields")
    styles: list = _default_factory("styles")
    min_class_count: int = DEFAULTS["min_class_count"]
    settle_lookalikes: bool = DEFAULTS["settle_lookalikes"]  # one class per look-alike pair (taxonomy.SETTLED)
    settle_dates: bool = DEFAULTS["settle_dates"]  # full calendar dates recorded as DOB (taxonomy.FULL_DATE)
    extra_classes: int = DEFAULTS["extra_classes"]
    reference_dataset: str = DEFAULTS["reference_dataset"]
    reference_split: str = DEFAULTS["reference_split"]
    model_id: str = DEFAULTS["model_id"]
    region: str | None = DEFAULTS["region"]  # None: the AWS session's region
    aws_profile: str = DEFAULTS["aws_profile"]  # '': the default credential chain
    temperature_min: float = DEFAULTS["temperature_min"]
    temperature_max: float = DEFAULTS["temperature_max"]
    top_p: float = DEFAULTS["top_p"]
    max_tokens: int = DEFAULTS["max_tokens"]
    concurrency: int = DEFAULTS["concurrency"]
    max_retries: int = DEFAULTS["max_retries"]
    request_timeout_s: float = DEFAULTS["request_timeout_s"]
    min_chars: int = DEFAULTS["min_chars"]
    max_chars: int = DEFAULTS["max_chars"]
    batch_bucket: str = DEFAULTS["batch_bucket"]
    batch_prefix: str = DEFAULTS["batch_prefix"]
    batch_role_arn: str = DEFAULTS["batch_role_arn"]
    batch_poll_s: float = DEFAULTS["batch_poll_s"]
    prices: dict = _default_factory("prices")
    # -- label / validate
    tokenizer: str = DEFAULTS["tokenizer"]
    validation_fraction: float = DEFAULTS["validation_fraction"]
    test_fraction: float = DEFAULTS["test_fraction"]
    # -- train
    base_model: str = DEFAULTS["base_model"]
    learning_rate: float = DEFAULTS["learning_rate"]
    num_train_epochs: float = DEFAULTS["num_train_epochs"]
    per_device_train_batch_size: int = DEFAULTS["per_device_train_batch_size"]
    per_device_eval_batch_size: int = DEFAULTS["per_device_eval_batch_size"]
    warmup_ratio: float = DEFAULTS["warmup_ratio"]
    weight_decay: float = DEFAULTS["weight_decay"]
    gradient_accumulation_steps: int = DEFAULTS["gradient_accumulation_steps"]
    max_length: int = DEFAULTS["max_length"]
    max_train_records: int = DEFAULTS["max_train_records"]
    pack_fraction: float = DEFAULTS["pack_fraction"]
    split_currency_signs: bool = DEFAULTS["split_currency_signs"]  # a sign is a word of its own
    case_markers: bool = DEFAULTS["case_markers"]  # markers before capitalised words (uncased bases)
    max_steps: int = DEFAULTS["max_steps"]
    early_stopping_patience: int = DEFAULTS["early_stopping_patience"]
    train_sampling: str = DEFAULTS["train_sampling"]  # random, or group_by_length (less padding)
    value_lexicon: bool = DEFAULTS["value_lexicon"]  # save value_lexicon.json beside the model
    report_to: str = DEFAULTS["report_to"]  # tracking: none, tensorboard (<run>/tensorboard/) or mlflow
    train_on: str = DEFAULTS["train_on"]  # local: this machine; sagemaker: a SageMaker training job
    train_processes: int = DEFAULTS[
        "train_processes"
    ]  # local: above 1, `accelerate launch` runs that many (one per GPU, or CPU processes)
    # -- train on SageMaker (train_on: sagemaker)
    sagemaker_image_uri: str = DEFAULTS["sagemaker_image_uri"]
    sagemaker_role_arn: str = DEFAULTS["sagemaker_role_arn"]
    sagemaker_bucket: str = DEFAULTS["sagemaker_bucket"]
    sagemaker_prefix: str = DEFAULTS["sagemaker_prefix"]
    sagemaker_region: str = DEFAULTS["sagemaker_region"]  # '': the same as region
    sagemaker_instance_type: str = DEFAULTS["sagemaker_instance_type"]
    sagemaker_instance_count: int = DEFAULTS["sagemaker_instance_count"]
    sagemaker_distribution: str = DEFAULTS["sagemaker_distribution"]
    sagemaker_volume_gb: int = DEFAULTS["sagemaker_volume_gb"]
    sagemaker_spot: bool = DEFAULTS["sagemaker_spot"]
    sagemaker_max_run_s: int = DEFAULTS["sagemaker_max_run_s"]
    sagemaker_max_wait_s: int = DEFAULTS["sagemaker_max_wait_s"]
    sagemaker_poll_s: float = DEFAULTS["sagemaker_poll_s"]
    # -- evaluate
    external_datasets: list = _default_factory("external_datasets")
    label_maps: dict = _default_factory("label_maps")
    max_eval_rows: int = DEFAULTS["max_eval_rows"]
    # -- mask
    mask_style: str = DEFAULTS["mask_style"]
    score_threshold: float | None = DEFAULTS["score_threshold"]  # None: the model's masking.json (chosen in 06)
    class_thresholds: dict = _default_factory("class_thresholds")
    mask_thresholds: list = _default_factory("mask_thresholds")
    max_leak_rate: float = DEFAULTS["max_leak_rate"]
    max_over_mask_rate: float = DEFAULTS["max_over_mask_rate"]
    mask_leak_targets: dict = _default_factory("mask_leak_targets")
    window_tokens: int = DEFAULTS["window_tokens"]
    window_stride: int = DEFAULTS["window_stride"]
    # -- publish (opt-in; notebook 06 pushes the model folder and the dataset once everything is in them)
    push_to_hub: bool = DEFAULTS["push_to_hub"]
    hub_model_id: str = DEFAULTS["hub_model_id"]
    hub_dataset_id: str = DEFAULTS["hub_dataset_id"]
    hub_private: bool = DEFAULTS["hub_private"]
    # -- guard
    allow_large_run: bool = DEFAULTS["allow_large_run"]  # lift the n_records sanity bound (MAX_RECORDS)

    def __post_init__(self):
        problems = _problems(self)
        if problems:
            raise ValueError("\n".join(f"params: {p}" for p in problems))

    # -- derived paths (all relative to the project root unless absolute)
    @property
    def run_dir(self) -> Path:
        return resolve_path(self.output_root) / self.run_name

    @property
    def data_dir(self) -> Path:
        return self.run_dir / "data"

    @property
    def model_dir(self) -> Path:
        return self.run_dir / "model"

    @property
    def figures_dir(self) -> Path:
        return self.run_dir / "figures"

    def path(self, value: str) -> Path:
        return resolve_path(value)

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)

    def save(self, path: str | Path | None = None) -> Path:
        path = Path(path) if path else self.run_dir / "params.yaml"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(yaml.safe_dump(self.to_dict(), sort_keys=False, allow_unicode=True))
        return path


# -- validation: every key, when params are made, before any stage runs ------------------------

_POSITIVE, _NON_NEGATIVE, _AT_LEAST_1 = (
    (lambda v: v > 0, "must be positive"),
    (lambda v: v >= 0, "must be 0 or more"),
    (lambda v: v >= 1, "must be at least 1"),
)

# numeric key -> (test, what is allowed)
RANGES: dict[str, tuple[Callable[[Any], bool], str]] = {
    "seed": _NON_NEGATIVE,
    "n_records": _AT_LEAST_1,
    "min_class_count": _NON_NEGATIVE,
    "extra_classes": _NON_NEGATIVE,
    "temperature_min": (lambda v: 0 <= v <= 1.5, "must lie in [0, 1.5]"),
    "temperature_max": (lambda v: 0 <= v <= 1.5, "must lie in [0, 1.5]"),
    "top_p": (lambda v: 0 < v <= 1, "must lie in (0, 1]"),
    "max_tokens": _AT_LEAST_1,
    "concurrency": _AT_LEAST_1,
    "max_retries": (lambda v: v >= 0, "must be 0 or more (0: one attempt, no retry)"),
    "request_timeout_s": _POSITIVE,
    "min_chars": _NON_NEGATIVE,
    "max_chars": _AT_LEAST_1,
    "batch_poll_s": (lambda v: v > 0, "must be positive (seconds between job status checks)"),
    "record_share": (lambda v: 0 <= v <= 1, "must lie in [0, 1] (a share of the offline texts)"),
    "bracket_share": (lambda v: 0 <= v <= 1, "must lie in [0, 1] (a share of the texts)"),
    "validation_fraction": (lambda v: 0 < v < 0.5, "must lie strictly between 0 and 0.5"),
    "test_fraction": (lambda v: 0 < v < 0.5, "must lie strictly between 0 and 0.5"),
    "learning_rate": (lambda v: 0 < v < 1, "must lie in (0, 1)"),
    "num_train_epochs": _POSITIVE,
    "per_device_train_batch_size": _AT_LEAST_1,
    "per_device_eval_batch_size": _AT_LEAST_1,
    "warmup_ratio": (lambda v: 0 <= v < 1, "must lie in [0, 1)"),
    "weight_decay": (lambda v: 0 <= v < 1, "must lie in [0, 1)"),
    "gradient_accumulation_steps": _AT_LEAST_1,
    "max_length": (lambda v: 8 <= v <= 512, "must lie in 8..512"),
    "max_train_records": (lambda v: v >= 0, "must be 0 (all) or more"),
    "pack_fraction": (lambda v: 0 <= v <= 1, "must lie in 0..1"),
    "max_steps": (lambda v: v == -1 or v >= 1, "must be -1 (train for num_train_epochs) or at least 1"),
    "early_stopping_patience": (lambda v: v >= 0, "must be 0 (off) or more"),
    "train_processes": (lambda v: v >= 1, "must be at least 1 (1: this process; more: `accelerate launch`)"),
    "sagemaker_instance_count": _AT_LEAST_1,
    "sagemaker_volume_gb": (lambda v: 1 <= v <= 16384, "must lie in 1..16384 (GB of disk per instance)"),
    "sagemaker_max_run_s": (lambda v: 1 <= v <= 2_419_200, "must lie in 1..2419200 (seconds; at most 28 days)"),
    "sagemaker_max_wait_s": (lambda v: 1 <= v <= 2_419_200, "must lie in 1..2419200 (seconds; at most 28 days)"),
    "sagemaker_poll_s": (lambda v: v > 0, "must be positive (seconds between job status checks)"),
    "max_eval_rows": (lambda v: v >= 0, "must be 0 (all) or more"),
    "score_threshold": (
        lambda v: v is None or 0 < v <= 1,
        "must be null (the threshold in the model's masking.json) or a number in (0, 1]",
    ),
    "window_tokens": (lambda v: 16 <= v <= 512, "must lie in 16..512"),
    "max_leak_rate": (lambda v: 0 <= v <= 1, "must lie in [0, 1] (a share of PII characters)"),
    "max_over_mask_rate": (lambda v: 0 <= v <= 1, "must lie in [0, 1] (a share of non-PII characters)"),
    "window_stride": _NON_NEGATIVE,
}

# string key -> (pattern the whole value must match, what is allowed)
PATTERNS: dict[str, tuple[str, str]] = {
    "run_name": (r"[A-Za-z0-9][A-Za-z0-9._-]*", "must be a folder name: letters, digits, '.', '_', '-'"),
    "output_root": (r".*\S.*", "must name a folder"),
    "language": (r"[a-z]{2,3}", "must be a language code such as 'en'"),
    "reference_dataset": (r".*\S.*", "must be 'package', a local file or folder, or a hub id"),
    "reference_split": (r".*\S.*", "must name a split such as 'train'"),
    "model_id": (r"\S+", "must be a model id such as 'anthropic.claude-3-haiku-20240307-v1:0'"),
    "region": (
        r"[a-z]{2}(-[a-z]+)+-\d+",
        "must be null (the AWS session's region) or an AWS region such as 'us-east-1'",
    ),
    "aws_profile": (
        r"|[A-Za-z0-9_.+=,@:/-]+",
        "must be '' (the default credential chain) or a profile name from ~/.aws/config, without spaces",
    ),
    "batch_bucket": (
        r"|[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]",
        "must be '' or an S3 bucket name (lower case, digits, '.', '-')",
    ),
    "batch_prefix": (r"[^\s]*[^\s/][^\s]*", "must be an S3 key prefix without spaces, such as 'piimask-batch'"),
    "batch_role_arn": (
        r"|arn:aws[a-z-]*:iam::\d{12}:role/\S+",
        "must be '' or an IAM role ARN such as 'arn:aws:iam::123456789012:role/BedrockBatch'",
    ),
    "sagemaker_image_uri": (
        r"|\d{12}\.dkr\.ecr\.[a-z0-9-]+\.amazonaws\.com(\.cn)?/[a-z0-9][a-z0-9._/-]*(:[\w.-]+|@sha256:[0-9a-f]{64})",
        "must be '' or an ECR image URI such as "
        "'763104351884.dkr.ecr.us-east-1.amazonaws.com/huggingface-pytorch-training:<tag>'",
    ),
    "sagemaker_role_arn": (
        r"|arn:aws[a-z-]*:iam::\d{12}:role/\S+",
        "must be '' or an IAM role ARN such as 'arn:aws:iam::123456789012:role/SageMakerExecution'",
    ),
    "sagemaker_bucket": (
        r"|[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]",
        "must be '' or an S3 bucket name (lower case, digits, '.', '-')",
    ),
    "sagemaker_prefix": (r"[^\s]*[^\s/][^\s]*", "must be an S3 key prefix without spaces, such as 'piimask-train'"),
    "sagemaker_region": (
        r"|[a-z]{2}(-[a-z]+)+-\d+",
        "must be '' (the same as region) or an AWS region such as 'us-east-1'",
    ),
    "sagemaker_instance_type": (
        r"ml\.[a-z0-9-]+\.[a-z0-9-]+",
        "must be a SageMaker instance type such as 'ml.g5.xlarge'",
    ),
    "tokenizer": (r".*\S.*", "must be a local folder or a hub id"),
    "base_model": (r".*\S.*", "must be a local folder or a hub id"),
    "hub_model_id": (
        r"|[A-Za-z0-9][\w.-]*/[A-Za-z0-9][\w.-]*",
        "must be '' or a hub repo id such as 'your-name/piimask-pii-tagger'",
    ),
    "hub_dataset_id": (
        r"|[A-Za-z0-9][\w.-]*/[A-Za-z0-9][\w.-]*",
        "must be '' (the dataset is not pushed) or a hub repo id such as 'your-name/piimask-pii-data'",
    ),
}

_KINDS = {"bool": bool, "int": int, "float": float, "str": str, "list": list, "dict": dict}
_TYPES = {bool: bool, int: int, float: (int, float), str: str, list: list, dict: dict}
_TYPE_NAMES = {
    bool: "true or false",
    int: "a whole number",
    float: "a number",
    str: "a string",
    list: "a list",
    dict: "a mapping",
}


def _suggest(value: Any, allowed) -> str:
    close = difflib.get_close_matches(str(value), [str(a) for a in allowed], n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


def _installed(package: str | None) -> bool:
    import importlib.util

    return package is None or importlib.util.find_spec(package) is not None


def _is_number(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def _problems(p: Params) -> list[str]:
    """Every bad value of ``p``, each as ``key=value <what is allowed>`` (empty: all good)."""
    problems: list[str] = []
    bad_keys: set[str] = set()

    def bad(key: str, why: str) -> None:
        bad_keys.add(key)
        problems.append(f"{key}={getattr(p, key)!r} {why}")

    for f in dataclasses.fields(p):  # types first: the checks below may then compare freely
        kind = _KINDS[f.type.split(" | ")[0]]
        v = getattr(p, f.name)
        if f.type.endswith("| None"):  # null: ask the run's model or the environment (region: the AWS session's)
            if kind is str and v is not None and not isinstance(v, str):
                bad(f.name, f"must be null or a string, not {type(v).__name__}")
            elif kind is not str and v is not None and not _is_number(v):
                bad(f.name, f"must be null or a number, not {type(v).__name__}")
            continue
        if not isinstance(v, _TYPES[kind]) or (kind is not bool and isinstance(v, bool)):
            hint = ""
            if isinstance(v, str) and kind in (int, float):
                hint = (
                    " (YAML reads 1e9 as text: write 1000000000 or 1.0e+9)"
                    if re.fullmatch(r"[\d.]+e[+-]?\d+", v)
                    else ""
                )
            elif isinstance(v, float) and kind is int and v.is_integer():
                hint = f" (write {int(v)})"
            bad(f.name, f"must be {_TYPE_NAMES[kind]}, not {type(v).__name__}{hint}")
    ok = lambda *keys: not bad_keys.intersection(keys)  # noqa: E731

    for key, (test, allowed) in RANGES.items():
        if ok(key) and not test(getattr(p, key)):
            bad(key, allowed)
    for key, (pattern, allowed) in PATTERNS.items():
        if ok(key) and getattr(p, key) is not None and not re.fullmatch(pattern, getattr(p, key)):
            bad(key, allowed)
    for key, allowed in (
        ("backend", BACKENDS),
        ("strategy", STRATEGIES),
        ("mask_style", MASK_STYLES),
        ("train_on", TRAIN_ON),
        ("train_sampling", TRAIN_SAMPLING),
        ("sagemaker_distribution", DISTRIBUTIONS),
        ("report_to", tuple(TRACKERS)),
    ):
        if ok(key) and getattr(p, key) not in allowed:
            bad(key, f"is not one of {', '.join(allowed)}{_suggest(getattr(p, key), allowed)}")
    if ok("locales"):
        unknown = [loc for loc in p.locales if loc not in LOCALES]
        if not p.locales or unknown:
            bad(
                "locales",
                f"must list locales piimask makes values for: {', '.join(LOCALES)}"
                + (_suggest(unknown[0], LOCALES) if unknown else ""),
            )
    if ok("languages"):
        for problem in language_problems(p.languages):
            bad("languages", problem)
    if ok("mask_thresholds") and (
        not p.mask_thresholds or not all(_is_number(t) and 0 < t <= 1 for t in p.mask_thresholds)
    ):
        bad("mask_thresholds", "must list numbers in (0, 1]")
    for key in ("fields", "styles"):
        if ok(key) and (not getattr(p, key) or not all(isinstance(x, str) and x.strip() for x in getattr(p, key))):
            bad(key, "must be a list of at least one non-empty name")

    # -- keys that depend on each other
    if ok("n_records", "allow_large_run") and p.n_records > MAX_RECORDS and not p.allow_large_run:
        bad(
            "n_records",
            f"is above the sanity bound of {MAX_RECORDS:,} (planning alone holds every request in "
            "memory); set allow_large_run: true to run it anyway",
        )
    if ok("temperature_min", "temperature_max") and p.temperature_min > p.temperature_max:
        bad("temperature_min", f"must not exceed temperature_max={p.temperature_max}")
    if ok("min_chars", "max_chars") and p.min_chars >= p.max_chars:
        bad("min_chars", f"must be below max_chars={p.max_chars}")
    if ok("window_stride", "window_tokens") and p.window_stride >= p.window_tokens:
        bad("window_stride", f"must be below window_tokens={p.window_tokens}")
    if ok("report_to") and p.report_to in TRACKERS and not _installed(TRACKERS[p.report_to]):
        install = (
            "pip install -e '.[track]'" if p.report_to == "tensorboard" else f"pip install {TRACKERS[p.report_to]}"
        )
        bad(
            "report_to",
            f"needs the {TRACKERS[p.report_to]} package, which is not installed here: {install}, "
            "or set report_to: none",
        )
    if ok("push_to_hub", "hub_model_id") and p.push_to_hub and not p.hub_model_id:
        bad("hub_model_id", "must name the model repo ('your-name/piimask-pii-tagger') when push_to_hub is true")
    if ok("backend", "batch_bucket", "batch_role_arn") and p.backend == "bedrock-batch":
        for key in ("batch_bucket", "batch_role_arn"):
            if not getattr(p, key):
                bad(key, "must be set when backend is 'bedrock-batch' (see params/bedrock-batch.yaml)")

    if ok("train_on", "sagemaker_image_uri", "sagemaker_role_arn", "sagemaker_bucket") and p.train_on == "sagemaker":
        for key in ("sagemaker_image_uri", "sagemaker_role_arn", "sagemaker_bucket"):
            if not getattr(p, key):
                bad(key, "must be set when train_on is 'sagemaker' (see params/overlays/sagemaker.yaml)")
    if ok("train_on", "train_processes") and p.train_on == "sagemaker" and p.train_processes > 1:
        bad(
            "train_processes",
            "applies to local training only; on SageMaker set sagemaker_distribution: torchrun "
            "(one process per GPU) and sagemaker_instance_count",
        )
    if (
        ok("sagemaker_spot", "sagemaker_max_wait_s", "sagemaker_max_run_s")
        and p.sagemaker_spot
        and p.sagemaker_max_wait_s < p.sagemaker_max_run_s
    ):
        bad(
            "sagemaker_max_wait_s",
            f"must be at least sagemaker_max_run_s={p.sagemaker_max_run_s} with spot "
            "instances (it counts the wait for capacity as well as the run)",
        )

    # -- mappings and lists of mappings
    if ok("class_thresholds"):
        for label, t in p.class_thresholds.items():
            if label not in CLASSES:
                bad("class_thresholds", f"names {label!r}, which is not a class{_suggest(label, CLASSES)}")
            elif not _is_number(t) or not 0 <= t <= 1:
                bad("class_thresholds", f"gives {label} the threshold {t!r}; a threshold must be a number in [0, 1]")
    if ok("mask_leak_targets", "external_datasets"):
        names = [spec["name"] for spec in p.external_datasets if isinstance(spec, dict) and "name" in spec]
        for key, t in p.mask_leak_targets.items():
            name, _, code = str(key).rpartition(" ") if str(key) not in names else (str(key), "", "")
            if name not in names[1:]:
                first = f" ({names[0]} is the one the threshold is chosen on: max_leak_rate)" if names else ""
                bad(
                    "mask_leak_targets",
                    f"names {key!r}, which is not an external dataset after the first, with or without "
                    f"a language code{first}; these are: {', '.join(names[1:]) or 'none'}",
                )
            elif code and not re.fullmatch(r"[a-z]{2}|other", code):
                bad("mask_leak_targets", f"names {key!r}: after the dataset name comes a language code such as 'fr'")
            elif not _is_number(t) or not 0 < t <= 1:
                bad("mask_leak_targets", f"gives {key!r} the leak target {t!r}; it must be a number in (0, 1]")
    if ok("prices"):
        for model, price in p.prices.items():
            if model == "_note":
                continue
            if model == "batch_discount":
                if not _is_number(price) or not 0 < price <= 1:
                    bad("prices", f"has batch_discount={price!r}; it must lie in (0, 1]")
            elif not (
                isinstance(price, dict)
                and set(price) == {"input", "output"}
                and all(_is_number(x) and x >= 0 for x in price.values())
            ):
                bad(
                    "prices",
                    f"has {model}: {price!r}; a price is {{input: <USD>, output: <USD>}} per 1,000 tokens, "
                    "each 0 or more",
                )
    if ok("label_maps"):
        for name, mapping in p.label_maps.items():
            if not isinstance(mapping, dict):
                bad(
                    "label_maps",
                    f"has {name}: {mapping!r}; a label map is a mapping from a dataset's labels to piimask's classes",
                )
                continue
            for label, cls in mapping.items():
                if cls != "" and cls not in CLASSES:
                    bad(
                        "label_maps",
                        f"maps {name}.{label} to {cls!r}, which is not a class (write a class, or "
                        f"'' to drop the label){_suggest(cls, CLASSES)}",
                    )
    if ok("external_datasets", "label_maps"):
        for spec in p.external_datasets:
            keys = {"name", "path", "label_map", "split", "language"}
            if not (
                isinstance(spec, dict)
                and set(spec) <= keys
                and {"name", "path"} <= set(spec)
                and all(isinstance(spec[k], str) for k in spec)
                and spec["name"]
                and spec["path"]
            ):
                bad(
                    "external_datasets",
                    f"has {spec!r}; an entry is {{name, path, label_map, split, language}}: "
                    "name and path non-empty, label_map '' or a key of label_maps; split and "
                    "language only for a hub id",
                )
            elif spec.get("label_map") and spec["label_map"] not in p.label_maps:
                bad(
                    "external_datasets",
                    f"has {spec['name']!r} with label_map {spec['label_map']!r}, which is not "
                    f"in label_maps ({', '.join(p.label_maps)})",
                )
    return problems


PARAM_KEYS = tuple(f.name for f in dataclasses.fields(Params))


def project_root(start: str | Path | None = None) -> Path:
    """The folder holding ``params/base.yaml``, searched upward from ``start`` (the cwd)."""
    here = Path(start or Path.cwd()).resolve()
    for p in (here, *here.parents):
        if (p / "params" / "base.yaml").exists():
            return p
    return here


def resolve_path(value: str | Path) -> Path:
    p = Path(value).expanduser()
    return p if p.is_absolute() else project_root() / p


def resolve_model(name: str) -> str:
    """A local model folder (relative to the project root) if it exists, else the name as a hub id."""
    local = resolve_path(name)
    return str(local) if local.exists() else name


def from_mapping(raw: Mapping[str, Any], strict: bool = True) -> Params:
    """Build ``Params`` from a flat mapping; unknown keys fail with a suggestion when ``strict``."""
    unknown = [k for k in raw if k not in PARAM_KEYS]
    if unknown and strict:
        hints = []
        for k in unknown:
            close = difflib.get_close_matches(k, PARAM_KEYS, n=1)
            hints.append(f"{k!r}" + (f" (did you mean {close[0]!r}?)" if close else ""))
        raise ValueError(f"params: unknown key(s) {', '.join(hints)}; the keys are listed in params/base.yaml")
    return Params(**{k: v for k, v in raw.items() if k in PARAM_KEYS})


def read_yaml(path: str | Path) -> dict:
    data = yaml.safe_load(Path(path).read_text()) or {}
    if not isinstance(data, dict):
        raise ValueError(f"{path}: a params file must be a mapping of flat keys")
    return data


def load_params(
    profile: str = "default", overrides: Mapping[str, Any] | None = None, params_dir: str | Path | None = None
) -> Params:
    """``base.yaml``, then ``<profile>.yaml``, then ``overrides``; later keys win."""
    pdir = Path(params_dir) if params_dir else project_root() / "params"
    raw = read_yaml(pdir / "base.yaml")
    if profile and profile != "base":
        prof = pdir / f"{profile}.yaml"
        if not prof.exists():
            names = sorted(p.stem for p in pdir.glob("*.yaml"))
            raise FileNotFoundError(f"no profile {profile!r} in {pdir}; available: {', '.join(names)}")
        raw.update(read_yaml(prof))
    raw.update(overrides or {})
    return from_mapping(raw)


def from_notebook(namespace: Mapping[str, Any]) -> Params:
    """Params for a notebook: its ``profile``, then its ``overrides`` dict (both set in the
    parameters cell, or injected by papermill: ``-p profile smoke -y "overrides: {n_records: 500}"``).

    A params key set as a plain variable would not be read, so it is an error, not a silent no-op.

    In a Jupyter kernel it also readies the kernel for a report: the libraries' progress bars go
    off (piimask's own stages print a few plain lines instead, see ``piimask.core.progress``).
    """
    from .progress import in_kernel, quiet_libraries

    if in_kernel():
        quiet_libraries()
    stray = [k for k in PARAM_KEYS if k in namespace]
    if stray:
        raise ValueError(
            f"params: the notebook sets {', '.join(stray)} as variables, which are not read; "
            f"write them into overrides instead, e.g. overrides = {{{stray[0]!r}: ...}}"
        )
    overrides = namespace.get("overrides") or {}
    if not isinstance(overrides, Mapping):
        raise ValueError(f"params: overrides must be a dict of params keys, not {type(overrides).__name__}")
    return load_params(namespace.get("profile") or "default", overrides)
