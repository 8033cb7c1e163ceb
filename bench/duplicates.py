"""Near-duplicate threshold and rate, measured on the shared corpora.

    .venv/bin/python bench/duplicates.py [CORPUS.jsonl.gz ...]

For every article: the SimHash searchapp indexes.  Candidate pairs within 8 bits are checked
against the truth of their texts (Jaccard similarity of their word 3-shingle sets; >= 0.8 counts
as the same story).  Prints, per Hamming distance, how many candidate pairs are true near-
duplicates (precision), how many of the corpus's "same first 200 characters" pairs (the rough
count in the corpora's STATS.txt) fall within each distance (recall), and the duplicate rate
at searchapp's threshold.
"""

from __future__ import annotations

import argparse
import gzip
import json
import sys
from collections import Counter, defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from searchapp.ingest.dedupe import MAX_DISTANCE, SHINGLE, DuplicateGroups, distance, simhash  # noqa: E402
from searchapp.ingest.readers import COLUMN_NAMES

SHARED = Path(__file__).resolve().parent.parent.parent / "shared/corpora"
CORPORA = [SHARED / "reuters21578/reuters21578.jsonl.gz", SHARED / "ant-multisource/ant_multisource_v2.1.jsonl.gz"]


def texts(path: Path) -> list[str]:
    out = []
    with gzip.open(path, "rt", encoding="utf-8") as f:
        for line in f:
            record = json.loads(line)
            key = next((k for k in COLUMN_NAMES["text"] if k in record), None)
            text = (record.get(key) or "").strip() if key else ""
            if text:
                out.append(text)
    return out


def shingles(text: str) -> set[str]:
    import re

    words = re.findall(r"\w+", text.lower())
    return {" ".join(words[i : i + SHINGLE]) for i in range(max(1, len(words) - SHINGLE + 1))}


def jaccard(a: set[str], b: set[str]) -> float:
    return len(a & b) / len(a | b) if a or b else 1.0


def measure(path: Path) -> None:
    docs = texts(path)
    hashes = [simhash(t) for t in docs]
    bands = defaultdict(list)
    for number, value in enumerate(hashes):
        for band in range(4):
            bands[(band, (value >> (16 * band)) & 0xFFFF)].append(number)
    candidates = set()
    for members in bands.values():
        if 1 < len(members) < 2000:
            for i, a in enumerate(members):
                for b in members[i + 1 :]:
                    if distance(hashes[a], hashes[b]) <= 8:
                        candidates.add((a, b))
    cache: dict[int, set[str]] = {}

    def sh(n: int) -> set[str]:
        if n not in cache:
            cache[n] = shingles(docs[n])
        return cache[n]

    by_distance = Counter()
    true_by_distance = Counter()
    for a, b in candidates:
        d = distance(hashes[a], hashes[b])
        by_distance[d] += 1
        true_by_distance[d] += jaccard(sh(a), sh(b)) >= 0.8
    prefix_groups = defaultdict(list)
    for number, text in enumerate(docs):
        prefix_groups[text[:200]].append(number)
    prefix_pairs = [(g[0], other) for g in prefix_groups.values() if len(g) > 1 for other in g[1:]]
    print(f"\n{path.name}: {len(docs):,} articles with text; {len(prefix_pairs):,} pairs share their first 200 characters")
    print("| distance | candidate pairs | same story (Jaccard >= 0.8) | precision | first-200 pairs within |")
    print("|---:|---:|---:|---:|---:|")
    cumulative = 0
    for d in range(0, 9):
        within = sum(1 for a, b in prefix_pairs if distance(hashes[a], hashes[b]) <= d)
        cumulative += by_distance[d]
        precision = true_by_distance[d] / by_distance[d] if by_distance[d] else float("nan")
        print(f"| {d} | {by_distance[d]:,} | {true_by_distance[d]:,} | {precision:.2f} | {within / len(prefix_pairs) if prefix_pairs else 0:.2f} |")
    groups = DuplicateGroups(MAX_DISTANCE)
    assigned = [groups.assign(value, str(n)) for n, value in enumerate(hashes)]
    extra = len(assigned) - len(set(assigned))
    print(f"At distance <= {MAX_DISTANCE}: {len(set(assigned)):,} groups; {extra:,} articles are another version of an earlier one = {extra / len(docs):.2%} duplicate rate.")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("corpora", nargs="*", type=Path, default=CORPORA)
    for path in parser.parse_args().corpora:
        if path.exists():
            measure(path)


if __name__ == "__main__":
    main()
