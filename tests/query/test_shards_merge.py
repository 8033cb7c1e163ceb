"""The pure pieces of a sharded search: month counts and timeline bars, tallies merged and listed, answers merged."""

from __future__ import annotations

import datetime

import numpy as np
import pytest
from whoosh.util.times import datetime_to_long

from searchapp.query.facets import MISSING_DATE, FacetListing, FacetPage, FacetTally, FacetValue, LabelMaps, list_facets, merge_tallies
from searchapp.query.shards import ShardAnswer, merge_answers, month_counts
from searchapp.query.timeline import TimelineBar, timeline, timeline_bars


def ticks(*days: str) -> np.ndarray:
    return np.array([datetime_to_long(datetime.datetime.fromisoformat(d)) for d in days] + [MISSING_DATE], dtype=np.int64)


@pytest.mark.parametrize(
    "days",
    [
        ("2016-03-02", "2016-03-31T23:59:59", "2016-05-01", "2017-01-10"),  # months, with a gap
        ("2011-01-01", "2016-07-04", "2021-12-31"),  # years
        ("2019-12-31T23:59:59.999999", "2020-01-01"),  # the edge of a month
        (),
    ],
)
def test_timeline_bars_from_month_counts_are_the_timeline(days):
    keys = ticks(*days)
    assert timeline_bars(month_counts(keys, MISSING_DATE)) == timeline(keys, MISSING_DATE)


def test_month_counts_of_shards_add_up():
    a, b = ticks("2016-03-02", "2016-04-01"), ticks("2016-03-20")
    assert month_counts(a, MISSING_DATE) == {"2016-03": 1, "2016-04": 1}
    merged = merge_answers([ShardAnswer(2, months=month_counts(a, MISSING_DATE)), ShardAnswer(1, months=month_counts(b, MISSING_DATE))], 10)
    assert merged.months == {"2016-03": 2, "2016-04": 1} and merged.total == 3
    assert timeline_bars(merged.months) == [TimelineBar("2016-03", 2), TimelineBar("2016-04", 1)]


def test_merge_answers_keeps_the_best_hits_by_sort_key_with_their_shard():
    one = ShardAnswer(3, 5, hits=[((-9.0, "b"), "B"), ((-5.0, "d"), "D")])
    two = ShardAnswer(4, 6, hits=[((-9.0, "a"), "A"), ((-7.0, "c"), "C"), ((-1.0, "e"), "E")])
    merged = merge_answers([one, two], 3)
    assert merged.hits == [((-9.0, "a"), 1, "A"), ((-9.0, "b"), 0, "B"), ((-7.0, "c"), 1, "C")]
    assert (merged.total, merged.query_count) == (7, 11)


def tally(values: dict, ticked: dict | None = None, style: str = "count") -> FacetTally:
    return FacetTally(style, dict(values), dict(ticked or {}))


def packed(labels: list[tuple[str, str | None]], counts: dict[tuple[str, str | None], int], style: str = "count") -> FacetTally:
    """A shard's tally as it travels: its counts by the numbers of its own labels."""
    numbers = [labels.index(key) for key in counts]
    return FacetTally(style, packed=(np.array(numbers, dtype=np.int32), np.array(list(counts.values()), dtype=np.int64)))


def test_packed_tallies_are_summed_by_label_across_shards_numbering_them_otherwise():
    """Each shard numbers its values its own way; the merge sums a value's counts wherever it is numbered, and a
    value a shard holds twice (the language code beside its name) once."""
    a_labels = {"actor": [("Assad", "person"), ("Putin", "person"), ("UN", "org")], "language": [("English", None), ("Arabic", None)]}
    b_labels = {"actor": [("UN", "org"), ("Assad", "person"), ("assad", "person"), ("Kerry", "person")], "language": [("Arabic", None), ("Arabic", None)]}
    shard_a = {
        "actor": packed(a_labels["actor"], {("Assad", "person"): 3, ("UN", "org"): 1, ("Putin", "person"): 1}),
        "language": packed(a_labels["language"], {("English", None): 4, ("Arabic", None): 1}, "chrono"),
    }
    shard_b = {
        "actor": packed(b_labels["actor"], {("UN", "org"): 2, ("assad", "person"): 1, ("Assad", "person"): 5}),
        "language": FacetTally("chrono", packed=(np.array([0, 1], dtype=np.int32), np.array([2, 3], dtype=np.int64))),
    }
    merged = merge_tallies([shard_a, shard_b], LabelMaps([a_labels, b_labels]))
    assert merged["actor"].counted() == {("Assad", "person"): 8, ("UN", "org"): 3, ("Putin", "person"): 1, ("assad", "person"): 1}
    assert merged["language"].counted() == {("English", None): 4, ("Arabic", None): 6}
    assert merged["language"].style == "chrono" and merged["actor"].packed is None
    with pytest.raises(ValueError, match="label maps"):
        merge_tallies([shard_a, shard_b])


