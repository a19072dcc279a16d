import json

import numpy as np
import pytest
import yaml

from piimask.cli import main
from piimask.core.config import load_params
from piimask.core.locale_values import LocaleValueFactory
from piimask.core.values import EN_FIRST_NAMES, EN_LAST_NAMES, MIDDLE_NAMES, ValueFactory
from piimask.runtime.lexicon import (
    LEXICON_FILE,
    ValueLexicon,
    build_lexicon,
    has_sign,
    lower_case,
    marked,
    plain_word,
    titled,
    value_format,
    write_lexicon,
    writes_case,
)
from piimask.runtime.predict import TaggedText, TokenTagger, _sentence_start


class _Pools:
    """A stand-in factory: each class draws in turn from its own list."""

    def __init__(self, pools):
        self.pools = pools
        self.at = {k: 0 for k in pools}

    def __call__(self, label):
        pool = self.pools[label]
        self.at[label] += 1
        return pool[self.at[label] % len(pool)]


def test_a_value_one_class_of_its_group_draws_is_kept_and_a_shared_one_is_not():
    make = _Pools({"FIRSTNAME": ["Ann", "Kim"], "MIDDLENAME": ["Rowan", "Kim"], "LASTNAME": ["Smith"], "SEX": ["x"]})
    lex = build_lexicon([make], groups=[("FIRSTNAME", "MIDDLENAME", "LASTNAME")], draws=10, format_classes=[])
    assert lex.values[0] == {"Ann": "FIRSTNAME", "Rowan": "MIDDLENAME", "Smith": "LASTNAME"}  # "Kim": both
    assert lex.label("Rowan", "FIRSTNAME") == "MIDDLENAME" and lex.label(" Ann ", "LASTNAME") == "FIRSTNAME"
    assert lex.label("Kim", "FIRSTNAME") == "FIRSTNAME"  # shared: the model's call
    assert lex.label("Rowan", "CITY") == "CITY"  # another group's class is never moved into this one
    assert lex.label("Zed", "MIDDLENAME") == "MIDDLENAME"  # unknown value
    rare = build_lexicon(
        [make], groups=[("FIRSTNAME", "MIDDLENAME", "LASTNAME")], draws=1, min_count=2, format_classes=[]
    )
    assert rare.values == [{}] and rare.formats == {}  # one draw of a value says too little


def test_a_value_format_no_class_but_one_takes_moves_the_label_to_that_class():
    assert value_format("Qm7rTz2pLk9W") == "12:9Aa" and value_format(" ann_1 ") == "5:9_a"
    assert value_format("hello") is None and value_format("two words 12") is None  # words and phrases
    assert value_format("x.y@z.io") == "8:.@a"
    make = _Pools(
        {
            "PASSWORD": ["Qm7rTz2pLk9W", "Hb4nWq8sDf2X"],
            "BIC": ["ZXCV12AB", "QWER34TY"],
            "USERNAME": ["ann_1", "bob_2", "Qm7rTz2pLk9W"],
            "SEX": ["male"],
            "PIN": ["1234", "12a4"],
        }
    )
    lex = build_lexicon(
        [make], groups=[], format_classes=["PASSWORD", "BIC", "USERNAME", "SEX", "PIN"], format_draws=30
    )
    assert lex.formats["12:9Aa"] == {"top": "PASSWORD", "classes": ["PASSWORD", "USERNAME"]}
    assert lex.label("Kd8wPz3mNq1R", "BIC") == "PASSWORD"  # a BIC is never written in small letters
    assert lex.label("Kd8wPz3mNq1R", "USERNAME") == "USERNAME"  # a username may be: the model's call
    assert lex.label("PLMN98OK", "PASSWORD") == "BIC" and lex.label("PLMN98OK", "BIC") == "BIC"
    assert lex.label("cat_7", "FIRSTNAME") == "USERNAME"
    assert lex.label("Kd8wPz3mNq1", "BIC") == "BIC"  # a format never drawn: no evidence
    assert "4:9" not in lex.formats and lex.label("5678", "AGE") == "AGE"  # drawn 15 times: too few
    assert lex.label("male", "GENDER") == "GENDER"  # a word has no format


def test_the_run_factories_put_the_generators_name_pools_in_the_lexicon():
    make = ValueFactory(seed=0, locales=("en_US", "en_GB"))
    lex = build_lexicon([make], draws=6000, format_classes=["PASSWORD", "BIC", "VEHICLEVIN"], format_draws=1000)
    middle = next(n for n in MIDDLE_NAMES if lex.values[0].get(n))
    last = next(n for n in EN_LAST_NAMES if n not in EN_FIRST_NAMES and lex.values[0].get(n))
    assert lex.label(middle, "FIRSTNAME") == "MIDDLENAME" and lex.label(middle, "LASTNAME") == "MIDDLENAME"
    assert lex.label(last, "FIRSTNAME") == "LASTNAME"
    assert lex.label("Solutions", "JOBTYPE") in ("JOBAREA", "JOBTYPE")  # a group of its own
    assert lex.label("Qm7rTz2pLk9W", "BIC") == "PASSWORD" and lex.label("Qm7rTz2pLk9W", "VEHICLEVIN") == "PASSWORD"
    assert lex.label(make("VEHICLEVIN"), "PASSWORD") == "VEHICLEVIN"


def _offsets(text, words):
    """The character offsets of ``words``, found in ``text`` in turn."""
    offsets, at = [], 0
    for w in words:
        at = text.index(w, at)
        offsets.append((at, at + len(w)))
        at += len(w)
    return offsets


def _tagged(text, words, labels, lexicon):
    return TaggedText(text, _offsets(text, words), labels, lexicon=lexicon)


def _saved_and_read_back(lex, tmp_path, key):
    """Save ``lex``, check that ``key`` reads back the same, and return the lexicon read from the
    same file without ``key`` (a file written before that key existed)."""
    lex.save(tmp_path / LEXICON_FILE)
    assert getattr(ValueLexicon.load(tmp_path), key) == getattr(lex, key)
    saved = json.loads((tmp_path / LEXICON_FILE).read_text())
    del saved[key]
    (tmp_path / LEXICON_FILE).write_text(json.dumps(saved))
    return ValueLexicon.load(tmp_path)


