"""The web front end: the search page, document pages, the JSON API, exports and Atom feeds.

Every search view builds a :class:`~searchapp.search.SearchRequest` from the query string with
:func:`search_request` and renders the :class:`~searchapp.search.SearchResult` that
:func:`~searchapp.search.run_search` returns; none of them queries the index itself.  Settings
are read at request time through :func:`~searchapp.config.get_setting` with the app's config as
overrides.  Each request opens its own searcher (so a newly committed index generation is seen
without a restart).  Errors are turned into responses in one place, :func:`_register_errors`:
JSON ``{"error": message}`` under ``/api/``, an HTML page elsewhere, 400 for anything a user can
type wrong.  No page carries any script.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlencode
from xml.etree import ElementTree as ET

from flask import (
    Flask,
    Response,
    current_app,
    jsonify,
    make_response,
    redirect,
    render_template,
    request,
    stream_with_context,
    url_for,
)
from markupsafe import Markup
from werkzeug.datastructures import MultiDict
from werkzeug.exceptions import HTTPException

from .config import SettingError, get_setting
from .highlight import mark_paragraph, query_terms
from .indexing import IndexUnavailable
from .render import hit_dict, paragraph_link, result_dict
from .schema import FACET_FIELDS
from .search import BadRequest, QuerySyntaxError, SearchIndex, SearchRequest, SearchResult, parse_query, run_search

ROOT = Path(__file__).resolve().parent.parent
FACETS = tuple(FACET_FIELDS)
FACET_LABELS = {"outlet": "Outlet", "year": "Year published", "actor": "Actors", "place": "Places", "month": "Months mentioned"}
MAX_PARAM_LENGTH = 300  # a facet value longer than this cannot exist
EXPORT_PAGE = 200
MORE_LIKE_THIS = 5
CSP = (
    "default-src 'self'; script-src 'none'; style-src 'self'; img-src 'self' data:; "
    "frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
}


class NotFound(LookupError):
    """An unknown document id (or page)."""


def create_app(test_config: dict | None = None) -> Flask:
    """The Flask application; ``test_config`` overrides settings (INDEX_DIR, PER_PAGE, ...)."""
    app = Flask(__name__, template_folder=str(ROOT / "templates"), static_folder="static")
    if test_config:
        app.config.update(test_config)
    app.json.sort_keys = False
    app.json.ensure_ascii = False
    app.extensions["searchapp.indexes"] = {}
    app.jinja_env.globals.update(
        url_with=url_with, url_without=url_without, FACET_LABELS=FACET_LABELS, para_link=paragraph_link, hit_link=hit_link
    )
    app.jinja_env.filters.update(human_date=human_date, http_url=http_url)

    app.add_url_rule("/", "search", search_page)
    app.add_url_rule("/doc/<path:doc_id>", "doc", doc_page)
    app.add_url_rule("/api/search", "api_search", api_search)
    app.add_url_rule("/api/doc/<path:doc_id>", "api_doc", api_doc)
    app.add_url_rule("/export.csv", "export_csv", export_csv)
    app.add_url_rule("/export.json", "export_json", export_json)
    app.add_url_rule("/feed.atom", "feed", feed)
    app.add_url_rule("/favicon.ico", "favicon", lambda: redirect(url_for("static", filename="favicon.svg"), 301))
    app.after_request(_security_headers)
    _register_errors(app)
    return app


# ---------------------------------------------------------------------------------------------
# Settings, the index and the request


def setting(name: str):
    return get_setting(name, current_app.config)


def search_index() -> SearchIndex:
    """The app's SearchIndex for the configured folder (it opens a fresh searcher per search)."""
    index_dir = str(setting("INDEX_DIR"))
    indexes = current_app.extensions["searchapp.indexes"]
    if index_dir not in indexes:
        indexes[index_dir] = SearchIndex(index_dir, read_only=setting("READ_ONLY"))
    return indexes[index_dir]


