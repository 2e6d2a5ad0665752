"""`digest serve`: a preview that follows the editor's saves.

It builds the entries with drafts into a private folder (a temporary directory, never
`site/`), serves that folder on 127.0.0.1, watches the entries, templates and static
folders with watchfiles, rebuilds on every change and tells the open pages through
server-sent events: a good build reloads them, a build with problems draws the problem
lines over them (the same lines `digest check` prints, also printed in the terminal)
while the last good build stays served.

Threads, all started and ended by `start` / `Server.stop`:

- the HTTP server (the standard library's ThreadingHTTPServer), one thread per request;
- the watcher, which also runs every rebuild, so builds never overlap;
- the caller's, which only waits (`Server.wait`) until Ctrl-C.

The one thing they share is `Board`: the latest `Status`, behind a condition.
"""

from __future__ import annotations

import contextlib
import ipaddress
import json
import os
import shutil
import socket
import sys
import tempfile
import threading
import time
import traceback
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import TextIO

import watchfiles

from .build import Options, build
from .problems import format_problems
from .safepath import locate, site_path
from .theme import find_theme

PREFIX = "/__digest__/"
EVENTS = PREFIX + "events"
STATUS = PREFIX + "status"
SCRIPT = PREFIX + "reload.js"
_SCRIPT_FILE = Path(__file__).resolve().parent / "reload.js"
KEEPALIVE_SECONDS = 15.0  # an event-stream comment this often finds clients that left
REQUEST_TIMEOUT = 30.0  # a client that sends nothing for this long is dropped
STOP_TIMEOUT = 10.0  # how long stop() waits for each thread

_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".json": "application/json",
    ".xml": "application/xml",
    ".txt": "text/plain; charset=utf-8",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".gif": "image/gif",
    ".webp": "image/webp",
    ".ico": "image/x-icon",
    ".woff2": "font/woff2",
    ".pdf": "application/pdf",
}

_WAITING = b"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'self'; script-src 'self'">
<title>digest serve: nothing built yet</title>
</head>
<body>
<h1>Nothing built yet</h1>
<p>The entries have problems (listed in the terminal and below). Fix them and save: this page reloads by itself.</p>
</body>
</html>
"""


@dataclass(frozen=True, slots=True)
class Settings:
    """What to serve and where."""

    entries: Path
    host: str = "127.0.0.1"
    port: int = 8000  # 0: any free port
    prefix: str = ""  # put before problem paths, as `digest check` does


@dataclass(frozen=True, slots=True)
class Status:
    """Where the preview stands: the number of the last good build (0: none yet) and
    the problems of the latest build (none when it was good)."""

    build: int = 0
    problems: tuple[str, ...] = ()
    summary: str = ""

    def json(self) -> bytes:
        data = {"build": self.build, "problems": list(self.problems), "summary": self.summary}
        return json.dumps(data, ensure_ascii=False).encode()


class Board:
    """The latest Status, published by the builder, awaited by the event streams."""

    def __init__(self) -> None:
        self._changed = threading.Condition()
        self._status = Status()
        self._closed = False

    def status(self) -> Status:
        with self._changed:
            return self._status

    def publish(self, status: Status) -> None:
        with self._changed:
            self._status = status
            self._changed.notify_all()

    def close(self) -> None:
        """Wake every waiter for good: the server is stopping."""
        with self._changed:
            self._closed = True
            self._changed.notify_all()

    def wait(self, seen: Status, timeout: float) -> Status | None:
        """A status other than `seen` (or `seen` again after `timeout`); None once closed."""
        with self._changed:
            self._changed.wait_for(lambda: self._closed or self._status is not seen, timeout)
            return None if self._closed else self._status


def is_loopback(host: str) -> bool:
    """True when `host` is reachable from this machine only."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False  # a host name: it may resolve to anything


def exposure_warning(host: str) -> str | None:
    """The warning to print when the server would be reachable from other machines."""
    if is_loopback(host):
        return None
    return (
        f"listening on {host}, not 127.0.0.1: other machines on the network can read "
        "this preview, drafts included; use it on a trusted network only"
    )


