"""Highlighting: the best paragraphs of a hit, HTML-escaped, with the query's terms in <mark>.

Each paragraph is run through the same analyser as the indexed text, so a query for "ceasefires"
marks "ceasefire" and "Erdogan" marks "Erdoğan".  A paragraph scores by how many distinct query
terms it holds, then by how many matches, then by position; the best ones are the snippets, best
first, each with its paragraph number for the ``#p<N>`` link.  Long paragraphs are cut to a window around the
first match.  Text is escaped before any markup is added, so nothing in an article can inject HTML.

An article is indexed in its language's fields only (:func:`searchapp.store.schema.text_fields`), so
its paragraphs are analysed with that language's analyser and marked with the query's terms of those
fields: an Arabic article's ``الهدنة`` is marked for the query ``هدنه``.  Terms of the Arabic fields
are kept as ``("ar", term)`` in the set :func:`query_terms` returns.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from markupsafe import Markup, escape

from ..store.arabic import normalize_arabic
from ..store.schema import ARABIC, TEXT_FIELDS, language_analyzer

MAX_SNIPPET_CHARS = 420
HIGHLIGHT_FIELDS = (*TEXT_FIELDS["default"], "words")
ARABIC_FIELDS = TEXT_FIELDS[ARABIC]


@dataclass(frozen=True)
class Snippet:
    paragraph: int  # 0-based; shown and linked as #p<N+1>
    html: Markup

    def text(self, marks: tuple[str, str] = ("", "")) -> str:
        """The snippet as plain text, each match between ``marks`` (the CLI shows ``[brackets]``)."""
        return Markup(str(self.html).replace("<mark>", marks[0]).replace("</mark>", marks[1])).unescape()


@lru_cache(maxsize=4)
def analyzer(language: str | None = None):
    """The analyser of an article's text in ``language`` (built once: its stemmer keeps a cache)."""
    return language_analyzer(ARABIC if language == ARABIC else None)


def terms_for(terms: frozenset, language: str | None) -> frozenset:
    """The query terms that apply to an article in ``language`` (those of the fields it is indexed in)."""
    if language == ARABIC:
        return frozenset(t[1] for t in terms if isinstance(t, tuple) and t[0] == ARABIC)
    return frozenset(t for t in terms if not (isinstance(t, tuple) and t[0] == ARABIC))


def query_terms(query) -> frozenset:
    """What a query asks for in the text (negated parts excluded), as analysed words.

    Elements are a word (``"ceasefir"``), a prefix (``("*", "negotiat")``) or a phrase
    (``("phrase", ("cessat", "of", "hostil"))``), marked only where its words stand in a row.
    """
    from whoosh import query as q

    words: set[str] = set()

    def walk(node) -> None:
        if isinstance(node, q.Not):
            return
        if isinstance(node, q.AndNot):
            walk(node.a)
            return
        if node.is_leaf():
            field = getattr(node, "fieldname", None)
            if field in HIGHLIGHT_FIELDS or field in ARABIC_FIELDS:
                term = None
                if isinstance(node, q.Phrase):
                    term = ("phrase", tuple(node.words))
                elif isinstance(node, (q.Prefix, q.Wildcard)):
                    term = ("*", node.text)
                elif hasattr(node, "text"):
                    term = node.text
                if term is not None:
                    words.add((ARABIC, term) if field in ARABIC_FIELDS else term)
            return
        for child in node.children():
            walk(child)

    walk(query)
    return frozenset(words)


def _matches(paragraph: str, terms: frozenset, language: str | None = None) -> list[tuple[int, int, str]]:
    """(start, end, term) of every match of ``terms`` in ``paragraph`` (in ``language``), in text order."""
    patterns = [_pattern(t[1]) for t in terms if isinstance(t, tuple) and t[0] == "*"]
    phrases = [t[1] for t in terms if isinstance(t, tuple) and t[0] == "phrase"]
    tokens = [(t.pos, t.startchar, t.endchar, t.text) for t in analyzer(language)(paragraph, positions=True, chars=True, mode="index")]
    fold = _fold_table()
    found = [
        (start, end, text)
        for _, start, end, text in tokens
        if text in terms or (patterns and any(p.fullmatch(paragraph[start:end].lower().translate(fold)) for p in patterns))
    ]
    if phrases:
        at = {}
        for pos, start, end, text in tokens:
            at.setdefault((pos, text), (start, end))
        for words in phrases:
            for pos, start, _, text in tokens:
                if text == words[0] and all((pos + i, w) in at for i, w in enumerate(words)):
                    found.append((start, at[(pos + len(words) - 1, words[-1])][1], " ".join(words)))
        found.sort()
    return found


