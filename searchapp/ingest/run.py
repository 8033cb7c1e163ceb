"""The indexing run: files read, tagged and written to the index incrementally, idempotently, in batches.

* **Incremental**: every article carries a content hash (its text and metadata plus the tagging
  pipeline's version).  Articles whose id and hash are already in the
  index are skipped before tagging, so a re-run on the same inputs changes nothing and costs
  little more than reading them.  A changed article replaces the old one (same id); a changed
  file (.txt/.md/.html, whose id is a hash of its text) replaces what that file gave before.
* **One set of aliases**: the aliases file a run uses is kept with the index (``aliases.toml``,
  and the digest of the aliases applied, ``aliases.digest``) and used by later runs that name none;
  a run with other aliases first normalises the indexed articles' stored mentions again
  (:mod:`searchapp.ingest.curate`, no tagging), so unchanged articles are still skipped.
* **Durable in batches**: documents are committed every ``batch_size`` articles
  (:func:`searchapp.store.index.batch_writer`), so an interrupted run (Ctrl-C, a crash, SIGKILL)
  leaves the index at its last commit, with every committed batch intact.
* **One indexer at a time**: the run holds the index's :class:`~searchapp.store.index.IndexerLock`
  for its whole duration; readers are never blocked.
"""

from __future__ import annotations

import multiprocessing
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from itertools import chain
from pathlib import Path

from ..config import Settings
from ..store.custom import FacetError, FacetSpec, load_facets, merge_facets, save_facets
from ..store.index import (
    ALIASES_RECORD,
    CORPUS_ALIASES_FILE,
    IndexerLock,
    batch_writer,
    merge_segments,
    open_index,
    segment_count,
    stored_keys,
    verify_before_writing,
)
from ..store.outlets import outlets_digest
from ..store.shards import finish_layout, plan_layout, route, start_layout
from .corpus import FreshEvidence, PassSummary, corpus_pass, index_aliases, kept_overlay
from .curate import CurateSummary, applied_digest, kept_aliases_file, record_aliases, renormalise_index
from .dedupe import DuplicateGroups, Shingles, band_keys, keys_from_bytes, keys_to_bytes, shingles
from .documents import document_fields, file_key
from .entities import Aliases
from .furniture import mask_furniture
from .models import Article, DateMention, Mention, Notice, Rejection, TaggedArticle, raw_from_json
from .parallel import ParallelTagger
from .readers import ReadOptions, check_inputs, count_inputs, read_paths
from .readers.common import FieldLimits
from .tagcache import CacheSpec
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
    refaceted: int = 0  # of the updated: only their facet values or outlet names changed, not tagged again
    columns: list[str] = field(default_factory=list)  # each record file's column report (Notice), once
    facets: list[str] = field(default_factory=list)  # the index's custom facets, as --facet options
    tagged_paragraphs: int = 0  # paragraphs spaCy ran on
    reused_paragraphs: int = 0  # paragraphs whose spans came from the tag cache or an identical paragraph of their batch
    tag_cache_problem: str = ""  # why the tag cache was not used (the run tagged without it)
    merged_segments: int = 0  # segments merged at the end (IndexOptions.max_segments: into one, or the smallest)
    corpus_pass: PassSummary | None = None  # what the corpus-wide pass did (searchapp.ingest.corpus), if it ran

    @property
    def corpus(self) -> str:
        return self.corpus_pass.describe() if self.corpus_pass else ""

    @property
    def indexed(self) -> int:
        return self.added + self.updated

    def describe(self) -> str:
        rate = self.indexed / self.seconds if self.seconds else 0.0
        parts = [
            f"read {self.read}",
            f"indexed {self.indexed} ({self.added} new, {self.updated} updated"
            + (f", {self.refaceted} of them facets or outlet only, not re-tagged)" if self.refaceted else ")"),
            f"unchanged {self.unchanged}",
        ]
        if self.duplicates:
            parts.append(f"duplicates {self.duplicates}")
        if self.removed:
            parts.append(f"replaced files {self.removed}")
        parts.append(f"rejected {len(self.rejected)}")
        if self.warnings:
            parts.append(f"warnings {self.warnings}")
        if self.facets:
            parts.append(f"facets {' '.join(self.facets)}")
        if self.tagged_paragraphs or self.reused_paragraphs:
            parts.append(f"paragraphs tagged {self.tagged_paragraphs}, reused {self.reused_paragraphs} (tag cache)")
        if self.tag_cache_problem:
            parts.append(f"tag cache not used: {self.tag_cache_problem}")
        if self.merged_segments:
            parts.append(f"{self.merged_segments} segments merged")
        if self.corpus:
            parts.append(self.corpus)
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
    facets: list[FacetSpec] = field(default_factory=list)  # --facet: custom facets asked for by this run
    limits: FieldLimits = FieldLimits()
    max_file_bytes: int = Settings.max_file_bytes
    tag_cache_entries: int = Settings.tag_cache_entries  # 0: no tag cache (searchapp.ingest.tagcache)
    max_segments: int = Settings.max_segments  # past it, the run ends by merging the segments (0: never)
    corpus_pass: bool = Settings.corpus_pass  # end with the corpus-wide pass (searchapp.ingest.corpus)
    shards: int | None = None  # --shards: split the index into this many shards (None: keep its shape; searchapp.store.shards)

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
                "tag_cache_entries": settings.tag_cache_entries,
                "max_segments": settings.max_segments,
                "corpus_pass": settings.corpus_pass,
                "shards": settings.shards if settings.shards != Settings.shards else None,
                **options,
            }
        )

    def read_options(self, facets: tuple[FacetSpec, ...] = ()) -> ReadOptions:
        """How the run reads its inputs; ``facets``: every custom facet of the index (kept and new)."""
        return ReadOptions(self.manifest, self.field_map, self.max_article_chars, facets, self.limits, self.max_file_bytes)


