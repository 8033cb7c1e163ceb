"""Highlighting: the passages of a hit that show why it matched, HTML-escaped, the query's terms in <mark>.

Each paragraph is run through the same analyser as the indexed text, so a query for "ceasefires"
marks "ceasefire" and "Erdogan" marks "Erdoğan".  A name the query matched by another spelling
(:mod:`searchapp.query.names`) is marked where the article's tagged entity is mentioned ("Idlib" for
the query "Idleb"), from the mention spans and keys stored with the article.

Snippets are **passages**, not paragraphs: scraped news is often one block of text per article, so
a paragraph can be the whole page.  :func:`best_passages` cuts each paragraph into sentences, makes
windows of up to three sentences (or a window inside one long sentence) around the matches, and
scores each by how many of the query's words it holds (a name and its other spellings are one
word), then by its number of matches, then by position.  The two snippets are the best pair: the
best passage, and beside it the one that adds most of the query's words it lacks, best first.
Matches inside the page furniture (stamps, share blocks, credits: the ``furniture`` spans the
indexer stores) are never a passage's reason.  Each snippet keeps its paragraph and character
range, for the ``/doc/<id>?passage=N:S-E#pN`` link that marks it on the document page.
Text is escaped before any markup is added, so nothing in an article can inject HTML.

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
from whoosh.analysis import RegexTokenizer

from ..store.arabic import normalize_arabic
from ..store.schema import ARABIC, TEXT_FIELDS, language_analyzer

MAX_SNIPPET_CHARS = 420
HIGHLIGHT_FIELDS = (*TEXT_FIELDS["default"], "words")
ARABIC_FIELDS = TEXT_FIELDS[ARABIC]


@dataclass(frozen=True)
class Snippet:
    paragraph: int  # 0-based; shown and linked as #p<N+1>
    html: Markup
    start: int = 0  # the passage's character range in its paragraph (the document page marks it)
    end: int = 0

    def text(self, marks: tuple[str, str] = ("", "")) -> str:
        """The snippet as plain text, each match between ``marks`` (the CLI shows ``[brackets]``)."""
        return Markup(str(self.html).replace("<mark>", marks[0]).replace("</mark>", marks[1])).unescape()


@lru_cache(maxsize=4)
def analyzer(language: str | None = None):
    """The analyser of an article's text in ``language`` (built once: its stemmer keeps a cache)."""
    return language_analyzer(ARABIC if language == ARABIC else None)


def terms_for(terms: frozenset, language: str | None) -> frozenset:
    """The query terms that apply to an article in ``language`` (those of the fields it is indexed in; names in any)."""
    names = {t for t in terms if _is_name(t)}
    if language == ARABIC:
        return frozenset(t[1] for t in terms if isinstance(t, tuple) and t[0] == ARABIC) | names
    return frozenset(t for t in terms if not (isinstance(t, tuple) and t[0] == ARABIC))


def _is_name(term) -> bool:
    return isinstance(term, tuple) and term[0] == "name"


def query_terms(query, names=()) -> frozenset:
    """What a query asks for in the text (negated parts excluded), as analysed words.

    Elements are a word (``"ceasefir"``), a prefix (``("*", "negotiat")``), a phrase
    (``("phrase", ("cessat", "of", "hostil"))``), marked only where its words stand in a row, or a
    name matched through its entity (``("name", "VdlVb", ("idleb",))``: the key, and the words typed
    for it, given by ``names``, the :class:`~searchapp.query.names.NameMatch` list of the search).
    """
    from whoosh import query as q

    typed = {match.key: match.words for match in names}
    words: set = set()

    def walk(node) -> None:
        if isinstance(node, q.Not):
            return
        if isinstance(node, q.AndNot):
            walk(node.a)
            return
        if node.is_leaf():
            field = getattr(node, "fieldname", None)
            if field == "name_keys" and hasattr(node, "text"):
                words.add(("name", node.text, typed.get(node.text, ())))
                return
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


