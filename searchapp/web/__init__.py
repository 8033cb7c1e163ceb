"""The web front end: an application factory and a blueprint each for pages, the JSON API, exports and the feed.

``serve`` runs it under gunicorn; ``render`` turns results into JSON-ready dicts and text (shared
with the CLI).  Templates are the project's top-level ``templates/`` folder, installed with the
package as ``searchapp/templates``.
"""

from __future__ import annotations

from .app import create_app

__all__ = ["create_app"]
