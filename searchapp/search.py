"""Search: from a request (query text, ticked facet values, sort, page) to one result object.

The HTML page, the JSON API, the exports, the feed and the CLI all render the same
:class:`SearchResult` built by :func:`run_search`; none of them queries the index itself.

Query syntax (Whoosh's parser, configured in :func:`build_parser`): words (all must match),
``"phrases"``, ``OR``, ``NOT`` and ``-word``, parentheses, ``field:value`` for title, text,
outlet, actor, place, year and date (``date:[2016-01 TO 2016-06]``, ``year:[2015 TO 2017]``),
``prefix*``; words are stemmed.  An empty query browses everything, newest first.

:func:`parse_query` and :func:`build_filters` are pure: they turn text into Whoosh queries and can
be tested without an index.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from markupsafe import Markup
from whoosh import qparser, query

from .config import SETTINGS
from .facets import MISSING_DATE, FacetTable, FacetValue, facet_counts, term_docs
from .highlight import Snippet, best_paragraphs, query_terms
from .indexing import open_index
from .limits import check_search
from .schema import FACET_FIELDS, build_schema
from .timeline import TimelineBar, timeline

SORTS = ("relevance", "newest", "oldest")
# Hard ceilings: the defaults of the settings, which may lower them (searchapp/limits.py).
MAX_QUERY_LENGTH = SETTINGS["MAX_QUERY_LENGTH"].default
MAX_PAGE = SETTINGS["MAX_PAGE"].default


class QuerySyntaxError(ValueError):
    """The query cannot be parsed; the message says what is wrong, for display beside the box."""


class BadRequest(ValueError):
    """A request parameter is out of range; the message names the parameter."""


@dataclass
class SearchRequest:
    q: str = ""
    filters: dict[str, list[str]] = field(default_factory=dict)
    sort: str = "relevance"
    page: int = 1
    per_page: int = 10
    facet_size: int | None = 10
    collapse: bool = True  # one result per near-duplicate group, with its other versions listed

    def __post_init__(self) -> None:
        self.q = (self.q or "").strip()
        if len(self.q) > MAX_QUERY_LENGTH:
            raise BadRequest(f"q: the query is {len(self.q)} characters long; the limit is {MAX_QUERY_LENGTH}")
        unknown = set(self.filters) - set(FACET_FIELDS)
        if unknown:
            raise BadRequest(f"unknown filter {sorted(unknown)[0]!r}; filters are {', '.join(FACET_FIELDS)}")
        self.filters = {k: [v for v in dict.fromkeys(vs) if v.strip()] for k, vs in self.filters.items()}
        self.filters = {k: vs for k, vs in self.filters.items() if vs}
        if self.sort not in SORTS:
            raise BadRequest(f"sort must be one of {', '.join(SORTS)}, got {self.sort!r}")
        if not 1 <= self.page <= MAX_PAGE:
            raise BadRequest(f"page must be between 1 and {MAX_PAGE}, got {self.page}")

    @property
    def effective_sort(self) -> str:
        return "newest" if not self.q and self.sort == "relevance" else self.sort


@dataclass
class Hit:
    id: str
    title: str
    outlet: str | None
    published: str | None
    url: str | None
    score: float | None
    snippets: list[Snippet]
    versions: list[dict] = field(default_factory=list)  # other versions of the story: id, title, outlet, published
    version_count: int = 0


@dataclass
class SearchResult:
    request: SearchRequest
    total: int
    hits: list[Hit]
    facets: dict[str, list[FacetValue]]
    did_you_mean: str | None = None
    terms: frozenset = frozenset()
    timeline: list[TimelineBar] = field(default_factory=list)  # matches per published year/month

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.request.per_page))


# ---------------------------------------------------------------------------------------------
# Queries (pure)

SEARCH_FIELDS = ["title", "text"]
FIELD_ALIASES = {"published": ["date"], "actor": ["actors", "person", "org"], "place": ["places"], "outlet": ["source"]}


def build_parser(schema=None) -> qparser.QueryParser:
    schema = schema or build_schema()
    parser = qparser.MultifieldParser(SEARCH_FIELDS, schema, fieldboosts={"title": 2.0}, group=qparser.AndGroup)
    # "-word" excludes, but only at the start of a word: "cease-fire" and "al-Assad" are words.
    parser.add_plugin(qparser.PlusMinusPlugin(plusexpr=r"(?<![^\s(])\+", minusexpr=r"(?<![^\s(])-"))
    parser.add_plugin(qparser.GtLtPlugin())
    parser.add_plugin(qparser.FieldAliasPlugin(FIELD_ALIASES))
    return parser


_parser_lock = threading.Lock()
_parsers: dict[int, qparser.QueryParser] = {}


_ANGLE_BRACKETS = re.compile(r"[<>]")
_MARKUP_TAG = re.compile(r"</?[A-Za-z][^<>]*>")


def parse_query(text: str, schema=None) -> query.Query:
    """A Whoosh query for the user's text (Every() when empty); QuerySyntaxError if unparseable."""
    text = (text or "").strip()
    if not text:
        return query.Every()
    key = id(schema)
    with _parser_lock:
        parser = _parsers.get(key) or _parsers.setdefault(key, build_parser(schema))
    try:
        parsed = parser.parse(text)
    except Exception:  # Whoosh raises assorted internal errors on odd syntax ("<b>Idlib</b>")
        # "<" and ">" only mean something in a range ("published:>2016"): pasted markup loses its
        # tags ("<b>Idlib</b>" is Idlib), and a tag alone is its words ("<script>" is script)
        words = _ANGLE_BRACKETS.sub(" ", _MARKUP_TAG.sub(" ", text))
        if not words.strip():
            words = _ANGLE_BRACKETS.sub(" ", text)
        if words == text:
            raise QuerySyntaxError("cannot read this query: check its quotes, brackets and field: prefixes") from None
        return parse_query(words, schema)
    error = _first_error(parsed)
    if error:
        raise QuerySyntaxError(error)
    if parsed is query.NullQuery:
        raise QuerySyntaxError("the query has no searchable words")
    return parsed


