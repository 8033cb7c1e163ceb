"""The language of an article: a "language" column wins, else py3langid decides (measured on real corpora)."""

from __future__ import annotations

import csv
import gzip
import itertools
import json

import pytest

from searchapp.ingest.models import Article
from searchapp.ingest.readers.common import iso_language, language_name
from searchapp.ingest.tagging import language_of
from tests.conftest import SHARED

FAKES = SHARED / "corpora/fakes-dev/fakes-dev.csv"
ANT = SHARED / "corpora/ant-multisource/ant_multisource_v2.1.jsonl.gz"


@pytest.mark.parametrize(
    ("column", "code"),
    [("ar", "ar"), ("AR", "ar"), ("ara", "ar"), ("Arabic", "ar"), ("en", "en"), ("EN", "en"), ("English", "en"), ("fra", "fr"), ("xx", None), ("Klingonese", None)],
)
def test_language_column_values(column: str, code: str | None) -> None:
    assert iso_language(column) == code


@pytest.mark.parametrize(("code", "name"), [("ar", "Arabic"), ("en", "English"), ("fr", "French"), ("und", "Undetermined"), ("zz", "zz")])
def test_facet_names(code: str, name: str) -> None:
    assert language_name(code) == name


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("أعلنت الحكومة وقف إطلاق النار في مدينة حلب يوم الاثنين", "ar"),
        ("A ceasefire agreed by the government held in Aleppo on Monday", "en"),
        ("Le cessez-le-feu a été respecté lundi à Alep, selon les habitants", "fr"),
        ("2017 - 12 - 01 ...", "und"),
    ],
)
def test_language_of(text: str, code: str) -> None:
    assert language_of(text) == code


def test_language_column_wins_over_detection(tmp_path) -> None:
    from searchapp.ingest.readers.records import read_records

    raw = json.dumps({"id": "x", "text": "A ceasefire held in Aleppo on Monday, residents said.", "language": "ara"}).encode()
    (article,) = [item for item in read_records(tmp_path / "a.jsonl", "a.jsonl", raw, _options()) if isinstance(item, Article)]
    assert article.language == "ar"


def _options():
    from searchapp.ingest.readers.common import ReadOptions

    return ReadOptions()


@pytest.mark.slow
@pytest.mark.skipif(not FAKES.exists(), reason="needs ../shared/corpora/fakes-dev")
def test_every_fakes_article_is_english() -> None:
    csv.field_size_limit(10**9)
    with FAKES.open(encoding="utf-8", errors="replace", newline="") as f:
        found = [language_of(f"{r['article_title']}\n{r['article_content']}") for r in csv.DictReader(f)]
    assert len(found) > 370 and set(found) == {"en"}


@pytest.mark.slow
@pytest.mark.skipif(not ANT.exists(), reason="needs ../shared/corpora/ant-multisource")
def test_ant_articles_are_arabic() -> None:
    with gzip.open(ANT, "rt", encoding="utf-8") as f:
        records = [json.loads(line) for line in itertools.islice(f, 3000)]
    assert {language_of(f"{r.get('title', '')}\n{r.get('text', '')}") for r in records} == {"ar"}
