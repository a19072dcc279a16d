"""Realism statistics and distances on hand-written rows, and the guard against copying real rows."""

import json
import math
from collections import Counter
from pathlib import Path

import pytest

from piimask.core.config import project_root, read_yaml
from piimask.core.fill import target_from_source
from piimask.core.io import read_jsonl
from piimask.core.record import Record
from piimask.pipeline import realdata, realism

ROOT = Path(__file__).resolve().parents[1]


def row(text, *spans):
    """A row whose privacy_mask is given as (value, label) in order of appearance."""
    mask, cursor = [], 0
    for value, label in spans:
        start = text.index(value, cursor)
        mask.append({"value": value, "start": start, "end": start + len(value), "label": label})
        cursor = start + len(value)
    return {"source_text": text, "privacy_mask": mask}


LETTER = row(
    "Dear Ms. Okafor, your refund of $120.50 reached account 44017788 today. Thanks!",
    ("Ms.", "PREFIX"),
    ("Okafor", "LASTNAME"),
    ("$", "CURRENCYSYMBOL"),
    ("120.50", "AMOUNT"),
    ("44017788", "ACCOUNTNUMBER"),
)
VISIT = row(
    "The nurse will visit 12 Quarry Lane on Monday. Call Bram first.",
    ("12", "BUILDINGNUMBER"),
    ("Quarry Lane", "STREET"),
    ("Bram", "FIRSTNAME"),
)


# -- the pieces --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value,shape",
    [
        ("Kuphal", "Aa+"),
        ("764,336.48", "9+,9+.9+"),
        ("Dr.", "Aa."),
        ("Apt. 259", "Aa+. 9+"),
        ("06-184755-866851-3", "9+-9+-9+-9"),
        ("158centimeters", "9+a+"),
        ("x7Rq2Lm9", "Aa9+"),
        ("k4Pz8Qw1", "Aa9+"),  # two random passwords share one shape
        ("[-71.6702,-107.6572]", "[-9+.9+,-9+.9+]"),
    ],
)
def test_value_shape(value, shape):
    assert realism.value_shape(value) == shape


def test_sentence_count_ignores_dots_inside_values():
    text, spans = realism.text_and_mask(LETTER)
    assert realism.sentence_count(target_from_source(text, spans)) == 2  # not 3: "Ms." is masked
    assert realism.sentence_count("no end mark at all") == 1
    assert realism.sentence_count("One. Two! Three? Four") == 4


def test_context_words_exclude_other_spans_values():
    text, spans = realism.text_and_mask(LETTER)
    ctx = {label: (left, right) for label, left, right in realism.context_words(text, spans, window=3)}
    assert ctx["LASTNAME"][0] == ["dear"]  # "ms" is the PREFIX value: never a context word
    assert ctx["PREFIX"][1] == ["your", "refund"]  # the LASTNAME slot counts, its value does not
    assert ctx["AMOUNT"][0] == ["of", "refund"]  # nearest first
    assert ctx["ACCOUNTNUMBER"][1] == ["today"]  # stops at the sentence end
    everything = {w for left, right in ctx.values() for w in left + right}
    assert not everything & {"okafor", "ms", "44017788"}


def test_edge_conventions():
    text = "Hello Dr.Kuphal, pay £500 at 12 Quarry Lane, ask Mr. Ode. Point [-71.6,-107.6] (IBAN DE12X)."
    r = row(
        text,
        ("Dr.", "PREFIX"),
        ("Kuphal", "LASTNAME"),
        ("£", "CURRENCYSYMBOL"),
        ("500", "AMOUNT"),
        ("12 Quarry Lane", "STREET"),
        ("Mr. Ode.", "LASTNAME"),
        ("[-71.6,-107.6]", "NEARBYGPSCOORDINATE"),
        ("DE12X", "IBAN"),
    )
    text, spans = realism.text_and_mask(r)
    conv = {spans[i]["value"]: realism.edge_conventions(text, spans, i) for i in range(len(spans))}
    assert {"glued_left", "touches_span"} <= conv["Kuphal"]  # "Dr.Kuphal": no space
    assert "glued_right" in conv["Dr."] and "trailing_punct" in conv["Dr."]
    assert {"glued_left", "touches_span"} <= conv["500"] and "currency_inside" not in conv["500"]
    assert "currency_inside" in conv["£"]
    assert "digits_inside" in conv["12 Quarry Lane"] and "glued_right" not in conv["12 Quarry Lane"]
    assert {"title_inside", "trailing_punct"} <= conv["Mr. Ode."]
    assert "brackets_inside" in conv["[-71.6,-107.6]"]
    assert not {"glued_left", "glued_right"} & conv["DE12X"]  # inside brackets is not glued
    assert "title_inside" not in realism.edge_conventions("Drew", [{"start": 0, "end": 4, "label": "FIRSTNAME"}], 0)


