"""`digest import`: the seed comes in as the shipped entries; every edge case gives its
exact report (tests/fixtures/newsletter/import/*.txt); editions the code was not written
against come in right or are reported (tests/fixtures/newsletter/editions/)."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from newsletter_support import ENTRIES, FIXTURES, entry_fields, fresh_entries, run, seed_path

from digest.build import check
from digest.slugs import slugify, unique

CASES = sorted((FIXTURES / "import").glob("*.txt"))
EDITIONS = sorted((FIXTURES / "editions").glob("*.txt"))


def read_case(path: Path) -> tuple[dict[str, str], list[tuple[str, str]]]:
    """(header settings, [(block name, block text)]) of an import case file."""
    header, *blocks = re.split(r"^=== ", path.read_text(encoding="utf-8"), flags=re.M)
    settings = dict(line.split(": ", 1) for line in header.splitlines() if line.strip())
    parsed = []
    for block in blocks:
        name, _, text = block.partition("\n")
        parsed.append((name.strip(), text))
    return settings, parsed


@pytest.mark.parametrize("case", CASES, ids=[c.stem for c in CASES])
def test_import_case(case: Path, tmp_path: Path, capsys, monkeypatch) -> None:
    settings, blocks = read_case(case)
    entries = fresh_entries(tmp_path)
    existing = {}
    for name, text in blocks:
        if name == "input":
            data = text.replace("\n", "\r\n") if settings.get("crlf") == "true" else text
            (tmp_path / "input.txt").write_bytes(data.encode("utf-8"))
        elif name.startswith("existing "):
            path = entries / name.split(" ", 1)[1]
            path.parent.mkdir(exist_ok=True)
            path.write_text(text, encoding="utf-8")
            existing[path] = text
    monkeypatch.chdir(tmp_path)
    args = [
        "import",
        "input.txt",
        "--edition",
        settings["edition"],
        *settings.get("args", "").split(),
    ]
    code, out = run(capsys, *args)
    edition = entries / settings["edition"]
    for name, text in blocks:
        if name == "report":
            assert out == text
            assert code == (1 if "problem" in text else 0)
        elif name.startswith("entry "):
            assert (entries / name.split(" ", 1)[1]).read_text(encoding="utf-8") == text
        elif name == "files":
            found = sorted(p.name for p in edition.iterdir()) if edition.exists() else []
            assert found == text.split()
    for path, text in existing.items():
        assert path.read_text(encoding="utf-8") == text


def test_seed_imports_as_the_shipped_entries(tmp_path: Path, capsys) -> None:
    entries = fresh_entries(tmp_path)
    code, out = run(
        capsys, "import", str(seed_path()), "--edition", "2023-04", "--entries", str(entries)
    )
    assert (code, out) == (0, f"wrote 30 item files to {entries.as_posix()}/2023-04/\n")
    shipped = entry_fields(ENTRIES)
    imported = entry_fields(entries)
    assert list(imported) == sorted(shipped)
    assert imported == shipped
    # and each file is the shipped file, but for the tags an import cannot know
    for path in sorted((ENTRIES / "2023-04").glob("*.md")):
        want = "".join(
            line for line in path.read_text().splitlines(True) if not line.startswith("tags:")
        )
        assert (entries / "2023-04" / path.name).read_text() == want


def test_seed_dry_run_writes_nothing(tmp_path: Path, capsys) -> None:
    entries = fresh_entries(tmp_path)
    code, out = run(
        capsys,
        "import",
        str(seed_path()),
        "--edition",
        "2023-04",
        "--entries",
        str(entries),
        "--dry-run",
    )
    assert (code, out) == (
        0,
        f"dry run: would write 30 item files to {entries.as_posix()}/2023-04/\n",
    )
    assert sorted(p.name for p in entries.iterdir()) == ["agencies.yaml", "site.yaml"]


def test_importing_again_keeps_every_file(tmp_path: Path, capsys) -> None:
    entries = tmp_path / "entries"
    shutil.copytree(ENTRIES, entries)
    before = {p: p.read_bytes() for p in entries.rglob("*") if p.is_file()}
    code, out = run(
        capsys, "import", str(seed_path()), "--edition", "2023-04", "--entries", str(entries)
    )
    assert code == 1
    lines = out.splitlines()
    assert lines[0] == (
        f"{seed_path().as_posix()}:1: entry: already in the entries folder as "
        "2023-04/four-departments-jointly-issues-implementation-measures-on.md; not overwritten"
    )
    assert lines[-2:] == [
        "30 problems in 1 file",
        f"wrote 0 item files to {entries.as_posix()}/2023-04/; 30 items already there, left as they were",
    ]
    assert {p: p.read_bytes() for p in entries.rglob("*") if p.is_file()} == before


def _field(text: str, name: str) -> str:
    m = re.search(rf"^{name}:(.*)$", text, re.M)
    return m[1].strip() if m else ""


def _row(path: Path) -> str:
    """An item file as one line: id | category | date | agencies | sources | effective."""
    text = path.read_text(encoding="utf-8")
    urls = _field(text, "source") or " ".join(re.findall(r"^  - (.*)$", text, re.M))
    values = [_field(text, n) for n in ("category", "date", "agencies")]
    return " | ".join([path.stem, *values, urls, _field(text, "effective")])


def read_expected(path: Path) -> tuple[str, list[str]]:
    report, _, table = path.read_text(encoding="utf-8").partition("=== items\n")
    return report.removeprefix("=== report\n"), table.splitlines()


@pytest.mark.parametrize("edition_file", EDITIONS, ids=[e.stem for e in EDITIONS])
def test_unseen_editions(edition_file: Path, tmp_path: Path, capsys, monkeypatch) -> None:
    entries = fresh_entries(tmp_path)
    shutil.copy(edition_file, tmp_path / edition_file.name)
    monkeypatch.chdir(tmp_path)
    key = edition_file.stem[:7]
    code, out = run(capsys, "import", edition_file.name, "--edition", key)
    report, table = read_expected(edition_file.with_suffix(".expected"))
    assert out == report
    assert code == (1 if "problem" in report else 0)
    rows = [_row(path) for path in sorted((entries / key).glob("*.md"))]
    assert rows == table


def test_slugs() -> None:
    assert slugify(
        "China's First On-Market Transaction of Industrial Data Tools Landed in Shenzhen Data Exchange"
    ) == ("chinas-first-on-market-transaction-of-industrial-data-tools")
    assert slugify("Wuxi City: First Batch of Personal Data Re. Epidemic Destroyed") == (
        "wuxi-city-first-batch-of-personal-data-re-epidemic-destroyed"
    )
    assert slugify("“Données” personnelles — Café") == "donnees-personnelles-cafe"
    assert slugify("个人信息保护") == "item"
    assert slugify("CON") == "con-item"
    assert slugify("x" * 70) == "x" * 60
    assert unique("a", {"a", "a-2"}) == "a-3"
    assert unique("b", {"a"}) == "b"


def test_usage_errors_exit_2(tmp_path: Path, capsys) -> None:
    entries = fresh_entries(tmp_path)
    code, out = run(
        capsys,
        "import",
        str(tmp_path / "missing.txt"),
        "--edition",
        "2023-04",
        "--entries",
        str(entries),
    )
    assert code == 2
    assert out.endswith(
        f"digest import: error: file '{(tmp_path / 'missing.txt').as_posix()}' does not exist\n"
    )
    code, out = run(
        capsys, "import", str(seed_path()), "--edition", "2023-13", "--entries", str(entries)
    )
    assert code == 2
    assert out.endswith(
        "digest import: error: argument --edition: expected a month YYYY-MM, got '2023-13'\n"
    )


def test_unreadable_input_is_a_problem(tmp_path: Path, capsys, monkeypatch) -> None:
    fresh_entries(tmp_path)
    (tmp_path / "bad.txt").write_bytes(b"Title\n\nText \xff here. 1\n")
    monkeypatch.chdir(tmp_path)
    code, out = run(capsys, "import", "bad.txt", "--edition", "2023-04")
    assert (code, out) == (
        1,
        "bad.txt:3: file: is not UTF-8 text (byte 0xff cannot be decoded)\n1 problem in 1 file\n",
    )


def test_headings_setting_in_site_yaml(tmp_path: Path, capsys, monkeypatch) -> None:
    entries = fresh_entries(tmp_path)
    with open(entries / "site.yaml", "a", encoding="utf-8") as site:
        site.write('headings:\n  "Data Breaches": cases\n  "Judicial Practice": courts\n')
    (tmp_path / "in.txt").write_text(
        "Data Breaches\n\nMPS Solves Cases\n\nOn March 9, the MPS solved cases. 1\n\n"
        "II. Judicial Practice:\n\nSPP Issues Cases\n\nOn March 10, the SPP issued cases. 2\n\n\n"
        "1. https://example.org/1\n\n2. https://example.org/2\n"
    )
    monkeypatch.chdir(tmp_path)
    assert run(capsys, "import", "in.txt", "--edition", "2023-04") == (
        0,
        "wrote 2 item files to entries/2023-04/\n",
    )
    site, _ = check(entries)
    assert {e.id: e.category for e in site.entries.values()} == {
        "mps-solves-cases": "cases",
        "spp-issues-cases": "courts",
    }


def test_bad_headings_setting_is_reported(tmp_path: Path, capsys) -> None:
    entries = fresh_entries(tmp_path)
    with open(entries / "site.yaml", "a", encoding="utf-8") as site:
        site.write('headings:\n  "Data Breaches": breaches\n')
    code, out = run(capsys, "check", "--entries", str(entries), "--no-cache")
    assert code == 1
    assert out == (
        f"{entries.as_posix()}/site.yaml:32: headings: Data Breaches: unknown category 'breaches'; "
        "expected one of regulation, enforcement, cases, courts\n1 problem in 1 file\n"
    )
