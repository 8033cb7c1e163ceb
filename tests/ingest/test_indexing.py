"""Indexing end to end: the seeds tagged and indexed, re-runs idempotent, failures lose nothing."""

import json
import shutil

import pytest
from click.testing import CliRunner
from whoosh import index as whoosh_index

from searchapp.cli import main
from searchapp.errors import IndexBusy
from searchapp.ingest import run as indexing
from searchapp.ingest.entities import fold, is_junk
from searchapp.ingest.run import IndexOptions, index_paths
from searchapp.store.index import IndexerLock, open_index, remove_ids
from tests.conftest import SAMPLES

SEEDS = {
    "000_9d7d5c10da81e551.txt": {
        "outlet": "Teller Report", "published": "2020-05-18",
        # "Bashar al-Assad's regime" names the government, not the person (tests/eval/README.md, FA-KES guidelines)
        "person": {"Vladimir Putin", "Recep Tayyip Erdoğan", "Kelly Craft", "Geir Pedersen", "Muhammad Hallaj"},
        "org": {"United Nations", "UN Security Council", "Syrian National Army", "Legion of the Levant", "Civil Response Coordinators", "Constitutional Committee",
                "Syrian government", "Syrian Arab Army"},
        "place": {"Syria", "Idlib", "Aleppo", "Turkey", "Russia", "Iran", "Geneva", "United States", "United Kingdom", "France", "Germany", "Egypt", "Jordan", "Saudi Arabia"},
        "dates": {"2020-05-18", "2020-05", "2015-12-18", "2019-10", "2020-03-06", "2019-11"},
    },
    "001_31535706e98cfbbc.txt": {
        "outlet": "Press TV", "published": "2016-03-02",
        "person": {"Sergei Lavrov", "John Kerry", "Bashar al-Assad", "Staffan de Mistura"},
        "org": {"Foreign Ministry", "UN Security Council", "Islamic State", "Nusra Front", "United Nations", "ARD", "Syrian Center for Policy Research",
                "Syrian government", "Syrian Arab Army"},
        "place": {"Syria", "Russia", "United States", "Damascus", "Saudi Arabia", "Turkey", "Qatar"},
        "dates": {"2016-03-01", "2016-02-26", "2016-02-27", "2016-03-07", "2016-03-09", "2016-02", "2011-03"},
    },
    "002_460a38970724ab14.txt": {
        "outlet": "Press TV", "published": "2016-04-28",
        "person": {"Staffan de Mistura", "Bashar al-Assad"},
        "org": {"United Nations", "UN Security Council", "High Negotiations Committee", "Syrian government", "Syrian Arab Army"},
        "place": {"Syria", "Russia", "United States", "Geneva", "Aleppo", "Damascus", "Saudi Arabia", "Turkey", "Qatar"},
        "dates": {"2016-04-27", "2016-04-28", "2016-04-13", "2016-04", "2016-02-27", "2016-02", "2016-03", "2016-05", "2016-07", "2011-03"},
    },
    "003_db042ee23528fbff.txt": {
        "outlet": "Immortal News", "published": "2016-05",
        "person": {"Sergei Lavrov", "Staffan de Mistura", "Bashar al-Assad"},
        "org": {"United Nations", "CNN", "BBC", "Syrian government", "Syrian Arab Army"},
        "place": {"Syria", "Aleppo", "Geneva", "Switzerland", "Russia", "United States"},
        "dates": set(),  # "Tuesday" in an article known only to the month cannot be resolved
    },
    "004_c9d25193d09c0daa.txt": {
        "outlet": "Daily Sabah", "published": "2021-09-30",
        "person": {"Maria Zakharova", "Recep Tayyip Erdoğan", "Vladimir Putin", "Bashar al-Assad", "Geir Pedersen"},
        "org": {"UN Security Council", "United Nations", "Arab League", "European Union", "Foreign Ministry", "Syrian government", "Syrian Arab Army"},
        "place": {"Idlib", "Syria", "Turkey", "Russia", "Moscow", "Ankara", "Geneva", "Black Sea", "Sochi", "Mediterranean", "United States"},
        "dates": {"2021-09-30", "2015", "2015-09", "2021-10", "2021-10-18", "2021-01", "2018-01", "2019-09", "2015-12", "2012-06-30", "2021-05"},
    },
}  # fmt: skip


def stored_by_file(index_dir):
    with whoosh_index.open_dir(str(index_dir)).searcher() as searcher:
        return {d["source"].rsplit("/", 1)[-1]: d for d in searcher.all_stored_fields()}


