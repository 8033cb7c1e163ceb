"""Facets usable on a large archive: a search box in each facet, the "more" list paged, "any of" or
"all of" the ticked values, chart bars that add a published-period filter, "Filters (n)" first.

HTTP tests on the bundled sample index (five articles, 29 actors, 26 places); the slow ones at the
end run on FA-KES dev (../shared/corpora/fakes-dev, CC BY: Abu Salem et al., ICWSM 2019).
"""

from __future__ import annotations

import json

import pytest
from bs4 import BeautifulSoup
from click.testing import CliRunner

from searchapp.cli import main
from searchapp.query.facets import fold
from searchapp.web import create_app
from tests.conftest import ROOT, SHARED

# ../shared beside the checkout (or beside the folder of worktrees)
FAKES = next((p / "corpora/fakes-dev/fakes-dev.csv" for p in (SHARED, ROOT.parent.parent / "shared") if (p / "corpora/fakes-dev/fakes-dev.csv").is_file()), SHARED / "corpora/fakes-dev/fakes-dev.csv")
DAILY_SABAH, TELLER, IMMORTAL, PRESS_APRIL, PRESS_MARCH = (
    "h6e2440fea18d8874", "ha49b30f8f988e6a9", "h40e75c67fb8d1f63", "h24eaaa39f64a582a", "h15dd328f73f91a1c"
)  # fmt: skip


def soup(response) -> BeautifulSoup:
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    return BeautifulSoup(response.get_data(as_text=True), "html.parser")


@pytest.fixture(scope="module")
def web(sample_index):
    """The sample index served with pages of 10 facet values, so its 29 actors make three pages."""
    return create_app({"TESTING": True, "INDEX_DIR": str(sample_index), "FACET_PAGE_SIZE": 10}).test_client()


def labels(page: BeautifulSoup, facet: str) -> list[str]:
    return [label.get_text(" ", strip=True) for label in page.select(f"#facet-{facet} .facet-values label")]


def ticked(page: BeautifulSoup, facet: str) -> list[str]:
    return [box["value"] for box in page.select(f"#facet-{facet} .facet-values input[checked]")]


# ---------------------------------------------------------------------------------------------
# 1. A search box in each facet; the "more" list paged


@pytest.mark.parametrize(
    ("text", "folded"),
    [("Recep Tayyip Erdoğan", "recep tayyip erdogan"), ("DEIR EZ-ZÔR", "deir ez zor"), ("al-Nuṣra", "al nusra"), ("مُحَمَّد", "محمد"), ("إدلب", "ادلب"), ("حماة", "حماه"), ("مستشفى", "مستشفي")],
)
def test_fold_ignores_case_accents_punctuation_and_arabic_vowels(text, folded):
    assert fold(text) == folded


@pytest.mark.parametrize(
    ("facet", "typed", "shown"),
    [
        ("actor", "ERDOGAN", ["Recep Tayyip Erdoğan 2"]),  # case and accents ignored
        ("actor", "syrian a", ["Syrian Arab Army 5"]),
        ("actor", "council", ["UN Security Council 4"]),
        ("place", "IA", ["Russia 5", "Syria 5", "Saudi Arabia 3"]),  # by count, then name
        ("place", "blacksea", ["Black Sea 1"]),  # spaces ignored too
        ("place", "  damASCUS ", ["Damascus 2"]),
    ],
)
def test_a_facet_search_lists_only_the_values_containing_the_text(web, facet, typed, shown):
    page = soup(web.get("/", query_string={f"{facet}_find": typed}))
    assert labels(page, facet) == shown
    box = page.select_one(f"#facet-{facet} input[type=search]")
    assert (box["name"], box["value"]) == (f"{facet}_find", typed.strip())
    assert page.select_one(f"#facet-{facet} .facet-found").get_text(" ", strip=True) == f"{len(shown)} match “ {typed.strip()} ” · show all"
    # the other facets are untouched, and the results too
    assert len(labels(page, "outlet")) == 4
    assert page.select_one("h2.total").get_text(" ", strip=True) == "5 articles"


