"""Arabic tagging: dates found by rules and resolved as English ones; places and actors under the English values.

The Arabic sentences are written for these tests (no ANT text).
"""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest

from searchapp.ingest.arabic_tags import find_arabic_dates, find_arabic_names, tag_arabic
from searchapp.ingest.curate import reapply_aliases
from searchapp.ingest.dates import parse_published
from searchapp.ingest.entities import load_aliases
from searchapp.ingest.models import Article, PartialDate
from searchapp.ingest.run import IndexOptions, index_paths
from searchapp.ingest.tagging import tag_articles
from searchapp.query.search import SearchIndex, SearchRequest
from tests.conftest import SHARED

WEDNESDAY = PartialDate(2018, 3, 14)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("قال الجيش الثلاثاء إن القصف توقف", [("الثلاثاء", ["2018-03-13"])]),
        ("وقع الهجوم يوم الأحد الماضي في المدينة", [("يوم الأحد الماضي", ["2018-03-11"])]),
        ("سيعقد الاجتماع الخميس المقبل في جنيف", [("الخميس المقبل", ["2018-03-15"])]),
        ("من المقرر أن يزور الرئيس موسكو الجمعة", [("الجمعة", ["2018-03-16"])]),
        ("اندلعت الاحتجاجات في 15 آذار 2011", [("15 آذار 2011", ["2011-03-15"])]),
        ("اندلعت الاحتجاجات في ١٥ آذار ٢٠١١", [("١٥ آذار ٢٠١١", ["2011-03-15"])]),
        ("بدأت الحرب في آذار/مارس 2011", [("آذار/مارس 2011", ["2011-03"])]),
        ("وفي حزيران (يونيو) 2014 أعلن التنظيم", [("حزيران (يونيو) 2014", ["2014-06"])]),
        ("الأحد 18 شباط/فبراير 2018", [("الأحد 18 شباط/فبراير 2018", ["2018-02-18"])]),
        ("منذ كانون الثاني/يناير الماضي", [("كانون الثاني/يناير الماضي", ["2018-01"])]),
        ("في الأول من مارس الماضي", [("الأول من مارس الماضي", ["2018-03-01"])]),
        ("في أواخر يناير", [("أواخر يناير", ["2018-01"])]),
        ("في الشهر الماضي", [("الشهر الماضي", ["2018-02"])]),
        ("خلال العام الماضي", [("خلال العام الماضي", ["2017"])]),
        ("الأسبوع المقبل", [("الأسبوع المقبل", ["2018-03"])]),
        ("قبل ثلاثة أيام", [("قبل ثلاثة أيام", ["2018-03-11"])]),
        ("قبل يومين", [("قبل يومين", ["2018-03-12"])]),
        ("اندلعت الحرب قبل نحو 7 أعوام", [("قبل نحو 7 أعوام", ["2011"])]),
        ("تعاني هذا العام", [("هذا العام", ["2018"])]),
        ("الانتخابات المقررة من 26 إلى 28 آذار/مارس الحالي", [("من 26 إلى 28 آذار/مارس الحالي", ["2018-03-26", "2018-03-28"])]),
        ("وكانت القمة السابقة قد عقدت في 29 آذار/مارس", [("29 آذار/مارس", ["2017-03-29"])]),
        ("ستعقد القمة في 29 آذار/مارس", [("29 آذار/مارس", ["2018-03-29"])]),
        ("وكانت قد عقدت في 31 آذار", [("31 آذار", ["2017-03-31"])]),
        ("وكانت قد عقدت في 29 شباط", []),  # 29 February 2018 is no date, nor 2017's
        ("أعلن أمس أن", [("أمس", ["2018-03-13"])]),
        ("أول أمس", [("أول أمس", ["2018-03-12"])]),
        ("في عام 2013", [("عام 2013", ["2013"])]),
        ("الوثيقة المؤرخة 15/3/2018", [("15/3/2018", ["2018-03-15"])]),
        # not dates: a verb, an ambiguous month alone, a Hijri year, "two days before" an event, a few days
        ("مارس الضغط على الحكومة", []),
        ("اشترى سيارة نيسان جديدة", []),
        ("في عام 1439 هـ", []),
        ("قبل يومين من الانتخابات", []),
        ("قبل أيام", []),
        ("بنيت قبل 2500 عام", []),  # not a date of the archives (it made the whole indexing run fail)
        ("قبل 100000000 يوم", []),
    ],
)
def test_arabic_dates_found_and_resolved(text: str, expected: list[tuple[str, list[str]]]) -> None:
    found = [(text[start:end], [v.iso() for v in values]) for start, end, values in find_arabic_dates(text, WEDNESDAY)]
    assert found == expected


