"""Match sets: every document a query matches, as a numpy mask (facets need all, not the top 10)."""

from __future__ import annotations

import numpy as np
from whoosh import query

from ..store.internals import term_docs


def match_mask(searcher, node: query.Query, doc_count: int) -> np.ndarray:
    """Documents matching ``node`` (deleted ones included: callers AND with the live mask).

    Terms are read straight from their posting blocks and boolean operators combine masks in
    numpy; anything else (phrases, prefixes, ranges) is matched by Whoosh itself.  Iterating
    Whoosh's matchers document by document costs ~0.2 µs a posting in Python, which is what made
    facet counting grow with the number of hits.
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
            mask &= match_mask(searcher, child, doc_count)
        return mask
    if kind in (query.Or, query.DefaultOr) and not getattr(node, "minmatch", 0):
        mask = np.zeros(doc_count, dtype=bool)
        for child in node.subqueries:
            mask |= match_mask(searcher, child, doc_count)
        return mask
    if kind is query.AndNot:
        return match_mask(searcher, node.a, doc_count) & ~match_mask(searcher, node.b, doc_count)
    if kind is query.Not:
        return ~match_mask(searcher, node.query, doc_count)
    if kind is query.AndMaybe:
        return match_mask(searcher, node.a, doc_count)
    if kind is query.Require:
        return match_mask(searcher, node.a, doc_count) & match_mask(searcher, node.b, doc_count)
    mask = np.zeros(doc_count, dtype=bool)
    mask[np.fromiter(searcher.docs_for_query(node), dtype=np.int64)] = True
    return mask
