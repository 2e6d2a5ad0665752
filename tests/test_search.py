"""Search, the archive filters and the effective dates in Chromium, on the shipped site:
what a reader finds by typing and choosing, what the URL holds, what the back button
restores, what a reader without JavaScript gets, and axe-core on each page.

Expected results come from the entries themselves, through a small reference matcher
here (every query word a substring of the folded item), not from the script."""

from __future__ import annotations

import json
import re
import subprocess
import unicodedata
from pathlib import Path
from urllib.parse import quote

import pytest
from conftest import BASIC, SHIPPED, axe_violations, build_into, serving
from playwright.sync_api import Page, expect

from digest.build import check
from digest.model import Site
from digest.searchindex import plain_text

PUTUO = "supermarkets-use-facial-recognition-to-prevent-thieves"
WIDTHS = (375, 1280)
SHOWN = 50  # results the page shows before "Show more"


@pytest.fixture(scope="module")
def shipped() -> Site:
    site, problems = check(SHIPPED)
    assert problems == [] and site is not None
    return site


def fold(text: str) -> str:
    return unicodedata.normalize("NFKC", text).casefold()


def expected(site: Site, query: str) -> list[str]:
    """The ids an item search for `query` must find: title matches first, then newest
    first (the chronology)."""
    words = fold(query).split()
    found = []
    for rank, eid in enumerate(site.chronology):
        e = site.entries[eid]
        names = [
            part
            for key in e.agencies
            for part in (key, site.agencies[key].name, site.agencies[key].name_zh or "")
        ]
        hay = fold("\n".join([e.title, e.title_zh or "", plain_text(e.html), *names, *e.tags]))
        if all(w in hay for w in words):
            title = fold(e.title + "\n" + (e.title_zh or ""))
            found.append((-sum(w in title for w in words), rank, eid))
    return [eid for *_, eid in sorted(found)]


