"""`digest import`: a plain-text edition -> one item file per item, planned in memory.

read_layout finds titles, texts, headings and sources; this module resolves each item
(category from its heading, date and `effective` from its text, agencies from the
registry, source from its footnote numbers) and gives the files to write with every
problem at its line of the input. Writing is the caller's: plan_import does no I/O."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from . import fields as f
from .config import Config
from .dates import effective_date, item_date
from .entryfile import NewEntry, entry_text
from .headings import heading_key, heading_table
from .items import check_item
from .layout import Paragraph, Source, TextItem, read_layout
from .load import Loaded, load_entry
from .mentions import Finder
from .plaintext import to_markdown
from .problems import Problem
from .registry import Agency
from .slugs import slugify, unique

DEFAULT_CATEGORY = "regulation"  # items above the first heading


@dataclass(frozen=True, slots=True)
class Existing:
    """What the entries folder already holds: every id, and the edition's items by title."""

    ids: frozenset[str]
    titles: Mapping[str, str]  # title -> path of the item file in the edition


@dataclass(frozen=True, slots=True)
class Planned:
    """A file to write: `path` relative to the entries folder, from the item whose
    title is on input line `line`."""

    path: str
    text: str
    line: int


@dataclass(frozen=True, slots=True)
class Plan:
    """What an import would do: files to write, items left alone, and the report."""

    files: tuple[Planned, ...]
    kept: tuple[str, ...]  # paths of existing items the input also holds
    problems: tuple[Problem, ...]
    items: int


def existing_entries(entries_dir: Path, loaded: Loaded, edition: str) -> Existing:
    """The ids taken anywhere in the entries folder (file names and `id:` fields), and
    the titles of the edition's items. Files that cannot be read are check's to report."""
    ids: set[str] = set()
    titles: dict[str, str] = {}
    for rel, item_edition in loaded.items:
        ids.add(rel.rsplit("/", 1)[-1].removesuffix(".md"))
        raw, _problems = load_entry(entries_dir, rel, item_edition)
        fields = dict(raw.fields.value) if raw is not None else {}
        if "id" in fields and isinstance(fields["id"].value, str):
            ids.add(fields["id"].value)
        title = fields.get("title")
        if item_edition == edition and title is not None and isinstance(title.value, str):
            titles.setdefault(" ".join(title.value.split()), rel)
    return Existing(frozenset(ids), titles)


def write_planned(entries_dir: Path, files: Iterable[Planned]) -> tuple[str, ...]:
    """Write the planned files, never over an existing one; returns the paths written."""
    written = []
    for planned in files:
        target = entries_dir / planned.path
        target.parent.mkdir(exist_ok=True)
        # "x": fail rather than overwrite, even if a file appeared since the plan was made
        with open(target, "x", encoding="utf-8", newline="\n") as out:
            out.write(planned.text)
        written.append(planned.path)
    return tuple(written)


def check_planned(files: Iterable[Planned], agencies: Mapping[str, Agency]) -> list[Problem]:
    """What `digest check` would say of each planned file on its own (for --dry-run)."""
    problems: list[Problem] = []
    for planned in files:
        edition = planned.path.split("/", 1)[0]
        problems += check_item(planned.path, edition, planned.text.encode("utf-8"), agencies)[1]
    return problems


def plan_import(
    path: str,
    text: str,
    edition: str,
    config: Config,
    agencies: Mapping[str, Agency],
    existing: Existing,
) -> Plan:
    """Plan the import of edition text `text` (read from `path`) into edition `edition`."""
    layout, problems = read_layout(path, text)
    year_month = (int(edition[:4]), int(edition[5:]))
    headings = heading_table(config.headings, config.sections)
    finder = Finder(agencies)
    urls = _sources(path, layout.sources, layout.items, problems)

    for p in layout.headings:
        if heading_key(p.text) not in headings:
            problems.append(
                Problem(
                    path,
                    p.line,
                    "heading",
                    f"{p.text!r} is not a known section heading; add it to `headings:` in "
                    "site.yaml (the items under it have no category)",
                )
            )
    if not layout.items:
        problems.append(Problem(path, 0, "file", "no items found (a title line, then its text)"))
    disclaimer = " ".join(p.text for p in layout.disclaimer)
    if disclaimer and disclaimer != " ".join(config.disclaimer.split()):
        problems.append(
            Problem(
                path,
                layout.disclaimer[0].line,
                "disclaimer",
                "differs from site.yaml's disclaimer; not imported",
            )
        )

    taken = set(existing.ids)
    files: list[Planned] = []
    kept: list[str] = []
    counts: dict[str | None, int] = {}
    for item in layout.items:
        category = (
            DEFAULT_CATEGORY
            if item.heading is None
            else headings.get(heading_key(item.heading.text))
        )
        counts[category] = counts.get(category, 0) + 1
        title = item.title.text
        if title in existing.titles:
            kept.append(existing.titles[title])
            problems.append(
                Problem(
                    path,
                    item.title.line,
                    "entry",
                    f"already in the entries folder as {existing.titles[title]}; not overwritten",
                )
            )
            continue
        entry = _entry(path, item, year_month, category, counts[category], finder, urls, problems)
        eid = unique(slugify(title), taken)
        taken.add(eid)
        files.append(Planned(f"{edition}/{eid}.md", entry_text(entry), item.title.line))
    return Plan(tuple(files), tuple(kept), tuple(problems), len(layout.items))


