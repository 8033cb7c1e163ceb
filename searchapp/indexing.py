"""Indexing: tagged articles into the Whoosh index, incrementally, idempotently, in batches.

* **Incremental**: every article carries a content hash (its text and metadata plus the tagging
  pipeline's fingerprint: version and aliases).  Articles whose id and hash are already in the
  index are skipped before tagging, so a re-run on the same inputs changes nothing and costs
  little more than reading them.  A changed article replaces the old one (same id); a changed
  file (.txt/.md/.html, whose id is a hash of its text) replaces what that file gave before.
* **Durable in batches**: documents are committed every ``batch_size`` articles.  Whoosh writes
  a new generation file only after the segment files are complete, so an interrupted run (Ctrl-C,
  a crash, SIGKILL) leaves the index at its last commit, with every committed batch intact.
* **One indexer at a time**: a run holds an ``flock`` on ``indexer.lock`` in the index folder for
  its whole duration.  The kernel releases it when the process dies, so a killed run never
  leaves a stale lock.  A second run waits up to ``lock_timeout`` seconds, then stops with a
  message.  Readers are never blocked: they see the last commit.
"""

from __future__ import annotations

import datetime
import fcntl
import os
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path

from whoosh import index as whoosh_index
from whoosh import writing
from whoosh.index import LockError

from .codec import CompactCodec
from .dedupe import DuplicateGroups, simhash
from .entities import load_aliases
from .models import Article, Rejection, TaggedArticle
from .outlets import outlet_display, outlet_key
from .schema import ADDED_LATER, build_schema
from .sources import count_inputs, read_paths
from .tagging import PIPELINE_VERSION, ParallelTagger, place_rollup

LOCK_FILE = "indexer.lock"


class IndexUnavailable(Exception):
    """The index folder cannot be opened or created (the message says why and what to do)."""


class IndexBusy(IndexUnavailable):
    """Another `searchapp index` holds the index."""


@dataclass
class Summary:
    read: int = 0
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    duplicates: int = 0
    removed: int = 0
    rejected: list[Rejection] = field(default_factory=list)
    warnings: int = 0
    seconds: float = 0.0
    words: int = 0
    interrupted: bool = False

    @property
    def indexed(self) -> int:
        return self.added + self.updated

    def describe(self) -> str:
        rate = self.indexed / self.seconds if self.seconds else 0.0
        parts = [
            f"read {self.read}",
            f"indexed {self.indexed} ({self.added} new, {self.updated} updated)",
            f"unchanged {self.unchanged}",
        ]
        if self.duplicates:
            parts.append(f"duplicates {self.duplicates}")
        if self.removed:
            parts.append(f"replaced files {self.removed}")
        parts.append(f"rejected {len(self.rejected)}")
        if self.warnings:
            parts.append(f"warnings {self.warnings}")
        parts.append(f"time {self.seconds:.1f}s ({rate:.0f} articles/s, {self.words / self.seconds if self.seconds else 0:.0f} words/s)")
        return ("interrupted: " if self.interrupted else "") + ", ".join(parts)


# ---------------------------------------------------------------------------------------------
# Opening


def open_index(index_dir: str | Path, create: bool = False, read_only: bool = False):
    """The index in ``index_dir``; created when ``create`` and there is none yet.

    ``read_only`` opens it on a storage that refuses every write (a replica, a snapshot).
    """
    path = Path(index_dir)
    if path.exists() and not path.is_dir():
        raise IndexUnavailable(f"{path}: not a folder")
    opened = _open_existing(path, read_only) if path.is_dir() else None
    if opened is not None:
        ix, field_names = opened
        missing = set(build_schema().names()) - field_names - set(ADDED_LATER)
        if missing:  # fields this version needs (extra, older fields are harmless)
            raise IndexUnavailable(
                f"{path}: index made by another version of searchapp (no {', '.join(sorted(missing))}); "
                "run `searchapp index --rebuild`"
            )
        return ix
    if not create:
        raise IndexUnavailable(f"{path}: no index here yet; build one with `searchapp index --index-dir {path} PATH...`")
    if path.is_dir() and any(p for p in path.iterdir() if not _ours(p.name)):
        raise IndexUnavailable(f"{path}: folder is not empty and holds no index; choose an empty or new folder")
    try:
        path.mkdir(parents=True, exist_ok=True)
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
        try:
            if not whoosh_index.exists_in(str(path)):
                return None
            ix = whoosh_index.open_dir(str(path), readonly=read_only)
            return ix, set(ix.schema.names())
        except FileNotFoundError:
            time.sleep(0.05)
        except (OSError, whoosh_index.IndexError, EOFError, ValueError) as exc:
            raise IndexUnavailable(f"{path}: cannot open index: {exc}") from None
    raise IndexUnavailable(f"{path}: cannot open index: its files keep changing under it; try again")


