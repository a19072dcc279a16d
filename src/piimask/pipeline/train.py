"""Fine-tune DistilBERT for PII token classification, in run_ner's order:
seed -> data -> labels -> model and tokenizer -> tokenise and align -> Trainer -> train ->
evaluate on validation -> save.

Labels are aligned to the *model's* tokens from character offsets (the dataset's convention:
first token of an entity ``B-``, every later token ``I-``), so any fast tokenizer works; special
and padding tokens get -100. ``label2id``/``id2label`` live in the model config.
"""
from __future__ import annotations

import json
import resource
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import numpy as np

from ..core.config import Params, resolve_model
from ..core.label import bio_from_offsets
from ..core.label import repair
from ..core.record import Record
from ..core.taxonomy import BIO_LABELS, ID2LABEL, LABEL2ID

IGNORE = -100


def encode(texts: Sequence[str], masks: Sequence[Sequence[dict]], tokenizer, max_length: int) -> dict:
    """Tokenise ``texts`` (truncated to ``max_length``) and align BIO label ids to the tokens.

    Special tokens get -100 (ignored by the loss); every real token gets its label.
    """
    enc = tokenizer(list(texts), truncation=True, max_length=max_length, return_offsets_mapping=True,
                    return_special_tokens_mask=True)
    labels = []
    for i, mask in enumerate(masks):
        offsets = enc["offset_mapping"][i]
        special = enc["special_tokens_mask"][i]
        bio = bio_from_offsets([(s, e) if not sp else (0, 0) for (s, e), sp in zip(offsets, special)], mask)
        labels.append([IGNORE if sp else LABEL2ID[lab] for lab, sp in zip(bio, special)])
    enc["labels"] = labels
    enc.pop("offset_mapping")
    enc.pop("special_tokens_mask")
    return enc


def to_hf_dataset(records: Sequence[Record], tokenizer, max_length: int):
    import datasets

    enc = encode([r.source_text for r in records], [r.privacy_mask for r in records], tokenizer, max_length)
    return datasets.Dataset.from_dict(dict(enc))


def labels_to_tags(pred_ids: np.ndarray, label_ids: np.ndarray) -> tuple[list[list[str]], list[list[str]]]:
    """Drop -100 positions and map ids to BIO tags (predictions, references)."""
    preds, refs = [], []
    for p_row, l_row in zip(pred_ids, label_ids):
        keep = l_row != IGNORE
        preds.append([ID2LABEL[int(i)] for i in p_row[keep]])
        refs.append([ID2LABEL[int(i)] for i in l_row[keep]])
    return preds, refs


def make_compute_metrics():
    import evaluate

    from .metrics import seqeval_path

    metric = evaluate.load(seqeval_path())

    def compute(eval_pred) -> dict:
        logits, label_ids = eval_pred
        preds, refs = labels_to_tags(np.argmax(logits, axis=-1), label_ids)
        res = metric.compute(predictions=[repair(p) for p in preds], references=refs)
        return {"precision": res["overall_precision"], "recall": res["overall_recall"], "f1": res["overall_f1"],
                "accuracy": res["overall_accuracy"]}

    return compute


@dataclass
class TrainResult:
    model_dir: Path
    metrics: dict
    history: list


def load_result(model_dir: str | Path) -> TrainResult:
    """The result of a finished training run, read back from its model folder (``metrics.json``,
    ``history.json``): how a run trained by other processes (``accelerate launch``, a SageMaker
    job) reaches the notebook."""
    out = Path(model_dir)
    if not (out / "config.json").exists() or not (out / "metrics.json").exists():
        raise FileNotFoundError(f"{out} holds no trained model (config.json and metrics.json are missing); "
                                "train first, or point at the run's model folder")
    history = out / "history.json"
    return TrainResult(out, json.loads((out / "metrics.json").read_text()),
                       json.loads(history.read_text()) if history.exists() else [])


