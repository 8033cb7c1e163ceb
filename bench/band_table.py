"""The near-duplicate band table's memory and time: NumPy sorted runs against a dictionary per band.

    .venv/bin/python bench/band_table.py [--n 1000000]

The indexer keeps every indexed article's 20 LSH band keys in memory to find a new article's
candidates (:class:`searchapp.ingest.dedupe.BandTable`).  Each table, in a process of its own,
takes ``n`` articles with random band keys (a tenth of them sharing one key with an earlier
article, as republished stories do), asked for each article's candidates before adding it (the
indexer's pattern); printed: the seconds, the process's max RSS (the interpreter, NumPy and the
ids included) and the candidates found, which must be the same for both.  The reference is what
the indexer used before: a dictionary per band, key -> list of ids.
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from searchapp.ingest.dedupe import BANDS, BandTable  # noqa: E402


class DictPerBand:
    """The indexer's table before BandTable: a dictionary per band, a list of ids per key."""

    def __init__(self) -> None:
        self._bands: list[dict[int, list[str]]] = [{} for _ in range(BANDS)]

    def add(self, keys: tuple[int, ...], article_id: str) -> None:
        for band, key in zip(self._bands, keys, strict=False):
            band.setdefault(key, []).append(article_id)

    def holders(self, keys: tuple[int, ...]) -> set[str]:
        return {other for band, key in zip(self._bands, keys, strict=False) for other in band.get(key, ())}


TABLES = {"dictionary per band (before)": DictPerBand, "BandTable (NumPy runs)": BandTable}


def articles(n: int, seed: int = 1):
    """(id, band keys) of ``n`` articles, a tenth sharing one band key with an earlier one."""
    rng = random.Random(seed)
    earlier: list[tuple[int, ...]] = []
    for number in range(n):
        keys = [rng.getrandbits(32) for _ in range(BANDS)]
        if earlier and rng.random() < 0.1:
            band = rng.randrange(BANDS)
            keys[band] = rng.choice(earlier)[band]
        keys_tuple = tuple(keys)
        if len(earlier) < 10_000:
            earlier.append(keys_tuple)
        yield f"synthetic-{number:07d}", keys_tuple


def measure(name: str, n: int) -> dict:
    """This process's run of table ``name``: seconds, max RSS in MB, and a digest of the candidates found."""
    table = TABLES[name]()
    found = 0
    digest = 0
    started = time.perf_counter()
    for article_id, keys in articles(n):
        holders = table.holders(keys)
        found += len(holders)
        digest ^= hash(frozenset(holders)) if holders else 0
        table.add(keys, article_id)
    seconds = time.perf_counter() - started
    return {"seconds": seconds, "max_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, "found": found, "digest": digest}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=1_000_000)
    parser.add_argument("--table", choices=TABLES, help=argparse.SUPPRESS)  # (one table, in a process of its own)
    args = parser.parse_args()
    if args.table:
        print(json.dumps(measure(args.table, args.n)))
        return
    rows = {}
    for name in TABLES:  # one after the other: each alone on the machine
        output = subprocess.run([sys.executable, __file__, "--n", str(args.n), "--table", name], check=True, capture_output=True, text=True, env={"PYTHONHASHSEED": "0"})
        rows[name] = json.loads(output.stdout)
    same = len({(row["found"], row["digest"]) for row in rows.values()}) == 1
    print(f"{args.n:,} articles x {BANDS} band keys; the same candidates for every article: {'yes' if same else 'NO'}")
    print("| table | seconds (candidates + add) | max RSS MB | candidates found |")
    print("|---|---:|---:|---:|")
    for name, row in rows.items():
        print(f"| {name} | {row['seconds']:.1f} | {row['max_rss_mb']:,.0f} | {row['found']:,} |")


if __name__ == "__main__":
    main()
