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
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..core.config import Params, resolve_model
from ..core.label import bio_from_offsets, repair
from ..core.record import Record
from ..core.taxonomy import BIO_LABELS, ID2LABEL, LABEL2ID
from ..runtime.lexicon import write_lexicon
from ..runtime.predict import _special_tokens, case_marker_ids, mark_case, split_currency_signs, word_cases

IGNORE = -100


def encode(
    texts: Sequence[str], masks: Sequence[Sequence[dict]], tokenizer, max_length: int, case_markers: Sequence[int] = ()
) -> dict:
    """Tokenise ``texts`` (truncated to ``max_length``) and align BIO label ids to the tokens.

    Special tokens get -100 (ignored by the loss); every real token gets its label. With
    ``case_markers`` (their ids) a marker goes before each word that begins with a capital
    (``predict.mark_case``, as the tagger reads texts), labelled -100 too.
    """
    if case_markers:
        return _encode_marked(texts, masks, tokenizer, max_length, case_markers)
    enc = tokenizer(
        list(texts),
        truncation=True,
        max_length=max_length,
        return_offsets_mapping=True,
        return_special_tokens_mask=True,
    )
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


def _encode_marked(texts, masks, tokenizer, max_length: int, markers: Sequence[int]) -> dict:
    prefix, suffix = _special_tokens(tokenizer)
    room = max_length - len(prefix) - len(suffix)
    enc = tokenizer(list(texts), add_special_tokens=False, return_offsets_mapping=True, verbose=False)
    out = {"input_ids": [], "attention_mask": [], "labels": []}
    for i, (text, mask) in enumerate(zip(texts, masks)):
        ids = np.asarray(enc["input_ids"][i], dtype=np.int64)
        offs = np.asarray(enc["offset_mapping"][i], dtype=np.int64).reshape(-1, 2)
        ids, offs = mark_case(text, ids, offs, markers)
        ids, offs = ids[:room], offs[:room]
        bio = bio_from_offsets([(int(a), int(b)) for a, b in offs], mask)
        labels = [IGNORE if b <= a else LABEL2ID[lab] for lab, (a, b) in zip(bio, offs)]
        out["input_ids"].append([*prefix.tolist(), *ids.tolist(), *suffix.tolist()])
        out["attention_mask"].append([1] * (len(ids) + len(prefix) + len(suffix)))
        out["labels"].append([IGNORE] * len(prefix) + labels + [IGNORE] * len(suffix))
    return out


def sampling_args(sampling: str) -> dict:
    """TrainingArguments for the order of training texts: ``train_sampling_strategy`` where this
    transformers has it (5.x), else the older ``group_by_length`` flag (4.x)."""
    import dataclasses

    from transformers import TrainingArguments

    names = {f.name for f in dataclasses.fields(TrainingArguments)}
    if "train_sampling_strategy" in names:
        return {"train_sampling_strategy": sampling}
    return {"group_by_length": sampling == "group_by_length"}


def to_hf_dataset(records: Sequence[Record], tokenizer, max_length: int, case_markers: Sequence[int] = ()):
    import datasets

    texts, masks = [r.source_text for r in records], [r.privacy_mask for r in records]
    enc = encode(texts, masks, tokenizer, max_length, case_markers)
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
        return {
            "precision": res["overall_precision"],
            "recall": res["overall_recall"],
            "f1": res["overall_f1"],
            "accuracy": res["overall_accuracy"],
        }

    return compute


@dataclass
class TrainResult:
    model_dir: Path
    metrics: dict
    history: list
    tracking_dir: Path | None = None  # the TensorBoard event files, when report_to is tensorboard


def load_base_model(name: str):
    """The base model with a new token-classification head for piimask's labels.

    The head's weights are missing from the checkpoint by design; transformers reports that as a
    warning table on every load, so its report is kept quiet here and piimask warns only when
    something other than the head is missing.
    """
    import warnings

    from transformers import AutoModelForTokenClassification
    from transformers.utils import logging as hf_logging

    level = hf_logging.get_verbosity()
    hf_logging.set_verbosity_error()
    try:
        model, info = AutoModelForTokenClassification.from_pretrained(
            name, num_labels=len(BIO_LABELS), id2label=dict(ID2LABEL), label2id=dict(LABEL2ID), output_loading_info=True
        )
    finally:
        hf_logging.set_verbosity(level)
    missing = [k for k in info.get("missing_keys", []) if not k.startswith("classifier.")]
    if missing:
        warnings.warn(
            f"{name}: {len(missing)} weight(s) besides the new classification head are missing from "
            f"the checkpoint and start random ({', '.join(sorted(missing)[:5])}); is it the right base model?",
            stacklevel=2,
        )
    return model


