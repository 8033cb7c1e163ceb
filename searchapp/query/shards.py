"""A search over the shards of an index, each searched where it is held open, merged as one index.

A sharded index (``searchapp index --shards N``, :mod:`searchapp.store.shards`) is N complete
searchapp indexes under ``<index>/shards/00 .. NN-1``.  One search runs in three steps, and the
one-index case is the N=1 case of the same code (:func:`searchapp.query.search.run_search`):

1. **Prepare** (the coordinator: the web worker or the CLI), over a view of every shard's terms
   (:meth:`searchapp.query.search.SearchIndex.reader`, a Whoosh ``MultiReader``): the query is
   parsed, checked against the limits, its names and hamza seats expanded, its patterns expanded,
   and the *global statistics* its scoring needs are summed (documents, each term's document
   frequency, each field's total length: :class:`~searchapp.store.internals.GlobalStatistics`).
2. **Scatter** (mode "page"): an executor calls the module-level ``search.search_shard`` once per
   shard with a picklable :class:`ShardPayload`; it returns a picklable :class:`ShardAnswer`
   (counts, facet tallies, month counts, the sort keys of its best ``end`` hits).
3. **Merge**: :func:`merge_answers` (pure) sums totals, facet tallies and month counts and keeps
   the best hits by their sort key; the facet pages, the timeline, did-you-mean and the hints are
   then made from the merged figures exactly as for one index.
4. **Hits**: the merged page's hits not built yet.  With :class:`LocalShardExecutor` every process
   holds every shard open, and a shard's page answer says how to build each of its best hits without
   its masks (``ShardAnswer.refs``: its docnum and its other versions' within the search), so the
   serving process and the search processes build them from either end of the page, each its own
   shard's first (:meth:`LocalShardExecutor.share`, ``search.share_hits``), whichever is free.
   Otherwise (another executor, a page past ``search.SHARE_DEPTH``) each shard holding hits of the
   page builds them (mode "hits"), reusing the masks of step 2 when the same process ran it (kept a
   while under the payload's ``token``), else making them again.  One index builds its page in step 2.
   Between the two steps a process waits (the coordinator for the other shards' answers, a search
   process for the merged page), and the page's hits a shard holds are its best ones: with
   :class:`LocalShardExecutor` each shard builds its best few (``ShardPayload.ahead``) in that
   wait, best first (:func:`while_waiting`), and step 4 uses those it has.

The executor protocol (:class:`ShardExecutor`) is all another executor (a Dask cluster:
``searchapp.query.dask_shards``) has to implement::

    class ShardExecutor(Protocol):
        def run(self, fn, tasks: Sequence[tuple[str, Any]]) -> list: ...   # fn(shard_dir, payload) per task, answers in task order
        def close(self) -> None: ...

An executor whose processes run :func:`while_waiting` between a search's steps says so with
``builds_ahead = True`` (the payload then asks each shard to build its likely page hits meanwhile).
``fn`` is the module-level :func:`searchapp.query.search.search_shard`, so it pickles by name
(it lives beside the search it runs: this module imports nothing of ``search.py``, which imports
it); ``shard_dir`` is a ``str`` path, the payload a :class:`ShardPayload`.  A worker keeps the
shards it searched open in a module-level cache keyed by ``shard_dir``
(:func:`searchapp.query.search.open_shard`), each a :class:`~searchapp.query.search.ShardIndex`,
reopened when a new generation is committed.
Errors raised in a worker are :class:`searchapp.errors.SearchappError` subclasses (picklable,
option included), raised again by ``run`` in the caller.  :class:`LocalShardExecutor` is the
local implementation (a process per core, each shard always in the same process).

Hits are merged by a total order, the same for one index and for shards: relevance by
(score descending, article id ascending); newest/oldest by (undated last, published date, id).
"""

from __future__ import annotations

import collections
import contextlib
import multiprocessing
import multiprocessing.connection
import os
import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np

from ..errors import IndexUnavailable

if TYPE_CHECKING:
    from whoosh import query

    from ..store.internals import GlobalStatistics
    from .facets import FacetTally
    from .limits import Limits
    from .names import NameMatch

#: what a shard is asked: every count and its best hits' sort keys ("page"), the page's hits it holds built
#: ("hits"), or only the total ("count": did-you-mean)
MODES = ("page", "hits", "count")


