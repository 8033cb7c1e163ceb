"""One stored article as the document page and ``/api/doc`` show it, with "more like this"."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from whoosh import classify, query
from whoosh.analysis import STOP_WORDS

from ..errors import NotFound
from ..store.internals import global_statistics, use_statistics
from .search import ArticleRef, SearchIndex, facet_values, fixed_matchers, top_documents

MAX_ID_LENGTH = 300  # an id longer than this cannot exist (the indexer allows 200)
MORE_LIKE_THIS = 5
MAX_VERSIONS_SKIPPED = 20  # versions of the article's own story asked for beyond MORE_LIKE_THIS


@dataclass
class Document:
    id: str
    title: str
    outlet: str | None
    published: str | None
    url: str | None
    language: str | None
    paragraphs: list[str]
    actors: list[dict]  # mentions: name, kind, paragraphs (0-based), spans (paragraph, start, end)
    places: list[dict]
    dates: list[dict]  # text, value, paragraph (0-based)
    inferred: list[str]
    similar: list[ArticleRef] = field(default_factory=list)
    facets: dict[str, list[str]] = field(default_factory=dict)  # the index's own facets (--facet): their values

    def spans_by_paragraph(self) -> dict[int, list[tuple[int, int, dict]]]:
        """Each paragraph's tagged spans: (start, end, mention)."""
        found: dict[int, list[tuple[int, int, dict]]] = {}
        for mention in self.actors + self.places:
            for number, start, end in mention.get("spans", ()):
                found.setdefault(number, []).append((start, end, mention))
        return found


def load_document(index: SearchIndex, doc_id: str) -> Document:
    """The stored article ``doc_id`` with the articles most like it; NotFound when there is none."""
    if len(doc_id) > MAX_ID_LENGTH:
        raise NotFound(f"no document with id {doc_id[:40]!r}…")
    with index.reading():  # a damaged file is IndexDamaged, not a traceback
        return _load(index, doc_id)


def _load(index: SearchIndex, doc_id: str) -> Document:
    for shard in index.shards:  # a sharded index: the article is in one of them (routed by its story, not its id)
        searcher = shard.searcher()
        docnum = searcher.document_number(id=doc_id)
        if docnum is not None:
            break
    else:
        raise NotFound(f"no document with id {doc_id!r}")
    stored = dict(searcher.stored_fields(docnum))
    paragraphs = list(stored.get("paragraphs") or [])
    similar = []
    if paragraphs:
        words = [w for w in re.findall(r"\w+", " ".join(paragraphs)) if w.lower() not in STOP_WORDS and len(w) > 2]
        # a story's other versions are not "like" it, they are it: asked for, then left out
        story = stored.get("dup_group") or stored["id"]
        hits = _more_like(index, searcher, docnum, " ".join(words), MORE_LIKE_THIS + MAX_VERSIONS_SKIPPED)
        similar = [ArticleRef.from_stored(hit) for hit in hits if (hit.get("dup_group") or hit["id"]) != story][:MORE_LIKE_THIS]
    entities = stored.get("entities") or {}
    mentions = entities.get("mentions", [])
    return Document(
        id=stored["id"],
        title=stored.get("title", ""),
        outlet=stored.get("outlet_name"),
        published=stored.get("published_iso"),
        url=stored.get("url") or None,
        language=stored.get("language"),
        paragraphs=paragraphs,
        actors=[m for m in mentions if m.get("kind") in ("person", "org")],
        places=[m for m in mentions if m.get("kind") == "place"],
        dates=list(entities.get("dates", [])),
        inferred=[f for f in (stored.get("inferred") or "").split(",") if f],
        similar=similar,
        facets={name: values for name, spec in index.custom_facets().items() if (values := facet_values(spec, stored.get(name)))},
    )


def _more_like(index: SearchIndex, searcher, docnum: int, text: str, top: int) -> list[dict]:
    """The stored fields of the ``top`` articles most like ``text`` (as Whoosh's ``more_like``), over every shard.

    The key terms are chosen over every shard's statistics (Whoosh's Bo1 model, as
    ``Searcher.more_like``), searched in every shard with every shard's statistics (the one index's
    own when it is not sharded) and merged by (score, id): a sharded index finds what one index finds.
    """
    expander = classify.Expander(index.reader(), "text", model=classify.Bo1Model)
    expander.add_text(text)
    terms = expander.expanded_terms(5, normalize=True)
    if not terms:
        return []
    like = fixed_matchers(query.Or([query.Term("text", word, boost=weight) for word, weight in terms]))
    stats = global_statistics(index.reader(), like.iter_all_terms())  # one index too: merge-independent field lengths
    found = []
    for shard in index.shards:
        other = shard.searcher()
        with use_statistics(other, stats):
            results = top_documents(other, like, 2 * top, restrict={docnum} if other is searcher else None)  # twice: equal scores are ordered by id
            found.extend((-results.score(i), hit["id"], dict(hit)) for i, hit in enumerate(results))
    return [stored for *_, stored in sorted(found, key=lambda item: item[:2])[:top]]
