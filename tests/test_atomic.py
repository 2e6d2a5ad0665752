"""Atomic output: `digest build` killed with SIGKILL at any moment leaves the previous site
whole, and the next build succeeds and clears what the killed one left.

A corpus of a few hundred items (tests/benchmark/corpus.py) is built cold twice, as it
is (site A) and edited (site B: a title changed, an item removed, one added), to know
both sites' bytes. Then builds are killed again and again over a published site, each
time building the other corpus: after every kill the site must be exactly A or exactly
B (file set and bytes), never a mix and never missing; then a normal build must make
exactly the site it was asked for and leave nothing beside it. The kills are spread over
a measured build's whole duration and, more densely, over its write phase (from the
moment its temporary folder appears), where a non-atomic write would show."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

from test_build import tree

from digest.build import Options, build
from tests.benchmark.corpus import make

ROOT = Path(__file__).resolve().parent.parent
ITEMS = 200
SPREAD = 12  # kills spread over the whole build
IN_WRITE = 12  # kills spread over the write phase


def _edit(entries: Path) -> None:
    """Site B: one title changed, one item removed, one added."""
    items = sorted(entries.rglob("item-*.md"))
    first = items[0].read_text()
    items[0].write_text(first.replace('title: "', 'title: "Edited: ', 1))
    items[1].unlink()
    (items[2].parent / "item-added.md").write_text(items[3].read_text())


def _command(entries: Path, out: Path) -> list[str]:
    paths = ["--entries", str(entries), "--out", str(out)]
    return [sys.executable, "-m", "digest", "build", "--quiet", "--no-cache", *paths]


def _start(entries: Path, out: Path) -> subprocess.Popen[bytes]:
    # its own process group, so that the kill reaches any worker process too
    return subprocess.Popen(
        _command(entries, out),
        cwd=out.parent.parent,
        env={**os.environ, "PYTHONPATH": str(ROOT), "PYTHONDONTWRITEBYTECODE": "1"},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )


def _temp_exists(out: Path) -> bool:
    return any(p.name.startswith(f".{out.name}.tmp-") for p in out.parent.iterdir())


def _spare_mtime(out: Path) -> int | None:
    try:
        return (out.parent / f".{out.name}.spare").stat().st_mtime_ns
    except FileNotFoundError:
        return None


def _writing(out: Path, spare_before: int | None, process: subprocess.Popen[bytes]) -> bool:
    """Whether a build has begun writing: a new tree is being made beside the site, the
    spare tree (the site before last, which later builds refresh and exchange in) has
    begun to change, or the build has written into a file (a file of the spare's own
    is written over in place, which changes no folder)."""
    return _temp_exists(out) or _spare_mtime(out) != spare_before or _wrote_files(process.pid)


def _wrote_files(pid: int) -> bool:
    """Whether the process has written anything: Linux counts the bytes a process has
    passed to write() (`wchar`). A quiet build under 400 items writes nothing else
    before its files (no worker processes and their pipes, no cache, no output, and no
    bytecode: see _start). `write_bytes` would not do: it counts only pages that were
    clean, and the last builds' pages are mostly still dirty. False where the count
    cannot be read."""
    try:
        with open(f"/proc/{pid}/io", "rb") as fh:
            fields = dict(line.split(b": ") for line in fh.read().splitlines())
    except (OSError, ValueError):
        return False
    return int(fields.get(b"wchar", b"0")) > 0


def _measure(entries: Path, out: Path) -> tuple[float, float]:
    """A whole build's duration, and how long after the start it begins writing."""
    spare_before = _spare_mtime(out)
    start = time.monotonic()
    process = _start(entries, out)
    appeared = None
    while process.poll() is None:
        if appeared is None and _writing(out, spare_before, process):
            appeared = time.monotonic() - start
        time.sleep(0.001)
    duration = time.monotonic() - start
    assert process.returncode == 0, process.stderr.read() if process.stderr else ""
    assert appeared is not None
    return duration, appeared


def _kill_after(entries: Path, out: Path, delay: float, in_write: bool) -> tuple[bool, bool]:
    """Start a build and SIGKILL it `delay` seconds after its start (or after it begins
    writing): whether it was still running when killed, and whether it was writing."""
    spare_before = _spare_mtime(out)
    start = time.monotonic()
    process = _start(entries, out)
    if in_write:
        while process.poll() is None and not _writing(out, spare_before, process):
            time.sleep(0.0005)
        start = time.monotonic()
    while process.poll() is None and time.monotonic() - start < delay:
        time.sleep(0.0005)
    running = process.poll() is None
    writing = running and _writing(out, spare_before, process)
    if running:
        os.killpg(process.pid, signal.SIGKILL)
    process.wait(timeout=30)
    if process.stderr:
        process.stderr.close()
    killed = running and process.returncode == -signal.SIGKILL
    return killed, killed and writing


def test_a_killed_build_leaves_the_previous_site_whole(tmp_path: Path) -> None:
    corpus = {"A": make(tmp_path / "a", ITEMS), "B": tmp_path / "b" / "entries"}
    shutil.copytree(corpus["A"], corpus["B"])
    _edit(corpus["B"])
    expected = {}
    for name, entries in corpus.items():
        built, problems = build(entries, tmp_path / f"ref-{name}", Options())
        assert problems == [] and built is not None
        expected[name] = tree(tmp_path / f"ref-{name}")
    assert expected["A"].keys() != expected["B"].keys()

    public = tmp_path / "public"
    public.mkdir()
    out = public / "site"
    shutil.copytree(tmp_path / "ref-A", out)
    _measure(corpus["B"], out)
    assert tree(out) == expected["B"]
    # Measured again, once the site has a spare: the builds below are all like this one
    # (they bring the spare up to date), and quicker than the first.
    duration, appeared = _measure(corpus["A"], out)
    assert tree(out) == expected["A"]
    window = duration - appeared  # the write phase, and the process's exit

    # (a margin at the end: later builds may run faster than the measured one)
    moments = [(duration * 0.7 * i / SPREAD, False) for i in range(1, SPREAD + 1)]
    moments += [(window * 0.6 * i / IN_WRITE, True) for i in range(IN_WRITE)]
    current, killed, in_write = "A", 0, 0
    for delay, after_writing_began in moments:
        target = "A" if current == "B" else "B"
        was_killed, was_writing = _kill_after(corpus[target], out, delay, after_writing_began)
        killed += was_killed
        in_write += was_writing
        found = tree(out)
        assert found in (expected["A"], expected["B"]), (delay, after_writing_began)
        # the next normal build succeeds, and clears what the killed one left
        built, problems = build(corpus[target], out, Options())
        assert problems == [] and built is not None
        assert tree(out) == expected[target]
        assert {p.name for p in public.iterdir()} <= {"site", ".site.spare"}
        current = target
    # The kills did land inside builds, and some while they were writing.
    seen = f"build {duration:.2f} s, writing from {appeared:.2f} s: {killed} killed, {in_write} writing"
    assert killed >= 20, seen
    assert in_write >= 3, seen
