"""The generate stage: plan requests, call the backend, write records as answers arrive.

Resumable and idempotent: records are appended to ``generated.jsonl`` keyed by request id, and a
re-run skips every request already answered; a request that failed (after the backend's own
retries) is written to ``request_errors.jsonl`` and tried again on the next run. Answers from
paid backends are cached by request hash in ``cache/answers.jsonl``, so a re-run never pays twice.
A damaged line in any of these files is quarantined into ``<file>.damaged`` (its request is
simply asked again) and counted in the summary's ``quarantined``.

Reproducible: with the offline backend, the same params and seed give a byte-identical
``generated.jsonl`` whatever ``PYTHONHASHSEED`` (no wall-clock time is written into a record).
"""

from __future__ import annotations

import hashlib
import json
import random
import threading
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from ...core.config import Params
from ...core.fill import target_from_source
from ...core.io import JsonlAppender, scan_jsonl, write_jsonl
from ...core.languages import english_only
from ...core.locale_values import value_factory
from ...core.record import Record
from ...core.taxonomy import settler
from ..answers import clean_answer, fill_answer
from .backends import Backend, Request, Result
from .factory import make_backend
from .prompts import build_prompt
from .records import FormValues, is_record
from .reference import load_reference
from .strategies import Plan, plan_requests


@dataclass
class GenerationSummary:
    planned: int = 0
    skipped_done: int = 0
    requested: int = 0
    from_cache: int = 0
    accepted: int = 0
    rejected: int = 0
    failed: int = 0
    quarantined: int = 0  # damaged lines of the run's files, moved to <file>.damaged
    input_tokens: int = 0
    output_tokens: int = 0
    reject_reasons: Counter = field(default_factory=Counter)
    errors: Counter = field(default_factory=Counter)

    def to_dict(self) -> dict:
        d = self.__dict__.copy()
        d["reject_reasons"] = dict(self.reject_reasons)
        d["errors"] = dict(self.errors)
        return d


class GenerationFailed(RuntimeError):
    """Every request of a run failed: nothing to label. Carries the run's summary."""

    def __init__(self, summary: GenerationSummary, errors_path: Path):
        top = ", ".join(f"{code} x{n}" for code, n in summary.errors.most_common(3)) or "no error recorded"
        super().__init__(
            f"all {summary.failed} requests failed ({top}); nothing was generated, so the next stages "
            f"would write empty splits. The errors, one per request, are in {errors_path}; fix the "
            "cause and run again (failed requests are retried, answers already paid for are kept)"
        )
        self.summary = summary


def run_salt(params: Params, model_id: str | None = None) -> str:
    """Request ids depend on the run and the model (for the offline backend: the fragment bank's
    digest), not on n_records: growing a run keeps its first records. A run that does not settle
    look-alikes gets ids of its own, so records labelled the settled way are never reused by it
    (the other way round, ``settle_rows`` settles records of an earlier run in place); a run that
    settles dates (``settle_dates``) gets ids of its own for the same reason."""
    salt = f"{params.run_name}:{params.seed}:{params.backend}:{model_id or params.model_id}:{params.strategy}"
    if params.bracket_share:  # records filled with other brackets are not reused
        salt += f":brackets{params.bracket_share:g}"
    if params.settle_dates:  # a run that stops settling dates must not keep the DOB labels
        salt += ":dates"
    return salt if params.settle_lookalikes else salt + ":unsettled"


def settle_rows(rows: list[dict], settle) -> int:
    """Settle the look-alikes of generated rows in place (``settle``, from ``taxonomy.settler``:
    labels and target text), for records written before the run settled them; returns how many
    changed."""
    changed = 0
    for r in rows:
        mask = r.get("privacy_mask") or []
        new = [{**e, "label": settle(e["label"], r["source_text"][e["start"] : e["end"]])} for e in mask]
        if any(a["label"] != b["label"] for a, b in zip(mask, new)):
            r["privacy_mask"] = new
            r["target_text"] = target_from_source(r["source_text"], new)
            changed += 1
    return changed


def request_hash(req: Request, model_id: str) -> str:
    payload = json.dumps(
        [model_id, req.system, req.user, req.temperature, req.max_tokens, req.top_p, req.metadata.get("seed")],
        sort_keys=True,
    )
    return hashlib.sha256(payload.encode()).hexdigest()[:24]


