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


def file_pieces(folder: str | None) -> Callable[[str], FilePieces | None]:
    """A function giving the file at an output path of `folder` (a live site) to be read
    a piece at a time, or None when there is no such file or no folder."""
    return partial(FilePieces.at, folder) if folder else _nothing


class FilePieces:
    """A file read a piece at a time, as it was when first looked at: `len()` is its
    size, `[a:b]` those bytes (b"" past the end), `whole()` all of them. A piece of a
    file that is no longer the one first looked at (another inode, size or mtime, as
    write.py tells its files again) raises OSError."""

    __slots__ = ("_known", "path", "size")

    def __init__(self, path: str, st: os.stat_result) -> None:
        self.path = path
        self.size = st.st_size
        self._known = stat_of(st)

    @classmethod
    def at(cls, folder: str, path: str) -> FilePieces | None:
        """The file at `path` in `folder`; None when there is no regular file there."""
        where = f"{folder}/{path}"
        try:
            st = os.stat(where)
        except OSError:
            return None
        import stat  # only where pieces are read: after an edit, in the data files' process

        return cls(where, st) if stat.S_ISREG(st.st_mode) else None

    def __len__(self) -> int:
        return self.size

    def __getitem__(self, where: slice) -> bytes:
        start, stop, step = where.indices(self.size)
        if step != 1:
            raise ValueError("pieces are read forward, step 1")
        return self._read(start, max(0, stop - start))

    def whole(self) -> bytes:
        """Every byte of the file."""
        return self._read(0, self.size)

    def _read(self, at: int, size: int) -> bytes:
        # Non-blocking: were it replaced by a named pipe since, opening it must not wait.
        flags = os.O_RDONLY | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_NONBLOCK", 0)
        fd = os.open(self.path, flags)
        try:
            st = os.fstat(fd)
            if stat_of(st) != self._known:
                raise OSError(f"{self.path} changed while it was read")
            parts = []
            while size:
                part = os.pread(fd, size, at)
                if not part:
                    raise OSError(f"{self.path} ended early")
                parts.append(part)
                at += len(part)
                size -= len(part)
            return parts[0] if len(parts) == 1 else b"".join(parts)
        finally:
            os.close(fd)


def _read_file(folder: str, path: str) -> bytes | None:
    try:
        with open(f"{folder}/{path}", "rb") as f:
            return f.read()
    except OSError:
        return None


def _nothing(path: str) -> None:
    return None
