"""The command line as a user runs it: a subprocess, its exit code and its output."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BASE = ROOT / "tests" / "fixtures" / "problems" / "_base"


def digest(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "digest", *args], cwd=cwd, capture_output=True, text=True
    )


def broken_entries(tmp_path: Path) -> Path:
    entries = tmp_path / "entries"
    shutil.copytree(BASE, entries)
    (entries / "2023-04").mkdir()
    (entries / "2023-04" / "bad.md").write_text(
        "---\ntitle: Bad\ndate: 2023-13-01\ncategory: regulation\n"
        "agencies: [MITT]\nsource: javascript:alert(1)\n---\nText.\n"
    )
    (entries / "2023-04" / "worse.md").write_text("no front matter\n")
    return entries


def test_check_shipped_entries_exits_0() -> None:
    result = digest("check")
    assert (result.returncode, result.stdout, result.stderr) == (
        0,
        "30 items in 1 edition: no problems\n",
        "",
    )


def test_check_broken_entries_lists_every_problem_and_exits_1(tmp_path: Path) -> None:
    broken_entries(tmp_path)
    result = digest("check", "--entries", "entries", cwd=tmp_path)
    assert result.returncode == 1
    assert result.stderr == ""
    assert result.stdout == (
        "entries/2023-04/bad.md:3: date: '2023-13-01' is not a calendar date (there is no month 13)\n"
        "entries/2023-04/bad.md:5: agencies: unknown agency 'MITT' (did you mean 'MIIT'?)\n"
        "entries/2023-04/bad.md:6: source: only http and https URLs are allowed, got a javascript: URL\n"
        "entries/2023-04/worse.md:1: front matter: the file must start with a '---' line\n"
        "4 problems in 2 files\n"
    )


def test_check_github_annotations(tmp_path: Path) -> None:
    broken_entries(tmp_path)
    result = digest("check", "--entries", "entries", "--format", "github", cwd=tmp_path)
    assert result.returncode == 1
    assert result.stdout.splitlines()[0] == (
        "::error file=entries/2023-04/bad.md,line=3,title=date::"
        "date: '2023-13-01' is not a calendar date (there is no month 13)"
    )
    assert result.stdout.splitlines()[-1] == "4 problems in 2 files"


def test_check_json(tmp_path: Path) -> None:
    broken_entries(tmp_path)
    result = digest("check", "--entries", "entries", "--format", "json", cwd=tmp_path)
    assert result.returncode == 1
    data = json.loads(result.stdout)
    assert data["count"] == 4
    assert data["problems"][0] == {
        "path": "entries/2023-04/bad.md",
        "line": 3,
        "field": "date",
        "message": "'2023-13-01' is not a calendar date (there is no month 13)",
    }


def test_usage_errors_exit_2(tmp_path: Path) -> None:
    result = digest("check", "--entries", str(tmp_path / "nope"))
    assert result.returncode == 2
    assert result.stderr == (
        f"digest check: error: entries folder {str(tmp_path / 'nope')!r} does not exist"
        " (use --entries DIR)\n"
    )
    assert digest("check", "--format", "xml").returncode == 2
    assert digest("frobnicate").returncode == 2
    assert digest().returncode == 2


def test_no_traceback_on_a_corpus_of_broken_files(tmp_path: Path) -> None:
    """Every fixture file thrown into one folder: problems, never a traceback."""
    entries = tmp_path / "entries"
    shutil.copytree(BASE, entries)
    (entries / "2023-04").mkdir()
    garbage = [
        b"",
        b"---",
        b"---\n---\n",
        b"---\n:\n---\n",
        b"---\n[\n---\n",
        b"---\n!!binary aGk=\n---\n",
        b"---\ntitle: \xff\xfe\n---\n",
        b"---\n" + b"a: [" * 200 + b"\n---\n",
        b"---\n" + b"- " * 5000 + b"x\n---\n",
        b"---\ndate: 0000-00-00\n---\n",
        b"---\ndate: 9999-99-99\n---\n",
        b"---\n? [a, b]\n: c\n---\n",
        b"---\n<<: {a: 1}\n---\n",
        b"\x00\x01\x02",
        b"---\ntitle: x\n---\n" + b"> " * 3000 + b"deep\n",
        b"---\ntitle: x\n---\n" + b"  " * 2000 + b"- deep\n" * 10,
    ]
    for i, data in enumerate(garbage):
        (entries / "2023-04" / f"g{i}.md").write_bytes(data)
    result = digest("check", "--entries", str(entries))
    assert result.returncode == 1
    assert "Traceback" not in result.stdout + result.stderr
    assert result.stderr == ""
    assert result.stdout.endswith(f"problems in {len(garbage)} files\n")


def test_build_and_check_hand_what_they_worked_with_to_keep(tmp_path: Path) -> None:
    # `digest` (cli.run) keeps these alive until os._exit instead of freeing them.
    from digest import cli
    from digest.model import Site

    keep: list = []
    out, cache = str(tmp_path / "site"), str(tmp_path / "cache")
    entries = str(ROOT / "entries")
    args = ["--entries", entries, "--cache-dir", cache]
    assert cli.main(["build", *args, "--out", out, "--quiet"], keep=keep) == 0
    assert cli.main(["check", *args], keep=keep) == 0
    built, checked = keep
    assert (built.items, built.editions) == (30, 1)
    assert [type(w) for w in built.working].count(Site) == 1
    assert isinstance(checked, Site) and len(checked.entries) == 30
    # Nothing to do the second time: the record it kept is what it worked with.
    assert cli.main(["build", *args, "--out", out, "--quiet"], keep=keep) == 0
    assert keep[-1].working is not None and keep[-1].written.written == 0


def test_an_output_folder_that_cannot_be_made_is_one_line_not_a_traceback(
    tmp_path: Path,
) -> None:
    (tmp_path / "afile").write_text("a file where a folder would go\n")
    entries = str(ROOT / "entries")
    result = digest("build", "--entries", entries, "--out", "afile/site", cwd=tmp_path)
    assert (result.returncode, result.stdout, result.stderr) == (
        1,
        "",
        f"digest build: error: not a folder: {tmp_path / 'afile'}\n",
    )
