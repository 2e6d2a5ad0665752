"""An item file's text, written the way the shipped entries are: front matter fields in
a fixed order (title, date, category, agencies, source, order, effective, tags), the
title double-quoted, URLs quoted when they hold characters YAML or a reader could
trip on, month dates as YYYY-MM. A field that is not known is written empty, so that
`digest check` points at the line to fill in."""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass

_PLAIN_KEY = re.compile(r"^[A-Za-z][A-Za-z0-9 .-]*[A-Za-z0-9.]$|^[A-Za-z]$")
# YAML 1.1 reads these as booleans or null when unquoted
_YAML_WORDS = {"y", "n", "yes", "no", "true", "false", "on", "off", "null"}
_URL_QUOTE = set("#?&=\"'{}[],*!|>%@`\\ ")


@dataclass(frozen=True, slots=True)
class NewEntry:
    """What an item file holds; None or () where the value is not known."""

    title: str
    date: datetime.date | None
    date_precision: str
    category: str | None
    agencies: tuple[str, ...]
    sources: tuple[str, ...]
    order: int | None
    effective: datetime.date | None
    body: str
    tags: tuple[str, ...] = ()


def quoted(text: str) -> str:
    """A YAML double-quoted scalar."""
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("\t", "\\t")
    return f'"{escaped}"'


def _flow_item(value: str) -> str:
    if _PLAIN_KEY.match(value) and value.lower() not in _YAML_WORDS:
        return value
    return quoted(value)


def _url(url: str) -> str:
    return quoted(url) if _URL_QUOTE.intersection(url) else url


def entry_text(entry: NewEntry) -> str:
    """The item file: front matter and body, ending in a newline."""
    lines = ["---", f"title: {quoted(entry.title)}"]
    if entry.date is None:
        lines.append("date:")
    elif entry.date_precision == "month":
        lines.append(f"date: {entry.date:%Y-%m}")
    else:
        lines.append(f"date: {entry.date.isoformat()}")
    lines.append(f"category: {entry.category}" if entry.category else "category:")
    lines.append(f"agencies: [{', '.join(_flow_item(a) for a in entry.agencies)}]")
    if len(entry.sources) == 1:
        lines.append(f"source: {_url(entry.sources[0])}")
    elif entry.sources:
        lines.append("source:")
        lines += [f"  - {_url(url)}" for url in entry.sources]
    else:
        lines.append("source:")
    if entry.order is not None:
        lines.append(f"order: {entry.order}")
    if entry.effective is not None:
        lines.append(f"effective: {entry.effective.isoformat()}")
    if entry.tags:
        lines.append(f"tags: [{', '.join(entry.tags)}]")
    lines.append("---")
    return "\n".join(lines) + "\n" + entry.body.rstrip("\n") + "\n"
