"""The gunicorn worker of ``searchapp serve``: gunicorn's threaded worker that never lends a thread to a slow client.

gunicorn's ``gthread`` worker keeps idle connections on a poller, but once the first bytes of a
request arrive it hands the connection to a thread that blocks reading the rest of the headers:
50 clients that send half a request each (slowloris) hold every thread and the site stops
answering.  :class:`SearchAppWorker` reads what has arrived without blocking and keeps it: a
connection whose headers are not complete goes back to the poller, which costs no thread, until
more bytes come; one that has not completed them within :data:`HEADER_TIMEOUT` seconds is closed.
Only then are the bytes handed to gunicorn's parser in a thread (and gunicorn's own limits apply).

Imported by gunicorn only (``worker_class``), so the rest of searchapp starts without gunicorn.
"""

from __future__ import annotations

import socket
import time

from gunicorn.workers import gthread

HEADER_TIMEOUT = 15.0  # seconds a client has to send a request's line and headers
PEEK_BYTES = 65536  # more waiting than this: let gunicorn's parser answer (it refuses past its limits)


class SearchAppWorker(gthread.ThreadWorker):
    """``gthread`` with requests whose headers are incomplete kept on the poller, not in a thread."""

    def handle(self, conn):
        if self.cfg.is_ssl or conn.is_http2 or _has_buffered_bytes(conn):
            return super().handle(conn)
        now = time.monotonic()
        started = getattr(conn, "searchapp_started", None) or now
        head = getattr(conn, "searchapp_head", b"")
        try:
            chunk = conn.sock.recv(PEEK_BYTES, socket.MSG_DONTWAIT)
        except BlockingIOError:
            chunk = None
        except OSError:
            return False  # reset by the client: close it
        if chunk == b"":
            return False  # closed by the client
        head += chunk or b""
        if b"\r\n\r\n" in head or b"\n\n" in head or len(head) >= PEEK_BYTES:
            conn.searchapp_head, conn.searchapp_started = b"", None  # the next request gets its own time
            conn.init()  # gunicorn's parser, given the bytes read so far
            conn.parser.unreader.unread(head)
            return super().handle(conn)
        if head and now - started > HEADER_TIMEOUT:
            return False  # headers never completed: close the connection
        conn.searchapp_head, conn.searchapp_started = head, (started if head else None)
        conn.data_ready = False
        return gthread._DEFER  # wait on the poller (gunicorn closes it after its keep-alive time)


def _has_buffered_bytes(conn) -> bool:
    """Whether gunicorn's parser already read bytes of the next request (they are not on the socket)."""
    unreader = getattr(getattr(conn, "parser", None), "unreader", None)
    buffer = getattr(unreader, "buf", None)
    return bool(buffer is not None and buffer.getvalue())
