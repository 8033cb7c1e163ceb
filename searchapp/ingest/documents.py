"""Tagged articles to index documents: the one place that decides what the index holds of an article.

Besides the text and the facet values, a document carries what a search must never compute again:
the outlet's display name, each place's ancestors (``place_paths``: "Khan Sheikhoun › Idlib ›
Syria"), its near-duplicate group.  The search side reads these from the index and so never loads
the tagging side's gazetteers.
"""

from __future__ import annotations

import datetime
from pathlib import Path

from ..store.custom import VALUE_SEPARATOR, FacetSpec
from ..store.outlets import outlet_display, outlet_key, resolve_outlet
from ..store.schema import PATH_SEPARATOR, text_fields
from .models import Article, PartialDate, TaggedArticle
from .places import place_ancestors, place_context, place_rollup
from .readers.common import language_name


def file_key(article: Article) -> str | None:
    """The absolute path of a one-article file, so `index ./samples` and `index samples` agree."""
    return str(Path(article.source).resolve()) if article.one_per_file else None


ENTITY_FIELDS = ("actor", "place", "people", "orgs", "places", "place_paths")  # what entity_fields() sets


def entity_fields(tagged: TaggedArticle) -> dict[str, str]:
    """The index fields an article's entities make (:data:`ENTITY_FIELDS`), "" for none.

    Shared by indexing and by re-applying aliases to an indexed article (:mod:`.curate`), so that
    both write the same fields the same way.
    """
    people = tagged.names("person")
    orgs = tagged.names("org")
    places = tagged.names("place")
    rollup = place_rollup(tagged.mentions)  # "Khan Sheikhoun" also counts under Idlib and Syria
    # each place with the places it lies in, so that a search shows the hierarchy without the gazetteer
    context = place_context(set(places))  # "Madaya" beside Damascus is the Syrian town, not the Myanmar township
    paths = [PATH_SEPARATOR.join((place, *ancestors)) for place in places + rollup if (ancestors := place_ancestors(place, context))]
    return {
        "actor": "\n".join(people + orgs),
        "place": "\n".join(places + rollup),
        "people": ",".join(people),
        "orgs": ",".join(orgs),
        "places": ",".join(places + rollup),
        "place_paths": ",".join(paths),
    }


def document_fields(
    tagged: TaggedArticle, content_hash: str, dup_bands: bytes, dup_group: str, facets: dict[str, FacetSpec] | None = None
) -> dict:
    """The Whoosh fields of one tagged article (fields of :func:`searchapp.store.schema.build_schema`, and custom facets)."""
    article = tagged.article
    title_field, text_field = text_fields(tagged.language)  # each language through its own analyser only
    doc = {
        "id": article.id,
        "source": article.source,
        "file_source": file_key(article) or "",
        "content_hash": content_hash,
        title_field: article.title,
        text_field: "\n".join(article.paragraphs),
        "words": article.title + "\n" + "\n".join(article.paragraphs),
        **entity_fields(tagged),
        "months": ",".join(sorted({d.value[:7] for d in tagged.dates if len(d.value) >= 7})),
        "mentioned": ",".join(sorted({d.value for d in tagged.dates})),
        "language": tagged.language,
        "language_name": language_name(tagged.language),
        "inferred": ",".join(article.inferred),
        "paragraphs": article.paragraphs,
        "entities": tagged.entities_json(),
        "url": article.url or "",
        "dup_bands": dup_bands,
        "dup_group": dup_group,
    }
    if title_field != "title" and article.title:  # shown from "title" whatever the language, indexed there only in English
        doc["title"] = ""
        doc["_stored_title"] = article.title
    outlet = resolve_outlet(article.outlet, article.url)  # "BBC" at bbc.co.uk/arabic is BBC Arabic
    if outlet:
        doc["outlet"] = outlet_key(outlet)
        doc["outlet_name"] = outlet_display(outlet)
    for name, values in article.facets.items():
        spec = (facets or {}).get(name)
        if spec is None or not values:
            continue
        if spec.kind == "number":
            doc[name] = float(values[0])  # a number facet holds one value per article
        elif spec.kind == "date":
            day = PartialDate.from_iso(values[0]).start()
            doc[name] = datetime.datetime(day.year, day.month, day.day)
        else:
            doc[name] = VALUE_SEPARATOR.join(values)
    if article.published:
        start = article.published.start()
        doc["published"] = datetime.datetime(start.year, start.month, start.day)
        doc["published_iso"] = article.published.iso()
        doc["year"] = f"{article.published.year:04d}"
    return {k: v for k, v in doc.items() if v not in ("", None) or k in ("paragraphs", "entities", "url") or (k == "title" and "_stored_title" in doc)}
