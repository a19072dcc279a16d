"""The one LLM client: Amazon Bedrock's Converse API with retries, used by generation (the Bedrock
backend) and by the mask round trip; and an offline stand-in.

Throttling, unavailable or timed-out requests are retried with exponential backoff and full
jitter; any other error is returned at once with its code and message, never raised mid-run.
"""

from __future__ import annotations

import os
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field

RETRYABLE = {
    "ThrottlingException",
    "ServiceUnavailableException",
    "ModelNotReadyException",
    "InternalServerException",
    "ModelTimeoutException",
    "TooManyRequestsException",
}


class LLMError(RuntimeError):
    """A request the LLM did not answer (after the retries): the message names the cause."""


class AwsSetupError(RuntimeError):
    """Credentials, region, model access or bucket are not usable; the message says how to fix it."""


CREDENTIALS_HELP = (
    "set credentials in one of the usual ways: `aws configure` or `aws sso login --profile NAME` "
    "(then aws_profile: NAME in params), the AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY "
    "environment variables, or the execution role of the SageMaker Studio / EC2 instance"
)


def session(profile: str = "", region: str | None = None):
    """A boto3 session for ``profile`` ('' : default chain) whose region is ``region`` or its own."""
    import boto3
    from botocore.exceptions import ProfileNotFound

    try:
        s = boto3.Session(profile_name=profile or None, region_name=region or None)
        if not s.region_name and os.environ.get("AWS_REGION"):  # botocore reads only AWS_DEFAULT_REGION
            s = boto3.Session(profile_name=profile or None, region_name=os.environ["AWS_REGION"])
    except ProfileNotFound:
        raise AwsSetupError(
            f"aws_profile={profile!r} is not in ~/.aws/config or ~/.aws/credentials; "
            "`aws configure list-profiles` lists the profiles, '' uses the default chain"
        ) from None
    if not s.region_name:
        raise AwsSetupError(
            "no AWS region: set region in params (e.g. region: us-east-1), or AWS_REGION / "
            "AWS_DEFAULT_REGION in the environment, or a region for the profile "
            "(`aws configure set region us-east-1`)"
        )
    return s


@dataclass
class Reply:
    text: str = ""
    error: str = ""
    input_tokens: int = 0
    output_tokens: int = 0
    attempts: int = 1
    latency_s: float = 0.0
    metadata: dict = field(default_factory=dict)


def bedrock_client(
    region: str | None = None, timeout_s: float = 60.0, concurrency: int = 8, aws=None, profile: str = ""
):
    """A ``bedrock-runtime`` client with botocore's own retries off (piimask retries itself, with
    jitter, and counts the attempts), from the boto3 session ``aws`` or ``session(profile, region)``."""
    from botocore.config import Config

    aws = aws or session(profile, region)
    return aws.client(
        "bedrock-runtime",
        config=Config(
            retries={"max_attempts": 1, "mode": "standard"},
            read_timeout=timeout_s,
            connect_timeout=min(timeout_s, 10),
            max_pool_connections=max(10, concurrency),
        ),
    )


class Converse:
    """Converse calls with retries. ``sleep`` and ``rng`` are injectable for tests."""

    def __init__(
        self,
        client,
        model_id: str,
        max_retries: int = 6,
        base_delay_s: float = 1.0,
        max_delay_s: float = 30.0,
        sleep: Callable[[float], None] = time.sleep,
        rng: random.Random | None = None,
    ):
        self.client, self.model_id = client, model_id
        self.max_retries, self.base_delay_s, self.max_delay_s = max_retries, base_delay_s, max_delay_s
        self._sleep = sleep
        self._rng = rng or random.Random()

    def backoff(self, attempt: int) -> float:
        """Exponential backoff with full jitter: uniform(0, min(cap, base * 2**attempt))."""
        return self._rng.uniform(0, min(self.max_delay_s, self.base_delay_s * 2**attempt))

    def __call__(
        self,
        user: str,
        system: str | None = None,
        max_tokens: int = 800,
        temperature: float = 0.2,
        top_p: float | None = None,
    ) -> Reply:
        from botocore.exceptions import ClientError, ConnectTimeoutError, EndpointConnectionError, ReadTimeoutError

        kwargs = {
            "modelId": self.model_id,
            "messages": [{"role": "user", "content": [{"text": user}]}],
            "inferenceConfig": {
                "maxTokens": max_tokens,
                "temperature": temperature,
                **({"topP": top_p} if top_p is not None else {}),
            },
        }
        if system:
            kwargs["system"] = [{"text": system}]
        t0, last = time.perf_counter(), ""
        for attempt in range(self.max_retries + 1):
            try:
                resp = self.client.converse(**kwargs)
            except ClientError as exc:
                code = exc.response.get("Error", {}).get("Code", "")
                last = f"{code}: {exc.response.get('Error', {}).get('Message', '')}"
                if code not in RETRYABLE:
                    return Reply(error=last, attempts=attempt + 1, latency_s=time.perf_counter() - t0)
            except (ReadTimeoutError, ConnectTimeoutError, EndpointConnectionError) as exc:
                last = f"{type(exc).__name__}: {exc}"
            else:
                usage = resp.get("usage", {})
                return Reply(
                    text="".join(p.get("text", "") for p in resp["output"]["message"]["content"]),
                    input_tokens=usage.get("inputTokens", 0),
                    output_tokens=usage.get("outputTokens", 0),
                    attempts=attempt + 1,
                    latency_s=time.perf_counter() - t0,
                    metadata={"stop_reason": resp.get("stopReason", "")},
                )
            if attempt < self.max_retries:
                self._sleep(self.backoff(attempt))
        return Reply(
            error=f"gave up after {self.max_retries + 1} attempts: {last}",
            attempts=self.max_retries + 1,
            latency_s=time.perf_counter() - t0,
        )


def bedrock_llm(
    model_id: str,
    region: str | None = None,
    client=None,
    max_tokens: int = 800,
    temperature: float = 0.2,
    profile: str = "",
    **retry,
) -> Callable[[str], str]:
    """A prompt -> answer function over the Converse API (retried; region None: the session's);
    raises ``LLMError`` when the model does not answer."""
    converse = Converse(client or bedrock_client(region, profile=profile), model_id, **retry)

    def call(prompt: str) -> str:
        reply = converse(prompt, max_tokens=max_tokens, temperature=temperature)
        if reply.error:
            raise LLMError(f"Bedrock {model_id}: {reply.error}")
        return reply.text

    return call


def echo_llm(prompt: str) -> str:
    """An offline stand-in for an LLM: answers by quoting the prompt back (tags included)."""
    return "Here is your text with the typo fixed:\n" + prompt.replace("cursorr()", "cursor()")
