"""What render produces and write consumes: a file of the site, as bytes in memory."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Output:
    """One output file: `path` relative to the output folder (POSIX), and its bytes.

    `data` is None when the file the last build wrote there is still right (its `key`,
    the hash of what it is made from, did not change): write keeps that file."""

    path: str
    data: bytes | None
    key: bytes = b""
