"""The feeds: read back by feedparser (a real client), checked element by element
against RFC 4287, RSS 2.0 and JSON Feed 1.1 (the W3C Feed Validation Service's error
checks: required elements, RFC 3339 / RFC 822 dates, self links matching where the
feed is served, unique ids), and the ids' permanence under editing."""

from __future__ import annotations

import dataclasses
import datetime
import email.utils
import json
import re
import shutil
from pathlib import Path

import feedparser
import pytest
from lxml import etree

from digest import feeds, keys
from digest.build import check
from digest.model import Site

ROOT = Path(__file__).resolve().parents[1]
SHIPPED = ROOT / "entries"
BASIC = ROOT / "tests" / "sites" / "feeds-basic" / "entries"

ATOM = "{http://www.w3.org/2005/Atom}"
RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")
RFC822 = re.compile(
    r"^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d{2} (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)"
    r" \d{4} \d{2}:\d{2}:\d{2} [+-]\d{4}$"
)
# RFC 4151: "tag:" authorityName "," date ":" specific, specific = *( pchar / "/" / "?" )
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?"
_DNS = rf"{_LABEL}(?:\.{_LABEL})*"
TAG_URI = re.compile(
    rf"^tag:(?:{_DNS}|[A-Za-z0-9!#$%&'*+/=?^_`{{|}}~.-]+@{_DNS}),"
    r"\d{4}(?:-(?:0[1-9]|1[0-2])(?:-(?:0[1-9]|[12]\d|3[01]))?)?"
    r":(?:[A-Za-z0-9\-._~!$&'()*+,;=:@/?]|%[0-9A-Fa-f]{2})*$"
)


def build(entries: Path) -> Site:
    site, problems = check(entries)
    assert problems == []
    assert site is not None
    return site


def render(entries: Path) -> dict[str, bytes]:
    outputs = feeds.render_feeds(build(entries))
    paths = [o.path for o in outputs]
    assert len(paths) == len(set(paths))
    return {o.path: o.data for o in outputs}


@pytest.fixture(scope="module")
def shipped() -> Site:
    return build(SHIPPED)


@pytest.fixture(scope="module")
def shipped_feeds(shipped: Site) -> dict[str, bytes]:
    return {o.path: o.data for o in feeds.render_feeds(shipped)}


@pytest.fixture(scope="module")
def basic() -> Site:
    return build(BASIC)


@pytest.fixture(scope="module")
def basic_feeds(basic: Site) -> dict[str, bytes]:
    return {o.path: o.data for o in feeds.render_feeds(basic)}


# --- what exists -----------------------------------------------------------------


def test_catalogue_of_the_fixture_site(basic: Site) -> None:
    rows = [(f.path, f.format, f.title, f.page, f.items) for f in feeds.catalogue(basic)]
    latest = ("court-case", "fines-and-rules")
    assert rows == [
        ("feed.xml", "atom", "Feeds & <Tests>", "", latest),
        ("rss.xml", "rss", "Feeds & <Tests>", "", latest),
        ("feed.json", "json", "Feeds & <Tests>", "", latest),
        (
            "sections/regulation/feed.xml",
            "atom",
            "Feeds & <Tests>: Regulation",
            "sections/regulation/",
            ("recent-rule", "older-item"),
        ),
        (
            "sections/enforcement/feed.xml",
            "atom",
            "Feeds & <Tests>: Enforcement",
            "sections/enforcement/",
            ("fines-and-rules",),
        ),
        (
            "sections/courts/feed.xml",
            "atom",
            "Feeds & <Tests>: Courts",
            "sections/courts/",
            ("court-case",),
        ),
        (
            "agencies/cac/feed.xml",
            "atom",
            "Feeds & <Tests>: Cyberspace Administration of China",
            "agencies/cac/",
            ("fines-and-rules", "recent-rule"),
        ),
        (
            "agencies/miit/feed.xml",
            "atom",
            "Feeds & <Tests>: Ministry of Industry and Information Technology",
            "agencies/miit/",
            ("recent-rule", "older-item"),
        ),
        (
            "agencies/spc/feed.xml",
            "atom",
            "Feeds & <Tests>: Supreme People's Court",
            "agencies/spc/",
            ("court-case",),
        ),
        (
            "tags/apps/feed.xml",
            "atom",
            "Feeds & <Tests>: apps",
            "tags/apps/",
            ("fines-and-rules", "older-item"),
        ),
        (
            "editions/feed.xml",
            "atom",
            "Feeds & <Tests>: editions",
            "editions/",
            ("2023-04", "2023-03"),
        ),
    ]
    assert [f.media_type for f in feeds.catalogue(basic)][:3] == [
        "application/atom+xml",
        "application/rss+xml",
        "application/feed+json",
    ]


