"""The tagging rules behind the quality figures: gazetteers, organisation names, acronyms, datelines, dates."""

import pytest

from searchapp.ingest.credits import infer_outlet
from searchapp.ingest.dates import resolve_expression
from searchapp.ingest.entities import RawMention, clean_name, is_junk, link_names, load_aliases, nationality_words
from searchapp.ingest.gazetteer import alias_patterns, country_names, place_names
from searchapp.ingest.models import Article, PartialDate
from searchapp.ingest.tagging import tag_articles


@pytest.fixture(scope="module")
def builtin():
    return load_aliases()


def test_gazetteer_places_come_from_the_installed_packages():
    places = place_names()
    for name in ("Idlib", "Aleppo", "Khan Shaykhun", "Assam", "Texas", "Tianjin", "Soviet Union", "Middle East"):
        assert name in places, name
    assert "Charlotte" not in places and "Hamilton" not in places  # first names and surnames
    assert "Jordan" in country_names() and "Kampuchea" in country_names()
    assert {"Kuwaiti", "West German", "Syrian"} <= nationality_words()


def test_alias_names_are_ruler_patterns_but_not_the_country_abbreviations(builtin):
    patterns = {p["pattern"]: p["label"] for p in alias_patterns(builtin)}
    assert patterns["Staffan de Mistura"] == "PERSON" and patterns["USDA"] == "ORG" and patterns["Idlib"] == "GPE"
    assert "U.S." not in patterns and "America" not in patterns  # they would split "Bank of America"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("C. Itoh and Co Ltd", "C. Itoh"),
        ("Mitsui and Co Ltd of Japan", "Mitsui"),
        ("Petroleum Corp of New Zealand Ltd>", "Petroleum Corp of New Zealand"),
        ("<Scandinavian Airlines System>", "Scandinavian Airlines System"),
        ("International Coffee Organisation (ICO", "International Coffee Organisation"),
        ("Kuwait News Agency KUNA", "Kuwait News Agency"),
        ("Oil India Ltd (OIL)", "Oil India"),
        ("Pt Triguna Utama Machinery Industries", "Triguna Utama Machinery Industries"),
        ("a Heritage Foundation", "Heritage Foundation"),
        ("Co Ltd", ""),
    ],
)
def test_organisation_names_lose_legal_forms_tickers_and_acronyms(text, expected):
    assert clean_name(text, "org") == expected


@pytest.mark.parametrize("name", ["Revs 291.8", "Mar 20.4", "N.Z. Dlrs", "Div 50 won vs"])
def test_wire_table_cells_are_junk(name):
    assert is_junk(name)


def names(raw, aliases):
    return {(m.name, m.kind) for m in link_names(raw, aliases)}


def test_acronyms_and_short_forms_join_the_full_name_of_the_article(builtin):
    raw = [
        RawMention("Scandinavian Airlines System", "ORG", 0),
        RawMention("SAS", "ORG", 1),
        RawMention("Kuwait News Agency", "ORG", 0),
        RawMention("KUNA", "ORG", 2),
        RawMention("Shearson Lehman Brothers Inc", "ORG", 0),
        RawMention("Shearson", "PERSON", 3),
        RawMention("Avions Marcel Dassault-Breguet Aviation", "ORG", 0),
        RawMention("Dassault", "ORG", 4),
        RawMention("Khoo Teck Puat", "PERSON", 0),
        RawMention("Khoo", "ORG", 5),
    ]
    assert names(raw, builtin) == {
        ("Scandinavian Airlines System", "org"),
        ("Kuwait News Agency", "org"),
        ("Shearson Lehman Brothers", "org"),
        ("Avions Marcel Dassault-Breguet Aviation", "org"),
        ("Khoo Teck Puat", "person"),
    }


def test_a_longer_name_mentioned_later_does_not_swallow_a_shorter_one(builtin):
    raw = [
        RawMention("Rank Xerox Ltd", "ORG", 0),
        RawMention("Rank Xerox South Africa Pty Ltd", "ORG", 0),
        RawMention("Rank Xerox", "ORG", 3),
    ]
    assert names(raw, builtin) == {("Rank Xerox", "org"), ("Rank Xerox South Africa", "org")}


