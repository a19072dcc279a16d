"""Values of French, German, Italian and Dutch texts: each locale's formats, checked by patterns
and checksums written here from the formats' definitions, not shared with piimask."""

import random
import re
from collections import Counter

import pytest

from piimask.core.locale_values import FORMATS, LocaleValueFactory, short_title, value_factory
from piimask.core.taxonomy import CLASSES
from piimask.core.values import ValueFactory

LANGS = ("fr", "de", "it", "nl")
N = 300


def iban_ok(iban: str) -> bool:  # ISO 13616, from its definition
    s = iban.replace(" ", "")
    s = s[4:] + s[:4]
    return int("".join(str(ord(c) - 55) if c.isalpha() else c for c in s)) % 97 == 1


def bsn_ok(bsn: str) -> bool:  # the Dutch eleven test: 9*d1 + 8*d2 + ... + 2*d8 - d9 divisible by 11
    d = [int(c) for c in bsn if c.isdigit()]
    return len(d) == 9 and (sum(w * x for w, x in zip(range(9, 1, -1), d[:8])) - d[8]) % 11 == 0


def insee_ok(nir: str) -> bool:  # French social security number: the key is 97 - (first 13 digits mod 97)
    d = nir.replace(" ", "")
    return len(d) == 15 and d.isdigit() and int(d[13:]) == 97 - int(d[:13]) % 97


DATES = {  # every shape a date of the language may take (numeric and with the month's name)
    "fr": r"\d{2}/\d{2}/(\d{4}|\d{2})|(1er|\d{1,2}) [a-zéû]+( \d{4})?|[a-zéû]+ \d{4}|\d{4}-\d{2}-\d{2}(T[\d:.]+Z?)?|\d{2}[.-]\d{2}[.-]\d{4}|\d{2}/\d{2}",
    "de": r"\d{1,2}\.\d{1,2}\.(\d{4}|\d{2})|\d{1,2}\. [A-ZÄ][a-zä]+( \d{4})?|[A-ZÄ][a-zä]+ \d{4}|\d{2}/\d{2}/\d{4}|\d{4}-\d{2}-\d{2}(T[\d:.]+Z?)?|\d{2}/\d{2}",
    "it": r"\d{1,2}/\d{1,2}/(\d{4}|\d{2})|(1°|\d{1,2}) [a-z]+( \d{4})?|[a-z]+ \d{4}|\d{2}-\d{2}-\d{4}|\d{4}-\d{2}-\d{2}(T[\d:.]+Z?)?",
    "nl": r"\d{1,2}-\d{1,2}-(\d{4}|\d{2})|\d{2}/\d{2}/\d{4}|\d{1,2} [a-z]+( \d{4})?|[a-z]+ \d{4}|\d{4}-\d{2}-\d{2}(T[\d:.]+Z?)?",
}
# dates as an English text writes them, in the language's words (``DATES_AS_IN_ENGLISH``)
AS_IN_ENGLISH = r"[A-Za-zéûä]+ (1er|\d{1,2}(e|\.)?), \d{4}|(1er|\d{1,2}(e|\.)) [A-Za-zéûä]+ \d{4}|[A-Za-zéûä]+/\d{2}"
MONTHS = {"fr": "mars", "de": "März", "it": "marzo", "nl": "maart"}
NATIONAL_PHONE = {  # national shapes (a share of values keeps the dataset's mixed separators)
    "fr": r"(0\d|\+33 \d|\+33 \(0\)\d)([ .-]?\d{2}){4}|\+33\d{9}|0\d{9}",
    "de": r"(0\d{1,4}|\(0\d{3}\)|\+49( \(0\))? \d{2,3})[ /-]?\d{5,8}|0\d{2} \d{3} \d{3} \d{2}|0\d{9}",
    "it": r"0\d{1,2}[ -]\d{6,8}|0\d \d{4} \d{4}|3\d{2}[ ]\d{3}[ ]?\d{4}|\+39 (3\d{2}|0\d) \d{3,8}( \d{4})?|3\d{9}",
    "nl": r"0\d{2}(-| - | )\d{3} ?\d{4}|06[- ]\d{8}|06( \d{2}){4}|\+31 6 \d{8}|\+31 \(0\)\d{2} \d{3} \d{4}|\+31 \d{2} \d{7}|\+316\d{8}|0\d{9}",
}
ZIP = {"fr": r"(F-)?\d{5}", "de": r"(D-)?\d{5}", "it": r"(I-)?\d{5}", "nl": r"(NL-)?[1-9]\d{3} ?[A-Z]{2}"}
SSN = {
    "fr": insee_ok,
    "nl": bsn_ok,
    "de": lambda v: re.fullmatch(r"\d{2} ?\d{6} ?[A-Z] ?\d{3}|[1-9]\d{10}|\d{2} \d{3} \d{3} \d{3}", v) is not None,
    "it": lambda v: re.fullmatch(r"[A-Z]{6}\d{2}[A-EHLMPR-T]\d{2}[A-Z]\d{3}[A-Z]", v) is not None,
}
HOME_IBAN = {"fr": "FR", "de": "DE", "it": "IT", "nl": "NL"}


