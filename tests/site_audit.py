"""The whole-output safety audit the hostile corpus and the property tests lean on:
every page, every feed and every JSON-LD block of a built site, read as a browser and
a feed reader would read them."""

from __future__ import annotations

import json
from pathlib import Path
from xml.etree import ElementTree

import feedparser
from html_audit import page_policy, read_text, unsafe_markup

ATOM = "{http://www.w3.org/2005/Atom}"
CONTENT = "{http://purl.org/rss/1.0/modules/content/}encoded"


def feed_html(name: str, data: bytes) -> list[tuple[str, str]]:
    """The HTML fragments a feed carries for readers to show: (where, html). Atom
    content/summary of type html, RSS description and content:encoded, JSON Feed
    content_html. Raises ValueError when the feed does not parse."""
    if name.endswith(".json"):
        doc = json.loads(data)
        return [
            (f"{name} item {i} content_html", item["content_html"])
            for i, item in enumerate(doc["items"])
            if "content_html" in item
        ]
    try:
        root = ElementTree.fromstring(data)
    except ElementTree.ParseError as err:
        raise ValueError(f"{name}: not well-formed XML: {err}") from None
    found = []
    if root.tag == f"{ATOM}feed":
        for el in root.iter():
            html_text = el.get("type") in ("html", "xhtml")
            if html_text and el.tag in (f"{ATOM}content", f"{ATOM}summary", f"{ATOM}title"):
                found.append((f"{name} {el.tag[len(ATOM) :]}", el.text or ""))
    elif root.tag == "rss":
        # an item's description and content:encoded are HTML to RSS readers
        for item in root.iter("item"):
            for el in item:
                if el.tag in ("description", CONTENT):
                    found.append((f"{name} {el.tag}", el.text or ""))
    return found


def feed_items(name: str, data: bytes) -> list[tuple[str, str]]:
    """(title, content html) of each item of a site-wide feed."""
    if name.endswith(".json"):
        return [(i["title"], i["content_html"]) for i in json.loads(data)["items"]]
    parsed = feedparser.parse(data, sanitize_html=False, resolve_relative_uris=False)
    out = []
    for e in parsed.entries:
        content = e.get("content", [{}])[0].get("value") if "content" in e else None
        out.append((e.title, content if content is not None else e.get("summary", "")))
    return out


def is_feed(rel: str) -> bool:
    return rel.endswith(("feed.xml", "rss.xml", "feed.json"))


def audit_site(out: Path, host: str, base_path: str = "/") -> list[str]:
    """Every safety defect in the built site at `out`, one line each: script or unsafe
    URL in a page or in a feed's HTML, a page without the browser policy, a JSON-LD
    block or feed that does not parse.

    Pages may load the site's own scripts (files the build put under static/) and
    have the search box (a GET form to the site's /search/ page); feeds may not."""
    own_scripts = frozenset(
        f"{base_path}{p.relative_to(out).as_posix()}" for p in sorted(out.glob("static/**/*.js"))
    )
    own_forms = frozenset(
        {f"{base_path}search/"} if (out / "search" / "index.html").is_file() else ()
    )
    defects = []
    for path in sorted(out.rglob("*")):
        if not path.is_file():
            continue
        rel = path.relative_to(out).as_posix()
        data = path.read_bytes()
        if rel.endswith(".html"):
            html = data.decode("utf-8")
            defects += [f"{rel}: {d}" for d in unsafe_markup(html, own_scripts, own_forms)]
            defects += [f"{rel}: {d}" for d in page_policy(html, host)]
            for block in read_text(html)[1]:
                try:
                    json.loads(block)
                except ValueError as err:
                    defects.append(f"{rel}: JSON-LD does not parse: {err}")
        elif is_feed(rel):
            try:
                fragments = feed_html(rel, data)
            except ValueError as err:
                defects.append(str(err))
                continue
            for where, html in fragments:
                defects += [f"{where}: {d}" for d in unsafe_markup(html)]
            if rel.endswith(".xml") and feedparser.parse(data).bozo:
                defects.append(f"{rel}: feedparser reports a malformed feed")
        elif rel.endswith(".xml"):
            try:
                ElementTree.fromstring(data)
            except ElementTree.ParseError as err:
                defects.append(f"{rel}: not well-formed XML: {err}")
    return defects
