"""Arabic articles through the web API and pages: any spelling of a query finds the same articles.

The fixture is written for these tests (short made-up news sentences, not ANT text): hamza on alef
(إطلاق/اطلاق), ta marbuta typed as ha (الهدنة/الهدنه), alef maqsura typed as ya (مصطفى/مصطفي),
proclitics (والهدنة, بالمستشفى), one English article to prove each language keeps its own analyser.
"""

from __future__ import annotations

import json

import pytest
from bs4 import BeautifulSoup

ARTICLES = [
    {"id": "ar-1", "title": "وقف إطلاق النار في المدينة",
     "text": "أعلنت الحكومة وقف إطلاق النار في مدينة حلب يوم الاثنين.\n\nوالهدنة صامدة منذ يومين بحسب السكان."},
    {"id": "ar-2", "title": "اتفاق جديد", "text": "قال مسؤول إن الهدنه ستستمر حتى نهاية الشهر.\n\nووصل الرئيس إلى المستشفى مساء الأحد."},
    {"id": "ar-3", "title": "مهرجان السينما", "text": "افتتح مهرجان الأفلام في القاهرة بحضور فنانين كثيرين من العالم العربي."},
    {"id": "ar-4", "title": "زيارة رسمية", "text": "التقى مصطفى بالمسؤولين في المستشفى الميداني شمال البلاد."},
    {"id": "ar-5", "title": "مخيم اللاجئين", "text": "زار مصطفي مخيم اللاجئين وتحدث مع العائلات عن الشتاء.", "language": "Arabic"},
    {"id": "en-1", "title": "Ceasefire holds in Aleppo",
     "text": "A ceasefire agreed by the government held in the city of Aleppo on Monday, residents said."},
]  # fmt: skip


@pytest.fixture(scope="module")
def arabic_client(tmp_path_factory):
    from searchapp.ingest.run import IndexOptions, index_paths
    from searchapp.web import create_app

    folder = tmp_path_factory.mktemp("arabic")
    source = folder / "arabic.jsonl"
    source.write_text("\n".join(json.dumps(a, ensure_ascii=False) for a in ARTICLES), encoding="utf-8")
    summary = index_paths([source], folder / "index", IndexOptions(processes=1))
    assert summary.added == len(ARTICLES) and not summary.rejected
    return create_app({"TESTING": True, "INDEX_DIR": str(folder / "index")}).test_client()


def hits(client, q: str, **params: str) -> list[str]:
    data = client.get("/api/search", query_string={"q": q, **params}).get_json()
    return sorted(h["id"] for h in data["hits"])


@pytest.mark.parametrize(
    ("spellings", "expected"),
    [
        (["وقف إطلاق النار", "وقف اطلاق النار", "وَقْفُ إِطْلَاقِ النَّارِ"], ["ar-1"]),  # hamza, harakat
        (["هدنة", "هدنه", "الهدنة", "والهدنة", "بالهدنة", "هـدنة"], ["ar-1", "ar-2"]),  # ta marbuta, proclitics, tatweel
        (["مصطفى", "مصطفي"], ["ar-4", "ar-5"]),  # alef maqsura
        (["مستشفى", "المستشفى", "بالمستشفى", "والمستشفي"], ["ar-2", "ar-4"]),  # article and proclitics
        (["ceasefire", "ceasefires"], ["en-1"]),  # English stemming, on the English article only
        (["Aleppo", "Halab"], ["ar-1", "en-1"]),  # a place's English spellings also find the Arabic article tagged with it (حلب)
    ],
)
def test_every_spelling_finds_the_same_articles(arabic_client, spellings: list[str], expected: list[str]) -> None:
    assert {q: hits(arabic_client, q) for q in spellings} == {q: expected for q in spellings}


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ('"وقف اطلاق النار"', ["ar-1"]),
        ('"وقف إطلاق النار"', ["ar-1"]),
        ('"النار اطلاق وقف"', []),  # the words, not in this order
        ('"الهدنه صامدة"', ["ar-1"]),  # phrase across a proclitic and ta marbuta
        ('"هدنة ستستمر"', ["ar-2"]),
        ("هدنة -مسؤول", ["ar-1"]),
    ],
)
def test_phrases_and_exclusions(arabic_client, q: str, expected: list[str]) -> None:
    assert hits(arabic_client, q) == expected


def test_snippets_mark_the_arabic_words_as_written(arabic_client) -> None:
    data = arabic_client.get("/api/search", query_string={"q": "هدنه"}).get_json()
    marked = {h["id"]: [m.get_text() for s in h["snippets"] for m in BeautifulSoup(s["html"], "html.parser").select("mark")] for h in data["hits"]}
    assert marked == {"ar-1": ["والهدنة"], "ar-2": ["الهدنه"]}


