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
