"""Score a model: entity, character-span and leak metrics, confusion and error analysis.

The metric functions are pure (gold and predicted labels or spans in, numbers out), so they are
tested on hand-made pairs. ``evaluate_rows`` ties them to a ``TokenTagger``: gold labels come from
each row's ``source_text`` and ``privacy_mask`` aligned to the model's own tokens.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from ..core.label import bio_from_offsets
from ..core.spans import Span, spans_of

# -- label maps for sibling datasets -----------------------------------------------------------


def map_labels(rows: Iterable[dict], label_map: dict[str, str] | None) -> tuple[list[dict], Counter]:
    """Rows with their privacy_mask labels translated; spans of classes with no counterpart are
    moved to ``unmapped_mask`` and counted (reported, never silently dropped).

    Another scheme's IP stands for both address families, where the 200k scheme has IPV4 and
    IPV6 besides IP: through a label map, an address is scored as the family its value belongs to
    (``taxonomy.settle_label``), the label piimask's settled corpus teaches."""
    from ..core.taxonomy import CLASSES, settle_label

    out, unmapped = [], Counter()
    for r in rows:
        kept, moved = [], []
        for e in r.get("privacy_mask") or []:
            target = (label_map or {}).get(e["label"], e["label"] if e["label"] in CLASSES else "")
            if label_map and target == "IP":
                value = e.get("value") or r["source_text"][e["start"] : e["end"]]
                target = settle_label("IP", value)
            if target and target in CLASSES:
                kept.append({**e, "label": target})
            else:
                moved.append(e)
                unmapped[e["label"]] += 1
        out.append({**r, "privacy_mask": kept, "unmapped_mask": moved})
    return out, unmapped


# -- metrics on labels and spans ---------------------------------------------------------------


def entity_metrics(gold: Sequence[Sequence[str]], pred: Sequence[Sequence[str]]) -> dict:
    """Entity-level P/R/F1 per class, micro and macro (seqeval strict IOB2, through ``evaluate``)."""
    import evaluate

    from .metrics import seqeval_path

    res = evaluate.load(seqeval_path()).compute(predictions=[list(p) for p in pred], references=[list(g) for g in gold])
    per_class = {k: v for k, v in res.items() if isinstance(v, dict) and k not in ("micro", "macro", "weighted")}
    return {
        "micro": res.get("micro", {"precision": 0.0, "recall": 0.0, "f1": 0.0, "number": 0}),
        "macro": res.get("macro", {"precision": 0.0, "recall": 0.0, "f1": 0.0, "number": 0}),
        "per_class": per_class,
        "token_accuracy": res["overall_accuracy"],
    }


def _prf(tp: int, n_pred: int, n_gold: int, tp_gold: int | None = None) -> dict:
    """P/R/F1; ``tp_gold``: the gold spans matched, when it differs from the predicted spans that
    match (``edges``: a span predicted as DOB matches a DATE value)."""
    p = tp / n_pred if n_pred else 0.0
    r = (tp if tp_gold is None else tp_gold) / n_gold if n_gold else 0.0
    return {"precision": p, "recall": r, "f1": 2 * p * r / (p + r) if p + r else 0.0, "number": n_gold}


def _norm(spans: Sequence[Sequence]) -> list[list[Span]]:
    """Spans per text, given as ``Span``s or ``(start, end, label)`` tuples."""
    return [[x if isinstance(x, Span) else Span(*x) for x in row] for row in spans]


