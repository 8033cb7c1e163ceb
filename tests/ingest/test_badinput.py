"""Bad input loses nothing: every bad file or record is rejected or read as documented, every good one around it is indexed.

The small bad inputs are committed in ``tests/badinput/`` (binary, Latin-1, UTF-16 and UTF-8 with
BOMs, empty and blank files, a truncated gzip, CSV with missing and extra cells and quoted
newlines, JSONL with broken lines, absurd dates, an HTML page full of scripts).  The big ones
(a 50 MB article, a one-million-character line) are generated in ``tmp_path`` at test time.
"""

from __future__ import annotations

import json
import random
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from searchapp.cli import main
from searchapp.ingest.run import IndexOptions, index_paths
from searchapp.query.search import SearchIndex, SearchRequest
from searchapp.store.index import open_index

BADINPUT = Path(__file__).resolve().parent / "badinput"

# id or file -> the marker word its text holds
GOOD = {
    "c1": "csvgood", "c2": "csvnewline", "c5": "csvlast",
    "j1": "jsonlgood", "j6": "jsonllast",
    "d1": "yearzero", "d2": "farfuture", "d3": "unknowndate", "d4": "hugenumber", "d5": "negativeyear", "d6": "gooddate",
    "latin1.txt": "badlatin", "utf16.txt": "utfsixteen", "utf8bom.md": "bommarker", "scripts.html": "htmlgood",
}  # fmt: skip
REJECTED = {
    "binary.txt": "binary file (contains NUL bytes)",
    "broken.jsonl:2": "invalid JSON",
    "broken.jsonl:3": "invalid JSON",
    "broken.jsonl:4": "expected a JSON object, got list",
    "broken.jsonl:5": "expected a JSON object, got str",
    "broken.jsonl:6": "missing text column 'text'",
    "broken.jsonl:7": "empty text",
    "broken.jsonl:8": "missing text column 'text'",
    "empty.txt": "empty text",
    "whitespace.md": "empty text",
    "records.csv:6": "9 cells for 5 columns",
    "records.csv:7": "missing text column 'text'",
    "truncated.jsonl.gz": "cannot read file",
}


@pytest.fixture(scope="module")
def bad_index(tmp_path_factory):
    folder = tmp_path_factory.mktemp("bad")
    corpus = folder / "badinput"
    shutil.copytree(BADINPUT, corpus)
    messages: list[str] = []
    summary = index_paths([corpus], folder / "ix", IndexOptions(processes=1), report=messages.append)
    return corpus, folder / "ix", summary, messages


def _docs(index_dir):
    with open_index(index_dir).searcher() as searcher:
        return list(searcher.all_stored_fields())


def test_every_bad_input_is_rejected_with_its_file_line_and_reason(bad_index):
    corpus, _, summary, messages = bad_index
    got = {r.source.removeprefix(str(corpus) + "/"): r.reason for r in summary.rejected}
    assert set(got) == set(REJECTED)
    for where, reason in REJECTED.items():
        assert got[where].startswith(reason), (where, got[where])
        assert any(m.startswith(f"rejected: {corpus / where}: {reason}") for m in messages), where


def test_every_good_record_around_the_bad_ones_is_indexed_once(bad_index):
    _, index_dir, summary, _ = bad_index
    docs = _docs(index_dir)
    assert summary.added == len(GOOD) == len(docs)
    ids = [d["id"] for d in docs]
    assert len(ids) == len(set(ids))
    index = SearchIndex(index_dir)
    for key, marker in GOOD.items():
        result = index.search(SearchRequest(q=marker))
        assert result.total == 1, (key, marker)
        hit = result.hits[0]
        if not key.endswith((".txt", ".md", ".html")):
            assert hit.id == key


def test_encodings_are_decoded_as_documented(bad_index):
    _, index_dir, summary, messages = bad_index
    by_marker = {m: d for d in _docs(index_dir) for m in GOOD.values() if m in " ".join(d["paragraphs"])}
    assert by_marker["utfsixteen"]["title"] == "Convoy reaches Aleppo"  # UTF-16 with BOM: read exactly
    assert by_marker["bommarker"]["title"] == "Envoy visits Damascus"  # the UTF-8 BOM is not part of the title
    latin = by_marker["badlatin"]
    assert "\ufffd" in latin["paragraphs"][0]  # replacement characters, and a warning
    assert any("latin1.txt: invalid UTF-8 at byte" in m and m.startswith("warning:") for m in messages)
    assert "\ufeff" not in json.dumps([d["title"] for d in _docs(index_dir)])


