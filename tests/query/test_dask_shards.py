"""Searches on a real Dask cluster (a scheduler and worker processes on loopback, tests/dask_cluster.py).

The sample corpus is indexed in 3 shards by ``searchapp index``'s own code; a search through
:class:`DaskShardExecutor` (every shard's :func:`search_shard` on a worker, merged here) must equal
the same search with every shard searched in this process, result for result, and the API's JSON
likewise.  Workers are SIGKILLed between and during requests; with none left, the answers too
slow, or no scheduler, the web answers 503 with a literal message.
"""

from __future__ import annotations

import json
import os
import pickle
import shutil
import threading
import time
import urllib.request
from collections import Counter
from concurrent.futures import CancelledError
from itertools import combinations
from pathlib import Path

import pytest
from bs4 import BeautifulSoup
from click.testing import CliRunner
from distributed import KilledWorker

from searchapp.cli import main
from searchapp.errors import BadRequest, ServiceUnavailable
from searchapp.ingest.run import IndexOptions, index_paths
from searchapp.query.dask_shards import DaskShardExecutor, placement
from searchapp.query.limits import Limits
from searchapp.query.search import SearchIndex, SearchRequest, open_shards, search_shard
from searchapp.query.shards import InProcessExecutor
from searchapp.store.shards import shard_dirs
from searchapp.web import create_app
from tests.conftest import SAMPLES
from tests.dask_cluster import Cluster
from tests.web.serving import free_port, running_server  # free_port: a port nothing listens on

pytestmark = pytest.mark.filterwarnings("ignore::ResourceWarning")

UNAVAILABLE = "the search index is not available right now: "
REQUESTS = [
    SearchRequest(q="aleppo"),
    SearchRequest(q='"security council"'),
    SearchRequest(q="syria OR damascus NOT aleppo"),
    SearchRequest(q="aleppo", sort="newest", per_page=2, page=2),
    SearchRequest(q="", filters={"place": ["Syria"]}),
    SearchRequest(q="alepo"),  # did you mean
    SearchRequest(q="talks", collapse=False),
]


@pytest.fixture(scope="module")
def sharded(sample_index, tmp_path_factory) -> Path:
    """The sample corpus in 3 shards (tags reused from the sample index's cache)."""
    folder = tmp_path_factory.mktemp("sharded") / "ix"
    folder.mkdir()
    shutil.copytree(sample_index / "tag-cache", folder / "tag-cache")
    options = IndexOptions(manifest=SAMPLES / "manifest.csv", aliases_file=str(SAMPLES / "aliases.toml"), processes=1, shards=3)
    summary = index_paths([SAMPLES], folder, options)
    assert summary.added == 5 and not summary.rejected
    return folder


def shards_of(index_dir: Path) -> list[str]:
    return [str(d) for d in shard_dirs(index_dir)]


def held(cluster: Cluster) -> dict[str, dict[str, int]]:
    """The shards each live worker holds open (by worker name), each with its ShardIndex's id."""
    with cluster.client() as client:
        names = {address: info["name"] for address, info in client.scheduler_info()["workers"].items()}
        return {names[address]: shards for address, shards in client.run(open_shards).items()}


def worker_names(cluster: Cluster) -> dict[str, str]:
    with cluster.client() as client:
        return {address: info["name"] for address, info in client.scheduler_info()["workers"].items()}


def wait_for_worker_count(cluster: Cluster, count: int) -> None:
    with cluster.client() as client:
        deadline = time.monotonic() + 30
        while len(client.nthreads()) != count:
            assert time.monotonic() < deadline, client.nthreads()
            time.sleep(0.05)


# ---------------------------------------------------------------------------------------------
# Without a cluster


WORKERS = [f"tcp://10.0.0.{n}:8788" for n in range(1, 5)]


