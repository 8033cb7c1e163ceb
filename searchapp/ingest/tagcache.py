"""The tag cache: spaCy's entity spans of each distinct paragraph, computed once, kept beside the index.

spaCy's NER is almost all the cost of indexing, and news archives repeat themselves: a wire story
republished by ten outlets, boilerplate paragraphs, a ``--rebuild`` or a re-run after the index
format changed.  The cache keeps, for each text given to the pipeline, the entity spans the
pipeline found in it, so each distinct paragraph goes through spaCy once.

* **What is cached is a pure function of its key.**  The key is a hash of the exact text given to
  ``nlp.pipe`` (the paragraph with its dateline and page furniture blanked, cut at the tagged-characters
  budget) and of the pipeline's fingerprint (:data:`searchapp.ingest.tagging.PIPELINE_VERSION`, the
  spaCy and model versions, the components and every EntityRuler pattern).  The value is the spans
  alone, ``(start, end, label)``.  Everything that depends on the article (its published date resolving
  "last Tuesday", its outlet telling a credit from an actor, whether it is about Syria, the
  aliases) is worked out again from the spans on every run, so a cached paragraph is tagged exactly
  as an uncached one (tests/ingest/test_tagcache.py checks it on the samples and on FA-KES).
* **Beside the index**: ``<index>/tag-cache/tags.sqlite``, an SQLite database in WAL mode.  Every
  write is one transaction, so a run killed at any point (SIGKILL included) leaves the cache as it
  was after its last finished transaction; SQLite rolls back the rest when the file is next opened.
  A cache found damaged (not a database, corrupt, another schema) is deleted with a warning and
  started again (it only ever saves time); one that cannot be used now (a full disk) is left alone
  and the run tags without it, saying so in its summary.
* **Bounded**: at most ``tag_cache_entries`` paragraphs (:class:`searchapp.config.Settings`); past it
  the least recently used are deleted in the same transaction that added the new ones, so the bound
  holds at every commit.  0 turns the cache off.
* **Shared by the tagging processes**: local workers and the Dask workers of the same machine open
  the same file (WAL: readers never wait, writers queue for a moment); a Dask worker that cannot
  see the file tags without it.  Two processes may tag the same new paragraph at the same time;
  the spans are the same, and the second write is ignored.
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import NamedTuple, TypeVar

from ..store.index import TAG_CACHE_FOLDER

CACHE_FILE = "tags.sqlite"
SCHEMA = 1  # of the database itself; the pipeline's version is in every key
_CHUNK = 500  # keys per SELECT (SQLite's limit on bound parameters is 32766 today, 999 in old builds)

Context = TypeVar("Context")


class Span(NamedTuple):
    """What the tagging reads of one of spaCy's entities (the attributes of ``spacy.tokens.Span`` it uses)."""

    start_char: int
    end_char: int
    label_: str
    text: str


@dataclass
class CacheStats:
    """Paragraphs given to tagging: those spaCy ran on, those whose spans were reused (from the
    cache or from an identical paragraph of the same batch)."""

    tagged: int = 0
    reused: int = 0

    def add(self, other: tuple[int, int]) -> None:
        self.tagged += other[0]
        self.reused += other[1]

    def as_tuple(self) -> tuple[int, int]:
        return self.tagged, self.reused


@dataclass(frozen=True)
class CacheSpec:
    """Where the cache is and how big it may grow: what is sent to a tagging worker, which opens it itself."""

    path: Path
    max_entries: int

    @classmethod
    def beside(cls, index_dir: str | Path, max_entries: int) -> CacheSpec | None:
        """The cache of the index in ``index_dir``; None when ``max_entries`` is 0 (no cache)."""
        return cls(Path(index_dir).absolute() / TAG_CACHE_FOLDER / CACHE_FILE, max_entries) if max_entries > 0 else None


