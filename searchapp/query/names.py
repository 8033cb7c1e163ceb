"""Names across spellings: a query word or phrase that is a spelling of a tagged entity also finds its articles.

"Idleb" finds the articles tagged Idlib, "Asad" those tagged Bashar al-Assad, "Daesh" those tagged
Islamic State, "Deir Ezzor" those tagged Deir ez-Zor.  The indexing side writes, for every article,
the spelling keys (:func:`searchapp.store.names.spelling_key`) of every name and known spelling of
the entities it tags (aliases, GeoNames alternate names, the article's own spellings) into the
``name_keys`` field.  :func:`expand_names` adds to each typed word, and to each run of up to
:data:`MAX_NAME_WORDS` adjacent typed words, whose key is there, a clause on that key::

    Idleb ceasefire   ->  (Idleb OR name_keys:VdlVb) AND ceasefire
    Deir Ezzor        ->  ((Deir AND Ezzor) OR name_keys:dVrzUr)

The literal words keep their clause, so an article with the spelling typed and the tag scores
both and comes first; one with only the tag ranks among the literal matches by its own score.

What is never expanded: a spelling in quotes (``"Idleb"``: that spelling only, the README's way
to search a spelling exactly), a field clause (``title:Idleb``), prefixes, wildcards and phrases,
and a stop word or a word of fewer than three letters unless typed in capitals (``US``, ``UN``
and ``IS`` are names; "us" and "is" are not).  The number of keys added is bounded by the
search's expansion budget (:mod:`searchapp.query.limits`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from whoosh import query
from whoosh.analysis import STOP_WORDS

from ..store.names import spelling_key

NAME_FIELD = "name_keys"
MAX_NAME_WORDS = 4  # the longest run of typed words looked up as one name ("Islamic State of Iraq")
WORD_FIELDS = frozenset({"title", "text", "title_ar", "text_ar"})


@dataclass(frozen=True)
class NameMatch:
    """One expansion: the words as typed, the key looked up, and the analysed words it stands beside."""

    spelling: str
    key: str
    words: tuple[str, ...]  # the text field's terms of the typed words ("idleb"), for highlighting


def expand_names(parsed: query.Query, text: str, known: Callable[[str, str], bool], budget: int) -> tuple[query.Query, list[NameMatch]]:
    """``parsed`` with each typed name also searched as the entities it spells (see the module doc).

    ``text`` is the query as typed (the parser's character offsets point into it), ``known(key,
    spelling)`` says whether the spelling typed should search the entities of that key (the key is
    in the index, and the spelling is not merely a common word sharing it: the caller's call),
    ``budget`` is the most keys that may be added.  Pure: the same
    arguments give the same query.
    """
    found: list[NameMatch] = []

    def lookup(groups: list[query.Query]) -> NameMatch | None:
        if len(found) >= budget:
            return None
        words = [_typed(group, text) for group in groups]
        spelling = " ".join(words)
        if len(groups) == 1 and not _may_be_name(spelling):
            return None
        if len(groups) > 1 and not all(text[a.endchar : b.startchar].isspace() for a, b in _pairs(groups)) or any(
            w[-1:] in ",;:" for w in words[:-1]
        ):
            return None  # "Deir, Ezzor" or "Deir (Ezzor)" are not one name
        key = spelling_key(spelling)
        if not key or not known(key, spelling):
            return None
        match = NameMatch(spelling, key, tuple(_text_term(group) for group in groups))
        found.append(match)
        return match

    def walk(node: query.Query) -> query.Query:
        if is_group(node):
            return _in_sequence([node], lookup, is_group)[0]
        if isinstance(node, query.And):
            children = _in_sequence([walk_child(c) for c in node.subqueries], lookup, is_group)
            return children[0] if len(children) == 1 and node.boost == 1 else query.And(children, boost=node.boost)
        if isinstance(node, query.Or):
            return _or_groups(node, text, lookup, walk_child)
        if node.is_leaf():
            return node
        return node.apply(walk)

    def walk_child(node: query.Query) -> query.Query:
        return node if is_group(node) else walk(node)

    def is_group(node: query.Query) -> bool:
        return _word_group(node, text) is not None

    return walk(parsed), found


def _in_sequence(
    children: list[query.Query], lookup: Callable[[list[query.Query]], NameMatch | None], is_group: Callable[[query.Query], bool]
) -> list[query.Query]:
    """Children of an And with each run of adjacent word groups that spells a name widened (longest run first)."""
    out: list[query.Query] = []
    index = 0
    while index < len(children):
        run = 0
        while index + run < len(children) and run < MAX_NAME_WORDS and is_group(children[index + run]):
            run += 1
        for size in range(run, 0, -1):
            groups = children[index : index + size]
            match = lookup(groups)
            if match is not None:
                literal = groups[0] if size == 1 else query.And(groups)
                out.append(query.Or([literal, query.Term(NAME_FIELD, match.key)]))
                index += size
                break
        else:
            out.append(children[index])
            index += 1
    return out


def _or_groups(node: query.Or, text: str, lookup, walk_child) -> query.Query:
    """An Or whose children may be several typed words flattened ("Idleb OR Aleppo"): each word that is a name gets its key."""
    subqueries = [walk_child(c) for c in node.subqueries]
    by_word: dict[tuple[int, int], list[query.Query]] = {}
    for child in subqueries:
        if isinstance(child, query.Term) and child.fieldname in WORD_FIELDS and child.startchar is not None:
            by_word.setdefault((child.startchar, child.endchar), []).append(child)
    added = []
    for (start, end), terms in by_word.items():
        group = query.Or(terms)
        if _typed(group, text) and not _quoted(text, start, end):
            match = lookup([group])
            if match is not None:
                added.append(query.Term(NAME_FIELD, match.key))
    return query.Or(subqueries + added, boost=node.boost)


def _word_group(node: query.Query, text: str) -> tuple[int, int] | None:
    """(start, end) in ``text`` of the one unquoted word an Or of word-field terms stands for, else None.

    The parser turns an unfielded word into an Or of one Term per searched field, each carrying the
    word's offsets in the typed text (a hyphenated word becomes an And of its parts in the Arabic
    fields, without offsets).
    """
    if not isinstance(node, query.Or):
        return None
    spans = set()
    for child in node.subqueries:
        if isinstance(child, query.Term) and child.fieldname in WORD_FIELDS:
            spans.add((child.startchar, child.endchar))
        elif isinstance(child, query.And) and all(isinstance(t, query.Term) and t.fieldname in WORD_FIELDS for t in child.subqueries):
            continue
        else:
            return None
    if len(spans) != 1:
        return None
    start, end = spans.pop()
    if start is None or end is None or _quoted(text, start, end):
        return None
    return start, end


def _pairs(groups: list[query.Query]):
    for a, b in zip(groups, groups[1:], strict=False):
        yield _bounds(a), _bounds(b)


class _Span:
    def __init__(self, startchar: int, endchar: int) -> None:
        self.startchar, self.endchar = startchar, endchar


def _bounds(group: query.Query) -> _Span:
    term = next(c for c in group.subqueries if isinstance(c, query.Term) and c.startchar is not None)
    return _Span(term.startchar, term.endchar)


def _typed(group: query.Query, text: str) -> str:
    span = _bounds(group)
    return text[span.startchar : span.endchar]


def _text_term(group: query.Query) -> str:
    for child in group.subqueries:
        if isinstance(child, query.Term) and child.fieldname == "text":
            return child.text
    return next(c.text for c in group.subqueries if isinstance(c, query.Term))


def _quoted(text: str, start: int, end: int) -> bool:
    """A word typed in quotes (``"Idleb"``) is that spelling only."""
    return start > 0 and text[start - 1] == '"'


def _may_be_name(word: str) -> bool:
    letters = [c for c in word if c.isalpha()]
    if not letters:
        return False
    if word.lower() in STOP_WORDS or len(letters) < 3:
        return len(letters) >= 2 and word.isupper()  # "US", "UN", "IS": names only in capitals
    return True
