"""A filtered search with few results scores just them (query.search.score_documents): the same hits, the same scores,
in the same order as the collector walking every match."""

from __future__ import annotations

from dataclasses import replace

import pytest

import searchapp.query.search as search_module
from searchapp.ingest.run import IndexOptions, index_paths
from searchapp.query import SearchIndex, SearchRequest
from tests.conftest import SAMPLES

REQUESTS = [
    SearchRequest(q="ceasefire"),
    SearchRequest(q="Syria Russia"),
    SearchRequest(q='"Security Council"'),
    SearchRequest(q="Idlib OR Aleppo", per_page=2, page=2),
    SearchRequest(q="talks -Geneva"),
    SearchRequest(q="negotiat*"),
    SearchRequest(q="Asad"),
    SearchRequest(q="Syria", filters={"language": ["en"]}),
    SearchRequest(q="ceasefire", collapse=False),
]


def ranked(index_dir, request: SearchRequest, monkeypatch, few: int) -> list[tuple[str, float | None]]:
    monkeypatch.setattr(search_module, "FEW_CANDIDATES", few)
    return [(hit.id, hit.score) for hit in SearchIndex(index_dir).search(request).hits]


@pytest.fixture(scope="module")
def segmented(tmp_path_factory):
    """The samples in several segments: document numbers of later segments start past an offset."""
    folder = tmp_path_factory.mktemp("segmented") / "index"
    index_paths([SAMPLES], folder, IndexOptions(processes=1, batch_size=2, max_segments=0))
    return folder


@pytest.mark.parametrize("request_", REQUESTS, ids=lambda r: f"{r.q}|{r.filters}|p{r.page}|{r.collapse}")
@pytest.mark.parametrize("language", [[], ["en"]])  # a filter narrows the search (here one keeping every article)
def test_few_results_are_scored_as_the_collector_scores_them(segmented, request_, language, monkeypatch):
    request_ = replace(request_, filters={**request_.filters, **({"language": language} if language else {})})
    walked = ranked(segmented, request_, monkeypatch, -1)
    assert ranked(segmented, request_, monkeypatch, 10**6) == walked
    assert walked or request_.page > 1


@pytest.mark.slow
@pytest.mark.parametrize("q", ["ceasefire", "Idlib ceasefire", '"chemical attack"', "Daesh OR ISIS", "Aleppo -Russia", "evacuat*", "regime forces"])
def test_fakes_searches_rank_the_same_either_way(fakes_index, q, monkeypatch):
    for page in (1, 2):
        request = SearchRequest(q=q, page=page)
        walked = ranked(fakes_index, request, monkeypatch, -1)
        assert ranked(fakes_index, request, monkeypatch, 10**6) == walked
        assert walked or page > 1
