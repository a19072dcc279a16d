"""Metrics on hand-made gold/prediction pairs whose scores are known by hand."""

from collections import Counter

import pytest

from piimask.pipeline.evaluate import (
    confused_pairs,
    confusion,
    entity_metrics,
    leak_rate,
    map_labels,
    pii_token_recall,
    span_metrics,
)

GOLD_TAGS = [["B-FIRSTNAME", "O", "B-EMAIL", "I-EMAIL", "O"]]


def test_perfect_prediction():
    m = entity_metrics(GOLD_TAGS, GOLD_TAGS)
    assert m["micro"]["f1"] == 1.0 and m["per_class"]["EMAIL"]["number"] == 1
    spans = [[(0, 4, "FIRSTNAME"), (10, 25, "EMAIL")]]
    s = span_metrics(spans, spans)
    assert s["strict"]["micro"]["f1"] == 1.0 and s["overlap"]["micro"]["f1"] == 1.0
    assert leak_rate(spans, spans)["overall"] == 0.0


def test_wrong_class():
    pred = [["B-LASTNAME", "O", "B-EMAIL", "I-EMAIL", "O"]]
    m = entity_metrics(GOLD_TAGS, pred)
    # 1 of 2 predicted right, 1 of 2 gold found: P = R = F1 = 0.5
    assert m["micro"]["precision"] == pytest.approx(0.5) and m["micro"]["recall"] == pytest.approx(0.5)
    assert m["per_class"]["FIRSTNAME"]["recall"] == 0.0 and m["per_class"]["EMAIL"]["f1"] == 1.0
    gold = [[(0, 4, "FIRSTNAME"), (10, 25, "EMAIL")]]
    predspans = [[(0, 4, "LASTNAME"), (10, 25, "EMAIL")]]
    # a wrong class still masks the characters: nothing leaks
    assert leak_rate(gold, predspans)["overall"] == 0.0
    c = confusion(gold, predspans)
    assert c[("FIRSTNAME", "LASTNAME")] == 1 and c[("EMAIL", "EMAIL")] == 1
    assert confused_pairs(c) == [{"pair": "FIRSTNAME / LASTNAME", "count": 1, "a->b": 1, "b->a": 0}]


def test_confused_pairs_make_one_table_with_both_directions():
    from collections import Counter

    c = Counter({("DOB", "DATE"): 5, ("DATE", "DOB"): 2, ("IP", "IPV4"): 4, ("EMAIL", "EMAIL"): 9, ("O", "CITY"): 3})
    rows = confused_pairs(c)
    assert [list(r) for r in rows] == [["pair", "count", "a->b", "b->a"]] * 2  # same columns on every row
    assert rows[0] == {"pair": "DATE / DOB", "count": 7, "a->b": 2, "b->a": 5}
    assert rows[1] == {"pair": "IP / IPV4", "count": 4, "a->b": 4, "b->a": 0}


def test_boundary_error():
    pred = [["B-FIRSTNAME", "O", "B-EMAIL", "O", "O"]]  # the e-mail cut short
    m = entity_metrics(GOLD_TAGS, pred)
    assert m["per_class"]["EMAIL"]["f1"] == 0.0 and m["micro"]["f1"] == pytest.approx(0.5)
    gold = [[(0, 4, "FIRSTNAME"), (10, 20, "EMAIL")]]
    pred_s = [[(0, 4, "FIRSTNAME"), (10, 15, "EMAIL")]]
    s = span_metrics(gold, pred_s)
    assert s["strict"]["micro"]["f1"] == pytest.approx(0.5)  # strict: the e-mail is wrong
    assert s["overlap"]["micro"]["f1"] == 1.0  # overlap: it counts
    lr = leak_rate(gold, pred_s)
    assert lr["overall"] == pytest.approx(5 / 14) and lr["per_class"]["EMAIL"] == pytest.approx(0.5)


def test_missed_entity():
    pred = [["B-FIRSTNAME", "O", "O", "O", "O"]]
    m = entity_metrics(GOLD_TAGS, pred)
    assert m["micro"]["precision"] == 1.0 and m["micro"]["recall"] == pytest.approx(0.5)
    assert pii_token_recall(GOLD_TAGS, pred) == pytest.approx(1 / 3)
    gold = [[(0, 4, "FIRSTNAME"), (10, 20, "EMAIL")]]
    lr = leak_rate(gold, [[(0, 4, "FIRSTNAME")]])
    assert lr["overall"] == pytest.approx(10 / 14) and lr["per_class"]["EMAIL"] == 1.0
    assert confusion(gold, [[(0, 4, "FIRSTNAME")]])[("EMAIL", "O")] == 1
    fp = confusion([[]], [[(3, 6, "CITY")]])
    assert fp[("O", "CITY")] == 1


