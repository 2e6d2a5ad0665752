"""fragments.py: the assembly of a data file from its rows."""

from __future__ import annotations

import pytest

from digest.fragments import framed


@pytest.mark.parametrize("count", [0, 1, 2, 3, 10])
def test_framed_is_the_rows_joined_between_start_and_end(count: int) -> None:
    rows = [f"row {i}".encode() for i in range(count)]
    assert framed(b"[\n", b",\n", rows, b"\n]") == b"[\n" + b",\n".join(rows) + b"\n]"
