"""The newsletter's plain-text layout, read: which line is an item's title, its text,
a section heading, a numbered source, the disclaimer. Nothing is interpreted here
(dates, agencies, categories are importer.py's job); what does not fit the layout is
a problem with its line.

The layout, one paragraph per line, blank lines between:

    Title of the first item
    Its text, ending in its footnote number. 1
    Enforcement Authority                      <- a section heading
    Title ...
    Text ... 2
    1. https://...                             <- the numbered sources
    2. https://...
    The disclaimer.

A short line followed by an item's text is a title; one followed by anything else is
a section heading."""

from __future__ import annotations

import re
from dataclasses import dataclass

from .problems import Problem

# A text ends in its footnote number(s) after the sentence's end: 'in 2022. 30'; a
# title ending in a number ('Came Into Effect on March 1') has no sentence end before it.
_NOTES = re.compile(
    r"^(?P<text>.*?[.!?;:\"'”’)\]])\s*(?P<notes>\[?\d{1,3}\]?(?:\s*,?\s*\[?\d{1,3}\]?)*)\s*$"
)
_LONG_NOTES = re.compile(r"^(?P<text>.{200,}?\S)\s+(?P<notes>\d{1,3}(?:\s*,?\s*\d{1,3})*)\s*$")
_SOURCE = re.compile(r"^\s*(?P<number>\d{1,3})\s*[.)]\s*(?P<url>\S+)?\s*$")
_SENTENCE_END = re.compile(r"[.!?][\"'”’)]*$")
LONG_TITLE = 250


@dataclass(frozen=True, slots=True)
class Paragraph:
    """One non-blank line of the input, and its 1-based line number."""

    line: int
    text: str


@dataclass(frozen=True, slots=True)
class TextItem:
    """An item as the text gives it: title, text without its footnote numbers, the
    numbers, and the section heading it stands under (None before the first)."""

    title: Paragraph
    body: Paragraph
    notes: tuple[int, ...]
    heading: Paragraph | None


@dataclass(frozen=True, slots=True)
class Source:
    """A numbered line of the source list ('' when the number has no URL)."""

    line: int
    number: int
    url: str


@dataclass(frozen=True, slots=True)
class TextEdition:
    """A whole plain-text edition, read."""

    items: tuple[TextItem, ...]
    headings: tuple[Paragraph, ...]
    sources: tuple[Source, ...]
    disclaimer: tuple[Paragraph, ...]


def paragraphs(text: str) -> tuple[Paragraph, ...]:
    """The non-blank lines, whitespace-trimmed, with their line numbers."""
    return tuple(
        Paragraph(n, " ".join(line.split()))
        for n, line in enumerate(text.split("\n"), start=1)
        if line.strip()
    )


def _is_source(p: Paragraph) -> bool:
    m = _SOURCE.match(p.text)
    # '1. Legislation' is a numbered heading, '1. https://...' and a bare '1.' are sources
    return bool(m) and (m["url"] is None or "/" in m["url"] or "." in m["url"])


def _split_notes(text: str) -> tuple[str, tuple[int, ...]] | None:
    m = _NOTES.match(text) or _LONG_NOTES.match(text)
    if not m:
        return None
    return m["text"], tuple(int(n) for n in re.findall(r"\d+", m["notes"]))


def _looks_like_text(text: str) -> bool:
    """A paragraph of prose without a footnote number (not a title or a heading)."""
    return len(text) > LONG_TITLE or bool(_SENTENCE_END.search(text) and " " in text)


def read_layout(path: str, text: str) -> tuple[TextEdition, list[Problem]]:
    """Read an edition's text (LF line endings); `path` names it in problems."""
    paras = paragraphs(text)
    problems: list[Problem] = []

    # The source list: from the first 'N. URL' line to the last; what follows it is the
    # disclaimer.
    first = next((i for i, p in enumerate(paras) if _is_source(p)), None)
    if first is None:
        body_paras, list_paras, tail = paras, (), ()
    else:
        last = max(i for i, p in enumerate(paras) if _is_source(p))
        body_paras, list_paras, tail = paras[:first], paras[first : last + 1], paras[last + 1 :]

    sources: list[Source] = []
    for p in list_paras:
        m = _SOURCE.match(p.text)
        if m and _is_source(p):
            sources.append(Source(p.line, int(m["number"]), m["url"] or ""))
        else:
            problems.append(
                Problem(path, p.line, "sources", "a line in the source list that is not 'N. URL'")
            )

    items: list[TextItem] = []
    headings: list[Paragraph] = []
    heading: Paragraph | None = None
    pending: Paragraph | None = None
    for p in body_paras:
        split = _split_notes(p.text)
        if split is None and not _looks_like_text(p.text):
            if pending is not None:  # a short line not followed by text: a heading
                headings.append(pending)
                heading = pending
            pending = p
            continue
        if pending is None:
            problems.append(
                Problem(
                    path,
                    p.line,
                    "text",
                    "a paragraph with no title line before it; not imported",
                )
            )
            continue
        if split is None:
            problems.append(
                Problem(
                    path,
                    p.line,
                    "source",
                    "the item's text does not end with its footnote number",
                )
            )
            items.append(TextItem(pending, p, (), heading))
        else:
            items.append(TextItem(pending, Paragraph(p.line, split[0]), split[1], heading))
        pending = None
    if pending is not None:
        problems.append(
            Problem(
                path,
                pending.line,
                "title",
                "no item text follows this line; not imported",
            )
        )
    return TextEdition(tuple(items), tuple(headings), tuple(sources), tail), problems
