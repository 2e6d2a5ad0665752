"""search/index.json: valid JSON of the documented shape, byte-identical across builds,
every published item and no draft, plain text without markup, the facet vocabularies;
and the Chinese names on the pages, marked with their language."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from conftest import BASIC, SHIPPED, build_into
from test_drafts import DRAFT_ID, entries_with_draft

from digest.build import check
from digest.markup import render
from digest.searchindex import FIELDS, plain_text


def read_index(site: Path) -> dict:
    return json.loads((site / "search" / "index.json").read_text(encoding="utf-8"))


def rows(index: dict) -> list[dict]:
    """The items as mappings, by the index's own field list."""
    return [dict(zip(index["fields"], row, strict=True)) for row in index["items"]]


def test_the_index_is_byte_identical_across_builds(tmp_path: Path) -> None:
    one = build_into(SHIPPED, tmp_path / "one")
    two = build_into(SHIPPED, tmp_path / "two" / "elsewhere")
    data = (one / "search" / "index.json").read_bytes()
    assert data == (two / "search" / "index.json").read_bytes()
    assert data.endswith(b"\n}\n")


def test_the_index_lists_every_published_item_in_chronology(shipped_site: Path) -> None:
    site, problems = check(SHIPPED)
    assert problems == [] and site is not None
    index = read_index(shipped_site)
    assert index["version"] == 1
    assert index["fields"] == list(FIELDS)
    items = rows(index)
    assert len(items) == 30
    assert [i["id"] for i in items] == list(site.chronology)
    for item in items:
        entry = site.entries[item["id"]]
        assert item["url"] == f"/entries/{item['id']}/"
        assert (shipped_site / item["url"].lstrip("/") / "index.html").is_file()
        assert item["title"] == entry.title
        assert item["title_zh"] == entry.title_zh
        assert item["date"] == entry.date.isoformat()
        assert item["precision"] == entry.date_precision
        assert item["section"] == entry.category
        assert item["edition"] == entry.edition
        assert item["agencies"] == list(entry.agencies)
        assert item["tags"] == list(entry.tags)
    putuo = next(i for i in items if i["id"].startswith("supermarkets-use-facial-recognition"))
    assert "facial information" in putuo["text"]
    assert putuo["precision"] == "month" and putuo["date"] == "2023-03-01"


def test_the_body_text_is_plain_and_compact(shipped_site: Path) -> None:
    raw = (shipped_site / "search" / "index.json").read_text(encoding="utf-8")
    # One field a line, one item a line: nothing else breaks a line.
    assert len(raw.splitlines()) == 1 + 8 + 1 + 30 + 2
    for item in rows(read_index(shipped_site)):
        text = item["text"]
        assert text == text.strip() and "  " not in text
        assert not re.search(r"[\n\t\r]", text)
        assert not re.search(r"</?[a-z][a-z0-9]*[\s>/]", text), item["id"]
        assert "&amp;" not in text and "&quot;" not in text
    # Chinese stays readable, not \u-escaped.
    assert "国家互联网信息办公室" in raw


def test_plain_text_keeps_words_whole_and_blocks_apart() -> None:
    assert plain_text("<p>A <em>half</em>way &amp; <a href='x'>link</a>.</p>\n<p>Next</p>") == (
        "A halfway & link. Next"
    )
    assert plain_text("<ul>\n<li>one</li>\n<li>two</li>\n</ul>") == "one two"
    # It leans on markdown-it ending each block tag with a line break: every block
    # kind our bodies can hold stays apart from the next.
    markdown = (
        "a *b*c\n\n- x\n- y\n\n> q\n\n| h | i |\n|---|---|\n| 1 | 2 |\n\n"
        "text  \nbreak\n\n```\ncode\n```\n\n---\n\n1. one\n\n   para\n2. two"
    )
    assert plain_text(render(markdown).html) == "a bc x y q h i 1 2 text break code one para two"
    assert plain_text("<p>&lt;script&gt; stays text</p>") == "<script> stays text"


