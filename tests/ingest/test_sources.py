"""Readers: every format, metadata, ids, paragraphs, and bad records reported by file and line."""

import gzip
import json

import pytest

from searchapp.errors import SourceError
from searchapp.ingest.models import Article, Rejection
from searchapp.ingest.readers import ReadOptions, read_paths
from searchapp.ingest.readers.common import split_paragraphs, text_id
from searchapp.ingest.readers.manifest import read_manifest


def articles_and_rejections(paths, **kwargs):
    items = list(read_paths(paths, ReadOptions(**kwargs)))
    return [i for i in items if isinstance(i, Article)], [i for i in items if isinstance(i, Rejection)]


def test_text_file_with_headline_breadcrumbs_and_manifest(tmp_path):
    (tmp_path / "a.txt").write_text("News   /   Syria   /   News\n\nTruce holds in Idlib\n\nFirst paragraph.\nSecond paragraph.\n", encoding="utf-8")
    (tmp_path / "manifest.csv").write_text("file,title,outlet,published,url\na.txt,,presstv,2016-05,https://x.test/a\n", encoding="utf-8")
    (article,), rejected = articles_and_rejections([tmp_path], manifest=tmp_path / "manifest.csv")
    assert not rejected  # the manifest itself is not read as articles
    assert article.title == "Truce holds in Idlib"
    assert article.paragraphs == ["First paragraph.", "Second paragraph."]
    assert (article.outlet, article.published.iso(), article.published.precision, article.url) == ("presstv", "2016-05", "month", "https://x.test/a")
    assert article.id == text_id(article.paragraphs) and article.one_per_file
    assert article.inferred == []


def test_first_line_that_is_a_sentence_is_not_a_title(tmp_path):
    path = tmp_path / "b.md"
    path.write_text("Talks resumed in Geneva on Monday, officials said.\nMore text here.\n", encoding="utf-8")
    (article,), _ = articles_and_rejections([path])
    assert article.paragraphs[0].startswith("Talks resumed")
    assert "title" in article.inferred  # a title made from the first words, flagged as such


def test_outlet_inferred_from_credit_when_metadata_is_missing(tmp_path):
    path = tmp_path / "c.txt"
    path.write_text("Truce holds\n\nThe truce held.\n\nBy Press TV\n", encoding="utf-8")
    (article,), _ = articles_and_rejections([path])
    assert article.outlet == "Press TV" and "outlet" in article.inferred
    assert article.published is None


def test_jsonl_gz_with_common_column_names(tmp_path):
    path = tmp_path / "news.jsonl.gz"
    rows = [
        {"docno": "AL-1", "headline": "One", "body": "Alpha text.", "source": "alarabia", "time": "Sun, 18 Feb 2018 21:35:43 +0400", "link": "http://a"},
        {"docno": "AL-2", "headline": "Two", "body": "Beta text.", "source": "skynews", "time": "2018-03-01", "link": "http://b"},
    ]
    with gzip.open(path, "wt", encoding="utf-8") as f:
        f.write("\n".join(json.dumps(r) for r in rows) + "\n")
    articles, rejected = articles_and_rejections([path])
    assert not rejected
    assert [(a.id, a.title, a.outlet, a.published.iso(), a.url) for a in articles] == [
        ("AL-1", "One", "alarabia", "2018-02-18", "http://a"),
        ("AL-2", "Two", "skynews", "2018-03-01", "http://b"),
    ]
    assert articles[0].source == f"{path}:1"


def test_jsonl_broken_lines_are_rejected_with_their_line_and_the_rest_read(tmp_path):
    path = tmp_path / "bad.jsonl"
    path.write_text('{"id": "1", "text": "Good one."}\n{"id": "2", "text": \n[1, 2]\n{"id": "4", "text": ""}\n{"id": "5", "text": "Good five."}\n', encoding="utf-8")
    articles, rejected = articles_and_rejections([path])
    assert [a.id for a in articles] == ["1", "5"]
    assert [(r.source, r.reason.split(":")[0]) for r in rejected] == [
        (f"{path}:2", "invalid JSON"),
        (f"{path}:3", "expected a JSON object, got list"),
        (f"{path}:4", "empty text"),
    ]


def test_json_array_and_field_override(tmp_path):
    path = tmp_path / "news.json"
    path.write_text(json.dumps({"articles": [{"key": "k1", "story_text": "Hello.", "when": "2016"}]}), encoding="utf-8")
    (article,), _ = articles_and_rejections([path], field_map={"id": "key", "text": "story_text", "published": "when"})
    assert (article.id, article.text, article.published.iso()) == ("k1", "Hello.", "2016")


def test_record_without_a_text_column_is_reported_once(tmp_path):
    path = tmp_path / "x.jsonl"
    path.write_text('{"id": "1", "words": "a"}\n{"id": "2", "words": "b"}\n', encoding="utf-8")
    articles, rejected = articles_and_rejections([path])
    assert not articles and len(rejected) == 1 and "no text column" in rejected[0].reason


