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
from typing import Any

from flask import Flask, Response, current_app, jsonify, make_response, redirect, render_template, request, url_for
from markupsafe import escape
from werkzeug.exceptions import HTTPException

from ..config import Settings
from ..errors import SearchappError
from ..query import SearchIndex
from . import api, exports, feed, pages
from .helpers import WebState, facet_label, http_url, human_date, lang_attrs, public_message, templates_folder, url_with, url_without
from .render import paragraph_link

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

# What the app refuses itself, before routing, with its own headers (gunicorn's limits, set higher in
# searchapp/web/serve.py, answer only beyond these, without them: see the README's "Behind a reverse
# proxy").  A URL up to gunicorn's longest request line reaches the app, whose limits answer 400.
MAX_HEADER_FIELD = 8190  # bytes of one header line: 431 beyond
MAX_HEADERS_TOTAL = 32768  # bytes of all header lines together: 431 beyond
_LABEL = r"[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?"
VALID_HOST = re.compile(rf"(?:{_LABEL}(?:\.{_LABEL})*\.?|\[[0-9A-Fa-f:.]+\])(?::[0-9]{{1,5}})?")


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
    app.jinja_env.globals.update(url_with=url_with, url_without=url_without, facet_label=facet_label, para_link=paragraph_link)
    app.jinja_env.globals.update(lang_attrs=lang_attrs)
    app.jinja_env.filters.update(human_date=human_date, http_url=http_url)
    for blueprint in (pages.blueprint, api.blueprint, exports.blueprint, feed.blueprint):
        app.register_blueprint(blueprint)
    app.add_url_rule("/favicon.ico", "favicon", lambda: redirect(url_for("static", filename="favicon.svg"), 301))
    app.before_request(_refuse_malformed_requests)
    app.after_request(_security_headers)
    app.register_error_handler(SearchappError, _searchapp_error)
    app.register_error_handler(HTTPException, _http_error)
    return app


# ---------------------------------------------------------------------------------------------
# Headers and errors


def _refuse_malformed_requests() -> Response | None:
    """A 400 or 431 for a request no route can read (a malformed Host, an over-long header).

    Checked before routing's errors surface: Werkzeug cannot build URLs for a Host such as
    ``..``, so the answer is a page that needs none (the usual error page links the style sheet).
    """
    environ = request.environ
    host = environ.get("HTTP_HOST")
    if host is not None and not VALID_HOST.fullmatch(host):
        return _bare_error(400, "Bad request", "the Host header is not a host name")
    sizes = [len(name) - 5 + len(str(value)) + 2 for name, value in environ.items() if name.startswith("HTTP_")]
    if sizes and (max(sizes) > MAX_HEADER_FIELD or sum(sizes) > MAX_HEADERS_TOTAL):
        return _bare_error(
            431, "Request header fields too large", f"a header is longer than {MAX_HEADER_FIELD} bytes or all are longer than {MAX_HEADERS_TOTAL}"
        )
    return None


def _bare_error(status: int, title: str, message: str) -> Response:
    if request.path.startswith("/api/"):
        response = jsonify({"error": message})
        response.status_code = status
        return response
    page = f"<!doctype html><html lang=en><title>{title}</title><h1>{title} ({status})</h1><p class=error>{escape(message)}</p></html>"
    return Response(page, status, mimetype="text/html")


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
        return render_template("search.html", **pages.search_context(None, None, str(exc))), 400
    if exc.status >= 500:  # the server's own trouble: logged in full, told in general terms
        current_app.logger.error("%s: %s", type(exc).__name__, exc)
    return error_response(exc.status, public_message(exc), TITLES.get(exc.status, "Error"))


def _http_error(exc: HTTPException):
    response = make_response(error_response(exc.code or 500, exc.description or exc.name, exc.name))
    if getattr(exc, "valid_methods", None):  # a 405 names the methods the route takes
        response.headers["Allow"] = ", ".join(exc.valid_methods)
    return response
