"""/catalog.json and /llms.txt of the shipped site: checked against its JSON Schema with
format checks (jsonschema, Draft 2020-12), against the entry files and the seed
newsletter read independently, and parsed as Markdown by markdown-it-py."""

from __future__ import annotations

import copy
import json
import re
import shutil
from pathlib import Path

import jsonschema
import pytest
import yaml
from entryfiles import checked_site as build
from entryfiles import front_matter
from markdown_it import MarkdownIt
from seed import read_seed

from digest import feeds, urls
from digest.build import Options
from digest.catalog import render_catalog
from digest.llms import render_llms
from digest.model import Site
from digest.schemas import schema_path

ROOT = Path(__file__).resolve().parents[1]
SHIPPED = ROOT / "entries"
README = ROOT / "README.md"


@pytest.fixture(scope="module")
def shipped() -> Site:
    return build(SHIPPED)


@pytest.fixture(scope="module")
def catalog(shipped: Site) -> dict:
    (output,) = render_catalog(shipped)
    assert output.path == "catalog.json"
    return json.loads(output.data)


@pytest.fixture(scope="module")
def validator() -> jsonschema.Draft202012Validator:
    schema = json.loads(schema_path("catalog").read_text())
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(
        schema, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
    )


# --- catalog.json ------------------------------------------------------------------


def test_catalog_validates_against_its_schema(catalog: dict, validator) -> None:
    assert [e.message for e in validator.iter_errors(catalog)] == []


def test_the_schema_checks_formats_and_refuses_broken_catalogs(catalog: dict, validator) -> None:
    # Guard: "format" is only checked when a checker for it is installed.
    checker = validator.format_checker
    assert not checker.conforms("not a url", "uri")
    assert not checker.conforms("2023-02-30", "date")
    breakages = [
        ("date", "2023-02-30"),
        ("url", "entries/relative/"),
        ("date_precision", "year"),
        ("effective", "June 2023"),
        ("agencies", []),
    ]
    for field, value in breakages:
        broken = copy.deepcopy(catalog)
        broken["items"][0][field] = value
        assert list(validator.iter_errors(broken)), field
    broken = copy.deepcopy(catalog)
    del broken["items"][3]["sources"][0]["number"]
    assert list(validator.iter_errors(broken))
    broken = copy.deepcopy(catalog)
    broken["items"][0]["agencies"][0]["level"] = "federal"
    assert list(validator.iter_errors(broken))


def test_catalog_lists_every_item_newest_first(shipped: Site, catalog: dict) -> None:
    files = sorted(SHIPPED.glob("*/*.md"))
    assert len(files) == 30
    ids = [item["id"] for item in catalog["items"]]
    assert sorted(ids) == sorted(f.stem for f in files)
    assert ids == list(shipped.chronology)
    dates = [item["date"] for item in catalog["items"]]
    assert dates == sorted(dates, reverse=True)
    assert catalog["updated"] == max(dates)


