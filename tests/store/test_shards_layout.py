"""A sharded index on disk: --shards, the manifest, routing, and every command on a sharded index."""

from __future__ import annotations

import json
import shutil

import pytest
from click.testing import CliRunner

from searchapp.cli import main
from searchapp.errors import SearchappError
from searchapp.store.shards import MANIFEST_FILE, ShardsMismatch, plan_layout, read_manifest, route, shard_path, write_manifest
from tests.conftest import SAMPLES

INDEX_ARGS = ["--manifest", str(SAMPLES / "manifest.csv"), "--aliases", str(SAMPLES / "aliases.toml"), "--processes", "1", "--quiet"]


def run(*args: str):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


@pytest.fixture(scope="module")
def sharded(tmp_path_factory):
    folder = tmp_path_factory.mktemp("sharded") / "index"
    result = run("index", "--index-dir", str(folder), "--shards", "2", *INDEX_ARGS, str(SAMPLES))
    assert result.exit_code == 0, result.output
    return folder


@pytest.fixture()
def copy(sharded, tmp_path):
    """A sharded index a test may change (the tag cache is kept: re-indexing tags nothing)."""
    target = tmp_path / "index"
    shutil.copytree(sharded, target)
    return target


def search_json(folder, *args: str) -> dict:
    result = run("search", "--index-dir", str(folder), "--json", "--limit", "100", *args)
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def test_the_layout_and_manifest(sharded):
    manifest = read_manifest(sharded)
    assert (manifest.count, manifest.version) == (2, 1)
    assert [p.name for p in sorted((sharded / "shards").iterdir())] == ["00", "01"]
    for shard in (sharded / "shards").iterdir():
        assert any(shard.glob("_MAIN_*.toc")) and (shard / "checksums.json").is_file()
    assert (sharded / "tag-cache").is_dir() and not (sharded / "shards" / "00" / "tag-cache").exists()  # one tag cache
    assert not list(sharded.glob("_MAIN_*"))  # no one-index files beside the shards
    assert search_json(sharded, "")["total"] == 5


def test_routing_is_a_stable_hash_of_the_story():
    assert route("h24eaaa39f64a582a", 3) == route("h24eaaa39f64a582a", 3)
    assert [route(f"story-{n}", 1) for n in range(5)] == [0] * 5
    spread = {route(f"story-{n}", 4) for n in range(200)}
    assert spread == {0, 1, 2, 3}
    assert route("a", 7) == int.from_bytes(__import__("hashlib").blake2b(b"a", digest_size=8).digest(), "big") % 7


@pytest.mark.parametrize(
    ("current", "requested", "rebuild", "expected"),
    [
        (None, None, False, None),  # a new index, not sharded
        (None, 3, False, 3),
        (2, None, False, 2),  # later runs route into the same shards
        (2, 2, False, 2),
        (2, 4, True, 4),  # --rebuild --shards reshapes
        (2, 1, True, None),
    ],
)
def test_plan_layout(tmp_path, current, requested, rebuild, expected):
    if current:
        write_manifest(tmp_path, current)
    dirs = plan_layout(tmp_path, requested, rebuild)
    assert (len(dirs) if dirs is not None else None) == expected
    if dirs:
        assert dirs[-1] == shard_path(tmp_path, expected - 1, expected)


def test_shards_that_disagree_with_the_manifest_is_a_usage_error(sharded):
    with pytest.raises(ShardsMismatch, match=r"--shards 3: the index .* has 2 shards"):
        plan_layout(sharded, 3, rebuild=False)
    result = CliRunner().invoke(main, ["index", "--index-dir", str(sharded), "--shards", "3", *INDEX_ARGS, str(SAMPLES)])
    assert result.exit_code == 2
    assert "--shards" in result.output and "--rebuild --shards 3" in result.output


def test_an_unsharded_index_refuses_shards_without_rebuild(tmp_path):
    folder = tmp_path / "one"
    assert run("index", "--index-dir", str(folder), *INDEX_ARGS, str(SAMPLES)).exit_code == 0
    result = CliRunner().invoke(main, ["index", "--index-dir", str(folder), "--shards", "2", *INDEX_ARGS, str(SAMPLES)])
    assert result.exit_code == 2 and "it is not sharded" in result.output


