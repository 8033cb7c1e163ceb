"""Curating FA-KES dev as scraped: `searchapp entities` shows the spellings folded into a known entity,
and an aliases edit applied to the index moves exactly that value's articles.

FA-KES (Salem et al. 2019, CC BY): ../shared/corpora/fakes-dev, see its SOURCE.txt.
"""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from searchapp.cli import main
from searchapp.query import SearchIndex, SearchRequest
from tests.conftest import SHARED

FAKES = SHARED / "corpora/fakes-dev/fakes-dev.csv"
pytestmark = [pytest.mark.slow, pytest.mark.skipif(not FAKES.exists(), reason="needs ../shared/corpora/fakes-dev")]


@pytest.fixture(scope="module")
def fakes_index(tmp_path_factory):
    index_dir = tmp_path_factory.mktemp("fakes-curate") / "index"
    result = CliRunner().invoke(main, ["index", "--quiet", "--processes", "1", "--index-dir", str(index_dir), str(FAKES)])
    assert result.exit_code == 0, result.output
    return index_dir


def listing(index_dir, *options: str) -> list[dict]:
    result = CliRunner().invoke(main, ["entities", "--index-dir", str(index_dir), "--json", *options])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)["values"]


def test_the_spellings_folded_into_the_observatory_are_listed(fakes_index):
    values = listing(fakes_index, "--match", "SOHR")
    assert [(v["value"], v["kind"]) for v in values] == [("Syrian Observatory for Human Rights", "org")]
    spellings = {s["text"] for s in values[0]["spellings"]}
    assert {"SOHR", "Syrian Observatory", "Observatory", "Syrian Observatory for Human Rights"} <= spellings
    assert values[0]["articles"] > 100  # about half of FA-KES dev cites it
    assert values[0]["mentions"] == sum(s["mentions"] for s in values[0]["spellings"])


def test_an_edit_renames_the_most_named_person_and_moves_exactly_its_articles(fakes_index, tmp_path):
    top = listing(fakes_index, "--kind", "person", "--limit", "2")
    name, other = top[0]["value"], top[1]["value"]
    before = SearchIndex(fakes_index).search(SearchRequest(q="", filters={"actor": [name]}, per_page=1, collapse=False)).total
    other_before = SearchIndex(fakes_index).search(SearchRequest(q="", filters={"actor": [other]}, per_page=1, collapse=False)).total
    aliases = tmp_path / "edit.toml"
    aliases.write_text(f'[merge]\n"Curated {name}" = [{json.dumps(name)}]\n', encoding="utf-8")
    result = CliRunner().invoke(main, ["entities", "--index-dir", str(fakes_index), "--apply-aliases", str(aliases), "--kind", "person", "--json", "--limit", "1"])
    assert result.exit_code == 0, result.output
    assert f"rewrote {before} " in result.stderr or f"rewrote {before} (" in result.stderr
    index = SearchIndex(fakes_index)
    assert index.search(SearchRequest(q="", filters={"actor": [f"Curated {name}"]}, per_page=1, collapse=False)).total == before
    assert index.search(SearchRequest(q="", filters={"actor": [name]}, per_page=1, collapse=False)).total == 0
    assert index.search(SearchRequest(q="", filters={"actor": [other]}, per_page=1, collapse=False)).total == other_before
    assert json.loads(result.stdout)["values"][0]["value"] == f"Curated {name}"
