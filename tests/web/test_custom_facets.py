"""An archive's own columns as facets (--facet), its column report, and the exports' researcher columns."""

from __future__ import annotations

import csv
import io
import json
from xml.etree import ElementTree as ET

import pytest
from bs4 import BeautifulSoup
from click.testing import CliRunner

from searchapp import web
from searchapp.cli import main

HEADER = ["doc_id", "headline", "body", "source_name", "pubdate", "link", "label", "governorate", "casualties", "attack_date", "notes"]
ROWS = [
    ["a1", "Shelling hits Idlib market", "Artillery shells struck a crowded market in Idlib city on Monday, witnesses said.",
     "manar", "2016-03-02", "https://x.test/a1", "fake", "Idlib", "12", "2016-03-01", "n1"],
    ["a2", "Aid convoy reaches Aleppo", "A United Nations aid convoy carrying flour and medicine entered eastern Aleppo.",
     "Al-Manar", "2016-05-10", "https://x.test/a2", "credible", "Aleppo", "0", "2016-05-09", "n2"],
    ["a3", "Airstrike on Idlib hospital", "Warplanes bombed a field hospital near Maarat al-Numan in the south of the province.",
     "dailysabah", "2017-01-20", "https://x.test/a3", "credible", "Idlib", "35", "2017-01-19", "n3"],
    ["a4", "Clashes in Deir ez-Zor", "Fighters clashed with government troops around the airport of Deir ez-Zor overnight.",
     "sana", "2017-08-30", "https://x.test/a4", "fake", "Deir ez-Zor", "7", "bad date", "n4"],
    ["a5", "Talks resume in Geneva", "Delegations returned to the negotiating table in Geneva after a pause of two weeks.",
     "reuters", "2018-02-14", "https://x.test/a5", "credible", "", "n/a", "", "n5"],
]  # fmt: skip


