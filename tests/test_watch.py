"""`noteflow watch`: the real command, seen from a real browser and from plain sockets.

Each test starts the real command, edits the document on disk as an editor would, and
checks what the reader sees: in headless Chromium driven by Playwright (tests marked
`browser`; in CI the browser is required, `NOTEFLOW_REQUIRE_BROWSER`, elsewhere they skip
without it), or over plain HTTP, counting the process's file descriptors and threads in
/proc to check that connections and saves release what they take.
"""

from __future__ import annotations

import http.client
import json
import os
import re
import select
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from noteflow.cli import main
from noteflow.live import HEARTBEAT_SECONDS, IDLE_TIMEOUT_SECONDS

pytestmark = pytest.mark.kernel
needs_proc = pytest.mark.skipif(
    not Path("/proc/self/fd").is_dir(), reason="counts descriptors in /proc (Linux)"
)

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

DOC = (
    """\
---
title: Live test
---

Intro paragraph.

```{python}
#| label: a
open("../runs.log", "a").write("a\\n")
x = 41
```

```{python}
#| label: b
open("../runs.log", "a").write("b\\n")
print("value", x + 1)
```

```{python}
#| label: c
open("../runs.log", "a").write("c\\n")
print("independent")
```

"""
    + "\n\n".join(f"Filler paragraph {i} to make the page scroll." for i in range(80))
    + "\n"
)


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        if os.environ.get("NOTEFLOW_REQUIRE_BROWSER"):
            pytest.fail(f"{CHROMIUM} is required here but not installed")
        pytest.skip("chromium is not installed")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


class Watch:
    """A running `noteflow watch` process."""

    def __init__(self, doc: Path, port: int = 0, host: str | None = None) -> None:
        self.doc = doc
        command = [sys.executable, "-m", "noteflow", "watch", str(doc), "--port", str(port)]
        if host:  # else the default: loopback
            command += ["--host", host]
        self.process = subprocess.Popen(
            [*command, "-j", "1"],
            stderr=subprocess.PIPE,
            text=True,
            cwd=doc.parent,
        )
        assert self.process.stderr is not None
        self.lines: list[str] = []
        for line in self.process.stderr:
            self.lines.append(line)
            match = re.search(r"at (http://\S+/) ", line)
            if match:
                self.url = match.group(1)
                break
        else:
            raise AssertionError("".join(self.lines))
        self.port = int(self.url.rsplit(":", 1)[1].strip("/"))
        self._reader: threading.Thread | None = None

    def follow(self) -> None:
        """Keep reading stderr in the background (a long test must not fill the pipe)."""
        assert self.process.stderr is not None
        stream = self.process.stderr
        self._reader = threading.Thread(target=lambda: self.lines.extend(stream), daemon=True)
        self._reader.start()

    def stop(self) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
        code = self.process.wait(timeout=30)
        assert self.process.stderr is not None
        if self._reader is not None:
            self._reader.join(timeout=10)
        else:
            self.lines.append(self.process.stderr.read())
        return code


@pytest.fixture
def watch(tmp_path: Path) -> Iterator[Watch]:
    # Blocks log their runs beside the project, not in it: a file they write inside it may
    # count as read (file tracking), and then every save would re-run them.
    doc = tmp_path / "project" / "doc.md"
    doc.parent.mkdir()
    doc.write_text(DOC)
    running = Watch(doc)
    yield running
    running.stop()


def runs(doc: Path) -> list[str]:
    log = doc.parent.parent / "runs.log"
    return log.read_text().split() if log.exists() else []


def edit(doc: Path, old: str, new: str) -> None:
    text = doc.read_text()
    assert old in text, old
    doc.write_text(text.replace(old, new, 1))


def open_page(browser, watch: Watch):
    page = browser.new_page()
    page.goto(watch.url)
    page.wait_for_function("() => window.__nfLive && window.__nfLive.messages > 0")
    page.wait_for_selector("#b .nf-output")
    return page


def block_text(page, block_id: str) -> str:
    return page.inner_text(f"#{block_id}")


