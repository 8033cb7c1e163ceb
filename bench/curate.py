"""Curating entities: an aliases file applied to an existing index, against tagging the same articles.

    .venv/bin/python bench/curate.py [--limit 3000] [CORPUS ...]

For each corpus (default: the first ``--limit`` Reuters-21578 stories and FA-KES dev, from ../shared):

1. the articles are tagged in this process (``tag_articles``: spaCy NER, rulers, dates,
   normalisation: what `searchapp index` would have to redo to apply new aliases), timed;
2. they are indexed from those tags (the writer alone, not timed here);
3. two edited aliases files are applied in turn (``searchapp entities --apply-aliases``,
   :func:`searchapp.ingest.curate.reapply_aliases`), each timed: a typical edit (5 merges and 5
   drops of values ranked 21st to 35th) and a heavy one (the 40 values with most articles renamed,
   the next 40 merged in pairs: most articles are rewritten);
4. the heavy file applied again: every article normalised again, none rewritten (the floor), timed.

Prints a Markdown table: seconds, and seconds per 10,000 articles, of each, the ratio of tagging
to applying, the seconds of listing the values (``searchapp entities``) and the bytes the stored
raw mentions add per article.  One process throughout.
"""

from __future__ import annotations

import argparse
import pickle
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))
SHARED = next((p / "shared" for p in (ROOT.parent, ROOT.parent.parent) if (p / "shared").is_dir()), ROOT.parent / "shared")
REUTERS = SHARED / "corpora/reuters21578/reuters21578.jsonl.gz"
FAKES = SHARED / "corpora/fakes-dev/fakes-dev.csv"


class Pretagged:
    """Hands the indexer the tags computed (and timed) beforehand."""

    threads = 1

    def __init__(self, tagged: dict) -> None:
        self.tagged = tagged

    def __enter__(self) -> Pretagged:
        return self

    def __exit__(self, *exc) -> None:
        pass

    def describe(self) -> str:
        return "pre-tagged"

    def tag(self, batches, backlog=0):
        for batch in batches:
            yield [self.tagged[article.id] for article in batch]


def edit_files(index_dir: Path, folder: Path) -> tuple[Path, Path]:
    """(a typical edit, a heavy one) of the index's aliases, from its `searchapp entities` listing.

    Typical: what a user does after reading the listing, 5 merges and 5 drops (the values ranked
    21st to 35th).  Heavy: the 40 values with most articles renamed and the next 40 merged in pairs.
    """
    from searchapp.query import SearchIndex
    from searchapp.query.entities import list_entities

    values = list(dict.fromkeys(v.value for v in list_entities(SearchIndex(index_dir), ("person", "org", "place"), "", 100).values))
    typical = ["drop = [" + ", ".join(_quoted(v) for v in values[30:35]) + "]", "[merge]"]
    typical += [f"{_quoted(first)} = [{_quoted(second)}]" for first, second in zip(values[20:30:2], values[21:30:2], strict=True)]
    heavy = ["[merge]"] + [f'{_quoted(v + " (curated)")} = [{_quoted(v)}]' for v in values[:40]]
    heavy += [f"{_quoted(first)} = [{_quoted(second)}]" for first, second in zip(values[40:80:2], values[41:80:2], strict=True)]
    (folder / "typical.toml").write_text("\n".join(typical) + "\n", encoding="utf-8")
    (folder / "heavy.toml").write_text("\n".join(heavy) + "\n", encoding="utf-8")
    return folder / "typical.toml", folder / "heavy.toml"


def _quoted(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def tagged_corpus(corpus: Path, limit: int | None, folder: Path) -> tuple[Path, list, list, float]:
    """(the corpus file read, its articles, their tags, seconds spaCy and the rest took to tag them in this process)."""
    from ingest import load_articles, write_subset  # bench/ingest.py

    from searchapp.ingest.entities import load_aliases
    from searchapp.ingest.tagging import load_pipeline, tag_articles

    if limit and corpus.name.endswith(".jsonl.gz"):
        corpus = write_subset(corpus, folder / f"{corpus.name.split('.')[0]}-{limit}.jsonl", limit)
    articles = load_articles(corpus, None)
    aliases = load_aliases()
    load_pipeline()
    tag_articles(articles[:20], aliases)  # warm-up: gazetteer tables, lazy imports
    started = time.perf_counter()
    tagged = tag_articles(articles, aliases)
    return corpus, articles, tagged, time.perf_counter() - started


def measure(corpus: Path, limit: int | None, folder: Path) -> str:
    from searchapp.ingest.curate import reapply_aliases
    from searchapp.ingest.run import IndexOptions, index_paths

    corpus, articles, tagged, tagging = tagged_corpus(corpus, limit, folder)
    raw_bytes = sum(len(pickle.dumps(t.raw_json())) for t in tagged) / max(1, len(tagged))
    index_dir = folder / f"index-{corpus.stem}"
    summary = index_paths([corpus], index_dir, IndexOptions(rebuild=True), tagger=Pretagged({t.article.id: t for t in tagged}))
    count = summary.indexed
    folder = folder / corpus.stem
    folder.mkdir()
    started = time.perf_counter()
    typical_file, heavy_file = edit_files(index_dir, folder)  # lists every value (searchapp entities --limit 100)
    listing = time.perf_counter() - started
    typical = reapply_aliases(index_dir, typical_file)
    heavy = reapply_aliases(index_dir, heavy_file)
    again = reapply_aliases(index_dir, heavy_file)
    assert again.rewritten == 0, again.describe()

    def cell(seconds: float, rewritten: int | None = None) -> str:
        return f"{seconds:.1f} ({seconds * 10_000 / count:.1f})" + (f", {rewritten:,} rewritten" if rewritten is not None else "")

    return (
        f"| {corpus.name} | {count:,} | {cell(tagging)} | {cell(typical.seconds, typical.rewritten)} | "
        f"{cell(heavy.seconds, heavy.rewritten)} | {cell(again.seconds)} | {typical.load_seconds:.1f} | {listing:.2f} | "
        f"**{tagging / typical.seconds:.0f}×** / {tagging / heavy.seconds:.0f}× | {raw_bytes:.0f} |"
    )


def print_table(description: str, header: str, measure_one, prefix: str) -> None:
    """The command line of bench/curate.py and bench/corpus.py: a table row per corpus (Reuters' first --limit and FA-KES by default)."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--limit", type=int, default=3000, help="Reuters stories (default 3000)")
    parser.add_argument("corpora", nargs="*", type=Path)
    args = parser.parse_args()
    corpora = [(c, None) for c in args.corpora] or [(REUTERS, args.limit), (FAKES, None)]
    print(header)
    with tempfile.TemporaryDirectory(prefix=prefix) as tmp:
        for corpus, limit in corpora:
            print(measure_one(corpus, limit, Path(tmp)), flush=True)


def main() -> None:
    print_table(
        __doc__.split("\n")[0],
        "| corpus | articles | tagging: s (s per 10k) | apply a typical edit: s (per 10k) | apply a heavy edit: s (per 10k) "
        "| apply again, nothing to rewrite: s (per 10k) | loading the gazetteer: s | listing the values: s | tagging / applying (typical / heavy) "
        "| raw mentions stored: bytes per article |\n"
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
        measure,
        "searchapp-curate-",
    )

if __name__ == "__main__":
    main()
