"""The one place that reaches into Whoosh's private internals (whoosh3 3.54.0, pinned with its hash).

Four speed-ups and two repairs depend on attributes that are not Whoosh's public API.  They are
gathered here, beside :mod:`searchapp.store.codec` (which subclasses whoosh3's codec), so that an
upgrade is checked in one place: ``tests/store/test_whoosh_contract.py`` fails when one of them
moves, instead of searches silently taking the slow fallback or reading wrong columns.

* :func:`posting_ids`: the document ids of a term, a 128-posting block at a time, from
  ``W3LeafMatcher``'s ``_read_data``/``_data``/``_next_block``/``_atend`` (iterating matchers
  document by document costs ~0.2 µs a posting in Python);
* :func:`field_postings`: every term of a field with its postings, from one scan of a segment's
  term dictionary (``leaf._terms``, ``leaf._codec``, ``terms._postfile``) instead of a look-up
  per term (~60 µs a term on news facets);
* :func:`term_weights`, :func:`term_positions` (:func:`phrase_docs`) and :func:`document_length_bytes`:
  a word's document numbers, weights and positions a block at a time (``CompactMatcher._data``,
  ``PositionLists._steps``/``_starts``) and the documents' length bytes (``_perdoc._cached_reader``),
  for scoring and phrase matching in NumPy (:mod:`searchapp.query.scoring`, :mod:`searchapp.query.matches`);
* :func:`segment_columns`: a column read segment by segment: a segment with no value in a
  column has no column file, and Whoosh's multi-segment column reader then misplaces the
  documents of the segments after it;
* :func:`committed_generation` and :func:`remove_unreferenced`: the table of contents
  (``TOC.read``, ``TOC._segment_pattern``, ``TOC._filename``, ``clean_files``) for snapshots and
  for removing the files of a batch whose commit failed;
* :func:`latest_generation`, :func:`read_toc`, :func:`toc_name`, :func:`segment_files` and
  :func:`is_index_file`: the table of contents (``TOC._latest_generation``, ``TOC._pattern``,
  ``TOC._segment_pattern``) and each segment's files, for the damage checks of
  :mod:`searchapp.store.index` and ``searchapp check``;
* :func:`read_segments_in_place`: a compound segment's parts read straight from its memory map
  (``whoosh.codec.base.CompoundStorage``, its ``_source`` map, ``BufferFile``'s attributes):
  whoosh3 wraps each part in a ``BytesIO``, which copies it, so every process that opened an index
  held a private copy of most of it (142 of a 190 MB index at 100,000 articles);
* :func:`register_pickled_names`: Whoosh pickles the schema (with searchapp's analysis filters)
  into every table of contents and the codec into every segment, by module path; indexes written
  before the store had its own package name ``searchapp.schema`` and ``searchapp.codec``;
* :func:`field_length_totals`: each field's total length summed from the documents' one-byte
  lengths (``_perdoc._cached_reader`` of whoosh3's ``LENGTHS_COLUMN``), the same however the
  segments were merged;
* :func:`use_statistics`: a shard scored with every shard's statistics (the searcher's
  ``_idf_cache`` and ``avg_field_length``, which whoosh3's ``BM25FScorer`` reads from
  ``get_parent()``), so a sharded index ranks exactly as one index;
* :class:`StreamingMerges` (:func:`streaming_writer`): segments merged by copying their postings
  term by term, a block at a time, instead of through whoosh3's sorting pool (``add_reader``,
  ``_flush_segment``, ``write_per_doc``, ``pool``, the reader's ``_terms``/``_perdoc``);
* :func:`parallel_writer`: whoosh3's ``MpWriter`` (a batch analysed and written by several
  processes) made all-or-nothing: its ``_commit_toc`` is where the commit can still be refused when
  a writer process died (whoosh3 waits a second for each process's segment and commits without the
  ones that never came), and its ``batchsize``/``tasks``/``jobqueue`` are sized and read.
"""

from __future__ import annotations

import heapq
import importlib
import io
import math
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from itertools import groupby

import numpy as np
from whoosh import index as whoosh_index
from whoosh.codec import base as codec_base
from whoosh.codec import whoosh3
from whoosh.filedb.compound import CompoundStorage, memoryview_
from whoosh.filedb.structfile import BufferFile
from whoosh.reading import SegmentReader
from whoosh.util.numeric import byte_to_length
from whoosh.writing import SegmentWriter

from .codec import CompactCodec, CompactFieldWriter, CompactMatcher

