"""Render a run's executed notebooks to HTML (inputs hidden) and write an index a person reads at
a glance: the headline (real-data F1, macro F1, leak rate, with the label-scheme caveat in words),
then one section per stage with its key numbers and figures (each opens full size), then where
the run came from (commit, profile, package versions, date, machine).

    python -m piimask.pipeline.report outputs/default

The headline and table helpers are also what ``05_evaluate`` displays.
"""

from __future__ import annotations

import html
import json
import platform
import subprocess
import sys
from collections.abc import Mapping, Sequence
from datetime import datetime, timezone
from pathlib import Path

NOTEBOOKS = ["01_generate", "02_label", "03_validate", "04_finetune", "05_evaluate", "06_mask"]

# notebook -> (title, what it does, figures shown in the index, in this order; {real} is the real dataset's name)
STAGES = {
    "01_generate": ("Generate", "synthetic texts with exact PII offsets", ["generate_classes"]),
    "02_label": ("Label", "quality gate, BIO labels, splits grouped by template family", []),
    "03_validate": (
        "Validate",
        "the dataset report, the split proof, realism against real rows",
        ["validate_classes", "realism_lengths", "realism_classes"],
    ),
    "04_finetune": ("Fine-tune", "the DistilBERT tagger", ["finetune_curve"]),
    "05_evaluate": (
        "Evaluate",
        "per-class scores on synthetic and real rows, leak rate, errors",
        ["evaluate_synthetic_vs_real", "evaluate_confusion_{real}", "evaluate_leak", "evaluate_leak_by_language"],
    ),
    "06_mask": (
        "Mask",
        "the masking threshold, chosen on real rows; a prompt masked and restored",
        ["mask_threshold_curve"],
    ),
}

# Clicking a figure in a rendered notebook shows it at full size (and again fits it to the page).
ZOOM = """<style>.jp-OutputArea-output img{cursor:zoom-in}.jp-OutputArea-output img.piimask-full{max-width:none!important;
cursor:zoom-out}</style><script>document.addEventListener('click',function(e){var t=e.target;
if(t.tagName==='IMG'&&t.closest('.jp-OutputArea-output')){t.classList.toggle('piimask-full');}});</script>"""

SORTABLE = """<script>(function(){document.querySelectorAll('table.piimask-sortable').forEach(function(t){
if(t.dataset.ready)return;t.dataset.ready='1';t.querySelectorAll('thead th').forEach(function(th,i){
th.style.cursor='pointer';th.title='click to sort';th.addEventListener('click',function(){
var body=t.tBodies[0],rows=Array.from(body.rows),asc=th.dataset.asc!=='1';rows.sort(function(a,b){
var x=a.cells[i].innerText,y=b.cells[i].innerText,nx=parseFloat(x),ny=parseFloat(y);
var c=(!isNaN(nx)&&!isNaN(ny))?nx-ny:(isNaN(nx)!==isNaN(ny)?(isNaN(nx)?1:-1):x.localeCompare(y));
return asc?c:-c;});rows.forEach(function(r){body.appendChild(r);});th.dataset.asc=asc?'1':'0';});});});})();</script>"""


def render_notebook(src: Path, dst: Path) -> Path:
    import nbformat
    from nbconvert import HTMLExporter

    exporter = HTMLExporter(exclude_input=True, exclude_input_prompt=True, exclude_output_prompt=True)
    body, _ = exporter.from_notebook_node(nbformat.read(str(src), as_version=4))
    body = body.replace("</body>", f"{ZOOM}</body>", 1)
    dst.parent.mkdir(parents=True, exist_ok=True)
    dst.write_text(body, encoding="utf-8")
    return dst


def _load(path: Path) -> dict:
    return json.loads(path.read_text()) if path.exists() else {}


def _params(run_dir: Path) -> dict:
    """The run's resolved params (written by 01), else those saved beside the model (by 04)."""
    import yaml

    for path in (run_dir / "params.yaml", run_dir / "model" / "params.yaml"):
        if path.exists():
            return yaml.safe_load(path.read_text()) or {}
    return {}


def _pct(v) -> str:
    return "–" if v is None else f"{100 * v:.2f} %"


def _f(v, digits: int = 3) -> str:
    return "–" if v is None else (f"{v:.{digits}f}" if isinstance(v, float) else str(v))


# -- the headline ------------------------------------------------------------------------------


