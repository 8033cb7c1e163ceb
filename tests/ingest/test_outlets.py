"""Outlets: one facet key per outlet, and inference only from explicit credits."""

import tomllib

import pytest

from searchapp.errors import SettingError
from searchapp.ingest.credits import infer_outlet, infer_published
from searchapp.store.outlets import BUILT_IN, norm_key, outlet_display, outlet_key, resolve_outlet, use_outlets_file


@pytest.mark.parametrize("variant", ["presstv", "Press TV", "www.presstv.ir", "https://www.presstv.ir/Detail/2016/04/28/462885", "PRESS  TV", "PressTV"])
def test_press_tv_variants_share_one_key_and_display(variant):
    assert outlet_key(variant) == "presstv"
    assert outlet_display(variant) == "Press TV"


@pytest.mark.parametrize(
    ("variant", "display"),
    [("alarabia", "Al Arabiya"), ("skynews", "Sky News"), ("france24", "France 24"), ("BBC", "BBC News"),
     ("manar", "Al Manar"), ("nna", "National News Agency (Lebanon)"), ("المنار", "Al Manar"),
     ("dailysabah.com", "Daily Sabah"), ("Teller Report", "Teller Report"), ("Some Local Paper", "Some Local Paper"),
     ("www.example-news.com", "example-news.com")],
)  # fmt: skip
def test_display_names(variant, display):
    assert outlet_display(variant) == display


@pytest.mark.parametrize(
    ("given", "url", "outlet"),
    [
        # the ANT corpus's codes name the parent; the URL says which service
        ("BBC", "http://www.bbc.co.uk/arabic/middleeast/2016/x.html", "BBC Arabic"),
        ("CNN", "https://arabic.cnn.com/middle-east/article/x", "CNN Arabic"),
        ("skynews", "https://www.skynewsarabia.com/middle-east/x", "Sky News Arabia"),
        ("alarabia", "http://www.alarabiya.net/ar/culture-and-art/x.html", "Al Arabiya"),
        # a known outlet's copy served elsewhere keeps its credit; no name: the URL's outlet
        ("Reuters", "https://www.bbc.com/news/world-1", "Reuters"),
        (None, "https://www.presstv.ir/Detail/2016/04/28/462885", "Press TV"),
        ("Some Local Paper", "https://unknown.example/x", "Some Local Paper"),
    ],
)
def test_a_records_url_names_its_outlet_precisely(given, url, outlet):
    assert resolve_outlet(given, url) == outlet


def test_every_fakes_and_ant_code_is_a_proper_name():
    fakes = ["ahram", "alalam", "alaraby", "arabiya", "asharqalawsat", "dailysabah", "etilaf", "jordantimes", "manar",
             "nna", "reuters", "sana", "sputnik", "tass", "trt"]  # fmt: skip
    names = {code: outlet_display(code) for code in fakes}
    assert names == {
        "ahram": "Ahram Online", "alalam": "Al-Alam News Network", "alaraby": "The New Arab", "arabiya": "Al Arabiya",
        "asharqalawsat": "Asharq Al-Awsat", "dailysabah": "Daily Sabah", "etilaf": "Syrian National Coalition",
        "jordantimes": "The Jordan Times", "manar": "Al Manar", "nna": "National News Agency (Lebanon)",
        "reuters": "Reuters", "sana": "SANA", "sputnik": "Sputnik", "tass": "TASS", "trt": "TRT World",
    }  # fmt: skip
    # every spelling, code and domain of one outlet is one key
    assert {outlet_key(v) for v in ("manar", "Al Manar", "Al-Manar", "المنار", "almanar.com.lb")} == {"almanar"}


def test_the_built_in_table_gives_every_key_and_domain_to_one_outlet():
    data = tomllib.loads(BUILT_IN.read_text(encoding="utf-8"))
    owners: dict[str, set[str]] = {}
    for entry in data["outlet"]:
        for variant in (entry["name"], *entry.get("codes", []), *entry.get("names_ar", [])):
            owners.setdefault(norm_key(variant), set()).add(entry["name"])
    clashes = {key: names for key, names in owners.items() if len(names) > 1}
    assert clashes == {}
    assert len(data["outlet"]) >= 100


def test_a_users_outlets_file_extends_the_table(tmp_path):
    extra = tmp_path / "outlets.toml"
    extra.write_text('[[outlet]]\nname = "Syria Direct"\ncodes = ["sd-news"]\n\n[[outlet]]\nname = "Raqqa Is Being Slaughtered Silently"\ncodes = ["rbss"]\ndomains = ["raqqa-sl.com"]\n', encoding="utf-8")
    try:
        use_outlets_file(extra)
        assert outlet_display("rbss") == outlet_display("https://www.raqqa-sl.com/en/?p=1") == "Raqqa Is Being Slaughtered Silently"
        assert outlet_display("sd-news") == outlet_display("syriadirect.org") == "Syria Direct"  # built-in domains kept
    finally:
        use_outlets_file(None)
    assert outlet_display("rbss") == "rbss"  # an unknown outlet is shown as given


def test_an_unreadable_outlets_file_is_a_setting_error(tmp_path):
    bad = tmp_path / "outlets.toml"
    bad.write_text("[[outlet]\n", encoding="utf-8")
    with pytest.raises(SettingError, match="outlets.toml: cannot read the outlets file"):
        use_outlets_file(bad)
    assert outlet_display("manar") == "Al Manar"  # the table in use is unchanged


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
