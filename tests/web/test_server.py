"""The real server (`searchapp serve`, gunicorn, 2 workers) against clients that misbehave at the socket.

Idle connections and clients that send half a request (slowloris) must not stop it answering;
requests that no route can read (a malformed Host, an over-long URL or header) get the app's own
400 or 431 with its security headers.  Raw sockets, because HTTP client libraries refuse to
send most of these.
"""

from __future__ import annotations

import json
import socket
from pathlib import Path

import pytest

from searchapp.web.app import SECURITY_HEADERS
from tests.web.serving import running_server

ROOT = Path(__file__).resolve().parents[2]


def raw_request(port: int, data: bytes, timeout: float = 10) -> tuple[int, dict[str, str], bytes]:
    """Send ``data`` on a new connection; the status, headers (lower-cased names) and body of the answer."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        sock.sendall(data)
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    head, _, body = answer.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = dict(line.split(": ", 1) for line in lines[1:])
    return int(lines[0].split()[1]), {k.lower(): v for k, v in headers.items()}, body


def get(port: int, target: str, host: str = "localhost", extra: str = "") -> tuple[int, dict[str, str], bytes]:
    return raw_request(port, f"GET {target} HTTP/1.1\r\nHost: {host}\r\n{extra}Connection: close\r\n\r\n".encode("latin-1"))


@pytest.fixture(scope="module")
def port(sample_index, tmp_path_factory):
    """`searchapp serve --workers 2` on a free loopback port over the sample index."""
    with running_server(sample_index, tmp_path_factory.mktemp("serve") / "serve.log") as port:
        yield port


def test_idle_and_half_sent_requests_do_not_stop_the_answers(port):
    idle = [socket.create_connection(("127.0.0.1", port)) for _ in range(8)]
    slow = []
    for n in range(50):
        sock = socket.create_connection(("127.0.0.1", port))
        sock.sendall(f"GET /?q=s{n} HTTP/1.1\r\nHost: localhost\r\nUser-Agent: slow".encode())  # the headers never end
        slow.append(sock)
    try:
        for _ in range(5):
            status, _, body = get(port, "/api/search?q=Syria")  # 10 s socket timeout: the sync workers never answered
            assert status == 200 and json.loads(body)["total"] == 5
        slow[0].sendall(b"\r\n\r\n")  # a slow client that finishes is answered too
        slow[0].settimeout(10)
        assert slow[0].recv(12) == b"HTTP/1.1 200"
    finally:
        for sock in idle + slow:
            sock.close()


@pytest.mark.parametrize("host", ["..", "[bad", "a b", "exa mple.com", "x:y:z", "host:port", "é.example"])
@pytest.mark.parametrize("path", ["/", "/api/search", "/doc/x", "/feed.atom"])
def test_a_malformed_host_is_a_400_with_the_security_headers(port, host, path):
    status, headers, body = get(port, path, host=host)
    assert status == 400
    assert {name: headers.get(name.lower()) for name in SECURITY_HEADERS} == SECURITY_HEADERS
    assert b"the Host header is not a host name" in body


@pytest.mark.parametrize("host", ["localhost", "127.0.0.1:8080", "news-search.example.org", "my_app.internal", "[::1]:5000"])
def test_well_formed_hosts_are_served(port, host):
    assert get(port, "/api/search?q=Syria", host=host)[0] == 200


@pytest.mark.parametrize(
    ("target", "extra", "status", "message"),
    [
        ("/?q=" + "x" * 8100, "", 400, b"the query is 8100 characters long; the limit is 1000"),  # gunicorn's bare 414 before
        ("/api/search?q=" + "x" * 8150, "", 400, b"the query is 8150 characters long; the limit is 1000"),
        ("/", "X-Big: " + "y" * 9000 + "\r\n", 431, b"a header is longer than 8190 bytes"),
        ("/", "".join(f"X-H{i}: {'z' * 1000}\r\n" for i in range(40)), 431, b"all are longer than 32768"),
    ],
    ids=["url", "api-url", "header", "headers"],
)
def test_long_requests_are_answered_by_the_app_with_its_headers(port, target, extra, status, message):
    got, headers, body = get(port, target, extra=extra)
    assert got == status
    assert {name: headers.get(name.lower()) for name in SECURITY_HEADERS} == SECURITY_HEADERS
    assert message in body
