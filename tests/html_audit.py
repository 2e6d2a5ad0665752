"""A strict reading of HTML for the safety tests: what a browser would execute.

`unsafe_markup(html)` lists every script element, event-handler attribute, form, and
link or resource URL with a scheme other than http, https or mailto, as a browser's
parser sees them (entities decoded, case folded, whitespace in schemes dropped). A
page may name the site's own scripts and search form as allowed; nothing else passes."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from urllib.parse import unquote, urlsplit

URL_ATTRIBUTES = {"href", "src", "action", "formaction", "poster", "srcset", "xlink:href", "data"}
SAFE_SCHEMES = {"http", "https", "mailto"}
_SCHEME = re.compile(r"^([a-z][a-z0-9+.-]*):")
_IGNORED = re.compile(r"[\x00-\x20\x7f]+")


class _Audit(HTMLParser):
    def __init__(self, allowed_scripts: frozenset[str], allowed_forms: frozenset[str]):
        super().__init__(convert_charrefs=True)
        self.allowed_scripts = allowed_scripts
        self.allowed_forms = allowed_forms
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
        if tag in ("iframe", "object", "embed", "base"):
            self.found.append(f"<{tag}>")
        if tag == "form":
            # Only a plain GET to one of the site's own pages (the search box): it
            # sends nothing but the query, and only to the site.
            method = (attributes.get("method") or "get").lower()
            if method != "get" or attributes.get("action") not in self.allowed_forms:
                self.found.append(f"<form action={attributes.get('action')!r} method={method!r}>")

    handle_startendtag = handle_starttag


def unsafe_markup(
    html: str,
    allowed_scripts: frozenset[str] = frozenset(),
    allowed_forms: frozenset[str] = frozenset(),
) -> list[str]:
    """Everything in `html` that could run script, send a form or leave for an unsafe
    URL; but scripts whose src is in `allowed_scripts` and GET forms whose action is in
    `allowed_forms`."""
    audit = _Audit(allowed_scripts, allowed_forms)
    audit.feed(html)
    audit.close()
    return audit.found


# --- Page policy (issue 8.5) -------------------------------------------------------------

SAFE_REFERRER_POLICIES = {
    "no-referrer",
    "same-origin",
    "origin",
    "strict-origin",
    "strict-origin-when-cross-origin",
}


def csp_directives(policy: str) -> dict[str, list[str]]:
    """A Content-Security-Policy as {directive: [source, ...]}."""
    directives: dict[str, list[str]] = {}
    for part in policy.split(";"):
        words = part.split()
        if words:
            directives.setdefault(words[0].lower(), words[1:])
    return directives


def csp_problems(policy: str) -> list[str]:
    """What lets script in: scripts must come from the site itself only."""
    d = csp_directives(policy)
    found = []
    scripts = d.get("script-src", d.get("default-src"))
    if scripts is None:
        found.append("CSP: no script-src or default-src")
    elif scripts != ["'self'"]:
        found.append(f"CSP: script-src is {' '.join(scripts)!r}, not 'self' alone")
    if d.get("object-src") != ["'none'"]:
        found.append("CSP: object-src is not 'none'")
    if d.get("base-uri") not in (["'none'"], ["'self'"]):
        found.append("CSP: base-uri is not 'none' or 'self'")
    for name, sources in d.items():
        for bad in ("'unsafe-inline'", "'unsafe-eval'", "'unsafe-hashes'"):
            if bad in sources and name in ("default-src", "script-src", "script-src-elem"):
                found.append(f"CSP: {name} allows {bad}")
    return found


class _Policy(HTMLParser):
    def __init__(self, host: str):
        super().__init__(convert_charrefs=True)
        self.host = host
        self.in_head = False
        self.csp: list[str] = []
        self.referrer: list[str] = []
        self.found: list[str] = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "head":
            self.in_head = True
        if tag == "meta" and self.in_head:
            if (a.get("http-equiv") or "").lower() == "content-security-policy":
                self.csp.append(a.get("content") or "")
            if (a.get("name") or "").lower() == "referrer":
                self.referrer.append(a.get("content") or "")
        if tag == "style":
            self.found.append("<style> element")
        if "style" in a:
            self.found.append(f"<{tag} style>")
        if tag == "script" and "src" not in a and a.get("type") != "application/ld+json":
            self.found.append("inline <script>")
        if tag in ("a", "area") and a.get("href"):
            href = _IGNORED.sub("", a["href"])
            parts = urlsplit(href if not href.startswith("//") else "https:" + href)
            external = parts.scheme in ("http", "https") and (parts.hostname or "") != self.host
            rel = (a.get("rel") or "").lower().split()
            if external and "noopener" not in rel:
                self.found.append(f"<{tag} href={a['href']!r}> without rel=noopener")

    def handle_endtag(self, tag):
        if tag == "head":
            self.in_head = False


def page_policy(html: str, host: str) -> list[str]:
    """What a page lacks of the site's browser policy: one Content-Security-Policy meta
    (scripts from the site only), one safe referrer policy, no inline script other than
    JSON-LD, no style attributes or elements, and rel=noopener on every link to another
    host than `host`. (Event handlers and unsafe URLs are unsafe_markup's.)"""
    p = _Policy(host)
    p.feed(html)
    p.close()
    found = list(p.found)
    if len(p.csp) != 1:
        found.append(f"{len(p.csp)} Content-Security-Policy metas in <head>, not 1")
    else:
        found += csp_problems(p.csp[0])
    if len(p.referrer) != 1:
        found.append(f"{len(p.referrer)} referrer metas in <head>, not 1")
    elif p.referrer[0] not in SAFE_REFERRER_POLICIES:
        found.append(f"referrer policy {p.referrer[0]!r} leaks full URLs")
    return found


# --- Text and JSON-LD as a browser reads them --------------------------------------------


class _Text(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.json_ld: list[str] = []
        self.in_json = False
        self.stack: list[str] = []
        self.marked: list[str] = []  # text inside elements named in `watch`
        self.watch: str | None = None

    def handle_starttag(self, tag, attrs):
        if tag == "script":
            self.in_json = dict(attrs).get("type") == "application/ld+json"
            if self.in_json:
                self.json_ld.append("")
        if tag == self.watch:
            self.stack.append(tag)

    def handle_endtag(self, tag):
        if tag == "script":
            self.in_json = False
        if tag == self.watch and self.stack:
            self.stack.pop()

    def handle_data(self, data):
        if self.in_json:
            self.json_ld[-1] += data
            return
        self.parts.append(data)
        if self.stack:
            self.marked.append(data)


def read_text(html: str, watch: str | None = None) -> tuple[str, list[str], list[str]]:
    """(the text a reader sees, the JSON-LD blocks' source, the text inside `watch`
    elements such as "b")."""
    p = _Text()
    p.watch = watch
    p.feed(html)
    p.close()
    return "".join(p.parts), p.json_ld, p.marked