def _ours(name: str) -> bool:
    """A file that an empty index folder may hold: the lock, git keepers, Whoosh's leftovers of a failed creation."""
    return name in (LOCK_FILE, ".gitignore", ".gitkeep") or name.startswith(("MAIN_", "_MAIN_"))


class IndexerLock:
    """Exclusive lock held for a whole indexing run (released by the kernel if the process dies)."""

    def __init__(self, index_dir: Path, timeout: float) -> None:
        self.path = index_dir / LOCK_FILE
        self.timeout = timeout
        self._fd: int | None = None

    def __enter__(self) -> IndexerLock:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
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
        os.ftruncate(self._fd, 0)
        os.pwrite(self._fd, str(os.getpid()).encode(), 0)
        return self

    def __exit__(self, *exc) -> None:
        if self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None


def existing_documents(ix) -> tuple[dict[str, str], dict[str, str], DuplicateGroups]:
    """(id -> content hash, source -> id, near-duplicate groups) of every live document, from columns."""
    hashes: dict[str, str] = {}
    sources: dict[str, str] = {}
    groups = DuplicateGroups()
    with ix.reader() as reader:
        if reader.doc_count() == 0:
            return hashes, sources, groups
        # Segment by segment: a segment holding only records has no file_source column, and
        # Whoosh's multi-segment column reader misplaces documents around such a segment.
        leaves = reader.leaf_readers()
        for leaf, _ in leaves:
            ids = leaf.column_reader("id")
            content = leaf.column_reader("content_hash")
            files = leaf.column_reader("file_source") if leaf.has_column("file_source") else None
            sketches = leaf.column_reader("simhash") if "simhash" in leaf.schema and leaf.has_column("simhash") else None
            dup_groups = leaf.column_reader("dup_group") if "dup_group" in leaf.schema and leaf.has_column("dup_group") else None
            for docnum in leaf.all_doc_ids():
                hashes[ids[docnum]] = content[docnum]
                if files is not None and files[docnum]:
                    sources[files[docnum]] = ids[docnum]
                if sketches is not None and dup_groups is not None and sketches[docnum]:
                    groups.add(int(sketches[docnum], 16), dup_groups[docnum])
    return hashes, sources, groups


# ---------------------------------------------------------------------------------------------
# Documents


def file_key(article: Article) -> str | None:
    """The absolute path of a one-article file, so `index ./samples` and `index samples` agree."""
    return str(Path(article.source).resolve()) if article.one_per_file else None


def document_fields(tagged: TaggedArticle, content_hash: str) -> dict:
    """The Whoosh fields of one tagged article."""
    article = tagged.article
    people = tagged.names("person")
    orgs = tagged.names("org")
    places = tagged.names("place")
    rollup = place_rollup(tagged.mentions)  # "Khan Sheikhoun" also counts under Idlib and Syria
    doc = {
        "id": article.id,
        "source": article.source,
        "file_source": file_key(article) or "",
        "content_hash": content_hash,
        "title": article.title,
        "text": "\n".join(article.paragraphs),
        "actor": "\n".join(people + orgs),
        "place": "\n".join(places + rollup),
        "people": ",".join(people),
        "orgs": ",".join(orgs),
        "places": ",".join(places + rollup),
        "months": ",".join(sorted({d.value[:7] for d in tagged.dates if len(d.value) >= 7})),
        "mentioned": ",".join(sorted({d.value for d in tagged.dates})),
        "language": tagged.language,
        "inferred": ",".join(article.inferred),
        "paragraphs": article.paragraphs,
        "entities": tagged.entities_json(),
        "url": article.url or "",
    }
    if article.outlet:
        doc["outlet"] = outlet_key(article.outlet)
        doc["outlet_name"] = outlet_display(article.outlet)
    if article.published:
        start = article.published.start()
        doc["published"] = datetime.datetime(start.year, start.month, start.day)
        doc["published_iso"] = article.published.iso()
        doc["year"] = f"{article.published.year:04d}"
    return {k: v for k, v in doc.items() if v not in ("", None) or k in ("paragraphs", "entities", "url")}


