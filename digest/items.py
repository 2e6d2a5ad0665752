"""Reading and checking the item files: load.split_entry then validate.validate_entry for
each file, through the content-hash cache, and spread over the cores when there are
many files to read. The result is exactly what a sequential, uncached run gives."""

from __future__ import annotations

import hashlib
import multiprocessing
import os
from collections.abc import Mapping
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from .cache import EntryCache, pack, unpack
from .load import read_bytes, split_entry
from .problems import Problem
from .registry import Agency
from .validate import Entry, validate_entry

# Below this many files to parse, starting worker processes costs more than it saves.
PARALLEL_FROM = 400

Result = tuple[Entry | None, tuple[Problem, ...]]


def check_item(
    rel: str, edition: str, data: bytes, agencies: Mapping[str, Agency] | None
) -> Result:
    """One item file's bytes -> its Entry (or None) and its problems."""
    raw, problems = split_entry(rel, edition, data)
    if raw is None:
        return None, tuple(problems)
    entry, problems = validate_entry(raw, agencies)
    return entry, tuple(problems)


def _check_chunk(chunk, agencies) -> list[tuple]:
    # Results cross the process boundary as plain tuples: pickling 10,000 frozen
    # dataclasses costs more than checking them.
    return [pack(check_item(rel, edition, data, agencies)) for rel, edition, data in chunk]


@dataclass(frozen=True, slots=True)
class Source:
    """An item file's bytes, and their content hash (the cache key)."""

    rel: str
    edition: str
    data: bytes
    key: bytes


def read_sources(
    root: Path, items: tuple[tuple[str, str], ...]
) -> tuple[tuple[Source, ...], list[Problem]]:
    """Read every item file (in path order) and hash its bytes with its edition."""
    problems: list[Problem] = []
    sources = []
    for rel, edition in items:
        data, found = read_bytes(root, rel)
        if data is None:
            problems += found
            continue
        key = hashlib.blake2b(data, digest_size=16, person=edition.encode()).digest()
        sources.append(Source(rel, edition, data, key))
    return tuple(sources), problems


def check_sources(
    sources: tuple[Source, ...],
    agencies: Mapping[str, Agency] | None,
    cache: EntryCache | None,
    workers: int | None = None,
) -> tuple[tuple[Entry, ...], list[Problem]]:
    """Check every item file; valid Entries in path order, and all problems."""
    results: dict[str, Result] = {}
    todo: list[Source] = []
    for source in sources:
        hit = cache.get(source.rel, source.key) if cache else None
        if hit is not None:
            results[source.rel] = hit
        else:
            todo.append(source)

    checked = _check_all([(s.rel, s.edition, s.data) for s in todo], agencies, workers)
    for source, result in zip(todo, checked, strict=True):
        results[source.rel] = result
        if cache is not None:
            cache.put(source.rel, source.key, result)

    entries = []
    problems: list[Problem] = []
    for source in sources:
        entry, found = results[source.rel]
        problems += found
        if entry is not None:
            entries.append(entry)
    return tuple(entries), problems


def read_entries(
    root: Path,
    items: tuple[tuple[str, str], ...],
    agencies: Mapping[str, Agency] | None,
    cache: EntryCache | None,
    workers: int | None = None,
) -> tuple[tuple[Entry, ...], list[Problem]]:
    """Read and check every item file; valid Entries in path order, and all problems."""
    sources, problems = read_sources(root, items)
    entries, found = check_sources(sources, agencies, cache, workers)
    return entries, sorted(problems + found, key=lambda p: p.path) if problems else found


def _check_all(todo, agencies, workers: int | None) -> list[Result]:
    workers = workers or os.cpu_count() or 1
    if workers < 2 or len(todo) < PARALLEL_FROM:
        return [check_item(rel, edition, data, agencies) for rel, edition, data in todo]
    # Contiguous chunks, a few per worker, so that results come back in order and one
    # slow chunk does not hold the others up.
    n = workers * 4
    size = -(-len(todo) // n)
    chunks = [todo[i : i + size] for i in range(0, len(todo), size)]
    methods = multiprocessing.get_all_start_methods()
    context = multiprocessing.get_context("fork" if "fork" in methods else None)
    with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
        parts = pool.map(_check_chunk, chunks, [agencies] * len(chunks))
        return [unpack(result) for part in parts for result in part]
