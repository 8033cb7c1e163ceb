"""Normalised reference search used to JUDGE the Arabic query set (tests/eval/arabic-queries.jsonl).

Written independently of searchapp.store.arabic (own normalisation table, own tokeniser, no stemmer):
a document is relevant to a query when every query word occurs in it as a whole word, allowing

* in front: nothing, or one proclitic chain from PREFIXES (و ف ب ك ل, the article ال and the
  combinations وال بال كال فال لل, plus و/ف before ب/ك/ل/ال-forms), and
* behind: nothing, or one suffix from SUFFIXES (ها ان ات ون ين يه ية ه ة ي after normalisation),
  and for words ending in ta marbuta the ت-forms (هدنتها, هدنتين, هدنات);

and for kind == "phrase" the words must be consecutive tokens.  Each query word is given by
its bare CORE (normalised, without article/proclitics) in bench/arabic_queries.py; some queries carry
an EXCLUDE list of whole tokens that the affix rule would wrongly accept (found by spot checks).
"""

from __future__ import annotations

import gzip
import json
import re
from collections.abc import Iterable
from pathlib import Path

CORPUS = Path(__file__).resolve().parent.parent.parent / "shared/corpora/ant-multisource/ant_multisource_v2.1.jsonl.gz"
N_DOCS = 3000

_DROP = re.compile("[\u0610-\u061a\u064b-\u065f\u0670\u06d6-\u06ed\u0640\u200c\u200d]")
_FOLD = str.maketrans(
    {
        "أ": "ا",
        "إ": "ا",
        "آ": "ا",
        "ٱ": "ا",
        "ى": "ي",
        "ة": "ه",
        "ؤ": "ء",
        "ئ": "ء",
        **{chr(0x0660 + i): str(i) for i in range(10)},
        **{chr(0x06F0 + i): str(i) for i in range(10)},
    }
)
_TOKEN = re.compile(r"[0-9A-Za-z\u0621-\u064a]+")

_PROCLITIC = ["", "و", "ف", "ب", "ك", "ل", "وب", "وك", "ول", "فب", "فك", "فل"]
_ARTICLE = ["", "ال"]
PREFIXES = sorted({p + a for p in _PROCLITIC for a in _ARTICLE} | {"لل", "ولل", "فلل"}, key=len, reverse=True)
SUFFIXES = ["", "ها", "ان", "ات", "ون", "ين", "يه", "ه", "ي"]
_TA_FORMS = ["ات", "تان", "تين", "ته", "تها", "تهم", "تهما", "تي", "تنا", "تكم"]


def ref_normalize(text: str) -> str:
    return _DROP.sub("", text).translate(_FOLD)


def ref_tokens(text: str) -> list[str]:
    return _TOKEN.findall(ref_normalize(text).lower())


def load_docs(n: int = N_DOCS, corpus: Path = CORPUS) -> list[dict]:
    docs = []
    with gzip.open(corpus, "rt", encoding="utf-8") as f:
        for line in f:
            docs.append(json.loads(line))
            if len(docs) >= n:
                break
    return docs


def doc_content(doc: dict) -> str:
    """What is indexed and judged: title + text (the same string measure.py indexes)."""
    return f"{doc.get('title') or ''}\n{doc.get('text') or ''}"


def word_forms(core: str) -> set[str]:
    """All surface forms (normalised) accepted for a bare core; "a|b" = alternatives (سوريا|سوري)."""
    if "|" in core:
        return set().union(*(word_forms(c) for c in core.split("|")))
    stems = {core + s for s in SUFFIXES}
    # ta-forms only for a ta marbuta (written ة, normalised to ه); الله ends in a real ha (else اللتين matched)
    if core.endswith("ه") and len(core) > 2 and core != "الله":
        stems |= {core[:-1] + s for s in _TA_FORMS}
    forms = set()
    for p in PREFIXES:
        for s in stems:
            if p.endswith("ل") and p != "ل" and s.startswith("ل") and p.endswith("لل"):
                continue
            forms.add(p + s)
    # ل + ال + لاجئين is written للاجئين (the alef of the article drops and the two lams merge)
    if core.startswith("ل"):
        forms |= {p + s for p in ("لل", "ولل", "فلل") for s in stems}
    return forms


def matches(tokens: list[str], vocab_ok: list[set[str]], phrase: bool) -> bool:
    if phrase:
        n = len(vocab_ok)
        return any(all(tokens[i + j] in vocab_ok[j] for j in range(n)) for i in range(len(tokens) - n + 1))
    toks = set(tokens)
    return all(toks & ok for ok in vocab_ok)


def excluded_forms(core: str, suffixes: Iterable[str]) -> set[str]:
    """Surface forms of core+suffix (with any prefix) to exclude, e.g. مدن+ي = مدني 'civil' is not 'cities'."""
    return {p + core + s for p in PREFIXES for s in suffixes} | {
        p + core + s + s2 for p in PREFIXES for s in suffixes for s2 in ("ين", "ون")
    }


def judge(
    docs_tokens: Iterable[tuple[str, list[str]]], cores: list[str], phrase: bool, exclude: Iterable[str] = (), extra: Iterable[str] = ()
) -> list[str]:
    ex, ext = set(exclude), set(extra)
    vocab_ok = [(word_forms(c) | (ext if c == cores[-1] else set())) - ex for c in cores]
    return [docno for docno, toks in docs_tokens if matches(toks, vocab_ok, phrase)]
