"""The corpus-wide pass: what the whole archive knows about a name decides its kind and joins its acronym.

One article's tagger sees one article: "Palmyra" tagged a person there, "SDF" alone with no full
name beside it.  The archive as a whole knows better: Palmyra is a place in most articles that name
it, and other articles spell out "the Syrian Democratic Forces (SDF)".  After every indexing run
(and with ``searchapp entities --corpus-pass``) this pass reads every article's stored raw mentions
(as :mod:`.curate` does: no NER), normalises them under the built-in and the user's aliases, and
gathers, per article, the **evidence** (:class:`Evidence`):

* the facet values and the kind each got in that article;
* the acronyms the article **defines** ("Syrian Democratic Forces (SDF)": the acronym in brackets
  right after the full name, its letters the initials of the name's words) or **joins** to a full
  name it also spells (the within-article linking of :func:`.entities.link_names`).

From the evidence of the whole corpus it derives **corpus aliases** (:func:`derive_overlay`),
written to ``corpus-aliases.toml`` in the index folder, each entry with its evidence as a comment:

* ``[kind]``: a value tagged with several kinds takes the kind of the clear majority of the
  articles naming it: at least :data:`MIN_ARTICLES` articles, at least :data:`MAJORITY` of them
  of one kind (a name that is a person in one outlet and a place in most becomes a place only
  with that much evidence);
* ``[merge]``: an acronym the corpus defines at least once, or joins to a full name in at least
  :data:`MIN_JOINED` articles, becomes that full name in every article, also where it stands
  alone (with the full name's kind: a ``[kind]`` entry when the acronym alone was tagged
  another); shown as the most frequent full form.  Brackets after words no article tags as a
  name ("Net National Income (NNI)", :func:`definitions`) count only for an acronym that is a
  value somewhere.  An acronym the corpus expands to two different names ("API": American
  Petroleum Institute, American Paper Institute) is left alone.  Corpus aliases are looked up as
  written, never by transliteration key ("NYSE" and "Nesi" share one).

Names the built-in or the user's aliases already decide are never in the corpus aliases; they
apply between the two (user > corpus > built-in, :func:`.entities.load_aliases`) through the same
re-normalisation as an edited aliases file (:func:`.curate.renormalise_index`), rewriting only the
articles whose entities change.

**Incremental**: the evidence of each article is kept beside the index (``corpus-evidence.json``,
JSON lines by article id and content hash, for one set of base aliases), so an indexing run that adds 10
articles to 100,000 normalises those 10 and, when the corpus aliases do not change, rewrites
nothing; when they change, only the articles naming a name whose entry changed are normalised
again.
"""

from __future__ import annotations

import contextlib
import copy
import hashlib
import json
import os
import re
import sys
import time
import tomllib
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from itertools import chain
from pathlib import Path

from ..errors import AliasesError
from ..store.index import CORPUS_ALIASES_FILE, CORPUS_EVIDENCE_FILE, IndexerLock, open_index, stored_keys, verify_before_writing
from ..store.names import name_key
from ..store.schema import ARABIC
from ..store.shards import shard_dirs
from .arabic_tags import link_arabic
from .curate import CurateSummary, kept_aliases_file, load_user_aliases, reapply_aliases, record_aliases, renormalise_index
from .entities import LABEL_KINDS, Aliases, RawMention, _is_acronym, clean_name, fold, link_names, load_aliases, words_in_lower_case
from .gazetteer import place_lookup, place_spellings
from .models import Mention, TaggedArticle, raw_from_json

MIN_ARTICLES = 5  # a kind decided by the corpus needs at least this many articles naming the value
MAJORITY = 2 / 3  # ... and this share of them agreeing
MIN_JOINED = 2  # an acronym never defined in brackets joins a full name spelt beside it in this many articles
EVIDENCE_VERSION = 4  # bumped when what an article's evidence holds changes: the kept evidence is then gathered again
_ACRONYM = re.compile(r"[A-Z]{2,6}")
_DEFINED = re.compile(r"\s*\(\s*([A-Z][A-Z.]{1,9})\s*\)")  # "Syrian Democratic Forces (SDF)"
_DEFINED_INSIDE = re.compile(r"\s*\(\s*([A-Z][A-Z.]{1,9})\s*\)$")  # the tagger's span took the brackets in
_ARABIC_ARTICLES = {"al", "el", "ad", "ash", "as", "at", "az", "ez", "ar", "an"}


