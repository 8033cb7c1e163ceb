"""A real Dask cluster on loopback for the tests: a scheduler and workers started with Dask's own CLI.

Shared by the tagging cluster's tests (tests/ingest/test_cluster.py) and the search cluster's
(tests/query/test_dask_shards.py); the ``cluster`` fixture (tests/conftest.py) starts one per test.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from tests.test_faults import env

DASK = str(Path(sys.executable).with_name("dask"))


class Cluster:
    """A Dask scheduler and workers in subprocesses (no nannies: a killed worker stays dead)."""

    def __init__(self, folder: Path, **scheduler_env: str) -> None:
        """``scheduler_env``: Dask settings of the scheduler (``DASK_DISTRIBUTED__SCHEDULER__WORK_STEALING="False"``)."""
        self.folder = folder
        self.scheduler_file = folder / "scheduler.json"
        self.scheduler = self._start(
            [DASK, "scheduler", "--host", "127.0.0.1", "--port", "0", "--no-dashboard", "--scheduler-file", str(self.scheduler_file)],
            "scheduler",
            scheduler_env,
        )
        deadline = time.monotonic() + 60
        while not self.scheduler_file.exists():
            assert time.monotonic() < deadline and self.scheduler.poll() is None, (folder / "scheduler.log").read_text()
            time.sleep(0.1)
        self.address = json.loads(self.scheduler_file.read_text())["address"]
        self.workers: dict[str, subprocess.Popen] = {}

    def _start(self, command: list[str], name: str, environment: dict[str, str] | None = None) -> subprocess.Popen:
        log = open(self.folder / f"{name}.log", "wb")  # noqa: SIM115 - closed with the process
        return subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, env=env(**(environment or {})), start_new_session=True)

    def add_worker(self, name: str) -> None:
        self.workers[name] = self._start(
            [DASK, "worker", self.address, "--name", name, "--nthreads", "1", "--no-nanny", "--no-dashboard", "--host", "127.0.0.1"], name
        )

    def client(self):
        from distributed import Client

        return Client(self.address, timeout=30, set_as_default=False)

    def wait_for_workers(self, count: int) -> None:
        with self.client() as client:
            client.wait_for_workers(count, timeout=60)

    def kill(self, name: str) -> None:
        """SIGKILL the worker ``name`` (no goodbye to the scheduler: it learns from the broken connection)."""
        os.killpg(self.workers[name].pid, signal.SIGKILL)
        self.workers[name].wait(timeout=20)

    def stop(self) -> None:
        for proc in [*self.workers.values(), self.scheduler]:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
        for proc in [*self.workers.values(), self.scheduler]:
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
