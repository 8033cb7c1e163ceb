"""Reading sources: files and folders of news to :class:`~searchapp.ingest.models.Article` records.

One module per format, chosen by file name (a ``.gz`` suffix is decompressed first):
:mod:`~searchapp.ingest.readers.text` (``.txt``, ``.md``), :mod:`~searchapp.ingest.readers.html`
(``.html``, ``.htm``), :mod:`~searchapp.ingest.readers.records` (``.jsonl``, ``.json``, ``.csv``);
:mod:`~searchapp.ingest.readers.common` holds what they share.

Folders are read recursively in sorted order.  Every problem is reported as a
:class:`~searchapp.ingest.models.Rejection` naming the file and line or row, and reading goes on:
one bad record never costs the good ones around it.  Text that is not valid UTF-8 is decoded with
replacement characters and a warning; UTF-16 and UTF-8 with a byte-order mark are recognised.
"""

from __future__ import annotations

import codecs
import errno
import gzip
import os
import stat
import sys
import zlib
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from itertools import islice
from pathlib import Path
from typing import BinaryIO

from ...config import Settings
from ...errors import SourceError
from ..models import Article, Notice, Rejection
from .common import ReadOptions, decode
from .html import html_article
from .manifest import read_manifest
from .records import COLUMN_NAMES, RECORD_FORMATS, ColumnError, TextLines, check_columns, decoded_lines, read_records, record_columns
from .text import text_article

FILE_FORMATS = (".txt", ".md", ".html", ".htm")
STREAMED_FORMATS = (".jsonl", ".ndjson", ".csv")  # read a line at a time (a .json file is one value: read whole)
__all__ = ["COLUMN_NAMES", "ColumnError", "ReadOptions", "check_inputs", "count_inputs", "iter_files", "read_file", "read_paths"]


def supported(path: Path) -> bool:
    name = path.name.lower().removesuffix(".gz")
    return name.endswith(RECORD_FORMATS + FILE_FORMATS)


def not_a_file(path: Path) -> str | None:
    """Why ``path`` cannot be read as a file (a FIFO, a socket, a device, a dangling link, a link loop), or None.

    Opening a FIFO waits for a writer, forever: such a path is reported and never opened.
    """
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        return "a symbolic link to nothing (dangling link): skipped" if path.is_symlink() else "vanished while being read"
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            return "a symbolic link loop: skipped"
        return f"cannot read: {exc.strerror or exc}"
    if stat.S_ISREG(mode) or stat.S_ISDIR(mode):
        return None
    if stat.S_ISFIFO(mode):
        return "a FIFO (named pipe), not a file: skipped (reading it would wait for a writer)"
    if stat.S_ISSOCK(mode):
        return "a socket, not a file: skipped"
    return "a device, not a file: skipped"


def iter_files(paths: Iterable[Path], exclude: Iterable[Path] = ()) -> Iterator[Path | Rejection]:
    """Every readable file under ``paths`` (folders recursively, hidden files skipped).

    Special files (FIFOs, sockets, devices, dangling links, link loops) and links to folders (not
    followed) are reported as rejections with the reason, never opened.
    """
    excluded = {p.resolve() for p in exclude}
    for path in paths:
        if not path.exists() and not path.is_symlink():
            raise SourceError(f"{path}: no such file or folder")
        if reason := not_a_file(path):
            yield Rejection(str(path), reason)
        elif path.is_dir():
            for child in sorted(path.rglob("*")):
                if any(part.startswith(".") for part in child.relative_to(path).parts):
                    continue
                if reason := not_a_file(child):
                    yield Rejection(str(child), reason)
                elif child.is_dir():
                    if child.is_symlink():
                        yield Rejection(str(child), "a symbolic link to a folder: not followed (give the folder itself to read it)")
                elif supported(child) and child.resolve() not in excluded:
                    yield child
        elif path.resolve() in excluded:
            continue
        elif supported(path):
            yield path
        else:
            yield Rejection(str(path), "unsupported file type (expected .txt .md .html .jsonl .json .csv, optionally .gz)")


