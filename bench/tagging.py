"""Tagging throughput against spaCy NER-only, in one process, on the same paragraphs.

    .venv/bin/python bench/tagging.py [CORPUS ...]

For each corpus (default: FA-KES dev and the first 1,000 Reuters-21578 stories of ../shared):
the seconds of ``tag_articles`` (rulers, NER, furniture masking, actor rules, dates,
normalisation: everything the indexer's workers do) and of plain ``nlp.pipe`` with the ``ner``
component of the same model and nothing else (the limit), each after a warm-up, and the ratio.
The target (BENCHMARKS.md) is a ratio of at least 0.8.  No index is written.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))
SHARED = next((p / "shared" for p in (ROOT.parent, ROOT.parent.parent) if (p / "shared").is_dir()), ROOT.parent / "shared")
DEFAULTS = [(SHARED / "corpora/fakes-dev/fakes-dev.csv", None), (SHARED / "corpora/reuters21578/reuters21578.jsonl.gz", 1000)]


def main(paths: list[str]) -> None:
    import spacy
    from ingest import load_articles  # bench/ingest.py

    from searchapp.ingest.entities import load_aliases
    from searchapp.ingest.tagging import EXCLUDED, MODEL, load_pipeline, tag_articles

    plain = spacy.load(MODEL, exclude=EXCLUDED)
    load_pipeline()
    aliases = load_aliases()
    corpora = [(Path(p), None) for p in paths] or DEFAULTS
    print("| corpus | articles | words | spaCy ner only (s) | tag_articles (s) | ratio |\n|---|---:|---:|---:|---:|---:|")
    for corpus, limit in corpora:
        articles = load_articles(corpus, limit)
        paragraphs = [p for a in articles for p in a.paragraphs]
        words = sum(len(p.split()) for p in paragraphs)
        list(plain.pipe(paragraphs[:50]))
        tag_articles(articles[:20], aliases)  # warm-up: gazetteer tables, lazy imports
        started = time.perf_counter()
        for doc in plain.pipe(paragraphs, batch_size=64):
            doc.ents  # noqa: B018
        reference = time.perf_counter() - started
        started = time.perf_counter()
        tag_articles(articles, aliases)
        ours = time.perf_counter() - started
        print(f"| {corpus.name} | {len(articles)} | {words:,} | {reference:.1f} | {ours:.1f} | **{reference / ours:.2f}** |")


if __name__ == "__main__":
    main(sys.argv[1:])
