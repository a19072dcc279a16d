"""The CLI's --version, many prompts in one call (mask-jsonl: the model loaded once, a bad line
answered with an error object for that line), and `piimask serve`: a real local server on an
ephemeral port with the Lambda handler's contract, 4xx for bad requests, no text in its log."""

import http.client
import io
import json
import logging
import os
import re
import stat
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from piimask import __version__, cli
from piimask.runtime.mask import Masker
from piimask.runtime.mask_jsonl import mask_jsonl
from piimask.runtime.serve import make_server
from test_mask import FakeTagger  # the model stand-in of the masking tests

ROOT = Path(__file__).resolve().parents[1]
SECRET = "Ann wrote ann@x.io"


def fake_masker(max_chars=None):
    return Masker(FakeTagger({"Ann": "FIRSTNAME"}), max_chars=max_chars)


def run_cli(args, stdin=None, text=True):
    return subprocess.run([sys.executable, "-m", "piimask.cli", *args], input=stdin, capture_output=True, text=text)


def test_version_is_the_package_version():
    r = run_cli(["--version"])
    assert r.returncode == 0 and r.stdout.strip() == f"piimask {__version__}"
    assert re.search(r'^version = "([^"]+)"', (ROOT / "pyproject.toml").read_text(), re.M)[1] == __version__


# -- mask-jsonl ----------------------------------------------------------------------------------

LINES = [
    json.dumps({"text": SECRET, "id": "a"}),
    "{not json",
    json.dumps({"text": "Ann again", "style": "[LABEL]", "include_mapping": True}),
    "",  # blank lines are skipped (numbering is kept)
    json.dumps({"style": "[LABEL]"}),
    json.dumps({"text": "x" * 30, "id": 7}),
    json.dumps({"text": "mail ann@x.io", "style": "nope"}),
    json.dumps(["a list"]),
]


def answers(data: str) -> list[dict]:
    return [json.loads(ln) for ln in data.splitlines()]


def test_mask_jsonl_answers_every_line_in_order_and_bad_lines_with_an_error():
    out = []
    counts = mask_jsonl(
        fake_masker(20),
        io.BytesIO(("\n".join(LINES) + "\n").encode() + b"\xff\xfe\n"),
        out.append,
        limit=20,
        batch_size=2,
    )
    got = answers("".join(out))
    assert [a["line"] for a in got] == [1, 2, 3, 5, 6, 7, 8, 9]
    assert (
        got[0]
        == {
            "line": 1,
            "id": "a",
            "masked_text": "[FIRSTNAME_1] wrote [EMAIL_1]",
            "style": "[LABEL_n]",
            "entities": got[0]["entities"],
        }
        and "mapping" not in got[0]
    )
    assert got[1]["status"] == 400 and "line is not valid JSON" in got[1]["error"]
    assert got[2]["masked_text"] == "[FIRSTNAME] again" and got[2]["mapping"][0]["value"] == "Ann"
    assert got[3]["status"] == 400 and "missing field 'text'" in got[3]["error"]
    assert got[4] == {"line": 6, "id": 7, "status": 413, "error": "'text' is 30 characters; the limit is 20"}
    assert got[5]["status"] == 400 and "'style' must be one of" in got[5]["error"]
    assert got[6]["status"] == 400 and "JSON object" in got[6]["error"]
    assert got[7]["status"] == 400 and "not UTF-8" in got[7]["error"]
    assert counts == {"lines": 8, "masked": 2, "errors": 6}
    assert not any(SECRET in a.get("error", "") for a in got)


def test_mask_jsonl_skips_an_overlong_line_without_reading_it_whole():
    limit = 10
    huge = json.dumps({"text": "y" * 100_000})
    out = []
    mask_jsonl(fake_masker(limit), io.BytesIO(f'{huge}\n{{"text": "Ann"}}\n'.encode()), out.append, limit=limit)
    got = answers("".join(out))
    assert got[0]["line"] == 1 and got[0]["status"] == 413 and "longer than" in got[0]["error"]
    assert got[1] == {"line": 2, "masked_text": "[FIRSTNAME_1]", "entities": got[1]["entities"], "style": "[LABEL_n]"}


