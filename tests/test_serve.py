"""digest serve with real clients: raw sockets for the requests a library would tidy up,
http.client for the rest, Chromium for live reload and the problem overlay, and the CLI
as a subprocess for --port 0, Ctrl-C and the --host warning.

Every server here is stopped by the test that started it (and its threads checked
dead); waits poll with generous deadlines and never assert on speed."""

from __future__ import annotations

import concurrent.futures
import contextlib
import http.client
import io
import json
import os
import queue
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from conftest import BASIC, ROOT

from digest import serve
from digest.safepath import site_path

ITEM = "2023-04/miit-notifies-apps.md"
ITEM_URL = "entries/miit-notifies-apps/"
TITLE = "MIIT Notifies 55 Apps That Illegally Collect Personal Information"
DEADLINE = 30.0  # seconds: generous, for a loaded CI machine


@pytest.fixture
def entries(tmp_path: Path) -> Path:
    """A copy of the basic site's entries that a test may edit."""
    copy = tmp_path / "entries"
    shutil.copytree(BASIC, copy)
    return copy


@contextlib.contextmanager
def running(entries: Path) -> Iterator[serve.Server]:
    """An in-process server on a free port; stopped, and checked stopped, on exit."""
    server = serve.start(serve.Settings(entries, port=0, prefix="entries/"), io.StringIO())
    try:
        yield server
    finally:
        server.stop()
        assert [t.name for t in server.threads() if t.is_alive()] == []
        assert not server.root.exists()  # the private output folder is gone


@pytest.fixture
def server(entries: Path) -> Iterator[serve.Server]:
    with running(entries) as started:
        yield started


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new), encoding="utf-8")


def raw_get(port: int, target: str) -> tuple[int, bytes]:
    """Send `GET target` exactly as written (no client-side normalising); status, body."""
    with socket.create_connection(("127.0.0.1", port), timeout=DEADLINE) as sock:
        sock.sendall(
            b"GET " + target.encode("latin-1") + b" HTTP/1.1\r\n"
            b"Host: 127.0.0.1\r\nConnection: close\r\n\r\n"
        )
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    return int(head.split(b" ", 2)[1]), body


def get(port: int, path: str) -> tuple[int, dict[str, str], bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=DEADLINE)
    try:
        conn.request("GET", path)
        response = conn.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        conn.close()


def status(server: serve.Server) -> dict:
    code, _, body = get(server.port, serve.STATUS)
    assert code == 200
    return json.loads(body)


def wait_for(condition: Callable[[], object], what: str) -> object:
    """Poll until `condition()` is true (its value is returned) or the deadline."""
    end = time.monotonic() + DEADLINE
    while time.monotonic() < end:
        value = condition()
        if value:
            return value
        time.sleep(0.05)
    pytest.fail(f"gave up waiting for {what} after {DEADLINE:.0f} s")


# Reading request paths


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        ("/", "index.html"),
        ("/entries/x/", "entries/x/index.html"),
        ("/static/style.css?v=1", "static/style.css"),
        ("/feed.xml#top", "feed.xml"),
        ("/tags/caf%C3%A9/", "tags/café/index.html"),
        ("/../etc/passwd", None),
        ("/entries/../index.html", None),
        ("/%2e%2e/etc/passwd", None),
        ("/%2E%2E/%2E%2E/etc/passwd", None),
        ("/.%2e/etc/passwd", None),
        ("/./index.html", None),
        ("/static%2fstyle.css", None),
        ("/..%2F..%2Fetc%2Fpasswd", None),
        ("/..%5c..%5cetc%5cpasswd", None),
        ("/..\\..\\etc\\passwd", None),
        ("//etc/passwd", None),
        ("etc/passwd", None),
        ("http://127.0.0.1/etc/passwd", None),
        ("/index.html%00.css", None),
        ("/index.html\x00", None),
        ("/%ff%fe", None),
        ("/a%0d%0aSet-Cookie:x", None),
    ],
)
def test_site_path_refuses_what_could_leave_the_folder(target: str, expected: str | None) -> None:
    assert site_path(target) == expected


# The server over HTTP


