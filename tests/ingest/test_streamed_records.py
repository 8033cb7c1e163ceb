"""JSON Lines and CSV files are read a line at a time (searchapp.ingest.readers.StreamedLines).

A million-article archive is gigabytes of JSON Lines: read whole, the file and its decoded text
stayed in the indexer's memory for the whole run.  These tests fail when a record file is read
whole again, or when streaming changes what is read: encodings, byte-order marks, line ends,
the file bound, binary files, the repeated-ids pass of ``--facet``.
"""

from __future__ import annotations

import codecs
import gzip
import json
import tracemalloc
from pathlib import Path

import pytest

from searchapp.ingest.models import Article, Rejection
from searchapp.ingest.readers import ReadOptions, read_file
from searchapp.store.custom import FacetSpec

TEXT = "Delegates met in Geneva on Tuesday to discuss the ceasefire in Idlib and the aid convoys. " * 10


def articles(path: Path, **options) -> list[Article | Rejection]:
    return [item for item in read_file(path, {}, ReadOptions(**options)) if isinstance(item, Article | Rejection)]


def write_jsonl(path: Path, count: int) -> None:
    with open(path, "w", encoding="utf-8") as f:
        for i in range(count):
            f.write(json.dumps({"id": f"a{i}", "title": f"Story {i}", "text": f"{TEXT} Number {i}.", "source": "Reuters"}) + "\n")


@pytest.mark.parametrize("suffix", [".jsonl", ".jsonl.gz"])
def test_a_large_record_file_is_read_in_bounded_memory(tmp_path, suffix):
    path = tmp_path / f"big{suffix}"
    write_jsonl(tmp_path / "big.jsonl", 8000)  # ~7.5 MB
    if suffix.endswith(".gz"):
        path.write_bytes(gzip.compress((tmp_path / "big.jsonl").read_bytes()))
    size = len((tmp_path / "big.jsonl").read_bytes())
    tracemalloc.start()
    try:
        count = sum(1 for item in read_file(path, {}, ReadOptions()) if isinstance(item, Article))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert count == 8000
    assert peak < size / 4, f"peak {peak:,} bytes for a file of {size:,}: read whole?"


def test_an_invalid_utf8_line_is_read_with_replacements_and_one_warning_naming_the_byte(tmp_path, capsys):
    first = json.dumps({"id": "a", "text": "Talks resumed in Geneva."}).encode() + b"\n"
    second = b'{"id": "b", "text": "Caf\xe9 owners in Aleppo reopened."}\n'
    third = b'{"id": "c", "text": "Na\xefve hopes in Idlib."}\n'
    (tmp_path / "a.jsonl").write_bytes(codecs.BOM_UTF8 + first + second + third)
    read = articles(tmp_path / "a.jsonl")
    assert [a.id for a in read] == ["a", "b", "c"]  # the byte-order mark is no part of the first record
    assert "Caf\ufffd owners" in read[1].paragraphs[0]
    warnings = [line for line in capsys.readouterr().err.splitlines() if "invalid UTF-8" in line]
    where = len(first) + second.index(0xE9)  # (counted after the byte-order mark, as for a file read whole)
    assert warnings == [f"warning: {tmp_path / 'a.jsonl'}: invalid UTF-8 at byte {where}: decoded with replacement characters"]


def test_utf16_and_old_mac_line_ends_are_still_read(tmp_path):
    (tmp_path / "a.jsonl").write_bytes((json.dumps({"id": "u", "text": "Convoy reaches Aleppo."}) + "\n").encode("utf-16"))
    (tmp_path / "b.csv").write_bytes(b"id,text\rm1,Talks resumed in Geneva.\rm2,Shelling hit Idlib.\r")
    assert [a.id for a in articles(tmp_path / "a.jsonl")] == ["u"]
    assert [(a.id, a.paragraphs) for a in articles(tmp_path / "b.csv")] == [("m1", ["Talks resumed in Geneva."]), ("m2", ["Shelling hit Idlib."])]


def test_the_file_bound_and_binary_files_are_checked_before_any_record(tmp_path):
    write_jsonl(tmp_path / "big.jsonl", 50)
    (tmp_path / "big.jsonl.gz").write_bytes(gzip.compress((tmp_path / "big.jsonl").read_bytes()))
    (tmp_path / "nul.jsonl").write_bytes(b'{"id": "x", "text": "a\x00b"}\n')
    assert [(type(i).__name__, i.reason) for i in articles(tmp_path / "big.jsonl", max_file_bytes=1000)] == [
        ("Rejection", f"file of {(tmp_path / 'big.jsonl').stat().st_size:,} bytes: larger than the limit of 1,000 bytes (SEARCHAPP_MAX_FILE_BYTES)")
    ]
    assert [i.reason for i in articles(tmp_path / "big.jsonl.gz", max_file_bytes=1000)] == [
        "decompresses to more than 1,000 bytes: larger than the limit of 1,000 bytes (SEARCHAPP_MAX_FILE_BYTES)"
    ]
    assert [i.reason for i in articles(tmp_path / "nul.jsonl")] == ["binary file (contains NUL bytes)"]


def test_a_csv_with_repeated_ids_merges_their_facet_values_in_its_own_pass(tmp_path):
    rows = ["id,text,label", "a1,Shelling hit a market in Idlib.,fake", "a2,A convoy reached Aleppo.,credible", "a1,Shelling hit a market in Idlib.,disputed"]
    (tmp_path / "a.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    read = [a for a in articles(tmp_path / "a.csv", facets=(FacetSpec.parse("label"),)) if isinstance(a, Article)]
    assert [(a.id, a.facets.get("label")) for a in read] == [("a1", ["fake", "disputed"]), ("a2", ["credible"]), ("a1", ["fake", "disputed"])]
