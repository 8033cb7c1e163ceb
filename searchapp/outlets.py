"""Outlets: one facet value per news organisation, and what a text plainly says about its source.

``outlet_key`` folds the many spellings of an outlet ("presstv", "Press TV", "www.presstv.ir",
"https://www.presstv.ir/Detail/...") into one key; ``outlet_display`` gives the readable name
shown in facets.  Known outlets have a fixed display name; any other keeps the form it was given.

``infer_outlet`` and ``infer_published`` read only explicit credits: a "By Press TV" line at the
end, a "CITY (Reuters) -" dateline or a "Reuter" sign-off.  Photo credits ("(AFP photo)",
"(Reuters)" after a caption) and dates inside the body are never used: a wrong outlet or date is
worse than an unknown one.
"""

from __future__ import annotations

import re
import unicodedata

from .dates import DateError, parse_published
from .models import PartialDate

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


# ---------------------------------------------------------------------------------------------
# Inference from the text

_CREDIT_LINE = re.compile(r"^(?:By|Source|Courtesy of|Via)\s*:?\s+(.{2,40}?)\s*\.?$", re.IGNORECASE)
_DATELINE = re.compile(
    r"^\s*[A-Z][A-Za-z .'-]{1,40}(?:,\s*[A-Za-z][A-Za-z0-9 .,']{0,40})?\s*"
    r"\((?P<outlet>[A-Z][A-Za-z .&-]{1,30})\)\s*[-\u2013\u2014]"
)
_SIGN_OFF = re.compile(r"^\s*Reuter\s*$", re.IGNORECASE)  # "Reuter", "REUTER"
_DATED_DATELINE = re.compile(
    r"^\s*[A-Z][A-Za-z .'-]{1,40},\s*(?P<date>[A-Za-z0-9 ,.]{6,30}?\d{4})\s*(?:\([^)]{1,30}\))?\s*[-\u2013\u2014]"
)


def infer_outlet(paragraphs: list[str]) -> str | None:
    """The outlet an article credits itself to, or ``None``: never guessed from photo credits."""
    if paragraphs:
        match = _DATELINE.match(paragraphs[0])
        if match and outlet_key(match.group("outlet")) in KNOWN_OUTLETS:
            return outlet_display(match.group("outlet"))
    for paragraph in paragraphs[-3:][::-1]:
        if _SIGN_OFF.match(paragraph):
            return "Reuters"
        match = _CREDIT_LINE.match(paragraph.strip())
        if match and outlet_key(match.group(1)) in KNOWN_OUTLETS:
            return outlet_display(match.group(1))
    return None


def infer_published(paragraphs: list[str]) -> PartialDate | None:
    """A full date stated in the opening dateline ("DAMASCUS, March 2, 2016 (SANA) -"), else None."""
    if not paragraphs:
        return None
    match = _DATED_DATELINE.match(paragraphs[0])
    if not match:
        return None
    try:
        return parse_published(match.group("date"))
    except DateError:
        return None
