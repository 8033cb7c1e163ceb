"""Snapshots taken while an indexer writes, and replicas serving them read-only."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import threading
import time
import urllib.request
from pathlib import Path

import pytest
from click.testing import CliRunner

from searchapp.cli import main
from searchapp.errors import SnapshotError
from searchapp.query.search import SearchIndex, SearchRequest
from searchapp.store.index import CHECKSUMS_FILE, batch_writer, open_index
from searchapp.store.snapshot import committed_files, take_snapshot
from tests.test_faults import SEARCHAPP, check_index, env, generation, index_command, wait_for_commit, write_corpus


def folder_state(folder: Path) -> dict[str, tuple[int, int]]:
    return {p.name: (p.stat().st_size, p.stat().st_mtime_ns) for p in folder.iterdir()}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def get_json(url: str) -> dict:
    with urllib.request.urlopen(url, timeout=30) as response:
        return json.loads(response.read())


@pytest.mark.slow
def test_a_snapshot_taken_during_indexing_is_served_read_only_with_every_article_of_its_generation(tmp_path):
    records = write_corpus(tmp_path / "c.jsonl", 600)
    index_dir, snap = tmp_path / "ix", tmp_path / "snap"
    run = subprocess.Popen(index_command(index_dir, tmp_path / "c.jsonl", 20), stderr=subprocess.PIPE, text=True, env=env())
    try:
        assert wait_for_commit(index_dir, run, after=1), "no batch committed"
        taken = CliRunner().invoke(main, ["snapshot", "--index-dir", str(index_dir), str(snap)])
        still_running = run.poll() is None
    finally:
        _, stderr = run.communicate(timeout=600)
    assert run.returncode == 0, stderr
    assert taken.exit_code == 0, taken.output
    assert still_running, "the indexer finished before the snapshot: nothing was tested"
    count = check_index(snap, records, 20)  # whole batches, the first articles of the corpus, each once
    assert 0 < count < 600
    assert f"snapshot of generation {generation(snap)}: {count} articles" in taken.output

    os.chmod(snap, 0o555)  # a replica may sit on read-only storage
    before = folder_state(snap)
    port = free_port()
    server = subprocess.Popen(
        [SEARCHAPP, "serve", "--index-dir", str(snap), "--port", str(port), "--workers", "1", "--read-only"],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env(),
    )  # fmt: skip
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while True:
            try:
                get_json(f"{base}/api/search?q=geneva&per_page=1")
                break
            except OSError:
                assert time.monotonic() < deadline and server.poll() is None, "the server did not start"
                time.sleep(0.2)
        assert get_json(f"{base}/api/search?q=geneva")["total"] == count
        exported = get_json(f"{base}/export.json?q=geneva&collapse=0")
        assert sorted(hit["id"] for hit in exported["hits"]) == sorted(records)[:count]
        last = sorted(records)[count - 1]
        one = get_json(f"{base}/api/search?q=zq{int(last[1:])}x")
        assert [hit["id"] for hit in one["hits"]] == [last]
    finally:
        server.terminate()
        server.communicate(timeout=30)
        os.chmod(snap, 0o755)
    assert folder_state(snap) == before  # serving wrote nothing


@pytest.mark.slow
def test_snapshots_chase_a_writer_that_merges_segments(tmp_path):
    """Each snapshot is one committed generation, whole, even while commits merge and delete segments."""
    index_dir = tmp_path / "ix"
    ix = open_index(index_dir, create=True)
    done = threading.Event()
    batches = 60

    def write() -> None:
        try:
            for batch in range(batches):
                with batch_writer(ix, False, 30) as writer:  # the default merge policy merges small segments
                    for n in range(10):
                        writer.add_document(id=f"d{batch * 10 + n:05d}", content_hash="h", title=f"story {batch}", text="ceasefire talks")
        finally:
            done.set()

    writer = threading.Thread(target=write)
    writer.start()
    counts = []
    while not done.is_set():
        snap = tmp_path / f"snap{len(counts)}"
        info = take_snapshot(index_dir, snap)
        snapshot = open_index(snap)
        with snapshot.searcher() as searcher:
            ids = sorted(fields["id"] for fields in searcher.all_stored_fields())
        assert ids == [f"d{n:05d}" for n in range(len(ids))]  # the first batches, each once
        assert len(ids) == info.documents and len(ids) % 10 == 0
        assert sorted(p.name for p in snap.iterdir()) == sorted(committed_files(snap)[1] + [CHECKSUMS_FILE])  # the files and their checksums
        counts.append(len(ids))
    writer.join()
    assert counts == sorted(counts) and len(set(counts)) > 3, counts
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".partial")]


@pytest.mark.slow
def test_a_replica_serves_the_generation_it_opened(tmp_path):
    records = write_corpus(tmp_path / "c.jsonl", 30)
    index_dir = tmp_path / "ix"
    done = subprocess.run(index_command(index_dir, tmp_path / "c.jsonl", 10), capture_output=True, text=True, env=env(), timeout=300)
    assert done.returncode == 0, done.stderr
    replica, live = SearchIndex(index_dir, read_only=True), SearchIndex(index_dir)
    assert replica.search(SearchRequest(q="geneva")).total == live.search(SearchRequest(q="geneva")).total == 30
    with batch_writer(open_index(index_dir), False, 30) as writer:
        writer.delete_by_term("id", sorted(records)[0])
    assert live.search(SearchRequest(q="geneva")).total == 29
    assert replica.search(SearchRequest(q="geneva")).total == 30


@pytest.mark.parametrize(
    "setup, message",
    [
        ("no index", "no index here yet"),
        ("destination not empty", "already exists; a snapshot goes into a new or empty folder"),
        ("destination is a file", "already exists; a snapshot goes into a new or empty folder"),
        ("destination under a file", "cannot create the snapshot folder"),
    ],
)
def test_snapshot_errors_are_clear_and_leave_nothing_behind(sample_index, tmp_path, setup, message):
    source, destination = sample_index, tmp_path / "snap"
    if setup == "no index":
        source = tmp_path / "empty"
    elif setup == "destination not empty":
        destination.mkdir()
        (destination / "notes.txt").write_text("mine")
    elif setup == "destination is a file":
        destination.write_text("mine")
    else:
        (tmp_path / "file").write_text("x")
        destination = tmp_path / "file" / "snap"
    result = CliRunner().invoke(main, ["snapshot", "--index-dir", str(source), str(destination)])
    assert result.exit_code == 2
    assert result.output.startswith("error: ") and message in result.output
    leftovers = [p.name for p in tmp_path.iterdir()]
    assert not [name for name in leftovers if name.endswith(".partial")]
    if setup != "no index":
        with pytest.raises(SnapshotError):
            take_snapshot(source, destination)


def test_the_corpus_aliases_travel_with_a_snapshot(sample_index, tmp_path):
    """`searchapp entities` on a replica says what the corpus-wide pass decided, as on the index it copies."""
    from searchapp.store.index import CORPUS_ALIASES_FILE, CORPUS_EVIDENCE_FILE

    take_snapshot(sample_index, tmp_path / "snap")
    assert (tmp_path / "snap" / CORPUS_ALIASES_FILE).read_text(encoding="utf-8") == (sample_index / CORPUS_ALIASES_FILE).read_text(encoding="utf-8")
    assert not (tmp_path / "snap" / CORPUS_EVIDENCE_FILE).exists()  # the evidence is the writer's, rebuilt when needed
