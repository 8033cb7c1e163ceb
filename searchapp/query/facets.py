"""Facets: counts of outlets, years, actors, places and mentioned months, under the filters.

Whoosh's own ``groupedby`` re-reads every posting of every facet field for every query (about
300 ms at 20k documents).  Instead, :class:`FacetTable` reads each facet field's postings once
per index generation into two numpy arrays (document number, value number) and then:

* a filter (one or more values ticked in a facet, OR-ed, or AND-ed when the facet's operator is
  "all") is a boolean mask over documents;
* the matching set is the query's mask AND-ed with every facet's filter mask;
* each facet is counted with ``numpy.bincount`` under every filter *except its own*, so ticking
  one outlet still shows the other outlets and what they would add; a facet whose ticked values
  are AND-ed ("all of") is counted under its own filter too, so each count is what ticking that
  value as well would leave;
* a facet's values can be narrowed to those containing a typed text (:func:`fold`: case and
  accents ignored) and listed a page at a time: an archive's actors run to tens of thousands.

Counts count articles: an actor named ten times in one article counts once (values are unique
per document in the index).
"""

from __future__ import annotations

import datetime
import re
import unicodedata
from dataclasses import dataclass, field, replace

import numpy as np

from ..errors import BadRequest
from ..store.arabic import normalize_arabic
from ..store.custom import FacetSpec
from ..store.internals import field_postings, segment_columns, segment_key
from ..store.outlets import outlet_key
from ..store.schema import FACET_FIELDS, PATH_SEPARATOR

MISSING_DATE = np.iinfo(np.int64).min

# Facets whose values read best in time order rather than by count.
CHRONOLOGICAL = {"year", "month"}
MAX_NUMBER_BUCKETS = 12
OPERATORS = ("any", "all")  # a facet's ticked values: any of them (OR, the default) or all of them (AND)


def fold(text: str) -> str:
    """``text`` as a facet search compares it: case, accents and punctuation ignored.

    "Deir ez-Zor", "deir ez zor" and "DEIR EZ-ZÔR" all fold to "deir ez zor"; Arabic is folded as
    the Arabic index folds it (short vowels and tatweel dropped, أ إ آ to ا, ة to ه, ى to ي), so a
    name typed without its marks or with another common spelling still matches.  (The
    search also compares both with their spaces removed: "deir ezzor" finds "Deir ez-Zor".)
    """
    decomposed = unicodedata.normalize("NFKD", normalize_arabic(text).casefold())
    bare = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(_NOT_WORD.split(bare)).strip()


_NOT_WORD = re.compile(r"[\W_]+")


@dataclass(frozen=True)
class FacetListing:
    """How one facet is listed: narrowed to values containing ``find``, a page of ``size`` values from ``offset``."""

    find: str = ""
    offset: int = 0
    size: int | None = None  # None: the facet's default (``facet_counts``' size; years and months all)


@dataclass(frozen=True)
class FacetPage:
    """Where a facet's listed values lie among all that match: ``total`` values, the listed ones from ``offset``."""

    total: int
    offset: int = 0
    size: int | None = None
    find: str = ""


@dataclass(frozen=True)
class FacetValue:
    value: str
    count: int
    selected: bool
    kind: str | None = None  # for actors: "person" or "org"
    within: tuple[str, ...] = ()  # for places: the places it rolls up to, nearest first


