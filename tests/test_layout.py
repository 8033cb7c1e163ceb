"""The layout holds: one-way imports, settings read in one place, every import declared, a wheel that works.

The import rules themselves are import-linter contracts (``.importlinter``), run by ``make test``
and by :func:`test_the_import_contracts_are_kept`; these tests check what a linter cannot.
"""

from __future__ import annotations

import ast
import configparser
import importlib.metadata
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from tests.conftest import ROOT, SAMPLES

PACKAGE = ROOT / "searchapp"
BIN = Path(sys.executable).parent


def modules() -> dict[str, ast.Module]:
    return {str(path.relative_to(ROOT)): ast.parse(path.read_text(encoding="utf-8")) for path in sorted(PACKAGE.rglob("*.py"))}


def imported_names(tree: ast.Module) -> set[str]:
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module)
    return names


def test_the_import_contracts_are_kept():
    linter = shutil.which("lint-imports", path=str(BIN))
    assert linter, "import-linter is a test dependency (setup.cfg)"
    done = subprocess.run([linter], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout[-3000:]
    assert "0 broken" in done.stdout


def test_only_config_reads_the_environment_and_only_the_web_knows_flask_globals():
    readers, flask_globals = [], []
    for name, tree in modules().items():
        for node in ast.walk(tree):
            if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "os" and node.attr in ("environ", "getenv"):
                readers.append(name)
            if isinstance(node, ast.ImportFrom) and node.module == "flask" and any(a.name in ("current_app", "g", "request") for a in node.names):
                flask_globals.append(name)
    assert sorted(set(readers)) == ["searchapp/config.py"]
    assert all(name.startswith("searchapp/web/") for name in flask_globals), flask_globals


def test_setup_cfg_lists_every_package_and_every_direct_import():
    config = configparser.ConfigParser()
    config.read(ROOT / "setup.cfg")
    listed = set(config["options"]["packages"].split())
    on_disk = {".".join(p.parent.relative_to(ROOT).parts) for p in PACKAGE.rglob("__init__.py")}
    assert listed == on_disk | {"searchapp.templates"}
    assert config["options"]["package_dir"].split() == ["searchapp.templates", "=", "templates"]
    required = {line.split("==")[0].strip().lower().replace("_", "-") for line in config["options"]["install_requires"].splitlines() if "==" in line}
    distributions = importlib.metadata.packages_distributions()
    stdlib = sys.stdlib_module_names
    missing = {}
    for name, tree in modules().items():
        for module in imported_names(tree):
            top = module.split(".")[0]
            if top in stdlib or top == "searchapp":
                continue
            dists = {d.lower().replace("_", "-") for d in distributions.get(top, [top])}
            if not dists & required:
                missing.setdefault(top, name)
    assert not missing, f"imported but not in setup.cfg install_requires: {missing}"


WHOOSH_OBJECTS = ("matcher", "leaf", "terms", "whoosh_index", "reader", "searcher", "ix")


def test_whoosh_private_internals_are_touched_only_by_the_store():
    private = []
    for name, tree in modules().items():
        if name.startswith("searchapp/store/"):
            continue
        for node in ast.walk(tree):
            private_attribute = isinstance(node, ast.Attribute) and node.attr.startswith("_") and not node.attr.startswith("__")
            if private_attribute and isinstance(node.value, ast.Name) and node.value.id in WHOOSH_OBJECTS:
                private.append((name, node.value.id, node.attr))
    assert not private


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.slow
def test_a_wheel_installed_without_editable_mode_indexes_and_serves(tmp_path):
    """Templates and static files travel in the wheel: a plain install indexes the samples and serves a page."""
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check", "-q"]
    subprocess.run([*pip, "wheel", "--no-deps", "--no-build-isolation", "-w", str(tmp_path / "dist"), str(ROOT)], check=True, timeout=300)
    (wheel,) = (tmp_path / "dist").glob("searchapp-*.whl")
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=120)
    vpip = [str(venv / "bin/python"), "-m", "pip", "--disable-pip-version-check", "-q"]
    subprocess.run([*vpip, "install", "--require-hashes", "-r", str(ROOT / "requirements.lock")], check=True, timeout=900)
    subprocess.run([*vpip, "install", "--no-deps", str(wheel)], check=True, timeout=300)
    searchapp = str(venv / "bin/searchapp")
    work = tmp_path / "elsewhere"  # not the source tree: nothing may come from it
    work.mkdir()
    located = subprocess.run([str(venv / "bin/python"), "-c", "import searchapp; print(searchapp.__file__)"], cwd=work, capture_output=True, text=True)
    assert str(venv) in located.stdout
    index = work / "ix"
    done = subprocess.run(
        [searchapp, "index", "--index-dir", str(index), "--quiet", "--processes", "1", "--manifest", str(SAMPLES / "manifest.csv"), str(SAMPLES)],
        cwd=work, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    port = _free_port()
    server = subprocess.Popen(
        [searchapp, "serve", "--index-dir", str(index), "--port", str(port), "--workers", "1"], cwd=work, stderr=subprocess.DEVNULL
    )
    try:
        page = css = None
        for _ in range(100):
            try:
                page = urllib.request.urlopen(f"http://127.0.0.1:{port}/?q=Idlib+ceasefire", timeout=5).read().decode()
                css = urllib.request.urlopen(f"http://127.0.0.1:{port}/static/style.css", timeout=5).read().decode()
                break
            except OSError:
                time.sleep(0.2)
        assert page is not None and "Teller Report" in page and '<form class="search-form"' in page
        assert css and "font" in css
    finally:
        server.terminate()
        server.wait(timeout=30)
