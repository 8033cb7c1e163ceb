"""Arabic search quality: recall and precision of the chosen analyser and the rejected ones on the judged query set.

    .venv/bin/python bench/arabic.py [--corpus ANT.jsonl.gz] [--only name,name] [--out results.json] [--no-end-to-end]

Queries: tests/eval/arabic-queries.jsonl (57 queries, 279 spelling variants, relevant docnos judged by
the independent reference search bench/arabic_reference.py, built by bench/arabic_queries.py).
Corpus: the first 3,000 records of ../shared/corpora/ant-multisource (skipped, exit 0, when absent).

For every candidate analyser: a temporary Whoosh index of the records (field ``content`` = title + text,
``TEXT(analyzer, phrase=True)``), every query (words ANDed; kind "phrase" as a ``Phrase``) and every
spelling variant; macro/micro recall and precision, the share of queries whose variants all return the
canonical query's articles, index size and time.  Candidates whose package is not installed (tashaphyne,
NLTK's ISRI: measured, rejected, not dependencies) are skipped with a note.

Then, end to end, the product itself: the same records indexed by ``searchapp`` (language detected, Arabic
fields), every query run through :func:`searchapp.query.parse.parse_query` (phrases quoted) on that index.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from whoosh import index
from whoosh.analysis import LowercaseFilter, RegexTokenizer, StemFilter
from whoosh.fields import ID, TEXT, Schema
from whoosh.query import And, Phrase, Query, Term

sys.path.insert(0, str(Path(__file__).resolve().parent))
from arabic_reference import CORPUS, doc_content, load_docs, ref_normalize  # noqa: E402

from searchapp.store.arabic import STEMMERS, arabic_analyzer  # noqa: E402


def _tashaphyne():
    from tashaphyne.stemming import ArabicLightStemmer

    return ArabicLightStemmer().light_stem


def _isri():
    from nltk.stem.isri import ISRIStemmer  # its affix lists are in the module: no nltk.download

    return ISRIStemmer().stem


STEMMERS.update(tashaphyne=_tashaphyne, isri=_isri)  # measured and rejected: not dependencies of searchapp

ROOT = Path(__file__).resolve().parent.parent
QUERIES = ROOT / "tests/eval/arabic-queries.jsonl"
NOT_DEPENDENCIES = {"tashaphyne": "tashaphyne", "ISRI": "nltk"}  # candidate name part -> module it needs

CANDIDATES: dict[str, Callable[[], object]] = {
    "english (today)": lambda: RegexTokenizer() | LowercaseFilter() | StemFilter(),
    "norm only": lambda: arabic_analyzer("none", proclitics=False),
    # each stemmer as packaged (after normalisation)
    "norm+PyStemmer (snowball)": lambda: arabic_analyzer("pystemmer", proclitics=False),
    "norm+tashaphyne": lambda: arabic_analyzer("tashaphyne", proclitics=False),
    "norm+ISRI (nltk)": lambda: arabic_analyzer("isri", proclitics=False),
    "norm+light10 (ref)": lambda: arabic_analyzer("light10", proclitics=False),
    # iterative proclitic stripping (strip_proclitics), bare ف ب ك ل stripped while >= 3 letters remain
    "norm+procl(r=3)+PyStemmer": lambda: arabic_analyzer("pystemmer", min_rest=3),
    "norm+procl(r=3)+tashaphyne": lambda: arabic_analyzer("tashaphyne", min_rest=3),
    "norm+procl(r=3)+ISRI": lambda: arabic_analyzer("isri", min_rest=3),
    "norm+procl(r=3)+light10": lambda: arabic_analyzer("light10", min_rest=3),
    # same, while >= 4 letters remain (the default)
    "norm+procl(r=4) only": lambda: arabic_analyzer("none", min_rest=4),
    "norm+procl(r=4)+PyStemmer  [CHOSEN]": lambda: arabic_analyzer(),  # searchapp's, as in the schema
    "norm+procl(r=4)+tashaphyne": lambda: arabic_analyzer("tashaphyne", min_rest=4),
    "norm+procl(r=4)+ISRI": lambda: arabic_analyzer("isri", min_rest=4),
    "norm+procl(r=4)+light10": lambda: arabic_analyzer("light10", min_rest=4),
    # ablations of the chosen pipeline
    "norm+procl(r=4)+PyStemmer, stemmer strips prefixes too": lambda: arabic_analyzer("pystemmer", min_rest=4, stemmer_prefixes=True),
    "norm+procl(only و ف)+PyStemmer": lambda: arabic_analyzer("pystemmer", letters="وف"),
    "norm(seats=keep)+procl(r=4)+PyStemmer": lambda: arabic_analyzer("pystemmer", hamza_seats="keep"),
    "norm(seats=letter)+procl(r=4)+PyStemmer": lambda: arabic_analyzer("pystemmer", hamza_seats="letter"),
}


def build_query(analyzer, text: str, phrase: bool) -> Query | None:
    toks = [t.text for t in analyzer(text, mode="query") if t.text]
    if not toks:
        return None
    if phrase and len(toks) > 1:
        return Phrase("content", toks)
    return And([Term("content", t) for t in toks])


def variant_class(query: str, variant: str) -> str:
    """ortho = differs only by hamza on alef, ة/ه, ى/ي, harakat, digits or seat spelling (مسئول/مسؤول);
    seat-omitted = ؤ/ئ typed as و/ي; clitic = article/proclitic added or removed."""
    if ref_normalize(variant) == ref_normalize(query):
        return "ortho"
    if ref_normalize(variant) == ref_normalize(query.replace("ؤ", "و").replace("ئ", "ي")):
        return "seat-omitted"
    return "clitic"


def score_queries(run: Callable[[str, bool], set[str]], queries: list[dict]) -> dict:
    """Recall, precision and spelling-variant agreement of a search function ``run(text, phrase) -> docnos``."""
    per_query = []
    for q in queries:
        phrase = q["kind"] == "phrase"
        got = run(q["query"], phrase)
        rel = set(q["relevant"])
        hit = len(got & rel)
        bad_variants = []
        for v in q["variants"]:
            vg = run(v, phrase)
            if vg != got:
                bad_variants.append({"variant": v, "class": variant_class(q["query"], v), "n": len(vg), "missing": len(got - vg), "extra": len(vg - got)})
        per_query.append(
            {
                "query": q["query"],
                "kind": q["kind"],
                "n_rel": len(rel),
                "n_got": len(got),
                "hit": hit,
                "recall": hit / len(rel) if rel else 1.0,
                "precision": hit / len(got) if got else None,
                "false_neg": sorted(rel - got)[:5],
                "false_pos": sorted(got - rel)[:5],
                "bad_variants": bad_variants,
                "n_variants": len(q["variants"]),
                "variant_classes": [variant_class(q["query"], v) for v in q["variants"]],
            }
        )
    ps = [p["precision"] for p in per_query if p["precision"] is not None]
    n_var = sum(p["n_variants"] for p in per_query)

    def class_ok(cls: str) -> float:
        total = sum(p["variant_classes"].count(cls) for p in per_query)
        bad = sum(1 for p in per_query for b in p["bad_variants"] if b["class"] == cls)
        return 1 - bad / total if total else 1.0

    return {
        "variant_same_ortho": class_ok("ortho"),
        "variant_same_seat_omitted": class_ok("seat-omitted"),
        "variant_same_clitic": class_ok("clitic"),
        "macro_recall": sum(p["recall"] for p in per_query) / len(per_query),
        "macro_precision": sum(ps) / len(ps) if ps else 0.0,
        "min_query_precision": min(ps) if ps else 0.0,
        "min_query_recall": min(p["recall"] for p in per_query),
        "micro_recall": sum(p["hit"] for p in per_query) / sum(p["n_rel"] for p in per_query),
        "micro_precision": sum(p["hit"] for p in per_query) / max(1, sum(p["n_got"] for p in per_query)),
        "zero_result_queries": sum(1 for p in per_query if p["n_got"] == 0),
        "variants_all_same": sum(1 for p in per_query if not p["bad_variants"]) / len(per_query),
        "variant_level_same": 1 - sum(len(p["bad_variants"]) for p in per_query) / n_var,
        "per_query": per_query,
    }


def run_candidate(name: str, make: Callable[[], object], docs: list[dict], queries: list[dict]) -> dict:
    analyzer = make()
    tmp = tempfile.mkdtemp(prefix="arix_")
    try:
        schema = Schema(docno=ID(stored=True, unique=False), content=TEXT(analyzer=analyzer, phrase=True))
        ix = index.create_in(tmp, schema)
        t0 = time.perf_counter()
        w = ix.writer(limitmb=256)
        for d in docs:
            w.add_document(docno=d["docno"], content=doc_content(d))
        w.commit()
        t_index = time.perf_counter() - t0
        size = sum(os.path.getsize(os.path.join(tmp, f)) for f in os.listdir(tmp))
        with ix.searcher() as s:
            docnos = {n: f["docno"] for n, f in s.iter_docs()}
            n_terms = len(list(s.lexicon("content")))

            def run(text: str, phrase: bool) -> set[str]:
                q = build_query(analyzer, text, phrase)
                return set() if q is None else {docnos[n] for n in q.docs(s)}

            scores = score_queries(run, queries)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return {"name": name, **scores, "index_bytes": size, "index_terms": n_terms, "index_seconds": t_index}


def run_searchapp(docs: list[dict], queries: list[dict]) -> dict:
    """The product end to end: ``searchapp`` indexes the records, ``parse_query`` reads every query."""
    from searchapp.ingest.run import IndexOptions, index_paths
    from searchapp.query.hamza import with_hamza_seats
    from searchapp.query.parse import parse_query

    tmp = Path(tempfile.mkdtemp(prefix="arix_app_"))
    try:
        source = tmp / "ant.jsonl"
        with source.open("w", encoding="utf-8") as f:
            for d in docs:
                f.write(json.dumps({"id": d["docno"], "title": d.get("title") or "", "text": d.get("text") or "", "url": d.get("url")}, ensure_ascii=False) + "\n")
        t0 = time.perf_counter()
        summary = index_paths([source], tmp / "index", IndexOptions(processes=1))
        t_index = time.perf_counter() - t0
        size = sum(p.stat().st_size for p in (tmp / "index").iterdir() if p.is_file())
        ix = index.open_dir(str(tmp / "index"))
        with ix.searcher() as s:
            ids = {n: f["id"] for n, f in s.iter_docs()}
            languages = {f.get("language") for _, f in s.iter_docs()}
            n_terms = len(list(s.lexicon("text_ar")))

            def run(text: str, phrase: bool) -> set[str]:
                parsed = parse_query(f'"{text}"' if phrase else text, s.schema)
                # as run_search does: a word typed without its hamza seat also searches the seated one
                parsed = with_hamza_seats(parsed, lambda field, term: s.doc_frequency(field, term) > 0, 100)[0]
                return {ids[n] for n in parsed.docs(s)}

            scores = score_queries(run, queries)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    name = f"searchapp end to end ({summary.added} indexed, languages {sorted(map(str, languages))})"
    return {"name": name, **scores, "index_bytes": size, "index_terms": n_terms, "index_seconds": t_index}


def available(name: str) -> bool:
    return all(importlib.util.find_spec(module) is not None for part, module in NOT_DEPENDENCIES.items() if part in name)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--only", default="", help="comma-separated substrings of candidate names")
    ap.add_argument("--out", help="write per-query details (false negatives/positives, failing variants) here")
    ap.add_argument("--corpus", type=Path, default=CORPUS)
    ap.add_argument("--no-end-to-end", action="store_true", help="skip indexing the records with searchapp itself")
    args = ap.parse_args()
    if not args.corpus.exists():
        print(f"skipped: {args.corpus} is absent (the ANT corpus, ../shared/corpora)")
        return
    docs = load_docs(corpus=args.corpus)
    queries = [json.loads(line) for line in QUERIES.open(encoding="utf-8")]
    names = [n for n in CANDIDATES if not args.only or any(o in n for o in args.only.split(","))]
    results = []
    print(f"{len(docs)} docs, {len(queries)} queries, {sum(len(q['variants']) for q in queries)} variants")
    hdr = (
        f"| {'analyser':48s} | macro R | macro P | micro R | micro P | min q R | min q P | 0-hit q | all variants same (share of q) "
        "| variants same (each) | ortho | seat-omitted | clitic | terms | index MB | index s |"
    )
    print(hdr)
    print("|" + "|".join("-" * (len(c)) for c in hdr.split("|")[1:-1]) + "|")
    rows = [(n, lambda n=n: run_candidate(n, CANDIDATES[n], docs, queries)) for n in names]
    if not args.no_end_to_end:
        rows.append(("searchapp", lambda: run_searchapp(docs, queries)))
    for n, measure in rows:
        if not available(n):
            print(f"| {n:48s} | not measured: needs {', '.join(m for p, m in NOT_DEPENDENCIES.items() if p in n)} (not a dependency) |")
            continue
        r = measure()
        n = r["name"]
        results.append(r)
        print(
            f"| {n:48s} | {r['macro_recall']:.3f} | {r['macro_precision']:.3f} | {r['micro_recall']:.3f} | {r['micro_precision']:.3f} "
            f"| {r['min_query_recall']:.2f} | {r['min_query_precision']:.2f} | {r['zero_result_queries']} | {r['variants_all_same']:.3f} | {r['variant_level_same']:.3f} "
            f"| {r['variant_same_ortho']:.3f} | {r['variant_same_seat_omitted']:.3f} | {r['variant_same_clitic']:.3f} | {r['index_terms']} "
            f"| {r['index_bytes'] / 1e6:.1f} | {r['index_seconds']:.1f} |",
            flush=True,
        )
    if args.out:
        Path(args.out).write_text(json.dumps(results, ensure_ascii=False, indent=1), encoding="utf-8")
        print("per-query details ->", args.out)


if __name__ == "__main__":
    main()
