"""The facet controls in a real browser: `searchapp serve` (gunicorn) and Debian's headless Chromium,
scripts off (the page has none): chart bars add a chip, facet search and "all of" work by the form
alone, and on a phone "Filters (n)" comes before the first result.

Skipped when /usr/bin/chromium is missing, unless $CI is set (then it fails).  Screenshots go to
test-artifacts/ (git-ignored).
"""

from __future__ import annotations

import os

import pytest

from tests.web.serving import CHROMIUM, launched_chromium, running_server
from tests.web.test_browser import ARTIFACTS

pytestmark = [pytest.mark.browser, pytest.mark.slow]

if not CHROMIUM.exists() and not os.environ.get("CI"):
    pytest.skip("no /usr/bin/chromium (apt-get install chromium); set CI=1 to make this a failure", allow_module_level=True)


@pytest.fixture(scope="module")
def server(sample_index):
    ARTIFACTS.mkdir(exist_ok=True)
    with running_server(sample_index, ARTIFACTS / "serve-facets.log") as port:
        yield f"http://127.0.0.1:{port}"


def open_page(browser, width: int, height: int):
    context = browser.new_context(viewport={"width": width, "height": height}, java_script_enabled=False)
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    return context, page, errors


@pytest.fixture()
def desktop(browser):
    context, page, errors = open_page(browser, 1280, 900)
    yield page
    context.close()
    assert not errors, f"console errors (CSP violations?): {errors}"


@pytest.fixture()
def phone(browser):
    context, page, errors = open_page(browser, 390, 844)
    yield page
    context.close()
    assert not errors, f"console errors (CSP violations?): {errors}"


def chips(page) -> list[str]:
    return [c.replace("\n", " ") for c in page.locator(".chips a.chip").all_inner_texts()]


def total(page) -> int:
    return int(page.locator("h2.total").inner_text().split()[0])


def test_clicking_a_chart_bar_adds_a_chip_and_narrows_the_results(server, desktop):
    page = desktop
    page.goto(server + "/?q=Syria")
    assert total(page) == 5 and chips(page) == []
    # on a wide screen the filters are open and their disclosure's summary is not shown
    assert page.locator("#facet-actor").is_visible() and not page.locator("summary.filters-toggle").is_visible()

    page.locator("figure.timeline a[aria-label='2016: 3 articles']").click()
    page.wait_for_url("**published=2016")
    assert chips(page) == ["Published: 2016 ×"]
    assert total(page) == 3 and page.locator("ol.hits > li").count() == 3
    assert page.locator("#q").input_value() == "Syria"  # the query box is left as typed

    # the year is now drawn by month: a month bar replaces the period
    page.locator("figure.timeline a[aria-label='2016-04: 1 article']").click()
    page.wait_for_url("**published=2016-04")
    assert chips(page) == ["Published: April 2016 ×"]
    assert page.locator(".hit-title a").all_inner_texts() == ["UN asks Russia, US to intervene at 'highest level' to save Syria talks"]
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "search-published-chip.png"), full_page=True)

    # the period is kept when a facet is ticked, and the chip removes it
    page.locator("#facet-outlet").get_by_label("Press TV").check()
    page.get_by_role("button", name="Apply filters").click()
    page.wait_for_url("**outlet=Press+TV**")
    assert chips(page) == ["Outlet: Press TV ×", "Published: April 2016 ×"] and total(page) == 1
    page.get_by_role("link", name="Remove filter Published: April 2016").click()
    page.wait_for_url(lambda url: "published" not in url)
    assert chips(page) == ["Outlet: Press TV ×"] and total(page) == 2


def test_facet_search_and_all_of_work_without_script(server, desktop):
    page = desktop
    page.goto(server + "/?q=Syria")
    actor = page.locator("#facet-actor")
    assert not actor.get_by_label("Vladimir Putin").count()  # not among the ten most named
    actor.get_by_label("Sergei Lavrov").check()
    # Enter in the facet's box submits the whole form: the tick is kept, the list narrowed
    actor.get_by_role("searchbox", name="Find actors containing").fill("putin")
    actor.get_by_role("searchbox", name="Find actors containing").press("Enter")
    page.wait_for_url("**actor_find=putin**")
    assert page.locator("#facet-actor .facet-values bdi").all_inner_texts() == ["Vladimir Putin", "Sergei Lavrov"]
    assert page.locator("#facet-actor input[value='Sergei Lavrov']").is_checked()
    assert chips(page) == ["Actors: Sergei Lavrov ×"] and page.locator("#q").input_value() == "Syria"

    # the Find button lists every match a page at a time ("more")
    page.locator("#facet-actor").get_by_role("searchbox", name="Find actors containing").fill("SYRIAN")
    page.locator("#facet-actor").get_by_role("button", name="Find actors").click()
    page.wait_for_url(lambda url: "more=actor" in url and url.endswith("#facet-actor"))  # the page opens at the facet
    assert page.locator("#facet-actor .facet-values bdi").all_inner_texts() == [
        "Sergei Lavrov", "Syrian Arab Army", "Syrian government", "Syrian Center for Policy Research", "Syrian National Army"
    ]  # fmt: skip
    assert page.locator("#facet-actor .facet-range").inner_text() == "1–4 of 4"

    # two places, "all of": articles naming both
    page.goto(server + "/")
    place = page.locator("#facet-place")
    place.get_by_label("Geneva").check()
    place.get_by_label("Idlib").check()
    page.get_by_role("button", name="Apply filters").click()
    page.wait_for_url("**place=Idlib**")
    assert total(page) == 4 and chips(page) == ["Places (any of): Geneva ×", "Places (any of): Idlib ×"]
    page.locator("#facet-place").get_by_label("match all ticked (AND), not any").check()
    page.get_by_role("button", name="Apply filters").click()
    page.wait_for_url("**place_op=all**")
    assert total(page) == 2 and chips(page) == ["Places (all of): Geneva ×", "Places (all of): Idlib ×"]
    page.get_by_role("link", name="Places: match any instead").click()
    page.wait_for_url(lambda url: "place_op" not in url)
    assert total(page) == 4


