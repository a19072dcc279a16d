"""Masking: recognizers, styles, round trips, long texts, CLI, Lambda handler and the app function."""
import json
import subprocess
import sys

import pytest

from piimask import recognizers
from piimask.aws_lambda import handler
from piimask.mask import STYLES, Masker, mask_with, roundtrip, unmask
from piimask.predict import TaggedText

CREDENTIALS = """I am facing an error here. help me resolve in short:
import psycopg2
conn = psycopg2.connect(host='192.168.1.100', port='5432', database='production_db', user='john_doe', password='1jhg$#12%9^f5')
cursor = conn.cursorr()
cursor.execute("SELECT * FROM users WHERE email = 'john.doe@example.com'")"""


class FakeTagger:
    """Stands in for the model: tags given words with given classes (score 0.9)."""

    def __init__(self, words=None):
        self.words = words or {}

    def tag(self, texts):
        out = []
        for t in texts:
            offsets, labels = [], []
            i = 0
            for w in t.split(" "):
                offsets.append((i, i + len(w)))
                labels.append(("B-" + self.words[w]) if w in self.words else "O")
                i += len(w) + 1
            out.append(TaggedText(t, offsets, labels, [0.9] * len(labels)))
        return out


# -- recognizers --------------------------------------------------------------------------------

def test_recognizers_true_positives():
    text = ("mail ann.lee@example.org from 10.0.0.12 or 2001:0db8:85a3:0000:0000:8a2e:0370:7334, mac 3c:22:fb:1a:2b:9e, "
            "see https://quiet-lantern.biz/x, card 4111 1111 1111 1111, iban DE89370400440532013000, "
            "call +44 20 7946 0958, token eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U "
            "key AKIAIOSFODNN7EXAMPLE")
    got = {(s.label, text[s.start:s.end]) for s in recognizers.detect(text)}
    for expected in [("EMAIL", "ann.lee@example.org"), ("IPV4", "10.0.0.12"),
                     ("IPV6", "2001:0db8:85a3:0000:0000:8a2e:0370:7334"), ("MAC", "3c:22:fb:1a:2b:9e"),
                     ("URL", "https://quiet-lantern.biz/x"), ("CREDITCARDNUMBER", "4111 1111 1111 1111"),
                     ("IBAN", "DE89370400440532013000"), ("PHONENUMBER", "+44 20 7946 0958"),
                     ("SECRET", "AKIAIOSFODNN7EXAMPLE")]:
        assert expected in got, expected
    assert any(lab == "SECRET" and v.startswith("eyJ") for lab, v in got)


def test_recognizers_near_misses():
    assert not recognizers.find_cards("order 4111 1111 1111 1112 shipped")  # 16 digits failing Luhn
    assert not recognizers.find_ibans("ref DE89370400440532013001")  # mod-97 fails
    assert not recognizers.find_ips("version 1.2.3.4.5 and 999.1.1.1")
    assert not recognizers.find_emails("user@localhost or @handle")
    assert not recognizers.find_phones("in 2023 we sold 45 units at 10:30")
    assert not recognizers.find_ips("the meeting is at 10:30:45")


def test_credentials_in_code_and_connection_strings():
    spans = {(s.label, CREDENTIALS[s.start:s.end]) for s in recognizers.find_secrets(CREDENTIALS)}
    assert ("PASSWORD", "1jhg$#12%9^f5") in spans and ("USERNAME", "john_doe") in spans
    url = "DATABASE_URL=postgres://admin:s3cr3t!@db.internal:5432/app"
    got = {(s.label, url[s.start:s.end]) for s in recognizers.find_secrets(url)}
    assert ("USERNAME", "admin") in got and ("PASSWORD", "s3cr3t!") in got
    cfg = '{"api_key": "abc123XYZ", "pwd": hunter2}'
    got = {url_ for _, url_ in {(s.label, cfg[s.start:s.end]) for s in recognizers.find_secrets(cfg)}}
    assert {"abc123XYZ", "hunter2"} <= got