def test_term_feeds_are_capped_newest_first(shipped: Site) -> None:
    size = 3
    small = dataclasses.replace(shipped, config=dataclasses.replace(shipped.config, feed_size=size))
    by_path = {f.path: f for f in feeds.catalogue(small)}
    for term in (*shipped.section_terms, *shipped.agency_terms, *shipped.tag_terms):
        kind = {"section": "sections", "agency": "agencies", "tag": "tags"}[term.kind]
        feed = by_path[f"{kind}/{term.slug}/feed.xml"]
        assert feed.items == term.entries[:size]
        dates = [shipped.entries[i].date for i in feed.items]
        assert dates == sorted(dates, reverse=True)
    assert by_path["feed.xml"].items == shipped.chronology[:size]


# --- real client -----------------------------------------------------------------


def test_feedparser_reads_every_shipped_feed_cleanly(shipped: Site, shipped_feeds) -> None:
    catalogue = feeds.catalogue(shipped)
    terms = shipped.section_terms + shipped.agency_terms + shipped.tag_terms
    # feed.xml, rss.xml, feed.json and editions/feed.xml, then one per term with items
    assert len(catalogue) == 4 + sum(1 for t in terms if t.entries)
    for feed in catalogue:
        if feed.format == "json":
            doc = json.loads(shipped_feeds[feed.path])
            assert len(doc["items"]) == len(feed.items)
            continue
        parsed = feedparser.parse(shipped_feeds[feed.path])
        assert parsed.bozo == 0, (feed.path, parsed.get("bozo_exception"))
        assert parsed.version == ("atom10" if feed.format == "atom" else "rss20")
        assert len(parsed.entries) == len(feed.items)
        assert parsed.feed.title == feed.title


def test_titles_with_markup_characters_round_trip(basic_feeds) -> None:
    title = "Fines & \"Rules\" <draft> for 'apps'"
    for path in ("feed.xml", "rss.xml", "agencies/cac/feed.xml", "tags/apps/feed.xml"):
        parsed = feedparser.parse(basic_feeds[path])
        assert parsed.bozo == 0
        assert title in [e.title for e in parsed.entries], path
        assert parsed.feed.title.startswith("Feeds & <Tests>")
    items = json.loads(basic_feeds["feed.json"])["items"]
    assert items[1]["title"] == title


def test_feedparser_sees_links_dates_and_categories(basic_feeds) -> None:
    entry = feedparser.parse(basic_feeds["feed.xml"]).entries[1]
    assert entry.id == "tag:example.org,2024-01-01:entries/fines-and-rules"
    assert entry.link == "https://example.org/digest/entries/fines-and-rules/"
    assert entry.published == "2023-04-03T00:00:00+08:00"
    assert entry.updated == "2023-04-20T00:00:00+08:00"
    assert [(t.term, t.scheme, t.label) for t in entry.tags] == [
        ("enforcement", "https://example.org/digest/sections/", "Enforcement"),
        ("cac", "https://example.org/digest/agencies/", "Cyberspace Administration of China"),
        ("apps", "https://example.org/digest/tags/", "apps"),
    ]
    assert entry.summary == "The CAC fined apps & <SDKs>. See the earlier item and below."
    rss = feedparser.parse(basic_feeds["rss.xml"]).entries[1]
    assert rss.id == entry.id
    assert rss.guidislink is False
    assert rss.published == "Mon, 03 Apr 2023 00:00:00 +0800"
    assert rss.link == entry.link


# --- content ---------------------------------------------------------------------


