"""Render: the views (dates, descriptions, related items, pagination), the Jinja
environment's safety, and what every page carries."""

from __future__ import annotations

import dataclasses
import datetime
import json
import re
from pathlib import Path

import jinja2
import pytest
from conftest import BASIC, SHIPPED
from hypothesis import example, given, settings
from hypothesis import strategies as st

from digest import keys, urls
from digest.build import check
from digest.markup import describe
from digest.model import build_site
from digest.render import (
    Previous,
    Renderer,
    beside_their_editions,
    pager,
    plan,
    render_pages,
)
from digest.templating import environment
from digest.theme import project_folder
from digest.views import format_date, iso_date, json_ld, related

GOLDEN = Path(__file__).resolve().parent / "golden" / "basic"
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' https: data:; "
    "object-src 'none'; base-uri 'none'; form-action 'self'"
)


def site_of(entries: Path):
    site, problems = check(entries)
    assert problems == []
    return site


def env():
    return environment([project_folder("templates")])


def pages_of(folder: Path) -> dict[str, str]:
    return {p.relative_to(folder).as_posix(): p.read_text() for p in sorted(folder.rglob("*.html"))}


def test_dates_read_as_in_the_newsletter() -> None:
    day = datetime.date(2023, 3, 23)
    assert format_date(day) == "March 23, 2023"
    assert format_date(day, "month") == "March 2023"
    assert iso_date(day) == "2023-03-23"
    assert iso_date(day, "month") == "2023-03"


def test_descriptions_are_plain_text_cut_at_a_word() -> None:
    assert describe("<p>A &amp; B <em>c</em></p>\n") == "A & B c"
    long = "<p>" + "word " * 50 + "</p>"
    text = describe(long)
    assert text == ("word " * 31).strip() + "…"
    assert len(text) <= 160


def test_json_ld_cannot_close_its_script_element() -> None:
    assert json_ld({"a": "</script><b>&"}) == '{"a":"\\u003c/script\\u003e\\u003cb\\u003e\\u0026"}'


def naive_related(site, eid: str, limit: int = 5) -> tuple[str, ...]:
    entry = site.entries[eid]
    return tuple(
        other
        for other in site.chronology
        if other != eid
        and (
            set(site.entries[other].agencies) & set(entry.agencies)
            or set(site.entries[other].tags) & set(entry.tags)
        )
    )[:limit]


@pytest.mark.parametrize("entries", [BASIC, SHIPPED], ids=["basic", "shipped"])
def test_related_items_are_the_newest_sharing_an_agency_or_tag(entries: Path) -> None:
    site = site_of(entries)
    for limit in (1, 2, 5):
        found = related(site, limit)
        assert found == {eid: naive_related(site, eid, limit) for eid in site.entries}
    assert related(site_of(BASIC))["cac-enforcement-procedures"] == (
        "miit-notifies-apps",
        "cac-draft-measures",
    )


# An item of a random site: (edition, day of March 2023, category, agencies, tags,
# whether it is given an order (its number, unique in the site), body).
ITEM = st.tuples(
    st.sampled_from(["2023-04", "2023-05"]),
    st.integers(1, 4),  # few days: many ties, broken by edition, section, order and id
    st.sampled_from(["regulation", "enforcement", "cases"]),
    st.lists(st.sampled_from(["CAC", "MIIT", "SPP"]), min_size=1, max_size=2, unique=True),
    st.lists(st.sampled_from(["pipl", "apps", "ai"]), max_size=2, unique=True),
    st.booleans(),
    st.sampled_from(["<p>One.</p>\n", "<p>Two.</p>\n"]),
)
# An edit of item n: removed (None), made anew (-1), or one of its fields (0-6) set to
# that field of a random item.
EDIT = st.one_of(st.none(), st.tuples(st.integers(-1, 6), ITEM))


