"""The last stage: the outputs -> the output folder, atomically.

Everything is written into a folder beside the output folder (same parent, so renames
stay on one file system), then swapped in with one rename: a reader or a web server
sees the old site or the new one, never half of each, and a failed or killed build
leaves the old site as it was. Files whose bytes did not change are hard-linked from
the old site, so their modification times (and rsync, and caches) stay put.

Where the swap is an exchange (Linux renameat2), the previous site is not deleted but
kept beside the output as `.<name>.spare`, and the next build brings that spare up to
date (only the files that differ, the folders that come or go) and exchanges it in:
creating and deleting ten thousand folders per build was most of a one-item rebuild.
The very first build makes the spare alongside the site (hard links to the same files),
so the second need not copy the whole tree either; so does a build whose output folder
was deleted by hand, deleting the spare that was left (it shares no file with the new
site).

The stage is three calls, so that writing can overlap rendering: `begin` picks the
folder to fill, `put` writes one output into it (from any of several forked processes,
each with its own staged file), `finish` links the unchanged files, deletes what the
new site lacks and swaps; `write` is the three in a row.

The spare carries a manifest of its files (path -> inode) so that a build need not
walk it; `begin` takes the manifest out before anything in the spare changes. A killed
build therefore leaves a spare without one, and the next build compares the spare with
what it needs folder by folder, whatever state it is in.
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import marshal
import os
import posixpath
import shutil
import stat
import tempfile
from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple, TypeVar

from .output import Output, Stat, Written, stat_of

if TYPE_CHECKING:
    from multiprocessing.process import BaseProcess
    from typing import BinaryIO

_TEMP = ".tmp-"  # a build in progress: .<name>.tmp-XXXX
_OLD = ".old-"  # the previous site on its way out: .<name>.old-XXXX
_SPARE = ".spare"  # the site before, kept to become the next one: .<name>.spare
_STAGED = ".digest-staged"  # a file on its way into the spare, at the spare's top
_AT_FDCWD = -100
_RENAME_EXCHANGE = 2


T = TypeVar("T")


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


@dataclass(slots=True)
class Target:
    """Where a build puts its files before they are swapped in: a fresh folder beside
    the output, or the spare (the site before last, brought up to date file by file).

    Made by `begin`; `put` may be called on it from several processes at once (forked
    render workers: each writes different paths); `finish` completes and swaps it."""

    out_dir: str  # the output folder (absolute)
    root: str  # the folder being filled
    live: str | None  # the site now in the output folder, if there is one
    spare: bool  # root is the spare: it may share files (hard links) with the live site
    # The spare's files as the last build left them (path -> inode; 0: there, unknown),
    # or None: not known (a killed build, a stray hand), so finish looks for itself.
    manifest: dict[str, int] | None = None
    # A cold build (no live site, no spare) fills a second fresh folder with hard links
    # to the same files: it becomes the spare, so that the next build need not copy ten
    # thousand folders to have something to swap.
    mirror: str | None = None
    # Folders this process has made under root or the mirror (a cache, never shared
    # between processes).
    made: set[str] = field(default_factory=set)
    # The process making folders ahead of the writers (see make_folders), if any.
    maker: BaseProcess | None = None
    # A spare found without a live site (the output folder was deleted by hand): it
    # shares nothing with the new site, so it is set aside under a leftover's name, to
    # be deleted while the build goes on (see make_folders), and a mirror made instead.
    discard: str | None = None
    # Folders made for outputs guessed before they were known (make_folders): those
    # that no output needs, empty, are removed by finish.
    guessed: list[str] = field(default_factory=list)


class Placed(NamedTuple):
    """An output `put` has dealt with: the stat of its file, whether the live site had
    those bytes already (then nothing was written: finish links the live file), and the
    inode of the live site's file at that path (0: none).

    A named tuple, not a dataclass: each crosses from a render worker to the parent,
    and unpickling a slotted dataclass runs Python code per field (11,500 a build)."""

    path: str
    stat: Stat
    kept: bool
    live_ino: int = 0


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
    check_outputs(outputs, known)
    target = begin(out_dir)
    try:
        placed = {o.path: put(target, o) for o in outputs if o.data is not None}
        return finish(target, outputs, placed, known)
    except BaseException:
        abandon(target)
        raise


def check_outputs(
    outputs: Iterable[Output],
    known: Mapping[str, Stat] | None,
    placed: Collection[str] = (),
) -> None:
    """Raise ValueError unless the outputs' paths are safe, distinct and can all be
    files at once (none is another's folder), and each output without data was put
    already (`placed`) or keeps a file the record knows."""
    seen: set[str] = set()
    _check_clash(seen, _check_some(outputs, known or {}, placed, seen))


def _check_some(
    outputs: Iterable[Output], known: Mapping[str, Stat], placed: Collection[str], seen: set[str]
) -> bool:
    """check_outputs for some of the outputs, the paths of the others checked so far in
    `seen` (the clash of paths and folders is left to _check_clash); whether any path
    is one the record does not know."""
    new = False
    for output in outputs:
        if output.path not in known:  # a path the last build wrote was checked then
            if output.path not in placed:  # put checked those
                check_path(output.path)
            new = True
        if output.path in seen:
            raise ValueError(f"output path {output.path!r} is written twice")
        seen.add(output.path)
        if output.data is None and output.path not in placed and output.path not in known:
            raise ValueError(f"output path {output.path!r} has no data and no file to keep")
    return new


def _check_clash(seen: set[str], new: bool) -> None:
    # Paths all written by the last build cannot clash: its outputs were checked.
    clash = seen.intersection(_folder_set(seen)) if new else ()
    if clash:
        raise ValueError(f"output path {min(clash)!r} is also a folder of another output")


def begin(out_dir: Path) -> Target:
    """Choose and prepare the folder a build fills: the spare when there is a live site
    and the exchange to swap them (the spare's manifest is taken out of it first, so
    that a build killed while changing the spare leaves it marked unknown), else a new
    empty folder beside the output."""
    out = os.path.abspath(out_dir)
    if os.path.exists(out) and not os.path.isdir(out):
        raise NotADirectoryError(f"{out} exists and is not a folder")
    parent = os.path.dirname(out)
    try:
        os.makedirs(parent, exist_ok=True)
    except FileExistsError:  # a file where a folder above the output belongs
        raise NotADirectoryError(errno.ENOTDIR, "not a folder", parent) from None
    remove_leftovers(Path(out))
    live = out if os.path.isdir(out) else None
    spare = _spare_of(out)
    if live is not None and _is_real_dir(Path(spare)) and _renameat2() is not None:
        return Target(out, spare, live, True, _take_manifest(spare))
    temp = _new_folder(out)
    mirror = discard = None
    if live is None and _renameat2() is not None:
        if _is_real_dir(Path(spare)):
            discard = _set_aside(out, spare)
        if not os.path.lexists(spare):
            mirror = _new_folder(out)
    return Target(out, temp, live, False, mirror=mirror, discard=discard)


def _set_aside(out: str, folder: str) -> str:
    """Rename `folder` to a name beside the output that remove_leftovers deletes, should
    this build not get to delete it."""
    old = tempfile.mkdtemp(prefix=f".{os.path.basename(out)}{_OLD}", dir=os.path.dirname(out))
    os.rmdir(old)
    os.rename(folder, old)
    return old


def _new_folder(out: str) -> str:
    """A new empty folder beside the output, named as a build's temporary folder."""
    temp = tempfile.mkdtemp(prefix=f".{os.path.basename(out)}{_TEMP}", dir=os.path.dirname(out))
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(temp, 0o777 & ~umask)  # mkdtemp makes it private; a site is not
    return temp


def make_folders(target: Target, paths: Iterable[str], *, guessed: bool = False) -> None:
    """Start making the folders these output paths need, in a process of its own, while
    the build goes on (creating a folder is the slowest part of writing a file here:
    ten thousand item pages are ten thousand folders). The writers make any folder
    that is not there yet themselves; finish waits for this process.

    `guessed`: the paths are a guess made before the outputs are known; finish removes
    the folders that no output turns out to need."""
    import multiprocessing  # here: a rebuild with nothing to write never needs it

    if "fork" not in multiprocessing.get_all_start_methods():
        return
    folders = _folders(paths)
    if guessed:
        target.guessed = folders
    roots = [target.root] + ([target.mirror] if target.mirror else [])
    maker = multiprocessing.get_context("fork").Process(
        target=_make_all, args=(roots, folders, target.discard)
    )
    maker.start()
    target.maker = maker
    target.discard = None  # the maker deletes it


def _remove_unneeded(target: Target, paths: Collection[str]) -> None:
    """Remove the guessed folders (make_folders) that none of these output paths needs:
    no output was put in them, so they are empty (their own guessed folders first)."""
    needed = _folder_set(paths)
    for folder in reversed(target.guessed):  # sorted: a folder's children come after it
        if folder not in needed:
            for root in (target.root, target.mirror):
                if root is not None:
                    with contextlib.suppress(FileNotFoundError):
                        os.rmdir(f"{root}/{folder}")
    target.guessed = []


def _make_all(roots: list[str], folders: list[str], discard: str | None) -> None:
    for root in roots:
        for folder in folders:  # parents come first
            with contextlib.suppress(FileExistsError):
                os.mkdir(f"{root}/{folder}")
    if discard is not None:  # once the writers have their folders
        shutil.rmtree(discard, ignore_errors=True)


def _wait_for_maker(target: Target) -> None:
    maker = target.maker
    if maker is None:
        return
    maker.join()
    target.maker = None
    if maker.exitcode != 0:
        raise OSError(f"making the folders of {target.root} failed (exit {maker.exitcode})")


def put(target: Target, output: Output) -> Placed:
    """Put one output's bytes into the target. When the live site holds exactly these
    bytes nothing is written (finish links that file, so its mtime stays)."""
    check_path(output.path)
    data = output.data
    assert data is not None
    live_ino = 0
    if target.live is not None:
        same, live_ino = _same(target.live, output.path, data)
        if same is not None:
            return Placed(output.path, same, True, live_ino)
    path = output.path
    dest = f"{target.root}/{path}"
    if not target.spare:
        written = _in_folder(target, path, target.root, _write_file, dest, data)
        if target.mirror is not None:
            _in_folder(target, path, target.mirror, os.link, dest, f"{target.mirror}/{path}")
        return Placed(path, written, False, live_ino)
    # Its folders are looked at first: a stray hand may have left a link where one goes.
    _make_parent(target, path)
    stat_now = _overwrite(dest, data)
    if stat_now is None:
        # The spare's file may be a hard link to the live site's: never written to. It
        # is unlinked, and the new file renamed into its place: a rename over a file
        # would make ext4 write the new one out at once (see _overwrite), and nothing
        # reads the spare meanwhile.
        staged = _staged(target)
        stat_now = _write_file(staged, data)
        with contextlib.suppress(FileNotFoundError, IsADirectoryError):
            os.unlink(dest)  # a folder there: _replace removes it
        _replace(staged, dest)
    return Placed(path, stat_now, False, live_ino)


def _in_folder(target: Target, path: str, root: str, make: Callable[..., T], *args) -> T:
    """`make(*args)`, which makes the file `path` under `root`, a new folder this build
    fills (never the spare, whose folders must be looked at: see _make_parent); when
    the folder above it is missing, it is made and `make` run again. Most folders are
    there already, made by make_folders' process: trying first saves a mkdir and an
    lstat a file."""
    try:
        return make(*args)
    except (FileNotFoundError, NotADirectoryError):
        _make_parent(target, path, root)
        return make(*args)


def finish(
    target: Target,
    outputs: Iterable[Output],
    placed: Mapping[str, Placed],
    known: Mapping[str, Stat] | None = None,
    rest: Callable[[], tuple[Iterable[Output], Mapping[str, Placed]]] | None = None,
) -> Written:
    """Complete the target with every output and swap it in. `placed` holds what `put`
    did (by path); an output with data not yet put is put here, one without data keeps
    the live site's file (it is in `known`, the last build's record of the folder).

    `rest`, when given, is called for the other outputs (and what put did with them)
    once these are checked and their kept files are in the target: a caller waiting
    on another process for those has that work done meanwhile (after one edit, the
    bookkeeping of ten thousand kept pages).

    When the live site already is exactly the outputs, nothing is swapped."""
    done = _Finishing(target, known)
    done.add(outputs, placed)
    if rest is not None:
        done.add(*rest())
    return done.swap()


class _Finishing:
    """The outputs of a target gathered, checked and linked (finish), then swapped in."""

    def __init__(self, target: Target, known: Mapping[str, Stat] | None) -> None:
        self.target = target
        self.known = known
        self.seen: set[str] = set()
        self.new = False  # any path the record does not know
        self.stats: dict[str, Stat] = {}
        self.live_inodes: dict[str, int] = {}  # the live site's files: the spare's next manifest
        self.linked: dict[str, int] = {}  # the spare's files linked anew: path -> inode
        self.to_link: list[tuple[str, Stat]] = []  # kept files not linked yet
        self.changed = 0
        self.count = 0
        _wait_for_maker(target)

    def add(self, outputs: Iterable[Output], placed: Mapping[str, Placed]) -> None:
        """Check these outputs, put what is not put yet, and give the target the live
        site's file of each output whose bytes did not change."""
        outputs = tuple(outputs)
        target, known, stats, live_inodes = self.target, self.known, self.stats, self.live_inodes
        self.new |= _check_some(outputs, known or {}, placed, self.seen)
        self.count += len(outputs)
        to_link = self.to_link
        for output in outputs:
            done = placed.get(output.path)
            if done is None and output.data is not None:
                done = put(target, output)
            if done is None:
                st = known[output.path]  # type: ignore[index]
                live_inodes[output.path] = st[2]
            else:
                st = done.stat
                live_inodes[output.path] = done.live_ino
                if not done.kept:
                    stats[output.path] = st
                    self.changed += 1
                    continue
            stats[output.path] = st
            to_link.append((output.path, st))
        if target.spare:
            # Into the spare at once: were nothing to change after all, its manifest
            # says what it holds now (see swap). A new folder gets its links only if
            # the site is swapped in.
            stats.update(_link_kept(target, to_link, self.linked))
            to_link.clear()

    def swap(self) -> Written:
        """Finish the target and swap it in (unless nothing changed)."""
        target, known, stats, live_inodes = self.target, self.known, self.stats, self.live_inodes
        _check_clash(self.seen, self.new)
        wanted = self.seen
        if target.guessed:
            _remove_unneeded(target, wanted)
        if target.discard is not None:  # no maker took it
            shutil.rmtree(target.discard, ignore_errors=True)
            target.discard = None
        removed = [p for p in known if p not in wanted] if known is not None else []
        if target.live is not None and known is not None and not self.changed and not removed:
            if target.spare and target.manifest is not None:
                # The spare as it is now: its manifest, with the files linked into it.
                _give_manifest(target.root, {**target.manifest, **self.linked})
            else:
                abandon(target)
            return Written(self.count, self.count, stats)

        stats.update(_link_kept(target, self.to_link))
        if target.spare:
            _clear_spare(target, wanted)
        for path in removed:
            live_inodes[path] = 0  # left in the old site, contents unknown
        # Without a record, the old site may hold files nobody listed: no manifest for it.
        _swap_in(target, live_inodes if known is not None else None, stats)
        return Written(self.count, self.count - self.changed, stats)


def abandon(target: Target) -> None:
    """Give up a target after a failure: a fresh folder is deleted; the spare stays,
    marked unknown, for the next build to bring up to date."""
    if target.maker is not None:
        target.maker.kill()
        target.maker.join()
    if not target.spare:
        shutil.rmtree(target.root, ignore_errors=True)
    if target.mirror is not None:
        shutil.rmtree(target.mirror, ignore_errors=True)


def _spare_of(out: str) -> str:
    return os.path.join(os.path.dirname(out), f".{os.path.basename(out)}{_SPARE}")


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


def _overwrite(path: str, data: bytes) -> Stat | None:
    """Write `data` over the file at `path` in the spare when it is the spare's own (a
    regular file with no other link, so not the live site's); None, with nothing
    written, when it is not (a link to the live file, a folder, a symbolic link, none).

    A file that changes in every build (a feed, the search index) is then written into
    the blocks, and the cached pages, its last version but one had, where a new file
    renamed over it had ext4 allocate and write out new blocks at the rename (its
    auto_da_alloc) and free the old ones: 20-35 ms for the 11 MB search index of
    10,000 items, on the path a one-item rebuild waits on. Nothing trusts the spare's
    bytes (its files are matched to the live site's by inode), so a build stopped
    halfway through leaves nothing that could be taken for finished."""
    try:
        # Looked at before it is opened: opening a FIFO or a device left there by hand
        # could block or act.
        st = os.lstat(path)
        if not stat.S_ISREG(st.st_mode) or st.st_nlink != 1:
            return None
        fd = os.open(path, _OVERWRITE)
    except OSError:
        return None
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode) or st.st_nlink != 1:  # replaced meanwhile
            return None
        _write_all(fd, data)
        if st.st_size > len(data):
            os.ftruncate(fd, len(data))
        return stat_of(os.fstat(fd))
    finally:
        os.close(fd)


