"""The write stage: exactly the outputs, swapped in atomically, unchanged files kept,
bad or repeated paths refused, leftovers of a killed build cleaned."""

from __future__ import annotations

import marshal
import os
import shutil
from pathlib import Path

import pytest

from digest import write as write_module
from digest.output import Output, stat_of
from digest.write import begin, check_path, finish, make_folders, put, write


def files(folder: Path) -> dict[str, bytes]:
    """The files under `folder` (but the manifest a spare keeps of itself)."""
    return {
        p.relative_to(folder).as_posix(): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file() and p.name != ".digest-spare"
    }


def test_writes_exactly_the_outputs(tmp_path: Path) -> None:
    out = tmp_path / "site"
    written = write([Output("index.html", b"home"), Output("a/b/index.html", b"b")], out)
    assert files(out) == {"index.html": b"home", "a/b/index.html": b"b"}
    assert (written.files, written.unchanged) == (2, 0)
    # the first site gets a spare at once, sharing its files (the next build's tree)
    assert sorted(p.name for p in tmp_path.iterdir()) == [".site.spare", "site"]
    spare = tmp_path / ".site.spare"
    assert files(spare) == files(out)
    assert (spare / "a/b/index.html").stat().st_ino == (out / "a/b/index.html").stat().st_ino


def test_a_spare_left_without_its_site_is_replaced_by_the_new_sites_mirror(
    tmp_path: Path,
) -> None:
    # `rm -rf site` leaves the spare: it shares no file with the site to come, so the
    # build deletes it and makes the new site's mirror instead (else the next build
    # would have to relink every file into a spare of stale ones)
    out, spare = tmp_path / "site", tmp_path / ".site.spare"
    write([Output("a/old.html", b"old"), Output("x.html", b"1")], out)
    write([Output("x.html", b"2")], out)
    shutil.rmtree(out)
    write([Output("a/new.html", b"new"), Output("x.html", b"3")], out)
    assert files(out) == {"a/new.html": b"new", "x.html": b"3"}
    assert files(spare) == files(out)
    assert (spare / "x.html").stat().st_ino == (out / "x.html").stat().st_ino
    assert sorted(p.name for p in tmp_path.iterdir()) == [".site.spare", "site"]


def test_the_folder_maker_deletes_a_stale_spare(tmp_path: Path) -> None:
    out, spare = tmp_path / "site", tmp_path / ".site.spare"
    write([Output("a/old.html", b"old")], out)
    write([Output("a/old.html", b"older")], out)
    shutil.rmtree(out)
    outputs = [Output("b/c/index.html", b"c"), Output("index.html", b"home")]
    target = begin(out)
    make_folders(target, (o.path for o in outputs))
    placed = {o.path: put(target, o) for o in outputs}
    finish(target, outputs, placed)
    assert files(out) == {"b/c/index.html": b"c", "index.html": b"home"}
    assert files(spare) == files(out)
    assert sorted(p.name for p in tmp_path.iterdir()) == [".site.spare", "site"]


def test_a_rebuild_replaces_the_old_site_and_keeps_unchanged_files(tmp_path: Path) -> None:
    out = tmp_path / "site"
    write([Output("same.css", b"css"), Output("old.html", b"old"), Output("x.html", b"1")], out)
    inode = (out / "same.css").stat().st_ino
    os.utime(out / "same.css", (1_000_000, 1_000_000))
    written = write([Output("same.css", b"css"), Output("x.html", b"2")], out)
    assert files(out) == {"same.css": b"css", "x.html": b"2"}
    assert (written.files, written.unchanged) == (2, 1)
    assert (out / "same.css").stat().st_ino == inode
    assert (out / "same.css").stat().st_mtime == 1_000_000
    # the previous site is kept as the spare the next build brings up to date
    assert sorted(p.name for p in tmp_path.iterdir()) == [".site.spare", "site"]
    assert files(tmp_path / ".site.spare") == {
        "same.css": b"css",
        "old.html": b"old",
        "x.html": b"1",
    }


