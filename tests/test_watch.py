"""`noteflow watch` in a real browser: headless Chromium driven by Playwright.

Each test starts the real command, opens the page, edits the document on disk as an
editor would, and checks what the reader sees. Tests are marked `browser`; in CI the
browser is required (`NOTEFLOW_REQUIRE_BROWSER`), elsewhere they skip without it.
"""

from __future__ import annotations

import http.client
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from noteflow.cli import main

pytestmark = [pytest.mark.kernel, pytest.mark.browser]

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
open("runs.log", "a").write("a\\n")
x = 41
```

```{python}
#| label: b
open("runs.log", "a").write("b\\n")
print("value", x + 1)
```

```{python}
#| label: c
open("runs.log", "a").write("c\\n")
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

    def __init__(self, doc: Path, port: int = 0, host: str = "127.0.0.1") -> None:
        self.doc = doc
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "noteflow",
                "watch",
                str(doc),
                "--port",
                str(port),
                "--host",
                host,
                "-j",
                "1",
            ],
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

    def stop(self) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
        code = self.process.wait(timeout=30)
        assert self.process.stderr is not None
        self.lines.append(self.process.stderr.read())
        return code


@pytest.fixture
def watch(tmp_path: Path) -> Iterator[Watch]:
    doc = tmp_path / "doc.md"
    doc.write_text(DOC)
    running = Watch(doc)
    yield running
    running.stop()


def runs(doc: Path) -> list[str]:
    log = doc.parent / "runs.log"
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


def test_prose_edit_runs_nothing(browser, watch: Watch) -> None:
    page = open_page(browser, watch)
    page.evaluate("() => { window.__marker = 1; }")
    edit(watch.doc, "Intro paragraph.", "Intro paragraph, *edited*.")
    page.wait_for_function(
        "() => document.querySelector('.nf-main').innerHTML.includes('<em>edited</em>')"
    )
    assert page.evaluate("() => window.__marker") == 1
    assert runs(watch.doc) == ["a", "b", "c"]


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


def test_running_block_shows_that_it_runs(browser, watch: Watch) -> None:
    page = open_page(browser, watch)
    edit(watch.doc, 'print("independent")', 'import time\ntime.sleep(2)\nprint("slept")')
    page.wait_for_selector("#c.nf-running", timeout=10000)
    page.wait_for_function(
        "() => document.querySelector('#c .nf-outputs')?.innerText.includes('slept')", timeout=20000
    )
    assert "nf-running" not in page.get_attribute("#c", "class")


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


def raw_get(port: int, path: str, host: str = "127.0.0.1") -> int:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    connection.putrequest("GET", path, skip_host=True)
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