class FacetTable:
    """Every facet value of every document of one reader, as numpy arrays.

    Segments never change once written (deletions aside, which the ``live`` mask handles), so
    each segment's postings are read once and kept in ``segment_cache`` across generations: after
    an incremental commit only the new segments are read.
    """

    def __init__(self, reader, segment_cache: dict | None = None, custom: dict[str, FacetSpec] | None = None) -> None:
        self.doc_count = reader.doc_count_all()
        custom = {name: spec for name, spec in (custom or {}).items() if name in reader.schema}
        # facet name -> the index fields whose terms are its values (built-in and custom keyword facets)
        self.fields: dict[str, tuple[str, ...]] = {**FACET_FIELDS, **{n: (n,) for n, s in custom.items() if s.kind == "keyword"}}
        self.ranges: dict[str, FacetSpec] = {n: s for n, s in custom.items() if s.kind != "keyword"}  # number and date facets
        self.custom = custom
        self.columns: dict[str, np.ndarray] = {}  # a number or date facet's value per document (NaN: none)
        live = np.ones(self.doc_count, dtype=bool)
        if reader.has_deletions():
            for docnum in range(self.doc_count):
                if reader.is_deleted(docnum):
                    live[docnum] = False
        self.live = live
        self.published = _published_column(reader, self.doc_count)
        self.groups = _duplicate_groups(reader, self.doc_count)
        self._ids: list[str] = [""] * self.doc_count  # each document's article id: the tie-break of equal scores and dates
        for offset, count, column in segment_columns(reader, "id"):
            if column is not None:
                self._ids[offset : offset + count] = list(column)
        self._id_rank: np.ndarray | None = None
        # documents ordered by (group, published, id): collapsing keeps a group's earliest published matching
        # version (undated ones last), the smallest id among equals: not the first written, whose number
        # depends on how the index was written (the writer processes, the shards)
        published = np.where(self.published == MISSING_DATE, np.iinfo(np.int64).max, self.published)
        self._group_order = np.lexsort((np.arange(self.doc_count), published, self.groups))
        ordered_groups, ordered_published = self.groups[self._group_order], published[self._group_order]
        if np.any((ordered_groups[1:] == ordered_groups[:-1]) & (ordered_published[1:] == ordered_published[:-1])):
            self._group_order = np.lexsort((self.id_rank(), published, self.groups))
        # where each group's run starts in that order: a hit's versions are read from its run alone
        ordered_groups = self.groups[self._group_order]
        self._run_start = np.searchsorted(ordered_groups, self.groups, side="left")
        self._run_end = np.searchsorted(ordered_groups, self.groups, side="right")
        self.has_duplicates = len(np.unique(self.groups)) < self.doc_count
        self.values: dict[str, list[str]] = {}
        self.kinds: dict[str, list[str | None]] = {}
        self.posting_docs: dict[str, np.ndarray] = {}
        self.posting_values: dict[str, np.ndarray] = {}
        self.value_ids: dict[str, dict[str, list[int]]] = {}
        self.name_rank: dict[str, np.ndarray] = {}  # each value's place in name order
        self._folded: dict[str, list[str]] = {}  # each facet's values folded for facet search, made on first use
        self._doc_major: dict[str, tuple[np.ndarray, np.ndarray]] = {}  # FacetTable._by_document, made on first use
        self._docnums: dict[str, int] | None = None
        self._label_keys: dict[str, tuple[np.ndarray, bool]] = {}

        cache = segment_cache if segment_cache is not None else {}
        leaves = reader.leaf_readers()
        by_field: dict[str, dict[str, list[np.ndarray]]] = {f: {} for names in self.fields.values() for f in names}
        by_field["place_paths"] = {}
        current = set()
        for leaf, offset in leaves:
            key = segment_key(leaf)
            current.add(key)
            data = cache.get(key) if key is not None else None
            if data is None:
                data = {f: [(t, ids.astype(np.int32)) for t, ids in field_postings(leaf, f)] for f in by_field}
                if key is not None:
                    cache[key] = data
            elif set(by_field) - set(data):  # a facet declared since this segment was cached
                data.update({f: [(t, ids.astype(np.int32)) for t, ids in field_postings(leaf, f)] for f in set(by_field) - set(data)})
            for fieldname, pairs in data.items():
                terms = by_field[fieldname]
                for term, ids in pairs:
                    terms.setdefault(term, []).append(ids + offset if offset else ids)
        for stale in set(cache) - current:
            del cache[stale]
        # "Khan Sheikhoun › Idlib › Syria": the places each place value lies in, stored at index time
        self.within: dict[str, tuple[str, ...]] = place_hierarchy(by_field["place_paths"])

        for facet, fieldnames in self.fields.items():
            names: list[str] = []
            codes: list[str] = []  # the index terms behind the names
            kinds: list[str | None] = []
            docs_parts: list[np.ndarray] = []
            value_parts: list[np.ndarray] = []
            for fieldname in fieldnames:
                kind = {"people": "person", "orgs": "org"}.get(fieldname)
                for term in sorted(by_field[fieldname]):
                    parts = by_field[fieldname][term]
                    ids = parts[0] if len(parts) == 1 else np.concatenate(parts)
                    docs_parts.append(ids)
                    value_parts.append(np.full(len(ids), len(names), dtype=np.int32))
                    names.append(self._label(reader, facet, term, ids))
                    codes.append(term)
                    kinds.append(kind)
            self.values[facet] = names
            self.kinds[facet] = kinds
            self.posting_docs[facet] = np.concatenate(docs_parts) if docs_parts else np.zeros(0, np.int32)
            self.posting_values[facet] = np.concatenate(value_parts) if value_parts else np.zeros(0, np.int32)
            lookup: dict[str, list[int]] = {}
            for number, name in enumerate(names):
                lookup.setdefault(self._key(facet, name), []).append(number)
            if facet == "language":  # a filter may give the code ("ar") as well as the name ("Arabic")
                for number, code in enumerate(codes):
                    if self._key(facet, code) != self._key(facet, names[number]):
                        lookup.setdefault(self._key(facet, code), []).append(number)
            self.value_ids[facet] = lookup
            order = sorted(range(len(names)), key=lambda n: (names[n].casefold(), names[n]))
            rank = np.empty(len(names), dtype=np.int64)
            rank[order] = np.arange(len(names))
            self.name_rank[facet] = rank
        for facet, spec in self.ranges.items():
            self._range_facet(reader, facet, spec)

    def _range_facet(self, reader, facet: str, spec: FacetSpec) -> None:
        """A number or date facet: its column, and each document's bucket (a year, a range) as its value."""
        column = np.full(self.doc_count, np.nan)
        for offset, count, values in segment_columns(reader, facet, translate=False):
            if values is None:
                continue
            raw = np.fromiter(values, dtype=np.uint64, count=count)
            if spec.kind == "date":  # ticks; the column's default (2**64 - 1) marks a missing date
                part = np.where(raw >= np.uint64(2**63), np.nan, raw.astype(np.float64))
            else:
                field = reader.schema[facet]
                part = np.array([field.from_column_value(int(v)) for v in raw.tolist()], dtype=np.float64)
            column[offset : offset + count] = part
        self.columns[facet] = column
        present = np.flatnonzero(~np.isnan(column))
        if spec.kind == "date":
            years = np.array([_tick_year(v) for v in column[present].tolist()], dtype=np.int64)
            labels = [str(y) for y in sorted(set(years.tolist()))]
            numbers = np.searchsorted(np.array(sorted(set(years.tolist())), dtype=np.int64), years)
        else:
            labels, numbers = _number_buckets(column[present])
        self.values[facet] = labels
        self.kinds[facet] = [None] * len(labels)
        self.posting_docs[facet] = present.astype(np.int32)
        self.posting_values[facet] = np.asarray(numbers, dtype=np.int32)
        self.value_ids[facet] = {label: [n] for n, label in enumerate(labels)}
        self.name_rank[facet] = np.arange(len(labels), dtype=np.int64)  # buckets in value order

    def ids(self) -> list[str]:
        """Every document's article id, by document number (read with the table)."""
        return self._ids

    def label_keys(self, facet: str) -> tuple[np.ndarray, bool]:
        """A facet's (label, kind) by value number as an array of tuples, and whether none repeats (made once per table)."""
        cached = self._label_keys.get(facet)
        if cached is None:
            keys = np.empty(len(self.values[facet]), dtype=object)
            keys[:] = list(zip(self.values[facet], self.kinds[facet], strict=True))
            cached = (keys, len(set(keys.tolist())) == len(keys))
            self._label_keys[facet] = cached  # a race makes the same array twice, harmlessly
        return cached

    def docnum(self, article_id: str) -> int:
        """The document number of ``article_id`` (a live one: an update leaves the deleted version before it)."""
        if self._docnums is None:
            self._docnums = {i: n for n, i in enumerate(self._ids) if self.live[n]}
        return self._docnums[article_id]

    def id_rank(self) -> np.ndarray:
        """Each document's place in id order: the tie-break between equal dates (the same on every shard)."""
        if self._id_rank is None:
            rank = np.empty(self.doc_count, dtype=np.int64)
            # (NumPy orders str by code point, as Python does; a million ids in ~0.3 s, sorted() took seconds)
            rank[np.argsort(np.array(self.ids(), dtype=str), kind="stable")] = np.arange(self.doc_count)
            self._id_rank = rank
        return self._id_rank

    def range_mask(self, facet: str, value: str) -> np.ndarray:
        """Documents whose number or date lies in ``value``: a bucket ("10 TO 19", "2016") or any range typed."""
        low, high = _parse_range(self.ranges[facet], value)
        column = self.columns[facet]
        with np.errstate(invalid="ignore"):
            return (column >= low) & (column <= high)

    @staticmethod
    def _label(reader, facet: str, term: str, ids: np.ndarray) -> str:
        if facet == "outlet" and len(ids):  # the key "presstv" is shown as "Press TV"
            return reader.stored_fields(int(ids[0])).get("outlet_name") or term
        if facet == "language" and len(ids):  # the code "ar" is shown as "Arabic"
            return reader.stored_fields(int(ids[0])).get("language_name") or term
        return term

    @staticmethod
    def _key(facet: str, value: str) -> str:
        if facet == "language":  # "Arabic", "arabic": and the code, see codes below
            return value.strip().casefold()
        return outlet_key(value) if facet == "outlet" else value

    def collapse(self, mask: np.ndarray) -> np.ndarray:
        """``mask`` with one document per near-duplicate group: its earliest published version."""
        if not self.has_duplicates:
            return mask
        ordered = self._group_order[mask[self._group_order]]
        groups = self.groups[ordered]
        keep = ordered[np.r_[True, groups[1:] != groups[:-1]]] if len(ordered) else ordered
        out = np.zeros(self.doc_count, dtype=bool)
        out[keep] = True
        return out

    def versions(self, docnum: int, mask: np.ndarray) -> np.ndarray:
        """The other documents of ``docnum``'s near-duplicate group within ``mask``, earliest published first."""
        run = self._group_order[self._run_start[docnum] : self._run_end[docnum]]  # its group, in order
        return run[mask[run] & (run != docnum)]

    def mask_for(self, facet: str, selected: list[str], op: str = "any") -> np.ndarray:
        """Documents carrying any (``op`` "any", OR) or all (``op`` "all", AND) of the ``selected`` values of ``facet``."""
        if facet not in self.values:
            raise BadRequest(f"unknown filter {facet!r}; filters are {', '.join(self.values)}", param_hint="--filter")
        if op not in OPERATORS:
            raise BadRequest(f"{facet}_op must be one of {', '.join(OPERATORS)}, got {op[:40]!r}", param_hint="--all-of")
        if op == "all":
            mask = np.ones(self.doc_count, dtype=bool)
            for value in selected:
                mask &= self.mask_for(facet, [value])
            return mask
        if facet in self.ranges:
            mask = np.zeros(self.doc_count, dtype=bool)
            for value in selected:
                mask |= self.range_mask(facet, value)
            return mask
        wanted = [vid for value in selected for vid in self.value_ids[facet].get(self._key(facet, value), [])]
        mask = np.zeros(self.doc_count, dtype=bool)
        if wanted:
            hit = np.isin(self.posting_values[facet], wanted)
            mask[self.posting_docs[facet][hit]] = True
        return mask

    def folded(self, facet: str) -> list[str]:
        """Every value of ``facet`` folded (:func:`fold`), in value-number order; computed once per table."""
        names = self._folded.get(facet)
        if names is None:
            names = [fold(v) for v in self.values[facet]]
            self._folded[facet] = names  # a race computes the same list twice, harmlessly
        return names

    def count(self, facet: str, mask: np.ndarray) -> np.ndarray:
        """How many documents of ``mask`` carry each value of ``facet``.

        A search that matches few documents reads only their values (the facet's values in
        document order, made on first use); one that matches many reads every posting, which is
        cheaper than gathering the values of most documents one by one.
        """
        values = self.posting_values[facet]
        if not len(values):
            return np.zeros(0, dtype=np.int64)
        docs = np.flatnonzero(mask)
        if len(docs) * SPARSE_SHARE < self.doc_count:
            starts, by_doc = self._by_document(facet)
            first, lengths = starts[docs], starts[docs + 1] - starts[docs]
            total = int(lengths.sum())
            # each document's run of values, end to end: positions first[i] .. first[i] + lengths[i] - 1
            positions = np.repeat(first - np.cumsum(lengths) + lengths, lengths) + np.arange(total)
            return np.bincount(by_doc[positions], minlength=len(self.values[facet]))
        return np.bincount(values[mask[self.posting_docs[facet]]], minlength=len(self.values[facet]))

    def _by_document(self, facet: str) -> tuple[np.ndarray, np.ndarray]:
        """(where each document's values start, the facet's values in document order)."""
        made = self._doc_major.get(facet)
        if made is None:
            docs = self.posting_docs[facet]
            order = np.argsort(docs, kind="stable")
            starts = np.zeros(self.doc_count + 1, dtype=np.int64)
            np.cumsum(np.bincount(docs, minlength=self.doc_count), out=starts[1:])
            made = self._doc_major[facet] = (starts, self.posting_values[facet][order])
        return made


