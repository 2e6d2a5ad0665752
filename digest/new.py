"""`digest new`: a new item file with complete, valid front matter and a body placeholder
that `digest check` flags until the editor replaces it."""

from __future__ import annotations

import datetime
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from . import fields as f
from .config import CATEGORIES
from .entryfile import NewEntry, entry_text
from .node import Node
from .problems import did_you_mean
from .registry import Agency
from .slugs import slugify, unique
from .validate import BODY_PLACEHOLDER


class Refused(Exception):
    """What the editor asked for cannot be written; the message says why."""


class Exists(Refused):
    """The item file is already there."""


@dataclass(frozen=True, slots=True)
class Request:
    """What `digest new` was given (None where it was not)."""

    title: str | None
    category: str | None
    agencies: tuple[str, ...]
    sources: tuple[str, ...]
    date: str | None
    edition: str | None


def edition_for(date: datetime.date) -> str:
    """The default edition of an item: the month after its news, as the newsletter
    publishes March's news in its April edition."""
    year, month = (date.year + 1, 1) if date.month == 12 else (date.year, date.month + 1)
    return f"{year:04d}-{month:02d}"


def complete(request: Request, ask: Callable[[str], str] | None) -> Request:
    """Fill what is missing by asking (on a terminal), or refuse naming what is missing."""
    missing = [
        name
        for name, value in (
            ("title", request.title),
            ("category", request.category),
            ("agencies", request.agencies),
            ("source", request.sources),
        )
        if not value
    ]
    if missing and ask is None:
        raise Refused("missing " + ", ".join(f"--{m}" for m in missing))
    title, category, agencies, sources = (
        request.title,
        request.category,
        request.agencies,
        request.sources,
    )
    if "title" in missing:
        title = ask("Title: ").strip()
    if "category" in missing:
        category = ask(f"Category ({', '.join(CATEGORIES)}): ").strip()
    if "agencies" in missing:
        agencies = split_list(ask("Agencies (keys of agencies.yaml, comma-separated): "))
    if "source" in missing:
        sources = split_list(ask("Source URL: "))
    return Request(title, category, agencies, sources, request.date, request.edition)


def split_list(text: str) -> tuple[str, ...]:
    """'CAC, MIIT' -> ('CAC', 'MIIT')."""
    return tuple(part.strip() for part in text.split(",") if part.strip())


def plan(
    request: Request,
    registry: Mapping[str, Agency],
    taken: set[str],
    today: datetime.date,
) -> tuple[str, str]:
    """(relative path, file text) of the new item; Refused when an input is invalid."""
    node = Node(request.title or "", 0, "text")
    try:
        title = f.line_text(node)
    except f.Invalid as err:
        raise Refused(f"title: {err}") from None
    if request.category not in CATEGORIES:
        hint = did_you_mean(request.category or "", CATEGORIES)
        raise Refused(
            f"category: unknown category {request.category!r}{hint}; expected one of {', '.join(CATEGORIES)}"
        )
    if not request.agencies:
        raise Refused("agencies: at least one agency is required")
    for key in request.agencies:
        if key not in registry:
            raise Refused(f"agencies: unknown agency {key!r}{did_you_mean(key, registry)}")
    for url in request.sources:
        try:
            f.check_http_url(url)
        except f.Invalid as err:
            raise Refused(f"source: {err}") from None
    if not request.sources:
        raise Refused("source: at least one source is required")
    date, precision = today, "day"
    if request.date:
        try:
            date, precision = f.day_or_month(Node(request.date, 0, "text"))
        except f.Invalid as err:
            raise Refused(f"date: {err}") from None
    edition = request.edition or edition_for(date)
    if not (f.MONTH.match(edition) and 1 <= int(edition[5:]) <= 12):
        raise Refused(f"edition: expected YYYY-MM, got {edition!r}")
    if (date.year, date.month) > (int(edition[:4]), int(edition[5:])):
        raise Refused(
            f"date: {request.date or date.isoformat()} is later than the edition {edition}"
        )
    entry_id = unique(slugify(title), taken)
    entry = NewEntry(
        title=title,
        date=date,
        date_precision=precision,
        category=request.category,
        agencies=request.agencies,
        sources=request.sources,
        order=None,
        effective=None,
        body=BODY_PLACEHOLDER,
    )
    return f"{edition}/{entry_id}.md", entry_text(entry)


def write_new(entries_dir: Path, rel: str, text: str) -> Path:
    """Create the file; never overwrite one (exclusive create)."""
    path = entries_dir / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        with open(path, "x", encoding="utf-8", newline="\n") as fh:
            fh.write(text)
    except FileExistsError:
        raise Exists(f"{rel} already exists; it was not changed") from None
    return path


def taken_ids(entries_dir: Path) -> set[str]:
    """The ids that item file names already use, in every edition."""
    return {p.stem for p in entries_dir.glob("*/*.md")}
