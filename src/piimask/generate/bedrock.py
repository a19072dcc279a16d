"""Amazon Bedrock on demand through the Converse API, with retries and bounded concurrency."""
from __future__ import annotations

import random
import time

from . import aws
from .backends import Backend, Request, Result

RETRYABLE = {"ThrottlingException", "ServiceUnavailableException", "ModelNotReadyException",
             "InternalServerException", "ModelTimeoutException", "TooManyRequestsException"}


class BedrockConverseBackend(Backend):
    name = "bedrock"

    def __init__(self, model_id: str, region: str | None = None, concurrency: int = 8, max_retries: int = 6,
                 timeout_s: float = 60.0, base_delay_s: float = 1.0, max_delay_s: float = 30.0,
                 client=None, sleep=time.sleep, rng: random.Random | None = None, profile: str = "",
                 sts=None):
        self.model_id = model_id
        self.concurrency = concurrency
        self.max_retries = max_retries
        self.base_delay_s = base_delay_s
        self.max_delay_s = max_delay_s
        self._sleep = sleep
        self._rng = rng or random.Random()
        self.profile, self.region = profile, region or ""
        self._session = None
        self._sts = sts
        self.caller = ""  # the ARN that preflight() found
        if client is None:
            from botocore.config import Config

            # piimask retries itself (with jitter, and so it can count attempts); botocore's off
            client = self.session().client("bedrock-runtime", config=Config(
                retries={"max_attempts": 1, "mode": "standard"}, read_timeout=timeout_s,
                connect_timeout=min(timeout_s, 10), max_pool_connections=max(10, concurrency)))
        self.client = client

    def session(self):
        """The boto3 session of ``profile``; its region is ``region`` or the session's own."""
        if self._session is None:
            self._session = aws.session(self.profile, self.region or None)
            self.region = self._session.region_name
        return self._session

    def preflight(self) -> None:
        """Stop before the first request if the credentials or the model access are missing."""
        sts = self._sts or self.session().client("sts")
        self.caller = aws.check_converse_access(sts, self.client, self.model_id, self.region or "this region")

    def backoff(self, attempt: int) -> float:
        """Exponential backoff with full jitter: uniform(0, min(cap, base * 2**attempt))."""
        return self._rng.uniform(0, min(self.max_delay_s, self.base_delay_s * 2 ** attempt))

    def complete(self, request: Request) -> Result:
        from botocore.exceptions import (ClientError, ConnectTimeoutError, EndpointConnectionError,
                                         ReadTimeoutError)

        t0 = time.perf_counter()
        last = ""
        for attempt in range(self.max_retries + 1):
            try:
                resp = self.client.converse(
                    modelId=self.model_id,
                    system=[{"text": request.system}],
                    messages=[{"role": "user", "content": [{"text": request.user}]}],
                    inferenceConfig={"maxTokens": request.max_tokens, "temperature": request.temperature,
                                     "topP": request.top_p},
                )
            except ClientError as exc:
                code = exc.response.get("Error", {}).get("Code", "")
                last = f"{code}: {exc.response.get('Error', {}).get('Message', '')}"
                if code not in RETRYABLE:
                    return Result(request.request_id, error=last, attempts=attempt + 1,
                                  latency_s=time.perf_counter() - t0)
            except (ReadTimeoutError, ConnectTimeoutError, EndpointConnectionError) as exc:
                last = f"{type(exc).__name__}: {exc}"
            else:
                text = "".join(part.get("text", "") for part in resp["output"]["message"]["content"])
                usage = resp.get("usage", {})
                return Result(request.request_id, text=text, input_tokens=usage.get("inputTokens", 0),
                              output_tokens=usage.get("outputTokens", 0), attempts=attempt + 1,
                              latency_s=time.perf_counter() - t0,
                              metadata={"stop_reason": resp.get("stopReason", "")})
            if attempt < self.max_retries:
                self._sleep(self.backoff(attempt))
        return Result(request.request_id, error=f"gave up after {self.max_retries + 1} attempts: {last}",
                      attempts=self.max_retries + 1, latency_s=time.perf_counter() - t0)
