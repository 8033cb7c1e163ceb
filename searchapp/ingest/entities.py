"""Entity normalisation: one facet value per real actor or place, and no junk.

The tagger's raw mentions ("Bashar al-Assad's", "the United Nations", "US", "Ambassador Kelly
Kraft", "Erdoğan", "Putin") go through, in order:

1. **cleaning** (:func:`clean_name`): possessives, a leading "the", titles and nationality words
   ("President", "Russian Foreign Minister") and trailing credits (" - Photo") are stripped;
2. **junk filtering** (:func:`is_junk`): pronouns, numbers, single letters, lower-case words, URLs
   and over-long spans are dropped;
3. **aliases** (:class:`Aliases`): the built-in table (``data/aliases.toml``: "U.S." -> United
   States, "U.N." -> United Nations) and the user's own file merge, rename, drop and re-kind
   values.  Lookup is by :func:`fold`, so case, dots and accents never split a value;
4. **within-article linking** (:func:`link_names`): "Putin" next to "Vladimir Putin" in the same
   article becomes Vladimir Putin, whatever label the tagger gave the short form; an acronym or a
   short form joins the full name the article gave first ("SAS" and "Scandinavian Airlines
   System", "Shearson" and "Shearson Lehman Brothers"); nationality words are never places or
   organisations, and "U.S." before an organisation is also the United States.

Organisation names also lose their legal form and ticker ("C. Itoh and Co Ltd <CITT.T>" is C. Itoh).

The display form of a value is the alias's name when there is one, else the cleaned text with
accents folded ("Erdoğan" and "Erdogan" are one value).

Scraped text adds its own classes of error, handled here for any outlet:

* **transliterations**: aliases and places are also looked up by
  :func:`searchapp.store.names.name_key` ("Deir Ezzor", "Deir al-Zour" -> Deir ez-Zor; "al Qaida"
  -> al-Qaeda), and the spellings of one article that share a key are one value;
* **possessives scraped without apostrophe** ("Syrias", "Bashar al-Assads", "Aleppos Old City"):
  a final "s" is dropped when the name without it is known (aliases, gazetteer, or another
  mention of the article) and the name with it is not;
* **words glued by scraping** ("Doumaexterminated"): a known place followed by lower-case letters
  is that place;
* **date words** ("Thu Aug", "Fri Sep", "Mon" of "Mon Jul 6 2015") are never entities, and a
  name running into a date ("Latakia June 6 2015") is cut before it;
* **kind by what is known**: a name the gazetteer knows as a place (Syrian towns, villages,
  camps and neighbourhoods included) is a place whatever the model called it ("Palmyra",
  "Douma" as people), unless the aliases say otherwise.
"""

from __future__ import annotations

import hashlib
import json
import re
import tomllib
import unicodedata
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from pathlib import Path

from ..errors import AliasesError
from ..store.names import name_key
from ..store.outlets import known_outlet
from .models import Mention

KINDS = ("person", "org", "place")


