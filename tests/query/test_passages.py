"""Snippet passages (query/highlight.py): sentences, windows around the matches, the best pair, furniture left out."""

from __future__ import annotations

import pytest

from searchapp.query.highlight import MAX_SNIPPET_CHARS, best_passages, query_terms, sentence_bounds
from searchapp.query.names import expand_names
from searchapp.query.parse import parse_query


def terms(text: str) -> frozenset:
    return query_terms(parse_query(text))


def marks(snippet) -> list[str]:
    html = str(snippet.html)
    return [part.split("</mark>")[0] for part in html.split("<mark>")[1:]]


@pytest.mark.parametrize(
    ("text", "sentences"),
    [
        ("One. Two! Three? Four", ["One. ", "Two! ", "Three? ", "Four"]),
        ("Mr. Assad met Gen. Smith. Then U.S. forces left.", ["Mr. Assad met Gen. Smith. ", "Then U.S. forces left."]),
        ("He said: “Go.” They went.", ["He said: “Go.” ", "They went."]),
        ("at 3 p.m. local time. Next", ["at 3 p.m. local time. ", "Next"]),
        ("Bashar A. Assad spoke.", ["Bashar A. Assad spoke."]),
        ("هدنة في إدلب. قصف في حلب؟ نعم", ["هدنة في إدلب. ", "قصف في حلب؟ ", "نعم"]),
    ],
)
def test_sentence_bounds(text, sentences):
    assert [text[a:b] for a, b in sentence_bounds(text)] == sentences


BLOCK = (
    "Air strikes hit Idlib on Sunday. "
    + "Filler sentence about nothing in particular that goes on. " * 12
    + "The ceasefire was agreed in February. "
    + "More filler that says nothing at all here. " * 12
    + "Idlib and the ceasefire were discussed in Geneva."
)


def test_passages_are_sentences_inside_one_block_and_the_best_holds_both_words():
    [first, second] = best_passages([BLOCK], terms("Idlib ceasefire"))
    # the sentence with both words, with the sentences before it as context (it ends the block)
    assert first.paragraph == 0 and BLOCK[first.start : first.end] == "More filler that says nothing at all here. " * 3 + (
        "Idlib and the ceasefire were discussed in Geneva."
    )
    assert marks(first) == ["Idlib", "ceasefire"] and str(first.html).startswith("… More filler")
    # the earliest of the rest, with the sentences after it
    assert BLOCK[second.start : second.end] == "Air strikes hit Idlib on Sunday. " + ("Filler sentence about nothing in particular that goes on. " * 3).rstrip()
    assert marks(second) == ["Idlib"]


def test_the_second_passage_adds_the_word_the_first_lacks():
    text = "Idlib was shelled twice. Idlib again. " + "Filler words go here now. " * 20 + "A ceasefire was agreed."
    snippets = best_passages([text], terms("Idlib ceasefire"))
    assert [marks(s) for s in snippets] == [["Idlib", "Idlib"], ["ceasefire"]]


def test_a_short_passage_gets_its_neighbours_as_context_up_to_the_snippet_length():
    text = "Lavrov met Kerry. " + "They talked about the war for many hours without a break. " * 10
    [snippet] = best_passages([text], terms("Lavrov"))
    assert snippet.start == 0 and 160 <= snippet.end <= MAX_SNIPPET_CHARS
    assert text[snippet.start : snippet.end] == "Lavrov met Kerry. " + ("They talked about the war for many hours without a break. " * 3).rstrip()


def test_a_long_sentence_is_cut_around_its_match():
    text = "Word " * 200 + "the ceasefire held " + "word " * 200
    [snippet] = best_passages([text], terms("ceasefire"))
    assert snippet.start > 0 and snippet.end < len(text) and snippet.end - snippet.start <= MAX_SNIPPET_CHARS
    assert marks(snippet) == ["ceasefire"] and text[snippet.start : snippet.end].count("ceasefire") == 1


def test_a_match_in_the_page_furniture_is_no_reason():
    text = "Tags Syria Idlib ceasefire Print Tweet. Shelling hit Idlib on Monday. Nothing more."
    furniture = [(0, 0, 39)]
    [snippet] = best_passages([text], terms("Idlib"), furniture=furniture)
    assert text[snippet.start : snippet.end] == "Shelling hit Idlib on Monday. Nothing more."  # context never from the furniture


def test_furniture_inside_a_sentence_cuts_the_window():
    text = "Air strikes in Idlib kill 20 Monitor Reuters Sunday 12 Jun 2016 Air strikes carried out by warplanes hit Idlib."
    stamp = (text.index("Reuters"), text.index(" Air strikes carried"))
    [first, second] = best_passages([text], terms("Idlib"), furniture=[(0, *stamp)])
    passages = {text[s.start : s.end] for s in (first, second)}
    assert passages == {"Air strikes in Idlib kill 20 Monitor", "Air strikes carried out by warplanes hit Idlib."}


def test_no_match_shows_the_opening_after_leading_furniture():
    text = "Last updated at Jun 142016 BEIRUT A counterattack left 28 dead."
    [snippet] = best_passages([text], terms("Daesh"), furniture=[(0, 0, 27)])
    assert snippet.start == 27 and snippet.text() == "… BEIRUT A counterattack left 28 dead."


def test_a_name_found_by_its_entity_is_marked_where_it_is_mentioned():
    text = "President Bashar Assad spoke on Sunday. The war goes on."
    mentions = [{"name": "Bashar al-Assad", "kind": "person", "spans": [[0, 10, 22]], "keys": ["VsVd", "bVshVrsVd"]}]
    expanded, names = expand_names(parse_query("Asad"), "Asad", lambda key, spelling: key == "VsVd", 5)
    assert query_terms(expanded, names) == {"asad", ("ar", "asad"), ("name", "VsVd", ("asad",))}
    [snippet] = best_passages([text], query_terms(expanded, names), mentions=mentions)
    assert marks(snippet) == ["Bashar Assad"] and text[snippet.start : snippet.end] == "President Bashar Assad spoke on Sunday. The war goes on."


def test_markup_in_an_article_is_escaped():
    [snippet] = best_passages(["<b>Idlib</b> & co."], terms("Idlib"))
    assert str(snippet.html) == "&lt;b&gt;<mark>Idlib</mark>&lt;/b&gt; &amp; co."
