"""The JSON Schemas agree with `digest check` on every fixture case: what the checker
accepts, the schema accepts; what the schema flags, the checker flags; and what the
checker flags that a schema can express (types, required and unknown fields, choices,
patterns), the schema flags too."""

from __future__ import annotations

import json
import re
from pathlib import Path

import jsonschema
import pytest
from test_check import CASES, Case, make_entries

from digest.build import check
from digest.load import split_front_matter
from digest.schemas import SCHEMAS, schema_path
from digest.yamlfile import parse

EXPRESSIBLE = re.compile(
    r"^(is missing|unknown field|unknown setting|expected |unknown category|unknown level|must not be empty"
    r"|'.*' may use only lowercase|must be 1 or more|must be on one line|is \d+ characters long"
    r"|only http and https|at least one|'.*' is listed twice)"
)


def validator(kind: str) -> jsonschema.Draft7Validator:
    return jsonschema.Draft7Validator(json.loads(schema_path(kind).read_text()))


VALIDATORS = {kind: validator(kind) for kind in SCHEMAS}


def schema_fields(kind: str, value: object) -> set[str]:
    """The fields a schema flags, named as the checker names them."""
    depth = 2 if kind == "agencies" else 1  # agency fields are named KEY.field
    fields = set()
    for error in VALIDATORS[kind].iter_errors(value):
        path = list(error.absolute_path)
        if error.validator == "required":
            missing = re.match(r"'(.*)' is a required property", error.message)[1]
            path = [*path, missing]
        elif error.validator == "additionalProperties":
            extra = re.findall(r"'([^']*)'", error.message.split("(")[1])
            fields |= {".".join(map(str, [*path, e][:depth])) for e in extra}
            continue
        elif not path and isinstance(error.instance, str):
            path = [error.instance]  # a key refused by propertyNames
        keep = [str(p) for p in path if not isinstance(p, int)]
        fields.add(".".join(keep[:depth]))
    return fields


def documents(entries: Path, case: Case):
    """(kind, path, parsed value) for each YAML document of a case that parses."""
    for rel, _data in case.files:
        path = entries / rel
        if not path.exists():
            continue
        text = path.read_bytes().decode("utf-8-sig", "replace").replace("\r\n", "\n")
        if rel.endswith(".md") and re.fullmatch(r"\d{4}-(0[1-9]|1[0-2])/[^/]*", rel):
            yaml_text, _body, _line, problems = split_front_matter(rel, text)
            kind, first = "entry", 2
        elif rel in ("site.yaml", "agencies.yaml"):
            yaml_text, problems, kind, first = text, [], rel.removesuffix(".yaml"), 1
        elif rel.endswith("/edition.yaml"):
            yaml_text, problems, kind, first = text, [], "edition", 1
        else:
            continue
        if yaml_text is None or problems:
            continue
        node, errors = parse(yaml_text, first)
        if node is None or errors or node.kind != "mapping":
            continue
        yield kind, rel, node.plain()


@pytest.mark.parametrize("case", CASES, ids=[f"{c.source}:{c.name}" for c in CASES])
def test_schema_agrees_with_checker(case: Case, tmp_path: Path) -> None:
    entries = make_entries(tmp_path, case.files)
    _site, problems = check(entries)
    for kind, rel, value in documents(entries, case):
        checker = {p.field for p in problems if p.path == rel}
        expressible = {p.field for p in problems if p.path == rel and EXPRESSIBLE.match(p.message)}
        flagged = schema_fields(kind, value)
        if not checker:
            assert flagged == set(), f"{rel}: the schema refuses what the checker accepts"
        assert flagged <= checker, (
            f"{rel}: the schema flags {flagged - checker} and the checker does not"
        )
        assert expressible <= flagged, f"{rel}: the schema misses {expressible - flagged}"


def test_shipped_entries_validate() -> None:
    root = Path(__file__).resolve().parents[1] / "entries"
    for path in sorted(root.glob("*/*.md")):
        yaml_text, *_ = split_front_matter(path.name, path.read_text())
        node, _ = parse(yaml_text, 2)
        assert schema_fields("entry", node.plain()) == set(), path
    for kind in ("site", "agencies"):
        node, _ = parse((root / f"{kind}.yaml").read_text())
        assert schema_fields(kind, node.plain()) == set(), kind


def test_schema_catches_a_wrong_category() -> None:
    # Guard: the agreement test is only as good as the schema's ability to refuse.
    assert schema_fields(
        "entry",
        {
            "title": "T",
            "date": "2023-03-01",
            "category": "x",
            "agencies": ["CAC"],
            "source": "https://a.example/",
        },
    ) == {"category"}


def test_digest_schema_prints_each_schema() -> None:
    import subprocess
    import sys

    for kind in SCHEMAS:
        result = subprocess.run(
            [sys.executable, "-m", "digest", "schema", kind], capture_output=True, text=True
        )
        assert result.returncode == 0
        assert json.loads(result.stdout) == json.loads(schema_path(kind).read_text())