_OVERWRITE = (
    os.O_WRONLY
    | getattr(os, "O_NOFOLLOW", 0)
    | getattr(os, "O_NONBLOCK", 0)
    | getattr(os, "O_CLOEXEC", 0)
)


def _write_file(path: str, data: bytes) -> Stat:
    """Create `path` with `data`: one open, write and fstat (no buffered file object)."""
    fd = os.open(path, _FLAGS, 0o666)
    try:
        _write_all(fd, data)
        return stat_of(os.fstat(fd))
    finally:
        os.close(fd)


def _write_all(fd: int, data: bytes) -> None:
    """Write all of `data` to `fd` (os.write may write less than it is given)."""
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


def _folders(paths: Iterable[str]) -> list[str]:
    """Every folder the paths need, parents before children."""
    return sorted(_folder_set(paths))


def _folder_set(paths: Iterable[str]) -> set[str]:
    """Every folder the paths need."""
    folders: set[str] = set()
    for path in paths:
        folder = path.rpartition("/")[0]  # the paths are checked: no "//", no "/" at the end
        while folder and folder not in folders:
            folders.add(folder)
            folder = folder.rpartition("/")[0]
    return folders


def _make_parent(target: Target, path: str, root: str | None = None) -> None:
    """Make the folders above `path` in the target (each once per process), or in its
    mirror. In the spare, whatever stands where a folder belongs (a file, a link) is
    removed first."""
    folder = posixpath.dirname(path)
    root = root or target.root
    where = f"{root}/{folder}"
    if not folder or where in target.made:
        return
    _make_parent(target, folder, root)
    try:
        os.mkdir(where)
    except FileExistsError:
        st = os.lstat(where)
        if not stat.S_ISDIR(st.st_mode):
            if not target.spare:
                raise NotADirectoryError(f"{where} is not a folder") from None
            os.unlink(where)
            os.mkdir(where)
    target.made.add(where)


