"""The web front end over the bundled sample corpus (Flask test client; no server, no browser)."""

from __future__ import annotations

import csv
import io
import json
import re
from xml.etree import ElementTree as ET

import pytest
from bs4 import BeautifulSoup

from searchapp import web
from searchapp.web import exports

TELLER = "ha49b30f8f988e6a9"  # Teller Report, 2020-05-18: the best "Idlib ceasefire" hit
PRESS_TV_MARCH = "h15dd328f73f91a1c"  # Press TV, 2016-03-02
PRESS_TV_APRIL = "h24eaaa39f64a582a"  # Press TV, 2016-04-28
IMMORTAL = "h40e75c67fb8d1f63"  # Immortal News, 2016-05 (month precision)
SABAH = "h6e2440fea18d8874"  # Daily Sabah, 2021-09-30
ATOM = "{http://www.w3.org/2005/Atom}"


def soup(response) -> BeautifulSoup:
    return BeautifulSoup(response.get_data(as_text=True), "html.parser")


def facet(data: dict, name: str) -> dict[str, tuple[int, bool]]:
    return {v["value"]: (v["count"], v["selected"]) for v in data["facets"][name]}


# ---------------------------------------------------------------------------------------------
# JSON API


def test_api_search_shape_and_values(client):
    data = client.get("/api/search?q=Idlib+ceasefire").get_json()
    assert data["total"] == 2  # Daily Sabah writes "cease-fire"
    assert data["page"] == 1
    assert data["did_you_mean"] is None
    hit, sabah = data["hits"]
    assert {k: hit[k] for k in ("id", "title", "outlet", "published")} == {
        "id": TELLER,
        "title": "America demands UN supervision of peace in Syria.. Erdogan and Putin discuss the file",
        "outlet": "Teller Report",
        "published": "2020-05-18",
    }
    assert hit["url"].startswith("https://www.tellerreport.com/")
    assert [s["paragraph"] for s in hit["snippets"]] == [6, 16]
    assert "<mark>Idlib</mark>" in hit["snippets"][0]["html"] and "<mark>ceasefire</mark>" in hit["snippets"][0]["html"]
    assert hit["link"] == f"/doc/{TELLER}?q=Idlib+ceasefire#p6"
    assert set(data["facets"]) == {"outlet", "year", "actor", "place", "month", "language"}
    assert (sabah["id"], [s["paragraph"] for s in sabah["snippets"]]) == (SABAH, [11, 3])
    assert "<mark>cease-fire</mark>" in sabah["snippets"][0]["html"]
    assert data["facets"]["outlet"] == [
        {"value": "Daily Sabah", "count": 1, "selected": False},
        {"value": "Teller Report", "count": 1, "selected": False},
    ]
    assert data["facets"]["year"] == [{"value": "2021", "count": 1, "selected": False}, {"value": "2020", "count": 1, "selected": False}]
    assert data["facets"]["language"] == [{"value": "English", "count": 2, "selected": False}]


def test_facets_or_within_and_across_each_counted_without_its_own_filter(client):
    everything = client.get("/api/search").get_json()
    assert everything["total"] == 5
    assert facet(everything, "outlet") == {
        "Press TV": (2, False), "Daily Sabah": (1, False), "Immortal News": (1, False), "Teller Report": (1, False)
    }
    ticked = client.get("/api/search?outlet=Press+TV").get_json()
    assert ticked["total"] == 2
    assert {h["id"] for h in ticked["hits"]} == {PRESS_TV_MARCH, PRESS_TV_APRIL}
    # the outlet facet is counted without the outlet filter: the other outlets stay, with counts
    assert facet(ticked, "outlet") == {
        "Press TV": (2, True), "Daily Sabah": (1, False), "Immortal News": (1, False), "Teller Report": (1, False)
    }
    # ... while the other facets are counted under it
    assert facet(ticked, "year") == {"2016": (2, False)}
    # OR within a facet
    two = client.get("/api/search?outlet=Press+TV&outlet=Daily+Sabah").get_json()
    assert two["total"] == 3
    # AND across facets
    both = client.get("/api/search?outlet=Press+TV&outlet=Daily+Sabah&year=2021").get_json()
    assert [h["id"] for h in both["hits"]] == [SABAH]
    assert facet(both, "year") == {"2021": (1, True), "2016": (2, False)}
    assert facet(both, "outlet") == {"Daily Sabah": (1, True)} | {"Press TV": (0, True)}


