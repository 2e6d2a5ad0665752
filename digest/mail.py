"""An edition as an email: one multipart/alternative message (an .eml file) holding the
plain-text edition and an HTML one that mail clients render well.

Why one .eml and not FILE.html + FILE.txt: it is the format every mail client opens
and every mail tool sends (`sendmail -t < april.eml`), and it carries both parts, so
the plain-text alternative can never be lost or go stale beside the HTML.

The HTML is self-contained: a table layout, every style inline (clients drop <style>
and never load stylesheets), no scripts, no images, and only absolute links. It is
made with an autoescaping Jinja environment of its own; item bodies are rendered from
their Markdown with raw HTML off, as on the site. The output is deterministic: the
Date is the edition's publication date, and the MIME boundary is a hash of the
content."""

from __future__ import annotations

import datetime
import hashlib
from email import policy
from email.message import EmailMessage
from email.utils import format_datetime
from urllib.parse import urljoin

from dateutil import tz
from jinja2 import Environment, StrictUndefined
from markdown_it import MarkdownIt
from markupsafe import Markup, escape

from . import urls
from .markup import is_safe_url
from .model import Site

FONT = "Georgia, 'Times New Roman', serif"
SANS = "Arial, Helvetica, sans-serif"
LINK = "color:#1a4d8f;"
# Inline styles for what an item's Markdown may produce.
TAG_STYLES = {
    "p": "margin:0 0 12px;font-size:16px;line-height:1.5;",
    "a": LINK,
    "ul": "margin:0 0 12px;padding-left:24px;",
    "ol": "margin:0 0 12px;padding-left:24px;",
    "li": "margin:0 0 4px;font-size:16px;line-height:1.5;",
    "blockquote": "margin:0 0 12px;padding-left:12px;border-left:3px solid #cccccc;color:#555555;",
    "code": "font-family:Menlo,Consolas,monospace;font-size:14px;",
    "pre": "margin:0 0 12px;white-space:pre-wrap;font-family:Menlo,Consolas,monospace;font-size:14px;",
    "table": "border-collapse:collapse;margin:0 0 12px;",
    "th": "border:1px solid #cccccc;padding:4px 8px;text-align:left;",
    "td": "border:1px solid #cccccc;padding:4px 8px;",
    "h1": "font-size:18px;margin:0 0 8px;",
    "h2": "font-size:18px;margin:0 0 8px;",
    "h3": "font-size:17px;margin:0 0 8px;",
    "h4": "font-size:16px;margin:0 0 8px;",
    "h5": "font-size:16px;margin:0 0 8px;",
    "h6": "font-size:16px;margin:0 0 8px;",
    "hr": "border:0;border-top:1px solid #dddddd;margin:16px 0;",
}

_MD = MarkdownIt("commonmark", {"html": False}).enable(["table", "strikethrough"])

TEMPLATE = """\
<!DOCTYPE html>
<html lang="{{ language }}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{ subject }}</title>
</head>
<body style="margin:0;padding:0;background:#f4f4f4;">
<table role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0" style="background:#f4f4f4;">
<tr><td align="center" style="padding:24px 12px;">
<table role="presentation" width="640" cellpadding="0" cellspacing="0" border="0" style="width:100%;max-width:640px;background:#ffffff;font-family:{{ font }};color:#222222;">
<tr><td style="padding:28px 32px 8px;">
<p style="margin:0 0 4px;font-family:{{ sans }};font-size:13px;"><a href="{{ home }}" style="color:#666666;text-decoration:none;">{{ site_title }}</a></p>
<h1 style="margin:0 0 8px;font-size:26px;line-height:1.25;font-weight:normal;">{{ edition_title }}</h1>
<p style="margin:0;font-family:{{ sans }};font-size:13px;"><a href="{{ online }}" style="{{ link }}">Read this edition online</a></p>
</td></tr>
{% if intro %}<tr><td style="padding:8px 32px 0;">{{ intro }}</td></tr>
{% endif %}
{% for section in sections %}<tr><td style="padding:20px 32px 4px;">
<h2 style="margin:0;padding-bottom:6px;border-bottom:2px solid #1a4d8f;font-family:{{ sans }};font-size:14px;letter-spacing:1px;text-transform:uppercase;color:#1a4d8f;">{{ section.title }}</h2>
</td></tr>
{% for item in section.entries %}<tr><td style="padding:12px 32px 4px;">
<h3 style="margin:0 0 8px;font-size:19px;line-height:1.3;"><a href="{{ item.url }}" style="color:#222222;text-decoration:none;">{{ item.title }}</a></h3>
{{ item.html }}
</td></tr>
{% endfor %}{% endfor %}
{% if footnotes %}<tr><td style="padding:20px 32px 4px;">
<h2 style="margin:0 0 8px;font-family:{{ sans }};font-size:14px;letter-spacing:1px;text-transform:uppercase;color:#666666;">Sources</h2>
<ol style="margin:0;padding-left:28px;font-family:{{ sans }};font-size:12px;line-height:1.5;color:#666666;">
{% for note in footnotes %}<li style="margin:0 0 2px;word-break:break-all;"><a href="{{ note.url }}" style="color:#666666;">{{ note.url }}</a></li>
{% endfor %}</ol>
</td></tr>
{% endif %}{% if disclaimer %}<tr><td style="padding:20px 32px 28px;font-family:{{ sans }};font-size:12px;line-height:1.5;color:#888888;">{{ disclaimer }}</td></tr>
{% endif %}</table>
</td></tr>
</table>
</body>
</html>
"""

