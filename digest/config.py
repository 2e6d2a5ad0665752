"""site.yaml -> a frozen `Config`: a declarative schema (as MkDocs' config options), every
key documented below, unknown keys reported with a suggestion."""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass, replace
from urllib.parse import urlsplit

from . import fields as f
from .headings import heading_key
from .load import RawDocument
from .node import Node
from .problems import Problem

CATEGORIES = ("regulation", "enforcement", "cases", "courts")
DEFAULT_SECTION_TITLES = {
    "regulation": "Regulation",
    "enforcement": "Enforcement",
    "cases": "Cases",
    "courts": "Courts",
}
LANGUAGE = re.compile(r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$")
AUTHORITY = re.compile(r"^([a-z0-9-]+\.)+[a-z]{2,}$|^[^@\s]+@([a-z0-9-]+\.)+[a-z]{2,}$")


@dataclass(frozen=True, slots=True)
class Config:
    """The site's settings (site.yaml)."""

    title: str
    base_url: str  # absolute, ends with '/'
    description: str = ""
    language: str = "en"
    timezone: str = "UTC"
    author: str = ""
    id_authority: str = ""  # the tag: URI authority of feed ids (RFC 4151)
    id_date: datetime.date = datetime.date(2000, 1, 1)
    sections: tuple[tuple[str, str], ...] = tuple(DEFAULT_SECTION_TITLES.items())
    disclaimer: str = ""
    feed_size: int = 50
    page_size: int = 50
    # heading text -> category, for `digest import` (merged over headings.DEFAULT_HEADINGS)
    headings: tuple[tuple[str, str], ...] = ()

    @property
    def base_path(self) -> str:
        """The path part of base_url: '/' or '/digest/'."""
        return urlsplit(self.base_url).path or "/"

    def section_title(self, category: str) -> str:
        """The title shown for a category's section."""
        return dict(self.sections)[category]

    def with_base_url(self, base_url: str) -> Config:
        """This config with another base_url (`digest build --base-url`)."""
        return replace(self, base_url=normalise_base_url(base_url))


def normalise_base_url(raw: str) -> str:
    """base_url with exactly one trailing slash."""
    return raw.rstrip("/") + "/"


def _base_url(node: Node) -> str:
    raw = f.http_url(node)
    parts = urlsplit(raw)
    if parts.query or parts.fragment:
        raise f.Invalid(f"{raw!r} must not have a query or fragment")
    return normalise_base_url(raw)


def _language(node: Node) -> str:
    raw = f.text(node, max_len=35)
    if not LANGUAGE.match(raw):
        raise f.Invalid(f"expected a language tag such as 'en' or 'zh-Hans', got {raw!r}")
    return raw


def _timezone(node: Node) -> str:
    raw = f.text(node, max_len=60)
    # Imported here: dateutil's tz module costs every start-up some 20 ms, and most
    # sites name no time zone.
    from dateutil import tz

    if tz.gettz(raw) is None:
        raise f.Invalid(
            f"unknown time zone {raw!r}; expected a name such as 'Asia/Shanghai' or 'UTC'"
        )
    return raw


def _authority(node: Node) -> str:
    raw = f.text(node, max_len=200)
    if not AUTHORITY.match(raw):
        raise f.Invalid(f"expected a domain name or an email address you own, got {raw!r}")
    return raw


def _sections(node: Node) -> tuple[tuple[str, str], ...]:
    if node.kind != "mapping":
        raise f.Invalid(f"expected a mapping of category: title, got {f.kind(node)}")
    titles = dict(DEFAULT_SECTION_TITLES)
    for key, value in node.value:
        if key not in CATEGORIES:
            raise f.ItemInvalid(
                f"unknown category {key!r}{f.did_you_mean(key, CATEGORIES)}; "
                f"expected one of {', '.join(CATEGORIES)}",
                value.line,
            )
        try:
            titles[key] = f.line_text(value)
        except f.Invalid as err:
            raise f.ItemInvalid(f"{key}: {err}", value.line) from None
    return tuple((c, titles[c]) for c in CATEGORIES)


def _headings(node: Node) -> tuple[tuple[str, str], ...]:
    if node.kind != "mapping":
        raise f.Invalid(f"expected a mapping of heading text: category, got {f.kind(node)}")
    pairs = []
    for text, value in node.value:
        if not heading_key(text):
            raise f.ItemInvalid(f"{text!r} has no words to compare", value.line)
        try:
            category = f.choice(CATEGORIES, "category")(value)
        except f.Invalid as err:
            raise f.ItemInvalid(f"{text}: {err}", value.line) from None
        pairs.append((text, category))
    return tuple(pairs)


def _size(node: Node) -> int:
    value = f.positive_int(node)
    if value > 10000:
        raise f.Invalid(f"must be at most 10000, got {value}")
    return value


SPECS: dict[str, f.Spec] = {
    "title": f.Spec(f.line_text, required=True),
    "base_url": f.Spec(_base_url, required=True),
    "description": f.Spec(f.long_text),
    "language": f.Spec(_language),
    "timezone": f.Spec(_timezone),
    "author": f.Spec(f.line_text),
    "id_authority": f.Spec(_authority),
    "id_date": f.Spec(f.day),
    "sections": f.Spec(_sections),
    "disclaimer": f.Spec(f.markdown_text),
    "feed_size": f.Spec(_size),
    "page_size": f.Spec(_size),
    "headings": f.Spec(_headings),
}


def read_config(doc: RawDocument | None) -> tuple[Config | None, list[Problem]]:
    """Check site.yaml and build the Config; None when a required key is unusable."""
    if doc is None:
        return None, []
    if doc.root is None:
        return None, [
            Problem(doc.path, 1, "yaml", "is empty; it needs at least title and base_url")
        ]
    values, problems = f.read_mapping(doc.path, doc.root, SPECS, what="setting")
    if "title" not in values or "base_url" not in values:
        return None, problems
    plain = {key: value for key, (value, _line) in values.items()}
    plain.setdefault("author", plain["title"])
    # The default authority is the site's host: fine until the site moves, which is why
    # the README asks editors to fix id_authority before the first publication.
    plain.setdefault("id_authority", urlsplit(plain["base_url"]).hostname or "localhost")
    return Config(**plain), problems
