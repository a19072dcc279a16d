"""Street names as each language makes them: from places, trades, trees and landmarks.

Faker's street names are a person's name and a street type ("Thomstraat", "Anatol-Bauer-Allee",
"rue Audrey Pages"). Most real streets are named otherwise: after what stands or stood there
(mill, church, dyke, market), a tree, a field name or the town the road leads to; a Dutch or
German street is often one compound word with no street type a reader would recognise
("...dijk", "...kamp", "...heide"), a French rural address a place-name ("Le ...", "Les ..."), an
English one "The ..." or a bare word. ``compose_street`` writes such names from stems and
endings written for each language, so a masker meets street names that do not end in the
handful of types it would otherwise learn.
"""

from __future__ import annotations

import random
import string
from collections.abc import Callable

# {stem} a stem, {end} an ending glued to it, {town} a town name (the road to it), {Town} the
# town's adjective form where the language makes one; the patterns repeat to weight them
_NL = {
    "stems": tuple(
        "Molen Kerk Dorps School Haven Markt Stations Heren Veer Brink Beuken Eiken Elzen Linden Berken Wilgen Kastanje Populieren Vijver Kraaien Zwanen Reigers Duinen Heide Weide Akker Zand Polder Hooi Boter Koren Vlas Hoven Slot Burg Klooster Abdij Schans Sluis Brug Bleek Turf Lange Korte Hoge Lage Nieuwe Oude Brede".split()
    ),
    "ends": tuple(
        "straat straat weg weg laan laan dijk pad kade gracht singel plein hof steeg dreef wal erf kamp veld hoek baan park ring akker meer brink".split()
    ),
    "patterns": (
        "{stem}{end}",
        "{stem}{end}",
        "{stem}{end}",
        "{town}seweg",
        "{town}sestraat",
        "{stem}",
        # a third of Dutch streets are two words or more: an office or rank before a name, initials,
        # a numbered road, the town's adjective ("Burgemeester Dreeslaan", "2e Molenweg")
        "{honour} {person}{end}",
        "{honour} {person}{end}",
        "{initials} {person}{end}",
        "{n}e {stem}{end}",
        "{town}se {stem}{end}",
        "{side} {stem}{end}",
    ),
    "honour": tuple(
        "Burgemeester Wethouder Prins Prinses Koningin Dokter Dominee Pastoor Generaal Professor Graaf Meester Kapitein Pater".split()
    ),
    "person": tuple(
        "Hendrik|Willem|Bernhard|Juliana|Beatrix|Van Heutsz|De Ruyter|Tromp|Thorbecke|Van Speijk|Drees|Troelstra|Schaepman|Hooft|Bilderdijk|Lorentz|Nolens|Kuyper|Van Lier|Mesdag|Van Riebeeck|Colijn|Ariëns|Alberdingk Thijm|Van der Does".split(
            "|"
        )
    ),
    "side": tuple("Oude Nieuwe Hoge Lage Lange Korte Kleine Grote Achter Voorste".split()),
}
_DE = {
    "stems": tuple(
        "Mühlen Kirch Schul Bahnhof Haupt Garten Linden Eichen Birken Buchen Tannen Wiesen Berg Burg Schloss Markt Rosen Kanal Brunnen Feld Wald Heide Sonnen Dorf Mühl Hof Teich Bach Hafen Post Ziegelei Kloster Weiher Acker Hirten Schmiede".split()
    ),
    "ends": tuple(
        "straße straße straße weg weg gasse allee platz ring damm kamp feld heide berg grund anger ufer steig pfad graben".split()
    ),
    "patterns": (
        "{stem}{end}",
        "{stem}{end}",
        "{stem}{end}",
        "{Town} Straße",
        "{Town} Weg",
        "Am {stem}{place}",
        "Im {stem}{place}",
        "An der {stem}{fplace}",
        "{side} {stem}{end}",
    ),
    "place": tuple("teich berg hang bach feld graben anger rain busch kamp".split()),
    "fplace": tuple("mühle kirche heide wiese brücke schule linde".split()),
    "side": tuple("Obere Untere Alte Neue Lange Kleine Große".split()),
}
_FR = {
    "kinds": tuple(
        "Rue Rue Rue Chemin Chemin Route Avenue Impasse Allée Place Quai Boulevard Montée Passage Sentier Cours Ruelle".split()
    ),
    "things": tuple(
        "du Moulin|de l'Église|du Château|de la Fontaine|du Mas|du Bois|des Prés|des Vignes|des Tilleuls|des Chênes|du Lavoir|de la Gare|des Écoles|des Marronniers|du Stade|de la Poste|des Jardins|du Pont|de la Croix|des Peupliers|du Four|de la Forge|des Saules|du Calvaire|des Rosiers".split(
            "|"
        )
    ),
    "places": tuple(
        "Le Moulin|La Croix|Les Prés|Le Bourg|La Forge|Les Vignes|Le Chêne|La Garenne|Les Granges|Le Pré Haut|La Fontaine|Les Côtes|Le Clos|La Grange Neuve|Les Bruyères|Le Plessis".split(
            "|"
        )
    ),
    "patterns": (
        "{kind} {thing}",
        "{kind} {thing}",
        "{kind} {thing}",
        "Route de {town}",
        "Chemin de {town}",
        "{place}",
        # after a person, an event, a date; a road between two places; a hamlet's one name
        "{kind} {person}",
        "{kind} {person}",
        "Chemin de {town} à {town2}",
        "{hamlet}",
    ),
    "person": tuple(
        "Victor Hugo|Jean Jaurès|Pasteur|Jean Moulin|du Général de Gaulle|Gambetta|Voltaire|Émile Zola|Aristide Briand|du Maréchal Foch|Georges Clemenceau|de la République|de la Libération|du 8 Mai 1945|du 11 Novembre 1918|Jules Ferry|Paul Bert|Anatole France|Louis Blériot|des Frères Lumière|Marcel Pagnol|Pierre et Marie Curie".split(
            "|"
        )
    ),
    "hamlet": tuple(
        "Bellevue Beauregard Montplaisir Beauséjour Champfleury Malbosc Pradeaux Combebelle Bellefontaine Lagarde".split()
    ),
}
_IT = {
    "kinds": tuple("Via Via Via Viale Piazza Vicolo Corso Strada Largo Contrada".split()),
    "things": tuple(
        "del Mulino|della Chiesa|del Castello|della Fontana|dei Tigli|delle Vigne|del Borgo|della Stazione|dei Pini|del Porto|delle Scuole|del Mercato|dei Campi|della Rocca|del Ponte|delle Querce|degli Orti|del Lago".split(
            "|"
        )
    ),
    "places": tuple("Roma|Garibaldi|Mazzini|Cavour|Dante|Verdi|Matteotti|XX Settembre".split("|")),
    "patterns": ("{kind} {thing}", "{kind} {thing}", "Via {place}", "Strada per {town}", "Via {town}"),
}
_EN = {
    "stems": tuple(
        "Mill Church Station School Market Bridge Manor Park Chapel Castle Victoria Queens Kings Orchard Meadow Green Hill Beech Oak Elm Willow Ash Holly Abbey Quarry Forge Windmill Moor Brook Priory".split()
    ),
    "ends": tuple("Road Road Lane Lane Street Close Way Avenue Drive Place Row Gardens".split()),
    "patterns": ("{stem} {end}", "{stem} {end}", "{stem} {end}", "{town} Road", "The {stem}s", "The {stem}"),
}
STREETS = {"nl": _NL, "de": _DE, "fr": _FR, "it": _IT, "en": _EN}