@pytest.mark.browser
def test_edit_patches_the_page_in_place(browser, watch: Watch) -> None:
    page = open_page(browser, watch)
    assert "value 42" in block_text(page, "b")
    assert runs(watch.doc) == ["a", "b", "c"]
    page.evaluate("() => { window.__marker = 'kept'; window.scrollTo(0, 600); }")
    page.wait_for_function("() => window.scrollY >= 590")
    scrolled = page.evaluate("() => window.scrollY")
    untouched = page.evaluate(
        "() => { const s = document.querySelector('#c'); s.__same = true; return 1; }"
    )
    edit(watch.doc, 'print("value", x + 1)', 'print("value", x + 2)')
    page.wait_for_function(
        "() => document.querySelector('#b .nf-outputs')?.innerText.includes('value 43')"
    )
    assert page.evaluate("() => window.__marker") == "kept"  # patched, not reloaded
    assert page.evaluate("() => window.scrollY") == scrolled
    assert page.evaluate("() => document.querySelector('#c').__same === true") == untouched
    assert runs(watch.doc) == ["a", "b", "c", "b"]  # only the edited block ran again


@pytest.mark.browser
def test_prose_edit_runs_nothing(browser, watch: Watch) -> None:
    page = open_page(browser, watch)
    page.evaluate("() => { window.__marker = 1; }")
    edit(watch.doc, "Intro paragraph.", "Intro paragraph, *edited*.")
    page.wait_for_function(
        "() => document.querySelector('.nf-main').innerHTML.includes('<em>edited</em>')"
    )
    assert page.evaluate("() => window.__marker") == 1
    assert runs(watch.doc) == ["a", "b", "c"]


@pytest.mark.browser
def test_error_shows_inline_and_a_parse_error_shows_an_overlay(browser, watch: Watch) -> None:
    page = open_page(browser, watch)
    edit(watch.doc, 'print("value", x + 1)', 'raise ValueError("bad value")')
    page.wait_for_selector("#b.nf-status-failed")
    assert "ValueError: bad value" in page.inner_text("#b .nf-outputs")
    assert "independent" in block_text(page, "c")
    edit(watch.doc, "title: Live test", "title: [unclosed")
    page.wait_for_selector("#nf-overlay:not([hidden])")
    overlay = page.inner_text("#nf-overlay")
    assert "bad YAML in front matter" in overlay and "doc.md:2" in overlay
    assert "independent" in block_text(page, "c")  # the last good page stays underneath
    edit(watch.doc, "title: [unclosed", "title: Fixed")
    page.wait_for_selector("#nf-overlay", state="hidden")
    page.wait_for_function("() => document.querySelector('.nf-header').innerText.includes('Fixed')")


@pytest.mark.browser
def test_running_block_shows_that_it_runs(browser, watch: Watch) -> None:
    page = open_page(browser, watch)
    edit(watch.doc, 'print("independent")', 'import time\ntime.sleep(2)\nprint("slept")')
    page.wait_for_selector("#c.nf-running", timeout=10000)
    page.wait_for_function(
        "() => document.querySelector('#c .nf-outputs')?.innerText.includes('slept')", timeout=20000
    )
    assert "nf-running" not in page.get_attribute("#c", "class")


@pytest.mark.browser
def test_newer_save_supersedes_a_running_one(browser, watch: Watch) -> None:
    page = open_page(browser, watch)
    page.evaluate(
        """() => { window.__seen = [];
        new MutationObserver(() => { const t = document.querySelector('#c .nf-outputs')?.innerText || '';
          const m = t.match(/version (\\d+)/); if (m) window.__seen.push(Number(m[1])); })
        .observe(document.querySelector('.nf-main'), {subtree: true, childList: true, characterData: true}); }"""
    )
    edit(watch.doc, 'print("independent")', 'import time\ntime.sleep(5)\nprint("version 1")')
    page.wait_for_selector("#c.nf-running", timeout=10000)
    started = time.monotonic()
    edit(watch.doc, 'time.sleep(5)\nprint("version 1")', 'print("version 2")')
    page.wait_for_function(
        "() => document.querySelector('#c .nf-outputs')?.innerText.includes('version 2')"
    )
    assert time.monotonic() - started < 4.5  # the 5 s run was interrupted, not waited for
    seen = page.evaluate("() => window.__seen")
    assert 2 in seen and (1 not in seen or seen.index(1) < seen.index(2))
    assert seen[-1] == 2