def test_profile_counts_and_accepts_records():
    rec = Record(id="r", source_text=VISIT["source_text"], privacy_mask=VISIT["privacy_mask"])
    for p in (realism.profile([LETTER, VISIT]), realism.profile([Record(id="l", **LETTER), rec])):
        assert p.n_texts == 2 and p.entities == [5, 3] and p.sentences == [2, 2]
        assert p.classes["LASTNAME"] == 1 and sum(p.classes.values()) == 8
        assert p.touching == {"CURRENCYSYMBOL+AMOUNT": 1}  # "Ms. Okafor" has a space between
        assert p.pairs["BUILDINGNUMBER+STREET"] == 1 and p.pairs["FIRSTNAME+STREET"] == 1
        assert p.edge_rate("STREET", "digits_inside") == 0.0 and math.isnan(p.edge_rate("EMAIL", "glued_left"))
        assert p.shapes["ACCOUNTNUMBER"] == {"9+": 1} and p.value_chars["STREET"] == [11]


def test_plain_words_skip_values_and_gap_counts_tokens():
    assert realism.plain_words(VISIT["source_text"], VISIT["privacy_mask"]) == [
        "the", "nurse", "will", "visit", "on", "monday", "call", "first",
    ]  # fmt: skip
    p = realism.profile([LETTER, VISIT])
    assert "okafor" not in p.words and p.words["the"] == 1 and p.words["dear"] == 1
    ref = Counter({"oncology": 3, "the": 1})
    assert realism.vocabulary_gap(ref, Counter({"the": 9})) == pytest.approx(0.75)
    assert realism.vocabulary_gap(ref, ref) == 0 and math.isnan(realism.vocabulary_gap(Counter(), ref))
    item = "words outside values: reference tokens the corpus never writes"
    table = realism.compare(p, realism.profile([VISIT])).set_index("item")
    gap = realism.vocabulary_gap(p.words, realism.profile([VISIT]).words)
    assert gap == pytest.approx(8 / 16) and table.loc[item, "distance"] == pytest.approx(gap)  # LETTER's words


# -- distances ---------------------------------------------------------------------------------


def test_ks_statistic():
    assert realism.ks_statistic([1, 2, 3], [1, 2, 3]) == 0
    assert realism.ks_statistic([1, 2], [5, 6, 7]) == 1
    assert realism.ks_statistic([1, 2, 3], [2, 3, 4]) == pytest.approx(1 / 3)
    assert math.isnan(realism.ks_statistic([], [1]))


def test_js_divergence():
    assert realism.js_divergence({"a": 2, "b": 1}, {"a": 4, "b": 2}) == pytest.approx(0)
    assert realism.js_divergence({"a": 1}, {"b": 7}) == pytest.approx(1)
    assert realism.js_divergence({"a": 1, "b": 1}, {"a": 1}) == pytest.approx(0.3113, abs=1e-4)
    assert math.isnan(realism.js_divergence({}, {"a": 1}))


def test_identical_profiles_are_at_distance_zero():
    p = realism.profile([LETTER, VISIT])
    table = realism.compare(p, realism.profile([VISIT, LETTER]))
    assert set(table["group"]) >= {"text", "classes", "value shape", "value length", "context left", "edge"}
    assert table["distance"].fillna(0).max() == 0
    assert realism.class_table(p, p)["score"].max() == 0