def _replace(source: str, dest: str) -> None:
    """Rename `source` over `dest`, removing a folder that stands at `dest`."""
    try:
        os.replace(source, dest)
    except IsADirectoryError:
        shutil.rmtree(dest)
        os.replace(source, dest)


def _same(old: str, path: str, data: bytes) -> tuple[Stat | None, int]:
    """The stat of the old file when it holds exactly `data` (else None), and its inode
    (0 when there is no such file)."""
    try:
        st = os.lstat(f"{old}/{path}")
    except OSError:
        return None, 0
    if not stat.S_ISREG(st.st_mode) or st.st_size != len(data):
        return None, st.st_ino
    try:
        with open(f"{old}/{path}", "rb", buffering=0) as f:
            return (stat_of(st) if _holds(f, data) else None), st.st_ino
    except OSError:
        return None, st.st_ino


# The piece of a file compared at a time (see _holds).
_PIECE = 1 << 20


def _holds(f: BinaryIO, data: bytes) -> bool:
    """Whether the rest of the open file `f` is exactly `data`, read a piece at a time:
    a changed search index differs in its first piece and is not read further, and a
    10 MB file read whole would be 10 MB of new memory (2,500 page faults) where a
    piece reuses the last one's."""
    at = 0
    while at < len(data):
        piece = f.read(_PIECE)
        if not piece or piece != data[at : at + len(piece)]:
            return False
        at += len(piece)
    return not f.read(1)