def make_tagger(options: IndexOptions, aliases: Aliases, report: Report, cache: CacheSpec | None = None):
    """Local worker processes, or the Dask cluster at ``options.scheduler``; ``cache``: the tag cache they use."""
    if options.scheduler:
        from .cluster import ClusterTagger

        return ClusterTagger(
            options.scheduler, aliases, report, timeout=options.scheduler_timeout, max_chars=options.max_tagged_chars, cache=cache
        )
    return ParallelTagger(options.processes, aliases, options.max_tagged_chars, cache=cache, report=report)


class IndexRun:
    """One pass over the inputs: which articles to tag, and writing them batch by batch.

    It holds what the run learns as it goes (the summary, the ids seen, the files replaced) so
    that each step is a method reading and updating that state, not a closure over it.
    """

    def __init__(
        self, options: IndexOptions, aliases: Aliases, ixes: list, report: Report, bar, evidence: FreshEvidence | None = None
    ) -> None:
        self.options = options
        self.evidence = evidence  # the corpus pass's evidence of each article written, as tagging gathered it
        # the aliases are not in the hash: a run with other aliases normalises the stored mentions again
        # (_apply_changed_aliases) instead of tagging every article again
        self.salt = PIPELINE_VERSION
        self.aliases = aliases
        self.metadata_salt = f"outlets:{outlets_digest()}"  # a changed outlet table rewrites documents, without tagging
        self.ixes = ixes  # one index, or the shards of a sharded one (searchapp.store.shards), in order
        self.report = report
        self.bar = bar
        self.summary = Summary()
        self.known: dict[str, str] = {}  # id -> content hash of what the index holds
        self.file_ids: dict[str, str] = {}  # one-article file -> the id it gave
        self.groups = DuplicateGroups(self.stored_shingles, cache_size=max(20_000, 4 * options.batch_size))
        self._searchers: dict[int, object] = {}  # shard -> a searcher of its last commit, to read back earlier articles' text
        self.shard_of: dict[str, int] = {}  # id -> the shard holding it
        self.to_clear: set[int] = set(range(len(ixes))) if options.rebuild else set()  # shards whose next commit drops the old index
        if not options.rebuild:
            # near-duplicates are found across every shard: the groups are built from all of them
            for number, ix in enumerate(ixes):
                for key in stored_keys(ix):
                    self.known[key.id] = key.content_hash
                    self.shard_of[key.id] = number
                    if key.file_source:
                        self.file_ids[key.file_source] = key.id
                    if key.dup_bands:
                        self.groups.add(keys_from_bytes(key.dup_bands), key.id, key.dup_group)
        self.seen: dict[str, str] = {}  # id -> content hash, this run
        self.pending_hashes: dict[str, str] = {}  # id -> content hash of articles sent to tagging
        self.replaced: list[str] = []  # ids of files' earlier versions, deleted with the next commit
        self._noticed: set[str] = set()
        self.refaceted: list[Article] = []  # articles whose facet values alone changed

    def stored_tagging(self, articles: list[Article]) -> list[TaggedArticle]:
        """The articles with the tagging the index already holds for them (their text is unchanged)."""
        tagged = []
        for article in articles:
            with self.ixes[self.shard_of.get(article.id, 0)].searcher() as searcher:
                docnum = searcher.document_number(id=article.id)
                stored = searcher.stored_fields(docnum) if docnum is not None else {}
                entities = stored.get("entities") or {}
                mentions = [
                    Mention(m["name"], m["kind"], tuple(m.get("paragraphs", ())), tuple(tuple(s) for s in m.get("spans", ())), m.get("facet", True))
                    for m in entities.get("mentions", [])
                ]
                dates = [DateMention(d["text"], d["value"], d["paragraph"]) for d in entities.get("dates", [])]
                raw = raw_from_json(entities["raw"], article.paragraphs) if "raw" in entities else None  # an older article's: still unknown
                tagged.append(TaggedArticle(article, mentions, dates, stored.get("language", "en"), raw))
        return tagged

    def notice(self, notice: Notice) -> None:
        """A reader's note (a file's column report), said once: a folder of like files says it once."""
        if notice.message not in self._noticed:
            self._noticed.add(notice.message)
            self.summary.columns.append(str(notice))
            self.report(str(notice))

    def reject(self, rejection: Rejection) -> None:
        self.summary.rejected.append(rejection)
        self.report(f"rejected: {rejection}")

    def to_tag(self, items: Iterable[Article | Rejection | Notice]) -> Iterator[Article]:
        """The articles that need tagging: new or changed, each id once; the rest is counted."""
        for item in items:
            if isinstance(item, Notice):
                self.notice(item)
                continue
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
                content_hash = item.content_hash(self.salt, self.metadata_salt)
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
            known = self.known.get(item.id)
            if known == content_hash:
                self.summary.unchanged += 1
                continue
            if known is not None and known.partition("+")[0] == content_hash.partition("+")[0]:
                self.refaceted.append(item)  # only its facet values or its outlet's name changed: no tagging again
                self.pending_hashes[item.id] = content_hash
                continue
            key = file_key(item)
            if key and self.file_ids.get(key) not in (None, item.id):
                self.replaced.append(self.file_ids[key])
            self.pending_hashes[item.id] = content_hash
            yield item

    def stored_shingles(self, article_id: str) -> Shingles | None:
        """The shingles of an article of the last commit (a near-duplicate candidate), or None."""
        shard = self.shard_of.get(article_id)
        if shard is None:
            return None
        searcher = self._searchers.get(shard)
        if searcher is None:
            searcher = self._searchers[shard] = self.ixes[shard].searcher()
        docnum = searcher.document_number(id=article_id)
        if docnum is None:
            return None
        return shingles("\n".join(map(mask_furniture, searcher.stored_fields(docnum).get("paragraphs", []))))

    def write(self, batch: list[TaggedArticle], facets: dict[str, FacetSpec]) -> None:
        """Write one batch (and the deletions of replaced files) and commit it, shard by shard.

        Each article goes to the shard of its story (:func:`searchapp.store.shards.route`); one
        whose story moved to another shard is deleted from the old one.  A rebuild's first commit
        to each shard drops that shard's old index (``to_clear``).
        """
        count = len(self.ixes)
        writes: dict[int, list[tuple[TaggedArticle, dict]]] = {}
        deletions: dict[int, list[str]] = {}
        for tagged in batch:
            article = tagged.article
            items = shingles("\n".join(map(mask_furniture, article.paragraphs)))  # page furniture is not the story
            keys = band_keys(items)
            group = self.groups.assign(article.id, items, keys)
            content_hash = self.pending_hashes.pop(article.id)
            fields = document_fields(tagged, content_hash, keys_to_bytes(keys), group, facets, self.aliases)
            if self.evidence is not None:
                self.evidence.add(article.id, content_hash, tagged.evidence)
            shard = route(group or article.id, count)
            old = self.shard_of.get(article.id)
            if old is not None and old != shard:
                deletions.setdefault(old, []).append(article.id)
            writes.setdefault(shard, []).append((tagged, fields))
        while self.replaced:
            replaced = self.replaced.pop()
            deletions.setdefault(self.shard_of.get(replaced, 0), []).append(replaced)
            self.summary.removed += 1
        shards = set(writes) | set(deletions) | (self.to_clear if not batch else set())
        for shard in sorted(shards):
            ix = self.ixes[shard]
            extra = {s.name: s.field_type() for s in facets.values()}
            writing = len(writes.get(shard, []))  # (a large batch is analysed and written by --processes processes)
            with batch_writer(ix, shard in self.to_clear, self.options.lock_timeout, extra, processes=self.options.processes, documents=writing) as writer:
                for tagged, fields in writes.get(shard, []):
                    article = tagged.article
                    if article.id in self.known:
                        (writer.update_document if self.shard_of.get(article.id) == shard else writer.add_document)(**fields)
                        self.summary.updated += 1
                    else:
                        writer.add_document(**fields)
                        self.summary.added += 1
                    self.summary.words += sum(len(p.split()) for p in article.paragraphs)
                for article_id in deletions.get(shard, []):
                    writer.delete_by_term("id", article_id)
            self.to_clear.discard(shard)
            for tagged, _ in writes.get(shard, []):
                self.shard_of[tagged.article.id] = shard
            searcher = self._searchers.pop(shard, None)
            if searcher is not None:
                searcher.close()  # the next look-up sees this commit