TITLES = {
    "president", "vice", "prime", "minister", "foreign", "defence", "defense", "interior",
    "secretary", "secretary-general", "general", "ambassador", "envoy", "special", "deputy",
    "spokesperson", "spokesman", "spokeswoman", "rep", "rep.", "sen", "sen.", "senator",
    "speaker", "gen", "gen.", "lt", "lt.", "col", "col.", "maj", "maj.", "king", "queen",
    "prince", "princess", "sheikh", "emir", "dr", "dr.", "mr", "mr.", "mrs", "mrs.", "ms", "ms.",
    "chancellor", "chairman", "chairwoman", "chief", "commander", "director", "governor", "mayor",
    "premier", "pope", "state", "of", "un", "u.n.", "us", "u.s.", "official", "top", "former",
    "late", "senior", "leader", "counterpart", "colleague", "judge", "justice", "lawmaker",
    "mp", "sir", "lord", "lady", "cardinal", "imam", "ayatollah", "supreme", "grand",
    "major", "lieutenant", "colonel", "brigadier", "captain", "sergeant", "admiral", "capt", "capt.",
    "brig", "brig.", "lt-gen", "maj-gen", "field", "marshal", "head", "activist",
}  # fmt: skip
# Military ranks that open a person's name the model took for an organisation ("Major General Igor Konashenkov").
RANKS = {"major", "lieutenant", "colonel", "brigadier", "captain", "sergeant", "admiral", "general", "gen", "gen.", "maj", "maj.", "lt", "lt.", "col", "col."}
DEMONYMS = {
    "american", "russian", "turkish", "syrian", "iranian", "israeli", "iraqi", "british",
    "french", "german", "chinese", "saudi", "egyptian", "jordanian", "lebanese", "qatari",
    "emirati", "kurdish", "palestinian", "ukrainian", "european", "arab", "western", "us",
    "u.s.", "un", "u.n.", "italian", "spanish", "japanese", "indian", "pakistani", "afghan",
}  # fmt: skip
PRONOUNS = {
    "i", "me", "you", "he", "him", "she", "her", "it", "we", "us", "they", "them", "his", "hers",
    "its", "our", "their", "this", "that", "these", "those", "who", "whom", "which", "what",
    "someone", "anyone", "everyone", "nobody", "one",
}  # fmt: skip
PLACE_SUFFIXES = {
    "province", "provinces", "governorate", "region", "countryside", "district", "city", "town", "area",
    "village", "neighbourhood", "neighborhood", "suburb",
}  # fmt: skip
_POSSESSIVE = re.compile(r"(?:['’]s|['’])$")
_TRAILING_CREDIT = re.compile(r"\s+[-–—|]\s+.*$")
_PARENTHESES = re.compile(r"\s*\([^()]*(?:\)|$)")  # "(HTS)", "(D-MN)", an unclosed "(ICO"
# Legal forms that end company names: "C. Itoh and Co Ltd" and "C. Itoh" are one company.  The
# abbreviations as written close a name the model cut short (the tagger's look-ahead, below) and
# cut "Mitsui and Co Ltd of Japan" after the form; all of them are stripped from the end of a name.
CLOSING_FORMS = ("Ltd", "Inc", "Corp", "Plc", "PLC", "Bhd", "AG")
LEGAL_FORMS = {form.lower() for form in CLOSING_FORMS} | {
    "limited", "incorporated", "berhad", "sa", "nv", "bv", "co", "cos", "llc", "gmbh", "spa", "pty", "kk", "&", "and",
}  # fmt: skip
# A form that ends the name before "of": "Mitsui and Co Ltd of Japan"; "Corp" does not ("Petroleum Corp of New Zealand").
OF_CUT_FORMS = {form.lower() for form in CLOSING_FORMS} - {"corp"} | {"sa", "nv"}
# A company name goes on with its legal form; the model often stops before it ("C. Itoh" of "C. Itoh and Co Ltd").
LEGAL_FORM_AFTER = re.compile(r"\s+(?:(?:and|&)\s+Co\b|Co\b\.?\s+Ltd\b|(?:" + "|".join(CLOSING_FORMS) + r")\b)")


@lru_cache(maxsize=1 << 17)  # called hundreds of times an article on the same few names
def fold(name: str) -> str:
    """Lookup key of a name: accents, case, dots, hyphens and spacing removed (cached: called for every mention)."""
    text = unicodedata.normalize("NFKD", name)
    text = "".join(c for c in text if not unicodedata.combining(c)).casefold()
    text = text.replace(".", "").replace("’", "'")
    text = re.sub(r"[\s\-‐–—_]+", " ", text).strip(" '\"")
    return text.removeprefix("the ")


def strip_accents(name: str) -> str:
    text = unicodedata.normalize("NFKD", name)
    return unicodedata.normalize("NFC", "".join(c for c in text if not unicodedata.combining(c)))


@lru_cache(maxsize=1 << 16)  # pure, and called for every mention (twice): names repeat across a corpus
def clean_name(text: str, kind: str) -> str:
    """A mention without possessive, leading "the", titles, nationality words and credits."""
    name = " ".join(text.replace("\u00a0", " ").replace("<", " ").replace(">", " ").split())
    name = _PARENTHESES.sub("", name).replace("(", " ").replace(")", " ").strip(" \"'“”‘’[],;:")
    if kind in ("place", "person") and len(name) > 3 and re.fullmatch(r"[A-Z][A-Z .'-]+", name) and "." not in name:
        name = name.title()  # "EL SALVADOR" of a wire table is El Salvador
    name = _TRAILING_CREDIT.sub("", name)
    name = _INTO_DATE.sub("", name)
    if _LEADING_DATE.match(name) and _LEADING_DATE.sub("", name):  # "Fri Sep World Beirut": a dateline's fragment
        name = _LEADING_DATE.sub("", name)
    name = _POSSESSIVE.sub("", name).strip()
    name = re.sub(r"\s+(?:al|el|Al|El)$", "", name)  # "Bashar al" of "Bashar al Assads" cut by the model
    name = re.sub(r"\s+(?:An|The|A|In|On|At|And|Of|For)$", "", name)  # "Sweida An army unit...": a heading glued to a sentence
    name = re.sub(r"^(?:the|The|THE)\s+", "", name)
    if kind == "person":
        words = name.split()
        while len(words) > 1 and (words[0].lower() in TITLES or words[0].lower() in DEMONYMS):
            words.pop(0)
        name = " ".join(words)
    elif kind == "place":
        words = name.split()
        if len(words) > 1 and words[-1].lower() in PLACE_SUFFIXES and words[-1][0].islower():
            words.pop()
        name = " ".join(words)
        name = re.sub(r"^(?:province|governorate|city|town|region) of\s+", "", name, flags=re.IGNORECASE)
    elif kind == "org":
        name = _clean_org(name)
    return " ".join(name.replace(",", " ").split()).strip(" -.")


