"""Load: wrk (Debian's package) on loopback against `searchapp serve`, the 200 queries in turn.

Each connection walks the benchmark's requests (a third with an outlet and a year filter) from
its own offset.  Reports requests/s, p99 latency, errors (socket errors and non-2xx answers)
and the server's resident memory (master and workers) before and after the run.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import tempfile
import urllib.parse
from contextlib import ExitStack, contextmanager
from pathlib import Path

LUA = r"""
local paths = {}
for line in io.lines("%(paths)s") do paths[#paths + 1] = line end
local counter = 0
function setup(thread) thread:set("offset", counter * 7); counter = counter + 1 end
local index = 0
request = function()
  index = index + 1
  return wrk.format("GET", paths[((index + offset) %% #paths) + 1])
end
"""


def server_rss_kb(pid: int) -> int:
    """Resident memory of a process and its children (gunicorn master and workers), in kB."""
    total = 0
    pids = [pid]
    try:
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
        pids += [int(c) for c in children]
    except OSError:
        pass
    for p in pids:
        try:
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except OSError:
            continue
    return total


def parse_wrk(output: str) -> dict:
    def number(pattern: str, default: float = 0.0) -> float:
        match = re.search(pattern, output)
        return float(match.group(1)) if match else default

    def ms(text: str) -> float:
        value, unit = re.match(r"([\d.]+)(us|ms|s)", text).groups()
        return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]

    p99 = re.search(r"^\s*99%\s+(\S+)", output, re.MULTILINE)
    socket_errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output)
    return {
        "requests_per_s": number(r"Requests/sec:\s+([\d.]+)"),
        "requests": int(number(r"(\d+) requests in")),
        "p99_ms": ms(p99.group(1)) if p99 else float("nan"),
        "non_2xx": int(number(r"Non-2xx or 3xx responses: (\d+)")),
        "socket_errors": sum(int(x) for x in socket_errors.groups()) if socket_errors else 0,
    }


@contextmanager
def slow_clients(base: str, idle: int, half_sent: int):
    """``idle`` connections that send nothing and ``half_sent`` that send half a request (slowloris), held open."""
    parsed = urllib.parse.urlsplit(base)
    with ExitStack() as stack:
        for n in range(idle + half_sent):
            sock = stack.enter_context(socket.create_connection((parsed.hostname, parsed.port)))
            if n >= idle:
                sock.sendall(b"GET /api/search?q=slow HTTP/1.1\r\nHost: localhost\r\nUser-Agent: slow")
        yield


def run_wrk(base: str, requests: list[dict], connections: int, seconds: int, server_pid: int, slow: int = 0) -> dict:
    """One wrk run; with ``slow``, as many idle and as many half-sent connections are held open throughout."""
    with slow_clients(base, slow, slow) if slow else ExitStack():
        result = _run_wrk(base, requests, connections, seconds, server_pid)
    result["slow"] = slow
    return result


def _run_wrk(base: str, requests: list[dict], connections: int, seconds: int, server_pid: int) -> dict:
    if not shutil.which("wrk"):
        raise RuntimeError("wrk is not installed (apt-get install wrk; `make bench` does it)")
    folder = Path(tempfile.mkdtemp(prefix="bench-load-"))
    paths = folder / "paths.txt"
    paths.write_text("\n".join("/api/search?" + urllib.parse.urlencode(r) for r in requests) + "\n", encoding="utf-8")
    script = folder / "walk.lua"
    script.write_text(LUA % {"paths": paths}, encoding="utf-8")
    threads = min(connections, os.cpu_count() or 1)
    rss_before = server_rss_kb(server_pid)
    completed = subprocess.run(
        ["wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--timeout", "30s", "--latency", "-s", str(script), base],
        capture_output=True, text=True, check=True,
    )
    result = parse_wrk(completed.stdout)
    result["rss_before_mb"] = rss_before / 1024
    result["rss_after_mb"] = server_rss_kb(server_pid) / 1024
    result["connections"] = connections
    shutil.rmtree(folder, ignore_errors=True)
    return result
