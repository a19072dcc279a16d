"""Amazon Bedrock batch inference: build, submit, poll and collect as separate steps.

Each input line is ``{"recordId": <11 alphanumerics>, "modelInput": <the model's native
InvokeModel body>}`` - the body itself, never wrapped in another ``modelInput``. Bedrock writes one
``<input>.jsonl.out`` per input file, each line with ``modelOutput`` (the model family's own
response shape) or an ``error``. The job state is saved to ``work_dir/job.json`` so a user can
submit today and collect tomorrow.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from ...core.io import scan_jsonl
from . import aws
from .backends import Backend, Request, Result

MIN_RECORDS_PER_JOB = 100
MAX_RECORDS_PER_FILE = 50_000
MAX_FILE_BYTES = 1_000_000_000
TERMINAL = {"Completed", "PartiallyCompleted", "Failed", "Stopped", "Expired"}


def model_family(model_id: str) -> str:
    """anthropic, meta, mistral or nova, from a model id (cross-region prefixes allowed)."""
    mid = model_id.lower()
    for fam, keys in (
        ("anthropic", ("anthropic.",)),
        ("meta", ("meta.",)),
        ("mistral", ("mistral.",)),
        ("nova", ("amazon.nova",)),
    ):
        if any(k in mid for k in keys):
            return fam
    raise ValueError(
        f"batch bodies are written for Anthropic, Meta Llama, Mistral and Amazon Nova "
        f"models; {model_id!r} is none of them"
    )


def model_input(family: str, req: Request) -> dict:
    """The native InvokeModel request body of ``family`` for one request."""
    if family == "anthropic":
        return {
            "anthropic_version": "bedrock-2023-05-31",
            "system": req.system,
            "messages": [{"role": "user", "content": [{"type": "text", "text": req.user}]}],
            "max_tokens": req.max_tokens,
            "temperature": req.temperature,
            "top_p": req.top_p,
        }
    if family == "meta":
        prompt = (
            "<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\n"
            + req.system
            + "<|eot_id|><|start_header_id|>user<|end_header_id|>\n\n"
            + req.user
            + "<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n"
        )
        return {"prompt": prompt, "max_gen_len": req.max_tokens, "temperature": req.temperature, "top_p": req.top_p}
    if family == "mistral":
        return {
            "prompt": f"<s>[INST] {req.system}\n\n{req.user} [/INST]",
            "max_tokens": req.max_tokens,
            "temperature": req.temperature,
            "top_p": req.top_p,
        }
    if family == "nova":
        return {
            "schemaVersion": "messages-v1",
            "system": [{"text": req.system}],
            "messages": [{"role": "user", "content": [{"text": req.user}]}],
            "inferenceConfig": {"maxTokens": req.max_tokens, "temperature": req.temperature, "topP": req.top_p},
        }
    raise ValueError(f"unknown model family {family!r}")


def parse_output(family: str, out: dict) -> tuple[str, int, int]:
    """(text, input tokens, output tokens) from one ``modelOutput`` of ``family``."""
    if family == "anthropic":
        text = "".join(c.get("text", "") for c in out.get("content", []) if c.get("type", "text") == "text")
        u = out.get("usage", {})
        return text, u.get("input_tokens", 0), u.get("output_tokens", 0)
    if family == "meta":
        return out.get("generation", ""), out.get("prompt_token_count", 0), out.get("generation_token_count", 0)
    if family == "mistral":
        outs = out.get("outputs", [])
        return (outs[0].get("text", "") if outs else ""), 0, 0
    if family == "nova":
        content = out.get("output", {}).get("message", {}).get("content", [])
        u = out.get("usage", {})
        return "".join(c.get("text", "") for c in content), u.get("inputTokens", 0), u.get("outputTokens", 0)
    raise ValueError(f"unknown model family {family!r}")


def record_id(request_id: str) -> str:
    """Bedrock's recordId: 11 alphanumeric characters, a hash of the request id."""
    import hashlib

    return hashlib.sha256(request_id.encode()).hexdigest()[:11].upper()


@dataclass
class ParsedOutput:
    results: list[Result]
    errors: dict[str, str]  # request_id -> error, for every line that carried one
    skipped_lines: list[str]  # lines that could not be read (e.g. a truncated last line)


