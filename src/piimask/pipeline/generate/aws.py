"""AWS sessions and the checks that run before the first paid request.

A session comes from ``aws_profile`` ('' : the default credential chain) and ``region`` (None:
the session's own region: the profile's, AWS_DEFAULT_REGION, else AWS_REGION). Before a run
sends its first request, ``check_converse_access`` / ``check_batch_access`` ask who the caller is
(STS) and whether the model (or the batch bucket) can be used, so a missing credential, an
expired SSO login or a model without access stops the run with one message that says what to do,
instead of hundreds of failed requests.
"""

from __future__ import annotations

from ...runtime.llm import CREDENTIALS_HELP, AwsSetupError, session  # noqa: F401  (the generate stage's names)


def caller_identity(sts) -> str:
    """The caller's ARN, or AwsSetupError when there are no usable credentials."""
    from botocore.exceptions import ClientError, NoCredentialsError, PartialCredentialsError, TokenRetrievalError

    try:
        return sts.get_caller_identity()["Arn"]
    except (NoCredentialsError, PartialCredentialsError):
        raise AwsSetupError(f"no AWS credentials found: {CREDENTIALS_HELP}") from None
    except TokenRetrievalError:
        raise AwsSetupError(
            "the SSO login has expired: run `aws sso login` (with --profile NAME for a "
            "named profile) and start the run again"
        ) from None
    except ClientError as exc:
        code = exc.response.get("Error", {}).get("Code", "")
        raise AwsSetupError(
            f"the AWS credentials were refused ({code}): they may have expired or been revoked; {CREDENTIALS_HELP}"
        ) from None


def _error_code(exc) -> tuple[str, str]:
    err = exc.response.get("Error", {})
    return err.get("Code", ""), err.get("Message", "")


def check_converse_access(sts, runtime, model_id: str, region: str) -> str:
    """Credentials, then one tiny Converse call (1 output token) to the run's model.

    Returns the caller's ARN. Throttling or a busy model counts as access (the run retries those).
    """
    from botocore.exceptions import ClientError, EndpointConnectionError

    arn = caller_identity(sts)
    try:
        runtime.converse(
            modelId=model_id, messages=[{"role": "user", "content": [{"text": "Hi"}]}], inferenceConfig={"maxTokens": 1}
        )
    except ClientError as exc:
        code, msg = _error_code(exc)
        if code == "AccessDeniedException":
            raise AwsSetupError(
                f"{arn} may not call {model_id} in {region} ({msg}): enable the model under 'Model access' in "
                f"the Bedrock console of {region}, and allow bedrock:InvokeModel on it in the identity's IAM "
                "policy; or pick a model you have (model_id) or another region (region)"
            ) from None
        if code in ("ResourceNotFoundException", "ValidationException"):
            raise AwsSetupError(
                f"Bedrock in {region} does not know the model {model_id!r} ({msg}): check model_id (the list: "
                f"`aws bedrock list-foundation-models --region {region}`) and region; some models need a "
                "cross-region inference profile id such as 'us.anthropic...'"
            ) from None
        if code in ("UnrecognizedClientException", "ExpiredTokenException", "InvalidSignatureException"):
            raise AwsSetupError(f"Bedrock refused the credentials of {arn} ({code}); {CREDENTIALS_HELP}") from None
        # throttling, a model still loading, a timeout: access is there, the run's retries handle these
    except EndpointConnectionError:
        raise AwsSetupError(
            f"cannot reach Bedrock in {region}: check the network and that the region offers Bedrock"
        ) from None
    return arn


def check_batch_access(sts, s3, bucket: str, region: str) -> str:
    """Credentials, then the batch bucket (exists, and this identity may use it). Returns the ARN."""
    from botocore.exceptions import ClientError

    arn = caller_identity(sts)
    try:
        s3.head_bucket(Bucket=bucket)
    except ClientError as exc:
        code, _ = _error_code(exc)
        if code in ("404", "NoSuchBucket", "NotFound"):
            raise AwsSetupError(
                f"the batch bucket {bucket!r} does not exist: create it in {region} "
                f"(`aws s3 mb s3://{bucket} --region {region}`) or set batch_bucket"
            ) from None
        if code in ("403", "AccessDenied", "Forbidden"):
            raise AwsSetupError(
                f"{arn} may not use the bucket {bucket!r}: allow s3:PutObject, s3:GetObject and "
                "s3:ListBucket on it, or set batch_bucket to one you own"
            ) from None
        raise AwsSetupError(f"cannot use the bucket {bucket!r} ({code}); check batch_bucket and region") from None
    return arn