def headline(evaluation: Mapping[str, Mapping], external_datasets: Sequence[Mapping] = ()) -> dict:
    """The numbers a reader needs first, from ``metrics.json["datasets"]`` (name -> a dict with a
    ``summary``): the real rows in the 200k label scheme (the first external dataset without a
    label map), the synthetic test split, and every dataset scored through a label map."""

    def pick(name: str) -> dict:
        s = evaluation[name].get("summary", evaluation[name])
        return {
            "name": name,
            "rows": s.get("rows"),
            "entity_f1": s.get("entity_f1"),
            "macro_f1": s.get("macro_f1"),
            "precision": s.get("entity_precision"),
            "recall": s.get("entity_recall"),
            "leak_rate": s.get("leak_rate"),
        }

    specs = [s for s in external_datasets if s.get("name") in evaluation]
    real = next((s["name"] for s in specs if not s.get("label_map")), None)
    return {
        "real": pick(real) if real else None,
        "synthetic": pick("synthetic-test") if "synthetic-test" in evaluation else None,
        "other_schemes": [{**pick(s["name"]), "label_map": s["label_map"]} for s in specs if s.get("label_map")],
    }


def headline_html(h: Mapping, notes: Sequence[str] = ()) -> str:
    """The headline as a box of inline-styled HTML (it renders the same in a notebook and a page)."""
    real, syn = h.get("real"), h.get("synthetic")
    big = []
    if real:
        for value, what in (
            (_f(real["entity_f1"]), "entity F1"),
            (_f(real["macro_f1"]), "macro F1"),
            (_pct(real["leak_rate"]), "PII characters left unmasked (leak rate)"),
        ):
            big.append(
                f'<div style="margin-right:36px"><div style="font-size:2.2em;font-weight:600;line-height:1.1">'
                f'{html.escape(value)}</div><div style="color:#333">{html.escape(what)}</div></div>'
            )
        title = (
            f"Real ai4privacy 200k rows ({real['rows']}, {html.escape(real['name'])}), never seen in training "
            f"(precision {_f(real['precision'])}, recall {_f(real['recall'])})"
        )
    else:
        title = "No real rows were scored (the files named in external_datasets are absent): synthetic numbers only"
    lines = []
    if syn:
        lines.append(
            f"Synthetic test split ({syn['rows']} rows, held-out template families): entity F1 "
            f"{_f(syn['entity_f1'])}, macro F1 {_f(syn['macro_f1'])}, leak rate {_pct(syn['leak_rate'])}."
        )
    others = h.get("other_schemes") or []
    if others:
        each = "; ".join(
            f"{html.escape(o['name'])} ({o['rows']} rows): mapped-class F1 {_f(o['entity_f1'])}, "
            f"leak rate {_pct(o['leak_rate'])}"
            for o in others
        )
        lines.append(
            f"{each}. <b>These rows use another label scheme</b> (the 300k release's GIVENNAME1, TEL, "
            "SOCIALNUMBER, ...): their labels are mapped onto the 56 classes of the 200k scheme and classes "
            "without a counterpart are set aside, so the mapped-class F1 is low for that reason and does not "
            "compare with the 200k F1. The leak rate counts PII characters left unmasked whatever the "
            "class: it does not depend on the scheme."
        )
    lines += list(notes)
    body = "".join(f'<p style="margin:8px 0 0 0">{line}</p>' for line in lines)
    return (
        f'<div class="piimask-headline" style="border:2px solid #3b75af;border-radius:8px;padding:14px 20px;'
        f'margin:12px 0 18px 0;background:#f3f7fc">'
        f'<div style="font-weight:600;margin-bottom:8px">{title}</div>'
        f'<div style="display:flex;flex-wrap:wrap">{"".join(big)}</div>{body}</div>'
    )


# -- tables ------------------------------------------------------------------------------------


def per_class_table(rows: Sequence[Mapping], real: str | None, synthetic: str = "synthetic-test"):
    """One row per class: P / R / F1 / support / leak on the real rows, F1 and support on the
    synthetic test split; worst real F1 first (classes absent from the real rows last).

    ``rows`` are ``Evaluation.per_class_rows()`` of every dataset.
    """
    import pandas as pd

    df = pd.DataFrame(list(rows))
    if df.empty:
        return df
    cols = ["class", "precision", "recall", "f1", "support", "leak_rate"]
    syn = df[df["dataset"] == synthetic].set_index("class")[["f1", "support"]].add_prefix("synthetic ")
    if real is None:
        out = df[df["dataset"] == synthetic][cols].set_index("class")
    else:
        out = df[df["dataset"] == real][cols].set_index("class").join(syn, how="outer")
    out = out[(out.get("support", 0).fillna(0) > 0) | (out.get("synthetic support", 0).fillna(0) > 0)]
    key = out["f1"].where(out["support"].fillna(0) > 0)
    out = (
        out.assign(_key=key.fillna(2.0)).sort_values(["_key", "support"], ascending=[True, False]).drop(columns="_key")
    )
    return out.reset_index()


