"""Actors journalists follow that NER leaves out: governments, armies, coalitions, state media.

"The Syrian regime", "Assad's forces", "the US-led coalition", "state television" are actors a
journalist filters by, but the model sees common nouns and tags nothing (or only "Syrian", a
nationality word).  :func:`actor_mentions` finds them with the documented rules below and gives
them the organisation kind (label ``ACTOR``: past the junk rules of model guesses such as "Syrian
army" in lower case) and one display name each (the same names the built-in aliases use,
so "Syrian Army", "SAA" and "Syrian Arab Army" are one value):

* **a government**: "<Nationality|Country> government|regime|authorities" and "the regime" ->
  "Syrian government" for Syria (and "Assad regime", "Damascus government", "Syria's regime",
  "Assad and his government"), else
  "<Nationality> government" ("Russian government");
* **an army**: a government's or regime's forces, troops, army, soldiers, warplanes, jets,
  helicopters, air force ("Syrian regime jets", "Assad's forces", "pro-government forces",
  "Syrian troops") -> "Syrian Arab Army"; "the army" in an article about Syria likewise;
* **the coalition**: "US-led coalition|alliance|air strikes", "Operation Inherent Resolve" ->
  "US-led coalition";
* **state media**: "(Syrian) state television|TV|broadcaster" -> "Syrian state television";
  another nationality keeps its own ("Jordanian state television").

The rules other than the coalition's apply only to an article that names Syria: they follow the
FA-KES annotation guidelines (tests/eval/README.md), written for Syrian-war coverage, and a
"regime" elsewhere is not Damascus.  A mention runs through the normal normalisation afterwards, so the user's aliases
can still rename or drop these values.
"""

from __future__ import annotations

import re

from .entities import RawMention

_FORCE = r"(?:forces|troops|army|soldiers|warplanes|jets|helicopters|aircraft|air\s?force|artillery|tanks|units|military|gunships)"
_NATION = (
    r"(?:Russian|Turkish|Iranian|Saudi|Iraqi|Jordanian|Lebanese|Israeli|French|British|German|Qatari|Egyptian|"
    r"American|US|U\.S\.|Chinese|Kurdish|Emirati|Libyan|Yemeni)"
)

SYRIAN_GOVERNMENT = re.compile(
    rf"\b(?:(?:the\s+)?Syrian\s+(?:government|regime|authorities)|Syria['’]?s\s+(?:embattled\s+|own\s+)?(?:government|regime)|"
    rf"Assad\s+and\s+his\s+(?:government|regime)|Assad['’]?s?\s+(?:regime|government)|"
    rf"Damascus\s+(?:government|regime)|Bashar\s+al-Assad['’]?s?\s+(?:regime|government)|[Tt]he\s+regime)(?:['’]?s)?\b(?!\s*{_FORCE})"
)
SYRIAN_ARMY = re.compile(
    rf"\b(?:Syrian\s+(?:government\s+|regime\s+|Arab\s+)?{_FORCE}|Assad['’]?s?\s+{_FORCE}|"
    rf"(?:pro-)?(?:government|regime)\s+{_FORCE}|[Tt]he\s+Syrian\s+Arab\s+Army|Syrian\s+Army|SAA|[Tt]he\s+army)\b"
)
FOREIGN_GOVERNMENT = re.compile(rf"\b(?P<nation>{_NATION})\s+government\b(?!\s*{_FORCE})")
COALITION = re.compile(r"\b(?:U\.?S\.?|American)-led\s+(?:international\s+)?(?:coalition|alliance|air\s?strikes|strikes|forces)\b|\bOperation\s+Inherent\s+Resolve\b")
STATE_TV = re.compile(rf"\b(?:(?P<nation>Syrian|{_NATION})\s+)?state\s+(?:television|TV|broadcaster)\b")
FOREIGN_MILITARY = re.compile(r"\b(?:[Tt]he\s+)?(?P<nation>US|U\.S\.|Russian)\s+military\b(?!\s+(?:base|bases|aid|presence|operation|operations|action|intervention|campaign|police|advisers|experts|hardware|equipment|sources?))")

_FOREIGN_BEFORE = re.compile(rf"{_NATION}\s+$")
_NATION_NAMES = {"US": "US", "U.S.": "US", "American": "US"}


def actor_mentions(text: str, paragraph: int, about_syria: bool) -> list[RawMention]:
    """The rule-made actor mentions of one (furniture-masked) paragraph."""
    found: list[RawMention] = []

    def add(match: re.Match, name: str) -> None:
        found.append(RawMention(name, "ACTOR", paragraph, match.start(), match.end()))

    for match in COALITION.finditer(text):
        add(match, "US-led coalition")
    if not about_syria:
        return found
    for match in FOREIGN_GOVERNMENT.finditer(text):
        add(match, f"{_NATION_NAMES.get(match.group('nation'), match.group('nation'))} government")
    for match in FOREIGN_MILITARY.finditer(text):
        add(match, f"{_NATION_NAMES.get(match.group('nation'), match.group('nation'))} military")
    for match in STATE_TV.finditer(text):
        nation = match.group("nation")
        if nation and nation != "Syrian":
            add(match, f"{_NATION_NAMES.get(nation, nation)} state television")
        elif about_syria:
            add(match, "Syrian state television")
    if about_syria:
        for match in SYRIAN_GOVERNMENT.finditer(text):
            add(match, "Syrian government")
        for match in SYRIAN_ARMY.finditer(text):
            if not _FOREIGN_BEFORE.search(text[max(0, match.start() - 20) : match.start()]):  # "Turkish government forces"
                add(match, "Syrian Arab Army")
    return found
