"""Search on real scraped news (FA-KES dev, CC BY: Abu Salem et al., ICWSM 2019): what a journalist types first.

Slow: indexes the 379 articles of ../shared/corpora/fakes-dev once (skipped when ../shared is absent).
"""

from __future__ import annotations

import pytest

from searchapp.query.search import SearchIndex, SearchRequest
from tests.conftest import FAKES

pytestmark = [pytest.mark.slow, pytest.mark.skipif(not FAKES.exists(), reason="needs ../shared/corpora/fakes-dev")]


@pytest.fixture(scope="module")
def fakes(fakes_index):
    return SearchIndex(fakes_index)


def total(index: SearchIndex, q: str) -> int:
    return index.search(SearchRequest(q=q, collapse=False)).total


@pytest.mark.parametrize(("pattern", "words"), [("negotiat*", ["negotiations", "negotiating", "negotiated", "negotiators"]),
                                                ("evacuat*", ["evacuation", "evacuated", "evacuate", "evacuations"])])  # fmt: skip
def test_a_prefix_finds_at_least_what_every_word_it_covers_finds(fakes, pattern, words):
    found = {h.id for h in fakes.search(SearchRequest(q=pattern, collapse=False, per_page=500)).hits}
    for word in words:
        exact = {h.id for h in fakes.search(SearchRequest(q=f"words:{word}", collapse=False, per_page=500)).hits}
        assert exact <= found, (word, exact - found)
    assert len(found) >= total(fakes, words[0]) - 1  # the stem also matches "negotiable": the prefix does not


@pytest.mark.parametrize(
    ("typed", "suggested"),
    [("Asad", "Assad"), ("Aleppo seige", "Aleppo siege"), ("Idleb ceasfire", "Idlib ceasefire"), ("Damscus", "Damascus")],
)
def test_did_you_mean_offers_a_name_or_word_of_the_archive_that_finds_more(fakes, typed, suggested):
    result = fakes.search(SearchRequest(q=typed))
    assert result.did_you_mean == suggested
    assert fakes.search(SearchRequest(q=suggested)).total > result.total


def test_exclusions_alone_mean_every_article_without_them(fakes):
    assert total(fakes, "-Aleppo") == total(fakes, "") - total(fakes, "Aleppo")