def test_a_facet_search_keeps_the_query_the_ticked_values_and_the_other_filters(web):
    page = soup(web.get("/?q=Syria&actor=Vladimir+Putin&outlet=Daily+Sabah&place_op=all&actor_find=erdogan"))
    assert labels(page, "actor") == ["Recep Tayyip Erdoğan 1", "Vladimir Putin 1"]  # the ticked value stays, ticked
    assert ticked(page, "actor") == ["Vladimir Putin"]
    assert ticked(page, "outlet") == ["Daily Sabah"]
    assert page.select_one("#q")["value"] == "Syria"
    assert page.select_one("#facet-place input[name=place_op]").has_attr("checked")
    # the form submits the facet search with the selection: its button lists the facet in full
    button = page.select_one("#facet-actor .facet-find button")
    assert (button["type"], button["name"], button["value"]) == ("submit", "more", "actor")
    assert button.find_parent("form") is page.select_one("form.search-form")
    # "show all" drops the facet search alone
    assert page.select_one("#facet-actor .facet-found a")["href"] == "/?q=Syria&actor=Vladimir+Putin&outlet=Daily+Sabah&place_op=all#facet-actor"
    assert page.select_one("details.filters").has_attr("open")  # on a phone the filters stay open while searching them


def test_a_facet_search_that_finds_nothing_says_so_and_keeps_its_box(web):
    page = soup(web.get("/?actor_find=zzzz"))
    assert labels(page, "actor") == []
    assert page.select_one("#facet-actor .facet-none").get_text(" ", strip=True) == "No actors match “ zzzz ”."
    assert page.select_one("#find-actor")["value"] == "zzzz"
    listed = soup(web.get("/?more=actor&actor_find=zzzz"))
    assert listed.select_one("#facet-actor .facet-none") and not listed.select_one("#facet-actor nav.facet-pages")  # no "0–0 of 0"


def test_small_facets_have_no_search_box(web):
    page = soup(web.get("/"))
    assert [f["id"] for f in page.select("fieldset.facet") if f.select_one(".facet-find")] == ["facet-actor", "facet-place", "facet-month"]


@pytest.mark.parametrize(
    ("more_page", "shown", "range_text", "prev", "next_"),
    [
        # by count then name, people listed before organisations on each page
        ("", ["Bashar al-Assad 4", "Staffan de Mistura 3"], "1–10 of 29", None, "/?more=actor&more_page=2#facet-actor"),
        ("2", ["Vladimir Putin 2", "Ilhan Omar 1"], "11–20 of 29", "/?more=actor#facet-actor", "/?more=actor&more_page=3#facet-actor"),
        ("3", ["John Kerry 1", "Kelly Craft 1"], "21–29 of 29", "/?more=actor&more_page=2#facet-actor", None),
        ("999999", ["John Kerry 1", "Kelly Craft 1"], "21–29 of 29", "/?more=actor&more_page=2#facet-actor", None),  # past the end: the last
        ("0", ["Bashar al-Assad 4", "Staffan de Mistura 3"], "1–10 of 29", None, "/?more=actor&more_page=2#facet-actor"),
    ],
)
def test_the_more_list_comes_a_page_at_a_time(web, more_page, shown, range_text, prev, next_):
    page = soup(web.get("/?more=actor" + (f"&more_page={more_page}" if more_page else "")))
    values = [label.get_text(" ", strip=True) for label in page.select("#facet-actor .facet-values label")]
    assert values[:2] == shown and len(values) == (9 if range_text.startswith("21") else 10)
    pager = page.select_one("#facet-actor nav.facet-pages")
    assert pager.select_one(".facet-range").get_text() == range_text
    assert (pager.select_one("a[rel=prev]") or {}).get("href") == prev
    assert (pager.select_one("a[rel=next]") or {}).get("href") == next_
    assert page.select_one("#facet-actor a.more").get_text() == "Fewer"
    assert len(labels(page, "place")) == 10  # the other facets keep their size


def test_the_more_list_pages_a_facet_search_and_keeps_ticked_values(web):
    page = soup(web.get("/?more=actor&more_page=2&actor=Bashar+al-Assad&actor_find=a"))
    # 23 actors contain an "a"; page 2 shows 11 to 20, and the ticked one from page 1 stays, ticked
    assert page.select_one("#facet-actor .facet-range").get_text() == "11–20 of 23"
    assert ticked(page, "actor") == ["Bashar al-Assad"]
    assert labels(page, "actor")[:5] == ["Ilhan Omar 1", "Kelly Craft 1", "Maria Zakharova 1", "Muhammad Hallaj 1", "Bashar al-Assad 4"]
    api = web.get("/api/search?more=actor&more_page=2&actor_find=a").get_json()
    assert api["facet_pages"]["actor"] == {"total": 23, "offset": 10, "find": "a"}
    assert [v["value"] for v in api["facets"]["actor"]][:3] == ["Civil Response Coordinators", "Constitutional Committee", "European Union"]


