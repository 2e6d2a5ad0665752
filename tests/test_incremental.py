"""Incremental builds (record.py, keys.py): a cached build is byte-identical to a cold
one, whatever changed; every input that pages depend on invalidates them; a damaged
cache is ignored; unchanged files keep their bytes and mtimes."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import SHIPPED

from digest import cache as cache_module
from digest.build import Options, build, check
from digest.cache import ENTRIES_DIR
from digest.fragments import FRAGMENTS_DIR, LastRows
from digest.templating import TEMPLATES_DIR


def tree(folder: Path) -> dict[str, bytes]:
    return {
        p.relative_to(folder).as_posix(): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def mtimes(folder: Path) -> dict[str, int]:
    return {
        p.relative_to(folder).as_posix(): p.stat().st_mtime_ns
        for p in folder.rglob("*")
        if p.is_file()
    }


def stats(folder: Path) -> dict[str, os.stat_result]:
    return {p.relative_to(folder).as_posix(): p.stat() for p in folder.rglob("*") if p.is_file()}


@pytest.fixture
def site(tmp_path: Path) -> Path:
    """A copy of the shipped entries in a site folder of its own (no own templates)."""
    shutil.copytree(SHIPPED, tmp_path / "s" / "entries")
    return tmp_path / "s"


def run(site: Path, out: str, cache: str | None = "cache", **options):
    cache_dir = site / cache if cache else None
    built, problems = build(site / "entries", site / out, Options(cache_dir=cache_dir, **options))
    assert problems == [] and built is not None
    return built


def an_item(site: Path) -> Path:
    return sorted((site / "entries" / "2023-04").glob("*.md"))[3]


def test_warm_builds_equal_cold_builds_after_an_edit(site: Path) -> None:
    run(site, "a")  # cold, fills the cache
    b = run(site, "b")  # warm cache, new output folder
    assert tree(site / "a") == tree(site / "b")
    assert b.written.written == b.written.files  # a new folder: every file written
    item = an_item(site)
    item.write_text(item.read_text().replace("title: ", "title: Revised ", 1))
    c = run(site, "a")  # warm: the old output and its record
    run(site, "d", cache=None)  # cold, no cache at all
    assert tree(site / "a") == tree(site / "d")
    assert 0 < c.written.written < c.written.files


def test_a_rebuild_with_nothing_changed_touches_nothing(site: Path) -> None:
    run(site, "out")
    before = mtimes(site / "out")
    inode = (site / "out").stat().st_ino
    again = run(site, "out")
    assert (again.written.written, again.written.unchanged) == (0, again.written.files)
    assert mtimes(site / "out") == before
    assert (site / "out").stat().st_ino == inode  # no new tree was swapped in


def test_an_edit_rewrites_only_the_pages_that_change(site: Path) -> None:
    run(site, "out")
    before = mtimes(site / "out")
    item = an_item(site)
    item.write_text(item.read_text() + "\nOne more sentence.\n")
    built = run(site, "out")
    after = mtimes(site / "out")
    changed = {p for p in after if after[p] != before.get(p)}
    eid = item.stem
    assert f"entries/{eid}/index.html" in changed
    assert "editions/2023-04/index.html" in changed
    assert "feed.xml" in changed
    # pages that do not show the item's body keep their files
    assert "agencies/index.html" not in changed
    assert "static/style.css" not in changed
    assert len(changed) == built.written.written
    assert tree(site / "out") == tree(run(site, "cold", cache=None) and site / "cold")


def test_a_removed_item_removes_its_page(site: Path) -> None:
    run(site, "out")
    item = an_item(site)
    item.unlink()
    run(site, "out")
    assert not (site / "out" / "entries" / item.stem).exists()
    run(site, "cold", cache=None)
    assert tree(site / "out") == tree(site / "cold")


@pytest.mark.parametrize(
    "change",
    ["template", "own template", "static", "site.yaml", "agencies.yaml", "edition.yaml"],
)
def test_each_input_invalidates_what_depends_on_it(site: Path, change: str) -> None:
    run(site, "out")
    entries = site / "entries"
    if change == "template":
        # the site's own copy of a template overrides the project's
        (site / "templates").mkdir()
        (site / "templates" / "404.html").write_text(
            '{% extends "base.html" %}{% block main %}<p>Gone</p>{% endblock %}\n'
        )
    elif change == "own template":
        (site / "templates" / "partials").mkdir(parents=True)
        row = Path(__file__).resolve().parents[1] / "templates" / "partials" / "row.html"
        (site / "templates" / "partials" / "row.html").write_text(
            row.read_text().replace('class="row"', 'class="row x"')
        )
    elif change == "static":
        (site / "static").mkdir()
        (site / "static" / "style.css").write_text("body { color: teal; }\n")
    elif change == "site.yaml":
        path = entries / "site.yaml"
        text = path.read_text()
        path.write_text(text.replace("title:", "title: New", 1))
    elif change == "agencies.yaml":
        path = entries / "agencies.yaml"
        path.write_text(path.read_text().replace("name: ", "name: The ", 1))
    else:
        (entries / "2023-04" / "edition.yaml").write_text("title: The April Edition\n")
    run(site, "out")
    run(site, "cold", cache=None)
    assert tree(site / "out") == tree(site / "cold")


def test_a_code_change_invalidates_everything(site: Path, monkeypatch) -> None:
    run(site, "out")
    record = next((site / "cache").glob("build-*.bin"))
    before = record.read_bytes()
    assert run(site, "out") and record.read_bytes() == before  # nothing to do: not rewritten
    monkeypatch.setattr(cache_module, "__version__", "999")
    built = run(site, "out")
    # Every key changed, so every page was rendered again (to the same bytes here: no
    # file was rewritten).
    assert record.read_bytes() != before
    assert built.written.unchanged == built.written.files


@pytest.mark.parametrize("damage", [b"", b"garbage", None])
def test_a_damaged_cache_is_ignored_and_rebuilt(site: Path, damage: bytes | None) -> None:
    run(site, "out")
    files = [*(site / "cache").glob("build-*.bin"), *(site / "cache" / ENTRIES_DIR).iterdir()]
    assert len(files) >= 2
    files += (site / "cache" / TEMPLATES_DIR).iterdir()  # compiled templates
    files += (site / "cache" / FRAGMENTS_DIR).iterdir()  # items' lines of data files
    for path in files:
        good = path.read_bytes()
        path.write_bytes(good[: len(good) // 2] if damage is None else damage)
    item = an_item(site)
    item.write_text(item.read_text() + "\nEdited.\n")
    run(site, "out")
    run(site, "cold", cache=None)
    assert tree(site / "out") == tree(site / "cold")


def test_a_file_edited_in_the_output_is_made_again(site: Path) -> None:
    run(site, "out")
    page = site / "out" / "agencies" / "index.html"
    good = page.read_bytes()
    page.write_bytes(b"tampered")
    (site / "out" / "feed.xml").unlink()
    run(site, "out")
    assert page.read_bytes() == good
    assert (site / "out" / "feed.xml").is_file()


def test_parallel_rendering_equals_sequential(site: Path, monkeypatch) -> None:
    from digest import render

    run(site, "seq", cache=None)
    monkeypatch.setattr(render, "PARALLEL_FROM", 2)
    monkeypatch.setattr(render.os, "cpu_count", lambda: 2)
    run(site, "par", cache=None)
    assert tree(site / "seq") == tree(site / "par")


@pytest.fixture
def forking(monkeypatch):
    """Builds fork as a big site's do: its feeds and data files (in one process after
    the first build), and the looks at its items' stats and its last output, in
    processes of their own (build.FORK_DATA_FROM), each putting its own files. The
    shipped site is small, so the threshold is lowered to fork for it too."""
    from digest import build as build_module

    monkeypatch.setattr(build_module, "FORK_DATA_FROM", 1)
    return build_module


def test_forked_feeds_data_and_output_stats_equal_the_work_done_in_process(
    site: Path, forking, monkeypatch
) -> None:
    run(site, "out")
    item = an_item(site)
    item.write_text(item.read_text() + "\nOne more sentence.\n")
    # A page the edit does not change, edited by hand: the forked look at the output
    # must find it, and have it made again.
    (site / "out" / "search" / "index.html").write_bytes(b"tampered")
    built = run(site, "out")
    assert 0 < built.written.written < 20
    monkeypatch.setattr(forking, "FORK_DATA_FROM", 10**9)
    run(site, "cold", cache=None)
    assert tree(site / "out") == tree(site / "cold")


def test_a_forked_look_at_the_output_finds_a_file_edited_when_no_input_changed(
    site: Path, forking
) -> None:
    # The look at the last output runs beside the reading of the inputs, in a process
    # of its own on a big site: with every input as it was, its answer alone decides
    # between stopping at once and making the edited file again.
    run(site, "out")
    page = site / "out" / "agencies" / "index.html"
    good = page.read_bytes()
    page.write_bytes(b"tampered")
    assert run(site, "out").written.written == 1
    assert page.read_bytes() == good
    before = mtimes(site / "out")
    assert run(site, "out").written.written == 0
    assert mtimes(site / "out") == before


def test_unchanged_files_keep_their_mtime_when_the_site_is_rewritten(site: Path) -> None:
    run(site, "out")
    style = site / "out" / "static" / "style.css"
    os.utime(style, ns=(1_000_000_000, 1_000_000_000))
    # the record no longer matches the stat: the file is compared by bytes and kept
    run(site, "out")
    assert style.stat().st_mtime_ns == 1_000_000_000


def test_a_new_source_date_epoch_renews_the_effective_page_only(
    site: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # 2023-04-01 and 2023-05-15: the CSRC measures (in force 2023-05-01) move from
    # upcoming to past; a cached build must notice, though no file changed.
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1680307200")
    run(site, "a")
    before = tree(site / "a")
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1684108800")
    run(site, "a")
    after = tree(site / "a")
    assert [p for p in before if before[p] != after[p]] == ["effective/index.html"]
    cold = run(site, "cold", cache=None)
    assert cold is not None and tree(site / "cold") == after


def spy(monkeypatch: pytest.MonkeyPatch, owner, name: str, note, seen: list) -> list:
    """Record each call of `owner.name` from now on as `note(*its arguments)` in `seen`."""
    real = getattr(owner, name)

    def recording(*args, **kwargs):
        seen.append(note(*args, **kwargs))
        return real(*args, **kwargs)

    monkeypatch.setattr(owner, name, recording)
    return seen


def count_compiles(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The names of the templates Jinja compiles from now on (not taken from a cache)."""
    from jinja2 import Environment

    def template_name(self, source, name=None, *rest, **more):
        return name

    return spy(monkeypatch, Environment, "compile", template_name, [])