MAX_MEMO_WORDS = 200_000  # words whose analysis is kept per language (a few tens of MB at most)


@lru_cache(maxsize=4)
def _word_memo(language: str | None) -> tuple[re.Pattern, dict[str, tuple[tuple[int, int, int, str], ...]]]:
    """The tokenizer's pattern of ``language``'s analyser and its memo of each word's analysis."""
    chain = analyzer(language)
    tokenizer = chain.items[0]
    if not isinstance(tokenizer, RegexTokenizer) or tokenizer.gaps:
        raise TypeError(f"the {language or 'default'} analyser does not start with a word-matching RegexTokenizer")
    return tokenizer.expression, {}


def analysed_tokens(paragraph: str, language: str | None = None) -> list[tuple[int, int, int, str]]:
    """(position, start, end, term) of each token of ``paragraph`` as the index's analyser gives them.

    The same tokens as running the analyser over the paragraph, at a fraction of the cost: the
    analysers split text with a regex and then transform each word on its own (a hyphenated word
    into its parts and the joined word), so each distinct word is analysed once and remembered,
    and a paragraph costs one regex scan.  Analysing every paragraph of the ten hits was a third
    of a search's time on a large index.  tests/query/test_highlight_tokens.py checks the
    equivalence on real articles, so a filter that looks beyond one word breaks it loudly.
    """
    pattern, memo = _word_memo(language)
    tokens: list[tuple[int, int, int, str]] = []
    position = 0
    for match in pattern.finditer(paragraph):
        parts = _word_parts(match.group(), language, memo)
        start = match.start()
        tokens.extend((position + pos, start + first, start + last, text) for pos, first, last, text in parts)
        position += parts[-1][0] + 1 if parts else 0
    return tokens


def _word_parts(word: str, language: str | None, memo: dict) -> tuple[tuple[int, int, int, str], ...]:
    """(position, start, end, term) of each token of one ``word`` (offsets within it), from ``memo`` when seen before."""
    parts = memo.get(word)
    if parts is None:
        parts = tuple((t.pos, t.startchar, t.endchar, t.text) for t in analyzer(language)(word, positions=True, chars=True, mode="index"))
        if len(memo) < MAX_MEMO_WORDS:
            memo[word] = parts
    return parts


def _matches(paragraph: str, terms: frozenset, language: str | None = None) -> list[tuple[int, int, str]]:
    """(start, end, term) of every match of ``terms`` in ``paragraph`` (in ``language``), in text order."""
    patterns = [_pattern(t[1]) for t in terms if isinstance(t, tuple) and t[0] == "*"]
    phrases = [t[1] for t in terms if isinstance(t, tuple) and t[0] == "phrase"]
    if not patterns and not phrases:
        return _word_matches(paragraph, terms, language)
    tokens = analysed_tokens(paragraph, language)
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
        found.sort(key=lambda s: (s[0], -s[1]))
    return found


def _word_matches(paragraph: str, terms: frozenset, language: str | None = None) -> list[tuple[int, int, str]]:
    """:func:`_matches` for words alone (no phrase, no pattern): the tokens :func:`analysed_tokens` would list,
    but only those that match are made (a paragraph's ~130 tokens were most of a hit's cost)."""
    pattern, memo = _word_memo(language)
    found: list[tuple[int, int, str]] = []
    for match in pattern.finditer(paragraph):
        for _, first, last, text in _word_parts(match.group(), language, memo):
            if text in terms:
                start = match.start()
                found.append((start + first, start + last, text))
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


