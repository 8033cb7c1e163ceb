"""Shared fixtures: the bundled sample corpus indexed once per session (spaCy loaded once)."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "samples"
SHARED = ROOT.parent / "shared"


@pytest.fixture(scope="session")
def sample_index(tmp_path_factory) -> Path:
    """An index of the bundled sample corpus, built the way the README builds it."""
    from searchapp.ingest.run import IndexOptions, index_paths
    index_dir = tmp_path_factory.mktemp("sample-index")
    summary = index_paths(
        [SAMPLES],
        index_dir,
        IndexOptions(manifest=SAMPLES / "manifest.csv", aliases_file=str(SAMPLES / "aliases.toml"), processes=1),
    )
    assert summary.added == 5 and not summary.rejected
    return index_dir


# FA-KES dev (CC BY: Abu Salem et al., ICWSM 2019), in ../shared beside the checkout (or ../../shared beside a
# git worktree of it, as tests/ingest/test_fakes_entities.py looks for it)
FAKES = next(
    (f for p in (ROOT.parent, ROOT.parent.parent) if (f := p / "shared/corpora/fakes-dev/fakes-dev.csv").is_file()),
    SHARED / "corpora/fakes-dev/fakes-dev.csv",
)


BUILD_SUMMARIES: dict = {}  # index folder -> the Summary of the session fixture's indexing run


@pytest.fixture(scope="session")
def fakes_index(tmp_path_factory) -> Path:
    """The 379 articles of ../shared/corpora/fakes-dev indexed once per session (tests using it are slow; skipped without it)."""
    if not FAKES.exists():
        pytest.skip("needs ../shared/corpora/fakes-dev")
    from searchapp.ingest.run import IndexOptions, index_paths
    index_dir = tmp_path_factory.mktemp("fakes-index")
    summary = index_paths([FAKES], index_dir, IndexOptions(processes=2))
    assert summary.indexed == 379
    BUILD_SUMMARIES[index_dir] = summary
    return index_dir


@pytest.fixture(scope="session")
def sample_shards(sample_index, tmp_path_factory) -> Path:
    """The sample corpus indexed again in 3 shards (``--shards 3``), its tags from the sample index's tag cache."""
    import shutil

    from searchapp.ingest.run import IndexOptions, index_paths
    index_dir = tmp_path_factory.mktemp("sample-shards")
    if (sample_index / "tag-cache").is_dir():
        shutil.copytree(sample_index / "tag-cache", index_dir / "tag-cache")
    options = IndexOptions(manifest=SAMPLES / "manifest.csv", aliases_file=str(SAMPLES / "aliases.toml"), processes=1, shards=3)
    summary = index_paths([SAMPLES], index_dir, options)
    assert summary.added == 5 and not summary.rejected
    return index_dir


@pytest.fixture(scope="session")
def search_index(sample_index):
    from searchapp.query.search import SearchIndex
    return SearchIndex(sample_index)


@pytest.fixture()
def app(sample_index):
    from searchapp.web import create_app

    return create_app({"TESTING": True, "INDEX_DIR": str(sample_index)})


@pytest.fixture()
def client(app):
    return app.test_client()


@pytest.fixture()
def cluster(tmp_path):
    """A Dask scheduler on loopback, without workers (``cluster.add_worker(name)``), stopped after the test."""
    from tests.dask_cluster import Cluster

    folder = tmp_path / "cluster"
    folder.mkdir()
    running = Cluster(folder)
    try:
        yield running
    finally:
        running.stop()