def _clean_org(name: str) -> str:
    """An organisation without an article, a legal form or a trailing acronym ("Kuwait News Agency KUNA")."""
    words = name.split()
    if len(words) > 1 and words[0] in ("a", "an"):
        words.pop(0)
    if len(words) > 1 and words[0] in ("PT", "Pt", "P.T."):
        words.pop(0)
    for i, word in enumerate(words[:-1]):  # "Mitsui and Co Ltd of Japan"
        if word.lower().strip(".,") in OF_CUT_FORMS and words[i + 1] == "of" and i > 0:
            words = words[:i]
            break
    while words and words[-1].lower().strip(".,") in LEGAL_FORMS:
        words.pop()
    if len(words) > 2 and words[-1].isupper() and words[-1].isalpha() and words[-1][0] == words[0][0]:
        words.pop()  # the acronym after the full name
    return " ".join(words)


DATE_WORDS = {
    "mon", "tue", "tues", "wed", "thu", "thur", "thurs", "fri", "sat", "sun", "monday", "tuesday",
    "wednesday", "thursday", "friday", "saturday", "sunday", "jan", "feb", "mar", "apr", "may", "jun",
    "jul", "aug", "sep", "sept", "oct", "nov", "dec", "january", "february", "march", "april", "june",
    "july", "august", "september", "october", "november", "december", "gmt", "am", "pm", "ksa",
}  # fmt: skip
# A name that runs into a date: "Latakia June 6 2015", "Jun 2014 Print Tweet Syrian".
_INTO_DATE = re.compile(r"\s+(?:" + "|".join(w.title() for w in DATE_WORDS if len(w) > 2) + r")\.?\s+\d.*$")
_LEADING_DATE = re.compile(r"^(?:(?:" + "|".join(w.title() for w in DATE_WORDS if len(w) > 2) + r")\.?\s+|\d{1,4}\s+)+")

_TABLE_WORD = re.compile(r"\d[.,]\d|\b(?:vs|mln|dlrs?|pct|cts|nil|avge?|revs|shr|div)\b|^[A-Z]{2,6}\.[A-Z]{1,2}$", re.IGNORECASE)


@lru_cache(maxsize=1 << 16)  # pure, and asked for every candidate value of every article
def is_junk(name: str) -> bool:
    """Values no facet should show: pronouns, numbers, single letters, lower-case words, URLs."""
    if len(name) < 2 or len(name) > 80 or len(name.split()) > 7:
        return True
    if fold(name) in ("al", "el", "ad", "as", "an", "at", "ash", "az", "ez", "abu", "bin", "ibn", "umm", "um"):
        return True  # an Arabic article or kunya word left alone by the model ("Al" of "Al Arabiya")
    if all(w.lower().strip(".,") in DATE_WORDS or re.fullmatch(r"[\d:.]+", w) for w in name.split()):
        return True  # "Thu Aug", "Mon", "Fri Sep": date stamps, not entities
    letters = [c for c in name if c.isalpha()]
    if len(letters) < 2:
        return True
    if (name.casefold() in PRONOUNS or fold(name) in PRONOUNS) and not name.replace(".", "").isupper():
        return True  # "us", "It"; but "US" and "U.S." are the United States
    if name[0].isdigit() or "http" in name.lower() or "@" in name or "www." in name.lower():
        return True
    if _TABLE_WORD.search(name):  # the cells of wire tables: "Revs 291.8", "Mar 20.4", "N.Z. Dlrs"
        return True
    cased = [c for c in letters if c.isupper() or c.islower()]
    # "coronavirus", "the government": names are capitalised (scripts without case pass)
    return bool(cased) and not any(c.isupper() for c in cased)