#: the attributes of whoosh3's block matcher that :func:`posting_ids` reads
MATCHER_ATTRIBUTES = ("_read_data", "_next_block", "_atend", "_data", "_byteids")
EMPTY_IDS = np.zeros(0, dtype=np.int64)


def posting_ids(matcher) -> np.ndarray:
    """Every document id of a term's postings, a block (up to 128 ids) at a time.

    Falls back to the public, slow way for any matcher that is not whoosh3's block matcher.
    """
    if not all(hasattr(matcher, a) for a in MATCHER_ATTRIBUTES) or matcher._byteids:
        return np.fromiter(matcher.all_ids(), dtype=np.int64)
    # a block stores its ids as deltas from 0 (whoosh3 W3PostingsWriter._mini_ids)
    chunks = [np.cumsum(np.asarray(data[0], dtype=np.int64)) for data in _blocks(matcher)]
    return np.concatenate(chunks) if chunks else EMPTY_IDS


def _blocks(matcher) -> Iterator[tuple]:
    """Each block's decoded ``_data`` (id deltas, weights, values) from the matcher's current block on."""
    while not matcher._atend:
        if matcher._data is None:
            matcher._read_data()
        yield matcher._data
        matcher._next_block()


def term_docs(reader, fieldname: str, text) -> np.ndarray:
    """Every document number (deleted ones included) whose ``fieldname`` holds ``text``.

    Read with the weights (:func:`term_weights`): within a search the scores take both from there.
    """
    parts = [ids + offset for leaf, offset in reader.leaf_readers() if len(ids := _term_ids(leaf, fieldname, text))]
    return np.concatenate(parts) if parts else EMPTY_IDS


def _term_ids(leaf, fieldname: str, text) -> np.ndarray:
    try:
        btext = text if isinstance(text, bytes) else leaf.schema[fieldname].to_bytes(text)
    except (KeyError, ValueError):  # (no such field, or a text the field cannot hold: nothing matches)
        return EMPTY_IDS
    return term_weights(leaf, fieldname, btext)[0]


class _Decoded(threading.local):
    memo: dict | None = None  # (id of a segment reader, field, term bytes) -> (document numbers, weights)


_DECODED = _Decoded()


@contextmanager
def postings_read_once() -> Iterator[None]:
    """Within it (one search, in one thread), a term's postings in a segment are decoded once.

    A search reads the same words' postings twice: their document numbers for the masks the counts
    need (:func:`term_docs`), then their numbers and weights for the scores (:func:`term_weights`).
    Decoding a posting block is most of a search's time on a large index (6.1 of 10.5 s over the 200
    benchmark queries on 1,000,000 articles, under cProfile); the decoded arrays are kept until the
    search ends (a segment reader lives as long as its search, so its id() names it meanwhile).
    """
    if _DECODED.memo is not None:
        yield
        return
    _DECODED.memo = {}
    try:
        yield
    finally:
        _DECODED.memo = None


EMPTY_WEIGHTS = np.zeros(0, dtype=np.float64)


def term_weights(leaf, fieldname: str, btext: bytes) -> tuple[np.ndarray, np.ndarray]:
    """(document numbers, weights) of a term's postings in one segment: the numbers a block matcher's
    ``id()`` and ``weight()`` give, read a block at a time (``_data``: id deltas, weights, values);
    once per search within :func:`postings_read_once`."""
    memo = _DECODED.memo
    if memo is None:
        return _term_weights(leaf, fieldname, btext)
    key = (id(leaf), fieldname, btext)
    found = memo.get(key)
    if found is None:
        found = memo[key] = _term_weights(leaf, fieldname, btext)
    return found


def _term_weights(leaf, fieldname: str, btext: bytes) -> tuple[np.ndarray, np.ndarray]:
    if (fieldname, btext) not in leaf:
        return EMPTY_IDS, EMPTY_WEIGHTS
    matcher = leaf.postings(fieldname, btext)
    if not isinstance(matcher, CompactMatcher):  # (an older codec's segment: the public, slow way)
        ids, weights = [], []
        while matcher.is_active():
            ids.append(matcher.id())
            weights.append(matcher.weight())
            matcher.next()
        return np.asarray(ids, dtype=np.int64), np.asarray(weights, dtype=np.float64)
    ids, weights = [], []
    for deltas, values, _ in _blocks(matcher):
        ids.append(np.cumsum(deltas, dtype=np.int64))
        weights.append(np.asarray(values, dtype=np.float64))
    return (np.concatenate(ids), np.concatenate(weights)) if ids else (EMPTY_IDS, EMPTY_WEIGHTS)


