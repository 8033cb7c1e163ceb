"""A sharded index answers exactly as one index: the same corpus indexed once whole and once in 3 shards.

For every request (words, phrases, OR/NOT, prefixes, names across spellings, filters any/all,
published, collapse on/off, newest/oldest, page 2, the empty query, a facet's "more" listing)
the merged answer has the same ids in the same order, the same scores (global statistics: to
1e-6), every facet count and page, the timeline bars, did-you-mean, hints and total.  Corpora:
the bundled samples (fast lane), FA-KES dev (CC BY, Abu Salem et al., ICWSM 2019) and a
synthetic 2,000-article corpus from ../shared/bench/make_corpus.py (slow lane).
"""

from __future__ import annotations

import dataclasses
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from searchapp.ingest.run import IndexOptions, index_paths
from searchapp.query.facets import FacetListing
from searchapp.query.search import SearchIndex, SearchRequest, SearchResult
from searchapp.query.shards import LocalShardExecutor
from searchapp.store.shards import read_manifest
from tests.conftest import FAKES, SAMPLES, SHARED

SHARDS = 3


def build_pair(tmp: Path, paths: list[Path], options: dict, cache_from: Path | None = None) -> tuple[Path, Path]:
    """(one index, the same corpus in SHARDS shards); the second run reuses the first's tags (tag cache)."""
    one, many = tmp / "one", tmp / "many"
    if cache_from is None:
        summary = index_paths(paths, one, IndexOptions(**options))
        assert not summary.rejected
    else:
        one = cache_from
    (many).mkdir()
    if (one / "tag-cache").is_dir():
        shutil.copytree(one / "tag-cache", many / "tag-cache")
    summary = index_paths(paths, many, IndexOptions(**options, shards=SHARDS))
    assert not summary.rejected and read_manifest(many).count == SHARDS
    return one, many


def assert_same(one: SearchResult, many: SearchResult) -> None:
    """The sharded answer is the one-index answer, hit by hit and count by count."""
    assert many.total == one.total
    assert [h.id for h in many.hits] == [h.id for h in one.hits]
    for a, b in zip(one.hits, many.hits, strict=True):
        assert (a.score is None) == (b.score is None)
        if a.score is not None:
            assert b.score == pytest.approx(a.score, abs=1e-6)
        assert dataclasses.replace(b, score=None) == dataclasses.replace(a, score=None)
    assert many.facets == one.facets
    assert many.facet_pages == one.facet_pages
    assert many.timeline == one.timeline
    assert many.did_you_mean == one.did_you_mean
    assert many.hints == one.hints
    assert many.terms == one.terms


def top(result: SearchResult, facet: str, n: int) -> list[str]:
    return [v.value for v in result.facets.get(facet, [])[:n]]


