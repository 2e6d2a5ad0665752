"""sources.py: an item file unchanged since the last run keeps its recorded content hash
without being read; any change its stat can show (size, mtime, ctime, inode) has it
read again, and so does a file changed too close to its last reading (git's racy rule).
The builds and checks that rely on it give exactly what cold ones give."""

from __future__ import annotations

import os
import shutil
import time
import types
from pathlib import Path

import pytest
from conftest import SHIPPED

from digest import build as build_module
from digest import forked, sources
from digest.build import Options, build, check
from digest.cache import read_blob, write_blob
from digest.load import walk
from digest.sources import content_key, read_sources


@pytest.fixture
def entries(tmp_path: Path) -> Path:
    shutil.copytree(SHIPPED, tmp_path / "s" / "entries")
    return tmp_path / "s" / "entries"


@pytest.fixture
def later(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every reading happens a minute from now: the files, changed just now, are long
    settled by then (not racy), so their stats alone decide."""
    real = time.time_ns
    monkeypatch.setattr(sources, "time", types.SimpleNamespace(time_ns=lambda: real() + 60 * 10**9))


def items(entries: Path) -> tuple[tuple[str, str], ...]:
    return walk(entries)[0].items


def read(entries: Path, cache: Path) -> dict[str, sources.Source]:
    found, problems = read_sources(entries, items(entries), cache)
    assert problems == []
    return {s.rel: s for s in found}


def truth(entries: Path) -> dict[str, bytes]:
    """The content hash of every item file, each read afresh."""
    return {
        rel: content_key((entries / rel).read_bytes(), edition) for rel, edition in items(entries)
    }


def an_item(entries: Path) -> Path:
    return sorted((entries / "2023-04").glob("*.md"))[3]


def rewrite_keeping_mtime(path: Path, data: bytes) -> None:
    """Write `data` (same size) and set the modification time back: only the change
    time (which no one can set) shows the edit. Rewritten until it does, for file
    systems whose clock ticks coarsely."""
    before = path.stat()
    for _ in range(100):
        path.write_bytes(data)
        os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
        if path.stat().st_ctime_ns != before.st_ctime_ns:
            return
        time.sleep(0.01)
    pytest.skip("the file system's change time did not move")


def same_size_edit(data: bytes) -> bytes:
    """Other bytes of the same length (one letter of the body changed)."""
    i = data.rindex(b"e")
    return data[:i] + b"a" + data[i + 1 :]


def test_unchanged_files_are_not_read_again(entries: Path, tmp_path: Path, later) -> None:
    cache = tmp_path / "cache"
    first = read(entries, cache)
    assert all(s.data is not None for s in first.values())  # nothing known yet: all read
    record = next(cache.glob("sources-*.bin"))
    written = record.read_bytes()
    second = read(entries, cache)
    assert all(s.data is None for s in second.values())  # all known: none read
    assert {rel: s.key for rel, s in second.items()} == truth(entries)
    assert record.read_bytes() == written  # nothing changed: the record is not rewritten


def test_an_edited_file_is_read_again(entries: Path, tmp_path: Path, later) -> None:
    cache = tmp_path / "cache"
    read(entries, cache)
    item = an_item(entries)
    item.write_text(item.read_text() + "\nOne more sentence.\n")
    again = read(entries, cache)
    rel = item.relative_to(entries).as_posix()
    assert again[rel].data == item.read_bytes()
    assert {r: s.data is None for r, s in again.items()} == {r: r != rel for r in again}
    assert {r: s.key for r, s in again.items()} == truth(entries)


def test_a_same_size_edit_with_its_mtime_set_back_is_noticed(
    entries: Path, tmp_path: Path, later
) -> None:
    cache = tmp_path / "cache"
    read(entries, cache)
    item = an_item(entries)
    rewrite_keeping_mtime(item, same_size_edit(item.read_bytes()))
    again = read(entries, cache)
    rel = item.relative_to(entries).as_posix()
    assert again[rel].data == item.read_bytes()
    assert again[rel].key == truth(entries)[rel]


def test_a_file_replaced_by_another_is_noticed(entries: Path, tmp_path: Path, later) -> None:
    cache = tmp_path / "cache"
    read(entries, cache)
    item = an_item(entries)
    before = item.stat()
    other = item.with_name(".replacement")
    other.write_bytes(same_size_edit(item.read_bytes()))
    os.utime(other, ns=(before.st_atime_ns, before.st_mtime_ns))
    os.replace(other, item)  # as an editor saves: another inode, same size and mtime
    assert item.stat().st_ino != before.st_ino
    again = read(entries, cache)
    rel = item.relative_to(entries).as_posix()
    assert again[rel].data == item.read_bytes()
    assert again[rel].key == truth(entries)[rel]


def test_a_racy_file_is_read_again(
    entries: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A file changed within RACY_NS of its reading could change again without its stat
    showing it. That is simulated by a wrong hash in the record: it must not be used."""
    cache = tmp_path / "cache"
    rel = an_item(entries).relative_to(entries).as_posix()

    def record_a_wrong_hash() -> None:
        path = next(cache.glob("sources-*.bin"))
        folder, start, known = read_blob(path, sources._FORMAT)
        known[rel] = (*known[rel][:4], b"\0" * 16)
        write_blob(path, sources._FORMAT, (folder, start, known))

    read(entries, cache)  # now: the files were all changed just before (copied)
    record_a_wrong_hash()
    assert read(entries, cache)[rel].key == truth(entries)[rel]

    # The same, with the first reading a minute after the copy: the stat is trusted
    # (which is how the rule above is seen to matter).
    shutil.rmtree(cache)
    real = time.time_ns
    monkeypatch.setattr(sources, "time", types.SimpleNamespace(time_ns=lambda: real() + 60 * 10**9))
    read(entries, cache)
    record_a_wrong_hash()
    assert read(entries, cache)[rel].key == b"\0" * 16


def test_a_damaged_record_is_ignored(entries: Path, tmp_path: Path, later) -> None:
    cache = tmp_path / "cache"
    read(entries, cache)
    record = next(cache.glob("sources-*.bin"))
    record.write_bytes(record.read_bytes()[:100])
    again = read(entries, cache)
    assert all(s.data is not None for s in again.values())
    assert {r: s.key for r, s in again.items()} == truth(entries)


def test_an_unreadable_file_is_a_problem_as_before(entries: Path, tmp_path: Path, later) -> None:
    cache = tmp_path / "cache"
    read(entries, cache)
    item = an_item(entries)
    item.unlink()
    item.mkdir()  # a folder where the file was: no longer a file to read
    rel = item.relative_to(entries).as_posix()
    cold = read_sources(entries, ((rel, "2023-04"),))
    warm = read_sources(entries, ((rel, "2023-04"),), cache)
    assert cold[0] == warm[0] == ()
    assert cold[1] == warm[1] != []


def tree(folder: Path) -> dict[str, bytes]:
    return {
        p.relative_to(folder).as_posix(): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


@pytest.mark.parametrize("fork", [False, True], ids=["in process", "forked"])
@pytest.mark.parametrize("change", ["mtime set back", "replaced", "registry"])
def test_builds_trusting_stats_equal_cold_builds(
    entries: Path, later, change: str, fork: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Forked: the items' stats are taken in a process of their own, as a big site's
    are (build.FORK_DATA_FROM lowered for the shipped 30 items)."""
    site = entries.parent
    options = Options(cache_dir=site / "cache")
    assert build(entries, site / "out", options)[1] == []
    looked = []
    if fork:
        monkeypatch.setattr(build_module, "FORK_DATA_FROM", 1)
        start = forked.start

        def start_and_note(work, fork=True, then=None):
            looked.append(getattr(work, "func", None))
            return start(work, fork, then)

        monkeypatch.setattr(forked, "start", start_and_note)
    item = an_item(entries)
    if change == "mtime set back":
        rewrite_keeping_mtime(item, same_size_edit(item.read_bytes()))
    elif change == "replaced":
        other = item.with_name(".replacement")
        other.write_bytes(same_size_edit(item.read_bytes()))
        os.utime(other, ns=(item.stat().st_atime_ns, item.stat().st_mtime_ns))
        os.replace(other, item)
    else:
        # every cached item checked against another registry: each file, though known
        # unchanged (not read above), is read to be checked again
        path = entries / "agencies.yaml"
        path.write_text(path.read_text() + "\nZZTEST:\n  name: A Test Agency\n  level: other\n")
    built, problems = build(entries, site / "out", options)
    assert problems == [] and built is not None and built.written.written > 0
    assert (sources.changed_files in looked) is fork
    # The build kept the stats of this run (in the feeds' process, once it has sent its
    # outputs, when it forks).
    assert all(s.data is None for s in read_sources(entries, items(entries), site / "cache")[0])
    assert build(entries, site / "cold", Options())[1] == []
    assert tree(site / "out") == tree(site / "cold")
    assert check(entries, options) == check(entries)


def test_a_rebuild_with_nothing_to_do_keeps_the_stat_of_a_touched_file(
    entries: Path, later
) -> None:
    site = entries.parent
    options = Options(cache_dir=site / "cache")
    assert build(entries, site / "out", options)[1] == []
    item = an_item(entries)
    os.utime(item, ns=(item.stat().st_atime_ns, item.stat().st_mtime_ns + 10**9))
    built, problems = build(entries, site / "out", options)
    assert problems == [] and built.written.written == 0  # its bytes are the same
    # Read once more by that rebuild, and known unchanged from then on.
    assert all(s.data is None for s in read_sources(entries, items(entries), site / "cache")[0])
