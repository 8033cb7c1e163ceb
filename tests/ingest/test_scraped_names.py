"""Scraped Syrian-war text through the real tagger: state actors, possessives, places, furniture, "X-based".

Sentences shaped like FA-KES (tests/eval/README.md), each checking one class of error of issue 12.
"""

import pytest

from searchapp.ingest.entities import is_junk, load_aliases
from searchapp.ingest.models import Article, PartialDate
from searchapp.ingest.tagging import tag_articles


@pytest.fixture(scope="module")
def builtin():
    return load_aliases()


def tagged(builtin, text, published="2016-10-13"):
    article = Article(id="t", source="t", title="", paragraphs=[text], outlet=None, published=PartialDate.from_iso(published))
    (result,) = tag_articles([article], builtin)
    return result


def values(result, kind=None):
    return {(m.name, m.kind) for m in result.mentions if m.facet and (kind is None or m.kind == kind)}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Russian and Syrian regime jets pounded Aleppo on Thursday in Syria.", {("Syrian Arab Army", "org")}),
        ("Assad's forces bombarded the suburbs of Damascus, Syria, on Thursday.", {("Syrian Arab Army", "org")}),
        ("The Syrian government said the talks in Geneva on Syria would go on.", {("Syrian government", "org")}),
        ("Syrias embattled regime has heavily bombarded areas of Idlib.", {("Syrian government", "org")}),
        ("Aircraft of the US-led coalition struck Raqqa in Syria.", {("US-led coalition", "org")}),
        ("Syrian state television said 12 people were killed in Homs.", {("Syrian state television", "org")}),
    ],
)
def test_state_actors_of_syrian_news_are_organisations(builtin, text, expected):
    assert expected <= values(tagged(builtin, text))


def test_the_assad_regime_names_the_government_not_the_person(builtin):
    found = values(tagged(builtin, "The Assad regime and its allies shelled Idlib in northern Syria on Monday."))
    assert ("Syrian government", "org") in found and not any(name == "Bashar al-Assad" for name, _ in found)


def test_the_state_rules_need_an_article_about_syria(builtin):
    found = values(tagged(builtin, "The regime forces of the junta fired on protesters in Rangoon on Monday."))
    assert not any(name in ("Syrian Arab Army", "Syrian government") for name, _ in found)


def test_possessives_scraped_without_apostrophe_fold_to_the_entity(builtin):
    found = values(tagged(builtin, "Severe bombardment on Syrias biggest city killed 84 people. The Observatorys head said Hezbollahs fighters left Aleppos Old City."))
    names = {name for name, _ in found}
    assert {"Syria", "Syrian Observatory for Human Rights", "Hezbollah", "Aleppo"} <= names
    assert not names & {"Syrias", "Observatorys", "Hezbollahs", "Aleppos"}


def test_britain_based_marks_the_place_but_makes_no_facet_value(builtin):
    result = tagged(builtin, "The Britain-based Syrian Observatory for Human Rights said 20 died in Idlib, Syria.")
    assert ("Syrian Observatory for Human Rights", "org") in values(result)
    assert ("United Kingdom", "place") not in values(result)
    assert any(m.name == "United Kingdom" and not m.facet for m in result.mentions)  # still marked in the text


def test_villages_and_neighbourhoods_are_places_whatever_the_model_says(builtin):
    text = "Air strikes hit the districts of al-Kalaseh Bustan al-Qasr and al-Sakhour in Aleppo, and Kafr Batna and Douma near Damascus in Syria."
    found = values(tagged(builtin, text), "place")
    assert {("al-Sakhour", "place"), ("Kafr Batna", "place"), ("Douma", "place")} <= found
    assert not any(kind != "place" for name, kind in values(tagged(builtin, text)) if name in ("Douma", "Kafr Batna", "al-Sakhour"))


def test_transliterations_are_one_value(builtin):
    found = values(tagged(builtin, "Fighting raged in Deir al-Zour and Deir Ezzor province of Syria, and al Qaida claimed it."))
    assert ("Deir ez-Zor", "place") in found and ("al-Qaeda", "org") in found
    assert not {name for name, _ in found} & {"Deir al-Zour", "Deir Ezzor", "al Qaida"}


@pytest.mark.parametrize("name", ["Thu Aug", "Fri Sep", "Mon", "Al", "Sat 12"])
def test_date_words_and_lone_articles_are_junk(name):
    assert is_junk(name)


def test_a_page_stamp_and_a_share_block_give_no_entity_and_no_date(builtin):
    result = tagged(builtin, "Thu Sep 5 2013 Car bomb kills four in Damascus, Syria. Subscribe TRT World on Youtube Subscribe to our channel.")
    names = {m.name for m in result.mentions}
    assert not any("TRT" in n or "Subscribe" in n for n in names)
    assert all(d.value != "2013-09-05" for d in result.dates)