def test_actor_facet_separates_people_and_orgs(client):
    data = client.get("/api/search?q=Lavrov&more=actor").get_json()
    assert data["total"] == 2
    assert len(client.get("/api/search?q=Lavrov").get_json()["facets"]["actor"]) == 10
    kinds = {v["value"]: v.get("kind") for v in data["facets"]["actor"]}
    assert kinds["Sergei Lavrov"] == "person"
    assert kinds["UN Security Council"] == "org"
    page = soup(client.get("/?q=Lavrov&more=actor"))
    people = [label.get_text(" ", strip=True) for label in page.select("#facet-actor-person + ul label")]
    orgs = [label.get_text(" ", strip=True) for label in page.select("#facet-actor-org + ul label")]
    assert "Sergei Lavrov 2" in people
    assert any(o.startswith("UN Security Council") for o in orgs)
    assert not any(p.startswith("UN Security Council") for p in people)


def test_sorting_newest_and_oldest(client):
    newest = [h["published"] for h in client.get("/api/search?q=Syria&sort=newest").get_json()["hits"]]
    oldest = [h["published"] for h in client.get("/api/search?q=Syria&sort=oldest").get_json()["hits"]]
    assert newest == ["2021-09-30", "2020-05-18", "2016-05", "2016-04-28", "2016-03-02"]
    assert oldest == list(reversed(newest))
    page = soup(client.get("/?q=Syria&sort=oldest"))
    assert [t["datetime"] for t in page.select(".hit .meta time")] == oldest
    assert page.select_one(".sort .current").get_text() == "oldest"


def test_paging(sample_index):
    app = web.create_app({"TESTING": True, "INDEX_DIR": str(sample_index), "PER_PAGE": 2})
    client = app.test_client()
    pages = [client.get(f"/api/search?sort=newest&page={n}").get_json() for n in (1, 2, 3)]
    assert [[h["id"] for h in p["hits"]] for p in pages] == [[SABAH, TELLER], [IMMORTAL, PRESS_TV_APRIL], [PRESS_TV_MARCH]]
    assert all(p["total"] == 5 and p["pages"] == 3 for p in pages)
    html = soup(client.get("/?sort=newest&page=2"))
    assert html.select_one(".pagination .current").get_text() == "2"
    assert html.select_one(".pagination a[rel=prev]")["href"] == "/?sort=newest&page=1"
    assert html.select_one(".pagination a[rel=next]")["href"] == "/?sort=newest&page=3"
    assert html.select_one("ol.hits")["start"] == "3"
    beyond = client.get("/api/search?page=4").get_json()
    assert beyond["hits"] == [] and beyond["total"] == 5


@pytest.mark.parametrize(
    "query",
    ["page=abc", "page=%C2%B2", "page=1%C2%B9", "page=%D9%A3", "page=99999", "page=0", "page=-1", "sort=bogus", "q=" + "x" * 5000, "q=%3Cscript%3Edate:notadate", "q=date:[bogus+TO+x]", "q=%E2%80%AE%F0%9F%98%80", "page=1&page=2", "outlet=" + "o" * 400],
)
def test_bad_parameters_are_400_with_a_message(client, query):
    api = client.get("/api/search?" + query)
    assert api.status_code == 400
    assert api.is_json and api.get_json()["error"]
    page = client.get("/?" + query)
    assert page.status_code == 400
    assert soup(page).select_one("#q-error").get_text(strip=True).startswith("Cannot search:")


@pytest.mark.parametrize(
    ("query", "total", "filters"),
    [
        ("outlet=%00%ff%E2%80%AE", 0, {"outlet": ["\x00%FF\u202e"]}),
        ("year=%F0%9F%98%80", 0, {"year": ["😀"]}),
        ("actor=Nobody&place=Nowhere", 0, {"actor": ["Nobody"], "place": ["Nowhere"]}),
        ("q=Erdo%C4%9Fan+%F0%9F%98%80", 2, {}),  # the emoji is no word: the two articles naming Erdoğan
        ("more=bogus", 5, {}),
        ("q=title:", 0, {}),
    ],
)
def test_odd_but_valid_parameters_are_fine(client, query, total, filters):
    answer = client.get("/api/search?" + query).get_json()
    assert (answer["total"], answer["filters"]) == (total, filters)
    page = soup(client.get("/?" + query))
    assert page.select_one("h2.total").get_text(" ", strip=True).startswith(f"{total} article")
    assert [chip.get_text(" ", strip=True).split(": ", 1)[1].removesuffix(" ×") for chip in page.select("ul.chips a.chip")] == [
        v for values in filters.values() for v in values if v.strip()
    ]


