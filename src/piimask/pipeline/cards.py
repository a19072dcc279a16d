"""Hub-standard cards for the model and the dataset, and the opt-in push to the hub.

The model card is written twice: a first one by ``04_finetune`` (training and validation only),
then again by ``05_evaluate`` with the real-data and per-class metrics, ``model-index`` metadata
and the pipeline aggregation that scores best on the real rows. The dataset card is written by
``02_label`` beside the splits. ``push_to_hub`` uploads both folders where a hub is reachable and
``params.push_to_hub`` is true (``06_mask`` calls it last, once ``masking.json`` is in the model
folder).
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Mapping, Sequence
from pathlib import Path

import yaml

from ..core.config import Params, project_root
from ..core.record import Record
from ..core.taxonomy import BIO_LABELS, CLASSES

AGGREGATIONS = ("simple", "first", "max")
OFFLINE_BASE = "sentence-transformers/all-MiniLM-L6-v2"  # what `make base-model` copies its weights from
LICENSE = "apache-2.0"

# ai4privacy releases named in piimask's external dataset names -> their hub ids
_AI4PRIVACY = {
    "200k": "ai4privacy/pii-masking-200k",
    "300k": "ai4privacy/pii-masking-300k",
    "400k": "ai4privacy/pii-masking-400k",
    "43k": "ai4privacy/pii-masking-43k",
}


# -- which pipeline aggregation to recommend ---------------------------------------------------


def aggregation_scores(
    model_dir: str | Path, rows: Sequence[dict], strategies: Sequence[str] = AGGREGATIONS, batch_size: int = 16
) -> dict[str, dict]:
    """Character-span scores of transformers' ``token-classification`` pipeline on ``rows``
    (``source_text`` and ``privacy_mask``) for each ``aggregation_strategy``: strict and overlap
    span F1 and the leak rate, exactly as a user of the card's snippet would get them."""
    from transformers import pipeline

    from .evaluate import leak_rate, span_metrics

    tagger = pipeline("token-classification", model=str(model_dir))
    texts = [r["source_text"] for r in rows]
    gold = [[(e["start"], e["end"], e["label"]) for e in r.get("privacy_mask") or []] for r in rows]
    out = {}
    for strategy in strategies:
        found = tagger(texts, aggregation_strategy=strategy, batch_size=batch_size) if texts else []
        pred = [[(int(p["start"]), int(p["end"]), p["entity_group"]) for p in row] for row in found]
        spans = span_metrics(gold, pred)
        out[strategy] = {
            "span_strict_f1": round(spans["strict"]["micro"]["f1"], 4),
            "span_overlap_f1": round(spans["overlap"]["micro"]["f1"], 4),
            "leak_rate": round(leak_rate(gold, pred)["overall"], 4),
            "rows": len(rows),
        }
    return out


def best_aggregation(scores: Mapping[str, Mapping[str, float]]) -> str:
    """The strategy with the highest strict span F1 (then overlap F1; then the earlier in ``AGGREGATIONS``)."""
    if not scores:
        raise ValueError("no aggregation scores to choose from")
    order = {s: i for i, s in enumerate(AGGREGATIONS)}
    return max(scores, key=lambda s: (scores[s]["span_strict_f1"], scores[s]["span_overlap_f1"], -order.get(s, 99)))


# -- names the hub understands -----------------------------------------------------------------


def base_model_id(params: Params) -> str:
    """The hub id the model starts from: the offline base model copies all-MiniLM-L6-v2."""
    if "base-model" in params.base_model:
        return OFFLINE_BASE
    local = params.path(params.base_model)
    if (local / "config.json").exists():
        name = json.loads((local / "config.json").read_text()).get("_name_or_path", "")
        return name if name.count("/") == 1 and not Path(name).exists() else params.base_model
    return params.base_model