def cache_files(path: Path) -> list[Path]:
    """The database and the journal files SQLite keeps beside it."""
    return [path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")]


class TagCache:
    """One process's connection to the cache.  Open it in the process that uses it (never across a fork)."""

    def __init__(self, spec: CacheSpec, report: Callable[[str], None] = lambda message: None) -> None:
        self.spec = spec
        self.report = report
        self.broken = False  # an error in use: this process goes on without the cache
        spec.path.parent.mkdir(parents=True, exist_ok=True)
        self.problem = ""  # why this process stopped using the cache, if it did
        try:
            self._db = self._connect()
        except sqlite3.DatabaseError as exc:
            if not _damaged(exc):  # a full disk, a read-only folder, a lock held too long: the caller decides
                raise
            report(f"warning: tag cache {spec.path} unreadable ({exc}); starting it again")  # it only ever saved time
            for name in cache_files(spec.path):
                name.unlink(missing_ok=True)
            self._db = self._connect()

    def _connect(self) -> sqlite3.Connection:
        db = sqlite3.connect(self.spec.path, timeout=60.0, isolation_level=None, check_same_thread=False)
        try:
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=NORMAL")  # a killed process loses nothing committed; power loss, at most the last commits
            db.execute("BEGIN IMMEDIATE")
            db.execute("CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value INTEGER NOT NULL)")
            db.execute("CREATE TABLE IF NOT EXISTS spans (key BLOB NOT NULL UNIQUE, spans TEXT NOT NULL, used INTEGER NOT NULL)")
            db.execute("CREATE INDEX IF NOT EXISTS spans_used ON spans (used)")
            db.execute("INSERT OR IGNORE INTO meta VALUES ('schema', ?)", (SCHEMA,))
            if db.execute("INSERT OR IGNORE INTO meta VALUES ('entries', 0)").rowcount:
                db.execute("UPDATE meta SET value = (SELECT count(*) FROM spans) WHERE name = 'entries'")
            schema = db.execute("SELECT value FROM meta WHERE name = 'schema'").fetchone()[0]
            if schema != SCHEMA:
                raise _OtherSchema(f"cache schema {schema}, this searchapp uses {SCHEMA}")
            db.execute("COMMIT")
        except BaseException:
            db.close()
            raise
        return db

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> TagCache:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def __len__(self) -> int:
        return self._db.execute("SELECT value FROM meta WHERE name = 'entries'").fetchone()[0]

    def get(self, keys: Iterable[bytes]) -> dict[bytes, list[tuple[int, int, str]]]:
        """The spans of those ``keys`` the cache holds."""
        if self.broken:
            return {}
        keys = list(keys)
        found: dict[bytes, list[tuple[int, int, str]]] = {}
        try:
            for at in range(0, len(keys), _CHUNK):
                chunk = keys[at : at + _CHUNK]
                rows = self._db.execute(f"SELECT key, spans FROM spans WHERE key IN ({','.join('?' * len(chunk))})", chunk)
                for key, spans in rows:
                    found[key] = [(int(s), int(e), str(label)) for s, e, label in json.loads(spans)]
        except (sqlite3.Error, ValueError, TypeError) as exc:
            self._give_up(exc)
            return {}
        return found

    def put(self, new: dict[bytes, list[tuple[int, int, str]]], used: Iterable[bytes] = ()) -> None:
        """Add the spans of ``new`` paragraphs and mark ``used`` ones as just used, in one transaction;
        then delete the least recently used past the bound, in the same transaction."""
        if self.broken:
            return
        stamp = time.time_ns()
        try:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                added = 0
                for key, spans in new.items():
                    row = (json.dumps(spans), stamp, key)  # an entry already there (another process's, a bad one) is overwritten
                    if not self._db.execute("UPDATE spans SET spans = ?, used = ? WHERE key = ?", row).rowcount:
                        added += self._db.execute("INSERT INTO spans (spans, used, key) VALUES (?, ?, ?)", row).rowcount
                self._db.executemany("UPDATE spans SET used = ? WHERE key = ?", ((stamp, key) for key in used))
                entries = self._db.execute("SELECT value FROM meta WHERE name = 'entries'").fetchone()[0] + added
                if entries > self.spec.max_entries:
                    entries -= self._db.execute(
                        "DELETE FROM spans WHERE rowid IN (SELECT rowid FROM spans ORDER BY used, rowid LIMIT ?)",
                        (entries - self.spec.max_entries,),
                    ).rowcount
                self._db.execute("UPDATE meta SET value = ? WHERE name = 'entries'", (entries,))
                self._db.execute("COMMIT")
            except BaseException:
                if self._db.in_transaction:
                    self._db.execute("ROLLBACK")
                raise
        except sqlite3.Error as exc:  # a full disk, a damaged file: the run goes on, tagging without the cache
            self._give_up(exc)

    def _give_up(self, exc: Exception) -> None:
        """Tag without the cache from now on; the run's summary says why (a full disk is the index's error to report)."""
        self.broken = True
        self.problem = str(exc)


class _OtherSchema(sqlite3.DatabaseError):
    """A cache written by another version of this module: started again, like a damaged one."""


def _damaged(exc: sqlite3.DatabaseError) -> bool:
    """A file that is not a cache we can read (not a database, corrupt, another schema), as opposed to a
    cache we cannot use now (a full disk, a read-only folder, a lock held too long)."""
    return isinstance(exc, _OtherSchema) or getattr(exc, "sqlite_errorname", "") in ("SQLITE_CORRUPT", "SQLITE_NOTADB")


_open: dict[tuple[int, Path], TagCache] = {}


def open_cache(spec: CacheSpec | None, must_exist: bool = False) -> TagCache | None:
    """This process's connection to the cache of ``spec`` (opened once per process); None without one.

    ``must_exist``: a Dask worker, perhaps on another machine, uses the cache only if it finds the
    file the indexer created, never starting one of its own somewhere else.
    """
    if spec is None:
        return None
    opened = _open.get((os.getpid(), spec.path))
    if opened is None:
        if must_exist and not spec.path.is_file():
            return None
        try:
            opened = TagCache(spec)
        except (OSError, sqlite3.Error):  # a read-only folder, a full disk: tag without it
            return None
        _open[(os.getpid(), spec.path)] = opened
    return opened


@lru_cache(maxsize=4)
def pipeline_fingerprint(nlp, version: str) -> bytes:
    """What, besides the text, decides the spans: the pipeline's version, spaCy's and the model's
    versions, the components, and every pattern of its EntityRulers (aliases, gazetteer)."""
    import spacy

    digest = hashlib.blake2b(digest_size=16)
    meta = nlp.meta
    digest.update(json.dumps([version, spacy.__version__, meta.get("name"), meta.get("version"), nlp.pipe_names]).encode())
    for name in nlp.pipe_names:
        patterns = getattr(nlp.get_pipe(name), "patterns", None)
        if patterns is not None:
            digest.update(json.dumps([name, patterns], sort_keys=True, default=str).encode())
    return digest.digest()


def cache_key(fingerprint: bytes, text: str) -> bytes:
    return hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=20, key=fingerprint).digest()


