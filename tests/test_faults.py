"""Faults and concurrency: SIGKILLed runs, two indexers, searching while indexing, full disks,
read-only and missing folders, stale locks.

The harness runs the real console script (``.venv/bin/searchapp``) in subprocesses over a
generated corpus of short JSONL articles, with ``--processes 1`` and a small ``--batch-size``:
each article ``a<N>`` carries the unique word ``zq<N>x``, so that "searchable exactly once" is a
one-term query.  Because an incremental run indexes the not-yet-indexed articles in input order,
one committed batch at a time, the index must always hold exactly the first ``k * BATCH``
articles: any half-written batch or duplicate shows.

Set ``FAULT_SEED`` to replay the kill delays of a failing run (the seed is in the failure message).
"""

from __future__ import annotations

import errno
import gc
import json
import os
import random
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from click.testing import CliRunner
from whoosh.filedb.filestore import FileStorage

from searchapp.cli import main
from searchapp.errors import IndexUnavailable
from searchapp.ingest.run import IndexOptions, index_paths
from searchapp.query.search import SearchIndex, SearchRequest
from searchapp.store.index import LOCK_FILE, IndexerLock, open_index
from searchapp.web import create_app

pytestmark = pytest.mark.slow  # real `searchapp index` processes, killed and restarted

SEARCHAPP = str(Path(sys.executable).with_name("searchapp"))
WORDS = ["ceasefire", "talks", "envoy", "council", "convoy", "aid", "border", "truce", "monitors", "delegation", "capital", "statement"]


def write_corpus(path: Path, count: int, seed: int = 7) -> dict[str, dict]:
    rng = random.Random(seed)
    records = {}
    with open(path, "w", encoding="utf-8") as f:
        for i in range(count):
            text = f"Delegates met in Geneva on Tuesday, report zq{i}x. " + " ".join(rng.choice(WORDS) for _ in range(20)) + "."
            record = {"id": f"a{i:05d}", "title": f"Story {i}", "text": text, "date": "2016-03-02", "source": "Reuters"}
            records[record["id"]] = record
            f.write(json.dumps(record) + "\n")
    return records


def env(**extra) -> dict[str, str]:
    out = dict(os.environ)
    out.pop("SEARCHAPP_INDEX_DIR", None)
    out.update({k: str(v) for k, v in extra.items()})
    return out


def index_command(index_dir: Path, corpus: Path, batch: int) -> list[str]:
    return [SEARCHAPP, "index", "--index-dir", str(index_dir), "--processes", "1", "--batch-size", str(batch), "--quiet", str(corpus)]


def generation(index_dir: Path) -> int:
    """The latest committed generation (-1: none yet), read from the TOC file names as a reader would."""
    try:
        names = os.listdir(index_dir)
    except FileNotFoundError:
        return -1
    gens = [int(n[len("_MAIN_") : -len(".toc")]) for n in names if n.startswith("_MAIN_") and n.endswith(".toc")]
    return max(gens, default=-1)


def wait_for_commit(index_dir: Path, proc: subprocess.Popen, after: int, timeout: float = 60) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if generation(index_dir) > after:
            return True
        if proc.poll() is not None:
            return False
        time.sleep(0.01)
    return False


def check_index(index_dir: Path, records: dict[str, dict], batch: int, sample: random.Random | None = None) -> int:
    """The index opens, holds whole committed batches of complete articles, each exactly once; returns how many."""
    ix = open_index(index_dir)
    ordered = sorted(records)
    with ix.searcher() as searcher:
        docs = list(searcher.all_stored_fields())
        ids = [d["id"] for d in docs]
        assert len(ids) == len(set(ids)), "duplicate ids"
        count = len(ids)
        assert sorted(ids) == ordered[:count], "the index is not the first articles of the corpus"
        assert count % batch == 0 or count == len(records), f"{count} articles: a partial batch is visible"
        for doc in docs:
            record = records[doc["id"]]
            assert doc["paragraphs"] == [record["text"]] and doc["title"] == record["title"], doc["id"]
            assert doc["outlet_name"] == "Reuters" and doc["published_iso"] == "2016-03-02" and doc["content_hash"]
        reader = searcher.reader()
        for n, doc_id in enumerate(ordered[: count + batch]):
            assert reader.doc_frequency("text", f"zq{int(doc_id[1:])}x") == (1 if n < count else 0), doc_id
    if sample is not None and count:
        index = SearchIndex(index_dir)
        for doc_id in sample.sample(ordered[:count], min(5, count)):
            result = index.search(SearchRequest(q=f"zq{int(doc_id[1:])}x"))
            assert result.total == 1 and [h.id for h in result.hits] == [doc_id]
    return count


