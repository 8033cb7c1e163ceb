"""HTML pages (``.html``, ``.htm``): one article per file.

The main text is extracted by trafilatura (a well-kept extractor: menus, boilerplate, comments and
scripts removed, far better than any hand-written rule); title, date, outlet and URL come from the
page's meta tags, never from its body.
"""

from __future__ import annotations

from pathlib import Path

from ..models import Article, Rejection
from .common import ReadOptions, make_article, split_paragraphs


def html_article(path: Path, html: str, meta: dict[str, str], options: ReadOptions) -> Article | Rejection:
    """The article of an HTML page (``meta``: its manifest row, if any)."""
    import lxml.html
    import trafilatura  # imported lazily: it pulls in a large tree of modules

    limit = 10 * options.max_article_chars  # markup included; extracting a larger page costs minutes
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
        max_chars=options.max_article_chars,
        limits=options.limits,
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