# ---------------------------------------------------------------------------------------------
# 2. Any of (OR) or all of (AND) the ticked values


@pytest.mark.parametrize(
    ("query", "total", "ids", "ops"),
    [
        ("place=Geneva&place=Idlib", 4, {DAILY_SABAH, TELLER, IMMORTAL, PRESS_APRIL}, {"place": "any"}),
        ("place=Geneva&place=Idlib&place_op=any", 4, {DAILY_SABAH, TELLER, IMMORTAL, PRESS_APRIL}, {"place": "any"}),
        ("place=Geneva&place=Idlib&place_op=all", 2, {DAILY_SABAH, TELLER}, {"place": "all"}),
        ("actor=Sergei+Lavrov&actor=John+Kerry&actor_op=all", 1, {PRESS_MARCH}, {"actor": "all"}),
        ("actor=Sergei+Lavrov&actor=Geir+Pedersen&actor_op=all", 0, set(), {"actor": "all"}),
        ("place=Geneva&place_op=all&outlet=Press+TV", 1, {PRESS_APRIL}, {"place": "all", "outlet": "any"}),
        ("place_op=all", 5, {DAILY_SABAH, TELLER, IMMORTAL, PRESS_APRIL, PRESS_MARCH}, {}),  # nothing ticked: nothing narrowed
    ],
)
def test_any_of_or_all_of_the_ticked_values(web, query, total, ids, ops):
    api = web.get("/api/search?" + query).get_json()
    assert (api["total"], {h["id"] for h in api["hits"]}, api["filter_ops"]) == (total, ids, ops)


def test_all_of_counts_each_value_under_its_own_facet_filter(web):
    any_of = web.get("/api/search?place=Geneva&place=Idlib").get_json()["facets"]["place"]
    all_of = web.get("/api/search?place=Geneva&place=Idlib&place_op=all").get_json()["facets"]["place"]
    # any of: a place counts without the place filter (what ticking it would add)
    assert [(v["value"], v["count"]) for v in any_of[:4]] == [("Russia", 5), ("Syria", 5), ("United States", 5), ("Geneva", 4)]
    # all of: under it (what ticking it as well would leave)
    assert [(v["value"], v["count"], v["selected"]) for v in all_of[:4]] == [
        ("Astana", 2, False), ("Geneva", 2, True), ("Idlib", 2, True), ("Kazakhstan", 2, False)
    ]  # fmt: skip


def test_the_switch_is_in_the_sidebar_and_the_chips_say_which(web):
    page = soup(web.get("/?q=Syria&place=Russia&place=Turkey&place_op=all"))
    switches = {box["name"]: box.has_attr("checked") for box in page.select("fieldset.facet input[type=checkbox][value=all]")}
    assert switches == {"place_op": True}  # offered where a value is ticked
    ticked_everywhere = soup(web.get("/?outlet=Press+TV&year=2016&actor=John+Kerry&month=2016-03&language=English"))
    switches = {box["name"]: box.has_attr("checked") for box in ticked_everywhere.select("fieldset.facet input[type=checkbox][value=all]")}
    assert switches == {"actor_op": False, "month_op": False}  # outlets, years, languages: one per article
    chips = [(a.get_text(" ", strip=True), a["href"]) for a in page.select("ul.chips a")]
    assert chips == [
        ("Places (all of): Russia ×", "/?q=Syria&place_op=all&place=Turkey"),
        ("Places (all of): Turkey ×", "/?q=Syria&place_op=all&place=Russia"),
        ("Places: match any instead", "/?q=Syria&place=Russia&place=Turkey"),
    ]
    assert page.select_one("h2.total").get_text(" ", strip=True) == "4 articles match Syria"
    any_page = soup(web.get("/?q=Syria&place=Russia&place=Turkey"))
    assert [(a.get_text(" ", strip=True), a["href"]) for a in any_page.select("ul.chips a")][1:] == [
        ("Places (any of): Turkey ×", "/?q=Syria&place=Russia"),
        ("Places: match all instead", "/?q=Syria&place=Russia&place=Turkey&place_op=all"),
    ]
    assert any_page.select_one("h2.total").get_text(" ", strip=True) == "5 articles match Syria"
    one = soup(web.get("/?place=Russia&place_op=all"))  # one value: no "any of" or "all of" to say
    assert [a.get_text(" ", strip=True) for a in one.select("ul.chips a")] == ["Places: Russia ×"]