SPARSE_SHARE = 8  # a mask of fewer than one document in 8 is counted document by document (FacetTable.count)


def _duplicate_groups(reader, doc_count: int) -> np.ndarray:
    """A number per document naming its near-duplicate group (unique when it has none)."""
    codes: dict[str, int] = {}
    groups = np.arange(doc_count, dtype=np.int64) + (1 << 40)  # documents without a group stand alone
    for offset, _, column in segment_columns(reader, "dup_group"):
        if column is None:
            continue  # an index made before near-duplicate detection
        for docnum, group in enumerate(column):
            if group:
                groups[offset + docnum] = codes.setdefault(group, len(codes))
    return groups


def _published_column(reader, doc_count: int) -> np.ndarray:
    """Sort key of every document's published date (MISSING_DATE when it has none).

    Whoosh stores DATETIME columns as unsigned 64-bit ticks and marks a missing value with the
    column's default, 2**64 - 1; a segment whose articles have no date has no column at all.
    """
    values = np.full(doc_count, MISSING_DATE, dtype=np.int64)
    for offset, count, column in segment_columns(reader, "published", translate=False):
        if column is None:
            continue
        raw = np.fromiter(column, dtype=np.uint64, count=count)
        part = raw.astype(np.int64)
        part[raw >= np.uint64(2**63)] = MISSING_DATE
        values[offset : offset + count] = part
    return values


