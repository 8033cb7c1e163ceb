"""Snapshots: a consistent copy of an index's last committed generation, taken while a writer runs.

A Whoosh index folder holds immutable segment files (``MAIN_<id>.*``) and one table of contents
per generation (``_MAIN_<n>.toc``), written under a temporary name and renamed into place after
the segment files it lists are complete.  The newest table of contents *is* the committed index.
So a snapshot reads the newest table of contents, opens every file it lists, and copies them.

The one race is with the writer's clean-up: after committing generation n+1 it deletes the files
that only generation n used (segments merged away).  Files are opened before any is copied, so
once they are all open a deletion cannot touch the copy (an unlinked file lives on while it is
open); if one is already gone, a newer generation exists and the snapshot starts again from it.

The copy is assembled in a hidden folder beside the destination and renamed into place at the
end, so a snapshot folder is complete or absent, never half-written: it is safe to serve with
``searchapp serve --read-only`` or to ship to another machine.  Nothing in the source folder is
written or locked, so snapshots never wait for, or slow down, an indexing run.

``--shards N`` splits the copy, before it is renamed into place, into N shards routed as
``searchapp index --shards N`` routes them (:func:`split_index`): the
way to search a large index on every core of a bigger machine without indexing it again.
"""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
import tempfile
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

from whoosh.filedb.filestore import FileStorage

from ..errors import SnapshotError
from .custom import FACETS_FILE
from .index import CHECKSUMS_FILE, CORPUS_ALIASES_FILE, batch_writer, open_index, recorded_checksums
from .internals import committed_generation, is_index_file, segment_columns
from .shards import MAX_SHARDS, ShardsMismatch, finish_layout, read_manifest, route, shard_path, write_manifest

ATTEMPTS = 50  # generations the snapshot may chase before giving up (each commit is a new one)



@dataclass(frozen=True)
class SnapshotInfo:
    generation: int
    documents: int
    files: int
    bytes: int
    shards: int = 1


def committed_files(index_dir: Path) -> tuple[int, list[str]]:
    """(newest generation, the files that make it up: its table of contents and its segments' files)."""
    return committed_generation(FileStorage(str(index_dir), readonly=True))


def take_snapshot(index_dir: str | Path, destination: str | Path, shards: int = 1) -> SnapshotInfo:
    """Copy the last committed generation of the index in ``index_dir`` to the new folder ``destination``.

    ``shards`` > 1: the copy is split into that many shards (the source stays as it is).
    """
    index_dir, destination = Path(index_dir), Path(destination)
    if not 1 <= shards <= MAX_SHARDS:
        raise ShardsMismatch(f"--shards must be between 1 and {MAX_SHARDS}, got {shards}", param_hint="--shards")
    if read_manifest(index_dir) is not None:
        raise SnapshotError(
            f"{index_dir}: a sharded index (shards.toml) cannot be snapshotted yet: its shards commit apart, "
            f"so no one generation is the index; stop indexing and copy the folder, or rebuild it with --shards 1"
        )
    open_index(index_dir)  # an index is there, made by this version (else IndexUnavailable says so)
    if destination.exists() and (not destination.is_dir() or any(destination.iterdir())):
        raise SnapshotError(f"{destination}: already exists; a snapshot goes into a new or empty folder")
    try:
        destination.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f".{destination.name}.", suffix=".partial", dir=destination.parent))
        shutil.copymode(index_dir, staging)  # mkdtemp's folder is private to its owner
    except OSError as exc:
        raise SnapshotError(f"{destination}: cannot create the snapshot folder: {exc.strerror or exc}") from None
    try:
        info = _copy_generation(index_dir, staging)
        if shards > 1:
            split_index(staging, shards)
            info = dataclasses.replace(info, shards=shards)
        if destination.exists():
            destination.rmdir()  # empty (checked above)
        staging.rename(destination)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return info


