"""Values for French, German, Italian and Dutch texts, in each locale's own formats.

``LocaleValueFactory`` is a ``ValueFactory`` whose generators follow one locale (fr_FR, de_DE,
it_IT, nl_NL): dates as the locale writes them (``12/03/2021`` and ``12 mars 2021``,
``12.03.2021`` and ``12. März 2021``, ``12-03-2021`` and ``12 maart 2021``), national phone
numbers (``06 12 34 56 78``, ``030 12345678``, ``+39 333 1234567``, ``020-1234567``), postcodes
(five digits; ``1234 AB`` in the Netherlands), IBANs of the country and its neighbours, national
identifiers for SSN (INSEE number, Rentenversicherungsnummer or Steuer-ID, codice fiscale, BSN),
honorifics, amounts with the locale's separators, and names, places and companies from Faker's
locale. Classes whose values do not depend on the language (IP and MAC addresses, card numbers,
crypto addresses, passwords, user agents...) keep ``ValueFactory``'s generators.

English texts keep ``ValueFactory`` itself: nothing here changes them.
"""

from __future__ import annotations

import re
import string
from dataclasses import dataclass
from functools import cache

from faker import Faker
from faker.providers.address.it_IT import Provider as _ItAddress

from .languages import LANGUAGES
from .streets import compose_street
from .values import _IBAN_LETTER_PREFIX, CURRENCY_SYMBOLS, IBAN_LENGTHS, ValueFactory, _ascii, iban_check_digits


@dataclass(frozen=True)
class LocaleFormats:
    """What one language's values look like; lists repeat an item to weight it."""

    months: tuple[str, ...]
    dates: tuple[tuple[str, float], ...]  # format, weight (see ``_format``)
    times: tuple[str, ...]
    phones: tuple[str, ...]  # '#' any digit, 'N' a digit 1-9
    iban_countries: tuple[str, ...]
    prefixes: tuple[str, ...]
    sexes: tuple[str, ...]
    genders: tuple[str, ...]
    eye_colors: tuple[str, ...]
    account_names: tuple[str, ...]
    currency_names: tuple[str, ...]
    directions: tuple[str, ...]
    secondary: tuple[str, ...]  # '{n}' a number, '{L}' a letter
    counties: tuple[str, ...]
    states: tuple[str, ...]  # empty: Faker's
    age_units: tuple[str, ...]
    heights: tuple[str, ...]  # '{m}' metres with the locale's comma, '{cm}' centimetres
    thousands: tuple[str, ...]
    decimal: str
    email_domains: tuple[str, ...]
    url_words: tuple[str, ...]
    tlds: tuple[str, ...]
    building_suffixes: tuple[str, ...]
    job_titles: tuple[str, ...] = ()  # empty: Faker's (fr_FR and de_DE have native job lists)
    state_codes: tuple[str, ...] = ()  # the abbreviations forms and addresses use for regions
    day_one: str = ""  # how the first of a month is written before its name ("1er", "1°")
    ordinal: str = ""  # the suffix of "{do}", a day written as an ordinal ("21e", "5.")
    # rank, office, religious and military titles (PREFIX as well: "Comtesse Morel", "Bürgermeisterin
    # Wolf"); forms and lists cut them short ("Bgm", "Gräf."), see ``short_title``
    titles: tuple[str, ...] = ()


# Dates as an English text writes them, in the language's words: the month first ("mei 23e, 2000",
# "März 5., 1990", "octobre 1er, 1935"), a day as an ordinal ("24e mei 1959"), a month and a year
# ("décembre/87"). The real nl/fr/de rows write a third or more of their dates so (statistics over
# ../shared/realdata, README "Beyond English"); a fifth here, the languages' own formats the rest.
DATES_AS_IN_ENGLISH = (
    ("{month} {do}, {yyyy}", 0.06),
    ("{month} {d}, {yyyy}", 0.03),
    ("{do} {month} {yyyy}", 0.07),
    ("{month}/{yy}", 0.08),
)

# Dutch address data write a town as municipality and place ("Zaanstad Assendelft", the two alike
# where they are one): a third of the real Dutch rows' towns are two words or more, a tenth of
# Faker's
NL_PLACE_IN_TOWN_RATE = 0.2

# a share of the names drawn from other countries' name lists (Latin script), and of the streets
# named the way most streets are (``core.streets``) rather than after a person as Faker's are
FOREIGN_NAME_RATE, NAMED_STREET_RATE = 0.3, 0.5
FOREIGN_NAME_LOCALES = (
    "it_IT", "es_ES", "pt_PT", "pt_BR", "tr_TR", "pl_PL", "hr_HR", "hu_HU", "cs_CZ", "ro_RO",
    "sv_SE", "fi_FI", "da_DK", "de_DE", "fr_FR", "nl_NL", "en_GB", "en_IN", "en_NG", "id_ID",
    "az_AZ", "lt_LT", "fr_DZ", "es_MX",
)  # fmt: skip


@cache
def _faker(locale: str) -> Faker:
    """One Faker per locale for the process (building one takes a moment); seeded before each use."""
    return Faker(locale)


def foreign_faker(rng) -> Faker:
    """Another country's Faker (FOREIGN_NAME_LOCALES), seeded from ``rng`` for one draw."""
    fk = _faker(rng.choice(FOREIGN_NAME_LOCALES))
    fk.seed_instance(rng.randrange(2**31))
    return fk


