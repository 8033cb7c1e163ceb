"""The corpus-wide pass (searchapp/ingest/corpus.py): kinds by the corpus's majority, acronyms joined across articles.

Hand-written articles about invented names (the gazetteer and the built-in aliases know none of
them), with the raw mentions a tagger would give: each rule, its thresholds, the ambiguous acronym
left alone, the user's aliases over the corpus's, and the pass at the end of an indexing run that
rewrites only what changes.
"""

from __future__ import annotations

import json
import tomllib
from pathlib import Path

import pytest

from searchapp.ingest.corpus import (
    FRESH_SUFFIX,
    MAJORITY,
    MIN_ARTICLES,
    MIN_JOINED,
    Evidence,
    FreshEvidence,
    abbreviates,
    derive_overlay,
    gather,
    index_aliases,
    relink,
    tagging_evidence,
)
from searchapp.ingest.entities import load_aliases
from searchapp.ingest.gazetteer import place_lookup, place_spellings
from searchapp.ingest.models import Article, TaggedArticle
from searchapp.store.index import CORPUS_ALIASES_FILE, CORPUS_EVIDENCE_FILE

FRONT = "Velloran Liberation Front"


@pytest.fixture(scope="module")
def known():
    return (place_lookup(), place_spellings())


def raw_of(paragraphs: list[str], names: list[tuple[str, str]]) -> list[tuple]:
    """The raw mentions a tagger gives for ``names`` ((text, spaCy label)): every occurrence in the paragraphs."""
    raw = []
    for text, label in names:
        for number, paragraph in enumerate(paragraphs):
            start = paragraph.find(text)
            while start >= 0:
                raw.append((text, label, number, start, start + len(text)))
                start = paragraph.find(text, start + 1)
    return sorted(raw, key=lambda r: (r[2], r[3]))


def evidence(known, text: str, names: list[tuple[str, str]], aliases=None) -> Evidence:
    paragraphs = [text]
    return gather(raw_of(paragraphs, names), paragraphs, "en", aliases or load_aliases(), known)


PLACE_TEXT = "Shelling hit Vellorin on Monday, residents said."
PERSON_TEXT = "Vellorin told reporters the talks had failed."


def kind_corpus(known, places: int, people: int) -> list[Evidence]:
    return [evidence(known, PLACE_TEXT, [("Vellorin", "GPE")]) for _ in range(places)] + [
        evidence(known, PERSON_TEXT, [("Vellorin", "PERSON")]) for _ in range(people)
    ]


def test_one_article_gives_its_values_kinds_and_the_acronyms_it_defines_or_joins(known):
    text = f"The {FRONT} (VLF) took the hill. Later the VLF withdrew, and Tarn Osmic of the {FRONT} spoke."
    found = evidence(known, text, [(FRONT, "ORG"), ("VLF", "ORG"), ("Tarn Osmic", "PERSON")])
    assert sorted(found.values) == [("Tarn Osmic", "person"), (FRONT, "org")]
    assert found.acronyms == [("VLF", FRONT, "defined")]
    joined = evidence(known, f"The {FRONT} took the hill. Later the VLF withdrew.", [(FRONT, "ORG"), ("VLF", "ORG")])
    assert joined.acronyms == [("VLF", FRONT, "joined")]
    inside = evidence(known, f"The {FRONT} (VLF) took the hill.", [(f"{FRONT} (VLF)", "ORG")])  # the span took the brackets in
    assert inside.acronyms == [("VLF", FRONT, "defined")]
    assert Evidence.from_json(json.loads(json.dumps(found.as_json()))) == found


@pytest.mark.parametrize(
    ("places", "people", "decided"),
    [
        (5, 1, "place"),  # 5 of 6: the majority wins
        (4, 2, "place"),  # exactly two thirds
        (1, 5, "person"),  # the majority decides whichever kind it is
        (3, 1, None),  # 4 articles: too few to overrule one article's tagging
        (3, 3, None),  # no clear majority
        (6, 0, None),  # one kind already: nothing to decide
    ],
)
def test_a_kind_is_decided_by_a_clear_majority_of_enough_articles(known, places, people, decided):
    assert MIN_ARTICLES == 5 and MAJORITY == 2 / 3
    overlay = derive_overlay(kind_corpus(known, places, people), load_aliases())
    assert overlay.entries()["kind"] == ({"Vellorin": decided} if decided else {})
    if decided:
        kind, counts = overlay.kinds["Vellorin"]
        assert dict(counts) == {k: n for k, n in (("place", places), ("person", people)) if n}


