"""The Whoosh schema: one document per article, declared once.

Three families of fields:

* **searched text**: ``title`` and ``text`` (all paragraphs), analysed with a stemming analyser
  that folds accents and keeps stop words (so "cessation of hostilities" matches as a phrase);
  an Arabic article's title and text go to ``title_ar`` and ``text_ar`` instead, analysed by
  :func:`searchapp.store.arabic.arabic_analyzer` (each language's text only through its own analyser;
  :data:`TEXT_FIELDS` says which fields hold which language);
  ``actor`` and ``place`` hold the entity names as text, for ``actor:putin`` in a query.
* **facets**: ``outlet`` (a normalised key, see :mod:`searchapp.store.outlets`), ``year``, ``people``,
  ``orgs``, ``places``, ``months`` (months of the dates mentioned) and ``mentioned`` (the dates
  themselves).  Their terms are the exact values a facet shows and a filter selects.
* **stored only**: what a result page shows without re-reading the source: the paragraphs (the
  text is stored once, as paragraphs, so ``#p<N>`` addresses one), the entities with their
  paragraph numbers, the published date at its precision, the URL, and which fields were inferred.

``id`` and ``content_hash`` are columns, so the indexer reads every id and hash of a large index
in one pass to skip unchanged articles.
"""

from __future__ import annotations

import json
import re

from whoosh import analysis, columns, fields, formats
from whoosh.support.charset import accent_map

from .arabic import arabic_analyzer
from .outlets import outlet_key


class OutletKeyFilter(analysis.Filter):
    """Turns an outlet name into its facet key, at index and at query time alike."""

    def __call__(self, tokens):
        for token in tokens:
            token.text = outlet_key(token.text)
            if token.text:
                yield token


PATH_SEPARATOR = " › "  # between a place and its ancestors in the place_paths field

HYPHENS = "\\-\u2010\u2011"  # a regex character-class body: ASCII hyphen (escaped), U+2010, U+2011
WORD_PATTERN = r"[\w\*]+(?:[." + HYPHENS + r"]?[\w\*]+)*"  # Whoosh's default, hyphens kept in words


_HYPHEN = re.compile(f"[{HYPHENS}]")


class HyphenFilter(analysis.Filter):
    """"cease-fire" is also "ceasefire": index both the parts and the joined word.

    A query word is joined ("cease-fire" and "ceasefire" both ask for "ceasefire"), so either
    spelling finds the other, and "cease fire" still finds "cease-fire" through its parts.
    Positions after a split word are shifted so phrases keep working.
    """

    def __call__(self, tokens):
        shift = 0
        for token in tokens:
            if token.positions:
                token.pos += shift
            if not _HYPHEN.search(token.text):
                yield token
                continue
            text = token.text
            parts = [p for p in _HYPHEN.split(text) if p]
            if token.mode == "query" or len(parts) < 2:
                token.text = "".join(parts)
                yield token
                continue
            start_char = token.startchar if token.chars else 0
            base = token.pos if token.positions else 0
            offset = 0
            for number, part in enumerate(parts):
                offset = text.index(part, offset)
                token.text = part
                if token.positions:
                    token.pos = base + number
                if token.chars:
                    token.startchar, token.endchar = start_char + offset, start_char + offset + len(part)
                offset += len(part)
                yield token
            token.text = "".join(parts)
            if token.positions:
                token.pos = base + len(parts) - 1
            if token.chars:
                token.startchar, token.endchar = start_char, start_char + len(text)
            yield token
            shift += len(parts) - 1


def text_analyzer() -> analysis.Analyzer:
    """Words lower-cased, accents folded (before stemming, so "Erdoğan" finds "Erdogan"), stemmed."""
    return (
        analysis.RegexTokenizer(WORD_PATTERN)
        | HyphenFilter()
        | analysis.LowercaseFilter()
        | analysis.CharsetFilter(accent_map)
        | analysis.StemFilter(cachesize=100_000)
    )


def word_analyzer() -> analysis.Analyzer:
    """Words as written (lower-cased, accents folded, hyphenated words also joined), not stemmed.

    For prefixes and wildcards: ``negotiat*`` must find every word that starts so ("negotiations",
    "negotiating"), which stems ("negoti") do not all do.
    """
    return analysis.RegexTokenizer(WORD_PATTERN) | HyphenFilter() | analysis.LowercaseFilter() | analysis.CharsetFilter(accent_map)


def name_analyzer() -> analysis.Analyzer:
    """Names: words lower-cased and accent-folded, not stemmed."""
    return analysis.RegexTokenizer() | analysis.LowercaseFilter() | analysis.CharsetFilter(accent_map)


def keyword() -> fields.KEYWORD:
    """An exact, case-preserving, comma-separated facet field."""
    return fields.KEYWORD(commas=True, lowercase=False, scorable=False)