def test_query_is_escaped_in_html(client):
    response = client.get("/?q=%3Cscript%3Ealert(1)%3C/script%3E")
    text = response.get_data(as_text=True)
    assert "<script>" not in text
    assert soup(response).select_one("#q")["value"] == "<script>alert(1)</script>"
    ok = client.get("/?q=Syria+%22%3Cb%3E%22")
    assert "<b>" not in ok.get_data(as_text=True)


def test_unknown_routes_and_ids_are_404(client):
    api = client.get("/api/doc/nope")
    assert api.status_code == 404 and api.get_json() == {"error": "no document with id 'nope'"}
    assert client.get("/api/nothing").status_code == 404
    assert client.get("/api/nothing").is_json
    page = client.get("/doc/nope")
    assert page.status_code == 404
    assert soup(page).select_one("h1").get_text() == "Not found (404)"
    assert client.get("/nothing").status_code == 404


def test_api_doc(client):
    data = client.get(f"/api/doc/{IMMORTAL}").get_json()
    assert list(data) == ["id", "title", "outlet", "published", "url", "paragraphs", "entities", "inferred"]
    assert data["id"] == IMMORTAL
    assert data["outlet"] == "Immortal News"
    assert data["published"] == "2016-05"
    assert data["paragraphs"][0] == "UN Envoy Staffan de Mistura - Photo from the UN website"
    assert data["inferred"] == []
    actors = {a["name"]: a for a in data["entities"]["actors"]}
    assert actors["Sergei Lavrov"] == {"name": "Sergei Lavrov", "kind": "person", "paragraphs": [3, 5]}  # 1-based
    assert "Lavrov" in data["paragraphs"][3 - 1]
    places = {p["name"]: p["paragraphs"] for p in data["entities"]["places"]}
    assert places["Geneva"] == [3, 9]
    sabah = client.get(f"/api/doc/{SABAH}").get_json()
    assert {"text": "Thursday", "value": "2021-09-30", "paragraph": 1} in sabah["entities"]["dates"]


# ---------------------------------------------------------------------------------------------
# Pages


def test_search_page(client):
    response = client.get("/?q=Idlib+ceasefire")
    assert response.status_code == 200
    page = soup(response)
    assert page.select_one("form[role=search] input[name=q]#q")["value"] == "Idlib ceasefire"
    assert page.select_one("label[for=q]")
    assert "All words must match" in page.select_one("#q-help").get_text()
    assert page.select_one("details.syntax-help")
    assert page.select_one("h2.total").get_text(" ", strip=True).startswith("2 articles match")
    title = page.select_one(".hit-title a")
    assert title["href"] == f"/doc/{TELLER}?q=Idlib+ceasefire#p6"
    snippets = page.select(".hit:first-child .snippet")
    # each snippet links to its passage: the paragraph's anchor, and the passage's range for the page to mark
    assert [s.select_one("a.para-link")["href"] for s in snippets] == [
        f"/doc/{TELLER}?q=Idlib+ceasefire&passage=6%3A0-198#p6", f"/doc/{TELLER}?q=Idlib+ceasefire&passage=16%3A0-284#p16"
    ]
    assert [m.get_text() for m in snippets[0].select("mark")] == ["Idlib", "ceasefire"]
    assert page.select_one(".hit .meta").get_text(" ", strip=True) == "Teller Report · 18 May 2020"
    # facets: checkboxes in the GET form, with counts
    box = page.select_one("#facet-outlet input[type=checkbox][name=outlet]")
    assert box["value"] == "Daily Sabah" and not box.has_attr("checked")
    assert page.select_one(f"label[for={box['id']}]").get_text(" ", strip=True) == "Daily Sabah 1"
    assert page.select_one("button.apply").get_text() == "Apply filters"
    assert page.select_one("main#main") and page.select_one("aside[aria-label=Filters]")
    # feed and exports
    assert page.select_one('link[rel=alternate][type="application/atom+xml"]')["href"] == "/feed.atom?q=Idlib+ceasefire"
    assert page.select_one("a.feed").get_text() == "Subscribe (Atom)"
    assert not page.select("script") and "style=" not in response.get_data(as_text=True)