def test_later_builds_refresh_the_spare_and_exchange_it_in(tmp_path: Path) -> None:
    out, spare = tmp_path / "site", tmp_path / ".site.spare"
    write([Output("same.css", b"css"), Output("a/old.html", b"old"), Output("x.html", b"1")], out)
    os.utime(out / "same.css", (1_000_000, 1_000_000))
    inode = (out / "same.css").stat().st_ino
    write([Output("same.css", b"css"), Output("x.html", b"2")], out)
    # the third build: the spare (the first site) becomes the new site
    spare_inode = spare.stat().st_ino
    written = write(
        [Output("same.css", b"css"), Output("x.html", b"3"), Output("b/c/new.html", b"n")], out
    )
    assert out.stat().st_ino == spare_inode
    assert files(out) == {"same.css": b"css", "x.html": b"3", "b/c/new.html": b"n"}
    assert not (out / "a").exists()
    assert (written.files, written.unchanged) == (3, 1)
    assert (out / "same.css").stat().st_ino == inode
    assert (out / "same.css").stat().st_mtime == 1_000_000
    assert files(spare) == {"same.css": b"css", "x.html": b"2"}
    assert sorted(p.name for p in tmp_path.iterdir()) == [".site.spare", "site"]


def test_a_spare_in_any_state_is_brought_to_exactly_the_outputs(tmp_path: Path) -> None:
    out, spare = tmp_path / "site", tmp_path / ".site.spare"
    write([Output("index.html", b"1"), Output("d/page.html", b"p")], out)
    write([Output("index.html", b"2"), Output("d/page.html", b"p")], out)
    # what a killed refresh or a stray hand could leave: a half-written staged file, a
    # foreign file, a folder where a file belongs, a file where a folder belongs, a link
    (spare / ".digest-staged").write_bytes(b"half")
    (spare / "stray.html").write_bytes(b"stray")
    (spare / "index.html").unlink()
    (spare / "index.html").mkdir()
    (spare / "d" / "page.html").unlink()
    (spare / "d" / "page.html").write_bytes(b"tampered")
    (spare / "e").write_bytes(b"file where a folder goes")
    os.symlink("/etc", spare / "link")
    # a link where an output's folder goes: never written through
    outside = tmp_path / "outside"
    outside.mkdir()
    os.symlink(outside, spare / "g")
    outputs = [
        Output("index.html", b"3"),
        Output("d/page.html", b"p"),
        Output("e/f.html", b"f"),
        Output("g/h.html", b"h"),
    ]
    write(outputs, out)
    assert files(out) == {
        "index.html": b"3",
        "d/page.html": b"p",
        "e/f.html": b"f",
        "g/h.html": b"h",
    }
    assert not (out / "link").exists() and not (out / "link").is_symlink()
    assert (out / "g").is_dir() and not (out / "g").is_symlink()
    assert list(outside.iterdir()) == []


def test_a_live_file_shared_with_the_spare_is_never_written_to(tmp_path: Path) -> None:
    out, spare = tmp_path / "site", tmp_path / ".site.spare"
    write([Output("same.html", b"same"), Output("x.html", b"1")], out)
    write([Output("same.html", b"same"), Output("x.html", b"2")], out)
    assert (out / "same.html").stat().st_ino == (spare / "same.html").stat().st_ino
    write([Output("same.html", b"changed"), Output("x.html", b"2")], out)
    assert files(out) == {"same.html": b"changed", "x.html": b"2"}
    assert files(spare) == {"same.html": b"same", "x.html": b"2"}


def test_the_spares_own_file_is_written_over_in_place(tmp_path: Path) -> None:
    # x.html changes in every build: the spare's copy (the site before last's) has no
    # other link, so the next version goes into that very file (same inode)
    out, spare = tmp_path / "site", tmp_path / ".site.spare"
    write([Output("x.html", b"first, the longest of them")], out)
    write([Output("x.html", b"second")], out)
    inode = (spare / "x.html").stat().st_ino
    assert (spare / "x.html").stat().st_nlink == 1
    written = write([Output("x.html", b"third")], out)
    assert (out / "x.html").stat().st_ino == inode
    assert files(out) == {"x.html": b"third"}  # shorter than what it overwrote: cut
    assert files(spare) == {"x.html": b"second"}
    assert written.stats["x.html"] == stat_of(os.stat(out / "x.html"))