def test_overlaps_resolved_by_one_rule():
    spans = [recognizers.Span(0, 10, "USERNAME", 0.9, "model"), recognizers.Span(0, 20, "EMAIL", 1.0, "rule"),
             recognizers.Span(25, 30, "CITY", 0.8, "model"), recognizers.Span(25, 30, "STATE", 0.95, "model"),
             recognizers.Span(30, 34, "ZIPCODE", 0.7, "model")]
    kept = recognizers.resolve_overlaps(spans)
    assert [(s.label, s.start, s.end) for s in kept] == [("EMAIL", 0, 20), ("STATE", 25, 30), ("ZIPCODE", 30, 34)]


# -- masking and round trips --------------------------------------------------------------------

def test_every_style_round_trips_and_same_value_same_tag():
    text = "Ann Lee wrote to ann@lee.io; Ann will call 555-010-4477 and ann@lee.io again."
    ents = [{"start": 0, "end": 3, "label": "FIRSTNAME"}, {"start": 4, "end": 7, "label": "LASTNAME"},
            {"start": 17, "end": 27, "label": "EMAIL"}, {"start": 29, "end": 32, "label": "FIRSTNAME"},
            {"start": 43, "end": 55, "label": "PHONENUMBER"}, {"start": 60, "end": 70, "label": "EMAIL"}]
    for style in STYLES:
        res = mask_with(text, ents, style, seed=3)
        for e in ents:
            assert text[e["start"]:e["end"]] not in res.masked_text or style == "fake" and False
        # an answer that echoes the masked text (every tag, in order) is restored exactly
        assert unmask(res.masked_text, res.mapping) == text, style
    n = mask_with(text, ents, "[LABEL_n]")
    assert n.masked_text == ("[FIRSTNAME_1] [LASTNAME_1] wrote to [EMAIL_1]; [FIRSTNAME_1] will call "
                             "[PHONENUMBER_1] and [EMAIL_1] again.")
    # the LLM repeats, re-quotes, changes case and escapes tags
    answer = "Sure [firstname_1]! I'll email \\[EMAIL_1\\] and '[EMAIL_1]', cc [[ LASTNAME_1 ]]."
    assert unmask(answer, n.mapping) == "Sure Ann! I'll email ann@lee.io and 'ann@lee.io', cc Lee."
    fake = mask_with(text, ents, "fake", seed=1)
    assert "ann@lee.io" not in fake.masked_text and fake.masked_text.count(fake.mapping[2]["tag"]) == 2


def test_masker_merges_model_and_rules_adjacent_unicode_and_empty():
    m = Masker(FakeTagger({"Zoë": "FIRSTNAME", "Ødegård": "LASTNAME"}))
    text = "Zoë Ødegård mail zoe@ex.no"
    ents = m.detect(text)
    assert [(e["label"], text[e["start"]:e["end"]], e["source"]) for e in ents] == [
        ("FIRSTNAME", "Zoë", "model"), ("LASTNAME", "Ødegård", "model"), ("EMAIL", "zoe@ex.no", "rule")]
    assert m.mask(text, "[LABEL]").masked_text == "[FIRSTNAME] [LASTNAME] mail [EMAIL]"
    assert m.detect("") == [] and m.mask("").masked_text == ""
    with pytest.raises(ValueError, match="style"):
        m.mask(text, "[[X]]")


def test_per_class_thresholds():
    m = Masker(FakeTagger({"Paris": "CITY", "Ann": "FIRSTNAME"}), class_thresholds={"CITY": 0.95})
    labels = [e["label"] for e in m.detect("Ann in Paris")]
    assert labels == ["FIRSTNAME"]