@dataclass
class ShardPayload:
    """What every shard is sent for one search (picklable: Whoosh queries pickle, so do the rest)."""

    request: Any  # searchapp.query.search.SearchRequest (this module imports nothing of search.py, which imports it)
    parsed: query.Query  # the query as prepared over every shard: names and hamza seats expanded
    names: list[NameMatch]
    stats: GlobalStatistics  # documents, term frequencies and field lengths of every shard together
    limits: Limits
    mode: str = "page"
    end: int = 0  # each shard returns its best ``end`` hits (the merged page is ``end - per_page .. end``)
    outlets: str | None = None  # the outlets file in force (a worker process applies it before searching)
    read_only: bool = False
    build_from: int = 0  # hits ranked before this are returned as sort keys only (one index: the page's own)
    ranking: query.Query | None = None  # ``parsed`` as ranked: its patterns expanded over every shard
    token: str = ""  # names this search: the "hits" step finds the masks the "page" step made (in the same process)
    build: tuple[tuple[str, float | None], ...] = ()  # mode "hits": (id, score) of the hits to build, in page order
    owner: int = 0  # the id() of the SearchIndex asking: in its own process, its own opened shards answer
    ahead: tuple[int, int] = (0, 0)  # mode "page" of a shard: the ranks of its best hits to build while its process waits
    share: tuple[ShareItem, ...] = ()  # :func:`share_hits`: the page's hits this process builds, in the order it builds them
    generations: dict[str, int | None] = field(default_factory=dict)  # share: the generation each shard's hits were ranked on
    custom: dict = field(default_factory=dict)  # share: the index's own facets (a hit lists their values)
    labels_known: dict[str, int | None] = field(default_factory=dict)  # page: the generation of each shard whose labels the coordinator holds


@dataclass(frozen=True, eq=False)  # (an item is itself: equal ones never meet)
class ShareItem:
    """One hit of a merged page, as any process holding its shard open can build it (``search.share_hits``)."""

    shard_dir: str
    id: str
    docnum: int
    score: float | None
    others: tuple[int, ...] | None  # the docnums of its other versions within the search, earliest first (collapsing), or None


@dataclass
class ShardAnswer:
    """What a shard answers (picklable): its figures for the merge, its best hits with their sort keys."""

    total: int  # matches after filters (and collapsing)
    query_count: int = 0  # matches of the query alone (did-you-mean is offered when few)
    tallies: dict[str, FacetTally] = field(default_factory=dict)  # facet -> counts by value
    months: dict[str, int] = field(default_factory=dict)  # "2016-03" -> matches published that month
    hits: list[tuple[tuple, Any]] = field(default_factory=list)  # (sort key, search.Hit or None below build_from), best first
    # a shard's hits not built: (docnum, other versions' docnums or None) of each, for a process that builds them (SHARE_DEPTH)
    refs: list[tuple[int, Any]] = field(default_factory=list)
    generation: int | None = -1  # the generation of the shard the answer read (None: a shard with no commit, empty)
    labels: dict | None = None  # its tallies' labels (facets.table_labels), when the coordinator does not hold this generation's


class _IdleWork(threading.local):
    """Work a process does while it waits, one short step at a time (per thread: a step uses the thread's searcher)."""

    def __init__(self) -> None:
        self.tasks: collections.deque[Callable[[], bool]] = collections.deque(maxlen=IDLE_TASKS)


IDLE_TASKS = 16  # tasks kept per thread (an executor that never waits leaves at most these)
IDLE = _IdleWork()


def while_waiting(ready: Callable[[], bool]) -> None:
    """Run the idle tasks a step at a time until ``ready()`` (an answer or a request has come) or none is left.

    A task is a callable doing one short step (building one hit: a few tenths of a millisecond),
    returning whether it has more; what it does is only ever a head start (the step it speeds up
    does the same work itself when the result is missing), so a task that fails is dropped.
    """
    tasks = IDLE.tasks
    while tasks and not ready():
        try:
            more = tasks[0]()
        except Exception:  # a head start lost, nothing more: the search does this work itself
            more = False
        if not more:
            tasks.popleft()


class ShardExecutor(Protocol):
    """Runs ``fn(shard_dir, payload)`` for each task, in parallel where it can; answers in task order."""

    def run(self, fn: Callable[[str, Any], Any], tasks: Sequence[tuple[str, Any]]) -> list: ...

    def close(self) -> None: ...


class InProcessExecutor:
    """Every shard searched in the calling process, one after the other (one index; ``search_processes`` 1)."""

    def run(self, fn: Callable[[str, Any], Any], tasks: Sequence[tuple[str, Any]]) -> list:
        return [fn(shard_dir, payload) for shard_dir, payload in tasks]

    def close(self) -> None:
        pass


