"""What templates see: the Site turned into plain, ready-to-print values (dates as
text, links as hrefs under the base path, related items chosen). Templates only present
these; every decision about content is made here.

An item's view and an edition's whole view are made the first time a page asks for
them (then kept): a rebuild that renders 40 pages of a 10,000-item site makes the views
those pages show, not 10,000 (the pages' keys need no views, see keys.py). Each view
is a function of the Site alone, so when it is made changes nothing in it.
"""

from __future__ import annotations

import datetime
import json
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import TypeVar

from markupsafe import Markup

from . import urls
from .markup import describe, render_inline
from .markup import render as render_markdown
from .model import Edition, Site, Term, format_date
from .registry import LEVEL_TITLES, LEVELS, Agency

RELATED = 5
K = TypeVar("K")
V = TypeVar("V")


@dataclass(frozen=True, slots=True)
class Link:
    """A link: text and href (under the base path)."""

    text: str
    href: str


@dataclass(frozen=True, slots=True)
class Note:
    """A numbered source of an item."""

    number: int
    url: str


@dataclass(frozen=True, slots=True)
class Item:
    """One news item, ready to show."""

    id: str
    title: str
    title_zh: str | None
    href: str
    canonical: str
    date: str  # "March 23, 2023", or "March 2023" when only the month is known
    iso: str  # "2023-03-23" or "2023-03"
    section: Link
    edition: Link
    agencies: tuple[Link, ...]  # text: the agency's key (the newsletter's abbreviation)
    agency_names: tuple[Link, ...]  # text: the agency's full name
    agency_keys: str  # the keys, comma-separated, as list rows show them
    tags: tuple[Link, ...]
    notes: tuple[Note, ...]
    effective: str | None
    effective_iso: str | None
    updated: str | None
    updated_iso: str | None
    description: str
    year_month: tuple[int, int]
    # Only a build with drafts (`digest serve`, `build --drafts`) has draft items at
    # all; the templates mark them so a preview is never mistaken for the real thing.
    draft: bool = False


@dataclass(frozen=True, slots=True)
class SectionPart:
    """One section of an edition."""

    category: str
    title: str
    anchor: str
    href: str  # the section's page across editions
    items: tuple[Item, ...]


@dataclass(frozen=True, slots=True)
class Source:
    """An entry of an edition's numbered source list."""

    number: int
    url: str
    item_id: str
    item_title: str


@dataclass(frozen=True, slots=True)
class EditionSummary:
    """A monthly edition in a list of editions."""

    key: str
    title: str
    href: str
    published: str
    published_iso: str
    count: int


@dataclass(frozen=True, slots=True)
class EditionView:
    """A monthly edition, ready to show whole."""

    key: str
    title: str
    href: str
    canonical: str
    published: str
    published_iso: str
    intro: Markup | None
    sections: tuple[SectionPart, ...]
    sources: tuple[Source, ...]
    count: int
    newer: Link | None
    older: Link | None


@dataclass(frozen=True, slots=True)
class TermView:
    """An agency, a section or a tag with its items (ids, newest first)."""

    kind: str
    key: str
    title: str
    url: str  # site-relative, for urls.page()
    href: str
    entries: tuple[str, ...]
    feed_href: str
    agency: Agency | None = None
    level_title: str | None = None


@dataclass(frozen=True, slots=True)
class AgencyGroup:
    """The agencies of one level, registry order."""

    level: str
    title: str
    agencies: tuple[TermView, ...]


class Lazy(Mapping[K, V]):
    """A read-only mapping over fixed keys whose values are made by `make(key)` the
    first time they are asked for, then kept. Iteration follows `keys`' order."""

    __slots__ = ("_keys", "_made", "_make")

    def __init__(self, keys: Mapping[K, object], make: Callable[[K], V]) -> None:
        self._keys = keys
        self._make = make
        self._made: dict[K, V] = {}

    def __getitem__(self, key: K) -> V:
        found = self._made.get(key)
        if found is None:
            if key not in self._keys:
                raise KeyError(key)
            found = self._made[key] = self._make(key)
        return found

    def __iter__(self) -> Iterator[K]:
        return iter(self._keys)

    def __len__(self) -> int:
        return len(self._keys)


