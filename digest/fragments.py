"""Per-item parts of the site-wide data files (an item's line of search/index.json, of
catalog.json), kept between builds in `.digest-cache/fragments/`, so that a rebuild
after one edit encodes one item's lines, not 10,000 of each.

A part is kept under the item's signature (keys.item_signatures: its file's path and
content hash and its footnote numbers) in files written with the pages fingerprint
(keys.pages_fingerprint: digest's code and libraries, the templates, site.yaml,
agencies.yaml, every edition.yaml and the build options). Those are everything an
item's line is made of: its own entry, and the site's settings (base URL, section and
edition titles, agency names). Any other change of those makes every file stale, and
a file that cannot be read (missing, damaged, of other code) counts as empty: the
parts are made again. So the cache can only make a build faster, never different.

The parts are spread over 256 files by the first byte of the signature: an edit
rewrites one small file, not the whole cache, and a rebuild finds each item's part
with one dictionary lookup (no per-item work in Python). A rewritten file keeps only
the parts of the items the build has; a file no miss touches is left as it is, so a
part of a removed or edited item lingers there, unused, until its file is rewritten.

Better still, the data files the last build left in the live site hold every item's
line: `LastRows` gives a rebuild the live file, where each row starts, and which item
each row is of, so that after one edit the new file is the old one's runs of unchanged
rows (a few slices of it) around the new lines: neither 10,000 lines nor the 256 files
are read, only the file the new lines go to. Where the new lines are the very lines
they replace (a body edited: the catalog shows none), not even that file is read
whole: its head and those lines are compared where they stand, and it is kept."""

from __future__ import annotations

from array import array
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from itertools import accumulate
from pathlib import Path

from .cache import folder_file, read_blob, write_blob
from .hashes import SIZE, digest, join
from .output import FilePieces, file_pieces

FRAGMENTS_DIR = "fragments"


