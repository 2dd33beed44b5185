"""Live-preview latency, measured in a real browser; and what a long session holds.

    python bench/watch.py [--edits 15] [--blocks 20]
    python bench/watch.py --soak 1000

Latency: starts `noteflow watch` on a generated document, opens it in headless Chromium
(Playwright driving /usr/bin/chromium) and, for each edit, takes the time from writing the
file to the changed text being in the DOM: the browser stamps the moment a
MutationObserver sees the text (Date.now(), the same clock as Python's time.time()).
Two kinds of edit: prose, and the code of a cheap block. Target: median under 200 ms for
both. Exits 1 when a target fails.

Soak (Linux): saves the document N times over plain HTTP (a prose edit and a cheap block
edit alternating, each waited for on `/state`, with an event stream open all along as a
tab would have), and prints the open file descriptors and threads of the watch process
(from /proc) and its temp folders after a warm-up and after 100, 300, 1,000... saves.
Every 250th save also kills the kernel (the executor restarts it). Target: at most 3
descriptors and 1 thread more than after the warm-up, and no more temp folders. Exits 1
when it fails.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import re
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from glob import glob
from pathlib import Path

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
TARGET_MS = 200.0
SOAK_FD_SLACK, SOAK_THREAD_SLACK = 3, 1
SOAK_DOC = """---
title: Soak
---

Prose marker: p0.

```{python}
#| label: cheap
print("cell", "c0".upper())
```
"""

OBSERVER = """(marker) => { window.__nfStamp = new Promise((resolve) => {
  const seen = () => document.querySelector('.nf-main').innerText.includes(marker);
  if (seen()) { resolve(Date.now()); return; }
  const observer = new MutationObserver(() => {
    if (seen()) { observer.disconnect(); resolve(Date.now()); }
  });
  const options = {subtree: true, childList: true, characterData: true};
  observer.observe(document.querySelector('.nf-main'), options);
}); }"""


def document(blocks: int) -> str:
    parts = ["---\ntitle: Preview latency\n---\n", "Prose marker: start.\n"]
    for i in range(blocks):
        parts.append(f"## Section {i}\n\nSome prose for section {i}.\n")
        parts.append(
            f"```{{python}}\n#| label: b{i}\nv{i} = {i} * 2\nprint('block {i}', v{i})\n```\n"
        )
    parts.append("```{python}\n#| label: cheap\nprint('cell: start')\n```\n")
    return "\n".join(parts)


def start_watch(doc: Path) -> tuple[subprocess.Popen[str], str]:
    process = subprocess.Popen(
        [sys.executable, "-m", "noteflow", "watch", str(doc), "--port", "0", "-j", "1"],
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stderr is not None
    for line in process.stderr:
        match = re.search(r"at (http://\S+/) ", line)
        if match:
            # Keep reading it, or a long run fills the pipe and the watch process blocks.
            threading.Thread(target=process.stderr.read, daemon=True).start()
            return process, match.group(1)
    raise SystemExit("noteflow watch did not start")


def measure(page, doc: Path, old: str, new: str, marker: str) -> float:
    page.evaluate(OBSERVER, marker)  # parks a promise on window, resolved when marker shows
    text = doc.read_text()
    written = time.time() * 1000
    doc.write_text(text.replace(old, new, 1))
    seen = page.evaluate("() => window.__nfStamp")
    return float(seen) - written


def run(edits: int, blocks: int) -> dict[str, list[float]]:
    from playwright.sync_api import sync_playwright

    folder = Path(tempfile.mkdtemp(prefix="noteflow-bench-watch-"))
    doc = folder / "doc.md"
    doc.write_text(document(blocks))
    process, url = start_watch(doc)
    timings: dict[str, list[float]] = {"prose edit": [], "cheap block edit": []}
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            page = browser.new_page()
            page.goto(url)
            page.wait_for_function("() => document.querySelector('#cheap .nf-outputs')")
            prose, cell = "start", "start"
            for i in range(edits):
                timings["prose edit"].append(
                    measure(
                        page,
                        doc,
                        f"Prose marker: {prose}.",
                        f"Prose marker: p{i}.",
                        f"Prose marker: p{i}.",
                    )
                )
                prose = f"p{i}"
                timings["cheap block edit"].append(
                    measure(
                        page, doc, f"print('cell: {cell}')", f"print('cell: c{i}')", f"cell: c{i}"
                    )
                )
                cell = f"c{i}"
            browser.close()
    finally:
        process.send_signal(signal.SIGINT)
        process.wait(timeout=30)
    return timings


# -- soak ---------------------------------------------------------------------------------


def resources(pid: int) -> tuple[int, int]:
    """(open file descriptors, threads) of a process, from /proc."""
    return len(os.listdir(f"/proc/{pid}/fd")), len(os.listdir(f"/proc/{pid}/task"))


def settled(pid: int, within: float = 5.0) -> tuple[int, int]:
    """The figures once they hold still for half a second (connections in flight finish)."""
    seen = [resources(pid)]
    deadline = time.monotonic() + within
    while time.monotonic() < deadline and not (len(seen) >= 10 and len(set(seen[-10:])) == 1):
        time.sleep(0.05)
        seen.append(resources(pid))
    return seen[-1]


def temp_folders(pid: int) -> int:
    """noteflow's temp folders owned by the process (their names record its pid)."""
    return len(glob(os.path.join(tempfile.gettempdir(), f"noteflow-*-{pid}-*")))


