"""Scores computed in NumPy (searchapp.query.scoring) are Whoosh's BM25F scores, for every match.

Each query is prepared as a search prepares it (patterns expanded, phrases found by the mask and
read as their words' AND within those documents) and scored for every document at once; Whoosh
scores the same query with its own matchers.  Same documents, scores to 1e-9 (the sums are taken
in another order); in an index of several segments and one of one; FA-KES (slow lane).
"""

from __future__ import annotations

import numpy as np
import pytest
from whoosh import query

from searchapp.query import search as search_module
from searchapp.query.matches import match_mask, ranking_query
from searchapp.query.parse import parse_query
from searchapp.query.scoring import score_matches
from searchapp.query.search import SearchIndex, SearchRequest, best_scored, expand_patterns, fixed_matchers
from searchapp.store.index import open_index

QUERIES = [
    "Syria",
    "Idlib ceasefire",
    "Syria OR Russia OR Turkey",
    '"Security Council"',
    'ceasefire "Security Council"',
    "Syria NOT Russia",
    "gov*",
    "title:Syria^3 OR ceasefire",
    '"the ceasefire" OR Idlib',
    "Assad AND (Russia OR Iran)",
    "NOT Russia",
    "ceasefire -Idlib",
]




def prepared(searcher, text: str) -> tuple[query.Query, np.ndarray]:
    """``text`` as a search ranks it (patterns expanded, phrases read from the mask's documents), and its matches."""
    parsed = expand_patterns(parse_query(text, searcher.schema), searcher.reader())
    phrases: dict = {}
    mask = match_mask(searcher, parsed, searcher.doc_count_all(), phrases)
    return fixed_matchers(ranking_query(searcher, parsed, phrases)), np.flatnonzero(mask)


def assert_whooshs_scores(searcher, text: str) -> None:
    """Every match scored, each as Whoosh scores it.  The matches are the mask's, as in a search: on FA-KES
    Whoosh's own AndNot matcher also returns an article holding both "ceasefire" and "Idlib" for
    "ceasefire -Idlib", which the mask (and so every search) leaves out."""
    ranking, matches = prepared(searcher, text)
    whooshs = {hit.docnum: hit.score for hit in searcher.search(ranking, limit=None)}
    scored = score_matches(searcher, ranking, matches)
    assert scored is not None, f"{text}: not scored in NumPy"
    matched, scores = scored
    assert matched.all(), text
    everywhere, _ = score_matches(searcher, ranking, np.arange(searcher.doc_count_all()))
    assert np.flatnonzero(everywhere).tolist() == matches.tolist(), text
    assert set(matches.tolist()) <= set(whooshs), text
    for docnum, score in zip(matches.tolist(), scores.tolist(), strict=True):
        assert score == pytest.approx(whooshs[docnum], rel=1e-9), (text, docnum)


@pytest.mark.parametrize("text", QUERIES)
@pytest.mark.parametrize("index", ["segmented", "whole"])
def test_numpy_scores_are_whooshs(request, index, text):
    assert_whooshs_scores(request.getfixturevalue(index), text)


def test_some_of_the_queries_match_several_documents(whole):
    assert sum(len(prepared(whole, text)[1]) > 1 for text in QUERIES) >= 6


def test_scores_of_a_subset_are_those_of_the_whole(whole):
    ranking, _ = prepared(whole, "Syria OR ceasefire")
    everything = np.arange(whole.doc_count_all())
    matched, scores = score_matches(whole, ranking, everything)
    some = everything[matched][::2]
    sub_matched, sub_scores = score_matches(whole, ranking, some)
    assert sub_matched.all() and sub_scores.tolist() == scores[some].tolist()


@pytest.mark.parametrize(
    "node",
    [
        query.Or([query.Term("text", "syria"), query.Term("text", "russia")], minmatch=2),
        query.Every("text"),
        query.Phrase("text", ["secur", "council"], slop=3),
        query.Prefix("text", "gov"),
        query.Or([query.Term("text", "syria"), query.Term("text", "russia")], scale=0.9),
    ],
)
def test_what_numpy_does_not_score_is_left_to_whoosh(whole, node):
    assert score_matches(whole, node, np.arange(whole.doc_count_all())) is None


