"""Decoding a value written without spaces as one entity (predict.word_consistent)."""

from piimask.runtime.predict import TaggedText


def spans(text, offsets, labels):
    return [(e["start"], e["end"], e["label"]) for e in TaggedText(text, offsets, labels).entities()]


def test_a_value_joined_by_dots_underscores_or_at_signs_is_one_entity():
    text = "user Harley.Mertz51 here"
    offsets = [(0, 4), (5, 11), (11, 12), (12, 15), (15, 17), (17, 19), (20, 24)]
    labels = ["O", "B-USERNAME", "B-FIRSTNAME", "B-LASTNAME", "I-LASTNAME", "I-LASTNAME", "O"]
    assert spans(text, offsets, labels) == [(5, 19, "USERNAME")]
    text = "mail Lilly_Mc@x.com now"
    offsets = [(0, 4), (5, 10), (10, 11), (11, 13), (13, 14), (14, 15), (15, 16), (16, 19), (20, 23)]
    labels = ["O", "B-EMAIL", "B-USERNAME", "B-LASTNAME", "B-EMAIL", "I-EMAIL", "I-EMAIL", "I-EMAIL", "O"]
    assert spans(text, offsets, labels) == [(5, 19, "EMAIL")]


def test_a_currency_sign_a_space_or_a_leading_o_keeps_values_apart():
    # "$706993": the sign is not a joiner, so the sign and the amount stay two entities
    assert spans("$706993", [(0, 1), (1, 4), (4, 7)], ["B-CURRENCYSYMBOL", "B-AMOUNT", "I-AMOUNT"]) == [
        (0, 1, "CURRENCYSYMBOL"),
        (1, 7, "AMOUNT"),
    ]
    # two names separated by a space stay two names
    assert spans("Ayla Sipes", [(0, 4), (5, 10)], ["B-FIRSTNAME", "B-LASTNAME"]) == [
        (0, 4, "FIRSTNAME"),
        (5, 10, "LASTNAME"),
    ]
    # a joiner at the end of a sentence does not glue the next word
    assert spans("Kai. Then", [(0, 3), (3, 4), (5, 9)], ["B-FIRSTNAME", "O", "B-LASTNAME"]) == [
        (0, 3, "FIRSTNAME"),
        (5, 9, "LASTNAME"),
    ]
    # an O first piece keeps the later pieces' own predictions ("SSN:123-45-6789")
    text = "SSN:123-45-6789"
    offsets = [(0, 3), (3, 4), (4, 7), (7, 8), (8, 10), (10, 11), (11, 15)]
    labels = ["O", "O", "B-SSN", "I-SSN", "B-PHONENUMBER", "I-PHONENUMBER", "I-PHONENUMBER"]
    assert spans(text, offsets, labels) == [(4, 15, "SSN")]


def test_a_value_does_not_begin_inside_a_run_of_letters_or_digits():
    # "Dela.Wintheiser88" split "del|##a|.|win|##the|##iser|##8|##8", the first piece O: the value is the word
    text = "Hi Dela.Wintheiser88, welcome"
    offsets = [(0, 2), (3, 6), (6, 7), (7, 8), (8, 11), (11, 14), (14, 18), (18, 19), (19, 20), (20, 21), (22, 29)]
    labels = [
        "O",
        "O",
        "B-USERNAME",
        "I-USERNAME",
        "I-USERNAME",
        "I-USERNAME",
        "I-USERNAME",
        "I-USERNAME",
        "I-USERNAME",
        "O",
        "O",
    ]
    assert spans(text, offsets, labels) == [(3, 20, "USERNAME")]
    # digits split inside a run of digits
    assert spans("id 12345", [(0, 2), (3, 5), (5, 8)], ["O", "O", "B-PIN"]) == [(3, 8, "PIN")]
    # a change of kind is a real edge: the O word before a glued value stays O
    assert spans("card4111", [(0, 4), (4, 8)], ["O", "B-CREDITCARDNUMBER"]) == [(4, 8, "CREDITCARDNUMBER")]
    # and so is a space
    assert spans("Or chestra", [(0, 2), (3, 10)], ["O", "B-JOBTYPE"]) == [(3, 10, "JOBTYPE")]


def test_two_values_glued_at_a_change_of_kind_stay_two_when_the_model_begins_another():
    # "лв62459.57": the model begins an AMOUNT at the digits; the sign's letters keep their class
    text = "paid лв62459.57 today"
    offsets = [(0, 4), (5, 6), (6, 7), (7, 8), (8, 10), (10, 12), (12, 13), (13, 15), (16, 21)]
    labels = ["O", "B-CURRENCYSYMBOL", "I-CURRENCYSYMBOL", "B-AMOUNT", "I-AMOUNT", "I-AMOUNT", "I-AMOUNT"]
    labels += ["I-AMOUNT", "O"]
    assert spans(text, offsets, labels) == [(5, 7, "CURRENCYSYMBOL"), (7, 15, "AMOUNT")]
    # the same class begun again, or another class without a change of kind, is still one value
    same = labels[:3] + ["B-CURRENCYSYMBOL"] + labels[4:]
    assert spans(text, offsets, same) == [(5, 15, "CURRENCYSYMBOL")]
    text = "user Harley88x here"
    offsets = [(0, 4), (5, 11), (11, 13), (13, 14), (15, 19)]
    assert spans(text, offsets, ["O", "B-USERNAME", "I-USERNAME", "B-LASTNAME", "O"]) == [(5, 14, "USERNAME")]
    # an I- tag of another class after a change of kind does not split either (no begin)
    assert spans(
        "Rp0.218m", [(0, 1), (1, 2), (2, 3), (3, 4), (4, 7), (7, 8)], ["B-CURRENCYSYMBOL"] + ["I-AMOUNT"] * 5
    ) == [(0, 8, "CURRENCYSYMBOL")]


def test_a_currency_sign_is_a_word_of_its_own_for_a_tokenizer_told_so(base_model_dir, tmp_path):
    import json

    from transformers import AutoTokenizer

    from piimask.runtime.predict import load_tokenizer, split_currency_signs

    def pieces(tok, text):
        enc = tok(text, add_special_tokens=False, return_offsets_mapping=True)
        return list(zip(tok.convert_ids_to_tokens(enc["input_ids"]), enc["offset_mapping"]))

    plain = AutoTokenizer.from_pretrained(str(base_model_dir))
    assert pieces(plain, "₺270629") == [("[UNK]", (0, 7))]  # no edge to put between sign and amount
    tok = split_currency_signs(split_currency_signs(AutoTokenizer.from_pretrained(str(base_model_dir))))
    got = pieces(tok, "paid ₺270629 or €5")
    assert got[1] == ("[UNK]", (5, 6)) and got[2][1][0] == 6 and ("€", (16, 17)) in got
    assert [p for p, _ in pieces(tok, "Harley.Mertz51")] == [p for p, _ in pieces(plain, "Harley.Mertz51")]
    saved = json.loads(tok.backend_tokenizer.to_str())["pre_tokenizer"]
    assert saved["type"] == "Sequence" and len(saved["pretokenizers"]) == 2  # once, however often called
    # transformers rebuilds a BERT pre-tokenizer on loading; load_tokenizer reads the saved one
    tok.save_pretrained(tmp_path / "split")
    assert pieces(load_tokenizer(str(tmp_path / "split")), "₺270629")[0] == ("[UNK]", (0, 1))
    plain.save_pretrained(tmp_path / "plain")
    assert pieces(load_tokenizer(str(tmp_path / "plain")), "₺270629") == [("[UNK]", (0, 7))]
