"""Facets on an archive's own columns (``--facet NAME[=COLUMN][:keyword|number|date]``), kept with the index.

A custom facet is declared once, by ``searchapp index --facet label`` or in the index's own
``facets.toml`` (written by the run into the index folder), so that later runs and the server know
it without being told again.  Each facet is one Whoosh field named after it, added to the index's
schema when first used (``writer.add_field``), so ``label:fake`` works in a query like the built-in
``outlet:`` does:

* ``keyword``: the column's values as exact terms (a list in a JSON record gives several values);
* ``number``: a numeric field (``nb_civilians:[10 TO 50]`` in a query), shown as ranges;
* ``date``: a date field (``attack_date:[2016-01 TO 2016-06]``), shown by year.
"""

from __future__ import annotations

import json
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path

from whoosh import analysis, fields

from ..errors import SourceError

FACETS_FILE = "facets.toml"
KINDS = ("keyword", "number", "date")
VALUE_SEPARATOR = "\x1f"  # between the values of a multi-valued keyword facet in one document
_NAME = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
# names the index already uses (fields, built-in facets, query aliases): a custom facet takes none of them
RESERVED = frozenset(
    ["id", "source", "file_source", "content_hash", "simhash", "dup_group", "title", "text", "actor", "place", "outlet", "year", "published", "people", "orgs", "places", "place_paths", "months", "mentioned", "language", "inferred", "outlet_name", "published_iso", "url", "paragraphs", "entities", "month", "date", "actors", "person", "org", "source", "q", "sort", "page", "more", "collapse", "format", "bom"]
)


class FacetError(SourceError):
    """A ``--facet`` that cannot be used (bad name, a reserved name, a kind that contradicts the index)."""

    param_hint = "--facet"


@dataclass(frozen=True)
class FacetSpec:
    """One custom facet: its name (the URL parameter, the query field), the column it reads, its kind."""

    name: str
    column: str
    kind: str = "keyword"

    @classmethod
    def parse(cls, text: str) -> FacetSpec:
        """``NAME[=COLUMN][:keyword|number|date]``, as typed after ``--facet``."""
        spec, kind = text.strip(), "keyword"
        head, sep, tail = spec.rpartition(":")
        if sep and tail.strip().lower() in KINDS:
            spec, kind = head, tail.strip().lower()
        elif sep and tail.strip().isalpha():
            raise FacetError(f"{text!r}: the kind must be one of {', '.join(KINDS)}, got {tail.strip()!r}")
        name, sep, column = spec.partition("=")
        name, column = name.strip(), (column.strip() if sep else name.strip())
        if not column:
            raise FacetError(f"{text!r}: expected NAME[=COLUMN][:{'|'.join(KINDS)}]")
        return cls.checked(name, column, kind, text)

    @classmethod
    def checked(cls, name: str, column: str, kind: str, origin: str) -> FacetSpec:
        if not _NAME.match(name):
            suggestion = re.sub(r"[^a-z0-9_]+", "_", name.lower()).strip("_") or "name"
            if not suggestion[0].isalpha():
                suggestion = "f_" + suggestion
            raise FacetError(
                f"{origin!r}: a facet name is lower-case letters, digits and _ starting with a letter "
                f"(it is a URL parameter and a query field); try --facet {suggestion}={column}"
            )
        if name in RESERVED:
            raise FacetError(f"{origin!r}: {name!r} is a built-in field or facet; name it otherwise, e.g. --facet {column.lower()}_col={column}")
        if kind not in KINDS:
            raise FacetError(f"{origin!r}: the kind must be one of {', '.join(KINDS)}, got {kind!r}")
        return cls(name, column, kind)

    @property
    def option(self) -> str:
        """The ``--facet`` option that declares this facet."""
        text = self.name if self.column == self.name else f"{self.name}={self.column}"
        return text + ("" if self.kind == "keyword" else f":{self.kind}")

    def field_type(self) -> fields.FieldType:
        """The Whoosh field holding the facet's values."""
        if self.kind == "number":
            return fields.NUMERIC(float, stored=True, sortable=True, signed=True)
        if self.kind == "date":
            return fields.DATETIME(stored=True, sortable=True)
        return fields.KEYWORD(stored=True, scorable=False, analyzer=value_analyzer())


def value_analyzer() -> analysis.Analyzer:
    """Keyword facet values: each value (separated by U+001F) one exact term, spaces and case kept."""
    return analysis.RegexTokenizer(r"[^\x1f]+") | analysis.StripFilter()


def facet_name_for(column: str) -> str:
    """A facet name for a column ("Cause of death" -> cause_of_death), for the suggestions of the column report."""
    name = re.sub(r"[^a-z0-9_]+", "_", column.lower()).strip("_") or "column"
    if not name[0].isalpha():
        name = "f_" + name
    if name in RESERVED:
        name += "_col"
    return name[:40]


def load_facets(index_dir: str | Path) -> dict[str, FacetSpec]:
    """The custom facets declared in an index folder's ``facets.toml`` (none when it has none)."""
    path = Path(index_dir) / FACETS_FILE
    if not path.is_file():
        return {}
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise FacetError(f"{path}: cannot read the index's facets: {exc}") from None
    specs = {}
    for name, table in (data.get("facets") or {}).items():
        if not isinstance(table, dict):
            raise FacetError(f"{path}: [facets.{name}] must be a table with column and type")
        spec = FacetSpec.checked(name, str(table.get("column", name)), str(table.get("type", "keyword")), f"{path}: {name}")
        specs[name] = spec
    return specs


def merge_facets(known: dict[str, FacetSpec], asked: list[FacetSpec]) -> dict[str, FacetSpec]:
    """The index's facets with this run's on top; changing an existing facet's kind needs --rebuild."""
    merged = dict(known)
    for spec in asked:
        old = merged.get(spec.name)
        if old is not None and old.kind != spec.kind:
            raise FacetError(f"--facet {spec.option}: this index holds {spec.name!r} as a {old.kind} facet; run with --rebuild to change its kind")
        merged[spec.name] = spec
    return merged


def save_facets(index_dir: str | Path, specs: dict[str, FacetSpec]) -> None:
    """Write the index's ``facets.toml`` (rewritten whole; JSON strings are valid TOML basic strings)."""
    path = Path(index_dir) / FACETS_FILE
    lines = [
        "# Facets on this archive's own columns, kept with the index (searchapp index --facet NAME[=COLUMN][:TYPE]).",
        "# Later runs and `searchapp serve` read them from here; a facet added here is filled at the next indexing run.",
    ]
    for spec in specs.values():
        lines += ["", f"[facets.{spec.name}]", f"column = {json.dumps(spec.column, ensure_ascii=False)}", f'type = "{spec.kind}"']
    temporary = path.with_suffix(".tmp")
    temporary.write_text("\n".join(lines) + "\n", encoding="utf-8")
    temporary.replace(path)
