"""Near-duplicates: the same story republished, found by MinHash and LSH over word shingles, verified exactly.

Two articles are versions of one story when at least 80% of their word 3-shingles are shared
(Jaccard similarity >= :data:`THRESHOLD`): wire copy republished with another headline, a trimmed
paragraph, a time stamp or an outlet's boilerplate.

* **Signatures**: a MinHash of each article's shingle set, from datasketch (a well-kept
  implementation with vectorised hashing), 128 permutations, a fixed seed.
* **Candidates (LSH)**: the first 120 values in :data:`BANDS` bands of :data:`ROWS` rows; two
  articles are candidates when one band is equal.  A pair at Jaccard 0.8 shares a band with
  probability 1 - (1 - 0.8**6)**20 = 0.998, a pair at 0.5 with 0.27.  Each band is stored as a
  32-bit key in the article's ``dup_bands`` column (80 bytes), so a later run finds
  candidates among the articles indexed before without recomputing anything.  datasketch's own
  ``MinHashLSH`` keeps its tables in memory or in Redis, which cannot travel with the index: the
  banding (:class:`BandTable`) is done here.
* **Verification**: every candidate is checked by the exact Jaccard of the two shingle sets (the
  earlier article's shingles come from a cache of this run's articles or from its text read back
  from the index); a new article joins the group of the most similar verified candidate, or starts
  its own group, named after its id.  So no pair below the threshold is ever joined directly.

``bench/duplicates.py`` measures recall and precision against brute-force Jaccard on the shared
corpora.
"""

from __future__ import annotations

import hashlib
import re
from collections import OrderedDict
from collections.abc import Callable

import numpy as np

SHINGLE = 3
THRESHOLD = 0.8
NUM_PERM = 128
BANDS = 20
ROWS = 6
SEED = 1
_WORD = re.compile(r"\w+")
_BAND_NUMBERS = np.arange(BANDS, dtype=np.uint64) << np.uint64(32)  # (band, key) as one 64-bit number: the band above

Shingles = frozenset[str]


def shingles(text: str) -> Shingles:
    """The word 3-shingles of ``text``, lower-cased (a text of fewer words is one shingle)."""
    words = _WORD.findall(text.lower())
    if len(words) < SHINGLE:
        return frozenset([" ".join(words)]) if words else frozenset()
    return frozenset(" ".join(words[i : i + SHINGLE]) for i in range(len(words) - SHINGLE + 1))


def jaccard(a: Shingles, b: Shingles) -> float:
    return len(a & b) / len(a | b) if a or b else 0.0


def band_keys(items: Shingles) -> tuple[int, ...]:
    """The LSH band keys of a shingle set's MinHash (empty for an empty set)."""
    if not items:
        return ()
    from datasketch import MinHash  # imported when indexing: the search side never needs it

    signature = MinHash(num_perm=NUM_PERM, seed=SEED)
    signature.update_batch([s.encode("utf-8") for s in items])
    values = np.asarray(signature.hashvalues[: BANDS * ROWS], dtype=np.uint64).reshape(BANDS, ROWS)
    return tuple(int.from_bytes(hashlib.blake2b(row.tobytes(), digest_size=4).digest(), "big") for row in values)


def keys_to_bytes(keys: tuple[int, ...]) -> bytes:
    return b"".join(key.to_bytes(4, "big") for key in keys)


def keys_from_bytes(data: bytes) -> tuple[int, ...]:
    """The band keys of a ``dup_bands`` column value (none for a value of another length: no sketch)."""
    return tuple(int.from_bytes(data[i : i + 4], "big") for i in range(0, len(data), 4)) if len(data) == 4 * BANDS else ()


