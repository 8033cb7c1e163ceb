"""A compact on-disk format for the index: Whoosh's W3 codec with three parts replaced.

Whoosh 3's W3Codec spends most of an index of news on overhead, not on the text: a term's
postings are a pickled, separately framed block (~60 bytes for a term found in one document, and
most terms are: numbers, codes, names), the term dictionary is a hash file with a 35-byte record and
~40 bytes of hash slots per term, positions are pickled lists, and stored fields are compressed one
document at a time (a short story compresses poorly alone).  This codec keeps Whoosh's segments,
columns and matchers, and replaces:

* **postings**: a block of up to 128 postings is the document-id deltas, the weights (as integers
  when they are) and the positions (deltas within a document) as arrays of the narrowest unsigned
  type that holds them, zlib-compressed when that pays, behind a 17-byte header that keeps what
  the matcher needs to skip a block (count, last id, top weight, length bytes);
* **term dictionary**: terms sorted and grouped 64 to a zlib-compressed block, stored column by
  column (:func:`encode_terms`: the terms front-coded, then arrays of statistics and postings
  offsets; a term in at most ``INLINE_LIMIT`` documents has its postings inlined in the block,
  and its statistics are derived from them); the first term of each block is the in-memory index;
* **stored fields**: the pickled fields of consecutive documents compressed together, about
  ``STORED_BLOCK_BYTES`` a block, so that one story profits from the words of its neighbours,
  and with the segment's first block as zlib's preset dictionary (kept once, compressed, at the
  end of the file): each block also profits from the words and structure of the segment's first
  stories, at no cost in reading (a block is still decompressed alone).

A segment records the codec that wrote it (Whoosh pickles it into the table of contents), so an
index written by the plain W3Codec still opens and reads as before, and merging rewrites its
segments in this format.
"""

from __future__ import annotations

import bisect
import pickle
import struct
import zlib
from collections.abc import Iterator
from itertools import chain

import numpy as np
from whoosh import formats
from whoosh.codec import base
from whoosh.codec.whoosh3 import W3Codec, W3LeafMatcher, W3PerDocReader, W3PerDocWriter
from whoosh.reading import TermInfo, TermNotFound
from whoosh.util.numeric import byte_to_length, length_to_byte

INLINE_LIMIT = 8  # postings of a term in at most this many documents live in its dictionary entry
BLOCK_POSTINGS = 128  # postings per block (the unit a matcher skips by)
TERMS_PER_BLOCK = 64  # dictionary entries per compressed block
STORED_BLOCK_BYTES = 16 * 1024  # pickled stored fields per compressed block
ZDICT_BYTES = 16 * 1024  # preset dictionary of the stored-field blocks: the start of the first block
COMPRESSION = 6  # zlib level
_COMPRESS_FROM = 64  # payloads shorter than this are never smaller compressed

_DTYPES = (np.dtype("<u1"), np.dtype("<u2"), np.dtype("<u4"), np.dtype("<u8"))
# block header: data length, postings, last id, top weight, min and max length bytes, flags
_HEADER = struct.Struct("<IHIfBBB")
_LAST, _ZLIB = 1, 2
# weights: all 1.0 | whole numbers | float32
_W_ONES, _W_INTS, _W_FLOATS = 0, 1, 2
_TAIL = struct.Struct("<Q")  # offset of a file's trailing index
_TERMS_HEAD = struct.Struct("<HBB")  # dictionary block: entries, the inlining limit it was written with, values kind
_OFFSET = struct.Struct("<Q")
FORMAT = 2  # the version of the dictionary and stored-field files (1: pickled entries, never released)


def _pack_ints(values) -> bytes:
    """Non-negative integers as a type byte and an array of the narrowest type that holds them."""
    array = np.asarray(values, dtype=np.uint64)
    top = int(array.max()) if len(array) else 0
    code = 0 if top < 1 << 8 else 1 if top < 1 << 16 else 2 if top < 1 << 32 else 3
    return bytes((code,)) + array.astype(_DTYPES[code]).tobytes()


def _unpack_ints(data: bytes, pos: int, count: int) -> tuple[np.ndarray, int]:
    dtype = _DTYPES[data[pos]]
    end = pos + 1 + count * dtype.itemsize
    return np.frombuffer(data, dtype=dtype, count=count, offset=pos + 1).astype(np.int64), end


def _positional(format_) -> bool:
    """Whether values are Whoosh's Positions (stored here as position arrays, not pickles)."""
    return type(format_) is formats.Positions


# what a posting's value is: nothing, positions (stored as arrays), bytes
_V_NONE, _V_POSITIONS, _V_BYTES = 0, 1, 2


