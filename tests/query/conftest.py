"""Fixtures of the search side's tests."""

from __future__ import annotations

import pytest

from searchapp.ingest.run import IndexOptions, index_paths
from searchapp.store.index import open_index
from tests.conftest import SAMPLES


@pytest.fixture(scope="session")
def segmented(tmp_path_factory):
    """A searcher over the samples committed one article at a time and never merged: several segments,
    each numbering its documents from 0 (what offsets and per-segment statistics must get right)."""
    folder = tmp_path_factory.mktemp("segments") / "index"
    index_paths([SAMPLES], folder, IndexOptions(processes=1, batch_size=1, max_segments=0))
    with open_index(folder).searcher() as searcher:
        assert len(searcher.subsearchers or []) >= 2
        yield searcher


@pytest.fixture(scope="session")
def whole(sample_index):
    """A searcher over the sample index: one segment, a word's postings in several documents of a block."""
    with open_index(sample_index).searcher() as searcher:
        assert searcher.reader().is_atomic()
        yield searcher