FORMATS: dict[str, LocaleFormats] = {
    "fr": LocaleFormats(
        months=(
            "janvier",
            "février",
            "mars",
            "avril",
            "mai",
            "juin",
            "juillet",
            "août",
            "septembre",
            "octobre",
            "novembre",
            "décembre",
        ),
        dates=(
            ("{dd}/{mm}/{yyyy}", 0.44),
            ("{d1} {month} {yyyy}", 0.16),
            ("{d1} {month}", 0.04),
            ("{iso}", 0.14),
            ("{yyyy}-{mm}-{dd}", 0.04),
            ("{dd}/{mm}/{yy}", 0.04),
            ("{mm}/{yy}", 0.03),
            ("{month} {yyyy}", 0.02),
            ("{dd}.{mm}.{yyyy}", 0.02),
            ("{dd}-{mm}-{yyyy}", 0.02),
            *DATES_AS_IN_ENGLISH,
        ),
        times=(
            "{H}h{MM}",
            "{H}h{MM}",
            "{H}h",
            "{HH}:{MM}",
            "{HH}:{MM}",
            "{H} h {MM}",
            "{HH}h{MM}",
            "{HH}:{MM}:{SS}",
            "{H}",
        ),
        phones=(
            "0N ## ## ## ##",
            "0N ## ## ## ##",
            "06 ## ## ## ##",
            "07 ## ## ## ##",
            "0N.##.##.##.##",
            "+33 N ## ## ## ##",
            "+33 (0)N ## ## ## ##",
            "+33N########",
            "0N########",
            "0N-##-##-##-##",
        ),
        iban_countries=("FR", "FR", "FR", "FR", "FR", "FR", "BE", "LU", "MC", "CH"),
        prefixes=(
            "M.",
            "M.",
            "M.",
            "Mme",
            "Mme",
            "Mme",
            "Mlle",
            "Dr",
            "Dr",
            "Pr",
            "Me",
            "Monsieur",
            "Madame",
            "Maître",
            "Comtesse",
            "Baron",
            "Père",
            "Sœur",
        ),
        sexes=(
            "Homme",
            "Femme",
            "Homme",
            "Femme",
            "H",
            "F",
            "H",
            "F",
            "M",
            "masculin",
            "féminin",
            "Autre",
            "A",
            "X",
            "Ne souhaite pas répondre",
        ),
        titles=(
            "Comte",
            "Comtesse",
            "Duc",
            "Duchesse",
            "Marquis",
            "Marquise",
            "Vicomte",
            "Vicomtesse",
            "Baron",
            "Baronne",
            "Prince",
            "Princesse",
            "Roi",
            "Reine",
            "Chevalier",
            "Écuyer",
            "Dame",
            "Seigneur",
            "Abbé",
            "Abbesse",
            "Évêque",
            "Archevêque",
            "Cardinal",
            "Monseigneur",
            "Frère",
            "Sœur",
            "Père",
            "Mère",
            "Pasteur",
            "Maire",
            "Mairesse",
            "Échevin",
            "Député",
            "Députée",
            "Sénateur",
            "Sénatrice",
            "Ministre",
            "Préfet",
            "Préfète",
            "Consul",
            "Ambassadeur",
            "Colonel",
            "Capitaine",
            "Lieutenant",
            "Général",
            "Commandant",
            "Adjudant",
            "Sergent",
            "Amiral",
            "Chambellan",
            "Notaire",
            "Juge",
            "Président",
            "Présidente",
            "Directeur",
            "Directrice",
            "Docteur",
            "Professeur",
            "Recteur",
            "Doyen",
            "Mgr",
            "Cne",
            "Lt",
            "Gal",
        ),
        genders=(
            "non-binaire",
            "femme trans",
            "homme trans",
            "cisgenre",
            "femme cisgenre",
            "homme cisgenre",
            "genderfluid",
            "agenre",
            "intersexe",
            "transgenre",
            "bigenre",
            "personne non binaire",
            "queer",
        ),
        eye_colors=("marron", "bleu", "vert", "gris", "noisette", "noir", "bleu-vert", "brun", "ambre"),
        account_names=(
            "Compte courant",
            "Compte épargne",
            "Livret A",
            "Livret de développement durable",
            "Plan d'épargne logement",
            "Compte joint",
            "Compte titres",
            "Compte professionnel",
            "Plan d'épargne en actions",
            "Compte sur livret",
        ),
        currency_names=(
            "euro",
            "dollar américain",
            "livre sterling",
            "franc suisse",
            "yen japonais",
            "couronne danoise",
            "couronne suédoise",
            "dollar canadien",
            "yuan",
            "roupie indienne",
            "rand sud-africain",
            "dirham marocain",
            "franc CFA",
            "zloty",
            "peso mexicain",
        ),
        directions=("Nord", "Sud", "Est", "Ouest", "Nord-Est", "Nord-Ouest", "Sud-Est", "Sud-Ouest"),
        secondary=(
            "Appartement {n}",
            "Apt {n}",
            "Bâtiment {L}",
            "Étage {n}",
            "Escalier {L}",
            "Bât. {L}",
            "Résidence {L}, appt {n}",
            "Porte {n}",
        ),
        counties=(),
        states=(),
        age_units=("ans",),
        heights=("{m} m", "{cm} cm", "{m}m", "1m{cc}", "{cm}cm"),
        thousands=(" ", " ", " ", "\u202f", ""),
        decimal=",",
        email_domains=(
            "orange.fr",
            "free.fr",
            "laposte.net",
            "sfr.fr",
            "wanadoo.fr",
            "gmail.com",
            "yahoo.fr",
            "hotmail.fr",
            "outlook.fr",
            "bbox.fr",
        ),
        url_words=(
            "soleil",
            "jardin",
            "etoile",
            "riviere",
            "colline",
            "lumiere",
            "plume",
            "nuage",
            "chemin",
            "verger",
            "horizon",
            "lavande",
            "ocean",
            "foret",
            "atelier",
        ),
        tlds=("fr", "fr", "fr", "com", "net", "org", "eu", "be"),
        building_suffixes=(" bis", " ter", "B"),
        day_one="1er",
        ordinal="e",
        state_codes=("IDF", "PACA", "ARA", "BFC", "HDF", "NA", "GE", "CVL"),
    ),
    "de": LocaleFormats(
        ordinal=".",
        months=(
            "Januar",
            "Februar",
            "März",
            "April",
            "Mai",
            "Juni",
            "Juli",
            "August",
            "September",
            "Oktober",
            "November",
            "Dezember",
        ),
        dates=(
            ("{dd}.{mm}.{yyyy}", 0.3),
            ("{d}.{m}.{yyyy}", 0.06),
            ("{d}. {month} {yyyy}", 0.15),
            ("{d}. {month}", 0.04),
            ("{dd}/{mm}/{yyyy}", 0.2),
            ("{iso}", 0.14),
            *DATES_AS_IN_ENGLISH,
            ("{yyyy}-{mm}-{dd}", 0.05),
            ("{dd}.{mm}.{yy}", 0.05),
            ("{month} {yyyy}", 0.02),
            ("{mm}/{yy}", 0.02),
        ),
        times=(
            "{HH}:{MM}",
            "{HH}:{MM}",
            "{HH}:{MM} Uhr",
            "{HH}:{MM} Uhr",
            "{H} Uhr",
            "{H}.{MM} Uhr",
            "{HH}:{MM}:{SS}",
            "{H}:{MM}",
            "{H}",
        ),
        phones=(
            "0N# ########",
            "0N## #######",
            "01## #######",
            "+49 N# ########",
            "+49 (0)N# #######",
            "(0N##) ######",
            "0N##/#######",
            "0N#-########",
            "+49 1## #######",
            "0N#########",
            "0N# ### ### ##",
        ),
        iban_countries=("DE", "DE", "DE", "DE", "DE", "DE", "AT", "AT", "CH", "LU"),
        prefixes=(
            "Herr",
            "Herr",
            "Herr",
            "Frau",
            "Frau",
            "Frau",
            "Dr.",
            "Dr.",
            "Prof.",
            "Prof. Dr.",
            "Dipl.-Ing.",
            "Herr Dr.",
            "Frau Dr.",
            "Graf",
            "Freifrau",
            "Pfarrer",
            "Bürgermeisterin",
        ),
        sexes=(
            "männlich",
            "weiblich",
            "Männlich",
            "Weiblich",
            "Männlich",
            "Weiblich",
            "M",
            "W",
            "M",
            "W",
            "D",
            "divers",
            "Divers",
            "Keine Angabe",
            "Möchte ich nicht angeben",
        ),
        titles=(
            "Graf",
            "Gräfin",
            "Fürst",
            "Fürstin",
            "Herzog",
            "Herzogin",
            "Freiherr",
            "Baron",
            "Baronin",
            "Prinz",
            "Prinzessin",
            "König",
            "Königin",
            "Erzherzog",
            "Erzherzogin",
            "Ritter",
            "Markgraf",
            "Pfarrer",
            "Pfarrerin",
            "Pastor",
            "Pastorin",
            "Bischof",
            "Äbtissin",
            "Abt",
            "Kardinal",
            "Prälat",
            "Bruder",
            "Schwester",
            "Pater",
            "Mutter",
            "Vikar",
            "Diakon",
            "Bürgermeister",
            "Landrat",
            "Landrätin",
            "Stadtrat",
            "Stadträtin",
            "Minister",
            "Ministerin",
            "Senator",
            "Senatorin",
            "Botschafter",
            "Konsul",
            "Hauptmann",
            "Oberst",
            "Major",
            "Leutnant",
            "Feldwebel",
            "General",
            "Admiral",
            "Notar",
            "Notarin",
            "Richter",
            "Richterin",
            "Direktor",
            "Direktorin",
            "Rektor",
            "Rektorin",
            "Doktor",
            "Doktorin",
            "Professorin",
            "Magister",
            "Kammerherr",
            "Hr.",
            "Fr.",
            "Bgm.",
            "Pfr.",
            "Obst.",
            "Hptm.",
            "Mag.",
        ),
        genders=(
            "nicht-binär",
            "Transfrau",
            "Transmann",
            "cisgeschlechtlich",
            "cis Frau",
            "cis Mann",
            "genderfluid",
            "agender",
            "intergeschlechtlich",
            "transgender",
            "bigender",
            "divers",
            "queer",
        ),
        eye_colors=(
            "braun",
            "blau",
            "grün",
            "grau",
            "haselnussbraun",
            "blaugrau",
            "dunkelbraun",
            "graugrün",
            "bernsteinfarben",
        ),
        account_names=(
            "Girokonto",
            "Sparkonto",
            "Tagesgeldkonto",
            "Festgeldkonto",
            "Gemeinschaftskonto",
            "Geschäftskonto",
            "Depotkonto",
            "Kreditkartenkonto",
            "Bausparkonto",
            "Darlehenskonto",
        ),
        currency_names=(
            "Euro",
            "US-Dollar",
            "Pfund Sterling",
            "Schweizer Franken",
            "Japanischer Yen",
            "Dänische Krone",
            "Schwedische Krone",
            "Kanadischer Dollar",
            "Renminbi",
            "Indische Rupie",
            "Polnischer Złoty",
            "Tschechische Krone",
            "Norwegische Krone",
            "Türkische Lira",
            "Australischer Dollar",
        ),
        directions=("Norden", "Süden", "Osten", "Westen", "Nordosten", "Nordwesten", "Südosten", "Südwesten"),
        secondary=(
            "Wohnung {n}",
            "Whg. {n}",
            "{n}. OG",
            "Etage {n}",
            "App. {n}",
            "Haus {L}",
            "Aufgang {L}",
            "Zimmer {n}",
            "Hinterhaus, {n}. OG",
        ),
        counties=(
            "Landkreis Harburg",
            "Rhein-Sieg-Kreis",
            "Kreis Steinfurt",
            "Landkreis Ludwigsburg",
            "Main-Kinzig-Kreis",
            "Landkreis Esslingen",
            "Kreis Recklinghausen",
            "Landkreis Rostock",
            "Landkreis Hildesheim",
            "Ortenaukreis",
            "Landkreis Bautzen",
            "Kreis Mettmann",
            "Landkreis Göttingen",
            "Rhein-Neckar-Kreis",
            "Landkreis München",
            "Erzgebirgskreis",
            "Landkreis Osnabrück",
            "Märkischer Kreis",
            "Landkreis Passau",
            "Kreis Pinneberg",
        ),
        states=(),
        age_units=("Jahre", "Jahre alt"),
        heights=("{m} m", "{cm} cm", "{m}m", "{cm}cm"),
        thousands=(".", ".", ".", ""),
        decimal=",",
        email_domains=(
            "gmx.de",
            "web.de",
            "t-online.de",
            "gmail.com",
            "freenet.de",
            "posteo.de",
            "outlook.de",
            "yahoo.de",
            "mail.de",
            "arcor.de",
        ),
        url_words=(
            "sonne",
            "garten",
            "stern",
            "fluss",
            "wolke",
            "licht",
            "feder",
            "wald",
            "berg",
            "brunnen",
            "lichtung",
            "wiese",
            "anker",
            "werkstatt",
            "kompass",
        ),
        tlds=("de", "de", "de", "com", "net", "org", "eu", "at", "ch"),
        building_suffixes=("a", "b", "c", "-12"),
        state_codes=("NRW", "BY", "BW", "NI", "HE", "SN", "RP", "SH", "BE", "HH", "TH", "MV"),
    ),
    "it": LocaleFormats(
        months=(
            "gennaio",
            "febbraio",
            "marzo",
            "aprile",
            "maggio",
            "giugno",
            "luglio",
            "agosto",
            "settembre",
            "ottobre",
            "novembre",
            "dicembre",
        ),
        dates=(
            ("{dd}/{mm}/{yyyy}", 0.45),
            ("{d1} {month} {yyyy}", 0.2),
            ("{d1} {month}", 0.06),
            ("{iso}", 0.08),
            ("{dd}-{mm}-{yyyy}", 0.06),
            ("{yyyy}-{mm}-{dd}", 0.05),
            ("{dd}/{mm}/{yy}", 0.05),
            ("{month} {yyyy}", 0.03),
            ("{d}/{m}/{yyyy}", 0.02),
        ),
        times=("{HH}:{MM}", "{HH}:{MM}", "{H}:{MM}", "{H}.{MM}", "{HH}.{MM}", "{HH}:{MM}:{SS}", "{H}"),
        phones=(
            "0N ########",
            "0N# #######",
            "0N #### ####",
            "3## ### ####",
            "3## #######",
            "+39 3## #######",
            "+39 0N ########",
            "+39 3## ### ####",
            "3#########",
            "0N#-#######",
        ),
        iban_countries=("IT", "IT", "IT", "IT", "IT", "IT", "IT", "SM", "CH", "AT"),
        prefixes=(
            "Sig.",
            "Sig.",
            "Sig.ra",
            "Sig.ra",
            "Dott.",
            "Dott.ssa",
            "Prof.",
            "Prof.ssa",
            "Avv.",
            "Ing.",
            "Geom.",
            "Signor",
            "Signora",
            "Conte",
            "Don",
            "Suor",
        ),
        sexes=(
            "Maschio",
            "Femmina",
            "Maschio",
            "Femmina",
            "M",
            "F",
            "M",
            "F",
            "maschile",
            "femminile",
            "uomo",
            "donna",
            "Altro",
            "X",
            "Preferisco non rispondere",
        ),
        titles=(
            "Conte",
            "Contessa",
            "Duca",
            "Duchessa",
            "Marchese",
            "Marchesa",
            "Barone",
            "Baronessa",
            "Principe",
            "Principessa",
            "Re",
            "Regina",
            "Cavaliere",
            "Donna",
            "Monsignore",
            "Padre",
            "Madre",
            "Fra",
            "Vescovo",
            "Cardinale",
            "Badessa",
            "Sindaco",
            "Sindaca",
            "Assessore",
            "Senatore",
            "Senatrice",
            "Onorevole",
            "Ministro",
            "Prefetto",
            "Console",
            "Ambasciatore",
            "Colonnello",
            "Capitano",
            "Tenente",
            "Generale",
            "Maresciallo",
            "Ammiraglio",
            "Notaio",
            "Giudice",
            "Rettore",
            "Direttore",
            "Direttrice",
            "Presidente",
            "Cav.",
            "Mons.",
            "On.",
            "Col.",
            "Cap.",
            "Ten.",
            "Gen.",
        ),
        genders=(
            "non binario",
            "donna trans",
            "uomo trans",
            "cisgender",
            "donna cisgender",
            "uomo cisgender",
            "genderfluid",
            "agender",
            "intersessuale",
            "transgender",
            "bigender",
            "persona non binaria",
            "queer",
        ),
        eye_colors=("castani", "azzurri", "verdi", "grigi", "neri", "nocciola", "marroni", "celesti", "scuri"),
        account_names=(
            "Conto corrente",
            "Conto deposito",
            "Libretto di risparmio",
            "Conto cointestato",
            "Conto titoli",
            "Conto business",
            "Conto online",
            "Conto giovani",
            "Conto di base",
            "Conto mutuo",
        ),
        currency_names=(
            "euro",
            "dollaro statunitense",
            "sterlina britannica",
            "franco svizzero",
            "yen giapponese",
            "corona danese",
            "corona svedese",
            "dollaro canadese",
            "yuan cinese",
            "rupia indiana",
            "rand sudafricano",
            "lira turca",
            "zloty polacco",
            "peso messicano",
            "real brasiliano",
        ),
        directions=("Nord", "Sud", "Est", "Ovest", "Nord-Est", "Nord-Ovest", "Sud-Est", "Sud-Ovest"),
        secondary=(
            "Interno {n}",
            "int. {n}",
            "Scala {L}",
            "Piano {n}",
            "Appartamento {n}",
            "Scala {L}, interno {n}",
            "Palazzina {L}",
        ),
        counties=(),
        states=(
            "Lombardia",
            "Lazio",
            "Campania",
            "Sicilia",
            "Veneto",
            "Emilia-Romagna",
            "Piemonte",
            "Puglia",
            "Toscana",
            "Calabria",
            "Sardegna",
            "Liguria",
            "Marche",
            "Abruzzo",
            "Friuli-Venezia Giulia",
            "Trentino-Alto Adige",
            "Umbria",
            "Basilicata",
            "Molise",
            "Valle d'Aosta",
        ),
        age_units=("anni",),
        heights=("{m} m", "{cm} cm", "{m}m", "{cm}cm"),
        thousands=(".", ".", ".", ""),
        decimal=",",
        email_domains=(
            "libero.it",
            "virgilio.it",
            "alice.it",
            "tiscali.it",
            "gmail.com",
            "hotmail.it",
            "yahoo.it",
            "tin.it",
            "fastwebnet.it",
            "outlook.it",
        ),
        url_words=(
            "sole",
            "giardino",
            "stella",
            "fiume",
            "collina",
            "luce",
            "piuma",
            "nuvola",
            "sentiero",
            "bosco",
            "orizzonte",
            "lavanda",
            "mare",
            "bottega",
            "vigneto",
        ),
        tlds=("it", "it", "it", "com", "net", "org", "eu"),
        building_suffixes=("/A", "/B", " bis", "A"),
        job_titles=(
            "Responsabile commerciale",
            "Impiegato amministrativo",
            "Ingegnere informatico",
            "Consulente finanziario",
            "Direttore vendite",
            "Insegnante di matematica",
            "Infermiere",
            "Addetto alla contabilità",
            "Responsabile risorse umane",
            "Analista di dati",
            "Tecnico di laboratorio",
            "Project manager",
            "Avvocato",
            "Architetto",
            "Farmacista",
            "Geometra",
            "Agente immobiliare",
            "Sviluppatore software",
            "Medico di base",
            "Responsabile della logistica",
        ),
        day_one="1°",
        state_codes=("MI", "RM", "TO", "NA", "FI", "BO", "VE", "GE", "PA", "BA"),
    ),
    "nl": LocaleFormats(
        ordinal="e",
        months=(
            "januari",
            "februari",
            "maart",
            "april",
            "mei",
            "juni",
            "juli",
            "augustus",
            "september",
            "oktober",
            "november",
            "december",
        ),
        dates=(
            ("{dd}-{mm}-{yyyy}", 0.25),
            ("{dd}/{mm}/{yyyy}", 0.22),
            ("{d} {month} {yyyy}", 0.15),
            ("{d} {month}", 0.04),
            ("{iso}", 0.14),
            *DATES_AS_IN_ENGLISH,
            ("{yyyy}-{mm}-{dd}", 0.05),
            ("{d}-{m}-{yyyy}", 0.05),
            ("{dd}-{mm}-{yy}", 0.03),
            ("{month} {yyyy}", 0.03),
        ),
        times=(
            "{HH}:{MM}",
            "{HH}:{MM}",
            "{H}.{MM} uur",
            "{H} uur",
            "{HH}:{MM} uur",
            "{H}u{MM}",
            "{HH}.{MM}",
            "{HH}:{MM}:{SS}",
            "{H}u",
            "{H}",
        ),
        phones=(
            "0N#-#######",
            "06-########",
            "0N# ### ####",
            "+31 6 ########",
            "+31 (0)N# ### ####",
            "+31 N# #######",
            "06 ## ## ## ##",
            "0N#########",
            "0N# - #######",
            "+316########",
        ),
        iban_countries=("NL", "NL", "NL", "NL", "NL", "NL", "BE", "BE", "DE", "LU"),
        prefixes=(
            "dhr.",
            "dhr.",
            "mevr.",
            "mevr.",
            "Dhr.",
            "Mevr.",
            "mevrouw",
            "meneer",
            "dr.",
            "mr.",
            "ir.",
            "drs.",
            "prof.",
            "Jonkheer",
            "Barones",
            "Burgemeester",
            "Pastoor",
        ),
        sexes=(
            "man",
            "vrouw",
            "Man",
            "Vrouw",
            "Man",
            "Vrouw",
            "M",
            "V",
            "M",
            "V",
            "anders",
            "Anders",
            "X",
            "Zeg ik liever niet",
        ),
        titles=(
            "Graaf",
            "Gravin",
            "Baron",
            "Barones",
            "Hertog",
            "Hertogin",
            "Prins",
            "Prinses",
            "Koning",
            "Koningin",
            "Jonkheer",
            "Jonkvrouw",
            "Ridder",
            "Markies",
            "Burggraaf",
            "Pastoor",
            "Dominee",
            "Bisschop",
            "Kardinaal",
            "Abt",
            "Abdis",
            "Broeder",
            "Zuster",
            "Pater",
            "Moeder",
            "Burgemeester",
            "Wethouder",
            "Minister",
            "Staatssecretaris",
            "Senator",
            "Gouverneur",
            "Gedeputeerde",
            "Ambassadeur",
            "Consul",
            "Kolonel",
            "Majoor",
            "Kapitein",
            "Luitenant",
            "Generaal",
            "Sergeant",
            "Admiraal",
            "Notaris",
            "Rechter",
            "Advocaat",
            "Directeur",
            "Directrice",
            "Professor",
            "Rector",
            "Meester",
            "Bgm.",
            "Weth.",
            "Jhr.",
            "Jkvr.",
            "Ds.",
            "Kol.",
            "Maj.",
            "Kpt.",
            "Lt.",
            "Gen.",
        ),
        genders=(
            "non-binair",
            "transvrouw",
            "transman",
            "cisgender",
            "cisvrouw",
            "cisman",
            "genderfluïde",
            "agender",
            "intersekse",
            "transgender",
            "bigender",
            "genderqueer",
            "queer",
        ),
        eye_colors=(
            "bruin",
            "blauw",
            "groen",
            "grijs",
            "hazelnootbruin",
            "blauwgrijs",
            "donkerbruin",
            "grijsgroen",
            "amberkleurig",
        ),
        account_names=(
            "Betaalrekening",
            "Spaarrekening",
            "Internetspaarrekening",
            "Gezamenlijke rekening",
            "Zakelijke rekening",
            "Beleggingsrekening",
            "Deposito",
            "Creditcardrekening",
            "Jongerenrekening",
            "Hypotheekrekening",
        ),
        currency_names=(
            "euro",
            "Amerikaanse dollar",
            "Britse pond",
            "Zwitserse frank",
            "Japanse yen",
            "Deense kroon",
            "Zweedse kroon",
            "Canadese dollar",
            "Chinese yuan",
            "Indiase roepie",
            "Zuid-Afrikaanse rand",
            "Turkse lira",
            "Poolse zloty",
            "Surinaamse dollar",
            "Antilliaanse gulden",
        ),
        directions=("noord", "zuid", "oost", "west", "noordoost", "noordwest", "zuidoost", "zuidwest"),
        secondary=(
            "Appartement {n}",
            "app. {n}",
            "{n} hoog",
            "bus {n}",
            "Unit {n}",
            "Kamer {n}",
            "Etage {n}",
            "Blok {L}",
        ),
        counties=(
            "Achterhoek",
            "Veluwe",
            "Twente",
            "het Gooi",
            "Zeeuws-Vlaanderen",
            "West-Friesland",
            "Salland",
            "de Liemers",
            "Westland",
            "Kempen",
            "Betuwe",
            "Peel",
            "Hoeksche Waard",
            "Drechtsteden",
            "Zaanstreek",
            "Kennemerland",
            "Voorne-Putten",
            "Noordoostpolder",
            "Bommelerwaard",
            "Waterland",
        ),
        states=(),
        age_units=("jaar", "jaar oud"),
        heights=("{m} m", "{cm} cm", "{m}m", "{cm}cm"),
        thousands=(".", ".", ".", ""),
        decimal=",",
        email_domains=(
            "ziggo.nl",
            "kpnmail.nl",
            "hotmail.nl",
            "gmail.com",
            "planet.nl",
            "xs4all.nl",
            "live.nl",
            "outlook.com",
            "home.nl",
            "telfort.nl",
        ),
        url_words=(
            "zon",
            "tuin",
            "ster",
            "rivier",
            "heuvel",
            "licht",
            "veer",
            "wolk",
            "pad",
            "bos",
            "horizon",
            "lavendel",
            "zee",
            "werkplaats",
            "molen",
        ),
        tlds=("nl", "nl", "nl", "com", "net", "org", "eu", "be"),
        building_suffixes=("A", "B", "-1", "-2", " bis"),
        job_titles=(
            "Accountmanager",
            "Beleidsmedewerker",
            "Projectleider",
            "Verpleegkundige",
            "Software-ontwikkelaar",
            "Docent Engels",
            "Financieel adviseur",
            "Teamleider klantenservice",
            "Administratief medewerker",
            "Huisarts",
            "Data-analist",
            "Logistiek medewerker",
            "Jurist arbeidsrecht",
            "Makelaar",
            "Apothekersassistent",
            "HR-adviseur",
            "Monteur installatietechniek",
            "Marketingmanager",
            "Controller",
            "Fysiotherapeut",
        ),
        state_codes=("NH", "ZH", "NB", "UT", "GLD", "OV", "LB", "FL", "GR", "FR", "DR", "ZL"),
    ),
}


