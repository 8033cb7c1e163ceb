"""Results over time: how many matching articles were published per year (or per month).

Computed from the facet table's ``published`` sort keys under the search's final mask, so the
chart on the search page needs no extra query.  Years are used unless the matching articles
span at most :data:`MONTHS_UP_TO` months, then months.  Periods without articles inside the
range are kept (with a count of 0) so gaps show.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import numpy as np
from whoosh.util.times import datetime_to_long, long_to_datetime

MONTHS_UP_TO = 24


@dataclass(frozen=True)
class TimelineBar:
    period: str  # "2016" (a year) or "2016-05" (a month)
    count: int

    @property
    def is_month(self) -> bool:
        return len(self.period) == 7


def timeline(keys: np.ndarray, missing: int) -> list[TimelineBar]:
    """Bars for the published-date sort ``keys`` of the matching articles (``missing`` = no date)."""
    keys = np.sort(keys[keys != missing])
    if not len(keys):
        return []
    first, last = long_to_datetime(int(keys[0])), long_to_datetime(int(keys[-1]))
    months = (last.year - first.year) * 12 + last.month - first.month + 1
    periods: list[tuple[str, datetime]] = []
    if months <= MONTHS_UP_TO:
        year, month = first.year, first.month
        for _ in range(months + 1):
            periods.append((f"{year:04d}-{month:02d}", datetime(year, month, 1)))
            year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    else:
        for year in range(first.year, last.year + 2):
            periods.append((f"{year:04d}", datetime(year, 1, 1)))
    edges = np.array([datetime_to_long(start) for _, start in periods], dtype=np.int64)
    counts = np.diff(np.searchsorted(keys, edges, side="left"))
    return [TimelineBar(label, int(count)) for (label, _), count in zip(periods[:-1], counts, strict=False)]


def timeline_bars(months: dict[str, int]) -> list[TimelineBar]:
    """The bars of :func:`timeline` from matches per month ("2016-03" -> count): what shards sum.

    The same bars as from the matches' dates: the months (gaps included) when the first and last
    month are at most :data:`MONTHS_UP_TO` months apart, otherwise the years.
    """
    counted = {period: count for period, count in months.items() if count}
    if not counted:
        return []
    first, last = min(counted), max(counted)
    (y0, m0), (y1, m1) = (tuple(int(p) for p in first.split("-")), tuple(int(p) for p in last.split("-")))
    span = (y1 - y0) * 12 + m1 - m0 + 1
    if span <= MONTHS_UP_TO:
        bars = []
        year, month = y0, m0
        for _ in range(span):
            period = f"{year:04d}-{month:02d}"
            bars.append(TimelineBar(period, counted.get(period, 0)))
            year, month = (year + 1, 1) if month == 12 else (year, month + 1)
        return bars
    years: dict[str, int] = {f"{year:04d}": 0 for year in range(y0, y1 + 1)}
    for period, count in counted.items():
        years[period[:4]] += count
    return [TimelineBar(period, count) for period, count in years.items()]