def random_site(basic, items: dict[int, tuple], page_size: int | None = None):
    model = next(iter(basic.entries.values()))
    entries = [
        dataclasses.replace(
            model,
            id=f"item-{n}",
            path=f"{edition}/item-{n}.md",
            edition=edition,
            date=datetime.date(2023, 3, day),
            category=category,
            agencies=tuple(agencies),
            tags=tuple(tags),
            order=n if ordered else None,
            html=html,
        )
        for n, (edition, day, category, agencies, tags, ordered, html) in items.items()
    ]
    config = basic.config
    if page_size is not None:
        config = dataclasses.replace(config, page_size=page_size)
    site, problems = build_site(config, basic.agencies, entries, [])
    assert problems == []
    return site


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.integers(1, 28),  # day of March 2023
            st.lists(st.sampled_from(["CAC", "MIIT", "SPP"]), min_size=1, max_size=2, unique=True),
            st.lists(st.sampled_from(["pipl", "apps", "ai"]), max_size=2, unique=True),
        ),
        min_size=1,
        max_size=25,
    ),
    st.integers(1, 6),
)
def test_related_items_are_the_newest_sharing_terms_on_any_site(items, limit: int) -> None:
    # Random agencies, tags and dates, with ties and shared terms: related() works on
    # places in the chronology and each term's head only; it must give the definition.
    one = "<p>One.</p>\n"
    site = random_site(
        site_of(BASIC),
        {
            n: ("2023-04", day, "regulation", agencies, tags, False, one)
            for n, (day, agencies, tags) in enumerate(items)
        },
    )
    found = related(site, limit)
    assert found == {eid: naive_related(site, eid, limit) for eid in site.entries}


def edited(items: dict[int, tuple], edits: dict[int, tuple | None]) -> dict[int, tuple]:
    after = dict(items)
    for n, edit in edits.items():
        if edit is None:
            after.pop(n, None)
        elif edit[0] < 0 or n not in after:
            after[n] = edit[1]
        else:
            field = edit[0]
            after[n] = (*after[n][:field], edit[1][field], *after[n][field + 1 :])
    return after or items


ONE = "<p>One.</p>\n"


@settings(max_examples=200, deadline=None)
@given(
    st.dictionaries(st.integers(0, 30), ITEM, min_size=1, max_size=25),
    st.dictionaries(st.integers(0, 30), EDIT, max_size=4),
    st.integers(1, 4),  # items a list page holds: most lists run over several pages
)
# Item 0 changes agency but stays at the head of tag pipl: item 1's related row for it
# changes, though pipl's head holds the same items in the same order.
@example(
    {0: ("2023-04", 4, "cases", ("CAC",), ("pipl",), False, ONE)}
    | {1: ("2023-04", 1, "cases", ("SPP",), ("pipl",), False, ONE)},
    {0: (3, ("2023-04", 1, "cases", ("MIIT",), (), False, ONE))},
    50,
)
# Item 5 is given an order, which puts it before item 2 (same day and section): item 1
# relates to both, through two terms whose heads each hold the same items as before.
@example(
    {5: ("2023-04", 2, "cases", ("CAC",), (), False, ONE)}
    | {2: ("2023-04", 2, "cases", ("SPP",), (), False, ONE)}
    | {1: ("2023-04", 1, "cases", ("CAC", "SPP"), (), False, ONE)},
    {5: (5, ("2023-04", 1, "cases", ("MIIT",), (), True, ONE))},
    50,
)
# Item 0, the newest, is removed: every later page of each list it was on now holds
# other items, all of them unchanged.
@example(
    {0: ("2023-04", 3, "cases", ("CAC",), (), False, ONE)}
    | {1: ("2023-04", 2, "cases", ("CAC",), (), False, ONE)}
    | {2: ("2023-04", 1, "cases", ("CAC",), (), False, ONE)},
    {0: None},
    1,
)
def test_page_keys_kept_from_the_last_build_are_the_keys_made_afresh(
    before, edits, page_size
) -> None:
    # Renderer.page_keys keeps an item page's last key when its signature and its terms'
    # heads are as they were, and a list page's when its list and its items are. After
    # any edit (an item added, removed, moved in time or to another edition, reordered,
    # retagged, rewritten), every page's key must be the one `key` makes.
    basic = site_of(BASIC)
    fingerprint = b"f" * 16
    old = random_site(basic, before, page_size)
    last = Renderer(old, env(), fingerprint, keys.item_signatures(old, {}))
    pages = plan(old, last.views)
    paths = [urls.output_file(page.url) for page in pages]
    written = {path: last.key(page) for page, path in zip(pages, paths, strict=True)}
    rows = {last.signatures[eid]: h for eid, h in last.row_hashes.items()}
    previous = Previous(fingerprint, written, rows, last.head_keys(), last.list_keys())

    new = random_site(basic, edited(before, edits), page_size)
    signatures = keys.item_signatures(new, {})
    now = Renderer(new, env(), fingerprint, signatures)
    now.row_hashes.update((eid, rows[s]) for eid, s in signatures.items() if s in rows)
    pages = plan(new, now.views)
    paths = [urls.output_file(page.url) for page in pages]
    fresh = Renderer(new, env(), fingerprint, signatures)
    assert now.page_keys(pages, paths, previous) == [fresh.key(page) for page in pages]


