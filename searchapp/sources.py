"""Reading sources: files and folders of news to :class:`~searchapp.models.Article` records.

Formats, chosen by file name (a ``.gz`` suffix is decompressed first):

* ``.txt`` / ``.md``: one article per file.  Leading breadcrumbs ("News / Syria / News") are
  dropped; the first line is the title when it reads as a headline.  Metadata comes from a
  manifest CSV (columns ``file,title,outlet,published,url``) matched by file name.
* ``.jsonl``, ``.json``, ``.csv``: one article per record.  Columns are found by their common
  names (``COLUMN_NAMES``); ``field_map`` overrides them (``{"text": "body"}``).
* ``.html`` / ``.htm``: the main text is extracted by trafilatura (boilerplate, menus and scripts
  removed); title, date, outlet and URL come from the page's meta tags.

Folders are read recursively in sorted order.  Every problem is reported as a
:class:`~searchapp.models.Rejection` naming the file and line or row, and reading goes on: one bad
record never costs the good ones around it.  Text that is not valid UTF-8 is decoded with
replacement characters and a warning; UTF-16 and UTF-8 with a byte-order mark are recognised.
When metadata is missing, the outlet and published date are inferred only from explicit credits
(see :mod:`searchapp.outlets`) and recorded in ``Article.inferred``.
"""

from __future__ import annotations

import codecs
import csv
import gzip
import hashlib
import io
import json
import re
import sys
import zlib
from collections.abc import Iterable, Iterator
from pathlib import Path

from .config import get_setting
from .dates import DateError, parse_published
from .models import Article, Rejection
from .outlets import infer_outlet, infer_published

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
FILE_FORMATS = (".txt", ".md", ".html", ".htm")
MAX_ID_LENGTH = 200


class SourceError(Exception):
    """A source as a whole cannot be used (a missing path, an unreadable manifest)."""


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


def read_paths(
    paths: Iterable[Path],
    manifest: Path | None = None,
    field_map: dict[str, str] | None = None,
) -> Iterator[Article | Rejection]:
    """Articles (and rejections) from files and folders, in a stable order."""
    metadata = read_manifest(manifest) if manifest else {}
    for item in iter_files(paths, exclude=[manifest] if manifest else []):
        if isinstance(item, Rejection):
            yield item
        else:
            yield from read_file(item, metadata, field_map or {})


def read_file(path: Path, manifest: dict[str, dict[str, str]], field_map: dict[str, str]) -> Iterator[Article | Rejection]:
    name = path.name.lower().removesuffix(".gz")
    try:
        raw = _read_bytes(path)
    except (OSError, EOFError, zlib.error, gzip.BadGzipFile) as exc:
        yield Rejection(str(path), f"cannot read file: {exc}")
        return
    if name.endswith(RECORD_FORMATS):
        yield from _read_records(path, name, raw, field_map)
        return
    text, warning = decode(raw)
    if text is None:
        yield Rejection(str(path), warning or "cannot decode")
        return
    meta = manifest.get(path.name) or manifest.get(path.name.removesuffix(".gz")) or {}
    if name.endswith((".html", ".htm")):
        article = _html_article(path, text, meta)
    else:
        article = _text_article(path, text, meta)
    if isinstance(article, Article) and warning:
        article.warnings.append(warning)
    yield article


def _read_bytes(path: Path) -> bytes:
    if path.name.lower().endswith(".gz"):
        with gzip.open(path, "rb") as f:
            return f.read()
    return path.read_bytes()


def decode(raw: bytes) -> tuple[str | None, str | None]:
    """Text of a file and a warning, or (None, reason) for binary data."""
    if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return raw.decode("utf-16"), None
        except UnicodeDecodeError as exc:
            return None, f"invalid UTF-16: {exc}"
    if raw.startswith(codecs.BOM_UTF8):
        raw = raw[len(codecs.BOM_UTF8) :]
    if b"\x00" in raw[:8192]:
        return None, "binary file (contains NUL bytes)"
    try:
        return raw.decode("utf-8"), None
    except UnicodeDecodeError as exc:
        text = raw.decode("utf-8", errors="replace")
        return text, f"invalid UTF-8 at byte {exc.start}: decoded with replacement characters"