@pytest.fixture(scope="module", params=LANGS)
def lang(request):
    return request.param


def values(lang, label, n=N, seed=11):
    f = LocaleValueFactory(lang, seed=seed)
    return [f(label) for _ in range(n)]


def test_every_class_has_a_nonempty_value_in_every_language(lang):
    f = LocaleValueFactory(lang, seed=3)
    for label in CLASSES:
        v = f(label)
        assert isinstance(v, str) and v.strip() == v and v, (lang, label, v)


def test_same_seed_same_values_and_seeds_differ(lang):
    assert values(lang, "STREET", 20) == values(lang, "STREET", 20)
    assert values(lang, "STREET", 20) != values(lang, "STREET", 20, seed=12)


def test_dates_in_the_locales_formats(lang):
    dates = values(lang, "DATE") + values(lang, "DOB")
    bad = [d for d in dates if not re.fullmatch(DATES[lang], d)]
    english = [d for d in bad if re.fullmatch(AS_IN_ENGLISH, d)]
    if lang == "it":
        assert not bad, bad[:5]
    else:  # the real rows write a third of their dates in English order; a fifth here
        assert len(english) == len(bad) and 0.1 < len(english) / len(dates) < 0.35, (len(english), bad[:5])
        assert any(re.fullmatch(r"[a-zA-Zä]+ \d{1,2}(e|\.), \d{4}", d) for d in english), english[:10]
        assert any(re.fullmatch(r"[a-zA-Zéûä]+/\d{2}", d) for d in english), english[:10]
    assert any(MONTHS[lang] in d for d in values(lang, "DATE", 2000))  # month names of the language
    if lang == "de":
        assert sum(re.fullmatch(r"\d{2}\.\d{2}\.\d{4}", d) is not None for d in dates) > len(dates) * 0.15
    if lang == "nl":
        assert sum(re.fullmatch(r"\d{2}-\d{2}-\d{4}", d) is not None for d in dates) > len(dates) * 0.15


def test_phone_numbers_mostly_national(lang):
    phones = values(lang, "PHONENUMBER")
    national = [p for p in phones if re.fullmatch(NATIONAL_PHONE[lang], p)]
    assert len(national) > 0.6 * len(phones), [p for p in phones if p not in national][:10]
    assert all(sum(c.isdigit() for c in p) >= 6 for p in phones)


def test_postcodes(lang):
    codes = values(lang, "ZIPCODE")
    assert all(re.fullmatch(ZIP[lang], z) for z in codes), [z for z in codes if not re.fullmatch(ZIP[lang], z)][:5]
    if lang == "nl":
        assert any(" " in z for z in codes) and any(re.fullmatch(r"\d{4}[A-Z]{2}", z) for z in codes)
        assert not any(z[-2:] in ("SA", "SD", "SS") for z in codes)  # letter pairs Dutch post never uses


