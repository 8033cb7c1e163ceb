"""The application factory: settings resolved once, four blueprints, headers and errors in one place.

:func:`create_app` resolves the :class:`~searchapp.config.Settings` once (from its argument, a
test's config or the environment), opens the :class:`~searchapp.query.SearchIndex` they name, and
registers a blueprint per front: :mod:`~searchapp.web.pages` (the search page and document
pages), :mod:`~searchapp.web.api` (JSON), :mod:`~searchapp.web.exports` (CSV and JSON downloads)
and :mod:`~searchapp.web.feed` (Atom).  Views build a request, call the search side, and render
what it returns.  Every :class:`~searchapp.errors.SearchappError` becomes a response in one
handler: JSON ``{"error": message}`` under ``/api/``, an HTML page elsewhere, with the error's
status.  No page carries any script.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from flask import Flask, Response, current_app, jsonify, make_response, redirect, render_template, request, url_for
from werkzeug.datastructures import MultiDict
from werkzeug.exceptions import HTTPException

from ..config import Settings
from ..errors import BadRequest, SearchappError
from ..query import FACETS, SearchIndex, SearchRequest
from .render import paragraph_link

FACET_LABELS = {"outlet": "Outlet", "year": "Year published", "actor": "Actors", "place": "Places", "month": "Months mentioned"}
MAX_PARAM_LENGTH = 300  # a facet value longer than this cannot exist
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


@dataclass(frozen=True)
class WebState:
    """What the views share: the settings and the index they name (``app.extensions["searchapp"]``)."""

    settings: Settings
    index: SearchIndex


def create_app(config: Settings | Mapping[str, Any] | None = None) -> Flask:
    """The Flask application.

    ``config`` is the :class:`Settings` to serve with, or a mapping whose keys that name settings
    (``INDEX_DIR``, ``PER_PAGE``, ...) override the environment's and whose other keys
    (``TESTING``) go to Flask's config.
    """
    if isinstance(config, Settings):
        settings, flask_config = config, {}
    else:
        config = dict(config or {})
        names = {name.upper() for name in Settings.__dataclass_fields__}
        settings = Settings.load(overrides={k: v for k, v in config.items() if k.upper() in names})
        flask_config = {k: v for k, v in config.items() if k.upper() not in names}
    app = Flask(__name__, static_folder="static", template_folder=str(templates_folder()))
    app.config.update(flask_config)
    app.json.sort_keys = False
    app.json.ensure_ascii = False
    app.extensions["searchapp"] = WebState(settings, SearchIndex.from_settings(settings))
    app.jinja_env.globals.update(url_with=url_with, url_without=url_without, FACET_LABELS=FACET_LABELS, para_link=paragraph_link)
    app.jinja_env.filters.update(human_date=human_date, http_url=http_url)

    from . import api, exports, feed, pages

    for blueprint in (pages.blueprint, api.blueprint, exports.blueprint, feed.blueprint):
        app.register_blueprint(blueprint)
    app.add_url_rule("/favicon.ico", "favicon", lambda: redirect(url_for("static", filename="favicon.svg"), 301))
    app.after_request(_security_headers)
    app.register_error_handler(SearchappError, _searchapp_error)
    app.register_error_handler(HTTPException, _http_error)
    return app


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


# ---------------------------------------------------------------------------------------------
# The request


def search_request(
    args: MultiDict, *, sort: str | None = None, page: int | None = None, per_page: int | None = None, probe_more: bool = False
) -> SearchRequest:
    """A SearchRequest from the query string (BadRequest names the parameter that is wrong)."""
    settings = state().settings
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
    return SearchRequest(
        q=args.get("q", ""),
        filters=filters,
        sort=sort or args.get("sort", "relevance") or "relevance",
        page=page,
        per_page=per_page or settings.per_page,
        # "more=facet" lifts the size; the page asks one value beyond to know whether to offer "more"
        facet_size=None if more in FACETS else settings.facet_size + (1 if probe_more else 0),
        collapse=args.get("collapse", "1") != "0",  # collapse=0 lists every version of a story
    )


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


# ---------------------------------------------------------------------------------------------
# Headers and errors


def _security_headers(response: Response) -> Response:
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    return response


def error_response(status: int, message: str, title: str):
    if request.path.startswith("/api/"):
        return jsonify({"error": message}), status
    return render_template("error.html", status=status, message=message, title=title), status


TITLES = {400: "Bad request", 404: "Not found", 500: "Server error", 503: "Service unavailable"}


def _searchapp_error(exc: SearchappError):
    """Every error of the family, in one place: the search page shows a bad query beside its box."""
    if exc.status == 400 and request.endpoint == "pages.search":
        from .pages import search_context

        return render_template("search.html", **search_context(None, None, str(exc))), 400
    message = str(exc)
    if exc.status >= 500:  # the server's own trouble: logged in full, told in general terms
        current_app.logger.error("%s: %s", type(exc).__name__, exc)
        message = "the search index is not available right now" if exc.status == 503 else "the server is misconfigured"
    return error_response(exc.status, message, TITLES.get(exc.status, "Error"))


def _http_error(exc: HTTPException):
    response = make_response(error_response(exc.code or 500, exc.description or exc.name, exc.name))
    if getattr(exc, "valid_methods", None):  # a 405 names the methods the route takes
        response.headers["Allow"] = ", ".join(exc.valid_methods)
    return response
