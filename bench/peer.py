"""The peer: the same corpus in Datasette (SQLite FTS5 through sqlite-utils), the same queries.

Datasette and sqlite-utils are installed into the benchmark's own virtual environment
(bench/.peer-venv), never into the product's.  Both servers are measured over HTTP on loopback,
one request at a time, in the same run: searchapp's `/api/search` (5 facets, 10 highlighted
snippets) against Datasette's table JSON with `_search`, facets on outlet and year and 10 rows.
"""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PEER_VENV = ROOT / "bench" / ".peer-venv"
PEER_PACKAGES = ["datasette==0.65.5", "sqlite-utils==3.39.1"]

BUILD_DB = r"""
import json, sys, sqlite_utils
db = sqlite_utils.Database(sys.argv[2], recreate=True)
def rows():
    with open(sys.argv[1], encoding="utf-8") as f:
        for line in f:
            r = json.loads(line)
            yield {"id": r["id"], "title": r["title"], "text": r["text"], "outlet": r["outlet"],
                   "published": r["published"], "year": r["published"][:4], "url": r["url"]}
db["articles"].insert_all(rows(), pk="id", batch_size=2000)
db["articles"].enable_fts(["title", "text"], fts_version="FTS5")
db["articles"].create_index(["outlet"]); db["articles"].create_index(["year"])
db.vacuum()
"""


def ensure_peer_venv() -> Path:
    python = PEER_VENV / "bin" / "python"
    if not python.exists():
        subprocess.run([sys.executable, "-m", "venv", str(PEER_VENV)], check=True)
        subprocess.run([str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check", *PEER_PACKAGES], check=True)
    return python


def build_db(corpus_jsonl: Path, db_path: Path) -> Path:
    python = ensure_peer_venv()
    if not db_path.exists() or db_path.stat().st_mtime < corpus_jsonl.stat().st_mtime:
        subprocess.run([str(python), "-c", BUILD_DB, str(corpus_jsonl), str(db_path)], check=True)
    return db_path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until_up(url: str, process: subprocess.Popen, timeout: float = 120) -> float:
    """Seconds until ``url`` answers 200."""
    started = time.perf_counter()
    while time.perf_counter() - started < timeout:
        if process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=30) as response:
                if response.status == 200:
                    return time.perf_counter() - started
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            time.sleep(0.05)
    raise RuntimeError(f"{url} did not answer within {timeout} s")


@contextmanager
def serving(command: list[str], probe_path: str, port: int, log: Path):
    """Run a server; yields (base URL, seconds to first answer of ``probe_path``)."""
    base = f"http://127.0.0.1:{port}"
    with open(log, "wb") as out:
        process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, cwd=ROOT)
        try:
            startup = wait_until_up(base + probe_path, process)
            yield base, startup, process
        finally:
            process.terminate()
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()


@contextmanager
def datasette(db_path: Path, log: Path):
    port = free_port()
    command = [str(PEER_VENV / "bin" / "datasette"), "serve", str(db_path), "--port", str(port), "--setting", "sql_time_limit_ms", "5000"]
    with serving(command, "/-/versions.json", port, log) as running:
        yield running


@contextmanager
def searchapp(index_dir: Path, log: Path, workers: int = 2):
    port = free_port()
    command = [str(ROOT / ".venv/bin/searchapp"), "serve", "--index-dir", str(index_dir), "--port", str(port), "--workers", str(workers)]
    with serving(command, "/api/search?q=first", port, log) as running:
        yield running


def datasette_url(base: str, params: dict, database: str) -> str:
    query = [("_search", params["q"]), ("_facet", "outlet"), ("_facet", "year"), ("_size", "10"), ("_shape", "objects")]
    if "outlet" in params:
        query += [("outlet", params["outlet"]), ("year", params["year"])]
    return f"{base}/{database}/articles.json?" + urllib.parse.urlencode(query)




def searchapp_url(base: str, params: dict) -> str:
    return f"{base}/api/search?" + urllib.parse.urlencode(params)


def time_http(urls: list[str]) -> list[float]:
    times = []
    for url in urls:
        started = time.perf_counter()
        with urllib.request.urlopen(url, timeout=60) as response:
            body = response.read()
        times.append((time.perf_counter() - started) * 1000)
        json.loads(body)
    return times


def time_http_interleaved(first: list[str], second: list[str]) -> tuple[list[float], list[float]]:
    """Milliseconds of each URL of two servers, request by request, alternating which goes first.

    The machine is shared: load that comes and goes during a run falls on both servers alike, so
    their ratio holds where two runs one after the other can differ by half.
    """
    times: tuple[list[float], list[float]] = ([], [])
    for number, pair in enumerate(zip(first, second, strict=True)):
        order = (0, 1) if number % 2 == 0 else (1, 0)
        for side in order:
            times[side].append(time_http([pair[side]])[0])
    return times

