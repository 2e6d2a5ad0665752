"""Helpers for the newsletter tests: a fresh entries folder, the CLI run in-process, and
the item files compared field by field."""

from __future__ import annotations

import shutil
from pathlib import Path

from seed import seed_path

from digest.build import check
from digest.cli import main

ROOT = Path(__file__).resolve().parents[1]
ENTRIES = ROOT / "entries"
FIXTURES = ROOT / "tests" / "fixtures" / "newsletter"

__all__ = ["ENTRIES", "FIXTURES", "ROOT", "entry_fields", "fresh_entries", "run", "seed_path"]


def fresh_entries(folder: Path) -> Path:
    """folder/entries holding copies of the shipped site.yaml and agencies.yaml only."""
    entries = folder / "entries"
    entries.mkdir()
    for name in ("site.yaml", "agencies.yaml"):
        shutil.copy(ENTRIES / name, entries / name)
    return entries


def run(capsys, *args: str) -> tuple[int, str]:
    """`digest ARGS` in this process: (exit code, what it printed)."""
    try:
        code = main(list(args))
    except SystemExit as exc:  # argparse's usage errors
        code = exc.code
    out, err = capsys.readouterr()
    return code, out + err


def entry_fields(entries: Path) -> dict[str, tuple]:
    """Every checked item of a folder, by id, as the fields an import can know."""
    site, problems = check(entries)
    assert problems == []
    return {
        eid: (
            e.title,
            e.date,
            e.date_precision,
            e.category,
            e.agencies,
            e.sources,
            e.body,
            e.order,
            e.effective,
        )
        for eid, e in site.entries.items()
    }
