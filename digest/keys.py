"""Keys: hashes of exactly what an output is made from, so that a rebuild renders only
the outputs whose key changed (and the files of the last build keep the others).

A page's key covers three things:
- the fingerprint of what every page shares: digest's code and libraries, the
  templates, site.yaml, agencies.yaml, every edition.yaml and the build options
  (`pages_fingerprint`);
- the page itself: its URL and kind;
- the items it shows, each by its signature: the item file's path and content hash and
  its footnote numbers (everything its view is made of besides what is shared), or, for
  pages that show an item only as a row of a list, the hash of that row as rendered.

So the key changes whenever the page's bytes could; a key that stays the same while
the bytes would change would be a bug in the lists of what each page shows, in
render.py and feeds.py, next to the code that makes the page."""

from __future__ import annotations

from collections.abc import Mapping

from .hashes import SIZE, blake2b, digest, hasher, join
from .model import Site

__all__ = ["digest", "hasher", "item_signatures", "join", "pages_fingerprint"]


def item_signatures(site: Site, content: Mapping[str, bytes]) -> dict[str, bytes]:
    """Per item id: a hash of its file's path and content hash and its footnote numbers.

    `content` maps item file paths to the content hashes the check made of them; an
    item without one (no cache in use) is hashed from its checked Entry instead."""
    signatures = {}
    notes = site.notes
    for eid, entry in site.entries.items():
        key = content.get(entry.path)
        if key is None:
            key = digest(repr(entry))
        numbers = ",".join(map(str, notes.get(eid, ())))
        # One hash call per item (10,000 a build): the path and the numbers cannot hold
        # a NUL, so the NULs end them unambiguously, and the content hash comes last.
        data = f"{entry.path}\0{numbers}\0".encode() + key
        signatures[eid] = blake2b(data, digest_size=SIZE).digest()
    return signatures


def pages_fingerprint(*parts: bytes | str) -> bytes:
    """The fingerprint shared by every page (see the module's docstring)."""
    return digest(b"pages", *parts)
