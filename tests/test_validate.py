"""The quality gate: one hand-written record per reason code, and a clean record that passes."""

import pytest

from piimask.core.record import Record
from piimask.pipeline.dataset import assert_no_leak, check_reference, split_group, split_records
from piimask.pipeline.validate import gate, record_reasons


def rec(text, mask, **kw):
    """A record whose privacy_mask is given as (value, label) in order of appearance."""
    pm, cursor = [], 0
    for value, label in mask:
        start = text.index(value, cursor)
        pm.append({"value": value, "start": start, "end": start + len(value), "label": label})
        cursor = start + len(value)
    return Record(id=kw.pop("id", "r"), source_text=text, target_text=kw.pop("target_text", ""), privacy_mask=pm, **kw)


CLEAN = rec(
    "Dear Ann Lee, your refund of 120.50 was sent to ann.lee@example.org on 12/03/2024.",
    [
        ("Ann", "FIRSTNAME"),
        ("Lee", "LASTNAME"),
        ("120.50", "AMOUNT"),
        ("ann.lee@example.org", "EMAIL"),
        ("12/03/2024", "DATE"),
    ],
)


def test_clean_record_passes_every_check():
    assert record_reasons(CLEAN) == []
    accepted, rejected = gate([CLEAN])
    assert accepted == [CLEAN] and rejected == []


@pytest.mark.parametrize(
    "record,reason",
    [
        (rec("I'm sorry, but I cannot create that text about Ann.", [("Ann", "FIRSTNAME")]), "refusal"),
        (rec("Here is the email: Dear Ann, your order shipped.", [("Ann", "FIRSTNAME")]), "preamble"),
        (rec("Dear Ann, please confirm your [EMAIL] address today.", [("Ann", "FIRSTNAME")]), "placeholder_left"),
        (rec("Dear Ann, please confirm your [NAME] address today.", [("Ann", "FIRSTNAME")]), "unknown_label"),
        (rec("Dear customer, your order has shipped and will arrive soon.", []), "no_pii"),
        (
            Record(
                id="m",
                source_text="Dear Ann, your order has shipped and will arrive soon.",
                privacy_mask=[{"value": "Ann", "start": 6, "end": 9, "label": "FIRSTNAME"}],
            ),
            "span_mismatch",
        ),
        (
            Record(
                id="o",
                source_text="Dear Ann Lee, your order has shipped and will arrive soon.",
                privacy_mask=[
                    {"value": "Ann Lee", "start": 5, "end": 12, "label": "FIRSTNAME"},
                    {"value": "Lee", "start": 9, "end": 12, "label": "LASTNAME"},
                ],
            ),
            "span_overlap",
        ),
        (
            Record(
                id="b",
                source_text="Dear Ann, your order has shipped and will arrive soon.",
                privacy_mask=[{"value": "x", "start": 90, "end": 91, "label": "FIRSTNAME"}],
            ),
            "span_out_of_bounds",
        ),
        (rec("Hi Ann.", [("Ann", "FIRSTNAME")]), "too_short"),
        (rec("Dear Ann, " + "the order has shipped. " * 40, [("Ann", "FIRSTNAME")]), "too_long"),
        (
            rec("Dear Ann, write to ann.lee@example.org for your order status.", [("Ann", "FIRSTNAME")]),
            "unlabelled_pii",
        ),
        (
            rec("Dear Ann, your card 4111 1111 1111 1111 was charged for the order.", [("Ann", "FIRSTNAME")]),
            "unlabelled_pii",
        ),
        (
            rec("Dear Ann, your order was placed from 10.20.30.40 this morning.", [("Ann", "FIRSTNAME")]),
            "unlabelled_pii",
        ),
        (
            rec(
                "Dear Ann, write to ann.lee-at-example.org for your order status.",
                [("Ann", "FIRSTNAME"), ("ann.lee-at-example.org", "EMAIL")],
            ),
            "format_mismatch:EMAIL",
        ),
        (
            rec(
                "Dear Ann, your order was placed from 10.20.30.400 this morning.",
                [("Ann", "FIRSTNAME"), ("10.20.30.400", "IPV4")],
            ),
            "format_mismatch:IPV4",
        ),
    ],
)
def test_each_reason_code(record, reason):
    assert reason in record_reasons(record), record_reasons(record)
    accepted, rejected = gate([record])
    assert accepted == [] and reason in rejected[0].reject_reasons  # kept, with its reason


