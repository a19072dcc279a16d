"""``make_backend``: the backend ``params.backend`` names, configured from params. Apart from the
backends (which import ``Backend`` from ``backends``), so that no module imports itself back."""

from __future__ import annotations

from ...core.languages import english_only, language_weights
from .backends import Backend
from .batch import BedrockBatchBackend
from .bedrock import BedrockConverseBackend
from .offline import MAX_TEXT_CHARS, OfflineBackend


def make_backend(params, **clients) -> Backend:
    """The backend named by ``params.backend``, configured from params."""
    if params.backend == "offline":
        if not english_only(params.languages):
            from .multilingual import MultilingualOfflineBackend

            return MultilingualOfflineBackend(
                list(language_weights(params.languages)),
                max_chars=min(params.max_chars, MAX_TEXT_CHARS),
                record_share=params.record_share,
            )
        return OfflineBackend(max_chars=min(params.max_chars, MAX_TEXT_CHARS), record_share=params.record_share)
    if params.backend == "bedrock":
        return BedrockConverseBackend(
            params.model_id,
            params.region,
            concurrency=params.concurrency,
            max_retries=params.max_retries,
            timeout_s=params.request_timeout_s,
            client=clients.get("bedrock_runtime"),
            sts=clients.get("sts"),
            profile=params.aws_profile,
        )
    if params.backend == "bedrock-batch":
        return BedrockBatchBackend(
            params.model_id,
            params.region,
            bucket=params.batch_bucket,
            prefix=params.batch_prefix,
            role_arn=params.batch_role_arn,
            work_dir=params.run_dir / "batch",
            poll_s=params.batch_poll_s,
            s3=clients.get("s3"),
            bedrock=clients.get("bedrock"),
            sts=clients.get("sts"),
            profile=params.aws_profile,
        )
    raise ValueError(f"unknown backend {params.backend!r}")