def check_inputs(paths: Iterable[Path], options: ReadOptions) -> None:
    """Before a run: every column a ``--field`` or ``--facet`` names exists in some record file.

    Reads the header (or the first records) of each record file; a ColumnError (exit 2) lists the
    columns that do exist, so a typo never runs for an hour to index nothing of the column.
    """
    wanted = dict(options.field_map)
    if not wanted and not options.facets:
        return
    found: dict[str, list[str]] = {}
    for item in iter_files(paths, exclude=[options.manifest] if options.manifest else []):
        if isinstance(item, Rejection):
            continue
        name = item.name.lower().removesuffix(".gz")
        if not name.endswith(RECORD_FORMATS):
            continue
        try:
            source = record_lines(item, name, options.max_file_bytes)
            if not isinstance(source, Rejection):
                found[str(item)] = record_columns(item, name, source)
        except (OSError, EOFError, zlib.error, gzip.BadGzipFile, FileTooLarge):
            continue  # the run rejects it with the reason
    check_columns(found, wanted, options.facets)


def read_paths(paths: Iterable[Path], options: ReadOptions | None = None) -> Iterator[Article | Rejection | Notice]:
    """Articles (and rejections) from files and folders, in a stable order."""
    options = options or ReadOptions()
    manifest = options.manifest
    metadata = read_manifest(manifest) if manifest else {}
    for item in iter_files(paths, exclude=[manifest] if manifest else []):
        if isinstance(item, Rejection):
            yield item
        else:
            yield from read_file(item, metadata, options)


def read_file(path: Path, manifest: dict[str, dict[str, str]], options: ReadOptions) -> Iterator[Article | Rejection | Notice]:
    """The articles of one file, by its format (``manifest``: file name -> metadata row)."""
    name = path.name.lower().removesuffix(".gz")
    one_article = not name.endswith(RECORD_FORMATS)
    cap = min(options.max_file_bytes, 40 * options.max_article_chars) if one_article else options.max_file_bytes
    try:
        if name.endswith(RECORD_FORMATS):
            source = record_lines(path, name, cap)
            yield from read_records(path, name, source, options) if not isinstance(source, Rejection) else [source]
            return
        raw = read_bounded(path, cap)
    except FileTooLarge as exc:
        size = f"decompresses to more than {cap:,} bytes" if exc.size is None else f"file of {exc.size:,} bytes"
        if cap < options.max_file_bytes:
            reason = f"{size}: longer than any article may be ({options.max_article_chars:,} characters, SEARCHAPP_MAX_ARTICLE_CHARS; {cap:,} bytes)"
        else:
            reason = f"{size}: larger than the limit of {cap:,} bytes (SEARCHAPP_MAX_FILE_BYTES)"
        yield Rejection(str(path), reason)
        return
    except (OSError, EOFError, zlib.error, gzip.BadGzipFile) as exc:
        yield Rejection(str(path), f"cannot read file: {exc}")
        return
    text, warning = decode(raw)
    if text is None:
        yield Rejection(str(path), warning or "cannot decode")
        return
    meta = manifest.get(path.name) or manifest.get(path.name.removesuffix(".gz")) or {}
    if name.endswith((".html", ".htm")):
        article = html_article(path, text, meta, options)
    else:
        article = text_article(path, text, meta, options)
    if isinstance(article, Article) and warning:
        article.warnings.append(warning)
    yield article


class FileTooLarge(Exception):
    """A file (decompressed) is larger than the bound on what one file may hold; ``size`` when known."""

    def __init__(self, size: int | None) -> None:
        super().__init__(size)
        self.size = size


@contextmanager
def _open_regular(path: Path) -> Iterator[BinaryIO]:
    """``path`` opened for reading in binary (decompressed when ``.gz``): OSError when it is not a regular file."""
    compressed = path.name.lower().endswith(".gz")
    # O_NONBLOCK: a path that became a FIFO since it was listed fails here instead of waiting
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    with os.fdopen(fd, "rb") as raw_file:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise OSError(errno.EINVAL, "not a regular file")
        os.set_blocking(fd, True)
        if not compressed:
            yield raw_file
            return
        with gzip.GzipFile(fileobj=raw_file, mode="rb") as f:  # (which never closes the file it is given)
            yield f