def _atom_contents(data: bytes) -> dict[str, str]:
    root = etree.fromstring(data)
    return {
        e.findtext(f"{ATOM}id"): e.findtext(f"{ATOM}content") for e in root.iter(f"{ATOM}entry")
    }


def test_item_content_has_absolute_links_markers_sources_and_edition(basic_feeds) -> None:
    content = _atom_contents(basic_feeds["feed.xml"])[
        "tag:example.org,2024-01-01:entries/fines-and-rules"
    ]
    assert content == (
        "<p>The CAC fined apps &amp; &lt;SDKs&gt;. See "
        '<a href="https://example.org/digest/entries/older-item/">the earlier item</a> and '
        '<a href="https://example.org/digest/entries/fines-and-rules/#part">below</a>.'
        '<sup><a href="https://a.example/1">[2]</a></sup>'
        '<sup><a href="https://a.example/2?x=1&amp;y=2">[3]</a></sup></p>\n'
        "<p><strong>Sources</strong></p>\n"
        '<ol start="2">\n'
        '<li><a href="https://a.example/1">https://a.example/1</a></li>\n'
        '<li><a href="https://a.example/2?x=1&amp;y=2">https://a.example/2?x=1&amp;y=2</a></li>\n'
        "</ol>\n"
        '<p>From the <a href="https://example.org/digest/editions/2023-04/">April 2023</a> '
        "edition of Feeds &amp; &lt;Tests&gt;.</p>\n"
    )
    item = json.loads(basic_feeds["feed.json"])["items"][1]
    assert item["content_html"] == content


def test_edition_content_is_the_whole_edition(basic_feeds) -> None:
    content = _atom_contents(basic_feeds["editions/feed.xml"])[
        "tag:example.org,2024-01-01:editions/2023-04"
    ]
    assert content == (
        "<h2>Regulation</h2>\n"
        '<h3><a href="https://example.org/digest/entries/recent-rule/">MIIT and CAC Publish a Rule</a></h3>\n'
        "<p><em>April 2023 · Ministry of Industry and Information Technology, "
        "Cyberspace Administration of China</em></p>\n"
        "<p>Recently, the MIIT and the CAC published a rule."
        '<sup><a href="https://b.example/rule">[1]</a></sup></p>\n'
        "<h2>Enforcement</h2>\n"
        '<h3><a href="https://example.org/digest/entries/fines-and-rules/">'
        "Fines &amp; &quot;Rules&quot; &lt;draft&gt; for &#x27;apps&#x27;</a></h3>\n"
        "<p><em>April 3, 2023 · Cyberspace Administration of China</em></p>\n"
        "<p>The CAC fined apps &amp; &lt;SDKs&gt;. See "
        '<a href="https://example.org/digest/entries/older-item/">the earlier item</a> and '
        '<a href="https://example.org/digest/entries/fines-and-rules/#part">below</a>.'
        '<sup><a href="https://a.example/1">[2]</a></sup>'
        '<sup><a href="https://a.example/2?x=1&amp;y=2">[3]</a></sup></p>\n'
        "<h2>Courts</h2>\n"
        '<h3><a href="https://example.org/digest/entries/court-case/">A Court Decides</a></h3>\n'
        "<p><em>April 10, 2023 · Supreme People&#x27;s Court</em></p>\n"
        "<p>On April 10, the court decided.</p>\n"
        '<p>It was <em>final</em>.<sup><a href="https://c.example/case">[4]</a></sup></p>\n'
        "<h2>Sources</h2>\n"
        "<ol>\n"
        '<li><a href="https://b.example/rule">https://b.example/rule</a></li>\n'
        '<li><a href="https://a.example/1">https://a.example/1</a></li>\n'
        '<li><a href="https://a.example/2?x=1&amp;y=2">https://a.example/2?x=1&amp;y=2</a></li>\n'
        '<li><a href="https://c.example/case">https://c.example/case</a></li>\n'
        "</ol>\n"
        "<p>Not <em>legal</em> advice.</p>\n"
    )
    parsed = feedparser.parse(basic_feeds["editions/feed.xml"])
    assert [(e.title, e.summary, e.published, e.updated) for e in parsed.entries] == [
        (
            "April 2023",
            "3 items: Regulation (1), Enforcement (1), Courts (1)",
            "2023-04-10T00:00:00+08:00",  # its newest item: later than the 1st of the month
            "2023-04-20T00:00:00+08:00",  # an item's updated:
        ),
        (
            "March 2023",
            "1 item: Regulation (1)",
            "2023-03-15T00:00:00+08:00",
            "2023-03-15T00:00:00+08:00",
        ),
    ]