def test_absurd_dates_are_dropped_with_a_warning_and_the_article_kept(bad_index):
    _, index_dir, _, messages = bad_index
    docs = {d["id"]: d for d in _docs(index_dir)}
    for doc_id in ("d1", "d2", "d3", "d4", "d5"):
        assert "published_iso" not in docs[doc_id] and "year" not in docs[doc_id]
        assert any(f"dates.jsonl:{doc_id[1]}: published date ignored" in m for m in messages), doc_id
    assert docs["d6"]["published_iso"] == "2016-03-02"


def test_csv_quoted_newlines_become_paragraphs(bad_index):
    _, index_dir, _, _ = bad_index
    docs = {d["id"]: d for d in _docs(index_dir)}
    assert docs["c2"]["paragraphs"] == [
        "First paragraph of a quoted text, csvnewline marker.",
        "Second paragraph, inside the same quoted cell.",
    ]
    assert docs["c5"]["outlet_name"] == "Press TV"


def test_html_scripts_handlers_and_styles_are_not_indexed(bad_index):
    _, index_dir, _, _ = bad_index
    (html,) = [d for d in _docs(index_dir) if "htmlgood" in " ".join(d["paragraphs"])]
    text = " ".join(html["paragraphs"])
    for word in ("scriptbody", "inlinescript", "onload", "alert", "javascript", "color: red", "tracker"):
        assert word not in text
    assert html["title"] == "Truce holds in the north" and html["published_iso"] == "2016-03-02"
    assert "Officials from both sides met" in text
    index = SearchIndex(index_dir)
    for word in ("scriptbody", "inlinescript", "alert"):
        assert index.search(SearchRequest(q=word)).total == 0


def test_cli_exit_code_1_and_summary_over_the_bad_corpus(tmp_path):
    corpus = tmp_path / "badinput"
    shutil.copytree(BADINPUT, corpus)
    result = CliRunner().invoke(main, ["index", "--index-dir", str(tmp_path / "ix"), "--processes", "1", "--quiet", str(corpus)])
    assert result.exit_code == 1
    assert f"indexed {len(GOOD)} ({len(GOOD)} new, 0 updated)" in result.stderr
    assert f"rejected {len(REJECTED)}" in result.stderr
    assert "Traceback" not in result.output


# ---------------------------------------------------------------------------------------------
# Big inputs, generated at test time


