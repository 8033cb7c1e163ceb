"""BM25F scores of many documents at once, in NumPy: what Whoosh's matchers score one document at a time.

Ranking a query with many matches walked Whoosh's matcher tree once per matching document in
Python (~1-2 µs a posting and node): at 100,000 articles "banking" spent 43 of its 62 ms there,
and the cost grows with the archive.  Here each word's postings are read a block at a time
(:func:`~searchapp.store.internals.term_weights`), scored by the same BM25F formula with the same
statistics (the searcher's ``idf`` and ``avg_field_length``: every shard's under
:func:`~searchapp.store.internals.use_statistics`), and the query's operators combine the arrays
as Whoosh's matchers combine scores:

* a word: ``bm25(idf, weight, length)`` (``whoosh.scoring.bm25``), times its boost;
* AND: the sum of its parts' scores where all match; OR: the sum of those that match; a boost
  on either multiplies (an AND or OR of one part is that part, unboosted, as in Whoosh);
* AND NOT, REQUIRE: the first part's score; AND MAYBE: the first part's plus the second's where
  it matches; every document (``Every``: "NOT Russia"): its boost; NOT: 1.0 for every document its part does not match (whoosh3's ``InverseMatcher``:
  so "Syria NOT Russia", an AND holding a NOT, scores one more than "Syria", as in Whoosh); a
  pattern expanded (``ConstantScoreQuery``): its constant where its words match; a phrase already found (:class:`~searchapp.query.matches._Within`): its words' AND
  within its documents.

Sums are taken in the query's order, where Whoosh's tree sums in an order picked by each
segment's term counts: the two agree to the last bits of a double (tested to 1e-9), and every
shard and every page of one search use this one order.  A query with anything else (a pattern
Whoosh expands itself, a phrase with a slop, OR with a minimum or a coordination scale) returns
None: the caller ranks it with Whoosh's collector as before.
"""

from __future__ import annotations

import numpy as np
from whoosh import query, scoring

from ..store.internals import LENGTH_OF_BYTE, document_length_bytes, term_weights
from .matches import _Within

_LENGTH_OF_BYTE = LENGTH_OF_BYTE.astype(np.float64)  # (a length byte's length, as the float BM25F computes with)


class _Unsupported(Exception):
    """A query part this module does not score as Whoosh would."""


