"""The records that flow through the pipeline: files -> Article -> TaggedArticle -> index.

Kept free of any library so every stage (readers, tagger, indexer, search) can share them, and so
they pickle cheaply between the indexer and its tagging processes.
"""

from __future__ import annotations

import datetime
import hashlib
import json
from dataclasses import dataclass, field


@dataclass(frozen=True, order=True)
class PartialDate:
    """A date known to year, month or day precision: 2016, 2016-05 or 2016-05-03."""

    year: int
    month: int | None = None
    day: int | None = None

    def __post_init__(self) -> None:
        if self.day is not None and self.month is None:
            raise ValueError("a day needs a month")
        # Validates the calendar (raises ValueError on 2016-02-30 or month 13).
        datetime.date(self.year, self.month or 1, self.day or 1)

    @property
    def precision(self) -> str:
        if self.day is not None:
            return "day"
        return "month" if self.month is not None else "year"

    def iso(self) -> str:
        if self.day is not None:
            return f"{self.year:04d}-{self.month:02d}-{self.day:02d}"
        if self.month is not None:
            return f"{self.year:04d}-{self.month:02d}"
        return f"{self.year:04d}"

    def start(self) -> datetime.date:
        """First day of the period (a month-precision date starts on the 1st)."""
        return datetime.date(self.year, self.month or 1, self.day or 1)

    @classmethod
    def from_date(cls, value: datetime.date, precision: str = "day") -> PartialDate:
        if precision == "year":
            return cls(value.year)
        if precision == "month":
            return cls(value.year, value.month)
        return cls(value.year, value.month, value.day)

    @classmethod
    def from_iso(cls, text: str) -> PartialDate:
        parts = [int(p) for p in text.split("-")]
        return cls(*parts)

    def __str__(self) -> str:
        return self.iso()


@dataclass
class Article:
    """One news article as read from a source, before tagging."""

    id: str
    title: str
    paragraphs: list[str]
    source: str  # where it came from: path, or path:line for records
    outlet: str | None = None  # as given (normalised at indexing)
    published: PartialDate | None = None
    url: str | None = None
    inferred: list[str] = field(default_factory=list)  # fields inferred from the text
    warnings: list[str] = field(default_factory=list)
    one_per_file: bool = False  # True for .txt/.md/.html: the file *is* the article
    facets: dict[str, list[str]] = field(default_factory=dict)  # custom facet -> its values (searchapp.store.custom)
    language: str | None = None  # ISO 639-1, from a "language" column; None: detected when tagged

    @property
    def text(self) -> str:
        return "\n\n".join(self.paragraphs)

    def content_hash(self, salt: str = "", metadata_salt: str = "") -> str:
        """Hash of everything that ends up in the index, plus the tagging pipeline's fingerprint.

        What a document takes from tables rather than from tagging (the custom facets' values, the
        outlet table's fingerprint ``metadata_salt``) comes after a "+", so that a run in which only
        those changed sees that the text is unchanged and rewrites the document without tagging
        the article again (:meth:`IndexRun.to_tag`).
        """
        payload = json.dumps(
            [
                self.title,
                self.paragraphs,
                self.outlet,
                self.published.iso() if self.published else None,
                self.url,
                sorted(self.inferred),
                self.language,
                salt,
            ],
            ensure_ascii=False,
        )
        base = hashlib.sha256(payload.encode("utf-8")).hexdigest()[:32]
        if not self.facets and not metadata_salt:
            return base
        metadata = json.dumps([sorted(self.facets.items()), metadata_salt], ensure_ascii=False)
        return base + "+" + hashlib.sha256(metadata.encode("utf-8")).hexdigest()[:12]


@dataclass(frozen=True)
class Mention:
    """An entity of an article after normalisation, with the paragraphs (0-based) it occurs in."""

    name: str
    kind: str  # "person", "org" or "place"
    paragraphs: tuple[int, ...]
    spans: tuple[tuple[int, int, int], ...] = ()  # (paragraph, start, end) of every mention
    facet: bool = True  # False: marked in the text only ("Britain" of "Britain-based" says where, not what)

@dataclass(frozen=True)
class DateMention:
    """A date expression of the text resolved to an absolute day, month or year."""

    text: str
    value: str  # ISO day, month or year
    paragraph: int


@dataclass
class TaggedArticle:
    article: Article
    mentions: list[Mention] = field(default_factory=list)
    dates: list[DateMention] = field(default_factory=list)
    language: str = "en"
    # the tagger's mentions before normalisation, (text, label, paragraph, start, end): what
    # `searchapp entities --apply-aliases` normalises again under other aliases, without NER
    # (None: not known, an article indexed before they were kept and written again from the index)
    raw: list[tuple[str, str, int, int, int]] | None = field(default_factory=list)
    # (digest of the aliases, searchapp.ingest.corpus.Evidence as JSON): the corpus pass's evidence, gathered as
    # tagging ended from the same linked mentions (None: gathered by the pass from the stored article)
    evidence: tuple[str, list] | None = None

    def names(self, kind: str) -> list[str]:
        return [m.name for m in self.mentions if m.kind == kind and m.facet]

    def entities_json(self) -> dict:
        # Built by hand: dataclasses.asdict deep-copies recursively and cost 5% of indexing.
        return {
            "mentions": [
                {"name": m.name, "kind": m.kind, "paragraphs": m.paragraphs, "spans": m.spans, **({} if m.facet else {"facet": False})}
                for m in self.mentions
            ],
            "dates": [{"text": d.text, "value": d.value, "paragraph": d.paragraph} for d in self.dates],
            **({} if self.raw is None else {"raw": self.raw_json()}),
        }

    def raw_json(self) -> list[list]:
        """The raw mentions, compact: [paragraph, start, end, label], and the text only when the
        paragraph's span does not hold it (a rule-made actor's name, a dateline's city re-cased)."""
        paragraphs = self.article.paragraphs
        rows: list[list] = []
        for text, label, paragraph, start, end in self.raw or ():
            row: list = [paragraph, start, end, label]
            if paragraph >= len(paragraphs) or paragraphs[paragraph][start:end] != text:
                row.append(text)
            rows.append(row)
        return rows


def raw_from_json(rows: list[list], paragraphs: list[str]) -> list[tuple[str, str, int, int, int]]:
    """The raw mentions of :meth:`TaggedArticle.raw_json`, read back beside the article's paragraphs."""
    raw = []
    for row in rows:
        paragraph, start, end, label = row[:4]
        text = row[4] if len(row) > 4 else paragraphs[paragraph][start:end]
        raw.append((text, label, paragraph, start, end))
    return raw


@dataclass(frozen=True)
class SourceMessage:
    """What is said to the user about one input: where it is (file, line) and what."""

    source: str
    reason: str

    def __str__(self) -> str:
        return f"{self.source}: {self.reason}"


class Rejection(SourceMessage):
    """An input that could not be indexed, with where it is and why."""


class Notice(SourceMessage):
    """Something a reader tells the user once about an input (which column became which field), not an article."""

    @property
    def message(self) -> str:
        return self.reason
