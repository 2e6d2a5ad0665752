"""JSON Schemas for editors' tools: item front matter, site.yaml, agencies.yaml and
edition.yaml. `digest check` stays the authority; the schemas catch most mistakes while
typing. tests/test_schemas.py keeps them in agreement with the checker.

And one for readers' tools: `catalog`, the shape of /catalog.json (Draft 2020-12;
tests/test_catalog.py validates the site's catalog against it)."""

from __future__ import annotations

from pathlib import Path

SCHEMAS = {
    "entry": "entry.schema.json",
    "site": "site.schema.json",
    "agencies": "agencies.schema.json",
    "edition": "edition.schema.json",
    "catalog": "catalog.schema.json",
}


def schema_path(kind: str) -> Path:
    """The file of one of SCHEMAS, shipped inside the package."""
    return Path(__file__).parent / SCHEMAS[kind]