MAX_SENTENCES = 3  # the most sentences a passage holds (before context is added to a short one)
MIN_PASSAGE_CHARS = 160  # a shorter passage gets the sentences around it
_SENTENCE_END = re.compile(r"[.!?؟…]+[\"'”’»)\]]*\s+")
# words after which a full stop does not end a sentence ("Mr. Assad", "U.S. forces", "Jan. 5")
_ABBREVIATIONS = frozenset(
    ["mr", "mrs", "ms", "dr", "st", "gen", "col", "lt", "maj", "sgt", "capt", "cpl", "adm", "rev", "prof", "sen", "rep", "gov", "pres", "no", "vs", "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec", "u.s", "u.n", "u.k", "e.u"]
)


def sentence_bounds(paragraph: str) -> list[tuple[int, int]]:
    """(start, end) of each sentence of ``paragraph``: ends at . ! ? ؟ … followed by space, not after an abbreviation or initial."""
    bounds, start = [], 0
    for match in _SENTENCE_END.finditer(paragraph):
        word = paragraph[max(start, paragraph.rfind(" ", start, match.start()) + 1) : match.start()].lower()
        following = paragraph[match.end() : match.end() + 1]
        if word in _ABBREVIATIONS or (len(word) == 1 and word.isalpha()) or following.islower():
            continue  # "Mr. Assad", "Bashar A. Assad", "3 p.m. local time"
        bounds.append((start, match.end()))
        start = match.end()
    if start < len(paragraph):
        bounds.append((start, len(paragraph)))
    return bounds


@dataclass(frozen=True)
class _Passage:
    paragraph: int
    start: int
    end: int
    spans: tuple[tuple[int, int, str], ...]  # matches inside, paragraph offsets
    concepts: frozenset  # the query's words it holds (a name and its spellings are one)

    @property
    def rank(self) -> tuple:
        return (len(self.concepts), len(self.spans), -self.paragraph, -self.start)


def _concept(term, names: dict) -> object:
    """What a matched term counts as: a name's key for the name and each word typed for it, else the term."""
    return names.get(term, term)


def _name_spans(number: int, names: frozenset, mentions: list[dict]) -> list[tuple[int, int, str]]:
    """Spans of paragraph ``number`` where an entity found by one of ``names`` is mentioned."""
    keys = {t[1]: t for t in names}
    found = []
    for mention in mentions:
        matched = [keys[k] for k in mention.get("keys", ()) if k in keys]
        if matched:
            found.extend((start, end, matched[0]) for p, start, end in mention.get("spans", ()) if p == number)
    return found


def _outside(spans: list[tuple[int, int, str]], furniture: list[tuple[int, int]]) -> list[tuple[int, int, str]]:
    return [s for s in spans if not any(a <= s[0] < b or a < s[1] <= b for a, b in furniture)]


