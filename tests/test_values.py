"""Generated values: formats of LABELS.md, checksums checked by independent implementations."""

import ipaddress
import re

import pytest

from piimask.core.taxonomy import CLASSES
from piimask.core.values import LOCALES, ValueFactory


def luhn_ok(number: str) -> bool:  # written from the definition, not shared with piimask
    digits = [int(c) for c in number if c.isdigit()][::-1]
    total = sum(d if i % 2 == 0 else (d * 2 - 9 if d * 2 > 9 else d * 2) for i, d in enumerate(digits))
    return total % 10 == 0


def iban_ok(iban: str) -> bool:  # ISO 13616: move the first four characters to the end, A=10 ...
    s = iban[4:] + iban[:4]
    n = int("".join(str(ord(c) - 55) if c.isalpha() else c for c in s))
    return n % 97 == 1


VIN_VALUES = {
    **{c: i + 1 for i, c in enumerate("ABCDEFGH")},
    **{c: i + 1 for i, c in enumerate("JKLMN")},
    "P": 7,
    "R": 9,
    **{c: i + 2 for i, c in enumerate("STUVWXYZ")},
    **{str(d): d for d in range(10)},
}


def vin_ok(vin: str) -> bool:
    weights = [8, 7, 6, 5, 4, 3, 2, 10, 0, 9, 8, 7, 6, 5, 4, 3, 2]
    rem = sum(VIN_VALUES[c] * w for c, w in zip(vin, weights)) % 11
    return vin[8] == ("X" if rem == 10 else str(rem))


IBAN_LEN = {"DE": 22, "FR": 27, "GB": 22, "IT": 27, "ES": 24, "NL": 18, "CH": 21, "BE": 16}


@pytest.fixture(scope="module")
def factory():
    return ValueFactory(seed=7, locales=("en_US", "en_GB"))


def test_every_class_has_a_nonempty_value(factory):
    for label in CLASSES:
        for _ in range(20):
            v = factory(label)
            assert isinstance(v, str) and v.strip() == v and v, label


def test_same_seed_same_values():
    a, b = ValueFactory(seed=3, locales=LOCALES), ValueFactory(seed=3, locales=LOCALES)
    assert [a(c) for c in CLASSES for _ in range(3)] == [b(c) for c in CLASSES for _ in range(3)]
    assert [ValueFactory(seed=4)(c) for c in CLASSES] != [ValueFactory(seed=3)(c) for c in CLASSES]


def test_checksums_pass_independent_checks(factory):
    for _ in range(300):
        assert luhn_ok(factory("CREDITCARDNUMBER"))
        imei = factory("PHONEIMEI")
        assert re.fullmatch(r"\d{2}-\d{6}-\d{6}-\d", imei) and luhn_ok(imei)
        iban = factory("IBAN")
        assert iban_ok(iban), iban
        vin = factory("VEHICLEVIN")
        assert re.fullmatch(r"[A-HJ-NPR-Z0-9]{17}", vin) and vin_ok(vin), vin
    for country, n in IBAN_LEN.items():
        iban = factory.iban(country)
        assert len(iban) == n and iban.startswith(country) and iban_ok(iban)


def test_checksum_validators_reject_corruption(factory):
    from piimask.core.values import iban_valid, luhn_valid, vin_valid

    card = factory.creditcard("visa").replace(" ", "")
    bad = card[:-1] + str((int(card[-1]) + 1) % 10)
    assert luhn_valid(card) and not luhn_valid(bad) and not luhn_ok(bad)
    iban = factory.iban("DE")
    assert iban_valid(iban) and not iban_valid(iban[:-1] + str((int(iban[-1]) + 1) % 10))
    vin = factory.vin()
    swapped = vin[:8] + ("0" if vin[8] != "0" else "1") + vin[9:]
    assert vin_valid(vin) and not vin_valid(swapped)


