"""searchapp.codec: the compact format reads back exactly what Whoosh's W3 format does."""

from __future__ import annotations

from whoosh import fields, index, query
from whoosh.codec.whoosh3 import W3Codec

from searchapp.store.codec import INLINE_LIMIT, CompactCodec
from searchapp.store.index import batch_writer, open_index
from searchapp.store.schema import text_analyzer

WORDS = ["cessation", "of", "hostilities", "ceasefire", "talks", "resumed", "monday", "in", "geneva", "with", "both", "sides"]


def documents(n: int = 400):
    """Common words (many blocks), rare ones (inlined), repeated words (several positions)."""
    for i in range(n):
        words = [WORDS[(i * 7 + k) % len(WORDS)] for k in range(5 + i % 9)]
        if i % 50 == 0:
            words += ["cessation", "of", "hostilities"]
        yield {
            "id": f"doc-{i}",
            "title": f"Report {i} rare{i} talks talks",
            "body": " ".join(words) + f" code{i % 13} code{i % 13}",
            "kind": f"k{i % 3}",
            "note": f"{'n' * 300}{i % 17} {'n' * 300}{i} weighed {'weighed ' * (i % 4)}",  # long shared prefixes
            "paras": [f"paragraph {i}", "x" * (i % 40)],
        }


def schema() -> fields.Schema:
    return fields.Schema(
        id=fields.ID(unique=True, stored=True),
        title=fields.TEXT(analyzer=text_analyzer(), stored=True, field_boost=2.0),
        body=fields.TEXT(analyzer=text_analyzer(), phrase=True),
        kind=fields.KEYWORD(),
        note=fields.TEXT(field_boost=1.5),  # weights that are not whole numbers
        paras=fields.STORED,
    )


def build(path, codec, batches: int = 2):
    path.mkdir(exist_ok=True)
    ix = index.create_in(str(path), schema())
    docs = list(documents())
    size = len(docs) // batches
    for b in range(batches):
        with ix.writer(codec=codec) as writer:
            for doc in docs[b * size : (b + 1) * size]:
                writer.add_document(**doc)
    return ix


def postings(ix) -> dict:
    """Every term's (ids, weights, positions or values) and statistics, over the whole index."""
    out = {}
    with ix.reader() as reader:
        for fieldname, tbytes in reader.all_terms():
            m = reader.postings(fieldname, tbytes)
            fmt = reader.schema[fieldname].format
            items = []
            while m.is_active():
                value = m.value_as("positions") if fmt.supports("positions") else m.value()
                items.append((m.id(), m.weight(), value))
                m.next()
            info = reader.term_info(fieldname, tbytes)
            stats = (info.doc_frequency(), info.weight(), info.max_weight(), info.min_id(), info.max_id(), info.max_length())
            out[fieldname, tbytes] = (items, stats, reader.frequency(fieldname, tbytes), reader.doc_frequency(fieldname, tbytes))
    return out


def test_compact_postings_and_stored_fields_equal_w3s(tmp_path):
    w3 = build(tmp_path / "w3", W3Codec())
    compact = build(tmp_path / "compact", CompactCodec())
    assert all(isinstance(s.codec(), CompactCodec) for s in compact._segments())
    expected, got = postings(w3), postings(compact)
    assert got == expected
    assert max(len(items) for items, *_ in got.values()) > 128  # several blocks
    assert any(len(items) <= INLINE_LIMIT for items, *_ in got.values())  # inlined
    assert any(not float(w).is_integer() for items, *_ in got.values() for _, w, _ in items)
    assert max(len(tbytes) for _, tbytes in got) > 300
    with w3.reader() as a, compact.reader() as b:
        assert [a.stored_fields(n) for n in range(a.doc_count_all())] == [b.stored_fields(n) for n in range(b.doc_count_all())]
        assert b.doc_frequency("body", "nosuchword") == 0 and ("body", b"nosuchword") not in b
        assert list(b.lexicon("kind")) == [b"k0", b"k1", b"k2"]
        assert list(b.expand_prefix("title", "rare1")) == list(a.expand_prefix("title", "rare1"))


def test_phrases_highlights_and_merges_on_the_compact_format(tmp_path):
    ix = build(tmp_path, CompactCodec(), batches=4)
    phrase = query.Phrase("body", ["cessat", "of", "hostil"])
    expected = sorted(doc["id"] for doc in documents() if "cessation of hostilities" in doc["body"])
    assert "doc-50" in expected and len(expected) < 400
    with ix.searcher() as searcher:
        hits = searcher.search(phrase, limit=None)
        assert sorted(hit["id"] for hit in hits) == expected
        title = searcher.search(query.Term("title", "rare7"))[0]
        assert "<b" in title.highlights("title") and "rare7" in title.highlights("title").lower()
    with ix.writer(codec=CompactCodec()) as writer:
        writer.delete_by_term("id", "doc-50")
        writer.optimize = True
    assert len(ix._segments()) == 1
    with ix.searcher() as searcher:
        assert sorted(hit["id"] for hit in searcher.search(phrase, limit=None)) == [i for i in expected if i != "doc-50"]


def test_an_index_written_by_w3_opens_searches_and_takes_compact_batches(tmp_path):
    """Segments record their codec: an old index reads as before; new batches and merges are compact."""
    from searchapp.store.schema import build_schema

    ix = index.create_in(str(tmp_path), build_schema())
    with ix.writer() as writer:  # the plain W3Codec, as before this module
        writer.add_document(id="old", content_hash="h1", text="the cessation of hostilities in Aleppo", paragraphs=["p"], entities={})
    ix = open_index(tmp_path)
    with batch_writer(ix, False, 5) as writer:
        writer.add_document(id="new", content_hash="h2", text="a cessation of hostilities again", paragraphs=["q"], entities={})
    codecs = {type(s.codec()) for s in ix._segments()}
    assert codecs == {W3Codec, CompactCodec}
    phrase = query.Phrase("text", ["cessat", "of", "hostil"])
    with ix.searcher() as searcher:
        assert sorted(hit["id"] for hit in searcher.search(phrase)) == ["new", "old"]
    ix.optimize()  # merging rewrites the old segment: here with the index's default, W3
    with ix.writer(codec=CompactCodec()) as writer:
        writer.optimize = True
    assert {type(s.codec()) for s in ix._segments()} == {CompactCodec}
    with ix.searcher() as searcher:
        assert sorted(hit["id"] for hit in searcher.search(phrase)) == ["new", "old"]
        assert searcher.document(id="old")["paragraphs"] == ["p"]


def test_a_block_read_for_its_ids_and_weights_leaves_its_positions_packed(tmp_path):
    """The masks and the scores read a block's ids and weights: its positions stay packed until a phrase or a
    snippet asks for them, and are then W3's positions."""
    w3, compact = build(tmp_path / "w3", W3Codec(), batches=1), build(tmp_path / "compact", CompactCodec(), batches=1)
    with w3.reader() as a, compact.reader() as b:
        expected = []
        matcher = a.postings("body", "ceasefir")
        while matcher.is_active() and len(expected) < 128:  # the first block's
            expected.append((matcher.id(), matcher.value_as("positions")))
            matcher.next()
        block = b.postings("body", "ceasefir")
        block._read_data()
        deltas, _, positions = block._data
        assert len(positions) == len(deltas) == len(expected) == 128 and positions._packed is not None
        assert [(int(i), p.tolist()) for i, p in zip(deltas.cumsum(), positions, strict=True)] == expected
        assert positions._packed is None  # (unpacked once, when first read)
