"""`digest build`: the golden site, the command's output and exit codes, nothing written
on problems, determinism, and a site folder's own templates and static files."""

from __future__ import annotations

import difflib
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import BASIC, ROOT, SHIPPED, build_into

from digest.build import Options, build

GOLDEN = Path(__file__).resolve().parent / "golden" / "basic"
GOLDEN_EPOCH = "1680480000"  # the Makefile's GOLDEN_EPOCH


def tree(folder: Path) -> dict[str, bytes]:
    """Every file under `folder`: relative path -> bytes."""
    return {
        p.relative_to(folder).as_posix(): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def run(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "digest", *args], cwd=cwd, capture_output=True, text=True
    )


def test_the_golden_site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", GOLDEN_EPOCH)
    got = tree(build_into(BASIC, tmp_path / "site"))
    want = tree(GOLDEN)
    assert sorted(got) == sorted(want), "files differ: run `make golden` and review the diff"
    diffs = []
    for path, data in want.items():
        if got[path] != data:
            diffs += difflib.unified_diff(
                data.decode().splitlines(),
                got[path].decode().splitlines(),
                f"golden/basic/{path}",
                f"built/{path}",
                lineterm="",
            )
    assert not diffs, "\n".join(diffs[:200])


def test_the_golden_site_has_every_page_kind() -> None:
    paths = set(tree(GOLDEN))
    assert {
        "index.html",
        "404.html",
        "robots.txt",
        "sitemap.xml",
        "editions/index.html",
        "editions/2023-04/index.html",
        "editions/2023-03/index.html",
        "entries/miit-notifies-apps/index.html",
        "agencies/index.html",
        "agencies/cac/index.html",
        "agencies/cac/page/2/index.html",
        "sections/index.html",
        "sections/courts/index.html",
        "tags/index.html",
        "tags/pipl/page/2/index.html",
        "archive/page/3/index.html",
        "feeds/index.html",
        "static/style.css",
    } <= paths
    # An agency without items is listed, but has no page.
    assert "agencies/unused-bureau/index.html" not in paths
    assert "A Bureau No Item Names" in (GOLDEN / "agencies/index.html").read_text()


def test_build_prints_one_summary_line(tmp_path: Path) -> None:
    result = run("build", "--entries", "entries", "--out", str(tmp_path / "out"))
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    lines = result.stdout.splitlines()
    assert len(lines) == 1
    pages = sum(1 for _ in (tmp_path / "out").rglob("*.html"))
    files = sum(1 for p in (tmp_path / "out").rglob("*") if p.is_file())
    assert re.fullmatch(
        f"built 30 items in 1 edition: {pages} pages, {files} files "
        rf"\({files} written, 0 unchanged\) in \d+\.\d\d s",
        lines[0],
    ), lines[0]
    assert (tmp_path / "out" / "editions" / "2023-04" / "index.html").is_file()


def test_quiet_build_prints_nothing(tmp_path: Path) -> None:
    result = run("build", "--quiet", "--entries", "entries", "--out", str(tmp_path / "out"))
    assert (result.returncode, result.stdout, result.stderr) == (0, "", "")


def test_problems_are_printed_as_check_prints_them_and_nothing_is_written(
    tmp_path: Path,
) -> None:
    site = tmp_path / "s"
    shutil.copytree(BASIC, site / "entries")
    out = site / "out"
    assert run("build", "--quiet", "--entries", "entries", "--out", "out", cwd=site).returncode == 0
    before = tree(out)
    item = site / "entries" / "2023-04" / "spp-typical-cases.md"
    item.write_text(item.read_text().replace("agencies: [SPP]", "agencies: [SSP]"))
    built = run("build", "--entries", "entries", "--out", "out", cwd=site)
    checked = run("check", "--entries", "entries", cwd=site)
    assert built.returncode == checked.returncode == 1
    assert (
        built.stdout
        == checked.stdout
        == (
            "entries/2023-04/spp-typical-cases.md:5: agencies: unknown agency 'SSP' (did you mean 'SPP'?)\n"
            "1 problem in 1 file\n"
        )
    )
    assert tree(out) == before
    # no temporary output folder is left behind (the cache of checked items may stay)
    beside = [".digest-cache", ".out.spare", "entries", "out"]
    assert sorted(p.name for p in site.iterdir()) == beside


def test_usage_errors_exit_2(tmp_path: Path) -> None:
    missing = run("build", "--entries", str(tmp_path / "nope"))
    assert missing.returncode == 2
    assert missing.stderr.endswith(
        f"digest build: error: entries folder {str(tmp_path / 'nope')!r} does not exist "
        "(use --entries DIR)\n"
    )
    clobber = run("build", "--entries", "entries", "--out", ".")
    assert clobber.returncode == 2
    assert clobber.stderr.endswith(
        "digest build: error: output folder '.' would replace the entries folder\n"
    )
    bad_url = run("build", "--base-url", "example.org/x", "--out", str(tmp_path / "o"))
    assert bad_url.returncode == 2
    assert bad_url.stderr.endswith(
        "digest build: error: --base-url must be an absolute http(s) URL, got 'example.org/x'\n"
    )


def test_builds_are_byte_identical(tmp_path: Path) -> None:
    first = tree(build_into(SHIPPED, tmp_path / "a"))
    second = tree(build_into(SHIPPED, tmp_path / "b"))
    assert first == second


