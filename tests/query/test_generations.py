"""A commit that lands while a search is running never closes the reader the search still holds."""

from __future__ import annotations

import shutil

import pytest

import searchapp.query.search as search_module
from searchapp.query import SearchIndex, SearchRequest
from searchapp.store.index import remove_ids


@pytest.mark.parametrize("q", ["ceasefire", "Asad", "Idleb ceasfire"])  # words, a name by another spelling, a respelling
def test_a_commit_during_a_search_is_seen_by_the_next_search(sample_index, tmp_path, monkeypatch, q):
    folder = tmp_path / "index"
    shutil.copytree(sample_index, folder)
    index = SearchIndex(folder)
    before = index.search(SearchRequest(q=q))
    victim = next(iter(index.searcher().reader().all_stored_fields()))["id"]
    prepare = search_module.prepare

    def prepare_then_commit(*args, **kwargs):
        prepared = prepare(*args, **kwargs)
        monkeypatch.setattr(search_module, "prepare", prepare)  # once
        remove_ids(folder, [victim])  # another process's commit, between two steps of this search
        return prepared

    monkeypatch.setattr(search_module, "prepare", prepare_then_commit)
    during = index.search(SearchRequest(q=q))  # read whole from the generation it started on
    assert (during.total, [h.id for h in during.hits]) == (before.total, [h.id for h in before.hits])
    after = index.search(SearchRequest(q="*", per_page=50))
    assert victim not in [h.id for h in after.hits] and after.total == 4


def test_a_page_whose_last_hit_ties_with_none_is_ranked_in_one_pass(sample_index, monkeypatch):
    """(Whoosh's collector: what ranks a query the NumPy scorer leaves to it, searchapp.query.scoring.)"""
    monkeypatch.setattr(search_module, "score_matches", lambda *args: None)
    calls = []
    top_documents = search_module.top_documents

    def counted(searcher, q, limit, **kwargs):
        calls.append(limit)
        return top_documents(searcher, q, limit, **kwargs)

    scores = [hit.score for hit in SearchIndex(sample_index).search(SearchRequest(q="Syria", per_page=5)).hits]
    monkeypatch.setattr(search_module, "top_documents", counted)
    result = SearchIndex(sample_index).search(SearchRequest(q="Syria", per_page=2))
    assert len(scores) >= 3 and scores[1] > scores[2]  # the page's last hit ties with no other
    assert [hit.score for hit in result.hits] == scores[:2]
    assert calls == [3]  # the page and one more, once