def last_checkpoint(checkpoint_dir: str | Path) -> str | None:
    """The newest ``checkpoint-<step>`` folder under ``checkpoint_dir``, if any (to resume from)."""
    d = Path(checkpoint_dir)
    steps = [(int(c.name.split("-")[1]), c) for c in d.glob("checkpoint-*")
             if c.is_dir() and c.name.split("-")[1].isdigit()] if d.is_dir() else []
    return str(max(steps)[1]) if steps else None


def device_info() -> dict:
    import torch

    if torch.cuda.is_available():
        return {"device": torch.cuda.get_device_name(0), "gpus": torch.cuda.device_count(),
                "bf16": torch.cuda.is_bf16_supported()}
    return {"device": "cpu", "gpus": 0, "bf16": False, "threads": torch.get_num_threads()}


def select_records(records: list[Record], limit: int, seed: int) -> list[Record]:
    """At most ``limit`` records (0 = all), a seeded sample so any limit is reproducible."""
    import random

    if not limit or limit >= len(records):
        return records
    return random.Random(seed).sample(records, limit)


def train(params: Params, splits: dict[str, list[Record]], output_dir: str | Path | None = None,
          progress: bool = True, checkpoint_dir: str | Path | None = None, resume: bool = False) -> TrainResult:
    """Fine-tune ``params.base_model`` on the train split; keep the best checkpoint by validation F1.

    The same function runs in one process (a notebook kernel) or in each of several launched by
    ``accelerate launch`` / ``torchrun`` (the Trainer shards the batches); only the main process
    writes the model folder. ``resume`` continues from the newest full checkpoint in
    ``checkpoint_dir`` (a spot SageMaker job that was interrupted), which then keeps optimizer state.
    """
    import torch
    from transformers import (AutoModelForTokenClassification, AutoTokenizer, DataCollatorForTokenClassification,
                              EarlyStoppingCallback, Trainer, TrainingArguments, set_seed)

    # seed
    set_seed(params.seed)
    out = Path(output_dir) if output_dir else params.model_dir
    ckpt_dir = Path(checkpoint_dir) if checkpoint_dir else out.parent / (out.name + "-checkpoints")
    # data
    train_recs = select_records(splits["train"], params.max_train_records, params.seed)
    val_recs = splits.get("validation") or []
    # model and tokenizer (label maps go into the config)
    name = resolve_model(params.base_model)
    tokenizer = AutoTokenizer.from_pretrained(name)
    model = AutoModelForTokenClassification.from_pretrained(
        name, num_labels=len(BIO_LABELS), id2label=dict(ID2LABEL), label2id=dict(LABEL2ID))
    # tokenise and align
    train_ds = to_hf_dataset(train_recs, tokenizer, params.max_length)
    val_ds = to_hf_dataset(val_recs, tokenizer, params.max_length) if val_recs else None
    # Trainer
    gpu = torch.cuda.is_available()
    steps_per_epoch = max(1, -(-len(train_ds) // (params.per_device_train_batch_size * params.gradient_accumulation_steps)))
    total_steps = params.max_steps if params.max_steps > 0 else int(steps_per_epoch * params.num_train_epochs)
    args = TrainingArguments(
        output_dir=str(ckpt_dir), seed=params.seed, learning_rate=params.learning_rate,
        num_train_epochs=params.num_train_epochs, max_steps=params.max_steps,
        per_device_train_batch_size=params.per_device_train_batch_size,
        per_device_eval_batch_size=params.per_device_eval_batch_size,
        gradient_accumulation_steps=params.gradient_accumulation_steps, weight_decay=params.weight_decay,
        warmup_steps=int(params.warmup_ratio * total_steps),
        eval_strategy="epoch" if val_ds is not None and params.max_steps <= 0 else ("steps" if val_ds is not None else "no"),
        eval_steps=max(1, params.max_steps) if params.max_steps > 0 else None,
        save_strategy="epoch" if params.max_steps <= 0 else "steps", save_steps=max(1, params.max_steps) if params.max_steps > 0 else None,
        save_total_limit=2, save_only_model=not resume,  # resuming needs the optimizer state too
        load_best_model_at_end=val_ds is not None, metric_for_best_model="f1", greater_is_better=True,
        logging_strategy="steps", logging_steps=max(1, min(50, total_steps // 10 or 1)),
        bf16=gpu and torch.cuda.is_bf16_supported(), fp16=gpu and not torch.cuda.is_bf16_supported(),
        report_to="none", disable_tqdm=not progress, dataloader_num_workers=0)
    callbacks = [EarlyStoppingCallback(params.early_stopping_patience)] if params.early_stopping_patience > 0 and val_ds else []
    trainer = Trainer(model=model, args=args, train_dataset=train_ds, eval_dataset=val_ds,
                      data_collator=DataCollatorForTokenClassification(tokenizer),
                      processing_class=tokenizer, compute_metrics=make_compute_metrics() if val_ds else None,
                      callbacks=callbacks)
    # train
    t0 = time.perf_counter()
    train_out = trainer.train(resume_from_checkpoint=last_checkpoint(ckpt_dir) if resume else None)
    train_seconds = time.perf_counter() - t0
    # evaluate on validation (the best checkpoint is loaded back when there is one)
    val_metrics = trainer.evaluate() if val_ds is not None else {}
    peak_rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    metrics = {
        "train_records": len(train_recs), "validation_records": len(val_recs),
        "train_seconds": round(train_seconds, 1),
        "train_samples_per_second": round(train_out.metrics.get("train_samples_per_second", 0.0), 2),
        "train_loss": round(train_out.metrics.get("train_loss", float("nan")), 4),
        "epochs": round(train_out.metrics.get("epoch", 0.0), 2), "steps": train_out.global_step,
        "peak_memory_mb": round(peak_rss_mb, 1),
        "peak_gpu_memory_mb": round(torch.cuda.max_memory_allocated() / 2 ** 20, 1) if gpu else None,
        "processes": args.world_size,
        "validation": {k.removeprefix("eval_"): round(v, 4) if isinstance(v, float) else v for k, v in val_metrics.items()},
        **device_info(),
    }
    history = [h for h in trainer.state.log_history]
    # save: the model, tokenizer and files once, from the main process (save_model checks itself)
    trainer.save_model(str(out))
    if trainer.is_world_process_zero():
        out.mkdir(parents=True, exist_ok=True)
        tokenizer.save_pretrained(str(out))
        (out / "metrics.json").write_text(json.dumps(metrics, indent=1))
        (out / "history.json").write_text(json.dumps(history, indent=1))
        params.save(out / "params.yaml")
    return TrainResult(out, metrics, history)


def loss_curve(history: list) -> tuple[list, list, list, list]:
    """(train steps, train losses, eval steps, eval F1) from the Trainer's log history."""
    ts, tl, es, ef = [], [], [], []
    for h in history:
        if "loss" in h and "step" in h:
            ts.append(h["step"])
            tl.append(h["loss"])
        if "eval_f1" in h:
            es.append(h["step"])
            ef.append(h["eval_f1"])
    return ts, tl, es, ef


MODEL_CARD = """---
language: en
library_name: transformers
pipeline_tag: token-classification
tags: [piimask, pii, token-classification, distilbert]
---
# piimask PII tagger ({run_name})

A `DistilBertForTokenClassification` that tags the 56 PII classes of ai4privacy/pii-masking-200k
with BIO labels ({n_labels} labels, ids in `config.json`). Made by piimask's `04_finetune` notebook.

## Base model
`{base_model}`{base_note}

## Data
{train_records} training records ({validation_records} for validation) generated by piimask's
`{backend}` backend, strategy `{strategy}`: synthetic texts over {n_fields} fields and {n_styles}
interaction styles, every one of the 56 classes present, values from a seeded Faker-based factory.
Splits are grouped by template family, so validation texts use templates never seen in training.

## Training
| hyper-parameter | value |
|---|---|
| learning rate | {learning_rate} |
| epochs | {num_train_epochs} (max_steps {max_steps}) |
| batch size | {per_device_train_batch_size} x {gradient_accumulation_steps} accumulation |
| warm-up ratio | {warmup_ratio} |
| weight decay | {weight_decay} |
| max length | {max_length} tokens |
| seed | {seed} |

Trained on {device} in {train_seconds} s ({train_samples_per_second} samples/s, {steps} steps,
peak memory {peak_memory_mb} MB).{tradeoff}

## Validation (synthetic, held-out template families)
| metric | value |
|---|---|
| entity precision | {val_precision} |
| entity recall | {val_recall} |
| entity F1 | {val_f1} |
| token accuracy | {val_accuracy} |

Per-class metrics and scores on real ai4privacy rows are in the run's evaluation report
(`05_evaluate`), measured on data this model never saw.

## Masking
`piimask.runtime.mask.Masker` does not mask on the argmax label: a token is masked when its PII-ness,
1 - P(O), reaches a threshold (chosen on real rows by notebook 06 and saved beside this model in
`masking.json`, which `Masker.from_pretrained` reads), and the best non-O class names the span.
With the transformers pipeline, `aggregation_strategy="first"` reproduces this tagger's argmax
spans (a word takes the label of its first piece; the Masker also keeps a later piece tagged when
the first is O, a value glued to a word such as `card4111...`). No pipeline aggregation reproduces
the PII-ness decision, because the pipeline never exposes P(O): at a threshold of 0.5 or below
the Masker masks every token the pipeline tags, and more. Both are checked by piimask's tests.

## Intended use and limits
Finding PII in English prompts before they are sent to an LLM, with `piimask.runtime.mask.Masker`, which
adds deterministic recognizers for structured secrets (e-mails, cards, keys, credentials) and
restores values in the answer. Trained on synthetic text only: names, places and formats that
differ from its training data are found less reliably; it is uncased when built on the offline
base model, and texts longer than {max_length} tokens are handled by the Masker's sliding windows.
It is one layer of protection, not a guarantee: measure its leak rate on your own data.
"""


def cpu_tradeoff(params: Params, metrics: dict) -> str:
    """What the CPU budget traded away, stated with this run's numbers."""
    if metrics.get("device") != "cpu":
        return ""
    return (f"To fit a 10-minute CPU budget this run used {metrics['train_records']} training records, "
            f"{params.num_train_epochs:g} epochs and sequences of at most {params.max_length} tokens (the synthetic "
            "texts are short, median about 40 tokens, so little is truncated); more records, more epochs and a "
            "cased multilingual base model (profile `full`, on a GPU) are expected to do better.")


def model_card(params: Params, metrics: dict, tradeoff: str | None = None) -> str:
    v = metrics.get("validation", {})
    tradeoff = cpu_tradeoff(params, metrics) if tradeoff is None else tradeoff
    base = params.base_model
    note = (" — DistilBERT architecture initialised exactly from all-MiniLM-L6-v2 (6 layers, hidden 384, "
            "uncased), the offline base model built by `make base-model`." if "base-model" in base else "")
    return MODEL_CARD.format(
        run_name=params.run_name, n_labels=len(BIO_LABELS), base_model=base, base_note=note,
        train_records=metrics["train_records"], validation_records=metrics["validation_records"],
        backend=params.backend, strategy=params.strategy, n_fields=len(params.fields), n_styles=len(params.styles),
        learning_rate=params.learning_rate, num_train_epochs=params.num_train_epochs, max_steps=params.max_steps,
        per_device_train_batch_size=params.per_device_train_batch_size,
        gradient_accumulation_steps=params.gradient_accumulation_steps, warmup_ratio=params.warmup_ratio,
        weight_decay=params.weight_decay, max_length=params.max_length, seed=params.seed,
        device=metrics.get("device"), train_seconds=metrics["train_seconds"],
        train_samples_per_second=metrics["train_samples_per_second"], steps=metrics["steps"],
        peak_memory_mb=metrics["peak_memory_mb"], tradeoff=(" " + tradeoff) if tradeoff else "",
        val_precision=v.get("precision"), val_recall=v.get("recall"), val_f1=v.get("f1"), val_accuracy=v.get("accuracy"))
