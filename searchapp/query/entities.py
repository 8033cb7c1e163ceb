"""The entity values of an index, with their counts, kinds and the spellings folded into each.

What ``searchapp entities`` lists so that a user can see what to merge, rename, drop or re-kind
in an aliases file (then applied with ``searchapp entities --apply-aliases``, without tagging
again): "Islamic State" (org, 41 articles) holds "ISIS" (20 mentions), "Daesh" (3)...

Read from the index alone, never with spaCy: the counts are the actor and place facets' own
(:class:`~searchapp.query.facets.FacetTable`, one per republished story, as an empty search shows
them), the spellings are the text of each stored mention's spans in the stored paragraphs.  A
place counted only through a place it contains ("Idlib" for an article on Khan Sheikhoun) has
articles but no spelling of its own there.
"""

from __future__ import annotations

import re
import tomllib
import unicodedata
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path

from ..store.index import CORPUS_ALIASES_FILE
from .search import SearchIndex

KINDS = ("person", "org", "place")
_POSSESSIVE = re.compile(r"(?:['’]s|['’])$")
_THE = re.compile(r"^(?:the|The|THE)\s+")


@dataclass(frozen=True)
class Spelling:
    text: str  # as written in the articles (spaces collapsed, a final possessive and a leading "the" dropped)
    mentions: int


@dataclass(frozen=True)
class EntityValue:
    value: str
    kind: str  # "person", "org" or "place": the words of an aliases file's [kind] table
    articles: int  # as the facet counts them (one per republished story)
    mentions: int  # spans in the text, every version counted
    spellings: tuple[Spelling, ...]  # most frequent first

    def as_dict(self) -> dict:
        return {
            "value": self.value,
            "kind": self.kind,
            "articles": self.articles,
            "mentions": self.mentions,
            "spellings": [{"text": s.text, "mentions": s.mentions} for s in self.spellings],
        }


@dataclass(frozen=True)
class EntityListing:
    articles: int  # in the index
    total: int  # values matching the kinds and --match, before the limit
    values: tuple[EntityValue, ...]

    def as_dict(self) -> dict:
        return {"articles": self.articles, "total": self.total, "values": [v.as_dict() for v in self.values]}


def _folded(text: str) -> str:
    text = unicodedata.normalize("NFKD", text)
    return "".join(c for c in text if not unicodedata.combining(c)).casefold()


def spelling_of(text: str) -> str:
    """A mention's text as a spelling: spaces (and line breaks) collapsed, a final possessive and a leading "the" dropped (as aliases are looked up)."""
    return _THE.sub("", _POSSESSIVE.sub("", " ".join(text.split())).strip())


def list_entities(index: SearchIndex, kinds: tuple[str, ...] = KINDS, match: str = "", limit: int | None = 50) -> EntityListing:
    """The entity values of ``kinds``, most articles first; ``match``: only values or spellings holding
    this text (case and accents ignored); ``limit``: at most this many (None: all)."""
    wanted = set(kinds or KINDS)
    needle = _folded(match.strip())
    articles: dict[tuple[str, str], int] = {}
    spellings: dict[tuple[str, str], Counter] = defaultdict(Counter)
    documents = 0
    with index.reading():
        for shard in index.shards:  # a sharded index: each story lies in one shard, so the counts add up
            searcher = shard.searcher()
            table = shard.facet_table(searcher)
            counted = table.collapse(table.live)
            for facet in ("actor", "place"):
                counts = table.count(facet, counted)
                for number, name in enumerate(table.values[facet]):
                    kind = table.kinds[facet][number] or "place"
                    if kind in wanted and number < len(counts) and counts[number]:
                        articles[(name, kind)] = articles.get((name, kind), 0) + int(counts[number])
            for stored in searcher.reader().all_stored_fields():
                documents += 1
                paragraphs = stored.get("paragraphs") or []
                for mention in (stored.get("entities") or {}).get("mentions", []):
                    if not mention.get("facet", True) or mention["kind"] not in wanted:
                        continue
                    counter = spellings[(mention["name"], mention["kind"])]
                    for paragraph, start, end in mention.get("spans", ()):
                        if paragraph < len(paragraphs):
                            counter[spelling_of(paragraphs[paragraph][start:end])] += 1
    values = []
    for (name, kind), count in articles.items():
        counter = spellings.get((name, kind), Counter())
        if needle and needle not in _folded(name) and not any(needle in _folded(text) for text in counter):
            continue
        ordered = tuple(Spelling(text, n) for text, n in sorted(counter.items(), key=lambda item: (-item[1], item[0])) if text)
        values.append(EntityValue(name, kind, count, sum(counter.values()), ordered))
    values.sort(key=lambda v: (-v.articles, -v.mentions, v.value.casefold(), v.kind))
    return EntityListing(documents, len(values), tuple(values[:limit] if limit else values))


_ENTRY = re.compile(r'^\s*("(?:[^"\\]|\\.)*")\s*=\s*(.+?)\s*#\s*(.+)$')


def corpus_decisions(index_dir: str | Path) -> dict[str, list[str]]:
    """What the index's corpus-wide pass decided about each value, with its evidence (``<index>/corpus-aliases.toml``).

    "Syrian Democratic Forces" -> ["joins SDF: defined in 2, spelt beside it in 5, alone in 9 articles"];
    "Palmyra" -> ["kind place: place in 12 of 14 articles (person 2)"].  Empty without a corpus pass.
    """
    try:
        text = (Path(index_dir) / CORPUS_ALIASES_FILE).read_text(encoding="utf-8")
        tomllib.loads(text)
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return {}
    decisions: dict[str, list[str]] = {}
    section = ""
    for line in text.splitlines():
        header = re.match(r"\s*\[(\w+)\]", line)
        if header:
            section = header.group(1)
            continue
        entry = _ENTRY.match(line)
        if not entry:
            continue
        name = tomllib.loads(f"x = {entry.group(1)}")["x"]
        evidence = entry.group(3).strip()
        if section == "merge":
            acronym, _, how = evidence.partition(": ")
            decisions.setdefault(name, []).append(f"joins {acronym}: {how}")
        elif section == "kind":
            kind = tomllib.loads(f"x = {entry.group(2)}")["x"]
            decisions.setdefault(name, []).append(f"kind {kind}: {evidence}")
    return decisions