def span_metrics(gold: Sequence[Sequence[Span]], pred: Sequence[Sequence[Span]]) -> dict:
    """Character-span P/R/F1: ``strict`` (same start, end and class), ``overlap`` (same class,
    any overlap; each gold span matched at most once) and ``edges`` (same start and end, any
    class: whether the span is drawn where the dataset draws it). Micro and per class (``edges``
    per class: precision over the spans predicted as the class, recall over its gold spans)."""
    gold, pred = _norm(gold), _norm(pred)
    out = {}
    for mode in ("strict", "overlap", "edges"):
        tp, tp_pred, n_pred, n_gold = Counter(), Counter(), Counter(), Counter()
        for g_spans, p_spans in zip(gold, pred):
            for s in g_spans:
                n_gold[s.label] += 1
            for s in p_spans:
                n_pred[s.label] += 1
            used = set()
            for ps in p_spans:
                for gi, gs in enumerate(g_spans):
                    if gi in used or (gs.label != ps.label and mode != "edges"):
                        continue
                    hit = ps.overlaps(gs) if mode == "overlap" else (gs.start, gs.end) == (ps.start, ps.end)
                    if hit:
                        used.add(gi)
                        tp[gs.label] += 1
                        tp_pred[ps.label] += 1
                        break
        classes = sorted(set(n_gold) | set(n_pred))
        out[mode] = {
            "micro": _prf(sum(tp.values()), sum(n_pred.values()), sum(n_gold.values())),
            "per_class": {c: _prf(tp_pred[c], n_pred[c], n_gold[c], tp[c]) for c in classes},
        }
    return out


def leak_rate(gold: Sequence[Sequence[Span]], pred: Sequence[Sequence[Span]]) -> dict:
    """Share of gold PII characters not covered by any predicted span (of any class): what would
    reach the LLM unmasked. Overall and per class: ``per_class`` is the share of the class's own
    characters, ``share_per_class`` the class's part of the overall rate (they sum to it)."""
    gold, pred = _norm(gold), _norm(pred)
    total, leaked = Counter(), Counter()
    for g_spans, p_spans in zip(gold, pred):
        covered = set()
        for p in p_spans:
            covered.update(range(p.start, p.end))
        for g in g_spans:
            total[g.label] += g.end - g.start
            leaked[g.label] += sum(1 for i in range(g.start, g.end) if i not in covered)
    all_total = sum(total.values())
    return {
        "overall": sum(leaked.values()) / all_total if all_total else 0.0,
        "pii_chars": all_total,
        "leaked_chars": sum(leaked.values()),
        "per_class": {c: leaked[c] / total[c] for c in sorted(total)},
        "share_per_class": {c: leaked[c] / all_total for c in sorted(total)},
    }


def over_mask_rate(texts: Sequence[str], gold: Sequence[Sequence[Span]], pred: Sequence[Sequence[Span]]) -> dict:
    """Share of non-PII characters (whitespace excluded) that predicted spans cover: what the LLM
    loses to needless masking."""
    gold, pred = _norm(gold), _norm(pred)
    total = masked = 0
    for text, g_spans, p_spans in zip(texts, gold, pred):
        gold_chars = set()
        for g in g_spans:
            gold_chars.update(range(g.start, g.end))
        covered = set()
        for p in p_spans:
            covered.update(range(p.start, p.end))
        for i, c in enumerate(text):
            if i in gold_chars or c.isspace():
                continue
            total += 1
            masked += i in covered
    return {"overall": masked / total if total else 0.0, "non_pii_chars": total, "masked_chars": masked}


def pii_token_recall(gold: Sequence[Sequence[str]], pred: Sequence[Sequence[str]]) -> float:
    """Share of gold PII tokens (any class) that the model tags as some PII."""
    n = hit = 0
    for g, p in zip(gold, pred):
        for a, b in zip(g, p):
            if a != "O":
                n += 1
                hit += b != "O"
    return hit / n if n else 0.0


def confusion(gold: Sequence[Sequence[Span]], pred: Sequence[Sequence[Span]]) -> Counter:
    """(gold class, predicted class) counts over entities. A gold span takes the class of the
    predicted span overlapping it most ("O" if none); a predicted span overlapping no gold span
    counts as ("O", predicted)."""
    gold, pred = _norm(gold), _norm(pred)
    counts: Counter = Counter()
    for g_spans, p_spans in zip(gold, pred):
        for gs in g_spans:
            best, best_ov = "O", 0
            for ps in p_spans:
                ov = min(gs.end, ps.end) - max(gs.start, ps.start)
                if ov > best_ov:
                    best, best_ov = ps.label, ov
            counts[(gs.label, best)] += 1
        for ps in p_spans:
            if not any(ps.overlaps(gs) for gs in g_spans):
                counts[("O", ps.label)] += 1
    return counts


