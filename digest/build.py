"""The pipeline, visible in one place: load -> validate -> model (-> render -> write).

`check` is the pipeline without render and write; `digest build` adds those two."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from .cache import EntryCache, code_fingerprint, registry_fingerprint
from .catalog import render_catalog
from .config import read_config
from .feeds import render_feeds
from .ical import render_calendar
from .items import read_entries
from .llms import render_llms
from .load import load
from .model import Site, build_site
from .output import Output
from .problems import Problem
from .registry import read_registry
from .render import environment, render_pages
from .searchindex import render_search_index
from .theme import find_theme, read_static
from .validate import validate_edition
from .write import Written, write


@dataclass(frozen=True, slots=True)
class Options:
    """What a build is asked for, beyond the entries."""

    drafts: bool = False
    base_url: str | None = None
    cache_dir: Path | None = None  # None: no cache
    quiet: bool = False


@dataclass(frozen=True, slots=True)
class Built:
    """What a build made."""

    site: Site
    pages: int  # HTML pages
    written: Written


def check(entries_dir: Path, options: Options = Options()) -> tuple[Site | None, list[Problem]]:
    """Load, validate and model the entries: the Site, or None and every problem."""
    loaded, problems = load(entries_dir)

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
    entries, found = read_entries(Path(entries_dir), loaded.items, registry, cache)
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
    site, problems = check(entries_dir, options)
    if site is None:
        return None, problems
    theme = find_theme(entries_dir)
    outputs: tuple[Output, ...] = render_pages(site, environment(theme.templates))
    outputs += render_feeds(site)
    outputs += render_catalog(site) + render_calendar(site) + render_llms(site)
    outputs += render_search_index(site)
    outputs += read_static(theme.static)
    written = write(outputs, out_dir)
    pages = sum(1 for o in outputs if o.path.endswith(".html"))
    return Built(site, pages, written), []
