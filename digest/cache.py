"""The build cache in `.digest-cache/`: checked items keyed by a hash of their file's
bytes, valid only for the same digest code and the same agency registry.

The cache can only make a build faster, never different: every key is a content hash;
anything that could change how an item is checked (the code, the registry) is part of
the cache's fingerprint; and a cache that cannot be read for any reason (truncated,
corrupted, from another version) is ignored and rewritten, never trusted.

Checked items are kept in one file per edition folder, so that editing one item
rewrites some 30 cached items, not 10,000. Each file is `marshal` data (plain tuples,
strings and numbers: several times faster to read than pickled dataclasses) behind a
checksum, so damaged bytes are refused before they are parsed."""

from __future__ import annotations

import contextlib
import gc
import marshal
import os
import sys
import zlib
from collections.abc import Callable, Iterable, Mapping
from functools import cache
from pathlib import Path

from . import __version__
from .hashes import blake2b
from .problems import Problem

ENTRIES_DIR = "entries"
_MAGIC = b"digest-cache-2\n"
_SUM = 4  # bytes of the CRC-32 after the magic line

# Libraries whose behaviour shapes the output: their versions are part of the code.
_LIBRARIES = ("markdown-it-py", "jinja2", "markupsafe", "pyyaml", "feedgen", "lxml", "mdurl")


def code_fingerprint() -> str:
    """A hash of digest's version, its own source files (their bytes), the Python version
    and the versions of the libraries that shape the output: a changed module
    invalidates every cache even without a version bump."""
    h = blake2b(f"{__version__}\0{sys.version}\0".encode(), digest_size=16)
    package = Path(__file__).parent
    for path in sorted(package.glob("*.py")):
        h.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    versions = _versions()
    for name in _LIBRARIES:
        h.update(f"{name}={versions.get(_normal(name)) or _version(name)};".encode())
    return h.hexdigest()


@cache
def _versions() -> dict[str, str]:
    """Installed distributions' versions by normalised name, read from the names of
    their metadata folders (`markdown_it_py-4.3.0.dist-info`), the first on sys.path
    winning as it does on import. importlib.metadata gives the same answers, but
    importing it costs more than all the rest of a rebuild with nothing to do."""
    found: dict[str, str] = {}
    for folder in sys.path:
        try:
            names = sorted(os.listdir(folder or "."))
        except OSError:
            continue  # a zip file, or gone
        for entry in names:
            if entry.endswith(".dist-info"):
                name, _, version = entry[: -len(".dist-info")].partition("-")
                if version:
                    found.setdefault(_normal(name), version)
    return found


def _normal(name: str) -> str:
    return name.lower().replace("-", "_").replace(".", "_")


def _version(name: str) -> str:
    # Not installed from a wheel (no NAME-VERSION.dist-info folder): ask the slow way.
    from importlib import metadata

    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return "-"


def registry_fingerprint(agencies: Mapping[str, object] | None) -> str:
    """Items are checked against the registry's keys: a hash of them (or of 'none')."""
    if agencies is None:
        return "none"
    return blake2b("\0".join(sorted(agencies)).encode(), digest_size=16).hexdigest()


def folder_file(cache_dir: Path, kind: str, folder: Path) -> Path:
    """The cache file of this kind kept for one folder (the entries read, the output
    written), named by a hash of the folder's absolute path: `KIND-HASH.bin`."""
    name = blake2b(os.fsencode(os.path.abspath(folder)), digest_size=8).hexdigest()
    return Path(cache_dir) / f"{kind}-{name}.bin"


def read_blob(path: Path, fingerprint: str) -> object | None:
    """The value saved at `path` with `fingerprint`, or None when the file is missing,
    damaged, or was written for another fingerprint."""
    # Plain os calls, not a file object: the entry cache is some 300 files, and a file
    # object's set-up costs more than the reading of most of them.
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_CLOEXEC", 0))
    except OSError:
        return None
    try:
        size = os.fstat(fd).st_size
        parts = [os.read(fd, size + 1)]
        while parts[-1]:  # to the end, whatever the size said
            parts.append(os.read(fd, 1 << 20))
    except OSError:
        return None
    finally:
        os.close(fd)
    data = parts[0] if len(parts) == 2 else b"".join(parts)
    head = _MAGIC + fingerprint.encode() + b"\n"
    if not data.startswith(head) or len(data) < len(head) + _SUM:
        return None
    # A view, not a slice: a copy of 20 MB of cached items would cost as much as the check.
    checksum, payload = data[len(head) : len(head) + _SUM], memoryview(data)[len(head) + _SUM :]
    if zlib.crc32(payload).to_bytes(_SUM, "big") != checksum:
        return None
    with paused_gc():
        try:
            return marshal.loads(payload)
        except (ValueError, EOFError, TypeError):
            return None


