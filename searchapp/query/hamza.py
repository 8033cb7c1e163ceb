"""Arabic words typed without their hamza seat (رييس for رئيس) also search the seated spelling.

The Arabic analyser folds the seats ؤ and ئ to a bare hamza ء (:mod:`searchapp.store.arabic`: this
unifies مسئول and مسؤول, which ANT writes far more often than anyone omits a seat), so an index term
such as ``رءيس`` cannot be reached from ``رييس``, the way most people type the word on a phone.
Folding the seats to their letters instead would make those meet and split مسئول from مسؤول; the
measured choice (BENCHMARKS.md, Arabic search quality) keeps the fold and mends the typed side here:
a term of an Arabic field with a ي or و inside it (not first, not last) also searches each spelling
with one of those letters as ء, when the index holds that spelling.  Only terms the index has are
added, so the query means what it did, plus the seated word.

Pure: the caller says which terms exist (:func:`with_hamza_seats`' ``exists``); run in
:mod:`searchapp.query.search`.
"""

from __future__ import annotations

from collections.abc import Callable

from whoosh import query

from ..store.schema import TEXT_FIELDS

ARABIC_FIELDS = frozenset(TEXT_FIELDS["ar"])
SEAT_LETTERS = "يو"  # ئ and ؤ typed without the hamza
HAMZA = "ء"  # what the analyser folds both seats to


def seated_spellings(term: str) -> list[str]:
    """The spellings of an analysed Arabic term with one inner ي or و read as a seated hamza, in order."""
    return [term[:i] + HAMZA + term[i + 1 :] for i in range(1, len(term) - 1) if term[i] in SEAT_LETTERS]


def with_hamza_seats(parsed: query.Query, exists: Callable[[str, str], bool], budget: int) -> tuple[query.Query, int]:
    """``parsed`` with each Arabic term also searching its seated spellings that ``exists(field, text)``.

    At most ``budget`` terms are added (they count against the query's expansion limit); returns the
    query and how many were added.  Phrases are left as typed (a phrase of Whoosh holds one spelling
    per word).
    """
    added = 0

    def walk(node: query.Query) -> query.Query:
        nonlocal added
        if isinstance(node, query.Term) and node.fieldname in ARABIC_FIELDS and isinstance(node.text, str):
            found = []
            for spelling in seated_spellings(node.text):
                if added >= budget:
                    break
                if exists(node.fieldname, spelling):
                    found.append(query.Term(node.fieldname, spelling, boost=node.boost))
                    added += 1
            return query.Or([node, *found]) if found else node
        if node.is_leaf() or isinstance(node, query.Phrase):
            return node
        return node.apply(walk)

    return walk(parsed), added
