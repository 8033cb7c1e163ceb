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
"""

from __future__ import annotations

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
from .index import CHECKSUMS_FILE, CORPUS_ALIASES_FILE, open_index, recorded_checksums
from .internals import committed_generation
from .shards import read_manifest

ATTEMPTS = 50  # generations the snapshot may chase before giving up (each commit is a new one)



@dataclass(frozen=True)
class SnapshotInfo:
    generation: int
    documents: int
    files: int
    bytes: int


def committed_files(index_dir: Path) -> tuple[int, list[str]]:
    """(newest generation, the files that make it up: its table of contents and its segments' files)."""
    return committed_generation(FileStorage(str(index_dir), readonly=True))


def take_snapshot(index_dir: str | Path, destination: str | Path) -> SnapshotInfo:
    """Copy the last committed generation of the index in ``index_dir`` to the new folder ``destination``."""
    index_dir, destination = Path(index_dir), Path(destination)
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