@contextlib.contextmanager
def paused_gc():
    """No garbage collection within; after it, what is alive goes to the old generation
    without being looked at as young objects.

    For reading and unpacking the cache: that makes hundreds of thousands of objects,
    none of them in a cycle, and the collector (which runs every few hundred new
    objects, looking at all the young ones each time) would double the time it takes.
    Once running again it would look at all of them at once (0.1 s for 10,000 items)
    and count them as new old objects, whose number soon sets off a full collection
    (another 0.1 s). Instead the pause ends with gc.freeze(), and the next collection
    of any generation starts by unfreezing them (_unfreeze), which puts them in the old
    generation as they are: not looked at, not counted, and collected, should they
    become garbage, by the next full collection like any old object (no leak)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            if _unfreeze not in gc.callbacks:
                gc.callbacks.append(_unfreeze)
            gc.freeze()
            gc.enable()


def _unfreeze(phase: str, info: dict) -> None:
    # A gc callback, before every collection: what paused_gc froze joins the oldest
    # generation (an O(1) list splice), where only a full collection looks at it.
    if phase == "start":
        gc.unfreeze()


def write_blob(path: Path, fingerprint: str, value: object) -> None:
    """Save `value` (plain tuples, dicts, strings, numbers) atomically: temp file, then
    rename. A cache that cannot be written only costs speed: errors are ignored."""
    import tempfile  # not on the start-up of a rebuild with nothing to do, which writes nothing

    payload = marshal.dumps(value)
    checksum = zlib.crc32(payload).to_bytes(_SUM, "big")
    data = _MAGIC + fingerprint.encode() + b"\n" + checksum + payload
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    except OSError:
        return
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, path)
    except OSError:
        Path(tmp).unlink(missing_ok=True)


@cache
def _layout() -> tuple[type, type, tuple[str, ...], tuple[int, ...], Callable]:
    """An Entry as a plain tuple: its fields in order, dates as ordinals. The class, its
    unfrozen twin (see unpack), its field names, the places of its dates and how a date
    is made from its ordinal. (validate.py is imported when an item is first packed or
    unpacked: a rebuild with nothing to do checks no item.)"""
    import dataclasses
    import datetime

    from .validate import Entry

    names = tuple(f.name for f in dataclasses.fields(Entry))
    dates = tuple(i for i, name in enumerate(names) if name in ("date", "effective", "updated"))
    return Entry, _unfrozen_twin(Entry), names, dates, datetime.date.fromordinal


def _unfrozen_twin(cls: type) -> type:
    """A class with the same slots as the frozen slotted dataclass `cls`, whose
    __init__ sets each field by a plain attribute store.

    A frozen dataclass's __init__ sets each field through object.__setattr__, a call
    per field: 19 calls an item, some 80 ms for the 10,000 items a rebuild unpacks.
    An instance of the twin, its fields set in a third of that time, becomes a `cls`
    by assigning __class__, which Python allows between classes of the same slots (the
    same memory layout); from then on it is frozen, compares and hashes as a `cls`.
    That holds only for a class whose __init__ does nothing but set its fields: no
    __post_init__. (Defaults play no part: unpack always gives every value.)"""
    import dataclasses

    if not dataclasses.is_dataclass(cls) or "__slots__" not in cls.__dict__:
        raise TypeError(f"{cls.__name__} is not a slotted dataclass")
    if hasattr(cls, "__post_init__"):
        raise TypeError(f"{cls.__name__} has a __post_init__ that the twin would skip")
    names = [f.name for f in dataclasses.fields(cls)]
    if tuple(names) != tuple(cls.__slots__):
        raise TypeError(f"{cls.__name__}'s slots are not its fields in order")
    return dataclasses.make_dataclass(
        f"_Unfrozen{cls.__name__}", names, slots=True, repr=False, eq=False
    )


def pack(result) -> tuple:
    """A check result (Entry or None, problems) as plain tuples."""
    entry, problems = result
    packed = None
    if entry is not None:
        _entry, _twin, names, dates, _from_ordinal = _layout()
        values = [getattr(entry, name) for name in names]
        for i in dates:
            if values[i] is not None:
                values[i] = values[i].toordinal()
        packed = tuple(values)
    return packed, tuple((p.path, p.line, p.field, p.message) for p in problems)


def unpack(packed: tuple):
    """The check result `pack` was given."""
    values, problems = packed
    entry = None
    if values is not None:
        cls, twin, _names, dates, from_ordinal = _layout()
        values = list(values)
        for i in dates:
            if values[i] is not None:
                values[i] = from_ordinal(values[i])
        entry = twin(*values)
        entry.__class__ = cls  # frozen from here on: see _unfrozen_twin
    # Most items have no problem: no generator to make for them (10,000 unpacks a build).
    return entry, tuple([Problem(*p) for p in problems]) if problems else ()


def pack_shared(result, memo: dict) -> tuple:
    """`pack`, with the values that items repeat made one object each across the results
    packed with the same `memo`: what the cache files keep. marshal writes an object met
    twice once, and reading makes it once: an edition, a section, an agency key, a
    field name of `lines` or a whole `lines` tuple repeated in 30 items is then one
    object, not 30, for less to read.

    Only those fields are looked at (the ids, titles and bodies are each an item's
    own), without a walk of every value: sharing all of them took a tenth of the
    checking. Only plain values are shared, strings and tuples of strings or of
    (string, int) pairs: tuples are equal only when their items are of the same types
    too, where (0,) == (False,) and (1,) == (1.0,) would not be."""
    values, problems = pack(result)
    if values is None:
        return values, problems
    strings, tuples = _repeated()
    values = list(values)
    share = memo.setdefault
    for i in strings:
        if type(values[i]) is str:
            values[i] = share(values[i], values[i])
    for i in tuples:
        values[i] = _shared_tuple(values[i], share)
    return tuple(values), problems


@cache
def _repeated() -> tuple[tuple[int, ...], tuple[int, ...]]:
    """Where a packed Entry has the values that items repeat: strings, and tuples of
    strings or of (field name, line) pairs."""
    names = _layout()[2]
    strings = ("edition", "date_precision", "category")
    tuples = ("agencies", "sources", "tags", "lines")
    return tuple(map(names.index, strings)), tuple(map(names.index, tuples))


def _shared_tuple(value: object, share: Callable) -> object:
    """A tuple of strings or of (string, int) pairs made one object by `share` (its
    strings and pairs too); any other value as it is."""
    if type(value) is not tuple:
        return value
    parts = []
    for item in value:
        kind = type(item)
        if kind is str:
            item = share(item, item)
        elif kind is tuple and len(item) == 2 and type(item[0]) is str and type(item[1]) is int:
            pair = (share(item[0], item[0]), item[1])
            item = share(pair, pair)
        else:
            return value
        parts.append(item)
    shared = tuple(parts)
    return share(shared, shared)


def _shard(rel: str) -> str:
    return rel.split("/", 1)[0] if "/" in rel else "_"


class EntryCache:
    """Checked items by path and content hash, one file per edition folder; load it, use
    it, save it (only the folders whose items changed are written again)."""

    def __init__(self, directory: Path, fingerprint: str):
        self.folder = Path(directory) / ENTRIES_DIR
        self.fingerprint = fingerprint
        self.old: dict[str, dict[str, tuple[bytes, tuple]]] = {}
        self.new: dict[str, dict[str, tuple[bytes, tuple]]] = {}
        self.dirty: set[str] = set()
        self.memo: dict = {}  # for pack_shared

    def _load(self, shard: str) -> dict[str, tuple[bytes, tuple]]:
        found = self.old.get(shard)
        if found is None:
            value = read_blob(self.folder / f"{shard}.bin", self.fingerprint)
            found = self.old[shard] = value if isinstance(value, dict) else {}
        return found

    def get_all(self, wanted: Iterable[tuple[str, bytes]]) -> list:
        """For each (path, content hash), in order: the cached result for the path if
        its content hash is that one, else None. A folder's file is looked up once for
        a run of its paths, not once per item (paths in order come folder by folder:
        ten thousand of them a rebuild)."""
        found = []
        shard = None
        old: dict[str, tuple[bytes, tuple]] = {}
        new: dict[str, tuple[bytes, tuple]] | None = None
        for rel, key in wanted:
            here = _shard(rel)
            if here != shard:
                shard, old, new = here, self._load(here), None
            hit = old.get(rel)
            result = None
            if hit is not None and hit[0] == key:
                try:
                    result = unpack(hit[1])
                except (TypeError, ValueError, IndexError):
                    pass  # a well-formed file from an incompatible layout: check again
                else:
                    if new is None:
                        new = self.new.setdefault(shard, {})
                    new[rel] = hit
            found.append(result)
        return found

    def put(self, rel: str, key: bytes, result) -> None:
        """Remember the result for `rel` at content hash `key`."""
        self.put_packed(rel, key, pack_shared(result, self.memo))

    def put_packed(self, rel: str, key: bytes, packed: tuple) -> None:
        """Remember a result already packed (by pack_shared) for `rel` at `key`."""
        shard = _shard(rel)
        self.new.setdefault(shard, {})[rel] = (key, packed)
        self.dirty.add(shard)

    def save(self) -> None:
        """Write the folders whose items changed, were added or went away; remove the
        files of folders that no longer exist."""
        for shard, entries in self.new.items():
            if shard in self.dirty or entries.keys() != self._load(shard).keys():
                write_blob(self.folder / f"{shard}.bin", self.fingerprint, entries)
        try:
            present = {p.stem for p in self.folder.glob("*.bin")}
        except OSError:
            return
        for stale in present - self.new.keys():
            (self.folder / f"{stale}.bin").unlink(missing_ok=True)