@dataclass
class Evidence:
    """What one article says about its names, normalised under the base aliases (built-in and user's)."""

    values: list[tuple[str, str]] = field(default_factory=list)  # (value, kind) of its facet values
    # (acronym, full value, how): "defined" in brackets after a tagged full name or one the aliases know, "written" so
    # after words the tagger did not tag, "joined" to a full name the article spells (within-article linking)
    acronyms: list[tuple[str, str, str]] = field(default_factory=list)
    names: list[str] = field(default_factory=list)  # folds of its cleaned raw mentions and values: which entries can touch it

    def as_json(self) -> list:
        return [[list(v) for v in self.values], [list(a) for a in self.acronyms], self.names]

    @classmethod
    def from_json(cls, data: list) -> Evidence:
        """Read back; names interned: an archive repeats a few thousand values over every article (memory)."""
        intern = sys.intern
        return cls(
            [(intern(n), intern(k)) for n, k in data[0]], [(intern(a), intern(f), intern(h)) for a, f, h in data[1]], [intern(n) for n in data[2]]
        )


def abbreviates(acronym: str, name: str) -> bool:
    """Whether ``acronym`` is made of the initials of ``name``'s words ("HTS", "Hayat Tahrir al-Sham": Arabic articles skipped)."""
    letters = acronym.replace(".", "")
    if _is_acronym(letters, name):
        return True
    words = [w for w in re.split(r"[\s-]+", fold(name)) if w and w not in _ARABIC_ARTICLES]
    if len(words) > 1 and _is_acronym(letters, " ".join(words)):
        return True
    first, _, rest = name.partition(" ")  # "UN Office for the Coordination of Humanitarian Affairs (OCHA)"
    return first.replace(".", "").isupper() and len(rest.split()) > 1 and abbreviates(acronym, rest)


_BRACKETED = re.compile(r"\(\s*([A-Z]{2,6})\s*\)")
_WORD = re.compile(r"[\w'’.-]+")
_CONNECTORS = {"of", "for", "the", "and", "on", "in", "de", "du", "des", "la", "le", "al", "el"}


def definitions(paragraphs: list[str]) -> list[tuple[str, str]]:
    """(acronym, full name) of every "Capitalised Words (ACRONYM)" whose initials spell the acronym.

    The shortest run of words before the brackets that does ("spokesman for the UN Office for the
    Coordination of Humanitarian Affairs (OCHA)" -> "Office for the Coordination of Humanitarian
    Affairs"), opening with a capital and holding no lower-case word but connectors.
    """
    found = []
    for paragraph in paragraphs:
        for match in _BRACKETED.finditer(paragraph):
            acronym = match.group(1)
            words = _WORD.findall(paragraph[max(0, match.start() - 160) : match.start()])[-12:]
            for size in range(2, len(words) + 1):
                run = words[-size:]
                if not run[0][:1].isupper():
                    continue
                if any(not w[:1].isupper() and w.lower() not in _CONNECTORS and not w.lower().startswith(("al-", "el-")) for w in run):
                    break
                while len(run) > 2 and run[0] in ("A", "An", "The"):  # "An American Farm Bureau Federation (AFBF)" at a sentence's start
                    run = run[1:]
                name = clean_name(" ".join(run), "org")
                if name and abbreviates(acronym, name):
                    found.append((acronym, name))
                    break
    return found


def relink(raw: list[tuple], paragraphs: list[str], language: str | None, aliases: Aliases, known: tuple) -> list[Mention]:
    """An article's mentions from its raw mentions under ``aliases`` (as tagging ends and :mod:`.curate` re-does)."""
    mentions = [RawMention(*row) for row in raw]
    if language == ARABIC:
        return link_arabic(mentions, aliases)
    return link_names(mentions, aliases, known, words_in_lower_case(paragraphs) if mentions else set())


