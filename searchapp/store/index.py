"""The index on disk: open or create it, one writer at a time, batches written and committed whole.

* **Opening** (:func:`open_index`): an index made by another version of searchapp (fields
  missing) is refused with the fix (``--rebuild``); a folder that holds something else is never
  taken over.  Opening retries when a writer's commit deletes the table of contents being read.
* **One writer** (:class:`IndexerLock`): a run holds an ``flock`` on ``indexer.lock`` for its whole
  duration; the kernel releases it when the process dies, so a killed run never leaves a stale
  lock.  A second run waits up to its lock timeout, then stops with a message.  Readers are never
  blocked: they see the last commit.
* **Batches** (:func:`batch_writer`, a context manager): a Whoosh writer with searchapp's compact
  codec that commits when the block ends and cancels on any error or interruption.  Whoosh writes
  a new generation's table of contents only after its segment files are complete, so an
  interrupted run (Ctrl-C, a crash, SIGKILL) leaves the index at its last commit.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path

from whoosh import index as whoosh_index
from whoosh import writing
from whoosh.filedb.filestore import FileStorage
from whoosh.index import LockError

from ..errors import IndexBusy, IndexDamaged, IndexUnavailable
from .codec import CompactCodec
from .custom import FACETS_FILE
from .internals import (
    WriterProcessFailed,
    committed_generation,
    is_index_file,
    latest_generation,
    parallel_writer,
    read_segments_in_place,
    read_toc,
    register_pickled_names,
    remove_unreferenced,
    segment_columns,
    segment_files,
    streaming_writer,
    toc_name,
)
from .schema import ADDED_LATER, build_schema
from .shards import shard_dirs

LOCK_FILE = "indexer.lock"
TAG_CACHE_FOLDER = "tag-cache"  # searchapp.ingest.tagcache: the tags of paragraphs already seen, kept beside the index
CHECKSUMS_FILE = "checksums.json"  # size and SHA-256 of every committed file, recorded at commit
RECOVERY = (
    "nothing was changed; restore the folder from a snapshot (README: Restoring an index) "
    "or rebuild it with `searchapp index --rebuild PATH...`"
)
_held_locks: set[int] = set()  # descriptors of the IndexerLocks this process holds


def _drop_locks_in_child() -> None:
    """In a forked child (a tagging worker), close the inherited lock descriptors.

    An ``flock`` belongs to the open file description, which a fork shares: a child that kept the
    descriptor would hold the lock after its parent died.  Closing the child's copy leaves the
    parent's lock held and makes the parent's death release it.
    """
    for fd in list(_held_locks):
        with suppress(OSError):
            os.close(fd)
    _held_locks.clear()


os.register_at_fork(after_in_child=_drop_locks_in_child)


def open_index(index_dir: str | Path, create: bool = False, read_only: bool = False, rebuild: bool = False):
    """The index in ``index_dir``; created when ``create`` and there is none yet.

    ``read_only`` opens it on a storage that refuses every write (a replica, a snapshot).  A
    damaged index (:func:`damage`) is :class:`IndexDamaged` naming the file, never taken for an
    empty folder: only ``rebuild`` starts a new index over it (whose first commit deletes the
    old files).
    """
    path = Path(index_dir)
    register_pickled_names()
    read_segments_in_place()
    if path.exists() and not path.is_dir():
        raise IndexUnavailable(f"{path}: not a folder")
    try:
        opened = _open_existing(path, read_only) if path.is_dir() else None
    except IndexDamaged:
        if not (create and rebuild):
            raise
        (path / CHECKSUMS_FILE).unlink(missing_ok=True)  # a new index counts its generations from 0 again
        return whoosh_index.create_in(str(path), build_schema())
    if opened is not None:
        ix, field_names = opened
        missing = set(build_schema().names()) - field_names - set(ADDED_LATER)
        if missing:  # fields this version needs (extra, older fields are harmless)
            raise IndexUnavailable(
                f"{path}: index made by another version of searchapp (no {', '.join(sorted(missing))}); "
                "run `searchapp index --rebuild`"
            )
        return ix
    leftovers = sorted(p.name for p in path.iterdir() if is_index_file(p.name)) if path.is_dir() else []
    if leftovers and not (create and rebuild):  # segments without a table of contents: an index that lost it
        raise IndexDamaged(
            f"{path}: damaged index: segment files ({', '.join(leftovers[:3])}{', ...' if len(leftovers) > 3 else ''}) "
            f"but no table of contents (_MAIN_<N>.toc); {RECOVERY}"
        )
    if not create:
        raise IndexUnavailable(f"{path}: no index here yet; build one with `searchapp index --index-dir {path} PATH...`")
    if path.is_dir() and any(p for p in path.iterdir() if not (_ours(p.name) or (rebuild and is_index_file(p.name)))):
        raise IndexUnavailable(f"{path}: folder is not empty and holds no index; choose an empty or new folder")
    try:
        path.mkdir(parents=True, exist_ok=True)
        (path / CHECKSUMS_FILE).unlink(missing_ok=True)
        return whoosh_index.create_in(str(path), build_schema())
    except OSError as exc:
        for leftover in path.glob("*MAIN_*") if path.is_dir() else ():  # a creation cut short (full disk)
            leftover.unlink(missing_ok=True)
        raise IndexUnavailable(f"{path}: cannot create index: {exc.strerror or exc}") from None


def _open_existing(path: Path, read_only: bool):
    """(index, its field names) of the index in ``path``, or None when there is none.

    Each step reads the newest table of contents, which a writer's commit may delete between
    listing and opening it; then the next generation is read instead (as Whoosh's own
    ``Index.reader()`` does).
    """
    for _ in range(20):
        generation = latest_generation(FileStorage(str(path))) if path.is_dir() else -1
        if generation < 0:
            return None
        problems = damage(path, deep=False)
        if problems is None:  # a commit replaced the generation being checked: look again
            time.sleep(0.05)
            continue
        if problems:
            raise IndexDamaged(f"{path}: damaged index: {'; '.join(problems)}; {RECOVERY}")
        try:
            ix = whoosh_index.open_dir(str(path), readonly=read_only)
            return ix, set(ix.schema.names())
        except FileNotFoundError:
            time.sleep(0.05)
        except Exception as exc:  # what Whoosh raises on a file damage() could not see
            raise IndexDamaged(f"{path}: damaged index: cannot open it ({type(exc).__name__}: {exc}); {RECOVERY}") from None
    raise IndexUnavailable(f"{path}: cannot open index: its files keep changing under it; try again")


def damage(path: Path, deep: bool) -> list[str] | None:
    """What is wrong with the files of the index's newest generation, each naming its file ([]: nothing).

    Every file the table of contents names must exist with the size recorded at commit
    (``checksums.json``); ``deep`` also compares every file's SHA-256 (``searchapp check``).  None
    when a commit replaced the generation while it was being checked (look again).
    """
    storage = FileStorage(str(path))
    generation = latest_generation(storage)
    toc = toc_name(generation)
    recorded = recorded_checksums(path)
    problems = []
    if generation < 0:
        return []
    try:
        contents = read_toc(storage, generation=generation)
    except FileNotFoundError:
        return None
    except Exception as exc:
        problems.append(f"{toc}: unreadable table of contents ({type(exc).__name__}: {exc or 'empty'})")
        return problems if latest_generation(storage) == generation else None
    names = [toc] + [name for name, _ in segment_files(storage, contents)]
    for name in names:
        file = path / name
        try:
            size = file.stat().st_size
        except FileNotFoundError:
            problems.append(f"{name}: missing (a file of generation {generation})")
            continue
        if name in recorded and recorded[name][0] != size:
            problems.append(f"{name}: {size:,} bytes where {recorded[name][0]:,} were committed (truncated or overwritten)")
        elif deep and name in recorded and _sha256(file) != recorded[name][1]:
            problems.append(f"{name}: its contents differ from those committed (SHA-256 mismatch)")
    if problems and latest_generation(storage) != generation:
        return None
    return problems


def verify_before_writing(index_dir: str | Path) -> None:
    """IndexDamaged unless every file of the index has the SHA-256 recorded at its commit.

    Called by an indexing run, under the lock (no commit can move the generation meanwhile), so a
    run never builds on altered files; it reads the whole index once (about a second a GB).
    """
    path = Path(index_dir)
    problems = damage(path, deep=True)
    if problems:
        raise IndexDamaged(f"{path}: damaged index: {'; '.join(problems)}; {RECOVERY}")


@dataclass(frozen=True)
class CheckReport:
    """What ``searchapp check`` found: the problems (each naming its file) and what was verified."""

    generation: int
    files: int
    documents: int
    problems: list[str]
    unrecorded: list[str]  # files committed before checksums were recorded: present, not verified


def check_index(index_dir: str | Path) -> CheckReport:
    """Verify the newest generation: its table of contents, and every file's presence, size and SHA-256.

    Then every stored document is read once, which finds damage in files that predate checksums.
    A sharded index is checked shard by shard (each problem names its shard's file); its
    generation is the newest of its shards'.
    """
    dirs = shard_dirs(index_dir)
    if dirs is None:
        return _check_one(index_dir)
    reports = [_check_one(folder) for folder in dirs]
    return CheckReport(
        max(r.generation for r in reports),
        sum(r.files for r in reports),
        sum(r.documents for r in reports),
        [f"{folder.name}/{problem}" if not problem.startswith(str(folder)) else problem for folder, r in zip(dirs, reports, strict=True) for problem in r.problems],
        [f"{folder.name}/{name}" for folder, r in zip(dirs, reports, strict=True) for name in r.unrecorded],
    )


def _check_one(index_dir: str | Path) -> CheckReport:
    """:func:`check_index` of one index folder."""
    path = Path(index_dir)
    if not path.is_dir():
        raise IndexUnavailable(f"{path}: no such folder")
    for _ in range(20):
        problems = damage(path, deep=True)
        if problems is not None:
            break
        time.sleep(0.05)
    else:
        raise IndexUnavailable(f"{path}: its files keep changing under the check; try again")
    storage = FileStorage(str(path))
    generation = latest_generation(storage)
    if generation < 0 and not problems:
        open_index(path)  # no index, or segments without a table of contents: its own message
    if problems:
        return CheckReport(generation, 0, 0, problems, [])
    _, files = committed_generation(storage)
    recorded = recorded_checksums(path)
    documents = 0
    try:
        with open_index(path).reader() as reader:
            for _ in reader.all_stored_fields():
                documents += 1
    except IndexDamaged as exc:
        return CheckReport(generation, len(files), 0, [str(exc)], [])
    except Exception as exc:  # Whoosh's own errors on a damaged file
        problems.append(f"reading the articles failed after {documents}: {type(exc).__name__}: {exc}")
    return CheckReport(generation, len(files), documents, problems, [n for n in files if n not in recorded])


def record_checksums(ix) -> None:
    """Record the size and SHA-256 of every file of the committed generation (new files are hashed once).

    Written after each commit (a temporary file renamed over the last), read by :func:`damage`.
    Segment files are never rewritten in place, so a recorded checksum holds until the file goes.
    """
    path = Path(ix.storage.folder)
    _, files = committed_generation(ix.storage)
    recorded = recorded_checksums(path)
    sums = {name: recorded.get(name) or [(path / name).stat().st_size, _sha256(path / name)] for name in files}
    temporary = path / (CHECKSUMS_FILE + ".tmp")
    temporary.write_text(json.dumps(sums, indent=0, sort_keys=True), encoding="utf-8")
    os.replace(temporary, path / CHECKSUMS_FILE)


def recorded_checksums(path: Path) -> dict[str, list]:
    """file name -> [size, SHA-256] as recorded at the commits of the index in ``path`` ({} when none)."""
    try:
        data = json.loads((path / CHECKSUMS_FILE).read_text(encoding="utf-8"))
        return data if isinstance(data, dict) else {}
    except (OSError, ValueError):
        return {}


def _sha256(file: Path) -> str:
    digest = hashlib.sha256()
    with open(file, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


# The aliases an index's entities are normalised with (searchapp.ingest.curate): a copy of the
# user's file, and the digest of the aliases (built-in and user's) last applied to every article.
ALIASES_FILE = "aliases.toml"
ALIASES_RECORD = "aliases.digest"  # JSON, under a name no reader takes for an input
# The corpus-wide pass (searchapp.ingest.corpus): the aliases it derived (read by users) and each article's evidence.
CORPUS_ALIASES_FILE = "corpus-aliases.toml"
CORPUS_EVIDENCE_FILE = "corpus-evidence.json"


def _ours(name: str) -> bool:
    """A file that an empty index folder may hold: the lock, checksums, facets, git keepers, Whoosh's leftovers of a failed creation."""
    return name in (
        LOCK_FILE, CHECKSUMS_FILE, CHECKSUMS_FILE + ".tmp", ".gitignore", ".gitkeep", "MAIN_WRITELOCK", FACETS_FILE, ALIASES_FILE, ALIASES_RECORD, TAG_CACHE_FOLDER,
        CORPUS_ALIASES_FILE, CORPUS_EVIDENCE_FILE,
        "shards", "shards.toml",  # a sharded index (searchapp.store.shards) rebuilt as one
    ) or name.startswith("_MAIN_")


class IndexerLock:
    """Exclusive lock held for a whole indexing run (released by the kernel if the process dies)."""

    def __init__(self, index_dir: Path, timeout: float) -> None:
        self.path = index_dir / LOCK_FILE
        self.timeout = timeout
        self._fd: int | None = None

    def __enter__(self) -> IndexerLock:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            # O_CLOEXEC: a program the indexer executes does not inherit the lock either.
            self._fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
        except OSError as exc:
            raise IndexUnavailable(f"{self.path.parent}: cannot write to the index folder: {exc.strerror or exc}") from None
        deadline = time.monotonic() + self.timeout
        while True:
            try:
                fcntl.flock(self._fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    holder = os.pread(self._fd, 32, 0).decode(errors="replace").strip()
                    os.close(self._fd)
                    self._fd = None
                    raise IndexBusy(
                        f"{self.path.parent}: another `searchapp index` (pid {holder or '?'}) is writing this index; "
                        f"waited {self.timeout:.0f}s (set SEARCHAPP_LOCK_TIMEOUT to wait longer)"
                    ) from None
                time.sleep(0.2)
        _held_locks.add(self._fd)
        os.ftruncate(self._fd, 0)
        os.pwrite(self._fd, str(os.getpid()).encode(), 0)
        return self

    def __exit__(self, *exc) -> None:
        if self._fd is not None:
            _held_locks.discard(self._fd)
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None


@dataclass(frozen=True)
class StoredKey:
    """What an indexing run needs to know of a document already indexed (read from columns)."""

    id: str
    content_hash: str
    file_source: str  # the absolute path of a one-article file, else ""
    dup_bands: bytes  # the near-duplicate LSH band keys, empty when none
    dup_group: str


def stored_keys(ix) -> Iterator[StoredKey]:
    """The keys of every live document of the index, read from its columns in one pass."""
    with ix.reader() as reader:
        if reader.doc_count() == 0:
            return
        columns = {
            name: list(segment_columns(reader, name)) for name in ("id", "content_hash", "file_source", "dup_bands", "dup_group")
        }
        for segment, (offset, count, ids) in enumerate(columns["id"]):
            others = {name: columns[name][segment][2] for name in ("content_hash", "file_source", "dup_bands", "dup_group")}
            for docnum in range(count):
                if reader.is_deleted(offset + docnum):
                    continue
                values = {name: (column[docnum] if column is not None else "") for name, column in others.items()}
                yield StoredKey(ids[docnum], **values)


@contextmanager
def batch_writer(
    ix,
    clear: bool,
    timeout: float,
    extra_fields: dict | None = None,
    merge_all: bool = False,
    processes: int = 1,
    documents: int = 0,
    policy=None,
) -> Iterator[writing.IndexWriter]:
    """A writer that commits when the block ends and cancels on any error or interruption.

    ``clear`` makes the commit drop every earlier segment: the first batch of a rebuild replaces
    the old index in one step, so readers see the old index or the new one, never neither.
    ``merge_all`` makes the commit merge every segment into one (:func:`merge_segments`); else
    ``policy`` (Whoosh's merge-policy protocol) or Whoosh's default decides what it merges.
    ``extra_fields`` (name -> field type: the custom facets, :mod:`searchapp.store.custom`) are
    added to the schema when missing; a rebuild replaces one whose type changed.
    ``processes`` > 1 and ``documents`` (how many the block will add) at least
    :data:`PARALLEL_WRITE_MIN_DOCUMENTS`: they are analysed and written by that many processes
    (:func:`~searchapp.store.internals.parallel_writer`), the calling process only hands them over and
    commits; if one of them fails, nothing of the batch is committed.  Either way the segments a commit
    merges are streamed into the new one (:class:`~searchapp.store.internals.StreamingMerges`).
    """
    schema_changes = [name for name in (*ADDED_LATER, *(extra_fields or {})) if name not in ix.schema] or (clear and extra_fields)
    try:
        if processes > 1 and documents >= PARALLEL_WRITE_MIN_DOCUMENTS and not schema_changes:
            # (a process reads the schema of the last commit: a batch that changes it is written here)
            writer = parallel_writer(ix, processes, documents, timeout=timeout, codec=CompactCodec())
        else:
            writer = streaming_writer(ix, timeout=timeout, codec=CompactCodec())
    except LockError:
        raise IndexBusy(f"{ix.storage.folder}: the index is locked by another writer") from None
    except OSError as exc:
        raise _write_failed(ix, exc) from None
    for name, fieldtype in ADDED_LATER.items():  # an index made before these fields existed gets them now
        if name not in writer.schema:
            writer.add_field(name, fieldtype)
    for name, fieldtype in (extra_fields or {}).items():
        if name in writer.schema and clear and type(writer.schema[name]) is not type(fieldtype):
            writer.remove_field(name)
        if name not in writer.schema:
            writer.add_field(name, fieldtype)
    try:
        yield writer
    except BaseException as exc:
        with suppress(Exception):  # the writer may be broken by the very error being raised
            writer.cancel()
        if isinstance(exc, OSError):
            raise _write_failed(ix, exc) from None
        raise
    try:
        writer.commit(mergetype=writing.CLEAR if clear else writing.OPTIMIZE if merge_all else policy)
        record_checksums(ix)
    except OSError as exc:
        raise _write_failed(ix, exc) from None
    except WriterProcessFailed as exc:
        with suppress(Exception):
            writer.cancel()
        remove_unreferenced(ix.storage, ix.indexname)  # the segments the other processes wrote
        raise IndexUnavailable(f"{ix.storage.folder}: {exc}; this batch was not committed, every batch before it is kept: run the command again") from None


# A writer process of a batch is started for it and reads its documents from a file, so it needs
# enough of them to be worth its start; below, the batch is written in the calling process.
PARALLEL_WRITE_MIN_DOCUMENTS = 400



def segment_count(ix) -> int:
    """How many segments the index's current generation has (each is searched apart)."""
    with ix.reader() as reader:
        return sum(1 for _ in reader.leaf_readers())


def _keep_largest(keep: int):
    """A merge policy: the smallest segments merged (with the commit's own) so that ``keep`` remain."""

    def policy(writer, segments: list) -> list:
        return _absorb(writer, segments, sorted(segments, key=lambda s: s.doc_count_all())[: max(0, len(segments) - keep + 1)])

    return policy


def _absorb(writer, segments: list, chosen: list) -> list:
    """Add the ``chosen`` segments to the segment ``writer`` writes; the others, kept as they are."""
    from whoosh.reading import SegmentReader

    for segment in chosen:
        reader = SegmentReader(writer.storage, writer.schema, segment)
        writer.add_reader(reader)
        reader.close()
    return [segment for segment in segments if segment not in chosen]


def merge_segments(ix, timeout: float, keep: int = 1) -> int:
    """Merge the smallest segments of the index so that at most ``keep`` remain (1: all into one); returns how many it merged.

    A search reads every segment's postings apart, so an index that many commits left in many
    segments answers slower (18 segments after 100,000 articles doubled bare Whoosh's p50 in
    BENCHMARKS.md section 2).  A run that wrote most of the index merges it into one; a run that
    added a few articles to a large index merges only the small segments (a million articles
    merged again for ten new ones would take most of an hour).  Readers see the old segments or
    the merged one, never neither: the merge is one commit.
    """
    before = segment_count(ix)
    if before <= max(1, keep):
        return 0
    with batch_writer(ix, False, timeout, merge_all=keep <= 1, policy=None if keep <= 1 else _keep_largest(keep)):
        pass
    return before if keep <= 1 else before - keep + 1


def _write_failed(ix, exc: OSError) -> IndexUnavailable:
    """The error for a failed write (full disk, read-only folder): the last commit stays the index.

    Whoosh writes a new generation's table of contents only after its segment files are complete,
    so the files of the failed batch are unreferenced; they are removed (best effort) so that they
    neither fill the disk nor are ever taken as part of the index.
    """
    folder = ix.storage.folder
    remove_unreferenced(ix.storage, ix.indexname)
    return IndexUnavailable(
        f"{folder}: cannot write the index: {exc.strerror or exc}; every batch committed before is kept "
        "(free some space or make the folder writable, then re-run to index the rest)"
    )


def remove_ids(index_dir: str | Path, ids: Iterable[str], lock_timeout: float = 30.0) -> tuple[list[str], list[str]]:
    """Delete articles by id; returns (removed, not found)."""
    index_dir = Path(index_dir)
    removed: list[str] = []
    targets = shard_dirs(index_dir) or [index_dir]  # a sharded index: the article is in one of its shards
    for target in targets:
        open_index(target)  # no index here: say so before the lock creates the folder
    ids = list(dict.fromkeys(ids))
    with IndexerLock(index_dir, lock_timeout):
        for target in targets:
            ix = open_index(target)
            with ix.searcher() as searcher:
                here = [article_id for article_id in ids if article_id not in removed and searcher.document_number(id=article_id) is not None]
            if here:
                with batch_writer(ix, False, lock_timeout) as writer:
                    for article_id in here:
                        writer.delete_by_term("id", article_id)
                removed.extend(here)
    return [i for i in ids if i in removed], [i for i in ids if i not in removed]
