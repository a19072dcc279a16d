"""Realism experiments: generate -> gate -> label -> split -> train -> score on real rows, one call.

    python -m benchmarks.realism --name v2 [--records 7500] [--epochs 2] [--seed 42]
    python -m benchmarks.realism --name v2g --corpus v2 --set train_sampling=group_by_length
                                                    # v2's corpus, trained another way (paired)
    python -m benchmarks.realism --name v2b --corpus v2 --brackets 0.08
                                                    # v2's corpus with 8 % of its texts bracketed
    python -m benchmarks.realism --table            # every finished experiment as a markdown table
    python -m benchmarks.realism --budget v2        # each epoch's checkpoint of an experiment, scored
    python -m benchmarks.realism --rescore v2       # the model scored again with the current decoding

Each experiment runs the library's stage functions (the same ones the notebooks call) into
``outputs/exp-<name>/`` and writes ``result.json``: the synthetic test split's F1, and on the real
200k rows (params ``external_datasets``, the first entry with no label map) entity micro / macro
F1, label-agnostic span F1 (``span_edges_f1``), leak rate and per-class F1, with training time.
The budget curve (records x epochs) and the seeds of the README's results table come from here.
"""

from __future__ import annotations

import argparse
import json
import time
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def bracket_records(records: list, share: float) -> list:
    """``records`` with the values of a ``share`` of them written in brackets, the records chosen
    and bracketed as params ``bracket_share`` does at generation (by each record's seed)."""
    from piimask.core.fill import bracketed, target_from_source
    from piimask.pipeline.generate.run import value_brackets

    for r in records:
        pair = value_brackets(r.seed, share)
        if pair[0] and r.privacy_mask:
            r.source_text, r.privacy_mask = bracketed(r.source_text, r.privacy_mask, pair)
            r.target_text = target_from_source(r.source_text, r.privacy_mask)
    return records


def _splits(params) -> dict:
    """The gate, labelling and splits of the run's generated records (the same every time)."""
    from transformers import AutoTokenizer

    from piimask.core import config, io
    from piimask.pipeline import dataset, validate

    recs = io.read_records(params.data_dir / "generated.jsonl")
    accepted, _ = validate.gate(recs, params.min_chars, params.max_chars)
    tokenizer = AutoTokenizer.from_pretrained(config.resolve_model(params.tokenizer))
    dataset.label_records(accepted, tokenizer, params.tokenizer)
    splits = dataset.split_records(accepted, params.validation_fraction, params.test_fraction, params.seed)
    dataset.assert_no_leak(splits)
    return splits


def run_experiment(
    name: str,
    records: int,
    epochs: float,
    seed: int,
    profile: str = "default",
    extra: dict | None = None,
    corpus: str | None = None,
    brackets: float = 0.0,
) -> dict:
    """One experiment; ``corpus`` names an earlier experiment whose generated records are reused
    as they are (a paired comparison: only the training differs), or with a ``brackets`` share of
    them bracketed after the fact (``bracket_records``: only the brackets and the training differ);
    either way labelled as this experiment settles look-alikes (``taxonomy.settler``: with
    ``--set settle_dates=true``, only the labels of full calendar dates and the training differ)."""
    from piimask.core import config, io
    from piimask.core.taxonomy import settler
    from piimask.pipeline import evaluate, train
    from piimask.pipeline.generate import generate
    from piimask.pipeline.generate.run import settle_rows
    from piimask.runtime.predict import TokenTagger

    params = config.load_params(
        profile,
        {"run_name": f"exp-{name}", "n_records": records, "num_train_epochs": epochs, "seed": seed, **(extra or {})},
    )
    t0 = time.perf_counter()
    if corpus:
        params.data_dir.mkdir(parents=True, exist_ok=True)
        source = params.run_dir.parent / f"exp-{corpus}" / "data" / "generated.jsonl"
        if brackets:
            io.write_records(params.data_dir / "generated.jsonl", bracket_records(io.read_records(source), brackets))
        else:
            (params.data_dir / "generated.jsonl").write_bytes(source.read_bytes())
        settle = settler(params)
        rows = io.read_jsonl(params.data_dir / "generated.jsonl")
        if settle and settle_rows(rows, settle):  # the reused records labelled as this run settles them
            io.write_jsonl(params.data_dir / "generated.jsonl", rows)
    else:
        generate(params, progress=False)
    splits = _splits(params)
    accepted = sum(len(v) for v in splits.values())
    rejected = len(io.read_records(params.data_dir / "generated.jsonl")) - accepted
    gen_seconds = time.perf_counter() - t0
    result = train.train(params, splits, progress=False)
    tagger = TokenTagger(params.model_dir, window=params.window_tokens, stride=params.window_stride)
    test = evaluate.evaluate_rows(tagger, [r.to_dict() for r in splits["test"]], "synthetic-test")
    spec = next(s for s in params.external_datasets if not s.get("label_map"))
    rows, _ = evaluate.load_external(spec, params.label_maps)
    real = evaluate.evaluate_rows(tagger, rows, spec["name"])
    out = {
        "name": name,
        "records": records,
        "epochs": epochs,
        "seed": seed,
        "profile": profile,
        "extra": extra or {},
        "corpus": corpus or name,
        "corpus_brackets": brackets,
        "accepted": accepted,
        "rejected": rejected,
        "train_records": result.metrics["train_records"],
        "generate_label_seconds": round(gen_seconds, 1),
        "train_seconds": result.metrics["train_seconds"],
        "validation_f1": result.metrics["validation"].get("f1"),
        "synthetic_test": test.summary(),
        "real": real.summary(),
        "real_per_class": {
            r["class"]: {"f1": round(r["f1"], 3), "support": r["support"]}
            for r in real.per_class_rows()
            if r["support"]
        },
        "measured": datetime.now(timezone.utc).isoformat(timespec="seconds"),
    }
    (params.run_dir / "result.json").write_text(json.dumps(out, indent=1))
    return out