def _link_kept(
    target: Target, kept: list[tuple[str, Stat]], linked: dict[str, int] | None = None
) -> dict[str, Stat]:
    """Give the target the live site's file for each output whose bytes did not change
    (a hard link, so its mtime stays); returns the stats that differ from the live
    file's (a file system without hard links makes copies). Each file put in is noted
    in `linked` (path -> its inode)."""
    stats: dict[str, Stat] = {}
    for path, st in kept:
        dest = f"{target.root}/{path}"
        if target.spare and _spare_inode(target, path, dest) == st[2]:
            continue  # the spare holds the live file already
        source = f"{target.live}/{path}"
        if target.spare:
            # Through a staged name: its file there may be another hard link.
            _make_parent(target, path)
            staged = _staged(target)
            copied = _link_or_copy(source, staged)
            _replace(staged, dest)
        else:
            copied = _in_folder(target, path, target.root, _link_or_copy, source, dest)
        if copied is not None:
            stats[path] = copied
        if linked is not None:
            linked[path] = copied[2] if copied is not None else st[2]
    return stats


def _link_or_copy(source: str, dest: str) -> Stat | None:
    """Hard-link `source` at `dest`; on a file system without hard links, copy it and
    return the copy's stat. A missing folder above `dest` is left to the caller."""
    try:
        os.link(source, dest)
    except (FileNotFoundError, NotADirectoryError):
        raise
    except OSError:
        shutil.copy2(source, dest)
        return stat_of(os.stat(dest))
    return None