def test_every_link_in_every_content_is_absolute(shipped_feeds, basic_feeds) -> None:
    for rendered in (shipped_feeds, basic_feeds):
        for path, data in rendered.items():
            if path.endswith(".json"):
                contents = [i["content_html"] for i in json.loads(data)["items"]]
            else:
                root = etree.fromstring(data)
                contents = [
                    el.text
                    for el in root.iter(
                        f"{ATOM}content", "{http://purl.org/rss/1.0/modules/content/}encoded"
                    )
                ]
            for html in contents:
                for url in re.findall(r'(?:href|src)="([^"]*)"', html):
                    assert url.startswith(("https://", "http://", "mailto:")), (path, url)


# --- timestamps ------------------------------------------------------------------


def test_timestamps_are_the_items_dates_in_the_site_zone(basic_feeds) -> None:
    parsed = feedparser.parse(basic_feeds["agencies/cac/feed.xml"])
    assert parsed.feed.updated == "2023-04-20T00:00:00+08:00"  # the newest item's updated
    assert [(e.id.rsplit("/", 1)[1], e.published, e.updated) for e in parsed.entries] == [
        ("fines-and-rules", "2023-04-03T00:00:00+08:00", "2023-04-20T00:00:00+08:00"),
        ("recent-rule", "2023-04-01T00:00:00+08:00", "2023-04-01T00:00:00+08:00"),  # YYYY-MM
    ]
    channel = feedparser.parse(basic_feeds["rss.xml"]).feed
    assert channel.updated == "Thu, 20 Apr 2023 00:00:00 +0800"
    doc = json.loads(basic_feeds["feed.json"])
    assert [(i["date_published"], i["date_modified"]) for i in doc["items"]] == [
        ("2023-04-10T00:00:00+08:00", "2023-04-10T00:00:00+08:00"),
        ("2023-04-03T00:00:00+08:00", "2023-04-20T00:00:00+08:00"),
    ]


# --- structure: RFC 4287, RSS 2.0, JSON Feed 1.1 ---------------------------------


def _rfc3339(text: str | None) -> datetime.datetime:
    assert text is not None and RFC3339.match(text), text
    return datetime.datetime.fromisoformat(text)


def _rfc822(text: str | None) -> datetime.datetime:
    assert text is not None and RFC822.match(text), text
    moment = email.utils.parsedate_to_datetime(text)
    assert moment.strftime("%a") == text[:3], f"wrong day of the week: {text}"
    return moment


def check_atom(data: bytes, url: str, base_url: str) -> None:
    """The RFC 4287 rules the W3C validator reports as errors."""
    root = etree.fromstring(data)
    assert root.tag == f"{ATOM}feed"
    assert TAG_URI.match(root.findtext(f"{ATOM}id") or ""), root.findtext(f"{ATOM}id")
    assert (root.findtext(f"{ATOM}title") or "").strip()
    feed_updated = _rfc3339(root.findtext(f"{ATOM}updated"))
    assert len(root.findall(f"{ATOM}updated")) == 1
    links = [
        (ln.get("rel", "alternate"), ln.get("type"), ln.get("href"))
        for ln in root.findall(f"{ATOM}link")
    ]
    assert ("self", "application/atom+xml", url) in links
    assert len(links) == len({(rel, typ) for rel, typ, _ in links})  # unique rel/type pairs
    assert next(h for rel, _t, h in links if rel == "alternate").startswith(base_url)
    feed_author = root.find(f"{ATOM}author")
    ids = set()
    newest = None
    for entry in root.findall(f"{ATOM}entry"):
        entry_id = entry.findtext(f"{ATOM}id") or ""
        assert TAG_URI.match(entry_id), entry_id
        assert entry_id not in ids, f"duplicate id {entry_id}"
        ids.add(entry_id)
        assert (entry.findtext(f"{ATOM}title") or "").strip()
        updated = _rfc3339(entry.findtext(f"{ATOM}updated"))
        published = _rfc3339(entry.findtext(f"{ATOM}published"))
        assert published <= updated
        newest = updated if newest is None else max(newest, updated)
        alternates = [
            ln for ln in entry.findall(f"{ATOM}link") if ln.get("rel", "alternate") == "alternate"
        ]
        assert len(alternates) == 1
        assert alternates[0].get("href").startswith(base_url)
        assert entry.find(f"{ATOM}content").get("type") == "html"
        assert (entry.findtext(f"{ATOM}content") or "").strip()
        assert (entry.findtext(f"{ATOM}summary") or "").strip()
        assert feed_author is not None or entry.find(f"{ATOM}author") is not None
        for category in entry.findall(f"{ATOM}category"):
            assert category.get("term")
            assert category.get("scheme").startswith(base_url)
    if newest is not None:
        assert feed_updated == newest
    assert feed_author is not None and (feed_author.findtext(f"{ATOM}name") or "").strip()


