"""The links a result writes (web/render.py): ``q`` and ``passage`` encoded exactly as ``urlencode`` encodes them."""

from __future__ import annotations

from urllib.parse import parse_qs, quote, urlencode, urlsplit

import pytest

from searchapp.web.render import paragraph_link


@pytest.mark.parametrize("q", ["Idlib ceasefire", '"Security Council" -Russia', "a&b=c#d", "سوريا وقف", "100% gov*", "x+y/z?"])
@pytest.mark.parametrize(("paragraph", "passage"), [(None, None), (0, None), (5, (12, 80)), (2, (7, 7))])
def test_a_link_is_the_article_path_with_q_and_the_passage_url_encoded(q, paragraph, passage):
    link = paragraph_link("reuters/123 a", paragraph, q, passage)
    args = {"q": q}
    if passage is not None and paragraph is not None and passage[1] > passage[0]:
        args["passage"] = f"{paragraph + 1}:{passage[0]}-{passage[1]}"
    expected = f"/doc/{quote('reuters/123 a', safe='')}?{urlencode(args)}" + ("" if paragraph is None else f"#p{paragraph + 1}")
    assert link == expected
    assert parse_qs(urlsplit(link).query) == {key: [value] for key, value in args.items()}  # and it reads back


def test_a_link_without_a_query_has_no_arguments():
    assert paragraph_link("x", 0) == "/doc/x#p1"
    assert paragraph_link("x", None) == "/doc/x"
    assert paragraph_link("x", 1, "", (3, 9)) == "/doc/x?passage=2%3A3-9#p2"


@pytest.mark.parametrize("article_id", ["synthetic-000123", "a_b.c~d", "reuters/123", "ﺳﻮﺭﻳﺎ-1", "x y", "q?a=b#c", "ascii\u00e9", "", "%41"])
def test_an_article_s_path_quotes_its_id_as_quote_does(article_id):
    assert paragraph_link(article_id, None) == f"/doc/{quote(article_id, safe='')}"
