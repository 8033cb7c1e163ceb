"""Tagging on a Dask distributed cluster: ``searchapp index --scheduler tcp://HOST:PORT``.

spaCy's NER is most of the cost of indexing, and it is embarrassingly parallel: a batch of
articles goes in, its tags (entities with their spans, resolved dates, language) come out.  So
the cluster only tags; the one index writer stays in the ``searchapp index`` process, exactly as
in a local run (:class:`searchapp.ingest.parallel.ParallelTagger`), and consumes tagged batches in input
order.  The index a cluster run produces is therefore the index a local run produces.

* **Backpressure**: at most ``2 x`` the cluster's worker threads batches are submitted and not yet
  written (re-read as workers join or leave), so the indexer's memory is bounded however large
  the input and however fast the cluster.
* **Failures**: a worker that dies (killed, out of memory, its machine gone) has its batches
  rescheduled on the others by the scheduler.  A batch is written once, when its turn in input
  order comes, from whichever attempt finished, so a retry never duplicates an article.  A batch
  that keeps killing workers stops the run with a message; every batch committed before is kept.
* **Workers load the pipeline once**: tasks call :func:`searchapp.ingest.tagging.load_pipeline`, cached
  per worker process.  One tagging thread per worker process is the useful setting
  (``dask worker --nthreads 1 --nworkers N``): tagging holds the GIL, so extra threads of one
  process only queue behind a lock.  The aliases and settings are sent to every worker once (``scatter``).
* **Same software everywhere**: every result carries the worker's pipeline version; a worker
  running another searchapp version stops the run instead of writing differently tagged articles.

Dask is imported only when a scheduler is given, so local indexing starts without it.
"""

from __future__ import annotations

import itertools
import sqlite3
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field

from ..errors import ClusterError
from .entities import Aliases
from .models import Article, TaggedArticle
from .parallel import in_input_order
from .tagcache import CacheSpec, CacheStats, TagCache, open_cache
from .tagging import MAX_TAGGED_CHARS, PIPELINE_VERSION, tag_articles

STALL_NOTICE = 30.0  # seconds without a finished batch before saying that the cluster has no workers


_tagging_lock = threading.Lock()


def check_address(address: str, from_environment: bool = False, variable: str = "SEARCHAPP_SCHEDULER") -> str:
    """``address`` if it names a scheduler Dask can reach (tcp:// or tls://, host and port), else
    ClusterError naming where it was given (the option, or the environment ``variable``).

    Also checks ``serve --scheduler`` (the search cluster, $SEARCHAPP_SEARCH_SCHEDULER).
    """
    from distributed.comm.addressing import parse_address, parse_host_port

    given = f"{variable}={address!r}" if from_environment else f"--scheduler {address!r}"
    try:
        scheme, location = parse_address(address)
        parse_host_port(location)
    except ValueError as exc:
        raise ClusterError(f"{given}: not a scheduler address ({exc}); expected tcp://HOST:PORT") from None
    if scheme not in ("tcp", "tls"):
        raise ClusterError(f"{given}: unsupported scheme {scheme!r}; expected tcp://HOST:PORT")
    return address


def tag_on_worker(articles: list[Article], context: tuple[Aliases, int, CacheSpec | None]) -> tuple[str, list[tuple], tuple[int, int]]:
    """Run on a Dask worker: (pipeline version, the tags of each article, paragraphs tagged and reused).

    ``context`` is the indexer's aliases, tagged-characters budget and tag cache, so a worker tags
    exactly as the indexer's own processes would, whatever its environment (a worker that cannot
    see the cache file tags without it).  Only the tags travel back: the indexer still holds the
    articles.  The lock makes a worker with several threads tag one batch at a time (one spaCy
    pipeline per process).
    """
    aliases, max_chars, spec = context
    stats = CacheStats()
    with _tagging_lock:
        tagged = tag_articles(articles, aliases, max_chars=max_chars, cache=open_cache(spec, must_exist=True), stats=stats)
    return PIPELINE_VERSION, [(t.mentions, t.dates, t.language, t.raw, t.evidence) for t in tagged], stats.as_tuple()


