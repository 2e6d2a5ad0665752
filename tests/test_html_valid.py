"""The Nu HTML checker (vnu.jar) finds no error in any page of the shipped site."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path


def test_every_page_is_valid_html(shipped_site: Path, vnu: list[str]) -> None:
    pages = sorted(str(p) for p in shipped_site.rglob("*.html"))
    # a guard against an empty or half-built site: every item has its page
    assert sum(1 for p in pages if "/entries/" in str(p)) == 30
    run = subprocess.run(
        [*vnu, "--errors-only", "--format", "json", *pages],
        capture_output=True,
        text=True,
        timeout=300,
    )
    messages = json.loads(run.stderr or run.stdout)["messages"]
    errors = [
        f"{m.get('url', '')}:{m.get('lastLine', '?')}: {m['message']}"
        for m in messages
        if m.get("type") in ("error", "non-document-error")
    ]
    assert errors == []


def test_the_checker_reports_an_error(tmp_path: Path, vnu: list[str]) -> None:
    bad = tmp_path / "bad.html"
    bad.write_text("<!DOCTYPE html><html lang=en><title>x</title><p><div></p>")
    run = subprocess.run(
        [*vnu, "--errors-only", "--format", "json", str(bad)], capture_output=True, text=True
    )
    assert json.loads(run.stderr)["messages"] != []
