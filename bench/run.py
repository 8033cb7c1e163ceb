"""The benchmark suite: `make bench` runs it, prints the table and rewrites BENCHMARKS.md.

    .venv/bin/python bench/run.py [--write BENCHMARKS.md] [--smoke] [--only ingest,search,peer,load,start,cluster,growth,shards,dask] [--growth-sizes 20000,100000,1000000]

1. Ingest: `searchapp index` on Reuters-21578 against spaCy's NER-only `nlp.pipe` on the same
   paragraphs with the same number of processes (the limit of this design), index size / raw text,
   peak memory; the Arabic ANT corpus (indexed untagged) for throughput and size.
2. Search: p50/p95 of `/api/search` (5 facets + 10 highlighted snippets) over the 200 fixed
   queries, a third with an outlet and a year filter, on the 100k-article corpus, against a bare
   Whoosh search of the same parsed queries in the same process.
3. Peer: the same corpus in Datasette + SQLite FTS5 (facets on outlet and year, 10 rows), both
   over HTTP, same queries: searchapp / Datasette, p50 and p95.
4. Load: wrk for 60 s at 8 and 32 connections against `searchapp serve`.
5. Start: seconds from `searchapp serve` to the first answered search on the 100k index.
6. Scale out: `searchapp index` with tagging on a Dask cluster of 1 and 2 workers on loopback
   against local processes, and the single writer's ceiling (pre-tagged input): bench/cluster.py.
7. Growth: 20k, 100k and 1M-article indexes (20k cold and warm, the larger warm from its tag
   cache), with index size, serving worker RSS, start-up and search latency: bench/growth.py.
8. Shards: p50/p95 of `/api/search` and of the search alone on one 20k index against the same
   corpus in 2 shards searched by 2 processes, in one run: bench/shards.py.
9. Search on a Dask cluster: what the scatter/gather to 1 and 2 workers adds to a search of 2
   shards, against the shards searched in process and by 2 local processes: bench/dask_search.py.

Ratios against a reference measured in the same run are the targets (the machine is shared and
noisy); absolute figures are printed too.  --smoke runs everything on a few hundred articles in a
few minutes, so the suite cannot rot (tests/test_bench.py).
"""

from __future__ import annotations

import argparse
import datetime
import os
import platform
import shutil
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import cluster  # noqa: E402
import dask_search  # noqa: E402
import growth  # noqa: E402
import ingest  # noqa: E402
import load  # noqa: E402
import peer  # noqa: E402
import search  # noqa: E402
import shards  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
SHARED = next((p / "shared" for p in (ROOT.parent, ROOT.parent.parent) if (p / "shared").is_dir()), ROOT.parent / "shared")  # beside the project, or beside its worktrees
CACHE = ROOT / "bench" / ".cache"
REUTERS = SHARED / "corpora/reuters21578/reuters21578.jsonl.gz"
ANT = SHARED / "corpora/ant-multisource/ant_multisource_v2.1.jsonl.gz"
MAKE_CORPUS = SHARED / "bench/make_corpus.py"
TARGETS = {
    "ingest": "≥ 0.8 of spaCy NER-only throughput; index ≤ 1.5x raw text",
    "search": "p95 ≤ 2x bare Whoosh and ≤ 150 ms",
    "peer": "searchapp p50 no slower than Datasette",
    "load": "0 errors, memory stable",
    "shards": "sharded search on 2 cores ≥ 1.6x faster at p50 than one shard",
}


def run_index(corpus: Path, index_dir: Path, processes: int, extra: tuple[str, ...] = (), fresh: bool = True) -> tuple[float, str, float]:
    """Wall seconds of a `searchapp index` run (``fresh``: in a new folder), its summary line and its peak RSS in MB."""
    if fresh:
        shutil.rmtree(index_dir, ignore_errors=True)
    command = [str(ROOT / ".venv/bin/searchapp"), "index", "--quiet", "--processes", str(processes), "--index-dir", str(index_dir), *extra, str(corpus)]
    started = time.perf_counter()
    with open(index_dir.parent / f"{index_dir.name}.log", "w+", encoding="utf-8") as log:
        process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
        _, status, usage = os.wait4(process.pid, 0)
        process.returncode = os.waitstatus_to_exitcode(status)
        seconds = time.perf_counter() - started
        log.seek(0)
        output = log.read()
    if process.returncode not in (0, 1):
        sys.exit(f"searchapp index failed ({process.returncode}):\n{output[-3000:]}")
    summary = next((line for line in output.splitlines() if line.startswith(("read ", "interrupted"))), "")
    # wait4 reports this run alone: the largest of the indexer and its tagging processes
    return seconds, summary, usage.ru_maxrss / 1024