@pytest.mark.slow
def test_a_50_mb_article_is_rejected_with_its_size_and_the_limit(tmp_path):
    corpus = tmp_path / "big"
    corpus.mkdir()
    line = "The delegations met again to discuss the ceasefire and the convoys."
    with open(corpus / "huge.txt", "w", encoding="utf-8") as f:
        f.write("A headline for a huge article\n\n")
        for _ in range(50_000_000 // len(line)):
            f.write(line + "\n")
    (corpus / "ok.jsonl").write_text(json.dumps({"id": "small", "text": "A small neighbour, smallneighbour marker."}) + "\n", encoding="utf-8")
    summary = index_paths([corpus], tmp_path / "ix", IndexOptions(processes=1))
    (rejection,) = summary.rejected
    assert rejection.source == str(corpus / "huge.txt")
    # rejected before it is read: a one-article file may hold 40 bytes a character of the article limit
    assert rejection.reason.endswith(": longer than any article may be (1,000,000 characters, SEARCHAPP_MAX_ARTICLE_CHARS; 40,000,000 bytes)")
    assert rejection.reason.startswith(f"file of {(corpus / 'huge.txt').stat().st_size:,} bytes")
    assert [d["id"] for d in _docs(tmp_path / "ix")] == ["small"]


def test_the_article_size_limit_is_a_setting(tmp_path):
    path = tmp_path / "two.jsonl"
    path.write_text(
        json.dumps({"id": "short", "text": "Short enough."}) + "\n" + json.dumps({"id": "long", "text": "x" * 51}) + "\n", encoding="utf-8"
    )
    summary = index_paths([path], tmp_path / "ix", IndexOptions(processes=1, max_article_chars=50))
    assert [r.reason for r in summary.rejected] == ["article of 51 characters is longer than the limit of 50 (SEARCHAPP_MAX_ARTICLE_CHARS)"]
    assert [d["id"] for d in _docs(tmp_path / "ix")] == ["short"]


@pytest.mark.slow
def test_a_one_million_character_line_is_indexed_and_tagged_on_its_start(tmp_path):
    rng = random.Random(3)
    words = ["Lavrov", "met", "Kerry", "in", "Geneva", "on", "Tuesday", "to", "discuss", "the", "ceasefire", "in", "Aleppo", "and", "the", "convoys"]
    body = []
    size = 0
    while size < 1_000_000:
        word = rng.choice(words)
        body.append(word)
        size += len(word) + 1
    text = " ".join(body)[: 1_000_000 - 8] + " endmark"
    assert len(text) == 1_000_000 and "\n" not in text
    path = tmp_path / "long.jsonl"
    with open(path, "w", encoding="utf-8") as f:
        f.write(json.dumps({"id": "before", "text": "Before the long line, beforelong marker."}) + "\n")
        f.write(json.dumps({"id": "long", "title": "A very long line", "text": text}) + "\n")
        f.write(json.dumps({"id": "after", "text": "After the long line, afterlong marker."}) + "\n")
    summary = index_paths([path], tmp_path / "ix", IndexOptions(processes=1))
    assert summary.added == 3 and not summary.rejected
    with open_index(tmp_path / "ix").searcher() as searcher:
        doc = searcher.document(id="long")
    assert len(doc["paragraphs"][0]) == 1_000_000
    spans = [span for m in doc["entities"]["mentions"] for span in m["spans"]]
    assert spans and max(end for _, _, end in spans) <= 100_000  # MAX_TAGGED_CHARS: only the start is tagged
    index = SearchIndex(tmp_path / "ix")
    assert [h.id for h in index.search(SearchRequest(q="endmark")).hits] == ["long"]  # the whole text is searchable
    assert [h.id for h in index.search(SearchRequest(q="beforelong")).hits] == ["before"]
    assert [h.id for h in index.search(SearchRequest(q="afterlong")).hits] == ["after"]
    assert index.search(SearchRequest(q="Geneva")).total == 1


def test_segments_without_dates_or_files_keep_the_index_usable(tmp_path):
    """Whoosh writes no column for a field that no document of a batch has: a batch of undated
    records has no published column, a batch of records no file_source column.  Searching, sorting
    and re-running over such segments must work (both used to fail: ValueError, IndexError)."""
    (tmp_path / "dated.jsonl").write_text("".join(json.dumps({"id": f"x{i}", "text": f"Dated {i}, segmark.", "date": f"2016-03-0{i + 1}"}) + "\n" for i in range(3)), encoding="utf-8")
    (tmp_path / "undated.jsonl").write_text("".join(json.dumps({"id": f"y{i}", "text": f"Undated {i}, segmark."}) + "\n" for i in range(3)), encoding="utf-8")
    (tmp_path / "file.txt").write_text("A file headline here\n\nA text file, segmark, dated nowhere.\n", encoding="utf-8")
    inputs = [tmp_path / "dated.jsonl", tmp_path / "undated.jsonl", tmp_path / "file.txt"]
    for path in inputs:  # one segment each
        index_paths([path], tmp_path / "ix", IndexOptions(processes=1))
    again = index_paths(inputs, tmp_path / "ix", IndexOptions(processes=1))
    assert (again.added, again.updated, again.unchanged) == (0, 0, 7)
    index = SearchIndex(tmp_path / "ix")
    newest = index.search(SearchRequest(q="segmark", sort="newest", per_page=10))
    assert newest.total == 7 and [h.id for h in newest.hits][:3] == ["x2", "x1", "x0"]
    assert [h.published for h in newest.hits][3:] == [None] * 4
    assert [h.id for h in index.search(SearchRequest(q="segmark", sort="oldest")).hits][:3] == ["x0", "x1", "x2"]
    assert {v.value: v.count for v in newest.facets["year"]} == {"2016": 3}


def test_an_oversized_html_page_is_rejected_before_extraction(tmp_path):
    page = "<html><head><title>Big page</title></head><body><p>" + "Talks went on. " * 100 + "</p></body></html>"
    (tmp_path / "big.html").write_text(page, encoding="utf-8")
    summary = index_paths([tmp_path / "big.html"], tmp_path / "ix", IndexOptions(processes=1, max_article_chars=100))
    assert [r.reason for r in summary.rejected] == [
        f"HTML page of {len(page):,} characters is longer than the limit of 1,000 (10 x SEARCHAPP_MAX_ARTICLE_CHARS)"
    ]


def test_lone_surrogates_and_deep_nesting_cost_only_their_own_record(tmp_path):
    """A lone surrogate is replaced with a warning; 100,000 nested brackets are a rejection with the line."""
    corpus = tmp_path / "mixed"
    corpus.mkdir()
    lines = [
        json.dumps({"id": "before", "title": "Before", "text": "The first good record, beforemarker."}),
        '{"id": "lone", "title": "T \\udc00 t", "text": "x \\ud800 y lonemarker"}',
        "[" * 100_000,
        json.dumps({"id": "after", "text": "The last good record, aftermarker."}),
    ]
    (corpus / "a.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    (corpus / "b.json").write_text("[" * 100_000, encoding="utf-8")
    (corpus / "c.jsonl").write_text(json.dumps({"id": "other", "text": "A good file after the bad ones, othermarker."}) + "\n", encoding="utf-8")
    messages: list[str] = []
    summary = index_paths([corpus], tmp_path / "ix", IndexOptions(processes=1), report=messages.append)
    assert [(r.source, r.reason) for r in summary.rejected] == [
        (f"{corpus / 'a.jsonl'}:3", "invalid JSON: nested too deeply"),
        (str(corpus / "b.json"), "invalid JSON: nested too deeply"),
    ]
    assert f"warning: {corpus / 'a.jsonl'}:2: 2 lone UTF-16 surrogate(s) (\\ud800-\\udfff) replaced by U+FFFD" in messages
    docs = {d["id"]: d for d in _docs(tmp_path / "ix")}
    assert sorted(docs) == ["after", "before", "lone", "other"]
    assert docs["lone"]["title"] == "T \ufffd t" and docs["lone"]["paragraphs"] == ["x \ufffd y lonemarker"]
    assert SearchIndex(tmp_path / "ix").search(SearchRequest(q="lonemarker")).total == 1


def test_every_stored_field_is_bounded(tmp_path):
    """A long title is cut at a word, a long outlet or URL dropped, each with a warning naming its setting."""
    long_title = "Headline " + "word " * 300_000  # 1.5 million characters
    records = [
        {"id": "t", "title": long_title, "text": "Body of the long title, titlemarker.", "source": "Reuters", "url": "https://example.org/t"},
        {"id": "o", "title": "Outlet", "text": "Body, outletmarker.", "source": "O" * 201, "url": "https://example.org/" + "u" * 5000},
        {"id": "w", "text": "x" * 2000 + " more words follow here"},  # no title: inferred from a 2,000-letter word
    ]
    path = tmp_path / "long.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    messages: list[str] = []
    summary = index_paths([path], tmp_path / "ix", IndexOptions(processes=1), report=messages.append)
    assert summary.added == 3 and not summary.rejected
    assert sorted(m.split(": ", 2)[2] for m in messages if m.startswith("warning: ")) == [
        "outlet of 201 characters dropped: the limit is 200 (SEARCHAPP_MAX_OUTLET_CHARS)",
        "title of 1,500,008 characters cut to the limit of 500 (SEARCHAPP_MAX_TITLE_CHARS)",
        "title of 2,023 characters cut to the limit of 500 (SEARCHAPP_MAX_TITLE_CHARS)",
        "url of 5,020 characters dropped: the limit is 4,096 (SEARCHAPP_MAX_URL_CHARS)",
    ]
    docs = {d["id"]: d for d in _docs(tmp_path / "ix")}
    assert docs["t"]["title"] == "Headline " + "word " * 97 + "word…" and len(docs["t"]["title"]) == 499
    assert docs["w"]["title"] == "x" * 499 + "…"
    assert docs["o"].get("outlet_name") is None and not docs["o"].get("url")
    assert docs["t"]["url"] == "https://example.org/t" and docs["t"]["outlet_name"] == "Reuters"


def test_field_limits_are_settings(tmp_path):
    from searchapp.config import Settings

    settings = Settings.load(environ={"SEARCHAPP_MAX_TITLE_CHARS": "10", "SEARCHAPP_MAX_OUTLET_CHARS": "3", "SEARCHAPP_MAX_URL_CHARS": "30"})
    options = IndexOptions.from_settings(settings, processes=1)
    path = tmp_path / "a.jsonl"
    path.write_text(json.dumps({"id": "a", "title": "A rather long title", "text": "Text.", "source": "Reuters", "url": "https://example.org/" + "p" * 20}) + "\n", encoding="utf-8")
    index_paths([path], tmp_path / "ix", options)
    (doc,) = _docs(tmp_path / "ix")
    assert doc["title"] == "A rather…" and doc.get("outlet_name") is None and not doc.get("url")


def test_gzip_bombs_are_read_in_a_bounded_stream(tmp_path):
    """A gzip that inflates past the file bound is rejected with its name; one huge line costs only its record."""
    import gzip

    corpus = tmp_path / "bombs"
    corpus.mkdir()
    with gzip.open(corpus / "a-newlines.jsonl.gz", "wb", compresslevel=9) as f:
        for _ in range(64):
            f.write(b"\n" * (1 << 20))  # 64 MB of newlines: a 64 KB file
    with gzip.open(corpus / "b-zeros.txt.gz", "wb", compresslevel=9) as f:
        for _ in range(64):
            f.write(b"0" * (1 << 20))
    lines = [json.dumps({"id": "before", "text": "Before the long line, beforebomb."}), json.dumps({"id": "long", "text": "y" * 2_000_000}),
             json.dumps({"id": "after", "text": "After the long line, afterbomb."})]
    with gzip.open(corpus / "c-records.jsonl.gz", "wt", encoding="utf-8") as f:
        f.write("\n".join(lines) + "\n")
    options = IndexOptions(processes=1, max_file_bytes=32 << 20, max_article_chars=100_000)
    summary = index_paths([corpus], tmp_path / "ix", options)
    assert [(Path(r.source).name, r.reason) for r in summary.rejected] == [
        ("a-newlines.jsonl.gz", "decompresses to more than 33,554,432 bytes: larger than the limit of 33,554,432 bytes (SEARCHAPP_MAX_FILE_BYTES)"),
        ("b-zeros.txt.gz", "decompresses to more than 4,000,000 bytes: longer than any article may be (100,000 characters, SEARCHAPP_MAX_ARTICLE_CHARS; 4,000,000 bytes)"),
        ("c-records.jsonl.gz:2", "line of 2,000,027 characters is longer than any article's record may be (1,000,000: 10 x SEARCHAPP_MAX_ARTICLE_CHARS)"),
    ]
    assert sorted(d["id"] for d in _docs(tmp_path / "ix")) == ["after", "before"]


def test_special_files_are_reported_and_never_opened(tmp_path):
    """FIFOs (which would block a reader forever), dangling links, link loops and links to folders are each a rejection."""
    import os

    corpus = tmp_path / "special"
    corpus.mkdir()
    (corpus / "good.jsonl").write_text(json.dumps({"id": "good", "text": "A good record, specialgood."}) + "\n", encoding="utf-8")
    os.mkfifo(corpus / "pipe.jsonl")
    (corpus / "dangling.txt").symlink_to(tmp_path / "nowhere.txt")
    (corpus / "loop.txt").symlink_to(corpus / "loop.txt")
    (tmp_path / "elsewhere").mkdir()
    (corpus / "linked").symlink_to(tmp_path / "elsewhere", target_is_directory=True)
    summary = index_paths([corpus], tmp_path / "ix", IndexOptions(processes=1))
    assert sorted((Path(r.source).name, r.reason) for r in summary.rejected) == [
        ("dangling.txt", "a symbolic link to nothing (dangling link): skipped"),
        ("linked", "a symbolic link to a folder: not followed (give the folder itself to read it)"),
        ("loop.txt", "a symbolic link loop: skipped"),
        ("pipe.jsonl", "a FIFO (named pipe), not a file: skipped (reading it would wait for a writer)"),
    ]
    assert [d["id"] for d in _docs(tmp_path / "ix")] == ["good"]


def test_a_fifo_given_as_input_is_rejected_not_waited_on(tmp_path):
    import os
    import subprocess
    import sys

    os.mkfifo(tmp_path / "pipe.jsonl")
    searchapp = str(Path(sys.executable).with_name("searchapp"))
    done = subprocess.run(
        [searchapp, "index", "--index-dir", str(tmp_path / "ix"), "--processes", "1", "--quiet", str(tmp_path / "pipe.jsonl")],
        capture_output=True, text=True, timeout=120,  # before: waited for a writer forever
    )
    assert done.returncode == 1
    assert f"rejected: {tmp_path / 'pipe.jsonl'}: a FIFO (named pipe), not a file: skipped" in done.stderr
