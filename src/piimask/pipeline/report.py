"""Render a run's executed notebooks to HTML (inputs hidden) and write an index with key numbers.

    python -m piimask.pipeline.report outputs/default
"""
from __future__ import annotations

import html
import json
import sys
from datetime import datetime, timezone
from pathlib import Path

NOTEBOOKS = ["01_generate", "02_label", "03_validate", "04_finetune", "05_evaluate", "06_mask"]


def render_notebook(src: Path, dst: Path) -> Path:
    import nbformat
    from nbconvert import HTMLExporter

    exporter = HTMLExporter(exclude_input=True, exclude_input_prompt=True, exclude_output_prompt=True)
    body, _ = exporter.from_notebook_node(nbformat.read(str(src), as_version=4))
    dst.parent.mkdir(parents=True, exist_ok=True)
    dst.write_text(body, encoding="utf-8")
    return dst


def _load(path: Path) -> dict:
    return json.loads(path.read_text()) if path.exists() else {}


def key_numbers(run_dir: Path) -> dict:
    gen = _load(run_dir / "generation.json")
    val = _load(run_dir / "validation.json")
    model = _load(run_dir / "model" / "metrics.json")
    ev = _load(run_dir / "metrics.json")
    out = {
        "records generated": gen.get("records_total"),
        "records accepted (gate)": (val.get("stats") or {}).get("records"),
        "records rejected": (val.get("stats") or {}).get("rejected"),
        "training time (s)": model.get("train_seconds"),
        "training samples/s": model.get("train_samples_per_second"),
        "validation entity F1": (model.get("validation") or {}).get("f1"),
    }
    real = _load(run_dir / "realism.json").get("headline") or {}
    if real:
        out["realism: class-share JSD, generated vs real (0 = same)"] = real.get("class_share_jsd")
        for what in ("chars", "entities"):
            out[f"realism: median {what} per text, real / generated"] = " / ".join(
                "?" if real.get(f"median_{what}_{side}") is None else f"{real[f'median_{what}_{side}']:g}"
                for side in ("real", "generated"))
        out["realism: mean value-shape JSD"] = real.get("mean_shape_jsd")
        out["realism: mean span-edge rate difference"] = real.get("mean_edge_diff")
    for name, res in (ev.get("datasets") or {}).items():
        s = res.get("summary", {})
        out[f"{name}: entity F1"] = s.get("entity_f1")
        out[f"{name}: leak rate"] = s.get("leak_rate")
    masking = _load(run_dir / "model" / "masking.json")
    if masking:
        out["masking threshold (PII-ness)"] = masking.get("score_threshold")
        for name, p in (masking.get("at_choice") or {}).items():
            out[f"{name}: Masker leak / over-mask"] = f"{p['leak_rate']:.4f} / {p['over_mask_rate']:.4f}"
    return out


def build_index(run_dir: Path, rendered: list[Path]) -> Path:
    run_dir = Path(run_dir)
    numbers = key_numbers(run_dir)
    rows = "\n".join(f"<tr><td>{html.escape(k)}</td><td>{'' if v is None else html.escape(str(v))}</td></tr>"
                     for k, v in numbers.items())
    links = "\n".join(f'<li><a href="{p.name}">{html.escape(p.stem)}</a></li>' for p in rendered)
    worst = (_load(run_dir / "realism.json").get("headline") or {}).get("worst_items") or []
    items = "".join(f"<li>{html.escape(w)}</li>" for w in worst)
    realism = ('<h2>Realism</h2><p>Furthest from the real rows, beyond sampling noise (<a href='
               f'"03_validate.html#Realism">the realism report</a> in 03_validate):</p><ol>{items}</ol>') if worst else ""
    figs = sorted((run_dir / "figures").glob("*.png"))
    fig_html = "\n".join(f'<figure{" class=wide" if f.stem.startswith("realism_") else ""}><img src="../figures/{f.name}" '
                         f'alt="{f.stem}"><figcaption>{f.stem}</figcaption></figure>'
                         for f in figs if f.stem.startswith(("evaluate_", "finetune_", "realism_lengths", "mask_")))
    page = f"""<!doctype html><html><head><meta charset="utf-8"><title>piimask run {run_dir.name}</title>
<style>body{{font-family:system-ui,sans-serif;max-width:1000px;margin:2em auto;padding:0 1em}}
table{{border-collapse:collapse}}td{{border-bottom:1px solid #ddd;padding:4px 12px}}
figure{{display:inline-block;margin:8px;max-width:460px}}figure.wide{{max-width:100%}}img{{max-width:100%}}</style></head><body>
<h1>piimask run <code>{html.escape(run_dir.name)}</code></h1>
<p>Built {datetime.now(timezone.utc).strftime('%Y-%m-%d %H:%M UTC')}.</p>
<h2>Key numbers</h2><table>{rows}</table>
<h2>Reports</h2><ol>{links}</ol>
{realism}
<h2>Figures</h2>{fig_html}
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