@dataclass
class Aliases:
    """Merges, renames, drops and kind changes, looked up by :func:`fold` of the value."""

    canonical: dict[str, str] = field(default_factory=dict)  # fold(variant) -> display name
    kinds: dict[str, str] = field(default_factory=dict)  # fold(name) -> kind
    dropped: set[str] = field(default_factory=set)  # fold(name)
    digest: str = ""
    kind_names: dict[str, str] = field(default_factory=dict)  # name as written -> kind (for the tagger's ruler)
    variants: dict[str, str] = field(default_factory=dict)  # variant as written -> display name
    keyed: dict[str, str] = field(default_factory=dict)  # name_key(variant) -> display name (transliterations)
    with_corpus: bool = False  # the corpus aliases of a corpus-wide pass are among them (searchapp.ingest.corpus)

    def lookup(self, name: str) -> str | None:
        """The display name the aliases give ``name``, by fold, then by transliteration key (not for acronyms)."""
        display = self.canonical.get(fold(name))
        if display is None and not (name.replace(".", "").isupper() and len(name) <= 6):
            display = self.keyed.get(name_key(name))
        return display

    def kind_of(self, name: str) -> str | None:
        """The kind the aliases give ``name`` (or the value it merges into), or None."""
        return self.kinds.get(fold(name)) or self.kinds.get(fold(self.lookup(name) or ""))

    def resolve(self, name: str, kind: str) -> tuple[str, str] | None:
        """(display, kind) of a cleaned name after aliases, or None when it is dropped."""
        key = fold(name)
        if key in self.dropped:
            return None
        display = self.lookup(name)
        if display is None:
            display = strip_accents(name)
        elif fold(display) in self.dropped:
            return None
        kind = self.kinds.get(fold(display), self.kinds.get(key, kind))
        return display, kind

    def redirect(self, old: str, new: str) -> None:
        """Every spelling an earlier merge gave value ``old`` now gives ``new``, with its kind.

        A user's file that renames a built-in value ("Bashar al-Asad" = ["Bashar al-Assad"]) or
        merges two ("Syrian government" = ["Syrian Arab Army"]) takes their spellings along: the
        user's file has the last word.
        """
        for table in (self.canonical, self.keyed, self.variants):
            for key, value in table.items():
                if value == old:
                    table[key] = new
        if fold(old) in self.kinds and fold(new) not in self.kinds:
            self.kinds[fold(new)] = self.kinds[fold(old)]

    def update(self, data: dict, origin: str, keyed: bool = True) -> None:
        """Apply one aliases file's tables; ``keyed``: its variants are also looked up by transliteration key
        (not for the corpus aliases, whose variants are acronyms: "NYSE" would key "Nesi", "LIFFE" "Life")."""
        unknown = set(data) - {"drop", "merge", "kind"}
        if unknown:
            raise AliasesError(f"{origin}: unknown section(s) {', '.join(sorted(unknown))}; expected drop, merge, kind")
        drop = data.get("drop", [])
        if not isinstance(drop, list) or not all(isinstance(x, str) for x in drop):
            raise AliasesError(f"{origin}: 'drop' must be a list of strings")
        self.dropped.update(fold(x) for x in drop)
        merge = data.get("merge", {})
        if not isinstance(merge, dict):
            raise AliasesError(f"{origin}: [merge] must be a table of name = [variants]")
        shown = {fold(d): d for d in set(self.canonical.values())}  # the values earlier merges make
        for display, variants in merge.items():
            if isinstance(variants, str):
                variants = [variants]
            if not isinstance(variants, list) or not all(isinstance(v, str) for v in variants):
                raise AliasesError(f"{origin}: [merge] {display!r} must be a list of strings")
            for variant in [display, *variants]:
                if shown.get(fold(variant), display) != display:
                    self.redirect(shown.pop(fold(variant)), display)
                self.canonical[fold(variant)] = display
                self.variants[variant] = display
                if keyed and len(name_key(variant)) > 3:  # a user's merge of a spelling wins over the built-in one
                    self.keyed[name_key(variant)] = display
            self.dropped.discard(fold(display))
            shown[fold(display)] = display
        kinds = data.get("kind", {})
        if not isinstance(kinds, dict):
            raise AliasesError(f"{origin}: [kind] must be a table of name = \"person\"|\"org\"|\"place\"")
        for name, kind in kinds.items():
            if kind not in KINDS:
                raise AliasesError(f"{origin}: [kind] {name!r} = {kind!r}: expected one of {', '.join(KINDS)}")
            self.kinds[fold(name)] = kind
            self.kind_names[name] = kind