def hub_dataset_id(spec: Mapping) -> str:
    """The hub id of an external dataset: its path if that is a hub id, else the ai4privacy
    release its name mentions ("ai4privacy-200k-en" -> ai4privacy/pii-masking-200k), else ''."""
    path = str(spec.get("path", ""))
    if path.count("/") == 1 and not path.startswith((".", "/")) and not Path(path).suffix:
        return path
    name = str(spec.get("name", ""))
    for size, repo in _AI4PRIVACY.items():
        if name.startswith("ai4privacy") and f"-{size}" in name:
            return repo
    return ""


def model_ref(params: Params) -> str:
    """How the card's snippet names the model: its hub repo if it is pushed, else its folder."""
    if params.hub_model_id:
        return params.hub_model_id
    try:
        return str(params.model_dir.relative_to(project_root()))
    except ValueError:
        return str(params.model_dir)


def _front_matter(meta: dict) -> str:
    return "---\n" + yaml.safe_dump(meta, sort_keys=False, allow_unicode=True, width=1000) + "---\n"


def _pct(v) -> str:
    return "" if v is None else f"{100 * v:.2f} %"


def _num(v, digits: int = 3) -> str:
    return "" if v is None else f"{v:.{digits}f}"


# -- the model card ----------------------------------------------------------------------------


def real_name(evaluation: Mapping[str, dict], params: Params) -> str | None:
    """The evaluated dataset in the 200k label scheme (the first external entry without a label map)."""
    for spec in params.external_datasets:
        if not spec.get("label_map") and spec["name"] in evaluation:
            return spec["name"]
    return None


def _model_index(params: Params, evaluation: Mapping[str, dict]) -> list[dict]:
    results = []
    specs = {s["name"]: s for s in params.external_datasets}
    for name, res in evaluation.items():
        s = res["summary"]
        spec = specs.get(name, {})
        repo = hub_dataset_id(spec) if spec else (params.hub_dataset_id or "piimask-synthetic")
        if not repo:
            continue
        scheme = f" (labels mapped by label map {spec['label_map']!r})" if spec.get("label_map") else ""
        dataset = {
            "name": f"{name}, {s['rows']} rows{scheme}" if spec else f"piimask synthetic test split ({s['rows']} rows)",
            "type": repo,
            "split": spec.get("split", "held-out sample") if spec else "test",
        }
        results.append(
            {
                "task": {"type": "token-classification", "name": "PII token classification"},
                "dataset": dataset,
                "metrics": [
                    {"type": "f1", "value": s["entity_f1"], "name": "entity F1 (micro, seqeval)"},
                    {"type": "f1", "value": s["macro_f1"], "name": "entity F1 (macro)"},
                    {"type": "precision", "value": s["entity_precision"], "name": "entity precision"},
                    {"type": "recall", "value": s["entity_recall"], "name": "entity recall"},
                    {"type": "leak_rate", "value": s["leak_rate"], "name": "PII characters left unmasked"},
                ],
            }
        )
    return [{"name": f"piimask-pii-tagger-{params.run_name}", "results": results}]