TRAVERSALS = [
    "/../etc/passwd",
    "/../../../../../../etc/passwd",
    "/static/../../etc/passwd",
    "/%2e%2e/etc/passwd",
    "/%2e%2e/%2e%2e/%2e%2e/etc/passwd",
    "/%2E%2E%2F%2E%2E%2Fetc%2Fpasswd",
    "/static/..%2f..%2fetc%2fpasswd",
    "/..%5c..%5cetc%5cpasswd",
    "/..\\..\\etc\\passwd",
    "//etc/passwd",
    "/etc/passwd",
    "http://127.0.0.1/../etc/passwd",
    "/entries/../index.html",
    "/index.html%00.txt",
    "/leak.txt",
    "/outside/passwd",
    "/static/outside/passwd",
]


def test_requests_outside_the_output_get_404(server: serve.Server, tmp_path: Path) -> None:
    secret = tmp_path / "secret"
    secret.mkdir()
    (secret / "passwd").write_text("root:x:0:0:SECRET\n", encoding="utf-8")
    # Symbolic links inside the output that point outside it.
    (server.root / "leak.txt").symlink_to(secret / "passwd")
    (server.root / "outside").symlink_to(secret)
    (server.root / "static" / "outside").symlink_to(secret, target_is_directory=True)

    # The same raw client does reach what is inside.
    code, body = raw_get(server.port, "/static/style.css")
    assert code == 200
    assert body == (server.root / "static" / "style.css").read_bytes()
    for target in TRAVERSALS:
        code, body = raw_get(server.port, target)
        assert code == 404, target
        assert b"root:" not in body and b"SECRET" not in body, target


def test_html_gets_the_reload_script_and_the_files_do_not(server: serve.Server) -> None:
    code, headers, body = get(server.port, "/" + ITEM_URL)
    assert code == 200
    assert headers["Content-Type"] == "text/html; charset=utf-8"
    build = status(server)["build"]
    tag = f'<script src="/__digest__/reload.js" data-build="{build}" defer></script>'
    assert tag.encode() in body
    assert body.index(tag.encode()) < body.index(b"</head>")
    on_disk = [p for p in server.root.rglob("*") if p.is_file()]
    assert on_disk and all(b"__digest__" not in p.read_bytes() for p in on_disk)

    code, headers, body = get(server.port, "/static/style.css")
    assert (code, headers["Content-Type"]) == (200, "text/css; charset=utf-8")
    assert b"__digest__" not in body
    code, headers, script = get(server.port, serve.SCRIPT)
    assert (code, headers["Content-Type"]) == (200, "text/javascript; charset=utf-8")
    assert b"EventSource" in script
    code, _, body = get(server.port, "/entries/no-such-item/")
    assert code == 404
    assert b"Page not found" in body and b"reload.js" in body  # the site's own 404 page
    code, headers, _ = get(server.port, "/entries")
    assert (code, headers["Location"]) == (301, "/entries/")


def test_200_concurrent_requests_are_all_answered(server: serve.Server) -> None:
    build = status(server)["build"]
    expected = {}
    for path in sorted(server.root.rglob("*")):
        if path.is_file():
            data = path.read_bytes()
            rel = path.relative_to(server.root).as_posix()
            expected["/" + rel] = serve.inject(data, build) if rel.endswith(".html") else data
    targets = [sorted(expected)[i % len(expected)] for i in range(200)]

    def fetch(target: str) -> tuple[str, int, bytes]:
        code, _, body = get(server.port, target)
        return target, code, body

    with concurrent.futures.ThreadPoolExecutor(max_workers=50) as pool:
        futures = [pool.submit(fetch, t) for t in targets]
        done, pending = concurrent.futures.wait(futures, timeout=DEADLINE)
        for future in pending:
            future.cancel()
    assert len(pending) == 0
    answers = [f.result() for f in done]
    assert len(answers) == 200
    wrong = [t for t, code, body in answers if code != 200 or body != expected[t]]
    assert wrong == []