def test_active_filters_are_removable_chips(client):
    page = soup(client.get("/?q=Syria&outlet=Press+TV&year=2016&page=1"))
    chips = {a.get_text(" ", strip=True): a["href"] for a in page.select(".chips a.chip")}
    assert chips == {"Outlet: Press TV ×": "/?q=Syria&year=2016", "Year published: 2016 ×": "/?q=Syria&outlet=Press+TV"}
    assert page.select_one("#facet-outlet input[value='Press TV']").has_attr("checked")


def test_more_link_lifts_the_facet_size(sample_index):
    app = web.create_app({"TESTING": True, "INDEX_DIR": str(sample_index), "FACET_SIZE": 3})
    client = app.test_client()
    page = soup(client.get("/?q=Syria"))
    assert len(page.select("#facet-place .facet-values input")) == 3
    more = page.select_one("#facet-place a.more")
    assert more["href"] == "/?q=Syria&more=place#facet-place"
    expanded = soup(client.get("/?q=Syria&more=place"))
    assert len(expanded.select("#facet-place .facet-values input")) > 3
    assert len(expanded.select("#facet-outlet .facet-values input")) == 3


def test_did_you_mean(client):
    page = soup(client.get("/?q=syra"))
    link = page.select_one(".did-you-mean a")
    assert link.get_text() == "syria" and link["href"] == "/?q=syria"


def test_timeline_chart_links_to_periods(client):
    page = soup(client.get("/"))
    bars = {a["aria-label"]: a["href"] for a in page.select("figure.timeline svg a")}
    assert bars["2016: 3 articles"] == "/?published=2016"
    assert bars["2017: 0 articles"] == "/?published=2017"
    assert bars["2021: 1 article"] == "/?published=2021"
    # a short range is drawn per month, each bar a published-date filter for its month (the query box untouched)
    months = soup(client.get("/?q=Lavrov"))
    bars = {a["aria-label"]: a["href"] for a in months.select("figure.timeline svg a")}
    assert list(bars) == ["2016-03: 1 article", "2016-04: 0 articles", "2016-05: 1 article"]
    assert bars["2016-05: 1 article"] == "/?q=Lavrov&published=2016-05"
    followed = soup(client.get(bars["2016-05: 1 article"]))
    assert followed.select_one(".hit-title a")["href"].startswith(f"/doc/{IMMORTAL}")
    assert followed.select_one("h2.total").get_text(" ", strip=True) == "1 article match Lavrov"
    assert followed.select_one("#q")["value"] == "Lavrov"


def test_document_page(client):
    response = client.get(f"/doc/{TELLER}?q=Idlib+ceasefire")
    assert response.status_code == 200
    page = soup(response)
    assert page.select_one("h1#doc-title").get_text().startswith("America demands UN supervision")
    assert page.select_one(".meta time")["datetime"] == "2020-05-18"
    assert page.select_one(".meta time").get_text() == "18 May 2020"
    original = page.select_one("a.original")
    assert original["href"].startswith("https://www.tellerreport.com/") and original["rel"] == ["noopener", "noreferrer"]
    paragraphs = page.select(".paragraphs p.para")
    assert [p["id"] for p in paragraphs[:3]] == ["p1", "p2", "p3"]
    assert len(paragraphs) == len(client.get(f"/api/doc/{TELLER}").get_json()["paragraphs"])
    assert page.select_one("#p1 a.para-link")["href"] == "#p1"
    assert [m.get_text() for m in page.select("#p6 mark")] == ["Idlib", "ceasefire"]
    # entities are links to a filtered search, marked by kind
    putin = page.select_one("#p1 a.entity-person[href='/?actor=Vladimir+Putin']")
    assert putin is not None and putin.get_text() == "Vladimir Putin"
    assert page.select_one("#p1 a.entity-place[href='/?place=Syria']").get_text() == "Syria"
    assert page.select(".similar li a")  # more like this
    assert TELLER not in [a["href"].rsplit("/", 1)[-1] for a in page.select(".similar li a")]
    plain = soup(client.get(f"/doc/{TELLER}"))
    assert not plain.select(".paragraphs mark")


