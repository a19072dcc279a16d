"""Amazon Bedrock on demand through the Converse API (``runtime.llm``: retries, backoff),
with bounded concurrency."""
from __future__ import annotations

import random
import time

from ...runtime.llm import RETRYABLE, Converse, bedrock_client  # noqa: F401  (RETRYABLE: re-exported)
from .backends import Backend, Request, Result


class BedrockConverseBackend(Backend):
    name = "bedrock"

    def __init__(self, model_id: str, region: str = "us-east-1", concurrency: int = 8, max_retries: int = 6,
                 timeout_s: float = 60.0, base_delay_s: float = 1.0, max_delay_s: float = 30.0,
                 client=None, sleep=time.sleep, rng: random.Random | None = None):
        self.model_id = model_id
        self.concurrency = concurrency
        self.client = client or bedrock_client(region, timeout_s, concurrency)
        self.converse = Converse(self.client, model_id, max_retries, base_delay_s, max_delay_s, sleep, rng)

    @property
    def max_retries(self) -> int:
        return self.converse.max_retries

    def backoff(self, attempt: int) -> float:
        return self.converse.backoff(attempt)

    def complete(self, request: Request) -> Result:
        r = self.converse(request.user, request.system, request.max_tokens, request.temperature, request.top_p)
        return Result(request.request_id, text=None if r.error else r.text, error=r.error or None, input_tokens=r.input_tokens,
                      output_tokens=r.output_tokens, attempts=r.attempts, latency_s=r.latency_s,
                      metadata=r.metadata)
