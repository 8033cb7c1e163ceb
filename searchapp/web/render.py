"""Rendering: a search result, a hit or a document as JSON-ready dicts, CSV rows and terminal text.

The web views and the CLI call these; they never touch the index.  Paragraph numbers shown to
people and used in links are 1-based (``#p1`` is the first paragraph); :func:`paragraph_link` is
the one place that writes such a link.
"""

from __future__ import annotations

import re
from functools import lru_cache
from urllib.parse import quote, quote_plus, urlencode

from ..query import ArticleRef, Document, Hit, SearchResult
from ..query.entities import EntityListing


def doc_path(article_id: str) -> str:
    if _UNRESERVED.fullmatch(article_id):  # (most ids: quote() would return them as they are, ~60 times a page)
        return f"/doc/{article_id}"
    return f"/doc/{quote(article_id, safe='')}"


_UNRESERVED = re.compile(r"[A-Za-z0-9_.~-]+")  # what quote(..., safe="") never escapes


def paragraph_link(article_id: str, paragraph: int | None = 0, q: str = "", passage: tuple[int, int] | None = None) -> str:
    """Link to a paragraph (0-based number in, 1-based anchor out; None: the article), marking ``q`` when given.

    ``passage`` (a snippet's character range in the paragraph) adds ``passage=N:START-END``: the
    document page marks that passage and gives it the ``#pN`` anchor, so the link lands on it.
    """
    path = doc_path(article_id)
    args = [_q_argument(q)] if q else []
    if passage is not None and paragraph is not None and passage[1] > passage[0]:
        args.append("passage=" + quote_plus(passage_param(paragraph, passage)))
    if args:
        path += "?" + "&".join(args)
    return path if paragraph is None else f"{path}#p{paragraph + 1}"


@lru_cache(maxsize=1024)
def _q_argument(q: str) -> str:
    """``q=...`` encoded as ``urlencode`` does, once per query: a page of results writes it into every
    snippet's and every version's link (~60 a page), and encoding it each time was 40% of the API's rendering."""
    return urlencode({"q": q})


def passage_param(paragraph: int, passage: tuple[int, int]) -> str:
    """The ``passage`` parameter of a link: 1-based paragraph, then the 0-based character range (``3:120-410``)."""
    return f"{paragraph + 1}:{passage[0]}-{passage[1]}"


def ref_dict(ref: ArticleRef, q: str = "") -> dict:
    return {"id": ref.id, "title": ref.title, "outlet": ref.outlet, "published": ref.published, "link": paragraph_link(ref.id, None, q)}


def hit_dict(hit: Hit, q: str) -> dict:
    return {
        "id": hit.id,
        "title": hit.title,
        "outlet": hit.outlet,
        "published": hit.published,
        "url": hit.url,
        "score": hit.score,
        "snippets": [
            {
                "paragraph": s.paragraph + 1,
                "passage": passage_param(s.paragraph, (s.start, s.end)),
                "html": str(s.html),
                "link": paragraph_link(hit.id, s.paragraph, q, (s.start, s.end)),
            }
            for s in hit.snippets
        ],
        "link": paragraph_link(hit.id, hit.paragraph, q),
        "other_versions": hit.version_count,
        "versions": [ref_dict(v, q) for v in hit.versions],
    }


def result_dict(result: SearchResult) -> dict:
    """The JSON of a search: the shape of ``GET /api/search`` and ``searchapp search --json``."""
    request = result.request
    facets = {}
    for facet, values in result.facets.items():
        entries = []
        for value in values:
            entry = {"value": value.value, "count": value.count, "selected": value.selected}
            if value.kind:
                entry["kind"] = value.kind
            if value.within:
                entry["within"] = list(value.within)
            entries.append(entry)
        facets[facet] = entries
    return {
        "query": request.q,
        "filters": request.filters,
        "filter_ops": {facet: request.op(facet) for facet in request.filters},  # "any" (OR) or "all" (AND) of each facet's values
        "published": request.published or None,
        "sort": request.effective_sort,
        "total": result.total,
        "page": request.page,
        "pages": result.pages,
        "per_page": request.per_page,
        "hits": [hit_dict(hit, request.q) for hit in result.hits],
        "facets": facets,
        # per facet: how many values match (its find text, if any), and where the listed ones start
        "facet_pages": {
            facet: {"total": page.total, "offset": page.offset, **({"find": page.find} if page.find else {})}
            for facet, page in result.facet_pages.items()
        },
        "did_you_mean": result.did_you_mean,
        "hints": result.hints,
        "collapsed": request.collapse,
    }