_ENV = Environment(autoescape=True, undefined=StrictUndefined, keep_trailing_newline=True)
_TEMPLATE = _ENV.from_string(TEMPLATE)


def body_html(markdown: str, base: str, notes: tuple[tuple[int, str], ...] = ()) -> Markup:
    """Markdown as email HTML: inline styles on every element, links absolute (relative
    ones resolved against `base`), and the footnote numbers linking to their sources
    at the end of the last paragraph."""
    tokens = _MD.parse(markdown)
    for token in tokens:
        for t in [token, *(token.children or [])]:
            if t.nesting == -1:
                continue
            if t.type == "link_open":
                href = str(t.attrGet("href") or "")
                if is_safe_url(href):
                    t.attrSet("href", urljoin(base, href))
                else:
                    t.attrs.pop("href", None)
            style = TAG_STYLES.get(t.tag)
            if style:
                t.attrSet("style", style)
    html = _MD.renderer.render(tokens, _MD.options, {})
    if notes:
        refs = "".join(
            f'<sup style="font-size:11px;line-height:0;"><a href="{escape(url)}" style="{LINK}">'
            f"[{n}]</a></sup>"
            for n, url in notes
        )
        cut = html.rfind("</p>")
        html = html[:cut] + refs + html[cut:] if cut >= 0 else html + f"<p>{refs}</p>"
    return Markup(html)  # safe: raw HTML is off in the parser, attributes are escaped


def edition_html(site: Site, key: str) -> str:
    """The edition as one self-contained HTML document for mail clients."""
    config = site.config
    edition = site.edition(key)
    by_entry: dict[str, list[tuple[int, str]]] = {}
    for note in edition.footnotes:
        by_entry.setdefault(note.entry, []).append((note.number, note.url))
    online = urljoin(config.base_url, urls.edition(key))
    sections = [
        {
            "title": section.title,
            "entries": [
                {
                    "title": site.entries[eid].title,
                    "url": urljoin(config.base_url, urls.entry(eid)),
                    "html": body_html(
                        site.entries[eid].body,
                        urljoin(config.base_url, urls.entry(eid)),
                        tuple(by_entry.get(eid, ())),
                    ),
                }
                for eid in section.entries
            ],
        }
        for section in edition.sections
    ]
    return _TEMPLATE.render(
        language=config.language,
        subject=subject(site, key),
        font=FONT,
        sans=SANS,
        link=LINK,
        home=config.base_url,
        online=online,
        site_title=config.title,
        edition_title=edition.title,
        intro=body_html(edition.intro, online) if edition.intro else "",
        sections=sections,
        footnotes=edition.footnotes,
        disclaimer=config.disclaimer,
    )


def subject(site: Site, key: str) -> str:
    """The email's subject line: 'Site title: April 2023'."""
    return f"{site.config.title}: {site.edition(key).title}"


def email_message(site: Site, key: str, text: str) -> bytes:
    """The .eml file: multipart/alternative with `text` (the plain-text edition) and
    the HTML edition, LF line endings."""
    config = site.config
    edition = site.edition(key)
    html = edition_html(site, key)
    msg = EmailMessage(policy=policy.default)
    msg["Subject"] = subject(site, key)
    midnight = datetime.datetime.combine(
        edition.published, datetime.time(), tz.gettz(config.timezone)
    )
    msg["Date"] = format_datetime(midnight)
    domain = config.id_authority.rsplit("@", 1)[-1]
    msg["Message-ID"] = f"<edition-{key}@{domain}>"
    # Outlook and Thunderbird open a message marked unsent as a draft, ready to address
    msg["X-Unsent"] = "1"
    msg.set_content(text, subtype="plain", charset="utf-8", cte="quoted-printable")
    msg.add_alternative(html, subtype="html", charset="utf-8", cte="quoted-printable")
    # '=_' cannot occur in quoted-printable text, so this boundary never clashes
    digest = hashlib.sha256((text + html).encode()).hexdigest()[:32]
    msg.set_boundary(f"=_digest_{digest}")
    return msg.as_bytes(policy=policy.default)
