"""Arabic places and dates: what tagging costs when indexing ANT, and how right it is on a judged sample.

    .venv/bin/python bench/arabic_tags.py [--corpus ANT.jsonl.gz] [--limit 3000] [--processes 1] [--rounds 2] [--skip-speed]

1. Speed and size: the first ``--limit`` ANT records indexed by :func:`searchapp.ingest.run.index_paths`,
   Arabic tagging off (``tag_arabic`` replaced by a function that finds nothing: the indexing of Arabic
   before issue 14's tagging) and on, interleaved ``--rounds`` times (the machine is shared: the best
   run of each counts); wall and CPU seconds (this process and its workers), the ratio (target: tagged
   within 20% of untagged) and the index size over the raw text (target <= 1.0x).
2. Quality: ``tests/eval/arabic-tags.jsonl``, articles of ANT judged by reading (ids and the expected
   place facet values and mentioned dates only, no ANT text): micro precision and recall of the place
   values (the named places, before the hierarchy adds their governorate and country) and of the
   mentioned dates, each article tagged as the indexer tags it; the misses and false values are listed.
   ``tests/eval/arabic-tags-heldout.jsonl`` is a second sample, judged after the rules had been tuned on
   the first one, so that one figure is not measured on the articles that shaped the rules.

Skipped (exit 0) when ../shared/corpora/ant-multisource is absent.
"""

from __future__ import annotations

import argparse
import gzip
import json
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ANT = ROOT.parent / "shared/corpora/ant-multisource/ant_multisource_v2.1.jsonl.gz"
JUDGED = ROOT / "tests/eval/arabic-tags.jsonl"
HELD_OUT = ROOT / "tests/eval/arabic-tags-heldout.jsonl"  # judged after the rules were settled on JUDGED
CORPUS = ANT


def _records(limit: int | None = None, ids: set[str] | None = None) -> list[dict]:
    found = []
    with gzip.open(CORPUS, "rt", encoding="utf-8") as handle:
        for line in handle:
            record = json.loads(line)
            if ids is not None and record["docno"] not in ids:
                continue
            found.append(record)
            if limit and len(found) >= limit:
                break
    return found


def _folder_bytes(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())


def speed(limit: int, processes: int, rounds: int) -> None:
    import resource

    from searchapp.ingest import tagging
    from searchapp.ingest.run import IndexOptions, index_paths

    records = _records(limit)
    work = Path(tempfile.mkdtemp(prefix="arabic-tags-"))
    corpus = work / "ant.jsonl"
    corpus.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8")
    raw = sum(len((r["title"] + "\n" + r["text"]).encode("utf-8")) for r in records)
    words = sum(len(r["text"].split()) for r in records)
    real = tagging.tag_arabic

    def untagged(paragraphs, published, aliases):
        return [], []

    def cpu() -> float:
        own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
        return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime

    runs: dict[str, list[tuple[float, float, int]]] = {"untagged": [], "tagged": []}
    try:
        index_paths([corpus], work / "warm", IndexOptions(processes=processes, rebuild=True))  # load every table once
        for _ in range(rounds):  # interleaved, so that the machine's load falls on both alike
            for label, function in (("untagged", untagged), ("tagged", real)):
                tagging.tag_arabic = function
                index_dir = work / "index"
                shutil.rmtree(index_dir, ignore_errors=True)
                started, started_cpu = time.perf_counter(), cpu()
                index_paths([corpus], index_dir, IndexOptions(processes=processes, rebuild=True))
                runs[label].append((time.perf_counter() - started, cpu() - started_cpu, _folder_bytes(index_dir)))
    finally:
        tagging.tag_arabic = real
        shutil.rmtree(work, ignore_errors=True)
    print(f"{len(records):,} ANT records, {words:,} words, {raw / 1e6:.1f} MB of text (title + text, UTF-8); "
          f"{processes} process(es), {rounds} interleaved rounds, best of each\n")  # fmt: skip
    print("| run | wall s | CPU s | words/s (wall) | index MB | index / raw text |")
    print("|---|---:|---:|---:|---:|---:|")
    best = {label: (min(r[0] for r in rows), min(r[1] for r in rows), rows[-1][2]) for label, rows in runs.items()}
    for label, (wall, cpu_seconds, size) in best.items():
        print(f"| {label} | {wall:.1f} | {cpu_seconds:.1f} | {words / wall:,.0f} | {size / 1e6:.1f} | {size / raw:.2f}x |")
    print(f"\nTagged / untagged throughput: **{best['untagged'][0] / best['tagged'][0]:.2f}** by wall time, "
          f"**{best['untagged'][1] / best['tagged'][1]:.2f}** by CPU time (all runs: {runs})\n")


def quality(judged_file: Path = JUDGED) -> None:
    from searchapp.ingest.dates import parse_published
    from searchapp.ingest.entities import load_aliases
    from searchapp.ingest.models import Article
    from searchapp.ingest.tagging import tag_articles

    judged = [json.loads(line) for line in judged_file.read_text(encoding="utf-8").splitlines() if line.strip()]
    records = {r["docno"]: r for r in _records(ids={j["id"] for j in judged})}
    articles = [
        Article(r["docno"], r["title"], [p for p in r["text"].split("\n") if p.strip()], "ant", r["source"], parse_published(r["time"]), language="ar")
        for r in (records[j["id"]] for j in judged)
    ]
    tagged = {t.article.id: t for t in tag_articles(articles, load_aliases())}
    totals = {"places": [0, 0, 0], "dates": [0, 0, 0]}  # right, found, expected
    errors: list[str] = []
    for entry in judged:
        t = tagged[entry["id"]]
        found = {"places": set(t.names("place")), "dates": {d.value for d in t.dates}}
        for kind in totals:
            expected = set(entry[kind])
            right = found[kind] & expected
            totals[kind][0] += len(right)
            totals[kind][1] += len(found[kind])
            totals[kind][2] += len(expected)
            for value in sorted(expected - found[kind]):
                errors.append(f"{entry['id']} {kind}: missed {value}")
            for value in sorted(found[kind] - expected):
                errors.append(f"{entry['id']} {kind}: false {value}")
    print(f"{len(judged)} judged articles ({judged_file.relative_to(ROOT)})\n")
    print("| | expected | found | right | precision | recall |")
    print("|---|---:|---:|---:|---:|---:|")
    for kind, (right, found_n, expected_n) in totals.items():
        print(f"| {kind} | {expected_n} | {found_n} | {right} | **{right / max(found_n, 1):.3f}** | **{right / max(expected_n, 1):.3f}** |")
    print("\nErrors:\n" + "\n".join(f"- {e}" for e in errors))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--corpus", type=Path, default=ANT, help="ANT's JSONL (default: ../shared beside the project)")
    parser.add_argument("--limit", type=int, default=3000)
    parser.add_argument("--processes", type=int, default=1, help="1: tagging in the indexing process, so CPU time is all of it")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--skip-speed", action="store_true")
    args = parser.parse_args()
    global CORPUS
    CORPUS = args.corpus
    if not CORPUS.exists():
        print(f"{CORPUS}: absent, nothing measured")
        return
    if not args.skip_speed:
        speed(args.limit, args.processes, args.rounds)
    quality(JUDGED)
    quality(HELD_OUT)


if __name__ == "__main__":
    sys.exit(main())
