"""The pipeline, visible in one place: load -> validate -> model (-> render -> write).

`check` is the pipeline without render and write; `digest build` adds those two.

With a cache folder, a build also keeps a record of what it wrote (record.py): a
rebuild whose inputs are all unchanged, into an output folder that is still as written,
stops right after looking at the inputs; otherwise render makes only the outputs whose
key changed (keys.py) and write rewrites only files whose bytes changed.

That rebuild with nothing to do walks the entries folder, takes the items' content
hashes (from their stats, when the cache knows them: sources.py) and reads the few
settings and static files, while two forked processes take the stats, one of the item
files (sources.changed_files), the other of the last build's files (record.missing),
and nothing more: the stages past it, and their modules (YAML, the
checker, the model, Jinja), are imported only once it is known that there is work to
do.

A first build (no record, no site yet) starts making its folders as soon as it has
walked the entries folder, while it reads and checks the items (see _start_first)."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

from . import forked, hashes
from .cache import code_fingerprint
from .load import AGENCIES_FILE, SITE_FILE, Layout, Loaded, load, read_bytes, read_settings, walk
from .output import Output, Written
from .problems import Problem
from .record import Record, kept_files, missing, read_record, save_record
from .sources import Source, changed_files, look_at_sources, read_sources, recorded_stats
from .theme import find_theme, read_static, templates_fingerprint

# typing.TYPE_CHECKING without importing typing (some milliseconds of every start-up).
TYPE_CHECKING = False
if TYPE_CHECKING:
    from .cache import EntryCache
    from .model import Site
    from .write import Placed, Target


# Below this many items, forking a process for the data files costs more than it saves.
FORK_DATA_FROM = 400


@dataclass(frozen=True, slots=True)
class Options:
    """What a build is asked for, beyond the entries."""

    drafts: bool = False
    base_url: str | None = None
    cache_dir: Path | None = None  # None: no cache
    # Called with the name of each stage as it starts (progress on a terminal).
    progress: Callable[[str], None] | None = None


@dataclass(frozen=True, slots=True)
class Built:
    """What a build made."""

    items: int
    editions: int
    pages: int  # HTML pages
    written: Written
    # What the build worked with (the Site, the entry cache, the outputs): a caller that
    # ends its process right after the build keeps this to the end, rather than free a
    # million objects one at a time (some 0.1 s at 10,000 items; see cli.run).
    working: object = field(default=None, repr=False, compare=False)


def check(entries_dir: Path, options: Options = Options()) -> tuple[Site | None, list[Problem]]:
    """Load, validate and model the entries: the Site, or None and every problem."""
    loaded, problems = load(entries_dir)
    sources, found = read_sources(Path(entries_dir), loaded.items, options.cache_dir)
    site, found, cache = _validate_and_model(
        entries_dir, loaded, sources, options, problems + found
    )
    if cache is not None:
        cache.save()
    return site, found


def _validate_and_model(
    entries_dir: Path,
    loaded: Loaded,
    sources: tuple[Source, ...],
    options: Options,
    problems: list[Problem],
    code: str | None = None,
) -> tuple[Site | None, list[Problem], EntryCache | None]:
    """Check the items (through the cache) and the settings, and make the Site; with
    the entry cache, for the caller to save. (`code`: the code's fingerprint, when the
    caller has it already.)"""
    from .cache import EntryCache, paused_gc, registry_fingerprint
    from .config import read_config
    from .items import check_sources
    from .model import build_site
    from .registry import read_registry
    from .validate import validate_edition

    config, found = read_config(loaded.site)
    problems += found
    if config is not None and options.base_url:
        config = config.with_base_url(options.base_url)
    agencies, found = read_registry(loaded.agencies)
    problems += found

    # Agency keys are only checked against a registry that could be read at all.
    registry = (
        agencies if loaded.agencies is not None and loaded.agencies.root is not None else None
    )
    cache = None
    if options.cache_dir is not None:
        fingerprint = (code or code_fingerprint()) + registry_fingerprint(registry)
        cache = EntryCache(options.cache_dir, fingerprint)
    entries, found = check_sources(Path(entries_dir), sources, registry, cache)
    problems += found
    settings = []
    for doc in loaded.editions:
        edition, found = validate_edition(doc)
        problems += found
        if edition is not None:
            settings.append(edition)

    if config is None:
        return None, problems, cache
    with paused_gc():  # the model of ten thousand items: no cycles (see paused_gc)
        site, found = build_site(config, agencies, entries, settings, drafts=options.drafts)
    problems += found
    return (None if problems else site), problems, cache


def build(
    entries_dir: Path, out_dir: Path, options: Options = Options()
) -> tuple[Built | None, list[Problem]]:
    """Check, render and write the site into `out_dir`. With any problem nothing is
    written and the previous site stays as it was."""
    progress = options.progress or (lambda stage: None)
    progress("reading")
    root = Path(entries_dir)
    # The items' stats as the last run kept them: read before any item file is looked at.
    recorded = recorded_stats(root, options.cache_dir)
    # Which item files changed since the last run, and which of the last build's files
    # are still as written: two answers of some ten thousand stats each, from processes
    # of their own (at ten thousand items) while this one reads the record and walks
    # the entries folder. The first is wanted at once; the second only if nothing
    # changed (a rebuild with nothing to do), or once the items are checked and
    # modelled. (Without a fork, look_at_sources takes the items' stats itself.)
    fork = len(recorded.stats) >= FORK_DATA_FROM
    changed = forked.start(partial(changed_files, root, recorded)) if fork else None
    target = still = None
    try:
        record = read_record(options.cache_dir, out_dir)
        count = len(record.files) if record is not None else 0
        still = forked.start(partial(missing, out_dir, record), fork=count >= FORK_DATA_FROM)
        layout, problems = walk(entries_dir)
        if record is None:
            target = _start_first(out_dir, layout)
        theme = find_theme(entries_dir)
        static = read_static(theme.static)
        code = code_fingerprint()
        shared = _shared_fingerprint(root, layout, theme.templates, options, code)
        looked = look_at_sources(
            root, layout.items, options.cache_dir, recorded, changed and changed.result()
        )
        sources = looked.sources
        problems += looked.problems
        # The items as one part: each hash (16 bytes) then its path, which has no NUL.
        items = b"".join(s.key + s.rel.encode() + b"\0" for s in sources)
        inputs = hashes.digest(shared, items, *static_keys(static))
        # /effective/ is "as of" SOURCE_DATE_EPOCH when it is set: a new one is a new
        # input (only that page's key changes with it; see Renderer.key).
        inputs = hashes.digest(inputs, os.environ.get("SOURCE_DATE_EPOCH", "").strip())
        # Nothing to do: the same inputs as the last build, and its files all as written.
        if not problems and record is not None and record.inputs == inputs and not still.result():
            looked.save()  # a file read again (touched, its bytes the same) is known now
            built = Built(record.items, record.editions, record.pages_count, _kept(record), record)
            return built, []

        # The settings files are parsed only now. Nothing is lost by not parsing them
        # above: a record is saved only by a build without problems, so settings files
        # with the bytes it recorded (read the same checked way, see
        # _shared_fingerprint) parse without problems again.
        parsed = None
        if options.cache_dir is not None:
            from .settingscache import ParsedSettings

            parsed = ParsedSettings(options.cache_dir, root, code)
        loaded, found = read_settings(entries_dir, layout, parsed)
        if parsed is not None:
            parsed.save()
        problems += found
        progress("checking")
        site, problems, cache = _validate_and_model(
            entries_dir, loaded, sources, options, problems, code
        )
        kept = kept_files(record, still.result()) if site is not None else {}
    except BaseException:
        if target is not None:
            _abandon(target)
        raise
    finally:
        for pending in (changed, still):  # nothing left to stop once their results are in
            if pending is not None:
                pending.close()
    # The items' stats and the checked items, kept for the next run (after a good build,
    # by the feeds' process once it has sent its outputs: `save` below).
    caches = (looked, cache)
    if site is None:
        if target is not None:  # a first build's folders, started early: never used
            _abandon(target)
        _save(caches)
        return None, problems

    progress("rendering")
    # Imported here: a rebuild with nothing to do never loads Jinja, feedgen and lxml.
    from . import keys, urls
    from .cache import paused_gc
    from .write import abandon, begin, finish, make_folders, put

    pages_key = keys.pages_fingerprint(shared)
    signatures = keys.item_signatures(site, {s.rel: s.key for s in sources})
    # Render and write overlap: the pages go into the target folder as they are
    # rendered (in the worker that rendered them), while other processes make and put
    # the feeds and the data files; then write finishes the folder and swaps it in.
    target = target or begin(out_dir)
    job = feeds = data = None
    try:
        if not target.spare and target.maker is None:  # a new tree: its item folders
            make_folders(target, (urls.output_file(urls.entry(eid)) for eid in site.chronology))
        # The feeds and the data files in processes of their own, while this one
        # renders the pages (or, when there are many, hands them to workers); a small
        # site's, at once.
        many = len(site.entries) >= FORK_DATA_FROM
        place = partial(put, target)
        make_data = partial(
            _put_made,
            place,
            _data_files,
            site,
            pages_key,
            signatures,
            kept,
            options.cache_dir,
            out_dir,
            target.live,
        )
        make_feeds = partial(
            _put_made,
            place,
            _feeds,
            site,
            pages_key,
            signatures,
            kept,
            options,
            out_dir,
            target.live,
        )
        # The items' stats and the checked items are saved for the next run by the
        # feeds' process, once it has sent its outputs: off the path that finish
        # waits on (done() below).
        save = partial(_save, caches)
        if record is None:
            # A first build: two processes, the data files' first (it has the most to
            # do), beside the workers rendering every page.
            data = forked.start(make_data, fork=many)
            feeds = forked.start(make_feeds, fork=many, then=save)
        else:
            # A rebuild renders its few pages here, and one process makes both, the
            # one after the other: with a process each, three would share the two
            # cores, this one losing a third of its core to them until both ended.
            data = forked.start(partial(_in_turn, make_feeds, make_data), fork=many, then=save)
        # Jinja is imported only now: the processes above do without it, and start
        # that much sooner (some 60 ms; after one edit, the feeds' and data files' may
        # finish last).
        from .render import Previous, start_pages
        from .templating import TemplateCache, environment

        previous = (
            Previous(record.pages, kept, record.rows, record.heads, record.lists)
            if record
            else Previous()
        )
        templates = TemplateCache(options.cache_dir, pages_key) if options.cache_dir else None
        env = environment(theme.templates, templates)
        # The collector paused from here to the swap (see cache.paused_gc): the views,
        # the page list, keys and outputs of ten thousand items and pages, long-lived
        # and in no cycle, made it run a dozen times (some 25 ms after one edit) for
        # nothing to collect. Worker processes collect as usual (render._adopt).
        with paused_gc():
            job = start_pages(site, env, pages_key, signatures, previous, put=place)
            pages = job.wait()
            progress("writing")
            # The pages' files are checked and the unchanged ones linked while the
            # other process may still be making the feeds and data files: finish asks
            # for those last (`rest`).
            known = record.stats() if record else None
            rest = partial(_results, feeds, data)
            written = finish(target, pages.outputs + static, pages.placed, known, rest)
        outputs = pages.outputs + rest()[0] + static  # their results, as finish had them
    except BaseException:
        if job is not None:
            job.close()
        for pending in (feeds, data):
            if pending is not None:
                pending.close()
        abandon(target)
        raise
    html = sum(1 for o in outputs if o.path.endswith(".html"))
    files = {o.path: (o.key, written.stats[o.path]) for o in outputs}
    new = Record(
        inputs,
        pages_key,
        files,
        pages.rows,
        pages.heads,
        pages.lists,
        len(site.entries),
        len(site.editions),
        html,
    )
    save_record(options.cache_dir, out_dir, new)
    for pending in (feeds, data):  # their chores: the caches saved
        if pending is not None:
            pending.done()
    working = (site, cache, sources, record, job, pages, outputs, files, new)
    return Built(len(site.entries), len(site.editions), html, written, working), []


def _start_first(out_dir: Path, layout: Layout) -> Target | None:
    """For a first build (no record of an earlier one) where there is no site yet: the
    folder it fills (write.begin), and a process making its item pages' folders, named
    by the items' file names (an item's id but where it sets another), while this one
    reads and checks the items. Ten thousand folders are some seconds of the system's
    time, made on a core that would otherwise wait for the reading. Folders no item
    turns out to need are removed when the site is finished (see write.make_folders).

    None where there is a site already: a rebuild fills the spare, or a new folder
    once it knows it has work to do."""
    if os.path.lexists(out_dir):
        return None
    from . import urls
    from .fields import SLUG
    from .write import begin, make_folders

    target = begin(out_dir)
    stems = (rel.rpartition("/")[2].removesuffix(".md") for rel, _edition in layout.items)
    paths = (urls.output_file(urls.entry(stem)) for stem in stems if SLUG.match(stem))
    make_folders(target, paths, guessed=True)
    return target


def _abandon(target: Target) -> None:
    from .write import abandon

    abandon(target)


def _put_made(place, make, *args) -> tuple[tuple[Output, ...], dict[str, Placed]]:
    """The outputs `make(*args)` gives, each with bytes put into the target at once
    (`place`: write.put), where it was made: what comes back from a forked process is
    the outputs without their bytes (megabytes of search index and catalog, else
    pickled, read back and compared again) and what put did with each."""
    outputs = []
    placed = {}
    for output in make(*args):
        if output.data is not None:
            placed[output.path] = place(output)
            output = Output(output.path, None, output.key)
        outputs.append(output)
    return tuple(outputs), placed


def _results(*pendings) -> tuple[tuple[Output, ...], dict[str, Placed]]:
    """The outputs of the forked makers (`pendings`, None for none) and what put did
    with them, once they are done (asked again, the same: Pending.result)."""
    return _merged(p.result() for p in pendings if p is not None)


def _in_turn(*makes) -> tuple[tuple[Output, ...], dict[str, Placed]]:
    """What each `make()` (_put_made) gives, made one after the other, together."""
    return _merged(make() for make in makes)


def _merged(parts) -> tuple[tuple[Output, ...], dict[str, Placed]]:
    outputs: tuple[Output, ...] = ()
    placed: dict[str, Placed] = {}
    for more, put_there in parts:
        outputs += more
        placed.update(put_there)
    return outputs, placed


def _feeds(site, pages_key, signatures, kept, options, out_dir, live) -> tuple:
    """The feeds (only those whose key changed are made again, each with the unchanged
    items' entries taken from its file in the live site, `live`: see feeds.LastFeeds),
    and the two small data files: the calendar and llms.txt."""
    from .feeds import LastFeeds, feed_items, render_feeds
    from .ical import render_calendar
    from .llms import render_llms

    last = None
    if options.cache_dir is not None:
        last = LastFeeds.load(options.cache_dir, out_dir, live)
    feeds = render_feeds(site, pages_key, signatures, kept, last)
    if last is not None:
        last.save(options.cache_dir, out_dir, feed_items(site, signatures))
    return feeds + render_calendar(site) + render_llms(site)


def _save(caches) -> None:
    """Save each of these caches (None: not in use)."""
    for kept in caches:
        if kept is not None:
            kept.save()


def _data_files(site, pages_key, signatures, kept, cache_dir, out_dir, live) -> tuple:
    """The catalog and the search index, made again only when their key changed (the
    live file's is in `kept`). Runs of unchanged items' rows are copied from the live
    file when it is still as written (fragments.LastRows), other rows taken from the
    cache folder, or made; write keeps bytes that did not change."""
    from .catalog import FRAME as CATALOG_FRAME
    from .catalog import render_catalog
    from .fragments import Fragments, LastRows, data_key, lengths_bytes
    from .searchindex import FRAME as SEARCH_FRAME
    from .searchindex import render_search_index
    from .urls import CATALOG, SEARCH_INDEX

    order = b"".join([signatures[eid] for eid in site.chronology])
    fragments = Fragments(cache_dir, pages_key, signatures)
    last = LastRows.load(cache_dir, out_dir, live) if cache_dir is not None else None
    data: tuple[Output, ...] = ()
    rows = {}  # what LastRows keeps of each file for the next build
    for path, name, frame, render in (
        (CATALOG, "catalog", CATALOG_FRAME, render_catalog),
        (SEARCH_INDEX, "search", SEARCH_FRAME, render_search_index),
    ):
        key = data_key(pages_key, path, order)
        if kept.get(path) == key:  # the live file is this one
            data += (Output(path, None, key),)
            if last is not None and path in last.files:
                rows[path] = last.files[path]
            continue
        if last is not None:
            fragments.take(name, last.rows(path, frame, kept.get(path), pages_key))
        (made,) = render(site, fragments)
        # (No bytes: the live file is this one after all, kept under the new key.)
        data += (Output(path, made.data, key),)
        if name in fragments.lengths:
            rows[path] = (key, order, lengths_bytes(fragments.lengths[name]))
    fragments.save()
    if last is not None:
        last.save(cache_dir, out_dir, rows)
    return data


def static_keys(static) -> list[bytes]:
    """The static outputs as hashes (path and bytes)."""
    return [hashes.digest(o.path, o.data) for o in static]


def _shared_fingerprint(
    entries_dir: Path, layout: Layout, templates: tuple[Path, ...], options: Options, code: str
) -> bytes:
    """What every page depends on: code (its fingerprint), templates, settings files,
    options."""
    settings = [SITE_FILE, AGENCIES_FILE, *layout.editions]
    parts: list[bytes | str] = [code, templates_fingerprint(templates)]
    for rel in settings:
        # Read as load reads them (no link out of the folder, the size limit), so that
        # a file load would refuse never matches the bytes a good build recorded.
        data, _problems = read_bytes(entries_dir, rel)
        parts += [rel, b"\0missing" if data is None else data]
    parts += [f"drafts={options.drafts}", f"base_url={options.base_url}"]
    return hashes.digest(*parts)


def _kept(record: Record) -> Written:
    n = len(record.files)
    return Written(n, n, record.stats())