_length_bytes: dict[tuple[str, str], np.ndarray] = {}  # (segment id, field) -> each document's length byte


def document_length_bytes(leaf, fieldname: str) -> np.ndarray | None:
    """Each document's one-byte length in ``fieldname`` in one segment (``_perdoc._cached_reader("_<field>_len",
    LENGTHS_COLUMN)``; decoded by :data:`LENGTH_OF_BYTE`), kept per segment; None without the column
    (BM25F then reads every length as 1: ``doc_field_length(n, field, 1)``)."""
    segment = segment_key(leaf)
    found = _length_bytes.get((segment, fieldname)) if segment is not None else None
    if found is None:
        perdoc = getattr(leaf, "_perdoc", None)
        column = perdoc._cached_reader(f"_{fieldname}_len", whoosh3.LENGTHS_COLUMN) if hasattr(perdoc, "_cached_reader") else None
        if column is None:
            return None
        found = np.fromiter(column, dtype=np.uint8, count=leaf.doc_count_all())
        if segment is not None:
            if len(_length_bytes) > 256:
                _length_bytes.clear()
            _length_bytes[(segment, fieldname)] = found
    return found


def term_positions(leaf, fieldname: str, text) -> tuple[np.ndarray, np.ndarray] | None:
    """(document number, position) of every occurrence of a word in one segment, in that order.

    Decoded a block at a time from the compact codec's position steps (``CompactMatcher._data``:
    id deltas, weights, a :class:`~searchapp.store.codec.PositionLists` of ``_steps`` and
    ``_starts``), with NumPy: Whoosh's phrase matcher reads them a document at a time in Python.
    None when the segment's postings are not this codec's positional blocks (an older index).
    """
    if (fieldname, text) not in leaf:
        return EMPTY_IDS, EMPTY_IDS
    matcher = leaf.postings(fieldname, text)
    if not isinstance(matcher, CompactMatcher) or not matcher._positional:
        return None
    ids, steps, counts = [], [], []
    for deltas, _, values in _blocks(matcher):
        starts = np.asarray(values._starts, dtype=np.int64)
        ids.append(np.cumsum(deltas, dtype=np.int64))
        steps.append(values._steps[starts[0] : starts[-1]])
        counts.append(np.diff(starts))
    if not ids:
        return EMPTY_IDS, EMPTY_IDS
    runs = np.concatenate(counts)
    totals = np.cumsum(np.concatenate(steps), dtype=np.int64)  # positions are steps within each document's run
    ends = np.cumsum(runs)
    before = np.concatenate(([0], totals[ends[:-1] - 1]))
    return np.repeat(np.concatenate(ids), runs), totals - np.repeat(before, runs)


def phrase_docs(reader, fieldname: str, words) -> np.ndarray | None:
    """The document numbers (deleted ones included) where ``words`` follow each other in ``fieldname``:
    what Whoosh's ``Phrase`` with slop 1 matches, found by matching (document, position) keys of
    each next word one place further on (:func:`term_positions`).  None: let Whoosh match it."""
    parts = []
    for leaf, offset in reader.leaf_readers():
        keys = None
        for word in words:
            found = term_positions(leaf, fieldname, word)
            if found is None:
                return None
            docs, positions = found
            these = (docs << 32) | positions
            if keys is None:
                keys = these
            else:
                wanted = keys + 1
                at = np.searchsorted(these, wanted)
                hit = at < len(these)
                hit[hit] = these[at[hit]] == wanted[hit]
                keys = wanted[hit]
            if not len(keys):
                break
        if keys is not None and len(keys):
            parts.append(np.unique(keys >> 32) + offset)
    return np.concatenate(parts) if parts else EMPTY_IDS


def field_postings(leaf, fieldname: str) -> Iterator[tuple[str, np.ndarray]]:
    """(term, document ids) of every term of a field in one segment, in term order."""
    if fieldname not in leaf.schema:
        return
    fieldobj = leaf.schema[fieldname]
    terms, codec = getattr(leaf, "_terms", None), getattr(leaf, "_codec", None)
    if terms is None or codec is None or not hasattr(terms, "items_from") or not hasattr(terms, "_postfile"):
        for term in leaf.field_terms(fieldname):
            yield term, posting_ids(leaf.postings(fieldname, term))
        return
    for (name, tbytes), terminfo in terms.items_from(fieldname, b""):
        if name != fieldname:
            break
        matcher = codec.postings_reader(terms._postfile, terminfo, fieldobj.format, term=(name, tbytes))
        yield fieldobj.from_bytes(tbytes), posting_ids(matcher)