def gather(
    raw: list[tuple], paragraphs: list[str], language: str | None, base: Aliases, known: tuple, mentions: list[Mention] | None = None
) -> Evidence:
    """The evidence of one article (its raw mentions and paragraphs) under the ``base`` aliases.

    ``mentions``: the raw mentions already linked under ``base`` (the tagger's own, as tagging ends).
    """
    if mentions is None:
        mentions = relink(raw, paragraphs, language, base, known)
    evidence = Evidence()
    found: dict[tuple[str, str], str] = {}
    for mention in mentions:
        if mention.facet:
            evidence.values.append((mention.name, mention.kind))
        if mention.kind not in ("org", "place") or len(mention.name.split()) < 2 or language == ARABIC:
            continue
        for number, start, end in mention.spans:
            if number >= len(paragraphs) or not 0 <= start < end <= len(paragraphs[number]):
                continue
            written = paragraphs[number][start:end].strip()
            letters = written.replace(".", "")
            if _ACRONYM.fullmatch(letters) and abbreviates(letters, mention.name):
                found.setdefault((letters, mention.name), "joined")
                continue
            defined = _DEFINED.match(paragraphs[number], end) or _DEFINED_INSIDE.search(written)
            if defined and _ACRONYM.fullmatch(acronym := defined.group(1).replace(".", "")) and abbreviates(acronym, mention.name):
                found[(acronym, mention.name)] = "defined"
    if language != ARABIC:  # a definition whose full name the tagger missed: "the High Negotiations Committee (HNC)"
        values = {name_key(m.name): m.name for m in mentions if m.kind in ("org", "place")}
        defined_in_text = {a for (a, _), how in found.items() if how == "defined"}
        for acronym, full in definitions(paragraphs):
            if acronym not in defined_in_text:
                value = values.get(name_key(full)) or base.lookup(full)
                found.setdefault((acronym, value or full), "defined" if value else "written")
    evidence.acronyms = sorted((a, full, how) for (a, full), how in found.items())
    names = {fold(name) for name, _ in evidence.values}
    names.update(fold(clean_name(row[0], LABEL_KINDS.get(row[1], "org"))) for row in raw)
    names.update([n[:-1] for n in names if n.endswith("s")])  # "VLFs", "Vellorins": a possessive scraped without apostrophe
    evidence.names = sorted(n for n in names if n)
    return evidence


