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
from ..store.names import spelling_key
from ..store.outlets import outlet_display, outlet_key, resolve_outlet
from ..store.schema import PATH_SEPARATOR, article_ref, text_fields
from .entities import Aliases
from .furniture import furniture_spans
from .gazetteer import place_spellings_by_name
from .models import Article, Mention, PartialDate, TaggedArticle
from .places import place_ancestors, place_context, place_rollup
from .readers.common import language_name


def file_key(article: Article) -> str | None:
    """The absolute path of a one-article file, so `index ./samples` and `index samples` agree."""
    return str(Path(article.source).resolve()) if article.one_per_file else None


MAX_KEY_REPEATS = 5  # an entity mentioned more often than this weighs no more in the ranking


def mention_spellings(mention: Mention, paragraphs: list[str], aliases: Aliases | None) -> set[str]:
    """Every spelling a search may use for a tagged entity: what a search for any of them also finds.

    Its name, the aliases' variants of it ("Daesh", "ISIS" of Islamic State; the user's aliases file
    included), the GeoNames alternate names of a Syrian place ("Dayr az Zawr"), a person's surname
    ("Assad" of Bashar al-Assad) and the capitalised spellings this article itself uses ("al-Asad";
    not "the regime", the words of a rule-made actor's mention).  The query
    side compares them by :func:`searchapp.store.names.spelling_key`, so transliterations of any of
    them match too ("Idleb", "Deir Ezzor").
    """
    spellings = {mention.name}
    if aliases is not None:
        spellings.update(aliases_by_name(aliases).get(mention.name, ()))
    if mention.kind == "place":
        spellings.update(place_spellings_by_name().get(mention.name, ()))
    if mention.kind == "person" and len(words := mention.name.split()) > 1 and len(words[-1]) > 3:
        spellings.add(words[-1].split("-")[-1])  # "al-Assad" -> "Assad"
    for number, start, end in mention.spans:
        if number < len(paragraphs) and 0 <= start < end <= len(paragraphs[number]):
            written = paragraphs[number][start:end]
            if any(c.isupper() for c in written):  # a name; "the regime" (a rule-made actor's mention) is words
                spellings.add(written)
    return spellings


_ALIASES_BY_NAME: dict[str, tuple[int, dict[str, list[str]]]] = {}


def aliases_by_name(aliases: Aliases) -> dict[str, list[str]]:
    """The aliases' variants of each display name (built once per aliases table)."""
    cached = _ALIASES_BY_NAME.get(aliases.digest)
    if cached is None or cached[0] != len(aliases.variants):
        table: dict[str, list[str]] = {}
        for variant, display in aliases.variants.items():
            table.setdefault(display, []).append(variant)
        cached = _ALIASES_BY_NAME[aliases.digest] = (len(aliases.variants), table)
    return cached[1]


def name_fields(tagged: TaggedArticle, aliases: Aliases | None) -> tuple[str, dict]:
    """The ``name_keys`` field (every spelling key of every tagged entity) and the entities with their keys.

    Each mention of the stored entities gets ``keys``: the search side marks the mentions of an
    entity found by another spelling ("Assad" for the query "Asad") without the aliases.
    """
    paragraphs = tagged.article.paragraphs
    entities = tagged.entities_json()
    counts: dict[str, int] = {}
    for mention, stored in zip(tagged.mentions, entities["mentions"], strict=True):
        keys = sorted({key for spelling in mention_spellings(mention, paragraphs, aliases) if (key := spelling_key(spelling))})
        stored["keys"] = keys
        if mention.facet:
            for key in keys:  # as often as the entity is mentioned (up to a cap): a name's weight in the ranking
                counts[key] = max(counts.get(key, 0), min(MAX_KEY_REPEATS, len(mention.spans) or 1))
    return " ".join(key for key, count in counts.items() for _ in range(count)), entities


def furniture_field(paragraphs: list[str]) -> list[tuple[int, int, int]]:
    """(paragraph, start, end) of the page furniture of an article: the search leaves it out of snippets."""
    return [(number, start, end) for number, text in enumerate(paragraphs) for start, end in furniture_spans(text)]


ENTITY_FIELDS = ("actor", "place", "people", "orgs", "places", "place_paths", "name_keys", "entities")  # what entity_fields() sets


def entity_fields(tagged: TaggedArticle, aliases: Aliases | None) -> dict:
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
    name_keys, entities = name_fields(tagged, aliases)
    return {
        "actor": "\n".join(people + orgs),
        "place": "\n".join(places + rollup),
        "people": ",".join(people),
        "orgs": ",".join(orgs),
        "places": ",".join(places + rollup),
        "place_paths": ",".join(paths),
        "name_keys": name_keys,
        "entities": entities,
    }


def document_fields(
    tagged: TaggedArticle,
    content_hash: str,
    dup_bands: bytes,
    dup_group: str,
    facets: dict[str, FacetSpec] | None = None,
    aliases: Aliases | None = None,
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
        **entity_fields(tagged, aliases),
        "months": ",".join(sorted({d.value[:7] for d in tagged.dates if len(d.value) >= 7})),
        "mentioned": ",".join(sorted({d.value for d in tagged.dates})),
        "language": tagged.language,
        "language_name": language_name(tagged.language),
        "inferred": ",".join(article.inferred),
        "paragraphs": article.paragraphs,
        "furniture": furniture_field(article.paragraphs),
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
    doc["ref"] = article_ref(article.id, article.title, doc.get("outlet_name"), doc.get("published_iso"))
    return {k: v for k, v in doc.items() if v not in ("", None) or k in ("paragraphs", "entities", "url", "furniture") or (k == "title" and "_stored_title" in doc)}
