"""An indexing run with ``--processes 2`` merges the shards side by side (searchapp.ingest.run.merge_folders):
the same index as ``--processes 1``, document by document and answer by answer."""

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


def corpus(path: Path, count: int) -> Path:
    rng = random.Random(3)
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
    from searchapp.query.search import SearchIndex, SearchRequest

    started = []
    parallel_writer = index_module.parallel_writer
    monkeypatch.setattr(index_module, "parallel_writer", lambda *args, **kwargs: started.append(args[1]) or parallel_writer(*args, **kwargs))
    batch = 2 * PARALLEL_WRITE_MIN_DOCUMENTS * shards  # (each shard's share of a batch: enough for the writer processes)
    source = corpus(tmp_path / "corpus.jsonl", 3 * batch)
    answers = {}
    for processes in (1, 2):
        index_dir = tmp_path / f"p{processes}"
        options = IndexOptions(processes=processes, shards=shards if shards > 1 else None, batch_size=batch, max_segments=1)
        summary = index_paths([source], index_dir, options, tagger=Untagged())
        assert summary.added == 3 * batch
        assert started == []  # (batches are written in the indexing process: see store.index.batch_writer)
        assert [segment_count(open_index(f)) for f in shard_dirs(index_dir) or [index_dir]] == [1] * shards  # merged, each shard
        index = SearchIndex(index_dir)
        results = [index.search(SearchRequest(q=q)) for q in ("ceasefire Idlib", '"rebels shelling"', "", "envoy OR truce")]
        answers[processes] = (everything(index_dir), [(r.total, [(h.id, round(h.score or 0, 6)) for h in r.hits], repr(r.facets)) for r in results])
        index.close()
    assert answers[1] == answers[2]
