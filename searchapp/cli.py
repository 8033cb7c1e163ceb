"""The ``searchapp`` command: index, search, entities, check, remove, snapshot, serve, evaluate (click parses and helps).

The settings are resolved once, when the command starts (:meth:`searchapp.config.Settings.load`,
options on top), and passed down.  Errors are handled in one place, :class:`Searchapp`: every
:class:`~searchapp.errors.SearchappError` is printed as ``error: message`` (or as click's usage
error when it names an option) and exits with its ``exit_code``: 0 when everything asked for was
done; 1 when some inputs were rejected or ids not found (each reported with its file and line);
2 for usage errors and unusable parameters, folders or settings; 130 when interrupted (every batch
committed before is kept).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from .config import Settings, describe_settings
from .errors import EXIT_INTERRUPTED, EXIT_REJECTED, SearchappError, SourceError


class Searchapp(click.Group):
    """The command group; the one handler of the error family for the command line."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except SearchappError as exc:
            if exc.param_hint:
                raise click.BadParameter(str(exc), param_hint=exc.param_hint) from None
            click.echo(f"error: {exc}", err=True)
            sys.exit(exc.exit_code)


def _index_dir_option(f):
    return click.option(
        "--index-dir",
        type=click.Path(file_okay=False, path_type=Path),
        default=None,
        help="Index folder (default: $SEARCHAPP_INDEX_DIR or index/).",
    )(f)


@click.group(cls=Searchapp, epilog="Settings (environment variables):\n\n" + describe_settings().replace("\n", "\n\n"))
@click.version_option(package_name="searchapp")
@click.pass_context
def main(ctx: click.Context) -> None:
    """searchapp: full-text search for news archives, with actors, places and dates."""
    from .store.outlets import use_outlets_file

    ctx.obj = Settings.load()
    use_outlets_file(ctx.obj.outlets or None)  # the outlet: analyser runs inside Whoosh, beyond any argument


