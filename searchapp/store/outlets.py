"""Outlets: one facet value per news organisation, at index time and at query time alike.

``outlet_key`` folds the many spellings of an outlet ("presstv", "Press TV", "www.presstv.ir",
"https://www.presstv.ir/Detail/...") into one key; ``outlet_display`` gives the readable name
shown in facets.  Known outlets have a fixed display name; any other keeps the form it was given.
The key is what the ``outlet`` field of the index holds (:mod:`searchapp.store.schema` analyses
both documents and ``outlet:`` queries with it), so this table lives with the store: the search
side needs it as much as the indexer.
"""

from __future__ import annotations

import re
import unicodedata

# key -> display name.  Keys are outlet_key() of the display name, plus common variants.
KNOWN_OUTLETS: dict[str, str] = {}
_VARIANTS = {
    "Reuters": ["reuter", "thomson reuters"],
    "Associated Press": ["ap", "the associated press", "apnews"],
    "AFP": ["agence france-presse", "agence france presse", "afp news"],
    "Al Jazeera": ["aljazeera", "al jazeera english", "al-jazeera"],
    "Press TV": ["presstv"],
    "Daily Sabah": ["dailysabah"],
    "Anadolu Agency": ["aa", "anadolu", "aa.com.tr"],
    "SANA": ["syrian arab news agency"],
    "TASS": ["itar-tass"],
    "BBC": ["bbc news", "bbc arabic"],
    "CNN": ["cnn arabic"],
    "Al Arabiya": ["alarabiya", "alarabia", "al-arabiya"],
    "Asharq Al-Awsat": ["aawsat", "asharq al awsat"],
    "Jordan Times": ["jordantimes"],
    "Ahram Online": ["ahram", "english.ahram.org.eg"],
    "Sky News Arabia": ["skynews", "skynewsarabia", "sky news"],
    "France 24": ["france24"],
    "Teller Report": ["tellerreport"],
    "Immortal News": ["immortal"],
    "The Guardian": ["guardian", "theguardian"],
    "The New York Times": ["nytimes", "new york times"],
    "The Washington Post": ["washingtonpost", "washington post"],
    "RT": ["russia today"],
    "Sputnik": ["sputniknews"],
    "Xinhua": ["xinhuanet", "xinhua news agency"],
    "Middle East Eye": ["middleeasteye"],
    "The Iran Project": ["theiranproject"],
}

_DOMAIN_SUFFIXES = re.compile(
    r"\.(?:com|net|org|ir|co|tr|uk|ru|eg|info|news|tv|gov|int)(?:\.[a-z]{2})?$"
)


def outlet_key(name: str) -> str:
    """Facet key of an outlet: lower-case letters and digits, no domain, no accents."""
    text = unicodedata.normalize("NFKD", name.strip())
    text = "".join(c for c in text if not unicodedata.combining(c)).lower()
    text = re.sub(r"^[a-z]+://", "", text)
    if "/" in text or ("." in text and " " not in text):  # a URL or a domain
        text = text.split("/")[0]
        text = re.sub(r"^(?:www|english|arabic|m|amp)\.", "", text)
        text = _DOMAIN_SUFFIXES.sub("", text)
        text = _DOMAIN_SUFFIXES.sub("", text)
    text = re.sub(r"^the\s+", "", text)
    key = re.sub(r"[^\w]+", "", text)
    return _ALIAS_KEYS.get(key, key)


def _build_tables() -> dict[str, str]:
    aliases: dict[str, str] = {}
    for display, variants in _VARIANTS.items():
        key = re.sub(r"[^\w]+", "", re.sub(r"^the\s+", "", display.lower()))
        KNOWN_OUTLETS[key] = display
        for variant in variants:
            aliases[re.sub(r"[^\w]+", "", re.sub(r"^the\s+", "", variant.lower()))] = key
    return aliases


_ALIAS_KEYS = _build_tables()


def outlet_display(name: str) -> str:
    """Readable name of an outlet: the known name, else the given one tidied."""
    key = outlet_key(name)
    if key in KNOWN_OUTLETS:
        return KNOWN_OUTLETS[key]
    text = " ".join(name.split())
    if re.match(r"^(?:[a-z]+://|www\.)", text) or ("." in text and " " not in text):
        text = re.sub(r"^[a-z]+://", "", text).split("/")[0]
        text = re.sub(r"^www\.", "", text)
    return text
