"""Searching the shards on a Dask cluster: what a scatter/gather adds to each request, against the same shards in process.

    nice -n 10 .venv/bin/python bench/dask_search.py [--n 2000] [--repeat 2] [--smoke]

A synthetic corpus (../shared/bench/make_corpus.py, ``--n`` articles) is indexed in two shards by
``searchapp index --shards 2`` (kept in bench/.cache).  Over the 200 fixed queries (every third with
an outlet and a year filter), one request after another, the same :class:`SearchIndex` searches
with its shards searched four ways:

* in process, one shard after the other (:class:`InProcessExecutor`: the reference);
* by 2 local search processes (:class:`LocalShardExecutor`, ``search_processes`` 2);
* on a Dask cluster of 1, then 2 workers (``dask worker --nthreads 1``) on loopback
  (:class:`DaskShardExecutor`, ``serve --scheduler``).

Each request's whole search (prepare, scatter, merge, facet pages, timeline) is timed, and apart
from it the scatter/gather itself: every ``executor.run(search_shard, tasks)`` of the request, a
small real per-shard task (a shard's counts, facet tallies and best hits).  A first pass over the
queries opens the shards everywhere and is not timed.  After the run every worker is asked which
shards it holds open, with the id of each (the same id all run long: opened once).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import search  # noqa: E402
from cluster import dask_cluster  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
CACHE = ROOT / "bench" / ".cache"
MAKE_CORPUS = next((p / "shared/bench/make_corpus.py" for p in (ROOT.parent, ROOT.parent.parent) if (p / "shared").is_dir()), ROOT.parent / "shared/bench/make_corpus.py")


def build_sharded(n: int, cache: Path, shards: int = 2) -> Path:
    """The n-article synthetic corpus indexed in ``shards`` shards by `searchapp index --shards` (built once, kept)."""
    corpus = cache / f"corpus-{n}.jsonl"
    if not corpus.exists():
        subprocess.run([sys.executable, str(MAKE_CORPUS), "--n", str(n), str(corpus)], check=True, capture_output=True)
    index_dir = cache / f"dask-search-{n}-{shards}shards"
    if (index_dir / "built").exists():
        return index_dir
    command = [str(ROOT / ".venv/bin/searchapp"), "index", "--quiet", "--processes", "2", "--batch-size", "500", "--shards", str(shards),
               "--index-dir", str(index_dir), "--rebuild", str(corpus)]  # fmt: skip
    subprocess.run(command, check=True, capture_output=True)
    (index_dir / "built").write_text("built\n")
    return index_dir


class TimedExecutor:
    """An executor that times each scatter/gather of the one it wraps (milliseconds, per request)."""

    def __init__(self, inner) -> None:
        self.inner = inner
        self.request_ms = 0.0
        self.calls: list[float] = []  # every scatter/gather's milliseconds

    def run(self, fn, tasks):
        started = time.perf_counter()
        try:
            return self.inner.run(fn, tasks)
        finally:
            self.calls.append((time.perf_counter() - started) * 1000)
            self.request_ms += self.calls[-1]

    def close(self) -> None:
        self.inner.close()


def measure(index_dir: Path, requests: list[dict], repeat: int, executor, warmed: Callable[[], None] = lambda: None) -> dict[str, list[float]]:
    """Milliseconds per whole search and per scatter/gather of each request, the shards searched by ``executor``
    (``warmed`` is called after the first, untimed pass)."""
    from searchapp.query import SearchIndex, SearchRequest

    timed = TimedExecutor(executor)
    index = SearchIndex(index_dir, executor=timed)
    searches = [SearchRequest(q=r["q"], filters={k: [v] for k, v in r.items() if k != "q"}) for r in requests]
    times: dict[str, list[float]] = {"search": [], "scatter": []}
    try:
        for number in range(repeat + 1):  # the first pass opens the shards (not timed)
            if number == 1:
                warmed()
            if number == 1:
                timed.calls = []
            for request in searches:
                timed.request_ms = 0.0
                started = time.perf_counter()
                index.search(request)
                if number:
                    times["search"].append((time.perf_counter() - started) * 1000)
                    times["scatter"].append(timed.request_ms)
    finally:
        index.close()
    times["round trip"] = timed.calls
    return times


def held(address: str) -> dict[str, dict[str, int]]:
    """The shards each worker holds open (by worker name), each with its ShardIndex's id."""
    from distributed import Client

    from searchapp.query.search import open_shards

    with Client(address, timeout=30, set_as_default=False) as client:
        names = {a: info["name"] for a, info in client.scheduler_info()["workers"].items()}
        return {names[a]: {Path(folder).name: ident for folder, ident in shards.items()} for a, shards in client.run(open_shards).items()}


