import os
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("HF_DATASETS_OFFLINE", "1")
os.environ.setdefault("MPLBACKEND", "Agg")
ROOT = Path(__file__).resolve().parents[1]
DATA = Path(__file__).resolve().parent / "data"


@pytest.fixture(scope="session")
def base_model_dir(tmp_path_factory) -> Path:
    """The converted offline base model: outputs/base-model if `make base-model` ran, else built."""
    built = ROOT / "outputs" / "base-model"
    if (built / "config.json").exists():
        return built
    from piimask.pipeline.basemodel import build_base_model

    return build_base_model(tmp_path_factory.mktemp("base-model"))


@pytest.fixture(scope="session")
def tokenizer(base_model_dir):
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(str(base_model_dir))


@pytest.fixture(scope="session")
def tiny_model(tmp_path_factory, base_model_dir):
    """An untrained head on the base model: enough to exercise windows and I/O (not accuracy)."""
    from transformers import AutoModelForTokenClassification, AutoTokenizer

    from piimask.core.taxonomy import ID2LABEL, LABEL2ID

    out = tmp_path_factory.mktemp("tiny-model")
    model = AutoModelForTokenClassification.from_pretrained(
        str(base_model_dir), num_labels=len(ID2LABEL), id2label=ID2LABEL, label2id=LABEL2ID
    )
    model.save_pretrained(out)
    AutoTokenizer.from_pretrained(str(base_model_dir)).save_pretrained(out)
    return out


@pytest.fixture
def make_run(tmp_path):
    """A factory of tiny labelled runs on disk (smoke profile, a few dozen short records), as 02
    leaves them: ``make_run(**params) -> (params, splits)``."""

    def make(**overrides):
        from transformers import AutoTokenizer

        from piimask.core.config import load_params
        from piimask.core.io import read_records
        from piimask.pipeline import dataset, validate
        from piimask.pipeline.generate import generate

        p = load_params("smoke", {"output_root": str(tmp_path / "runs"), "n_records": 60, **overrides})
        generate(p, progress=False)
        accepted, _ = validate.gate(read_records(p.data_dir / "generated.jsonl"))
        dataset.label_records(accepted, AutoTokenizer.from_pretrained(str(p.path(p.tokenizer))))
        splits = dataset.split_records(accepted, p.validation_fraction, p.test_fraction, p.seed)
        dataset.save_splits(splits, p.data_dir / "splits")
        return p, splits

    return make
