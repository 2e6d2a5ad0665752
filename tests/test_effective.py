"""The /effective/ view: the reference date (never the clock) and the grouping of items
into upcoming (soonest first) and past (latest first) months."""

from __future__ import annotations

import dataclasses
import datetime
from pathlib import Path
from types import MappingProxyType

import pytest

from digest.build import check
from digest.effective import EffectiveView, effective_view, reference_date
from digest.model import Site

ROOT = Path(__file__).resolve().parents[1]
SHIPPED = ROOT / "entries"
CAC = "cac-issues-the-provisions-on-administrative-enforcement"  # in force 2023-06-01
CSRC = "csrc-releases-measures-for-the-administration-of"  # 2023-05-01
FOUR = "four-departments-jointly-issue-new-rules-on-confidentiality"  # 2023-03-31
LOCAL = "data-regulations-of-suzhou-and-xiamen-came-into-effect-on"  # 2023-03-01


@pytest.fixture(scope="module")
def shipped() -> Site:
    site, problems = check(SHIPPED)
    assert problems == [] and site is not None
    return site


def with_effective(site: Site, dates: dict[str, datetime.date | None]) -> Site:
    """The site with these items' effective dates set (None: removed)."""
    entries = dict(site.entries)
    for eid, day in dates.items():
        entries[eid] = dataclasses.replace(entries[eid], effective=day)
    return dataclasses.replace(site, entries=MappingProxyType(entries))


def flat(view: EffectiveView) -> tuple[list[str], list[str]]:
    return (
        [eid for m in view.upcoming for eid in m.entries],
        [eid for m in view.past for eid in m.entries],
    )


def test_reference_is_the_newest_edition_or_item_without_source_date_epoch(shipped: Site) -> None:
    # The April 2023 edition is dated 2023-04-01; its newest item 2023-03-30.
    assert reference_date(shipped, {}) == datetime.date(2023, 4, 1)
    assert reference_date(shipped, {"SOURCE_DATE_EPOCH": ""}) == datetime.date(2023, 4, 1)
    # An item newer than its edition's date moves the reference on.
    newest = shipped.chronology[0]
    later = dataclasses.replace(shipped.entries[newest], date=datetime.date(2023, 4, 12))
    site = dataclasses.replace(
        shipped, entries=MappingProxyType({**shipped.entries, newest: later})
    )
    assert reference_date(site, {}) == datetime.date(2023, 4, 12)


def test_source_date_epoch_is_a_date_in_the_sites_time_zone(shipped: Site) -> None:
    # 2023-05-31 16:00 UTC is already 2023-06-01 in Asia/Shanghai.
    env = {"SOURCE_DATE_EPOCH": "1685548800"}
    assert reference_date(shipped, env) == datetime.date(2023, 6, 1)
    utc = dataclasses.replace(shipped, config=dataclasses.replace(shipped.config, timezone="UTC"))
    assert reference_date(utc, env) == datetime.date(2023, 5, 31)
    with pytest.raises(ValueError, match="SOURCE_DATE_EPOCH"):
        reference_date(shipped, {"SOURCE_DATE_EPOCH": "yesterday"})


def test_a_site_without_items_uses_id_date(shipped: Site) -> None:
    empty = dataclasses.replace(shipped, entries=MappingProxyType({}), editions=(), chronology=())
    assert reference_date(empty, {}) == shipped.config.id_date
    view = effective_view(empty, datetime.date(2023, 4, 1))
    assert (view.upcoming, view.past) == ((), ())


def test_the_shipped_site_as_of_its_edition(shipped: Site) -> None:
    view = effective_view(shipped, datetime.date(2023, 4, 1))
    assert view.reference == datetime.date(2023, 4, 1)
    assert [(m.key, m.title, m.entries) for m in view.upcoming] == [
        ("2023-05", "May 2023", (CSRC,)),
        ("2023-06", "June 2023", (CAC,)),
    ]
    assert [(m.key, m.title, m.entries) for m in view.past] == [
        ("2023-03", "March 2023", (FOUR, LOCAL)),
    ]


def test_an_item_in_force_on_the_reference_date_is_upcoming(shipped: Site) -> None:
    upcoming, past = flat(effective_view(shipped, datetime.date(2023, 5, 1)))
    assert upcoming == [CSRC, CAC]
    assert past == [FOUR, LOCAL]
    upcoming, past = flat(effective_view(shipped, datetime.date(2023, 5, 2)))
    assert upcoming == [CAC]
    assert past == [CSRC, FOUR, LOCAL]


def test_all_before_or_all_after(shipped: Site) -> None:
    upcoming, past = flat(effective_view(shipped, datetime.date(2000, 1, 1)))
    assert (upcoming, past) == ([LOCAL, FOUR, CSRC, CAC], [])
    upcoming, past = flat(effective_view(shipped, datetime.date(2030, 1, 1)))
    assert (upcoming, past) == ([], [CAC, CSRC, FOUR, LOCAL])


def test_grouping_and_order_with_many_dates_and_ties(shipped: Site) -> None:
    # Give every item an effective date: several per month, some on one day.
    days = [
        datetime.date(2023, 1, 15),
        datetime.date(2023, 3, 31),
        datetime.date(2023, 4, 1),
        datetime.date(2023, 4, 1),
        datetime.date(2023, 4, 30),
        datetime.date(2023, 7, 2),
        datetime.date(2024, 1, 1),
    ]
    dates = {eid: days[i % len(days)] for i, eid in enumerate(shipped.chronology)}
    site = with_effective(shipped, dates)
    reference = datetime.date(2023, 4, 1)
    view = effective_view(site, reference)
    upcoming, past = flat(view)
    assert sorted(upcoming + past) == sorted(shipped.chronology)  # each exactly once
    assert all(dates[e] >= reference for e in upcoming)
    assert all(dates[e] < reference for e in past)
    rank = {eid: i for i, eid in enumerate(shipped.chronology)}
    # Soonest first / latest first; one day's items in the chronology's order.
    assert upcoming == sorted(upcoming, key=lambda e: (dates[e], rank[e]))
    assert past == sorted(past, key=lambda e: (-dates[e].toordinal(), rank[e]))
    assert [m.key for m in view.upcoming] == ["2023-04", "2023-07", "2024-01"]
    assert [m.key for m in view.past] == ["2023-03", "2023-01"]
    for month in (*view.upcoming, *view.past):
        assert {f"{dates[e]:%Y-%m}" for e in month.entries} == {month.key}
    # April holds the reference day itself and the 30th, in that order.
    april = view.upcoming[0].entries
    assert [dates[e].day for e in april] == sorted(dates[e].day for e in april)


def test_the_view_is_a_plain_frozen_value(shipped: Site) -> None:
    view = effective_view(shipped, datetime.date(2023, 4, 1))
    assert view == effective_view(shipped, datetime.date(2023, 4, 1))
    assert isinstance(view.upcoming, tuple) and isinstance(view.upcoming[0].entries, tuple)
    with pytest.raises(dataclasses.FrozenInstanceError):
        view.reference = datetime.date(2024, 1, 1)  # type: ignore[misc]