def defining(known) -> Evidence:
    return evidence(known, f"Fighters of the {FRONT} (VLF) shelled the town.", [(FRONT, "ORG")])


def joining(known) -> Evidence:
    return evidence(known, f"The {FRONT} said the VLF would hold.", [(FRONT, "ORG"), ("VLF", "ORG")])


def alone(known) -> Evidence:
    return evidence(known, "The VLF attacked at dawn.", [("VLF", "ORG")])


@pytest.mark.parametrize(
    ("make", "merged"),
    [
        (lambda k: [defining(k), alone(k), alone(k)], True),  # defined once in brackets
        (lambda k: [joining(k)] * MIN_JOINED + [alone(k)], True),  # spelt beside it in enough articles
        (lambda k: [joining(k), alone(k), alone(k)], False),  # beside it once: not enough
        (lambda k: [alone(k), alone(k)], False),  # never expanded
    ],
)
def test_an_acronym_joins_the_full_name_the_corpus_gives_it(known, make, merged):
    overlay = derive_overlay(make(known), load_aliases())
    assert overlay.entries()["merge"] == ({FRONT: ["VLF"]} if merged else {})


def test_an_acronym_with_two_expansions_is_left_alone(known):
    other = evidence(known, "The Vintage Lute Federation (VLF) met in Rome.", [("Vintage Lute Federation", "ORG")])
    overlay = derive_overlay([defining(known), defining(known), other, alone(known)], load_aliases())
    assert overlay.entries()["merge"] == {}
    assert dict(overlay.ambiguous["VLF"]) == {FRONT: 2, "Vintage Lute Federation": 1}
    assert "#   VLF: Velloran Liberation Front (2), Vintage Lute Federation (1)" in overlay.toml()


def test_two_acronyms_of_one_full_name_share_its_line_and_the_file_reads_back(known):
    """Reuters defines both CBOT and CBT for the Chicago Board of Trade: one TOML key, or the file cannot be read."""
    board = "Kestrin Board of Trade"
    short, long = (evidence(known, f"Traders at the {board} ({a}) sold wheat.", [(board, "ORG")]) for a in ("KBT", "KBOT"))
    overlay = derive_overlay([short, long], load_aliases())
    text = overlay.toml()
    assert tomllib.loads(text)["merge"] == {board: ["KBOT", "KBT"]} == overlay.entries()["merge"]
    assert (
        f'"{board}" = ["KBOT", "KBT"]  # KBOT: defined in 1, spelt beside it in 0, alone in 0 articles; '
        "KBT: defined in 1, spelt beside it in 0, alone in 0 articles"
    ) in text
    aliases = load_aliases(None, ("corpus aliases", text))
    assert aliases.lookup("KBT") == aliases.lookup("KBOT") == board


@pytest.mark.parametrize("variant", ["Veloran Liberation Front", "Velloran Liberation Fronts", "Velloran Liberation-Front"])
def test_spellings_of_one_full_name_are_one_expansion_shown_as_the_most_frequent(known, variant):
    spelt = evidence(known, f"The {variant} (VLF) shelled the town.", [(variant, "ORG")])
    overlay = derive_overlay([defining(known), defining(known), spelt, alone(known)], load_aliases())
    assert overlay.entries()["merge"] == {FRONT: ["VLF"]}


@pytest.mark.parametrize(
    ("a", "b"),
    [("Generalised System of Preference", "Generalized System of Preferences"), ("International Business Machines", "International Business Machine")],
)
def test_plurals_and_ise_ize_are_one_expansion(known, a, b):
    acronym = "".join(w[0] for w in a.split() if w != "of")
    texts = [evidence(known, f"The {name} ({acronym}) said.", [(name, "ORG")]) for name in (a, a, b)]
    assert derive_overlay(texts, load_aliases()).entries()["merge"] == {a: [acronym]}


def test_a_definition_the_tagger_did_not_tag_counts_only_for_an_acronym_that_is_a_value(known):
    """"Net National Income (NNI)": words in brackets, no name; "the Kestrin Rebel Council (KRC)" untagged, KRC tagged elsewhere."""
    written = evidence(known, "Velloran Net Income (VNI) rose, and the Kestrin Rebel Council (KRC) met.", [])
    assert written.acronyms == [("KRC", "Kestrin Rebel Council", "written"), ("VNI", "Velloran Net Income", "written")]
    krc = evidence(known, "The KRC said the road was open.", [("KRC", "ORG")])
    assert derive_overlay([written, krc], load_aliases()).entries()["merge"] == {"Kestrin Rebel Council": ["KRC"]}
    assert derive_overlay([written], load_aliases()).entries()["merge"] == {}