@dataclass
class Overlay:
    """The corpus aliases: kind decisions and acronym merges, each with the evidence for it."""

    kinds: dict[str, tuple[str, Counter]] = field(default_factory=dict)  # value -> (kind, articles per kind)
    merges: dict[str, tuple[str, dict]] = field(default_factory=dict)  # acronym -> (full value, evidence counts)
    ambiguous: dict[str, Counter] = field(default_factory=dict)  # acronym -> articles per expansion (left alone)
    articles: int = 0

    def entries(self) -> dict:
        """What is applied (the TOML's tables, without the evidence)."""
        merge: dict[str, list[str]] = defaultdict(list)
        for acronym, (full, _) in sorted(self.merges.items()):
            merge[full].append(acronym)
        return {"merge": dict(sorted(merge.items())), "kind": {name: kind for name, (kind, _) in sorted(self.kinds.items())}}

    def touched(self) -> set[str]:
        """The folds of every name an entry reads or gives."""
        names = {fold(n) for n in self.kinds} | {fold(a) for a in self.merges} | {fold(full) for full, _ in self.merges.values()}
        return names

    def toml(self) -> str:
        """The corpus aliases as the user reads them: the aliases-file format, each entry's evidence beside it."""
        lines = [
            "# Corpus aliases: derived by `searchapp index` / `searchapp entities --corpus-pass` from the stored",
            "# mentions of every article of this index (searchapp.ingest.corpus).  Written again by every run:",
            "# do not edit; to override an entry, write the name in your own aliases file (--aliases), which",
            "# has the last word (user > corpus > built-in).",
            f"# Rules: a kind held by >= {MAJORITY:.0%} of >= {MIN_ARTICLES} articles naming the value; an acronym defined",
            f"# in brackets once, or spelt beside its full name in >= {MIN_JOINED} articles, and never expanded otherwise.",
            "",
            "[merge]",
        ]
        # one key per full name: two acronyms of one name ("CBOT", "CBT": the Chicago Board of Trade) share its line
        acronyms_of: dict[str, list[str]] = defaultdict(list)
        for acronym, (full, _) in sorted(self.merges.items()):
            acronyms_of[full].append(acronym)
        for full, acronyms in sorted(acronyms_of.items()):
            hows = []
            for acronym in acronyms:
                counts = self.merges[acronym][1]
                hows.append(f"{acronym}: defined in {counts['defined']}, spelt beside it in {counts['joined']}, alone in {counts['alone']} articles")
            lines.append(f"{_quoted(full)} = [{', '.join(_quoted(a) for a in acronyms)}]  # {'; '.join(hows)}")
        lines += ["", "[kind]"]
        for name, (kind, counts) in sorted(self.kinds.items()):
            total = sum(counts.values())
            others = ", ".join(f"{k} {n}" for k, n in sorted(counts.items()) if k != kind)
            lines.append(f"{_quoted(name)} = {_quoted(kind)}  # {kind} in {counts[kind]} of {total} articles ({others})")
        if self.ambiguous:
            lines += ["", "# Acronyms left alone: the corpus expands them to more than one name"]
            for acronym, expansions in sorted(self.ambiguous.items()):
                lines.append(f"#   {acronym}: " + ", ".join(f"{full} ({n})" for full, n in expansions.most_common()))
        return "\n".join(lines) + "\n"

    def describe(self) -> str:
        return f"corpus aliases: {len(self.merges)} acronyms joined to their full name, {len(self.kinds)} kinds decided by the majority, {len(self.ambiguous)} ambiguous acronyms left alone"


def _quoted(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)


def derive_overlay(
    evidence: Iterable[Evidence], base: Aliases, min_articles: int = MIN_ARTICLES, majority: float = MAJORITY, min_joined: int = MIN_JOINED
) -> Overlay:
    """The corpus aliases the articles' ``evidence`` supports, for names the ``base`` aliases leave open."""
    overlay = Overlay()
    kinds: dict[str, Counter] = defaultdict(Counter)
    expansions: dict[str, Counter] = defaultdict(Counter)  # acronym -> full value -> articles
    defined: Counter = Counter()  # (acronym, full)
    written: Counter = Counter()
    joined: Counter = Counter()
    alone: Counter = Counter()  # acronym -> articles where it is a value of its own
    for article in evidence:
        overlay.articles += 1
        for name, kind in set(article.values):
            kinds[name][kind] += 1
            if _ACRONYM.fullmatch(name):
                alone[name] += 1
        for acronym, full, how in set(article.acronyms):
            expansions[acronym][full] += 1
            {"defined": defined, "written": written, "joined": joined}[how][(acronym, full)] += 1

    def open_name(name: str) -> bool:
        return base.lookup(name) is None and base.kind_of(name) is None and fold(name) not in base.dropped

    for name, counts in kinds.items():
        total = sum(counts.values())
        kind, top = counts.most_common(1)[0]
        if top < total and total >= min_articles and top >= majority * total and open_name(name):
            overlay.kinds[name] = (kind, counts)
    for acronym, fulls in expansions.items():
        if not open_name(acronym):
            continue
        groups: dict[str, Counter] = defaultdict(Counter)  # spellings of one full name share a key
        for full, n in fulls.items():
            groups[_loose_key(full)][full] += n
        if len(groups) > 1:
            overlay.ambiguous[acronym] = fulls
            continue
        spellings = next(iter(groups.values()))
        # the most frequent full form; of as frequent ones, the most capitalised ("West Texas", not "West texas")
        full = sorted(spellings, key=lambda f: (-spellings[f], -sum(w[:1].isupper() for w in f.split()), -len(f), f))[0]
        n_defined = sum(defined[(acronym, f)] + written[(acronym, f)] for f in spellings)
        n_joined = sum(joined[(acronym, f)] for f in spellings)
        tagged = n_joined or any(defined[(acronym, f)] for f in spellings)
        # words in brackets no article tags as a name ("Local Area Network (LAN)", "Net National Income (NNI)") make an
        # entry only when the acronym is a value somewhere: a name the tagger saw
        if (n_defined >= 1 or n_joined >= min_joined) and (tagged or alone[acronym]):
            overlay.merges[acronym] = (full, {"defined": n_defined, "joined": n_joined, "alone": alone[acronym]})
    # a merged value keeps one kind: "ICRC" tagged a person where it stands alone is the committee, an organisation
    for acronym, (full, _) in overlay.merges.items():
        joined_kinds = kinds.get(full, Counter()) + kinds.get(acronym, Counter())
        if len(joined_kinds) > 1 and full not in overlay.kinds and open_name(full):
            overlay.kinds[full] = (joined_kinds.most_common(1)[0][0], joined_kinds)
    return overlay