def facet_counts(
    table: FacetTable,
    query_mask: np.ndarray,
    filter_masks: dict[str, np.ndarray],
    selected: dict[str, list[str]],
    size: int | None = None,
    collapse: bool = False,
    ops: dict[str, str] | None = None,
    listings: dict[str, FacetListing] | None = None,
    pages: dict[str, FacetPage] | None = None,
) -> dict[str, list[FacetValue]]:
    """Each facet's values with counts under the query and every other facet's filter.

    One table's :func:`facet_tallies` listed by :func:`list_facets`: a sharded index sums the
    shards' tallies (:func:`merge_tallies`) in between, so it lists exactly what one index would.
    """
    tallies = facet_tallies(table, query_mask, filter_masks, selected, collapse, ops)
    return list_facets(tallies, selected, size, listings, pages)


@dataclass
class FacetTally:
    """One facet's counts under a search, by value (a shard's, or the sum of every shard's).

    ``values`` maps (label, kind) to its count, for every value with at least one match;
    ``ticked`` maps each ticked value as typed to (its key, its label and kind where known, its count).
    """

    style: str  # "count" (by count, then name), "chrono" (newest first), "date" or "number" (a range facet's buckets)
    values: dict[tuple[str, str | None], int] = field(default_factory=dict)
    ticked: dict[str, tuple[str, str | None, str | None, int]] = field(default_factory=dict)
    within: dict[str, tuple[str, ...]] = field(default_factory=dict)  # places: the places each lies in (not sent by shards)
    # a shard's counts on their way to the merge: (value numbers of its table, their counts), ``values`` left empty
    packed: tuple[np.ndarray, np.ndarray] | None = field(default=None, compare=False)
    # the values with a count as arrays ((label, kind) objects, their counts), ``values`` left empty until asked for
    # (:meth:`counted`): a page lists ten actors of thousands, and a dict of them all costs more than the search's counting
    present: tuple[np.ndarray, np.ndarray] | None = field(default=None, compare=False)

    def counted(self) -> dict[tuple[str, str | None], int]:
        """``values``, made from :attr:`present` when first asked for."""
        if self.present is not None and not self.values:
            keys, counts = self.present
            self.values = dict(zip(keys.tolist(), counts.tolist(), strict=True))
        return self.values


