"""The `/effective/` page's view: items with `effective:` split at a reference date into
upcoming (soonest first) and past (latest first), each grouped by month. A plain value
for the template to render; items are ids, looked up in `site.entries`.

The reference date ("today" for the page) is never the clock, because output must be
reproducible: building the same entries twice gives the same bytes. The rule:

1. SOURCE_DATE_EPOCH when it is set (reproducible-builds.org): the build's date in the
   site's time zone. A CI job that rebuilds daily so that rules move from upcoming to
   past as they come into force sets it to the day's start (`date -d 00:00 +%s`); the
   build is still a function of its inputs, one of which is that date.
2. Else the later of the newest edition's publication date and the newest item's date:
   the page shows the state as of the latest edition, the same date every time it is
   built, and a new edition moves it on. A site built once a month with each edition
   needs nothing more; between editions the page says "as of <reference>".

An item that comes into force on the reference date is upcoming: on that day it is
still news.
"""

from __future__ import annotations

import datetime
import os
from collections.abc import Mapping
from dataclasses import dataclass

from .model import MONTHS, Site


@dataclass(frozen=True, slots=True)
class Month:
    """The items coming into force in one month, in the group's order."""

    key: str  # YYYY-MM
    title: str  # 'June 2023'
    entries: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class EffectiveView:
    """The /effective/ page: upcoming months soonest first, past months latest first;
    within a month, the same direction by date (ties: the site's chronology order)."""

    reference: datetime.date
    upcoming: tuple[Month, ...]
    past: tuple[Month, ...]


def effective_items(site: Site) -> tuple[str, ...]:
    """Ids of the items with an effective date, soonest first (ties: the chronology's
    order, newest item first)."""
    dates = _dated(site)
    return tuple(sorted(dates, key=dates.__getitem__))


def _dated(site: Site) -> dict[str, datetime.date]:
    """Item id -> effective date, in the chronology's order (sorts are stable, so the
    chronology breaks ties)."""
    entries = site.entries
    return {eid: day for eid in site.chronology if (day := entries[eid].effective) is not None}


def reference_date(site: Site, environ: Mapping[str, str] = os.environ) -> datetime.date:
    """The date that splits upcoming from past (see the module's docstring for why).

    Raises ValueError for a SOURCE_DATE_EPOCH that is not a whole number of seconds (the
    reproducible-builds specification asks builds to fail on it rather than guess)."""
    raw = environ.get("SOURCE_DATE_EPOCH", "").strip()
    if raw:
        try:
            seconds = int(raw)
        except ValueError:
            raise ValueError(
                f"SOURCE_DATE_EPOCH must be a whole number of seconds, got {raw!r}"
            ) from None
        from dateutil import tz  # here: only with SOURCE_DATE_EPOCH (see config._timezone)

        moment = datetime.datetime.fromtimestamp(seconds, datetime.UTC)
        return moment.astimezone(tz.gettz(site.config.timezone)).date()
    dates = [e.published for e in site.editions]
    dates += [site.entries[eid].date for eid in site.chronology[:1]]  # the newest item
    # A site with nothing published yet: a fixed date, not the clock.
    return max(dates, default=site.config.id_date)


def _months(ids: list[str], dates: dict[str, datetime.date]) -> tuple[Month, ...]:
    groups: dict[tuple[int, int], list[str]] = {}
    for eid in ids:
        day = dates[eid]
        groups.setdefault((day.year, day.month), []).append(eid)
    return tuple(
        Month(f"{year:04d}-{month:02d}", f"{MONTHS[month - 1]} {year}", tuple(members))
        for (year, month), members in groups.items()
    )


def effective_view(site: Site, reference: datetime.date) -> EffectiveView:
    """Group the items with an effective date around `reference`."""
    dates = _dated(site)
    upcoming = sorted((e for e, day in dates.items() if day >= reference), key=dates.__getitem__)
    # Latest first; a reverse sort is still stable, so one day's items keep the
    # chronology's order, as upcoming ones do.
    past = sorted(
        (e for e, day in dates.items() if day < reference), key=dates.__getitem__, reverse=True
    )
    return EffectiveView(reference, _months(upcoming, dates), _months(past, dates))
