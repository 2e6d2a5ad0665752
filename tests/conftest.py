"""Shared fixtures: built sites, an HTTP server over them, and Chromium.

The browser is Debian's chromium (or DIGEST_CHROMIUM), driven by Playwright with
executable_path: Playwright's own browser download never runs here. Without the
browser the browser tests skip, except under CI=true, where that is a failure."""

from __future__ import annotations

import contextlib
import functools
import os
import shutil
import threading
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from digest.build import Options, build

ROOT = Path(__file__).resolve().parent.parent
SHIPPED = ROOT / "entries"
BASIC = Path(__file__).resolve().parent / "sites" / "basic" / "entries"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def build_into(entries: Path, out: Path, **options) -> Path:
    """Build `entries` into `out`; the test fails on any content problem."""
    built, problems = build(entries, out, Options(**options))
    assert problems == []
    assert built is not None
    return out


@pytest.fixture(scope="session")
def shipped_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The site built from the repository's own entries/."""
    return build_into(SHIPPED, tmp_path_factory.mktemp("shipped") / "site")


class _Quiet(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


@contextlib.contextmanager
def serving(folder: Path) -> Iterator[str]:
    """`folder` over HTTP on 127.0.0.1 (an ephemeral port) while in the block: its root
    URL."""
    handler = functools.partial(_Quiet, directory=str(folder))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


@pytest.fixture(scope="session")
def served_site(shipped_site: Path) -> Iterator[str]:
    """The shipped site over HTTP on 127.0.0.1 (an ephemeral port): its root URL."""
    with serving(shipped_site) as url:
        yield url


def _missing(reason: str) -> None:
    if os.environ.get("CI") == "true":
        pytest.fail(f"{reason}; CI must run the browser tests (.ci/run installs chromium)")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def chromium_path() -> str:
    """Where Chromium is; skips (fails under CI=true) when it is not installed."""
    path = os.environ.get("DIGEST_CHROMIUM", "/usr/bin/chromium")
    if not (os.path.isfile(path) and os.access(path, os.X_OK)):
        _missing(f"no Chromium at {path} (apt-get install chromium, or set DIGEST_CHROMIUM)")
    return path


@pytest.fixture(scope="session")
def browser(chromium_path: str):
    """One Chromium for the whole session."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _missing("the playwright package is not installed (pip install -e '.[dev]')")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium_path, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture(scope="session")
def vnu() -> list[str]:
    """The command that runs the Nu HTML checker; skips (fails under CI=true) without it."""
    jar = ROOT / ".tools" / "node_modules" / "vnu-jar" / "build" / "dist" / "vnu.jar"
    java = shutil.which("java")
    if java is None or not jar.is_file():
        _missing("the Nu HTML checker needs java and .tools/ (make tools)")
    return [java, "-jar", str(jar)]


def axe_violations(page) -> list[str]:
    """axe-core's violations on the page as it stands, one readable line each."""
    from axe_playwright_python.sync_playwright import Axe

    return [
        f"{v['id']}: {v['help']} ({len(v['nodes'])} nodes: {v['nodes'][0]['target']})"
        for v in Axe().run(page).response["violations"]
    ]
