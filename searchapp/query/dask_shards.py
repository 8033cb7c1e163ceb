"""The shards of an index searched by the workers of a Dask distributed cluster: ``searchapp serve --scheduler tcp://HOST:PORT``.

:class:`DaskShardExecutor` implements the shard protocol of :mod:`searchapp.query.shards`
(``run(fn, tasks) -> list``, ``close()``): ``fn`` is the module-level
:func:`searchapp.query.search.search_shard`, called as ``fn(shard_dir, payload)`` for each task, and
the answers come back in task order, to be merged by :func:`~searchapp.query.shards.merge_answers`
exactly as those of the local processes.  ``shard_dir`` is a folder every worker reads at that
same path (a shared or replicated file system); a worker keeps each shard it searched open
(:func:`searchapp.query.search.open_shard`), so only its first search of a shard pays for opening
it.  One index that is not sharded is its own only shard.  A scatter/gather per request:

* **Placement**: each shard goes to one worker chosen by rendezvous hashing with bounded loads
  over the workers connected now (:func:`placement`) and every shard the executor has searched
  (a search's second step asks only the shards that hold the page's hits: they go where the first
  step went, which kept their masks), so a shard stays on the worker that holds it open, request
  after request, every worker holds its share, and a worker that joins or leaves moves its own
  shards and few others.  The task is pinned there with ``allow_other_workers=True``:
  when that worker is gone, the scheduler runs it on another, which opens the shard (and keeps it).
* **A worker that dies mid-search**: the scheduler reschedules the tasks it held on the workers left
  (up to ``distributed.scheduler.allowed-failures`` deaths per task, 3 by default), so the request is
  still answered.  No ``retries`` are set on the tasks: an error raised by the search itself (a query
  that cannot be read, a limit passed) is the user's answer and comes back at once, the same
  exception a local search raises; a lost worker is not an error of the task and is retried anyway.
* **Out of reach**: no worker connected, the scheduler unreachable, a task that killed every worker
  it ran on, or the answers not all back within ``timeout`` seconds (``search_timeout``) raise
  :class:`~searchapp.errors.ServiceUnavailable` (503).  After a failed connection, requests within
  the next :data:`RECONNECT_AFTER` seconds are refused at once rather than each waiting out the timeout.
  A request that sends a shard to a worker that has not answered for it yet (after a start, or
  when the shards move) may take ``open_timeout`` (``search_open_timeout``) instead: that worker
  opens the shard and builds its facet table first (2.3 s on one 100,000-article index).
* **Processes**: a Dask client runs an event loop thread, which a fork does not copy, so each
  gunicorn worker connects its own client at its first search (and again after a fork); the
  client is shared by the process's request threads.

Dask is imported only when a scheduler is given; this module imports nothing else of searchapp's
search (``search.py`` imports it when ``search_scheduler`` is set).
"""

from __future__ import annotations

import functools
import hashlib
import os
import threading
import time
import uuid
from collections.abc import Callable, Sequence
from concurrent.futures import CancelledError
from typing import Any

from ..errors import ServiceUnavailable

RECONNECT_AFTER = 5.0  # seconds during which a scheduler that could not be reached is not tried again