def build_schema() -> fields.Schema:
    return fields.Schema(
        id=fields.ID(unique=True, stored=True, sortable=True),
        source=fields.ID(stored=True),
        file_source=fields.ID(sortable=True),  # set for one-article files: a changed file replaces its old id
        content_hash=fields.ID(stored=True, sortable=True),
        # near-duplicates (searchapp.ingest.dedupe): the MinHash LSH band keys (a column only: 80 bytes
        # an article, never searched), and the story's group
        dup_bands=fields.COLUMN(columns.VarBytesColumn()),
        dup_group=fields.ID(stored=True, sortable=True),
        # what a list of a story's other versions shows of an article (article_ref), a column: read
        # without unpacking its stored fields, a block of several whole articles
        ref=fields.COLUMN(columns.VarBytesColumn()),
        # searched text
        title=fields.TEXT(analyzer=text_analyzer(), stored=True, field_boost=2.0),
        text=fields.TEXT(analyzer=text_analyzer(), phrase=True),
        # title and text as written, for prefixes and wildcards: which articles hold a word, nothing more
        # (no positions, no frequencies: a pattern is never a phrase and adds nothing to the ranking)
        words=fields.FieldType(formats.Existence(), word_analyzer(), scorable=False),
        # an Arabic article's title and text (its title is still stored under "title", for display)
        title_ar=fields.TEXT(analyzer=arabic_analyzer(), field_boost=2.0),
        text_ar=fields.TEXT(analyzer=arabic_analyzer(), phrase=True),
        actor=fields.TEXT(analyzer=name_analyzer(), phrase=True),
        # the spelling keys (searchapp.store.names.spelling_key) of every name and known spelling of the
        # tagged entities: a query word or phrase that is one also finds the articles naming the entity
        name_keys=fields.KEYWORD(lowercase=False, scorable=True),
        place=fields.TEXT(analyzer=name_analyzer(), phrase=True),
        # facets and filters
        outlet=fields.ID(stored=True, analyzer=analysis.IDTokenizer() | OutletKeyFilter()),
        year=fields.ID(stored=True),
        published=fields.DATETIME(sortable=True),
        people=keyword(),
        orgs=keyword(),
        places=keyword(),
        place_paths=keyword(),  # "Khan Sheikhoun › Idlib › Syria": each place with its ancestors, for the facet
        months=keyword(),
        mentioned=keyword(),
        language=fields.ID(stored=True),
        inferred=fields.KEYWORD(stored=True, commas=True),
        # stored for display
        outlet_name=fields.STORED,
        language_name=fields.STORED,  # "Arabic" for "ar": the language facet's label
        published_iso=fields.STORED,
        url=fields.STORED,
        paragraphs=fields.STORED,
        entities=fields.STORED,
        furniture=fields.STORED,  # (paragraph, start, end) of the page furniture: never a snippet's reason
    )


def article_ref(article_id: str, title: str, outlet_name: str | None, published_iso: str | None) -> bytes:
    """The ``ref`` column's value: (id, title, outlet, published) as JSON."""
    return json.dumps([article_id, title, outlet_name, published_iso], ensure_ascii=False).encode("utf-8")


def read_article_ref(value: bytes) -> tuple[str, str, str | None, str | None] | None:
    """(id, title, outlet, published) from a ``ref`` column value; None for an article written without one."""
    if not value:
        return None
    article_id, title, outlet_name, published_iso = json.loads(value)
    return article_id, title, outlet_name, published_iso


# Fields newer than the first index format: an older index opens without them (the feature they
# serve is off) and gets them at its next indexing run.
ADDED_LATER = {
    name: build_schema()[name] for name in ("dup_bands", "dup_group", "place_paths", "words", "title_ar", "text_ar", "language_name", "name_keys", "furniture", "ref")
}
# Prefixes and wildcards on the searched text are matched against the words as written.
UNSTEMMED = {"text": "words"}

ARABIC = "ar"
TEXT_FIELDS = {
    # language of the article -> (title field, text field) holding its words; any other language: "default"
    ARABIC: ("title_ar", "text_ar"),
    "default": ("title", "text"),
}


def text_fields(language: str | None) -> tuple[str, str]:
    """The (title, text) fields an article in ``language`` is indexed in."""
    return TEXT_FIELDS.get(language or "", TEXT_FIELDS["default"])


def language_analyzer(language: str | None) -> analysis.Analyzer:
    """The analyser of an article's text in ``language`` (what highlighting must run it through)."""
    return arabic_analyzer() if language == ARABIC else text_analyzer()

FACET_FIELDS = {
    # facet name -> index fields whose terms are its values
    "outlet": ("outlet",),
    "year": ("year",),
    "actor": ("people", "orgs"),
    "place": ("places",),
    "month": ("months",),
    "language": ("language",),
}
