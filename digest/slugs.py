"""Item ids from titles: the one slug rule, shared by `digest import` and `digest new`.

'China's First On-Market Transaction' -> 'chinas-first-on-market-transaction': lowercase
ASCII, apostrophes dropped, every other run of non-alphanumerics one hyphen, at most
60 characters cut at a word boundary; unique against the ids already taken."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Collection

from .fields import WINDOWS_RESERVED

MAX_LENGTH = 60
FALLBACK = "item"
_APOSTROPHES = re.compile(r"['’ʼ`]")
_OTHER = re.compile(r"[^a-z0-9]+")


def slugify(title: str, max_length: int = MAX_LENGTH) -> str:
    """The id a title gives: [a-z0-9-], at most `max_length` characters, never empty."""
    # NFKD splits accented letters into letter + mark, so 'é' keeps its 'e'.
    ascii_text = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode()
    words = _OTHER.sub(" ", _APOSTROPHES.sub("", ascii_text.lower())).split()
    slug = ""
    for word in words:
        candidate = f"{slug}-{word}" if slug else word
        if len(candidate) > max_length:
            if not slug:  # one word longer than the limit: cut it, there is no boundary
                slug = word[:max_length]
            break
        slug = candidate
    if not slug:
        return FALLBACK
    if slug in WINDOWS_RESERVED:
        return f"{slug}-{FALLBACK}"
    return slug


def unique(slug: str, taken: Collection[str]) -> str:
    """`slug`, or `slug-2`, `slug-3`, ... : the first that is not in `taken`."""
    if slug not in taken:
        return slug
    n = 2
    while f"{slug}-{n}" in taken:
        n += 1
    return f"{slug}-{n}"
