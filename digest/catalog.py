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

from . import urls
from .model import Site
from .output import Output

# The catalog's own format version: raised only when a change would break a reader
# (a field removed, renamed or given another meaning); new fields keep it.
VERSION = 1


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


def catalog_data(site: Site) -> dict[str, object]:
    """The catalog as plain JSON values (dicts, lists, strings, numbers, None)."""
    config = site.config
    base = config.base_url
    # The edition and section of an item are shared by many: made once each.
    edition_refs = {
        e.key: {"key": e.key, "title": e.title, "url": base + urls.edition(e.key)}
        for e in site.editions
    }
    section_refs = {
        t.key: {"key": t.key, "title": t.title, "url": base + urls.section(t.slug)}
        for t in site.section_terms
    }
    agency_refs: dict[str, dict[str, object]] = {}
    items = []
    newest = None
    for eid in site.chronology:
        entry = site.entries[eid]
        changed = entry.updated or entry.date
        newest = changed if newest is None or changed > newest else newest
        for key in entry.agencies:
            if key not in agency_refs:
                agency_refs[key] = _agency(site, key)
        footnotes = site.notes[eid]
        items.append(
            {
                "id": eid,
                "url": base + urls.entry(eid),
                "title": entry.title,
                "title_zh": entry.title_zh,
                # A month-precision date is the first of its month, as in the feeds;
                # date_precision says to show only the month.
                "date": entry.date.isoformat(),
                "date_precision": entry.date_precision,
                "section": section_refs[entry.category],
                "edition": edition_refs[entry.edition],
                "agencies": [agency_refs[key] for key in entry.agencies],
                "tags": list(entry.tags),
                "sources": [
                    {"number": n, "url": url}
                    for n, url in zip(footnotes, entry.sources, strict=True)
                ],
                "effective": entry.effective.isoformat() if entry.effective else None,
                "updated": entry.updated.isoformat() if entry.updated else None,
            }
        )
    return {
        "version": VERSION,
        "title": config.title,
        "description": config.description,
        "language": config.language,
        "base_url": base,
        "url": base + urls.CATALOG,
        "updated": newest.isoformat() if newest else None,
        "editions": [
            {**edition_refs[e.key], "published": e.published.isoformat(), "items": len(e.entries)}
            for e in site.editions
        ],
        "items": items,
    }


def _json(value: object) -> str:
    return json.dumps(value, ensure_ascii=False)  # Chinese stays readable


def dump(data: dict[str, object]) -> str:
    """The catalog's text: one top-level field a line, and one edition or item a line.

    About half the size of indent=2 at 10,000 items (an item is ~700 bytes on one line,
    ~1,400 spread over 50), still readable, and a changed item is a one-line diff."""
    fields = []
    for key, value in data.items():
        if isinstance(value, list) and value:
            rows = ",\n".join(f"    {_json(v)}" for v in value)
            fields.append(f"  {_json(key)}: [\n{rows}\n  ]")
        else:
            fields.append(f"  {_json(key)}: {_json(value)}")
    return "{\n" + ",\n".join(fields) + "\n}\n"


def render_catalog(site: Site) -> tuple[Output, ...]:
    """`catalog.json` as an Output (bytes in memory, no I/O)."""
    return (Output(urls.CATALOG, dump(catalog_data(site)).encode("utf-8")),)