def test_the_cli_ands_a_facet_with_all_of(sample_index):
    args = ["search", "--index-dir", str(sample_index), "--place", "Geneva", "--place", "Idlib"]
    either = json.loads(CliRunner().invoke(main, [*args, "--json"]).output)
    both = json.loads(CliRunner().invoke(main, [*args, "--all-of", "place", "--json"]).output)
    assert (either["total"], either["filter_ops"]) == (4, {"place": "any"})
    assert (both["total"], both["filter_ops"], {h["id"] for h in both["hits"]}) == (2, {"place": "all"}, {DAILY_SABAH, TELLER})
    text = CliRunner().invoke(main, [*args, "--all-of", "place"]).output
    assert text.splitlines()[0] == "2 articles match [place: Geneva AND Idlib]"
    wrong = CliRunner().invoke(main, [*args, "--all-of", "places"])
    assert wrong.exit_code == 2 and "unknown filter 'places' in places_op" in wrong.output and "--all-of" in wrong.output
    period = json.loads(CliRunner().invoke(main, [*args, "--published", "2016-04", "--json"]).output)
    assert (period["total"], period["published"], [h["id"] for h in period["hits"]]) == (1, "2016-04", [PRESS_APRIL])
    bad = CliRunner().invoke(main, [*args, "--published", "2016-13"])
    assert bad.exit_code == 2 and "Invalid value for --published: published: '2016-13' is not a date" in bad.output


# ---------------------------------------------------------------------------------------------
# 3. Chart bars add a removable published-period filter


def test_a_chart_bar_adds_a_published_chip_and_narrows_the_results(web):
    page = soup(web.get("/?q=Syria"))
    bars = {a["aria-label"]: a["href"] for a in page.select("figure.timeline svg a")}
    assert bars["2016: 3 articles"] == "/?q=Syria&published=2016"
    year = soup(web.get(bars["2016: 3 articles"]))
    assert year.select_one("#q")["value"] == "Syria"  # the query box is left alone
    assert year.select_one("h2.total").get_text(" ", strip=True) == "3 articles match Syria"
    assert [(a.get_text(" ", strip=True), a["href"]) for a in year.select("ul.chips a")] == [("Published: 2016 ×", "/?q=Syria")]
    assert year.select_one("form.search-form input[type=hidden][name=published]")["value"] == "2016"  # kept when filters change
    # the year is drawn by month; a month bar replaces the period
    months = {a["aria-label"]: a["href"] for a in year.select("figure.timeline svg a")}
    assert list(months) == ["2016-03: 1 article", "2016-04: 1 article", "2016-05: 1 article"]
    month = soup(web.get(months["2016-04: 1 article"]))
    assert [h["href"].split("?")[0] for h in month.select(".hit-title a")] == [f"/doc/{PRESS_APRIL}"]
    assert [a.get_text(" ", strip=True) for a in month.select("ul.chips a")] == ["Published: April 2016 ×"]
    selected = month.select("figure.timeline svg a[aria-current=true]")
    assert [a["aria-label"] for a in selected] == ["2016-04: 1 article"] and "selected" in selected[0]["class"]
    assert month.select_one("summary.filters-toggle").get_text(strip=True) == "Filters (1)"


@pytest.mark.parametrize(
    ("published", "total", "chip"),
    [
        ("2016-03 TO 2016-04", 2, "Published: March 2016 – April 2016 ×"),
        ("2016-03-02", 1, "Published: 2 March 2016 ×"),
        ("2020 TO *", 2, "Published: 2020 – … ×"),
        ("2016-05", 1, "Published: May 2016 ×"),  # an article dated to the month only is in its month, not April's
        ("2016-04", 1, "Published: April 2016 ×"),
    ],
)
def test_published_periods(web, published, total, chip):
    page = soup(web.get("/", query_string={"published": published}))
    assert page.select_one("h2.total").get_text(" ", strip=True) == f"{total} article{'s' if total != 1 else ''}"
    assert [a.get_text(" ", strip=True) for a in page.select("ul.chips a")] == [chip]
    assert web.get("/api/search", query_string={"published": published}).get_json()["published"] == published