def lock_is_free(index_dir: Path) -> None:
    """Neither searchapp's indexer lock nor Whoosh's write lock is left held by a dead process."""
    with IndexerLock(index_dir, timeout=0):
        pass
    if generation(index_dir) >= 0:
        open_index(index_dir).writer(timeout=0).cancel()


# ---------------------------------------------------------------------------------------------
# SIGKILL at random points


KILLS = 20
KILL_CORPUS = 2000
KILL_BATCH = 20


@pytest.mark.faults
def test_sigkill_at_random_points_loses_no_committed_batch_and_a_rerun_finishes(tmp_path):
    seed = int(os.environ.get("FAULT_SEED") or random.SystemRandom().randrange(1 << 30))
    rng = random.Random(seed)
    records = write_corpus(tmp_path / "corpus.jsonl", KILL_CORPUS)
    index_dir = tmp_path / "ix"
    command = index_command(index_dir, tmp_path / "corpus.jsonl", KILL_BATCH)
    counts = []
    kills = 0
    started = time.monotonic()
    while kills < KILLS and time.monotonic() - started < 300:
        before = generation(index_dir)
        proc = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env(SEARCHAPP_LOCK_TIMEOUT=5))
        if kills % 2:
            time.sleep(rng.uniform(0.0, 2.5))  # anywhere: start-up, model load, reading, tagging, committing
        elif wait_for_commit(index_dir, proc, before):
            time.sleep(rng.uniform(0.0, 0.4))  # while batches are being committed
        if proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
            kills += 1
        proc.wait()
        try:
            counts.append(check_index(index_dir, records, KILL_BATCH, rng) if generation(index_dir) >= 0 else 0)
            lock_is_free(index_dir)
        except Exception as exc:
            raise AssertionError(f"after kill {kills} (FAULT_SEED={seed}, counts {counts}): {exc!r}") from exc
    assert kills >= KILLS, f"only {kills} runs could be killed (FAULT_SEED={seed})"
    assert counts == sorted(counts), f"committed articles were lost: {counts} (FAULT_SEED={seed})"
    assert max(counts) > 0, f"no kill landed after a commit (FAULT_SEED={seed})"

    done = subprocess.run(command, capture_output=True, text=True, env=env(SEARCHAPP_LOCK_TIMEOUT=5), timeout=300)
    assert done.returncode == 0, done.stderr
    rest = KILL_CORPUS - counts[-1]
    assert f"indexed {rest} ({rest} new, 0 updated), unchanged {counts[-1]}" in done.stderr
    assert check_index(index_dir, records, KILL_BATCH, rng) == KILL_CORPUS


# ---------------------------------------------------------------------------------------------
# Two indexers; searching while indexing


@pytest.mark.faults
def test_second_indexer_waits_or_stops_and_searches_see_the_last_commit(tmp_path, monkeypatch):
    total, batch = 800, 20
    records = write_corpus(tmp_path / "corpus.jsonl", total)
    index_dir = tmp_path / "ix"
    command = index_command(index_dir, tmp_path / "corpus.jsonl", batch)
    first = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=env())
    try:
        assert wait_for_commit(index_dir, first, -1 if generation(index_dir) < 0 else generation(index_dir))
        # a second run that will not wait long stops with a message naming the holder
        impatient = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=env(SEARCHAPP_LOCK_TIMEOUT=0.5))
        # a patient one waits for the first to finish, then finds everything indexed
        patient = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=env(SEARCHAPP_LOCK_TIMEOUT=300))

        client = create_app({"TESTING": True, "INDEX_DIR": str(index_dir)}).test_client()
        seen: list[int] = []
        cli_totals: list[int] = []
        errors: list[str] = []

        def cli_searches():
            while first.poll() is None:
                out = subprocess.run([SEARCHAPP, "search", "--index-dir", str(index_dir), "--json", "geneva"], capture_output=True, text=True, timeout=120)
                if out.returncode:
                    errors.append(out.stderr)
                else:
                    cli_totals.append(json.loads(out.stdout)["total"])
                time.sleep(0.5)

        thread = threading.Thread(target=cli_searches)
        thread.start()
        while first.poll() is None:
            for url in ("/api/search?q=geneva", "/?q=geneva", "/api/search?q=zq3x", "/feed.atom?q=geneva", "/api/search?sort=newest&page=2"):
                response = client.get(url)
                if response.status_code != 200:
                    errors.append(f"{url}: {response.status_code} {response.get_data(as_text=True)[:300]}")
            seen.append(client.get("/api/search?q=geneva").get_json()["total"])
            time.sleep(0.2)
        thread.join()
        first_err = first.communicate()[1]
        assert first.returncode == 0, first_err
        patient_err = patient.communicate(timeout=300)[1]
        assert patient.returncode == 0, patient_err
        impatient_err = impatient.communicate(timeout=300)[1]
    finally:
        for proc in [first] + [locals()[name] for name in ("impatient", "patient") if name in locals()]:
            if proc.poll() is None:
                proc.kill()
                proc.communicate()

    assert impatient.returncode == 2, impatient_err
    assert f"another `searchapp index` (pid {first.pid}) is writing this index" in impatient_err
    assert impatient_err.startswith("error: ") and "Traceback" not in impatient_err
    assert f"indexed 0 (0 new, 0 updated), unchanged {total}" in patient_err
    assert not errors, errors[:3]
    for totals in (seen, cli_totals):
        assert totals == sorted(totals)  # never goes back
        assert all(t % batch == 0 or t == total for t in totals), totals  # only whole commits are seen
    assert len(set(seen)) > 1  # the searches did run while batches were committed
    assert check_index(index_dir, records, batch) == total


