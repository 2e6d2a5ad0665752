"""The third stage: checked entries -> the `Site`: editions with their sections in the
fixed order, items in their documented order, footnotes numbered across each edition,
and agencies, sections and tags as terms with their items. Cross-references are keys.

Order of items within a section: items with `order:` first, by that number; then the
others, newest first; ties by id. So the shipped edition keeps the newsletter's order
and a new item without `order:` lands at the end of its section, predictably.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from operator import attrgetter
from types import MappingProxyType

from .config import CATEGORIES, Config
from .problems import Problem
from .registry import LEVELS, Agency
from .validate import EditionSettings, Entry

# English month names, not calendar.month_name: that one follows the process locale.
MONTHS = (
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
)  # fmt: skip

# Sort keys: attrgetter is a C call where a lambda is a Python frame per item (10,000).
_PATH = attrgetter("path")
_ID = attrgetter("id")
_DATE = attrgetter("date")
_ORDER = attrgetter("order")


def format_date(date: datetime.date, precision: str = "day") -> str:
    """'March 23, 2023', or 'March 2023' for month precision (English, not the locale's)."""
    month = MONTHS[date.month - 1]
    return f"{month} {date.year}" if precision == "month" else f"{month} {date.day}, {date.year}"


@dataclass(frozen=True, slots=True)
class Footnote:
    """A numbered source in an edition: number `number` cites `url` for item `entry`."""

    number: int
    url: str
    entry: str


@dataclass(frozen=True, slots=True)
class Section:
    """A category's part of an edition, its items (ids) in reading order."""

    category: str
    title: str
    entries: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Edition:
    """A monthly edition, keyed by its publication month (YYYY-MM)."""

    key: str
    title: str
    published: datetime.date
    intro: str | None
    sections: tuple[Section, ...]
    footnotes: tuple[Footnote, ...]

    @property
    def entries(self) -> tuple[str, ...]:
        """All item ids in reading order."""
        return tuple(e for s in self.sections for e in s.entries)


@dataclass(frozen=True, slots=True)
class Term:
    """A way to group items: an agency, a section (category) or a tag; items newest first."""

    kind: str  # "agency", "section" or "tag"
    key: str
    slug: str
    title: str
    entries: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Site:
    """Everything the pages and feeds are made from."""

    config: Config
    entries: Mapping[str, Entry]
    editions: tuple[Edition, ...]  # newest first
    agencies: Mapping[str, Agency]  # the registry, by key
    agency_terms: tuple[Term, ...]  # registry order: by level, then name
    section_terms: tuple[Term, ...]  # CATEGORIES order
    tag_terms: tuple[Term, ...]  # by tag
    chronology: tuple[str, ...]  # every item id, newest first
    notes: Mapping[str, tuple[int, ...]]  # item id -> its footnote numbers

    def edition(self, key: str) -> Edition:
        """The edition with this key."""
        return next(e for e in self.editions if e.key == key)


def build_site(
    config: Config,
    agencies: Mapping[str, Agency],
    entries: Iterable[Entry],
    edition_settings: Iterable[EditionSettings] = (),
    *,
    drafts: bool = False,
) -> tuple[Site, list[Problem]]:
    """Assemble the Site; problems for what only shows across files (duplicate ids,
    two items given the same order in one section)."""
    problems: list[Problem] = []
    by_id: dict[str, Entry] = {}
    for entry in sorted(entries, key=_PATH):
        first = by_id.setdefault(entry.id, entry)
        if first is not entry:
            problems.append(
                Problem(
                    entry.path,
                    entry.line_of("id"),
                    "id",
                    f"{entry.id!r} is also the id of {first.path}",
                )
            )
    published = by_id if drafts else {k: e for k, e in by_id.items() if not e.draft}
    settings = {s.key: s for s in edition_settings}

    by_edition: dict[str, list[Entry]] = {}
    for entry in published.values():
        by_edition.setdefault(entry.edition, []).append(entry)

    editions = []
    notes: dict[str, tuple[int, ...]] = {}
    for key in sorted(by_edition, reverse=True):
        edition, found = _edition(config, key, by_edition[key], settings.get(key), notes)
        editions.append(edition)
        problems += found

    # Newest first, ties in reading order (editions newest first, each in its reading
    # order): a sort by date alone, reversed, since a reversed sort is still stable.
    reading = [published[eid] for ed in editions for s in ed.sections for eid in s.entries]
    newest = sorted(reading, key=_DATE, reverse=True)
    chronology = tuple(map(_ID, newest))

    # One pass over the chronology fills every term's list (newest first).
    by_agency: dict[str, list[str]] = {key: [] for key in agencies}
    by_category: dict[str, list[str]] = {c: [] for c in CATEGORIES}
    by_tag: dict[str, list[str]] = {}
    for entry in newest:
        eid = entry.id
        by_category[entry.category].append(eid)
        for key in entry.agencies:
            by_agency.setdefault(key, []).append(eid)
        for tag in entry.tags:
            by_tag.setdefault(tag, []).append(eid)

    level_rank = {level: i for i, level in enumerate(LEVELS)}
    agency_terms = tuple(
        Term("agency", a.key, a.slug, a.name, tuple(by_agency[a.key]))
        for a in sorted(
            agencies.values(), key=lambda a: (level_rank[a.level], a.name.casefold(), a.key)
        )
    )
    section_terms = tuple(
        Term("section", c, c, config.section_title(c), tuple(by_category[c])) for c in CATEGORIES
    )
    tag_terms = tuple(Term("tag", t, t, t, tuple(by_tag[t])) for t in sorted(by_tag))

    site = Site(
        config=config,
        entries=MappingProxyType(published),
        editions=tuple(editions),
        agencies=MappingProxyType(dict(agencies)),
        agency_terms=agency_terms,
        section_terms=section_terms,
        tag_terms=tag_terms,
        chronology=chronology,
        notes=MappingProxyType(notes),
    )
    return site, problems


def _edition(
    config: Config,
    key: str,
    entries: list[Entry],
    settings: EditionSettings | None,
    notes: dict[str, tuple[int, ...]],
) -> tuple[Edition, list[Problem]]:
    problems: list[Problem] = []
    by_category: dict[str, list[Entry]] = {}
    for e in entries:
        by_category.setdefault(e.category, []).append(e)
    sections = []
    footnotes: list[Footnote] = []
    for category in CATEGORIES:
        members = by_category.get(category)
        if not members:
            continue
        # Items with `order:` first, by it; then the others; each part newest first, ties
        # by id. Stable sorts from the last tie-break to the first: attrgetter keys, not
        # a tuple made per item.
        members.sort(key=_ID)
        members.sort(key=_DATE, reverse=True)
        ordered = [e for e in members if e.order is not None]
        if ordered:
            ordered.sort(key=_ORDER)
            members = ordered + [e for e in members if e.order is None]
            seen: dict[int, Entry] = {}
            for e in sorted(ordered, key=_PATH):
                if e.order in seen:
                    problems.append(
                        Problem(
                            e.path,
                            e.line_of("order"),
                            "order",
                            f"{e.order} is also the order of {seen[e.order].path} in section {category}",
                        )
                    )
                seen.setdefault(e.order, e)
        ids = tuple(map(_ID, members))
        sections.append(Section(category, config.section_title(category), ids))
        for e in members:
            start = len(footnotes) + 1
            footnotes += [Footnote(start + i, url, e.id) for i, url in enumerate(e.sources)]
            notes[e.id] = tuple(range(start, len(footnotes) + 1))
    year, month = int(key[:4]), int(key[5:])
    title = (settings and settings.title) or f"{MONTHS[month - 1]} {year}"
    published = (settings and settings.published) or datetime.date(year, month, 1)
    intro = settings.intro if settings else None
    return Edition(key, title, published, intro, tuple(sections), tuple(footnotes)), problems
