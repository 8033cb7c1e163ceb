"""Arabic dates: published dates written in Arabic, and the date expressions of Arabic text.

English dates are found by spaCy's DATE entities; its English model finds nothing in Arabic, so
here the expressions are found by rules over the text, written once and read in both spellings
people use (the text is matched after :func:`searchapp.store.arabic.normalize_arabic`, so أ/إ/ا,
ة/ه, ى/ي and Arabic-Indic digits do not matter):

* month names of both sets, Egyptian/Gulf (يناير ... ديسمبر) and Levantine/Iraqi (كانون الثاني
  ... كانون الأول), the Maghreb forms (جانفي, فيفري, أفريل, جوان, جويلية, أوت), and the paired
  forms newspapers print ("آذار/مارس", "حزيران (يونيو)");
* a day (a number or an ordinal word, "الأول من مارس"), ranges ("من 26 إلى 28 آذار"), a year after
  a word that makes it one ("عام 2011", "منذ 2011", not a bare number); numeric dates ("15/3/2018");
* weekdays, alone or with "يوم", a time of day ("مساء الخميس") and "الماضي"/"المقبل";
* relative expressions: أمس, أول أمس, غداً, الشهر/الأسبوع/العام الماضي/المقبل/الجاري, قبل يومين,
  قبل ثلاثة أسابيع, "مارس الماضي" (last March), and qualifiers (مطلع, منتصف, أواخر ...) that are
  dropped as the English "early/mid/late" are.

Each expression is then resolved exactly as an English one, through the English form it means
("الثلاثاء الماضي" -> "last tuesday"), by :func:`searchapp.ingest.dates.resolve_mention` (passed in by
:mod:`.arabic_tags`, since :mod:`.dates` imports this module): same news conventions, a bare weekday
is the last one on or before publication, a month without a year the nearest, a future one counting
three times as far; future words ("من المقرر", "سيعقد") and the pluperfect ("كانت ... قد") tip them.  dateparser's Arabic data was measured first
(dateparser 1.5.0, ``languages=['ar']``): it reads the Egyptian month names, أمس, الشهر الماضي, but
not the Levantine months (شباط, آذار, نيسان, تشرين), "الثلاثاء الماضي", "قبل ثلاثة أيام" or "منتصف
مارس", which are most of what Syrian and Lebanese outlets write; it is kept as the last resort for
published dates only (:func:`parse_arabic_published`).

Not covered: Hijri dates (1439 هـ, رمضان) are not read as Gregorian years (a year followed by هـ is
skipped); durations ("منذ سبع سنوات": for seven years) are not dates.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Callable
from functools import lru_cache

from ..store.arabic import normalize_arabic
from .models import PartialDate

ARABIC_LETTER = re.compile(r"[\u0621-\u064a]")
_MARKS = re.compile(r"[\u0610-\u061a\u064b-\u065f\u0670\u06d6-\u06dc\u06df-\u06e4\u06e7\u06e8\u06ea-\u06ed\u0640\u200c\u200d]")


def normalized_with_offsets(text: str) -> tuple[str, list[int] | None]:
    """The text after :func:`normalize_arabic`, and where each of its characters was (None: same places).

    The normalisation maps one letter to one letter and only removes marks (harakat, tatweel), so
    the offsets change only when the text has marks.
    """
    if not _MARKS.search(text):
        return normalize_arabic(text), None
    kept = [i for i, c in enumerate(text) if not _MARKS.match(c)]
    return normalize_arabic("".join(text[i] for i in kept)), kept


def original_span(offsets: list[int] | None, start: int, end: int) -> tuple[int, int]:
    """The span of the original text that the normalised span ``start:end`` came from."""
    if offsets is None:
        return start, end
    return offsets[start], offsets[end - 1] + 1


# Month names as normalised (أ/إ/آ -> ا, ة -> ه, ى -> ي); the number each names.
_MONTHS: dict[str, int] = {
    "يناير": 1, "فبراير": 2, "مارس": 3, "ابريل": 4, "مايو": 5, "يونيو": 6, "يونيه": 6, "يوليو": 7, "يوليه": 7,
    "اغسطس": 8, "سبتمبر": 9, "سيبتمبر": 9, "اكتوبر": 10, "نوفمبر": 11, "ديسمبر": 12,
    "كانون الثاني": 1, "شباط": 2, "اذار": 3, "نيسان": 4, "ايار": 5, "حزيران": 6, "تموز": 7, "اب": 8,
    "ايلول": 9, "تشرين الاول": 10, "تشرين الثاني": 11, "كانون الاول": 12,
    "جانفي": 1, "فيفري": 2, "افريل": 4, "ماي": 5, "جوان": 6, "جويليه": 7, "اوت": 8,
}  # fmt: skip
# Month names that are also common words or names (مارس "he practised", آب -> اب "father", نيسان
# the carmaker, ماي Theresa May, جوان Joan): a month only with a day, a year, its pair, "شهر" or
# الماضي/المقبل beside it, never alone.
_AMBIGUOUS_MONTHS = {"مارس", "اب", "نيسان", "ماي", "جوان", "اوت", "تموز"}
_ENGLISH_MONTHS = ["january", "february", "march", "april", "may", "june", "july", "august", "september", "october", "november", "december"]
_WEEKDAYS = {"الاحد": "sunday", "الاثنين": "monday", "الاتنين": "monday", "الثلاثاء": "tuesday", "الاربعاء": "wednesday",
             "الخميس": "thursday", "الجمعه": "friday", "السبت": "saturday"}  # fmt: skip
_ORDINALS = {
    "الاول": 1, "الثاني": 2, "الثالث": 3, "الرابع": 4, "الخامس": 5, "السادس": 6, "السابع": 7, "الثامن": 8,
    "التاسع": 9, "العاشر": 10, "العشرين": 20, "الثلاثين": 30,
}  # fmt: skip
for _unit, _n in (("الحادي", 1), ("الثاني", 2), ("الثالث", 3), ("الرابع", 4), ("الخامس", 5), ("السادس", 6),
                  ("السابع", 7), ("الثامن", 8), ("التاسع", 9)):  # fmt: skip
    _ORDINALS[f"{_unit} عشر"] = 10 + _n
    _ORDINALS[f"{_unit} والعشرين"] = 20 + _n
_ORDINALS["الحادي والثلاثين"] = 31
_COUNTS = {
    "ثلاث": 3, "ثلاثه": 3, "اربع": 4, "اربعه": 4, "خمس": 5, "خمسه": 5, "ست": 6, "سته": 6, "سبع": 7, "سبعه": 7,
    "ثماني": 8, "ثمانيه": 8, "تسع": 9, "تسعه": 9, "عشر": 10, "عشره": 10,
}  # fmt: skip
# unit words (singular, dual, plural) -> (English unit, the count the dual itself says)
_UNITS = {
    "يوم": ("day", 1), "يومين": ("day", 2), "ايام": ("day", None),
    "اسبوع": ("week", 1), "اسبوعين": ("week", 2), "اسابيع": ("week", None),
    "شهر": ("month", 1), "شهرين": ("month", 2), "اشهر": ("month", None), "شهور": ("month", None),
    "عام": ("year", 1), "عامين": ("year", 2), "اعوام": ("year", None), "سنه": ("year", 1), "سنتين": ("year", 2), "سنوات": ("year", None),
}  # fmt: skip
_PAST = ("الماضي", "الماضيه", "المنصرم", "المنصرمه", "الفائت", "الفائته", "السابق", "السابقه")
_NEXT = ("المقبل", "المقبله", "القادم", "القادمه")
_THIS = ("الجاري", "الجاريه", "الحالي", "الحاليه")


def _alt(words) -> str:
    return "|".join(re.escape(w).replace(r"\ ", r"\s+") for w in sorted(words, key=len, reverse=True))


_B = r"(?<![\w])"  # start of a word (Arabic letters are \w)
_E = r"(?![\w])"
_CLITIC = r"(?:[وف]?[بل]?)"  # و ف ب ل glued before a month or weekday word ("وفي", "بمارس", "ويوم")
_MONTH = rf"(?:{_alt(_MONTHS)})"
_MONTH_PAIR = rf"(?P<month>{_MONTH})(?:\s*(?:/|\(|-|،)\s*(?P<month2>{_MONTH})\)?)?"
_DAY = rf"(?P<day>[0-3]?\d|{_alt(_ORDINALS)})"
_YEAR = r"(?P<year>1[89]\d\d|20\d\d)(?!\s*ه(?![\w]))(?![\d])"  # not a Hijri year ("1439 هـ", normalised "1439 ه")
_YEAR_WORD = r"(?:(?:من\s+)?(?:عام|العام|لعام|سنه|السنه|لسنه)\s+)?"
_REL = rf"(?P<rel>{_alt(_PAST + _NEXT + _THIS)})"
_QUALIFIER = r"(?:(?:مطلع|اوائل|بدايه|بدايات|مستهل|منتصف|اواسط|اواخر|نهايه|اخر|خلال)\s+)?"
_WEEKDAY = rf"(?P<weekday>{_alt(_WEEKDAYS)})"
_TIME_OF_DAY = r"(?:(?:يوم|مساء|صباح|ليل|ليله|فجر|ظهر|عصر|نهار|ظهيره|منتصف\s+ليل)\s+)"

_PATTERNS: list[tuple[str, re.Pattern[str]]] = [
    ("numeric", re.compile(rf"{_B}(?P<d>[0-3]?\d)[/.-](?P<m>[01]?\d)[/.-](?P<y>(?:19|20)\d\d){_E}|{_B}(?P<y2>(?:19|20)\d\d)[/.-](?P<m2>[01]?\d)[/.-](?P<d2>[0-3]?\d){_E}")),
    # [weekday] [first day -] day [من] [شهر] month [rel | [عام] year]: "الأحد 18 شباط/فبراير 2018", "الأول من مارس
    # الماضي", "من 26 إلى 28 آذار" (both ends, as an English range)
    ("date", re.compile(
        rf"{_B}(?:{_CLITIC}{_TIME_OF_DAY}?{_WEEKDAY}\s*،?\s*)?(?:(?:من\s+)?(?P<first>[0-3]?\d)\s*(?:-|الي|حتي|و)\s*)?{_CLITIC}{_DAY}\s+(?:من\s+)?(?:شهر\s+)?{_MONTH_PAIR}"
        rf"(?:\s*،?\s*{_YEAR_WORD}{_YEAR}|\s+{_REL})?{_E}")),
    # [qualifier] [شهر] month ([عام] year | rel): "مارس 2011", "آذار/مارس الماضي", "أواخر يناير"
    ("month", re.compile(rf"{_B}{_CLITIC}{_QUALIFIER}(?P<shahr>شهر\s+|الشهر\s+)?{_MONTH_PAIR}(?:\s*،?\s*{_YEAR_WORD}{_YEAR}|\s+{_REL})?{_E}")),
    ("year", re.compile(rf"{_B}(?:{_CLITIC}{_QUALIFIER}(?:عام|العام|لعام|سنه|السنه|لسنه)|في|منذ|حتى|خلال|بحلول|قبل|بعد)\s+{_YEAR}{_E}")),
    ("unit", re.compile(rf"{_B}{_CLITIC}{_QUALIFIER}(?:(?P<unit>الشهر|الاسبوع|العام|السنه){_E}\s+{_REL}|(?P<this>هذا|هذه)\s+(?P<unit2>الشهر|الاسبوع|العام|السنه)){_E}")),
    ("ago", re.compile(rf"{_B}قبل\s+(?:(?:نحو|حوالي|قرابه|زهاء|اكثر\s+من)\s+)?(?:(?P<count>\d+|{_alt(_COUNTS)})\s+)?(?P<unit>{_alt(_UNITS)}){_E}(?!\s+(?:من|على|علي){_E})")),
    ("day", re.compile(rf"{_B}{_CLITIC}(?:{_TIME_OF_DAY}?(?P<word>اول\s+امس|اول\s+من\s+امس|امس|الامس|البارحه|غدا)){_E}")),
    ("weekday", re.compile(rf"{_B}{_CLITIC}(?:اليوم\s+)?{_TIME_OF_DAY}?{_WEEKDAY}(?:\s+{_REL})?{_E}")),
]
# What each pattern cannot match without (one cheap search per paragraph instead of a scan at every position).
_TRIGGERS = {
    "numeric": re.compile(r"\d[/.-][01]?\d[/.-]\d"),
    "date": re.compile(_MONTH),
    "month": re.compile(_MONTH),
    "year": re.compile(r"(?:1[89]|20)\d\d"),
    "unit": re.compile(r"الشهر|الاسبوع|العام|السنه"),
    "ago": re.compile(r"قبل"),
    "day": re.compile(r"امس|البارحه|غدا"),
    "weekday": re.compile(_alt(_WEEKDAYS)),
}
# The pluperfect "كان/كانت ... قد" + verb just before a date puts it behind the article ("وكانت القمة السابقة قد
# عقدت في 29 آذار" in an article of 20 March is last year's 29 March).
_PLUPERFECT = re.compile(r"(?<![\w])[وف]?(?:كان|كانت|كانوا)(?![\w])[^.؟!\n]*(?<![\w])قد\s+\w+[^.؟!\n]*$")
# Words just before an expression that put it ahead of the article ("من المقرر أن يعقد ... الخميس").
_FUTURE = re.compile(
    r"(?:سوف|المقرر|المتوقع|المرتقب|المزمع|يعتزم|تعتزم|ينتظر|اعتبارا\s+من|ابتداء\s+من|بدءا\s+من|حتى|"
    r"(?<![\w])س[يتن](?:عقد|زور|بدا|جري|صل|توجه|لتقي|شارك|قوم|تم|نطلق|علن|صدر|نظر|ستانف|جتمع|عاد)\w*)[^.؟!\n]*$"
)


def _month_of(word: str) -> int:
    return _MONTHS[re.sub(r"\s+", " ", word)]


def _relative_word(rel: str | None) -> str | None:
    if rel is None:
        return None
    return "last" if rel in _PAST else "next" if rel in _NEXT else "this"


Resolver = Callable[..., PartialDate | None]  # searchapp.ingest.dates.resolve_mention (given: dates imports this module)


def find_dates(
    text: str, published: PartialDate | None, resolve: Resolver, normalized: tuple[str, list[int] | None] | None = None
) -> list[tuple[int, int, list[PartialDate]]]:
    """The date expressions of an Arabic paragraph: (start, end) in ``text`` and the dates each names.

    Expressions are taken longest first, left to right, without overlaps; one that names no date
    at this reference ("الثلاثاء" in an article known only to its month) is dropped.  ``resolve``
    reads the English form of an expression (:func:`searchapp.ingest.dates.resolve_mention`);
    ``normalized``: :func:`normalized_with_offsets` of ``text``, when the caller has it already.
    """
    norm, offsets = normalized or normalized_with_offsets(text)
    taken: list[tuple[int, int]] = []
    found: list[tuple[int, int, list[PartialDate]]] = []
    for kind, pattern in _PATTERNS:
        if not _TRIGGERS[kind].search(norm):
            continue
        for match in pattern.finditer(norm):
            start, end = match.span()
            if any(start < e and s < end for s, e in taken):
                continue
            before = norm[max(0, start - 80) : start]
            values = _resolve(kind, match, published, bool(_FUTURE.search(before)), bool(_PLUPERFECT.search(before)), resolve)
            if values is None:
                continue
            taken.append((start, end))
            if values:
                found.append((*original_span(offsets, start, end), values))
    found.sort(key=lambda f: f[0])
    return found


def _resolve(
    kind: str, match: re.Match[str] | _Single, ref: PartialDate | None, future: bool, past: bool = False, resolve_mention: Resolver | None = None
) -> list[PartialDate] | None:
    """The dates of one expression; None when the words are not a date after all (the span stays free)."""
    g = match.groupdict()
    if kind == "numeric":
        day, month, year = (g["d"], g["m"], g["y"]) if g["d"] else (g["d2"], g["m2"], g["y2"])
        return _safe(int(year), int(month), int(day))
    if kind in ("date", "month"):
        month_word, rel, year = g["month"], g.get("rel"), g.get("year")
        if g.get("month2") and _month_of(g["month2"]) != _month_of(month_word):
            return None  # "آذار/أبريل": not one month
        day = None
        if kind == "date":
            day = int(g["day"]) if g["day"].isdigit() else _ORDINALS[re.sub(r"\s+", " ", g["day"])]
        plain = re.sub(r"\s+", " ", month_word)
        if kind == "month" and plain in _AMBIGUOUS_MONTHS and not (year or rel or g.get("month2") or g.get("shahr")):
            return None
        if g.get("first") and day is not None:  # "من 26 إلى 28 آذار": both ends of the range
            first = _resolve(kind, _Single(g, day=g["first"], first=None), ref, future, past, resolve_mention)
            last = _resolve(kind, _Single(g, first=None), ref, future, past, resolve_mention)
            return None if first is None or last is None else [*first, *(v for v in last if v not in first)]
        month = _month_of(month_word)
        if year:
            return _safe(int(year), month, day)
        english = _ENGLISH_MONTHS[month - 1]
        relative = _relative_word(rel)
        if day is None and relative:
            return _listed(resolve_mention(f"{relative} {english}", ref))
        expression = f"{english} {day}" if day else english
        value = resolve_mention(expression, ref, future=future or relative == "next")
        if value is not None and ref is not None and past and relative != "next" and value.start() > ref.start():
            return _safe(value.year - 1, value.month, value.day)  # "كانت ... قد عقدت في 29 آذار": the last one
        return _listed(value)
    if kind == "year":
        return _safe(int(g["year"]), None, None)
    if kind == "unit":
        unit = {"الشهر": "month", "الاسبوع": "week", "العام": "year", "السنه": "year"}[g["unit"] or g["unit2"]]
        relative = "this" if g.get("this") else _relative_word(g["rel"])
        return _listed(resolve_mention(f"{relative} {unit}", ref))
    if kind == "ago":
        unit, dual = _UNITS[g["unit"]]
        count = g.get("count")
        number = int(count) if count and count.isdigit() else _COUNTS.get(count or "", dual)
        if number is None:
            return None  # "قبل أيام": a few days, no date
        return _listed(resolve_mention(f"{number} {unit}s ago" if number > 1 else f"1 {unit} ago", ref))
    if kind == "day":
        word = re.sub(r"\s+", " ", g["word"])
        if word.startswith("اول"):
            return _listed(resolve_mention("2 days ago", ref))
        return _listed(resolve_mention("tomorrow" if word == "غدا" else "yesterday", ref))
    if kind == "weekday":
        english = _WEEKDAYS[g["weekday"]]
        relative = _relative_word(g.get("rel"))
        expression = f"{relative} {english}" if relative in ("last", "next") else english
        return _listed(resolve_mention(expression, ref, future=future))
    raise ValueError(kind)


class _Single:
    """A match's groups with some replaced: one end of a range ("من 26 إلى 28 آذار")."""

    def __init__(self, groups: dict, **replaced: str | None) -> None:
        self.groups = {**groups, **replaced}

    def groupdict(self) -> dict:
        return self.groups


