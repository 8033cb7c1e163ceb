"""`searchapp entities`: the values of the sample index with their counts, kinds and folded spellings.

The sample index (tests/conftest.py) is the five bundled articles with ``samples/aliases.toml``;
the expected values below were read off the articles: seed 000's machine translation spells the
envoy "Pedersen", "Pederson" and "Biderson", which the sample aliases fold into Geir Pedersen.
"""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from searchapp.cli import main
from searchapp.query.entities import list_entities, spelling_of


def run(sample_index, *args: str) -> str:
    result = CliRunner().invoke(main, ["entities", "--index-dir", str(sample_index), *args])
    assert result.exit_code == 0, result.output
    return result.stdout


def as_json(sample_index, *args: str) -> dict:
    return json.loads(run(sample_index, "--json", *args))


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (
            "Geir Pedersen",
            {"value": "Geir Pedersen", "kind": "person", "articles": 2, "mentions": 10, "spellings": [
                {"text": "Pedersen", "mentions": 5}, {"text": "Biderson", "mentions": 3},
                {"text": "Geir Pedersen", "mentions": 1}, {"text": "Pederson", "mentions": 1},
            ]},
        ),
        (
            "United Nations",
            {"value": "United Nations", "kind": "org", "articles": 5, "mentions": 22, "spellings": [
                {"text": "UN", "mentions": 12}, {"text": "United Nations", "mentions": 9}, {"text": "U.N.", "mentions": 1},
            ]},
        ),
        (
            "Sergei Lavrov",
            {"value": "Sergei Lavrov", "kind": "person", "articles": 2, "mentions": 4, "spellings": [
                {"text": "Lavrov", "mentions": 2}, {"text": "Sergei Lavrov", "mentions": 1}, {"text": "Sergey Lavrov", "mentions": 1},
            ]},
        ),
        # a place counted only through the places it holds (Astana): articles, no spelling of its own
        ("Kazakhstan", {"value": "Kazakhstan", "kind": "place", "articles": 2, "mentions": 0, "spellings": []}),
    ],
)  # fmt: skip
def test_a_value_with_its_kind_counts_and_the_spellings_folded_into_it(sample_index, value, expected):
    listing = as_json(sample_index, "--limit", "0")
    assert listing["articles"] == 5
    assert [v for v in listing["values"] if v["value"] == value] == [expected]


def test_values_are_sorted_by_articles_then_mentions(sample_index):
    values = as_json(sample_index, "--limit", "5")["values"]
    assert [(v["value"], v["kind"], v["articles"], v["mentions"]) for v in values] == [
        ("Syria", "place", 5, 31),
        ("United Nations", "org", 5, 22),
        ("Russia", "place", 5, 19),
        ("Syrian government", "org", 5, 17),
        ("United States", "place", 5, 16),
    ]


@pytest.mark.parametrize(
    ("options", "expected"),
    [
        (["--kind", "person", "--limit", "3"], ["Bashar al-Assad", "Staffan de Mistura", "Geir Pedersen"]),
        (["--kind", "org", "--kind", "person", "--limit", "3"], ["United Nations", "Syrian government", "Syrian Arab Army"]),
        # a spelling matches as well as a value; case and accents are ignored
        (["--match", "biderson"], ["Geir Pedersen"]),
        (["--match", "ERDOĞAN"], ["Recep Tayyip Erdoğan"]),
        (["--match", "mistura", "--kind", "place"], []),
    ],
)
def test_kind_match_and_limit_options(sample_index, options, expected):
    assert [v["value"] for v in as_json(sample_index, *options)["values"]] == expected


def test_total_counts_the_matching_values_before_the_limit(sample_index):
    listing = as_json(sample_index, "--kind", "person", "--limit", "2")
    everyone = as_json(sample_index, "--kind", "person", "--limit", "0")
    assert listing["total"] == len(everyone["values"]) == 11
    assert len(listing["values"]) == 2


def test_text_output_shows_one_line_per_value(sample_index):
    lines = run(sample_index, "--kind", "person", "--limit", "2").splitlines()
    assert lines[0].startswith("2 of 11 values in 5 articles")
    assert lines[2].split() == ["4", "9", "person", "Bashar", "al-Assad", "<-", "Assad", "(4),", "Bashar", "al-Assad", "(3),", "Bashar", "Assad", "(2)"]
    assert lines[3].split()[:5] == ["3", "10", "person", "Staffan", "de"]


def test_the_listing_function_and_the_json_agree(search_index, sample_index):
    listing = list_entities(search_index, ("place",), "geneva", None)
    assert listing.as_dict() == as_json(sample_index, "--kind", "place", "--match", "geneva", "--limit", "0")
    assert [(v.value, v.articles, v.mentions) for v in listing.values] == [("Geneva", 4, 9)]


@pytest.mark.parametrize(
    ("text", "spelling"),
    [("Assad's", "Assad"), ("the  Syrian\nregime", "Syrian regime"), ("Assad’s government", "Assad’s government"), ("The UN", "UN")],
)
def test_a_spelling_is_the_text_as_an_alias_lookup_sees_it(text, spelling):
    assert spelling_of(text) == spelling


def test_no_index_is_a_clear_error(tmp_path):
    result = CliRunner().invoke(main, ["entities", "--index-dir", str(tmp_path / "none")])
    assert result.exit_code == 2
    assert "no index here yet" in result.stderr
