"""Records (``.jsonl``/``.ndjson``, ``.json``, ``.csv``): one article per record.

Columns are found by their common names (:data:`COLUMN_NAMES`), ``--field NAME=COLUMN``
overrides them.  Every bad record (broken JSON, a row with more cells than columns, no text) is
rejected with its file and line, and the records around it are read.
"""

from __future__ import annotations

import csv
import io
import json
import sys
from collections.abc import Iterator
from pathlib import Path

from ..models import Article, Rejection
from .common import ReadOptions, decode, make_article, replace_surrogates, split_paragraphs

COLUMN_NAMES: dict[str, tuple[str, ...]] = {
    "id": ("id", "doc_id", "docid", "docno", "newid", "guid", "uuid", "article_id"),
    "title": ("title", "headline", "heading"),
    "text": ("text", "content", "body", "article_content", "article", "full_text", "story"),
    "outlet": ("outlet", "source", "publication", "publisher", "site_name", "sitename", "media"),
    "published": ("published", "date", "time", "publish_date", "published_at", "pubdate",
                  "datetime", "timestamp", "published_date"),
    "url": ("url", "link", "href", "source_url", "permalink"),
}  # fmt: skip
RECORD_FORMATS = (".jsonl", ".ndjson", ".json", ".csv")

def read_records(path: Path, name: str, raw: bytes, options: ReadOptions) -> Iterator[Article | Rejection]:
    """The articles of a JSON Lines, JSON or CSV file, one per record (bad records rejected with their line)."""
    text, warning = decode(raw)
    if text is None:
        yield Rejection(str(path), warning or "cannot decode")
        return
    if warning:
        print(f"warning: {path}: {warning}", file=sys.stderr)
    if name.endswith(".csv"):
        records = _csv_records(path, text, options.max_record_chars)
    elif name.endswith(".json"):
        records = _json_records(path, text)
    else:
        records = _jsonl_records(path, text, options.max_record_chars)
    columns: dict[str, str | None] | None = None
    for where, record in records:
        if isinstance(record, Rejection):
            yield record
            continue
        if columns is None:
            columns = map_columns(list(record), options.field_map)
            if columns["text"] is None:
                yield Rejection(str(path), f"no text column: expected one of {', '.join(COLUMN_NAMES['text'])} (or --field text=COLUMN); found {', '.join(map(str, record)) or 'none'}")
                return
        try:
            yield _record_article(f"{path}:{where}", record, columns, options)
        except (ValueError, TypeError, RecursionError, UnicodeError) as exc:  # a record no check foresaw: still only that record
            yield Rejection(f"{path}:{where}", f"cannot read record: {type(exc).__name__}: {exc}")


def map_columns(keys: list[str], field_map: dict[str, str]) -> dict[str, str | None]:
    """Which record key holds each article field: the override, else the first common name."""
    by_lower = {str(k).lower().strip(): k for k in keys}
    columns: dict[str, str | None] = {}
    for field, names in COLUMN_NAMES.items():
        if field in field_map:
            columns[field] = field_map[field]
            continue
        columns[field] = next((by_lower[n] for n in names if n in by_lower), None)
    return columns


def _record_article(where: str, record: dict, columns: dict[str, str | None], options: ReadOptions) -> Article | Rejection:
    replaced = 0

    def value(field: str) -> str | None:
        nonlocal replaced
        key = columns.get(field)
        if key is None:
            return None
        got = record.get(key)
        if got is None:
            return None
        if isinstance(got, list):
            got = "\n\n".join(str(x) for x in got) if field == "text" else (str(got[0]) if got else None)
        elif isinstance(got, dict):
            return None
        if got is None:
            return None
        text, count = replace_surrogates(str(got))
        replaced += count
        return text

    text = value("text")
    if text is None:
        return Rejection(where, f"missing text column {columns['text']!r}")
    article = make_article(
        source=where,
        title=value("title") or "",
        paragraphs=split_paragraphs(text),
        record_id=value("id"),
        outlet=value("outlet"),
        published=value("published"),
        url=value("url"),
        max_chars=options.max_article_chars,
        limits=options.limits,
    )
    if replaced and isinstance(article, Article):
        article.warnings.append(f"{replaced} lone UTF-16 surrogate(s) (\\ud800-\\udfff) replaced by U+FFFD")
    return article


def _lines(text: str) -> Iterator[str]:
    """The lines of ``text`` one at a time (a StringIO copies the whole text as 4 bytes a character)."""
    start = 0
    while start < len(text):
        end = text.find("\n", start)
        end = len(text) if end < 0 else end + 1
        yield text[start:end]
        start = end


def _jsonl_records(path: Path, text: str, max_chars: int) -> Iterator[tuple[str, dict | Rejection]]:
    for number, line in enumerate(_lines(text), start=1):
        if len(line) > max_chars:
            yield str(number), Rejection(f"{path}:{number}", f"line of {len(line):,} characters is longer than any article's record may be ({max_chars:,}: 10 x SEARCHAPP_MAX_ARTICLE_CHARS)")
            continue
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            yield str(number), Rejection(f"{path}:{number}", f"invalid JSON: {exc.msg} at column {exc.colno}")
            continue
        except RecursionError:
            yield str(number), Rejection(f"{path}:{number}", "invalid JSON: nested too deeply")
            continue
        if not isinstance(record, dict):
            yield str(number), Rejection(f"{path}:{number}", f"expected a JSON object, got {type(record).__name__}")
            continue
        yield str(number), record


def _json_records(path: Path, text: str) -> Iterator[tuple[str, dict | Rejection]]:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        yield str(exc.lineno), Rejection(f"{path}:{exc.lineno}", f"invalid JSON: {exc.msg} at column {exc.colno}")
        return
    except RecursionError:
        yield "1", Rejection(str(path), "invalid JSON: nested too deeply")
        return
    if isinstance(data, dict):
        # {"articles": [...]} or a single article
        lists = [v for v in data.values() if isinstance(v, list) and v and all(isinstance(x, dict) for x in v)]
        data = lists[0] if len(lists) == 1 and not map_columns(list(data), {})["text"] else [data]
    if not isinstance(data, list):
        yield "1", Rejection(str(path), "expected a JSON array of objects or an object")
        return
    for number, record in enumerate(data, start=1):
        if isinstance(record, dict):
            yield f"record {number}", record
        else:
            yield f"record {number}", Rejection(f"{path}:record {number}", f"expected a JSON object, got {type(record).__name__}")


def _csv_records(path: Path, text: str, max_chars: int) -> Iterator[tuple[str, dict | Rejection]]:
    csv.field_size_limit(min(max_chars, 2**31 - 1))  # a longer cell is a rejection ("field larger than field limit")
    try:
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t") if text.strip() else csv.excel
    except csv.Error:
        dialect = csv.excel
    reader = csv.reader(io.StringIO(text, newline=""), dialect)
    try:
        header = next(reader)
    except StopIteration:
        return
    except csv.Error as exc:
        yield "1", Rejection(f"{path}:1", f"invalid CSV header: {exc}")
        return
    header = [h.strip() for h in header]
    while True:
        start_line = reader.line_num + 1
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            yield str(start_line), Rejection(f"{path}:{start_line}", f"invalid CSV: {exc}")
            continue
        if not any(cell.strip() for cell in row):
            continue
        if len(row) > len(header):
            yield str(start_line), Rejection(f"{path}:{start_line}", f"{len(row)} cells for {len(header)} columns")
            continue
        yield str(start_line), dict(zip(header, row, strict=False))
