"""The `digest` command: subcommands and exit codes.

Exit codes: 0 done, 1 content problems (all printed), 2 usage error (bad arguments, a
folder that does not exist)."""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
import threading
import time
from pathlib import Path

from . import __version__
from .build import Options, build, check
from .load import AGENCIES_FILE, EDITION_DIR, MAX_FILE_BYTES, decode, load, load_document
from .problems import FORMATS, Problem, format_problems, summary
from .schemas import SCHEMAS, schema_path

# typing.TYPE_CHECKING without importing typing (some milliseconds of every start-up).
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import TextIO

# The modules every command needs are imported above, and they are light: what only some
# commands need (settings parsing, the checker, the model, rendering) is imported by the
# command, so that `digest build` with nothing to do starts in a few hundredths of a
# second (see build.py).

# The export formats, known here without importing the exporter (and its Markdown and
# email machinery) on every run: tests/test_exporter.py checks they agree.
EXPORT_FORMATS = ("text", "email", "markdown")

EXIT_OK = 0
EXIT_PROBLEMS = 1
EXIT_USAGE = 2


class UsageError(Exception):
    """Bad arguments that argparse could not see (a missing folder, ...)."""


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="digest",
        description="Build a regulatory news digest from Markdown entries.",
    )
    parser.add_argument("--version", action="version", version=f"digest {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    p = commands.add_parser("check", help="check every entry and report every problem")
    _entries_argument(p)
    p.add_argument("--format", choices=FORMATS, default="text", help="how to print problems")
    p.add_argument("--drafts", action="store_true", help="check drafts as published items")
    _cache_arguments(p)
    p.set_defaults(run=_check)

    p = commands.add_parser("import", help="turn a plain-text edition into item files")
    p.add_argument("file", type=Path, metavar="FILE", help="the edition as plain text")
    p.add_argument(
        "--edition", required=True, type=_edition_key, metavar="YYYY-MM", help="its month"
    )
    _entries_argument(p)
    p.add_argument("--dry-run", action="store_true", help="report only; write nothing")
    p.set_defaults(run=_import)

    p = commands.add_parser("export", help="print an edition as text, email or Markdown")
    p.add_argument("edition", type=_edition_key, metavar="EDITION", help="its month, YYYY-MM")
    p.add_argument("--format", choices=EXPORT_FORMATS, required=True, help="what to write")
    p.add_argument("--out", type=Path, metavar="FILE", help="write here (default: print)")
    _entries_argument(p)
    p.set_defaults(run=_export)

    p = commands.add_parser("new", help="write a new item file with valid front matter")
    p.add_argument("--title", help="the headline")
    p.add_argument(
        "--category", metavar="CATEGORY", help="regulation, enforcement, cases or courts"
    )
    p.add_argument(
        "--agencies", default="", metavar="KEYS", help="comma-separated keys of agencies.yaml"
    )
    p.add_argument(
        "--source",
        action="append",
        default=[],
        metavar="URL",
        help="the source URL (repeat for more)",
    )
    p.add_argument("--date", metavar="YYYY-MM-DD", help="when it happened (default: today)")
    p.add_argument(
        "--edition", type=_edition_key, metavar="YYYY-MM", help="default: the month after the date"
    )
    _entries_argument(p)
    p.set_defaults(run=_new)

    p = commands.add_parser("build", help="check the entries and build the site")
    _entries_argument(p)
    p.add_argument(
        "--out",
        type=Path,
        default=Path("site"),
        metavar="DIR",
        help="the output folder (default: site)",
    )
    p.add_argument("--base-url", metavar="URL", help="publish at this URL instead of site.yaml's")
    p.add_argument("--drafts", action="store_true", help="build drafts as published items")
    p.add_argument("--quiet", action="store_true", help="print nothing unless there are problems")
    _cache_arguments(p)
    p.set_defaults(run=_build)

    p = commands.add_parser(
        "serve", help="preview the site with drafts; rebuild and reload on every save"
    )
    _entries_argument(p)
    p.add_argument(
        "--port", type=_port, default=8000, metavar="PORT", help="default: 8000; 0 picks a free one"
    )
    p.add_argument(
        "--host",
        default="127.0.0.1",
        metavar="HOST",
        help="the address to listen on (default: 127.0.0.1, this machine only)",
    )
    p.set_defaults(run=_serve)
    p = commands.add_parser("schema", help="print a JSON Schema for editors' tools")
    p.add_argument("kind", choices=sorted(SCHEMAS), help="which file it describes")
    p.set_defaults(run=_schema)
    return parser


def _port(text: str) -> int:
    if not (text.isdigit() and 0 <= int(text) <= 65535):
        raise argparse.ArgumentTypeError(f"expected a port number 0-65535, got {text!r}")
    return int(text)


def _edition_key(text: str) -> str:
    if not (EDITION_DIR.match(text) and 1 <= int(text[5:]) <= 12):
        raise argparse.ArgumentTypeError(f"expected a month YYYY-MM, got {text!r}")
    return text


def _entries_argument(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--entries",
        type=Path,
        default=Path("entries"),
        metavar="DIR",
        help="the entries folder (default: entries)",
    )


def _cache_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--cache-dir",
        type=Path,
        default=Path(".digest-cache"),
        metavar="DIR",
        help="where checked items are cached between runs (default: .digest-cache)",
    )
    p.add_argument("--no-cache", action="store_true", help="neither read nor write the cache")