def test_label_map_translates_and_reports_unmapped():
    rows = [
        {
            "source_text": "Ann Lee, passport X1234567, tel 555",
            "privacy_mask": [
                {"start": 0, "end": 3, "label": "GIVENNAME1", "value": "Ann"},
                {"start": 4, "end": 7, "label": "LASTNAME1", "value": "Lee"},
                {"start": 18, "end": 26, "label": "PASSPORT", "value": "X1234567"},
                {"start": 32, "end": 35, "label": "TEL", "value": "555"},
            ],
        }
    ]
    mapped, unmapped = map_labels(rows, {"GIVENNAME1": "FIRSTNAME", "LASTNAME1": "LASTNAME", "TEL": "PHONENUMBER"})
    assert [e["label"] for e in mapped[0]["privacy_mask"]] == ["FIRSTNAME", "LASTNAME", "PHONENUMBER"]
    assert unmapped == {"PASSPORT": 1} and mapped[0]["unmapped_mask"][0]["value"] == "X1234567"
    same, none = map_labels([{"source_text": "x", "privacy_mask": [{"start": 0, "end": 1, "label": "PIN"}]}], None)
    assert same[0]["privacy_mask"][0]["label"] == "PIN" and not none
    # another scheme's IP covers both families: scored as the value's family; the 200k's own IP stays
    ips = [
        {
            "source_text": "from 10.0.0.1 or fe80::1",
            "privacy_mask": [{"start": 5, "end": 13, "label": "IP"}, {"start": 17, "end": 24, "label": "IP"}],
        }
    ]
    assert [e["label"] for e in map_labels(ips, {"IP": "IP"})[0][0]["privacy_mask"]] == ["IPV4", "IPV6"]
    assert [e["label"] for e in map_labels(ips, None)[0][0]["privacy_mask"]] == ["IP", "IP"]


def test_leak_rate_with_no_gold_is_zero():
    assert leak_rate([[]], [[(0, 3, "CITY")]])["overall"] == 0.0
    assert leak_rate([], [])["per_class"] == {}


def test_edges_ignore_the_class_but_not_the_boundaries():
    gold = [[(0, 4, "FIRSTNAME"), (10, 20, "DATE"), (30, 35, "CITY")]]
    pred = [[(0, 4, "MIDDLENAME"), (10, 20, "DOB"), (30, 34, "CITY")]]
    s = span_metrics(gold, pred)
    assert s["strict"]["micro"]["f1"] == 0.0
    assert s["edges"]["micro"]["precision"] == pytest.approx(2 / 3)
    assert s["edges"]["micro"]["recall"] == pytest.approx(2 / 3)
    # per class: precision over the spans predicted as the class, recall over its gold spans
    assert s["edges"]["per_class"]["DOB"] == {"precision": 1.0, "recall": 0.0, "f1": 0.0, "number": 0}
    assert s["edges"]["per_class"]["DATE"] == {"precision": 0.0, "recall": 1.0, "f1": 0.0, "number": 1}
    assert all(0 <= v["precision"] <= 1 for v in s["edges"]["per_class"].values())


# -- per language --------------------------------------------------------------------------------


class WordTagger:
    """Stands in for the model: tags the given words with the given classes."""

    def __init__(self, words):
        self.words, self.calls = words, 0

    def tag(self, texts):
        from piimask.runtime.predict import TaggedText

        self.calls += 1
        out = []
        for t in texts:
            offsets, labels, i = [], [], 0
            for w in t.split(" "):
                offsets.append((i, i + len(w)))
                labels.append("B-" + self.words[w] if w in self.words else "O")
                i += len(w) + 1
            out.append(TaggedText(t, offsets, labels, [0.9] * len(labels)))
        return out


def lrow(text, language, *spans, unmapped=()):
    mask = [{"value": v, "start": text.index(v), "end": text.index(v) + len(v), "label": lab} for v, lab in spans]
    um = [{"value": v, "start": text.index(v), "end": text.index(v) + len(v), "label": lab} for v, lab in unmapped]
    return {"source_text": text, "language": language, "privacy_mask": mask, "unmapped_mask": um}


def test_split_by_language_reads_names_and_codes():
    from piimask.pipeline.evaluate import split_by_language

    rows = [{"language": "Dutch"}, {"language": "fr"}, {"language": "nl-NL"}, {}, {"language": "Klingon"}]
    assert split_by_language(rows) == {"nl": [0, 2], "fr": [1], "en": [3], "other": [4]}


