"""Outlets: one facet value per news organisation, at index time and at query time alike.

The table (``store/data/outlets.toml``: 111 outlets with their name, short codes, web domains,
country, languages and Arabic names; extended by the ``outlets`` setting's file) folds every
spelling of an outlet ("manar", "Al-Manar", "almanar.com.lb", "المنار") into one key;
:func:`outlet_display` gives the outlet's proper name ("Al Manar").  An outlet the table does not
know keeps the form it was given (a domain without its "www.").  The key is what the ``outlet``
field of the index holds (:mod:`searchapp.store.schema` analyses both documents and ``outlet:``
queries with it), so the table lives with the store: the search side needs it as much as the
indexer.

:func:`resolve_outlet` names a record's outlet from its URL first when the URL's domain is a
known outlet that the given name does not contradict: the ANT corpus calls BBC Arabic "BBC",
and its URLs (bbc.co.uk/arabic/...) say which BBC it is.
"""

from __future__ import annotations

import functools
import hashlib
import re
import tomllib
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from ..errors import SettingError

BUILT_IN = Path(__file__).resolve().parent / "data" / "outlets.toml"

_AR_FOLD = str.maketrans({"أ": "ا", "إ": "ا", "آ": "ا", "ٱ": "ا", "ة": "ه", "ى": "ي", "ـ": None,
                          "\u064b": None, "\u064c": None, "\u064d": None, "\u064e": None, "\u064f": None,
                          "\u0650": None, "\u0651": None, "\u0652": None})  # fmt: skip
_DROP = re.compile(r"[\s\-._'’`‘]+")
_DOMAIN_SUFFIXES = re.compile(r"\.(?:com|net|org|ir|co|tr|uk|ru|eg|info|news|tv|gov|int|lb|sy|qa|ae|sa|jo|iq)(?:\.[a-z]{2})?$")


def norm_key(text: str) -> str:
    """Matching key of a code or name: case-folded, accents, spaces, hyphens, dots and a leading "the" dropped.

    Arabic alef forms, ta marbuta and alef maqsura are folded; "al"/"el" are kept (the table
    lists both spellings as codes).
    """
    t = unicodedata.normalize("NFKC", text).casefold().strip().translate(_AR_FOLD)
    t = "".join(c for c in unicodedata.normalize("NFD", t) if not unicodedata.combining(c) or "\u0600" <= c <= "\u06ff")
    t = re.sub(r"^the\s+", "", t)
    return _DROP.sub("", t)


def _host(text: str) -> tuple[str, str] | None:
    """(host without www., path) when ``text`` is a URL or a bare domain, else None."""
    text = text.strip()
    if not re.match(r"^[a-z][a-z0-9+.-]*://", text, re.IGNORECASE) and not re.match(r"^(?:[\w-]+\.)+[a-z]{2,}(?:/|$)", text, re.IGNORECASE):
        return None
    try:
        parts = urlsplit(text if "://" in text else "http://" + text)
        host = (parts.hostname or "").lower()
    except ValueError:
        return None
    host = host.removeprefix("www.")
    return (host, parts.path or "/") if host else None


