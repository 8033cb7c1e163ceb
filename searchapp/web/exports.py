"""Exports: every hit of a search (not one page) as CSV or JSON, streamed from one ranking of the search.

The total is checked against the ``export_limit`` setting before anything is sent (400 beyond
it); CSV cells that a spreadsheet would run as formulas are prefixed with ``'``.

A stream has a bounded cost whatever the query: past ``export_seconds`` (or on an error once the
200 is sent) it stops, and its end says so, so that a cut export never looks complete: the JSON
lacks its closing ``]}`` (no parser accepts it) and ends with a line ``{"error": ...}``; the CSV
ends with a row ``INCOMPLETE EXPORT: ...``.
"""

from __future__ import annotations

import csv
import io
import json
import time
from collections.abc import Iterable, Iterator

from flask import Blueprint, Response, current_app, request, stream_with_context

from ..errors import SearchappError
from ..query import Hit
from .helpers import public_message, search_request, state
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


class BoundedHits:
    """The hits of an export until its deadline or an error; ``problem`` says why it stopped early."""

    def __init__(self, hits: Iterable[Hit], total: int, seconds: float) -> None:
        self.hits = hits
        self.total = total
        self.seconds = seconds
        self.problem: str | None = None

    def __iter__(self) -> Iterator[Hit]:
        deadline = time.monotonic() + self.seconds
        sent = 0
        try:
            for hit in self.hits:
                if time.monotonic() > deadline:
                    self.problem = (
                        f"export cut after {sent} of {self.total} hits: it took longer than {self.seconds:g} s "
                        "(SEARCHAPP_EXPORT_SECONDS); narrow the search"
                    )
                    return
                yield hit
                sent += 1
        except SearchappError as exc:
            if exc.status >= 500:
                current_app.logger.error("export cut after %d hits: %s", sent, exc)
            self.problem = f"export cut after {sent} of {self.total} hits: {public_message(exc)}"
        except Exception:  # the 200 is sent: the end of the stream is the only place left to say it
            current_app.logger.exception("export failed after %d hits", sent)
            self.problem = f"export cut after {sent} of {self.total} hits: server error"


@blueprint.route("/export.csv")
def export_csv():
    req = search_request(request.args, page=1)
    total, found = state().index.hits(req, state().settings.export_limit)
    hits = BoundedHits(found, total, state().settings.export_seconds)

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
        if hits.problem:
            writer.writerow([f"INCOMPLETE EXPORT: {hits.problem}"])
        yield buffer.getvalue()

    return _download(rows(), "text/csv", "csv")


@blueprint.route("/export.json")
def export_json():
    req = search_request(request.args, page=1)
    total, found = state().index.hits(req, state().settings.export_limit)
    hits = BoundedHits(found, total, state().settings.export_seconds)

    def chunks():
        head = {"query": req.q, "filters": req.filters, "sort": req.effective_sort, "total": total}
        yield json.dumps(head, ensure_ascii=False)[:-1] + ', "hits": ['
        for number, hit in enumerate(hits):
            yield ("," if number else "") + "\n" + json.dumps(hit_dict(hit, req.q), ensure_ascii=False)
        if hits.problem:  # no closing brackets: no JSON parser takes this for a whole export
            yield "\n" + json.dumps({"error": hits.problem}) + "\n"
        else:
            yield "\n]}\n"

    return _download(chunks(), "application/json", "json")
