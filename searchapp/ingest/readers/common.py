"""What every reader shares: decoding bytes, splitting paragraphs and titles, building an article.

:func:`make_article` is the one way an :class:`~searchapp.ingest.models.Article` is made from its
parts: it rejects empty and over-long texts and bad ids, reads the published date at its
precision (an unreadable one is dropped with a warning, the article kept), and infers a missing
outlet or published date only from explicit credits (:mod:`searchapp.ingest.credits`), recording
what it inferred.
"""

from __future__ import annotations

import codecs
import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path

from ...config import Settings
from ...errors import DateError
from ...store.custom import FacetSpec
from ..credits import infer_outlet, infer_published
from ..dates import parse_published
from ..models import Article, Rejection

MAX_ID_LENGTH = 200
MAX_ARTICLE_CHARS = Settings.max_article_chars  # the setting's default


@dataclass(frozen=True)
class FieldLimits:
    """The longest title, outlet and URL stored (the ``max_*_chars`` settings; the text's is ``max_article_chars``).

    A 10 MB title made every phrase search and result page of the index slow; each stored field
    is bounded like the text.
    """

    title: int = Settings.max_title_chars
    outlet: int = Settings.max_outlet_chars
    url: int = Settings.max_url_chars

    @classmethod
    def from_settings(cls, settings: Settings) -> FieldLimits:
        return cls(settings.max_title_chars, settings.max_outlet_chars, settings.max_url_chars)


@dataclass(frozen=True)
class ReadOptions:
    """How a run reads its inputs: the manifest of file metadata, column overrides, the size limits."""

    manifest: Path | None = None
    field_map: dict[str, str] = field(default_factory=dict)
    max_article_chars: int = MAX_ARTICLE_CHARS
    facets: tuple[FacetSpec, ...] = ()  # custom facets: the record columns read as facet values
    limits: FieldLimits = FieldLimits()
    max_file_bytes: int = Settings.max_file_bytes

    @property
    def max_record_chars(self) -> int:
        """The longest record (a JSON line, a CSV field) parsed at all: its text can be at most
        ``max_article_chars``, and markup or escapes rarely make it ten times longer."""
        return 10 * self.max_article_chars


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


_SURROGATE = re.compile("[\ud800-\udfff]")


def replace_surrogates(text: str) -> tuple[str, int]:
    """``text`` with every lone UTF-16 surrogate replaced by U+FFFD, and how many there were.

    JSON may spell one (``"\\ud800"``) and Python decodes it into a string that cannot be
    encoded as UTF-8, so neither hashed nor indexed; a valid pair is already one character.
    """
    return _SURROGATE.subn("\ufffd", text)


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


def take_title(paragraphs: list[str]) -> tuple[str, list[str]]:
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


def cut_at_word(text: str, limit: int) -> str:
    """``text`` cut to at most ``limit`` characters, at a space when there is one in its last fifth, with '…'."""
    head = text[: max(1, limit - 1)]
    space = head.rfind(" ")
    if space >= len(head) * 4 // 5:
        head = head[:space]
    return head.rstrip() + "…"


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
    max_chars: int = MAX_ARTICLE_CHARS,
    language: str | None = None,
    limits: FieldLimits = FieldLimits(),
) -> Article | Rejection:
    """An article from its parts, inferring what is missing; a Rejection if it cannot be indexed.

    ``max_chars`` is the longest text accepted (the ``max_article_chars`` setting); ``limits``
    bound the other stored fields: a long title is cut, a long outlet or URL dropped, with a warning.
    """
    paragraphs = [p for p in paragraphs if p.strip()]
    if not paragraphs:
        return Rejection(source, "empty text")
    size = sum(len(p) for p in paragraphs)
    if size > max_chars:
        return Rejection(source, f"article of {size:,} characters is longer than the limit of {max_chars:,} (SEARCHAPP_MAX_ARTICLE_CHARS)")
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
    outlet = " ".join((outlet or "").split()) or None
    if outlet is not None and len(outlet) > limits.outlet:
        warnings.append(f"outlet of {len(outlet):,} characters dropped: the limit is {limits.outlet:,} (SEARCHAPP_MAX_OUTLET_CHARS)")
        outlet = None
    if outlet is None:
        outlet = infer_outlet(paragraphs)
        if outlet is not None:
            inferred.append("outlet")
    title = " ".join((title or "").split())
    if not title:
        title = " ".join(paragraphs[0].split()[:12]) + ("…" if len(paragraphs[0].split()) > 12 else "")
        inferred.append("title")
    language_code = None
    if language and language.strip():
        language_code = iso_language(language)
        if language_code is None:
            warnings.append(f"language {language.strip()!r} ignored (not an ISO 639 code or English language name): detected instead")
    if len(title) > limits.title:  # an inferred one too: its twelve words may be one long run of letters
        warnings.append(f"title of {len(title):,} characters cut to the limit of {limits.title:,} (SEARCHAPP_MAX_TITLE_CHARS)")
        title = cut_at_word(title, limits.title)
    url = (url or "").strip() or None
    if url is not None and len(url) > limits.url:
        warnings.append(f"url of {len(url):,} characters dropped: the limit is {limits.url:,} (SEARCHAPP_MAX_URL_CHARS)")
        url = None
    return Article(
        id=record_id or text_id(paragraphs),
        title=title,
        paragraphs=paragraphs,
        source=source,
        outlet=outlet,
        published=published_date,
        url=url,
        inferred=inferred,
        warnings=warnings,
        one_per_file=one_per_file,
        language=language_code,
    )


def language_name(code: str) -> str:
    """The name the language facet shows: "Arabic" for "ar"; "Undetermined" for "und"; else the code itself."""
    import pycountry

    if code == "und":
        return "Undetermined"
    found = pycountry.languages.get(alpha_2=code) or pycountry.languages.get(alpha_3=code)
    return found.name if found else code


def iso_language(value: str) -> str | None:
    """The ISO 639-1 code (else 639-3) of a language column's value: "ar", "ara", "Arabic" all give "ar"."""
    import pycountry

    value = value.strip().lower()
    # codes first: lookup() also matches names, and "En" is the name of a language of Vietnam
    found = pycountry.languages.get(alpha_2=value) or pycountry.languages.get(alpha_3=value)
    if found is None:
        try:
            found = pycountry.languages.lookup(value)
        except LookupError:
            return None
    return getattr(found, "alpha_2", None) or found.alpha_3
