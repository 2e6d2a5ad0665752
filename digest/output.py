"""What render produces and write consumes, a file of the site as bytes in memory; and
what write reports of the files it left (kept apart from write.py, which a rebuild with
nothing to do never loads)."""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import partial

Stat = tuple[int, int, int]  # size, mtime in ns, inode: how a file is known again


@dataclass(frozen=True, slots=True)
class Output:
    """One output file: `path` relative to the output folder (POSIX), and its bytes.

    `data` is None when the file the last build wrote there is still right (its `key`,
    the hash of what it is made from, did not change): write keeps that file."""

    path: str
    data: bytes | None
    key: bytes = b""


@dataclass(frozen=True, slots=True)
class Written:
    """What a write did: files in the new site, how many kept their bytes from the old
    one (not rewritten), and the stat of every file now in the output folder."""

    files: int
    unchanged: int
    stats: Mapping[str, Stat] = field(default_factory=dict)

    @property
    def written(self) -> int:
        """Files whose bytes are new."""
        return self.files - self.unchanged


def stat_of(st: os.stat_result) -> Stat:
    """The parts of a stat that tell whether a file is still the one written."""
    return (st.st_size, st.st_mtime_ns, st.st_ino)


def reader(folder: str | None) -> Callable[[str], bytes | None]:
    """A function giving the bytes of the file at an output path of `folder` (a live
    site), or None when it cannot be read or there is no folder."""
    return partial(_read_file, folder) if folder else _nothing


def _read_file(folder: str, path: str) -> bytes | None:
    try:
        with open(f"{folder}/{path}", "rb") as f:
            return f.read()
    except OSError:
        return None


def _nothing(path: str) -> None:
    return None
