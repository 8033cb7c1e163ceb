"""The web front end under gunicorn (never Flask's development server): ``searchapp serve``.

Gunicorn is driven through its ``BaseApplication`` API so no config file or import string is
needed: each worker builds its own Flask app with :func:`searchapp.web.create_app` from the
settings the command resolved.
"""

from __future__ import annotations

from ..config import Settings


def make_server(settings: Settings, options: dict):
    """A gunicorn application serving :func:`searchapp.web.create_app` with ``settings``.

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
            from .app import create_app

            return create_app(settings)

    return SearchAppServer()


def server_options(host: str, port: int, workers: int, **extra) -> dict:
    options = {
        "bind": f"{'[' + host + ']' if ':' in host else host}:{port}",
        "workers": workers,
        # threads, with idle and slow clients held on a poller (searchapp/web/worker.py), not in a thread
        "worker_class": "searchapp.web.worker.SearchAppWorker",
        "threads": 8,
        "keepalive": 5,
        # gunicorn's own refusals carry none of the app's headers: its limits sit above the app's
        # (searchapp/web/app.py answers 414 and 431 itself); 8190 is the longest request line it allows.
        "limit_request_line": 8190,
        "limit_request_field_size": 65536,
        "limit_request_fields": 200,
        "timeout": 60,
        "graceful_timeout": 10,
        "accesslog": "-",
        "errorlog": "-",
        "loglevel": "info",
        "control_socket_disable": True,  # several servers (tests) must not share one control socket
    }
    options.update(extra)
    return options