@pytest.mark.browser
def test_tab_reconnects_after_the_server_restarts(browser, watch: Watch) -> None:
    page = open_page(browser, watch)
    page.evaluate("() => { window.__marker = 'kept'; }")
    assert watch.stop() == 0
    restarted = Watch(watch.doc, port=watch.port)
    try:
        edit(watch.doc, 'print("value", x + 1)', 'print("value", x + 100)')
        page.wait_for_function(
            "() => document.querySelector('#b .nf-outputs')?.innerText.includes('value 141')",
            timeout=20000,
        )
        assert page.evaluate("() => window.__marker") == "kept"
    finally:
        restarted.stop()


def raw_get(port: int, path: str, host: str = "127.0.0.1", method: str = "GET") -> int:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    connection.putrequest(method, path, skip_host=True)
    connection.putheader("Host", f"{host}:{port}")
    connection.endheaders()
    status = connection.getresponse().status
    connection.close()
    return status


def test_serves_nothing_outside_the_page(watch: Watch) -> None:
    secret = watch.doc.parent / "secret.txt"
    secret.write_text("secret")
    (watch.doc.parent / "link.txt").symlink_to("/etc/passwd")
    assert raw_get(watch.port, "/") == 200
    for path in [
        "/../doc.md",
        "/%2e%2e/doc.md",
        "/doc.md",
        "/secret.txt",
        "//etc/passwd",
        "/etc/passwd",
        "/link.txt",
        "/.noteflow/",
        "/%2Fetc%2Fpasswd",
        "/..%2f..%2fetc%2fpasswd",
    ]:
        assert raw_get(watch.port, path) == 404, path
    assert raw_get(watch.port, "/", host="attacker.example") == 403
    for method in ("POST", "PUT", "DELETE"):
        assert raw_get(watch.port, "/", method=method) == 501, method


def test_ctrl_c_stops_server_and_kernels(watch: Watch) -> None:
    deadline = time.monotonic() + 30
    while "updated in" not in "".join(watch.lines) and time.monotonic() < deadline:
        assert watch.process.stderr is not None
        watch.lines.append(watch.process.stderr.readline())
    assert watch.stop() == 0, "".join(watch.lines)
    leftover = subprocess.run(["pgrep", "-f", "noteflow-kernel-"], capture_output=True, text=True)
    for pid in leftover.stdout.split():
        cwd = os.readlink(f"/proc/{pid}/cwd") if os.path.exists(f"/proc/{pid}/cwd") else ""
        assert Path(cwd) != watch.doc.parent, "a kernel outlived the preview"


@pytest.mark.browser
def test_render_after_preview_executes_nothing(browser, watch: Watch, capsys) -> None:
    page = open_page(browser, watch)
    edit(watch.doc, 'print("value", x + 1)', 'print("value", x * 2)')
    page.wait_for_function(
        "() => document.querySelector('#b .nf-outputs')?.innerText.includes('value 82')"
    )
    assert main(["render", str(watch.doc)]) == 0
    assert "3 blocks: 3 cached, 0 executed" in capsys.readouterr().err


def test_warns_when_told_to_listen_everywhere(tmp_path: Path) -> None:
    doc = tmp_path / "doc.md"
    doc.write_text("Just prose.\n")
    running = Watch(doc, host="0.0.0.0")
    try:
        assert "warning: serving on 0.0.0.0" in "".join(running.lines)
    finally:
        assert running.stop() == 0


# -- what connections and saves hold: descriptors and threads of the watch process ---------


def resources(pid: int) -> tuple[int, int]:
    """(open file descriptors, threads) of a process, from /proc."""
    return len(os.listdir(f"/proc/{pid}/fd")), len(os.listdir(f"/proc/{pid}/task"))


def settled(
    pid: int, target: tuple[int, int] | None = None, within: float = 5.0
) -> tuple[int, int]:
    """Descriptors and threads once they hold still for half a second (connections in
    flight finish, the watcher re-subscribes), or as soon as both are at or under `target`."""
    deadline = time.monotonic() + within
    seen = [resources(pid)]
    while time.monotonic() < deadline:
        now = seen[-1]
        if target is not None and now[0] <= target[0] and now[1] <= target[1]:
            break
        if target is None and len(seen) >= 10 and len(set(seen[-10:])) == 1:
            break
        time.sleep(0.05)
        seen.append(resources(pid))
    return seen[-1]


def temp_folders(pid: int) -> set[Path]:
    """noteflow's temp folders owned by the process (their names record its pid)."""
    return set(Path(tempfile.gettempdir()).glob(f"noteflow-*-{pid}-*"))


