"""/effective.ics: read back by the `icalendar` package (a real parser), checked against
the entry files read independently and against RFC 5545's line rules (CRLF, 75-octet
folding that never splits a UTF-8 character, TEXT escaping); UIDs survive edits."""

from __future__ import annotations

import datetime
import re
import shutil
from pathlib import Path

import icalendar
import pytest
import yaml
from entryfiles import checked_site as build
from entryfiles import front_matter
from hypothesis import given
from hypothesis import strategies as st

from digest.build import Options
from digest.effective import effective_items
from digest.ical import escape, fold, render_calendar
from digest.model import Site

ROOT = Path(__file__).resolve().parents[1]
SHIPPED = ROOT / "entries"
CAC_ITEM = "cac-issues-the-provisions-on-administrative-enforcement"
SHANGHAI = datetime.timezone(datetime.timedelta(hours=8))  # Asia/Shanghai, no DST since 1991


def parse(data: bytes) -> icalendar.Calendar:
    calendar = icalendar.Calendar.from_ical(data)
    assert calendar.errors == []
    for component in calendar.walk():
        assert component.errors == [], component.name
    return calendar


def events(data: bytes) -> dict[str, icalendar.Event]:
    return {str(e["UID"]): e for e in parse(data).walk("VEVENT")}


@pytest.fixture(scope="module")
def shipped() -> Site:
    return build(SHIPPED)


@pytest.fixture(scope="module")
def ics(shipped: Site) -> bytes:
    (output,) = render_calendar(shipped)
    assert output.path == "effective.ics"
    return output.data