class Fragments:
    """Per-item values (bytes) by name and item signature; use `each` or `joined`, then
    `save`. Without a cache folder every value is made, and nothing is kept."""

    def __init__(
        self, cache_dir: Path | None, fingerprint: bytes, signatures: Mapping[str, bytes]
    ) -> None:
        self.folder = Path(cache_dir) / FRAGMENTS_DIR if cache_dir is not None else None
        self.fingerprint = fingerprint.hex()
        self.signatures = signatures
        self.files: dict[int, dict[str, dict[bytes, bytes]]] = {}  # as read
        # name -> the signatures of this build's values; shard -> name -> values made
        self.used: dict[str, set[bytes]] = {}
        self.made: dict[int, dict[str, dict[bytes, bytes]]] = {}
        self.live: dict[str, KeptRows] = {}  # name -> the live file's rows (`take`)
        self.lengths: dict[str, list[int]] = {}  # name -> the rows' lengths, as `joined` made them

    def take(self, name: str, kept: KeptRows | None) -> None:
        """The rows of `name` in a file of the live site (LastRows.rows; None: none
        usable): `joined` takes the unchanged items' rows from there."""
        if kept is not None:
            self.live[name] = kept

    def _file(self, shard: int) -> dict[str, dict[bytes, bytes]]:
        found = self.files.get(shard)
        if found is None:
            value = read_blob(self.folder / f"{shard:02x}.bin", self.fingerprint)
            ok = isinstance(value, dict) and all(isinstance(v, dict) for v in value.values())
            found = self.files[shard] = value if ok else {}
        return found

    def each(self, name: str, ids: Sequence[str], make: Callable[[str], bytes]) -> list[bytes]:
        """The value `name` of each item of `ids`: kept from an earlier build of the
        same item under the same fingerprint, or `make(eid)`."""
        if self.folder is None:
            return [make(eid) for eid in ids]
        signatures = list(map(self.signatures.__getitem__, ids))
        kept: dict[bytes, bytes] = {}
        for shard in sorted({s[0] for s in signatures}):
            kept.update(self._file(shard).get(name, {}))
        values = list(map(kept.get, signatures))
        i = 0
        while True:  # list.index scans in C: only the misses cost Python
            try:
                i = values.index(None, i)
            except ValueError:
                break
            signature = signatures[i]
            values[i] = make(ids[i])
            self.made.setdefault(signature[0], {}).setdefault(name, {})[signature] = values[i]
            i += 1
        self.used.setdefault(name, set()).update(signatures)
        return values

    def joined(
        self,
        name: str,
        frame: Frame,
        start: bytes,
        ids: Sequence[str],
        make: Callable[[str], bytes],
    ) -> bytes | None:
        """The data file of the rows `name` of the items of `ids` (`frame.join(start,
        rows)`), each row as `each` gives it, but that the rows of a run of items whose
        rows stand in the same order in the live file (`take`) are copied from there
        in one piece. The rows' lengths are kept in `lengths`, for LastRows.

        None when that file would be the live file as it is (see _as_before): it is
        then neither read whole nor made again. After an edit that leaves an item's row
        as it was (its body, for the catalog), that spares reading, joining and
        comparing ten megabytes at 10,000 items."""
        kept = self.live.get(name)
        if kept is None or not ids:
            rows = self.each(name, ids, make)
            self.lengths[name] = list(map(len, rows))
            return frame.join(start, rows)
        signatures = list(map(self.signatures.__getitem__, ids))
        self.used.setdefault(name, set()).update(signatures)
        at = list(map(kept.index.get, signatures))  # each item's row in the live file
        new = self.each(name, [i for i, a in zip(ids, at, strict=True) if a is None], make)
        try:
            if _as_before(kept, start, at, new):
                self.lengths[name] = list(kept.lengths)
                return None
            data = kept.data if isinstance(kept.data, bytes) else kept.data.whole()
        except OSError:  # the live file is no longer the one looked at: no rows from it
            del self.live[name]
            return self.joined(name, frame, start, ids, make)
        fresh = iter(new)
        view, starts, lengths = memoryview(data), kept.starts, kept.lengths
        pieces = [start]
        made: list[int] = []
        first = -1  # the first live row of the run being gathered
        for n, a in enumerate(at):
            if first >= 0 and a != at[n - 1] + 1:  # the run ends before this row
                last = at[n - 1]
                pieces += (view[starts[first] : starts[last] + lengths[last]], frame.separator)
                made += lengths[first : last + 1]
                first = -1
            if a is None:
                row = next(fresh)
                pieces += (row, frame.separator)
                made.append(len(row))
            elif first < 0:
                first = a
        if first >= 0:
            last = at[-1]
            pieces += (view[starts[first] : starts[last] + lengths[last]], frame.separator)
            made += lengths[first : last + 1]
        pieces[-1] = frame.end
        self.lengths[name] = made
        return b"".join(pieces)

    def save(self) -> None:
        """Rewrite the files that got new values, each with the values of this build's
        items only (see the module's docstring)."""
        if self.folder is None:
            return
        for shard, made in sorted(self.made.items()):
            old = self._file(shard)
            value = {}
            for name, used in self.used.items():
                part = {s: v for s, v in old.get(name, {}).items() if s in used}
                part.update(made.get(name, {}))
                value[name] = part
            write_blob(self.folder / f"{shard:02x}.bin", self.fingerprint, value)


def _as_before(
    kept: KeptRows, start: bytes, at: Sequence[int | None], new: Sequence[bytes]
) -> bool:
    """Whether the file of `start` and these rows is the live file `kept` as it is: as
    many rows, each item's row where the live file has it (`at`: the row of each item
    there, None for an item it does not hold), each new row (`new`, in order) with the
    very bytes of the row it takes the place of, and the same head. Only the head and
    the rows taken the place of are read.

    The rest is the same by what LastRows.rows checked: the live file is as the last
    build wrote it, under a key made of the very items of its rows, with this frame
    (its end and the line break before the first row are looked at too)."""
    starts, lengths = kept.starts, kept.lengths
    if len(at) != len(starts):
        return False
    replaced = []
    for n, a in enumerate(at):
        if a is None:
            replaced.append(n)
        elif a != n:
            return False
    data = kept.data
    if len(start) != starts[0] or data[0 : starts[0]] != start:
        return False
    for n, row in zip(replaced, new, strict=True):
        if len(row) != lengths[n] or data[starts[n] : starts[n] + lengths[n]] != row:
            return False
    return True


def data_key(fingerprint: bytes, path: str, order: bytes) -> bytes:
    """The key of a data file at `path` whose rows are those of the items whose
    signatures are `order` (joined, in the rows' order), under the pages fingerprint:
    everything it is made of (the head, too, is made of those items and the settings)."""
    return digest(fingerprint, path, join([order]))