def _results_section(params: Params, evaluation: Mapping[str, dict]) -> str:
    if not evaluation:
        return (
            "## Results\nNot evaluated yet: `05_evaluate` rewrites this card with the scores on the "
            "synthetic test split and on real ai4privacy rows.\n"
        )
    specs = {s["name"]: s for s in params.external_datasets}
    lines = [
        "## Results",
        "Measured by `05_evaluate` on rows this model never saw. Entity scores are seqeval's "
        "(strict IOB2); the leak rate is the share of PII characters no predicted span covers, "
        "whatever its class: what would reach an LLM unmasked.",
        "",
        "| data | rows | entity F1 | macro F1 | precision | recall | PII characters left unmasked |",
        "|---|---|---|---|---|---|---|",
    ]
    mapped = []
    for name, res in evaluation.items():
        s = res["summary"]
        spec = specs.get(name)
        label = (
            f"{name} (real, labels mapped from another scheme)"
            if spec and spec.get("label_map")
            else f"**{name} (real)**"
            if spec
            else f"{name} (synthetic, held-out template families)"
        )
        if spec and spec.get("label_map"):
            mapped.append(name)
        lines.append(
            f"| {label} | {s['rows']} | {_num(s['entity_f1'])} | {_num(s['macro_f1'])} | "
            f"{_num(s['entity_precision'])} | {_num(s['entity_recall'])} | {_pct(s['leak_rate'])} |"
        )
    if mapped:
        lines += [
            "",
            f"{', '.join(mapped)} use another label scheme (GIVENNAME1, TEL, SOCIALNUMBER, ...): their "
            "labels are mapped onto the 56 classes and classes without a counterpart are set aside, so their "
            "mapped-class F1 is low for that reason and does not compare with the 200k F1. The leak rate "
            "does not depend on the scheme and compares across them.",
        ]
    real = real_name(evaluation, params)
    if real:
        rows = _per_class(evaluation[real])
        lines += [
            "",
            f"### Per class, {real}",
            "Sorted by F1; support is the number of gold entities.",
            "",
            "| class | precision | recall | F1 | support | leak |",
            "|---|---|---|---|---|---|",
        ]
        lines += [
            f"| {r['class']} | {_num(r['precision'])} | {_num(r['recall'])} | {_num(r['f1'])} | {r['support']} | "
            f"{_pct(r['leak'])} |"
            for r in rows
        ]
    return "\n".join(lines) + "\n"


def _per_class(res: Mapping) -> list[dict]:
    """Per-class rows of one dataset's ``Evaluation.to_dict()``, sorted by F1 (best first)."""
    per = res["entity"]["per_class"]
    leak = res.get("leak", {}).get("per_class", {})
    rows = [
        {
            "class": c,
            "precision": m["precision"],
            "recall": m["recall"],
            "f1": m["f1"],
            "support": m["number"],
            "leak": leak.get(c),
        }
        for c, m in per.items()
        if m.get("number")
    ]
    return sorted(rows, key=lambda r: (-r["f1"], -r["support"], r["class"]))


def _usage_section(params: Params, aggregation: Mapping[str, Mapping] | None) -> str:
    best = best_aggregation(aggregation) if aggregation else "first"
    how = ""
    if aggregation:
        rows = next(iter(aggregation.values())).get("rows", "")
        how = (
            '\n`aggregation_strategy="' + best + '"` scores best on the real rows (' + str(rows) + " rows; strict "
            "character-span F1 of the pipeline's spans: "
            + ", ".join(f"{s} {v['span_strict_f1']:.3f}" for s, v in aggregation.items())
            + "; PII characters left "
            "unmasked: " + ", ".join(f"{s} {_pct(v['leak_rate'])}" for s, v in aggregation.items()) + ").\n"
        )
    return f"""## Usage
```python
from transformers import pipeline

tagger = pipeline("token-classification", model="{model_ref(params)}", aggregation_strategy="{best}")
tagger("Dear Ms. Harper, your new password is icy6CvfhlatB; call us on +44 20 7946 0958.")
# one dict per span: entity_group (the class), score, word, start and end (character offsets)
```
{how}
To mask prompts, use piimask's `Masker`, which reads this folder's `masking.json`:
```python
from piimask import Masker, unmask

masker = Masker.from_pretrained("{model_ref(params)}")
res = masker.mask(prompt)            # res.masked_text goes to the LLM
unmask(answer, res.mapping)          # the values back in the answer
```
"""