def document_dict(doc: Document) -> dict:
    """The JSON of ``GET /api/doc/<id>`` (paragraph numbers 1-based)."""
    return {
        "id": doc.id,
        "title": doc.title,
        "outlet": doc.outlet,
        "published": doc.published,
        "url": doc.url,
        "paragraphs": doc.paragraphs,
        "entities": {
            "actors": [{"name": m["name"], "kind": m["kind"], "paragraphs": [p + 1 for p in m.get("paragraphs", ())]} for m in doc.actors],
            "places": [{"name": m["name"], "paragraphs": [p + 1 for p in m.get("paragraphs", ())]} for m in doc.places],
            "dates": [{"text": d.get("text"), "value": d.get("value"), "paragraph": d.get("paragraph", 0) + 1} for d in doc.dates],
        },
        "inferred": doc.inferred,
        **({"facets": doc.facets} if doc.facets else {}),  # the archive's own columns, when the index has some
    }


def snippets_text(hit: Hit) -> str:
    """A hit's snippets as one plain text (marks dropped): exports and the feed's summaries."""
    return " … ".join(s.text() for s in hit.snippets)


def result_text(result: SearchResult, facet_size: int = 8) -> str:
    """A search result for the terminal: hits with their best paragraph, then facet counts."""
    request = result.request
    lines = [f"{result.total} article{'s' if result.total != 1 else ''} match"
             + (f" {request.q!r}" if request.q else "")
             + "".join(f" [{k}: {(' AND ' if request.op(k) == 'all' else ' OR ').join(v)}]" for k, v in request.filters.items())
             + (f" [published: {request.published}]" if request.published else "")]  # fmt: skip
    if result.did_you_mean:
        lines.append(f"Did you mean: {result.did_you_mean}")
    lines.extend(f"Note: {hint}" for hint in result.hints)
    start = (request.page - 1) * request.per_page
    for number, hit in enumerate(result.hits, start=start + 1):
        meta = " · ".join(x for x in (hit.outlet, hit.published) if x)
        lines.append("")
        lines.append(f"{number}. {hit.title}" + (f"  ({meta})" if meta else ""))
        if hit.version_count:
            lines.append(f"   + {hit.version_count} other version{'s' if hit.version_count != 1 else ''} of this story")
        for snippet in hit.snippets[:1]:
            lines.append(f"   ¶{snippet.paragraph + 1}: {snippet.text(('[', ']'))}")
            link = paragraph_link(hit.id, snippet.paragraph, passage=(snippet.start, snippet.end))
            lines.append(f"   {link}" + (f"  {hit.url}" if hit.url else ""))
    lines.append("")
    for facet, values in result.facets.items():
        if not values:
            continue
        shown = ", ".join(
            f"{'*' if v.selected else ''}{v.value}{' (org)' if v.kind == 'org' else ''} {v.count}" for v in values[:facet_size]
        )
        more = f", … {len(values) - facet_size} more" if len(values) > facet_size else ""
        lines.append(f"{facet}: {shown}{more}")
    return "\n".join(lines)


def entities_text(listing: EntityListing, spellings: int = 6, decisions: dict[str, list[str]] | None = None) -> str:
    """``searchapp entities`` for a terminal: one value a line, its kind, counts and most frequent spellings;
    under a value the corpus-wide pass decided, what it decided and on what evidence (``decisions``)."""
    lines = [
        f"{len(listing.values)} of {listing.total} values in {listing.articles} articles, most articles first "
        "(articles as the facets count them; spellings as written, with their mentions)"
    ]
    if listing.values:
        lines.append(f"{'ARTICLES':>8} {'MENTIONS':>8}  {'KIND':<6}  VALUE  <-  SPELLINGS")
    for value in listing.values:
        shown = ", ".join(f"{s.text} ({s.mentions})" for s in value.spellings[:spellings])
        more = f", +{len(value.spellings) - spellings} more" if len(value.spellings) > spellings else ""
        lines.append(f"{value.articles:>8} {value.mentions:>8}  {value.kind:<6}  {value.value}" + (f"  <-  {shown}{more}" if shown else ""))
        for decision in (decisions or {}).get(value.value, ()):
            lines.append(f"{'':>8} {'':>8}  {'':<6}    corpus: {decision}")
    return "\n".join(lines)
