"""The corpus-wide pass (kinds by the majority, acronyms joined across articles): what it costs an index run.

    .venv/bin/python bench/corpus.py [--limit 3000] [CORPUS ...]

For each corpus (default: the first ``--limit`` Reuters-21578 stories and FA-KES dev, from ../shared):

1. the articles are tagged in this process (``tag_articles``), timed: what the pass is compared with;
2. all but the last 10 are indexed from those tags with the pass off (the writer alone, not timed);
3. the pass runs as at the end of that first build (:func:`searchapp.ingest.corpus.corpus_pass`): every
   article's evidence gathered, the corpus aliases derived and applied to the articles they touch;
4. the pass again, nothing changed: the kept evidence read, nothing rewritten (the floor of every
   index run that changes the index);
5. the last 10 articles indexed, the pass ending the run: their evidence gathered, the rest kept
   (an index run that adds 10 articles; the pass's own seconds);
6. ``searchapp entities --corpus-pass``: every article normalised again (``everything``); none
   changes (the check that the incremental passes left every article as the corpus aliases make it).

Prints a Markdown table: seconds, and seconds per 10,000 articles, of each step, the entries the
pass derived, the articles it rewrote and the bytes of kept evidence per article.  One process.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))
from curate import Pretagged, print_table, tagged_corpus  # noqa: E402  (bench/curate.py)


def measure(corpus: Path, limit: int | None, folder: Path) -> str:
    from searchapp.ingest.corpus import corpus_pass, index_aliases
    from searchapp.ingest.run import IndexOptions, index_paths
    from searchapp.ingest.tagging import tag_articles
    from searchapp.store.index import CORPUS_EVIDENCE_FILE, IndexerLock, open_index

    corpus, articles, tags, tagging = tagged_corpus(corpus, limit, folder)
    tagged = {t.article.id: t for t in tags}
    index_dir = folder / f"index-{corpus.stem}"
    last = {a.id for a in articles[-10:]}

    class AllButLast(Pretagged):
        def tag(self, batches, backlog=0):
            for batch in batches:
                yield [self.tagged[a.id] for a in batch if a.id not in last]

    first = index_paths([corpus], index_dir, IndexOptions(rebuild=True, corpus_pass=False), tagger=AllButLast(tagged))
    ix = open_index(index_dir)

    def run_pass(**options):
        with IndexerLock(index_dir, 30.0):
            started = time.perf_counter()
            summary = corpus_pass([(open_index(index_dir), index_dir)], index_dir, None, 30.0, 500, **options)
            return time.perf_counter() - started, summary

    cold, cold_summary = run_pass()
    again, again_summary = run_pass()
    assert again_summary.rewritten == 0 and again_summary.gathered == 0, again_summary.describe()
    # the 10 tagged as a run tags them: under the index's corpus aliases (searchapp.ingest.run: index_aliases)
    tagged.update({t.article.id: t for t in tag_articles([a for a in articles if a.id in last], index_aliases(index_dir, None))})
    added = index_paths([corpus], index_dir, IndexOptions(), tagger=Pretagged(tagged))  # the pass ends the run
    assert added.added == len(last) and added.corpus_pass is not None, added.describe()
    ten_summary = added.corpus_pass
    plus_ten = ten_summary.seconds
    assert ten_summary.gathered == len(last), ten_summary.describe()
    everything, every_summary = run_pass(everything=True)
    assert every_summary.rewritten == 0, every_summary.describe()  # every article already as the corpus aliases make it
    count = ix.doc_count()
    evidence_bytes = (index_dir / CORPUS_EVIDENCE_FILE).stat().st_size / max(1, count)
    overlay = cold_summary.overlay
    print(f"corpus aliases of {corpus.name}:\n{overlay.toml()}", file=sys.stderr)  # to judge them by reading

    def cell(seconds: float) -> str:
        return f"{seconds:.1f} ({seconds * 10_000 / count:.1f})"

    return (
        f"| {corpus.name} | {count:,} | {cell(tagging)} | {cell(cold)}, {cold_summary.rewritten:,} rewritten | {cell(again)} | "
        f"{cell(plus_ten)}, {ten_summary.rewritten:,} rewritten | {cell(everything)} | "
        f"{len(overlay.merges)} / {len(overlay.kinds)} / {len(overlay.ambiguous)} | {evidence_bytes:.0f} | first build: {first.indexed:,} |"
    )


def main() -> None:
    print_table(
        __doc__.split("\n")[0],
        "| corpus | articles | tagging: s (s per 10k) | the pass after a build: s (per 10k) | again, nothing changed | "
        "after adding 10 articles | every article again (`entities --corpus-pass`) | acronyms joined / kinds decided / acronyms left alone | "
        "kept evidence: bytes per article | |\n"
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---|",
        measure,
        "searchapp-corpus-",
    )

if __name__ == "__main__":
    main()