def test_names_the_aliases_decide_are_never_in_the_corpus_aliases(known, tmp_path):
    user = tmp_path / "mine.toml"
    user.write_text('[kind]\n"Vellorin" = "person"\n[merge]\n"Vellorin Lute Forum" = ["VLF"]\n', encoding="utf-8")
    aliases = load_aliases(user)
    corpus = kind_corpus(known, 5, 1) + [defining(known), alone(known)]
    overlay = derive_overlay([evidence(known, PLACE_TEXT, [("Vellorin", "GPE")], aliases) for _ in range(5)] + corpus, aliases)
    assert overlay.entries() == {"merge": {}, "kind": {}}
    # the built-in aliases decide SDF and Palmyra already
    builtin = derive_overlay([evidence(known, "The Syrian Democratic Forces (SDF) advanced.", [("Syrian Democratic Forces", "ORG")])] * 3, load_aliases())
    assert builtin.merges == {}


def test_the_corpus_aliases_apply_between_the_built_in_and_the_users(known, tmp_path):
    overlay = derive_overlay(kind_corpus(known, 5, 1) + [defining(known), alone(known)], load_aliases())
    text = overlay.toml()
    assert tomllib.loads(text) == {"merge": {FRONT: ["VLF"]}, "kind": {"Vellorin": "place"}}
    assert '"Vellorin" = "place"  # place in 5 of 6 articles (person 1)' in text
    assert '"Velloran Liberation Front" = ["VLF"]  # VLF: defined in 1, spelt beside it in 0, alone in 1 articles' in text
    folder = tmp_path / "ix"
    folder.mkdir()
    (folder / CORPUS_ALIASES_FILE).write_text(text, encoding="utf-8")
    aliases = index_aliases(folder, None)
    paragraphs = [PERSON_TEXT + " The VLF attacked at dawn."]
    raw = raw_of(paragraphs, [("Vellorin", "PERSON"), ("VLF", "ORG")])
    assert {(m.name, m.kind) for m in relink(raw, paragraphs, "en", aliases, known)} == {("Vellorin", "place"), (FRONT, "org")}
    user = tmp_path / "mine.toml"
    user.write_text('[kind]\n"Vellorin" = "person"\n[merge]\n"Vellorin Lute Forum" = ["VLF"]\n', encoding="utf-8")
    mine = index_aliases(folder, user)
    assert {(m.name, m.kind) for m in relink(raw, paragraphs, "en", mine, known)} == {("Vellorin", "person"), ("Vellorin Lute Forum", "org")}
    # the digest says what is applied, not the evidence written beside it
    recounted = text.replace("place in 5 of 6", "place in 7 of 8")
    (folder / CORPUS_ALIASES_FILE).write_text(recounted, encoding="utf-8")
    assert index_aliases(folder, None).digest == aliases.digest != load_aliases().digest


@pytest.mark.parametrize(("acronym", "name", "expected"), [("HTS", "Hayat Tahrir al-Sham", True), ("OCHA", "UN Office for the Coordination of Humanitarian Affairs", True), ("SOHR", "Syrian Observatory for Human Rights", True), ("SDF", "Free Syrian Army", False), ("VLF", FRONT, True)])
def test_acronyms_are_the_initials_of_the_words_arabic_articles_skipped(acronym, name, expected):
    assert abbreviates(acronym, name) is expected


# ---------------------------------------------------------------------------------------------
# At the end of an indexing run


SCRIPT = {
    **{f"p{i}": (f"Shelling hit Vellorin on day {i}, residents said.", [("Vellorin", "GPE")]) for i in range(5)},
    "q1": ("Vellorin told reporters the talks had failed.", [("Vellorin", "PERSON")]),
    "d1": (f"Fighters of the {FRONT} (VLF) shelled Kestrin Ridge.", [(FRONT, "ORG")]),
    "a1": ("The VLF attacked at dawn near Oskarvale.", [("VLF", "ORG")]),
    "z1": ("Dorrin Talbek met Amsel Quorn in Geneva.", [("Dorrin Talbek", "PERSON"), ("Amsel Quorn", "PERSON")]),
    "s1": ("The VLFs commander spoke at dawn.", [("VLFs", "ORG")]),  # a possessive scraped without apostrophe
}


