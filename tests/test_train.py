"""Label alignment, and a tiny training run that learns, reports its progress and to TensorBoard,
and saves a model that the transformers pipeline loads as its model card says."""

import contextlib
import io
import re

import numpy as np
import pytest
from transformers import AutoTokenizer, DataCollatorForTokenClassification, pipeline

from piimask.core.config import load_params
from piimask.core.io import read_records
from piimask.core.taxonomy import LABEL2ID
from piimask.pipeline import cards, dataset, validate
from piimask.pipeline.generate import generate
from piimask.pipeline.train import IGNORE, encode, labels_to_tags, last_checkpoint, load_result, tracking, train
from piimask.runtime.lexicon import ValueLexicon
from piimask.runtime.predict import TokenTagger


def test_alignment_special_tokens_and_padding(base_model_dir):
    tok = AutoTokenizer.from_pretrained(str(base_model_dir))
    texts = ["Hi Zoë, mail ann@x.io", "ok"]
    masks = [[{"start": 3, "end": 6, "label": "FIRSTNAME"}, {"start": 13, "end": 21, "label": "EMAIL"}], []]
    enc = encode(texts, masks, tok, max_length=32)
    tokens = tok.convert_ids_to_tokens(enc["input_ids"][0])
    labels = [None if i == IGNORE else {v: k for k, v in LABEL2ID.items()}[i] for i in enc["labels"][0]]
    assert tokens[0] == "[CLS]" and tokens[-1] == "[SEP]" and labels[0] is None and labels[-1] is None
    assert list(zip(tokens[1:-1], labels[1:-1])) == [
        ("hi", "O"),
        ("zoe", "B-FIRSTNAME"),
        (",", "O"),
        ("mail", "O"),
        ("ann", "B-EMAIL"),
        ("@", "I-EMAIL"),
        ("x", "I-EMAIL"),
        (".", "I-EMAIL"),
        ("io", "I-EMAIL"),
    ]
    batch = DataCollatorForTokenClassification(tok)(
        [{k: enc[k][i] for k in ("input_ids", "attention_mask", "labels")} for i in range(2)]
    )
    assert batch["labels"].shape == batch["input_ids"].shape
    assert (batch["labels"][1, 3:] == IGNORE).all() and (batch["attention_mask"][1, 3:] == 0).all()  # padding
    preds, refs = labels_to_tags(np.array(batch["labels"]), np.array(batch["labels"]))
    assert refs[1] == ["O"] and preds[0][1] == "B-FIRSTNAME"
    long = encode(["word " * 100], [[]], tok, max_length=16)
    assert len(long["input_ids"][0]) == 16  # truncated to max_length here; the Masker uses windows


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """One tiny training run (12 steps) with progress lines and TensorBoard on; (params, result, splits, stdout)."""
    tmp = tmp_path_factory.mktemp("train")
    p = load_params(
        "smoke",
        {"output_root": str(tmp), "n_records": 120, "max_steps": 12, "learning_rate": 5e-4, "report_to": "tensorboard"},
    )
    generate(p, progress=False)
    accepted, _ = validate.gate(read_records(p.data_dir / "generated.jsonl"))
    dataset.label_records(accepted, AutoTokenizer.from_pretrained(str(p.path(p.tokenizer))))
    splits = dataset.split_records(accepted, p.validation_fraction, p.test_fraction, p.seed)
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        res = train(p, splits, progress=True)
    return p, res, splits, out.getvalue()


