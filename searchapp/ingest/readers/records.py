"""Records (``.jsonl``/``.ndjson``, ``.json``, ``.csv``): one article per record.

Columns are found by their common names (:data:`COLUMN_NAMES`), ``--field NAME=COLUMN``
overrides them, ``--facet NAME=COLUMN`` reads a column as a custom facet; each file says which
column became which field and which were not used (a :class:`~searchapp.ingest.models.Notice`).  Every bad record (broken JSON, a row with more cells than columns, no text) is
rejected with its file and line, and the records around it are read.
"""

from __future__ import annotations

import csv
import io
import json
import sys
from collections.abc import Iterator
from itertools import chain
from pathlib import Path
from typing import Protocol

from ...errors import DateError, SourceError
from ...store.custom import VALUE_SEPARATOR, FacetSpec, facet_name_for
from ..dates import parse_published
from ..models import Article, Notice, Rejection
from .common import MAX_ARTICLE_CHARS, ReadOptions, decode, make_article, replace_surrogates, split_paragraphs

COLUMN_NAMES: dict[str, tuple[str, ...]] = {
    "id": ("id", "doc_id", "docid", "docno", "newid", "guid", "uuid", "article_id", "unit_id", "story_id",
           "item_id", "news_id", "post_id", "record_id"),
    "title": ("title", "headline", "heading", "article_title", "news_title", "story_title", "headline_text",
              "hed", "subject"),
    "text": ("text", "content", "body", "article_content", "article", "full_text", "story", "article_text",
             "body_text", "maintext", "main_text", "news_content", "content_text", "fulltext"),
    "outlet": ("outlet", "source", "publication", "publisher", "site_name", "sitename", "media", "source_name",
               "outlet_name", "news_source", "publisher_name", "newspaper", "agency"),
    "published": ("published", "date", "time", "publish_date", "published_at", "pubdate", "pub_date",
                  "datetime", "timestamp", "published_date", "publication_date", "date_published",
                  "published_time", "publishedat", "created_at", "article_date"),
    "url": ("url", "link", "href", "source_url", "permalink", "article_url", "news_url", "web_url", "uri"),
    "language": ("language", "lang"),
}  # fmt: skip
RECORD_FORMATS = (".jsonl", ".ndjson", ".json", ".csv")


class ColumnError(SourceError):
    """A ``--field`` or ``--facet`` names a column that no record of the inputs has."""


class RecordLines(Protocol):
    """A record file's decoded lines (newlines kept), read again from the start by each call of ``lines``."""

    def lines(self) -> Iterator[str]: ...


class TextLines:
    """The lines of a text already read whole (a ``.json`` file, a UTF-16 file, bytes given).

    ``universal``: split at ``\r`` too (a CSV file with old Mac line ends), as ``csv`` expects of a
    file opened with ``newline=""``; else at ``\n`` only (JSON Lines).
    """

    def __init__(self, text: str, universal: bool = False) -> None:
        self.text = text
        self.universal = universal

    def lines(self) -> Iterator[str]:
        return iter(io.StringIO(self.text, newline="")) if self.universal else _lines(self.text)


def decoded_lines(path: Path, name: str, raw: bytes) -> TextLines | Rejection:
    """The lines of a record file read whole (a warning printed when it is not valid UTF-8), or why it cannot be read."""
    text, warning = decode(raw)
    if text is None:
        return Rejection(str(path), warning or "cannot decode")
    if warning:
        print(f"warning: {path}: {warning}", file=sys.stderr)
    return TextLines(text, universal=name.endswith(".csv"))


def read_records(path: Path, name: str, source: bytes | RecordLines, options: ReadOptions) -> Iterator[Article | Rejection | Notice]:
    """The articles of a JSON Lines, JSON or CSV file, one per record (bad records rejected with their line).

    ``source``: the file's lines (JSON Lines and CSV are streamed a line at a time:
    :class:`searchapp.ingest.readers.StreamedLines`), or its bytes.
    Before its first article comes a :class:`Notice` saying which column became which field and
    which columns were not used, with the option that would use each.
    """
    if isinstance(source, bytes):
        source = decoded_lines(path, name, source)
        if isinstance(source, Rejection):
            yield source
            return
    columns: dict[str, str | None] | None = None
    merged: dict[str, dict[str, list[str]]] = {}
    for where, record in _records(path, name, source, options.max_record_chars):
        if isinstance(record, Rejection):
            yield record
            continue
        if columns is None:
            keys = [str(k) for k in record]
            columns = map_columns(keys, options.field_map)
            yield Notice(str(path), describe_columns(keys, columns, options.facets))
            if columns["text"] is None:
                yield Rejection(str(path), f"no text column: expected one of {', '.join(COLUMN_NAMES['text'])} (or --field text=COLUMN); found {', '.join(keys) or 'none'}")
                return
            if options.facets and columns["id"] is not None:
                merged = _facets_of_repeated_ids(path, name, source, columns["id"], options.facets)
        try:
            article = _record_article(f"{path}:{where}", record, columns, options)
        except (ValueError, TypeError, RecursionError, UnicodeError) as exc:  # a record no check foresaw: still only that record
            yield Rejection(f"{path}:{where}", f"cannot read record: {type(exc).__name__}: {exc}")
            continue
        if isinstance(article, Article) and article.id in merged:
            article.facets = {k: list(v) for k, v in merged[article.id].items()}
        yield article