class ScriptedTagger:
    """Tags by the script's names, as NER would, linked under the aliases the run uses (the index's corpus aliases too)."""

    threads = 1

    def __init__(self, index_dir: Path, known, user_file: Path | None = None) -> None:
        self.index_dir, self.known, self.user_file = index_dir, known, user_file
        self.tagged: list[str] = []

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        return None

    def describe(self) -> str:
        return "scripted"

    def tag(self, batches, backlog=0):
        aliases = index_aliases(self.index_dir, self.user_file)
        for batch in batches:
            out = []
            for article in batch:
                raw = raw_of(article.paragraphs, SCRIPT[article.id][1])
                out.append(TaggedArticle(article, relink(raw, article.paragraphs, "en", aliases, self.known), [], "en", raw))
                self.tagged.append(article.id)
            yield out


def write_corpus(path: Path, ids: list[str]) -> Path:
    rows = [{"id": i, "title": f"Report {i}", "text": SCRIPT[i][0], "language": "en"} for i in ids]
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def values(index_dir: Path) -> dict[str, set[tuple[str, str]]]:
    from searchapp.query.search import SearchIndex

    index = SearchIndex(index_dir, read_only=True)
    with index.reading():
        return {
            s["id"]: {(m["name"], m["kind"]) for m in s["entities"]["mentions"] if m.get("facet", True)}
            for s in index.searcher().reader().all_stored_fields()
        }


def test_an_indexing_run_ends_with_the_pass_and_a_later_run_rewrites_only_what_changes(known, tmp_path):
    from searchapp.ingest.run import IndexOptions, index_paths

    index_dir = tmp_path / "ix"
    first = ["p0", "p1", "p2", "q1", "d1", "a1"]
    tagger = ScriptedTagger(index_dir, known)
    summary = index_paths([write_corpus(tmp_path / "one.jsonl", first)], index_dir, IndexOptions(processes=1), tagger=tagger)
    # 3 places and 1 person: too few articles for a kind; the acronym defined once joins its full name
    assert tomllib.loads((index_dir / CORPUS_ALIASES_FILE).read_text(encoding="utf-8")) == {"merge": {FRONT: ["VLF"]}, "kind": {}}
    # a1 names the front now; d1 holds VLF as a spelling of the front (a search for VLF finds it)
    assert "2 entries changed: normalised 2 articles again, rewrote 2" in summary.corpus
    assert values(index_dir)["a1"] == {(FRONT, "org")} and values(index_dir)["q1"] == {("Vellorin", "person")}

    # one more article that changes no entry: it is the only one read, nothing is rewritten
    second = ScriptedTagger(index_dir, known)
    summary = index_paths([write_corpus(tmp_path / "two.jsonl", first + ["z1"])], index_dir, IndexOptions(processes=1), tagger=second)
    assert second.tagged == ["z1"]
    assert "evidence gathered for 1" in summary.corpus and "unchanged, nothing rewritten" in summary.corpus

    # a fourth place article: Vellorin is a place in 4 of 5 articles, and the person article follows;
    # only the articles naming Vellorin are normalised again
    third = ScriptedTagger(index_dir, known)
    summary = index_paths([write_corpus(tmp_path / "three.jsonl", first + ["z1", "p3"])], index_dir, IndexOptions(processes=1), tagger=third)
    assert third.tagged == ["p3"]
    assert "1 entries changed: normalised 5 articles again, rewrote 1" in summary.corpus
    assert values(index_dir)["q1"] == {("Vellorin", "place")}
    assert values(index_dir)["z1"] == {("Dorrin Talbek", "person"), ("Amsel Quorn", "person")}


class GatheringTagger(ScriptedTagger):
    """As the real tagger does: each article's evidence gathered from the mentions it was just given."""

    def tag(self, batches, backlog=0):
        aliases = index_aliases(self.index_dir, self.user_file)
        for out in super().tag(batches, backlog):
            for tagged in out:
                tagged.evidence = tagging_evidence(tagged, aliases, self.known)
            yield out