def test_a_damaged_manifest_is_a_clear_error(copy):
    (copy / MANIFEST_FILE).write_text("count = 'many'\n")
    with pytest.raises(SearchappError, match="unreadable shard manifest"):
        read_manifest(copy)


def test_a_later_run_routes_into_the_same_shards_and_changes_nothing(copy):
    before = {p.name: sorted(q.name for q in p.iterdir()) for p in (copy / "shards").iterdir()}
    result = run("index", "--index-dir", str(copy), *INDEX_ARGS, str(SAMPLES))
    assert result.exit_code == 0 and "unchanged 5" in result.output
    assert {p.name: sorted(q.name for q in p.iterdir()) for p in (copy / "shards").iterdir()} == before


def test_rebuild_reshapes_both_ways(copy):
    ids = {h["id"] for h in search_json(copy, "")["hits"]}
    result = run("index", "--index-dir", str(copy), "--rebuild", "--shards", "3", *INDEX_ARGS, str(SAMPLES))
    assert result.exit_code == 0, result.output
    assert read_manifest(copy).count == 3 and sorted(p.name for p in (copy / "shards").iterdir()) == ["00", "01", "02"]
    assert {h["id"] for h in search_json(copy, "")["hits"]} == ids
    result = run("index", "--index-dir", str(copy), "--rebuild", "--shards", "1", *INDEX_ARGS, str(SAMPLES))
    assert result.exit_code == 0, result.output
    assert read_manifest(copy) is None and not (copy / "shards").exists() and list(copy.glob("_MAIN_*.toc"))
    assert {h["id"] for h in search_json(copy, "")["hits"]} == ids


def test_remove_finds_the_article_in_its_shard(copy):
    victim = search_json(copy, "")["hits"][0]["id"]
    result = run("remove", "--index-dir", str(copy), victim, "no-such-id")
    assert result.exit_code == 1  # one id not found
    assert "no-such-id" in result.output
    assert victim not in {h["id"] for h in search_json(copy, "")["hits"]}
    assert search_json(copy, "")["total"] == 4


def test_check_checks_every_shard(copy):
    result = run("check", "--index-dir", str(copy))
    assert result.exit_code == 0, result.output
    segment = next((copy / "shards" / "01").glob("*.seg"))
    segment.write_bytes(segment.read_bytes()[:-10])
    result = CliRunner().invoke(main, ["check", "--index-dir", str(copy)])
    assert result.exit_code != 0
    assert f"01/{segment.name}" in result.output


def test_snapshot_refuses_a_sharded_index(sharded, tmp_path):
    result = CliRunner().invoke(main, ["snapshot", "--index-dir", str(sharded), str(tmp_path / "snap")])
    assert result.exit_code == 2
    assert "sharded index" in result.output and not (tmp_path / "snap").exists()


def test_entities_list_every_shard(sharded, sample_index):
    args = ["entities", "--json", "--limit", "0"]
    many = json.loads(run(*args, "--index-dir", str(sharded)).output)
    one = json.loads(run(*args, "--index-dir", str(sample_index)).output)
    assert many == one and many["articles"] == 5


def test_apply_aliases_rewrites_every_shard(copy, tmp_path):
    aliases = tmp_path / "aliases.toml"
    text = (SAMPLES / "aliases.toml").read_text()
    aliases.write_text(text.replace('drop = ["Press TV News Roku"', 'drop = ["Arab League", "Press TV News Roku"'))
    listed = json.loads(run("entities", "--json", "--limit", "0", "--index-dir", str(copy)).output)["values"]
    assert "Arab League" in {v["value"] for v in listed}
    result = run("entities", "--index-dir", str(copy), "--apply-aliases", str(aliases))
    assert result.exit_code == 0, result.output
    listed = json.loads(run("entities", "--json", "--limit", "0", "--index-dir", str(copy)).output)["values"]
    assert "Arab League" not in {v["value"] for v in listed}
    assert search_json(copy, "--actor", "Arab League")["total"] == 0
