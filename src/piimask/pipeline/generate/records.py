"""Structured records: texts that are a form, not prose.

People paste records into prompts as often as they write sentences: a customer's details as
``Key: value`` lines, a markdown list or table, a JSON object, an XML element or a CSV row, with
a line asking for something around it, or the values alone (a list of them, a row, ``<value>``
lines, a JSON array) with nothing saying what each is. ``compose_record`` writes such a masked text in any of
the offline grammar's languages, with the field names a person of that language writes (package
data ``data/fragments/record_fields.yaml``) and the machine-style keys systems write (``first_name``,
``firstName``, ``FirstName``), in the layouts below. The offline backends write a share of their
texts this way (params ``record_share``; 0 keeps the prose-only corpus byte for byte). A
record's fields are filled through ``FormValues``: some of its values as forms hold them (a sex
as a letter or an option, a title of any rank, "Villa 12", a short password of symbols).

``template_id`` is ``<code>-r<layout><kind>/<classes>``: a split group is one layout of one record
kind in one language, so the test split holds layouts the model did not see in training.
"""

from __future__ import annotations

import random
import re
import string
from functools import cache
from importlib import resources

import yaml

from ...core.fill import canonical_label
from ...core.locale_values import FOREIGN_NAME_RATE, foreign_faker, short_title
from ...core.streets import compose_street

# the last four write the values alone, no field names (see ``_bare``)
BARE_LAYOUTS = ("values", "angled", "row", "array")
LAYOUTS = ("lines", "bullets", "table", "json", "xml", "csv", "inline", "elements", "html", *BARE_LAYOUTS)
# classes that make up a record of each kind, in the order a form lists them
KINDS: dict[str, tuple[str, ...]] = {
    "person": (
        "PREFIX",
        "FIRSTNAME",
        "MIDDLENAME",
        "LASTNAME",
        "DOB",
        "AGE",
        "SEX",
        "GENDER",
        "HEIGHT",
        "EYECOLOR",
        "SSN",
    ),
    "contact": ("EMAIL", "PHONENUMBER", "USERNAME", "URL"),
    "address": (
        "BUILDINGNUMBER",
        "STREET",
        "SECONDARYADDRESS",
        "ZIPCODE",
        "CITY",
        "COUNTY",
        "STATE",
        "ORDINALDIRECTION",
        "NEARBYGPSCOORDINATE",
    ),
    "payment": (
        "ACCOUNTNAME",
        "ACCOUNTNUMBER",
        "IBAN",
        "BIC",
        "CREDITCARDISSUER",
        "CREDITCARDNUMBER",
        "CREDITCARDCVV",
        "MASKEDNUMBER",
        "PIN",
        "AMOUNT",
        "CURRENCYSYMBOL",
        "CURRENCY",
        "CURRENCYCODE",
        "CURRENCYNAME",
    ),
    "crypto": ("BITCOINADDRESS", "ETHEREUMADDRESS", "LITECOINADDRESS", "AMOUNT", "CURRENCYCODE"),
    "login": ("USERNAME", "PASSWORD", "EMAIL", "IP", "IPV4", "IPV6", "MAC", "USERAGENT", "PHONEIMEI", "URL"),
    "job": ("COMPANYNAME", "JOBTITLE", "JOBAREA", "JOBTYPE"),
    "vehicle": ("VEHICLEVRM", "VEHICLEVIN"),
    "event": ("DATE", "TIME"),
}
KIND_NAMES = tuple(KINDS)
# a record is one or two kinds; most are about a person, and the other kind is most often where the
# person lives, how to reach them, their login or an appointment (the classes of the real 300k
# rows: addresses, user names, e-mails and times are four to nine times as frequent there as in
# the prose, payment and crypto fields absent; README, "Beyond English")
PERSON_RATE, SECOND_KIND_RATE = 0.7, 0.6
KIND_WEIGHTS = {
    "person": 1.0,
    "contact": 2.0,
    "address": 3.0,
    "payment": 1.0,
    "crypto": 0.5,
    "login": 2.0,
    "job": 1.0,
    "vehicle": 0.5,
    "event": 2.0,
}
MIN_FIELDS, MAX_FIELDS = 3, 8
INTRO_RATE, CLOSING_RATE, NATIVE_KEY_RATE, ADDRESS_LINE_RATE = 0.65, 0.25, 0.3, 0.35

