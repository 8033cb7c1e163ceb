"""Tagging on a real Dask cluster: a scheduler and workers started with Dask's own CLI on loopback.

`searchapp index --scheduler` runs as the console script, as a user would run it; its index is
compared, document by document and term by term, with the index a local run makes of the same
input, also when a worker is SIGKILLed while it holds a batch.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

import pytest
from whoosh import index as whoosh_index

from searchapp.errors import ClusterError
from searchapp.ingest.cluster import ClusterTagger
from searchapp.ingest.entities import Aliases
from searchapp.ingest.models import Article
from searchapp.ingest.tagging import PIPELINE_VERSION, load_pipeline
from tests.conftest import SAMPLES
from tests.test_faults import SEARCHAPP, env, write_corpus

BATCH = 20
pytestmark = [pytest.mark.slow, pytest.mark.filterwarnings("ignore::ResourceWarning")]


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("cluster-corpus")
    write_corpus(folder / "wire.jsonl", 400)
    return folder / "wire.jsonl"


def index_args(index_dir: Path, corpus: Path, *extra: str) -> list[str]:
    return [
        SEARCHAPP, "index", "--index-dir", str(index_dir), "--batch-size", str(BATCH), "--quiet",
        "--manifest", str(SAMPLES / "manifest.csv"), "--aliases", str(SAMPLES / "aliases.toml"), *extra, str(SAMPLES), str(corpus),
    ]  # fmt: skip


@pytest.fixture(scope="module")
def local_index(tmp_path_factory, corpus) -> Path:
    index_dir = tmp_path_factory.mktemp("local") / "ix"
    done = subprocess.run(index_args(index_dir, corpus, "--processes", "2"), capture_output=True, text=True, env=env(), timeout=600)
    assert done.returncode == 0, done.stderr
    return index_dir


def contents(index_dir: Path) -> tuple[dict[str, dict], list[tuple]]:
    """Every stored document by id, and every (field, term, document frequency) of the index."""
    ix = whoosh_index.open_dir(str(index_dir))
    with ix.searcher() as searcher:
        reader = searcher.reader()
        documents = {fields["id"]: fields for fields in searcher.all_stored_fields()}
        terms = sorted((name, term, reader.doc_frequency(name, term)) for name, term in reader.all_terms())
    return documents, terms


def test_a_cluster_run_indexes_exactly_what_a_local_run_does(cluster, corpus, local_index, tmp_path):
    for name in ("w1", "w2"):
        cluster.add_worker(name)
    cluster.wait_for_workers(2)
    index_dir = tmp_path / "ix"
    done = subprocess.run(
        index_args(index_dir, corpus, "--scheduler", cluster.address), capture_output=True, text=True, env=env(), timeout=600
    )
    assert done.returncode == 0, done.stderr
    assert "indexed 405 (405 new, 0 updated)" in done.stderr
    documents, terms = contents(index_dir)
    expected_documents, expected_terms = contents(local_index)
    assert len(documents) == 405
    assert documents == expected_documents
    assert terms == expected_terms
    with cluster.client() as client:  # each worker loaded the spaCy pipeline once, and both tagged
        loads = client.run(load_pipeline.cache_info)
    assert sorted(info.misses for info in loads.values()) == [1, 1]

    again = subprocess.run(
        index_args(index_dir, corpus, "--scheduler", cluster.address), capture_output=True, text=True, env=env(), timeout=600
    )
    assert again.returncode == 0 and "indexed 0 (0 new, 0 updated), unchanged 405" in again.stderr

    rebuilt = subprocess.run(
        index_args(index_dir, corpus, "--scheduler", cluster.address, "--rebuild"), capture_output=True, text=True, env=env(), timeout=600
    )
    assert rebuilt.returncode == 0, rebuilt.stderr
    assert "indexed 405 (405 new, 0 updated)" in rebuilt.stderr and ", paragraphs tagged 0, reused " in rebuilt.stderr  # the tag cache
    assert contents(index_dir) == (expected_documents, expected_terms)


def test_a_worker_killed_mid_run_has_its_batch_retried_without_duplicates(cluster, corpus, local_index, tmp_path):
    for name in ("w1", "w2"):
        cluster.add_worker(name)
    cluster.wait_for_workers(2)
    index_dir = tmp_path / "ix"
    run = subprocess.Popen(index_args(index_dir, corpus, "--scheduler", cluster.address), stderr=subprocess.PIPE, text=True, env=env())
    with cluster.client() as client:
        victim = None
        deadline = time.monotonic() + 120
        while victim is None and time.monotonic() < deadline and run.poll() is None:
            for address, keys in client.processing().items():
                name = client.scheduler_info()["workers"].get(address, {}).get("name")
                if name == "w2" and any(str(key).startswith("searchapp-tag-") for key in keys):
                    victim = address
            time.sleep(0.02)
        assert victim is not None, "the run ended before w2 held a batch"
        os.killpg(cluster.workers["w2"].pid, signal.SIGKILL)
    _, stderr = run.communicate(timeout=600)
    assert run.returncode == 0, stderr
    documents, terms = contents(index_dir)
    expected_documents, expected_terms = contents(local_index)
    assert documents == expected_documents
    assert terms == expected_terms


def test_cluster_errors_name_the_scheduler(cluster, corpus, tmp_path):
    bad = subprocess.run(
        index_args(tmp_path / "ix", corpus, "--scheduler", "localhost"), capture_output=True, text=True, env=env(), timeout=120
    )
    assert bad.returncode == 2
    assert "error: --scheduler 'localhost': not a scheduler address" in bad.stderr
    from_environment = subprocess.run(
        index_args(tmp_path / "ix", corpus), capture_output=True, text=True, env=env(SEARCHAPP_SCHEDULER="nonsense://"), timeout=120
    )
    assert from_environment.returncode == 2
    assert "error: SEARCHAPP_SCHEDULER='nonsense://': not a scheduler address" in from_environment.stderr
    lonely = subprocess.run(
        index_args(tmp_path / "ix", corpus, "--scheduler", cluster.address),
        capture_output=True, text=True, env=env(SEARCHAPP_SCHEDULER_TIMEOUT=2), timeout=120,
    )  # fmt: skip
    assert lonely.returncode == 2
    assert f"error: --scheduler {cluster.address}: no worker joined within 2s" in lonely.stderr
    assert not (tmp_path / "ix").exists() or whoosh_index.open_dir(str(tmp_path / "ix")).doc_count() == 0


class _FinishedFuture:
    """What a finished Dask future gives back: a value, or the exception the task raised."""

    def __init__(self, outcome) -> None:
        self.outcome = outcome

    def result(self, timeout=None):
        if isinstance(self.outcome, BaseException):
            raise self.outcome
        return self.outcome

    def release(self) -> None:
        pass


@pytest.mark.parametrize(
    "outcome, message",
    [
        (("ner-0", [([], [], "en")]), "a worker tags with searchapp pipeline ner-0, this indexer with"),
        (ModuleNotFoundError("No module named 'searchapp'"), "a worker cannot run searchapp's tagging .* install the same searchapp on every worker"),
    ],
)
def test_a_worker_without_this_searchapp_stops_the_run(outcome, message):
    tagger = ClusterTagger("tcp://127.0.0.1:8786", Aliases())
    article = Article(id="a1", title="t", paragraphs=["Delegates met in Geneva."], source="x.jsonl")
    with pytest.raises(ClusterError, match=message):
        tagger._collect([article], _FinishedFuture(outcome))


class _RecordingClient:
    """Stands in for a Dask client: runs each task at once, counts what was submitted."""

    def __init__(self, threads: int) -> None:
        self.threads = threads
        self.submitted = 0

    def nthreads(self) -> dict:
        return {f"tcp://127.0.0.1:{n}": 1 for n in range(self.threads)}

    def submit(self, function, batch, context, key):
        self.submitted += 1
        return _FinishedFuture((PIPELINE_VERSION, [([], [], "en") for _ in batch], (len(batch), 0)))


@pytest.mark.parametrize("threads", [1, 3])
def test_batches_in_flight_are_bounded_and_come_back_in_input_order(threads):
    tagger = ClusterTagger("tcp://127.0.0.1:8786", Aliases())
    tagger._client = _RecordingClient(threads)
    batches = [[Article(id=f"a{n}-{i}", title="t", paragraphs=["text"], source="x.jsonl") for i in range(3)] for n in range(40)]
    returned = []
    for tagged in tagger.tag(iter(batches)):
        returned.append([t.article.id for t in tagged])
        assert tagger._client.submitted - len(returned) < 2 * threads  # never more than 2 x threads ahead
    assert returned == [[a.id for a in batch] for batch in batches]
    assert (tagger.cache_stats.tagged, tagger.cache_stats.reused) == (120, 0)  # the workers' counts, added up