def test_ibans_valid_mostly_of_the_country(lang):
    ibans = values(lang, "IBAN")
    assert all(iban_ok(i) for i in ibans)
    assert sum(i.startswith(HOME_IBAN[lang]) for i in ibans) > 0.5 * len(ibans)
    assert any(" " in i for i in ibans) and any(" " not in i for i in ibans)  # printed grouped or not


def test_national_identifiers(lang):
    ssns = values(lang, "SSN")
    bad = [s for s in ssns if not SSN[lang](s)]
    assert not bad, bad[:5]


def test_honorifics_sexes_and_amounts_of_the_language(lang):
    prefixes = set(values(lang, "PREFIX"))
    expected = {"fr": {"M.", "Mme"}, "de": {"Herr", "Frau"}, "it": {"Sig.", "Sig.ra"}, "nl": {"dhr.", "mevr."}}[lang]
    titles = FORMATS[lang].titles
    assert expected <= prefixes
    assert prefixes & set(titles) and prefixes & set(FORMATS[lang].prefixes)  # courtesy prefixes and titles
    cut = prefixes - set(FORMATS[lang].prefixes) - set(titles)  # the rest: titles cut short
    assert cut and all(any(t.startswith(c.rstrip(".")[0]) and len(c.rstrip(".")) < len(t) for t in titles) for c in cut)
    assert set(values(lang, "SEX")) <= set(FORMATS[lang].sexes)
    amounts = values(lang, "AMOUNT")
    assert any("," in a for a in amounts) and not any(re.search(r"\d\.\d{2}$", a) for a in amounts)  # decimal comma


def test_short_title_cuts_a_title_as_forms_do():
    rng = random.Random(3)
    cuts = {short_title("Burgemeester", rng) for _ in range(200)}
    assert cuts <= {"Bur", "Burg", "Brg", "Bur.", "Burg.", "Brg."} and len(cuts) == 6
    for kept in ("Abt", "Graf", "Mgr", "Bgm.", "De heer"):  # short, cut already, two words
        assert short_title(kept, rng) == kept
    # one consonant after the first letter: its first three letters, or (records' forms) the bare skeleton
    assert {short_title("Reine", rng) for _ in range(200)} == {"Rei", "Rein", "Rei.", "Rein."}
    assert {short_title("Reine", rng, (3, 3, 4), 0.0, pad=False) for _ in range(200)} == {"Rei", "Rein", "Rn"}


def test_english_keeps_the_value_factory():
    en = value_factory("en", 5, ("en_US", "en_GB"))
    assert type(en) is ValueFactory
    ref = ValueFactory(seed=5, locales=("en_US", "en_GB"))
    assert [en(c) for c in CLASSES] == [ref(c) for c in CLASSES]
    assert isinstance(value_factory("nl", 5), LocaleValueFactory)


def test_unknown_language_is_named():
    with pytest.raises(ValueError, match="'es'.*fr, de, it, nl"):
        LocaleValueFactory("es")


def test_passwords_states_and_times_also_take_the_short_and_symbolic_forms(lang):
    pws = values(lang, "PASSWORD")
    assert all(8 <= len(p) <= 16 and " " not in p and not set(p) & set("[]{}<>") for p in pws)
    assert any(re.search(r"[!#$%&*?@]", p) for p in pws) and any(re.fullmatch(r"\w{12}", p) for p in pws)
    states = values(lang, "STATE")
    assert any(re.fullmatch(r"[A-Z]{2,4}", s) for s in states) and any(re.search(r"[a-z]", s) for s in states)
    assert any(re.fullmatch(r"\d{1,2}", t) for t in values(lang, "TIME"))  # a bare hour


