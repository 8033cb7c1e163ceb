"""Ingest benchmark helpers for bench/run.py: the corpus as searchapp reads it, and the limit.

The limit of this design is spaCy's `nlp.pipe` with only the `ner` component, over the same
paragraphs, in the same number of processes; bench/run.py times `searchapp index` against it in the
same run, since this machine is shared and noisy: the ratio is the figure to watch.
"""

from __future__ import annotations

import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_CORPUS = ROOT.parent / "shared/corpora/reuters21578/reuters21578.jsonl.gz"


def load_articles(corpus: Path, limit: int | None):
    from searchapp.ingest.models import Article
    from searchapp.ingest.readers import read_paths
    articles = [a for a in read_paths([corpus]) if isinstance(a, Article)]
    return articles[:limit] if limit else articles


def spacy_reference(paragraphs: list[str], processes: int) -> float:
    from searchapp.ingest.tagging import load_pipeline
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
