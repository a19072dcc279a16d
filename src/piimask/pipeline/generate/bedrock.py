"""Amazon Bedrock on demand through the Converse API (``runtime.llm``: retries, backoff),
with bounded concurrency and a check of credentials and model access before the first request."""

from __future__ import annotations

import random
import time

from ...runtime.llm import RETRYABLE, Converse, bedrock_client  # noqa: F401  (RETRYABLE: re-exported)
from . import aws
from .backends import Backend, Request, Result


class BedrockConverseBackend(Backend):
    name = "bedrock"

    def __init__(
        self,
        model_id: str,
        region: str | None = None,
        concurrency: int = 8,
        max_retries: int = 6,
        timeout_s: float = 60.0,
        base_delay_s: float = 1.0,
        max_delay_s: float = 30.0,
        client=None,
        sleep=time.sleep,
        rng: random.Random | None = None,
        profile: str = "",
        sts=None,
    ):
        self.model_id = model_id
        self.concurrency = concurrency
        self.profile, self.region = profile, region or ""
        self._session = None
        self._sts = sts
        self.caller = ""  # the ARN that preflight() found
        self.client = client or bedrock_client(timeout_s=timeout_s, concurrency=concurrency, aws=self.session())
        self.converse = Converse(self.client, model_id, max_retries, base_delay_s, max_delay_s, sleep, rng)

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

    @property
    def max_retries(self) -> int:
        return self.converse.max_retries

    def backoff(self, attempt: int) -> float:
        return self.converse.backoff(attempt)

    def complete(self, request: Request) -> Result:
        r = self.converse(request.user, request.system, request.max_tokens, request.temperature, request.top_p)
        return Result(
            request.request_id,
            text=None if r.error else r.text,
            error=r.error or None,
            input_tokens=r.input_tokens,
            output_tokens=r.output_tokens,
            attempts=r.attempts,
            latency_s=r.latency_s,
            metadata=r.metadata,
        )
