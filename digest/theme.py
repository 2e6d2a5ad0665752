"""Where templates and static files come from, and reading the static files.

The project's own `templates/` and `static/` sit beside the package in a source
checkout; an installed wheel carries them as `digest/_templates` and `digest/_static`.
A site folder (the parent of its entries folder) may have its own `templates/` or
`static/`: those files win, file by file, over the project's.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from . import urls
from .hashes import blake2b
from .output import Output

_PACKAGE = Path(__file__).resolve().parent


@dataclass(frozen=True, slots=True)
class Theme:
    """The folders a build takes its looks from, the site's own first."""

    templates: tuple[Path, ...]
    static: tuple[Path, ...]


def project_folder(name: str) -> Path:
    """The project's own `templates` or `static` folder (checkout or installed)."""
    checkout = _PACKAGE.parent / name
    return checkout if checkout.is_dir() else _PACKAGE / f"_{name}"


def find_theme(entries_dir: Path) -> Theme:
    """The template and static folders for the entries in `entries_dir`."""
    site = entries_dir.resolve().parent

    def chain(name: str) -> tuple[Path, ...]:
        own, project = site / name, project_folder(name)
        if own.is_dir() and own.resolve() != project.resolve():
            return (own, project)
        return (project,)

    return Theme(templates=chain("templates"), static=chain("static"))


def read_static(folders: tuple[Path, ...]) -> tuple[Output, ...]:
    """Every file of the static folders as outputs under static/, the first folder that
    has a path winning; hidden files (.keep, editor droppings) are left out."""
    found: dict[str, Path] = {}
    for folder in folders:
        for root, dirs, files in os.walk(folder):
            dirs[:] = sorted(d for d in dirs if not d.startswith("."))
            for name in sorted(files):
                if name.startswith("."):
                    continue
                path = Path(root) / name
                rel = path.relative_to(folder).as_posix()
                found.setdefault(rel, path)
    return tuple(Output(urls.static(rel), found[rel].read_bytes()) for rel in sorted(found))


def templates_fingerprint(folders: tuple[Path, ...]) -> bytes:
    """A hash of every file in the template folders (which folder, name and bytes): a
    changed, added or removed template changes it."""
    h = blake2b(digest_size=16)
    for index, folder in enumerate(folders):
        for root, dirs, files in os.walk(folder):
            dirs.sort()
            for name in sorted(files):
                path = os.path.join(root, name)
                rel = os.path.relpath(path, folder)
                with open(path, "rb") as fh:
                    data = fh.read()
                h.update(f"{index}\0{rel}\0{len(data)}\0".encode())
                h.update(data)
    return h.digest()