def _entry(
    path: str,
    item: TextItem,
    edition: tuple[int, int],
    category: str | None,
    order: int,
    finder: Finder,
    urls: Mapping[int, str],
    problems: list[Problem],
) -> NewEntry:
    body = item.body
    date = item_date(body.text, edition)
    if date.problem:
        problems.append(Problem(path, body.line, "date", date.problem))
    effective = effective_date(body.text, date)
    if effective.problem:
        problems.append(Problem(path, body.line, "effective", effective.problem))
    return NewEntry(
        title=item.title.text,
        date=date.date,
        date_precision=date.precision,
        category=category,
        agencies=_agencies(path, item, finder, problems),
        sources=tuple(urls[n] for n in item.notes if n in urls),
        order=order,
        effective=effective.date,
        body=to_markdown(body.text),
    )


def _agencies(
    path: str, item: TextItem, finder: Finder, problems: list[Problem]
) -> tuple[str, ...]:
    # The title names the item's main actor first ('NISTC Issues ...'), so its agencies
    # lead; then the text's, in the order it names them.
    in_title, _spans = finder.find(item.title.text)
    in_body, spans = finder.find(item.body.text)
    keys = in_title + tuple(k for k in in_body if k not in in_title)
    for unknown in finder.unknown(item.body.text, spans):
        problems.append(
            Problem(
                path,
                item.body.line,
                "agencies",
                f"{unknown} is not in agencies.yaml; add it (or an alias) and list it by hand",
            )
        )
    if not keys:
        problems.append(
            Problem(path, item.title.line, "agencies", "the item names no agency of agencies.yaml")
        )
    return keys


def _sources(
    path: str, sources: tuple[Source, ...], items: tuple[TextItem, ...], problems: list[Problem]
) -> dict[int, str]:
    """{footnote number: URL} for the usable sources; the rest reported."""
    listed: dict[int, Source] = {}
    for s in sources:
        if s.number in listed:
            problems.append(
                Problem(
                    path,
                    s.line,
                    "sources",
                    f"footnote {s.number} is listed twice (first on line {listed[s.number].line})",
                )
            )
            continue
        listed[s.number] = s
    cited: dict[int, Paragraph] = {}
    urls: dict[int, str] = {}
    for item in items:
        for n in item.notes:
            if n in cited:
                problems.append(
                    Problem(
                        path,
                        item.body.line,
                        "source",
                        f"footnote {n} is also cited by the item on line {cited[n].line}",
                    )
                )
                continue
            cited[n] = item.body
            source = listed.get(n)
            if source is None:
                problems.append(
                    Problem(
                        path, item.body.line, "source", f"footnote {n} is not in the source list"
                    )
                )
            elif not source.url:
                problems.append(
                    Problem(
                        path,
                        item.body.line,
                        "source",
                        f"footnote {n} has no URL in the source list (line {source.line})",
                    )
                )
            else:
                try:
                    f.check_http_url(source.url)
                    urls[n] = source.url
                except f.Invalid as err:
                    problems.append(Problem(path, item.body.line, "source", f"footnote {n}: {err}"))
    for n, s in sorted(listed.items()):
        if n not in cited:
            what = f"footnote {n} ({s.url})" if s.url else f"footnote {n}"
            problems.append(Problem(path, s.line, "sources", f"{what} is not cited by any item"))
    return urls
