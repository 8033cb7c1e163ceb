"""Match sets: every document a query matches, as a numpy mask (facets need all, not the top 10)."""

from __future__ import annotations

import numpy as np
from whoosh import query
from whoosh.matching import FilterMatcher

from ..store.internals import phrase_docs, term_docs


def match_mask(searcher, node: query.Query, doc_count: int, phrases: dict | None = None) -> np.ndarray:
    """Documents matching ``node`` (deleted ones included: callers AND with the live mask).

    Terms are read straight from their posting blocks, phrases from their words' positions
    (:func:`~searchapp.store.internals.phrase_docs`), and boolean operators combine masks in
    numpy; anything else (prefixes, ranges, phrases with a slop) is matched by Whoosh itself.  Iterating
    Whoosh's matchers document by document costs ~0.2 µs a posting in Python, which is what made
    facet counting grow with the number of hits.  The documents of each phrase are put in
    ``phrases`` (phrase -> sorted document numbers) when it is given: ranking reuses them
    (:func:`ranking_query`) instead of checking the words' positions a second time.
    """
    kind = type(node)
    if kind is query.Every:
        return np.ones(doc_count, dtype=bool)
    if node is query.NullQuery:
        return np.zeros(doc_count, dtype=bool)
    if kind is query.Term:
        mask = np.zeros(doc_count, dtype=bool)
        mask[term_docs(searcher.reader(), node.fieldname, node.text)] = True
        return mask
    if kind is query.And:
        mask = np.ones(doc_count, dtype=bool)
        for child in node.subqueries:
            mask &= match_mask(searcher, child, doc_count, phrases)
        return mask
    if kind in (query.Or, query.DefaultOr) and not getattr(node, "minmatch", 0):
        mask = np.zeros(doc_count, dtype=bool)
        for child in node.subqueries:
            mask |= match_mask(searcher, child, doc_count, phrases)
        return mask
    if kind is query.AndNot:
        return match_mask(searcher, node.a, doc_count, phrases) & ~match_mask(searcher, node.b, doc_count, phrases)
    if kind is query.Not:
        return ~match_mask(searcher, node.query, doc_count, phrases)
    if kind is query.AndMaybe:
        return match_mask(searcher, node.a, doc_count, phrases)
    if kind is query.Require:
        return match_mask(searcher, node.a, doc_count, phrases) & match_mask(searcher, node.b, doc_count, phrases)
    docs = phrase_docs(searcher.reader(), node.fieldname, node.words) if kind is query.Phrase and node.slop == 1 else None
    if docs is None:
        docs = np.fromiter(searcher.docs_for_query(node), dtype=np.int64)
    if phrases is not None and kind is query.Phrase:
        phrases[node] = docs
    mask = np.zeros(doc_count, dtype=bool)
    mask[docs] = True
    return mask


class _Within(query.WrappingQuery):
    """The matches of ``child`` among known documents (global numbers), scored as ``child`` scores them."""

    def __init__(self, child: query.Query, docs: np.ndarray, offsets: dict[int, int]) -> None:
        super().__init__(child)
        self.docs = docs
        self.offsets = offsets

    def _rewrap(self, child: query.Query) -> query.Query:
        return _Within(child, self.docs, self.offsets)

    def matcher(self, searcher, context=None):
        matcher = self.child.matcher(searcher, context)
        offset = self.offsets.get(id(searcher), 0)  # a segment's searcher numbers its documents from 0
        end = offset + searcher.doc_count_all()
        local = frozenset((self.docs[(self.docs >= offset) & (self.docs < end)] - offset).tolist())
        return FilterMatcher(matcher, local)


def ranking_query(searcher, parsed: query.Query, phrases: dict) -> query.Query:
    """``parsed`` with each phrase whose documents :func:`match_mask` found read as the AND of its
    words restricted to those documents: the same documents, the same scores (Whoosh scores a phrase
    by the intersection of its words that it wraps), without reading the words' positions again,
    which is most of a phrase query's cost.  Returns ``parsed`` itself when it holds no such phrase.
    """
    if not phrases:
        return parsed
    offsets = {id(sub): offset for sub, offset in (searcher.subsearchers or [(searcher, 0)])}

    def rewrite(node: query.Query) -> query.Query:
        if isinstance(node, query.Phrase):
            docs = phrases.get(node)
            if docs is None or len(node.words) < 2:
                return node
            return _Within(query.And([query.Term(node.fieldname, word) for word in node.words], boost=node.boost), docs, offsets)
        return node if node.is_leaf() else node.apply(rewrite)

    return rewrite(parsed)
