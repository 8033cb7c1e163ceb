"""What searchapp takes from Whoosh's private internals still holds (searchapp/store/internals.py, codec.py).

These fail when a Whoosh upgrade moves an attribute the store relies on, instead of searches
silently taking the slow fallback or reading the wrong column.
"""

from __future__ import annotations

import importlib.metadata
import pickle
import sys

import numpy as np
import pytest
from whoosh import index as whoosh_index
from whoosh.codec.whoosh3 import W3LeafMatcher

from searchapp.store import internals
from searchapp.store.index import open_index


def test_the_pinned_whoosh_is_installed():
    assert importlib.metadata.version("whoosh3") == "3.54.0"


def test_block_matchers_expose_what_posting_ids_reads(sample_index, monkeypatch):
    for attribute in ("_read_data", "_next_block"):
        assert hasattr(W3LeafMatcher, attribute)
    with open_index(sample_index).searcher() as searcher:
        leaf = searcher.reader().leaf_readers()[0][0]
        matcher = leaf.postings("text", "syria")
        assert all(hasattr(matcher, a) for a in internals.MATCHER_ATTRIBUTES)
        expected = list(leaf.postings("text", "syria").all_ids())
        monkeypatch.setattr(type(matcher), "all_ids", lambda self: pytest.fail("posting_ids fell back to all_ids()"))
        assert internals.posting_ids(matcher).tolist() == expected


def test_one_scan_of_the_term_dictionary_gives_every_term_and_its_postings(sample_index, monkeypatch):
    with open_index(sample_index).searcher() as searcher:
        leaf = searcher.reader().leaf_readers()[0][0]
        assert hasattr(leaf, "_terms") and hasattr(leaf, "_codec")
        assert hasattr(leaf._terms, "items_from") and hasattr(leaf._terms, "_postfile")
        slow = {term: list(leaf.postings("places", term).all_ids()) for term in leaf.field_terms("places")}
        monkeypatch.setattr(type(leaf), "field_terms", lambda *a: pytest.fail("field_postings fell back to field_terms()"))
        fast = {term: ids.tolist() for term, ids in internals.field_postings(leaf, "places")}
    assert fast == slow and "Syria" in fast


def test_segment_columns_line_up_with_stored_fields(sample_index):
    with open_index(sample_index).searcher() as searcher:
        reader = searcher.reader()
        ids = np.empty(reader.doc_count_all(), dtype=object)
        for offset, count, column in internals.segment_columns(reader, "id"):
            ids[offset : offset + count] = [column[n] for n in range(count)]
        assert ids.tolist() == [searcher.stored_fields(n)["id"] for n in range(reader.doc_count_all())]
        assert [c for _, _, c in internals.segment_columns(reader, "no_such_field")] == [None] * len(reader.leaf_readers())


def test_the_table_of_contents_helpers_exist(sample_index):
    for name in ("read", "_segment_pattern", "_filename", "_pattern", "_latest_generation"):
        assert hasattr(whoosh_index.TOC, name)
    assert callable(whoosh_index.clean_files)
    ix = open_index(sample_index)
    generation, files = internals.committed_generation(ix.storage)
    assert generation == ix.latest_generation() and files[0] == f"_MAIN_{generation}.toc" and len(files) > 1
    # what the damage checks of store/index.py read
    assert internals.latest_generation(ix.storage) == generation and internals.toc_name(generation) == files[0]
    toc = internals.read_toc(ix.storage)
    assert [name for name, _ in internals.segment_files(ix.storage, toc)] == files[1:]
    assert all(internals.is_index_file(name) for name in files)
    assert not any(internals.is_index_file(name) for name in ("indexer.lock", "checksums.json", "MAIN_WRITELOCK"))


def test_indexes_pickled_under_the_old_module_paths_still_open(monkeypatch):
    from searchapp.store.schema import HyphenFilter

    legacy = pickle.dumps(HyphenFilter(), protocol=0).replace(b"searchapp.store.schema", b"searchapp.schema")
    monkeypatch.delitem(sys.modules, "searchapp.schema", raising=False)
    with pytest.raises(ModuleNotFoundError):
        pickle.loads(legacy)
    internals.register_pickled_names()
    assert isinstance(pickle.loads(legacy), HyphenFilter)


def test_bm25f_reads_the_statistics_use_statistics_replaces(sample_index):
    """BM25F takes idf and average field length from the top searcher (get_parent(): _idf_cache,
    avg_field_length); with other statistics swapped in, the scores are those of the other figures."""
    import math

    from whoosh import query, scoring

    from searchapp.store.internals import SEARCHER_STATISTICS, GlobalStatistics, use_statistics

    with open_index(sample_index).searcher() as searcher:
        assert isinstance(searcher.weighting, scoring.BM25F)
        for attribute in SEARCHER_STATISTICS:
            assert hasattr(searcher, attribute)
        term = query.Term("text", "syria")
        own = {hit.docnum: hit.score for hit in searcher.search(term, limit=None)}
        frequency = searcher.doc_frequency("text", "syria")
        same = GlobalStatistics(searcher.doc_count_all(), {"text": searcher.field_length("text")}, {("text", b"syria"): frequency})
        with use_statistics(searcher, same):
            assert {hit.docnum: hit.score for hit in searcher.search(term, limit=None)} == own
        # ten times the documents, the same frequency: a larger idf scales every score up by the ratio of idfs
        bigger = GlobalStatistics(10 * searcher.doc_count_all(), {"text": 10 * searcher.field_length("text")}, {("text", b"syria"): frequency})
        with use_statistics(searcher, bigger):
            scaled = {hit.docnum: hit.score for hit in searcher.search(term, limit=None)}
        ratio = (math.log(10 * searcher.doc_count_all() / (frequency + 1)) + 1) / (math.log(searcher.doc_count_all() / (frequency + 1)) + 1)
        assert scaled == pytest.approx({d: s * ratio for d, s in own.items()}, rel=1e-9)
        assert {hit.docnum: hit.score for hit in searcher.search(term, limit=None)} == own  # restored after the block