# ---------------------------------------------------------------------------------------------
# The run


@dataclass
class IndexOptions:
    manifest: Path | None = None
    field_map: dict[str, str] = field(default_factory=dict)
    rebuild: bool = False
    processes: int = 1
    batch_size: int = 500
    aliases_file: str | None = None
    lock_timeout: float = 30.0
    scheduler: str | None = None  # a Dask scheduler's address: tag on that cluster (searchapp.cluster)


def make_tagger(options: IndexOptions, aliases, report: Callable[[str], None]):
    """Local worker processes, or the Dask cluster at ``options.scheduler``."""
    if options.scheduler:
        from .cluster import ClusterTagger

        return ClusterTagger(options.scheduler, aliases, report)
    return ParallelTagger(options.processes, options.aliases_file, aliases)


def index_paths(
    paths: Iterable[Path],
    index_dir: str | Path,
    options: IndexOptions,
    progress: Callable[[int | None], object] | None = None,
    report: Callable[[str], None] = lambda message: None,
    tagger=None,
) -> Summary:
    """Read, tag and index ``paths``; returns what happened.  ``report`` gets each problem.

    ``tagger`` replaces the one :func:`make_tagger` would choose (the benchmark's pre-tagged input).
    """
    paths = list(paths)
    index_dir = Path(index_dir)
    aliases = load_aliases(options.aliases_file)
    salt = f"{PIPELINE_VERSION}:{aliases.digest}"
    summary = Summary()
    started = time.monotonic()
    with IndexerLock(index_dir, options.lock_timeout):
        ix = open_index(index_dir, create=True)
        hashes, sources, groups = ({}, {}, DuplicateGroups()) if options.rebuild else existing_documents(ix)
        bar = progress(count_inputs(paths, options.manifest)) if progress else None
        seen: dict[str, str] = {}
        replaced: list[str] = []

        def to_tag() -> Iterator[tuple[Article, str]]:
            for item in read_paths(paths, options.manifest, options.field_map):
                summary.read += 1
                if bar is not None:
                    bar.update(1)
                if isinstance(item, Rejection):
                    summary.rejected.append(item)
                    report(f"rejected: {item}")
                    continue
                for warning in item.warnings:
                    summary.warnings += 1
                    report(f"warning: {item.source}: {warning}")
                content_hash = item.content_hash(salt)
                if item.id in seen:
                    if seen[item.id] == content_hash:
                        summary.duplicates += 1
                    else:
                        rejection = Rejection(item.source, f"id {item.id!r} already used by another article in this run")
                        summary.rejected.append(rejection)
                        report(f"rejected: {rejection}")
                    continue
                seen[item.id] = content_hash
                if hashes.get(item.id) == content_hash:
                    summary.unchanged += 1
                    continue
                key = file_key(item)
                if key and sources.get(key) not in (None, item.id):
                    replaced.append(sources[key])
                yield item, content_hash

        def chunks(pairs: Iterator[tuple[Article, str]], size: int) -> Iterator[list[Article]]:
            chunk: list[Article] = []
            for article, content_hash in pairs:
                article_hashes[article.id] = content_hash
                chunk.append(article)
                if len(chunk) >= size:
                    yield chunk
                    chunk = []
            if chunk:
                yield chunk

        article_hashes: dict[str, str] = {}
        clear = options.rebuild
        try:
            with tagger or make_tagger(options, aliases, report) as tagger:
                chunk_size = max(4, min(64, options.batch_size // max(1, tagger.threads)))
                tagged_chunks = tagger.tag(chunks(to_tag(), chunk_size))
                for batch in commit_batches(tagged_chunks, options.batch_size):
                    if bar is not None:
                        bar.set_postfix_str(tagger.describe(), refresh=False)
                    with batch_writer(ix, clear, options.lock_timeout) as writer:
                        for tagged in batch:
                            article = tagged.article
                            sketch = simhash(article.text)
                            fields = document_fields(tagged, article_hashes.pop(article.id))
                            fields["simhash"] = f"{sketch:016x}"
                            fields["dup_group"] = groups.assign(sketch, article.id)
                            if article.id in hashes:
                                writer.update_document(**fields)
                                summary.updated += 1
                            else:
                                writer.add_document(**fields)
                                summary.added += 1
                            summary.words += sum(len(p.split()) for p in article.paragraphs)
                        while replaced:
                            writer.delete_by_term("id", replaced.pop())
                            summary.removed += 1
                    clear = False
                if clear or replaced:  # a rebuild that indexed nothing still empties the index
                    with batch_writer(ix, clear, options.lock_timeout) as writer:
                        while replaced:
                            writer.delete_by_term("id", replaced.pop())
                            summary.removed += 1
        except BaseException:
            summary.interrupted = True
            raise
        finally:
            summary.seconds = time.monotonic() - started
            if bar is not None:
                bar.close()
    return summary


def commit_batches(chunks: Iterable[list[TaggedArticle]], batch_size: int) -> Iterator[list[TaggedArticle]]:
    """Regroup tagged chunks into batches of at least ``batch_size`` articles (one commit each)."""
    batch: list[TaggedArticle] = []
    for chunk in chunks:
        batch.extend(chunk)
        if len(batch) >= batch_size:
            yield batch
            batch = []
    if batch:
        yield batch


@contextmanager
def batch_writer(ix, clear: bool, timeout: float) -> Iterator[writing.IndexWriter]:
    """A writer that commits when the block ends and cancels on any error or interruption.

    ``clear`` makes the commit drop every earlier segment: the first batch of a rebuild replaces
    the old index in one step, so readers see the old index or the new one, never neither.
    """
    try:
        writer = ix.writer(timeout=timeout, codec=CompactCodec())
    except LockError:
        raise IndexBusy(f"{ix.storage.folder}: the index is locked by another writer") from None
    except OSError as exc:
        raise _write_failed(ix, exc) from None
    for name, fieldtype in ADDED_LATER.items():  # an index made before these fields existed gets them now
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
        writer.commit(mergetype=writing.CLEAR if clear else None)
    except OSError as exc:
        raise _write_failed(ix, exc) from None


def _write_failed(ix, exc: OSError) -> IndexUnavailable:
    """The error for a failed write (full disk, read-only folder): the last commit stays the index.

    Whoosh writes a new generation's table of contents only after its segment files are complete,
    so the files of the failed batch are unreferenced; they are removed (best effort) so that they
    neither fill the disk nor are ever taken as part of the index.
    """
    folder = ix.storage.folder
    with suppress(Exception):
        toc = whoosh_index.TOC.read(ix.storage, ix.indexname)
        whoosh_index.clean_files(ix.storage, ix.indexname, toc.generation, toc.segments)
    return IndexUnavailable(
        f"{folder}: cannot write the index: {exc.strerror or exc}; every batch committed before is kept "
        "(free some space or make the folder writable, then re-run to index the rest)"
    )


def remove_ids(index_dir: str | Path, ids: Iterable[str], lock_timeout: float = 30.0) -> tuple[list[str], list[str]]:
    """Delete articles by id; returns (removed, not found)."""
    index_dir = Path(index_dir)
    removed, missing = [], []
    open_index(index_dir)  # no index here: say so before the lock creates the folder
    with IndexerLock(index_dir, lock_timeout):
        ix = open_index(index_dir)
        with batch_writer(ix, False, lock_timeout) as writer, ix.searcher() as searcher:
            for article_id in ids:
                if searcher.document_number(id=article_id) is None:
                    missing.append(article_id)
                else:
                    writer.delete_by_term("id", article_id)
                    removed.append(article_id)
    return removed, missing
