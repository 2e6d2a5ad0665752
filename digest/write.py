"""The last stage: the outputs -> the output folder, atomically.

Everything is written into a fresh folder beside the output folder (same parent, so
renames stay on one file system), then swapped in with one rename: a reader or a web
server sees the old site or the new one, never half of each, and a failed or killed
build leaves the old site as it was. Files whose bytes did not change are hard-linked
from the old site, so their modification times (and rsync, and caches) stay put.
"""

from __future__ import annotations

import ctypes
import os
import posixpath
import shutil
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from .output import Output

_TEMP = ".tmp-"  # a build in progress: .<name>.tmp-XXXX
_OLD = ".old-"  # the previous site on its way out: .<name>.old-XXXX
_AT_FDCWD = -100
_RENAME_EXCHANGE = 2


@dataclass(frozen=True, slots=True)
class Written:
    """What a write did: files in the new site, and how many were kept from the old one."""

    files: int
    unchanged: int


def check_path(path: str) -> None:
    """Raise ValueError unless `path` is a relative, normalised POSIX path of a file
    inside the output folder (a bad one is a bug in render, not a content problem)."""
    segments = path.split("/")
    if (
        "\\" in path
        or "\0" in path
        or any(s in ("", ".", "..") for s in segments)
        or posixpath.normpath(path) != path
    ):
        raise ValueError(f"output path {path!r} is not a relative path inside the output folder")


def write(outputs: Iterable[Output], out_dir: Path) -> Written:
    """Replace `out_dir` with exactly `outputs`. Raises ValueError when two outputs share
    a path or a path is unsafe; then nothing is changed."""
    outputs = tuple(outputs)
    seen: set[str] = set()
    for output in outputs:
        check_path(output.path)
        if output.path in seen:
            raise ValueError(f"output path {output.path!r} is written twice")
        seen.add(output.path)
    out_dir = Path(os.path.abspath(out_dir))
    if out_dir.exists() and not out_dir.is_dir():
        raise NotADirectoryError(f"{out_dir} exists and is not a folder")
    parent = out_dir.parent
    parent.mkdir(parents=True, exist_ok=True)
    remove_leftovers(out_dir)

    temp = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}{_TEMP}", dir=parent))
    try:
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(temp, 0o777 & ~umask)  # mkdtemp makes it private; a site is not
        unchanged = _fill(temp, outputs, out_dir if out_dir.is_dir() else None)
        _swap(temp, out_dir)
    except BaseException:
        shutil.rmtree(temp, ignore_errors=True)
        raise
    return Written(files=len(outputs), unchanged=unchanged)


def remove_leftovers(out_dir: Path) -> None:
    """Delete the temporary folders a killed build left beside `out_dir`."""
    prefixes = (f".{out_dir.name}{_TEMP}", f".{out_dir.name}{_OLD}")
    if not out_dir.parent.is_dir():
        return
    for child in out_dir.parent.iterdir():
        if child.name.startswith(prefixes) and child.is_dir() and not child.is_symlink():
            shutil.rmtree(child, ignore_errors=True)


def _fill(temp: Path, outputs: tuple[Output, ...], old: Path | None) -> int:
    unchanged = 0
    made: set[str] = set()
    for output in outputs:
        folder = posixpath.dirname(output.path)
        if folder not in made:
            os.makedirs(temp / folder, exist_ok=True)
            made.add(folder)
        target = temp / output.path
        if old is not None and _same(old / output.path, output.data):
            try:
                os.link(old / output.path, target)
            except OSError:  # a file system without hard links
                shutil.copy2(old / output.path, target)
            unchanged += 1
            continue
        with open(target, "wb") as f:
            f.write(output.data)
    return unchanged


def _same(path: Path, data: bytes) -> bool:
    try:
        if path.is_symlink() or path.stat().st_size != len(data):
            return False
        with open(path, "rb") as f:
            return f.read() == data
    except OSError:
        return False


def _swap(temp: Path, out_dir: Path) -> None:
    if not out_dir.exists():
        os.rename(temp, out_dir)
        return
    if _exchange(temp, out_dir):
        shutil.rmtree(temp)  # now the old site
        return
    # No renameat2 here: two renames, with a short moment in which out_dir is missing.
    old = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}{_OLD}", dir=out_dir.parent))
    os.rmdir(old)
    os.rename(out_dir, old)
    os.rename(temp, out_dir)
    shutil.rmtree(old)


def _exchange(a: Path, b: Path) -> bool:
    """Swap two paths atomically with Linux renameat2(RENAME_EXCHANGE); False when the
    system does not offer it (another OS, an old kernel, a file system without it)."""
    renameat2 = _renameat2()
    if renameat2 is None:
        return False
    result = renameat2(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE)
    if result == 0:
        return True
    errno = ctypes.get_errno()
    if errno in (22, 38, 95):  # EINVAL, ENOSYS, EOPNOTSUPP: not supported here
        return False
    raise OSError(errno, os.strerror(errno), str(b))


def _renameat2():
    try:
        # The running process's own symbols: the C library on Linux, with no search.
        libc = ctypes.CDLL(None, use_errno=True)
        function = libc.renameat2
    except (OSError, AttributeError):
        return None
    function.argtypes = (
        ctypes.c_int,
        ctypes.c_char_p,
        ctypes.c_int,
        ctypes.c_char_p,
        ctypes.c_uint,
    )
    function.restype = ctypes.c_int
    return function
