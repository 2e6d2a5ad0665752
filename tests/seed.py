"""The seed newsletter, read independently of digest's own code, so that tests compare
the site with the source text rather than with themselves."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

SEED = Path(__file__).resolve().parents[2] / "shared" / "seeds" / "000_ae5e7c03c63db529.txt"
HEADINGS = {
    "Enforcement Authority": "enforcement",
    "Enforcement Cases": "cases",
    "Courts Litigation": "courts",
}


@dataclass(frozen=True)
class SeedItem:
    title: str
    body: str
    number: int
    category: str


def seed_path() -> Path:
    """The seed file; beside the clone in CI (../shared), else beside the main checkout."""
    for candidate in (SEED, Path("/work/shared/seeds") / SEED.name):
        if candidate.exists():
            return candidate
    raise FileNotFoundError(SEED)


def read_seed() -> tuple[list[SeedItem], list[str], str]:
    """(items in reading order, URLs by footnote number, disclaimer)."""
    paragraphs = [p.strip() for p in seed_path().read_text(encoding="utf-8").split("\n\n")]
    paragraphs = [p for p in paragraphs if p]
    items: list[SeedItem] = []
    urls: list[str] = []
    category = "regulation"
    title = None
    disclaimer = ""
    for para in paragraphs:
        m = re.fullmatch(r"(\d+)\. (https?://\S+)", para)
        if m:
            assert int(m[1]) == len(urls) + 1
            urls.append(m[2])
        elif para in HEADINGS:
            category = HEADINGS[para]
        elif urls:
            disclaimer = para
        elif title is None:
            title = para
        else:
            m = re.fullmatch(r"(.*) (\d+)", para, flags=re.S)
            assert m, para
            items.append(SeedItem(title, m[1], int(m[2]), category))
            title = None
    return items, urls, disclaimer
