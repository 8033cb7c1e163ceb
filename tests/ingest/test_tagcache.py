"""The tag cache (searchapp.ingest.tagcache): each distinct paragraph tagged once, cached tags identical
to uncached ones, the bound kept, a damaged or killed cache never in the way.

FA-KES (Abu Salem et al., ICWSM 2019, CC BY 4.0) is read from ../shared when it is there.
"""

from __future__ import annotations

import dataclasses
import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from searchapp.config import Settings
from searchapp.errors import SettingError
from searchapp.ingest.entities import load_aliases
from searchapp.ingest.models import Article
from searchapp.ingest.readers import read_paths
from searchapp.ingest.run import IndexOptions, index_paths
from searchapp.ingest.tagcache import CACHE_FILE, CacheSpec, CacheStats, TagCache, cache_key, entity_spans, pipeline_fingerprint
from searchapp.ingest.tagging import PIPELINE_VERSION, load_pipeline, tag_articles
from searchapp.store.index import TAG_CACHE_FOLDER, open_index
from tests.conftest import ROOT, SAMPLES

FAKES = next(
    (p / "shared/corpora/fakes-dev/fakes-dev.csv" for p in (ROOT.parent, ROOT.parent.parent) if (p / "shared/corpora/fakes-dev/fakes-dev.csv").is_file()),
    None,
)
SEARCHAPP = str(Path(sys.executable).with_name("searchapp"))


def sample_articles() -> list[Article]:
    options = IndexOptions(manifest=SAMPLES / "manifest.csv").read_options()
    return [a for a in read_paths([SAMPLES], options) if isinstance(a, Article)]


def tags_of(tagged) -> list[tuple]:
    return [(t.article.id, t.mentions, t.dates, t.language) for t in tagged]


def units_of(articles: list[Article]) -> int:
    return sum(len(a.paragraphs) for a in articles)


def spec_in(folder: Path, max_entries: int = 1000) -> CacheSpec:
    return CacheSpec(folder / CACHE_FILE, max_entries)


def assert_cached_equals_uncached(articles: list[Article], folder: Path) -> None:
    """Tags from a cache warmed in another order and other batches are the tags of a run without one."""
    aliases = load_aliases(str(SAMPLES / "aliases.toml"))
    uncached = tag_articles(articles, aliases)
    warm = CacheStats()
    with TagCache(spec_in(folder, 10**6)) as cache:
        for start in range(len(articles) - 1, -1, -7):  # batches of 7, last first
            tag_articles(articles[max(0, start - 6) : start + 1], aliases, cache=cache, stats=warm)
        stats = CacheStats()
        cached = tag_articles(articles, aliases, cache=cache, stats=stats)
    assert warm.tagged > 0 and stats.reused == warm.tagged + warm.reused and stats.tagged == 0
    assert tags_of(cached) == tags_of(uncached)


def test_cached_tags_are_the_uncached_tags_on_the_samples(tmp_path):
    assert_cached_equals_uncached(sample_articles(), tmp_path)


@pytest.mark.slow
@pytest.mark.skipif(FAKES is None, reason="needs ../shared/corpora/fakes-dev")
def test_cached_tags_are_the_uncached_tags_on_fakes_dev(tmp_path):
    articles = [a for a in read_paths([FAKES], IndexOptions().read_options()) if isinstance(a, Article)]
    assert len(articles) >= 370
    assert_cached_equals_uncached(articles, tmp_path)


def republished(article: Article, n: int, published) -> Article:
    return dataclasses.replace(article, id=f"{article.id}-{n}", outlet=f"Outlet {n}", published=published)


def test_a_story_republished_by_ten_outlets_is_tagged_once(tmp_path):
    original = sample_articles()[1]
    copies = [republished(original, n, original.published) for n in range(10)]
    aliases = load_aliases()
    with TagCache(spec_in(tmp_path)) as cache:
        first = CacheStats()
        tag_articles(copies, aliases, cache=cache, stats=first)
        distinct = len(set(original.paragraphs))
        assert (first.tagged, first.reused) == (distinct, 10 * len(original.paragraphs) - distinct)
        assert len(cache) == distinct
        again = CacheStats()
        tag_articles(copies[:3], aliases, cache=cache, stats=again)
        assert (again.tagged, again.reused) == (0, 3 * len(original.paragraphs))


