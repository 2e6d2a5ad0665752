"""Reproducible output: two builds of the same entries into different folders are
byte-identical whatever TZ, locale, PYTHONHASHSEED, the order the file system lists
folders in, the order the files were created in, SOURCE_DATE_EPOCH and the clock.

No output carries a build date (feeds are dated by their items, the sitemap by items
and editions), and the clock (shifted by 30 years, see shifted.py) changes no byte.
SOURCE_DATE_EPOCH is an input of one page only: /effective/ splits upcoming from past
at it when it is set (digest/effective.py says why); every other file ignores it."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from test_build import tree

ROOT = Path(__file__).resolve().parent.parent
SHIFTED = Path(__file__).resolve().parent / "shifted.py"
SHIFTED_DIGEST = (sys.executable, str(SHIFTED))
SITES = Path(__file__).resolve().parent / "sites"
THIRTY_YEARS = 30 * 365 * 86400
UTF8_LOCALE = "C.UTF-8"


def copy_in_order(source: Path, target: Path, reverse: bool) -> None:
    """Copy a folder file by file, creating them in sorted or reversed order."""
    paths = sorted(source.rglob("*"), reverse=reverse)
    for path in paths:
        if path.is_dir():
            (target / path.relative_to(source)).mkdir(parents=True, exist_ok=True)
    for path in paths:
        if path.is_file():
            dest = target / path.relative_to(source)
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, dest)


def build(entries: Path, out: Path, env: dict[str, str], *shift: str) -> None:
    paths = ("--entries", str(entries), "--out", str(out))
    result = subprocess.run(
        [*SHIFTED_DIGEST, *shift, "--", "build", "--quiet", "--no-cache", *paths],
        cwd=entries.parent,
        env={"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "PYTHONPATH": str(ROOT), **env},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert (result.returncode, result.stdout, result.stderr) == (0, "", "")


def test_the_other_world_really_is_different(tmp_path: Path) -> None:
    # The shifted clock and the reversed listings are what the next test leans on.
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    here = str(tmp_path)
    plain = subprocess.run(
        [sys.executable, str(SHIFTED), "--show", str(tmp_path)], capture_output=True, text=True
    ).stdout.splitlines()
    shifted = subprocess.run(
        [*SHIFTED_DIGEST, "--clock-offset", str(THIRTY_YEARS), "--reverse-listing", "--show", here],
        capture_output=True,
        text=True,
    ).stdout.splitlines()
    year = int(plain[0].split()[0])
    assert shifted[0] == f"{year + 30} {year + 30}" or shifted[0] == f"{year + 29} {year + 29}"
    assert sorted(plain[1].split()) == ["a", "b"]
    assert shifted[1].split() == list(reversed(plain[1].split()))
    assert shifted[2].split() == list(reversed(plain[2].split()))


@pytest.mark.parametrize("site", ["basic", "feeds-basic"])
def test_builds_are_byte_identical_in_any_environment(site: str, tmp_path: Path) -> None:
    first, second = tmp_path / "one" / "entries", tmp_path / "two" / "entries"
    copy_in_order(SITES / site / "entries", first, reverse=False)
    copy_in_order(SITES / site / "entries", second, reverse=True)
    build(
        first,
        tmp_path / "one" / "site",
        {
            "TZ": "UTC",
            "LC_ALL": "C",
            "LANG": "C",
            "PYTHONHASHSEED": "0",
            "SOURCE_DATE_EPOCH": "1680480000",
        },
    )
    build(
        second,
        tmp_path / "two" / "elsewhere" / "out",
        {
            "TZ": "Pacific/Kiritimati",
            "LC_ALL": UTF8_LOCALE,
            "LANG": UTF8_LOCALE,
            "PYTHONHASHSEED": "12345",
            "SOURCE_DATE_EPOCH": "1900000000",
        },
        "--clock-offset",
        str(THIRTY_YEARS),
        "--reverse-listing",
    )
    one, two = tree(tmp_path / "one" / "site"), tree(tmp_path / "two" / "elsewhere" / "out")
    assert len(one) > 10
    assert sorted(one) == sorted(two)
    # /effective/ is "as of" SOURCE_DATE_EPOCH, which differs between the worlds; in
    # the basic site they lie on either side of its one effective date (2023-06-01).
    assert [path for path in one if one[path] != two[path]] == ["effective/index.html"]
    if site == "basic":
        assert (
            b'<h2 id="upcoming-h">Upcoming</h2>\n<p class="meta">Soonest'
            in one["effective/index.html"]
        )
        assert b"Nothing reported here comes into force" in two["effective/index.html"]


def test_the_same_source_date_epoch_gives_the_same_effective_page(tmp_path: Path) -> None:
    first, second = tmp_path / "one" / "entries", tmp_path / "two" / "entries"
    copy_in_order(SITES / "basic" / "entries", first, reverse=False)
    copy_in_order(SITES / "basic" / "entries", second, reverse=True)
    build(first, tmp_path / "one" / "site", {"TZ": "UTC", "SOURCE_DATE_EPOCH": "1900000000"})
    build(
        second,
        tmp_path / "two" / "site",
        {"TZ": "Pacific/Kiritimati", "PYTHONHASHSEED": "7", "SOURCE_DATE_EPOCH": "1900000000"},
        "--clock-offset",
        str(THIRTY_YEARS),
        "--reverse-listing",
    )
    assert tree(tmp_path / "one" / "site") == tree(tmp_path / "two" / "site")


def test_no_output_names_the_build_time(tmp_path: Path) -> None:
    # Built 30 years from now: no year after the content's own appears anywhere.
    entries = tmp_path / "entries"
    copy_in_order(SITES / "basic" / "entries", entries, reverse=False)
    build(entries, tmp_path / "site", {"TZ": "UTC"}, "--clock-offset", str(THIRTY_YEARS))
    years = {str(y).encode() for y in range(2030, 2100)}
    for path, data in tree(tmp_path / "site").items():
        assert not [y for y in years if y in data], path