def search_request(
    args: MultiDict, *, sort: str | None = None, page: int | None = None, per_page: int | None = None, probe_more: bool = False
) -> SearchRequest:
    """A SearchRequest from the query string (BadRequest names the parameter that is wrong)."""
    for name in ("q", "sort", "page", "more"):
        if len(args.getlist(name)) > 1:
            raise BadRequest(f"{name}: give it once, not {len(args.getlist(name))} times")
    filters = {}
    for facet in FACETS:
        values = args.getlist(facet)
        for value in values:
            if len(value) > MAX_PARAM_LENGTH:
                raise BadRequest(f"{facet}: a value of {len(value)} characters is longer than any {facet} ({MAX_PARAM_LENGTH} at most)")
        if values:
            filters[facet] = values
    if page is None:
        raw = args.get("page", "1").strip() or "1"
        if not raw.isdigit() or len(raw) > 6:
            raise BadRequest(f"page must be a whole number, got {raw[:40]!r}")
        page = int(raw)
    more = args.get("more", "")
    size = setting("FACET_SIZE")
    return SearchRequest(
        q=args.get("q", ""),
        filters=filters,
        sort=sort or args.get("sort", "relevance") or "relevance",
        page=page,
        per_page=per_page or setting("PER_PAGE"),
        # "more=facet" lifts the size; the page asks one value beyond to know whether to offer "more"
        facet_size=None if more in FACETS else size + (1 if probe_more else 0),
        collapse=args.get("collapse", "1") != "0",  # collapse=0 lists every version of a story
    )


def do_search(req: SearchRequest) -> SearchResult:
    return search_index().search(req)


def url_with(endpoint: str = "search", drop: tuple[str, ...] = ("page",), **changes) -> str:
    """The current query string with ``changes`` applied (None removes a parameter)."""
    args = MultiDict(request.args)
    for name in drop:
        args.poplist(name)
    for name, value in changes.items():
        args.poplist(name)
        if value is None:
            continue
        for item in value if isinstance(value, (list, tuple)) else [value]:
            args.add(name, item)
    query = urlencode(list(args.items(multi=True)))
    return url_for(endpoint) + ("?" + query if query else "")


def hit_link(hit) -> str:
    """A hit's document link, at its best paragraph, marking the query."""
    return paragraph_link(hit.id, hit.snippets[0].paragraph if hit.snippets else 0, request.args.get("q", ""))


def url_without(facet: str, value: str) -> str:
    """The current search without one ticked value (an active-filter chip)."""
    return url_with(**{facet: [v for v in request.args.getlist(facet) if v != value]})


def http_url(url: str | None) -> str | None:
    """``url`` when it may be a link (http or https), else None: a stored ``javascript:`` URL is never clickable."""
    if url and re.match(r"https?://[^\s]", url.strip(), re.IGNORECASE):
        return url.strip()
    return None


def human_date(iso: str | None) -> str:
    """A published date at its precision: "2016", "May 2016" or "3 May 2016"."""
    if not iso:
        return "date unknown"
    try:
        if len(iso) == 4:
            return iso
        if len(iso) == 7:
            return datetime.strptime(iso, "%Y-%m").strftime("%B %Y")
        day = datetime.strptime(iso[:10], "%Y-%m-%d")
        return f"{day.day} {day.strftime('%B %Y')}"
    except ValueError:
        return iso


# ---------------------------------------------------------------------------------------------
# Pages


def search_page():
    req = search_request(request.args, probe_more=True)
    result = do_search(req)
    return render_template("search.html", **_search_context(req, result))


def _search_context(req: SearchRequest | None, result: SearchResult | None, error: str | None = None) -> dict:
    size = setting("FACET_SIZE")
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
        "feed_url": url_for("feed") + ("?" + urlencode(feed_args) if feed_args else ""),
        "filters": [(facet, value) for facet in FACETS for value in dict.fromkeys(request.args.getlist(facet)) if value.strip()],
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


