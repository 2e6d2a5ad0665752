"""model.py: the shipped April 2023 edition matches the seed item for item; ordering and
footnote rules on small sites."""

from __future__ import annotations

import datetime
from pathlib import Path

from seed import read_seed

from digest.build import Options, check
from digest.config import Config
from digest.model import build_site
from digest.registry import Agency
from digest.validate import Entry

ENTRIES = Path(__file__).resolve().parents[1] / "entries"


def shipped():
    site, problems = check(ENTRIES)
    assert problems == []
    return site


def test_shipped_entries_check_clean() -> None:
    site, problems = check(ENTRIES)
    assert [str(p) for p in problems] == []
    assert len(site.entries) == 30


def test_seed_edition_matches_the_seed_item_for_item() -> None:
    site = shipped()
    items, urls, disclaimer = read_seed()
    (edition,) = site.editions
    assert edition.key == "2023-04"
    assert edition.title == "April 2023"
    entries = [site.entries[eid] for eid in edition.entries]
    assert [e.title for e in entries] == [i.title for i in items]
    assert [e.body.strip() for e in entries] == [i.body for i in items]
    assert [e.category for e in entries] == [i.category for i in items]
    assert [s.category for s in edition.sections] == [
        "regulation",
        "enforcement",
        "cases",
        "courts",
    ]
    assert [len(s.entries) for s in edition.sections] == [8, 12, 7, 3]
    assert [s.title for s in edition.sections] == [
        "Legislation",
        "Enforcement Authority",
        "Enforcement Cases",
        "Courts Litigation",
    ]
    assert [(f.number, f.url) for f in edition.footnotes] == list(enumerate(urls, start=1))
    assert [site.notes[e.id] for e in entries] == [(i.number,) for i in items]
    assert site.config.disclaimer == disclaimer


def test_seed_dates_and_effective_dates() -> None:
    site = shipped()
    month_only = sorted(e.id for e in site.entries.values() if e.date_precision == "month")
    assert month_only == [
        "beijing-ca-holds-review-and-guidance-meeting-for-annual",
        "chinas-first-on-market-transaction-of-industrial-data-tools",
        "supermarkets-use-facial-recognition-to-prevent-thieves",
    ]
    effective = {e.id: e.effective for e in site.entries.values() if e.effective}
    assert effective == {
        "cac-issues-the-provisions-on-administrative-enforcement": datetime.date(2023, 6, 1),
        "csrc-releases-measures-for-the-administration-of": datetime.date(2023, 5, 1),
        "data-regulations-of-suzhou-and-xiamen-came-into-effect-on": datetime.date(2023, 3, 1),
        "four-departments-jointly-issue-new-rules-on-confidentiality": datetime.date(2023, 3, 31),
    }


def test_every_registry_agency_is_used_and_every_used_agency_is_registered() -> None:
    site = shipped()
    used = {a for e in site.entries.values() for a in e.agencies}
    assert used == set(site.agencies)
    assert all(t.entries for t in site.agency_terms)


CONFIG = Config(title="T", base_url="https://x.example/")
AGENCIES = {"CAC": Agency("CAC", "cac", "Cyberspace Administration of China", "national")}


def entry(eid: str, date: str, category: str = "regulation", order=None, **kw) -> Entry:
    day = datetime.date.fromisoformat(date)
    fields = {
        "id": eid,
        "path": f"2023-04/{eid}.md",
        "edition": "2023-04",
        "title": eid.title(),
        "date": day,
        "date_precision": "day",
        "category": category,
        "agencies": ("CAC",),
        "sources": (f"https://example.org/{eid}",),
        "body": "Text.",
        "html": "<p>Text.</p>\n",
        "order": order,
    }
    fields.update(kw)
    return Entry(**fields)


def test_order_first_then_newest_first_then_id() -> None:
    items = [
        entry("new-unordered", "2023-03-30"),
        entry("second", "2023-03-01", order=2),
        entry("first", "2023-03-02", order=1),
        entry("old-b", "2023-03-05"),
        entry("old-a", "2023-03-05"),
    ]
    site, problems = build_site(CONFIG, AGENCIES, items)
    assert problems == []
    assert site.editions[0].entries == ("first", "second", "new-unordered", "old-a", "old-b")


def test_footnotes_number_across_sections_and_multiple_sources() -> None:
    items = [
        entry("court", "2023-03-01", "courts"),
        entry("rule", "2023-03-01", sources=("https://a.example/1", "https://a.example/2")),
        entry("case", "2023-03-01", "cases"),
    ]
    site, _ = build_site(CONFIG, AGENCIES, items)
    edition = site.editions[0]
    assert [(f.number, f.url, f.entry) for f in edition.footnotes] == [
        (1, "https://a.example/1", "rule"),
        (2, "https://a.example/2", "rule"),
        (3, "https://example.org/case", "case"),
        (4, "https://example.org/court", "court"),
    ]
    assert dict(site.notes) == {"rule": (1, 2), "case": (3,), "court": (4,)}
    assert [s.category for s in edition.sections] == ["regulation", "cases", "courts"]


def test_drafts_are_left_out_unless_asked_for() -> None:
    items = [entry("public", "2023-03-01"), entry("secret", "2023-03-02", draft=True)]
    site, _ = build_site(CONFIG, AGENCIES, items)
    assert list(site.entries) == ["public"]
    assert site.editions[0].footnotes[0].number == 1
    site, _ = build_site(CONFIG, AGENCIES, items, drafts=True)
    assert sorted(site.entries) == ["public", "secret"]


def test_terms_list_items_newest_first() -> None:
    items = [
        entry("a", "2023-03-01", tags=("pipl",)),
        entry("b", "2023-03-09", tags=("pipl", "csl")),
        entry("c", "2023-03-05", "courts"),
    ]
    site, _ = build_site(CONFIG, AGENCIES, items)
    assert site.chronology == ("b", "c", "a")
    assert [(t.key, t.entries) for t in site.tag_terms] == [("csl", ("b",)), ("pipl", ("b", "a"))]
    assert [(t.key, t.entries) for t in site.section_terms] == [
        ("regulation", ("b", "a")),
        ("enforcement", ()),
        ("cases", ()),
        ("courts", ("c",)),
    ]
    assert site.agency_terms[0].entries == ("b", "c", "a")


def test_check_with_drafts_option(tmp_path: Path) -> None:
    site, problems = check(ENTRIES, Options(drafts=True))
    assert problems == [] and len(site.entries) == 30
