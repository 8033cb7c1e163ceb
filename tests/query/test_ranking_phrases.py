"""Ranking reuses the phrase matches of the match mask (searchapp.query.matches.ranking_query).

A phrase's documents are found once, by the mask; ranking reads the phrase as the AND of its words
restricted to those documents.  These tests fail if that ever ranks, scores or counts differently
from Whoosh's own phrase query, in an index of several segments (each numbers its documents from 0).
"""

from __future__ import annotations

import pytest
from whoosh import query

from searchapp.query.matches import match_mask, ranking_query
from searchapp.query.parse import parse_query

QUERIES = [
    '"Security Council"',
    '"United Nations"',
    'ceasefire "Security Council"',
    '"Security Council" OR Idlib',
    'Syria NOT "United Nations"',
    '-"Security Council"',
    '"the ceasefire"',
    'title:"Security Council" OR "Syrian government"',
]



@pytest.mark.parametrize("text", QUERIES)
def test_ranking_with_the_masks_phrases_is_whooshs_own(segmented, text):
    parsed = parse_query(text, segmented.schema)
    phrases: dict = {}
    mask = match_mask(segmented, parsed, segmented.doc_count_all(), phrases)
    rewritten = ranking_query(segmented, parsed, phrases)
    expected = segmented.search(parsed, limit=None)
    got = segmented.search(rewritten, limit=None)
    assert [(hit.docnum, round(hit.score, 9)) for hit in got] == [(hit.docnum, round(hit.score, 9)) for hit in expected]
    assert sorted(hit.docnum for hit in got) == sorted(mask.nonzero()[0].tolist())


def test_a_query_with_phrases_found_is_rewritten_and_one_without_is_not(segmented):
    with_phrase = parse_query('"Security Council"', segmented.schema)
    phrases: dict = {}
    match_mask(segmented, with_phrase, segmented.doc_count_all(), phrases)
    assert phrases and all(isinstance(node, query.Phrase) for node in phrases)
    assert ranking_query(segmented, with_phrase, phrases) != with_phrase
    plain = parse_query("ceasefire", segmented.schema)
    assert ranking_query(segmented, plain, {}) is plain


def _phrases_of(searcher, field: str, size: int, limit: int) -> list[list[str]]:
    """Word runs of ``size`` analysed tokens taken from the stored texts: phrases that occur, some many times."""
    analyzer = searcher.schema[field].analyzer
    runs: list[list[str]] = []
    for fields in searcher.all_stored_fields():
        text = fields.get(field) or " ".join(fields.get("paragraphs", []))
        tokens = [t.text for t in analyzer(text)]
        runs += [tokens[i : i + size] for i in range(0, max(0, len(tokens) - size), 7)]
    return runs[:limit]



@pytest.mark.parametrize("size", [2, 3])
@pytest.mark.parametrize("index", ["segmented", "whole"])
def test_phrase_matches_are_whooshs_own(request, monkeypatch, index, size):
    """Phrases matched from their words' positions in NumPy: exactly the documents Whoosh's phrase matcher finds,
    in an index of several segments and one of one; and Whoosh's matcher is not asked."""
    from searchapp.store.internals import phrase_docs

    segmented = request.getfixturevalue(index)
    cases = [(field, words) for field in ("text", "title") for words in _phrases_of(segmented, field, size, 150)]
    cases += [("text", ["security", "nosuchword"]), ("text", ["the", "the"]), ("text", ["council", "secur"]), ("text", ["secur", "council"])]
    expected = {tuple(w) + (f,): sorted(segmented.docs_for_query(query.Phrase(f, w))) for f, w in cases}
    assert sum(1 for docs in expected.values() if len(docs) > 1) > 10  # phrases found in several documents
    monkeypatch.setattr(type(segmented), "docs_for_query", lambda *a, **k: pytest.fail("matched by Whoosh"))
    for field, words in cases:
        assert phrase_docs(segmented.reader(), field, words).tolist() == expected[tuple(words) + (field,)], (field, words)
        mask = match_mask(segmented, query.Phrase(field, words), segmented.doc_count_all())
        assert mask.nonzero()[0].tolist() == expected[tuple(words) + (field,)]


def test_a_phrase_with_slop_is_left_to_whoosh(segmented):
    node = query.Phrase("text", ["secur", "council"], slop=3)  # (words as analysed: stemmed)
    mask = match_mask(segmented, node, segmented.doc_count_all())
    assert mask.nonzero()[0].tolist() == sorted(segmented.docs_for_query(node)) != []
