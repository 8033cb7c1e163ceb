"""Search: from a request (query text, ticked facet values, sort, page) to one result object.

The HTML page, the JSON API, the exports, the feed and the CLI all render what this module
builds: :func:`run_search` builds a :class:`SearchResult` (one page, with facets, timeline and
"did you mean"), :func:`iter_hits` streams every hit of one search for the exports.  None of the
front ends queries the index itself.
"""

from __future__ import annotations

import bisect
import heapq
import pickle
import re
import struct
import threading
import uuid
import weakref
import zlib
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field, replace
from functools import partial
from pathlib import Path

import numpy as np
from whoosh import collectors, query
from whoosh.analysis import STOP_WORDS
from whoosh.reading import MultiReader
from whoosh.support.levenshtein import damerau_levenshtein

from ..config import Settings
from ..errors import BadRequest, IndexDamaged, IndexUnavailable, SearchappError
from ..store.custom import VALUE_SEPARATOR, FacetSpec, load_facets
from ..store.index import open_index
from ..store.internals import GlobalStatistics, global_statistics, postings_read_once, segment_columns, use_statistics
from ..store.names import spelling_key
from ..store.outlets import use_outlets_file
from ..store.schema import FACET_FIELDS, read_article_ref, word_analyzer
from ..store.shards import shard_count, shard_dirs
from .facets import (
    MISSING_DATE,
    OPERATORS,
    FacetListing,
    FacetPage,
    FacetTable,
    FacetValue,
    LabelMaps,
    facet_tallies,
    list_facets,
    place_hierarchy,
    published_range,
    table_labels,
)
from .hamza import with_hamza_seats
from .highlight import Snippet, best_passages, query_terms
from .limits import Limits, check_search, name_budget
from .matches import match_mask, ranking_query
from .names import NAME_FIELD, NameMatch, expand_names
from .parse import parse_query, query_hints
from .scoring import score_matches
from .shards import (
    IDLE,
    InProcessExecutor,
    Merged,
    ShardAnswer,
    ShardExecutor,
    ShardPayload,
    ShareItem,
    make_executor,
    merge_answers,
    month_counts,
    process_count,
)
from .timeline import TimelineBar, timeline_bars

SORTS = ("relevance", "newest", "oldest")
# Hard ceilings: the settings may lower them, never raise them (searchapp.config).
MAX_QUERY_LENGTH = Settings.max_query_length
MAX_PAGE = Settings.max_page
MAX_VERSIONS_LISTED = 10


@dataclass
class SearchRequest:
    q: str = ""
    filters: dict[str, list[str]] = field(default_factory=dict)
    sort: str = "relevance"
    page: int = 1
    per_page: int = 10
    facet_size: int | None = 10
    collapse: bool = True  # one result per near-duplicate group, with its other versions listed
    ops: dict[str, str] = field(default_factory=dict)  # facet -> "all" to AND its ticked values ("any", OR, is the default)
    published: str = ""  # published in this period: "2016", "2016-03", "2016-01 TO 2016-06" (a chart bar's filter)
    listings: dict[str, FacetListing] = field(default_factory=dict)  # facet -> values narrowed by a text, a page of them

    def __post_init__(self) -> None:
        self.q = (self.q or "").strip()
        if len(self.q) > MAX_QUERY_LENGTH:
            raise BadRequest(f"q: the query is {len(self.q)} characters long; the limit is {MAX_QUERY_LENGTH}")
        # which facets exist depends on the index (its own facets, searchapp.store.custom): checked by the search
        self.filters = {k: [v for v in dict.fromkeys(vs) if v.strip()] for k, vs in self.filters.items()}
        self.filters = {k: vs for k, vs in self.filters.items() if vs}
        if self.sort not in SORTS:
            raise BadRequest(f"sort must be one of {', '.join(SORTS)}, got {self.sort!r}")
        if not 1 <= self.page <= MAX_PAGE:
            raise BadRequest(f"page must be between 1 and {MAX_PAGE}, got {self.page}")
        for facet, op in self.ops.items():
            if op not in OPERATORS:
                raise BadRequest(f"{facet}_op must be one of {', '.join(OPERATORS)}, got {op[:40]!r}", param_hint="--all-of")
        self.ops = {facet: op for facet, op in self.ops.items() if op == "all"}
        self.published = (self.published or "").strip()
        if self.published:
            published_range(self.published)  # a clear BadRequest now, before any search

    def op(self, facet: str) -> str:
        """How ``facet``'s ticked values combine: "any" (OR) or "all" (AND)."""
        return self.ops.get(facet, "any")

    @property
    def effective_sort(self) -> str:
        return "newest" if not self.q and self.sort == "relevance" else self.sort


@dataclass(frozen=True)
class ArticleRef:
    """Another article shown beside a hit or a document: a version of its story, or a similar one."""

    id: str
    title: str
    outlet: str | None
    published: str | None

    @classmethod
    def from_stored(cls, stored: dict) -> ArticleRef:
        return cls(stored["id"], stored.get("title", ""), stored.get("outlet_name"), stored.get("published_iso"))


@dataclass
class Hit:
    id: str
    title: str
    outlet: str | None
    published: str | None
    url: str | None
    score: float | None
    snippets: list[Snippet]
    versions: list[ArticleRef] = field(default_factory=list)  # other versions of the story (the first ten)
    version_count: int = 0
    version_ids: list[str] = field(default_factory=list)  # ids of every other version (exports only)
    people: list[str] = field(default_factory=list)
    orgs: list[str] = field(default_factory=list)
    places: list[str] = field(default_factory=list)
    facets: dict[str, list[str]] = field(default_factory=dict)  # the index's own facets: their values
    language: str | None = None  # ISO 639-1: the pages set lang and dir on its title and snippets

    @property
    def paragraph(self) -> int:
        """The paragraph a link to the hit points at: its best snippet's (0-based)."""
        return self.snippets[0].paragraph if self.snippets else 0


@dataclass
class SearchResult:
    request: SearchRequest
    total: int
    hits: list[Hit]
    facets: dict[str, list[FacetValue]]
    did_you_mean: str | None = None
    terms: frozenset = frozenset()
    timeline: list[TimelineBar] = field(default_factory=list)  # matches per published year/month
    hints: list[str] = field(default_factory=list)  # what the query may not mean as typed
    facet_pages: dict[str, FacetPage] = field(default_factory=dict)  # per facet: how many values match, which are listed

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.request.per_page))


# ---------------------------------------------------------------------------------------------
# Running a search