@pytest.fixture
def page(browser):
    """A fresh page that records console errors and failed requests."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.errors = []
    page.on("console", lambda m: m.type == "error" and page.errors.append(m.text))
    page.on("pageerror", lambda e: page.errors.append(str(e)))
    # A request the next navigation cut short (the icon, say) is not a failure of the
    # site; any other is, and so is any 4xx or 5xx answer.
    page.on(
        "requestfailed",
        lambda r: r.failure != "net::ERR_ABORTED" and page.errors.append(f"failed: {r.url}"),
    )
    page.on("response", lambda r: r.status >= 400 and page.errors.append(f"{r.status}: {r.url}"))
    yield page
    context.close()


def result_ids(page: Page) -> list[str]:
    links = page.locator("#search-results > li h2 a")
    return [(links.nth(i).get_attribute("href") or "").split("/")[2] for i in range(links.count())]


def row_ids(page: Page) -> list[str]:
    links = page.locator("li.row:visible > a")
    return [(links.nth(i).get_attribute("href") or "").split("/")[2] for i in range(links.count())]


def results_for(page: Page, base: str, query: str, count: int) -> list[str]:
    """Open the search page for `query`; wait until it reports `count` results."""
    page.goto(f"{base}search/?q={quote(query)}")
    label = "result" if count == 1 else "results"
    expect(page.locator("#search-status")).to_have_text(
        re.compile(rf"^{count} {label} for “{re.escape(query)}”")
    )
    return result_ids(page)


def test_searching_facial_recognition_from_the_masthead(
    page: Page, served_site: str, shipped: Site
) -> None:
    want = expected(shipped, "facial recognition")
    assert want[0] == PUTUO
    page.goto(served_site)
    box = page.get_by_role("searchbox", name="Search")
    box.fill("facial recognition")
    box.press("Enter")
    expect(page).to_have_url(served_site + "search/?q=facial+recognition")
    status = page.locator("#search-status")
    expect(status).to_have_text(re.compile("for “facial recognition”"))
    assert result_ids(page) == want
    first = page.locator("#search-results > li").first
    expect(first.locator("h2 a")).to_have_text(shipped.entries[PUTUO].title)
    assert first.locator("h2 mark").all_inner_texts() == ["Facial", "Recognition"]
    assert "facial" in [m.lower() for m in first.locator(".snippet mark").all_inner_texts()]
    expect(first.locator(".meta")).to_have_text(
        "March 2023 · Courts Litigation · Putuo Procuratorate"
    )
    first.get_by_role("link", name=shipped.entries[PUTUO].title).click()
    expect(page).to_have_url(served_site + f"entries/{PUTUO}/")
    assert page.errors == []


def test_the_agency_facet_narrows_the_results(page: Page, served_site: str, shipped: Site) -> None:
    query = "information"
    want = expected(shipped, query)
    cac = [eid for eid in want if "CAC" in shipped.entries[eid].agencies]
    assert 0 < len(cac) < len(want)
    assert results_for(page, served_site, query, len(want)) == want[:SHOWN]
    agency = page.get_by_label("Agency", exact=True)
    cac_option = f"CAC: Cyberspace Administration of China ({len(cac)})"
    assert f"All agencies ({len(want)})" in agency.locator("option").all_inner_texts()
    assert cac_option in agency.locator("option").all_inner_texts()

    agency.select_option("CAC")
    status = page.locator("#search-status")
    expect(status).to_have_text(
        f"{len(cac)} results for “{query}” in CAC: Cyberspace Administration of China."
    )
    assert page.url == served_site + "search/?q=information&agency=CAC"
    assert result_ids(page) == cac[:SHOWN]
    # The other facets count within CAC's results now; each item has one section.
    sections = page.get_by_label("Section", exact=True).locator("option").all_inner_texts()
    assert sections[0] == f"All sections ({len(cac)})"
    assert sum(int(re.search(r"\((\d+)\)$", s)[1]) for s in sections[1:]) == len(cac)

    page.go_back()
    expect(status).to_have_text(re.compile(rf"^{len(want)} results for “{query}”\.$"))
    assert page.url == served_site + "search/?q=information"
    expect(agency).to_have_value("")
    assert result_ids(page) == want[:SHOWN]
    page.go_forward()
    expect(status).to_have_text(re.compile(rf"^{len(cac)} results"))
    expect(agency).to_have_value("CAC")
    assert page.errors == []


def test_a_chinese_substring_of_an_agency_name_finds_its_items(
    page: Page, served_site: str, shipped: Site
) -> None:
    # 网信 is inside 国家互联网信息办公室 (the CAC) and the provincial offices' names.
    named = {k for k, a in shipped.agencies.items() if a.name_zh and "网信" in a.name_zh}
    assert "CAC" in named
    want = [eid for eid in shipped.chronology if named & set(shipped.entries[eid].agencies)]
    assert want == expected(shipped, "网信") and want
    assert results_for(page, served_site, "网信", len(want)) == want
    # Width and case folded: full-width ＣＡＣ finds what cac does.
    cac = expected(shipped, "cac")
    assert results_for(page, served_site, "ＣＡＣ", len(cac)) == cac[:SHOWN]
    assert page.errors == []


def test_a_chinese_title_is_shown_and_found(browser, tmp_path: Path) -> None:
    out = build_into(BASIC, tmp_path / "site")
    with serving(out) as base:
        page = browser.new_page()
        errors: list[str] = []
        page.on("console", lambda m: m.type == "error" and errors.append(m.text))
        page.goto(base + "search/?q=" + quote("执法程序"))
        expect(page.locator("#search-status")).to_have_text("1 result for “执法程序”.")
        assert result_ids(page) == ["cac-enforcement-procedures"]
        zh = page.locator("#search-results > li .title-zh")
        expect(zh).to_have_attribute("lang", "zh-Hans")
        expect(zh).to_have_text("网信部门行政执法程序规定")
        expect(zh.locator("mark")).to_have_text("执法程序")
        # The title's angle brackets stay text: the data never becomes markup.
        expect(page.locator("#search-results > li h2 a")).to_have_text(
            "CAC Issues Enforcement Procedures <for> Cyberspace Administrations"
        )
        page.close()
        assert errors == []


def test_the_back_button_restores_the_previous_search(
    page: Page, served_site: str, shipped: Site
) -> None:
    first = results_for(page, served_site, "facial", len(expected(shipped, "facial")))
    csrc = expected(shipped, "CSRC")
    box = page.get_by_label("Words to find")
    box.fill("CSRC")
    box.press("Enter")
    expect(page).to_have_url(served_site + "search/?q=CSRC")
    expect(page.locator("#search-status")).to_have_text(re.compile(rf"^{len(csrc)} results"))
    assert result_ids(page) == csrc[:SHOWN] != first
    page.go_back()
    expect(page).to_have_url(served_site + "search/?q=facial")
    expect(box).to_have_value("facial")
    expect(page.locator("#search-status")).to_have_text(re.compile("for “facial”"))
    assert result_ids(page) == first
    assert page.errors == []


def test_the_archive_filters_change_the_list_and_the_url(
    page: Page, served_site: str, shipped: Site
) -> None:
    everything = list(shipped.chronology)
    courts = [e for e in everything if shipped.entries[e].category == "courts"]
    page.goto(served_site + "archive/")
    status = page.locator("#archive-status")
    expect(status).to_have_text(f"Showing all {len(everything)} items.")
    assert row_ids(page) == everything  # the page's own list, one page of 50

    page.get_by_label("Section", exact=True).select_option("courts")
    expect(page).to_have_url(served_site + "archive/?section=courts")
    expect(status).to_have_text(f"Showing {len(courts)} of {len(everything)} items.")
    assert row_ids(page) == courts
    expect(page.locator("#archive-list")).to_be_hidden()
    expect(page.get_by_role("link", name="Show all items")).to_be_visible()

    agency = next(iter(shipped.entries[courts[0]].agencies))
    both = [e for e in courts if agency in shipped.entries[e].agencies]
    page.get_by_label("Agency", exact=True).select_option(agency)
    expect(page).to_have_url(
        served_site + f"archive/?section=courts&agency={quote(agency).replace('%20', '+')}"
    )
    expect(status).to_have_text(f"Showing {len(both)} of {len(everything)} items.")
    assert row_ids(page) == both

    page.go_back()
    expect(page).to_have_url(served_site + "archive/?section=courts")
    expect(status).to_have_text(f"Showing {len(courts)} of {len(everything)} items.")
    assert row_ids(page) == courts
    page.go_back()
    expect(page).to_have_url(served_site + "archive/")
    expect(status).to_have_text(f"Showing all {len(everything)} items.")
    expect(page.locator("#archive-list")).to_be_visible()
    assert row_ids(page) == everything
    assert page.errors == []


def test_a_filtered_archive_url_shows_the_filtered_list(
    page: Page, served_site: str, shipped: Site
) -> None:
    everything = list(shipped.chronology)
    cac = [e for e in everything if "CAC" in shipped.entries[e].agencies]
    page.goto(served_site + "archive/?agency=CAC&year=2023")
    status = page.locator("#archive-status")
    expect(status).to_have_text(f"Showing {len(cac)} of {len(everything)} items.")
    assert row_ids(page) == cac
    expect(page.get_by_label("Agency", exact=True)).to_have_value("CAC")
    expect(page.get_by_label("Year", exact=True)).to_have_value("2023")
    # Grouped by month as the archive is.
    months = page.locator("#archive-results h3").all_inner_texts()
    assert months == sorted(set(months), key=months.index) and months[0].endswith("2023")
    page.get_by_role("link", name="Show all items").click()
    expect(page).to_have_url(served_site + "archive/")
    expect(status).to_have_text(f"Showing all {len(everything)} items.")
    assert row_ids(page) == everything
    assert page.errors == []


def test_without_javascript_the_pages_still_work(browser, served_site: str) -> None:
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(served_site + "search/?q=facial")
    expect(page.get_by_text("Search runs in your browser and needs JavaScript")).to_be_visible()
    for name in ("The archive", "Agencies", "Sections"):
        expect(
            page.locator("#search-nojs").get_by_role("link", name=name, exact=True)
        ).to_be_visible()
    expect(page.locator("#search-app")).to_be_hidden()
    # The archive is the whole paginated list; the filters do not appear.
    page.goto(served_site + "archive/?section=courts")
    expect(page.locator("#archive-filters")).to_be_hidden()
    assert page.locator("li.row:visible").count() == 30
    # The masthead box is a plain GET form: it still leads to the search page.
    page.goto(served_site)
    page.get_by_role("searchbox", name="Search").fill("facial recognition")
    page.get_by_role("searchbox", name="Search").press("Enter")
    expect(page).to_have_url(served_site + "search/?q=facial+recognition")
    context.close()


AXE_PAGES = {
    "search": ("search/?q=personal+information&section=regulation", "#search-results > li"),
    "archive": ("archive/?section=regulation", "#archive-results li.row"),
    "effective": ("effective/", "li.row"),
}


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("name", list(AXE_PAGES))
def test_no_accessibility_violations(browser, served_site: str, name: str, width: int) -> None:
    context = browser.new_context(viewport={"width": width, "height": 900})
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda m: m.type == "error" and errors.append(m.text))
    path, ready = AXE_PAGES[name]
    page.goto(served_site + path)
    expect(page.locator(ready).first).to_be_visible()
    violations = axe_violations(page)
    context.close()
    assert violations == []
    assert errors == []


def test_the_pages_the_script_builds_are_valid_html(
    browser, served_site: str, vnu: list[str], tmp_path: Path
) -> None:
    # The Nu checker reads files; the script's DOM is saved as the browser holds it.
    page = browser.new_page()
    files = []
    for name, (path, ready) in AXE_PAGES.items():
        page.goto(served_site + path)
        expect(page.locator(ready).first).to_be_visible()
        files.append(tmp_path / f"{name}.html")
        files[-1].write_text(page.content(), encoding="utf-8")
    page.close()
    run = subprocess.run(
        [*vnu, "--errors-only", "--format", "json", *map(str, files)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    messages = json.loads(run.stderr or run.stdout)["messages"]
    assert [f"{m.get('url', '')}: {m['message']}" for m in messages] == []


def test_parts_of_words_and_quoted_phrases(page: Page, served_site: str, shipped: Site) -> None:
    # "recogni" is part of a word; "thieves without" is a phrase, in that order.
    assert results_for(page, served_site, "recogni", len(expected(shipped, "recogni")))[0] == PUTUO
    assert results_for(page, served_site, '"thieves without"', 1) == [PUTUO]
    page.goto(served_site + "search/?q=" + quote('"without thieves"'))
    expect(page.locator("#search-status")).to_have_text('0 results for “"without thieves"”.')
    assert page.errors == []