def progress_callback():
    """A Trainer callback printing one plain line per logging step and per evaluation, so a
    notebook's report stays short and ``make all`` (papermill streaming stdout) shows training
    advance."""
    from transformers import TrainerCallback

    from ..core.progress import _duration

    class ProgressLines(TrainerCallback):
        def on_train_begin(self, args, state, control, **kwargs):
            self.t0 = time.perf_counter()
            print(f"train: {state.max_steps} steps, {args.num_train_epochs:g} epoch(s)", flush=True)

        def on_log(self, args, state, control, logs=None, **kwargs):
            logs = logs or {}
            if "loss" not in logs:
                return
            elapsed = time.perf_counter() - self.t0
            left = elapsed * (state.max_steps - state.global_step) / max(state.global_step, 1)
            print(
                f"train: step {state.global_step}/{state.max_steps} ({100 * state.global_step / max(state.max_steps, 1):.0f}%), "
                f"epoch {state.epoch or 0:.2f}, loss {logs['loss']:.4f}, {_duration(elapsed)}, "
                f"about {_duration(left)} left",
                flush=True,
            )

        def on_train_end(self, args, state, control, **kwargs):
            self.done = True

        def on_evaluate(self, args, state, control, metrics=None, **kwargs):
            m = metrics or {}
            if "eval_f1" in m:
                when = "the kept checkpoint" if getattr(self, "done", False) else f"after step {state.global_step}"
                print(
                    f"validation, {when}: entity F1 {m['eval_f1']:.4f} "
                    f"(precision {m.get('eval_precision', 0):.4f}, recall {m.get('eval_recall', 0):.4f})",
                    flush=True,
                )

    return ProgressLines()


def tracking(params: Params) -> tuple[list, list, Path | None]:
    """(Trainer ``report_to``, extra callbacks, TensorBoard folder) for ``params.report_to``.

    TensorBoard writes to ``<run>/tensorboard/<start time>`` (``tensorboard --logdir outputs/<run>/tensorboard``);
    MLflow goes through transformers' integration, which reads ``MLFLOW_TRACKING_URI`` and
    ``MLFLOW_EXPERIMENT_NAME`` (SageMaker's managed MLflow gives a tracking server ARN there).
    """
    from datetime import datetime

    if params.report_to == "tensorboard":
        from transformers.integrations import TensorBoardCallback

        log_dir = params.run_dir / "tensorboard" / datetime.now().strftime("%Y%m%d-%H%M%S")
        callback = TensorBoardCallback()  # its writer is made at train start, by the main process only
        callback.logging_dir = str(log_dir)
        return [], [callback], log_dir
    if params.report_to == "mlflow":
        return ["mlflow"], [], None
    return [], [], None


def load_result(model_dir: str | Path) -> TrainResult:
    """The result of a finished training run, read back from its model folder (``metrics.json``,
    ``history.json``): how a run trained by other processes (``accelerate launch``, a SageMaker
    job) reaches the notebook."""
    out = Path(model_dir)
    if not (out / "config.json").exists() or not (out / "metrics.json").exists():
        raise FileNotFoundError(
            f"{out} holds no trained model (config.json and metrics.json are missing); "
            "train first, or point at the run's model folder"
        )
    history = out / "history.json"
    return TrainResult(
        out, json.loads((out / "metrics.json").read_text()), json.loads(history.read_text()) if history.exists() else []
    )


def last_checkpoint(checkpoint_dir: str | Path) -> str | None:
    """The newest ``checkpoint-<step>`` folder under ``checkpoint_dir``, if any (to resume from)."""
    d = Path(checkpoint_dir)
    steps = (
        [
            (int(c.name.split("-")[1]), c)
            for c in d.glob("checkpoint-*")
            if c.is_dir() and c.name.split("-")[1].isdigit()
        ]
        if d.is_dir()
        else []
    )
    return str(max(steps)[1]) if steps else None