def test_relabelling_changes_labels_only_never_spans_or_neighbours():
    lex = ValueLexicon([("FIRSTNAME", "MIDDLENAME", "LASTNAME")], [{"Rowan": "MIDDLENAME", "Ann": "FIRSTNAME"}])
    text = "Dr. Rowan, Ann Rowan Lee called from Rowan Street"
    words = ["Dr.", "Rowan", ",", "Ann", "Rowan", "Lee", "called", "from", "Rowan", "Street"]
    labels = [
        "B-PREFIX",
        "B-LASTNAME",
        "O",
        "B-MIDDLENAME",
        "I-MIDDLENAME",
        "B-LASTNAME",
        "O",
        "O",
        "B-STREET",
        "I-STREET",
    ]
    plain = _tagged(text, words, labels, None).entities()
    fixed = _tagged(text, words, labels, lex).entities()
    assert [(e["start"], e["end"]) for e in fixed] == [(e["start"], e["end"]) for e in plain]
    assert [e["label"] for e in fixed] == ["PREFIX", "MIDDLENAME", "MIDDLENAME", "LASTNAME", "STREET"]
    # "Ann Rowan" is one span the lexicon does not know; "Rowan Street" is not in the name group
    # an entity that continues a relabelled one without a B- tag stays an entity of its own
    glued = _tagged("Rowan Lee", ["Rowan", "Lee"], ["B-FIRSTNAME", "I-MIDDLENAME"], lex)
    assert [(e["label"], e["start"], e["end"]) for e in glued.entities()] == [
        ("MIDDLENAME", 0, 5),
        ("MIDDLENAME", 6, 9),
    ]
    assert glued.labels == ["B-MIDDLENAME", "B-MIDDLENAME"]
    # with formats, any class is checked: a password the model called a BIC
    fmt = ValueLexicon([], [], formats={"12:9Aa": {"top": "PASSWORD", "classes": ["PASSWORD", "USERNAME"]}})
    opaque = ["use", "Qm7rTz2pLk9W", "or", "Hb4nWq8sDf2X"]  # (a model knows every class; this text two)
    pw = _tagged("use Qm7rTz2pLk9W or Hb4nWq8sDf2X", opaque, ["O", "B-BIC", "O", "B-PASSWORD"], fmt)
    assert [(e["label"], e["start"], e["end"]) for e in pw.entities()] == [("PASSWORD", 4, 16), ("PASSWORD", 20, 32)]
    # the Masker's view (a PII-ness threshold) is relabelled the same way
    assert [e["label"] for e in _tagged(text, words, labels, lex).entities(threshold=0.5)][:2] == [
        "PREFIX",
        "MIDDLENAME",
    ]


def test_the_tagger_reads_the_lexicon_beside_the_model_and_can_leave_it(tiny_model, tmp_path):
    assert TokenTagger(tiny_model).lexicon is None  # a folder without one: the model alone
    model = tmp_path / "model"
    model.mkdir()
    for f in tiny_model.iterdir():
        (model / f.name).write_bytes(f.read_bytes())
    ValueLexicon([("GENDER", "SEX")], [{"female": "SEX"}]).save(model / LEXICON_FILE)
    tagger = TokenTagger(model)
    assert tagger.lexicon is not None and tagger.lexicon.label("female", "GENDER") == "SEX"
    assert tagger.tag(["she is female"])[0]._a["lexicon"] is tagger.lexicon
    assert TokenTagger(model, lexicon=False).lexicon is None
    (model / LEXICON_FILE).write_text('{"groups": [["SEX"]]}')
    with pytest.raises(ValueError, match="not a piimask value lexicon"):
        TokenTagger(model)


def test_piimask_lexicon_writes_the_lexicon_of_the_models_own_run(tmp_path, capsys):
    model = tmp_path / "model"
    model.mkdir()
    assert main(["lexicon", str(model)]) == 1
    assert "params.yaml is missing" in capsys.readouterr().err
    load_params("smoke").save(model / "params.yaml")
    assert main(["lexicon", str(model)]) == 0
    saved = json.loads((model / LEXICON_FILE).read_text())
    assert saved["groups"][0] == ["FIRSTNAME", "MIDDLENAME", "LASTNAME"] and saved["info"]["factories"] == 1
    lex = ValueLexicon.load(model)
    assert len(lex) > 1000 and lex.label(MIDDLE_NAMES[0], "FIRSTNAME") == "MIDDLENAME"
    assert lex.info["settled"] is True
    # a model from before settled look-alikes (no such key in its params) learned IP: kept
    saved = yaml.safe_load((model / "params.yaml").read_text())
    del saved["settle_lookalikes"], saved["settle_dates"]
    (model / "params.yaml").write_text(yaml.safe_dump(saved))
    assert main(["lexicon", str(model)]) == 0
    old = ValueLexicon.load(model)
    assert old.info["settled"] is False and any("IP" in e["classes"] for e in old.formats.values())


def test_a_settling_run_s_lexicon_names_the_settled_classes_only(tmp_path):
    write_lexicon(load_params("smoke", {"settle_dates": False}), tmp_path)
    lex = ValueLexicon.load(tmp_path)
    assert lex.info["settled"] is True
    taking = {c for e in lex.formats.values() for c in e["classes"]}
    assert "IPV4" in taking and "IP" not in taking and "CURRENCYNAME" not in taking
    assert lex.label("192.168.100.200", "IP") == "IPV4"  # never the class the corpus no longer has
    assert lex.label("20/03/1930", "DATE") == "DATE"  # dates not settled: both classes take the form


def test_a_run_that_settles_dates_has_its_lexicon_give_full_dates_to_dob(tmp_path):
    write_lexicon(load_params("smoke", {"settle_dates": True}), tmp_path)
    lex = ValueLexicon.load(tmp_path)
    assert lex.label("20/03/1930", "DATE") == "DOB" and lex.label("20/03/1930", "DOB") == "DOB"
    assert lex.label("6/84", "DATE") == "DATE"  # a month and a year: not a full date


def test_a_multilingual_run_takes_each_languages_names(tmp_path):
    p = load_params("smoke", {"languages": ["en", "de"]})
    path = write_lexicon(p, tmp_path)
    lex = ValueLexicon.load(tmp_path)
    assert path.name == LEXICON_FILE and lex.info["factories"] == 2
    from piimask.core.locale_values import LocaleValueFactory

    de = LocaleValueFactory("de", seed=3)
    lasts = [de("LASTNAME") for _ in range(50)]
    assert sum(lex.label(v, "FIRSTNAME") == "LASTNAME" for v in lasts) >= 25


def test_classes_whose_values_always_carry_a_capital_are_the_cased_ones():
    assert lower_case("savings account") and lower_case("лв") and not lower_case("Savings account")
    assert not lower_case("1234") and not lower_case("")  # no letter with a case: nothing to say
    assert writes_case("Hello there. Please call Ann! ok?") and writes_case("Hi, it is me.\nthanks")
    assert not writes_case("hi ann, call me. thanks") and not writes_case("") and not writes_case("1234 5678")
    make = _Pools(
        {
            "FIRSTNAME": ["Ann", "Kim"],
            "CREDITCARDISSUER": ["visa", "maestro"],
            "PIN": ["1234"],  # no letters: nothing is known of its case
            "JOBAREA": ["Sales"] * 99 + ["sales"],  # 1 in 100 in lower case: more than 0.5 %
            "STATE": ["Ohio"] * 10,  # too few draws
        }
    )
    lex = build_lexicon([make], groups=[], format_classes=["FIRSTNAME", "CREDITCARDISSUER", "PIN", "JOBAREA"])
    assert lex.cased == {"FIRSTNAME"}
    short = build_lexicon([make], groups=[], format_classes=["STATE"], format_draws=10)
    assert short.cased == frozenset()
    assert lex.uncased("ann", "FIRSTNAME") and not lex.uncased("Ann", "FIRSTNAME")
    assert not lex.uncased("visa", "CREDITCARDISSUER")


