"""Tagging on a Dask cluster against local processes, and the single writer's ceiling.

    .venv/bin/python bench/cluster.py [--limit 3000] [--processes 2]

Runs `searchapp index` on the same Reuters articles four ways and prints articles/s:

* local processes (`--processes N`, the default way);
* a Dask scheduler with 1, then 2 workers (`dask worker --nthreads 1`), started on loopback; as
  the local processes do, each worker loads the spaCy pipeline during the run (its first batch);
* the writer alone: the same articles with their tags computed beforehand and handed to the
  indexer (`index_paths(..., tagger=...)`), i.e. reading, hashing, near-duplicate sketches and
  Whoosh writing: how fast one writer can consume tagged batches, whatever the cluster's size.

The workers per writer at which a single writer saturates is the writer's rate over one worker's.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = ROOT / ".venv/bin"


@contextmanager
def dask_cluster(workers: int, folder: Path) -> Iterator[str]:
    """A scheduler and ``workers`` one-thread workers on loopback, all connected; yields the address."""
    from distributed import Client

    scheduler_file = folder / f"scheduler-{workers}.json"
    logs = open(folder / f"cluster-{workers}.log", "wb")  # noqa: SIM115 - closed below
    command = [str(BIN / "dask"), "scheduler", "--host", "127.0.0.1", "--port", "0", "--no-dashboard", "--scheduler-file", str(scheduler_file)]
    processes = [subprocess.Popen(command, stdout=logs, stderr=subprocess.STDOUT, start_new_session=True)]
    try:
        deadline = time.monotonic() + 60
        while not scheduler_file.exists():
            if time.monotonic() > deadline:
                sys.exit(f"the Dask scheduler did not start; see {logs.name}")
            time.sleep(0.1)
        address = json.loads(scheduler_file.read_text())["address"]
        for n in range(workers):
            worker = [str(BIN / "dask"), "worker", address, "--nthreads", "1", "--no-dashboard", "--host", "127.0.0.1", "--name", f"w{n}"]
            processes.append(subprocess.Popen(worker, stdout=logs, stderr=subprocess.STDOUT, start_new_session=True))
        with Client(address, timeout=60, set_as_default=False) as client:
            client.wait_for_workers(workers, timeout=120)
        yield address
    finally:
        for process in processes:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        for process in processes:
            process.wait(timeout=60)
        logs.close()


class PretaggedTagger:
    """Hands the indexer tags computed beforehand: the writer's own ceiling."""

    threads = 1

    def __init__(self, tags: dict[str, tuple]) -> None:
        self.tags = tags

    def __enter__(self) -> PretaggedTagger:
        return self

    def __exit__(self, *exc) -> None:
        pass

    def describe(self) -> str:
        return "pre-tagged"

    def tag(self, batches: Iterable[list], backlog: int = 0) -> Iterator[list]:
        from searchapp.ingest.models import TaggedArticle

        for batch in batches:
            yield [TaggedArticle(article, *self.tags[article.id]) for article in batch]


def pretag(corpus: Path, processes: int) -> dict[str, tuple]:
    """Tags of every article of ``corpus`` by id (mentions, dates, language), tagged in ``processes`` processes."""
    from searchapp.ingest.entities import load_aliases
    from searchapp.ingest.models import Article
    from searchapp.ingest.parallel import ParallelTagger
    from searchapp.ingest.readers import read_paths
    articles = [item for item in read_paths([corpus]) if isinstance(item, Article)]
    batches = [articles[i : i + 64] for i in range(0, len(articles), 64)]
    tags = {}
    with ParallelTagger(processes, load_aliases()) as tagger:
        for tagged_batch in tagger.tag(batches):
            tags.update({t.article.id: (t.mentions, t.dates, t.language) for t in tagged_batch})
    return tags


def writer_ceiling(corpus: Path, index_dir: Path, processes: int) -> tuple[float, int]:
    """(seconds, articles) of indexing ``corpus`` from tags computed beforehand."""
    from searchapp.ingest.run import IndexOptions, index_paths
    tags = pretag(corpus, processes)
    started = time.perf_counter()
    summary = index_paths([corpus], index_dir, IndexOptions(rebuild=True), tagger=PretaggedTagger(tags))
    return time.perf_counter() - started, summary.indexed


def cluster_section(corpus: Path, processes: int, run_index) -> list[str]:
    """The table for BENCHMARKS.md; ``run_index(corpus, index_dir, processes, extra)`` times one CLI run."""
    rows = []
    with tempfile.TemporaryDirectory(prefix="searchapp-cluster-") as tmp:
        folder = Path(tmp)
        seconds, summary, _ = run_index(corpus, folder / "local", processes)
        articles = int(summary.split("indexed ")[1].split()[0])
        rows.append((f"local, {processes} processes", seconds))
        for workers in (1, 2):
            with dask_cluster(workers, folder) as address:
                seconds, summary, _ = run_index(corpus, folder / f"cluster-{workers}", processes, ("--scheduler", address))
            rows.append((f"Dask, {workers} worker{'s' if workers > 1 else ''} × 1 thread", seconds))
        ceiling, written = writer_ceiling(corpus, folder / "writer", processes)
    assert written == articles, (written, articles)
    local = articles / rows[0][1]
    one_worker = articles / rows[1][1]
    lines = [
        f"{articles:,} Reuters articles (`{corpus.name}`), `searchapp index --batch-size 500`; scheduler and workers on loopback, "
        "on the same cores as the indexer; every run includes its processes' or workers' loading of spaCy.",
        "",
        "| run | seconds | articles/s | ratio to local |",
        "|---|---:|---:|---:|",
    ]
    lines += [f"| {name} | {s:.1f} | {articles / s:,.0f} | {local and (articles / s) / local:.2f} |" for name, s in rows]
    lines.append(f"| the writer alone (pre-tagged input) | {ceiling:.1f} | {articles / ceiling:,.0f} | {(articles / ceiling) / local:.2f} |")
    lines += [
        "",
        f"One writer consumes **{articles / ceiling:,.0f} articles/s**; one tagging worker produces {one_worker:,.0f}: "
        f"a single writer keeps up with about **{(articles / ceiling) / one_worker:.0f} workers** of this speed, beyond which it is the bottleneck.",
        "",
    ]
    return lines


def main() -> None:
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    import ingest
    import run

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--limit", type=int, default=3000, help="Reuters articles (records read) to index")
    parser.add_argument("--processes", type=int, default=os.cpu_count() or 2)
    args = parser.parse_args()
    run.CACHE.mkdir(parents=True, exist_ok=True)
    corpus = ingest.write_subset(run.REUTERS, run.CACHE / f"reuters21578-{args.limit}.jsonl", args.limit)
    print("\n".join(cluster_section(corpus, args.processes, run.run_index)))


if __name__ == "__main__":
    main()
