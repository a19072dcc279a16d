"""Hub-standard artefacts: the dataset saved with ClassLabel tags and its card, the model card's
metadata and sections, and the opt-in push (against a stand-in for the hub: no network)."""

import pytest
import yaml

from piimask.core.config import load_params
from piimask.core.record import Record
from piimask.core.taxonomy import BIO_LABELS
from piimask.pipeline import cards, dataset


def front_matter(card: str) -> dict:
    assert card.startswith("---\n")
    return yaml.safe_load(card.split("---\n")[1])


def rec(i, text, *values):
    pm, cursor = [], 0
    for value, label in values:
        start = text.index(value, cursor)
        pm.append({"value": value, "start": start, "end": start + len(value), "label": label})
        cursor = start + len(value)
    return Record(id=f"r{i}", source_text=text, privacy_mask=pm, template_id=f"f{i:02d}/a")


@pytest.fixture
def splits(tokenizer):
    recs = [
        rec(1, "Dear Ann Lee, mail ann@x.io", ("Ann", "FIRSTNAME"), ("Lee", "LASTNAME"), ("ann@x.io", "EMAIL")),
        rec(2, "Call Bob on 555-0100 today.", ("Bob", "FIRSTNAME"), ("555-0100", "PHONENUMBER")),
        rec(3, "Paris office, IBAN GB82WEST12345698765432.", ("Paris", "CITY"), ("GB82WEST12345698765432", "IBAN")),
    ]
    dataset.label_records(recs, tokenizer)
    return {"train": recs[:1], "validation": recs[1:2], "test": recs[2:]}


def test_the_dataset_loads_with_classlabel_tags_and_carries_its_card(tmp_path, splits):
    import datasets

    params = load_params("smoke", {"output_root": str(tmp_path)})
    out = dataset.save_splits(splits, tmp_path / "splits", card=cards.dataset_card(params, splits, rejected=2))
    for ds in (
        datasets.load_from_disk(str(out / "hf"))["train"],
        datasets.load_dataset("parquet", data_files={"train": str(out / "train.parquet")})["train"],
    ):
        tags = ds.features["ner_tags"]
        assert isinstance(tags.feature, datasets.ClassLabel) and tags.feature.names == list(BIO_LABELS)
        assert tags.feature.int2str(ds[0]["ner_tags"]) == splits["train"][0].mbert_bio_labels
    card = (out / "README.md").read_text()
    assert card == (out / "hf" / "README.md").read_text()
    meta = front_matter(card)
    assert meta["license"] == "apache-2.0" and meta["task_categories"] == ["token-classification"]
    assert meta["configs"][0]["data_files"] == [
        {"split": s, "path": f"{s}.parquet"} for s in ("train", "validation", "test")
    ]
    assert meta["size_categories"] == ["n<1K"]
    assert "| train | 1 | 1 | 3 |" in card and "| test | 1 | 1 | 2 |" in card  # records, groups, entities
    assert "| EMAIL | 1 | 0 | 0 | e-mail address |" in card and "| IBAN | 0 | 0 | 1 |" in card
    assert "| `ner_tags` |" in card and "2 generated records failed the quality gate" in card
    assert "seed 42" in card and f"| backend | {params.backend} |" in card and "template family" in card


def evaluation():
    def res(rows, f1, leak, per_class):
        return {
            "summary": {
                "rows": rows,
                "entity_f1": f1,
                "macro_f1": f1 - 0.01,
                "entity_precision": f1,
                "entity_recall": f1,
                "leak_rate": leak,
            },
            "entity": {"per_class": {c: {"precision": v, "recall": v, "f1": v, "number": n} for c, v, n in per_class}},
            "leak": {"per_class": {c: 0.01 for c, _, _ in per_class}},
        }

    return {
        "synthetic-test": res(700, 0.847, 0.002, [("EMAIL", 0.99, 40)]),
        "ai4privacy-200k-en": res(
            400, 0.724, 0.0061, [("EMAIL", 0.95, 30), ("DOB", 0.2, 12), ("CITY", 0.6, 20), ("PIN", 0.0, 0)]
        ),
        "ai4privacy-300k-en": res(250, 0.107, 0.021, [("FIRSTNAME", 0.3, 50)]),
    }