def test_the_cased_classes_survive_a_save_and_an_old_lexicon_has_none(tmp_path):
    ValueLexicon([], [], cased=["CITY", "FIRSTNAME"]).save(tmp_path / LEXICON_FILE)
    assert ValueLexicon.load(tmp_path).cased == {"CITY", "FIRSTNAME"}
    (tmp_path / LEXICON_FILE).write_text('{"groups": [], "values": [], "formats": {}, "info": {}}')
    assert ValueLexicon.load(tmp_path).cased == frozenset()
    write_lexicon(load_params("smoke"), tmp_path)  # the run's own factories
    cased = ValueLexicon.load(tmp_path).cased
    assert {"FIRSTNAME", "LASTNAME", "CITY", "ACCOUNTNAME", "JOBAREA", "COMPANYNAME"} <= cased
    assert not cased & {"CREDITCARDISSUER", "AGE", "EYECOLOR", "URL", "PIN", "TIME"}
    spaceless = ValueLexicon.load(tmp_path).spaceless
    assert {"URL", "EMAIL", "IBAN", "IPV6", "BITCOINADDRESS", "USERNAME"} <= spaceless
    assert not spaceless & {"STREET", "COMPANYNAME", "USERAGENT", "JOBTITLE", "DATE", "AGE"}
    marks = ValueLexicon.load(tmp_path).marked
    assert {"DATE", "URL", "EMAIL", "AMOUNT", "PHONENUMBER", "TIME"} <= marks
    assert not marks & {"FIRSTNAME", "CITY", "STREET", "CREDITCARDISSUER", "JOBTITLE", "CURRENCYSYMBOL"}
    titles = ValueLexicon.load(tmp_path).titled
    assert {"FIRSTNAME", "LASTNAME", "CITY", "STREET", "COMPANYNAME", "USERAGENT", "JOBTITLE"} <= titles
    assert not titles & {"AGE", "GENDER", "TIME", "HEIGHT", "EYECOLOR", "CREDITCARDISSUER"}
    signless = ValueLexicon.load(tmp_path).signless
    assert {"CURRENCY", "AMOUNT", "COMPANYNAME", "CURRENCYCODE"} <= signless and "CURRENCYSYMBOL" not in signless
    closed = ValueLexicon.load(tmp_path).closed
    assert {"JOBAREA", "JOBTYPE", "ACCOUNTNAME"} <= set(closed) and "Operations" in closed["JOBAREA"]
    assert not set(closed) & {"FIRSTNAME", "CITY", "COMPANYNAME", "CREDITCARDISSUER", "EYECOLOR", "AGE"}
    assert ValueLexicon.load(tmp_path).symbolic == frozenset()  # English passwords: letters, digits, "_"
    composed = ValueLexicon.load(tmp_path).composed  # job titles: descriptor, area, type
    assert list(composed) == ["JOBTITLE"] and len(composed["JOBTITLE"]) == 3
    assert "Operations" in composed["JOBTITLE"][1] and composed["JOBTITLE"][1] == closed["JOBAREA"]


def test_argmax_tags_drop_a_cased_class_written_in_lower_case_in_a_cased_text():
    lex = ValueLexicon([], [], cased=["ACCOUNTNAME", "FIRSTNAME"])
    words = ["Open", "the", "savings", "account", ",", "Ann", ".", "Your", "Savings", "Account", "is", "ready"]
    labels = ["O", "O", "B-ACCOUNTNAME", "I-ACCOUNTNAME", "O", "B-FIRSTNAME", "O", "O"]
    labels += ["B-ACCOUNTNAME", "I-ACCOUNTNAME", "O", "O"]
    text = "Open the savings account, Ann. Your Savings Account is ready"

    def found(t, lexicon=lex, **kw):
        return [(e["label"], t[e["start"] : e["end"]]) for e in _tagged(t, words, labels, lexicon).entities(**kw)]

    assert found(text) == [("FIRSTNAME", "Ann"), ("ACCOUNTNAME", "Savings Account")]
    assert _tagged(text, words, labels, lex).labels[2:4] == ["O", "O"]
    everything = [("ACCOUNTNAME", "savings account"), ("FIRSTNAME", "Ann"), ("ACCOUNTNAME", "Savings Account")]
    assert found(text, lexicon=None) == everything  # no lexicon: the model alone
    assert found(text, threshold=0.5) == everything  # the Masker's PII-ness never reads case
    lower = text.lower()  # a text typed in lower case: case means nothing, all kept
    words = [w.lower() for w in words]
    assert [label for label, _ in found(lower)] == ["ACCOUNTNAME", "FIRSTNAME", "ACCOUNTNAME"]


def test_the_shape_check_takes_the_most_probable_class_the_value_fits_or_o(tiny_model):
    from piimask.core.taxonomy import LABEL2ID

    tagger = TokenTagger(tiny_model)
    tagger.lexicon = ValueLexicon([], [], cased=["MIDDLENAME", "ACCOUNTNAME", "FIRSTNAME"], marked=["URL"])
    text = "Pay with discover. Open the account now. Ask Ivah."
    spans = [(9, 17), (27, 34), (44, 48)]  # "discover", "account", "Ivah"
    probs = np.full((3, len(LABEL2ID)), 0.001, dtype=np.float32)

    def put(row, **p):
        for label, v in p.items():
            probs[row, LABEL2ID[label.replace("_", "-", 1)]] = v

    put(0, B_MIDDLENAME=0.5, B_CREDITCARDISSUER=0.3, O=0.1)  # a lower-case name: the issuer fits
    put(1, B_ACCOUNTNAME=0.5, B_CREDITCARDISSUER=0.1, O=0.3)  # nothing that fits beats O
    put(2, B_URL=0.5, B_FIRSTNAME=0.3, O=0.1)  # no URL without a dot or a slash: the name fits
    tagged = tagger._tagged(text, np.array(spans), probs)
    assert tagged.without_lexicon().labels == ["B-MIDDLENAME", "B-ACCOUNTNAME", "B-URL"]
    assert tagged.labels == ["B-CREDITCARDISSUER", "O", "B-FIRSTNAME"]
    assert [e["label"] for e in tagged.entities()] == ["CREDITCARDISSUER", "FIRSTNAME"]
    assert [e["label"] for e in tagged.entities(threshold=0.5)] == ["MIDDLENAME", "ACCOUNTNAME", "URL"]
    tagger.lexicon = None  # no lexicon: no fallback arrays at all
    assert "alt_cls" not in tagger._tagged(text, np.array(spans), probs)._a


