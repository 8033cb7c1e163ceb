"""`searchapp entities --apply-aliases`: an edited aliases file applied to an indexed archive, without NER.

Each test works on a copy of the sample index (tests/conftest.py, indexed with
``samples/aliases.toml``) and checks the facets, a search by the new values, and that nothing but
the entity fields changed.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from searchapp.cli import main
from searchapp.errors import AliasesError, IndexUnavailable
from searchapp.ingest import curate
from searchapp.ingest.curate import REBUILT_FIELDS, reapply_aliases, rewritten_document
from searchapp.ingest.documents import ENTITY_FIELDS
from searchapp.query import SearchIndex, SearchRequest
from searchapp.store.index import batch_writer, open_index, stored_keys
from searchapp.store.internals import segment_columns
from searchapp.store.schema import build_schema
from tests.conftest import SAMPLES

SAMPLE_ALIASES = (SAMPLES / "aliases.toml").read_text(encoding="utf-8")


@pytest.fixture()
def index_copy(sample_index, tmp_path) -> Path:
    copy = tmp_path / "index"
    shutil.copytree(sample_index, copy)
    return copy


def edited(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "edited.toml"
    path.write_text(text, encoding="utf-8")
    return path


def facets(index_dir: Path) -> dict[tuple[str, str], int]:
    """(facet, value) -> articles, for an empty query: what the web shows."""
    result = SearchIndex(index_dir).search(SearchRequest(q="", facet_size=1000))
    return {(name, v.value): v.count for name in ("actor", "place") for v in result.facets[name]}


def ids(index_dir: Path, **filters: list[str]) -> list[str]:
    result = SearchIndex(index_dir).search(SearchRequest(q="", filters=filters, per_page=100, collapse=False))
    return sorted(hit.id for hit in result.hits)


def stored_documents(index_dir: Path) -> dict[str, dict]:
    with open_index(index_dir).searcher() as searcher:
        return {stored["id"]: stored for stored in searcher.reader().all_stored_fields()}


def columns(index_dir: Path) -> dict[str, tuple]:
    """id -> the columns a rewrite must keep (content hash, file key, near-duplicate bands and group)."""
    return {k.id: (k.content_hash, k.file_source, k.dup_bands, k.dup_group) for k in stored_keys(open_index(index_dir))}


def published(index_dir: Path) -> dict[str, object]:
    with open_index(index_dir).reader() as reader:
        found = {}
        for offset, count, column in segment_columns(reader, "published"):
            for docnum in range(count):
                if not reader.is_deleted(offset + docnum):
                    found[reader.stored_fields(offset + docnum)["id"]] = column[docnum] if column is not None else None
        return found


# merge two values, rename one, drop one, give one another kind, and un-merge one the sample aliases merged
EDIT = (
    SAMPLE_ALIASES.replace('"Geir Pedersen" = ["Pedersen",', '"Geir O. Pedersen" = ["Geir Pedersen", "Pedersen",')
    .replace('"Geir Pedersen" = "person"', '"Geir O. Pedersen" = "person"')
    .replace('drop = ["Press TV News Roku"', 'drop = ["Saudi Arabia", "Press TV News Roku"')
    .replace('"Kelly Craft" = ["Kelly Kraft", "Kraft"]\n', "")
    .replace("[kind]\n", '"Syrian government" = ["Syrian Arab Army"]\n\n[kind]\n"Foreign Ministry" = "place"\n')
)


def test_an_edit_changes_the_facets_exactly_as_written(index_copy, tmp_path):
    before = facets(index_copy)
    summary = reapply_aliases(index_copy, edited(tmp_path, EDIT))
    after = facets(index_copy)

    expected = dict(before)
    expected[("actor", "Geir O. Pedersen")] = expected.pop(("actor", "Geir Pedersen"))  # renamed
    del expected[("actor", "Syrian Arab Army")]  # merged: its 5 articles are all among the government's 5
    del expected[("place", "Saudi Arabia")]  # dropped
    expected[("place", "Foreign Ministry")] = expected.pop(("actor", "Foreign Ministry"))  # re-kinded
    del expected[("actor", "Kelly Craft")]  # un-merged: the article's own spelling again
    expected[("actor", "Kelly Kraft")] = 1
    assert after == expected
    assert (summary.read, summary.rewritten) == (5, 5)
    assert (summary.values_before, summary.values_after) == (
        {"person": 11, "org": 18, "place": 25},
        {"person": 11, "org": 16, "place": 25},
    )


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ({"actor": ["Geir Pedersen"]}, {"actor": ["Geir O. Pedersen"]}),
        ({"actor": ["Syrian Arab Army"]}, {"actor": ["Syrian government"]}),
        ({"actor": ["Foreign Ministry"]}, {"place": ["Foreign Ministry"]}),
        ({"actor": ["Kelly Craft"]}, {"actor": ["Kelly Kraft"]}),
    ],
)
def test_a_search_by_the_new_value_finds_the_articles(index_copy, tmp_path, old, new):
    articles = ids(index_copy, **old)
    assert articles
    reapply_aliases(index_copy, edited(tmp_path, EDIT))
    assert ids(index_copy, **old) == []
    assert set(articles) <= set(ids(index_copy, **new))


def test_a_query_on_the_actor_field_finds_the_renamed_value(index_copy, tmp_path):
    reapply_aliases(index_copy, edited(tmp_path, EDIT))
    result = SearchIndex(index_copy).search(SearchRequest(q='actor:"geir o. pedersen"', per_page=100, collapse=False))
    assert sorted(h.id for h in result.hits) == ids(index_copy, actor=["Geir O. Pedersen"]) and result.total == 2


def test_nothing_but_the_entities_changes(index_copy, tmp_path):
    stored_before, columns_before, published_before = stored_documents(index_copy), columns(index_copy), published(index_copy)
    text_before = {q: ids_for(index_copy, q) for q in ("ceasefire", "negotiat*", '"constitutional committee"', "outlet:dailysabah")}
    other_filters = {"year": ["2021"], "month": ["2021-09"], "outlet": ["Daily Sabah"]}
    filtered_before = {k: ids(index_copy, **{k: v}) for k, v in other_filters.items()}

    reapply_aliases(index_copy, edited(tmp_path, EDIT))

    stored_after = stored_documents(index_copy)
    assert stored_after.keys() == stored_before.keys()
    for article_id, before in stored_before.items():
        after = stored_after[article_id]
        assert {k: v for k, v in after.items() if k != "entities"} == {k: v for k, v in before.items() if k != "entities"}
        assert after["entities"]["dates"] == before["entities"]["dates"]
        assert after["entities"]["raw"] == before["entities"]["raw"]
    assert columns(index_copy) == columns_before
    assert published(index_copy) == published_before
    assert {q: ids_for(index_copy, q) for q in text_before} == text_before
    assert {k: ids(index_copy, **{k: v}) for k, v in other_filters.items()} == filtered_before
    assert all(filtered_before.values()) and all(text_before.values())


def ids_for(index_dir: Path, q: str) -> list[str]:
    result = SearchIndex(index_dir).search(SearchRequest(q=q, per_page=100, collapse=False))
    return sorted(h.id for h in result.hits)


def test_the_aliases_the_index_was_built_with_change_nothing(index_copy):
    """Re-normalising the stored raw mentions gives back what tagging gave: no article is rewritten."""
    stored = stored_documents(index_copy)
    generation = open_index(index_copy).latest_generation()
    summary = reapply_aliases(index_copy, SAMPLES / "aliases.toml")
    assert (summary.read, summary.rewritten) == (5, 0)
    assert open_index(index_copy).latest_generation() == generation
    assert stored_documents(index_copy) == stored


def test_every_field_is_stored_or_rebuilt_by_a_rewrite():
    """A field added to the schema later must be stored, or rebuilt in curate.rewritten_document."""
    schema = build_schema()
    not_stored = {name for name in schema.names() if not schema[name].stored}
    assert not_stored <= set(REBUILT_FIELDS) | set(ENTITY_FIELDS)


BAD = [
    # (the file, where the error points: {path} is the file, message)
    ('[kind]\n"Geir Pedersen" = "people"\n', "{path}:2:", "expected one of person, org, place"),
    ('drop = ["X"]\n\n[merge]\n"Kelly Craft" = "Kelly Kraft"\n"Geir Pedersen" = 3\n', "{path}:5:", "must be a list of strings"),
    ('drop = ["X"\n[merge]\n', "{path}:", "Unclosed array (at line 2, column 1)"),
    ('[merged]\n"A" = ["B"]\n', "{path}:", "unknown section(s) merged; expected drop, merge, kind"),
]


@pytest.mark.parametrize(("text", "where", "message"), BAD)
def test_a_bad_aliases_file_is_named_with_its_line_and_the_index_is_untouched(index_copy, tmp_path, text, where, message):
    path = edited(tmp_path, text)
    files = {p.name: p.read_bytes() for p in index_copy.iterdir() if p.is_file() and p.name != "indexer.lock"}
    result = CliRunner().invoke(main, ["entities", "--index-dir", str(index_copy), "--apply-aliases", str(path)])
    assert result.exit_code == 2
    assert f"{where.format(path=path)} " in result.stderr.replace("\n", " ")
    assert message in result.stderr.replace("\n", " ")
    assert {p.name: p.read_bytes() for p in index_copy.iterdir() if p.is_file() and p.name != "indexer.lock"} == files


def test_an_article_indexed_without_raw_mentions_asks_for_a_rebuild_and_changes_nothing(index_copy, tmp_path):
    ix = open_index(index_copy)
    keys = {k.id: k for k in stored_keys(ix)}
    with ix.searcher() as searcher:
        stored = next(iter(searcher.reader().all_stored_fields()))
    old = dict(stored, entities={k: v for k, v in stored["entities"].items() if k != "raw"})  # as an older searchapp wrote it
    from searchapp.ingest.curate import _tagged

    document = rewritten_document(old, keys[old["id"]], _tagged(old, []))
    document["entities"] = old["entities"]
    with batch_writer(ix, False, 5) as writer:
        writer.update_document(**{k: v for k, v in document.items() if k not in ENTITY_FIELDS})
    before = stored_documents(index_copy)
    with pytest.raises(IndexUnavailable, match=r"indexed by an older searchapp.*--rebuild.*nothing was changed"):
        reapply_aliases(index_copy, edited(tmp_path, EDIT))
    assert stored_documents(index_copy) == before


def test_an_interrupted_run_keeps_its_committed_batches_and_a_second_run_finishes(index_copy, tmp_path, monkeypatch):
    path = edited(tmp_path, EDIT)
    before = stored_documents(index_copy)
    real = curate.rewritten_document
    calls = []

    def interrupted(*args):
        calls.append(1)
        if len(calls) == 3:
            raise KeyboardInterrupt
        return real(*args)

    monkeypatch.setattr(curate, "rewritten_document", interrupted)
    with pytest.raises(KeyboardInterrupt):
        reapply_aliases(index_copy, path, batch_size=2)
    monkeypatch.setattr(curate, "rewritten_document", real)
    middle = stored_documents(index_copy)
    assert middle.keys() == before.keys()  # nothing lost
    assert sum(middle[i]["entities"] != before[i]["entities"] for i in before) == 2  # the first batch of two, committed
    summary = reapply_aliases(index_copy, path)
    assert summary.rewritten == 5 - 2
    assert ("actor", "Geir O. Pedersen") in facets(index_copy)


def test_the_cli_applies_then_lists(index_copy, tmp_path):
    result = CliRunner().invoke(
        main, ["entities", "--index-dir", str(index_copy), "--apply-aliases", str(edited(tmp_path, EDIT)), "--match", "pedersen", "--json"]
    )
    assert result.exit_code == 0, result.output
    assert "read 5 articles, rewrote 5" in result.stderr
    assert [(v["value"], v["articles"], [s["text"] for s in v["spellings"]]) for v in json.loads(result.stdout)["values"]] == [
        ("Geir O. Pedersen", 2, ["Pedersen", "Biderson", "Geir Pedersen", "Pederson"])
    ]


def test_a_missing_aliases_file_is_a_clear_error(index_copy):
    with pytest.raises(AliasesError, match="nope.toml: no such aliases file"):
        reapply_aliases(index_copy, index_copy / "nope.toml")


def test_renaming_a_built_in_value_takes_its_spellings_along(index_copy, tmp_path):
    """"Assad" and "Bashar Assad" are built-in spellings of Bashar al-Assad: the rename applies to them too."""
    before = facets(index_copy)
    reapply_aliases(index_copy, edited(tmp_path, SAMPLE_ALIASES.replace("[merge]\n", '[merge]\n"Bashar al-Asad" = ["Bashar al-Assad"]\n')))
    after = facets(index_copy)
    assert ("actor", "Bashar al-Assad") not in after
    assert after[("actor", "Bashar al-Asad")] == before[("actor", "Bashar al-Assad")] == 4
    spellings = {v["value"]: [s["text"] for s in v["spellings"]] for v in json.loads(
        CliRunner().invoke(main, ["entities", "--index-dir", str(index_copy), "--json", "--match", "assad", "--kind", "person"]).stdout
    )["values"]}
    assert spellings == {"Bashar al-Asad": ["Assad", "Bashar al-Assad", "Bashar Assad"]}


def test_a_merge_of_two_built_in_values_takes_the_spellings_of_both():
    from searchapp.ingest.entities import Aliases, load_aliases

    aliases: Aliases = load_aliases()
    aliases.update({"merge": {"Syrian government": ["Syrian Arab Army"]}}, "user")
    assert {aliases.resolve(n, "org") for n in ("SAA", "Syrian Army", "Syrian regime", "Syrian Arab Army")} == {("Syrian government", "org")}
    aliases.update({"merge": {"ISIS": ["ISIS"]}}, "user")  # un-merged: its own value again
    assert aliases.resolve("ISIS", "org") == ("ISIS", "org") and aliases.resolve("Daesh", "org") == ("Islamic State", "org")


class NoTagging:
    """A tagger that fails if the run asks it to tag anything: proof that no article is tagged again."""

    threads = 1

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        pass

    def describe(self) -> str:
        return "none"

    def tag(self, batches, backlog=0):
        for batch in batches:
            assert not batch, f"tagged again: {[a.id for a in batch]}"
            yield []


def index_samples(index_dir: Path, aliases_file: Path | None, reports: list[str] | None = None):
    from searchapp.ingest.run import IndexOptions, index_paths

    options = IndexOptions(manifest=SAMPLES / "manifest.csv", aliases_file=str(aliases_file) if aliases_file else None, processes=1)
    return index_paths([SAMPLES], index_dir, options, report=(reports if reports is not None else []).append, tagger=NoTagging())


def test_the_applied_file_is_kept_with_the_index_and_later_runs_keep_it(index_copy, tmp_path):
    path = edited(tmp_path, EDIT)
    reapply_aliases(index_copy, path)
    assert (index_copy / "aliases.toml").read_text(encoding="utf-8") == EDIT
    curated = facets(index_copy)
    summary = index_samples(index_copy, None)  # no --aliases: the file kept with the index
    assert (summary.unchanged, summary.indexed) == (5, 0)
    assert facets(index_copy) == curated


def test_an_index_run_with_other_aliases_normalises_again_without_tagging(index_copy, tmp_path):
    original = facets(index_copy)
    reports: list[str] = []
    summary = index_samples(index_copy, edited(tmp_path, EDIT), reports)
    assert (summary.unchanged, summary.indexed) == (5, 0)  # nothing tagged again (NoTagging would fail)
    assert any("aliases changed since they were last applied" in r for r in reports)
    assert ("actor", "Geir O. Pedersen") in facets(index_copy)
    summary = index_samples(index_copy, SAMPLES / "aliases.toml")  # and back
    assert (summary.unchanged, summary.indexed) == (5, 0)
    assert facets(index_copy) == original


def test_custom_facets_of_a_rewritten_article_are_kept(tmp_path):
    from searchapp.ingest.run import IndexOptions, index_paths
    from searchapp.store.custom import FacetSpec

    corpus = tmp_path / "news.jsonl"
    rows = [
        {"id": "a1", "title": "Talks", "text": "Vladimir Putin met Recep Tayyip Erdogan in Sochi on Monday.", "label": ["fake", "checked"], "nb": "12", "day": "2016-05-03", "language": "en"},
        {"id": "a2", "title": "Talks again", "text": "Putin spoke in Moscow about Syria.", "label": "credible", "nb": "3", "day": "2016-06", "language": "en"},
    ]
    corpus.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    specs = [FacetSpec.parse("label"), FacetSpec.parse("nb:number"), FacetSpec.parse("day:date")]
    index_dir = tmp_path / "ix"
    index_paths([corpus], index_dir, IndexOptions(processes=1, facets=specs))
    stored_before = stored_documents(index_dir)
    before = SearchIndex(index_dir).search(SearchRequest(q="", facet_size=100, collapse=False))
    summary = reapply_aliases(index_dir, edited(tmp_path, '[merge]\n"President Putin" = ["Vladimir Putin"]\n'))
    assert summary.rewritten == 2
    after = SearchIndex(index_dir).search(SearchRequest(q="", facet_size=100, collapse=False))
    for name in ("label", "nb", "day"):
        assert [(v.value, v.count) for v in after.facets[name]] == [(v.value, v.count) for v in before.facets[name]]
    assert [(v.value, v.count) for v in before.facets["label"]] == [("checked", 1), ("credible", 1), ("fake", 1)]
    assert {v.value for v in after.facets["actor"]} >= {"President Putin"} and "Vladimir Putin" not in {v.value for v in after.facets["actor"]}
    stored_after = stored_documents(index_dir)
    assert {i: {k: v for k, v in d.items() if k != "entities"} for i, d in stored_after.items()} == {
        i: {k: v for k, v in d.items() if k != "entities"} for i, d in stored_before.items()
    }
    assert ids_for(index_dir, "nb:[10 TO 20]") == ["a1"] and ids_for(index_dir, "label:credible") == ["a2"]


def test_a_dry_run_says_what_the_edit_would_do_and_writes_nothing(index_copy, tmp_path):
    files = {p.name: p.read_bytes() for p in index_copy.iterdir() if p.is_file() and p.name != "indexer.lock"}
    summary = reapply_aliases(index_copy, edited(tmp_path, EDIT), dry_run=True)
    assert {p.name: p.read_bytes() for p in index_copy.iterdir() if p.is_file() and p.name != "indexer.lock"} == files
    assert (summary.read, summary.rewritten, summary.dry_run) == (5, 5, True)
    assert dict(summary.changes) == {
        (("Syrian Arab Army", "org"), ("Syrian government", "org")): 5,
        (("Saudi Arabia", "place"), None): 3,
        (("Geir Pedersen", "person"), ("Geir O. Pedersen", "person")): 2,
        (("Foreign Ministry", "org"), ("Foreign Ministry", "place")): 2,
        (("Kelly Craft", "person"), ("Kelly Kraft", "person")): 1,
    }
    assert summary.describe_changes(limit=2) == [
        "  Syrian Arab Army (org) -> Syrian government (org): 5 articles",
        "  Saudi Arabia (place) -> (dropped): 3 articles",
        "  ... and 3 more changes",
    ]
    assert summary.describe().startswith(f"dry run of {tmp_path / 'edited.toml'} (nothing written): read 5 articles, would rewrite 5 ")


def test_the_cli_dry_run_reports_to_stderr_and_needs_a_file(index_copy, tmp_path):
    result = CliRunner().invoke(main, ["entities", "--index-dir", str(index_copy), "--apply-aliases", str(edited(tmp_path, EDIT)), "--dry-run", "--kind", "person", "--json"])
    assert result.exit_code == 0, result.output
    assert "  Geir Pedersen (person) -> Geir O. Pedersen (person): 2 articles" in result.stderr.splitlines()
    assert "Geir Pedersen" in {v["value"] for v in json.loads(result.stdout)["values"]}  # the index as it was
    result = CliRunner().invoke(main, ["entities", "--index-dir", str(index_copy), "--dry-run"])
    assert result.exit_code == 2 and "--dry-run needs --apply-aliases" in result.stderr


def test_an_article_rewritten_for_a_new_facet_keeps_its_raw_mentions_and_marks(tmp_path):
    """The run that fills a new custom facet without tagging (refaceted) writes the stored tagging back whole."""
    import csv

    from searchapp.ingest.run import IndexOptions, index_paths
    from searchapp.store.custom import FacetSpec

    source = tmp_path / "archive.csv"
    with open(source, "w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["id", "title", "text", "label", "language"])
        writer.writerow(["s1", "Shelling", "The Britain-based Syrian Observatory for Human Rights said Russian jets struck Idlib.", "fake", "en"])
    index_dir = tmp_path / "ix"
    index_paths([source], index_dir, IndexOptions(processes=1))
    before = stored_documents(index_dir)["s1"]["entities"]
    assert before["raw"] and any(m.get("facet") is False for m in before["mentions"])  # "Britain" of "Britain-based"
    summary = index_paths([source], index_dir, IndexOptions(processes=1, facets=[FacetSpec.parse("label")]), tagger=NoTagging())
    assert summary.refaceted == 1
    assert stored_documents(index_dir)["s1"]["entities"] == before
    assert reapply_aliases(index_dir, edited(tmp_path, '[merge]\n"SOHR" = ["Syrian Observatory for Human Rights"]\n')).rewritten == 1
    assert ("actor", "SOHR") in facets(index_dir) and ("place", "United Kingdom") not in facets(index_dir)