def confused_pairs(counts: Counter, top: int = 15) -> list[dict]:
    """Classes that trade places: off-diagonal (gold, predicted) pairs, both directions summed.

    Every row has the same columns, ``pair`` ("A / B", the names in sorted order), ``count`` (both
    directions), ``a->b`` (gold A predicted as B) and ``b->a``, so a list of them is one table.
    """
    pairs = Counter()
    for (g, p), n in counts.items():
        if g != p and "O" not in (g, p):
            pairs[tuple(sorted((g, p)))] += n
    return [
        {"pair": f"{a} / {b}", "count": n, "a->b": counts[(a, b)], "b->a": counts[(b, a)]}
        for (a, b), n in pairs.most_common(top)
    ]


# -- tying it to a model -----------------------------------------------------------------------


@dataclass
class Evaluation:
    name: str
    rows: int
    entity: dict
    span: dict
    leak: dict
    pii_token_recall: float
    confusion: Counter
    unmapped: Counter = field(default_factory=Counter)
    unmapped_flagged: float | None = None
    errors: dict = field(default_factory=dict)
    leak_all: dict | None = None  # leak over every labelled value, classes without a counterpart included

    def summary(self) -> dict:
        return {
            "rows": self.rows,
            "entity_f1": round(self.entity["micro"]["f1"], 4),
            "entity_precision": round(self.entity["micro"]["precision"], 4),
            "entity_recall": round(self.entity["micro"]["recall"], 4),
            "macro_f1": round(self.entity["macro"]["f1"], 4),
            "span_strict_f1": round(self.span["strict"]["micro"]["f1"], 4),
            "span_overlap_f1": round(self.span["overlap"]["micro"]["f1"], 4),
            "span_edges_f1": round(self.span["edges"]["micro"]["f1"], 4),
            "leak_rate": round(self.leak["overall"], 4),
            "pii_token_recall": round(self.pii_token_recall, 4),
            "unmapped_classes": dict(self.unmapped),
            "unmapped_flagged_as_pii": self.unmapped_flagged,
            "leak_rate_all_pii": round((self.leak_all or self.leak)["overall"], 4),
        }

    def per_class_rows(self) -> list[dict]:
        rows = []
        classes = sorted(set(self.entity["per_class"]) | set(self.leak["per_class"]))
        for c in classes:
            e = self.entity["per_class"].get(c, {})
            rows.append(
                {
                    "dataset": self.name,
                    "class": c,
                    "precision": e.get("precision", 0.0),
                    "recall": e.get("recall", 0.0),
                    "f1": e.get("f1", 0.0),
                    "support": e.get("number", 0),
                    "span_strict_f1": self.span["strict"]["per_class"].get(c, {}).get("f1", 0.0),
                    "span_overlap_f1": self.span["overlap"]["per_class"].get(c, {}).get("f1", 0.0),
                    "leak_rate": self.leak["per_class"].get(c),
                }
            )
        return rows

    def to_dict(self) -> dict:
        return {
            "summary": self.summary(),
            "entity": self.entity,
            "span": self.span,
            "leak": self.leak,
            "confused_pairs": confused_pairs(self.confusion),
            "errors": self.errors,
        }


def _context(text: str, s: int, e: int, width: int = 40) -> str:
    return f"{text[max(0, s - width) : s]}[[{text[s:e]}]]{text[e : e + width]}".replace("\n", " ")


def evaluate_rows(
    tagger, rows: Sequence[dict], name: str = "", unmapped: Counter | None = None, n_examples: int = 15
) -> Evaluation:
    """Tag every row's source_text and score against its privacy_mask."""
    return score_rows(rows, tagger.tag([r["source_text"] for r in rows]), name, unmapped, n_examples)