def test_weekday_needs_a_day_precise_reference() -> None:
    assert find_arabic_dates("قال الجيش الثلاثاء", PartialDate(2018, 3)) == []


def test_marks_do_not_shift_spans() -> None:
    text = "وَقَعَ الهُجُومُ يَوْمَ الأَحَدِ الماضي"
    ((start, end, values),) = find_arabic_dates(text, WEDNESDAY)
    assert (text[start:end], values) == ("يَوْمَ الأَحَدِ الماضي", [PartialDate(2018, 3, 11)])


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("الأحد 18 شباط 2018", "2018-02-18"),
        ("18 فبراير 2018 - 10:30 م", "2018-02-18"),
        ("الاثنين، 5 آذار/مارس، 2018", "2018-03-05"),
        ("تشرين الأول 2017", "2017-10"),
        ("2018/03/15 الساعة 10:00", "2018-03-15"),
    ],
)
def test_arabic_published_dates(text: str, expected: str) -> None:
    assert parse_published(text).iso() == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("سيطرت القوات على إدلب", [("Idlib", "إدلب")]),
        ("في ادلب وحلب", [("Idlib", "ادلب"), ("Aleppo", "وحلب")]),
        ("وإدلب", [("Idlib", "وإدلب")]),
        ("وصل الوفد لدمشق ثم بحلب", [("Damascus", "لدمشق"), ("Aleppo", "بحلب")]),
        ("وللرقة تاريخ طويل", [("Raqqa", "وللرقة")]),
        ("في محافظة دير الزور", [("Deir ez-Zor", "محافظة دير الزور")]),
        ("في الغوطة الشرقية بريف دمشق", [("Eastern Ghouta", "الغوطة الشرقية"), ("Rif Dimashq", "بريف دمشق")]),
        ("قصف خان شيخون", [("Khan Sheikhoun", "خان شيخون")]),
        ("في عفرين ومنبج", [("Afrin", "عفرين"), ("Manbij", "ومنبج")]),
        ("زار موسكو وباريس", [("Moscow", "موسكو"), ("Paris", "وباريس")]),
        ("روسيا وتركيا وإيران", [("Russia", "روسيا"), ("Turkey", "وتركيا"), ("Iran", "وإيران")]),
        ("الولايات المتحدة الأمريكية", [("United States", "الولايات المتحدة الأمريكية")]),
        ("في سوريا وسورية", [("Syria", "سوريا"), ("Syria", "وسورية")]),
        ("في المملكة العربية السعودية", [("Saudi Arabia", "المملكة العربية السعودية")]),
        ("في أميركا الجنوبية والبحر المتوسط", [("South America", "أميركا الجنوبية"), ("Mediterranean", "والبحر المتوسط")]),
        ("كيف يستعد سكان كوباني وعين العرب", [("Ayn al Arab", "وعين العرب")]),
        ("الأزمة في كوريا وكوريا الشمالية", [("North Korea", "وكوريا الشمالية")]),
        # common words that are also place names, and an adjective, are not places
        ("فتح الباب أمام المفاوضات", []),
        ("قالت الحكومة السعودية", []),
        ("يسألون دوماً عن المدينة الجديدة", []),
        ("قدمت فرقة موسيقية ورقة بحثية", []),
        ("حماة الديار", []),
    ],
)
def test_arabic_places(text: str, expected: list[tuple[str, str]]) -> None:
    found = [(m.text, text[m.start : m.end]) for m in find_arabic_names(text, 0, load_aliases()) if m.label == "GPE"]
    assert found == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("قال الرئيس السوري بشار الأسد", [("Bashar al-Assad", "PERSON")]),
        ("في عهد حافظ الأسد", []),
        ("حصلت إيران على حصة الأسد", [("Iran", "GPE")]),
        ("هاجم تنظيم داعش", [("Islamic State", "ORG")]),
        ("مقاتلو تنظيم الدولة الإسلامية", [("Islamic State", "ORG")]),
        ("جبهة النصرة وهيئة تحرير الشام", [("Nusra Front", "ORG"), ("Hayat Tahrir al-Sham", "ORG")]),
        ("قوات سوريا الديمقراطية (قسد)", [("Syrian Democratic Forces", "ORG"), ("Syrian Democratic Forces", "ORG")]),
        ("وقال الأمين العام للأمم المتحدة", [("United Nations", "ORG")]),
        ("دعا مجلس الأمن الدولي", [("UN Security Council", "ORG")]),
        ("مجلس الأمن القومي الأمريكي", []),
        ("التقى بوتين وأردوغان", [("Vladimir Putin", "PERSON"), ("Recep Tayyip Erdoğan", "PERSON")]),
    ],
)
def test_arabic_actors(text: str, expected: list[tuple[str, str]]) -> None:
    assert [(m.text, m.label) for m in find_arabic_names(text, 0, load_aliases())] == expected


