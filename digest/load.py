"""The first stage: walk the entries folder and split each item file into front matter
(parsed YAML with file line numbers) and Markdown body. No meaning is checked here; that
is validate.py's job. Bad files become problems, never exceptions."""

from __future__ import annotations

import errno
import os
import re
import stat
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from .problems import Problem

# typing.TYPE_CHECKING without importing typing (some milliseconds of every start-up).
TYPE_CHECKING = False
if TYPE_CHECKING:
    from .node import Node
    from .settingscache import ParsedSettings

MAX_FILE_BYTES = 1024 * 1024
EDITION_DIR = re.compile(r"^\d{4}-\d{2}$")
SITE_FILE = "site.yaml"
AGENCIES_FILE = "agencies.yaml"
EDITION_FILE = "edition.yaml"
# Characters outside XML 1.0's Char (tab, LF and CR are fine; CR is made LF).
_UNSHOWABLE = re.compile("[\x01-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


@dataclass(frozen=True, slots=True)
class RawEntry:
    """An item file split but not yet understood.

    `fields` is the front matter mapping, `body` the Markdown after it, and `body_line` the file line on which the body starts.
    """

    path: str
    edition: str
    fields: Node
    body: str
    body_line: int


@dataclass(frozen=True, slots=True)
class RawDocument:
    """A settings file (site.yaml, agencies.yaml, edition.yaml) parsed but not understood."""

    path: str
    root: Node | None


@dataclass(frozen=True, slots=True)
class Loaded:
    """The settings read from an entries folder, and where its item files are (they are
    read by items.py, in parallel and through the cache)."""

    site: RawDocument | None
    agencies: RawDocument | None
    editions: tuple[RawDocument, ...]
    items: tuple[tuple[str, str], ...]  # (path, edition) of every item file, sorted


def read_text(root: Path, rel: str) -> tuple[str | None, list[Problem]]:
    """A file's text: UTF-8 (a BOM is dropped), LF line endings, within the size limit,
    and not a symbolic link that leads outside `root`."""
    data, problems = read_bytes(root, rel)
    if data is None:
        return None, problems
    return decode(rel, data)


def read_bytes(root: Path, rel: str) -> tuple[bytes | None, list[Problem]]:
    """A file's bytes, refusing oversized files and symbolic links out of `root`."""
    data, _info, problems = read_file(root, rel)
    return data, problems


def read_file(root: Path, rel: str) -> tuple[bytes | None, os.stat_result | None, list[Problem]]:
    """As `read_bytes`, with the stat of the file as it was opened (taken before its
    bytes were read); None for a file read through a symbolic link, whose own stat
    says nothing of the file it leads to.

    Plain os calls, not pathlib or file objects: this runs once per item, and at
    10,000 items their overhead costs more than the reading itself. The file is opened
    without following a symbolic link; only a link takes the slower, checked path."""
    path = os.path.join(root, rel)
    try:
        fd = os.open(path, _READ_FLAGS)
    except OSError as err:
        if err.errno != errno.ELOOP or not os.path.islink(path):
            return None, None, [Problem(rel, 0, "file", f"cannot be read: {err.strerror}")]
        data, _info, problems = _read_link(root, rel, path)
        return data, None, problems
    try:
        return _read_fd(rel, fd)
    finally:
        os.close(fd)


# Non-blocking, so that a named pipe cannot hang the build (only regular files are
# read); not following a link, so that only a link takes the slower, checked path.
_READ_FLAGS = (
    os.O_RDONLY
    | getattr(os, "O_CLOEXEC", 0)
    | getattr(os, "O_NOFOLLOW", 0)
    | getattr(os, "O_NONBLOCK", 0)
)

_Read = tuple[bytes | None, os.stat_result | None, list[Problem]]


def _read_link(root: Path, rel: str, path: str) -> _Read:
    real = os.path.realpath(path)
    if not os.path.exists(real):
        return None, None, [Problem(rel, 0, "file", "cannot be read (a broken symbolic link?)")]
    top = os.path.realpath(root)
    if os.path.commonpath([top, real]) != top:
        return (
            None,
            None,
            [Problem(rel, 0, "file", "is a symbolic link that leads outside the entries folder")],
        )
    try:
        fd = os.open(real, _READ_FLAGS & ~getattr(os, "O_NOFOLLOW", 0))
    except OSError as err:
        return None, None, [Problem(rel, 0, "file", f"cannot be read: {err.strerror}")]
    try:
        return _read_fd(rel, fd)
    finally:
        os.close(fd)


def _read_fd(rel: str, fd: int) -> _Read:
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            return (
                None,
                None,
                [Problem(rel, 0, "file", "is not a regular file (a pipe or a device?)")],
            )
        size = info.st_size
        if size > MAX_FILE_BYTES:
            return None, None, [_too_big(rel, size)]
        # One read of the expected size (plus one byte, to see the end); a file that
        # grows meanwhile is read on, up to the limit.
        parts = [os.read(fd, size + 1)]
        total = len(parts[0])
        while parts[-1] and total <= MAX_FILE_BYTES and total > size:
            parts.append(os.read(fd, MAX_FILE_BYTES + 1 - total))
            total += len(parts[-1])
    except OSError as err:
        return None, None, [Problem(rel, 0, "file", f"cannot be read: {err.strerror}")]
    if total > MAX_FILE_BYTES:
        return None, None, [_too_big(rel, total)]
    return (parts[0] if len(parts) == 1 else b"".join(parts)), info, []


def _too_big(rel: str, size: int) -> Problem:
    return Problem(rel, 0, "file", f"is {size:,} bytes; the limit is {MAX_FILE_BYTES:,} bytes")


def decode(rel: str, data: bytes) -> tuple[str | None, list[Problem]]:
    """Bytes to text with LF line endings, or a problem naming the line of the bad byte."""
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as err:
        line = data.count(b"\n", 0, err.start) + 1
        return None, [
            Problem(
                rel,
                line,
                "file",
                f"is not UTF-8 text (byte 0x{data[err.start]:02x} cannot be decoded)",
            )
        ]
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    if "\x00" in text:
        line = text.count("\n", 0, text.index("\x00")) + 1
        return None, [Problem(rel, line, "file", "contains a NUL character (a binary file?)")]
    bad = _UNSHOWABLE.search(text)
    if bad:
        # XML (so every feed) cannot carry these, and they are invisible on a page:
        # typically a Word line break (U+000B) or page break (U+000C) pasted in.
        line = text.count("\n", 0, bad.start()) + 1
        return None, [
            Problem(
                rel,
                line,
                "file",
                f"contains the control character U+{ord(bad[0]):04X}; "
                "replace it with a space or a line break",
            )
        ]
    return text, []


def split_front_matter(rel: str, text: str) -> tuple[str | None, str, int, list[Problem]]:
    """Split `---` front matter from the body: (yaml text, body, body's first line, problems)."""
    lines = text.split("\n")
    if not lines or lines[0].rstrip() != "---":
        return (
            None,
            text,
            1,
            [Problem(rel, 1, "front matter", "the file must start with a '---' line")],
        )
    for i in range(1, len(lines)):
        if lines[i].rstrip() in ("---", "..."):
            yaml_text = "\n".join(lines[1:i]) + "\n"
            body = "\n".join(lines[i + 1 :])
            return yaml_text, body, i + 2, []
    return (
        None,
        "",
        len(lines),
        [Problem(rel, 1, "front matter", "no closing '---' line after the front matter")],
    )


def parse_yaml(
    rel: str, text: str, first_line: int, field: str
) -> tuple[Node | None, list[Problem]]:
    """YAML text -> Node, with problems at file lines under the name `field`."""
    node, errors = _yamlfile().parse(text, first_line)
    return node, [Problem(rel, e.line, field, e.message) for e in errors]


@cache
def _yamlfile():
    # Imported on first use: a rebuild with nothing to do walks the folder but parses no
    # YAML. Not an import statement in parse_yaml: run for every item, its look-up of
    # the package cost a third as much as the YAML parse itself.
    from . import yamlfile

    return yamlfile


def load_entry(root: Path, rel: str, edition: str) -> tuple[RawEntry | None, list[Problem]]:
    """Read and split one item file."""
    data, problems = read_bytes(root, rel)
    if data is None:
        return None, problems
    return split_entry(rel, edition, data)


def split_entry(rel: str, edition: str, data: bytes) -> tuple[RawEntry | None, list[Problem]]:
    """An item file's bytes -> RawEntry (front matter parsed, body split off)."""
    text, problems = decode(rel, data)
    if text is None:
        return None, problems
    yaml_text, body, body_line, problems = split_front_matter(rel, text)
    if yaml_text is None:
        return None, problems
    node, problems = parse_yaml(rel, yaml_text, 2, "front matter")
    if problems:
        # The YAML itself is broken (syntax, a tag, an alias, a duplicate key): checking
        # fields of a half-read mapping would only add noise to the real problem.
        return None, problems
    if node is None:
        return None, [Problem(rel, 1, "front matter", "is empty")]
    if node.kind != "mapping":
        return None, [Problem(rel, node.line, "front matter", "must be a mapping of field: value")]
    return RawEntry(rel, edition, node, body, body_line), []


def load_document(
    root: Path, rel: str, parsed: ParsedSettings | None = None
) -> tuple[RawDocument | None, list[Problem]]:
    """Read one YAML settings file. None when it is missing or could not be read (the
    problems say which); a RawDocument with root None when it is empty. With `parsed`,
    a text parsed before is not parsed again (see settingscache.py)."""
    if not (root / rel).exists() and not (root / rel).is_symlink():
        return None, []
    text, problems = read_text(root, rel)
    if text is None:
        return None, problems
    known, node = parsed.get(rel, text) if parsed is not None else (False, None)
    if not known:
        node, problems = parse_yaml(rel, text, 1, "yaml")
        if problems:
            return None, problems
        if parsed is not None:
            parsed.put(rel, text, node)
    if node is not None and node.kind != "mapping":
        problems.append(Problem(rel, node.line, "yaml", "must be a mapping of key: value"))
        return None, problems
    return RawDocument(rel, node), problems


@dataclass(frozen=True, slots=True)
class Layout:
    """What the walk of an entries folder finds, before any file in it is read."""

    editions: tuple[str, ...]  # path of every edition.yaml, sorted
    items: tuple[tuple[str, str], ...]  # (path, edition) of every item file, sorted


def load(entries_dir: Path) -> tuple[Loaded, list[Problem]]:
    """Walk `entries_dir` in sorted order: read the settings files, list the item files.

    Layout: site.yaml and agencies.yaml at the top; one folder per edition named
    YYYY-MM holding item files (*.md) and an optional edition.yaml. Hidden files
    (starting with '.') are ignored; anything else is a problem.
    """
    layout, problems = walk(entries_dir)
    loaded, found = read_settings(entries_dir, layout)
    return loaded, problems + found


def read_settings(
    entries_dir: Path, layout: Layout, parsed: ParsedSettings | None = None
) -> tuple[Loaded, list[Problem]]:
    """Read the settings files of a walked entries folder: site.yaml, agencies.yaml and
    every edition.yaml; with `parsed`, those parsed before are not parsed again. (A
    build walks first and reads these only when something changed: see build.py.)"""
    root = Path(entries_dir)
    problems: list[Problem] = []
    site, found = load_document(root, SITE_FILE, parsed)
    problems += found
    if site is None and not found:
        problems.append(
            Problem(SITE_FILE, 0, "file", "is missing; it needs at least title and base_url")
        )
    agencies, found = load_document(root, AGENCIES_FILE, parsed)
    problems += found
    if agencies is None and not found:
        problems.append(
            Problem(AGENCIES_FILE, 0, "file", "is missing; it lists the agencies items name")
        )
    editions: list[RawDocument] = []
    for rel in layout.editions:
        doc, found = load_document(root, rel, parsed)
        problems += found
        if doc is not None:
            editions.append(doc)
    return Loaded(site, agencies, tuple(editions), layout.items), problems


def walk(entries_dir: Path) -> tuple[Layout, list[Problem]]:
    """List the edition settings and item files of `entries_dir` (see `load`), reading
    none of them: every problem of the folder's shape, none of the files' contents."""
    root = os.fspath(entries_dir)
    problems: list[Problem] = []
    items: list[tuple[str, str]] = []
    editions: list[str] = []
    for top in sorted(os.scandir(root), key=_name):
        name = top.name
        if name.startswith(".") or name in (SITE_FILE, AGENCIES_FILE):
            continue
        if top.is_symlink() and _is_dir(top):
            problems.append(
                Problem(name, 0, "file", "edition folders must be real folders, not symbolic links")
            )
            continue
        if not _is_dir(top):
            hint = (
                " (item files belong in an edition folder such as 2023-04/)"
                if name.endswith(".md")
                else ""
            )
            problems.append(
                Problem(name, 0, "file", f"unexpected file in the entries folder{hint}")
            )
            continue
        if not _is_edition(name):
            problems.append(
                Problem(name, 0, "edition", f"folder name {name!r} is not an edition month YYYY-MM")
            )
            continue
        # os.scandir: the file type comes with the folder listing (d_type), so telling
        # files from folders costs no stat per file (except for a link).
        for child in sorted(os.scandir(top.path), key=_name):
            child_name = child.name
            if child_name.startswith("."):
                continue
            rel = f"{name}/{child_name}"
            if _is_dir(child):
                problems.append(
                    Problem(rel, 0, "file", "unexpected folder inside an edition folder")
                )
            elif child_name == EDITION_FILE:
                editions.append(rel)
            elif child_name.endswith(".md"):
                items.append((rel, name))
            else:
                problems.append(
                    Problem(
                        rel,
                        0,
                        "file",
                        "unexpected file (items are .md files; edition settings go in edition.yaml)",
                    )
                )
    return Layout(tuple(editions), tuple(items)), problems


def _name(entry: os.DirEntry) -> str:
    return entry.name


def _is_dir(entry: os.DirEntry) -> bool:
    """Whether `entry` is a folder or a link to one (False for a link loop, which
    reading then reports as a file that cannot be read)."""
    try:
        return entry.is_dir()
    except OSError:
        return False


def _is_edition(name: str) -> bool:
    return bool(EDITION_DIR.match(name)) and 1 <= int(name[5:]) <= 12