@pytest.fixture(scope="module")
def tiny_model(tmp_path_factory, base_model_dir):
    """An untrained head on the base model: enough to exercise windows and I/O (not accuracy)."""
    from transformers import AutoModelForTokenClassification, AutoTokenizer

    from piimask.taxonomy import ID2LABEL, LABEL2ID

    out = tmp_path_factory.mktemp("tiny-model")
    model = AutoModelForTokenClassification.from_pretrained(str(base_model_dir), num_labels=len(ID2LABEL),
                                                            id2label=ID2LABEL, label2id=LABEL2ID)
    model.save_pretrained(out)
    AutoTokenizer.from_pretrained(str(base_model_dir)).save_pretrained(out)
    return out


def test_long_text_windows_find_the_entity_at_the_end(tiny_model):
    from piimask.predict import TokenTagger

    tagger = TokenTagger(tiny_model, window=128, stride=32)
    text = "lorem ipsum dolor sit amet " * 1000 + "write to last.entity@example.com"
    tagged = tagger.tag([text])[0]
    n_tokens = len(tagger.tokenizer(text, add_special_tokens=False)["input_ids"])
    assert n_tokens > 5000 and len(tagged.offsets) == n_tokens  # every token tagged, none truncated
    assert tagged.offsets[-1][1] == len(text)
    ents = Masker(tagger).detect(text)
    assert any(text[e["start"]:e["end"]] == "last.entity@example.com" for e in ents)


def test_roundtrip_with_stubbed_llm():
    m = Masker(FakeTagger({"Ann": "FIRSTNAME"}))
    out = roundtrip(m, "Ann mail: ann@x.io", lambda p: f"Reply to {p.split()[-1]}, thanks [FIRSTNAME_1]")
    assert "ann@x.io" not in out["masked_prompt"] and out["restored_answer"] == "Reply to ann@x.io, thanks Ann"


# -- CLI, Lambda, app ---------------------------------------------------------------------------

def run_cli(args, stdin=None):
    return subprocess.run([sys.executable, "-m", "piimask.cli", *args], input=stdin, capture_output=True, text=True)


def test_cli_on_stdin_and_file(tiny_model, tmp_path):
    r = run_cli(["mask", "-", "--model", str(tiny_model), "--style", "[MASKED]"], stdin=CREDENTIALS)
    assert r.returncode == 0, r.stderr
    for secret in ("192.168.1.100", "john_doe", "1jhg$#12%9^f5", "john.doe@example.com"):
        assert secret not in r.stdout
    f = tmp_path / "prompt.txt"
    f.write_text("reach me at a.b@c.de")
    r = run_cli(["mask", str(f), "--model", str(tiny_model), "--json"])
    data = json.loads(r.stdout)
    assert r.returncode == 0 and data["masked_text"] == "reach me at [EMAIL_1]" and data["mapping"][0]["value"] == "a.b@c.de"
    (tmp_path / "map.json").write_text(json.dumps(data))
    r = run_cli(["unmask", "-", "--mapping", str(tmp_path / "map.json")], stdin="ok [EMAIL_1]")
    assert r.stdout == "ok a.b@c.de"


def test_cli_errors_are_clear(tiny_model, tmp_path):
    r = run_cli(["mask", str(tmp_path / "missing.txt"), "--model", str(tiny_model)])
    assert r.returncode == 1 and "no such file" in r.stderr
    r = run_cli(["mask", "-", "--model", str(tmp_path / "nomodel")], stdin="x")
    assert r.returncode == 1 and "not found" in r.stderr
    r = run_cli(["mask", "--style", "bad"], stdin="x")
    assert r.returncode == 2