def test_csv_with_quoted_newlines_missing_and_extra_cells(tmp_path):
    path = tmp_path / "news.csv"
    path.write_text(
        'id,title,content,outlet,date\n'
        '1,First,"Para one.\n\nPara two.",Press TV,2016-03-02\n'
        '2,Second,Short text.\n'  # missing cells: read, unknown outlet and date
        '3,Third,Text,AFP,2016,EXTRA\n'  # an extra cell: rejected with its line
        '4,Fourth,"Fourth text.",Reuters,26-FEB-1987 15:01:01.79\n',
        encoding="utf-8",
    )
    articles, rejected = articles_and_rejections([path])
    assert [(a.id, a.paragraphs, a.outlet) for a in articles] == [
        ("1", ["Para one.", "Para two."], "Press TV"),
        ("2", ["Short text."], None),
        ("4", ["Fourth text."], "Reuters"),
    ]
    assert [(r.source, r.reason) for r in rejected] == [(f"{path}:6", "6 cells for 5 columns")]


def test_html_main_text_and_meta_tags_without_scripts(tmp_path):
    body = " ".join(["The ceasefire in Idlib held for a third day as talks resumed in Geneva."] * 6)
    path = tmp_path / "page.html"
    path.write_text(
        f"""<html><head><title>Fallback title</title>
        <meta property="og:title" content="Truce holds in Idlib">
        <meta property="og:site_name" content="Daily Sabah">
        <meta property="article:published_time" content="2021-09-30T10:00:00+03:00">
        <link rel="canonical" href="https://dailysabah.com/x">
        <script>alert('x')</script></head>
        <body><nav>Home | World | Sport</nav><article><p>{body}</p><p>A photo taken on March 08, 2019.</p></article>
        <script>document.write('evil')</script></body></html>""",
        encoding="utf-8",
    )
    (article,), _ = articles_and_rejections([path])
    assert (article.title, article.outlet, article.published.iso(), article.url) == ("Truce holds in Idlib", "Daily Sabah", "2021-09-30", "https://dailysabah.com/x")
    assert "ceasefire in Idlib" in article.text
    assert "alert" not in article.text and "evil" not in article.text


def test_encodings_binary_and_empty_files(tmp_path):
    (tmp_path / "utf16.txt").write_bytes("Headline here\nAl-Assad’s forces advanced.\n".encode("utf-16"))
    (tmp_path / "bom.txt").write_bytes(b"\xef\xbb\xbfPlain text with a BOM.\n")
    (tmp_path / "latin1.txt").write_bytes("Caf\xe9 talks in Gen\xe8ve.\n".encode("latin-1"))
    (tmp_path / "binary.txt").write_bytes(b"\x89PNG\x00\x00\x01\x02")
    (tmp_path / "empty.txt").write_bytes(b"")
    (tmp_path / "blank.md").write_text("\n \n\t\n", encoding="utf-8")
    articles, rejected = articles_and_rejections([tmp_path])
    by_file = {a.source.split("/")[-1]: a for a in articles}
    assert by_file["utf16.txt"].paragraphs == ["Al-Assad’s forces advanced."]
    assert by_file["bom.txt"].paragraphs == ["Plain text with a BOM."]
    assert by_file["latin1.txt"].paragraphs == ["Caf\ufffd talks in Gen\ufffdve."]
    assert "invalid UTF-8 at byte 3" in by_file["latin1.txt"].warnings[0]
    assert sorted((r.source.split("/")[-1], r.reason) for r in rejected) == [
        ("binary.txt", "binary file (contains NUL bytes)"),
        ("blank.md", "empty text"),
        ("empty.txt", "empty text"),
    ]


def test_corrupt_gzip_and_unsupported_files(tmp_path):
    (tmp_path / "broken.jsonl.gz").write_bytes(b"\x1f\x8b\x08\x00garbage")
    (tmp_path / "notes.docx").write_bytes(b"PK")
    (tmp_path / "ok.txt").write_text("Fine text.\n", encoding="utf-8")
    articles, rejected = articles_and_rejections([tmp_path])
    assert [a.paragraphs for a in articles] == [["Fine text."]]  # .docx in a folder is skipped
    assert len(rejected) == 1 and rejected[0].source.endswith("broken.jsonl.gz") and "cannot read file" in rejected[0].reason
    _, rejected = articles_and_rejections([tmp_path / "notes.docx"])  # named explicitly: reported
    assert "unsupported file type" in rejected[0].reason


def test_missing_path_and_bad_manifest(tmp_path):
    with pytest.raises(SourceError, match="no such file"):
        list(read_paths([tmp_path / "nope"]))
    bad = tmp_path / "m.csv"
    bad.write_text("name,title\na,b\n", encoding="utf-8")
    with pytest.raises(SourceError, match="needs a 'file' column"):
        read_manifest(bad)


def test_ids_are_stable_and_whitespace_insensitive():
    assert text_id(["Hello   world.", "Second."]) == text_id(["Hello world.", "Second. "])
    assert text_id(["Hello world."]) != text_id(["Hello world!"])


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("One.\nTwo.\n\nThree.", ["One.", "Two.", "Three."]),
        (
            "Showers continued throughout the week in\nthe Bahia cocoa zone, alleviating the drought since\n"
            "early January and improving prospects.\n    The dry period means the temporao will be late\n"
            "this year, a trade source in the zone said on Monday.\n    Arrivals for the week ended were high\n",
            [
                "Showers continued throughout the week in the Bahia cocoa zone, alleviating the drought since early January and improving prospects.",
                "The dry period means the temporao will be late this year, a trade source in the zone said on Monday.",
                "Arrivals for the week ended were high",
            ],
        ),
        ("A\r\nB\r\n", ["A", "B"]),
    ],
)
def test_paragraph_splitting(text, expected):
    assert split_paragraphs(text) == expected
