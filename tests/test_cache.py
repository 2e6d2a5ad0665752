"""cache.py and items.py: a cached or parallel check gives exactly what a cold,
sequential one gives; a damaged cache is ignored; a registry change invalidates."""

from __future__ import annotations

import concurrent.futures
import dataclasses
import gc
import os
import shutil
import time
import types
import weakref
from pathlib import Path

import pytest

from digest import forked, items, sources
from digest.build import Options, check
from digest.cache import ENTRIES_DIR, _unfrozen_twin, pack, pack_shared, paused_gc, unpack
from digest.validate import Entry

ENTRIES = Path(__file__).resolve().parents[1] / "entries"


@pytest.fixture
def entries(tmp_path: Path) -> Path:
    target = tmp_path / "entries"
    shutil.copytree(ENTRIES, target)
    return target


def test_cached_check_equals_cold_check(entries: Path, tmp_path: Path) -> None:
    cold, _ = check(entries)
    cache = tmp_path / "cache"
    first, _ = check(entries, Options(cache_dir=cache))
    assert sorted(p.name for p in (cache / ENTRIES_DIR).iterdir()) == ["2023-04.bin"]
    warm, _ = check(entries, Options(cache_dir=cache))
    assert cold == first == warm


def test_an_edited_item_is_checked_again(entries: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    check(entries, Options(cache_dir=cache))
    item = next((entries / "2023-04").glob("cac-issues-*.md"))
    item.write_text(item.read_text().replace("date: 2023-03-23", "date: 2023-13-23"))
    _site, problems = check(entries, Options(cache_dir=cache))
    assert [str(p) for p in problems] == [
        f"2023-04/{item.name}:3: date: '2023-13-23' is not a calendar date (there is no month 13)"
    ]


def test_registry_change_invalidates_cached_items(entries: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    check(entries, Options(cache_dir=cache))
    registry = entries / "agencies.yaml"
    registry.write_text(registry.read_text().replace("\nMIIT:", "\nMIITX:"))
    _site, problems = check(entries, Options(cache_dir=cache))
    assert "agencies: unknown agency 'MIIT' (did you mean 'MIITX'?)" in {
        f"{p.field}: {p.message}" for p in problems
    }


def test_an_unpacked_item_is_a_frozen_entry_equal_to_the_one_packed(entries: Path) -> None:
    site, _ = check(entries)
    for entry in site.entries.values():
        again, problems = unpack(pack((entry, ())))
        assert type(again) is Entry and again == entry and hash(again) == hash(entry)
        assert problems == ()
    with pytest.raises(dataclasses.FrozenInstanceError):
        again.title = "changed"  # type: ignore[misc]
    assert not hasattr(again, "__dict__")


def test_items_packed_together_share_what_they_repeat_and_unpack_the_same(
    entries: Path,
) -> None:
    site, _ = check(entries)
    memo: dict = {}
    packed = [pack_shared((entry, ()), memo) for entry in site.entries.values()]
    assert [unpack(p)[0] for p in packed] == list(site.entries.values())
    names = [f.name for f in dataclasses.fields(Entry)]

    def field(i: int, name: str) -> object:
        return packed[i][0][names.index(name)]

    # One object for each value two items hold alike, field names of `lines` too.
    for name in ("edition", "category", "agencies", "lines"):
        groups: dict[object, list[object]] = {}
        for i in range(len(packed)):
            groups.setdefault(field(i, name), []).append(field(i, name))
        repeated = [group for group in groups.values() if len(group) > 1]
        assert repeated, name
        assert all(value is group[0] for group in repeated for value in group)
    titles = {id(pair[0]) for i in range(len(packed)) for pair in field(i, "lines")}
    assert len(titles) == len({pair[0] for i in range(len(packed)) for pair in field(i, "lines")})


@pytest.mark.parametrize(
    ("one", "other"),
    [((0,), (False,)), ((1,), (1.0,)), ((("line", 1),), (("line", True),))],
    ids=["int and bool", "int and float", "line and bool"],
)
def test_values_equal_but_of_other_types_are_not_shared(
    entries: Path, one: tuple, other: tuple
) -> None:
    site, _ = check(entries)
    entry = next(iter(site.entries.values()))
    memo: dict = {}
    first = pack_shared((dataclasses.replace(entry, tags=one), ()), memo)  # type: ignore[arg-type]
    second = pack_shared((dataclasses.replace(entry, tags=other), ()), memo)  # type: ignore[arg-type]
    at = [f.name for f in dataclasses.fields(Entry)].index("tags")
    assert first[0][at] == one and second[0][at] == other
    assert type(second[0][at][0]) is type(other[0])
    if type(other[0]) is tuple:
        assert type(second[0][at][0][1]) is bool


@dataclasses.dataclass(frozen=True, slots=True)
class _Later:
    a: int

    def __post_init__(self) -> None:
        pass


@dataclasses.dataclass(frozen=True)
class _Unslotted:
    a: int


@pytest.mark.parametrize(
    ("cls", "message"),
    [
        (_Later, "_Later has a __post_init__ that the twin would skip"),
        (_Unslotted, "_Unslotted is not a slotted dataclass"),
        (tuple, "tuple is not a slotted dataclass"),
    ],
)
def test_no_unfrozen_twin_for_a_class_whose_init_does_more(cls: type, message: str) -> None:
    with pytest.raises(TypeError) as raised:
        _unfrozen_twin(cls)
    assert str(raised.value) == message


@pytest.mark.parametrize("damage", [b"", b"not a pickle", b"\x80\x05garbage"])
def test_a_damaged_cache_is_ignored_and_rewritten(entries: Path, tmp_path: Path, damage) -> None:
    cache = tmp_path / "cache"
    check(entries, Options(cache_dir=cache))
    shard = cache / ENTRIES_DIR / "2023-04.bin"
    good = shard.read_bytes()
    (shard).write_bytes(damage or good[: len(good) // 2])
    site, problems = check(entries, Options(cache_dir=cache))
    assert problems == [] and len(site.entries) == 30
    assert check(entries)[0] == site


def test_parallel_check_equals_sequential(entries: Path, monkeypatch) -> None:
    sequential = check(entries)
    pools = []

    class CountedPool(concurrent.futures.ProcessPoolExecutor):
        def __init__(self, *args, **kwargs):
            pools.append(kwargs["max_workers"])
            super().__init__(*args, **kwargs)

    monkeypatch.setattr(items, "PARALLEL_FROM", 2)
    monkeypatch.setattr(concurrent.futures, "ProcessPoolExecutor", CountedPool)
    monkeypatch.setattr(items.os, "cpu_count", lambda: 2)
    parallel = check(entries)
    assert pools == [2]
    assert parallel == sequential


def test_files_read_again_are_checked_while_the_cache_is_read(
    entries: Path, tmp_path: Path, monkeypatch
) -> None:
    # A few files changed since the last run, on a site with many items: checked in a
    # forked process while this one reads the cache, with the result a cold check gives,
    # problems included. (Every reading happens a minute from now, so that the files,
    # copied just now, are not racy: only the edited ones are read again.)
    real = time.time_ns
    monkeypatch.setattr(sources, "time", types.SimpleNamespace(time_ns=lambda: real() + 60 * 10**9))
    monkeypatch.setattr(items, "AHEAD_FROM", 5)  # "many items": 30 here
    monkeypatch.setattr(items, "PARALLEL_FROM", 5)  # "few", the 2 edited, not all 30
    started = []
    start = forked.start
    monkeypatch.setattr(
        forked, "start", lambda work, fork=True: started.append(work) or start(work)
    )
    cache = tmp_path / "cache"
    check(entries, Options(cache_dir=cache))
    assert started == []  # every file read: more than a few, checked as usual
    first, second = sorted((entries / "2023-04").glob("*.md"))[:2]
    first.write_text(first.read_text().replace("title: ", "title: Revised ", 1))
    second.write_text(second.read_text() + "\nOne more sentence.\n")
    warm = check(entries, Options(cache_dir=cache))
    assert len(started) == 1
    assert warm == check(entries)
    second.write_text(second.read_text().replace("date: ", "date: 2023-13-40\nx: ", 1))
    assert check(entries, Options(cache_dir=cache)) == check(entries)
    assert len(started) == 2
    os.utime(first)  # touched only: read again, and found in the cache as it is
    assert check(entries, Options(cache_dir=cache)) == check(entries)
    assert len(started) == 3


class _Node:
    other: _Node | None = None


def test_what_a_pause_made_is_collected_by_the_next_full_collection() -> None:
    # paused_gc moves what it made to the old generation without a young collection
    # looking at it (gc.freeze, then unfrozen into the oldest generation when the next
    # collection starts); a cycle that became garbage must still go at a full one.
    assert gc.isenabled()
    with paused_gc():
        first, second = _Node(), _Node()
        first.other, second.other = second, first
        ref = weakref.ref(first)
        del first, second
    assert gc.isenabled()
    assert gc.get_freeze_count() > 0
    gc.collect(1)
    assert gc.get_freeze_count() == 0  # unfrozen, into the oldest generation
    assert ref() is not None  # which a young collection does not look at
    gc.collect()
    assert ref() is None


def test_a_nested_pause_keeps_the_collector_off_until_the_outer_one_ends() -> None:
    with paused_gc():
        with paused_gc():
            pass
        assert not gc.isenabled()
    assert gc.isenabled()