def test_disjoint_corpora_are_at_distance_one():
    table = realism.compare(realism.profile([LETTER]), realism.profile([VISIT])).set_index("item")
    assert table.loc["class shares", "distance"] == pytest.approx(1)
    assert table.loc["characters per text", "distance"] == 1
    assert table.loc["LASTNAME"]["distance"].eq(1).all()  # a class the corpus lacks: every item 1
    per_class = realism.class_table(realism.profile([LETTER]), realism.profile([VISIT]))
    assert per_class["score"].eq(1).all() and list(per_class.columns) == realism.CLASS_COLUMNS


def test_compare_orders_worst_first_and_measures_edges():
    glued = row("Pay £500 now, please.", ("£", "CURRENCYSYMBOL"), ("500", "AMOUNT"))
    spaced = row("Pay £ 500 now, please.", ("£", "CURRENCYSYMBOL"), ("500", "AMOUNT"))
    table = realism.compare(realism.profile([glued, glued]), realism.profile([spaced, glued]))
    assert table["distance"].dropna().is_monotonic_decreasing
    edge = table.set_index("item").loc["AMOUNT: glued_left"]
    assert edge["distance"] == pytest.approx(0.5) and edge["reference"].startswith("1.00 (2/2)")


def test_noise_floor():
    uniform = realism.noise_floor([LETTER] * 6, repeats=3)
    assert len(uniform) and uniform["distance"].fillna(0).eq(0).all()  # halves of copies: no noise
    table = realism.compare(realism.profile([LETTER]), realism.profile([LETTER, VISIT]), floor=uniform)
    assert {"floor", "excess"} <= set(table.columns)
    shares = table.set_index("item").loc["class shares"]
    assert shares["floor"] == 0 and shares["excess"] == shares["distance"] > 0
    mixed = realism.noise_floor([LETTER, VISIT] * 4, repeats=3).set_index("item")
    assert mixed.loc["class shares", "distance"] > 0  # halves of a mixed corpus differ


def test_summary_keeps_aggregates_only():
    # a value seen once leaves no shape; a context word seen once is dropped; no value, no sentence
    rows = [
        row(f"Please ring {name} about the Kelp order today.", (name, "FIRSTNAME"))
        for name in ("Quilla", "Zenobe", "Ottoline")
    ]
    rows.append(row("Our code is x7Rq2Lm9 for the door.", ("x7Rq2Lm9", "PASSWORD")))
    p = realism.profile(rows)
    digest = realism.summary(p, p, realism.compare(p, p), "tiny")
    text = json.dumps(digest, allow_nan=False)
    for secret in ("Quilla", "Zenobe", "Ottoline", "x7Rq2Lm9", "Please ring", "for the door"):
        assert secret.lower() not in text.lower()
    per_class = digest["profiles"]["reference"]["per_class"]
    assert per_class["FIRSTNAME"]["shapes"] == {"Aa+": 3} and per_class["PASSWORD"]["shapes"] == {}
    assert per_class["FIRSTNAME"]["context_left"] == {"please": 3, "ring": 3}
    assert per_class["PASSWORD"]["context_left"] == {}  # "our", "code", "is" seen once each
    assert digest["headline"]["class_share_jsd"] == 0 and digest["headline"]["vocabulary_gap"] == 0
    assert digest["profiles"]["reference"]["distinct_plain_words"] == len(p.words)  # a count, not the words


def test_real_dataset_spec_takes_the_first_without_label_map():
    specs = [{"name": "a", "path": "x", "label_map": "300k"}, {"name": "b", "path": "y", "label_map": ""}]
    assert realdata.real_dataset_spec(specs)["name"] == "b"
    with pytest.raises(ValueError, match="label_map"):
        realdata.real_dataset_spec(specs[:1])


def test_key_numbers_show_realism(tmp_path):
    from piimask.pipeline.report import build_index, stage_numbers

    p = realism.profile([LETTER, VISIT])
    table = realism.compare(p, realism.profile([LETTER]), floor=realism.noise_floor([LETTER, VISIT], repeats=1))
    (tmp_path / "realism.json").write_text(json.dumps(realism.summary(p, p, table), allow_nan=False))
    numbers = stage_numbers(tmp_path)["03_validate"]
    assert any(k.startswith("realism: class-share JSD") for k, _ in numbers)
    assert "03_validate.html#Realism" in build_index(tmp_path, []).read_text()


# -- the guard against copying real rows -------------------------------------------------------


