"""Work done in a forked process while this one goes on.

A build's data files (feeds, catalog, search index, calendar, llms.txt) depend on the
model alone, and the pages on the model too: with two cores, one process can make the
data files while the other renders. The work is inherited by fork (the model is never
pickled); only its result comes back, pickled, through a pipe.

A bare fork and a pipe, not a one-worker process pool: the pool's queues, threads and
imports cost a rebuild of one item more than the work it hands over. (A rebuild with
nothing to do forks too, so this module imports only what every use needs.)

Work may have chores that its result does not wait for (`then`: saving caches): the
process sends its result first, so that the parent goes on with it, and then does
them; the parent asks how they went (`done`) before it ends."""

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
    """Work started elsewhere (or, without fork, done at once); `result()` waits for
    its result, `done()` for its chores too."""

    def __init__(
        self, work: Callable[[], T], fork: bool = True, then: Callable[[], object] | None = None
    ) -> None:
        self._pid = 0
        self._fd = -1
        self._value: T | None = None
        self._got = False  # the result is in _value
        self._then = then is not None  # chores whose outcome is still to be read
        if not fork or not hasattr(os, "fork"):
            self._value, self._got = work(), True
            if then is not None:
                then()
            self._then = False
            return
        read_end, write_end = os.pipe()
        pid = os.fork()
        if pid == 0:  # the child: never returns
            os.close(read_end)
            _child(work, write_end, then)
        os.close(write_end)
        self._pid, self._fd = pid, read_end

    def result(self) -> T:
        """The work's result (the same one each time asked); its exception, if it raised
        one."""
        if self._got or not self._pid:
            return self._value  # type: ignore[return-value]
        try:
            data = _read_message(self._fd)
        except BaseException:
            self.close()
            raise
        if data is None or not self._then:
            status = self._reap()
            if data is None:
                raise _ended(status)
        outcome = pickle.loads(data)
        if not outcome[0]:
            self.close()
            _raise(outcome)
        self._value, self._got = outcome[1], True
        return self._value

    def done(self) -> None:
        """Wait for the work's chores (`then`), its result in; raise their exception,
        if they raised one."""
        self.result()
        if not self._pid:
            return
        try:
            data = _read_message(self._fd)
        finally:
            status = self._reap()
        if data is None:
            raise _ended(status)
        outcome = pickle.loads(data)
        if not outcome[0]:
            _raise(outcome)

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


def start(
    work: Callable[[], T], fork: bool = True, then: Callable[[], object] | None = None
) -> Pending:
    """Start `work` in a forked process and return at once (with `fork` False, or where
    processes cannot fork, do it now). `then`: chores for the same process once the
    result is sent (see Pending.done)."""
    return Pending(work, fork, then)


def _ended(status: int) -> ForkedError:
    code = os.waitstatus_to_exitcode(status)
    how = f"exit code {code}" if code >= 0 else f"killed by signal {-code}"
    return ForkedError(f"the forked process ended without a result ({how})")


def _raise(outcome: tuple) -> None:
    _ok, error, text = outcome
    # The child's traceback, as text (a traceback cannot be pickled), as the cause.
    raise error from ForkedError(text)


def _child(work: Callable[[], object], fd: int, then: Callable[[], object] | None) -> None:
    """Run `work`, send back (True, result, "") or (False, exception, its traceback),
    then, if the work went well, run `then` and send how that went the same way; end
    the process without the parent's exit handlers or buffered output."""
    code = 1
    try:
        ok, data = _outcome(work)
        _send(fd, data)
        if then is not None and ok:
            ok, data = _outcome(then)
            _send(fd, data)
        code = 0 if ok else 1
    finally:
        os._exit(code)


def _outcome(work: Callable[[], object]) -> tuple[bool, bytes]:
    """Whether `work()` went well, and the message telling so (pickled)."""
    try:
        return True, pickle.dumps((True, work(), ""), pickle.HIGHEST_PROTOCOL)
    except BaseException as error:
        import traceback

        text = "".join(traceback.format_exception(error))
        try:
            return False, pickle.dumps((False, error, text), pickle.HIGHEST_PROTOCOL)
        except Exception:  # an exception that cannot be pickled: its text only
            return False, pickle.dumps((False, ForkedError(text), text), pickle.HIGHEST_PROTOCOL)


def _send(fd: int, data: bytes) -> None:
    """Write one message: its length, then its bytes."""
    view = memoryview(len(data).to_bytes(8, "little") + data)
    while view:
        view = view[os.write(fd, view) :]


def _read_message(fd: int) -> bytes | None:
    """One message `_send` wrote; None when the process ended before it was whole."""
    head = _read_exactly(fd, 8)
    if head is None:
        return None
    return _read_exactly(fd, int.from_bytes(head, "little"))


def _read_exactly(fd: int, size: int) -> bytes | None:
    parts = []
    while size:
        chunk = os.read(fd, min(size, 1 << 20))
        if not chunk:
            return None
        parts.append(chunk)
        size -= len(chunk)
    return b"".join(parts)