@dataclass(frozen=True, slots=True)
class Views:
    """Everything the pages are made from; item and edition views made on demand."""

    items: Mapping[str, Item]  # chronology order
    editions: tuple[EditionSummary, ...]  # newest first
    edition_views: Mapping[str, EditionView]  # by key, newest first
    agencies: tuple[TermView, ...]  # every agency in the registry
    agency_groups: tuple[AgencyGroup, ...]
    sections: tuple[TermView, ...]
    tags: tuple[TermView, ...]
    related: Mapping[str, tuple[str, ...]]  # made when first asked for, as items

    def listed(self, terms: tuple[TermView, ...]) -> tuple[TermView, ...]:
        """The terms that have items, hence pages."""
        return tuple(t for t in terms if t.entries)


def split_body(html: str) -> tuple[Markup, Markup]:
    """An item's body (HTML) split before its last closing </p>, so that the footnote
    markers can go at the end of the last paragraph, where the newsletter puts its
    numbers; all of it and nothing when it does not end in a paragraph. (Made only
    where a body is shown, not with each item's view: a list row has no body, and the
    split copies the whole body.)"""
    stripped = html.rstrip()
    if stripped.endswith("</p>"):
        return Markup(stripped[:-4]), Markup("</p>\n")
    return Markup(html), Markup("")


def iso_date(date: datetime.date, precision: str = "day") -> str:
    """'2023-03-23', or '2023-03' for month precision (valid in <time datetime>)."""
    return date.isoformat()[:7] if precision == "month" else date.isoformat()


def json_ld(data: Mapping[str, object]) -> Markup:
    """JSON for a <script type="application/ld+json"> block: '<', '>' and '&' escaped so
    the text can never close the element."""
    text = json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    text = text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    return Markup(text)


def make_views(site: Site) -> Views:
    """All views of the site (item and whole-edition views made when first asked for)."""
    base = site.config.base_path
    cfg = site.config
    agency_links = {}
    for term in site.agency_terms:
        agency_links[term.key] = (
            Link(term.key, urls.link(base, urls.agency(term.slug))),
            Link(site.agencies[term.key].name, urls.link(base, urls.agency(term.slug))),
        )
    section_links = {
        t.key: Link(t.title, urls.link(base, urls.section(t.slug))) for t in site.section_terms
    }
    tag_links = {t.key: Link(t.title, urls.link(base, urls.tag(t.slug))) for t in site.tag_terms}
    edition_links = {
        e.key: Link(e.title, urls.link(base, urls.edition(e.key))) for e in site.editions
    }

    def item(eid: str) -> Item:
        entry = site.entries[eid]
        url = urls.entry(eid)
        return Item(
            id=eid,
            title=entry.title,
            title_zh=entry.title_zh,
            href=urls.link(base, url),
            canonical=urls.absolute(cfg.base_url, url),
            date=format_date(entry.date, entry.date_precision),
            iso=iso_date(entry.date, entry.date_precision),
            section=section_links[entry.category],
            edition=edition_links[entry.edition],
            agencies=tuple(agency_links[a][0] for a in entry.agencies),
            agency_names=tuple(agency_links[a][1] for a in entry.agencies),
            # Joined here: Jinja's map and join filters were half of a row's cost.
            agency_keys=", ".join(entry.agencies),
            tags=tuple(tag_links[t] for t in entry.tags),
            notes=tuple(
                Note(n, url) for n, url in zip(site.notes[eid], entry.sources, strict=True)
            ),
            effective=format_date(entry.effective) if entry.effective else None,
            effective_iso=entry.effective.isoformat() if entry.effective else None,
            updated=format_date(entry.updated) if entry.updated else None,
            updated_iso=entry.updated.isoformat() if entry.updated else None,
            # Made when the item was checked (and kept with it in the cache).
            description=entry.description or describe(entry.html),
            year_month=(entry.date.year, entry.date.month),
            draft=entry.draft,
        )

    # The chronology's order, for iteration; a dict for the membership test.
    items: Lazy[str, Item] = Lazy(dict.fromkeys(site.chronology), item)
    index = {e.key: i for i, e in enumerate(site.editions)}
    editions = Lazy(
        index,
        lambda key: _edition(site, site.editions[index[key]], items, edition_links, index[key]),
    )

    def term_view(term: Term, url: str, agency: Agency | None = None) -> TermView:
        return TermView(
            kind=term.kind,
            key=term.key,
            title=term.title,
            url=url,
            href=urls.link(base, url),
            entries=term.entries,
            feed_href=urls.link(base, urls.feed(url)),
            agency=agency,
            level_title=LEVEL_TITLES[agency.level] if agency else None,
        )

    agencies = tuple(
        term_view(t, urls.agency(t.slug), site.agencies[t.key]) for t in site.agency_terms
    )
    groups = tuple(
        AgencyGroup(level, LEVEL_TITLES[level], members)
        for level in LEVELS
        if (members := tuple(a for a in agencies if a.agency and a.agency.level == level))
    )
    return Views(
        items=items,
        editions=tuple(
            EditionSummary(
                key=e.key,
                title=e.title,
                href=edition_links[e.key].href,
                published=format_date(e.published),
                published_iso=e.published.isoformat(),
                count=len(e.entries),
            )
            for e in site.editions
        ),
        edition_views=editions,
        agencies=agencies,
        agency_groups=groups,
        sections=tuple(term_view(t, urls.section(t.slug)) for t in site.section_terms),
        tags=tuple(term_view(t, urls.tag(t.slug)) for t in site.tag_terms),
        related=Lazy(dict.fromkeys(site.chronology), related_finder(site)),
    )


