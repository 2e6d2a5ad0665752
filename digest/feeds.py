"""The site's feeds: Atom and RSS 2.0 with feedgen, JSON Feed 1.1 with the standard
library. `catalogue` (feedlist.py) says which feeds exist; `render_feeds` makes their
bytes.

    feed.xml                     Atom: the latest feed_size items
    rss.xml                      RSS 2.0: the same items
    feed.json                    JSON Feed 1.1: the same items
    sections/<category>/feed.xml Atom: a section's latest feed_size items
    agencies/<slug>/feed.xml     Atom: an agency's latest feed_size items
    tags/<tag>/feed.xml          Atom: a tag's latest feed_size items
    editions/feed.xml            Atom: the latest EDITIONS_FEED_SIZE editions, each whole
                                 (published: its date, or its newest item's if later)

A section, agency or tag without items has no feed (it has no honest `updated`).

Ids are tag: URIs (RFC 4151) made of site.yaml's id_authority and id_date and a key
that editors never change:

    tag:<id_authority>,<id_date>:entries/<item id>
    tag:<id_authority>,<id_date>:editions/<YYYY-MM>
    tag:<id_authority>,<id_date>:feeds/<path of the feed>

So an item keeps its id when its title, date, body or edition folder change and when
the site moves to another base_url; readers never show it as new again. RSS carries
the same id as a guid with isPermaLink="false".

Timestamps: an item is published at 00:00 of its date in the site's time zone (a
month-precision date counts as the first of the month); updated is its `updated` date
(else published); a feed's updated is its newest item's updated. Never the build time:
feedgen stamps now() unless told otherwise, so every feed and entry is given one.
"""

from __future__ import annotations

import datetime
import html
import json
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache

from dateutil import tz
from feedgen.entry import FeedEntry
from feedgen.feed import FeedGenerator
from lxml import etree

from . import feedhtml, keys, urls
from .feedlist import Feed, catalogue
from .model import Edition, Site
from .output import Output

JSON_FEED_VERSION = "https://jsonfeed.org/version/1.1"
GENERATOR = "digest"


def tag_uri(site: Site, specific: str) -> str:
    """The permanent tag: URI (RFC 4151) for `specific` ('entries/<id>', ...)."""
    config = site.config
    return f"tag:{config.id_authority},{config.id_date.isoformat()}:{specific}"


def entry_id(site: Site, item_id: str) -> str:
    """The permanent id of an item in every feed."""
    return tag_uri(site, f"entries/{item_id}")


def edition_id(site: Site, key: str) -> str:
    """The permanent id of an edition in the editions feed."""
    return tag_uri(site, f"editions/{key}")


def feed_id(site: Site, path: str) -> str:
    """The permanent id of the Atom feed served at `path`."""
    return tag_uri(site, f"feeds/{path}")


@lru_cache(maxsize=4096)
def _midnight(day: datetime.date, zone_name: str) -> datetime.datetime:
    """00:00 of `day` in the zone (the first valid time, where midnight is skipped by a
    clock change)."""
    moment = tz.resolve_imaginary(
        datetime.datetime(day.year, day.month, day.day, tzinfo=tz.gettz(zone_name))
    )
    # The same instant with a fixed offset: it prints the same, and formatting it does
    # not search the zone's transitions again for every feed it appears in.
    return moment.astimezone(datetime.timezone(moment.utcoffset()))


@dataclass(frozen=True, slots=True)
class _Item:
    """What every feed says about one item, computed once per build."""

    id: str
    url: str
    title: str
    published: datetime.datetime
    updated: datetime.datetime
    html: str
    summary: str
    categories: tuple[tuple[str, str, str], ...]  # (term, scheme, label)