def _adjective(language: str, town: str) -> str:
    """The town's adjective form a street takes ("Roetgen" -> "Roetgener")."""
    if language == "de":
        return town if town.endswith("er") else town + "er"
    return town


def compose_street(language: str, rng: random.Random, town: Callable[[], str]) -> str:
    """A street name in ``language`` (en, fr, de, it, nl) from its stems and endings; ``town``
    gives a town name for the roads named after where they lead."""
    bank = STREETS[language]
    pattern = rng.choice(bank["patterns"])
    place = town().strip(" ,") if "{town}" in pattern.lower() else ""
    place2 = town().strip(" ,") if "{town2}" in pattern else ""
    if language in ("de", "nl"):  # glued to an ending: a one-word town ("Bergen op Zoom" -> "Bergen")
        place = place.split()[0] if place else place
    draws: dict[str, Callable[[], object]] = {  # only the slots the pattern names are drawn
        "stem": lambda: rng.choice(bank["stems"]) if "stems" in bank else "",
        "end": lambda: rng.choice(bank["ends"]) if "ends" in bank else "",
        "kind": lambda: rng.choice(bank["kinds"]) if "kinds" in bank else "",
        "thing": lambda: rng.choice(bank["things"]) if "things" in bank else "",
        "place": lambda: rng.choice(bank.get("place") or bank.get("places") or ("",)),
        "fplace": lambda: rng.choice(bank.get("fplace", ("",))),
        "side": lambda: rng.choice(bank.get("side", ("",))),
        "town": lambda: place,
        "town2": lambda: place2,
        "Town": lambda: _adjective(language, place),
        "honour": lambda: rng.choice(bank.get("honour", ("",))),
        "person": lambda: rng.choice(bank.get("person", ("",))),
        "hamlet": lambda: rng.choice(bank.get("hamlet", ("",))),
        "initials": lambda: "".join(f"{c}." for c in rng.sample("ABCDEFGHJKLMNPRSTW", rng.randint(1, 3))),
        "n": lambda: rng.randint(1, 5),
    }
    named = {name for _, name, _, _ in string.Formatter().parse(pattern) if name}
    return pattern.format(**{slot: draw() for slot, draw in draws.items() if slot in named})
