"""The hashes digest sums things up with: blake2b of 16 bytes, each part length-prefixed
so that no two lists of parts collide. keys.py makes the outputs' keys with them, and a
build its inputs' fingerprint (this module loads nothing else: a rebuild with nothing to
do uses it before it knows whether it needs the model)."""

from __future__ import annotations

from collections.abc import Iterable

try:
    # The C module hashlib itself takes blake2b from (the very type): importing hashlib
    # loads OpenSSL besides, 6-9 ms of every run, for hashes digest never uses.
    from _blake2 import blake2b
except ImportError:  # a Python without it
    from hashlib import blake2b

SIZE = 16


def digest(*parts: bytes | str) -> bytes:
    """One hash of several parts (each length-prefixed, so no two lists collide)."""
    return hasher(*parts).digest()


def hasher(*parts: bytes | str) -> blake2b:
    """A hash fed `parts` as `digest` feeds them, to be copied and fed more."""
    h = blake2b(digest_size=SIZE)
    for part in parts:
        data = part.encode() if isinstance(part, str) else part
        h.update(len(data).to_bytes(8, "little"))
        h.update(data)
    return h


def join(parts: Iterable[bytes]) -> bytes:
    """A list of hashes as one (order matters)."""
    return blake2b(b"".join(parts), digest_size=SIZE).digest()
