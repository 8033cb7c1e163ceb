"""What a text plainly says about its own source: datelines, credit lines and sign-offs.

The three dateline shapes of news copy are declared here, once, from the same parts:

* a **wire dateline**, ``KAMPALA, Oct 19 -``: a place and a day in capitals, which the tagger
  reads itself (the small model glues "June 18 - Jordan" into one entity);
* a **credited dateline**, ``BEIRUT (Reuters) -``: the outlet an article credits itself to;
* a **dated dateline**, ``DAMASCUS, March 2, 2016 (SANA) -``: a published date with its year.

:func:`infer_outlet` and :func:`infer_published` read only such explicit credits (and a final
"By Press TV" line or Reuters' "Reuter" sign-off): photo credits ("(AFP photo)", "(Reuters)" after
a caption) and dates inside the body are never used, because a wrong outlet or date is worse than
an unknown one.  :func:`is_credit` tells the tagger which organisation mentions are credits, not
actors.
"""

from __future__ import annotations

import re

from ..errors import DateError
from ..store.outlets import known_outlet, outlet_display, outlet_key
from .dates import parse_published
from .models import PartialDate

_DASH = r"\s*[-\u2013\u2014]"
_PLACE = r"[A-Z][A-Za-z .'-]{1,40}"
_MONTH_DAY = r"(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)[a-z]*\.?\s+\d{1,2}"

WIRE_DATELINE = re.compile(
    r"^(?P<city>[A-Z][A-Z.'\- ]{1,40}?)(?:,\s*(?P<region>[A-Z][A-Za-z.]{1,15}))?,\s*" rf"(?P<date>{_MONTH_DAY}){_DASH}"
)
CREDITED_DATELINE = re.compile(
    rf"^\s*{_PLACE}(?:,\s*[A-Za-z][A-Za-z0-9 .,']{{0,40}})?\s*\((?P<outlet>[A-Z][A-Za-z .&-]{{1,30}})\){_DASH}"
)
DATED_DATELINE = re.compile(rf"^\s*{_PLACE},\s*(?P<date>[A-Za-z0-9 ,.]{{6,30}}?\d{{4}})\s*(?:\([^)]{{1,30}}\))?{_DASH}")
_CREDIT_LINE = re.compile(r"^(?:By|Source|Courtesy of|Via)\s*:?\s+(.{2,40}?)\s*\.?$", re.IGNORECASE)
_SIGN_OFF = re.compile(r"^\s*Reuter\s*$", re.IGNORECASE)  # "Reuter", "REUTER"


def wire_dateline(text: str) -> re.Match | None:
    """The wire dateline that opens ``text`` ("KAMPALA, Oct 19 -"), its place in capitals, or None."""
    match = WIRE_DATELINE.match(text)
    return match if match and match.group("city").replace(" ", "").replace(".", "").isupper() else None


def infer_outlet(paragraphs: list[str]) -> str | None:
    """The outlet an article credits itself to, or ``None``: never guessed from photo credits."""
    if paragraphs:
        match = CREDITED_DATELINE.match(paragraphs[0])
        if match and known_outlet(match.group("outlet")):
            return outlet_display(match.group("outlet"))
    for paragraph in paragraphs[-3:][::-1]:
        if _SIGN_OFF.match(paragraph):
            return "Reuters"
        match = _CREDIT_LINE.match(paragraph.strip())
        if match and known_outlet(match.group(1)):
            return outlet_display(match.group(1))
    return None


def infer_published(paragraphs: list[str]) -> PartialDate | None:
    """A full date stated in the opening dateline ("DAMASCUS, March 2, 2016 (SANA) -"), else None."""
    if not paragraphs:
        return None
    match = DATED_DATELINE.match(paragraphs[0])
    if not match:
        return None
    try:
        return parse_published(match.group("date"))
    except DateError:
        return None


def is_credit(text: str, start: int, end: int, outlet: str | None) -> bool:
    """A credit, not an actor: "(Reuters)" or "[Anadolu]" after a caption, or the article's own outlet ("told Reuters")."""
    bracketed = (text[start - 1 : start], text[end : end + 1]) in (("(", ")"), ("[", "]"))
    if bracketed and known_outlet(text[start:end]):
        return True
    if text[start - 1 : start] == "(" and re.match(r"\s*photo\b", text[end:], re.IGNORECASE):
        return True
    if not outlet or not outlet_key(outlet):
        return False
    name = re.sub(r"['’]s$", "", " ".join(text[start:end].casefold().split()))  # "Press TV’s website"
    key, own = outlet_key(name), outlet_key(outlet)
    return key == own or name.startswith(outlet_display(outlet).casefold() + " ")