def inject(page: bytes, build: int) -> bytes:
    """An HTML page with the reload script added before </head> (or at the end)."""
    tag = f'<script src="{SCRIPT}" data-build="{build}" defer></script>\n'.encode()
    at = page.lower().find(b"</head>")
    return page + tag if at < 0 else page[:at] + tag + page[at:]


def content_type(path: str) -> str:
    """The Content-Type of an output file, by its suffix."""
    return _TYPES.get(os.path.splitext(path)[1].lower(), "application/octet-stream")


class _HTTPServer(ThreadingHTTPServer):
    """ThreadingHTTPServer that knows its open connections, so that stop() can close
    them (a browser's idle preconnect would otherwise hold its thread) and join their
    threads."""

    daemon_threads = True  # a stuck client never keeps the process alive
    block_on_close = False  # stop() joins the threads itself, with a timeout
    request_queue_size = 128  # a burst of connections waits instead of being refused

    def __init__(self, address: tuple[str, int], root: Path, board: Board) -> None:
        self.address_family = socket.AF_INET6 if ":" in address[0] else socket.AF_INET
        self.root = root
        self.board = board
        self.script = _SCRIPT_FILE.read_bytes()
        self._open: dict[socket.socket, threading.Thread] = {}
        self._open_lock = threading.Lock()
        super().__init__(address, _Handler)

    def process_request(self, request, client_address) -> None:
        thread = threading.Thread(
            target=self.process_request_thread,
            args=(request, client_address),
            name="digest-serve-request",
            daemon=True,
        )
        with self._open_lock:
            self._open[request] = thread
        thread.start()

    def process_request_thread(self, request, client_address) -> None:
        try:
            super().process_request_thread(request, client_address)
        finally:
            with self._open_lock:
                self._open.pop(request, None)

    def close_connections(self, timeout: float) -> list[threading.Thread]:
        """Shut every open connection and join its thread; the threads still alive."""
        with self._open_lock:
            open_now = list(self._open.items())
        for sock, _ in open_now:
            with contextlib.suppress(OSError):  # already closed by its thread
                sock.shutdown(socket.SHUT_RDWR)
        for _, thread in open_now:
            thread.join(timeout)
        return [thread for _, thread in open_now if thread.is_alive()]