def test_page_keys_of_items_nothing_changed_for_are_kept(monkeypatch) -> None:
    # The point of page_keys: after an edit of one item's body, the other items' pages
    # and the list pages it is not on keep their keys without `key` being asked (their
    # related lists are not made, their rows not hashed).
    site = random_site(
        site_of(BASIC),
        {
            n: ("2023-04", 1 + n % 4, "cases", ("CAC",), ("ai",) * (n % 2), False, ONE)
            for n in range(9)
        },
        page_size=2,
    )
    fingerprint = b"f" * 16
    signatures = keys.item_signatures(site, {})
    last = Renderer(site, env(), fingerprint, signatures)
    pages = plan(site, last.views)
    paths = [urls.output_file(page.url) for page in pages]
    written = {path: last.key(page) for page, path in zip(pages, paths, strict=True)}
    rows = {signatures[eid]: h for eid, h in last.row_hashes.items()}
    previous = Previous(fingerprint, written, rows, last.head_keys(), last.list_keys())
    changed = site.chronology[4]
    signatures = {**signatures, changed: b"x" * 16}  # as if its body had been edited
    now = Renderer(site, env(), fingerprint, signatures)
    now.row_hashes.update((eid, rows[s]) for eid, s in signatures.items() if s in rows)
    asked = []
    made = now.key
    monkeypatch.setattr(now, "key", lambda page: asked.append(page) or made(page))
    found = now.page_keys(pages, paths, previous)
    assert [page.key for page in asked if page.kind == "entry"] == [changed]
    # The third page of the archive and of CAC's list (items 4 and 5 of 9, newest
    # first), and the page of tag ai's that holds it (second of two of four items).
    lists = [(p.kind, p.key, p.number) for p in asked if p.kind in ("archive", "agency", "tag")]
    assert lists == [("agency", "CAC", 3), ("tag", "ai", 2), ("archive", "", 3)]
    for page, key in zip(pages, found, strict=True):
        if page not in asked:
            assert key == written[urls.output_file(page.url)]


def test_the_pager_shows_the_ends_and_a_window() -> None:
    p = pager("/d/", "tags/x/", 6, 12)
    assert [n for n, _ in p.links] == [1, None, 4, 5, 6, 7, 8, None, 12]
    assert (p.newer, p.older) == ("/d/tags/x/page/5/", "/d/tags/x/page/7/")
    assert p.links[0] == (1, "/d/tags/x/")
    first = pager("/", "archive/", 1, 2)
    assert (first.newer, first.older, first.links) == (
        None,
        "/archive/page/2/",
        ((1, "/archive/"), (2, "/archive/page/2/")),
    )


def test_templates_escape_and_refuse_unknown_names(tmp_path: Path) -> None:
    (tmp_path / "t.html").write_text("{{ title }} {{ missing }}")
    with pytest.raises(jinja2.UndefinedError):
        environment([tmp_path]).get_template("t.html").render(title="x")
    (tmp_path / "e.html").write_text("{{ title }}")
    assert environment([tmp_path]).get_template("e.html").render(title="<b>") == "&lt;b&gt;"
    page = (GOLDEN / "entries/cac-enforcement-procedures/index.html").read_text()
    assert (
        "<h1>CAC Issues Enforcement Procedures &lt;for&gt; Cyberspace Administrations</h1>" in page
    )


def test_pages_render_in_any_order() -> None:
    site = site_of(BASIC)
    renderer = Renderer(site, env())
    pages = plan(site, renderer.views)
    forward = [renderer.render_page(p) for p in pages]
    backward = [Renderer(site, env()).render_page(p) for p in reversed(pages)]
    assert forward == backward[::-1]
    assert len({o.path for o in render_pages(site, env()).outputs}) == len(pages) + 2


def test_workers_get_each_edition_page_beside_its_items_pages() -> None:
    site = site_of(BASIC)
    pages = plan(site, Renderer(site, env()).views)
    ordered = beside_their_editions(site, pages)
    assert sorted(ordered, key=repr) == sorted(pages, key=repr)
    kinds = [(p.kind, p.key) for p in ordered if p.kind in ("edition", "entry")]
    expected = []
    for edition in site.editions:
        expected += [("edition", edition.key), *(("entry", eid) for eid in edition.entries)]
    assert kinds == expected
    assert len(site.editions) > 1