def lexicon_effect(tagger, rows: Sequence[dict], name: str = "") -> dict | None:
    """Entity scores on ``rows`` with the tagger's value lexicon and without it (one tagging pass),
    how many entity labels it changed, how many entities its shape and edge checks dropped, cut
    or redrew (a lower-case word of a class that always carries a capital, a URL run on past a
    space, a street that ran on into "warehouse"...) and how many of its entities the model's own
    tags lack (``drawn``: those redrawn, and values of a class drawn from a short list that the
    model left untagged, "our Operations team"); None when the tagger has no lexicon."""
    lexicon = getattr(tagger, "lexicon", None)
    if lexicon is None:
        return None
    tagged = tagger.tag([r["source_text"] for r in rows])
    bare = [t.without_lexicon() for t in tagged]
    keys = ("entity_f1", "entity_precision", "entity_recall", "macro_f1", "span_edges_f1")
    with_lex, without = score_rows(rows, tagged, name).summary(), score_rows(rows, bare, name).summary()
    entities = changed = dropped = drawn = 0
    for t, u in zip(tagged, bare):
        kept = {(e["start"], e["end"]): e["label"] for e in t.entities()}
        own = {(e["start"], e["end"]): e["label"] for e in u.entities()}
        for span, own_label in own.items():
            label = kept.get(span)
            dropped += label is None
            changed += label is not None and label != own_label
        entities += len(own)
        drawn += len(kept.keys() - own.keys())
    return {
        "dataset": name,
        "groups": [list(g) for g in lexicon.groups],
        "values": sum(len(v) for v in lexicon.values),
        "formats": len(lexicon.formats),
        "cased": sorted(lexicon.cased),
        "marked": sorted(lexicon.marked),
        "spaceless": sorted(lexicon.spaceless),
        "titled": sorted(lexicon.titled),
        "signless": sorted(lexicon.signless),
        "closed": sorted(lexicon.closed),
        "composed": sorted(lexicon.composed),
        "suffixed": sorted(lexicon.suffixed),
        "symbolic": sorted(lexicon.symbolic),
        "entities": entities,
        "labels_changed": changed,
        "shape_dropped": dropped,
        "drawn": drawn,
        "with": {k: with_lex[k] for k in keys},
        "without": {k: without[k] for k in keys},
    }


def score_rows(
    rows: Sequence[dict], tagged: Sequence, name: str = "", unmapped: Counter | None = None, n_examples: int = 15
) -> Evaluation:
    """Score tagged rows (``tagged[i]`` is the tagger's output for ``rows[i]``) against their privacy_mask."""
    gold_tags, pred_tags, gold_spans, pred_spans = [], [], [], []
    fn_by_class, fp_by_class = Counter(), Counter()
    fn_ex, fp_ex = defaultdict(list), defaultdict(list)
    flagged = unmapped_total = 0
    gold_all, pred_all = [], []  # every labelled value, mapped or not, against every prediction
    for r, t in zip(rows, tagged):
        mask = r.get("privacy_mask") or []
        gold_tags.append(bio_from_offsets(t.offsets, mask))
        pred_tags.append(t.labels)
        g = spans_of(mask)
        p_all = spans_of(t.entities(), "model")
        # predictions on a class the map could not translate count neither way
        um = [(e["start"], e["end"]) for e in r.get("unmapped_mask") or []]
        p = [s for s in p_all if not any(s.overlaps(u) for u in um)]
        for u in um:
            unmapped_total += 1
            flagged += any(s.overlaps(u) for s in p_all)
        gold_spans.append(g)
        pred_spans.append(p)
        gold_all.append(g + [(e["start"], e["end"], e["label"]) for e in r.get("unmapped_mask") or []])
        pred_all.append(p_all)
        for s in g:
            if not any(q.label == s.label and q.overlaps(s) for q in p):
                fn_by_class[s.label] += 1
                if len(fn_ex[s.label]) < 3:
                    fn_ex[s.label].append(_context(r["source_text"], s.start, s.end))
        for s in p:
            if not any(q.label == s.label and q.overlaps(s) for q in g):
                fp_by_class[s.label] += 1
                if len(fp_ex[s.label]) < 3:
                    fp_ex[s.label].append(_context(r["source_text"], s.start, s.end))
    errors = {
        "false_negatives_by_class": dict(fn_by_class.most_common()),
        "false_positives_by_class": dict(fp_by_class.most_common()),
        "false_negative_examples": [
            {"class": c, "count": fn_by_class[c], "examples": fn_ex[c]} for c, _ in fn_by_class.most_common(n_examples)
        ],
        "false_positive_examples": [
            {"class": c, "count": fp_by_class[c], "examples": fp_ex[c]} for c, _ in fp_by_class.most_common(n_examples)
        ],
    }
    return Evaluation(
        name=name,
        rows=len(rows),
        entity=entity_metrics(gold_tags, pred_tags),
        span=span_metrics(gold_spans, pred_spans),
        leak=leak_rate(gold_spans, pred_spans),
        pii_token_recall=pii_token_recall(gold_tags, pred_tags),
        confusion=confusion(gold_spans, pred_spans),
        unmapped=unmapped or Counter(),
        unmapped_flagged=round(flagged / unmapped_total, 4) if unmapped_total else None,
        errors=errors,
        leak_all=leak_rate(gold_all, pred_all) if unmapped_total else None,
    )


