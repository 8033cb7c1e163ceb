"""The query expansion of names (query/names.py) and the spelling keys it looks up: pure functions, no index."""

from __future__ import annotations

import pytest
from whoosh import query

from searchapp.query.names import NAME_FIELD, NameMatch, expand_names
from searchapp.query.parse import parse_query
from searchapp.store.names import spelling_key
from searchapp.store.schema import build_schema

SCHEMA = build_schema()
KNOWN = {spelling_key(name) for name in ("Idlib", "Assad", "Deir ez-Zor", "Daesh", "Nusra", "US", "Islamic State", "Bashar al-Assad")}


def expand(text: str, known=KNOWN, budget: int = 10) -> tuple[query.Query, list[NameMatch]]:
    return expand_names(parse_query(text, SCHEMA), text, lambda key, spelling: key in known, budget)


def word(text: str, stem: str | None = None) -> query.Or:
    """The parser's clause for one unfielded word (title boosted, both languages' fields)."""
    stem = stem or text
    return query.Or([
        query.Term("title", stem, boost=2.0), query.Term("text", stem), query.Term("title_ar", text, boost=2.0), query.Term("text_ar", text)
    ])  # fmt: skip


def name(key: str) -> query.Term:
    return query.Term(NAME_FIELD, key)


@pytest.mark.parametrize(
    ("spelling", "key"),
    [
        ("Idleb", "VdlVb"), ("Idlib", "VdlVb"), ("Asad", "VsVd"), ("Assad", "VsVd"), ("Deir Ezzor", "dVrzUr"),
        ("Deir ez-Zor", "dVrzUr"), ("Dayr az Zawr", "dVrzVwr"), ("Nusra", "nUsrV"), ("al-Nusra", "nUsrV"), ("US", "Us"), ("I", ""), ("", ""),
    ],
)  # fmt: skip
def test_spelling_key(spelling, key):
    assert spelling_key(spelling) == key


def test_a_typed_name_also_searches_its_key_beside_the_word():
    expanded, names = expand("Idleb ceasefire")
    assert expanded == query.And([query.Or([word("idleb"), name("VdlVb")]), word("ceasefire", "ceasefir")])
    assert names == [NameMatch("Idleb", "VdlVb", ("idleb",))]


@pytest.mark.parametrize(
    ("text", "spelling", "key", "words"),
    [
        ("Deir Ezzor", "Deir Ezzor", "dVrzUr", ("deir", "ezzor")),
        ("Islamic State fighters", "Islamic State", "VslVmVcstVtV", ("islam", "state")),
        ("Bashar al-Assad", "Bashar al-Assad", "bVshVrsVd", ("bashar", "alassad")),
    ],
)
def test_adjacent_words_that_spell_a_name_are_one_name_longest_first(text, spelling, key, words):
    expanded, names = expand(text)
    assert names == [NameMatch(spelling, key, words)]
    assert name(key) in list(expanded.leaves())


def test_the_literal_words_of_a_name_stay_as_one_clause_beside_the_key():
    expanded, _ = expand("Deir Ezzor")
    assert expanded == query.Or([query.And([word("deir"), word("ezzor")]), name("dVrzUr")])


@pytest.mark.parametrize(
    "text",
    [
        '"Idleb"',  # quotes: that spelling only
        '"Deir Ezzor"',
        "title:Idleb",  # a field clause says where
        "Idl*",  # patterns
        "us troops",  # a stop word in lower case is a word
        "Aleppo",  # no such key in the index
        "Deir, Ezzor",  # a comma between: two words
    ],
)
def test_what_is_never_expanded(text):
    parsed = parse_query(text, SCHEMA)
    expanded, names = expand(text)
    assert names == [] and expanded == parsed


def test_capitals_make_a_short_word_a_name():
    _, names = expand("US troops")
    assert names == [NameMatch("US", "Us", ("us",))]


def test_words_joined_by_or_each_get_their_key():
    expanded, names = expand("Idleb OR Nusra")
    assert [n.spelling for n in names] == ["Idleb", "Nusra"]
    assert isinstance(expanded, query.Or) and expanded.subqueries[-2:] == [name("VdlVb"), name("nUsrV")]


def test_an_excluded_name_excludes_the_entity_too():
    expanded, names = expand("ceasefire -Daesh")
    assert [n.spelling for n in names] == ["Daesh"]
    assert isinstance(expanded, query.AndNot) and name("dVsh") in list(expanded.b.leaves())


def test_the_budget_bounds_the_keys_added():
    _, names = expand("Idleb Nusra Daesh", budget=2)
    assert [n.spelling for n in names] == ["Idleb", "Nusra"]
    expanded, names = expand("Idleb", budget=0)
    assert names == [] and expanded == parse_query("Idleb", SCHEMA)


def test_expansion_is_pure():
    assert expand("Idleb ceasefire -Daesh") == expand("Idleb ceasefire -Daesh")


def test_an_index_made_before_the_name_keys_is_searched_as_written(tmp_path):
    """No name_keys and no furniture field: the words are searched as typed, snippets are passages all the same."""
    from whoosh import fields, index

    from searchapp.query.search import SearchIndex, SearchRequest

    old = {name: SCHEMA[name] for name in SCHEMA.names() if name not in ("name_keys", "furniture")}
    ix = index.create_in(str(tmp_path), fields.Schema(**old))
    text = "Shelling hit Idleb on Monday. The ceasefire held elsewhere."
    with ix.writer() as writer:
        writer.add_document(id="old-1", title="Old", text=text, words=text, paragraphs=[text], entities={}, language="en")
    result = SearchIndex(tmp_path).search(SearchRequest(q="Idleb ceasefire"))
    assert [hit.id for hit in result.hits] == ["old-1"] and result.hints == []
    assert [(s.start, s.end) for s in result.hits[0].snippets] == [(0, len(text))]


class CountingReader:
    """A reader's document frequencies, for deciding which typed words spell names."""

    schema = ("name_keys", "words", "actor", "place")

    def __init__(self, frequencies: dict[tuple[str, str], int]) -> None:
        self.frequencies = frequencies

    def doc_frequency(self, field: str, text: str) -> int:
        return self.frequencies.get((field, text), 0)


@pytest.mark.parametrize(
    ("spelling", "frequencies", "expanded"),
    [
        # a common word keyed like a name it is not: "call" (175 articles) and "Cell" (125 tagged)
        ("call", {("name_keys", "cVl"): 125, ("words", "call"): 175, ("actor", "call"): 1}, False),
        # a rarer spelling of a known name: tagged in more articles than write it
        ("Idleb", {("name_keys", "VdlVb"): 79, ("words", "idleb"): 12}, True),
        ("Asad", {("name_keys", "VsVd"): 190}, True),
        # the word is the name most of its key's articles are tagged with, however often it is written
        ("Syria", {("name_keys", "sVrV"): 362, ("words", "syria"): 370, ("place", "syria"): 360}, True),
        # no article is tagged with a name of that key
        ("ceasefire", {("words", "ceasefire"): 80}, False),
        # several words: a known key is a name
        ("Deir Ezzor", {("name_keys", "dVrzUr"): 58, ("words", "deir"): 60, ("words", "ezzor"): 5}, True),
    ],
)
def test_a_typed_word_spells_a_name_only_when_its_key_is_mostly_that_name(spelling, frequencies, expanded):
    from searchapp.query.search import _spells_a_name
    from searchapp.store.names import spelling_key

    assert _spells_a_name(CountingReader(frequencies), spelling_key(spelling), spelling) is expanded