def check_rss(data: bytes, url: str, base_url: str) -> None:
    """The RSS 2.0 rules (and the validator's self-link advice) for the channel and items."""
    root = etree.fromstring(data)
    assert root.tag == "rss" and root.get("version") == "2.0"
    channel = root.find("channel")
    for name in ("title", "link", "description"):
        assert (channel.findtext(name) or "").strip(), name
    assert channel.findtext("link") == base_url
    selfs = channel.findall(f"{ATOM}link")
    assert [(s.get("rel"), s.get("type"), s.get("href")) for s in selfs] == [
        ("self", "application/rss+xml", url)
    ]
    last_build = _rfc822(channel.findtext("lastBuildDate"))
    guids = set()
    newest = None
    for item in channel.findall("item"):
        guid = item.find("guid")
        assert guid.get("isPermaLink") == "false"
        assert TAG_URI.match(guid.text), guid.text
        assert guid.text not in guids
        guids.add(guid.text)
        assert (item.findtext("title") or "").strip()
        assert (item.findtext("description") or "").strip()
        assert item.findtext("link").startswith(base_url)
        pub = _rfc822(item.findtext("pubDate"))
        newest = pub if newest is None else max(newest, pub)
    assert newest is None or last_build >= newest


def check_json_feed(data: bytes, url: str, base_url: str) -> None:
    """JSON Feed 1.1: the top-level and item fields it requires, and ours."""
    doc = json.loads(data)
    assert doc["version"] == "https://jsonfeed.org/version/1.1"
    assert doc["title"].strip()
    assert doc["home_page_url"] == base_url
    assert doc["feed_url"] == url
    assert doc["authors"][0]["name"].strip()
    ids = set()
    for item in doc["items"]:
        assert isinstance(item["id"], str) and TAG_URI.match(item["id"])
        assert item["id"] not in ids
        ids.add(item["id"])
        assert item["url"].startswith(base_url)
        assert item["content_html"].strip() and item["summary"].strip() and item["title"].strip()
        assert _rfc3339(item["date_published"]) <= _rfc3339(item["date_modified"])
        assert all(isinstance(t, str) and t for t in item["tags"])


def test_every_feed_meets_its_format(
    shipped: Site, shipped_feeds, basic: Site, basic_feeds
) -> None:
    checkers = {"atom": check_atom, "rss": check_rss, "json": check_json_feed}
    for site, rendered in ((shipped, shipped_feeds), (basic, basic_feeds)):
        base = site.config.base_url
        catalogue = feeds.catalogue(site)
        assert sorted(rendered) == sorted(f.path for f in catalogue)
        for feed in catalogue:
            checkers[feed.format](rendered[feed.path], base + feed.path, base)
        feed_ids = [
            etree.fromstring(rendered[f.path]).findtext(f"{ATOM}id")
            for f in catalogue
            if f.format == "atom"
        ]
        assert len(feed_ids) == len(set(feed_ids))