def plans_for(params: Params, model_id: str | None = None) -> list[Plan]:
    if not english_only(params.languages):  # a run in several languages: each planned on its own
        from .multilingual import plan_languages

        return plan_languages(params, run_salt(params, model_id))
    reference = load_reference(params.reference_dataset, params.language, params.reference_split)
    expected = None
    if params.backend == "offline":  # the grammar writes the dataset's class mix by itself
        from .offline import ENTITY_COUNTS, class_shares

        per_text = sum(k * w for k, w in ENTITY_COUNTS.items())
        expected = {c: share * per_text for c, share in class_shares().items()}
    return plan_requests(
        params.strategy,
        params.n_records,
        params.fields,
        params.styles,
        reference,
        seed=params.seed,
        salt=run_salt(params, model_id),
        temperature_range=(params.temperature_min, params.temperature_max),
        min_class_count=params.min_class_count,
        extra_classes=params.extra_classes,
        expected=expected,
    )


def _record_row(row: dict) -> dict:
    """A row of generated.jsonl, unchanged, once it reads as a Record (else it is quarantined)."""
    Record.from_dict(row)
    return row


def _cache_row(row: dict) -> dict:
    """A row of the answer cache, once it has its hash and text (else it is quarantined)."""
    if not isinstance(row.get("hash"), str) or not isinstance(row.get("text"), str):
        raise ValueError("a cached answer needs a 'hash' and a 'text'")
    return row


def to_request(plan: Plan, params: Params) -> Request:
    language = plan.extra.get("language")  # None in an English-only run: its requests stay as they were
    prompt = build_prompt(
        plan.field,
        plan.style,
        plan.example_target,
        list(plan.classes),
        min_chars=max(params.min_chars, 50),
        max_chars=min(params.max_chars, 420),
        language=language or "en",
    )
    metadata = {
        "field": plan.field,
        "style": plan.style,
        "classes": list(plan.classes),
        "required": list(plan.extra.get("required", ())),
        "seed": plan.seed,
        "example_id": plan.example_id,
        "prompt_hash": prompt.hash,
    }
    if language:
        metadata["language"] = language
    return Request(
        plan.request_id,
        prompt.system,
        prompt.user,
        temperature=plan.temperature,
        max_tokens=params.max_tokens,
        top_p=params.top_p,
        metadata=metadata,
    )


# the brackets of a text whose values keep them: square two times in three, angle otherwise
BRACKETS = ((("[", "]"),) * 2) + ((("<", ">"),))


def value_brackets(seed: int, share: float) -> tuple[str, str]:
    """The brackets around every value of the request ``seed``'s text: for a ``share`` of the
    requests (decided by the seed alone, so a share of 0 changes nothing) a pair of ``BRACKETS``,
    as texts that keep a template's brackets write them ("[Brunel]-[Okafor]", "<Abbé>"); none
    otherwise."""
    rng = random.Random(f"brackets/{seed}")
    return rng.choice(BRACKETS) if share and rng.random() < share else ("", "")


def answer_to_record(result: Result, request: Request, params: Params, backend: Backend) -> Record:
    """A record for one answered request: filled and ready to label, or rejected with its reasons."""
    md = request.metadata
    text = clean_answer(result.text or "")
    # values are seeded by the request, so a re-run fills the same answer with the same values;
    # English texts take params.locales, the other languages their own locale
    language = md.get("language")
    values = value_factory(language or "en", md["seed"], tuple(params.locales))
    if is_record(result.metadata.get("template_id", "")):  # a form's fields hold a form's values
        values = FormValues(values, language or "en", md["seed"])
    filled, reasons = fill_answer(
        text,
        values,
        settler(params),
        value_brackets(md["seed"], params.bracket_share),
    )
    rec = Record(
        id=f"pm-{request.request_id}",
        source_text=text,
        language=language or params.language,
        field=md["field"],
        style=md["style"],
        backend=backend.name,
        model_id=backend.model_id,
        template_id=result.metadata.get("template_id", "") or f"prompt/{md['example_id']}",
        prompt_hash=md["prompt_hash"],
        example_id=md["example_id"],
        request_id=request.request_id,
        seed=md["seed"],
        reject_reasons=reasons,
    )
    if filled:
        rec.source_text, rec.target_text, rec.privacy_mask = (
            filled["source_text"],
            filled["target_text"],
            filled["privacy_mask"],
        )
    return rec