LOCAL_SLOT = 0  # the shards of slot 0 are searched by the calling process itself


class LocalShardExecutor:
    """``processes`` processes, each searching the same shards every time: the calling one and ``processes - 1`` others.

    A shard is always searched by the same process (the first shard seen by the calling process,
    which searches its share while the others search theirs, the next by search process 1, ...), so it is searched where it is already open (its searcher mapped, its facet
    table built, the masks of the search's first step kept for its second).  Each process
    answers over its own pipe, one task at a time: a search sends its tasks to every process it
    needs, then reads their answers, with no thread between (``concurrent.futures``' queue threads
    cost milliseconds a task on a loaded machine).  Processes start with ``forkserver`` (never a
    fork of a threaded web worker) on first use; one that died is started again and the search
    run once more.
    """

    builds_ahead = True  # its processes build a shard's likely page hits while they wait (ShardPayload.ahead)

    def __init__(self, processes: int) -> None:
        self.processes = max(1, processes)
        self._workers: list[tuple[Any, Any] | None] = [None] * self.processes  # (process, pipe)
        self._sequence = [0] * self.processes  # the last task sent to each process (under its lock)
        self._locks = [threading.Lock() for _ in range(self.processes)]  # a web worker's threads search at once
        self._slots: dict[str, int] = {}
        self._slots_lock = threading.Lock()
        self._context = multiprocessing.get_context("forkserver")

    def _slot(self, shard_dir: str) -> int:
        with self._slots_lock:
            return self._slots.setdefault(shard_dir, len(self._slots) % self.processes)

    def _worker(self, slot: int):
        worker = self._workers[slot]  # (slot 0, the calling process, has none)
        if worker is None or not worker[0].is_alive():
            if worker is not None:
                worker[1].close()
            ours, theirs = self._context.Pipe()
            process = self._context.Process(target=_serve, args=(theirs,), daemon=True, name=f"searchapp-search-{slot}")
            process.start()
            theirs.close()
            worker = self._workers[slot] = (process, ours)
        return worker

    def run(self, fn: Callable[[str, Any], Any], tasks: Sequence[tuple[str, Any]]) -> list:
        """``fn`` on every task in the shards' processes, answers in task order."""
        slots = [self._slot(shard_dir) for shard_dir, _ in tasks]
        used = sorted(set(slots) - {LOCAL_SLOT})  # (this process's own share needs no lock: its threads search at once)
        for slot in used:  # always in slot order: two searches never wait on each other's locks
            self._locks[slot].acquire()
        try:
            for _ in range(2):
                try:
                    return self._exchange(fn, tasks, slots)
                except (EOFError, OSError):  # a process died (its pipe closed): start every one this search used afresh
                    for slot in used:
                        self._reset(slot)
            raise IndexUnavailable("a search process died twice in one search (out of memory?); try again")
        finally:
            for slot in used:
                self._locks[slot].release()

    def _exchange(self, fn: Callable[[str, Any], Any], tasks: Sequence[tuple[str, Any]], slots: list[int]) -> list:
        sent = {number: self._send(slot, fn, shard_dir, payload) for number, ((shard_dir, payload), slot) in enumerate(zip(tasks, slots, strict=True)) if slot != LOCAL_SLOT}
        answers: list = [None] * len(tasks)
        for number, ((shard_dir, payload), slot) in enumerate(zip(tasks, slots, strict=True)):
            if slot == LOCAL_SLOT:  # meanwhile, this process searches its own share
                try:
                    answers[number] = ("ok", fn(shard_dir, payload))
                except Exception as exc:
                    answers[number] = ("error", exc)
        for number, slot in enumerate(slots):  # a process answers its tasks in the order they were sent
            if slot != LOCAL_SLOT:
                answers[number] = self._receive(slot, sent[number], idle=True)
        for kind, value in answers:
            if kind == "error":
                raise value
        return [value for _, value in answers]

    def _send(self, slot: int, fn: Callable, shard_dir: str = "", payload: Any = None) -> int:
        """Send a task to ``slot``'s process (its lock held; started if need be); returns the task's number, which
        its answers carry: a task's answers may outlive the wait for them (a stream stopped early), and are
        told from the next task's by it."""
        self._sequence[slot] += 1
        self._worker(slot)[1].send((self._sequence[slot], fn, shard_dir, payload))
        return self._sequence[slot]

    def _receive(self, slot: int, number: int, idle: bool = False) -> tuple[str, Any]:
        """The next message answering task ``number`` of ``slot``'s process: (kind, value), kind "ok", "error", "item" or "end".

        ``idle``: this process's shards build their likely page hits until it comes (:func:`while_waiting`).
        """
        pipe = self._workers[slot][1]
        while True:
            if idle:
                while_waiting(pipe.poll)
            answering, kind, value = pipe.recv()
            if answering == number:
                return kind, value

    shares_hits = True  # every process can build any shard's hits (:meth:`share`)

    def share(self, fn: Callable[[str, Any], Any], payload: Any, items: Sequence[ShareItem], build: Callable[[ShareItem], Any], current: Callable[[ShareItem], bool]) -> dict:
        """``items`` built by whichever process is free: item -> what ``build`` (here) or ``fn`` (a search process) made of it.

        The hits of a merged page: each shard's process built its likeliest ones while it waited, and
        the rest is shared out as it comes.  Each search process holding items is sent, as
        ``payload.share``, its own shards' items in page order followed by this process's in reverse,
        and ``fn`` streams them back built, one by one; this process builds its own shards' items,
        then the others' from the bottom of the page (those that are ``current`` here), skipping
        every item already come and the one each process is building next.  Once every item is in,
        the search processes are told to stop (what they build meanwhile is skipped).  A search process
        that fails or dies leaves the rest to this one.  An item no one could build (a commit meanwhile:
        not ``current`` here) is left out: the caller builds it another way.
        """
        slots = {item: self._slot(item.shard_dir) for item in items}
        used = sorted(set(slots.values()) - {LOCAL_SLOT})
        here = [item for item in items if slots[item] == LOCAL_SLOT]
        orders = {slot: [item for item in items if slots[item] == slot] + here[::-1] for slot in used}
        mine = here + [item for item in reversed(items) if slots[item] != LOCAL_SLOT and current(item)]
        pending = dict.fromkeys(items)
        done: dict = {}
        for slot in used:
            self._locks[slot].acquire()
        try:
            sent = {}
            for slot in used:
                try:
                    sent[slot] = self._send(slot, fn, "", replace(payload, share=tuple(orders[slot])))
                except OSError:  # a process that died: the others and this one build its share
                    self._reset(slot)
            streaming = set(sent)
            while pending:
                for slot in list(streaming):
                    try:
                        while slot in streaming and self._workers[slot][1].poll():
                            answering, kind, value = self._workers[slot][1].recv()
                            if answering != sent[slot]:
                                continue  # (the end of an earlier stream)
                            if kind == "item":
                                item = orders[slot][value[0]]
                                if item in pending:
                                    done[item] = value[1]
                                    del pending[item]
                            else:  # "end", or "error": what it did not send, this process builds (or the caller, asking again)
                                streaming.discard(slot)
                    except (EOFError, OSError):
                        self._reset(slot)
                        streaming.discard(slot)
                if not pending:
                    break
                # the item each streaming process builds next (it builds its list in order): not built twice
                next_there = {next((item for item in orders[slot] if item in pending), None) for slot in streaming}
                item = next((item for item in mine if item in pending and item not in next_there), None)
                if item is not None:
                    done[item] = build(item)
                    del pending[item]
                elif streaming:
                    multiprocessing.connection.wait([self._workers[slot][1] for slot in streaming])
                else:
                    break  # what is left, no process here can build
            for slot in streaming:  # (a stream ended by itself needs no stop)
                with contextlib.suppress(OSError):
                    self._sequence[slot] += 1
                    self._workers[slot][1].send((self._sequence[slot], None, "", None))
        finally:
            for slot in used:
                self._locks[slot].release()
        return done

    def _reset(self, slot: int) -> None:
        """Stop the process of ``slot`` (it may hold an unread answer) so that the next use starts a new one."""
        worker, self._workers[slot] = self._workers[slot], None
        if worker is not None:
            process, pipe = worker
            if process.is_alive():
                process.kill()
            process.join()
            pipe.close()

    def pids(self) -> list[int]:
        """The ids of the search processes running now (for tests and monitoring)."""
        return [worker[0].pid for worker in self._workers if worker is not None and worker[0].is_alive()]

    def close(self) -> None:
        for slot, worker in enumerate(self._workers):
            if worker is None:
                continue
            with self._locks[slot]:
                process, pipe = worker
                with contextlib.suppress(OSError):
                    pipe.send(None)
                process.join(timeout=5)
                if process.is_alive():
                    process.kill()
                    process.join()
                pipe.close()
                self._workers[slot] = None