def test_what_depends_on_the_article_is_worked_out_again(tmp_path):
    """One paragraph, two articles of other days: "on Tuesday" resolves to each article's own Tuesday."""
    from searchapp.ingest.models import PartialDate

    text = "Russian President Vladimir Putin met Turkish officials in Moscow on Tuesday, the Kremlin said."
    base = Article(id="x", title="Talks", paragraphs=[text], source="test", language="en")
    march = dataclasses.replace(base, id="march", published=PartialDate(2016, 3, 4))
    june = dataclasses.replace(base, id="june", published=PartialDate(2017, 6, 9))
    aliases = load_aliases()
    with TagCache(spec_in(tmp_path)) as cache:
        tag_articles([march], aliases, cache=cache)
        stats = CacheStats()
        (tagged,) = tag_articles([june], aliases, cache=cache, stats=stats)
    assert (stats.tagged, stats.reused) == (0, 1)
    assert [(d.text, d.value) for d in tagged.dates] == [("Tuesday", "2017-06-06")]
    assert tags_of([tagged]) == tags_of(tag_articles([june], aliases))


def test_another_pipeline_version_or_text_is_another_key():
    nlp = load_pipeline()
    text = "Aid reached Aleppo."
    assert pipeline_fingerprint(nlp, PIPELINE_VERSION) != pipeline_fingerprint(nlp, PIPELINE_VERSION + "-next")
    assert cache_key(pipeline_fingerprint(nlp, "a"), text) != cache_key(pipeline_fingerprint(nlp, "b"), text)
    assert cache_key(pipeline_fingerprint(nlp, "a"), text) != cache_key(pipeline_fingerprint(nlp, "a"), text + " ")


def test_a_new_pipeline_version_tags_again(tmp_path):
    nlp = load_pipeline()
    units = [("Aid reached Aleppo on Monday.", 0), ("The UN envoy Staffan de Mistura spoke in Geneva.", 1)]
    with TagCache(spec_in(tmp_path)) as cache:
        list(entity_spans(nlp, units, "v1", cache))
        same, other = CacheStats(), CacheStats()
        spans_same = list(entity_spans(nlp, units, "v1", cache, same))
        spans_other = list(entity_spans(nlp, units, "v2", cache, other))
    assert (same.tagged, same.reused) == (0, 2) and (other.tagged, other.reused) == (2, 0)
    assert spans_same == spans_other
    assert ("Staffan de Mistura", "PERSON") in [(s.text, s.label_) for s in spans_same[1][1]]


def fake_spans(n: int) -> dict[bytes, list[tuple[int, int, str]]]:
    return {f"key{n}".encode(): [(0, n, "GPE")]}


def count_rows(path: Path) -> int:
    with sqlite3.connect(path) as db:
        return db.execute("SELECT count(*) FROM spans").fetchone()[0]


def test_the_bound_holds_and_the_least_recently_used_go_first(tmp_path):
    spec = spec_in(tmp_path, max_entries=5)
    with TagCache(spec) as cache:
        for n in range(5):
            cache.put(fake_spans(n))
        cache.put({}, used=[b"key0"])  # key0 used again: key1 is now the oldest
        for n in range(5, 8):
            cache.put(fake_spans(n))
            assert len(cache) == 5 and count_rows(spec.path) == 5
        held = set(cache.get(f"key{n}".encode() for n in range(8)))
    assert held == {b"key0", b"key4", b"key5", b"key6", b"key7"}


def test_a_cache_smaller_than_one_batch_holds_the_newest(tmp_path):
    spec = spec_in(tmp_path, max_entries=3)
    with TagCache(spec) as cache:
        cache.put({f"k{n}".encode(): [] for n in range(10)})
        assert len(cache) == 3 and count_rows(spec.path) == 3