def _pattern(text: str) -> re.Pattern:
    """A prefix (``negotiat``) or wildcard (``te?t``, ``*fire``) as a regex over a word as written."""
    text = text.lower()
    body = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in text)
    return re.compile(body if "*" in text or "?" in text else body + ".*")


def mark(text: str, spans: list[tuple[int, int, str]]) -> Markup:
    """``text`` escaped, with each (start, end) span wrapped in <mark>."""
    out = []
    position = 0
    for start, end, _ in spans:
        if start < position:
            continue
        out.append(escape(text[position:start]))
        out.append(Markup("<mark>") + escape(text[start:end]) + Markup("</mark>"))
        position = end
    out.append(escape(text[position:]))
    return Markup("").join(out)


def _window(paragraph: str, spans: list[tuple[int, int, str]], limit: int) -> tuple[str, list[tuple[int, int, str]]]:
    if len(paragraph) <= limit:
        return paragraph, spans
    first = spans[0][0] if spans else 0
    start = max(0, first - limit // 3)
    if start:
        space = paragraph.find(" ", start)
        start = space + 1 if 0 <= space < first else start
    end = min(len(paragraph), start + limit)
    space = paragraph.rfind(" ", start, end)
    if end < len(paragraph) and space > start + limit // 2:
        end = space
    prefix = "… " if start else ""
    suffix = " …" if end < len(paragraph) else ""
    shift = len(prefix) - start
    kept = [(s + shift, e + shift, t) for s, e, t in spans if s >= start and e <= end]
    return prefix + paragraph[start:end] + suffix, kept


def _probes(terms: frozenset) -> list[str]:
    """Substrings that any paragraph matching ``terms`` must contain once lower-cased and folded.

    A Porter stem is a prefix of its word but for a changed last letter ("studi" for "study"),
    so the stem less one letter is a safe probe.  Paragraphs without any probe are not analysed.
    """
    probes = []
    for term in terms:
        if isinstance(term, tuple) and term[0] == "phrase":
            text = max(term[1], key=len)
        elif isinstance(term, tuple):  # a pattern: its longest run of letters is in any word it matches
            probes.append(max(re.split(r"[*?]", term[1].lower()), key=len))
            continue
        else:
            text = term
        probes.append(text[: max(1, len(text) - 1)] if len(text) > 3 else text)
    return probes


@lru_cache(maxsize=1)
def _fold_table() -> dict[int, str]:
    from whoosh.support.charset import accent_map

    table = dict(accent_map)
    table.update({ord(h): "" for h in "-\u2010\u2011"})  # "cease-fire" holds the probe of "ceasefire"
    return table


def best_paragraphs(paragraphs: list[str], terms: frozenset, limit: int = 2, language: str | None = None) -> list[Snippet]:
    """Up to ``limit`` paragraphs of an article in ``language`` that match the query best, best first, highlighted."""
    scored = []
    terms = terms_for(terms, language)
    probes = _probes(terms)
    fold = _fold_table()
    arabic = language == ARABIC
    for number, paragraph in enumerate(paragraphs):
        if not terms:
            break
        # an Arabic stem is a substring of the normalised text once its proclitics are gone
        folded = normalize_arabic(paragraph.lower()) if arabic else paragraph.lower().translate(fold)
        if not any(probe in folded for probe in probes):
            continue
        spans = _matches(paragraph, terms, language)
        if spans:
            distinct = len({t for _, _, t in spans})
            scored.append(((distinct, len(spans), -number), number, spans))
    if not scored:
        if not paragraphs:
            return []
        text, spans = _window(paragraphs[0], [], MAX_SNIPPET_CHARS)
        return [Snippet(0, mark(text, spans))]
    scored.sort(reverse=True)
    chosen = scored[:limit]  # best first: a hit links to its first snippet
    snippets = []
    for _, number, spans in chosen:
        text, kept = _window(paragraphs[number], spans, MAX_SNIPPET_CHARS)
        snippets.append(Snippet(number, mark(text, kept)))
    return snippets


def mark_paragraph(paragraph: str, terms: frozenset, language: str | None = None) -> Markup:
    """A whole paragraph of an article in ``language`` with the query's terms marked (the document page)."""
    terms = terms_for(terms, language)
    return mark(paragraph, _matches(paragraph, terms, language) if terms else [])