def _safe(year: int, month: int | None, day: int | None) -> list[PartialDate] | None:
    try:
        return [PartialDate(year, month, day)]
    except ValueError:
        return None  # "31 شباط": not a date


def _listed(value: PartialDate | None) -> list[PartialDate]:
    return [value] if value is not None else []


# ---------------------------------------------------------------------------------------------
# Published dates written in Arabic


def parse_arabic_published(text: str) -> PartialDate | None:
    """A published date written in Arabic ("الأحد 18 شباط 2018 - 10:32", "٢٠١٨/٠٢/١٨"), at its precision.

    The first day-month-year, numeric date, or month-year of the text; else dateparser with
    ``languages=['ar']`` (its Arabic data: Egyptian month names and weekday names); else None.
    """
    norm = normalize_arabic(text)
    for kind in ("numeric", "date", "month", "year"):
        pattern = dict(_PATTERNS)[kind]
        for match in pattern.finditer(norm):
            g = match.groupdict()
            if kind in ("date", "month", "year") and not g.get("year"):
                continue
            values = _resolve(kind, match, None, False)
            if values:
                return values[0]
    return _dateparser_arabic(norm)


@lru_cache(maxsize=1)
def _arabic_parser():
    from dateparser.date import DateDataParser  # imported lazily: 0.3 s

    return DateDataParser(languages=["ar"], settings={"RELATIVE_BASE": datetime.datetime(2000, 1, 1), "RETURN_AS_TIMEZONE_AWARE": False})


@lru_cache(maxsize=4096)
def _dateparser_arabic(text: str) -> PartialDate | None:
    import warnings

    parser = _arabic_parser()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            data = parser.get_date_data(text)
        except (ValueError, OverflowError, TypeError):
            return None
    if data is None or data.date_obj is None or data.date_obj.year == 2000:
        return None  # nothing read, or a relative word resolved against the placeholder base
    period = data.period if data.period in ("year", "month") else "day"
    return PartialDate.from_date(data.date_obj.date(), period)
