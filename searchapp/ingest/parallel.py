"""Tagging in local worker processes, and the bounded, in-order submission every tagger shares.

:func:`in_input_order` is the scheduler: batches go out at most ``ahead()`` in advance and their
tags come back in input order, so memory stays bounded however large the input and the one index
writer gets batches in the order they were read.  :class:`ParallelTagger` uses it with a pool of
forked processes; :class:`searchapp.ingest.cluster.ClusterTagger` with a Dask cluster.
"""

from __future__ import annotations

import ctypes
import multiprocessing
import os
import signal
import sqlite3
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from contextlib import suppress

from .entities import Aliases
from .models import Article, TaggedArticle
from .tagcache import CacheSpec, CacheStats, TagCache, open_cache
from .tagging import MAX_TAGGED_CHARS, load_pipeline, tag_articles

_worker: tuple[Aliases, int, CacheSpec | None] | None = None  # this worker's aliases, tagged-characters budget, tag cache


_PR_SET_PDEATHSIG = 1  # <linux/prctl.h>


def die_with_parent(parent: int) -> None:
    """Make this worker die when its parent does, whatever killed the parent (even SIGKILL).

    Linux sends the death signal when the thread that forked us exits; the parent's pid is
    checked afterwards because the parent may have died before the request was made.
    """
    with suppress(OSError, AttributeError):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    if os.getppid() != parent:
        os._exit(1)


def _init_worker(parent: int, aliases: Aliases, max_chars: int, cache: CacheSpec | None = None) -> None:
    global _worker
    die_with_parent(parent)
    # Ctrl-C reaches the whole process group: the indexer handles it (cancels the open batch and
    # stops the pool); workers ignore it instead of each printing a traceback.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _worker = (aliases, max_chars, cache)
    load_pipeline()


def _tag_in_worker(articles: list[Article]) -> tuple[list[tuple], tuple[int, int]]:
    """The tags alone (the indexer still holds the articles, so their text is not sent back) and
    the paragraphs tagged and reused (:class:`~.tagcache.CacheStats`)."""
    assert _worker is not None
    aliases, max_chars, spec = _worker
    stats = CacheStats()
    tagged = tag_articles(articles, aliases, max_chars, cache=open_cache(spec), stats=stats)
    return [(t.mentions, t.dates, t.language, t.raw, t.evidence) for t in tagged], stats.as_tuple()


class ParallelTagger:
    """Tags batches of articles in worker processes, yielding them in input order.

    At most ``2 * processes`` batches (and the caller's backlog) are in flight, so memory stays
    bounded however large the input; with one process everything runs inline (simplest to debug
    and to test).
    """

    def __init__(
        self,
        processes: int,
        aliases: Aliases,
        max_chars: int = MAX_TAGGED_CHARS,
        cache: CacheSpec | None = None,
        report: Callable[[str], None] = lambda message: None,
    ) -> None:
        self.processes = processes
        self.aliases = aliases
        self.max_chars = max_chars
        self.cache = cache
        self.report = report
        self.cache_stats = CacheStats()
        self.cache_problem = ""  # why the tag cache could not be used, if it could not
        self._pool: ProcessPoolExecutor | None = None
        self._cache: TagCache | None = None

    def __enter__(self) -> ParallelTagger:
        if self.cache is not None:
            # opened (created, or started again if damaged, with a warning) here; workers open their own
            try:
                self._cache = TagCache(self.cache, self.report)
            except (OSError, sqlite3.Error) as exc:
                self.cache_problem = str(exc)  # said in the summary: a full disk is the index's error to report first
                self.cache = None
        if self.processes > 1:
            if self._cache is not None:
                self._cache.close()  # a connection is never carried across a fork
                self._cache = None
            # fork: workers start in milliseconds and inherit the loaded modules.
            context = multiprocessing.get_context("fork")
            self._pool = ProcessPoolExecutor(
                self.processes,
                mp_context=context,
                initializer=_init_worker,
                initargs=(os.getpid(), self.aliases, self.max_chars, self.cache),
            )
        return self

    def __exit__(self, *exc) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=exc[0] is None, cancel_futures=True)
            self._pool = None
        if self._cache is not None:
            self.cache_problem = self.cache_problem or self._cache.problem
            self._cache.close()
            self._cache = None

    @property
    def threads(self) -> int:
        """Batches tagged at once."""
        return self.processes

    def describe(self) -> str:
        return f"{self.processes} processes"

    def tag(self, batches: Iterable[list[Article]], backlog: int = 0) -> Iterator[list[TaggedArticle]]:
        """Tags of ``batches`` in input order; ``backlog``: batches the caller holds before using them (see :func:`in_input_order`)."""
        if self._pool is None:
            for batch in batches:
                yield tag_articles(batch, self.aliases, self.max_chars, cache=self._cache, stats=self.cache_stats) if batch else []
            return

        def collect(batch: list[Article], future: Future) -> list[TaggedArticle]:
            tags, stats = future.result()
            self.cache_stats.add(stats)
            return [TaggedArticle(a, *tag) for a, tag in zip(batch, tags, strict=True)]  # (mentions, dates, language, raw, evidence)

        yield from in_input_order(batches, lambda batch: self._pool.submit(_tag_in_worker, batch), collect, lambda: 2 * self.processes + backlog)


def in_input_order(
    batches: Iterable[list[Article]],
    submit: Callable[[list[Article]], object],
    collect: Callable[[list[Article], object], list[TaggedArticle]],
    ahead: Callable[[], int],
) -> Iterator[list[TaggedArticle]]:
    """Submit batches for tagging at most ``ahead()`` in advance; yield their tags in input order.

    The bound is the backpressure of every tagger (local processes, a Dask cluster): memory stays
    bounded however large the input, and the writer gets batches in the order they were read.
    A caller that gathers several batches before writing them (a committed batch is many tagging
    chunks) passes that many more as ``backlog`` to the tagger: otherwise the workers fall idle
    while it writes, and it waits on them while it gathers (a quarter of an index run's time when
    the tags come from the cache).
    """
    pending: deque = deque()
    for batch in batches:
        pending.append((batch, submit(batch)))
        while len(pending) >= ahead():
            yield collect(*pending.popleft())
    while pending:
        yield collect(*pending.popleft())
