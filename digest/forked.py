"""Work done in a forked process while this one goes on.

A build's data files (feeds, catalog, search index, calendar, llms.txt) depend on the
model alone, and the pages on the model too: with two cores, one process can make the
data files while the other renders. The work is inherited by fork (the model is never
pickled); only its result comes back, pickled."""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable
from concurrent.futures import Future, ProcessPoolExecutor
from typing import Generic, TypeVar

T = TypeVar("T")

# The work of a forked process, set once when it starts (inherited, never pickled).
_WORK: list[Callable[[], object]] = []


class Pending(Generic[T]):
    """Work started elsewhere (or, without fork, done at once); `result()` waits."""

    def __init__(self, work: Callable[[], T], fork: bool = True) -> None:
        self._pool: ProcessPoolExecutor | None = None
        self._future: Future | None = None
        self._value: T | None = None
        if not fork or "fork" not in multiprocessing.get_all_start_methods():
            self._value = work()
            return
        self._pool = ProcessPoolExecutor(
            max_workers=1,
            mp_context=multiprocessing.get_context("fork"),
            initializer=_adopt,
            initargs=(work,),
        )
        self._future = self._pool.submit(_run)

    def result(self) -> T:
        """The work's result; its exception, if it raised one."""
        if self._future is None:
            return self._value  # type: ignore[return-value]
        try:
            return self._future.result()
        finally:
            self.close()

    def close(self) -> None:
        """Stop waiting for the work (after a failure elsewhere)."""
        if self._pool is not None:
            self._pool.shutdown(cancel_futures=True)
            self._pool = None


def start(work: Callable[[], T], fork: bool = True) -> Pending[T]:
    """Start `work` in a forked process and return at once (with `fork` False, or where
    processes cannot fork, do it now)."""
    return Pending(work, fork)


def _adopt(work: Callable[[], object]) -> None:
    _WORK[:] = [work]


def _run() -> object:
    return _WORK[0]()
