"""Per-field converters shared by every file kind: a YAML Node in, a checked plain value
out, or `Invalid` with the message a person needs. One converter per kind of value, as
in Pelican's METADATA_PROCESSORS table, but typed and strict."""

from __future__ import annotations

import datetime
import re
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from urllib.parse import urlsplit

from .markup import render
from .node import Node
from .problems import Problem, did_you_mean

SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
DAY = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")
MONTH = re.compile(r"^(\d{4})-(\d{2})$")
# The usual source URL, which check_http_url accepts without urlsplit (ten times the
# cost): a lowercase http(s) scheme, a host name of letters, digits, dots and hyphens
# (no user, port or brackets), then printable ASCII without a space. Every such string
# passes the full check, and the full check still judges everything else.
_PLAIN_HTTP_URL = re.compile(r"https?://[A-Za-z0-9][A-Za-z0-9.-]*(?:[/?#][!-~]*)?\Z")
# Category Cc but tab and newline (which `text` allows or reports itself).
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")
# Names Windows refuses as file names, whatever the extension.
WINDOWS_RESERVED = (
    {"con", "prn", "aux", "nul"} | {f"com{i}" for i in range(10)} | {f"lpt{i}" for i in range(10)}
)
_KIND_NAMES = {
    "text": "text",
    "number": "a number",
    "boolean": "true or false",
    "null": "nothing",
    "list": "a list",
    "mapping": "a mapping",
}


class Invalid(Exception):
    """A value that cannot be used; the message says why, for a person."""


@dataclass(frozen=True, slots=True)
class Spec:
    """How to read one field: its converter and whether it must be present."""

    convert: Callable[[Node], object]
    required: bool = False


def kind(node: Node) -> str:
    """How a value's type is named in messages: 'text', 'a list', ..."""
    return _KIND_NAMES[node.kind]


def text(node: Node, *, max_len: int = 500, multiline: bool = False) -> str:
    """Non-empty text without control characters."""
    if node.kind != "text" and node.kind != "number":
        raise Invalid(f"expected text, got {kind(node)}")
    value = str(node.value).strip()
    if not value:
        raise Invalid("must not be empty")
    if len(value) > max_len:
        raise Invalid(f"is {len(value)} characters long; the limit is {max_len}")
    if not multiline and "\n" in value:
        raise Invalid("must be on one line")
    # Unicode's control characters (category Cc) are exactly these ranges; one regex
    # search instead of a category lookup per character (10,000 items: 2 million calls).
    bad = _CONTROL.search(value)
    if bad:
        raise Invalid(f"contains the control character U+{ord(bad[0]):04X}")
    return value


def line_text(node: Node) -> str:
    """One line of text (titles, names)."""
    return text(node, max_len=300)


def long_text(node: Node) -> str:
    """Text that may run over several lines (descriptions, disclaimers, intros)."""
    return text(node, max_len=20000, multiline=True)


def markdown_text(node: Node) -> str:
    """Markdown over several lines (an edition's intro, the disclaimer): long text whose
    links and images are safe (an unsafe one would be dropped from the page silently)."""
    value = long_text(node)
    issues = render(value).issues
    if issues:
        raise Invalid(issues[0].message)
    return value


def boolean(node: Node) -> bool:
    """true or false."""
    if node.kind != "boolean":
        raise Invalid(f"expected true or false, got {_shown(node)}")
    return bool(node.value)


def positive_int(node: Node) -> int:
    """A whole number of 1 or more."""
    if node.kind != "number" or not isinstance(node.value, int):
        raise Invalid(f"expected a whole number, got {_shown(node)}")
    if node.value < 1:
        raise Invalid(f"must be 1 or more, got {node.value}")
    return node.value


def day(node: Node) -> datetime.date:
    """A calendar date written YYYY-MM-DD."""
    raw = _date_text(node)
    m = DAY.match(raw)
    if not m:
        raise Invalid(f"expected YYYY-MM-DD, got {raw!r}")
    return _make_date(raw, int(m[1]), int(m[2]), int(m[3]))


def day_or_month(node: Node) -> tuple[datetime.date, str]:
    """YYYY-MM-DD, or YYYY-MM when only the month is known: (date, 'day' | 'month');
    a month is dated its first day."""
    raw = _date_text(node)
    m = DAY.match(raw)
    if m:
        return _make_date(raw, int(m[1]), int(m[2]), int(m[3])), "day"
    m = MONTH.match(raw)
    if m:
        return _make_date(raw, int(m[1]), int(m[2]), 1), "month"
    raise Invalid(f"expected YYYY-MM-DD, or YYYY-MM when only the month is known, got {raw!r}")


def _date_text(node: Node) -> str:
    if node.kind == "number" and isinstance(node.value, int):
        # YAML reads 2023-04 as text but 202304 as a number: show it as written
        return str(node.value)
    if node.kind != "text":
        raise Invalid(f"expected a date YYYY-MM-DD, got {kind(node)}")
    return str(node.value).strip()


def _make_date(raw: str, year: int, month: int, dom: int) -> datetime.date:
    if not 1 <= month <= 12:
        raise Invalid(f"{raw!r} is not a calendar date (there is no month {month})")
    try:
        return datetime.date(year, month, dom)
    except ValueError:
        raise Invalid(
            f"{raw!r} is not a calendar date (day {dom} is past the month's end)"
        ) from None