def test_evidence_gathered_as_articles_are_tagged_spares_the_pass_reading_them_and_decides_the_same(known, tmp_path):
    from searchapp.ingest.run import IndexOptions, index_paths

    articles = ["p0", "p1", "p2", "q1", "d1", "a1"]
    outcomes = {}
    for name, tagger_class in (("stored", ScriptedTagger), ("tagging", GatheringTagger)):
        index_dir = tmp_path / name
        summary = index_paths(
            [write_corpus(tmp_path / f"{name}.jsonl", articles)],
            index_dir,
            IndexOptions(processes=1),
            tagger=tagger_class(index_dir, known),
        )
        kept = sorted((index_dir / CORPUS_EVIDENCE_FILE).read_text(encoding="utf-8").splitlines())
        outcomes[name] = (
            summary.corpus.split(" in ")[0].split("): ", 1)[1],
            (index_dir / CORPUS_ALIASES_FILE).read_text(encoding="utf-8"),
            kept,
            values(index_dir),
        )
        assert f"evidence gathered for {6 if name == 'stored' else 0})" in summary.corpus
        assert not (index_dir / (CORPUS_EVIDENCE_FILE + FRESH_SUFFIX)).exists()  # read into the kept file, then removed
    assert outcomes["tagging"] == outcomes["stored"]
    # the index now has corpus aliases: the tagger links under them, so the pass links the new article again itself
    index_dir = tmp_path / "tagging"
    summary = index_paths(
        [write_corpus(tmp_path / "more.jsonl", [*articles, "z1"])],
        index_dir,
        IndexOptions(processes=1),
        tagger=GatheringTagger(index_dir, known),
    )
    assert "evidence gathered for 1)" in summary.corpus


def test_a_line_of_evidence_cut_short_by_a_killed_run_is_gathered_again(known, tmp_path):
    from searchapp.ingest.run import IndexOptions, index_paths

    index_dir = tmp_path / "ix"
    index_paths(
        [write_corpus(tmp_path / "one.jsonl", ["p0", "p1"])], index_dir, IndexOptions(processes=1), tagger=ScriptedTagger(index_dir, known)
    )
    fresh = FreshEvidence(index_dir, load_aliases().digest)
    article = TaggedArticle(
        Article(id="p0", title="Report p0", paragraphs=[SCRIPT["p0"][0]], source="test"), raw=raw_of([SCRIPT["p0"][0]], SCRIPT["p0"][1])
    )
    article.mentions = relink(article.raw, article.article.paragraphs, "en", load_aliases(), known)
    stored_hash = json.loads((index_dir / CORPUS_EVIDENCE_FILE).read_text(encoding="utf-8").splitlines()[1])[1]
    fresh.add("p0", stored_hash, tagging_evidence(article, load_aliases(), known))
    fresh.close()
    text = (index_dir / (CORPUS_EVIDENCE_FILE + FRESH_SUFFIX)).read_text(encoding="utf-8")
    (index_dir / (CORPUS_EVIDENCE_FILE + FRESH_SUFFIX)).write_text(text[: len(text) - 9], encoding="utf-8")  # killed mid-line
    (index_dir / CORPUS_EVIDENCE_FILE).unlink()
    from searchapp.ingest.corpus import run_corpus_pass

    summary = run_corpus_pass(index_dir)
    assert "evidence gathered for 2)" in summary.corpus
    assert not (index_dir / (CORPUS_EVIDENCE_FILE + FRESH_SUFFIX)).exists()


