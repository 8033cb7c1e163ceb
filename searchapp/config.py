"""Settings: every knob declared once, with its default and help text, read through one accessor.

A setting is looked up, in order, in an explicit mapping (a Flask app's config, a test's
overrides), in the environment as ``SEARCHAPP_<NAME>``, and finally in its declared default.
Nothing is read at import time: callers ask :func:`get_setting` when they need a value, so a test
or a server started with another environment sees its own values.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any


class SettingError(ValueError):
    """A setting was given a value that cannot be used (names the setting and the value)."""


@dataclass(frozen=True)
class Setting:
    name: str
    default: Any
    help: str
    parse: Callable[[str], Any] = str


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


SETTINGS: dict[str, Setting] = {
    s.name: s
    for s in [
        Setting("INDEX_DIR", "index", "Folder that holds the Whoosh index."),
        Setting(
            "ALIASES",
            "",
            "TOML file of entity aliases (merge, rename, drop, kind) applied at index time, "
            "on top of the built-in ones.",
        ),
        Setting(
            "BATCH_SIZE",
            500,
            "Articles per committed batch: an interrupted run keeps every committed batch.",
            _positive_int,
        ),
        Setting(
            "PROCESSES",
            os.cpu_count() or 1,
            "Tagging processes used by `searchapp index` (1 tags in the main process).",
            _positive_int,
        ),
        Setting(
            "SCHEDULER",
            "",
            "Address of a Dask scheduler (tcp://HOST:PORT) on whose workers `searchapp index` tags; "
            "empty: local processes.",
        ),
        Setting("SCHEDULER_TIMEOUT", 10.0, "Seconds `searchapp index --scheduler` waits to reach the scheduler and a first worker.", float),
        Setting(
            "LOCK_TIMEOUT",
            30.0,
            "Seconds a second indexer waits for the index lock before giving up.",
            float,
        ),
        Setting("PER_PAGE", 10, "Results per page.", _positive_int),
        Setting("FACET_SIZE", 10, "Values shown per facet before 'more'.", _positive_int),
        Setting("EXPORT_LIMIT", 10_000, "Most hits a CSV/JSON export may hold; a larger search is refused (400).", _positive_int),
        Setting("FEED_SIZE", 50, "Entries in a search's Atom feed (newest first).", _positive_int),
        Setting("WORKERS", 2, "Gunicorn worker processes started by `searchapp serve`.", _positive_int),
        Setting(
            "READ_ONLY",
            False,
            "Serve the generation found at start and never look for newer commits or write to the "
            "index folder (a replica serving a `searchapp snapshot`, possibly on read-only storage).",
            _flag,
        ),
        # Limits (checked by searchapp.limits): past each one a search is refused with a 400 that names it.
        Setting("MAX_QUERY_LENGTH", 1000, "Most characters in a query (at most 1000).", _positive_int),
        Setting("MAX_QUERY_TERMS", 64, "Most words, phrases and field clauses in a query.", _positive_int),
        Setting(
            "MAX_EXPANSION",
            1000,
            "Most index terms that the wildcards, prefixes (`a*`) and ranges of one query may expand to.",
            _positive_int,
        ),
        Setting("MAX_WILDCARDS", 8, "Most wildcard, prefix and range clauses in a query (each scans the index's words).", _positive_int),
        Setting("MAX_PAGE", 1000, "Deepest result page (at most 1000).", _positive_int),
        Setting(
            "MAX_ARTICLE_CHARS",
            1_000_000,
            "Longest article text (characters) that is indexed; a longer one is rejected with its size.",
            _positive_int,
        ),
        Setting(
            "MAX_TAGGED_CHARS",
            100_000,
            "Characters of each article tagged for actors, places and dates; the rest is indexed untagged.",
            _positive_int,
        ),
    ]
}

ENV_PREFIX = "SEARCHAPP_"


def get_setting(name: str, overrides: Mapping[str, Any] | None = None) -> Any:
    """The value of setting ``name``: from ``overrides``, else the environment, else its default."""
    setting = SETTINGS[name]
    if overrides is not None:
        for key in (name, ENV_PREFIX + name):
            if key in overrides and overrides[key] is not None:
                return overrides[key]
    raw = os.environ.get(ENV_PREFIX + name)
    if raw is None or raw == "":
        return setting.default
    try:
        return setting.parse(raw)
    except ValueError as exc:
        raise SettingError(f"{ENV_PREFIX}{name}={raw!r}: {exc}") from None


def describe_settings() -> str:
    """Human-readable list of every setting, its environment variable and default."""
    lines = []
    for s in SETTINGS.values():
        lines.append(f"{ENV_PREFIX}{s.name} (default {s.default!r}): {s.help}")
    return "\n".join(lines)
