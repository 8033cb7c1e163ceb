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

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from markupsafe import Markup
from whoosh import qparser, query

from .facets import MISSING_DATE, FacetTable, FacetValue, facet_counts
from .highlight import Snippet, best_paragraphs, query_terms
from .indexing import open_index
from .schema import FACET_FIELDS, build_schema
from .timeline import TimelineBar, timeline

SORTS = ("relevance", "newest", "oldest")
MAX_QUERY_LENGTH = 1000
MAX_PAGE = 1000


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

    @property
    def link(self) -> str:
        return f"/doc/{self.id}"


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
    except Exception as exc:  # Whoosh raises assorted errors on odd syntax
        raise QuerySyntaxError(f"cannot read this query: {exc}") from None
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
    """An index opened for searching, with its facet table cached per committed generation.

    Open a searcher per request with :meth:`searcher`; the facet table (and so every docnum it
    holds) is rebuilt only when a new generation is committed, and always matches the searcher
    it is used with.
    """

    def __init__(self, index_dir: str | Path) -> None:
        self.index_dir = Path(index_dir)
        self._lock = threading.Lock()
        self._ix = None
        self._table: tuple[int, FacetTable] | None = None

    @contextmanager
    def searcher(self) -> Iterator:
        ix = self._index()
        searcher = ix.searcher()
        try:
            yield searcher
        finally:
            searcher.close()

    def _index(self):
        with self._lock:
            if self._ix is None:
                self._ix = open_index(self.index_dir)
            return self._ix

    def facet_table(self, searcher) -> FacetTable:
        generation = searcher.reader().generation()
        with self._lock:
            if self._table is None or self._table[0] != generation:
                self._table = (generation, FacetTable(searcher.reader()))
            return self._table[1]

    def search(self, request: SearchRequest) -> SearchResult:
        with self.searcher() as searcher:
            return run_search(searcher, self.facet_table(searcher), request)


def run_search(searcher, table: FacetTable, request: SearchRequest) -> SearchResult:
    """The one function that builds a search result."""
    parsed = parse_query(request.q, searcher.schema)
    if isinstance(parsed, query.Every):
        query_mask = table.live.copy()
    else:
        query_mask = np.zeros(table.doc_count, dtype=bool)
        docs = np.fromiter(searcher.docs_for_query(parsed), dtype=np.int64)
        query_mask[docs] = True
        query_mask &= table.live
    filter_masks = {facet: table.mask_for(facet, values) for facet, values in request.filters.items()}
    final = query_mask.copy()
    for mask in filter_masks.values():
        final &= mask
    total = int(final.sum())
    facets = facet_counts(table, query_mask, filter_masks, request.filters, request.facet_size)

    start = (request.page - 1) * request.per_page
    docnums, scores = _page(searcher, table, parsed, final, request, start)
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
            )
        )
    did_you_mean = None
    if total < 3 and request.q:
        did_you_mean = _suggest(searcher, parsed, request.q)
    return SearchResult(request, total, hits, facets, did_you_mean, terms, timeline(table.published[final], MISSING_DATE))


def _page(searcher, table: FacetTable, parsed, final: np.ndarray, request: SearchRequest, start: int) -> tuple[list[int], list[float | None]]:
    sort = request.effective_sort
    end = start + request.per_page
    if sort == "relevance":
        allowed = set(np.flatnonzero(final).tolist())
        if not allowed:
            return [], []
        results = searcher.search(parsed, filter=allowed, limit=end)
        page = list(results)[start:end]
        return [hit.docnum for hit in page], [round(float(hit.score), 4) for hit in page]
    docs = np.flatnonzero(final)
    keys = table.published[docs]
    missing = keys == MISSING_DATE
    order = np.lexsort((docs, -keys if sort == "newest" else keys, missing))
    chosen = docs[order[start:end]]
    return chosen.tolist(), [None] * len(chosen)


def _suggest(searcher, parsed, text: str) -> str | None:
    try:
        corrected = searcher.correct_query(parsed, text)
    except Exception:  # correction is a nicety; never let it fail a search
        return None
    if corrected.query != parsed and corrected.string.strip() and corrected.string != text:
        return corrected.string
    return None


def snippet_text(snippet: Snippet) -> str:
    """Plain text of a snippet (for the CLI and CSV): marks become [brackets]."""
    html = str(snippet.html).replace("<mark>", "[").replace("</mark>", "]")
    return Markup(html).unescape()
