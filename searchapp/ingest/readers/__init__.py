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

import gzip
import zlib
from collections.abc import Iterable, Iterator
from pathlib import Path

from ...errors import SourceError
from ..models import Article, Notice, Rejection
from .common import ReadOptions, decode
from .html import html_article
from .manifest import read_manifest
from .records import COLUMN_NAMES, RECORD_FORMATS, ColumnError, check_columns, read_records, record_columns
from .text import text_article

FILE_FORMATS = (".txt", ".md", ".html", ".htm")
__all__ = ["COLUMN_NAMES", "ColumnError", "ReadOptions", "check_inputs", "count_inputs", "iter_files", "read_file", "read_paths"]


def supported(path: Path) -> bool:
    name = path.name.lower().removesuffix(".gz")
    return name.endswith(RECORD_FORMATS + FILE_FORMATS)


def iter_files(paths: Iterable[Path], exclude: Iterable[Path] = ()) -> Iterator[Path | Rejection]:
    """Every readable file under ``paths`` (folders recursively, hidden files skipped)."""
    excluded = {p.resolve() for p in exclude}
    for path in paths:
        if not path.exists():
            raise SourceError(f"{path}: no such file or folder")
        if path.is_dir():
            for child in sorted(path.rglob("*")):
                hidden = any(part.startswith(".") for part in child.relative_to(path).parts)
                if child.is_file() and not hidden and supported(child) and child.resolve() not in excluded:
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
            found[str(item)] = record_columns(item, name, _read_bytes(item))
        except (OSError, EOFError, zlib.error, gzip.BadGzipFile):
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
    try:
        raw = _read_bytes(path)
    except (OSError, EOFError, zlib.error, gzip.BadGzipFile) as exc:
        yield Rejection(str(path), f"cannot read file: {exc}")
        return
    if name.endswith(RECORD_FORMATS):
        yield from read_records(path, name, raw, options)
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


def _read_bytes(path: Path) -> bytes:
    if path.name.lower().endswith(".gz"):
        with gzip.open(path, "rb") as f:
            return f.read()
    return path.read_bytes()


def count_inputs(paths: Iterable[Path], manifest: Path | None = None) -> int | None:
    """A quick estimate of how many articles ``paths`` hold, for the progress bar's ETA."""
    total = 0
    try:
        for item in iter_files(paths, exclude=[manifest] if manifest else []):
            if isinstance(item, Rejection):
                continue
            name = item.name.lower().removesuffix(".gz")
            if name.endswith((".jsonl", ".ndjson", ".csv")):
                opener = gzip.open if item.name.lower().endswith(".gz") else open
                with opener(item, "rb") as f:
                    total += sum(chunk.count(b"\n") for chunk in iter(lambda: f.read(1 << 20), b""))
            elif name.endswith(".json"):
                total += 1
            else:
                total += 1
    except (OSError, EOFError, zlib.error, SourceError):
        return None
    return total