def _merge_folder(folder: Path, lock_timeout: float, keep: int) -> tuple[Path, int, float]:
    started = time.monotonic()
    return folder, merge_segments(open_index(folder), lock_timeout, keep), time.monotonic() - started


def merge_folders(folders: list[Path], lock_timeout: float, processes: int, keep: int = 1) -> list[tuple[Path, int, float]]:
    """Merge the segments of each index folder down to ``keep``: (folder, segments merged, seconds) each.

    The shards of a sharded index are merged side by side, one process each up to ``processes``
    (a merge is one core's work: at 100,000 articles, minutes).
    """
    if processes < 2 or len(folders) < 2:
        return [_merge_folder(folder, lock_timeout, keep) for folder in folders]
    context = multiprocessing.get_context("forkserver")  # never a fork of the indexer's threads
    with ProcessPoolExecutor(min(processes, len(folders)), mp_context=context) as pool:
        return list(pool.map(_merge_folder, folders, [lock_timeout] * len(folders), [keep] * len(folders)))


def _check_facet_fields(ix, facets: dict[str, FacetSpec], rebuild: bool) -> None:
    """A facet whose index field has another type (declared with another kind before) needs --rebuild."""
    if rebuild:
        return
    for spec in facets.values():
        if spec.name in ix.schema and type(ix.schema[spec.name]) is not type(spec.field_type()):
            raise FacetError(f"--facet {spec.option}: the index holds {spec.name!r} with another kind; run with --rebuild to change it")


