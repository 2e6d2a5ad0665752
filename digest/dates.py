"""Dates in a plain-text item, read with python-dateutil: the item's date from the
opening of its text, and the date a rule takes effect.

The newsletter opens an item with its date: 'On March 28, 2023,', 'On March 24,'
(the year is the edition's, or the year before when that month is still to come),
'On 24 February 2023,', 'In mid-March,' (month precision). 'Recently,' gives the
month before the edition's, the month the newsletter reports on. A sentence opening
'Since ...' is background and the next sentence is read instead. Anything else is not
guessed: the caller reports the item."""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass

from dateutil import parser as dateparser

_ON = re.compile(
    r"^On\s+(?P<date>(?:[A-Z][a-z]+day,?\s+)?[^,]{1,40}?(?:,\s*\d{4})?)\s*,\s", re.IGNORECASE
)
_IN_MONTH = re.compile(
    r"^(?:In|At)\s+(?:(?:early|mid|late|the\s+(?:beginning|middle|end)\s+of)[\s-]+)?"
    r"(?P<date>[A-Z][a-z]+\.?(?:\s+\d{4})?)\s*,\s",
    re.IGNORECASE,
)
_RECENTLY = re.compile(r"^(?:Recently|Lately|In recent days|Not long ago)\s*,\s", re.IGNORECASE)
_BACKGROUND = re.compile(r"^Since\b", re.IGNORECASE)
_SENTENCE = re.compile(r"(?<=[.!?])\s+(?=[\"“A-Z])")
_AMBIGUOUS = re.compile(r"^(\d{1,2})[/.](\d{1,2})[/.]\d{2,4}$")

# Two defaults that differ in every field: a field that comes out different was not in
# the text (dateutil fills missing fields from the default).
_DEFAULT_A = datetime.datetime(2000, 1, 1)
_DEFAULT_B = datetime.datetime(2004, 2, 2)

_EFFECT = re.compile(
    r"\b(?P<verb>(?:will\s+|shall\s+|to\s+)?(?:come|comes|came|coming|go|goes|went|enter|enters|entered)"
    r"\s+into\s+(?:effect|force)|(?:will\s+|shall\s+)?take\s+effect|takes\s+effect|took\s+effect"
    r"|(?:will\s+|shall\s+)?become\s+effective|became\s+effective)"
    r"(?:\s+(?:on|from|as\s+of)\s+(?P<date>[A-Z][a-z]+\.?\s+\d{1,2}(?:st|nd|rd|th)?(?:,\s*\d{4})?"
    r"|\d{1,2}\s+[A-Z][a-z]+(?:\s+\d{4})?)(?:\s+(?P<rel>this|next)\s+year)?)?",
)
_PAST = re.compile(r"^(?:came|went|entered|took|became)\b")


@dataclass(frozen=True, slots=True)
class ItemDate:
    """An item's date and its precision ('day' or 'month'), or why there is none."""

    date: datetime.date | None
    precision: str = "day"
    problem: str = ""


@dataclass(frozen=True, slots=True)
class _Parts:
    year: int | None
    month: int | None
    day: int | None


def _parts(text: str) -> _Parts | None:
    """The fields dateutil finds in `text` (None for those it does not), or None."""
    try:
        a = dateparser.parse(text, default=_DEFAULT_A)
        b = dateparser.parse(text, default=_DEFAULT_B)
    except (ValueError, OverflowError):  # ParserError is a ValueError
        return None
    return _Parts(
        a.year if a.year == b.year else None,
        a.month if a.month == b.month else None,
        a.day if a.day == b.day else None,
    )


def _previous_month(edition: tuple[int, int]) -> datetime.date:
    year, month = edition
    return datetime.date(year - 1, 12, 1) if month == 1 else datetime.date(year, month - 1, 1)


def item_date(body: str, edition: tuple[int, int]) -> ItemDate:
    """The date an item's text opens with; `edition` is its (year, month)."""
    sentences = _SENTENCE.split(body.strip(), maxsplit=3)
    for sentence in sentences:
        if _RECENTLY.match(sentence):
            return ItemDate(_previous_month(edition), "month")
        m = _ON.match(sentence) or _IN_MONTH.match(sentence)
        if m:
            return _read(m["date"], edition, want_day=m.re is _ON)
        if not _BACKGROUND.match(sentence):
            break
    opening = body.strip().split(",", 1)[0][:60]
    return ItemDate(None, problem=f"no date at the start of the item (it opens {opening!r})")


def _read(text: str, edition: tuple[int, int], *, want_day: bool) -> ItemDate:
    text = " ".join(text.split())
    m = _AMBIGUOUS.match(text)
    if m and m[1] != m[2] and int(m[1]) <= 12 and int(m[2]) <= 12:
        return ItemDate(None, problem=f"{text!r} is ambiguous: day or month first?")
    parts = _parts(text)
    if parts is None or parts.month is None or (want_day and parts.day is None):
        return ItemDate(None, problem=f"cannot read {text!r} as a date")
    year = parts.year
    if year is None:
        # the edition's year, unless that puts the item after the edition: then the year before
        year = edition[0] if parts.month <= edition[1] else edition[0] - 1
    elif (year, parts.month) > edition:
        return ItemDate(
            None, problem=f"{text!r} is later than the edition {edition[0]}-{edition[1]:02d}"
        )
    try:
        date = datetime.date(year, parts.month, parts.day or 1)
    except ValueError:
        return ItemDate(None, problem=f"{text!r} is not a calendar date in {year}")
    return ItemDate(date, "day" if parts.day is not None else "month")


@dataclass(frozen=True, slots=True)
class Effective:
    """When a rule the item reports comes into force (None when the text does not say),
    or why the date it gives cannot be read."""

    date: datetime.date | None
    problem: str = ""


def effective_date(body: str, item: ItemDate) -> Effective:
    """The first 'comes into effect on <date>' of the text; 'came into force' without a
    date means the item's own (day-precise) date."""
    m = _EFFECT.search(body)
    if m is None:
        return Effective(None)
    if m["date"] is None:
        if _PAST.match(m["verb"]) and item.date is not None and item.precision == "day":
            return Effective(item.date)
        return Effective(None)
    parts = _parts(m["date"])
    if parts is None or parts.month is None or parts.day is None:
        return Effective(None, f"cannot read {m['date']!r} as a date")
    year = parts.year
    if year is None:
        if item.date is None:
            return Effective(None, f"{m['date']!r} has no year, and the item has no date")
        year = item.date.year + (1 if m["rel"] == "next" else 0)
        # 'will come into effect on January 1' in a December item: the coming January
        future = not _PAST.match(m["verb"]) and m["rel"] is None
        if future and (parts.month, parts.day) < (item.date.month, item.date.day):
            year += 1
    try:
        return Effective(datetime.date(year, parts.month, parts.day))
    except ValueError:
        return Effective(None, f"{m['date']!r} is not a calendar date in {year}")