def _facets_of_repeated_ids(path: Path, name: str, source: RecordLines, id_column: str, facets: tuple[FacetSpec, ...]) -> dict[str, dict[str, list[str]]]:
    """The facet values of every id given by several records of one file, all of them merged.

    Annotated archives repeat an article once per annotation (FA-KES gives one article two rows
    labelled 0 and 1, or three governorates): the article is indexed once, with every value, so
    that a facet counts articles and the run does not reject the repeats as id clashes.  (A pass
    of its own over the file, before its records are read.)
    """
    seen: dict[str, dict[str, list[str]]] = {}
    repeated: set[str] = set()
    for _, record in _records(path, name, source):
        if not isinstance(record, dict) or record.get(id_column) in (None, ""):
            continue
        key = " ".join(str(record[id_column]).split())
        lower = {str(k).lower().strip(): k for k in record}
        values = {}
        for spec in facets:
            column = lower.get(spec.column.lower().strip())
            got, _ = facet_values(spec, record.get(column) if column is not None else None)
            if got:
                values[spec.name] = got
        if key in seen:
            repeated.add(key)
            for facet, got in values.items():
                seen[key][facet] = list(dict.fromkeys(seen[key].get(facet, []) + got))
        else:
            seen[key] = values
    return {key: seen[key] for key in repeated}


def _records(path: Path, name: str, source: RecordLines, max_chars: int = 10 * MAX_ARTICLE_CHARS) -> Iterator[tuple[str, dict | Rejection]]:
    """(line, record or rejection) of a record file; ``max_chars``: the longest record parsed at all."""
    if name.endswith(".csv"):
        return _csv_records(path, source.lines(), max_chars)
    if name.endswith(".json"):
        return _json_records(path, source.text if isinstance(source, TextLines) else "".join(source.lines()))
    return _jsonl_records(path, source.lines(), max_chars)


def record_columns(path: Path, name: str, source: RecordLines, sample: int = 100) -> list[str]:
    """The columns of a record file: the CSV header, or the keys of its first ``sample`` records."""
    seen: dict[str, None] = {}
    for number, (_, record) in enumerate(_records(path, name, source)):
        if number >= sample:
            break
        if isinstance(record, dict):
            seen.update(dict.fromkeys(str(k) for k in record))
    return list(seen)


def check_columns(found: dict[str, list[str]], field_map: dict[str, str], facets: tuple[FacetSpec, ...]) -> None:
    """Refuse a ``--field`` or ``--facet`` naming a column that no record file has (the columns that exist listed)."""
    if not found:
        return
    present = {c.lower().strip() for columns in found.values() for c in columns}
    every = list(dict.fromkeys(c for columns in found.values() for c in columns))
    asked = [("--field", f"{f}={c}", c) for f, c in field_map.items()] + [("--facet", s.option, s.column) for s in facets]
    for option, text, column in asked:
        if column.lower().strip() not in present:
            raise ColumnError(
                f"{text}: no record has a column {column!r}; the columns are {', '.join(every) or 'none'}", param_hint=option
            )


def map_columns(keys: list[str], field_map: dict[str, str]) -> dict[str, str | None]:
    """Which record key holds each article field: the override, else the first common name."""
    by_lower = {str(k).lower().strip(): k for k in keys}
    columns: dict[str, str | None] = {}
    for field, names in COLUMN_NAMES.items():
        if field in field_map:
            wanted = field_map[field]
            columns[field] = by_lower.get(wanted.lower().strip(), wanted)
            continue
        columns[field] = next((by_lower[n] for n in names if n in by_lower), None)
    return columns


