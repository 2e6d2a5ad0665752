"""Which feeds the site has (`catalogue`), and their media types: what the pages, the
feeds page and llms.txt list, apart from feeds.py, which makes the feeds' bytes (and
loads feedgen and lxml to do it)."""

from __future__ import annotations

from dataclasses import dataclass

from . import urls
from .model import Site

ATOM_TYPE = "application/atom+xml"
RSS_TYPE = "application/rss+xml"
JSON_TYPE = "application/feed+json"
MEDIA_TYPES = {"atom": ATOM_TYPE, "rss": RSS_TYPE, "json": JSON_TYPE}
# Each entry of the editions feed is a whole edition (some 30 items): a year of them
# keeps the file that readers fetch on every poll small.
EDITIONS_FEED_SIZE = 12


@dataclass(frozen=True, slots=True)
class Feed:
    """One feed: served at `path`, the feed of the page at `page` (both site paths).

    `items` are item ids newest first, or edition keys newest first when `editions`.
    """

    path: str
    format: str  # "atom", "rss" or "json"
    title: str
    page: str
    items: tuple[str, ...]
    editions: bool = False

    @property
    def media_type(self) -> str:
        """The Content-Type of the feed (for autodiscovery links)."""
        return MEDIA_TYPES[self.format]


def catalogue(site: Site) -> tuple[Feed, ...]:
    """Every feed of the site, site-wide ones first, then sections, agencies, tags
    (in the site's order of each), then the editions feed."""
    config = site.config
    size = config.feed_size
    latest = site.chronology[:size]
    feeds = [
        Feed(urls.ATOM, "atom", config.title, urls.HOME, latest),
        Feed(urls.RSS, "rss", config.title, urls.HOME, latest),
        Feed(urls.JSON_FEED, "json", config.title, urls.HOME, latest),
    ]
    pages = {"section": urls.section, "agency": urls.agency, "tag": urls.tag}
    for term in (*site.section_terms, *site.agency_terms, *site.tag_terms):
        if term.entries:
            page = pages[term.kind](term.slug)
            title = f"{config.title}: {term.title}"
            feeds.append(Feed(urls.feed(page), "atom", title, page, term.entries[:size]))
    keys = tuple(e.key for e in site.editions[:EDITIONS_FEED_SIZE])
    feeds.append(
        Feed(urls.EDITIONS_FEED, "atom", f"{config.title}: editions", urls.EDITIONS, keys, True)
    )
    return tuple(feeds)