# What the tagger still gets wrong on the seeds (issue #12: a photo caption's names and date taken for
# content, "the Astana track/format" and "Washington" for the US government taken for places).  Listed so
# that the check is exact: a fix must remove its entry, and a new error fails the test.
KNOWN_WRONG = {
    "000_9d7d5c10da81e551.txt": {"place": {"Astana", "Washington"}},
    "002_460a38970724ab14.txt": {"person": {"Ilhan Omar"}, "place": {"East Steps", "Washington"}, "dates": {"2019-03-08"}},
    "004_c9d25193d09c0daa.txt": {"place": {"Astana"}},
}


@pytest.mark.parametrize("seed", sorted(SEEDS))
def test_seed_is_indexed_with_its_outlet_year_actors_places_and_dates(sample_index, seed):
    doc = stored_by_file(sample_index)[seed]
    expected = SEEDS[seed]
    assert doc["outlet_name"] == expected["outlet"]
    assert doc["published_iso"] == expected["published"]
    assert doc["year"] == expected["published"][:4]
    mentions = doc["entities"]["mentions"]
    wrong = KNOWN_WRONG.get(seed, {})
    for kind in ("person", "org", "place"):
        names = {m["name"] for m in mentions if m["kind"] == kind}
        assert names == expected[kind] | wrong.get(kind, set()), (kind, names ^ (expected[kind] | wrong.get(kind, set())))
    assert {d["value"] for d in doc["entities"]["dates"]} == expected["dates"] | wrong.get("dates", set())
    # every mention and date keeps the paragraph it is in
    for mention in mentions:
        for p in mention["paragraphs"]:
            assert 0 <= p < len(doc["paragraphs"])
    for date in doc["entities"]["dates"]:
        assert date["text"] in doc["paragraphs"][date["paragraph"]]


def test_seed_date_mentions_point_at_their_paragraph(sample_index):
    doc = stored_by_file(sample_index)["001_31535706e98cfbbc.txt"]
    feb27 = [d for d in doc["entities"]["dates"] if d["value"] == "2016-02-27"]
    assert [d["text"] for d in feb27] == ["February 27"]
    assert "entered into force on February 27" in doc["paragraphs"][feb27[0]["paragraph"]]


def test_facets_hold_one_value_per_entity_and_no_junk(sample_index):
    ix = whoosh_index.open_dir(str(sample_index))
    with ix.reader() as reader:
        values = [v for field in ("people", "orgs", "places") for v in reader.field_terms(field)]
    assert not [v for v in values if is_junk(v)]
    assert not {"Corona", "Coronavirus", "Putin", "Erdogan", "US", "U.S.", "UN", "Kraft"} & set(values)
    people = [v for v in values if v in {"Vladimir Putin", "Recep Tayyip Erdoğan"}]
    assert sorted(people) == ["Recep Tayyip Erdoğan", "Vladimir Putin"]
    folded = {}
    for value in set(values):
        folded.setdefault(fold(value), []).append(value)
    assert [v for v in folded.values() if len(v) > 1] == []


def test_titles_come_from_the_manifest_and_headlines(sample_index):
    docs = stored_by_file(sample_index)
    assert docs["001_31535706e98cfbbc.txt"]["title"] == "Moscow-Washington coordination crucial for truce to hold: Russia"
    assert docs["002_460a38970724ab14.txt"]["paragraphs"][0].startswith("US Rep. Ilhan Omar")  # breadcrumb and headline dropped


@pytest.fixture(scope="module")
def no_manifest_index(tmp_path_factory):
    index_dir = tmp_path_factory.mktemp("no-manifest")
    summary = index_paths([SAMPLES], index_dir, IndexOptions(processes=1))
    assert summary.added == 5
    return index_dir


def test_without_metadata_only_plain_credits_are_inferred(no_manifest_index):
    docs = stored_by_file(no_manifest_index)
    press_tv = docs["001_31535706e98cfbbc.txt"]
    assert press_tv.get("outlet_name") == "Press TV" and "outlet" in press_tv["inferred"]
    assert "outlet_name" not in docs["000_9d7d5c10da81e551.txt"]  # "(Reuters)" there is a photo credit
    assert "published_iso" not in docs["002_460a38970724ab14.txt"]  # its 2019 date is in a caption
    assert all("published_iso" not in d for d in docs.values())


# ---------------------------------------------------------------------------------------------
# Incremental, idempotent, durable


@pytest.fixture()
def corpus(tmp_path):
    folder = tmp_path / "corpus"
    folder.mkdir()
    records = [{"id": f"r{i}", "title": f"Story {i}", "text": f"Talks in Geneva number {i}. Lavrov spoke on Tuesday.", "date": "2016-03-02"} for i in range(5)]
    (folder / "news.jsonl").write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    shutil.copy(SAMPLES / "001_31535706e98cfbbc.txt", folder / "seed.txt")
    return folder


