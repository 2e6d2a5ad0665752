"""Drafts: left out of a normal build altogether (pages, feeds, sitemap, counts, terms
only they name), built with --drafts and marked "Draft" wherever they appear."""

from __future__ import annotations

import shutil
from pathlib import Path

from conftest import BASIC, build_into

DRAFT_ID = "cac-secret-plan"
DRAFT_TITLE = "CAC Weighs a Secret Plan"
DRAFT = f"""---
title: "{DRAFT_TITLE}"
date: 2023-04-02
category: regulation
agencies: [Unused Bureau]
source: https://example.com/secret
tags: [only-in-a-draft]
draft: true
---
Not for publication yet.
"""
MARK = '<span class="draft-mark">Draft</span>'


def entries_with_draft(folder: Path) -> Path:
    """The basic site's entries plus one draft item, whose agency and tag no published
    item names."""
    entries = folder / "entries"
    shutil.copytree(BASIC, entries)
    (entries / "2023-04" / f"{DRAFT_ID}.md").write_text(DRAFT, encoding="utf-8")
    return entries


def files(root: Path) -> dict[str, bytes]:
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def test_a_build_without_drafts_is_the_site_without_the_draft(tmp_path: Path) -> None:
    without = files(build_into(BASIC, tmp_path / "published"))
    with_draft_file = files(build_into(entries_with_draft(tmp_path), tmp_path / "site"))
    # Byte for byte: no page, feed, sitemap row, count or term page knows of the draft.
    assert with_draft_file.keys() == without.keys()
    assert [p for p in without if with_draft_file[p] != without[p]] == []
    text = b"".join(with_draft_file.values())
    for trace in (DRAFT_ID, DRAFT_TITLE, "only-in-a-draft", "unused-bureau/", 'class="draft-mark"'):
        assert trace.encode() not in text


def test_a_build_with_drafts_marks_the_draft_wherever_it_is(tmp_path: Path) -> None:
    out = build_into(entries_with_draft(tmp_path), tmp_path / "site", drafts=True)
    pages = {
        "item": out / "entries" / DRAFT_ID / "index.html",
        "edition": out / "editions" / "2023-04" / "index.html",
        "home": out / "index.html",
        "archive": out / "archive" / "index.html",
        "section": out / "sections" / "regulation" / "index.html",
        "tag": out / "tags" / "only-in-a-draft" / "index.html",
    }
    for name, page in pages.items():
        html = page.read_text(encoding="utf-8")
        assert html.count(MARK) == 1, name  # the draft is marked, and nothing else is
    item = pages["item"].read_text(encoding="utf-8")
    assert f"<h1>{MARK} {DRAFT_TITLE}</h1>" in item
    # A published item's own page carries no mark.
    published = (out / "entries" / "miit-notifies-apps" / "index.html").read_text("utf-8")
    assert "draft-mark" not in published


def test_the_mark_needs_the_draft_flag_not_the_word(tmp_path: Path) -> None:
    """The basic site has an item with "draft" in its id and title: it is no draft."""
    out = build_into(BASIC, tmp_path / "site", drafts=True)
    text = b"".join(files(out).values())
    assert b"cac-draft-measures" in text
    assert b'class="draft-mark"' not in text