@dataclass
class OutletTable:
    """Every outlet by name, and the keys and domains that lead to it."""

    outlets: dict[str, dict] = field(default_factory=dict)  # name -> its table
    keys: dict[str, str] = field(default_factory=dict)  # norm_key of a name or code -> name
    domains: dict[str, str] = field(default_factory=dict)  # host or host/path -> name

    @classmethod
    def load(cls, *paths: Path) -> OutletTable:
        """The table of the files in order: a later file extends and overrides the earlier ones."""
        merged: dict[str, dict] = {}
        for path in paths:
            try:
                data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
            except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
                raise SettingError(f"{path}: cannot read the outlets file (SEARCHAPP_OUTLETS): {exc}") from None
            for number, entry in enumerate(data.get("outlet", []), start=1):
                if not isinstance(entry, dict) or not isinstance(entry.get("name"), str) or not entry["name"].strip():
                    raise SettingError(f"{path}: [[outlet]] number {number} has no name")
                old = merged.get(entry["name"], {})
                new = {**old, **entry}
                for listed in ("codes", "domains", "names_ar"):
                    new[listed] = list(dict.fromkeys([*old.get(listed, []), *entry.get(listed, [])]))
                merged[entry["name"]] = new
        table = cls()
        for name, entry in merged.items():  # a later file's codes win over an earlier outlet claiming them
            table.outlets[name] = entry
            for variant in (name, *entry.get("codes", []), *entry.get("names_ar", [])):
                if key := norm_key(str(variant)):
                    table.keys[key] = name
            for domain in entry.get("domains", []):
                host = str(domain).strip().lower().removeprefix("www.").rstrip("/")
                table.domains[host] = name
                table.keys.setdefault(norm_key(host), name)
        return table

    def by_url(self, url: str) -> str | None:
        """The outlet whose domain serves ``url``: the longest host suffix, a "host/path" entry before its host."""
        found = _host(url)
        if found is None:
            return None
        host, path = found
        labels = host.split(".")
        path = path.strip("/") + "/"
        for start in range(len(labels) - 1):
            suffix = ".".join(labels[start:])
            best = None
            for key, name in self.domains.items():
                domain, _, prefix = key.partition("/")
                if domain == suffix and prefix and path.startswith(prefix.strip("/") + "/"):
                    best = name
            if best is not None:
                return best
            if suffix in self.domains:
                return self.domains[suffix]
        return None

    def name_of(self, text: str) -> str | None:
        """The outlet ``text`` names (a name, a code, an Arabic name, a domain or a URL), or None."""
        found = self.keys.get(norm_key(text))
        if found is None and _host(text) is not None:
            found = self.by_url(text)
        return found


_table: OutletTable | None = None
_extra: tuple[Path, ...] = ()


def table() -> OutletTable:
    """The outlets in use: the built-in table, with the ``outlets`` setting's file on top."""
    global _table
    if _table is None:
        _table = OutletTable.load(BUILT_IN, *_extra)
    return _table


def use_outlets_file(path: str | Path | None) -> None:
    """Extend the built-in table with a user's file (the ``outlets`` setting), for the whole process.

    Called once by each front end when it resolves its settings (the CLI, the app factory): the
    index's ``outlet`` analyser runs deep inside Whoosh, where no settings can be passed.
    """
    global _table, _extra
    extra = (Path(path),) if path else ()
    if extra != _extra or _table is None:
        _table = OutletTable.load(BUILT_IN, *extra)  # raises SettingError before anything changes
        _extra = extra
        outlet_key.cache_clear()


def outlets_digest() -> str:
    """A fingerprint of the outlet table in use (built-in and user files): documents written with
    another table are rewritten by the next indexing run (their tagging kept)."""
    digest = hashlib.sha256()
    for path in (BUILT_IN, *_extra):
        digest.update(Path(path).read_bytes())
    return digest.hexdigest()[:16]


@functools.lru_cache(maxsize=65536)
def outlet_key(name: str) -> str:
    """Facet key of an outlet: the known outlet's key, else the given name's letters and digits (no domain)."""
    known = table().name_of(name)
    if known is not None:
        return re.sub(r"[^\w]+", "", norm_key(known))
    text = unicodedata.normalize("NFKD", name.strip())
    text = "".join(c for c in text if not unicodedata.combining(c)).lower()
    found = _host(text)
    if found is not None:
        text = re.sub(r"^(?:english|arabic|m|amp)\.", "", found[0])
        text = _DOMAIN_SUFFIXES.sub("", _DOMAIN_SUFFIXES.sub("", text))
    text = re.sub(r"^the\s+", "", text)
    return re.sub(r"[^\w]+", "", text)


def outlet_display(name: str) -> str:
    """Readable name of an outlet: the known outlet's proper name, else the given one tidied."""
    known = table().name_of(name)
    if known is not None:
        return known
    text = " ".join(name.split())
    found = _host(text)
    return found[0] if found is not None else text


def known_outlet(name: str) -> bool:
    """Whether ``name`` is a spelling, code or domain of an outlet of the table."""
    return table().name_of(name) is not None


def resolve_outlet(name: str | None, url: str | None) -> str | None:
    """The outlet of a record as given (``name``) and served (``url``): the URL's outlet when it is known
    and the name is missing, unknown, or names it less precisely ("BBC" for bbc.co.uk/arabic: BBC Arabic).
    """
    name = (name or "").strip() or None
    served = table().by_url(url) if url else None
    if served is None:
        return name
    if name is None or not known_outlet(name):
        return served
    given = table().name_of(name)
    if given == served or norm_key(served).startswith(norm_key(name)) or norm_key(served).startswith(norm_key(given or "")):
        return served
    return name
