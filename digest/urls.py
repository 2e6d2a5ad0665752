"""The URL layout, in one place. Every function returns a path relative to the site root
(no leading slash; '' is the home page); pages end in '/', and are written as
`<path>index.html`. Ids and slugs are [a-z0-9-] (checked in validate), so no path here
can climb out of the output folder."""

from __future__ import annotations

HOME = ""
EDITIONS = "editions/"
AGENCIES = "agencies/"
SECTIONS = "sections/"  # the sections' pages live below it (and feed categories name it)
TAGS = "tags/"  # likewise for tags
ARCHIVE = "archive/"
SECTIONS = "sections/"
TAGS = "tags/"
STATIC = "static/"
FEEDS = "feeds/"
ATOM = "feed.xml"
RSS = "rss.xml"
JSON_FEED = "feed.json"
EDITIONS_FEED = "editions/feed.xml"
SITEMAP = "sitemap.xml"
ROBOTS = "robots.txt"
NOT_FOUND = "404.html"
CATALOG = "catalog.json"  # every item, machine-readable (digest/schemas/catalog.schema.json)
LLMS = "llms.txt"  # an index for language-model tools (the llms.txt proposal)
EFFECTIVE = "effective/"  # items by the date they come into force
EFFECTIVE_ICS = "effective.ics"  # the same dates as an iCalendar feed
SEARCH = "search/"  # the search page (static/search.js over the index)
SEARCH_INDEX = "search/index.json"  # what search and the archive filters run on


def edition(key: str) -> str:
    """An edition's page: editions/2023-04/."""
    return f"editions/{key}/"


def entry(entry_id: str) -> str:
    """An item's permalink: entries/<id>/."""
    return f"entries/{entry_id}/"


def agency(slug: str) -> str:
    """An agency's page: agencies/<slug>/."""
    return f"agencies/{slug}/"


def section(category: str) -> str:
    """A section's page across editions: sections/<category>/."""
    return f"sections/{category}/"


def tag(name: str) -> str:
    """A tag's page: tags/<tag>/."""
    return f"tags/{name}/"


def page(base: str, number: int) -> str:
    """Page `number` of a paginated list at `base` (page 1 is `base` itself)."""
    return base if number == 1 else f"{base}page/{number}/"


def feed(base: str) -> str:
    """The Atom feed of a list page at `base`."""
    return f"{base}feed.xml"


def static(name: str) -> str:
    """A file from static/ (the stylesheet, the icon): static/<name>."""
    return f"{STATIC}{name}"


def link(base_path: str, url: str) -> str:
    """The href of `url` inside pages: under the site's base path ('/' or '/digest/')."""
    return f"{base_path}{url}"


def absolute(base_url: str, url: str) -> str:
    """The full address of `url` (canonical, Open Graph, JSON-LD, sitemap)."""
    return f"{base_url}{url}"


def output_file(url: str) -> str:
    """The file a URL is written to: pages get index.html."""
    return f"{url}index.html" if url == "" or url.endswith("/") else url
