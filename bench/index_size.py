"""Where the bytes of an index go: per file kind, per field, stored fields.

    .venv/bin/python bench/index_size.py INDEX_DIR [CORPUS]

Whoosh keeps a segment's files (term dictionary ``.trm``, postings ``.pst``, one ``.col`` per
column, stored fields in ``_stored.col``) either loose or inside one compound ``.seg`` file; both
are read here.  Per field: the number of terms (summed over segments, so a term found in several
segments counts several times), the bytes of their dictionary entries and of their postings, and
how many were inlined into the dictionary.  With CORPUS (the JSONL the index was built from), the
total is also given as a ratio to the raw text, measured as bench/run.py measures it.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections import Counter, defaultdict
from pathlib import Path

from whoosh import index as whoosh_index
from whoosh.filedb.compound import CompoundStorage
from whoosh.filedb.structfile import StructFile

sys.path.insert(0, str(Path(__file__).resolve().parent))

from searchapp.store.codec import CompactCodec, CompactTermsReader  # noqa: E402


def sub_files(index_dir: Path) -> Counter:
    """Bytes per file kind (``.trm``, ``.pst``, ``title.col``, ...), inside compound files too."""
    kinds: Counter = Counter()
    for path in index_dir.iterdir():
        if path.suffix == ".seg":
            storage = CompoundStorage(StructFile(open(path, "rb")), use_mmap=False)  # noqa: SIM115 (closed by close())
            for name, info in storage._dir.items():
                kinds[_kind(name)] += info["length"]
            kinds["(compound directory)"] += path.stat().st_size - sum(i["length"] for i in storage._dir.values())
            storage.close()
        elif path.is_file():
            kinds[_kind(path.name)] += path.stat().st_size
    return kinds


def _kind(name: str) -> str:
    name = re.sub(r"^_?MAIN_[a-z0-9]+", "", name)
    return re.sub(r"^_\d+", "", name) or name


def field_terms(ix) -> dict[str, list[int]]:
    """field -> [terms, dictionary bytes, postings bytes, inlined terms], over every segment."""
    table: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    with ix.reader() as reader:
        for leaf, _ in reader.leaf_readers():
            terms = leaf._terms
            if isinstance(terms, CompactTermsReader):
                _compact_terms(leaf, terms, table)
                continue
            for (keybytes, valbytes), ((fieldname, _), terminfo) in zip(terms._tindex.items(), terms.items(), strict=True):
                row = table[fieldname]
                row[0] += 1
                row[1] += len(keybytes) + len(valbytes)
                if terminfo.is_inlined():
                    row[3] += 1
                else:
                    length = terminfo.extent()[1]
                    row[2] += length[0] if isinstance(length, tuple) else length  # whoosh3 3.54 reads it as a 1-tuple
    return table


def _compact_terms(leaf, terms: CompactTermsReader, table: dict[str, list[int]]) -> None:
    """searchapp.store.codec: compressed dictionary blocks per field; postings from offset to offset."""
    starts: list[tuple[int, str]] = []
    for fieldname, (_, _, lengths) in terms._index.items():
        table[fieldname][1] += sum(lengths)
    for (fieldname, _), terminfo in terms.items():
        row = table[fieldname]
        row[0] += 1
        if terminfo.is_inlined():
            row[3] += 1
        else:
            starts.append((terminfo.pointer, fieldname))
    starts.sort()
    end = leaf._storage.file_length(leaf._segment.make_filename(CompactCodec.POSTS_EXT))
    for (start, fieldname), (following, _) in zip(starts, [*starts[1:], (end, "")], strict=True):
        table[fieldname][2] += following - start


def stored_fields(ix) -> Counter:
    """Pickled (uncompressed) bytes per stored field: their shares of the stored column."""
    import pickle

    sizes: Counter = Counter()
    with ix.reader() as reader:
        for _, fields in reader.iter_docs():
            for name, value in fields.items():
                sizes[name] += len(pickle.dumps(value, 2))
    return sizes


def raw_text_bytes(corpus: Path) -> int:
    """The paragraphs' UTF-8 bytes of the articles with text, as bench/run.py counts them."""
    import ingest

    return sum(len(p.encode("utf-8")) for a in ingest.load_articles(corpus, None) for p in a.paragraphs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("index_dir", type=Path)
    parser.add_argument("corpus", type=Path, nargs="?")
    args = parser.parse_args()
    ix = whoosh_index.open_dir(str(args.index_dir))
    kinds = sub_files(args.index_dir)
    total = sum(kinds.values())
    segments = len(ix._segments())
    raw = raw_text_bytes(args.corpus) if args.corpus else None
    print(
        f"{args.index_dir}: {total:,} bytes in {segments} segment(s)"
        + (f", {total / raw:.2f}x the raw text ({raw:,} bytes)" if raw else "")
    )
    print("\nfile kind                       bytes   share")
    for name, size in kinds.most_common():
        print(f"{name:<26} {size:>12,} {size / total:>6.1%}" + (f" {size / raw:>6.2f}x" if raw else ""))
    print("\nfield          terms   dictionary B    postings B  inlined")
    for name, (count, dictionary, postings, inlined) in sorted(field_terms(ix).items(), key=lambda kv: -kv[1][1] - kv[1][2]):
        print(f"{name:<12} {count:>8,} {dictionary:>13,} {postings:>13,} {inlined:>8,}")
    stored = stored_fields(ix)
    print("\nstored field   pickled B (before compression)")
    for name, size in stored.most_common():
        print(f"{name:<14} {size:>12,}")


if __name__ == "__main__":
    main()
