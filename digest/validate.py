"""The second stage: raw front matter -> typed `Entry`, one converter per field, every
problem collected. Cross-file rules (duplicate ids, orders) live in model.py."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from . import fields as f
from .config import CATEGORIES
from .load import RawDocument, RawEntry
from .markup import describe, render
from .node import Node
from .problems import Problem, did_you_mean
from .registry import Agency

# What `digest new` writes as a body; an item must not be published with it.
BODY_PLACEHOLDER = "Replace this paragraph with the item's text."


@dataclass(frozen=True, slots=True)
class Entry:
    """One news item, checked. `lines` maps each front-matter field to its file line."""

    id: str
    path: str
    edition: str  # YYYY-MM
    title: str
    date: datetime.date
    date_precision: str  # "day" or "month"
    category: str
    agencies: tuple[str, ...]  # registry keys
    sources: tuple[str, ...]
    body: str  # Markdown
    html: str  # the body rendered
    tags: tuple[str, ...] = ()
    title_zh: str | None = None
    effective: datetime.date | None = None
    updated: datetime.date | None = None
    draft: bool = False
    order: int | None = None
    lines: tuple[tuple[str, int], ...] = ()
    description: str = ""  # the body's plain text, cut to a page description

    def line_of(self, name: str) -> int:
        """The file line of a front-matter field (1, the '---', when it was not given)."""
        return dict(self.lines).get(name, 1)


@dataclass(frozen=True, slots=True)
class EditionSettings:
    """What an edition.yaml may set."""

    key: str
    path: str
    title: str | None = None
    published: datetime.date | None = None
    intro: str | None = None


def _unique(what: str, convert, *, at_least_one: bool = True):
    def convert_unique(node: Node) -> tuple[object, ...]:
        items = f.list_items(node)
        values = f.convert_items(convert, items)
        if not values and at_least_one:
            raise f.Invalid(f"at least one {what} is required")
        if len(set(values)) < len(values):  # only then look for the first one repeated
            seen: set[object] = set()
            for value, item in zip(values, items, strict=True):
                if value in seen:
                    raise f.ItemInvalid(f"{value!r} is listed twice", item.line)
                seen.add(value)
        return tuple(values)

    return convert_unique


def _agency_key(node: Node) -> str:
    return f.text(node, max_len=60)


ENTRY_SPECS: dict[str, f.Spec] = {
    "title": f.Spec(f.line_text, required=True),
    "title_zh": f.Spec(f.line_text),
    "date": f.Spec(f.day_or_month, required=True),
    "category": f.Spec(f.choice(CATEGORIES, "category"), required=True),
    "agencies": f.Spec(_unique("agency", _agency_key), required=True),
    "source": f.Spec(_unique("source", f.http_url), required=True),
    "tags": f.Spec(_unique("tag", f.slug, at_least_one=False)),
    "effective": f.Spec(f.day),
    "updated": f.Spec(f.day),
    "id": f.Spec(f.slug),
    "draft": f.Spec(f.boolean),
    "order": f.Spec(f.positive_int),
}

_REQUIRED = tuple(key for key, spec in ENTRY_SPECS.items() if spec.required)

EDITION_SPECS: dict[str, f.Spec] = {
    "title": f.Spec(f.line_text),
    "published": f.Spec(f.day),
    "intro": f.Spec(f.markdown_text),
}


def validate_entry(
    raw: RawEntry, agencies: dict[str, Agency] | None
) -> tuple[Entry | None, list[Problem]]:
    """Check one item. `agencies` is the registry (None when it could not be read, in
    which case agency keys are not checked, to avoid one problem per item)."""
    path = raw.path
    values, problems = f.read_mapping(path, raw.fields, ENTRY_SPECS)
    lines = {key: line for key, (_value, line) in values.items()}
    plain = {key: value for key, (value, _line) in values.items()}

    stem = path.rsplit("/", 1)[-1].removesuffix(".md")
    if "id" not in plain:
        try:
            f.check_slug(stem)
            plain["id"] = stem
        except f.Invalid as err:
            problems.append(Problem(path, 1, "id", f"file name: {err}; rename the file or set id:"))

    if agencies is not None and "agencies" in plain:
        for value in plain["agencies"]:
            if value not in agencies:
                line = _item_line(raw.fields, "agencies", value)
                problems.append(
                    Problem(
                        path,
                        line,
                        "agencies",
                        f"unknown agency {value!r}{did_you_mean(value, agencies)}",
                    )
                )

    if "date" in plain:
        date, precision = plain["date"]
        year, month = int(raw.edition[:4]), int(raw.edition[5:])
        if (date.year, date.month) > (year, month):
            problems.append(
                Problem(
                    path,
                    lines["date"],
                    "date",
                    f"{date.isoformat()[: 7 if precision == 'month' else 10]} is later than its edition {raw.edition}",
                )
            )
        if "updated" in plain and plain["updated"] < date:
            problems.append(
                Problem(path, lines["updated"], "updated", "is earlier than the item's date")
            )

    rendered = render(raw.body)
    body_problems = [
        Problem(path, raw.body_line + issue.line, "body", issue.message)
        for issue in rendered.issues
    ]
    if not raw.body.strip():
        body_problems.append(
            Problem(
                path,
                raw.body_line,
                "body",
                "is empty; write the item's text below the front matter",
            )
        )
    elif BODY_PLACEHOLDER in raw.body:
        line = raw.body_line + raw.body[: raw.body.index(BODY_PLACEHOLDER)].count("\n")
        body_problems.append(
            Problem(path, line, "body", "still has the placeholder text of `digest new`")
        )
    problems += body_problems

    if problems or any(key not in plain for key in _REQUIRED):
        return None, problems
    date, precision = plain.pop("date")
    sources = plain.pop("source")
    entry = Entry(
        path=path,
        edition=raw.edition,
        date=date,
        date_precision=precision,
        sources=sources,
        body=raw.body,
        html=rendered.html,
        lines=tuple(sorted(lines.items())),
        description=describe(rendered.html),
        **plain,
    )
    return entry, []


def _item_line(node: Node, field: str, value: str) -> int:
    for key, child in node.value:
        if key == field:
            if child.kind == "list":
                for item in child.value:
                    if item.value == value:
                        return item.line
            return child.line
    return node.line


def validate_edition(doc: RawDocument) -> tuple[EditionSettings | None, list[Problem]]:
    """Check an edition.yaml."""
    if doc.root is None:
        return None, []
    values, problems = f.read_mapping(doc.path, doc.root, EDITION_SPECS, what="setting")
    key = doc.path.split("/", 1)[0]
    plain = {name: value for name, (value, _line) in values.items()}
    if "published" in plain and plain["published"].strftime("%Y-%m") != key:
        problems.append(
            Problem(
                doc.path,
                values["published"][1],
                "published",
                f"must fall in the edition's month {key}",
            )
        )
    if problems:
        return None, problems
    return EditionSettings(key=key, path=doc.path, **plain), []