# ---------------------------------------------------------------------------------------------
# Paragraphs and titles

_BREADCRUMB = re.compile(r"^\s*[\w'’ -]{1,30}(?:\s+[/|›»>]\s+[\w'’ -]{1,30})+\s*$")


def split_paragraphs(text: str) -> list[str]:
    """Paragraphs of a text: lines, or blank-line blocks when the text is hard-wrapped.

    Web copies put a paragraph on each line; wire copy (Reuters) wraps lines at about 70
    characters and marks paragraphs by a blank line or an indent.
    """
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\u2028", "\n").replace("\u2029", "\n\n")
    text = text.replace("\x00", "")
    lines = [line.rstrip() for line in text.split("\n")]
    if _hard_wrapped(lines):
        paragraphs, current = [], []
        for line in lines:
            if not line.strip() or (line[:1] in " \t" and current):
                if current:
                    paragraphs.append(" ".join(current))
                current = []
            if line.strip():
                current.append(" ".join(line.split()))
        if current:
            paragraphs.append(" ".join(current))
        return paragraphs
    return [" ".join(line.split()) for line in lines if line.strip()]


def _hard_wrapped(lines: list[str]) -> bool:
    content = [line for line in lines if line.strip()]
    if len(content) < 4:
        return False
    wrapped = sum(1 for line in content if 30 <= len(line) <= 90)
    open_ended = sum(1 for line in content if not line.rstrip().endswith((".", "!", "?", '"', "”", ":")))
    return (
        wrapped / len(content) > 0.6
        and open_ended / len(content) > 0.4
        and max(len(line) for line in content) <= 100
    )


def reads_as_headline(line: str) -> bool:
    words = line.split()
    return (
        2 <= len(words) <= 30
        and len(line) <= 250
        and not line.rstrip().endswith((".", ",", ";", ":"))
        and line[:1].isupper() | line[:1].isdigit() | (line[:1] in "\"'‘“")
    )


def _take_title(paragraphs: list[str]) -> tuple[str, list[str]]:
    """Split leading breadcrumbs and a headline off the paragraphs."""
    start = 0
    while start < len(paragraphs) - 1 and (
        _BREADCRUMB.match(paragraphs[start]) or len(paragraphs[start].split()) <= 1
    ):
        start += 1
    if start < len(paragraphs) - 1 and reads_as_headline(paragraphs[start]):
        return paragraphs[start], paragraphs[start + 1 :]
    return "", paragraphs[start:]


def text_id(paragraphs: list[str]) -> str:
    """Stable id of an article without one: a hash of its whitespace-normalised text."""
    normalised = " ".join(" ".join(paragraphs).split())
    return "h" + hashlib.sha1(normalised.encode("utf-8")).hexdigest()[:16]


