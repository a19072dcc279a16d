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
    from piimask.basemodel import build_base_model

    return build_base_model(tmp_path_factory.mktemp("base-model"))


@pytest.fixture(scope="session")
def tokenizer(base_model_dir):
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(str(base_model_dir))