def _values_kind(format_) -> int:
    return _V_POSITIONS if _positional(format_) else _V_BYTES if format_.fixed_value_size() != 0 else _V_NONE


def _pack_numbers(values, float_type: str = "<f4") -> bytes:
    """Weights: a kind byte, then nothing (all 1.0), narrow integers, or floats of ``float_type``."""
    if all(w == 1.0 for w in values):
        return bytes((_W_ONES,))
    if all(float(w).is_integer() and 0 <= w < 1 << 32 for w in values):
        return bytes((_W_INTS,)) + _pack_ints([int(w) for w in values])
    return bytes((_W_FLOATS,)) + np.asarray(values, dtype=float_type).tobytes()


def _unpack_numbers(data: bytes, pos: int, count: int, float_type: str = "<f4") -> tuple[np.ndarray, int]:
    kind = data[pos]
    pos += 1
    if kind == _W_ONES:
        return np.ones(count, dtype=np.float64), pos
    if kind == _W_INTS:
        ints, pos = _unpack_ints(data, pos, count)
        return ints.astype(np.float64), pos
    dtype = np.dtype(float_type)
    return np.frombuffer(data, dtype=dtype, count=count, offset=pos).astype(np.float64), pos + dtype.itemsize * count


def encode_postings(ids: list[int], weights: list[float], values: list[bytes], format_) -> bytes:
    """One block's payload: id deltas, weights, values (positions as deltas)."""
    return _encode_postings(np.diff(ids, prepend=0), weights, values, format_)


def _encode_postings(deltas, weights: list[float], values: list[bytes], format_, float_type: str = "<f4") -> bytes:
    parts = [_pack_ints(deltas), _pack_numbers(weights, float_type)]
    kind = _values_kind(format_)
    if kind == _V_POSITIONS:
        if any(type(v) is np.ndarray for v in values):
            # a merge hands over each posting's position steps as stored (store.internals.StreamingMerges):
            # they are the deltas written, unchanged by a merge; Whoosh's encoded values, from new documents
            runs = [v if type(v) is np.ndarray else np.diff(format_.decode_positions(v), prepend=0) for v in values]
            counts = np.fromiter(map(len, runs), dtype=np.int64, count=len(runs))
            parts.append(_pack_ints(counts))
            parts.append(_pack_ints(np.concatenate(runs)))
        else:
            lists = [format_.decode_positions(v) for v in values]
            counts = np.fromiter(map(len, lists), dtype=np.int64, count=len(lists))
            parts.append(_pack_ints(counts))
            parts.append(_pack_ints(_position_deltas(lists, counts)))
    elif kind == _V_BYTES:
        parts.append(_pack_ints([len(v) for v in values]))
        parts.append(b"".join(values))
    return b"".join(parts)


def _position_deltas(lists: list[list[int]], counts: np.ndarray) -> np.ndarray:
    """Each posting's positions as deltas from the one before (its first from 0), all postings end to end.

    One vectorised pass over the block: a diff per posting cost a NumPy call for every (term,
    document), a sixth of an index run's time when the tags come from the cache.
    """
    flat = np.fromiter(chain.from_iterable(lists), dtype=np.int64, count=int(counts.sum()))
    deltas = np.diff(flat, prepend=0)
    firsts = (np.cumsum(counts) - counts)[counts > 0]  # where each non-empty posting starts
    deltas[firsts] = flat[firsts]
    return deltas


def decode_postings(data: bytes, count: int, format_) -> tuple[np.ndarray, np.ndarray, object]:
    """(id deltas, weights, values) of a block's payload; values are position arrays (unpacked when first
    read: the positions are the block's last part) or value bytes."""
    return _decode_postings(data, 0, count, _values_kind(format_), lazy=True)[0]


def _decode_postings(
    data: bytes, pos: int, count: int, kind: int, float_type: str = "<f4", lazy: bool = False
) -> tuple[tuple[np.ndarray, np.ndarray, object], int]:
    deltas, pos = _unpack_ints(data, pos, count)
    weights, pos = _unpack_numbers(data, pos, count, float_type)
    values: object = None
    if kind == _V_POSITIONS and lazy:  # (nothing follows them: where they end is not needed)
        values = PositionLists.packed(data, pos, count)
    elif kind == _V_POSITIONS:
        counts, pos = _unpack_ints(data, pos, count)
        steps, pos = _unpack_ints(data, pos, int(counts.sum()))
        values = PositionLists(steps, [0, *np.cumsum(counts).tolist()])
    elif kind == _V_BYTES:
        lengths, pos = _unpack_ints(data, pos, count)
        ends = np.cumsum(lengths).tolist()
        values = [data[pos + a : pos + b] for a, b in zip([0, *ends[:-1]], ends, strict=True)]
        pos += ends[-1] if ends else 0
    return (deltas, weights, values), pos


