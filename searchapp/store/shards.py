"""A sharded index: N complete searchapp indexes under ``<index>/shards/00 .. NN-1``, and their manifest.

``searchapp index --shards N`` writes ``<index>/shards.toml`` (how many shards, how articles are
routed, by which version) and the shards, each a whole index folder (schema, codec, checksums,
its own ``facets.toml``); the tag cache, the aliases kept with the index and the indexer lock
stay one, in ``<index>``.  An index is either sharded or not: later runs route into the same
shards, ``--shards`` that disagrees with the manifest is refused, ``--rebuild --shards M``
reshapes it.

Articles are routed by a stable hash (BLAKE2b) of their near-duplicate story (``dup_group``, the
id of the story's first version, or the article's own id): every version of a story lies in one
shard, so collapsing a story's versions and counting each story once stay exact per shard.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tomllib
from dataclasses import dataclass
from pathlib import Path

from ..errors import IndexUnavailable, SearchappError

MANIFEST_FILE = "shards.toml"
SHARDS_FOLDER = "shards"
ROUTING = "blake2b(dup_group) mod count"
MANIFEST_VERSION = 1
MAX_SHARDS = 64


class ShardsMismatch(SearchappError):
    """``--shards`` asks for another number of shards than the index has (a usage error, exit 2)."""

    status = 400


@dataclass(frozen=True)
class ShardManifest:
    count: int
    routing: str = ROUTING
    version: int = MANIFEST_VERSION
    pipeline: str = ""  # the tagging pipeline version of the run that made the shards (for the record)

    def dirs(self, index_dir: Path) -> list[Path]:
        return [shard_path(index_dir, number, self.count) for number in range(self.count)]


def shard_path(index_dir: str | Path, number: int, count: int) -> Path:
    """The folder of shard ``number`` of ``count``: ``shards/00`` .. (two digits, more past 100)."""
    return Path(index_dir) / SHARDS_FOLDER / f"{number:0{max(2, len(str(count - 1)))}d}"


def read_manifest(index_dir: str | Path) -> ShardManifest | None:
    """The manifest of a sharded index, None for an index that is not sharded (or no index yet)."""
    path = Path(index_dir) / MANIFEST_FILE
    if not path.is_file():
        return None
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
        count = int(data["count"])
        routing = str(data.get("routing", ROUTING))
        version = int(data.get("version", MANIFEST_VERSION))
        pipeline = str(data.get("pipeline", ""))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError, KeyError, TypeError, ValueError) as exc:
        raise IndexUnavailable(f"{path}: unreadable shard manifest ({type(exc).__name__}: {exc}); rebuild with `searchapp index --rebuild`") from None
    if not 1 <= count <= MAX_SHARDS or routing != ROUTING or version > MANIFEST_VERSION:
        raise IndexUnavailable(f"{path}: a shard manifest this version of searchapp cannot use (count {count}, routing {routing!r}, version {version})")
    return ShardManifest(count, routing, version, pipeline)


def write_manifest(index_dir: str | Path, count: int, pipeline: str = "") -> ShardManifest:
    """Write ``shards.toml`` atomically (a reader sees the old manifest or the new one)."""
    manifest = ShardManifest(count, pipeline=pipeline)
    path = Path(index_dir) / MANIFEST_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    text = (
        "# searchapp: this index is split into shards (shards/00 ...); written by `searchapp index --shards N`\n"
        f"count = {manifest.count}\nrouting = \"{manifest.routing}\"\nversion = {manifest.version}\npipeline = {json.dumps(pipeline)}\n"
    )
    temporary = path.with_suffix(".tmp")
    temporary.write_text(text, encoding="utf-8")
    os.replace(temporary, path)
    return manifest


def shard_dirs(index_dir: str | Path) -> list[Path] | None:
    """The shards' folders of a sharded index, None when ``index_dir`` is one index."""
    manifest = read_manifest(index_dir)
    return manifest.dirs(Path(index_dir)) if manifest is not None else None


def shard_count(index_dir: str | Path) -> int:
    """How many shards the index has (1: not sharded)."""
    manifest = read_manifest(index_dir)
    return manifest.count if manifest is not None else 1


def route(story: str, count: int) -> int:
    """The shard of an article whose story (``dup_group``, else its id) is ``story``: stable across runs and machines."""
    if count <= 1:
        return 0
    digest = hashlib.blake2b(story.encode("utf-8"), digest_size=8).digest()
    return int.from_bytes(digest, "big") % count


def plan_layout(index_dir: str | Path, requested: int | None, rebuild: bool) -> list[Path] | None:
    """The shard folders an indexing run writes (None: one index), after checking ``--shards``.

    ``requested``: the ``--shards`` asked for (None: keep the index's shape; a new index is one).
    A run without ``--rebuild`` may not change the number of shards; with it, the index takes the
    requested shape (the old shards or the old one-index files are removed when the run ends:
    :func:`finish_layout`).
    """
    index_dir = Path(index_dir)
    manifest = read_manifest(index_dir)
    current = manifest.count if manifest is not None else None
    if requested is not None and not 1 <= requested <= MAX_SHARDS:
        raise ShardsMismatch(f"--shards must be between 1 and {MAX_SHARDS}, got {requested}", param_hint="--shards")
    if not rebuild:
        has_index = current is not None or any(p.name.startswith("_MAIN_") for p in index_dir.glob("_MAIN_*.toc"))
        shape = current or 1
        if requested is not None and has_index and requested != shape:
            raise ShardsMismatch(
                f"--shards {requested}: the index in {index_dir} has {shape} shard{'s' if shape != 1 else ''}"
                f"{' (shards.toml)' if current else ' (it is not sharded)'}; "
                f"run with --rebuild --shards {requested} to reshape it",
                param_hint="--shards",
            )
        count = current if current is not None else (requested or 1)
    else:
        count = requested if requested is not None else (current or 1)
    if count == 1 and current is None:
        return None
    if rebuild and count == 1:
        return None  # a sharded index rebuilt as one: the shards go when the run ends
    return [shard_path(index_dir, number, count) for number in range(count)]


def start_layout(index_dir: str | Path, dirs: list[Path] | None, rebuild: bool, pipeline: str = "") -> None:
    """Make the shard folders and the manifest of a run that writes ``dirs`` (a rebuild starts the shards afresh)."""
    if dirs is None:
        return
    index_dir = Path(index_dir)
    if rebuild and (index_dir / SHARDS_FOLDER).exists():
        shutil.rmtree(index_dir / SHARDS_FOLDER)
    for folder in dirs:
        folder.mkdir(parents=True, exist_ok=True)
    write_manifest(index_dir, len(dirs), pipeline)


def finish_layout(index_dir: str | Path, dirs: list[Path] | None) -> None:
    """After a rebuild: remove what the old shape left (one index's files, or the shards and their manifest)."""
    from .internals import is_index_file

    index_dir = Path(index_dir)
    if dirs is None:
        (index_dir / MANIFEST_FILE).unlink(missing_ok=True)
        if (index_dir / SHARDS_FOLDER).exists():
            shutil.rmtree(index_dir / SHARDS_FOLDER)
        return
    for path in index_dir.iterdir():
        if path.is_file() and (is_index_file(path.name) or path.name in ("checksums.json", "MAIN_WRITELOCK")):
            path.unlink(missing_ok=True)