@main.command("index")
@_index_dir_option
@click.option("--manifest", type=click.Path(dir_okay=False, path_type=Path), help="CSV of file,title,outlet,published,url for .txt/.md/.html files, matched by file name.")
@click.option("--rebuild", is_flag=True, help="Start a fresh index instead of updating this one.")
@click.option("--field", "fields", multiple=True, metavar="NAME=COLUMN", help="Read article field NAME (id, title, text, outlet, published, url) from record column COLUMN. Repeatable.")
@click.option(
    "--facet",
    "facets",
    multiple=True,
    metavar="NAME[=COLUMN][:TYPE]",
    help="Index record column COLUMN (default NAME) as facet NAME, TYPE keyword (default), number or date; "
    "kept with the index (facets.toml) for later runs and the server. Repeatable.",
)
@click.option("--aliases", type=click.Path(dir_okay=False, path_type=Path), default=None, help="TOML aliases file (merge, rename, drop, kind) applied at index time, then kept with the index; default $SEARCHAPP_ALIASES, else the file kept with the index.")
@click.option("--processes", type=click.IntRange(1, 64), default=None, help="Tagging processes, also writing large batches (default: $SEARCHAPP_PROCESSES or the number of cores).")
@click.option("--scheduler", default=None, metavar="ADDRESS", help="Tag on the Dask cluster of this scheduler (tcp://HOST:PORT) instead of local processes; default $SEARCHAPP_SCHEDULER.")
@click.option("--batch-size", type=click.IntRange(1, 100_000), default=None, help="Articles per committed batch (default: $SEARCHAPP_BATCH_SIZE or 500).")
@click.option(
    "--shards",
    type=click.IntRange(1, 64),
    default=None,
    help="Split a new index into N shards searched in parallel (default: $SEARCHAPP_SHARDS or 1); "
    "an existing index keeps its number (--rebuild --shards N changes it).",
)
@click.option("--quiet", is_flag=True, help="No progress bar.")
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.pass_obj
def index_command(settings: Settings, index_dir, manifest, rebuild, fields, facets, aliases, processes, scheduler, batch_size, shards, quiet, paths) -> None:
    """Read, tag and index PATHS (files or folders: .txt .md .html .jsonl .json .csv, optionally .gz)."""
    from tqdm import tqdm  # a well-kept progress bar: rate, ETA and clean output beside log lines

    from .ingest.cluster import check_address
    from .ingest.readers import COLUMN_NAMES
    from .ingest.run import IndexOptions, index_paths
    from .store.custom import FacetSpec

    field_map = {}
    for item in fields:
        name, sep, column = item.partition("=")
        if not sep or name not in COLUMN_NAMES or not column:
            raise click.BadParameter(
                f"{item!r}: expected NAME=COLUMN with NAME one of {', '.join(COLUMN_NAMES)} "
                f"(to filter by another column, use --facet {name or 'NAME'}={column or 'COLUMN'})",
                param_hint="--field",
            )
        field_map[name] = column
    facet_specs = [FacetSpec.parse(item) for item in facets]
    for path in paths:
        if not path.exists():
            raise click.BadParameter(f"{path}: no such file or folder", param_hint="PATHS")
    if manifest is not None and not manifest.is_file():
        raise click.BadParameter(f"{manifest}: no such file", param_hint="--manifest")
    settings = settings.replace(
        index_dir=index_dir, processes=processes, batch_size=batch_size, aliases=str(aliases) if aliases else None
    )
    if scheduler or settings.scheduler:
        settings = settings.replace(scheduler=check_address(scheduler or settings.scheduler, from_environment=not scheduler))
    if shards is None and settings.shards != Settings.shards:  # $SEARCHAPP_SHARDS
        shards = settings.shards
    options = IndexOptions.from_settings(settings, manifest=manifest, field_map=field_map, rebuild=rebuild, facets=facet_specs, shards=shards)

    def progress(total):
        return tqdm(total=total, unit=" articles", desc="indexing", disable=quiet, dynamic_ncols=True, smoothing=0.1)

    def report(message: str) -> None:
        tqdm.write(message, file=sys.stderr)

    try:
        summary = index_paths(paths, settings.index_dir, options, progress=progress, report=report)
    except KeyboardInterrupt:
        click.echo("interrupted: every batch committed before the interruption is kept; re-run to finish", err=True)
        sys.exit(EXIT_INTERRUPTED)
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
@click.option("--filter", "extra_filters", multiple=True, metavar="FACET=VALUE", help="Only articles with this value of a facet, the index's own (--facet) or a built-in one; repeat to OR values of one facet (--all-of FACET ANDs them), AND facets.")
@click.option("--language", multiple=True, help="Only articles in this language (ar, en or its name: Arabic).")
@click.option("--all-of", "all_of", multiple=True, metavar="FACET", help="Articles with ALL the values given for FACET (AND), not any of them (OR); repeatable.")
@click.option("--published", default="", metavar="PERIOD", help="Only articles published in PERIOD: 2016, 2016-03, 2016-03-05 or 2016-01 TO 2016-06.")
@click.option("--sort", type=click.Choice(["relevance", "newest", "oldest"]), default="relevance", show_default=True)
@click.option("--page", type=click.IntRange(1, 1000), default=1, show_default=True)
@click.option("--limit", type=click.IntRange(1, 100), default=None, help="Hits per page (default $SEARCHAPP_PER_PAGE or 10).")
@click.option("--all-versions", is_flag=True, help="List every version of a republished story (default: one, with a count of the others).")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON (the shape of GET /api/search).")
@click.argument("query", required=False, default="")
@click.pass_obj
def search_command(
    settings: Settings, index_dir, outlet, year, actor, place, month, language, extra_filters, all_of, published, sort, page, limit, all_versions, as_json, query
) -> None:
    """Search the index for QUERY (empty: browse everything, newest first)."""
    from .errors import BadRequest
    from .query import SearchIndex, SearchRequest
    from .web.render import result_dict, result_text

    settings = settings.replace(index_dir=index_dir)
    filters = {"outlet": list(outlet), "year": list(year), "actor": list(actor), "place": list(place), "month": list(month), "language": list(language)}
    for item in extra_filters:
        name, sep, value = item.partition("=")
        if not sep or not name.strip() or not value.strip():
            raise click.BadParameter(f"{item!r}: expected FACET=VALUE", param_hint="--filter")
        filters.setdefault(name.strip(), []).append(value.strip())
    try:
        request = SearchRequest(
            q=query,
            filters={k: v for k, v in filters.items() if v},
            sort=sort,
            page=page,
            per_page=limit or settings.per_page,
            facet_size=settings.facet_size,
            collapse=not all_versions,
            ops={facet.strip(): "all" for facet in all_of},
            published=published,
        )
        result = SearchIndex.from_settings(settings.replace(search_processes=1, search_scheduler="")).search(request)  # one search: no processes or cluster
    except BadRequest as exc:  # the query, a filter or a limit: a usage error about it
        raise click.BadParameter(str(exc), param_hint=exc.param_hint or "QUERY") from None
    if as_json:
        click.echo(json.dumps(result_dict(result), ensure_ascii=False, indent=2))
    else:
        click.echo(result_text(result))


