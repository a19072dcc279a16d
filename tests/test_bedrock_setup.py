"""Bedrock ergonomics: the session's region unless params set one, aws_profile, the credentials and
model-access check before the first request (botocore Stubber, and a client with no credentials),
and a run whose every request failed stops with an error instead of handing empty data on."""

import json

import boto3
import pytest
from botocore.stub import Stubber

from piimask.core.config import load_params
from piimask.pipeline.generate import AwsSetupError, GenerationFailed, Result, generate, make_backend
from piimask.pipeline.generate.backends import Backend
from piimask.pipeline.generate.batch import BedrockBatchBackend
from piimask.pipeline.generate.bedrock import BedrockConverseBackend

MODEL = "anthropic.claude-3-haiku-20240307-v1:0"
IDENTITY = {"UserId": "AIDAEXAMPLE", "Account": "123456789012", "Arn": "arn:aws:iam::123456789012:user/ann"}


@pytest.fixture
def no_aws(monkeypatch, tmp_path):
    """An environment with no AWS credentials, config, region or instance metadata."""
    for var in (
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_SESSION_TOKEN",
        "AWS_SECURITY_TOKEN",
        "AWS_PROFILE",
        "AWS_DEFAULT_PROFILE",
        "AWS_REGION",
        "AWS_DEFAULT_REGION",
        "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
        "AWS_CONTAINER_CREDENTIALS_FULL_URI",
        "AWS_WEB_IDENTITY_TOKEN_FILE",
        "AWS_ROLE_ARN",
        "BOTO_CONFIG",
    ):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-credentials"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")  # never ask an instance-metadata address
    return tmp_path


def stubbed(service):
    client = boto3.client(service, region_name="eu-west-1", aws_access_key_id="x", aws_secret_access_key="y")
    return client, Stubber(client)


def params(tmp_path, **kw):
    return load_params("bedrock", {"output_root": str(tmp_path), "run_name": "t", "n_records": 3, **kw})


# -- region and profile ------------------------------------------------------------------------


def test_region_comes_from_the_session_unless_params_set_it(no_aws, monkeypatch):
    assert load_params("bedrock").region is None and load_params("base").aws_profile == ""
    monkeypatch.setenv("AWS_REGION", "eu-west-2")
    b = BedrockConverseBackend(MODEL)
    assert b.region == "eu-west-2" and b.client.meta.region_name == "eu-west-2"
    b = BedrockConverseBackend(MODEL, region="ap-southeast-2")
    assert b.region == "ap-southeast-2" and b.client.meta.region_name == "ap-southeast-2"
    b = make_backend(load_params("bedrock"))
    assert b.client.meta.region_name == "eu-west-2"


def test_a_profile_gives_its_region_and_an_unknown_profile_is_named(no_aws, monkeypatch):
    (no_aws / "no-config").write_text("[profile research]\nregion = us-west-2\n")
    b = make_backend(load_params("bedrock", {"aws_profile": "research"}))
    assert b.region == "us-west-2" and b.client.meta.region_name == "us-west-2"
    with pytest.raises(AwsSetupError, match=r"aws_profile='nope' is not in ~/.aws/config.*list-profiles"):
        BedrockConverseBackend(MODEL, profile="nope")


def test_no_region_anywhere_says_where_to_set_one(no_aws):
    with pytest.raises(AwsSetupError, match=r"no AWS region: set region in params.*AWS_REGION"):
        BedrockConverseBackend(MODEL)


# -- the check before the first request --------------------------------------------------------


def test_no_credentials_stop_the_run_before_any_request(no_aws, monkeypatch, tmp_path):
    monkeypatch.setenv("AWS_REGION", "us-east-1")
    runtime, stub = stubbed("bedrock-runtime")
    with stub:  # no response queued: any converse call would fail the test
        backend = make_backend(params(tmp_path), bedrock_runtime=runtime)  # sts: a real client, no credentials
        with pytest.raises(AwsSetupError, match=r"no AWS credentials found: .*aws sso login.*aws_profile"):
            generate(params(tmp_path), backend=backend, progress=False)
        stub.assert_no_pending_responses()
    written = params(tmp_path).data_dir / "generated.jsonl"
    assert not written.exists() or not written.read_text().strip()


def test_model_without_access_is_named_with_the_fix(tmp_path):
    sts, sts_stub = stubbed("sts")
    runtime, stub = stubbed("bedrock-runtime")
    sts_stub.add_response("get_caller_identity", IDENTITY, {})
    stub.add_client_error(
        "converse",
        service_error_code="AccessDeniedException",
        http_status_code=403,
        service_message="You don't have access to the model with the specified model ID.",
    )
    with sts_stub, stub:
        b = BedrockConverseBackend(MODEL, region="eu-west-1", client=runtime, sts=sts)
        with pytest.raises(AwsSetupError) as err:
            generate(params(tmp_path), backend=b, progress=False)
    msg = str(err.value)
    assert "arn:aws:iam::123456789012:user/ann may not call " + MODEL + " in eu-west-1" in msg
    assert "Model access" in msg and "bedrock:InvokeModel" in msg


