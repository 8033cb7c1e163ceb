"""Entity normalisation: one facet value per real entity, no junk, aliases applied."""

import pytest

from searchapp.errors import AliasesError
from searchapp.ingest.entities import Aliases, RawMention, clean_name, fold, is_junk, link_names, load_aliases


@pytest.fixture(scope="module")
def builtin():
    return load_aliases()


@pytest.mark.parametrize(
    ("text", "kind", "expected"),
    [
        ("Bashar al-Assad's", "person", "Bashar al-Assad"),
        ("Press TV’s", "org", "Press TV"),
        ("the United Nations", "org", "United Nations"),
        ("The Security Council", "org", "Security Council"),
        ("President Vladimir Putin", "person", "Vladimir Putin"),
        ("Ambassador Kelly Kraft", "person", "Kelly Kraft"),
        ("Russian Foreign Minister Sergei Lavrov", "person", "Sergei Lavrov"),
        ("Staffan de Mistura - Photo", "person", "Staffan de Mistura"),
        ("Idlib province", "place", "Idlib"),
        ("Idlib governorate", "place", "Idlib"),
        ("the province of Idlib", "place", "Idlib"),
        ("Mexico City", "place", "Mexico City"),
        ("Washington, DC", "place", "Washington DC"),
    ],
)
def test_clean_name(text, kind, expected):
    assert clean_name(text, kind) == expected


@pytest.mark.parametrize("name", ["he", "They", "It", "1.9", "470,000", "X", "coronavirus", "the government", "http://x.com", "a b c d e f g h"])
def test_junk_values_are_dropped(name):
    assert is_junk(name)


@pytest.mark.parametrize("name", ["Idlib", "UN", "Vladimir Putin", "al-Nusra Front", "ARD", "دمشق"])
def test_real_names_are_kept(name):
    assert not is_junk(name)


@pytest.mark.parametrize(
    ("variants", "expected", "kind"),
    [
        (["U.S.", "US", "USA", "the United States", "United States of America"], "United States", "place"),
        (["UN", "U.N.", "the United Nations"], "United Nations", "org"),
        (["Erdoğan", "Erdogan", "Recep Tayyip Erdogan"], "Recep Tayyip Erdoğan", "person"),
        (["Daesh", "ISIS", "ISIL"], "Islamic State", "org"),
        (["U.N. Security Council", "the Security Council", "United Nations Security Council"], "UN Security Council", "org"),
    ],
)
def test_builtin_aliases_fold_variants_into_one_value(builtin, variants, expected, kind):
    for variant in variants:
        assert builtin.resolve(clean_name(variant, kind), kind)[0] == expected, variant


def test_fold_ignores_case_dots_accents_and_a_leading_the():
    assert fold("U.S.") == fold("us")
    assert fold("Erdoğan") == fold("ERDOGAN")
    assert fold("the United States") == fold("United States")


def linked(raw, aliases):
    return [(m.name, m.kind, m.paragraphs) for m in link_names(raw, aliases)]


def test_surname_joins_the_full_name_in_the_same_article(builtin):
    raw = [
        RawMention("Vladimir Putin", "PERSON", 0),
        RawMention("Putin", "PERSON", 4),
        RawMention("Staffan de Mistura", "PERSON", 1),
        RawMention("De Mistura", "ORG", 6),  # the small model often calls a surname an ORG
        RawMention("Hallaj", "ORG", 9),
        RawMention("Muhammad Hallaj", "PERSON", 8),
        RawMention("Zakharova", "GPE", 3),
        RawMention("Maria Zakharova", "PERSON", 2),
    ]
    assert {name: (kind, paragraphs) for name, kind, paragraphs in linked(raw, builtin)} == {
        "Vladimir Putin": ("person", (0, 4)),
        "Staffan de Mistura": ("person", (1, 6)),
        "Muhammad Hallaj": ("person", (8, 9)),
        "Maria Zakharova": ("person", (2, 3)),
    }


def test_ambiguous_surname_is_left_alone(builtin):
    raw = [RawMention("John Smith", "PERSON", 0), RawMention("Jane Smith", "PERSON", 1), RawMention("Smith", "PERSON", 2)]
    names = sorted(name for name, _, _ in linked(raw, builtin))
    assert names == ["Jane Smith", "John Smith", "Smith"]


def test_drop_and_kind_from_the_builtin_table(builtin):
    raw = [RawMention("Corona", "GPE", 1), RawMention("Idlib", "ORG", 2), RawMention("Aleppo", "NORP", 3), RawMention("Russian", "NORP", 4)]
    assert linked(raw, builtin) == [("Idlib", "place", (2,)), ("Aleppo", "place", (3,))]


def test_user_aliases_merge_rename_drop_and_rekind(tmp_path):
    path = tmp_path / "aliases.toml"
    path.write_text(
        'drop = ["Ministry of Truth"]\n[merge]\n"Geir Pedersen" = ["Pederson", "Biderson"]\n[kind]\n"Geir Pedersen" = "person"\n',
        encoding="utf-8",
    )
    aliases = load_aliases(path)
    raw = [RawMention("Biderson", "PERSON", 0), RawMention("Pederson", "ORG", 1), RawMention("Ministry of Truth", "ORG", 2)]
    assert linked(raw, aliases) == [("Geir Pedersen", "person", (0, 1))]
    assert aliases.digest != load_aliases().digest  # editing the file re-tags on the next run


def test_every_mention_keeps_its_span(builtin):
    raw = [RawMention("Vladimir Putin", "PERSON", 0, 10, 24), RawMention("Putin's", "PERSON", 3, 0, 7)]
    (putin,) = link_names(raw, builtin)
    assert putin.spans == ((0, 10, 24), (3, 0, 7))


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ('drop = ["a"]\n[merge\n', "line 2"),
        ('[merge]\n"A" = 3\n', "[merge] 'A' must be a list of strings"),
        ('[kind]\n"A" = "animal"\n', "expected one of person, org, place"),
        ('[colours]\n"A" = "b"\n', "unknown section(s) colours"),
    ],
)
def test_bad_aliases_file_names_the_file_and_the_problem(tmp_path, content, message):
    path = tmp_path / "aliases.toml"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(AliasesError) as error:
        load_aliases(path)
    assert str(path) in str(error.value) and message in str(error.value)


def test_missing_aliases_file_is_reported(tmp_path):
    with pytest.raises(AliasesError, match="cannot read aliases file"):
        load_aliases(tmp_path / "nope.toml")


def test_empty_aliases_resolve_to_accent_folded_display():
    assert Aliases().resolve("Erdoğan", "person") == ("Erdogan", "person")
