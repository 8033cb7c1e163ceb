"""The outlets of the shared ANT corpus (Arabic) are facet values by their proper names."""

from __future__ import annotations

import gzip
import json
from collections import Counter

import pytest

from searchapp.ingest.run import IndexOptions, index_paths
from searchapp.query import SearchIndex, SearchRequest
from tests.conftest import SHARED

ANT = SHARED / "corpora/ant-multisource/ant_multisource_v2.1.jsonl.gz"
pytestmark = [pytest.mark.slow, pytest.mark.skipif(not ANT.exists(), reason="needs ../shared/corpora/ant-multisource")]


def test_ant_codes_and_urls_give_proper_outlet_names(tmp_path):
    sample, taken = tmp_path / "ant.jsonl", Counter()
    with gzip.open(ANT, "rt", encoding="utf-8") as f, open(sample, "w", encoding="utf-8") as out:
        for line in f:
            source = json.loads(line)["source"]
            if taken[source] < 3:
                taken[source] += 1
                out.write(line)
            if len(taken) == 5 and min(taken.values()) == 3:
                break
    assert set(taken) == {"alarabia", "BBC", "CNN", "france24", "skynews"}
    summary = index_paths([sample], tmp_path / "index", IndexOptions(processes=1))
    assert summary.added == 15
    result = SearchIndex(tmp_path / "index").search(SearchRequest(facet_size=None))
    # the corpus says "BBC" and "CNN" and "skynews"; the URLs (bbc.co.uk/arabic, arabic.cnn.com) say which service
    assert {v.value: v.count for v in result.facets["outlet"]} == {
        "Al Arabiya": 3, "BBC Arabic": 3, "CNN Arabic": 3, "France 24": 3, "Sky News Arabia": 3,
    }  # fmt: skip