def placement(shards: Sequence[str], workers: Sequence[str]) -> dict[str, str]:
    """Which worker holds each shard: rendezvous hashing with bounded loads.

    Each shard ranks the workers by a hash of (worker, shard) and goes to the first of its ranking
    that holds fewer than ``ceil(shards / workers)``; shards are placed in sorted order.  So the
    placement depends only on which shards and workers exist (not on any order or history), every
    worker holds its fair share (two shards on two workers: one each, never both on one, which would
    search them one after the other), and a worker that leaves moves its own shards and at most a
    few others (the loads are rebalanced), so little is opened again.
    """
    if not workers:
        raise ValueError("no worker to place a shard on")
    unique = sorted(set(shards))
    cap = -(-len(unique) // len(workers))
    load = dict.fromkeys(workers, 0)
    placed = {}
    for shard in unique:
        ranking = sorted(workers, key=lambda worker: hashlib.blake2b(f"{worker}\0{shard}".encode(), digest_size=8).digest(), reverse=True)
        placed[shard] = worker = next(worker for worker in ranking if load[worker] < cap)
        load[worker] += 1
    return placed


class DaskShardExecutor:
    """The shard protocol on the Dask cluster whose scheduler is at ``address`` (see the module's docstring).

    ``timeout`` bounds a whole request: reaching the scheduler, and every answer back.
    """

    def __init__(self, address: str, timeout: float = 10.0, open_timeout: float = 120.0) -> None:
        self.address = address
        self.timeout = timeout
        self.open_timeout = max(timeout, open_timeout)
        self._opened: set[tuple[str, str]] = set()  # (shard, worker) that answered: the worker holds the shard open
        self._lock = threading.Lock()
        self._client: Any = None
        self._pid = 0
        self._down_until = 0.0
        self._down_reason = ""
        self._known: set[str] = set()  # every shard searched so far: a request that asks only some (a
        # search's second step asks the shards holding the page's hits) places them where all of them are placed

    @staticmethod
    @functools.lru_cache(maxsize=64)
    def _placement(shards: tuple[str, ...], workers: tuple[str, ...]) -> dict[str, str]:
        return placement(shards, workers)

    def run(self, fn: Callable[[str, Any], Any], tasks: Sequence[tuple[str, Any]]) -> list:
        """``fn(shard_dir, payload)`` for every task on the cluster, the answers in task order.

        An exception ``fn`` raises on a worker is raised here as it is; the cluster's own failures
        raise :class:`~searchapp.errors.ServiceUnavailable`.
        """
        from distributed import KilledWorker

        if not tasks:
            return []
        started = time.monotonic()
        client = self._connected()
        try:
            workers = sorted(client.nthreads())
        except (OSError, TimeoutError) as exc:
            self._drop(client)
            raise self._unreachable(exc) from None
        if not workers:
            raise ServiceUnavailable(
                f"search cluster {self.address}: no worker is connected (start some with `dask worker {self.address}`)",
                public_reason="no search worker is running",
            )
        request = uuid.uuid4().hex[:12]
        with self._lock:  # placed among every shard this executor has searched, not only this request's
            self._known.update(shard for shard, _ in tasks)
            known = tuple(sorted(self._known))
        placed = self._placement(known, tuple(workers))
        pairs = {(shard, placed[shard]) for shard, _ in tasks}
        limit = self.timeout if pairs <= self._opened else self.open_timeout  # a worker opening a shard builds its tables
        deadline = started + limit
        futures = [
            client.submit(
                fn, shard, payload, key=f"searchapp-search-{request}-{n}", workers=[placed[shard]],
                allow_other_workers=True, pure=False,
            )
            for n, (shard, payload) in enumerate(tasks)
        ]  # fmt: skip
        try:
            answers = [future.result(timeout=max(0.001, deadline - time.monotonic())) for future in futures]
        except TimeoutError:
            client.cancel(futures)
            opening = " (opening shards)" if limit > self.timeout else ""
            raise ServiceUnavailable(
                f"search cluster {self.address}: {len(tasks)} shard searches not all answered within {limit:g}s{opening}",
                public_reason=f"the search did not finish within {limit:g} s",
            ) from None
        except KilledWorker:
            client.cancel(futures)
            raise ServiceUnavailable(
                f"search cluster {self.address}: a shard search was lost with every worker that ran it (out of memory?)",
                public_reason="the search workers failed on this search",
            ) from None
        except CancelledError as exc:  # the scheduler was lost with the tasks (a search's own error is raised as it is)
            self._drop(client)
            raise self._unreachable(exc) from None
        with self._lock:
            self._opened |= pairs
        return answers

    def _connected(self):
        from distributed import Client

        with self._lock:
            if self._pid != os.getpid():  # forked: the parent's client and its loop thread are not ours
                self._client, self._pid = None, os.getpid()
            if self._client is not None and self._client.status == "running":
                return self._client
            if self._client is not None and self._client.status == "connecting":  # the scheduler was lost: the client is trying again
                raise self._unreachable("the connection was lost; reconnecting")
            if time.monotonic() < self._down_until:
                raise self._unreachable(self._down_reason)
            if self._client is not None:
                self._client.close(timeout=1)
                self._client = None
            try:
                self._client = Client(self.address, timeout=self.timeout, set_as_default=False)
            except (OSError, TimeoutError, ValueError) as exc:
                self._down_until, self._down_reason = time.monotonic() + RECONNECT_AFTER, str(exc)
                raise self._unreachable(exc) from None
            return self._client

    def _drop(self, client) -> None:
        with self._lock:
            if self._client is client:
                self._client = None
        client.close(timeout=1)

    def _unreachable(self, exc: object) -> ServiceUnavailable:
        return ServiceUnavailable(
            f"search cluster {self.address}: cannot reach the Dask scheduler: {exc}",
            public_reason="the search cluster cannot be reached",
        )

    def close(self) -> None:
        with self._lock:
            client, self._client = self._client, None
        if client is not None and self._pid == os.getpid():
            client.close()