def segment_key(leaf) -> str | None:
    """The id of a leaf reader's segment (segments never change once written), or None."""
    segment = leaf.segment() if hasattr(leaf, "segment") else None
    return segment.segment_id() if segment is not None else None


def segment_columns(reader, name: str, translate: bool = True) -> Iterator[tuple[int, int, object | None]]:
    """(offset, document count, column reader or None) of every segment, for column ``name``.

    None where the segment has no such column (no document of it had a value, or the index
    predates the field): the caller fills in its own default for those documents.
    """
    for leaf, offset in reader.leaf_readers():
        count = leaf.doc_count_all()
        has = name in leaf.schema and leaf.has_column(name)
        yield offset, count, (leaf.column_reader(name, translate=translate) if has else None)


def committed_generation(storage, indexname: str = whoosh_index._DEF_INDEX_NAME) -> tuple[int, list[str]]:
    """(generation, file names) of the newest committed table of contents in ``storage``."""
    toc = whoosh_index.TOC.read(storage, indexname)
    segment_pattern = whoosh_index.TOC._segment_pattern(indexname)
    files = [whoosh_index.TOC._filename(indexname, toc.generation)]
    ids = {segment.segment_id() for segment in toc.segments}
    for name in sorted(storage.list()):
        match = segment_pattern.match(name)
        if match and match.group(1) in ids:
            files.append(name)
    return toc.generation, files


def segment_files(storage, toc) -> list[tuple[str, bool]]:
    """(file name, whether it must exist) of each segment a table of contents refers to.

    A compound segment is one ``MAIN_<id>.seg`` file; a plain one is several files named
    ``MAIN_<id>.*`` (at least one must exist).
    """
    files = []
    names = sorted(storage.list())
    for segment in toc.segments:
        if segment.is_compound():
            files.append((segment.make_filename(".seg"), True))
        else:
            prefix = segment.make_filename(".")
            found = [n for n in names if n.startswith(prefix)]
            files.extend((n, True) for n in found) if found else files.append((prefix + "*", True))
    return files


def read_toc(storage, indexname: str = whoosh_index._DEF_INDEX_NAME, generation: int | None = None):
    """The table of contents of ``generation`` (the newest when None), as Whoosh reads it.

    ``TOC.read`` leaves its file open when the file is damaged; the streams it opened are closed here.
    """
    opened = []

    class Closing:
        def __getattr__(self, name):
            return getattr(storage, name)

        def __iter__(self):
            return iter(storage)

        def open_file(self, name, *args, **kwargs):
            stream = storage.open_file(name, *args, **kwargs)
            opened.append(stream)
            return stream

    try:
        return whoosh_index.TOC.read(Closing(), indexname, gen=generation)
    except BaseException:
        for stream in opened:
            with suppress(Exception):
                stream.close()
        raise


def latest_generation(storage, indexname: str = whoosh_index._DEF_INDEX_NAME) -> int:
    """The newest generation whose table of contents is in ``storage`` (-1: none)."""
    return whoosh_index.TOC._latest_generation(storage, indexname)


def is_index_file(name: str, indexname: str = whoosh_index._DEF_INDEX_NAME) -> bool:
    """Whether ``name`` is a table of contents or a segment file (what Whoosh's clean-up deletes)."""
    return bool(whoosh_index.TOC._pattern(indexname).match(name) or whoosh_index.TOC._segment_pattern(indexname).match(name))


def toc_name(generation: int, indexname: str = whoosh_index._DEF_INDEX_NAME) -> str:
    return whoosh_index.TOC._filename(indexname, generation)


def remove_unreferenced(storage, indexname: str = whoosh_index._DEF_INDEX_NAME) -> None:
    """Delete the files no committed generation refers to (best effort): those of a failed batch."""
    with suppress(Exception):
        toc = whoosh_index.TOC.read(storage, indexname)
        whoosh_index.clean_files(storage, indexname, toc.generation, toc.segments)