class ShardIndex:
    """One index folder opened for searching (a whole index, or one shard of a sharded one).

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
        self._table: tuple[int, FacetTable] | None = None
        self._segment_cache: dict = {}  # segment id -> its facet postings (segments are immutable)

    def searcher(self):
        """This thread's searcher of the newest committed generation; the index closes it, not the caller.

        Inside :meth:`reading` (a request) the thread keeps the searcher it has: a search asks for it
        several times (preparing the query over the terms, answering, building the hits), and a commit
        landing meanwhile must not close the reader the first step still holds.
        """
        ix = self._index()
        cached = getattr(self._local, "searcher", None)
        held = getattr(self._local, "pins", 0) and getattr(self._local, "held", False)  # chosen earlier in this request
        if cached is not None and (self.read_only or held or cached[0] == ix.latest_generation()):
            self._local.held = True
            return cached[1]
        searcher = ix.searcher()
        if cached is not None:
            cached[1].close()  # only this thread used it, and its request is over
        self._local.searcher = (searcher.reader().generation(), searcher)
        self._local.held = True
        return searcher

    def _index(self):
        with self._lock:
            if self._ix is None:
                self._ix = open_index(self.index_dir, read_only=self.read_only)
            return self._ix

    def facet_table(self, searcher) -> FacetTable:
        generation = searcher.reader().generation()
        with self._lock:
            if self._table is None or self._table[0] != generation:
                self._table = (generation, FacetTable(searcher.reader(), self._segment_cache, self.custom_facets()))
            return self._table[1]

    def custom_facets(self) -> dict[str, FacetSpec]:
        """The index's own facets (its ``facets.toml``), read with each new generation."""
        return load_facets(self.index_dir)

    @contextmanager
    def reading(self) -> Iterator[None]:
        """One request's reading: one generation throughout (:meth:`searcher`), and errors of reading a
        damaged file (Whoosh's EOFError, zlib and struct errors) as IndexDamaged."""
        pinned = self._pinned()
        for index in pinned:
            index._local.pins = getattr(index._local, "pins", 0) + 1
            if index._local.pins == 1:
                index._local.held = False  # the request's first searcher() looks for a newer generation
        try:
            yield
        except (EOFError, OSError, zlib.error, struct.error, pickle.UnpicklingError) as exc:
            raise IndexDamaged(
                f"{self.index_dir}: damaged index: reading it failed ({type(exc).__name__}: {exc}); "
                f"run `searchapp check --index-dir {self.index_dir}`"
            ) from None
        finally:
            for index in pinned:
                index._local.pins -= 1

    def _pinned(self) -> list[ShardIndex]:
        """The opened indexes a request reads: this one (a sharded index: its shards opened here too)."""
        return [self]