def write_csv(path, header, rows) -> None:
    with open(path, "w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(header)
        writer.writerows(rows)


FACETS = ["--facet", "label", "--facet", "gov=governorate", "--facet", "casualties:number", "--facet", "attack_date:date"]


@pytest.fixture(scope="module")
def archive(tmp_path_factory):
    folder = tmp_path_factory.mktemp("archive")
    write_csv(folder / "archive.csv", HEADER, ROWS)
    index_dir = folder / "index"
    result = CliRunner().invoke(main, ["index", "--quiet", "--processes", "1", "--index-dir", str(index_dir), *FACETS, str(folder / "archive.csv")])
    assert result.exit_code == 0, result.output
    return folder, index_dir, result.stderr


@pytest.fixture()
def fclient(archive):
    return web.create_app({"TESTING": True, "INDEX_DIR": str(archive[1]), "PUBLIC_URL": "https://news.example.org/"}).test_client()


def api(client, query: str) -> dict:
    response = client.get("/api/search?" + query)
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()


def counts(data: dict, name: str) -> dict[str, tuple[int, bool]]:
    return {v["value"]: (v["count"], v["selected"]) for v in data["facets"][name]}


def test_the_run_reports_every_column_once_with_the_option_that_would_use_it(archive):
    folder, index_dir, stderr = archive
    path = folder / "archive.csv"
    assert (
        f"{path}: columns: doc_id -> id, headline -> title, body -> text, source_name -> outlet, pubdate -> published, "
        "link -> url, label -> facet label, governorate -> facet gov, casualties -> facet casualties (number), "
        "attack_date -> facet attack_date (date); not used: notes (--facet notes or --field NAME=notes)"
    ) in stderr.splitlines()
    assert f"warning: {path}:5: facet attack_date: " in stderr  # "bad date" is left out, with its line
    assert f"warning: {path}:6: facet casualties: 'n/a' is not a number; left out" in stderr.splitlines()
    assert "facets label gov=governorate casualties:number attack_date:date" in stderr
    assert (index_dir / "facets.toml").read_text(encoding="utf-8").count("[facets.") == 4


@pytest.mark.parametrize(
    ("option", "message"),
    [
        (["--field", "title=nosuchcol"], "--field: title=nosuchcol: no record has a column 'nosuchcol'; the columns are doc_id, headline, body, source_name,"),
        (["--facet", "kind=nosuchcol"], "--facet: kind=nosuchcol: no record has a column 'nosuchcol'; the columns are doc_id, headline, body, source_name,"),
        (["--facet", "Label"], "a facet name is lower-case letters, digits and _ starting with a letter"),
        (["--facet", "actor"], "'actor' is a built-in field or facet"),
        (["--facet", "label:colour"], "the kind must be one of keyword, number, date, got 'colour'"),
    ],
)
def test_a_column_no_record_has_or_a_bad_facet_is_a_usage_error(tmp_path, option, message):
    write_csv(tmp_path / "a.csv", HEADER, ROWS[:1])
    result = CliRunner().invoke(main, ["index", "--quiet", "--index-dir", str(tmp_path / "ix"), *option, str(tmp_path / "a.csv")])
    assert result.exit_code == 2
    assert message in " ".join(result.stderr.split())
    assert not (tmp_path / "ix" / "facets.toml").exists()


def test_custom_facets_count_or_within_and_across_and_exclude_their_own_filter(fclient):
    data = api(fclient, "")
    assert counts(data, "label") == {"credible": (3, False), "fake": (2, False)}
    assert counts(data, "gov") == {"Idlib": (2, False), "Aleppo": (1, False), "Deir ez-Zor": (1, False)}
    assert data["facets"]["casualties"] == [
        {"value": "0", "count": 1, "selected": False}, {"value": "7", "count": 1, "selected": False},
        {"value": "12", "count": 1, "selected": False}, {"value": "35", "count": 1, "selected": False},
    ]  # fmt: skip
    assert counts(data, "attack_date") == {"2017": (1, False), "2016": (2, False)}
    # OR within a facet, AND across facets; a facet's own filter does not narrow its own counts
    both = api(fclient, "gov=Idlib&gov=Aleppo&label=credible")
    assert both["total"] == 2 and {h["id"] for h in both["hits"]} == {"a2", "a3"}
    assert both["filters"] == {"gov": ["Idlib", "Aleppo"], "label": ["credible"]}
    assert counts(both, "label") == {"credible": (2, True), "fake": (1, False)}
    assert counts(both, "gov") == {"Idlib": (1, True), "Aleppo": (1, True)}  # Deir ez-Zor has no credible article


def test_numbers_and_dates_filter_as_ranges_in_the_url_and_the_query(fclient):
    assert {h["id"] for h in api(fclient, "casualties=7+TO+12")["hits"]} == {"a1", "a4"}
    assert {h["id"] for h in api(fclient, "attack_date=2016")["hits"]} == {"a1", "a2"}
    assert {h["id"] for h in api(fclient, "attack_date=2016-05")["hits"]} == {"a2"}
    assert {h["id"] for h in api(fclient, "q=casualties:[10+TO+40]")["hits"]} == {"a1", "a3"}
    assert {h["id"] for h in api(fclient, "q=attack_date:[2016-01+TO+2016-04]")["hits"]} == {"a1"}
    assert {h["id"] for h in api(fclient, "q=label:fake")["hits"]} == {"a1", "a4"}
    bad = fclient.get("/api/search?casualties=many")
    assert bad.status_code == 400 and "casualties: 'many' is not a number range" in bad.get_json()["error"]


def test_the_sidebar_shows_each_custom_facet_under_its_name_with_counts(fclient):
    page = BeautifulSoup(fclient.get("/?label=fake").get_data(as_text=True), "html.parser")
    assert page.select_one("#facet-gov legend").get_text() == "Gov"
    values = {
        box["value"]: (box.has_attr("checked"), box.find_next("label").select_one(".count").get_text())
        for box in page.select("#facet-label .facet-values input[type=checkbox]")
    }
    assert values == {"credible": (False, "3"), "fake": (True, "2")}
    assert [chip.get_text(" ", strip=True) for chip in page.select(".chips .chip")] == ["Label: fake ×"]


def test_the_cli_filters_on_a_custom_facet(archive):
    result = CliRunner().invoke(main, ["search", "--index-dir", str(archive[1]), "--json", "--filter", "gov=Idlib", "--filter", "label=fake"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert [h["id"] for h in data["hits"]] == ["a1"] and data["filters"] == {"gov": ["Idlib"], "label": ["fake"]}
    unknown = CliRunner().invoke(main, ["search", "--index-dir", str(archive[1]), "--filter", "colour=red"])
    assert unknown.exit_code == 2 and "unknown filter 'colour'" in unknown.stderr


def test_exports_carry_absolute_links_entities_and_the_facet_columns(fclient):
    response = fclient.get("/export.csv?label=fake&sort=oldest&excel=1")
    assert response.status_code == 200
    body = response.get_data()
    assert body.startswith(b"\xef\xbb\xbf")  # a UTF-8 byte-order mark: Excel reads the file as UTF-8
    name = response.headers["Content-Disposition"]
    assert name.startswith('attachment; filename="searchapp-fake-') and name.endswith('.csv"')
    rows = list(csv.DictReader(io.StringIO(body.decode("utf-8-sig"))))
    assert list(rows[0])[-4:] == ["label", "gov", "casualties", "attack_date"]
    assert [(r["id"], r["outlet"], r["label"], r["gov"], r["casualties"], r["attack_date"]) for r in rows] == [
        ("a1", "Al Manar", "fake", "Idlib", "12", "2016-03-01"), ("a4", "SANA", "fake", "Deir ez-Zor", "7", ""),
    ]  # fmt: skip
    assert rows[0]["link"].startswith("https://news.example.org/doc/a1#p")
    assert "Idlib" in rows[0]["places"].split("; ")
    data = json.loads(fclient.get("/export.json?gov=Aleppo").get_data(as_text=True))
    assert data["hits"][0]["facets"] == {"label": ["credible"], "gov": ["Aleppo"], "casualties": ["0"], "attack_date": ["2016-05-09"]}
    assert "United Nations" in data["hits"][0]["organisations"] and "Aleppo" in data["hits"][0]["places"]


def test_the_feed_follows_a_custom_facet_filter(fclient):
    root = ET.fromstring(fclient.get("/feed.atom?label=fake").get_data())
    titles = [e.findtext("{http://www.w3.org/2005/Atom}title") for e in root.iter("{http://www.w3.org/2005/Atom}entry")]
    assert titles == ["Clashes in Deir ez-Zor", "Shelling hits Idlib market"]


def test_later_runs_keep_the_indexs_facets_and_repeated_ids_merge_their_values(archive, tmp_path):
    folder, index_dir, _ = archive
    copy = tmp_path / "index"
    CliRunner().invoke(main, ["snapshot", "--index-dir", str(index_dir), str(copy)])
    assert (copy / "facets.toml").is_file()  # a snapshot carries the index's facets
    more = tmp_path / "more.csv"
    row = ["b1", "Truce in Daraa", "A local truce was agreed in Daraa after weeks of fighting.", "trt", "2019-07-01",
           "https://x.test/b1", "credible", "Daraa", "3", "2019-06-30", ""]  # fmt: skip
    write_csv(more, HEADER, [row, [*row[:6], "fake", "Daraa", *row[8:]]])  # one article annotated twice
    result = CliRunner().invoke(main, ["index", "--quiet", "--processes", "1", "--index-dir", str(copy), str(more)])
    assert result.exit_code == 0, result.output  # no --facet: the index's facets.toml says which
    assert "label -> facet label" in result.stderr and "duplicates 1" in result.stderr
    client = web.create_app({"TESTING": True, "INDEX_DIR": str(copy)}).test_client()
    data = api(client, "gov=Daraa")
    assert data["total"] == 1 and counts(data, "label") == {"credible": (1, False), "fake": (1, False)}
    assert counts(data, "outlet") == {"TRT World": (1, False)}


class NoTagging:
    """A tagger for a run that must tag nothing (every article already tagged in the index)."""

    threads = 1

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        return None

    def describe(self) -> str:
        return ""

    def tag(self, batches, backlog=0):
        for batch in batches:
            pytest.fail(f"tagged again: {[a.id for a in batch]}")
        yield from ()


def test_a_facet_added_to_an_existing_index_is_filled_without_tagging_again(tmp_path):
    from searchapp.ingest.run import IndexOptions, index_paths
    from searchapp.query import SearchIndex, SearchRequest
    from searchapp.store.custom import FacetSpec

    source = tmp_path / "archive.csv"
    write_csv(source, HEADER, ROWS)
    index_dir = tmp_path / "index"
    first = index_paths([source], index_dir, IndexOptions(processes=1))
    assert first.added == 5
    before = SearchIndex(index_dir).search(SearchRequest(facet_size=None))
    options = IndexOptions(processes=1, facets=[FacetSpec.parse("label"), FacetSpec.parse("casualties:number")])
    second = index_paths([source], index_dir, options, tagger=NoTagging())
    assert (second.updated, second.refaceted, second.unchanged) == (5, 5, 0)
    assert "(0 new, 5 updated, 5 of them facets or outlet only, not re-tagged)" in second.describe()
    after = SearchIndex(index_dir).search(SearchRequest(facet_size=None))
    assert {v.value: v.count for v in after.facets["label"]} == {"credible": 3, "fake": 2}
    assert [v.value for v in after.facets["casualties"]] == ["0", "7", "12", "35"]
    for facet in ("actor", "place", "month", "outlet"):  # the tagging kept as it was
        assert [(v.value, v.count) for v in after.facets[facet]] == [(v.value, v.count) for v in before.facets[facet]], facet
    third = index_paths([source], index_dir, IndexOptions(processes=1), tagger=NoTagging())
    assert (third.unchanged, third.updated) == (5, 0)  # the facets are the index's now: nothing to do


def test_the_document_page_and_api_show_its_own_facet_values(fclient):
    page = BeautifulSoup(fclient.get("/doc/a1").get_data(as_text=True), "html.parser")
    shown = [(dt.get_text(), dt.find_next("dd").get_text(), dt.find_next("dd").a["href"]) for dt in page.select(".own-facets dt")]
    assert shown == [("Label", "fake", "/?label=fake"), ("Gov", "Idlib", "/?gov=Idlib"), ("Casualties", "12", "/?casualties=12"),
                     ("Attack date", "2016-03-01", "/?attack_date=2016-03-01")]  # fmt: skip
    assert fclient.get("/api/doc/a1").get_json()["facets"] == {"label": ["fake"], "gov": ["Idlib"], "casualties": ["12"], "attack_date": ["2016-03-01"]}


def test_a_file_without_a_facets_column_says_so(tmp_path):
    write_csv(tmp_path / "a.csv", HEADER, ROWS[:1])
    write_csv(tmp_path / "b.csv", ["id", "text"], [["b1", "Talks resumed in Geneva on Monday after a pause."]])
    result = CliRunner().invoke(main, ["index", "--quiet", "--processes", "1", "--index-dir", str(tmp_path / "ix"), "--facet", "label", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert f"{tmp_path / 'b.csv'}: columns: id -> id, text -> text; missing: facet label (no 'label' here); not used: none; no column for title, outlet, published, url" in result.stderr.splitlines()


def test_a_changed_outlet_table_renames_indexed_outlets_without_tagging_again(tmp_path):
    from searchapp.ingest.run import IndexOptions, index_paths
    from searchapp.query import SearchIndex, SearchRequest
    from searchapp.store.outlets import use_outlets_file

    source = tmp_path / "archive.csv"
    write_csv(source, HEADER, ROWS)
    index_dir = tmp_path / "index"
    assert index_paths([source], index_dir, IndexOptions(processes=1)).added == 5
    ours = tmp_path / "outlets.toml"
    ours.write_text('[[outlet]]\nname = "Reuters News Agency"\ncodes = ["reuters"]\n', encoding="utf-8")
    try:
        use_outlets_file(ours)
        again = index_paths([source], index_dir, IndexOptions(processes=1), tagger=NoTagging())
        assert (again.updated, again.refaceted) == (5, 5)
        outlets = {v.value: v.count for v in SearchIndex(index_dir).search(SearchRequest(facet_size=None)).facets["outlet"]}
        assert outlets == {"Al Manar": 2, "Daily Sabah": 1, "SANA": 1, "Reuters News Agency": 1}
        assert SearchIndex(index_dir).search(SearchRequest(q="outlet:reuters")).total == 1
    finally:
        use_outlets_file(None)


def test_a_snapshot_split_into_shards_keeps_the_custom_facets(archive, tmp_path):
    """Every shard of `snapshot --shards 2` knows the index's own facets: the API counts them as on the one index."""
    folder, index_dir, _ = archive
    snap = tmp_path / "snap"
    taken = CliRunner().invoke(main, ["snapshot", "--index-dir", str(index_dir), "--shards", "2", str(snap)])
    assert taken.exit_code == 0, taken.output
    sharded = web.create_app({"TESTING": True, "INDEX_DIR": str(snap), "SEARCH_PROCESSES": 1}).test_client()
    one = web.create_app({"TESTING": True, "INDEX_DIR": str(index_dir)}).test_client()
    for query in ("", "label=fake", "casualties=12"):
        ours, theirs = api(sharded, query), api(one, query)
        assert ours["total"] == theirs["total"] and ours["facets"] == theirs["facets"], query
    assert counts(api(sharded, ""), "label") == {"credible": (3, False), "fake": (2, False)}