def cpu_tradeoff(params: Params, metrics: Mapping) -> str:
    """What the CPU budget traded away, stated with this run's numbers."""
    if metrics.get("device") != "cpu":
        return ""
    return (
        f"To fit a CPU budget this run used {metrics['train_records']} training records, "
        f"{params.num_train_epochs:g} epochs and sequences of at most {params.max_length} tokens (the synthetic "
        "texts are short, median about 40 tokens, so little is truncated); more records and epochs did better "
        "(profile `full`: 20,000 records, 5 epochs, 256 tokens; about 50 minutes on 2 CPU cores)."
    )


def model_card(
    params: Params,
    metrics: Mapping,
    evaluation: Mapping[str, dict] | None = None,
    aggregation: Mapping[str, Mapping] | None = None,
    tradeoff: str | None = None,
) -> str:
    """The model folder's README.md: Hub front matter (license, base_model, datasets, pipeline_tag,
    model-index), results on real and synthetic rows with per-class scores, a usage snippet with
    the best-scoring aggregation, training details, and the trade-offs.

    ``metrics`` is ``model/metrics.json`` (training); ``evaluation`` maps a dataset name to its
    ``Evaluation.to_dict()`` (``metrics.json["datasets"]``); ``aggregation`` is ``aggregation_scores``.
    """
    evaluation = evaluation or {}
    v = metrics.get("validation", {})
    tradeoff = cpu_tradeoff(params, metrics) if tradeoff is None else tradeoff
    signs = (
        " Nor does it cut currency signs out of words (`₺270629`: one unknown token to a plain BERT"
        " tokenizer), as piimask's `load_tokenizer` does for this model (`split_currency_signs`)."
        if getattr(params, "split_currency_signs", False)
        else ""
    )
    cased = (
        " Nor does it put in the case markers this model was trained with (`case_markers`: an unused"
        " token before each word that begins with a capital, another before a word in capitals), as"
        " piimask's `TokenTagger` does from the config's `case_markers`: without them the model reads"
        " every word as it never did in training."
        if getattr(params, "case_markers", False)
        else ""
    )
    settled = (
        " This model was trained with those look-alikes settled (`settle_lookalikes`): it answers"
        " CURRENCY for every currency name and IPV4 or IPV6 for every address, never CURRENCYNAME or IP."
        if getattr(params, "settle_lookalikes", False)
        else ""
    )
    dates = (
        " Its corpus recorded every full calendar date (day, month and year) as DOB and kept DATE for a"
        " date without its day or year (`settle_dates`): the dataset labels those forms either way in the"
        " same contexts, so this model answers DOB for them wherever they stand; piimask's `Masker` names"
        " those entities DATE."
        if getattr(params, "settle_dates", False)
        else ""
    )
    base = base_model_id(params)
    eval_sets = [r for r in (hub_dataset_id(s) for s in params.external_datasets if s["name"] in evaluation) if r]
    meta = {
        "language": [params.language],
        "license": LICENSE,
        "library_name": "transformers",
        "pipeline_tag": "token-classification",
        "base_model": base,
        "datasets": ([params.hub_dataset_id] if params.hub_dataset_id else []) + list(dict.fromkeys(eval_sets)),
        "metrics": ["f1", "precision", "recall"],
        "tags": ["piimask", "pii", "pii-masking", "token-classification", "distilbert"],
    }
    if not meta["datasets"]:
        del meta["datasets"]
    if evaluation:
        meta["model-index"] = _model_index(params, evaluation)
    base_note = (
        f" (through `make base-model`: a DistilBERT of the same size whose weights are copied exactly "
        f"from {OFFLINE_BASE}'s BERT encoder; 6 layers, hidden 384, uncased)"
        if base == OFFLINE_BASE
        else ""
    )
    real = real_name(evaluation, params)
    headline = ""
    if real:
        s = evaluation[real]["summary"]
        headline = (
            f"\n**On {s['rows']} real ai4privacy 200k rows it never saw: entity F1 {s['entity_f1']:.3f}, "
            f"macro F1 {s['macro_f1']:.3f}, {_pct(s['leak_rate'])} of PII characters left unmasked.**\n"
        )
    gen = ", ".join(f"{k} {getattr(params, k)}" for k in ("backend", "strategy", "n_records", "seed"))
    body = f"""# piimask PII tagger (`{params.run_name}`)

A `DistilBertForTokenClassification` that tags the 56 PII classes of ai4privacy/pii-masking-200k
with BIO labels ({len(BIO_LABELS)} labels, ids in `config.json`), to find personal data in prompts
before they reach an LLM. Trained by piimask on synthetic text only.
{headline}
{_results_section(params, evaluation)}
{_usage_section(params, aggregation)}
## Training data
{metrics.get("train_records")} training records ({metrics.get("validation_records")} for validation) of piimask's
synthetic corpus ({gen}): texts over {len(params.fields)} fields and {len(params.styles)} interaction styles,
every one of the 56 classes present, values from a seeded Faker-based factory. Splits are grouped
by template family, so validation and test texts use templates never seen in training. The
dataset's own card (`data/splits/README.md`) lists fields, class counts and generator settings.

## Training
Base model `{base}`{base_note}.

| hyper-parameter | value |
|---|---|
| learning rate | {params.learning_rate} |
| epochs | {params.num_train_epochs:g} (max_steps {params.max_steps}) |
| batch size | {params.per_device_train_batch_size} x {params.gradient_accumulation_steps} accumulation |
| warm-up ratio | {params.warmup_ratio} |
| weight decay | {params.weight_decay} |
| max length | {params.max_length} tokens |
| seed | {params.seed} |

Trained on {metrics.get("device")} in {metrics.get("train_seconds")} s ({metrics.get("train_samples_per_second")} samples/s,
{metrics.get("steps")} steps, peak memory {metrics.get("peak_memory_mb")} MB). Validation (synthetic, held-out
template families): entity precision {v.get("precision")}, recall {v.get("recall")}, F1 {v.get("f1")},
token accuracy {v.get("accuracy")}.

## Trade-offs and limits
- **Synthetic training data.** Names, places and formats unlike piimask's generator are found less
  reliably; the real-row scores above are the measure of that gap.{(" " + tradeoff) if tradeoff else ""}
- **Labels that no text can decide.** In the real rows DOB and DATE, IP and IPV4/IPV6, CURRENCY and
  CURRENCYNAME often label the same values in the same contexts; piimask labels consistently, which
  caps those classes' F1 there.{settled}{dates} For masking the class matters less than whether a value
  is found: read the leak rate.
- **The pipeline is not the Masker.** The pipeline tags on the argmax label; piimask's `Masker`
  masks a token when its PII-ness, 1 - P(O), reaches the threshold chosen on real rows by notebook
  06 (`masking.json`), adds deterministic recognizers for e-mails, cards, keys and credentials,
  and reads texts longer than {params.max_length} tokens with sliding windows. The pipeline exposes
  no P(O), so no aggregation reproduces that decision. Nor does it read `value_lexicon.json`, with
  which piimask's tagger tells first, middle and last names (and job areas, types and titles; sex
  and gender; cities, counties, states and streets) apart by the value itself, and its argmax
  tags leave ordinary lower-case words ("account", "team") out of classes whose values always
  carry a capital, end a URL or an address at its first space, and draw an entity's edges as the
  values do (no trailing "county" on a county, a closing bracket kept, a glued currency sign
  apart), and find the values of short lists (job areas and types, account names) that the model
  left untagged but leans to ("our Operations team"), job titles the model cut into job words, and
  a company's usual ending left out of it ("Varga" + "Group").{signs}{cased}
- **Uncased and English** when built on the offline base model.
- One layer of protection, not a guarantee: measure the leak rate on your own data.

## License
Apache-2.0, like piimask.
"""
    return _front_matter(meta) + body


