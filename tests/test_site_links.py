"""Every internal link of the built site resolves to a file in the output, and a site
published under a path never links out of that path."""

from __future__ import annotations

from pathlib import Path

from conftest import SHIPPED, build_into
from sitecheck import broken_links

PROJECT_SITE = "https://example.github.io/digest/"


def test_every_internal_link_of_the_shipped_site_resolves(shipped_site: Path) -> None:
    pages = sorted(shipped_site.rglob("*.html"))
    # a guard against an empty or half-built site: every item has its page
    assert sum(1 for p in pages if "/entries/" in str(p)) == 30
    assert broken_links(shipped_site, "https://digest.example.org/") == []


def test_a_site_under_a_path_links_only_under_that_path(tmp_path: Path) -> None:
    out = build_into(SHIPPED, tmp_path / "site", base_url=PROJECT_SITE)
    assert broken_links(out, PROJECT_SITE) == []
    home = (out / "index.html").read_text()
    assert '<link rel="stylesheet" href="/digest/static/style.css">' in home
    assert '<a href="/digest/editions/2023-04/">April 2023</a>' in home
    assert '<link rel="canonical" href="https://example.github.io/digest/">' in home
    assert 'href="/digest/feed.xml"' in home
    # Nothing at the host's root: every root-relative URL carries the prefix.
    for page in out.rglob("*.html"):
        text = page.read_text()
        assert 'href="/' not in text.replace('href="/digest/', "")
        assert 'src="/' not in text.replace('src="/digest/', "")


def test_the_checker_finds_broken_escaping_and_dangling_links(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "index.html").write_text(
        '<p id="here"><a href="/digest/a/#here">ok</a> <a href="/digest/b/">missing</a>'
        ' <a href="/elsewhere/">out</a> <a href="/digest/a/#gone">dangling</a>'
        ' <a href="https://example.org/">external</a> <a href="/digest/feed.xml">feed</a>'
        ' <a href="/digest/tags/x/feed.xml">no such tag</a> <a href="/digest/a/feed.xml">?</a>'
    )
    assert broken_links(tmp_path, PROJECT_SITE) == [
        "a/index.html: /digest/b/: no file b/index.html (a href)",
        "a/index.html: /elsewhere/: escapes the base path /digest/ (a href)",
        "a/index.html: /digest/a/#gone: no id 'gone' in a/index.html (a href)",
        "a/index.html: /digest/feed.xml: no file feed.xml (a href)",
        "a/index.html: /digest/tags/x/feed.xml: no file tags/x/feed.xml (a href)",
        "a/index.html: /digest/a/feed.xml: no file a/feed.xml (a href)",
    ]