@main.command("entities")
@_index_dir_option
@click.option("--kind", "kinds", multiple=True, type=click.Choice(["person", "org", "place"]), help="Only values of this kind (repeat for several; default all three).")
@click.option("--match", default="", metavar="TEXT", help="Only values whose name or one of whose spellings holds TEXT (case and accents ignored).")
@click.option("--limit", type=click.IntRange(0, None), default=50, show_default=True, help="At most this many values (0: all).")
@click.option("--json", "as_json", is_flag=True, help="Print the values as JSON, every spelling included.")
@click.option(
    "--apply-aliases",
    "aliases_file",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    metavar="TOML",
    help="First apply this aliases file (the --aliases format, on top of the built-in aliases) to every indexed article, "
    "from its stored mentions, without tagging again; then list.",
)
@click.option("--dry-run", is_flag=True, help="With --apply-aliases or --corpus-pass: say what would change (values, articles), write nothing.")
@click.option(
    "--corpus-pass",
    is_flag=True,
    help="First run the corpus-wide pass over every article (kinds by the majority of the articles, acronyms joined to "
    "the full name the corpus gives them; <index>/corpus-aliases.toml), as every `searchapp index` run ends; then list.",
)
@click.pass_obj
def entities_command(settings: Settings, index_dir, kinds, match, limit, as_json, aliases_file, dry_run, corpus_pass) -> None:
    """List the actor and place values of the index with their counts, kinds and the spellings folded into each.

    Sorted by articles.  To merge, rename, drop or re-kind values, write an aliases file and apply
    it with --apply-aliases (seconds, no tagging).  The file is then kept with the index: later
    `searchapp index` runs use it unless --aliases or SEARCHAPP_ALIASES name another.  A value the
    corpus-wide pass decided says so ("corpus: ..."), with the evidence; the entries are in
    <index>/corpus-aliases.toml, and your aliases file overrides any of them.
    """
    from .query import SearchIndex
    from .query.entities import corpus_decisions, list_entities
    from .web.render import entities_text

    settings = settings.replace(index_dir=index_dir)
    if dry_run and aliases_file is None and not corpus_pass:
        raise click.BadParameter("--dry-run needs --apply-aliases TOML or --corpus-pass", param_hint="--dry-run")
    if aliases_file is not None or corpus_pass:
        from .ingest.corpus import apply_aliases, run_corpus_pass

        try:
            if aliases_file is not None:
                summary = apply_aliases(
                    settings.index_dir, aliases_file, settings.lock_timeout, settings.batch_size, dry_run=dry_run, corpus=settings.corpus_pass or corpus_pass
                )
            else:
                summary = run_corpus_pass(settings.index_dir, settings.lock_timeout, settings.batch_size, dry_run=dry_run)
        except KeyboardInterrupt:
            click.echo("interrupted: every batch committed before the interruption is kept; re-run to finish", err=True)
            sys.exit(EXIT_INTERRUPTED)
        click.echo(summary.describe(), err=True)
        for line in summary.describe_changes():
            click.echo(line, err=True)
    listing = list_entities(SearchIndex.from_settings(settings), tuple(kinds), match, limit or None)
    decisions = corpus_decisions(settings.index_dir)
    if as_json:
        data = listing.as_dict()
        for value in data["values"]:
            if value["value"] in decisions:
                value["corpus"] = decisions[value["value"]]
        click.echo(json.dumps(data, ensure_ascii=False, indent=2))
    else:
        click.echo(entities_text(listing, decisions=decisions))