INTROS = {
    "en": [
        "The customer's details:",
        "Please check this record:",
        "Can you put this data in a table?",
        "Registration data:",
        "Update the following entry:",
        "New entry for the database:",
        "Is anything missing in this profile?",
        "Form submitted today:",
    ],
    "fr": [
        "Voici les informations du client :",
        "Merci de vérifier cette fiche :",
        "Peux-tu mettre ces données en forme ?",
        "Données d'inscription :",
        "Mettre à jour l'entrée suivante :",
        "Nouvelle entrée pour la base :",
        "Manque-t-il quelque chose dans ce dossier ?",
        "Formulaire reçu aujourd'hui :",
    ],
    "de": [
        "Hier sind die Kundendaten:",
        "Bitte prüfen Sie diesen Datensatz:",
        "Kannst du diese Daten als Tabelle formatieren?",
        "Anmeldedaten:",
        "Folgenden Eintrag aktualisieren:",
        "Neuer Eintrag für die Datenbank:",
        "Fehlt etwas in diesem Profil?",
        "Heute eingegangenes Formular:",
    ],
    "it": [
        "Ecco i dati del cliente:",
        "Per favore, verifica questa scheda:",
        "Puoi mettere questi dati in una tabella?",
        "Dati di registrazione:",
        "Aggiorna la voce seguente:",
        "Nuova voce per il database:",
        "Manca qualcosa in questo profilo?",
        "Modulo ricevuto oggi:",
    ],
    "nl": [
        "Hier zijn de klantgegevens:",
        "Controleer dit record alstublieft:",
        "Kun je deze gegevens in een tabel zetten?",
        "Inschrijvingsgegevens:",
        "Werk de volgende invoer bij:",
        "Nieuwe invoer voor de database:",
        "Ontbreekt er iets in dit profiel?",
        "Vandaag ontvangen formulier:",
    ],
}
CLOSINGS = {
    "en": ["Thanks!", "Thank you in advance.", "Let me know if something is wrong."],
    "fr": ["Merci !", "Merci d'avance.", "Dites-moi si quelque chose ne va pas."],
    "de": ["Danke!", "Vielen Dank im Voraus.", "Sag Bescheid, wenn etwas nicht stimmt."],
    "it": ["Grazie!", "Grazie in anticipo.", "Fammi sapere se qualcosa non va."],
    "nl": ["Bedankt!", "Alvast bedankt.", "Laat het weten als er iets niet klopt."],
}
# a whole address in one field, in the order each language writes it
ADDRESS_LINE = {
    "en": ("[BUILDINGNUMBER] [STREET], [CITY] [ZIPCODE]", ["Address", "Home address", "Postal address"]),
    "fr": ("[BUILDINGNUMBER] [STREET], [ZIPCODE] [CITY]", ["Adresse", "Adresse postale", "Domicile"]),
    "de": ("[STREET] [BUILDINGNUMBER], [ZIPCODE] [CITY]", ["Adresse", "Anschrift", "Wohnanschrift"]),
    "it": ("[STREET] [BUILDINGNUMBER], [ZIPCODE] [CITY]", ["Indirizzo", "Residenza", "Indirizzo postale"]),
    "nl": ("[STREET] [BUILDINGNUMBER], [ZIPCODE] [CITY]", ["Adres", "Woonadres", "Postadres"]),
}
# or, in any language, the number before a comma as many forms and exports write it
ADDRESS_LINE_COMMA, COMMA_LINE_RATE = "[BUILDINGNUMBER], [STREET], [ZIPCODE] [CITY]", 0.3
ADDRESS_CLASSES = ("BUILDINGNUMBER", "STREET", "ZIPCODE", "CITY")
# one of each group per record (a form has one currency field, one IP field, sex or gender)
EXCLUSIVE = (
    frozenset({"CURRENCY", "CURRENCYCODE", "CURRENCYNAME", "CURRENCYSYMBOL"}),
    frozenset({"IP", "IPV4", "IPV6"}),
    frozenset({"SEX", "GENDER"}),
    frozenset({"DATE", "DOB"}),
)
XML_ROOTS = {
    "person": "person",
    "contact": "contact",
    "address": "address",
    "payment": "payment",
    "crypto": "wallet",
    "login": "account",
    "job": "employee",
    "vehicle": "vehicle",
    "event": "event",
}
_SPACE_BEFORE_COLON = {"fr"}