class InPlaceBufferFile(BufferFile):
    """A part of a compound segment, read in place from the segment's memory map.

    whoosh3's ``BufferFile`` keeps ``BytesIO(view)``, and a ``BytesIO`` copies a memoryview it is
    given: opening an index copied its postings, term dictionary and stored articles into the
    process's own memory, in every serving worker and search process.  Read in place, those pages
    belong to the page cache, shared by every process that maps the file and dropped under memory
    pressure.  Random access (``get``: how the compact codec reads terms, postings and stored
    articles) slices the view; the ``BytesIO`` is made only for a sequential read (``read``,
    ``seek``: Whoosh's own per-document lengths and columns), of that part alone.
    """

    def __init__(self, buf: memoryview, name: str | None = None, onclose=None) -> None:
        self._buf = buf
        self._name = name
        self._sequential: io.BytesIO | None = None
        self.onclose = onclose
        self.is_real = False
        self.is_closed = False

    @property
    def file(self) -> io.BytesIO:
        if self._sequential is None:
            self._sequential = io.BytesIO(self._buf)
        return self._sequential

    @file.setter
    def file(self, value: io.BytesIO) -> None:
        self._sequential = value

    def close(self) -> None:
        if self._sequential is None:
            self._sequential = io.BytesIO()  # (BufferFile.close closes self.file: not worth a copy)
        super().close()


class InPlaceCompoundStorage(CompoundStorage):
    """A compound segment whose parts are :class:`InPlaceBufferFile` views of its memory map (when mapped)."""

    def open_file(self, name, *args, **kwargs):
        if self.is_closed or not self._source:
            return super().open_file(name, *args, **kwargs)  # (closed: its error; not mapped: a sub-file of the file)
        offset, length = self.range(name)
        return InPlaceBufferFile(memoryview_(self._source, offset, length), name=name)


def read_segments_in_place() -> None:
    """Open compound segments as :class:`InPlaceCompoundStorage` (``Segment.open_compound_file`` makes
    the storage of whoosh.codec.base's ``CompoundStorage``): called wherever an index is opened."""
    codec_base.CompoundStorage = InPlaceCompoundStorage


#: module paths pickled into indexes by earlier versions -> where those classes live now
PICKLED_MODULES = {"searchapp.schema": "searchapp.store.schema", "searchapp.codec": "searchapp.store.codec"}


def register_pickled_names() -> None:
    """Make the module paths that older indexes pickled importable, so those indexes still open."""
    for old, new in PICKLED_MODULES.items():
        if old not in sys.modules:
            sys.modules[old] = importlib.import_module(new)


@dataclass
class GlobalStatistics:
    """What BM25F needs of a whole collection, summed over its shards: scores as one index's.

    ``doc_count``: documents (deleted ones included, as Whoosh counts them); ``field_lengths``:
    each scorable field's total length; ``doc_frequencies``: each of a query's terms' document
    frequency, keyed by (field, term as bytes).
    """

    doc_count: int
    field_lengths: dict[str, int]
    doc_frequencies: dict[tuple[str, bytes], int]


def global_statistics(reader, terms) -> GlobalStatistics:
    """The statistics of ``reader`` (a view over every shard: Whoosh's ``MultiReader`` sums them) for ``terms``.

    ``terms``: (field, text or bytes) pairs, every term the query's scoring may read.
    """
    schema = reader.schema
    frequencies: dict[tuple[str, bytes], int] = {}
    for fieldname, text in terms:
        if fieldname not in schema:
            continue
        btext = text if isinstance(text, bytes) else schema[fieldname].to_bytes(text)
        if (fieldname, btext) not in frequencies:
            frequencies[(fieldname, btext)] = reader.doc_frequency(fieldname, btext)
    return GlobalStatistics(reader.doc_count_all(), field_length_totals(reader, schema.scorable_names()), frequencies)


def _segments(reader) -> Iterator:
    """Every segment's reader under ``reader`` (a MultiReader over shards holds each shard's MultiReader)."""
    for leaf, _ in reader.leaf_readers():
        if leaf is reader or leaf.is_atomic():
            yield leaf
        else:
            yield from _segments(leaf)


#: whoosh3's one-byte document lengths, decoded (``whoosh.util.numeric.byte_to_length``)
LENGTH_OF_BYTE = np.array([byte_to_length(b) for b in range(256)], dtype=np.int64)
_segment_lengths: dict[tuple[str, str], int] = {}  # (segment id, field) -> its total: segments never change