def test_catalog_agrees_with_the_entry_files(catalog: dict) -> None:
    base = catalog["base_url"]
    registry = yaml.safe_load((SHIPPED / "agencies.yaml").read_text(encoding="utf-8"))
    site = yaml.safe_load((SHIPPED / "site.yaml").read_text(encoding="utf-8"))
    assert base == site["base_url"] and catalog["title"] == site["title"]
    by_id = {item["id"]: item for item in catalog["items"]}
    for path in sorted(SHIPPED.glob("*/*.md")):
        meta = front_matter(path)
        item = by_id[path.stem]
        assert item["url"] == f"{base}entries/{path.stem}/"
        assert item["title"] == meta["title"]
        assert item["title_zh"] == meta.get("title_zh")
        raw_date = str(meta["date"])
        if re.fullmatch(r"\d{4}-\d{2}", raw_date):
            assert (item["date"], item["date_precision"]) == (raw_date + "-01", "month")
        else:
            assert (item["date"], item["date_precision"]) == (raw_date, "day")
        assert item["section"]["key"] == meta["category"]
        assert item["section"]["title"] == site["sections"][meta["category"]]
        assert item["section"]["url"] == f"{base}sections/{meta['category']}/"
        assert item["edition"]["key"] == path.parent.name
        assert item["edition"]["url"] == f"{base}editions/{path.parent.name}/"
        assert [a["key"] for a in item["agencies"]] == meta["agencies"]
        for agency in item["agencies"]:
            entry = registry[agency["key"]]
            assert agency["name"] == entry["name"]
            assert agency["name_zh"] == entry.get("name_zh")
            assert agency["level"] == entry["level"]
            assert agency["website"] == entry.get("url")
            slug = re.sub(r"[^a-z0-9]+", "-", agency["key"].lower()).strip("-")
            assert agency["url"] == f"{base}agencies/{slug}/"
        assert item["tags"] == meta.get("tags", [])
        sources = meta["source"] if isinstance(meta["source"], list) else [meta["source"]]
        assert [s["url"] for s in item["sources"]] == sources
        effective = meta.get("effective")
        assert item["effective"] == (effective.isoformat() if effective else None)
        assert item["updated"] is None


def test_source_numbers_are_the_newsletters_footnotes(catalog: dict) -> None:
    _items, seed_urls, _disclaimer = read_seed()
    numbered = {s["number"]: s["url"] for item in catalog["items"] for s in item["sources"]}
    assert sorted(numbered) == list(range(1, len(seed_urls) + 1))
    assert [numbered[n] for n in sorted(numbered)] == seed_urls


def test_the_four_effective_dates(catalog: dict) -> None:
    effective = {item["effective"]: item["title"] for item in catalog["items"] if item["effective"]}
    assert sorted(effective) == ["2023-03-01", "2023-03-31", "2023-05-01", "2023-06-01"]
    assert effective["2023-06-01"].startswith("CAC Issues the Provisions on Administrative")


def test_every_field_is_in_the_schema_and_the_readme(catalog: dict) -> None:
    schema = json.loads(schema_path("catalog").read_text())
    defs = schema["$defs"]
    item = catalog["items"][0]
    shapes = [
        (catalog, schema["properties"]),
        (item, defs["item"]["properties"]),
        (item["section"], defs["section"]["properties"]),
        (item["edition"], defs["edition_ref"]["properties"]),
        (item["agencies"][0], defs["agency"]["properties"]),
        (item["sources"][0], defs["item"]["properties"]["sources"]["items"]["properties"]),
    ]
    for value, properties in shapes:
        assert set(value) == set(properties)
    assert set(item) == set(defs["item"]["required"])
    readme = README.read_text(encoding="utf-8")
    section = readme.split("## Machine-readable catalog", 1)[1].split("\n## ", 1)[0]
    first_cells = [row.split("|")[1] for row in section.splitlines() if row.startswith("| `")]
    documented = {name for cell in first_cells for name in re.findall(r"`([^`]+)`", cell)}
    named = {*catalog, *(f"items[].{k}" for k in item)}
    assert named <= documented, named - documented


def test_catalog_is_deterministic_and_follows_base_url(tmp_path: Path, shipped: Site) -> None:
    first = render_catalog(shipped)[0].data
    again = render_catalog(build(SHIPPED))[0].data
    assert first == again
    # One item a line, so that a changed item is a one-line diff.
    rows = [line for line in first.decode().splitlines() if line.startswith('    {"id": ')]
    assert [json.loads(r.rstrip(","))["id"] for r in rows] == list(shipped.chronology)
    moved = build(SHIPPED, Options(base_url="https://example.net/digest"))
    data = json.loads(render_catalog(moved)[0].data)
    assert data["url"] == "https://example.net/digest/catalog.json"
    assert all(i["url"].startswith("https://example.net/digest/entries/") for i in data["items"])
    assert [i["id"] for i in data["items"]] == list(shipped.chronology)


