"""`/catalog.json`: every published item as data, for the tools of readers who would
rather not scrape pages. Its shape is digest/schemas/catalog.schema.json (documented in
the README, "Machine-readable catalog").

Items are in the site's chronology (newest first, ties in reading order), so the file
reads like the archive. Every URL is absolute. Optional values are present as null
rather than left out, so that each item has the same keys.

Nothing in it depends on when it was built: `updated` is the newest date the items
carry (an item's `updated`, else its date), so unchanged entries give the same bytes.
"""

from __future__ import annotations

import json
from collections.abc import Callable

from . import urls
from .fragments import Fragments, Frame
from .model import Site
from .output import Output

# The catalog's own format version: raised only when a change would break a reader
# (a field removed, renamed or given another meaning); new fields keep it.
VERSION = 1
# The items' rows, one a line, in the "items" list (see fragments.LastRows).
FRAME = Frame(b",\n    ", b"\n  ]\n}\n")


_encode = json.JSONEncoder(ensure_ascii=False).encode  # Chinese stays readable


def _agency(site: Site, key: str) -> dict[str, object]:
    agency = site.agencies[key]
    return {
        "key": agency.key,
        "name": agency.name,
        "name_zh": agency.name_zh,
        "level": agency.level,
        "url": site.config.base_url + urls.agency(agency.slug),
        "website": agency.url,
    }


def _item(site: Site, eid: str, shared: str) -> str:
    """An item as one line of JSON: its own fields, then `shared`, the text of its
    section, edition and agencies (each encoded once per site, not once per item)."""
    entry = site.entries[eid]
    own = _encode(
        {
            "id": eid,
            "url": site.config.base_url + urls.entry(eid),
            "title": entry.title,
            "title_zh": entry.title_zh,
            # A month-precision date is the first of its month, as in the feeds;
            # date_precision says to show only the month.
            "date": entry.date.isoformat(),
            "date_precision": entry.date_precision,
            "tags": list(entry.tags),
            "sources": [
                {"number": n, "url": url}
                for n, url in zip(site.notes[eid], entry.sources, strict=True)
            ],
            "effective": entry.effective.isoformat() if entry.effective else None,
            "updated": entry.updated.isoformat() if entry.updated else None,
        }
    )
    return f"{own[:-1]}, {shared}}}"


def _row_maker(site: Site) -> Callable[[str], bytes]:
    """The function making an item's row (by id), as UTF-8."""
    base = site.config.base_url
    sections = {
        t.key: _encode({"key": t.key, "title": t.title, "url": base + urls.section(t.slug)})
        for t in site.section_terms
    }
    editions = {
        e.key: _encode({"key": e.key, "title": e.title, "url": base + urls.edition(e.key)})
        for e in site.editions
    }
    agencies = {key: _encode(_agency(site, key)) for key in site.agencies}

    def row(eid: str) -> bytes:
        entry = site.entries[eid]
        shared = (
            f'"section": {sections[entry.category]}, "edition": {editions[entry.edition]}, '
            f'"agencies": [{", ".join(agencies[key] for key in entry.agencies)}]'
        )
        return _item(site, eid, shared).encode("utf-8")

    return row


def catalog_data(site: Site, fragments: Fragments | None = None) -> bytes | None:
    """The bytes of catalog.json: one top-level field a line, one edition or item a line
    (each item's line kept between builds in `fragments`, when given; None when those
    bytes are the live site's file as it is, see Fragments.joined).

    About half the size of indent=2 at 10,000 items (an item is ~1 KB on one line), still
    readable, and a changed item is a one-line diff. Items are encoded by hand around
    their shared parts: at 10,000 items, encoding each item's agencies, section and
    edition again took as long as all the rest."""
    config = site.config
    newest = max((e.updated or e.date for e in site.entries.values()), default=None)
    head = {
        "version": VERSION,
        "title": config.title,
        "description": config.description,
        "language": config.language,
        "base_url": config.base_url,
        "url": config.base_url + urls.CATALOG,
        "updated": newest.isoformat() if newest else None,
    }
    editions = [
        {
            "key": e.key,
            "title": e.title,
            "url": config.base_url + urls.edition(e.key),
            "published": e.published.isoformat(),
            "items": len(e.entries),
        }
        for e in site.editions
    ]
    lines = [f"  {_encode(key)}: {_encode(value)}," for key, value in head.items()]
    lines += _list("editions", [_encode(e) for e in editions], last=False)
    if not site.chronology:
        lines.append('  "items": []')
        return ("{\n" + "\n".join(lines) + "\n}\n").encode("utf-8")
    lines.append('  "items": [')
    start = ("{\n" + "\n".join(lines) + "\n    ").encode("utf-8")
    # The items' lines are UTF-8 already (as kept): joined as bytes, not decoded again.
    row = _row_maker(site)
    if fragments is None:
        return FRAME.join(start, [row(eid) for eid in site.chronology])
    return fragments.joined("catalog", FRAME, start, site.chronology, row)


def _list(name: str, rows: list[str], *, last: bool) -> list[str]:
    end = "" if last else ","
    if not rows:
        return [f'  "{name}": []{end}']
    return [f'  "{name}": [', *(f"    {r}," for r in rows[:-1]), f"    {rows[-1]}", f"  ]{end}"]


def render_catalog(site: Site, fragments: Fragments | None = None) -> tuple[Output, ...]:
    """`catalog.json` as an Output (bytes in memory, no I/O but `fragments`'; no bytes
    when the live site's file is right as it is)."""
    return (Output(urls.CATALOG, catalog_data(site, fragments)),)