def _serve(pipe) -> None:
    """A search process: runs each task (number, fn, shard_dir, payload) it is sent and answers (number, kind, value).

    kind "ok" with fn's answer, "error" with the exception it raised; an ``fn`` that returns an
    iterator streams it (:func:`_stream`).  A task whose ``fn`` is None is a stop (nothing to do).
    """
    while True:
        try:
            message = pipe.recv()
        except (EOFError, OSError):
            return  # the coordinator is gone
        if message is None:
            return
        number, fn, shard_dir, payload = message
        if fn is None:
            continue
        try:
            answer = ("ok", fn(shard_dir, payload))
        except Exception as exc:  # raised again in the coordinator
            answer = ("error", exc)
        if answer[0] == "ok" and isinstance(answer[1], Iterator):
            _stream(pipe, number, answer[1])
            continue
        try:
            pipe.send((number, *answer))
        except Exception as exc:  # an answer or error that does not pickle
            pipe.send((number, "error", IndexUnavailable(f"{shard_dir}: a search process could not send its answer ({type(exc).__name__}: {exc})")))
        while_waiting(pipe.poll)  # until the next request: build the hits the coordinator is likely to ask for next


def _stream(pipe, number: int, items: Iterator) -> None:
    """Send each of ``items`` as it is made, (number, "item", item), then (number, "end", None); stop as soon as
    the coordinator sends anything (a stop, or its next task: it holds what it needs)."""
    try:
        for item in items:
            pipe.send((number, "item", item))
            if pipe.poll():
                return
        pipe.send((number, "end", None))
    except Exception as exc:
        with contextlib.suppress(Exception):
            pipe.send((number, "error", IndexUnavailable(f"a search process failed building hits ({type(exc).__name__}: {exc})")))
    finally:
        close = getattr(items, "close", None)
        if close is not None:
            close()


