"""Near-duplicates: MinHash/LSH candidates verified by Jaccard, incremental groups, collapsed results and facets."""

import json

import pytest
from bs4 import BeautifulSoup

from searchapp.ingest.dedupe import THRESHOLD, DuplicateGroups, band_keys, jaccard, keys_from_bytes, keys_to_bytes, shingles
from searchapp.ingest.run import IndexOptions, index_paths
from searchapp.query.search import SearchIndex, SearchRequest
from tests.conftest import SAMPLES

# A real wire-length story (the bundled Press TV article, about 450 words).
STORY = " ".join((SAMPLES / "001_31535706e98cfbbc.txt").read_text(encoding="utf-8").split("\n")[2:-2])
OTHER = (
    "Cocoa arrivals in the Bahia zone rose in the week to February 22 as showers eased the drought, a trade review "
    "said, and farmers, middlemen and exporters still hold a few hundred thousand bags of the old crop."
)


def test_a_republished_version_is_a_candidate_and_verified_and_another_story_is_not():
    edited = STORY.replace("a few days after", "days after") + " Reporting by the newsroom."
    assert jaccard(shingles(STORY), shingles(edited)) >= THRESHOLD
    assert set(band_keys(shingles(STORY))) & set(band_keys(shingles(edited)))  # an LSH candidate
    assert not set(band_keys(shingles(STORY))) & set(band_keys(shingles(OTHER)))
    assert len(band_keys(shingles(STORY))) == 20 and band_keys(frozenset()) == ()
    keys = band_keys(shingles(STORY))
    assert keys_from_bytes(keys_to_bytes(keys)) == keys and keys_from_bytes(b"") == ()