def threads_reach(pid: int, at_least: int, within: float = 3.0) -> bool:
    deadline = time.monotonic() + within
    while resources(pid)[1] < at_least:
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


def state(port: int) -> dict:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        connection.request("GET", "/state")
        return json.loads(connection.getresponse().read())
    finally:
        connection.close()


def wait_until_shown(port: int, marker: str, timeout: float = 60.0) -> dict:
    """The page's state once `marker` is on it and no block runs."""
    deadline = time.monotonic() + timeout
    while True:
        current = state(port)
        if marker in json.dumps(current.get("segments")) and not current.get("running"):
            return current
        assert time.monotonic() < deadline, f"{marker!r} never shown: {current}"
        time.sleep(0.01)


def raw_connection(port: int, sent: bytes = b"") -> socket.socket:
    connection = socket.create_connection(("127.0.0.1", port), timeout=30)
    if sent:
        connection.sendall(sent)
    return connection


def kept_alive(port: int) -> socket.socket:
    """A connection that made one complete request, read the answer and stays open."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    connection.request("GET", "/state")
    response = connection.getresponse()
    response.read()
    assert response.getheader("Connection") != "close"
    assert connection.sock is not None
    return connection.sock


def event_stream(port: int) -> socket.socket:
    """An open `/events` stream, read up to its first message."""
    stream = raw_connection(
        port, f"GET /events HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n\r\n".encode()
    )
    received = b""
    while b"data: " not in received:
        chunk = stream.recv(65536)
        assert chunk, received
        received += chunk
    return stream


def received(connection: socket.socket) -> bytes:
    """What a readable socket has; b"" once the server closed it."""
    try:
        return connection.recv(65536)
    except ConnectionResetError:
        return b""


@needs_proc
def test_idle_connections_are_closed_and_an_open_stream_is_kept(watch: Watch) -> None:
    assert watch.url.startswith("http://127.0.0.1:")  # loopback unless told otherwise
    wait_until_shown(watch.port, "value 42")
    pid = watch.process.pid
    baseline = settled(pid)
    opened = time.monotonic()
    trickle = raw_connection(watch.port, b"G")  # a request head sent a byte a second
    idle = [
        *(raw_connection(watch.port) for _ in range(3)),  # connect and say nothing
        *(raw_connection(watch.port, b"GET /state HTTP/1.1\r\nHost: x\r\n") for _ in range(2)),
        *(kept_alive(watch.port) for _ in range(2)),
        trickle,
    ]
    stream = event_stream(watch.port)
    assert threads_reach(pid, baseline[1] + len(idle) + 1)  # a server thread each

    closed_after: dict[socket.socket, float] = {}
    from_stream = b""
    next_byte = opened + 1
    while len(closed_after) < len(idle) or b": heartbeat" not in from_stream:
        assert time.monotonic() - opened < IDLE_TIMEOUT_SECONDS + 5, (closed_after, from_stream)
        still_open = [c for c in idle if c not in closed_after]
        readable, _, _ = select.select([*still_open, stream], [], [], 0.1)
        for connection in readable:
            data = received(connection)
            if connection is stream:
                assert data, "the event stream of a tab that is still there was closed"
                from_stream += data
            elif not data:
                closed_after[connection] = time.monotonic() - opened
        if trickle not in closed_after and time.monotonic() >= next_byte:
            next_byte += 1
            try:
                trickle.send(b"E")
            except OSError:
                closed_after[trickle] = time.monotonic() - opened
    assert all(
        IDLE_TIMEOUT_SECONDS - 1 <= after <= IDLE_TIMEOUT_SECONDS + 3
        for after in closed_after.values()
    ), closed_after
    assert time.monotonic() - opened >= HEARTBEAT_SECONDS
    with_stream = settled(pid, target=(baseline[0] + 1, baseline[1] + 1))
    assert with_stream == (baseline[0] + 1, baseline[1] + 1)  # only the stream is left

    stream.close()  # the tab goes: its thread ends long before any timeout
    gone = time.monotonic()
    assert settled(pid, target=baseline, within=IDLE_TIMEOUT_SECONDS) == baseline
    assert time.monotonic() - gone < 2.0
    for connection in idle:
        connection.close()


@needs_proc
@pytest.mark.browser
def test_a_closed_tab_releases_its_threads(browser, watch: Watch) -> None:
    wait_until_shown(watch.port, "value 42")
    pid = watch.process.pid
    baseline = settled(pid)
    context = browser.new_context()
    try:
        page = context.new_page()
        page.goto(watch.url)
        page.wait_for_function("() => window.__nfLive && window.__nfLive.messages > 0")
        assert threads_reach(pid, baseline[1] + 1)
        with_tab = resources(pid)
        page.close()
        # The stream's thread ends at once; the tab's other connections when idle too long.
        closing = settled(pid, target=(with_tab[0] - 1, with_tab[1] - 1))
        assert closing[1] < with_tab[1]
        assert settled(pid, target=baseline, within=IDLE_TIMEOUT_SECONDS + 5) == baseline
    finally:
        context.close()


SOAK_DOC = """\
---
title: Soak
---