def rescore(name: str, root: Path = ROOT / "outputs") -> dict:
    """Score an experiment's model again with the current decoding (no retraining): the synthetic
    test split and the real rows; the result replaces the scores in ``result.json``."""
    from piimask.core import config
    from piimask.pipeline import evaluate
    from piimask.runtime.predict import TokenTagger

    run = root / f"exp-{name}"
    result = json.loads((run / "result.json").read_text())
    params = config.load_params(
        result["profile"], {"run_name": f"exp-{name}", "seed": result["seed"], "output_root": str(root)}
    )
    tagger = TokenTagger(params.model_dir, window=params.window_tokens, stride=params.window_stride)
    test = [r.to_dict() for r in _splits(params)["test"]]
    spec = next(s for s in params.external_datasets if not s.get("label_map"))
    rows, _ = evaluate.load_external(spec, params.label_maps)
    real = evaluate.evaluate_rows(tagger, rows, spec["name"])
    result.setdefault("scores_at_training", {"synthetic_test": result["synthetic_test"], "real": result["real"]})
    result["synthetic_test"] = evaluate.evaluate_rows(tagger, test, "synthetic-test").summary()
    result["real"] = real.summary()
    result["real_per_class"] = {
        r["class"]: {"f1": round(r["f1"], 3), "support": r["support"]} for r in real.per_class_rows() if r["support"]
    }
    result["rescored"] = datetime.now(timezone.utc).isoformat(timespec="seconds")
    (run / "result.json").write_text(json.dumps(result, indent=1))
    return result


def budget(name: str, root: Path = ROOT / "outputs") -> list[dict]:
    """The budget curve's points of one experiment: every epoch's checkpoint scored on the real
    rows (training minutes pro rata), written to ``budget.json`` beside ``result.json``."""
    from piimask.core import config
    from piimask.pipeline import evaluate
    from piimask.runtime.predict import TokenTagger

    run = root / f"exp-{name}"
    result = json.loads((run / "result.json").read_text())
    params = config.load_params(result["profile"], {"run_name": f"exp-{name}", "seed": result["seed"]})
    spec = next(s for s in params.external_datasets if not s.get("label_map"))
    rows, _ = evaluate.load_external(spec, params.label_maps)
    points = []
    for ckpt in sorted((run / "model-checkpoints").glob("checkpoint-*"), key=lambda p: int(p.name.split("-")[1])):
        epoch = json.loads((ckpt / "trainer_state.json").read_text())["epoch"]
        real = evaluate.evaluate_rows(TokenTagger(ckpt), rows, spec["name"]).summary()
        points.append(
            {
                "name": name,
                "train_records": result["train_records"],
                "epochs": epoch,
                "train_minutes": round(result["train_seconds"] * epoch / result["epochs"] / 60, 1),
                "real_entity_f1": real["entity_f1"],
                "real_span_edges_f1": real["span_edges_f1"],
            }
        )
    (run / "budget.json").write_text(json.dumps(points, indent=1))
    return points


def table(root: Path = ROOT / "outputs") -> str:
    lines = [
        "| experiment | records x epochs | seed | train s | synthetic test F1 | real F1 | real macro F1 "
        "| real span edges F1 | real leak |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for path in sorted(root.glob("exp-*/result.json")):
        r = json.loads(path.read_text())
        lines.append(
            f"| {r['name']} | {r['train_records']} x {r['epochs']:g} | {r['seed']} | {r['train_seconds']:.0f} "
            f"| {r['synthetic_test']['entity_f1']:.3f} | {r['real']['entity_f1']:.3f} "
            f"| {r['real']['macro_f1']:.3f} | {r['real']['span_edges_f1']:.3f} "
            f"| {100 * r['real']['leak_rate']:.2f} % |"
        )
    return "\n".join(lines)


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--name")
    ap.add_argument("--records", type=int, default=7500)
    ap.add_argument("--epochs", type=float, default=2.0)
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--profile", default="default")
    ap.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="KEY=YAML",
        help="another params override, e.g. --set max_train_records=2000",
    )
    ap.add_argument("--corpus", metavar="NAME", help="reuse experiment NAME's generated records (no generation)")
    ap.add_argument(
        "--brackets",
        type=float,
        default=0.0,
        metavar="SHARE",
        help="with --corpus: write the values of SHARE of the reused records in brackets (as bracket_share does)",
    )
    ap.add_argument("--table", action="store_true")
    ap.add_argument("--budget", metavar="NAME", help="score each epoch's checkpoint of experiment NAME")
    ap.add_argument("--rescore", metavar="NAME", help="score experiment NAME's model again with the current code")
    args = ap.parse_args(argv)
    if args.table:
        print(table())
        return
    if args.rescore:
        out = rescore(args.rescore)
        print(json.dumps({k: out[k] for k in ("name", "synthetic_test", "real")}, indent=1))
        return
    if args.budget:
        print(json.dumps(budget(args.budget), indent=1))
        return
    import yaml

    extra = {k: yaml.safe_load(v) for k, v in (s.split("=", 1) for s in args.set)}
    out = run_experiment(
        args.name, args.records, args.epochs, args.seed, args.profile, extra, args.corpus, args.brackets
    )
    print(json.dumps({k: out[k] for k in ("name", "train_seconds", "synthetic_test", "real")}, indent=1))


if __name__ == "__main__":
    main()