# -- per language ------------------------------------------------------------------------------


def split_by_language(rows: Sequence[dict], default: str = "en") -> dict[str, list[int]]:
    """Row indices by language code (``'Dutch'``, ``'nl'``, ``'nl-NL'`` -> ``'nl'``), in order of
    first appearance; rows without a language field count as ``default``, unknown names as ``'other'``."""
    from ..core.languages import language_code

    out: dict[str, list[int]] = {}
    for i, r in enumerate(rows):
        raw = r.get("language") if isinstance(r, dict) else getattr(r, "language", None)
        code = language_code(raw) if raw else default
        out.setdefault(code or "other", []).append(i)
    return out


def evaluate_by_language(
    tagger, rows: Sequence[dict], name: str = "", unmapped: Counter | None = None, n_examples: int = 15
) -> tuple[Evaluation, dict[str, Evaluation]]:
    """The evaluation of all rows and of each language's rows (every row tagged once)."""
    tagged = tagger.tag([r["source_text"] for r in rows])
    whole = score_rows(rows, tagged, name, unmapped, n_examples)
    parts = {}
    for code, idx in split_by_language(rows).items():
        sub = [rows[i] for i in idx]
        sub_unmapped = Counter(e["label"] for r in sub for e in r.get("unmapped_mask") or [])
        parts[code] = score_rows(sub, [tagged[i] for i in idx], f"{name}/{code}", sub_unmapped, n_examples)
    return whole, parts


def language_table(
    by_language: dict[str, dict[str, Evaluation]], label_maps: dict[str, str] | None = None
) -> list[dict]:
    """One row per dataset and language: the scheme-independent leak rates first, then the
    entity scores, which hold only for the classes the dataset's label map translates.

    ``label_maps``: dataset name -> its label map's name ('' or absent: the 200k scheme itself).
    """
    rows = []
    for dataset, parts in by_language.items():
        scheme = (label_maps or {}).get(dataset) or ""
        for code, ev in parts.items():
            s = ev.summary()
            rows.append(
                {
                    "dataset": dataset,
                    "language": code,
                    "rows": s["rows"],
                    "labels": f"{scheme} scheme, mapped classes" if scheme else "200k scheme",
                    "leak_rate": s["leak_rate"],
                    "leak_rate_all_pii": s["leak_rate_all_pii"],
                    "pii_token_recall": s["pii_token_recall"],
                    "entity_recall": s["entity_recall"],
                    "entity_precision": s["entity_precision"],
                    "entity_f1": s["entity_f1"],
                    "span_edges_f1": s["span_edges_f1"],
                }
            )
    return rows


def leak_shares(by_language: dict[str, dict[str, Evaluation]], top: int = 8) -> tuple[list[dict], list[str]]:
    """Where each dataset's languages leak: one row per dataset and language with its leak rate
    and, for the ``top`` classes that leak most in some row, each class's part of that rate (the
    characters of the class left unmasked over all the row's PII characters); ``other`` holds the
    rest, so a row's parts sum to its leak rate. Returns ``(rows, classes)``, classes by their
    largest part first."""
    leaks = [(d, code, ev.leak) for d, parts in by_language.items() for code, ev in parts.items()]
    peak: Counter = Counter()
    for _, _, leak in leaks:
        for c, v in leak["share_per_class"].items():
            peak[c] = max(peak[c], v)
    classes = [c for c, v in sorted(peak.items(), key=lambda kv: (-kv[1], kv[0])) if v > 0][:top]
    rows = []
    for dataset, code, leak in leaks:
        row = {"dataset": dataset, "language": code, "leak_rate": leak["overall"]}
        row.update({c: leak["share_per_class"].get(c, 0.0) for c in classes})
        row["other"] = max(0.0, leak["overall"] - sum(row[c] for c in classes))
        rows.append(row)
    return rows, classes


