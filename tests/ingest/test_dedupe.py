"""Near-duplicates: SimHash distances, incremental groups, collapsed results and facets."""

import json

import pytest
from bs4 import BeautifulSoup

from searchapp.ingest.dedupe import MAX_DISTANCE, DuplicateGroups, distance, simhash
from searchapp.ingest.run import IndexOptions, index_paths
from searchapp.query.search import SearchIndex, SearchRequest
from tests.conftest import SAMPLES

# A real wire-length story (the bundled Press TV article, about 450 words): SimHash is meant for
# texts of this size; on a 70-word text a one-line edit already moves it past the threshold.
STORY = " ".join((SAMPLES / "001_31535706e98cfbbc.txt").read_text(encoding="utf-8").split("\n")[2:-2])
OTHER = (
    "Cocoa arrivals in the Bahia zone rose in the week to February 22 as showers eased the drought, a trade review "
    "said, and farmers, middlemen and exporters still hold a few hundred thousand bags of the old crop."
)


def test_small_edits_stay_within_the_threshold_and_other_stories_do_not():
    edited = STORY.replace("a few days after", "days after") + " Reporting by the newsroom."
    assert distance(simhash(STORY), simhash(STORY)) == 0
    assert distance(simhash(STORY), simhash(edited)) <= MAX_DISTANCE
    assert distance(simhash(STORY), simhash(OTHER)) > 2 * MAX_DISTANCE


def test_groups_are_incremental_and_named_after_the_first_version():
    groups = DuplicateGroups()
    assert groups.assign(simhash(STORY), "a") == "a"
    assert groups.assign(simhash(OTHER), "b") == "b"
    assert groups.assign(simhash(STORY + " Updated."), "c") == "a"
    again = DuplicateGroups()
    again.add(simhash(STORY), "a")  # what the indexer loads from an existing index
    assert again.assign(simhash(STORY), "d") == "a"


@pytest.fixture(scope="module")
def dup_index(tmp_path_factory):
    folder = tmp_path_factory.mktemp("dups")
    records = [
        {"id": "v1", "title": "Lavrov and Kerry call for cooperation", "text": STORY, "outlet": "Press TV", "date": "2016-03-02"},
        {"id": "v2", "title": "Russia, US stress cooperation on Syria truce", "text": STORY + " By AFP.", "outlet": "AFP", "date": "2016-03-02"},
        {"id": "v3", "title": "Moscow and Washington coordinate", "text": STORY.replace("Tuesday", "Tuesday evening"), "outlet": "TASS", "date": "2016-03-03"},
        {"id": "o1", "title": "Bahia cocoa review", "text": OTHER + " The truce in Syria was not discussed.", "outlet": "Reuters", "date": "1987-02-26"},
    ]  # fmt: skip
    (folder / "news.jsonl").write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    index_paths([folder / "news.jsonl"], folder / "ix", IndexOptions(processes=1))
    return folder / "ix"


def test_search_collapses_versions_and_counts_them_once_in_facets(dup_index):
    result = SearchIndex(dup_index).search(SearchRequest(q="truce Syria"))
    assert result.total == 2 and len(result.hits) == 2
    story = next(h for h in result.hits if h.id in ("v1", "v2", "v3"))
    assert story.version_count == 2 and {v.id for v in story.versions} | {story.id} == {"v1", "v2", "v3"}
    assert sum(v.count for v in result.facets["outlet"]) == 2  # one story, one cocoa review
    assert {v.value: v.count for v in result.facets["year"]} == {"2016": 1, "1987": 1}


def test_ticking_another_outlet_shows_its_own_version(dup_index):
    result = SearchIndex(dup_index).search(SearchRequest(q="truce Syria", filters={"outlet": ["TASS"]}))
    assert [h.id for h in result.hits] == ["v3"]
    assert [v["id"] for v in result.hits[0].versions] == []  # the others are outside the filter


def test_collapse_off_lists_every_version(dup_index):
    result = SearchIndex(dup_index).search(SearchRequest(q="truce Syria", collapse=False))
    assert result.total == 4
    assert all(h.version_count == 0 for h in result.hits)
    assert sum(v.count for v in result.facets["outlet"]) == 4


def test_the_page_shows_other_versions_in_an_expandable_list(dup_index):
    from searchapp.web import create_app

    client = create_app({"TESTING": True, "INDEX_DIR": str(dup_index)}).test_client()
    page = BeautifulSoup(client.get("/?q=truce+Syria").get_data(as_text=True), "html.parser")
    details = page.select("li.hit details.versions")
    assert len(details) == 1 and not details[0].has_attr("open")
    assert details[0].select_one("summary").get_text(strip=True) == "2 other versions of this story"
    assert len(details[0].select("li a")) == 2
    data = client.get("/api/search?q=truce+Syria").get_json()
    assert sorted(h["other_versions"] for h in data["hits"]) == [0, 2]
    assert client.get("/api/search?q=truce+Syria&collapse=0").get_json()["total"] == 4
