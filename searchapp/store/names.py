"""Name keys: one key for the spellings of a name that transliteration and scraping produce.

Arabic names reach English news under many spellings: "Deir ez-Zor", "Deir Ezzor", "Deir al-Zour";
"Khan Sheikhoun", "Khan Shaykhun"; "al-Qaeda", "al Qaida", "Al-Qa'ida"; "Hasakah", "Hasakeh";
"Douma", "Duma".  :func:`name_key` maps them to one key, so that the tagging side can fold them
into one facet value (with the aliases and the gazetteer, :mod:`searchapp.ingest.entities`) and the
search side can match a name however the user spells it.  It lives in ``store`` because both sides
use it (the query side may not import the ingest side).

The key, in order:

1. accents, case, apostrophes and ʿayn/hamza marks folded ("Qa'ida" -> "qaida");
2. words split at spaces and hyphens; the Arabic article dropped when it is a word of its own
   (al, el, ad, ash, as, at, az, ez, ar, an, ul) and, after the first word, when it is glued to
   a doubled sun letter ("Ezzor" -> "zor", "Assad" after "Bashar" -> "sad", like "al-Assad");
   theophoric names (ʿabd, the article, a name of God) lose the article however it is joined:
   "Abd al-Rahman", "Abdel Rahman", "Abdul-Rahman", "Abdelrahman", "Abdurrahman", "Abdur Rahman"
   -> abd + rahman; "Abdullah", "Abdallah", "Abd Allah" -> abd + lah;
3. common transliteration pairs made one: q/k, ph/f, ou/oo/o/u (one class), a/e/i/y (one
   class: "Sheikh"/"Shaykh", "Hasakeh"/"Hasakah", "Idleb"/"Idlib"), a final "h" after a vowel
   dropped, doubled letters and runs of the same vowel class made single;
4. the words joined without spaces ("Deir Ezzor" and "DeirEzzor" agree).

It is deliberately coarse (two distinct names may share a key: "Bashir" and "Bashar"), so a key
only joins spellings that the tagger already thinks are the same kind, and the display form is
chosen among the real spellings (the alias's name, the gazetteer's, or the most frequent).
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

ARTICLES = frozenset({"al", "el", "ad", "ash", "as", "at", "az", "ez", "ar", "an", "ul", "the"})
_GLUED_ARTICLE = re.compile(r"^[ae](?=(sh|[zsdtrn])\1)")
# ʿabd + the article as one word ("Abdel", "Abdul", "Abdal") or glued to the name ("Abdelaziz",
# "Abdurrahman": the article's l assimilated to a doubled sun letter), and the article glued to the
# name after a lone "Abd" ("Abd Allah", "Abd Errahman").
_ABD_ARTICLE = re.compile(r"^abd[aeiou]l")
_ABD_SUN = re.compile(r"^abd[aeiou](?=(sh|[tdrzsn])\1)")
_ABD_LONE_SUN = re.compile(r"^abd[aeiou](sh|[tdrzsn])$")
_AFTER_ABD = re.compile(r"^(?:[aeu]l(?=[^aeiou])|[aeiu](?=(sh|[tdrzsn])\1))")
_PAIRS = (("ph", "f"), ("q", "k"), ("ck", "k"), ("dh", "d"))
_VOWEL_CLASS = str.maketrans({"o": "U", "u": "U", "a": "V", "e": "V", "i": "V", "y": "V"})


@lru_cache(maxsize=65536)
def name_key(name: str) -> str:
    """The transliteration-aware key of a name ("Deir Ezzor" and "Deir al-Zour" -> "dVrzUr")."""
    text = unicodedata.normalize("NFKD", name)
    text = "".join(c for c in text if not unicodedata.combining(c)).casefold()
    text = re.sub(r"['’‘`ʿʾ\".]", "", text)
    words = [w for w in re.split(r"[^a-z0-9]+", text) if w]
    if len(words) > 1:
        words = [w for w in words if w not in ARTICLES] or words
    words = _theophoric(words)
    out = []
    for index, word in enumerate(words):
        if index > 0:
            word = _GLUED_ARTICLE.sub("", word)
        for a, b in _PAIRS:
            word = word.replace(a, b)
        word = word.translate(_VOWEL_CLASS)
        word = re.sub(r"(?<=[UV])h$", "", word)
        word = re.sub(r"(.)\1+", r"\1", word)
        out.append(word)
    return "".join(out)


def _theophoric(words: list[str]) -> list[str]:
    """The words of a name with the article of a theophoric name dropped ("abdel", "rahman" -> "abd", "rahman")."""
    out: list[str] = []
    for index, word in enumerate(words):
        following = words[index + 1] if index + 1 < len(words) else ""
        lone = _ABD_LONE_SUN.match(word)
        if lone and following.startswith(lone.group(1)):  # "Abdur Rahman", "Abdus Salam"
            word = "abd"
        elif word.startswith("abd"):
            word = _ABD_ARTICLE.sub("abd", word)
            word = _ABD_SUN.sub("abd", word)
        elif out and out[-1] == "abd":  # "Abd Allah", "Abd Errahman"
            word = _AFTER_ABD.sub("", word) or word
        out.append(word)
    return out


def spelling_key(spelling: str) -> str:
    """The key a spelling of an entity is indexed and looked up under (``name_keys``); "" for none.

    :func:`name_key`, with the characters a key never holds dropped, so a key is always one
    whitespace-free term; a key of fewer than two characters says nothing.
    """
    key = name_key(spelling)
    return key if len(key) >= 2 and key.isalnum() else ""
