"""The hostile corpus: content an editor might paste or an attacker might commit, each
case run through `digest build` as a subprocess (a hang fails the case at 20 s instead
of blocking the suite). Each case gives either its exact `path:line` problems, with
exit 1 and the previous site untouched, or a site whose every page and feed passes the
safety audit. Never a traceback.

The cases are fixture files (tests/fixtures/hostile/*.txt, format in its README) and,
for what a text file cannot hold (megabytes, thousands of levels, symbolic links made
at run time), the generated cases below."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
from html_audit import read_text
from site_audit import audit_site, feed_items
from test_check import file_bytes

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).parent / "fixtures" / "hostile"
HOST = "digest.example.org"
DIGEST = (sys.executable, "-m", "digest")
TIMEOUT = 20  # seconds: a hang guard, not a speed test
PREVIOUS = {"index.html": b"<!DOCTYPE html><title>the previous site</title>\n"}
SITE_FEEDS = ("feed.xml", "rss.xml", "feed.json")
ITEM = (
    "---\ntitle: {title}\ndate: 2023-03-23\ncategory: regulation\nagencies: [CAC]\n"
    "source: https://example.org/a\n---\n"
)


@dataclass(frozen=True)
class Case:
    source: str
    name: str
    files: tuple[tuple[str, bytes, str], ...]  # (path, data, "file" | "symlink" | "fifo")
    problems: tuple[str, ...] | None  # None: it must build
    checks: tuple[str, ...] = ()


def _unescape(text: str) -> str:
    return re.sub(r"\\u([0-9a-fA-F]{4})", lambda m: chr(int(m[1], 16)), text)


def read_cases(path: Path) -> list[Case]:
    """Parse one fixture file into its cases."""
    cases = []
    for block in re.split(r"(?m)^## ", path.read_text(encoding="utf-8"))[1:]:
        name, _, rest = block.partition("\n")
        parts = re.split(r"(?m)^=== (.*)\n", rest)
        files: list[tuple[str, bytes, str]] = []
        problems: tuple[str, ...] | None = None
        checks: tuple[str, ...] = ()
        outcome = 0
        for header, body in zip(parts[1::2], parts[2::2], strict=True):
            lines = tuple(line for line in body.strip("\n").split("\n") if line)
            if header == "problems":
                problems, outcome = lines, outcome + 1
            elif header == "builds":
                checks, outcome = tuple(_unescape(c) for c in lines), outcome + 1
            else:
                rel, *flags = header.split(" [")
                flags_set = {flag.rstrip("]") for flag in flags}
                if "symlink" in flags_set:
                    files.append((rel, body.strip("\n").encode(), "symlink"))
                elif "fifo" in flags_set:
                    files.append((rel, b"", "fifo"))
                else:
                    files.append((rel, file_bytes(body, flags_set), "file"))
        assert outcome == 1, f"{path.name}: {name}: give exactly one of problems or builds"
        cases.append(Case(path.name, name.strip(), tuple(files), problems, checks))
    return cases


def _item(title: str, body: str) -> bytes:
    return (ITEM.format(title=title) + body).encode()


def _generated() -> list[Case]:
    limit = 1024 * 1024
    ten_mb = 10 * limit
    head = len(_item('"Huge"', ""))
    long_line = ("word " * 200_000).strip() + "\n"  # a 1 MB line, under the limit
    nested = "".join("  " * i + "- level\n" for i in range(900))  # 900 levels, 0.8 MB
    deep = "Too deep is reported, not lost:"
    too_deep = "lists or quotes are nested too deeply (past 20 quotes or 10 lists); the text from this line on would be lost"
    g = "generated"

    def case(name: str, files: dict[str, bytes], problems=None, checks=()) -> Case:
        return Case(
            g, name, tuple((rel, data, "file") for rel, data in files.items()), problems, checks
        )

    return [
        case(
            "a 10 MB item file",
            {"2023-04/huge.md": _item('"Huge"', "x" * ten_mb)},
            (f"2023-04/huge.md: file: is {head + ten_mb:,} bytes; the limit is {limit:,} bytes",),
        ),
        case(
            "a 10 MB site.yaml",
            {"site.yaml": b"title: x\n" + b"#" * ten_mb},
            (f"site.yaml: file: is {ten_mb + 9:,} bytes; the limit is {limit:,} bytes",),
        ),
        case(
            "a 10 MB agencies.yaml",
            {"agencies.yaml": b"# " * (ten_mb // 2)},
            (f"agencies.yaml: file: is {ten_mb:,} bytes; the limit is {limit:,} bytes",),
        ),
        case(
            "a 1 MB line within the size limit",
            {"2023-04/long-line.md": _item('"Long Line"', long_line)},
            None,
            ("text entries/long-line/index.html: word word word",),
        ),
        case(
            # markdown-it-py spends some 20 microseconds on each bracket, asterisk or
            # underscore: up to 20,000 of them a body builds, in well under a second...
            "long lines of opening brackets, emphasis and backticks",
            {
                "2023-04/brackets.md": _item(
                    '"Brackets"', "[" * 10_000 + "\n\n" + "*a _" * 5_000 + "\n\n" + "`" * 100_000
                )
            },
            None,
            ("text entries/brackets/index.html: [[[[[[[[",),
        ),
        case(
            # ...and more is refused before parsing, so no body can cost half a minute.
            "a megabyte of opening brackets",
            {"2023-04/bracket-flood.md": _item('"Bracket Flood"', "[" * 1_000_000)},
            (
                "2023-04/bracket-flood.md:8: body: has 1,000,000 of the characters [ ] * _; "
                "the limit is 20,000 (Markdown slows down on each one)",
            ),
        ),
        case(
            "lists nested 900 levels deep",
            {"2023-04/nested-lists.md": _item('"Nested Lists"', deep + "\n\n" + nested)},
            ("2023-04/nested-lists.md:19: body: " + too_deep,),
        ),
        case(
            "lists nested 50,000 levels deep on one line",
            {"2023-04/list-line.md": _item('"List Line"', "- " * 50_000 + "deep\n")},
            ("2023-04/list-line.md:8: body: " + too_deep,),
        ),
        case(
            "block quotes nested 100,000 levels deep",
            {"2023-04/quotes.md": _item('"Quotes"', deep + "\n\n" + ">" * 100_000 + " deep\n")},
            ("2023-04/quotes.md:10: body: " + too_deep,),
        ),
        case(
            "quotes and lists nested just within the limit build",
            {
                "2023-04/within.md": _item(
                    '"Within"', ">" * 19 + " nineteen quotes\n\n" + "- " * 9 + "nine lists\n"
                )
            },
            None,
            (
                "text entries/within/index.html: nineteen quotes",
                "text entries/within/index.html: nine lists",
            ),
        ),
        case(
            "YAML nested 10,000 levels deep",
            {"2023-04/deep-yaml.md": _item("[" * 10_000 + "]" * 10_000, "Text.\n")},
            (
                "2023-04/deep-yaml.md:2: front matter: YAML syntax error: exceeded maximum "
                "nesting depth (while increasing flow level)",
            ),
        ),
        case(
            "front matter with 60,000 keys",
            {
                "2023-04/many-keys.md": (
                    "---\n" + "".join(f"k{i}: {i}\n" for i in range(60_000)) + "---\nText.\n"
                ).encode()
            },
            ("2023-04/many-keys.md:2: front matter: YAML error: more than 5000 values",),
        ),
    ]


CASES = [
    *(case for path in sorted(FIXTURES.glob("*.txt")) for case in read_cases(path)),
    *_generated(),
]


def make_site(tmp_path: Path, case: Case) -> tuple[Path, Path]:
    """A site folder for `case`: entries/ (the base plus the case's files), out/ holding
    a previous site, and outside/ (what symbolic links may point at)."""
    outside = tmp_path / "outside"
    (outside / "2023-05").mkdir(parents=True)
    secret = _item('"Secret"', "A file outside the entries folder.\n")
    (outside / "secret.md").write_bytes(secret)
    (outside / "2023-05" / "secret.md").write_bytes(secret)
    (outside / "secret.yaml").write_text('title: "Secret"\nbase_url: "https://evil.example/"\n')
    entries = tmp_path / "entries"
    shutil.copytree(FIXTURES / "_base", entries)
    for rel, data, kind in case.files:
        target = entries / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        if target.exists() or target.is_symlink():
            target.unlink()
        if kind == "symlink":
            target.symlink_to(data.decode().replace("{outside}", str(outside)))
        elif kind == "fifo":
            os.mkfifo(target)
        else:
            target.write_bytes(data)
    out = tmp_path / "out"
    out.mkdir()
    for rel, data in PREVIOUS.items():
        (out / rel).write_bytes(data)
    return entries, out


def build(entries: Path, out: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*DIGEST, "build", "--quiet", "--no-cache", "--entries", ".", "--out", str(out)],
        cwd=entries,
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT), "LC_ALL": "C.UTF-8"},
    )


def tree(folder: Path) -> dict[str, bytes]:
    return {
        p.relative_to(folder).as_posix(): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def summary(lines: tuple[str, ...]) -> str:
    files = len({line.split(":", 1)[0] for line in lines})
    return (
        f"{len(lines)} problem{'' if len(lines) == 1 else 's'} in "
        f"{files} file{'' if files == 1 else 's'}"
    )


def _page(out: Path, rel: str) -> str:
    return (out / rel).read_text(encoding="utf-8")


def _json_strings(value: object) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for v in value.values() for s in _json_strings(v)]
    if isinstance(value, list):
        return [s for v in value for s in _json_strings(v)]
    return []


def failed_checks(out: Path, checks: tuple[str, ...]) -> list[str]:
    """The checks of a `builds` case that do not hold."""
    failed = []
    feeds = {name: feed_items(name, (out / name).read_bytes()) for name in SITE_FEEDS}
    for check in checks:
        kind, _, arg = check.partition(" ")
        if kind == "absent":
            ok = not (out / arg).exists()
        elif kind in ("text", "json-ld"):
            rel, _, want = arg.partition(": ")
            if not (out / rel).is_file():
                failed.append(f"{check} (no such page)")
                continue
            text, blocks, _ = read_text(_page(out, rel))
            if kind == "text":
                ok = want in text
            else:
                strings = [s for b in blocks for s in _json_strings(json.loads(b))]
                ok = any(want in s for s in strings)
        elif kind == "feed-title:":
            ok = all(any(title == arg for title, _ in items) for items in feeds.values())
        elif kind == "feed-text:":
            ok = all(
                any(arg in read_text(html)[0] for _, html in items) for items in feeds.values()
            )
        else:
            raise AssertionError(f"unknown check {check!r}")
        if not ok:
            failed.append(check)
    return failed


@pytest.mark.parametrize("case", CASES, ids=[f"{c.source}:{c.name}" for c in CASES])
def test_hostile_case(case: Case, tmp_path: Path) -> None:
    entries, out = make_site(tmp_path, case)
    result = build(entries, out)
    assert "Traceback" not in result.stdout + result.stderr, result.stderr
    assert result.stderr == ""
    if case.problems is not None:
        assert result.stdout.splitlines() == [*case.problems, summary(case.problems)]
        assert result.returncode == 1
        assert tree(out) == PREVIOUS
    else:
        assert (result.returncode, result.stdout) == (0, "")
        assert tree(out) != PREVIOUS
        assert audit_site(out, HOST) == []
        assert failed_checks(out, case.checks) == []
    # nothing but the site (and, after a successful rebuild, the previous site kept as
    # the spare the next build refreshes) and what the case made is beside the output
    beside = {"entries", "out", "outside"} | ({".out.spare"} if case.problems is None else set())
    assert {p.name for p in tmp_path.iterdir()} == beside


def test_there_are_at_least_40_hostile_cases() -> None:
    assert len(CASES) >= 40
    assert sum(c.problems is None for c in CASES) >= 15
    assert sum(c.problems is not None for c in CASES) >= 15