class PositionLists:
    """The positions of each posting of a block, decoded only when one is asked for.

    Most searches never look at positions (only phrases and snippets do), so a block keeps its
    position steps as one array and the start of each posting's run; a slice is a view.  A block
    read for its ids and weights (the masks, the scores) leaves them packed: unpacking them was
    a third of decoding a block, for nothing.
    """

    __slots__ = ("_unpacked_steps", "_unpacked_starts", "_packed")

    def __init__(self, steps: np.ndarray, starts: list[int]) -> None:
        self._unpacked_steps = steps
        self._unpacked_starts = starts  # len(self) + 1 offsets into steps
        self._packed: tuple[bytes, int, int] | None = None

    @classmethod
    def packed(cls, data: bytes, pos: int, count: int) -> PositionLists:
        """The positions of ``count`` postings as :func:`_encode_postings` wrote them at ``data[pos:]``, unpacked when read."""
        lists = cls.__new__(cls)
        lists._packed = (data, pos, count)
        return lists

    def _unpack(self) -> None:
        data, pos, count = self._packed
        counts, pos = _unpack_ints(data, pos, count)
        self._unpacked_steps = _unpack_ints(data, pos, int(counts.sum()))[0]
        self._unpacked_starts = [0, *np.cumsum(counts).tolist()]
        self._packed = None

    @property
    def _steps(self) -> np.ndarray:
        if self._packed is not None:
            self._unpack()
        return self._unpacked_steps

    @property
    def _starts(self) -> list[int]:
        if self._packed is not None:
            self._unpack()
        return self._unpacked_starts

    def __len__(self) -> int:
        return self._packed[2] if self._packed is not None else len(self._unpacked_starts) - 1

    def __getitem__(self, index):
        if isinstance(index, slice):
            start, stop, stride = index.indices(len(self))
            if stride != 1:
                raise ValueError("PositionLists slices are contiguous")
            return PositionLists(self._steps, self._starts[start : max(start, stop) + 1])
        if index < 0:
            index += len(self)
        if not 0 <= index < len(self):
            raise IndexError(index)
        return np.cumsum(self._steps[self._starts[index] : self._starts[index + 1]])

    def __iter__(self) -> Iterator[np.ndarray]:
        return (self[i] for i in range(len(self)))


def _common_prefix(a: bytes, b: bytes) -> int:
    n, limit = 0, min(len(a), len(b), 255)
    while n < limit and a[n] == b[n]:
        n += 1
    return n


def encode_terms(entries: list[tuple], format_) -> bytes:
    """One dictionary block, column by column (compressed by the caller).

    ``entries`` are (term, doc frequency, weight, min length byte, max length byte, max weight,
    min id, max id, pointer), the pointer an offset in the postings file or, for a term in at most
    ``INLINE_LIMIT`` documents, its (ids, weights, values).  Columns: the terms front-coded (bytes
    shared with the previous term, the rest), doc frequencies, length bytes; then, for the terms
    with a postings offset, their statistics and offsets (as steps); then the inlined postings of
    all the other terms as one run (each term's first id whole, then steps), from which their
    statistics are derived when read.
    """
    prefixes, suffixes, previous = [], [], b""
    for entry in entries:
        n = _common_prefix(previous, entry[0])
        prefixes.append(n)
        suffixes.append(entry[0][n:])
        previous = entry[0]
    parts = [
        _TERMS_HEAD.pack(len(entries), INLINE_LIMIT, _values_kind(format_)),
        _pack_ints(prefixes),
        _pack_ints([len(x) for x in suffixes]),
        b"".join(suffixes),
        _pack_ints([e[1] for e in entries]),
        _pack_ints([e[4] for e in entries]),
        _pack_ints([e[4] - e[3] for e in entries]),
    ]
    far = [e for e in entries if not isinstance(e[8], tuple)]
    if far:
        offsets = [e[8] for e in far]
        parts += [
            _pack_numbers([e[2] for e in far], "<f8"),
            _pack_numbers([e[5] for e in far], "<f8"),
            _pack_ints([e[6] for e in far]),
            _pack_ints([e[7] - e[6] for e in far]),
            _OFFSET.pack(offsets[0]),
            _pack_ints(np.diff(offsets, prepend=offsets[0])),
        ]
    inlined = [e[8] for e in entries if isinstance(e[8], tuple)]
    if inlined:
        deltas: list[int] = []
        weights: list[float] = []
        values: list[bytes] = []
        for ids, term_weights, term_values in inlined:
            deltas.append(ids[0])
            deltas += [b - a for a, b in zip(ids, ids[1:], strict=False)]
            weights += term_weights
            values += term_values
        parts.append(_encode_postings(deltas, weights, values, format_, "<f8"))
    return b"".join(parts)


