"""forked.py: work in a forked process, its result or its exception sent back."""

from __future__ import annotations

import os
import signal
import time
from functools import partial
from pathlib import Path

import pytest

from digest import forked


def test_the_result_comes_back_from_another_process() -> None:
    pending = forked.start(lambda: ("pid", os.getpid(), b"x" * 3_000_000))
    label, pid, data = pending.result()
    assert label == "pid" and pid != os.getpid()
    # Bigger than a pipe's buffer: the parent reads while the child writes.
    assert data == b"x" * 3_000_000


def test_without_fork_the_work_is_done_at_once() -> None:
    calls = []
    pending = forked.start(lambda: calls.append(os.getpid()) or "done", fork=False)
    assert calls == [os.getpid()]
    assert pending.result() == "done"


def _fails() -> None:
    raise ValueError("bad feed")


def test_an_exception_is_raised_again_with_the_childs_traceback() -> None:
    pending = forked.start(_fails)
    with pytest.raises(ValueError, match=r"^bad feed$") as caught:
        pending.result()
    cause = caught.value.__cause__
    assert isinstance(cause, forked.ForkedError)
    assert "in _fails" in str(cause) and 'raise ValueError("bad feed")' in str(cause)


class _Unpicklable(Exception):
    def __reduce__(self):
        raise TypeError("no pickling")


def _fails_unpicklably() -> None:
    raise _Unpicklable("odd")


def test_an_exception_that_cannot_be_pickled_comes_back_as_text() -> None:
    with pytest.raises(forked.ForkedError, match="_Unpicklable: odd"):
        forked.start(_fails_unpicklably).result()


def test_a_process_that_dies_is_reported_not_waited_for_forever() -> None:
    pending = forked.start(lambda: os._exit(3))
    with pytest.raises(forked.ForkedError, match=r"without a result \(exit code 3\)$"):
        pending.result()
    pending = forked.start(lambda: os.kill(os.getpid(), signal.SIGKILL))
    with pytest.raises(forked.ForkedError, match=r"without a result \(killed by signal 9\)$"):
        pending.result()


def test_close_ends_the_work_at_once() -> None:
    started = time.monotonic()
    pending = forked.start(lambda: time.sleep(60))
    pending.close()
    assert time.monotonic() - started < 10
    pending.close()  # twice is harmless


def _wait_for(path: Path) -> None:
    for _ in range(1000):
        if path.exists():
            path.with_suffix(".done").write_text("chores done")
            return
        time.sleep(0.01)
    raise TimeoutError(f"{path} never came")


def test_the_result_comes_back_before_the_chores_are_done(tmp_path: Path) -> None:
    # The chores wait for a file the parent makes only once it has the result: were
    # the result sent after them, they would give up waiting and fail.
    go = tmp_path / "go"
    pending = forked.start(lambda: "outputs", then=partial(_wait_for, go))
    assert pending.result() == "outputs"
    assert pending.result() == "outputs"  # asked again: the same, nothing read twice
    assert not go.with_suffix(".done").exists()
    go.touch()
    pending.done()
    assert go.with_suffix(".done").read_text() == "chores done"
    pending.done()  # twice is harmless


def test_an_exception_of_the_chores_is_raised_by_done() -> None:
    pending = forked.start(lambda: "outputs", then=_fails)
    assert pending.result() == "outputs"
    with pytest.raises(ValueError, match=r"^bad feed$") as caught:
        pending.done()
    assert "in _fails" in str(caught.value.__cause__)


def test_no_chores_are_done_after_the_work_failed(tmp_path: Path) -> None:
    marker = tmp_path / "chores"
    pending = forked.start(_fails, then=marker.touch)
    with pytest.raises(ValueError, match=r"^bad feed$"):
        pending.result()
    pending.done()  # nothing more to report
    assert not marker.exists()


def test_without_fork_the_chores_are_done_at_once_too(tmp_path: Path) -> None:
    marker = tmp_path / "chores"
    pending = forked.start(lambda: "outputs", fork=False, then=marker.touch)
    assert marker.exists() and pending.result() == "outputs"
    pending.done()


def test_done_waits_for_the_result_first() -> None:
    pending = forked.start(lambda: "outputs", then=lambda: None)
    pending.done()
    assert pending.result() == "outputs"
