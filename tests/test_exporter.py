"""`digest export`: the text export is the seed again, and reads back in as the same
entries; the Markdown export carries every footnote; the email is self-contained."""

from __future__ import annotations

import email
import re
import shutil
from email import policy
from html.parser import HTMLParser
from pathlib import Path

from markdown_it import MarkdownIt
from mdit_py_plugins.footnote import footnote_plugin
from newsletter_support import ENTRIES, ROOT, entry_fields, fresh_entries, run, seed_path

from digest.build import check
from digest.exporter import edition_markdown, edition_text, export


def shipped_site():
    site, problems = check(ENTRIES)
    assert problems == []
    return site


def words(text: str) -> str:
    return " ".join(text.split())


def test_text_export_is_the_seed() -> None:
    text = edition_text(shipped_site(), "2023-04")
    seed = seed_path().read_text(encoding="utf-8")
    # the seed has no heading over its first section; the export names it
    assert text.startswith("Legislation\n\nFour Departments Jointly Issues")
    assert words(text.removeprefix("Legislation")) == words(seed)
    # and keeps the seed's layout line for line, blank lines included
    assert text.removeprefix("Legislation\n\n") == seed + "\n"


def test_text_export_reads_back_as_the_same_entries(tmp_path: Path, capsys) -> None:
    (tmp_path / "april.txt").write_bytes(export(shipped_site(), "2023-04", "text"))
    entries = fresh_entries(tmp_path)
    code, out = run(
        capsys,
        "import",
        str(tmp_path / "april.txt"),
        "--edition",
        "2023-04",
        "--entries",
        str(entries),
    )
    assert (code, out) == (0, f"wrote 30 item files to {entries.as_posix()}/2023-04/\n")
    assert entry_fields(entries) == entry_fields(ENTRIES)


def test_markdown_export_has_footnotes_1_to_30() -> None:
    site = shipped_site()
    document = edition_markdown(site, "2023-04")
    md = MarkdownIt("commonmark").use(footnote_plugin)
    tokens = md.parse(document)
    inline = [child for t in tokens if t.type == "inline" for child in t.children or []]
    refs = [t.meta["label"] for t in inline if t.type == "footnote_ref"]
    assert refs == [str(n) for n in range(1, 31)]
    definitions = {t.meta["label"] for t in tokens if t.type == "footnote_open"}
    assert definitions == {str(n) for n in range(1, 31)}
    html = md.render(document)
    for note in site.edition("2023-04").footnotes:
        assert f'href="{note.url.replace("&", "&amp;")}"' in html
    headings = [
        (t.tag, tokens[i + 1].content) for i, t in enumerate(tokens) if t.type == "heading_open"
    ]
    assert headings[0] == ("h1", "China Data Protection Digest: April 2023")
    assert [h for h in headings if h[0] == "h2"] == [
        ("h2", "Legislation"),
        ("h2", "Enforcement Authority"),
        ("h2", "Enforcement Cases"),
        ("h2", "Courts Litigation"),
    ]
    assert len([h for h in headings if h[0] == "h3"]) == 30
    assert (
        "h3",
        '"Data Protection and Data Cross-Border Service Platform" Released in Guangzhou',
    ) in headings


class Tags(HTMLParser):
    """Every start tag with its attributes."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag, attrs) -> None:
        self.tags.append((tag, dict(attrs)))


def parts(data: bytes):
    message = email.message_from_bytes(data, policy=policy.default)
    return (
        message,
        message.get_body(("html",)).get_content(),
        message.get_body(("plain",)).get_content(),
    )


def test_email_is_self_contained_with_a_text_part() -> None:
    site = shipped_site()
    data = export(site, "2023-04", "email")
    assert data == export(site, "2023-04", "email")  # deterministic, boundary included
    message, html, text = parts(data)
    assert message.get_content_type() == "multipart/alternative"
    assert message["Subject"] == "China Data Protection Digest: April 2023"
    assert message["Date"] == "Sat, 01 Apr 2023 00:00:00 +0800"
    assert text == edition_text(site, "2023-04")
    tags = Tags()
    tags.feed(html)
    names = {name for name, _ in tags.tags}
    assert not names & {"script", "style", "link", "iframe", "object", "img", "form"}
    for name, attrs in tags.tags:
        assert not [a for a in attrs if a.startswith("on")], name
        if name in {"p", "a", "h1", "h2", "h3", "table", "td", "ol", "li", "sup", "body"}:
            assert attrs.get("style"), name
    hrefs = [attrs["href"] for name, attrs in tags.tags if name == "a"]
    assert hrefs and all(re.match(r"^https?://[^/\s]+", h) for h in hrefs)
    assert "https://digest.example.org/editions/2023-04/" in hrefs
    assert (
        "https://digest.example.org/entries/wuxi-city-first-batch-of-personal-data-re-epidemic-destroyed/"
        in hrefs
    )
    for note in site.edition("2023-04").footnotes:
        assert hrefs.count(note.url) == 2  # the [n] after the item, and the source list


def test_email_escapes_and_absolutises(tmp_path: Path) -> None:
    entries = tmp_path / "entries"
    shutil.copytree(ENTRIES, entries)
    (entries / "2023-04" / "a-tricky-item.md").write_text(
        "---\n"
        "title: \"Rules on <script>alert(1)</script> & 'Quotes'\"\n"
        "date: 2023-03-30\ncategory: courts\nagencies: [SPP]\n"
        "source: https://example.org/x?a=1&b=2\n---\n"
        "See [the earlier item](../cac-issues-the-provisions-on-administrative-enforcement/) "
        "and *this* <b>bold</b>.\n",
        encoding="utf-8",
    )
    site, problems = check(entries)
    assert problems == []
    _message, html, text = parts(export(site, "2023-04", "email"))
    assert "<script>" not in html
    assert "Rules on &lt;script&gt;alert(1)&lt;/script&gt; &amp; &#39;Quotes&#39;" in html
    assert "&lt;b&gt;bold&lt;/b&gt;" in html
    earlier = "https://digest.example.org/entries/cac-issues-the-provisions-on-administrative-enforcement/"
    assert f'<a href="{earlier}" style="color:#1a4d8f;">the earlier item</a>' in html
    assert 'href="https://example.org/x?a=1&amp;b=2"' in html
    assert f"See the earlier item ({earlier}) and this <b>bold</b>. 31" in text


def test_export_command(tmp_path: Path, capsys, monkeypatch) -> None:
    monkeypatch.chdir(ROOT)
    out = tmp_path / "april.md"
    assert run(capsys, "export", "2023-04", "--format", "markdown", "--out", str(out)) == (0, "")
    assert out.read_text(encoding="utf-8") == edition_markdown(shipped_site(), "2023-04")
    code, printed = run(capsys, "export", "2023-05", "--format", "text")
    assert code == 2
    assert printed.endswith(
        "digest export: error: no edition 2023-05 in 'entries' (there are: 2023-04)\n"
    )
    code, printed = run(capsys, "export", "2023-04")
    assert code == 2
    assert printed.endswith(
        "digest export: error: the following arguments are required: --format\n"
    )
    code, printed = run(
        capsys, "export", "2023-04", "--format", "email", "--out", str(tmp_path / "no" / "x.eml")
    )
    assert code == 2
    assert printed.endswith(
        f"digest export: error: folder '{(tmp_path / 'no').as_posix()}' does not exist (for --out)\n"
    )


def test_the_command_line_knows_the_export_formats() -> None:
    from digest import cli, exporter

    assert cli.EXPORT_FORMATS == exporter.EXPORT_FORMATS
