"""The pages people read: the search page (facets, chips, chart, hits) and the document page."""

from __future__ import annotations

import re
from urllib.parse import urlencode

from flask import Blueprint, render_template, request, url_for
from markupsafe import Markup

from ..query import SearchRequest, SearchResult, load_document, mark_paragraph
from .helpers import search_request, state, url_with

blueprint = Blueprint("pages", __name__)


@blueprint.route("/")
def search():
    req = search_request(request.args, probe_more=True)
    result = state().index.search(req)
    return render_template("search.html", **search_context(req, result))


def search_context(req: SearchRequest | None, result: SearchResult | None, error: str | None = None) -> dict:
    """What search.html shows: the result (or the error beside the box), facets cut to size, the chart."""
    size = state().settings.facet_size
    more = request.args.get("more", "")
    facets = {}
    if result is not None:
        for facet, values in result.facets.items():
            limit = len(values) if facet == more else size
            head = values[:limit] + [v for v in values[limit:] if v.selected]
            facets[facet] = {"values": head, "more": any(not v.selected for v in values[limit:])}
    feed_args = [(k, v) for k, v in request.args.items(multi=True) if k not in ("page", "sort", "more")]
    return {
        "req": req,
        "result": result,
        "error": error,
        "q": request.args.get("q", ""),
        "facets": facets,
        "more": more,
        "feed_url": url_for("feed.feed") + ("?" + urlencode(feed_args) if feed_args else ""),
        "filters": [(facet, value) for facet in state().index.facet_names() for value in dict.fromkeys(request.args.getlist(facet)) if value.strip()],
        "chart": _chart(result) if result is not None else None,
        "start": (req.page - 1) * req.per_page if req else 0,
    }


def _chart(result: SearchResult) -> dict | None:
    """Geometry of the results-over-time bar chart (drawn as inline SVG by the template)."""
    bars = result.timeline
    if not bars:
        return None
    height, top, bottom = 120, 14, 18
    step = min(600 / len(bars), 56)  # a bar is never wider than 56 units: one bar stays a bar
    width = max(round(step * len(bars)), 160)
    peak = max(bar.count for bar in bars) or 1
    label_every = max(1, -(-len(bars) // 12))
    out = []
    for number, bar in enumerate(bars):
        h = round((height - top - bottom) * bar.count / peak, 1) if bar.count else 0
        if bar.is_month:
            clause = f"date:[{bar.period} TO {bar.period}]"
            href = url_with(q=f"{result.request.q} {clause}".strip())
        else:
            href = url_with(year=bar.period)
        noun = "article" if bar.count == 1 else "articles"
        out.append({
            "period": bar.period,
            "count": bar.count,
            "x": round(number * step + step * 0.1, 1),
            "w": round(step * 0.8, 1),
            "y": round(height - bottom - h, 1),
            "h": h,
            "cx": round(number * step + step / 2, 1),
            "label": bar.period if number % label_every == 0 else "",
            "href": href,
            "title": f"{bar.period}: {bar.count} {noun}",
        })
    return {"bars": out, "width": width, "height": height, "base": height - bottom, "by": "month" if bars[0].is_month else "year"}


@blueprint.route("/doc/<path:doc_id>")
def doc(doc_id: str):
    document = load_document(state().index, doc_id)
    q = request.args.get("q", "")
    terms = state().index.marked_terms(q) if len(q) <= state().settings.max_query_length else frozenset()
    passage = _passage(request.args.get("passage", ""), document.paragraphs)
    spans = document.spans_by_paragraph()
    paragraphs = []
    for n, text in enumerate(document.paragraphs):
        paragraph = {"number": n + 1, "id": f"p{n + 1}"}
        if passage and passage[0] == n:
            _, start, end = passage
            # the passage carries the paragraph's anchor: a snippet's link (#pN) lands on it
            paragraph["id"] = None
            paragraph["html"] = Markup("").join((
                _entity_markup(text, spans.get(n, []), terms, document.language, 0, start),
                Markup('<mark class="passage" id="p{n}" tabindex="-1">').format(n=n + 1),
                _entity_markup(text, spans.get(n, []), terms, document.language, start, end),
                Markup("</mark>"),
                _entity_markup(text, spans.get(n, []), terms, document.language, end, len(text)),
            ))  # fmt: skip
        else:
            paragraph["html"] = _entity_markup(text, spans.get(n, []), terms, document.language)
        paragraphs.append(paragraph)
    return render_template("doc.html", doc=document, paragraphs=paragraphs, q=q, passage=passage)


_PASSAGE = re.compile(r"([1-9][0-9]{0,5}):([0-9]{1,7})-([0-9]{1,7})")


def _passage(value: str, paragraphs: list[str]) -> tuple[int, int, int] | None:
    """(paragraph 0-based, start, end) of a ``passage=N:START-END`` parameter, or None when it names no passage of the article.

    A link from a snippet (:func:`searchapp.web.render.paragraph_link`); an edited or stale one
    (the article re-indexed shorter) is ignored rather than refused: the page still shows the article.
    """
    found = _PASSAGE.fullmatch(value.strip())
    if not found:
        return None
    number, start, end = (int(g) for g in found.groups())
    if number > len(paragraphs) or not start < end <= len(paragraphs[number - 1]):
        return None
    return number - 1, start, end


def _entity_markup(
    text: str, spans: list[tuple[int, int, dict]], terms: frozenset, language: str | None = None, begin: int = 0, stop: int | None = None
) -> Markup:
    """``text[begin:stop]`` escaped, query terms in <mark>, each entity mention (tagged span) a link to its facet.

    A mention of an entity the query found by another spelling (its stored keys hold a name key of
    the query: "Idlib" for "Idleb") is marked whole.
    """
    stop = len(text) if stop is None else stop
    names = {t[1] for t in terms if isinstance(t, tuple) and t[0] == "name"}
    out = []
    position = begin
    for start, end, mention in sorted(spans, key=lambda s: (s[0], -s[1])):
        if start < position or end > stop:
            continue  # overlapping, stale or outside this part: leave the text as it is
        out.append(mark_paragraph(text[position:start], terms, language))
        kind = mention.get("kind", "place")
        facet = "place" if kind == "place" else "actor"
        href = url_for("pages.search", **{facet: mention["name"]})
        label = {"person": "person", "org": "organisation", "place": "place"}.get(kind, kind)
        inner = mark_paragraph(text[start:end], terms, language)
        if names & set(mention.get("keys", ())) and "<mark>" not in inner:
            inner = Markup("<mark>") + inner + Markup("</mark>")
        out.append(
            Markup('<a class="entity entity-{kind}" href="{href}" title="{title}">{inner}</a>').format(
                kind=kind, href=href, title=f"{mention['name']} ({label}): search articles naming it", inner=inner
            )
        )
        position = end
    out.append(mark_paragraph(text[position:stop], terms, language))
    return Markup("").join(out)