def test_an_entity_of_a_class_without_spaces_ends_at_its_first_space(tmp_path):
    make = _Pools({"URL": ["https://a-b.net", "http://c.org/x"], "STREET": ["Elm Road", "Oak Way"]})
    lex = build_lexicon([make], groups=[], format_classes=["URL", "STREET"], format_draws=300)
    assert lex.spaceless == {"URL"} and lex.takes("http://d.org/y", "URL") and not lex.takes("site", "URL")
    text = "See https://e-f.net site or http://g.org/z http://h.org/q now, 12 Elm Road"
    words = [
        "See",
        "https://e-f.net",
        "site",
        "or",
        "http://g.org/z",
        "http://h.org/q",
        "now",
        ",",
        "12",
        "Elm",
        "Road",
    ]
    labels = ["O", "B-URL", "I-URL", "O", "B-URL", "I-URL", "I-URL", "O", "B-STREET", "I-STREET", "I-STREET"]

    def found(lexicon, **kw):
        return [(e["label"], text[e["start"] : e["end"]]) for e in _tagged(text, words, labels, lexicon).entities(**kw)]

    assert found(lex) == [
        ("URL", "https://e-f.net"),  # "site" is no URL: O
        ("URL", "http://g.org/z"),
        ("URL", "http://h.org/q"),  # a part in the class's format: an entity of its own
        ("STREET", "12 Elm Road"),  # streets hold spaces
    ]
    assert found(None)[0] == ("URL", "https://e-f.net site")  # the model alone
    assert found(lex, threshold=0.5)[0] == ("URL", "https://e-f.net site")  # the Masker's spans are not cut
    lex.save(tmp_path / LEXICON_FILE)
    assert ValueLexicon.load(tmp_path).spaceless == {"URL"}


def test_a_password_is_the_whole_run_without_spaces_it_stands_in(tmp_path):
    signs = "!#$%&*+-.:;<=>?@^_~"
    make = _Pools(
        {
            "PASSWORD": [f"a{c}B{d}9" for c, d in zip(signs, reversed(signs))],
            "URL": ["https://a-b.net", "http://c.org/x?q=1"],
            "USERNAME": ["jo.b", "ann_42", "kim"],
        }
    )
    lex = build_lexicon([make], groups=[], format_classes=["PASSWORD", "URL", "USERNAME"], format_draws=300)
    assert lex.symbolic == {"PASSWORD"}  # URLs and usernames hold a few signs only
    german = build_lexicon(
        [LocaleValueFactory("de", seed=0)], groups=[], format_classes=["PASSWORD", "CURRENCYSYMBOL"], format_draws=500
    )
    assert german.symbolic == {"PASSWORD"}  # other languages' passwords hold any sign; currency signs are no ASCII
    text = 'Passwort: ?k4Tw{q8, Pass (,w5?2$R) and "pQ7." or jo.b, x1#longname'
    tagged = [
        ("Passwort", "O"),
        (":", "O"),
        ("?", "O"),
        ("k4Tw", "B-PASSWORD"),
        ("{", "O"),
        ("q8", "B-VEHICLEVRM"),  # a part tagged as another class: the password holds most of the run
        (",", "O"),
        ("Pass", "O"),
        ("(", "O"),
        (",", "O"),
        ("w5", "B-PASSWORD"),
        ("?", "O"),
        ("2", "B-TIME"),
        ("$", "O"),
        ("R", "B-PASSWORD"),
        (")", "O"),
        ("and", "O"),
        ('"', "O"),
        ("pQ7", "B-PASSWORD"),
        (".", "I-PASSWORD"),
        ('"', "I-PASSWORD"),
        ("or", "O"),
        ("jo", "B-USERNAME"),
        (".", "I-USERNAME"),
        ("b", "I-USERNAME"),
        (",", "O"),
        ("x1", "B-PASSWORD"),
        ("#", "O"),
        ("longname", "B-USERNAME"),  # the password holds the lesser part of its run: left as it is
    ]
    words, labels = [w for w, _ in tagged], [lab for _, lab in tagged]

    def found(lexicon, **kw):
        return [(e["label"], text[e["start"] : e["end"]]) for e in _tagged(text, words, labels, lexicon).entities(**kw)]

    whole = [
        ("PASSWORD", "?k4Tw{q8"),  # the comma after the run stays outside
        ("PASSWORD", ",w5?2$R"),  # the brackets around it too
        ("PASSWORD", "pQ7."),  # quoted: the dot inside is the password's
        ("USERNAME", "jo.b"),
        ("PASSWORD", "x1"),
        ("USERNAME", "longname"),
    ]
    assert found(lex) == whole
    assert found(lex, threshold=0.5) == whole  # the Masker's spans alike
    assert found(None)[:2] == [("PASSWORD", "k4Tw"), ("VEHICLEVRM", "q8")]  # the model alone
    assert _saved_and_read_back(lex, tmp_path, "symbolic").symbolic == frozenset()  # an older lexicon: none


def test_classes_whose_values_always_hold_a_digit_or_a_joiner_are_the_marked_ones():
    assert marked("2021-01-02") and marked("a.b") and marked("25th") and marked("x@y")
    assert not marked("ASAP") and not marked("-") and not marked("page.") and not marked("")
    make = _Pools({"DATE": ["25th March", "2021-01-02"], "URL": ["https://a.io"], "FIRSTNAME": ["Ann", "Bo1"]})
    lex = build_lexicon([make], groups=[], format_classes=["DATE", "URL", "FIRSTNAME"], format_draws=300)
    assert lex.marked == {"DATE", "URL"} and lex.unmarked("ASAP", "DATE") and not lex.unmarked("ASAP", "FIRSTNAME")
    text = "Reply ASAP. Due 2021-01-02"
    words = ["Reply", "ASAP", ".", "Due", "2021-01-02"]
    found = _tagged(text, words, ["O", "B-DATE", "O", "O", "B-DATE"], lex).entities()
    assert [(e["label"], text[e["start"] : e["end"]]) for e in found] == [("DATE", "2021-01-02")]
    lower = "reply asap. due 2021-01-02"  # marks do not depend on the text's case
    found = _tagged(lower, [w.lower() for w in words], ["O", "B-DATE", "O", "O", "B-DATE"], lex).entities()
    assert [e["label"] for e in found] == ["DATE"]


