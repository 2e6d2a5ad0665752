"""Test helpers over a built site: the internal link check, shared by the link tests."""

from __future__ import annotations

from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urljoin, urlsplit


class _Page(HTMLParser):
    """Collects a page's ids and the URLs it points to."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.links: list[tuple[str, str]] = []  # (where, url)
        self.ids: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if values.get("id"):
            self.ids.add(values["id"] or "")
        for name in ("href", "src", "action"):
            if values.get(name) is not None:
                self.links.append((f"{tag} {name}", values[name] or ""))
        if tag == "meta" and values.get("property") == "og:url":
            self.links.append(("meta og:url", values.get("content") or ""))


def parse(path: Path) -> _Page:
    """The links and ids of one HTML file."""
    page = _Page()
    page.feed(path.read_text(encoding="utf-8"))
    page.close()
    return page


def broken_links(out: Path, base_url: str) -> list[str]:
    """Every internal href/src (and canonical/og:url) of every page in `out` that does
    not resolve to a file of the output (or to an id in it, for #fragments), or that
    leaves the site's base path: one line per defect, 'page: url: why'."""
    base = urlsplit(base_url)
    pages = {p.relative_to(out).as_posix(): parse(p) for p in sorted(out.rglob("*.html"))}
    defects = []
    for rel, page in pages.items():
        page_url = base_url + rel.removesuffix("index.html")
        for what, url in page.links:
            parts = urlsplit(urljoin(page_url, url))
            if parts.scheme not in ("http", "https") or parts.netloc != base.netloc:
                continue  # mailto:, or another site
            if not parts.path.startswith(base.path):
                defects.append(f"{rel}: {url}: escapes the base path {base.path} ({what})")
                continue
            target = unquote(parts.path[len(base.path) :])
            if target == "" or target.endswith("/"):
                target += "index.html"
            if not (out / target).is_file():
                defects.append(f"{rel}: {url}: no file {target} ({what})")
                continue
            if parts.fragment and target in pages and parts.fragment not in pages[target].ids:
                defects.append(f"{rel}: {url}: no id {parts.fragment!r} in {target} ({what})")
    return defects