@dataclass(eq=False)
class ClusterTagger:
    """Tags batches on the Dask cluster at ``address``, yielding them in input order.

    Used like :class:`~searchapp.ingest.parallel.ParallelTagger` (a context manager with ``tag``).
    ``report`` receives notices meant for the user (a stalled cluster).
    """

    address: str
    aliases: Aliases
    report: Callable[[str], None] = field(default=lambda message: None)
    timeout: float = 10.0  # seconds to reach the scheduler and a first worker
    max_chars: int = MAX_TAGGED_CHARS
    cache: CacheSpec | None = None  # the tag cache beside the index, used by the workers that can see it
    cache_stats: CacheStats = field(default_factory=CacheStats, init=False)
    cache_problem: str = field(default="", init=False)  # why the tag cache could not be used, if it could not
    _client: object = field(default=None, init=False)
    _context: object = field(default=None, init=False)
    _threads: int = field(default=1, init=False)
    _threads_read: float = field(default=0.0, init=False)

    def __enter__(self) -> ClusterTagger:
        from distributed import Client

        check_address(self.address)  # a Client given a bad address hangs on its way out
        timeout = self.timeout
        try:
            self._client = Client(self.address, timeout=timeout, set_as_default=False)
        except (OSError, TimeoutError, ValueError) as exc:
            raise ClusterError(f"--scheduler {self.address}: cannot reach the Dask scheduler: {exc}") from None
        try:
            self._client.wait_for_workers(1, timeout=timeout)
        except TimeoutError:
            self.close()
            raise ClusterError(
                f"--scheduler {self.address}: no worker joined within {timeout:.0f}s "
                "(start some with `dask worker --nthreads 1 " + self.address + "`)"
            ) from None
        if self.cache is not None:
            try:  # created (or started again if damaged) here, before any worker looks for it
                TagCache(self.cache, self.report).close()
            except (OSError, sqlite3.Error) as exc:
                self.cache_problem = str(exc)  # said in the summary: a full disk is the index's error to report first
                self.cache = None
        context = (self.aliases, self.max_chars, self.cache)
        self._context = self._client.scatter(context, broadcast=True, hash=False)
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        if self._client is not None:
            client, self._client = self._client, None
            client.close()

    @property
    def threads(self) -> int:
        """Worker threads in the cluster now (read at most every two seconds)."""
        if self._client is not None and time.monotonic() - self._threads_read > 2.0:
            self._threads = max(1, sum(self._client.nthreads().values()))
            self._threads_read = time.monotonic()
        return self._threads

    def describe(self) -> str:
        return f"{self.threads} worker threads"

    def tag(self, batches: Iterable[list[Article]], backlog: int = 0) -> Iterator[list[TaggedArticle]]:
        """Tags of ``batches`` in input order; ``backlog`` as for :meth:`searchapp.ingest.parallel.ParallelTagger.tag`."""
        assert self._client is not None, "use ClusterTagger as a context manager"
        run = uuid.uuid4().hex[:12]
        numbers = itertools.count()

        def submit(batch: list[Article]):
            return self._client.submit(tag_on_worker, batch, self._context, key=f"searchapp-tag-{run}-{next(numbers)}")

        yield from in_input_order(batches, submit, self._collect, lambda: 2 * self.threads + backlog)

    def _collect(self, batch: list[Article], future) -> list[TaggedArticle]:
        from distributed import KilledWorker

        waited = 0.0
        while True:
            try:
                version, tags, *stats = future.result(timeout=5.0)  # a worker of another version may send no stats
                break
            except TimeoutError:
                waited += 5.0
                if waited >= STALL_NOTICE and not self._client.nthreads():
                    self.report(f"warning: no Dask worker is connected to {self.address}; waiting for one to join")
                    waited = 0.0
            except ImportError as exc:  # raised on the worker, when it unpickles the task
                raise ClusterError(
                    f"--scheduler {self.address}: a worker cannot run searchapp's tagging ({exc}); "
                    "install the same searchapp on every worker"
                ) from None
            except KilledWorker:
                raise ClusterError(
                    f"--scheduler {self.address}: a batch of {len(batch)} articles (first id {batch[0].id!r}) "
                    "was lost with every worker that tried it (out of memory?); every batch committed before is kept"
                ) from None
        future.release()
        if version != PIPELINE_VERSION:
            raise ClusterError(
                f"--scheduler {self.address}: a worker tags with searchapp pipeline {version}, this indexer with "
                f"{PIPELINE_VERSION}; install the same searchapp version on every worker"
            )
        self.cache_stats.add(stats[0])
        return [TaggedArticle(a, *tag) for a, tag in zip(batch, tags, strict=True)]  # (mentions, dates, language, raw, evidence)