def test_field_length_totals_read_the_stored_document_lengths(sample_index):
    """field_length_totals sums each document's one-byte length from the segment's length column
    (whoosh3's ``_perdoc._cached_reader("_<field>_len", LENGTHS_COLUMN)``), not a fallback."""
    from whoosh.codec import whoosh3

    from searchapp.store.internals import field_length_totals

    with open_index(sample_index).searcher() as searcher:
        reader = searcher.reader()
        leaf = reader.leaf_readers()[0][0]
        assert whoosh3._lenfield("text") == "_text_len" and hasattr(leaf._perdoc, "_cached_reader")
        assert leaf._perdoc._cached_reader("_text_len", whoosh3.LENGTHS_COLUMN) is not None
        expected = {
            name: sum(sub.doc_field_length(n, name) or 0 for sub, _ in reader.leaf_readers() for n in range(sub.doc_count_all()))
            for name in ("text", "title")
        }
        assert field_length_totals(reader, ["text", "title"]) == expected
        assert expected["text"] > 1000


def test_the_multiprocess_writer_has_what_parallel_writer_reads_and_overrides():
    """parallel_writer sizes ``batchsize``, reads each of ``tasks``' exit codes and refuses the commit in ``_commit_toc``."""
    import inspect

    from whoosh.multiproc import MpWriter

    assert "self._commit_toc(finalsegments)" in inspect.getsource(MpWriter._commit)
    assert "self.tasks" in inspect.getsource(MpWriter.__init__) and "self.batchsize" in inspect.getsource(MpWriter.__init__)
    assert "start_method" in inspect.signature(MpWriter.__init__).parameters and "multisegment" in inspect.signature(MpWriter.__init__).parameters


def test_the_segment_writer_and_reader_have_what_streaming_merges_use(sample_index):
    """StreamingMerges overrides ``add_reader``/``_flush_segment``/``add_document`` and reads the writer's and a
    segment reader's private parts; whoosh3's merge policies must still go through ``add_reader``, and a
    commit through ``_flush_segment``."""
    import inspect

    from whoosh import writing
    from whoosh.multiproc import MpWriter
    from whoosh.reading import SegmentReader

    from searchapp.store.codec import CompactCodec

    ix = open_index(sample_index)
    writer = internals.streaming_writer(ix, codec=CompactCodec())
    try:
        assert all(hasattr(writer, a) for a in internals.STREAMING_MERGE_ATTRIBUTES["writer"])
    finally:
        writer.cancel()
    segment = ix._segments()[0]
    reader = SegmentReader(ix.storage, ix.schema, segment)
    try:
        assert all(hasattr(reader, a) for a in internals.STREAMING_MERGE_ATTRIBUTES["reader"])
        assert hasattr(reader._terms, "_postfile") and hasattr(reader._perdoc, "_cached_reader")
    finally:
        reader.close()
    assert "add_reader" in inspect.getsource(writing.MERGE_SMALL) and "add_reader" in inspect.getsource(writing.OPTIMIZE)
    assert "self._flush_segment()" in inspect.getsource(writing.SegmentWriter._finalize_segment)
    assert "self._finalize_segment()" in inspect.getsource(MpWriter._commit)
    assert "self.pool.iter_postings()" in inspect.getsource(writing.SegmentWriter._flush_segment)


def test_compound_segments_are_read_in_place_from_their_memory_map(sample_index):
    """A search reads the terms, postings and stored articles of a compound segment without copying them.

    Fails when whoosh3 no longer makes compound storages through ``whoosh.codec.base.CompoundStorage``,
    renames the map (``_source``) or gives ``BufferFile`` attributes :class:`~searchapp.store.internals.InPlaceBufferFile`
    does not set (every serving process would again hold a private copy of the index).
    """
    from whoosh.filedb.structfile import BufferFile

    from searchapp.query.search import SearchIndex, SearchRequest

    made = BufferFile(memoryview(b"abc"), name="x")
    assert set(vars(made)) - {"file"} <= set(vars(internals.InPlaceBufferFile(memoryview(b"abc"), name="x"))), "BufferFile gained attributes"
    index = SearchIndex(sample_index)
    assert index.search(SearchRequest(q="Syria")).total > 0
    with index.searcher() as searcher:
        leaves = [leaf for leaf, _ in searcher.reader().leaf_readers()]
        assert leaves and all(leaf.segment().is_compound() for leaf in leaves)
        for leaf in leaves:
            compound = leaf._storage.a  # (an OverlayStorage: the compound file first, then the folder)
            assert isinstance(compound, internals.InPlaceCompoundStorage) and compound._source is not None
            for part in (leaf._terms._postfile, leaf._terms._dictfile, leaf._perdoc._storedfile):
                assert isinstance(part, internals.InPlaceBufferFile)
                assert part._sequential is None, f"{part._name} was copied into memory"
