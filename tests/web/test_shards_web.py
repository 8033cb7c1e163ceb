"""Every page and API answers the same on the sample corpus in 3 shards as on one index.

The sharded app searches its shards in the serving process (SEARCH_PROCESSES 1) and, in one
test, in two search processes; each answer is compared with the one-index app's, and checked
to hold what the request asks (so that two equally broken answers do not pass).
"""

from __future__ import annotations

import csv
import io
import json

import pytest
from bs4 import BeautifulSoup

from searchapp import web


@pytest.fixture(scope="module")
def clients(sample_index, sample_shards):
    one = web.create_app({"TESTING": True, "INDEX_DIR": str(sample_index), "SEARCH_PROCESSES": 1}).test_client()
    many = web.create_app({"TESTING": True, "INDEX_DIR": str(sample_shards), "SEARCH_PROCESSES": 1}).test_client()
    return one, many


def get(client, url: str):
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code, response.get_data(as_text=True)[:300])
    return response


@pytest.mark.parametrize(
    "url",
    [
        "/api/search?q=Syria",
        "/api/search?q=%22Security+Council%22",
        "/api/search?q=Aleppo+OR+Idlib",
        "/api/search?q=Syria+NOT+Idlib",
        "/api/search?q=Asad",
        "/api/search?q=gov*",
        "/api/search?q=said&sort=newest",
        "/api/search?sort=oldest&collapse=0",
        "/api/search?q=the&page=2&per_page=2",
        "/api/search?",
        "/api/search?q=Syria&year=2016&year=2020",
        "/api/search?q=syra",
    ],
)
def test_api_search_is_the_one_index_answer(clients, url):
    one, many = (json.loads(get(c, url).get_data(as_text=True)) for c in clients)
    assert one["total"] > 0
    assert many == one


def test_the_search_page_lists_the_same_hits_facets_and_chart(clients):
    pages = [BeautifulSoup(get(c, "/?q=Syria").get_data(as_text=True), "html.parser") for c in clients]
    for selector in (".hit", ".facet-values label", "figure.timeline svg a"):
        one, many = ([e.get_text(" ", strip=True) + e.get("aria-label", "") for e in page.select(selector)] for page in pages)
        assert one, selector
        assert many == one, selector


def test_the_facet_more_page_is_the_same(clients):
    url = "/?more=actor&more_page=2"
    one, many = (BeautifulSoup(get(c, url).get_data(as_text=True), "html.parser") for c in clients)
    listed = [e.get_text(" ", strip=True) for e in one.select(".facet-values label")]
    assert listed
    assert [e.get_text(" ", strip=True) for e in many.select(".facet-values label")] == listed


def test_the_document_page_and_more_like_this(clients):
    hits = json.loads(get(clients[0], "/api/search?q=Syria").get_data(as_text=True))["hits"]
    for hit in hits:
        one, many = (json.loads(get(c, f"/api/doc/{hit['id']}").get_data(as_text=True)) for c in clients)
        assert one["id"] == hit["id"]
        assert many == one
        page = BeautifulSoup(get(clients[1], f"/doc/{hit['id']}?q=Syria").get_data(as_text=True), "html.parser")
        assert page.select("mark")  # the query's words marked in the sharded index's page too
    assert clients[1].get("/api/doc/no-such-id").status_code == 404


def test_exports_are_the_same(clients):
    one, many = (get(c, "/export.csv?q=Syria&sort=oldest").get_data(as_text=True) for c in clients)
    rows = list(csv.DictReader(io.StringIO(one)))
    assert len(rows) > 1
    assert many == one
    one, many = (json.loads(get(c, "/export.json?q=the").get_data(as_text=True)) for c in clients)
    assert many == one


def test_the_feed_lists_the_same_entries(clients):
    one, many = (BeautifulSoup(get(c, "/feed.atom?q=Syria").get_data(as_text=True), "xml") for c in clients)
    ids = [e.get_text() for e in one.select("entry > id")]
    assert ids
    assert [e.get_text() for e in many.select("entry > id")] == ids


@pytest.mark.parametrize("url", ["/api/search?q=Syria&sort=sideways", "/api/search?published=2016-13", "/api/search?q=a*+b*+c*+d*+e*+f*+g*+h*+i*"])
def test_bad_requests_are_400_on_shards_too(clients, url):
    one, many = (c.get(url) for c in clients)
    assert one.status_code == 400
    assert (many.status_code, many.get_json()) == (one.status_code, one.get_json())


def test_two_search_processes_answer_as_one_index(sample_index, sample_shards):
    one = web.create_app({"TESTING": True, "INDEX_DIR": str(sample_index), "SEARCH_PROCESSES": 1}).test_client()
    app = web.create_app({"TESTING": True, "INDEX_DIR": str(sample_shards), "SEARCH_PROCESSES": 2})
    try:
        for url in ("/api/search?q=Syria", "/api/search?q=said&sort=newest", "/api/search?q=Idleb"):
            assert get(app.test_client(), url).get_json() == get(one, url).get_json()
    finally:
        app.extensions["searchapp"].index.close()


@pytest.fixture(scope="module")
def archives(tmp_path_factory):
    """An archive with its own facets (keyword, number, date: tests/web/test_custom_facets.py) as one index and in 3 shards."""
    from click.testing import CliRunner

    from searchapp.cli import main
    from tests.web.test_custom_facets import FACETS, HEADER, ROWS, write_csv

    folder = tmp_path_factory.mktemp("archive-shards")
    write_csv(folder / "archive.csv", HEADER, ROWS)
    made = []
    for name, extra in (("one", []), ("many", ["--shards", "3"])):
        args = ["index", "--quiet", "--processes", "1", "--index-dir", str(folder / name), *extra, *FACETS, str(folder / "archive.csv")]
        result = CliRunner().invoke(main, args)
        assert result.exit_code == 0, result.output
        made.append(folder / name)
    return [web.create_app({"TESTING": True, "INDEX_DIR": str(path), "SEARCH_PROCESSES": 1}).test_client() for path in made]


@pytest.mark.parametrize(
    "query",
    ["", "q=Idlib", "label=fake", "gov=Idlib&gov=Aleppo", "casualties=10+TO+40", "attack_date=2016", "label=credible&label_op=all", "casualties=5+TO+15&sort=newest"],
)
def test_the_archives_own_facets_are_the_same_on_shards(archives, query):
    one, many = (get(client, "/api/search?" + query).get_json() for client in archives)
    assert one["total"] > 0 and {"label", "gov", "casualties", "attack_date"} <= set(one["facets"])
    assert many == one