def test_a_search_ranks_with_numpy_not_whooshs_collector(sample_index, monkeypatch):
    expected = {text: [(h.id, h.score) for h in SearchIndex(sample_index).search(SearchRequest(q=text)).hits] for text in ("Syria", "Idlib ceasefire")}
    for name in ("top_documents", "score_documents"):
        monkeypatch.setattr(search_module, name, lambda *a, **k: pytest.fail("ranked by Whoosh's matchers"))
    for text, hits in expected.items():
        assert [(h.id, h.score) for h in SearchIndex(sample_index).search(SearchRequest(q=text)).hits] == hits


def test_the_best_are_cut_after_every_tie_and_ordered_by_id():
    docs = np.array([10, 11, 12, 13, 14])
    scores = np.array([1.0, 3.0, 2.0, 2.0, 0.5])
    id_rank = np.zeros(20, dtype=np.int64)
    id_rank[[10, 11, 12, 13, 14]] = [0, 4, 3, 1, 2]  # doc 13's id sorts before doc 12's
    ids = {10: "a", 11: "e", 12: "d", 13: "b", 14: "c"}
    assert [doc for _, doc, _ in best_scored(docs, scores, id_rank, ids, 2)] == [11, 13]
    assert best_scored(docs, scores, id_rank, ids, 3)[1:] == [((-2.0, "b"), 13, 2.0), ((-2.0, "d"), 12, 2.0)]
    assert [doc for _, doc, _ in best_scored(docs, scores, id_rank, ids, 10)] == [11, 13, 12, 10, 14]


@pytest.mark.slow
def test_numpy_scores_are_whooshs_on_fakes(fakes_index):
    with open_index(fakes_index).searcher() as searcher:
        for text in [*QUERIES, "Aleppo airstrikes", '"Free Syrian Army"', "Daraa OR Homs OR Hama", "chemical weapons Douma"]:
            assert_whooshs_scores(searcher, text)


NODES = {
    "and with a not": query.And([query.Term("text", "syria"), query.Not(query.Term("text", "nosuchwordhere"))]),
    "or of one, boosted": query.Or([query.Term("text", "syria", boost=1.5)], boost=3.0),
    "and boosted": query.And([query.Term("text", "syria"), query.Term("title", "syria")], boost=2.5),
    "every, boosted": query.Every(boost=0.5),
    "constant score": query.ConstantScoreQuery(query.Or([query.Term("text", "syria"), query.Term("text", "russia")]), 2.5),
    "and maybe": query.AndMaybe(query.Term("text", "syria"), query.Term("text", "russia")),
    "require": query.Require(query.Term("text", "syria"), query.Term("text", "russia")),
    "absent word": query.Or([query.Term("text", "syria"), query.Term("text", "nosuchwordhere")]),
}


@pytest.mark.parametrize("name", sorted(NODES))
def test_each_operator_scores_as_whooshs_matcher(whole, name):
    node = NODES[name]
    whooshs = {hit.docnum: hit.score for hit in whole.search(node, limit=None)}
    assert whooshs, name
    matched, scores = score_matches(whole, node, np.arange(whole.doc_count_all()))
    assert np.flatnonzero(matched).tolist() == sorted(whooshs), name
    for docnum, score in whooshs.items():
        assert scores[docnum] == pytest.approx(score, rel=1e-9), (name, docnum)


@pytest.mark.parametrize("text", ["Idlib ceasefire", "Syria OR Russia OR Turkey", "title:Syria^3 OR ceasefire"])
def test_a_search_decodes_each_word_s_postings_once(sample_index, monkeypatch, text):
    """The masks and the scores read the same postings: decoded for the masks, kept for the scores.

    (Decoding them a second time was a quarter of a search's time at 1,000,000 articles.)
    """
    from searchapp.store import internals

    index = SearchIndex(sample_index)
    index.search(SearchRequest(q="warm"))  # (its facet table built: it reads the facets' postings once per generation)
    decoded: list[tuple] = []
    decode = internals._term_weights
    monkeypatch.setattr(internals, "_term_weights", lambda leaf, field, btext: decoded.append((id(leaf), field, btext)) or decode(leaf, field, btext))
    monkeypatch.setattr(internals, "posting_ids", lambda matcher: pytest.fail("the masks decoded postings the scores will decode again"))
    result = index.search(SearchRequest(q=text))
    assert result.total > 0 and result.hits[0].score is not None
    assert len(decoded) == len(set(decoded)) > 0  # each word of each segment once
    assert internals._DECODED.memo is None  # (kept for one search only)
