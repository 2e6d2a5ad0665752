"""fragments.py: the assembly of a data file from its rows."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from digest import catalog, searchindex
from digest.fragments import Fragments, Frame, LastRows, data_key, framed, lengths_bytes
from digest.output import FilePieces, file_pieces


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
    expected = frame.join(start_of(frame), [row(eid) for eid in now])
    # None: the live file is the very file these rows make, and was not read whole
    assert joined == (None if expected == data else expected)
    assert made == [eid for eid in now if eid not in before]
    assert fragments.lengths["rows"] == [len(row(eid)) for eid in now]


@FRAMES
@pytest.mark.parametrize(
    ("edit", "same"),
    [
        (lambda rows, start: (rows, start), True),  # an item's file edited, its row not
        (lambda rows, start: ({**rows, "b": row("B")}, start), False),  # its row too
        (lambda rows, start: (rows, start.replace(b"more", b"most")), False),  # the head
        (lambda rows, start: ({**rows, "b": row("b") + b" "}, start), False),  # longer
    ],
    ids=["row as it was", "row changed", "head changed", "row longer"],
)
def test_a_live_file_that_the_rows_make_again_is_not_read_whole(
    frame: Frame, edit, same: bool, tmp_path: Path
) -> None:
    before = {eid: row(eid) for eid in "abcdefgh"}
    start = start_of(frame)
    signatures = {eid: eid.encode() * 16 for eid in before}
    data = frame.join(start, list(before.values()))
    (tmp_path / "live").mkdir()
    (tmp_path / "live" / "data.json").write_bytes(data)
    order = b"".join(signatures.values())
    key = data_key(b"fingerprint", "data.json", order)
    lengths = lengths_bytes([len(r) for r in before.values()])
    read: list[tuple[int, int]] = []
    open_pieces = file_pieces(str(tmp_path / "live"))

    def opened(path: str) -> FilePieces | None:
        file = open_pieces(path)
        assert file is not None
        return Watched(file, read)

    live = LastRows({"data.json": (key, order, lengths)}, opened)
    kept = live.rows("data.json", frame, key, b"fingerprint")
    assert kept is not None
    # item b's file was edited: a new signature (it is not in the live file's index)
    now, start_now = edit(before, start)
    signatures["b"] = b"B" * 16
    fragments = Fragments(tmp_path / "cache", b"fingerprint", signatures)
    fragments.take("rows", kept)
    joined = fragments.joined("rows", frame, start_now, list(now), now.__getitem__)
    whole = (0, len(data))
    if same:
        assert joined is None
        assert whole not in read and sum(size for _at, size in read) < len(data) / 2
    else:
        assert joined == frame.join(start_now, list(now.values()))
    assert fragments.lengths["rows"] == [len(r) for r in now.values()]


class Watched(FilePieces):
    """A live file read a piece at a time, each piece read noted in `read`."""

    __slots__ = ("read",)

    def __init__(self, file: FilePieces, read: list[tuple[int, int]]) -> None:
        self.path, self.size, self._known = file.path, file.size, file._known
        self.read = read

    def _read(self, at: int, size: int) -> bytes:
        self.read.append((at, size))
        return super()._read(at, size)


def test_a_live_file_changed_after_it_was_looked_at_gives_no_rows(tmp_path: Path) -> None:
    frame = catalog.FRAME
    before = {eid: row(eid) for eid in "abc"}
    data = frame.join(start_of(frame), list(before.values()))
    (tmp_path / "live").mkdir()
    (tmp_path / "live" / "data.json").write_bytes(data)
    signatures = {eid: eid.encode() * 16 for eid in before}
    order = b"".join(signatures.values())
    key = data_key(b"fingerprint", "data.json", order)
    lengths = lengths_bytes([len(r) for r in before.values()])
    live = LastRows({"data.json": (key, order, lengths)}, file_pieces(str(tmp_path / "live")))
    kept = live.rows("data.json", frame, key, b"fingerprint")
    assert kept is not None
    # written over by hand (the same size, a later mtime) once its rows were found
    path = tmp_path / "live" / "data.json"
    mtime = path.stat().st_mtime_ns
    path.write_bytes(data.replace(b"a", b"z"))
    os.utime(path, ns=(mtime + 10**9, mtime + 10**9))
    signatures["c"] = b"C" * 16
    fragments = Fragments(tmp_path / "cache", b"fingerprint", signatures)
    fragments.take("rows", kept)
    rows = {**before, "c": row("C")}
    joined = fragments.joined("rows", frame, start_of(frame), list(rows), rows.__getitem__)
    assert joined == frame.join(start_of(frame), list(rows.values()))


def test_a_frame_finds_no_rows_where_there_are_fewer() -> None:
    data = catalog.FRAME.join(b'{\n  "items": [\n    ', [b'{"id": 1}', b'{"id": 2}'])
    assert catalog.FRAME.starts(data, [9, 9, 9]) is None
