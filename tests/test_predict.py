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
