"""Curating entities: an aliases file applied to an existing index, against tagging the same articles.

    .venv/bin/python bench/curate.py [--limit 3000] [CORPUS ...]

For each corpus (default: the first ``--limit`` Reuters-21578 stories and FA-KES dev, from ../shared):

1. the articles are tagged in this process (``tag_articles``: spaCy NER, rulers, dates,
   normalisation: what `searchapp index` would have to redo to apply new aliases), timed;
2. they are indexed from those tags (the writer alone, not timed here);
3. an edited aliases file is applied (``searchapp entities --apply-aliases``,
   :func:`searchapp.ingest.curate.reapply_aliases`): the 40 values with the most articles renamed
   and the next 40 merged in pairs, so most articles are rewritten (a heavy edit), timed;
4. the same file applied again: every article re-normalised, none rewritten (the floor), timed.

Prints a Markdown table: seconds, and seconds per 10,000 articles, of each, the ratio of tagging
to applying, and the bytes the stored raw mentions add per article.  One process throughout.
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

    def tag(self, batches):
        for batch in batches:
            yield [self.tagged[article.id] for article in batch]


def edit_file(index_dir: Path, target: Path) -> Path:
    """An aliases file renaming the 40 values with most articles and merging the next 40 in pairs."""
    from searchapp.query import SearchIndex
    from searchapp.query.entities import list_entities

    values = list_entities(SearchIndex(index_dir), ("person", "org", "place"), "", 80).values
    seen = set()
    lines = ["[merge]"]
    for value in values[:40]:
        if value.value not in seen:
            seen.add(value.value)
            lines.append(f'{_quoted(value.value + " (curated)")} = [{_quoted(value.value)}]')
    rest = [v.value for v in values[40:] if v.value not in seen]
    for first, second in zip(rest[::2], rest[1::2], strict=False):
        lines.append(f"{_quoted(first)} = [{_quoted(second)}]")
    target.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return target


def _quoted(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def measure(corpus: Path, limit: int | None, folder: Path) -> str:
    from ingest import load_articles, write_subset  # bench/ingest.py

    from searchapp.ingest.curate import reapply_aliases
    from searchapp.ingest.entities import load_aliases
    from searchapp.ingest.run import IndexOptions, index_paths
    from searchapp.ingest.tagging import load_pipeline, tag_articles

    if limit and corpus.name.endswith(".jsonl.gz"):
        corpus = write_subset(corpus, folder / f"{corpus.name.split('.')[0]}-{limit}.jsonl", limit)
    articles = load_articles(corpus, None)
    aliases = load_aliases()
    load_pipeline()
    tag_articles(articles[:20], aliases)  # warm-up: gazetteer tables, lazy imports
    started = time.perf_counter()
    tagged = tag_articles(articles, aliases)
    tagging = time.perf_counter() - started
    raw_bytes = sum(len(pickle.dumps(t.raw_json())) for t in tagged) / max(1, len(tagged))
    index_dir = folder / f"index-{corpus.stem}"
    summary = index_paths([corpus], index_dir, IndexOptions(rebuild=True), tagger=Pretagged({t.article.id: t for t in tagged}))
    count = summary.indexed
    edited = edit_file(index_dir, folder / f"edited-{corpus.stem}.toml")
    heavy = reapply_aliases(index_dir, edited)
    again = reapply_aliases(index_dir, edited)
    assert again.rewritten == 0, again.describe()

    def per10k(seconds: float) -> str:
        return f"{seconds * 10_000 / count:.1f}"

    return (
        f"| {corpus.name} | {count:,} | {tagging:.1f} ({per10k(tagging)}) | {heavy.seconds:.1f} ({per10k(heavy.seconds)}), "
        f"{heavy.rewritten:,} rewritten | {again.seconds:.1f} ({per10k(again.seconds)}) | {heavy.load_seconds:.1f} | "
        f"**{tagging / heavy.seconds:.0f}×** | {raw_bytes:.0f} |"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--limit", type=int, default=3000, help="Reuters stories (default 3000)")
    parser.add_argument("corpora", nargs="*", type=Path)
    args = parser.parse_args()
    corpora = [(c, None) for c in args.corpora] or [(REUTERS, args.limit), (FAKES, None)]
    print(
        "| corpus | articles | tagging s (s per 10k) | apply an edit s (per 10k) | apply again, nothing to rewrite s (per 10k) "
        "| loading aliases + gazetteer s | tagging / applying | raw mentions, bytes per article |\n"
        "|---|---:|---:|---:|---:|---:|---:|---:|"
    )
    with tempfile.TemporaryDirectory(prefix="searchapp-curate-") as tmp:
        for corpus, limit in corpora:
            print(measure(corpus, limit, Path(tmp)), flush=True)


if __name__ == "__main__":
    main()
