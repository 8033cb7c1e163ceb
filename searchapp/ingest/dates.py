"""Date resolution: published dates and the date expressions of a text, at their precision.

Two jobs share this module:

* **Published dates** come in every form ("2016", "2016-05", "4/5/17", "26-FEB-1987
  15:01:01.79", RFC 2822 "Sun, 18 Feb 2018 21:35:43 +0400").  The common machine forms are
  matched by regular expressions; those written in Arabic by :mod:`.arabic_dates`; everything else
  goes to dateparser.  Precision is kept: "2016-05"
  is a month, not the 1st of May.
* **Mentioned dates** are the DATE entities of the tagger ("Tuesday", "February 27", "last
  October", "March 2011") resolved against the article's published date.  News conventions decide
  the ambiguous cases: a bare weekday is the latest such day on or before publication; a month and
  day without a year is the nearest such date to publication, a future one counting three times as
  far (so "March 9" in an article of 2 March is a week later, "late January" in one of September is
  this January).  Durations ("five years", "the
  past 18 months") are not dates and are dropped; a relative expression is dropped when the
  reference is not precise enough to resolve it ("Tuesday" in an article known only to a month).

dateparser is called only for absolute expressions, always with ``languages=['en']`` (the
language detection costs 4x) and memoised, since the same strings repeat across a corpus.
"""

from __future__ import annotations

import calendar
import datetime
import email.utils
import re
import warnings
from functools import lru_cache

from ..errors import DateError
from .models import PartialDate

MIN_YEAR = 1800


MONTHS = {
    name.lower(): number
    for number in range(1, 13)
    for name in (calendar.month_name[number], calendar.month_abbr[number])
}
MONTHS["sept"] = 9
WEEKDAYS = {calendar.day_name[i].lower(): i for i in range(7)}

_MONTH_RE = r"(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.?"
_MONTH_WORD = re.compile(rf"\b{_MONTH_RE}(?![a-z])", re.IGNORECASE)
_WEEKDAY_WORD = re.compile(
    r"\b(monday|tuesday|wednesday|thursday|friday|saturday|sunday)\b", re.IGNORECASE
)
_YEAR_WORD = re.compile(r"(?<![\w-])(1[89]\d\d|20\d\d|2100)(?![\w-])")
_ISO = re.compile(r"^\s*(\d{4})(?:-(\d{1,2})(?:-(\d{1,2}))?)?(?:[T ][\d:.]+(?:Z|[+-][\d:]+)?)?\s*$")
_COMPACT = re.compile(r"^\s*(\d{4})(\d{2})(\d{2})\s*$")
_DATE_PREFIX = re.compile(r"^\s*(?:\d{4}-\d{2}-\d{2}|\d{1,2}[-/ ][A-Za-z]{3,9}\.?[-/ ]\d{4}|[A-Za-z]{3,9}\.? \d{1,2},? \d{4})(?![\d])")
_FRACTION = re.compile(r"(\d{1,2}:\d{2}:\d{2})\.\d+")
_ARABIC = re.compile(r"[\u0621-\u064a]")

_NUMBER_WORDS = {
    "a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6,
    "seven": 7, "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12,
}  # fmt: skip
_AGO = re.compile(
    r"^(?:some |about |nearly |almost |more than )?(\d+|a|an|one|two|three|four|five|six|seven|"
    r"eight|nine|ten|eleven|twelve) (day|week|month|year)s? ago$"
)
_RELATIVE_UNIT = re.compile(r"^(last|this|next|previous|past) (week|month|year)$")
_QUALIFIER = re.compile(
    r"^(?:the )?(?:mid-|earlier|later|early|mid|late|the end of|the beginning of|the start of|the middle of|"
    r"end of|beginning of|start of|middle of)\s*",
    re.IGNORECASE,
)
_RANGE_SPLIT = re.compile(r"\s+(?:to|through|until|till|and|or)\s+|\s*[–—]\s*|\s+-\s+")


# ---------------------------------------------------------------------------------------------
# Published dates