def test_a_site_without_items_has_a_valid_empty_catalog(tmp_path: Path, validator) -> None:
    entries = tmp_path / "entries"
    entries.mkdir()
    for name in ("site.yaml", "agencies.yaml"):
        shutil.copy(SHIPPED / name, entries / name)
    data = json.loads(render_catalog(build(entries))[0].data)
    assert (data["items"], data["editions"], data["updated"]) == ([], [], None)
    assert [e.message for e in validator.iter_errors(data)] == []


# --- llms.txt ----------------------------------------------------------------------


@pytest.fixture(scope="module")
def llms(shipped: Site) -> str:
    (output,) = render_llms(shipped)
    assert output.path == "llms.txt"
    return output.data.decode("utf-8")


def links(text: str) -> list[str]:
    """Every link target in a Markdown text, as markdown-it-py parses it."""
    found = []
    for token in MarkdownIt().parse(text):
        for child in token.children or ():
            if child.type == "link_open":
                found.append(child.attrs["href"])
    return found


def test_llms_txt_has_the_proposals_structure(shipped: Site, llms: str) -> None:
    tokens = MarkdownIt().parse(llms)
    assert [t.tag for t in tokens if t.type == "heading_open" and t.tag == "h1"] == ["h1"]
    assert tokens[0].type == "heading_open" and tokens[0].tag == "h1"
    assert tokens[1].content == shipped.config.title
    assert tokens[3].type == "blockquote_open"  # the summary comes right after the title
    h2 = [
        tokens[i + 1].content
        for i, t in enumerate(tokens)
        if t.type == "heading_open" and t.tag == "h2"
    ]
    assert h2 == ["Editions", "Sections", "Agencies", "Data and feeds", "Optional"]
    # Below each H2, only a list of links, each "- [name](url)" with an optional note.
    body = llms.split("\n## ", 1)[1]
    for line in body.splitlines()[1:]:
        if line and not line.startswith("## "):
            assert re.fullmatch(r"- \[[^\]]+\]\(https://\S+\)(: .+)?", line), line


def test_llms_txt_links_only_to_what_the_site_has(shipped: Site, llms: str) -> None:
    base = shipped.config.base_url
    # What the site has: the pages of editions and of terms with items, the fixed
    # index pages, every feed, and the files rendered beside them here.
    have = {urls.ARCHIVE, urls.TAGS, urls.FEEDS, urls.EFFECTIVE}
    have |= {urls.edition(e.key) for e in shipped.editions}
    pages = {"section": urls.section, "agency": urls.agency, "tag": urls.tag}
    for term in (*shipped.section_terms, *shipped.agency_terms, *shipped.tag_terms):
        if term.entries:
            have.add(pages[term.kind](term.slug))
    have |= {f.path for f in feeds.catalogue(shipped)}
    have |= {o.path for o in (*render_catalog(shipped), *render_llms(shipped))}
    have.add("effective.ics")
    targets = links(llms)
    assert targets and all(t.startswith(base) for t in targets)
    assert {t.removeprefix(base) for t in targets} <= have
    assert len(targets) == len(set(targets))
    assert len([t for t in targets if "/agencies/" in t]) == len(shipped.agencies)
    for path in ("catalog.json", "effective.ics", "feed.xml", "editions/2023-04/"):
        assert base + path in targets


def test_llms_txt_leaves_out_agencies_without_items(tmp_path: Path) -> None:
    entries = tmp_path / "entries"
    shutil.copytree(SHIPPED, entries)
    with (entries / "agencies.yaml").open("a", encoding="utf-8") as registry:
        registry.write('\nUnused Bureau:\n  name: "Unused Bureau"\n  level: other\n')
    site = build(entries)
    text = render_llms(site)[0].data.decode("utf-8")
    assert "Unused Bureau" not in text
    assert site.config.base_url + "agencies/unused-bureau/" not in links(text)
    assert site.config.base_url + "agencies/cac/" in links(text)


def test_llms_txt_is_deterministic(shipped: Site, llms: str) -> None:
    assert render_llms(build(SHIPPED))[0].data.decode("utf-8") == llms
    assert "国家互联网信息办公室" in llms
