"""Seeded, locale-aware PII values, one generator per class, in the formats of the 200k dataset.

Faker supplies names, places and phone numbers per locale; the formats that Faker does not have
in the dataset's style (job titles from three lists, amounts such as ``0.4m``, heights such as
``3feet9inches``) are built here. Values with a checksum are valid: card numbers and IMEIs pass
Luhn, IBANs pass mod-97 with the country's length, VINs carry their check digit.
"""

from __future__ import annotations

import random
import string
from collections.abc import Callable

from faker import Faker
from faker.providers.address.en_US import Provider as _EnAddress
from faker.providers.person.en import Provider as _EnPerson

from .taxonomy import CLASSES

LOCALES = ("en_US", "en_GB", "fr_FR", "de_DE", "it_IT")

# -- checksums ---------------------------------------------------------------------------------


def luhn_check_digit(digits: str) -> str:
    """The digit that makes ``digits + d`` pass the Luhn test."""
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2 == 0:  # doubled positions, counted from the right once the check digit is added
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return str((10 - total % 10) % 10)


def luhn_valid(number: str) -> bool:
    digits = [c for c in number if c.isdigit()]
    if len(digits) < 2:
        return False
    return luhn_check_digit("".join(digits[:-1])) == digits[-1]


IBAN_LENGTHS = {
    "AT": 20,
    "BE": 16,
    "BG": 22,
    "CH": 21,
    "CY": 28,
    "CZ": 24,
    "DE": 22,
    "DK": 18,
    "EE": 20,
    "ES": 24,
    "FI": 18,
    "FR": 27,
    "GB": 22,
    "GR": 27,
    "HR": 21,
    "HU": 28,
    "IE": 22,
    "IS": 26,
    "IT": 27,
    "LI": 21,
    "LT": 20,
    "LU": 20,
    "LV": 21,
    "MC": 27,
    "MT": 31,
    "NL": 18,
    "NO": 15,
    "PL": 28,
    "PT": 25,
    "RO": 24,
    "SE": 24,
    "SI": 19,
    "SK": 24,
    "SM": 27,
    "TN": 24,
    "TR": 26,
    "AE": 23,
    "SA": 24,
    "KW": 30,
    "BH": 22,
    "QA": 29,
    "JO": 30,
    "GE": 22,
    "MK": 19,
    "ME": 22,
}
# countries whose BBAN starts with a bank code in letters (count of letters)
_IBAN_LETTER_PREFIX = {
    "GB": 4,
    "NL": 4,
    "IE": 4,
    "BG": 4,
    "MT": 4,
    "BH": 4,
    "QA": 4,
    "JO": 4,
    "KW": 4,
    "RO": 4,
    "LV": 4,
    "IT": 1,
    "SM": 1,
    "GE": 2,
}


def iban_check_digits(country: str, bban: str) -> str:
    rearranged = bban + country + "00"
    numeric = "".join(str(int(c, 36)) for c in rearranged)
    return f"{98 - int(numeric) % 97:02d}"


def iban_valid(iban: str) -> bool:
    iban = iban.replace(" ", "").upper()
    if len(iban) < 5 or iban[:2] not in IBAN_LENGTHS or len(iban) != IBAN_LENGTHS[iban[:2]]:
        return False
    if not iban.isalnum():
        return False
    numeric = "".join(str(int(c, 36)) for c in iban[4:] + iban[:4])
    return int(numeric) % 97 == 1


_VIN_ALPHABET = "ABCDEFGHJKLMNPRSTUVWXYZ0123456789"  # no I, O, Q
_VIN_TRANSLIT = {
    **{str(d): d for d in range(10)},
    **dict(zip("ABCDEFGH", range(1, 9))),
    **dict(zip("JKLMN", range(1, 6))),
    "P": 7,
    "R": 9,
    **dict(zip("STUVWXYZ", range(2, 10))),
}
_VIN_WEIGHTS = (8, 7, 6, 5, 4, 3, 2, 10, 0, 9, 8, 7, 6, 5, 4, 3, 2)


def vin_check_digit(vin: str) -> str:
    total = sum(_VIN_TRANSLIT[c] * w for c, w in zip(vin, _VIN_WEIGHTS))
    r = total % 11
    return "X" if r == 10 else str(r)


def vin_valid(vin: str) -> bool:
    return len(vin) == 17 and all(c in _VIN_ALPHABET for c in vin) and vin[8] == vin_check_digit(vin)


# -- word lists in the dataset's style ---------------------------------------------------------