def test_compiled_templates_are_kept_and_only_changed_ones_compiled_again(
    site: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    compiled = count_compiles(monkeypatch)
    run(site, "out")
    assert "entry.html" in compiled and any((site / "cache" / TEMPLATES_DIR).iterdir())
    compiled.clear()
    item = an_item(site)
    item.write_text(item.read_text() + "\nEdited.\n")
    run(site, "out")
    assert compiled == []  # every template came from the cache
    # The site's own copy of a template: compiled, not taken from the cache (the
    # templates are part of the cache's fingerprint, so all are compiled again).
    (site / "templates").mkdir()
    (site / "templates" / "404.html").write_text(
        '{% extends "base.html" %}{% block main %}<p>Gone</p>{% endblock %}\n'
    )
    run(site, "out")
    assert "404.html" in compiled
    run(site, "cold", cache=None)
    assert tree(site / "out") == tree(site / "cold")
    assert "Gone" in (site / "out" / "404.html").read_text()


def test_compiled_templates_of_other_code_are_not_used(
    site: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    run(site, "out")
    monkeypatch.setattr(cache_module, "__version__", "999")  # other code
    compiled = count_compiles(monkeypatch)
    run(site, "out")
    assert "entry.html" in compiled


def count_lines_made(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The ids of the items whose search-index or catalog line is made (not kept)."""
    from digest import catalog, searchindex

    made: list[str] = []
    spy(monkeypatch, catalog, "_item", lambda site, eid, shared: eid, made)
    spy(monkeypatch, searchindex, "_item", lambda site, base, eid: eid, made)
    return made


def count_feed_items_made(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The ids of the items whose feed entry is made (not taken from a feed file)."""
    from digest import feeds

    return spy(monkeypatch, feeds, "_item", lambda site, eid, edition: eid, [])


@pytest.mark.parametrize("change", ["body", "date", "removed", "added", "site.yaml"])
def test_a_feed_made_again_takes_unchanged_entries_from_its_file(
    site: Path, monkeypatch: pytest.MonkeyPatch, change: str
) -> None:
    run(site, "out")
    made = count_feed_items_made(monkeypatch)
    item = an_item(site)
    text = item.read_text()
    # The edition's last item (the last section's oldest): removing it, or adding one
    # after it, numbers no other item's sources again (which would change them).
    site_now, _problems = check(site / "entries")
    last = site_now.entries[site_now.editions[0].sections[-1].entries[-1]]
    made_now = {item.stem}
    if change == "body":
        item.write_text(text + "\nOne more sentence.\n")
    elif change == "date":  # the newest item now: every feed it is in changes order
        item.write_text(re.sub(r"date: 2023-03-\d\d", "date: 2023-03-31", text, count=1))
    elif change == "removed":
        (site / "entries" / last.path).unlink()
        made_now = set()
    elif change == "added":
        new = (site / "entries" / last.path).read_text().replace(last.id, "a-new-item")
        new = re.sub(r"\ndate: [\d-]+", "\ndate: 2023-01-01", new, count=1)
        (item.parent / "a-new-item.md").write_text(re.sub(r"\norder: \d+", "", new))
        made_now = {"a-new-item"}
    else:  # the title is in every entry's content: every entry is made again
        path = site / "entries" / "site.yaml"
        path.write_text(path.read_text().replace("title: ", "title: The ", 1))
    built = run(site, "out")
    if change == "site.yaml":
        assert len(set(made)) == built.items
    else:
        assert set(made) == made_now
    run(site, "cold", cache=None)
    assert tree(site / "out") == tree(site / "cold")


def test_feed_entries_are_not_taken_from_a_file_written_otherwise(
    site: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A feed file changed by hand since it was written (a stray edit, another tool) is
    # made again whole, never spliced.
    run(site, "out")
    feed = site / "out" / "feed.xml"
    feed.write_bytes(feed.read_bytes().replace(b"<entry>", b"<entry> ", 1))
    made = count_feed_items_made(monkeypatch)
    item = an_item(site)
    item.write_text(item.read_text() + "\nOne more sentence.\n")
    run(site, "out")
    assert len(set(made)) > 1
    run(site, "cold", cache=None)
    assert tree(site / "out") == tree(site / "cold")


def test_data_file_lines_are_made_again_only_for_a_changed_item(
    site: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    made = count_lines_made(monkeypatch)
    built = run(site, "out")
    assert len(made) == 2 * built.items and any((site / "cache" / FRAGMENTS_DIR).iterdir())
    made.clear()
    item = an_item(site)
    item.write_text(item.read_text().replace("title: ", "title: Revised ", 1))
    run(site, "out")
    assert made == [item.stem, item.stem]  # its catalog line, its search line
    run(site, "cold", cache=None)
    assert tree(site / "out") == tree(site / "cold")
    # A removed item: its line is gone; only items of its edition, whose footnotes are
    # numbered again, get new lines.
    made.clear()
    item.unlink()
    run(site, "out")
    assert set(made) <= {p.stem for p in item.parent.glob("*.md")}
    run(site, "cold2", cache=None)
    assert tree(site / "out") == tree(site / "cold2")


def test_data_file_lines_of_unchanged_items_are_taken_from_the_live_files(
    site: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Without the cache's copies, the lines come from the files the last build wrote.
    run(site, "out")
    shutil.rmtree(site / "cache" / FRAGMENTS_DIR)
    made = count_lines_made(monkeypatch)
    item = an_item(site)
    item.write_text(item.read_text().replace("title: ", "title: Revised ", 1))
    run(site, "out")
    assert made == [item.stem, item.stem]
    run(site, "cold", cache=None)
    assert tree(site / "out") == tree(site / "cold")


def test_a_data_file_its_rows_make_again_is_kept_unread(
    site: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A body edited: the catalog shows no body, so its file comes out the same and is
    # kept (neither read whole nor written); the search index shows the text, so its
    # file is made again.
    from digest import output

    run(site, "out")
    before = {p: (st.st_ino, st.st_mtime_ns) for p, st in stats(site / "out").items()}
    read_whole: list[str] = []
    whole = output.FilePieces.whole
    monkeypatch.setattr(
        output.FilePieces, "whole", lambda self: read_whole.append(self.path) or whole(self)
    )
    item = an_item(site)
    item.write_text(item.read_text() + "\nOne more sentence.\n")
    run(site, "out")
    after = {p: (st.st_ino, st.st_mtime_ns) for p, st in stats(site / "out").items()}
    assert after["catalog.json"] == before["catalog.json"]
    assert after["search/index.json"] != before["search/index.json"]
    assert [Path(p).name for p in read_whole] == ["index.json"]
    run(site, "cold", cache=None)
    assert tree(site / "out") == tree(site / "cold")


@pytest.mark.parametrize("otherwise", ["catalog edited", "rows saved in another order"])
def test_data_file_lines_are_not_taken_from_a_file_written_otherwise(
    site: Path, monkeypatch: pytest.MonkeyPatch, otherwise: str
) -> None:
    built = run(site, "out")
    shutil.rmtree(site / "cache" / FRAGMENTS_DIR)
    if otherwise == "catalog edited":  # by hand, since: its lines are made again
        catalog = site / "out" / "catalog.json"
        catalog.write_bytes(catalog.read_bytes().replace(b'"title": "', b'"title": "X', 1))
        again = built.items + 1  # and the search index's line of the changed item
    else:  # the signatures kept for the next build are not those of the files there
        last = LastRows.load(site / "cache", site / "out", None)
        turned = {}
        for path, (key, order, lengths) in last.files.items():
            signatures = [order[i : i + 16] for i in range(0, len(order), 16)]
            turned[path] = (key, b"".join(reversed(signatures)), lengths)
        LastRows({}, last.read).save(site / "cache", site / "out", turned)
        again = 2 * built.items
    made = count_lines_made(monkeypatch)
    item = an_item(site)
    item.write_text(item.read_text().replace("title: ", "title: Revised ", 1))
    run(site, "out")
    assert len(made) == again and made.count(item.stem) == 2
    run(site, "cold", cache=None)
    assert tree(site / "out") == tree(site / "cold")


def test_data_files_are_not_made_again_when_no_item_or_setting_changed(
    site: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A new stylesheet: a rebuild (static files are inputs too), but the data files'
    # keys are the same, so they are kept as they are, never made.
    from digest import catalog, searchindex

    run(site, "out")
    before = mtimes(site / "out")
    made = spy(monkeypatch, catalog, "catalog_data", lambda *a: "catalog", [])
    spy(monkeypatch, searchindex, "search_index_data", lambda *a: "search", made)
    static = site / "static"  # the site's own, beside its entries
    static.mkdir()
    (static / "extra.css").write_text("p { margin: 0 }\n")
    built = run(site, "out")
    assert made == [] and built.written.written == 1
    after = mtimes(site / "out")
    assert after["catalog.json"] == before["catalog.json"]
    assert after["search/index.json"] == before["search/index.json"]
    run(site, "cold", cache=None)
    assert tree(site / "out") == tree(site / "cold")


@pytest.mark.parametrize("change", ["site.yaml", "agencies.yaml", "edition.yaml", "code"])
def test_data_file_lines_are_made_again_when_what_they_show_changes(
    site: Path, monkeypatch: pytest.MonkeyPatch, change: str
) -> None:
    made = count_lines_made(monkeypatch)
    built = run(site, "out")
    made.clear()
    entries = site / "entries"
    if change == "site.yaml":  # the base URL is in every line
        path = entries / "site.yaml"
        path.write_text(path.read_text().replace('base_url: "https://', 'base_url: "http://', 1))
    elif change == "agencies.yaml":  # agency names are in the catalog's lines
        path = entries / "agencies.yaml"
        path.write_text(path.read_text().replace("name: ", "name: The ", 1))
    elif change == "edition.yaml":  # edition titles are in the catalog's lines
        (entries / "2023-04" / "edition.yaml").write_text("title: The April Edition\n")
    else:
        monkeypatch.setattr(cache_module, "__version__", "999")
    run(site, "out")
    assert len(made) == 2 * built.items
    run(site, "cold", cache=None)
    assert tree(site / "out") == tree(site / "cold")


def test_a_rebuild_with_nothing_to_do_loads_no_later_stage(site: Path) -> None:
    run(site, "out")
    later = ["yaml", "jinja2", "digest.yamlfile", "digest.validate", "digest.model"]
    later += ["digest.render", "digest.keys"]
    code = (
        "import sys\n"
        "from digest.cli import main\n"
        "rc = main(['build', '--entries', 'entries', '--out', 'out', '--cache-dir', 'cache'])\n"
        f"print([m for m in {later!r} if m in sys.modules])\n"
        "sys.exit(rc)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=site, capture_output=True, text=True, check=True
    )
    assert "(0 written," in done.stdout
    assert done.stdout.splitlines()[-1] == "[]"


def test_a_settings_file_made_a_link_out_of_the_folder_is_refused(
    site: Path, tmp_path: Path
) -> None:
    # Its bytes are those of the last good build; what load would refuse must not be
    # taken for "nothing changed".
    run(site, "out")
    outside = tmp_path / "elsewhere.yaml"
    settings = site / "entries" / "site.yaml"
    shutil.copy(settings, outside)
    settings.unlink()
    settings.symlink_to(outside)
    built, problems = build(site / "entries", site / "out", Options(cache_dir=site / "cache"))
    assert built is None
    assert [p.message for p in problems] == [
        "is a symbolic link that leads outside the entries folder"
    ]
