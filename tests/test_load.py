"""load.py: the walk, the front-matter split and file-level problems that fixture text
cannot express (symbolic links, size limits)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from digest.build import check
from digest.load import MAX_FILE_BYTES, decode, load, split_front_matter

BASE = Path(__file__).parent / "fixtures" / "problems" / "_base"
ITEM = """---
title: "Item"
date: 2023-03-23
category: regulation
agencies: [CAC]
source: https://example.org/a
---
Text.
"""


def problems_of(entries: Path) -> list[str]:
    return [str(p) for p in check(entries)[1]]


def entries_with(tmp_path: Path) -> Path:
    entries = tmp_path / "entries"
    shutil.copytree(BASE, entries)
    (entries / "2023-04").mkdir()
    return entries


def test_symlink_outside_the_entries_folder_is_a_problem(tmp_path: Path) -> None:
    entries = entries_with(tmp_path)
    secret = tmp_path / "secret.md"
    secret.write_text(ITEM)
    os.symlink(secret, entries / "2023-04" / "leak.md")
    problems = problems_of(entries)
    assert problems == [
        "2023-04/leak.md: file: is a symbolic link that leads outside the entries folder"
    ]


def test_symlink_inside_the_entries_folder_is_read(tmp_path: Path) -> None:
    entries = entries_with(tmp_path)
    (entries / "2023-04" / "real.md").write_text(ITEM)
    os.symlink("real.md", entries / "2023-04" / "alias.md")
    loaded, problems = load(entries)
    assert problems == []
    assert loaded.items == (("2023-04/alias.md", "2023-04"), ("2023-04/real.md", "2023-04"))


def test_symlinked_edition_folder_is_refused(tmp_path: Path) -> None:
    entries = entries_with(tmp_path)
    outside = tmp_path / "outside"
    outside.mkdir()
    os.symlink(outside, entries / "2023-05")
    _loaded, problems = load(entries)
    assert [str(p) for p in problems] == [
        "2023-05: file: edition folders must be real folders, not symbolic links"
    ]


def test_broken_symlink(tmp_path: Path) -> None:
    entries = entries_with(tmp_path)
    os.symlink("missing.md", entries / "2023-04" / "broken.md")
    problems = problems_of(entries)
    assert problems == ["2023-04/broken.md: file: cannot be read (a broken symbolic link?)"]


def test_oversized_file_is_refused_without_reading_it(tmp_path: Path) -> None:
    entries = entries_with(tmp_path)
    big = entries / "2023-04" / "big.md"
    big.write_text(ITEM + "x" * (10 * 1024 * 1024))
    problems = problems_of(entries)
    size = big.stat().st_size
    assert problems == [
        f"2023-04/big.md: file: is {size:,} bytes; the limit is {MAX_FILE_BYTES:,} bytes"
    ]


def test_missing_settings_files(tmp_path: Path) -> None:
    entries = tmp_path / "entries"
    entries.mkdir()
    _loaded, problems = load(entries)
    assert sorted(str(p) for p in problems) == [
        "agencies.yaml: file: is missing; it lists the agencies items name",
        "site.yaml: file: is missing; it needs at least title and base_url",
    ]


def test_decode_normalises_line_endings_and_drops_the_bom() -> None:
    text, problems = decode("a.md", b"\xef\xbb\xbfone\r\ntwo\rthree\n")
    assert (text, problems) == ("one\ntwo\nthree\n", [])


def test_body_line_counts_from_the_file_start() -> None:
    yaml_text, body, body_line, problems = split_front_matter(
        "a.md", "---\na: 1\nb: 2\n---\nBody\n"
    )
    assert (yaml_text, body, body_line, problems) == ("a: 1\nb: 2\n", "Body\n", 5, [])


def test_walk_is_sorted_and_skips_hidden_files(tmp_path: Path) -> None:
    entries = entries_with(tmp_path)
    for name in ("b.md", "a.md", ".hidden.md"):
        (entries / "2023-04" / name).write_text(ITEM)
    (entries / ".git").mkdir()
    loaded, problems = load(entries)
    assert problems == []
    assert loaded.items == (("2023-04/a.md", "2023-04"), ("2023-04/b.md", "2023-04"))
