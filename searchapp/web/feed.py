"""The Atom feed of a search (``/feed.atom``), newest first: follow "Idlib ceasefire" from one outlet in a feed reader.

The view gathers the entries; ``templates/feed.xml`` writes them (Jinja escapes every value, as
for the HTML pages, and :func:`xml_text` drops the characters XML 1.0 cannot hold: a ``\x01`` in
a scraped title would make the whole feed ill-formed).

Ids and links are built on the ``public_url`` setting, never on the Host header a client sends
(which would let anyone mint a feed pointing elsewhere).  Without it, ids are ``urn:searchapp:``
names (Atom ids need not be addresses; they only must not change) and links are relative to the
feed, which feed readers resolve against the address they fetched it from.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from urllib.parse import quote

from flask import Blueprint, Response, render_template, request, url_for

from .helpers import public_base, search_request, state, url_with
from .render import paragraph_link, snippets_text

blueprint = Blueprint("feed", __name__)
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def xml_text(text: str | None) -> str:
    """``text`` without the characters XML 1.0 cannot hold (C0 controls but tab and newlines, surrogates, U+FFFE/F)."""
    return _NOT_XML.sub("", text or "")


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
    parts = [f"{k}: {(' and ' if req.op(k) == 'all' else ' or ').join(v)}" for k, v in req.filters.items()]
    if req.published:
        parts.append(f"published: {req.published}")
    if parts:
        described += " (" + "; ".join(parts) + ")"
    base = public_base()  # "": links relative to the feed
    entries = [
        {
            "id": base + url_for("pages.doc", doc_id=hit.id) if base else "urn:searchapp:doc:" + quote(hit.id, safe=""),
            "title": xml_text(hit.title),
            "link": xml_text(base + paragraph_link(hit.id, hit.paragraph, req.q)),
            "updated": atom_time(hit.published),
            "outlet": xml_text(hit.outlet),
            "summary": xml_text(snippets_text(hit)),
        }
        for hit in result.hits
    ]
    updated = max((e["updated"] for e in entries), default=datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"))
    search_path = url_with("pages.search", drop=("page", "sort", "more"))
    self_path = request.full_path.rstrip("?")
    feed_id = base + search_path if base else "urn:searchapp:search:" + quote(search_path, safe="")
    body = render_template(
        "feed.xml",
        described=xml_text(described),
        feed_id=xml_text(feed_id),
        page_url=xml_text(base + search_path),
        self_url=xml_text(base + self_path),
        updated=updated,
        entries=entries,
    )
    return Response(body, mimetype="application/atom+xml")