def test_formats_follow_labels_md(factory):
    for _ in range(100):
        assert re.fullmatch(r"\d{8}", factory("ACCOUNTNUMBER"))
        assert re.fullmatch(r"[^@\s]+@[^@\s]+\.[a-z.]+", factory("EMAIL"))
        assert re.fullmatch(r"0x[0-9a-f]{40}", factory("ETHEREUMADDRESS"))
        assert re.fullmatch(r"[13][1-9A-HJ-NP-Za-km-z]{25,39}", factory("BITCOINADDRESS"))
        assert re.fullmatch(r"[LM3][1-9A-HJ-NP-Za-km-z]{25,33}", factory("LITECOINADDRESS"))
        assert re.fullmatch(r"([0-9a-f]{2}:){5}[0-9a-f]{2}", factory("MAC"))
        assert re.fullmatch(r"\d{16}", factory("MASKEDNUMBER"))
        assert re.fullmatch(r"\d{4}", factory("PIN"))
        assert re.fullmatch(r"\d{3,4}", factory("CREDITCARDCVV"))
        assert re.fullmatch(r"[A-Z]{2}\d{2}[A-Z]{3}", factory("VEHICLEVRM"))
        assert re.fullmatch(r"\[-?\d+\.\d{4},-?\d+\.\d{4}\]", factory("NEARBYGPSCOORDINATE"))
        assert re.fullmatch(r"[A-Z0-9]{8}([A-Z0-9]{3})?", factory("BIC"))
        assert re.fullmatch(r"https?://\S+\.\S+", factory("URL"))
        assert len(factory("JOBTITLE").split()) == 3
        issuer = factory("CREDITCARDISSUER")
        assert issuer == issuer.lower() and " " not in issuer
        ipaddress.IPv4Address(factory("IPV4"))
        v6 = factory("IPV6")
        ipaddress.IPv6Address(v6)
        assert len(v6.split(":")) == 8
        ipaddress.ip_address(factory("IP"))


def test_locales_differ_and_bad_locale_is_named():
    cities = {loc: [ValueFactory(seed=1, locale=loc)("CITY") for _ in range(3)] for loc in LOCALES}
    assert len({tuple(v) for v in cities.values()}) == len(LOCALES)
    with pytest.raises(ValueError, match="xx_XX"):
        ValueFactory(locale="xx_XX")
    with pytest.raises(KeyError, match="NAME"):
        ValueFactory()("NAME")


def test_values_follow_the_datasets_conventions():
    """The shapes that decide between look-alike classes in the 200k dataset (see values.py)."""
    from piimask.core.values import CURRENCY_NAMES, MIDDLE_NAMES

    f = ValueFactory(seed=11, locales=("en_US", "en_GB"))
    middles = {f("MIDDLENAME") for _ in range(300)}
    firsts = {f("FIRSTNAME") for _ in range(300)}
    assert middles <= set(MIDDLE_NAMES) and not firsts & set(MIDDLE_NAMES)  # the value tells them apart
    ordinal = re.compile(r"\d+(st|nd|rd|th) [A-Z][a-z]+$")
    dates, dobs = [f("DATE") for _ in range(2000)], [f("DOB") for _ in range(2000)]
    assert sum(bool(ordinal.match(d)) for d in dates) > 3 * sum(bool(ordinal.match(d)) for d in dobs)
    cards = [f("CREDITCARDNUMBER") for _ in range(300)]
    assert sum(bool(re.fullmatch(r"\d{16}", c)) for c in cards) > 0.8 * len(cards)
    assert len({c[0] for c in cards}) >= 8  # no issuer prefix gives the class away
    times = [f("TIME") for _ in range(300)]
    assert any(re.fullmatch(r"\d{1,2}", t) for t in times) and any(":" in t for t in times)
    assert all(f("CURRENCY") in CURRENCY_NAMES for _ in range(50))
    zips = [f("ZIPCODE") for _ in range(300)]
    assert sum(bool(re.fullmatch(r"\d{5}(-\d{4})?", z)) for z in zips) > 0.85 * len(zips)
