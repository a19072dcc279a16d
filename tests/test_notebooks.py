"""Every notebook runs under papermill on the smoke profile, and the HTML reports render."""

import json
from pathlib import Path

import nbformat
import pytest
import yaml

from piimask.pipeline import stages
from piimask.pipeline.report import NOTEBOOKS, build_reports

ROOT = Path(__file__).resolve().parents[1]
NB_DIR = ROOT / "notebooks"


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_notebook_shape(name):
    nb = nbformat.read(str(NB_DIR / f"{name}.ipynb"), as_version=4)
    assert nb.cells[0].cell_type == "markdown" and "reads" in nb.cells[0].source.lower()
    code = [c for c in nb.cells if c.cell_type == "code"]
    tagged = [c for c in code if "parameters" in c.metadata.get("tags", [])]
    assert len(tagged) == 1
    assert not any(c.get("outputs") for c in code)
    assert not any(line.lstrip().startswith(("def ", "class ")) for c in code for line in c.source.splitlines())
    # the parameters cell: the profile and explicit overrides; every default lives in base.yaml
    ns: dict = {}
    exec(tagged[0].source, ns)
    assert {k for k in ns if k != "__builtins__"} == {"profile", "overrides"}
    assert ns["profile"] == "default" and ns["overrides"] == {}


def test_all_notebooks_run_on_smoke_profile_and_reports_render(tmp_path):
    import papermill as pm

    run_dir = tmp_path / "smoke"
    for name in NOTEBOOKS:
        out = run_dir / "notebooks" / f"{name}.ipynb"
        out.parent.mkdir(parents=True, exist_ok=True)
        pm.execute_notebook(
            str(NB_DIR / f"{name}.ipynb"),
            str(out),
            kernel_name="python3",
            cwd=str(NB_DIR),
            parameters={"profile": "smoke", "overrides": {"output_root": str(tmp_path)}},
            progress_bar=False,
        )
    # nothing on stderr: no progress-bar text, no library warnings (a report used to open in red)
    for name in NOTEBOOKS:
        nb = nbformat.read(str(run_dir / "notebooks" / f"{name}.ipynb"), as_version=4)
        stderr = [o["text"][:200] for c in nb.cells for o in c.get("outputs", []) if o.get("name") == "stderr"]
        assert not stderr, f"{name}: {stderr}"
    assert (run_dir / "data" / "generated.jsonl").exists()
    assert (run_dir / "data" / "splits" / "hf" / "dataset_dict.json").exists()
    assert (run_dir / "model" / "config.json").exists() and (run_dir / "model" / "README.md").exists()
    metrics = json.loads((run_dir / "metrics.json").read_text())
    assert "synthetic-test" in metrics["datasets"]
    # 06: the threshold chosen on the 200k rows; the Masker's leak there and in every other language
    masking = json.loads((run_dir / "model" / "masking.json").read_text())
    assert masking["chosen_on"] == "ai4privacy-200k-en"
    assert {"ai4privacy-300k-en", *(f"ai4privacy-300k-nl-fr-de {c}" for c in ("nl", "fr", "de"))} <= set(
        masking["at_choice"]
    )
    # every stage wrote the files it declares, JSON ones with their fields
    for stage, files in stages.OUTPUTS.items():
        for rel, fields in files.items():
            assert (run_dir / rel).exists(), (stage, rel)
            if fields:
                assert set(fields) <= set(json.loads((run_dir / rel).read_text())), (stage, rel)
    index = build_reports(run_dir)
    html = index.read_text()
    for name in NOTEBOOKS:
        assert (run_dir / "reports" / f"{name}.html").exists() and f"{name}.html" in html
    assert "records generated" in html and "synthetic-test: entity F1" in html
    realism = json.loads((run_dir / "realism.json").read_text())  # strict JSON: no NaN
    assert realism["headline"]["class_share_jsd"] is not None and "realism: class-share JSD" in html
    assert 'id="Realism"' in (run_dir / "reports" / "03_validate.html").read_text()
    # the headline first, in the index and in 05, with the per-class table
    assert html.index("piimask-headline") < html.index("<h2>Stages") < html.index("<h2>Provenance")
    evaluate_html = (run_dir / "reports" / "05_evaluate.html").read_text()
    assert evaluate_html.index("piimask-headline") < evaluate_html.index("piimask-sortable")
    # the model card, rewritten after evaluation, and the dataset with ClassLabel tags
    import datasets
    from transformers import pipeline

    from piimask.core.taxonomy import BIO_LABELS

    card = (run_dir / "model" / "README.md").read_text()
    meta = yaml.safe_load(card.split("---\n")[1])
    assert meta["license"] == "apache-2.0" and meta["model-index"][0]["results"]
    best = metrics["aggregation"]["best"]
    assert f'aggregation_strategy="{best}"' in card
    assert isinstance(
        pipeline("token-classification", model=str(run_dir / "model"), aggregation_strategy=best)("Hi Ann"), list
    )
    tags = datasets.load_from_disk(str(run_dir / "data" / "splits" / "hf"))["train"].features["ner_tags"]
    assert tags.feature.names == list(BIO_LABELS)
    assert (run_dir / "data" / "splits" / "README.md").read_text().startswith("---\n")
