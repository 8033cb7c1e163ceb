"""Near-duplicates measured against brute force: recall and precision of same-story pairs, and their cost.

    .venv/bin/python bench/duplicates.py [CORPUS ...]   (default: fakes-dev, Reuters-21578, ANT)

The truth is every pair of articles whose word 3-shingle sets have a Jaccard similarity of at
least 0.8, found exactly (all pairs, with prefix filtering: two sets that similar must share one
of their rarest shingles, so only those pairs are compared).  searchapp's answer is what the
indexer does (:class:`searchapp.ingest.dedupe.DuplicateGroups`: MinHash LSH candidates, verified
by Jaccard, joined into groups) over the articles in corpus order; every pair of articles in one
group counts as "the same story".  Recall: true pairs found in one group; precision: pairs in one
group that are true (a group can chain A~B~C with A and C below 0.8).  Also: the index-time cost
of shingling, signing and assigning (seconds per 1,000 articles) and the duplicate rate.
"""

from __future__ import annotations

import argparse
import csv
import gzip
import io
import json
import math
import sys
import time
from collections import Counter, defaultdict
from itertools import combinations
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from searchapp.ingest.dedupe import THRESHOLD, DuplicateGroups, band_keys, jaccard, shingles  # noqa: E402
from searchapp.ingest.readers import COLUMN_NAMES  # noqa: E402

SHARED = Path(__file__).resolve().parent.parent.parent / "shared/corpora"
CORPORA = [
    SHARED / "fakes-dev/fakes-dev.csv",
    SHARED / "reuters21578/reuters21578.jsonl.gz",
    SHARED / "ant-multisource/ant_multisource_v2.1.jsonl.gz",
]


def texts(path: Path) -> list[str]:
    """The text of every record with one, in corpus order."""
    opener = gzip.open if path.name.endswith(".gz") else open
    with opener(path, "rt", encoding="utf-8", newline="") as f:
        if ".csv" in path.name:
            records = list(csv.DictReader(io.StringIO(f.read())))
        else:
            records = [json.loads(line) for line in f if line.strip()]
    out = []
    for record in records:
        key = next((k for k in COLUMN_NAMES["text"] if k in record), None)
        text = (record.get(key) or "").strip() if key else ""
        if text:
            out.append(text)
    return out


def true_pairs(sets: list[frozenset[str]]) -> set[tuple[int, int]]:
    """Every pair with Jaccard >= THRESHOLD, exactly (prefix filtering, smallest sets first)."""
    frequency = Counter(s for items in sets for s in items)
    ordered = [sorted(items, key=lambda s: (frequency[s], s)) for items in sets]
    index: dict[str, list[int]] = defaultdict(list)
    found = set()
    for x in sorted(range(len(sets)), key=lambda n: len(sets[n])):
        size = len(sets[x])
        if not size:
            continue
        prefix = ordered[x][: size - math.ceil(THRESHOLD * size) + 1]
        candidates = {y for token in prefix for y in index[token] if len(sets[y]) >= THRESHOLD * size}
        for y in candidates:
            if jaccard(sets[x], sets[y]) >= THRESHOLD:
                found.add((min(x, y), max(x, y)))
        for token in prefix:
            index[token].append(x)
    return found


def measure(path: Path) -> dict:
    docs = texts(path)
    sets = [shingles(t) for t in docs]
    started = time.perf_counter()
    truth = true_pairs(sets)
    truth_seconds = time.perf_counter() - started

    started = time.perf_counter()
    groups = DuplicateGroups(read_shingles=lambda article_id: sets[int(article_id)], cache_size=len(docs) + 1)
    assigned = []
    for number, text in enumerate(docs):
        items = shingles(text)
        assigned.append(groups.assign(str(number), items, band_keys(items)))
    seconds = time.perf_counter() - started

    members = defaultdict(list)
    for number, group in enumerate(assigned):
        members[group].append(number)
    declared = {pair for group in members.values() for pair in combinations(sorted(group), 2)}
    right = declared & truth
    return {
        "corpus": path.name,
        "articles": len(docs),
        "true_pairs": len(truth),
        "declared_pairs": len(declared),
        "recall": len(right) / len(truth) if truth else 1.0,
        "precision": len(right) / len(declared) if declared else 1.0,
        "seconds_per_1000": seconds / max(1, len(docs)) * 1000,
        "duplicate_rate": (len(docs) - len(members)) / max(1, len(docs)),
        "truth_seconds": truth_seconds,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("corpora", nargs="*", type=Path, default=CORPORA)
    args = parser.parse_args()
    print("| corpus | articles | true pairs (J >= 0.8) | pairs in one group | recall | precision | s per 1,000 articles | duplicate rate |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for path in args.corpora:
        if not path.exists():
            print(f"| {path.name} | missing | | | | | | |")
            continue
        r = measure(path)
        print(
            f"| {r['corpus']} | {r['articles']:,} | {r['true_pairs']:,} | {r['declared_pairs']:,} | {r['recall']:.3f} | "
            f"{r['precision']:.3f} | {r['seconds_per_1000']:.2f} | {r['duplicate_rate']:.2%} |",
            flush=True,
        )


if __name__ == "__main__":
    main()
