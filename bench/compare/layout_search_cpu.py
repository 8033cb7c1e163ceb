"""CPU time of /api/search and of bare Whoosh over the 200 benchmark queries (issue #11's before/after).

    PYTHONPATH=CHECKOUT .venv/bin/python bench/compare/layout_search_cpu.py INDEX_DIR CHECKOUT

CPU time (``time.process_time``) of this process, not wall time: on a shared, loaded machine it moves
far less than latency does, so an old and a new checkout can be compared run after run.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, sys.argv[2] + "/bench")
from search import bench_requests, load_queries  # noqa: E402
from whoosh import index  # noqa: E402

from searchapp.web import create_app  # noqa: E402

try:  # the layout of issue #11, or the one before it
    from searchapp.query.parse import parse_query
except ImportError:
    from searchapp.search import parse_query

client = create_app({"INDEX_DIR": sys.argv[1]}).test_client()
requests = bench_requests(load_queries(Path(__file__).resolve().parents[3] / "shared/bench/queries.txt"))
client.get("/api/search", query_string=requests[0])  # builds the facet table
api = 0.0
for _ in range(3):
    for params in requests:
        started = time.process_time()
        client.get("/api/search", query_string=params)
        api += time.process_time() - started
bare = 0.0
with index.open_dir(sys.argv[1]).searcher() as searcher:
    for _ in range(3):
        for params in requests:
            started = time.process_time()
            searcher.search(parse_query(params["q"], searcher.schema), limit=10)
            bare += time.process_time() - started
print(f"api {api:.2f} s cpu, bare {bare:.2f} s cpu, ratio {api / bare:.2f}")