AGGREGATION = {
    "simple": {"span_strict_f1": 0.640, "span_overlap_f1": 0.8, "leak_rate": 0.01, "rows": 400},
    "first": {"span_strict_f1": 0.697, "span_overlap_f1": 0.8, "leak_rate": 0.008, "rows": 400},
    "max": {"span_strict_f1": 0.703, "span_overlap_f1": 0.8, "leak_rate": 0.008, "rows": 400},
}
TRAIN = {
    "train_records": 5670,
    "validation_records": 700,
    "train_seconds": 420.0,
    "train_samples_per_second": 29.0,
    "steps": 356,
    "peak_memory_mb": 2000,
    "device": "cpu",
    "validation": {"f1": 0.825},
}


def test_the_model_card_has_hub_metadata_results_per_class_usage_and_tradeoffs(tmp_path):
    p = load_params("default", {"output_root": str(tmp_path)})
    card = cards.model_card(p, TRAIN, evaluation(), AGGREGATION)
    meta = front_matter(card)
    assert meta["license"] == "apache-2.0" and meta["pipeline_tag"] == "token-classification"
    assert meta["base_model"] == "sentence-transformers/all-MiniLM-L6-v2"
    assert meta["datasets"] == ["ai4privacy/pii-masking-200k", "ai4privacy/pii-masking-300k"]
    results = meta["model-index"][0]["results"]
    real = next(r for r in results if r["dataset"]["type"] == "ai4privacy/pii-masking-200k")
    assert {m["name"]: m["value"] for m in real["metrics"]}["entity F1 (micro, seqeval)"] == 0.724
    assert {m["type"] for m in real["metrics"]} == {"f1", "precision", "recall", "leak_rate"}
    assert "**On 400 real ai4privacy 200k rows it never saw: entity F1 0.724, macro F1 0.714" in card
    assert "mapped-class F1 is low for that reason" in card
    body = card.split("### Per class, ai4privacy-200k-en")[1]
    assert body.index("| EMAIL |") < body.index("| CITY |") < body.index("| DOB |") and "| PIN |" not in body
    assert f'pipeline("token-classification", model="{p.model_dir}", aggregation_strategy="max")' in card
    assert "simple 0.640, first 0.697, max 0.703" in card
    assert "## Trade-offs and limits" in card and "multilingual" not in card
    assert "never CURRENCYNAME or IP" in card  # the default settles look-alikes
    unsettled = cards.model_card(
        load_params("default", {"settle_lookalikes": False, "settle_dates": False}), TRAIN, evaluation(), AGGREGATION
    )
    assert "never CURRENCYNAME or IP" not in unsettled and "caps those classes' F1 there. For masking" in unsettled
    assert "`settle_dates`" not in unsettled
    dated = cards.model_card(load_params("default", {"settle_dates": True}), TRAIN, evaluation(), AGGREGATION)
    assert "every full calendar date (day, month and year) as DOB" in dated
    assert "`load_tokenizer` does for this model" in card  # currency signs cut out of words
    assert 'a company\'s usual ending left out of it ("Varga" + "Group"). Nor does it cut' in card
    plain = cards.model_card(load_params("default", {"split_currency_signs": False}), TRAIN, evaluation(), AGGREGATION)
    assert "load_tokenizer" not in plain and "case_markers" not in card
    marked = cards.model_card(load_params("default", {"case_markers": True}), TRAIN, evaluation(), AGGREGATION)
    assert "`TokenTagger` does from the config's `case_markers`" in marked


