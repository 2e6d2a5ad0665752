"""A strict reading of HTML for the safety tests: what a browser would execute.

`unsafe_markup(html)` lists every script element, event-handler attribute, and
link or resource URL with a scheme other than http, https or mailto, as a browser's
parser sees them (entities decoded, case folded, whitespace in schemes dropped)."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from urllib.parse import unquote

URL_ATTRIBUTES = {"href", "src", "action", "formaction", "poster", "srcset", "xlink:href", "data"}
SAFE_SCHEMES = {"http", "https", "mailto"}
_SCHEME = re.compile(r"^([a-z][a-z0-9+.-]*):")
_IGNORED = re.compile(r"[\x00-\x20\x7f]+")


class _Audit(HTMLParser):
    def __init__(self, allowed_scripts: frozenset[str]):
        super().__init__(convert_charrefs=True)
        self.allowed_scripts = allowed_scripts
        self.found: list[str] = []

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "script":
            src = attributes.get("src")
            data_only = attributes.get("type") == "application/ld+json"
            if not data_only and (src is None or src not in self.allowed_scripts):
                self.found.append(f"<script src={src!r}>")
        for name, value in attrs:
            if name.startswith("on"):
                self.found.append(f"<{tag} {name}>")
            if name in URL_ATTRIBUTES and value is not None:
                m = _SCHEME.match(_IGNORED.sub("", unquote(value)).lower())
                if m and m[1] not in SAFE_SCHEMES:
                    self.found.append(f"<{tag} {name}={value!r}>")
        if tag in ("iframe", "object", "embed", "base", "form"):
            self.found.append(f"<{tag}>")

    handle_startendtag = handle_starttag


def unsafe_markup(html: str, allowed_scripts: frozenset[str] = frozenset()) -> list[str]:
    """Everything in `html` that could run script or leave for an unsafe URL."""
    audit = _Audit(allowed_scripts)
    audit.feed(html)
    audit.close()
    return audit.found