# What a form's fields hold where prose would write otherwise: a sex as the form's option (a
# letter, or "prefer not to say"), a title of any rank (nobility, clergy, office, army; often cut
# short without a dot), an address's second line as a dwelling and its number, a street named
# after a place, a town with its district, a password as a user types it (short, any symbol).
# FORM_RATE of such fields in a record are written this way; the rest as in prose. English
# records also take a share of names from other countries (the other languages' values do).
FORM_RATE = 0.5
FORM_SEXES = {
    "en": "M|F|O|X|Male|Female|Masculine|Feminine|Non-binary|Other|Intersex|Prefer not to say|Not specified",
    "fr": "H|F|M|A|X|Homme|Femme|Masculin|Féminin|Autre|Non-binaire|Ne se prononce pas|Non précisé",
    "de": "M|W|D|X|Männlich|Weiblich|Divers|Anderes|Nicht-binär|Keine Angabe|Möchte ich nicht angeben",
    "it": "M|F|A|X|Maschio|Femmina|Maschile|Femminile|Altro|Non binario|Preferisco non rispondere",
    "nl": "M|V|A|X|Man|Vrouw|Anders|Niet-binair|Zeg ik liever niet|Onbekend|Niet opgegeven",
}
FORM_TITLES = {
    "en": "Lady|Lord|Sir|Dame|Baron|Baroness|Count|Countess|Duke|Duchess|Earl|Prince|Princess|King|Queen|"
    "Archduke|Archduchess|Viscount|Marquess|Reverend|Father|Sister|Brother|Bishop|Monsignor|Rabbi|Imam|"
    "Pastor|Mayor|Mayoress|Alderman|Councillor|Senator|Governor|President|Judge|Justice|Advocate|Notary|"
    "Captain|Colonel|General|Major|Lieutenant|Sergeant|Admiral|Chief|Professor|Doctor|Heir|Excellency",
    "fr": "Abbé|Abbesse|Frère|Sœur|Père|Mère|Évêque|Cardinal|Monseigneur|Duc|Duchesse|Comte|Comtesse|Baron|"
    "Baronne|Marquis|Marquise|Vicomte|Vicomtesse|Prince|Princesse|Roi|Reine|Dame|Seigneur|Chevalier|Écuyer|"
    "Maire|Échevin|Échevine|Sénateur|Sénatrice|Député|Députée|Préfet|Préfète|Général|Colonel|Capitaine|"
    "Lieutenant|Sergent|Amiral|Maître|Docteur|Professeur|Monsieur|Madame|Mademoiselle|Directeur|Directrice|"
    "Chambellan|Notaire|Juge",
    "de": "Herr|Frau|Graf|Gräfin|Freiherr|Freifrau|Baron|Baronin|Fürst|Fürstin|Herzog|Herzogin|Prinz|"
    "Prinzessin|König|Königin|Erzherzog|Erzherzogin|Ritter|Pfarrer|Pfarrerin|Pastor|Pastorin|Vikar|Bischof|"
    "Abt|Äbtissin|Bruder|Schwester|Mutter|Pater|Bürgermeister|Bürgermeisterin|Stadtrat|Stadträtin|Senator|"
    "Minister|Ministerin|Leutnant|Hauptmann|Major|Oberst|General|Feldwebel|Unteroffizier|Meister|Meisterin|"
    "Doktor|Doktorin|Professor|Professorin|Notar|Notarin|Richter|Richterin|Prokurist",
    "it": "Signor|Signora|Signorina|Dottore|Dottoressa|Professore|Professoressa|Avvocato|Ingegnere|Don|Donna|"
    "Conte|Contessa|Barone|Baronessa|Marchese|Marchesa|Duca|Duchessa|Principe|Principessa|Re|Regina|"
    "Cavaliere|Padre|Madre|Suora|Frate|Monsignore|Vescovo|Sindaco|Senatore|Senatrice|Onorevole|Generale|"
    "Colonnello|Capitano|Tenente|Maresciallo|Notaio|Giudice|Ministro",
    "nl": "De heer|Mevrouw|Meneer|Jonkheer|Jonkvrouw|Baron|Barones|Graaf|Gravin|Hertog|Hertogin|Prins|Prinses|"
    "Koning|Koningin|Ridder|Pastoor|Dominee|Pater|Zuster|Broeder|Bisschop|Burgemeester|Wethouder|Senator|"
    "Minister|Kamerlid|Generaal|Kolonel|Majoor|Kapitein|Luitenant|Sergeant|Notaris|Rechter|Professor|Dokter",
}
DWELLINGS = (  # the word before an address's second-line number, written so in every language
    "Apt|Suite|Unit|Flat|Room|Floor|Office|Studio|Loft|Penthouse|Condo|Duplex|Triplex|Townhouse|Bungalow|"
    "Cabin|Chalet|Villa|Cottage|Lodge|Ranch|Farmhouse|Attic|Basement|Dorm|Residence|Building|Block|Tower|"
    "House|Mobile Home|Trailer|RV|Houseboat|Maisonette|Terrace|Pod|PO Box|Box|Dept|Station|Barracks|"
    "Palace|Manor|Mansion|Hut|Annex|Wing|Hall|Camp"
).split("|")
CUT_TITLE_RATE = 0.25
_SEX_OPTIONS = {code: options.split("|") for code, options in FORM_SEXES.items()}
_TITLE_OPTIONS = {code: options.split("|") for code, options in FORM_TITLES.items()}


