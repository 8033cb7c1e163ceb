"""Page furniture: the parts of a scraped page that are not the article, found inside one-block text too.

Scraped news (FA-KES is typical: one block of text per article, no line breaks) keeps the page
around the article: date stamps ("Thu Sep 5 2013", "Posted on April 19 2017 by ..."), share,
subscribe and follow blocks ("Subscribe TRT World on Youtube", "Print Tweet Views 1430"), tag
lists ("Tags Syria Free Syrian Army ..."), related-article links ("Related News ...", "Read more
here ..."), bylines and end credits ("Reporting by ...; Editing by ...", "- REUTERS", "(TRT World
and Agencies)"), trust-principles footers ("Our Standards:The Thomson Reuters Trust Principles."),
photo credits ("REUTERS/Jason Reed", "(IHA Photo)") and copyright/navigation footers.  Tagged, they
become actors and places of every article of an outlet ("Subscribe TRT World", "Tags Syria").

:func:`furniture_spans` finds them with the documented patterns below (each one names a *class*
of furniture, not an outlet's string); :func:`mask_furniture` blanks them with spaces, keeping the
offsets, so the tagger never sees them while every mention keeps its place in the paragraph.  The
text itself is indexed unchanged (furniture stays searchable); near-duplicate shingles are built
from the masked text (:mod:`searchapp.ingest.dedupe`).

Two kinds of pattern:

* **spans**: a run that is furniture wherever it is (a credit, a stamp, a share block);
* **tails**: a marker after which the rest of the page is furniture (related links, the
  copyright footer, a closing tag list) when it comes in the last part of the text: one-block
  scrapes end with them, and a marker early in the text is only masked itself.
"""

from __future__ import annotations

import functools
import re

_MONTH = r"(?:Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?|Sep(?:t(?:ember)?)?|Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?)"
_DAY = r"(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun)(?:day|sday|nesday|rsday|urday)?,?"
_NAME = r"[A-Z][A-Za-z'.-]+(?:\s+(?:al-|el-|de\s|van\s)?[A-Z][A-Za-z'.-]+){0,3}"
_NAMES = rf"{_NAME}(?:(?:\s*,\s*|\s+and\s+|\s+){_NAME}){{0,6}}"
# the people of a byline, each with an optional place: "Anthony Deutsch in Amsterdam Niklas Pollard in Stockholm and ..."
_CREDITED = rf"{_NAME}(?:(?:\s*,\s*|\s+and\s+|\s+)(?:in\s+)?{_NAME}){{0,16}}(?:\s+(?:newsroom|Editorial Reference Unit|Bureau))?"

