"""Settings: every knob declared once, with its default and help, resolved once into a frozen object.

:class:`Settings` is built by the front end that starts the work (the CLI for a command, the
application factory for the web app) with :meth:`Settings.load`, from explicit overrides (command
options, a test's config), then ``SEARCHAPP_<NAME>`` environment variables, then the declared
default.  It is then passed down: no other module reads the environment or Flask's globals, so
a test, a server or a cluster worker sees exactly the values it was given.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import SettingError

ENV_PREFIX = "SEARCHAPP_"


def _flag(text: str) -> bool:
    lowered = text.strip().lower()
    if lowered not in ("1", "0", "true", "false", "yes", "no", "on", "off"):
        raise ValueError("expected 1/0, true/false, yes/no or on/off")
    return lowered in ("1", "true", "yes", "on")


def _positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise ValueError("must be at least 1")
    return value


def _count(text: str) -> int:
    value = int(text)
    if value < 0:
        raise ValueError("must be 0 or more")
    return value


def _positive_float(text: str) -> float:
    value = float(text)
    if not value > 0:
        raise ValueError("must be more than 0")
    return value


def _setting(default: Any, help: str, parse: Callable[[str], Any] = str, *, ceiling: int | None = None) -> Any:
    """A declared setting: its default, its help text, how to read it from the environment."""
    return field(default=default, metadata={"help": help, "parse": parse, "ceiling": ceiling})


@dataclass(frozen=True)
class Settings:
    """Every setting of searchapp, resolved once (see :meth:`load`)."""

    index_dir: Path = _setting(Path("index"), "Folder that holds the Whoosh index.", Path)
    aliases: str = _setting(
        "", "TOML file of entity aliases (merge, rename, drop, kind) applied at index time, on top of the built-in ones (default: the file kept with the index)."
    )
    outlets: str = _setting(
        "",
        "TOML file of [[outlet]] tables (name, codes, domains, country, language) on top of the built-in outlets: "
        "read by `searchapp index`, `search` and `serve` alike, since outlet: queries use it too.",
    )
    batch_size: int = _setting(500, "Articles per committed batch: an interrupted run keeps every committed batch.", _positive_int)
    processes: int = _setting(
        os.cpu_count() or 1,
        "Tagging processes used by `searchapp index` (1 tags in the main process); a batch of at least 400 articles a shard "
        "is also analysed and written by as many, and the shards of a sharded index are merged by as many.",
        _positive_int,
    )
    scheduler: str = _setting("", "Address of a Dask scheduler (tcp://HOST:PORT) on whose workers `searchapp index` tags; empty: local processes.")
    scheduler_timeout: float = _setting(
        10.0, "Seconds `searchapp index --scheduler` waits to reach the scheduler and a first worker.", _positive_float
    )
    max_segments: int = _setting(
        8,
        "Segments an index may keep after a `searchapp index` run that added a little: past it the run merges "
        "the smallest (each segment is searched apart, so many of them slow every search); a run that wrote most "
        "of the index leaves it in one. 0: never merge.",
        _count,
    )
    corpus_pass: bool = _setting(
        True,
        "End every `searchapp index` run that changed the index with the corpus-wide pass: kinds decided by the "
        "majority of the articles naming a value, acronyms joined to the full name the corpus gives them "
        "(<index>/corpus-aliases.toml; your aliases file still has the last word). 0: off.",
        _flag,
    )
    tag_cache_entries: int = _setting(
        2_000_000,
        "Most paragraphs whose entity spans `searchapp index` keeps in the tag cache beside the index "
        "(<index>/tag-cache, about 350 bytes each on disk), so a paragraph seen before is not tagged again; "
        "past it the least recently used are dropped. 0: no cache.",
        _count,
    )
    search_scheduler: str = _setting(
        "",
        "Address of a Dask scheduler (tcp://HOST:PORT) on whose workers `searchapp serve` searches the shards of the index, every worker "
        "keeping the shards it searches open; empty: they are searched by the server's own processes. Distinct from "
        "`scheduler`, the cluster that tags for `searchapp index`.",
    )
    search_timeout: float = _setting(
        10.0,
        "Seconds a search on the Dask cluster (search_scheduler) may take, reaching the scheduler included: "
        "past them, or with no worker connected, the search is answered 503 (service unavailable).",
        _positive_float,
    )
    search_open_timeout: float = _setting(
        120.0,
        "Seconds a search on the Dask cluster may take when a worker first searches a shard (after a start, or taking "
        "over a lost worker's shards): it opens the shard and builds its facet table first.",
        _positive_float,
    )
    lock_timeout: float = _setting(30.0, "Seconds a second indexer waits for the index lock before giving up.", float)
    per_page: int = _setting(10, "Results per page.", _positive_int)
    facet_size: int = _setting(10, "Values shown per facet before 'more'.", _positive_int)
    facet_page_size: int = _setting(100, "Values per page of a facet's full list ('more'), which a facet search narrows.", _positive_int)
    export_limit: int = _setting(10_000, "Most hits a CSV/JSON export may hold; a larger search is refused (400).", _positive_int)
    export_seconds: float = _setting(
        20.0,
        "Most seconds an export may stream (whatever the query); a longer one is cut, and its end says so: "
        "the JSON lacks its closing brackets and ends with an error line, the CSV ends with an INCOMPLETE line.",
        _positive_float,
    )
    feed_size: int = _setting(50, "Entries in a search's Atom feed (newest first).", _positive_int)
    public_url: str = _setting(
        "",
        "The site's public base URL (https://news-search.example.org): the Atom feed's ids and links and the exports' "
        "absolute links are built on it, never on the Host header a client sends.",
    )
    workers: int = _setting(2, "Gunicorn worker processes started by `searchapp serve`.", _positive_int)
    shards: int = _setting(
        1,
        "Shards a new index is split into by `searchapp index` (--shards; at most 64): a search runs on every shard at once. "
        "An existing index keeps its number of shards; `--rebuild --shards N` changes it.",
        _positive_int,
    )
    search_processes: int = _setting(
        os.cpu_count() or 1,
        "Processes that search the shards of a sharded index, the serving process included, each holding its shards open "
        "(1: all searched in the serving process).",
        _positive_int,
    )
    read_only: bool = _setting(
        False,
        "Serve the generation found at start and never look for newer commits or write to the index folder "
        "(a replica serving a `searchapp snapshot`, possibly on read-only storage).",
        _flag,
    )
    # Limits (checked by searchapp.query.limits): past each one a search is refused with a 400 that names it.
    max_query_length: int = _setting(1000, "Most characters in a query (at most 1000).", _positive_int, ceiling=1000)
    max_query_terms: int = _setting(64, "Most words, phrases and field clauses in a query.", _positive_int)
    max_expansion: int = _setting(
        1000, "Most index terms that the wildcards, prefixes (`a*`) and ranges of one query may expand to.", _positive_int
    )
    max_wildcards: int = _setting(8, "Most wildcard, prefix and range clauses in a query (each scans the index's words).", _positive_int)
    max_page: int = _setting(1000, "Deepest result page (at most 1000).", _positive_int, ceiling=1000)
    max_article_chars: int = _setting(
        1_000_000, "Longest article text (characters) that is indexed; a longer one is rejected with its size.", _positive_int
    )
    max_file_bytes: int = _setting(
        1 << 30,
        "Most bytes read from one input file, after decompressing a .gz (read in a stream that stops there); "
        "a larger file is rejected with its size. A one-article file (.txt .md .html) may hold 40 bytes per "
        "character of max_article_chars at most. JSON Lines and CSV files are read a line at a time: raising this "
        "for them costs no memory.",
        _positive_int,
    )
    max_title_chars: int = _setting(
        500, "Longest title (characters) stored; a longer one is cut at a word with '…' and a warning.", _positive_int
    )
    max_outlet_chars: int = _setting(
        200, "Longest outlet name (characters) stored; a longer one is dropped (outlet unknown) with a warning.", _positive_int
    )
    max_url_chars: int = _setting(
        4096, "Longest original-article URL (characters) stored; a longer one is dropped with a warning.", _positive_int
    )
    max_tagged_chars: int = _setting(
        100_000, "Characters of each article tagged for actors, places and dates; the rest is indexed untagged.", _positive_int
    )

    @classmethod
    def load(cls, environ: Mapping[str, str] | None = None, overrides: Mapping[str, Any] | None = None) -> Settings:
        """Settings from ``overrides`` (by field name, either case; None means "not given"), else
        ``environ`` (``SEARCHAPP_<NAME>``; the process environment when None), else the defaults.

        A value that cannot be used raises :class:`~searchapp.errors.SettingError` naming where it came from.
        """
        environ = os.environ if environ is None else environ
        given = {str(k).lower(): v for k, v in (overrides or {}).items() if v is not None}
        values: dict[str, Any] = {}
        for spec in dataclasses.fields(cls):
            parse = spec.metadata["parse"]
            name = ENV_PREFIX + spec.name.upper()
            if spec.name in given:
                value, origin = given[spec.name], f"{spec.name}={given[spec.name]!r}"
                if isinstance(value, str) and parse is not str:
                    value = _parsed(parse, value, origin)
            elif environ.get(name, "") != "":
                value = _parsed(parse, environ[name], f"{name}={environ[name]!r}")
                origin = name
            else:
                continue
            ceiling = spec.metadata["ceiling"]
            if ceiling is not None and value > ceiling:
                raise SettingError(f"{origin}: {spec.name} can be lowered, not raised above {ceiling}")
            values[spec.name] = value
        return cls(**values)

    def replace(self, **changes: Any) -> Settings:
        """A copy with ``changes`` (those that are None are ignored: an option that was not given)."""
        return dataclasses.replace(self, **{k: v for k, v in changes.items() if v is not None})


def _parsed(parse: Callable[[str], Any], raw: str, origin: str) -> Any:
    try:
        return parse(raw)
    except ValueError as exc:
        raise SettingError(f"{origin}: {exc}") from None


def describe_settings() -> str:
    """Every setting, its environment variable and default, for ``searchapp --help``."""
    lines = []
    for spec in dataclasses.fields(Settings):
        default = spec.default
        shown = str(default) if isinstance(default, Path) else repr(default)
        lines.append(f"{ENV_PREFIX}{spec.name.upper()} (default {shown}): {spec.metadata['help']}")
    return "\n".join(lines)
