"""Work done in a forked process while this one goes on.

A build's data files (feeds, catalog, search index, calendar, llms.txt) depend on the
model alone, and the pages on the model too: with two cores, one process can make the
data files while the other renders. The work is inherited by fork (the model is never
pickled); only its result comes back, pickled, through a pipe.

A bare fork and a pipe, not a one-worker process pool: the pool's queues, threads and
imports cost a rebuild of one item more than the work it hands over. (A rebuild with
nothing to do forks too, so this module imports only what every use needs.)"""

from __future__ import annotations

import contextlib
import os
import pickle

# typing.TYPE_CHECKING without importing typing (some milliseconds of every start-up).
TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import TypeVar

    T = TypeVar("T")


class ForkedError(RuntimeError):
    """The forked process failed in a way its exception could not be sent back for, or
    ended without sending anything."""


class Pending:
    """Work started elsewhere (or, without fork, done at once); `result()` waits."""

    def __init__(self, work: Callable[[], T], fork: bool = True) -> None:
        self._pid = 0
        self._fd = -1
        self._value: T | None = None
        if not fork or not hasattr(os, "fork"):
            self._value = work()
            return
        read_end, write_end = os.pipe()
        pid = os.fork()
        if pid == 0:  # the child: never returns
            os.close(read_end)
            _child(work, write_end)
        os.close(write_end)
        self._pid, self._fd = pid, read_end

    def result(self) -> T:
        """The work's result (the same one each time asked); its exception, if it raised
        one."""
        if not self._pid:
            return self._value  # type: ignore[return-value]
        try:
            data = _read_all(self._fd)
        finally:
            status = self._reap()
        if not data:
            code = os.waitstatus_to_exitcode(status)
            how = f"exit code {code}" if code >= 0 else f"killed by signal {-code}"
            raise ForkedError(f"the forked process ended without a result ({how})")
        ok, value, text = pickle.loads(data)
        if ok:
            self._value = value
            return value
        # The child's traceback, as text (a traceback cannot be pickled), as the cause.
        raise value from ForkedError(text)

    def close(self) -> None:
        """Stop the work (after a failure elsewhere): the process is ended, not waited
        for to finish."""
        if self._pid:
            import signal

            with contextlib.suppress(ProcessLookupError):
                os.kill(self._pid, signal.SIGKILL)
            self._reap()

    def _reap(self) -> int:
        os.close(self._fd)
        _pid, status = os.waitpid(self._pid, 0)
        self._pid, self._fd = 0, -1
        return status


def start(work: Callable[[], T], fork: bool = True) -> Pending:
    """Start `work` in a forked process and return at once (with `fork` False, or where
    processes cannot fork, do it now)."""
    return Pending(work, fork)


def _child(work: Callable[[], object], fd: int) -> None:
    """Run `work`, send back (True, result, "") or (False, exception, its traceback),
    and end the process without the parent's exit handlers or buffered output."""
    code = 0
    try:
        try:
            data = pickle.dumps((True, work(), ""), pickle.HIGHEST_PROTOCOL)
        except BaseException as error:
            import traceback

            code = 1
            text = "".join(traceback.format_exception(error))
            try:
                data = pickle.dumps((False, error, text), pickle.HIGHEST_PROTOCOL)
            except Exception:  # an exception that cannot be pickled: its text only
                data = pickle.dumps((False, ForkedError(text), text), pickle.HIGHEST_PROTOCOL)
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view) :]
    except BaseException:
        code = 1
    finally:
        os._exit(code)


def _read_all(fd: int) -> bytes:
    parts = []
    while chunk := os.read(fd, 1 << 20):
        parts.append(chunk)
    return b"".join(parts)