def field_length_totals(reader, names) -> dict[str, int]:
    """Each field's total length as the sum of the documents' stored lengths (one byte each, decoded).

    Whoosh keeps a segment's exact total when it writes the segment but the sum of the lossy
    one-byte lengths when it merges segments, so its ``field_length`` depends on how the index
    was merged: one index and its shards (or the same index before and after a merge) would
    average otherwise.  This sum is the same whatever the merges; it is read from each
    segment's length column (:func:`document_length_bytes`) once per segment.  A segment without that column counts Whoosh's own total.
    """
    totals = dict.fromkeys(names, 0)
    for leaf in _segments(reader):
        segment = segment_key(leaf)
        for name in names:
            cached = _segment_lengths.get((segment, name)) if segment is not None else None
            if cached is None:
                column = document_length_bytes(leaf, name)
                cached = leaf.field_length(name) if column is None else int(LENGTH_OF_BYTE[column].sum())
                if segment is not None:
                    if len(_segment_lengths) > 100_000:
                        _segment_lengths.clear()
                    _segment_lengths[(segment, name)] = cached
            totals[name] += cached
    return totals


#: the Searcher attributes :func:`use_statistics` replaces for one search
SEARCHER_STATISTICS = ("_idf_cache", "avg_field_length", "get_parent")


class _GlobalIdf(dict):
    """A searcher's idf cache that answers from global statistics (Whoosh's formula, ``WeightingModel.idf``)."""

    def __init__(self, stats: GlobalStatistics) -> None:
        super().__init__()
        self.stats = stats

    def _key(self, term) -> tuple[str, bytes]:
        fieldname, text = term
        return fieldname, text if isinstance(text, bytes) else text.encode("utf-8")

    def __contains__(self, term) -> bool:
        return self._key(term) in self.stats.doc_frequencies or super().__contains__(term)

    def __getitem__(self, term):
        frequency = self.stats.doc_frequencies.get(self._key(term))
        if frequency is None:  # a term the coordinator did not foresee: the searcher computed it, from its own shard
            return super().__getitem__(term)
        return math.log(self.stats.doc_count / (frequency + 1)) + 1


@contextmanager
def use_statistics(searcher, stats: GlobalStatistics | None) -> Iterator[None]:
    """Score with ``stats`` (every shard's) rather than ``searcher``'s own index's, for one search.

    whoosh3's BM25F scorer reads the idf (``Searcher.idf``, through the searcher's ``_idf_cache``)
    and the average field length (``Searcher.avg_field_length``) from the top-level searcher
    (``get_parent()``); both are replaced on that searcher for the block, then restored.  None:
    the searcher's own (one index).
    """
    if stats is None:
        yield
        return
    top = searcher.get_parent()
    saved_cache = top._idf_cache
    top._idf_cache = _GlobalIdf(stats)

    def avg_field_length(fieldname, default=None):
        if not top.schema[fieldname].scorable:
            return default
        return stats.field_lengths.get(fieldname, 0) / (stats.doc_count or 1)

    top.avg_field_length = avg_field_length
    try:
        yield
    finally:
        top._idf_cache = saved_cache
        del top.avg_field_length