def test_month_precision_date_on_document_page(client):
    page = soup(client.get(f"/doc/{IMMORTAL}"))
    assert page.select_one(".meta time").get_text() == "May 2016"


def test_security_headers_everywhere(client):
    for url in ("/", "/doc/nope", "/api/search", "/feed.atom", "/static/style.css", "/?page=abc"):
        with client.get(url) as response:
            headers = response.headers
        assert "script-src 'none'" in headers["Content-Security-Policy"]
        assert "frame-ancestors 'none'" in headers["Content-Security-Policy"]
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert headers["X-Frame-Options"] == "DENY"
        assert headers["Referrer-Policy"] == "same-origin"


# ---------------------------------------------------------------------------------------------
# Exports and feed


def test_csv_export_holds_every_hit_ranked_once(sample_index, monkeypatch):
    from searchapp.query import search

    rankings = []
    real_ranked = search._ranked
    monkeypatch.setattr(search, "_ranked", lambda *args: rankings.append(args[4]) or real_ranked(*args))
    monkeypatch.setattr(search, "facet_tallies", lambda *args: pytest.fail("an export computes no facets"))
    app = web.create_app({"TESTING": True, "INDEX_DIR": str(sample_index), "PER_PAGE": 1})
    response = app.test_client().get("/export.csv?q=Syria&sort=oldest&page=2")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    assert [r["id"] for r in rows] == [PRESS_TV_MARCH, PRESS_TV_APRIL, IMMORTAL, TELLER, SABAH]
    assert list(rows[0]) == [
        "id", "title", "outlet", "published", "url", "score", "snippet", "link", "other_versions", "other_version_ids",
        "people", "organisations", "places",
    ]  # fmt: skip
    assert rows[0]["outlet"] == "Press TV" and rows[0]["published"] == "2016-03-02"
    assert "<mark>" not in rows[0]["snippet"] and "Syria" in rows[0]["snippet"]
    assert rows[0]["link"].startswith(f"/doc/{PRESS_TV_MARCH}?q=Syria#p")
    assert rankings == [5]  # every hit, in order, from one ranking of the search (not a page at a time)


def test_export_json_and_limit(sample_index):
    client = web.create_app({"TESTING": True, "INDEX_DIR": str(sample_index), "EXPORT_LIMIT": 4}).test_client()
    data = json.loads(client.get("/export.json?q=Lavrov").get_data(as_text=True))
    assert data["total"] == 2 and {h["id"] for h in data["hits"]} == {IMMORTAL, PRESS_TV_MARCH}
    refused = client.get("/export.csv?q=Syria")
    assert refused.status_code == 400
    assert "at most 4" in soup(refused).select_one(".error").get_text()
    assert client.get("/export.json?sort=bogus").status_code == 400


@pytest.fixture()
def slow_clock(monkeypatch):
    """A clock that advances one second each time an export looks at it: the deadline of 2.5 s passes at the third hit."""
    ticks = iter(range(10_000))
    monkeypatch.setattr(exports.time, "monotonic", lambda: float(next(ticks)))


def test_an_export_past_its_deadline_is_visibly_incomplete(sample_index, slow_clock):
    client = web.create_app({"TESTING": True, "INDEX_DIR": str(sample_index), "EXPORT_SECONDS": 2.5}).test_client()
    text = client.get("/export.json?q=Syria&sort=oldest").get_data(as_text=True)
    with pytest.raises(json.JSONDecodeError):
        json.loads(text)
    *hits, trailer = text.rstrip("\n").split("\n")
    assert [json.loads(h.rstrip(","))["id"] for h in hits[1:]] == [PRESS_TV_MARCH, PRESS_TV_APRIL]
    assert json.loads(trailer) == {
        "error": "export cut after 2 of 5 hits: it took longer than 2.5 s (SEARCHAPP_EXPORT_SECONDS); narrow the search"
    }
    rows = list(csv.reader(io.StringIO(client.get("/export.csv?q=Syria&sort=oldest").get_data(as_text=True))))
    assert [r[0] for r in rows[1:-1]] == [PRESS_TV_MARCH, PRESS_TV_APRIL]
    assert rows[-1] == ["INCOMPLETE EXPORT: export cut after 2 of 5 hits: it took longer than 2.5 s (SEARCHAPP_EXPORT_SECONDS); narrow the search"]