def descriptor_kinds(pid: int) -> dict[str, int]:
    """Open descriptors by kind (`socket`, `anon_inode:[eventpoll]`, a path...)."""
    kinds: dict[str, int] = {}
    for fd in os.listdir(f"/proc/{pid}/fd"):
        try:
            target = re.sub(r":\[\d+\]$", "", os.readlink(f"/proc/{pid}/fd/{fd}"))
        except OSError:
            continue
        kinds[target] = kinds.get(target, 0) + 1
    return kinds


def shown(port: int, marker: str) -> None:
    """Wait until the page shows `marker` and no block runs."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        connection.request("GET", "/state")
        state = json.loads(connection.getresponse().read())
        connection.close()
        if marker in json.dumps(state.get("segments")) and not state.get("running"):
            return
        time.sleep(0.01)
    raise SystemExit(f"the page never showed {marker!r}")


def open_tab(port: int) -> socket.socket:
    """An event stream read (and discarded) in the background, as an open tab would."""
    stream = socket.create_connection(("127.0.0.1", port))
    stream.sendall(f"GET /events HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n\r\n".encode())
    threading.Thread(target=lambda: all(iter(lambda: stream.recv(65536), b"")), daemon=True).start()
    return stream


def soak(saves: int) -> list[tuple[int, int, int, int]]:
    """(saves, fds, threads, temp folders) after a warm-up and at 100, 300, 1000... saves."""
    folder = Path(tempfile.mkdtemp(prefix="noteflow-bench-soak-"))
    doc = folder / "doc.md"
    doc.write_text(SOAK_DOC)
    process, url = start_watch(doc)
    port = int(url.rsplit(":", 1)[1].strip("/"))
    lines = {"prose": "Prose marker: p0.", "cheap": 'print("cell", "c0".upper())'}

    def save(part: str, line: str, marker: str) -> None:
        doc.write_text(doc.read_text().replace(lines[part], line, 1))
        lines[part] = line
        shown(port, marker)

    def cheap(n: int) -> None:
        if n % 2:
            save("prose", f"Prose marker: p{n}.", f"Prose marker: p{n}.")
        else:
            save("cheap", f'print("cell", "c{n}".upper())', f"cell C{n}")

    figures: list[tuple[int, int, int, int]] = []
    try:
        shown(port, "cell C0")
        tab = open_tab(port)
        for n in range(1, 21):
            cheap(n)
        before = descriptor_kinds(process.pid)
        figures.append((0, *settled(process.pid), temp_folders(process.pid)))
        for n in range(1, saves + 1):
            cheap(n + 20)
            if n % 250 == 0:
                save("cheap", f"import os; os.kill(os.getpid(), 9)  # kill-{n}", f"kill-{n}")
            if n in (100, 300) or n % 1000 == 0 or n == saves:
                figures.append((n, *settled(process.pid), temp_folders(process.pid)))
                print(f"  {n} saves: {figures[-1][1:]} (fds, threads, temp folders)", flush=True)
        after = descriptor_kinds(process.pid)
        grown = {k: n - before.get(k, 0) for k, n in after.items() if n > before.get(k, 0)}
        print(f"  descriptors added since the warm-up: {grown or 'none'}")
        tab.close()
    finally:
        process.send_signal(signal.SIGINT)
        process.wait(timeout=30)
    return figures


def soak_main(saves: int) -> int:
    figures = soak(saves)
    print(f"{'saves':>6} {'fds':>5} {'threads':>8} {'temp folders':>13}")
    for n, fds, threads, folders in figures:
        print(f"{n:>6} {fds:>5} {threads:>8} {folders:>13}")
    _, fds0, threads0, folders0 = figures[0]
    _, fds, threads, folders = figures[-1]
    flat = fds - fds0 <= SOAK_FD_SLACK and threads - threads0 <= SOAK_THREAD_SLACK
    flat = flat and folders <= folders0
    limits = f"at most +{SOAK_FD_SLACK} fds, +{SOAK_THREAD_SLACK} thread, +0 folders"
    growth = f"{fds - fds0:+d} fds, {threads - threads0:+d} threads"
    growth += f", {folders - folders0:+d} folders"
    print(f"growth: {growth} ({limits}) {'PASS' if flat else 'FAIL'}")
    return 0 if flat else 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--edits", type=int, default=15)
    parser.add_argument("--blocks", type=int, default=20)
    parser.add_argument("--soak", type=int, metavar="SAVES", help="soak: save this many times")
    args = parser.parse_args()
    if args.soak:
        return soak_main(args.soak)
    timings = run(args.edits, args.blocks)
    print(
        f"document: {args.blocks + 1} blocks; {args.edits} edits of each kind; write -> text in DOM"
    )
    print(f"{'edit':<18} {'median ms':>10} {'min ms':>8} {'max ms':>8}  target")
    failed = False
    for kind, values in timings.items():
        median = statistics.median(values)
        verdict = "PASS" if median < TARGET_MS else "FAIL"
        failed |= verdict == "FAIL"
        spread = f"{median:>10.1f} {min(values):>8.1f} {max(values):>8.1f}"
        print(f"{kind:<18} {spread}  median < {TARGET_MS:.0f} {verdict}")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