def _item(site: Site, item_id: str, edition: Edition) -> _Item:
    entry = site.entries[item_id]
    zone = site.config.timezone
    published = _midnight(entry.date, zone)
    updated = _midnight(entry.updated, zone) if entry.updated else published
    base = site.config.base_url
    categories = [(entry.category, base + urls.SECTIONS, site.config.section_title(entry.category))]
    for key in entry.agencies:
        agency = site.agencies[key]
        categories.append((agency.slug, base + urls.AGENCIES, agency.name))
    categories += [(t, base + urls.TAGS, t) for t in entry.tags]
    return _Item(
        id=entry_id(site, item_id),
        url=base + urls.entry(item_id),
        title=entry.title,
        published=published,
        updated=updated,
        html=feedhtml.item_html(site, item_id, edition),
        summary=feedhtml.plain_summary(entry.html),
        categories=tuple(categories),
    )


def _edition_item(site: Site, edition: Edition) -> _Item:
    zone = site.config.timezone
    entries = [site.entries[e] for e in edition.entries]
    # An edition cannot come out before the news it reports (an edition dated the
    # first of its month may hold items from later that month).
    published = _midnight(max([edition.published, *(e.date for e in entries)]), zone)
    changed = [_midnight(e.updated, zone) for e in entries if e.updated]
    updated = max([published, *changed])
    return _Item(
        id=edition_id(site, edition.key),
        url=site.config.base_url + urls.edition(edition.key),
        title=edition.title,
        published=published,
        updated=updated,
        html=feedhtml.edition_html(site, edition),
        summary=feedhtml.edition_summary(site, edition),
        categories=(),
    )


def _feed_entry(item: _Item) -> FeedEntry:
    fe = FeedEntry()
    fe.id(item.id)  # also the RSS guid, with isPermaLink="false"
    fe.title(item.title)
    fe.updated(item.updated)
    fe.published(item.published)
    fe.link(href=item.url, rel="alternate", type="text/html")
    # RSS readers read <description> as HTML: the plain-text summary goes in escaped,
    # or a body's `<script>`, text on the site, would be markup in the reader. In this
    # order: description() also sets Atom content, and summary() keeps a description.
    fe.description(html.escape(item.summary, quote=False))
    fe.content(item.html, type="html")
    fe.summary(item.summary)  # Atom <summary>: plain text
    if item.categories:
        fe.category([{"term": t, "scheme": s, "label": lab} for t, s, lab in item.categories])
    return fe


def _updated(site: Site, items: list[_Item]) -> datetime.datetime:
    # An empty feed (a site with no items yet) is dated id_date: fixed, not the build time.
    if not items:
        return _midnight(site.config.id_date, site.config.timezone)
    return max(i.updated for i in items)


def _generator(site: Site, feed: Feed, items: list[_Item]) -> FeedGenerator:
    config = site.config
    fg = FeedGenerator()
    fg.id(feed_id(site, feed.path))
    fg.title(feed.title)
    fg.updated(_updated(site, items))
    fg.author({"name": config.author})
    fg.language(config.language)
    fg.generator(GENERATOR)
    # feedgen takes the RSS channel link from the last link given: the page, not self.
    fg.link(href=config.base_url + feed.path, rel="self", type=feed.media_type)
    fg.link(href=config.base_url + feed.page, rel="alternate", type="text/html")
    fg.description(config.description or config.title)  # RSS description, Atom subtitle
    return fg


def _atom_entry(fe: FeedEntry) -> bytes:
    """An entry's Atom element as feedgen builds it, serialised as feedgen's
    atom_str(pretty=True) would inside a feed (see _atom)."""
    element = fe.atom_entry()
    etree.indent(element, level=1)
    element.tail = "\n"
    return b"  " + etree.tostring(element, encoding="UTF-8")


_FEED_END = b"</feed>\n"


