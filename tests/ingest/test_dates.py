"""Date resolution: published dates at their precision, and mentioned dates against them."""

import pytest

from searchapp.errors import DateError
from searchapp.ingest.dates import looks_like_date, parse_published, resolve_expression, resolve_mention
from searchapp.ingest.models import PartialDate

WED_2016_03_02 = PartialDate(2016, 3, 2)
MON_2020_05_18 = PartialDate(2020, 5, 18)
THU_2021_09_30 = PartialDate(2021, 9, 30)
THU_2016_04_28 = PartialDate(2016, 4, 28)
MAY_2016 = PartialDate(2016, 5)


@pytest.mark.parametrize(
    ("text", "expected", "precision"),
    [
        ("2016", "2016", "year"),
        ("2016-05", "2016-05", "month"),
        ("2016-05-03", "2016-05-03", "day"),
        ("2016-05-03T10:00:00Z", "2016-05-03", "day"),
        ("20160503", "2016-05-03", "day"),
        ("4/5/17", "2017-04-05", "day"),
        ("26-FEB-1987 15:01:01.79", "1987-02-26", "day"),
        ("Sun, 18 Feb 2018 21:35:43 +0400", "2018-02-18", "day"),
        ("May 2016", "2016-05", "month"),
        ("March 2, 2016", "2016-03-02", "day"),
        ("2 March 2016", "2016-03-02", "day"),
        # a plain date followed by noise (seen in Reuters-21578)
        ("27-MAR-1987 14:04:26.14&#5;&#5;&#5;F", "1987-03-27", "day"),
        ("31-MAR-1987 605:12:19.12", "1987-03-31", "day"),
        ("9-APR-1987 00:00:00.00    # date added by S Finch as guesswork", "1987-04-09", "day"),
    ],
)
def test_published_dates_keep_their_precision(text, expected, precision):
    parsed = parse_published(text)
    assert parsed.iso() == expected
    assert parsed.precision == precision


@pytest.mark.parametrize("text", ["0000-01-01", "3016", "garbage", "32/13/2016", "year 0"])
def test_unreadable_or_absurd_published_dates_raise(text):
    with pytest.raises(DateError) as error:
        parse_published(text)
    assert repr(text) in str(error.value)


@pytest.mark.parametrize("text", ["", "   ", None])
def test_empty_published_date_is_unknown(text):
    assert parse_published(text) is None


@pytest.mark.parametrize(
    ("text", "reference", "expected"),
    [
        # the issue's own examples
        ("Tuesday", WED_2016_03_02, "2016-03-01"),
        ("February 27", WED_2016_03_02, "2016-02-27"),
        ("last October", PartialDate(2020, 5, 1), "2019-10"),
        # weekdays: latest such day on or before publication
        ("Friday", WED_2016_03_02, "2016-02-26"),
        ("Wednesday", WED_2016_03_02, "2016-03-02"),
        ("last Wednesday", WED_2016_03_02, "2016-02-24"),
        ("next Friday", WED_2016_03_02, "2016-03-04"),
        ("on Monday", MON_2020_05_18, "2020-05-18"),
        ("Thursday", THU_2021_09_30, "2021-09-30"),
        ("Tuesday morning", WED_2016_03_02, "2016-03-01"),
        # month and day without a year: nearest, looking back rather than ahead
        ("March 7", WED_2016_03_02, "2016-03-07"),
        ("April 13", THU_2016_04_28, "2016-04-13"),
        ("July", THU_2016_04_28, "2016-07"),
        ("October", THU_2021_09_30, "2021-10"),
        ("Oct. 18", THU_2021_09_30, "2021-10-18"),
        ("late January", THU_2021_09_30, "2021-01"),
        ("late May", THU_2021_09_30, "2021-05"),
        ("December 18", PartialDate(2016, 1, 10), "2015-12-18"),
        ("February", WED_2016_03_02, "2016-02"),
        # explicit years
        ("December 18, 2015", MON_2020_05_18, "2015-12-18"),
        ("March 2011", WED_2016_03_02, "2011-03"),
        ("2015", THU_2021_09_30, "2015"),
        ("mid-2015", WED_2016_03_02, "2015"),
        ("March 08, 2019", THU_2016_04_28, "2019-03-08"),
        ("September 2015", None, "2015-09"),
        # relative
        ("today", MON_2020_05_18, "2020-05-18"),
        ("yesterday", MON_2020_05_18, "2020-05-17"),
        ("this month", MON_2020_05_18, "2020-05"),
        ("last month", WED_2016_03_02, "2016-02"),
        ("next month", THU_2016_04_28, "2016-05"),
        ("last year", THU_2016_04_28, "2015"),
        ("last week", THU_2016_04_28, "2016-04"),
        ("three days ago", THU_2016_04_28, "2016-04-25"),
        ("last November", MON_2020_05_18, "2019-11"),
        ("next January", MON_2020_05_18, "2021-01"),
        # a month-precision reference resolves months but not days
        ("last month", MAY_2016, "2016-04"),
        ("Tuesday", MAY_2016, None),
        ("today", MAY_2016, None),
        ("February 27", None, None),
        # durations and other non-dates
        ("five years", THU_2016_04_28, None),
        ("a few days", WED_2016_03_02, None),
        ("the past 18 months", THU_2021_09_30, None),
        ("10-year", THU_2021_09_30, None),
        ("five-year-long", WED_2016_03_02, None),
        ("the first day", WED_2016_03_02, None),
        ("the day", THU_2021_09_30, None),
        ("H.R. 1", THU_2016_04_28, None),
        ("the 1990s", THU_2016_04_28, None),
        ("45-year-old", THU_2016_04_28, None),
        # far back: before any archive (these raised ValueError and stopped a whole indexing run)
        ("2500 years ago", THU_2016_04_28, None),
        ("100000000 days ago", THU_2016_04_28, None),
    ],
)
def test_mentioned_dates_resolve_against_the_published_date(text, reference, expected):
    resolved = resolve_mention(text, reference)
    assert (resolved.iso() if resolved else None) == expected


def test_a_range_gives_both_ends():
    values = [d.iso() for d in resolve_expression("March 7 to March 9", WED_2016_03_02)]
    assert values == ["2016-03-07", "2016-03-09"]


@pytest.mark.parametrize("text", ["18 months", "two-month", "seven-year", "recently", "the past few years"])
def test_durations_are_not_dates(text):
    assert not looks_like_date(text)