def test_user_aliases_give_arabic_forms(tmp_path) -> None:
    path = tmp_path / "aliases.toml"
    path.write_text('[merge]\n"Syrian Network for Human Rights" = ["الشبكة السورية لحقوق الإنسان"]\n[kind]\n"Syrian Network for Human Rights" = "org"\n', encoding="utf-8")
    mentions, _ = tag_arabic([(0, "وثقت الشبكة السورية لحقوق الانسان مقتل مدنيين")], WEDNESDAY, load_aliases(path))
    assert [(m.name, m.kind, m.spans) for m in mentions] == [("Syrian Network for Human Rights", "org", ((0, 5, 33),))]


def test_user_aliases_rename_an_arabic_value(tmp_path) -> None:
    path = tmp_path / "aliases.toml"
    path.write_text('[merge]\n"Daesh" = ["Islamic State"]\n', encoding="utf-8")
    mentions, _ = tag_arabic([(0, "هاجم تنظيم داعش")], WEDNESDAY, load_aliases(path))
    assert [(m.name, m.kind) for m in mentions] == [("Daesh", "org")]


ARTICLES = [
    {"id": "ar-idlib", "language": "ar", "published": "2018-03-14", "outlet": "Test",
     "title": "قصف على ريف إدلب",
     "text": "قال المرصد السوري لحقوق الإنسان إن غارات استهدفت مدينة خان شيخون في ريف إدلب الجنوبي الثلاثاء.\n"
             "وأضاف أن القصف تجدد بعد هدوء استمر منذ الشهر الماضي."},
    {"id": "ar-damascus", "language": "ar", "published": "الأحد 18 شباط 2018", "outlet": "Test",
     "title": "اجتماع في دمشق",
     "text": "استقبل بشار الأسد وفدا روسيا في دمشق يوم السبت لبحث الوضع في الغوطة الشرقية.\n"
             "وكان الوفد قد زار بيروت في كانون الثاني/يناير 2018."},
    {"id": "en-idlib", "language": "en", "published": "2018-03-15", "outlet": "Test",
     "title": "Strikes on Idlib",
     "text": "Air strikes hit the city of Idlib on Wednesday, the Syrian Observatory for Human Rights said."},
]  # fmt: skip


@pytest.fixture(scope="module")
def arabic_index(tmp_path_factory):
    folder = tmp_path_factory.mktemp("arabic")
    corpus = folder / "articles.jsonl"
    corpus.write_text("\n".join(json.dumps(a, ensure_ascii=False) for a in ARTICLES) + "\n", encoding="utf-8")
    index_paths([corpus], folder / "index", IndexOptions(processes=1))
    return SearchIndex(folder / "index")


def _facet(index: SearchIndex, name: str, **filters: str) -> dict[str, int]:
    result = index.search(SearchRequest(filters={k: [v] for k, v in filters.items()}, facet_size=None))
    return {v.value: v.count for v in result.facets[name]}


def test_english_and_arabic_articles_share_one_place_value(arabic_index) -> None:
    places = _facet(arabic_index, "place")
    assert places["Idlib"] == 2  # the Arabic article names إدلب, the English one Idlib
    assert places["Syria"] == 3  # the hierarchy: Idlib, Khan Sheikhoun, Damascus all roll up to Syria
    assert {k: places[k] for k in ("Khan Sheikhoun", "Damascus", "Eastern Ghouta", "Beirut")} == {
        "Khan Sheikhoun": 1, "Damascus": 1, "Eastern Ghouta": 1, "Beirut": 1,
    }  # fmt: skip
    ids = {h.id for h in arabic_index.search(SearchRequest(filters={"place": ["Idlib"]})).hits}
    assert ids == {"ar-idlib", "en-idlib"}