def device_info() -> dict:
    import torch

    if torch.cuda.is_available():
        return {
            "device": torch.cuda.get_device_name(0),
            "gpus": torch.cuda.device_count(),
            "bf16": torch.cuda.is_bf16_supported(),
        }
    return {"device": "cpu", "gpus": 0, "bf16": False, "threads": torch.get_num_threads()}


def select_records(records: list[Record], limit: int, seed: int) -> list[Record]:
    """At most ``limit`` records (0 = all), a seeded sample so any limit is reproducible."""
    import random

    if not limit or limit >= len(records):
        return records
    return random.Random(seed).sample(records, limit)


def pack_records(
    records: list[Record], fraction: float, seed: int, n_tokens: Sequence[int], limit: int
) -> list[Record]:
    """Join about ``fraction`` of the records into texts of two to four records each (a blank line,
    a line break or a space between them, spans shifted), the rest left as they are: the model then
    also learns from texts as long as the windows it reads over long inputs. The same texts and
    tokens in all; a joined text stays within ``limit`` tokens (``n_tokens``: each record's count)."""
    import random

    if fraction <= 0 or len(records) < 2:
        return records
    rng = random.Random(seed)
    order = list(range(len(records)))
    rng.shuffle(order)
    n_pack = int(len(order) * min(fraction, 1.0))
    out = [records[k] for k in order[n_pack:]]
    pool = order[:n_pack]
    i = 0
    while i < len(pool):
        group, size = [pool[i]], n_tokens[pool[i]]
        want = rng.randint(2, 4)
        i += 1
        while i < len(pool) and len(group) < want and size + n_tokens[pool[i]] <= limit:
            size += n_tokens[pool[i]]
            group.append(pool[i])
            i += 1
        if len(group) == 1:
            out.append(records[group[0]])
            continue
        sep = rng.choice(["\n\n", "\n", " "])
        text, mask = "", []
        for k in group:
            rec = records[k]
            at = len(text) + len(sep) if text else 0
            text = f"{text}{sep}{rec.source_text}" if text else rec.source_text
            mask += [{**e, "start": e["start"] + at, "end": e["end"] + at} for e in rec.privacy_mask]
        first = records[group[0]]
        out.append(
            Record(
                id="+".join(records[k].id for k in group), source_text=text, privacy_mask=mask, language=first.language
            )
        )
    rng.shuffle(out)
    return out


