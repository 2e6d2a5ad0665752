"""Section headings of a plain-text edition -> categories.

A heading is compared by its words only: case, punctuation, '&'/'and' and a leading
'A.', '2)', 'IV.' or 'Part B:' numbering do not count, so 'B. Enforcement & Cases:'
reads as 'enforcement cases'. site.yaml's `headings:` adds or overrides texts; the
section titles of site.yaml always count too, so an edition exported by digest reads
back in."""

from __future__ import annotations

import re
from collections.abc import Iterable

DEFAULT_HEADINGS = {
    "Legislation": "regulation",
    "Regulation": "regulation",
    "Regulations": "regulation",
    "Regulatory Developments": "regulation",
    "Enforcement Authority": "enforcement",
    "Enforcement Authorities": "enforcement",
    "Enforcement": "enforcement",
    "Enforcement Cases": "cases",
    "Cases": "cases",
    "Courts Litigation": "courts",
    "Courts and Litigation": "courts",
    "Litigation": "courts",
    "Courts": "courts",
}

_NUMBERING = re.compile(r"^\s*(?:part\s+)?(?:[a-z]|[ivx]+|\d{1,2})\s*[.):]\s+", re.IGNORECASE)
_NON_WORD = re.compile(r"[^\w]+")


def heading_key(text: str) -> str:
    """The comparable form of a heading: 'A. Courts & Litigation:' -> 'courts litigation'."""
    text = _NUMBERING.sub("", text)
    words = _NON_WORD.sub(" ", text.casefold().replace("&", " ")).split()
    return " ".join(w for w in words if w != "and")


def heading_table(
    extra: Iterable[tuple[str, str]] = (), section_titles: Iterable[tuple[str, str]] = ()
) -> dict[str, str]:
    """{heading key: category}: the defaults, then site.yaml's section titles, then its
    `headings:` (later ones win)."""
    table = {heading_key(text): category for text, category in DEFAULT_HEADINGS.items()}
    table.update((heading_key(title), category) for category, title in section_titles)
    table.update((heading_key(text), category) for text, category in extra)
    return table
