"""The search side: a query and ticked facet values to one search result, read from the index alone.

``parse`` turns text into a Whoosh query (pure functions), ``limits`` bounds its cost, ``matches``
finds every matching document as a numpy mask, ``facets`` counts values under the filters,
``highlight`` picks and marks the snippets, ``timeline`` counts matches per period, ``search``
builds the one result (:func:`~searchapp.query.search.run_search`) and ``documents`` one stored
article.  Nothing here imports the tagging side: what a search needs of it (outlet names, place
hierarchy, duplicate groups) was stored in the index when the article was written.
"""

from __future__ import annotations

from ..store.schema import FACET_FIELDS
from .documents import Document, load_document
from .facets import FacetValue
from .highlight import Snippet, mark_paragraph, query_terms
from .parse import parse_query
from .search import ArticleRef, Hit, SearchIndex, SearchRequest, SearchResult, run_search

FACETS = tuple(FACET_FIELDS)

__all__ = [
    "FACETS", "ArticleRef", "Document", "FacetValue", "Hit", "SearchIndex", "SearchRequest", "SearchResult", "Snippet",
    "load_document", "mark_paragraph", "parse_query", "query_terms", "run_search",
]  # fmt: skip
