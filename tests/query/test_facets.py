"""The facet table: the same values and documents as Whoosh's own postings, across segments."""

import json

import numpy as np
import pytest
from whoosh import index

import searchapp.query.facets as facets
from searchapp.ingest.run import IndexOptions, index_paths
from searchapp.query.facets import FacetTable
from searchapp.store.index import remove_ids
from searchapp.store.schema import FACET_FIELDS


def naive_table(reader):
    """facet -> {value: set of live docnums}, the slow public way."""
    table = {}
    for facet, fieldnames in FACET_FIELDS.items():
        values = {}
        for fieldname in fieldnames:
            for term in reader.field_terms(fieldname):
                docs = {d for d in reader.postings(fieldname, term).all_ids() if not reader.is_deleted(d)}
                if docs:
                    values.setdefault(term, set()).update(docs)
        table[facet] = values
    return table


def table_as_sets(table: FacetTable):
    out = {}
    for facet in FACET_FIELDS:
        values = {}
        for number, _name in enumerate(table.values[facet]):
            docs = table.posting_docs[facet][table.posting_values[facet] == number]
            docs = {int(d) for d in docs if table.live[d]}
            if docs:
                # the last key is the index term (a language is also keyed by its shown name, "english")
                key = [k for k, ids in table.value_ids[facet].items() if number in ids][-1]
                values.setdefault(key, set()).update(docs)
        out[facet] = values
    return out


def test_table_matches_postings_over_segments_deletions_and_a_cache(tmp_path):
    corpus = tmp_path / "news.jsonl"
    outlets = ["Press TV", "Daily Sabah", "AFP"]
    records = [
        {"id": f"n{i}", "title": f"Talks {i}", "outlet": outlets[i % 3], "date": f"201{i % 4}-0{1 + i % 9}-1{i % 10}",
         "text": f"Sergei Lavrov met John Kerry in Geneva on Tuesday. Idlib and Aleppo were discussed by the United Nations. Item {i}."}
        for i in range(12)
    ]  # fmt: skip
    corpus.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    index_dir = tmp_path / "ix"
    index_paths([corpus], index_dir, IndexOptions(processes=1, batch_size=3, max_segments=0))  # several segments (never merged)
    remove_ids(index_dir, ["n4"])
    cache: dict = {}
    with index.open_dir(str(index_dir)).reader() as reader:
        assert len(reader.leaf_readers()) > 1 and reader.has_deletions()
        table = FacetTable(reader, cache)
        naive = naive_table(reader)
    as_sets = table_as_sets(table)
    for facet in FACET_FIELDS:
        assert as_sets[facet] == naive[facet], facet
    assert set(as_sets["outlet"]) == {"presstv", "dailysabah", "afp"}

    # a further commit: the cache is reused for old segments and pruned of merged ones
    records[0]["text"] += " Maria Zakharova answered."
    corpus.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    index_paths([corpus], index_dir, IndexOptions(processes=1, batch_size=3, max_segments=0))
    with index.open_dir(str(index_dir)).reader() as reader:
        again = FacetTable(reader, cache)
        assert table_as_sets(again)["actor"] == naive_table(reader)["actor"]
        segments = {leaf.segment().segment_id() for leaf, _ in reader.leaf_readers()}
    assert set(cache) == segments


def test_places_roll_up_to_their_governorate_and_country(tmp_path):
    from searchapp.query.search import SearchIndex, SearchRequest
    corpus = tmp_path / "news.jsonl"
    text = "An air strike hit Khan Sheikhoun on Tuesday, residents said, and rescuers searched the rubble for hours."
    corpus.write_text(json.dumps({"id": "ks", "title": "Strike", "text": text, "date": "2017-04-05"}) + "\n", encoding="utf-8")
    index_paths([corpus], tmp_path / "ix", IndexOptions(processes=1))
    result = SearchIndex(tmp_path / "ix").search(SearchRequest(filters={"place": ["Syria"]}))
    assert [h.id for h in result.hits] == ["ks"]  # the article never says "Syria"
    places = {v.value: v.within for v in result.facets["place"]}
    assert places == {"Khan Sheikhoun": ("Idlib", "Syria"), "Idlib": ("Syria",), "Syria": ()}


def counted_both_ways(index_dir, monkeypatch, masks_of) -> list[tuple]:
    """(facet, counts read document by document, counts read from every posting) for each mask."""
    ix = index.open_dir(str(index_dir))
    with ix.searcher() as searcher:
        table = FacetTable(searcher.reader())
        out = []
        for mask in masks_of(table.doc_count):
            for facet in table.values:
                monkeypatch.setattr(facets, "SPARSE_SHARE", 10**9)
                sparse = table.count(facet, mask)
                monkeypatch.setattr(facets, "SPARSE_SHARE", 0)
                dense = table.count(facet, mask)
                out.append((facet, sparse.tolist(), dense.tolist(), int(np.count_nonzero(mask))))
        return out


def masks_of(doc_count: int):
    rng = np.random.default_rng(7)
    yield np.zeros(doc_count, dtype=bool)
    yield np.ones(doc_count, dtype=bool)
    single = np.zeros(doc_count, dtype=bool)
    single[doc_count - 1] = True
    yield single
    for share in (0.01, 0.1, 0.5):
        yield rng.random(doc_count) < share


def test_a_few_documents_are_counted_as_every_posting_counts_them(sample_index, monkeypatch):
    rows = counted_both_ways(sample_index, monkeypatch, masks_of)
    assert rows and all(sparse == dense for _, sparse, dense, _ in rows)
    assert any(sum(sparse) > 0 for _, sparse, _, _ in rows)


@pytest.mark.slow
def test_fakes_facets_counted_document_by_document_as_by_postings(fakes_index, monkeypatch):
    rows = counted_both_ways(fakes_index, monkeypatch, masks_of)
    mismatched = [(facet, hits) for facet, sparse, dense, hits in rows if sparse != dense]
    assert mismatched == []
    assert {facet for facet, sparse, _, _ in rows if sum(sparse) > 100} >= {"actor", "place", "outlet", "year"}