def dask_section(n: int, repeat: int, cache: Path = CACHE, queries: int | None = None) -> list[str]:
    """The BENCHMARKS.md lines of this benchmark."""
    from searchapp.query.dask_shards import DaskShardExecutor
    from searchapp.query.shards import InProcessExecutor, LocalShardExecutor
    from searchapp.store.shards import shard_dirs

    cache.mkdir(parents=True, exist_ok=True)
    index_dir = build_sharded(n, cache)
    requests = search.bench_requests(search.load_queries()[:queries])
    rows = {"in process (one shard after the other)": measure(index_dir, requests, repeat, InProcessExecutor())}
    rows["2 local search processes"] = measure(index_dir, requests, repeat, LocalShardExecutor(2))
    holding = {}
    with tempfile.TemporaryDirectory(prefix="dask-search-") as folder:
        for workers in (1, 2):
            with dask_cluster(workers, Path(folder)) as address:
                warm: list = []
                executor = DaskShardExecutor(address, timeout=60)
                rows[f"Dask, {workers} worker{'s' * (workers > 1)}"] = measure(index_dir, requests, repeat, executor, lambda warm=warm, address=address: warm.append(held(address)))
                holding[workers] = (warm[0], held(address))
    base = {kind: search.summary(rows["in process (one shard after the other)"][kind]) for kind in ("search", "scatter")}
    sizes = ", ".join(f"{d.name}: {_live(d):,}" for d in shard_dirs(index_dir))
    lines = [
        f"{len(requests)} queries x {repeat} (after a pass that opens the shards), one request at a time, on {n:,} synthetic articles "
        f"indexed by `searchapp index --shards 2` (articles per shard: {sizes}); workers `dask worker --nthreads 1` on loopback, "
        "on the same 2 cores as this process. search: the whole `SearchIndex.search` (prepare, scatter, merge, 5 facets, "
        "10 snippets, timeline); scatter/gathers: its `executor.run(search_shard, tasks)` calls alone (a sharded search makes "
        "two: every shard's counts and sort keys, then the page's hits built by the shards holding them; did-you-mean adds one).", "",
        "| shards searched by | search p50 ms | search p95 ms | scatter/gathers p50 ms | scatter/gathers p95 ms | added to p50 ms | "
        "scatter/gathers per search | one scatter/gather p50 ms | added per scatter/gather ms |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]  # fmt: skip
    one_trip = search.summary(rows["in process (one shard after the other)"]["round trip"])["p50"]
    for name, times in rows.items():
        whole, scatter, trip = search.summary(times["search"]), search.summary(times["scatter"]), search.summary(times["round trip"])
        lines.append(
            f"| {name} | {whole['p50']:.1f} | {whole['p95']:.1f} | {scatter['p50']:.1f} | {scatter['p95']:.1f} | {whole['p50'] - base['search']['p50']:+.1f} "
            f"| {len(times['round trip']) / len(times['search']):.2f} | {trip['p50']:.1f} | {trip['p50'] - one_trip:+.1f} |"
        )
    kept = all(before == after and all(before.values()) for before, after in holding.values())  # every worker holds some
    lines += ["", "Shards held open at the end (worker: shards): " + "; ".join(
        f"{w} worker{'s' * (w > 1)}: " + ", ".join(f"{name} {sorted(shards)}" for name, shards in sorted(after.items()))
        for w, (_, after) in holding.items()
    ) + f"; each opened once and kept (the same ShardIndex all run long): {'yes' if kept else 'NO'}.", ""]  # fmt: skip
    return lines


def _live(shard: Path) -> int:
    from whoosh import index

    return index.open_dir(str(shard)).doc_count()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=2000, help="articles of the synthetic corpus (indexed in 2 shards)")
    parser.add_argument("--repeat", type=int, default=2, help="timed passes over the queries")
    parser.add_argument("--smoke", action="store_true", help="300 articles, 12 queries: checks the benchmark works")
    args = parser.parse_args()
    n, queries = (300, 12) if args.smoke else (args.n, None)
    print("\n".join(dask_section(n, args.repeat, queries=queries)))


if __name__ == "__main__":
    main()