def test_a_save_rebuilds_and_is_announced_on_the_event_stream(
    server: serve.Server, entries: Path
) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=DEADLINE)
    try:
        conn.request("GET", serve.EVENTS)
        stream = conn.getresponse()
        assert stream.getheader("Content-Type") == "text/event-stream"
        first = read_event(stream)
        assert first == {"build": 1, "problems": [], "summary": ""}

        edit(entries / ITEM, TITLE, "A New Title")
        assert read_event(stream) == {"build": 2, "problems": [], "summary": ""}
        _, _, page = get(server.port, "/" + ITEM_URL)
        assert b"<h1>A New Title</h1>" in page

        edit(entries / ITEM, "agencies: [MIIT, CAC]", "agencies: [MIIT, NOPE]")
        broken = read_event(stream)
        assert broken == {
            "build": 2,
            "problems": [
                "entries/2023-04/miit-notifies-apps.md:5: agencies: unknown agency 'NOPE'"
            ],
            "summary": "1 problem in 1 file",
        }
        _, _, page = get(server.port, "/" + ITEM_URL)
        assert b"<h1>A New Title</h1>" in page  # the last good build is still served
    finally:
        conn.close()


def read_event(stream: http.client.HTTPResponse) -> dict:
    """The data of the next `status` event (comments skipped)."""
    data = None
    while True:
        line = stream.readline()
        assert line, "the event stream ended"
        line = line.rstrip(b"\n")
        if line.startswith(b"data: "):
            data = json.loads(line[6:])
        elif line == b"" and data is not None:
            return data


def test_a_first_build_with_problems_waits_for_the_fix(entries: Path) -> None:
    edit(entries / ITEM, "date: 2023-04", "date: 2023-13")
    with running(entries) as server:
        now = status(server)
        assert now["build"] == 0
        assert len(now["problems"]) == 1 and now["problems"][0].startswith(
            f"entries/{ITEM}:3: date:"
        )
        code, _, body = get(server.port, "/")
        assert code == 503 and b"reload.js" in body and b"Nothing built yet" in body
        edit(entries / ITEM, "date: 2023-13", "date: 2023-04")
        wait_for(lambda: status(server)["build"] == 1, "the fixed build")
        assert status(server)["problems"] == []
        assert get(server.port, "/")[0] == 200


def test_a_broken_template_is_shown_and_the_last_build_kept(entries: Path) -> None:
    """A site's own template with a syntax error: Jinja raises, serve keeps going."""
    own = entries.parent / "templates"
    own.mkdir()
    (own / "entry.html").write_text(
        (ROOT / "templates" / "entry.html").read_text(encoding="utf-8"), encoding="utf-8"
    )
    with running(entries) as server:
        edit(own / "entry.html", "{% endblock %}", "{% endblok %}")
        problems = wait_for(lambda: status(server)["problems"], "the failed build")
        assert problems[0].startswith("build failed: TemplateSyntaxError: ")
        assert status(server)["build"] == 1
        assert get(server.port, "/" + ITEM_URL)[0] == 200
        edit(own / "entry.html", "{% endblok %}", "{% endblock %}")
        wait_for(lambda: status(server)["build"] == 2, "the build after the fix")
        assert status(server)["problems"] == []


def test_serve_builds_drafts_with_their_mark(entries: Path) -> None:
    from test_drafts import DRAFT, DRAFT_ID, MARK

    (entries / "2023-04" / f"{DRAFT_ID}.md").write_text(DRAFT, encoding="utf-8")
    with running(entries) as server:
        code, _, body = get(server.port, f"/entries/{DRAFT_ID}/")
        assert code == 200 and MARK.encode() in body
        _, _, body = get(server.port, "/" + ITEM_URL)
        assert b"draft-mark" not in body.replace(b"/static/style.css", b"")


# In Chromium


def test_the_open_page_follows_edits_problems_and_fixes(browser, server, entries) -> None:
    from playwright.sync_api import expect

    context = browser.new_context()
    try:
        page = context.new_page()
        errors: list[str] = []
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(server.url + ITEM_URL)
        heading = page.locator("main h1")
        expect(heading).to_have_text(TITLE)
        # The reload script has its event stream open before the edit.
        page.wait_for_selector("html[data-digest-live]", state="attached", timeout=DEADLINE * 1000)

        edit(entries / ITEM, TITLE, "MIIT Names 60 Apps")
        expect(heading).to_have_text("MIIT Names 60 Apps", timeout=DEADLINE * 1000)

        edit(entries / ITEM, "agencies: [MIIT, CAC]", "agencies: [MIIT, NOPE]")
        overlay = page.locator("#digest-problems")
        expect(overlay.locator("li")).to_have_text(
            ["entries/2023-04/miit-notifies-apps.md:5: agencies: unknown agency 'NOPE'"],
            timeout=DEADLINE * 1000,
        )
        expect(overlay.locator("h2")).to_have_text(
            "1 problem in 1 file: showing the last good build"
        )
        expect(overlay).to_be_visible()
        expect(heading).to_have_text("MIIT Names 60 Apps")

        edit(entries / ITEM, "agencies: [MIIT, NOPE]", "agencies: [MIIT]")
        edit(entries / ITEM, "MIIT Names 60 Apps", "MIIT Names 61 Apps")
        expect(heading).to_have_text("MIIT Names 61 Apps", timeout=DEADLINE * 1000)
        expect(overlay).to_have_count(0)
        assert errors == []
    finally:
        context.close()