def realdata_files() -> list[Path]:
    """Every jsonl beside the external datasets of params/base.yaml, resolved like them (relative
    to the repo root). Missing files fail: CI always has ../shared/realdata."""
    specs = read_yaml(ROOT / "params" / "base.yaml")["external_datasets"]
    paths = [project_root(ROOT) / s["path"] for s in specs]
    missing = [str(p) for p in paths if not p.exists()]
    assert not missing, f"the real rows are missing ({', '.join(missing)}): the copy guard cannot run"
    files = sorted({f for p in paths for f in p.parent.glob("*.jsonl")})
    assert len(files) >= 3, files
    return files


def package_files() -> list[Path]:
    pkg = ROOT / "src" / "piimask"
    return sorted({p for p in (pkg / "data").rglob("*") if p.is_file()} | set(pkg.rglob("*.py")))


def test_no_real_row_wording_in_the_package():
    rows = [r for f in realdata_files() for r in read_jsonl(f)]
    assert len(rows) > 1000
    files = package_files()
    assert any(f.name == "bodies.txt" for f in files) and any(f.name == "realism.py" for f in files)
    copied = realism.copied_ngrams(files, realism.real_ngrams(rows))
    assert not copied, "8-word sequences of real rows in the package; write your own: " + "; ".join(
        f"{Path(k).relative_to(ROOT)}: {v[0]!r}" for k, v in copied.items()
    )


def test_guard_catches_a_planted_copy(tmp_path):
    # an invented stand-in for a real row; the planted file copies its wording with other case,
    # spacing and punctuation, and a placeholder where the row has its value
    fake = row(
        "Kindly note that your annual membership renews automatically unless you cancel it in writing, Ilse Brandt.",
        ("Ilse", "FIRSTNAME"),
        ("Brandt", "LASTNAME"),
    )
    grams = realism.real_ngrams([fake])
    planted = tmp_path / "bodies.txt"
    planted.write_text(
        "## FIRSTNAME\nOur own sentence about [FIRSTNAME].\n"
        "[FIRSTNAME], KINDLY note   that your annual membership renews automatically -- unless "
        "you cancel it!\n"
    )
    verbatim = tmp_path / "seed_examples.jsonl"
    verbatim.write_text(json.dumps(fake) + "\n")
    clean = tmp_path / "clean.py"
    clean.write_text('"""Your membership renews on the first of each month; cancel it any time."""\n')
    found = realism.copied_ngrams([planted, verbatim, clean], grams)
    assert sorted(found) == sorted([str(planted), str(verbatim)])
    assert "kindly note that your annual membership renews automatically" in found[str(planted)]
    assert "cancel it in writing ilse brandt" in " | ".join(found[str(verbatim)])


def test_guard_ignores_a_value_format_but_not_the_words_around_it():
    agent = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko)"
    fake = row(f"Last login from {agent} was flagged.", (agent, "USERAGENT"))
    grams = realism.real_ngrams([fake])
    assert realism.words(agent)[:8] and tuple(realism.words(agent)[:8]) not in grams  # a format, not wording
    assert tuple(realism.words(f"login from {agent}")[:8]) in grams


# -- tokenizer reality ---------------------------------------------------------------------------


def test_tokenizer_stats_count_words_pieces_and_unknowns(tokenizer):
    words = ["Geburtsdatum", "Straße", "réservation", "confirmée", "the", "account"]
    stats = realism.tokenizer_stats([" ".join(words[:4]) + " !", " ".join(words[4:]) + " ?"], tokenizer)
    pieces = [tokenizer.tokenize(w) for w in words]
    assert stats["texts"] == 2 and stats["words"] == 6 and stats["tokens"] == sum(len(p) for p in pieces)
    assert stats["tokens_per_word"] == round(stats["tokens"] / 6, 3) > 1
    assert stats["unk_rate"] == 0.0 and stats["words_with_unk"] == 0.0
    unk = realism.tokenizer_stats(["\U0001f9e9\u0a85 and"], tokenizer)  # a puzzle piece and a Gujarati letter
    assert unk["words"] == 2 and unk["unk_rate"] > 0 and unk["words_with_unk"] == 0.5
    assert realism.tokenizer_stats([], tokenizer)["tokens_per_word"] is None


