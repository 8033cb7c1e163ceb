"""A hit's versions are read from the ``ref`` column (query.search.article_refs), not from stored fields."""

from __future__ import annotations

import pytest

import searchapp.ingest.documents as documents
from searchapp.ingest.run import IndexOptions, index_paths
from searchapp.query import SearchIndex
from searchapp.query.search import ArticleRef, article_refs
from searchapp.store.internals import segment_columns
from searchapp.store.schema import read_article_ref
from tests.conftest import SAMPLES


def refs_both_ways(index_dir) -> tuple[list[ArticleRef], list[ArticleRef], list]:
    index = SearchIndex(index_dir)
    searcher = index.searcher()
    docnums = list(range(searcher.doc_count_all()))
    from_stored = [ArticleRef.from_stored(searcher.stored_fields(d)) for d in docnums]
    columns = [column for _, _, column in segment_columns(searcher.reader(), "ref") if column is not None]
    return article_refs(searcher, list(reversed(docnums))), list(reversed(from_stored)), columns


def test_every_article_of_a_many_segment_index_reads_as_its_stored_fields_say(tmp_path):
    folder = tmp_path / "index"
    index_paths([SAMPLES], folder, IndexOptions(processes=1, batch_size=2, max_segments=0))
    from_column, from_stored, columns = refs_both_ways(folder)
    assert len(columns) >= 2  # several segments, each with its column, a value for each article
    assert sum(1 for column in columns for i in range(len(column)) if read_article_ref(column[i])) == len(from_column) == 5
    assert from_column == from_stored
    assert all(ref.id and ref.title for ref in from_column)


def test_articles_written_without_the_column_are_read_from_their_stored_fields(tmp_path, monkeypatch):
    monkeypatch.setattr(documents, "article_ref", lambda *args: None)  # as an index written before the column
    folder = tmp_path / "index"
    index_paths([SAMPLES], folder, IndexOptions(processes=1))
    from_column, from_stored, columns = refs_both_ways(folder)
    assert not any(read_article_ref(column[i]) for column in columns for i in range(len(column)))
    assert from_column == from_stored and len(from_column) == 5


@pytest.mark.parametrize("docnums", [[], [0], [4, 0, 2]])
def test_the_refs_come_back_in_the_order_asked(sample_index, docnums):
    searcher = SearchIndex(sample_index).searcher()
    assert [ref.id for ref in article_refs(searcher, docnums)] == [searcher.stored_fields(d)["id"] for d in docnums]
