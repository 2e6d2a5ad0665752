"""Which agencies of the registry an item's text names, in the order it names them, and
the names of bodies it mentions that the registry does not have.

A body is named by its key ('CAC'), its official name or one of its aliases, as whole
words; the longest name wins where names overlap. 'Sichuan and Chongqing
Communications Administration' names both bodies when both names are in the registry.
An unknown body is a run of capitalised words holding a word such as 'Administration'
or 'Court' and no word of a document's title ('Law', 'Provisions', ...)."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from .registry import Agency

BODY_WORDS = frozenset(
    [
        "Academy",
        "Administration",
        "Agency",
        "Association",
        "Authority",
        "Bureau",
        "Center",
        "Centre",
        "Commission",
        "Committee",
        "Congress",
        "Council",
        "Court",
        "Department",
        "Exchange",
        "Federation",
        "Government",
        "Institute",
        "Laboratory",
        "Ministry",
        "Office",
        "Police",
        "Procuratorate",
        "Regulator",
        "Tribunal",
    ]
)
DOCUMENT_WORDS = frozenset(
    [
        "Act",
        "Catalogue",
        "Decision",
        "Guidelines",
        "Guide",
        "Interpretation",
        "Law",
        "Laws",
        "Measures",
        "Meeting",
        "Notice",
        "Opinions",
        "Plan",
        "Provisions",
        "Regulation",
        "Regulations",
        "Report",
        "Rules",
        "Standard",
        "Standards",
    ]
)
_WORD = r"[A-Z][\w'’.&-]*"
_PHRASE = re.compile(rf"{_WORD}(?:\s+(?:(?:of|and|for|the|on|in)\s+)*{_WORD})*")
_ABBREVIATION = re.compile(r"\s*\(\s*[\"“]([^\"”]{1,40})[\"”]\s*\)")
_BEFORE_AND = re.compile(r"(?:^|\s)([A-Z][\w'’-]*)\s+and\s+$")


@dataclass(frozen=True, slots=True)
class Unknown:
    """A body's name the registry does not know, with the abbreviation given after it."""

    name: str
    abbreviation: str = ""

    def __str__(self) -> str:
        return f'{self.name!r} ("{self.abbreviation}")' if self.abbreviation else repr(self.name)


class Finder:
    """Finds registry agencies in text; built once per registry."""

    def __init__(self, agencies: Mapping[str, Agency]):
        names: dict[str, str] = {}
        for agency in agencies.values():
            for name in (agency.key, agency.name, *agency.aliases):
                names.setdefault(name, agency.key)
        self.names = names
        alternatives = sorted(names, key=lambda n: (-len(n), n))
        self.pattern = (
            re.compile(r"(?<![\w])(?:" + "|".join(map(re.escape, alternatives)) + r")(?![\w])")
            if alternatives
            else None
        )

    def find(self, text: str) -> tuple[tuple[str, ...], tuple[tuple[int, int], ...]]:
        """The keys named in `text` in order of first mention, and the matched spans."""
        if self.pattern is None:
            return (), ()
        found: list[tuple[int, str]] = []
        spans: list[tuple[int, int]] = []
        for m in self.pattern.finditer(text):
            name = m.group()
            found.append((m.start(), self.names[name]))
            spans.append(m.span())
            # coordination: 'Sichuan and Chongqing Communications Administration'
            before = _BEFORE_AND.search(text, 0, m.start())
            if before and " " in name:
                other = before[1] + name[name.index(" ") :]
                if other in self.names:
                    found.append((before.start(1), self.names[other]))
                    spans.append((before.start(1), before.end(1)))
        keys: list[str] = []
        for _pos, key in sorted(found):
            if key not in keys:
                keys.append(key)
        return tuple(keys), tuple(spans)

    def unknown(self, text: str, spans: Iterable[tuple[int, int]]) -> tuple[Unknown, ...]:
        """Names of bodies in `text` outside the matched `spans`, in order, once each."""
        blanked = list(text)
        for start, end in spans:
            blanked[start:end] = "\0" * (end - start)
        out: list[Unknown] = []
        masked = "".join(blanked)
        for m in _PHRASE.finditer(masked):
            words = m.group().split()
            if words[0] in ("The", "A", "An"):
                words = words[1:]
            bare = [re.sub(r"(?:['’]s|[.,])$", "", w) for w in words]
            if len(words) < 2 or not BODY_WORDS.intersection(bare):
                continue
            if DOCUMENT_WORDS.intersection(bare):
                continue
            abbreviation = _ABBREVIATION.match(masked, m.end())
            unknown = Unknown(" ".join(words), abbreviation[1] if abbreviation else "")
            if unknown.name not in {u.name for u in out}:
                out.append(unknown)
        return tuple(out)