def entity_spans(
    nlp,
    units: list[tuple[str, Context]],
    version: str,
    cache: TagCache | None = None,
    stats: CacheStats | None = None,
    batch_size: int = 64,
) -> Iterator[tuple[str, list[Span], Context]]:
    """(text, its entity spans, context) for each (text, context) of ``units``, in order.

    Only the distinct texts that the cache does not hold go through ``nlp.pipe``; the spans come
    back in the shape of spaCy's (:class:`Span`), so the caller reads them as it read ``doc.ents``.
    """
    fingerprint = pipeline_fingerprint(nlp, version)
    keys = [cache_key(fingerprint, text) for text, _ in units]
    known = cache.get(set(keys)) if cache is not None else {}
    todo: dict[bytes, str] = {}
    for key, (text, _) in zip(keys, units, strict=True):
        if key in known and not all(0 <= start < end <= len(text) for start, end, _label in known[key]):
            del known[key]  # spans that cannot be this text's (a file altered by hand): tagged again
        if key not in known:
            todo.setdefault(key, text)
    found = {
        key: [(ent.start_char, ent.end_char, ent.label_) for ent in doc.ents]
        for doc, key in nlp.pipe(((text, key) for key, text in todo.items()), as_tuples=True, batch_size=batch_size)
    }
    if cache is not None:
        cache.put(found, used=known.keys())
    if stats is not None:
        stats.tagged += len(todo)
        stats.reused += len(units) - len(todo)
    for key, (text, context) in zip(keys, units, strict=True):
        spans = known[key] if key in known else found[key]
        yield text, [Span(start, end, label, text[start:end]) for start, end, label in spans], context
