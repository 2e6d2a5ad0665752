"""The last stage: the outputs -> the output folder, atomically.

Everything is written into a fresh folder beside the output folder (same parent, so
renames stay on one file system), then swapped in with one rename: a reader or a web
server sees the old site or the new one, never half of each, and a failed or killed
build leaves the old site as it was. Files whose bytes did not change are hard-linked
from the old site, so their modification times (and rsync, and caches) stay put.

Where the swap is an exchange (Linux renameat2), the previous site is not deleted but
kept beside the output as `.<name>.spare`, and the next build brings that spare up to
date (only the files that differ, the folders that come or go) and exchanges it in:
creating and deleting ten thousand folders per build was most of a one-item rebuild.
A killed build can only leave the spare half-updated, never the live site; the next
build compares the spare with what it needs file by file, whatever state it is in.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import posixpath
import shutil
import stat
import tempfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from .output import Output

_TEMP = ".tmp-"  # a build in progress: .<name>.tmp-XXXX
_OLD = ".old-"  # the previous site on its way out: .<name>.old-XXXX
_SPARE = ".spare"  # the site before, kept to become the next one: .<name>.spare
_STAGED = ".digest-staged"  # a file on its way into the spare, at the spare's top
_AT_FDCWD = -100
_RENAME_EXCHANGE = 2


Stat = tuple[int, int, int]  # size, mtime in ns, inode: how a file is known again


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


def stat_of(st: os.stat_result) -> Stat:
    """The parts of a stat that tell whether a file is still the one written."""
    return (st.st_size, st.st_mtime_ns, st.st_ino)


def write(
    outputs: Iterable[Output], out_dir: Path, known: Mapping[str, Stat] | None = None
) -> Written:
    """Replace `out_dir` with exactly `outputs`. Raises ValueError when two outputs share
    a path or a path is unsafe; then nothing is changed.

    `known` is the last build's record of the folder (path -> stat of each file it
    wrote). An output without data keeps the file there, which the caller has found
    as recorded. With a record, files whose bytes did not change are not touched, and
    when nothing changed, nothing is written at all."""
    outputs = tuple(outputs)
    seen: set[str] = set()
    for output in outputs:
        check_path(output.path)
        if output.path in seen:
            raise ValueError(f"output path {output.path!r} is written twice")
        seen.add(output.path)
        if output.data is None and (known is None or output.path not in known):
            raise ValueError(f"output path {output.path!r} has no data and no file to keep")
    out_dir = Path(os.path.abspath(out_dir))
    if out_dir.exists() and not out_dir.is_dir():
        raise NotADirectoryError(f"{out_dir} exists and is not a folder")
    parent = out_dir.parent
    parent.mkdir(parents=True, exist_ok=True)
    remove_leftovers(out_dir)
    old = str(out_dir) if out_dir.is_dir() else None

    # Which outputs differ from the file already there: by size, then by bytes.
    stats: dict[str, Stat] = {}
    changed: list[Output] = []
    for output in outputs:
        if output.data is None:
            stats[output.path] = known[output.path]  # type: ignore[index]
            continue
        same = _same(old, output.path, output.data) if old else None
        if same is None:
            changed.append(output)
        else:
            stats[output.path] = same
    removed = [p for p in known if p not in seen] if known is not None else []

    if old is not None and known is not None and not changed and not removed:
        return Written(len(outputs), len(outputs), stats)
    # Even a one-file change builds a whole new tree (hard links make that cheap) and
    # swaps it in: renaming changed files into the live folder one by one would be
    # quicker, but a build killed halfway would leave a mix of two sites.

    spare = parent / f".{out_dir.name}{_SPARE}"
    if old is not None and _is_real_dir(spare) and _renameat2() is not None:
        stats.update(_refresh(str(spare), outputs, changed, old))
        if _exchange(spare, out_dir):  # the spare is the site now, and the old site spare
            return Written(len(outputs), len(outputs) - len(changed), stats)
        shutil.rmtree(spare)  # no exchange on this file system after all: build afresh

    temp = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}{_TEMP}", dir=parent))
    try:
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(temp, 0o777 & ~umask)  # mkdtemp makes it private; a site is not
        stats.update(_fill(str(temp), outputs, changed, old))
        _swap(temp, out_dir, spare)
    except BaseException:
        shutil.rmtree(temp, ignore_errors=True)
        raise
    return Written(len(outputs), len(outputs) - len(changed), stats)


def _is_real_dir(path: Path) -> bool:
    return path.is_dir() and not path.is_symlink()


def remove_leftovers(out_dir: Path) -> None:
    """Delete the temporary folders a killed build left beside `out_dir`."""
    prefixes = (f".{out_dir.name}{_TEMP}", f".{out_dir.name}{_OLD}")
    if not out_dir.parent.is_dir():
        return
    for child in out_dir.parent.iterdir():
        if child.name.startswith(prefixes) and child.is_dir() and not child.is_symlink():
            shutil.rmtree(child, ignore_errors=True)


_FLAGS = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0)


def _write_file(path: str, data: bytes) -> Stat:
    """Create `path` with `data`: one open, write and fstat (no buffered file object)."""
    fd = os.open(path, _FLAGS, 0o666)
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view) :]
        return stat_of(os.fstat(fd))
    finally:
        os.close(fd)


def _folders(paths: Iterable[str]) -> list[str]:
    """Every folder the paths need, parents before children."""
    folders: set[str] = set()
    for path in paths:
        folder = posixpath.dirname(path)
        while folder and folder not in folders:
            folders.add(folder)
            folder = posixpath.dirname(folder)
    return sorted(folders)


def _fill(temp: str, outputs: tuple[Output, ...], changed: list[Output], old: str | None):
    """Make the new tree in `temp`: each folder once, changed files written, the others
    hard-linked from the old tree (so their mtimes stay)."""
    for folder in _folders(o.path for o in outputs):
        os.mkdir(f"{temp}/{folder}")
    stats: dict[str, Stat] = {}
    fresh = {id(o) for o in changed}
    for output in outputs:
        target = f"{temp}/{output.path}"
        if id(output) in fresh:
            stats[output.path] = _write_file(target, output.data)  # type: ignore[arg-type]
            continue
        source = f"{old}/{output.path}"
        try:
            os.link(source, target)
        except OSError:  # a file system without hard links
            shutil.copy2(source, target)
            stats[output.path] = stat_of(os.stat(target))
    return stats


def _same(old: str, path: str, data: bytes) -> Stat | None:
    """The stat of the old file when it holds exactly `data`, else None."""
    try:
        st = os.lstat(f"{old}/{path}")
        if not stat.S_ISREG(st.st_mode) or st.st_size != len(data):
            return None
        with open(f"{old}/{path}", "rb") as f:
            return stat_of(st) if f.read() == data else None
    except OSError:
        return None


def _refresh(spare: str, outputs: tuple[Output, ...], changed: list[Output], old: str):
    """Make the spare tree hold exactly `outputs`: what it has that the site will not is
    deleted, missing folders made, changed files written and the others hard-linked
    from the live site, each through a staged file renamed into place: a file the spare
    shares with the live site (a hard link) is never written to."""
    wanted = {o.path for o in outputs}
    folders = set(_folders(wanted))
    top = len(spare) + 1
    present: set[str] = set()
    unwanted_folders: list[str] = []
    for where, dirs, files in os.walk(spare):
        rel = where[top:]
        if rel and rel not in folders:
            unwanted_folders.append(where)
            dirs[:] = []
            continue
        for name in files:
            path = f"{rel}/{name}" if rel else name
            if path in wanted:
                present.add(path)
            else:
                os.unlink(f"{where}/{name}")
        for name in list(dirs):
            path = f"{rel}/{name}" if rel else name
            if os.path.islink(f"{where}/{name}"):
                os.unlink(f"{where}/{name}")  # never made by a build; never followed
                dirs.remove(name)
            elif path in wanted:  # a folder where a file belongs
                shutil.rmtree(f"{where}/{name}")
                dirs.remove(name)
    for where in unwanted_folders:
        shutil.rmtree(where)
    umask = os.umask(0)
    os.umask(umask)
    for folder in sorted(folders):
        with contextlib.suppress(FileExistsError):
            os.mkdir(f"{spare}/{folder}", 0o777 & ~umask)
    staged = f"{spare}/{_STAGED}"
    stats: dict[str, Stat] = {}
    fresh = {id(o) for o in changed}
    for output in outputs:
        target = f"{spare}/{output.path}"
        if id(output) in fresh:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(staged)
            stats[output.path] = _write_file(staged, output.data)  # type: ignore[arg-type]
            os.replace(staged, target)
            continue
        source = f"{old}/{output.path}"
        if output.path in present and os.lstat(target).st_ino == os.lstat(source).st_ino:
            continue  # already the live site's file
        with contextlib.suppress(FileNotFoundError):
            os.unlink(staged)
        try:
            os.link(source, staged)
        except OSError:  # a file system without hard links
            shutil.copy2(source, staged)
            stats[output.path] = stat_of(os.stat(staged))
        os.replace(staged, target)
    return stats


def _swap(temp: Path, out_dir: Path, spare: Path) -> None:
    if not out_dir.exists():
        os.rename(temp, out_dir)
        return
    if _exchange(temp, out_dir):
        # temp now holds the old site: keep it as the spare the next build refreshes
        if spare.exists() or spare.is_symlink():
            shutil.rmtree(spare) if _is_real_dir(spare) else spare.unlink()
        os.rename(temp, spare)
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