class StreamingMerges:
    """Segments merged by copying their postings term by term, a block at a time (a mixin for whoosh3's
    ``SegmentWriter`` and ``MpWriter``).

    Whoosh merges a segment (``add_reader``, called by its merge policies) by pushing every one of
    its postings through the writer's external sorting pool (pickled into run files, heap-merged
    back) and then writing them one call at a time: on a 20,000-article build that was most of the
    time spent merging, and the merges most of the build.  A segment's postings are already in term order, and its
    documents get consecutive new numbers (``write_per_doc``: in order, the deleted ones left out),
    so here ``add_reader`` writes the stored fields as Whoosh does and keeps the segment open;
    ``_flush_segment`` then writes each term once: the new documents' postings from the pool (their
    numbers come first), then every merged segment's, block by block
    (:meth:`~searchapp.store.codec.CompactMatcher.blocks`,
    :meth:`~searchapp.store.codec.CompactFieldWriter.add_block`), renumbered with NumPy.  A segment
    of another codec takes Whoosh's way, as does every kept one when a document is added after a
    merge (its number would come after theirs).  Private parts used: ``write_per_doc``, ``pool``,
    ``perdocwriter``, ``fieldwriter``, ``per_document_reader``, ``_flush_segment``, ``docnum``,
    ``_added``, the reader's ``_terms``/``_codec``/``_perdoc`` (:data:`STREAMING_MERGE_ATTRIBUTES`).
    """

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._merged: list[_MergedSegment] = []

    def add_reader(self, reader) -> None:
        streamable = (
            isinstance(reader, SegmentReader)
            and isinstance(getattr(reader, "_codec", None), CompactCodec)
            and isinstance(getattr(self, "fieldwriter", None), CompactFieldWriter)
        )
        if not streamable:
            self._spill()
            return super().add_reader(reader)
        self._check_state()
        base = self.docnum
        fieldnames = set(self.schema.names()) | {name for name in reader.indexed_field_names() if name in self.schema}
        docmap = self.write_per_doc(fieldnames, reader)
        # Whoosh's merge policies close the reader they pass as soon as this returns: keep one of our own
        own = SegmentReader(self.storage, self.schema, reader.segment())
        self._merged.append(_MergedSegment(own, base, docmap))
        self._added = True

    def add_document(self, **fields) -> None:
        self._spill()
        super().add_document(**fields)

    def _spill(self) -> None:
        """The kept segments' postings into the pool, Whoosh's way (a document is added after them)."""
        for merged in self._merged:
            self.add_postings_to_pool(merged.reader, merged.base, merged.docmap)
            merged.reader.close()
        self._merged = []

    def _flush_segment(self) -> None:
        if not self._merged:
            return super()._flush_segment()
        try:
            self.perdocwriter.close()
            lengths = self.per_document_reader() if self.codec.length_stats else None
            _write_merged_postings(self.fieldwriter, self.schema, lengths, self.pool.iter_postings(), self._merged)
            self.fieldwriter.close()
            if lengths is not None:
                lengths.close()
        finally:
            self._close_merged()

    def _close_merged(self) -> None:
        for merged in self._merged:
            with suppress(Exception):
                merged.reader.close()
        self._merged = []

    def cancel(self) -> None:
        self._close_merged()
        super().cancel()


#: the writer's and segment reader's private parts :class:`StreamingMerges` uses
STREAMING_MERGE_ATTRIBUTES = {
    "writer": ("write_per_doc", "add_postings_to_pool", "pool", "perdocwriter", "fieldwriter", "per_document_reader", "_flush_segment", "docnum", "_check_state"),
    "reader": ("_terms", "_codec", "_perdoc"),
}


@dataclass
class _MergedSegment:
    reader: object  # a whoosh SegmentReader of CompactCodec
    base: int  # the new number of its first document
    docmap: dict[int, int] | None  # old -> new number (deleted documents missing); None: base + old

    def renumbering(self) -> np.ndarray | None:
        """Old number -> new (-1: deleted), or None when the numbers just move by ``base``."""
        if self.docmap is None:
            return None
        table = np.full(self.reader.doc_count_all(), -1, dtype=np.int64)
        if self.docmap:
            old = np.fromiter(self.docmap.keys(), dtype=np.int64, count=len(self.docmap))
            table[old] = np.fromiter(self.docmap.values(), dtype=np.int64, count=len(self.docmap))
        return table

    def lengths(self, fieldname: str) -> np.ndarray:
        """Each document's length in ``fieldname`` as Whoosh reads it back (its one byte, decoded; 0: none)."""
        perdoc = self.reader._perdoc
        column = perdoc._cached_reader(f"_{fieldname}_len", whoosh3.LENGTHS_COLUMN) if hasattr(perdoc, "_cached_reader") else None
        count = self.reader.doc_count_all()
        if column is None:
            return np.zeros(count, dtype=np.int64)
        return LENGTH_OF_BYTE[np.fromiter(column, dtype=np.uint8, count=count)]


