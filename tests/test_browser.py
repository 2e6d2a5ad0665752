"""The shipped site in Chromium: a reader's path by clicking, no console errors, axe-core
finds no accessibility violation at phone and desktop widths, and the edition reads as
the seed newsletter does (its 30 titles in order, footnotes 1..30 to its URLs)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from conftest import axe_violations

SEED_NAME = "000_ae5e7c03c63db529.txt"
# The seed lies in shared/ beside the clone (CI) or beside the worktrees.
SEED_PLACES = (
    Path(__file__).resolve().parents[2] / "shared" / "seeds" / SEED_NAME,
    Path("/work/shared/seeds") / SEED_NAME,
)
SECTION_HEADINGS = ("Enforcement Authority", "Enforcement Cases", "Courts Litigation")
WIDTHS = (375, 1280)
AXE_PAGES = {
    "home": "",
    "edition": "editions/2023-04/",
    "item": "entries/cac-issues-the-provisions-on-administrative-enforcement/",
    "agency": "agencies/cac/",
    "archive": "archive/",
}


def read_seed() -> tuple[list[str], list[str]]:
    """The seed newsletter's titles in reading order and its URLs by footnote number,
    read from the text itself (not through digest)."""
    seed = next((p for p in SEED_PLACES if p.exists()), None)
    if seed is None:
        pytest.fail(
            f"the seed newsletter is missing (looked in {', '.join(map(str, SEED_PLACES))})"
        )
    paragraphs = [p.strip() for p in seed.read_text(encoding="utf-8").split("\n\n") if p.strip()]
    titles: list[str] = []
    urls: list[str] = []
    pending: str | None = None
    for para in paragraphs:
        source = re.fullmatch(r"(\d+)\. (https?://\S+)", para)
        if source:
            assert int(source[1]) == len(urls) + 1
            urls.append(source[2])
        elif urls or para in SECTION_HEADINGS:
            continue  # the disclaimer after the sources; a section heading
        elif pending is None:
            pending = para
        else:
            assert re.search(r" \d+$", para), para  # a body ends with its footnote number
            titles.append(pending)
            pending = None
    return titles, urls


@pytest.fixture
def page(browser):
    """A fresh page that records console errors and failed requests."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.errors = []
    page.on("console", lambda m: m.type == "error" and page.errors.append(m.text))
    page.on("pageerror", lambda e: page.errors.append(str(e)))
    page.on("requestfailed", lambda r: page.errors.append(f"failed: {r.url}"))
    page.on("response", lambda r: r.status >= 400 and page.errors.append(f"{r.status}: {r.url}"))
    yield page
    context.close()


def test_seed_parser_reads_30_titles_and_urls() -> None:
    titles, urls = read_seed()
    assert len(titles) == 30 and len(urls) == 30
    assert titles[2] == (
        "CAC Issues the Provisions on Administrative Enforcement Procedures of "
        "Cyberspace Administrations"
    )
    assert urls[2] == "https://mp.weixin.qq.com/s/_QtXvwbRgxV-Mk9dk3Q9xg"


def test_home_to_edition_to_item_to_agency_by_clicking(page, served_site: str) -> None:
    page.goto(served_site)
    assert page.title() == "China Data Protection Digest"
    page.get_by_role("link", name="Read the whole April 2023 edition").click()
    assert page.url == served_site + "editions/2023-04/"
    assert page.locator("h1").inner_text() == "April 2023"
    page.get_by_role(
        "link",
        name="CAC Issues the Provisions on Administrative Enforcement Procedures of "
        "Cyberspace Administrations",
        exact=True,
    ).click()
    assert (
        page.url == served_site + "entries/cac-issues-the-provisions-on-administrative-enforcement/"
    )
    assert page.locator(".facts").inner_text().splitlines()[:4] == [
        "Date",
        "March 23, 2023",
        "In effect from",
        "June 1, 2023",
    ]
    page.locator(".facts").get_by_role("link", name="Cyberspace Administration of China").click()
    assert page.url == served_site + "agencies/cac/"
    assert page.locator("h1").inner_text() == "Cyberspace Administration of China"
    assert page.errors == []


def test_the_edition_reads_as_the_seed(page, served_site: str) -> None:
    titles, urls = read_seed()
    page.goto(served_site + "editions/2023-04/")
    assert page.locator("article.item h3").all_inner_texts() == titles
    markers = page.locator("article.item sup.fn a")
    assert markers.all_inner_texts() == [str(n) for n in range(1, 31)]
    assert [markers.nth(i).get_attribute("href") for i in range(30)] == [
        f"#fn-{n}" for n in range(1, 31)
    ]
    sources = page.locator("#sources li")
    assert [sources.nth(i).get_attribute("id") for i in range(30)] == [
        f"fn-{n}" for n in range(1, 31)
    ]
    assert [sources.nth(i).locator("a").first.get_attribute("href") for i in range(30)] == urls
    # Following footnote 3 and back lands on the source, then on its item's marker.
    page.locator("#ref-3").click()
    assert page.url.endswith("#fn-3")
    page.locator("#fn-3 a.back").click()
    assert page.url.endswith("#ref-3")
    assert page.errors == []


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("name", list(AXE_PAGES))
def test_no_accessibility_violations(browser, served_site: str, name: str, width: int) -> None:
    context = browser.new_context(viewport={"width": width, "height": 900})
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda m: m.type == "error" and errors.append(m.text))
    page.goto(served_site + AXE_PAGES[name])
    violations = axe_violations(page)
    context.close()
    assert violations == []
    assert errors == []


def test_axe_reports_a_violation(browser) -> None:
    # the shared helper the accessibility tests lean on does report what it must
    page = browser.new_page()
    page.set_content("<html><body><img src='data:,'></body></html>")
    ids = {line.split(":", 1)[0] for line in axe_violations(page)}
    page.close()
    assert {"image-alt", "html-has-lang"} <= ids
