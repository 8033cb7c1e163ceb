"""The page's hits of a sharded search built by whichever process is free (``LocalShardExecutor.share``).

With local search processes every process holds every shard open, so once the merge has chosen
the page, the serving process and the search processes build its hits from either end, each its
own shard's first; a hit needs its shard's docnum and its other versions (``ShardAnswer.refs``),
not the masks.  The answers are the one index's, versions included (a corpus with a story
republished four times, in 2 shards).
"""

from __future__ import annotations

import dataclasses
import json
import time
from dataclasses import dataclass

import pytest

import searchapp.query.search as search_module
from searchapp.ingest.run import IndexOptions, index_paths
from searchapp.query.search import SearchIndex, SearchRequest
from searchapp.query.shards import LocalShardExecutor, ShareItem
from searchapp.store.shards import read_manifest
from tests.conftest import SAMPLES
from tests.query.test_shards import assert_same

STORY = " ".join((SAMPLES / "001_31535706e98cfbbc.txt").read_text(encoding="utf-8").split("\n")[2:-2])


def corpus_records() -> list[dict]:
    """A story in four versions (three outlets re-publishing it) and the other four samples, each also re-titled once."""
    records = [
        {"id": "v1", "title": "Lavrov and Kerry call for cooperation", "text": STORY, "outlet": "Press TV", "date": "2016-03-02"},
        {"id": "v2", "title": "Russia, US stress cooperation on Syria truce", "text": STORY + " By AFP.", "outlet": "AFP", "date": "2016-03-02"},
        {"id": "v3", "title": "Moscow and Washington coordinate", "text": STORY.replace("Tuesday", "Tuesday evening"), "outlet": "TASS", "date": "2016-03-03"},
        {"id": "v0", "title": "Lavrov, Kerry discuss truce", "text": "Updated 09:12 GMT " + STORY, "outlet": "Sputnik", "date": "2016-03-01"},
    ]  # fmt: skip
    for number, path in enumerate(sorted(SAMPLES.glob("00[2-5]_*.txt"))):
        lines = path.read_text(encoding="utf-8").split("\n")
        text = " ".join(lines[2:])
        records.append({"id": f"s{number}", "title": lines[0], "text": text, "outlet": "Outlet A", "date": f"2016-0{number + 1}-10"})
        # the same article cut in half: another story (its own group), on the same words
        half = " ".join(text.split()[: len(text.split()) // 2])
        records.append({"id": f"h{number}", "title": "Half: " + lines[0], "text": half, "outlet": "Outlet B", "date": f"2017-0{number + 1}-11"})
    return records


@pytest.fixture(scope="module")
def versions_pair(tmp_path_factory, sample_index):
    """(one index, the same in 2 shards) of :func:`corpus_records`."""
    folder = tmp_path_factory.mktemp("share")
    corpus = folder / "news.jsonl"
    corpus.write_text("".join(json.dumps(r) + "\n" for r in corpus_records()), encoding="utf-8")
    one, many = folder / "one", folder / "many"
    assert not index_paths([corpus], one, IndexOptions(processes=1)).rejected
    assert not index_paths([corpus], many, IndexOptions(processes=1, shards=2)).rejected
    assert read_manifest(many).count == 2
    return one, many


REQUESTS = {
    "story": SearchRequest(q="Lavrov Kerry cooperation"),
    "words of every article": SearchRequest(q="Syria"),
    "page 2": SearchRequest(q="Syria", page=2, per_page=3),
    "newest": SearchRequest(q="Syria", sort="newest"),
    "every version": SearchRequest(q="Syria", collapse=False),
    "one outlet": SearchRequest(q="Syria", filters={"outlet": ["AFP"]}, collapse=False),
}


@pytest.mark.parametrize("name", sorted(REQUESTS))
def test_a_page_built_by_either_process_is_the_one_index_page(versions_pair, name, monkeypatch):
    """Hits, snippets and versions as one index builds them, whichever process built each; twice in a row (a stream
    stopped early leaves messages the next search skips)."""
    one_dir, many_dir = versions_pair
    shared: list[int] = []
    share = LocalShardExecutor.share

    def counted(self, *args):
        built = share(self, *args)
        shared.append(len(built))
        return built

    monkeypatch.setattr(LocalShardExecutor, "share", counted)
    executor = LocalShardExecutor(2)
    try:
        many = SearchIndex(many_dir, executor=executor)
        expected = SearchIndex(one_dir).search(dataclasses.replace(REQUESTS[name]))
        assert expected.hits
        for _ in range(2):
            assert_same(expected, many.search(dataclasses.replace(REQUESTS[name])))
        assert len(shared) == 2 and shared[0] == shared[1] == len(expected.hits)  # every hit of the page built by sharing
    finally:
        executor.close()


def test_the_story_s_versions_come_with_its_hit_from_its_shard(versions_pair):
    one_dir, many_dir = versions_pair
    executor = LocalShardExecutor(2)
    try:
        story = SearchIndex(many_dir, executor=executor).search(SearchRequest(q="Lavrov Kerry cooperation")).hits[0]
    finally:
        executor.close()
    assert story.id == "v0" and story.version_count == 3 and [v.id for v in story.versions] == ["v1", "v2", "v3"]


@dataclass
class Job:
    """A stand-in for a search's payload: what ``share`` sends each search process (``share``), and a pace."""

    share: tuple = ()
    delay: float = 0.0


def remote_build(shard_dir: str, payload: Job):
    """A search process's side of ``share`` (stands in for ``search.share_hits``): its items in order, marked as its."""
    for position, item in enumerate(payload.share):
        time.sleep(payload.delay)
        yield position, ("search process", item.id)


def echo(shard_dir: str, payload: Job) -> tuple[str, str]:
    return ("answer", shard_dir)


def items_of(shard_dir: str, names: str) -> list[ShareItem]:
    return [ShareItem(shard_dir, name, n, None, None) for n, name in enumerate(names.split())]


@pytest.mark.parametrize(
    ("local_delay", "remote_delay", "expected"),
    [
        # this process slow: the search process builds its own shard's items, then this one's from the bottom
        (0.4, 0.0, {"a1": "here", "b1": "search process", "b2": "search process", "b3": "search process", "a3": "search process"}),
        # the search process slow: this process builds its own, then the other's from the bottom
        (0.0, 0.4, {"a1": "here", "a2": "here", "a3": "here", "b1": "search process", "b3": "here"}),
    ],
)
def test_a_page_s_items_are_built_from_either_end_by_whichever_process_is_free(local_delay, remote_delay, expected):
    executor = LocalShardExecutor(2)
    built_here: list[str] = []

    def build(item: ShareItem):
        time.sleep(local_delay)
        built_here.append(item.id)
        return ("here", item.id)

    try:
        assert executor.run(echo, [("a", Job()), ("b", Job())])  # the shards' slots: "a" here, "b" the search process
        items = items_of("a", "a1 a2 a3") + items_of("b", "b1 b2 b3")
        done = executor.share(remote_build, Job(delay=remote_delay), items, build, lambda item: True)
        got = {item.id: value for item, value in done.items()}
        assert sorted(got) == ["a1", "a2", "a3", "b1", "b2", "b3"]  # every item, once
        assert {item: got[item][0] for item in expected} == expected
        assert all(got[item_id] == ("here", item_id) for item_id in built_here)
        # the next task gets its own answer, not what the stopped stream left in the pipe
        assert executor.run(echo, [("a", Job()), ("b", Job())]) == [("answer", "a"), ("answer", "b")]
    finally:
        executor.close()


def test_an_item_no_process_can_build_is_left_to_the_caller():
    """A search process skips a hit of a shard committed meanwhile, and this process cannot build it either (another
    generation here): ``share`` returns without it rather than wait, and the caller builds it another way."""
    executor = LocalShardExecutor(2)
    try:
        executor.run(echo, [("a", Job()), ("b", Job())])
        items = items_of("a", "a1") + items_of("b", "b1")
        done = executor.share(skipping_build, Job(), items, lambda item: ("here", item.id), lambda item: item.shard_dir == "a")
        assert {item.id: value for item, value in done.items()} == {"a1": ("here", "a1")}
    finally:
        executor.close()


def dying_build(shard_dir: str, payload: Job):
    """A search process that sends one item and dies (killed: out of memory) before the next."""
    import os

    yield 0, ("search process", payload.share[0].id)
    time.sleep(0.2)  # (the first item reaches the coordinator first)
    os._exit(1)


def failing_build(shard_dir: str, payload: Job):
    """A search process whose building fails after one item (a damaged stored block, say)."""
    yield 0, ("search process", payload.share[0].id)
    raise OSError("unreadable")


@pytest.mark.parametrize(("fn", "same_process"), [("dying", False), ("failing", True)])
def test_a_search_process_that_dies_or_fails_while_sharing_leaves_its_items_to_this_one(fn, same_process):
    """A death or an error is not the answer: this process builds what is left (and raises itself if it cannot);
    the next task is answered, by a new process after a death."""
    executor = LocalShardExecutor(2)
    try:
        executor.run(echo, [("a", Job()), ("b", Job())])
        pid = executor.pids()[0]
        items = items_of("a", "a1") + items_of("b", "b1 b2 b3")

        def build(item: ShareItem):
            time.sleep(0.1)
            return ("here", item.id)

        built = executor.share({"dying": dying_build, "failing": failing_build}[fn], Job(), items, build, lambda item: True)
        done = {item.id: value for item, value in built.items()}
        assert done == {"a1": ("here", "a1"), "b1": ("search process", "b1"), "b2": ("here", "b2"), "b3": ("here", "b3")}
        assert executor.run(echo, [("a", Job()), ("b", Job())]) == [("answer", "a"), ("answer", "b")]
        assert (executor.pids() == [pid]) is same_process
    finally:
        executor.close()


def skipping_build(shard_dir: str, payload: Job):
    """A search process that can build nothing of ``payload.share`` (each of its shards at another generation)."""
    return iter(())


def test_a_search_process_skips_the_hits_of_a_generation_it_does_not_read(versions_pair):
    """``share_hits`` builds a hit only on the generation its search ranked: other generations have other docnums."""
    _, many_dir = versions_pair
    index = SearchIndex(many_dir)
    shard_dir = str(index.shards[0].index_dir)
    generation = index.shards[0].searcher().reader().generation()
    payload = dataclasses.replace(
        index._payload(search_module.prepare(index.reader(), SearchRequest(q="Syria"), index.limits, stats=True), SearchRequest(q="Syria"), "share", 0, ""),
        share=(ShareItem(shard_dir, "x", 0, None, None),),
    )
    assert list(search_module.share_hits("", dataclasses.replace(payload, generations={shard_dir: generation + 1}))) == []
    built = list(search_module.share_hits("", dataclasses.replace(payload, generations={shard_dir: generation})))
    assert [position for position, _ in built] == [0]
    assert built[0][1].id == index.shards[0].searcher().stored_fields(0)["id"]


@pytest.mark.slow
def test_fakes_in_3_shards_on_2_processes_answers_as_one_index(fakes_index, tmp_path):
    """FA-KES (CC BY, Abu Salem et al., ICWSM 2019): 3 shards on 2 processes (this one holds two), every request of
    the equality suite, the page's hits shared out."""
    from tests.conftest import FAKES
    from tests.query.test_shards import build_pair, compare_all

    if not FAKES.exists():
        pytest.skip("needs ../shared/corpora/fakes-dev")
    one, many = build_pair(tmp_path, [FAKES], {"processes": 2}, cache_from=fakes_index)
    executor = LocalShardExecutor(2)
    try:
        compare_all(one, many, executor)
    finally:
        executor.close()


def test_a_shard_sends_its_facet_labels_once_per_generation(tmp_path, monkeypatch):
    """A shard's tallies travel as value numbers; the labels they stand for come with its first answer, and again
    after a commit to that shard (its numbering changes), never otherwise.  The counts stay the one index's."""
    records = corpus_records()
    first, rest = tmp_path / "first.jsonl", tmp_path / "rest.jsonl"
    first.write_text("".join(json.dumps(r) + "\n" for r in records[:-3]), encoding="utf-8")
    rest.write_text("".join(json.dumps(r) + "\n" for r in records[-3:]), encoding="utf-8")
    many, one = tmp_path / "many", tmp_path / "one"
    assert not index_paths([first], many, IndexOptions(processes=1, shards=2)).rejected
    seen: list[list[tuple[int, bool]]] = []
    label_maps = SearchIndex.label_maps

    def spied(self, answers):
        seen.append([(answer.generation, answer.labels is not None) for answer in answers])
        return label_maps(self, answers)

    monkeypatch.setattr(SearchIndex, "label_maps", spied)
    executor = LocalShardExecutor(2)
    try:
        index = SearchIndex(many, executor=executor)
        request = SearchRequest(q="Syria", facet_size=None)
        index.search(dataclasses.replace(request))
        index.search(dataclasses.replace(request))
        assert [[sent for _, sent in answers] for answers in seen] == [[True, True], [False, False]]
        assert not index_paths([rest], many, IndexOptions(processes=1, shards=2)).rejected
        after = index.search(dataclasses.replace(request))
        before_generations, now = [g for g, _ in seen[1]], seen[2]
        assert [sent for _, sent in now] == [g != old for (g, _), old in zip(now, before_generations, strict=True)]
        assert any(sent for _, sent in now)  # the rest went to at least one shard
        assert not index_paths([first, rest], one, IndexOptions(processes=1)).rejected
        expected = SearchIndex(one).search(dataclasses.replace(request))
        assert after.facets == expected.facets and after.total == expected.total
    finally:
        executor.close()