def _loose_key(name: str) -> str:
    """The key of a full name's spellings: transliterations, plurals and -ise/-ize as one
    ("International Business Machine(s)", "Generalised/Generalized System of Preference(s)")."""
    words = [re.sub(r"(?<=[a-z]{3})s$", "", w) for w in fold(name).replace("z", "s").split()]
    return name_key(" ".join(words))


def overlay_aliases(user_file: str | Path | None, overlay_text: str | None, origin: str = "corpus aliases") -> Aliases:
    """The built-in aliases, the corpus aliases ``overlay_text`` on them, the user's file on top."""
    return load_aliases(user_file, (origin, overlay_text) if overlay_text else None)


def kept_overlay(index_dir: str | Path) -> str | None:
    """The corpus aliases kept in the index folder (None: no corpus pass ran there yet)."""
    try:
        return (Path(index_dir) / CORPUS_ALIASES_FILE).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None


def index_aliases(index_dir: str | Path, user_file: str | Path | None) -> Aliases:
    """The aliases an index's articles are normalised with: built-in, the index's corpus aliases, the user's.

    Corpus aliases that cannot be read (a damaged or hand-edited file) are left out: the next
    pass writes them again, and until then the articles are normalised without them.
    """
    path = Path(index_dir) / CORPUS_ALIASES_FILE
    text = kept_overlay(index_dir)
    if text:
        try:
            Aliases().update(tomllib.loads(text), str(path))
        except (tomllib.TOMLDecodeError, AliasesError):
            text = None
    return overlay_aliases(user_file, text, str(path))


def _write(path: Path, text: str) -> None:
    temporary = path.with_name(path.name + ".tmp")
    temporary.write_text(text, encoding="utf-8")
    os.replace(temporary, path)


@dataclass
class PassSummary:
    """What one corpus pass found and did."""

    articles: int = 0
    gathered: int = 0  # articles whose evidence was gathered (the others' was kept)
    overlay: Overlay | None = None
    changed_entries: int = 0
    renormalised: int = 0  # articles normalised again under the new corpus aliases
    rewritten: int = 0
    seconds: float = 0.0

    def describe(self) -> str:
        overlay = self.overlay.describe() if self.overlay else "no corpus aliases"
        if not self.changed_entries:
            done = "unchanged, nothing rewritten"
        else:
            done = f"{self.changed_entries} entries changed: normalised {self.renormalised} articles again, rewrote {self.rewritten}"
        return f"corpus pass over {self.articles} articles (evidence gathered for {self.gathered}): {overlay}; {done} in {self.seconds:.1f}s"


def tagging_evidence(tagged: TaggedArticle, aliases: Aliases, known: tuple) -> tuple[str, list] | None:
    """The evidence of an article just tagged under ``aliases``, from the mentions it was given: (digest, JSON).

    None when the aliases hold corpus aliases: the pass weighs each article under the base aliases
    (built-in and user's) alone, so it links that article's mentions again (:func:`collect_evidence`).
    """
    if aliases.with_corpus or tagged.raw is None:
        return None
    found = gather(tagged.raw, tagged.article.paragraphs, tagged.language, aliases, known, tagged.mentions)
    return aliases.digest, found.as_json()


