"""settingscache.py: settings files parsed before give what parsing gives; a changed
text is parsed again (and its problems reported); a damaged cache file is ignored; a
rebuild whose settings are unchanged does without the YAML parser."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import SHIPPED

from digest.build import Options, build
from digest.load import SITE_FILE, load_document
from digest.settingscache import ParsedSettings, pack, unpack
from digest.yamlfile import parse

FINGERPRINT = "code-1"

# Every kind of value a Node holds: text, numbers, booleans, null, lists, mappings,
# nested, and an empty list and mapping.
DOCUMENT = """\
title: Digest
count: 3
ratio: 0.5
on: true
nothing: null
dates: [2023-04-01, 2023-05-01]
nested:
  list:
    - a
    - {b: 1, c: [x, y]}
  empty_list: []
  empty_map: {}
"""


def test_a_packed_node_unpacks_to_the_node_parsed() -> None:
    node, errors = parse(DOCUMENT)
    assert errors == [] and node is not None
    assert unpack(pack(node)) == node
    assert unpack(pack(None)) is None


def test_a_text_parsed_before_is_found_only_for_the_same_text(tmp_path: Path) -> None:
    node, _ = parse(DOCUMENT)
    first = ParsedSettings(tmp_path / "cache", tmp_path / "entries", FINGERPRINT)
    assert first.get("site.yaml", DOCUMENT) == (False, None)
    first.put("site.yaml", DOCUMENT, node)
    first.put("2023-04/edition.yaml", "", None)  # an empty document
    first.save()

    again = ParsedSettings(tmp_path / "cache", tmp_path / "entries", FINGERPRINT)
    assert again.get("site.yaml", DOCUMENT) == (True, node)
    assert again.get("2023-04/edition.yaml", "") == (True, None)
    assert again.get("site.yaml", DOCUMENT + "more: 1\n") == (False, None)
    assert again.get("agencies.yaml", DOCUMENT) == (False, None)
    # Other code, or another entries folder: nothing is known.
    other = ParsedSettings(tmp_path / "cache", tmp_path / "entries", "code-2")
    assert other.get("site.yaml", DOCUMENT) == (False, None)
    elsewhere = ParsedSettings(tmp_path / "cache", tmp_path / "other", FINGERPRINT)
    assert elsewhere.get("site.yaml", DOCUMENT) == (False, None)


def test_the_cache_file_is_written_only_when_what_it_keeps_changed(tmp_path: Path) -> None:
    node, _ = parse(DOCUMENT)
    first = ParsedSettings(tmp_path / "cache", tmp_path / "entries", FINGERPRINT)
    first.put("site.yaml", DOCUMENT, node)
    first.save()
    os.utime(first.path, ns=(10**18, 10**18))  # a time no write now would give

    same = ParsedSettings(tmp_path / "cache", tmp_path / "entries", FINGERPRINT)
    assert same.get("site.yaml", DOCUMENT)[0]
    same.save()
    assert first.path.stat().st_mtime_ns == 10**18

    gone = ParsedSettings(tmp_path / "cache", tmp_path / "entries", FINGERPRINT)
    gone.save()  # site.yaml was not asked for: it went away
    assert first.path.stat().st_mtime_ns != 10**18
    assert ParsedSettings(tmp_path / "cache", tmp_path / "entries", FINGERPRINT).old == {}


@pytest.mark.parametrize("damage", ["truncated", "garbage", "other layout"])
def test_a_damaged_cache_file_is_ignored(tmp_path: Path, damage: str) -> None:
    node, _ = parse(DOCUMENT)
    first = ParsedSettings(tmp_path / "cache", tmp_path / "entries", FINGERPRINT)
    first.put("site.yaml", DOCUMENT, node)
    first.save()
    if damage == "truncated":
        data = first.path.read_bytes()
        first.path.write_bytes(data[: len(data) // 2])
    elif damage == "garbage":
        first.path.write_bytes(b"\x00garbage")
    else:  # well-formed, but not what this code wrote: a Node of four parts
        from digest.cache import write_blob

        write_blob(first.path, first.fingerprint, {"site.yaml": (DOCUMENT, ("x", 1, "text", 0))})
    again = ParsedSettings(tmp_path / "cache", tmp_path / "entries", FINGERPRINT)
    assert again.get("site.yaml", DOCUMENT) == (False, None)


def test_a_settings_file_broken_since_it_was_kept_is_reported(tmp_path: Path) -> None:
    entries = tmp_path / "entries"
    entries.mkdir()
    (entries / SITE_FILE).write_text(DOCUMENT)
    parsed = ParsedSettings(tmp_path / "cache", entries, FINGERPRINT)
    assert load_document(entries, SITE_FILE, parsed)[1] == []
    parsed.save()

    (entries / SITE_FILE).write_text(DOCUMENT + "title: again\n")
    parsed = ParsedSettings(tmp_path / "cache", entries, FINGERPRINT)
    document, problems = load_document(entries, SITE_FILE, parsed)
    assert document is None
    assert [str(p) for p in problems] == [
        "site.yaml:13: yaml: duplicate key 'title' (first given on line 1)"
    ]


def test_a_rebuild_after_an_item_edit_does_without_the_yaml_parser(tmp_path: Path) -> None:
    site = tmp_path / "s"
    shutil.copytree(SHIPPED, site / "entries")
    options = Options(cache_dir=site / "cache")
    assert build(site / "entries", site / "out", options)[1] == []
    item = sorted((site / "entries" / "2023-04").glob("*.md"))[3]
    item.write_text(item.read_text() + "\nOne more sentence.\n")
    # Checked in this process (as a rebuild of a few items is, below items.AHEAD_FROM):
    # only the item is parsed, with the parser imported for it after the settings.
    code = (
        "import sys\n"
        "import digest.load as load\n"
        "seen = []\n"
        "parse = load.parse_yaml\n"
        "load.parse_yaml = lambda rel, *a: seen.append(rel) or parse(rel, *a)\n"
        "from digest.cli import main\n"
        "rc = main(['build', '--entries', 'entries', '--out', 'out', '--cache-dir', 'cache'])\n"
        "print(seen)\n"
        "sys.exit(rc)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=site, capture_output=True, text=True, check=True
    )
    assert done.stdout.splitlines()[-1] == repr([f"2023-04/{item.name}"])