def load_aliases(user_file: str | Path | None = None, corpus: tuple[str, str] | None = None) -> Aliases:
    """The built-in aliases, the corpus's (if any) on top, and the user's file (if any) on top of both.

    ``corpus`` is (origin, TOML text) of the aliases a corpus-wide pass derived
    (:mod:`searchapp.ingest.corpus`): the user's file has the last word over them, and they over the
    built-in ones.  The digest covers the corpus aliases' entries, not their comments (the evidence
    counts written beside each entry change with every run without changing what is applied).
    """
    aliases = Aliases(with_corpus=corpus is not None)
    builtin = resources.files("searchapp.ingest").joinpath("data/aliases.toml").read_text(encoding="utf-8")
    texts = [("built-in aliases", builtin)]
    if corpus is not None:
        texts.append(corpus)
    if user_file:
        path = Path(user_file)
        try:
            texts.append((str(path), path.read_text(encoding="utf-8")))
        except (OSError, UnicodeDecodeError) as exc:
            raise AliasesError(f"{path}: cannot read aliases file: {exc}") from None
    for origin, text in texts:
        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            raise AliasesError(f"{origin}: {exc}") from None
        aliases.update(data, origin, keyed=corpus is None or (origin, text) != corpus)
    digested = [t if corpus is None or (o, t) != corpus else json.dumps(tomllib.loads(t), sort_keys=True) for o, t in texts]
    aliases.digest = hashlib.sha256("\0".join(digested).encode()).hexdigest()[:16]
    return aliases


@dataclass
class RawMention:
    text: str
    label: str  # spaCy label: PERSON, ORG, GPE, LOC, FAC, NORP
    paragraph: int
    start: int = 0  # character offsets in the paragraph
    end: int = 0


LABEL_KINDS = {"PERSON": "person", "ORG": "org", "GPE": "place", "LOC": "place", "FAC": "place", "LOCATED": "place", "ACTOR": "org"}


_LOWER_WORD = re.compile(r"(?<![\w.-])[a-z][a-z]+(?![\w-])")  # words written in lower case (after no dot: not "U.s")


def words_in_lower_case(paragraphs: list[str]) -> set[str]:
    """The words an article writes in lower case ("eastern", "clashes"): a capitalised one alone is no name.

    Given to :func:`link_names` by the tagger and by the re-normalisation of stored mentions alike.
    """
    return set(_LOWER_WORD.findall(" ".join(paragraphs)))


