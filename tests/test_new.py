"""`digest new`: a valid new item, prompts on a terminal, no overwriting."""

from __future__ import annotations

import datetime
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from digest import cli, new
from digest.build import check

ENTRIES = Path(__file__).resolve().parents[1] / "entries"


@pytest.fixture
def site(tmp_path: Path) -> Path:
    shutil.copytree(ENTRIES, tmp_path / "entries")
    return tmp_path


def digest(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "digest", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
    )


def test_new_writes_a_valid_item_that_check_flags_until_the_body_is_written(site: Path) -> None:
    result = digest(
        "new", "--title", "MIIT Fines an App Maker: Ten Apps Removed", "--category", "cases",
        "--agencies", "MIIT, CAC", "--source", "https://example.org/a?b=1",
        "--date", "2023-03-30", cwd=site,
    )  # fmt: skip
    assert (result.returncode, result.stderr) == (0, "")
    path = "entries/2023-04/miit-fines-an-app-maker-ten-apps-removed.md"
    assert result.stdout == path + "\n"
    assert (site / path).read_text() == (
        "---\n"
        'title: "MIIT Fines an App Maker: Ten Apps Removed"\n'
        "date: 2023-03-30\n"
        "category: cases\n"
        "agencies: [MIIT, CAC]\n"
        'source: "https://example.org/a?b=1"\n'
        "---\n"
        "Replace this paragraph with the item's text.\n"
    )
    _site, problems = check(site / "entries")
    assert [str(p) for p in problems] == [
        "2023-04/miit-fines-an-app-maker-ten-apps-removed.md:8: body: "
        "still has the placeholder text of `digest new`"
    ]
    text = (
        (site / path)
        .read_text()
        .replace("Replace this paragraph with the item's text.", "On March 30, ...")
    )
    (site / path).write_text(text)
    built, problems = check(site / "entries")
    assert problems == [] and len(built.entries) == 31


def test_a_second_item_with_the_same_title_gets_a_new_id(site: Path) -> None:
    args = ["new", "--title", "Same Title", "--category", "courts", "--agencies", "SPP",
            "--source", "https://example.org/", "--date", "2023-03-01"]  # fmt: skip
    assert digest(*args, cwd=site).stdout == "entries/2023-04/same-title.md\n"
    assert digest(*args, cwd=site).stdout == "entries/2023-04/same-title-2.md\n"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--title", "T"], "missing --category, --agencies, --source"),
        (
            [
                "--title",
                "T",
                "--category",
                "case",
                "--agencies",
                "CAC",
                "--source",
                "https://a.example/",
            ],
            "category: unknown category 'case' (did you mean 'cases'?); expected one of regulation, enforcement, cases, courts",
        ),
        (
            [
                "--title",
                "T",
                "--category",
                "cases",
                "--agencies",
                "MITT",
                "--source",
                "https://a.example/",
            ],
            "agencies: unknown agency 'MITT' (did you mean 'MIIT'?)",
        ),
        (
            [
                "--title",
                "T",
                "--category",
                "cases",
                "--agencies",
                "CAC",
                "--source",
                "javascript:alert(1)",
            ],
            "source: only http and https URLs are allowed, got a javascript: URL",
        ),
        (
            [
                "--title",
                "T",
                "--category",
                "cases",
                "--agencies",
                "CAC",
                "--source",
                "https://a.example/",
                "--date",
                "2023-05-01",
                "--edition",
                "2023-04",
            ],
            "date: 2023-05-01 is later than the edition 2023-04",
        ),
    ],
)
def test_bad_input_is_a_usage_error_and_writes_nothing(site: Path, args, message) -> None:
    before = sorted(p.name for p in (site / "entries").rglob("*"))
    result = digest("new", *args, cwd=site)
    assert (result.returncode, result.stdout) == (2, "")
    assert result.stderr.splitlines()[-1] == f"digest new: error: {message}"
    assert sorted(p.name for p in (site / "entries").rglob("*")) == before


def test_prompts_for_what_is_missing_on_a_terminal(site: Path, monkeypatch, capsys) -> None:
    answers = iter(["Prompted Title", "enforcement", "CAC, Shanghai CA", "https://example.org/p"])
    monkeypatch.setattr("builtins.input", lambda prompt: next(answers))
    monkeypatch.setattr(sys.stdin, "isatty", lambda: True)
    monkeypatch.chdir(site)
    assert cli.main(["new", "--date", "2023-03"]) == 0
    assert capsys.readouterr().out == "entries/2023-04/prompted-title.md\n"
    text = (site / "entries/2023-04/prompted-title.md").read_text()
    assert "date: 2023-03\ncategory: enforcement\nagencies: [CAC, Shanghai CA]\n" in text


def test_never_overwrites(site: Path) -> None:
    target = site / "entries/2023-04/existing.md"
    target.write_text("keep me")
    with pytest.raises(new.Exists) as refused:
        new.write_new(site / "entries", "2023-04/existing.md", "new text")
    assert str(refused.value) == "2023-04/existing.md already exists; it was not changed"
    assert target.read_text() == "keep me"


def test_default_edition_is_the_month_after_the_news() -> None:
    assert new.edition_for(datetime.date(2023, 3, 30)) == "2023-04"
    assert new.edition_for(datetime.date(2023, 12, 5)) == "2024-01"
