"""The Atom feed of a search (``/feed.atom``), newest first: follow "Idlib ceasefire" from one outlet in a feed reader.

The view gathers the entries; ``templates/feed.xml`` writes them (Jinja escapes every value, as
for the HTML pages).
"""

from __future__ import annotations

from datetime import UTC, datetime

from flask import Blueprint, Response, render_template, request, url_for

from .helpers import search_request, state, url_with
from .render import paragraph_link, snippets_text

blueprint = Blueprint("feed", __name__)


def atom_time(iso: str | None) -> str:
    """An Atom timestamp for a published date at any precision (its first day, midnight UTC)."""
    if not iso:
        return "1970-01-01T00:00:00Z"
    day = (iso + "-01-01")[:10] if len(iso) == 4 else (iso + "-01")[:10] if len(iso) == 7 else iso[:10]
    return day + "T00:00:00Z"


@blueprint.route("/feed.atom")
def feed():
    req = search_request(request.args, sort="newest", page=1, per_page=state().settings.feed_size)
    result = state().index.search(req)
    described = req.q or "everything"
    if req.filters:
        described += " (" + "; ".join(f"{k}: {' or '.join(v)}" for k, v in req.filters.items()) + ")"
    base = request.host_url.rstrip("/")
    entries = [
        {
            "id": base + url_for("pages.doc", doc_id=hit.id),
            "title": hit.title,
            "link": base + paragraph_link(hit.id, hit.paragraph, req.q),
            "updated": atom_time(hit.published),
            "outlet": hit.outlet,
            "summary": snippets_text(hit),
        }
        for hit in result.hits
    ]
    updated = max((e["updated"] for e in entries), default=datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"))
    page_url = base + url_with("pages.search", drop=("page", "sort", "more"))
    body = render_template("feed.xml", described=described, page_url=page_url, self_url=request.url, updated=updated, entries=entries)
    return Response(body, mimetype="application/atom+xml")