# The command line


def start_cli(entries: Path, *args: str) -> tuple[subprocess.Popen, queue.Queue, threading.Thread]:
    """`digest serve` as a subprocess; its stdout lines arrive in a queue."""
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    process = subprocess.Popen(
        [sys.executable, "-m", "digest", "serve", "--entries", str(entries), *args],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    lines: queue.Queue = queue.Queue()

    def pump() -> None:
        for line in process.stdout:
            lines.put(line)
        lines.put(None)

    reader = threading.Thread(target=pump, daemon=True)
    reader.start()
    return process, lines, reader


def run_cli(entries: Path, *args: str) -> subprocess.CompletedProcess:
    """`digest serve` run to its end (for the cases that never start serving)."""
    command = [sys.executable, "-m", "digest", "serve", "--entries", str(entries), *args]
    return subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=DEADLINE)


def test_ctrl_c_stops_the_server_cleanly(entries: Path) -> None:
    process, lines, reader = start_cli(entries, "--port", "0")
    try:
        url = None
        while url is None:
            line = lines.get(timeout=DEADLINE)
            assert line is not None, process.stderr.read()
            found = re.match(r"serving (http://127\.0\.0\.1:(\d+)/) ", line)
            url = found and found[1]
        port = int(found[2])
        assert get(port, "/")[0] == 200
        # An open event stream must not keep the server from stopping.
        stream = socket.create_connection(("127.0.0.1", port), timeout=DEADLINE)
        stream.sendall(b"GET /__digest__/events HTTP/1.1\r\nHost: x\r\n\r\n")
        assert stream.recv(100).startswith(b"HTTP/1.0 200")

        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=DEADLINE) == 0
        stream.close()
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        reader.join(DEADLINE)
    stderr = process.stderr.read()
    process.stderr.close()
    process.stdout.close()
    assert "Traceback" not in stderr
    rest = []
    while (line := lines.get(timeout=DEADLINE)) is not None:
        rest.append(line)
    assert rest[-1] == "stopped\n"
    with pytest.raises(OSError):  # nothing listens there any more
        socket.create_connection(("127.0.0.1", port), timeout=DEADLINE).close()


@pytest.mark.parametrize("host", ["127.0.0.1", "127.0.0.2", "::1", "localhost", "[::1]"])
def test_loopback_hosts_need_no_warning(host: str) -> None:
    assert serve.exposure_warning(host) is None


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "192.168.1.20", "example.org", ""])
def test_other_hosts_are_warned_about(host: str) -> None:
    warning = serve.exposure_warning(host)
    assert warning is not None and "drafts included" in warning


def test_the_cli_warns_before_listening_on_another_host(entries: Path) -> None:
    # 192.0.2.1 (TEST-NET-1) is no address of this machine: the warning is printed, then
    # the bind fails, so nothing ever listens beyond loopback.
    result = run_cli(entries, "--host", "192.0.2.1", "--port", "0")
    assert result.returncode == 2
    first, second = result.stderr.splitlines()[:2]
    assert first.startswith("digest serve: warning: listening on 192.0.2.1, not 127.0.0.1")
    assert second.startswith("digest serve: error: cannot listen on 192.0.2.1:0")
    assert "Traceback" not in result.stderr


def test_a_port_in_use_is_a_usage_error(entries: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = run_cli(entries, "--port", str(port))
    assert result.returncode == 2
    assert f"cannot listen on 127.0.0.1:{port}" in result.stderr
    assert result.stdout == "" and "Traceback" not in result.stderr
