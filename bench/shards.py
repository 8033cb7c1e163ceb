"""Sharded search: one index against the same corpus in 2 shards searched by 2 processes, in one run.

    .venv/bin/python bench/shards.py [--n 20000] [--shards 2] [--processes 2] [--repeat 1] [--split]

Builds (once, kept in bench/.cache) the synthetic corpus of ../shared/bench/make_corpus.py, an
index of it, and the same corpus with ``--shards N`` (tagged once: the second build reuses the
first's tag cache), or with ``--split`` the one index split by ``searchapp snapshot --shards N``
(a merge per shard instead of a second indexing run: how the 1M shards are made in a session).  Then, over the 200 fixed queries (every third with an outlet and a year
filter), each query is run on both, alternately (so that a change in the machine's load hits
both alike):

* ``/api/search`` through the Flask app (5 facets, 10 highlighted snippets, JSON), the sharded
  app with ``SEARCH_PROCESSES`` = N (the serving process searches one share of the shards, N - 1
  search processes the others, each holding its shards open);
* the search alone (:meth:`searchapp.query.search.SearchIndex.search`), without the web.

Both answers are compared (ids, total) as they are timed: a faster wrong answer is no answer.
Prints p50/p95 in ms and the speed-up (one index / sharded); ``--smoke`` sizes everything down.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import search  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
CACHE = ROOT / "bench" / ".cache"
SHARED = next((p / "shared" for p in (ROOT.parent, ROOT.parent.parent) if (p / "shared").is_dir()), ROOT.parent / "shared")
MAKE_CORPUS = SHARED / "bench/make_corpus.py"
SEARCHAPP = str(Path(sys.executable).parent / "searchapp")


def build(n: int, shards: int, processes: int, cache: Path = CACHE, split: bool = False) -> tuple[Path, Path]:
    """(one index, the same corpus in ``shards`` shards) of ``n`` synthetic articles, built once (``split``: the one index split)."""
    cache.mkdir(parents=True, exist_ok=True)
    corpus = cache / f"corpus-{n}.jsonl"
    if not corpus.exists():
        subprocess.run([sys.executable, str(MAKE_CORPUS), "--n", str(n), str(corpus)], check=True, capture_output=True)
    one, many = cache / f"shards-one-{n}", cache / f"shards-{shards}-{n}"
    for index_dir, extra in ((one, ()), (many, ("--shards", str(shards)))):
        if (index_dir / ".built").exists():
            continue
        if index_dir.exists():
            shutil.rmtree(index_dir)
        index_dir.mkdir(parents=True)
        started = time.perf_counter()
        if index_dir == many and split:
            index_dir.rmdir()  # (a snapshot goes into a new folder)
            subprocess.run([SEARCHAPP, "snapshot", "--index-dir", str(one), "--shards", str(shards), str(many)], check=True, capture_output=True)
            (index_dir / ".built").write_text(f"{time.perf_counter() - started:.0f} s (searchapp snapshot --shards {shards} of {one.name})\n")
            continue
        if index_dir == many and (one / "tag-cache").is_dir():
            shutil.copytree(one / "tag-cache", many / "tag-cache")  # tagged once
        subprocess.run(
            [SEARCHAPP, "index", "--index-dir", str(index_dir), "--processes", str(processes), "--quiet", *extra, str(corpus)],
            check=True, capture_output=True,
        )  # fmt: skip
        (index_dir / ".built").write_text(f"{time.perf_counter() - started:.0f} s\n")
    return one, many


def compare(requests: list[dict], one: Path, many: Path, processes: int, repeat: int = 1) -> dict[str, list[float]]:
    """Milliseconds per request of each of the four ways, the same requests in turn; answers checked equal."""
    from searchapp.query.search import SearchRequest
    from searchapp.web import create_app

    one_app = create_app({"INDEX_DIR": str(one), "SEARCH_PROCESSES": 1})
    many_app = create_app({"INDEX_DIR": str(many), "SEARCH_PROCESSES": processes})
    clients = {"api one": one_app.test_client(), "api sharded": many_app.test_client()}
    # the search alone runs on each app's own index (its shards open in the same processes): a second
    # SearchIndex would hold a second copy of every shard and facet table, in processes of its own,
    # and the two copies searched in turn would evict each other from the CPU's caches
    indexes = {"search one": one_app.extensions["searchapp"].index, "search sharded": many_app.extensions["searchapp"].index}
    times: dict[str, list[float]] = {name: [] for name in (*clients, *indexes)}
    try:
        for client in clients.values():  # the facet tables, the processes: built before timing
            assert client.get("/api/search", query_string={"q": "warm up"}).status_code == 200
        for index in indexes.values():
            index.search(SearchRequest(q="warm up"))
        for turn in range(repeat):
            for number, params in enumerate(requests):
                answers = {}
                order = list(clients) if (number + turn) % 2 == 0 else list(reversed(clients))
                for name in order:
                    started = time.perf_counter()
                    response = clients[name].get("/api/search", query_string=params)
                    body = response.get_json()
                    times[name].append((time.perf_counter() - started) * 1000)
                    if response.status_code != 200:
                        sys.exit(f"{name}: /api/search {params} answered {response.status_code}")
                    answers[name] = (body["total"], [h["id"] for h in body["hits"]])
                if answers["api one"] != answers["api sharded"]:
                    sys.exit(f"{params}: the sharded index answered otherwise than the one index")
                request = SearchRequest(q=params["q"], filters={k: [v] for k, v in params.items() if k != "q"})
                order = list(indexes) if (number + turn) % 2 == 0 else list(reversed(indexes))
                for name in order:
                    started = time.perf_counter()
                    indexes[name].search(SearchRequest(**{**request.__dict__}))
                    times[name].append((time.perf_counter() - started) * 1000)
    finally:
        many_app.extensions["searchapp"].index.close()
    return times


def section(n: int, shards: int, processes: int, requests: list[dict], repeat: int = 1, split: bool = False) -> list[str]:
    """The BENCHMARKS.md lines: p50/p95 of each way and the speed-up of the sharded index."""
    one, many = build(n, shards, processes, split=split)
    times = compare(requests, one, many, processes, repeat)
    s = {name: search.summary(values) for name, values in times.items()}
    lines = [
        f"{n:,} synthetic articles (make_corpus.py), one index against {shards} shards "
        f"({(many / '.built').read_text().strip()} to make) searched by {processes} processes "
        f"(`SEARCH_PROCESSES={processes}`: the serving process and {processes - 1} search process(es), each holding its shards open); {len(requests)} queries "
        f"({sum('outlet' in r for r in requests)} with an outlet and a year filter) × {repeat}, each run on both in turn, "
        "answers compared (total and ids equal).", "",
        "| | one index p50 ms | sharded p50 ms | speed-up p50 | one index p95 ms | sharded p95 ms | speed-up p95 |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]  # fmt: skip
    for label, a, b in (("`/api/search` (Flask app, JSON)", "api one", "api sharded"), ("the search alone (`SearchIndex.search`)", "search one", "search sharded")):
        lines.append(
            f"| {label} | {s[a]['p50']:.1f} | {s[b]['p50']:.1f} | **{s[a]['p50'] / s[b]['p50']:.2f}** | "
            f"{s[a]['p95']:.1f} | {s[b]['p95']:.1f} | {s[a]['p95'] / s[b]['p95']:.2f} |"
        )
    lines.append("")
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=20_000)
    parser.add_argument("--shards", type=int, default=2)
    parser.add_argument("--processes", type=int, default=2)
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--smoke", action="store_true")
    parser.add_argument("--split", action="store_true", help="make the shards by splitting the one index (searchapp snapshot --shards N)")
    args = parser.parse_args()
    requests = search.bench_requests(search.load_queries()[: 12 if args.smoke else None])
    n = 300 if args.smoke else args.n
    print(f"machine: {os.cpu_count()} cores; n={n}")
    print("\n".join(section(n, args.shards, args.processes, requests, args.repeat, args.split)))


if __name__ == "__main__":
    main()