def _atom(site: Site, feed: Feed, items: list[_Item], entries: list[bytes]) -> bytes:
    # feedgen writes the feed's own elements; the entries, each serialised once per
    # build, go in before </feed>. Letting feedgen rebuild and reserialise an item for
    # every feed it is in costs 3.5 s for 400 feeds of 10,000 items; this, ~0.1 s. The
    # bytes are the same as feedgen's (tests/test_feeds.py compares them).
    skeleton = _generator(site, feed, items).atom_str(pretty=True)
    if not skeleton.endswith(_FEED_END):
        raise AssertionError(f"feedgen's Atom ends unexpectedly: {skeleton[-40:]!r}")
    return skeleton[: -len(_FEED_END)] + b"".join(entries) + _FEED_END


def _rss(site: Site, feed: Feed, items: list[_Item], entries: list[FeedEntry]) -> bytes:
    fg = _generator(site, feed, items)
    for fe in entries:
        fg.add_entry(fe, order="append")  # feedgen prepends by default
    return fg.rss_str(pretty=True)


def _json(site: Site, feed: Feed, items: list[_Item]) -> bytes:
    config = site.config
    doc: dict[str, object] = {
        "version": JSON_FEED_VERSION,
        "title": feed.title,
        "home_page_url": config.base_url + feed.page,
        "feed_url": config.base_url + feed.path,
    }
    if config.description:
        doc["description"] = config.description
    doc["language"] = config.language
    doc["authors"] = [{"name": config.author}]
    doc["items"] = [
        {
            "id": i.id,
            "url": i.url,
            "title": i.title,
            "content_html": i.html,
            "summary": i.summary,
            "date_published": i.published.isoformat(),
            "date_modified": i.updated.isoformat(),
            "tags": [label for _t, _s, label in i.categories],
        }
        for i in items
    ]
    return (json.dumps(doc, ensure_ascii=False, indent=2) + "\n").encode("utf-8")


@dataclass(frozen=True, slots=True)
class _Made:
    """An item ready for any feed: its facts, its feedgen entry, its Atom bytes."""

    item: _Item
    entry: FeedEntry
    atom: bytes


def _made(item: _Item) -> _Made:
    fe = _feed_entry(item)
    return _Made(item, fe, _atom_entry(fe))


def render_feeds(
    site: Site,
    fingerprint: bytes = b"",
    signatures: Mapping[str, bytes] | None = None,
    previous: Mapping[str, bytes] | None = None,
) -> tuple[Output, ...]:
    """Every feed of the catalogue as an Output (bytes in memory, no I/O).

    A feed's key covers the shared fingerprint and the signatures of its items (for the
    editions feed: of every item); a feed whose key is in `previous` (output path ->
    key of the file still there) is not made again: its Output has no data. An item
    in several feeds is made into HTML, a feedgen entry and Atom bytes once."""
    if signatures is None:
        signatures = keys.item_signatures(site, {})
    previous = previous or {}
    editions = {e.key: e for e in site.editions}
    cache: dict[str, _Made] = {}
    everything = keys.join(signatures[eid] for eid in site.chronology)

    def made(item_id: str) -> _Made:
        if item_id not in cache:
            entry = site.entries[item_id]
            cache[item_id] = _made(_item(site, item_id, editions[entry.edition]))
        return cache[item_id]

    outputs = []
    for feed in catalogue(site):
        shows = everything if feed.editions else keys.join(signatures[i] for i in feed.items)
        key = keys.digest(fingerprint, feed.path, feed.format, shows)
        if previous.get(feed.path) == key:
            outputs.append(Output(feed.path, None, key))
            continue
        if feed.editions:
            ready = [_made(_edition_item(site, editions[k])) for k in feed.items]
        else:
            ready = [made(item_id) for item_id in feed.items]
        items = [m.item for m in ready]
        if feed.format == "json":
            data = _json(site, feed, items)
        elif feed.format == "rss":
            data = _rss(site, feed, items, [m.entry for m in ready])
        else:
            data = _atom(site, feed, items, [m.atom for m in ready])
        outputs.append(Output(feed.path, data, key))
    return tuple(outputs)