def table_html(df, caption: str = "", sortable: bool = True, percent: Sequence[str] = ("leak_rate",)) -> str:
    """A DataFrame as an HTML table: numbers to 3 places, ``percent`` columns as percentages,
    headers that sort on click when ``sortable``."""
    import math

    def cell(col, v):
        if v is None or (isinstance(v, float) and math.isnan(v)):
            return ""
        if col in percent:
            return _pct(v)
        if isinstance(v, float):
            return str(int(v)) if v.is_integer() and "support" in str(col) else f"{v:.3f}"
        return html.escape(str(v))

    left = ' style="text-align:left"'  # the first column names the row (a class): read it left-aligned
    head = "".join(f"<th{left if i == 0 else ''}>{html.escape(str(c))}</th>" for i, c in enumerate(df.columns))
    body = "".join(
        "<tr>"
        + "".join(f"<td{left if i == 0 else ''}>{cell(c, v)}</td>" for i, (c, v) in enumerate(zip(df.columns, row)))
        + "</tr>"
        for row in df.itertuples(index=False)
    )
    cls = "piimask-table piimask-sortable" if sortable else "piimask-table"
    cap = (
        f"<caption style='caption-side:top;text-align:left;padding:4px 0'>{html.escape(caption)}</caption>"
        if caption
        else ""
    )
    return (
        f'<table class="{cls}" style="border-collapse:collapse;font-size:0.9em">{cap}<thead><tr>{head}</tr></thead>'
        f"<tbody>{body}</tbody></table>" + (SORTABLE if sortable else "")
    )


# -- provenance --------------------------------------------------------------------------------