@pytest.mark.parametrize("kind", ["hard link", "symbolic link", "fifo"])
def test_a_spare_file_not_its_own_is_replaced_not_written_to(tmp_path: Path, kind: str) -> None:
    out, spare = tmp_path / "site", tmp_path / ".site.spare"
    write([Output("x.html", b"1")], out)
    write([Output("x.html", b"2")], out)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.write_bytes(b"not the site's")
    (spare / "x.html").unlink()
    if kind == "hard link":
        os.link(elsewhere, spare / "x.html")
    elif kind == "symbolic link":
        os.symlink(elsewhere, spare / "x.html")
    else:
        os.mkfifo(spare / "x.html")  # opened for writing, it would wait for a reader
    write([Output("x.html", b"3")], out)
    assert files(out) == {"x.html": b"3"}
    assert (out / "x.html").is_file() and not (out / "x.html").is_symlink()
    assert (out / "x.html").stat().st_ino != elsewhere.stat().st_ino
    assert elsewhere.read_bytes() == b"not the site's"


def test_without_renameat2_the_swap_falls_back_to_two_renames(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(write_module, "_renameat2", lambda: None)
    out = tmp_path / "site"
    write([Output("a.html", b"1")], out)
    write([Output("b.html", b"2")], out)
    assert files(out) == {"b.html": b"2"}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["site"]


def test_renameat2_is_used_on_linux(tmp_path: Path) -> None:
    a, b = tmp_path / "a", tmp_path / "b"
    a.mkdir()
    b.mkdir()
    (a / "f").write_text("a")
    assert write_module._exchange(a, b) is True
    assert (b / "f").read_text() == "a"
    assert not (a / "f").exists()


@pytest.mark.parametrize(
    "path",
    ["", "/etc/passwd", "../up", "a/../../up", "a/./b", "a//b", "dir/", "a\\b", ".", ".."],
)
def test_unsafe_paths_are_refused(path: str, tmp_path: Path) -> None:
    with pytest.raises(ValueError) as err:
        check_path(path)
    assert str(err.value) == f"output path {path!r} is not a relative path inside the output folder"
    with pytest.raises(ValueError):
        write([Output(path, b"x")], tmp_path / "site")
    assert not (tmp_path / "site").exists()


def test_a_path_written_twice_is_a_bug_and_changes_nothing(tmp_path: Path) -> None:
    out = tmp_path / "site"
    write([Output("keep.html", b"old")], out)
    with pytest.raises(ValueError) as err:
        write([Output("a.html", b"1"), Output("a.html", b"2")], out)
    assert str(err.value) == "output path 'a.html' is written twice"
    assert files(out) == {"keep.html": b"old"}


def test_a_failed_write_leaves_the_old_site_and_no_temporary_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "site"
    write([Output("keep.html", b"old")], out)
    real = write_module._write_file
    calls = []

    def disk_full(path: str, data: bytes):
        calls.append(path)
        if len(calls) == 2:
            raise OSError(28, "No space left on device")
        return real(path, data)

    monkeypatch.setattr(write_module, "_write_file", disk_full)
    with pytest.raises(OSError):
        write([Output("a.html", b"1"), Output("b/c.html", b"2")], out)
    assert files(out) == {"keep.html": b"old"}
    assert sorted(p.name for p in tmp_path.iterdir()) == [".site.spare", "site"]


def test_a_path_that_is_another_outputs_folder_is_a_bug(tmp_path: Path) -> None:
    out = tmp_path / "site"
    write([Output("keep.html", b"old")], out)
    with pytest.raises(ValueError) as err:
        write([Output("a", b"file"), Output("a/b.html", b"x")], out)
    assert str(err.value) == "output path 'a' is also a folder of another output"
    assert files(out) == {"keep.html": b"old"}
    assert sorted(p.name for p in tmp_path.iterdir()) == [".site.spare", "site"]


def test_leftovers_of_a_killed_build_are_removed(tmp_path: Path) -> None:
    (tmp_path / ".site.tmp-abc123").mkdir()
    (tmp_path / ".site.tmp-abc123" / "half.html").write_text("half")
    (tmp_path / ".site.old-def456").mkdir()
    (tmp_path / ".other.tmp-1").mkdir()  # another output's: not ours to remove
    write([Output("index.html", b"new")], tmp_path / "site")
    assert sorted(p.name for p in tmp_path.iterdir()) == [".other.tmp-1", ".site.spare", "site"]


def test_the_new_site_is_readable_by_others(tmp_path: Path) -> None:
    old = os.umask(0o022)
    try:
        write([Output("index.html", b"x")], tmp_path / "site")
    finally:
        os.umask(old)
    assert (tmp_path / "site").stat().st_mode & 0o777 == 0o755
    assert (tmp_path / "site" / "index.html").stat().st_mode & 0o777 == 0o644


def _builds(out: Path, *sites: dict[str, bytes]) -> list:
    """Write each site in turn, each with the record (stats) of the one before."""
    known = None
    results = []
    for site in sites:
        written = write([Output(p, d) for p, d in site.items()], out, known)
        known = written.stats
        results.append(written)
    return results


def test_a_spare_with_its_manifest_is_brought_up_to_date_without_a_walk(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out, spare = tmp_path / "site", tmp_path / ".site.spare"
    one = {"index.html": b"1", "a/old.html": b"old", "b/same.html": b"same"}
    two = {"index.html": b"2", "a/old.html": b"old", "b/same.html": b"same"}
    three = {"index.html": b"3", "b/same.html": b"same", "c/d/new.html": b"new"}
    _builds(out, one, two)
    assert (spare / ".digest-spare").is_file()

    def no_walk(*args, **kwargs):
        raise AssertionError("the spare was walked although its manifest is known")

    monkeypatch.setattr(os, "walk", no_walk)
    inode = (out / "b/same.html").stat().st_ino
    written = write([Output(p, d) for p, d in three.items()], out, _builds_stats(out))
    assert files(out) == three
    assert not (out / "a").exists()
    assert (out / "b/same.html").stat().st_ino == inode
    assert (written.files, written.unchanged) == (3, 1)
    assert files(spare) == two


def _builds_stats(out: Path) -> dict:
    return {
        p.relative_to(out).as_posix(): write_module.stat_of(p.stat())
        for p in out.rglob("*")
        if p.is_file()
    }


def test_a_spare_without_its_manifest_is_looked_through(tmp_path: Path) -> None:
    # a build killed while changing the spare has taken its manifest out of it
    out, spare = tmp_path / "site", tmp_path / ".site.spare"
    one = {"index.html": b"1", "a/old.html": b"old"}
    two = {"index.html": b"2", "a/old.html": b"old"}
    _builds(out, one, two)
    (spare / ".digest-spare").unlink()
    (spare / "half.html").write_bytes(b"what a killed build left")
    (spare / "a/old.html").unlink()
    (spare / "a/old.html").write_bytes(b"damaged")
    three = {"index.html": b"3", "a/old.html": b"old"}
    write([Output(p, d) for p, d in three.items()], out, _builds_stats(out))
    assert files(out) == three


def test_a_manifest_that_is_not_the_spares_own_is_ignored(tmp_path: Path) -> None:
    # the spare folder was replaced by a copy (another inode): its manifest lies
    out, spare = tmp_path / "site", tmp_path / ".site.spare"
    one = {"index.html": b"1", "keep.html": b"k"}
    two = {"index.html": b"2", "keep.html": b"k"}
    _builds(out, one, two)
    copy = tmp_path / "copy"
    os.rename(spare, copy)
    spare.mkdir()
    for p in copy.iterdir():
        (spare / p.name).write_bytes(p.read_bytes())
    (spare / "keep.html").write_bytes(b"not the live file")
    three = {"index.html": b"3", "keep.html": b"k"}
    write([Output(p, d) for p, d in three.items()], out, _builds_stats(out))
    assert files(out) == three


@pytest.mark.parametrize(
    "damage",
    [
        lambda data, inode: data[: len(data) // 2],  # cut short
        lambda data, inode: marshal.dumps(("spare-1", inode, {"keep.html": "1"})),
        lambda data, inode: marshal.dumps(("spare-1", inode, {1: 1})),
        lambda data, inode: marshal.dumps(("spare-1", inode, ["keep.html"])),
    ],
    ids=["truncated", "inode-not-a-number", "path-not-a-text", "not-a-mapping"],
)
def test_a_damaged_manifest_is_ignored(tmp_path: Path, damage) -> None:
    out, spare = tmp_path / "site", tmp_path / ".site.spare"
    one = {"index.html": b"1", "keep.html": b"k"}
    two = {"index.html": b"2", "keep.html": b"k"}
    _builds(out, one, two)
    manifest = spare / ".digest-spare"
    manifest.write_bytes(damage(manifest.read_bytes(), spare.stat().st_ino))
    (spare / "keep.html").unlink()
    (spare / "keep.html").write_bytes(b"not the live file")
    three = {"index.html": b"3", "keep.html": b"k"}
    write([Output(p, d) for p, d in three.items()], out, _builds_stats(out))
    assert files(out) == three


def test_a_new_path_that_is_a_folder_of_a_known_one_is_a_bug(tmp_path: Path) -> None:
    out = tmp_path / "site"
    written = write([Output("a/b.html", b"b")], out)
    with pytest.raises(ValueError) as err:
        write([Output("a", b"file"), Output("a/b.html", b"b")], out, written.stats)
    assert str(err.value) == "output path 'a' is also a folder of another output"
    assert files(out) == {"a/b.html": b"b"}


@pytest.mark.parametrize(
    ("on_disk", "same"),
    [
        (b"0123456789abcdef", True),
        (b"X123456789abcdef", False),  # in the first piece
        (b"0123456789abcdeX", False),  # in the last
        (b"0123456789abcdef!", False),  # longer
        (b"0123456789abcde", False),  # shorter
        (b"", False),
    ],
)
def test_a_file_holds_the_bytes_only_when_every_piece_is_the_same(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, on_disk: bytes, same: bool
) -> None:
    monkeypatch.setattr(write_module, "_PIECE", 4)  # four pieces of the 16 bytes
    path = tmp_path / "file"
    path.write_bytes(on_disk)
    with open(path, "rb", buffering=0) as f:
        assert write_module._holds(f, b"0123456789abcdef") is same


def test_when_nothing_changes_after_all_the_spares_manifest_says_what_it_holds(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The live site's files kept are linked into the spare before it is known whether
    # anything changed (finish, batch by batch); when nothing did, the spare is not
    # swapped in, and its manifest must name the files it holds now.
    out, spare = tmp_path / "site", tmp_path / ".site.spare"
    one = {"index.html": b"1", "a/same.html": b"same"}
    two = {"index.html": b"2", "a/same.html": b"same"}
    _builds(out, one, two)
    written = write([Output(p, d) for p, d in two.items()], out, _builds_stats(out))
    assert (written.files, written.unchanged) == (2, 2)
    assert files(out) == two
    _form, _inode, manifest = marshal.loads((spare / ".digest-spare").read_bytes())
    for path in two:
        assert manifest[path] == (spare / path).stat().st_ino == (out / path).stat().st_ino

    def no_walk(*args, **kwargs):
        raise AssertionError("the spare was walked although its manifest is known")

    monkeypatch.setattr(os, "walk", no_walk)
    three = {"index.html": b"3", "a/same.html": b"same", "b/new.html": b"new"}
    write([Output(p, d) for p, d in three.items()], out, _builds_stats(out))
    assert files(out) == three
    assert files(spare) == two


def test_outputs_given_in_two_parts_make_the_site_one_part_makes(tmp_path: Path) -> None:
    out, spare = tmp_path / "site", tmp_path / ".site.spare"
    one = {"index.html": b"1", "a/same.html": b"same", "feed.xml": b"f1"}
    two = {"index.html": b"2", "a/same.html": b"same", "feed.xml": b"f2"}
    _builds(out, one, two)
    three = {"index.html": b"3", "a/same.html": b"same", "feed.xml": b"f3"}
    target = begin(out)
    first = [Output("index.html", b"3"), Output("a/same.html", b"same")]
    placed = {o.path: put(target, o) for o in first}
    seen = []

    def rest():
        # By now the first part's unchanged file is in the spare, as the live one.
        seen.append((Path(target.root) / "a/same.html").stat().st_ino)
        later = [Output("feed.xml", b"f3")]
        return later, {o.path: put(target, o) for o in later}

    live_same = (out / "a/same.html").stat().st_ino
    written = finish(target, first, placed, _builds_stats(out), rest)
    assert seen == [live_same]
    assert files(out) == three and files(spare) == two
    assert (written.files, written.unchanged) == (3, 1)