def test_tiny_training_run_lowers_loss_and_saves_a_pipeline_model(trained):
    _, res, _, _ = trained
    losses = [h["loss"] for h in res.history if "loss" in h]
    assert len(losses) >= 2 and losses[-1] < losses[0]
    assert (res.model_dir / "metrics.json").exists() and res.metrics["steps"] == 12 and res.metrics["processes"] == 1
    lexicon = ValueLexicon.load(res.model_dir)  # written beside the model: the tagger reads it
    assert lexicon is not None and lexicon.groups[0] == ("FIRSTNAME", "MIDDLENAME", "LASTNAME") and len(lexicon) > 1000
    again = load_result(res.model_dir)  # how a run trained elsewhere (accelerate, SageMaker) is read back
    assert again.metrics == res.metrics and [h.get("step") for h in again.history] == [
        h.get("step") for h in res.history
    ]
    signs = TokenTagger(res.model_dir).tokenizer("₺270629", add_special_tokens=False)["input_ids"]
    assert len(signs) > 1  # trained with currency signs cut out of words, and read back so
    tagger = pipeline("token-classification", model=str(res.model_dir))
    out = tagger("Dear Ann, your password is hunter2.")
    assert isinstance(out, list)
    from transformers import AutoConfig

    cfg = AutoConfig.from_pretrained(str(res.model_dir))
    assert cfg.label2id["B-EMAIL"] == LABEL2ID["B-EMAIL"] and cfg.id2label[0] == "O"


def test_training_reports_progress_as_plain_lines(trained):
    *_, stdout = trained
    lines = stdout.splitlines()
    assert lines[0] == "train: 12 steps, 1 epoch(s)"
    assert any(
        re.fullmatch(r"train: step 12/12 \(100%\), epoch [\d.]+, loss [\d.]+, [\w ]+, about 0 s left", ln)
        for ln in lines
    ), lines
    assert any(ln.startswith("validation, the kept checkpoint: entity F1 ") for ln in lines)
    assert not any(ln.startswith("{") for ln in lines)  # the Trainer's raw log dicts are not printed
    assert "it/s]" not in stdout  # no tqdm bar


def test_report_to_tensorboard_writes_event_files_with_the_loss(trained):
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    p, res, _, _ = trained
    assert res.tracking_dir is not None and res.tracking_dir.parent == p.run_dir / "tensorboard"
    assert list(res.tracking_dir.glob("events.out.tfevents.*"))
    events = EventAccumulator(str(res.tracking_dir))
    events.Reload()
    loss = events.Scalars("train/loss")
    assert len(loss) >= 2 and loss[-1].step == 12
    assert res.metrics["report_to"] == "tensorboard"


def test_report_to_mlflow_goes_through_the_trainer_and_none_adds_nothing(monkeypatch):
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: object() if name == "mlflow" else real(name, *a))
    assert tracking(load_params("smoke", {"report_to": "mlflow"})) == (["mlflow"], [], None)
    assert tracking(load_params("smoke")) == ([], [], None)


def test_the_model_card_snippet_runs_on_the_trained_model_as_written(trained):
    from piimask.pipeline.evaluate import evaluate_rows
    from piimask.runtime.predict import TokenTagger

    p, res, splits, _ = trained
    rows = [r.to_dict() for r in splits["test"]]
    evaluation = {"synthetic-test": evaluate_rows(TokenTagger(res.model_dir), rows, "synthetic-test").to_dict()}
    aggregation = cards.aggregation_scores(res.model_dir, rows)
    assert set(aggregation) == {"simple", "first", "max"} and all(v["rows"] == len(rows) for v in aggregation.values())
    card = cards.model_card(p, res.metrics, evaluation, aggregation)
    best = cards.best_aggregation(aggregation)
    snippet = re.search(r"```python\n(from transformers import pipeline.*?)```", card, re.S).group(1)
    assert f'model="{res.model_dir}", aggregation_strategy="{best}"' in snippet
    namespace: dict = {}
    exec(snippet, namespace)  # the card's usage code, as a reader would paste it
    tagger = namespace["tagger"]
    assert tagger._postprocess_params["aggregation_strategy"].value == best
    found = tagger("Dear Ms. Harper, your new password is icy6CvfhlatB.")
    assert isinstance(found, list) and all({"entity_group", "start", "end", "score"} <= set(f) for f in found)
    (res.model_dir / "README.md").write_text(card)
    assert pipeline("token-classification", model=str(res.model_dir), aggregation_strategy=best).model is not None


def test_the_base_model_loads_without_the_expected_missing_head_report(base_model_dir, capfd):
    import warnings

    from piimask.pipeline.train import load_base_model

    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no warning of piimask's either: only the head is new
        model = load_base_model(str(base_model_dir))
    assert model.config.num_labels == len(LABEL2ID)
    assert "LOAD REPORT" not in capfd.readouterr().err


