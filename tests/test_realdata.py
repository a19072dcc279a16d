"""`piimask fetch-realdata`: the held-out English slice of the 200k dataset, loaded through
datasets.load_dataset (a local stand-in here: the hub is not reachable from the tests), written
where the evaluation reads it; the slice is reproducible and never a few-shot example."""

import json
import random

import datasets
import pytest

from piimask import cli
from piimask.core.config import load_params
from piimask.pipeline import realdata
from piimask.pipeline.evaluate import load_external
from piimask.pipeline.generate.reference import load_reference

WORDS = ["Kim", "Lee", "Oslo", "Apt 4", "42", "Lima", "Jo", "Pat"]


def fake_rows(n=6000, seed=0):
    """Rows in the 200k schema, made up here (no real row)."""
    rng = random.Random(seed)
    rows = []
    for i in range(n):
        a, b = rng.sample(WORDS, 2)
        text = f"Note {i}: {a} met {b}."
        sa, sb = text.index(a), text.index(b, text.index(" met ") + 1)
        rows.append(
            {
                "id": 100_000 + i,
                "language": ["en", "fr", "de", "it"][i % 4],
                "source_text": text,
                "target_text": text.replace(a, "[FIRSTNAME]"),
                "privacy_mask": [
                    {"value": a, "start": sa, "end": sa + len(a), "label": "FIRSTNAME"},
                    {"value": b, "start": sb, "end": sb + len(b), "label": "CITY"},
                ],
                "span_labels": "[]",
                "mbert_text_tokens": ["Note"],
                "mbert_bio_labels": ["O"],
            }
        )
    rows[1000]["privacy_mask"][0]["start"] += 1  # a span that does not match its text is left out
    return rows


@pytest.fixture
def hub(monkeypatch):
    """datasets.load_dataset answering for the hub id from a local Dataset; records its calls."""
    calls = []
    real_load = datasets.load_dataset

    def load(path, split=None, **kw):
        calls.append((path, split))
        if path != realdata.HUB_ID:
            return real_load(path, split=split, **kw)
        if split != "train":
            raise ValueError(f"Unknown split \"{split}\". Should be one of ['train'].")
        return datasets.Dataset.from_list(fake_rows())

    monkeypatch.setattr(datasets, "load_dataset", load)
    return calls


def read(path):
    return [json.loads(ln) for ln in path.read_text().splitlines()]


def test_fetch_writes_the_held_out_english_slice(hub, tmp_path, capsys):
    out = tmp_path / "realdata" / "ai4privacy_200k_en_dev.jsonl"
    assert cli.main(["fetch-realdata", "--out", str(out)]) == 0
    assert hub == [(realdata.HUB_ID, "train")]
    rows = read(out)
    english = [r for r in fake_rows() if r["language"] == "en"]
    expected = [r for r in english if realdata.held_out(r)]
    assert 0.01 < len(rows) / len(english) < 0.04  # about 2 % of the English rows
    assert len(rows) == len(expected) - (any(r["id"] == 101_000 for r in expected))
    assert all(r["language"] == "en" and realdata.held_out(r) for r in rows)
    assert all(r["source_text"][e["start"] : e["end"]] == e["value"] for r in rows for e in r["privacy_mask"])
    assert [r["id"] for r in rows] == sorted((r["id"] for r in rows), key=lambda i: realdata.slice_position({"id": i}))
    assert f"{len(rows)} held-out en rows" in capsys.readouterr().out


def test_the_slice_is_the_same_whatever_the_order_and_max_rows_takes_its_head():
    rows = fake_rows()
    shuffled = rows[:]
    random.Random(5).shuffle(shuffled)
    a, counts = realdata.select_rows(rows)
    b, _ = realdata.select_rows(shuffled)
    assert a == b and counts["other language"] == 4500
    head, counts = realdata.select_rows(shuffled, max_rows=10)
    assert head == a[:10] and counts["beyond max_rows"] == len(a) - 10


