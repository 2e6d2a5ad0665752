"""`/effective.ics`: the dates rules come into force, as an iCalendar feed (RFC 5545)
that readers subscribe to or import. Written here, not with a library: the format is a
few dozen lines of text, and the three rules that matter are below (escape, fold, CRLF).

One all-day event per item with `effective:`, soonest first:

    UID          effective-<item id>@<id_authority>: permanent, as the feed ids are (not
                 the title or base_url, which editors change), so a calendar that
                 re-reads the feed updates the event instead of adding a second one
    DTSTART      the effective date (VALUE=DATE); DTEND the next day (exclusive end)
    DTSTAMP      00:00 of the item's `updated` date, else its date, in the site's time
                 zone, given in UTC: from the data, never the clock, so rebuilding
                 unchanged entries gives the same bytes
    SUMMARY      "In force: <title>"
    DESCRIPTION  the agencies, section and edition, and the item's permalink
    URL          the permalink
    CATEGORIES   the section's title and the agencies' keys

A site without any effective date still gets the calendar, with no events, so that a
subscription made earlier keeps working (RFC 5545 wants one component; clients accept
none).
"""

from __future__ import annotations

import datetime
from functools import cache

from dateutil import tz

from . import urls
from .effective import effective_items
from .model import Site
from .output import Output

PRODID = "-//digest//effective dates//EN"
# How often subscribers should look again (RFC 7986 and the older Microsoft name).
REFRESH = "P1D"
_LINE_OCTETS = 75  # RFC 5545 3.1: without the CRLF


def escape(value: str) -> str:
    """A TEXT value (RFC 5545 3.3.11): backslash, semicolon and comma escaped, line
    breaks as \\n."""
    return (
        value.replace("\\", "\\\\")  # first, or it would double the escapes below
        .replace(";", "\\;")
        .replace(",", "\\,")
        .replace("\r\n", "\n")
        .replace("\r", "\n")
        .replace("\n", "\\n")
    )


def fold(line: str) -> bytes:
    """One content line as bytes ending in CRLF, folded (RFC 5545 3.1) so that no line
    is longer than 75 octets: each continuation starts with a space, and a break never
    falls inside a UTF-8 character (a Chinese character is 3 octets)."""
    return _folded(line, line.encode("utf-8")) + b"\r\n"


def _folded(line: str, data: bytes) -> bytes:
    """`data`, the UTF-8 of `line`, folded; without the final CRLF."""
    size = len(data)
    if size <= _LINE_OCTETS:
        return data
    if size == len(line):  # ASCII: every octet is a character, so cut anywhere
        cuts = range(_LINE_OCTETS, size, _LINE_OCTETS - 1)
        parts = [data[:_LINE_OCTETS], *(data[i : i + _LINE_OCTETS - 1] for i in cuts)]
        return b"\r\n ".join(parts)
    parts = []
    start, room = 0, _LINE_OCTETS
    while start < size:
        end = min(start + room, size)
        while end < size and data[end] & 0xC0 == 0x80:  # a continuation byte
            end -= 1
        parts.append(data[start:end])
        start, room = end, _LINE_OCTETS - 1  # the leading space counts
    return b"\r\n ".join(parts)


@cache  # a few hundred distinct dates a year
def _stamp(day: datetime.date, zone: str) -> str:
    """00:00 of `day` in `zone` as a UTC DATE-TIME (the first valid time when a clock
    change skips midnight), as the feeds date items."""
    local = tz.resolve_imaginary(
        datetime.datetime(day.year, day.month, day.day, tzinfo=tz.gettz(zone))
    )
    return local.astimezone(datetime.UTC).strftime("%Y%m%dT%H%M%SZ")


def _date(day: datetime.date) -> str:
    return f"{day.year:04d}{day.month:02d}{day.day:02d}"  # strftime is 10x slower


def event_uid(site: Site, item_id: str) -> str:
    """The permanent UID of an item's event."""
    return f"effective-{item_id}@{site.config.id_authority}"


def _agency_line(site: Site, key: str) -> str:
    """'Cyberspace Administration of China (CAC, 国家互联网信息办公室)'."""
    agency = site.agencies[key]
    extra = [k for k in (agency.key if agency.key != agency.name else None, agency.name_zh) if k]
    return f"{agency.name} ({', '.join(extra)})" if extra else agency.name


def _event(
    site: Site, item_id: str, agencies: dict[str, str], editions: dict[str, str]
) -> list[str]:
    config = site.config
    entry = site.entries[item_id]
    url = config.base_url + urls.entry(item_id)
    section = config.section_title(entry.category)
    description = [
        *([entry.title_zh] if entry.title_zh else []),
        f"Agencies: {'; '.join(agencies[key] for key in entry.agencies)}",
        f"{section}, {editions[entry.edition]} edition",
        url,
    ]
    effective = entry.effective
    return [
        "BEGIN:VEVENT",
        f"UID:{escape(event_uid(site, item_id))}",
        f"DTSTAMP:{_stamp(entry.updated or entry.date, config.timezone)}",
        f"DTSTART;VALUE=DATE:{_date(effective)}",
        f"DTEND;VALUE=DATE:{_date(effective + datetime.timedelta(days=1))}",
        f"SUMMARY:{escape('In force: ' + entry.title)}",
        f"DESCRIPTION:{escape(chr(10).join(description))}",
        f"URL:{url}",
        f"CATEGORIES:{','.join(escape(c) for c in (section, *entry.agencies))}",
        "TRANSP:TRANSPARENT",  # a date to know, not time taken: free/busy stays free
        "END:VEVENT",
    ]


def calendar_lines(site: Site) -> list[str]:
    """The calendar's content lines, unfolded, without line ends."""
    config = site.config
    name = f"{config.title}: effective dates"
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        f"PRODID:{PRODID}",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        f"NAME:{escape(name)}",
        f"X-WR-CALNAME:{escape(name)}",
        f"X-WR-CALDESC:{escape(f'When the rules reported in {config.title} come into force.')}",
        f"URL:{config.base_url}{urls.EFFECTIVE}",
        f"SOURCE;VALUE=URI:{config.base_url}{urls.EFFECTIVE_ICS}",
        f"REFRESH-INTERVAL;VALUE=DURATION:{REFRESH}",
        f"X-PUBLISHED-TTL:{REFRESH}",
    ]
    # What many events share, made once.
    agencies = {key: _agency_line(site, key) for key in site.agencies}
    editions = {e.key: e.title for e in site.editions}
    for item_id in effective_items(site):
        lines += _event(site, item_id, agencies, editions)
    lines.append("END:VCALENDAR")
    return lines


def render_calendar(site: Site) -> tuple[Output, ...]:
    """`effective.ics` as an Output (bytes in memory, no I/O)."""
    lines = [_folded(line, line.encode("utf-8")) for line in calendar_lines(site)]
    return (Output(urls.EFFECTIVE_ICS, b"\r\n".join(lines) + b"\r\n"),)
