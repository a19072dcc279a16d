"""Matplotlib figures for the notebooks' reports; each returns the figure and saves a PNG."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import matplotlib

if not matplotlib.get_backend().lower().startswith(("module://", "nbagg", "widget")):
    matplotlib.use("Agg")  # files only, no screen; notebooks keep their inline backend
import matplotlib.pyplot as plt  # noqa: E402


def _save(fig, path: str | Path | None):
    if path:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        fig.savefig(path, dpi=110, bbox_inches="tight")
    return fig


def bars(
    values: Mapping[str, float],
    title: str,
    path: str | Path | None = None,
    xlabel: str = "",
    compare: Mapping[str, float] | None = None,
    labels: tuple[str, str] = ("this run", "reference"),
    sort: bool = True,
    fmt: str = "{:.0f}",
):
    """Horizontal bars, one per key, sorted by value; ``compare`` adds a second series."""
    keys = sorted(values, key=lambda k: values[k]) if sort else list(values)
    fig, ax = plt.subplots(figsize=(8, max(2.5, 0.22 * len(keys) + 1)))
    y = range(len(keys))
    h = 0.4 if compare else 0.8
    ax.barh(
        [i + (h / 2 if compare else 0) for i in y],
        [values[k] for k in keys],
        height=h,
        label=labels[0],
        color="#3b75af",
    )
    if compare:
        ax.barh([i - h / 2 for i in y], [compare.get(k, 0) for k in keys], height=h, label=labels[1], color="#ef8636")
        ax.legend(loc="lower right")
    else:
        for i, k in enumerate(keys):
            ax.text(values[k], i, " " + fmt.format(values[k]), va="center", fontsize=7)
    ax.set_yticks(list(y), keys, fontsize=7)
    ax.set_title(title)
    ax.set_xlabel(xlabel)
    fig.tight_layout()
    return _save(fig, path)


def histogram(values: Sequence[float], title: str, xlabel: str, path: str | Path | None = None, bins: int = 30):
    fig, ax = plt.subplots(figsize=(6, 3.2))
    ax.hist(values, bins=bins, color="#3b75af", edgecolor="white")
    ax.set_title(title)
    ax.set_xlabel(xlabel)
    ax.set_ylabel("records")
    fig.tight_layout()
    return _save(fig, path)


def heatmap(
    matrix,
    row_labels: Sequence[str],
    col_labels: Sequence[str],
    title: str,
    path: str | Path | None = None,
    xlabel: str = "predicted",
    ylabel: str = "gold",
):
    import numpy as np

    m = np.asarray(matrix, dtype=float)
    norm = m / np.maximum(m.sum(axis=1, keepdims=True), 1)
    size = max(6, 0.2 * len(col_labels) + 2)
    fig, ax = plt.subplots(figsize=(size, size * len(row_labels) / max(len(col_labels), 1) + 1))
    im = ax.imshow(norm, cmap="Blues", vmin=0, vmax=1, aspect="auto")
    ax.set_xticks(range(len(col_labels)), col_labels, rotation=90, fontsize=6)
    ax.set_yticks(range(len(row_labels)), row_labels, fontsize=6)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    fig.colorbar(im, ax=ax, fraction=0.03, label="share of gold row")
    fig.tight_layout()
    return _save(fig, path)


def grouped_bars(
    series: Mapping[str, Mapping[str, float]], title: str, path: str | Path | None = None, xlabel: str = ""
):
    """One group per key present in every series, one bar per series (e.g. synthetic vs real F1).
    Keys missing from a series are left out (and named in the title) rather than drawn as zero."""
    names = list(series)
    common = set.intersection(*[set(s) for s in series.values()])
    missing = sorted(set().union(*[set(s) for s in series.values()]) - common)
    keys = sorted(common, key=lambda k: series[names[0]][k])
    if missing:  # wrapped: a long list would otherwise widen the figure until the bars are a sliver
        import textwrap

        title += "\n" + textwrap.fill(f"(not in every dataset: {', '.join(missing)})", 110)
    fig, ax = plt.subplots(figsize=(8, max(2.5, 0.25 * len(keys) * max(1, len(names) / 2) + 1)))
    h = 0.8 / len(names)
    for j, n in enumerate(names):
        ax.barh([i + j * h for i in range(len(keys))], [series[n].get(k, 0) for k in keys], height=h, label=n)
    ax.set_yticks([i + h * (len(names) - 1) / 2 for i in range(len(keys))], keys, fontsize=7)
    ax.set_title(title, fontsize=9 if missing else None)
    ax.set_xlabel(xlabel)
    ax.legend(loc="lower right", fontsize=7)
    fig.tight_layout()
    return _save(fig, path)


def overlaid_histograms(
    panels: Mapping[str, Mapping[str, Sequence[float]]], title: str, path: str | Path | None = None, bins: int = 30
):
    """One panel per measure, each series drawn as a density histogram over the same bins, so
    samples of different sizes (400 real rows, 7,500 generated) compare by shape."""
    import numpy as np

    fig, axes = plt.subplots(1, len(panels), figsize=(4.2 * len(panels), 3.2), squeeze=False)
    colors = ("#ef8636", "#3b75af", "#55a868")
    for ax, (name, series) in zip(axes[0], panels.items()):
        every = [v for values in series.values() for v in values]
        if not every:
            ax.set_title(f"{name}\n(no data)")
            continue
        lo, hi = min(every), max(every)
        edges = np.arange(lo, hi + 2) - 0.5 if hi - lo < bins else np.linspace(lo, hi, bins + 1)
        for (label, values), color in zip(series.items(), colors):
            if len(values):
                ax.hist(values, bins=edges, density=True, alpha=0.5, color=color, label=f"{label} (n={len(values)})")
        ax.set_title(name)
        ax.set_yticks([])
        ax.legend(fontsize=7)
    fig.suptitle(title)
    fig.tight_layout()
    return _save(fig, path)


def threshold_curve(
    curves: Mapping[str, Sequence[Mapping[str, float]]],
    chosen: float | None,
    title: str,
    path: str | Path | None = None,
    max_leak: float | None = None,
    max_over_mask: float | None = None,
    leak_targets: Mapping[str, float] | None = None,
):
    """Leak rate and over-mask rate against the masking threshold, one pair of lines per dataset;
    the targets as dotted lines (``leak_targets``: the other rows' own leak targets, dashed) and
    the chosen threshold as a vertical line."""
    fig, axes = plt.subplots(1, 2, figsize=(10, 3.6))
    for name, pts in curves.items():
        xs = [p["threshold"] for p in pts]
        axes[0].plot(xs, [100 * p["leak_rate"] for p in pts], marker="o", ms=3, label=name)
        axes[1].plot(xs, [100 * p["over_mask_rate"] for p in pts], marker="o", ms=3, label=name)
    for ax, target, what in (
        (axes[0], max_leak, "PII characters left unmasked (%)"),
        (axes[1], max_over_mask, "non-PII characters masked (%)"),
    ):
        if target is not None:
            ax.axhline(100 * target, ls=":", color="grey", label="target")
        if chosen is not None:
            ax.axvline(chosen, color="#d62728", lw=1, label=f"chosen {chosen:g}")
        if ax is axes[0]:
            for value in sorted(set((leak_targets or {}).values())):
                ax.axhline(100 * value, ls="--", color="grey", lw=0.8, label=f"target {value:.1%}, other rows")
        ax.set_xlabel("threshold on PII-ness, 1 - P(O)")
        ax.set_ylabel(what)
        ax.legend(fontsize=7)
    fig.suptitle(title)
    fig.tight_layout()
    return _save(fig, path)


def score_grid(
    rows: Sequence[str], columns: Sequence[str], values, title: str, path: str | Path | None = None, vmax: float = 1.0
):
    """A table of distances in 0..``vmax`` as coloured cells with their numbers (blank for NaN)."""
    import numpy as np

    m = np.asarray(values, dtype=float)
    fig, ax = plt.subplots(figsize=(1.1 * len(columns) + 2.5, 0.24 * len(rows) + 1.6))
    im = ax.imshow(np.ma.masked_invalid(m), cmap="OrRd", vmin=0, vmax=vmax, aspect="auto")
    for i in range(m.shape[0]):
        for j in range(m.shape[1]):
            if not np.isnan(m[i, j]):
                ax.text(
                    j,
                    i,
                    f"{m[i, j]:.2f}",
                    ha="center",
                    va="center",
                    fontsize=6,
                    color="white" if m[i, j] > 0.6 * vmax else "black",
                )
    ax.set_xticks(range(len(columns)), columns, rotation=30, ha="right", fontsize=7)
    ax.set_yticks(range(len(rows)), rows, fontsize=7)
    ax.xaxis.tick_top()
    ax.set_title(title, fontsize=9)
    fig.colorbar(im, ax=ax, fraction=0.03)
    fig.tight_layout()
    return _save(fig, path)


def stacked_bars(
    rows: Mapping[str, Mapping[str, float]],
    parts: Sequence[str],
    title: str,
    path: str | Path | None = None,
    xlabel: str = "",
    scale: float = 100.0,
):
    """One horizontal bar per row (top to bottom in the given order), split into ``parts`` (each
    row's values, times ``scale``; a part named ``other`` in grey), the bar's total at its end."""
    names = list(rows)
    fig, ax = plt.subplots(figsize=(9, max(2.2, 0.42 * len(names) + 1.6)))
    colors = plt.get_cmap("tab10" if len(parts) <= 10 else "tab20")
    left = [0.0] * len(names)
    y = list(range(len(names)))[::-1]
    for j, part in enumerate(parts):
        widths = [scale * rows[n].get(part, 0.0) for n in names]
        color = "#c7c7c7" if part == "other" else colors(j % colors.N)
        ax.barh(y, widths, left=left, height=0.7, label=part, color=color, edgecolor="white", linewidth=0.5)
        left = [a + w for a, w in zip(left, widths)]
    for yi, total in zip(y, left):
        ax.text(total, yi, f" {total:.2f}", va="center", fontsize=7)
    ax.set_yticks(y, names, fontsize=7)
    ax.set_xlim(0, (max(left) if left else 0) * 1.15 or 1)
    ax.set_xlabel(xlabel)
    ax.set_title(title)
    ax.legend(fontsize=7, ncol=min(5, len(parts)), loc="upper center", bbox_to_anchor=(0.5, -0.2), frameon=False)
    fig.tight_layout()
    return _save(fig, path)
