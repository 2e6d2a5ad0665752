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

from dateutil import tz

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
    rank = {eid: i for i, eid in enumerate(site.chronology)}
    dated = [eid for eid in site.chronology if site.entries[eid].effective is not None]
    return tuple(sorted(dated, key=lambda eid: (site.entries[eid].effective, rank[eid])))


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
        moment = datetime.datetime.fromtimestamp(seconds, datetime.UTC)
        return moment.astimezone(tz.gettz(site.config.timezone)).date()
    dates = [e.published for e in site.editions]
    dates += [site.entries[eid].date for eid in site.chronology[:1]]  # the newest item
    # A site with nothing published yet: a fixed date, not the clock.
    return max(dates, default=site.config.id_date)


def _months(site: Site, ids: list[str]) -> tuple[Month, ...]:
    groups: dict[str, list[str]] = {}
    for eid in ids:
        day = site.entries[eid].effective
        groups.setdefault(f"{day.year:04d}-{day.month:02d}", []).append(eid)
    return tuple(
        Month(key, f"{MONTHS[int(key[5:]) - 1]} {key[:4]}", tuple(members))
        for key, members in groups.items()
    )


def effective_view(site: Site, reference: datetime.date) -> EffectiveView:
    """Group the items with an effective date around `reference`."""
    soonest = effective_items(site)
    upcoming = [eid for eid in soonest if site.entries[eid].effective >= reference]
    # Latest first, but items of one day keep the chronology's order, as upcoming does.
    rank = {eid: i for i, eid in enumerate(soonest)}
    past = sorted(
        (eid for eid in soonest if site.entries[eid].effective < reference),
        key=lambda eid: (-site.entries[eid].effective.toordinal(), rank[eid]),
    )
    return EffectiveView(reference, _months(site, upcoming), _months(site, past))
