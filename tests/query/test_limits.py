"""Bounded query cost: query length, terms, wildcard/prefix/range expansion, fuzzy syntax, page depth, export size.

Each limit is a setting (searchapp/config.py) checked by searchapp/query/limits.py from run_search; past
it a search is a 400 (web) or a usage error (CLI, exit 2) with a message naming the limit, and the
refusal is quick.
"""

from __future__ import annotations

import json
import time

import pytest
from click.testing import CliRunner
from whoosh import query

from searchapp.cli import main
from searchapp.config import Settings
from searchapp.ingest.run import IndexOptions, index_paths
from searchapp.query import limits
from searchapp.query.parse import parse_query
from searchapp.query.search import SearchRequest
from searchapp.web import create_app

WORDS = 5000  # distinct words starting with "aw" in the lexicon index


@pytest.fixture(scope="module")
def lexicon_index(tmp_path_factory):
    """An index whose lexicon holds thousands of words starting with 'a' (for `a*`)."""
    folder = tmp_path_factory.mktemp("lexicon")
    records = [
        {"id": f"lex{n}", "title": f"Lexicon part {n}", "text": " ".join(f"aw{i:04d}" for i in range(n, WORDS, 10)), "date": "2016-03-02"}
        for n in range(10)
    ]
    (folder / "lexicon.jsonl").write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    summary = index_paths([folder / "lexicon.jsonl"], folder / "ix", IndexOptions(processes=1))
    assert summary.added == 10
    return folder / "ix"


@pytest.fixture()
def lex_client(lexicon_index):
    return create_app({"TESTING": True, "INDEX_DIR": str(lexicon_index)}).test_client()


def timed_get(client, url, **kwargs):
    started = time.monotonic()
    response = client.get(url, **kwargs)
    return response, time.monotonic() - started


# ---------------------------------------------------------------------------------------------
# Pure functions


def test_clauses_count_each_word_once_whatever_the_fields():
    assert len(limits.query_clauses(parse_query("Idlib ceasefire"))) == 2
    assert len(limits.query_clauses(parse_query('"cessation of hostilities" -Aleppo outlet:"Press TV"'))) == 3
    assert len(limits.query_clauses(parse_query("talks talks talks"))) == 1
    assert len(limits.query_clauses(parse_query("هدنة حلب ceasefire"))) == 3  # Arabic and English fields analyse them apart
    assert len(limits.query_clauses(parse_query(" ".join(f"w{i}" for i in range(70))))) == 70


def test_check_search_names_each_limit():
    small = limits.Limits(max_query_length=10, max_query_terms=2, max_expansion=5, max_page=3)

    class NoTerms:
        pass

    assert limits.check_search(parse_query("a b"), NoTerms(), SearchRequest(q="a b"), small) is None
    assert "the limit is 10" in limits.check_search(parse_query("abcdefghijk"), None, SearchRequest(q="abcdefghijk"), small)
    assert "3 words and clauses; the limit is 2" in limits.check_search(parse_query("a b c"), None, SearchRequest(q="a b c"), small)
    assert "page: 4" in limits.check_search(query.Every(), None, SearchRequest(page=4), small)


def test_fuzzy_syntax_is_not_enabled():
    """`word~` is not a fuzzy query (which could expand to much of the lexicon): it searches `word`."""
    for text in ("ceasefire~", "ceasefire~2", "title:ceasefire~1", "ceasefire~0.5"):
        parsed = parse_query(text)
        leaves = list(limits._leaves(parsed))
        assert not any(isinstance(leaf, (query.FuzzyTerm, query.Variations)) for leaf in leaves), (text, parsed)
        assert not any(isinstance(leaf, query.MultiTerm) for leaf in leaves)


def test_limits_are_settings_with_defaults():
    assert limits.Limits.from_settings(Settings.load({})) == limits.Limits(1000, 64, 1000, 1000, 8)
    assert limits.Limits.from_settings(Settings.load({"SEARCHAPP_MAX_EXPANSION": "7"})).max_expansion == 7
    assert limits.Limits.from_settings(Settings.load({"SEARCHAPP_MAX_EXPANSION": "7"}, {"MAX_EXPANSION": 9})).max_expansion == 9


