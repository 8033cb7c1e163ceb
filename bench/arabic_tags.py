"""Arabic places and dates: what tagging costs when indexing ANT, and how right it is on a judged sample.

    .venv/bin/python bench/arabic_tags.py [--corpus ANT.jsonl.gz] [--limit 3000] [--processes 2] [--skip-speed]

1. Speed and size: the first ``--limit`` ANT records indexed twice in the same run by
   :func:`searchapp.ingest.run.index_paths`, Arabic tagging off (``tag_arabic`` replaced by a function
   that finds nothing: the indexing of Arabic before issue 14's tagging) and on; words/s of each, the
   ratio (target: tagged within 20% of untagged) and the index size over the raw text (target <= 1.0x).
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


def speed(limit: int, processes: int) -> None:
    from searchapp.ingest import tagging
    from searchapp.ingest.run import IndexOptions, index_paths

    records = _records(limit)
    work = Path(tempfile.mkdtemp(prefix="arabic-tags-"))
    corpus = work / "ant.jsonl"
    corpus.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8")
    raw = sum(len((r["title"] + "\n" + r["text"]).encode("utf-8")) for r in records)
    words = sum(len(r["text"].split()) for r in records)
    real = tagging.tag_arabic
    rows = []
    try:
        for label, function in (("untagged", lambda paragraphs, published, aliases: ([], [])), ("tagged", real), ("untagged again", None), ("tagged again", real)):
            tagging.tag_arabic = function or (lambda paragraphs, published, aliases: ([], []))
            index_dir = work / "index"
            shutil.rmtree(index_dir, ignore_errors=True)
            started = time.perf_counter()
            summary = index_paths([corpus], index_dir, IndexOptions(processes=processes, rebuild=True))
            seconds = time.perf_counter() - started
            rows.append((label, seconds, _folder_bytes(index_dir), summary.indexed))
    finally:
        tagging.tag_arabic = real
        shutil.rmtree(work, ignore_errors=True)
    print(f"{len(records):,} ANT records, {words:,} words, {raw / 1e6:.1f} MB of text (title + text, UTF-8); {processes} processes\n")
    print("| run | seconds | words/s | index MB | index / raw text |")
    print("|---|---:|---:|---:|---:|")
    for label, seconds, size, _ in rows:
        print(f"| {label} | {seconds:.1f} | {words / seconds:,.0f} | {size / 1e6:.1f} | {size / raw:.2f}x |")
    untagged = sum(s for label, s, _, _ in rows if label.startswith("untagged"))
    tagged = sum(s for label, s, _, _ in rows if label.startswith("tagged"))
    print(f"\nTagged / untagged throughput (both runs of each): **{untagged / tagged:.2f}**\n")


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
    parser.add_argument("--processes", type=int, default=2)
    parser.add_argument("--skip-speed", action="store_true")
    args = parser.parse_args()
    global CORPUS
    CORPUS = args.corpus
    if not CORPUS.exists():
        print(f"{CORPUS}: absent, nothing measured")
        return
    if not args.skip_speed:
        speed(args.limit, args.processes)
    quality(JUDGED)
    quality(HELD_OUT)


if __name__ == "__main__":
    sys.exit(main())