def test_a_dead_indexer_leaves_no_lock_behind(tmp_path):
    """A process holding the index lock is SIGKILLed: the next run gets the lock at once."""
    index_dir = tmp_path / "ix"
    code = (
        "import sys, time; from pathlib import Path; from searchapp.store.index import IndexerLock\n"
        "lock = IndexerLock(Path(sys.argv[1]), 0).__enter__(); print('locked', flush=True); time.sleep(60)"
    )
    holder = subprocess.Popen([sys.executable, "-c", code, str(index_dir)], stdout=subprocess.PIPE, text=True)
    assert holder.stdout.readline().strip() == "locked"
    with pytest.raises(IndexUnavailable, match=f"pid {holder.pid}"):
        IndexerLock(index_dir, timeout=0).__enter__()
    holder.send_signal(signal.SIGKILL)
    holder.wait()
    holder.stdout.close()
    assert (index_dir / LOCK_FILE).read_text() == str(holder.pid)  # the file stays, the lock does not
    lock_is_free(index_dir)
    records = write_corpus(tmp_path / "c.jsonl", 30)
    summary = index_paths([tmp_path / "c.jsonl"], index_dir, IndexOptions(processes=1, lock_timeout=0))
    assert summary.added == 30 and check_index(index_dir, records, 10) == 30


def descendants(pid: int) -> set[int]:
    """Every living descendant of ``pid`` (read from /proc, children of each thread)."""
    found: set[int] = set()
    todo = [pid]
    while todo:
        parent = todo.pop()
        for task in Path(f"/proc/{parent}/task").glob("*"):
            try:
                children = {int(c) for c in (task / "children").read_text().split()}
            except OSError:
                continue
            todo.extend(children - found)
            found |= children
    return found


