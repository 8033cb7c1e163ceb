"""Parsing a query: the user's text to a Whoosh query, in pure functions (no index needed).

Syntax (Whoosh's parser, configured in :func:`build_parser`): words (all must match),
``"phrases"``, ``OR``, ``NOT`` and ``-word``, parentheses, ``field:value`` for title, text,
outlet, actor, place, year and date (``date:[2016-01 TO 2016-06]``, ``year:[2015 TO 2017]``),
``prefix*``; words are stemmed.  An empty query browses everything.
"""

from __future__ import annotations

import re
import threading

from whoosh import qparser, query

from ..errors import QuerySyntaxError
from ..store.schema import build_schema

SEARCH_FIELDS = ["title", "text"]
FIELD_ALIASES = {"published": ["date"], "actor": ["actors", "person", "org"], "place": ["places"], "outlet": ["source"]}


def build_parser(schema=None) -> qparser.QueryParser:
    schema = schema or build_schema()
    parser = qparser.MultifieldParser(SEARCH_FIELDS, schema, fieldboosts={"title": 2.0}, group=qparser.AndGroup)
    # "-word" excludes, but only at the start of a word: "cease-fire" and "al-Assad" are words.
    parser.add_plugin(qparser.PlusMinusPlugin(plusexpr=r"(?<![^\s(])\+", minusexpr=r"(?<![^\s(])-"))
    parser.add_plugin(qparser.GtLtPlugin())
    parser.add_plugin(qparser.FieldAliasPlugin(FIELD_ALIASES))
    return parser


_parser_lock = threading.Lock()
_parsers: dict[int, qparser.QueryParser] = {}
_ANGLE_BRACKETS = re.compile(r"[<>]")
_MARKUP_TAG = re.compile(r"</?[A-Za-z][^<>]*>")


def parse_query(text: str, schema=None) -> query.Query:
    """A Whoosh query for the user's text (Every() when empty); QuerySyntaxError if unparseable."""
    text = (text or "").strip()
    if not text:
        return query.Every()
    key = id(schema)
    with _parser_lock:
        parser = _parsers.get(key) or _parsers.setdefault(key, build_parser(schema))
    try:
        parsed = parser.parse(text)
    except Exception:  # Whoosh raises assorted internal errors on odd syntax ("<b>Idlib</b>")
        # "<" and ">" only mean something in a range ("published:>2016"): pasted markup loses its
        # tags ("<b>Idlib</b>" is Idlib), and a tag alone is its words ("<script>" is script)
        words = _ANGLE_BRACKETS.sub(" ", _MARKUP_TAG.sub(" ", text))
        if not words.strip():
            words = _ANGLE_BRACKETS.sub(" ", text)
        if words == text:
            raise QuerySyntaxError("cannot read this query: check its quotes, brackets and field: prefixes") from None
        return parse_query(words, schema)
    error = _first_error(parsed)
    if error:
        raise QuerySyntaxError(error)
    if parsed is query.NullQuery:
        raise QuerySyntaxError("the query has no searchable words")
    return _normalised(parsed)


def _normalised(node: query.Query) -> query.Query:
    """The query with what Whoosh cannot run cheaply or at all rewritten or refused.

    * ``*`` and ``title:*``/``text:*`` mean every document (every article has a title and a text):
      Whoosh's ``Every(field)`` would read the postings of every word of the field, a cost that
      grows with the whole index, so it becomes ``Every()``.  ``Every`` on another field
      (``place:*``) stays, and the expansion limit counts the words it reads.
    * A boost must be a positive number: Whoosh divides by it (``oil^0``).
    """
    boost = getattr(node, "boost", 1.0)
    if not boost > 0 or boost == float("inf"):
        raise QuerySyntaxError(f"a boost (^N) must be a positive number, got {boost:g}")
    if type(node) is query.Every and node.fieldname in SEARCH_FIELDS:
        return query.Every()
    if node.is_leaf():
        return node
    node = node.apply(_normalised)
    if isinstance(node, query.Or) and any(type(child) is query.Every and not child.fieldname for child in node.subqueries):
        return query.Every()  # "* OR ..." is every document
    return node


def _first_error(node) -> str | None:
    if getattr(node, "error", None):
        return str(node.error)
    if not node.is_leaf():
        for child in node.children():
            found = _first_error(child)
            if found:
                return found
    return None