def _apply_changed_aliases(ix, index_dir: Path, target: Path, aliases: Aliases, options: IndexOptions, report: Report) -> None:
    """Aliases other than those last applied to the index: the indexed articles are normalised again
    from their stored raw mentions first (:mod:`.curate`, no tagging), so that the whole index holds
    one set of aliases and unchanged inputs are still skipped."""
    applied = applied_digest(index_dir)
    if applied is None or applied == aliases.digest or ix.doc_count() == 0:
        return
    summary = CurateSummary(options.aliases_file or "the built-in aliases")
    report(f"{target}: aliases changed since they were last applied; normalising the {ix.doc_count()} indexed articles again, without tagging")
    renormalise_index(ix, target, aliases, summary, options.lock_timeout, options.batch_size, strict=False, processes=options.processes)
    report(summary.describe())


def batches(items: Iterable, size: int) -> Iterator[list]:
    """Lists of ``size`` items (the last one shorter): chunks sent to a tagging worker, batches committed."""
    batch: list = []
    for item in items:
        batch.append(item)
        if len(batch) >= size:
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
    # the aliases kept with the index (the last ones applied to it) unless the run names others
    aliases_file = options.aliases_file or (None if options.rebuild else kept_aliases_file(index_dir))
    started = time.monotonic()
    with IndexerLock(index_dir, options.lock_timeout):
        if options.rebuild or not options.corpus_pass:  # the corpus aliases of other articles, or none wanted
            (index_dir / CORPUS_ALIASES_FILE).unlink(missing_ok=True)
        # built-in, the corpus aliases of the index's last corpus pass, the user's (searchapp.ingest.corpus)
        aliases = index_aliases(index_dir, aliases_file)
        aliases_changed = applied_digest(index_dir) not in (None, aliases.digest)
        # an index the pass never ran on (written by an older searchapp): its first pass normalises every
        # article again, so that what the older version left (spelling keys made before) is brought up to date
        first_pass = not options.rebuild and kept_overlay(index_dir) is None and index_dir.joinpath(ALIASES_RECORD).is_file()
        dirs = plan_layout(index_dir, options.shards, options.rebuild)  # --shards checked against the index's shape
        targets = dirs if dirs is not None else [index_dir]
        start_layout(index_dir, dirs, options.rebuild, PIPELINE_VERSION)
        ixes = [open_index(target, create=True, rebuild=options.rebuild) for target in targets]
        if not options.rebuild:  # never add to altered files: every checksum recorded at commit is verified
            for target in targets:
                verify_before_writing(target)
        facets = merge_facets({} if options.rebuild else load_facets(index_dir), options.facets)
        for ix in ixes:
            _check_facet_fields(ix, facets, options.rebuild)
        read_options = options.read_options(tuple(facets.values()))
        check_inputs(paths, read_options)  # a --field or --facet naming no column: stop before reading
        if facets or options.rebuild:
            for folder in {index_dir, *targets}:  # each shard reads its own facets.toml
                save_facets(folder, facets)
        if facets and len(ixes) > 1 and not options.rebuild:  # a shard the run may leave without articles still knows every facet
            fields = {spec.name: spec.field_type() for spec in facets.values()}
            for ix in ixes:
                if any(name not in ix.schema for name in fields):
                    with batch_writer(ix, False, options.lock_timeout, fields):
                        pass
        if not options.rebuild:
            for ix, target in zip(ixes, targets, strict=True):
                _apply_changed_aliases(ix, index_dir, target, aliases, options, report)
            record_aliases(index_dir, aliases, aliases_file)
        bar = progress(count_inputs(paths, options.manifest, options.max_file_bytes)) if progress else None
        run = IndexRun(options, aliases, ixes, report, bar, FreshEvidence(index_dir, aliases.digest) if options.corpus_pass else None)
        try:
            cache = CacheSpec.beside(index_dir, options.tag_cache_entries)
            with tagger or make_tagger(options, aliases, report, cache) as tagger:
                chunk_size = max(4, min(64, options.batch_size // max(1, tagger.threads)))
                articles = run.to_tag(read_paths(paths, read_options))
                # a committed batch is gathered from many chunks: they are tagged while the one before is written
                tagged = chain.from_iterable(tagger.tag(batches(articles, chunk_size), backlog=-(-options.batch_size // chunk_size)))
                for batch in batches(tagged, options.batch_size):
                    if bar is not None:
                        bar.set_postfix_str(tagger.describe(), refresh=False)
                    run.write(batch, facets)
                for batch in batches(run.refaceted, options.batch_size):  # new facet values, the tagging kept
                    run.write(run.stored_tagging(batch), facets)
                    run.summary.refaceted += len(batch)
                if run.to_clear or run.replaced:  # a rebuild that indexed nothing still empties the index
                    run.write([], facets)
            if options.rebuild:  # every article is now normalised with these aliases
                record_aliases(index_dir, aliases, aliases_file)
                finish_layout(index_dir, dirs)
            if run.evidence is not None:
                run.evidence.close()
            changed = run.summary.indexed or run.summary.removed or options.rebuild or aliases_changed
            if options.corpus_pass and sum(ix.doc_count() for ix in ixes) and (changed or kept_overlay(index_dir) is None):
                run.summary.corpus_pass = corpus_pass(
                    list(zip(ixes, targets, strict=True)), index_dir, aliases_file, options.lock_timeout, options.batch_size, everything=first_pass,
                    processes=options.processes,
                )
            # A run that wrote most of the index leaves each folder in one segment: the fastest to search, and the
            # articles it replaced (the corpus pass's rewrites too) no longer count in BM25F's statistics (Whoosh,
            # like Lucene, counts a deleted document's length and terms until a merge drops it), so the scores do
            # not depend on how its batches were written.  One that added a little merges only the small
            # segments, down to the limit (not a large index again for a few articles).
            most = 2 * (run.summary.indexed + run.summary.removed) >= sum(ix.doc_count() for ix in ixes)
            keep = 1 if most or options.rebuild else options.max_segments
            crowded = [target for ix, target in zip(ixes, targets, strict=True) if options.max_segments and segment_count(ix) > keep]
            for target, merged, seconds in merge_folders(crowded, options.lock_timeout, options.processes, keep):
                run.summary.merged_segments += merged
                report(f"{target}: merged {merged} segments {'into one' if keep == 1 else 'smallest first'} in {seconds:.0f} s")
        except BaseException:
            run.summary.interrupted = True
            raise
        finally:
            if run.evidence is not None:
                run.evidence.close()
            run.summary.seconds = time.monotonic() - started
            run.summary.facets = [spec.option for spec in facets.values()]
            cache_stats = getattr(tagger, "cache_stats", None)  # a tagger given by the caller may keep none
            if cache_stats is not None:
                run.summary.tagged_paragraphs, run.summary.reused_paragraphs = cache_stats.as_tuple()
                run.summary.tag_cache_problem = getattr(tagger, "cache_problem", "")
            if bar is not None:
                bar.close()
    return run.summary
