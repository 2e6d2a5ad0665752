"""The hashes digest sums things up with: blake2b of 16 bytes, each part length-prefixed
so that no two lists of parts collide. keys.py makes the outputs' keys with them, and a
build its inputs' fingerprint (this module loads nothing else: a rebuild with nothing to
do uses it before it knows whether it needs the model)."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable

SIZE = 16


def digest(*parts: bytes | str) -> bytes:
    """One hash of several parts (each length-prefixed, so no two lists collide)."""
    return hasher(*parts).digest()


def hasher(*parts: bytes | str) -> hashlib.blake2b:
    """A hash fed `parts` as `digest` feeds them, to be copied and fed more."""
    h = hashlib.blake2b(digest_size=SIZE)
    for part in parts:
        data = part.encode() if isinstance(part, str) else part
        h.update(len(data).to_bytes(8, "little"))
        h.update(data)
    return h


def join(parts: Iterable[bytes]) -> bytes:
    """A list of hashes as one (order matters)."""
    return hashlib.blake2b(b"".join(parts), digest_size=SIZE).digest()
