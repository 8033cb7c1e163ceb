"""A real `searchapp serve` (gunicorn) on a free loopback port, for the tests that need the server itself."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tests.conftest import ROOT


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def running_server(index_dir: Path, log: Path, workers: int = 2, timeout: float = 30, extra: tuple[str, ...] = ()) -> Iterator[int]:
    """`searchapp serve --workers N` over ``index_dir`` (and ``extra`` options), its output in ``log``: the port, once it answers."""
    port = free_port()
    command = [sys.executable, "-m", "searchapp.cli", "serve", "--index-dir", str(index_dir), "--host", "127.0.0.1",
               "--port", str(port), "--workers", str(workers), *extra]  # fmt: skip
    with open(log, "wb") as out:
        process = subprocess.Popen(command, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + timeout
        while True:
            if process.poll() is not None:
                raise AssertionError(f"searchapp serve exited with {process.returncode}: {log.read_text(errors='replace')[-2000:]}")
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/search", timeout=2) as response:
                    if response.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise AssertionError(f"searchapp serve did not answer within {timeout} s: {log.read_text(errors='replace')[-2000:]}")
            time.sleep(0.2)
        yield port
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


CHROMIUM = Path("/usr/bin/chromium")  # Debian's chromium, never a downloaded browser


@contextmanager
def launched_chromium() -> Iterator:
    """Debian's chromium driven by Playwright, headless, as the browser tests use it."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"]
        )
        try:
            yield browser
        finally:
            browser.close()