def read_bounded(path: Path, cap: int) -> bytes:
    """The bytes of ``path`` (decompressed when ``.gz``), read in a stream that stops past ``cap``.

    A gzip bomb (a megabyte that inflates to gigabytes) costs at most ``cap`` bytes of memory.
    """
    compressed = path.name.lower().endswith(".gz")
    if not compressed and path.stat().st_size > cap:
        with _open_regular(path):  # (not a regular file: its own error first)
            raise FileTooLarge(path.stat().st_size)
    with _open_regular(path) as f:
        chunks, total = [], 0
        while block := f.read(min(1 << 20, cap + 1 - total)):
            chunks.append(block)
            total += len(block)
            if total > cap:
                raise FileTooLarge(None if compressed else path.stat().st_size)
    return b"".join(chunks)


class StreamedLines:
    """The lines of a JSON Lines or CSV file, read and decoded one at a time: memory holds a line, not the file.

    A million-article archive is a gigabyte or more of JSON Lines; read whole, the file and its
    decoded text (2 GB at 1M synthetic articles) stayed in the indexer's memory for the whole run,
    and in every process it forked.  Each call of :meth:`lines` reads the file again from the start
    (a ``--facet`` pass over repeated ids reads it twice).  Lines are split at ``\n`` and decoded as
    UTF-8 (a UTF-8 byte-order mark skipped); a line that is not valid UTF-8 is decoded with
    replacement characters, with one warning naming the byte where the file first goes wrong.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self._warned = False

    def lines(self) -> Iterator[str]:
        with _open_regular(self.path) as f:
            offset = 0
            while line := f.readline():
                if offset == 0 and line.startswith(codecs.BOM_UTF8):
                    line = line[len(codecs.BOM_UTF8) :]
                try:
                    text = line.decode("utf-8")
                except UnicodeDecodeError as exc:
                    text = line.decode("utf-8", errors="replace")
                    if not self._warned:
                        print(f"warning: {self.path}: invalid UTF-8 at byte {offset + exc.start}: decoded with replacement characters", file=sys.stderr)
                        self._warned = True
                offset += len(line)
                yield text


def record_lines(path: Path, name: str, cap: int) -> StreamedLines | TextLines | Rejection:
    """The lines of a record file (``name``: its lower-cased name without ``.gz``): streamed for JSON Lines
    and CSV, else read whole (a ``.json`` value; a UTF-16 file); a Rejection for a binary file.

    A file larger than ``cap`` bytes (decompressed) raises :class:`FileTooLarge` before any record is
    read, as for any file: for a ``.gz``, found by a first pass that decompresses it and keeps nothing.
    """
    with _open_regular(path) as f:
        head = f.read(8192)
    if not head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)) and name.endswith(STREAMED_FORMATS):
        if b"\x00" in head:
            return Rejection(str(path), "binary file (contains NUL bytes)")
        if name.endswith(".csv") and b"\r" in head and b"\n" not in head:  # old Mac line ends: csv's own splitting
            return decoded_lines(path, name, read_bounded(path, cap))
        if path.name.lower().endswith(".gz"):
            _check_decompressed_size(path, cap)
        elif path.stat().st_size > cap:
            raise FileTooLarge(path.stat().st_size)
        return StreamedLines(path)
    return decoded_lines(path, name, read_bounded(path, cap))


def _check_decompressed_size(path: Path, cap: int) -> None:
    with _open_regular(path) as f:
        total = 0
        while block := f.read(1 << 16):
            total += len(block)
            if total > cap:
                raise FileTooLarge(None)


def count_inputs(paths: Iterable[Path], manifest: Path | None = None, max_file_bytes: int = Settings.max_file_bytes) -> int | None:
    """A quick estimate of how many articles ``paths`` hold, for the progress bar's ETA."""
    total = 0
    try:
        for item in iter_files(paths, exclude=[manifest] if manifest else []):
            if isinstance(item, Rejection):
                continue
            name = item.name.lower().removesuffix(".gz")
            if name.endswith((".jsonl", ".ndjson", ".csv")):
                opener = gzip.open if item.name.lower().endswith(".gz") else open
                with opener(item, "rb") as f:  # a gzip bomb is counted up to the file bound only
                    total += sum(chunk.count(b"\n") for chunk in islice(iter(lambda: f.read(1 << 20), b""), max_file_bytes >> 20))
            elif name.endswith(".json"):
                total += 1
            else:
                total += 1
    except (OSError, EOFError, zlib.error, SourceError):
        return None
    return total