# ---------------------------------------------------------------------------------------------
# 4. The filters first, as "Filters (n)"


def test_filters_come_first_in_a_disclosure_counting_the_active_filters(web):
    page = soup(web.get("/?q=Syria&outlet=Press+TV&place=Russia&place=Turkey&published=2016"))
    details = page.select_one("aside.facets > details.filters")
    assert details.select_one("summary").get_text(strip=True) == "Filters (4)"
    assert not details.has_attr("open")  # closed on a phone until asked; a wide screen shows it open (style.css)
    assert details.select("fieldset.facet") and details.select_one("button.apply")
    # in document order the disclosure comes before the results
    order = [el.get("class", [""])[0] for el in page.select("details.filters, ol.hits")]
    assert order == ["filters", "hits"]
    assert soup(web.get("/")).select_one("summary.filters-toggle").get_text(strip=True) == "Filters (0)"


# ---------------------------------------------------------------------------------------------
# Bad parameters: a clear 400 naming them, never a 500


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("place_op=both", "place_op must be one of any, all (any of the ticked values, or all of them), got 'both'"),
        ("actor_op=ALL", "actor_op must be one of any, all (any of the ticked values, or all of them), got 'ALL'"),
        ("more=actor&more_page=abc", "more_page must be a whole number, got 'abc'"),
        ("more=actor&more_page=12345678", "more_page must be a whole number, got '12345678'"),
        ("published=2016-13", "published: '2016-13' is not a date or range of dates (e.g. 2016, 2016-03, 2016-03-05 or 2016-01 TO 2016-06)"),
        ("published=yesterday", "published: 'yesterday' is not a date or range of dates (e.g. 2016, 2016-03, 2016-03-05 or 2016-01 TO 2016-06)"),
        ("published=2017+TO+2016", "published: '2017 TO 2016' ends before it starts"),
        ("actor_find=" + "x" * 301, "actor_find: a text of 301 characters is longer than any actor (300 at most)"),
        ("place_op=all&place_op=any", "place_op: give it once, not 2 times"),
        ("published=2016&published=2017", "published: give it once, not 2 times"),
    ],
)
def test_bad_facet_parameters_are_a_clear_400(web, query, message):
    api = web.get("/api/search?" + query)
    assert (api.status_code, api.get_json()["error"]) == (400, message)
    page = web.get("/?" + query)
    assert page.status_code == 400
    assert BeautifulSoup(page.get_data(as_text=True), "html.parser").select_one("#q-error").get_text(" ", strip=True) == f"Cannot search: {message}"


@pytest.mark.parametrize("query", ["x_op=all", "more_page=2", "bogus_find=x", "actor_find=%00%E2%80%AE", "actor_find=*", "place_find=(("])
def test_odd_facet_parameters_are_ignored_or_harmless(web, query):
    assert web.get("/api/search?" + query).get_json()["total"] == 5


# ---------------------------------------------------------------------------------------------
# FA-KES dev: the archive the issue measured


@pytest.fixture(scope="module")
def fakes(tmp_path_factory):
    if not FAKES.exists():
        pytest.skip("needs ../shared/corpora/fakes-dev")
    from searchapp.ingest.run import IndexOptions, index_paths

    folder = tmp_path_factory.mktemp("fakes-facets")
    assert index_paths([FAKES], folder, IndexOptions(processes=2)).indexed == 379
    return create_app({"TESTING": True, "INDEX_DIR": str(folder)}).test_client()


@pytest.mark.slow
def test_fakes_more_actors_is_a_page_not_every_actor(fakes):
    response = fakes.get("/?more=actor")
    page = soup(response)
    assert len(page.select("#facet-actor .facet-values input")) == 100
    assert len(response.get_data()) < 80_000  # the page of every actor was 577 KB
    total = int(page.select_one("#facet-actor .facet-range").get_text().split(" of ")[1].replace(",", ""))
    assert total > 500  # several pages (703 after the tagging of issue 12; 922 before)
    last = soup(fakes.get(f"/?more=actor&more_page={-(-total // 100)}"))
    assert last.select_one("#facet-actor .facet-range").get_text() == f"{(total - 1) // 100 * 100 + 1:,}–{total:,} of {total:,}"


