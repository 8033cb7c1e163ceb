"""Exports: every hit of a search (not one page) as CSV or JSON, streamed from one ranking of the search.

The total is checked against the ``export_limit`` setting before anything is sent (400 beyond
it); CSV cells that a spreadsheet would run as formulas are prefixed with ``'``.  A row carries
what a researcher codes articles with: the link to the paragraph (absolute when the
``public_url`` setting is set), the people, organisations and places named, the ids of the other
versions of the story, and the index's own facet columns.  The file is named after the search
and the day (``searchapp-idlib-ceasefire-2026-11-30.csv``); ``excel=1`` starts the CSV with a
UTF-8 byte-order mark, without which Excel reads UTF-8 (Arabic, accents) as mojibake.

A stream has a bounded cost whatever the query: past ``export_seconds`` (or on an error once the
200 is sent) it stops, and its end says so, so that a cut export never looks complete: the JSON
lacks its closing ``]}`` (no parser accepts it) and ends with a line ``{"error": ...}``; the CSV
ends with a row ``INCOMPLETE EXPORT: ...``.
"""

from __future__ import annotations

import csv
import datetime
import io
import json
import re
import time
import unicodedata
from collections.abc import Iterable, Iterator

from flask import Blueprint, Response, current_app, request, stream_with_context

from ..errors import SearchappError
from ..query import Hit
from .helpers import absolute, public_message, search_request, state
from .render import hit_dict, snippets_text

blueprint = Blueprint("exports", __name__)
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
CSV_COLUMNS = ["id", "title", "outlet", "published", "url", "score", "snippet", "link", "other_versions",
               "other_version_ids", "people", "organisations", "places"]  # then the index's own facets
LIST_SEPARATOR = "; "  # between the names of one cell


def _cell(value) -> str:
    """A CSV cell; text that a spreadsheet would run as a formula is prefixed with a quote."""
    if value is None:
        return ""
    text = str(value)
    if isinstance(value, str) and text.startswith(FORMULA_START):
        return "'" + text
    return text


def export_name(q: str, filters: dict[str, list[str]], ext: str, today: datetime.date | None = None) -> str:
    """The download's file name: the query's and filters' words and the day, in ASCII letters and digits."""
    words = " ".join([q, *(v for values in filters.values() for v in values)])
    ascii_words = unicodedata.normalize("NFKD", words).encode("ascii", "ignore").decode().lower()
    slug = "-".join(re.findall(r"[a-z0-9]+", ascii_words))[:60].strip("-") or ("search" if words.strip() else "all")
    return f"searchapp-{slug}-{(today or datetime.date.today()).isoformat()}.{ext}"


def _download(chunks, mimetype: str, name: str) -> Response:
    response = Response(stream_with_context(chunks), mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
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
    own = list(state().index.custom_facets())
    excel = request.args.get("excel", "") in ("1", "true", "yes")

    def rows():
        buffer = io.StringIO()
        if excel:
            buffer.write("\ufeff")
        writer = csv.writer(buffer)
        writer.writerow(CSV_COLUMNS + own)
        for hit in hits:
            data = hit_dict(hit, req.q)
            row = [
                hit.id, hit.title, hit.outlet, hit.published, hit.url, hit.score, snippets_text(hit), absolute(data["link"]),
                hit.version_count, LIST_SEPARATOR.join(hit.version_ids), LIST_SEPARATOR.join(hit.people),
                LIST_SEPARATOR.join(hit.orgs), LIST_SEPARATOR.join(hit.places),
                *(LIST_SEPARATOR.join(hit.facets.get(name, [])) for name in own),
            ]  # fmt: skip
            writer.writerow([_cell(x) for x in row])
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
        if hits.problem:
            writer.writerow([f"INCOMPLETE EXPORT: {hits.problem}"])
        yield buffer.getvalue()

    return _download(rows(), "text/csv", export_name(req.q, req.filters, "csv"))


@blueprint.route("/export.json")
def export_json():
    req = search_request(request.args, page=1)
    total, found = state().index.hits(req, state().settings.export_limit)
    hits = BoundedHits(found, total, state().settings.export_seconds)

    def chunks():
        head = {"query": req.q, "filters": req.filters, "filter_ops": {f: req.op(f) for f in req.filters}, "published": req.published or None,
                "sort": req.effective_sort, "total": total}  # fmt: skip
        yield json.dumps(head, ensure_ascii=False)[:-1] + ', "hits": ['
        for number, hit in enumerate(hits):
            data = hit_dict(hit, req.q)
            data["link"] = absolute(data["link"])
            data.update(other_version_ids=hit.version_ids, people=hit.people, organisations=hit.orgs, places=hit.places, facets=hit.facets)
            yield ("," if number else "") + "\n" + json.dumps(data, ensure_ascii=False)
        if hits.problem:  # no closing brackets: no JSON parser takes this for a whole export
            yield "\n" + json.dumps({"error": hits.problem}) + "\n"
        else:
            yield "\n]}\n"

    return _download(chunks(), "application/json", export_name(req.q, req.filters, "json"))