def _spare_inode(target: Target, path: str, dest: str) -> int | None:
    """The inode of the spare's file at `path`: from its manifest when that is known,
    else looked up (None: no file there)."""
    if target.manifest is not None:
        return target.manifest.get(path)
    try:
        return os.lstat(dest).st_ino
    except OSError:
        return None


def _staged(target: Target) -> str:
    """This process's staged file at the top of the spare (any leftover removed): a
    file is written or linked there, then renamed into place."""
    staged = f"{target.root}/{_STAGED}-{os.getpid()}"
    with contextlib.suppress(FileNotFoundError):
        os.unlink(staged)
    return staged


def _clear_spare(target: Target, wanted: set[str]) -> None:
    """Delete from the spare what the new site does not have: by its manifest when it
    is known, else by looking at every folder."""
    if target.manifest is not None:
        if target.manifest.keys() == wanted:
            return  # the same files (most builds): nothing to delete
        folders = _folder_set(wanted)
        for path in target.manifest:
            if path not in wanted:
                where = f"{target.root}/{path}"
                with contextlib.suppress(FileNotFoundError):
                    if os.path.isdir(where) and not os.path.islink(where):
                        shutil.rmtree(where)
                    else:
                        os.unlink(where)
        # Folders the old files left behind, deepest first (empty by now).
        for folder in sorted(_folder_set(target.manifest) - folders, reverse=True):
            where = f"{target.root}/{folder}"
            with contextlib.suppress(FileNotFoundError, NotADirectoryError):
                if os.listdir(where):
                    shutil.rmtree(where)
                else:
                    os.rmdir(where)
        return
    folders = _folder_set(wanted)
    top = len(target.root) + 1
    unwanted_folders: list[str] = []
    for where, dirs, files in os.walk(target.root):
        rel = where[top:]
        if rel and rel not in folders:
            unwanted_folders.append(where)
            dirs[:] = []
            continue
        for name in files:
            path = f"{rel}/{name}" if rel else name
            if path not in wanted:
                os.unlink(f"{where}/{name}")
        for name in list(dirs):
            if os.path.islink(f"{where}/{name}"):
                os.unlink(f"{where}/{name}")  # never made by a build; never followed
                dirs.remove(name)
    for where in unwanted_folders:
        shutil.rmtree(where)