def test_spans_as_json_text_are_read_and_unreadable_ones_left_out():
    row = {
        "id": 1,
        "language": "en",
        "source_text": "Hi Kim",
        "privacy_mask": json.dumps([{"value": "Kim", "start": 3, "end": 6, "label": "FIRSTNAME"}]),
    }
    bad = {**row, "id": 2, "privacy_mask": "[{'value': 'Kim'}]"}  # a Python repr: never eval'd
    rows, counts = realdata.select_rows([row, bad], fraction=1.0)
    assert rows == [{**row, "privacy_mask": json.loads(row["privacy_mask"])}]
    assert counts == {"spans that do not match the text": 1}


def test_an_existing_file_is_kept_unless_forced(hub, tmp_path, capsys):
    out = tmp_path / "real.jsonl"
    out.write_text('{"keep": 1}\n')
    assert cli.main(["fetch-realdata", "--out", str(out)]) == 1
    assert "exists; it is kept" in capsys.readouterr().err and out.read_text() == '{"keep": 1}\n'
    assert cli.main(["fetch-realdata", "--out", str(out), "--force", "--max-rows", "5"]) == 0
    assert len(read(out)) == 5


def test_unreachable_hub_and_a_split_that_does_not_exist_say_what_to_do(hub, tmp_path, monkeypatch, capsys):
    assert cli.main(["fetch-realdata", "--out", str(tmp_path / "x.jsonl"), "--split", "validation"]) == 1
    assert "the dataset's only split is 'train'" in capsys.readouterr().err
    monkeypatch.setattr(datasets, "load_dataset", lambda *a, **k: (_ for _ in ()).throw(ConnectionError("offline")))
    assert cli.main(["fetch-realdata", "--out", str(tmp_path / "x.jsonl")]) == 1
    err = capsys.readouterr().err
    assert "ConnectionError: offline" in err and "--dataset DIR" in err and "Traceback" not in err
    assert not (tmp_path / "x.jsonl").exists()


def test_a_local_dataset_folder_stands_in_for_the_hub(tmp_path):
    folder = tmp_path / "pii-masking-200k"
    folder.mkdir()
    (folder / "train.jsonl").write_text("\n".join(json.dumps(r) for r in fake_rows(2000)))
    out = tmp_path / "real.jsonl"
    assert cli.main(["fetch-realdata", "--dataset", str(folder), "--out", str(out)]) == 0  # datasets, offline
    assert read(out) == realdata.select_rows(fake_rows(2000))[0]


def test_the_default_file_is_the_one_the_evaluation_reads(hub, tmp_path):
    p = load_params("default")
    spec = next(s for s in p.external_datasets if not s["label_map"])
    assert realdata.default_out() == p.path(spec["path"])
    out = tmp_path / "real.jsonl"
    realdata.fetch_realdata(out)
    rows, unmapped = load_external({**spec, "path": str(out)}, p.label_maps)
    assert rows and not unmapped and all(r["privacy_mask"] for r in rows)


def test_evaluating_a_hub_id_reads_train_and_scores_only_the_slice(hub):
    rows, _ = load_external({"name": "hub", "path": realdata.HUB_ID, "label_map": "", "language": "en"}, {})
    assert hub == [(realdata.HUB_ID, "train")]
    assert rows and all(realdata.held_out(r) and r["language"] == "en" for r in rows)
    assert load_params(
        "base",
        {
            "external_datasets": [
                {"name": "hub", "path": realdata.HUB_ID, "label_map": "", "split": "train", "language": "en"}
            ]
        },
    )
    with pytest.raises(ValueError, match="external_datasets"):
        load_params("base", {"external_datasets": [{"name": "hub", "path": realdata.HUB_ID, "lang": "en"}]})


def test_few_shot_examples_never_come_from_the_held_out_slice(hub):
    rows = load_reference(realdata.HUB_ID, language="en")
    assert rows and not any(realdata.held_out(r) for r in rows)
    assert len(rows) == sum(1 for r in fake_rows() if r["language"] == "en" and not realdata.held_out(r))