def test_exact_and_near_duplicates():
    a = rec(
        "Dear Ann, your refund of 120.50 was sent on 12/03/2024.",
        [("Ann", "FIRSTNAME"), ("120.50", "AMOUNT")],
        id="a",
        target_text="Dear [FIRSTNAME], your refund of [AMOUNT] was sent on 12/03/2024.",
    )
    b = rec(a.source_text, [("Ann", "FIRSTNAME"), ("120.50", "AMOUNT")], id="b", target_text=a.target_text)
    c = rec(
        "Dear Bob, your refund of 99.10 was sent on 12/03/2024!",
        [("Bob", "FIRSTNAME"), ("99.10", "AMOUNT")],
        id="c",
        target_text="dear [FIRSTNAME], your refund of [AMOUNT] was sent on 12/03/2025!",
    )
    accepted, rejected = gate([a, b, c])
    assert [r.id for r in accepted] == ["a"]
    assert rejected[0].reject_reasons == ["duplicate"] and rejected[1].reject_reasons == ["near_duplicate"]


def test_upstream_rejections_are_kept():
    r = rec("Here is your text.", [], reject_reasons=["preamble", "no_placeholders"])
    assert gate([r])[1][0].reject_reasons == ["preamble", "no_placeholders"]


def _records(n=200):
    return [Record(id=f"r{i}", source_text=f"text {i}", template_id=f"f{i % 20:02d}/b{i}") for i in range(n)]


def test_split_keeps_template_groups_apart_and_is_seeded():
    splits = split_records(_records(), 0.1, 0.1, seed=3)
    groups = assert_no_leak(splits)
    assert not (groups["train"] & groups["test"]) and not (groups["validation"] & groups["test"])
    assert all(splits[s] for s in ("train", "validation", "test"))
    again = split_records(_records(), 0.1, 0.1, seed=3)
    assert {s: [r.id for r in v] for s, v in again.items()} == {s: [r.id for r in v] for s, v in splits.items()}
    other = split_records(_records(), 0.1, 0.1, seed=4)
    assert {r.id for r in other["test"]} != {r.id for r in splits["test"]}
    assert split_group(Record(id="x", source_text="", example_id="ex9")) == "example/ex9"


def test_leak_is_detected():
    a, b = _records(2)
    b.template_id = a.template_id
    with pytest.raises(AssertionError, match="leak"):
        assert_no_leak({"train": [a], "test": [b]})


def test_check_against_original_dataset_finds_disagreements():
    row = {
        "id": 1,
        "source_text": "Call Zoë at 555-0100",
        "span_labels": '[[0, 5, "O"], [5, 8, "FIRSTNAME"], [8, 12, "O"], [12, 20, "PHONENUMBER"]]',
        "privacy_mask": [
            {"value": "Zoë", "start": 5, "end": 8, "label": "FIRSTNAME"},
            {"value": "555-0100", "start": 12, "end": 20, "label": "PHONENUMBER"},
        ],
        "mbert_text_tokens": ["Call", "Zo", "##ë", "at", "555", "-", "01", "##00"],
        "mbert_bio_labels": [
            "O",
            "B-FIRSTNAME",
            "I-FIRSTNAME",
            "O",
            "B-PHONENUMBER",
            "I-PHONENUMBER",
            "I-PHONENUMBER",
            "I-PHONENUMBER",
        ],
    }
    ok = check_reference([row])
    assert ok["span_labels_agree_pct"] == 100.0 and ok["bio_rows_agree_pct"] == 100.0
    bad = dict(
        row,
        mbert_bio_labels=[
            "O",
            "I-FIRSTNAME",
            "I-FIRSTNAME",
            "O",
            "B-PHONENUMBER",
            "I-PHONENUMBER",
            "I-PHONENUMBER",
            "I-PHONENUMBER",
        ],
        span_labels='[[0, 4, "O"], [4, 8, "FIRSTNAME"], [8, 20, "O"]]',
    )
    res = check_reference([bad])
    assert res["bio_rows_agree_pct"] == 0.0 and res["span_labels_agree_pct"] == 0.0
    assert {d["what"] for d in res["disagreements"]} == {"span_labels", "bio"}


def test_b_count_mismatches_are_explained_by_shared_tokens(tokenizer):
    from piimask.pipeline.dataset import label_records
    from piimask.pipeline.validate import b_count_causes

    # the uncased WordPiece vocabulary has no "₪": "₪1234" is one [UNK], which begins AMOUNT (it overlaps it most)
    glued = rec(
        "Please pay ₪1234 by Friday, Ann.",
        [("₪", "CURRENCYSYMBOL"), ("1234", "AMOUNT"), ("Ann", "FIRSTNAME")],
        id="glued",
    )
    spaced = rec(
        "Please pay £ 1,234 by Friday, Ann.",
        [("£", "CURRENCYSYMBOL"), ("1,234", "AMOUNT"), ("Ann", "FIRSTNAME")],
        id="spaced",
    )
    label_records([glued, spaced], tokenizer)
    assert "[UNK]" in glued.mbert_text_tokens
    assert sum(lab.startswith("B-") for lab in glued.mbert_bio_labels) == 2  # three entities, two B-
    assert b_count_causes([glued, spaced]) == {"shared_token": 1}
    broken = rec("Dear Ann Lee, see you.", [("Ann", "FIRSTNAME"), ("Lee", "LASTNAME")], id="broken")
    label_records([broken], tokenizer)
    broken.mbert_bio_labels = ["O" if lab == "B-LASTNAME" else lab for lab in broken.mbert_bio_labels]
    assert b_count_causes([broken]) == {"other": 1}  # a lost B- with no shared token is a bug, not explained away


