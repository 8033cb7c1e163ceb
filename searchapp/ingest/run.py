"""The indexing run: files read, tagged and written to the index incrementally, idempotently, in batches.

* **Incremental**: every article carries a content hash (its text and metadata plus the tagging
  pipeline's fingerprint: version and aliases).  Articles whose id and hash are already in the
  index are skipped before tagging, so a re-run on the same inputs changes nothing and costs
  little more than reading them.  A changed article replaces the old one (same id); a changed
  file (.txt/.md/.html, whose id is a hash of its text) replaces what that file gave before.
* **Durable in batches**: documents are committed every ``batch_size`` articles
  (:func:`searchapp.store.index.batch_writer`), so an interrupted run (Ctrl-C, a crash, SIGKILL)
  leaves the index at its last commit, with every committed batch intact.
* **One indexer at a time**: the run holds the index's :class:`~searchapp.store.index.IndexerLock`
  for its whole duration; readers are never blocked.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from ..config import Settings
from ..store.index import IndexerLock, batch_writer, open_index, stored_keys, verify_before_writing
from .dedupe import DuplicateGroups, simhash
from .documents import document_fields, file_key
from .entities import Aliases, load_aliases
from .models import Article, Rejection, TaggedArticle
from .parallel import ParallelTagger
from .readers import ReadOptions, count_inputs, read_paths
from .readers.common import FieldLimits
from .tagging import PIPELINE_VERSION

Report = Callable[[str], None]


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


@dataclass
class IndexOptions:
    """What one ``searchapp index`` run does (built from :class:`~searchapp.config.Settings` by the CLI)."""

    manifest: Path | None = None
    field_map: dict[str, str] = field(default_factory=dict)
    rebuild: bool = False
    processes: int = 1
    batch_size: int = Settings.batch_size
    aliases_file: str | None = None
    lock_timeout: float = Settings.lock_timeout
    scheduler: str | None = None  # a Dask scheduler's address: tag on that cluster (searchapp.ingest.cluster)
    scheduler_timeout: float = Settings.scheduler_timeout
    max_article_chars: int = Settings.max_article_chars
    max_tagged_chars: int = Settings.max_tagged_chars
    limits: FieldLimits = FieldLimits()
    max_file_bytes: int = Settings.max_file_bytes

    @classmethod
    def from_settings(cls, settings: Settings, **options) -> IndexOptions:
        """The run's options: the settings' values, with ``options`` (the command's own) on top."""
        return cls(
            **{
                "processes": settings.processes,
                "batch_size": settings.batch_size,
                "aliases_file": settings.aliases or None,
                "lock_timeout": settings.lock_timeout,
                "scheduler": settings.scheduler or None,
                "scheduler_timeout": settings.scheduler_timeout,
                "max_article_chars": settings.max_article_chars,
                "max_tagged_chars": settings.max_tagged_chars,
                "limits": FieldLimits.from_settings(settings),
                "max_file_bytes": settings.max_file_bytes,
                **options,
            }
        )

    @property
    def read_options(self) -> ReadOptions:
        return ReadOptions(self.manifest, self.field_map, self.max_article_chars, self.limits, self.max_file_bytes)


def make_tagger(options: IndexOptions, aliases: Aliases, report: Report):
    """Local worker processes, or the Dask cluster at ``options.scheduler``."""
    if options.scheduler:
        from .cluster import ClusterTagger

        return ClusterTagger(
            options.scheduler, aliases, report, timeout=options.scheduler_timeout, max_chars=options.max_tagged_chars
        )
    return ParallelTagger(options.processes, aliases, options.max_tagged_chars)


class IndexRun:
    """One pass over the inputs: which articles to tag, and writing them batch by batch.

    It holds what the run learns as it goes (the summary, the ids seen, the files replaced) so
    that each step is a method reading and updating that state, not a closure over it.
    """

    def __init__(self, options: IndexOptions, aliases: Aliases, ix, report: Report, bar) -> None:
        self.options = options
        self.salt = f"{PIPELINE_VERSION}:{aliases.digest}"
        self.ix = ix
        self.report = report
        self.bar = bar
        self.summary = Summary()
        self.known: dict[str, str] = {}  # id -> content hash of what the index holds
        self.file_ids: dict[str, str] = {}  # one-article file -> the id it gave
        self.groups = DuplicateGroups()
        if not options.rebuild:
            for key in stored_keys(ix):
                self.known[key.id] = key.content_hash
                if key.file_source:
                    self.file_ids[key.file_source] = key.id
                if key.simhash:
                    self.groups.add(int(key.simhash, 16), key.dup_group)
        self.seen: dict[str, str] = {}  # id -> content hash, this run
        self.pending_hashes: dict[str, str] = {}  # id -> content hash of articles sent to tagging
        self.replaced: list[str] = []  # ids of files' earlier versions, deleted with the next commit

    def reject(self, rejection: Rejection) -> None:
        self.summary.rejected.append(rejection)
        self.report(f"rejected: {rejection}")

    def to_tag(self, items: Iterable[Article | Rejection]) -> Iterator[Article]:
        """The articles that need tagging: new or changed, each id once; the rest is counted."""
        for item in items:
            self.summary.read += 1
            if self.bar is not None:
                self.bar.update(1)
            if isinstance(item, Rejection):
                self.reject(item)
                continue
            for warning in item.warnings:
                self.summary.warnings += 1
                self.report(f"warning: {item.source}: {warning}")
            try:
                content_hash = item.content_hash(self.salt)
            except (UnicodeError, ValueError, RecursionError) as exc:  # a record no reader foresaw: only it is lost
                self.reject(Rejection(item.source, f"cannot index record: {type(exc).__name__}: {exc}"))
                continue
            if item.id in self.seen:
                if self.seen[item.id] == content_hash:
                    self.summary.duplicates += 1
                else:
                    self.reject(Rejection(item.source, f"id {item.id!r} already used by another article in this run"))
                continue
            self.seen[item.id] = content_hash
            if self.known.get(item.id) == content_hash:
                self.summary.unchanged += 1
                continue
            key = file_key(item)
            if key and self.file_ids.get(key) not in (None, item.id):
                self.replaced.append(self.file_ids[key])
            self.pending_hashes[item.id] = content_hash
            yield item

    def write(self, batch: list[TaggedArticle], clear: bool) -> None:
        """Write one batch (and the deletions of replaced files) and commit it."""
        with batch_writer(self.ix, clear, self.options.lock_timeout) as writer:
            for tagged in batch:
                article = tagged.article
                sketch = simhash(article.text)
                fields = document_fields(
                    tagged, self.pending_hashes.pop(article.id), f"{sketch:016x}", self.groups.assign(sketch, article.id)
                )
                if article.id in self.known:
                    writer.update_document(**fields)
                    self.summary.updated += 1
                else:
                    writer.add_document(**fields)
                    self.summary.added += 1
                self.summary.words += sum(len(p.split()) for p in article.paragraphs)
            while self.replaced:
                writer.delete_by_term("id", self.replaced.pop())
                self.summary.removed += 1


def chunks(articles: Iterable[Article], size: int) -> Iterator[list[Article]]:
    """Lists of ``size`` articles (the last one shorter): the unit sent to a tagging worker."""
    chunk: list[Article] = []
    for article in articles:
        chunk.append(article)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def commit_batches(tagged_chunks: Iterable[list[TaggedArticle]], batch_size: int) -> Iterator[list[TaggedArticle]]:
    """Regroup tagged chunks into batches of at least ``batch_size`` articles (one commit each)."""
    batch: list[TaggedArticle] = []
    for chunk in tagged_chunks:
        batch.extend(chunk)
        if len(batch) >= batch_size:
            yield batch
            batch = []
    if batch:
        yield batch


def index_paths(
    paths: Iterable[Path],
    index_dir: str | Path,
    options: IndexOptions,
    progress: Callable[[int | None], object] | None = None,
    report: Report = lambda message: None,
    tagger=None,
) -> Summary:
    """Read, tag and index ``paths``; returns what happened.  ``report`` gets each problem.

    ``tagger`` replaces the one :func:`make_tagger` would choose (the benchmark's pre-tagged input).
    """
    paths = list(paths)
    index_dir = Path(index_dir)
    aliases = load_aliases(options.aliases_file)
    started = time.monotonic()
    with IndexerLock(index_dir, options.lock_timeout):
        ix = open_index(index_dir, create=True, rebuild=options.rebuild)
        if not options.rebuild:  # never add to altered files: every checksum recorded at commit is verified
            verify_before_writing(index_dir)
        bar = progress(count_inputs(paths, options.manifest, options.max_file_bytes)) if progress else None
        run = IndexRun(options, aliases, ix, report, bar)
        clear = options.rebuild
        try:
            with tagger or make_tagger(options, aliases, report) as tagger:
                chunk_size = max(4, min(64, options.batch_size // max(1, tagger.threads)))
                articles = run.to_tag(read_paths(paths, options.read_options))
                for batch in commit_batches(tagger.tag(chunks(articles, chunk_size)), options.batch_size):
                    if bar is not None:
                        bar.set_postfix_str(tagger.describe(), refresh=False)
                    run.write(batch, clear)
                    clear = False
                if clear or run.replaced:  # a rebuild that indexed nothing still empties the index
                    run.write([], clear)
        except BaseException:
            run.summary.interrupted = True
            raise
        finally:
            run.summary.seconds = time.monotonic() - started
            if bar is not None:
                bar.close()
    return run.summary