def decode_terms(data: bytes) -> tuple[list[bytes], list[tuple]]:
    """The terms of a block and their entries (an inlined term's pointer: its decoded postings)."""
    count, limit, kind = _TERMS_HEAD.unpack_from(data, 0)
    prefixes, pos = _unpack_ints(data, _TERMS_HEAD.size, count)
    lengths, pos = _unpack_ints(data, pos, count)
    keys, previous = [], b""
    for n, length in zip(prefixes.tolist(), lengths.tolist(), strict=True):
        previous = previous[:n] + data[pos : pos + length]
        pos += length
        keys.append(previous)
    dfs, pos = _unpack_ints(data, pos, count)
    maxbytes, pos = _unpack_ints(data, pos, count)
    spreads, pos = _unpack_ints(data, pos, count)
    near = dfs <= limit
    far_count = count - int(near.sum())
    far: Iterator[tuple] = iter(())
    if far_count:
        weights, pos = _unpack_numbers(data, pos, far_count, "<f8")
        maxweights, pos = _unpack_numbers(data, pos, far_count, "<f8")
        minids, pos = _unpack_ints(data, pos, far_count)
        spans, pos = _unpack_ints(data, pos, far_count)
        (base,) = _OFFSET.unpack_from(data, pos)
        steps, pos = _unpack_ints(data, pos + _OFFSET.size, far_count)
        offsets = base + np.cumsum(steps)
        far = zip(weights.tolist(), maxweights.tolist(), minids.tolist(), (minids + spans).tolist(), offsets.tolist(), strict=True)
    inlined: Iterator[tuple] = iter(())
    if far_count < count:
        term_dfs = dfs[near]
        (deltas, weights, values), pos = _decode_postings(data, pos, int(term_dfs.sum()), kind, "<f8")
        ends = np.cumsum(term_dfs)
        starts = ends - term_dfs
        ids = np.cumsum(deltas)
        ids -= np.repeat(ids[starts] - deltas[starts], term_dfs)  # each term's ids from its first
        inlined = zip(
            np.add.reduceat(weights, starts).tolist(),
            np.maximum.reduceat(weights, starts).tolist(),
            ids[starts].tolist(),
            ids[ends - 1].tolist(),
            starts.tolist(),
            ends.tolist(),
            strict=True,
        )
    entries = []
    for key, df, maxbyte, spread, is_near in zip(keys, dfs.tolist(), maxbytes.tolist(), spreads.tolist(), near.tolist(), strict=True):
        if is_near:
            weight, maxweight, minid, maxid, a, b = next(inlined)
            pointer: int | tuple = (deltas[a:b], weights[a:b], None if values is None else values[a:b])
        else:
            weight, maxweight, minid, maxid, pointer = next(far)
        entries.append((key, df, weight, maxbyte - spread, maxbyte, maxweight, minid, maxid, pointer))
    return keys, entries


def _maybe_compress(payload: bytes) -> tuple[bytes, bool]:
    if len(payload) >= _COMPRESS_FROM:
        packed = zlib.compress(payload, COMPRESSION)
        if len(packed) < len(payload):
            return packed, True
    return payload, False


# ---------------------------------------------------------------------------------------------
# Term statistics