def test_near_duplicates_in_accented_text():
    fr = "Bonjour [FIRSTNAME], votre réservation est confirmée : rendez-vous le [DATE] à la clinique."
    variants = [
        fr.replace(" :", "\u00a0:"),  # a non-breaking space before the colon
        fr.upper(),  # ... and upper case, whose É folds back
        "Bonjour [FIRSTNAME], votre re\u0301servation est confirme\u0301e : rendez-vous le [DATE] a\u0300 la clinique.",
        fr.replace("réservation", "reservation").replace("confirmée", "confirmee"),
    ]  # typed without accents
    recs = [
        rec(
            f"Bonjour Zoé, votre réservation numéro {i} est confirmée pour la clinique de Genève.",
            [("Zoé", "FIRSTNAME")],
            id=f"v{i}",
            target_text=t,
        )
        for i, t in enumerate([fr] + variants)
    ]
    accepted, rejected = gate(recs)
    assert [r.id for r in accepted] == ["v0"] and all(r.reject_reasons == ["near_duplicate"] for r in rejected)
    other = rec(
        "Bonjour Zoé, votre réservation numéro 9 est annulée pour la clinique de Genève.",
        [("Zoé", "FIRSTNAME")],
        id="w",
        target_text=fr.replace("confirmée", "annulée"),
    )  # one other word: not a duplicate
    de_a = rec(
        "Guten Tag Jörg, Ihre Straße wurde im Formular geändert, bitte prüfen.",
        [("Jörg", "FIRSTNAME")],
        id="d1",
        target_text="Guten Tag [FIRSTNAME], Ihre Straße wurde im Formular geändert.",
    )
    de_b = rec(
        "GUTEN TAG Jörg, IHRE STRASSE wurde im Formular geändert, bitte prüfen!",
        [("Jörg", "FIRSTNAME")],
        id="d2",
        target_text="GUTEN TAG [FIRSTNAME], IHRE STRASSE WURDE IM FORMULAR GEÄNDERT.",
    )
    accepted, rejected = gate([recs[0], other, de_a, de_b])
    assert [r.id for r in accepted] == ["v0", "w", "d1"] and rejected[0].reject_reasons == ["near_duplicate"]


@pytest.mark.parametrize(
    "text,value,label",
    [
        ("Bonjour Zoé, rappelez-nous au 06 12 34 56 78 avant vendredi, merci.", "06 12 34 56 78", "PHONENUMBER"),
        ("Guten Tag Jörg, Sie erreichen uns unter 030 12345678 oder per Mail.", "030 12345678", "PHONENUMBER"),
        ("Beste Sanne, bel ons terug op 020-1234567 als het u uitkomt.", "020-1234567", "PHONENUMBER"),
        ("Ciao Luca, chiamami al +39 333 1234567 quando arrivi in stazione.", "+39 333 1234567", "PHONENUMBER"),
        ("Beste Sanne, uw nieuwe adres heeft postcode 1234 AB in het systeem.", "1234 AB", "ZIPCODE"),
        ("Guten Tag Jörg, die Postleitzahl 01067 steht jetzt im Formular.", "01067", "ZIPCODE"),
        ("Ciao Luca, il codice fiscale RSSMRA85T10A562S è stato registrato.", "RSSMRA85T10A562S", "SSN"),
        (
            "Bonjour Zoé, votre numéro de sécurité sociale 1 85 05 78 006 084 36 est enregistré.",
            "1 85 05 78 006 084 36",
            "SSN",
        ),
    ],
)
def test_the_locales_formats_pass_the_gate(text, value, label):
    first = text.split(",")[0].split()[-1]
    r = rec(text, [(first, "FIRSTNAME"), (value, label)])
    assert record_reasons(r) == []


@pytest.mark.parametrize(
    "text",
    [
        "Bonjour Zoé, rappelez-nous au 06 12 34 56 78 avant vendredi, merci.",
        "Guten Tag Jörg, Sie erreichen uns unter (089) 1234567 oder per Mail.",
        "Beste Sanne, bel ons terug op +31 (0)20 123 4567 als het u uitkomt.",
    ],
)
def test_a_locale_phone_left_in_clear_is_unlabelled_pii(text):
    first = text.split(",")[0].split()[-1]
    assert "unlabelled_pii" in record_reasons(rec(text, [(first, "FIRSTNAME")]))