def test_unknown_model_and_refused_credentials_are_told_apart():
    for code, expected in (
        ("ValidationException", r"does not know the model 'no.such-model'.*list-foundation-models"),
        ("UnrecognizedClientException", r"refused the credentials.*aws configure"),
        ("ExpiredTokenException", r"refused the credentials"),
    ):
        sts, sts_stub = stubbed("sts")
        runtime, stub = stubbed("bedrock-runtime")
        sts_stub.add_response("get_caller_identity", IDENTITY, {})
        stub.add_client_error("converse", service_error_code=code, http_status_code=400)
        with sts_stub, stub, pytest.raises(AwsSetupError, match=expected):
            BedrockConverseBackend("no.such-model", region="eu-west-1", client=runtime, sts=sts).preflight()
    sts, sts_stub = stubbed("sts")
    sts_stub.add_client_error("get_caller_identity", service_error_code="ExpiredToken", http_status_code=403)
    with sts_stub, pytest.raises(AwsSetupError, match=r"credentials were refused \(ExpiredToken\)"):
        BedrockConverseBackend(MODEL, region="eu-west-1", client=object(), sts=sts).preflight()


def test_access_that_works_lets_the_run_go_on_and_throttling_counts_as_access(tmp_path):
    sts, sts_stub = stubbed("sts")
    runtime, stub = stubbed("bedrock-runtime")
    sts_stub.add_response("get_caller_identity", IDENTITY, {})
    stub.add_client_error("converse", service_error_code="ThrottlingException", http_status_code=429)  # the check
    stub.add_response(
        "converse",
        {
            "output": {"message": {"role": "assistant", "content": [{"text": "x"}]}},
            "stopReason": "end_turn",
            "usage": {"inputTokens": 1, "outputTokens": 1, "totalTokens": 2},
            "metrics": {"latencyMs": 1},
        },
        {
            "modelId": MODEL,
            "messages": [{"role": "user", "content": [{"text": "Hi"}]}],
            "inferenceConfig": {"maxTokens": 1},
        },
    )  # a second check: the tiny request, exactly
    with sts_stub, stub:
        b = BedrockConverseBackend(MODEL, region="eu-west-1", client=runtime, sts=sts)
        b.preflight()
        assert b.caller == IDENTITY["Arn"]
        sts_stub.add_response("get_caller_identity", IDENTITY, {})
        b.preflight()
        stub.assert_no_pending_responses()


def test_batch_checks_credentials_and_the_bucket(tmp_path):
    from moto import mock_aws

    with mock_aws():
        s3 = boto3.client("s3", region_name="us-east-1")
        for bucket, expected in (
            ("missing-bkt", r"'missing-bkt' does not exist.*aws s3 mb"),
            ("", "batch_bucket is not set"),
        ):
            sts, sts_stub = stubbed("sts")
            sts_stub.add_response("get_caller_identity", IDENTITY, {})
            b = BedrockBatchBackend(MODEL, region="us-east-1", bucket=bucket, work_dir=tmp_path, s3=s3, sts=sts)
            with sts_stub, pytest.raises(AwsSetupError, match=expected):
                b.preflight()
        s3.create_bucket(Bucket="bkt")
        sts, sts_stub = stubbed("sts")
        sts_stub.add_response("get_caller_identity", IDENTITY, {})
        with sts_stub:
            b = BedrockBatchBackend(MODEL, region="us-east-1", bucket="bkt", work_dir=tmp_path, s3=s3, sts=sts)
            b.preflight()
        assert b.caller == IDENTITY["Arn"]


# -- a run where every request failed ----------------------------------------------------------


class Failing(Backend):
    name, model_id = "paid", "paid-1"

    def complete(self, request):
        return Result(request.request_id, error="ValidationException: max_tokens too large")


def test_a_run_where_every_request_failed_stops_with_the_errors(tmp_path):
    p = params(tmp_path)
    with pytest.raises(GenerationFailed) as err:
        generate(p, backend=Failing(), progress=False)
    assert err.value.summary.failed == err.value.summary.requested == 3 and err.value.summary.accepted == 0
    msg = str(err.value)
    assert "all 3 requests failed (ValidationException x3)" in msg and "request_errors.jsonl" in msg
    errors = [json.loads(ln) for ln in (p.data_dir / "request_errors.jsonl").read_text().splitlines()]
    assert len(errors) == 3 and all(e["error"].startswith("ValidationException") for e in errors)


def test_an_empty_corpus_cannot_be_split():
    from piimask.pipeline.dataset import split_records

    with pytest.raises(ValueError, match="no accepted records to split"):
        split_records([], 0.1, 0.1, seed=1)