def link_names(
    raw: list[RawMention],
    aliases: Aliases,
    known_places: tuple[dict[str, str], frozenset[str]] | None = None,
    lowercase_words: frozenset[str] | set[str] = frozenset(),
) -> list[Mention]:
    """An article's entities, one per real entity, with the paragraphs and spans they occur in.

    ``known_places`` is the gazetteer's knowledge, (:func:`searchapp.ingest.gazetteer.place_lookup`,
    :func:`~searchapp.ingest.gazetteer.place_spellings`), given by the tagger (the gazetteer
    imports this module): what makes a name a place whatever the model called it.

    ``lowercase_words`` are the words the article also writes in lower case: a one-word
    capitalised "name" that is one of them ("Eastern", "Clashes", "Media" of a headline or a
    sentence start) is a common word, not an entity, unless the aliases or the gazetteer know it
    (a name of several words is kept: "the Constitutional Committee" beside "constitutional
    committee talks" is a proper name).

    The kind of a value is the one most of its mentions carry (aliases decide first); a
    short form that ends a longer person name of the same article ("Putin", "de Mistura",
    "Assad" for "Bashar al-Assad") is that person, whatever label it was given.
    """
    places, spellings = known_places if known_places is not None else ({}, frozenset())
    article_keys = {name_key(clean_name(m.text, LABEL_KINDS.get(m.label, "org"))) for m in raw}

    def known(name: str) -> bool:
        return fold(name) in aliases.canonical or fold(name) in spellings

    candidates: list[tuple[str, str, RawMention]] = []
    for mention in raw:
        label_kind = LABEL_KINDS.get(mention.label)
        cleaned = clean_name(mention.text, label_kind or "org")
        whole = " ".join(mention.text.split())
        if whole != cleaned and fold(whole) in aliases.canonical:
            cleaned = whole  # an alias's spelling is its name: "Damascus countryside" is Rif Dimashq, not Damascus
        if not cleaned:
            continue
        cleaned, possessor = _unglue(cleaned, known, article_keys)
        if possessor:  # "Aleppos Sukkari": Aleppo, then Sukkari
            candidates.append((places.get(name_key(possessor)) or possessor, "place", mention))
            if not cleaned:
                continue
        alias_kind = aliases.kind_of(cleaned)
        if not alias_kind and label_kind in ("person", "org", "place") and len(cleaned.split()) > 1:
            parts = _split_places(cleaned, known)
            if parts:  # "Ain Tarma Zamalka", "al-Kalaseh Bustan al-Qasr": a scraped run of places
                for part in parts:
                    resolved = aliases.resolve(part, "place")
                    if resolved is not None:
                        candidates.append((places.get(name_key(part)) or resolved[0], resolved[1], mention))
                continue
        kind = alias_kind or label_kind
        if not alias_kind and mention.label != "ACTOR" and fold(cleaned) not in spellings:
            words = cleaned.split()
            if len(words) == 1 and (cleaned.lower() in lowercase_words or (kind == "place" and fold(cleaned) in TOPONYM_HEADS)):
                continue  # "Eastern", "Clashes", "Suicide": common words capitalised by a heading; "Beit" alone
        if not alias_kind and kind in ("person", "org") and mention.label != "ACTOR" and fold(cleaned) not in spellings:
            words = cleaned.split()
            if len(words) > 1 and words[-1] in _PLACE_TYPES:  # "Alwaer District": the model's person is a place
                cleaned, kind = " ".join(words[:-1]), "place"
            elif len(words) > 1 and words[-1] in _FACILITY_TYPES:
                continue  # "Saadallah al-Jabiri Square", "al-Neel Street": a facility named after someone, neither person nor place value
            elif known_outlet(cleaned) or (kind == "person" and len(words) > 1 and words[-1] in BODY_WORDS):
                kind = "org"  # "Sputnik" (a news outlet), "Al-Nasr Army", "Hama Media Center": the model's person is a body
            elif kind == "org" and len(words) > 2 and words[0].lower() in RANKS:  # "Major General Igor Konashenkov"
                cleaned, kind = clean_name(cleaned, "person"), "person"
        if kind == "place" and not alias_kind and not known(cleaned) and re.match(r"(?:Abu|Abou|Umm|Um|Oum)\s+[A-Z]\w+\s+\S", cleaned):
            kind = "person"  # "Abu Yazan al-Noiami": a kunya opens a person's name (not "Abu Kamal", a known town)
        if kind == "place" and not known(cleaned) and (compass := _COMPASS.match(cleaned)) and known(cleaned[compass.end() :]):
            cleaned = cleaned[compass.end() :]  # "Southern Syria", "eastern Aleppo": the place (not "Eastern Ghouta", known whole)
        exact = places.get("=" + fold(cleaned))  # a spelling the gazetteer lists: its own display ("" keeps it)
        place_display = exact if exact is not None else places.get(name_key(cleaned))
        if not alias_kind and kind != "place" and mention.label not in ("NORP", "ACTOR") and (
            fold(cleaned) in spellings or (kind == "person" and _looks_like_toponym(cleaned))
        ):
            kind = "place"  # "Palmyra", "Douma", "Kafr Batna", "Tal al-Sheikh": what is known, not one NER guess
        if kind is None:  # NORP and friends: only when the aliases say what they are
            continue
        if label_kind != "person" and kind == "person":
            cleaned = clean_name(mention.text, "person")
        is_known = fold(cleaned) in aliases.canonical  # "G-5" is a name, not junk
        if (is_junk(cleaned) and not is_known) or (not alias_kind and _is_nationality(cleaned)):
            continue
        if kind == "org" and not alias_kind and mention.label != "ACTOR" and ("/" in cleaned or (len(cleaned.split()) <= 2 and cleaned.split()[-1].islower())):
            continue  # "Caterpillar/MHI", "U.S./ASEAN Memorandum", "Industry department", "Syrian army"
        if kind == "org" and _US_PREFIX.match(cleaned):  # "U.S. General Services Administration"
            candidates.append(("United Kingdom" if "K" in cleaned.split()[0] else "United States", "place", mention))
            if not aliases.lookup(cleaned):
                cleaned = _US_PREFIX.sub("", cleaned)
                if len(cleaned.split()) == 1 and not aliases.kinds.get(fold(cleaned)):
                    continue  # "U.S. Airlines", "U.S. Attacks": wire copy capitalises after "U.S."
        resolved = aliases.resolve(cleaned, kind)
        if resolved is None:
            continue
        name, kind = resolved
        if kind == "place" and place_display and not aliases.lookup(cleaned):
            name = place_display  # a governorate under its one name ("Hasakeh" -> Al-Hasakah)
        candidates.append((name, kind, mention))

    # Full person names (two words or more), longest first, keyed by their folded word tuples.
    people = sorted({n for n, k, _ in candidates if k == "person" and len(n.split()) > 1}, key=lambda n: -len(n))
    full_names = [(tuple(_surname_words(n)), n) for n in people]

    def expand(name: str) -> str | None:
        words = tuple(_surname_words(name))
        matches = {full for full_words, full in full_names if len(full_words) > len(words) and full_words[-len(words):] == words}
        return matches.pop() if len(matches) == 1 else None

    # Organisations (and places, for acronyms) of two words or more, in order of first mention.
    long_names: dict[str, str] = {}
    for n, k, _ in candidates:
        if k in ("org", "place") and len(n.split()) > 1:
            long_names.setdefault(n, k)
    long_orgs = [n for n, k in long_names.items() if k == "org"]
    first_seen: dict[str, int] = {}
    for index, (n, _, _) in enumerate(candidates):
        first_seen.setdefault(n, index)

    def shorten(name: str, kind: str) -> tuple[str, str] | None:
        """The full name a short form or an acronym stands for in this article ("Shearson", "SAS")."""
        letters = name.replace(".", "")
        if 2 <= len(letters) <= 6 and letters.isalpha() and letters.isupper():
            matches = [n for n in long_names if _is_acronym(letters, n)]
            return (matches[0], long_names[matches[0]]) if len(matches) == 1 else None
        if kind == "place" or (kind == "person" and len(name.split()) > 1):
            return None
        words = fold(name).split()
        if len(words) == 1:  # the first name of a Chinese-style full name ("Khoo" for "Khoo Teck Puat")
            firsts = {full for full in people if len(full.split()) == 3 and fold(full).split()[0] == words[0]}
            if len(firsts) == 1:
                return firsts.pop(), "person"
        for full in long_orgs:  # the first mentioned wins: it introduced the short form
            if first_seen[full] > first_seen.get(name, len(candidates)):
                break
            full_words = re.split(r"[\s-]+", fold(full))
            if len(full_words) > len(words) and full_words[: len(words)] == words:
                return full, "org"
            if len(words) == 1 and kind == "org" and words[0] in full_words and "-" in full:
                return full, "org"  # "Dassault" in "Avions Marcel Dassault-Breguet Aviation"
        return None

    kinds: dict[str, Counter] = defaultdict(Counter)
    spans: dict[str, set[tuple[int, int, int]]] = defaultdict(set)
    located: Counter = Counter()  # "Britain" of "Britain-based": how many of a value's mentions only locate
    for name, kind, mention in candidates:
        only_locates = mention.label == "LOCATED"
        full = expand(name) if kind in ("person", "org") or len(name.split()) == 1 else None
        if full is not None:
            name, kind = full, "person"
        else:
            short = shorten(name, kind)
            if short is not None:
                name, kind = short
        kinds[name][kind] += 1
        located[name] += only_locates
        spans[name].add((mention.paragraph, mention.start, mention.end))
    # spellings of one article that share a transliteration key are one value, shown as the most frequent
    by_key: dict[str, list[str]] = defaultdict(list)
    for name in kinds:
        by_key[name_key(name) if not (name.isupper() and len(name) <= 6) else name].append(name)
    for names in by_key.values():
        if len(names) > 1:
            names.sort(key=lambda n: (-sum(kinds[n].values()), -len(n), n))
            for other in names[1:]:
                kinds[names[0]].update(kinds.pop(other))
                spans[names[0]].update(spans.pop(other))
                located[names[0]] += located.pop(other, 0)
    result = []
    for name, counter in kinds.items():
        kind = aliases.kinds.get(fold(name)) or counter.most_common(1)[0][0]
        ordered = tuple(sorted(spans[name]))
        facet = located[name] < sum(counter.values())
        result.append(Mention(name, kind, tuple(sorted({p for p, _, _ in ordered})), ordered, facet))
    result.sort(key=lambda m: (m.paragraphs[0], m.name))
    return result