def parse_published(value: str | None, *, today: datetime.date | None = None) -> PartialDate | None:
    """Read a published date at its precision; ``None`` for empty; :class:`DateError` if unreadable."""
    if value is None:
        return None
    text = str(value).strip()
    if not text:
        return None
    today = today or datetime.date.today()
    result = _parse_published_cached(text)
    if result is None:
        raise DateError(f"unreadable date {text!r}")
    if not MIN_YEAR <= result.year <= today.year + 1:
        raise DateError(f"date {text!r} is outside {MIN_YEAR}..{today.year + 1}")
    return result


@lru_cache(maxsize=65536)
def _parse_published_cached(text: str) -> PartialDate | None:
    match = _ISO.match(text) or _COMPACT.match(text)
    if match:
        year, month, day = (int(g) if g else None for g in match.groups())
        return _safe_partial(year, month, day)
    if _ARABIC.search(text):  # "الأحد 18 شباط 2018": the Arabic rules (imported here: they use this module)
        from .arabic_dates import parse_arabic_published

        return parse_arabic_published(text)
    textual = _textual_date(text)
    if textual is not None:
        return textual
    if re.match(r"^[A-Z][a-z]{2}, \d{1,2} [A-Z][a-z]{2} \d{4}", text):
        try:
            return PartialDate.from_date(email.utils.parsedate_to_datetime(text).date())
        except (TypeError, ValueError):
            pass
    parsed = _parse_absolute(_FRACTION.sub(r"\1", text))
    if parsed is None:
        # A clean date followed by noise ("27-MAR-1987 14:04:26.14&#5;F", "9-APR-1987 ... # guesswork"):
        # the date itself is stated plainly, so read it alone.
        prefix = _DATE_PREFIX.match(text)
        if prefix:
            parsed = _parse_absolute(prefix.group(0))
    return parsed


_DAY_MONTH_YEAR = re.compile(r"^\s*(\d{1,2})[-/ ]([A-Za-z]{3,9})\.?[-/ ,]+(\d{4})(?P<rest>.*)$")
_MONTH_DAY_YEAR = re.compile(r"^\s*([A-Za-z]{3,9})\.? (\d{1,2})(?:st|nd|rd|th)?,? (\d{4})(?P<rest>.*)$")
_TIME_ONLY = re.compile(r"^[\sT,]*(?:\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?\s*(?:[AaPp][Mm])?\s*(?:Z|UTC|GMT|[+-]\d{2}:?\d{2})?)?\s*$")


def _textual_date(text: str) -> PartialDate | None:
    """"26-FEB-1987 15:01:01.79", "2 March 2016", "March 2, 2016": read without dateparser.

    These forms are unambiguous, and wire archives give one per article, all different, so the
    cache does not help and dateparser would cost ~3 ms each.
    """
    for pattern, order in ((_DAY_MONTH_YEAR, "dmy"), (_MONTH_DAY_YEAR, "mdy")):
        match = pattern.match(text)
        if not match or not _TIME_ONLY.match(match.group("rest")):
            continue
        first, second, year = match.group(1), match.group(2), int(match.group(3))
        day, name = (first, second) if order == "dmy" else (second, first)
        month = MONTHS.get(name.lower())  # full names, three-letter abbreviations and "sept"
        if month is None:
            continue
        return _safe_partial(year, month, int(day))
    return None


def _safe_partial(year: int | None, month: int | None, day: int | None) -> PartialDate | None:
    if year is None:
        return None
    try:
        return PartialDate(year, month, day)
    except ValueError:
        return None


@lru_cache(maxsize=65536)
def _parse_absolute(text: str) -> PartialDate | None:
    """dateparser for an absolute date expression, with the precision it says it read."""
    parsed = _date_data(text)
    if parsed is None or parsed.date_obj is None:
        return None
    period = parsed.period if parsed.period in ("year", "month") else "day"
    # dateparser fills a missing day/month from its reference; trust only what the text says.
    if period == "day" and not re.search(r"\d", _MONTH_WORD.sub("", text)):
        period = "month"
    return PartialDate.from_date(parsed.date_obj.date(), period)


_FIXED_BASE = datetime.datetime(2000, 1, 1)


def _date_data(text: str):
    parser = _dateparser()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # dateparser/regex emit deprecation noise on some inputs
        try:
            return parser.get_date_data(text)
        except (ValueError, OverflowError, TypeError):
            return None