def test_calendar_properties(ics: bytes) -> None:
    calendar = parse(ics)
    assert calendar.name == "VCALENDAR"
    assert str(calendar["VERSION"]) == "2.0"
    assert str(calendar["PRODID"]).strip()
    assert str(calendar["CALSCALE"]) == "GREGORIAN"
    assert str(calendar["X-WR-CALNAME"]) == "China Data Protection Digest: effective dates"
    assert ics.startswith(b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\n")
    assert ics.endswith(b"END:VCALENDAR\r\n")


def test_the_seeds_four_effective_dates(ics: bytes) -> None:
    base = yaml.safe_load((SHIPPED / "site.yaml").read_text())["base_url"]
    expected = {}
    for path in sorted(SHIPPED.glob("*/*.md")):
        meta = front_matter(path)
        if "effective" in meta:
            expected[meta["effective"]] = (meta, f"{base}entries/{path.stem}/")
    assert sorted(expected) == [
        datetime.date(2023, 3, 1),
        datetime.date(2023, 3, 31),
        datetime.date(2023, 5, 1),
        datetime.date(2023, 6, 1),
    ]
    found = list(parse(ics).walk("VEVENT"))
    assert [e.decoded("DTSTART") for e in found] == sorted(expected)  # soonest first
    for event in found:
        start = event.decoded("DTSTART")
        meta, url = expected[start]
        # All-day: DATE values, not DATE-TIME, ending (exclusively) the next day.
        assert type(start) is datetime.date
        assert event.decoded("DTEND") == start + datetime.timedelta(days=1)
        assert str(event["SUMMARY"]) == f"In force: {meta['title']}"
        assert str(event["URL"]) == url
        assert url in str(event["DESCRIPTION"])
        assert str(event["UID"]) == f"effective-{url.split('/')[-2]}@digest.example.org"
        # DTSTAMP: 00:00 of the item's date in Asia/Shanghai, in UTC.
        stamp = event.decoded("DTSTAMP")
        assert stamp.utcoffset() == datetime.timedelta(0)
        assert stamp == datetime.datetime.combine(meta["date"], datetime.time(), SHANGHAI)
        categories = [str(c) for c in event["CATEGORIES"].cats]
        assert categories == ["Legislation", *meta["agencies"]]
    cac = next(e for e in found if CAC_ITEM in str(e["UID"]))
    assert "Cyberspace Administration of China (CAC, 国家互联网信息办公室)" in str(
        cac["DESCRIPTION"]
    )


def test_events_follow_effective_items(shipped: Site, ics: bytes) -> None:
    uids = [str(e["UID"]) for e in parse(ics).walk("VEVENT")]
    assert uids == [f"effective-{eid}@digest.example.org" for eid in effective_items(shipped)]


def test_lines_are_crlf_and_folded_at_75_octets(ics: bytes) -> None:
    assert b"\n" not in ics.replace(b"\r\n", b"")  # no bare LF or CR
    lines = ics.split(b"\r\n")
    assert lines[-1] == b""
    folded_cjk = 0
    for line in lines[:-1]:
        assert len(line) <= 75, line
        text = line.decode("utf-8")  # a break inside a character would not decode
        if line.startswith(b" ") and re.search(r"[\u4e00-\u9fff]", text):
            folded_cjk += 1
    assert folded_cjk >= 2  # the Chinese agency names are folded, and survive it
    unfolded = ics.replace(b"\r\n ", b"").decode("utf-8")
    assert "(CSRC\\, 中国证券监督管理委员会)" in unfolded


# 1- to 4-octet characters and the ones escaping doubles, often enough to cross 75 octets.
MIXED = st.one_of(st.sampled_from("a,;\\\n é数据€😀"), st.characters(blacklist_categories=("Cs",)))


@given(st.text(alphabet=MIXED, max_size=300))
def test_fold_keeps_every_character_whole(value: str) -> None:
    line = "DESCRIPTION:" + escape(value)
    data = fold(line)
    assert data.endswith(b"\r\n")
    physical = data[:-2].split(b"\r\n")
    assert all(len(p) <= 75 for p in physical)
    assert all(p.startswith(b" ") for p in physical[1:])
    for p in physical:
        p.decode("utf-8")  # a break inside a character would not decode
    assert data[:-2].replace(b"\r\n ", b"").decode("utf-8") == line


def test_fold_breaks_before_a_character_that_would_cross_75_octets() -> None:
    line = "SUMMARY:" + "数" * 30  # 8 + 90 octets
    assert fold(line) == (
        ("SUMMARY:" + "数" * 22).encode() + b"\r\n " + ("数" * 8).encode() + b"\r\n"
    )
    assert fold("X:" + "a" * 73) == b"X:" + b"a" * 73 + b"\r\n"  # exactly 75: unfolded
    assert fold("X:" + "a" * 74) == b"X:" + b"a" * 73 + b"\r\n a\r\n"


def test_escaping_round_trips_through_icalendar(tmp_path: Path) -> None:
    assert escape("a\\b;c,d\ne\r\nf") == "a\\\\b\\;c\\,d\\ne\\nf"
    entries = tmp_path / "entries"
    shutil.copytree(SHIPPED, entries)
    item = entries / "2023-04" / f"{CAC_ITEM}.md"
    text = item.read_text(encoding="utf-8")
    tricky = r"Rules; Part 1, \Section\ 2: 个人信息, \n not a newline"
    text = re.sub(r'^title: ".*"$', lambda _m: f"title: '{tricky}'", text, count=1, flags=re.M)
    text = text.replace("---\n", "---\ntitle_zh: 网信部门行政执法程序规定, 第一条\n", 1)
    item.write_text(text, encoding="utf-8")
    found = events(render_calendar(build(entries))[0].data)
    event = found[f"effective-{CAC_ITEM}@digest.example.org"]
    assert str(event["SUMMARY"]) == f"In force: {tricky}"
    description = str(event["DESCRIPTION"]).split("\n")
    assert description[0] == "网信部门行政执法程序规定, 第一条"
    assert description[-1] == f"https://digest.example.org/entries/{CAC_ITEM}/"


def test_uids_survive_title_and_base_url_edits(tmp_path: Path, ics: bytes) -> None:
    before = events(ics)
    entries = tmp_path / "entries"
    shutil.copytree(SHIPPED, entries)
    item = entries / "2023-04" / f"{CAC_ITEM}.md"
    text = item.read_text(encoding="utf-8")
    item.write_text(re.sub(r'^title: ".*"$', 'title: "Renamed"', text, count=1, flags=re.M))
    after = events(
        render_calendar(build(entries, Options(base_url="https://moved.example.com/d/")))[0].data
    )
    assert sorted(after) == sorted(before)
    uid = f"effective-{CAC_ITEM}@digest.example.org"
    assert str(after[uid]["SUMMARY"]) == "In force: Renamed"
    assert str(after[uid]["URL"]) == f"https://moved.example.com/d/entries/{CAC_ITEM}/"


def test_dtstamp_follows_updated_not_the_clock(tmp_path: Path) -> None:
    entries = tmp_path / "entries"
    shutil.copytree(SHIPPED, entries)
    item = entries / "2023-04" / f"{CAC_ITEM}.md"
    item.write_text(item.read_text().replace("---\n", "---\nupdated: 2023-04-20\n", 1))
    event = events(render_calendar(build(entries))[0].data)[
        f"effective-{CAC_ITEM}@digest.example.org"
    ]
    assert event.decoded("DTSTAMP") == datetime.datetime(2023, 4, 19, 16, tzinfo=datetime.UTC)


def test_output_is_byte_identical_across_builds(ics: bytes) -> None:
    assert render_calendar(build(SHIPPED))[0].data == ics


def test_a_site_without_effective_dates_still_has_a_calendar(tmp_path: Path) -> None:
    entries = tmp_path / "entries"
    shutil.copytree(SHIPPED, entries)
    for path in entries.glob("*/*.md"):
        path.write_text(re.sub(r"^effective: .*\n", "", path.read_text(), flags=re.M))
    calendar = parse(render_calendar(build(entries))[0].data)
    assert list(calendar.walk("VEVENT")) == []
    assert str(calendar["VERSION"]) == "2.0"
