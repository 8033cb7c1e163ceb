"""What the views share: the app's settings and index, the request's parameters, template helpers."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from urllib.parse import urlencode

from flask import current_app, request, url_for
from markupsafe import Markup
from werkzeug.datastructures import MultiDict

from ..config import Settings
from ..errors import BadRequest, SearchappError
from ..query import SearchIndex, SearchRequest
from ..query.facets import OPERATORS, FacetListing

RTL_LANGUAGES = frozenset({"ar", "fa", "ur", "he", "ps", "ckb", "sd", "ug", "yi", "dv"})


def lang_attrs(language: str | None) -> Markup:
    """ lang="ar" dir="rtl" for an article's title, snippets and paragraphs; nothing when the language is unknown."""
    if not language or language in ("und", "other"):
        return Markup("")
    direction = ' dir="rtl"' if language in RTL_LANGUAGES else ""
    return Markup(' lang="{}"{}').format(language, Markup(direction))


FACET_LABELS = {"outlet": "Outlet", "year": "Year published", "actor": "Actors", "place": "Places", "month": "Months mentioned", "language": "Language"}


def facet_label(facet: str) -> str:
    """A facet's heading: the built-in ones' labels, an archive's own facet under its name ("cause_of_death": "Cause of death")."""
    return FACET_LABELS.get(facet) or facet.replace("_", " ").capitalize()
MAX_PARAM_LENGTH = 300  # a facet value longer than this cannot exist


@dataclass(frozen=True)
class WebState:
    """What the views share: the settings and the index they name (``app.extensions["searchapp"]``)."""

    settings: Settings
    index: SearchIndex


def templates_folder() -> Path:
    """The Jinja templates: the design's top-level ``templates/`` folder.

    A wheel installs it as ``searchapp/templates`` (setup.cfg maps it into the package); in a
    source checkout, which an editable install runs from, it is the folder beside ``searchapp/``.
    """
    package = Path(__file__).resolve().parent.parent
    installed = package / "templates"
    return installed if installed.is_dir() else package.parent / "templates"


def state() -> WebState:
    """The running app's settings and index (for views only: everything below gets them passed)."""
    return current_app.extensions["searchapp"]


def public_message(exc: SearchappError) -> str:
    """What a visitor is told of an error: its message, or for the server's own trouble (5xx) a
    general sentence with the public reason (the full message, with the server's paths, is logged)."""
    if exc.status < 500:
        return str(exc)
    message = "the search index is not available right now" if exc.status == 503 else "the server is misconfigured"
    if reason := getattr(exc, "public_reason", None):
        message += f": {reason}"
    return message


# ---------------------------------------------------------------------------------------------
# The request


def search_request(
    args: MultiDict, *, sort: str | None = None, page: int | None = None, per_page: int | None = None, probe_more: bool = False
) -> SearchRequest:
    """A SearchRequest from the query string (BadRequest names the parameter that is wrong)."""
    settings = state().settings
    facets = state().index.facet_names()
    for name in ("q", "sort", "page", "more", "more_page", "published", *(f"{f}_{s}" for f in facets for s in ("op", "find"))):
        if len(args.getlist(name)) > 1:
            raise BadRequest(f"{name}: give it once, not {len(args.getlist(name))} times")
    filters = {}
    ops = {}
    listings = {}
    for facet in facets:
        values = args.getlist(facet)
        for value in values:
            if len(value) > MAX_PARAM_LENGTH:
                raise BadRequest(f"{facet}: a value of {len(value)} characters is longer than any {facet} ({MAX_PARAM_LENGTH} at most)")
        if values:
            filters[facet] = values
        op = args.get(f"{facet}_op", "").strip() or "any"
        if op not in OPERATORS:
            raise BadRequest(f"{facet}_op must be one of {', '.join(OPERATORS)} (any of the ticked values, or all of them), got {op[:40]!r}")
        if op == "all":
            ops[facet] = op
        find = args.get(f"{facet}_find", "").strip()
        if len(find) > MAX_PARAM_LENGTH:
            raise BadRequest(f"{facet}_find: a text of {len(find)} characters is longer than any {facet} ({MAX_PARAM_LENGTH} at most)")
        if find:
            listings[facet] = FacetListing(find=find)
    if page is None:
        page = _whole_number(args, "page")
    more = args.get("more", "")
    if more in facets:  # one facet listed in full, a page at a time
        more_page = max(1, _whole_number(args, "more_page"))  # a page past the last lists the last
        size = settings.facet_page_size
        listings[more] = FacetListing(listings.get(more, FacetListing()).find, (min(more_page, 10**6) - 1) * size, size)
    published = args.get("published", "")
    if len(published) > MAX_PARAM_LENGTH:
        raise BadRequest(f"published: a value of {len(published)} characters is not a date range ({MAX_PARAM_LENGTH} at most)")
    return SearchRequest(
        q=args.get("q", ""),
        filters=filters,
        sort=sort or args.get("sort", "relevance") or "relevance",
        page=page,
        per_page=per_page or settings.per_page,
        # the page asks one value beyond the size to know whether to offer "more"
        facet_size=settings.facet_size + (1 if probe_more else 0),
        collapse=args.get("collapse", "1") != "0",  # collapse=0 lists every version of a story
        ops=ops,
        published=published,
        listings=listings,
    )


def _whole_number(args: MultiDict, name: str) -> int:
    """A page number parameter (1 when absent or empty); BadRequest names it when it is not a whole number."""
    raw = args.get(name, "1").strip() or "1"
    if not (raw.isascii() and raw.isdigit()) or len(raw) > 6:  # "²" and "٣" are digits to str.isdigit, not to int()
        raise BadRequest(f"{name} must be a whole number, got {raw[:40]!r}")
    return int(raw)


# ---------------------------------------------------------------------------------------------
# Template helpers


def url_with(endpoint: str = "pages.search", drop: tuple[str, ...] = ("page",), **changes) -> str:
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


def public_base() -> str:
    """The site's public base URL (the ``public_url`` setting) without a final slash; "" when not set.

    Absolute links (exports, the Atom feed) are built on it, never on the Host header a client sends.
    """
    return state().settings.public_url.strip().rstrip("/")


def absolute(link: str) -> str:
    """A site link made absolute on :func:`public_base` (left as a path when it is not set)."""
    return public_base() + link
