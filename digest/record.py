"""The record of the last build into an output folder, kept in the cache folder: the
fingerprint of everything that build read, and the key and stat of every file it
wrote. With it a rebuild knows which files are still as written (so pages whose key
did not change need not be rendered) and, when no input changed and every file is
still there as written, that there is nothing to do at all.

A record is only ever a shortcut: a missing, damaged or outdated one means a full
build; a file that is not as recorded (edited, deleted, replaced) is made again."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from .cache import folder_file, read_blob, write_blob
from .output import Stat, stat_of

_FORMAT = "record-3"


@dataclass(frozen=True, slots=True)
class Record:
    """What a build wrote into one output folder."""

    inputs: bytes  # fingerprint of every input (code, theme, settings, items, options)
    pages: bytes  # the fingerprint every page key was made with (keys.pages_fingerprint)
    files: Mapping[str, tuple[bytes, Stat]]  # path -> (key, stat when written)
    rows: Mapping[bytes, bytes]  # item signature -> hash of its list row
    heads: Mapping[tuple[str, str], bytes]  # (kind, key) -> Renderer.head_keys
    lists: Mapping[tuple[str, str], bytes]  # (kind, key) -> Renderer.list_keys
    items: int
    editions: int
    pages_count: int

    def stats(self) -> dict[str, Stat]:
        """Path -> stat of every file written."""
        return {path: st for path, (_key, st) in self.files.items()}


def read_record(cache_dir: Path | None, out_dir: Path) -> Record | None:
    """The record of the last build into `out_dir`, or None."""
    if cache_dir is None:
        return None
    value = read_blob(folder_file(cache_dir, "build", out_dir), _FORMAT)
    try:
        inputs, pages, files, rows, heads, lists, items, editions, count = value  # type: ignore[misc]
    except (TypeError, ValueError):
        return None
    # The files as marshal gave them back, path -> (key, stat) tuples: checked for their
    # type only, since the checksum stands for the rest, and copying 10,000 of them
    # would cost more than all of a rebuild with nothing to do.
    if not all(isinstance(part, dict) for part in (files, rows, heads, lists)):
        return None
    return Record(inputs, pages, files, rows, heads, lists, items, editions, count)


def save_record(cache_dir: Path | None, out_dir: Path, record: Record) -> None:
    """Keep the record for the next build (nothing when there is no cache folder)."""
    if cache_dir is None:
        return
    value = (
        record.inputs,
        record.pages,
        dict(record.files),
        dict(record.rows),
        dict(record.heads),
        dict(record.lists),
        record.items,
        record.editions,
        record.pages_count,
    )
    write_blob(folder_file(cache_dir, "build", out_dir), _FORMAT, value)


def missing(out_dir: Path, record: Record | None) -> list[str]:
    """The recorded files that are no longer in `out_dir` as they were written: changed,
    replaced or gone (by size, modification time and inode)."""
    if record is None:
        return []
    found = []
    top = os.path.abspath(out_dir)
    for path, (_key, st) in record.files.items():
        try:
            now = stat_of(os.stat(f"{top}/{path}"))
        except OSError:
            now = None
        if now != st:
            found.append(path)
    return found


def kept_files(record: Record | None, gone: list[str]) -> dict[str, bytes]:
    """Path -> key of each recorded file but those `gone` (as `missing` gives them)."""
    if record is None:
        return {}
    if not gone:
        return {path: key for path, (key, _st) in record.files.items()}
    left_out = set(gone)
    return {path: key for path, (key, _st) in record.files.items() if path not in left_out}
