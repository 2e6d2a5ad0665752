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
part of a removed or edited item lingers there, unused, until its file is rewritten."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

from .cache import read_blob, write_blob

FRAGMENTS_DIR = "fragments"


class Fragments:
    """Per-item values (bytes) by name and item signature; use `each`, then `save`.
    Without a cache folder every value is made, and nothing is kept."""

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


def framed(start: bytes, separator: bytes, rows: Sequence[bytes], end: bytes) -> bytes:
    """`start + separator.join(rows) + end`, made as one buffer: that expression makes
    three (the join, then a copy with `start`, then one with `end`), each of a
    data file's ten megabytes, and new memory costs a page fault per 4 KB."""
    if not rows:
        return start + end
    if len(rows) == 1:
        return start + rows[0] + end
    return separator.join([start + rows[0], *rows[1:-1], rows[-1] + end])
