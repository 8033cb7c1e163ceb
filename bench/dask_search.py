"""Searching on a Dask cluster: what a scatter/gather adds to each request, against the same call in process.

    nice -n 10 .venv/bin/python bench/dask_search.py [--n 2000] [--repeat 2] [--smoke]

A synthetic corpus (../shared/bench/make_corpus.py, ``--n`` articles) is indexed as two shards
(its articles split by a hash of their id, each shard a complete searchapp index), in bench/.cache.
Then, over the 200 fixed queries (every third with an outlet and a year filter), one after another:

* **probe**, a small real per-shard task: :func:`searchapp.query.dask_shards.probe_shard` (the ids a
  query matches in a shard, and its document count) on both shards, called in this process one
  shard after the other, then through :class:`DaskShardExecutor` on a cluster of 1 and of 2 workers
  (``dask worker --nthreads 1``) on loopback: one scatter/gather of two tasks per request;
* **search**, a whole searchapp search (facets, snippets, timeline) of the first shard:
  :class:`SearchIndex` in this process against :class:`ClusterSearchIndex` on the same clusters.

The first pass over the queries warms every worker (each opens its shards once); ``--repeat`` passes
are timed.  After the run, every worker is asked how often it opened each shard (1: kept open).
"""

from __future__ import annotations

import argparse
import hashlib
import json
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


def build_shards(n: int, cache: Path, shard_count: int = 2) -> list[Path]:
    """``shard_count`` indexes of the n-article synthetic corpus, split by a hash of the id (built once, kept)."""
    corpus = cache / f"corpus-{n}.jsonl"
    if not corpus.exists():
        subprocess.run([sys.executable, str(MAKE_CORPUS), "--n", str(n), str(corpus)], check=True, capture_output=True)
    folder = cache / f"dask-search-{n}"
    shards = [folder / f"{s:02d}" for s in range(shard_count)]
    if all((shard / "done").exists() for shard in shards):
        return shards
    folder.mkdir(parents=True, exist_ok=True)
    parts = [folder / f"{s:02d}.jsonl" for s in range(shard_count)]
    outs = [part.open("w", encoding="utf-8") for part in parts]
    with corpus.open(encoding="utf-8") as lines:
        for line in lines:
            article_id = json.loads(line)["id"]
            outs[int.from_bytes(hashlib.blake2b(article_id.encode(), digest_size=4).digest(), "big") % shard_count].write(line)
    for out in outs:
        out.close()
    for shard, part in zip(shards, parts, strict=True):
        command = [str(ROOT / ".venv/bin/searchapp"), "index", "--quiet", "--processes", "2", "--batch-size", "500", "--index-dir", str(shard), "--rebuild", str(part)]
        subprocess.run(command, check=True, capture_output=True)
        (shard / "done").write_text("built\n")
    return shards


def timed(call: Callable[[], object], rounds: int) -> list[float]:
    times = []
    for _ in range(rounds):
        started = time.perf_counter()
        call()
        times.append((time.perf_counter() - started) * 1000)
    return times


def measure(shards: list[Path], requests: list[dict], repeat: int, address: str | None) -> dict[str, list[float]]:
    """Milliseconds per probe request (both shards) and per whole search (first shard), in process or on ``address``."""
    from searchapp.query import SearchIndex, SearchRequest
    from searchapp.query.dask_shards import ClusterSearchIndex, DaskShardExecutor, probe_shard

    folders = [str(shard.resolve()) for shard in shards]
    searches = [SearchRequest(q=r["q"], filters={k: [v] for k, v in r.items() if k != "q"}) for r in requests]
    if address is None:
        def probe(q: str) -> list:
            return [probe_shard(folder, q) for folder in folders]

        index = SearchIndex(folders[0])
        executor = None
    else:
        executor = DaskShardExecutor(address, timeout=60)

        def probe(q: str) -> list:
            return executor.run(probe_shard, [(folder, q) for folder in folders])

        index = ClusterSearchIndex(folders[0], executor)
    times: dict[str, list[float]] = {"probe": [], "search": []}
    try:
        for timing in (False, *([True] * repeat)):  # the first pass opens the shards (not timed)
            for r, request in zip(requests, searches, strict=True):
                probe_ms = timed(lambda q=r["q"]: probe(q), 1)
                search_ms = timed(lambda request=request: index.search(request), 1)
                if timing:
                    times["probe"] += probe_ms
                    times["search"] += search_ms
    finally:
        if executor is not None:
            executor.close()
    return times