# Each request is built from the one index's empty search (its top outlets, actors, places, years),
# so that the same cases have matches in any corpus.
REQUESTS: dict[str, Callable[[SearchResult], SearchRequest]] = {
    "word": lambda r: SearchRequest(q="Syria"),
    "two words": lambda r: SearchRequest(q="government forces"),
    "phrase": lambda r: SearchRequest(q='"the city"'),
    "or": lambda r: SearchRequest(q="Aleppo OR Damascus OR market"),
    "not": lambda r: SearchRequest(q="Syria NOT Russia"),
    "prefix": lambda r: SearchRequest(q="gov*"),
    "name other spelling": lambda r: SearchRequest(q="Asad"),
    "misspelt": lambda r: SearchRequest(q="governmnet"),
    "outlet any": lambda r: SearchRequest(q="the", filters={"outlet": top(r, "outlet", 2)}),
    "actor all": lambda r: SearchRequest(filters={"actor": top(r, "actor", 2)}, ops={"actor": "all"}),
    "place any": lambda r: SearchRequest(q="said", filters={"place": top(r, "place", 2)}),
    "published": lambda r: SearchRequest(q="said", published=(r.timeline[len(r.timeline) // 2].period if r.timeline else "2016")),
    "all versions": lambda r: SearchRequest(q="said", collapse=False),
    "newest": lambda r: SearchRequest(q="said", sort="newest"),
    "oldest all versions": lambda r: SearchRequest(sort="oldest", collapse=False),
    "page 2": lambda r: SearchRequest(q="the", page=2, per_page=3),
    "empty": lambda r: SearchRequest(),
    "facet more": lambda r: SearchRequest(listings={"actor": FacetListing(find="a", offset=3, size=3)}),
    "year ticked": lambda r: SearchRequest(q="the", filters={"year": top(r, "year", 1)}),
}


def compare_all(one_dir: Path, many_dir: Path, executor=None) -> None:
    one = SearchIndex(one_dir)
    many = SearchIndex(many_dir, executor=executor)
    assert many.sharded and len(many.shards) == SHARDS
    base = one.search(SearchRequest(facet_size=None))
    for name, make in REQUESTS.items():
        request = make(base)
        try:
            assert_same(one.search(dataclasses.replace(request)), many.search(dataclasses.replace(request)))
        except AssertionError as exc:
            raise AssertionError(f"{name}: {request}: {exc}") from None


@pytest.fixture(scope="session")
def sample_pair(sample_index, sample_shards) -> tuple[Path, Path]:
    return sample_index, sample_shards


def test_the_sample_corpus_sharded_answers_as_one_index(sample_pair):
    one, many = sample_pair
    assert len({p.name for p in (many / "shards").iterdir()}) == SHARDS
    compare_all(one, many)


@pytest.mark.parametrize("name", sorted(REQUESTS))
def test_each_request_on_sample_shards(sample_pair, name):
    one_dir, many_dir = sample_pair
    one, many = SearchIndex(one_dir), SearchIndex(many_dir)
    request = REQUESTS[name](one.search(SearchRequest(facet_size=None)))
    assert_same(one.search(dataclasses.replace(request)), many.search(dataclasses.replace(request)))


def test_scores_use_every_shards_statistics(sample_pair):
    """Scored with one shard's own statistics the scores differ: the global ones make them equal."""
    one_dir, many_dir = sample_pair
    one = SearchIndex(one_dir).search(SearchRequest(q="Syria"))
    many = SearchIndex(many_dir)
    scores = {h.id: h.score for h in one.hits}
    local = {}
    for shard in many.shards:
        alone = SearchIndex(shard.index_dir).search(SearchRequest(q="Syria"))
        local.update({h.id: h.score for h in alone.hits})
    assert set(local) == set(scores)
    assert any(abs(local[i] - scores[i]) > 1e-6 for i in scores)  # a shard alone scores otherwise
    assert {h.id: h.score for h in many.search(SearchRequest(q="Syria")).hits} == pytest.approx(scores, abs=1e-6)


def test_search_processes_answer_as_in_process(sample_pair):
    """Two local search processes (forkserver pools, shards held open) give the in-process answer."""
    one_dir, many_dir = sample_pair
    executor = LocalShardExecutor(2)
    try:
        index = SearchIndex(many_dir, executor=executor)
        one = SearchIndex(one_dir)
        for request in (SearchRequest(q="Syria"), SearchRequest(sort="newest"), SearchRequest(q="governmnet")):
            assert_same(one.search(dataclasses.replace(request)), index.search(dataclasses.replace(request)))
        assert len(executor.pids()) == 1  # this process searched one shard, a search process the others
    finally:
        executor.close()


def test_threads_searching_at_once_through_search_processes_get_the_one_index_answers(sample_pair):
    """A web worker's threads share its search processes: each search gets its own answer.

    Every request of REQUESTS, by 4 threads at once, each in its own order, through one executor
    (each exchange holds its process's pipe; the masks and hits kept between a search's two steps
    are keyed by the search).
    """
    import random
    import threading

    one_dir, many_dir = sample_pair
    one = SearchIndex(one_dir)
    base = one.search(SearchRequest(facet_size=None))
    requests = [(name, make(base)) for name, make in sorted(REQUESTS.items())]
    expected = {name: one.search(dataclasses.replace(request)) for name, request in requests}
    executor = LocalShardExecutor(2)
    failures: list[str] = []
    try:
        many = SearchIndex(many_dir, executor=executor)

        def search_all(seed: int) -> None:
            order = requests * 3
            random.Random(seed).shuffle(order)
            for name, request in order:
                try:
                    assert_same(expected[name], many.search(dataclasses.replace(request)))
                except Exception as exc:  # (an error in a thread is reported by the test, not lost)
                    failures.append(f"{name}: {type(exc).__name__}: {exc}")

        threads = [threading.Thread(target=search_all, args=(seed,)) for seed in range(4)]
        for thread in threads:
            thread.daemon = True  # (a thread stuck on a pipe another one read from must not hang the run)
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
        assert not [thread for thread in threads if thread.is_alive()], "searches stuck waiting for an answer"
        assert len(executor.pids()) == 1
    finally:
        executor.close()
    assert failures == []


def test_a_shard_builds_its_page_hits_from_the_masks_of_the_first_step(sample_pair, monkeypatch):
    """A search matches each shard once: the hits step reuses the masks its shard made for the counts.

    (They were made a second time in each shard holding a hit of the page: at 1M articles that
    was a third of a sharded search.)
    """
    import searchapp.query.search as search_module

    calls: list[int] = []
    match = search_module._match

    def counted(searcher, *args):
        calls.append(searcher.reader().doc_count_all())
        return match(searcher, *args)

    monkeypatch.setattr(search_module, "_match", counted)
    index = SearchIndex(sample_pair[1])
    result = index.search(SearchRequest(q="Syria"))
    assert len({hit.id for hit in result.hits}) == len(result.hits) >= 2
    assert len(index.shards) == len(calls) == 3


def test_a_shard_builds_its_best_hits_while_it_waits_and_the_hits_step_uses_them(sample_pair):
    """The hits a shard builds ahead (its best, while its process waits) are the ones the hits step returns."""
    import searchapp.query.search as search_module
    from searchapp.query.shards import IDLE, while_waiting

    index = SearchIndex(sample_pair[1])
    request = SearchRequest(q="Syria")
    with index.reading():
        prepared = search_module.prepare(index.reader(), request, index.limits, stats=True)
        base = index._payload(prepared, request, "page", 10, "")
        answers = {str(shard.index_dir): search_module.search_shard(str(shard.index_dir), base) for shard in index.shards}
        shard_dir = max(answers, key=lambda d: len(answers[d].hits))  # the shard holding most of the hits
        best = [(key[-1], round(-key[0], 4)) for key, _ in answers[shard_dir].hits]
        assert len(best) >= 2
        IDLE.tasks.clear()
        page = dataclasses.replace(base, token="ahead", ahead=(0, 2))
        search_module.search_shard(shard_dir, page)
        kept = search_module._RECENT[shard_dir]["ahead"]
        assert [article_id for _, _, article_id in kept.ahead] == [article_id for article_id, _ in best[:2]]
        while_waiting(lambda: False)
        assert list(kept.built) == [article_id for article_id, _ in best[:2]] and not IDLE.tasks
        hits = search_module.search_shard(shard_dir, dataclasses.replace(page, mode="hits", build=tuple(best))).hits
    assert [hit.id for _, hit in hits] == [article_id for article_id, _ in best]
    assert [hit is kept.built.get(hit.id) for _, hit in hits] == [True, True] + [False] * (len(best) - 2)
    one = {hit.id: hit for hit in SearchIndex(sample_pair[0]).search(SearchRequest(q="Syria")).hits}
    assert [hit for _, hit in hits] == [one[article_id] for article_id, _ in best]  # snippets, names, versions as one index builds them


def test_idle_work_runs_until_an_answer_is_ready_and_drops_a_failing_step():
    from searchapp.query.shards import IDLE, while_waiting

    steps: list[int] = []

    def three_steps() -> bool:
        steps.append(len(steps))
        return len(steps) < 3

    def failing() -> bool:
        raise ValueError("a head start lost")

    IDLE.tasks.clear()
    IDLE.tasks.extend([failing, three_steps])
    while_waiting(lambda: len(steps) == 2)
    assert steps == [0, 1] and list(IDLE.tasks) == [three_steps]
    while_waiting(lambda: False)
    assert steps == [0, 1, 2] and not IDLE.tasks


@pytest.mark.parametrize(("word", "maxdist", "prefix"), [("ceasfire", 2, 1), ("idleb", 2, 2), ("rebel", 2, 1), ("force", 2, 1), ("talks", 2, 1)])
def test_words_within_every_shard_are_whoosh_s_own_answer_over_them(sample_pair, word, maxdist, prefix):
    """Did-you-mean's candidates over several shards: each segment's automaton, the same words as Whoosh's scan of them all."""
    from whoosh.reading import IndexReader

    from searchapp.query.search import words_within

    index = SearchIndex(sample_pair[1])
    with index.reading():
        reader = index.reader()
        assert len(reader.leaf_readers()) == 3
        scanned = set(IndexReader.terms_within(reader, "words", word, maxdist, prefix=prefix))  # the base class's scan
        assert scanned  # (each case finds some word; "rebel", "force" and "talks" find words that only some shards hold)
        assert words_within(reader, "words", word, maxdist, prefix=prefix) == scanned


def test_exports_stream_in_the_one_index_order(sample_pair):
    one_dir, many_dir = sample_pair
    for request in (SearchRequest(q="the"), SearchRequest(sort="oldest", collapse=False)):
        total_one, hits_one = SearchIndex(one_dir).hits(dataclasses.replace(request), 1000)
        total_many, hits_many = SearchIndex(many_dir).hits(dataclasses.replace(request), 1000)
        one, many = list(hits_one), list(hits_many)
        assert total_many == total_one == len(one) > 1
        assert [h.id for h in many] == [h.id for h in one]
        assert [h.version_ids for h in many] == [h.version_ids for h in one]


@pytest.mark.slow
def test_fakes_sharded_answers_as_one_index(fakes_index, tmp_path):
    if not FAKES.exists():
        pytest.skip("needs ../shared/corpora/fakes-dev")
    one, many = build_pair(tmp_path, [FAKES], {"processes": 2}, cache_from=fakes_index)
    compare_all(one, many)


@pytest.mark.slow
def test_synthetic_2000_sharded_answers_as_one_index(tmp_path):
    make_corpus = SHARED / "bench/make_corpus.py"
    if not make_corpus.exists() or not (SHARED / "corpora/reuters21578").exists():
        pytest.skip("needs ../shared/bench/make_corpus.py and the Reuters corpus")
    corpus = tmp_path / "corpus-2000.jsonl"
    subprocess.run([sys.executable, str(make_corpus), "--n", "2000", str(corpus)], check=True, capture_output=True)
    one, many = build_pair(tmp_path, [corpus], {"processes": 2})
    compare_all(one, many)


def test_a_search_process_that_dies_is_started_again(sample_pair):
    import os
    import signal

    one_dir, many_dir = sample_pair
    executor = LocalShardExecutor(2)
    try:
        index = SearchIndex(many_dir, executor=executor)
        expected = SearchIndex(one_dir).search(SearchRequest(q="Syria"))
        assert_same(expected, index.search(SearchRequest(q="Syria")))
        pids = executor.pids()
        assert len(pids) == 1
        os.kill(pids[0], signal.SIGKILL)
        assert_same(expected, index.search(SearchRequest(q="Syria")))  # answered, by a new process
        assert pids[0] not in executor.pids() and len(executor.pids()) == 1
    finally:
        executor.close()


def test_errors_raised_in_a_search_process_keep_their_option():
    import pickle

    from searchapp.errors import BadRequest

    error = pickle.loads(pickle.dumps(BadRequest("published: '2016-13' is not a date", param_hint="--published")))
    assert type(error) is BadRequest and str(error) == "published: '2016-13' is not a date" and error.param_hint == "--published"


def test_an_unknown_filter_raised_in_a_search_process_is_a_bad_request(sample_pair):
    from searchapp.errors import BadRequest

    executor = LocalShardExecutor(2)
    try:
        index = SearchIndex(sample_pair[1], executor=executor)
        with pytest.raises(BadRequest, match="unknown filter 'colour'") as raised:
            index.search(SearchRequest(q="Syria", filters={"colour": ["red"]}))
        assert raised.value.param_hint == "--filter"
    finally:
        executor.close()


def test_facet_names_of_a_sharded_index_are_the_tables(sample_pair):
    one, many = (SearchIndex(folder) for folder in sample_pair)
    shard = many.shards[0]
    assert many.facet_names() == one.facet_names() == tuple(shard.facet_table(shard.searcher()).values)


@pytest.mark.parametrize("q", ["Syria government", "Russia Turkey", "ceasefire Idlib", "United Nations"])
def test_top_documents_are_the_best_of_every_match(sample_index, q):
    """The collector keeps every document that belongs in the top N (whoosh3's matcher replacement lost some)."""
    from searchapp.query.search import prepare, top_documents

    index = SearchIndex(sample_index)
    searcher = index.searcher()
    prepared = prepare(index.reader(), SearchRequest(q=q), index.limits)
    every = {hit.docnum: hit.score for hit in searcher.search(prepared.ranking, limit=None)}
    assert every
    for limit in (1, 2, 3):
        best = sorted(every, key=lambda d: (-every[d], d))[:limit]
        found = {hit.docnum for hit in top_documents(searcher, prepared.ranking, limit)}
        assert {d for d in best if every[d] > every[best[-1]]} <= found and len(found) == min(limit, len(every))


def test_shards_of_several_segments_score_as_one_index_of_one(sample_index, tmp_path):
    """Shards committed article by article (several segments each, merged by Whoosh as it goes) score
    as the one index: field lengths are summed from every segment's stored document lengths."""
    many = tmp_path / "many"
    many.mkdir()
    shutil.copytree(sample_index / "tag-cache", many / "tag-cache")
    options = IndexOptions(manifest=SAMPLES / "manifest.csv", aliases_file=str(SAMPLES / "aliases.toml"), processes=1, shards=2, batch_size=1, max_segments=0)
    assert index_paths([SAMPLES], many, options).added == 5
    index = SearchIndex(many)
    assert any(not shard.searcher().reader().is_atomic() for shard in index.shards)  # a shard of several segments
    one = SearchIndex(sample_index)
    for request in (SearchRequest(q="Syria"), SearchRequest(q="government forces"), SearchRequest(q='"Security Council"', collapse=False)):
        assert_same(one.search(dataclasses.replace(request)), index.search(dataclasses.replace(request)))


# ---------------------------------------------------------------------------------------------
# A one index split into shards by a snapshot (`searchapp snapshot --shards N`)


def shard_ids(index_dir: Path) -> list[set[str]]:
    """The ids of the live articles of each shard, in shard order."""
    from searchapp.store.index import open_index

    ids = []
    for folder in read_manifest(index_dir).dirs(index_dir):
        with open_index(folder).searcher() as searcher:
            ids.append({fields["id"] for fields in searcher.all_stored_fields()})
    return ids


def test_a_snapshot_split_into_shards_is_the_index_written_in_shards(sample_pair, tmp_path):
    """`snapshot --shards 3` puts each article in the shard `index --shards 3` wrote it to, answers as the one index,
    passes `check`, and leaves the source as it was."""
    from click.testing import CliRunner

    from searchapp.cli import main

    one, written = sample_pair
    before = sorted((p.name, p.stat().st_mtime_ns) for p in one.iterdir())
    snap = tmp_path / "snap"
    taken = CliRunner().invoke(main, ["snapshot", "--index-dir", str(one), "--shards", str(SHARDS), str(snap)])
    assert taken.exit_code == 0, taken.output
    assert "5 articles in 3 shards" in taken.output
    assert read_manifest(snap).count == SHARDS
    assert shard_ids(snap) == shard_ids(written)
    assert sorted(p.name for p in snap.iterdir()) == ["corpus-aliases.toml", "shards", "shards.toml"]  # no one-index files left
    compare_all(one, snap)
    checked = CliRunner().invoke(main, ["check", "--index-dir", str(snap)])
    assert checked.exit_code == 0 and "index whole" in checked.output and "5 articles" in checked.output, checked.output
    assert sorted((p.name, p.stat().st_mtime_ns) for p in one.iterdir()) == before


def test_a_split_leaves_out_deleted_articles(sample_index, tmp_path):
    """Articles deleted in the source's segments (not merged away yet) are in no shard of the split."""
    from searchapp.store.index import remove_ids
    from searchapp.store.snapshot import take_snapshot

    source = tmp_path / "source"
    shutil.copytree(sample_index, source)
    ids = sorted(shard_ids_of_one(source))
    removed, _ = remove_ids(source, ids[:2])
    assert removed == ids[:2]
    with SearchIndex(source).searcher() as searcher:
        assert searcher.reader().has_deletions()  # still in a segment, marked deleted
    info = take_snapshot(source, tmp_path / "snap", shards=2)
    assert (info.documents, info.shards) == (3, 2)
    assert sorted(set().union(*shard_ids(tmp_path / "snap"))) == ids[2:]
    many = SearchIndex(tmp_path / "snap").search(SearchRequest(collapse=False, per_page=10))
    assert sorted(h.id for h in many.hits) == ids[2:] and many.total == 3


def shard_ids_of_one(index_dir: Path) -> set[str]:
    from searchapp.store.index import open_index

    with open_index(index_dir).searcher() as searcher:
        return {fields["id"] for fields in searcher.all_stored_fields()}


@pytest.mark.parametrize(
    ("shards", "message"),
    [("0", "Invalid value for '--shards': 0 is not in the range 1<=x<=64"), ("65", "Invalid value for '--shards': 65 is not in the range 1<=x<=64")],
)
def test_snapshot_shards_out_of_range_is_a_usage_error(sample_index, tmp_path, shards, message):
    from click.testing import CliRunner

    from searchapp.cli import main

    result = CliRunner().invoke(main, ["snapshot", "--index-dir", str(sample_index), "--shards", shards, str(tmp_path / "snap")])
    assert result.exit_code == 2 and message in result.output
    assert not list(tmp_path.iterdir())


@pytest.mark.slow
def test_fakes_split_by_a_snapshot_answers_as_one_index(fakes_index, tmp_path):
    from searchapp.store.snapshot import take_snapshot

    info = take_snapshot(fakes_index, tmp_path / "snap", shards=SHARDS)
    assert info.documents == 379 and len(set().union(*shard_ids(tmp_path / "snap"))) == 379
    compare_all(fakes_index, tmp_path / "snap")