_MANIFEST = ".digest-spare"  # the spare's manifest, at its top while it is the spare
_MANIFEST_FORMAT = "spare-1"


def _give_manifest(spare: str, files: Mapping[str, int]) -> None:
    """Leave in the spare the list of its files (path -> inode), with the spare's own
    inode, so that the next build need not look through ten thousand folders."""
    value = (_MANIFEST_FORMAT, os.lstat(spare).st_ino, dict(files))
    staged = f"{spare}/{_MANIFEST}.tmp"
    with open(staged, "wb") as fh:
        marshal.dump(value, fh)
    os.replace(staged, f"{spare}/{_MANIFEST}")


def _take_manifest(spare: str) -> dict[str, int] | None:
    """The spare's manifest, removed from it (a build killed from now on leaves the
    spare unknown); None when it is missing, damaged or not this folder's."""
    where = f"{spare}/{_MANIFEST}"
    try:
        with open(where, "rb") as fh:
            # Read whole, then parsed: marshal.load reads a file object piece by piece,
            # five times slower for a manifest of ten thousand files.
            value = marshal.loads(fh.read())
    except (OSError, EOFError, ValueError, TypeError):
        return None
    finally:
        with contextlib.suppress(OSError):
            os.unlink(where)
    try:
        form, inode, files = value
        if form != _MANIFEST_FORMAT or inode != os.lstat(spare).st_ino:
            return None
        # The types of all paths and inodes, gathered in C (no Python per file).
        if not (set(map(type, files)) <= {str} and set(map(type, files.values())) <= {int}):
            return None
        return files
    except (TypeError, ValueError, AttributeError, OSError):
        return None


