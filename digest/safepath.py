"""Which file of the output folder a request names, if any: the dev server's only way
from a URL to the disk.

Two steps, both refusing rather than repairing. `site_path` reads the request target
as text: anything that could climb out or be read two ways (`..`, `.`, empty segments,
backslashes, NUL, encoded slashes, a target that is not an absolute path) is refused,
not normalised, because a normalised path is a guess at what the client meant.
`locate` then resolves symbolic links and refuses whatever ends up outside the folder.
"""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import unquote

INDEX = "index.html"
# Percent-encoded "/", "\" and NUL: a segment must never hide a separator or an end.
_ENCODED_FORBIDDEN = ("%2f", "%5c", "%00")


def site_path(target: str) -> str | None:
    """The relative POSIX path a request target names inside the site ('index.html'
    for '/', 'a/index.html' for '/a/'), or None when the target is unsafe or malformed.
    The query and fragment are ignored."""
    raw = target.split("?", 1)[0].split("#", 1)[0]
    if not raw.startswith("/") or "\\" in raw or "\0" in raw:
        return None
    if any(code in raw.lower() for code in _ENCODED_FORBIDDEN):
        return None
    try:
        text = unquote(raw, errors="strict")
    except UnicodeDecodeError:
        return None
    if "\\" in text or "\0" in text or any(ord(c) < 0x20 or ord(c) == 0x7F for c in text):
        return None
    segments = text[1:].split("/")
    folder = segments[-1] == ""
    if folder:
        segments = segments[:-1]
    if any(s in ("", ".", "..") for s in segments):
        return None
    return "/".join([*segments, INDEX] if folder else segments)


def locate(root: Path, rel: str) -> Path | None:
    """`root / rel` with every symbolic link resolved, or None when that leaves `root`
    (a link in the output pointing elsewhere on the disk)."""
    top = os.path.realpath(root)
    full = os.path.realpath(os.path.join(top, rel))
    if os.path.commonpath([top, full]) != top:
        return None
    return Path(full)