def make_article(
    *,
    source: str,
    title: str,
    paragraphs: list[str],
    record_id: str | None,
    outlet: str | None,
    published: str | None,
    url: str | None,
    one_per_file: bool = False,
) -> Article | Rejection:
    """An article from its parts, inferring what is missing; a Rejection if it cannot be indexed."""
    paragraphs = [p for p in paragraphs if p.strip()]
    if not paragraphs:
        return Rejection(source, "empty text")
    size = sum(len(p) for p in paragraphs)
    limit = get_setting("MAX_ARTICLE_CHARS")
    if size > limit:
        return Rejection(source, f"article of {size:,} characters is longer than the limit of {limit:,} (SEARCHAPP_MAX_ARTICLE_CHARS)")
    warnings = []
    if record_id is not None:
        record_id = " ".join(str(record_id).split())
        if not record_id or len(record_id) > MAX_ID_LENGTH:
            return Rejection(source, f"id must be 1 to {MAX_ID_LENGTH} characters, got {len(record_id)}")
    inferred = []
    try:
        published_date = parse_published(published)
    except DateError as exc:
        warnings.append(f"published date ignored: {exc}")
        published_date = None
    if published_date is None and not published:
        published_date = infer_published(paragraphs)
        if published_date is not None:
            inferred.append("published")
    outlet = (outlet or "").strip() or None
    if outlet is None:
        outlet = infer_outlet(paragraphs)
        if outlet is not None:
            inferred.append("outlet")
    title = " ".join((title or "").split())
    if not title:
        title = " ".join(paragraphs[0].split()[:12]) + ("…" if len(paragraphs[0].split()) > 12 else "")
        inferred.append("title")
    return Article(
        id=record_id or text_id(paragraphs),
        title=title,
        paragraphs=paragraphs,
        source=source,
        outlet=outlet,
        published=published_date,
        url=(url or "").strip() or None,
        inferred=inferred,
        warnings=warnings,
        one_per_file=one_per_file,
    )


def _text_article(path: Path, text: str, meta: dict[str, str]) -> Article | Rejection:
    paragraphs = split_paragraphs(text)
    headline, body = _take_title(paragraphs)
    return make_article(
        source=str(path),
        title=meta.get("title") or headline,
        paragraphs=body,
        record_id=meta.get("id") or None,
        outlet=meta.get("outlet"),
        published=meta.get("published"),
        url=meta.get("url"),
        one_per_file=True,
    )


# ---------------------------------------------------------------------------------------------
# HTML


def _html_article(path: Path, html: str, meta: dict[str, str]) -> Article | Rejection:
    import lxml.html
    import trafilatura  # imported lazily: it pulls in a large tree of modules

    limit = 10 * get_setting("MAX_ARTICLE_CHARS")  # markup included; extracting a larger page costs minutes
    if len(html) > limit:
        return Rejection(str(path), f"HTML page of {len(html):,} characters is longer than the limit of {limit:,} (10 x SEARCHAPP_MAX_ARTICLE_CHARS)")
    try:
        tree = lxml.html.document_fromstring(html)
    except (ValueError, lxml.etree.ParserError) as exc:
        return Rejection(str(path), f"cannot parse HTML: {exc}")
    tags = html_meta(tree)
    extracted = trafilatura.extract(
        html, include_comments=False, include_tables=False, include_images=False, deduplicate=True
    )
    if not extracted:
        return Rejection(str(path), "no main text found in the HTML")
    return make_article(
        source=str(path),
        title=meta.get("title") or tags.get("title", ""),
        paragraphs=split_paragraphs(extracted),
        record_id=meta.get("id") or None,
        outlet=meta.get("outlet") or tags.get("outlet"),
        published=meta.get("published") or tags.get("published"),
        url=meta.get("url") or tags.get("url"),
        one_per_file=True,
    )


_META_KEYS = {
    "title": ("og:title", "twitter:title", "dc.title", "headline"),
    "outlet": ("og:site_name", "application-name", "publisher", "dc.publisher", "article:publisher"),
    "published": ("article:published_time", "datepublished", "pubdate", "publishdate", "date",
                  "dc.date", "dc.date.issued", "sailthru.date", "parsely-pub-date"),
    "url": ("og:url",),
}  # fmt: skip


def html_meta(tree) -> dict[str, str]:
    """Title, outlet, published date and URL from a page's meta tags (never from its body)."""
    found: dict[str, str] = {}
    values: dict[str, str] = {}
    for element in tree.iter("meta"):
        name = (element.get("property") or element.get("name") or element.get("itemprop") or "").lower()
        content = (element.get("content") or "").strip()
        if name and content and name not in values:
            values[name] = content
    for element in tree.iter("time"):
        if element.get("itemprop", "").lower() == "datepublished" and element.get("datetime"):
            values.setdefault("datepublished", element.get("datetime").strip())
    for field, keys in _META_KEYS.items():
        for key in keys:
            if values.get(key):
                found[field] = values[key]
                break
    if "title" not in found:
        title = tree.findtext(".//title")
        if title and title.strip():
            found["title"] = " ".join(title.split())
    if "url" not in found:
        for link in tree.iter("link"):
            if (link.get("rel") or "").lower() == "canonical" and link.get("href"):
                found["url"] = link.get("href").strip()
                break
    return found


