"""Live-preview latency, measured in a real browser.

    python bench/watch.py [--edits 15] [--blocks 20]

Starts `noteflow watch` on a generated document, opens it in headless Chromium
(Playwright driving /usr/bin/chromium) and, for each edit, takes the time from writing the
file to the changed text being in the DOM: the browser stamps the moment a
MutationObserver sees the text (Date.now(), the same clock as Python's time.time()).
Two kinds of edit: prose, and the code of a cheap block. Target: median under 200 ms for
both. Exits 1 when a target fails.
"""

from __future__ import annotations

import argparse
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import time
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


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--edits", type=int, default=15)
    parser.add_argument("--blocks", type=int, default=20)
    args = parser.parse_args()
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