def test_weights_missing_besides_the_head_are_named(monkeypatch, base_model_dir):
    from transformers import AutoModelForTokenClassification

    from piimask.pipeline.train import load_base_model

    monkeypatch.setattr(
        AutoModelForTokenClassification,
        "from_pretrained",
        lambda *a, **k: (
            "model",
            {"missing_keys": ["classifier.weight", "distilbert.transformer.layer.0.ffn.lin1.weight"]},
        ),
    )
    with pytest.warns(UserWarning, match=r"1 weight\(s\) besides the new classification head.*layer.0.ffn.lin1"):
        assert load_base_model("some/model") == "model"


def test_last_checkpoint_is_the_highest_step_and_missing_results_are_named(tmp_path):
    import pytest

    assert last_checkpoint(tmp_path / "none") is None
    for name in ("checkpoint-9", "checkpoint-12", "checkpoint-x", "other"):
        (tmp_path / name).mkdir()
    assert last_checkpoint(tmp_path) == str(tmp_path / "checkpoint-12")
    with pytest.raises(FileNotFoundError, match="holds no trained model"):
        load_result(tmp_path)


@pytest.mark.parametrize("sampling", ["random", "group_by_length"])
def test_group_by_length_batches_texts_of_similar_length(base_model_dir, tmp_path, sampling):
    """train_sampling reaches the Trainer on this transformers: grouped batches carry far less
    padding than random ones, and every text is still seen once per epoch."""
    import datasets
    from transformers import AutoModelForTokenClassification, Trainer, TrainingArguments

    from piimask.pipeline.train import sampling_args

    tok = AutoTokenizer.from_pretrained(str(base_model_dir))
    rng = np.random.default_rng(0)
    texts = [" ".join(["word"] * int(n)) for n in rng.integers(1, 100, size=1024)]
    ds = datasets.Dataset.from_dict(dict(encode(texts, [[]] * len(texts), tok, max_length=128)))
    args = TrainingArguments(
        output_dir=str(tmp_path), per_device_train_batch_size=8, report_to="none", **sampling_args(sampling)
    )
    model = AutoModelForTokenClassification.from_pretrained(str(base_model_dir), num_labels=len(LABEL2ID))
    trainer = Trainer(
        model=model,
        args=args,
        train_dataset=ds,
        data_collator=DataCollatorForTokenClassification(tok),
        processing_class=tok,
    )
    real = padded = seen = 0
    for batch in trainer.get_train_dataloader():
        real += int(batch["attention_mask"].sum())
        padded += batch["attention_mask"].numel()
        seen += len(batch["input_ids"])
    assert seen == len(texts)
    if sampling == "group_by_length":
        assert real / padded > 0.9
    else:
        assert real / padded < 0.75


def test_packed_texts_keep_every_record_span_and_token_within_the_limit(base_model_dir):
    """pack_fraction joins records into longer texts: every record's text appears once, every span
    still covers its own value, and no joined text passes max_length."""
    from piimask.core.record import Record
    from piimask.pipeline.train import pack_records

    tok = AutoTokenizer.from_pretrained(str(base_model_dir))
    recs = []
    for i in range(200):
        name = f"Name{i}"
        text = f"Please write to {name} about order {i}." + " again" * (i % 30)
        recs.append(
            Record(
                id=str(i),
                source_text=text,
                privacy_mask=[{"label": "FIRSTNAME", "start": 16, "end": 16 + len(name), "value": name}],
            )
        )
    counts = [len(x) for x in tok([r.source_text for r in recs], add_special_tokens=False)["input_ids"]]
    assert pack_records(recs, 0.0, 0, counts, 126) is recs
    packed = pack_records(recs, 0.5, 0, counts, 126)
    joined = [r for r in packed if "+" in r.id]
    assert 20 <= len(joined) < 100 and len(packed) < len(recs)
    ids = [i for r in packed for i in r.id.split("+")]
    assert sorted(ids, key=int) == [r.id for r in recs]  # each record exactly once
    for r in packed:
        assert all(r.source_text[e["start"] : e["end"]] == e["value"] for e in r.privacy_mask)
        assert len(r.privacy_mask) == len(r.id.split("+"))
        assert len(tok(r.source_text, add_special_tokens=False)["input_ids"]) <= 126
    assert packed == pack_records(recs, 0.5, 0, counts, 126)  # seeded