class BandTable:
    """Which articles hold each LSH band key: sorted NumPy runs, and the latest additions in a dict.

    A dictionary per band holding a list of ids per key cost ~140 bytes an entry, 20 entries a
    distinct article: 3.3 GB at a million (``bench/band_table.py``: 0.7 GB here).  Each (band, key) is
    one 64-bit number (the band in the high half) beside a 32-bit article number, 12 bytes an
    entry, in sorted runs searched with ``searchsorted``.  Additions wait in a small dict; every
    :data:`PENDING` articles they become a run, and runs of like size are merged (as a binary
    counter: a run of twice the size or less is merged into the one before), so there are at most
    ~log2(n / PENDING) runs and each entry is copied ~log2(n / PENDING) times.
    """

    PENDING = 4096

    def __init__(self) -> None:
        self._ids: list[str] = []  # article number -> id (an article indexed again gets a new number: harmless)
        self._runs: list[tuple[np.ndarray, np.ndarray]] = []  # (sorted band keys, their article numbers), largest first
        self._pending: dict[int, list[int]] = {}
        self._pending_articles = 0

    @staticmethod
    def _band_keys(keys: tuple[int, ...]) -> np.ndarray:
        """Each band's key with its band number in the high half (none for an article without a sketch)."""
        if len(keys) != BANDS:
            return np.empty(0, dtype=np.uint64)
        return np.array(keys, dtype=np.uint64) | _BAND_NUMBERS

    def add(self, keys: tuple[int, ...], article_id: str) -> None:
        number = len(self._ids)
        self._ids.append(article_id)
        pending = self._pending
        for key in self._band_keys(keys).tolist():
            if key in pending:
                pending[key].append(number)
            else:
                pending[key] = [number]
        self._pending_articles += 1
        if self._pending_articles >= self.PENDING:
            self._flush()

    def holders(self, keys: tuple[int, ...]) -> set[str]:
        """The ids of the articles sharing at least one band key with ``keys``."""
        query = self._band_keys(keys)
        numbers: set[int] = set()
        pending = self._pending
        for key in query.tolist():
            if key in pending:
                numbers.update(pending[key])
        for run_keys, run_owners in self._runs if len(query) else ():
            starts = np.searchsorted(run_keys, query)
            found = run_keys[np.minimum(starts, len(run_keys) - 1)] == query  # (a key is rarely held: one search mostly)
            if found.any():
                ends = np.searchsorted(run_keys, query[found], side="right")
                for start, end in zip(starts[found].tolist(), ends.tolist(), strict=True):
                    numbers.update(run_owners[start:end].tolist())
        return {self._ids[number] for number in numbers}

    def _flush(self) -> None:
        """The pending additions made a sorted run, merged with the runs before of like size."""
        sizes = [len(owners) for owners in self._pending.values()]
        keys = np.repeat(np.fromiter(self._pending.keys(), dtype=np.uint64, count=len(sizes)), sizes)
        owners = np.fromiter((n for group in self._pending.values() for n in group), dtype=np.int32, count=sum(sizes))
        order = np.argsort(keys, kind="stable")
        self._runs.append((keys[order], owners[order]))
        self._pending, self._pending_articles = {}, 0
        while len(self._runs) > 1 and 2 * len(self._runs[-1][0]) >= len(self._runs[-2][0]):
            newer, older = self._runs.pop(), self._runs.pop()
            self._runs.append(_merged(older, newer))


def _merged(older: tuple[np.ndarray, np.ndarray], newer: tuple[np.ndarray, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """Two sorted runs as one, in one linear pass (each of ``newer``'s entries placed after ``older``'s equal keys)."""
    (keys_a, owners_a), (keys_b, owners_b) = older, newer
    at = np.searchsorted(keys_a, keys_b, side="right") + np.arange(len(keys_b))
    from_b = np.zeros(len(keys_a) + len(keys_b), dtype=bool)
    from_b[at] = True
    keys, owners = np.empty(len(from_b), dtype=keys_a.dtype), np.empty(len(from_b), dtype=owners_a.dtype)
    keys[at], owners[at] = keys_b, owners_b
    keys[~from_b], owners[~from_b] = keys_a, owners_a
    return keys, owners


class DuplicateGroups:
    """Assigns each article to a group of near-duplicates, incrementally (one instance per indexing run).

    ``read_shingles(id)`` gives the shingles of an article indexed before (None when it is gone);
    the shingles of this run's latest articles are kept in a bounded cache.
    """

    def __init__(self, read_shingles: Callable[[str], Shingles | None], cache_size: int = 20_000) -> None:
        self.read_shingles = read_shingles
        self.cache_size = cache_size
        self._bands = BandTable()
        self._groups: dict[str, str] = {}  # article id -> its group
        self._cache: OrderedDict[str, Shingles] = OrderedDict()

    def add(self, keys: tuple[int, ...], article_id: str, group: str) -> None:
        """Record an article already indexed (its band keys and its group)."""
        self._groups[article_id] = group
        self._bands.add(keys, article_id)

    def assign(self, article_id: str, items: Shingles, keys: tuple[int, ...]) -> str:
        """The group of a new article: that of its most similar verified near-duplicate, else its own id.

        When every candidate is in one group (a story republished again: its earlier versions are all
        candidates), the answer is that group as soon as one of them verifies, so they are tried cached
        ones first and the rest are not read back from the index: the same answer as trying all of them,
        without reading every earlier version again (at a million synthetic articles, each story's ~50
        versions would be read back for every new one).
        """
        candidates = self._bands.holders(keys) - {article_id}
        single = len({self._groups[other] for other in candidates}) == 1
        best: tuple[float, str] | None = None
        for other in sorted(candidates, key=(lambda o: (o not in self._cache, o)) if single else None):
            theirs = self._cache.get(other)
            if theirs is None:
                theirs = self.read_shingles(other)
            if theirs is None:
                continue
            similarity = jaccard(items, theirs)
            if similarity >= THRESHOLD and (best is None or similarity > best[0]):
                best = (similarity, self._groups[other])
                if single:
                    break
        group = best[1] if best else article_id
        self.add(keys, article_id, group)
        self._cache[article_id] = items
        if len(self._cache) > self.cache_size:
            self._cache.popitem(last=False)
        return group