def _passages(
    number: int, paragraph: str, spans: list[tuple[int, int, str]], names: dict, limit: int, furniture: list[tuple[int, int]]
) -> list[_Passage]:
    """Windows of up to MAX_SENTENCES sentences (at most ``limit`` characters) around the matches of one paragraph.

    Page furniture cuts the text like a sentence end and is never part of a window: a scraped block
    reads "... more than 20 Monitor Reuters Sunday 12 Jun 2016 Air strikes carried out ...".
    """
    sentences = _without(paragraph, sentence_bounds(paragraph), sorted(furniture))
    holds = [any(a <= s < b for s, _, _ in spans) for a, b in sentences]
    out = []
    for first, (start, _) in enumerate(sentences):
        if not holds[first]:
            continue  # a passage begins and ends with a sentence that holds a match
        for last in range(first, min(first + MAX_SENTENCES, len(sentences))):
            if last > first and sentences[last][0] != sentences[last - 1][1]:
                break  # furniture between
            end = sentences[last][1]
            if end - start > limit:
                if last == first:  # one long sentence: windows inside it, one per match
                    for s, _, _ in spans:
                        if start <= s < end:
                            a, b = _cut(paragraph, max(start, s - limit // 3), min(end, max(start, s - limit // 3) + limit), s)
                            out.append(_passage(number, a, b, spans, names))
                break
            if holds[last]:
                out.append(_passage(number, start, end, spans, names))
    return [p for p in out if p.spans]


def _without(paragraph: str, sentences: list[tuple[int, int]], furniture: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """The sentences with the furniture cut out: a sentence around a furniture run becomes its pieces either side."""
    out = []
    for start, end in sentences:
        for a, b in furniture:
            if a < end and start < b:
                if start < a and paragraph[start:a].strip():
                    out.append((start, a))
                start = max(start, b)
        if start < end and paragraph[start:end].strip():
            out.append((start, end))
    return out


def _cut(paragraph: str, start: int, end: int, first: int) -> tuple[int, int]:
    """A window of ``paragraph`` moved to word boundaries, still holding the match at ``first``."""
    if start and (space := paragraph.find(" ", start, first)) >= 0:
        start = space + 1
    if end < len(paragraph) and (space := paragraph.rfind(" ", first, end)) > first:
        end = space
    return start, end


def _passage(number: int, start: int, end: int, spans: list[tuple[int, int, str]], names: dict) -> _Passage:
    inside = tuple(s for s in spans if s[0] >= start and s[1] <= end)
    return _Passage(number, start, end, inside, frozenset(_concept(t, names) for _, _, t in inside))


def _best_pair(passages: list[_Passage], limit: int) -> list[_Passage]:
    """The best passage, then the one that adds most query words to it (the pair covering most), best first."""
    ranked = sorted(passages, key=lambda p: p.rank, reverse=True)
    best, best_key = ranked[:1], (len(ranked[0].concepts), ranked[0].rank, ())  # alone, when nothing else fits beside it
    for first in ranked[:5]:
        for second in ranked:
            if second.paragraph == first.paragraph and second.start < first.end and first.start < second.end:
                continue  # overlapping windows of the same text
            key = (len(first.concepts | second.concepts), first.rank, second.rank)
            if key > best_key:
                best_key, best = key, [first, second]
    return sorted(best, key=lambda p: p.rank, reverse=True)[:limit]


def best_passages(
    paragraphs: list[str],
    terms: frozenset,
    limit: int = 2,
    language: str | None = None,
    mentions: list[dict] | None = None,
    furniture: list | None = None,
) -> list[Snippet]:
    """Up to ``limit`` passages of an article that show best why it matched, best first, highlighted.

    ``mentions`` are the stored entity mentions (spans and spelling keys: names found by another
    spelling are marked where the entity is mentioned), ``furniture`` the stored (paragraph, start,
    end) spans of page furniture, which no passage is chosen for.
    """
    terms = terms_for(terms, language)
    words = frozenset(t for t in terms if not _is_name(t))
    names = frozenset(t for t in terms if _is_name(t))
    concept_of = {word: t[1] for t in names for word in t[2]} | {t: t[1] for t in names}
    junk: dict[int, list[tuple[int, int]]] = {}
    for number, start, end in furniture or ():
        junk.setdefault(number, []).append((start, end))
    named = {p for m in mentions or () if set(m.get("keys", ())) & {t[1] for t in names} for p, _, _ in m.get("spans", ())}
    probes = _probes(words)
    fold = _fold_table()
    arabic = language == ARABIC
    passages: list[_Passage] = []
    found: dict[int, list] = {}
    for number, paragraph in enumerate(paragraphs):
        if not terms:
            break
        # an Arabic stem is a substring of the normalised text once its proclitics are gone
        folded = normalize_arabic(paragraph.lower()) if arabic else paragraph.lower().translate(fold)
        literal = words and any(probe in folded for probe in probes)
        if not literal and number not in named:
            continue
        spans = _matches(paragraph, words, language) if literal else []
        if number in named:  # a mention of a name found by its entity, where no word of the query is marked already
            spans += [n for n in _name_spans(number, names, mentions or []) if not any(s < n[1] and n[0] < e for s, e, _ in spans)]
        spans = sorted(_outside(spans, junk.get(number, [])), key=lambda s: (s[0], -s[1]))
        if spans:
            passages.extend(_passages(number, paragraph, spans, concept_of, MAX_SNIPPET_CHARS, junk.get(number, [])))
            found[number] = spans
    if not passages:
        return _opening(paragraphs, junk)
    chosen = _best_pair(passages, limit)
    return [_snippet(paragraphs[p.paragraph], _with_context(p, chosen, paragraphs[p.paragraph], found[p.paragraph], concept_of, junk)) for p in chosen]


def _with_context(
    passage: _Passage, chosen: list[_Passage], paragraph: str, spans: list, names: dict, junk: dict[int, list[tuple[int, int]]]
) -> _Passage:
    """A passage shorter than MIN_PASSAGE_CHARS with the sentences after it (then before it) added, up to the snippet's length.

    "Lavrov met Kerry in Geneva." alone says little; the next sentence is its context.  Never into
    another chosen passage nor into page furniture.
    """
    if passage.end - passage.start >= MIN_PASSAGE_CHARS:
        return passage
    others = [(p.start, p.end) for p in chosen if p is not passage and p.paragraph == passage.paragraph] + junk.get(passage.paragraph, [])
    start, end = passage.start, passage.end
    sentences = sentence_bounds(paragraph)
    for after in (True, False):
        for a, b in [s for s in sentences if s[0] >= end] if after else [s for s in reversed(sentences) if s[1] <= start]:
            touching = a == end if after else b == start
            if end - start >= MIN_PASSAGE_CHARS or not touching or max(end, b) - min(start, a) > MAX_SNIPPET_CHARS:
                break
            if any(x < max(end, b) and min(start, a) < y for x, y in others):
                break
            start, end = min(start, a), max(end, b)
    return _passage(passage.paragraph, start, end, spans, names) if (start, end) != (passage.start, passage.end) else passage


def best_paragraphs(paragraphs: list[str], terms: frozenset, limit: int = 2, language: str | None = None) -> list[Snippet]:
    """The best passages of an article without its stored mentions and furniture (see :func:`best_passages`)."""
    return best_passages(paragraphs, terms, limit, language)


def _opening(paragraphs: list[str], junk: dict[int, list[tuple[int, int]]]) -> list[Snippet]:
    """The article's first lines after any leading furniture (a date stamp, a share block): a hit matched elsewhere."""
    if not paragraphs:
        return []
    text = paragraphs[0]
    start = 0
    for a, b in junk.get(0, []):
        if a <= start + 1:
            start = b
    while start < len(text) and text[start].isspace():
        start += 1
    if start >= len(text):
        start = 0
    end = min(len(text), start + MAX_SNIPPET_CHARS)
    if end < len(text) and (space := text.rfind(" ", start, end)) > start + MAX_SNIPPET_CHARS // 2:
        end = space
    return [_snippet(text, _Passage(0, start, end, (), frozenset()))]


def _snippet(paragraph: str, passage: _Passage) -> Snippet:
    start, end = passage.start, passage.end
    while start < end and paragraph[start].isspace():
        start += 1
    while end > start and paragraph[end - 1].isspace():
        end -= 1
    prefix = "… " if start else ""
    suffix = " …" if end < len(paragraph) else ""
    shift = len(prefix) - start
    kept = [(s + shift, e + shift, t) for s, e, t in passage.spans if e <= end]
    return Snippet(passage.paragraph, mark(prefix + paragraph[start:end] + suffix, kept), start, end)


def mark_paragraph(paragraph: str, terms: frozenset, language: str | None = None) -> Markup:
    """A whole paragraph of an article in ``language`` with the query's terms marked (the document page).

    Names found by another spelling are marked by the page around it, from the entity spans.
    """
    terms = frozenset(t for t in terms_for(terms, language) if not _is_name(t))
    return mark(paragraph, _matches(paragraph, terms, language) if terms else [])