def test_lambda_handler_good_and_bad_events():
    m = Masker(FakeTagger({"Ann": "FIRSTNAME"}))
    ok = handler({"body": json.dumps({"text": "Ann wrote ann@x.io", "style": "[LABEL]"})}, None, masker=m)
    body = json.loads(ok["body"])
    assert ok["statusCode"] == 200 and body["masked_text"] == "[FIRSTNAME] wrote [EMAIL]" and len(body["entities"]) == 2
    import base64

    b64 = handler({"body": base64.b64encode(b'{"text": "hi"}').decode(), "isBase64Encoded": True}, None, masker=m)
    assert b64["statusCode"] == 200
    for event, msg in [({"body": "{not json"}, "not valid JSON"), ({"body": json.dumps({"style": "[LABEL]"})}, "missing field"),
                       ({"body": json.dumps({"text": 5})}, "must be a string"), ({}, "missing body"),
                       ({"body": json.dumps({"text": "x" * 20001})}, "limit"),
                       ({"body": json.dumps({"text": "x", "style": "nope"})}, "style")]:
        r = handler(event, None, masker=m)
        assert r["statusCode"] == 400 and msg in json.loads(r["body"])["error"], event


def test_lambda_never_logs_raw_text(caplog):
    m = Masker(FakeTagger())
    with caplog.at_level("INFO", logger="piimask.lambda"):
        handler({"body": json.dumps({"text": "secret-value ann@x.io"})}, None, masker=m)
    assert caplog.records and "ann@x.io" not in caplog.text and "secret-value" not in caplog.text


def test_app_function_called_directly():
    from piimask.app import run

    masked, segments, answer, restored = run(Masker(FakeTagger({"Ann": "FIRSTNAME"})), "Ann at ann@x.io", call_llm=True)
    assert masked == "[FIRSTNAME_1] at [EMAIL_1]"
    assert segments == [("Ann", "FIRSTNAME"), (" at ", None), ("ann@x.io", "EMAIL")]
    assert "Ann at ann@x.io" in restored and "[EMAIL_1]" in answer


def test_fast_inference_paths_agree_with_pytorch(tiny_model, tmp_path):
    import shutil

    from piimask.predict import TokenTagger

    model_copy = tmp_path / "m"
    shutil.copytree(tiny_model, model_copy)
    texts = ["Call Ann Lee on +44 20 7946 0958 or ann@lee.io.", "nothing here", "x" * 3]
    ref = TokenTagger(model_copy).tag(texts)
    onnx = TokenTagger(model_copy, runtime="onnx").tag(texts)
    assert (model_copy / "onnx" / "model.onnx").exists()
    for a, b in zip(ref, onnx):
        assert a.offsets == b.offsets and a.labels == b.labels
        assert max(abs(x - y) for x, y in zip(a.scores, b.scores)) < 1e-3
    int8 = TokenTagger(model_copy, int8=True).tag(texts[:1])
    assert int8[0].offsets == ref[0].offsets
    with pytest.raises(ValueError, match="runtime"):
        TokenTagger(model_copy, runtime="tvm")


def test_subwords_continue_the_entity_of_their_word():
    from piimask.predict import word_consistent

    text = "Dear Vicenta, card4111"
    offsets = [(0, 4), (5, 9), (9, 12), (12, 13), (14, 18), (18, 22)]
    labels = ["O", "B-FIRSTNAME", "B-COMPANYNAME", "O", "O", "B-CREDITCARDNUMBER"]
    assert word_consistent(text, offsets, labels) == ["O", "B-FIRSTNAME", "I-FIRSTNAME", "O", "O", "B-CREDITCARDNUMBER"]


def test_spans_are_trimmed_and_punctuation_only_spans_dropped():
    class Sloppy:
        def tag(self, texts):
            t = texts[0]
            # the model takes the closing quote into the e-mail and tags a lone "*"
            return [TaggedText(t, [(0, 6), (7, 8), (20, 29)], ["O", "B-URL", "B-EMAIL"], [0.9, 0.9, 0.9])]

    text = "SELECT * WHERE e = 'a.b@c.de'"
    ents = Masker(Sloppy()).detect(text)
    assert [(e["label"], text[e["start"]:e["end"]]) for e in ents] == [("EMAIL", "a.b@c.de")]
    assert Masker(Sloppy()).mask(text, "[LABEL]").masked_text == "SELECT * WHERE e = '[EMAIL]'"