def _copy_generation(index_dir: Path, staging: Path) -> SnapshotInfo:
    for _ in range(ATTEMPTS):
        with ExitStack() as stack:
            try:
                generation, names = committed_files(index_dir)
                sources = [stack.enter_context(open(index_dir / name, "rb")) for name in names]
            except FileNotFoundError:
                continue  # a newer generation was committed and this one's files cleaned up: chase it
            total = 0
            for name, source in zip(names, sources, strict=True):
                try:
                    with open(staging / name, "wb") as target:
                        shutil.copyfileobj(source, target, 1 << 20)
                        target.flush()
                        os.fsync(target.fileno())
                except OSError as exc:
                    raise SnapshotError(f"{staging.parent}: cannot write the snapshot: {exc.strerror or exc}") from None
                total += os.fstat(source.fileno()).st_size
        for kept in (FACETS_FILE, CORPUS_ALIASES_FILE):  # the custom facets and the corpus aliases travel with the index
            if (index_dir / kept).is_file():  # (the corpus aliases: `searchapp entities` on a replica says what they decided)
                shutil.copyfile(index_dir / kept, staging / kept)
        sums = {name: value for name, value in recorded_checksums(index_dir).items() if name in names}
        (staging / CHECKSUMS_FILE).write_text(json.dumps(sums, indent=0, sort_keys=True), encoding="utf-8")  # `check` verifies the copy
        return SnapshotInfo(generation, open_index(staging, read_only=True).doc_count(), len(names), total)
    raise SnapshotError(f"{index_dir}: the index changed under {ATTEMPTS} attempts in a row; try again")


def split_index(folder: str | Path, count: int, timeout: float = 30.0) -> list[Path]:
    """Reshape the one index in ``folder`` into ``count`` shards, each article where ``--shards count`` would route it.

    Re-indexing a million articles into shards takes as long as indexing them did (the tags come
    from the cache; reading, near-duplicates and writing do not); splitting what is indexed costs
    a merge per shard.  Each shard starts as the whole index (hard links: segment files are never
    written in place), the documents routed to the other shards are deleted, and one merge commit
    writes the shard as one segment without them (so its statistics are its own documents').
    The manifest is written last, then the one index's files go (:func:`~searchapp.store.shards.finish_layout`): the
    folder is meant to be a copy no one serves yet (:func:`take_snapshot` splits its staging folder), not a live index.
    """
    folder = Path(folder)
    if not 2 <= count <= MAX_SHARDS:
        raise ShardsMismatch(f"--shards must be between 2 and {MAX_SHARDS} to split an index, got {count}", param_hint="--shards")
    names = sorted(p.name for p in folder.iterdir() if p.is_file() and is_index_file(p.name))
    dirs = [shard_path(folder, number, count) for number in range(count)]
    for number, shard in enumerate(dirs):
        shard.mkdir(parents=True)
        for name in names:
            os.link(folder / name, shard / name)
        if (folder / FACETS_FILE).is_file():  # each shard reads its own custom facets, as a run with --shards writes them
            shutil.copyfile(folder / FACETS_FILE, shard / FACETS_FILE)
        if (folder / CHECKSUMS_FILE).is_file():  # the linked files' recorded checksums: not hashed again
            shutil.copyfile(folder / CHECKSUMS_FILE, shard / CHECKSUMS_FILE)
        with batch_writer(open_index(shard), False, timeout, merge_all=True) as writer:
            reader = writer.reader()
            stories = segment_columns(reader, "dup_group")
            for (offset, documents, ids), (_, _, groups) in zip(segment_columns(reader, "id"), stories, strict=True):
                for docnum in range(documents):
                    if not reader.is_deleted(offset + docnum) and route((groups[docnum] if groups is not None else "") or ids[docnum], count) != number:
                        writer.delete_document(offset + docnum)
    write_manifest(folder, count)
    finish_layout(folder, dirs)
    return dirs
