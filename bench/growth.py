"""The growth curve: how each cost grows from 20,000 to 100,000 (to 1,000,000) articles.

    .venv/bin/python bench/run.py --only growth [--growth-sizes 20000,100000,1000000]

For each size N, the synthetic corpus of ``make_corpus.py --n N`` (Reuters-21578's 19,779 stories;
article k is story k mod 19,779 with its paragraphs rotated by k div 19,779, under another outlet and
date: from 20,000 on, most paragraphs are repeats, as republished wire copy is) is indexed:

* **cold**: a new index folder, its tag cache empty: every distinct paragraph goes through spaCy once;
* **warm**: ``searchapp index --rebuild`` of the same folder: the tag cache holds every paragraph,
  so the run measures everything but spaCy (reading, date resolution, normalisation, writing).

A size above ``cold_up_to`` (``--growth-cold-up-to``, 20,000 by default) is built **warm only**: its
tag cache is copied from the largest smaller size built (every size from 19,779 on holds the same
distinct paragraphs: the stories, rotated), so the 1M point costs the writing of a million articles
and not spaCy on paragraphs the 20k run tagged already; its cold build would be that tagging plus
the same writing, and is not run.

Then: index size (without the tag cache, given apart), start-up of ``searchapp serve`` to its first
answer, RSS of its largest worker after it has answered the 200 queries over HTTP, and p50/p95 of
``/api/search`` against bare Whoosh in this process (as section 2).  Both builds' results are kept
in ``bench/.cache/growth-N.json`` with the index, so a later run only searches again
(``--rebuild-scale`` builds again).
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import peer
import search

TAG_CACHE = "tag-cache"


def worker_rss_mb(pid: int) -> float:
    """Resident memory of the largest child of ``pid`` (a gunicorn worker), or of ``pid`` itself, in MB."""
    try:
        pids = [int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()] or [pid]
    except OSError:
        pids = [pid]
    largest = 0
    for p in pids:
        try:
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    largest = max(largest, int(line.split()[1]))
        except OSError:
            continue
    return largest / 1024


def folder_mb(folder: Path, skip: str | None = None) -> float:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file() and (skip is None or skip not in p.relative_to(folder).parts)) / 1e6


def cache_counts(summary: str) -> str:
    """"tagged T, reused R" of an index summary line."""
    marker = "paragraphs tagged "
    if marker not in summary:
        return "n/a"
    tagged, reused = summary.split(marker, 1)[1].split(" (tag cache)")[0].split(", reused ")
    return f"{int(tagged):,} / {int(reused):,}"


def build(n: int, cache: Path, make_corpus: Path, processes: int, run_index: Callable, rebuild: bool, seed: Path | None = None) -> dict:
    """The cold and warm builds of the n-article index (measured once, kept with it).

    ``seed``: a tag cache holding every paragraph of the corpus; the index is built warm only, in a
    new folder holding a copy of it (``cold`` is None).
    """
    corpus = cache / f"corpus-{n}.jsonl"
    if not corpus.exists():
        subprocess.run([sys.executable, str(make_corpus), "--n", str(n), str(corpus)], check=True, capture_output=True)
    index_dir = cache / f"growth-{n}"
    record = cache / f"growth-{n}.json"
    if not rebuild and record.exists() and index_dir.exists():
        return json.loads(record.read_text())
    commit = subprocess.run(["git", "describe", "--always", "--dirty"], cwd=Path(__file__).parent, capture_output=True, text=True).stdout.strip()
    options = ("--batch-size", "2000")
    if seed is None:
        cold, cold_summary, cold_peak = run_index(corpus, index_dir, processes, options)  # removes the folder, its tag cache with it
        warm, warm_summary, warm_peak = run_index(corpus, index_dir, processes, ("--rebuild", *options), fresh=False)
    else:
        shutil.rmtree(index_dir, ignore_errors=True)
        index_dir.mkdir(parents=True)
        shutil.copytree(seed, index_dir / TAG_CACHE)
        cold, cold_summary, cold_peak = None, "", None
        warm, warm_summary, warm_peak = run_index(corpus, index_dir, processes, options, fresh=False)
    result = {
        "n": n, "commit": commit, "processes": processes,
        "cold": cold, "cold_summary": cold_summary, "cold_peak_mb": cold_peak,
        "warm": warm, "warm_summary": warm_summary, "warm_peak_mb": warm_peak,
    }  # fmt: skip
    record.write_text(json.dumps(result, indent=1))
    return result


def measure(n: int, cache: Path, requests: list[dict], logs: Path) -> dict:
    index_dir = cache / f"growth-{n}"
    with peer.searchapp(index_dir, logs / f"growth-{n}.log") as (base, startup, process):
        peer.time_http([peer.searchapp_url(base, r) for r in requests])  # every worker has answered the queries
        rss = worker_rss_mb(process.pid)
    api, _ = search.time_api(index_dir, requests)
    bare = search.time_bare(index_dir, requests)
    return {
        "startup": startup, "rss": rss, "api": search.summary(api), "bare": search.summary(bare),
        "index_mb": folder_mb(index_dir, skip=TAG_CACHE), "tag_cache_mb": folder_mb(index_dir / TAG_CACHE) if (index_dir / TAG_CACHE).exists() else 0.0,
    }  # fmt: skip


COLD_UP_TO = 20_000  # sizes above are built warm only, their tag cache seeded from the largest smaller size


def _seconds(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.0f}"


def growth_section(
    sizes: list[int], cache: Path, make_corpus: Path, processes: int, run_index: Callable, requests: list[dict], logs: Path, rebuild: bool,
    cold_up_to: int = COLD_UP_TO,
) -> list[str]:  # fmt: skip
    rows = []
    for n in sorted(sizes):
        smaller = [m for m in sorted(sizes) if m < n and (cache / f"growth-{m}" / TAG_CACHE).is_dir()]
        if n > cold_up_to and not smaller:
            sys.exit(f"growth: {n:,} articles are built warm only (above --growth-cold-up-to {cold_up_to:,}): list a smaller size to seed its tag cache")
        seed = cache / f"growth-{smaller[-1]}" / TAG_CACHE if n > cold_up_to else None
        built = build(n, cache, make_corpus, processes, run_index, rebuild, seed)
        rows.append((built, measure(n, cache, requests, logs)))
        print(f"growth {n}: built {_seconds(built['cold'])} s cold, {built['warm']:.0f} s warm", flush=True)
    lines = [
        f"`make_corpus.py --n N` corpora, `searchapp index --processes {processes} --batch-size 2000`: **cold** = a new index folder "
        "(its tag cache empty), **warm** = `--rebuild` of that folder (every paragraph in the tag cache: the cost of everything but spaCy). "
        f"{len(requests)} queries as in section 2; RSS of the largest `searchapp serve` worker (2 workers) after answering them over HTTP. "
        f"Sizes above {cold_up_to:,} are built warm only, in a new folder seeded with the tag cache of the largest smaller size (cold: n/a).", "",
        "| articles | cold build s | paragraphs tagged / reused (cold) | warm build s | warm / cold | index MB | tag cache MB | serve start to first answer s | worker RSS MB | /api/search p50 / p95 ms | bare Whoosh p50 / p95 ms | p95 ratio |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]  # fmt: skip
    for built, m in rows:
        a, b = m["api"], m["bare"]
        cold = f"{built['cold']:.0f} | {cache_counts(built['cold_summary'])}" if built["cold"] else "n/a | n/a"
        ratio = f"**{built['warm'] / built['cold']:.2f}**" if built["cold"] else "n/a"
        lines.append(
            f"| {built['n']:,} | {cold} | {built['warm']:.0f} | {ratio} "
            f"| {m['index_mb']:.1f} | {m['tag_cache_mb']:.1f} | {m['startup']:.1f} | {m['rss']:.0f} | {a['p50']:.1f} / {a['p95']:.1f} | {b['p50']:.1f} / {b['p95']:.1f} | {a['p95'] / b['p95']:.2f} |"
        )
    if len(rows) > 1:
        (first, fm), (last, lm) = rows[0], rows[-1]
        scale = last["n"] / first["n"]

        def growth(x: float, y: float) -> str:
            return f"{y / x:.1f}x" if x else "n/a"

        lines += [
            "",
            f"From {first['n']:,} to {last['n']:,} articles ({scale:.0f}x): cold build {growth(first['cold'], last['cold']) if last['cold'] else 'n/a'}, warm build "
            f"{growth(first['warm'], last['warm'])}, index size {growth(fm['index_mb'], lm['index_mb'])}, worker RSS {growth(fm['rss'], lm['rss'])}, "
            f"start-up {growth(fm['startup'], lm['startup'])}, /api/search p95 {growth(fm['api']['p95'], lm['api']['p95'])}, bare Whoosh p95 "
            f"{growth(fm['bare']['p95'], lm['bare']['p95'])}.",
        ]
    lines += ["", "Build summaries: " + "; ".join(f"{b['n']:,} cold `{b['cold_summary'] or 'n/a'}`, warm `{b['warm_summary']}`" for b, _ in rows), ""]
    return lines