def test_evaluate_by_language_tags_once_and_scores_each_language():
    from piimask.pipeline.evaluate import evaluate_by_language, language_table

    rows = [
        lrow("Bel Sanne op 0612345678 vandaag", "Dutch", ("Sanne", "FIRSTNAME"), ("0612345678", "PHONENUMBER")),
        lrow("Appelez Zoé au 0612345678 demain", "French", ("Zoé", "FIRSTNAME"), ("0612345678", "PHONENUMBER")),
        lrow("Rufen Sie Jörg an, Pass X1234567", "German", ("Jörg", "FIRSTNAME"), unmapped=[("X1234567", "PASSPORT")]),
    ]
    tagger = WordTagger({"Sanne": "FIRSTNAME", "0612345678": "PHONENUMBER", "Zoé": "FIRSTNAME"})
    whole, parts = evaluate_by_language(tagger, rows, "300k", Counter({"PASSPORT": 1}))
    assert tagger.calls == 1 and list(parts) == ["nl", "fr", "de"] and whole.rows == 3
    assert parts["nl"].summary()["leak_rate"] == 0.0 and parts["nl"].summary()["entity_recall"] == 1.0
    assert parts["fr"].summary()["entity_recall"] == pytest.approx(1.0)
    de = parts["de"].summary()
    assert de["leak_rate"] == 1.0 and de["entity_recall"] == 0.0  # "Jörg," was not found
    # the passport number has no class here: out of the entity scores and the leak rate, in the all-PII leak
    assert de["unmapped_classes"] == {"PASSPORT": 1}
    assert de["leak_rate_all_pii"] == 1.0 and parts["nl"].summary()["leak_rate_all_pii"] == 0.0
    assert whole.summary()["leak_rate_all_pii"] == pytest.approx((4 + 8) / (5 + 10 + 3 + 10 + 4 + 8))
    table = language_table({"300k": parts}, {"300k": "300k"})
    assert [(r["dataset"], r["language"], r["rows"]) for r in table] == [
        ("300k", "nl", 1),
        ("300k", "fr", 1),
        ("300k", "de", 1),
    ]
    assert table[2]["labels"] == "300k scheme, mapped classes" and table[2]["leak_rate"] == 1.0
    assert language_table({"200k": {"en": whole}})[0]["labels"] == "200k scheme"


def test_leak_shares_split_each_languages_leak_by_class_and_add_up(tmp_path):
    from piimask.pipeline import viz
    from piimask.pipeline.evaluate import evaluate_by_language, leak_shares

    rows = [
        lrow(
            "Bel Sanne op 0612345678 in Utrecht",
            "nl",
            ("Sanne", "FIRSTNAME"),
            ("0612345678", "PHONENUMBER"),
            ("Utrecht", "CITY"),
        ),
        lrow("Appelez Zoé au 0612345678 demain", "fr", ("Zoé", "FIRSTNAME"), ("0612345678", "PHONENUMBER")),
    ]
    tagger = WordTagger({"Sanne": "FIRSTNAME", "Zoé": "FIRSTNAME"})
    _, parts = evaluate_by_language(tagger, rows, "300k")
    nl = parts["nl"].leak
    # Dutch: the phone number (10) and the town (7) of 22 PII characters left unmasked
    assert nl["share_per_class"] == pytest.approx({"CITY": 7 / 22, "FIRSTNAME": 0.0, "PHONENUMBER": 10 / 22})
    assert sum(nl["share_per_class"].values()) == pytest.approx(nl["overall"])
    table, classes = leak_shares({"300k": parts}, top=1)
    # the class with the largest part anywhere (the French phone number: 10 of 13 characters) is shown
    assert classes == ["PHONENUMBER"]
    assert [(r["dataset"], r["language"]) for r in table] == [("300k", "nl"), ("300k", "fr")]
    assert table[1]["PHONENUMBER"] == pytest.approx(10 / 13) and table[1]["other"] == pytest.approx(0.0)
    assert table[0]["other"] == pytest.approx(7 / 22)  # the town, not among the top classes
    for r in table:
        assert r["PHONENUMBER"] + r["other"] == pytest.approx(r["leak_rate"])
    assert leak_shares({"300k": parts}, top=5)[1] == ["PHONENUMBER", "CITY"]  # classes that never leak left out
    path = tmp_path / "leak.png"
    viz.stacked_bars({f"{r['language']}": r for r in table}, [*classes, "other"], "leak", path)
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_the_masking_curve_counts_values_of_untranslated_classes_neither_way():
    from piimask.pipeline.evaluate import threshold_curve

    rows = [
        lrow("Rufen Sie Jörg an, Pass X1234567", "German", ("Jörg", "FIRSTNAME"), unmapped=[("X1234567", "PASSPORT")]),
        lrow("Bel Sanne op 0612345678 vandaag", "Dutch", ("Sanne", "FIRSTNAME")),
    ]
    tagger = WordTagger({"X1234567": "SSN", "Sanne": "FIRSTNAME", "vandaag": "CITY"})
    (point,) = threshold_curve(tagger, rows, [0.5])
    # "Jörg" left: the leak of the translated classes only (the passport number is not in it)
    assert point["pii_chars"] == 4 + 5 and point["leaked_chars"] == 4
    # the passport number masked is no over-masking; "vandaag" is (the phone number too, unlabelled)
    assert point["over_masked_chars"] == len("vandaag") + len("0612345678")
    assert point["non_pii_chars"] == len("RufenSieJörgan,Pass") - 4 + len("Belopvandaag") + len("0612345678")