def doc_page(doc_id: str):
    doc = load_document(doc_id)
    q = request.args.get("q", "")
    terms = frozenset()
    if q:
        try:
            terms = query_terms(parse_query(q))
        except QuerySyntaxError:
            terms = frozenset()
    paragraphs = [
        {"number": n + 1, "html": _entity_markup(text, doc["spans_by_paragraph"].get(n, []), terms)}
        for n, text in enumerate(doc["paragraphs"])
    ]
    return render_template("doc.html", doc=doc, paragraphs=paragraphs, q=q)


def load_document(doc_id: str) -> dict:
    """A stored document as the document page and ``/api/doc`` show it, with "more like this"."""
    if len(doc_id) > MAX_PARAM_LENGTH:
        raise NotFound(f"no document with id {doc_id[:40]!r}…")
    with search_index().searcher() as searcher:
        docnum = searcher.document_number(id=doc_id)
        if docnum is None:
            raise NotFound(f"no document with id {doc_id!r}")
        stored = dict(searcher.stored_fields(docnum))
        similar = []
        text = " ".join(stored.get("paragraphs") or [])
        if text:
            from whoosh.analysis import STOP_WORDS

            words = [w for w in re.findall(r"\w+", text) if w.lower() not in STOP_WORDS and len(w) > 2]
            for hit in searcher.more_like(docnum, "text", text=" ".join(words), top=MORE_LIKE_THIS):
                similar.append({
                    "id": hit["id"],
                    "title": hit.get("title", ""),
                    "outlet": hit.get("outlet_name"),
                    "published": hit.get("published_iso"),
                })
    entities = stored.get("entities") or {}
    mentions = entities.get("mentions", [])
    by_paragraph: dict[int, list[tuple[int, int, dict]]] = {}
    for mention in mentions:
        for number, start, end in mention.get("spans", ()):
            by_paragraph.setdefault(number, []).append((start, end, mention))
    inferred = [f for f in (stored.get("inferred") or "").split(",") if f]
    return {
        "id": stored["id"],
        "title": stored.get("title", ""),
        "outlet": stored.get("outlet_name"),
        "published": stored.get("published_iso"),
        "url": stored.get("url") or None,
        "language": stored.get("language"),
        "paragraphs": list(stored.get("paragraphs") or []),
        "actors": [m for m in mentions if m.get("kind") in ("person", "org")],
        "places": [m for m in mentions if m.get("kind") == "place"],
        "dates": list(entities.get("dates", [])),
        "spans_by_paragraph": by_paragraph,
        "inferred": inferred,
        "similar": similar,
    }


def _entity_markup(text: str, spans: list[tuple[int, int, dict]], terms: frozenset) -> Markup:
    """A paragraph escaped, query terms in <mark>, each entity mention (tagged span) a link to its facet."""
    out = []
    position = 0
    for start, end, mention in sorted(spans, key=lambda s: (s[0], -s[1])):
        if start < position or end > len(text):
            continue  # overlapping or stale span: leave the text as it is
        out.append(mark_paragraph(text[position:start], terms))
        kind = mention.get("kind", "place")
        facet = "place" if kind == "place" else "actor"
        href = url_for("search", **{facet: mention["name"]})
        label = {"person": "person", "org": "organisation", "place": "place"}.get(kind, kind)
        out.append(
            Markup('<a class="entity entity-{kind}" href="{href}" title="{title}">{inner}</a>').format(
                kind=kind, href=href, title=f"{mention['name']} ({label}): search articles naming it",
                inner=mark_paragraph(text[start:end], terms),
            )
        )
        position = end
    out.append(mark_paragraph(text[position:], terms))
    return Markup("").join(out)


# ---------------------------------------------------------------------------------------------
# API


def api_search():
    return jsonify(result_dict(do_search(search_request(request.args))))


