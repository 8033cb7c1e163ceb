"""Ingest benchmark: `searchapp index` against spaCy's own NER-only throughput on the same text.

    .venv/bin/python bench/ingest.py [CORPUS] [--processes 2] [--limit N] [--write BENCHMARKS.md]

The reference is the limit of this design: spaCy's `nlp.pipe` with only the `ner` component, over
the same paragraphs, in the same number of processes.  Both are measured in the same run, since this
machine is shared and noisy: the ratio is the figure to watch.  Prints a Markdown table; with
--write, replaces the "Ingest" section of BENCHMARKS.md.
"""

from __future__ import annotations

import argparse
import datetime
import os
import platform
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_CORPUS = ROOT.parent / "shared/corpora/reuters21578/reuters21578.jsonl.gz"


def load_articles(corpus: Path, limit: int | None):
    from searchapp.models import Article
    from searchapp.sources import read_paths

    articles = [a for a in read_paths([corpus]) if isinstance(a, Article)]
    return articles[:limit] if limit else articles


def spacy_reference(paragraphs: list[str], processes: int) -> float:
    from searchapp.tagging import load_pipeline

    nlp = load_pipeline()
    started = time.perf_counter()
    for doc in nlp.pipe(paragraphs, n_process=processes, batch_size=64):
        doc.ents  # noqa: B018  (the work is done by pipe; touch the result)
    return time.perf_counter() - started


def write_subset(corpus: Path, target: Path, limit: int) -> Path:
    """The first records of a JSONL corpus (a few more than ``limit``: some have no text)."""
    import gzip

    opener = gzip.open if corpus.name.endswith(".gz") else open
    with opener(corpus, "rt", encoding="utf-8") as f, open(target, "w", encoding="utf-8") as out:
        for number, line in enumerate(f):
            if number >= limit * 1.2:
                break
            out.write(line)
    return target


def searchapp_index(corpus: Path, processes: int, limit: int | None) -> tuple[float, int, int]:
    """(seconds, index bytes, peak RSS kB of the largest process) of a fresh `searchapp index`."""
    workdir = Path(tempfile.mkdtemp(prefix="bench-ingest-"))
    source = write_subset(corpus, workdir / "subset.jsonl", limit) if limit else corpus
    index_dir = workdir / "index"
    command = [str(ROOT / ".venv/bin/searchapp"), "index", "--quiet", "--processes", str(processes), "--index-dir", str(index_dir), str(source)]
    started = time.perf_counter()
    completed = subprocess.run(command, capture_output=True, text=True)
    seconds = time.perf_counter() - started
    if completed.returncode not in (0, 1):
        sys.exit(f"searchapp index failed ({completed.returncode}):\n{completed.stderr[-2000:]}")
    print(completed.stderr.strip().splitlines()[-2 if completed.returncode else -1], file=sys.stderr)
    size = sum(p.stat().st_size for p in index_dir.rglob("*") if p.is_file())
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    shutil.rmtree(workdir, ignore_errors=True)
    return seconds, size, peak


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("corpus", nargs="?", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--processes", type=int, default=2)
    parser.add_argument("--limit", type=int, default=None, help="only the first N articles (smoke test)")
    parser.add_argument("--write", type=Path, default=None, help="replace the Ingest section of this Markdown file")
    args = parser.parse_args()
    if not args.corpus.exists():
        sys.exit(f"{args.corpus}: corpus not found (the shared corpora live in ../shared)")

    articles = load_articles(args.corpus, args.limit)
    paragraphs = [p for a in articles for p in a.paragraphs]
    words = sum(len(p.split()) for p in paragraphs)
    raw_bytes = sum(len(p.encode("utf-8")) for p in paragraphs)

    index_seconds, index_bytes, peak_kb = searchapp_index(args.corpus, args.processes, args.limit)
    spacy_seconds = spacy_reference(paragraphs, args.processes)

    rows = [
        ("spaCy nlp.pipe, ner only (the limit)", spacy_seconds, len(articles) / spacy_seconds, words / spacy_seconds, "1.00"),
        ("searchapp index", index_seconds, len(articles) / index_seconds, words / index_seconds, f"{spacy_seconds / index_seconds:.2f}"),
    ]
    today = datetime.date.today().isoformat()
    machine = f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
    commit = subprocess.run(["git", "describe", "--always", "--dirty"], cwd=ROOT, capture_output=True, text=True).stdout.strip()
    lines = [
        f"Corpus `{args.corpus.name}`: {len(articles):,} articles with text, {len(paragraphs):,} paragraphs, {words:,} words, {raw_bytes / 1e6:.1f} MB of text. "
        f"{args.processes} processes; measured {today} on {machine}, searchapp at {commit or 'unknown commit'}.",
        "",
        "| run | seconds | articles/s | words/s | ratio to the limit |",
        "|---|---:|---:|---:|---:|",
        *[f"| {name} | {s:.1f} | {a:,.0f} | {w:,.0f} | {r} |" for name, s, a, w, r in rows],
        "",
        f"Index size {index_bytes / 1e6:.1f} MB = {index_bytes / raw_bytes:.2f} x the raw text; peak RSS of the largest indexing process {peak_kb / 1024:.0f} MB.",
    ]
    table = "\n".join(lines)
    print(table)
    if args.write:
        command = "`.venv/bin/python bench/ingest.py" + (f" {args.corpus}" if args.corpus != DEFAULT_CORPUS else "") + f" --processes {args.processes} --write {args.write.name}`"
        section = f"## Ingest\n\nCommand: {command}\n\n{table}\n"
        text = args.write.read_text(encoding="utf-8") if args.write.exists() else "# Benchmarks\n"
        start = text.find("## Ingest")
        if start >= 0:
            end = text.find("\n## ", start + 1)
            text = text[:start] + section + (text[end + 1 :] if end >= 0 else "")
        else:
            text = text.rstrip() + "\n\n" + section
        args.write.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
