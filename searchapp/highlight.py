"""Highlighting: the best paragraphs of a hit, HTML-escaped, with the query's terms in <mark>.

Each paragraph is run through the same analyser as the indexed text, so a query for "ceasefires"
marks "ceasefire" and "Erdogan" marks "Erdoğan".  A paragraph scores by how many distinct query
terms it holds, then by how many matches, then by position; the best ones are the snippets, best
first, each with its paragraph number for the ``#p<N>`` link.  Long paragraphs are cut to a window around the
first match.  Text is escaped before any markup is added, so nothing in an article can inject HTML.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from markupsafe import Markup, escape

from .schema import text_analyzer

MAX_SNIPPET_CHARS = 420
HIGHLIGHT_FIELDS = ("text", "title")


@dataclass(frozen=True)
class Snippet:
    paragraph: int  # 0-based; shown and linked as #p<N+1>
    html: Markup


@lru_cache(maxsize=1)
def _analyzer():
    return text_analyzer()


def query_terms(query) -> frozenset[str]:
    """The analysed words a query asks for in the text (negated parts excluded)."""
    from whoosh import query as q

    words: set[str] = set()

    def walk(node) -> None:
        if isinstance(node, q.Not):
            return
        if isinstance(node, q.AndNot):
            walk(node.a)
            return
        if node.is_leaf():
            if getattr(node, "fieldname", None) in HIGHLIGHT_FIELDS:
                if isinstance(node, q.Phrase):
                    words.update(node.words)
                elif isinstance(node, (q.Prefix, q.Wildcard)):
                    words.add(("*", node.text))
                elif hasattr(node, "text"):
                    words.add(node.text)
            return
        for child in node.children():
            walk(child)

    walk(query)
    return frozenset(words)


def _matches(paragraph: str, terms: frozenset) -> list[tuple[int, int, str]]:
    patterns = [t[1].rstrip("*").lower() for t in terms if isinstance(t, tuple)]
    found = []
    for token in _analyzer()(paragraph, chars=True, mode="index"):
        text = token.text
        if text in terms or any(text.startswith(p) for p in patterns if p):
            found.append((token.startchar, token.endchar, text))
    return found


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


def best_paragraphs(paragraphs: list[str], terms: frozenset, limit: int = 2) -> list[Snippet]:
    """Up to ``limit`` paragraphs that match the query best, best first, highlighted."""
    scored = []
    for number, paragraph in enumerate(paragraphs):
        if not terms:
            break
        spans = _matches(paragraph, terms)
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


def mark_paragraph(paragraph: str, terms: frozenset) -> Markup:
    """A whole paragraph with the query's terms marked (the document page)."""
    return mark(paragraph, _matches(paragraph, terms) if terms else [])