@main.command("check")
@_index_dir_option
@click.pass_obj
def check_command(settings: Settings, index_dir) -> None:
    """Verify the index: every file of its last commit present, with the size and SHA-256 recorded at commit.

    Exit 0 when it is whole; exit 2 naming each damaged file, and how to recover, when it is not.
    """
    from .errors import IndexDamaged
    from .store.index import RECOVERY, check_index

    folder = Path(index_dir or settings.index_dir)
    report = check_index(folder)
    if report.problems:
        raise IndexDamaged(f"{folder}: damaged index: " + "; ".join(report.problems) + f"; {RECOVERY}")
    unverified = f"; {len(report.unrecorded)} file(s) committed before checksums were recorded: present, not verified" if report.unrecorded else ""
    click.echo(f"{folder}: index whole: generation {report.generation}, {report.files} files, {report.documents} articles{unverified}", err=True)


@main.command("remove")
@_index_dir_option
@click.argument("ids", nargs=-1, required=True)
@click.pass_obj
def remove_command(settings: Settings, index_dir, ids) -> None:
    """Remove articles from the index by id."""
    from .store.index import remove_ids

    removed, missing = remove_ids(index_dir or settings.index_dir, ids, settings.lock_timeout)
    click.echo(f"removed {len(removed)}" + (f"; not in the index: {', '.join(missing)}" if missing else ""), err=True)
    if missing:
        sys.exit(EXIT_REJECTED)


@main.command("snapshot")
@_index_dir_option
@click.option(
    "--shards",
    type=click.IntRange(1, 64),
    default=1,
    show_default=True,
    help="Split the copy into this many shards, routed as `index --shards N` routes them: a large index searched on every core "
    "of another machine without indexing it again.",
)
@click.argument("destination", type=click.Path(path_type=Path))
@click.pass_obj
def snapshot_command(settings: Settings, index_dir, shards, destination) -> None:
    """Copy the index's last committed generation to DESTINATION (a new folder), even while it is being written.

    Serve the copy with `searchapp serve --read-only --index-dir DESTINATION`, here or on another machine.
    """
    from .store.snapshot import take_snapshot

    info = take_snapshot(index_dir or settings.index_dir, destination, shards=shards)
    click.echo(
        f"snapshot of generation {info.generation}: {info.documents} articles"
        f"{f' in {info.shards} shards' if info.shards > 1 else ''}, {info.files} files, "
        f"{info.bytes / 1e6:.1f} MB copied to {destination}",
        err=True,
    )


@main.command("serve")
@_index_dir_option
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", type=click.IntRange(0, 65535), default=5000, show_default=True, help="Port to listen on.")
@click.option("--workers", type=click.IntRange(1, 64), default=None, help="Gunicorn worker processes (default: $SEARCHAPP_WORKERS or 2).")
@click.option(
    "--read-only",
    is_flag=True,
    default=None,
    help="Serve the generation found at start, never look for newer commits or write to the folder: "
    "a replica serving a `searchapp snapshot` (default: $SEARCHAPP_READ_ONLY).",
)
@click.option(
    "--scheduler",
    default=None,
    metavar="ADDRESS",
    help="Search the shards on the workers of this Dask scheduler (tcp://HOST:PORT), each keeping its shards open; "
    "default $SEARCHAPP_SEARCH_SCHEDULER, else searches run in the server's processes.",
)
@click.pass_obj
def serve_command(settings: Settings, index_dir, host, port, workers, read_only, scheduler) -> None:
    """Serve the search web site and JSON API with gunicorn."""
    from .web.serve import make_server, server_options

    settings = settings.replace(index_dir=index_dir, workers=workers, read_only=read_only or None)
    if scheduler or settings.search_scheduler:
        from .ingest.cluster import check_address  # the same check as the tagging cluster's

        address = check_address(scheduler or settings.search_scheduler, from_environment=not scheduler, variable="SEARCHAPP_SEARCH_SCHEDULER")
        settings = settings.replace(search_scheduler=address)
    if not settings.index_dir.is_dir():
        raise click.BadParameter(f"{settings.index_dir}: no such folder (build an index with `searchapp index` first)", param_hint="--index-dir")
    mode = ", read-only" if settings.read_only else ""
    mode += f", searching on the Dask cluster {settings.search_scheduler}" if settings.search_scheduler else ""
    click.echo(f"searchapp: serving {settings.index_dir} on http://{host}:{port}/ with {settings.workers} workers{mode} (Ctrl-C stops)", err=True)
    make_server(settings, server_options(host, port, settings.workers)).run()


