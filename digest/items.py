"""Reading and checking the item files: load.split_entry then validate.validate_entry for
each file, through the content-hash cache, and spread over the cores when there are
many files to read. The result is exactly what a sequential, uncached run gives."""

from __future__ import annotations

import hashlib
import multiprocessing
import os
from collections.abc import Mapping
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from .cache import EntryCache
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


def _check_chunk(chunk, agencies) -> list[Result]:
    return [check_item(rel, edition, data, agencies) for rel, edition, data in chunk]


def read_entries(
    root: Path,
    items: tuple[tuple[str, str], ...],
    agencies: Mapping[str, Agency] | None,
    cache: EntryCache | None,
    workers: int | None = None,
) -> tuple[tuple[Entry, ...], list[Problem]]:
    """Check every item file; valid Entries in path order, and all problems."""
    problems: list[Problem] = []
    results: dict[str, Result] = {}
    todo: list[tuple[str, str, bytes]] = []
    keys: dict[str, bytes] = {}
    for rel, edition in items:
        data, found = read_bytes(root, rel)
        if data is None:
            problems += found
            continue
        key = hashlib.blake2b(data, digest_size=16, person=edition.encode()).digest()
        keys[rel] = key
        hit = cache.get(rel, key) if cache else None
        if hit is not None:
            results[rel] = hit
        else:
            todo.append((rel, edition, data))

    for (rel, _edition, _data), result in zip(
        todo, _check_all(todo, agencies, workers), strict=True
    ):
        results[rel] = result
        if cache is not None:
            cache.put(rel, keys[rel], result)

    entries = []
    for rel, _edition in items:
        if rel in results:
            entry, found = results[rel]
            problems += found
            if entry is not None:
                entries.append(entry)
    return tuple(entries), problems


def _check_all(todo, agencies, workers: int | None) -> list[Result]:
    workers = workers or os.cpu_count() or 1
    if workers < 2 or len(todo) < PARALLEL_FROM:
        return _check_chunk(todo, agencies)
    # Contiguous chunks, a few per worker, so that results come back in order and one
    # slow chunk does not hold the others up.
    n = workers * 4
    size = -(-len(todo) // n)
    chunks = [todo[i : i + size] for i in range(0, len(todo), size)]
    methods = multiprocessing.get_all_start_methods()
    context = multiprocessing.get_context("fork" if "fork" in methods else None)
    with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
        parts = pool.map(_check_chunk, chunks, [agencies] * len(chunks))
        return [result for part in parts for result in part]