JOB_DESCRIPTORS = [
    "Lead",
    "Senior",
    "Direct",
    "Corporate",
    "Dynamic",
    "Future",
    "Product",
    "National",
    "Regional",
    "District",
    "Central",
    "Global",
    "Customer",
    "Investor",
    "International",
    "Legacy",
    "Forward",
    "Internal",
    "Human",
    "Chief",
    "Principal",
]
JOB_AREAS = [
    "Solutions",
    "Program",
    "Brand",
    "Security",
    "Research",
    "Marketing",
    "Directives",
    "Implementation",
    "Integration",
    "Functionality",
    "Response",
    "Paradigm",
    "Tactics",
    "Identity",
    "Markets",
    "Group",
    "Division",
    "Applications",
    "Optimization",
    "Operations",
    "Infrastructure",
    "Intranet",
    "Communications",
    "Web",
    "Branding",
    "Quality",
    "Assurance",
    "Mobility",
    "Accounts",
    "Factors",
    "Creative",
    "Configuration",
    "Accountability",
    "Interactions",
    "Data",
    "Usability",
    "Metrics",
]
JOB_TYPES = [
    "Supervisor",
    "Associate",
    "Executive",
    "Liaison",
    "Officer",
    "Manager",
    "Engineer",
    "Specialist",
    "Director",
    "Coordinator",
    "Administrator",
    "Architect",
    "Analyst",
    "Designer",
    "Planner",
    "Orchestrator",
    "Technician",
    "Developer",
    "Producer",
    "Consultant",
    "Assistant",
    "Facilitator",
    "Agent",
    "Representative",
    "Strategist",
]
ACCOUNT_NAMES = [
    "Checking Account",
    "Savings Account",
    "Money Market Account",
    "Investment Account",
    "Home Loan Account",
    "Credit Card Account",
    "Auto Loan Account",
    "Personal Loan Account",
]
GENDERS = [
    "Cisgender",
    "Cis female",
    "Cis male",
    "Cis woman",
    "Cis man",
    "Trans female",
    "Trans male",
    "Trans woman",
    "Trans man",
    "Transgender",
    "Two-spirit",
    "Intersex",
    "Intersex person",
    "Non-binary",
    "Genderqueer",
    "Genderfluid",
    "Agender",
    "Bigender",
    "Demi-girl",
    "Demi-boy",
    "Female to male",
    "Male to female",
    "Gender nonconforming",
    "Pangender",
    "Neutrois",
    "Cisgender woman",
    "Cisgender man",
    "Transgender person",
    "Other",
    "Bigender person",
]
EYE_COLORS = [
    "Brown",
    "Blue",
    "Green",
    "Grey",
    "Gray",
    "Hazel",
    "Amber",
    "Black",
    "brown",
    "blue",
    "green",
    "grey",
    "hazel",
    "amber",
]
PREFIXES = ["Mr.", "Ms.", "Mrs.", "Miss", "Dr.", "Mx.", "Prof."]
ORDINAL_DIRECTIONS = ["North", "South", "East", "West", "Northeast", "Northwest", "Southeast", "Southwest"]
CARD_ISSUERS = [
    "visa",
    "mastercard",
    "maestro",
    "discover",
    "amex",
    "jcb",
    "diners_club",
    "american_express",
    "unionpay",
    "instapayment",
    "laser",
]
CURRENCY_SYMBOLS = [
    "£",
    "$",
    "€",
    "¥",
    "₹",
    "₩",
    "₽",
    "₺",
    "₪",
    "₫",
    "₦",
    "₱",
    "₴",
    "₡",
    "₲",
    "₵",
    "₸",
    "₮",
    "kr",
    "лв",
    "R$",
    "zł",
    "Kč",
    "Rp",
    "RM",
    "Fr",
    "₨",
    "฿",
    "៛",
    "₭",
    "ден",
    "Br",
    "Ft",
    "lei",
    "ƒ",
    "Q",
    "L",
    "B/.",
    "Bs",
    "Db",
    "K",
    "P",
    "S/",
    "TSh",
    "Ksh",
    "Nu",
]
UK_COUNTIES = [
    "West Sussex",
    "East Sussex",
    "Kent",
    "Essex",
    "Surrey",
    "Devon",
    "Cornwall",
    "Dorset",
    "Somerset",
    "Wiltshire",
    "Hampshire",
    "Berkshire",
    "Oxfordshire",
    "Buckinghamshire",
    "Bedfordshire",
    "Cambridgeshire",
    "Norfolk",
    "Suffolk",
    "Lincolnshire",
    "Derbyshire",
    "Nottinghamshire",
    "Leicestershire",
    "Cheshire",
    "Lancashire",
    "Cumbria",
    "Northumberland",
    "Durham",
    "North Yorkshire",
    "West Yorkshire",
    "South Yorkshire",
    "Merseyside",
    "Staffordshire",
    "Shropshire",
    "Worcestershire",
    "Warwickshire",
    "Gloucestershire",
    "Herefordshire",
    "Avon",
    "Powys",
    "Gwynedd",
    "Clwyd",
    "Dyfed",
    "Borders",
    "Grampian",
    "Fife",
    "Tayside",
    "Highlands",
    "Central",
    "County Down",
    "County Antrim",
    "Greater Manchester",
    "Isle of Wight",
    "Rutland",
    "Hertfordshire",
    "Northamptonshire",
    "Cleveland",
]
US_COUNTY_STEMS = [
    "Jefferson",
    "Washington",
    "Franklin",
    "Lincoln",
    "Madison",
    "Jackson",
    "Clay",
    "Marion",
    "Monroe",
    "Greene",
    "Union",
    "Warren",
    "Wayne",
    "Orange",
    "Lake",
    "Polk",
    "Adams",
    "Hamilton",
    "Montgomery",
    "Douglas",
    "Bedfordshire",
    "Cook",
    "Harris",
    "Maricopa",
    "Kings",
    "Dallas",
    "Riverside",
    "Cambridgeshire",
]
EU_REGIONS = [
    "Saxony-Anhalt",
    "North West England",
    "South East England",
    "Bavaria",
    "Hesse",
    "Lower Saxony",
    "North Rhine-Westphalia",
    "Brandenburg",
    "Thuringia",
    "Saxony",
    "Île-de-France",
    "Brittany",
    "Normandy",
    "Occitanie",
    "Grand Est",
    "Provence-Alpes-Côte d'Azur",
    "Auvergne-Rhône-Alpes",
    "Hauts-de-France",
    "Lombardy",
    "Tuscany",
    "Piedmont",
    "Veneto",
    "Sicily",
    "Liguria",
    "Lazio",
    "Campania",
    "Valais",
    "Vaud",
    "Geneva",
    "Zurich",
    "Bern",
    "Ticino",
    "Flanders",
    "Wallonia",
    "Scotland",
    "Wales",
    "East Midlands",
    "West Midlands",
    "Yorkshire and the Humber",
    "North East England",
    "South West England",
    "East of England",
    "Northern Ireland",
    "Schleswig-Holstein",
    "Baden-Württemberg",
    "Rhineland-Palatinate",
    "Emilia-Romagna",
]
URL_WORDS = [
    "quiet",
    "lantern",
    "bright",
    "river",
    "silver",
    "maple",
    "harbor",
    "crimson",
    "velvet",
    "stone",
    "amber",
    "cloud",
    "swift",
    "meadow",
    "golden",
    "hollow",
    "orchid",
    "copper",
    "zesty",
    "frozen",
    "gentle",
    "wild",
    "sunny",
    "misty",
    "brave",
    "candid",
    "tidy",
    "rusty",
    "jolly",
    "noble",
    "pine",
    "falcon",
    "ember",
    "lunar",
    "coral",
    "prairie",
    "willow",
    "pebble",
    "glacier",
    "comet",
    "spruce",
    "ripple",
    "bamboo",
    "nimble",
    "vivid",
    "dapper",
    "humble",
    "lively",
    "polished",
    "shiny",
]
URL_TLDS = ["com", "net", "org", "info", "biz", "name", "io", "co", "us", "uk", "de", "fr", "it"]
# The 200k dataset draws middle names from a pool of unisex given names and first names from
# another list, so the *value* tells the two apart (a middle name stands alone in greetings as
# often as between two names). The pools here are disjoint for the same reason.
MIDDLE_NAMES = [
    "Dakota",
    "Ellis",
    "Rowan",
    "Jordan",
    "Taylor",
    "Morgan",
    "Avery",
    "Quinn",
    "Riley",
    "Jamie",
    "Casey",
    "Skyler",
    "Reese",
    "Peyton",
    "Emerson",
    "Hayden",
    "Kendall",
    "Parker",
    "Sawyer",
    "Finley",
    "Blake",
    "Cameron",
    "Drew",
    "Harper",
    "Jules",
    "Kai",
    "Logan",
    "River",
    "Sage",
    "Shiloh",
    "Remy",
    "Marlowe",
    "Oakley",
    "Phoenix",
    "Robin",
    "Alexis",
    "Ashton",
    "Frankie",
    "Jessie",
    "Addison",
    "Arden",
    "August",
    "Bailey",
    "Billie",
    "Bowie",
    "Brooklyn",
    "Corey",
    "Elliott",
    "Gray",
    "Greer",
    "Jaden",
    "Kennedy",
    "Leslie",
    "Lennon",
    "Micah",
    "Nico",
    "North",
    "Reagan",
    "Reign",
    "Rory",
    "Sasha",
    "Shawn",
    "Tatum",
    "Wren",
    "Ainsley",
    "Arlo",
    "Blair",
    "Briar",
    "Campbell",
    "Carson",
    "Dallas",
    "Denver",
    "Eden",
    "Ellery",
    "Ember",
    "Gale",
    "Hollis",
    "Indigo",
    "Jody",
    "Justice",
    "Lane",
    "Lark",
    "Linden",
    "Lowell",
    "Lyric",
    "Marion",
    "Monroe",
    "Ocean",
    "Onyx",
    "Palmer",
    "Perry",
    "Raleigh",
    "Ramsey",
    "Rain",
    "Royal",
    "Salem",
    "Scout",
    "Shay",
    "Sloane",
    "Sterling",
    "Stevie",
    "Sutton",
    "Tanner",
    "Teagan",
    "Tristan",
    "Winter",
    "Zion",
]
_MIDDLE_SET = frozenset(MIDDLE_NAMES)
# given names and surnames in the dataset's style (Faker's "en" person lists)
EN_FIRST_NAMES = tuple(n for n in dict.fromkeys(_EnPerson.first_names) if n not in _MIDDLE_SET)
EN_LAST_NAMES = tuple(dict.fromkeys(_EnPerson.last_names))
# ISO 4217 currency names, as the dataset writes them (title case, the standard's own wording)
CURRENCY_NAMES = [
    "Afghani",
    "Lek",
    "Algerian Dinar",
    "Kwanza",
    "Argentine Peso",
    "Armenian Dram",
    "Aruban Florin",
    "Australian Dollar",
    "Azerbaijan Manat",
    "Bahamian Dollar",
    "Bahraini Dinar",
    "Taka",
    "Barbados Dollar",
    "Belarusian Ruble",
    "Belize Dollar",
    "Bermudian Dollar",
    "Ngultrum",
    "Bhutanese Ngultrum",
    "Boliviano",
    "Convertible Mark",
    "Pula",
    "Brazilian Real",
    "Brunei Dollar",
    "Bulgarian Lev",
    "Burundi Franc",
    "Cabo Verde Escudo",
    "Riel",
    "Canadian Dollar",
    "Cayman Islands Dollar",
    "CFA Franc BEAC",
    "CFA Franc BCEAO",
    "CFP Franc",
    "Chilean Peso",
    "Yuan Renminbi",
    "Colombian Peso",
    "Comorian Franc",
    "Congolese Franc",
    "Costa Rican Colon",
    "Cuban Peso",
    "Czech Koruna",
    "Danish Krone",
    "Djibouti Franc",
    "Dominican Peso",
    "Egyptian Pound",
    "El Salvador Colon",
    "Nakfa",
    "Ethiopian Birr",
    "Euro",
    "Falkland Islands Pound",
    "Fiji Dollar",
    "Dalasi",
    "Lari",
    "Cedi",
    "Ghana Cedi",
    "Gibraltar Pound",
    "Quetzal",
    "Guinean Franc",
    "Guyana Dollar",
    "Gourde",
    "Lempira",
    "Hong Kong Dollar",
    "Forint",
    "Iceland Krona",
    "Indian Rupee",
    "Rupiah",
    "Iranian Rial",
    "Iraqi Dinar",
    "New Israeli Sheqel",
    "Jamaican Dollar",
    "Yen",
    "Jordanian Dinar",
    "Tenge",
    "Kenyan Shilling",
    "North Korean Won",
    "Won",
    "Kuwaiti Dinar",
    "Som",
    "Kip",
    "Lebanese Pound",
    "Loti",
    "Liberian Dollar",
    "Libyan Dinar",
    "Pataca",
    "Denar",
    "Malagasy Ariary",
    "Malawi Kwacha",
    "Malaysian Ringgit",
    "Rufiyaa",
    "Ouguiya",
    "Mauritius Rupee",
    "Mexican Peso",
    "Moldovan Leu",
    "Tugrik",
    "Moroccan Dirham",
    "Mozambique Metical",
    "Kyat",
    "Namibia Dollar",
    "Nepalese Rupee",
    "New Zealand Dollar",
    "Cordoba Oro",
    "Naira",
    "Norwegian Krone",
    "Rial Omani",
    "Pakistan Rupee",
    "Balboa",
    "Kina",
    "Guarani",
    "Sol",
    "Philippine Peso",
    "Zloty",
    "Qatari Rial",
    "Romanian Leu",
    "Russian Ruble",
    "Rwanda Franc",
    "Saint Helena Pound",
    "Tala",
    "Dobra",
    "Saudi Riyal",
    "Serbian Dinar",
    "Seychelles Rupee",
    "Leone",
    "Singapore Dollar",
    "Solomon Islands Dollar",
    "Somali Shilling",
    "Rand",
    "South Sudanese Pound",
    "Sri Lanka Rupee",
    "Sudanese Pound",
    "Surinam Dollar",
    "Lilangeni",
    "Swedish Krona",
    "Swiss Franc",
    "Syrian Pound",
    "New Taiwan Dollar",
    "Somoni",
    "Tanzanian Shilling",
    "Baht",
    "Pa'anga",
    "Trinidad and Tobago Dollar",
    "Tunisian Dinar",
    "Turkish Lira",
    "Turkmenistan New Manat",
    "Uganda Shilling",
    "Hryvnia",
    "UAE Dirham",
    "Pound Sterling",
    "US Dollar",
    "Peso Uruguayo",
    "Uzbekistan Sum",
    "Vatu",
    "Bolivar Soberano",
    "Dong",
    "Yemeni Rial",
    "Zambian Kwacha",
    "Zimbabwe Dollar",
    "East Caribbean Dollar",
    "Kyrgyzstani Som",
    "Lithuanian Litas",
    "Latvian Lats",
]
EMAIL_DOMAINS = [
    "gmail.com",
    "yahoo.com",
    "hotmail.com",
    "outlook.com",
    "aol.com",
    "icloud.com",
    "protonmail.com",
    "mail.com",
    "gmx.de",
    "web.de",
    "orange.fr",
    "libero.it",
    "yahoo.co.uk",
    "hotmail.co.uk",
    "free.fr",
    "virgilio.it",
]
_BASE58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
_PASSWORD_CHARS = string.ascii_letters + string.digits + "_"
_MONTHS = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
]
_CARD_PREFIXES = {
    "visa": (["4"], [16, 13, 19]),
    "mastercard": (["51", "52", "53", "54", "55", "2221", "2720"], [16]),
    "amex": (["34", "37"], [15]),
    "discover": (["6011", "65"], [16, 19]),
    "jcb": (["3528", "3589"], [16]),
    "diners_club": (["36", "38", "300"], [14]),
    "maestro": (["5018", "5020", "6304"], [12, 16, 19]),
}


