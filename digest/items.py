"""Checking the item files: load.split_entry then validate.validate_entry for each file,
through the content-hash cache, and spread over the cores when there are many files to
check. The result is exactly what a sequential, uncached run gives.

The files are read by sources.py; one it did not read (unchanged since the last run)
is read here only if the cache has no checked item for its content hash. The ones it
did read (changed or new: most likely not in the cache) are checked, when they are few,
in a forked process while this one reads the cache: after an edit, markdown-it's import
and the parsing are then off the path that the rest of the build waits on."""

from __future__ import annotations

import os
from collections.abc import Mapping
from functools import partial
from pathlib import Path

from . import forked
from .cache import EntryCache, pack_shared, paused_gc, unpack
from .load import read_bytes, split_entry
from .problems import Problem
from .registry import Agency
from .sources import Source, content_key
from .validate import Entry, validate_entry

# Below this many files to parse, starting worker processes costs more than it saves.
PARALLEL_FROM = 400
# Items per chunk handed to a worker, about (see _check_all).
CHUNK = 200
# From this many items, reading the cache takes longer than forking a process to check
# the few files read again (and importing markdown-it there): see check_sources.
AHEAD_FROM = 400

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
    # dataclasses costs more than checking them. They are packed as the cache keeps
    # them (shared within the chunk, which pickling preserves), here in the worker.
    memo: dict = {}
    with paused_gc():  # see _check_all
        return [pack_shared(check_item(r, e, data, agencies), memo) for r, e, data in chunk]


def check_sources(
    root: Path,
    sources: tuple[Source, ...],
    agencies: Mapping[str, Agency] | None,
    cache: EntryCache | None,
    workers: int | None = None,
) -> tuple[tuple[Entry, ...], list[Problem]]:
    """Check every item file of `root`; valid Entries in path order, and all problems."""
    results: dict[str, Result] = {}
    todo: list[tuple[str, str, bytes]] = []
    keys: list[bytes] = []
    # The files sources.py read (changed or new), checked in a forked process while the
    # cache is read, when they are few and the cache is big enough to hide them behind.
    read = [(s.rel, s.edition, s.data) for s in sources if s.data is not None]
    early = None
    if cache is not None and 0 < len(read) < PARALLEL_FROM and len(sources) >= AHEAD_FROM:
        early = forked.start(partial(_check_chunk, read, agencies))
    ahead: dict[str, tuple] = {}  # path -> the result of its bytes as read, packed
    try:
        with paused_gc():  # the cache's items: see paused_gc
            hits = (
                cache.get_all([(s.rel, s.key) for s in sources]) if cache else [None] * len(sources)
            )
        if early is not None and any(
            hit is None for s, hit in zip(sources, hits, strict=True) if s.data is not None
        ):
            ahead = dict(zip([rel for rel, _e, _d in read], early.result(), strict=True))
    finally:
        if early is not None:
            early.close()  # stopped, when the cache had them all (files only touched)
    for source, hit in zip(sources, hits, strict=True):
        if hit is not None:
            results[source.rel] = hit
            continue
        packed = ahead.get(source.rel)
        if packed is not None:  # checked from these very bytes (source.data)
            results[source.rel] = unpack(packed)
            if cache is not None:
                cache.put_packed(source.rel, source.key, packed)
            continue
        data, key = source.data, source.key
        if data is None:
            data, found = read_bytes(root, source.rel)
            if data is None:  # gone or unreadable since its stat was taken
                results[source.rel] = None, tuple(found)
                continue
            # The bytes as read now: the file may have changed since it was looked at,
            # and the cache must keep each result under the hash of what was checked.
            key = content_key(data, source.edition)
        todo.append((source.rel, source.edition, data))
        keys.append(key)

    checked = _check_all(todo, agencies, workers)
    for (rel, _edition, _data), key, (result, packed) in zip(todo, keys, checked, strict=True):
        results[rel] = result
        if cache is not None:
            if packed is None:
                cache.put(rel, key, result)
            else:
                cache.put_packed(rel, key, packed)

    entries = []
    problems: list[Problem] = []
    for source in sources:
        entry, found = results[source.rel]
        problems += found
        if entry is not None:
            entries.append(entry)
    return tuple(entries), problems


def _check_all(todo, agencies, workers: int | None) -> list[tuple[Result, tuple | None]]:
    """Each item's result, and the result packed for the cache when a worker packed it."""
    workers = workers or os.cpu_count() or 1
    if workers < 2 or len(todo) < PARALLEL_FROM:
        # Without the collector: checking an item makes thousands of short-lived objects
        # (markdown-it's tokens above all) and no reference cycles, and the collector,
        # run every few hundred of them, was some 7% of the checking.
        with paused_gc():
            return [(check_item(rel, edition, data, agencies), None) for rel, edition, data in todo]
    # Contiguous chunks, so that results come back in order, of some 200 items (at
    # least four per worker): the last to finish then keeps one worker busy alone for
    # a tenth of a second, not the most of a second that eight chunks in all did.
    n = max(workers * 4, len(todo) // CHUNK)
    size = -(-len(todo) // n)
    chunks = [todo[i : i + size] for i in range(0, len(todo), size)]
    # Imported here: a rebuild that checks a few items never starts workers.
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    methods = multiprocessing.get_all_start_methods()
    context = multiprocessing.get_context("fork" if "fork" in methods else None)
    with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
        parts = pool.map(_check_chunk, chunks, [agencies] * len(chunks))
        with paused_gc():  # ten thousand items unpacked here: see paused_gc
            return [(unpack(packed), packed) for part in parts for packed in part]