def _swap_in(
    target: Target, live_inodes: Mapping[str, int] | None, stats: Mapping[str, Stat]
) -> None:
    """Make the target the site. The site it replaces becomes the spare (with its
    manifest) where the exchange is possible."""
    out = target.out_dir
    spare = _spare_of(out)
    if target.spare:
        if _exchange(Path(spare), Path(out)):
            if live_inodes is not None:
                _give_manifest(spare, live_inodes)
            return
        _two_renames(Path(target.root), Path(out))
        return
    if target.live is None:
        os.rename(target.root, out)
        if target.mirror is not None:
            os.rename(target.mirror, spare)
            # the spare shares every file with the site
            _give_manifest(spare, {path: st[2] for path, st in stats.items()})
        return
    if _exchange(Path(target.root), Path(out)):
        # the temporary folder holds the old site now: it becomes the spare
        if os.path.lexists(spare):
            shutil.rmtree(spare) if _is_real_dir(Path(spare)) else os.unlink(spare)
        os.rename(target.root, spare)
        if live_inodes is not None:
            _give_manifest(spare, live_inodes)
        return
    _two_renames(Path(target.root), Path(out))


def _two_renames(new: Path, out_dir: Path) -> None:
    """The swap where there is no exchange: two renames, with a short moment in which
    `out_dir` is missing; the old site is deleted."""
    old = _set_aside(str(out_dir), str(out_dir))
    os.rename(new, out_dir)
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
