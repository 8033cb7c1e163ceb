"""Parsing a query: the user's text to a Whoosh query, in pure functions (no index needed).

Syntax (Whoosh's parser, configured in :func:`build_parser`): words (all must match),
``"phrases"``, ``OR``, ``NOT`` and ``-word``, parentheses, ``field:value`` for title, text,
outlet, actor, place, year and date (``date:[2016-01 TO 2016-06]``, ``year:[2015 TO 2017]``),
``prefix*``; words are stemmed.  An empty query browses everything.

The words are looked for in every language's fields (``title``/``text`` and the Arabic ``title_ar``/
``text_ar``), each field analysing them with its own analyser: ``هدنه`` becomes the Arabic stem in the
Arabic fields, "ceasefires" the English stem in the English ones.
"""

from __future__ import annotations

import re
import threading
from functools import lru_cache

from whoosh import qparser, query

from ..errors import QuerySyntaxError
from ..store.schema import UNSTEMMED, build_schema, word_analyzer

SEARCH_FIELDS = ["title", "text", "title_ar", "text_ar"]
FIELD_BOOSTS = {"title": 2.0, "title_ar": 2.0}
FIELD_ALIASES = {"published": ["date"], "actor": ["actors", "person", "org"], "place": ["places"], "outlet": ["source"]}


class _Parser(qparser.QueryParser):
    """Whoosh's parser, with the text of patterns on the searched text analysed as written (not stemmed)."""

    def term_query(self, fieldname, text, termclass, boost=1.0, tokenize=True, removestops=True):
        if termclass in (query.Prefix, query.Wildcard) and fieldname in UNSTEMMED:
            texts = [t.text for t in _word_analyzer()(text, mode="query", tokenize=False, removestops=False)]
            return termclass(fieldname, texts[0], boost=boost) if texts else None
        return super().term_query(fieldname, text, termclass, boost, tokenize, removestops)


@lru_cache(maxsize=1)
def _word_analyzer():
    return word_analyzer()


def build_parser(schema=None) -> qparser.QueryParser:
    schema = schema or build_schema()
    searched = [name for name in SEARCH_FIELDS if name in schema]  # an index made before the Arabic fields lacks them
    # what qparser.MultifieldParser does, on the subclass
    parser = _Parser(None, schema, group=qparser.AndGroup)
    parser.add_plugin(qparser.MultifieldPlugin(searched, fieldboosts=FIELD_BOOSTS))
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
    _check_fields(text, parser.schema)
    if parsed is query.NullQuery or isinstance(parsed, query.Not):
        parsed = _everything_except(parser, text, parsed)
    return unstemmed_patterns(_normalised(parsed))


def _everything_except(parser: qparser.QueryParser, text: str, parsed: query.Query) -> query.Query:
    """A query of exclusions only ("-Aleppo", "NOT Aleppo") means every article except those."""
    if isinstance(parsed, query.Not):
        return query.AndNot(query.Every(), parsed.query)
    widened = parser.parse(_EVERY + text)
    if isinstance(widened, query.AndNot):
        return query.AndNot(query.Every(), _shifted(widened.b, -len(_EVERY)))
    raise QuerySyntaxError("the query has no searchable words")


_EVERY = "* "


def _shifted(node: query.Query, by: int) -> query.Query:
    """``node`` with its words' character offsets moved by ``by``: the offsets of ``"* " + text`` made
    the typed text's again (names are looked up by the offsets: "-1" pointed past its end)."""
    for leaf in node.leaves() if not node.is_leaf() else [node]:
        if getattr(leaf, "startchar", None) is not None:
            leaf.startchar += by
        if getattr(leaf, "endchar", None) is not None:
            leaf.endchar += by
    return node


_FIELD_PREFIX = re.compile(r'(?<![\w"])([A-Za-z_][\w-]*):(?=[^\s/])')
_QUOTED = re.compile(r'"[^"]*"')
FILTER_ONLY = {"month": "Months mentioned", "mentioned": "Months mentioned", "language": "Language"}


def _check_fields(text: str, schema) -> None:
    """An unknown ``name:`` is an error naming the fields there are, not a silent search for two words."""
    known = set(schema.names()) | {a for aliases in FIELD_ALIASES.values() for a in aliases}
    for name in _FIELD_PREFIX.findall(_QUOTED.sub(" ", text)):
        if name in known or name.lower() in ("http", "https"):
            continue
        fields = "title, text, outlet, actor, place, year, date"
        if name.lower() in FILTER_ONLY:
            raise QuerySyntaxError(
                f"{name}: is a filter, not a query field: tick it in the {FILTER_ONLY[name.lower()]} facet "
                f"(or add {name.lower()}=VALUE to the URL, --{name.lower()} VALUE on the command line); query fields are {fields}"
            )
        raise QuerySyntaxError(f"unknown field {name!r}: the query fields are {fields} (put the word in quotes to search {name}: as text)")


_LOWER_OPERATOR = re.compile(r"(?<=\S)\s+(or|and|not)\s+(?=\S)")


def query_hints(text: str) -> list[str]:
    """What the query may not mean as typed: lower-case and/or/not are searched as words."""
    hints = []
    for word in dict.fromkeys(m.group(1) for m in _LOWER_OPERATOR.finditer(_QUOTED.sub(" ", text or ""))):
        hints.append(f"“{word}” was searched as a word; write {word.upper()} to combine the words around it")
    return hints


def unstemmed_patterns(node: query.Query) -> query.Query:
    """Prefixes and wildcards of the searched text matched against the words as written instead.

    ``negotiat*`` over stems misses "negotiations" (stem "negoti"); over the ``words`` field (title
    and text as written) it finds every word that starts so.  The parser asks for an unfielded
    pattern in title and text: the pair becomes one clause on ``words``.  A pattern given with
    ``title:`` stays on the title's own words.
    """
    if isinstance(node, (query.Prefix, query.Wildcard)) and node.fieldname in UNSTEMMED:
        return type(node)(UNSTEMMED[node.fieldname], node.text, boost=1.0)
    if node.is_leaf():
        return node
    if isinstance(node, query.Or):
        # the parser writes an unfielded pattern as title:p OR text:p (then the Arabic fields'), in a row,
        # even when it flattens "a* OR b*" into one Or
        subqueries, merged, index = node.subqueries, [], 0
        while index < len(subqueries):
            here, after = subqueries[index], subqueries[index + 1] if index + 1 < len(subqueries) else None
            if (
                isinstance(here, (query.Prefix, query.Wildcard)) and here.fieldname == "title"
                and type(after) is type(here) and after.fieldname == "text"
            ):  # fmt: skip
                merged.append(type(after)(UNSTEMMED["text"], after.text))
                index += 2
                continue
            merged.append(unstemmed_patterns(here))
            index += 1
        return merged[0] if len(merged) == 1 else query.Or(merged)
    return node.apply(unstemmed_patterns)


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