class CompactTermInfo(TermInfo):
    """Whoosh's term statistics plus where the postings are: an offset, or the inlined postings."""

    def __init__(self, *args, pointer: int | tuple = 0, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.pointer = pointer

    def is_inlined(self) -> bool:
        return isinstance(self.pointer, tuple)

    @classmethod
    def from_entry(cls, entry: tuple) -> CompactTermInfo:
        _, df, weight, minbyte, maxbyte, maxweight, minid, maxid, pointer = entry
        return cls(weight, df, byte_to_length(minbyte), byte_to_length(maxbyte), maxweight, minid, maxid, pointer=pointer)


def _number(value: float) -> int | float:
    """A whole float as an int: pickles in 2-5 bytes instead of 9."""
    return int(value) if float(value).is_integer() else value


def _length_bytes(lengths: list[int]) -> tuple[int, int]:
    """Whoosh's one-byte approximations of the shortest and longest field length (0: none)."""
    known = [n for n in lengths if n]
    return (length_to_byte(min(known)), length_to_byte(max(known))) if known else (0, 0)


# ---------------------------------------------------------------------------------------------
# Writing


class CompactFieldWriter(base.FieldWriter):
    """Writes the term dictionary (``.tdx``) and the postings (``.pdx``) of a segment."""

    def __init__(self, codec: CompactCodec, storage, segment) -> None:
        self._codec = codec
        self._dictfile = segment.create_file(storage, CompactCodec.DICT_EXT)
        self._postfile = segment.create_file(storage, CompactCodec.POSTS_EXT)
        self._index: dict[str, tuple[list[bytes], list[int], list[int]]] = {}  # field -> first terms, offsets, lengths
        self._entries: list[tuple] = []
        self._fieldname: str | None = None
        self._format = None
        self.is_closed = False

    def start_field(self, fieldname: str, fieldobj) -> None:
        self._fieldname = fieldname
        self._format = fieldobj.format
        self._index.setdefault(fieldname, ([], [], []))

    def start_term(self, btext: bytes) -> None:
        self._btext = btext
        self._ids: list[int] = []
        self._weights: list[float] = []
        self._values: list[bytes] = []
        self._lengths: list[int] = []

    def add(self, docnum: int, weight: float, vbytes: bytes, length: int | None) -> None:
        self._ids.append(docnum)
        self._weights.append(weight)
        self._values.append(vbytes)
        self._lengths.append(length or 0)

    def add_block(self, ids: list[int], weights: list[float], values: list, lengths: list[int]) -> None:
        """Many postings of the term at once, in document order (a merge: :class:`~searchapp.store.internals.StreamingMerges`);
        positions may be position steps as :meth:`CompactMatcher.blocks` reads them instead of Whoosh's encoded bytes."""
        self._ids += ids
        self._weights += weights
        self._values += values
        self._lengths += lengths

    def finish_term(self) -> None:
        ids, weights, values = self._ids, self._weights, self._values
        minbyte, maxbyte = _length_bytes(self._lengths)
        if len(ids) <= INLINE_LIMIT:
            pointer: int | tuple = (ids, weights, values)
        else:
            pointer = self._postfile.tell()
            for start in range(0, len(ids), BLOCK_POSTINGS):
                end = start + BLOCK_POSTINGS
                self._write_block(ids[start:end], weights[start:end], values[start:end], self._lengths[start:end], end >= len(ids))
        entry = (
            self._btext,
            len(ids),
            _number(sum(weights)),
            minbyte,
            maxbyte,
            _number(max(weights)),
            ids[0],
            ids[-1],
            pointer,
        )
        self._entries.append(entry)
        if len(self._entries) >= TERMS_PER_BLOCK:
            self._flush_terms()

    def _write_block(self, ids: list[int], weights: list[float], values: list[bytes], lengths: list[int], last: bool) -> None:
        data, packed = _maybe_compress(encode_postings(ids, weights, values, self._format))
        flags = (_LAST if last else 0) | (_ZLIB if packed else 0)
        header = _HEADER.pack(len(data), len(ids), ids[-1], max(weights), *_length_bytes(lengths), flags)
        self._postfile.write(header)
        self._postfile.write(data)

    def _flush_terms(self) -> None:
        if not self._entries:
            return
        firsts, offsets, lengths = self._index[self._fieldname]
        block = zlib.compress(encode_terms(self._entries, self._format), COMPRESSION)
        firsts.append(self._entries[0][0])
        offsets.append(self._dictfile.tell())
        lengths.append(len(block))
        self._dictfile.write(block)
        self._entries = []

    def finish_field(self) -> None:
        self._flush_terms()
        self._fieldname = None

    def close(self) -> None:
        self._flush_terms()
        where = self._dictfile.tell()
        self._dictfile.write(pickle.dumps({"format": FORMAT, "fields": self._index}, 5))
        self._dictfile.write(_TAIL.pack(where))
        self._dictfile.close()
        self._postfile.close()
        self.is_closed = True


class CompactPerDocWriter(W3PerDocWriter):
    """W3's per-document writer (columns, lengths) with stored fields compressed in blocks (``.sdx``)."""

    def __init__(self, codec: CompactCodec, storage, segment) -> None:
        super().__init__(codec, storage, segment)
        self._storedfile = segment.create_file(storage, CompactCodec.STORED_EXT)
        self._pending: list[bytes] = []  # pickled fields of the documents of the open block
        self._pending_bytes = 0
        self._firsts: list[int] = []  # first document of each block
        self._offsets: list[int] = []
        self._zdict: bytes | None = None

    def _create_column(self, fieldname: str, column) -> None:
        if fieldname != "_stored":  # stored fields go to their own file
            super()._create_column(fieldname, column)

    def finish_doc(self) -> None:
        if not self._indoc:
            return
        first = self._firsts[-1] + len(self._pending) if self._pending else self._docnum
        if not self._pending:
            self._firsts.append(first)
        while first < self._docnum:  # keep one slot per document number
            self._pending.append(b"")
            first += 1
        fields = pickle.dumps(self._storedfields, 5) if self._storedfields else b""
        self._pending.append(fields)
        self._pending_bytes += len(fields)
        self._storedfields = {}
        self._indoc = False
        if self._pending_bytes >= STORED_BLOCK_BYTES:
            self._flush_stored()

    def _flush_stored(self) -> None:
        if self._pending:
            payload = pickle.dumps(self._pending, 5)
            if self._zdict is None:
                self._zdict = payload[:ZDICT_BYTES]
            packer = zlib.compressobj(COMPRESSION, zdict=self._zdict)
            self._offsets.append(self._storedfile.tell())
            self._storedfile.write(packer.compress(payload) + packer.flush())
            self._pending, self._pending_bytes = [], 0

    def close(self) -> None:
        super().close()
        self._flush_stored()
        where = self._storedfile.tell()
        self._offsets.append(where)  # the end of the last block
        zdict = zlib.compress(self._zdict or b"", COMPRESSION)
        self._storedfile.write(pickle.dumps({"format": FORMAT, "firsts": self._firsts, "offsets": self._offsets, "zdict": zdict}, 5))
        self._storedfile.write(_TAIL.pack(where))
        self._storedfile.close()


# ---------------------------------------------------------------------------------------------
# Reading


def _read_tail(dbfile, length: int):
    """The pickled index a file ends with (its offset is the file's last 8 bytes)."""
    (where,) = _TAIL.unpack(dbfile.get(length - _TAIL.size, _TAIL.size))
    return pickle.loads(dbfile.get(where, length - _TAIL.size - where))


class CompactMatcher(W3LeafMatcher):
    """W3's block matcher (skipping, block quality) over this codec's blocks or inlined postings."""

    def __init__(self, postfile, pointer: int | tuple, format_, term=None, scorer=None, terminfo: TermInfo | None = None) -> None:
        self._postfile = postfile
        self._pointer = pointer
        self._terminfo = terminfo
        self.format = format_
        self._term = term
        self._byteids = False
        self.scorer = scorer
        self._fixedsize = format_.fixed_value_size()
        self._positional = _positional(format_)
        self.reset()

    def reset(self) -> None:
        self._atend = False
        if isinstance(self._pointer, tuple):  # inlined: decoded with its dictionary block
            info = self._terminfo
            self._set_block(info.doc_frequency(), info.max_id(), info.max_weight(), 0, 0, _LAST)
            self._minlength, self._maxlength = info.min_length(), info.max_length()
            self._data = self._pointer
        else:
            self._goto(self._pointer)

    def _set_block(self, count: int, maxid: int, maxweight: float, minbyte: int, maxbyte: int, flags: int) -> None:
        self._blocklength = count
        self._maxid = maxid
        self._maxweight = maxweight
        self._minlength = byte_to_length(minbyte)
        self._maxlength = byte_to_length(maxbyte)
        self._lastblock = bool(flags & _LAST)
        self._compression = bool(flags & _ZLIB)
        self._data = self._ids = self._weights = self._values = self._positions = None
        self._i = 0

    def _goto(self, position: int) -> None:
        datalen, count, maxid, maxweight, minbyte, maxbyte, flags = _HEADER.unpack(self._postfile.get(position, _HEADER.size))
        self._set_block(count, maxid, maxweight, minbyte, maxbyte, flags)
        self._dataoffset = position + _HEADER.size
        self._nextoffset = self._dataoffset + datalen

    def _read_data(self) -> None:
        raw = self._postfile.get(self._dataoffset, self._nextoffset - self._dataoffset)
        if self._compression:
            raw = zlib.decompress(raw)
        # _data[0] holds the id deltas from 0, as in W3 blocks (facets.posting_ids reads it)
        self._data = decode_postings(bytes(raw), self._blocklength, self.format)

    def _read_ids(self) -> None:
        if self._data is None:
            self._read_data()
        self._ids = np.cumsum(self._data[0]).tolist()

    def _read_weights(self) -> None:
        if self._data is None:
            self._read_data()
        self._weights = self._data[1].tolist()

    def _read_values(self) -> None:
        if self._data is None:
            self._read_data()
        if self._positional:
            self._values = [self.format.encode(p.tolist()) for p in self._data[2]]
        elif self._fixedsize == 0:
            self._values = (None,) * self._blocklength
        else:
            self._values = self._data[2]

    def blocks(self) -> Iterator[tuple[np.ndarray, list[float], list]]:
        """Every block of the term's postings from the current one, as stored: (document ids, weights,
        values: each posting's position steps (a view of the block's, as :func:`_encode_postings` writes
        them back), value bytes, or Nones), for a merge that copies them without Whoosh's
        posting-by-posting matcher calls.  Leaves the matcher at its end."""
        while not self._atend:
            if self._data is None:
                self._read_data()
            deltas, weights, values = self._data
            if self._positional:
                steps, starts = values._steps, values._starts
                values = [steps[a:b] for a, b in zip(starts, starts[1:], strict=False)]
            elif values is None or self._fixedsize == 0:
                values = [None] * self._blocklength
            else:
                values = list(values)
            yield np.cumsum(deltas), weights.tolist(), values
            self._next_block()

    def value_as(self, astype: str):
        """Positions straight from the block's arrays (phrase queries), without Whoosh's pickles."""
        if self._positional and astype in ("positions", "frequency"):
            if self._data is None:
                self._read_data()
            positions = self._data[2][self._i]
            return positions.tolist() if astype == "positions" else len(positions)
        return super().value_as(astype)


class _DictionaryCursor(base.FieldCursor):
    """Walks one field's terms in order (Whoosh's automata and term scans use it)."""

    def __init__(self, terms: CompactTermsReader, fieldname: str, fieldobj) -> None:
        self._terms = terms
        self._fieldname = fieldname
        self._fieldobj = fieldobj
        self.first()

    def first(self):
        return self.find(b"")

    def find(self, term):
        if not isinstance(term, bytes):
            term = self._fieldobj.to_bytes(term)
        self._iter = self._terms._entries_from(self._fieldname, term)
        return self.next()

    def next(self):
        self._entry = next(self._iter, None)
        return self.text()

    def text(self):
        return None if self._entry is None else self._fieldobj.from_bytes(self._entry[0])

    def term_info(self):
        return None if self._entry is None else CompactTermInfo.from_entry(self._entry)

    def is_valid(self) -> bool:
        return self._entry is not None


class CompactTermsReader(base.TermsReader):
    """The term dictionary of one segment: the block index in memory, blocks read when needed."""

    CACHED_BLOCKS = 256

    def __init__(self, codec: CompactCodec, storage, segment) -> None:
        self._codec = codec
        self._dictfile = segment.open_file(storage, CompactCodec.DICT_EXT)
        self._postfile = segment.open_file(storage, CompactCodec.POSTS_EXT)
        tail = _read_tail(self._dictfile, storage.file_length(segment.make_filename(CompactCodec.DICT_EXT)))
        if tail.get("format") != FORMAT:
            raise ValueError(f"{segment.segment_id()}: term dictionary of an unreleased development format; rebuild the index")
        self._index = tail["fields"]
        self._fields = sorted(self._index)
        self._blocks: dict[tuple[str, int], tuple[list[bytes], list[tuple]]] = {}

    def _block(self, fieldname: str, number: int) -> tuple[list[bytes], list[tuple]]:
        key = (fieldname, number)
        block = self._blocks.get(key)
        if block is None:
            _, offsets, lengths = self._index[fieldname]
            block = decode_terms(zlib.decompress(self._dictfile.get(offsets[number], lengths[number])))
            if len(self._blocks) >= self.CACHED_BLOCKS:
                self._blocks.clear()
            self._blocks[key] = block
        return block

    def _entry(self, fieldname: str, tbytes: bytes) -> tuple | None:
        if fieldname not in self._index:
            return None
        firsts = self._index[fieldname][0]
        number = bisect.bisect_right(firsts, tbytes) - 1
        if number < 0:
            return None
        keys, entries = self._block(fieldname, number)
        i = bisect.bisect_left(keys, tbytes)
        return entries[i] if i < len(keys) and keys[i] == tbytes else None

    def _entries_from(self, fieldname: str, tbytes: bytes) -> Iterator[tuple]:
        """The entries of ``fieldname`` from the first term >= ``tbytes``, in order."""
        if fieldname not in self._index:
            return
        firsts = self._index[fieldname][0]
        number = max(0, bisect.bisect_right(firsts, tbytes) - 1)
        for n in range(number, len(firsts)):
            keys, entries = self._block(fieldname, n)
            yield from entries[bisect.bisect_left(keys, tbytes) if n == number else 0 :]

    def _items_from(self, fieldname: str, tbytes: bytes) -> Iterator[tuple[tuple[str, bytes], tuple]]:
        """Entries from (fieldname, tbytes) to the end of the dictionary, across later fields."""
        for name in self._fields[bisect.bisect_left(self._fields, fieldname) :]:
            for entry in self._entries_from(name, tbytes if name == fieldname else b""):
                yield (name, entry[0]), entry

    def __contains__(self, term) -> bool:
        return self._entry(*term) is not None

    def indexed_field_names(self):
        return self._index.keys()

    def cursor(self, fieldname: str, fieldobj) -> _DictionaryCursor:
        return _DictionaryCursor(self, fieldname, fieldobj)

    def terms(self):
        return (term for term, _ in self._items_from("", b""))

    def terms_from(self, fieldname: str, prefix: bytes):
        return (term for term, _ in self._items_from(fieldname, prefix))

    def items(self):
        return ((term, CompactTermInfo.from_entry(entry)) for term, entry in self._items_from("", b""))

    def items_from(self, fieldname: str, prefix: bytes):
        return ((term, CompactTermInfo.from_entry(entry)) for term, entry in self._items_from(fieldname, prefix))

    def term_info(self, fieldname: str, tbytes: bytes) -> CompactTermInfo:
        entry = self._entry(fieldname, tbytes)
        if entry is None:
            raise TermNotFound(f"No term {fieldname}:{tbytes!r}")
        return CompactTermInfo.from_entry(entry)

    def frequency(self, fieldname: str, tbytes: bytes) -> float:
        entry = self._entry(fieldname, tbytes)
        return 0 if entry is None else entry[2]

    def doc_frequency(self, fieldname: str, tbytes: bytes) -> int:
        entry = self._entry(fieldname, tbytes)
        return 0 if entry is None else entry[1]

    def matcher(self, fieldname: str, tbytes: bytes, format_, scorer=None) -> CompactMatcher:
        terminfo = self.term_info(fieldname, tbytes)
        return self._codec.postings_reader(self._postfile, terminfo, format_, term=(fieldname, tbytes), scorer=scorer)

    def close(self) -> None:
        self._dictfile.close()
        self._postfile.close()


class CompactPerDocReader(W3PerDocReader):
    """W3's per-document reader with stored fields read a compressed block at a time."""

    def __init__(self, storage, segment) -> None:
        super().__init__(storage, segment)
        self._storedfile = None
        self._cached: tuple[int, list[bytes]] = (-1, [])

    def _stored_index(self) -> None:
        name = self._segment.make_filename(CompactCodec.STORED_EXT)
        self._storedfile = self._storage.open_file(name)
        tail = _read_tail(self._storedfile, self._storage.file_length(name))
        self._firsts, self._offsets = tail["firsts"], tail["offsets"]
        self._zdict = zlib.decompress(tail["zdict"])

    def stored_fields(self, docnum: int) -> dict:
        if self._storedfile is None:
            self._stored_index()
        number = bisect.bisect_right(self._firsts, docnum) - 1
        if number < 0:
            return {}
        cached_number, docs = self._cached
        if cached_number != number:
            start, end = self._offsets[number], self._offsets[number + 1]
            docs = pickle.loads(zlib.decompressobj(zdict=self._zdict).decompress(self._storedfile.get(start, end - start)))
            self._cached = (number, docs)
        i = docnum - self._firsts[number]
        return pickle.loads(docs[i]) if i < len(docs) and docs[i] else {}

    def close(self) -> None:
        super().close()
        if self._storedfile is not None:
            self._storedfile.close()


# ---------------------------------------------------------------------------------------------
# The codec


class CompactCodec(W3Codec):
    """W3Codec with compact postings, a block-compressed term dictionary and stored fields."""

    DICT_EXT = ".tdx"
    POSTS_EXT = ".pdx"
    STORED_EXT = ".sdx"

    def per_document_writer(self, storage, segment) -> CompactPerDocWriter:
        return CompactPerDocWriter(self, storage, segment)

    def field_writer(self, storage, segment) -> CompactFieldWriter:
        return CompactFieldWriter(self, storage, segment)

    def postings_reader(self, dbfile, terminfo, format_, term=None, scorer=None) -> CompactMatcher:
        return CompactMatcher(dbfile, terminfo.pointer, format_, term=term, scorer=scorer, terminfo=terminfo)

    def per_document_reader(self, storage, segment) -> CompactPerDocReader:
        return CompactPerDocReader(storage, segment)

    def terms_reader(self, storage, segment) -> CompactTermsReader:
        return CompactTermsReader(self, storage, segment)