def _first_error(node) -> str | None:
    if getattr(node, "error", None):
        return str(node.error)
    if not node.is_leaf():
        for child in node.children():
            found = _first_error(child)
            if found:
                return found
    return None


def build_filters(filters: dict[str, list[str]]) -> dict[str, query.Query]:
    """One query per facet: the ticked values OR-ed (pure; the facet table does the same faster)."""
    out = {}
    for facet, values in filters.items():
        terms = [query.Term(fieldname, value) for value in values for fieldname in FACET_FIELDS[facet]]
        if values:
            out[facet] = query.Or(terms)
    return out


# ---------------------------------------------------------------------------------------------
# Running a search


class SearchIndex:
    """An index opened for searching: a searcher and a facet table per committed generation.

    Opening a Whoosh searcher maps every segment's files (tens of milliseconds on a large index),
    while a search takes a few, so a searcher is kept per thread and reused by every request until
    a new generation is committed; then the thread opens a new one (never ``Searcher.refresh()``,
    which returns duplicates after a merge in every maintained Whoosh fork).  Checking for a new
    generation lists the index folder: a new commit is served at once, without a restart.  The
    facet table (and so every docnum it holds) is built once per generation and shared by threads.

    ``read_only`` (a replica serving a snapshot): the generation found when the index is opened is
    served for good, the folder is never listed again, and Whoosh's storage refuses any write.
    """

    def __init__(self, index_dir: str | Path, read_only: bool = False) -> None:
        self.index_dir = Path(index_dir)
        self.read_only = read_only
        self._lock = threading.Lock()
        self._ix = None
        self._local = threading.local()
        self._searchers: set = set()  # every thread's open searcher, for close()
        self._table: tuple[int, FacetTable] | None = None
        self._segment_cache: dict = {}  # segment id -> its facet postings (segments are immutable)

    @contextmanager
    def searcher(self) -> Iterator:
        """This thread's searcher of the newest committed generation (kept open for reuse)."""
        yield self.current_searcher()

    def current_searcher(self):
        """This thread's searcher of the newest committed generation; the index closes it, not the caller."""
        ix = self._index()
        cached = getattr(self._local, "searcher", None)
        if cached is not None and (self.read_only or cached[0] == ix.latest_generation()):
            return cached[1]
        searcher = ix.searcher()
        with self._lock:
            if cached is not None:
                cached[1].close()  # only this thread used it, and its request is over
                self._searchers.discard(cached[1])
            self._searchers.add(searcher)
        self._local.searcher = (searcher.reader().generation(), searcher)
        return searcher

    def close(self) -> None:
        """Close every thread's searcher (their files stay open until then)."""
        with self._lock:
            for searcher in self._searchers:
                searcher.close()
            self._searchers.clear()
            self._local = threading.local()

    def _index(self):
        with self._lock:
            if self._ix is None:
                self._ix = open_index(self.index_dir, read_only=self.read_only)
            return self._ix

    def facet_table(self, searcher) -> FacetTable:
        generation = searcher.reader().generation()
        with self._lock:
            if self._table is None or self._table[0] != generation:
                self._table = (generation, FacetTable(searcher.reader(), self._segment_cache))
            return self._table[1]

    def search(self, request: SearchRequest) -> SearchResult:
        with self.searcher() as searcher:
            return run_search(searcher, self.facet_table(searcher), request)