Prose marker: p0.

```{python}
#| label: env
import os
os.environ["SOAK"] = "env-0"
print(os.environ["SOAK"].upper())
```

```{python}
#| label: cheap
print("cell", "c0".upper())
```
"""


class Soak:
    """Saves the soak document over and over, each save waited for until it shows."""

    def __init__(self, watch: Watch) -> None:
        self.watch = watch
        self.lines = {
            "prose": "Prose marker: p0.",
            "cheap": 'print("cell", "c0".upper())',
            "env": 'os.environ["SOAK"] = "env-0"',
        }
        self.saves = 0

    def save(self, part: str, line: str, shown: str) -> None:
        self.saves += 1
        edit(self.watch.doc, self.lines[part], line)
        self.lines[part] = line
        wait_until_shown(self.watch.port, shown)

    def cheap(self) -> None:
        """A prose edit or a cheap block edit, alternating."""
        n = self.saves
        if n % 2:
            self.save("prose", f"Prose marker: p{n}.", f"Prose marker: p{n}.")
        else:
            self.save("cheap", f'print("cell", "c{n}".upper())', f"cell C{n}")

    def restart_kernel(self) -> None:
        """A block that kills its kernel (restarted by the executor), then one that changes
        the process environment (which may make the executor restart the kernel)."""
        n = self.saves
        self.save("cheap", f"import os; os.kill(os.getpid(), 9)  # kill-{n}", f"kill-{n}")
        self.save("cheap", f'print("cell", "c{n}".upper())', f"cell C{n}")
        self.save("env", f'os.environ["SOAK"] = "env-{n}"', f"ENV-{n}")


class Tab:
    """An open tab's event stream, read in the background: the last version it was sent."""

    def __init__(self, port: int) -> None:
        self.connection = event_stream(port)
        self.version = 0
        self.open = True
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        with self.connection.makefile("rb") as lines:
            for line in lines:
                if line.startswith(b"data: "):
                    self.version = json.loads(line[6:])["version"]
        self.open = False

    def caught_up(self, port: int, within: float = 10.0) -> bool:
        deadline = time.monotonic() + within
        while self.version != state(port)["version"] and time.monotonic() < deadline:
            time.sleep(0.05)
        return self.version == state(port)["version"]

    def close(self) -> None:
        self.connection.shutdown(socket.SHUT_RDWR)
        self.connection.close()
        self._reader.join(timeout=5)


@needs_proc
@pytest.mark.slow
def test_descriptors_and_threads_stay_flat_over_300_saves(tmp_path: Path) -> None:
    doc = tmp_path / "doc.md"
    doc.write_text(SOAK_DOC)
    watch = Watch(doc)
    watch.follow()
    try:
        wait_until_shown(watch.port, "cell C0")
        tab = Tab(watch.port)  # open all along, as a browser tab would be
        soak = Soak(watch)
        for _ in range(10):
            soak.cheap()
        soak.restart_kernel()
        pid = watch.process.pid
        before, folders = settled(pid), temp_folders(pid)
        for n in range(300):
            soak.cheap()
            if n in (100, 200):
                soak.restart_kernel()
        after = settled(pid, target=before)
        assert after[0] <= before[0] + 3 and after[1] <= before[1] + 1, (before, after)
        assert temp_folders(pid) <= folders
        assert tab.open and tab.caught_up(watch.port)
        tab.close()
    finally:
        assert watch.stop() == 0, "".join(watch.lines)