def test_join_rows_moves_every_span_with_its_text():
    from piimask.pipeline.evaluate import join_rows

    rows = [
        {
            "source_text": "Mail ann@lee.io now.",
            "privacy_mask": [{"label": "EMAIL", "start": 5, "end": 15, "value": "ann@lee.io"}],
        },
        {"source_text": "No values here."},
        {
            "source_text": "Ring 555-0100.",
            "privacy_mask": [{"label": "PHONENUMBER", "start": 5, "end": 13, "value": "555-0100"}],
        },
    ]
    doc = join_rows(rows)
    assert doc["source_text"] == "Mail ann@lee.io now.\n\nNo values here.\n\nRing 555-0100."
    assert [doc["source_text"][e["start"] : e["end"]] for e in doc["privacy_mask"]] == ["ann@lee.io", "555-0100"]
    assert [e["label"] for e in doc["privacy_mask"]] == ["EMAIL", "PHONENUMBER"]


class LexiconTagger(WordTagger):
    """A WordTagger whose texts carry a value lexicon, as TokenTagger's do; ``leans``: words the
    model leaves O but whose best non-O class it names."""

    def __init__(self, words, lexicon, leans=None):
        super().__init__(words)
        self.lexicon, self.leans = lexicon, leans or {}

    def tag(self, texts):
        from piimask.runtime.predict import TaggedText

        out = []
        for t in super().tag(texts):
            best = [
                "B-" + self.leans[t.text[s:e]] if lab == "O" and t.text[s:e] in self.leans else lab
                for (s, e), lab in zip(t.offsets, t.labels)
            ]
            out.append(TaggedText(t.text, t.offsets, t.labels, pii_labels=best, lexicon=self.lexicon))
        return out


def test_the_lexicon_effect_scores_the_same_tagging_with_and_without_it():
    from piimask.pipeline.evaluate import lexicon_effect
    from piimask.runtime.lexicon import ValueLexicon

    rows = [  # (a label-built TaggedText knows only the classes its text carries: Kai brings MIDDLENAME)
        lrow("Kai and Rowan Smith", "en", ("Kai", "MIDDLENAME"), ("Rowan", "MIDDLENAME"), ("Smith", "LASTNAME")),
        lrow("Hi Ann and Rowan Kai", "en", ("Ann", "FIRSTNAME"), ("Rowan", "MIDDLENAME"), ("Kai", "MIDDLENAME")),
    ]
    words = {"Rowan": "FIRSTNAME", "Smith": "LASTNAME", "Ann": "FIRSTNAME", "Kai": "MIDDLENAME"}
    assert lexicon_effect(WordTagger(words), rows) is None  # no lexicon: nothing to compare
    lex = ValueLexicon([("FIRSTNAME", "MIDDLENAME", "LASTNAME")], [{"Rowan": "MIDDLENAME"}])
    tagger = LexiconTagger(words, lex)
    effect = lexicon_effect(tagger, rows, "real")
    assert tagger.calls == 1 and effect["dataset"] == "real" and effect["values"] == 1
    assert effect["entities"] == 6 and effect["labels_changed"] == 2
    assert effect["with"]["entity_f1"] == 1.0 and effect["without"]["entity_f1"] == pytest.approx(4 / 6, abs=1e-4)
    assert effect["with"]["span_edges_f1"] == effect["without"]["span_edges_f1"] == 1.0
    assert effect["shape_dropped"] == 0 and effect["cased"] == effect["titled"] == effect["signless"] == []
    # a cased class written in lower case in a cased text: the argmax tags drop it, and say so
    rows.append(lrow("Call Ann about the account today.", "en", ("Ann", "FIRSTNAME")))
    words["account"] = "ACCOUNTNAME"
    lex = ValueLexicon(
        [("FIRSTNAME", "MIDDLENAME", "LASTNAME")], [{"Rowan": "MIDDLENAME"}], cased=["ACCOUNTNAME"], titled=["CITY"]
    )
    effect = lexicon_effect(LexiconTagger(words, lex), rows, "real")
    assert effect["titled"] == ["CITY"] and effect["signless"] == []
    assert effect["entities"] == 8 and effect["labels_changed"] == 2 and effect["shape_dropped"] == 1
    assert effect["cased"] == ["ACCOUNTNAME"] and effect["with"]["entity_f1"] == 1.0
    assert effect["closed"] == [] and effect["composed"] == [] and effect["suffixed"] == [] and effect["drawn"] == 0
    # a value of a closed class the model left O but leans to: drawn anew, and counted
    rows.append(lrow("Brief the Operations team.", "en", ("Operations", "JOBAREA")))
    lex = ValueLexicon([], [], closed={"JOBAREA": ["Operations"]})
    effect = lexicon_effect(LexiconTagger(words, lex, leans={"Operations": "JOBAREA"}), rows, "real")
    assert effect["closed"] == ["JOBAREA"] and effect["drawn"] == 1 and effect["shape_dropped"] == 0
    assert effect["with"]["entity_recall"] > effect["without"]["entity_recall"]