def test_on_a_phone_filters_n_comes_before_the_first_result(server, phone):
    page = phone
    page.goto(server + "/?q=Syria&outlet=Press+TV&published=2016")
    summary = page.get_by_text("Filters (2)", exact=True)
    assert summary.is_visible()
    first_hit = page.locator("ol.hits > li").first
    top = summary.bounding_box()["y"]
    assert top < first_hit.bounding_box()["y"] and top + summary.bounding_box()["height"] < 844  # on the first screen
    assert not page.locator("#facet-outlet").is_visible()  # closed: the results follow at once
    assert first_hit.bounding_box()["y"] < 844
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "search-phone-filters-closed.png"), full_page=False)

    summary.click()
    assert page.locator("#facet-outlet").is_visible() and page.locator("#facet-outlet input[value='Press TV']").is_checked()
    assert page.locator("#facet-actor").is_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390  # nothing wider than the screen
    page.screenshot(path=str(ARTIFACTS / "search-phone-filters-open.png"), full_page=True)
    # ticking a value and applying keeps the period, and the count follows
    page.locator("#facet-year").get_by_label("2016").check()
    page.get_by_role("button", name="Apply filters").click()
    page.wait_for_url("**year=2016**")
    assert page.get_by_text("Filters (3)", exact=True).is_visible() and "published=2016" in page.url


@pytest.fixture(scope="module")
def fakes_server(tmp_path_factory):
    """`searchapp serve` over FA-KES dev (../shared/corpora/fakes-dev, CC BY: Abu Salem et al., ICWSM 2019)."""
    from searchapp.ingest.run import IndexOptions, index_paths
    from tests.web.test_facet_controls import FAKES

    if not FAKES.exists():
        pytest.skip("needs ../shared/corpora/fakes-dev")
    folder = tmp_path_factory.mktemp("fakes-served")
    assert index_paths([FAKES], folder, IndexOptions(processes=2)).indexed == 379
    ARTIFACTS.mkdir(exist_ok=True)
    with running_server(folder, ARTIFACTS / "serve-fakes.log") as port:
        yield f"http://127.0.0.1:{port}"


def test_fakes_on_a_phone_the_filters_are_on_the_first_screen(fakes_server, phone):
    page = phone
    page.goto(fakes_server + "/?q=ceasefire")
    summary = page.get_by_text("Filters (0)", exact=True)
    first_hit = page.locator("ol.hits > li").first
    # the issue measured the filters about 4,300 px down, after every result
    assert summary.bounding_box()["y"] < 400 < first_hit.bounding_box()["y"] < 844
    summary.click()
    page.locator("#facet-actor a.more").click()
    page.wait_for_url("**more=actor**")
    assert page.locator("#facet-actor .facet-values input").count() <= 100
    assert page.get_by_text("Filters (0)", exact=True).is_visible() and page.locator("#facet-actor").is_visible()  # stays open
    box = page.locator("#facet-actor").get_by_role("searchbox", name="Find actors containing")
    box.fill("ASSAD")
    box.press("Enter")
    page.wait_for_url("**actor_find=ASSAD**")
    names = page.locator("#facet-actor .facet-values bdi").all_inner_texts()
    assert "Bashar al-Assad" in names and all("assad" in n.casefold() for n in names)
    page.screenshot(path=str(ARTIFACTS / "search-phone-fakes-actors.png"), full_page=False)


def test_fakes_a_chart_bar_narrows_to_its_period(fakes_server, desktop):
    page = desktop
    page.goto(fakes_server + "/?q=ceasefire")
    bar = page.locator("figure.timeline a.bar-link", has=page.locator("text.bar-count")).first  # a bar with articles
    label = bar.get_attribute("aria-label")  # "2013: 14 articles"
    period, count = label.split(": ")[0], int(label.split(": ")[1].split()[0])
    bar.click()
    page.wait_for_url(f"**published={period}")
    assert total(page) == count and page.locator("#q").input_value() == "ceasefire"
    assert [c.split(":")[0] for c in chips(page)] == ["Published"]


@pytest.fixture(scope="module")
def browser():
    with launched_chromium() as launched:
        yield launched
