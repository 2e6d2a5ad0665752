"""The /effective/ page of the shipped site: the seed's four effective dates, upcoming
(soonest first) and past (latest first) by month, as of a fixed SOURCE_DATE_EPOCH; the
link to the calendar and its autodiscovery link."""

from __future__ import annotations

from html.parser import HTMLParser
from pathlib import Path

import pytest
from conftest import SHIPPED, build_into

CAC = "cac-issues-the-provisions-on-administrative-enforcement"  # in force 2023-06-01
CSRC = "csrc-releases-measures-for-the-administration-of"  # 2023-05-01
FOUR = "four-departments-jointly-issue-new-rules-on-confidentiality"  # 2023-03-31
LOCAL = "data-regulations-of-suzhou-and-xiamen-came-into-effect-on"  # 2023-03-01
APRIL_1 = "1680307200"  # 2023-04-01 00:00 UTC (08:00 in Shanghai)
MAY_15 = "1684108800"  # 2023-05-15 00:00 UTC


class Groups(HTMLParser):
    """Per h2 part (Upcoming, In force), its months (h3) with (date, item id) rows."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: dict[str, list[tuple[str, list[tuple[str, str]]]]] = {}
        self.heading: str | None = None
        self.text = ""
        self.part = ""
        self.when = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag in ("h2", "h3"):
            self.heading, self.text = tag, ""
        if tag == "time" and a.get("class") == "when":
            self.when = a["datetime"] or ""
        if tag == "a" and self.when and (a.get("href") or "").startswith("/entries/"):
            eid = (a["href"] or "").split("/")[2]
            self.parts[self.part][-1][1].append((self.when, eid))
            self.when = ""

    def handle_data(self, data: str) -> None:
        if self.heading:
            self.text += data

    def handle_endtag(self, tag: str) -> None:
        if tag == self.heading == "h2":
            self.part = self.text
            self.parts[self.part] = []
        elif tag == self.heading == "h3":
            self.parts[self.part].append((self.text, []))
        if tag == self.heading:
            self.heading = None


def groups(html: str) -> dict[str, list[tuple[str, list[tuple[str, str]]]]]:
    parser = Groups()
    parser.feed(html)
    return parser.parts


@pytest.fixture(scope="module")
def april(tmp_path_factory: pytest.TempPathFactory) -> str:
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("SOURCE_DATE_EPOCH", APRIL_1)
        out = build_into(SHIPPED, tmp_path_factory.mktemp("april") / "site")
    return (out / "effective" / "index.html").read_text(encoding="utf-8")


def test_as_of_april_first(april: str) -> None:
    assert groups(april) == {
        "Upcoming": [
            ("May 2023", [("2023-05-01", CSRC)]),
            ("June 2023", [("2023-06-01", CAC)]),
        ],
        "In force": [("March 2023", [("2023-03-31", FOUR), ("2023-03-01", LOCAL)])],
        "In your calendar": [],
    }
    assert 'as of <time datetime="2023-04-01">April 1, 2023</time>' in april


def test_as_of_mid_may(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", MAY_15)
    html = (build_into(SHIPPED, tmp_path / "site") / "effective/index.html").read_text()
    assert groups(html) == {
        "Upcoming": [("June 2023", [("2023-06-01", CAC)])],
        "In force": [
            ("May 2023", [("2023-05-01", CSRC)]),
            ("March 2023", [("2023-03-31", FOUR), ("2023-03-01", LOCAL)]),
        ],
        "In your calendar": [],
    }


def test_each_item_has_its_agencies_and_the_calendar_is_linked(april: str) -> None:
    assert '<link rel="alternate" type="text/calendar" title=' in april
    assert 'href="/effective.ics">' in april
    assert '<a href="/effective.ics">effective.ics</a>' in april
    assert "subscribe" in april.lower()
    row = april.split(f'href="/entries/{FOUR}/"')[1].split("</li>")[0]
    agencies = ["CSRC", "MOF", "NASSP", "NAAC"]
    assert [f'<a href="/agencies/{a.lower()}/">{a}</a>' in row for a in agencies] == [True] * 4


def test_the_page_is_in_the_navigation(april: str) -> None:
    assert '<li><a href="/effective/">Effective dates</a></li>' in april