class FormValues:
    """The values of a record's fields: ``values`` (the text's value factory), with FORM_RATE of
    its sexes, titles, second address lines, streets, towns and passwords written as forms write
    them. Seeded by the record, on a generator of its own (the towns of its streets and districts
    are still the factory's)."""

    FORMED = ("SEX", "PREFIX", "SECONDARYADDRESS", "STREET", "CITY", "PASSWORD")

    def __init__(self, values, language: str, seed: int):
        self.values, self.language = values, language
        self.rng = random.Random(f"form/{seed}")

    def __call__(self, label: str) -> str:
        r = self.rng
        if label in ("FIRSTNAME", "MIDDLENAME", "LASTNAME") and self.language == "en":
            if r.random() < FOREIGN_NAME_RATE:
                fk = foreign_faker(r)
                return fk.last_name() if label == "LASTNAME" else fk.first_name()
            return self.values(label)
        if label not in self.FORMED or r.random() >= FORM_RATE:
            return self.values(label)
        if label == "SEX":
            return r.choice(_SEX_OPTIONS[self.language])
        if label == "PREFIX":
            title = r.choice(_TITLE_OPTIONS[self.language])
            return (
                short_title(title, r, (3, 3, 4), 0.0, pad=False)
                if " " not in title and len(title) > 4 and r.random() < CUT_TITLE_RATE
                else title
            )
        if label == "SECONDARYADDRESS":
            return f"{r.choice(DWELLINGS)} {r.randint(1, 999)}"
        if label == "CITY":  # a town and its district (or another place of the area)
            return f"{self.values('CITY')} {self.values('CITY').split()[0]}"
        if label == "PASSWORD":
            return form_password(r)
        return compose_street(self.language, r, lambda: self.values("CITY"))

    value = __call__


