"""The HTML that feeds carry: an item with its footnote markers and numbered sources, a
whole edition for newsletter-style subscribers, and a plain-text summary.

Feed readers show this HTML away from the site, so every link in it is absolute.
Relative links in bodies are rewritten against the item's permalink (where the body is
published) rather than declared with xml:base: only Atom has xml:base, many readers
ignore it, and RSS `content:encoded` and JSON Feed `content_html` have no base at all.
Rewriting once gives one HTML that is right in all three formats.

Footnote markers link straight to their source: readers drop or mangle fragment links
(`#note-3`), and a reader's own page has no such anchor."""

from __future__ import annotations

import re
from html import escape, unescape
from urllib.parse import urljoin

from . import urls
from .markup import render, url_scheme
from .model import Edition, Site, format_date
from .validate import Entry

SUMMARY_LENGTH = 300

# markdown-it writes every attribute as name="value" with `"` escaped inside, and raw
# HTML is off, so text can never contain a literal `href="`: this finds real links only.
_LINK_ATTR = re.compile(r'(\s(?:href|src)=")([^"]*)"')
_BLOCK_TAG = re.compile(r"</?(?:p|li|ul|ol|h[1-6]|br|hr|tr|td|th|table|blockquote|pre)\b[^>]*>")
_TAG = re.compile(r"<[^>]*>")
_PARTIAL_END = re.compile(r"<[^>]*$|&[#a-zA-Z0-9]*$")


def absolute(site: Site, path: str) -> str:
    """The absolute URL of a site path."""
    return site.config.base_url + path


def absolute_links(html: str, base: str) -> str:
    """`html` with every relative href and src resolved against the absolute URL `base`."""

    if 'href="' not in html and 'src="' not in html:  # most bodies: skip the regex
        return html

    def resolve(m: re.Match[str]) -> str:
        url = unescape(m[2])
        if url_scheme(url) is not None:  # http(s) or mailto: already absolute
            return m[0]
        return f'{m[1]}{escape(urljoin(base, url))}"'

    return _LINK_ATTR.sub(resolve, html)


def _text(html: str) -> str:
    return " ".join(unescape(_TAG.sub("", _BLOCK_TAG.sub(" ", html))).split())


def plain_summary(html: str, limit: int = SUMMARY_LENGTH) -> str:
    """The text of `html` on one line, cut at a word boundary to at most `limit`
    characters (an ellipsis marks the cut)."""
    # Only the beginning of a long body can make the summary: read enough of it, less
    # any tag or entity the cut went through, and the whole body only if that was short.
    head = html[: limit * 3]
    text = _text(_PARTIAL_END.sub("", head) if len(head) < len(html) else head)
    if len(text) <= limit and len(head) < len(html):
        text = _text(html)
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    if " " in cut:
        cut = cut[: cut.rindex(" ")]
    return cut.rstrip(" ,;:.") + "…"


def _markers(site: Site, entry: Entry) -> str:
    return "".join(
        f'<sup><a href="{escape(url)}">[{n}]</a></sup>'
        for n, url in zip(site.notes[entry.id], entry.sources, strict=True)
    )


def _body(site: Site, entry: Entry) -> str:
    """The body with absolute links and its footnote markers at the end of its last
    paragraph, where the newsletter puts them."""
    html = absolute_links(entry.html, absolute(site, urls.entry(entry.id)))
    markers = _markers(site, entry)
    if html.endswith("</p>\n"):
        return html[: -len("</p>\n")] + markers + "</p>\n"
    return f"{html}<p>{markers}</p>\n"


def _source_list(urls_: list[str] | tuple[str, ...], start: int) -> str:
    items = "".join(f'<li><a href="{escape(u)}">{escape(u)}</a></li>\n' for u in urls_)
    first = "" if start == 1 else f' start="{start}"'
    return f"<ol{first}>\n{items}</ol>\n"


def _byline(site: Site, entry: Entry) -> str:
    names = ", ".join(site.agencies[k].name for k in entry.agencies)
    return f"<p><em>{escape(format_date(entry.date, entry.date_precision))} · {escape(names)}</em></p>\n"


def item_html(site: Site, entry_id: str, edition: Edition) -> str:
    """An item as a feed shows it: body with footnote markers, its numbered sources,
    and `edition`, the one it appeared in."""
    entry = site.entries[entry_id]
    numbers = site.notes[entry_id]
    return (
        _body(site, entry)
        + "<p><strong>Sources</strong></p>\n"
        + _source_list(entry.sources, numbers[0])
        + f'<p>From the <a href="{escape(absolute(site, urls.edition(edition.key)))}">'
        + f"{escape(edition.title)}</a> edition of {escape(site.config.title)}.</p>\n"
    )


def edition_html(site: Site, edition: Edition) -> str:
    """A whole edition as one HTML document fragment: intro, the sections in order
    with their titles, each item (title, date, agencies, body with footnote markers),
    the numbered sources and the disclaimer."""
    base = absolute(site, urls.edition(edition.key))
    parts = []
    if edition.intro:
        parts.append(absolute_links(render(edition.intro).html, base))
    for section in edition.sections:
        parts.append(f"<h2>{escape(section.title)}</h2>\n")
        for eid in section.entries:
            entry = site.entries[eid]
            link = escape(absolute(site, urls.entry(eid)))
            parts.append(f'<h3><a href="{link}">{escape(entry.title)}</a></h3>\n')
            parts.append(_byline(site, entry))
            parts.append(_body(site, entry))
    if edition.footnotes:
        parts.append("<h2>Sources</h2>\n")
        parts.append(_source_list([n.url for n in edition.footnotes], 1))
    if site.config.disclaimer:
        parts.append(absolute_links(render(site.config.disclaimer).html, base))
    return "".join(parts)


def edition_summary(site: Site, edition: Edition) -> str:
    """'30 items: Legislation (12), Enforcement Authority (9), ...'."""
    count = len(edition.entries)
    sections = ", ".join(f"{s.title} ({len(s.entries)})" for s in edition.sections)
    return f"{count} item{'' if count == 1 else 's'}: {sections}"
