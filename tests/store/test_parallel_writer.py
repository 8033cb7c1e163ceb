"""A batch written by several processes (whoosh3's MpWriter, searchapp.store.internals.parallel_writer):
the same index as one written in one process, and nothing of the batch committed when a process fails."""

from __future__ import annotations

import datetime
import random

import pytest

from searchapp.errors import IndexUnavailable
from searchapp.store.index import PARALLEL_WRITE_MIN_DOCUMENTS, batch_writer, open_index, segment_count

WORDS = ["ceasefire", "idlib", "talks", "aleppo", "monitors", "rebels", "shelling", "convoy", "aid", "geneva", "envoy", "truce", "villages", "hospital"]


def documents(count: int, seed: int = 7, start: int = 0) -> list[dict]:
    rng = random.Random(seed)
    docs = []
    for number in range(start, start + count):
        paragraphs = [" ".join(rng.choices(WORDS, k=rng.randint(5, 40))) for _ in range(rng.randint(1, 4))]
        docs.append({
            "id": f"a{number:05d}", "title": " ".join(rng.choices(WORDS, k=4)), "text": "\n".join(paragraphs),
            "words": "\n".join(paragraphs), "paragraphs": paragraphs, "outlet": rng.choice(["bbc", "sana", "tass"]),
            "published": datetime.datetime(2016, 1, 1) + datetime.timedelta(days=rng.randint(0, 900)),
        })  # fmt: skip
    return docs


def write(index_dir, batches: list[list[dict]], processes: int) -> None:
    ix = open_index(index_dir, create=True)
    for batch in batches:
        with batch_writer(ix, False, 5.0, processes=processes, documents=len(batch)) as writer:
            for doc in batch:
                writer.update_document(**doc)


def contents(index_dir) -> tuple:
    """Every document's stored fields by id, and every term of the searched fields with the ids and weights of its postings."""
    ix = open_index(index_dir)
    with ix.searcher() as searcher:
        reader = searcher.reader()
        ids = {docnum: fields["id"] for docnum, fields in reader.iter_docs()}
        stored = {fields["id"]: fields for fields in reader.all_stored_fields()}
        postings = {}
        for field in ("title", "text", "words", "outlet"):
            for term in reader.lexicon(field):
                matcher = reader.postings(field, term)
                postings[(field, term)] = sorted((ids[docnum], weight) for docnum, weight in matcher.items_as("weight"))
        lengths = {ids[d]: reader.doc_field_length(d, "text") for d in ids}
        return stored, postings, lengths, reader.doc_count()


def test_a_batch_written_by_two_processes_is_the_index_one_process_writes(tmp_path):
    batches = [documents(900), documents(700, seed=8, start=600)]  # the second updates 300 of the first
    write(tmp_path / "one", batches, processes=1)
    write(tmp_path / "two", batches, processes=2)
    one, two = contents(tmp_path / "one"), contents(tmp_path / "two")
    assert one[3] == two[3] == 1300
    assert one == two
    assert segment_count(open_index(tmp_path / "two")) > segment_count(open_index(tmp_path / "one"))  # (each process wrote its own)


def test_a_small_batch_is_written_in_the_calling_process(tmp_path, monkeypatch):
    import searchapp.store.index as index_module

    started = []
    monkeypatch.setattr(index_module, "parallel_writer", lambda *a, **k: started.append(a) or pytest.fail("a writer process for a small batch"))
    write(tmp_path / "ix", [documents(PARALLEL_WRITE_MIN_DOCUMENTS - 1)], processes=2)
    assert open_index(tmp_path / "ix").doc_count() == PARALLEL_WRITE_MIN_DOCUMENTS - 1 and not started


def test_a_writer_process_that_fails_leaves_the_index_as_its_last_commit(tmp_path):
    index_dir = tmp_path / "ix"
    write(index_dir, [documents(500)], processes=2)
    before = sorted(p.name for p in index_dir.iterdir())
    bad = documents(600, seed=9, start=500)
    bad[450]["published"] = "not a date"  # fails in the process that analyses it, not in the caller
    with pytest.raises(IndexUnavailable, match="writer process ended with exit code 1 .* not committed, every batch before it is kept"):
        write(index_dir, [bad], processes=2)
    assert open_index(index_dir).doc_count() == 500
    assert sorted(p.name for p in index_dir.iterdir() if p.name != "MAIN_WRITELOCK") == [n for n in before if n != "MAIN_WRITELOCK"]  # no segment left behind
    write(index_dir, [documents(600, seed=9, start=500)], processes=2)  # the lock was released: the next run writes
    assert open_index(index_dir).doc_count() == 1100