@dataclass(frozen=True, slots=True)
class Frame:
    """How a data file holds its items' rows: each on a line of its own, between a
    head (ending with a line break and the indent that `separator` ends with too), the
    separators and `end`."""

    separator: bytes
    end: bytes

    def join(self, start: bytes, rows: Sequence[bytes]) -> bytes:
        """The file: `start`, the rows, `end`."""
        return framed(start, self.separator, rows, self.end)

    def starts(self, data: bytes | FilePieces, lengths: Sequence[int]) -> list[int] | None:
        """Where each row starts in a file `join` made of rows of these lengths (None
        where `data` cannot be one: another end, no line break before the first row).
        Of a file read a piece at a time, only those two pieces are read."""
        if (
            not lengths
            or len(data) < len(self.end)
            or data[len(data) - len(self.end) :] != self.end
        ):
            return None
        step = len(self.separator)
        size = sum(lengths) + step * (len(lengths) - 1)
        first = len(data) - len(self.end) - size
        indent = b"\n" + self.separator.rpartition(b"\n")[2]
        if first < len(indent) or data[first - len(indent) : first] != indent:
            return None
        return list(accumulate([n + step for n in lengths[:-1]], initial=first))


@dataclass(frozen=True, slots=True)
class KeptRows:
    """A data file of the live site (its bytes, or the file to read them from a piece
    at a time), where each of its rows starts and how long it is, and the row of each
    item by its signature."""

    data: bytes | FilePieces
    index: Mapping[bytes, int]
    starts: Sequence[int]
    lengths: Sequence[int]


@dataclass(frozen=True, slots=True)
class LastRows:
    """What the last build kept of the data files it wrote: for each (by path), its key,
    the signatures of the items of its rows in order (joined), and the rows' lengths;
    and how to read a file of the live site.

    A file's rows serve only when the file is still as written, with the key kept here
    (`written`, see `rows`), and that key is the key of these very signatures under
    this build's fingerprint (data_key): the file was then made from the same items,
    each the same (keys.item_signatures), with the same settings, code and templates,
    so each row in it is what making it again would give. What a build that never
    swapped its files in kept cannot match the recorded key of the file still there."""

    files: Mapping[str, tuple[bytes, bytes, bytes]]
    read: Callable[[str], bytes | FilePieces | None]

    @classmethod
    def load(cls, cache_dir: Path, out_dir: Path, live: str | None) -> LastRows:
        """What the cache folder keeps of the data files written into `out_dir`, whose
        live site is the folder `live` (None: there is none, so nothing to read)."""
        value = read_blob(folder_file(cache_dir, "rows", out_dir), _ROWS_FORMAT)
        return cls(value if isinstance(value, dict) else {}, file_pieces(live))

    def save(
        self, cache_dir: Path, out_dir: Path, now: Mapping[str, tuple[bytes, bytes, bytes]]
    ) -> None:
        """Keep `now` (path -> key, joined signatures, lengths as array('I') bytes) for
        the next build, if it changed."""
        if now != self.files:
            write_blob(folder_file(cache_dir, "rows", out_dir), _ROWS_FORMAT, dict(now))

    def rows(
        self, path: str, frame: Frame, written: bytes | None, fingerprint: bytes
    ) -> KeptRows | None:
        """The rows of the live file at `path` (its key `written`, None: not as written);
        None when they cannot be used."""
        kept = self.files.get(path)
        if written is None or type(kept) is not tuple or len(kept) != 3:
            return None
        key, order, lengths = kept
        if not all(type(part) is bytes for part in kept) or key != written:
            return None
        if len(order) % SIZE or written != data_key(fingerprint, path, order):
            return None
        sizes = array("I")
        if len(lengths) != len(order) // SIZE * sizes.itemsize:
            return None
        sizes.frombytes(lengths)
        data = self.read(path)
        try:
            starts = frame.starts(data, sizes) if data is not None else None
        except OSError:  # no longer the file first looked at
            return None
        if starts is None:
            return None
        signatures = [order[i : i + SIZE] for i in range(0, len(order), SIZE)]
        index = {signature: n for n, signature in enumerate(signatures)}
        return KeptRows(data, index, starts, sizes)


_ROWS_FORMAT = "data-rows-1"


def lengths_bytes(lengths: Sequence[int]) -> bytes:
    """Rows' lengths as LastRows keeps them."""
    return array("I", lengths).tobytes()


def framed(start: bytes, separator: bytes, rows: Sequence[bytes], end: bytes) -> bytes:
    """`start + separator.join(rows) + end`, made as one buffer: that expression makes
    three (the join, then a copy with `start`, then one with `end`), each of a
    data file's ten megabytes, and new memory costs a page fault per 4 KB."""
    if not rows:
        return start + end
    if len(rows) == 1:
        return start + rows[0] + end
    return separator.join([start + rows[0], *rows[1:-1], rows[-1] + end])