@pytest.mark.parametrize("workers", [2, 3, 4])
@pytest.mark.parametrize("shard_count", [2, 3, 8, 24])
def test_shards_are_spread_evenly_and_a_leaving_worker_moves_few_others(workers, shard_count):
    workers, shards = WORKERS[:workers], [f"/data/index/shards/{n:02d}" for n in range(shard_count)]
    before = placement(shards, workers)
    assert before == placement(list(reversed(shards)), list(reversed(workers)))  # whatever the order listed
    loads = Counter(before.values())
    assert max(loads.values()) == -(-shard_count // len(workers))  # at most the fair share each ...
    assert len(loads) == min(shard_count, len(workers))  # ... so every worker holds some when it can
    for leaving in workers:
        after = placement(shards, [w for w in workers if w != leaving])
        assert leaving not in after.values()
        own = [shard for shard in shards if before[shard] == leaving]
        others_moved = [shard for shard in shards if before[shard] != leaving and after[shard] != before[shard]]
        assert len(others_moved) <= len(own), leaving  # its own shards move, and at most as many others (rebalancing)


def test_two_shards_on_two_workers_one_each():
    for n in range(50):  # whatever the folders and addresses
        shards, workers = [f"/srv/ix{n}/shards/00", f"/srv/ix{n}/shards/01"], [f"tcp://10.1.{n}.1:8788", f"tcp://10.1.{n}.2:8788"]
        assert sorted(placement(shards, workers).values()) == workers


class _Answered:
    """A finished Dask future."""

    def __init__(self, value) -> None:
        self.value = value

    def result(self, timeout=None):
        return self.value


class _RecordingClient:
    """Stands in for a connected Dask client: runs each task at once and records the worker it was pinned to."""

    status = "running"

    def __init__(self, workers: list[str]) -> None:
        self.workers = workers
        self.pinned: dict[str, list[str]] = {}

    def nthreads(self) -> dict[str, int]:
        return dict.fromkeys(self.workers, 1)

    def submit(self, fn, shard, payload, key, workers, allow_other_workers, pure):
        assert allow_other_workers and not pure and key.startswith("searchapp-search-")
        self.pinned.setdefault(shard, []).append(*workers)
        return _Answered(fn(shard, payload))


def test_a_search_second_step_goes_to_the_workers_of_its_first():
    executor = DaskShardExecutor("tcp://127.0.0.1:8786")
    executor._client, executor._pid = _RecordingClient(WORKERS[:2]), os.getpid()
    shards = [f"/data/index/shards/{n:02d}" for n in range(3)]
    assert executor.run(lambda shard, payload: (shard[-2:], payload), [(shard, "page") for shard in shards]) == [("00", "page"), ("01", "page"), ("02", "page")]
    subsets = [list(subset) for size in (1, 2) for subset in combinations(shards, size)]  # the shards holding a page's hits
    full = placement(shards, WORKERS[:2])
    assert any(placement(subset, WORKERS[:2]) != {shard: full[shard] for shard in subset} for subset in subsets)  # alone, some would move
    for asked in subsets:
        executor.run(lambda shard, payload: None, [(shard, "hits") for shard in asked])
    pinned = executor._client.pinned
    assert all(len(set(workers)) == 1 for workers in pinned.values()), pinned  # each shard always on one worker
    assert pinned == {shard: [full[shard]] * len(pinned[shard]) for shard in shards}


class _Failing(_Answered):
    def result(self, timeout=None):
        raise self.value


class _FailingClient(_RecordingClient):
    """A connected client whose every task ends with ``failure`` raised by ``result``."""

    def __init__(self, workers: list[str], failure: BaseException) -> None:
        super().__init__(workers)
        self.failure = failure
        self.cancelled: list = []

    def submit(self, fn, shard, payload, key, workers, allow_other_workers, pure):
        return _Failing(self.failure)

    def cancel(self, futures) -> None:
        self.cancelled += futures

    def close(self, timeout=None) -> None:
        pass


@pytest.mark.parametrize(
    "failure, message, reason, cancels",
    [
        (TimeoutError(), "2 shard searches not all answered within 10s", "the search did not finish within 10 s", True),
        (KilledWorker("k", "w", 3), "a shard search was lost with every worker that ran it (out of memory?)", "the search workers failed on this search", True),
        (CancelledError("k"), "cannot reach the Dask scheduler: k", "the search cluster cannot be reached", False),
    ],
)
def test_a_lost_slow_or_deadly_search_is_a_503(failure, message, reason, cancels):
    executor = DaskShardExecutor("tcp://127.0.0.1:8786", timeout=10, open_timeout=10)
    executor._client, executor._pid = _FailingClient(WORKERS[:2], failure), os.getpid()
    client = executor._client
    with pytest.raises(ServiceUnavailable) as caught:
        executor.run(search_shard, [("/data/index/shards/00", None), ("/data/index/shards/01", None)])
    assert str(caught.value) == f"search cluster tcp://127.0.0.1:8786: {message}"
    assert caught.value.public_reason == reason and caught.value.status == 503
    assert bool(client.cancelled) == cancels  # the tasks left are cancelled; a lost scheduler drops the client instead
    assert (executor._client is client) == cancels


class _Timed(_Answered):
    def __init__(self, value, timeouts: list) -> None:
        super().__init__(value)
        self.timeouts = timeouts

    def result(self, timeout=None):
        self.timeouts.append(timeout)
        return self.value


class _TimingClient(_RecordingClient):
    """A connected client that records how long each answer was waited for."""

    def __init__(self, workers: list[str]) -> None:
        super().__init__(workers)
        self.timeouts: list[float] = []

    def submit(self, fn, shard, payload, key, workers, allow_other_workers, pure):
        return _Timed(fn(shard, payload), self.timeouts)


def test_a_worker_opening_a_shard_is_given_the_open_timeout():
    executor = DaskShardExecutor("tcp://127.0.0.1:8786", timeout=10, open_timeout=120)
    client = _TimingClient(WORKERS[:2])
    executor._client, executor._pid = client, os.getpid()
    tasks = [(f"/data/index/shards/{n:02d}", None) for n in range(2)]

    def waited() -> list[float]:
        client.timeouts.clear()
        executor.run(lambda shard, payload: None, tasks)
        return client.timeouts

    assert all(100 < t <= 120 for t in waited())  # both workers open their shard
    assert all(0 < t <= 10 for t in waited())  # then both hold it open
    client.workers = WORKERS[:1]  # a worker left: the other opens its shard
    assert 100 < waited()[0] <= 120
    assert all(0 < t <= 10 for t in waited())


def test_an_unreachable_scheduler_is_a_503_page_and_json(sharded):
    address = f"tcp://127.0.0.1:{free_port()}"
    app = create_app({"TESTING": True, "INDEX_DIR": str(sharded), "SEARCH_SCHEDULER": address, "SEARCH_TIMEOUT": "1"})
    client = app.test_client()
    answer = client.get("/api/search?q=aleppo")
    assert answer.status_code == 503
    assert answer.get_json() == {"error": UNAVAILABLE + "the search cluster cannot be reached"}
    page = client.get("/?q=aleppo")  # refused at once: the scheduler is not tried again for a few seconds
    assert page.status_code == 503
    soup = BeautifulSoup(page.data, "html.parser")
    assert soup.select_one("#error-title").get_text() == "Service unavailable (503)"
    assert soup.select_one("p.error").get_text() == UNAVAILABLE + "the search cluster cannot be reached"
    assert client.get("/api/search?q=aleppo").get_json() == {"error": UNAVAILABLE + "the search cluster cannot be reached"}


@pytest.mark.parametrize(
    "args, environment, message",
    [
        (["--scheduler", "localhost"], {}, "--scheduler 'localhost': not a scheduler address"),
        (["--scheduler", "udp://127.0.0.1:8786"], {}, "--scheduler 'udp://127.0.0.1:8786': unsupported scheme 'udp'"),
        ([], {"SEARCHAPP_SEARCH_SCHEDULER": "nonsense://"}, "SEARCHAPP_SEARCH_SCHEDULER='nonsense://': not a scheduler address"),
    ],
)
def test_serve_names_a_bad_scheduler_address(sample_index, args, environment, message):
    done = CliRunner().invoke(main, ["serve", "--index-dir", str(sample_index), *args], env=environment)
    assert done.exit_code == 2
    assert f"error: {message}" in done.output


# ---------------------------------------------------------------------------------------------
# On a real cluster


def test_searches_on_the_cluster_answer_as_in_process_and_keep_the_shards_open(cluster, sharded):
    cluster.add_worker("w1")
    cluster.wait_for_workers(1)
    executor = DaskShardExecutor(cluster.address, timeout=30)
    remote, local = SearchIndex(sharded, executor=executor), SearchIndex(sharded, executor=InProcessExecutor())
    try:
        for request in REQUESTS:
            assert remote.search(request) == local.search(request), request.q
        first = held(cluster)
        assert sorted(first["w1"]) == shards_of(sharded)  # one worker: it holds every shard
        for request in REQUESTS:
            remote.search(request)
        assert held(cluster) == first  # the same open shards: none reopened by the second round
        with pytest.raises(BadRequest, match="^q: the query has 2 wildcard, prefix and range clauses; the limit is 1$"):  # as raised
            SearchIndex(sharded, limits=Limits(max_wildcards=1), executor=executor).search(SearchRequest(q="al* sy*"))
    finally:
        executor.close()


@pytest.mark.slow
def test_the_api_answers_on_the_cluster_as_in_process(cluster, sharded, sample_index):
    cluster.add_worker("w1")
    cluster.add_worker("w2")
    cluster.wait_for_workers(2)
    for index_dir in (sharded, sample_index):  # 3 shards, and one index (its own only shard)
        on_cluster = create_app({"TESTING": True, "INDEX_DIR": str(index_dir), "SEARCH_SCHEDULER": cluster.address})
        in_process = create_app({"TESTING": True, "INDEX_DIR": str(index_dir), "SEARCH_PROCESSES": "1"}).test_client()
        client = on_cluster.test_client()
        for url in ["/api/search?q=aleppo", "/api/search?q=&place=Syria&sort=oldest", "/api/search?q=alepo", "/api/search?q=%22security+council%22&page=2&per_page=1"]:
            answer = client.get(url)
            assert answer.status_code == 200
            assert answer.get_json() == in_process.get(url).get_json(), url
        assert client.get("/api/search?q=aleppo&page=0").get_json() == in_process.get("/api/search?q=aleppo&page=0").get_json()
        on_cluster.extensions["searchapp"].index.close()
    opened = [shard for shards in held(cluster).values() for shard in shards]
    assert sorted(opened) == sorted([*shards_of(sharded), str(sample_index)])  # each opened by one worker only


@pytest.mark.slow
def test_searchapp_serve_with_a_scheduler_answers_as_in_process(cluster, sharded, tmp_path):
    cluster.add_worker("w1")
    cluster.add_worker("w2")
    cluster.wait_for_workers(2)
    in_process = create_app({"TESTING": True, "INDEX_DIR": str(sharded), "SEARCH_PROCESSES": "1"}).test_client()
    with running_server(sharded, tmp_path / "serve.log", workers=2, extra=("--scheduler", cluster.address)) as port:
        for query in ["q=aleppo", "q=&place=Syria&sort=oldest", "q=alepo", "q=talks&page=2&per_page=1"] * 3:  # both gunicorn workers answer
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/search?{query}", timeout=30) as response:
                assert json.load(response) == in_process.get(f"/api/search?{query}").get_json(), query
    assert "searching on the Dask cluster " + cluster.address in (tmp_path / "serve.log").read_text()
    opened = [shard for shards in held(cluster).values() for shard in shards]
    assert sorted(opened) == shards_of(sharded)  # each shard opened by one Dask worker, whichever server process asked


@pytest.mark.slow
def test_shards_stay_on_their_workers_and_move_when_one_is_killed(cluster, sharded):
    cluster.add_worker("w1")
    cluster.add_worker("w2")
    cluster.wait_for_workers(2)
    shards = shards_of(sharded)
    local = SearchIndex(sharded, executor=InProcessExecutor())
    expected = [local.search(request) for request in REQUESTS]
    executor = DaskShardExecutor(cluster.address, timeout=30)
    remote = SearchIndex(sharded, executor=executor)
    try:
        assert [remote.search(request) for request in REQUESTS] == expected
        first = held(cluster)
        names = worker_names(cluster)
        placed = {shard: names[address] for shard, address in placement(shards, sorted(names)).items()}
        assert {name: sorted(opened) for name, opened in first.items()} == {
            name: sorted(shard for shard in shards if placed[shard] == name) for name in ("w1", "w2")
        }  # each shard opened on the worker placement gives it, and there only

        victim = placed[shards[0]]
        survivor = ({"w1", "w2"} - {victim}).pop()
        cluster.kill(victim)
        wait_for_worker_count(cluster, 1)
        assert [remote.search(request) for request in REQUESTS] == expected
        after = held(cluster)
        assert sorted(after[survivor]) == shards  # the victim's shards reopened on the survivor ...
        assert {shard: after[survivor][shard] for shard in first[survivor]} == first[survivor]  # ... which kept its own open
    finally:
        executor.close()


@pytest.mark.slow
def test_a_worker_killed_during_a_request_has_its_shard_searched_elsewhere(tmp_path, sharded):
    folder = tmp_path / "cluster"
    folder.mkdir()
    cluster = Cluster(folder, DASK_DISTRIBUTED__SCHEDULER__WORK_STEALING="False")  # the victim's task must wait there
    executor = DaskShardExecutor(cluster.address, timeout=60)
    try:
        cluster.add_worker("w1")
        cluster.add_worker("w2")
        cluster.wait_for_workers(2)
        shards = shards_of(sharded)
        victim_address = placement(shards, sorted(worker_names(cluster)))[shards[0]]
        victim = worker_names(cluster)[victim_address]
        request = SearchRequest(q="aleppo OR talks")
        expected = SearchIndex(sharded, executor=InProcessExecutor()).search(request)
        remote = SearchIndex(sharded, executor=executor)
        with cluster.client() as client:
            busy = client.submit(time.sleep, 120, workers=[victim_address], allow_other_workers=False, pure=False)  # holds its one thread
            answers: list = []
            searching = threading.Thread(target=lambda: answers.append(remote.search(request)))
            searching.start()
            deadline = time.monotonic() + 30
            while not any(str(key).startswith("searchapp-search-") for key in client.processing().get(victim_address, ())):
                assert time.monotonic() < deadline, client.processing()
                time.sleep(0.02)
            cluster.kill(victim)
            searching.join(timeout=60)
            assert answers == [expected]
            assert sorted(held(cluster)[({"w1", "w2"} - {victim}).pop()]) == shards  # every shard now on the survivor
            client.cancel(busy)
    finally:
        executor.close()
        cluster.stop()


@pytest.mark.slow
def test_no_worker_left_no_scheduler_or_too_slow_is_a_503(cluster, sharded):
    cluster.add_worker("w1")
    cluster.wait_for_workers(1)
    app = create_app({"TESTING": True, "INDEX_DIR": str(sharded), "SEARCH_SCHEDULER": cluster.address, "SEARCH_TIMEOUT": "2"})
    client = app.test_client()
    assert client.get("/api/search?q=aleppo").get_json()["total"] == 3

    with cluster.client() as dask:  # the only worker busy for longer than the search may take
        worker = next(iter(dask.nthreads()))
        busy = dask.submit(time.sleep, 120, workers=[worker], allow_other_workers=False, pure=False)
        while not dask.processing().get(worker):
            time.sleep(0.02)
        slow = client.get("/api/search?q=aleppo")
        assert slow.status_code == 503
        assert slow.get_json() == {"error": UNAVAILABLE + "the search did not finish within 2 s"}
        dask.cancel(busy)

    cluster.kill("w1")
    wait_for_worker_count(cluster, 0)
    answer = client.get("/api/search?q=aleppo")
    assert answer.status_code == 503
    assert answer.get_json() == {"error": UNAVAILABLE + "no search worker is running"}
    page = client.get("/?q=aleppo")
    assert page.status_code == 503
    assert BeautifulSoup(page.data, "html.parser").select_one("p.error").get_text() == UNAVAILABLE + "no search worker is running"

    cluster.stop()  # the scheduler too
    gone = client.get("/api/search?q=aleppo")
    assert gone.status_code == 503
    assert gone.get_json() == {"error": UNAVAILABLE + "the search cluster cannot be reached"}
    app.extensions["searchapp"].index.close()


def test_the_executor_says_who_it_cannot_reach():
    address = f"tcp://127.0.0.1:{free_port()}"
    executor = DaskShardExecutor(address, timeout=0.5)
    with pytest.raises(ServiceUnavailable, match=f"^search cluster {address}: cannot reach the Dask scheduler: ") as caught:
        executor.run(search_shard, [("/nowhere", None)])
    assert caught.value.status == 503 and caught.value.public_reason == "the search cluster cannot be reached"
    again = pickle.loads(pickle.dumps(caught.value))  # as it would come back from another process
    assert (type(again), str(again), again.public_reason) == (ServiceUnavailable, str(caught.value), caught.value.public_reason)
    assert executor.run(search_shard, []) == []  # nothing to search: no cluster needed
