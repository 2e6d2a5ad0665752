"""Small helpers shared by the tests of the site-wide data files (catalog, calendar)."""

from __future__ import annotations

from pathlib import Path

import yaml

from digest.build import Options, check
from digest.model import Site


def checked_site(entries: Path, options: Options | None = None) -> Site:
    """The Site of an entries folder that must check clean."""
    site, problems = check(entries, options or Options())
    assert problems == []
    assert site is not None
    return site


def front_matter(path: Path) -> dict:
    """An item file's front matter, read with PyYAML alone (not digest's own reader)."""
    return yaml.safe_load(path.read_text(encoding="utf-8").split("---\n")[1])
