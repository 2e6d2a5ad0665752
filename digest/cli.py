"""The `digest` command: subcommands and exit codes.

Exit codes: 0 done, 1 content problems (all printed), 2 usage error (bad arguments, a
folder that does not exist)."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from . import __version__
from .build import Options, build, check
from .problems import FORMATS, format_problems

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
    p.set_defaults(run=_check)

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
    p.set_defaults(run=_build)
    return parser


def _entries_argument(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--entries",
        type=Path,
        default=Path("entries"),
        metavar="DIR",
        help="the entries folder (default: entries)",
    )


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
    site, problems = check(entries, Options(drafts=args.drafts))
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


def _build(args: argparse.Namespace) -> int:
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
    options = Options(drafts=args.drafts, base_url=args.base_url, quiet=args.quiet)
    built, problems = build(entries, out, options)
    if problems:
        sys.stdout.write(format_problems(problems, "text", prefix=_prefix(entries)))
        return EXIT_PROBLEMS
    if not args.quiet:
        seconds = time.perf_counter() - start
        print(
            f"built {_count(len(built.site.entries), 'item')} in "
            f"{_count(len(built.site.editions), 'edition')}: "
            f"{_count(built.pages, 'page')} in {seconds:.2f} s"
        )
    return EXIT_OK


def _count(n: int, noun: str) -> str:
    return f"{n:,} {noun}{'' if n == 1 else 's'}"


def main(argv: list[str] | None = None) -> int:
    """Run the command line; returns the exit code."""
    parser = _parser()
    args = parser.parse_args(argv)
    try:
        return args.run(args)
    except UsageError as err:
        parser.exit(EXIT_USAGE, f"digest {args.command}: error: {err}\n")
    except KeyboardInterrupt:
        return 130