class FreshEvidence:
    """The evidence of the articles an indexing run writes, gathered as they were tagged: appended to
    ``corpus-evidence.json.run`` in the index folder (the kept file's format) and read by the pass
    that ends the run, which then gathers only what tagging did not (never the whole index again).

    A run killed midway leaves the file; its lines still match their articles by id and content
    hash (a line cut short is skipped), and the next pass reads it and removes it.
    """

    def __init__(self, index_dir: Path, digest: str) -> None:
        self.path = index_dir / (CORPUS_EVIDENCE_FILE + FRESH_SUFFIX)
        self.digest = digest
        self._out = None

    def add(self, article_id: str, content_hash: str, evidence: tuple[str, list] | None) -> None:
        if evidence is None or evidence[0] != self.digest:
            return
        if self._out is None:
            self._out = open(self.path, "w", encoding="utf-8")  # noqa: SIM115 (kept open for the run, closed by close())
            self._out.write(json.dumps({"version": EVIDENCE_VERSION, "base": self.digest}) + "\n")
        self._out.write(json.dumps([article_id, content_hash, evidence[1]], ensure_ascii=False, separators=(",", ":")) + "\n")

    def close(self) -> None:
        if self._out is not None:
            self._out.close()
            self._out = None


FRESH_SUFFIX = ".run"


def _kept_evidence(path: Path, base: Aliases) -> Iterator[tuple[str, str, list]]:
    """(id, content hash, evidence as JSON) of the kept evidence file, line by line (a damaged line is skipped;
    another version or other base aliases: none)."""
    try:
        with open(path, encoding="utf-8") as lines:
            header = json.loads(next(lines, "{}"))
            if not isinstance(header, dict) or header.get("version") != EVIDENCE_VERSION or header.get("base") != base.digest:
                return
            for line in lines:
                try:
                    article_id, content_hash, data = json.loads(line)
                except (ValueError, TypeError):
                    continue
                yield article_id, content_hash, data
    except (OSError, ValueError, UnicodeDecodeError):  # none yet, or damaged: gathered again
        return


def collect_evidence(ixes: list, index_dir: Path, base: Aliases, known: tuple, keep: bool = True) -> tuple[dict[str, Evidence], int]:
    """Every article's evidence under ``base``: kept ones reused (same content hash, same base aliases), the rest gathered.

    ``ixes``: the index, or each shard of a sharded one (the evidence is the whole corpus's, kept
    in ``index_dir``).  Returns (id -> evidence, how many were gathered); ``keep``: the kept evidence
    file is written again (JSON lines: a header, then one article a line, so that it is read and
    written without holding it whole).
    """
    path = index_dir / CORPUS_EVIDENCE_FILE
    fresh = index_dir / (CORPUS_EVIDENCE_FILE + FRESH_SUFFIX)  # gathered as this run's articles were tagged (FreshEvidence)
    hashes = {key.id: key.content_hash for ix in ixes for key in stored_keys(ix)}
    evidence: dict[str, Evidence] = {}
    for article_id, content_hash, data in chain(_kept_evidence(path, base), _kept_evidence(fresh, base)):
        if hashes.get(article_id) == content_hash:
            with contextlib.suppress(IndexError, TypeError, ValueError, KeyError):  # a damaged entry: gathered again
                evidence[article_id] = Evidence.from_json(data)
    missing_all = [i for i in hashes if i not in evidence]
    for ix in ixes if missing_all else ():
        shard_ids = {key.id for key in stored_keys(ix)}
        missing = [i for i in missing_all if i in shard_ids]
        if not missing:
            continue
        hashes_here = {i: hashes[i] for i in shard_ids}
        with ix.searcher() as searcher:
            if len(missing) * 4 > len(hashes_here):  # most of the index (or shard): one sequential read
                wanted = set(missing)
                stored_all = (s for s in searcher.reader().all_stored_fields() if s.get("id") in wanted)
            else:
                stored_all = (searcher.stored_fields(n) for i in missing if (n := searcher.document_number(id=i)) is not None)
            for stored in stored_all:
                entities = stored.get("entities") or {}
                paragraphs = list(stored.get("paragraphs") or [])
                raw = raw_from_json(entities["raw"], paragraphs) if "raw" in entities else []
                evidence[stored["id"]] = Evidence.from_json(gather(raw, paragraphs, stored.get("language"), base, known).as_json())
    if keep:
        temporary = path.with_name(path.name + ".tmp")
        with open(temporary, "w", encoding="utf-8") as out:
            out.write(json.dumps({"version": EVIDENCE_VERSION, "base": base.digest}) + "\n")
            for article_id, found in evidence.items():
                out.write(json.dumps([article_id, hashes[article_id], found.as_json()], ensure_ascii=False, separators=(",", ":")) + "\n")
        os.replace(temporary, path)
        fresh.unlink(missing_ok=True)  # now in the kept file
    return evidence, len(missing_all)


