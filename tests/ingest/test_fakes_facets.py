"""FA-KES as it comes: its own columns as facets with the CSV's counts, its columns reported, its outlets named.

FA-KES (Salem et al. 2019, CC BY) labels each article credible (1) or fake (0) and names the
governorate it reports on; an article annotated twice (same ``unit_id``) is one article with both
values, so a facet counts distinct articles per value.
"""

from __future__ import annotations

import csv
from collections import defaultdict

import pytest
from click.testing import CliRunner

from searchapp.cli import main
from searchapp.query import SearchIndex, SearchRequest
from searchapp.store.outlets import known_outlet
from tests.conftest import SHARED

FAKES = SHARED / "corpora/fakes-dev/fakes-dev.csv"
pytestmark = [pytest.mark.slow, pytest.mark.skipif(not FAKES.exists(), reason="needs ../shared/corpora/fakes-dev")]


def csv_counts(column: str) -> dict[str, int]:
    """Distinct articles (unit_id) per value of ``column``, read from the CSV itself."""
    with open(FAKES, encoding="utf-8", newline="") as f:
        ids = defaultdict(set)
        for row in csv.DictReader(f):
            if row[column].strip():
                ids[" ".join(row[column].split())].add(row["unit_id"])
    return {value: len(units) for value, units in ids.items()}


@pytest.fixture(scope="module")
def fakes_index(tmp_path_factory):
    index_dir = tmp_path_factory.mktemp("fakes") / "index"
    result = CliRunner().invoke(main, ["index", "--quiet", "--index-dir", str(index_dir), "--facet", "label", "--facet", "location", str(FAKES)])
    assert result.exit_code == 0, result.output
    return index_dir, result.stderr


def test_label_and_location_facets_have_the_csvs_counts(fakes_index):
    index_dir, _ = fakes_index
    result = SearchIndex(index_dir).search(SearchRequest(facet_size=None, collapse=False))
    for facet in ("label", "location"):
        shown = {v.value: v.count for v in result.facets[facet]}
        assert shown == csv_counts(facet), facet
    with open(FAKES, encoding="utf-8", newline="") as f:
        assert result.total == len({row["unit_id"] for row in csv.DictReader(f)})


def test_the_run_names_every_column_used_and_unused(fakes_index):
    _, stderr = fakes_index
    [report] = [line for line in stderr.splitlines() if ": columns: " in line]
    with open(FAKES, encoding="utf-8", newline="") as f:
        header = next(csv.reader(f))
    assert report == (
        f"{FAKES}: columns: unit_id -> id, article_title -> title, article_content -> text, source -> outlet, "
        "date -> published, label -> facet label, location -> facet location; not used: actor (--facet actor_col=actor or "
        "--field NAME=actor), cause_of_death (--facet cause_of_death or --field NAME=cause_of_death), nb_children "
        "(--facet nb_children or --field NAME=nb_children), nb_civilians (--facet nb_civilians or --field NAME=nb_civilians), "
        "nb_noncivilians (--facet nb_noncivilians or --field NAME=nb_noncivilians), nb_women (--facet nb_women or "
        "--field NAME=nb_women); no column for url"
    )
    assert all(f"{column} " in report for column in header)


def test_outlets_are_proper_names(fakes_index):
    index_dir, _ = fakes_index
    result = SearchIndex(index_dir).search(SearchRequest(facet_size=None, collapse=False))
    outlets = {v.value for v in result.facets["outlet"]}
    assert {"Al Manar", "Al-Alam News Network", "The New Arab", "Syrian National Coalition", "TRT World", "Al Arabiya",
            "National News Agency (Lebanon)", "Ahram Online", "Daily Sabah"} <= outlets  # fmt: skip
    assert all(known_outlet(name) for name in outlets)
    # every spelling of an outlet finds it in a query
    manar = {v.value: v.count for v in result.facets["outlet"]}["Al Manar"]
    for spelling in ('outlet:"Al Manar"', "outlet:manar", "outlet:almanar.com.lb"):
        assert SearchIndex(index_dir).search(SearchRequest(q=spelling, collapse=False)).total == manar, spelling
