"""Curating an index's entities: an edited aliases file applied to the articles already indexed.

The tagger's raw mentions (text, NER label, paragraph, span) are stored with every article
(``entities["raw"]``, :meth:`searchapp.ingest.models.TaggedArticle.raw_json`).  Applying an
aliases file normalises them again (:func:`searchapp.ingest.entities.link_names`, the same
function tagging ends with, with the built-in aliases and the new file on top) and rewrites only
the articles whose entities change: spaCy never runs, so an archive is re-curated in seconds where
tagging it again takes minutes (BENCHMARKS.md, "Curating entities").

An article's other fields are written back exactly as they were: its stored fields as read, the
fields that are indexed but not stored rebuilt from them (:data:`REBUILT_FIELDS`: the text from
the stored paragraphs, the near-duplicate bands and file key from their columns, the dates'
fields from the stored dates).  The rewrite holds the indexing lock and commits in batches
(:func:`searchapp.store.index.batch_writer`): a run killed midway leaves every article either as
it was or fully rewritten, and running it again finishes the job.
"""

from __future__ import annotations

import datetime
import json
import os
import re
import shutil
import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import AliasesError, IndexUnavailable
from ..store.custom import load_facets
from ..store.index import (
    ALIASES_FILE,
    ALIASES_RECORD,
    CORPUS_ALIASES_FILE,
    IndexerLock,
    batch_writer,
    open_index,
    stored_keys,
    verify_before_writing,
)
from ..store.schema import ARABIC, article_ref, text_fields
from ..store.shards import shard_dirs
from .arabic_tags import link_arabic
from .documents import ENTITY_FIELDS, entity_fields, name_fields
from .entities import Aliases, RawMention, link_names, load_aliases, words_in_lower_case
from .gazetteer import place_lookup, place_spellings
from .models import Article, DateMention, Mention, PartialDate, TaggedArticle, raw_from_json
from .places import place_ancestors

# Fields indexed but not stored, which a rewrite rebuilds from what is stored (the entity fields
# aside): a field added to the schema later must be stored or listed here (tests/ingest/test_curate.py).
REBUILT_FIELDS = ("text", "words", "title_ar", "text_ar", "file_source", "dup_bands", "published", "months", "mentioned", "ref")
# each kind of entity -> the facet field holding its values
KIND_FIELDS = {"person": "people", "org": "orgs", "place": "places"}


@dataclass
class CurateSummary:
    """What applying an aliases file did to an index."""

    aliases_file: str
    read: int = 0
    rewritten: int = 0
    values_before: dict[str, int] = field(default_factory=dict)  # kind -> distinct facet values before
    values_after: dict[str, int] = field(default_factory=dict)
    skipped: int = 0  # indexed before raw mentions were stored: left as they are (an indexing run only)
    dry_run: bool = False  # nothing written: what would change
    # (value, kind) before -> after (None: dropped, or new) -> articles: what the edit does to the facets
    changes: Counter = field(default_factory=Counter)
    seconds: float = 0.0  # normalising and writing, the gazetteer loaded
    load_seconds: float = 0.0  # loading the aliases and the gazetteer
    corpus: str = ""  # what the corpus-wide pass derived (searchapp.ingest.corpus)

    def describe(self) -> str:
        kinds = ", ".join(f"{KIND_FIELDS[k]} {self.values_before.get(k, 0)} -> {self.values_after.get(k, 0)} values" for k in KIND_FIELDS)
        done = f"dry run of {self.aliases_file} (nothing written): read {self.read} articles, would rewrite" if self.dry_run else f"applied {self.aliases_file}: read {self.read} articles, rewrote"
        return (
            f"{done} {self.rewritten} "
            f"(the others' entities are unchanged)"
            + (f", left {self.skipped} indexed before raw mentions were stored" if self.skipped else "")
            + f"; {kinds}; time {self.seconds:.1f}s (+{self.load_seconds:.1f}s loading)"
            + (f"; {self.corpus}" if self.corpus else "")
        )


    def describe_changes(self, limit: int = 20) -> list[str]:
        """The edit's effect on the facets, most articles first: "Geir Pedersen (person) -> Geir O. Pedersen (person): 2 articles"."""

        def shown(value: tuple[str, str] | None, missing: str) -> str:
            return f"{value[0]} ({value[1]})" if value else missing

        ordered = sorted(self.changes.items(), key=lambda item: (-item[1], shown(item[0][0], ""), shown(item[0][1], "")))
        lines = [f"  {shown(old, '(new)')} -> {shown(new, '(dropped)')}: {n} article{'s' if n != 1 else ''}" for (old, new), n in ordered[:limit]]
        if len(ordered) > limit:
            lines.append(f"  ... and {len(ordered) - limit} more changes")
        return lines