def corpus_pass(
    shards: list[tuple[object, Path]],
    index_dir: str | Path,
    user_file: str | Path | None,
    lock_timeout: float,
    batch_size: int,
    everything: bool = False,
    dry_run: bool = False,
    curated=None,
    progress=None,
    strict: bool = False,
    processes: int = 1,
) -> PassSummary:
    """Derive the corpus aliases from every article and apply them; the caller holds the index's lock.

    ``shards``: (index, folder) of the index, or of each shard of a sharded one: the evidence and
    the corpus aliases are the whole corpus's, kept in ``index_dir``; each shard is rewritten.

    Only the articles that a changed entry can touch are normalised again (none when no entry
    changed); ``everything``: every article (the user's aliases changed, or the user asked).
    ``curated`` (a :class:`.curate.CurateSummary`) is told what the re-normalisation did;
    ``strict`` and ``processes`` as in :func:`.curate.renormalise_index`.  Records the aliases now applied to every
    article (:func:`.curate.record_aliases`) and keeps the corpus aliases in the index folder.
    """
    started = time.monotonic()
    index_dir = Path(index_dir)
    base = load_aliases(user_file)
    known = (place_lookup(), place_spellings())
    evidence, gathered = collect_evidence([ix for ix, _ in shards], index_dir, base, known, keep=not dry_run)
    overlay = derive_overlay(evidence.values(), base)
    summary = PassSummary(articles=len(evidence), gathered=gathered, overlay=overlay)
    new_text = overlay.toml()
    changed = _changed_names(_entries_of(kept_overlay(index_dir)), overlay.entries())
    summary.changed_entries = len(changed)
    aliases = overlay_aliases(user_file, new_text, str(index_dir / CORPUS_ALIASES_FILE))
    if changed or everything:
        ids = None if everything else {i for i, e in evidence.items() if changed & set(e.names)}
        curated = curated if curated is not None else CurateSummary("corpus aliases")
        if ids is None or ids:
            for ix, folder in shards:
                renormalise_index(ix, folder, aliases, curated, lock_timeout, batch_size, progress, strict=strict, dry_run=dry_run, ids=ids, processes=processes)
        summary.renormalised = curated.read
        summary.rewritten = curated.rewritten
    if not dry_run:
        _write(index_dir / CORPUS_ALIASES_FILE, new_text)
        record_aliases(index_dir, aliases, user_file)
    summary.seconds = time.monotonic() - started
    return summary


def _entries_of(text: str | None) -> dict:
    if not text:
        return {"merge": {}, "kind": {}}
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError:
        return {"merge": {}, "kind": {}}
    return {"merge": data.get("merge", {}), "kind": data.get("kind", {})}