def folder_bytes(folder: Path) -> int:
    """Bytes of the index in ``folder``; its tag cache (``tag-cache/``, kept beside it) is not the index."""
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file() and growth.TAG_CACHE not in p.relative_to(folder).parts)


def ingest_section(corpus: Path, processes: int, limit: int | None, with_reference: bool) -> list[str]:
    articles = ingest.load_articles(corpus, limit)
    paragraphs = [p for a in articles for p in a.paragraphs]
    words = sum(len(p.split()) for p in paragraphs)
    raw = sum(len(p.encode("utf-8")) for p in paragraphs)
    source = corpus
    if limit:
        source = CACHE / f"{corpus.name.split('.')[0]}-{limit}.jsonl"
        ingest.write_subset(corpus, source, limit)
    index_dir = CACHE / f"ingest-{corpus.name.split('.')[0]}"
    seconds, summary, peak = run_index(source, index_dir, processes)
    size = folder_bytes(index_dir)
    lines = [f"`{corpus.name}`{f' (first {limit})' if limit else ''}: {len(articles):,} articles with text, {words:,} words, {raw / 1e6:.1f} MB of text; {processes} processes.", ""]
    lines += ["| run | seconds | articles/s | words/s | ratio to the limit |", "|---|---:|---:|---:|---:|"]
    if with_reference:
        reference = ingest.spacy_reference(paragraphs, processes)
        lines.append(f"| spaCy nlp.pipe, ner only (the limit) | {reference:.1f} | {len(articles) / reference:,.0f} | {words / reference:,.0f} | 1.00 |")
        ratio = f"**{reference / seconds:.2f}**"
    else:
        ratio = "n/a (not tagged)"
    lines.append(f"| searchapp index | {seconds:.1f} | {len(articles) / seconds:,.0f} | {words / seconds:,.0f} | {ratio} |")
    lines += ["", f"Index {size / 1e6:.1f} MB = **{size / raw:.2f}x** the raw text; peak RSS of the largest indexing process {peak:.0f} MB. Summary: `{summary}`", ""]
    shutil.rmtree(index_dir, ignore_errors=True)
    return lines


def scale_index(n: int, processes: int, rebuild: bool) -> tuple[Path, Path, list[str]]:
    """The n-article corpus and its index, built once and kept in bench/.cache (20+ minutes at 100k)."""
    corpus = CACHE / f"corpus-{n}.jsonl"
    if not corpus.exists():
        subprocess.run([sys.executable, str(MAKE_CORPUS), "--n", str(n), str(corpus)], check=True, capture_output=True)
    index_dir = CACHE / f"index-{n}"
    stamp = CACHE / f"index-{n}.built"
    if rebuild or not stamp.exists() or not index_dir.exists():
        commit = subprocess.run(["git", "describe", "--always", "--dirty"], cwd=ROOT, capture_output=True, text=True).stdout.strip()
        seconds, summary, _ = run_index(corpus, index_dir, processes, ("--batch-size", "2000"))
        stamp.write_text(f"searchapp {commit}, {seconds:.0f} s: `{summary}`\n")
    built = stamp.read_text().strip()
    lines = [f"The {n:,}-article corpus (`make_corpus.py --n {n}`), {folder_bytes(index_dir) / 1e6:.0f} MB of index, built by {built} "
             "(kept in bench/.cache between runs; `--rebuild-scale` builds it again)."]  # fmt: skip
    return corpus, index_dir, lines


