"""Label alignment, and a tiny training run that learns and saves a pipeline-loadable model."""
import numpy as np
from transformers import AutoTokenizer, DataCollatorForTokenClassification, pipeline

from piimask.pipeline import dataset, validate
from piimask.core.config import load_params
from piimask.pipeline.generate import generate
from piimask.core.io import read_records
from piimask.core.taxonomy import LABEL2ID
from piimask.pipeline.train import IGNORE, encode, labels_to_tags, last_checkpoint, load_result, train


def test_alignment_special_tokens_and_padding(base_model_dir):
    tok = AutoTokenizer.from_pretrained(str(base_model_dir))
    texts = ["Hi Zoë, mail ann@x.io", "ok"]
    masks = [[{"start": 3, "end": 6, "label": "FIRSTNAME"}, {"start": 13, "end": 21, "label": "EMAIL"}], []]
    enc = encode(texts, masks, tok, max_length=32)
    tokens = tok.convert_ids_to_tokens(enc["input_ids"][0])
    labels = [None if i == IGNORE else {v: k for k, v in LABEL2ID.items()}[i] for i in enc["labels"][0]]
    assert tokens[0] == "[CLS]" and tokens[-1] == "[SEP]" and labels[0] is None and labels[-1] is None
    assert list(zip(tokens[1:-1], labels[1:-1])) == [
        ("hi", "O"), ("zoe", "B-FIRSTNAME"), (",", "O"), ("mail", "O"), ("ann", "B-EMAIL"), ("@", "I-EMAIL"),
        ("x", "I-EMAIL"), (".", "I-EMAIL"), ("io", "I-EMAIL")]
    batch = DataCollatorForTokenClassification(tok)([{k: enc[k][i] for k in ("input_ids", "attention_mask", "labels")}
                                                     for i in range(2)])
    assert batch["labels"].shape == batch["input_ids"].shape
    assert (batch["labels"][1, 3:] == IGNORE).all() and (batch["attention_mask"][1, 3:] == 0).all()  # padding
    preds, refs = labels_to_tags(np.array(batch["labels"]), np.array(batch["labels"]))
    assert refs[1] == ["O"] and preds[0][1] == "B-FIRSTNAME"
    long = encode(["word " * 100], [[]], tok, max_length=16)
    assert len(long["input_ids"][0]) == 16  # truncated to max_length here; the Masker uses windows


def test_tiny_training_run_lowers_loss_and_saves_a_pipeline_model(tmp_path):
    p = load_params("smoke", {"output_root": str(tmp_path), "n_records": 120, "max_steps": 12, "learning_rate": 5e-4})
    generate(p, progress=False)
    accepted, _ = validate.gate(read_records(p.data_dir / "generated.jsonl"))
    dataset.label_records(accepted, AutoTokenizer.from_pretrained(str(p.path(p.tokenizer))))
    splits = dataset.split_records(accepted, p.validation_fraction, p.test_fraction, p.seed)
    res = train(p, splits, progress=False)
    losses = [h["loss"] for h in res.history if "loss" in h]
    assert len(losses) >= 2 and losses[-1] < losses[0]
    assert (res.model_dir / "metrics.json").exists() and res.metrics["steps"] == 12 and res.metrics["processes"] == 1
    again = load_result(res.model_dir)  # how a run trained elsewhere (accelerate, SageMaker) is read back
    assert again.metrics == res.metrics and [h.get("step") for h in again.history] == [h.get("step") for h in res.history]
    tagger = pipeline("token-classification", model=str(res.model_dir))
    out = tagger("Dear Ann, your password is hunter2.")
    assert isinstance(out, list)
    from transformers import AutoConfig

    cfg = AutoConfig.from_pretrained(str(res.model_dir))
    assert cfg.label2id["B-EMAIL"] == LABEL2ID["B-EMAIL"] and cfg.id2label[0] == "O"


def test_last_checkpoint_is_the_highest_step_and_missing_results_are_named(tmp_path):
    import pytest

    assert last_checkpoint(tmp_path / "none") is None
    for name in ("checkpoint-9", "checkpoint-12", "checkpoint-x", "other"):
        (tmp_path / name).mkdir()
    assert last_checkpoint(tmp_path) == str(tmp_path / "checkpoint-12")
    with pytest.raises(FileNotFoundError, match="holds no trained model"):
        load_result(tmp_path)
