"""The pages people read: the search page (facets, chips, chart, hits) and the document page."""

from __future__ import annotations

import re
from urllib.parse import urlencode

from flask import Blueprint, redirect, render_template, request, url_for
from markupsafe import Markup

from ..query import SearchRequest, SearchResult, load_document, mark_paragraph
from .helpers import facet_label, human_date, search_request, state, url_with, url_without

# Facets whose articles each carry one value (an outlet, a year, a language): "all of" two of them is
# nothing, so they offer no any/all switch (the ``outlet_op`` parameter still works).
SINGLE_VALUED = frozenset({"outlet", "year", "language"})

blueprint = Blueprint("pages", __name__)


@blueprint.route("/")
def search():
    args = [(k, v) for k, v in request.args.items(multi=True)]
    kept = [(k, v) for k, v in args if not (k.endswith("_find") and not v.strip())]
    if len(kept) < len(args):  # the form sends every facet's search box, most of them empty: a clean URL to share
        return redirect(url_for("pages.search") + ("?" + urlencode(kept) if kept else ""), 303)
    req = search_request(request.args, probe_more=True)
    result = state().index.search(req)
    return render_template("search.html", **search_context(req, result))


def search_context(req: SearchRequest | None, result: SearchResult | None, error: str | None = None) -> dict:
    """What search.html shows: the result (or the error beside the box), facets cut to size, the chart."""
    size = state().settings.facet_size
    more = request.args.get("more", "")
    facets = {}
    if result is not None:
        specs = state().index.custom_facets()
        for facet, values in result.facets.items():
            listed = result.facet_pages.get(facet)
            expanded = facet == more and listed is not None and listed.size is not None
            limit = len(values) if expanded else size
            head = values[:limit] + [v for v in values[limit:] if v.selected]
            data = {
                "values": head,
                "more": not expanded and any(not v.selected for v in values[limit:]),
                "find": listed.find if listed else "",
                "total": listed.total if listed else len(values),
                # a facet search box where there is something to search: more values than one screen shows
                "searchable": bool(listed and (listed.find or listed.total > size)),
                # any of / all of: offered once a value is ticked (or "all" is on), for facets an article has several of
                "switch": facet not in SINGLE_VALUED and (facet not in specs or specs[facet].kind == "keyword")
                and (any(v.selected for v in values) or (req is not None and req.op(facet) == "all")),
                "op": req.op(facet) if req else "any",
                "pager": _facet_pager(facet, listed) if expanded else None,
            }
            facets[facet] = data
    feed_args = [(k, v) for k, v in request.args.items(multi=True) if k not in ("page", "sort", "more", "more_page") and not k.endswith("_find")]
    chips = _chips(req) if req else []
    return {
        "req": req,
        "result": result,
        "error": error,
        "q": request.args.get("q", ""),
        "facets": facets,
        "more": more,
        "feed_url": url_for("feed.feed") + ("?" + urlencode(feed_args) if feed_args else ""),
        "filters": [(facet, value) for facet in state().index.facet_names() for value in dict.fromkeys(request.args.getlist(facet)) if value.strip()],
        "chips": chips,
        "active": sum(len(group["values"]) for group in chips),  # the count on the "Filters (n)" disclosure
        # the filters disclosure (closed on a phone) opens when the visitor is working in it
        "filters_open": any(k.endswith("_find") and v.strip() for k, v in request.args.items(multi=True)) or more in facets,
        "chart": _chart(result) if result is not None else None,
        "start": (req.page - 1) * req.per_page if req else 0,
    }


def _facet_pager(facet: str, listed) -> dict:
    """The "more" list of one facet: which values it shows of how many, links to the other pages."""
    pages = max(1, -(-listed.total // listed.size))
    number = listed.offset // listed.size + 1
    anchor = f"#facet-{facet}"
    return {
        "first": listed.offset + 1 if listed.total else 0,
        "last": min(listed.offset + listed.size, listed.total),
        "total": listed.total,
        "page": number,
        "pages": pages,
        "prev": url_with(more_page=number - 1 if number > 2 else None) + anchor if number > 1 else None,
        "next": url_with(more_page=number + 1) + anchor if number < pages else None,
    }


def period_text(period: str) -> str:
    """A ``published`` filter as a chip says it: "March 2016", "2016", "January 2016 – June 2016"."""
    low, sep, high = period.strip().strip("[]").strip().partition(" TO ")
    if not sep:
        return human_date(low)
    ends = [("…" if end.strip() in ("", "*") else human_date(end.strip())) for end in (low, high)]
    return " – ".join(ends)


def _chips(req: SearchRequest) -> list[dict]:
    """The active filters, one group per facet (each value a chip that removes it), and the published period."""
    groups = []
    for facet in state().index.facet_names():
        values = [v for v in dict.fromkeys(request.args.getlist(facet)) if v.strip()]
        if not values:
            continue
        op = req.op(facet)
        several = len(values) > 1
        groups.append({
            "facet": facet,
            "label": facet_label(facet) + (f" ({'all' if op == 'all' else 'any'} of)" if several else ""),
            "values": [(value, url_without(facet, value)) for value in values],
            "op": op,
            # with two values or more, a link to switch between any of (OR) and all of (AND)
            "toggle": url_with(**{f"{facet}_op": None if op == "all" else "all"}) if several else None,
        })
    if req.published:
        groups.append({
            "facet": "published", "label": "Published", "op": "any", "toggle": None,
            "values": [(period_text(req.published), url_with(published=None))],
        })
    return groups


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
        href = url_with(published=bar.period)  # a filter (a chip that removes it), not a clause in the query box
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
            "selected": bar.period == result.request.published,
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