def run_search(searcher, table: FacetTable, request: SearchRequest) -> SearchResult:
    """The one function that builds a search result."""
    parsed = parse_query(request.q, searcher.schema)
    if problem := check_search(parsed, searcher.reader(), request):  # bounded cost: searchapp/limits.py
        raise BadRequest(problem)
    query_mask = match_mask(searcher, parsed, table.doc_count) & table.live
    filter_masks = {facet: table.mask_for(facet, values) for facet, values in request.filters.items()}
    every_version = query_mask.copy()
    for mask in filter_masks.values():
        every_version &= mask
    collapse = request.collapse and table.has_duplicates
    final = table.collapse(every_version) if collapse else every_version
    total = int(final.sum())
    facets = facet_counts(table, query_mask, filter_masks, request.filters, request.facet_size, collapse)

    start = (request.page - 1) * request.per_page
    docnums, scores = _page(searcher, table, parsed, final, request, start, unfiltered=not filter_masks and not collapse)
    terms = query_terms(parsed)
    hits = []
    for docnum, score in zip(docnums, scores, strict=True):
        stored = searcher.stored_fields(docnum)
        hits.append(
            Hit(
                id=stored["id"],
                title=stored.get("title", ""),
                outlet=stored.get("outlet_name"),
                published=stored.get("published_iso"),
                url=stored.get("url") or None,
                score=score,
                snippets=best_paragraphs(stored.get("paragraphs", []), terms),
                **(_versions(searcher, table, docnum, every_version) if collapse else {}),
            )
        )
    did_you_mean = None
    if total < 3 and request.q:
        did_you_mean = _suggest(searcher, parsed, request.q)
    return SearchResult(request, total, hits, facets, did_you_mean, terms, timeline(table.published[final], MISSING_DATE))


MAX_VERSIONS_LISTED = 10


def _versions(searcher, table: FacetTable, docnum: int, mask: np.ndarray) -> dict:
    others = table.versions(docnum, mask)
    listed = []
    for other in others[:MAX_VERSIONS_LISTED].tolist():
        stored = searcher.stored_fields(other)
        listed.append({"id": stored["id"], "title": stored.get("title", ""), "outlet": stored.get("outlet_name"), "published": stored.get("published_iso")})
    return {"versions": listed, "version_count": len(others)}


# ---------------------------------------------------------------------------------------------
# Match sets: every document a query matches, as a numpy mask (facets need all, not the top 10)