@lru_cache(maxsize=1)
def _dateparser():
    from dateparser.date import DateDataParser  # imported lazily: it takes 0.3 s to import

    return DateDataParser(
        languages=["en"],
        settings={
            "RELATIVE_BASE": _FIXED_BASE,
            "PREFER_DAY_OF_MONTH": "first",
            "PREFER_DATES_FROM": "current_period",
            "RETURN_AS_TIMEZONE_AWARE": False,
        },
    )


# ---------------------------------------------------------------------------------------------
# Mentioned dates


def looks_like_date(text: str) -> bool:
    """Whether an expression names a point in time (not a duration such as "five years")."""
    t = _normalise(text)
    if not t or re.search(r"\d+-(?:day|week|month|year)|\b(?:old|long)\b|\bfiscal (?:year )?\d{4}\b", t):  # fiscal years are not years
        return False
    if t in ("today", "yesterday", "tomorrow", "tonight") or _AGO.match(t) or _RELATIVE_UNIT.match(t):
        return True
    if re.match(r"^(?:last|this|next) " + _MONTH_RE + "$", t):
        return True
    return bool(_MONTH_WORD.search(t) or _WEEKDAY_WORD.search(t) or _YEAR_WORD.search(t))


def _normalise(text: str) -> str:
    t = " ".join(text.replace("\u2019", "'").split()).lower().strip(" .,;:()\"'")
    t = re.sub(r"^(?:on|in|by|since|from|during|before|after|until|of|at)\s+", "", t)
    t = re.sub(r"['’]s$", "", t)  # "last month's projection", "this year's negotiations"
    t = {"last night": "yesterday", "this morning": "today", "this afternoon": "today", "this evening": "today"}.get(t, t)
    t = re.sub(r"\s+(?:morning|afternoon|evening|night)$", "", t)
    return _QUALIFIER.sub("", t).strip()


def resolve_expression(text: str, reference: PartialDate | None, *, future: bool = False) -> list[PartialDate]:
    """Every date an expression names, resolved against ``reference`` (ranges give both ends).

    ``future``: the words before the expression put it ahead of the reference ("will meet on
    Thursday", "the next meeting in June"), so a bare weekday or a month without a year is the
    next one rather than the last one.
    """
    pieces = [p for p in _RANGE_SPLIT.split(text) if p.strip()] if len(text) < 80 else []
    results = []
    for piece in pieces:
        resolved = resolve_mention(piece, reference, future=future)
        if resolved is not None and resolved not in results:
            results.append(resolved)
    return results


def resolve_mention(text: str, reference: PartialDate | None, *, future: bool = False) -> PartialDate | None:
    """One date expression as an absolute date, or ``None`` when it is not a resolvable date."""
    if not looks_like_date(text):
        return None
    key = reference.iso() if reference else ""
    t = _normalise(text)
    resolved = _resolve_cached(t, key, future)
    if resolved is None:
        # A date inside a longer expression: "the fiscal year ending March 31, 1988", "the
        # first two months of 1987", "the early hours of Thursday morning".
        inner = None if re.search(r"\d{4}/\d{2}", t) else _EMBEDDED.search(t)  # "1986/87" is a crop year
        if inner and inner.group(0) != t:
            resolved = _resolve_cached(inner.group(0), key, future)
    return resolved


_EMBEDDED = re.compile(
    rf"\b{_MONTH_RE} \d{{1,2}}(?:st|nd|rd|th)?,? (?:1[89]|20)\d\d\b|\b{_MONTH_RE},? (?:1[89]|20)\d\d\b|"
    r"\b(?:1[89]|20)\d\d\b|\b(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday)\b"
)


@lru_cache(maxsize=200_000)
def _resolve_cached(t: str, reference_iso: str, future: bool = False) -> PartialDate | None:
    ref = PartialDate.from_iso(reference_iso) if reference_iso else None
    explicit_year = bool(_YEAR_WORD.search(t))

    relative = _resolve_relative(t, ref, future)
    if relative is not False:
        return relative  # type: ignore[return-value]

    parsed = _parse_absolute(t)
    if parsed is None:
        return None
    if not explicit_year:
        if not _MONTH_WORD.search(t) or ref is None or ref.precision == "year":
            return None  # a month (and day) with no year needs a reference month
        parsed = _nearest_year(parsed, ref, future)
    if parsed is not None and not MIN_YEAR <= parsed.year <= 2100:
        return None
    return parsed