def test_classes_whose_values_begin_and_end_with_a_capital_or_a_digit_are_the_titled_ones():
    assert titled("Northamptonshire") and titled("Lake Alysa") and titled("Safari/538.2 (KHTML, like Gecko)")
    assert titled("13th of May") and titled("") and not titled("Lake Alysa warehouse") and not titled("the Mall")
    assert titled("Smith - Jones") and not titled("- Smith") and not titled("Smith &")  # a sign alone at an edge
    assert plain_word("system.") and not plain_word("13th") and not plain_word("Road") and not plain_word("-")
    assert has_sign("NT$") and has_sign("лв") is False and has_sign("€5") and not has_sign("USD")
    make = _Pools(
        {
            "STREET": ["Elm Road", "Rue de la Paix"],
            "AGE": ["52 years old", "7"],  # a plain word at the end: not titled
            "CURRENCYSYMBOL": ["$", "€"],  # signs: not signless
            "PIN": ["1234"],  # no letters: nothing is known of its words; it never holds a sign
        }
    )
    lex = build_lexicon([make], groups=[], format_classes=["STREET", "AGE", "CURRENCYSYMBOL", "PIN"], format_draws=300)
    assert lex.titled == {"STREET"} and lex.signless == {"STREET", "AGE", "PIN"}


def _edges(text, words, labels, groups=(), values=(), **lists):
    lex = ValueLexicon(groups, values, **lists)
    return [(e["label"], text[e["start"] : e["end"]]) for e in _tagged(text, words, labels, lex).entities()]


def test_a_titled_class_sheds_the_plain_lower_case_words_at_its_edges():
    text = "Meet me at the Lake Alysa warehouse. Then street River Road 12b."
    words = [
        "Meet",
        "me",
        "at",
        "the",
        "Lake",
        "Alysa",
        "warehouse",
        ".",
        "Then",
        "street",
        "River",
        "Road",
        "12b",
        ".",
    ]
    labels = ["O", "O", "O", "O", "B-STREET", "I-STREET", "I-STREET", "O", "O", "B-STREET", "I-STREET", "I-STREET"]
    labels += ["I-STREET", "O"]
    assert _edges(text, words, labels, titled=["STREET"]) == [("STREET", "Lake Alysa"), ("STREET", "River Road 12b")]
    assert _edges(text, words, labels)[0] == ("STREET", "Lake Alysa warehouse")  # no titled list: as tagged
    lower = text.lower()  # a text typed in lower case: its words' case says nothing
    got = _edges(lower, [w.lower() for w in words], labels, titled=["STREET"])
    assert got[0] == ("STREET", "lake alysa warehouse")
    one = ["O", "O", "O", "O", "O", "O", "B-STREET", "O", "O", "O", "O", "O", "O", "O"]
    assert _edges(text, words, one, titled=["STREET"]) == [
        ("STREET", "warehouse")
    ]  # never emptied: the cased check's work


def test_a_titled_class_sheds_a_sign_alone_at_its_edge_or_joins_its_own_class_beyond_it():
    text = "Pay - Smith, Jones and Lee now. Ask Smith - Jones Lee or Kim, Acme Inc today."
    words = ["Pay", "-", "Smith", ",", "Jones", "and", "Lee", "now", ".", "Ask", "Smith", "-", "Jones", "Lee"]
    words += ["or", "Kim", ",", "Acme", "Inc", "today", "."]
    labels = ["O", "B-COMPANYNAME"] + ["I-COMPANYNAME"] * 5 + ["O", "O", "O"]
    labels += ["B-COMPANYNAME", "I-COMPANYNAME", "B-COMPANYNAME", "I-COMPANYNAME", "O", "B-LASTNAME"]
    labels += ["B-COMPANYNAME", "I-COMPANYNAME", "I-COMPANYNAME", "O", "O"]
    assert _edges(text, words, labels, titled=["COMPANYNAME"]) == [
        ("COMPANYNAME", "Smith, Jones and Lee"),  # the dash before it: no part of the value
        ("COMPANYNAME", "Smith - Jones Lee"),  # a company beyond the dash: the same value
        ("LASTNAME", "Kim"),
        ("COMPANYNAME", ", Acme Inc"),  # a tagged word of another class beyond the comma: left as tagged
    ]
    assert _edges(text, words, labels)[:2] == [
        ("COMPANYNAME", "- Smith, Jones and Lee"),
        ("COMPANYNAME", "Smith -"),
    ]  # no titled list: as tagged


def test_a_sign_at_the_edge_of_a_signless_class_is_a_currency_symbol_of_its_own():
    text = "Pay in Australian Dollar$ or NT$ 40"
    words = ["Pay", "in", "Australian", "Dollar", "$", "or", "NT", "$", "40"]
    labels = [
        "O",
        "O",
        "B-CURRENCY",
        "I-CURRENCY",
        "I-CURRENCY",
        "O",
        "B-CURRENCYSYMBOL",
        "B-CURRENCYSYMBOL",
        "B-AMOUNT",
    ]
    assert _edges(text, words, labels, signless=["CURRENCY", "AMOUNT"]) == [
        ("CURRENCY", "Australian Dollar"),
        ("CURRENCYSYMBOL", "$"),
        ("CURRENCYSYMBOL", "NT$"),  # two entities of one class glued together: one
        ("AMOUNT", "40"),
    ]
    assert _edges(text, words, labels)[0] == ("CURRENCY", "Australian Dollar$")  # no list: the sign is not cut
    no_symbol = ["O", "O", "B-CURRENCY", "I-CURRENCY", "I-CURRENCY", "O", "O", "O", "O"]
    assert _edges(text, words, no_symbol, signless=["CURRENCY"]) == [("CURRENCY", "Australian Dollar")]


def test_an_open_bracket_takes_its_partner_or_is_cut_off():
    text = "Call (87)-8781.9216, on (20th May) with Opera/9.1 (X11; U)"
    words = ["Call", "(", "87", ")", "-", "8781.9216", ",", "on", "(", "20th", "May", ")", "with", "Opera/9.1", "("]
    words += ["X11", ";", "U", ")"]
    labels = ["O", "O", "B-PHONENUMBER", "I-PHONENUMBER", "I-PHONENUMBER", "I-PHONENUMBER", "O", "O", "B-DATE"]
    labels += ["I-DATE", "I-DATE", "O", "O", "B-USERAGENT", "I-USERAGENT", "I-USERAGENT", "I-USERAGENT", "I-USERAGENT"]
    labels += ["O"]
    assert _edges(text, words, labels) == [
        ("PHONENUMBER", "(87)-8781.9216"),  # the "(" glued before it
        ("DATE", "20th May"),  # a bracket at the value's edge: cut, not closed
        ("USERAGENT", "Opera/9.1 (X11; U)"),  # the ")" glued after it
    ]
    tagged = _tagged(text, words, labels, ValueLexicon([], []))
    assert [text[e["start"] : e["end"]] for e in tagged.entities(threshold=0.5)][0] == "87)-8781.9216"  # the Masker's
    assert [text[e["start"] : e["end"]] for e in tagged.without_lexicon().entities()][1] == "(20th May"