def match_mask(searcher, node: query.Query, doc_count: int) -> np.ndarray:
    """Documents matching ``node`` (deleted ones included: callers AND with the live mask).

    Terms are read straight from their posting blocks and boolean operators combine masks in
    numpy; anything else (phrases, prefixes, ranges) is matched by Whoosh itself.  Iterating
    Whoosh's matchers document by document costs ~0.2 µs a posting in Python, which is what made
    facet counting grow with the number of hits.
    """
    kind = type(node)
    if kind is query.Every:
        return np.ones(doc_count, dtype=bool)
    if node is query.NullQuery:
        return np.zeros(doc_count, dtype=bool)
    if kind is query.Term:
        mask = np.zeros(doc_count, dtype=bool)
        mask[term_docs(searcher.reader(), node.fieldname, node.text)] = True
        return mask
    if kind is query.And:
        mask = np.ones(doc_count, dtype=bool)
        for child in node.subqueries:
            mask &= match_mask(searcher, child, doc_count)
        return mask
    if kind in (query.Or, query.DefaultOr) and not getattr(node, "minmatch", 0):
        mask = np.zeros(doc_count, dtype=bool)
        for child in node.subqueries:
            mask |= match_mask(searcher, child, doc_count)
        return mask
    if kind is query.AndNot:
        return match_mask(searcher, node.a, doc_count) & ~match_mask(searcher, node.b, doc_count)
    if kind is query.Not:
        return ~match_mask(searcher, node.query, doc_count)
    if kind is query.AndMaybe:
        return match_mask(searcher, node.a, doc_count)
    if kind is query.Require:
        return match_mask(searcher, node.a, doc_count) & match_mask(searcher, node.b, doc_count)
    mask = np.zeros(doc_count, dtype=bool)
    mask[np.fromiter(searcher.docs_for_query(node), dtype=np.int64)] = True
    return mask


def _page(
    searcher, table: FacetTable, parsed, final: np.ndarray, request: SearchRequest, start: int, unfiltered: bool
) -> tuple[list[int], list[float | None]]:
    sort = request.effective_sort
    end = start + request.per_page
    if sort == "relevance":
        if not final.any():
            return [], []
        # The filter is needed only when facets or collapsing narrowed the query's own matches.
        allowed = None if unfiltered else set(np.flatnonzero(final).tolist())
        results = searcher.search(parsed, filter=allowed, limit=end)
        page = [results[i] for i in range(start, min(end, results.scored_length()))]
        return [hit.docnum for hit in page], [round(float(hit.score), 4) for hit in page]
    docs = np.flatnonzero(final)
    keys = table.published[docs]
    missing = keys == MISSING_DATE
    order = np.lexsort((docs, -keys if sort == "newest" else keys, missing))
    chosen = docs[order[start:end]]
    return chosen.tolist(), [None] * len(chosen)


def _suggest(searcher, parsed, text: str) -> str | None:
    """A corrected query string, in words as people write them ("ceasefire", not the stem).

    Whoosh suggests from the text field's own dictionary, which holds stems; each changed word is
    turned back into the surface form it has in an article that contains it.
    """
    try:
        # prefix=1: candidates share the first letter, which cuts the dictionary scan ~20x;
        # a misspelt first letter is rare in typed queries.
        corrected = searcher.correct_query(parsed, text, prefix=1)
    except Exception:  # correction is a nicety; never let it fail a search
        return None
    if corrected.query == parsed or not corrected.string.strip() or corrected.string == text:
        return None
    typed, suggested = text.split(), corrected.string.split()
    if len(typed) != len(suggested):
        return None
    words = [old if old == new else _surface_form(searcher, new) for old, new in zip(typed, suggested, strict=True)]
    if None in words:
        return None
    suggestion = " ".join(words)
    return suggestion if suggestion.casefold() != text.casefold() else None


def _surface_form(searcher, stem: str) -> str | None:
    """The word as written, lower-cased, in the first article whose text holds ``stem``."""
    from .highlight import analyzer

    stem = stem.strip("\"()").lower()
    if ":" in stem:
        return None
    docs = searcher.docs_for_query(query.Term("text", stem))
    docnum = next(iter(docs), None)
    if docnum is None:
        return None
    for paragraph in searcher.stored_fields(docnum).get("paragraphs", []):
        for token in analyzer()(paragraph, chars=True, mode="query"):
            if token.text == stem:
                return paragraph[token.startchar : token.endchar].lower()
    return None


def snippet_text(snippet: Snippet) -> str:
    """Plain text of a snippet (for the CLI and CSV): marks become [brackets]."""
    html = str(snippet.html).replace("<mark>", "[").replace("</mark>", "]")
    return Markup(html).unescape()