def _resolve_relative(t: str, ref: PartialDate | None, future: bool = False) -> PartialDate | None | bool:
    """Relative expressions; ``False`` when ``t`` is not one (so absolute parsing goes on)."""
    day_ref = ref.start() if ref is not None and ref.precision == "day" else None
    if t in ("today", "tonight", "yesterday", "tomorrow"):
        if day_ref is None:
            return None
        offset = {"yesterday": -1, "tomorrow": 1}.get(t, 0)
        return PartialDate.from_date(day_ref + datetime.timedelta(days=offset))

    weekday = _WEEKDAY_WORD.fullmatch(t.removeprefix("last ").removeprefix("next ").removeprefix("this "))
    if weekday:
        if day_ref is None:
            return None
        target = WEEKDAYS[weekday.group(1)]
        if t.startswith("next ") or (future and not t.startswith(("last ", "this "))):
            ahead = (target - day_ref.weekday()) % 7 or (7 if t.startswith("next ") else 0)
            return PartialDate.from_date(day_ref + datetime.timedelta(days=ahead))
        back = (day_ref.weekday() - target) % 7
        if t.startswith("last ") and back == 0:
            back = 7
        return PartialDate.from_date(day_ref - datetime.timedelta(days=back))

    match = _AGO.match(t)
    if match:
        count = _NUMBER_WORDS.get(match.group(1)) or int(match.group(1))
        return _shift(ref, match.group(2), -count)

    match = _RELATIVE_UNIT.match(t)
    if match:
        step = {"last": -1, "previous": -1, "past": -1, "this": 0, "next": 1}[match.group(1)]
        return _shift(ref, match.group(2), step)

    match = re.match(r"^(last|this|next) (" + _MONTH_RE + ")$", t)
    if match:
        if ref is None or ref.month is None:
            return None
        month = MONTHS[match.group(2).rstrip(".")[:3]]
        year = ref.year
        if match.group(1) == "last":
            year -= 1 if month >= ref.month else 0
        elif match.group(1) == "next":
            year += 1 if month <= ref.month else 0
        return PartialDate(year, month)
    return False


def _shift(ref: PartialDate | None, unit: str, count: int) -> PartialDate | None:
    """``ref`` moved by ``count`` units; None when that is not a date of the archives ("2500 years ago")."""
    if ref is None:
        return None
    try:
        shifted = _shift_unchecked(ref, unit, count)
    except (ValueError, OverflowError):  # before year 1, or past what datetime holds
        return None
    return shifted if MIN_YEAR <= shifted.year <= 2100 else None


def _shift_unchecked(ref: PartialDate, unit: str, count: int) -> PartialDate | None:
    if unit == "year":
        return PartialDate(ref.year + count)
    if unit in ("day", "week"):
        if ref.precision != "day":
            return None
        shifted = ref.start() + datetime.timedelta(days=count * (7 if unit == "week" else 1))
        # "last week" names a week, not a day: keep only what is certain, its month.
        return PartialDate.from_date(shifted, "day" if unit == "day" else "month")
    if ref.month is None:
        return None
    months = ref.year * 12 + (ref.month - 1) + count
    return PartialDate(months // 12, months % 12 + 1)


def _nearest_year(parsed: PartialDate, ref: PartialDate, future: bool = False) -> PartialDate | None:
    """The same month (and day) in the year that puts it closest to the reference.

    News looks back more often than ahead, so a future date counts as three times as far: "late
    January" in September is this January, "October" in September is next month.
    """
    anchor = ref.start() if ref.precision == "day" else datetime.date(ref.year, ref.month or 6, 15)
    best = None
    for year in (ref.year - 1, ref.year, ref.year + 1):
        try:
            candidate = PartialDate(year, parsed.month, parsed.day)
        except ValueError:  # 29 February
            continue
        probe = candidate.start() if candidate.day else datetime.date(year, candidate.month or 1, 15)
        distance = (probe - anchor).days
        if future:  # ahead of the reference: the first such date from its month on
            distance = distance if distance >= -31 else 10_000 - distance
        else:
            distance = distance * 3 if distance > 0 else -distance
        if best is None or distance < best[0]:
            best = (distance, candidate)
    return best[1] if best else None