def score_matches(searcher, node: query.Query, docs: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
    """(matched, score) of each of ``docs`` (sorted global document numbers) for ``node``; None when
    ``node`` holds a part that is not scored here (rank it with Whoosh)."""
    weighting = searcher.weighting
    if type(weighting) is not scoring.BM25F or weighting.use_final:
        return None
    scorer = _Scorer(searcher, weighting, docs)
    try:
        return scorer.evaluate(node)
    except _Unsupported:
        return None


class _Scorer:
    def __init__(self, searcher, weighting: scoring.BM25F, docs: np.ndarray) -> None:
        self.searcher = searcher
        self.parent = searcher.get_parent()
        self.weighting = weighting
        self.docs = docs
        self.leaves = list(searcher.reader().leaf_readers())
        self._lengths: dict[str, np.ndarray] = {}

    def nothing(self) -> tuple[np.ndarray, np.ndarray]:
        return np.zeros(len(self.docs), dtype=bool), np.zeros(len(self.docs), dtype=np.float64)

    def lengths(self, fieldname: str) -> np.ndarray:
        """The field's length in each of ``docs`` (as BM25F reads it)."""
        found = self._lengths.get(fieldname)
        if found is None:
            found = np.ones(len(self.docs), dtype=np.float64)
            for leaf, offset in self.leaves:
                start, stop = np.searchsorted(self.docs, [offset, offset + leaf.doc_count_all()])
                column = document_length_bytes(leaf, fieldname) if start < stop else None
                if column is not None:
                    found[start:stop] = _LENGTH_OF_BYTE[column[self.docs[start:stop] - offset]]
            self._lengths[fieldname] = found
        return found

    def evaluate(self, node: query.Query) -> tuple[np.ndarray, np.ndarray]:
        kind = type(node)
        if kind is query.Term:
            return self.term(node)
        if node is query.NullQuery or kind is query.NullQuery.__class__:
            return self.nothing()
        if kind in (query.And, query.Or, query.DefaultOr):
            if getattr(node, "minmatch", 0) or getattr(node, "scale", None):
                raise _Unsupported(node)
            parts = node.subqueries
            if not parts:
                return self.nothing()
            if len(parts) == 1:  # (Whoosh's matcher of a one-part AND/OR is the part's: no boost)
                return self.evaluate(parts[0])
            results = [self.evaluate(part) for part in parts]
            if kind is query.And:
                matched = np.logical_and.reduce([m for m, _ in results])
            else:
                matched = np.logical_or.reduce([m for m, _ in results])
            score = np.zeros(len(self.docs), dtype=np.float64)
            for part_matched, part_score in results:
                score += np.where(part_matched, part_score, 0.0)
            return matched, self.boosted(np.where(matched, score, 0.0), node.boost)
        if kind is query.AndNot:
            (a_matched, a_score), (b_matched, _) = self.evaluate(node.a), self.evaluate(node.b)
            return a_matched & ~b_matched, a_score
        if kind is query.Require:
            (a_matched, a_score), (b_matched, _) = self.evaluate(node.a), self.evaluate(node.b)
            return a_matched & b_matched, a_score
        if kind is query.AndMaybe:
            (a_matched, a_score), (b_matched, b_score) = self.evaluate(node.a), self.evaluate(node.b)
            return a_matched, np.where(a_matched & b_matched, a_score + b_score, a_score)
        if kind is query.Every and node.fieldname is None:  # (every live document, scoring the boost: whoosh3's ListMatcher)
            return np.ones(len(self.docs), dtype=bool), np.full(len(self.docs), float(node.boost))
        if kind is query.Not:  # (whoosh3's InverseMatcher: every other document, each scoring its weight, 1.0)
            matched, _ = self.evaluate(node.query)
            return ~matched, np.ones(len(self.docs), dtype=np.float64)
        if kind is query.ConstantScoreQuery:  # (a pattern expanded: its words' documents, each scoring the constant)
            matched, _ = self.evaluate(node.child)
            return matched, np.where(matched, float(node.score), 0.0)
        if kind is _Within:
            matched, score = self.evaluate(node.child)
            return matched & np.isin(self.docs, node.docs), score
        raise _Unsupported(node)

    @staticmethod
    def boosted(score: np.ndarray, boost: float) -> np.ndarray:
        return score * boost if boost != 1.0 else score

    def term(self, node: query.Term) -> tuple[np.ndarray, np.ndarray]:
        schema = self.searcher.schema
        fieldname = node.fieldname
        if fieldname not in schema:
            return self.nothing()
        field = schema[fieldname]
        try:
            btext = field.to_bytes(node.text)
        except ValueError:
            return self.nothing()
        weights = np.zeros(len(self.docs), dtype=np.float64)
        matched = np.zeros(len(self.docs), dtype=bool)
        for leaf, offset in self.leaves:
            ids, values = term_weights(leaf, fieldname, btext)
            if not len(ids):
                continue
            ids = ids + offset
            at = np.searchsorted(self.docs, ids)
            inside = at < len(self.docs)
            inside[inside] = self.docs[at[inside]] == ids[inside]
            weights[at[inside]] = values[inside]
            matched[at[inside]] = True
        if not matched.any():
            return matched, weights
        if not field.scorable:  # whoosh's WeightScorer: the weight itself
            score = weights
        else:
            weighting = self.weighting
            idf = self.parent.idf(fieldname, btext)
            average = self.parent.avg_field_length(fieldname) or 1
            b = weighting._field_B.get(fieldname, weighting.B)
            k1 = weighting.K1
            with np.errstate(divide="ignore", invalid="ignore"):
                score = idf * ((weights * (k1 + 1)) / (weights + k1 * ((1 - b) + b * self.lengths(fieldname) / average)))
        return matched, self.boosted(np.where(matched, score, 0.0), node.boost)