KIND_ORDER = {None: 0, "person": 0, "org": 1}  # an actor who is both: listed as a person first (the fields' order)


def facet_tallies(
    table: FacetTable,
    query_mask: np.ndarray,
    filter_masks: dict[str, np.ndarray],
    selected: dict[str, list[str]],
    collapse: bool = False,
    ops: dict[str, str] | None = None,
    packed: bool = False,
) -> dict[str, FacetTally]:
    """Each facet's counts under the query and every other facet's filter (its own too when AND-ed).

    With ``collapse``, each near-duplicate group counts once (a story's versions all lie in one
    shard, so a shard's counts are exact and the shards' sum is the index's).  ``packed`` (a
    shard's): the counts stay arrays of value numbers (:attr:`FacetTally.packed`), which pickle in
    microseconds where a dict of a few hundred labels takes a few tenths of a millisecond each way;
    the merge names them (:func:`merge_tallies`, with the shard's :func:`table_labels`).
    """
    ops = ops or {}
    result: dict[str, FacetTally] = {}
    masks: dict[frozenset, np.ndarray] = {}  # by the filters applied: most facets share one mask
    for facet in table.values:
        applied = frozenset(other for other in filter_masks if other != facet or ops.get(facet) == "all")
        mask = masks.get(applied)
        if mask is None:
            mask = query_mask.copy()
            for other in applied:
                mask &= filter_masks[other]
            if collapse:  # a story republished five times counts once
                mask = table.collapse(mask)
            masks[applied] = mask
        counts = table.count(facet, mask)
        present = np.flatnonzero(counts)
        names, kinds = table.values[facet], table.kinds[facet]
        style = table.ranges[facet].kind if facet in table.ranges else "chrono" if facet in CHRONOLOGICAL else "count"
        tally = FacetTally(style)
        keys, distinct = table.label_keys(facet)
        if packed:
            tally.packed = (present.astype(np.int32), counts[present].astype(np.int64))
        elif distinct:  # every (label, kind) once
            tally.present = (keys[present], counts[present].astype(np.int64))
        else:
            values = tally.values
            for n in present.tolist():
                key = (names[n], kinds[n])
                values[key] = values.get(key, 0) + int(counts[n])
        for value in selected.get(facet, []):
            numbers = table.value_ids[facet].get(table._key(facet, value), [])
            count = int(sum(counts[n] for n in numbers)) if len(counts) else 0
            if facet in table.ranges and not numbers:  # a range typed in the URL: counted from the column
                count = int((table.range_mask(facet, value) & mask).sum())
            label = names[numbers[0]] if numbers else None
            key = table._key(facet, label) if label is not None else table._key(facet, value)
            tally.ticked[value] = (key, label, kinds[numbers[0]] if numbers else None, count)
        if facet == "place":  # (a sharded index replaces it with every shard's: SearchIndex.place_within)
            tally.within = table.within
        result[facet] = tally
    return result