@pytest.mark.slow
@pytest.mark.parametrize(
    ("facet", "typed", "first"),
    [("actor", "assad", "Bashar al-Assad"), ("place", "IDLIB", "Idlib"), ("place", "deir ezzor", "Deir ez-Zor"), ("actor", "nusra", "Nusra Front")],
)
def test_fakes_facet_search_finds_the_spellings(fakes, facet, typed, first):
    page = soup(fakes.get("/", query_string={f"{facet}_find": typed, "more": facet}))
    values = [box["value"] for box in page.select(f"#facet-{facet} .facet-values input")]
    assert values and all(fold(typed).replace(" ", "") in fold(v).replace(" ", "") for v in values)
    assert first in values


@pytest.mark.slow
def test_fakes_all_of_two_actors_is_articles_naming_both(fakes):
    def total(query: str) -> int:
        return fakes.get("/api/search?collapse=0&" + query).get_json()["total"]

    assad, putin = total("actor=Bashar+al-Assad"), total("actor=Vladimir+Putin")
    both = total("actor=Bashar+al-Assad&actor=Vladimir+Putin&actor_op=all")
    either = total("actor=Bashar+al-Assad&actor=Vladimir+Putin")
    assert 0 < both < min(assad, putin) and either == assad + putin - both
    # the same as the query syntax a user needed before
    assert both == total("q=actor:%22Bashar+al-Assad%22+actor:%22Vladimir+Putin%22")


@pytest.mark.slow
def test_fakes_a_month_bar_is_a_chip_not_a_query(fakes):
    page = soup(fakes.get("/?q=ceasefire"))
    bars = [(a["aria-label"], a["href"]) for a in page.select("figure.timeline svg a") if not a["aria-label"].endswith(": 0 articles")]
    label, href = bars[0]
    assert "published=" in href and "date%3A" not in href
    narrowed = soup(fakes.get(href))
    count = int(label.split(": ")[1].split()[0])
    assert narrowed.select_one("#q")["value"] == "ceasefire"
    assert narrowed.select_one("h2.total").get_text(" ", strip=True).startswith(f"{count} article")
    assert [a.get_text(" ", strip=True).split(":")[0] for a in narrowed.select("ul.chips a.chip")] == ["Published"]


# ---------------------------------------------------------------------------------------------
# The feed and the exports take the same filters


def test_the_feed_and_exports_follow_all_of_and_the_published_period(web):
    import csv
    import io
    import xml.etree.ElementTree as ET

    atom = "{http://www.w3.org/2005/Atom}"
    query = "place=Geneva&place=Idlib&place_op=all&published=2020+TO+*"
    root = ET.fromstring(web.get("/feed.atom?" + query).get_data())
    assert root.findtext(f"{atom}title") == "searchapp: everything (place: Geneva and Idlib; published: 2020 TO *)"
    assert [e.findtext(f"{atom}id") for e in root.findall(f"{atom}entry")] == [f"urn:searchapp:doc:{i}" for i in (DAILY_SABAH, TELLER)]
    data = json.loads(web.get("/export.json?" + query).get_data(as_text=True))
    assert (data["filter_ops"], data["published"], [h["id"] for h in data["hits"]]) == ({"place": "all"}, "2020 TO *", [DAILY_SABAH, TELLER])
    assert web.get("/export.csv?" + query + "&published=x").status_code == 400  # given twice: refused
    rows = list(csv.DictReader(io.StringIO(web.get("/export.csv?place=Geneva&place=Idlib&place_op=all&published=2021").get_data(as_text=True))))
    assert [row["id"] for row in rows] == [DAILY_SABAH]
    # the page's feed link keeps the filters, not the facet search nor the facet's page
    page = soup(web.get("/?" + query + "&more=place&more_page=2&place_find=a"))
    assert page.select_one('link[rel=alternate][type="application/atom+xml"]')["href"] == (
        "/feed.atom?place=Geneva&place=Idlib&place_op=all&published=2020+TO+%2A"
    )


def test_empty_facet_search_boxes_are_dropped_from_the_url(web):
    response = web.get("/?q=Syria&actor_find=&place_find=+&actor=John+Kerry&month_find=&page=1")
    assert (response.status_code, response.headers["Location"]) == (303, "/?q=Syria&actor=John+Kerry&page=1")
    assert web.get("/?actor_find=").headers["Location"] == "/"