def api_doc(doc_id: str):
    doc = load_document(doc_id)
    return jsonify({
        "id": doc["id"],
        "title": doc["title"],
        "outlet": doc["outlet"],
        "published": doc["published"],
        "url": doc["url"],
        "paragraphs": doc["paragraphs"],
        "entities": {
            "actors": [{"name": m["name"], "kind": m["kind"], "paragraphs": [p + 1 for p in m.get("paragraphs", ())]} for m in doc["actors"]],
            "places": [{"name": m["name"], "paragraphs": [p + 1 for p in m.get("paragraphs", ())]} for m in doc["places"]],
            "dates": [{"text": d.get("text"), "value": d.get("value"), "paragraph": d.get("paragraph", 0) + 1} for d in doc["dates"]],
        },
        "inferred": doc["inferred"],
    })


# ---------------------------------------------------------------------------------------------
# Exports and feed


def _all_hits(req: SearchRequest) -> tuple[int, Iterator]:
    """The total of a search and a generator of every hit, paging through run_search on one searcher.

    The total is checked against EXPORT_LIMIT before anything is streamed (400 beyond it).
    """
    limit = setting("EXPORT_LIMIT")
    index = search_index()
    searcher = index.current_searcher()  # kept open by the index: the stream pages through it
    table = index.facet_table(searcher)
    result = run_search(searcher, table, replace(req, page=1, per_page=EXPORT_PAGE, facet_size=0))
    if result.total > limit:
        raise BadRequest(f"this search has {result.total} hits; an export holds at most {limit}: narrow the search")

    def hits():
        page_result = result
        while True:
            yield from page_result.hits
            page = page_result.request.page
            if page * EXPORT_PAGE >= page_result.total:
                break
            page_result = run_search(searcher, table, replace(page_result.request, page=page + 1))

    return result.total, hits()


def _plain(hit) -> str:
    """A hit's snippets as plain text (marks dropped, entities unescaped)."""
    return " … ".join(s.html.striptags() for s in hit.snippets)


FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _cell(value) -> str:
    """A CSV cell; text that a spreadsheet would run as a formula is prefixed with a quote."""
    if value is None:
        return ""
    text = str(value)
    if isinstance(value, str) and text.startswith(FORMULA_START):
        return "'" + text
    return text


def _export_name(ext: str) -> str:
    return f"searchapp-export.{ext}"


def export_csv():
    req = search_request(request.args, page=1)
    _, hits = _all_hits(req)

    def rows():
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(["id", "title", "outlet", "published", "url", "score", "snippet", "link", "other_versions"])
        for hit in hits:
            data = hit_dict(hit, req.q)
            row = (hit.id, hit.title, hit.outlet, hit.published, hit.url, hit.score, _plain(hit), data["link"], hit.version_count)
            writer.writerow([_cell(x) for x in row])
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
        yield buffer.getvalue()

    response = Response(stream_with_context(rows()), mimetype="text/csv")
    response.headers["Content-Disposition"] = f'attachment; filename="{_export_name("csv")}"'
    return response


def export_json():
    req = search_request(request.args, page=1)
    total, hits = _all_hits(req)

    def chunks():
        head = {"query": req.q, "filters": req.filters, "sort": req.effective_sort, "total": total}
        yield json.dumps(head, ensure_ascii=False)[:-1] + ', "hits": ['
        for number, hit in enumerate(hits):
            yield ("," if number else "") + "\n" + json.dumps(hit_dict(hit, req.q), ensure_ascii=False)
        yield "\n]}\n"

    response = Response(stream_with_context(chunks()), mimetype="application/json")
    response.headers["Content-Disposition"] = f'attachment; filename="{_export_name("json")}"'
    return response


ATOM = "http://www.w3.org/2005/Atom"


def _atom_time(iso: str | None) -> str:
    if not iso:
        return "1970-01-01T00:00:00Z"
    parts = (iso + "-01-01")[:10] if len(iso) == 4 else (iso + "-01")[:10] if len(iso) == 7 else iso[:10]
    return parts + "T00:00:00Z"