# -- the dataset -------------------------------------------------------------------------------

FIELDS = {
    "id": "record id",
    "source_text": "the text, with the PII values in it",
    "target_text": "the text with each value replaced by its [LABEL]",
    "privacy_mask": "the values: {value, start, end, label}, offsets into source_text, end exclusive",
    "span_labels": "JSON text: the full cover of source_text, [[start, end, label], ...], O between values",
    "mbert_text_tokens": "tokens of `tokenizer` (no special tokens)",
    "mbert_bio_labels": "BIO label per token: the first token of a value B-, the rest I-",
    "ner_tags": "the BIO labels as ids, a Sequence(ClassLabel) whose names are in label2id.json",
    "language": "language code",
    "set": "the split the record is in",
    "field": "the topic the text was written on",
    "style": "the interaction style (email, casual conversation, ...)",
    "backend": "what wrote the text: offline (piimask's grammar), bedrock or bedrock-batch",
    "model_id": "the LLM, for the Bedrock backends",
    "template_id": "the template family (offline) or prompt the text comes from: the unit of the split",
    "example_id": "the few-shot example shown to the LLM",
    "tokenizer": "the tokenizer of mbert_text_tokens",
}


def _size_category(n: int) -> str:
    for bound, name in ((1_000, "n<1K"), (10_000, "1K<n<10K"), (100_000, "10K<n<100K"), (1_000_000, "100K<n<1M")):
        if n < bound:
            return name
    return "n>1M"


