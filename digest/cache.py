"""The build cache in `.digest-cache/`: checked items keyed by a hash of their file's
bytes, valid only for the same digest code and the same agency registry.

The cache can only make a build faster, never different: every key is a content hash;
anything that could change how an item is checked (the code, the registry) is part of
the cache's fingerprint; and a cache that cannot be read for any reason (truncated,
corrupted, from another version) is ignored and rewritten, never trusted."""

from __future__ import annotations

import hashlib
import os
import pickle
import tempfile
from collections.abc import Mapping
from pathlib import Path

from . import __version__

CACHE_FILE = "entries.pickle"


def code_fingerprint() -> str:
    """A hash of digest's version and its own source files (name, size, mtime): a
    changed module invalidates the cache even without a version bump."""
    h = hashlib.blake2b(__version__.encode(), digest_size=16)
    package = Path(__file__).parent
    for path in sorted(package.glob("*.py")):
        st = path.stat()
        h.update(f"{path.name}:{st.st_size}:{st.st_mtime_ns};".encode())
    return h.hexdigest()


def registry_fingerprint(agencies: Mapping[str, object] | None) -> str:
    """Items are checked against the registry's keys: a hash of them (or of 'none')."""
    if agencies is None:
        return "none"
    return hashlib.blake2b("\0".join(sorted(agencies)).encode(), digest_size=16).hexdigest()


class EntryCache:
    """Checked items by path and content hash; load it, use it, save it."""

    def __init__(self, directory: Path, fingerprint: str):
        self.path = Path(directory) / CACHE_FILE
        self.fingerprint = fingerprint
        self.old: dict[str, tuple[bytes, object]] = {}
        self.new: dict[str, tuple[bytes, object]] = {}
        self.dirty = False
        self._read()

    def _read(self) -> None:
        try:
            with open(self.path, "rb") as fh:
                data = pickle.load(fh)
            if data["fingerprint"] == self.fingerprint:
                self.old = data["entries"]
        except FileNotFoundError:
            pass
        except Exception:
            # Truncated, corrupted or from another version: start again from nothing.
            self.old = {}
            self.dirty = True

    def get(self, rel: str, key: bytes):
        """The cached result for `rel` if its content hash is `key`, else None."""
        hit = self.old.get(rel)
        if hit is not None and hit[0] == key:
            self.new[rel] = hit
            return hit[1]
        return None

    def put(self, rel: str, key: bytes, result) -> None:
        """Remember the result for `rel` at content hash `key`."""
        self.new[rel] = (key, result)
        self.dirty = True

    def save(self) -> None:
        """Write the cache atomically (temp file, then rename), keeping only what this run
        used; nothing is written when nothing changed."""
        if not self.dirty and self.new.keys() == self.old.keys():
            return
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=".entries.", suffix=".tmp")
        except OSError:
            return  # a read-only or missing place for the cache only costs speed
        try:
            with os.fdopen(fd, "wb") as fh:
                pickle.dump(
                    {"fingerprint": self.fingerprint, "entries": self.new},
                    fh,
                    protocol=pickle.HIGHEST_PROTOCOL,
                )
            os.replace(tmp, self.path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