def feed():
    req = search_request(request.args, sort="newest", page=1, per_page=setting("FEED_SIZE"))
    result = do_search(req)
    described = req.q or "everything"
    if req.filters:
        described += " (" + "; ".join(f"{k}: {' or '.join(v)}" for k, v in req.filters.items()) + ")"
    ET.register_namespace("", ATOM)
    root = ET.Element(f"{{{ATOM}}}feed")
    page_url = url_with("search", drop=("page", "sort", "more"))
    ET.SubElement(root, f"{{{ATOM}}}title").text = f"searchapp: {described}"
    ET.SubElement(root, f"{{{ATOM}}}id").text = request.host_url.rstrip("/") + page_url
    ET.SubElement(root, f"{{{ATOM}}}link", rel="alternate", type="text/html", href=request.host_url.rstrip("/") + page_url)
    ET.SubElement(root, f"{{{ATOM}}}link", rel="self", href=request.url)
    updated = max((_atom_time(h.published) for h in result.hits), default=datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"))
    ET.SubElement(root, f"{{{ATOM}}}updated").text = updated
    author = ET.SubElement(root, f"{{{ATOM}}}author")
    ET.SubElement(author, f"{{{ATOM}}}name").text = "searchapp"
    for hit in result.hits:
        entry = ET.SubElement(root, f"{{{ATOM}}}entry")
        link = request.host_url.rstrip("/") + paragraph_link(hit.id, hit.snippets[0].paragraph if hit.snippets else 0, req.q)
        ET.SubElement(entry, f"{{{ATOM}}}id").text = request.host_url.rstrip("/") + url_for("doc", doc_id=hit.id)
        ET.SubElement(entry, f"{{{ATOM}}}title").text = hit.title
        ET.SubElement(entry, f"{{{ATOM}}}link", rel="alternate", type="text/html", href=link)
        ET.SubElement(entry, f"{{{ATOM}}}updated").text = _atom_time(hit.published)
        if hit.outlet:
            ET.SubElement(ET.SubElement(entry, f"{{{ATOM}}}author"), f"{{{ATOM}}}name").text = hit.outlet
        ET.SubElement(entry, f"{{{ATOM}}}summary", type="text").text = _plain(hit)
    body = ET.tostring(root, encoding="unicode", xml_declaration=False)
    return Response('<?xml version="1.0" encoding="utf-8"?>\n' + body, mimetype="application/atom+xml")


# ---------------------------------------------------------------------------------------------
# Headers and errors


def _security_headers(response: Response) -> Response:
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    return response


def _wants_json() -> bool:
    return request.path.startswith("/api/")


def _error(status: int, message: str, title: str):
    if _wants_json():
        return jsonify({"error": message}), status
    return render_template("error.html", status=status, message=message, title=title), status


def _register_errors(app: Flask) -> None:
    @app.errorhandler(QuerySyntaxError)
    @app.errorhandler(BadRequest)
    def bad_search(exc):
        message = str(exc)
        if request.endpoint == "search":  # shown beside the box, the form kept as typed
            return render_template("search.html", **_search_context(None, None, message)), 400
        return _error(400, message, "Bad request")

    @app.errorhandler(NotFound)
    def not_found(exc):
        return _error(404, str(exc), "Not found")

    @app.errorhandler(HTTPException)
    def http_error(exc):
        response = make_response(_error(exc.code or 500, exc.description or exc.name, exc.name))
        if getattr(exc, "valid_methods", None):  # a 405 names the methods the route takes
            response.headers["Allow"] = ", ".join(exc.valid_methods)
        return response

    @app.errorhandler(IndexUnavailable)
    def index_unavailable(exc):
        current_app.logger.error("index unavailable: %s", exc)
        return _error(503, "the search index is not available right now", "Service unavailable")

    @app.errorhandler(SettingError)
    def setting_error(exc):
        current_app.logger.error("bad setting: %s", exc)
        return _error(500, "the server is misconfigured", "Server error")