def _cache_dir(args: argparse.Namespace) -> Path | None:
    return None if args.no_cache else args.cache_dir


def _entries_dir(args: argparse.Namespace) -> Path:
    path: Path = args.entries
    if not path.is_dir():
        raise UsageError(f"entries folder {str(path)!r} does not exist (use --entries DIR)")
    return path


def _prefix(path: Path) -> str:
    """How problem paths are printed: joined to the entries folder as the user named it."""
    text = path.as_posix()
    return "" if text in (".", "") else text.rstrip("/") + "/"


def _check(args: argparse.Namespace) -> int:
    entries = _entries_dir(args)
    site, problems = check(entries, Options(drafts=args.drafts, cache_dir=_cache_dir(args)))
    args.keep.append(site)
    if problems:
        sys.stdout.write(format_problems(problems, args.format, prefix=_prefix(entries)))
        return EXIT_PROBLEMS
    if args.format == "json":
        sys.stdout.write(format_problems([], "json"))
    elif args.format == "github":
        sys.stdout.write("no problems\n")
    else:
        print(
            f"{_count(len(site.entries), 'item')} in {_count(len(site.editions), 'edition')}: no problems"
        )
    return EXIT_OK


def _import(args: argparse.Namespace) -> int:
    from .config import read_config
    from .importer import check_planned, existing_entries, plan_import, write_planned
    from .registry import read_registry

    entries = _entries_dir(args)
    source: Path = args.file
    name = source.as_posix()
    if not source.is_file():
        raise UsageError(f"file {name!r} does not exist")
    if source.stat().st_size > MAX_FILE_BYTES:
        raise UsageError(f"file {name!r} is larger than {MAX_FILE_BYTES:,} bytes")
    text, problems = decode(name, source.read_bytes())
    loaded, found = load(entries)
    config, settings = read_config(loaded.site)
    agencies, registry = read_registry(loaded.agencies)
    # the import needs readable settings and registry; problems in items are check's
    setup = [p for p in found + settings + registry if p.path in ("site.yaml", "agencies.yaml")]
    if text is None or config is None or setup:
        sys.stdout.write(format_problems(problems + _prefixed(setup, _prefix(entries))))
        return EXIT_PROBLEMS
    plan = plan_import(
        name, text, args.edition, config, agencies, existing_entries(entries, loaded, args.edition)
    )
    report = list(plan.problems)
    prefix = _prefix(entries)
    folder = f"{prefix}{args.edition}/"
    if args.dry_run:
        report += _prefixed(check_planned(plan.files, agencies), prefix)
        action = f"dry run: would write {_count(len(plan.files), 'item file')} to {folder}"
    else:
        written = write_planned(entries, plan.files)
        action = f"wrote {_count(len(written), 'item file')} to {folder}"
        if written:
            report += _prefixed(check(entries)[1], prefix)
    if plan.kept:
        kept = len(plan.kept)
        action += f"; {_count(kept, 'item')} already there, left as {'it was' if kept == 1 else 'they were'}"
    # the input's report first, in its line order; then what check says of the files
    lines = [str(p) for p in sorted(plan.problems)] + [
        str(p) for p in sorted(report[len(plan.problems) :])
    ]
    if report:
        lines.append(summary(report))
    print("\n".join([*lines, action]))
    return EXIT_PROBLEMS if report else EXIT_OK