def test_every_page_has_its_own_title_and_description_and_the_safety_metas() -> None:
    pages = pages_of(GOLDEN)
    titles = [re.search(r"<title>(.*)</title>", t)[1] for t in pages.values()]
    descriptions = [
        re.search(r'<meta name="description" content="([^"]*)">', t)[1] for t in pages.values()
    ]
    assert len(set(titles)) == len(titles) == len(pages)
    assert len(set(descriptions)) == len(descriptions)
    for path, text in pages.items():
        assert f'<meta http-equiv="Content-Security-Policy" content="{CSP}">' in text, path
        assert '<meta name="referrer" content="strict-origin-when-cross-origin">' in text, path
        assert " style=" not in text and "<style" not in text, path
        scripts = set(re.findall(r"<script[^>]*>", text)) - {'<script type="application/ld+json">'}
        # Our own search script, on the two pages it works on, and nowhere else.
        own = '<script src="/static/search.js" data-index="/search/index.json"'
        if path == "search/index.html" or path.startswith("archive/"):
            assert len(scripts) == 1 and next(iter(scripts)).startswith(own), path
        else:
            assert scripts == set(), path
        assert '<link rel="canonical" href="https://digest.example.org/' in text, path
        assert '<meta property="og:title"' in text, path
        assert '<a class="skip" href="#main">Skip to content</a>' in text
        assert '<main id="main">' in text


def test_feeds_are_announced_on_every_page_and_per_term() -> None:
    pages = pages_of(GOLDEN)
    for path, text in pages.items():
        assert (
            '<link rel="alternate" type="application/atom+xml" title="Test Digest: all items (Atom)" href="/feed.xml">'
            in text
        ), path
        assert (
            'type="application/rss+xml" title="Test Digest: all items (RSS)" href="/rss.xml"'
            in text
        )
        assert (
            'type="application/feed+json" title="Test Digest: all items (JSON Feed)" href="/feed.json"'
            in text
        )
    assert (
        'title="Test Digest: pipl (Atom)" href="/tags/pipl/feed.xml"'
        in pages["tags/pipl/page/2/index.html"]
    )
    assert 'href="/agencies/cac/feed.xml"' in pages["agencies/cac/index.html"]
    assert 'href="/sections/courts/feed.xml"' in pages["sections/courts/index.html"]
    assert 'href="/editions/feed.xml"' in pages["editions/index.html"]
    feeds = pages["feeds/index.html"]
    for href in (
        "/feed.xml",
        "/rss.xml",
        "/feed.json",
        "/editions/feed.xml",
        "/sections/regulation/feed.xml",
        "/agencies/spp/feed.xml",
        "/tags/data-breach/feed.xml",
    ):
        assert f'<a href="{href}">' in feeds
    assert "agencies/unused-bureau/feed.xml" not in feeds
    assert '<h2 id="what-h">What a feed is</h2>' in feeds


def test_the_edition_page() -> None:
    page = (GOLDEN / "editions/2023-04/index.html").read_text()
    # Sections in the fixed order with the site's titles.
    assert re.findall(r'<h2 id="section-[a-z]+-h">([^<]*)</h2>', page) == [
        "Legislation",
        "Enforcement",
        "Cases",
        "Courts &amp; Litigation",
    ]
    # A month-precision date, agencies linked, two sources numbered 2 and 3.
    assert (
        '<p class="meta"><time datetime="2023-04">April 2023</time> ·\n<a href="/agencies/miit/">MIIT</a>, <a href="/agencies/cac/">CAC</a></p>'
        in page
    )
    assert (
        'SDKs.<sup class="fn"><a href="#fn-2" id="ref-2" aria-label="Source 2">2</a></sup>'
        '<sup class="fn"><a href="#fn-3" id="ref-3" aria-label="Source 3">3</a></sup></p>'
    ) in page
    # A body ending in a list keeps its markers in a paragraph of their own.
    assert '</ul>\n<p class="markers"><sup class="fn"><a href="#fn-4" id="ref-4"' in page
    assert (
        '<li id="fn-3"><a href="https://example.com/miit/list" rel="noopener">https://example.com/miit/list</a> '
        '<a class="back" href="#ref-3" aria-label="Back to MIIT Notifies 55 Apps That Illegally Collect Personal Information">↩</a></li>'
    ) in page
    assert (
        '<span class="effective">In effect from <time datetime="2023-06-01">June 1, 2023</time></span>'
        in page
    )
    assert (
        '<a href="https://www.cac.gov.cn/rules" rel="noopener">link</a> &amp; an ampersand' in page
    )
    assert (
        '<p>This month: new <strong>enforcement procedures</strong>, app notices and a\n<a href="https://example.com/case" rel="noopener">court case</a>.</p>'
        in page
    )
    assert (
        '<p class="disclaimer">For <em>general</em> information only; not legal advice.</p>' in page
    )
    assert '<li class="older"><a href="/editions/2023-03/" rel="prev">← March 2023</a></li>' in page
    assert 'Published <time datetime="2023-04-03">April 3, 2023</time> · 4 items' in page