# a password typed by a user: 4 to 12 characters, any printable symbol, none of them read as a
# placeholder ("[A1]") or breaking the quotes of a JSON or CSV field
PASSWORD_CHARS = string.ascii_letters + string.digits + string.punctuation.replace('"', "").replace("\\", "")


def form_password(rng: random.Random) -> str:
    while True:
        pw = "".join(rng.choice(PASSWORD_CHARS) for _ in range(rng.randint(4, 12)))
        if not re.search(r"\[[^\]]*\]", pw) and pw[0] not in "-*#|>" and pw[-1] not in ",;":
            return pw


def is_record(template_id: str) -> bool:
    """Whether a text's ``template_id`` is a record's (``<code>-r<layout><kind>/...``)."""
    return bool(re.match(r"[a-z]{2}-r\d", template_id or ""))


@cache
def fields() -> dict[str, dict[str, list[str]]]:
    text = resources.files("piimask.data").joinpath("fragments/record_fields.yaml").read_text(encoding="utf-8")
    return yaml.safe_load(text)


def _key_style(key: str, style: str) -> str:
    parts = key.split("_")
    if style == "camel":
        return parts[0] + "".join(p.capitalize() for p in parts[1:])
    if style == "pascal":
        return "".join(p.capitalize() for p in parts)
    return key


def _weighted_kind(rng: random.Random, taken: list[str]) -> str:
    names = [k for k in KIND_NAMES if k not in taken]
    return rng.choices(names, weights=[KIND_WEIGHTS[k] for k in names])[0]


def _pick_classes(required: list[str], rng: random.Random) -> tuple[str, list[str]]:
    """(kind name for the id, classes in form order): the required classes, then more from one or two kinds."""
    kinds = []
    for c in required:  # the kinds the required classes belong to come first
        kind = next((k for k, cs in KINDS.items() if c in cs), None)
        if kind and kind not in kinds:
            kinds.append(kind)
    if not kinds:
        kinds.append("person" if rng.random() < PERSON_RATE else _weighted_kind(rng, ["person"]))
    if len(kinds) < 2 and rng.random() < SECOND_KIND_RATE:
        kinds.append(_weighted_kind(rng, kinds))
    n = max(len(required), rng.randint(MIN_FIELDS, MAX_FIELDS))
    chosen = list(dict.fromkeys(required))
    pool = [c for k in kinds for c in KINDS[k] if c not in chosen]
    if "person" in kinds:  # a person's record names the person
        for c in ("FIRSTNAME", "LASTNAME"):
            if c not in chosen and len(chosen) < n:
                chosen.append(c)
                pool.remove(c)
    rng.shuffle(pool)
    for c in pool:
        if len(chosen) >= n:
            break
        if not any(c in g and g & set(chosen) for g in EXCLUSIVE):
            chosen.append(c)
    order = [c for k in kinds for c in KINDS[k]]
    chosen = sorted(dict.fromkeys(chosen), key=lambda c: order.index(c) if c in order else len(order))
    return kinds[0], chosen


