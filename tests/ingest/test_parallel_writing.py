"""An indexing run with ``--processes 2`` writes each large batch in two processes (store.index.batch_writer) and
merges the shards side by side (searchapp.ingest.run.merge_folders): the same index as ``--processes 1``,
document by document and answer by answer, scores included."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest

from searchapp.ingest.models import TaggedArticle
from searchapp.store.index import PARALLEL_WRITE_MIN_DOCUMENTS, open_index, segment_count
from searchapp.store.shards import shard_dirs

WORDS = ["ceasefire", "Idlib", "talks", "Aleppo", "monitors", "rebels", "shelling", "convoy", "aid", "Geneva", "envoy", "truce"]


class Untagged:
    """Every article with no entity (the writing is what is compared, not spaCy)."""

    threads = 1

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        pass

    def describe(self) -> str:
        return "none"

    def tag(self, batches, backlog=0):
        for batch in batches:
            yield [TaggedArticle(article) for article in batch]


def corpus(path: Path, count: int, seed: int = 3) -> Path:
    rng = random.Random(seed)
    rows = [
        {
            "id": f"n{k:05d}", "title": " ".join(rng.choices(WORDS, k=5)), "outlet": rng.choice(["BBC", "SANA", "TASS"]),
            "published": f"2016-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}",
            "text": "\n\n".join(" ".join(rng.choices(WORDS, k=rng.randint(8, 30))) + "." for _ in range(rng.randint(1, 3))),
        }
        for k in range(count)
    ]  # fmt: skip
    path.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    return path


def everything(index_dir: Path) -> dict:
    stored = {}
    for folder in shard_dirs(index_dir) or [index_dir]:
        with open_index(folder).searcher() as searcher:
            stored.update({fields["id"]: fields for fields in searcher.reader().all_stored_fields()})
    return stored


@pytest.mark.slow
@pytest.mark.parametrize("shards", [1, 2])
def test_two_processes_write_and_merge_the_index_one_process_writes(tmp_path, shards, monkeypatch):
    import searchapp.store.index as index_module
    from searchapp.ingest.run import IndexOptions, index_paths

    started = []
    parallel_writer = index_module.parallel_writer
    monkeypatch.setattr(index_module, "parallel_writer", lambda *args, **kwargs: started.append(args[1]) or parallel_writer(*args, **kwargs))
    batch = 2 * PARALLEL_WRITE_MIN_DOCUMENTS * shards  # (each shard's share of a batch: enough for the writer processes)
    source = corpus(tmp_path / "corpus.jsonl", 3 * batch)
    answers = {}
    for processes in (1, 2):
        index_dir = tmp_path / f"p{processes}"
        options = IndexOptions(processes=processes, shards=shards if shards > 1 else None, batch_size=batch)
        summary = index_paths([source], index_dir, options, tagger=Untagged())
        assert summary.added == 3 * batch
        assert started == [2] * (3 * shards) if processes == 2 else started == []  # every batch of each shard
        folders = [open_index(f) for f in shard_dirs(index_dir) or [index_dir]]
        assert [(segment_count(ix), ix.doc_count_all() - ix.doc_count()) for ix in folders] == [(1, 0)] * shards  # merged, each shard
        answers[processes] = [answer(index_dir)]
        # a second run replaces 60% of the articles: the replaced documents are dropped by its merge
        summary = index_paths([corpus(tmp_path / "changed.jsonl", 9 * batch // 5, seed=4)], index_dir, options, tagger=Untagged())
        assert summary.updated == 9 * batch // 5
        assert [(segment_count(ix), ix.doc_count_all() - ix.doc_count()) for ix in map(open_index, shard_dirs(index_dir) or [index_dir])] == [(1, 0)] * shards
        answers[processes].append(answer(index_dir))
    assert answers[1] == answers[2]


def answer(index_dir: Path) -> tuple:
    """Every stored document, and four searches' totals, hits with their scores and facets."""
    from searchapp.query.search import SearchIndex, SearchRequest

    index = SearchIndex(index_dir)
    try:
        results = [index.search(SearchRequest(q=q)) for q in ("ceasefire Idlib", '"rebels shelling"', "", "envoy OR truce")]
        return everything(index_dir), [(r.total, [(h.id, round(h.score or 0, 6)) for h in r.hits], repr(r.facets)) for r in results]
    finally:
        index.close()
