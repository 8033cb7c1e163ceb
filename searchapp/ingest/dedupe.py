"""Near-duplicates: the same story republished, found by SimHash over word shingles.

Wire stories are republished with small edits: another headline, a trimmed paragraph, an
outlet's boilerplate.  Each article gets a 64-bit SimHash of its word 3-shingles (Charikar's
sketch; Manku, Jain and Das Sarma 2007 use 64 bits and a distance of 3 for web pages): shingle
sets that overlap mostly give hashes that differ in a few bits.  Two articles whose hashes differ
in at most ``MAX_DISTANCE`` bits are versions of one story.  Measured on the shared corpora
(bench/duplicates.py, word 3-shingle Jaccard >= 0.8 as the truth), every candidate pair within 4
bits was the same story on Reuters and all but one on ANT; at 5 bits precision fell to 0.79-0.82.

Grouping is incremental and runs in the indexer: the hashes already indexed are loaded into four
16-bit band tables (two hashes within 4 bits agree exactly on at least one of the four bands), each
new article looks up its candidates, joins the group of the nearest one or starts its own group
(named after its own id).  ``bench/duplicates.py`` measures the threshold on the shared corpora.
"""

from __future__ import annotations

import hashlib
import re

import numpy as np

MAX_DISTANCE = 4
SHINGLE = 3
BANDS = 4
_WORD = re.compile(r"\w+")
_BITS = np.array([1 << i for i in range(64)], dtype=np.uint64)


def simhash(text: str) -> int:
    """64-bit SimHash of the word 3-shingles of ``text`` (lower-cased); 0 for an empty text."""
    words = _WORD.findall(text.lower())
    if len(words) < SHINGLE:
        shingles = [" ".join(words)] if words else []
    else:
        shingles = [" ".join(words[i : i + SHINGLE]) for i in range(len(words) - SHINGLE + 1)]
    if not shingles:
        return 0
    digests = b"".join(hashlib.blake2b(s.encode("utf-8"), digest_size=8).digest() for s in set(shingles))
    hashes = np.frombuffer(digests, dtype=">u8").astype(np.uint64)
    bits = (hashes[:, None] & _BITS) != 0  # (shingles, 64)
    votes = bits.sum(axis=0) * 2 > len(hashes)
    return int(np.sum(_BITS[votes], dtype=np.uint64))


def distance(a: int, b: int) -> int:
    return (a ^ b).bit_count()


class DuplicateGroups:
    """Assigns each article to a group of near-duplicates, incrementally."""

    def __init__(self, max_distance: int = MAX_DISTANCE) -> None:
        self.max_distance = max_distance
        self._bands: list[dict[int, list[tuple[int, str]]]] = [{} for _ in range(BANDS)]

    @staticmethod
    def _keys(value: int) -> list[int]:
        return [(value >> (16 * band)) & 0xFFFF for band in range(BANDS)]

    def add(self, value: int, group: str) -> None:
        """Record an article already indexed (its hash and group)."""
        if value == 0:
            return
        for band, key in zip(self._bands, self._keys(value), strict=True):
            band.setdefault(key, []).append((value, group))

    def assign(self, value: int, article_id: str) -> str:
        """The group of a new article: that of its nearest near-duplicate, else its own id."""
        best: tuple[int, str] | None = None
        if value:
            for band, key in zip(self._bands, self._keys(value), strict=True):
                for other, group in band.get(key, ()):
                    d = distance(value, other)
                    if d <= self.max_distance and (best is None or d < best[0]):
                        best = (d, group)
        group = best[1] if best else article_id
        self.add(value, group)
        return group
