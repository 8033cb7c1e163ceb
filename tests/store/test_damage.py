"""A damaged index: every command names the damaged file, the web answers 503 with the reason, nothing
is deleted, `searchapp check` finds it, and `index --rebuild` recovers.

Each case damages a copy of one small index the way a disk, a careless `rm` or a bad copy would:
an empty or deleted table of contents, a deleted, truncated or overwritten segment.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from searchapp.cli import main
from searchapp.store.index import CHECKSUMS_FILE
from searchapp.web import create_app
from tests.conftest import SAMPLES

ONE = SAMPLES / "000_9d7d5c10da81e551.txt"
RECOVERY = "restore the folder from a snapshot (README: Restoring an index) or rebuild it with `searchapp index --rebuild PATH...`"


@pytest.fixture(scope="module")
def pristine(tmp_path_factory, sample_index) -> Path:
    folder = tmp_path_factory.mktemp("pristine") / "ix"
    shutil.copytree(sample_index, folder)
    return folder


def _segment(folder: Path) -> Path:
    (segment,) = folder.glob("MAIN_*.seg")
    return segment


def _toc(folder: Path) -> Path:
    (toc,) = folder.glob("_MAIN_*.toc")
    return toc


def empty_toc(folder: Path) -> tuple[str, str]:
    _toc(folder).write_bytes(b"")
    return _toc(folder).name, "unreadable table of contents"


def deleted_toc(folder: Path) -> tuple[str, str]:
    _toc(folder).unlink()
    return _segment(folder).name, "but no table of contents (_MAIN_<N>.toc)"


def deleted_segment(folder: Path) -> tuple[str, str]:
    name = _segment(folder).name
    _segment(folder).unlink()
    return name, "missing (a file of generation"


def truncated_segment(folder: Path) -> tuple[str, str]:
    segment = _segment(folder)
    size = segment.stat().st_size
    with open(segment, "r+b") as f:
        f.truncate(size // 2)
    return segment.name, f"{size // 2:,} bytes where {size:,} were committed (truncated or overwritten)"


def garbage_in_segment(folder: Path) -> tuple[str, str]:
    segment = _segment(folder)
    with open(segment, "r+b") as f:
        f.seek(segment.stat().st_size // 2)
        f.write(b"garbage!" * 4)
    return segment.name, "its contents differ from those committed (SHA-256 mismatch)"


DAMAGE = [empty_toc, deleted_toc, deleted_segment, truncated_segment, garbage_in_segment]
FOUND_ON_OPEN = [empty_toc, deleted_toc, deleted_segment, truncated_segment]  # garbage needs the checksums: check and index


def files(folder: Path) -> dict[str, tuple[int, int]]:
    return {p.name: (p.stat().st_size, p.stat().st_mtime_ns) for p in folder.iterdir() if p.name != "indexer.lock"}


@pytest.fixture(params=DAMAGE, ids=lambda f: f.__name__)
def damaged(request, pristine, tmp_path) -> tuple[Path, str, str]:
    folder = tmp_path / "ix"
    shutil.copytree(pristine, folder)
    name, problem = request.param(folder)
    return folder, name, problem


def test_check_names_the_damaged_file_and_exits_2(damaged):
    folder, name, problem = damaged
    result = CliRunner().invoke(main, ["check", "--index-dir", str(folder)])
    assert result.exit_code == 2, result.output
    assert result.stderr.startswith(f"error: {folder}: damaged index: ") and f"{name}" in result.stderr and problem in result.stderr
    assert RECOVERY in result.stderr and "Traceback" not in result.output


def test_index_refuses_a_damaged_index_and_deletes_nothing(damaged):
    folder, name, problem = damaged
    before = files(folder)
    result = CliRunner().invoke(main, ["index", "--index-dir", str(folder), "--processes", "1", "--quiet", str(ONE)])
    assert result.exit_code == 2, result.output
    assert name in result.stderr and problem in result.stderr and "Traceback" not in result.output
    assert files(folder) == before  # not one file deleted, replaced or touched


def test_index_rebuild_recovers_from_any_damage(damaged):
    folder, _, _ = damaged
    result = CliRunner().invoke(main, ["index", "--rebuild", "--index-dir", str(folder), "--processes", "1", "--quiet", str(ONE)])
    assert result.exit_code == 0, result.output
    assert "indexed 1 (1 new, 0 updated)" in result.stderr
    checked = CliRunner().invoke(main, ["check", "--index-dir", str(folder)])
    assert checked.exit_code == 0 and f"{folder}: index whole: generation " in checked.stderr and ", 1 articles" in checked.stderr
    assert sorted(p.name for p in folder.glob("MAIN_*.seg")) == [_segment(folder).name]  # the old segments are gone


@pytest.mark.parametrize("damage", FOUND_ON_OPEN, ids=lambda f: f.__name__)
def test_search_and_web_name_the_damage(damage, pristine, tmp_path):
    folder = tmp_path / "ix"
    shutil.copytree(pristine, folder)
    name, problem = damage(folder)
    result = CliRunner().invoke(main, ["search", "--index-dir", str(folder), "Syria"])
    assert result.exit_code == 2 and name in result.stderr and problem in result.stderr and "Traceback" not in result.output
    client = create_app({"TESTING": True, "INDEX_DIR": str(folder)}).test_client()
    page = client.get("/?q=Syria")
    assert page.status_code == 503
    assert "the search index is not available right now: it is damaged; the administrator can run `searchapp check`" in page.get_data(as_text=True)
    api = client.get("/api/search?q=Syria")
    assert api.status_code == 503 and api.get_json() == {
        "error": "the search index is not available right now: it is damaged; the administrator can run `searchapp check`"
    }


def test_a_whole_index_passes_check(pristine):
    result = CliRunner().invoke(main, ["check", "--index-dir", str(pristine)])
    assert result.exit_code == 0
    assert result.stderr == f"{pristine}: index whole: generation 1, 2 files, 5 articles\n"
    assert (pristine / CHECKSUMS_FILE).is_file()


def test_a_snapshot_restores_a_damaged_index_and_is_verified(pristine, tmp_path):
    """The README's recovery: replace the damaged folder by a snapshot; `check` verifies every file of it."""
    snapshot = tmp_path / "snap"
    assert CliRunner().invoke(main, ["snapshot", "--index-dir", str(pristine), str(snapshot)]).exit_code == 0
    folder = tmp_path / "ix"
    shutil.copytree(pristine, folder)
    truncated_segment(folder)
    shutil.rmtree(folder)
    shutil.copytree(snapshot, folder)
    result = CliRunner().invoke(main, ["check", "--index-dir", str(folder)])
    assert result.exit_code == 0 and result.stderr == f"{folder}: index whole: generation 1, 2 files, 5 articles\n"
    garbage_in_segment(snapshot)
    assert "SHA-256 mismatch" in CliRunner().invoke(main, ["check", "--index-dir", str(snapshot)]).stderr