# First words of Arabic place names ("Kafr Nabl", "Deir al-Asafir", "Tal Rifaat", "Ain Tarma", "Jisr al-Shughour"):
# a "person" that opens with one is a place the gazetteer does not list.
TOPONYM_HEADS = {
    "kafr", "kfar", "kafar", "tal", "tel", "tell", "deir", "dayr", "ain", "ein", "ayn", "beit", "jabal", "jebel",
    "maarat", "maaret", "marat", "ras", "wadi", "qasr", "dahret", "qaryat", "jisr", "hayy", "bir", "khirbet",
    "tall", "souq", "suq", "harat", "mazraat", "urem", "orem",
}  # fmt: skip


_COMPASS = re.compile(r"(?:[Ss]outh|[Nn]orth)?(?:[Ee]ast|[Ww]est|[Ss]outh|[Nn]orth)ern\s+(?=[A-Z])")
# Words that end the names of bodies, never of people: a "person" ending with one is an organisation.
BODY_WORDS = {
    "Association", "Organization", "Organisation", "Committee", "Council", "Army", "Front", "Brigade", "Brigades",
    "Party", "Ministry", "Union", "Forces", "International", "Movement", "Group", "Network", "Center",
    "Centre", "Office", "Command", "Legion", "Battalion", "Corps", "Coalition", "Observatory", "Watch", "Institute",
}  # fmt: skip
# Capitalised administrative words that end a place name the model took for a person or organisation.
_PLACE_TYPES = {"District", "Governorate", "Province", "Countryside", "Neighbourhood", "Neighborhood", "Village", "Town"}
_FACILITY_TYPES = {"Square", "Street", "Roundabout", "Road", "Avenue", "Highway", "Bridge"}  # tests/eval/README.md: streets are facilities


