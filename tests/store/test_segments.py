"""Segments: an indexing run that wrote most of the index leaves it in one segment, without the documents it
replaced; one that added a little and leaves more segments than SEARCHAPP_MAX_SEGMENTS merges the smallest
only (store.index.merge_segments); SEARCHAPP_MAX_SEGMENTS=0 never merges."""

from __future__ import annotations

import json
import shutil

import pytest

from searchapp.ingest.run import IndexOptions, index_paths
from searchapp.query import SearchIndex, SearchRequest
from searchapp.store.index import open_index, segment_count, verify_before_writing
from tests.conftest import SAMPLES


def ranked(index_dir, q: str) -> list[str]:
    """The ids in rank order (scores move a little: a merge drops the replaced documents' lengths from the statistics)."""
    result = SearchIndex(index_dir).search(SearchRequest(q=q, per_page=50, collapse=False))
    return [hit.id for hit in result.hits]


@pytest.fixture(scope="module")
def unmerged(tmp_path_factory):
    folder = tmp_path_factory.mktemp("unmerged") / "index"
    summary = index_paths([SAMPLES], folder, IndexOptions(processes=1, batch_size=1, max_segments=0))
    assert summary.merged_segments == 0
    return folder


@pytest.mark.parametrize("max_segments", [1, 100])
def test_a_run_that_wrote_the_index_merges_it_into_one_segment_and_searches_the_same(unmerged, tmp_path, max_segments):
    assert segment_count(open_index(unmerged)) >= 2
    folder = tmp_path / "index"
    summary = index_paths([SAMPLES], folder, IndexOptions(processes=1, batch_size=1, max_segments=max_segments))
    assert summary.merged_segments >= 2 and f"{summary.merged_segments} segments merged" in summary.describe()
    ix = open_index(folder)
    assert segment_count(ix) == 1
    assert ix.doc_count_all() == ix.doc_count() == 5  # the replaced documents dropped: they count in no statistic
    verify_before_writing(folder)  # the checksums were written for the merged generation
    for q in ("ceasefire", '"Security Council"', "Idlib OR Aleppo", ""):
        assert ranked(folder, q) == ranked(unmerged, q) and ranked(folder, q)


def test_a_run_that_added_a_little_within_the_limit_merges_nothing_itself(unmerged, tmp_path):
    folder = tmp_path / "index"
    shutil.copytree(unmerged, folder)
    extra = tmp_path / "extra.jsonl"
    extra.write_text(json.dumps({"id": "extra-1", "title": "Aid convoy", "text": "An aid convoy reached Idlib on Tuesday.", "outlet": "BBC", "published": "2016-09-20"}) + "\n", encoding="utf-8")
    summary = index_paths([extra], folder, IndexOptions(processes=1, max_segments=100))
    assert summary.added == 1 and summary.merged_segments == 0  # (Whoosh's own commit may merge the one-article segments)
    assert open_index(folder).doc_count() == 6


def segment_sizes(folder) -> list[int]:
    with open_index(folder).reader() as reader:
        return sorted(leaf.doc_count_all() for leaf, _ in reader.leaf_readers())


def test_merging_down_to_a_limit_merges_only_the_smallest_segments(unmerged, tmp_path):
    """What a run that added a little to a large index does at its end (merge_segments with keep > 1)."""
    import shutil

    from searchapp.store.index import merge_segments

    folder = tmp_path / "index"
    shutil.copytree(unmerged, folder)
    before = segment_sizes(folder)
    assert len(before) >= 4
    assert merge_segments(open_index(folder), 5.0, keep=3) == len(before) - 2
    after = segment_sizes(folder)
    assert sorted(after) == sorted([*before[-2:], sum(before) - sum(before[-2:])])  # the two largest kept as they were
    for q in ("ceasefire", "Idlib OR Aleppo", ""):
        assert ranked(folder, q) == ranked(unmerged, q)