def table_labels(table: FacetTable) -> dict[str, list[tuple[str, str | None]]]:
    """Each facet's (label, kind) by value number: what a packed tally's numbers stand for."""
    return {facet: table.label_keys(facet)[0].tolist() for facet in table.values}


class LabelMaps:
    """The shards' value numbers mapped to one numbering per facet (made once per generation of the shards).

    ``labels``: each shard's :func:`table_labels`.  A value (label and kind) held by several shards,
    or twice by one (the language code beside its name), gets one number.
    """

    def __init__(self, labels: list[dict[str, list[tuple[str, str | None]]]]) -> None:
        self.keys: dict[str, np.ndarray] = {}  # facet -> (label, kind) by merged number
        self.maps: dict[str, list[np.ndarray]] = {}  # facet -> per shard: its value number -> merged number
        for facet in dict.fromkeys(facet for part in labels for facet in part):
            numbers: dict[tuple[str, str | None], int] = {}
            self.maps[facet] = [
                np.fromiter((numbers.setdefault(key, len(numbers)) for key in part.get(facet, [])), dtype=np.int64, count=len(part.get(facet, [])))
                for part in labels
            ]
            keys = np.empty(len(numbers), dtype=object)
            keys[:] = list(numbers)
            self.keys[facet] = keys


def merge_tallies(parts: list[dict[str, FacetTally]], maps: LabelMaps | None = None) -> dict[str, FacetTally]:
    """The shards' tallies summed, value by value (a ticked value takes its label from a shard that holds it).

    Packed tallies (:attr:`FacetTally.packed`) are summed by their merged value numbers (``maps``).
    """
    if len(parts) == 1 and not any(tally.packed is not None for tally in parts[0].values()):
        return parts[0]
    merged: dict[str, FacetTally] = {}
    for part in parts:
        for facet, tally in part.items():
            into = merged.setdefault(facet, FacetTally(tally.style))
            for key, count in tally.counted().items():
                into.values[key] = into.values.get(key, 0) + count
            for value, (key, label, kind, count) in tally.ticked.items():
                known = into.ticked.get(value)
                if known is None:
                    into.ticked[value] = (key, label, kind, count)
                elif known[1] is None and label is not None:
                    into.ticked[value] = (key, label, kind, known[3] + count)
                else:
                    into.ticked[value] = (known[0], known[1], known[2], known[3] + count)
            # (within: the places each place lies in, every shard's: set by the caller, SearchIndex.place_within)
    for facet, into in merged.items():
        packed = [(number, part[facet].packed) for number, part in enumerate(parts) if facet in part and part[facet].packed is not None]
        if not packed:
            continue
        if maps is None:
            raise ValueError("packed tallies need the shards' label maps")
        keys = maps.keys[facet]
        numbers = np.concatenate([maps.maps[facet][number][values] for number, (values, _) in packed])
        counts = np.bincount(numbers, weights=np.concatenate([counts for _, (_, counts) in packed]), minlength=len(keys))
        present = np.flatnonzero(counts)
        if not into.values:
            into.present = (keys[present], counts[present].astype(np.int64))
            continue
        for key, count in zip(keys[present].tolist(), counts[present].astype(np.int64).tolist(), strict=True):
            into.values[key] = into.values.get(key, 0) + count
    return merged


def _as_arrays(values: dict[tuple[str, str | None], int]) -> tuple[np.ndarray, np.ndarray]:
    """A tally's ``values`` as (an array of its (label, kind) keys, their counts)."""
    labels = np.empty(len(values), dtype=object)
    labels[:] = list(values)
    return labels, np.fromiter(values.values(), dtype=np.int64, count=len(values))


def _range_order(label: str) -> float:
    """Where a range facet's bucket ("10 TO 19", "7", "2016") lies: its lower bound."""
    try:
        return float(label.partition(" TO ")[0].replace(",", ""))
    except ValueError:
        return float("inf")