def test_the_basic_sites_text_decodes_what_markdown_escaped() -> None:
    items = {i["id"]: i for i in rows(read_index(Path(__file__).parent / "golden" / "basic"))}
    cac = items["cac-enforcement-procedures"]
    assert cac["title"] == "CAC Issues Enforcement Procedures <for> Cyberspace Administrations"
    assert cac["title_zh"] == "网信部门行政执法程序规定"
    assert cac["text"] == (
        "On March 23, the CAC issued the Provisions on enforcement procedures, which take "
        "effect on June 1, 2023. A second paragraph with a link & an ampersand."
    )


def test_the_vocabularies(shipped_site: Path) -> None:
    site, _ = check(SHIPPED)
    assert site is not None
    index = read_index(shipped_site)
    assert index["sections"] == [
        [t.key, t.title, f"/sections/{t.slug}/"] for t in site.section_terms if t.entries
    ]
    agencies = {a[0]: a for a in index["agencies"]}
    # Every agency an item names, and only those (agencies without items have no page).
    assert set(agencies) == {key for e in site.entries.values() for key in e.agencies}
    assert agencies["CAC"] == [
        "CAC",
        "Cyberspace Administration of China",
        "国家互联网信息办公室",
        "/agencies/cac/",
    ]
    for key, name, name_zh, href in index["agencies"]:
        assert (name, name_zh) == (site.agencies[key].name, site.agencies[key].name_zh)
        assert (shipped_site / href.lstrip("/") / "index.html").is_file()
    assert index["years"] == sorted({e.date.year for e in site.entries.values()}, reverse=True)
    assert index["tags"] == sorted({t for e in site.entries.values() for t in e.tags})
    assert index["editions"] == [["2023-04", "April 2023"]]


def test_no_draft_in_the_index(tmp_path: Path) -> None:
    entries = entries_with_draft(tmp_path)
    published = read_index(build_into(entries, tmp_path / "site"))
    ids = [i["id"] for i in rows(published)]
    assert DRAFT_ID not in ids and len(ids) == 6
    # Nor the agency or tag only the draft names.
    assert "Unused Bureau" not in [a[0] for a in published["agencies"]]
    assert "only-in-a-draft" not in published["tags"]
    # A preview build has it, as it has its page.
    preview = read_index(build_into(entries, tmp_path / "preview", drafts=True))
    assert DRAFT_ID in [i["id"] for i in rows(preview)]


def test_a_site_under_a_path_links_under_it(tmp_path: Path) -> None:
    out = build_into(BASIC, tmp_path / "site", base_url="https://example.github.io/digest/")
    index = read_index(out)
    assert all(i["url"].startswith("/digest/entries/") for i in rows(index))
    assert all(a[3].startswith("/digest/agencies/") for a in index["agencies"])
    search = (out / "search" / "index.html").read_text()
    assert (
        '<script src="/digest/static/search.js" data-index="/digest/search/index.json" defer>'
        in search
    )


@pytest.mark.parametrize(
    ("page", "snippet"),
    [
        (
            "entries/cac-enforcement-procedures/index.html",
            '<p class="title-zh" lang="zh-Hans">网信部门行政执法程序规定</p>',
        ),
        (
            "effective/index.html",
            '<span class="title-zh" lang="zh-Hans">网信部门行政执法程序规定</span>',
        ),
        ("agencies/cac/index.html", '<p class="title-zh" lang="zh-Hans">国家互联网信息办公室</p>'),
        (
            "agencies/index.html",
            '<span class="key">(CAC)</span> <span class="name-zh" lang="zh-Hans">国家互联网信息办公室</span>',
        ),
    ],
)
def test_chinese_names_are_shown_with_their_language(page: str, snippet: str) -> None:
    html = (Path(__file__).parent / "golden" / "basic" / page).read_text(encoding="utf-8")
    assert snippet in html
    # Every Chinese character on the page is inside an element marked as Chinese.
    outside = re.sub(r'<(\w+)[^>]* lang="zh-Hans">[^<]*</\1>', "", html)
    assert not re.search(r"[\u4e00-\u9fff]", outside)