def _write_merged_postings(fieldwriter, schema, lengths, pool_postings, merged: list[_MergedSegment]) -> None:
    """Every term of the new segment, in order: the pool's postings, then each merged segment's."""
    def pool_terms():
        kept = ((f, t, d, w, v) for f, t, d, w, v in pool_postings if d != -1 and f in schema)  # (-1: a spelling entry)
        for (fieldname, btext), postings in groupby(kept, key=lambda p: (p[0], p[1])):
            yield fieldname, btext, -1, [(d, w, b"" if v is None else v) for _, _, d, w, v in postings]

    def segment_terms(rank: int, reader):
        for (fieldname, btext), terminfo in reader._terms.items():
            if fieldname in schema:
                yield fieldname, btext, rank, terminfo

    renumberings = [m.renumbering() for m in merged]
    field_lengths: dict[tuple[int, str], np.ndarray] = {}
    pool_lengths: dict[str, object] = {}

    def pool_length_of(fieldname: str):
        if fieldname not in pool_lengths:
            if lengths is None:
                pool_lengths[fieldname] = lambda docnum: 0
            elif hasattr(lengths, "doc_field_length_reader"):
                pool_lengths[fieldname] = lengths.doc_field_length_reader(fieldname)
            else:
                pool_lengths[fieldname] = lambda docnum, _f=fieldname: lengths.doc_field_length(docnum, _f)
        return pool_lengths[fieldname]

    streams = [pool_terms()] + [segment_terms(rank, m.reader) for rank, m in enumerate(merged)]
    current = seen = None
    for (fieldname, btext), sources in groupby(heapq.merge(*streams), key=lambda item: (item[0], item[1])):
        if fieldname != seen:  # (the fields come in order: a field's lengths are needed while its terms are written)
            field_lengths.clear()
            seen = fieldname
        ids: list[int] = []
        weights: list[float] = []
        values: list = []
        doc_lengths: list[int] = []
        fieldobj = schema[fieldname]
        for _, _, rank, payload in sources:
            if rank < 0:
                length_of = pool_length_of(fieldname)
                for docnum, weight, value in payload:
                    ids.append(docnum)
                    weights.append(weight)
                    values.append(value)
                    doc_lengths.append(length_of(docnum))
                continue
            source = merged[rank]
            key = (rank, fieldname)
            if key not in field_lengths:
                field_lengths[key] = source.lengths(fieldname)
            old_lengths, table = field_lengths[key], renumberings[rank]
            reader = source.reader
            matcher = reader._codec.postings_reader(reader._terms._postfile, payload, fieldobj.format, term=(fieldname, btext))
            for old, block_weights, block_values in matcher.blocks():
                if table is None:
                    new, live = old + source.base, None
                else:
                    new = table[old]
                    live = new >= 0
                    if live.all():
                        live = None
                if live is None:
                    ids += new.tolist()
                    weights += block_weights
                    values += block_values
                    doc_lengths += old_lengths[old].tolist()
                else:
                    keep = np.flatnonzero(live).tolist()
                    ids += new[live].tolist()
                    weights += [block_weights[i] for i in keep]
                    values += [block_values[i] for i in keep]
                    doc_lengths += old_lengths[old[live]].tolist()
        if not ids:  # every posting of the term was a deleted document's
            continue
        if fieldname != current:
            if current is not None:
                fieldwriter.finish_field()
            fieldwriter.start_field(fieldname, fieldobj)
            current = fieldname
        fieldwriter.start_term(btext)
        fieldwriter.add_block(ids, weights, values, doc_lengths)
        fieldwriter.finish_term()
    if current is not None:
        fieldwriter.finish_field()


class StreamingMergeWriter(StreamingMerges, SegmentWriter):
    """Whoosh's segment writer with :class:`StreamingMerges`."""


def streaming_writer(ix, **kwargs) -> StreamingMergeWriter:
    """The writer of a batch written in this process (:func:`searchapp.store.index.batch_writer`)."""
    return StreamingMergeWriter(ix, **kwargs)


class WriterProcessFailed(Exception):
    """A process of a parallel writer ended without its segment: the batch is not committed."""


def parallel_writer(ix, processes: int, documents: int, **kwargs):
    """A writer whose ``documents`` are analysed and written by ``processes`` processes, one segment each.

    whoosh3's ``MpWriter`` with ``multisegment`` (each process's segment is added as it is: merging
    their runs in the calling process would redo the work handed over), started by ``forkserver``
    (never a fork of an indexer running threads).  The documents go in at most ``2 * processes``
    job files, so that the job queue (``4 * processes`` places) never fills: a process that died
    cannot leave the caller blocked on it.  The commit raises :class:`WriterProcessFailed`, and
    writes no table of contents, when any process failed (whoosh3 would commit without its share).
    """
    from whoosh.multiproc import MpWriter

    class AllOrNothingWriter(StreamingMerges, MpWriter):
        def _commit_toc(self, segments):
            failed = [task.exitcode for task in self.tasks if task.exitcode != 0]  # (every task joined by now)
            if failed:
                raise WriterProcessFailed(f"a writer process ended with exit code {failed[0]} before its segment was written")
            super()._commit_toc(segments)

    writer = AllOrNothingWriter(ix, procs=processes, multisegment=True, start_method="forkserver", **kwargs)
    writer.batchsize = max(1, -(-documents // (2 * processes)))
    return writer