@pytest.mark.parametrize(
    ("error", "told"),
    [
        (RuntimeError("a bug"), "server error"),
        (OSError("segment file vanished"), "the search index is not available right now: it is damaged; the administrator can run `searchapp check`"),
    ],
    ids=["bug", "damaged-index"],
)
def test_an_export_that_fails_midway_says_so_at_its_end(client, monkeypatch, error, told):
    from searchapp.query import search

    real_hit = search._hit
    made = []

    def failing_hit(*args, **kwargs):
        made.append(1)
        if len(made) == 3:
            raise error
        return real_hit(*args, **kwargs)

    monkeypatch.setattr(search, "_hit", failing_hit)
    text = client.get("/export.json?q=Syria").get_data(as_text=True)
    assert json.loads(text.rstrip().splitlines()[-1]) == {"error": f"export cut after 2 of 5 hits: {told}"}  # no server path
    made.clear()
    rows = list(csv.reader(io.StringIO(client.get("/export.csv?q=Syria").get_data(as_text=True))))
    assert len(rows) == 4 and rows[-1] == [f"INCOMPLETE EXPORT: export cut after 2 of 5 hits: {told}"]


def test_csv_cells_cannot_be_formulas():
    assert exports._cell("=HYPERLINK(\"http://x\")") == "'=HYPERLINK(\"http://x\")"
    assert [exports._cell(x) for x in ("+1", "-1", "@SUM(A1)", "\t=1", "plain", None, 4.5)] == ["'+1", "'-1", "'@SUM(A1)", "'\t=1", "plain", "", "4.5"]


@pytest.fixture(scope="module")
def formula_index(tmp_path_factory, sample_index):
    """A one-article index whose title and text start like spreadsheet formulas."""
    from searchapp.ingest.run import IndexOptions, index_paths
    folder = tmp_path_factory.mktemp("formula")
    record = {
        "id": "evil1",
        "title": "=HYPERLINK(\"http://evil.example\",\"click\")",
        "outlet": "@Outlet",
        "published": "2019-01-02",
        "url": "https://example.org/evil",
        "text": "-2+3 ceasefire cmd|' /C calc'!A0 in Idlib. <b>bold</b> & co\n\nA second paragraph about the ceasefire.",
    }
    source = folder / "evil.jsonl"
    source.write_text(json.dumps(record) + "\n", encoding="utf-8")
    index_dir = folder / "index"
    summary = index_paths([source], index_dir, IndexOptions(processes=1))
    assert summary.added == 1
    return index_dir


def test_csv_export_neutralises_formulas(formula_index):
    client = web.create_app({"TESTING": True, "INDEX_DIR": str(formula_index)}).test_client()
    [row] = list(csv.DictReader(io.StringIO(client.get("/export.csv?q=ceasefire").get_data(as_text=True))))
    assert row["title"] == "'=HYPERLINK(\"http://evil.example\",\"click\")"
    assert row["snippet"].startswith("'-2+3 ceasefire")


def test_atom_feed(client):
    response = client.get("/feed.atom?q=Syria&outlet=Press+TV")
    assert response.status_code == 200 and response.mimetype == "application/atom+xml"
    root = ET.fromstring(response.get_data())
    assert root.tag == f"{ATOM}feed"
    assert root.findtext(f"{ATOM}title") == "searchapp: Syria (outlet: Press TV)"
    entries = root.findall(f"{ATOM}entry")
    assert [e.findtext(f"{ATOM}updated") for e in entries] == ["2016-04-28T00:00:00Z", "2016-03-02T00:00:00Z"]  # newest first
    first = entries[0]
    assert first.findtext(f"{ATOM}id") == f"urn:searchapp:doc:{PRESS_TV_APRIL}"  # no public_url: names, relative links
    assert first.findtext(f"{ATOM}title") == "UN asks Russia, US to intervene at 'highest level' to save Syria talks"
    assert first.find(f"{ATOM}link").get("href").startswith(f"/doc/{PRESS_TV_APRIL}?q=Syria#p")
    summary = first.findtext(f"{ATOM}summary")
    assert "Syria" in summary and "<mark>" not in summary
    assert root.findtext(f"{ATOM}updated") == "2016-04-28T00:00:00Z"


