"""The real thing: `searchapp serve` (gunicorn) driven by Debian's headless Chromium through Playwright.

Skipped when /usr/bin/chromium is missing, unless $CI is set (then it fails).  Screenshots go
to test-artifacts/ (git-ignored).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.web.serving import CHROMIUM, launched_chromium, running_server

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"

pytestmark = [pytest.mark.browser, pytest.mark.slow]

if not CHROMIUM.exists() and not os.environ.get("CI"):
    pytest.skip("no /usr/bin/chromium (apt-get install chromium); set CI=1 to make this a failure", allow_module_level=True)


@pytest.fixture(scope="module")
def server(sample_index):
    """`searchapp serve` (gunicorn, 2 workers) on a free loopback port over the sample index; its base URL."""
    yield from _serve(sample_index)


@pytest.fixture(scope="module")
def arabic_server(tmp_path_factory):
    """`searchapp serve` over the Arabic fixture of tests/web/test_arabic.py (and its one English article)."""
    import json

    from searchapp.ingest.run import IndexOptions, index_paths
    from tests.web.test_arabic import ARTICLES

    folder = tmp_path_factory.mktemp("arabic-served")
    source = folder / "arabic.jsonl"
    source.write_text("\n".join(json.dumps(a, ensure_ascii=False) for a in ARTICLES), encoding="utf-8")
    index_paths([source], folder / "index", IndexOptions(processes=1))
    yield from _serve(folder / "index")


def _serve(index_dir: Path):
    ARTIFACTS.mkdir(exist_ok=True)
    with running_server(index_dir, ARTIFACTS / "serve.log") as port:
        yield f"http://127.0.0.1:{port}"


@pytest.fixture()
def page(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, java_script_enabled=False)
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    yield page
    context.close()
    assert not errors, f"console errors (CSP violations?): {errors}"


def test_search_filter_open_and_follow_an_entity(server, page):
    ARTIFACTS.mkdir(exist_ok=True)
    page.goto(server + "/")
    page.get_by_role("searchbox", name="Search the archive").fill("Idlib ceasefire")
    page.get_by_role("searchbox", name="Search the archive").press("Enter")
    page.wait_for_url("**/?q=Idlib+ceasefire**")
    assert page.locator("h2.total").inner_text().startswith("2 articles match")

    # tick an outlet and a year, then apply (no script: the form is submitted by the button)
    page.locator("#facet-outlet").get_by_label("Teller Report").check()
    page.locator("#facet-year").get_by_label("2020").check()
    page.get_by_role("button", name="Apply filters").click()
    page.wait_for_url("**outlet=Teller+Report**")
    assert "year=2020" in page.url
    chips = page.locator(".chips a.chip").all_inner_texts()
    assert [c.replace("\n", " ") for c in chips] == ["Outlet: Teller Report ×", "Year published: 2020 ×"]
    assert page.locator(".hit mark").count() >= 2
    page.screenshot(path=str(ARTIFACTS / "search.png"), full_page=True)

    # open the result: it lands on its best paragraph, which is the URL target and holds a <mark>
    page.locator(".hit-title a").first.click()
    page.wait_for_url("**/doc/**#p6")
    target = page.locator("p.para:target")
    assert target.get_attribute("id") == "p6"
    assert target.locator("mark").count() >= 1
    assert target.locator("mark").first.inner_text() == "Idlib"
    page.screenshot(path=str(ARTIFACTS / "document.png"), full_page=False)

    # follow an entity link back to a filtered search
    page.locator("#p1 a.entity-person", has_text="Vladimir Putin").click()
    page.wait_for_url("**/?actor=Vladimir+Putin")
    assert page.locator(".chips a.chip").inner_text().replace("\n", " ") == "Actors: Vladimir Putin ×"
    assert page.locator("#facet-actor input[value='Vladimir Putin']").is_checked()
    assert page.locator("ol.hits > li").count() == int(page.locator("h2.total").inner_text().split()[0])


def test_keyboard_and_phone_width(server, browser):
    context = browser.new_context(viewport={"width": 390, "height": 844}, java_script_enabled=False)
    page = context.new_page()
    try:
        page.goto(server + "/?q=Syria")
        page.keyboard.press("Tab")
        focused = page.locator(":focus")
        assert focused.inner_text() == "Skip to content"
        # nothing wider than the phone screen
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "search-phone.png"), full_page=True)
    finally:
        context.close()


def test_bad_query_shows_a_message_beside_the_box(server, browser):
    context = browser.new_context(java_script_enabled=False)  # the 400 itself is logged: no console check
    page = context.new_page()
    try:
        response = page.goto(server + "/?q=%3Cscript%3Edate:notadate")  # markup around an unreadable date
        assert response.status == 400
        assert page.locator("#q-error").inner_text().startswith("Cannot search:")
        assert page.locator("#q").input_value() == "<script>date:notadate"
        assert page.get_by_role("searchbox", name="Search the archive").get_attribute("aria-invalid") == "true"
    finally:
        context.close()


def test_arabic_result_and_document_pages_run_right_to_left(arabic_server, page):
    """Arabic titles and snippets are laid out right to left, in a face that has Arabic glyphs, marks on the right words."""
    ARTIFACTS.mkdir(exist_ok=True)
    page.goto(arabic_server + "/?q=" + "هدنه")
    assert page.locator("h2.total").inner_text().startswith("2 articles match")
    title = page.locator("h3.hit-title").first
    assert title.evaluate("e => getComputedStyle(e).direction") == "rtl"
    # right-aligned: the title's text ends at the right edge of its box, not the left
    box = title.bounding_box()
    text_box = title.locator("a").bounding_box()
    assert box["x"] + box["width"] - (text_box["x"] + text_box["width"]) < 2
    assert sorted(page.locator(".hit .snippet mark").all_inner_texts()) == sorted(["الهدنه", "والهدنة"])
    assert page.evaluate("document.fonts.check('16px \"DejaVu Sans\"', 'هدنة')")
    assert page.locator("#facet-language bdi").all_inner_texts() == ["Arabic"]
    page.screenshot(path=str(ARTIFACTS / "search-arabic.png"), full_page=True)

    page.locator(".hit-title a").first.click()
    page.wait_for_url("**/doc/**")
    assert page.locator("h1#doc-title").evaluate("e => getComputedStyle(e).direction") == "rtl"
    assert page.locator("div.paragraphs").evaluate("e => getComputedStyle(e).direction") == "rtl"
    assert page.locator("div.paragraphs mark").count() == 1
    page.screenshot(path=str(ARTIFACTS / "document-arabic.png"), full_page=False)


def test_a_snippet_link_lands_on_its_passage_marked_in_the_document(server, page):
    page.goto(server + "/?q=Idlib+ceasefire")
    second = page.locator(".hit").first.locator(".snippet a.para-link").nth(1)
    href = second.get_attribute("href")
    assert "passage=16%3A" in href and href.endswith("#p16")
    second.click()
    page.wait_for_url("**/doc/**#p16")
    passage = page.locator("mark.passage:target")  # the passage carries the paragraph's anchor
    assert passage.get_attribute("id") == "p16"
    assert passage.locator("mark").all_inner_texts() == ["Idlib", "ceasefire"]
    # scrolled to: the passage is inside the viewport, below the page's top
    box = passage.bounding_box()
    viewport = page.viewport_size
    assert page.evaluate("window.scrollY") > 0
    assert box["y"] >= 0 and box["y"] + min(box["height"], 100) <= viewport["height"]
    # marked: its background is not the paragraph's
    background = passage.evaluate("m => getComputedStyle(m).backgroundColor")
    assert background not in ("rgba(0, 0, 0, 0)", "transparent")
    assert passage.evaluate("m => getComputedStyle(m).outlineStyle") == "solid"
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "document-passage.png"), full_page=False)


@pytest.fixture(scope="module")
def browser():
    with launched_chromium() as launched:
        yield launched
