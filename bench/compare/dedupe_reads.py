"""How many earlier articles near-duplicate verification reads back, and the groups it gives, over a corpus's first N articles.

    .venv/bin/python bench/compare/dedupe_reads.py CHECKOUT N [CORPUS]

``searchapp.ingest.dedupe.DuplicateGroups`` of the checkout CHECKOUT (put first on ``sys.path``) assigns
the first N records of CORPUS (default ``bench/.cache/corpus-100000.jsonl``) to groups in order, with an
indexing run's 20,000-article shingle cache; ``read_shingles`` (what a run reads back from the index)
answers from memory and is counted.  Prints the reads back, the number of groups and a digest of every
article's group: two checkouts that group alike print the same digest.
"""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path

sys.path.insert(0, sys.argv[1])
from searchapp.ingest.dedupe import DuplicateGroups, band_keys, shingles  # noqa: E402

CORPUS = Path(__file__).resolve().parents[1] / ".cache" / "corpus-100000.jsonl"


def main() -> None:
    count = int(sys.argv[2])
    corpus = Path(sys.argv[3]) if len(sys.argv) > 3 else CORPUS
    articles = []
    with corpus.open(encoding="utf-8") as lines:
        for _, line in zip(range(count), lines, strict=False):
            record = json.loads(line)
            items = shingles(record["text"])
            articles.append((record["id"], items, band_keys(items)))
    stored = {article_id: items for article_id, items, _ in articles}
    reads = 0

    def read_shingles(article_id: str):
        nonlocal reads
        reads += 1
        return stored.get(article_id)

    groups = DuplicateGroups(read_shingles, cache_size=20_000)
    assigned = [groups.assign(article_id, items, keys) for article_id, items, keys in articles]
    digest = hashlib.sha256("\n".join(assigned).encode()).hexdigest()[:16]
    print(f"{len(articles)} articles: {reads} read back, {len(set(assigned))} groups, groups digest {digest}")


if __name__ == "__main__":
    main()