def test_the_users_aliases_win_and_entities_shows_where_a_value_came_from(known, tmp_path):
    from click.testing import CliRunner

    from searchapp.cli import main
    from searchapp.ingest.run import IndexOptions, index_paths

    index_dir = tmp_path / "ix"
    ids = ["p0", "p1", "p2", "p3", "p4", "q1", "d1", "a1"]
    index_paths([write_corpus(tmp_path / "all.jsonl", ids)], index_dir, IndexOptions(processes=1), tagger=ScriptedTagger(index_dir, known))
    assert values(index_dir)["q1"] == {("Vellorin", "place")} and values(index_dir)["a1"] == {(FRONT, "org")}
    result = CliRunner().invoke(main, ["entities", "--index-dir", str(index_dir), "--limit", "0"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    front = next(i for i, line in enumerate(lines) if line.rstrip().endswith(FRONT) or f"  {FRONT}  <-" in line)
    assert lines[front + 1].strip() == "corpus: joins VLF: defined in 1, spelt beside it in 0, alone in 1 articles"
    place = next(i for i, line in enumerate(lines) if "  Vellorin  <-" in line)
    assert lines[place + 1].strip() == "corpus: kind place: place in 5 of 6 articles (person 1)"

    mine = tmp_path / "mine.toml"
    mine.write_text('[kind]\n"Vellorin" = "person"\n', encoding="utf-8")
    result = CliRunner().invoke(main, ["entities", "--index-dir", str(index_dir), "--apply-aliases", str(mine), "--json", "--limit", "0"])
    assert result.exit_code == 0, result.output
    listed = {(v["value"], v["kind"]): v for v in json.loads(result.stdout)["values"]}
    assert ("Vellorin", "person") in listed and ("Vellorin", "place") not in listed
    assert listed[(FRONT, "org")]["corpus"] == ["joins VLF: defined in 1, spelt beside it in 0, alone in 1 articles"]
    assert tomllib.loads((index_dir / CORPUS_ALIASES_FILE).read_text(encoding="utf-8")) == {"merge": {FRONT: ["VLF"]}, "kind": {}}


def test_the_pass_can_be_turned_off(known, tmp_path):
    from searchapp.ingest.run import IndexOptions, index_paths

    index_dir = tmp_path / "ix"
    ids = ["p0", "p1", "p2", "p3", "p4", "q1", "d1", "a1"]
    summary = index_paths([write_corpus(tmp_path / "all.jsonl", ids)], index_dir, IndexOptions(processes=1, corpus_pass=False), tagger=ScriptedTagger(index_dir, known))
    assert summary.corpus == "" and not (index_dir / CORPUS_ALIASES_FILE).exists()
    assert values(index_dir)["q1"] == {("Vellorin", "person")} and values(index_dir)["a1"] == {("VLF", "org")}


def test_arabic_articles_count_in_the_majority_and_follow_it(known):
    """An Arabic article's values come from the Arabic gazetteer under their English names (link_arabic): they vote and
    take the corpus's kind like any article; no acronym is read from Arabic script."""
    from searchapp.store.schema import ARABIC

    paragraphs = ["قال فيلورين إن المحادثات فشلت (VLF)"]
    raw = [("Vellorin", "PERSON", 0, 4, 11)]
    arabic = gather(raw, paragraphs, ARABIC, load_aliases(), known)
    assert arabic.values == [("Vellorin", "person")] and arabic.acronyms == []
    overlay = derive_overlay(kind_corpus(known, 4, 0) + [arabic], load_aliases())
    assert overlay.entries()["kind"] == {"Vellorin": "place"}  # place in 4 of 5
    aliases = load_aliases(None, ("corpus aliases", overlay.toml()))
    assert [(m.name, m.kind) for m in relink(raw, paragraphs, ARABIC, aliases, known)] == [("Vellorin", "place")]


@pytest.mark.parametrize(
    ("name", "damage"),
    [
        (CORPUS_ALIASES_FILE, '[kind]\n"Vellorin" = "people"\n'),  # edited by hand, wrongly
        (CORPUS_ALIASES_FILE, "[merge\n"),  # cut short
        ("corpus-evidence.json", '{"version": 2, "base": "x", "articles": {"a1": [1]'),
        ("corpus-evidence.json", "[]"),
        ("corpus-evidence.json", None),  # a line of it damaged

    ],
)
def test_damaged_corpus_files_are_written_again_and_never_stop_a_run(known, tmp_path, name, damage):
    from searchapp.ingest.run import IndexOptions, index_paths

    index_dir = tmp_path / "ix"
    ids = ["p0", "p1", "p2", "p3", "p4", "q1", "d1", "a1"]
    index_paths([write_corpus(tmp_path / "some.jsonl", ids[:-1])], index_dir, IndexOptions(processes=1), tagger=ScriptedTagger(index_dir, known))
    if damage is None:  # the header kept, the second article's line cut short
        lines = (index_dir / name).read_text(encoding="utf-8").splitlines()
        damage = "\n".join([lines[0], lines[1], lines[2][:20], *lines[3:]]) + "\n"
    (index_dir / name).write_text(damage, encoding="utf-8")
    summary = index_paths([write_corpus(tmp_path / "all.jsonl", ids)], index_dir, IndexOptions(processes=1), tagger=ScriptedTagger(index_dir, known))
    assert summary.added == 1 and summary.corpus_pass is not None
    assert tomllib.loads((index_dir / CORPUS_ALIASES_FILE).read_text(encoding="utf-8")) == {"merge": {FRONT: ["VLF"]}, "kind": {"Vellorin": "place"}}
    assert values(index_dir)["q1"] == {("Vellorin", "place")} and values(index_dir)["a1"] == {(FRONT, "org")}


def test_a_corpus_acronym_never_captures_a_name_that_shares_its_transliteration_key(known):
    """"NYSE" and "Nesi" share a key, "LIFFE" and "Life": the corpus's acronyms are looked up as written, never by key."""
    overlay = '[merge]\n"New York Stock Exchange" = ["NYSE"]\n"London International Financial Futures Exchange" = ["LIFFE"]\n'
    aliases = load_aliases(None, ("corpus aliases", overlay))
    paragraphs = ["Nerio Nesi said on Monday that Life would list on the NYSE and on LIFFE. Nesi spoke in Rome."]
    raw = raw_of(paragraphs, [("Nerio Nesi", "PERSON"), ("Nesi", "PERSON"), ("Life", "ORG"), ("NYSE", "ORG"), ("LIFFE", "ORG")])
    assert {(m.name, m.kind) for m in relink(raw, paragraphs, "en", aliases, known) if m.facet} == {
        ("Nerio Nesi", "person"), ("Life", "org"), ("New York Stock Exchange", "org"), ("London International Financial Futures Exchange", "org"),
    }  # fmt: skip


def test_evaluate_scores_the_gold_articles_after_the_pass_over_them(known):
    """searchapp evaluate: the gold set is the corpus; its articles come out as an index of them would hold them."""
    from searchapp.ingest.corpus import apply_to_tagged
    from searchapp.ingest.models import Article

    tagged = []
    for article_id in ("p0", "p1", "p2", "p3", "q1", "d1", "a1"):
        text, names = SCRIPT[article_id]
        raw = raw_of([text], names)
        tagged.append(TaggedArticle(Article(article_id, "", [text], "gold"), relink(raw, [text], "en", load_aliases(), known), [], "en", raw))
    out, overlay = apply_to_tagged(tagged, load_aliases(), known)
    assert overlay.entries() == {"merge": {FRONT: ["VLF"]}, "kind": {"Vellorin": "place"}}  # a place in 4 of 5
    assert {(m.name, m.kind) for m in tagged[4].mentions} == {("Vellorin", "person")}
    assert {(m.name, m.kind) for m in out[4].mentions} == {("Vellorin", "place")}
    assert {(m.name, m.kind) for m in out[-1].mentions if m.facet} == {(FRONT, "org")}
    assert [t.mentions for t in out[:4]] == [t.mentions for t in tagged[:4]]


def test_entities_corpus_pass_runs_it_alone_and_dry_run_writes_nothing(known, tmp_path):
    from click.testing import CliRunner

    from searchapp.cli import main
    from searchapp.ingest.run import IndexOptions, index_paths

    index_dir = tmp_path / "ix"
    ids = ["p0", "p1", "p2", "p3", "p4", "q1", "d1", "a1"]
    index_paths([write_corpus(tmp_path / "all.jsonl", ids)], index_dir, IndexOptions(processes=1, corpus_pass=False), tagger=ScriptedTagger(index_dir, known))
    before = values(index_dir)
    result = CliRunner().invoke(main, ["entities", "--index-dir", str(index_dir), "--corpus-pass", "--dry-run", "--limit", "1"])
    assert result.exit_code == 0, result.output
    # q1 re-kinded, a1 joined, d1 holding VLF as a spelling of the front
    assert "would rewrite 3 " in result.stderr and "  Vellorin (person) -> Vellorin (place): 1 article" in result.stderr
    assert sorted(p.name for p in index_dir.iterdir() if p.name.startswith("corpus")) == [] and values(index_dir) == before
    result = CliRunner().invoke(main, ["entities", "--index-dir", str(index_dir), "--corpus-pass", "--limit", "1"])
    assert result.exit_code == 0, result.output
    assert "rewrote 3 " in result.stderr
    assert values(index_dir)["q1"] == {("Vellorin", "place")} and values(index_dir)["a1"] == {(FRONT, "org")}
    assert sorted(p.name for p in index_dir.iterdir() if p.name.startswith("corpus")) == ["corpus-aliases.toml", "corpus-evidence.json"]
    result = CliRunner().invoke(main, ["entities", "--index-dir", str(index_dir), "--dry-run"])
    assert result.exit_code == 2 and "--dry-run needs --apply-aliases TOML or --corpus-pass" in result.output


def test_the_first_pass_on_an_index_of_an_older_version_normalises_every_article(known, tmp_path):
    """An index the pass never ran on (its articles normalised by an older searchapp: other spelling keys) is brought
    up to date by its first run, even where no corpus alias touches an article."""
    from searchapp.ingest.run import IndexOptions, index_paths

    index_dir = tmp_path / "ix"
    ids = ["p0", "p1", "p2", "p3", "p4", "q1", "d1", "a1"]
    index_paths([write_corpus(tmp_path / "some.jsonl", ids)], index_dir, IndexOptions(processes=1, corpus_pass=False), tagger=ScriptedTagger(index_dir, known))
    summary = index_paths([write_corpus(tmp_path / "all.jsonl", [*ids, "z1"])], index_dir, IndexOptions(processes=1), tagger=ScriptedTagger(index_dir, known))
    assert summary.corpus_pass.renormalised == 9 and summary.corpus_pass.rewritten == 3  # q1, a1, d1


def test_an_article_naming_an_entry_only_by_its_scraped_possessive_is_normalised_again(known, tmp_path):
    from searchapp.ingest.run import IndexOptions, index_paths

    index_dir = tmp_path / "ix"
    index_paths([write_corpus(tmp_path / "one.jsonl", ["s1", "a1"])], index_dir, IndexOptions(processes=1), tagger=ScriptedTagger(index_dir, known))
    assert values(index_dir)["s1"] == {("VLFs", "org")}  # nothing says what VLF is yet
    summary = index_paths([write_corpus(tmp_path / "two.jsonl", ["s1", "a1", "d1"])], index_dir, IndexOptions(processes=1), tagger=ScriptedTagger(index_dir, known))
    assert "normalised 3 articles again" in summary.corpus
    assert values(index_dir)["s1"] == {(FRONT, "org")} and values(index_dir)["a1"] == {(FRONT, "org")}


def test_an_acronym_tagged_another_kind_where_it_stands_alone_takes_the_full_names(known):
    person = evidence(known, "VLF told reporters the talks had failed.", [("VLF", "PERSON")])
    assert person.values == [("VLF", "person")]
    overlay = derive_overlay([defining(known), defining(known), person], load_aliases())
    assert overlay.entries() == {"merge": {FRONT: ["VLF"]}, "kind": {FRONT: "org"}}
    aliases = load_aliases(None, ("corpus aliases", overlay.toml()))
    paragraphs = ["VLF told reporters the talks had failed."]
    assert [(m.name, m.kind) for m in relink(raw_of(paragraphs, [("VLF", "PERSON")]), paragraphs, "en", aliases, known)] == [(FRONT, "org")]


def test_on_a_sharded_index_the_pass_weighs_every_shard_and_rewrites_each(known, tmp_path):
    from searchapp.ingest.run import IndexOptions, index_paths
    from searchapp.store.shards import route, shard_dirs

    ids = ["p0", "p1", "p2", "p3", "q1", "d1", "a1"]
    # the place articles lie in three shards; the person article in a shard with one of them only
    assert {route(i, 3) for i in ("p0", "p1", "p2", "p3")} == {0, 1, 2} and route("q1", 3) == 2
    index_dir = tmp_path / "ix"
    summary = index_paths([write_corpus(tmp_path / "c.jsonl", ids)], index_dir, IndexOptions(processes=1, shards=3), tagger=ScriptedTagger(index_dir, known))
    assert tomllib.loads((index_dir / CORPUS_ALIASES_FILE).read_text(encoding="utf-8")) == {"merge": {FRONT: ["VLF"]}, "kind": {"Vellorin": "place"}}
    assert "normalised" in summary.corpus
    merged: dict[str, set] = {}
    for shard in shard_dirs(index_dir):
        merged.update(values(shard))
    assert sorted(merged) == sorted(ids)
    # Vellorin is a place in 4 of 5 articles over the shards: the person article in shard 2 follows
    assert merged["q1"] == {("Vellorin", "place")} and merged["a1"] == {(FRONT, "org")}


@pytest.mark.slow
def test_on_fakes_the_evidence_tagging_gathered_is_what_the_stored_articles_give(fakes_index, known):
    """FA-KES dev (CC BY: Abu Salem et al., ICWSM 2019) tagged by spaCy in 2 processes: every article's kept
    evidence (gathered by the workers as tagging ended) equals the evidence linked again from what the index stores."""
    from searchapp.ingest.corpus import _kept_evidence
    from searchapp.ingest.models import raw_from_json
    from searchapp.store.index import open_index
    from tests.conftest import BUILD_SUMMARIES

    assert "evidence gathered for 0)" in BUILD_SUMMARIES[fakes_index].corpus  # all of it came from the tagging workers
    base = load_aliases()
    kept = {article_id: data for article_id, _, data in _kept_evidence(fakes_index / CORPUS_EVIDENCE_FILE, base)}
    assert len(kept) == 379
    with open_index(fakes_index).searcher() as searcher:
        for stored in searcher.reader().all_stored_fields():
            paragraphs = list(stored["paragraphs"])
            raw = raw_from_json(stored["entities"]["raw"], paragraphs)
            assert kept[stored["id"]] == gather(raw, paragraphs, stored.get("language"), base, known).as_json(), stored["id"]
