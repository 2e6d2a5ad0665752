"""The fourth stage: the Site -> the pages, as bytes in memory (no I/O but reading the
templates). One Jinja environment (autoescape on, StrictUndefined: a misspelt name in
a template is an error, not an empty string), each template compiled once per build.

The page list is a tuple of small `Page` values and each page renders from it alone
(plus what `Renderer` computes once: views, the header and footer, the list rows), so
pages can be rendered in any order, or spread over processes.
"""

from __future__ import annotations

import gc
import os
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from jinja2 import Environment, Template
from markupsafe import Markup

from . import keys, urls
from .cache import paused_gc
from .effective import effective_view, reference_date
from .feedlist import ATOM_TYPE, JSON_TYPE, RSS_TYPE
from .model import MONTHS, Site
from .output import Output
from .views import (
    EditionView,
    Item,
    Link,
    TermView,
    Views,
    disclaimer,
    format_date,
    heads,
    json_ld,
    make_views,
    split_body,
)
from .write import Placed

if TYPE_CHECKING:
    from concurrent.futures import ProcessPoolExecutor

PAGER_WINDOW = 2  # page links shown either side of the current page
# Below this many pages to render, starting worker processes costs more than it saves.
PARALLEL_FROM = 400
# Page kinds that show the whole site (counts, every edition, every term): their key
# is the signature of every item.
SITE_WIDE = frozenset({"home", "editions", "agencies", "sections", "tags", "feeds", "404"})
# The kinds of page that are a page of a list of items' rows, and the archive's name
# among the lists (Renderer.list_keys).
LISTS = frozenset({"agency", "section", "tag", "archive"})
ARCHIVE = ("archive", "")


@dataclass(frozen=True, slots=True)
class Page:
    """One page to render: its URL, its kind (the template and view it takes), which
    edition, term or item (`key`) and which page of a paginated list (`number`)."""

    url: str
    kind: str
    key: str = ""
    number: int = 1


@dataclass(frozen=True, slots=True)
class FeedLink:
    """A feed, for <link rel="alternate"> and the feeds page."""

    title: str
    href: str
    type: str


@dataclass(frozen=True, slots=True)
class Head:
    """What the base layout needs about a page."""

    title: str
    description: str
    canonical: str
    og_type: str = "website"
    feeds: tuple[FeedLink, ...] = ()
    json_ld: Markup | None = None
    crumbs: tuple[Link, ...] = ()


@dataclass(frozen=True, slots=True)
class Pager:
    """Where a page sits in a paginated list; `links` holds (number, href), with None
    for a gap."""

    number: int
    count: int
    newer: str | None
    older: str | None
    links: tuple[tuple[int | None, str], ...]


@dataclass(frozen=True, slots=True)
class MonthGroup:
    """Archive rows of one month; `year` is set where a new year starts."""

    year: int | None
    title: str
    anchor: str
    rows: tuple[Markup, ...]


@dataclass(frozen=True, slots=True)
class EffectiveMonth:
    """The items coming into force in one month, on the /effective/ page."""

    title: str
    anchor: str
    items: tuple[Item, ...]


@dataclass(frozen=True, slots=True)
class Previous:
    """What the last build into the same output folder left that rendering can reuse,
    all made under `fingerprint`: the key of every file still there as it was written,
    the hash of every item's list row (by item signature), the hash of every agency's
    and tag's head (Renderer.head_keys) and of every list's items (Renderer.list_keys)."""

    fingerprint: bytes = b""
    keys: Mapping[str, bytes] = field(default_factory=dict)
    rows: Mapping[bytes, bytes] = field(default_factory=dict)
    heads: Mapping[tuple[str, str], bytes] = field(default_factory=dict)
    lists: Mapping[tuple[str, str], bytes] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Pages:
    """The rendered pages (an Output without data: the file there is still right), and
    for the next build the row hashes by item signature and the heads' and lists'
    hashes."""

    outputs: tuple[Output, ...]
    rows: Mapping[bytes, bytes]
    heads: Mapping[tuple[str, str], bytes] = field(default_factory=dict)
    lists: Mapping[tuple[str, str], bytes] = field(default_factory=dict)
    # Pages handed to the write stage as they were rendered (see start_pages), by path.
    placed: Mapping[str, Placed] = field(default_factory=dict)


CALENDAR_TYPE = "text/calendar"