def moves(old: list, new: list[Mention]) -> set[tuple[tuple[str, str] | None, tuple[str, str] | None]]:
    """What became of an article's facet values: (value, kind) before -> after, matched by the spans they cover.

    A value whose spans went to another value is renamed or merged; to none, dropped; a new value
    that took no span of an old one is (new).  Values that stay are left out.
    """
    after: dict[tuple[int, ...], list[tuple[str, str]]] = {}
    values = set()
    for mention in new:
        if mention.facet:
            values.add((mention.name, mention.kind))
            for span in mention.spans:
                after.setdefault(tuple(span), []).append((mention.name, mention.kind))
    kept = values & {(m["name"], m["kind"]) for m in old if m.get("facet", True)}

    def target_of(before: tuple[str, str], span) -> tuple[str, str] | None:
        """The new value of an old one's span; of a span two values share ("Syrias National Defence Forces"), itself if it
        is still there, else one that is not kept."""
        if span is None:
            return before if before in values else None
        there = after.get(tuple(span), [])
        if before in there:
            return before
        return next((v for v in there if v not in kept), there[0] if there else None)

    pairs: set = set()
    reached: set = set()
    for mention in old:
        if not mention.get("facet", True):
            continue
        before = (mention["name"], mention["kind"])
        for span in mention.get("spans", ()) or [None]:
            target = target_of(before, span)
            pairs.add((before, target))
            reached.add(target)
    for mention in new:
        value = (mention.name, mention.kind)
        if mention.facet and value not in reached:
            pairs.add((None, value))
    return {(a, b) for a, b in pairs if a != b}


def load_user_aliases(path: str | Path) -> Aliases:
    """The built-in aliases with the user's file on top, an error naming the file and line if it is bad."""
    path = Path(path)
    if not path.is_file():
        raise AliasesError(f"{path}: no such aliases file", param_hint="--apply-aliases")
    try:
        return load_aliases(path)
    except AliasesError as exc:
        message = str(exc)
        if str(path) in message and "line" not in message:  # a TOML syntax error says its line already
            line = _line_of(path, message)
            if line:
                message = message.replace(f"{path}:", f"{path}:{line}:", 1)
        raise AliasesError(message, param_hint="--apply-aliases") from None


def _line_of(path: Path, message: str) -> int | None:
    """The line of the aliases file holding the name an error quotes ("[kind] 'Assad' = 'people'")."""
    quoted = re.findall(r"'([^']+)'|\"([^\"]+)\"", message.partition(": ")[2])
    names = [a or b for a, b in quoted]
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError):
        return None
    section = re.search(r"\[(\w+)\]", message)
    for name in names:
        current = None
        for number, line in enumerate(lines, 1):
            header = re.match(r"\s*\[(\w+)\]", line)
            if header:
                current = header.group(1)
            elif (section is None or current == section.group(1)) and (f'"{name}"' in line or f"'{name}'" in line or line.strip().startswith(f"{name} ")):
                return number
    if "'drop'" in message or "drop" in message.split(":")[-1][:12]:
        return next((n for n, line in enumerate(lines, 1) if line.strip().startswith("drop")), None)
    return None


def renormalised(stored: dict, aliases: Aliases, known: tuple) -> list[Mention] | None:
    """The mentions of a stored article under ``aliases``, from its raw mentions; None when none are stored."""
    entities = stored.get("entities") or {}
    if "raw" not in entities:
        return None
    paragraphs = stored.get("paragraphs") or []
    raw = raw_from_json(entities["raw"], paragraphs)
    if stored.get("language") == ARABIC:  # named by the Arabic gazetteer, linked by its own linker (.arabic_tags)
        return link_arabic([RawMention(*row) for row in raw], aliases)
    lowercase = words_in_lower_case(paragraphs) if raw else set()
    return link_names([RawMention(*row) for row in raw], aliases, known, lowercase)


def _mentions_json(mentions: Iterable) -> list:
    """Mentions as comparable plain lists (stored ones come back as dicts of tuples)."""
    rows = []
    for m in mentions:
        if isinstance(m, Mention):
            rows.append([m.name, m.kind, list(m.paragraphs), [list(s) for s in m.spans], m.facet, []])
        else:
            rows.append(
                [m["name"], m["kind"], list(m.get("paragraphs", ())), [list(s) for s in m.get("spans", ())], m.get("facet", True), list(m.get("keys", ()))]
            )
    return rows