def parse_output_lines(lines: Iterable[str | dict], family: str, id_map: dict[str, str]) -> ParsedOutput:
    """Results from the lines (or rows already read) of ``.jsonl.out`` files; ``id_map`` maps
    recordId -> request_id."""
    results, errors, skipped = [], {}, []
    for n, line in enumerate(lines, 1):
        if isinstance(line, dict):
            row = line
        elif not line.strip():
            continue
        else:
            try:
                row = json.loads(line)
            except json.JSONDecodeError:
                skipped.append(f"line {n}: not valid JSON (truncated?): {line[:80]!r}")
                continue
        rid = id_map.get(row.get("recordId", ""), row.get("recordId", ""))
        if "error" in row:
            err = row["error"]
            msg = f"{err.get('errorCode', '')}: {err.get('errorMessage', '')}" if isinstance(err, dict) else str(err)
            errors[rid] = msg
            results.append(Result(rid, error=msg))
            continue
        try:
            text, tin, tout = parse_output(family, row["modelOutput"])
        except (KeyError, TypeError, AttributeError) as exc:
            errors[rid] = f"unreadable modelOutput: {exc}"
            results.append(Result(rid, error=errors[rid]))
            continue
        results.append(Result(rid, text=text, input_tokens=tin, output_tokens=tout))
    return ParsedOutput(results, errors, skipped)