def opened(address: str) -> dict[str, dict[str, int]]:
    from distributed import Client

    from searchapp.query.dask_shards import opened_indexes

    with Client(address, timeout=30, set_as_default=False) as client:
        names = {a: info["name"] for a, info in client.scheduler_info()["workers"].items()}
        return {names[a]: {Path(folder).name: count for folder, count in opens.items()} for a, opens in client.run(opened_indexes).items()}


def dask_section(n: int, repeat: int, cache: Path = CACHE, queries: int | None = None) -> list[str]:
    """The BENCHMARKS.md lines of this benchmark."""
    cache.mkdir(parents=True, exist_ok=True)
    shards = build_shards(n, cache)
    requests = search.bench_requests(search.load_queries()[:queries])
    rows = {"in process": measure(shards, requests, repeat, None)}
    placements = {}
    with tempfile.TemporaryDirectory(prefix="dask-search-") as folder:
        for workers in (1, 2):
            with dask_cluster(workers, Path(folder)) as address:
                rows[f"Dask, {workers} worker{'s' * (workers > 1)}"] = measure(shards, requests, repeat, address)
                placements[workers] = opened(address)
    base = {kind: search.summary(rows["in process"][kind]) for kind in ("probe", "search")}
    sizes = ", ".join(f"{shard.name}: {sum(1 for _ in shard.with_suffix('.jsonl').open(encoding='utf-8')):,} articles" for shard in shards)
    lines = [
        f"{len(requests)} queries x {repeat} (after a pass that opens the shards), one request at a time, on {n:,} synthetic articles in 2 shards "
        f"({sizes}); "
        "workers `dask worker --nthreads 1` on loopback. probe: a shard's matching ids and document count, both shards per request; "
        "search: a whole searchapp search (5 facets, 10 snippets, timeline) of shard 00.", "",
        "| | probe p50 ms | probe p95 ms | added p50 ms | search p50 ms | search p95 ms | added p50 ms |", "|---|---:|---:|---:|---:|---:|---:|",
    ]  # fmt: skip
    for name, times in rows.items():
        p, s = search.summary(times["probe"]), search.summary(times["search"])
        lines.append(
            f"| {name} | {p['p50']:.1f} | {p['p95']:.1f} | {p['p50'] - base['probe']['p50']:+.1f} | {s['p50']:.1f} | {s['p95']:.1f} | {s['p50'] - base['search']['p50']:+.1f} |"
        )
    lines += ["", "Shards opened per worker over the whole run (1: opened at the first request, kept open): " + "; ".join(
        f"{w} worker{'s' * (w > 1)}: " + ", ".join(f"{name} {json.dumps(opens, sort_keys=True)}" for name, opens in sorted(p.items()))
        for w, p in placements.items()
    ), ""]  # fmt: skip
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=2000, help="articles of the synthetic corpus (split in 2 shards)")
    parser.add_argument("--repeat", type=int, default=2, help="timed passes over the queries")
    parser.add_argument("--smoke", action="store_true", help="300 articles, 12 queries: checks the benchmark works")
    args = parser.parse_args()
    n, queries = (300, 12) if args.smoke else (args.n, None)
    print("\n".join(dask_section(n, args.repeat, queries=queries)))


if __name__ == "__main__":
    main()
