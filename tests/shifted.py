"""Run `digest` in a different world: the clock shifted and directory listings reversed.

    python tests/shifted.py [--clock-offset SECONDS] [--reverse-listing] -- build ...
    python tests/shifted.py [options] --show FOLDER    # print what digest would see

With a clock offset the pure-Python `datetime` is used (the C one reads the system clock
directly) and `time.time` and friends are shifted, so every way Python can read the
time - datetime.now(), date.today(), time.time(), time.gmtime(), time.strftime() - sees
the shifted clock. A test of reproducible builds uses it to show that no output depends
on when the build runs, nor on the order in which the file system lists a folder."""

from __future__ import annotations

import os
import sys
import time


class _Reversed:
    """An os.scandir iterator that yields its entries in reverse order."""

    def __init__(self, it):
        with it:
            self.entries = iter(list(it)[::-1])

    def __iter__(self):
        return self

    def __next__(self):
        return next(self.entries)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return None

    def close(self):
        return None


def _shift_clock(offset: float) -> None:
    if "datetime" in sys.modules:
        raise RuntimeError("datetime was imported before the clock could be shifted")
    # the pure-Python datetime reads time.time(); zoneinfo's C part needs the C datetime
    sys.modules["_datetime"] = None  # type: ignore[assignment]
    sys.modules["_zoneinfo"] = None  # type: ignore[assignment]
    real_time, real_ns = time.time, time.time_ns
    real_gmtime, real_localtime, real_strftime = time.gmtime, time.localtime, time.strftime
    time.time = lambda: real_time() + offset
    time.time_ns = lambda: real_ns() + int(offset * 1_000_000_000)
    time.gmtime = lambda secs=None: real_gmtime(time.time() if secs is None else secs)
    time.localtime = lambda secs=None: real_localtime(time.time() if secs is None else secs)
    time.strftime = lambda fmt, t=None: real_strftime(fmt, time.localtime() if t is None else t)


def _reverse_listings() -> None:
    real_listdir, real_scandir = os.listdir, os.scandir
    os.listdir = lambda path=".": list(reversed(real_listdir(path)))
    os.scandir = lambda path=".": _Reversed(real_scandir(path))


def main(argv: list[str]) -> int:
    args = list(argv)
    while args and args[0] != "--":
        option = args.pop(0)
        if option == "--clock-offset":
            _shift_clock(float(args.pop(0)))
        elif option == "--reverse-listing":
            _reverse_listings()
        elif option == "--show":
            import datetime

            print(datetime.datetime.now().year, datetime.date.today().year)
            print(" ".join(os.listdir(args[0])))
            print(" ".join(e.name for e in os.scandir(args[0])))
            return 0
        else:
            raise SystemExit(f"unknown option {option}")
    from digest.cli import main as digest_main

    return digest_main(args[1:])


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