def test_a_value_with_a_digit_a_joiner_or_a_sign_is_no_ordinary_word_whatever_its_case():
    lex = ValueLexicon([], [], cased=["EMAIL", "USERNAME", "FIRSTNAME"], marked=["NEARBYGPSCOORDINATE", "DATE"])
    assert lex.uncased("account", "FIRSTNAME") and not lex.uncased("maria.rossi62@example.com", "EMAIL")
    assert not lex.uncased("jdoe1987", "USERNAME")  # the 200k rows capitalise usernames; others do not
    assert lex.unmarked("ASAP", "DATE") and lex.unmarked("next week.", "DATE") and lex.unmarked("Mary-Ann", "DATE")
    assert not lex.unmarked("[Anna]", "NEARBYGPSCOORDINATE") and not lex.unmarked("**Anna**", "DATE")
    text = "Write to maria.rossi62@example.com or ask [Anna] ASAP."
    words = ["Write", "to", "maria.rossi62@example.com", "or", "ask", "[", "Anna", "]", "ASAP", "."]
    labels = ["O", "O", "B-EMAIL", "O", "O", "B-NEARBYGPSCOORDINATE", "I-NEARBYGPSCOORDINATE"]
    labels += ["I-NEARBYGPSCOORDINATE", "B-DATE", "O"]
    found = _tagged(text, words, labels, lex).entities()
    assert [(e["label"], text[e["start"] : e["end"]]) for e in found] == [
        ("EMAIL", "maria.rossi62@example.com"),  # kept: an address in lower case is still one
        ("NEARBYGPSCOORDINATE", "[Anna]"),  # kept: the brackets may be what the model read
    ]  # "ASAP" as a date: dropped


def test_classes_drawn_from_a_short_list_of_capitalised_values_are_the_closed_ones(tmp_path):
    make = _Pools(
        {
            "JOBAREA": ["Operations", "Research"],
            "ACCOUNTNAME": ["Checking Account"],
            "CITY": [f"Town{i}" for i in range(80)],  # too many values: no short list
            "EYECOLOR": ["Blue", "brown"],  # a value without a capital
        }
    )
    lex = build_lexicon(
        [make], groups=[], format_classes=["JOBAREA", "ACCOUNTNAME", "CITY", "EYECOLOR"], format_draws=300
    )
    assert lex.closed == {"JOBAREA": ["Operations", "Research"], "ACCOUNTNAME": ["Checking Account"]}
    assert _saved_and_read_back(lex, tmp_path, "closed").closed == {}  # a lexicon written before the list existed
    assert [(s, e, sorted(c)) for s, e, c in lex.closed_values("Research, Operations; research Researcher")] == [
        (0, 8, ["JOBAREA"]),
        (10, 20, ["JOBAREA"]),
    ]  # case-sensitive, whole words only


def test_an_untagged_value_of_a_closed_class_is_found_when_the_model_leans_to_its_class():
    lex = ValueLexicon(
        [("JOBAREA", "JOBTYPE", "JOBTITLE")],
        [{}],
        closed={
            "JOBAREA": ["Operations", "Research", "Data"],
            "JOBTYPE": ["Officer"],
            "ACCOUNTNAME": ["Checking Account"],
        },
    )
    text = "Brief the Operations team. Research first, then Regional Creative Officer Ann checks Data in your Checking Account."
    words = ["Brief", "the", "Operations", "team", ".", "Research", "first", ",", "then", "Regional", "Creative"]
    words += ["Officer", "Ann", "checks", "Data", "in", "your", "Checking", "Account", "."]
    labels = ["O"] * 9 + ["B-JOBTITLE", "I-JOBTITLE", "O", "B-FIRSTNAME"] + ["O"] * 7
    best = ["O", "O", "B-JOBAREA", "O", "O", "B-JOBAREA", "O", "O", "O", "B-JOBTITLE", "I-JOBTITLE", "B-JOBTYPE"]
    best += ["B-FIRSTNAME", "O", "B-FIRSTNAME", "O", "O", "B-ACCOUNTNAME", "I-ACCOUNTNAME", "O"]
    offsets = _offsets(text, words)
    tagged = TaggedText(text, offsets, labels, pii_labels=best, lexicon=lex)
    assert [(e["label"], text[e["start"] : e["end"]]) for e in tagged.entities()] == [
        ("JOBAREA", "Operations"),  # the model's best class is the value's: found
        ("JOBTITLE", "Regional Creative Officer"),  # glued to a title of its group: the title goes on
        ("FIRSTNAME", "Ann"),  # a tagged neighbour of another group keeps its own entity
        ("ACCOUNTNAME", "Checking Account"),
    ]  # "Research" starts a sentence; for "Data" the model leans to another class: both left
    assert [e["label"] for e in tagged.without_lexicon().entities()] == ["JOBTITLE", "FIRSTNAME"]
    # the Masker's PII-ness decision finds them too, whatever its threshold
    masked = [(e["label"], text[e["start"] : e["end"]]) for e in tagged.entities(threshold=0.99)]
    assert masked == [(e["label"], text[e["start"] : e["end"]]) for e in tagged.entities()]
    assert [e["label"] for e in tagged.without_lexicon().entities(threshold=0.99)] == ["JOBTITLE", "FIRSTNAME"]
    # a class given its own threshold follows it alone (a user who never wants job areas masked)
    own = [e["label"] for e in tagged.entities(threshold=0.99, class_thresholds={"JOBAREA": 1.0})]
    assert own == ["JOBTITLE", "FIRSTNAME", "ACCOUNTNAME"]
    lower = text.lower()  # a text typed in lower case: no capital tells a value from a word
    low = TaggedText(lower, offsets, labels, pii_labels=best, lexicon=lex)
    assert [e["label"] for e in low.entities()] == ["JOBTITLE", "FIRSTNAME"]
    # a value of two words may start a sentence ("Research" alone may not: any word takes a capital)
    start = "Checking Account: closed. Research: open."
    words = ["Checking", "Account", ":", "closed", ".", "Research", ":", "open", "."]
    offsets = _offsets(start, words)
    leans = ["B-ACCOUNTNAME", "I-ACCOUNTNAME", "O", "O", "O", "B-JOBAREA", "O", "O", "O"]
    first = TaggedText(start, offsets, ["O"] * len(words), pii_labels=leans, lexicon=lex)
    assert [(e["label"], start[e["start"] : e["end"]]) for e in first.entities()] == [
        ("ACCOUNTNAME", "Checking Account")
    ]


def test_a_sentence_starts_at_the_text_a_line_or_after_a_full_stop_and_a_space():
    assert _sentence_start("Research first", 0) and _sentence_start("Done.\n(Research", 7)
    assert _sentence_start('Done. "Research', 7) and _sentence_start("Note: Research", 6)
    assert not _sentence_start("the Research team", 4) and not _sentence_start("v1.2 Research", 5)
    assert not _sentence_start("Mr.Research", 3)


