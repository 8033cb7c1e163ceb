"""The JSON API: ``/api/search`` (the shape of ``searchapp search --json``) and ``/api/doc/<id>``."""

from __future__ import annotations

from flask import Blueprint, jsonify, request

from ..query import load_document
from .helpers import search_request, state
from .render import document_dict, result_dict

blueprint = Blueprint("api", __name__, url_prefix="/api")


@blueprint.route("/search")
def search():
    return jsonify(result_dict(state().index.search(search_request(request.args))))


@blueprint.route("/doc/<path:doc_id>")
def doc(doc_id: str):
    return jsonify(document_dict(load_document(state().index, doc_id)))
