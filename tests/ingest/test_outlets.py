"""Outlets: one facet key per outlet, and inference only from explicit credits."""

import pytest

from searchapp.ingest.credits import infer_outlet, infer_published
from searchapp.store.outlets import outlet_display, outlet_key


@pytest.mark.parametrize("variant", ["presstv", "Press TV", "www.presstv.ir", "https://www.presstv.ir/Detail/2016/04/28/462885", "PRESS  TV", "PressTV"])
def test_press_tv_variants_share_one_key_and_display(variant):
    assert outlet_key(variant) == "presstv"
    assert outlet_display(variant) == "Press TV"


@pytest.mark.parametrize(
    ("variant", "display"),
    [("alarabia", "Al Arabiya"), ("skynews", "Sky News Arabia"), ("france24", "France 24"), ("BBC", "BBC"),
     ("dailysabah.com", "Daily Sabah"), ("Teller Report", "Teller Report"), ("Some Local Paper", "Some Local Paper"),
     ("www.example-news.com", "example-news.com")],
)  # fmt: skip
def test_display_names(variant, display):
    assert outlet_display(variant) == display


@pytest.mark.parametrize(
    ("paragraphs", "expected"),
    [
        (["Talks resumed.", "By Press TV"], "Press TV"),
        (["DAMASCUS, March 2 (Reuters) - Talks resumed.", "More text."], "Reuters"),
        (["GENEVA (AFP) — Talks resumed."], "AFP"),
        (["Showers continued throughout the week.", "Reuter"], "Reuters"),
        # photo credits and mentions are not credits
        (["Talks resumed.", "The delegations met in Geneva last October (Reuters)", "More text."], None),
        (["US Rep. Ilhan Omar talks with Speaker Nancy Pelosi (AFP photo)", "Text."], None),
        (["Text.", "Press TV’s website can also be accessed at the following alternate addresses:"], None),
        # a byline naming a person is not an outlet
        (["Text.", "By John Smith"], None),
    ],
)
def test_outlet_inferred_only_from_explicit_credits(paragraphs, expected):
    assert infer_outlet(paragraphs) == expected


@pytest.mark.parametrize(
    ("first", "expected"),
    [
        ("DAMASCUS, March 2, 2016 (SANA) - Talks resumed.", "2016-03-02"),
        ("WASHINGTON, Feb 26 - Talks resumed.", None),  # no year: not plain enough
        ("Talks resumed on March 2, 2016 in Geneva.", None),  # a date in the body, not a dateline
    ],
)
def test_published_inferred_only_from_a_dated_dateline(first, expected):
    got = infer_published([first, "More."])
    assert (got.iso() if got else None) == expected