def test_the_item_page() -> None:
    page = (GOLDEN / "entries/miit-notifies-apps/index.html").read_text()
    assert '<ol start="2">' in page
    assert '<li id="fn-2"><a href="https://example.com/miit/notice" rel="noopener">' in page
    assert (
        '<dt>Agencies</dt><dd><a href="/agencies/miit/">Ministry of Industry and Information Technology</a>; <a href="/agencies/cac/">Cyberspace Administration of China</a></dd>'
        in page
    )
    assert (
        '<dt>Tags</dt><dd><a class="tag" href="/tags/app-governance/">app-governance</a> <a class="tag" href="/tags/pipl/">pipl</a></dd>'
        in page
    )
    crumbs = re.search(r'<nav class="crumbs" aria-label="Breadcrumb">(.*?)</nav>', page, re.S)[1]
    assert re.findall(r'<a href="([^"]+)">([^<]+)</a>', crumbs) == [
        ("/", "Home"),
        ("/editions/2023-04/", "April 2023 edition"),
        ("/sections/enforcement/", "Enforcement"),
    ]
    related_block = page[page.index('<section class="related"') :]
    assert re.findall(r'<a href="/entries/([a-z0-9-]+)/">', related_block) == [
        "cac-enforcement-procedures",
        "cac-draft-measures",
        "miit-data-rules",
    ]
    data = json.loads(re.search(r'<script type="application/ld\+json">(.*?)</script>', page)[1])
    assert data["@type"] == "NewsArticle"
    assert data["headline"] == "MIIT Notifies 55 Apps That Illegally Collect Personal Information"
    assert data["datePublished"] == "2023-04"
    assert data["url"] == "https://digest.example.org/entries/miit-notifies-apps/"
    assert data["citation"] == ["https://example.com/miit/notice", "https://example.com/miit/list"]


def test_archive_groups_by_year_and_month_and_paginates() -> None:
    first = (GOLDEN / "archive/index.html").read_text()
    assert re.findall(r'<h2 class="year">(\d+)</h2>|<h3 id="m-[0-9-]+">([^<]+)</h3>', first) == [
        ("2023", ""),
        ("", "April 2023"),
        ("", "March 2023"),
    ]
    assert '<a href="/archive/page/2/" rel="next">Older</a>' in first
    assert "<p>Page 1 of 3</p>" in first
    last = (GOLDEN / "archive/page/3/index.html").read_text()
    assert '<a href="/archive/page/2/" rel="prev">Newer</a>' in last
    assert "<title>Archive (page 3 of 3) · Test Digest</title>" in last


def test_sitemap_and_robots() -> None:
    sitemap = (GOLDEN / "sitemap.xml").read_text()
    assert (
        "<url><loc>https://digest.example.org/entries/miit-notifies-apps/</loc><lastmod>2023-04-01</lastmod></url>"
        in sitemap
    )
    assert "404" not in sitemap
    # Every page but the 404 and the search page (nothing on it without a query).
    assert "/search/" not in sitemap
    assert sitemap.count("<url>") == len(pages_of(GOLDEN)) - 2
    assert (GOLDEN / "robots.txt").read_text() == (
        "User-agent: *\nAllow: /\n\nSitemap: https://digest.example.org/sitemap.xml\n"
    )


def test_describe_reads_only_the_beginning_but_says_the_same() -> None:
    import random

    from digest import markup as markup_module

    def whole(markup: str, limit: int = markup_module.DESCRIPTION_CHARS) -> str:
        text = markup_module._plain(markup)
        if len(text) <= limit:
            return text
        return text[: limit - 1].rsplit(" ", 1)[0].rstrip(" ,;:.") + "…"

    rng = random.Random(1)
    parts = ["<p>", "</p>\n", "word ", "&amp; ", "&lt;x&gt; ", "  ", "\n", "<em>", "</em>", "é, "]
    for _ in range(3000):
        markup = "".join(rng.choice(parts) for _ in range(rng.randint(0, 300)))
        assert markup_module.describe(markup) == whole(markup), markup
