"""Do two indexes of one corpus answer alike?  The 200 benchmark queries run on both through ``SearchIndex``.

    PYTHONPATH=CHECKOUT .venv/bin/python bench/compare/same_answers.py INDEX_A INDEX_B

For each query: the total, the ids and scores of the first page (scores to 5 decimals) and every facet
count.  Used to check that a change in how an index is written (merges, writer processes) leaves the
index's answers as they were: both indexes are read by the same code, the checkout on ``PYTHONPATH``.
Prints the first differences and how many queries differ; exits 1 when any does.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from search import load_queries  # noqa: E402

from searchapp.query.search import SearchIndex, SearchRequest  # noqa: E402


def answer(index: SearchIndex, q: str) -> tuple:
    result = index.search(SearchRequest(q=q))
    return result.total, [(hit.id, round(hit.score or 0.0, 5)) for hit in result.hits], result.facets


def main() -> None:
    first, second = SearchIndex(Path(sys.argv[1])), SearchIndex(Path(sys.argv[2]))
    queries = load_queries()
    differ = [q for q in queries if answer(first, q) != answer(second, q)]
    for q in differ[:3]:
        print(f"{q!r}: {answer(first, q)[:2]} against {answer(second, q)[:2]}")
    print(f"{len(queries)} queries, {len(differ)} answered differently")
    sys.exit(1 if differ else 0)


if __name__ == "__main__":
    main()