def dataset_card(params: Params, splits: Mapping[str, Sequence[Record]], rejected: int | None = None) -> str:
    """The splits folder's README.md: Hub front matter (configs pointing at the parquet files),
    fields, classes with counts per split, the generator settings and the split method."""
    from .dataset import split_group

    names = list(splits)
    total = sum(len(r) for r in splits.values())
    counts = {s: Counter(e["label"] for r in recs for e in r.privacy_mask) for s, recs in splits.items()}
    meta = {
        "language": [params.language],
        "license": LICENSE,
        "pretty_name": f"piimask synthetic PII ({params.run_name})",
        "task_categories": ["token-classification"],
        "task_ids": ["named-entity-recognition"],
        "size_categories": [_size_category(total)],
        "tags": ["pii", "pii-masking", "synthetic", "piimask"],
        "configs": [{"config_name": "default", "data_files": [{"split": s, "path": f"{s}.parquet"} for s in names]}],
    }
    split_rows = "\n".join(
        f"| {s} | {len(recs)} | {len({split_group(r) for r in recs})} | {sum(len(r.privacy_mask) for r in recs)} |"
        for s, recs in splits.items()
    )
    class_rows = "\n".join(
        f"| {c} | " + " | ".join(str(counts[s][c]) for s in names) + f" | {CLASSES[c]} |" for c in CLASSES
    )
    field_rows = "\n".join(f"| `{k}` | {v} |" for k, v in FIELDS.items())
    llm = params.backend != "offline"
    settings = {
        "backend": params.backend,
        "strategy": params.strategy,
        "records asked for": params.n_records,
        "seed": params.seed,
        "language": params.language,
        "locales": ", ".join(params.locales),
        "fields": ", ".join(params.fields),
        "styles": ", ".join(params.styles),
        "least entities per class": params.min_class_count,
        "extra classes per text": params.extra_classes,
        "text length (characters)": f"{params.min_chars} to {params.max_chars}",
        "tokenizer": params.tokenizer,
    }
    if llm:
        settings.update(
            {
                "LLM": params.model_id,
                "temperature": f"{params.temperature_min} to {params.temperature_max}",
                "top_p": params.top_p,
                "max_tokens": params.max_tokens,
            }
        )
    setting_rows = "\n".join(f"| {k} | {v} |" for k, v in settings.items())
    rejected_line = (
        f" {rejected} generated records failed the quality gate and are not here." if rejected is not None else ""
    )
    body = f"""# piimask synthetic PII dataset (`{params.run_name}`)

Synthetic texts with exact PII annotations, in the schema of ai4privacy/pii-masking-200k plus
piimask's metadata, made by piimask's `01_generate` and `02_label` notebooks. Every value is made
up by a seeded Faker-based factory: no real person's data.

## Splits
| split | records | template groups | entities |
|---|---|---|---|
{split_rows}

## Split method
A seeded split (seed {params.seed}) by group: every template family (offline: the fragment family
`fNN`; the LLM backends: the few-shot example) lands whole in one split, so validation and test
texts use templates never seen in training. Targets: {params.validation_fraction:.0%} validation,
{params.test_fraction:.0%} test, the rest train. `dataset.assert_no_leak` proved that no group, record id or
text is in two splits.{rejected_line}

## Fields
| field | meaning |
|---|---|
{field_rows}

## Classes
56 classes; `ner_tags` is a `Sequence(ClassLabel)` of {len(BIO_LABELS)} names (`O`, then `B-` and `I-`
of each class), the same ids as `label2id.json` and the model's `config.json`. Entities per split:

| class | {" | ".join(names)} | what it is |
|---|{"---|" * len(names)}---|
{class_rows}

## Generator settings
| setting | value |
|---|---|
{setting_rows}

## Use
```python
from datasets import load_dataset, load_from_disk

ds = load_dataset("parquet", data_files={{s: f"{{s}}.parquet" for s in {names!r}}})  # in this folder
ds = load_from_disk("hf")                                                 # the same, saved by datasets
ds["train"].features["ner_tags"].feature.names                            # the BIO labels
```

## License
Apache-2.0, like piimask.
"""
    return _front_matter(meta) + body