@main.command("evaluate")
@click.argument("gold", required=False, type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print the figures (and every error) as JSON.")
@click.option("--errors", "show_errors", is_flag=True, help="Also list, per article, the values missed and the extra ones.")
@click.option(
    "--split",
    type=click.Choice(["all", "dev", "heldout"]),
    default="all",
    show_default=True,
    help="Only the articles of this part of the gold set (dev: the rules were tuned on it; heldout: annotated after the tuning); without GOLD, every part is reported apart by default.",
)
@click.option(
    "--aliases",
    "aliases_file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=None,
    help="Apply this aliases file on top of the built-in aliases (default: the built-in aliases only).",
)
@click.option(
    "--corpus-index",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    default=None,
    metavar="INDEX",
    help="Apply the corpus aliases of this index (its corpus-aliases.toml: an index of the archive the gold articles come from) "
    "instead of deriving them from the gold articles alone.",
)
@click.pass_obj
def evaluate_command(settings: Settings, gold: Path | None, as_json: bool, show_errors: bool, split: str, aliases_file: Path | None, corpus_index: Path | None) -> None:
    """Score the tagging against a gold set (default: each corpus of tests/eval apart, Reuters/samples and FA-KES).

    The articles go through the corpus-wide pass as `searchapp index` ends: the gold set is the
    corpus (or, with --corpus-index, the corpus aliases of that index apply), unless
    SEARCHAPP_CORPUS_PASS is off.
    """
    from .ingest.entities import load_aliases
    from .ingest.evaluate import DEFAULT_GOLDS, evaluate, format_report, load_gold

    aliases = load_aliases(aliases_file)
    if corpus_index is not None:
        from .store.index import CORPUS_ALIASES_FILE

        path = corpus_index / CORPUS_ALIASES_FILE
        if not path.is_file():
            raise click.BadParameter(f"{path}: no such file (the corpus pass has not run on this index)", param_hint="--corpus-index")
        aliases = load_aliases(aliases_file, (str(path), path.read_text(encoding="utf-8")))
        settings = settings.replace(corpus_pass=False)  # the index's corpus aliases, not the gold set's
    if gold is not None:
        records = [r for r in load_gold(gold) if split == "all" or r.get("split", "dev") == split]
        if not records:
            raise SourceError(f"{gold}: no article in split {split!r}", param_hint="--split")
        report = evaluate(records, aliases, settings.corpus_pass)
        summary = report.as_dict()
        if as_json:
            click.echo(json.dumps({**summary, "errors": report.errors}, ensure_ascii=False, indent=2))
            return
        click.echo(format_report(summary))
        if show_errors:
            for error in report.errors:
                click.echo(json.dumps(error, ensure_ascii=False))
        return
    # every corpus apart, and within it the part the rules were tuned on (dev) apart from the held-out one
    results: dict[str, dict] = {}
    for name, path in DEFAULT_GOLDS.items():
        if not path.is_file():
            raise SourceError(f"{path}: no such file", param_hint="GOLD")
        records = load_gold(path)
        parts = ("dev", "heldout", "all") if split == "all" else (split,)
        results[name] = {}
        for part in parts:
            chosen = [r for r in records if part == "all" or r.get("split", "dev") == part]
            if chosen:
                report = evaluate(chosen, aliases, settings.corpus_pass)
                results[name][part] = {**report.as_dict(), **({"errors": report.errors} if as_json and part == "all" else {})}
                if not as_json:
                    click.echo(f"== {name} ({path.name}), {part} ==")
                    click.echo(format_report(results[name][part]) + "\n")
                    if show_errors and part == parts[-1]:
                        for error in report.errors:
                            click.echo(json.dumps(error, ensure_ascii=False))
    if as_json:
        click.echo(json.dumps(results, ensure_ascii=False, indent=2))


if __name__ == "__main__":  # pragma: no cover
    main()