def test_a_damaged_cache_is_started_again_with_a_warning(tmp_path):
    spec = spec_in(tmp_path)
    spec.path.write_bytes(b"this is not an SQLite database, it is a damaged file" * 100)
    said: list[str] = []
    with TagCache(spec, said.append) as cache:
        cache.put(fake_spans(1))
        assert cache.get([b"key1"]) == {b"key1": [(0, 1, "GPE")]}
    assert len(said) == 1 and "unreadable" in said[0] and str(spec.path) in said[0]


def test_a_cache_of_another_schema_is_started_again(tmp_path):
    spec = spec_in(tmp_path)
    with TagCache(spec) as cache:
        cache.put(fake_spans(1))
    with sqlite3.connect(spec.path) as db:
        db.execute("UPDATE meta SET value = 99 WHERE name = 'schema'")
    said: list[str] = []
    with TagCache(spec, said.append) as cache:
        assert len(cache) == 0 and cache.get([b"key1"]) == {}
    assert "schema 99" in said[0]


@pytest.mark.parametrize("value, expected", [("0", 0), ("12", 12)])
def test_the_bound_is_a_setting(value, expected):
    assert Settings.load({"SEARCHAPP_TAG_CACHE_ENTRIES": value}).tag_cache_entries == expected


def test_a_negative_bound_is_refused():
    with pytest.raises(SettingError, match="SEARCHAPP_TAG_CACHE_ENTRIES='-1': must be 0 or more"):
        Settings.load({"SEARCHAPP_TAG_CACHE_ENTRIES": "-1"})


def stored_tags(index_dir: Path) -> dict[str, tuple]:
    with open_index(index_dir).searcher() as searcher:
        return {f["id"]: (f.get("entities"), f.get("language")) for f in searcher.all_stored_fields()}


@pytest.mark.parametrize("processes", [1, 2])
def test_index_reuses_the_tags_of_a_rebuild_and_says_so(tmp_path, processes):
    options = IndexOptions(manifest=SAMPLES / "manifest.csv", aliases_file=str(SAMPLES / "aliases.toml"), processes=processes)
    paragraphs = units_of(sample_articles())
    first = index_paths([SAMPLES], tmp_path / "ix", options)
    assert (tmp_path / "ix" / TAG_CACHE_FOLDER / CACHE_FILE).is_file()
    assert first.tagged_paragraphs + first.reused_paragraphs == paragraphs and first.tagged_paragraphs > 0
    before = stored_tags(tmp_path / "ix")
    again = index_paths([SAMPLES], tmp_path / "ix", dataclasses.replace(options, rebuild=True))
    assert (again.added, again.tagged_paragraphs, again.reused_paragraphs) == (5, 0, paragraphs)
    assert f"paragraphs tagged 0, reused {paragraphs} (tag cache)" in again.describe()
    assert stored_tags(tmp_path / "ix") == before


def test_no_cache_when_the_bound_is_0(tmp_path):
    options = IndexOptions(manifest=SAMPLES / "manifest.csv", processes=1, tag_cache_entries=0)
    summary = index_paths([SAMPLES], tmp_path / "ix", options)
    again = index_paths([SAMPLES], tmp_path / "ix", dataclasses.replace(options, rebuild=True))
    assert summary.tagged_paragraphs > 0 and again.tagged_paragraphs == summary.tagged_paragraphs
    assert not (tmp_path / "ix" / TAG_CACHE_FOLDER).exists()


def write_corpus(path: Path, count: int) -> None:
    """Records whose paragraphs repeat across articles (as wire copy does), with a unique one each."""
    rng = random.Random(3)
    shared = [
        "Russian President Vladimir Putin and Turkish President Recep Tayyip Erdogan met in Moscow on Tuesday.",
        "The Syrian Observatory for Human Rights said air strikes hit Idlib and Aleppo overnight.",
        "UN envoy Staffan de Mistura told reporters in Geneva that talks would resume next week.",
        "Aid convoys from the Red Crescent reached Douma in Eastern Ghouta, the United Nations said.",
    ]
    with open(path, "w", encoding="utf-8") as f:
        for i in range(count):
            paragraphs = rng.sample(shared, 2) + [f"Report number {i} came from Hama, where clashes went on."]
            f.write(json.dumps({"id": f"a{i:04d}", "title": f"Story {i}", "text": "\n\n".join(paragraphs), "date": "2016-03-02"}) + "\n")