def _git(*args: str) -> str:
    from ..core.config import project_root

    try:
        return subprocess.run(
            ["git", "-C", str(project_root()), *args], capture_output=True, text=True, timeout=10
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return ""


def _cpu() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def provenance(run_dir: str | Path) -> dict:
    """Where the run came from: code commit, profile, package versions, dates, machine."""
    import os
    from importlib import metadata

    run_dir = Path(run_dir)
    params = _params(run_dir)
    commit = _git("rev-parse", "--short", "HEAD")
    dirty = bool(_git("status", "--porcelain", "--untracked-files=no"))
    versions = []
    for pkg in ("piimask", "torch", "transformers", "datasets", "tokenizers", "accelerate"):
        try:
            versions.append(f"{pkg} {metadata.version(pkg)}")
        except metadata.PackageNotFoundError:
            pass
    model = _load(run_dir / "model" / "metrics.json")
    trained = run_dir / "model" / "metrics.json"
    device = model.get("device")
    return {
        "code": (f"{commit}{' + uncommitted changes' if dirty else ''}" if commit else "not a git checkout"),
        "profile": f"{params.get('run_name', run_dir.name)} (params.yaml in the run folder)",
        "backend": f"{params.get('backend', '?')}, {params.get('n_records', '?')} records asked for, seed {params.get('seed', '?')}",
        "python and packages": f"Python {platform.python_version()}; " + ", ".join(versions),
        "model trained": (
            datetime.fromtimestamp(trained.stat().st_mtime, timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
            + (f" on {device}" if device else "")
        )
        if trained.exists()
        else "–",
        "report built": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "machine": f"{platform.system()} {platform.machine()}, {_cpu()}, {os.cpu_count()} cores",
    }


# -- the index ---------------------------------------------------------------------------------


def stage_numbers(run_dir: Path) -> dict[str, list[tuple[str, str]]]:
    """Each stage's few key numbers, as (what, value) rows."""
    gen = _load(run_dir / "generation.json")
    val = _load(run_dir / "validation.json")
    model = _load(run_dir / "model" / "metrics.json")
    ev = _load(run_dir / "metrics.json").get("datasets") or {}
    masking = _load(run_dir / "model" / "masking.json")
    real = _load(run_dir / "realism.json").get("headline") or {}
    stats, splits = val.get("stats") or {}, val.get("splits") or {}
    out: dict[str, list[tuple[str, str]]] = {k: [] for k in NOTEBOOKS}
    if gen:
        out["01_generate"] += [
            ("records generated", _f(gen.get("records_total"))),
            ("accepted by the generator / rejected", f"{_f(gen.get('accepted'))} / {_f(gen.get('rejected'))}"),
            ("failed requests", _f(gen.get("failed"))),
        ]
    if splits:
        out["02_label"] += [
            (
                "records in train / validation / test",
                " / ".join(_f((splits.get(s) or {}).get("records")) for s in ("train", "validation", "test")),
            ),
            (
                "template groups in train / validation / test",
                " / ".join(_f((splits.get(s) or {}).get("groups")) for s in ("train", "validation", "test")),
            ),
        ]
    if stats:
        out["03_validate"] += [
            ("records accepted by the gate / rejected", f"{_f(stats.get('records'))} / {_f(stats.get('rejected'))}")
        ]
    ref = val.get("reference_check") or {}
    if ref.get("bio_rows_agree_pct") is not None:
        out["03_validate"].append(
            ("labeller vs the original dataset's BIO labels (rows agreeing)", f"{ref['bio_rows_agree_pct']} %")
        )
    if real:
        out["03_validate"] += [
            ("realism: class-share JSD, generated vs real (0 = same)", _f(real.get("class_share_jsd"))),
            (
                "realism: median characters per text, real / generated",
                f"{_f(real.get('median_chars_real'), 0)} / {_f(real.get('median_chars_generated'), 0)}",
            ),
            ("realism: mean value-shape JSD", _f(real.get("mean_shape_jsd"))),
        ]
    if model:
        out["04_finetune"] += [
            ("train records", _f(model.get("train_records"))),
            (
                "training time",
                f"{model.get('train_seconds', '?')} s on {model.get('device', '?')} "
                f"({model.get('train_samples_per_second', '?')} samples/s)",
            ),
            ("validation entity F1 (synthetic)", _f((model.get("validation") or {}).get("f1"))),
        ]
    for name, res in ev.items():
        s = res.get("summary", {})
        out["05_evaluate"].append(
            (
                f"{name}: entity F1 / macro F1 / leak",
                f"{_f(s.get('entity_f1'))} / {_f(s.get('macro_f1'))} / {_pct(s.get('leak_rate'))}",
            )
        )
    if masking:
        out["06_mask"].append(
            (
                "masking threshold on PII-ness (chosen on)",
                f"{_f(masking.get('score_threshold'))} ({masking.get('chosen_on', '?')}{_also(masking)})",
            )
        )
        for name, p in (masking.get("at_choice") or {}).items():
            out["06_mask"].append(
                (f"{name}: Masker leak / over-mask", f"{_pct(p['leak_rate'])} / {_pct(p['over_mask_rate'])}")
            )
    return out


def _also(masking: dict) -> str:
    """', with leak targets on N other sets' where ``mask_leak_targets`` named some, else ''."""
    also = (masking.get("targets") or {}).get("leak_targets") or {}
    return f", with leak targets on {len(also)} other set{'s' * (len(also) != 1)}" if also else ""


def _png_size(path: Path) -> tuple[int, int]:
    """(width, height) from a PNG's header; (0, 0) if it is not one."""
    head = path.read_bytes()[:24]
    if head[:8] != b"\x89PNG\r\n\x1a\n":
        return 0, 0
    return int.from_bytes(head[16:20], "big"), int.from_bytes(head[20:24], "big")


def _figure(run_dir: Path, stem: str) -> str:
    """A thumbnail that links to the PNG at full size; wide figures get a wider box."""
    path = run_dir / "figures" / f"{stem}.png"
    if not path.exists():
        return ""
    w, h = _png_size(path)
    src = f"../figures/{html.escape(path.name)}"
    wide = " class=wide" if h and w / h > 1.6 else ""
    return (
        f'<figure{wide}><a href="{src}" title="open full size"><img src="{src}" alt="{html.escape(stem)}"></a>'
        f"<figcaption>{html.escape(stem)}</figcaption></figure>"
    )


PAGE_STYLE = """body{font-family:system-ui,sans-serif;max-width:1200px;margin:2em auto;padding:0 1em;color:#222}
h1{margin-bottom:0.2em}.sub{color:#555;margin-top:0}
section.stage{display:grid;grid-template-columns:minmax(320px,1fr) 2fr;gap:16px;border-top:1px solid #ddd;padding:12px 0}
section.stage h3{margin:0 0 4px 0}section.stage p{margin:0 0 8px 0;color:#444}
table.kv td{padding:3px 10px 3px 0;border-bottom:1px solid #eee;vertical-align:top}table.kv td:last-child{font-weight:600}
.figs{display:flex;flex-wrap:wrap;gap:10px;align-items:flex-start}
figure{margin:0;width:250px}figure.wide{width:520px}
figure img{width:100%;height:240px;object-fit:cover;object-position:top;border:1px solid #ddd;background:#fff}
figure.wide img{height:auto}figure img:hover{border-color:#3b75af}
figcaption{font-size:0.8em;color:#666}ol.worst{margin:4px 0;padding-left:20px;font-size:0.9em}
table.prov td{padding:3px 12px 3px 0;border-bottom:1px solid #eee;font-size:0.9em}"""


def build_index(run_dir: Path, rendered: list[Path]) -> Path:
    run_dir = Path(run_dir)
    params = _params(run_dir)
    metrics = _load(run_dir / "metrics.json")
    evaluation = metrics.get("datasets") or {}
    h = headline(evaluation, metrics.get("external_datasets") or params.get("external_datasets") or [])
    masking = _load(run_dir / "model" / "masking.json")
    notes = []
    if masking and h.get("real") and h["real"]["name"] in (masking.get("at_choice") or {}):
        p = masking["at_choice"][h["real"]["name"]]
        notes.append(
            f"The Masker (model at PII-ness threshold {_f(masking.get('score_threshold'))}, chosen in 06, plus "
            f"the recognizers) leaves {_pct(p['leak_rate'])} of these rows' PII characters unmasked and "
            f"masks {_pct(p['over_mask_rate'])} of the other characters."
        )
    box = (
        headline_html(h, notes)
        if evaluation
        else (
            '<div class="piimask-headline" style="border:2px solid #999;padding:12px">Not evaluated yet: run 05_evaluate.</div>'
        )
    )
    numbers = stage_numbers(run_dir)
    links = {p.stem: p.name for p in rendered}
    real = (h.get("real") or {}).get("name", "")
    worst = (_load(run_dir / "realism.json").get("headline") or {}).get("worst_items") or []
    sections = []
    for i, name in enumerate(NOTEBOOKS, 1):
        title, what, figs = STAGES[name]
        link = f'<a href="{links[name]}">{i:02d} · {title}</a>' if name in links else f"{i:02d} · {title} (not run)"
        rows = "".join(f"<tr><td>{html.escape(k)}</td><td>{html.escape(v)}</td></tr>" for k, v in numbers[name])
        extra = ""
        if name == "03_validate" and worst:
            extra = (
                "<p>Furthest from the real rows, beyond sampling noise (<a href='03_validate.html#Realism'>the "
                "realism report</a>):</p><ol class=worst>"
                + "".join(f"<li>{html.escape(w)}</li>" for w in worst[:5])
                + "</ol>"
            )
        pics = "".join(_figure(run_dir, f.format(real=real)) for f in figs)
        sections.append(
            f'<section class="stage" id="{name}"><div><h3>{link}</h3><p>{html.escape(what)}</p>'
            f'<table class="kv">{rows}</table>{extra}</div><div class="figs">{pics}</div></section>'
        )
    prov = "".join(
        f"<tr><td>{html.escape(k)}</td><td>{html.escape(str(v))}</td></tr>" for k, v in provenance(run_dir).items()
    )
    n_figs = len(list((run_dir / "figures").glob("*.png")))
    page = f"""<!doctype html><html><head><meta charset="utf-8"><title>piimask run {html.escape(run_dir.name)}</title>
<style>{PAGE_STYLE}</style></head><body>
<h1>piimask run <code>{html.escape(run_dir.name)}</code></h1>
<p class="sub">{html.escape(str(params.get("backend", "")))} backend · {html.escape(str(params.get("n_records", "?")))} records asked for ·
each stage's report is linked below; click a figure for full size ({n_figs} figures in <code>figures/</code>).</p>
{box}
<h2>Stages</h2>
{"".join(sections)}
<h2>Provenance</h2><table class="prov">{prov}</table>
</body></html>"""
    out = run_dir / "reports" / "index.html"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(page, encoding="utf-8")
    return out


def build_reports(run_dir: str | Path) -> Path:
    run_dir = Path(run_dir)
    rendered = []
    for name in NOTEBOOKS:
        src = run_dir / "notebooks" / f"{name}.ipynb"
        if src.exists():
            rendered.append(render_notebook(src, run_dir / "reports" / f"{name}.html"))
    if not rendered:
        raise FileNotFoundError(f"no executed notebooks under {run_dir / 'notebooks'}; run `make all` first")
    return build_index(run_dir, rendered)


def main() -> None:
    out = build_reports(sys.argv[1] if len(sys.argv) > 1 else "outputs/default")
    print(f"report: {out.resolve()}")


if __name__ == "__main__":
    main()