def _prefixed(problems: list[Problem], prefix: str) -> list[Problem]:
    return [Problem(prefix + p.path, p.line, p.field, p.message) for p in problems]


def _export(args: argparse.Namespace) -> int:
    from .exporter import export

    entries = _entries_dir(args)
    site, problems = check(entries)
    if problems:
        sys.stdout.write(format_problems(problems, prefix=_prefix(entries)))
        return EXIT_PROBLEMS
    keys = [e.key for e in site.editions]
    if args.edition not in keys:
        raise UsageError(
            f"no edition {args.edition} in {str(entries)!r} (there are: {', '.join(keys) or 'none'})"
        )
    if args.out is not None and not args.out.parent.is_dir():
        raise UsageError(f"folder {args.out.parent.as_posix()!r} does not exist (for --out)")
    data = export(site, args.edition, args.format)
    if args.out is None:
        sys.stdout.buffer.write(data)
    else:
        args.out.write_bytes(data)
    return EXIT_OK


def _new(args: argparse.Namespace) -> int:
    import datetime

    from . import new
    from .registry import read_registry

    entries = _entries_dir(args)
    doc, problems = load_document(entries, AGENCIES_FILE)
    registry, found = read_registry(doc)
    problems += found
    if problems:
        sys.stdout.write(format_problems(problems, prefix=_prefix(entries)))
        return EXIT_PROBLEMS
    request = new.Request(
        title=args.title,
        category=args.category,
        agencies=new.split_list(args.agencies),
        sources=tuple(args.source),
        date=args.date,
        edition=args.edition,
    )
    try:
        request = new.complete(request, input if sys.stdin.isatty() else None)
        rel, text = new.plan(request, registry, new.taken_ids(entries), datetime.date.today())
        path = new.write_new(entries, rel, text)
    except new.Exists as err:
        print(f"digest new: {err}", file=sys.stderr)
        return EXIT_PROBLEMS
    except new.Refused as err:
        raise UsageError(str(err)) from None
    print(path.as_posix())
    return EXIT_OK


def _check_source_date_epoch() -> None:
    """A SOURCE_DATE_EPOCH that is not a whole number of seconds in years 1970-9999 is a
    usage error (reproducible-builds.org asks builds to refuse it, not guess)."""
    raw = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    if raw and not (raw.isdigit() and int(raw) < 253402300800):
        raise UsageError(f"SOURCE_DATE_EPOCH must be a whole number of seconds, got {raw!r}")


def _build(args: argparse.Namespace) -> int:
    _check_source_date_epoch()
    entries = _entries_dir(args)
    out: Path = args.out
    if args.base_url is not None and not args.base_url.startswith(("http://", "https://")):
        raise UsageError(f"--base-url must be an absolute http(s) URL, got {args.base_url!r}")
    resolved = out.resolve()
    if resolved == entries.resolve() or resolved in entries.resolve().parents:
        raise UsageError(f"output folder {str(out)!r} would replace the entries folder")
    if out.exists() and not out.is_dir():
        raise UsageError(f"output folder {str(out)!r} exists and is not a folder")
    start = time.perf_counter()
    progress = Progress(sys.stderr, enabled=not args.quiet)
    options = Options(
        drafts=args.drafts,
        base_url=args.base_url,
        cache_dir=_cache_dir(args),
        progress=progress.stage,
    )
    try:
        built, problems = build(entries, out, options)
    finally:
        progress.done()
    args.keep.append(built)
    if problems:
        sys.stdout.write(format_problems(problems, "text", prefix=_prefix(entries)))
        return EXIT_PROBLEMS
    if not args.quiet:
        seconds = time.perf_counter() - start
        w = built.written
        print(
            f"built {_count(built.items, 'item')} in {_count(built.editions, 'edition')}: "
            f"{_count(built.pages, 'page')}, {_count(w.files, 'file')} "
            f"({w.written:,} written, {w.unchanged:,} unchanged) in {seconds:.2f} s"
        )
    return EXIT_OK