# -- the opt-in push ---------------------------------------------------------------------------


def push_to_hub(params: Params, api=None) -> dict:
    """Upload the model folder to ``hub_model_id`` and, if set, the splits (parquet, card,
    label2id.json) to ``hub_dataset_id``; repos are created ``hub_private`` if missing.

    Does nothing (returns ``{}``) unless ``params.push_to_hub``. ``api`` is an ``HfApi`` (a
    stand-in in tests). Fails with what to do when there is no hub token.
    """
    if not params.push_to_hub:
        return {}
    if api is None:
        from huggingface_hub import HfApi

        api = HfApi()
    try:
        user = api.whoami()
    except Exception as exc:  # no token, a bad token, or no hub reachable
        raise RuntimeError(
            f"push_to_hub: the hub does not accept this session ({type(exc).__name__}: {exc}); "
            "log in with `hf auth login` or set HF_TOKEN, or set push_to_hub: false"
        ) from exc
    model_dir, splits_dir = params.model_dir, params.data_dir / "splits"
    for needed in (model_dir / "config.json", model_dir / "README.md"):
        if not needed.exists():
            raise FileNotFoundError(f"push_to_hub: {needed} is missing; run notebooks 04 and 05 first")
    pushed = {"user": user.get("name") if isinstance(user, dict) else None}
    message = f"piimask run {params.run_name}"
    api.create_repo(params.hub_model_id, repo_type="model", private=params.hub_private, exist_ok=True)
    pushed["model"] = str(
        api.upload_folder(
            repo_id=params.hub_model_id, repo_type="model", folder_path=str(model_dir), commit_message=message
        )
    )
    if params.hub_dataset_id:
        if not (splits_dir / "README.md").exists():
            raise FileNotFoundError(f"push_to_hub: {splits_dir / 'README.md'} is missing; run notebook 02 first")
        api.create_repo(params.hub_dataset_id, repo_type="dataset", private=params.hub_private, exist_ok=True)
        pushed["dataset"] = str(
            api.upload_folder(
                repo_id=params.hub_dataset_id,
                repo_type="dataset",
                folder_path=str(splits_dir),
                commit_message=message,
                allow_patterns=["README.md", "*.parquet", "label2id.json"],
            )
        )
    return pushed