def test_the_checks_catch_what_the_validator_would(basic_feeds) -> None:
    base = "https://example.org/digest/"
    atom = basic_feeds["feed.xml"]
    with pytest.raises(AssertionError):  # self link not where the feed is served
        check_atom(atom, base + "other.xml", base)
    with pytest.raises(AssertionError):  # a date that is not RFC 3339
        check_atom(
            atom.replace(b"2023-04-10T00:00:00+08:00", b"2023-04-10 00:00:00"),
            base + "feed.xml",
            base,
        )
    with pytest.raises(AssertionError):  # two entries with one id
        check_atom(
            atom.replace(b"entries/court-case<", b"entries/fines-and-rules<"),
            base + "feed.xml",
            base,
        )
    rss = basic_feeds["rss.xml"]
    with pytest.raises(AssertionError):  # RFC 822 with the wrong day of the week
        check_rss(rss.replace(b"Mon, 03 Apr 2023", b"Tue, 03 Apr 2023"), base + "rss.xml", base)
    with pytest.raises(AssertionError):
        check_rss(
            rss.replace(b'isPermaLink="false"', b'isPermaLink="true"'), base + "rss.xml", base
        )
    with pytest.raises(AssertionError):
        check_json_feed(basic_feeds["feed.json"], base + "feed.xml", base)
    assert not TAG_URI.match("tag:example.org,2024-13-01:entries/x")
    assert not TAG_URI.match("tag:example.org:entries/x")
    assert TAG_URI.match("tag:editor@example.org,2024:entries/x")


# --- permanence and determinism --------------------------------------------------


def _ids(rendered: dict[str, bytes]) -> dict[str, list[str]]:
    ids = {}
    for path, data in rendered.items():
        if path.endswith(".json"):
            ids[path] = [i["id"] for i in json.loads(data)["items"]]
        else:
            parsed = feedparser.parse(data)
            ids[path] = [e.id for e in parsed.entries] + [parsed.feed.get("id", "")]
    return ids


def test_ids_survive_edits_moves_and_a_new_base_url(tmp_path: Path) -> None:
    site_dir = tmp_path / "entries"
    shutil.copytree(BASIC, site_dir)
    before = _ids(render(site_dir))
    item = "tag:example.org,2024-01-01:entries/fines-and-rules"
    assert item in before["feed.xml"] and item in before["rss.xml"] and item in before["feed.json"]

    # Edit the title, date and body; move the file to another edition; move the site.
    old = site_dir / "2023-04" / "fines-and-rules.md"
    text = old.read_text(encoding="utf-8")
    text = text.replace('Fines & \\"Rules\\"', "Heavier Fines").replace("2023-04-03", "2023-04-15")
    text = text.replace("The CAC fined apps", "The CAC fined many apps")
    assert "Heavier Fines" in text and "2023-04-15" in text and "many apps" in text
    (site_dir / "2023-05").mkdir()
    (site_dir / "2023-05" / "fines-and-rules.md").write_text(text, encoding="utf-8")
    old.unlink()
    config = site_dir / "site.yaml"
    config.write_text(
        config.read_text(encoding="utf-8").replace(
            "https://example.org/digest/", "https://news.example.com/"
        ),
        encoding="utf-8",
    )
    after_render = render(site_dir)
    after = _ids(after_render)

    parsed = feedparser.parse(after_render["feed.xml"])
    moved = next(e for e in parsed.entries if e.id == item)
    assert moved.title.startswith("Heavier Fines")
    assert moved.link == "https://news.example.com/entries/fines-and-rules/"
    assert "/editions/2023-05/" in moved.content[0].value
    # Every id that was there is there again, in the feeds that still hold its item.
    for path in ("agencies/cac/feed.xml", "tags/apps/feed.xml", "sections/enforcement/feed.xml"):
        assert sorted(after[path]) == sorted(before[path]), path
    for path in ("feed.xml", "rss.xml", "feed.json"):
        assert item in after[path]
    assert after["feed.xml"][-1] == "tag:example.org,2024-01-01:feeds/feed.xml"
    assert "tag:example.org,2024-01-01:editions/2023-05" in after["editions/feed.xml"]


def test_two_renders_are_byte_identical(shipped_feeds) -> None:
    again = render(SHIPPED)
    assert again.keys() == shipped_feeds.keys()
    for path, data in shipped_feeds.items():
        assert again[path] == data, path


