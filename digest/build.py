"""The pipeline, visible in one place: load -> validate -> model (-> render -> write).

`check` is the pipeline without render and write; `digest build` adds those two.

With a cache folder, a build also keeps a record of what it wrote (record.py): a
rebuild whose inputs are all unchanged, into an output folder that is still as written,
stops right after reading the inputs; otherwise render makes only the outputs whose
key changed (keys.py) and write rewrites only files whose bytes changed."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path

from . import keys, urls
from .cache import EntryCache, code_fingerprint, registry_fingerprint
from .config import read_config
from .items import Source, check_sources, read_sources
from .load import AGENCIES_FILE, SITE_FILE, Loaded, load
from .model import Site, build_site
from .problems import Problem
from .record import Record, intact, read_record, save_record
from .registry import read_registry
from .theme import find_theme, read_static, templates_fingerprint
from .validate import validate_edition
from .write import Written, abandon, begin, finish, make_folders, put


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


def check(entries_dir: Path, options: Options = Options()) -> tuple[Site | None, list[Problem]]:
    """Load, validate and model the entries: the Site, or None and every problem."""
    loaded, problems = load(entries_dir)
    sources, found = read_sources(Path(entries_dir), loaded.items)
    site, found = _validate_and_model(loaded, sources, options, problems + found)
    return site, found


def _validate_and_model(
    loaded: Loaded, sources: tuple[Source, ...], options: Options, problems: list[Problem]
) -> tuple[Site | None, list[Problem]]:
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
        fingerprint = code_fingerprint() + registry_fingerprint(registry)
        cache = EntryCache(options.cache_dir, fingerprint)
    entries, found = check_sources(sources, registry, cache)
    problems += found
    if cache is not None:
        cache.save()
    settings = []
    for doc in loaded.editions:
        edition, found = validate_edition(doc)
        problems += found
        if edition is not None:
            settings.append(edition)

    if config is None:
        return None, problems
    site, found = build_site(config, agencies, entries, settings, drafts=options.drafts)
    problems += found
    return (None if problems else site), problems


def build(
    entries_dir: Path, out_dir: Path, options: Options = Options()
) -> tuple[Built | None, list[Problem]]:
    """Check, render and write the site into `out_dir`. With any problem nothing is
    written and the previous site stays as it was."""
    progress = options.progress or (lambda stage: None)
    progress("reading")
    loaded, problems = load(entries_dir)
    sources, found = read_sources(Path(entries_dir), loaded.items)
    problems += found
    theme = find_theme(entries_dir)
    static = read_static(theme.static)
    shared = _shared_fingerprint(Path(entries_dir), loaded, theme.templates, options)
    inputs = keys.digest(shared, *(s.rel.encode() + s.key for s in sources), *static_keys(static))
    # /effective/ is "as of" SOURCE_DATE_EPOCH when it is set: a new one is a new input
    # (only that page's key changes with it; see Renderer.key).
    inputs = keys.digest(inputs, os.environ.get("SOURCE_DATE_EPOCH", "").strip())
    record = read_record(options.cache_dir, out_dir)
    if not problems and _unchanged(record, inputs, out_dir):
        return Built(record.items, record.editions, record.pages_count, _kept(record)), []

    progress("checking")
    site, problems = _validate_and_model(loaded, sources, options, problems)
    if site is None:
        return None, problems

    progress("rendering")
    # Imported here: a rebuild with nothing to do never loads Jinja, feedgen and lxml.
    from .catalog import render_catalog
    from .feeds import render_feeds
    from .fragments import Fragments
    from .ical import render_calendar
    from .llms import render_llms
    from .render import Previous, TemplateCache, environment, start_pages
    from .searchindex import render_search_index

    fingerprint = keys.pages_fingerprint(shared)
    signatures = keys.item_signatures(site, {s.rel: s.key for s in sources})
    kept = intact(out_dir, record)
    previous = Previous(record.pages, kept, record.rows) if record else Previous()
    known = record.stats() if record else None
    templates = TemplateCache(options.cache_dir, fingerprint) if options.cache_dir else None
    # Render and write overlap: the pages go into the target folder as they are
    # rendered (in the worker that rendered them), while this process makes the feeds
    # and data files; then write finishes the folder and swaps it in.
    target = begin(out_dir)
    job = None
    try:
        if not target.spare:  # a new tree: its ten thousand item folders, made meanwhile
            make_folders(target, (urls.output_file(urls.entry(eid)) for eid in site.chronology))
        env = environment(theme.templates, templates)
        job = start_pages(site, env, fingerprint, signatures, previous, put=partial(put, target))
        feeds = render_feeds(site, fingerprint, signatures, kept)
        # Site-wide data files, made afresh (write keeps unchanged bytes); the items'
        # lines of the two that list every item are kept between builds.
        fragments = Fragments(options.cache_dir, fingerprint, signatures)
        data = render_catalog(site, fragments) + render_calendar(site) + render_llms(site)
        data += render_search_index(site, fragments)
        fragments.save()
        pages = job.wait()
        outputs = pages.outputs + feeds + data + static
        progress("writing")
        written = finish(target, outputs, pages.placed, known)
    except BaseException:
        if job is not None:
            job.close()
        abandon(target)
        raise
    html = sum(1 for o in outputs if o.path.endswith(".html"))
    files = {o.path: (o.key, written.stats[o.path]) for o in outputs}
    new = Record(
        inputs, fingerprint, files, pages.rows, len(site.entries), len(site.editions), html
    )
    save_record(options.cache_dir, out_dir, new)
    return Built(len(site.entries), len(site.editions), html, written), []


def static_keys(static) -> list[bytes]:
    """The static outputs as hashes (path and bytes)."""
    return [keys.digest(o.path, o.data) for o in static]


def _shared_fingerprint(
    entries_dir: Path, loaded: Loaded, templates: tuple[Path, ...], options: Options
) -> bytes:
    """What every page depends on: code, templates, settings files, options."""
    settings = [SITE_FILE, AGENCIES_FILE, *(doc.path for doc in loaded.editions)]
    parts: list[bytes | str] = [code_fingerprint(), templates_fingerprint(templates)]
    for rel in settings:
        try:
            with open(os.path.join(entries_dir, rel), "rb") as fh:
                parts += [rel, fh.read()]
        except OSError:
            parts += [rel, b"\0missing"]
    parts += [f"drafts={options.drafts}", f"base_url={options.base_url}"]
    return keys.digest(*parts)


def _unchanged(record: Record | None, inputs: bytes, out_dir: Path) -> bool:
    """Whether the last build read exactly these inputs and its files are all there."""
    return (
        record is not None
        and record.inputs == inputs
        and len(intact(out_dir, record)) == len(record.files)
    )


def _kept(record: Record) -> Written:
    n = len(record.files)
    return Written(n, n, record.stats())