# ---------------------------------------------------------------------------------------------
# Through the web: a clear 400, quickly


@pytest.mark.parametrize("q", ["a*", "aw*", "*w*", "aw????", "text:[a TO z]", "title:[a TO z] OR text:[aw TO ax]", "a* OR b*"])
def test_wide_wildcards_and_ranges_are_refused(lex_client, q):
    for route in ("/api/search", "/", "/export.csv", "/export.json", "/feed.atom"):
        response, elapsed = timed_get(lex_client, route, query_string={"q": q})
        assert response.status_code == 400, (route, q)
        assert "match more than 1000 different words" in response.get_data(as_text=True)
        assert elapsed < 5


def test_narrow_wildcards_run(lex_client):
    response = lex_client.get("/api/search", query_string={"q": "aw12*"})  # aw1200..aw1299: 100 words
    assert response.status_code == 200 and response.get_json()["total"] == 10
    assert lex_client.get("/api/search", query_string={"q": "aw0001"}).get_json()["total"] == 1


def test_expansion_limit_follows_the_setting(lexicon_index):
    client = create_app({"TESTING": True, "INDEX_DIR": str(lexicon_index), "MAX_EXPANSION": 50}).test_client()
    assert client.get("/api/search", query_string={"q": "aw12*"}).status_code == 400
    assert client.get("/api/search", query_string={"q": "aw123*"}).status_code == 200


def test_too_many_terms_are_refused(client):
    ok = " ".join(f"w{i}" for i in range(64))
    assert client.get("/api/search", query_string={"q": ok}).status_code == 200
    response = client.get("/api/search", query_string={"q": ok + " w64"})
    assert response.status_code == 400
    assert response.get_json()["error"] == "q: the query has 65 words and clauses; the limit is 64"


def test_query_length_and_page_depth(client, sample_index):
    assert client.get("/api/search", query_string={"q": "x" * 1000}).status_code == 200
    assert "the limit is 1000" in client.get("/api/search", query_string={"q": "x" * 1001}).get_json()["error"]
    assert client.get("/api/search?page=1000").status_code == 200
    assert client.get("/api/search?page=1001").status_code == 400
    shallow = create_app({"TESTING": True, "INDEX_DIR": str(sample_index), "MAX_PAGE": 5, "MAX_QUERY_LENGTH": 20}).test_client()
    assert shallow.get("/api/search?page=5").status_code == 200
    assert shallow.get("/api/search?page=6").get_json()["error"] == "page: 6 is deeper than the last page served, 5"
    assert "the limit is 20" in shallow.get("/api/search", query_string={"q": "y" * 21}).get_json()["error"]


@pytest.mark.parametrize("q", ["*", "title:*", "text:*", "* OR ceasefire", "(title:*)"])
def test_every_document_is_every_document_not_every_word(q):
    """Whoosh's Every(field) reads the postings of every word of the field; every article has a title and a text."""
    assert parse_query(q) == query.Every()


def test_field_star_counts_the_words_it_reads(sample_index):
    narrow = create_app({"TESTING": True, "INDEX_DIR": str(sample_index), "MAX_EXPANSION": 2}).test_client()
    response = narrow.get("/api/search", query_string={"q": "actor:*"})
    assert response.status_code == 400 and "match more than 2 different words" in response.get_json()["error"]
    wide = create_app({"TESTING": True, "INDEX_DIR": str(sample_index)}).test_client()
    assert wide.get("/api/search", query_string={"q": "actor:*"}).get_json()["total"] == 5
    assert wide.get("/api/search", query_string={"q": "*"}).get_json()["total"] == 5


@pytest.mark.parametrize("q", ["oil^0", "oil^0.0", "title:oil^0 Syria", "(oil OR gas)^0"])
def test_a_boost_of_zero_is_a_usage_error_everywhere(client, sample_index, q):
    for route in ("/api/search", "/", "/export.csv", "/export.json", "/feed.atom"):
        response = client.get(route, query_string={"q": q})
        assert response.status_code == 400, (route, response.status_code)
        assert "a boost (^N) must be a positive number, got 0" in response.get_data(as_text=True)
    result = CliRunner().invoke(main, ["search", "--index-dir", str(sample_index), q])
    assert result.exit_code == 2 and "a boost (^N) must be a positive number, got 0" in result.output


