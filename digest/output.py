"""What render produces and write consumes: a file of the site, as bytes in memory."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Output:
    """One output file: `path` relative to the output folder (POSIX), and its bytes."""

    path: str
    data: bytes