def train(
    params: Params,
    splits: dict[str, list[Record]],
    output_dir: str | Path | None = None,
    progress: bool = True,
    checkpoint_dir: str | Path | None = None,
    resume: bool = False,
) -> TrainResult:
    """Fine-tune ``params.base_model`` on the train split; keep the best checkpoint by validation F1.

    The same function runs in one process (a notebook kernel) or in each of several launched by
    ``accelerate launch`` / ``torchrun`` (the Trainer shards the batches); only the main process
    writes the model folder. ``resume`` continues from the newest full checkpoint in
    ``checkpoint_dir`` (a spot SageMaker job that was interrupted), which then keeps optimizer state.
    """
    import torch
    from transformers import (
        AutoTokenizer,
        DataCollatorForTokenClassification,
        EarlyStoppingCallback,
        PrinterCallback,
        Trainer,
        TrainingArguments,
        set_seed,
    )

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
    if params.split_currency_signs:  # saved with the tokenizer: the model reads signs as it learned
        split_currency_signs(tokenizer)
    model = load_base_model(name)
    markers = case_marker_ids(tokenizer) if params.case_markers else []
    if markers:  # saved in the model's config: the tagger reads texts as the model learned them
        model.config.case_markers = markers
    if params.pack_fraction > 0:  # some texts joined into longer ones, within max_length
        texts = [r.source_text for r in train_recs]
        counts = [len(x) for x in tokenizer(texts, add_special_tokens=False)["input_ids"]]
        if markers:  # a marker per word that begins with a capital
            counts = [n + len(word_cases(t)) for n, t in zip(counts, texts)]
        train_recs = pack_records(train_recs, params.pack_fraction, params.seed, counts, params.max_length - 2)
    # tokenise and align
    train_ds = to_hf_dataset(train_recs, tokenizer, params.max_length, markers)
    val_ds = to_hf_dataset(val_recs, tokenizer, params.max_length, markers) if val_recs else None
    # Trainer
    gpu = torch.cuda.is_available()
    steps_per_epoch = max(
        1, -(-len(train_ds) // (params.per_device_train_batch_size * params.gradient_accumulation_steps))
    )
    total_steps = params.max_steps if params.max_steps > 0 else int(steps_per_epoch * params.num_train_epochs)
    report_to, tracking_callbacks, tracking_dir = tracking(params)
    args = TrainingArguments(
        output_dir=str(ckpt_dir),
        seed=params.seed,
        learning_rate=params.learning_rate,
        num_train_epochs=params.num_train_epochs,
        max_steps=params.max_steps,
        per_device_train_batch_size=params.per_device_train_batch_size,
        per_device_eval_batch_size=params.per_device_eval_batch_size,
        gradient_accumulation_steps=params.gradient_accumulation_steps,
        weight_decay=params.weight_decay,
        warmup_steps=int(params.warmup_ratio * total_steps),
        eval_strategy="epoch"
        if val_ds is not None and params.max_steps <= 0
        else ("steps" if val_ds is not None else "no"),
        eval_steps=max(1, params.max_steps) if params.max_steps > 0 else None,
        save_strategy="epoch" if params.max_steps <= 0 else "steps",
        save_steps=max(1, params.max_steps) if params.max_steps > 0 else None,
        save_total_limit=2,
        save_only_model=not resume,  # resuming needs the optimizer state too
        load_best_model_at_end=val_ds is not None,
        metric_for_best_model="f1",
        greater_is_better=True,
        logging_strategy="steps",
        logging_steps=max(1, min(50, total_steps // 10 or 1)),
        bf16=gpu and torch.cuda.is_bf16_supported(),
        fp16=gpu and not torch.cuda.is_bf16_supported(),
        # no tqdm: progress_callback prints lines instead; pinned memory only helps a GPU
        report_to=report_to or "none",
        disable_tqdm=True,
        dataloader_num_workers=0,
        dataloader_pin_memory=gpu,
        **sampling_args(params.train_sampling),
    )
    callbacks = (
        [EarlyStoppingCallback(params.early_stopping_patience)] if params.early_stopping_patience > 0 and val_ds else []
    )
    callbacks += tracking_callbacks + ([progress_callback()] if progress else [])
    trainer = Trainer(
        model=model,
        args=args,
        train_dataset=train_ds,
        eval_dataset=val_ds,
        data_collator=DataCollatorForTokenClassification(tokenizer),
        processing_class=tokenizer,
        compute_metrics=make_compute_metrics() if val_ds else None,
        callbacks=callbacks,
    )
    trainer.remove_callback(PrinterCallback)  # it prints raw log dicts; progress_callback says it plainly
    # train
    t0 = time.perf_counter()
    train_out = trainer.train(resume_from_checkpoint=last_checkpoint(ckpt_dir) if resume else None)
    train_seconds = time.perf_counter() - t0
    # evaluate on validation (the best checkpoint is loaded back when there is one)
    val_metrics = trainer.evaluate() if val_ds is not None else {}
    peak_rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    metrics = {
        "train_records": len(train_recs),
        "validation_records": len(val_recs),
        "train_seconds": round(train_seconds, 1),
        "train_samples_per_second": round(train_out.metrics.get("train_samples_per_second", 0.0), 2),
        "train_loss": round(train_out.metrics.get("train_loss", float("nan")), 4),
        "epochs": round(train_out.metrics.get("epoch", 0.0), 2),
        "steps": train_out.global_step,
        "peak_memory_mb": round(peak_rss_mb, 1),
        "peak_gpu_memory_mb": round(torch.cuda.max_memory_allocated() / 2**20, 1) if gpu else None,
        "processes": args.world_size,
        "validation": {
            k.removeprefix("eval_"): round(v, 4) if isinstance(v, float) else v for k, v in val_metrics.items()
        },
        "report_to": params.report_to,
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
        if params.value_lexicon:
            write_lexicon(params, out)
    return TrainResult(out, metrics, history, tracking_dir)


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