def test_a_time_stamp_is_a_version_but_half_the_story_is_not():
    stamped = "Updated 14:32 GMT. " + STORY
    half = STORY[: len(STORY) // 2] + " " + OTHER
    groups = DuplicateGroups(read_shingles=lambda article_id: None)
    assert groups.assign("a", shingles(STORY), band_keys(shingles(STORY))) == "a"
    assert groups.assign("b", shingles(stamped), band_keys(shingles(stamped))) == "a"
    assert groups.assign("c", shingles(half), band_keys(shingles(half))) == "c"


def test_groups_are_incremental_and_read_earlier_articles_back():
    stored = {"a": shingles(STORY)}
    reads = []

    def read(article_id):
        reads.append(article_id)
        return stored.get(article_id)

    again = DuplicateGroups(read_shingles=read)
    again.add(band_keys(shingles(STORY)), "a", "a")  # what the indexer loads from an existing index
    again.add(band_keys(shingles(STORY)), "gone", "gone")  # a candidate no longer in the index
    assert again.assign("d", shingles(STORY + " Updated."), band_keys(shingles(STORY + " Updated."))) == "a"
    assert sorted(reads) == ["a", "gone"]
    assert again.assign("e", shingles(OTHER), band_keys(shingles(OTHER))) == "e"


def test_a_story_republished_many_times_is_verified_against_one_version_cached_first():
    """Every candidate in one group: one verified version decides, and a cached one is tried before any read back."""
    reads = []
    groups = DuplicateGroups(read_shingles=lambda article_id: reads.append(article_id) or shingles(STORY), cache_size=2)
    for n in range(5):  # versions indexed by earlier runs: known by their band keys and group only
        groups.add(band_keys(shingles(STORY)), f"old{n}", "old0")
    again = shingles(STORY + " Updated.")
    assert groups.assign("new1", again, band_keys(again)) == "old0"
    assert reads == ["old0"]  # one read back, not five
    assert groups.assign("new2", again, band_keys(again)) == "old0"
    assert reads == ["old0"]  # new1 is cached: nothing read back
    other = shingles(OTHER)
    assert groups.assign("lone", other, band_keys(other)) == "lone"


@pytest.fixture(scope="module")
def dup_index(tmp_path_factory):
    folder = tmp_path_factory.mktemp("dups")
    records = [
        {"id": "v1", "title": "Lavrov and Kerry call for cooperation", "text": STORY, "outlet": "Press TV", "date": "2016-03-02"},
        {"id": "v2", "title": "Russia, US stress cooperation on Syria truce", "text": STORY + " By AFP.", "outlet": "AFP", "date": "2016-03-02"},
        {"id": "v3", "title": "Moscow and Washington coordinate", "text": STORY.replace("Tuesday", "Tuesday evening"), "outlet": "TASS", "date": "2016-03-03"},
        {"id": "o1", "title": "Bahia cocoa review", "text": OTHER + " The truce in Syria was not discussed.", "outlet": "Reuters", "date": "1987-02-26"},
        # indexed last, published first: it leads its story
        {"id": "v0", "title": "Lavrov, Kerry discuss truce", "text": "Updated 09:12 GMT " + STORY, "outlet": "Sputnik", "date": "2016-03-01"},
    ]  # fmt: skip
    (folder / "news.jsonl").write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    index_paths([folder / "news.jsonl"], folder / "ix", IndexOptions(processes=1))
    return folder / "ix"


def test_search_collapses_versions_and_counts_them_once_in_facets(dup_index):
    result = SearchIndex(dup_index).search(SearchRequest(q="truce Syria"))
    assert result.total == 2 and len(result.hits) == 2
    story = next(h for h in result.hits if h.id.startswith("v"))
    assert story.id == "v0"  # the earliest published version leads, whatever the order of indexing
    assert story.version_count == 3 and [v.id for v in story.versions] == ["v1", "v2", "v3"]  # oldest first
    assert sum(v.count for v in result.facets["outlet"]) == 2  # one story, one cocoa review
    assert {v.value: v.count for v in result.facets["year"]} == {"2016": 1, "1987": 1}


def test_versions_published_at_once_are_led_by_the_smallest_id_whatever_the_order_written(tmp_path):
    """Not the first written: its document number depends on how the index was written (writer processes, shards)."""
    records = [
        {"id": "w9", "title": "Lavrov and Kerry call for cooperation", "text": STORY, "outlet": "Press TV", "date": "2016-03-02"},
        {"id": "w5", "title": "Russia, US stress cooperation", "text": STORY + " By AFP.", "outlet": "AFP", "date": "2016-03-02"},
    ]  # fmt: skip
    (tmp_path / "news.jsonl").write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    index_paths([tmp_path / "news.jsonl"], tmp_path / "ix", IndexOptions(processes=1))
    result = SearchIndex(tmp_path / "ix").search(SearchRequest(q="truce Syria"))
    assert [(h.id, [v.id for v in h.versions]) for h in result.hits] == [("w5", ["w9"])]


def test_ticking_another_outlet_shows_its_own_version(dup_index):
    result = SearchIndex(dup_index).search(SearchRequest(q="truce Syria", filters={"outlet": ["TASS"]}))
    assert [h.id for h in result.hits] == ["v3"]
    assert [v.id for v in result.hits[0].versions] == []  # the others are outside the filter


def test_collapse_off_lists_every_version(dup_index):
    result = SearchIndex(dup_index).search(SearchRequest(q="truce Syria", collapse=False))
    assert result.total == 5
    assert all(h.version_count == 0 for h in result.hits)
    assert sum(v.count for v in result.facets["outlet"]) == 5


def test_the_page_shows_other_versions_in_an_expandable_list(dup_index):
    from searchapp.web import create_app

    client = create_app({"TESTING": True, "INDEX_DIR": str(dup_index)}).test_client()
    page = BeautifulSoup(client.get("/?q=truce+Syria").get_data(as_text=True), "html.parser")
    details = page.select("li.hit details.versions")
    assert len(details) == 1 and not details[0].has_attr("open")
    assert details[0].select_one("summary").get_text(strip=True) == "3 other versions of this story"
    assert len(details[0].select("li a")) == 3
    data = client.get("/api/search?q=truce+Syria").get_json()
    assert sorted(h["other_versions"] for h in data["hits"]) == [0, 3]
    assert client.get("/api/search?q=truce+Syria&collapse=0").get_json()["total"] == 5


def test_more_like_this_never_lists_versions_of_the_same_story(dup_index):
    from searchapp.query import SearchIndex as Index
    from searchapp.query import load_document

    similar = [ref.id for ref in load_document(Index(dup_index), "v2").similar]
    assert similar == ["o1"]  # the only other story that shares words; v0, v1, v3 are v2's own story


@pytest.mark.parametrize("pending", [1, 3, 50, 10_000])
def test_band_table_finds_every_article_sharing_a_band_key_before_and_after_merging(pending):
    """The sorted runs answer as a dictionary per band would, whenever the additions were merged into them."""
    import random

    from searchapp.ingest.dedupe import BANDS, BandTable

    rng = random.Random(pending)
    table = BandTable()
    table.PENDING = pending
    expected: list[dict[int, set[str]]] = [{} for _ in range(BANDS)]
    for n in range(300):
        article_id = f"a{n % 240}"  # the last 60 are articles indexed again, with new keys
        keys = tuple(rng.randrange(12) if band % 2 else rng.randrange(2**32) for band in range(BANDS))  # few values: many shared
        table.add(keys, article_id)
        for band, key in enumerate(keys):
            expected[band].setdefault(key, set()).add(article_id)
        probe = tuple(rng.randrange(12) if band % 2 else rng.randrange(2**32) for band in range(BANDS))
        for asked in (keys, probe):
            assert table.holders(asked) == set().union(*(expected[band].get(key, set()) for band, key in enumerate(asked)))
    assert table.holders(()) == set()
    assert sum(len(keys) for keys, _ in table._runs) == (300 // pending) * pending * BANDS  # (what was flushed: the runs were searched too)