class _Handler(BaseHTTPRequestHandler):
    """GET and HEAD of the output's files, the reload script, the status and the event
    stream. Anything outside the output folder is a 404."""

    server: _HTTPServer
    server_version = "digest-serve"
    timeout = REQUEST_TIMEOUT

    def version_string(self) -> str:
        return self.server_version

    def do_GET(self) -> None:
        self._respond(body=True)

    def do_HEAD(self) -> None:
        self._respond(body=False)

    def log_message(self, format: str, *args: object) -> None:
        pass  # the terminal is for builds and problems, not for every request

    def _respond(self, body: bool) -> None:
        target = self.path.split("?", 1)[0]
        if target == EVENTS and body:
            self._events()
        elif target == STATUS:
            self._send(200, "application/json", self.server.board.status().json(), body)
        elif target == SCRIPT:
            self._send(200, content_type(SCRIPT), self.server.script, body)
        elif target.startswith(PREFIX):
            self._not_found(body)
        else:
            self._file(body)

    def _file(self, body: bool) -> None:
        # The build number is read before the file: the page is at least that new, so
        # the script never misses a build (at worst it reloads once too often).
        build = self.server.board.status().build
        rel = site_path(self.path)
        path = None if rel is None else locate(self.server.root, rel)
        if path is not None and path.is_dir() and not self.path.split("?", 1)[0].endswith("/"):
            self.send_response(301)
            self.send_header("Location", self.path.split("?", 1)[0] + "/")
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        try:
            data = path.read_bytes() if path is not None and path.is_file() else None
        except OSError:  # swapped out by a rebuild between the two calls
            data = None
        if data is None:
            self._not_found(body)
            return
        kind = content_type(path.name)
        if kind.startswith("text/html"):
            data = inject(data, build)
        self._send(200, kind, data, body)

    def _not_found(self, body: bool) -> None:
        build = self.server.board.status().build
        if build == 0:
            self._send(503, content_type(".html"), inject(_WAITING, 0), body)
            return
        page = locate(self.server.root, "404.html")
        try:
            data = inject(page.read_bytes(), build) if page is not None else None
        except OSError:
            data = None
        if data is None:
            self._send(404, content_type(".txt"), b"Not found\n", body)
        else:
            self._send(404, content_type(".html"), data, body)

    def _send(self, code: int, kind: str, data: bytes, body: bool) -> None:
        self.send_response(code)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Cache-Control", "no-store")
        self.send_header("X-Content-Type-Options", "nosniff")
        self.end_headers()
        if body:
            self.wfile.write(data)

    def _events(self) -> None:
        """The status now and after every build, until the client or the server leaves."""
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        board = self.server.board
        status: Status | None = board.status()
        try:
            self._event(status)
            while True:
                now = board.wait(status, KEEPALIVE_SECONDS)
                if now is None:
                    return
                if now is status:
                    self.wfile.write(b": still here\n\n")
                    self.wfile.flush()
                else:
                    status = now
                    self._event(status)
        except OSError:
            return  # the page was closed or reloaded

    def _event(self, status: Status) -> None:
        self.wfile.write(b"event: status\ndata: " + status.json() + b"\n\n")
        self.wfile.flush()