def test_language_facet_shows_names_and_filters_by_name_or_code(arabic_client) -> None:
    data = arabic_client.get("/api/search").get_json()
    assert data["facets"]["language"] == [
        {"value": "Arabic", "count": 5, "selected": False},
        {"value": "English", "count": 1, "selected": False},
    ]
    for value in ("Arabic", "arabic", "ar"):
        data = arabic_client.get("/api/search", query_string={"language": value}).get_json()
        assert sorted(h["id"] for h in data["hits"]) == ["ar-1", "ar-2", "ar-3", "ar-4", "ar-5"]
        assert data["facets"]["language"] == [
            {"value": "Arabic", "count": 5, "selected": True},
            {"value": "English", "count": 1, "selected": False},
        ]
    assert hits(arabic_client, "", language="en") == ["en-1"]


def test_result_page_sets_language_and_direction(arabic_client) -> None:
    page = BeautifulSoup(arabic_client.get("/", query_string={"q": "هدنة OR ceasefire"}).get_data(as_text=True), "html.parser")
    titles = {h.get_text(strip=True): (h.get("lang"), h.get("dir")) for h in page.select("h3.hit-title")}
    assert titles == {"وقف إطلاق النار في المدينة": ("ar", "rtl"), "اتفاق جديد": ("ar", "rtl"), "Ceasefire holds in Aleppo": ("en", None)}
    assert sorted((p.get("lang"), p.get("dir")) for p in page.select("p.snippet")) == [("ar", "rtl"), ("ar", "rtl"), ("en", None)]
    assert [b.get_text() for b in page.select("#facet-language bdi")] == ["Arabic", "English"]


def test_document_page_sets_language_direction_and_marks(arabic_client) -> None:
    page = BeautifulSoup(arabic_client.get("/doc/ar-1", query_string={"q": "الهدنه"}).get_data(as_text=True), "html.parser")
    heading = page.select_one("h1#doc-title")
    assert (heading.get_text(), heading.get("lang"), heading.get("dir")) == ("وقف إطلاق النار في المدينة", "ar", "rtl")
    body = page.select_one("div.paragraphs")
    assert (body.get("lang"), body.get("dir")) == ("ar", "rtl")
    assert [m.get_text() for m in body.select("mark")] == ["والهدنة"]
    english = BeautifulSoup(arabic_client.get("/doc/en-1", query_string={"q": "ceasefire"}).get_data(as_text=True), "html.parser")
    assert (english.select_one("h1#doc-title").get("lang"), english.select_one("h1#doc-title").get("dir")) == ("en", None)
    assert [m.get_text() for m in english.select("div.paragraphs mark")] == ["ceasefire"]


def test_an_index_made_before_the_arabic_fields_opens_and_gets_them(tmp_path) -> None:
    """An older index (no title_ar/text_ar/language_name) is searched as before; its next run adds the fields."""
    from whoosh import fields, index

    from searchapp.ingest.run import IndexOptions, index_paths
    from searchapp.store.schema import build_schema
    from searchapp.web import create_app

    old = build_schema()
    old_fields = {name: old[name] for name in old.names() if name not in ("title_ar", "text_ar", "language_name")}
    (tmp_path / "index").mkdir()
    ix = index.create_in(str(tmp_path / "index"), fields.Schema(**old_fields))
    with ix.writer() as writer:  # as the old version indexed an Arabic article: English analyser, language "other"
        writer.add_document(id="old-1", title="هدنة قديمة", text="الهدنة صامدة", paragraphs=["الهدنة صامدة"], entities={}, language="other")
    client = create_app({"TESTING": True, "INDEX_DIR": str(tmp_path / "index")}).test_client()
    assert hits(client, "الهدنة") == ["old-1"]
    assert hits(client, "هدنه") == []  # no Arabic analysis yet

    source = tmp_path / "new.jsonl"
    source.write_text(json.dumps(ARTICLES[1], ensure_ascii=False), encoding="utf-8")
    index_paths([source], tmp_path / "index", IndexOptions(processes=1))
    client = create_app({"TESTING": True, "INDEX_DIR": str(tmp_path / "index")}).test_client()
    assert hits(client, "الهدنة") == ["ar-2", "old-1"]
    assert hits(client, "هدنه") == ["ar-2"]
    data = client.get("/api/search").get_json()
    assert data["facets"]["language"] == [{"value": "Arabic", "count": 1, "selected": False}, {"value": "other", "count": 1, "selected": False}]
