"""Typed run parameters: stacked YAML profiles in, one frozen, self-checking dataclass out.

``params/base.yaml`` holds every key with its default; a profile (``default.yaml``,
``smoke.yaml``, ``bedrock.yaml``, ...) overrides some of them. Keys are flat because papermill
merges parameter files shallowly. An unknown key or a bad value fails at once, naming the key.
"""
from __future__ import annotations

import dataclasses
import difflib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

import yaml

DEFAULT_FIELDS = ["Education", "Medical", "Psychology", "Finance", "Insurance", "Legal",
                  "Real Estate", "Business", "Science", "Technology", "Human Resources"]
DEFAULT_STYLES = ["email", "casual conversation", "notification", "formal document", "blog post",
                  "social media post", "academic paper", "presentation", "review"]
BACKENDS = ("offline", "bedrock", "bedrock-batch")
STRATEGIES = ("random", "iterate", "balanced")


@dataclass(frozen=True)
class Params:
    # -- run
    run_name: str = "default"
    output_root: str = "outputs"
    seed: int = 42
    language: str = "en"
    locales: list = field(default_factory=lambda: ["en_US", "en_GB"])
    # -- generate
    backend: str = "offline"
    strategy: str = "random"
    n_records: int = 7500
    fields: list = field(default_factory=lambda: list(DEFAULT_FIELDS))
    styles: list = field(default_factory=lambda: list(DEFAULT_STYLES))
    min_class_count: int = 30
    extra_classes: int = 2
    reference_dataset: str = "package"
    reference_split: str = "train"
    model_id: str = "anthropic.claude-3-haiku-20240307-v1:0"
    region: str = "us-east-1"
    temperature_min: float = 0.7
    temperature_max: float = 1.0
    top_p: float = 0.95
    max_tokens: int = 700
    concurrency: int = 8
    max_retries: int = 6
    request_timeout_s: float = 60.0
    min_chars: int = 30
    max_chars: int = 700
    batch_bucket: str = ""
    batch_prefix: str = "piimask-batch"
    batch_role_arn: str = ""
    batch_poll_s: float = 60.0
    prices: dict = field(default_factory=dict)
    # -- label / validate
    tokenizer: str = "outputs/base-model"
    validation_fraction: float = 0.1
    test_fraction: float = 0.1
    # -- train
    base_model: str = "outputs/base-model"
    learning_rate: float = 5e-4
    num_train_epochs: float = 2.0
    per_device_train_batch_size: int = 32
    per_device_eval_batch_size: int = 64
    warmup_ratio: float = 0.1
    weight_decay: float = 0.01
    gradient_accumulation_steps: int = 1
    max_length: int = 128
    max_train_records: int = 0
    max_steps: int = -1
    early_stopping_patience: int = 0
    # -- evaluate
    external_datasets: list = field(default_factory=list)
    label_maps: dict = field(default_factory=dict)
    max_eval_rows: int = 0
    # -- mask
    mask_style: str = "[LABEL_n]"
    score_threshold: float | None = None  # None: the model's masking.json (chosen in 06)
    class_thresholds: dict = field(default_factory=dict)
    mask_thresholds: list = field(default_factory=lambda: [0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.35, 0.4, 0.45, 0.5,
                                                           0.6, 0.7, 0.8, 0.9])
    max_leak_rate: float = 0.005
    max_over_mask_rate: float = 0.03
    window_tokens: int = 256
    window_stride: int = 64

    def __post_init__(self):
        def bad(key: str, why: str):
            raise ValueError(f"params: {key}={getattr(self, key)!r} {why}")

        for f in dataclasses.fields(self):
            v = getattr(self, f.name)
            want = {int: int, float: (int, float), str: str, list: list, dict: dict}.get(
                type(f.default) if f.default is not dataclasses.MISSING else f.default_factory().__class__)
            if want and (not isinstance(v, want) or (want is int and isinstance(v, bool))):
                bad(f.name, f"must be of type {getattr(want, '__name__', 'number')}")
        if self.backend not in BACKENDS:
            bad("backend", f"is not one of {BACKENDS}")
        if self.strategy not in STRATEGIES:
            bad("strategy", f"is not one of {STRATEGIES}")
        if self.n_records < 1:
            bad("n_records", "must be at least 1")
        if not self.fields or not self.styles:
            bad("fields" if not self.fields else "styles", "must name at least one entry")
        if not 0 <= self.temperature_min <= self.temperature_max <= 1.5:
            bad("temperature_min", f"and temperature_max={self.temperature_max} must satisfy 0 <= min <= max <= 1.5")
        for key in ("validation_fraction", "test_fraction"):
            if not 0 < getattr(self, key) < 0.5:
                bad(key, "must lie strictly between 0 and 0.5")
        if self.min_chars >= self.max_chars:
            bad("min_chars", f"must be below max_chars={self.max_chars}")
        if self.concurrency < 1:
            bad("concurrency", "must be at least 1")
        if self.learning_rate <= 0:
            bad("learning_rate", "must be positive")
        if self.max_length < 8 or self.max_length > 512:
            bad("max_length", "must lie in 8..512")
        if self.score_threshold is not None and (isinstance(self.score_threshold, bool) or not isinstance(
                self.score_threshold, (int, float)) or not 0 < self.score_threshold <= 1):
            bad("score_threshold", "must be null (the model's masking.json) or a number in (0, 1]")
        if not self.mask_thresholds or not all(isinstance(t, (int, float)) and 0 < t <= 1 for t in self.mask_thresholds):
            bad("mask_thresholds", "must list numbers in (0, 1]")
        if self.window_stride >= self.window_tokens:
            bad("window_stride", f"must be below window_tokens={self.window_tokens}")

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
    def reports_dir(self) -> Path:
        return self.run_dir / "reports"

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

    def digest(self, keys: list[str] | None = None) -> str:
        """A short hash of some keys (all by default), for caching and provenance."""
        import hashlib

        d = self.to_dict()
        d = {k: d[k] for k in (keys or sorted(d))}
        return hashlib.sha256(json.dumps(d, sort_keys=True, default=str).encode()).hexdigest()[:12]


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


def load_params(profile: str = "default", overrides: Mapping[str, Any] | None = None,
                params_dir: str | Path | None = None) -> Params:
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
    """Params for a notebook: its ``profile``, then the parameters it sets to non-default values.

    A parameters cell holds base.yaml's defaults; papermill injects the profile's values after
    it. Only values that differ from base.yaml count as overrides, so running a notebook by hand
    with ``profile = "smoke"`` gives the smoke profile, not base values.
    """
    base = read_yaml(project_root() / "params" / "base.yaml")
    overrides = {k: namespace[k] for k in PARAM_KEYS if k in namespace and namespace[k] != base.get(k)}
    return load_params(namespace.get("profile", "default"), overrides)
