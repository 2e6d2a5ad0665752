"""`digest check` on the fixture cases in tests/fixtures/problems/: each case is a small
entries folder and the exact problem lines it must give."""

from __future__ import annotations

import codecs
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest

from digest.build import check
from digest.problems import format_problems

FIXTURES = Path(__file__).parent / "fixtures" / "problems"


@dataclass(frozen=True)
class Case:
    source: str
    name: str
    files: tuple[tuple[str, bytes], ...]
    expected: tuple[str, ...]


def file_bytes(text: str, flags: set[str]) -> bytes:
    """A fixture file's text as the bytes to write, after its [crlf] [bom] [bytes] flags."""
    if "crlf" in flags:
        text = text.replace("\n", "\r\n")
    data = codecs.escape_decode(text.encode("utf-8"))[0] if "bytes" in flags else text.encode()
    if "bom" in flags:
        data = b"\xef\xbb\xbf" + data
    return data


def read_cases(path: Path) -> list[Case]:
    """Parse one fixture file into its cases."""
    cases = []
    for block in re.split(r"(?m)^## ", path.read_text(encoding="utf-8"))[1:]:
        name, _, rest = block.partition("\n")
        parts = re.split(r"(?m)^=== (.*)\n", rest)
        files, expected = [], ()
        for header, body in zip(parts[1::2], parts[2::2], strict=True):
            if header == "problems":
                expected = tuple(line for line in body.strip("\n").split("\n") if line)
                continue
            rel, *flags = header.split(" [")
            flags = {flag.rstrip("]") for flag in flags}
            files.append((rel, file_bytes(body, flags)))
        cases.append(Case(path.name, name.strip(), tuple(files), expected))
    return cases


CASES = [case for path in sorted(FIXTURES.glob("*.txt")) for case in read_cases(path)]


def make_entries(tmp_path: Path, files) -> Path:
    """A fresh entries folder: the base settings, then the case's files."""
    entries = tmp_path / "entries"
    shutil.copytree(FIXTURES / "_base", entries)
    for rel, data in files:
        target = entries / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
    return entries


def problem_lines(entries: Path) -> list[str]:
    _site, problems = check(entries)
    text = format_problems(problems)
    return text.splitlines()[:-1] if problems else []


@pytest.mark.parametrize("case", CASES, ids=[f"{c.source}:{c.name}" for c in CASES])
def test_fixture_case(case: Case, tmp_path: Path) -> None:
    entries = make_entries(tmp_path, case.files)
    assert problem_lines(entries) == list(case.expected)


def test_there_are_many_cases() -> None:
    # A guard against a parser change that silently drops cases.
    assert len(CASES) >= 40