def confusion_matrix(counts: Counter, top: int = 30) -> tuple[list[list[int]], list[str]]:
    """A square matrix over the ``top`` most frequent classes (plus O), rows gold, columns predicted."""
    freq = Counter()
    for (g, p), n in counts.items():
        freq[g] += n
        freq[p] += n
    labels = [c for c, _ in freq.most_common() if c != "O"][:top] + ["O"]
    idx = {c: i for i, c in enumerate(labels)}
    m = [[0] * len(labels) for _ in labels]
    for (g, p), n in counts.items():
        if g in idx and p in idx:
            m[idx[g]][idx[p]] += n
    return m, labels


def load_external(spec: dict, label_maps: dict) -> tuple[list[dict], Counter] | None:
    """Rows of one external dataset from params (``{name, path, label_map}``), labels mapped.

    A local jsonl / parquet / csv path, or a hub id loaded with ``datasets`` where reachable (its
    ``split``, default ``train``; only the held-out slice of ``piimask.pipeline.realdata``, in ``language``
    when the entry names one).
    Returns None (and the caller reports it) when the path does not exist.
    """

    from ..core.config import resolve_path
    from ..core.io import read_table

    path = resolve_path(spec["path"])
    if path.exists():
        rows = read_table(path)
    elif "/" in spec["path"] and not spec["path"].startswith((".", "/")):
        # a hub id: only its held-out slice is scored (the 200k dataset's one split is 'train')
        from .realdata import SPLIT, load_hub_rows, select_rows

        rows, _ = select_rows(load_hub_rows(spec["path"], spec.get("split", SPLIT)), spec.get("language") or None)
    else:
        return None
    label_map = label_maps.get(spec.get("label_map") or "", None) if spec.get("label_map") else None
    if spec.get("label_map") and label_map is None:
        raise ValueError(
            f"external dataset {spec['name']!r} names label map {spec['label_map']!r}, "
            f"which is not in params.label_maps ({', '.join(label_maps)})"
        )
    return map_labels(rows, label_map)


# -- choosing the masking threshold ------------------------------------------------------------


def join_rows(rows: Sequence[dict], sep: str = "\n\n") -> dict:
    """The rows as one long text (joined by ``sep``), their spans moved with them: how the Masker
    does on a long document, where windows (not whole texts) are what the model sees."""
    parts, mask, at = [], [], 0
    for r in rows:
        text = r["source_text"]
        mask += [{**e, "start": e["start"] + at, "end": e["end"] + at} for e in r.get("privacy_mask") or []]
        parts.append(text)
        at += len(text) + len(sep)
    return {"source_text": sep.join(parts), "privacy_mask": mask}


def threshold_curve(tagger, rows: Sequence[dict], thresholds: Sequence[float], **masker_kw) -> list[dict]:
    """Leak rate and over-mask rate of the Masker's full path (model spans by PII-ness, the
    recognizers, overlaps, repeats, and the text ``mask_with`` replaces for them) at each
    threshold, on rows with ``source_text`` and ``privacy_mask``. The rows are tagged once;
    ``masker_kw`` go to ``Masker``. Values of classes a label map could not translate
    (``unmapped_mask``: another scheme's passport numbers) count neither way: not in the leak
    (as 05's leak rate), not as other text either, so masking them is no over-masking."""
    from ..runtime.mask import Masker, replaced_spans

    texts = [r["source_text"] for r in rows]
    tagged = tagger.tag(texts)
    gold = [spans_of(r.get("privacy_mask") or []) for r in rows]
    labelled = [g + spans_of(r.get("unmapped_mask") or []) for g, r in zip(gold, rows)]
    out = []
    for t in thresholds:
        masker = Masker(None, score_threshold=t, **masker_kw)
        pred = [replaced_spans(text, masker.spans(text, tg)) for text, tg in zip(texts, tagged)]
        leak = leak_rate(gold, pred)
        over = over_mask_rate(texts, labelled, pred)
        out.append(
            {
                "threshold": float(t),
                "leak_rate": leak["overall"],
                "over_mask_rate": over["overall"],
                "pii_chars": leak["pii_chars"],
                "leaked_chars": leak["leaked_chars"],
                "non_pii_chars": over["non_pii_chars"],
                "over_masked_chars": over["masked_chars"],
            }
        )
    return out