def test_texts_by_language_groups_rows_and_records():
    rows = [
        {"source_text": "Hallo", "language": "German"},
        {"source_text": "Hoi", "language": "nl"},
        {"source_text": "Guten Tag", "language": "de"},
    ]
    recs = [Record(id="1", source_text="Bonjour", language="fr")]
    assert realism.texts_by_language(rows, "real") == {"real / de": ["Hallo", "Guten Tag"], "real / nl": ["Hoi"]}
    assert realism.texts_by_language(recs, "generated") == {"generated / fr": ["Bonjour"]}


def test_the_settled_table_counts_each_look_alike_by_class_and_address_family():
    def row(*spans):
        text, mask = "", []
        for label, value in spans:
            mask.append({"start": len(text), "end": len(text) + len(value), "label": label, "value": value})
            text += value + " and "
        return {"source_text": text, "privacy_mask": mask}

    ref = realism.profile(
        [row(("IP", "10.0.0.1"), ("IP", "fe80::1"), ("IPV4", "1.2.3.4")), row(("CURRENCYNAME", "Euro"))]
    )
    gen = realism.profile([row(("IPV6", "fe80::2"), ("CURRENCY", "Euro"), ("CURRENCY", "Yen"))])
    t = realism.settled_table(ref, gen).set_index(["value", "class"])
    assert (
        t.loc[("IPv4 address", "IP"), "reference spans"] == 1 and t.loc[("IPv6 address", "IP"), "reference spans"] == 1
    )
    assert (
        t.loc[("IPv4 address", "IPV4"), "reference spans"] == 1
        and t.loc[("IPv6 address", "IPV6"), "generated spans"] == 1
    )
    assert t.loc[("currency name", "CURRENCY"), "generated spans"] == 2
    assert t.loc[("currency name", "CURRENCYNAME")].tolist() == [1, 0]


def test_edge_rates_leave_out_classes_the_generated_corpus_has_none_of():
    ref = realism.profile(
        [
            {
                "source_text": "ip 10.0.0.1, pay $5",
                "privacy_mask": [{"start": 3, "end": 11, "label": "IP"}, {"start": 17, "end": 19, "label": "AMOUNT"}],
            }
        ]
    )
    gen = realism.profile([{"source_text": "pay 5 now", "privacy_mask": [{"start": 4, "end": 5, "label": "AMOUNT"}]}])
    rates = realism.edge_rates(ref, gen)
    assert rates["real"] and all(not k.startswith("IP:") for k in rates["real"])
    assert any(k.startswith("AMOUNT:") for k in rates["real"])


def test_the_lookalike_ceiling_scores_every_rule_of_form_and_cue_word():
    rows = [
        row("Maya was born on 20/03/1930.", ("20/03/1930", "DOB")),
        row("Pay by 11/04/1961 please.", ("11/04/1961", "DATE")),
        row("Pay by 12/05/1962 please.", ("12/05/1962", "DOB")),
        row("We meet on 25th March.", ("25th March", "DATE")),
    ] * 2
    cards = [
        row("The masked card 4111111111111111 was charged.", ("4111111111111111", "MASKEDNUMBER")),
        row("Your card 4222222222222222 was charged.", ("4222222222222222", "CREDITCARDNUMBER")),
    ] * 6
    t = realism.lookalike_ceiling(rows + cards, min_support=1, folds=2).set_index("class")
    assert set(t["look-alikes"]) == {"dates", "card numbers"}  # groups without spans are left out
    dates = t.loc[["DATE", "DOB"]]
    assert dates["spans"].tolist() == [4, 4] and dates["families"].tolist() == [3, 3]
    # the "Pay by" dates are a coin flip: the best rule for one class costs the other
    assert dates["best F1"].round(3).tolist() == [0.8, 0.8]
    assert sorted(dates["balanced F1"].round(3)) == [0.667, 0.8]
    assert ((0 <= dates["held-out F1"]) & (dates["held-out F1"] <= dates["best F1"])).all()
    # the cue word decides the card numbers, on the rows and on rows it has not seen
    assert (t.loc[["CREDITCARDNUMBER", "MASKEDNUMBER"], ["best F1", "balanced F1", "held-out F1"]] == 1.0).all().all()
