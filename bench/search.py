"""Search latency: /api/search (5 facets, 10 highlighted snippets) against a bare Whoosh search.

    .venv/bin/python bench/search.py INDEX_DIR [--queries FILE] [--repeat N]

Both run in this process, in the same run, over the same parsed queries: the bare search is
`searcher.search(query, limit=10)` (with the same outlet/year filter where the request has one),
no facets, no highlights, no JSON.  A third of the 200 fixed queries carry an outlet and a year
filter.  Prints p50/p95 in ms and their ratio; the first request (which builds the facet table
of a new index generation) is reported apart as the warm-up.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
QUERIES = next((p / "shared/bench/queries.txt" for p in (ROOT.parent, ROOT.parent.parent) if (p / "shared/bench/queries.txt").is_file()), ROOT.parent / "shared/bench/queries.txt")
OUTLETS = ["Reuters", "AP", "AFP", "Al Jazeera", "Press TV", "Daily Sabah", "Anadolu Agency", "SANA", "TASS", "BBC",
           "CNN", "Al Arabiya", "Asharq Al-Awsat", "Jordan Times", "Ahram Online"]  # fmt: skip


def load_queries(path: Path = QUERIES) -> list[str]:
    return [line.strip() for line in path.read_text(encoding="utf-8").splitlines() if line.strip() and not line.startswith("#")]


def bench_requests(queries: list[str]) -> list[dict]:
    """The benchmark's requests: every third query with an outlet and a year filter."""
    out = []
    for number, q in enumerate(queries):
        params = {"q": q}
        if number % 3 == 2:
            params["outlet"] = OUTLETS[number % len(OUTLETS)]
            params["year"] = str(2011 + number % 11)
        out.append(params)
    return out


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    k = (len(ordered) - 1) * p / 100
    low, high = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (k - low)


def time_api(index_dir: Path, requests: list[dict], repeat: int = 1) -> tuple[list[float], float]:
    """Milliseconds per /api/search request through the Flask app, and the warm-up request's."""
    from searchapp.web import create_app

    client = create_app({"INDEX_DIR": str(index_dir)}).test_client()
    started = time.perf_counter()
    assert client.get("/api/search", query_string={"q": "warm up"}).status_code == 200
    warm = (time.perf_counter() - started) * 1000
    times = []
    for _ in range(repeat):
        for params in requests:
            started = time.perf_counter()
            response = client.get("/api/search", query_string=params)
            response.get_data()
            times.append((time.perf_counter() - started) * 1000)
            if response.status_code != 200:
                sys.exit(f"/api/search {params} answered {response.status_code}: {response.get_data(as_text=True)[:200]}")
    return times, warm


def time_bare(index_dir: Path, requests: list[dict], repeat: int = 1) -> list[float]:
    """Milliseconds per bare Whoosh search (limit 10) of the same parsed queries and filters."""
    from whoosh import index, query

    from searchapp.query.parse import parse_query
    from searchapp.store.outlets import outlet_key
    ix = index.open_dir(str(index_dir))
    times = []
    with ix.searcher() as searcher:
        for _ in range(repeat):
            for params in requests:
                started = time.perf_counter()
                parsed = parse_query(params["q"], searcher.schema)
                filters = None
                if "outlet" in params:
                    filters = query.And([query.Term("outlet", outlet_key(params["outlet"])), query.Term("year", params["year"])])
                results = searcher.search(parsed, limit=10, filter=filters)
                [hit["id"] for hit in results]
                times.append((time.perf_counter() - started) * 1000)
    return times


def summary(times: list[float]) -> dict:
    return {"p50": percentile(times, 50), "p95": percentile(times, 95), "mean": statistics.fmean(times), "n": len(times)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("index_dir", type=Path)
    parser.add_argument("--queries", type=Path, default=QUERIES)
    parser.add_argument("--repeat", type=int, default=1)
    args = parser.parse_args()
    requests = bench_requests(load_queries(args.queries))
    api, warm = time_api(args.index_dir, requests, args.repeat)
    bare = time_bare(args.index_dir, requests, args.repeat)
    a, b = summary(api), summary(bare)
    print(f"warm-up (facet table) {warm:.0f} ms")
    print(f"/api/search  p50 {a['p50']:.1f} ms  p95 {a['p95']:.1f} ms")
    print(f"bare Whoosh  p50 {b['p50']:.1f} ms  p95 {b['p95']:.1f} ms")
    print(f"ratio        p50 {a['p50'] / b['p50']:.2f}  p95 {a['p95'] / b['p95']:.2f}")


if __name__ == "__main__":
    main()