def http_url(node: Node) -> str:
    """An absolute http(s) URL with a host."""
    raw = text(node, max_len=2000)
    check_http_url(raw)
    return raw


def check_http_url(raw: str) -> None:
    """Raise Invalid unless `raw` is an absolute http(s) URL with a host and no spaces."""
    if not _PLAIN_HTTP_URL.match(raw):
        _check_any_http_url(raw)


def _check_any_http_url(raw: str) -> None:
    # Printable ASCII without a space (nearly every URL) needs no look per character.
    plain = raw.isascii() and raw.isprintable() and " " not in raw
    if not plain and any(ch.isspace() or unicodedata.category(ch) in ("Cc", "Cf") for ch in raw):
        raise Invalid(f"{raw!r} contains spaces or invisible characters")
    try:
        parts = urlsplit(raw)
        host = parts.hostname
    except ValueError:
        raise Invalid(f"{raw!r} is not a valid URL") from None
    if parts.scheme not in ("http", "https"):
        if not parts.scheme:
            raise Invalid(f"expected an absolute http(s) URL, got {raw!r}")
        raise Invalid(f"only http and https URLs are allowed, got a {parts.scheme}: URL")
    if not host:
        raise Invalid(f"{raw!r} has no host name")


def slug(node: Node) -> str:
    """An id-like word: lowercase ASCII letters, digits and single hyphens."""
    raw = text(node, max_len=80)
    check_slug(raw)
    return raw


def check_slug(raw: str) -> None:
    """Raise Invalid unless `raw` is safe as a URL path segment and a file name everywhere."""
    if not SLUG.match(raw):
        raise Invalid(
            f"{raw!r} may use only lowercase letters a-z, digits and single hyphens between them"
        )
    if raw in WINDOWS_RESERVED:
        raise Invalid(f"{raw!r} is a reserved file name on Windows")


def list_of(convert: Callable[[Node], object], *, allow_single: bool = True):
    """A converter for a list of values (or one value, read as a list of one); it returns
    a tuple of (value, line) pairs so that callers can name the line of a bad item."""

    def convert_list(node: Node) -> tuple[tuple[object, int], ...]:
        items = list_items(node, allow_single=allow_single)
        return tuple(zip(convert_items(convert, items), [item.line for item in items], strict=True))

    return convert_list


def list_items(node: Node, *, allow_single: bool = True) -> tuple[Node, ...]:
    """The item Nodes of a list (one text or number value is read as a list of one)."""
    if node.kind == "list":
        return node.value  # type: ignore[return-value]
    if allow_single and (node.kind == "text" or node.kind == "number"):
        return (node,)
    raise Invalid(f"expected a list, got {kind(node)}")


def convert_items(convert: Callable[[Node], object], items: tuple[Node, ...]) -> list[object]:
    """Each item converted, in order; the first invalid one raises ItemInvalid at its line."""
    out = []
    for item in items:
        try:
            out.append(convert(item))
        except Invalid as err:
            raise ItemInvalid(str(err), item.line) from None
    return out


class ItemInvalid(Invalid):
    """An item of a list is invalid: carries the item's own line."""

    def __init__(self, message: str, line: int):
        super().__init__(message)
        self.line = line


def choice(options: Iterable[str], what: str):
    """A converter that accepts one of `options`, suggesting the nearest on a miss."""
    options = tuple(options)

    def convert_choice(node: Node) -> str:
        raw = text(node, max_len=100)
        if raw not in options:
            raise Invalid(
                f"unknown {what} {raw!r}{did_you_mean(raw, options)}; "
                f"expected one of {', '.join(options)}"
            )
        return raw

    return convert_choice


def read_mapping(
    path: str, node: Node, specs: dict[str, Spec], *, field_prefix: str = "", what: str = "field"
) -> tuple[dict[str, tuple[object, int]], list[Problem]]:
    """Check a mapping against `specs`: each known key converted, unknown keys and missing
    required keys reported. Returns {key: (value, line)} for the keys that were valid."""
    values: dict[str, tuple[object, int]] = {}
    problems: list[Problem] = []
    for key, value in node.value:
        name = field_prefix + key
        spec = specs.get(key)
        if spec is None:
            problems.append(
                Problem(path, value.line, name, f"unknown {what}{did_you_mean(key, specs)}")
            )
            continue
        if value.kind == "null":
            if spec.required:
                problems.append(Problem(path, value.line, name, "must not be empty"))
            continue
        try:
            values[key] = (spec.convert(value), value.line)
        except ItemInvalid as err:
            problems.append(Problem(path, err.line, name, str(err)))
        except Invalid as err:
            problems.append(Problem(path, value.line, name, str(err)))
    given = {key for key, _ in node.value}
    for key, spec in specs.items():
        if spec.required and key not in given:
            problems.append(Problem(path, node.line, field_prefix + key, "is missing"))
    return values, problems


def _shown(node: Node) -> str:
    if node.kind in ("text", "number"):
        return repr(node.value) if node.kind == "text" else str(node.value)
    return kind(node)