def _ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


class ValueFactory:
    """Generates a value for any of the 56 classes. Same seed, same sequence of values.

    >>> f = ValueFactory(seed=1)
    >>> f("EMAIL") == ValueFactory(seed=1)("EMAIL")
    True
    """

    def __init__(self, seed: int = 0, locale: str = "en_US", locales: tuple[str, ...] | None = None):
        self.seed = seed
        self.locales = tuple(locales or (locale,))
        unknown = [loc for loc in self.locales if loc not in LOCALES]
        if unknown:
            raise ValueError(f"unsupported locale(s) {unknown}; choose from {list(LOCALES)}")
        self.rng = random.Random(seed)
        self._fakers: dict[str, Faker] = {}
        for i, loc in enumerate(self.locales):
            fk = Faker(loc)
            fk.seed_instance(seed * 7919 + i)
            self._fakers[loc] = fk
        self._en = Faker("en_US")
        self._en.seed_instance(seed * 7919 + 101)
        self.generators: dict[str, Callable[[], str]] = {name: getattr(self, f"_{name.lower()}") for name in CLASSES}

    # the faker of a randomly chosen locale of this factory
    @property
    def fk(self) -> Faker:
        return self._fakers[self.rng.choice(self.locales)]

    def __call__(self, label: str) -> str:
        try:
            gen = self.generators[label]
        except KeyError:
            raise KeyError(f"no value generator for {label!r}; known classes: {', '.join(CLASSES)}") from None
        return gen()

    value = __call__

    # -- helpers
    def _digits(self, n: int) -> str:
        return "".join(self.rng.choice(string.digits) for _ in range(n))

    def _pick(self, seq):
        return self.rng.choice(seq)

    # -- one generator per class (alphabetical, as in the taxonomy)
    def _accountname(self):
        return self._pick(ACCOUNT_NAMES)

    def _accountnumber(self):
        return self._digits(8)

    def _age(self):
        n = self.rng.randint(1, 95)
        return self._pick([str(n), str(n), f"{n} years old", f"{n} years"])

    def _amount(self):
        r = self.rng
        s = r.random()
        if s < 0.12:
            return f"{r.uniform(10, 999999):,.2f}"
        if s < 0.32:
            return f"{r.uniform(10, 999999):.2f}"
        if s < 0.47:
            return f"{r.randint(1, 999)}k"
        if s < 0.62:
            return f"{r.uniform(1, 999):.2f}k"
        if s < 0.72:
            return f"{r.uniform(0, 9):.{r.choice([1, 2, 4])}f}m"
        if s < 0.8:
            return f"{r.uniform(0, 9):.{r.choice([1, 3, 4])}f}{r.choice('kmb')}"
        return str(r.randint(5, 999999))

    def _bic(self):
        r = self.rng
        code = "".join(r.choice(string.ascii_uppercase) for _ in range(4))
        code += r.choice(["GB", "DE", "FR", "IT", "US", "ES", "NL", "CH", "BE", "AT", "SE", "IE"])
        code += "".join(r.choice(string.ascii_uppercase + string.digits) for _ in range(2))
        if r.random() < 0.5:
            code += r.choice(["XXX", "".join(r.choice(string.ascii_uppercase + string.digits) for _ in range(3))])
        return code

    def _bitcoinaddress(self):
        r = self.rng
        return r.choice("13") + "".join(r.choice(_BASE58) for _ in range(r.randint(25, 39)))

    def _buildingnumber(self):  # the dataset's building numbers have 2 to 5 digits
        return str(self.rng.randint(10, 10 ** self.rng.randint(2, 5) - 1))

    def _city(self):
        if not self._english(exact="en_US"):
            return self.fk.city()
        r = self.rng
        first, last = r.choice(EN_FIRST_NAMES), r.choice(EN_LAST_NAMES)
        prefix, suffix = r.choice(_EnAddress.city_prefixes), r.choice(_EnAddress.city_suffixes)
        return r.choice(
            [f"{prefix} {first}{suffix}", f"{prefix} {first}", f"{first}{suffix}", f"{last}{suffix}", f"{last}{suffix}"]
        )

    def _companyname(self):
        r = self.rng
        if not self._english() and r.random() < 0.5:
            return self.fk.company()
        a, b, c = (r.choice(EN_LAST_NAMES) for _ in range(3))
        s = r.random()
        if s < 0.46:
            return f"{a}, {b} and {c}"
        if s < 0.8:
            return f"{a} - {b}"
        return f"{a} {r.choice(['Group', 'LLC', 'Inc', 'and Sons'])}"

    def _county(self):
        r = self.rng
        if r.random() < 0.6:
            return r.choice(UK_COUNTIES)
        return f"{r.choice(US_COUNTY_STEMS)} County"

    def _creditcardcvv(self):
        return self._digits(4 if self.rng.random() < 0.1 else 3)

    def _creditcardissuer(self):
        return self._pick(CARD_ISSUERS)

    def creditcard(self, issuer: str | None = None) -> str:
        issuer = issuer or self._pick(list(_CARD_PREFIXES))
        prefixes, lengths = _CARD_PREFIXES[issuer]
        body = self._pick(prefixes)
        length = self._pick(lengths)
        body += self._digits(length - len(body) - 1)
        number = body + luhn_check_digit(body)
        if self.rng.random() < 0.12 and length == 16:  # some texts group the digits
            number = " ".join(number[i : i + 4] for i in range(0, 16, 4))
        return number

    def _creditcardnumber(self):
        """16 digits, unseparated, any leading digit: the dataset's card numbers carry no issuer
        prefix (the Luhn digit is kept, so the recognizers still see a card)."""
        if self.rng.random() < 0.1:
            return self.creditcard()
        body = self._digits(15)
        return body + luhn_check_digit(body)

    def _currency(self):
        return self._pick(CURRENCY_NAMES)

    def _currencycode(self):
        return self._en.currency_code()

    def _currencyname(self):
        return self._pick(CURRENCY_NAMES)

    def _currencysymbol(self):  # the dollar sign is a third of the dataset's symbols
        return "$" if self.rng.random() < 0.35 else self._pick(CURRENCY_SYMBOLS)

    # DATE and DOB share their formats but not in the same proportions: a bare day and month
    # ("25th March") is nearly always a DATE, a month/year pair ("6/84") more often a DOB
    def _date(self):
        return _format_date(self.rng, 1900, 2030, _DATE_STYLES)

    def _dob(self):
        return _format_date(self.rng, 1900, 2015, _DOB_STYLES)

    def _email(self):
        r = self.rng
        fk = self.fk
        first, last = _ascii(fk.first_name()), _ascii(fk.last_name())
        local = r.choice(
            [
                f"{first}_{last}{r.randint(1, 99)}",
                f"{first}.{last}",
                f"{first}{r.randint(1, 99)}",
                f"{first}.{last}{r.randint(1, 99)}",
                f"{first}.{last}{r.randint(1, 99)}",
                f"{first}{r.randint(1, 99)}",
                f"{first}_{last}",
                f"{last}.{first}{r.randint(1, 99)}",
            ]
        )
        return f"{local}@{r.choice(EMAIL_DOMAINS)}"

    def _ethereumaddress(self):
        return "0x" + "".join(self.rng.choice("0123456789abcdef") for _ in range(40))

    def _eyecolor(self):
        c = self._pick(EYE_COLORS)
        return f"Eye color: {c.capitalize()}" if self.rng.random() < 0.35 else c

    def _english(self, exact: str = "en") -> bool:
        """Whether this value comes from an English locale (``exact``: that one locale), whose
        names and places are drawn from the dataset-style lists rather than Faker's locale."""
        return self.rng.choice(self.locales).startswith(exact)

    def _firstname(self):
        if self._english():
            return self.rng.choice(EN_FIRST_NAMES)
        name = self.fk.first_name()
        return name if name not in _MIDDLE_SET else self.rng.choice(EN_FIRST_NAMES)

    def _gender(self):
        return self._pick(GENDERS)

    def _height(self):
        r = self.rng
        s = r.random()
        if s < 0.4:
            return f"{r.randint(3, 6)} feet {r.randint(0, 11)} inches"
        if s < 0.55:
            return f"{r.randint(3, 6)}feet{r.randint(0, 11)}inches"
        if s < 0.7:
            return f"{r.randint(120, 205)} cm"
        if s < 0.8:
            return f"{r.randint(120, 205)}centimeters"
        if s < 0.9:
            return f"{r.uniform(1.2, 2.05):.2f}m"
        return f"{r.randint(4, 6)}' {r.randint(0, 11)}\""

    def iban(self, country: str | None = None) -> str:
        r = self.rng
        country = country or r.choice(list(IBAN_LENGTHS))
        n = IBAN_LENGTHS[country] - 4
        letters = _IBAN_LETTER_PREFIX.get(country, 0)
        bban = "".join(r.choice(string.ascii_uppercase) for _ in range(letters)) + self._digits(n - letters)
        return country + iban_check_digits(country, bban) + bban

    def _iban(self):
        return self.iban()

    def _ip(self):
        return self._ipv4() if self.rng.random() < 0.6 else self._ipv6()

    def _ipv4(self):
        r = self.rng
        return ".".join(str(r.randint(1 if i == 0 else 0, 255)) for i in range(4))

    def _ipv6(self):
        return ":".join("".join(self.rng.choice("0123456789abcdef") for _ in range(4)) for _ in range(8))

    def _jobarea(self):
        return self._pick(JOB_AREAS)

    def _jobtitle(self):
        return f"{self._pick(JOB_DESCRIPTORS)} {self._pick(JOB_AREAS)} {self._pick(JOB_TYPES)}"

    def _jobtype(self):
        return self._pick(JOB_TYPES)

    def _lastname(self):
        return self.rng.choice(EN_LAST_NAMES) if self._english() else self.fk.last_name()

    def _litecoinaddress(self):
        r = self.rng
        return r.choice("LM3") + "".join(r.choice(_BASE58) for _ in range(r.randint(25, 33)))

    def _mac(self):
        return ":".join(f"{self.rng.randint(0, 255):02x}" for _ in range(6))

    def _maskednumber(self):
        return self._digits(16)

    def _middlename(self):
        return self._pick(MIDDLE_NAMES)

    def _nearbygpscoordinate(self):
        r = self.rng
        return f"[{r.uniform(-90, 90):.4f},{r.uniform(-180, 180):.4f}]"

    def _ordinaldirection(self):
        return self._pick(ORDINAL_DIRECTIONS)

    def _password(self):
        r = self.rng
        return "".join(r.choice(_PASSWORD_CHARS) for _ in range(r.choice([12, 12, 12, 12, 10, 14])))

    def imei(self) -> str:
        body = self._digits(14)
        d = body + luhn_check_digit(body)
        return f"{d[:2]}-{d[2:8]}-{d[8:14]}-{d[14]}"

    def _phoneimei(self):
        return self.imei()

    def _phonenumber(self):
        """Digit groups joined by a mix of separators, as the dataset writes them:
        "+93 270 636-0663", "(87)-8781.9216", "091.816 0609"."""
        r = self.rng
        if r.random() < 0.15:
            return self.fk.phone_number()
        groups = [
            self._digits(n)
            for n in r.choice(
                [(3, 3, 4), (2, 4, 4), (3, 4, 4), (2, 3, 4), (3, 3, 3, 4), (2, 2, 3, 4), (4, 3, 4), (2, 2, 2, 2)]
            )
        ]
        seps = [r.choice([" ", "-", ".", "-", " "]) for _ in groups[1:]]
        if r.random() < 0.2:
            groups[0] = f"({groups[0]})"
            seps[0] = r.choice([" ", "-", ""])
        text = groups[0] + "".join(s + g for s, g in zip(seps, groups[1:]))
        if r.random() < 0.45:
            text = f"+{r.randint(1, 999)}{r.choice([' ', '-', '.', ' '])}{text}"
        return text

    def _pin(self):
        return self._digits(4)

    def _prefix(self):
        return self._pick(
            ["Mr.", "Ms.", "Dr.", "Mx."] if self.rng.random() < 0.62 else ["Miss", "Mrs", "Mrs.", "Prof.", "Miss"]
        )

    def _secondaryaddress(self):
        return self._pick(["Apt.", "Suite", "Apt.", "Suite", "Unit", "Flat"]) + f" {self.rng.randint(1, 999)}"

    def _sex(self):
        return self._pick(["Male", "Female"])

    def _ssn(self):
        r, d = self.rng, self._digits
        s = r.random()
        if s < 0.55:
            return f"{r.randint(100, 899)}-{d(2)}-{d(4)}"
        if s < 0.8:  # the Swiss AHV form the dataset also uses
            return f"756.{d(4)}.{d(4)}"
        if s < 0.9:
            return f"{r.randint(100, 899)} {d(2)} {d(4)}"
        return d(11) if r.random() < 0.5 else f"756{d(8)}"

    def _state(self):
        return self._en.state() if self.rng.random() < 0.55 else self._pick(EU_REGIONS)

    def _street(self):
        r = self.rng
        if r.random() < 0.85:
            if not self._english(exact="en_US"):
                return self.fk.street_name()
            name = r.choice(EN_LAST_NAMES) if r.random() < 0.6 else r.choice(EN_FIRST_NAMES)
            return f"{name} {r.choice(_EnAddress.street_suffixes)}"
        return r.choice(
            [
                "Main Street",
                "Church Road",
                "Station Road",
                "High Street",
                "Veterans Memorial Highway",
                "Park Avenue",
                "Mill Lane",
                "Victoria Road",
                "N Main Street",
                "S 3rd Street",
                "E Broadway",
                "W 5th Street",
                "Kings Road",
                "Manor Drive",
                "School Lane",
            ]
        )

    def _time(self):
        r = self.rng
        h, m = r.randint(1, 12), r.randint(0, 59)
        s = r.random()
        if s < 0.22:  # a bare hour of the 24-hour clock ("at 16")
            return str(r.randint(0, 23))
        if s < 0.42:
            return f"{r.randint(0, 23):02d}:{m:02d}"
        if s < 0.55:
            return f"{h} {r.choice(['AM', 'PM'])}"
        if s < 0.68:
            return f"{h}:{m:02d} {r.choice(['AM', 'PM'])}"
        if s < 0.8:
            return f"{h} o'clock"
        if s < 0.9:
            return f"{h}:{m:02d}{r.choice(['am', 'pm'])}"
        return r.choice([f"{h}{r.choice(['am', 'pm'])}", f"{r.randint(0, 23)}:{m:02d}:{r.randint(0, 59):02d}"])

    def _url(self):
        r = self.rng
        w1, w2 = r.sample(URL_WORDS, 2)
        tail = r.choice(["", "", "/", f"/{r.choice(URL_WORDS)}", f"/{r.choice(URL_WORDS)}-{r.choice(URL_WORDS)}"])
        return f"{r.choice(['https://', 'https://', 'http://', 'https://www.'])}{w1}-{w2}.{r.choice(URL_TLDS)}{tail}"

    def _useragent(self):
        return self._en.user_agent()

    def _username(self):
        r = self.rng
        fk = self.fk
        first, last = _ascii(fk.first_name()), _ascii(fk.last_name())
        return r.choice(
            [
                f"{first}_{last}",
                f"{first}.{last}",
                f"{first}{r.randint(1, 99)}",
                f"{first}{r.randint(1, 99)}",
                f"{first}_{last}{r.randint(1, 99)}",
                f"{first}.{last}{r.randint(1, 99)}",
                f"{last}{r.randint(1, 999)}",
            ]
        )

    def vin(self) -> str:
        body = [self.rng.choice(_VIN_ALPHABET) for _ in range(17)]
        body[8] = "0"
        vin = "".join(body)
        return vin[:8] + vin_check_digit(vin) + vin[9:]

    def _vehiclevin(self):
        return self.vin()

    def _vehiclevrm(self):
        r = self.rng
        up = string.ascii_uppercase
        return (
            f"{r.choice(up)}{r.choice(up)}{r.randint(0, 9)}{r.randint(0, 9)}{''.join(r.choice(up) for _ in range(3))}"
        )

    def _zipcode(self):
        r = self.rng
        s = r.random()
        if s < 0.47:
            return f"{r.randint(501, 99950):05d}"
        if s < 0.94:
            return f"{r.randint(501, 99950):05d}-{r.randint(0, 9999):04d}"
        return self.fk.postcode()