@pytest.mark.parametrize("public_url", ["", "https://news.example.org/", "https://news.example.org"])
def test_feed_ids_and_links_never_come_from_the_host_header(sample_index, public_url):
    client = web.create_app({"TESTING": True, "INDEX_DIR": str(sample_index), "PUBLIC_URL": public_url}).test_client()
    response = client.get("/feed.atom?q=Syria&outlet=Press+TV", headers={"Host": "evil.example"})
    assert b"evil.example" not in response.get_data()
    root = ET.fromstring(response.get_data())
    first = root.findall(f"{ATOM}entry")[0]
    base = public_url.rstrip("/")
    assert first.findtext(f"{ATOM}id") == (f"{base}/doc/{PRESS_TV_APRIL}" if base else f"urn:searchapp:doc:{PRESS_TV_APRIL}")
    assert first.find(f"{ATOM}link").get("href").startswith(f"{base}/doc/{PRESS_TV_APRIL}?q=Syria#p")
    links = {link.get("rel"): link.get("href") for link in root.findall(f"{ATOM}link")}
    assert links == {"alternate": f"{base}/?q=Syria&outlet=Press+TV", "self": f"{base}/feed.atom?q=Syria&outlet=Press+TV"}
    assert root.findtext(f"{ATOM}id") == (f"{base}/?q=Syria&outlet=Press+TV" if base else "urn:searchapp:search:%2F%3Fq%3DSyria%26outlet%3DPress%2BTV")


@pytest.fixture(scope="module")
def control_index(tmp_path_factory):
    """A one-article index whose title and outlet hold control characters (as scraped pages do)."""
    from searchapp.ingest.run import IndexOptions, index_paths

    folder = tmp_path_factory.mktemp("control")
    record = {"id": "ctl\x01", "title": "Ceasefire\x01 talks \x1b[31mresume\x7f", "outlet": "Out\x02let", "text": "The ceasefire\x0b talks resumed in Geneva.", "date": "2016-03-02"}
    (folder / "c.jsonl").write_text(json.dumps(record) + "\n", encoding="utf-8")
    assert index_paths([folder / "c.jsonl"], folder / "ix", IndexOptions(processes=1)).added == 1
    return folder / "ix"


@pytest.mark.parametrize("q", ["ceasefire", "ceasefire\x01", "ceasefire \x1b talks", "\ufffe ceasefire"])
def test_feed_is_well_formed_whatever_the_titles_and_query_hold(control_index, q):
    client = web.create_app({"TESTING": True, "INDEX_DIR": str(control_index)}).test_client()
    response = client.get("/feed.atom", query_string={"q": q})
    assert response.status_code == 200
    root = ET.fromstring(response.get_data())  # ill-formed XML raises
    [entry] = root.findall(f"{ATOM}entry")
    assert entry.findtext(f"{ATOM}title") == "Ceasefire talks [31mresume\x7f"
    assert entry.findtext(f"{ATOM}author/{ATOM}name") == "Outlet"
    assert entry.findtext(f"{ATOM}id") == "urn:searchapp:doc:ctl%01"
    assert root.findtext(f"{ATOM}title").startswith("searchapp: ") and "\x01" not in root.findtext(f"{ATOM}title")


def test_feed_escapes_markup(formula_index):
    client = web.create_app({"TESTING": True, "INDEX_DIR": str(formula_index)}).test_client()
    response = client.get("/feed.atom?q=bold")  # the passage of the match: the sentence with the markup
    assert b"&lt;b&gt;bold&lt;/b&gt; &amp; co" in response.get_data()
    root = ET.fromstring(response.get_data())
    [entry] = root.findall(f"{ATOM}entry")
    assert entry.findtext(f"{ATOM}title").startswith("=HYPERLINK(")
    assert "<b>bold</b> & co" in entry.findtext(f"{ATOM}summary")
    assert entry.findtext(f"{ATOM}updated") == "2019-01-02T00:00:00Z"


def test_new_index_generation_is_seen_without_restart(tmp_path, sample_index, formula_index):
    """Each request opens a fresh searcher: a document added after start-up shows at once."""
    import shutil

    from searchapp.ingest.run import IndexOptions, index_paths
    index_dir = tmp_path / "live"
    shutil.copytree(formula_index, index_dir)
    client = web.create_app({"TESTING": True, "INDEX_DIR": str(index_dir)}).test_client()
    assert client.get("/api/search").get_json()["total"] == 1
    source = tmp_path / "more.jsonl"
    source.write_text(json.dumps({"id": "late1", "title": "Late news", "text": "A late ceasefire story.", "published": "2020-02-02"}) + "\n")
    assert index_paths([source], index_dir, IndexOptions(processes=1)).added == 1
    data = client.get("/api/search").get_json()
    assert data["total"] == 2
    assert client.get("/doc/late1").status_code == 200