def alive(pid: int) -> bool:
    """Whether ``pid`` is a process that is not a zombie."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


@pytest.mark.faults
@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGTERM], ids=["kill-9", "kill"])
def test_killing_a_parallel_indexer_kills_its_workers_and_frees_the_lock(tmp_path, sig):
    """The default two tagging processes die with the indexer and never hold its lock."""
    records = write_corpus(tmp_path / "corpus.jsonl", 1500)
    index_dir = tmp_path / "ix"
    command = [SEARCHAPP, "index", "--index-dir", str(index_dir), "--processes", "2", "--batch-size", "50", "--quiet", str(tmp_path / "corpus.jsonl")]
    proc = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env())
    try:
        assert wait_for_commit(index_dir, proc, 0), "the run committed no batch"  # generation 0: the empty index
        workers = descendants(proc.pid)
        assert len(workers) >= 2, workers  # the tagging pool is running
        proc.send_signal(sig)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    # a second run gets the lock at once (it waits for no one) and finishes the corpus
    done = subprocess.run(command, capture_output=True, text=True, env=env(SEARCHAPP_LOCK_TIMEOUT=0), timeout=600)
    deadline = time.monotonic() + 10
    while any(alive(w) for w in workers) and time.monotonic() < deadline:
        time.sleep(0.05)
    survivors = [w for w in workers if alive(w)]
    for worker in survivors:  # leave no orphan behind when this fails
        os.kill(worker, signal.SIGKILL)
    assert not survivors, "tagging workers outlived their indexer"
    assert done.returncode == 0, done.stderr
    assert check_index(index_dir, records, 50) == 1500


# ---------------------------------------------------------------------------------------------
# Full disk


class _Disk:
    def __init__(self, free: int) -> None:
        self.free = free


class _FullDiskFile:
    """A file object that fails with ENOSPC once the simulated disk is full."""

    def __init__(self, file, disk: _Disk) -> None:
        self._file = file
        self._disk = disk

    def write(self, data) -> int:
        self._disk.free -= len(data)
        if self._disk.free < 0:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        return self._file.write(data)

    def __getattr__(self, name):
        return getattr(self._file, name)


def simulate_full_disk(monkeypatch, free: int) -> _Disk:
    disk = _Disk(free)
    real = FileStorage.create_file

    def create_file(self, name, *args, **kwargs):
        created = real(self, name, *args, **kwargs)
        created.file = _FullDiskFile(created.file, disk)
        return created

    monkeypatch.setattr(FileStorage, "create_file", create_file)
    return disk


def referenced_files_only(index_dir: Path) -> None:
    """Every segment file in the folder belongs to the committed generation: nothing half-written is left."""
    from whoosh.index import TOC

    ix = open_index(index_dir)
    segments = {s.segment_id() for s in TOC.read(ix.storage, ix.indexname).segments}
    for name in os.listdir(index_dir):
        if name.startswith("MAIN_") and name != "MAIN_WRITELOCK":
            assert name.split(".")[0] in segments, name


@pytest.fixture()
def whoosh_leaks():
    """Whoosh leaves the files of a failed write open until garbage collection (a CLI run exits):
    collect them inside the test, so that their ResourceWarnings are not blamed on a later test."""
    yield
    gc.collect()


def without_column_report(stderr: str) -> str:
    """What a run printed after the record file's column report (its first line)."""
    lines = stderr.splitlines(keepends=True)
    return "".join(lines[1:]) if lines and ": columns: " in lines[0] else stderr


LEAKS = pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning", "ignore::ResourceWarning")


@LEAKS
@pytest.mark.parametrize("free", [2_000, 60_000])
def test_a_full_disk_stops_with_a_message_and_keeps_every_committed_batch(tmp_path, monkeypatch, free, whoosh_leaks):
    records = write_corpus(tmp_path / "c.jsonl", 200)
    index_dir = tmp_path / "ix"
    simulate_full_disk(monkeypatch, free)
    args = ["index", "--index-dir", str(index_dir), "--processes", "1", "--batch-size", "10", "--quiet", str(tmp_path / "c.jsonl")]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 2, result.output
    assert without_column_report(result.stderr).startswith((
        f"error: {index_dir}: cannot write the index: No space left on device; every batch committed before is kept",
        f"error: {index_dir}: cannot create index: No space left on device",  # full from the start
    ))
    assert "Traceback" not in result.output
    monkeypatch.undo()
    if generation(index_dir) >= 0:
        kept = check_index(index_dir, records, 10)
        referenced_files_only(index_dir)
    else:
        kept = 0
    lock_is_free(index_dir)
    again = CliRunner().invoke(main, args)
    assert again.exit_code == 0, again.output
    assert f"unchanged {kept}" in again.stderr
    assert check_index(index_dir, records, 10) == 200


@LEAKS
def test_a_full_disk_when_removing_is_a_clear_error(tmp_path, monkeypatch, whoosh_leaks):
    write_corpus(tmp_path / "c.jsonl", 20)
    index_paths([tmp_path / "c.jsonl"], tmp_path / "ix", IndexOptions(processes=1))
    simulate_full_disk(monkeypatch, 0)
    result = CliRunner().invoke(main, ["remove", "--index-dir", str(tmp_path / "ix"), "a00001"])
    assert result.exit_code == 2 and "cannot write the index: No space left on device" in result.stderr
    monkeypatch.undo()
    with open_index(tmp_path / "ix").searcher() as searcher:
        assert searcher.doc_count() == 20


# ---------------------------------------------------------------------------------------------
# Real small and read-only file systems (tmpfs; needs root, skipped otherwise)