def describe_columns(keys: list[str], columns: dict[str, str | None], facets: tuple[FacetSpec, ...] = ()) -> str:
    """The column report of one file: "columns: article_title -> title, ...; not used: label (--facet label), ...".

    Every column of the file is named once: as the field or facet it feeds, or as unused with the
    option that would use it.
    """
    lower = {k.lower().strip(): k for k in keys}
    used = {key: field for field, key in columns.items() if key is not None and key in keys}
    parts = [f"{key} -> {field}" for key, field in used.items()]
    faceted = set()
    for spec in facets:
        key = lower.get(spec.column.lower().strip())
        if key is not None:
            parts.append(f"{key} -> facet {spec.name}" + ("" if spec.kind == "keyword" else f" ({spec.kind})"))
            faceted.add(key)
    missing = [f"{field} (no {key!r} here)" for field, key in columns.items() if key is not None and key not in keys]
    missing += [f"facet {spec.name} (no {spec.column!r} here)" for spec in facets if spec.column.lower().strip() not in lower]
    unused = []
    for key in keys:
        if key in used or key in faceted:
            continue
        name = facet_name_for(key)
        option = f"--facet {name}" if name == key else f"--facet {name}={key}"
        unused.append(f"{key} ({option} or --field NAME={key})")
    message = "columns: " + (", ".join(parts) or "none used")
    if missing:
        message += "; missing: " + ", ".join(missing)
    message += "; not used: " + (", ".join(unused) if unused else "none")
    absent = [f for f, key in columns.items() if key is None and f != "language"]  # no language column: it is detected
    if absent:
        message += "; no column for " + ", ".join(absent)
    return message


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
        language=value("language"),
        max_chars=options.max_article_chars,
        limits=options.limits,
    )
    if replaced and isinstance(article, Article):
        article.warnings.append(f"{replaced} lone UTF-16 surrogate(s) (\\ud800-\\udfff) replaced by U+FFFD")
    if options.facets and isinstance(article, Article):
        lower = {str(k).lower().strip(): k for k in record}
        for spec in options.facets:
            key = lower.get(spec.column.lower().strip())
            values, problems = facet_values(spec, record.get(key) if key is not None else None)
            if values:
                article.facets[spec.name] = values
            article.warnings.extend(problems)
    return article


def facet_values(spec: FacetSpec, raw) -> tuple[list[str], list[str]]:
    """The values of one facet in one record, normalised for its kind, and a warning per unreadable value.

    Keyword values are kept as written (trimmed, spaces collapsed; a JSON list gives several);
    numbers are read with a point or a thousands comma; dates at day, month or year precision.
    """
    items = raw if isinstance(raw, list) else [raw]
    values, problems = [], []
    for item in items:
        if item is None or isinstance(item, dict):
            continue
        text = " ".join(str(item).replace(VALUE_SEPARATOR, " ").split())
        if not text:
            continue
        if spec.kind == "number":
            try:
                number = float(text.replace(",", "")) if not isinstance(item, bool) else float(item)
            except ValueError:
                problems.append(f"facet {spec.name}: {text[:40]!r} is not a number; left out")
                continue
            if number != number or number in (float("inf"), float("-inf")):
                problems.append(f"facet {spec.name}: {text[:40]!r} is not a finite number; left out")
                continue
            values.append(repr(number))
        elif spec.kind == "date":
            try:
                date = parse_published(text)
            except DateError as exc:
                problems.append(f"facet {spec.name}: {exc}; left out")
                continue
            if date is not None:
                values.append(date.iso())
        else:
            values.append(text[:MAX_FACET_VALUE])
    return list(dict.fromkeys(values)), problems


MAX_FACET_VALUE = 300  # characters of a keyword value: longer is no facet value (the web refuses longer parameters)


def _lines(text: str) -> Iterator[str]:
    """The lines of ``text`` one at a time (a StringIO copies the whole text as 4 bytes a character)."""
    start = 0
    while start < len(text):
        end = text.find("\n", start)
        end = len(text) if end < 0 else end + 1
        yield text[start:end]
        start = end


def _jsonl_records(path: Path, lines: Iterator[str], max_chars: int) -> Iterator[tuple[str, dict | Rejection]]:
    for number, line in enumerate(lines, start=1):
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


def _csv_records(path: Path, lines: Iterator[str], max_chars: int) -> Iterator[tuple[str, dict | Rejection]]:
    csv.field_size_limit(min(max_chars, 2**31 - 1))  # a longer cell is a rejection ("field larger than field limit")
    head: list[str] = []  # the first lines, for the dialect (then read again by the reader)
    while sum(map(len, head)) < 4096 and (line := next(lines, None)) is not None:
        head.append(line)
    sample = "".join(head)[:4096]
    try:
        dialect = csv.Sniffer().sniff(sample, delimiters=",;\t") if sample.strip() else csv.excel
    except csv.Error:
        dialect = csv.excel
    reader = csv.reader(chain(head, lines), dialect)
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