def test_cli_mask_jsonl_loads_the_model_once_and_writes_a_private_file(monkeypatch, tmp_path, capsys):
    loads = []

    def from_pretrained(model, **kw):
        loads.append(model)
        return Masker(FakeTagger({"Ann": "FIRSTNAME"}), max_chars=kw.get("max_chars"))

    monkeypatch.setattr(Masker, "from_pretrained", staticmethod(from_pretrained))
    src = tmp_path / "prompts.jsonl"
    src.write_text("\n".join(json.dumps({"text": f"Ann {i}"}) for i in range(70)) + "\n{bad\n")
    out = tmp_path / "masked.jsonl"
    assert (
        cli.main(["mask-jsonl", str(src), "--model", "m", "--out", str(out), "--include-mapping", "--batch-size", "8"])
        == 0
    )
    got = answers(out.read_text())
    assert loads == ["m"] and len(got) == 71
    assert got[69]["masked_text"] == "[FIRSTNAME_1] 69" and got[69]["mapping"][0]["value"] == "Ann"
    assert got[70]["status"] == 400
    assert stat.S_IMODE(os.stat(out).st_mode) == 0o600  # the mappings hold the original values
    assert "71 lines, 70 masked, 1 errors" in capsys.readouterr().err


def test_cli_mask_jsonl_with_a_real_model(tiny_model):
    lines = (
        "\n".join(
            [
                json.dumps({"text": "reach me at a.b@c.de", "id": 1}),
                "oops",
                json.dumps({"text": "or z@y.io", "include_mapping": True}),
            ]
        )
        + "\n"
    )
    r = run_cli(["mask-jsonl", "-", "--model", str(tiny_model), "--threshold", "1"], stdin=lines)
    assert r.returncode == 0, r.stderr
    got = answers(r.stdout)
    assert got[0]["masked_text"] == "reach me at [EMAIL_1]" and got[0]["id"] == 1
    assert got[1]["line"] == 2 and got[1]["status"] == 400
    assert got[2]["mapping"][0]["value"] == "z@y.io"
    r = run_cli(["mask-jsonl", "-", "--model", str(tiny_model), "--batch-size", "0"], stdin=lines)
    assert r.returncode == 2 and "at least 1" in r.stderr


# -- serve ---------------------------------------------------------------------------------------


@pytest.fixture
def server():
    srv = make_server(fake_masker(), "127.0.0.1", 0, limit=50)
    thread = threading.Thread(target=srv.serve_forever, daemon=True)
    thread.start()
    yield srv
    srv.shutdown()
    srv.server_close()
    thread.join(5)


def request(srv, method, path, body=None, headers=None):
    conn = http.client.HTTPConnection("127.0.0.1", srv.server_address[1], timeout=10)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        resp = conn.getresponse()
        data = resp.read()
        return resp.status, (json.loads(data) if data else None), resp.getheader("Content-Type")
    finally:
        conn.close()


def test_serve_answers_as_the_lambda_handler_does(server, caplog):
    caplog.set_level(logging.INFO)
    assert server.server_address[0] == "127.0.0.1"
    status, body, ctype = request(server, "POST", "/mask", json.dumps({"text": SECRET, "style": "[LABEL]"}))
    assert (status, body["masked_text"], ctype) == (200, "[FIRSTNAME] wrote [EMAIL]", "application/json")
    assert "mapping" not in body
    status, body, _ = request(server, "POST", "/mask", json.dumps({"text": SECRET, "include_mapping": True}))
    assert body["mapping"][1] == {"tag": "[EMAIL_1]", "value": "ann@x.io", "label": "EMAIL"}
    assert request(server, "GET", "/health")[:2] == (200, {"status": "ok"})
    assert SECRET not in caplog.text and "ann@x.io" not in caplog.text
    assert "POST /mask 200" in caplog.text