def test_a_closed_value_tagged_in_part_by_its_group_becomes_one_entity_of_its_class():
    lex = ValueLexicon(
        [("GENDER", "SEX"), ("JOBAREA", "JOBTYPE", "JOBTITLE")],
        [{}, {}],
        closed={"ACCOUNTNAME": ["Home Loan Account"], "GENDER": ["Male to female"], "JOBAREA": ["Data"]},
    )
    text = "Pay from the Home Loan Account, said the Male to female Senior Data Officer (Agender)."
    words = ["Pay", "from", "the", "Home", "Loan", "Account", ",", "said", "the", "Male", "to", "female", "Senior"]
    words += ["Data", "Officer", "(", "Agender", ")", "."]  # (a label-built text knows the classes it carries)
    labels = ["O", "O", "O", "B-ACCOUNTNAME", "I-ACCOUNTNAME", "O", "O", "O", "O", "B-SEX", "O", "O", "B-JOBTITLE"]
    labels += ["I-JOBTITLE", "I-JOBTITLE", "O", "B-GENDER", "O", "O"]
    assert _edges(text, words, labels, closed=lex.closed, groups=lex.groups, values=lex.values) == [
        ("ACCOUNTNAME", "Home Loan Account"),  # the list's whole value
        ("GENDER", "Male to female"),  # tagged in part by a class of its group: the value's class
        ("JOBTITLE", "Senior Data Officer"),  # a list's value inside a longer entity: left as tagged
        ("GENDER", "Agender"),
    ]
    labels[4] = "B-CITY"  # a part of another group: left as tagged
    assert ("ACCOUNTNAME", "Home") in _edges(
        text, words, labels, closed=lex.closed, groups=lex.groups, values=lex.values
    )


def test_classes_whose_values_are_words_each_from_a_short_list_are_the_composed_ones(tmp_path):
    lead = ["Senior", "Regional", "Chief", "Lead", "Future", "Direct"]  # 6 x 3 x 3 titles: more than a short list
    titles = [
        f"{d} {a} {t}" for d in lead for a in ("Data", "Research", "Quality") for t in ("Officer", "Agent", "Liaison")
    ]
    make = _Pools(
        {
            "JOBTITLE": titles,
            "JOBAREA": ["Data", "Research"],  # one word: closed, not composed
            "COMPANYNAME": ["Acme Group", "Bright and Sons"],  # two numbers of words
            "STREET": [f"{i} Main Street" for i in range(80)],  # too many words in one position
            "CITY": [f"New {c}" for c in ("york", "haven")],  # a word without a capital
        }
    )
    lex = build_lexicon([make], groups=[], format_classes=list(make.pools), format_draws=300)
    assert lex.composed == {
        "JOBTITLE": [sorted(lead), ["Data", "Quality", "Research"], ["Agent", "Liaison", "Officer"]]
    }
    assert set(lex.closed) == {"JOBAREA", "COMPANYNAME", "CITY"}
    assert _saved_and_read_back(lex, tmp_path, "composed").composed == {}  # a lexicon written before composed classes
    # a composed value is read whole, before the closed values among its words
    text = "Data from the Senior Research Agent; senior data officer; Regional Data"
    assert [(text[s:e], sorted(c)) for s, e, c in lex.closed_values(text)] == [
        ("Data", ["JOBAREA"]),
        ("Senior Research Agent", ["JOBTITLE"]),
        ("Data", ["JOBAREA"]),
    ]


def test_with_several_factories_a_class_is_closed_or_composed_where_some_factory_draws_it_so():
    lead = ["Senior", "Regional", "Chief", "Lead", "Future", "Direct", "Global", "Dynamic", "Legacy"]
    area, kind = ["Data", "Quality", "Research"], ["Agent", "Officer"]  # 54 titles: more than a short list
    english = _Pools(
        {
            "PREFIX": ["Mr", "Mrs", "Dr"],
            "SEX": ["Male", "Female"],
            "JOBTITLE": [f"{d} {a} {t}" for d in lead for a in area for t in kind],
            "CITY": [f"Town{i}" for i in range(80)],
        }
    )
    french = _Pools(
        {
            "PREFIX": [f"Titre{i}" for i in range(80)],  # open here
            "SEX": ["femme", "homme"],  # without a capital: no list here
            "JOBTITLE": [f"Chargé de projet {i}" for i in range(80)],
            "CITY": ["Lyon", "Nantes"],  # a short list here only
        }
    )
    dutch = _Pools(
        {
            "PREFIX": ["Dhr.", "Mevr."],
            "SEX": ["Man", "Vrouw"],
            "JOBTITLE": [f"{a} {b}" for a in "ABCDEFGH" for b in "IJKLMNOP"],  # two words: composed here
            "CITY": [f"Dorp{i}" for i in range(80)],
        }
    )
    classes = ["PREFIX", "SEX", "JOBTITLE", "CITY"]
    lex = build_lexicon([english, french, dutch], groups=[], format_classes=classes, format_draws=300)
    assert lex.closed == {
        "PREFIX": ["Dhr.", "Dr", "Mevr.", "Mr", "Mrs"],  # the lists of the factories that draw one
        "SEX": ["Female", "Male", "Man", "Vrouw"],
        "CITY": ["Lyon", "Nantes"],
    }
    assert lex.composed == {}  # three words in English, two in Dutch: no one composition
    alone = build_lexicon([english, french], groups=[], format_classes=classes, format_draws=300)
    assert alone.composed == {"JOBTITLE": [sorted(lead), area, sorted(kind)]}
    # one factory alone: as before
    assert build_lexicon([french], groups=[], format_classes=classes, format_draws=300).closed == {
        "CITY": ["Lyon", "Nantes"]
    }
    text = "Mr Senior Data Agent met Titre3 in Lyon (Vrouw)."
    assert [(text[s:e], sorted(c)) for s, e, c in alone.closed_values(text)] == [
        ("Mr", ["PREFIX"]),
        ("Senior Data Agent", ["JOBTITLE"]),
        ("Lyon", ["CITY"]),
    ]  # an open factory's value is the model's to find