def test_export_size_is_bounded(sample_index):
    small = create_app({"TESTING": True, "INDEX_DIR": str(sample_index), "EXPORT_LIMIT": 4}).test_client()
    for route in ("/export.csv", "/export.json"):
        response = small.get(route)
        assert response.status_code == 400 and "at most 4" in response.get_data(as_text=True)
        assert small.get(route, query_string={"q": "Idlib"}).status_code == 200


def test_cli_refuses_a_wide_wildcard_with_exit_2(lexicon_index):
    result = CliRunner().invoke(main, ["search", "--index-dir", str(lexicon_index), "a*"])
    assert result.exit_code == 2 and "match more than 1000 different words" in result.output
    result = CliRunner().invoke(main, ["search", "--index-dir", str(lexicon_index), "--json", "aw12*"])
    assert result.exit_code == 0 and json.loads(result.output)["total"] == 10


def test_unusable_limit_settings_are_usage_errors(lexicon_index, tmp_path):
    result = CliRunner().invoke(main, ["search", "--index-dir", str(lexicon_index), "aw1"], env={"SEARCHAPP_MAX_EXPANSION": "lots"})
    assert result.exit_code == 2 and "error: SEARCHAPP_MAX_EXPANSION='lots'" in result.stderr
    (tmp_path / "a.jsonl").write_text('{"id": "a", "text": "x"}\n', encoding="utf-8")
    args = ["index", "--index-dir", str(tmp_path / "ix"), "--quiet", "--processes", "1", str(tmp_path / "a.jsonl")]
    result = CliRunner().invoke(main, args, env={"SEARCHAPP_MAX_ARTICLE_CHARS": "0"})
    assert result.exit_code == 2 and "error: SEARCHAPP_MAX_ARTICLE_CHARS='0': must be at least 1" in result.stderr
    assert not (tmp_path / "ix").exists()


def test_wildcard_clauses_are_counted_once_and_bounded(client):
    """Each wildcard scans the index's words (a leading `*` all of them, even matching nothing): at most 8."""
    # the words as written, and the Arabic fields' own analysis of the pattern
    assert limits.expanding_clauses(parse_query("a* a* a*")) == [
        query.Prefix("words", "a"), query.Prefix("title_ar", "a", boost=2.0), query.Prefix("text_ar", "a")
    ]
    eight = " ".join(f"*zz{i}*" for i in range(8))
    assert client.get("/api/search", query_string={"q": eight}).status_code == 200
    response = client.get("/api/search", query_string={"q": eight + " OR zz9*"})
    assert response.status_code == 400
    assert response.get_json()["error"] == "q: the query has 9 wildcard, prefix and range clauses; the limit is 8"
    many = " OR ".join(["a*"] * 160)  # 956 characters: a repeated wildcard is one clause, expanded once
    response, elapsed = timed_get(client, "/api/search", query_string={"q": many})
    assert response.status_code == 200 and elapsed < 5
    assert response.get_json()["total"] == client.get("/api/search", query_string={"q": "a*"}).get_json()["total"] == 5


def test_name_keys_share_the_expansion_limit_with_the_wildcards(sample_index):
    from searchapp.query.search import SearchIndex

    searcher = SearchIndex(sample_index).searcher()
    parsed = parse_query("Idleb Syri*", searcher.schema)
    used = limits.expansion_count(parsed, searcher.reader(), 1000)
    assert used > 0
    assert limits.name_budget(parsed, searcher.reader(), limits.Limits(max_expansion=used + 1)) == 1
    assert limits.name_budget(parsed, searcher.reader(), limits.Limits(max_expansion=used)) == 0
    assert limits.name_budget(parse_query("Idleb", searcher.schema), searcher.reader(), limits.Limits(max_query_terms=3)) == 3
    # at the limit, "Idleb" is searched as written only: the articles naming Idlib are not added
    full = SearchIndex(sample_index).search(SearchRequest(q="Idleb Syri*"))
    spent = SearchIndex(sample_index, limits=limits.Limits(max_expansion=used)).search(SearchRequest(q="Idleb Syri*"))
    assert full.total >= 1 and spent.total == 0