# ---------------------------------------------------------------------------------------------
# Records: JSON Lines, JSON, CSV


def _read_records(path: Path, name: str, raw: bytes, field_map: dict[str, str]) -> Iterator[Article | Rejection]:
    text, warning = decode(raw)
    if text is None:
        yield Rejection(str(path), warning or "cannot decode")
        return
    if warning:
        print(f"warning: {path}: {warning}", file=sys.stderr)
    if name.endswith(".csv"):
        records = _csv_records(path, text)
    elif name.endswith(".json"):
        records = _json_records(path, text)
    else:
        records = _jsonl_records(path, text)
    columns: dict[str, str | None] | None = None
    for where, record in records:
        if isinstance(record, Rejection):
            yield record
            continue
        if columns is None:
            columns = map_columns(list(record), field_map)
            if columns["text"] is None:
                yield Rejection(str(path), f"no text column: expected one of {', '.join(COLUMN_NAMES['text'])} (or --field text=COLUMN); found {', '.join(map(str, record)) or 'none'}")
                return
        yield _record_article(f"{path}:{where}", record, columns)


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


def _record_article(where: str, record: dict, columns: dict[str, str | None]) -> Article | Rejection:
    def value(field: str) -> str | None:
        key = columns.get(field)
        if key is None:
            return None
        got = record.get(key)
        if got is None:
            return None
        if isinstance(got, list):
            return "\n\n".join(str(x) for x in got) if field == "text" else (str(got[0]) if got else None)
        if isinstance(got, dict):
            return None
        return str(got)

    text = value("text")
    if text is None:
        return Rejection(where, f"missing text column {columns['text']!r}")
    return make_article(
        source=where,
        title=value("title") or "",
        paragraphs=split_paragraphs(text),
        record_id=value("id"),
        outlet=value("outlet"),
        published=value("published"),
        url=value("url"),
    )


def _jsonl_records(path: Path, text: str) -> Iterator[tuple[str, dict | Rejection]]:
    for number, line in enumerate(io.StringIO(text), start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            yield str(number), Rejection(f"{path}:{number}", f"invalid JSON: {exc.msg} at column {exc.colno}")
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


def _csv_records(path: Path, text: str) -> Iterator[tuple[str, dict | Rejection]]:
    csv.field_size_limit(min(sys.maxsize, 2**31 - 1))
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


# ---------------------------------------------------------------------------------------------
# Manifest


def read_manifest(path: Path) -> dict[str, dict[str, str]]:
    """file name -> {title, outlet, published, url, id} from a manifest CSV."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise SourceError(f"{path}: cannot read manifest: {exc}") from None
    text, warning = decode(raw)
    if text is None:
        raise SourceError(f"{path}: cannot read manifest: {warning}")
    reader = csv.DictReader(io.StringIO(text, newline=""))
    if not reader.fieldnames or "file" not in [f.strip().lower() for f in reader.fieldnames]:
        raise SourceError(f"{path}: a manifest needs a 'file' column (columns file,title,outlet,published,url)")
    entries = {}
    try:
        for row in reader:
            row = {(k or "").strip().lower(): (v or "").strip() for k, v in row.items() if isinstance(v, str)}
            if row.get("file"):
                entries[Path(row["file"]).name] = row
    except csv.Error as exc:
        raise SourceError(f"{path}:{reader.line_num}: invalid manifest CSV: {exc}") from None
    return entries


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