class SearchIndex(ShardIndex):
    """An index opened for searching: one folder, or the shards of a sharded index searched as one.

    For one index (the N=1 case) it is its own only shard, searched in this process.  For a
    sharded index (:mod:`searchapp.store.shards`) each shard is a :class:`ShardIndex` (opened here
    too, for the view over every shard's terms that prepares a search, for documents and exports)
    and searches are run on the shards by ``executor`` (:mod:`searchapp.query.shards`).
    """

    def __init__(
        self,
        index_dir: str | Path,
        read_only: bool = False,
        limits: Limits | None = None,
        executor: ShardExecutor | None = None,
        outlets: str | None = None,
    ) -> None:
        super().__init__(index_dir, read_only)
        self.limits = limits or Limits()
        self.outlets = outlets
        dirs = shard_dirs(self.index_dir)
        self.sharded = dirs is not None
        self.shards: list[ShardIndex] = [ShardIndex(d, read_only) for d in dirs] if dirs is not None else [self]
        for shard in self.shards:
            _LOCAL[(str(shard.index_dir), id(self))] = shard
        self._labels: dict[str, tuple[int | None, dict]] = {}  # shard folder -> (generation, its tallies' labels)
        self._maps: tuple[tuple, LabelMaps] | None = None  # (the shards' generations, their label maps)
        self._labels_lock = threading.Lock()
        self.executor: ShardExecutor = executor or InProcessExecutor()

    @classmethod
    def from_settings(cls, settings: Settings) -> SearchIndex:
        use_outlets_file(settings.outlets or None)  # outlet: queries are analysed inside Whoosh, beyond any argument
        if settings.search_scheduler:  # every shard searched on the Dask cluster's workers (searchapp.query.dask_shards)
            from .dask_shards import DaskShardExecutor

            executor: ShardExecutor = DaskShardExecutor(settings.search_scheduler, settings.search_timeout, settings.search_open_timeout)
        else:
            executor = make_executor(shard_count(settings.index_dir), process_count(settings.search_processes))
        return cls(settings.index_dir, settings.read_only, Limits.from_settings(settings), executor, settings.outlets or None)

    def close(self) -> None:
        """Stop the search processes (if any)."""
        self.executor.close()

    def searcher(self):
        """This thread's searcher of one index; a sharded index has one per shard (:attr:`shards`)."""
        if self.sharded:
            raise IndexUnavailable(f"{self.index_dir}: a sharded index has a searcher per shard")
        return super().searcher()

    def _index(self):
        if self.sharded:
            raise IndexUnavailable(f"{self.index_dir}: a sharded index is opened shard by shard")
        return super()._index()

    def reader(self):
        """A view over every shard's terms and statistics (the one index's own reader when not sharded).

        Whoosh's ``MultiReader`` sums document frequencies and field lengths and merges the terms:
        limits, names, hamza seats and did-you-mean decide on it as they would on one index.
        """
        if not self.sharded:
            return self.searcher().reader()
        return MultiReader([shard.searcher().reader() for shard in self.shards])

    def custom_facets(self) -> dict[str, FacetSpec]:
        return load_facets(self.shards[0].index_dir) if self.sharded else super().custom_facets()

    def place_within(self, reader) -> dict[str, tuple[str, ...]]:
        """Each place's ancestors over every shard (``reader``: :meth:`reader`), kept until a shard commits."""
        key = tuple(shard.searcher().reader().generation() for shard in self.shards)
        cached = getattr(self, "_within", None)
        if cached is None or cached[0] != key:
            field = reader.schema["place_paths"] if "place_paths" in reader.schema else None  # noqa: SIM401 (a Whoosh Schema has no get)
            paths = [field.from_bytes(b) for b in reader.lexicon("place_paths")] if field is not None else []
            cached = self._within = (key, place_hierarchy(paths))
        return cached[1]

    def facet_names(self) -> tuple[str, ...]:
        """Every facet of the index, built-in first: the filters a request may carry.

        A sharded index names them from its schema and facets.toml, as :class:`FacetTable` orders
        them (built-in, keyword, then number and date facets), without a facet table in this process.
        """
        if not self.sharded:
            return tuple(self.facet_table(self.searcher()).values)
        custom = self._custom_in_schema()
        keywords = [name for name, spec in custom.items() if spec.kind == "keyword" and name not in FACET_FIELDS]
        return (*FACET_FIELDS, *keywords, *(name for name, spec in custom.items() if spec.kind != "keyword"))

    def _pinned(self) -> list[ShardIndex]:
        return [self, *(shard for shard in self.shards if shard is not self)]

    def search(self, request: SearchRequest) -> SearchResult:
        with self.reading():
            return run_search(self, request)

    def hits(self, request: SearchRequest, limit: int) -> tuple[int, Iterator[Hit]]:
        """Every hit of one search, in order, for an export (at most ``limit``; more is a BadRequest)."""
        with self.reading():
            total, hits = iter_hits(self, request, limit)
        return total, self._guarded(hits)

    def _guarded(self, hits: Iterator[Hit]) -> Iterator[Hit]:
        with self.reading():
            yield from hits

    def scatter(self, prepared: Prepared, request: SearchRequest, mode: str = "page", end: int = 0, token: str = "") -> list[ShardAnswer]:
        """Every shard's answer to one prepared search (:func:`search_shard`)."""
        payload = self._payload(prepared, request, mode, end, token)
        return self.executor.run(search_shard, [(str(shard.index_dir), payload) for shard in self.shards])

    def _payload(self, prepared: Prepared, request: SearchRequest, mode: str, end: int, token: str) -> ShardPayload:
        stats = prepared.stats  # one index too: its field lengths as merge-independent sums (internals.field_length_totals)
        # one index builds its page at once; a shard's best hits are built once the merge has chosen the page
        build_from = max(0, end - request.per_page) if not self.sharded else end
        ahead = (0, 0)
        if self.sharded and mode == "page" and getattr(self.executor, "builds_ahead", False):
            # the ranks of a shard's best hits the merged page most likely holds (a shard of N holds about 1/N of
            # it), and two more: built while the shard's process waits for the coordinator's "hits" request
            first = max(0, end - request.per_page) // len(self.shards)
            ahead = (first, min(end, first + -(-request.per_page // len(self.shards)) + 2))
        with self._labels_lock:
            known = {shard_dir: generation for shard_dir, (generation, _) in self._labels.items()}
        return ShardPayload(
            request, prepared.parsed, prepared.names, stats, self.limits, mode, end, self.outlets, self.read_only, build_from, prepared.ranking, token,
            owner=id(self), ahead=ahead, labels_known=known,
        )

    def label_maps(self, answers: list[ShardAnswer]) -> LabelMaps | None:
        """What the shards' packed tallies' value numbers stand for (:class:`LabelMaps`), kept until a shard commits.

        A shard sends its labels with its answer when the payload says this index holds none of its
        generation (:attr:`ShardPayload.labels_known`); they are kept here per shard.
        """
        if not self.sharded:
            return None
        with self._labels_lock:
            for shard, answer in zip(self.shards, answers, strict=True):
                if answer.labels is not None:
                    self._labels[str(shard.index_dir)] = (answer.generation, answer.labels)
            key = tuple(answer.generation for answer in answers)
            if self._maps is None or self._maps[0] != key:
                held = [self._labels.get(str(shard.index_dir)) for shard in self.shards]
                if any(h is None or h[0] != answer.generation for h, answer in zip(held, answers, strict=True)):
                    raise IndexUnavailable(f"{self.index_dir}: a shard's facet labels are missing; try again")
                self._maps = (key, LabelMaps([h[1] for h in held]))
            return self._maps[1]

    def build_hits(self, prepared: Prepared, request: SearchRequest, token: str, merged: Merged, page: list[tuple[tuple, int, object]]) -> dict[tuple[int, str], Hit]:
        """The hits of a merged page not built yet: (shard number, id) -> Hit.

        With local search processes (:class:`~searchapp.query.shards.LocalShardExecutor`) every
        process holds every shard open, so a hit needs not be built by its own shard's process:
        this process and the search processes build the page's hits from either end
        (:meth:`~searchapp.query.shards.LocalShardExecutor.share`), each its own shard's first (those
        built while it waited).  Otherwise, or when a shard's answer did not say how to build its
        hits (a page past SHARE_DEPTH), each shard holding hits of the page builds them.
        """
        missing = [(key, number) for key, number, hit in page if hit is None]
        built: dict[tuple[int, str], Hit] = {}
        if getattr(self.executor, "shares_hits", False) and all((number, key[-1]) in merged.refs for key, number in missing):
            built = self._share_hits(prepared, request, token, merged, missing)
            missing = [(key, number) for key, number in missing if (number, key[-1]) not in built]  # (a commit meanwhile)
        wanted: dict[int, list[tuple[str, float | None]]] = {}
        for key, number in missing:
            wanted.setdefault(number, []).append((key[-1], _score_of(key, request)))
        if not wanted:
            return built
        base = self._payload(prepared, request, "hits", 0, token)
        tasks = [(str(self.shards[number].index_dir), replace(base, build=tuple(ids))) for number, ids in sorted(wanted.items())]
        answers = self.executor.run(search_shard, tasks)
        built.update({(number, hit.id): hit for number, answer in zip(sorted(wanted), answers, strict=True) for _, hit in answer.hits})
        return built

    def _share_hits(
        self, prepared: Prepared, request: SearchRequest, token: str, merged: Merged, missing: list[tuple[tuple, int]]
    ) -> dict[tuple[int, str], Hit]:
        """The page's missing hits built by this process and the search processes at once (see :meth:`build_hits`)."""
        dirs = [str(shard.index_dir) for shard in self.shards]
        items = []
        for key, number in missing:
            docnum, others = merged.refs[(number, key[-1])]
            items.append(ShareItem(dirs[number], key[-1], docnum, _score_of(key, request), others))
        generations = dict(zip(dirs, merged.generations, strict=True))
        terms = query_terms(prepared.parsed, prepared.names)
        custom = self._custom_in_schema()
        ahead: dict[str, dict[str, Hit]] = {}  # this process's own shards: the hits built while it waited
        with _RECENT_LOCK:
            for shard_dir in dirs:
                kept = _RECENT.get(shard_dir, {}).pop(token, None)
                if kept is not None:
                    ahead[shard_dir] = kept.built
        number_of = {shard_dir: number for number, shard_dir in enumerate(dirs)}

        def current(item: ShareItem) -> bool:  # this process reads the generation the hit was ranked on
            return self.shards[number_of[item.shard_dir]].searcher().reader().generation() == generations[item.shard_dir]

        def build(item: ShareItem) -> Hit:
            hit = ahead.get(item.shard_dir, {}).get(item.id)
            if hit is not None and hit.score == item.score:
                return hit
            return build_hit(self.shards[number_of[item.shard_dir]].searcher(), custom, item.docnum, item.score, terms, item.others)

        base = replace(self._payload(prepared, request, "share", 0, token), generations=generations, custom=custom)
        hits = self.executor.share(share_hits, base, items, build, current)
        return {(number_of[item.shard_dir], item.id): hit for item, hit in hits.items()}

    def _custom_in_schema(self) -> dict[str, FacetSpec]:
        """The index's own facets its shards' schema holds (the filters a request may carry, what a hit lists),
        read again when a shard commits (an index run that declares a facet commits)."""
        key = tuple(shard.searcher().reader().generation() for shard in self.shards)
        cached = getattr(self, "_custom", None)
        if cached is None or cached[0] != key:
            schema = self.shards[0].searcher().schema
            cached = self._custom = (key, {name: spec for name, spec in self.custom_facets().items() if name in schema})
        return cached[1]

    def count(self, request: SearchRequest) -> int:
        """How many results ``request`` has (what did-you-mean compares)."""
        prepared = prepare(self.reader(), request, self.limits, stats=True)
        return sum(answer.total for answer in self.scatter(prepared, request, "count"))

    def marked_terms(self, q: str) -> frozenset:
        """What the document page marks for the search ``q``: its terms, names found by other spellings included.

        Empty for a query that cannot be read (the page still shows the article).
        """
        if not q.strip():
            return frozenset()
        with self.reading():
            reader = self.reader()
            try:
                parsed = parse_query(q, reader.schema)
                if check_search(parsed, reader, SearchRequest(q=q), self.limits):
                    return query_terms(parsed)
                parsed, names = _with_names(parsed, q, reader, self.limits)
            except SearchappError:
                return frozenset()
            return query_terms(parsed, names)


@dataclass
class Prepared:
    """A search made ready over every shard's terms: the query as every shard runs it, and its statistics."""

    parsed: query.Query
    names: list[NameMatch]
    stats: GlobalStatistics | None
    ranking: query.Query | None = None  # ``parsed`` as ranked: patterns expanded over every shard (:func:`expand_patterns`)


def prepare(reader, request: SearchRequest, limits: Limits, stats: bool = False) -> Prepared:
    """Parse the query, check its cost, expand its names and hamza seats, over ``reader`` (every shard's terms).

    ``stats``: also sum the global statistics the scoring of its terms needs (a sharded index).
    """
    parsed = parse_query(request.q, reader.schema)
    if problem := check_search(parsed, reader, request, limits):  # bounded cost: query/limits.py
        raise BadRequest(problem)
    parsed, names = _with_names(parsed, request.q, reader, limits)
    parsed = _with_seats(parsed, reader, limits)
    ranking = expand_patterns(parsed, reader)
    return Prepared(parsed, names, global_statistics(reader, _scored_terms(ranking, reader)) if stats else None, ranking)


def expand_patterns(node: query.Query, reader) -> query.Query:
    """``node`` with each prefix, wildcard or range replaced by the OR of the terms it matches in ``reader``.

    What the ranking runs: Whoosh expands a pattern per index (per shard) and scores the OR of its
    terms by a matcher it picks from their number and the segment's size, so a shard holding two
    of a prefix's three words would score otherwise than the whole index.  Expanded once over
    every shard's terms (a constant score where the pattern asks for one), and ranked with
    :func:`fixed_matchers`, every shard scores as the one index.
    """
    if isinstance(node, query.MultiTerm):
        fieldname = node.field()
        if fieldname is None or fieldname not in reader.schema:
            return query.NullQuery
        field_type = reader.schema[fieldname]
        terms = [query.Term(fieldname, field_type.from_bytes(b), boost=node.boost) for _, b in node.expanded_terms(reader)]
        if not terms:
            return query.NullQuery
        either = terms[0] if len(terms) == 1 else query.Or(terms)
        return query.ConstantScoreQuery(either, node.boost) if getattr(node, "constantscore", False) else either
    return node if node.is_leaf() else node.apply(lambda child: expand_patterns(child, reader))


def fixed_matchers(node: query.Query) -> query.Query:
    """``node`` with every OR matched by Whoosh's default tree of unions (its scores the sum of the
    matching clauses'), never by the preloaded array Whoosh picks for a small index or segment:
    the choice would depend on the shard's size.  In place; returns ``node``."""
    if isinstance(node, query.Or):
        node.matcher_type = query.Or.DEFAULT_MATCHER
    if not node.is_leaf():
        for child in node.children():
            fixed_matchers(child)
    return node


def _scored_terms(parsed: query.Query, reader) -> Iterator[tuple[str, object]]:
    """Every term the scoring of ``parsed`` may read: its words and phrases' words, its patterns' expansions."""
    for leaf in _leaves(parsed):
        if isinstance(leaf, query.MultiTerm):
            yield from leaf.expanded_terms(reader)
        elif hasattr(leaf, "iter_all_terms"):
            yield from leaf.iter_all_terms(phrases=True)


def _leaves(node: query.Query) -> Iterator[query.Query]:
    if node.is_leaf():
        yield node
        return
    for child in node.children():
        yield from _leaves(child)


@dataclass
class _Matches:
    """What a search matches: the query and its masks, before any page is chosen."""

    parsed: query.Query
    names: list[NameMatch]  # the typed names also searched as the entities they spell
    query_mask: np.ndarray  # the query alone (live documents)
    filter_masks: dict[str, np.ndarray]
    every_version: np.ndarray  # the query and the filters
    final: np.ndarray  # the same with one version of each story when collapsing
    collapse: bool
    phrases: dict = field(default_factory=dict)  # each phrase's documents (matches.match_mask), for the ranking


def _match(searcher, table: FacetTable, request: SearchRequest, parsed: query.Query, names: list[NameMatch]) -> _Matches:
    """The masks of a prepared search on one index or shard."""
    phrases: dict = {}  # each phrase's documents, reused by the ranking (matches.ranking_query)
    query_mask = match_mask(searcher, parsed, table.doc_count, phrases) & table.live
    filter_masks = {facet: table.mask_for(facet, values, request.op(facet)) for facet, values in request.filters.items()}
    for facet in request.ops:
        if facet not in table.values:
            raise BadRequest(f"unknown filter {facet!r} in {facet}_op; filters are {', '.join(table.values)}", param_hint="--all-of")
    if request.published:  # not a facet: narrows every facet's counts and the timeline alike
        low, high = published_range(request.published)
        filter_masks[" published"] = (table.published >= low) & (table.published <= high)
    every_version = query_mask.copy()
    for mask in filter_masks.values():
        every_version &= mask
    collapse = request.collapse and table.has_duplicates
    final = table.collapse(every_version) if collapse else every_version
    return _Matches(parsed, names, query_mask, filter_masks, every_version, final, collapse, phrases)


def _with_seats(parsed: query.Query, reader, limits: Limits) -> query.Query:
    """Arabic words typed without a hamza seat also search the seated spelling (:mod:`searchapp.query.hamza`)."""
    return with_hamza_seats(parsed, lambda field, text: field in reader.schema and reader.doc_frequency(field, text) > 0, name_budget(parsed, reader, limits))[0]


def _with_names(parsed: query.Query, q: str, reader, limits: Limits) -> tuple[query.Query, list[NameMatch]]:
    """The query with its typed names also searched as the entities they spell (:mod:`searchapp.query.names`)."""
    if NAME_FIELD not in reader.schema or not q:  # an index made before the name keys has none
        return parsed, []
    return expand_names(parsed, q, lambda key, spelling: _spells_a_name(reader, key, spelling), name_budget(parsed, reader, limits))


def _spells_a_name(reader, key: str, spelling: str) -> bool:
    """Whether the typed ``spelling`` (of spelling key ``key``) should also find the entities of that key.

    A key is lossy (vowels and doubled letters are folded so that "Idleb" meets "Idlib" and "Asad"
    "Assad"), so a common word can share one with a name: "call" with "Cell", "sell" with "Seal".
    A run of several words is a name when its key is known.  A single word is one when at least
    half of the articles tagged with a name of its key have the word itself in a tagged name (the
    ``actor`` and ``place`` fields: "Syria", "Nusra", "Assad": the key stands for names written
    so), or when the key is tagged in more articles than write the word (a rarer spelling of a
    known name: "Idleb", "Asad", "Daesh").  Otherwise it is searched as the word it is ("call",
    written in 175 of 10,000 Reuters stories, a word of a tagged name in one, keyed like the 125
    articles tagged with a "Cell").
    """
    tagged = reader.doc_frequency(NAME_FIELD, key)
    if not tagged:
        return False
    if len(spelling.split()) > 1:
        return True
    word = _fold_word(spelling)
    named = max((reader.doc_frequency(field, word) for field in ("actor", "place") if field in reader.schema), default=0)
    return 2 * named >= tagged or tagged > _written(reader, spelling)


def shard_answer(searcher, table: FacetTable, payload: ShardPayload, recent: dict | None = None) -> ShardAnswer:
    """One shard's part of a search: its counts, facet tallies, months and best hits (:mod:`.shards`).

    Mode "page": every count, and the sort keys of the shard's best ``end`` hits (those ranked
    from ``build_from`` built: one index builds its page at once); its masks are kept in
    ``recent`` under the payload's token.  Mode "hits": the hits of the merged page this shard
    holds, built from those masks (made again if they are gone).  Mode "count": the total alone.
    """
    request = payload.request
    if payload.mode == "hits":
        with _RECENT_LOCK:
            kept = recent.pop(payload.token, None) if recent is not None else None
        if kept is None or kept.table is not table:  # (gone, or a new generation since)
            matches = _match(searcher, table, request, payload.parsed, payload.names)
            kept = _Kept(table, matches, query_terms(matches.parsed, matches.names))
        terms = kept.terms
        hits = []
        for i, score in payload.build:
            hit = kept.built.get(i)
            if hit is None or hit.score != score:
                hit = _hit(searcher, table, table.docnum(i), score, terms, kept.matches)
            hits.append(((), hit))
        return ShardAnswer(0, hits=hits)
    matches = _match(searcher, table, request, payload.parsed, payload.names)
    total = int(matches.final.sum())
    if payload.mode == "count":
        return ShardAnswer(total)
    a_shard = payload.build_from >= payload.end  # (a shard of a sharded index: its tallies go to a merge, its hits are built later)
    tallies = facet_tallies(table, matches.query_mask, matches.filter_masks, request.filters, matches.collapse, request.ops, packed=a_shard)
    if a_shard and "place" in tallies:
        tallies["place"].within = {}  # a shard's is partial: the coordinator sets every shard's (SearchIndex.place_within)
    with use_statistics(searcher, payload.stats):
        ranked = _ranked(searcher, table, matches, request, payload.end, payload.ranking)
    terms = query_terms(matches.parsed, matches.names)
    hits = [
        (key, _hit(searcher, table, docnum, score, terms, matches) if rank >= payload.build_from else None)
        for rank, (key, docnum, score) in enumerate(ranked)
    ]
    if recent is not None and payload.token and payload.build_from >= payload.end and hits:  # (a shard: the page's hits come next)
        first, last = payload.ahead
        ahead = [(docnum, score, key[-1]) for key, docnum, score in ranked[first:last]]
        with _RECENT_LOCK:  # a serving process's threads search at once
            recent[payload.token] = _Kept(table, matches, terms, ahead)
            while len(recent) > RECENT_SEARCHES:
                recent.pop(next(iter(recent)))
    months = month_counts(table.published[matches.final], MISSING_DATE)
    answer = ShardAnswer(total, int(np.count_nonzero(matches.query_mask)), tallies, months, hits, generation=searcher.reader().generation())
    if a_shard and payload.end <= SHARE_DEPTH:
        answer.refs = [(docnum, tuple(table.versions(docnum, matches.every_version).tolist()) if matches.collapse else None) for _, docnum, _ in ranked]
    return answer


RECENT_SEARCHES = 16  # masks kept per process between a search's two steps (a few concurrent requests)
SHARE_DEPTH = 100  # a shard answering its best 100 hits or fewer (pages 1 to 10) says how to build each without its masks


@dataclass
class _Kept:
    """A shard's search between its two steps: its masks, and the likely page hits built while its process waited."""

    table: FacetTable
    matches: _Matches
    terms: frozenset  # what its snippets mark
    ahead: list[tuple[int, float | None, str]] = field(default_factory=list)  # (docnum, score, id) to build, best first
    built: dict[str, Hit] = field(default_factory=dict)  # id -> its hit, built ahead


def _build_ahead(shard: ShardIndex, recent: dict, token: str) -> bool:
    """One more of a search's likely page hits built while this process waits; whether more are left.

    A shard's part of a sharded search comes in two steps with a wait between: its process waits
    for the other shards' counts (the coordinator) or for the merged page (a search process).  The
    page's hits a shard holds are its best ones, so they are built in that wait, best first,
    instead of after it (:mod:`.shards`, ``while_waiting``).  Only on the generation the search
    read: a newer one has other document numbers.
    """
    with _RECENT_LOCK:
        kept = recent.get(token)
    if kept is None or not kept.ahead:
        return False
    with shard.reading():
        searcher = shard.searcher()
        if shard.facet_table(searcher) is not kept.table:
            return False
        docnum, score, article_id = kept.ahead.pop(0)
        kept.built[article_id] = _hit(searcher, kept.table, docnum, score, kept.terms, kept.matches)
    return bool(kept.ahead)


def share_hits(shard_dir: str, payload: ShardPayload) -> Iterator[tuple[int, Hit]]:
    """The page's hits of ``payload.share`` built in order, each yielded as (its place in that list, the hit).

    The "hits" step of a sharded search with local search processes (:meth:`SearchIndex.build_hits`):
    this process builds its own shard's hits of the page first (most built while it waited), then
    the other shards' from the bottom of the page, while the coordinator builds from the other end
    and stops this stream once it holds every hit (:meth:`~searchapp.query.shards.LocalShardExecutor.share`).
    A hit of a shard whose generation here is not the one its search ranked (a commit meanwhile:
    other document numbers) is skipped; the coordinator builds it.  ``shard_dir``: unused (every
    item names its shard).
    """
    terms = query_terms(payload.parsed, payload.names)
    with ExitStack() as stack:
        opened: dict[str, tuple | None] = {}  # shard_dir -> (searcher, hits built ahead) or None (another generation)
        for position, item in enumerate(payload.share):
            if item.shard_dir not in opened:
                shard = open_shard(item.shard_dir, payload.read_only, payload.owner)
                stack.enter_context(shard.reading())
                searcher = shard.searcher()
                with _RECENT_LOCK:
                    kept = _RECENT.get(item.shard_dir, {}).pop(payload.token, None)
                current = searcher.reader().generation() == payload.generations.get(item.shard_dir)
                opened[item.shard_dir] = (searcher, kept.built if kept is not None else {}) if current else None
            if opened[item.shard_dir] is None:
                continue
            searcher, built = opened[item.shard_dir]
            hit = built.get(item.id)
            if hit is None or hit.score != item.score:
                hit = build_hit(searcher, payload.custom, item.docnum, item.score, terms, item.others)
            yield position, hit


# ---------------------------------------------------------------------------------------------
# The worker's side

#: shards opened by this process (a worker), kept open for the next search: shard_dir -> ShardIndex
_OPEN: dict[str, ShardIndex] = {}
#: shards a coordinator searches in its own process, by (folder, id of its SearchIndex): looked up first, never
#: kept alive here.  Keyed by their owner too: two SearchIndex of one folder (a replica serving the generation it
#: opened beside a live one) are two sets of shards.
_LOCAL: weakref.WeakValueDictionary[tuple[str, int], ShardIndex] = weakref.WeakValueDictionary()
_outlets_in_force: list[str | None] = [None]
_RECENT: dict[str, dict] = {}  # shard_dir -> token -> (facet table, masks) of its searches' first steps
_RECENT_LOCK = threading.Lock()


def open_shard(shard_dir: str, read_only: bool = False, owner: int = 0) -> ShardIndex:
    """The shard at ``shard_dir``: the asking SearchIndex's own (``owner``) in its process, else opened once per
    process and reused (it reopens itself on a new generation)."""
    shard = _LOCAL.get((shard_dir, owner))
    if shard is not None:
        return shard
    shard = _OPEN.get(shard_dir)
    if shard is None or shard.read_only != read_only:
        shard = _OPEN[shard_dir] = ShardIndex(shard_dir, read_only=read_only)
    return shard


def open_shards() -> dict[str, int]:
    """The shards this process holds open, each with the id of its :class:`ShardIndex` (asked of every
    Dask worker with ``client.run``: the same id request after request means the shard was not reopened)."""
    return {shard_dir: id(shard) for shard_dir, shard in _OPEN.items()}


def search_shard(shard_dir: str, payload: ShardPayload) -> ShardAnswer:
    """One shard's part of a search (:func:`shard_answer`), in whichever process runs it."""
    if (shard_dir, payload.owner) not in _LOCAL and payload.outlets != _outlets_in_force[0]:
        use_outlets_file(payload.outlets)
        _outlets_in_force[0] = payload.outlets
    shard = open_shard(shard_dir, payload.read_only, payload.owner)
    with shard.reading():
        searcher = shard.searcher()
        with _RECENT_LOCK:
            recent = _RECENT.setdefault(shard_dir, {})
        table = shard.facet_table(searcher)
        with postings_read_once():  # (the scores read the postings the masks have just read)
            answer = shard_answer(searcher, table, payload, recent)
        known = shard_dir in payload.labels_known and payload.labels_known[shard_dir] == answer.generation  # (an empty shard's is None)
        if answer.tallies and not known and any(t.packed is not None for t in answer.tallies.values()):
            answer.labels = table_labels(table)  # (once per generation: the coordinator keeps them)
    if payload.mode == "page" and payload.ahead[1] > payload.ahead[0]:
        IDLE.tasks.append(partial(_build_ahead, shard, recent, payload.token))
    return answer



def run_search(index: SearchIndex, request: SearchRequest) -> SearchResult:
    """The one function that builds a search result (a page of hits, facets, timeline, suggestion).

    Prepared over every shard's terms, answered by each shard (:func:`shard_answer`), merged
    (:func:`searchapp.query.shards.merge_answers`): one index is the case of one shard.
    """
    reader = index.reader()
    prepared = prepare(reader, request, index.limits, stats=True)
    start = (request.page - 1) * request.per_page
    end = start + request.per_page
    token = uuid.uuid4().hex
    answers = index.scatter(prepared, request, "page", end, token)
    merged = merge_answers(answers, end, index.label_maps(answers))
    if index.sharded and "place" in merged.tallies:
        merged.tallies["place"].within = index.place_within(reader)
    total = merged.total
    pages: dict[str, FacetPage] = {}
    facets = list_facets(merged.tallies, request.filters, request.facet_size, request.listings, pages)
    terms = query_terms(prepared.parsed, prepared.names)
    page = merged.hits[start:end]
    if any(hit is None for _, _, hit in page):  # a sharded index: the page's hits not built yet
        # (after the facet pages: the shards' processes have meanwhile built the hits they expect to be asked for)
        built = index.build_hits(prepared, request, token, merged, page)
        page = [(key, number, hit if hit is not None else built[(number, key[-1])]) for key, number, hit in page]
    hits = [hit for _, _, hit in page]
    # names the archive never writes as typed ("Asad", "syra") found articles through the tags only: a
    # respelling that finds more is still worth offering
    written = {match.key: _written(reader, match.spelling) for match in prepared.names}
    unwritten = [match for match in prepared.names if written[match.key] == 0]
    # (they find nothing as typed: a respelling that finds as many, as written, is offered)
    # (the query's own matches decide, not the filters': "stores" in one outlet and year is no misspelling)
    few = merged.query_count < 3
    did_you_mean = _suggest(index, reader, request, total if total < 3 else total - 1) if request.q and (few or unwritten) else None
    hints = query_hints(request.q) + [
        name_hint(match) for match in prepared.names if reader.doc_frequency(NAME_FIELD, match.key) > written[match.key]
    ]
    return SearchResult(request, total, hits, facets, did_you_mean, terms, timeline_bars(merged.months), hints, pages)


def _score_of(key: tuple, request: SearchRequest) -> float | None:
    """A hit's score from its sort key (relevance: (-score, id)), as its shard ranked it (4 places)."""
    return round(-key[0], 4) if request.effective_sort == "relevance" else None


def _written(reader, spelling: str) -> int:
    """How many articles hold every word of ``spelling`` as written (at most: the rarest word's count)."""
    if "words" not in reader.schema:
        return 0
    return min((reader.doc_frequency("words", _fold_word(word)) for word in spelling.split()), default=0)


def name_hint(match: NameMatch) -> str:
    """What the page says of a typed name that was also searched as the entities it spells."""
    return (
        f"“{match.spelling}” is also searched as a name: articles naming it under any spelling match; "
        f"write \"{match.spelling}\" in quotes for this spelling only"
    )


def iter_hits(index: SearchIndex, request: SearchRequest, limit: int) -> tuple[int, Iterator[Hit]]:
    """The total of a search and every one of its hits in order, ranked once (the exports' stream).

    Facets, timeline and suggestions are not computed; the hits are built as the stream is read,
    the shards' streams merged by the hits' sort keys.  A search with more than ``limit`` hits is
    refused before anything is streamed.
    """
    prepared = prepare(index.reader(), request, index.limits, stats=True)
    streams = []
    total = 0
    for shard in index.shards:
        searcher = shard.searcher()
        table = shard.facet_table(searcher)
        matches = _match(searcher, table, request, prepared.parsed, prepared.names)
        count = int(matches.final.sum())
        total += count
        streams.append((searcher, table, matches, count))
    if total > limit:
        raise BadRequest(f"this search has {total} hits; an export holds at most {limit}: narrow the search")
    terms = query_terms(prepared.parsed, prepared.names)

    def stream(searcher, table: FacetTable, matches: _Matches, count: int) -> Iterator[tuple[tuple, Hit]]:
        with use_statistics(searcher, prepared.stats):
            ranked = _ranked(searcher, table, matches, request, count, prepared.ranking)
        for key, docnum, score in ranked:
            yield key, _hit(searcher, table, docnum, score, terms, matches, every_version_id=True)

    merged = heapq.merge(*(stream(*parts) for parts in streams), key=lambda pair: pair[0])
    return total, (hit for _, hit in merged)


def _hit(
    searcher, table: FacetTable, docnum: int, score: float | None, terms: frozenset, matches: _Matches, every_version_id: bool = False
) -> Hit:
    others = table.versions(docnum, matches.every_version) if matches.collapse else None
    return build_hit(searcher, table.custom, docnum, score, terms, others, every_version_id)


def build_hit(
    searcher, custom: dict[str, FacetSpec], docnum: int, score: float | None, terms: frozenset, others, every_version_id: bool = False
) -> Hit:
    """One hit as a page shows it, from its stored fields: snippets of the paragraphs that match best, its tags,
    its own facets' values, and its other versions (``others``: their docnums within the search, earliest first;
    None when not collapsing).  Needs no mask, so any process holding the shard open can build it."""
    stored = searcher.stored_fields(docnum)
    hit = Hit(
        id=stored["id"],
        title=stored.get("title", ""),
        outlet=stored.get("outlet_name"),
        published=stored.get("published_iso"),
        url=stored.get("url") or None,
        score=score,
        snippets=best_passages(
            stored.get("paragraphs", []),
            terms,
            language=stored.get("language"),
            mentions=(stored.get("entities") or {}).get("mentions", []),
            furniture=stored.get("furniture") or [],
        ),
        language=stored.get("language"),
    )
    mentions = (stored.get("entities") or {}).get("mentions", [])
    hit.people, hit.orgs, hit.places = ([m["name"] for m in mentions if m.get("kind") == kind] for kind in ("person", "org", "place"))
    hit.facets = {name: facet_values(spec, stored.get(name)) for name, spec in custom.items()}
    if others is not None:
        others = [int(o) for o in others]
        hit.versions = article_refs(searcher, others[:MAX_VERSIONS_LISTED])
        hit.version_count = len(others)
        if every_version_id:
            hit.version_ids = [ref.id for ref in hit.versions] + [searcher.stored_fields(o)["id"] for o in others[MAX_VERSIONS_LISTED:]]
    return hit


_REF_COLUMNS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()  # searcher -> its segments' ref columns


def article_refs(searcher, docnums: list[int]) -> list[ArticleRef]:
    """The articles ``docnums`` as a list of versions shows them, from the ``ref`` column.

    A hit's other versions are read for every hit of every page: from their stored fields, each
    one unpacked a compressed block of whole articles, a sixth of a search's time on a large
    index.  An article written before the column existed is read from its stored fields.  The
    column readers are kept per searcher (a searcher belongs to one thread; they seek a file).
    """
    columns = _REF_COLUMNS.get(searcher)
    if columns is None:
        columns = _REF_COLUMNS[searcher] = list(segment_columns(searcher.reader(), "ref"))
    offsets = [offset for offset, _, _ in columns]
    refs = []
    for docnum in docnums:
        offset, _, column = columns[bisect.bisect_right(offsets, docnum) - 1]
        value = read_article_ref(column[docnum - offset]) if column is not None else None
        refs.append(ArticleRef(*value) if value else ArticleRef.from_stored(searcher.stored_fields(docnum)))
    return refs


def facet_values(spec: FacetSpec, stored) -> list[str]:
    """A document's values of one of the index's own facets, as text (a date as ISO, a whole number without ".0")."""
    if stored is None or stored == "":
        return []
    if spec.kind == "number":
        return [str(int(stored)) if float(stored).is_integer() else f"{stored:g}"]
    if spec.kind == "date":
        return [stored.date().isoformat() if hasattr(stored, "date") else str(stored)]
    return [v for v in str(stored).split(VALUE_SEPARATOR) if v]


def top_documents(searcher, q: query.Query, limit: int, allow: set[int] | None = None, restrict: set[int] | None = None):
    """Whoosh's results for the best ``limit`` documents of ``q`` (within ``allow``, without ``restrict``), exactly.

    whoosh3's collector "replaces" the matcher as its minimum score rises (``Matcher.replace``),
    and an AND of ORs (every query of two words searched in title and text) so replaced drops
    documents that belong in the top N (on 20,000 articles, "issues eurobond" lost its 1st and
    4th best of 10): the collector here never replaces it and skips no block by quality.
    """
    collector = collectors.TopCollector(limit=limit, usequality=False, replace=0)
    if allow is not None or restrict is not None:
        collector = collectors.FilterCollector(collector, allow=allow, restrict=restrict)
    searcher.search_with_collector(q, collector)
    return collector.results()


def best_scored(docs: np.ndarray, scores: np.ndarray, id_rank: np.ndarray, ids, end: int) -> list[tuple[tuple, int, float]]:
    """The best ``end`` of ``docs`` by (score descending, article id): (sort key, docnum, score to 4 places).

    Only the documents scoring at least the ``end``-th best are sorted (every tie with it is kept,
    so the article id decides among them as on every shard).
    """
    if len(docs) > end:
        threshold = np.partition(scores, len(scores) - end)[len(scores) - end]
        keep = scores >= threshold
        docs, scores = docs[keep], scores[keep]
    order = np.lexsort((id_rank[docs], -scores))[:end]
    return [((-float(scores[i]), ids[docs[i]]), int(docs[i]), round(float(scores[i]), 4)) for i in order.tolist()]


FEW_CANDIDATES = 2000  # a filtered search with at most this many results scores them one by one (score_documents)


def score_documents(searcher, q: query.Query, docs: np.ndarray) -> list[tuple[float, int]]:
    """(score, docnum) of each of ``docs`` (sorted document numbers, all matching ``q``), as the collector scores them.

    A search narrowed by filters to a few documents (an outlet and a year) made the collector walk
    every match of its words and throw most away; here the query's matcher jumps from one wanted
    document to the next (``skip_to``) and scores each, the same score the collector's would give
    (same matcher, same context, nothing replaced).  Every wanted document is scored, so ties are
    all known.
    """
    context = searcher.context()
    final = searcher.weighting.final if searcher.weighting.use_final else None
    scored: list[tuple[float, int]] = []
    for subsearcher, offset in searcher.leaf_searchers():
        count = subsearcher.doc_count_all()
        local = docs[(docs >= offset) & (docs < offset + count)] - offset
        if not len(local):
            continue
        matcher = q.matcher(subsearcher, context)
        for docnum in local.tolist():
            if not matcher.is_active():
                break
            if matcher.id() < docnum:
                matcher.skip_to(docnum)
                if not matcher.is_active():
                    break
            if matcher.id() == docnum:
                score = matcher.score()
                scored.append((final(searcher, offset + docnum, score) if final else score, offset + docnum))
    return scored


def _ranked(
    searcher, table: FacetTable, matches: _Matches, request: SearchRequest, end: int, ranked_query: query.Query
) -> list[tuple[tuple, int, float | None]]:
    """The best ``end`` matches of one index or shard in the request's order: (sort key, docnum, score).

    The order is total and the same on every shard, so merging the shards' lists by sort key is
    the one index's order: relevance by (score descending, id), newest and oldest by (undated
    last, published date, id).  Whoosh breaks equal scores by document number, which differs
    between one index and its shards, so it is asked for more hits until the last one it returns
    scores below the ``end``-th: every hit tying with the ``end``-th is then known.
    """
    sort = request.effective_sort
    final = matches.final
    if end <= 0 or not final.any():
        return []
    ids = table.ids()
    if sort == "relevance":
        # The filter is needed only when facets or collapsing narrowed the query's own matches.
        narrowed = bool(matches.filter_masks) or matches.collapse
        ranking = fixed_matchers(ranking_query(searcher, ranked_query, matches.phrases))
        candidates = np.flatnonzero(final)
        scored_all = score_matches(searcher, ranking, candidates)  # every match scored in NumPy (None: a query it does not score)
        if scored_all is not None:
            matched, scores = scored_all
            return best_scored(candidates[matched], scores[matched], table.id_rank(), ids, end)
        if narrowed and len(candidates) <= FEW_CANDIDATES:  # filters left few: score just those
            scored_few = score_documents(searcher, ranking, candidates)
            found = sorted(((-score, ids[docnum]), docnum) for score, docnum in scored_few)[:end]
            return [(key, docnum, round(-key[0], 4)) for key, docnum in found]
        allowed = set(candidates.tolist()) if narrowed else None
        limit = end + 1  # one more than the page: when it scores below the last, no tie is cut (one pass, mostly)
        while True:
            results = top_documents(searcher, ranking, limit, allow=allowed)
            scored = results.scored_length()
            if scored < limit or results.score(limit - 1) < results.score(end - 1):
                break
            limit *= 2
        found = sorted(((-float(results.score(i)), ids[results.docnum(i)]), results.docnum(i)) for i in range(scored))[:end]
        return [(key, docnum, round(-key[0], 4)) for key, docnum in found]
    docs = np.flatnonzero(final)
    keys = table.published[docs]
    missing = keys == MISSING_DATE
    order = np.lexsort((table.id_rank()[docs], -keys if sort == "newest" else keys, missing))
    chosen = docs[order[:end]].tolist()
    sign = -1 if sort == "newest" else 1
    return [((bool(table.published[d] == MISSING_DATE), sign * int(table.published[d]), ids[d]), d, None) for d in chosen]


def _suggest(index: SearchIndex, reader, request: SearchRequest, total: int) -> str | None:
    """A respelled query that finds more, from words written in the archive and the names it tags.

    Each plain word that few articles hold is replaced by the closest word of the ``words`` field
    (the words as written: "siege", not the stem "sieg") within two edits (a swap of two letters
    counts one), never a stop word nor a word of fewer than three letters, and held by at least
    two articles and more than the word typed; at equal distance a name (a word of the tagged
    people, organisations and places: "Assad", "Idlib") comes first, then the most frequent word.
    A word more than one article in RARE_WORD_SHARE (at least two) holds is kept unless it spells
    a name, which is then respelled only as a name.
    The suggestion is offered only when it finds more articles than ``total``: the query's own
    total, or one less when a name typed is nowhere written so and was found through its tags
    only ("syra" finds the articles tagged Syria; "syria" finds them as written).
    ``reader``: every shard's terms; the suggestion's total is counted by the shards.
    """
    if "words" not in reader.schema:
        return None
    typed = request.q.split()
    if any(not _PLAIN_WORD.fullmatch(word) or word in ("AND", "OR", "NOT") for word in typed):
        return None  # fields, phrases, patterns, operators: the query says what it means
    out, changed = [], False
    rare = max(2, reader.doc_count() // RARE_WORD_SHARE)
    for word in typed:
        key = _fold_word(word)
        own = reader.doc_frequency("words", key)
        # a word the archive writes often is what the user meant ("stores" is not a typo of "shares"),
        # unless it is a spelling of a name, which may have a usual spelling ("Idleb": Idlib)
        names_only = own > rare
        if names_only and not (NAME_FIELD in reader.schema and reader.doc_frequency(NAME_FIELD, spelling_key(word)) > 0):
            out.append(word)
            continue
        best = None
        # (another spelling of a name keeps its first two letters: "Idleb" and "Idlib", "Asad" and "Assad")
        for candidate in words_within(reader, "words", key, 2 if len(key) > 4 else 1, prefix=2 if names_only else 1):
            if candidate == key or len(candidate) < 3 or candidate in STOP_WORDS:
                continue
            frequency = reader.doc_frequency("words", candidate)
            if frequency < max(2, own + 1):
                continue
            name = reader.doc_frequency("actor", candidate) + reader.doc_frequency("place", candidate) > 0
            if names_only and not name:
                continue
            rank = (damerau_levenshtein(key, candidate), not name, -frequency, candidate)
            best = min(best, rank) if best else rank
        if best is not None and 4 * own < -best[2]:  # the word typed is rare beside it
            out.append(best[3].capitalize() if word[:1].isupper() else best[3])  # "Asad" -> "Assad"
            changed = True
        else:
            out.append(word)
    if not changed:
        return None
    suggestion = " ".join(out)
    try:
        found = index.count(replace(request, q=suggestion))
    except SearchappError:
        return None
    return suggestion if found > total else None


RARE_WORD_SHARE = 2000  # a word in fewer than one article in 2,000 (or two) may be a misspelling
_PLAIN_WORD = re.compile(r"[^\W\d_][\w'’-]*")


def words_within(reader, fieldname: str, text: str, maxdist: int, prefix: int = 0) -> set[str]:
    """The words of ``fieldname`` within ``maxdist`` edits of ``text`` (sharing its first ``prefix`` letters), in any reader.

    Whoosh finds them in one segment by walking its word list with an automaton, but a reader of
    several segments or shards (a ``MultiReader``) falls back to measuring the distance to every
    word of the prefix in Python: 63,000 words for "Idlib ceasefire" at 1,000,000 articles, five
    times the rest of the search.  The union of each segment's own answer is the same set.
    """
    return {word for leaf, _ in reader.leaf_readers() for word in leaf.terms_within(fieldname, text, maxdist, prefix=prefix)}


def _fold_word(word: str) -> str:
    """A word as the ``words`` field holds it (lower-cased, accents folded, hyphens joined)."""
    tokens = [t.text for t in word_analyzer()(word, mode="query")]
    return tokens[0] if tokens else word.lower()