def compose_record(language: str, classes: list[str], rng: random.Random, max_chars: int = 10_000) -> tuple[str, str]:
    """(masked text, template_id) of one structured record in ``language`` holding ``classes``
    (those a balanced plan still needs) and more fields of the same kinds."""
    names = fields()
    kind, chosen = _pick_classes([c for c in classes if c in names], rng)
    layout_i = rng.randrange(len(LAYOUTS))
    layout = LAYOUTS[layout_i]
    machine = layout == "elements" or (layout in ("json", "xml", "csv") and rng.random() >= NATIVE_KEY_RATE)
    style = rng.choice(("snake", "camel", "pascal"))
    items: list[tuple[str, str]] = []  # (field name, masked value)
    address = set(ADDRESS_CLASSES) <= set(chosen) and rng.random() < ADDRESS_LINE_RATE
    for c in chosen:
        if address and c in ADDRESS_CLASSES:
            if c == "STREET":
                line, labels = ADDRESS_LINE[language]
                line = ADDRESS_LINE_COMMA if rng.random() < COMMA_LINE_RATE else line
                key = "address" if machine else rng.choice(labels)
                items.append((_key_style(key, style) if machine else key, line))
            continue
        key = _key_style(rng.choice(names[c]["key"]), style) if machine else rng.choice(names[c][language])
        items.append((key, f"[{c}]"))
    colon = " :" if language in _SPACE_BEFORE_COLON else ":"
    body = _layout(layout, items, kind, colon, rng, style)
    parts = []
    if rng.random() < INTRO_RATE:
        parts.append(rng.choice(INTROS[language]))
    parts.append(body)
    if rng.random() < CLOSING_RATE:
        parts.append(rng.choice(CLOSINGS[language]))
    text = (
        "\n\n"
        if layout in ("table", "json", "xml", "csv", "elements", "html", "angled", "array") or rng.random() < 0.5
        else "\n"
    ).join(parts)
    if len(text) > max_chars:  # a long record keeps its first fields
        text = text[:max_chars].rsplit("\n", 1)[0]
    template_id = f"{language}-r{layout_i}{KIND_NAMES.index(kind)}/" + "+".join(chosen)
    return text, template_id


def _element_tag(key: str, root: str, style: str) -> str:
    """An XML element's name for a field key; a key that names a class (``<email>``, ``<sex>``)
    would read as a placeholder, so it takes the record's name first (``<contact_email>``)."""
    if canonical_label(key)[0] is None:
        return key
    return _key_style(f"{root}_{re.sub(r'(?<!^)(?=[A-Z])', '_', key).lower()}", style)


HTML_LAYOUTS = (
    ("<ul>\n{rows}\n</ul>", "  <li><strong>{k}{colon}</strong> {v}</li>"),
    ("<table>\n{rows}\n</table>", "  <tr><th>{k}</th><td>{v}</td></tr>"),
    ('<div class="record">\n{rows}\n</div>', "  <p><span>{k}{colon}</span> {v}</p>"),
    ("<dl>\n{rows}\n</dl>", "  <dt>{k}</dt><dd>{v}</dd>"),
)


def _bare(layout: str, values: list[str], kind: str, rng: random.Random) -> str:
    """The values alone, as many real texts hold them: nothing names a field, so only a value's
    shape and its neighbours say it is one ("- F", "<Baron>", a row of a user's values). One
    record's values, or two or three people's in a row each."""
    groups = [values] * rng.choice((1, 1, 2, 3))
    if layout == "values":  # a list, flat, numbered, or each person's first value heading the rest
        mark = rng.choice(("- ", "* ", "• ", "", "#"))
        indent = rng.choice(("", "", "  ", "    "))
        nested = len(values) > 1 and rng.random() < 0.5
        blocks = []
        for n, g in enumerate(groups, 1):
            if nested:
                head = f"{n}. " if mark == "#" else mark
                lines = [f"{indent}{head}{g[0]}"] + [f"{indent}   - {v}" for v in g[1:]]
            else:
                lines = [f"{indent}{f'{i}. ' if mark == '#' else mark}{v}" for i, v in enumerate(g, 1)]
            blocks.append("\n".join(lines))
        return ("\n\n" if nested or rng.random() < 0.5 else "\n").join(blocks)
    root = XML_ROOTS[kind]
    if layout == "angled":  # markup whose every line is a value in angle brackets
        if len(groups) == 1:
            return f"<{root}>\n" + "\n".join(f"  <{v}>" for v in values) + f"\n</{root}>"
        item = rng.choice(("entry", "item", "record", root))
        inner = "\n".join(f"  <{item}>\n" + "\n".join(f"    <{v}>" for v in g) + f"\n  </{item}>" for g in groups)
        outer = rng.choice(("records", "data", "list", f"{root}_list"))
        return f"<{outer}>\n{inner}\n</{outer}>"
    if layout == "row":  # one line per person, the values separated, perhaps quoted and numbered
        sep = rng.choice((", ", "; ", " | ", "\\", " / ", ","))
        quote = '"' if rng.random() < 0.3 else ""
        numbered = len(groups) > 1 and rng.random() < 0.5
        rows = [sep.join(f"{quote}{v}{quote}" for v in g) for g in groups]
        return "\n".join(f"{n}{sep}{r}" if numbered else r for n, r in enumerate(rows, 1))
    # array: a JSON array of the values, or an object keyed by each person's first value
    if len(values) > 1 and rng.random() < 0.35:
        keyed = ",\n".join(f'  "{g[0]}": [' + ", ".join(f'"{v}"' for v in g[1:]) + "]" for g in groups)
        return "{\n" + keyed + "\n}"
    arrays = ["[" + ", ".join(f'"{v}"' for v in g) + "]" for g in groups]
    body = arrays[0] if len(arrays) == 1 else "[\n    " + ",\n    ".join(arrays) + "\n  ]"
    return f'{{\n  "{root}": {body}\n}}'


