"""Bounds on what one search may cost: checked once per search, before it runs.

Each limit is a setting (:class:`searchapp.config.Settings`, ``SEARCHAPP_MAX_*``); past one, the search is
refused with a message naming the limit, which the web turns into a 400 and the CLI into a usage
error (exit 2).  The checks are pure functions of the parsed query, an index reader and the
request, called from one place, :func:`searchapp.query.search.run_search`:

* ``MAX_QUERY_LENGTH`` (1000): characters in the query;
* ``MAX_QUERY_TERMS`` (64): distinct words, phrases and field clauses in the query;
* ``MAX_EXPANSION`` (1000): index terms that the query's wildcards (``a*``, ``*a``, ``te?t``),
  term ranges (``title:[a TO z]``) and any other expanding term may match, all together;
* ``MAX_WILDCARDS`` (8): distinct wildcard, prefix and range clauses (each one scans the index's
  words, a leading ``*`` all of them, even when it matches nothing);
* ``MAX_PAGE`` (1000): deepest result page.

The entity keys a query's names add (:mod:`searchapp.query.names`) count against ``MAX_EXPANSION``
with the wildcards, and number at most ``MAX_QUERY_TERMS`` (:func:`name_budget`).

Fuzzy search (``word~``) is not part of the query syntax: ``~`` is dropped like other punctuation,
so ``word~`` searches ``word``.  Exports are bounded separately by ``EXPORT_LIMIT``.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import islice

from whoosh import query

from ..config import Settings
from ..store.schema import TEXT_FIELDS

ARABIC_FIELDS = TEXT_FIELDS["ar"]


@dataclass(frozen=True)
class Limits:
    """The bounds in force for one index (from :class:`~searchapp.config.Settings`; defaults are the settings')."""

    max_query_length: int = Settings.max_query_length
    max_query_terms: int = Settings.max_query_terms
    max_expansion: int = Settings.max_expansion
    max_page: int = Settings.max_page
    max_wildcards: int = Settings.max_wildcards

    @classmethod
    def from_settings(cls, settings: Settings) -> Limits:
        return cls(
            settings.max_query_length, settings.max_query_terms, settings.max_expansion, settings.max_page, settings.max_wildcards
        )


def query_clauses(parsed: query.Query) -> set[tuple]:
    """The distinct clauses of a query: one per word, phrase or field clause, whatever the fields.

    The parser searches every word in title and text and in the Arabic title_ar and text_ar, where
    it is analysed differently ("ceasefir" and "ceasefire"): a word counts once, as the larger of
    the two families' clause sets.
    """
    arabic: set[tuple] = set()
    other: set[tuple] = set()
    for leaf in _leaves(parsed):
        (arabic if getattr(leaf, "fieldname", None) in ARABIC_FIELDS else other).add(_clause_key(leaf))
    return other if len(other) >= len(arabic) else arabic


def expanding_clauses(parsed: query.Query) -> list[query.Query]:
    """The distinct wildcard, prefix and range (and any other expanding) leaves of a query, per field.

    ``field:*`` (an ``Every`` on one field) is one too: Whoosh reads every word of that field.
    """
    found: dict[str, query.Query] = {}
    for leaf in _leaves(parsed):
        if isinstance(leaf, query.MultiTerm) or (isinstance(leaf, query.Every) and leaf.fieldname):
            found.setdefault(repr(leaf.with_boost(1.0)), leaf)
    return list(found.values())


def expansion_count(parsed: query.Query, reader, stop_after: int) -> int:
    """How many index terms the expanding parts of a query match (counting stops past ``stop_after``)."""
    total = 0
    for leaf in expanding_clauses(parsed):
        if isinstance(leaf, query.Every):
            terms = reader.lexicon(leaf.fieldname) if leaf.fieldname in reader.schema else iter(())
        else:
            terms = leaf.expanded_terms(reader)
        total += sum(1 for _ in islice(terms, stop_after + 1 - total))
        if total > stop_after:
            break
    return total


def _clause_key(leaf: query.Query) -> tuple:
    if isinstance(leaf, query.Phrase):
        return ("phrase", tuple(leaf.words))
    if hasattr(leaf, "text"):
        return (type(leaf).__name__, leaf.text)
    return (type(leaf).__name__, repr(leaf.with_boost(1.0)).replace(repr(getattr(leaf, "fieldname", "")), ""))


def check_search(parsed: query.Query, reader, request, limits: Limits) -> str | None:
    """Why this search may not run (a message naming the limit), or None when it may."""
    if len(request.q) > limits.max_query_length:
        return f"q: the query is {len(request.q)} characters long; the limit is {limits.max_query_length}"
    if request.page > limits.max_page:
        return f"page: {request.page} is deeper than the last page served, {limits.max_page}"
    clauses = len(query_clauses(parsed))
    if clauses > limits.max_query_terms:
        return f"q: the query has {clauses} words and clauses; the limit is {limits.max_query_terms}"
    wildcards = len({_clause_key(leaf) for leaf in expanding_clauses(parsed)})
    if wildcards > limits.max_wildcards:
        return f"q: the query has {wildcards} wildcard, prefix and range clauses; the limit is {limits.max_wildcards}"
    expanded = expansion_count(parsed, reader, limits.max_expansion)
    if expanded > limits.max_expansion:
        return (
            f"q: the wildcards and ranges of this query match more than {limits.max_expansion} "
            f"different words; make them longer or narrower (e.g. 'ceasef*' rather than 'c*')"
        )
    return None


def name_budget(parsed: query.Query, reader, limits: Limits) -> int:
    """How many entity keys the names of a query may add (:mod:`searchapp.query.names`).

    Each key is one more term read, so the keys share the expansion limit with the query's
    wildcards and ranges, and a query may not gain more of them than it may have words.
    """
    used = expansion_count(parsed, reader, limits.max_expansion) if expanding_clauses(parsed) else 0
    return max(0, min(limits.max_query_terms, limits.max_expansion - used))


def _leaves(node: query.Query):
    if node.is_leaf():
        yield node
        return
    for child in node.children():
        yield from _leaves(child)
