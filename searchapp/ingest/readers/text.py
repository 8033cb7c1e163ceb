"""Plain text and Markdown (``.txt``, ``.md``): one article per file.

Leading breadcrumbs ("News / Syria / News") are dropped and the first line is the title when it
reads as a headline; title, outlet, published date, URL and id may come from a manifest CSV
(:mod:`searchapp.ingest.readers.manifest`) matched by file name.
"""

from __future__ import annotations

from pathlib import Path

from ..models import Article, Rejection
from .common import ReadOptions, make_article, split_paragraphs, take_title


def text_article(path: Path, text: str, meta: dict[str, str], options: ReadOptions) -> Article | Rejection:
    """The article of a text file (``meta``: its manifest row, if any)."""
    paragraphs = split_paragraphs(text)
    headline, body = take_title(paragraphs)
    return make_article(
        source=str(path),
        title=meta.get("title") or headline,
        paragraphs=body,
        record_id=meta.get("id") or None,
        outlet=meta.get("outlet"),
        published=meta.get("published"),
        url=meta.get("url"),
        one_per_file=True,
        max_chars=options.max_article_chars,
        limits=options.limits,
    )
