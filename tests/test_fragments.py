"""fragments.py: the assembly of a data file from its rows."""

from __future__ import annotations

from pathlib import Path

import pytest

from digest import catalog, searchindex
from digest.fragments import Fragments, Frame, LastRows, data_key, framed, lengths_bytes


@pytest.mark.parametrize("count", [0, 1, 2, 3, 10])
def test_framed_is_the_rows_joined_between_start_and_end(count: int) -> None:
    rows = [f"row {i}".encode() for i in range(count)]
    assert framed(b"[\n", b",\n", rows, b"\n]") == b"[\n" + b",\n".join(rows) + b"\n]"


# A head with separators of both frames in it, ending as each frame's heads end.
HEAD = b'{\n"fields": ["a",\n"b"],\n    "more": 1,\n"items": [\n'
FRAMES = pytest.mark.parametrize(
    "frame", [catalog.FRAME, searchindex.FRAME], ids=["catalog", "search"]
)


def start_of(frame: Frame) -> bytes:
    return HEAD + frame.separator.rpartition(b"\n")[2]


def row(eid: str) -> bytes:
    return b'["%s", "a, b", "c,\\n    d"]' % eid.encode()


@FRAMES
@pytest.mark.parametrize("count", [1, 2, 3, 10])
def test_a_frame_finds_where_the_rows_it_joined_start(frame: Frame, count: int) -> None:
    rows = [row(f"item-{i}" * (i % 3 + 1)) for i in range(count)]
    data = frame.join(start_of(frame), rows)
    starts = frame.starts(data, [len(r) for r in rows])
    assert starts is not None
    assert [data[a : a + len(r)] for a, r in zip(starts, rows, strict=True)] == rows
    assert frame.starts(data + b" ", [len(r) for r in rows]) is None  # another end
    assert frame.starts(data, [len(r) + 1 for r in rows]) is None  # longer rows
    assert frame.starts(data, []) is None


@FRAMES
@pytest.mark.parametrize(
    "now",
    [
        "abcdefgh",  # as before
        "abcXefgh",  # one changed
        "abdefgh",  # one removed
        "Xabcdefgh",  # one added first
        "abcdefghX",  # one added last
        "hgfedcba",  # every one moved
        "bacdefhg",  # two pairs swapped
        "XYZ",  # none left
        "a",
    ],
)
def test_joined_rows_are_the_rows_joined_whichever_the_live_file_holds(
    frame: Frame, now: str, tmp_path: Path
) -> None:
    before = "abcdefgh"
    signatures = {eid: eid.encode() * 16 for eid in before + "XYZ"}
    rows = [row(eid) for eid in before]
    data = frame.join(start_of(frame), rows)
    lengths = [len(r) for r in rows]
    order = b"".join(signatures[eid] for eid in before)
    key = data_key(b"fingerprint", "data.json", order)
    live = LastRows({"data.json": (key, order, lengths_bytes(lengths))}, {"data.json": data}.get)
    kept = live.rows("data.json", frame, key, b"fingerprint")
    assert kept is not None
    assert live.rows("data.json", frame, key, b"other fingerprint") is None
    assert live.rows("data.json", frame, None, b"fingerprint") is None  # not as written
    fragments = Fragments(tmp_path, b"fingerprint", signatures)
    fragments.take("rows", kept)
    made: list[str] = []

    def make(eid: str) -> bytes:
        made.append(eid)
        return row(eid)

    joined = fragments.joined("rows", frame, start_of(frame), list(now), make)
    assert joined == frame.join(start_of(frame), [row(eid) for eid in now])
    assert made == [eid for eid in now if eid not in before]
    assert fragments.lengths["rows"] == [len(row(eid)) for eid in now]


def test_a_frame_finds_no_rows_where_there_are_fewer() -> None:
    data = catalog.FRAME.join(b'{\n  "items": [\n    ', [b'{"id": 1}', b'{"id": 2}'])
    assert catalog.FRAME.starts(data, [9, 9, 9]) is None
