"""Segments merged by streaming their postings (store.internals.StreamingMerges): the same index, posting by
posting, as whoosh3's own merge through its sorting pool, with deleted documents, updates, and commits that
both add documents and merge segments."""

from __future__ import annotations

import pytest

import searchapp.store.index as index_module
import searchapp.store.internals as internals
from searchapp.query import SearchIndex, SearchRequest
from searchapp.store.index import batch_writer, merge_segments, open_index, segment_count
from tests.store.test_parallel_writer import documents

FIELDS = ("title", "text", "words", "outlet", "id")


def build(index_dir, batches: list[list[dict]], deleted: list[str], merge: bool) -> None:
    ix = open_index(index_dir, create=True)
    for batch in batches:
        with batch_writer(ix, False, 5.0) as writer:
            for doc in batch:
                writer.update_document(**doc)
    with batch_writer(ix, False, 5.0) as writer:
        for article_id in deleted:
            writer.delete_by_term("id", article_id)
    if merge:
        merge_segments(open_index(index_dir), 5.0, keep=1)


def everything(index_dir) -> dict:
    """Stored fields, each term's postings (id, weight, value as stored) and statistics, each document's lengths."""
    ix = open_index(index_dir)
    with ix.searcher() as searcher:
        reader = searcher.reader()
        ids = {docnum: fields["id"] for docnum, fields in reader.iter_docs()}
        out = {"stored": {fields["id"]: fields for fields in reader.all_stored_fields()}, "count": (reader.doc_count(), reader.doc_count_all())}
        for field in FIELDS:
            for term in reader.lexicon(field):
                info = reader.term_info(field, term)
                matcher = reader.postings(field, term)
                postings = []
                while matcher.is_active():
                    postings.append((ids[matcher.id()], matcher.weight(), matcher.value()))
                    matcher.next()
                stats = (info.doc_frequency(), info.weight(), info.min_length(), info.max_length(), info.max_weight())
                out[(field, term)] = (sorted(postings), stats, blocks(reader, field, term))
            out[("lengths", field)] = {ids[d]: reader.doc_field_length(d, field) for d in ids}
        return out


def blocks(reader, field: str, term: bytes) -> list[tuple]:
    """Each stored block's shortest and longest field length, top weight and last document (what block skipping reads)."""
    out = []
    for leaf, offset in reader.leaf_readers():
        if (field, term) not in leaf:
            continue
        matcher = leaf._terms.matcher(field, term, leaf.schema[field].format)  # (deleted documents included: as stored)
        while not matcher._atend:
            out.append((matcher.block_min_length(), matcher.block_max_length(), matcher.block_max_weight(), matcher.block_max_id() + offset))
            matcher._next_block()
    return out


def whoosh_merges(monkeypatch) -> None:
    """Every writer without StreamingMerges: Whoosh merges through its pool."""
    monkeypatch.setattr(index_module, "streaming_writer", lambda ix, **kwargs: ix.writer(**kwargs))


@pytest.fixture
def streamed(monkeypatch) -> list[int]:
    """How many merged segments each streamed merge wrote (fails the test when none streamed)."""
    calls: list[int] = []
    write = internals._write_merged_postings
    monkeypatch.setattr(internals, "_write_merged_postings", lambda *args: calls.append(len(args[4])) or write(*args))
    return calls


@pytest.mark.parametrize("merge", [False, True], ids=["merged-as-it-goes", "then-into-one"])
def test_a_streamed_merge_writes_the_index_whooshs_merge_writes(tmp_path, monkeypatch, streamed, merge):
    # 40 commits of 60: Whoosh's policy merges small segments as it goes (commits that add and merge);
    # later batches update earlier articles and some are deleted (merged segments with deleted documents)
    batches = [documents(60, seed=s, start=40 * s) for s in range(40)]
    deleted = [f"a{n:05d}" for n in range(0, 1600, 37)]
    build(tmp_path / "streamed", batches, deleted, merge)
    assert streamed, "no merge was streamed"
    with monkeypatch.context() as patch:
        whoosh_merges(patch)
        build(tmp_path / "whoosh", batches, deleted, merge)
    assert segment_count(open_index(tmp_path / "streamed")) == segment_count(open_index(tmp_path / "whoosh"))
    assert everything(tmp_path / "streamed") == everything(tmp_path / "whoosh")
    searches = [SearchRequest(q=q, collapse=False) for q in ("ceasefire idlib", '"aid convoy"', "truce OR envoy", "hosp*")]
    ranked = [[(h.id, h.score) for h in SearchIndex(tmp_path / name).search(r).hits] for name in ("streamed", "whoosh") for r in searches]
    assert ranked[: len(searches)] == ranked[len(searches) :] and all(ranked)


def test_a_document_added_after_a_merge_takes_whooshs_way(tmp_path, streamed):
    """A writer that merges a segment and then adds a document: the segment's postings go through the pool (the new
    document's number comes after its documents), and the index is whole."""
    from whoosh.reading import SegmentReader

    index_dir = tmp_path / "ix"
    build(index_dir, [documents(50), documents(50, seed=8, start=50)], [], False)
    ix = open_index(index_dir)
    with batch_writer(ix, False, 5.0, policy=lambda writer, segments: segments[1:]) as writer:
        reader = SegmentReader(writer.storage, writer.schema, writer.segments[0])
        writer.add_reader(reader)
        reader.close()
        writer.add_document(**documents(1, seed=9, start=500)[0])
    assert not streamed
    contents = everything(index_dir)
    assert contents["count"] == (101, 101)
    assert [p[0] for p in contents[("id", b"a00500")][0]] == ["a00500"]
    assert len(contents["stored"]) == 101 and all(len(contents[("id", i.encode())][0]) == 1 for i in contents["stored"])
