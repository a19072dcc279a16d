"""The Lambda handler: every bad event is a 4xx with a message, never a 5xx or an exception; the
mapping only when asked; raw text never logged; odd characters kept."""

import base64
import json

import pytest

from piimask.runtime import aws_lambda
from piimask.runtime.aws_lambda import handler
from piimask.runtime.mask import Masker
from test_mask import FakeTagger  # the model stand-in of the masking tests

M = Masker(FakeTagger({"Ann": "FIRSTNAME"}))


def call(event):
    r = handler(event, None, masker=M)
    r["body"].encode("ascii")  # the body is ASCII JSON whatever the text held
    return r["statusCode"], json.loads(r["body"])


def test_good_events():
    status, body = call({"body": json.dumps({"text": "Ann wrote ann@x.io", "style": "[LABEL]"})})
    assert status == 200 and body["masked_text"] == "[FIRSTNAME] wrote [EMAIL]" and len(body["entities"]) == 2
    assert "mapping" not in body  # the original values only when asked
    status, body = call({"body": json.dumps({"text": "Ann wrote ann@x.io", "include_mapping": True})})
    assert body["mapping"][1] == {"tag": "[EMAIL_1]", "value": "ann@x.io", "label": "EMAIL"}
    status, _ = call({"body": base64.b64encode(b'{"text": "hi"}').decode(), "isBase64Encoded": True})
    assert status == 200
    status, _ = call({"body": {"text": "already parsed"}})
    assert status == 200


def test_odd_characters_are_kept():
    raw = '{"text": "Ann \\ud800 wrote\\u0000 \\u202e ann@x.io \\udfff"}'  # lone surrogates are legal JSON
    status, body = call({"body": raw})
    assert status == 200
    assert body["masked_text"] == "[FIRSTNAME_1] \ud800 wrote\x00 \u202e [EMAIL_1] \udfff"


@pytest.mark.parametrize(
    "event,status,message",
    [
        ("a string", 400, "API Gateway proxy object"),
        (["a", "list"], 400, "API Gateway proxy object"),
        (None, 400, "API Gateway proxy object"),
        ({}, 400, "missing body"),
        ({"body": "{not json"}, 400, "not valid JSON"),
        ({"body": "[" * 30_000 + "]" * 30_000}, 400, "nested too deeply"),
        ({"body": "[" * 100_000 + "]" * 100_000}, 413, "limit"),
        ({"body": "1" * 5000}, 400, "JSON"),
        ({"body": json.dumps([1, 2])}, 400, "JSON object"),
        ({"body": json.dumps({"style": "[LABEL]"})}, 400, "missing field"),
        ({"body": json.dumps({"text": 5})}, 400, "must be a string"),
        ({"body": json.dumps({"text": None})}, 400, "missing field"),
        ({"body": json.dumps({"text": "x" * 20001})}, 413, "limit"),
        ({"body": "x" * 200_000}, 413, "limit"),
        ({"body": json.dumps({"text": "x", "style": "nope"})}, 400, "style"),
        ({"body": json.dumps({"text": "x", "style": ["[LABEL]"]})}, 400, "style"),
        ({"body": json.dumps({"text": "x", "include_mapping": "yes"})}, 400, "include_mapping"),
        ({"body": "%%%not base64", "isBase64Encoded": True}, 400, "base64"),
        ({"body": base64.b64encode(b"\xff\xfe").decode(), "isBase64Encoded": True}, 400, "base64"),
        ({"body": 12, "isBase64Encoded": True}, 400, "not a string"),
        ({"body": b"\xff"}, 400, "UTF-8"),
    ],
)
def test_every_bad_event_is_a_4xx(event, status, message):
    got, body = call(event)
    assert got == status and message in body["error"], (event if len(str(event)) < 200 else "long event", body)


def test_size_limit_from_the_environment(monkeypatch):
    monkeypatch.setenv("PIIMASK_MAX_CHARS", "10")
    assert call({"body": json.dumps({"text": "x" * 11})})[0] == 413
    assert call({"body": json.dumps({"text": "x" * 10})})[0] == 200


def test_faults_on_our_side_are_5xx_without_the_text(monkeypatch, caplog):
    class Broken:
        def mask(self, text, style):
            raise RuntimeError(f"boom on {text}")

    with caplog.at_level("INFO", logger="piimask.lambda"):
        r = handler({"body": json.dumps({"text": "secret-value"})}, None, masker=Broken())
    assert r["statusCode"] == 500 and "secret-value" not in r["body"] and "secret-value" not in caplog.text
    monkeypatch.setattr(aws_lambda, "_MASKER", None)
    monkeypatch.setenv("PIIMASK_MODEL", "/nonexistent/model")
    r = handler({"body": json.dumps({"text": "hi"})}, None)
    assert r["statusCode"] == 500 and "PIIMASK_MODEL" in json.loads(r["body"])["error"]


def test_a_missing_model_is_never_read_as_a_hub_id(monkeypatch):
    monkeypatch.setattr(aws_lambda, "_MASKER", None)
    monkeypatch.setenv("PIIMASK_MODEL", "some-org/some-model")
    monkeypatch.delenv("PIIMASK_ALLOW_HUB", raising=False)
    with pytest.raises(FileNotFoundError, match="allow"):
        aws_lambda.get_masker()


def test_lambda_never_logs_raw_text(caplog):
    m = Masker(FakeTagger())
    with caplog.at_level("INFO", logger="piimask.lambda"):
        handler({"body": json.dumps({"text": "secret-value ann@x.io"})}, None, masker=m)
        handler({"body": json.dumps({"text": "secret-value " * 3000})}, None, masker=m)
    assert caplog.records and "ann@x.io" not in caplog.text and "secret-value" not in caplog.text