def _curve(*points):
    return [{"threshold": t, "leak_rate": leak, "over_mask_rate": om} for t, leak, om in points]


def test_threshold_rule_takes_the_highest_that_meets_both_targets():
    from piimask.pipeline.evaluate import choose_threshold

    curve = _curve((0.1, 0.002, 0.05), (0.5, 0.004, 0.02), (0.9, 0.008, 0.01))
    choice = choose_threshold(curve, 0.005, 0.03)
    assert (choice["threshold"], choice["rule"]) == (0.5, 1)
    # no threshold meets both: the least leak within the over-mask limit
    choice = choose_threshold(curve, 0.001, 0.03)
    assert (choice["threshold"], choice["rule"]) == (0.5, 2)
    # every threshold over-masks: the least over-mask
    assert choose_threshold(curve, 0.005, 0.001)["threshold"] == 0.9


def test_threshold_rule_keeps_other_rows_within_their_own_leak_target():
    from piimask.pipeline.evaluate import choose_threshold

    english = _curve((0.1, 0.002, 0.025), (0.5, 0.003, 0.02), (0.9, 0.004, 0.01))
    french = _curve((0.1, 0.015, 0.20), (0.5, 0.019, 0.15), (0.9, 0.025, 0.10))
    assert choose_threshold(english, 0.005, 0.03)["threshold"] == 0.9
    choice = choose_threshold(english, 0.005, 0.03, {"300k fr": (french, 0.02)})
    assert (choice["threshold"], choice["rule"]) == (0.5, 1) and "300k fr" in choice["reason"]
    # the other rows' over-mask (another scheme) does not count against a threshold
    assert choose_threshold(english, 0.005, 0.03, {"300k fr": (french, 0.03)})["threshold"] == 0.9
    # none meets every target: the least worst leak as a share of its own target within the
    # over-mask limit (French 1.5, 1.9, 2.5 times its 1 % at 0.1, 0.5, 0.9)
    choice = choose_threshold(english, 0.005, 0.03, {"300k fr": (french, 0.01)})
    assert (choice["threshold"], choice["rule"]) == (0.1, 2)
    with pytest.raises(ValueError, match="lacks the thresholds"):
        choose_threshold(english, 0.005, 0.03, {"300k fr": (french[:2], 0.02)})


def test_leak_targets_name_a_dataset_or_one_of_its_languages():
    from piimask.pipeline.stages import leak_targets

    curves = dict.fromkeys(
        ["200k", "200k joined", "300k-en", "300k-nl-fr-de nl", "300k-nl-fr-de fr", "300k-nl-fr-de de", "synthetic-test"]
    )
    also, unchecked = leak_targets({"300k-nl-fr-de fr": 0.03, "300k-nl-fr-de": 0.02, "43k": 0.02}, curves)
    assert also == {"300k-nl-fr-de nl": 0.02, "300k-nl-fr-de fr": 0.03, "300k-nl-fr-de de": 0.02}
    assert unchecked == ["43k"]