def choose_threshold(
    curve: Sequence[dict],
    max_leak_rate: float = 0.005,
    max_over_mask_rate: float = 0.03,
    also: dict[str, tuple[Sequence[dict], float]] | None = None,
) -> dict:
    """The masking threshold, by one rule stated here and in the README:

    1. the highest threshold whose leak rate is at most ``max_leak_rate`` and whose over-mask
       rate is at most ``max_over_mask_rate`` (both targets met, least masking), and at which
       every curve in ``also`` ({name: (curve, its leak target)}, other rows the Masker must not
       leak on: other languages, other schemes) leaks at most its own target;
    2. else, among thresholds within ``max_over_mask_rate``, the one whose worst leak (each
       curve's leak as a share of its target; without ``also``, the leak) is least (then the
       least leak, then the highest);
    3. else the one that over-masks least.

    Over-mask is judged on ``curve`` alone: other schemes mark other things as PII, so their
    over-mask says more about the scheme than about the Masker. Returns the chosen curve point
    with ``rule`` (1, 2 or 3) and ``reason``.
    """
    if not curve:
        raise ValueError("the threshold curve is empty: give at least one threshold")
    also = dict(also or {})
    leaks = {}  # threshold -> [(name, leak, target)] over the other curves
    for name, (other, target) in also.items():
        if not target > 0:
            raise ValueError(f"the leak target for {name!r} must be above 0, not {target!r}")
        at = {p["threshold"]: p["leak_rate"] for p in other}
        missing = [p["threshold"] for p in curve if p["threshold"] not in at]
        if missing:
            raise ValueError(f"the curve for {name!r} lacks the thresholds {missing}")
        for p in curve:
            leaks.setdefault(p["threshold"], []).append((name, at[p["threshold"]], target))

    def others_met(p) -> bool:
        return all(leak <= target for _, leak, target in leaks.get(p["threshold"], []))

    def share(leak: float, target: float) -> float:
        return leak / target if target > 0 else (float("inf") if leak > 0 else 0.0)

    def worst(p) -> float:
        rest = [share(leak, target) for _, leak, target in leaks.get(p["threshold"], [])]
        return max([share(p["leak_rate"], max_leak_rate), *rest])

    with_others = f", and each of {', '.join(also)} within its own leak target" if also else ""
    both = [
        p
        for p in curve
        if p["leak_rate"] <= max_leak_rate and p["over_mask_rate"] <= max_over_mask_rate and others_met(p)
    ]
    if both:
        p = max(both, key=lambda p: p["threshold"])
        return {
            **p,
            "rule": 1,
            "reason": f"highest threshold with leak <= {max_leak_rate:.2%} and over-mask <= {max_over_mask_rate:.1%}"
            + with_others,
        }
    within = [p for p in curve if p["over_mask_rate"] <= max_over_mask_rate]
    if within:
        p = min(within, key=lambda p: (worst(p), p["leak_rate"], -p["threshold"]))
        least = "the least worst leak (each set's leak over its target)" if also else "the least leak"
        return {
            **p,
            "rule": 2,
            "reason": f"no threshold leaks <= {max_leak_rate:.2%}{' (and the others within theirs)' if also else ''} "
            f"within over-mask {max_over_mask_rate:.1%}: {least} within that over-mask",
        }
    p = min(curve, key=lambda p: (p["over_mask_rate"], p["leak_rate"]))
    return {
        **p,
        "rule": 3,
        "reason": f"every threshold over-masks more than {max_over_mask_rate:.1%}: the least over-mask",
    }