def test_a_composed_value_the_model_cut_or_left_untagged_is_one_entity_of_its_class():
    lex = ValueLexicon(
        [("JOBAREA", "JOBTYPE", "JOBTITLE")],
        [{}],
        closed={"JOBAREA": ["Data", "Research"], "JOBTYPE": ["Officer", "Agent"]},
        composed={"JOBTITLE": [["Senior", "Regional"], ["Data", "Research"], ["Officer", "Agent"]]},
    )
    text = "Dear Senior Data Officer, ask the Regional Research Agent or Senior Data Agent. Regional Data Officer Ann, Senior Data Officer."
    words = ["Dear", "Senior", "Data", "Officer", ",", "ask", "the", "Regional", "Research", "Agent", "or"]
    words += [
        "Senior",
        "Data",
        "Agent",
        ".",
        "Regional",
        "Data",
        "Officer",
        "Ann",
        ",",
        "Senior",
        "Data",
        "Officer",
        ".",
    ]
    labels = ["O", "B-JOBTITLE", "B-JOBAREA", "B-JOBTYPE", "O", "O", "O", "B-JOBTITLE", "B-JOBTITLE", "I-JOBTITLE"]
    labels += ["O", "O", "O", "O", "O", "B-JOBTITLE", "I-JOBTITLE", "I-JOBTITLE", "B-FIRSTNAME", "O"]
    labels += ["B-JOBTITLE", "B-PREFIX", "B-JOBTYPE", "O"]
    best = list(labels)
    best[11:14] = ["O", "B-JOBTITLE", "O"]  # left untagged, the model's best class for one word its class
    offsets = _offsets(text, words)
    tagged = TaggedText(text, offsets, labels, pii_labels=best, lexicon=lex)
    found = [(e["label"], text[e["start"] : e["end"]]) for e in tagged.entities()]
    assert found == [
        ("JOBTITLE", "Senior Data Officer"),  # cut into job words: one title
        ("JOBTITLE", "Regional Research Agent"),  # two titles glued: one
        ("JOBTITLE", "Senior Data Agent"),  # untagged, the model leaning to its class: found
        ("JOBTITLE", "Regional Data Officer"),  # already one entity: kept
        ("FIRSTNAME", "Ann"),
        ("JOBTITLE", "Senior"),  # a word of it tagged outside the group: left as tagged
        ("PREFIX", "Data"),
        ("JOBTYPE", "Officer"),
    ]
    assert [e["label"] for e in tagged.without_lexicon().entities()][:3] == ["JOBTITLE", "JOBAREA", "JOBTYPE"]
    cold = list(best)
    cold[11:14] = ["O", "B-JOBAREA", "O"]  # the model leans to another class (a list's, "Data"): left
    quiet = TaggedText(text, offsets, labels, pii_labels=cold, lexicon=lex)
    assert ("JOBTITLE", "Senior Data Agent") not in [
        (e["label"], text[e["start"] : e["end"]]) for e in quiet.entities()
    ]
    # the Masker's PII-ness decision reads them too
    masked = [(e["label"], text[e["start"] : e["end"]]) for e in tagged.entities(threshold=0.99)]
    assert ("JOBTITLE", "Senior Data Agent") in masked and ("JOBTITLE", "Senior Data Officer") in masked
    low = TaggedText(text.lower(), offsets, labels, pii_labels=best, lexicon=lex)  # no case: no list
    assert [e["label"] for e in low.entities()][:3] == ["JOBTITLE", "JOBAREA", "JOBTYPE"]


def test_classes_whose_values_often_end_the_same_after_a_capitalised_word_are_the_suffixed_ones(tmp_path):
    names = [f"Name{chr(65 + i % 26)}{chr(97 + i // 26)}" for i in range(60)]
    companies = (
        [f"{x} Group" for x in names]
        + [f"{x} and Sons" for x in names]
        + [f"{x} - {y}" for x, y in zip(names, names[1:])]
    )
    make = _Pools(
        {
            "COMPANYNAME": companies,
            "AGE": [f"{i} years" for i in range(20, 90)],  # a first word without a capital
            "STREET": [f"{x} Road" for x in ("Mill", "Station", "Church")]
            + [f"{x} Lane" for x in names],  # few before "Road"
        }
    )
    lex = build_lexicon([make], groups=[], format_classes=list(make.pools), format_draws=600)
    assert lex.suffixed == {"COMPANYNAME": ["Group", "and Sons"], "STREET": ["Lane"]}
    assert lex.info["suffix_min_share"] == 0.03
    assert _saved_and_read_back(lex, tmp_path, "suffixed").suffixed == {}  # a lexicon written before suffixed classes
    text = "Ask Varga Group, the varga group or Lindqvist and Sons Group."
    assert [(text[s:e], text[s:m], c) for s, m, e, c in lex.suffixed_values(text)] == [
        ("Varga Group", "Varga", "COMPANYNAME"),
        ("Lindqvist and Sons", "Lindqvist", "COMPANYNAME"),
    ]  # case-sensitive: a capitalised first word


def test_a_tagged_word_followed_by_an_ending_it_left_out_is_a_value_of_the_suffixed_class():
    lex = ValueLexicon([], [], suffixed={"COMPANYNAME": ["Group", "and Sons"]})
    text = "Varga Group paid. Ask Lindqvist and Sons, Reyes Group Ltd or Kim, Lee Group. Then Lane Group."
    words = [
        "Varga",
        "Group",
        "paid",
        ".",
        "Ask",
        "Lindqvist",
        "and",
        "Sons",
        ",",
        "Reyes",
        "Group",
        "Ltd",
        "or",
        "Kim",
    ]
    words += [",", "Lee", "Group", ".", "Then", "Lane", "Group", "."]
    labels = ["B-LASTNAME", "O", "O", "O", "O", "B-COMPANYNAME", "O", "O", "O", "B-LASTNAME", "B-JOBAREA", "O", "O"]
    labels += ["B-COMPANYNAME", "I-COMPANYNAME", "I-COMPANYNAME", "O", "O", "O", "O", "O", "O"]
    offsets = _offsets(text, words)
    tagged = TaggedText(text, offsets, labels, lexicon=lex)
    assert [(e["label"], text[e["start"] : e["end"]]) for e in tagged.entities()] == [
        ("COMPANYNAME", "Varga Group"),  # a surname for the first word: the company whole
        ("COMPANYNAME", "Lindqvist and Sons"),
        ("LASTNAME", "Reyes"),  # the ending tagged as something else: left as tagged
        ("JOBAREA", "Group"),
        ("COMPANYNAME", "Kim, Lee"),  # the entity runs on before the word: left
    ]  # "Lane Group": the model tagged neither word, so nothing is found
    assert [e["label"] for e in tagged.without_lexicon().entities()][:2] == ["LASTNAME", "COMPANYNAME"]
    masked = [(e["label"], text[e["start"] : e["end"]]) for e in tagged.entities(threshold=0.5)]
    assert ("COMPANYNAME", "Varga Group") in masked  # the Masker's PII-ness decision reads it too
    own = tagged.entities(threshold=0.5, class_thresholds={"COMPANYNAME": 0.5})
    assert ("LASTNAME", "Varga") in [(e["label"], text[e["start"] : e["end"]]) for e in own]
    low = TaggedText(text.lower(), offsets, labels, lexicon=lex)  # no case: no capitalised word
    assert [e["label"] for e in low.entities()][0] == "LASTNAME"
