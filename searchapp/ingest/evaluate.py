"""Tagging quality against a hand-annotated gold set: ``searchapp evaluate [GOLD]``.

The gold sets (``tests/eval/gold.jsonl``: Reuters-21578 and the samples; ``tests/eval/fakes-gold.jsonl``:
FA-KES scraped Syrian-war news; guidelines in ``tests/eval/README.md``) hold one article
per line: its paragraphs, the metadata given to the indexer, and the values a facet should show
for it.  The real pipeline tags the articles (:func:`searchapp.ingest.tagging.tag_articles` with the
built-in aliases), and the scores compare, article by article, the *set* of normalised values
per kind (people, orgs, places; actors = people and orgs with the kind ignored), micro-averaged
over the articles.  Values are compared by :func:`searchapp.ingest.entities.fold` (case, dots, accents).

Dates: of the gold dates (text and resolved value), the fraction the tagger found with the right
value (a tagged date whose text overlaps the gold text and whose value is equal), and the fraction
of the tagged dates that are right (precision).  Outlet and published date are inferred with the
article's metadata withheld: precision is over the articles where something was inferred,
coverage over the articles whose text states it.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import SourceError
from ..store.outlets import outlet_key
from .corpus import apply_to_tagged
from .credits import infer_outlet, infer_published
from .entities import fold, load_aliases
from .models import Rejection
from .readers.common import make_article
from .tagging import load_pipeline, tag_articles

KINDS = ("people", "orgs", "places", "actors")
MENTION_KINDS = {"people": ("person",), "orgs": ("org",), "places": ("place",), "actors": ("person", "org")}
EVAL_DIR = Path(__file__).resolve().parents[2] / "tests" / "eval"
DEFAULT_GOLD = EVAL_DIR / "gold.jsonl"
FAKES_GOLD = EVAL_DIR / "fakes-gold.jsonl"
# The corpora `searchapp evaluate` reports apart when no gold file is named.
DEFAULT_GOLDS = {"reuters-samples": DEFAULT_GOLD, "fakes": FAKES_GOLD}


@dataclass
class Counts:
    tp: int = 0
    fp: int = 0
    fn: int = 0

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    def as_dict(self) -> dict:
        return {"precision": round(self.precision, 4), "recall": round(self.recall, 4), "f1": round(self.f1, 4),
                "tp": self.tp, "fp": self.fp, "fn": self.fn}  # fmt: skip


@dataclass
class Report:
    articles: int = 0
    kinds: dict[str, Counts] = field(default_factory=lambda: {k: Counts() for k in KINDS})
    dates_gold: int = 0
    dates_found: int = 0
    dates_tagged: int = 0
    dates_tagged_right: int = 0
    outlet: dict[str, int] = field(default_factory=lambda: {"stated": 0, "inferred": 0, "right": 0, "right_of_stated": 0})
    published: dict[str, int] = field(default_factory=lambda: {"stated": 0, "inferred": 0, "right": 0, "right_of_stated": 0})
    errors: list[dict] = field(default_factory=list)
    words: int = 0
    seconds: float = 0.0
    corpus: dict | None = None  # the corpus aliases the corpus pass derived from these articles (None: no pass)

    def as_dict(self) -> dict:
        def ratio(a: int, b: int) -> float | None:
            return round(a / b, 4) if b else None

        def inference(d: dict) -> dict:
            return {**d, "precision": ratio(d["right"], d["inferred"]), "coverage": ratio(d["right_of_stated"], d["stated"])}

        return {
            "articles": self.articles,
            **{kind: self.kinds[kind].as_dict() for kind in KINDS},
            "dates": {
                "gold": self.dates_gold, "found": self.dates_found, "accuracy": ratio(self.dates_found, self.dates_gold),
                "tagged": self.dates_tagged, "right": self.dates_tagged_right,
                "precision": ratio(self.dates_tagged_right, self.dates_tagged),
            },
            "outlet": inference(self.outlet),
            "published_year": inference(self.published),
            "words_per_second": round(self.words / self.seconds) if self.seconds else None,
            "corpus_aliases": self.corpus,
        }  # fmt: skip


def load_gold(path: str | Path) -> list[dict]:
    records = []
    with open(path, encoding="utf-8") as handle:
        for number, line in enumerate(handle, 1):
            if line.strip():
                try:
                    records.append(json.loads(line))
                except json.JSONDecodeError as exc:
                    raise SourceError(f"{path}:{number}: invalid JSON: {exc}") from None
    return records


def _article(record: dict):
    """The article as the indexer builds it: what the metadata lacks is inferred from the text."""
    article = make_article(
        source=record.get("source") or "gold",
        title=record.get("title") or "",
        paragraphs=list(record["text"]),
        record_id=str(record["id"]),
        outlet=record.get("outlet"),
        published=record.get("published"),
        url=None,
    )
    if isinstance(article, Rejection):
        raise SourceError(f"gold article {record['id']}: {article.reason}")
    return article


def _overlaps(a: str, b: str) -> bool:
    a, b = " ".join(a.lower().split()), " ".join(b.lower().split())
    return a in b or b in a


def evaluate(records: list[dict], aliases=None, corpus_pass: bool = True) -> Report:
    """Tag the gold articles with the real pipeline and score them.

    ``corpus_pass``: the articles then go through the corpus-wide pass, as ``searchapp index``
    ends (:func:`searchapp.ingest.corpus.apply_to_tagged`): the gold set is scored as an index of
    exactly these articles would show them (the corpus aliases derived from them alone).
    """
    aliases = aliases if aliases is not None else load_aliases()
    articles = [_article(r) for r in records]
    load_pipeline()
    started = time.perf_counter()
    tagged = tag_articles(articles, aliases)
    report = Report(articles=len(records), seconds=time.perf_counter() - started)
    if corpus_pass:
        tagged, overlay = apply_to_tagged(tagged, aliases)
        report.corpus = overlay.entries()
    report.words = sum(len(p.split()) for a in articles for p in a.paragraphs)

    for record, result in zip(records, tagged, strict=True):
        gold = record["gold"]
        errors: dict = {}
        for kind in KINDS:
            wanted = MENTION_KINDS[kind]
            gold_values = {fold(v): v for k in wanted for v in gold.get({"person": "people", "org": "orgs", "place": "places"}[k], [])}
            got_values = {fold(m.name): m.name for m in result.mentions if m.kind in wanted and m.facet}
            counts = report.kinds[kind]
            counts.tp += len(gold_values.keys() & got_values.keys())
            counts.fp += len(got_values.keys() - gold_values.keys())
            counts.fn += len(gold_values.keys() - got_values.keys())
            if kind != "actors":
                missed = sorted(gold_values[k] for k in gold_values.keys() - got_values.keys())
                extra = sorted(got_values[k] for k in got_values.keys() - gold_values.keys())
                if missed or extra:
                    errors[kind] = {"missed": missed, "extra": extra}

        gold_dates = {(" ".join(d["text"].lower().split()), d["value"]) for d in gold.get("dates", [])}
        got_dates = {(" ".join(d.text.lower().split()), d.value) for d in result.dates}
        found = {g for g in gold_dates if any(v == g[1] and _overlaps(t, g[0]) for t, v in got_dates)}
        right = {t for t in got_dates if any(t[1] == v and _overlaps(t[0], g) for g, v in gold_dates)}
        report.dates_gold += len(gold_dates)
        report.dates_found += len(found)
        report.dates_tagged += len(got_dates)
        report.dates_tagged_right += len(right)
        if gold_dates - found or got_dates - right:
            errors["dates"] = {"missed": sorted(map(list, gold_dates - found)), "extra": sorted(map(list, got_dates - right))}

        paragraphs = list(record["text"])
        stated = gold.get("outlet_stated")
        inferred = infer_outlet(paragraphs)
        _score_inference(report.outlet, stated and outlet_key(stated), inferred and outlet_key(inferred))
        if (stated and outlet_key(stated)) != (inferred and outlet_key(inferred)):
            errors["outlet"] = {"stated": stated, "inferred": inferred}
        stated_published = gold.get("published_stated")
        inferred_published = infer_published(paragraphs)
        stated_year = stated_published[:4] if stated_published else None
        inferred_year = str(inferred_published.year) if inferred_published else None
        _score_inference(report.published, stated_year, inferred_year)
        if stated_year != inferred_year:
            errors["published"] = {"stated": stated_published, "inferred": inferred_published and inferred_published.iso()}
        if errors:
            report.errors.append({"id": record["id"], **errors})
    return report


def _score_inference(counts: dict, stated, inferred) -> None:
    if stated:
        counts["stated"] += 1
    if inferred:
        counts["inferred"] += 1
        if inferred == stated:
            counts["right"] += 1
            counts["right_of_stated"] += 1


def format_report(summary: dict) -> str:
    def pct(value) -> str:
        return "   n/a" if value is None else f"{value:6.3f}"

    lines = [f"{summary['articles']} articles", "", f"{'kind':<10} {'precision':>9} {'recall':>7} {'F1':>7}   tp   fp   fn"]
    for kind in KINDS:
        k = summary[kind]
        lines.append(f"{kind:<10} {pct(k['precision']):>9} {pct(k['recall']):>7} {pct(k['f1']):>7} {k['tp']:4d} {k['fp']:4d} {k['fn']:4d}")
    d = summary["dates"]
    lines += ["", f"dates      resolved correctly {pct(d['accuracy'])} ({d['found']}/{d['gold']} gold dates), "
              f"precision {pct(d['precision'])} ({d['right']}/{d['tagged']} tagged)"]  # fmt: skip
    for name in ("outlet", "published_year"):
        o = summary[name]
        lines.append(
            f"{name:<14} inferred with metadata withheld: precision {pct(o['precision'])} ({o['right']}/{o['inferred']}), "
            f"coverage {pct(o['coverage'])} ({o['right_of_stated']}/{o['stated']} stated)"
        )
    corpus = summary.get("corpus_aliases")
    if corpus is not None:
        merges = ", ".join(f"{v} -> {full}" for full, variants in corpus["merge"].items() for v in variants) or "none"
        kinds = ", ".join(f"{name}: {kind}" for name, kind in corpus["kind"].items()) or "none"
        lines.append(f"corpus pass (over these articles): acronyms joined {merges}; kinds decided {kinds}")
    if summary.get("words_per_second"):
        lines.append(f"\ntagging speed: {summary['words_per_second']} words/s (one process, model loaded)")
    return "\n".join(lines)