def list_facets(
    tallies: dict[str, FacetTally],
    selected: dict[str, list[str]],
    size: int | None = None,
    listings: dict[str, FacetListing] | None = None,
    pages: dict[str, FacetPage] | None = None,
) -> dict[str, list[FacetValue]]:
    """Each facet's values to show, from its tally (pure: one index's or the shards' summed).

    Outlets, actors and places come by count (then name), the top ``size`` of them plus any
    ticked value; years and months come all, newest first; a number facet's buckets upward, a
    date facet's newest first.  A facet with a :class:`FacetListing` keeps only the values
    containing its ``find`` text (folded) and lists ``size`` of them from ``offset`` (an offset
    past the end lists the last page); ``pages``, when given, receives each facet's
    :class:`FacetPage` (how many values matched, which were listed).
    """
    listings = listings or {}
    result: dict[str, list[FacetValue]] = {}
    for facet, tally in tallies.items():
        listing = listings.get(facet, FacetListing())
        limit = listing.size if listing.size is not None else (None if tally.style != "count" else size)
        if tally.style == "count" and limit and not listing.find:
            # tens of thousands of actors: only the values that can reach the listed page are sorted
            # (those counted at least as often as the page's last one); the order is the same
            labels, counts = tally.present if tally.present is not None and not tally.values else _as_arrays(tally.values)
            chosen_numbers = np.arange(len(counts))
            if len(counts) > 4 * (listing.offset + limit):
                last = min(max(0, listing.offset), max(0, (len(counts) - 1) // limit * limit)) + limit
                floor = -np.partition(-counts, last - 1)[last - 1]
                chosen_numbers = np.flatnonzero(counts >= floor)
            shortlist = labels[chosen_numbers].tolist()
            values = dict(zip(shortlist, counts[chosen_numbers].tolist(), strict=True))
            shortlist.sort(key=lambda k: (-values[k], k[0].casefold(), k[0], KIND_ORDER.get(k[1], 0)))
            keys = shortlist + [None] * (len(counts) - len(shortlist))  # the rest lie beyond the page: never listed
        else:
            values = tally.counted()
            keys = list(values)
            if tally.style == "number":
                keys.sort(key=lambda k: (_range_order(k[0]), k[0]))
            elif tally.style == "date":
                keys.sort(key=lambda k: (_range_order(k[0]), k[0]), reverse=True)
            elif tally.style == "chrono":
                keys.sort(key=lambda k: (k[0].casefold(), k[0], -KIND_ORDER.get(k[1], 0)), reverse=True)
            else:
                keys.sort(key=lambda k: (-values[k], k[0].casefold(), k[0], KIND_ORDER.get(k[1], 0)))
        if listing.find:
            needle = fold(listing.find)
            tight = needle.replace(" ", "")  # "deir ezzor" finds "Deir ez-Zor"
            if needle:
                keys = [k for k in keys if needle in (folded := fold(k[0])) or tight in folded.replace(" ", "")]
        total = len(keys)
        offset = 0
        if limit is not None:
            offset = min(max(0, listing.offset), max(0, (total - 1) // limit * limit)) if limit else 0
            keys = keys[offset : offset + limit]
        if pages is not None:
            pages[facet] = FacetPage(total, offset, limit, listing.find)
        ticked = {value: tally.ticked.get(value, (FacetTable._key(facet, value), None, None, 0)) for value in selected.get(facet, [])}
        chosen = {key for key, *_ in ticked.values()}
        entries = [FacetValue(label, values[(label, kind)], FacetTable._key(facet, label) in chosen, kind) for label, kind in keys]
        shown = {FacetTable._key(facet, e.value) for e in entries}
        for value, (key, label, kind, count) in ticked.items():  # a ticked value stays visible, with its count (maybe 0)
            if key in shown:
                continue
            entries.append(FacetValue(label if label is not None else value, count, True, kind))
            shown.add(key)
        if facet == "place":
            entries = [replace(e, within=tally.within.get(e.value, ())) for e in entries]
        result[facet] = entries
    return result


def _tick_year(ticks: float) -> int:
    """The year of a Whoosh DATETIME column value (microseconds since 0001-01-01)."""
    return (datetime.datetime.min + datetime.timedelta(microseconds=int(ticks))).year


def _ticks(day: datetime.datetime) -> float:
    return float((day - datetime.datetime.min) // datetime.timedelta(microseconds=1))


def _number_text(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


def _number_buckets(values: np.ndarray) -> tuple[list[str], np.ndarray]:
    """Bucket labels ("0 TO 9", or "4" when there are few whole values) and each value's bucket number."""
    if not len(values):
        return [], np.zeros(0, dtype=np.int64)
    whole = bool(np.all(np.floor(values) == values))
    distinct = np.unique(values)
    if whole and len(distinct) <= MAX_NUMBER_BUCKETS:
        return [_number_text(v) for v in distinct.tolist()], np.searchsorted(distinct, values)
    low, high = float(values.min()), float(values.max())
    if whole and low >= 0 and high >= 100 and np.median(values) * 20 < high:
        # counts of casualties, shares, views: most values small, a few large; equal widths would put
        # nearly everything in the first range, so the ranges grow tenfold: 0, 1 TO 9, 10 TO 99, ...
        numbers = np.where(values < 1, 0, np.floor(np.log10(np.maximum(values, 1))).astype(np.int64) + 1)
        used = np.unique(numbers)
        labels = ["0" if n == 0 else f"{10 ** (n - 1)} TO {10**n - 1}" for n in used.tolist()]
        return labels, np.searchsorted(used, numbers)
    span = (high - low) / MAX_NUMBER_BUCKETS or 1.0
    magnitude = 10 ** np.floor(np.log10(span))
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= span)
    if whole:
        step = max(1.0, np.ceil(step))
    start = np.floor(low / step) * step
    numbers = np.floor((values - start) / step).astype(np.int64)
    used = np.unique(numbers)
    labels = []
    for n in used.tolist():
        lo = start + n * step
        hi = lo + step - 1 if whole else lo + step
        labels.append(f"{_number_text(lo)} TO {_number_text(hi)}")
    return labels, np.searchsorted(used, numbers)


def _parse_range(spec: FacetSpec, value: str) -> tuple[float, float]:
    """(low, high), both included, of a number or date filter value: "10 TO 19", "[10 TO 19]", "7", "2016", "2016-03"."""
    text = value.strip().strip("[]").strip()
    low_text, sep, high_text = text.partition(" TO ")
    if not sep:
        low_text = high_text = text
    try:
        if spec.kind == "number":
            low = float(low_text.replace(",", "")) if low_text.strip() not in ("", "*") else -np.inf
            high = float(high_text.replace(",", "")) if high_text.strip() not in ("", "*") else np.inf
            return low, high
        low = _date_bound(low_text, end=False)
        high = _date_bound(high_text, end=True)
        return low, high
    except ValueError:
        example = "10 TO 19" if spec.kind == "number" else "2016, 2016-03 or 2016-01 TO 2016-06"
        raise BadRequest(f"{spec.name}: {value[:60]!r} is not a {spec.kind} range (e.g. {example})", param_hint="--filter") from None


def published_range(value: str) -> tuple[int, int]:
    """(first, last) published-date ticks, both included, of a ``published`` filter: "2016", "2016-03",
    "2016-03-05", or a range of them with " TO " ("2016-01 TO 2016-06"; "*" leaves an end open)."""
    text = value.strip().strip("[]").strip()
    low_text, sep, high_text = text.partition(" TO ")
    if not sep:
        low_text = high_text = text
    try:
        if not all(_DATE_TEXT.fullmatch(part.strip()) for part in (low_text, high_text)):
            raise ValueError(text)
        low, high = _published_bound(low_text, end=False), _published_bound(high_text, end=True)
    except (ValueError, OverflowError):
        raise BadRequest(
            f"published: {value[:60]!r} is not a date or range of dates (e.g. 2016, 2016-03, 2016-03-05 or 2016-01 TO 2016-06)",
            param_hint="--published",
        ) from None
    if low > high:
        raise BadRequest(f"published: {value[:60]!r} ends before it starts", param_hint="--published")
    return low, high


def _published_bound(text: str, end: bool) -> int:
    """Integer ticks (microseconds since 0001-01-01, as the ``published`` column holds them) of the
    first (or, with ``end``, last) moment of a year, month or day; "*" is open.  Integers, not the
    floats of :func:`_date_bound`: at 6e16 a float cannot tell the last microsecond of April from May."""
    text = text.strip()
    if text in ("", "*"):
        return int(np.iinfo(np.int64).max) if end else int(MISSING_DATE) + 1  # an open end never takes undated articles
    first, after = _period([int(p) for p in text.split("-")])
    if not end:
        return (first - datetime.datetime.min) // datetime.timedelta(microseconds=1)
    return (after - datetime.datetime.min) // datetime.timedelta(microseconds=1) - 1


def _period(parts: list[int]) -> tuple[datetime.datetime, datetime.datetime]:
    """The first moment of a year, month or day ([2016], [2016, 4], [2016, 4, 3]) and the first moment after it."""
    year, month, day = (parts + [None, None])[:3]
    first = datetime.datetime(year, month or 1, day or 1)
    if day is not None:
        return first, first + datetime.timedelta(days=1)
    if month is not None:
        return first, datetime.datetime(year + (month == 12), month % 12 + 1, 1)
    return first, datetime.datetime(year + 1, 1, 1)


_DATE_TEXT = re.compile(r"\*|\d{4}(-\d{1,2}(-\d{1,2})?)?")


def _date_bound(text: str, end: bool) -> float:
    """Ticks of the first (or, with ``end``, last) moment of a year, month or day."""
    text = text.strip()
    if text in ("", "*"):
        return np.inf if end else -np.inf
    parts = [int(p) for p in text.split("-")]
    if not 1 <= len(parts) <= 3:
        raise ValueError(text)
    first, after = _period(parts)
    return _ticks(after) - 1 if end else _ticks(first)


def place_hierarchy(paths) -> dict[str, tuple[str, ...]]:
    """Each place's ancestors from the ``place_paths`` terms ("Khan Sheikhoun › Idlib › Syria").

    A name of two places ("Geneva" in Switzerland and in the United States) takes the greater
    path: the same whichever shards or segments hold the terms.
    """
    within: dict[str, tuple[str, ...]] = {}
    for path in paths:
        place, *ancestors = path.split(PATH_SEPARATOR)
        within[place] = max(within.get(place, ()), tuple(ancestors))
    return within