_IT_TOWNS = tuple(sorted(_ItAddress.cities))


_VOWELS = "aeiouyäöüéèêëïîâàôûœ"


def short_title(title: str, rng, lengths: tuple[int, ...] = (3, 4), stop_rate: float = 0.5, pad: bool = True) -> str:
    """``title`` cut short as forms and lists write it: its first letters (one of ``lengths``:
    "Gräf", "Bar") or its first letter and two consonants after it ("Bgm" for Burgemeester),
    with a full stop ``stop_rate`` of the time. A title of four letters or fewer, of two words or
    already cut short is kept as it is. With ``pad``, a title with fewer than two consonants
    after its first letter is cut to its first three letters instead ("Rei", not "Rn"; records'
    forms keep the bare skeleton, as their corpora were measured)."""
    if len(title) <= 4 or " " in title or title.endswith("."):
        return title
    if rng.random() < 0.6:
        short = title[: rng.choice(lengths)]
    else:
        consonants = [c for c in title[1:] if c.isalpha() and c.lower() not in _VOWELS]
        short = title[0] + "".join(consonants[:2]) if len(consonants) >= 2 or not pad else title[:3]
    return short + "." if stop_rate and rng.random() < stop_rate else short


class LocaleValueFactory(ValueFactory):
    """Values for texts in ``language`` (fr, de, it or nl). Same seed, same sequence of values.

    >>> f = LocaleValueFactory("nl", seed=1)
    >>> f("ZIPCODE") == LocaleValueFactory("nl", seed=1)("ZIPCODE")
    True
    """

    def __init__(self, language: str, seed: int = 0):
        if language not in FORMATS:
            raise ValueError(
                f"no locale values for language {language!r}; piimask has them for "
                f"{', '.join(FORMATS)} (English texts use ValueFactory)"
            )
        super().__init__(seed=seed, locales=("en_US",))
        self.language = language
        self.formats = FORMATS[language]
        locale = LANGUAGES[language].locale
        fk = Faker(locale)
        fk.seed_instance(seed * 7919 + 17)
        self.locales, self._fakers = (locale,), {locale: fk}

    # -- helpers
    def _pattern(self, pattern: str) -> str:
        """'#' a digit, 'N' a digit 1-9, anything else as written."""
        r = self.rng
        return "".join(
            r.choice(string.digits) if c == "#" else str(r.randint(1, 9)) if c == "N" else c for c in pattern
        )

    def _number(self, value: float, decimals: int) -> str:
        """``value`` with the locale's thousands separator and decimal comma."""
        text = f"{value:,.{decimals}f}"
        return (
            text.replace(",", "\x00")
            .replace(".", self.formats.decimal)
            .replace("\x00", self._pick(self.formats.thousands))
        )

    def _date_in(self, start_year: int, end_year: int) -> str:
        r, f = self.rng, self.formats
        y, m, d = r.randint(start_year, end_year), r.randint(1, 12), r.randint(1, 28)
        fmt = r.choices([x for x, _ in f.dates], weights=[w for _, w in f.dates])[0]
        iso = f"{y}-{m:02d}-{d:02d}T{r.randint(0, 23):02d}:{r.randint(0, 59):02d}:{r.randint(0, 59):02d}" + (
            f".{r.randint(0, 999):03d}Z" if r.random() < 0.2 else ""
        )
        return fmt.format(
            d=d,
            dd=f"{d:02d}",
            m=m,
            mm=f"{m:02d}",
            yyyy=y,
            yy=f"{y % 100:02d}",
            month=f.months[m - 1],
            d1=f.day_one if d == 1 and f.day_one else d,
            do=f.day_one if d == 1 and f.day_one else f"{d}{f.ordinal}",
            iso=iso,
        )

    # -- the classes whose values depend on the locale (alphabetical)
    def _accountname(self):
        return self._pick(self.formats.account_names)

    def _age(self):
        n = self.rng.randint(1, 95)
        return str(n) if self.rng.random() < 0.55 else f"{n} {self._pick(self.formats.age_units)}"

    def _amount(self):
        r = self.rng
        s = r.random()
        if s < 0.35:
            return self._number(r.uniform(10, 99999), 2)
        if s < 0.6:
            return self._number(r.randint(10, 9999) * 10, 0)
        if s < 0.75:
            return self._number(r.uniform(1, 999), 2)
        if s < 0.85 and self.language in ("de", "nl"):
            return f"{r.randint(5, 9999)},-"
        return str(r.randint(5, 99999))

    def _bic(self):
        r = self.rng
        country = self._pick(self.formats.iban_countries)
        code = "".join(r.choice(string.ascii_uppercase) for _ in range(4)) + country
        code += "".join(r.choice(string.ascii_uppercase + string.digits) for _ in range(2))
        return code + (
            r.choice(["XXX", "".join(r.choice(string.ascii_uppercase + string.digits) for _ in range(3))])
            if r.random() < 0.5
            else ""
        )

    def _buildingnumber(self):
        n = str(self.rng.randint(1, 250) if self.rng.random() < 0.8 else self.rng.randint(1, 2999))
        return n + self._pick(self.formats.building_suffixes) if self.rng.random() < 0.1 else n

    def _city(self):
        if self.language == "it":  # it_IT keeps its towns in a set: their order follows the hash seed
            return self.fk.random_element(_IT_TOWNS)
        if self.language == "nl" and self.rng.random() < NL_PLACE_IN_TOWN_RATE:
            town = self.fk.city()  # Dutch addresses name the municipality and the place within it
            return f"{town} {town if self.rng.random() < 0.25 else self.fk.city()}"
        return self.fk.city()

    def _companyname(self):
        if self.language == "fr" and self.rng.random() < 0.6:  # fr_FR's companies are mostly a bare surname
            a, b = self.fk.last_name(), self.fk.last_name()
            return self._pick(
                [f"{a} SARL", f"{a} SA", f"{a} et Fils", f"{a} & {b}", f"Groupe {a}", f"{a} SAS", f"Établissements {a}"]
            )
        return self.fk.company()

    def _county(self):
        if self.language == "fr":
            return self.fk.department_name()
        if self.language == "it":
            prov = self.fk.administrative_unit()
            return f"provincia di {prov}" if self.rng.random() < 0.5 else prov
        return self._pick(self.formats.counties)

    def _currency(self):
        return self._pick(self.formats.currency_names)

    def _currencyname(self):
        return self._pick(self.formats.currency_names)

    def _currencysymbol(self):
        return "€" if self.rng.random() < 0.55 else self._pick(CURRENCY_SYMBOLS)

    def _date(self):
        return self._date_in(1950, 2030)

    def _dob(self):
        return self._date_in(1930, 2012)

    def _email(self):
        r = self.rng
        first, last = _ascii(self.fk.first_name()).lower(), _ascii(self.fk.last_name()).lower()
        if r.random() < 0.4:
            first, last = first.capitalize(), last.capitalize()
        local = r.choice(
            [
                f"{first}.{last}",
                f"{first}.{last}",
                f"{first}{r.randint(1, 99)}",
                f"{first}_{last}",
                f"{first[0]}.{last}",
                f"{last}.{first}",
                f"{first}.{last}{r.randint(1, 99)}",
                f"{first}{last}",
            ]
        )
        return f"{local}@{self._pick(self.formats.email_domains)}"

    def _eyecolor(self):
        return self._pick(self.formats.eye_colors)

    def _name_faker(self) -> Faker:
        """This locale's Faker, or for a share of the names another country's: the people a
        French, German, Italian or Dutch text names carry names from everywhere."""
        return foreign_faker(self.rng) if self.rng.random() < FOREIGN_NAME_RATE else self.fk

    def _firstname(self):
        return self._name_faker().first_name()

    def _gender(self):
        return self._pick(self.formats.genders)

    def _height(self):
        r = self.rng
        cm = r.randint(120, 205)
        return self._pick(self.formats.heights).format(
            m=f"{cm / 100:.2f}".replace(".", self.formats.decimal), cm=cm, cc=f"{cm % 100:02d}"
        )

    def iban(self, country: str | None = None) -> str:
        r = self.rng
        country = country or self._pick(self.formats.iban_countries)
        n = IBAN_LENGTHS[country] - 4
        letters = _IBAN_LETTER_PREFIX.get(country, 0)
        bban = "".join(r.choice(string.ascii_uppercase) for _ in range(letters)) + self._digits(n - letters)
        iban = country + iban_check_digits(country, bban) + bban
        if r.random() < 0.4:  # printed in groups of four, as statements and invoices do
            iban = " ".join(iban[i : i + 4] for i in range(0, len(iban), 4))
        return iban

    def _jobtitle(self):
        if self.rng.random() < 0.4:  # English titles are common in these countries' offices too
            return super()._jobtitle()
        if self.formats.job_titles:
            return self._pick(self.formats.job_titles)
        job = self.fk.job()
        return job[:1].upper() + job[1:]

    def _lastname(self):
        return self._name_faker().last_name()

    def _middlename(self):
        return self.fk.first_name()

    def _nearbygpscoordinate(self):
        r = self.rng
        sep = ", " if r.random() < 0.5 else ","
        return f"[{r.uniform(-90, 90):.4f}{sep}{r.uniform(-180, 180):.4f}]"

    def _ordinaldirection(self):
        return self._pick(self.formats.directions)

    def _password(self):
        """Half the dataset's 12 letters, digits and underscores; half with the symbols that password
        rules ask for (``K#9vq!Tz2&``), 8 to 16 characters."""
        if self.rng.random() < 0.5:
            return super()._password()
        r = self.rng
        chars = string.ascii_letters + string.digits + "!#$%&*?@+-=.:;_"
        while True:
            pw = "".join(r.choice(chars) for _ in range(r.randint(8, 16)))
            if any(c in "!#$%&*?@+-=.:;_" for c in pw) and pw[-1] not in ".:;" and any(c.isdigit() for c in pw):
                return pw

    def _phonenumber(self):
        if self.rng.random() < 0.25:  # the dataset-style mixed separators, which the 300k rows use too
            return super()._phonenumber()
        return self._pattern(self._pick(self.formats.phones))

    def _prefix(self):
        """A courtesy prefix (M., Herr, dhr.) a little more often than a rank, office or religious
        title (Comtesse, Bürgermeister, Jonkheer), which one time in four is cut short."""
        f, r = self.formats, self.rng
        if not f.titles or r.random() < 0.55:
            return self._pick(f.prefixes)
        title = self._pick(f.titles)
        return short_title(title, r) if r.random() < 0.25 else title

    def _secondaryaddress(self):
        r = self.rng
        return self._pick(self.formats.secondary).format(n=r.randint(1, 40), L=r.choice("ABCDEF"))

    def _sex(self):
        return self._pick(self.formats.sexes)

    def _ssn(self):
        r, d = self.rng, self._digits
        if self.language == "fr":  # INSEE number: sex, year, month, department, commune, order, key
            body = f"{r.choice('12')}{d(2)}{r.randint(1, 12):02d}{r.randint(1, 95):02d}{d(3)}{d(3)}"
            key = f"{97 - int(body) % 97:02d}"
            if r.random() < 0.5:
                return f"{body[0]} {body[1:3]} {body[3:5]} {body[5:7]} {body[7:10]} {body[10:13]} {key}"
            return body + key
        if self.language == "de":
            if r.random() < 0.5:  # Rentenversicherungsnummer: area, birth date, initial, serial and check
                nr = f"{d(2)} {r.randint(1, 28):02d}{r.randint(1, 12):02d}{d(2)} {r.choice(string.ascii_uppercase)} {d(3)}"
                return nr if r.random() < 0.5 else nr.replace(" ", "")
            tax = f"{r.randint(1, 9)}{d(10)}"  # Steuer-ID
            return tax if r.random() < 0.5 else f"{tax[:2]} {tax[2:5]} {tax[5:8]} {tax[8:]}"
        if self.language == "it":  # codice fiscale
            return self.fk.ssn()
        bsn = self.fk.ssn()  # BSN: nine digits passing the eleven test
        return bsn if r.random() < 0.8 else f"{bsn[:4]}.{bsn[4:6]}.{bsn[6:]}"

    def _state(self):
        if self.formats.state_codes and self.rng.random() < 0.15:
            return self._pick(self.formats.state_codes)
        if self.formats.states:
            return self._pick(self.formats.states)
        return getattr(self.fk, {"fr": "region", "de": "state", "nl": "province"}[self.language])()

    def _street(self):
        if self.rng.random() < NAMED_STREET_RATE:  # named after a place, a trade, a tree
            return compose_street(self.language, self.rng, self._city)
        return self.fk.street_name()  # Faker's: after a person

    def _time(self):
        r = self.rng
        h = r.randint(0, 23) if r.random() < 0.8 else r.randint(7, 19)
        return self._pick(self.formats.times).format(
            H=h, HH=f"{h:02d}", MM=f"{r.randint(0, 59):02d}", SS=f"{r.randint(0, 59):02d}"
        )

    def _url(self):
        r = self.rng
        w1, w2 = r.sample(self.formats.url_words, 2)
        tail = r.choice(["", "", "/", f"/{r.choice(self.formats.url_words)}"])
        return f"{r.choice(['https://', 'https://', 'http://', 'https://www.'])}{w1}-{w2}.{self._pick(self.formats.tlds)}{tail}"

    def _username(self):
        """Lower case, as sign-ups in these languages keep them: a name with digits after or
        before it, a name alone, two names joined, an initial with digits (the real nl/fr/de rows:
        a third a name and digits, a tenth a name alone, a tenth with the digits first)."""
        r = self.rng
        first, last = (
            re.sub(r"[^a-z0-9]", "", _ascii(n).lower()) or "user" for n in (self.fk.first_name(), self.fk.last_name())
        )
        num = r.choice([str(r.randint(1, 99)), str(r.randint(1950, 2012)), str(r.randint(100, 99999))])
        forms = (
            (f"{first}{num}", 0.22),
            (f"{last}{num}", 0.1),
            (f"{num}{first}", 0.1),
            (f"{first}.{last}", 0.1),
            (first, 0.06),
            (last, 0.04),
            (f"{first}{last}", 0.04),
            (f"{num}{first}.{last}", 0.08),
            (f"{first}.{last}{num}", 0.08),
            (f"{first}_{last}", 0.06),
            (f"{first[0]}{num}", 0.06),
            (f"{first[0]}{last}", 0.06),
        )
        return r.choices([f for f, _ in forms], weights=[w for _, w in forms])[0]

    def _vehiclevrm(self):
        return self.fk.license_plate()

    def _zipcode(self):
        r = self.rng
        if self.language == "nl":
            letters = r.choice([a + b for a in "ABCDEGHJKLMNPRTVWXZ" for b in "ABCDEGHJKLMNPRTVWXZ"])
            code = f"{r.randint(1000, 9999)}{' ' if r.random() < 0.7 else ''}{letters}"
        else:
            low, high = {"fr": (1000, 95999), "de": (1067, 99998), "it": (10, 98199)}[self.language]
            code = f"{r.randint(low, high):05d}"
        if r.random() < 0.04:  # the country letter of international post
            code = {"fr": "F-", "de": "D-", "it": "I-", "nl": "NL-"}[self.language] + code
        return code


def value_factory(language: str, seed: int, locales: tuple[str, ...] = ("en_US", "en_GB")) -> ValueFactory:
    """The values for a text in ``language``: English texts keep ``ValueFactory(seed, locales)``."""
    if language == "en":
        return ValueFactory(seed=seed, locales=tuple(locales))
    return LocaleValueFactory(language, seed=seed)
