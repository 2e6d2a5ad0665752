"""Reading the item files: each file's content hash (the key of its checked item in the
cache, and part of the keys of the pages that show it), and its bytes when they were read.

A rebuild need not read a file that has not changed since the last run. The cache
folder keeps, per entries folder, each item file's stat (size, modification time,
change time, inode) with its content hash, and a file whose stat is still the one
recorded keeps its hash without being read, as git's index does. The change time and
the inode catch what the rest can miss: a file edited and its modification time set
back, or replaced by another file of the same size and time.

Git's "racy file" rule keeps the shortcut sound: a file whose stat was recorded less
than RACY_NS after it last changed may have changed again within the same timestamp
tick, its stat showing nothing; its hash is never trusted, the file is read again.

The stats are taken apart from the reading (changed_files, then look_at_sources), so
that a big rebuild can have another process take them while it walks the entries folder.

A file that is read (a changed, new, racy or linked one, or every file without a
cache) gives exactly the problems load.read_bytes gives; one that is not read has
`data` None, and items.check_sources reads it only if the cache has no checked item
for its hash."""

from __future__ import annotations

import os
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from .cache import folder_file, read_blob, write_blob
from .hashes import blake2b
from .load import read_file
from .problems import Problem

# Modification or change times this close to the time of reading (or after it) are
# racy: file systems keep times in ticks (up to 2 s on FAT; a few ms of clock lag on
# Linux), and a second change within one tick leaves the stat as it was. (The file
# times are compared with this machine's clock: a network file system whose server's
# clock runs more than this behind it could defeat the rule, as it can git's.)
RACY_NS = 2_000_000_000

_FORMAT = "sources-1"

# What a stat is compared on, with the content hash at the end:
# (size, mtime_ns, ctime_ns, inode, key).
Known = tuple[int, int, int, int, bytes]


@dataclass(frozen=True, slots=True)
class Source:
    """An item file's content hash (the cache key), and its bytes when they were read
    (None: the file is unchanged since the last run and was not read)."""

    rel: str
    edition: str
    data: bytes | None
    key: bytes


def content_key(data: bytes, edition: str) -> bytes:
    """The content hash of an item file's bytes in its edition."""
    return blake2b(data, digest_size=16, person=edition.encode()).digest()


@dataclass(frozen=True, slots=True)
class Recorded:
    """The item files' stats the last run kept for an entries folder (see above), as
    read at the start of this run."""

    path: Path | None  # the file they are kept in (None: no cache folder)
    stats: Mapping[str, Known]  # by path in the entries folder
    since: int  # a change recorded before this time (ns) is not racy (RACY_NS)
    start: int  # this run's time before any file was looked at


def recorded_stats(root: Path, cache_dir: Path | None = None) -> Recorded:
    """The stats kept in `cache_dir` for the entries folder `root` (none without one, or
    when they cannot be read); to be read before any of its files is looked at."""
    start = time.time_ns()  # before any file is looked at: see RACY_NS
    path = folder_file(cache_dir, "sources", root) if cache_dir is not None else None
    known, since = _read_known(path, root)
    return Recorded(path, known, since, start)


def changed_files(root: Path, recorded: Recorded) -> frozenset[str]:
    """The files of `recorded` that must be read again: gone, with another stat, or
    with a stat recorded too soon after a change to be trusted (RACY_NS). Some ten
    thousand lstats at ten thousand items, and nothing else: a rebuild has a forked
    process do them (build.py)."""
    top = os.fspath(root)
    lstat = os.lstat
    since = recorded.since
    changed = []
    for rel, old in recorded.stats.items():
        try:
            st = lstat(f"{top}/{rel}")
        except OSError:
            changed.append(rel)
            continue
        if not (
            st.st_mtime_ns < since
            and st.st_ctime_ns < since
            and (st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino) == old[:4]
        ):
            changed.append(rel)
    return frozenset(changed)


def read_sources(
    root: Path, items: Iterable[tuple[str, str]], cache_dir: Path | None = None
) -> tuple[tuple[Source, ...], list[Problem]]:
    """The content hash of every item file (in path order), reading each file unless
    the cache in `cache_dir` knows it unchanged; and the problems of the files read.

    The stats of this run are kept in `cache_dir` for the next one (rewritten only when
    they changed, so a run with nothing to do writes nothing)."""
    looked = look_at_sources(root, items, cache_dir)
    looked.save()
    return looked.sources, looked.problems


@dataclass(frozen=True, slots=True)
class Looked:
    """What look_at_sources found: the Sources and the problems of the files read, and
    the stats to keep for the next run (`save`)."""

    sources: tuple[Source, ...]
    problems: list[Problem]
    root: Path
    recorded: Recorded
    now: dict[str, Known]
    trusted: int  # how many files kept their recorded stat

    def save(self) -> None:
        """Keep the stats of this run in the cache folder, if they changed."""
        path, known = self.recorded.path, self.recorded.stats
        if path is not None and (
            self.trusted < len(self.sources) or self.now.keys() != known.keys()
        ):
            write_blob(path, _FORMAT, (os.path.abspath(self.root), self.recorded.start, self.now))


def look_at_sources(
    root: Path,
    items: Iterable[tuple[str, str]],
    cache_dir: Path | None = None,
    recorded: Recorded | None = None,
    changed: frozenset[str] | None = None,
) -> Looked:
    """read_sources, but the stats are kept only when the caller says so (Looked.save):
    a build has that done off the path its pages wait on. (`recorded` and `changed`:
    recorded_stats and changed_files, when the caller has them already.)"""
    if recorded is None:
        recorded = recorded_stats(root, cache_dir)
    if changed is None:
        changed = changed_files(root, recorded)
    known = recorded.stats
    problems: list[Problem] = []
    sources = []
    now: dict[str, Known] = {}
    trusted = 0
    for rel, edition in items:
        old = known.get(rel)
        if old is not None and rel not in changed:
            sources.append(Source(rel, edition, None, old[4]))
            now[rel] = old
            trusted += 1
            continue
        data, info, found = read_file(root, rel)
        if data is None:
            problems += found
            continue
        key = content_key(data, edition)
        sources.append(Source(rel, edition, data, key))
        if info is not None:  # not for a file read through a link: see load.read_file
            now[rel] = (info.st_size, info.st_mtime_ns, info.st_ctime_ns, info.st_ino, key)
    return Looked(tuple(sources), problems, root, recorded, now, trusted)


def _read_known(path: Path | None, root: Path) -> tuple[dict[str, Known], int]:
    """The stats recorded for the entries folder `root`, and the time before which a
    recorded change is not racy; nothing when there is no readable record of it."""
    if path is None:
        return {}, 0
    value = read_blob(path, _FORMAT)
    try:
        folder, start, known = value  # type: ignore[misc]
    except (TypeError, ValueError):
        return {}, 0
    if folder != os.path.abspath(root) or not isinstance(known, dict) or type(start) is not int:
        return {}, 0
    return known, start - RACY_NS