def _tagged(stored: dict, mentions: list[Mention]) -> TaggedArticle:
    entities = stored.get("entities") or {}
    article = Article(stored.get("id", ""), stored.get("title", ""), list(stored.get("paragraphs") or []), stored.get("source", ""))
    dates = [DateMention(d["text"], d["value"], d["paragraph"]) for d in entities.get("dates", [])]
    raw = raw_from_json(entities.get("raw", []), article.paragraphs)
    return TaggedArticle(article, mentions, dates, stored.get("language") or "en", raw)


def rewritten_document(stored: dict, key, tagged: TaggedArticle, aliases: Aliases | None = None) -> dict:
    """The fields to write for a stored article with new entities: everything else as indexed.

    ``key`` is its :class:`~searchapp.store.index.StoredKey` (the columns not stored: file key,
    near-duplicate bands).  Mirrors :func:`searchapp.ingest.documents.document_fields`.
    """
    doc = dict(stored)
    paragraphs = list(stored.get("paragraphs") or [])
    title = stored.get("title", "")
    title_field, text_field = text_fields(stored.get("language"))
    doc[text_field] = "\n".join(paragraphs)
    if title_field != "title":
        doc[title_field] = title
        doc["title"] = ""  # shown from "title", indexed in the language's own field only
        doc["_stored_title"] = title
    doc["words"] = title + "\n" + "\n".join(paragraphs)
    doc["ref"] = article_ref(stored["id"], title, stored.get("outlet_name"), stored.get("published_iso"))
    doc["file_source"] = key.file_source
    doc["dup_bands"] = key.dup_bands
    if stored.get("published_iso"):
        start = PartialDate.from_iso(stored["published_iso"]).start()
        doc["published"] = datetime.datetime(start.year, start.month, start.day)
    doc["months"] = ",".join(sorted({d.value[:7] for d in tagged.dates if len(d.value) >= 7}))
    doc["mentioned"] = ",".join(sorted({d.value for d in tagged.dates}))
    doc.update(entity_fields(tagged, aliases))
    keep_empty = ("paragraphs", "entities", "url", "furniture")
    return {k: v for k, v in doc.items() if v not in ("", None) or k in keep_empty or (k == "title" and "_stored_title" in doc)}


def _facet_values(mentions: Iterable, kind_counts: dict[str, set]) -> None:
    for m in mentions:
        name, kind, facet = (m.name, m.kind, m.facet) if isinstance(m, Mention) else (m["name"], m["kind"], m.get("facet", True))
        if facet:
            kind_counts.setdefault(kind, set()).add(name)


def reapply_aliases(
    index_dir: str | Path,
    aliases_file: str | Path,
    lock_timeout: float = 30.0,
    batch_size: int = 500,
    progress: Callable[[int], object] | None = None,
    dry_run: bool = False,
) -> CurateSummary:
    """Normalise every indexed article's stored raw mentions again under ``aliases_file``; rewrite those that change.

    The index is untouched when the aliases file is bad or when an article was indexed before raw
    mentions were stored (the error says to re-index with ``--rebuild``).  The file is then kept
    with the index (:func:`record_aliases`): later ``searchapp index`` runs use it unless told
    another.  ``progress`` is told how many articles were read, now and then.  ``dry_run``: nothing
    is written; the summary says what would change.  The corpus aliases of the
    index are removed: :func:`searchapp.ingest.corpus.apply_aliases` keeps them (what the CLI runs).
    """
    started = time.monotonic()
    aliases = load_user_aliases(aliases_file)
    index_dir = Path(index_dir)
    targets = shard_dirs(index_dir) or [index_dir]  # a sharded index: every shard, under the one lock
    for target in targets:
        open_index(target)  # no index here: say so before the lock creates the folder
    summary = CurateSummary(str(aliases_file))
    with IndexerLock(index_dir, lock_timeout):
        ixes = [open_index(target) for target in targets]
        for target in targets:
            verify_before_writing(target)  # never build on altered files
        if not dry_run:  # no corpus aliases under these (searchapp.ingest.corpus.apply_aliases keeps them)
            (index_dir / CORPUS_ALIASES_FILE).unlink(missing_ok=True)
        for ix, target in zip(ixes, targets, strict=True):
            renormalise_index(ix, target, aliases, summary, lock_timeout, batch_size, progress, started=started, dry_run=dry_run)
        if not dry_run:
            record_aliases(index_dir, aliases, aliases_file)
    return summary