def test_spliced_atom_is_what_feedgen_writes(shipped: Site, shipped_feeds) -> None:
    # _atom splices once-serialised entries into feedgen's feed; feedgen's own
    # add_entry + atom_str must give the very same bytes.
    editions = {e.key: e for e in shipped.editions}
    for feed in feeds.catalogue(shipped):
        if feed.format != "atom":
            continue
        if feed.editions:
            items = [feeds._edition_item(shipped, editions[k]) for k in feed.items]
        else:
            items = [
                feeds._item(shipped, i, editions[shipped.entries[i].edition]) for i in feed.items
            ]
        fg = feeds._generator(shipped, feed, items)
        for item in items:
            fg.add_entry(feeds._feed_entry(item), order="append")
        assert fg.atom_str(pretty=True) == shipped_feeds[feed.path], feed.path


def test_a_feed_is_its_skeleton_and_its_entries(shipped: Site, shipped_feeds) -> None:
    # What splicing relies on: a feed as written splits into one piece per item, and
    # feedgen's feed without entries plus those pieces is the feed again.
    for feed in feeds.catalogue(shipped):
        if feed.format == "json" or feed.editions:
            continue
        data = shipped_feeds[feed.path]
        entries = feeds._entries_of(data, feed.format)
        assert entries is not None and len(entries) == len(feed.items), feed.path
        updated = feeds._newest(shipped, [feeds._item_updated(shipped, i) for i in feed.items])
        bare = feeds._generator(shipped, feed, (), updated)
        skeleton = (
            bare.atom_str(pretty=True) if feed.format == "atom" else bare.rss_str(pretty=True)
        )
        assert feeds._spliced(skeleton, feed.format, entries) == data, feed.path


def test_rss_items_made_apart_are_those_of_the_whole_feed(shipped: Site, shipped_feeds) -> None:
    editions = {e.key: e for e in shipped.editions}
    feed = next(f for f in feeds.catalogue(shipped) if f.format == "rss")
    made = [
        feeds._made(feeds._item(shipped, i, editions[shipped.entries[i].edition]))
        for i in feed.items
    ]
    whole = feeds._entries_of(shipped_feeds[feed.path], "rss")
    assert feeds._rss_items(shipped, feed, [m.entry for m in made[3:5]]) == whole[3:5]
    assert feeds._rss_items(shipped, feed, []) == []


@pytest.mark.parametrize(
    ("data", "entries"),
    [
        (b"<feed>\n</feed>\n", []),  # a feed without entries
        (b"<feed>\n  <entry>\n  </entry>\n</feed>\n", [b"  <entry>\n  </entry>\n"]),
        (b"", None),
        (b"<feed>\n  <entry>\n    <id>x</id>\n</feed>\n", None),  # an entry that does not end
        (b"<feed>\n  <entry>\n  </entry>\n</rss>\n", None),  # another format's end
    ],
)
def test_the_entries_of_a_feed_as_written(data: bytes, entries: list[bytes] | None) -> None:
    assert feeds._entries_of(data, "atom") == entries


def test_entries_of_a_file_written_from_other_items_are_not_used(
    shipped: Site, shipped_feeds
) -> None:
    feed = next(f for f in feeds.catalogue(shipped) if f.path == "feed.xml")
    signatures = keys.item_signatures(shipped, {})
    mine = tuple(signatures[i] for i in feed.items)
    written = keys.digest(b"print", feed.path, feed.format, keys.join(mine))
    last = feeds.LastFeeds({feed.path: mine}, {feed.path: shipped_feeds[feed.path]}.get)
    assert len(last.entries(feed, written, b"print")) == len(feed.items)
    assert last.entries(feed, written, b"other print") == {}  # other code or settings
    other = feeds.LastFeeds({feed.path: mine[1:] + mine[:1]}, last.read)  # other order
    assert other.entries(feed, written, b"print") == {}
    assert last.entries(feed, None, b"print") == {}  # the file is not as written
    gone = feeds.LastFeeds({feed.path: mine}, lambda path: None)
    assert gone.entries(feed, written, b"print") == {}
