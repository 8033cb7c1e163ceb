"""Arabic words typed without their hamza seat also search the seated spelling (searchapp.query.hamza)."""

from __future__ import annotations

import pytest
from whoosh import query

from searchapp.query.hamza import seated_spellings, with_hamza_seats
from searchapp.query.parse import parse_query
from searchapp.store.schema import build_schema

SCHEMA = build_schema()


@pytest.mark.parametrize(
    ("term", "expected"),
    [
        ("رييس", ["رءيس", "ريءس"]),  # رئيس typed without the seat
        ("مسوول", ["مسءول", "مسوءل"]),  # مسؤول
        ("يوم", ["يءم"]),  # first and last letters are never seats
        ("حلب", []),
        ("ي", []),
    ],
)
def test_seated_spellings(term, expected):
    assert seated_spellings(term) == expected


def test_a_word_without_its_seat_also_searches_the_seated_term_the_index_has():
    index_terms = {("text_ar", "رءيس"), ("title_ar", "رءيس")}
    parsed = parse_query("رييس", SCHEMA)
    expanded, added = with_hamza_seats(parsed, lambda field, text: (field, text) in index_terms, 10)
    assert added == 2
    terms = {(t.fieldname, t.text) for t in expanded.leaves() if isinstance(t, query.Term)}
    assert {("text_ar", "رءيس"), ("title_ar", "رءيس"), ("text_ar", "رييس"), ("title_ar", "رييس")} <= terms
    assert ("text_ar", "ريءس") not in terms  # not in the index: not added


def test_english_terms_phrases_and_the_budget_are_left_alone():
    everything = lambda field, text: True  # noqa: E731
    english = parse_query("Idlib", SCHEMA)
    assert with_hamza_seats(english, everything, 10) == (english, 0)
    phrase = parse_query('"رييس الوزراء"', SCHEMA)
    assert with_hamza_seats(phrase, everything, 10) == (phrase, 0)
    word = parse_query("رييس", SCHEMA)
    assert with_hamza_seats(word, everything, 0) == (word, 0)
