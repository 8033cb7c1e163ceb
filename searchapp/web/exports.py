"""Exports: every hit of a search (not one page) as CSV or JSON, streamed from one ranking of the search.

The total is checked against the ``export_limit`` setting before anything is sent (400 beyond
it); CSV cells that a spreadsheet would run as formulas are prefixed with ``'``.
"""

from __future__ import annotations

import csv
import io
import json

from flask import Blueprint, Response, request, stream_with_context

from .helpers import search_request, state
from .render import hit_dict, snippets_text

blueprint = Blueprint("exports", __name__)
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
CSV_COLUMNS = ["id", "title", "outlet", "published", "url", "score", "snippet", "link", "other_versions"]


def _cell(value) -> str:
    """A CSV cell; text that a spreadsheet would run as a formula is prefixed with a quote."""
    if value is None:
        return ""
    text = str(value)
    if isinstance(value, str) and text.startswith(FORMULA_START):
        return "'" + text
    return text


def _download(chunks, mimetype: str, ext: str) -> Response:
    response = Response(stream_with_context(chunks), mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="searchapp-export.{ext}"'
    return response


@blueprint.route("/export.csv")
def export_csv():
    req = search_request(request.args, page=1)
    _, hits = state().index.hits(req, state().settings.export_limit)

    def rows():
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(CSV_COLUMNS)
        for hit in hits:
            data = hit_dict(hit, req.q)
            row = (hit.id, hit.title, hit.outlet, hit.published, hit.url, hit.score, snippets_text(hit), data["link"], hit.version_count)
            writer.writerow([_cell(x) for x in row])
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
        yield buffer.getvalue()

    return _download(rows(), "text/csv", "csv")


@blueprint.route("/export.json")
def export_json():
    req = search_request(request.args, page=1)
    total, hits = state().index.hits(req, state().settings.export_limit)

    def chunks():
        head = {"query": req.q, "filters": req.filters, "sort": req.effective_sort, "total": total}
        yield json.dumps(head, ensure_ascii=False)[:-1] + ', "hits": ['
        for number, hit in enumerate(hits):
            yield ("," if number else "") + "\n" + json.dumps(hit_dict(hit, req.q), ensure_ascii=False)
        yield "\n]}\n"

    return _download(chunks(), "application/json", "json")