def _changed_names(old: dict, new: dict) -> set[str]:
    """The folds of the names whose corpus entry differs between two sets of entries."""

    def table(entries: dict) -> dict[str, tuple]:
        out: dict[str, tuple] = {}
        for full, variants in entries.get("merge", {}).items():
            for variant in variants:
                out[fold(variant)] = ("merge", full)
                out.setdefault(fold(full), ("target",))
        for name, kind in entries.get("kind", {}).items():
            out[fold(name)] = (*out.get(fold(name), ()), "kind", kind)
        return out

    a, b = table(old), table(new)
    return {name for name in a.keys() | b.keys() if a.get(name) != b.get(name)}


def run_corpus_pass(index_dir: str | Path, lock_timeout: float = 30.0, batch_size: int = 500, dry_run: bool = False) -> CurateSummary:
    """``searchapp entities --corpus-pass``: the corpus-wide pass over every article of the index, under the
    aliases file kept with it; every article normalised again, those that change rewritten."""
    index_dir = Path(index_dir)
    folders = _folders(index_dir)
    user_file = kept_aliases_file(index_dir)
    summary = CurateSummary("the corpus aliases" + (f" under {user_file}" if user_file else ""))
    with IndexerLock(index_dir, lock_timeout):
        shards = _opened(folders)
        summary.corpus = corpus_pass(shards, index_dir, user_file, lock_timeout, batch_size, everything=True, dry_run=dry_run, curated=summary, strict=True).describe()
    return summary


def _folders(index_dir: Path) -> list[Path]:
    """The index folder, or each shard's of a sharded index; no index there: an error saying so (before the lock creates the folder)."""
    folders = shard_dirs(index_dir) or [index_dir]
    for folder in folders:
        open_index(folder)
    return folders


def _opened(folders: list[Path]) -> list[tuple[object, Path]]:
    """(index, folder) of each folder, its files checked against the checksums of its last commit."""
    shards = [(open_index(folder), folder) for folder in folders]
    for folder in folders:
        verify_before_writing(folder)  # never build on altered files
    return shards


def apply_aliases(
    index_dir: str | Path, aliases_file: str | Path, lock_timeout: float = 30.0, batch_size: int = 500, dry_run: bool = False, corpus: bool = True
) -> CurateSummary:
    """``searchapp entities --apply-aliases FILE``: the user's file applied with the corpus aliases derived again under it
    (user > corpus > built-in); ``corpus`` False: without corpus aliases (:func:`.curate.reapply_aliases`)."""
    if not corpus:
        return reapply_aliases(index_dir, aliases_file, lock_timeout, batch_size, dry_run=dry_run)
    load_user_aliases(aliases_file)  # a bad file: an error naming its line, before anything
    index_dir = Path(index_dir)
    folders = _folders(index_dir)
    summary = CurateSummary(str(aliases_file))
    with IndexerLock(index_dir, lock_timeout):
        shards = _opened(folders)
        summary.corpus = corpus_pass(shards, index_dir, aliases_file, lock_timeout, batch_size, everything=True, dry_run=dry_run, curated=summary, strict=True).describe()
    return summary


def apply_to_tagged(tagged: list, base: Aliases, known: tuple | None = None) -> tuple[list, Overlay]:
    """The corpus pass over articles just tagged (the gold set of ``searchapp evaluate``): their mentions
    normalised again under the corpus aliases their evidence supports, as an index of them would hold."""
    known = known if known is not None else (place_lookup(), place_spellings())
    evidence = [gather(t.raw or [], t.article.paragraphs, t.language, base, known) for t in tagged]
    overlay = derive_overlay(evidence, base)
    if not overlay.merges and not overlay.kinds:
        return tagged, overlay
    aliases = copy.deepcopy(base)  # the names these aliases decide are never in the corpus aliases: the order is moot
    aliases.update(overlay.entries(), "corpus aliases", keyed=False)
    aliases.digest = hashlib.sha256((base.digest + json.dumps(overlay.entries(), sort_keys=True)).encode()).hexdigest()[:16]
    out = []
    for t in tagged:
        if t.raw:
            t = TaggedArticle(t.article, relink(t.raw, t.article.paragraphs, t.language, aliases, known), t.dates, t.language, t.raw)
        out.append(t)
    return out, overlay