def ids_in(index_dir):
    with open_index(index_dir).searcher() as searcher:
        return sorted(d["id"] for d in searcher.all_stored_fields())


def test_reindexing_the_same_inputs_changes_nothing(tmp_path, corpus):
    index_dir = tmp_path / "ix"
    first = index_paths([corpus], index_dir, IndexOptions(processes=1))
    generation = whoosh_index.open_dir(str(index_dir)).latest_generation()
    second = index_paths([corpus], index_dir, IndexOptions(processes=1))
    assert (first.added, first.unchanged) == (6, 0)
    assert (second.added, second.updated, second.unchanged, len(second.rejected)) == (0, 0, 6, 0)
    assert whoosh_index.open_dir(str(index_dir)).latest_generation() == generation  # no commit at all


def test_changed_records_and_files_are_updated_and_ids_removed(tmp_path, corpus):
    index_dir = tmp_path / "ix"
    index_paths([corpus], index_dir, IndexOptions(processes=1))
    lines = (corpus / "news.jsonl").read_text(encoding="utf-8").splitlines()
    changed = json.loads(lines[2])
    changed["text"] = "Entirely new text about Idlib."
    lines[2] = json.dumps(changed)
    (corpus / "news.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    seed = corpus / "seed.txt"
    seed.write_text(seed.read_text(encoding="utf-8") + "\nA correction was appended.\n", encoding="utf-8")
    old_ids = ids_in(index_dir)

    summary = index_paths([corpus], index_dir, IndexOptions(processes=1))
    assert (summary.added, summary.updated, summary.unchanged, summary.removed) == (1, 1, 4, 1)
    new_ids = ids_in(index_dir)
    assert len(new_ids) == 6 and len(set(new_ids) - set(old_ids)) == 1  # the edited file replaced its old id
    with open_index(index_dir).searcher() as searcher:
        assert searcher.document(id="r2")["paragraphs"] == ["Entirely new text about Idlib."]

    removed, missing = remove_ids(index_dir, ["r0", "nope"])
    assert (removed, missing) == (["r0"], ["nope"])
    assert "r0" not in ids_in(index_dir)


def test_rebuild_starts_fresh(tmp_path, corpus):
    index_dir = tmp_path / "ix"
    index_paths([corpus], index_dir, IndexOptions(processes=1))
    summary = index_paths([corpus / "seed.txt"], index_dir, IndexOptions(processes=1, rebuild=True))
    assert summary.added == 1
    assert len(ids_in(index_dir)) == 1


def test_a_crash_keeps_every_committed_batch_and_a_rerun_finishes(tmp_path, corpus, monkeypatch):
    index_dir = tmp_path / "ix"
    real = indexing.document_fields
    calls = {"n": 0}

    def failing(*args):
        calls["n"] += 1
        if calls["n"] == 5:
            raise RuntimeError("simulated crash")
        return real(*args)

    monkeypatch.setattr(indexing, "document_fields", failing)
    with pytest.raises(RuntimeError, match="simulated crash"):
        index_paths([corpus], index_dir, IndexOptions(processes=1, batch_size=2))
    monkeypatch.setattr(indexing, "document_fields", real)
    assert len(ids_in(index_dir)) == 4  # two committed batches of two
    summary = index_paths([corpus], index_dir, IndexOptions(processes=1, batch_size=2))
    assert (summary.added, summary.unchanged) == (2, 4)
    ids = ids_in(index_dir)
    assert len(ids) == len(set(ids)) == 6


def test_a_second_indexer_waits_then_stops_with_a_message(tmp_path, corpus):
    index_dir = tmp_path / "ix"
    index_paths([corpus], index_dir, IndexOptions(processes=1))
    with IndexerLock(index_dir, timeout=1), pytest.raises(IndexBusy, match="another `searchapp index`"):
        index_paths([corpus], index_dir, IndexOptions(processes=1, lock_timeout=0.3))
    assert len(ids_in(index_dir)) == 6


def test_parallel_tagging_gives_the_same_index_as_one_process(tmp_path):
    one = index_paths([SAMPLES], tmp_path / "one", IndexOptions(processes=1, manifest=SAMPLES / "manifest.csv"))
    two = index_paths([SAMPLES], tmp_path / "two", IndexOptions(processes=2, batch_size=2, manifest=SAMPLES / "manifest.csv"))
    assert one.added == two.added == 5

    def content(index_dir):
        return {d["id"]: (d["content_hash"], d["entities"]) for d in stored_by_file(index_dir).values()}

    assert content(tmp_path / "one") == content(tmp_path / "two")


def test_arabic_text_is_indexed_in_the_arabic_fields_and_tagged_by_gazetteer(tmp_path):
    path = tmp_path / "ar.jsonl"
    path.write_text(json.dumps({"id": "ar1", "text": "قال الرئيس السوري بشار الأسد في دمشق يوم الثلاثاء", "source": "alarabia"}, ensure_ascii=False) + "\n", encoding="utf-8")
    index_paths([path], tmp_path / "ix", IndexOptions(processes=1))
    with open_index(tmp_path / "ix").searcher() as searcher:
        doc = searcher.document(id="ar1")
        in_arabic = searcher.document_number(text_ar="رءيس")  # الرئيس, normalised and stemmed by the Arabic analyser
        in_english = list(searcher.documents(text="الرئيس"))
    assert doc["language"] == "ar" and doc["language_name"] == "Arabic"
    # names by the Arabic gazetteer (searchapp.ingest.arabic_tags); "يوم الثلاثاء" needs a published day to resolve
    keys = {m["name"]: m.pop("keys") for m in doc["entities"]["mentions"]}
    assert doc["entities"] == {
        "mentions": [
            {"name": "Bashar al-Assad", "kind": "person", "paragraphs": (0,), "spans": ((0, 18, 28),)},
            {"name": "Damascus", "kind": "place", "paragraphs": (0,), "spans": ((0, 32, 36),)},
        ],
        "dates": [],
        "raw": [[0, 18, 28, "PERSON", "Bashar al-Assad"], [0, 32, 36, "GPE", "Damascus"]],
    }
    # the English spellings' keys: a search for "Asad" or "Dimashq" finds the Arabic article too
    assert keys["Bashar al-Assad"] == ["VsVd", "bVshVrVsVd", "bVshVrsVd"]
    assert {"dVmVs", "dVmVshk"} <= set(keys["Damascus"])
    assert doc["outlet_name"] == "Al Arabiya"
    assert in_arabic is not None and in_english == []


# ---------------------------------------------------------------------------------------------
# The command line


def test_cli_reports_rejected_inputs_with_file_and_line_and_exits_1(tmp_path, corpus):
    (corpus / "bad.jsonl").write_text('{"id": "b1", "text": "Fine."}\n{broken\n', encoding="utf-8")
    (corpus / "empty.txt").write_text("", encoding="utf-8")
    result = CliRunner().invoke(main, ["index", "--index-dir", str(tmp_path / "ix"), "--processes", "1", "--quiet", str(corpus)])
    assert result.exit_code == 1, result.output
    assert f"rejected: {corpus / 'bad.jsonl'}:2: invalid JSON" in result.stderr
    assert f"rejected: {corpus / 'empty.txt'}: empty text" in result.stderr
    assert "indexed 7 (7 new, 0 updated)" in result.stderr and "rejected 2" in result.stderr
    assert len(ids_in(tmp_path / "ix")) == 7  # every good record around the bad ones


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["index", "/no/such/path"], "no such file or folder"),
        (["index", "--field", "colour=x", str(SAMPLES)], "expected NAME=COLUMN"),
        (["index", "--manifest", "/no/manifest.csv", str(SAMPLES)], "--manifest"),
        (["index", "--processes", "0", str(SAMPLES)], "--processes"),
        (["index"], "Missing argument"),
        (["search", "--sort", "sideways", "x"], "--sort"),
    ],
)
def test_cli_usage_errors_exit_2_and_name_the_parameter(args, message):
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 2
    assert message in result.output


