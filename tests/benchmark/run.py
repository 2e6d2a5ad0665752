"""`make bench`: digest's own benchmark. For each corpus size, in a fresh folder:

  cold       digest build, no output and no cache
  no-change  digest build again, nothing changed
  one        digest build after one item was edited
  check      digest check with the warm cache
  check-cold digest check --no-cache

Each step is one run of the installed `digest` as a subprocess; wall time and the peak
resident memory of the process tree (os.wait4's rusage) are printed as a table. A
benchmark, not a test: it asserts nothing and is never part of `make test`.

    python -m tests.benchmark.run [--sizes 300,3000,10000] [--work DIR] [--repeat N]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from . import corpus


def run(cmd: list[str], cwd: Path) -> tuple[float, int]:
    """(wall seconds, peak RSS in MiB) of one command."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _pid, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit(f"bench: {' '.join(cmd)} failed:\n{proc.stderr.read().decode()}")
    return wall, usage.ru_maxrss // 1024


def bench_size(digest: str, n: int, work: Path, repeat: int) -> list[tuple[str, float, int]]:
    """The five steps for an n-item corpus; medians over `repeat` runs."""
    site = work / f"digest-{n}"
    shutil.rmtree(site, ignore_errors=True)
    site.mkdir(parents=True)
    corpus.make(site, n)
    build = [digest, "build", "--entries", "entries", "--out", "site", "--quiet"]
    rows = []
    samples: dict[str, list[tuple[float, int]]] = {}
    for _ in range(repeat):
        shutil.rmtree(site / "site", ignore_errors=True)
        shutil.rmtree(site / ".digest-cache", ignore_errors=True)
        samples.setdefault("cold", []).append(run(build, site))
        samples.setdefault("no-change", []).append(run(build, site))
        last = sorted((site / "entries").glob("*/*.md"))[-1]
        with open(last, "a", encoding="utf-8") as fh:
            fh.write("\nOne more sentence for the rebuild.\n")
        samples.setdefault("one", []).append(run(build, site))
        samples.setdefault("check", []).append(run([digest, "check", "--entries", "entries"], site))
        samples.setdefault("check-cold", []).append(
            run([digest, "check", "--entries", "entries", "--no-cache"], site)
        )
    for step, values in samples.items():
        rows.append((step, statistics.median(v[0] for v in values), max(v[1] for v in values)))
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="digest's own benchmark")
    parser.add_argument("--sizes", default="300,3000,10000")
    parser.add_argument(
        "--work", type=Path, default=None, help="scratch folder (default: a temp dir)"
    )
    parser.add_argument("--repeat", type=int, default=1, help="runs per step (median reported)")
    parser.add_argument("--digest", default=str(Path(sys.executable).with_name("digest")))
    args = parser.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",")]
    work = args.work or Path(tempfile.mkdtemp(prefix="digest-bench-"))
    print(f"digest benchmark: {os.cpu_count()} cores, work folder {work}")
    print(f"{'items':>7}  {'step':<10}  {'wall s':>7}  {'peak MiB':>8}")
    for n in sizes:
        for step, wall, rss in bench_size(args.digest, n, work, args.repeat):
            print(f"{n:>7}  {step:<10}  {wall:>7.2f}  {rss:>8}")
    if args.work is None:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
