"""The benchmark suite runs end to end on a tiny corpus, so it cannot rot (no timings asserted)."""

import shutil
import subprocess
import sys

import pytest

from tests.conftest import ROOT, SHARED

pytestmark = pytest.mark.slow


@pytest.mark.skipif(not (SHARED / "corpora/reuters21578/reuters21578.jsonl.gz").exists(), reason="needs ../shared/corpora")
@pytest.mark.skipif(shutil.which("wrk") is None, reason="needs wrk (make test installs it)")
def test_bench_smoke_writes_every_section(tmp_path):
    out = tmp_path / "BENCHMARKS.md"
    completed = subprocess.run(
        [sys.executable, str(ROOT / "bench/run.py"), "--smoke", "--write", str(out)], capture_output=True, text=True, timeout=900
    )
    assert completed.returncode == 0, completed.stderr[-3000:]
    text = out.read_text(encoding="utf-8")
    for heading in ("## 1. Ingest", "## 2. Search", "## 3. Peer: Datasette + SQLite FTS5", "## 4. Load", "## 5. Start", "## 6. Scale out"):
        assert heading in text
    assert "| searchapp index |" in text and "| searchapp / Datasette |" in text
    assert "| Dask, 2 workers × 1 thread |" in text and "| the writer alone (pre-tagged input) |" in text
    load_rows = [line for line in text.splitlines() if line.startswith(("| 8 |", "| 32 |"))]
    assert len(load_rows) == 2 and all(line.split("|")[4].strip() == "0" for line in load_rows)  # no errors under load