# Furniture wherever it is.  Each pattern is one class; the comment gives examples from real pages.
SPAN_PATTERNS: list[tuple[str, re.Pattern]] = [
    # date stamps at the top of a page: "Thu Sep 5 2013", "13 Oct 2016", "Sunday 25 August 2013",
    # "Published July 5 2015", "24.08.2013", "Last updated at Apr 232017", "Last Update: Thursday 22 August 2013 KSA 01:41"
    ("date stamp", re.compile(
        rf"^\s*(?:(?:Published|Updated|Posted|Date of publication)(?:\s+on)?:?\s+)?(?:{_DAY}\s+)?(?:\d{{1,2}}\s+{_MONTH}\.?,?\s+\d{{4}}|{_MONTH}\.?\s+\d{{1,2}},?\s+\d{{4}})"
        rf"(?:\s+by\s+[A-Z][\w'.-]+(?:\s+[A-Z][\w'.-]+){{0,2}})?|^\s*\d{{1,2}}\.\d{{1,2}}\.\d{{4}}(?:\s*\(updated[^)]*\))?")),
    # a page stamp inside the text: "NGO AFP Friday 5 Sep 2014" (prose says "on Friday", not "Friday 5 Sep 2014");
    # Sputnik's "Middle East 1449 09.04.2017Get short URL 1285" and "(updated 1925 16.05.2017)"
    ("page stamp", re.compile(
        rf"(?:\b(?:AFP|Reuters|AP|dpa|Xinhua|MENA|SANA|Ahram Online)(?:\s*,\s*|\s+and\s+|\s+)){{0,3}}"
        rf"\b(?:Mon|Tues|Wednes|Thurs|Fri|Satur|Sun)day,?\s+\d{{1,2}}\s+{_MONTH}\.?,?\s+\d{{4}}\b|"
        r"(?:\b\d{1,5}\s+)?\b\d{2}\.\d{2}\.\d{4}(?:\s*\(updated[^)]*\))?(?:\s*Get short URL(?:\s+\d+)*)?|\bGet short URL(?:\s+\d+)*")),
    ("update stamp", re.compile(rf"\bLast\s+updated?:?\s+(?:at\s+)?(?:{_DAY}\s+)?(?:\d{{1,2}}\s+)?{_MONTH}\s*[\d ]{{1,8}}(?:\s+KSA)?(?:\s+\d{{1,2}}:\d{{2}})?", re.IGNORECASE)),
    # trust-principles footer and end credits of wire copy
    ("standards footer", re.compile(r"\bOur Standards\s*:?\s*The Thomson Reuters Trust Principles\.?")),
    ("byline", re.compile(rf"\(?\b(?:Additional\s+)?(?:[Rr]eporting|Writing|Editing|Compiled|Edited)\s+by\s+{_CREDITED}(?:\s*;\s*(?:[Aa]dditional\s+)?(?:[Rr]eporting|Writing|Editing)\s+by\s+{_CREDITED})*\)?")),
    # agency credits: "(TRT World and Agencies)", "Source TRTWorld and agencies", "(Source: Syrian Coalition)",
    # "(With Reuters and AFP)", a closing "- REUTERS" / "-AFP"
    ("credit", re.compile(r"\((?:Source:?\s*)?[A-Z][A-Za-z ]{1,30}\s+(?:and|&)\s+[Aa]gencies\)|\bSource:?\s+[A-Z][A-Za-z]+(?:\s+World)?\s+(?:and|&)\s+agencies\b|\(Source:\s*[^)]{2,40}\)|\(With\s+(?:[A-Z][A-Za-z]+(?:,?\s+and\s+|,\s*)?){1,4}\)")),
    ("end credit", re.compile(r"\s[-\u2013\u2014]\s*(?:REUTERS|Reuters|AFP|AP|dpa|Xinhua)\s*\.?\s*$")),
    # photo credits: "REUTERS/Jason Reed", "(IHA Photo)", "(Reuters Photo)", "Photo: AFP", "Slideshow (3 Images)"
    ("photo credit", re.compile(r"\b(?:REUTERS|Reuters|AFP|AP|EPA|Getty Images)/\s*(?:File Photo|Stringer|Handout|[A-Z][\w'-]+(?:\s+[A-Z][\w'-]+)?)|\((?:[A-Z]{2,6}|Reuters|AFP|Anadolu)\s+Photo\)|\bPhoto:?\s+(?:AFP|AP|Reuters|EPA|SANA)\b|\bSlideshow\s*\(\d+\s+Images?\)|\bFILE PHOTO\b")),
    # a photo caption, the whole sentence up to its credit: "A fighter fires ... near Azaz, Syria October 11, 2016.
    # Source Reuters", "... in Aleppo, Syria May 3, 2016. REUTERS/Abdalrhman Ismail", "Smoke rises over Idlib (IHA Photo)"
    ("photo caption", re.compile(
        rf"(?:(?<=[.!?\"”]\s)|^)[A-Z][^.!?]{{10,300}}?(?:\b{_MONTH}\.?\s+\d{{1,2}},?\s+\d{{4}}\.\s*"
        r"(?:(?:REUTERS|Reuters|AFP|AP|EPA)/\s*[A-Z][\w'-]+(?:\s+[A-Z][\w'-]+)?|Source:?\s+(?:Reuters|AFP|AP|EPA)\b|(?:REUTERS|AFP|AP|EPA)\b)"
        r"|\s*\((?:[A-Z]{2,6}|Reuters|AFP|Anadolu)\s+Photo\))")),
    # share and subscribe blocks, counters: "Print Tweet Views 1430", "Follow us on Instagram", "Subscribe to our Youtube channel"
    ("share block", re.compile(r"\bPrint\s+Tweet(?:\s+Views\s+\d+)?|\bViews\s+\d+\b|\b(?:SUBSCRIBE|Subscribe|FOLLOW|Follow us on|Follow)\s+(?:TRT\s?World|TRTWORLD|us|to our)\b[^.]{0,80}?(?:\.|(?=\s[A-Z][a-z]+\s[a-z]))|\bComment via \w+|\bShare (?:this|on) \w+")),
    # related links: "Read more here <headline>", "In pictures Click here for ...", "Read Also"
    ("related link", re.compile(r"\b(?:Read more here|Read more:|Read Also:?|READ MORE:?|In pictures Click here for|Click here for|Click here to)\b[^.\"]{0,140}?(?=\s+(?:The|A|An|In|On|At|It|He|She|They|This|Syrian|Russian|Turkish)\s)")),
    # an embedded tweet: "... pic.twitter.com/xyz DAILY SABAH (DailySabah) September 23 2016"
    ("embedded tweet", re.compile(rf"\S*pic\.twitter\.com/\S*(?:\s+[A-Z][A-Za-z .]+\s+\(@?\w+\)\s+{_MONTH}\s+\d{{1,2}},?\s+\d{{4}})?")),
]  # fmt: skip