def report(lines: list[str], shown: int) -> int:
    """Print the lines not printed yet; returns how many are printed now."""
    print("\n".join(lines[shown:]), flush=True)
    return len(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--write", type=Path, default=None)
    parser.add_argument("--smoke", action="store_true", help="tiny corpora and short runs: checks the suite works")
    parser.add_argument("--only", default="ingest,search,peer,load,start,cluster,growth,shards,dask")
    parser.add_argument(
        "--growth-sizes",
        default="20000,100000,1000000",
        help="article counts of the growth curve (1000000: an estimated 1.5-2 h of warm build on 2 cores; leave it out for a quick run)",
    )
    parser.add_argument("--processes", type=int, default=os.cpu_count() or 2)
    parser.add_argument(
        "--growth-cold-up-to",
        type=int,
        default=growth.COLD_UP_TO,
        help="sizes above are built warm only (tag cache seeded from a smaller size)",
    )
    parser.add_argument("--rebuild-scale", action="store_true", help="build the 100k index (and the growth curve's) again")
    args = parser.parse_args()
    only = set(args.only.split(","))
    if not REUTERS.exists():
        sys.exit(f"{REUTERS}: the shared corpora are needed (../shared beside the project)")
    CACHE.mkdir(parents=True, exist_ok=True)
    n, limit, queries_n, seconds = (300, 200, 12, 3) if args.smoke else (100_000, None, None, 60)
    requests = search.bench_requests(search.load_queries()[:queries_n])
    out: list[str] = []
    today = datetime.date.today().isoformat()
    commit = subprocess.run(["git", "describe", "--always", "--dirty"], cwd=ROOT, capture_output=True, text=True).stdout.strip()
    machine = f"{platform.machine()}, {os.cpu_count()} cores, {os.sysconf('SC_PAGE_SIZE') * os.sysconf('SC_PHYS_PAGES') / 2**30:.0f} GiB, Python {platform.python_version()}"
    out += [f"Measured {today} on {machine} (shared, noisy), searchapp at {commit}.", f"Command: `make bench` (`.venv/bin/python bench/run.py --write BENCHMARKS.md`){' --smoke' if args.smoke else ''}.", ""]

    if "ingest" in only:
        out += ["## 1. Ingest", "", f"Target: {TARGETS['ingest']}.", ""]
        out += ingest_section(REUTERS, args.processes, limit, with_reference=True)
        if ANT.exists():
            out += ingest_section(ANT, args.processes, limit, with_reference=False)
    shown = report(out, 0)

    if only & {"search", "peer", "load", "start"}:
        corpus, index_dir, lines = scale_index(n, args.processes, args.rebuild_scale or args.smoke)
        out += ["## 2. Search", "", f"Target: {TARGETS['search']}.", "", *lines, ""]
    if "search" in only:
        api, warm = search.time_api(index_dir, requests)
        bare = search.time_bare(index_dir, requests)
        a, b = search.summary(api), search.summary(bare)
        out += [
            f"{len(requests)} queries ({sum('outlet' in r for r in requests)} with an outlet and a year filter), in process, one after another.", "",
            "| | p50 ms | p95 ms | mean ms |", "|---|---:|---:|---:|",
            f"| bare Whoosh (limit 10, no facets, no highlights) | {b['p50']:.1f} | {b['p95']:.1f} | {b['mean']:.1f} |",
            f"| searchapp `/api/search` (5 facets, 10 snippets) | {a['p50']:.1f} | {a['p95']:.1f} | {a['mean']:.1f} |",
            f"| ratio | {a['p50'] / b['p50']:.2f} | **{a['p95'] / b['p95']:.2f}** | {a['mean'] / b['mean']:.2f} |", "",
            f"First request after opening the index (builds the facet table of the generation): {warm:.0f} ms.", "",
        ]  # fmt: skip
        shown = report(out, shown)

    logs = CACHE / "logs"
    logs.mkdir(exist_ok=True)
    if "peer" in only:
        db = peer.build_db(corpus, CACHE / f"peer-{n}.db")
        with peer.datasette(db, logs / "datasette.log") as (theirs, _, _p), peer.searchapp(index_dir, logs / "searchapp.log") as (base, _, _q):
            peer_urls, our_urls = [peer.datasette_url(theirs, r, db.stem) for r in requests], [peer.searchapp_url(base, r) for r in requests]
            peer.time_http_interleaved(peer_urls[:20], our_urls[:20])  # both warmed up: pages cached, each worker's facet table built
            peer_times, ours = peer.time_http_interleaved(peer_urls, our_urls)
        p, o = search.summary(peer_times), search.summary(ours)
        out += [
            "## 3. Peer: Datasette + SQLite FTS5", "", f"Target: {TARGETS['peer']}. Same corpus and queries, over HTTP on loopback, one at a time, "
            "both servers up and the two requests of each query sent one after the other (which goes first alternates), after 20 queries each to warm up; "
            "Datasette 0.65.5 with sqlite-utils (FTS5, no stemming, rank-free, facets on outlet and year, 10 rows); searchapp with 2 workers.", "",
            "| | p50 ms | p95 ms |", "|---|---:|---:|",
            f"| Datasette | {p['p50']:.1f} | {p['p95']:.1f} |",
            f"| searchapp | {o['p50']:.1f} | {o['p95']:.1f} |",
            f"| searchapp / Datasette | **{o['p50'] / p['p50']:.2f}** | {o['p95'] / p['p95']:.2f} |", "",
        ]  # fmt: skip
        shown = report(out, shown)

    if "load" in only or "start" in only:
        with peer.searchapp(index_dir, logs / "searchapp-load.log") as (base, startup, process):
            if "load" in only:
                rows = [load.run_wrk(base, requests, c, seconds, process.pid, slow) for c, slow in ((8, 0), (32, 0), (32, 25))]
                out += ["## 4. Load", "", f"Target: {TARGETS['load']}. wrk on loopback, {seconds} s per run, the queries in turn, `searchapp serve` with 2 workers (8 threads each) on the {n:,}-article index; the last row holds 25 idle and 25 half-sent (slowloris) connections open throughout.", "",
                        "| connections | slow clients | requests/s | p99 ms | errors | server RSS before → after MB |", "|---:|---:|---:|---:|---:|---|"]  # fmt: skip
                for r in rows:
                    out.append(f"| {r['connections']} | {2 * r['slow']} | {r['requests_per_s']:.1f} | {r['p99_ms']:.0f} | {r['socket_errors'] + r['non_2xx']} | {r['rss_before_mb']:.0f} → {r['rss_after_mb']:.0f} |")
                out.append("")
            if "start" in only:
                out += ["## 5. Start", "", f"`searchapp serve` to the first answered search on the {n:,}-article index: **{startup:.1f} s** (gunicorn, 2 workers; includes the facet table).", ""]
        shown = report(out, shown)

    if "cluster" in only:
        subset = ingest.write_subset(REUTERS, CACHE / f"reuters21578-{limit or 3000}.jsonl", limit or 3000)
        out += ["## 6. Scale out: tagging on a Dask cluster", "", *cluster.cluster_section(subset, args.processes, run_index)]
        shown = report(out, shown)

    if "growth" in only:
        sizes = [200, 400] if args.smoke else [int(size) for size in args.growth_sizes.split(",")]
        out += ["## Growth: 20,000 to 1,000,000 articles (issue 17)", "", *growth.growth_section(
            sizes, CACHE, MAKE_CORPUS, args.processes, run_index, requests, logs, args.rebuild_scale or args.smoke, 200 if args.smoke else args.growth_cold_up_to
        )]  # fmt: skip
        shown = report(out, shown)

    if "shards" in only:
        out += ["## Shards: every core on one search (issue 17)", "", "Target: sharded search on 2 cores at least 1.6x faster at p50 than one shard.", ""]
        out += shards.section(300 if args.smoke else 20_000, 2, 2, requests)
        shown = report(out, shown)

    if "dask" in only:
        out += ["## 9. Search on a Dask cluster: the cost of a scatter/gather (issue 17)", "", *dask_search.dask_section(
            300 if args.smoke else 2000, 1 if args.smoke else 2, CACHE, queries_n
        )]  # fmt: skip
        shown = report(out, shown)

    if args.write:
        header = "# Benchmarks\n\nWritten by `make bench` (bench/run.py); ratios against a reference measured in the same run are the figures to compare.\n\n"
        notes = (ROOT / "bench" / "NOTES.md").read_text(encoding="utf-8") if (ROOT / "bench" / "NOTES.md").exists() else ""
        args.write.write_text(header + "\n".join(out) + "\n" + notes, encoding="utf-8")


if __name__ == "__main__":
    main()