def _layout(
    layout: str, items: list[tuple[str, str]], kind: str, colon: str, rng: random.Random, style: str = "snake"
) -> str:
    if layout in BARE_LAYOUTS:
        return _bare(layout, [v for _, v in items], kind, rng)
    if layout == "elements":  # one element per field, the way exports write a record
        root = XML_ROOTS[kind]
        lines = [f"  <{t}>{v}</{t}>" for t, (_, v) in zip((_element_tag(k, root, style) for k, _ in items), items)]
        head = '<?xml version="1.0" encoding="UTF-8"?>\n' if rng.random() < 0.3 else ""
        return f"{head}<{root}>\n" + "\n".join(lines) + f"\n</{root}>"
    if layout == "html":  # a list, table or paragraphs of a web page or an HTML mail
        outer, row = rng.choice(HTML_LAYOUTS)
        return outer.format(rows="\n".join(row.format(k=k, v=v, colon=colon) for k, v in items))
    if layout == "lines":
        return "\n".join(f"{k}{colon} {v}" for k, v in items)
    if layout == "bullets":
        mark = rng.choice(("- ", "* ", "• "))
        bold = rng.random() < 0.6
        return "\n".join(f"{mark}**{k}{colon}** {v}" if bold else f"{mark}{k}{colon} {v}" for k, v in items)
    if layout == "table":
        head = "| " + " | ".join(k for k, _ in items) + " |"
        rule = "|" + "|".join("---" for _ in items) + "|"
        return "\n".join((head, rule, "| " + " | ".join(v for _, v in items) + " |"))
    if layout == "json":
        indent = " " * rng.choice((2, 4))
        quoted = [
            (
                k,
                v
                if re.fullmatch(r"\[(AGE|HEIGHT|PIN|BUILDINGNUMBER|CREDITCARDCVV)\]", v) and rng.random() < 0.5
                else f'"{v}"',
            )
            for k, v in items
        ]
        return "{\n" + ",\n".join(f'{indent}"{k}": {v}' for k, v in quoted) + "\n}"
    if layout == "xml":  # fields as attributes: a bare <tag> would read as a placeholder
        names = [re.sub(r"\W+", "_", k).strip("_") or "field" for k, _ in items]
        lines = [f'  <field name="{n}">{v}</field>' for n, (_, v) in zip(names, items)]
        return f'<record type="{XML_ROOTS[kind]}">\n' + "\n".join(lines) + "\n</record>"
    if layout == "csv":
        sep = rng.choice((",", ";"))
        return sep.join(k for k, _ in items) + "\n" + sep.join(v for _, v in items)
    sep = rng.choice((", ", "; ", " | "))  # inline
    return sep.join(f"{k}{colon} {v}" for k, v in items)


@cache
def records_digest() -> str:
    """A digest of what ``compose_record`` writes (a fixed sample in every language): a run's
    request ids change when the record layouts or field names do, as they do for the bank."""
    import hashlib

    h = hashlib.sha256()
    rng = random.Random(0)
    for i in range(200):
        language = tuple(INTROS)[i % len(INTROS)]
        h.update(compose_record(language, [], rng)[0].encode())
    return h.hexdigest()[:10]
