"""Segments: each commit merges a full size tier (store.index.merge_tiers); an indexing run that leaves more
segments than SEARCHAPP_MAX_SEGMENTS merges them, into one when it wrote most of the index, else the
smallest only (store.index.merge_segments)."""

from __future__ import annotations

import pytest

from searchapp.ingest.run import IndexOptions, index_paths
from searchapp.query import SearchIndex, SearchRequest
from searchapp.store.index import MERGE_FACTOR, batch_writer, open_index, segment_count, verify_before_writing
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


def test_a_run_past_the_limit_merges_its_segments_into_one_and_searches_the_same(unmerged, tmp_path):
    assert segment_count(open_index(unmerged)) >= 2
    folder = tmp_path / "index"
    summary = index_paths([SAMPLES], folder, IndexOptions(processes=1, batch_size=1, max_segments=1))
    assert summary.merged_segments >= 2 and f"{summary.merged_segments} segments merged" in summary.describe()
    assert segment_count(open_index(folder)) == 1
    verify_before_writing(folder)  # the checksums were written for the merged generation
    for q in ("ceasefire", '"Security Council"', "Idlib OR Aleppo", ""):
        assert ranked(folder, q) == ranked(unmerged, q) and ranked(folder, q)


def test_a_run_within_the_limit_leaves_the_segments(unmerged, tmp_path):
    folder = tmp_path / "index"
    summary = index_paths([SAMPLES], folder, IndexOptions(processes=1, batch_size=1, max_segments=100))
    assert summary.merged_segments == 0
    assert segment_count(open_index(folder)) == segment_count(open_index(unmerged))


def segment_sizes(folder) -> list[int]:
    with open_index(folder).reader() as reader:
        return sorted(leaf.doc_count_all() for leaf, _ in reader.leaf_readers())


def test_a_commit_merges_a_size_tier_once_it_is_full_and_nothing_larger(tmp_path):
    folder = tmp_path / "index"
    ix = open_index(folder, create=True)
    with batch_writer(ix, False, 5.0) as writer:
        for number in range(200):  # one large segment, in the next tier up
            writer.add_document(id=f"big{number}", text="convoy aid")
    for batch in range(MERGE_FACTOR + 1):
        with batch_writer(ix, False, 5.0) as writer:
            for number in range(5):
                writer.add_document(id=f"b{batch}-{number}", text="ceasefire talks")
        if batch == MERGE_FACTOR - 1:  # ten small segments: the tier is full, the next commit merges it
            assert segment_sizes(folder) == [5] * MERGE_FACTOR + [200]
    assert segment_sizes(folder) == [5 * (MERGE_FACTOR + 1), 200]  # the tier and the commit's own; the large one kept
    assert open_index(folder).doc_count() == 200 + 5 * (MERGE_FACTOR + 1)


def test_a_run_adding_a_little_merges_only_the_smallest_segments(unmerged, tmp_path):
    import shutil

    folder = tmp_path / "index"
    shutil.copytree(unmerged, folder)
    before = segment_sizes(folder)
    assert len(before) >= 4
    extra = tmp_path / "more.jsonl"
    extra.write_text('{"id": "late-1", "title": "Convoy reaches Idlib", "text": "An aid convoy reached Idlib on Monday."}\n', encoding="utf-8")
    summary = index_paths([extra], folder, IndexOptions(processes=1, batch_size=1, max_segments=3))
    assert "segments merged" in summary.describe()
    after = segment_sizes(folder)
    assert len(after) == 3 and sum(after) == sum(before) + 1
    merged = sum(before) + 1 - sum(before[-2:])  # the smallest and the run's own article, in one segment
    assert after == sorted([*before[-2:], merged])  # the two largest kept as they were
