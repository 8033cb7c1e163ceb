"""Names across spellings, did-you-mean and passage snippets over HTTP, on real scraped news.

FA-KES dev (CC BY: Abu Salem et al., ICWSM 2019), indexed once per session (tests.conftest.fakes_index);
slow, skipped without ../shared.  The expected numbers are what the archive holds: e.g. 9 articles
write "Idleb", 77 articles write it or name Idlib.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

import pytest
from bs4 import BeautifulSoup

from searchapp import web
from searchapp.query.search import SearchIndex, SearchRequest
from tests.conftest import FAKES

pytestmark = [pytest.mark.slow, pytest.mark.skipif(not FAKES.exists(), reason="needs ../shared/corpora/fakes-dev")]


@pytest.fixture(scope="module")
def client(fakes_index):
    return web.create_app({"TESTING": True, "INDEX_DIR": str(fakes_index)}).test_client()


@pytest.fixture(scope="module")
def index(fakes_index):
    return SearchIndex(fakes_index)


def api(client, q: str, **args) -> dict:
    response = client.get("/api/search", query_string={"q": q, "collapse": "0", **args})
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()


def found(index: SearchIndex, q: str, **filters) -> set[str]:
    result = index.search(SearchRequest(q=q, filters={k: [v] for k, v in filters.items()}, collapse=False, per_page=1000))
    return {hit.id for hit in result.hits}


def named(index: SearchIndex, name: str) -> set[str]:
    """Articles whose stored mentions name ``name`` (the tagged entity, not the places within it)."""
    searcher = index.searcher()
    return {
        stored["id"]
        for stored in searcher.all_stored_fields()
        if any(m["name"] == name and m.get("facet", True) for m in (stored.get("entities") or {}).get("mentions", []))
    }


# ---------------------------------------------------------------------------------------------
# Names match across spellings


@pytest.mark.parametrize(
    ("q", "total", "exact"),
    [
        ("Idleb", 77, 9),
        ("Idlib", 79, 71),
        ("Asad", 109, 0),
        ("Assad", 137, 137),
        ("Deir Ezzor", 58, 32),
        ("Deir ez-Zor", 58, 32),
        ("Daesh", 183, 69),
        ("ISIS", 182, 44),
        ("Islamic State", 189, 73),
        ("Nusra", 72, 72),
        ("al-Nusra", 72, 52),
    ],
)
def test_a_spelling_finds_the_articles_naming_the_entity_and_quotes_search_the_spelling_only(client, q, total, exact):
    assert api(client, q)["total"] == total
    assert api(client, f'"{q}"')["total"] == exact


@pytest.mark.parametrize(
    ("spellings", "entity"),
    [
        (["Idleb", "Idlib"], "Idlib"),
        (["Asad", "Assad", "Bashar al-Asad"], "Bashar al-Assad"),
        (["Deir Ezzor", "Deir ez-Zor", "Dayr az Zawr"], "Deir ez-Zor"),
        (["Daesh", "ISIS", "Islamic State", "ISIL"], "Islamic State"),
        (["Nusra", "al-Nusra", "Jabhat al-Nusra"], "Nusra Front"),
    ],
)
def test_every_spelling_finds_every_article_naming_the_entity(index, spellings, entity):
    naming = named(index, entity)
    assert len(naming) >= 40
    for spelling in spellings:
        assert naming <= found(index, spelling), (spelling, len(naming - found(index, spelling)))


def test_the_spelling_typed_ranks_with_the_literal_matches_first_when_it_is_rare(index):
    written = found(index, '"Idleb"')
    ranked = index.search(SearchRequest(q="Idleb", collapse=False, per_page=20)).hits
    assert len(written) == 9 and {hit.id for hit in ranked[:9]} == written
    assert all(hit.score > ranked[9].score for hit in ranked[:9])


def test_a_name_found_by_another_spelling_is_marked_where_the_article_names_it(client):
    page = BeautifulSoup(client.get("/?q=Asad").data, "html.parser")
    first = page.select(".hit")[0]
    assert [[m.get_text() for m in s.select("mark")] for s in first.select(".snippet")] == [["Bashar Assad", "Assad", "Assad"], ["Assad", "Assad"]]
    hint = page.select_one(".query-hint").get_text()
    assert hint == "“Asad” is also searched as a name: articles naming it under any spelling match; write \"Asad\" in quotes for this spelling only"


@pytest.mark.parametrize("q", ["Assad", "the ceasefire", "us troops"])
def test_no_hint_where_the_spelling_finds_every_article_naming_it_or_no_name(client, q):
    assert api(client, q)["hints"] == []


def test_a_hint_where_the_tags_find_more_than_the_spelling(client):
    # 71 articles write "Idlib"; 77 name it (some only as "Idleb")
    assert [h.split(":")[0] for h in api(client, "Idlib")["hints"]] == ["“Idlib” is also searched as a name"]


def test_a_common_word_in_lower_case_is_not_a_name(client):
    # "us" (key "Us") would be the United States in capitals; in lower case it is a stop word
    assert api(client, "us troops")["total"] == api(client, '"us" troops')["total"]
    assert api(client, "US troops")["total"] > api(client, '"US" troops')["total"]


# ---------------------------------------------------------------------------------------------
# Did you mean


@pytest.mark.parametrize(
    ("typed", "suggested"), [("Idleb ceasfire", "Idlib ceasefire"), ("Asad", "Assad"), ("Aleppo seige", "Aleppo siege"), ("syra", "syria")]
)
def test_did_you_mean_links_to_a_respelling_that_finds_more(client, typed, suggested):
    page = BeautifulSoup(client.get("/", query_string={"q": typed}).data, "html.parser")
    link = page.select_one(".did-you-mean a")
    assert link.get_text() == suggested
    assert parse_qs(urlsplit(link["href"]).query) == {"q": [suggested]}
    assert api(client, suggested)["total"] > api(client, typed)["total"] - (1 if typed in ("Asad", "syra") else 0)


@pytest.mark.parametrize("q", ["Idlib ceasefire", "Assad", "Daesh", "Idleb"])
def test_no_suggestion_for_a_query_written_in_the_archive(client, q):
    assert api(client, q)["did_you_mean"] is None


# ---------------------------------------------------------------------------------------------
# Snippets that show why


def _marks(snippet) -> set[str]:
    return {re.sub(r"[^a-z]", "", m.get_text().lower()) for m in snippet.select("mark")}


def test_idlib_ceasefire_snippets_mark_both_words_in_every_top_hit(client):
    page = BeautifulSoup(client.get("/?q=Idlib+ceasefire").data, "html.parser")
    hits = page.select(".hit")
    assert len(hits) == 10
    for hit in hits:
        snippets = hit.select(".snippet")
        assert len(snippets) == 2
        marked = set().union(*(_marks(s) for s in snippets))
        assert {"idlib", "ceasefire"} <= {w.rstrip("s") for w in marked}, hit.select_one(".hit-title").get_text()
    # where the words stand close together, the first passage holds both
    both_in_first = sum({"idlib", "ceasefire"} <= {w.rstrip("s") for w in _marks(h.select(".snippet")[0])} for h in hits)
    assert both_in_first == 5


def test_a_snippet_is_a_passage_of_sentences_not_the_start_of_the_block(client):
    data = api(client, "Idlib ceasefire")
    first = data["hits"][0]
    assert first["id"] == "1923848267"
    snippet = first["snippets"][0]
    assert snippet["passage"] == "1:1079-1414"
    assert snippet["link"] == "/doc/1923848267?q=Idlib+ceasefire&passage=1%3A1079-1414#p1"
    assert snippet["html"].startswith("… There has been heavy bombardment of areas in <mark>Idlib</mark> province")
    assert len(re.sub("<[^>]+>", "", snippet["html"])) <= 420 + 4


def test_page_furniture_is_never_the_start_of_a_passage(client):
    # the page begins "Last updated at Jun 142016 BEIRUT A Daesh counterattack ...": the stamp is furniture
    hit = next(h for h in api(client, "Daesh counterattack")["hits"] if h["id"] == "1924058061")
    assert hit["snippets"][0]["html"].startswith("… BEIRUT A <mark>Daesh</mark> <mark>counterattack</mark>")


def test_the_document_page_marks_the_passage_a_snippet_links_to(client):
    page = BeautifulSoup(client.get("/?q=Idlib+ceasefire").data, "html.parser")
    snippet = page.select(".hit")[0].select(".snippet")[0]
    href = snippet.select_one("a.para-link")["href"]
    doc = BeautifulSoup(client.get(href).data, "html.parser")
    passage = doc.select_one(".paragraphs mark.passage")
    assert passage["id"] == "p1" and urlsplit(href).fragment == "p1"  # the link's anchor is the passage
    assert len(doc.select("[id=p1]")) == 1 and "has-passage" in passage.find_parent("p")["class"]
    shown = snippet.get_text(" ", strip=True).removeprefix("¶1").strip(" …")
    assert " ".join(passage.get_text().split()) == " ".join(shown.split())
    assert [m.get_text() for m in passage.select("mark")] == ["Idlib", "ceasefire"]


@pytest.mark.parametrize("passage", ["9:1-2", "1:5-3", "abc", "1:0-999999", "0:1-5"])
def test_a_passage_that_is_not_in_the_article_is_ignored(client, passage):
    response = client.get("/doc/1923848267", query_string={"q": "Idlib", "passage": passage})
    assert response.status_code == 200
    doc = BeautifulSoup(response.data, "html.parser")
    assert not doc.select(".paragraphs mark.passage") and doc.select_one("p#p1.para")


def test_the_document_page_marks_a_name_found_by_another_spelling(client):
    doc = BeautifulSoup(client.get("/doc/1965495332", query_string={"q": "Asad"}).data, "html.parser")
    # the article never writes "Asad": each mention of the person is marked, inside its entity link
    assert [m.get_text() for m in doc.select(".paragraphs mark")] == ["Assad", "Assad", "Bashar Assad", "Assad", "Assad"]
    assert all(m.find_parent("a", class_="entity-person") for m in doc.select(".paragraphs mark"))