# date formats and their weights per class, in the order of _format_date's branches:
# dd/mm/yyyy, m/d/yyyy, Month d, yyyy, 25th March, m/yy, yyyy-mm-dd, ISO timestamp, d Month yyyy
_DATE_STYLES = (0.36, 0.03, 0.14, 0.26, 0.09, 0.02, 0.09, 0.01)
_DOB_STYLES = (0.42, 0.04, 0.24, 0.04, 0.14, 0.02, 0.09, 0.01)


def _format_date(r: random.Random, start_year: int, end_year: int, weights=_DATE_STYLES) -> str:
    y, m, d = r.randint(start_year, end_year), r.randint(1, 12), r.randint(1, 28)
    style = r.choices(range(8), weights=weights)[0]
    if style == 0:
        a, b = (d, m) if r.random() < 0.5 else (m, d)
        return f"{a:02d}/{b:02d}/{y}"
    if style == 1:
        return f"{m}/{d}/{y}"
    if style == 2:
        return f"{_MONTHS[m - 1]} {d}, {y}"
    if style == 3:
        return f"{_ordinal(d)} {_MONTHS[m - 1]}" + (f" {y}" if r.random() < 0.1 else "")
    if style == 4:
        return f"{m}/{y % 100:02d}"
    if style == 5:
        return f"{y}-{m:02d}-{d:02d}"
    if style == 6:
        return (
            f"{y}-{m:02d}-{d:02d}T{r.randint(0, 23):02d}:{r.randint(0, 59):02d}:"
            f"{r.randint(0, 59):02d}.{r.randint(0, 999):03d}Z"
        )
    return f"{d} {_MONTHS[m - 1]} {y}"


def _ascii(name: str) -> str:
    """Names as they appear in e-mail addresses and user names: ASCII letters only."""
    import unicodedata

    folded = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return "".join(c for c in folded if c.isalpha()) or "user"