def test_tallies_are_summed_value_by_value_and_listed_by_count_then_name():
    shard_a = {"actor": tally({("Assad", "person"): 3, ("UN", "org"): 1, ("Putin", "person"): 1})}
    shard_b = {"actor": tally({("UN", "org"): 2, ("assad", "person"): 1, ("Putin", "person"): 2})}
    merged = merge_tallies([shard_a, shard_b])
    assert merged["actor"].values == {("Assad", "person"): 3, ("UN", "org"): 3, ("Putin", "person"): 3, ("assad", "person"): 1}
    pages: dict = {}
    listed = list_facets(merged, {}, size=3, pages=pages)["actor"]
    assert listed == [FacetValue("Assad", 3, False, "person"), FacetValue("Putin", 3, False, "person"), FacetValue("UN", 3, False, "org")]
    assert pages["actor"] == FacetPage(4, 0, 3, "")


def test_a_ticked_value_takes_its_label_from_the_shard_that_holds_it():
    shard_a = {"language": tally({("English", None): 4}, {"ar": ("ar", None, None, 0)})}
    shard_b = {"language": tally({("Arabic", None): 2}, {"ar": ("arabic", "Arabic", None, 2)})}
    merged = merge_tallies([shard_a, shard_b])
    assert merged["language"].ticked["ar"] == ("arabic", "Arabic", None, 2)
    listed = list_facets(merged, {"language": ["ar"]}, size=10)["language"]
    assert listed == [FacetValue("English", 4, False), FacetValue("Arabic", 2, True)]


@pytest.mark.parametrize(("offset", "expected"), [(0, ["v00", "v01"]), (2, ["v02", "v03"]), (98, ["v98", "v99"]), (500, ["v98", "v99"])])
def test_a_long_facet_lists_the_page_asked_for(offset, expected):
    """More than four pages of values: only those that can reach the page are sorted, in the same order."""
    values = {(f"v{n:02d}", None): 100 - n for n in range(100)}
    pages: dict = {}
    listed = list_facets({"place": tally(values)}, {}, size=10, listings={"place": FacetListing(offset=offset, size=2)}, pages=pages)
    assert [v.value for v in listed["place"]] == expected
    assert pages["place"].total == 100


def test_years_newest_first_and_number_buckets_upward():
    tallies = {"year": tally({("2016", None): 1, ("2021", None): 5}, style="chrono"), "casualties": tally({("10 TO 19", None): 1, ("0", None): 2}, style="number")}
    listed = list_facets(tallies, {}, size=1)
    assert [v.value for v in listed["year"]] == ["2021", "2016"]  # every year, whatever the size
    assert [v.value for v in listed["casualties"]] == ["0", "10 TO 19"]


@pytest.mark.parametrize(("size", "offset"), [(3, 0), (2, 4), (10, 0), (1, 100)])
def test_a_tally_counted_as_arrays_lists_as_its_dict_does(size, offset):
    """The one index and the merge keep a tally's counted values as arrays (FacetTally.present): the listing, its
    page and the values made from them on demand are the dict's, ties by name included."""
    values = {("Assad", "person"): 5, ("assad", "person"): 5, ("UN", "org"): 2, ("Putin", "person"): 2, ("Kerry", "person"): 1, ("Zarif", "person"): 1}
    values.update({(f"Name {n:03d}", "person"): 1 for n in range(40)})
    keys = np.empty(len(values), dtype=object)
    keys[:] = list(values)
    as_arrays = FacetTally("count", present=(keys, np.array(list(values.values()), dtype=np.int64)))
    listing = {"actor": FacetListing(offset=offset, size=size)}
    pages_dict: dict = {}
    pages_arrays: dict = {}
    expected = list_facets({"actor": tally(values)}, {"actor": ["Kerry"]}, listings=listing, pages=pages_dict)
    assert list_facets({"actor": as_arrays}, {"actor": ["Kerry"]}, listings=listing, pages=pages_arrays) == expected
    assert pages_arrays == pages_dict == {"actor": FacetPage(len(values), min(offset, (len(values) - 1) // size * size), size, "")}
    ordered = sorted(values, key=lambda k: (-values[k], k[0].casefold(), k[0]))  # by count, then name
    start = pages_dict["actor"].offset
    listed = [(v.value, v.count) for v in expected["actor"] if not (v.selected and v.value == "Kerry" and ("Kerry", "person") not in ordered[start : start + size])]
    assert listed == [(label, values[(label, kind)]) for label, kind in ordered[start : start + size]]
    assert as_arrays.counted() == values
