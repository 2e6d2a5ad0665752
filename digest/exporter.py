"""`digest export`: one edition of the Site as the shapes it is sent in: plain text in the
newsletter's own layout (what `digest import` reads back), one Markdown document with
footnotes, or an email (mail.py). Values in, bytes out; no I/O."""

from __future__ import annotations

from urllib.parse import urljoin

from . import urls
from .mail import email_message
from .model import Site
from .plaintext import from_markdown, to_markdown

EXPORT_FORMATS = ("text", "email", "markdown")


def export(site: Site, key: str, fmt: str) -> bytes:
    """Edition `key` in format `fmt` (one of EXPORT_FORMATS)."""
    if fmt == "text":
        return edition_text(site, key).encode("utf-8")
    if fmt == "markdown":
        return edition_markdown(site, key).encode("utf-8")
    if fmt == "email":
        return email_message(site, key, edition_text(site, key))
    raise ValueError(f"unknown export format {fmt!r}")


def edition_text(site: Site, key: str) -> str:
    """The newsletter's layout: a heading per section, each item's title and its text
    ending in its footnote numbers, then the numbered sources and the disclaimer."""
    edition = site.edition(key)
    blocks: list[str] = []
    if edition.intro:
        blocks.append(from_markdown(edition.intro))
    for section in edition.sections:
        blocks.append(section.title)
        for eid in section.entries:
            entry = site.entries[eid]
            notes = " ".join(str(n) for n in site.notes[eid])
            text = from_markdown(entry.body, urljoin(site.config.base_url, urls.entry(eid)))
            blocks += [entry.title, f"{text} {notes}"]
    text = "\n\n".join(blocks)
    if edition.footnotes:
        # two blank lines before the sources, as the newsletter has them
        text += "\n\n\n" + "\n\n".join(f"{n.number}. {n.url}" for n in edition.footnotes)
    if site.config.disclaimer:
        text += "\n\n" + from_markdown(site.config.disclaimer)
    return text + "\n"


def _heading(text: str) -> str:
    escaped = to_markdown(text)
    # a heading's trailing '#'s would be read as its closing sequence
    return escaped[:-1] + "\\#" if escaped.endswith("#") else escaped


def _autolink(url: str) -> str:
    return "<" + url.replace("<", "%3C").replace(">", "%3E") + ">"


def edition_markdown(site: Site, key: str) -> str:
    """The edition as one CommonMark document with footnotes ([^1] ... [^1]: <URL>)."""
    edition = site.edition(key)
    parts = [f"# {_heading(site.config.title)}: {_heading(edition.title)}"]
    if edition.intro:
        parts.append(edition.intro.strip())
    for section in edition.sections:
        parts.append(f"## {_heading(section.title)}")
        for eid in section.entries:
            entry = site.entries[eid]
            refs = "".join(f"[^{n}]" for n in site.notes[eid])
            parts += [f"### {_heading(entry.title)}", entry.body.strip() + refs]
    if site.config.disclaimer:
        parts += ["---", site.config.disclaimer.strip()]
    if edition.footnotes:
        parts.append("\n".join(f"[^{n.number}]: {_autolink(n.url)}" for n in edition.footnotes))
    return "\n\n".join(parts) + "\n"