def test_arabic_months_and_actors(arabic_index) -> None:
    assert _facet(arabic_index, "month", language="ar") == {"2018-03": 1, "2018-02": 2, "2018-01": 1}
    actors = _facet(arabic_index, "actor", language="ar")
    assert actors == {"Syrian Observatory for Human Rights": 1, "Bashar al-Assad": 1}


def test_arabic_mentioned_dates_and_paths_are_stored(arabic_index) -> None:
    searcher = arabic_index.searcher()
    stored = {d["id"]: d for d in searcher.documents()}
    dates = {i: [(d["text"], d["value"]) for d in stored[i]["entities"]["dates"]] for i in ("ar-idlib", "ar-damascus")}
    assert dates == {
        "ar-idlib": [("الثلاثاء", "2018-03-13"), ("الشهر الماضي", "2018-02")],
        "ar-damascus": [("يوم السبت", "2018-02-17"), ("كانون الثاني/يناير 2018", "2018-01")],
    }
    paths = {term.decode() for term in searcher.lexicon("place_paths")}
    assert {"Khan Sheikhoun › Idlib › Syria", "Idlib › Syria", "Eastern Ghouta › Rif Dimashq › Syria"} <= paths


ANT = SHARED / "corpora/ant-multisource/ant_multisource_v2.1.jsonl.gz"
EVAL = Path(__file__).resolve().parent.parent / "eval"


@pytest.mark.slow
@pytest.mark.skipif(not ANT.exists(), reason="needs ../shared/corpora/ant-multisource")
@pytest.mark.parametrize(("sample", "floors"), [
    ("arabic-tags.jsonl", {"places": (0.95, 0.90), "dates": (0.95, 0.95)}),
    ("arabic-tags-heldout.jsonl", {"places": (0.95, 0.85), "dates": (0.90, 0.90)}),
])  # fmt: skip
def test_judged_ant_articles(sample: str, floors: dict[str, tuple[float, float]]) -> None:
    """Places and dates of ANT articles judged by reading (bench/arabic_tags.py prints the errors)."""
    judged = [json.loads(line) for line in (EVAL / sample).read_text(encoding="utf-8").splitlines() if line.strip()]
    ids = {j["id"] for j in judged}
    with gzip.open(ANT, "rt", encoding="utf-8") as handle:
        records = {r["docno"]: r for r in map(json.loads, handle) if r["docno"] in ids}
    articles = [
        Article(i, records[i]["title"], [p for p in records[i]["text"].split("\n") if p.strip()], "ant", records[i]["source"],
                parse_published(records[i]["time"]), language="ar")
        for i in (j["id"] for j in judged)
    ]  # fmt: skip
    tagged = {t.article.id: t for t in tag_articles(articles, load_aliases())}
    for kind, (precision, recall) in floors.items():
        found = {(j["id"], v) for j in judged for v in (tagged[j["id"]].names("place") if kind == "places" else {d.value for d in tagged[j["id"]].dates})}
        expected = {(j["id"], v) for j in judged for v in j[kind]}
        assert len(found & expected) / len(found) >= precision, kind
        assert len(found & expected) / len(expected) >= recall, kind


def test_an_edited_aliases_file_renames_an_arabic_articles_value_without_tagging(tmp_path) -> None:
    """The Arabic names are kept as raw mentions too: `entities --apply-aliases` renames them as English ones."""
    corpus = tmp_path / "articles.jsonl"
    corpus.write_text("\n".join(json.dumps(a, ensure_ascii=False) for a in ARTICLES) + "\n", encoding="utf-8")
    index_paths([corpus], tmp_path / "index", IndexOptions(processes=1))
    aliases = tmp_path / "aliases.toml"
    aliases.write_text('[merge]\n"President Assad" = ["Bashar al-Assad"]\n', encoding="utf-8")
    summary = reapply_aliases(tmp_path / "index", aliases)
    assert summary.rewritten == 1
    index = SearchIndex(tmp_path / "index")
    assert _facet(index, "actor", language="ar") == {"Syrian Observatory for Human Rights": 1, "President Assad": 1}
    assert _facet(index, "place")["Idlib"] == 2  # the rest as tagged
