"""The 56 PII classes of ai4privacy/pii-masking-200k and the BIO label list built from them.

Label ids are stable: ``O`` is 0, then ``B-X`` and ``I-X`` for every class in the order of
``CLASSES`` (alphabetical). Adding a class would change ids, so the list is frozen here and the
ids are also written into every model config.
"""

from __future__ import annotations

import re
from collections.abc import Callable

CLASSES: dict[str, str] = {
    "ACCOUNTNAME": "name of a financial account product (Savings Account, Personal Loan Account)",
    "ACCOUNTNUMBER": "bank account number, 8 digits with leading zeros kept",
    "AGE": "a person's age (72, 12 years old)",
    "AMOUNT": "money amount without the currency (764,336.48, 998k)",
    "BIC": "SWIFT/BIC code, 8 or 11 characters",
    "BITCOINADDRESS": "bitcoin address, base58 starting with 1 or 3",
    "BUILDINGNUMBER": "house or building number, 1-5 digits",
    "CITY": "city or town",
    "COMPANYNAME": "company name (Stehr - Romaguera, Harber, Rau and Cronin)",
    "COUNTY": "county (West Sussex, Jefferson County)",
    "CREDITCARDCVV": "card verification value, 3 or 4 digits",
    "CREDITCARDISSUER": "card network in lower case (visa, mastercard, amex)",
    "CREDITCARDNUMBER": "payment card number, 13-19 digits",
    "CURRENCY": "currency name (Rand, Belize Dollar)",
    "CURRENCYCODE": "ISO 4217 currency code (MXN)",
    "CURRENCYNAME": "currency name, overlapping CURRENCY (Indian Rupee)",
    "CURRENCYSYMBOL": "currency sign (£, $, kr)",
    "DATE": "a date that is not a birth date",
    "DOB": "date of birth",
    "EMAIL": "e-mail address",
    "ETHEREUMADDRESS": "ethereum address, 0x + 40 hex digits",
    "EYECOLOR": "eye colour",
    "FIRSTNAME": "given name",
    "GENDER": "gender identity (Cisgender, Trans female)",
    "HEIGHT": "body height (158centimeters, 1.95m)",
    "IBAN": "international bank account number",
    "IP": "IP address of either family",
    "IPV4": "IPv4 address",
    "IPV6": "IPv6 address",
    "JOBAREA": "area of work, one word (Optimization)",
    "JOBTITLE": "job title, three words (National Brand Architect)",
    "JOBTYPE": "job type, one word (Facilitator)",
    "LASTNAME": "surname",
    "LITECOINADDRESS": "litecoin address, base58 starting with L, M or 3",
    "MAC": "MAC address",
    "MASKEDNUMBER": "card- or account-like number in a masking context, 16 digits",
    "MIDDLENAME": "middle name",
    "NEARBYGPSCOORDINATE": "GPS coordinate pair [lat,lon]",
    "ORDINALDIRECTION": "compass direction (Southwest)",
    "PASSWORD": "password",
    "PHONEIMEI": "phone IMEI (06-184755-866851-3)",
    "PHONENUMBER": "phone number",
    "PIN": "personal identification number, 4 digits",
    "PREFIX": "title before a name (Mr., Dr.)",
    "SECONDARYADDRESS": "apartment or suite (Apt. 259)",
    "SEX": "biological sex (Male, Female)",
    "SSN": "social security number",
    "STATE": "state or region",
    "STREET": "street name without the number",
    "TIME": "time of day",
    "URL": "web address",
    "USERAGENT": "browser user-agent string",
    "USERNAME": "user name",
    "VEHICLEVIN": "vehicle identification number, 17 characters",
    "VEHICLEVRM": "UK-style vehicle registration mark",
    "ZIPCODE": "postal code",
}

LABELS: tuple[str, ...] = tuple(CLASSES)

BIO_LABELS: tuple[str, ...] = ("O",) + tuple(f"{p}-{c}" for c in LABELS for p in ("B", "I"))
LABEL2ID: dict[str, int] = {label: i for i, label in enumerate(BIO_LABELS)}
ID2LABEL: dict[int, str] = {i: label for label, i in LABEL2ID.items()}


# Look-alikes the 200k dataset writes with the same values in the same contexts: a currency name
# is CURRENCY in some rows and CURRENCYNAME in others, an address IP in some and IPV4 / IPV6 in
# others, with nothing in the text to tell which (piimask.realism measures it on the reference
# rows). A model trained on both labels can only guess between them, and so does any reader of the
# corpus. The generator settles each onto one class (param ``settle_lookalikes``), so one value
# shape in one context never gets two labels: CURRENCYNAME onto CURRENCY (the reference rows' more
# frequent of the two), IP onto IPV4 or IPV6 by its address family. CREDITCARDNUMBER /
# MASKEDNUMBER are not settled: their contexts ("masked", "ending in") decide more often than
# chance. DOB / DATE are settled by the form of the value where ``settle_dates`` asks
# (``settle_date`` below), since a date's context rarely decides them.
SETTLED: dict[str, str] = {
    "CURRENCYNAME": "CURRENCY",
    "IP": "IPV4 or IPV6, by the address family",
}


def settle_label(label: str, value: str) -> str:
    """The class the generated corpus gives ``value`` where a text asks for ``label``
    (``SETTLED``); other classes stay as they are."""
    if label == "CURRENCYNAME":
        return "CURRENCY"
    if label == "IP":
        return "IPV6" if ":" in value else "IPV4"
    return label


# DATE / DOB by the form of the value. The reference rows write a full calendar date (day, month
# and year: 20/03/1930, 3/7/1984, March 3, 1990, 1990-03-03, 3rd March 1990) as DATE in some rows
# and as DOB in others about equally often, in the same contexts (a payment "due on" a DOB, a
# birthday under DATE); a date without its day or year ("25th March", "6/84") is nearly always a
# DATE or a tie, and so is a timestamp. A corpus that keeps DOB for "born on" contexts teaches a
# model that never answers DOB elsewhere, where most of the dataset's DOB spans stand. With
# ``settle_dates`` the generator lets the form decide: every full calendar date is DOB, every
# other date DATE, wherever it stands; realism.lookalike_ceiling measures what that is worth.
FULL_DATE = re.compile(
    r"\d{1,2}/\d{1,2}/\d{4}"
    r"|\d{4}-\d{2}-\d{2}"
    r"|[A-Z][a-z]+\.? \d{1,2}(?:st|nd|rd|th)?,? \d{4}"
    r"|\d{1,2}(?:st|nd|rd|th)? [A-Z][a-z]+\.?,? \d{4}"
)


def settle_date(label: str, value: str) -> str:
    """A DATE or DOB by the form of its value: DOB for a full calendar date (``FULL_DATE``), DATE
    for any other date; other labels as they are."""
    if label not in ("DATE", "DOB"):
        return label
    return "DOB" if FULL_DATE.fullmatch(value.strip()) else "DATE"


def settler(params) -> Callable[[str, str], str] | None:
    """The ``(label, value) -> label`` a run's corpus records its spans under: look-alikes settled
    with ``settle_lookalikes`` (``settle_label``), dates with ``settle_dates`` (``settle_date``);
    None when the run settles nothing."""
    lookalikes, dates = getattr(params, "settle_lookalikes", False), getattr(params, "settle_dates", False)
    if not (lookalikes or dates):
        return None

    def settle(label: str, value: str) -> str:
        if lookalikes:
            label = settle_label(label, value)
        return settle_date(label, value) if dates else label

    return settle
