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