def test_cli_refuses_a_folder_that_is_not_an_index(tmp_path, corpus):
    (tmp_path / "notes").mkdir()
    (tmp_path / "notes" / "keep.txt").write_text("mine", encoding="utf-8")
    result = CliRunner().invoke(main, ["index", "--index-dir", str(tmp_path / "notes"), "--quiet", "--processes", "1", str(corpus)])
    assert result.exit_code == 2 and "holds no index" in result.stderr
    assert (tmp_path / "notes" / "keep.txt").read_text(encoding="utf-8") == "mine"


def test_cli_bad_aliases_file_names_the_file(tmp_path, corpus):
    aliases = tmp_path / "aliases.toml"
    aliases.write_text("[merge\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["index", "--index-dir", str(tmp_path / "ix"), "--aliases", str(aliases), "--quiet", str(corpus)])
    assert result.exit_code == 2 and str(aliases) in result.stderr and "line 1" in result.stderr


def test_cli_remove(tmp_path, corpus):
    index_paths([corpus], tmp_path / "ix", IndexOptions(processes=1))
    result = CliRunner().invoke(main, ["remove", "--index-dir", str(tmp_path / "ix"), "r1", "missing-id"])
    assert result.exit_code == 1 and "removed 1; not in the index: missing-id" in result.stderr