class Server:
    """A running `digest serve`: its URL, and stop()."""

    def __init__(self, settings: Settings, out: TextIO) -> None:
        self.settings = settings
        self._out = out
        self._print_lock = threading.Lock()
        self._folder = Path(tempfile.mkdtemp(prefix="digest-serve-"))
        self.root = self._folder / "site"
        self._cache = self._folder / "cache"
        self.board = Board()
        self._stop_watching = threading.Event()
        self._stopped = threading.Event()
        self._http: _HTTPServer | None = None
        self._threads: list[threading.Thread] = []
        self.url = ""
        self.port = 0

    # Starting: listen (the port is known), watch, build once, then serve.

    def _start(self) -> None:
        host = self.settings.host.strip("[]")  # [::1], as in a URL, binds as ::1
        try:
            self._http = _HTTPServer((host, self.settings.port), self.root, self.board)
        except OSError as err:
            raise ListenError(
                f"cannot listen on {host}:{self.settings.port}: {err.strerror}"
            ) from err
        self.port = self._http.server_address[1]
        self.url = f"http://{_url_host(host)}:{self.port}/"

        ready = threading.Event()
        watcher = threading.Thread(
            target=self._watch, args=(ready,), name="digest-serve-watcher", daemon=True
        )
        self._threads.append(watcher)
        watcher.start()
        # Wait until the watcher has its folders, so that no save after start() is missed.
        while not ready.wait(0.1):
            if not watcher.is_alive():
                raise RuntimeError("the file watcher stopped before it started")
        self._rebuild(())
        http = threading.Thread(
            target=self._http.serve_forever,
            kwargs={"poll_interval": 0.2},
            name="digest-serve-http",
            daemon=True,
        )
        self._threads.append(http)
        http.start()

    def watched(self) -> tuple[Path, ...]:
        """The folders whose changes trigger a rebuild: the entries, then the site's own
        and the project's templates and static files."""
        theme = find_theme(self.settings.entries)
        folders = (self.settings.entries, *theme.templates, *theme.static)
        return tuple(dict.fromkeys(Path(os.path.realpath(f)) for f in folders if f.is_dir()))

    def _watch(self, ready: threading.Event) -> None:
        try:
            changes_seen = watchfiles.watch(
                *self.watched(),
                stop_event=self._stop_watching,
                rust_timeout=200,  # wake up this often when idle: how `ready` is known
                yield_on_timeout=True,
                raise_interrupt=False,
            )
            for changes in changes_seen:
                ready.set()
                if changes and not self._stop_watching.is_set():
                    self._rebuild(tuple(sorted(path for _, path in changes)))
        except Exception:
            self._say(traceback.format_exc(), err=True)
            self._say("digest serve: the file watcher stopped; restart digest serve", err=True)

    def _rebuild(self, changed: tuple[str, ...]) -> None:
        if changed:
            names = ", ".join(_short(p) for p in changed[:3])
            more = f" and {len(changed) - 3} more" if len(changed) > 3 else ""
            self._say(f"changed: {names}{more}")
        self.board.publish(self._build(self.board.status()))

    def _build(self, before: Status) -> Status:
        """Build once; the new Status (the same build number when it failed)."""
        start = time.perf_counter()
        options = Options(drafts=True, base_url=self.url, cache_dir=self._cache)
        try:
            built, problems = build(self.settings.entries, self.root, options)
        except Exception as err:
            # A bug, or a broken template (Jinja raises): keep its traceback in the
            # terminal, show one line in the browser, keep serving the last good build.
            self._say(traceback.format_exc(), err=True)
            line = f"build failed: {type(err).__name__}: {err}"
            return Status(before.build, (line,), "the build failed")
        if problems:
            text = format_problems(problems, "text", prefix=self.settings.prefix)
            lines = text.splitlines()
            self._say(text + "serving the last good build")
            return Status(before.build, tuple(lines[:-1]), lines[-1])
        seconds = time.perf_counter() - start
        self._say(
            f"built {_count(built.items, 'item')} (drafts included), "
            f"{_count(built.pages, 'page')} in {seconds:.2f} s"
        )
        return Status(before.build + 1)

    def _say(self, text: str, err: bool = False) -> None:
        stream = sys.stderr if err else self._out
        with self._print_lock:
            stream.write(text if text.endswith("\n") else text + "\n")
            stream.flush()

    # Running and stopping.

    def wait(self) -> None:
        """Block until stop() (Ctrl-C raises KeyboardInterrupt here, in the main thread)."""
        while not self._stopped.wait(0.5):
            pass

    def threads(self) -> tuple[threading.Thread, ...]:
        """The server's own threads (for tests: none alive after stop())."""
        return tuple(self._threads)

    def stop(self) -> None:
        """Stop serving and watching, end every thread, delete the private folder. Safe
        to call twice."""
        if self._stopped.is_set():
            return
        self._stop_watching.set()
        self.board.close()
        if self._http is not None:
            if any(t.name == "digest-serve-http" for t in self._threads):
                self._http.shutdown()
            self._http.close_connections(STOP_TIMEOUT)
            self._http.server_close()
        for thread in self._threads:
            thread.join(STOP_TIMEOUT)
        shutil.rmtree(self._folder, ignore_errors=True)
        self._stopped.set()

    def __enter__(self) -> Server:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


class ListenError(Exception):
    """The address could not be bound (in use, not this machine's, ...)."""


def start(settings: Settings, out: TextIO = sys.stdout) -> Server:
    """Build, serve and watch; returns once the first build is served. The caller
    must stop() it (or use it as a context manager)."""
    server = Server(settings, out)
    try:
        server._start()
    except BaseException:
        server.stop()
        raise
    server._say(f"serving {server.url} (drafts included; Ctrl-C stops)")
    return server


def _url_host(host: str) -> str:
    """The host part of the URL to open: a wildcard address means this machine."""
    if host in ("", "0.0.0.0"):
        return "127.0.0.1"
    if host == "::":
        return "[::1]"
    return f"[{host}]" if ":" in host else host


def _short(path: str) -> str:
    try:
        return Path(path).relative_to(Path.cwd()).as_posix()
    except ValueError:
        return Path(path).as_posix()


def _count(n: int, noun: str) -> str:
    return f"{n:,} {noun}{'' if n == 1 else 's'}"
