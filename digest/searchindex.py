"""`/search/index.json`: the data the search page and the archive filters run on, in
the browser, with our own small script (static/search.js); see the README, "Finding
things", for why not Pagefind.

One file, fetched once from the site itself: every published item (its id, link,
titles, date, section, edition, agency keys, tags and the plain text of its body) and
the vocabularies the facets show (agency key -> names and page, section key -> title
and page, edition titles, years, tags). No HTML in it: the script builds the result
list from these values with DOM text nodes.

Compact, because a reader downloads all of it: items are arrays in the order of
`fields` (keys are not repeated 10,000 times), one item per line (a changed item is a
one-line diff), body whitespace collapsed. The text is kept as written (not folded):
the script folds case and width itself (NFKC, case) and shows snippets from it.

Items are in the site's chronology (newest first, ties in reading order): the script
ranks by position for "newest first", so it needs no date arithmetic. Nothing depends
on the clock; the same entries give the same bytes.
"""

from __future__ import annotations

import html
import json
import re

from . import urls
from .fragments import Fragments, Frame
from .model import MONTHS, Site
from .output import Output

# The index's own format version, for the script: raised when a field changes meaning.
VERSION = 1
# The items' rows, one a line, in the "items" list (see fragments.LastRows).
FRAME = Frame(b",\n", b"\n]\n}\n")
FIELDS = (
    "id",
    "url",
    "title",
    "title_zh",
    "date",  # YYYY-MM-DD; for month precision the first of the month
    "precision",  # "day" or "month"
    "section",
    "edition",
    "agencies",
    "tags",
    "text",
)

_TAG = re.compile(r"<[^>]*>")

_encode = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
# The C string encoder json.dumps itself uses with ensure_ascii=False.
_string_json = json.encoder.encode_basestring


def plain_text(markup: str) -> str:
    """The text of a body fragment, entities decoded and whitespace collapsed.

    The fragment is our own markdown-it output (raw HTML off), so every '<' in it
    starts a tag, and markdown-it ends every block tag with a line break: dropping the
    tags leaves blocks apart and words that are half emphasis whole. (One pattern
    without alternatives: about five times faster than telling block tags apart.)"""
    text = _TAG.sub("", markup)
    if "&" in text:
        text = html.unescape(text)
    return " ".join(text.split())


def _string(value: str | None) -> str:
    """A JSON string (or null), Chinese left readable."""
    return "null" if value is None else _string_json(value)


def _strings(values: tuple[str, ...]) -> str:
    return "[" + ",".join(map(_string_json, values)) + "]"


def _item(site: Site, base: str, eid: str) -> str:
    """An item as one line of JSON, in FIELDS order. Written out by hand: every value is
    a string, null or a list of strings, and one JSON encoder call per item cost twice
    as long as all the rest at 10,000 items."""
    entry = site.entries[eid]
    values = (
        _string(eid),
        _string(urls.link(base, urls.entry(eid))),
        _string(entry.title),
        _string(entry.title_zh),
        _string(entry.date.isoformat()),
        _string(entry.date_precision),
        _string(entry.category),
        _string(entry.edition),
        _strings(entry.agencies),
        _strings(entry.tags),
        _string(plain_text(entry.html)),
    )
    return "[" + ",".join(values) + "]"


def search_index_data(site: Site, fragments: Fragments | None = None) -> bytes | None:
    """The bytes of search/index.json: one top-level field a line, one item a line
    (each item's line kept between builds in `fragments`, when given; None when those
    bytes are the live site's file as it is, see Fragments.joined)."""
    base = site.config.base_path
    listed_agencies = [t for t in site.agency_terms if t.entries]  # registry order
    head = {
        "version": VERSION,
        "fields": list(FIELDS),
        "sections": [
            [t.key, t.title, urls.link(base, urls.section(t.slug))]
            for t in site.section_terms
            if t.entries
        ],
        "agencies": [
            [
                t.key,
                site.agencies[t.key].name,
                site.agencies[t.key].name_zh,
                urls.link(base, urls.agency(t.slug)),
            ]
            for t in listed_agencies
        ],
        "editions": [[e.key, e.title] for e in site.editions],
        "years": sorted({e.date.year for e in site.entries.values()}, reverse=True),
        "tags": [t.key for t in site.tag_terms],
        "months": list(MONTHS),  # English names, as the pages print dates
    }
    lines = [f"{_encode(key)}:{_encode(value)}," for key, value in head.items()]

    def row(eid: str) -> bytes:
        return _item(site, base, eid).encode("utf-8")

    start = ("{\n" + "\n".join(lines) + '\n"items":[\n').encode("utf-8")
    if not site.chronology:
        return start + b"]\n}\n"
    # The items' lines are UTF-8 already (as kept): joined as bytes, not decoded again.
    if fragments is None:
        return FRAME.join(start, [row(eid) for eid in site.chronology])
    return fragments.joined("search", FRAME, start, site.chronology, row)


def render_search_index(site: Site, fragments: Fragments | None = None) -> tuple[Output, ...]:
    """`search/index.json` as an Output (bytes in memory, no I/O but `fragments`'; no
    bytes when the live site's file is right as it is)."""
    return (Output(urls.SEARCH_INDEX, search_index_data(site, fragments)),)
