"""The reports index and the tables 05_evaluate shows, on a hand-made run folder."""

import json
import re

import pytest

from piimask.core.config import load_params
from piimask.pipeline import report


def summary(rows, f1, macro, leak, p=0.7, r=0.75):
    return {
        "summary": {
            "rows": rows,
            "entity_f1": f1,
            "macro_f1": macro,
            "entity_precision": p,
            "entity_recall": r,
            "leak_rate": leak,
        }
    }


EVALUATION = {
    "synthetic-test": summary(700, 0.847, 0.83, 0.002),
    "ai4privacy-200k-en": summary(400, 0.724, 0.716, 0.0061),
    "ai4privacy-300k-en": summary(250, 0.107, 0.09, 0.021),
    "ai4privacy-300k-nl-fr-de": summary(739, 0.045, 0.03, 0.05),
}


@pytest.fixture
def run_dir(tmp_path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    params = load_params("smoke", {"output_root": str(tmp_path)})
    run = params.run_dir
    params.save()
    (run / "metrics.json").write_text(json.dumps({"datasets": EVALUATION}))
    (run / "model").mkdir(parents=True)
    (run / "model" / "metrics.json").write_text(
        json.dumps(
            {
                "train_records": 5670,
                "train_seconds": 420.5,
                "train_samples_per_second": 29.1,
                "device": "cpu",
                "validation": {"f1": 0.825},
            }
        )
    )
    (run / "model" / "masking.json").write_text(
        json.dumps(
            {
                "score_threshold": 0.9,
                "chosen_on": "ai4privacy-200k-en",
                "at_choice": {"ai4privacy-200k-en": {"leak_rate": 0.0134, "over_mask_rate": 0.026}},
            }
        )
    )
    (run / "generation.json").write_text(
        json.dumps({"records_total": 7500, "accepted": 7482, "rejected": 18, "failed": 0})
    )
    (run / "figures").mkdir()
    for stem, size in (("finetune_curve", (6, 3)), ("evaluate_leak", (4, 8)), ("generate_classes", (4, 8))):
        fig = plt.figure(figsize=size)
        fig.savefig(run / "figures" / f"{stem}.png", dpi=20)
        plt.close(fig)
    return run


def test_the_index_opens_with_the_headline_then_stages_then_provenance(run_dir):
    page = report.build_index(run_dir, [run_dir / "reports" / f"{n}.html" for n in report.NOTEBOOKS]).read_text()
    head, stages, prov = page.index("piimask-headline"), page.index("<h2>Stages"), page.index("<h2>Provenance")
    assert head < stages < prov
    box = page[head:stages]
    for number in ("0.724", "0.716", "0.61 %", "0.107", "0.045", "5.00 %", "0.847", "1.34 %", "2.60 %"):
        assert number in box, number
    assert "another label scheme" in box and "does not depend on the scheme" in box
    assert page.count('<section class="stage"') == 6
    assert re.search(r'<a href="01_generate.html">01 · Generate</a>', page)
    # every figure opens full size: a link to the PNG around its thumbnail; a wide one gets a wide box
    assert '<figure class=wide><a href="../figures/finetune_curve.png"' in page
    assert '<figure><a href="../figures/generate_classes.png" title="open full size"><img' in page
    for key in ("code", "profile", "python and packages", "model trained", "report built", "machine"):
        assert f"<td>{key}</td>" in page[prov:]
    assert "transformers " in page[prov:] and "smoke" in page[prov:]


def test_headline_without_real_rows_says_so():
    h = report.headline(
        {"synthetic-test": EVALUATION["synthetic-test"]}, [{"name": "ai4privacy-200k-en", "label_map": ""}]
    )
    assert h["real"] is None and h["synthetic"]["entity_f1"] == 0.847
    assert "No real rows were scored" in report.headline_html(h)


def test_headline_picks_the_dataset_in_the_200k_scheme():
    specs = [{"name": "ai4privacy-300k-en", "label_map": "300k"}, {"name": "ai4privacy-200k-en", "label_map": ""}]
    h = report.headline(EVALUATION, specs)
    assert h["real"]["name"] == "ai4privacy-200k-en" and [o["name"] for o in h["other_schemes"]] == [
        "ai4privacy-300k-en"
    ]


def test_per_class_table_is_worst_real_f1_first_and_sorts_on_click():
    rows = [
        {"dataset": d, "class": c, "precision": f, "recall": f, "f1": f, "support": n, "leak_rate": 0.01}
        for d, c, f, n in (
            ("ai4privacy-200k-en", "EMAIL", 0.9, 10),
            ("ai4privacy-200k-en", "DOB", 0.2, 5),
            ("ai4privacy-200k-en", "CITY", 0.6, 8),
            ("synthetic-test", "EMAIL", 0.95, 30),
            ("synthetic-test", "IBAN", 0.8, 4),
        )
    ]
    table = report.per_class_table(rows, "ai4privacy-200k-en")
    assert list(table["class"]) == ["DOB", "CITY", "EMAIL", "IBAN"]  # IBAN: not in the real rows, last
    assert list(table.columns) == [
        "class",
        "precision",
        "recall",
        "f1",
        "support",
        "leak_rate",
        "synthetic f1",
        "synthetic support",
    ]
    html = report.table_html(table, "per class")
    assert 'class="piimask-table piimask-sortable"' in html and "addEventListener('click'" in html
    assert "<td>1.00 %</td>" in html and "<td>0.200</td>" in html and "<td>30</td>" in html


def test_rendered_notebooks_open_figures_full_size(tmp_path):
    import nbformat

    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("# hi")])
    src = tmp_path / "n.ipynb"
    nbformat.write(nb, str(src))
    html = report.render_notebook(src, tmp_path / "n.html").read_text()
    assert "piimask-full" in html and html.index("piimask-full") < html.index("</body>")


def test_the_mask_stage_says_when_other_sets_bound_the_threshold(run_dir):
    masking = json.loads((run_dir / "model" / "masking.json").read_text())
    facts = dict(report.stage_numbers(run_dir)["06_mask"])
    assert facts["masking threshold on PII-ness (chosen on)"] == "0.900 (ai4privacy-200k-en)"
    masking["targets"] = {"leak_targets": {"ai4privacy-300k-nl-fr-de fr": 0.02, "ai4privacy-300k-en": 0.02}}
    (run_dir / "model" / "masking.json").write_text(json.dumps(masking))
    facts = dict(report.stage_numbers(run_dir)["06_mask"])
    assert facts["masking threshold on PII-ness (chosen on)"].endswith("with leak targets on 2 other sets)")