def test_pages_carry_no_script_and_no_inline_style(client):
    for url in ("/", "/?q=Lavrov", f"/doc/{TELLER}?q=Idlib", "/doc/nope", "/?page=abc"):
        response = client.get(url)
        text = response.get_data(as_text=True)
        page = soup(response)
        assert not page.select("script") and not page.select("[style]") and "<style" not in text, url
        assert not [a for a in page.select("*") if any(k.startswith("on") for k in a.attrs)], url
        assert page.select_one("main") and page.select_one("header") and page.select_one("footer")


def test_errors_under_api_are_json_elsewhere_html(client):
    assert client.post("/api/search").get_json() == {"error": "The method is not allowed for the requested URL."}
    assert client.post("/").status_code == 405
    assert soup(client.post("/")).select_one("h1").get_text() == "Method Not Allowed (405)"


def test_serve_command_runs_gunicorn_with_the_options(tmp_path):
    from click.testing import CliRunner

    from searchapp.cli import main
    from searchapp.config import Settings
    from searchapp.web.serve import make_server, server_options

    missing = CliRunner().invoke(main, ["serve", "--index-dir", str(tmp_path / "none")])
    assert missing.exit_code == 2 and "no such folder" in missing.output
    server = make_server(Settings(index_dir=tmp_path), server_options("127.0.0.1", 5123, 3))
    assert server.cfg.workers == 3
    assert server.cfg.bind == ["127.0.0.1:5123"]
    assert server.load().extensions["searchapp"].settings.index_dir == tmp_path


def test_timeline_years_or_months_with_gaps():
    from datetime import datetime

    import numpy as np
    from whoosh.util.times import datetime_to_long

    from searchapp.query.facets import MISSING_DATE
    from searchapp.query.timeline import timeline

    def keys(*days):
        return np.array([datetime_to_long(datetime(*d)) for d in days] + [MISSING_DATE], dtype=np.int64)

    years = timeline(keys((2016, 3, 2), (2016, 12, 31), (2019, 1, 1)), MISSING_DATE)
    assert [(b.period, b.count) for b in years] == [("2016", 2), ("2017", 0), ("2018", 0), ("2019", 1)]
    months = timeline(keys((2016, 3, 2), (2016, 5, 1), (2016, 5, 31)), MISSING_DATE)
    assert [(b.period, b.count) for b in months] == [("2016-03", 1), ("2016-04", 0), ("2016-05", 2)]
    assert timeline(np.array([MISSING_DATE], dtype=np.int64), MISSING_DATE) == []


def test_a_prefix_finds_every_word_it_covers_and_marks_them(client):
    def total(q):
        return client.get("/api/search", query_string={"q": q, "collapse": "0"}).get_json()["total"]

    assert total("negotiat*") >= max(total("negotiations"), total("negotiating")) > 0
    data = client.get("/api/search", query_string={"q": "negotiat*"}).get_json()
    marked = {m.lower() for h in data["hits"] for s in h["snippets"] for m in re.findall(r"<mark>(.*?)</mark>", s["html"])}
    assert marked and all(m.startswith("negotiat") for m in marked)


def test_exclusions_alone_and_unknown_fields(client):
    every = client.get("/api/search").get_json()["total"]
    aleppo = client.get("/api/search", query_string={"q": "Aleppo", "collapse": "0"}).get_json()["total"]
    assert client.get("/api/search", query_string={"q": "-Aleppo", "collapse": "0"}).get_json()["total"] == every - aleppo
    response = client.get("/", query_string={"q": "foo:bar"})
    assert response.status_code == 400
    assert soup(response).select_one("#q-error").get_text(" ", strip=True).startswith("Cannot search: unknown field 'foo'")
    page = soup(client.get("/", query_string={"q": "Idlib or Aleppo"}))
    assert page.select_one("p.query-hint").get_text(strip=True) == "“or” was searched as a word; write OR to combine the words around it"
