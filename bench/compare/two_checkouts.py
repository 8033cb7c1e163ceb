"""Does a change to the search side keep its answers, and what does it cost?  One index, two checkouts.

    PYTHONPATH=CHECKOUT .venv/bin/python bench/compare/two_checkouts.py INDEX OUT.json [--against OTHER.json]

Runs the 200 benchmark queries (every third with an outlet and a year filter, as bench/search.py)
through ``SearchIndex.search`` of the checkout on ``PYTHONPATH`` (after one warm-up search), twice,
and writes each query's total, first page (ids, scores) and facet counts to OUT.json with the
seconds each pass took.  ``--against`` compares with another checkout's OUT.json: prints how many
queries differ (total, ids, scores to 4 places, facets) and both checkouts' times; exits 1 when any
query differs.  Also prints the process's memory (``VmRSS``, its private ``RssAnon`` and the
mapped index pages ``RssFile``) after the first answer and after the queries.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import search  # noqa: E402

from searchapp.query.search import SearchIndex, SearchRequest  # noqa: E402


def memory() -> dict[str, int]:
    """This process's resident memory in MB (Linux ``/proc/self/status``)."""
    found = {}
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            key, _, value = line.partition(":")
            if key in ("VmRSS", "RssAnon", "RssFile"):
                found[key] = int(value.split()[0]) // 1024
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("index", type=Path)
    parser.add_argument("out", type=Path)
    parser.add_argument("--against", type=Path)
    args = parser.parse_args()
    index = SearchIndex(args.index)
    index.search(SearchRequest(q="warm up"))
    print("memory after the first answer (MB):", memory())
    requests = search.bench_requests(search.load_queries())
    answers, seconds = [], []
    for turn in range(2):
        started = time.perf_counter()
        for params in requests:
            result = index.search(SearchRequest(q=params["q"], filters={k: [v] for k, v in params.items() if k != "q"}))
            if turn == 0:
                facets = {name: [(v.value, v.count) for v in values] for name, values in result.facets.items()}
                answers.append([params, result.total, [(h.id, round(h.score or 0.0, 4)) for h in result.hits], facets])
        seconds.append(round(time.perf_counter() - started, 2))
    print("memory after the queries (MB):", memory())
    print(f"{len(requests)} queries: {seconds[0]} s, then {seconds[1]} s")
    args.out.write_text(json.dumps({"seconds": seconds, "answers": answers}), encoding="utf-8")
    if args.against:
        other = json.loads(args.against.read_text(encoding="utf-8"))
        differ = [ours[0] for ours, theirs in zip(answers, other["answers"], strict=True) if json.loads(json.dumps(ours)) != theirs]
        for params in differ[:5]:
            print("differs:", params)
        print(f"{len(differ)} of {len(answers)} queries differ; seconds {other['seconds']} ({args.against.name}) against {seconds}")
        sys.exit(1 if differ else 0)


if __name__ == "__main__":
    main()
