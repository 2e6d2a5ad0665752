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

A feed made again (one of its items changed) takes each unchanged item's entry from
the file the last build wrote, when that file is still as written and was made under
the same fingerprint: see `LastFeeds`.

Timestamps: an item is published at 00:00 of its date in the site's time zone (a
month-precision date counts as the first of the month); updated is its `updated` date
(else published); a feed's updated is its newest item's updated. Never the build time:
feedgen stamps now() unless told otherwise, so every feed and entry is given one.
"""

from __future__ import annotations

import datetime
import html
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from itertools import pairwise
from pathlib import Path

from dateutil import tz
from feedgen.entry import FeedEntry
from feedgen.feed import FeedGenerator
from lxml import etree

from . import feedhtml, keys, urls
from .cache import folder_file, read_blob, write_blob
from .feedlist import Feed, catalogue
from .model import Edition, Site
from .output import Output, reader

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
    published = _midnight(entry.date, site.config.timezone)
    updated = _item_updated(site, item_id)
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


def _updated(site: Site, items: Sequence[_Item]) -> datetime.datetime:
    return _newest(site, [i.updated for i in items])


def _newest(site: Site, updated: Sequence[datetime.datetime]) -> datetime.datetime:
    # An empty feed (a site with no items yet) is dated id_date: fixed, not the build time.
    if not updated:
        return _midnight(site.config.id_date, site.config.timezone)
    return max(updated)


def _item_updated(site: Site, item_id: str) -> datetime.datetime:
    """An item's `updated` (its `updated` date, else its date), without the rest of its
    facts (_item)."""
    entry = site.entries[item_id]
    return _midnight(entry.updated or entry.date, site.config.timezone)


def _generator(
    site: Site, feed: Feed, items: Sequence[_Item], updated: datetime.datetime | None = None
) -> FeedGenerator:
    """feedgen's feed with everything but the entries; dated by its newest item's
    `updated` (of `items`, unless given)."""
    config = site.config
    fg = FeedGenerator()
    fg.id(feed_id(site, feed.path))
    fg.title(feed.title)
    fg.updated(updated if updated is not None else _updated(site, items))
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


# How a feed file ends, and the line each of its entries begins and ends with, as
# feedgen writes them pretty-printed (Atom entries as _atom_entry does).
_FEED_END = b"</feed>\n"
_RSS_END = b"  </channel>\n</rss>\n"
_ENTRY_LINES = {
    "atom": (b"  <entry>\n", b"  </entry>\n"),
    "rss": (b"    <item>\n", b"    </item>\n"),
}
_ENDS = {"atom": _FEED_END, "rss": _RSS_END}


def _atom(site: Site, feed: Feed, updated: datetime.datetime, entries: list[bytes]) -> bytes:
    # feedgen writes the feed's own elements; the entries, each serialised once per
    # build, go in before </feed>. Letting feedgen rebuild and reserialise an item for
    # every feed it is in costs 3.5 s for 400 feeds of 10,000 items; this, ~0.1 s. The
    # bytes are the same as feedgen's (tests/test_feeds.py compares them).
    return _spliced(_generator(site, feed, (), updated).atom_str(pretty=True), "atom", entries)


def _spliced(skeleton: bytes, format: str, entries: list[bytes]) -> bytes:
    """feedgen's feed without entries, with these serialised entries put in before its
    end: what feedgen writes for the feed with them."""
    end = _ENDS[format]
    if not skeleton.endswith(end):
        raise AssertionError(f"feedgen's {format} ends unexpectedly: {skeleton[-40:]!r}")
    return skeleton[: -len(end)] + b"".join(entries) + end


def _entries_of(data: bytes, format: str) -> list[bytes] | None:
    """The entries (Atom) or items (RSS) of a feed as feedgen wrote it, each as its
    lines; None when the file is not such a feed. Text and attribute values are
    escaped, so no line within an entry can begin as an entry does."""
    first, last = _ENTRY_LINES[format]
    end = _ENDS[format]
    if not data.endswith(end):
        return None
    bounds = []
    at = data.find(b"\n" + first)
    while at >= 0:
        bounds.append(at + 1)
        at = data.find(b"\n" + first, at + 1)
    bounds.append(len(data) - len(end))
    found = [data[a:b] for a, b in pairwise(bounds)]
    return found if all(entry.endswith(last) for entry in found) else None


def _rss(site: Site, feed: Feed, updated: datetime.datetime, entries: list[FeedEntry]) -> bytes:
    fg = _generator(site, feed, (), updated)
    for fe in entries:
        fg.add_entry(fe, order="append")  # feedgen prepends by default
    return fg.rss_str(pretty=True)


def _rss_items(site: Site, feed: Feed, entries: list[FeedEntry]) -> list[bytes]:
    """Each entry's RSS item as feedgen writes it within this feed (an RSS item uses
    the namespace prefixes its feed declares, so it is cut out of a feed of them)."""
    if not entries:
        return []
    data = _rss(site, feed, _midnight(site.config.id_date, site.config.timezone), entries)
    found = _entries_of(data, "rss")
    if found is None or len(found) != len(entries):
        raise AssertionError(f"feedgen's RSS items of {feed.path} cannot be told apart")
    return found


def _json_item(item: _Item) -> dict[str, object]:
    return {
        "id": item.id,
        "url": item.url,
        "title": item.title,
        "content_html": item.html,
        "summary": item.summary,
        "date_published": item.published.isoformat(),
        "date_modified": item.updated.isoformat(),
        "tags": [label for _t, _s, label in item.categories],
    }


def _json(site: Site, feed: Feed, items: list[dict[str, object]]) -> bytes:
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
    doc["items"] = items
    return (json.dumps(doc, ensure_ascii=False, indent=2) + "\n").encode("utf-8")


def _json_items(data: bytes) -> list[object] | None:
    """The items of a JSON Feed as _json wrote it; None when the file is not such a
    feed."""
    try:
        items = json.loads(data)["items"]
    except (ValueError, TypeError, KeyError):
        return None
    return items if isinstance(items, list) else None


@dataclass(frozen=True, slots=True)
class LastFeeds:
    """The feed files the last build left: each feed's items' signatures as its file
    was written (by path), and how to read a file of the live site.

    A file's entries serve a feed made again only when the file is still as written
    (its key is in `previous`, see render_feeds) and that key is the key of these very
    signatures under this build's fingerprint: the file was then made from the same
    items, each the same (keys.item_signatures), with the same settings, code and
    templates, so each unchanged item's entry in it is what making it would give.
    Signatures saved by a build that never swapped its files in cannot match the
    recorded key of the file still there."""

    items: Mapping[str, tuple[bytes, ...]]
    read: Callable[[str], bytes | None]

    @classmethod
    def load(cls, cache_dir: Path, out_dir: Path, live: str | None) -> LastFeeds:
        """What the cache folder keeps of the feeds written into `out_dir`, whose live
        site is the folder `live` (None: there is none, so nothing to read)."""
        value = read_blob(folder_file(cache_dir, "feeds", out_dir), _ITEMS_FORMAT)
        items = value if isinstance(value, dict) else {}
        return cls(items, reader(live))

    def save(self, cache_dir: Path, out_dir: Path, now: Mapping[str, tuple[bytes, ...]]) -> None:
        """Keep `now` (feed_items of this build) for the next, if it changed."""
        if now != self.items:
            write_blob(folder_file(cache_dir, "feeds", out_dir), _ITEMS_FORMAT, dict(now))

    def entries(self, feed: Feed, written: bytes | None, fingerprint: bytes) -> dict[bytes, object]:
        """The entries of the file at `feed.path` (its key `written`) by item
        signature; empty when they cannot be used."""
        signatures = self.items.get(feed.path)
        if written is None or type(signatures) is not tuple or not signatures:
            return {}
        if not all(type(s) is bytes for s in signatures):
            return {}
        if written != keys.digest(fingerprint, feed.path, feed.format, keys.join(signatures)):
            return {}
        data = self.read(feed.path)
        if data is None:
            return {}
        found = _json_items(data) if feed.format == "json" else _entries_of(data, feed.format)
        if found is None or len(found) != len(signatures):
            return {}
        return dict(zip(signatures, found, strict=True))


_ITEMS_FORMAT = "feed-items-1"


def feed_items(site: Site, signatures: Mapping[str, bytes]) -> dict[str, tuple[bytes, ...]]:
    """Each item feed's items' signatures, by path: for LastFeeds of the next build."""
    return {
        feed.path: tuple(signatures[i] for i in feed.items)
        for feed in catalogue(site)
        if not feed.editions
    }


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
    last: LastFeeds | None = None,
) -> tuple[Output, ...]:
    """Every feed of the catalogue as an Output (bytes in memory; no I/O but `last`'s).

    A feed's key covers the shared fingerprint and the signatures of its items (for the
    editions feed: of every item); a feed whose key is in `previous` (output path ->
    key of the file still there) is not made again: its Output has no data. An item
    in several feeds is made into HTML, a feedgen entry and Atom bytes once; in a feed
    made again, an item whose entry the last build's file has (`last`) not at all."""
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
        written = previous.get(feed.path)
        if written == key:
            outputs.append(Output(feed.path, None, key))
            continue
        if feed.editions:
            ready = [_made(_edition_item(site, editions[k])) for k in feed.items]
            updated = _updated(site, [m.item for m in ready])
            data = _atom(site, feed, updated, [m.atom for m in ready])
        else:
            old = last.entries(feed, written, fingerprint) if last is not None else {}
            data = _feed(site, feed, [signatures[i] for i in feed.items], old, made)
        outputs.append(Output(feed.path, data, key))
    return tuple(outputs)


def _feed(
    site: Site,
    feed: Feed,
    signatures: list[bytes],
    old: Mapping[bytes, object],
    made: Callable[[str], _Made],
) -> bytes:
    """The bytes of an item feed, each item's entry taken from `old` (by its
    signature) when there, else made."""
    updated = _newest(site, [_item_updated(site, i) for i in feed.items])
    pairs = list(zip(feed.items, signatures, strict=True))
    if feed.format == "json":
        items = [old[s] if s in old else _json_item(made(i).item) for i, s in pairs]
        return _json(site, feed, items)  # type: ignore[arg-type]
    if feed.format == "atom":
        entries = [old[s] if s in old else made(i).atom for i, s in pairs]
        return _atom(site, feed, updated, entries)  # type: ignore[arg-type]
    if not old:
        return _rss(site, feed, updated, [made(i).entry for i in feed.items])
    fresh = iter(_rss_items(site, feed, [made(i).entry for i, s in pairs if s not in old]))
    items = [old[s] if s in old else next(fresh) for _i, s in pairs]
    skeleton = _generator(site, feed, (), updated).rss_str(pretty=True)
    return _spliced(skeleton, "rss", items)  # type: ignore[arg-type]