@pytest.fixture()
def tmpfs(tmp_path):
    mountpoint = tmp_path / "mnt"
    mountpoint.mkdir()
    if os.geteuid() != 0:
        pytest.skip("mounting a tmpfs needs root")
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=400k", "tmpfs", str(mountpoint)], capture_output=True)
    if mounted.returncode:
        pytest.skip(f"cannot mount a tmpfs: {mounted.stderr.decode(errors='replace').strip()}")
    try:
        yield mountpoint
    finally:
        subprocess.run(["umount", "-l", str(mountpoint)], check=False)


def remount(mountpoint: Path, options: str) -> None:
    subprocess.run(["mount", "-o", f"remount,{options}", str(mountpoint)], check=True)


def test_a_really_full_disk(tmp_path, tmpfs):
    records = write_corpus(tmp_path / "c.jsonl", 300)
    remount(tmpfs, "size=64k")  # in searchapp.codec's format the 300 articles' index fits in 400 kB
    index_dir = tmpfs / "ix"
    command = index_command(index_dir, tmp_path / "c.jsonl", 50)
    full = subprocess.run(command, capture_output=True, text=True, env=env(), timeout=300)
    assert full.returncode == 2, full.stderr
    assert without_column_report(full.stderr).startswith(f"error: {index_dir}: cannot write the index: No space left on device")
    kept = check_index(index_dir, records, 50) if generation(index_dir) >= 0 else 0
    assert kept < 300
    remount(tmpfs, "size=20m")
    done = subprocess.run(command, capture_output=True, text=True, env=env(), timeout=300)
    assert done.returncode == 0, done.stderr
    assert check_index(index_dir, records, 50) == 300


def test_a_read_only_index_is_searched_but_not_written(tmp_path, tmpfs):
    remount(tmpfs, "size=20m")
    records = write_corpus(tmp_path / "c.jsonl", 40)
    index_dir = tmpfs / "ix"
    index_paths([tmp_path / "c.jsonl"], index_dir, IndexOptions(processes=1))
    remount(tmpfs, "ro")
    write_corpus(tmp_path / "more.jsonl", 50)
    result = subprocess.run(index_command(index_dir, tmp_path / "more.jsonl", 10), capture_output=True, text=True, env=env(), timeout=300)
    assert result.returncode == 2
    assert result.stderr.strip() == f"error: {index_dir}: cannot write to the index folder: Read-only file system"
    removed = subprocess.run([SEARCHAPP, "remove", "--index-dir", str(index_dir), "a00001"], capture_output=True, text=True, env=env(), timeout=120)
    assert removed.returncode == 2 and "Read-only file system" in removed.stderr
    searched = subprocess.run([SEARCHAPP, "search", "--index-dir", str(index_dir), "--json", "zq7x"], capture_output=True, text=True, env=env(), timeout=120)
    assert searched.returncode == 0 and json.loads(searched.stdout)["total"] == 1
    client = create_app({"TESTING": True, "INDEX_DIR": str(index_dir)}).test_client()
    assert client.get("/api/search?q=geneva").get_json()["total"] == 40
    assert check_index(index_dir, records, 40) == 40


# ---------------------------------------------------------------------------------------------
# Missing and unusable folders


def test_missing_index_folder_is_a_clear_error_everywhere(tmp_path):
    missing = tmp_path / "nowhere"
    result = CliRunner().invoke(main, ["search", "--index-dir", str(missing), "geneva"])
    assert result.exit_code == 2
    assert result.stderr.strip() == f"error: {missing}: no index here yet; build one with `searchapp index --index-dir {missing} PATH...`"
    result = CliRunner().invoke(main, ["remove", "--index-dir", str(missing), "x"])
    assert result.exit_code == 2 and "no index here yet" in result.stderr
    client = create_app({"TESTING": True, "INDEX_DIR": str(missing)}).test_client()
    for url in ("/", "/api/search", "/doc/x", "/export.csv", "/feed.atom"):
        response = client.get(url)
        assert response.status_code == 503, url
        assert "not available" in response.get_data(as_text=True)
        assert response.headers["Content-Security-Policy"].startswith("default-src 'self'; script-src 'none'")
    assert not missing.exists()  # searching never creates anything


def test_index_folder_under_a_file_is_a_clear_error(tmp_path):
    (tmp_path / "file").write_text("x", encoding="utf-8")
    write_corpus(tmp_path / "c.jsonl", 3)
    result = CliRunner().invoke(main, ["index", "--index-dir", str(tmp_path / "file" / "ix"), "--quiet", "--processes", "1", str(tmp_path / "c.jsonl")])
    assert result.exit_code == 2
    assert result.stderr.startswith(f"error: {tmp_path / 'file' / 'ix'}: cannot write to the index folder: ")