def page_count(ids: tuple[str, ...], size: int) -> int:
    """How many pages of `size` a list fills; an empty list is one empty page."""
    return max(1, -(-len(ids) // size))


def page_of(ids: tuple[str, ...], size: int, number: int) -> tuple[str, ...]:
    """Page `number` (from 1) of a list cut into pages of `size`."""
    return ids[(number - 1) * size : number * size]


def pager(base_path: str, base: str, number: int, count: int) -> Pager:
    """The pager of page `number` of `count` at `base`: first, last and a window around
    the current page, gaps between."""

    def href(n: int) -> str:
        return urls.link(base_path, urls.page(base, n))

    shown = sorted(
        {1, count}
        | set(range(max(1, number - PAGER_WINDOW), min(count, number + PAGER_WINDOW) + 1))
    )
    links: list[tuple[int | None, str]] = []
    for n in shown:
        if links and links[-1][0] is not None and n - links[-1][0] > 1:
            links.append((None, ""))
        links.append((n, href(n)))
    return Pager(
        number=number,
        count=count,
        newer=href(number - 1) if number > 1 else None,
        older=href(number + 1) if number < count else None,
        links=tuple(links),
    )


def plan(site: Site, views: Views) -> tuple[Page, ...]:
    """Every page of the site, in a fixed order."""
    size = site.config.page_size
    pages = [
        Page(urls.HOME, "home"),
        Page(urls.EDITIONS, "editions"),
        *(Page(urls.edition(e.key), "edition", e.key) for e in views.editions),
        *(Page(urls.entry(eid), "entry", eid) for eid in site.chronology),
        Page(urls.AGENCIES, "agencies"),
        Page(urls.SECTIONS, "sections"),
        Page(urls.TAGS, "tags"),
        Page(urls.FEEDS, "feeds"),
        Page(urls.SEARCH, "search"),
        Page(urls.EFFECTIVE, "effective"),
    ]
    for kind, terms in (
        ("agency", views.agencies),
        ("section", views.sections),
        ("tag", views.tags),
    ):
        for term in views.listed(terms):
            for n in range(1, page_count(term.entries, size) + 1):
                pages.append(Page(urls.page(term.url, n), kind, term.key, n))
    for n in range(1, page_count(site.chronology, size) + 1):
        pages.append(Page(urls.page(urls.ARCHIVE, n), "archive", "", n))
    pages.append(Page(urls.NOT_FOUND, "404"))
    return tuple(pages)


class Renderer:
    """Renders pages of one site; holds what all pages share, computed once."""

    def __init__(
        self,
        site: Site,
        env: Environment,
        fingerprint: bytes = b"",
        signatures: Mapping[str, bytes] | None = None,
    ) -> None:
        self.site = site
        self.fingerprint = fingerprint
        self.signatures = signatures or keys.item_signatures(site, {})
        self.config = site.config
        self.views = make_views(site)
        self.base = site.config.base_path
        self.templates: dict[str, Template] = {}
        self.terms = {
            (t.kind, t.key): t
            for t in (*self.views.agencies, *self.views.sections, *self.views.tags)
        }
        self.env = env
        self.globals = {
            "site": self.config,
            "href": {
                "home": self.link(urls.HOME),
                "editions": self.link(urls.EDITIONS),
                "agencies": self.link(urls.AGENCIES),
                "sections": self.link(urls.SECTIONS),
                "tags": self.link(urls.TAGS),
                "archive": self.link(urls.ARCHIVE),
                "feeds": self.link(urls.FEEDS),
                "search": self.link(urls.SEARCH),
                "effective": self.link(urls.EFFECTIVE),
                "calendar": self.link(urls.EFFECTIVE_ICS),
                "search_index": self.link(urls.SEARCH_INDEX),
                "search_js": self.link(urls.static("search.js")),
                "css": self.link(urls.static("style.css")),
                "icon": self.link(urls.static("icon.svg")),
            },
            "disclaimer": disclaimer(site),
            "site_feeds": (
                FeedLink(f"{self.config.title}: all items (Atom)", self.link(urls.ATOM), ATOM_TYPE),
                FeedLink(f"{self.config.title}: all items (RSS)", self.link(urls.RSS), RSS_TYPE),
                FeedLink(
                    f"{self.config.title}: all items (JSON Feed)",
                    self.link(urls.JSON_FEED),
                    JSON_TYPE,
                ),
            ),
        }
        # The head's common part, the header and the footer are the same on every
        # page: rendered once.
        self.globals["common_head"] = Markup(
            self.template("partials/head.html").render(self.globals).rstrip("\n")
        )
        self.globals["header"] = Markup(self.template("partials/header.html").render(self.globals))
        self.globals["footer"] = Markup(self.template("partials/footer.html").render(self.globals))
        self._rows: dict[str, Markup] = {}
        self._bodies: dict[str, Markup] = {}
        self.row_hashes: dict[str, bytes] = {}
        self._all_rows = False  # whether row_hashes has every item's (all_row_hashes)
        self.site_signature = keys.join(self.signatures[eid] for eid in site.chronology)
        self._entry_hash = keys.hasher(self.fingerprint, "entry")
        self.edition_index = {e.key: i for i, e in enumerate(site.editions)}
        self._head_keys: dict[tuple[str, str], bytes] | None = None
        self._list_keys: dict[tuple[str, str], bytes] | None = None

    def link(self, url: str) -> str:
        """An href under the base path."""
        return urls.link(self.base, url)

    def template(self, name: str) -> Template:
        """A template, compiled once."""
        found = self.templates.get(name)
        if found is None:
            found = self.templates[name] = self.env.get_template(name)
        return found

    def row(self, eid: str) -> Markup:
        """An item's line in a list page (the same on every list it is on)."""
        found = self._rows.get(eid)
        if found is None:
            item = self.views.items[eid]
            found = self._rows[eid] = Markup(self.template("partials/row.html").render(item=item))
        return found

    def body(self, eid: str) -> Markup:
        """An item's body with its footnote markers (the same on its edition's page and
        on its permalink)."""
        found = self._bodies.get(eid)
        if found is None:
            item = self.views.items[eid]
            head, tail = split_body(self.site.entries[eid].html)
            found = self._bodies[eid] = Markup(
                self.template("partials/body.html").render(item=item, head=head, tail=tail)
            )
        return found

    def row_hash(self, eid: str) -> bytes:
        """The hash of an item's row (rendered when not known from the last build)."""
        found = self.row_hashes.get(eid)
        if found is None:
            found = self.row_hashes[eid] = keys.digest(self.row(eid))
        return found

    def all_row_hashes(self) -> dict[str, bytes]:
        """Every item's row hash, by id (those not known from the last build made now):
        the list pages' keys then look up some 70,000 of them without a call each."""
        if not self._all_rows:
            for eid in self.site.chronology:
                if eid not in self.row_hashes:
                    self.row_hash(eid)
            self._all_rows = True
        return self.row_hashes

    def head_keys(self) -> dict[tuple[str, str], bytes]:
        """Per agency and tag, by (kind, key): a hash of its head (views.heads), the only
        items through which it gives related items. Of each: its id, its row's hash, and
        what places it in the chronology, which orders any two items by their own date,
        edition, section, order and id, whatever other items there are."""
        if self._head_keys is None:
            entries = self.site.entries
            found = {}
            for name, ids in heads(self.site).items():
                parts: list[bytes | str] = []
                for eid in ids:
                    e = entries[eid]
                    place = f"{e.date.toordinal()} {e.edition} {e.category} {e.order}"
                    parts += [eid, place, self.row_hash(eid)]
                found[name] = keys.digest(*parts)
            self._head_keys = found
        return self._head_keys

    def list_keys(self) -> dict[tuple[str, str], bytes]:
        """Per agency, section and tag, by (kind, key), and for the archive (by
        ("archive", "")): a hash of its whole list of items, in order."""
        if self._list_keys is None:
            site = self.site
            found = {
                (t.kind, t.key): keys.digest("\0".join(t.entries))
                for t in (*site.agency_terms, *site.section_terms, *site.tag_terms)
            }
            found[ARCHIVE] = keys.digest("\0".join(site.chronology))
            self._list_keys = found
        return self._list_keys

    def page_keys(
        self, pages: Sequence[Page], paths: Sequence[str], previous: Previous
    ) -> list[bytes]:
        """The key of each page (its file is `paths[i]`), as `key` makes it; but the key
        of an item page or a list page is the one its file was written with
        (`previous.keys`) when nothing it is made of can have changed, which spares
        making the related lists, the keys of ten thousand item pages and the hashes of
        seventy thousand rows on a thousand list pages when one item was edited.

        An item whose signature is one the last build had (`previous.rows`) is the same
        item, with the same row (its hash is taken from there).

        An item page is made of the item (its signature), and the rows of its related
        items, chosen from its agencies' and tags' heads. So its key is still the last
        one when its signature is one the last build had and each of its terms' heads
        hashes as it did (`head_keys`, `previous.heads`): then its terms are the same,
        their heads hold the same items in the same order with the same rows, and the
        same related items follow.

        A page of a list (an agency's, section's or tag's, or the archive's) is made of
        the length of the list and the rows (and, on the archive, the months) of the
        items on it. So its key is still the last one when the whole list hashes as it
        did (`list_keys`, `previous.lists`), which makes its length and the items on
        each of its pages the same, and the items on it all have signatures the last
        build had."""
        if previous.fingerprint != self.fingerprint or not previous.heads:
            return [self.key(page) for page in pages]
        now = self.head_keys()
        stale: set[str] = set()  # the items of every term whose head changed
        for term in (*self.site.agency_terms, *self.site.tag_terms):
            name = (term.kind, term.key)
            if previous.heads.get(name) != now[name]:
                stale.update(term.entries)
        sig, known, written = self.signatures, previous.rows, previous.keys
        new = {eid for eid, signature in sig.items() if signature not in known}
        lists = {  # the lists that hold the same items as before, by (kind, key)
            name: self.terms[name].entries if name != ARCHIVE else self.site.chronology
            for name, h in self.list_keys().items()
            if previous.lists.get(name) == h
        }
        size = self.config.page_size
        found = []
        for page, path in zip(pages, paths, strict=True):
            kind = page.kind
            if kind == "entry":
                same = page.key not in stale and page.key not in new
            elif kind in LISTS:
                ids = lists.get(ARCHIVE if kind == "archive" else (kind, page.key))
                same = ids is not None and new.isdisjoint(page_of(ids, size, page.number))
            else:
                same = False
            kept = written.get(path) if same else None
            found.append(kept if kept is not None else self.key(page))
        return found

    def key(self, page: Page) -> bytes:
        """The hash of everything the page is made from (see keys.py). Each kind lists
        what its method below puts into the context, besides the shared fingerprint."""
        sig = self.signatures
        kind = page.kind
        if kind == "entry":
            # Four in five pages are items': their key is made from a copy of a hash
            # already fed the fingerprint, then the URL (no NUL in it) and hashes of a
            # fixed size, so no two pages' inputs run together (as keys.digest's
            # length prefixes ensure for the other kinds), at a fifth of the cost.
            known = self.row_hashes
            parts = [page.url.encode(), b"\0", sig[page.key]]
            for eid in self.views.related[page.key]:
                found = known.get(eid)
                parts.append(found if found is not None else self.row_hash(eid))
            h = self._entry_hash.copy()
            h.update(b"".join(parts))  # as one update: the same hash, fewer calls
            return h.digest()
        if kind == "edition":
            index = self.edition_index[page.key]
            editions = self.site.editions
            around = [e.key for e in editions[max(0, index - 1) : index + 2]]
            shows = [",".join(around).encode(), *(sig[e] for e in editions[index].entries)]
        elif kind in ("agency", "section", "tag"):
            term = self.terms[(kind, page.key)]
            ids = page_of(term.entries, self.config.page_size, page.number)
            shows = [str(len(term.entries)).encode(), *map(self.all_row_hashes().__getitem__, ids)]
        elif kind == "archive":
            ids = page_of(self.site.chronology, self.config.page_size, page.number)
            entries = self.site.entries
            known = self.all_row_hashes()
            shows = [str(len(self.site.chronology)).encode()]
            for eid in ids:
                date = entries[eid].date
                shows += [known[eid], f"{date.year}-{date.month}".encode()]
        elif kind in SITE_WIDE:
            shows = [self.site_signature]
        elif kind == "search":
            shows = []  # the page is a form and a frame for the script: nothing of items
        elif kind == "effective":
            # Every item's effective date and the day the page is "as of".
            shows = [self.site_signature, reference_date(self.site).isoformat().encode()]
        else:
            raise ValueError(f"no key for page kind {kind!r}")
        return keys.digest(self.fingerprint, page.url, kind, str(page.number), keys.join(shows))

    def rows(self, ids: Iterable[str]) -> tuple[Markup, ...]:
        """The rows of these items."""
        return tuple(self.row(eid) for eid in ids)

    def head(self, title: str, description: str, url: str, **more) -> Head:
        """A page's head; its title gets the site's name appended."""
        full = f"{title} · {self.config.title}" if title else self.config.title
        return Head(full, description, urls.absolute(self.config.base_url, url), **more)

    def render_page(self, page: Page) -> Output:
        """One page as an output file."""
        context = getattr(self, f"_{page.kind}".replace("404", "not_found"))(page)
        html = self.template(f"{page.kind}.html").render(self.globals, **context)
        return Output(urls.output_file(page.url), html.encode())

    # One method per page kind: the context its template gets.

    def _home(self, page: Page) -> dict[str, object]:
        views = self.views
        latest = views.edition_views[views.editions[0].key] if views.editions else None
        data = {
            "@context": "https://schema.org",
            "@type": "WebSite",
            "name": self.config.title,
            "url": self.config.base_url,
            "inLanguage": self.config.language,
        }
        if self.config.description:
            data["description"] = self.config.description
        return {
            "head": self.head(
                "",
                self.config.description or self.config.title,
                page.url,
                feeds=(self._editions_feed(),),
                json_ld=json_ld(data),
            ),
            "latest": latest,
            "earlier": views.editions[1:13],
            "more_editions": len(views.editions) > 13,
            "sections": views.listed(views.sections),
            "agency_count": len(views.listed(views.agencies)),
            "tag_count": len(views.tags),
            "item_count": len(views.items),
        }

    def _editions_feed(self) -> FeedLink:
        return FeedLink(
            f"{self.config.title}: editions (Atom)", self.link(urls.EDITIONS_FEED), ATOM_TYPE
        )

    def _editions(self, page: Page) -> dict[str, object]:
        n = len(self.views.editions)
        return {
            "head": self.head(
                "All editions",
                f"Every monthly edition of {self.config.title}, newest first ({n} in all).",
                page.url,
                feeds=(self._editions_feed(),),
                crumbs=(Link("Home", self.link(urls.HOME)),),
            ),
            "editions": self.views.editions,
        }

    def _edition(self, page: Page) -> dict[str, object]:
        edition: EditionView = self.views.edition_views[page.key]
        titles = ", ".join(s.title for s in edition.sections)
        description = (
            f"The {edition.title} edition of {self.config.title}: "
            f"{edition.count} item{'' if edition.count == 1 else 's'} ({titles})."
        )
        data = {
            "@context": "https://schema.org",
            "@type": "PublicationIssue",
            "name": f"{self.config.title}, {edition.title}",
            "datePublished": edition.published_iso,
            "url": edition.canonical,
            "inLanguage": self.config.language,
            "isPartOf": {
                "@type": "Periodical",
                "name": self.config.title,
                "url": self.config.base_url,
            },
        }
        return {
            "head": self.head(
                f"{edition.title} edition",
                description,
                page.url,
                og_type="article",
                feeds=(self._editions_feed(),),
                json_ld=json_ld(data),
                crumbs=(
                    Link("Home", self.link(urls.HOME)),
                    Link("Editions", self.link(urls.EDITIONS)),
                ),
            ),
            "edition": edition,
            "bodies": {
                item.id: self.body(item.id) for part in edition.sections for item in part.items
            },
        }

    def _entry(self, page: Page) -> dict[str, object]:
        item: Item = self.views.items[page.key]
        entry = self.site.entries[page.key]
        data: dict[str, object] = {
            "@context": "https://schema.org",
            "@type": "NewsArticle",
            "headline": item.title,
            "datePublished": item.iso,
            "url": item.canonical,
            "mainEntityOfPage": item.canonical,
            "inLanguage": self.config.language,
            "articleSection": item.section.text,
            "description": item.description,
            "publisher": {
                "@type": "Organization",
                "name": self.config.author,
                "url": self.config.base_url,
            },
            "author": {"@type": "Organization", "name": self.config.author},
            "about": [
                {"@type": "GovernmentOrganization", "name": name.text} for name in item.agency_names
            ],
            "citation": list(entry.sources),
        }
        if item.updated_iso:
            data["dateModified"] = item.updated_iso
        if entry.tags:
            data["keywords"] = list(entry.tags)
        return {
            "head": self.head(
                item.title,
                item.description,
                page.url,
                og_type="article",
                json_ld=json_ld(data),
                crumbs=(
                    Link("Home", self.link(urls.HOME)),
                    Link(f"{item.edition.text} edition", item.edition.href),
                    item.section,
                ),
            ),
            "item": item,
            "body": self.body(page.key),
            "related": self.rows(self.views.related[page.key]),
        }

    def _agencies(self, page: Page) -> dict[str, object]:
        return {
            "head": self.head(
                "Agencies",
                f"The authorities, courts and other bodies in {self.config.title}, by level, "
                "with the number of items about each.",
                page.url,
                crumbs=(Link("Home", self.link(urls.HOME)),),
            ),
            "groups": self.views.agency_groups,
        }

    def _sections(self, page: Page) -> dict[str, object]:
        return {
            "head": self.head(
                "Sections",
                f"The sections of {self.config.title}: "
                + ", ".join(t.title for t in self.views.sections)
                + ".",
                page.url,
                crumbs=(Link("Home", self.link(urls.HOME)),),
            ),
            "sections": self.views.sections,
        }

    def _tags(self, page: Page) -> dict[str, object]:
        return {
            "head": self.head(
                "Tags",
                f"Every topic tag in {self.config.title}, with the number of items on each.",
                page.url,
                crumbs=(Link("Home", self.link(urls.HOME)),),
            ),
            "tags": self.views.tags,
        }

    def _term(self, page: Page, kind: str, title: str, index: Link, description: str):
        term: TermView = self.terms[(kind, page.key)]
        count = page_count(term.entries, self.config.page_size)
        suffix = f" (page {page.number} of {count})" if count > 1 else ""
        return {
            "head": self.head(
                f"{title}{suffix}",
                f"{description}{suffix}",
                page.url,
                feeds=(
                    FeedLink(
                        f"{self.config.title}: {term.title} (Atom)", term.feed_href, ATOM_TYPE
                    ),
                ),
                crumbs=(Link("Home", self.link(urls.HOME)), index),
            ),
            "term": term,
            "rows": self.rows(page_of(term.entries, self.config.page_size, page.number)),
            "pager": pager(self.base, term.url, page.number, count),
        }

    def _agency(self, page: Page) -> dict[str, object]:
        term = self.terms[("agency", page.key)]
        agency = term.agency
        n = len(term.entries)
        return self._term(
            page,
            "agency",
            f"{agency.name} ({agency.key})" if agency and agency.name != agency.key else term.title,
            Link("Agencies", self.link(urls.AGENCIES)),
            f"{n} item{'' if n == 1 else 's'} about the {term.title} in {self.config.title}, newest first.",
        )

    def _section(self, page: Page) -> dict[str, object]:
        term = self.terms[("section", page.key)]
        n = len(term.entries)
        return self._term(
            page,
            "section",
            term.title,
            Link("Sections", self.link(urls.SECTIONS)),
            f"{n} item{'' if n == 1 else 's'} in the {term.title} section of "
            f"{self.config.title}, across all editions, newest first.",
        )

    def _tag(self, page: Page) -> dict[str, object]:
        term = self.terms[("tag", page.key)]
        n = len(term.entries)
        return self._term(
            page,
            "tag",
            f"Tagged {term.title}",
            Link("Tags", self.link(urls.TAGS)),
            f"{n} item{'' if n == 1 else 's'} tagged {term.title} in {self.config.title}, newest first.",
        )

    def _archive(self, page: Page) -> dict[str, object]:
        count = page_count(self.site.chronology, self.config.page_size)
        ids = page_of(self.site.chronology, self.config.page_size, page.number)
        groups: list[MonthGroup] = []
        year = None
        current: tuple[int, int] | None = None
        rows: list[Markup] = []
        for eid in ids:
            ym = self.views.items[eid].year_month
            if ym != current:
                if current is not None:
                    groups.append(self._month(current, year, rows))
                year = ym[0] if current is None or ym[0] != current[0] else None
                current, rows = ym, []
            rows.append(self.row(eid))
        if current is not None:
            groups.append(self._month(current, year, rows))
        suffix = f" (page {page.number} of {count})" if count > 1 else ""
        return {
            "head": self.head(
                f"Archive{suffix}",
                f"Every item of {self.config.title} by year and month, newest first{suffix}.",
                page.url,
                crumbs=(Link("Home", self.link(urls.HOME)),),
            ),
            "groups": tuple(groups),
            "pager": pager(self.base, urls.ARCHIVE, page.number, count),
        }

    @staticmethod
    def _month(ym: tuple[int, int], year: int | None, rows: list[Markup]) -> MonthGroup:
        return MonthGroup(
            year, f"{MONTHS[ym[1] - 1]} {ym[0]}", f"m-{ym[0]}-{ym[1]:02d}", tuple(rows)
        )

    def _feeds(self, page: Page) -> dict[str, object]:
        views = self.views

        def atom(term: TermView) -> FeedLink:
            return FeedLink(term.title, term.feed_href, ATOM_TYPE)

        return {
            "head": self.head(
                "Feeds",
                f"Follow {self.config.title} in a feed reader: every item, every edition, "
                "or one section, agency or tag.",
                page.url,
                feeds=(self._editions_feed(),),
                crumbs=(Link("Home", self.link(urls.HOME)),),
            ),
            "editions_feed": self._editions_feed(),
            "section_feeds": tuple(atom(t) for t in views.listed(views.sections)),
            "agency_feeds": tuple(atom(t) for t in views.listed(views.agencies)),
            "tag_feeds": tuple(atom(t) for t in views.tags),
        }

    def _search(self, page: Page) -> dict[str, object]:
        return {
            "head": self.head(
                "Search",
                f"Search every item of {self.config.title}: titles, text, agencies and "
                "their Chinese names, tags; narrow by section, agency, year and tag.",
                page.url,
                crumbs=(Link("Home", self.link(urls.HOME)),),
            ),
        }

    def _effective(self, page: Page) -> dict[str, object]:
        view = effective_view(self.site, reference_date(self.site))

        def months(groups, where: str) -> tuple[EffectiveMonth, ...]:
            return tuple(
                EffectiveMonth(
                    m.title,
                    f"{where}-{m.key}",
                    tuple(self.views.items[eid] for eid in m.entries),
                )
                for m in groups
            )

        return {
            "head": self.head(
                "Effective dates",
                f"When the rules reported in {self.config.title} come into force: upcoming "
                "first, then past, by month; also as a calendar to subscribe to.",
                page.url,
                feeds=(
                    FeedLink(
                        f"{self.config.title}: effective dates (iCalendar)",
                        self.link(urls.EFFECTIVE_ICS),
                        CALENDAR_TYPE,
                    ),
                ),
                crumbs=(Link("Home", self.link(urls.HOME)),),
            ),
            "reference": format_date(view.reference),
            "reference_iso": view.reference.isoformat(),
            "upcoming": months(view.upcoming, "upcoming"),
            "past": months(view.past, "past"),
        }

    def _not_found(self, page: Page) -> dict[str, object]:
        return {
            "head": self.head(
                "Page not found",
                f"This page is not part of {self.config.title}.",
                page.url,
            ),
        }


def sitemap(
    site: Site,
    pages: Iterable[Page],
    env: Environment,
    fingerprint: bytes = b"",
    previous: Mapping[str, bytes] | None = None,
) -> Output:
    """sitemap.xml: every page but the 404, with the date its content last changed where
    one is known (items and editions).

    Its key is a hash of what its rows are made of (with the shared fingerprint, which
    covers the template): when the file the last build wrote has that key (`previous`:
    output path -> key of the file still there), the Output has no data and the
    11,000-row template is not rendered again."""
    pages = [p for p in pages if p.kind not in ("404", "search")]  # search: nothing to index
    entries, editions = site.entries, site.editions
    # The rows are the pages' URLs, each with the day of the item or edition whose URL
    # it is: the URLs in order, then each item's id and day, each edition's key and
    # day (days as ordinals, 4 bytes each). Joined at NULs, which no URL or id holds,
    # and each part length-prefixed by digest: one unambiguous text, made without a
    # URL or a date text per row (the rows themselves are made only to render).
    days = [(e.updated or e.date).toordinal() for e in entries.values()]
    days += [e.published.toordinal() for e in editions]
    key = keys.digest(
        fingerprint,
        urls.SITEMAP,
        site.config.base_url,
        "\0".join([p.url for p in pages]),
        "\0".join([*entries, *(e.key for e in editions)]),
        b"".join([day.to_bytes(4, "little") for day in days]),
    )
    if previous and previous.get(urls.SITEMAP) == key:
        return Output(urls.SITEMAP, None, key)
    lastmod: dict[str, str] = {}
    for eid, entry in entries.items():
        lastmod[urls.entry(eid)] = (entry.updated or entry.date).isoformat()
    for edition in editions:
        lastmod[urls.edition(edition.key)] = edition.published.isoformat()
    base_url = site.config.base_url
    rows = tuple((urls.absolute(base_url, p.url), lastmod.get(p.url)) for p in pages)
    xml = env.get_template("sitemap.xml").render(rows=rows)
    return Output(urls.SITEMAP, xml.encode(), key)


def robots(site: Site) -> Output:
    """robots.txt: everything may be crawled; where the sitemap is."""
    text = (
        f"User-agent: *\nAllow: /\n\nSitemap: {urls.absolute(site.config.base_url, urls.SITEMAP)}\n"
    )
    return Output(urls.ROBOTS, text.encode())


def render_pages(
    site: Site,
    env: Environment,
    fingerprint: bytes = b"",
    signatures: Mapping[str, bytes] | None = None,
    previous: Previous = Previous(),
    workers: int | None = None,
) -> Pages:
    """Every page of the site, the sitemap and robots.txt. A page whose key is the one
    the last build wrote (`previous`) is not rendered: its Output has no data."""
    return start_pages(site, env, fingerprint, signatures, previous, workers).wait()


def start_pages(
    site: Site,
    env: Environment,
    fingerprint: bytes = b"",
    signatures: Mapping[str, bytes] | None = None,
    previous: Previous = Previous(),
    workers: int | None = None,
    put: Callable[[Output], Placed] | None = None,
) -> PageJob:
    """Start rendering the pages (as `render_pages`) in worker processes when there are
    many, and return at once: the caller can make the other outputs meanwhile, then
    `wait()`. With `put`, each rendered page is handed to it where it was rendered (in
    the worker: the write stage's own function, see write.put) instead of being sent
    back; its Output then has no data and `Pages.placed` says what put did."""
    renderer = Renderer(site, env, fingerprint, signatures)
    signatures = renderer.signatures
    if previous.fingerprint == fingerprint:
        renderer.row_hashes.update(
            (eid, previous.rows[s]) for eid, s in signatures.items() if s in previous.rows
        )
    pages = plan(site, renderer.views)
    # Each page's file, made once: for what to render, and for the outputs (wait).
    paths = [urls.output_file(page.url) for page in pages]
    if previous.keys:
        page_keys: list[bytes] | None = renderer.page_keys(pages, paths, previous)
        todo = [
            page
            for page, path, key in zip(pages, paths, page_keys, strict=True)
            if previous.keys.get(path) != key
        ]
    else:
        # Nothing to reuse: every page is rendered, and the keys (kept for the next
        # build) are made while the workers render. The rows (and so the item views)
        # are made here first all the same: the forked workers inherit them, where
        # each would otherwise make most of them again for its own list pages.
        with paused_gc():  # ten thousand item views and rows, none in a cycle
            renderer.all_row_hashes()
        page_keys = None
        todo = beside_their_editions(site, pages)
    job = PageJob(renderer, env, pages, paths, page_keys, put, previous)
    job.start(todo, workers)
    return job


def beside_their_editions(site: Site, pages: Sequence[Page]) -> list[Page]:
    """The pages, each edition's followed by its items': a worker renders a run of
    pages, and an item's body, made for its edition's page, is then reused for its own
    page rather than made again in another worker."""
    editions = {page.key: page for page in pages if page.kind == "edition"}
    items = {page.key: page for page in pages if page.kind == "entry"}
    ordered = [page for page in pages if page.kind not in ("edition", "entry")]
    for edition in site.editions:
        ordered.append(editions.pop(edition.key))
        ordered += (items.pop(eid) for eid in edition.entries)
    return ordered + list(editions.values()) + list(items.values())


class PageJob:
    """Pages being rendered; `wait()` gives them."""

    def __init__(self, renderer, env, pages, paths, page_keys, put, previous) -> None:
        self.renderer = renderer
        self.previous = previous
        self.env = env
        self.pages = pages
        self.paths = paths  # each page's output file
        self.page_keys = page_keys
        self.put = put
        self.todo: list[Page] = []
        self.pool: ProcessPoolExecutor | None = None  # started only for many pages
        self.parts: Iterable[list] = ()

    def start(self, todo: list[Page], workers: int | None) -> None:
        """Hand the pages to worker processes (or keep them to render in `wait`)."""
        self.todo = todo
        workers = workers or os.cpu_count() or 1
        if workers < 2 or len(todo) < PARALLEL_FROM or "fork" not in _start_methods():
            return
        # Forked workers inherit the renderer (views, rows, compiled templates) instead
        # of receiving it pickled; they get contiguous slices of the page list and send
        # back bytes, or only what put did. Slices of about 100 pages keep both workers
        # busy to the end.
        import multiprocessing  # here: a rebuild of a few pages never starts workers
        from concurrent.futures import ProcessPoolExecutor

        size = max(50, min(200, len(todo) // (workers * 8) or 1))
        slices = [todo[i : i + size] for i in range(0, len(todo), size)]
        context = multiprocessing.get_context("fork")
        self.pool = ProcessPoolExecutor(
            max_workers=workers,
            mp_context=context,
            initializer=_adopt,
            initargs=(self.renderer, self.put),
        )
        self.parts = self.pool.map(_render_slice, slices)

    def close(self) -> None:
        """Stop the workers (after a failure elsewhere)."""
        if self.pool is not None:
            self.pool.shutdown(cancel_futures=True)

    def wait(self) -> Pages:
        """The pages, once all are rendered (or put)."""
        renderer, put = self.renderer, self.put
        site, fingerprint = renderer.site, renderer.fingerprint
        try:
            # What does not need the pages, made while the workers render them (else
            # it would follow the last page, on one core).
            if self.page_keys is None:
                self.page_keys = [renderer.key(page) for page in self.pages]
            site_map = sitemap(site, self.pages, self.env, fingerprint, self.previous.keys)
            if self.pool is None:
                made = _render_slice(self.todo, renderer, put)
            else:
                made = [one for part in self.parts for one in part]
        finally:
            self.close()
        results = {page.url: one for page, one in zip(self.todo, made, strict=True)}
        outputs = []
        placed: dict[str, Placed] = {}
        for page, path, key in zip(self.pages, self.paths, self.page_keys, strict=True):
            one = results.get(page.url)
            if put is not None and one is not None:
                placed[path] = one
                one = None
            outputs.append(Output(path, one, key))
        outputs.append(site_map)
        extra = robots(site)
        outputs.append(Output(extra.path, extra.data, keys.digest(extra.data)))
        signatures = renderer.signatures
        heads = renderer.head_keys()
        rows = {signatures[eid]: h for eid, h in renderer.row_hashes.items()}
        return Pages(tuple(outputs), rows, heads, renderer.list_keys(), placed)


def _start_methods() -> list[str]:
    import multiprocessing

    return multiprocessing.get_all_start_methods()


# The renderer (and put) of a worker process, set once when the worker starts (inherited
# by fork, never pickled); the parent process never sets it.
_WORKER: list = []


def _adopt(renderer: Renderer, put: Callable[[Output], Placed] | None) -> None:
    # Forked while the parent's collector is paused (build.build): a worker renders
    # thousands of pages, and collects as usual.
    gc.enable()
    _WORKER[:] = [renderer, put]


def _render_slice(pages: list[Page], renderer: Renderer | None = None, put=None) -> list:
    """Render pages: their bytes, or what put did with each."""
    if renderer is None:
        renderer, put = _WORKER
    if put is None:
        return [renderer.render_page(page).data for page in pages]
    return [put(renderer.render_page(page)) for page in pages]