def test_case_markers_go_before_capitalised_words_unlabelled_and_the_tagger_reads_them_so(base_model_dir, tmp_path):
    from piimask.runtime.predict import CASE_MARKERS, case_marker_ids

    tok = AutoTokenizer.from_pretrained(str(base_model_dir))
    markers = case_marker_ids(tok)
    text = "Beste Jan, Rue de l'Église 12, PARIS. McDonald_Smith"
    mask = [{"start": 11, "end": 26, "label": "STREET"}, {"start": 31, "end": 36, "label": "CITY"}]
    plain = encode([text], [mask], tok, max_length=64)
    enc = encode([text], [mask], tok, max_length=64, case_markers=markers)
    pairs = list(zip(tok.convert_ids_to_tokens(enc["input_ids"][0]), enc["labels"][0]))
    title, caps = CASE_MARKERS
    names = {v: k for k, v in LABEL2ID.items()}
    words = [t for t, _ in pairs]
    # a marker before each word that begins with a capital, the capitals' own before PARIS;
    # none inside a word (McDonald) or before lower-case ones
    assert [words[k + 1] for k, t in enumerate(words) if t == title] == ["best", "jan", "rue", "e", "mcdonald", "smith"]
    assert [words[k + 1] for k, t in enumerate(words) if t == caps] == ["paris"]
    assert all(lab == IGNORE for t, lab in pairs if t in CASE_MARKERS)
    # the text's own tokens keep the labels they have without markers (the street stays one entity)
    own = [lab for t, lab in pairs if t not in CASE_MARKERS]
    assert own == plain["labels"][0] and [names[lab] for t, lab in pairs if t in ("rue", "e", "paris")] == [
        "B-STREET",
        "I-STREET",
        "B-CITY",
    ]
    cut = encode([text], [mask], tok, max_length=8, case_markers=markers)
    assert len(cut["input_ids"][0]) == len(cut["labels"][0]) == 8 and cut["labels"][0][-1] == IGNORE  # [SEP] kept


def test_a_model_trained_with_case_markers_keeps_them_and_tags_the_same_characters(tmp_path):
    p = load_params(
        "smoke",
        {"output_root": str(tmp_path), "n_records": 60, "max_steps": 3, "case_markers": True, "value_lexicon": False},
    )
    generate(p, progress=False)
    accepted, _ = validate.gate(read_records(p.data_dir / "generated.jsonl"))
    dataset.label_records(accepted, AutoTokenizer.from_pretrained(str(p.path(p.tokenizer))))
    splits = dataset.split_records(accepted, p.validation_fraction, p.test_fraction, p.seed)
    res = train(p, splits, progress=False)
    tagger = TokenTagger(res.model_dir, window=16, stride=4)
    title, caps = tagger.tokenizer.convert_tokens_to_ids(["[unused1]", "[unused2]"])
    assert tagger.case_markers == [title, caps]  # kept in the model's config
    text = "Dear Ann Lee, call NOW. " * 3
    ids, offs = tagger._encode([text])[0]
    assert list(ids).count(title) == 9 and list(ids).count(caps) == 3  # Dear, Ann, Lee; NOW
    assert all(offs[k, 0] == offs[k, 1] for k in range(len(ids)) if ids[k] in (title, caps))
    long_ids, long_offs = tagger._encode_long(text)  # a long text's pieces are marked alike
    assert (long_ids == ids).all() and (long_offs == offs).all()
    for tagged in tagger.tag([text, text * 5]):  # one window, and many
        assert len(tagged.offsets) == len(tagger.tokenizer(tagged.text, add_special_tokens=False)["input_ids"])
        assert all(b > a for a, b in tagged.offsets)  # markers carry no decision