def test_a_rebuild_keeps_unchanged_files(tmp_path: Path) -> None:
    out = build_into(BASIC, tmp_path / "site")
    style = out / "static" / "style.css"
    os.utime(style, (1_000_000_000, 1_000_000_000))
    built, _ = build(BASIC, out, Options())
    assert built is not None
    assert built.written.unchanged == built.written.files
    assert style.stat().st_mtime == 1_000_000_000


def test_a_site_folder_overrides_templates_and_static_files(tmp_path: Path) -> None:
    site = tmp_path / "mysite"
    shutil.copytree(BASIC, site / "entries")
    (site / "templates").mkdir()
    (site / "templates" / "404.html").write_text(
        '{% extends "base.html" %}{% block main %}<p>Lost at {{ site.title }}</p>{% endblock %}\n'
    )
    (site / "static").mkdir()
    (site / "static" / "style.css").write_text("body { color: teal; }\n")
    (site / "static" / "logo.svg").write_text("<svg xmlns='http://www.w3.org/2000/svg'/>\n")
    out = build_into(site / "entries", tmp_path / "out")
    assert "<p>Lost at Test Digest</p>" in (out / "404.html").read_text()
    assert (out / "static" / "style.css").read_text() == "body { color: teal; }\n"
    assert (out / "static" / "logo.svg").is_file()
    assert (out / "static" / "icon.svg").read_bytes() == (ROOT / "static" / "icon.svg").read_bytes()
    # Templates it does not override are the project's.
    assert (out / "editions" / "2023-04" / "index.html").read_bytes() == (
        GOLDEN / "editions" / "2023-04" / "index.html"
    ).read_bytes()


def test_a_rebuild_summary_counts_unchanged_files(tmp_path: Path) -> None:
    args = ("build", "--entries", "entries", "--out", str(tmp_path / "out"))
    args += ("--cache-dir", str(tmp_path / "cache"))
    assert run(*args).returncode == 0
    again = run(*args)
    assert (again.returncode, again.stderr) == (0, "")
    files = sum(1 for p in (tmp_path / "out").rglob("*") if p.is_file())
    assert f", {files} files (0 written, {files} unchanged) in " in again.stdout
    assert len(again.stdout.splitlines()) == 1


class FakeTerminal:
    def __init__(self) -> None:
        self.text = ""

    def isatty(self) -> bool:
        return True

    def write(self, text: str) -> None:
        self.text += text

    def flush(self) -> None:
        pass


def test_progress_shows_stages_on_a_terminal_and_erases_itself() -> None:
    from digest.cli import Progress

    stream = FakeTerminal()
    progress = Progress(stream, delay=0.0)
    progress.stage("checking")
    progress.timer.join()
    progress.stage("rendering")
    progress.done()
    assert stream.text == (
        "\r\x1b[Kdigest build: checking…\r\x1b[Kdigest build: rendering…\r\x1b[K"
    )
    quiet = FakeTerminal()
    silent = Progress(quiet, enabled=False, delay=0.0)
    silent.stage("checking")
    silent.done()
    assert quiet.text == "" and not silent.timer.is_alive()


def test_a_malformed_source_date_epoch_is_a_usage_error(tmp_path: Path) -> None:
    for value in ("yesterday", "-1", "1.5", "99999999999999999999"):
        result = subprocess.run(
            [sys.executable, "-m", "digest", "build", "--out", str(tmp_path / "out")],
            cwd=ROOT,
            capture_output=True,
            text=True,
            env={**os.environ, "SOURCE_DATE_EPOCH": value},
        )
        assert (result.returncode, result.stdout) == (2, "")
        assert result.stderr == (
            "digest build: error: SOURCE_DATE_EPOCH must be a whole number of seconds, "
            f"got {value!r}\n"
        )
        assert not (tmp_path / "out").exists()


def _empty_folders(folder: Path) -> list[str]:
    return [
        p.relative_to(folder).as_posix()
        for p in folder.rglob("*")
        if p.is_dir() and not any(p.iterdir())
    ]


def test_a_first_build_keeps_no_item_folder_it_made_from_a_file_name_alone(
    tmp_path: Path,
) -> None:
    # A first build starts making each item page's folder from the item's file name
    # while it checks the items: a draft's and an item's that sets another id must go.
    site = tmp_path / "s"
    shutil.copytree(BASIC, site / "entries")
    edition = site / "entries" / "2023-04"
    item = edition / "miit-notifies-apps.md"
    text = item.read_text()
    (edition / "a-draft.md").write_text(text.replace("---\n", "---\ndraft: true\n", 1))
    item.write_text(text.replace("---\n", "---\nid: miit-apps\n", 1))
    assert run("build", "--quiet", "--entries", "entries", "--out", "out", cwd=site).returncode == 0
    for folder in (site / "out", site / ".out.spare"):
        items = {p.name for p in (folder / "entries").iterdir()}
        assert "miit-apps" in items and not items & {"a-draft", item.stem}
        assert _empty_folders(folder) == []


def test_a_first_build_with_problems_leaves_nothing_beside_its_entries(tmp_path: Path) -> None:
    site = tmp_path / "s"
    shutil.copytree(BASIC, site / "entries")
    item = site / "entries" / "2023-04" / "spp-typical-cases.md"
    item.write_text(item.read_text().replace("agencies: [SPP]", "agencies: [SSP]"))
    assert run("build", "--quiet", "--entries", "entries", "--out", "out", cwd=site).returncode == 1
    assert sorted(p.name for p in site.iterdir()) == [".digest-cache", "entries"]