def test_nationalities_us_prefixes_and_generic_bodies(builtin):
    raw = [
        RawMention("Kuwaiti", "GPE", 0),
        RawMention("U.S. General Services Administration", "ORG", 1),
        RawMention("U.S. Airlines", "ORG", 2),
        RawMention("USDA", "ORG", 3),
        RawMention("Industry department", "ORG", 4),
        RawMention("Caterpillar/MHI", "ORG", 5),
        RawMention("EC", "ORG", 6),
        RawMention("USSR", "GPE", 7),
        RawMention("the West", "LOC", 8),
    ]
    assert names(raw, builtin) == {
        ("United States", "place"),
        ("General Services Administration", "org"),
        ("U.S. Agriculture Department", "org"),
        ("European Community", "org"),
        ("Soviet Union", "place"),
    }


MARCH_13_1987 = PartialDate(1987, 3, 13)  # a Friday


@pytest.mark.parametrize(
    ("text", "future", "expected"),
    [
        ("Thursday", False, ["1987-03-12"]),
        ("Thursday", True, ["1987-03-19"]),  # "will also visit Bonn on Thursday"
        ("June", False, ["1986-06"]),
        ("June", True, ["1987-06"]),  # "the next OPEC meeting in June"
        ("last month's", False, ["1987-02"]),
        ("earlier this month", False, ["1987-03"]),
        ("later this year", False, ["1987"]),
        ("last night", False, ["1987-03-12"]),
        ("the fiscal year ending March 31, 1988", False, ["1988-03-31"]),
        ("the early hours of Thursday morning", False, ["1987-03-12"]),
        ("fiscal 1989", False, []),
        ("1986/87", False, []),
    ],
)
def test_date_expressions(text, future, expected):
    assert [d.iso() for d in resolve_expression(text, MARCH_13_1987, future=future)] == expected


def test_reuters_sign_off_in_capitals():
    assert infer_outlet(["Some text.", "REUTER"]) == "Reuters"


def article(paragraphs, outlet=None, published="1987-06-18"):
    return Article(id="a", title="", paragraphs=paragraphs, source="test", outlet=outlet, published=PartialDate.from_iso(published))


def test_tagging_with_the_rulers_datelines_and_credits(builtin):
    (tagged,) = tag_articles(
        [
            article(
                [
                    "WASHINGTON, June 18 - Jordan will receive two loans, the World Bank told Reuters.",
                    "Kuwaiti tankers sailed past Sochi while UN Special Envoy for Syria Staffan de Mistura met officials.",
                    "Soldiers rest in Idlib. (Reuters)",
                    "Reuter",
                ],
                outlet="Reuters",
            )
        ],
        builtin,
    )
    got = {(m.name, m.kind) for m in tagged.mentions}
    assert {("Washington", "place"), ("Jordan", "place"), ("World Bank", "org"), ("Sochi", "place"),
            ("Staffan de Mistura", "person"), ("Idlib", "place"), ("Syria", "place")} <= got  # fmt: skip
    assert not {name for name, _ in got} & {"Reuters", "Reuter", "Kuwaiti", "Syria Staffan de Mistura"}
    assert ("June 18", "1987-06-18") in {(d.text, d.value) for d in tagged.dates}


def test_places_roll_up_to_their_governorate_and_country():
    from searchapp.ingest.models import Mention
    from searchapp.ingest.places import place_ancestors, place_rollup
    assert place_ancestors("Khan Sheikhoun") == ("Idlib", "Syria")  # geonames' "Khan Shaykhun", through the aliases
    assert place_ancestors("Aleppo") == ("Syria",) and place_ancestors("Texas") == ("United States",)
    assert place_ancestors("Syria") == () and place_ancestors("Tripoli") == ()  # a country; Libya or Lebanon
    mentions = [Mention("Khan Sheikhoun", "place", (0,)), Mention("Syria", "place", (1,)), Mention("Idlib", "org", (2,))]
    assert place_rollup(mentions) == ["Idlib"]