@pytest.mark.slow
def test_killed_runs_leave_a_usable_cache_and_the_same_index(tmp_path):
    """SIGKILL at random moments of `searchapp index` runs: the cache stays a sound database within
    its bound, and the index finally built with it holds the tags of an index built without one."""
    corpus = tmp_path / "corpus.jsonl"
    write_corpus(corpus, 300)
    bound = 200
    env = dict(os.environ, SEARCHAPP_TAG_CACHE_ENTRIES=str(bound))
    env.pop("SEARCHAPP_INDEX_DIR", None)
    index_dir = tmp_path / "cached"
    command = [SEARCHAPP, "index", "--index-dir", str(index_dir), "--processes", "1", "--batch-size", "8", "--quiet", str(corpus)]
    seed = int(os.environ.get("FAULT_SEED", random.randrange(1 << 30)))
    rng = random.Random(seed)
    cache = index_dir / TAG_CACHE_FOLDER / CACHE_FILE
    kills = 0
    for _ in range(3):
        proc = subprocess.Popen([*command[:2], "--rebuild", *command[2:]] if kills % 2 else command, env=env)
        deadline = time.monotonic() + 120
        while not cache.is_file() and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(rng.uniform(0.0, 1.5))
        if proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
            kills += 1
        proc.wait(60)
        with sqlite3.connect(cache) as db:  # what the next run opens: sound, within its bound
            assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok", f"FAULT_SEED={seed}"
            rows = db.execute("SELECT count(*) FROM spans").fetchone()[0]
            assert rows <= bound and rows == db.execute("SELECT value FROM meta WHERE name = 'entries'").fetchone()[0]
    assert kills >= 1, f"no run could be killed (FAULT_SEED={seed})"
    done = subprocess.run([*command[:2], "--rebuild", *command[2:]], env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert "reused" in done.stderr
    plain = subprocess.run(
        [SEARCHAPP, "index", "--index-dir", str(tmp_path / "plain"), "--processes", "1", "--quiet", str(corpus)],
        env=dict(env, SEARCHAPP_TAG_CACHE_ENTRIES="0"),
        capture_output=True,
        timeout=300,
    )
    assert plain.returncode == 0
    assert stored_tags(index_dir) == stored_tags(tmp_path / "plain")
    assert len(stored_tags(index_dir)) == 300


def test_a_cache_that_cannot_be_written_is_said_and_the_run_goes_on(tmp_path):
    """A tag-cache that cannot be made (here a file where its folder goes) leaves the index as it would be."""
    index_dir = tmp_path / "ix"
    index_dir.mkdir()
    (index_dir / TAG_CACHE_FOLDER).write_text("not a folder")
    said: list[str] = []
    summary = index_paths([SAMPLES], index_dir, IndexOptions(manifest=SAMPLES / "manifest.csv", processes=1), report=said.append)
    assert summary.added == 5 and summary.reused_paragraphs == 0 and summary.tagged_paragraphs == units_of(sample_articles())
    assert "tag cache not used: [Errno 17] File exists" in summary.describe()
    assert not [line for line in said if "tag cache" in line]


def test_spans_that_cannot_be_the_text_are_tagged_again(tmp_path):
    nlp = load_pipeline()
    units = [("The UN envoy Staffan de Mistura spoke in Geneva.", 0)]
    key = cache_key(pipeline_fingerprint(nlp, PIPELINE_VERSION), units[0][0])
    with TagCache(spec_in(tmp_path)) as cache:
        cache.put({key: [(40, 400, "PERSON")]})  # past the end of the text
        stats = CacheStats()
        (text, spans, _),  = entity_spans(nlp, units, PIPELINE_VERSION, cache, stats)
        assert cache.get([key]) == {key: [(s.start_char, s.end_char, s.label_) for s in spans]} and len(cache) == 1  # put right
    assert (stats.tagged, stats.reused) == (1, 0)
    assert [(s.text, s.label_) for s in spans] == [("UN", "ORG"), ("Staffan de Mistura", "PERSON"), ("Geneva", "GPE")]