@pytest.mark.parametrize(
    "method,path,body,headers,status,message",
    [
        ("POST", "/mask", "{not json", None, 400, "not valid JSON"),
        ("POST", "/mask", "", None, 400, "not valid JSON"),
        ("POST", "/mask", json.dumps({"style": "[LABEL]"}), None, 400, "missing field 'text'"),
        ("POST", "/mask", json.dumps({"text": 5}), None, 400, "must be a string"),
        ("POST", "/mask", json.dumps({"text": "x", "style": "nope"}), None, 400, "style"),
        ("POST", "/mask", json.dumps({"text": "x", "include_mapping": "yes"}), None, 400, "include_mapping"),
        ("POST", "/mask", json.dumps([1]), None, 400, "JSON object"),
        ("POST", "/mask", b"\xff\xfe", None, 400, "UTF-8"),
        ("POST", "/mask", "[" * 200 + "]" * 200, None, 400, "JSON"),
        ("POST", "/mask", json.dumps({"text": "x" * 51}), None, 413, "limit is 50"),
        ("POST", "/mask", "y" * 5000, None, 413, "limit is 50"),
        ("POST", "/mask", None, {"Content-Length": "12x"}, 400, "Content-Length"),
        ("POST", "/mask", None, {"Content-Length": "-1"}, 400, "Content-Length"),
        ("POST", "/mask", None, {"Content-Length": "999999999999"}, 413, "limit is 50"),
        ("POST", "/other", "{}", None, 404, "no such path"),
        ("GET", "/mask", None, None, 405, "POST"),
        ("PUT", "/mask", "{}", None, 405, "POST"),
        ("GET", "/", None, None, 404, "no such path"),
    ],
)
def test_serve_answers_bad_requests_with_a_4xx(server, caplog, method, path, body, headers, status, message):
    caplog.set_level(logging.INFO)
    got, answer, _ = request(server, method, path, body, headers)
    assert got == status and message in answer["error"], answer


def test_serve_needs_a_content_length(server):
    conn = http.client.HTTPConnection("127.0.0.1", server.server_address[1], timeout=10)
    conn.putrequest("POST", "/mask")
    conn.putheader("Transfer-Encoding", "chunked")
    conn.endheaders()
    conn.send(b"5\r\nhello\r\n0\r\n\r\n")
    resp = conn.getresponse()
    assert resp.status == 411 and "Content-Length" in json.loads(resp.read())["error"]
    conn.close()


def test_serve_never_logs_the_text_of_a_bad_request(server, caplog):
    caplog.set_level(logging.DEBUG)
    request(server, "POST", "/mask?text=" + "ann%40x.io", json.dumps({"text": SECRET, "style": "bogus"}))
    request(server, "POST", "/mask", '{"text": "' + SECRET + '" oops')
    assert request(server, "GET", "/ann@x.io/Ann wrote".replace(" ", "%20"))[0] == 404
    assert "ann@x.io" not in caplog.text and "ann%40x.io" not in caplog.text and "Ann" not in caplog.text
    assert "POST /mask 400" in caplog.text and "GET <other path> 404" in caplog.text


def test_serve_a_fault_while_masking_is_a_500_without_the_text(caplog):
    class Broken:
        def mask(self, text, style):
            raise RuntimeError(f"boom on {text}")

    srv = make_server(Broken(), "127.0.0.1", 0)
    t = threading.Thread(target=srv.serve_forever, daemon=True)
    t.start()
    try:
        caplog.set_level(logging.INFO)
        status, body, _ = request(srv, "POST", "/mask", json.dumps({"text": SECRET}))
        assert status == 500 and SECRET not in json.dumps(body) and SECRET not in caplog.text
    finally:
        srv.shutdown()
        srv.server_close()


def test_cli_serve_with_a_real_model_on_an_ephemeral_port(tiny_model):
    proc = subprocess.Popen(
        [sys.executable, "-m", "piimask.cli", "serve", "--model", str(tiny_model), "--port", "0", "--threshold", "1"],
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        seen = []
        for line in proc.stderr:  # printed once the model is loaded and the socket bound
            seen.append(line)
            if "serving POST" in line or len(seen) > 200:
                break
        assert "serving POST http://127.0.0.1:" in line, seen
        port = int(line.split("127.0.0.1:")[1].split("/")[0])
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        conn.request("POST", "/mask", json.dumps({"text": "reach me at a.b@c.de"}))
        resp = conn.getresponse()
        assert resp.status == 200 and json.loads(resp.read())["masked_text"] == "reach me at [EMAIL_1]"
        conn.close()
    finally:
        proc.terminate()
        proc.wait(10)
        proc.stderr.close()