def test_streets_are_named_after_places_and_trades_as_well_as_after_people(lang):
    from piimask.core.streets import STREETS

    bank = STREETS[lang]
    words = set(bank.get("stems", ())) | set(bank.get("kinds", ())) | set(bank.get("places", ()))
    streets = values(lang, "STREET")
    named = [s for s in streets if any(w in s for w in words)]
    assert 0.3 < len(named) / len(streets) < 0.8, named[:10]  # half the streets, the rest Faker's
    if lang in ("de", "nl"):  # one compound word, with no street type a reader would know
        assert any(" " not in s and "-" not in s and not re.search(r"straat|straße", s) for s in named), named
    if lang == "fr":
        assert any(re.fullmatch(r"(Le|La|Les) [\w ]+", s) for s in named), named


def test_a_share_of_the_names_come_from_other_countries(lang):
    from faker import Faker

    own = Faker({"fr": "fr_FR", "de": "de_DE", "it": "it_IT", "nl": "nl_NL"}[lang])
    own.seed_instance(0)
    own_names = {own.last_name() for _ in range(20_000)}
    names = values(lang, "LASTNAME")
    foreign = [n for n in names if n not in own_names]
    assert 0.1 < len(foreign) / len(names) < 0.45, foreign[:10]
    assert values(lang, "LASTNAME") == names  # still seeded by the factory


def test_user_names_are_lower_case_in_the_shapes_sign_ups_keep(lang):
    names = values(lang, "USERNAME", 600)
    assert all(re.fullmatch(r"[a-z0-9._]+", n) for n in names), [
        n for n in names if not re.fullmatch(r"[a-z0-9._]+", n)
    ][:5]
    shares = {
        shape: sum(re.fullmatch(rx, n) is not None for n in names) / len(names)
        for shape, rx in {
            "name and digits": r"[a-z]+\d+",
            "digits first": r"\d+[a-z]+(\.[a-z]+)?",
            "a name alone": r"[a-z]+",
            "two names": r"[a-z]+[._][a-z]+\d*",
            "an initial and digits": r"[a-z]\d+",
        }.items()
    }
    assert shares["name and digits"] > 0.25 and all(v > 0.04 for v in shares.values()), shares


@pytest.mark.parametrize("language", ["nl", "fr"])
def test_streets_and_towns_have_as_many_words_as_the_languages_addresses(language):
    """Dutch streets: a third two words or more (an office before a name, initials, "2e ...");
    Dutch towns: a fifth municipality and place; French streets: from one word (a hamlet) to five."""
    streets = values(language, "STREET", 1000)
    words = Counter(min(len(s.split()), 5) for s in streets)
    if language == "nl":
        assert 0.6 < words[1] / len(streets) < 0.9 and words[2] / len(streets) > 0.08, words
        assert any(re.fullmatch(r"\de [A-Z]\w+", s) for s in streets)
        assert any(re.fullmatch(r"([A-Z]\.){1,3} [A-Z][\w ]+", s) for s in streets), streets[:20]
        towns = values(language, "CITY", 1000)
        two = [t for t in towns if len(t.split()) >= 2]
        assert 0.15 < len(two) / len(towns) < 0.4 and any(t.split()[0] == t.split()[-1] for t in two), two[:10]
    else:
        assert words[1] > 0 and words[5] > 0 and words[3] > words[2], words


def test_a_street_draws_only_the_slots_its_pattern_names(monkeypatch):
    """A pattern's street takes from the generator what it writes, nothing more: the next value
    drawn is the same whichever slots other patterns have."""
    from piimask.core import streets

    bank = streets.STREETS["nl"]
    monkeypatch.setitem(bank, "patterns", ["{stem}{end}"])
    rng, ref = random.Random(3), random.Random(3)
    street = streets.compose_street("nl", rng, lambda: pytest.fail("this pattern names no town"))
    ref.choice(["{stem}{end}"])
    assert street == ref.choice(bank["stems"]) + ref.choice(bank["ends"])
    assert rng.random() == ref.random()
