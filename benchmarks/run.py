"""piimask benchmarks: each compares piimask with a baseline in the same run, on this machine.

    python -m benchmarks.run [--only labelling,generation,training,masking,sizes] [--model outputs/default/model]

Writes outputs/bench/results.json and outputs/bench/results.md, and prints the table.
Benchmarks measure speed; the test suite checks behaviour (no timing assertions there).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import threading
import time
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "outputs" / "bench"


def machine() -> str:
    import torch

    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{cpu}, {os.cpu_count()} cores, Python {platform.python_version()}, torch {torch.__version__}"


# -- 1. labelling ------------------------------------------------------------------------------


def published_labelling(records, tokenizer):
    """The published approach: one tokenizer call per record and a Python loop over offsets,
    testing every token against every span."""
    out = []
    for r in records:
        enc = tokenizer(r.source_text, add_special_tokens=False, return_offsets_mapping=True)
        labels = []
        for s, e in enc["offset_mapping"]:
            lab = "O"
            for ent in r.privacy_mask:
                for pos in range(s, e):  # character by character, as the published code did
                    if ent["start"] <= pos < ent["end"]:
                        lab = ("I-" if s > ent["start"] else "B-") + ent["label"]
                        break
                if lab != "O":
                    break
            labels.append(lab)
        out.append((tokenizer.convert_ids_to_tokens(enc["input_ids"]), labels))
    return out


def bench_labelling(n: int = 10_000) -> dict:
    from transformers import AutoTokenizer

    from piimask.core.config import load_params
    from piimask.core.label import tokenize_and_label
    from piimask.pipeline.generate.offline import OfflineBackend
    from piimask.pipeline.generate.run import answer_to_record, plans_for, to_request

    p = load_params("default", {"n_records": n, "run_name": "bench"})
    backend = OfflineBackend()
    records = []
    for plan in plans_for(p):
        req = to_request(plan, p)
        records.append(answer_to_record(backend.complete(req), req, p, backend))
    tok = AutoTokenizer.from_pretrained(str(ROOT / "outputs" / "base-model"))
    texts, masks = [r.source_text for r in records], [r.privacy_mask for r in records]
    t0 = time.perf_counter()
    tokenize_and_label(texts, masks, tok)
    ours = time.perf_counter() - t0
    t0 = time.perf_counter()
    published_labelling(records, tok)
    base = time.perf_counter() - t0
    return {
        "records": n,
        "piimask_records_per_s": round(n / ours, 1),
        "published_records_per_s": round(n / base, 1),
        "speedup": round(base / ours, 1),
    }


# -- 2. generation against a local Converse endpoint ---------------------------------------------


def _serve(port_value, calls, latency_s: float, throttle: float, seed: int) -> None:
    """The server process: Bedrock Converse REST on 127.0.0.1, fixed latency, a share of 429s."""
    import random

    rng = random.Random(seed)
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *a):  # quiet
            pass

        def do_POST(self):
            self.rfile.read(int(self.headers.get("Content-Length", 0)))
            with lock:
                calls.value += 1
                throttled = rng.random() < throttle
            if not self.path.endswith("/converse"):
                self._send(404, {"message": "unknown path"}, "ResourceNotFoundException")
            elif throttled:
                self._send(
                    429, {"message": "Too many requests, please wait before trying again."}, "ThrottlingException"
                )
            else:
                time.sleep(latency_s)
                self._send(
                    200,
                    {
                        "output": {
                            "message": {
                                "role": "assistant",
                                "content": [
                                    {
                                        "text": "Dear [FIRSTNAME], your [ACCOUNTNAME] payment of [AMOUNT] is due on [DATE]."
                                    }
                                ],
                            }
                        },
                        "stopReason": "end_turn",
                        "usage": {"inputTokens": 420, "outputTokens": 38, "totalTokens": 458},
                        "metrics": {"latencyMs": int(latency_s * 1000)},
                    },
                )

        def _send(self, code, body, err_type=None):
            data = json.dumps(body).encode()
            self.send_response(code)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            if err_type:
                self.send_header("x-amzn-ErrorType", f"{err_type}:http://internal.amazon.com/coral/com.amazon.bedrock/")
            self.end_headers()
            self.wfile.write(data)

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.daemon_threads = True
    httpd.request_queue_size = 128
    port_value.value = httpd.server_address[1]
    httpd.serve_forever()


class ConverseServer:
    """A local HTTP server, in its own process, speaking the Bedrock Converse REST API
    (POST /model/{modelId}/converse) with a fixed latency and a share of throttling (HTTP 429
    ThrottlingException). Loopback only; started and stopped by the benchmark."""

    def __init__(self, latency_s: float = 0.5, throttle: float = 0.0, seed: int = 0):
        import multiprocessing as mp

        ctx = mp.get_context("spawn")
        self._port = ctx.Value("i", 0)
        self._calls = ctx.Value("i", 0)
        self.proc = ctx.Process(target=_serve, args=(self._port, self._calls, latency_s, throttle, seed), daemon=True)

    @property
    def calls(self) -> int:
        return self._calls.value

    def __enter__(self):
        self.proc.start()
        deadline = time.monotonic() + 20
        while not self._port.value:
            if time.monotonic() > deadline or not self.proc.is_alive():
                raise RuntimeError("the local Converse server did not start")
            time.sleep(0.05)
        self.url = f"http://127.0.0.1:{self._port.value}"
        return self

    def __exit__(self, *exc):
        self.proc.terminate()
        self.proc.join(5)


def _client(url: str, concurrency: int):
    import boto3
    from botocore.config import Config

    return boto3.client(
        "bedrock-runtime",
        region_name="us-east-1",
        endpoint_url=url,
        aws_access_key_id="bench",
        aws_secret_access_key="bench",
        config=Config(retries={"max_attempts": 1}, max_pool_connections=max(10, concurrency)),
    )


def published_generation(client, requests) -> tuple[int, float]:
    """The published pattern: gather batches of 2 concurrent requests, then sleep 2 s; no retry."""
    from concurrent.futures import ThreadPoolExecutor

    ok = 0
    t0 = time.perf_counter()
    with ThreadPoolExecutor(2) as pool:
        for i in range(0, len(requests), 2):

            def one(r):
                try:
                    client.converse(
                        modelId="m",
                        system=[{"text": r.system}],
                        messages=[{"role": "user", "content": [{"text": r.user}]}],
                    )
                    return 1
                except Exception:
                    return 0  # a lost record

            ok += sum(pool.map(one, requests[i : i + 2]))
            time.sleep(2.0)
    return ok, time.perf_counter() - t0


def bench_generation(latency_s: float = 0.5) -> list[dict]:
    from piimask.pipeline.generate.backends import Request
    from piimask.pipeline.generate.bedrock import BedrockConverseBackend

    rows = []
    for throttle in (0.0, 0.2):
        for conc in (1, 8, 32):
            n = {1: 16, 8: 96, 32: 256}[conc]
            reqs = [Request(f"r{i}", "system", "user", metadata={}) for i in range(n)]
            with ConverseServer(latency_s, throttle, seed=conc) as srv:
                b = BedrockConverseBackend(
                    "anthropic.claude-3-haiku-20240307-v1:0",
                    client=_client(srv.url, conc),
                    concurrency=conc,
                    max_retries=8,
                    base_delay_s=0.05,
                    max_delay_s=1.0,
                )
                got = []
                t0 = time.perf_counter()
                b.run(reqs, got.append)
                dt = time.perf_counter() - t0
                calls = srv.calls
            ok = sum(r.ok for r in got)
            rows.append(
                {
                    "approach": "piimask",
                    "concurrency": conc,
                    "throttle": throttle,
                    "requests": n,
                    "records_per_s": round(ok / dt, 2),
                    "lost": n - ok,
                    "http_calls": calls,
                    "target_records_per_s": round(0.8 * conc / latency_s, 1),
                }
            )
        n = 8
        reqs = [Request(f"p{i}", "system", "user", metadata={}) for i in range(n)]
        with ConverseServer(latency_s, throttle, seed=99) as srv:
            ok, dt = published_generation(_client(srv.url, 2), reqs)
        rows.append(
            {
                "approach": "published (batches of 2 + 2 s sleep)",
                "concurrency": 2,
                "throttle": throttle,
                "requests": n,
                "records_per_s": round(ok / dt, 2),
                "lost": n - ok,
                "http_calls": n,
                "target_records_per_s": None,
            }
        )
    return rows


# -- 3. training -------------------------------------------------------------------------------


def bench_training() -> dict:
    """Samples/s of the default profile's training setup, measured on a short run here with each
    ``train_sampling`` on the same corpus (random order, the baseline; batches grouped by length);
    the default run's own numbers are added when outputs/default/model/metrics.json exists."""
    import tempfile

    from transformers import AutoTokenizer

    from piimask.core.config import load_params
    from piimask.core.io import read_records
    from piimask.pipeline import dataset, validate
    from piimask.pipeline.generate import generate
    from piimask.pipeline.train import train

    speed = {}
    with tempfile.TemporaryDirectory() as tmp:
        p = load_params(
            "default", {"output_root": tmp, "run_name": "bench", "n_records": 1500, "num_train_epochs": 1.0}
        )
        generate(p, progress=False)
        acc, _ = validate.gate(read_records(p.data_dir / "generated.jsonl"))
        dataset.label_records(acc, AutoTokenizer.from_pretrained(str(ROOT / "outputs" / "base-model")))
        splits = dataset.split_records(acc, 0.1, 0.1, p.seed)
        for sampling in ("random", "group_by_length"):
            q = load_params(
                "default",
                {
                    **{k: getattr(p, k) for k in ("output_root", "n_records", "num_train_epochs")},
                    "run_name": f"bench-{sampling}",
                    "train_sampling": sampling,
                },
            )
            res = train(q, splits, progress=False)
            speed[sampling] = res.metrics["train_samples_per_second"]
    default = load_params("default")
    out = {
        "short_run_records": res.metrics["train_records"],
        "samples_per_s": speed["random"],
        "samples_per_s_group_by_length": speed["group_by_length"],
        "speed_up_group_by_length": round(speed["group_by_length"] / speed["random"], 2),
        "batch_size": default.per_device_train_batch_size,
        "max_length": default.max_length,
    }
    m = ROOT / "outputs" / "default" / "model" / "metrics.json"
    if m.exists():
        d = json.loads(m.read_text())
        out.update(
            default_run_records=d["train_records"],
            default_run_epochs=d["epochs"],
            default_run_seconds=d["train_seconds"],
            default_run_samples_per_s=d["train_samples_per_second"],
            default_run_seconds_per_epoch=round(d["train_seconds"] / max(d["epochs"], 1e-9), 1),
        )
    else:
        est_records = int(default.n_records * (1 - default.validation_fraction - default.test_fraction))
        out["estimated_seconds_per_epoch_default"] = round(est_records / speed["random"], 1)
        out["estimated_seconds_per_epoch_default_group_by_length"] = round(est_records / speed["group_by_length"], 1)
    return out