def test_before_evaluation_the_card_says_so_and_has_no_model_index(tmp_path):
    p = load_params("smoke", {"output_root": str(tmp_path)})
    card = cards.model_card(p, TRAIN)
    assert "model-index" not in front_matter(card) and "Not evaluated yet" in card
    assert 'aggregation_strategy="first"' in card  # no measurement yet: the argmax-like default


def test_best_aggregation_prefers_strict_f1_then_overlap():
    assert cards.best_aggregation(AGGREGATION) == "max"
    tie = {
        "simple": {"span_strict_f1": 0.7, "span_overlap_f1": 0.8},
        "first": {"span_strict_f1": 0.7, "span_overlap_f1": 0.9},
    }
    assert cards.best_aggregation(tie) == "first"
    with pytest.raises(ValueError):
        cards.best_aggregation({})


@pytest.mark.parametrize(
    "spec,repo",
    [
        ({"name": "ai4privacy-200k-en", "path": "../shared/x.jsonl"}, "ai4privacy/pii-masking-200k"),
        ({"name": "mine", "path": "someone/pii-rows"}, "someone/pii-rows"),
        ({"name": "mine", "path": "data/rows.jsonl"}, ""),
    ],
)
def test_hub_dataset_ids(spec, repo):
    assert cards.hub_dataset_id(spec) == repo


class FakeHub:
    """A stand-in for huggingface_hub.HfApi that records what would be sent."""

    def __init__(self, token=True):
        self.calls, self.token = [], token

    def whoami(self):
        if not self.token:
            raise OSError("Invalid user token")
        return {"name": "me"}

    def create_repo(self, repo_id, **kw):
        self.calls.append(("create_repo", repo_id, kw))

    def upload_folder(self, **kw):
        self.calls.append(("upload_folder", kw["repo_id"], kw))
        return f"https://hub.example/{kw['repo_id']}/commit/1"


@pytest.fixture
def pushable(tmp_path):
    p = load_params(
        "smoke",
        {
            "output_root": str(tmp_path),
            "push_to_hub": True,
            "hub_model_id": "me/tagger",
            "hub_dataset_id": "me/pii-data",
        },
    )
    p.model_dir.mkdir(parents=True)
    (p.model_dir / "config.json").write_text("{}")
    (p.model_dir / "README.md").write_text("card")
    splits_dir = p.data_dir / "splits"
    splits_dir.mkdir(parents=True)
    (splits_dir / "README.md").write_text("dataset card")
    return p


def test_push_uploads_the_model_folder_and_the_dataset_privately(pushable):
    hub = FakeHub()
    pushed = cards.push_to_hub(pushable, api=hub)
    assert pushed == {
        "user": "me",
        "model": "https://hub.example/me/tagger/commit/1",
        "dataset": "https://hub.example/me/pii-data/commit/1",
    }
    (c1, m1, k1), (u1, _, up1), (c2, d2, k2), (u2, _, up2) = hub.calls
    assert (c1, m1, k1) == ("create_repo", "me/tagger", {"repo_type": "model", "private": True, "exist_ok": True})
    assert up1["folder_path"] == str(pushable.model_dir) and up1["repo_type"] == "model"
    assert (c2, d2, k2["repo_type"]) == ("create_repo", "me/pii-data", "dataset")
    assert up2["folder_path"] == str(pushable.data_dir / "splits") and "README.md" in up2["allow_patterns"]
    assert "*.parquet" in up2["allow_patterns"] and not any("hf" in a for a in up2["allow_patterns"])


def test_push_is_opt_in_and_says_what_to_do_without_a_token(pushable):
    hub = FakeHub()
    off = load_params("smoke", {"output_root": str(pushable.output_root)})
    assert cards.push_to_hub(off, api=hub) == {} and hub.calls == []
    with pytest.raises(RuntimeError, match="HF_TOKEN"):
        cards.push_to_hub(pushable, api=FakeHub(token=False))
    (pushable.model_dir / "README.md").unlink()
    with pytest.raises(FileNotFoundError, match="README.md is missing"):
        cards.push_to_hub(pushable, api=hub)
    assert hub.calls == []
