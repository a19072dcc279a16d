"""The six stages as functions: ``run_<stage>(params)`` writes the stage's files and returns what
the notebook shows. The notebooks call these and then display and explain; ``python -m piimask
<stage>`` runs one without Jupyter; the Makefile runs the notebooks.

Each stage declares the params keys it reads (``STAGE_KEYS``): the Makefile rebuilds a stage when
one of those keys changes (``stamp``), not when any key of the profile does. The files a stage
writes and their fields are listed in ``OUTPUTS`` (checked by tests/test_stages.py).
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from ..core import config, io
from ..core.config import Params

STAGES = ("generate", "label", "validate", "train", "evaluate", "mask")
NOTEBOOK_OF = {
    "generate": "01_generate",
    "label": "02_label",
    "validate": "03_validate",
    "train": "04_finetune",
    "evaluate": "05_evaluate",
    "mask": "06_mask",
}

# Keys that place a run (its folder), not what a stage computes: no stage rebuilds for them.
PLACE_KEYS = ("run_name", "output_root")
_GEN = (
    "seed",
    "language",
    "locales",
    "languages",
    "record_share",
    "bracket_share",
    "backend",
    "strategy",
    "n_records",
    "fields",
    "styles",
    "min_class_count",
    "settle_lookalikes",
    "settle_dates",
    "extra_classes",
    "reference_dataset",
    "reference_split",
    "model_id",
    "region",
    "aws_profile",
    "temperature_min",
    "temperature_max",
    "top_p",
    "max_tokens",
    "concurrency",
    "max_retries",
    "request_timeout_s",
    "min_chars",
    "max_chars",
    "batch_bucket",
    "batch_prefix",
    "batch_role_arn",
    "batch_poll_s",
    "prices",
    "allow_large_run",
)
_REAL = ("external_datasets", "label_maps", "max_eval_rows")
_WINDOWS = ("window_tokens", "window_stride")
STAGE_KEYS: dict[str, tuple[str, ...]] = {
    "generate": _GEN,
    "label": ("seed", "tokenizer", "validation_fraction", "test_fraction", "min_chars", "max_chars"),
    "validate": ("min_chars", "max_chars", "reference_dataset", "reference_split", "language", "tokenizer", *_REAL),
    "train": (
        "seed",
        "base_model",
        "learning_rate",
        "num_train_epochs",
        "per_device_train_batch_size",
        "per_device_eval_batch_size",
        "warmup_ratio",
        "weight_decay",
        "gradient_accumulation_steps",
        "max_length",
        "max_train_records",
        "pack_fraction",
        "split_currency_signs",
        "case_markers",
        "max_steps",
        "early_stopping_patience",
        "train_sampling",
        "value_lexicon",
        "report_to",
        "train_on",
        "train_processes",
        "sagemaker_image_uri",
        "sagemaker_role_arn",
        "sagemaker_bucket",
        "sagemaker_prefix",
        "sagemaker_region",
        "sagemaker_instance_type",
        "sagemaker_instance_count",
        "sagemaker_distribution",
        "sagemaker_volume_gb",
        "sagemaker_spot",
        "sagemaker_max_run_s",
        "sagemaker_max_wait_s",
        "sagemaker_poll_s",
    ),
    "evaluate": (*_REAL, *_WINDOWS),
    "mask": (
        *_REAL,
        *_WINDOWS,
        "mask_style",
        "score_threshold",
        "class_thresholds",
        "mask_thresholds",
        "max_leak_rate",
        "max_over_mask_rate",
        "mask_leak_targets",
        "model_id",
        "region",
        "aws_profile",
        "push_to_hub",
        "hub_model_id",
        "hub_dataset_id",
        "hub_private",
    ),
}

# stage -> {file under the run folder: the top-level fields it holds ([] for non-JSON files)}
OUTPUTS: dict[str, dict[str, list[str]]] = {
    "generate": {
        "params.yaml": [],
        "data/generated.jsonl": [],
        "generation.json": [
            "planned",
            "accepted",
            "rejected",
            "failed",
            "quarantined",
            "cost",
            "records_total",
            "records_accepted",
        ],
    },
    "label": {
        "data/splits/label2id.json": [],
        "data/splits/README.md": [],
        "data/rejected.jsonl": [],
        "label.json": ["accepted", "rejected", "reject_reasons", "splits"],
    },
    "validate": {
        "validation.json": [
            "stats",
            "splits",
            "group_overlap",
            "rejection_reasons",
            "reference_check",
            "reference_disagreements",
            "tokenizer",
        ],
        "realism.json": ["headline", "profiles", "lookalike_ceiling"],
    },
    "train": {"model/config.json": [], "model/params.yaml": [], "model/metrics.json": [], "model/README.md": []},
    "evaluate": {
        "metrics.json": ["datasets", "by_language", "external_datasets", "aggregation"],
        "metrics_per_class.csv": [],
        "model/README.md": [],
    },
    "mask": {
        "model/masking.json": ["score_threshold", "decision", "chosen_on", "rule", "curve"],
        "masking_curve.csv": [],
    },
}


def stamp_values(params: Params, stage: str) -> dict[str, Any]:
    """The values of the keys ``stage`` reads."""
    d = params.to_dict()
    return {k: d[k] for k in STAGE_KEYS[stage]}


def write_stamp(params: Params, stage: str, path: str | Path) -> bool:
    """Write the stage's key values to ``path`` only when they differ from what it holds, so its
    modification time says when they last changed. True when written."""
    path = Path(path)
    text = json.dumps(stamp_values(params, stage), indent=1, sort_keys=True, default=str) + "\n"
    if path.exists() and path.read_text() == text:
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return True


def _write_json(path: Path, data: dict, **kw) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=1, **kw))
    return path


# -- 01 generate -------------------------------------------------------------------------------


@dataclass
class Generated:
    summary: Any  # generate.GenerationSummary
    cost: dict
    model_id: str
    records: list = field(default_factory=list)

    @property
    def accepted(self) -> list:
        return [r for r in self.records if not r.reject_reasons]


def run_generate(params: Params, backend=None, progress: bool = True) -> Generated:
    """Write ``data/generated.jsonl`` (resuming), ``params.yaml`` and ``generation.json``."""
    from .generate import cost_table, generate, make_backend

    params.save()
    backend = backend or make_backend(params)
    summary = generate(params, backend=backend, progress=progress)
    records = io.read_records(params.data_dir / "generated.jsonl")
    accepted = sum(not r.reject_reasons for r in records)
    model_id = backend.model_id if params.backend != "offline" else "offline"
    cost = cost_table(summary.input_tokens, summary.output_tokens, max(summary.accepted, 1), params, model_id)
    _write_json(
        params.run_dir / "generation.json",
        {**summary.to_dict(), "cost": cost, "records_total": len(records), "records_accepted": accepted},
    )
    return Generated(summary, cost, model_id, records)


# -- 02 label ----------------------------------------------------------------------------------


@dataclass
class Labelled:
    accepted: list
    rejected: list
    splits: dict
    groups: dict
    splits_dir: Path


def run_label(params: Params) -> Labelled:
    """Gate the generated records, label them (spans -> BIO on the tokenizer's tokens), split them
    by template group without leaks; write ``data/splits/`` (with the dataset card, ``README.md``),
    ``data/rejected.jsonl`` and ``label.json``."""
    from transformers import AutoTokenizer

    from . import cards, dataset, validate

    records = io.read_records(params.data_dir / "generated.jsonl")
    accepted, rejected = validate.gate(records, params.min_chars, params.max_chars)
    tokenizer = AutoTokenizer.from_pretrained(config.resolve_model(params.tokenizer))
    dataset.label_records(accepted, tokenizer, params.tokenizer)
    splits = dataset.split_records(accepted, params.validation_fraction, params.test_fraction, params.seed)
    groups = dataset.assert_no_leak(splits)
    out = dataset.save_splits(
        splits, params.data_dir / "splits", card=cards.dataset_card(params, splits, rejected=len(rejected))
    )
    io.write_records(params.data_dir / "rejected.jsonl", rejected)
    _write_json(
        params.run_dir / "label.json",
        {
            "accepted": len(accepted),
            "rejected": len(rejected),
            "reject_reasons": dict(validate.reason_counts(rejected)),
            "splits": dataset.split_summary(splits),
        },
        default=str,
    )
    return Labelled(accepted, rejected, splits, groups, out)


# -- 03 validate -------------------------------------------------------------------------------


@dataclass
class Validated:
    records: list
    rejected: list
    splits: dict
    problems: dict
    b_count_causes: Counter  # records whose B- count differs from their entity count, by cause
    reference: list
    stats: dict
    reasons: Counter
    overlap: dict
    check: dict
    real_name: str
    real_rows: list
    ref_profile: Any
    gen_profile: Any
    distances: Any
    per_class: Any
    tokenizer_table: Any  # tokens per word and [UNK] rate per language (generated and real rows)


def run_validate(params: Params) -> Validated:
    """Check every accepted record again, prove the splits share no template group, compare with
    the reference and the real rows, measure how the tokenizer takes each language; write
    ``validation.json`` and ``realism.json``. Raises when a record fails a check, a ``B-`` is missing
    for a reason other than a token shared by two entities (``validate.b_count_causes``), or a
    template group crosses splits."""
    from transformers import AutoTokenizer

    from . import dataset, realism, validate
    from .generate.reference import load_reference

    splits = dataset.load_splits(params.data_dir / "splits")
    rejected = io.read_records(params.data_dir / "rejected.jsonl")
    records = [r for recs in splits.values() for r in recs]
    problems = {r.id: validate.record_reasons(r, params.min_chars, params.max_chars) for r in records}
    problems = {k: v for k, v in problems.items() if v}
    if problems:
        raise ValueError(f"{len(problems)} accepted records fail a check, e.g. {list(problems.items())[:3]}")
    causes = validate.b_count_causes(records)
    if causes["other"]:
        raise ValueError(f"{causes['other']} records lack a B- for a reason other than a shared token: {dict(causes)}")
    reference = load_reference(params.reference_dataset, params.language)
    reasons = validate.reason_counts(rejected)
    stats = validate.dataset_stats(records)
    stats["rejected"] = len(rejected)
    stats["duplicates_rejected"] = reasons.get("duplicate", 0) + reasons.get("near_duplicate", 0)
    groups = dataset.assert_no_leak(splits)
    overlap = {f"{a} & {b}": len(groups[a] & groups[b]) for a in groups for b in groups if a < b}
    if any(overlap.values()):
        raise ValueError(f"template groups shared between splits: {overlap}")
    check = dataset.check_reference(reference)
    real_name, real_rows = realism.load_real_rows(params.external_datasets)
    ref_profile, gen_profile = realism.profile(real_rows), realism.profile(records)
    distances = realism.compare(ref_profile, gen_profile, floor=realism.noise_floor(real_rows))
    per_class = realism.class_table(ref_profile, gen_profile)
    tokenizer = AutoTokenizer.from_pretrained(config.resolve_model(params.tokenizer))
    token_groups = {
        **realism.texts_by_language(records, "generated"),
        **realism.real_texts_by_language(params.external_datasets),
    }
    tokenizer_table = realism.tokenizer_table(token_groups, tokenizer)
    _write_json(
        params.run_dir / "validation.json",
        {
            "stats": stats,
            "splits": dataset.split_summary(splits),
            "group_overlap": overlap,
            "rejection_reasons": dict(reasons),
            "reference_check": {k: v for k, v in check.items() if k != "disagreements"},
            "reference_disagreements": check["disagreements"][:50],
            "tokenizer": tokenizer_table.to_dict("records"),
        },
        default=str,
    )
    _write_json(
        params.run_dir / "realism.json",
        {
            **realism.summary(ref_profile, gen_profile, distances, real_name),
            "lookalike_ceiling": realism.lookalike_ceiling(real_rows).round(4).to_dict("records"),
        },
        allow_nan=False,
    )
    return Validated(
        records,
        rejected,
        splits,
        problems,
        causes,
        reference,
        stats,
        reasons,
        overlap,
        check,
        real_name,
        real_rows,
        ref_profile,
        gen_profile,
        distances,
        per_class,
        tokenizer_table,
    )


# -- 04 train ----------------------------------------------------------------------------------


def run_train(params: Params, progress: bool = True):
    """Fine-tune on the train split where ``train_on`` says: here (one process, or
    ``train_processes`` under ``accelerate launch``) or on a SageMaker training job whose model is
    unpacked into ``model/``; write ``model/`` (weights, tokenizer, ``params.yaml``,
    ``metrics.json``) and its card. Returns ``train.TrainResult``."""
    from . import cards, dataset, launch, sagemaker_job

    if params.train_on == "sagemaker":  # package src/ + the splits, run the job, wait, download the model
        result = sagemaker_job.train_on_sagemaker(params)
    else:
        result = launch.run_training(params, dataset.load_splits(params.data_dir / "splits"))
    (result.model_dir / "README.md").write_text(cards.model_card(params, result.metrics))  # 05 rewrites it
    return result


# -- 05 evaluate -------------------------------------------------------------------------------


@dataclass
class Evaluated:
    results: dict  # dataset name -> evaluate.Evaluation
    skipped: list  # external datasets whose file is absent
    unmapped: dict  # dataset name -> classes with no counterpart
    by_language: dict = field(default_factory=dict)  # dataset name -> language code -> evaluate.Evaluation
    per_language: Any = None  # evaluate.language_table as a DataFrame
    real_name: str | None = None  # the real rows in the 200k label scheme, if present
    aggregation: dict = field(default_factory=dict)  # pipeline aggregation_strategy -> scores on the real rows
    best_aggregation: str = ""
    lexicon: dict | None = None  # evaluate.lexicon_effect on the real rows (None: no value lexicon)
    leak_by_language: dict = field(default_factory=dict)  # evaluate.leak_shares of the external datasets


def run_evaluate(params: Params, tagger=None) -> Evaluated:
    """Score the model on the synthetic test split and every external dataset present, each also
    per language, the transformers pipeline's aggregation strategies and the value lexicon's
    effect (scores without it) on the real rows; write
    ``metrics.json``, ``metrics_per_class.csv`` and the model card (``model/README.md``, rewritten
    with all of it)."""
    import pandas as pd

    from ..runtime.predict import TokenTagger
    from . import cards, dataset, evaluate

    tagger = tagger or TokenTagger(params.model_dir, window=params.window_tokens, stride=params.window_stride)
    results, skipped, unmapped_by, by_language = {}, [], {}, {}
    test = [r.to_dict() for r in dataset.load_splits(params.data_dir / "splits")["test"]]
    rows_by_name = {"synthetic-test": test}
    results["synthetic-test"], by_language["synthetic-test"] = evaluate.evaluate_by_language(
        tagger, test, "synthetic-test"
    )
    for spec in params.external_datasets:
        loaded = evaluate.load_external(spec, params.label_maps)
        if loaded is None:
            skipped.append(spec)
            continue
        rows, unmapped = loaded
        rows = rows[: params.max_eval_rows] if params.max_eval_rows else rows
        rows_by_name[spec["name"]] = rows
        results[spec["name"]], by_language[spec["name"]] = evaluate.evaluate_by_language(
            tagger, rows, spec["name"], unmapped
        )
        unmapped_by[spec["name"]] = dict(unmapped)
    per_class = pd.DataFrame([row for res in results.values() for row in res.per_class_rows()])
    per_class.to_csv(params.run_dir / "metrics_per_class.csv", index=False)
    schemes = {spec["name"]: spec.get("label_map", "") for spec in params.external_datasets}
    per_language = pd.DataFrame(evaluate.language_table(by_language, schemes))
    shares, leaking = evaluate.leak_shares({n: p for n, p in by_language.items() if n != "synthetic-test"})
    leak_by_language = {"classes": leaking, "rows": shares}
    evaluation = {n: r.to_dict() for n, r in results.items()}
    real = cards.real_name(results, params)
    scored_on = real or "synthetic-test"
    aggregation = cards.aggregation_scores(params.model_dir, rows_by_name[scored_on])
    best = cards.best_aggregation(aggregation)
    lexicon = evaluate.lexicon_effect(tagger, rows_by_name[scored_on], scored_on)
    _write_json(
        params.run_dir / "metrics.json",
        {
            "datasets": evaluation,
            "by_language": per_language.to_dict("records"),
            "leak_by_language": leak_by_language,
            "external_datasets": params.external_datasets,
            "aggregation": {"scored_on": scored_on, "best": best, "scores": aggregation},
            "value_lexicon": lexicon,
        },
        default=str,
    )
    train_metrics = json.loads((params.model_dir / "metrics.json").read_text())
    (params.model_dir / "README.md").write_text(cards.model_card(params, train_metrics, evaluation, aggregation))
    return Evaluated(
        results, skipped, unmapped_by, by_language, per_language, real, aggregation, best, lexicon, leak_by_language
    )


# -- 06 mask -----------------------------------------------------------------------------------


@dataclass
class MaskChoice:
    curves: dict
    rows: dict
    chosen_on: str
    choice: dict
    masking: dict


def run_mask(params: Params, tagger=None) -> MaskChoice:
    """The leak / over-mask curve over ``mask_thresholds`` on the real rows (the synthetic test
    split too), the threshold chosen by ``evaluate.choose_threshold``, saved as
    ``model/masking.json``; the curve as ``masking_curve.csv``. The real rows joined into one long
    text get a curve too (not used for the choice): the leak on a long document; so do the other
    external datasets, each language apart: how the same Masker does in other languages and
    schemes. The threshold is chosen on the first; those that ``mask_leak_targets`` names must
    also stay within their own leak targets there."""
    import pandas as pd

    from ..runtime.mask import save_masking_config
    from ..runtime.predict import TokenTagger
    from . import dataset, evaluate

    tagger = tagger or TokenTagger(params.model_dir, window=params.window_tokens, stride=params.window_stride)
    real_spec = params.external_datasets[0] if params.external_datasets else None
    rows_by_name: dict[str, list] = {}
    loaded = evaluate.load_external(real_spec, params.label_maps) if real_spec else None
    if loaded is not None:
        rows = loaded[0][: params.max_eval_rows] if params.max_eval_rows else loaded[0]
        rows_by_name[real_spec["name"]] = rows
        rows_by_name[f"{real_spec['name']} joined"] = [evaluate.join_rows(rows)]
    rows_by_name.update(_other_real_rows(params))
    test = [r.to_dict() for r in dataset.load_splits(params.data_dir / "splits")["test"]]
    rows_by_name["synthetic-test"] = test[: params.max_eval_rows] if params.max_eval_rows else test
    curves = {
        name: evaluate.threshold_curve(tagger, rows, params.mask_thresholds) for name, rows in rows_by_name.items()
    }
    chosen_on = real_spec["name"] if real_spec and real_spec["name"] in curves else "synthetic-test"
    also, unchecked = leak_targets(params.mask_leak_targets, curves)
    choice = evaluate.choose_threshold(
        curves[chosen_on], params.max_leak_rate, params.max_over_mask_rate, {n: (curves[n], t) for n, t in also.items()}
    )
    table = pd.DataFrame([{"dataset": n, **p} for n, pts in curves.items() for p in pts])
    at_choice = table[table.threshold == choice["threshold"]].set_index("dataset")[["leak_rate", "over_mask_rate"]]
    masking = {
        "score_threshold": choice["threshold"],
        "decision": "pii",
        "chosen_on": chosen_on,
        "rows": len(rows_by_name[chosen_on]),
        "rule": choice["rule"],
        "reason": choice["reason"],
        "targets": {
            "max_leak_rate": params.max_leak_rate,
            "max_over_mask_rate": params.max_over_mask_rate,
            "leak_targets": also,
            "unchecked": unchecked,
        },
        "at_choice": at_choice.to_dict(orient="index"),
        "curve": curves,
        "date": datetime.now(timezone.utc).strftime("%Y-%m-%d"),
    }
    save_masking_config(params.model_dir, masking)
    table.to_csv(params.run_dir / "masking_curve.csv", index=False)
    return MaskChoice(curves, rows_by_name, chosen_on, choice, masking)


def leak_targets(targets: dict, curves: dict) -> tuple[dict[str, float], list[str]]:
    """``mask_leak_targets`` resolved against the curves 06 drew: ``({curve name: target},
    [keys with no rows here])``. A key names a curve (``'ai4privacy-300k-en'``,
    ``'ai4privacy-300k-nl-fr-de fr'``) or a dataset whose languages each got a curve (the target
    applies to each; a key naming one language overrides it there); a key whose rows are absent
    (the file is not there) is returned unchecked."""
    whole: dict[str, float] = {}
    exact: dict[str, float] = {}
    unchecked = []
    for key, target in targets.items():
        names = [n for n in curves if n == key or (n.startswith(f"{key} ") and not n.endswith(" joined"))]
        for n in names:
            (exact if n == key else whole)[n] = float(target)
        if not names:
            unchecked.append(key)
    return {**whole, **exact}, unchecked


def _other_real_rows(params: Params) -> dict[str, list]:
    """The rows of every external dataset after the first, by language: ``{name: rows}``, the
    name followed by the language code where a dataset holds several (``ai4privacy-300k-nl-fr-de
    nl``). Gold spans are the classes the dataset's label map translates, as 05's leak rate."""
    from . import evaluate

    out = {}
    for spec in params.external_datasets[1:]:
        loaded = evaluate.load_external(spec, params.label_maps)
        if loaded is None:
            continue
        rows = loaded[0]
        parts = evaluate.split_by_language(rows)
        for code, idx in parts.items():
            sub = [rows[i] for i in idx]
            out[spec["name"] if len(parts) == 1 else f"{spec['name']} {code}"] = (
                sub[: params.max_eval_rows] if params.max_eval_rows else sub
            )
    return out


def save_mask_demo(params: Params, result: dict, masking: dict) -> Path:
    """``mask_demo.json``: one round trip (masked prompt, answer, restored answer), no raw prompt."""
    return _write_json(
        params.run_dir / "mask_demo.json",
        {
            **{k: v for k, v in result.items() if k != "prompt"},
            "masking": {k: v for k, v in masking.items() if k != "curve"},
        },
    )


RUNNERS = {
    "generate": run_generate,
    "label": run_label,
    "validate": run_validate,
    "train": run_train,
    "evaluate": run_evaluate,
    "mask": run_mask,
}


def run(stage: str, params: Params):
    """Run one stage by name."""
    if stage not in RUNNERS:
        raise ValueError(f"unknown stage {stage!r}; the stages are {', '.join(STAGES)}")
    return RUNNERS[stage](params)
