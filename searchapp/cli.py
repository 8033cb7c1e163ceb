"""The ``searchapp`` command: index, search, remove, serve (click handles parsing, help and usage errors).

Exit codes: 0 when everything asked for was done; 1 when some inputs were rejected (each one is
reported with its file and line); 2 for usage errors and unusable parameters (a missing path, an
index folder that cannot be opened, a bad aliases file), with a message naming the parameter;
130 when interrupted (every batch committed before is kept).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from .config import SettingError, describe_settings, get_setting

EXIT_REJECTED = 1
EXIT_USAGE = 2
EXIT_INTERRUPTED = 130


def _index_dir_option(f):
    return click.option(
        "--index-dir",
        type=click.Path(file_okay=False, path_type=Path),
        default=None,
        help="Index folder (default: $SEARCHAPP_INDEX_DIR or index/).",
    )(f)


def _resolve_index_dir(value: Path | None) -> Path:
    return value or Path(get_setting("INDEX_DIR"))


def _fail(message: str, code: int = EXIT_USAGE) -> None:
    click.echo(f"error: {message}", err=True)
    sys.exit(code)


@click.group(epilog="Settings (environment variables):\n\n" + describe_settings().replace("\n", "\n\n"))
@click.version_option(package_name="searchapp")
def main() -> None:
    """searchapp: full-text search for news archives, with actors, places and dates."""


@main.command("index")
@_index_dir_option
@click.option("--manifest", type=click.Path(dir_okay=False, path_type=Path), help="CSV of file,title,outlet,published,url for .txt/.md/.html files, matched by file name.")
@click.option("--rebuild", is_flag=True, help="Start a fresh index instead of updating this one.")
@click.option("--field", "fields", multiple=True, metavar="NAME=COLUMN", help="Read article field NAME (id, title, text, outlet, published, url) from record column COLUMN. Repeatable.")
@click.option("--aliases", type=click.Path(dir_okay=False, path_type=Path), default=None, help="TOML aliases file (merge, rename, drop, kind) applied at index time; default $SEARCHAPP_ALIASES.")
@click.option("--processes", type=click.IntRange(1, 64), default=None, help="Tagging processes (default: $SEARCHAPP_PROCESSES or the number of cores).")
@click.option("--scheduler", default=None, metavar="ADDRESS", help="Tag on the Dask cluster of this scheduler (tcp://HOST:PORT) instead of local processes; default $SEARCHAPP_SCHEDULER.")
@click.option("--batch-size", type=click.IntRange(1, 100_000), default=None, help="Articles per committed batch (default: $SEARCHAPP_BATCH_SIZE or 500).")
@click.option("--quiet", is_flag=True, help="No progress bar.")
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
def index_command(index_dir, manifest, rebuild, fields, aliases, processes, scheduler, batch_size, quiet, paths) -> None:
    """Read, tag and index PATHS (files or folders: .txt .md .html .jsonl .json .csv, optionally .gz)."""
    from tqdm import tqdm  # a well-kept progress bar: rate, ETA and clean output beside log lines

    from .cluster import ClusterError, check_address
    from .entities import AliasesError
    from .indexing import IndexOptions, IndexUnavailable, index_paths
    from .sources import COLUMN_NAMES, SourceError

    field_map = {}
    for item in fields:
        name, sep, column = item.partition("=")
        if not sep or name not in COLUMN_NAMES or not column:
            raise click.BadParameter(f"{item!r}: expected NAME=COLUMN with NAME one of {', '.join(COLUMN_NAMES)}", param_hint="--field")
        field_map[name] = column
    for path in paths:
        if not path.exists():
            raise click.BadParameter(f"{path}: no such file or folder", param_hint="PATHS")
    if manifest is not None and not manifest.is_file():
        raise click.BadParameter(f"{manifest}: no such file", param_hint="--manifest")
    try:
        from_environment = not scheduler
        scheduler = scheduler or get_setting("SCHEDULER")
        options = IndexOptions(
            manifest=manifest,
            field_map=field_map,
            rebuild=rebuild,
            processes=processes or get_setting("PROCESSES"),
            batch_size=batch_size or get_setting("BATCH_SIZE"),
            aliases_file=str(aliases) if aliases else (get_setting("ALIASES") or None),
            lock_timeout=get_setting("LOCK_TIMEOUT"),
            scheduler=scheduler and check_address(scheduler, from_environment),
        )
        index_dir = _resolve_index_dir(index_dir)
        get_setting("MAX_ARTICLE_CHARS"), get_setting("MAX_TAGGED_CHARS"), get_setting("SCHEDULER_TIMEOUT")  # read during the run: checked now
    except (SettingError, ClusterError) as exc:
        _fail(str(exc))

    def progress(total):
        return tqdm(total=total, unit=" articles", desc="indexing", disable=quiet, dynamic_ncols=True, smoothing=0.1)

    def report(message: str) -> None:
        tqdm.write(message, file=sys.stderr)

    try:
        summary = index_paths(paths, index_dir, options, progress=progress, report=report)
    except KeyboardInterrupt:
        click.echo("interrupted: every batch committed before the interruption is kept; re-run to finish", err=True)
        sys.exit(EXIT_INTERRUPTED)
    except (IndexUnavailable, SourceError, AliasesError, ClusterError) as exc:
        _fail(str(exc))
    click.echo(summary.describe(), err=True)
    if summary.rejected:
        click.echo(f"{len(summary.rejected)} input(s) rejected; see the lines above", err=True)
        sys.exit(EXIT_REJECTED)


@main.command("search")
@_index_dir_option
@click.option("--outlet", multiple=True, help="Only this outlet (repeat to OR several).")
@click.option("--year", multiple=True, help="Only this published year (repeat to OR several).")
@click.option("--actor", multiple=True, help="Only articles naming this person or organisation.")
@click.option("--place", multiple=True, help="Only articles naming this place.")
@click.option("--month", multiple=True, help="Only articles mentioning a date in this month (YYYY-MM).")
@click.option("--sort", type=click.Choice(["relevance", "newest", "oldest"]), default="relevance", show_default=True)
@click.option("--page", type=click.IntRange(1, 1000), default=1, show_default=True)
@click.option("--limit", type=click.IntRange(1, 100), default=None, help="Hits per page (default $SEARCHAPP_PER_PAGE or 10).")
@click.option("--all-versions", is_flag=True, help="List every version of a republished story (default: one, with a count of the others).")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON (the shape of GET /api/search).")
@click.argument("query", required=False, default="")
def search_command(index_dir, outlet, year, actor, place, month, sort, page, limit, all_versions, as_json, query) -> None:
    """Search the index for QUERY (empty: browse everything, newest first)."""
    from .indexing import IndexUnavailable
    from .render import result_dict, result_text
    from .search import BadRequest, QuerySyntaxError, SearchIndex, SearchRequest

    filters = {"outlet": list(outlet), "year": list(year), "actor": list(actor), "place": list(place), "month": list(month)}
    try:
        request = SearchRequest(
            q=query,
            filters={k: v for k, v in filters.items() if v},
            sort=sort,
            page=page,
            per_page=limit or get_setting("PER_PAGE"),
            facet_size=get_setting("FACET_SIZE"),
            collapse=not all_versions,
        )
        result = SearchIndex(_resolve_index_dir(index_dir)).search(request)
    except (QuerySyntaxError, BadRequest) as exc:
        raise click.BadParameter(str(exc), param_hint="QUERY") from None
    except SettingError as exc:  # e.g. SEARCHAPP_MAX_EXPANSION=lots
        _fail(str(exc))
    except IndexUnavailable as exc:
        _fail(str(exc))
    if as_json:
        click.echo(json.dumps(result_dict(result), ensure_ascii=False, indent=2))
    else:
        click.echo(result_text(result))


@main.command("remove")
@_index_dir_option
@click.argument("ids", nargs=-1, required=True)
def remove_command(index_dir, ids) -> None:
    """Remove articles from the index by id."""
    from .indexing import IndexUnavailable, remove_ids

    try:
        removed, missing = remove_ids(_resolve_index_dir(index_dir), ids, get_setting("LOCK_TIMEOUT"))
    except IndexUnavailable as exc:
        _fail(str(exc))
    click.echo(f"removed {len(removed)}" + (f"; not in the index: {', '.join(missing)}" if missing else ""), err=True)
    if missing:
        sys.exit(EXIT_REJECTED)


@main.command("snapshot")
@_index_dir_option
@click.argument("destination", type=click.Path(path_type=Path))
def snapshot_command(index_dir, destination) -> None:
    """Copy the index's last committed generation to DESTINATION (a new folder), even while it is being written.

    Serve the copy with `searchapp serve --read-only --index-dir DESTINATION`, here or on another machine.
    """
    from .indexing import IndexUnavailable
    from .snapshot import SnapshotError, take_snapshot

    try:
        info = take_snapshot(_resolve_index_dir(index_dir), destination)
    except (IndexUnavailable, SnapshotError) as exc:
        _fail(str(exc))
    click.echo(
        f"snapshot of generation {info.generation}: {info.documents} articles, {info.files} files, "
        f"{info.bytes / 1e6:.1f} MB in {destination}",
        err=True,
    )


def _register_serve() -> None:
    from .evaluate import evaluate_command
    from .serve import serve_command

    main.add_command(serve_command, "serve")
    main.add_command(evaluate_command, "evaluate")


_register_serve()

if __name__ == "__main__":  # pragma: no cover
    main()
