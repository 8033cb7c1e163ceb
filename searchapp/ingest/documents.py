"""Tagged articles to index documents: the one place that decides what the index holds of an article.

Besides the text and the facet values, a document carries what a search must never compute again:
the outlet's display name, each place's ancestors (``place_paths``: "Khan Sheikhoun › Idlib ›
Syria"), its near-duplicate group.  The search side reads these from the index and so never loads
the tagging side's gazetteers.
"""

from __future__ import annotations

import datetime
from pathlib import Path

from ..store.outlets import outlet_display, outlet_key
from ..store.schema import PATH_SEPARATOR
from .models import Article, TaggedArticle
from .places import place_ancestors, place_context, place_rollup


def file_key(article: Article) -> str | None:
    """The absolute path of a one-article file, so `index ./samples` and `index samples` agree."""
    return str(Path(article.source).resolve()) if article.one_per_file else None


def document_fields(tagged: TaggedArticle, content_hash: str, simhash_hex: str, dup_group: str) -> dict:
    """The Whoosh fields of one tagged article (fields of :func:`searchapp.store.schema.build_schema`)."""
    article = tagged.article
    people = tagged.names("person")
    orgs = tagged.names("org")
    places = tagged.names("place")
    rollup = place_rollup(tagged.mentions)  # "Khan Sheikhoun" also counts under Idlib and Syria
    # each place with the places it lies in, so that a search shows the hierarchy without the gazetteer
    context = place_context(set(places))  # "Madaya" beside Damascus is the Syrian town, not the Myanmar township
    paths = [PATH_SEPARATOR.join((place, *ancestors)) for place in places + rollup if (ancestors := place_ancestors(place, context))]
    doc = {
        "id": article.id,
        "source": article.source,
        "file_source": file_key(article) or "",
        "content_hash": content_hash,
        "title": article.title,
        "text": "\n".join(article.paragraphs),
        "actor": "\n".join(people + orgs),
        "place": "\n".join(places + rollup),
        "people": ",".join(people),
        "orgs": ",".join(orgs),
        "places": ",".join(places + rollup),
        "place_paths": ",".join(paths),
        "months": ",".join(sorted({d.value[:7] for d in tagged.dates if len(d.value) >= 7})),
        "mentioned": ",".join(sorted({d.value for d in tagged.dates})),
        "language": tagged.language,
        "inferred": ",".join(article.inferred),
        "paragraphs": article.paragraphs,
        "entities": tagged.entities_json(),
        "url": article.url or "",
        "simhash": simhash_hex,
        "dup_group": dup_group,
    }
    if article.outlet:
        doc["outlet"] = outlet_key(article.outlet)
        doc["outlet_name"] = outlet_display(article.outlet)
    if article.published:
        start = article.published.start()
        doc["published"] = datetime.datetime(start.year, start.month, start.day)
        doc["published_iso"] = article.published.iso()
        doc["year"] = f"{article.published.year:04d}"
    return {k: v for k, v in doc.items() if v not in ("", None) or k in ("paragraphs", "entities", "url")}
