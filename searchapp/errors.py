"""One exception family for everything a user can get wrong or meet, with how each front end answers it.

Every error searchapp raises on purpose is a :class:`SearchappError`: its message is meant for the
person who typed the command or the URL (it names the file, line, parameter or setting), its
``status`` is the HTTP status the web answers with, and its ``exit_code`` the CLI's exit status.
Each front end handles the family in one place (``searchapp.web.app`` registers one error handler,
``searchapp.cli`` wraps every command), so a new error never needs a new mapping.

Exit codes: 1 when some of what was asked could not be done (rejected inputs, unknown ids), 2 for
usage errors and unusable parameters, folders or settings, 130 when interrupted.
"""

from __future__ import annotations

EXIT_REJECTED = 1
EXIT_USAGE = 2
EXIT_INTERRUPTED = 130


class SearchappError(Exception):
    """Base of every error meant for the user: a message, an HTTP status and a CLI exit code."""

    status: int = 500
    exit_code: int = EXIT_USAGE
    #: for the CLI: the option or argument the message is about (``--field``, ``QUERY``), if any
    param_hint: str | None = None

    def __init__(self, message: str, *, param_hint: str | None = None) -> None:
        super().__init__(message)
        if param_hint is not None:
            self.param_hint = param_hint

    def __reduce__(self):
        """Pickled with its option (an error raised in a search process is raised again in the caller)."""
        return (_rebuild, (type(self), str(self), self.__dict__.get("param_hint")))


def _rebuild(cls: type[SearchappError], message: str, param_hint: str | None) -> SearchappError:
    return cls(message, param_hint=param_hint)



class BadRequest(SearchappError):
    """A request parameter is out of range or malformed; the message names the parameter."""

    status = 400


class QuerySyntaxError(BadRequest):
    """The query cannot be read; the message says what is wrong, for display beside the box."""

    param_hint = "QUERY"


class NotFound(SearchappError):
    """An unknown document id, or a page that does not exist."""

    status = 404
    exit_code = EXIT_REJECTED


class SettingError(SearchappError):
    """A setting has a value that cannot be used (names the setting and the value)."""

    status = 500


class IndexUnavailable(SearchappError):
    """The index folder cannot be opened, created or written (the message says why and what to do)."""

    status = 503


class IndexDamaged(IndexUnavailable):
    """A file of the index is missing, truncated or altered (the message names it and how to recover)."""

    public_reason = "it is damaged; the administrator can run `searchapp check`"


class IndexBusy(IndexUnavailable):
    """Another ``searchapp index`` holds the index."""


class SourceError(SearchappError):
    """An input as a whole cannot be used: a missing path, an unreadable manifest, a column that no record has."""

    status = 400


class AliasesError(SearchappError):
    """The aliases file cannot be read or holds something other than drop, merge and kind."""

    status = 400
    param_hint = "--aliases"


class ClusterError(SearchappError):
    """The Dask cluster cannot tag this run (unreachable scheduler, no workers, mismatched versions)."""

    status = 503


class ServiceUnavailable(SearchappError):
    """The searching service is out of reach for now: the Dask cluster a search runs on has no worker,
    its scheduler does not answer, or the answers did not come back in time.

    The full message (with the scheduler's address) is logged; a visitor reads ``public_reason``,
    which says what happened in general terms without naming the servers.
    """

    status = 503

    def __init__(self, message: str, *, public_reason: str = "the search cluster does not answer", param_hint: str | None = None) -> None:
        super().__init__(message, param_hint=param_hint)
        self.public_reason = public_reason

    def __reduce__(self):
        """Pickled with its public reason too."""
        return (_unavailable, (str(self), self.public_reason))


def _unavailable(message: str, public_reason: str) -> ServiceUnavailable:
    return ServiceUnavailable(message, public_reason=public_reason)


class SnapshotError(SearchappError):
    """A snapshot cannot be taken (names the folder and what to do)."""


class DateError(SearchappError, ValueError):
    """A published date that cannot be read (the message quotes it); readers keep the article and warn."""

    status = 400