def renormalise_index(
    ix,
    index_dir: Path,
    aliases: Aliases,
    summary: CurateSummary,
    lock_timeout: float,
    batch_size: int,
    progress: Callable[[int], object] | None = None,
    strict: bool = True,
    started: float | None = None,
    dry_run: bool = False,
    ids: set[str] | None = None,
    processes: int = 1,
) -> None:
    """The body of :func:`reapply_aliases`, for a caller holding the index's lock (an indexing run too).

    ``strict``: an article without stored raw mentions stops everything before any write (else it
    is left as it is: an indexing run tags it again when its input is read).  ``ids``: only these
    articles (the corpus pass's, :mod:`.corpus`: those a changed entry can touch); None: every one.
    ``processes``: writer processes for a large batch of rewritten articles (:func:`.batch_writer`).
    """
    started = started if started is not None else time.monotonic()
    known = (place_lookup(), place_spellings())
    place_ancestors("Damascus")  # the place hierarchy's tables, loaded once (counted as loading, not per article)
    summary.load_seconds = time.monotonic() - started
    started = time.monotonic()
    before: dict[str, set] = {}
    after: dict[str, set] = {}
    facets = load_facets(index_dir)
    changed: dict[str, list[Mention]] = {}  # id -> its new mentions
    with ix.searcher() as searcher:
        if ids is None:
            every = searcher.reader().all_stored_fields()
        else:
            every = (searcher.stored_fields(n) for i in sorted(ids) if (n := searcher.document_number(id=i)) is not None)
        for stored in every:
            summary.read += 1
            mentions = renormalised(stored, aliases, known)
            old = (stored.get("entities") or {}).get("mentions", [])
            _facet_values(old, before)
            if mentions is None:
                if strict:
                    raise IndexUnavailable(
                        f"{index_dir}: article {stored.get('id')!r} was indexed by an older searchapp, which did not keep "
                        "the raw mentions aliases are applied to; index its inputs again with `searchapp index --rebuild` "
                        "(nothing was changed)"
                    )
                summary.skipped += 1
                _facet_values(old, after)
                continue
            _facet_values(mentions, after)
            # compared as stored, spelling keys included: an alias that adds a spelling changes what a search finds
            if _mentions_json(name_fields(_tagged(stored, mentions), aliases)[1]["mentions"]) != _mentions_json(old):
                changed[stored["id"]] = mentions
                summary.changes.update(moves(old, mentions))
            if progress is not None and summary.read % 1000 == 0:
                progress(summary.read)
    if dry_run:
        summary.dry_run = True
        summary.rewritten = len(changed)
        changed = {}
    keys = {key.id: key for key in stored_keys(ix)} if changed else {}
    ids = list(changed)
    for first in range(0, len(ids), batch_size):
        batch = ids[first : first + batch_size]
        extra = {s.name: s.field_type() for s in facets.values()}
        with ix.searcher() as searcher, batch_writer(ix, False, lock_timeout, extra, processes=processes, documents=len(batch)) as writer:
            for article_id in batch:
                docnum = searcher.document_number(id=article_id)
                stored = searcher.stored_fields(docnum)
                writer.update_document(**rewritten_document(stored, keys[article_id], _tagged(stored, changed[article_id]), aliases))
                summary.rewritten += 1
    summary.values_before = {k: len(v) for k, v in before.items()}
    summary.values_after = {k: len(v) for k, v in after.items()}
    summary.seconds = time.monotonic() - started


def applied_digest(index_dir: str | Path) -> str | None:
    """The digest of the aliases last applied to every article of the index (None: not recorded)."""
    try:
        record = json.loads((Path(index_dir) / ALIASES_RECORD).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return record.get("digest") if isinstance(record, dict) else None


def kept_aliases_file(index_dir: str | Path) -> Path | None:
    """The copy of the user's aliases file kept with the index, if any."""
    path = Path(index_dir) / ALIASES_FILE
    return path if path.is_file() else None


def record_aliases(index_dir: str | Path, aliases: Aliases, aliases_file: str | Path | None) -> None:
    """Keep ``aliases_file`` (a copy) with the index, and the digest of ``aliases`` as applied to every article.

    Each file is written to a temporary name and renamed, so a crash leaves the old record or the new.
    """
    folder = Path(index_dir)
    copy = folder / ALIASES_FILE
    if aliases_file is None:
        copy.unlink(missing_ok=True)
    elif Path(aliases_file).resolve() != copy.resolve():
        temporary = folder / (ALIASES_FILE + ".tmp")
        shutil.copyfile(aliases_file, temporary)
        os.replace(temporary, copy)
    record = {"digest": aliases.digest, "file": str(aliases_file) if aliases_file else None}
    temporary = folder / (ALIASES_RECORD + ".tmp")
    temporary.write_text(json.dumps(record, ensure_ascii=False, indent=1), encoding="utf-8")
    os.replace(temporary, folder / ALIASES_RECORD)


__all__ = [
    "ENTITY_FIELDS", "REBUILT_FIELDS", "CurateSummary", "applied_digest", "kept_aliases_file", "load_user_aliases",
    "reapply_aliases", "record_aliases", "renormalise_index", "rewritten_document",
]  # fmt: skip