def _looks_like_toponym(name: str) -> bool:
    """A name shaped like an Arabic place: a toponym head ("Kafr Naha"), or an article alone ("al-Shadadi")."""
    words = name.split()
    if len(words) > 1 and fold(words[0]) in TOPONYM_HEADS:
        return True
    return len(words) == 1 and bool(re.fullmatch(r"(?:al|Al|el|El)-[A-Z][a-z]{3,}", name))


def _split_places(name: str, known) -> list[str]:
    """The known places a run of words splits into ("Ain Tarma Zamalka" -> two), or [] when it does not wholly."""
    words = name.split()
    parts: list[str] = []
    start = 0
    while start < len(words):
        for end in range(len(words), start, -1):
            part = " ".join(words[start:end])
            if end - start < len(words) and (known(part) or (end - start == 1 and _looks_like_toponym(part))):
                parts.append(part)
                start = end
                break
        else:
            return []
    return parts if len(parts) > 1 and all(known(p) or _looks_like_toponym(p) for p in parts) and any(known(p) for p in parts) else []


def _unglue(name: str, known, article_keys: set[str]) -> tuple[str, str | None]:
    """A name without the possessive "s" scraping left glued ("Syrias" -> "Syria"), and a possessor it opens with.

    "Aleppos Old City" -> ("Old City", "Aleppo"); "Doumaexterminated" -> ("Douma", None).  Only
    when the name without the "s" is known (aliases, gazetteer, another mention of the article)
    and the name as written is not.
    """
    if known(name):
        return name, None
    words = name.split()
    last = words[-1]
    if len(last) > 3 and last.endswith("s") and not last.endswith(("ss", "us", "is")):
        stem = " ".join([*words[:-1], last[:-1]])
        if known(stem) or name_key(stem) in article_keys:
            return stem, None
    first = words[0]
    if len(words) > 1 and len(first) > 3 and first.endswith("s") and known(first[:-1]) and not known(first):
        return " ".join(words[1:]), first[:-1]
    glued = re.fullmatch(r"([A-Z][a-z]{3,}?)([a-z]{4,})", name)
    if glued and known(glued.group(1)) and not known(name):
        return glued.group(1), None
    return name, None


_US_PREFIX = re.compile(r"^(?:U\.S\.|US|U\.K\.|UK)\s+(?=[A-Z])")


@lru_cache(maxsize=1)
def nationality_words() -> frozenset[str]:
    """Nationality and other adjectives of places, as written (``data/nationalities.txt`` and the
    demonyms): tagged NORP, never places or organisations."""
    listed = resources.files("searchapp.ingest").joinpath("data/nationalities.txt").read_text(encoding="utf-8")
    words = {line.strip() for line in listed.splitlines() if line.strip() and not line.startswith("#")}
    return frozenset(words | {w.title() for w in DEMONYMS if w.isalpha() and len(w) > 2})


def _is_nationality(name: str) -> bool:
    """"Kuwaiti", "West German", "Syrians": a nationality word the model took for a place."""
    return name in nationality_words() or (len(fold(name)) > 2 and fold(name) in DEMONYMS)  # not "US", "UN"


_ACRONYM_SKIP = {"of", "and", "the", "for", "de", "du", "des", "la", "le", "&", "on", "in"}


def _is_acronym(letters: str, name: str) -> bool:
    """Whether ``letters`` ("SAS", "KUNA", "NBB") abbreviate ``name``: a prefix of each word, in order."""
    words = [w for w in re.split(r"[\s-]+", fold(name)) if w and w not in _ACRONYM_SKIP]
    letters = letters.lower()

    def match(i: int, j: int) -> bool:
        if i == len(letters):
            return j == len(words)
        if j == len(words):
            return False
        word = words[j]
        return any(word[:n] == letters[i : i + n] and match(i + n, j + 1) for n in range(1, min(len(word), len(letters) - i) + 1))

    return len(words) > 1 and match(0, 0)


def _surname_words(name: str) -> list[str]:
    """Folded words of a name, with Arabic article prefixes dropped ("al-Assad" -> "assad")."""
    words = fold(name).split()
    words = [w for w in words if w not in ("al", "el", "bin", "ibn")]
    return [re.sub(r"^(?:al|el)-?", "", w) if w.startswith(("al-", "el-")) else w for w in words]
