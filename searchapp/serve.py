"""``searchapp serve``: the web front end under gunicorn (never Flask's development server).

Gunicorn is driven through its ``BaseApplication`` API so no config file or import string is
needed: each worker builds its own Flask app with :func:`searchapp.web.create_app`.  Register the
command with ``main.add_command(serve_command, "serve")``; ``python -m searchapp.serve`` runs it
standalone.
"""

from __future__ import annotations

from pathlib import Path

import click

from .config import SettingError, get_setting


def make_server(app_config: dict, options: dict):
    """A gunicorn application serving :func:`searchapp.web.create_app` with ``app_config``.

    gunicorn is imported here, not at module level, so `searchapp index` and `search` start
    without it.
    """
    from gunicorn.app.base import BaseApplication

    class SearchAppServer(BaseApplication):
        def load_config(self) -> None:
            for key, value in options.items():
                if key in self.cfg.settings and value is not None:
                    self.cfg.set(key.lower(), value)

        def load(self):
            from .web import create_app

            return create_app(app_config)

    return SearchAppServer()


def server_options(host: str, port: int, workers: int, **extra) -> dict:
    options = {
        "bind": f"{'[' + host + ']' if ':' in host else host}:{port}",
        "workers": workers,
        "worker_class": "sync",
        "timeout": 60,
        "graceful_timeout": 10,
        "accesslog": "-",
        "errorlog": "-",
        "loglevel": "info",
        "control_socket_disable": True,  # several servers (tests) must not share one control socket
    }
    options.update(extra)
    return options


@click.command("serve")
@click.option("--index-dir", type=click.Path(file_okay=False, path_type=Path), default=None, help="Index folder (default: $SEARCHAPP_INDEX_DIR or index/).")
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
def serve_command(index_dir, host, port, workers, read_only) -> None:
    """Serve the search web site and JSON API with gunicorn."""
    try:
        index_dir = index_dir or Path(get_setting("INDEX_DIR"))
        workers = workers or get_setting("WORKERS")
        read_only = read_only or get_setting("READ_ONLY")
    except SettingError as exc:
        raise click.UsageError(str(exc)) from None
    if not index_dir.is_dir():
        raise click.BadParameter(f"{index_dir}: no such folder (build an index with `searchapp index` first)", param_hint="--index-dir")
    mode = ", read-only" if read_only else ""
    click.echo(f"searchapp: serving {index_dir} on http://{host}:{port}/ with {workers} workers{mode} (Ctrl-C stops)", err=True)
    make_server({"INDEX_DIR": str(index_dir), "READ_ONLY": read_only}, server_options(host, port, workers)).run()


if __name__ == "__main__":  # pragma: no cover
    serve_command()