def generate(
    params: Params, backend: Backend | None = None, progress: bool = True, out_dir: str | Path | None = None
) -> GenerationSummary:
    """Run the generate stage for ``params``; records go to ``<run>/data/generated.jsonl``."""
    from ...core.progress import bar as progress_bar

    backend = backend or make_backend(params)
    data_dir = Path(out_dir) if out_dir else params.data_dir
    out_path, err_path = data_dir / "generated.jsonl", data_dir / "request_errors.jsonl"
    cache_path = data_dir.parent / "cache" / "answers.jsonl"
    summary = GenerationSummary()

    plans = plans_for(params, backend.model_id or None)
    summary.planned = len(plans)
    read = scan_jsonl(out_path, convert=_record_row)
    existing, summary.quarantined = read.rows, len(read.damaged)
    planned_ids = {p.request_id for p in plans}
    stale = [r for r in existing if r.get("request_id") not in planned_ids]
    if stale:  # rows of another plan (a changed seed, strategy or backend): set aside, not mixed in
        old = scan_jsonl(out_path.with_suffix(".stale.jsonl"))
        summary.quarantined += len(old.damaged)
        write_jsonl(out_path.with_suffix(".stale.jsonl"), old.rows + stale)
        existing = [r for r in existing if r.get("request_id") in planned_ids]
        write_jsonl(out_path, existing)
    settle = settler(params)
    if settle and settle_rows(existing, settle):  # records of a run from before settling
        write_jsonl(out_path, existing)
    done = {r["request_id"] for r in existing}
    if hasattr(backend, "prime"):  # the offline grammar avoids repeating a text of this run
        backend.prime(r.get("target_text") or r.get("source_text", "") for r in existing)
    todo = [p for p in plans if p.request_id not in done]
    summary.skipped_done = len(plans) - len(todo)
    requests = {p.request_id: to_request(p, params) for p in todo}

    use_cache = backend.name != "offline"
    cached = scan_jsonl(cache_path, convert=_cache_row) if use_cache else None
    cache = {row["hash"]: row for row in cached.rows} if cached else {}
    summary.quarantined += len(cached.damaged) if cached else 0
    lock = threading.Lock()
    out = JsonlAppender(out_path)
    errs = JsonlAppender(err_path)
    cache_out = JsonlAppender(cache_path) if use_cache else None
    summary.quarantined += sum(a.quarantined for a in (out, errs, cache_out) if a is not None)

    def on_result(result: Result) -> None:
        req = requests[result.request_id]
        with lock:
            summary.input_tokens += result.input_tokens
            summary.output_tokens += result.output_tokens
            if not result.ok:
                summary.failed += 1
                summary.errors[result.error.split(":")[0]] += 1
                errs.write(
                    {
                        "request_id": result.request_id,
                        "error": result.error,
                        "attempts": result.attempts,
                        "at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
                    }
                )
                return
            if cache_out is not None and not result.metadata.get("cached"):
                cache_out.write(
                    {
                        "hash": request_hash(req, backend.model_id),
                        "text": result.text,
                        "input_tokens": result.input_tokens,
                        "output_tokens": result.output_tokens,
                    }
                )
            rec = answer_to_record(result, req, params, backend)
            out.write(rec.to_dict())
            if rec.reject_reasons:
                summary.rejected += 1
                summary.reject_reasons.update(r.split(":")[0] for r in rec.reject_reasons)
            else:
                summary.accepted += 1

    to_call = []
    for req in requests.values():
        hit = cache.get(request_hash(req, backend.model_id))
        if hit:
            summary.from_cache += 1
            on_result(Result(req.request_id, text=hit["text"], metadata={"cached": True}))
        else:
            to_call.append(req)
    summary.requested = len(to_call)
    bar = progress_bar(len(to_call), f"generate ({backend.name})", unit="req", enabled=progress)
    try:
        if to_call:  # credentials and model access, checked before the first paid request
            backend.preflight()
        backend.run(to_call, on_result, progress=bar.update)
    finally:
        bar.close()
        out.close()
        errs.close()
        if cache_out is not None:
            cache_out.close()
    if summary.requested and summary.failed == summary.requested and not existing and not summary.from_cache:
        raise GenerationFailed(summary, err_path)
    return summary


def cost_table(input_tokens: int, output_tokens: int, n_records: int, params: Params, model_id: str) -> dict:
    """Estimated cost of a run and per 1,000 records, on demand and with batch inference."""
    prices = params.prices.get(model_id) or params.prices.get(params.model_id)
    if not prices:
        return {"model_id": model_id, "note": "no price for this model in params.prices"}
    discount = params.prices.get("batch_discount", 0.5)
    on_demand = input_tokens / 1000 * prices["input"] + output_tokens / 1000 * prices["output"]
    per_1k = on_demand / max(n_records, 1) * 1000
    return {
        "model_id": model_id,
        "input_tokens": input_tokens,
        "output_tokens": output_tokens,
        "records": n_records,
        "cost_on_demand_usd": round(on_demand, 4),
        "cost_batch_usd": round(on_demand * discount, 4),
        "per_1k_records_on_demand_usd": round(per_1k, 4),
        "per_1k_records_batch_usd": round(per_1k * discount, 4),
    }