class BedrockBatchBackend(Backend):
    name = "bedrock-batch"

    def __init__(
        self,
        model_id: str,
        region: str | None = None,
        bucket: str = "",
        prefix: str = "piimask-batch",
        role_arn: str = "",
        work_dir: str | Path = "outputs/batch",
        poll_s: float = 60.0,
        s3=None,
        bedrock=None,
        sleep=time.sleep,
        min_records: int = MIN_RECORDS_PER_JOB,
        max_records_per_file: int = MAX_RECORDS_PER_FILE,
        max_file_bytes: int = MAX_FILE_BYTES,
        sts=None,
        profile: str = "",
    ):
        self.model_id = model_id
        self.family = model_family(model_id)
        self.region, self.bucket, self.prefix, self.role_arn = region or "", bucket, prefix.strip("/"), role_arn
        self.profile = profile
        self.work_dir = Path(work_dir)
        self.poll_s = poll_s
        self._s3, self._bedrock, self._sts, self._session = s3, bedrock, sts, None
        self._sleep = sleep
        self.min_records, self.max_records_per_file, self.max_file_bytes = (
            min_records,
            max_records_per_file,
            max_file_bytes,
        )
        self.caller = ""

    def session(self):
        """The boto3 session of ``profile``; its region is ``region`` or the session's own."""
        if self._session is None:
            self._session = aws.session(self.profile, self.region or None)
            self.region = self._session.region_name
        return self._session

    @property
    def s3(self):
        if self._s3 is None:
            self._s3 = self.session().client("s3")
        return self._s3

    @property
    def bedrock(self):
        if self._bedrock is None:
            self._bedrock = self.session().client("bedrock")
        return self._bedrock

    def preflight(self) -> None:
        """Stop before building a job if the credentials or the bucket are not usable."""
        if not self.bucket:
            raise aws.AwsSetupError(
                "batch_bucket is not set: name an S3 bucket in params (see params/bedrock-batch.yaml)"
            )
        sts = self._sts or self.session().client("sts")
        self.caller = aws.check_batch_access(sts, self.s3, self.bucket, self.region or "this region")

    def complete(self, request: Request) -> Result:
        raise NotImplementedError("batch inference has no single-request call; use run() or build/submit/collect")

    # -- step 1: build ----------------------------------------------------------------------
    def build(self, requests: list[Request], job_name: str) -> dict:
        """Write the input JSONL file(s) under work_dir/<job_name>/ and the job state; return it."""
        if len(requests) < self.min_records:
            raise ValueError(
                f"Bedrock batch jobs need at least {self.min_records} records, got {len(requests)}; "
                "ask for more records or use the on-demand backend 'bedrock'"
            )
        job_dir = self.work_dir / job_name
        job_dir.mkdir(parents=True, exist_ok=True)
        id_map: dict[str, str] = {}
        files: list[str] = []
        fh, n_in_file, bytes_in_file = None, 0, 0
        for req in requests:
            rid = record_id(req.request_id)
            if rid in id_map:
                raise ValueError(f"recordId collision for {req.request_id}; request ids must differ in 11 characters")
            id_map[rid] = req.request_id
            line = json.dumps({"recordId": rid, "modelInput": model_input(self.family, req)}, ensure_ascii=False) + "\n"
            size = len(line.encode())
            if fh is None or n_in_file >= self.max_records_per_file or bytes_in_file + size > self.max_file_bytes:
                if fh:
                    fh.close()
                path = job_dir / f"input-{len(files):03d}.jsonl"
                files.append(str(path))
                fh, n_in_file, bytes_in_file = path.open("w", encoding="utf-8"), 0, 0
            fh.write(line)
            n_in_file += 1
            bytes_in_file += size
        fh.close()
        state = {
            "job_name": job_name,
            "model_id": self.model_id,
            "family": self.family,
            "files": files,
            "id_map": id_map,
            "n_records": len(requests),
            "job_arn": None,
            "status": "Built",
        }
        self._save(state)
        return state

    # -- step 2: submit ---------------------------------------------------------------------
    def submit(self, state: dict) -> dict:
        """Upload the inputs to S3 and create the batch inference job."""
        if not self.bucket or not self.role_arn:
            raise ValueError("batch_bucket and batch_role_arn must be set in params to submit a batch job")
        in_prefix = f"{self.prefix}/{state['job_name']}/input/"
        for f in state["files"]:
            self.s3.upload_file(f, self.bucket, in_prefix + Path(f).name)
        resp = self.bedrock.create_model_invocation_job(
            jobName=state["job_name"],
            roleArn=self.role_arn,
            modelId=self.model_id,
            inputDataConfig={
                "s3InputDataConfig": {"s3Uri": f"s3://{self.bucket}/{in_prefix}", "s3InputFormat": "JSONL"}
            },
            outputDataConfig={
                "s3OutputDataConfig": {"s3Uri": f"s3://{self.bucket}/{self.prefix}/{state['job_name']}/output/"}
            },
        )
        state.update(job_arn=resp["jobArn"], status="Submitted")
        self._save(state)
        return state

    # -- step 3: poll -----------------------------------------------------------------------
    def poll(self, state: dict, timeout_s: float | None = None, on_status: Callable[[str], None] | None = None) -> str:
        """Wait until the job reaches a terminal status (or ``timeout_s``); return the status."""
        from ...core.progress import bar as progress_bar

        t0 = time.monotonic()
        bar = progress_bar(state["n_records"], f"batch {state['job_name']}", unit="rec")
        try:
            while True:
                job = self.bedrock.get_model_invocation_job(jobIdentifier=state["job_arn"])
                status = job["status"]
                done = job.get("processedRecordCount")  # not every API version reports it
                if isinstance(done, int):
                    bar.n = done
                bar.set_postfix_str(status)
                bar.refresh()
                if on_status:
                    on_status(status)
                if status in TERMINAL:
                    state["status"] = status
                    state["message"] = job.get("message", "")
                    self._save(state)
                    return status
                if timeout_s is not None and time.monotonic() - t0 > timeout_s:
                    return status
                self._sleep(self.poll_s)
        finally:
            bar.close()

    # -- step 4: collect --------------------------------------------------------------------
    def collect(self, state: dict) -> ParsedOutput:
        """Download every ``.jsonl.out`` of the job and parse it."""
        job_id = state["job_arn"].rsplit("/", 1)[-1]
        out_prefix = f"{self.prefix}/{state['job_name']}/output/{job_id}/"
        keys = []
        for page in self.s3.get_paginator("list_objects_v2").paginate(Bucket=self.bucket, Prefix=out_prefix):
            keys += [o["Key"] for o in page.get("Contents", []) if o["Key"].endswith(".jsonl.out")]
        if not keys:
            raise FileNotFoundError(
                f"no .jsonl.out files under s3://{self.bucket}/{out_prefix}; job status is {state.get('status')}"
            )
        rows: list[dict] = []
        damaged: list[str] = []
        local = self.work_dir / state["job_name"] / "output"
        local.mkdir(parents=True, exist_ok=True)
        for key in sorted(keys):
            path = local / Path(key).name
            self.s3.download_file(self.bucket, key, str(path))
            read = scan_jsonl(path)  # a damaged line goes to <file>.damaged, with a warning
            rows += read.rows
            damaged += [f"{path.name} line {d.line}: {d.reason}" for d in read.damaged]
        parsed = parse_output_lines(rows, state["family"], state["id_map"])
        parsed.skipped_lines += damaged
        seen = {r.request_id for r in parsed.results}
        for req_id in state["id_map"].values():  # a record the job never answered is not lost
            if req_id not in seen:
                parsed.results.append(Result(req_id, error="no output line for this record"))
                parsed.errors[req_id] = "no output line for this record"
        return parsed

    def run(self, requests, on_result, progress=None) -> None:
        """Build, submit, wait and collect in one call (hours, for real jobs)."""
        requests = list(requests)
        state = self.load_state() or {}
        if state.get("status") not in ("Submitted", *TERMINAL) or state.get("n_records") != len(requests):
            state = self.submit(self.build(requests, f"piimask-{int(time.time())}"))
        if state.get("status") not in TERMINAL:
            self.poll(state)
        for r in self.collect(state).results:
            on_result(r)
            if progress:
                progress(1)

    # -- state ------------------------------------------------------------------------------
    def _save(self, state: dict) -> None:
        self.work_dir.mkdir(parents=True, exist_ok=True)
        (self.work_dir / "job.json").write_text(json.dumps(state, indent=1))

    def load_state(self) -> dict | None:
        p = self.work_dir / "job.json"
        return json.loads(p.read_text()) if p.exists() else None