# -- 4. masking --------------------------------------------------------------------------------


def _prompt(tokenizer, n_tokens: int) -> str:
    base = (
        "Hi, I'm Harper Balistreri (harper.b@quietlantern.biz). My card 4539 1488 0343 6467 was charged "
        "twice at Stehr - Romaguera in Port Kayliestead on 10/03/2024; call me on +44 20 7946 0958. "
    )
    text = base
    while len(tokenizer(text)["input_ids"]) < n_tokens:
        text += base
    ids = tokenizer(text, add_special_tokens=False)["input_ids"][: n_tokens - 2]
    return tokenizer.decode(ids)


def published_mask(pipe, text: str) -> str:
    """The published masker: HF pipeline, then a character-by-character walk replacing entities."""
    ents = pipe(text)
    out, i, k = [], 0, 0
    ents = sorted(ents, key=lambda e: e["start"])
    while i < len(text):
        if k < len(ents) and i == ents[k]["start"]:
            out.append("[MASKED]")
            i = ents[k]["end"]
            k += 1
        else:
            out.append(text[i])
            i += 1
    return "".join(out)


def bench_masking(model_dir: Path) -> dict:
    from transformers import pipeline

    from piimask.core.config import load_params
    from piimask.pipeline.evaluate import evaluate_rows, load_external
    from piimask.runtime.mask import Masker
    from piimask.runtime.predict import TokenTagger

    runtimes = {
        "pytorch fp32": {"runtime": "torch"},
        "onnx runtime fp32": {"runtime": "onnx"},
        "pytorch dynamic int8": {"int8": True},
    }
    results = {}
    p = load_params("default")
    real = load_external(p.external_datasets[0], p.label_maps)
    for name, kw in runtimes.items():
        tagger = TokenTagger(model_dir, **kw)
        masker = Masker(tagger)
        row = {}
        for n_tok in (64, 512):
            text = _prompt(tagger.tokenizer, n_tok)
            for _ in range(3):
                masker.detect(text)
            reps = 60 if n_tok == 64 else 15
            if kw.get("int8"):
                reps = max(5, reps // 6)
            ts = []
            for _ in range(reps):
                t0 = time.perf_counter()
                masker.detect(text)
                ts.append(1000 * (time.perf_counter() - t0))
            ts.sort()
            row[f"p50_ms_{n_tok}"] = round(statistics.median(ts), 1)
            row[f"p95_ms_{n_tok}"] = round(ts[min(len(ts) - 1, int(0.95 * len(ts)))], 1)
            batch = [text] * 32
            t0 = time.perf_counter()
            masker.detect_many(batch)
            row[f"texts_per_s_batch32_{n_tok}"] = round(32 / (time.perf_counter() - t0), 1)
        if real is not None:
            rows, unmapped = real
            row["entity_f1_real_200k"] = evaluate_rows(tagger, rows, "real", unmapped).summary()["entity_f1"]
        results[name] = row
    pipe = pipeline("token-classification", model=str(model_dir), aggregation_strategy="simple")
    text = _prompt(pipe.tokenizer, 64)
    for _ in range(3):
        published_mask(pipe, text)
    ts = []
    for _ in range(40):
        t0 = time.perf_counter()
        published_mask(pipe, text)
        ts.append(1000 * (time.perf_counter() - t0))
    ts.sort()
    results["published (HF pipeline + char walk)"] = {
        "p50_ms_64": round(statistics.median(ts), 1),
        "p95_ms_64": round(ts[int(0.95 * len(ts))], 1),
    }
    return results


# -- 5. masking long inputs ---------------------------------------------------------------------

SIZES = (10_000, 100_000, 1_000_000, 10_000_000)


def size_corpus(n_chars: int, seed: int = 0, n_records: int = 1500) -> str:
    """About ``n_chars`` of prose with PII: generated records joined, every value refilled with a
    fresh one from the value factory each time a record comes round again (so values stay
    distinct, as in a long real document)."""
    from piimask.core.config import load_params
    from piimask.core.values import ValueFactory
    from piimask.pipeline.generate.offline import OfflineBackend
    from piimask.pipeline.generate.run import answer_to_record, plans_for, to_request

    p = load_params("default", {"n_records": n_records, "run_name": "bench", "seed": seed})
    backend = OfflineBackend()
    records = []
    for plan in plans_for(p):
        req = to_request(plan, p)
        records.append(answer_to_record(backend.complete(req), req, p, backend))
    values = ValueFactory(seed=seed)
    parts, total, k = [], 0, 0
    while total < n_chars:
        r = records[k % len(records)]
        text = r.source_text
        if k >= len(records):  # a repeat: new values in the same sentence
            out, cur = [], 0
            for e in sorted(r.privacy_mask, key=lambda e: e["start"]):
                out += [text[cur : e["start"]], values(e["label"])]
                cur = e["end"]
            text = "".join(out) + text[cur:]
        parts.append(text)
        total += len(text) + 1
        k += 1
    return " ".join(parts)[:n_chars]


def bench_size_child(model_dir: Path, n_chars: int, fast: bool = False) -> dict:
    """One size in this (fresh) process: detect + mask, unmask of the echoed answer, peak RSS.
    ``fast``: the Masker on ONNX Runtime with int8 weights (``--fast``)."""
    import resource

    from piimask.runtime.llm import echo_llm
    from piimask.runtime.mask import Masker, unmask

    text = size_corpus(n_chars)
    masker = Masker.from_pretrained(model_dir, fast=fast)  # an export, if any, happens here, untimed

    def cpu() -> float:
        r = resource.getrusage(resource.RUSAGE_SELF)
        return r.ru_utime + r.ru_stime

    rss_loaded = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    load = os.getloadavg()[0]
    t0, c0 = time.perf_counter(), cpu()
    res = masker.mask(text)
    t_mask, c_mask = time.perf_counter() - t0, cpu() - c0
    answer = echo_llm(res.masked_text)
    t0 = time.perf_counter()
    restored = unmask(answer, res.mapping)
    t_unmask = time.perf_counter() - t0
    assert restored.endswith(text)  # the echo restores exactly
    # the machine may be shared: CPU seconds and the load average say how much it was
    return {
        "chars": len(text),
        "entities": len(res.entities),
        "tags": len(res.mapping),
        "detect_mask_s": round(t_mask, 2),
        "detect_mask_cpu_s": round(c_mask, 1),
        "unmask_s": round(t_unmask, 3),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
        "rss_after_model_load_mb": round(rss_loaded),
        "load_avg": round((load + os.getloadavg()[0]) / 2, 1),
    }


PATHS = {"pytorch fp32": [], "onnx int8 (--fast)": ["--fast"]}


def bench_sizes(model_dir: Path, sizes=SIZES, timeout_s: float = 3600, paths=tuple(PATHS)) -> list[dict]:
    """Each size and inference path in its own process, so a peak is that run's own."""
    import subprocess

    rows = []
    for path, n in [(path, n) for path in paths for n in sizes]:
        t0 = time.perf_counter()
        try:
            r = subprocess.run(
                [sys.executable, "-m", "benchmarks.run", "--size-child", str(n), "--model", str(model_dir)]
                + PATHS[path],
                cwd=ROOT,
                capture_output=True,
                text=True,
                timeout=timeout_s,
            )
            row = json.loads(r.stdout.strip().splitlines()[-1]) if r.returncode == 0 else {"error": r.stderr[-500:]}
        except subprocess.TimeoutExpired:
            row = {"error": f"did not finish in {timeout_s:.0f} s"}
        rows.append({"size": n, "path": path, **row})
        print(f"{path}, size {n:,}: {time.perf_counter() - t0:.0f} s {row}", file=sys.stderr)
    return rows


# -- the table ---------------------------------------------------------------------------------


def markdown(res: dict) -> str:
    lines = [f"Measured {res['date']} on {res['machine']}.", ""]
    if "labelling" in res:
        lab = res["labelling"]
        lines += [
            f"**Labelling** (tokens + BIO, {lab['records']} generated records)",
            "",
            "| approach | records/s |",
            "|---|---|",
            f"| piimask (batched) | {lab['piimask_records_per_s']} |",
            f"| published (per record, Python loop) | {lab['published_records_per_s']} |",
            f"| **speed-up** | **{lab['speedup']}x** |",
            "",
        ]
    if "generation" in res:
        lines += [
            "**Generation** against a local Converse endpoint (500 ms latency)",
            "",
            "| approach | concurrency | throttled | records/s | target | lost |",
            "|---|---|---|---|---|---|",
        ]
        for r in res["generation"]:
            lines.append(
                f"| {r['approach']} | {r['concurrency']} | {int(r['throttle'] * 100)} % | {r['records_per_s']} | "
                f"{r['target_records_per_s'] or ''} | {r['lost']} |"
            )
        lines.append("")
    if "training" in res:
        t = res["training"]
        lines += ["**Training** (default profile settings)", "", "| measure | value |", "|---|---|"]
        lines += [f"| {k.replace('_', ' ')} | {v} |" for k, v in t.items()]
        lines.append("")
    if "masking" in res:
        lines += [
            "**Masking** (`Masker.detect`: model + recognizers)",
            "",
            "| path | p50 ms (64 tok) | p95 ms (64 tok) | p50 ms (512 tok) | p95 ms (512 tok) | texts/s batch 32 (64 tok) | texts/s batch 32 (512 tok) | entity F1, real 200k rows |",
            "|---|---|---|---|---|---|---|---|",
        ]
        for name, r in res["masking"].items():
            lines.append(
                f"| {name} | {r.get('p50_ms_64', '')} | {r.get('p95_ms_64', '')} | {r.get('p50_ms_512', '')} | "
                f"{r.get('p95_ms_512', '')} | {r.get('texts_per_s_batch32_64', '')} | "
                f"{r.get('texts_per_s_batch32_512', '')} | {r.get('entity_f1_real_200k', '')} |"
            )
        lines.append("")
    if "sizes" in res:
        lines += [
            "**Masking long inputs** (`Masker.from_pretrained(model).mask(text)`, then `unmask` of the echoed "
            "answer; one process per size)",
            "",
            "| path | input | entities | detect + mask s | (CPU s) | unmask s | peak RSS MB | load average |",
            "|---|---|---|---|---|---|---|---|",
        ]
        for r in res["sizes"]:
            if "error" in r:
                lines.append(f"| {r.get('path', '')} | {r['size']:,} chars | {r['error'][:80]} | | | | | |")
                continue
            lines.append(
                f"| {r.get('path', '')} | {r['chars']:,} chars | {r['entities']:,} | {r['detect_mask_s']} | {r['detect_mask_cpu_s']} | "
                f"{r['unmask_s']} | {r['peak_rss_mb']:,} | {r['load_avg']} |"
            )
        lines.append("")
    return "\n".join(lines)


def main(argv=None) -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--only", default="labelling,generation,training,masking,sizes")
    ap.add_argument("--model", default=str(ROOT / "outputs" / "default" / "model"))
    ap.add_argument("--sizes", default=",".join(str(n) for n in SIZES), help="input sizes in characters")
    ap.add_argument("--paths", default=",".join(PATHS), help="inference paths for sizes: " + ", ".join(PATHS))
    ap.add_argument("--size-child", type=int, help=argparse.SUPPRESS)
    ap.add_argument("--fast", action="store_true", help=argparse.SUPPRESS)
    a = ap.parse_args(argv)
    if a.size_child:
        print(json.dumps(bench_size_child(Path(a.model), a.size_child, fast=a.fast)))
        return
    todo = a.only.split(",")
    res = {"date": datetime.now(timezone.utc).strftime("%Y-%m-%d"), "machine": machine()}
    for name, fn in (("labelling", bench_labelling), ("generation", bench_generation), ("training", bench_training)):
        if name in todo:
            t0 = time.perf_counter()
            res[name] = fn()
            print(f"{name}: {time.perf_counter() - t0:.0f} s", file=sys.stderr)
    if "masking" in todo:
        if not (Path(a.model) / "config.json").exists():
            raise SystemExit(f"no model at {a.model}: run `make finetune` first (or pass --model)")
        t0 = time.perf_counter()
        res["masking"] = bench_masking(Path(a.model))
        print(f"masking: {time.perf_counter() - t0:.0f} s", file=sys.stderr)
    if "sizes" in todo:
        paths = [x for x in a.paths.split(",") if x]
        unknown = sorted(set(paths) - set(PATHS))
        if unknown:
            raise SystemExit(f"unknown --paths {unknown}: choose from {list(PATHS)}")
        res["sizes"] = bench_sizes(Path(a.model), [int(n) for n in a.sizes.split(",")], paths=paths)
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "results.json").write_text(json.dumps(res, indent=1))
    table = markdown(res)
    (OUT / "results.md").write_text(table)
    print(table)


if __name__ == "__main__":
    main()
