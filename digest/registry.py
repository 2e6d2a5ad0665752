"""agencies.yaml -> the agency registry: KEY -> `Agency`, each with a URL-safe slug."""

from __future__ import annotations

import re
from dataclasses import dataclass

from . import fields as f
from .load import RawDocument
from .node import Node
from .problems import Problem

LEVELS = ("national", "provincial", "municipal", "judicial", "other")
LEVEL_TITLES = {
    "national": "National authorities",
    "provincial": "Provincial authorities",
    "municipal": "Municipal authorities",
    "judicial": "Courts and procuratorates",
    "other": "Other bodies",
}
KEY = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 .&'-]{0,59}$")


@dataclass(frozen=True, slots=True)
class Agency:
    """A body that items name: a ministry, a regulator, a court, an association."""

    key: str
    slug: str
    name: str
    level: str
    name_zh: str | None = None
    region: str | None = None
    url: str | None = None
    aliases: tuple[str, ...] = ()


def agency_slug(key: str) -> str:
    """The URL segment for an agency key: 'Shanghai CA' -> 'shanghai-ca'."""
    return re.sub(r"[^a-z0-9]+", "-", key.lower()).strip("-")


def _aliases(node: Node) -> tuple[str, ...]:
    return tuple(value for value, _line in f.list_of(f.line_text)(node))


SPECS: dict[str, f.Spec] = {
    "name": f.Spec(f.line_text, required=True),
    "name_zh": f.Spec(f.line_text),
    "level": f.Spec(f.choice(LEVELS, "level"), required=True),
    "region": f.Spec(f.line_text),
    "url": f.Spec(f.http_url),
    "aliases": f.Spec(_aliases),
}


def read_registry(doc: RawDocument | None) -> tuple[dict[str, Agency], list[Problem]]:
    """Check agencies.yaml: {key: Agency} for the valid agencies, and the problems."""
    if doc is None:
        return {}, []
    if doc.root is None:
        return {}, [Problem(doc.path, 1, "yaml", "is empty; it lists the agencies that items name")]
    agencies: dict[str, Agency] = {}
    problems: list[Problem] = []
    slugs: dict[str, str] = {}
    for key, node in doc.root.value:
        if not KEY.match(key):
            problems.append(
                Problem(
                    doc.path,
                    node.line,
                    key,
                    "an agency key may use letters, digits, spaces and . & ' - (at most 60)",
                )
            )
            continue
        if node.kind != "mapping":
            problems.append(
                Problem(
                    doc.path,
                    node.line,
                    key,
                    f"expected a mapping with name and level, got {f.kind(node)}",
                )
            )
            continue
        values, found = f.read_mapping(doc.path, node, SPECS, field_prefix=f"{key}.")
        problems += found
        slug = agency_slug(key)
        if slug in slugs:
            problems.append(
                Problem(
                    doc.path,
                    node.line,
                    key,
                    f"its page would be /agencies/{slug}/, as {slugs[slug]!r}'s is",
                )
            )
            continue
        slugs[slug] = key
        if "name" in values and "level" in values:
            plain = {name: value for name, (value, _line) in values.items()}
            agencies[key] = Agency(key=key, slug=slug, **plain)
    return agencies, problems