# Markers after which the rest of the page is furniture, when they are in its last part.
TAIL_PATTERNS: list[tuple[str, re.Pattern]] = [
    ("related links", re.compile(r"\bRelated (?:News|Articles|Stories|Content|Posts)\b|\bMore (?:from|on) (?:this|TRT|Sputnik)\b|\bYou may also like\b")),
    ("footer", re.compile(r"\bCopyright\s*(?:©|\(c\)|\d{4})|\bAll rights reserved\b|\bDont miss out on\b|\bDon't miss out on\b|\bA picture is worth a thousand words\.")),
    ("tag list", re.compile(r"(?:\b\d+\s+)?\bTags\s+(?=[A-Z])")),
    ("outlet blurb", re.compile(r"\bThis article is an edited translation\b|\bis (?:a|the) (?:leading|worlds|world's) (?:premier )?(?:pan-)?Arab daily\b")),
    # Sputnik's closing counters and topic/related blocks: "... 25 Topic Violence Erupts ...", "(1881) Related ..."
    ("closing block", re.compile(r"\.\.\.\s+\d+\s+(?=[A-Z])|\(\d+\)\s+Related\b|\b\d+\s+Related\s+(?=[A-Z])")),
]
TAIL_FROM = 0.5  # a tail marker masks the rest of the text when it starts in the last half

# A tag list early in the text ("Tags Syria Free Syrian Army opposition groups ... Idlib The Sawaiq...") runs
# up to the first word that starts a sentence again.
_TAG_LIST = re.compile(r"\bTags\s+(?:[A-Za-z][\w'-]*\s+){1,25}?(?=(?:The|A|An|In|On|At|It|He|She|They|This|At least)\s)")


def furniture_spans(text: str) -> tuple[tuple[int, int], ...]:
    """(start, end) of every furniture run of ``text``, merged and sorted.

    Kept for the last few thousand paragraphs: an indexing run asks twice for each one (the
    near-duplicate shingles leave furniture out, and the stored field lists it), and the twenty
    patterns cost about a millisecond a paragraph.
    """
    return _furniture_spans(text)


@functools.lru_cache(maxsize=4096)
def _furniture_spans(text: str) -> tuple[tuple[int, int], ...]:
    spans: list[tuple[int, int]] = []
    for _, pattern in SPAN_PATTERNS:
        spans.extend(m.span() for m in pattern.finditer(text) if m.end() > m.start())
    spans.extend(m.span() for m in _TAG_LIST.finditer(text))
    cut = int(len(text) * TAIL_FROM)
    for _, pattern in TAIL_PATTERNS:
        for match in pattern.finditer(text):
            if match.start() >= cut:
                spans.append((match.start(), len(text)))
                break
            spans.append(match.span())
    spans.sort()
    merged: list[tuple[int, int]] = []
    for start, end in spans:
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return tuple(merged)


def mask_furniture(text: str) -> str:
    """``text`` with its furniture blanked by spaces: same length, same offsets for everything else."""
    spans = furniture_spans(text)
    if not spans:
        return text
    parts, last = [], 0
    for start, end in spans:
        parts.append(text[last:start])
        parts.append(" " * (end - start))
        last = end
    parts.append(text[last:])
    return "".join(parts)
