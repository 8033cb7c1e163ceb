"""Arabic analysis: one spelling of a word in the index whatever spelling the article or the user wrote.

Why: Arabic news indexed with the English analyser kept every orthographic and clitic variant of a
word as its own term, so ``وقف اطلاق النار`` (hamza omitted, as most people type it) missed ``وقف إطلاق
النار``, ``هدنه`` missed ``هدنة`` and ``الهدنة`` / ``والهدنة`` / ``بالهدنة`` were all different terms.

The pipeline built by :func:`arabic_analyzer` is::

    RegexTokenizer(ARABIC_TOKEN_PATTERN) | LowercaseFilter | ArabicNormalizeFilter | ArabicStemFilter

* The tokenizer pattern keeps Arabic combining marks (harakat) *inside* a token (``\\w`` does not match
  them, so the stock pattern splits ``إِطْلَاق`` into four tokens), and splits hashtags at ``_``.
* :class:`ArabicNormalizeFilter` folds the spellings people use interchangeably (:func:`normalize_arabic`).
* :class:`ArabicStemFilter` strips proclitics itself (:func:`strip_proclitics`: و ف ب ك ل and the article,
  iteratively, so ``لبوتين`` and ``بوتين`` meet) and lets Snowball's Arabic stemmer (PyStemmer) remove
  suffixes only.  One token out per token in, positions untouched, so phrases keep working.

Stemmer, thresholds and the hamza-seat choice were chosen by measurement on the judged query set
``tests/eval/arabic-queries.jsonl`` (``bench/arabic.py``; figures in BENCHMARKS.md).  ``light10`` is kept
as a baseline for the benchmark, which also registers the rejected stemmers it measures (tashaphyne, ISRI)
in :data:`STEMMERS`.  Nothing here touches the network.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from functools import lru_cache
from typing import Literal

from whoosh.analysis import Filter, LowercaseFilter, RegexTokenizer, Token
from whoosh.analysis.analyzers import CompositeAnalyzer

__all__ = [
    "ALL_PROCLITICS",
    "SHORT_NAMES",
    "ARABIC_TOKEN_PATTERN",
    "STEMMERS",
    "ArabicNormalizeFilter",
    "ArabicStemFilter",
    "HamzaSeats",
    "StemmerName",
    "arabic_analyzer",
    "get_stemmer",
    "light10_stem",
    "normalize_arabic",
    "strip_proclitics",
]

HamzaSeats = Literal["keep", "hamza", "letter"]
StemmerName = str  # a key of STEMMERS

# Combining marks used in Arabic script: Quranic annotation signs (U+0610-U+061A), harakat/tanwin/shadda/
# sukun and extended marks (U+064B-U+065F), superscript alef (U+0670), Quranic small high/low signs
# (U+06D6-U+06DC, U+06DF-U+06E4, U+06E7-U+06E8, U+06EA-U+06ED).  Tatweel (U+0640) is a letter-modifier
# and already matches \w, it is listed for clarity.
_ARABIC_MARKS = "\u0610-\u061a\u064b-\u065f\u0670\u06d6-\u06dc\u06df-\u06e4\u06e7\u06e8\u06ea-\u06ed"

#: Token = run of letters/digits *including* Arabic combining marks, tatweel and the zero-width (non-)joiners
#: that Persian/Urdu keyboards insert inside words.  Underscore is NOT a word character: news text is full of
#: hashtags such as #صندوق_النقد_الدولي, which must give three tokens so that the phrase query finds them.
ARABIC_TOKEN_PATTERN = rf"(?:[^\W_]|[{_ARABIC_MARKS}\u0640\u200c\u200d])+"

_MARKS_RE = re.compile(rf"[{_ARABIC_MARKS}\u0640\u200c\u200d]")

_BASE_TABLE: dict[int, str] = {
    # hamza forms of alef and alef wasla -> bare alef: people rarely type the hamza
    ord("أ"): "ا",
    ord("إ"): "ا",
    ord("آ"): "ا",
    ord("ٱ"): "ا",
    # final alef maqsura is written as ya (Egypt) and vice versa
    ord("ى"): "ي",
    # ta marbuta is very often typed as ha (same final shape without dots)
    ord("ة"): "ه",
    # Persian/Urdu keyboard letters that look identical to Arabic ones
    ord("ی"): "ي",
    ord("ې"): "ي",
    ord("ک"): "ك",
    ord("ە"): "ه",
}
# Arabic-Indic (U+0660-0669) and Extended/Persian (U+06F0-06F9) digits -> ASCII, so 2018 == ٢٠١٨ == ۲۰۱۸
for _i in range(10):
    _BASE_TABLE[0x0660 + _i] = str(_i)
    _BASE_TABLE[0x06F0 + _i] = str(_i)

_SEAT_TABLES: dict[str, dict[int, str]] = {
    # keep ؤ and ئ as they are (they are usually typed correctly; folding conflates some words)
    "keep": {},
    # seat-insensitive: ؤ, ئ -> ء.  Unifies the Egyptian/Levantine seat spellings مسئول/مسؤول, شئون/شؤون.
    "hamza": {ord("ؤ"): "ء", ord("ئ"): "ء"},
    # hamza omitted: ؤ -> و, ئ -> ي.  Matches queries typed without hamza (رييس for رئيس) but NOT مسئول/مسؤول.
    "letter": {ord("ؤ"): "و", ord("ئ"): "ي"},
}


@lru_cache(maxsize=4)
def _table(hamza_seats: str) -> dict[int, str]:
    if hamza_seats not in _SEAT_TABLES:
        raise ValueError(f"hamza_seats must be one of {sorted(_SEAT_TABLES)}, not {hamza_seats!r}")
    return {**_BASE_TABLE, **_SEAT_TABLES[hamza_seats]}


def normalize_arabic(text: str, hamza_seats: HamzaSeats = "hamza") -> str:
    """Fold Arabic orthographic variants to one spelling.

    Removes harakat/Quranic marks/tatweel/ZWJ/ZWNJ, folds أ إ آ ٱ -> ا, ى -> ي, ة -> ه, Persian
    look-alike letters, and Arabic-Indic / Persian digits -> ASCII.  ``hamza_seats`` decides what
    happens to ؤ and ئ (see ``_SEAT_TABLES``); the default ``"hamza"`` was chosen by measurement.
    Non-Arabic text passes through unchanged (apart from the removal of ZWJ/ZWNJ).
    """
    return _MARKS_RE.sub("", text).translate(_table(hamza_seats))


class ArabicNormalizeFilter(Filter):
    """Whoosh filter applying :func:`normalize_arabic` to every token (one token out per token in).

    A token made only of marks/tatweel becomes empty; it is still yielded (with empty text it
    indexes nothing useful but keeps later positions identical to the tokenizer's count).
    """

    def __init__(self, hamza_seats: HamzaSeats = "hamza") -> None:
        _table(hamza_seats)  # validate early
        self.hamza_seats = hamza_seats

    def __eq__(self, other: object) -> bool:
        return isinstance(other, ArabicNormalizeFilter) and other.hamza_seats == self.hamza_seats

    def __call__(self, tokens: Iterator[Token]) -> Iterator[Token]:
        seats = self.hamza_seats
        for t in tokens:
            t.text = normalize_arabic(t.text, seats)
            yield t


# ---------------------------------------------------------------------------------------------
# Light10 (Larkey, Ballesteros & Connell 2007) - reference light stemmer, expects normalised input.
# ---------------------------------------------------------------------------------------------
_L10_ARTICLES = ("وال", "بال", "كال", "فال", "لل", "ال")  # longest first
_L10_SUFFIXES = ("ها", "ان", "ات", "ون", "ين", "يه", "ية", "ه", "ة", "ي")


def light10_stem(word: str) -> str:
    """Light10 on an already normalised word.

    Exactly as published: strip a leading و if 3+ letters remain, then one article form if 2+
    letters remain, then each suffix of the list once, in order, if 2+ letters remain.  It does not
    strip bare ب ك ل ف (too many words begin with them: بوتين, لبنان, فرنسا, كركوك).
    """
    if len(word) >= 4 and word[0] == "و":
        word = word[1:]
    for art in _L10_ARTICLES:
        if word.startswith(art) and len(word) - len(art) >= 2:
            word = word[len(art) :]
            break
    for suf in _L10_SUFFIXES:
        if word.endswith(suf) and len(word) - len(suf) >= 2:
            word = word[: -len(suf)]
    return word


_ARTICLE_FORMS = ("وال", "فال", "بال", "كال", "لل", "ال")
ALL_PROCLITICS = "وفبكل"
#: Three-letter names (normalised) of the news that take ب/ل/ك/ف as often as any word: "لحلب", "بمصر", "لغزة",
#: "لحزب الله".  ``min_rest=4`` keeps the proclitic on every other three-letter remainder (فرقة is not ف + رقة).
SHORT_NAMES = frozenset({"حلب", "مصر", "غزه", "حمص", "حماه", "دبي", "عدن", "تعز", "قطر", "حزب"})


def strip_proclitics(word: str, min_rest: int = 4, letters: str = ALL_PROCLITICS) -> str:
    """Strip leading proclitics ITERATIVELY: article forms (وال فال بال كال لل ال) while 2+ letters remain,
    single letters from ``letters`` (default و ف ب ك ل) while ``min_rest``+ letters remain (و: 3+, as in
    light10, because و is by far the most frequent proclitic).

    Why iterative: without a lexicon one cannot tell the ب of بوتين from the ب of بالسلاح.  Stripping greedily
    until no rule applies makes the result depend only on what is left, so f(ل + بوتين) == f(بوتين) (both give
    تين): proclitic variants of a query meet the same index term, which is what search needs.  The price is
    wrong conflations of words that begin with these letters; ``min_rest=4`` (default, measured) keeps 4-letter
    words whole (فنان 'artist' vs لبنان, فرصة 'chance' vs بورصة) but then ل/ب before a 3-letter word stays
    (لحرب), except before the names of :data:`SHORT_NAMES` (لحلب -> حلب).
    """
    while True:
        for art in _ARTICLE_FORMS:
            if word.startswith(art) and len(word) - len(art) >= 2:
                word = word[len(art) :]
                break
        else:
            if word and word[0] in letters and len(word) - 1 >= (min(3, min_rest) if word[0] == "و" else min_rest):
                word = word[1:]
                continue
            if len(word) == 4 and word[0] in letters and word[1:] in SHORT_NAMES:
                return word[1:]  # "لحلب", "بمصر": a known three-letter name after its proclitic
            return word


def _has_arabic(word: str) -> bool:
    return any("\u0600" <= ch <= "\u06ff" for ch in word)


def _snowball() -> Callable[[str], str]:
    import Stemmer  # PyStemmer, pinned: the C build of Snowball

    return Stemmer.Stemmer("arabic").stemWord


#: Stemmers by name (a factory each).  The benchmark (bench/arabic.py) registers the ones it measured
#: and rejected (tashaphyne, NLTK's ISRI), which are not dependencies of searchapp.
STEMMERS: dict[str, Callable[[], Callable[[str], str]]] = {
    "snowball": _snowball,
    "pystemmer": _snowball,
    "light10": lambda: light10_stem,
    "none": lambda: str,
}


def get_stemmer(
    name: StemmerName = "snowball",
    proclitics: bool = True,
    min_rest: int = 4,
    letters: str = ALL_PROCLITICS,
    stemmer_prefixes: bool = False,
) -> Callable[[str], str]:
    """Return a cached ``str -> str`` stemming function.

    With ``proclitics=True`` :func:`strip_proclitics` runs before the stemmer (the packaged stemmers strip
    و/ل/ب inconsistently, e.g. Snowball leaves والهدنة as والهد while الهدنة gives هدنه).

    ``name`` is a key of :data:`STEMMERS`: ``"snowball"`` (alias ``"pystemmer"``) is PyStemmer, the C build of
    Snowball Arabic; ``"light10"`` the published light stemmer (a baseline); ``"none"`` no stemming.
    """
    if name not in STEMMERS:
        raise ValueError(f"unknown stemmer {name!r}: one of {sorted(STEMMERS)}")
    fn = STEMMERS[name]()
    base = fn
    if proclitics:

        def fn(word: str) -> str:
            rest = strip_proclitics(word, min_rest, letters)
            stem = base(rest) or rest
            if not stemmer_prefixes:
                # Proclitics are decided by strip_proclitics alone: if the stemmer removed leading letters
                # too (Snowball strips ب ك ل itself: لبنان -> بنان -> نان, the stem of فنان 'artist'), put them back
                # and keep only its suffix removal.  Stems that are not a substring (ISRI roots) stay as they are.
                i = rest.find(stem)
                if i > 0:
                    stem = rest[: i + len(stem)]
            return stem

    @lru_cache(maxsize=200_000)
    def stem(word: str) -> str:
        # Only Arabic words are stemmed; Latin/digits pass through.  An empty stem would make the
        # token vanish from the index, so fall back to the input word.
        if not _has_arabic(word):
            return word
        return fn(word) or word

    return stem


class ArabicStemFilter(Filter):
    """Whoosh filter replacing each token's text with its stem.

    Exactly one output token per input token and ``pos``/``startchar``/``endchar`` untouched, so
    phrase queries keep working.  Expects tokens already passed through :class:`ArabicNormalizeFilter`.
    """

    def __init__(
        self,
        stemmer: StemmerName = "snowball",
        proclitics: bool = True,
        min_rest: int = 4,
        letters: str = ALL_PROCLITICS,
        stemmer_prefixes: bool = False,
    ) -> None:
        self.stemmer = stemmer
        self.proclitics = proclitics
        self.min_rest = min_rest
        self.letters = letters
        self.stemmer_prefixes = stemmer_prefixes
        self._stem = get_stemmer(stemmer, proclitics, min_rest, letters, stemmer_prefixes)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, ArabicStemFilter) and self.__getstate__() == other.__getstate__()

    def __getstate__(self) -> dict[str, object]:
        # Whoosh pickles the schema into the index TOC; the cached closure is not picklable.
        return {
            "stemmer": self.stemmer,
            "proclitics": self.proclitics,
            "min_rest": self.min_rest,
            "letters": self.letters,
            "stemmer_prefixes": self.stemmer_prefixes,
        }

    def __setstate__(self, state: dict[str, object]) -> None:
        self.stemmer = state["stemmer"]  # type: ignore[assignment]
        self.proclitics = bool(state.get("proclitics", True))
        self.min_rest = int(state.get("min_rest", 4))  # type: ignore[call-overload]
        self.letters = str(state.get("letters", ALL_PROCLITICS))
        self.stemmer_prefixes = bool(state.get("stemmer_prefixes", False))
        self._stem = get_stemmer(self.stemmer, self.proclitics, self.min_rest, self.letters, self.stemmer_prefixes)

    def __call__(self, tokens: Iterator[Token]) -> Iterator[Token]:
        stem = self._stem
        for t in tokens:
            if not t.stopped:
                t.text = stem(t.text)
            yield t


def arabic_analyzer(stemmer: StemmerName = "snowball", hamza_seats: HamzaSeats = "hamza", **stemming) -> CompositeAnalyzer:
    """Analyser for Arabic (and mixed Arabic/Latin) news text, for both indexing and querying.

    Defaults are the measured choice: Snowball (PyStemmer) for suffixes, own iterative proclitic stripping with
    ``min_rest=4``, ؤ/ئ folded to ء.  ``stemmer="none", proclitics=False`` gives normalisation only.  Latin
    tokens are lowercased, never stemmed.  Use as ``TEXT(analyzer=arabic_analyzer(), phrase=True)``.
    ``stemming``: the other options of :class:`ArabicStemFilter` (``proclitics``, ``min_rest``, ``letters``,
    ``stemmer_prefixes``), with its defaults.
    """
    chain = RegexTokenizer(ARABIC_TOKEN_PATTERN) | LowercaseFilter() | ArabicNormalizeFilter(hamza_seats)
    if stemmer != "none" or stemming.get("proclitics", True):
        chain = chain | ArabicStemFilter(stemmer, **stemming)
    return chain
