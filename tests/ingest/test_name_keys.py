"""What the index holds for names across spellings (ingest/documents.py): the spelling keys of each tagged entity."""

from __future__ import annotations

from searchapp.ingest.documents import document_fields, furniture_field, name_fields
from searchapp.ingest.entities import load_aliases
from searchapp.ingest.models import Article, Mention, TaggedArticle
from searchapp.store.names import spelling_key

TEXT = "Fighters of Daesh attacked. President Bashar al-Asad spoke. The regime shelled Deir Ezzor. Print Tweet Views 1430"


def tagged() -> TaggedArticle:
    article = Article("a1", "Title", [TEXT], "test")
    spans = {name: TEXT.index(name) for name in ("Daesh", "Bashar al-Asad", "The regime", "Deir Ezzor")}
    mentions = [
        Mention("Islamic State", "org", (0,), ((0, spans["Daesh"], spans["Daesh"] + 5),)),
        Mention("Bashar al-Assad", "person", (0,), ((0, spans["Bashar al-Asad"], spans["Bashar al-Asad"] + 14),)),
        Mention("Syrian government", "org", (0,), ((0, spans["The regime"] + 4, spans["The regime"] + 10),)),  # "regime"
        Mention("Deir ez-Zor", "place", (0,), ((0, spans["Deir Ezzor"], spans["Deir Ezzor"] + 10),)),
    ]
    return TaggedArticle(article, mentions)


def test_each_entity_is_indexed_under_the_keys_of_all_its_spellings():
    keys, entities = name_fields(tagged(), load_aliases())
    indexed = set(keys.split())
    # aliases ("ISIS", "ISIL" of Islamic State), the surname, GeoNames' "Dayr az Zawr", the article's "al-Asad"
    for spelling in ("Islamic State", "Daesh", "ISIS", "ISIL", "Bashar al-Assad", "Assad", "Asad", "Deir ez-Zor", "Dayr az Zawr", "Syrian regime"):
        assert spelling_key(spelling) in indexed, spelling
    # a lower-case mention is words, not a spelling of the name
    assert spelling_key("regime") not in indexed
    stored = {m["name"]: m["keys"] for m in entities["mentions"]}
    assert spelling_key("Daesh") in stored["Islamic State"] and spelling_key("Daesh") not in stored["Deir ez-Zor"]


def test_a_key_repeats_as_often_as_its_entity_is_mentioned_up_to_five():
    article = tagged()
    article.mentions[0] = Mention("Islamic State", "org", (0,), tuple((0, 12, 17) for _ in range(9)))
    keys, _ = name_fields(article, load_aliases())
    assert keys.split().count(spelling_key("Daesh")) == 5
    assert keys.split().count(spelling_key("Deir ez-Zor")) == 1


def test_the_document_carries_the_keys_and_the_furniture():
    fields = document_fields(tagged(), "hash", b"", "a1", aliases=load_aliases())
    assert spelling_key("ISIS") in fields["name_keys"].split()
    start = TEXT.index("Print Tweet")
    assert fields["furniture"] == [(0, start, len(TEXT))] == furniture_field([TEXT])
