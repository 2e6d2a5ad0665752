"""`/llms.txt`: an index of the site for language-model tools, in the shape of the
llms.txt proposal (llmstxt.org): an H1 with the site's title, a blockquote summary, a
paragraph of detail, then H2 sections of Markdown link lists, `- [name](url): note`.

It lists what a tool needs to find its way, not every item: the editions, the sections,
the agencies with items, the feeds and the machine-readable files (the catalog holds
each item). The "Optional" section, which the proposal lets a tool skip when its
context is short, has the lists a tool can do without. Links are absolute, and only to
pages and files the site has: terms without items have no page, so they are left out.
"""

from __future__ import annotations

import re

from . import urls
from .feedlist import catalogue
from .model import Site
from .output import Output

_MARKDOWN_SPECIAL = re.compile(r"([\\\[\]])")


def _text(value: str) -> str:
    """`value` on one line, safe inside a Markdown link's text or a list note."""
    return _MARKDOWN_SPECIAL.sub(r"\\\1", " ".join(value.split()))


def _count(n: int) -> str:
    return f"{n} item{'' if n == 1 else 's'}"


def _link(site: Site, name: str, path: str, note: str = "") -> str:
    line = f"- [{_text(name)}]({site.config.base_url}{path})"
    return f"{line}: {note}" if note else line


def llms_text(site: Site) -> str:
    """The text of llms.txt."""
    config = site.config
    lines = [f"# {_text(config.title)}", ""]
    if config.description:
        lines += [f"> {_text(config.description)}", ""]
    if site.chronology:
        # The chronology runs newest first, by date: its ends are the first and last day.
        first = site.entries[site.chronology[-1]].date
        last = site.entries[site.chronology[0]].date
        lines += [
            f"{_count(len(site.chronology))} in {len(site.editions)} monthly edition"
            f"{'' if len(site.editions) == 1 else 's'}, dated {first.isoformat()} to "
            f"{last.isoformat()}. Each item has a page at `{config.base_url}entries/<id>/`; "
            f"the catalog lists them all as JSON, with their agencies, sources and the dates "
            f"rules come into force.",
            "",
        ]

    lines += ["## Editions", ""]
    lines += [
        _link(site, e.title, urls.edition(e.key), _count(len(e.entries))) for e in site.editions
    ]
    lines += ["", "## Sections", ""]
    lines += [
        _link(site, t.title, urls.section(t.slug), _count(len(t.entries)))
        for t in site.section_terms
        if t.entries
    ]
    lines += ["", "## Agencies", ""]
    for term in site.agency_terms:
        if not term.entries:
            continue
        agency = site.agencies[term.key]
        names = [agency.key] if agency.key != agency.name else []
        names += [agency.name_zh] if agency.name_zh else []
        note = "; ".join([*(_text(n) for n in names), _count(len(term.entries))])
        lines.append(_link(site, agency.name, urls.agency(term.slug), note))

    lines += ["", "## Data and feeds", ""]
    lines += [
        _link(
            site,
            "Catalog",
            urls.CATALOG,
            "every item as JSON: id, link, title, date, section, edition, agencies, tags, "
            "sources, effective date",
        ),
        _link(site, "Effective dates", urls.EFFECTIVE, "rules by the date they come into force"),
        _link(site, "Effective dates calendar", urls.EFFECTIVE_ICS, "the same, as iCalendar"),
    ]
    names = {"atom": "Atom feed", "rss": "RSS feed", "json": "JSON Feed"}
    for feed in catalogue(site):
        if feed.page == urls.HOME:
            lines.append(
                _link(site, names[feed.format], feed.path, f"the latest {_count(len(feed.items))}")
            )
        elif feed.editions:
            lines.append(_link(site, "Editions feed", feed.path, "each edition whole, as sent"))

    lines += ["", "## Optional", ""]
    lines += [
        _link(site, "Archive", urls.ARCHIVE, "every item, newest first"),
        _link(site, "Tags", urls.TAGS, f"{len(site.tag_terms)} topic tags"),
        _link(site, "All feeds", urls.FEEDS, "a feed for each section, agency and tag"),
    ]
    return "\n".join(lines) + "\n"


def render_llms(site: Site) -> tuple[Output, ...]:
    """`llms.txt` as an Output (bytes in memory, no I/O)."""
    return (Output(urls.LLMS, llms_text(site).encode("utf-8")),)