def _edition(
    site: Site,
    edition: Edition,
    items: Mapping[str, Item],
    links: Mapping[str, Link],
    index: int,
) -> EditionView:
    base = site.config.base_path
    url = urls.edition(edition.key)
    newer = site.editions[index - 1].key if index > 0 else None
    older = site.editions[index + 1].key if index + 1 < len(site.editions) else None
    return EditionView(
        key=edition.key,
        title=edition.title,
        href=urls.link(base, url),
        canonical=urls.absolute(site.config.base_url, url),
        published=format_date(edition.published),
        published_iso=edition.published.isoformat(),
        intro=Markup(render_markdown(edition.intro).html) if edition.intro else None,
        sections=tuple(
            SectionPart(
                category=s.category,
                title=s.title,
                anchor=f"section-{s.category}",
                href=urls.link(base, urls.section(s.category)),
                items=tuple(items[eid] for eid in s.entries),
            )
            for s in edition.sections
        ),
        sources=tuple(
            Source(f.number, f.url, f.entry, items[f.entry].title) for f in edition.footnotes
        ),
        count=len(edition.entries),
        newer=links[newer] if newer else None,
        older=links[older] if older else None,
    )


def related(site: Site, limit: int = RELATED) -> dict[str, tuple[str, ...]]:
    """Per item, up to `limit` other items sharing an agency or a tag, newest first."""
    of = related_finder(site, limit)
    return {eid: of(eid) for eid in site.chronology}


def related_finder(site: Site, limit: int = RELATED) -> Callable[[str], tuple[str, ...]]:
    """A function giving one item's related items (as `related` gives them), for a
    build that needs the lists of only some items.

    Each term lists its items newest first, so the newest `limit` neighbours through a
    term are among the first `limit + 1` of its list (its head, see `heads`): an item
    looks at that many per term, never at the whole list (linear in the number of
    items, not quadratic). An item's list is therefore made of its terms' heads alone,
    which is what lets a rebuild know which lists may have changed (Renderer.page_keys)."""
    chronology = site.chronology
    rank = {eid: i for i, eid in enumerate(chronology)}
    # Items as their places in the chronology: ints sort without a key function, and
    # the newest first is the smallest place.
    places = {term: tuple(rank[eid] for eid in ids) for term, ids in heads(site, limit).items()}
    entries = site.entries
    nothing: tuple[int, ...] = ()

    def of(eid: str) -> tuple[str, ...]:
        entry = entries[eid]
        found: set[int] = set()
        for key in entry.agencies:
            found.update(places.get(("agency", key), nothing))
        for key in entry.tags:
            found.update(places.get(("tag", key), nothing))
        found.discard(rank[eid])
        return tuple([chronology[i] for i in sorted(found)[:limit]])

    return of


def heads(site: Site, limit: int = RELATED) -> dict[tuple[str, str], tuple[str, ...]]:
    """Per agency and tag, by (kind, key): its newest `limit + 1` items, the only ones
    through which it gives related items."""
    return {
        (term.kind, term.key): term.entries[: limit + 1]
        for term in (*site.agency_terms, *site.tag_terms)
    }


def disclaimer(site: Site) -> Markup:
    """The site's disclaimer as inline HTML ('' when there is none)."""
    return Markup(render_inline(site.config.disclaimer)) if site.config.disclaimer else Markup("")