def make_executor(shard_count: int, processes: int) -> ShardExecutor:
    """Local processes for a sharded index and more than one process; otherwise the calling process."""
    if shard_count > 1 and processes > 1:
        return LocalShardExecutor(min(processes, shard_count))
    return InProcessExecutor()


def process_count(setting: int) -> int:
    """Search processes for the ``search_processes`` setting (0: one per core)."""
    return setting if setting > 0 else (os.cpu_count() or 1)


# ---------------------------------------------------------------------------------------------
# The merge (pure)


@dataclass
class Merged:
    """The shards' answers together: what one index would have answered before its page is cut."""

    total: int
    query_count: int
    tallies: dict[str, FacetTally]
    months: dict[str, int]
    hits: list[tuple[tuple, int, Any]]  # (sort key, number of the shard holding it, its Hit or None), best first
    refs: dict[tuple[int, str], tuple[int, Any]] = field(default_factory=dict)  # (shard number, id) -> ShardAnswer.refs' entry
    generations: list[int] = field(default_factory=list)  # each shard's


def merge_answers(answers: Sequence[ShardAnswer], end: int, maps: Any = None) -> Merged:
    """The shards' answers merged: totals, facet tallies and months summed, the best ``end`` hits kept by their sort key.

    ``maps``: the shards' :class:`~searchapp.query.facets.LabelMaps` (needed when their tallies are packed).
    """
    from .facets import merge_tallies

    months: dict[str, int] = {}
    for answer in answers:
        for period, count in answer.months.items():
            months[period] = months.get(period, 0) + count
    hits = sorted(((key, number, hit) for number, answer in enumerate(answers) for key, hit in answer.hits), key=lambda item: item[:2])[:end]
    refs = {
        (number, key[-1]): ref
        for number, answer in enumerate(answers)
        if answer.refs
        for (key, _), ref in zip(answer.hits, answer.refs, strict=True)
    }
    return Merged(
        total=sum(a.total for a in answers),
        query_count=sum(a.query_count for a in answers),
        tallies=merge_tallies([a.tallies for a in answers], maps),
        months=months,
        hits=hits,
        refs=refs,
        generations=[a.generation for a in answers],
    )


def month_counts(keys: np.ndarray, missing: int) -> dict[str, int]:
    """Matches per published month ("2016-03" -> count) of published-date sort keys (``missing``: undated)."""
    import datetime

    from whoosh.util.times import datetime_to_long

    keys = keys[keys != missing]
    if not len(keys):
        return {}
    epoch = datetime_to_long(datetime.datetime(1970, 1, 1))
    months = (keys - epoch).astype("datetime64[us]").astype("datetime64[M]")
    periods, counts = np.unique(months, return_counts=True)
    return {str(p): int(c) for p, c in zip(periods, counts, strict=True)}