def _serve(args: argparse.Namespace) -> int:
    from . import serve

    _check_source_date_epoch()
    entries = _entries_dir(args)
    warning = serve.exposure_warning(args.host)
    if warning:
        print(f"digest serve: warning: {warning}", file=sys.stderr, flush=True)
    settings = serve.Settings(entries, args.host, args.port, prefix=_prefix(entries))
    # Ctrl-C is how a serve ends: a clean stop and exit 0, not a traceback.
    try:
        server = serve.start(settings, sys.stdout)
    except serve.ListenError as err:
        raise UsageError(f"{err} (try another --port, or --port 0)") from None
    except KeyboardInterrupt:
        return EXIT_OK
    try:
        server.wait()
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
    print("stopped", flush=True)
    return EXIT_OK


def _schema(args: argparse.Namespace) -> int:
    sys.stdout.write(schema_path(args.kind).read_text(encoding="utf-8"))
    return EXIT_OK


class Progress:
    """A build's current stage on one updating line of a terminal's stderr, shown only
    once the build has taken longer than `delay` seconds (a quick rebuild prints
    nothing), and erased at the end. Nothing at all when stderr is not a terminal."""

    def __init__(self, stream: TextIO, enabled: bool = True, delay: float = 0.5) -> None:
        self.stream = stream
        self.enabled = enabled and stream.isatty()
        self.current = ""
        self.shown = False
        self.due = False  # the delay is over: show the next stage at once
        self.lock = threading.Lock()
        self.timer = threading.Timer(delay, self._show)
        self.timer.daemon = True
        if self.enabled:
            self.timer.start()

    def stage(self, name: str) -> None:
        """The build has entered stage `name`."""
        with self.lock:
            self.current = name
            if self.shown or self.due:
                self.shown = True
                self._draw()

    def done(self) -> None:
        """The build is over: stop, and erase the line if one was shown."""
        self.timer.cancel()
        with self.lock:
            if self.shown:
                self.stream.write("\r\x1b[K")
                self.stream.flush()
            self.shown = self.due = False
            self.enabled = False

    def _show(self) -> None:
        with self.lock:
            if not self.enabled:
                return
            self.due = True
            if self.current:
                self.shown = True
                self._draw()

    def _draw(self) -> None:
        self.stream.write(f"\r\x1b[Kdigest build: {self.current}…")
        self.stream.flush()


def _count(n: int, noun: str) -> str:
    return f"{n:,} {noun}{'' if n == 1 else 's'}"


def main(argv: list[str] | None = None, keep: list | None = None) -> int:
    """Run the command line; returns the exit code. `keep`: a list that `build` and
    `check` add what they worked with to, for a caller that ends the process at once
    (see run)."""
    parser = _parser()
    args = parser.parse_args(argv)
    args.keep = keep if keep is not None else []
    try:
        return args.run(args)
    except UsageError as err:
        parser.exit(EXIT_USAGE, f"digest {args.command}: error: {err}\n")
    except KeyboardInterrupt:
        return 130
    except OSError as err:
        # What the system refused (an output folder that cannot be made, a full disk):
        # said in one line, not a traceback. Problems in the entries never get here.
        where = f": {err.filename}" if err.filename is not None else ""
        print(f"digest {args.command}: error: {err.strerror or err}{where}", file=sys.stderr)
        return EXIT_PROBLEMS


def run() -> None:
    """The `digest` command (and `python -m digest`): `main`, then the process ends at
    once with its exit code.

    Everything a command writes is closed by the time `main` returns; what is skipped
    is freeing a big build's million objects one by one (what build and check worked
    with is kept alive to the end for this: `keep`) and the interpreter's teardown,
    which collects garbage a last time: together some 0.2 s of a 10,000-item rebuild
    that takes 1.5. The standard streams are flushed first."""
    keep: list = []  # alive until os._exit below: never freed one object at a time
    try:
        code = main(keep=keep)
    except SystemExit as exit:  # argparse: --help, --version, usage errors
        code = exit.code
    if code is None:
        code = 0
    elif not isinstance(code, int):
        print(code, file=sys.stderr)
        code = 1
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError):  # a closed pipe, a closed stream
            stream.flush()
    os._exit(code)
