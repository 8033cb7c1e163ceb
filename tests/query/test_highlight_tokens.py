"""Snippets analyse each distinct word once (query.highlight.analysed_tokens): the tokens must be
exactly those of running the index's analyser over the whole paragraph, on real text."""

from __future__ import annotations

import csv
import gzip
import itertools
import json

import pytest

from searchapp.query.highlight import analysed_tokens, analyzer
from searchapp.store.schema import ARABIC
from tests.conftest import FAKES, SHARED

ANT = SHARED / "corpora/ant-multisource/ant_multisource_v2.1.jsonl.gz"


def whole(paragraph: str, language: str | None) -> list[tuple[int, int, int, str]]:
    return [(t.pos, t.startchar, t.endchar, t.text) for t in analyzer(language)(paragraph, positions=True, chars=True, mode="index")]


@pytest.mark.parametrize(
    ("paragraph", "language"),
    [
        ("The cease-fire in Idlib held; a ceasefire-monitoring team (U.N.) arrived.", None),
        ("Erdoğan met al-Assad's envoy in Deir ez-Zor\u2011city on 3.5.2016, at 10:45.", None),
        ("Rebels -- and pro-government forces - clashed near Kafr-Batna/Douma; 1,200 fled.", None),
        ("Ceasefires, ceasefire's ceasefire: cease\u2010fire! Negotiations negotiated negotiating", None),
        ("e-mail e--mail -lead trail- a-b-c-d x.y.z", None),
        ("", None),
        ("قال المرصد السوري لحقوق الإنسان إن وقف إطلاق النار في إدلب صامد، وإن الهدنة (Idlib ceasefire) مستمرة.", ARABIC),
        ("والحكومة بالمدينة ومسؤول مسئول رئيس الوزراء ٢٠١٦", ARABIC),
    ],
)
def test_word_by_word_analysis_gives_the_analysers_tokens(paragraph, language):
    assert analysed_tokens(paragraph, language) == whole(paragraph, language)


def test_a_word_seen_again_is_analysed_from_the_memo_with_its_own_offsets():
    paragraph = "Idlib ceasefire. Idlib cease-fire. Idlib ceasefire."
    tokens = analysed_tokens(paragraph)
    assert [t for t in tokens if t[3] == "idlib"] == [(0, 0, 5, "idlib"), (2, 17, 22, "idlib"), (5, 35, 40, "idlib")]  # "cease-fire": its parts at 3 and 4, the joined word at 4
    assert tokens == whole(paragraph, None)


@pytest.mark.slow
@pytest.mark.skipif(not FAKES.is_file(), reason="needs ../shared/corpora/fakes-dev")
def test_every_fakes_paragraph_is_tokenized_as_the_analyser_does():
    with open(FAKES, encoding="utf-8", newline="") as handle:
        texts = [row["article_content"] for row in csv.DictReader(handle)]
    assert len(texts) == 384  # rows (379 articles; a few repeated ids)
    for text in texts:
        for paragraph in text.split("\n"):
            assert analysed_tokens(paragraph) == whole(paragraph, None)


@pytest.mark.slow
@pytest.mark.skipif(not ANT.exists(), reason="needs ../shared/corpora/ant-multisource")
def test_arabic_articles_are_tokenized_as_the_analyser_does():
    with gzip.open(ANT, "rt", encoding="utf-8") as handle:
        records = [json.loads(line) for line in itertools.islice(handle, 300)]
    checked = 0
    for record in records:
        for paragraph in (record.get("content") or record.get("text") or record.get("abstract") or "").split("\n"):
            assert analysed_tokens(paragraph, ARABIC) == whole(paragraph, ARABIC)
            checked += len(paragraph)
    assert checked > 100_000


def tokens_matching(paragraph: str, terms: frozenset, language: str | None) -> list[tuple[int, int, str]]:
    """What a snippet marks for plain words, from the analyser's whole token list."""
    return [(start, end, text) for _, start, end, text in whole(paragraph, language) if text in terms]


WORDS = [frozenset({"ceasefir", "idlib"}), frozenset({"ceas", "fire", "ceasefir"}), frozenset({"assad", "govern", "forc"}), frozenset({"un", "u.n"})]


@pytest.mark.parametrize("terms", WORDS)
@pytest.mark.parametrize(
    "paragraph",
    [
        "The cease-fire in Idlib held; a ceasefire-monitoring team (U.N.) arrived.",
        "Government forces of al-Assad and pro-government militias; Assad's forces. GOVERNMENT",
        "",
        "Idlib Idlib idlib-ceasefire",
    ],
)
def test_the_words_of_a_query_are_found_where_the_analysers_tokens_are(paragraph, terms):
    from searchapp.query.highlight import _matches

    assert _matches(paragraph, terms) == tokens_matching(paragraph, terms, None)


@pytest.mark.slow
@pytest.mark.skipif(not FAKES.is_file(), reason="needs ../shared/corpora/fakes-dev")
def test_every_fakes_paragraph_marks_the_words_the_analyser_finds():
    """FA-KES (CC BY, Abu Salem et al., ICWSM 2019): the word matches of a snippet are the analyser's tokens'."""
    from searchapp.query.highlight import _matches

    with open(FAKES, encoding="utf-8", newline="") as handle:
        texts = [row["article_content"] for row in csv.DictReader(handle)]
    words = frozenset({"syria", "forc", "govern", "kill", "al", "assad", "rebel", "ceasefir", "aleppo", "idlib"})
    found = 0
    for text in texts:
        for paragraph in text.split("\n"):
            expected = tokens_matching(paragraph, words, None)
            assert _matches(paragraph, words) == expected
            found += len(expected)
    assert found > 1000
